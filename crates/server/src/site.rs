//! The landing page and DCAT catalogue, dereferenceable IRIs, health and the fallback.

use actix_web::http::{Method, StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use belfort_store::{GraphSelector, QuadPattern, QueryAnswer, QueryOptions};
use belfort_vocab::{belfort, dcat, dct, prov, rdf, rdfs, void};
use oxrdf::{Literal, NamedNode, Term, Triple};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::respond::{self, HTML, Negotiated, RDF_MEDIA_TYPES};
use crate::{AppState, html};

/// Descriptions change only with a harvest.
const CACHE_CONTROL: &str = "public, max-age=60";

/// The landing page is for people first; the catalogue follows in every RDF syntax.
const CATALOGUE_MEDIA_TYPES: &[&str] = &[
    HTML,
    "text/turtle",
    "application/trig",
    "application/n-triples",
    "application/n-quads",
    "application/ld+json",
];

/// At most this many statements about one resource are served.
const MAX_DESCRIPTION: usize = 2_000;

/// `/health`: 200 once the store answers.
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let worker = state.clone();
    let probe = web::block(move || {
        worker.store.pattern_page(
            &QuadPattern {
                subject: None,
                predicate: None,
                object: None,
                graph: GraphSelector::Any,
            },
            0,
            1,
        )
    })
    .await;
    match probe {
        Ok(Ok(_)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(
                serde_json::json!({ "status": "ready", "dataVersion": state.store.data_version() }),
            ),
        Ok(Err(error)) => HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "status": "unavailable", "detail": error.to_string() })),
        Err(error) => HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "status": "unavailable", "detail": error.to_string() })),
    }
}

/// Anything else: CORS preflight, or a 404 / 405 in the one error format.
pub async fn fallback(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    if request.method() == Method::OPTIONS {
        return Ok(HttpResponse::NoContent()
            .insert_header(("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS"))
            .insert_header((
                "Access-Control-Allow-Headers",
                "Accept, Content-Type, If-None-Match",
            ))
            .insert_header(("Access-Control-Max-Age", "86400"))
            .finish());
    }
    let path = request.path();
    let known = ["/", "/health", "/metrics", "/fragments", "/sparql"];
    if known.contains(&path) || path.starts_with("/id/") {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!("{} is not allowed on {path}", request.method()),
        ));
    }
    Err(ApiError::not_found(format!(
        "nothing is published at {path}"
    )))
}

/// `/id/…`: everything the store says about a minted IRI.
pub async fn dereference(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Metrics::bump(&state.metrics.dereferences);
    let iri = format!("{}{}", state.config.iri_base, path.into_inner());
    let subject = NamedNode::new(&iri)
        .map_err(|e| ApiError::bad_request("invalid-iri", format!("`{iri}`: {e}")))?;
    let (media_type, etag) =
        match respond::negotiate_cached(&request, &state, RDF_MEDIA_TYPES, CACHE_CONTROL)? {
            Negotiated::NotModified(response) => return Ok(response),
            Negotiated::Build { media_type, etag } => (media_type, etag),
        };
    let worker = state.clone();
    let described = subject.clone();
    let page = web::block(move || {
        worker.store.pattern_page(
            &QuadPattern {
                subject: Some(described),
                predicate: None,
                object: None,
                graph: GraphSelector::Any,
            },
            0,
            MAX_DESCRIPTION,
        )
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    if page.quads.is_empty() {
        return Err(ApiError::not_found(format!(
            "Belfort has nothing about <{iri}>"
        )));
    }
    let triples: Vec<Triple> = page
        .quads
        .iter()
        .map(|q| Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone()))
        .collect();
    let body = if media_type == HTML {
        describe_html(&state, &subject, &triples, page.has_more).into_bytes()
    } else {
        let format = respond::rdf_format(media_type)
            .ok_or_else(|| ApiError::internal(format!("no serialiser for {media_type}")))?;
        respond::serialize_rdf(format, page.quads.into_iter(), triples.into_iter())?
    };
    Ok(respond::representation(
        media_type,
        body,
        &etag,
        CACHE_CONTROL,
    ))
}

fn describe_html(state: &AppState, subject: &NamedNode, triples: &[Triple], cut: bool) -> String {
    let fragments = format!("{}/fragments", state.public_base);
    let mut body = format!(
        "<p><code>{}</code></p>\n<table><thead><tr><th>property</th><th>value</th></tr></thead><tbody>\n",
        html::text(subject.as_str())
    );
    for triple in triples {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            html::term(&triple.predicate.clone().into(), &fragments, "predicate"),
            html::term(&triple.object, &fragments, "subject"),
        ));
    }
    body.push_str("</tbody></table>\n");
    if cut {
        body.push_str(&format!(
            "<p class=\"muted\">The first {MAX_DESCRIPTION} statements; the rest is in the fragments.</p>"
        ));
    }
    let title = triples
        .iter()
        .find(|t| t.predicate == rdfs::LABEL)
        .and_then(|t| match &t.object {
            Term::Literal(l) => Some(l.value().to_owned()),
            _ => None,
        })
        .unwrap_or_else(|| subject.as_str().to_owned());
    html::page(&state.public_base, &title, &body)
}

/// `/`: the landing page for people, the DCAT catalogue for machines.
pub async fn landing(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (media_type, etag) =
        match respond::negotiate_cached(&request, &state, CATALOGUE_MEDIA_TYPES, CACHE_CONTROL)? {
            Negotiated::NotModified(response) => return Ok(response),
            Negotiated::Build { media_type, etag } => (media_type, etag),
        };
    let worker = state.clone();
    let (feeds, streams) = web::block(move || {
        Ok::<_, ApiError>((
            list_feeds(&worker)?,
            crate::event_streams::stream_names(&worker)?,
        ))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;
    let mut catalogue = catalogue(&state, &feeds);
    if !streams.is_empty() {
        // The event streams, as a catalogue of their own within this one.
        let streams_catalogue = state.event_streams.list(&streams);
        if let Some(first) = streams_catalogue.first() {
            catalogue.push(Triple::new(
                NamedNode::new_unchecked(format!("{}/", state.public_base)),
                dcat::CATALOG_PROPERTY,
                first.subject.clone(),
            ));
        }
        catalogue.extend(streams_catalogue);
    }
    let body = if media_type == HTML {
        landing_html(&state, &feeds).into_bytes()
    } else {
        respond::serialize_triples(media_type, catalogue)?
    };
    Ok(respond::representation(
        media_type,
        body,
        &etag,
        CACHE_CONTROL,
    ))
}

/// A published feed, as the metadata graph describes it.
struct FeedEntry {
    feed: NamedNode,
    identifier: String,
    city: NamedNode,
    city_label: Option<String>,
    /// When its latest harvest ended (`xsd:dateTime`).
    modified: Option<Literal>,
}

fn list_feeds(state: &AppState) -> Result<Vec<FeedEntry>, ApiError> {
    let query = format!(
        "SELECT ?feed ?id ?city (SAMPLE(?label) AS ?cityLabel) (MAX(?ended) AS ?modified) WHERE {{
           ?feed a <{feed}> ; <{identifier}> ?id ; <{city_property}> ?city .
           OPTIONAL {{ ?city <{label}> ?label FILTER(langMatches(lang(?label), \"nl\")) }}
           OPTIONAL {{ ?run <{run_feed}> ?feed ; <{ended}> ?ended }}
         }} GROUP BY ?feed ?id ?city ORDER BY ?id",
        run_feed = belfort::FEED_PROPERTY.as_str(),
        ended = prov::ENDED_AT_TIME.as_str(),
        feed = belfort::FEED.as_str(),
        identifier = dct::IDENTIFIER.as_str(),
        city_property = belfort::CITY_PROPERTY.as_str(),
        label = rdfs::LABEL.as_str(),
    );
    let answer = state.store.query(
        &query,
        &QueryOptions {
            max_results: 10_000,
            ..QueryOptions::default()
        },
    )?;
    let QueryAnswer::Solutions { rows, .. } = answer else {
        return Ok(Vec::new());
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut row = row.into_iter();
            let feed = match row.next()?? {
                Term::NamedNode(n) => n,
                _ => return None,
            };
            let identifier = match row.next()?? {
                Term::Literal(l) => l.value().to_owned(),
                _ => return None,
            };
            let city = match row.next()?? {
                Term::NamedNode(n) => n,
                _ => return None,
            };
            let city_label = match row.next().flatten() {
                Some(Term::Literal(l)) => Some(l.value().to_owned()),
                _ => None,
            };
            let modified = match row.next().flatten() {
                Some(Term::Literal(l)) => Some(l),
                _ => None,
            };
            Some(FeedEntry {
                feed,
                identifier,
                city,
                city_label,
                modified,
            })
        })
        .collect())
}

fn catalogue(state: &AppState, feeds: &[FeedEntry]) -> Vec<Triple> {
    let base = &state.public_base;
    let iri = |s: String| NamedNode::new_unchecked(s);
    let catalogue = iri(format!("{base}/"));
    let fragments = iri(format!("{base}/fragments#service"));
    let sparql = iri(format!("{base}/sparql#service"));
    let licence = NamedNode::new(&state.config.licence).ok();
    let mut triples = vec![
        Triple::new(catalogue.clone(), rdf::TYPE, dcat::CATALOG),
        Triple::new(
            catalogue.clone(),
            dct::TITLE,
            Literal::new_language_tagged_literal_unchecked(
                "Belfort: city sensor data as linked data",
                "en",
            ),
        ),
        Triple::new(catalogue.clone(), dcat::SERVICE, fragments.clone()),
        Triple::new(catalogue.clone(), dcat::SERVICE, sparql.clone()),
        Triple::new(fragments.clone(), rdf::TYPE, dcat::DATA_SERVICE),
        Triple::new(
            fragments.clone(),
            dct::TITLE,
            Literal::new_simple_literal("Triple and Quad Pattern Fragments"),
        ),
        Triple::new(
            fragments.clone(),
            dcat::ENDPOINT_URL,
            iri(format!("{base}/fragments")),
        ),
        Triple::new(sparql.clone(), rdf::TYPE, dcat::DATA_SERVICE),
        Triple::new(
            sparql.clone(),
            dct::TITLE,
            Literal::new_simple_literal("SPARQL 1.1 endpoint"),
        ),
        Triple::new(
            sparql.clone(),
            dcat::ENDPOINT_URL,
            iri(format!("{base}/sparql")),
        ),
        Triple::new(
            iri(format!("{base}/fragments#dataset")),
            void::SPARQL_ENDPOINT,
            iri(format!("{base}/sparql")),
        ),
    ];
    if let Some(licence) = &licence {
        triples.push(Triple::new(
            catalogue.clone(),
            dct::LICENSE,
            licence.clone(),
        ));
    }
    // Everything at once: the dump of the whole store.
    let everything = iri(format!("{base}/dump#dataset"));
    let dump = iri(format!("{base}/dump#distribution"));
    triples.extend([
        Triple::new(
            catalogue.clone(),
            dcat::DATASET_PROPERTY,
            everything.clone(),
        ),
        Triple::new(everything.clone(), rdf::TYPE, dcat::DATASET),
        Triple::new(
            everything.clone(),
            dct::TITLE,
            Literal::new_simple_literal("Everything this Belfort publishes, as one download"),
        ),
        Triple::new(
            everything.clone(),
            dcat::DISTRIBUTION_PROPERTY,
            dump.clone(),
        ),
        Triple::new(dump.clone(), rdf::TYPE, dcat::DISTRIBUTION),
        Triple::new(
            dump.clone(),
            dcat::DOWNLOAD_URL,
            iri(format!("{base}/dump")),
        ),
        Triple::new(dump.clone(), dcat::ACCESS_URL, iri(format!("{base}/dump"))),
        Triple::new(
            dump,
            dcat::MEDIA_TYPE,
            iri("https://www.iana.org/assignments/media-types/application/n-quads".to_owned()),
        ),
    ]);
    if let Some(licence) = &licence {
        triples.push(Triple::new(everything, dct::LICENSE, licence.clone()));
    }
    for feed in feeds {
        let dataset = feed.feed.clone();
        triples.push(Triple::new(
            catalogue.clone(),
            dcat::DATASET_PROPERTY,
            dataset.clone(),
        ));
        triples.push(Triple::new(dataset.clone(), rdf::TYPE, dcat::DATASET));
        triples.push(Triple::new(
            dataset.clone(),
            dct::IDENTIFIER,
            Literal::new_simple_literal(&feed.identifier),
        ));
        triples.push(Triple::new(
            dataset.clone(),
            dct::SPATIAL,
            feed.city.clone(),
        ));
        if let Some(licence) = &licence {
            triples.push(Triple::new(dataset.clone(), dct::LICENSE, licence.clone()));
        }
        if let Some(modified) = &feed.modified {
            triples.push(Triple::new(
                dataset.clone(),
                dct::MODIFIED,
                modified.clone(),
            ));
            triples.push(Triple::new(
                dataset.clone(),
                prov::GENERATED_AT_TIME,
                modified.clone(),
            ));
        }
        for (service, kind) in [(&fragments, "fragments"), (&sparql, "sparql")] {
            let distribution = iri(format!("{}#{kind}", feed.feed.as_str()));
            triples.push(Triple::new(
                dataset.clone(),
                dcat::DISTRIBUTION_PROPERTY,
                distribution.clone(),
            ));
            triples.push(Triple::new(
                distribution.clone(),
                rdf::TYPE,
                dcat::DISTRIBUTION,
            ));
            triples.push(Triple::new(
                distribution.clone(),
                dcat::ACCESS_URL,
                iri(format!("{base}/{kind}")),
            ));
            triples.push(Triple::new(
                distribution,
                dcat::ACCESS_SERVICE,
                service.clone(),
            ));
        }
    }
    triples
}

fn landing_html(state: &AppState, feeds: &[FeedEntry]) -> String {
    let base = &state.public_base;
    let mut body = format!(
        r#"<p>Sensor observations of Flemish cities (traffic counters, air quality, citizen science), mapped onto W3C SOSA and the OSLO vocabularies, in canonical units and UTC.</p>
<ul>
<li><a href="{b}/fragments">Triple and Quad Pattern Fragments</a>: browse, or query with a TPF client such as Comunica.</li>
<li><a href="{b}/sparql">SPARQL 1.1 endpoint</a>.</li>
<li><a href="{b}/ldes">Linked Data Event Streams</a>: replicate the observations with an LDES client.</li>
<li><a href="{b}/dump">Everything as one download</a> (N-Quads, or TriG on request).</li>
<li>This page as a DCAT catalogue: ask for <code>text/turtle</code> or <code>application/ld+json</code>.</li>
</ul>
<h2>Feeds</h2>
<table><thead><tr><th>feed</th><th>city</th></tr></thead><tbody>
"#,
        b = html::attr(base)
    );
    let fragments = format!("{base}/fragments");
    for feed in feeds {
        body.push_str(&format!(
            "<tr><td><code>{}</code><br>{}</td><td>{}</td></tr>\n",
            html::text(&feed.identifier),
            html::term(&feed.feed.clone().into(), &fragments, "subject"),
            html::text(feed.city_label.as_deref().unwrap_or(feed.city.as_str())),
        ));
    }
    body.push_str("</tbody></table>");
    html::page(base, "Belfort", &body)
}
