//! `/fragments`: Triple and Quad Pattern Fragments.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use belfort_fragments::{FragmentDocument, GraphSelection, Selector, object_parameter};
use std::collections::HashSet;

use belfort_store::{GraphSelector, PatternCount, PatternPage, QuadPattern, StoreError};
use oxrdf::{BlankNode, GraphName, NamedNode, NamedOrBlankNode, Quad, Term};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::respond::{self, HTML, Negotiated, RDF_MEDIA_TYPES};
use crate::{AppState, html};

/// Fragment pages change when a harvest lands; a minute of caching is harmless.
const CACHE_CONTROL: &str = "public, max-age=60";

/// One fragment page in the representation the client asked for.
pub async fn fragment(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Metrics::bump(&state.metrics.fragment_requests);
    let pairs = url::form_urlencoded::parse(request.query_string().as_bytes());
    let (selector, page) = Selector::from_query_pairs(pairs)
        .map_err(|e| ApiError::bad_request("invalid-selector", e.to_string()))?;
    if selector.restriction.is_some() {
        Metrics::bump(&state.metrics.restricted_fragment_requests);
    }
    if page > state.config.max_page {
        return Err(ApiError::bad_request(
            "page-out-of-range",
            format!(
                "page {page} is beyond the last page served ({}); narrow the pattern or use /sparql",
                state.config.max_page
            ),
        ));
    }
    let (media_type, etag) =
        match respond::negotiate_cached(&request, &state, RDF_MEDIA_TYPES, CACHE_CONTROL)? {
            Negotiated::NotModified(response) => return Ok(response),
            Negotiated::Build { media_type, etag } => (media_type, etag),
        };
    let page_iri = state.fragments.page_iri(&selector, page);
    if let Some(body) = state.page_cache.get(&etag) {
        Metrics::bump(&state.metrics.page_cache_hits);
        return Ok(with_canonical_link(
            respond::representation(media_type, body, &etag, CACHE_CONTROL),
            &page_iri,
        ));
    }

    let page_size = state.fragments.page_size_of(&selector);
    let offset = (page - 1).saturating_mul(page_size as u64);
    if selector.restriction.is_some() && offset + page_size as u64 > MAX_RESTRICTED_DEPTH {
        return Err(ApiError::bad_request(
            "page-out-of-range",
            format!(
                "page {page} of a bindings-restricted fragment is beyond its first {MAX_RESTRICTED_DEPTH} matches; send fewer bindings per request"
            ),
        ));
    }
    let worker = state.clone();
    let rows = selector
        .restriction
        .is_some()
        .then(|| selector.restricted_selectors());
    let pattern = quad_pattern(&selector);
    let (matches, (total, total_is_exact)) = web::block(move || {
        if let Some(rows) = rows {
            return restricted_page(&worker, &rows, offset, page_size);
        }
        let matches = worker.store.pattern_page(&pattern, offset, page_size)?;
        let cap = worker.config.exact_count_limit.max(page_size as u64);
        let total = worker.counts.count(&worker.store, &pattern, cap)?;
        Ok::<_, StoreError>((matches, total))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))??;

    // A fragment whose first page is empty has no matches, whatever an estimate said.
    let (total, total_is_exact) = if offset == 0 && matches.quads.is_empty() {
        (0, true)
    } else {
        (total, total_is_exact)
    };
    let genid = format!("{}/.well-known/genid/", state.public_base);
    let data = matches
        .quads
        .into_iter()
        .map(|q| skolemise(q, &genid))
        .collect();
    let document = state
        .fragments
        .build(&selector, page, data, total, matches.has_more);
    let body = if media_type == HTML {
        fragment_html(&state, &selector, &document).into_bytes()
    } else {
        let format = respond::rdf_format(media_type)
            .ok_or_else(|| ApiError::internal(format!("no serialiser for {media_type}")))?;
        respond::serialize_rdf(format, document.quads(), document.triples())?
    };
    let body = Bytes::from(body);
    // A page with an estimated count is not kept: the exact count arrives later.
    if total_is_exact {
        state.page_cache.put(&etag, body.clone());
    }
    Ok(with_canonical_link(
        respond::representation(media_type, body, &etag, CACHE_CONTROL),
        &page_iri,
    ))
}

/// Matches a bindings-restricted fragment pages through at most (its rows are meant to be
/// selective: a client binding the results of another pattern).
const MAX_RESTRICTED_DEPTH: u64 = 10_000;

/// Each row's count is exact up to this many matches, else a floor: a request of 100
/// unselective rows counts at most 100 000 matches.
const ROW_COUNT_CAP: u64 = 1_000;

fn quad_pattern(selector: &Selector) -> QuadPattern {
    QuadPattern {
        subject: selector.subject.clone(),
        predicate: selector.predicate.clone(),
        object: selector.object.clone(),
        graph: match &selector.graph {
            None => GraphSelector::Any,
            Some(GraphSelection::Default) => GraphSelector::Default,
            Some(GraphSelection::Named(graph)) => GraphSelector::Named(graph.clone()),
        },
    }
}

/// A page of a bindings-restricted fragment: the rows' matches one row after the other, each
/// row's in the store's order, a statement matched under an earlier row left out. The count is
/// the sum of the rows' counts.
fn restricted_page(
    state: &AppState,
    rows: &[Selector],
    offset: u64,
    page_size: usize,
) -> Result<(PatternPage, (u64, bool)), StoreError> {
    let shape = |row: &Selector| {
        (
            row.subject.is_some(),
            row.predicate.is_some(),
            row.object.is_some(),
        )
    };
    match rows.first() {
        Some(first) if rows.iter().all(|row| shape(row) == shape(first)) => {
            page_of_disjoint_rows(state, rows, offset, page_size)
        }
        _ => page_of_overlapping_rows(state, rows, offset, page_size),
    }
}

/// Rows that bind the same positions (each row once) match disjoint sets of statements: the
/// fragment is the rows' matches end to end and its count is the sum of theirs, exact when
/// theirs are. A page reads only the rows it spans, each from where the page starts in it.
fn page_of_disjoint_rows(
    state: &AppState,
    rows: &[Selector],
    offset: u64,
    page_size: usize,
) -> Result<(PatternPage, (u64, bool)), StoreError> {
    let wanted = page_size.saturating_add(1);
    let mut quads = Vec::new();
    let (mut total, mut exact) = (0u64, true);
    // Where the current row's matches begin in the fragment, while the page has not begun.
    let mut start = 0u64;
    for row in rows {
        let pattern = quad_pattern(row);
        let mut length = None;
        if quads.len() < wanted {
            let skip = if quads.is_empty() {
                offset.saturating_sub(start)
            } else {
                0
            };
            if skip > 0 {
                // Does the page begin after this row? Its count tells, or counting up to `skip`.
                let count = match row_count(state, &pattern)? {
                    PatternCount::AtLeast(floor) if floor < skip => {
                        state.store.count_pattern(&pattern, skip)?
                    }
                    count => count,
                };
                if let PatternCount::Exact(n) = count {
                    length = Some(n);
                    if n <= skip {
                        start += n;
                    }
                }
            }
            if length.is_none_or(|n| n > skip) {
                let mut read = skip;
                loop {
                    let page = state
                        .store
                        .pattern_page(&pattern, read, wanted - quads.len())?;
                    let got = page.quads.len();
                    read += got as u64;
                    quads.extend(page.quads);
                    if !page.has_more || got == 0 {
                        // Read to its end: the row's count is known.
                        length = Some(read);
                        start += read;
                        break;
                    }
                    if quads.len() >= wanted {
                        break;
                    }
                }
            }
        }
        let count = match length {
            Some(n) => PatternCount::Exact(n),
            None => row_count(state, &pattern)?,
        };
        match count {
            PatternCount::Exact(n) => total = total.saturating_add(n),
            PatternCount::AtLeast(floor) => {
                total = total.saturating_add(floor);
                exact = false;
            }
        }
    }
    let has_more = quads.len() > page_size;
    quads.truncate(page_size);
    Ok((PatternPage { quads, has_more }, (total, exact)))
}

/// A row's count, exact up to [`ROW_COUNT_CAP`]: a subject's statements are counted from the
/// index at once; other rows' counts are remembered per data version (apart from fragments'),
/// so that the pages of one restricted fragment count each row once.
fn row_count(state: &AppState, pattern: &QuadPattern) -> Result<PatternCount, StoreError> {
    if pattern.subject.is_some() {
        return state.store.count_pattern(pattern, ROW_COUNT_CAP);
    }
    let (count, exact) = state
        .row_counts
        .count(&state.store, pattern, ROW_COUNT_CAP)?;
    Ok(if exact {
        PatternCount::Exact(count)
    } else {
        PatternCount::AtLeast(count)
    })
}

/// Rows that bind different positions may match one statement twice: each page reads the rows
/// from the first, up to its end, and leaves out what an earlier row matched. The count is the
/// sum of the rows' counts (exact for one row, else an estimate).
fn page_of_overlapping_rows(
    state: &AppState,
    rows: &[Selector],
    offset: u64,
    page_size: usize,
) -> Result<(PatternPage, (u64, bool)), StoreError> {
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let wanted = offset.saturating_add(page_size).saturating_add(1);
    let by_graph = rows.first().is_some_and(Selector::is_quad_pattern);
    let mut seen = HashSet::new();
    let mut quads = Vec::new();
    let (mut total, mut exact) = (0u64, rows.len() <= 1);
    for row in rows {
        let pattern = quad_pattern(row);
        // The row's count comes with its matches when they all fit in what was read.
        let mut row_count = None;
        let mut read = 0u64;
        while quads.len() < wanted {
            let page = state
                .store
                .pattern_page(&pattern, read, wanted - quads.len())?;
            let got = page.quads.len();
            if read == 0 && !page.has_more {
                row_count = Some(got as u64);
            }
            read += got as u64;
            for quad in page.quads {
                let key = if by_graph {
                    quad.clone()
                } else {
                    Quad::new(
                        quad.subject.clone(),
                        quad.predicate.clone(),
                        quad.object.clone(),
                        GraphName::DefaultGraph,
                    )
                };
                if seen.insert(key) {
                    quads.push(quad);
                }
            }
            if !page.has_more || got == 0 {
                break;
            }
        }
        let count = match row_count {
            Some(count) => PatternCount::Exact(count),
            None => state.store.count_pattern(&pattern, ROW_COUNT_CAP)?,
        };
        match count {
            PatternCount::Exact(count) => total = total.saturating_add(count),
            PatternCount::AtLeast(floor) => {
                total = total.saturating_add(floor);
                exact = false;
            }
        }
    }
    let has_more = quads.len() > offset.saturating_add(page_size);
    let quads = quads.into_iter().skip(offset).take(page_size).collect();
    Ok((PatternPage { quads, has_more }, (total, exact)))
}

fn with_canonical_link(mut response: HttpResponse, page_iri: &NamedNode) -> HttpResponse {
    if page_iri.as_str().len() < 8 * 1024
        && let Ok(value) =
            HeaderValue::from_str(&format!("<{}>; rel=\"canonical\"", page_iri.as_str()))
    {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

/// Blank nodes never leave the server: they become IRIs under `/.well-known/genid/`.
fn skolemise(quad: Quad, genid: &str) -> Quad {
    let skolem = |node: &BlankNode| NamedNode::new_unchecked(format!("{genid}{}", node.as_str()));
    let subject = match &quad.subject {
        NamedOrBlankNode::BlankNode(node) => skolem(node).into(),
        other => other.clone(),
    };
    let object = match &quad.object {
        Term::BlankNode(node) => skolem(node).into(),
        other => other.clone(),
    };
    let graph_name = match &quad.graph_name {
        GraphName::BlankNode(node) => skolem(node).into(),
        other => other.clone(),
    };
    Quad::new(subject, quad.predicate, object, graph_name)
}

fn fragment_html(state: &AppState, selector: &Selector, document: &FragmentDocument) -> String {
    let endpoint = format!("{}/fragments", state.public_base);
    let value = |term: Option<String>| html::attr(&term.unwrap_or_default());
    let object = selector.object.as_ref().map(object_parameter);
    let graph = match &selector.graph {
        None => String::new(),
        Some(GraphSelection::Default) => "urn:x-belfort:default-graph".to_owned(),
        Some(GraphSelection::Named(graph)) => graph.as_str().to_owned(),
    };
    let mut body = format!(
        r#"<form action="{endpoint}" method="get">
<label>subject <input type="text" name="subject" value="{subject}"></label>
<label>predicate <input type="text" name="predicate" value="{predicate}"></label>
<label>object <input type="text" name="object" value="{object}"></label>
<label>graph <input type="text" name="graph" value="{graph}"> <span class="muted">(empty: every graph, as triples)</span></label>
<button type="submit">Find matching triples</button>
</form>
<p>About {total} matching triples; page {page}, {size} per page.</p>
<table><thead><tr><th>subject</th><th>predicate</th><th>object</th>{graph_head}</tr></thead><tbody>
"#,
        endpoint = html::attr(&endpoint),
        subject = value(selector.subject.as_ref().map(|s| s.as_str().to_owned())),
        predicate = value(selector.predicate.as_ref().map(|p| p.as_str().to_owned())),
        object = value(object),
        graph = html::attr(&graph),
        total = document.total,
        page = document.page,
        size = state.fragments.page_size_of(selector),
        graph_head = if selector.is_quad_pattern() {
            "<th>graph</th>"
        } else {
            ""
        },
    );
    for quad in &document.data {
        let subject: Term = quad.subject.clone().into();
        let graph_cell = if selector.is_quad_pattern() {
            match &quad.graph_name {
                GraphName::NamedNode(graph) => {
                    format!(
                        "<td>{}</td>",
                        html::term(&graph.clone().into(), &endpoint, "graph")
                    )
                }
                _ => "<td>default</td>".to_owned(),
            }
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td>{graph_cell}</tr>\n",
            html::term(&subject, &endpoint, "subject"),
            html::term(&quad.predicate.clone().into(), &endpoint, "predicate"),
            html::term(&quad.object, &endpoint, "object"),
        ));
    }
    body.push_str("</tbody></table>\n<p>");
    if let Some(previous) = &document.previous {
        body.push_str(&format!(
            r#"<a rel="prev" href="{}">previous</a> "#,
            html::attr(previous.as_str())
        ));
    }
    if let Some(next) = &document.next {
        body.push_str(&format!(
            r#"<a rel="next" href="{}">next</a>"#,
            html::attr(next.as_str())
        ));
    }
    body.push_str("</p>");
    html::page(&state.public_base, "Triple Pattern Fragments", &body)
}
