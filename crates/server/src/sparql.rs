//! `/sparql`: the SPARQL 1.1 Protocol, read-only and bounded.
//!
//! Queries run on their own threads, at most `max_concurrent_queries` at once (429 beyond).
//! Each is stopped at its time limit, and as soon as its client goes away. An answer is
//! materialised up to the result limit before the first byte is sent, so an error is never
//! streamed inside a 200 and a cut answer is never sent as if it were complete.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::Extensions;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use belfort_store::{QueryAnswer, QueryCancellation, QueryOptions, StoreError};
use futures_util::StreamExt;
use oxrdf::NamedNode;
use sparesults::{QueryResultsFormat, QueryResultsSerializer};

use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::respond::{self, HTML};
use crate::{AppState, html, negotiate};

/// Result formats of SELECT and ASK, the default first.
const RESULT_MEDIA_TYPES: &[&str] = &[
    "application/sparql-results+json",
    "application/json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
];

/// Graph formats of CONSTRUCT and DESCRIBE, the default first.
const GRAPH_MEDIA_TYPES: &[&str] = &[
    "text/turtle",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/ld+json",
    "application/rdf+xml",
];

/// The header that marks an answer cut at the result limit.
const TRUNCATED_HEADER: &str = "Belfort-Result-Truncated";

/// Counts running queries against the limit.
pub struct QuerySlots {
    running: AtomicUsize,
    limit: usize,
}

impl QuerySlots {
    /// At most `limit` queries at once.
    pub fn new(limit: usize) -> Self {
        Self {
            running: AtomicUsize::new(0),
            limit: limit.max(1),
        }
    }

    /// Queries running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    fn try_take(&self) -> bool {
        self.running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .is_ok()
    }

    fn give_back(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A query taken from a request.
struct QueryRequest {
    query: String,
    default_graphs: Vec<NamedNode>,
    named_graphs: Vec<NamedNode>,
    /// The client accepts an answer cut at the result limit.
    partial: bool,
}

/// Cancels the query when the request handler is dropped (the client went away) or done.
struct CancelOnDrop(QueryCancellation);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A second handle on a client's socket, to notice when the client goes away while its query
/// runs (the HTTP layer only notices when it next reads or writes).
#[derive(Clone)]
pub struct ClientSocket(Arc<std::net::TcpStream>);

impl ClientSocket {
    /// The client closed or reset the connection.
    fn is_gone(&self) -> bool {
        let mut byte = [0_u8; 1];
        match self.0.peek(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
        }
    }
}

/// Prepares each accepted connection: no Nagle delay, and a duplicate of its socket in the
/// connection's data.
pub fn remember_client_socket(connection: &dyn std::any::Any, data: &mut Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        // A compressed body goes out in several small writes (chunks); with Nagle's algorithm
        // the last one waits for the client's delayed ACK, about 40 ms per response.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "cannot disable Nagle's algorithm");
        }
    }
    #[cfg(unix)]
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        use std::os::fd::AsFd;
        // The duplicate shares the socket's non-blocking mode, so peeking never waits.
        if let Ok(fd) = stream.as_fd().try_clone_to_owned() {
            data.insert(ClientSocket(Arc::new(std::net::TcpStream::from(fd))));
        }
    }
}

/// How often a waiting query looks whether its client is still there.
const CLIENT_CHECK: Duration = Duration::from_millis(100);

/// Collects protocol parameters; `query_text` comes from the body for direct POST.
fn from_pairs(
    pairs: impl Iterator<Item = (String, String)>,
    mut query_text: Option<String>,
) -> Result<Option<QueryRequest>, ApiError> {
    let mut default_graphs = Vec::new();
    let mut named_graphs = Vec::new();
    let mut partial = false;
    let graph = |name: &str, value: &str| {
        NamedNode::new(value)
            .map_err(|e| ApiError::bad_request("invalid-graph", format!("{name} `{value}`: {e}")))
    };
    for (name, value) in pairs {
        match name.as_str() {
            "query" if query_text.is_some() => {
                return Err(ApiError::bad_request(
                    "repeated-query",
                    "exactly one query is allowed per request",
                ));
            }
            "query" => query_text = Some(value),
            "update" | "using-graph-uri" | "using-named-graph-uri" => return Err(read_only()),
            "default-graph-uri" => default_graphs.push(graph(&name, &value)?),
            "named-graph-uri" => named_graphs.push(graph(&name, &value)?),
            "partial" => partial = matches!(value.as_str(), "" | "true" | "1" | "yes"),
            _ => {}
        }
    }
    Ok(query_text.map(|query| QueryRequest {
        query,
        default_graphs,
        named_graphs,
        partial,
    }))
}

fn read_only() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "read-only",
        "Read-only endpoint",
        "this endpoint answers queries only; updates are not accepted",
    )
}

fn query_pairs(request: &HttpRequest) -> impl Iterator<Item = (String, String)> + '_ {
    url::form_urlencoded::parse(request.query_string().as_bytes()).into_owned()
}

/// GET: a query in the query string, or the query page for a browser.
pub async fn get(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    match from_pairs(query_pairs(&request), None)? {
        Some(query) => run(request, state, query).await,
        None if negotiate::choose(&request, &["application/sparql-results+json", HTML])
            == Some(HTML) =>
        {
            Ok(query_page(&state))
        }
        None => Err(ApiError::bad_request(
            "missing-query",
            "give the query in the `query` parameter",
        )),
    }
}

/// POST: a form (`query=`) or a query as the body (`application/sparql-query`).
pub async fn post(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if content_type == "application/sparql-update" {
        return Err(read_only());
    }
    let body = read_body(payload, state.config.max_body_bytes).await?;
    let body = String::from_utf8(body)
        .map_err(|_| ApiError::bad_request("invalid-encoding", "the request body is not UTF-8"))?;
    let query = match content_type.as_str() {
        "application/x-www-form-urlencoded" => {
            let pairs = url::form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .chain(query_pairs(&request));
            from_pairs(pairs, None)?
        }
        "application/sparql-query" => from_pairs(query_pairs(&request), Some(body))?,
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                format!(
                    "a query is posted as application/x-www-form-urlencoded or application/sparql-query, not `{other}`"
                ),
            ));
        }
    };
    match query {
        Some(query) => run(request, state, query).await,
        None => Err(ApiError::bad_request(
            "missing-query",
            "the form has no `query` field",
        )),
    }
}

async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("unreadable-body", e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body-too-large",
                "Request body too large",
                format!("the request body is limited to {limit} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn run(
    request: HttpRequest,
    state: web::Data<AppState>,
    query: QueryRequest,
) -> Result<HttpResponse, ApiError> {
    let results_type = negotiate::choose(&request, RESULT_MEDIA_TYPES);
    let graph_type = negotiate::choose(&request, GRAPH_MEDIA_TYPES);
    if results_type.is_none() && graph_type.is_none() {
        let mut offered = RESULT_MEDIA_TYPES.to_vec();
        offered.extend_from_slice(GRAPH_MEDIA_TYPES);
        return Err(ApiError::not_acceptable(&offered));
    }
    if !state.queries.try_take() {
        Metrics::bump(&state.metrics.sparql_rejected_overload);
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
            "Too many queries",
            format!(
                "{} queries are running, the most this server runs at once; retry shortly",
                state.config.max_concurrent_queries
            ),
        )
        .with_retry_after(1));
    }
    Metrics::bump(&state.metrics.sparql_queries);
    let cancellation = QueryCancellation::new();
    let _cancel_on_drop = CancelOnDrop(cancellation.clone());
    let timeout = state.config.query_timeout;
    let options = QueryOptions {
        max_results: state.config.max_results,
        timeout: Some(timeout),
        cancellation: Some(cancellation),
        default_graphs: query.default_graphs,
        named_graphs: query.named_graphs,
        base_iri: Some(format!("{}/sparql", state.public_base)),
        ..QueryOptions::default()
    };
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let worker = state.clone();
    let text = query.query;
    let spawned = std::thread::Builder::new()
        .name("belfort-query".to_owned())
        .spawn(move || {
            let answer = worker.store.query(&text, &options);
            // The slot is given back only when the engine has really stopped.
            worker.queries.give_back();
            // The handler may have answered already (timeout, client gone).
            let _ = sender.send(answer);
        });
    if let Err(error) = spawned {
        state.queries.give_back();
        return Err(ApiError::internal(format!(
            "cannot start the query: {error}"
        )));
    }
    // The engine is asked to stop at the limit; the answer does not wait for it to notice.
    let client = request.conn_data::<ClientSocket>().cloned();
    let deadline = tokio::time::sleep(timeout + Duration::from_millis(250));
    tokio::pin!(deadline);
    tokio::pin!(receiver);
    let answer = loop {
        tokio::select! {
            answer = &mut receiver => match answer {
                Ok(answer) => break answer,
                Err(_) => return Err(ApiError::internal("the query thread ended without an answer")),
            },
            () = &mut deadline => break Err(StoreError::QueryTimeout {
                seconds: timeout.as_secs_f64(),
            }),
            () = tokio::time::sleep(CLIENT_CHECK) => {
                if client.as_ref().is_some_and(ClientSocket::is_gone) {
                    // Dropping `_cancel_on_drop` on return stops the engine.
                    return Err(StoreError::QueryCancelled.into());
                }
            }
        }
    };
    let answer = answer.map_err(|e| {
        if matches!(e, StoreError::QueryTimeout { .. }) {
            Metrics::bump(&state.metrics.sparql_timeouts);
        }
        ApiError::from(e)
    })?;
    respond_answer(&state, answer, results_type, graph_type, query.partial)
}

fn respond_answer(
    state: &AppState,
    answer: QueryAnswer,
    results_type: Option<&str>,
    graph_type: Option<&str>,
    partial: bool,
) -> Result<HttpResponse, ApiError> {
    let truncated = match &answer {
        QueryAnswer::Solutions { truncated, .. } | QueryAnswer::Graph { truncated, .. } => {
            *truncated
        }
        QueryAnswer::Boolean(_) => false,
    };
    if truncated {
        Metrics::bump(&state.metrics.sparql_truncated);
        if !partial {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "result-too-large",
                "Result too large",
                format!(
                    "the answer has more than {} rows or triples; add a LIMIT (and OFFSET to page), or pass partial=true to accept the first {} marked as cut",
                    state.config.max_results, state.config.max_results
                ),
            ));
        }
    }
    let (media_type, body) = match answer {
        QueryAnswer::Boolean(value) => {
            let media_type =
                results_type.ok_or_else(|| ApiError::not_acceptable(RESULT_MEDIA_TYPES))?;
            let body = QueryResultsSerializer::from_format(results_format(media_type))
                .serialize_boolean_to_writer(Vec::new(), value)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            (media_type, body)
        }
        QueryAnswer::Solutions {
            variables, rows, ..
        } => {
            let media_type =
                results_type.ok_or_else(|| ApiError::not_acceptable(RESULT_MEDIA_TYPES))?;
            let failed = |e: std::io::Error| ApiError::internal(e.to_string());
            let mut writer = QueryResultsSerializer::from_format(results_format(media_type))
                .serialize_solutions_to_writer(Vec::new(), variables.clone())
                .map_err(failed)?;
            for row in &rows {
                writer
                    .serialize(variables.iter().zip(row).filter_map(|(variable, value)| {
                        Some((variable.as_ref(), value.as_ref()?.as_ref()))
                    }))
                    .map_err(failed)?;
            }
            (media_type, writer.finish().map_err(failed)?)
        }
        QueryAnswer::Graph { triples, .. } => {
            let media_type =
                graph_type.ok_or_else(|| ApiError::not_acceptable(GRAPH_MEDIA_TYPES))?;
            (media_type, respond::serialize_triples(media_type, triples)?)
        }
    };
    let content_type = if media_type.starts_with("text/") {
        format!("{media_type}; charset=utf-8")
    } else {
        media_type.to_owned()
    };
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"));
    if truncated {
        response.insert_header((TRUNCATED_HEADER, state.config.max_results.to_string()));
        response.insert_header((
            header::WARNING,
            format!(
                "199 belfort \"answer cut at {} results\"",
                state.config.max_results
            ),
        ));
    }
    Ok(response.body(body))
}

fn results_format(media_type: &str) -> QueryResultsFormat {
    match media_type {
        "application/sparql-results+xml" => QueryResultsFormat::Xml,
        "text/csv" => QueryResultsFormat::Csv,
        "text/tab-separated-values" => QueryResultsFormat::Tsv,
        _ => QueryResultsFormat::Json,
    }
}

const EXAMPLE_QUERY: &str = "PREFIX sosa: <http://www.w3.org/ns/sosa/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?property (COUNT(?observation) AS ?observations)
WHERE { ?observation a sosa:Observation ; sosa:observedProperty ?property . }
GROUP BY ?property
ORDER BY DESC(?observations)";

fn query_page(state: &AppState) -> HttpResponse {
    let body = format!(
        r#"<form action="{endpoint}" method="get">
<textarea name="query" rows="14">{query}</textarea>
<p><button type="submit">Run query</button></p>
</form>
<p class="muted">Read-only SPARQL 1.1. Queries stop after {timeout} s; answers hold at most {max} rows
(add <code>partial=true</code> to accept the first {max} of a larger answer).
Without FROM, the default graph is the union of every graph.</p>"#,
        endpoint = html::attr(&format!("{}/sparql", state.public_base)),
        query = html::text(EXAMPLE_QUERY),
        timeout = state.config.query_timeout.as_secs_f64(),
        max = state.config.max_results,
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "Accept"))
        .body(html::page(&state.public_base, "SPARQL", &body))
}
