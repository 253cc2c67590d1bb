//! `/quality/…`: the published verdict. Validation reports of harvest runs (all, per city,
//! the latest one of a feed with its results) and the quality annotations per sensor.

use actix_web::{HttpRequest, HttpResponse, web};
use belfort_store::{QueryAnswer, QueryOptions};
use belfort_vocab::{belfort, dct, dqv, prov, quality, rdf, sh, sosa};
use oxrdf::{NamedNode, Term, Triple};

use crate::AppState;
use crate::error::ApiError;
use crate::html;
use crate::respond::{self, HTML, Negotiated, RDF_MEDIA_TYPES};

const CACHE_CONTROL: &str = "public, max-age=60";
/// Runs listed by the overview pages.
const MAX_RUNS: usize = 1_000;
/// Results or annotations listed by the detail pages; a cut list says so.
const MAX_ROWS: usize = 10_000;

/// `/quality`: every run's validation report.
pub async fn overview(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    runs_page(request, state, None).await
}

/// `/quality/{city}`: the reports of one city's feeds.
pub async fn city(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let city = path.into_inner();
    if !is_key(&city) {
        return Err(ApiError::not_found(format!("no city `{city}`")));
    }
    runs_page(request, state, Some(city)).await
}

/// A city or feed key: lower-case letters, digits and dashes (safe inside a query string).
pub(crate) fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn options(state: &AppState, max_results: usize) -> QueryOptions {
    QueryOptions {
        max_results,
        timeout: Some(state.config.query_timeout),
        ..QueryOptions::default()
    }
}

fn rows(answer: QueryAnswer) -> (Vec<Vec<Option<Term>>>, bool) {
    match answer {
        QueryAnswer::Solutions {
            rows, truncated, ..
        } => (rows, truncated),
        _ => (Vec::new(), false),
    }
}

fn named(term: &Option<Term>) -> Option<NamedNode> {
    match term {
        Some(Term::NamedNode(n)) => Some(n.clone()),
        _ => None,
    }
}

/// A table row of a finding: where (already HTML), then rule and severity by local name, and
/// the message.
fn finding_row(
    place: &str,
    rule: &Option<Term>,
    severity: &Option<Term>,
    message: &Option<Term>,
) -> String {
    let local = |term: &Option<Term>| {
        let text = shown(term);
        html::text(text.rsplit(['#', '/']).next().unwrap_or(&text))
    };
    format!(
        "<tr><td>{place}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        local(rule),
        local(severity),
        html::text(&shown(message)),
    )
}

/// Closes a findings table, saying so when the list was cut at [`MAX_ROWS`].
fn table_end(cut: bool, what: &str) -> String {
    let mut end = String::from("</tbody></table>\n");
    if cut {
        end.push_str(&format!(
            "<p class=\"muted\">The first {MAX_ROWS} {what}.</p>\n"
        ));
    }
    end
}

fn shown(term: &Option<Term>) -> String {
    match term {
        Some(Term::Literal(l)) => l.value().to_owned(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

async fn query(
    state: &web::Data<AppState>,
    text: String,
    max: usize,
) -> Result<(Vec<Vec<Option<Term>>>, bool), ApiError> {
    let worker = state.clone();
    let answer = web::block(move || worker.store.query(&text, &options(&worker, max)))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    Ok(rows(answer))
}

fn respond_with(
    media_type: &'static str,
    etag: &str,
    triples: Vec<Triple>,
    html_page: impl FnOnce() -> String,
) -> Result<HttpResponse, ApiError> {
    let body = if media_type == HTML {
        html_page().into_bytes()
    } else {
        respond::serialize_triples(media_type, triples)?
    };
    Ok(respond::representation(
        media_type,
        body,
        etag,
        CACHE_CONTROL,
    ))
}

fn negotiate(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Result<(&'static str, String), HttpResponse>, ApiError> {
    Ok(
        match respond::negotiate_cached(request, state, RDF_MEDIA_TYPES, CACHE_CONTROL)? {
            Negotiated::NotModified(response) => Err(response),
            Negotiated::Build { media_type, etag } => Ok((media_type, etag)),
        },
    )
}

async fn runs_page(
    request: HttpRequest,
    state: web::Data<AppState>,
    city: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let (media_type, etag) = match negotiate(&request, &state)? {
        Ok(chosen) => chosen,
        Err(not_modified) => return Ok(not_modified),
    };
    let filter = city
        .as_ref()
        .map(|c| format!("FILTER(STRSTARTS(?id, \"{c}/\"))"))
        .unwrap_or_default();
    let text = format!(
        "SELECT ?run ?feed ?id ?started ?report ?conforms (COUNT(?result) AS ?results) WHERE {{
           ?run <{validation_report}> ?report ; <{feed_property}> ?feed ; <{started_at}> ?started .
           ?feed <{identifier}> ?id .
           ?report <{conforms}> ?conforms .
           OPTIONAL {{ ?report <{result}> ?result }}
           {filter}
         }} GROUP BY ?run ?feed ?id ?started ?report ?conforms ORDER BY DESC(?started) ?id LIMIT {MAX_RUNS}",
        validation_report = quality::VALIDATION_REPORT.as_str(),
        feed_property = belfort::FEED_PROPERTY.as_str(),
        started_at = prov::STARTED_AT_TIME.as_str(),
        identifier = dct::IDENTIFIER.as_str(),
        conforms = sh::CONFORMS.as_str(),
        result = sh::RESULT.as_str(),
    );
    let (rows, _) = query(&state, text, MAX_RUNS).await?;
    let mut triples = Vec::new();
    for row in &rows {
        let (Some(run), Some(feed), Some(report)) =
            (named(&row[0]), named(&row[1]), named(&row[4]))
        else {
            continue;
        };
        triples.push(Triple::new(
            run.clone(),
            quality::VALIDATION_REPORT,
            report.clone(),
        ));
        triples.push(Triple::new(run.clone(), belfort::FEED_PROPERTY, feed));
        if let Some(Term::Literal(started)) = &row[3] {
            triples.push(Triple::new(run, prov::STARTED_AT_TIME, started.clone()));
        }
        triples.push(Triple::new(
            report.clone(),
            rdf::TYPE,
            sh::VALIDATION_REPORT,
        ));
        if let Some(Term::Literal(conforms)) = &row[5] {
            triples.push(Triple::new(report, sh::CONFORMS, conforms.clone()));
        }
    }
    let title = match &city {
        Some(c) => format!("Data quality: {c}"),
        None => "Data quality".to_owned(),
    };
    let base = state.public_base.clone();
    respond_with(media_type, &etag, triples, || {
        let mut body = String::from(
            "<p>The validation report of every harvest run: SHACL shapes and sensor-quality rules. \
             Flagged observations stay published with a DQV quality annotation.</p>\n\
             <table><thead><tr><th>feed</th><th>run started</th><th>conforms</th><th>results</th><th>report</th></tr></thead><tbody>\n",
        );
        for row in &rows {
            let id = shown(&row[2]);
            body.push_str(&format!(
                "<tr><td><a href=\"{base}/quality/{id}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">run</a></td></tr>\n",
                html::text(&id),
                html::text(&shown(&row[3])),
                html::text(&shown(&row[5])),
                html::text(&shown(&row[6])),
                html::attr(&row[0].as_ref().map(|r| match r { Term::NamedNode(n) => n.as_str().to_owned(), other => other.to_string() }).unwrap_or_default()),
                base = html::attr(&base),
            ));
        }
        body.push_str("</tbody></table>\n");
        if rows.is_empty() {
            body.push_str("<p class=\"muted\">No harvest run has been validated yet.</p>\n");
        }
        html::page(&base, &title, &body)
    })
}

/// `/quality/{city}/{feed}`: the latest report of a feed, with every result.
pub async fn feed(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (city, name) = path.into_inner();
    if !is_key(&city) || !is_key(&name) {
        return Err(ApiError::not_found(format!("no feed `{city}/{name}`")));
    }
    let (media_type, etag) = match negotiate(&request, &state)? {
        Ok(chosen) => chosen,
        Err(not_modified) => return Ok(not_modified),
    };
    let id = format!("{city}/{name}");
    let text = format!(
        "SELECT ?report ?conforms ?result ?focus ?component ?severity ?message ?shape ?location WHERE {{
           {{ SELECT ?report ?conforms WHERE {{
                ?run <{validation_report}> ?report ; <{feed_property}> ?feed ; <{started_at}> ?started .
                ?feed <{identifier}> \"{id}\" . ?report <{conforms}> ?conforms .
              }} ORDER BY DESC(?started) LIMIT 1 }}
           OPTIONAL {{
             ?report <{result}> ?result .
             ?result <{focus_node}> ?focus ; <{component}> ?component ; <{severity}> ?severity .
             OPTIONAL {{ ?result <{message}> ?message }}
             OPTIONAL {{ ?result <{source_shape}> ?shape }}
             OPTIONAL {{ ?result <{location}> ?location }}
           }}
         }} LIMIT {MAX_ROWS}",
        validation_report = quality::VALIDATION_REPORT.as_str(),
        feed_property = belfort::FEED_PROPERTY.as_str(),
        started_at = prov::STARTED_AT_TIME.as_str(),
        identifier = dct::IDENTIFIER.as_str(),
        conforms = sh::CONFORMS.as_str(),
        result = sh::RESULT.as_str(),
        focus_node = sh::FOCUS_NODE.as_str(),
        component = sh::SOURCE_CONSTRAINT_COMPONENT.as_str(),
        severity = sh::RESULT_SEVERITY.as_str(),
        message = sh::RESULT_MESSAGE.as_str(),
        source_shape = sh::SOURCE_SHAPE.as_str(),
        location = belfort::LOCATION.as_str(),
    );
    let (rows, cut) = query(&state, text, MAX_ROWS).await?;
    let Some(report) = rows.first().and_then(|r| named(&r[0])) else {
        return Err(ApiError::not_found(format!(
            "no validated run of feed {id}"
        )));
    };
    let mut triples = vec![Triple::new(
        report.clone(),
        rdf::TYPE,
        sh::VALIDATION_REPORT,
    )];
    if let Some(Some(Term::Literal(conforms))) = rows.first().map(|r| &r[1]) {
        triples.push(Triple::new(report.clone(), sh::CONFORMS, conforms.clone()));
    }
    for row in &rows {
        let Some(result) = named(&row[2]) else {
            continue;
        };
        triples.push(Triple::new(report.clone(), sh::RESULT, result.clone()));
        triples.push(Triple::new(
            result.clone(),
            rdf::TYPE,
            sh::VALIDATION_RESULT,
        ));
        let properties = [
            (sh::FOCUS_NODE, 3),
            (sh::SOURCE_CONSTRAINT_COMPONENT, 4),
            (sh::RESULT_SEVERITY, 5),
            (sh::RESULT_MESSAGE, 6),
            (sh::SOURCE_SHAPE, 7),
            (belfort::LOCATION, 8),
        ];
        for (predicate, column) in properties {
            if let Some(value) = &row[column] {
                triples.push(Triple::new(result.clone(), predicate, value.clone()));
            }
        }
    }
    let base = state.public_base.clone();
    let fragments = format!("{base}/fragments");
    respond_with(media_type, &etag, triples, || {
        let conforms = rows.first().map(|r| shown(&r[1])).unwrap_or_default();
        let mut body = format!(
            "<p>The latest validated run of <code>{}</code>: conforms <b>{}</b>. \
             <a href=\"{}/quality\">All runs</a>.</p>\n\
             <table><thead><tr><th>focus</th><th>rule</th><th>severity</th><th>message</th></tr></thead><tbody>\n",
            html::text(&id),
            html::text(&conforms),
            html::attr(&base),
        );
        for row in rows.iter().filter(|r| r[2].is_some()) {
            let focus = match (&row[3], &row[8]) {
                (Some(term), None) => html::term(term, &fragments, "subject"),
                (Some(term), location) => format!(
                    "{} {}",
                    html::term(term, &fragments, "subject"),
                    html::text(&shown(location))
                ),
                _ => String::new(),
            };
            body.push_str(&finding_row(&focus, &row[4], &row[5], &row[6]));
        }
        body.push_str(&table_end(cut, "results"));
        html::page(&base, &format!("Data quality: {id}"), &body)
    })
}

/// `/quality/sensor/{namespace}/{id}`: the quality annotations on a sensor's observations.
pub async fn sensor(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let iri = format!("{}sensor/{}", state.config.iri_base, path.into_inner());
    let sensor = NamedNode::new(&iri)
        .map_err(|e| ApiError::bad_request("invalid-iri", format!("`{iri}`: {e}")))?;
    let (media_type, etag) = match negotiate(&request, &state)? {
        Ok(chosen) => chosen,
        Err(not_modified) => return Ok(not_modified),
    };
    let text = format!(
        "SELECT ?observation ?annotation ?rule ?severity ?message WHERE {{
           {{ SELECT ?known WHERE {{ <{sensor}> ?p ?known }} LIMIT 1 }}
           OPTIONAL {{
             ?observation <{made_by}> <{sensor}> ; <{has_annotation}> ?annotation .
             ?annotation <{rule}> ?rule ; <{severity}> ?severity .
             OPTIONAL {{ ?annotation <{message}> ?message }}
           }}
         }} LIMIT {MAX_ROWS}",
        sensor = sensor.as_str(),
        made_by = sosa::MADE_BY_SENSOR.as_str(),
        has_annotation = dqv::HAS_QUALITY_ANNOTATION.as_str(),
        rule = quality::RULE.as_str(),
        severity = quality::SEVERITY.as_str(),
        message = quality::MESSAGE.as_str(),
    );
    let (rows, cut) = query(&state, text, MAX_ROWS).await?;
    if rows.is_empty() {
        return Err(ApiError::not_found(format!(
            "Belfort has no sensor <{iri}>"
        )));
    }
    let mut triples = Vec::new();
    for row in &rows {
        let (Some(observation), Some(annotation)) = (named(&row[0]), named(&row[1])) else {
            continue;
        };
        triples.push(Triple::new(
            observation,
            dqv::HAS_QUALITY_ANNOTATION,
            annotation.clone(),
        ));
        triples.push(Triple::new(
            annotation.clone(),
            rdf::TYPE,
            dqv::QUALITY_ANNOTATION,
        ));
        for (predicate, column) in [
            (quality::RULE, 2),
            (quality::SEVERITY, 3),
            (quality::MESSAGE, 4),
        ] {
            if let Some(value) = &row[column] {
                triples.push(Triple::new(annotation.clone(), predicate, value.clone()));
            }
        }
    }
    let base = state.public_base.clone();
    let fragments = format!("{base}/fragments");
    let flagged = triples
        .iter()
        .filter(|t| t.predicate == dqv::HAS_QUALITY_ANNOTATION)
        .count();
    respond_with(media_type, &etag, triples, || {
        let mut body = format!(
            "<p>{flagged} quality annotations on the observations of {}.</p>\n\
             <table><thead><tr><th>observation</th><th>rule</th><th>severity</th><th>message</th></tr></thead><tbody>\n",
            html::term(&Term::NamedNode(sensor.clone()), &fragments, "subject"),
        );
        for row in rows.iter().filter(|r| r[1].is_some()) {
            let observation = row[0]
                .as_ref()
                .map(|t| html::term(t, &fragments, "subject"))
                .unwrap_or_default();
            body.push_str(&finding_row(&observation, &row[2], &row[3], &row[4]));
        }
        body.push_str(&table_end(cut, "annotations"));
        html::page(
            &base,
            &format!("Data quality of sensor {}", sensor.as_str()),
            &body,
        )
    })
}
