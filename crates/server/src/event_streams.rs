//! `/ldes/…`: the Linked Data Event Streams. `/ldes` lists the streams; `/ldes/{stream}` is a
//! stream's root node, `/ldes/{stream}/{day}` a day node, `/ldes/{stream}/{day}/{page}` a page
//! of members. The index the documents are built from is written by ingest, in the same
//! transaction as the members (see `belfort_store::event_streams`).
//!
//! Caching: a page is closed once the next page of its day exists or its day is over; a day
//! node once its day is over. Closed documents are served `immutable` for a year; open ones
//! with the polling interval as max-age. ETags are digests of the bytes served, so a closed
//! document keeps its ETag for ever. Days past the retention period answer 410 Gone and no
//! relation points at them.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use belfort_fragments::{
    EventStreamDocuments, PageBound, TREE_PROFILE_TURTLE, day_bounds, month_bounds, month_of,
    tree_profile_order,
};
use belfort_store::event_streams::{day_node, day_of, page_index_of, page_node};
use belfort_store::{QueryAnswer, QueryOptions};
use belfort_vocab::{belfort, sosa, time, tree};
use chrono::{DateTime, NaiveDate, Utc};
use oxrdf::{NamedNode, Term, Triple};
use oxrdfio::RdfFormat;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;
use crate::html;
use crate::respond::{self, HTML, RDF_MEDIA_TYPES};

/// Closed documents never change: clients may keep them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Turtle, the syntax the TREE profile applies to.
const TURTLE: &str = "text/turtle";
/// The TREE profile's IRI, as a client names it in `Accept`.
const TREE_PROFILE: &str = "https://w3id.org/tree/profile";
/// A day is treated as open this long after it ended (clock skew between writer and reader).
const CLOSING_GRACE: chrono::Duration = chrono::Duration::minutes(5);
/// How long a request waits for a free node slot before it is answered 429.
const NODE_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// Members served per page at most (pages hold `page_size` members; this bounds a bad index).
const MAX_MEMBERS: usize = 100_000;

/// How the streams are published.
#[derive(Debug, Clone)]
pub struct EventStreamSettings {
    /// Seconds clients wait before polling an open document again.
    pub polling_interval: u32,
    /// Days of publication a stream keeps; older days answer 410. `None`: all.
    pub retention_days: Option<u32>,
    /// Nodes built at once; more requests wait for a slot, and are answered 429 with
    /// `Retry-After` when none frees within 10 s.
    pub max_concurrent_nodes: usize,
}

impl Default for EventStreamSettings {
    fn default() -> Self {
        Self {
            polling_interval: 60,
            retention_days: None,
            max_concurrent_nodes: 16,
        }
    }
}

/// Counts the nodes being built against the limit.
pub struct NodeSlots {
    running: AtomicUsize,
    limit: usize,
}

/// A node being built; its slot is given back when it is dropped.
pub struct NodeSlot<'a>(&'a NodeSlots);

impl NodeSlots {
    /// At most `limit` nodes at once.
    pub fn new(limit: usize) -> Self {
        Self {
            running: AtomicUsize::new(0),
            limit: limit.max(1),
        }
    }

    /// A slot as soon as one is free, waiting at most `wait`: a client that fetches many
    /// pages at once is served in turn rather than refused; `None` when the wait ran out.
    pub async fn enter_within(&self, wait: Duration) -> Option<NodeSlot<'_>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(slot) = self.enter() {
                return Some(slot);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// A slot, or `None` when all are taken.
    pub fn enter(&self) -> Option<NodeSlot<'_>> {
        self.running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .ok()
            .map(|_| NodeSlot(self))
    }
}

impl Drop for NodeSlot<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

fn overloaded(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "overloaded",
        "Too many requests",
        format!(
            "{limit} event-stream nodes have been building for as long as this request waited, the most this server builds at once; retry shortly"
        ),
    )
    .with_retry_after(1)
}

/// The published shape of the members (`tree:shape`).
const SHAPE_TURTLE: &str = include_str!("../../../shapes/observation.ttl");
const SHAPE_IRI: &str = "https://w3id.org/belfort/shapes#ObservationShape";

/// The document builder for a server at `public_base`.
pub fn documents(public_base: &str, settings: &EventStreamSettings) -> EventStreamDocuments {
    let mut documents = EventStreamDocuments::new(&format!("{public_base}/ldes"));
    documents.polling_interval = settings.polling_interval;
    documents.retention = settings.retention_days.map(|days| format!("P{days}D"));
    let shape = oxrdfio::RdfParser::from_format(RdfFormat::Turtle)
        .for_slice(SHAPE_TURTLE.as_bytes())
        .filter_map(Result::ok)
        .map(Triple::from)
        .collect::<Vec<_>>();
    documents.shape = Some((NamedNode::new_unchecked(SHAPE_IRI), shape));
    documents
}

/// What a path under `/ldes/` names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Root(String),
    /// A month, by its first day.
    Month(String, NaiveDate),
    Day(String, NaiveDate),
    Page(String, NaiveDate, u64),
}

/// A stream name: one to three segments of lower-case letters, digits and dashes, each
/// starting with a letter (so never a day or a page number).
fn is_stream_name(name: &str) -> bool {
    let segments: Vec<&str> = name.split('/').collect();
    (1..=3).contains(&segments.len())
        && segments
            .iter()
            .all(|s| crate::quality::is_key(s) && s.starts_with(|c: char| c.is_ascii_lowercase()))
}

fn parse_target(path: &str) -> Option<Target> {
    let path = path.trim_end_matches('/');
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    if let Some((rest, last)) = path.rsplit_once('/') {
        if let Some(day) = date(last) {
            return is_stream_name(rest).then(|| Target::Day(rest.to_owned(), day));
        }
        if last.len() == 7
            && let Some(month) = date(&format!("{last}-01"))
        {
            return is_stream_name(rest).then(|| Target::Month(rest.to_owned(), month));
        }
        if let (Ok(index), Some((stream, day))) = (last.parse::<u64>(), rest.rsplit_once('/'))
            && let Some(day) = date(day)
        {
            return is_stream_name(stream).then(|| Target::Page(stream.to_owned(), day, index));
        }
    }
    is_stream_name(path).then(|| Target::Root(path.to_owned()))
}

fn day_end(day: NaiveDate) -> DateTime<Utc> {
    day_bounds(day).1
}

fn is_day_over(day: NaiveDate, now: DateTime<Utc>) -> bool {
    now >= day_end(day) + CLOSING_GRACE
}

fn is_month_over(month: NaiveDate, now: DateTime<Utc>) -> bool {
    now >= month_bounds(month).1 + CLOSING_GRACE
}

/// Whether a day has left the retention window.
fn is_expired(day: NaiveDate, settings: &EventStreamSettings, now: DateTime<Utc>) -> bool {
    settings
        .retention_days
        .is_some_and(|days| day_end(day) + chrono::Duration::days(i64::from(days)) <= now)
}

/// Where the ingest wrote the member index: the graph, and the prefix of every stream root.
#[derive(Debug, Clone)]
pub struct StoredIndex {
    /// The named graph of the index.
    pub graph: NamedNode,
    /// What every stored stream root starts with.
    pub prefix: String,
}

impl StoredIndex {
    /// The index the ingest writes for IRIs minted under `iri_base`.
    pub fn for_base(iri_base: &str) -> Option<Self> {
        let minter = belfort_model::IriMinter::new(iri_base).ok()?;
        Some(Self {
            graph: minter.event_stream_graph(),
            prefix: minter.event_stream_prefix(),
        })
    }

    fn root(&self, stream: &str) -> String {
        format!("{}{stream}", self.prefix)
    }
}

fn iri_of(term: &Option<Term>) -> Option<&str> {
    match term {
        Some(Term::NamedNode(n)) => Some(n.as_str()),
        _ => None,
    }
}

/// The names of the streams that have members (`all`, `gent/traffic`), sorted.
pub fn stream_names(state: &AppState) -> Result<Vec<String>, ApiError> {
    let prefix = &state.stored_index.prefix;
    let answer = state.store.query(
        &format!(
            "SELECT DISTINCT ?root WHERE {{ GRAPH {} {{ ?root <{}> ?day }} }} ORDER BY ?root",
            state.stored_index.graph,
            belfort::LDES_DAY.as_str()
        ),
        &QueryOptions {
            max_results: 10_000,
            timeout: Some(state.config.query_timeout),
            ..QueryOptions::default()
        },
    )?;
    let QueryAnswer::Solutions { rows, .. } = answer else {
        return Ok(Vec::new());
    };
    Ok(rows
        .iter()
        .filter_map(|row| iri_of(&row[0]))
        .filter_map(|root| root.strip_prefix(prefix.as_str()))
        .map(str::to_owned)
        .collect())
}

/// `GET /ldes`: the streams.
pub async fn list(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let worker = state.clone();
    let streams = web::block(move || stream_names(&worker))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))??;
    let triples = state.event_streams.list(&streams);
    let html_page = || {
        let mut body = String::from(
            "<h1>Event streams</h1>\n<p>Linked Data Event Streams of every observation, one per city and property family and one of everything (<code>all</code>). Point an LDES client at a stream's address.</p>\n<ul>\n",
        );
        for stream in &streams {
            let root = state.event_streams.root_iri(stream);
            body.push_str(&format!(
                "<li><a href=\"{}\">{}</a></li>\n",
                html::attr(root.as_str()),
                html::text(stream)
            ));
        }
        body.push_str("</ul>\n");
        html::page(&state.public_base, "Event streams", &body)
    };
    respond(
        &request,
        triples,
        html_page,
        &format!(
            "public, max-age={}",
            state.config.event_streams.polling_interval
        ),
    )
}

/// `GET /ldes/{path}`: a root node, a day node or a page.
pub async fn node(
    request: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let Some(target) = parse_target(&path) else {
        return Err(ApiError::not_found(format!(
            "no event stream node `{path}`"
        )));
    };
    let _slot = state
        .node_slots
        .enter_within(NODE_QUEUE_WAIT)
        .await
        .ok_or_else(|| overloaded(state.config.event_streams.max_concurrent_nodes))?;
    let now = Utc::now();
    let open = format!(
        "public, max-age={}",
        state.config.event_streams.polling_interval
    );
    match target {
        Target::Root(stream) => {
            let days = days_of(&state, &stream).await?;
            if days.is_empty() {
                return Err(ApiError::not_found(format!("no event stream `{stream}`")));
            }
            let kept: Vec<NaiveDate> = days
                .into_iter()
                .filter(|d| !is_expired(*d, &state.config.event_streams, now))
                .collect();
            let triples = state.event_streams.root(&stream, &kept);
            let title = format!("Event stream {stream}");
            respond(
                &request,
                triples,
                || listing_html(&title, &state, &stream, &kept),
                &open,
            )
        }
        Target::Month(stream, month) => {
            let last_day = month_bounds(month)
                .1
                .date_naive()
                .pred_opt()
                .unwrap_or(month);
            if is_expired(last_day, &state.config.event_streams, now) {
                return Err(gone(&path));
            }
            let days: Vec<NaiveDate> = days_of(&state, &stream)
                .await?
                .into_iter()
                .filter(|d| month_of(*d) == month)
                .filter(|d| !is_expired(*d, &state.config.event_streams, now))
                .collect();
            if days.is_empty() {
                return Err(ApiError::not_found(format!(
                    "stream `{stream}` published nothing in {}",
                    month.format("%Y-%m")
                )));
            }
            let triples = state.event_streams.month(&stream, month, &days);
            let cache = if is_month_over(month, now) {
                IMMUTABLE
            } else {
                &open
            };
            let title = format!("Event stream {stream}, {}", month.format("%Y-%m"));
            respond(
                &request,
                triples,
                || listing_html(&title, &state, &stream, &days),
                cache,
            )
        }
        Target::Day(stream, day) => {
            if is_expired(day, &state.config.event_streams, now) {
                return Err(gone(&path));
            }
            let pages = pages_of(&state, &stream, day).await?;
            if pages.is_empty() {
                return Err(ApiError::not_found(format!(
                    "stream `{stream}` published nothing on {day}"
                )));
            }
            let triples = state.event_streams.day(&stream, day, &pages);
            let cache = if is_day_over(day, now) {
                IMMUTABLE
            } else {
                &open
            };
            let title = format!("Event stream {stream}, {day}");
            let text = "A day node: ask for an RDF syntax to read its relations.".to_owned();
            respond(
                &request,
                triples,
                || note_page(&state, &title, &text),
                cache,
            )
        }
        Target::Page(stream, day, index) => {
            if is_expired(day, &state.config.event_streams, now) {
                return Err(gone(&path));
            }
            let day_iri = day_node(&state.stored_index.root(&stream), day);
            let this_and_next = vec![
                NamedNode::new_unchecked(page_node(&day_iri, index)),
                NamedNode::new_unchecked(page_node(&day_iri, index.saturating_add(1))),
            ];
            let known = about(&state, this_and_next.clone(), Some(belfort::FIRST_ISSUED)).await?;
            let exists = |page: &NamedNode| {
                known.iter().any(
                    |t| matches!(&t.subject, oxrdf::NamedOrBlankNode::NamedNode(n) if n == page),
                )
            };
            if !exists(&this_and_next[0]) {
                return Err(ApiError::not_found(format!(
                    "stream `{stream}` has no page {index} on {day}"
                )));
            }
            let closed = is_day_over(day, now) || exists(&this_and_next[1]);
            let media_type = crate::negotiate::choose(&request, RDF_MEDIA_TYPES)
                .ok_or_else(|| ApiError::not_acceptable(RDF_MEDIA_TYPES))?;
            // The TREE profile: Turtle with the hypermedia first, then member after member.
            let media_type = if media_type == TURTLE
                && crate::negotiate::asks_profile(&request, TURTLE, TREE_PROFILE)
            {
                TREE_PROFILE_TURTLE
            } else {
                media_type
            };
            // A closed page never changes: once rendered, it is served from memory, or from
            // the disk when memory no longer holds it.
            let cache_key = format!("ldes {media_type} {path}");
            let kept_key = format!("{} {cache_key}", state.public_base);
            if closed {
                if let Some(body) = state.page_cache.get(&cache_key) {
                    crate::metrics::Metrics::bump(&state.metrics.page_cache_hits);
                    return Ok(reply(&request, media_type, body, IMMUTABLE));
                }
                let reader = state.clone();
                let key = kept_key.clone();
                if let Ok(Some(body)) = web::block(move || reader.kept_pages.get(day, &key)).await {
                    crate::metrics::Metrics::bump(&state.metrics.kept_page_hits);
                    state.page_cache.put(&cache_key, body.clone());
                    return Ok(reply(&request, media_type, body, IMMUTABLE));
                }
            }
            let (members, content) = page_members(&state, &stream, day, index).await?;
            let triples = state
                .event_streams
                .page(&stream, day, index, &members, content);
            let title = format!("Event stream {stream}, {day}, page {index}");
            let text = format!(
                "{} members: ask for an RDF syntax to read them.",
                members.len()
            );
            let body: web::Bytes = if media_type == TREE_PROFILE_TURTLE {
                respond::serialize_triples(TURTLE, tree_profile_order(triples, &members))?
            } else {
                render(media_type, triples, || note_page(&state, &title, &text))?
            }
            .into();
            if closed {
                state.page_cache.put(&cache_key, body.clone());
                let writer = state.clone();
                let kept = body.clone();
                // Keeping it is an optimisation: a failure only means rendering it again.
                let _ = web::block(move || writer.kept_pages.put(day, &kept_key, &kept)).await;
                Ok(reply(&request, media_type, body, IMMUTABLE))
            } else {
                Ok(reply(&request, media_type, body, &open))
            }
        }
    }
}

/// An HTML page with a title and one paragraph.
fn note_page(state: &AppState, title: &str, text: &str) -> String {
    html::page(
        &state.public_base,
        title,
        &format!(
            "<h1>{}</h1>\n<p>{}</p>\n",
            html::text(title),
            html::text(text)
        ),
    )
}

fn gone(path: &str) -> ApiError {
    ApiError::new(
        StatusCode::GONE,
        "retention-expired",
        "Gone",
        format!("`/ldes/{path}` is older than the stream's retention period"),
    )
}

fn listing_html(title: &str, state: &AppState, stream: &str, days: &[NaiveDate]) -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p>A node of the stream, listing its days; the members are observations, ordered by publication time (<code>dct:issued</code>).</p>\n<ul>\n",
        html::text(title)
    );
    for day in days {
        let iri = state.event_streams.day_iri(stream, *day);
        body.push_str(&format!(
            "<li><a href=\"{}\">{day}</a></li>\n",
            html::attr(iri.as_str())
        ));
    }
    body.push_str("</ul>\n");
    html::page(&state.public_base, title, &body)
}

/// The statements about `subjects`, read on a blocking thread.
async fn about(
    state: &web::Data<AppState>,
    subjects: Vec<NamedNode>,
    predicate: Option<oxrdf::NamedNodeRef<'static>>,
) -> Result<Vec<Triple>, ApiError> {
    let worker = state.clone();
    let predicate = predicate.map(oxrdf::NamedNodeRef::into_owned);
    Ok(
        web::block(move || worker.store.triples_about(&subjects, predicate.as_ref()))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))??,
    )
}

/// The objects of `predicate` in `triples`, IRIs only, each once, in order.
fn linked(triples: &[Triple], predicate: oxrdf::NamedNodeRef<'_>) -> Vec<NamedNode> {
    let mut seen = HashSet::new();
    triples
        .iter()
        .filter(|t| t.predicate == predicate)
        .filter_map(|t| match &t.object {
            Term::NamedNode(n) if seen.insert(n.clone()) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

async fn days_of(state: &web::Data<AppState>, stream: &str) -> Result<Vec<NaiveDate>, ApiError> {
    let root = NamedNode::new_unchecked(state.stored_index.root(stream));
    let triples = about(state, vec![root], Some(belfort::LDES_DAY)).await?;
    let mut days: Vec<NaiveDate> = linked(&triples, belfort::LDES_DAY)
        .iter()
        .filter_map(|day| day_of(day.as_str()))
        .collect();
    days.sort_unstable();
    days.dedup();
    Ok(days)
}

async fn pages_of(
    state: &web::Data<AppState>,
    stream: &str,
    day: NaiveDate,
) -> Result<Vec<PageBound>, ApiError> {
    let day_iri = day_node(&state.stored_index.root(stream), day);
    let day_triples = about(
        state,
        vec![NamedNode::new_unchecked(day_iri)],
        Some(belfort::LDES_PAGE),
    )
    .await?;
    let pages = linked(&day_triples, belfort::LDES_PAGE);
    let page_triples = about(state, pages, Some(belfort::FIRST_ISSUED)).await?;
    let mut bounds: Vec<PageBound> = page_triples
        .iter()
        .filter(|t| t.predicate == belfort::FIRST_ISSUED)
        .filter_map(|t| {
            let oxrdf::NamedOrBlankNode::NamedNode(page) = &t.subject else {
                return None;
            };
            let index = page_index_of(page.as_str())?;
            let Term::Literal(first) = &t.object else {
                return None;
            };
            Some(PageBound {
                index,
                first_issued: first.value().parse().ok()?,
            })
        })
        .collect();
    bounds.sort_by_key(|p| p.index);
    bounds.dedup_by_key(|p| p.index);
    Ok(bounds)
}

/// The members of a page and their content: each observation's own statements, its result
/// and its phenomenon time (with the interval's instants), so that a client following the
/// member-extraction algorithm with the stream's shape gets the whole observation. Read by
/// index lookups, level by level.
async fn page_members(
    state: &web::Data<AppState>,
    stream: &str,
    day: NaiveDate,
    index: u64,
) -> Result<(Vec<NamedNode>, Vec<Triple>), ApiError> {
    let page = page_node(&day_node(&state.stored_index.root(stream), day), index);
    let page_triples = about(
        state,
        vec![NamedNode::new_unchecked(page)],
        Some(tree::MEMBER),
    )
    .await?;
    let mut members = linked(&page_triples, tree::MEMBER);
    members.truncate(MAX_MEMBERS);
    members.sort_unstable();
    let mut content = about(state, members.clone(), None).await?;
    let mut next: Vec<NamedNode> = linked(&content, sosa::HAS_RESULT);
    next.extend(linked(&content, sosa::PHENOMENON_TIME));
    let times = about(state, next, None).await?;
    let mut instants = linked(&times, time::HAS_BEGINNING);
    instants.extend(linked(&times, time::HAS_END));
    instants.sort_unstable();
    instants.dedup();
    content.extend(times);
    content.extend(about(state, instants, None).await?);
    Ok((members, content))
}

/// Serialises `triples` as negotiated and answers with it.
fn respond(
    request: &HttpRequest,
    triples: Vec<Triple>,
    html_page: impl FnOnce() -> String,
    cache_control: &str,
) -> Result<HttpResponse, ApiError> {
    let media_type = crate::negotiate::choose(request, RDF_MEDIA_TYPES)
        .ok_or_else(|| ApiError::not_acceptable(RDF_MEDIA_TYPES))?;
    let body = render(media_type, triples, html_page)?;
    Ok(reply(request, media_type, body.into(), cache_control))
}

/// The bytes of a document: HTML for people, else the triples in one canonical order (the same
/// data gives the same bytes whatever order the store answered in, and Turtle states each
/// node in one block).
fn render(
    media_type: &str,
    triples: Vec<Triple>,
    html_page: impl FnOnce() -> String,
) -> Result<Vec<u8>, ApiError> {
    if media_type == HTML {
        return Ok(html_page().into_bytes());
    }
    // The order is that of the N-Triples lines, so for the line-based syntaxes the sorted
    // lines are the document.
    let mut lines: Vec<(String, Triple)> =
        triples.into_iter().map(|t| (t.to_string(), t)).collect();
    lines.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    lines.dedup_by(|a, b| a.0 == b.0);
    if matches!(
        respond::rdf_format(media_type),
        Some(RdfFormat::NTriples | RdfFormat::NQuads)
    ) {
        let mut document = Vec::with_capacity(lines.iter().map(|(line, _)| line.len() + 3).sum());
        for (line, _) in &lines {
            document.extend_from_slice(line.as_bytes());
            document.extend_from_slice(b" .\n");
        }
        return Ok(document);
    }
    respond::serialize_triples(media_type, lines.into_iter().map(|(_, t)| t).collect())
}

/// A 200 (or a 304 for a client that has it) whose ETag is a digest of the bytes, so a
/// document that does not change keeps its validator.
fn reply(
    request: &HttpRequest,
    media_type: &str,
    body: web::Bytes,
    cache_control: &str,
) -> HttpResponse {
    let mut digest = Sha256::new();
    digest.update(media_type.as_bytes());
    digest.update(&body);
    let etag = format!("\"{}\"", &hex::encode(digest.finalize())[..32]);
    if respond::is_not_modified(request, &etag) {
        return respond::not_modified(&etag, cache_control);
    }
    let mut response = respond::representation(media_type, body, &etag, cache_control);
    response.headers_mut().insert(
        header::HeaderName::from_static("x-content-type-options"),
        header::HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_slots_are_bounded_and_given_back() {
        let slots = NodeSlots::new(2);
        let first = slots.enter();
        let second = slots.enter();
        assert!(first.is_some() && second.is_some());
        assert!(slots.enter().is_none());
        drop(first);
        assert!(slots.enter().is_some());
        assert_eq!(overloaded(2).status, StatusCode::TOO_MANY_REQUESTS);
    }

    #[test]
    fn a_request_waits_for_a_node_slot_and_is_refused_only_when_none_frees() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let slots = NodeSlots::new(1);
            let held = slots.enter();
            assert!(held.is_some());
            let started = std::time::Instant::now();
            assert!(
                slots
                    .enter_within(Duration::from_millis(50))
                    .await
                    .is_none(),
                "no slot frees: refused after the wait"
            );
            assert!(started.elapsed() >= Duration::from_millis(50));
            let waiting = slots.enter_within(Duration::from_secs(5));
            let release = async {
                tokio::time::sleep(Duration::from_millis(30)).await;
                drop(held);
            };
            let (slot, ()) = tokio::join!(waiting, release);
            assert!(slot.is_some(), "the slot freed while waiting is taken");
        });
    }

    #[test]
    fn line_documents_are_the_serialiser_s_bytes_in_canonical_order_each_statement_once() {
        let s = NamedNode::new_unchecked("https://x.example/id/observation/1");
        let p = NamedNode::new_unchecked("https://x.example/p");
        let literal = |l: oxrdf::Literal| Triple::new(s.clone(), p.clone(), l);
        let triples = vec![
            literal(oxrdf::Literal::new_simple_literal(
                "quote \" tab \t line\n é \u{1F600}",
            )),
            Triple::new(
                s.clone(),
                p.clone(),
                NamedNode::new_unchecked("https://x.example/b"),
            ),
            literal(oxrdf::Literal::new_language_tagged_literal_unchecked(
                "x", "nl-be",
            )),
            literal(oxrdf::Literal::new_typed_literal(
                "3.5",
                belfort_vocab::xsd::DECIMAL,
            )),
            Triple::new(
                s.clone(),
                p.clone(),
                NamedNode::new_unchecked("https://x.example/b"),
            ),
        ];
        let mut expected = triples.clone();
        expected.sort_by_cached_key(ToString::to_string);
        expected.dedup();
        for media_type in ["application/n-triples", "application/n-quads"] {
            let written =
                render(media_type, triples.clone(), String::new).unwrap_or_else(|e| panic!("{e}"));
            let serialised = respond::serialize_triples(media_type, expected.clone())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                String::from_utf8_lossy(&written),
                String::from_utf8_lossy(&serialised)
            );
        }
        let turtle = render("text/turtle", triples, String::new).unwrap_or_else(|e| panic!("{e}"));
        let parsed = oxrdfio::RdfParser::from_format(RdfFormat::Turtle)
            .for_slice(&turtle)
            .count();
        assert_eq!(parsed, 4);
    }

    #[test]
    fn paths_name_roots_days_and_pages() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default();
        assert_eq!(parse_target("all"), Some(Target::Root("all".into())));
        assert_eq!(
            parse_target("gent/air-quality"),
            Some(Target::Root("gent/air-quality".into()))
        );
        assert_eq!(
            parse_target("gent/traffic/2026-11-26"),
            Some(Target::Day("gent/traffic".into(), day))
        );
        assert_eq!(
            parse_target("all/2026-11-26/3"),
            Some(Target::Page("all".into(), day, 3))
        );
        assert_eq!(
            parse_target("gent/traffic/2026-11"),
            Some(Target::Month(
                "gent/traffic".into(),
                NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
            ))
        );
        assert_eq!(parse_target("all/2026-13"), None);
        assert_eq!(parse_target("../etc"), None);
        assert_eq!(parse_target("all/2026-13-40"), None);
        assert_eq!(parse_target("a/b/c/d"), None);
        assert_eq!(parse_target("Gent"), None);
    }
}
