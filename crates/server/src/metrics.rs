//! `/metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{HttpResponse, web};

use crate::AppState;

/// Counters of what the server did since it started.
#[derive(Default)]
pub struct Metrics {
    pub fragment_requests: AtomicU64,
    pub restricted_fragment_requests: AtomicU64,
    pub sparql_queries: AtomicU64,
    pub sparql_timeouts: AtomicU64,
    pub sparql_rejected_overload: AtomicU64,
    pub sparql_truncated: AtomicU64,
    pub dereferences: AtomicU64,
    pub not_modified: AtomicU64,
    pub page_cache_hits: AtomicU64,
    pub kept_page_hits: AtomicU64,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The metrics page.
pub async fn report(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    let counters = [
        (
            "belfort_fragment_requests_total",
            "Triple/Quad Pattern Fragment pages served.",
            &m.fragment_requests,
        ),
        (
            "belfort_restricted_fragment_requests_total",
            "Bindings-restricted fragment pages (brTPF, the values parameter) served.",
            &m.restricted_fragment_requests,
        ),
        (
            "belfort_sparql_queries_total",
            "SPARQL queries evaluated.",
            &m.sparql_queries,
        ),
        (
            "belfort_sparql_timeouts_total",
            "SPARQL queries stopped by the time limit.",
            &m.sparql_timeouts,
        ),
        (
            "belfort_sparql_rejected_total",
            "SPARQL queries refused because too many were running.",
            &m.sparql_rejected_overload,
        ),
        (
            "belfort_sparql_truncated_total",
            "SPARQL answers cut at the result limit.",
            &m.sparql_truncated,
        ),
        (
            "belfort_dereferences_total",
            "IRIs dereferenced under /id/.",
            &m.dereferences,
        ),
        (
            "belfort_not_modified_total",
            "Requests answered 304 Not Modified.",
            &m.not_modified,
        ),
        (
            "belfort_page_cache_hits_total",
            "Fragment pages served from the page cache.",
            &m.page_cache_hits,
        ),
        (
            "belfort_kept_page_hits_total",
            "Closed event-stream pages served from their rendering kept on disk.",
            &m.kept_page_hits,
        ),
    ];
    let mut body = String::new();
    for (name, help, counter) in counters {
        let _ = writeln!(
            body,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            counter.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        body,
        "# HELP belfort_sparql_running SPARQL queries running now.\n# TYPE belfort_sparql_running gauge\nbelfort_sparql_running {}",
        state.queries.running()
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}
