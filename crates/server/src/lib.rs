#![doc = include_str!("../README.md")]

mod counts;
mod dump;
mod error;
mod event_streams;
mod fragments;
mod html;
mod kept_pages;
mod metrics;
mod negotiate;
mod page_cache;
mod quality;
mod respond;
mod site;
mod sparql;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::{Compress, Condition, DefaultHeaders};
use actix_web::{App, HttpServer, guard, web};
use belfort_fragments::{EventStreamDocuments, FragmentPageBuilder};
use belfort_store::ObservationStore;

pub use error::ApiError;
pub use event_streams::EventStreamSettings;

use counts::CountCache;
use kept_pages::KeptPages;
use metrics::Metrics;
use page_cache::PageCache;
use sparql::QuerySlots;

/// How long an idle connection is kept open.
const KEEP_ALIVE: Duration = Duration::from_secs(75);

/// How the server behaves; every limit a client can meet is here.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address clients reach the server at, without a trailing slash (e.g.
    /// `https://data.stad.gent`); every link is built from it so paging works behind a reverse
    /// proxy. `None`: `http://` and the bound address.
    pub public_base: Option<String>,
    /// The base of the IRIs Belfort mints; `/id/…` dereferences the IRIs under it.
    pub iri_base: String,
    /// Matches per fragment page.
    pub page_size: usize,
    /// The highest fragment page served (deep pages cost a scan from the start).
    pub max_page: u64,
    /// Fragment counts are exact up to this many matches, estimated above it.
    pub exact_count_limit: u64,
    /// Time a SPARQL query may run.
    pub query_timeout: Duration,
    /// Rows or triples a SPARQL answer may hold.
    pub max_results: usize,
    /// SPARQL queries running at once; more are answered 429.
    pub max_concurrent_queries: usize,
    /// Largest request body accepted, in bytes; more is answered 413.
    pub max_body_bytes: usize,
    /// The licence of the published data (an IRI).
    pub licence: String,
    /// HTTP worker threads.
    pub workers: usize,
    /// Bytes of rendered pages kept in memory (0: none).
    pub page_cache_bytes: usize,
    /// Where closed event-stream pages are kept once rendered (`None`: nowhere).
    pub kept_pages_dir: Option<std::path::PathBuf>,
    /// Bytes of closed event-stream pages kept on disk (0: none).
    pub kept_pages_bytes: u64,
    /// How the event streams are published.
    pub event_streams: EventStreamSettings,
    /// Compress bodies (gzip, brotli) for clients that accept it; off where compression only
    /// costs time: clients on the same host, or a reverse proxy that compresses.
    pub compress: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            public_base: None,
            iri_base: "https://w3id.org/belfort/id/".to_owned(),
            page_size: 100,
            max_page: 10_000,
            exact_count_limit: 1_000_000,
            query_timeout: Duration::from_secs(10),
            max_results: 10_000,
            max_concurrent_queries: 2,
            max_body_bytes: 64 * 1024,
            licence: "https://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"
                .to_owned(),
            workers: 2,
            page_cache_bytes: 64 * 1024 * 1024,
            kept_pages_dir: None,
            kept_pages_bytes: 4 * 1024 * 1024 * 1024,
            event_streams: EventStreamSettings::default(),
            compress: true,
        }
    }
}

/// What every request handler shares.
pub(crate) struct AppState {
    pub store: Arc<dyn ObservationStore>,
    pub config: ServerConfig,
    /// `config.public_base`, resolved.
    pub public_base: String,
    pub fragments: FragmentPageBuilder,
    pub event_streams: EventStreamDocuments,
    pub node_slots: event_streams::NodeSlots,
    pub stored_index: event_streams::StoredIndex,
    pub counts: CountCache,
    /// The counts of bindings-restricted fragments' rows, taken at a lower cap: kept apart, so
    /// that a row's floor never stands as the count of the same pattern asked as a fragment.
    pub row_counts: CountCache,
    pub page_cache: PageCache,
    pub kept_pages: KeptPages,
    pub queries: QuerySlots,
    pub metrics: Metrics,
    pub dumps: dump::DumpSlots,
}

/// A server running on its own thread.
pub struct RunningServer {
    address: SocketAddr,
    public_base: String,
    handle: ServerHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The public base address is not a usable IRI.
    #[error("public base address `{0}` is not an absolute IRI")]
    PublicBase(String),
    /// The base of minted IRIs is not usable.
    #[error("IRI base `{0}` is not an absolute IRI ending with `/`")]
    IriBase(String),
    /// The HTTP runtime failed to start.
    #[error("the HTTP server failed to start: {0}")]
    Runtime(std::io::Error),
}

impl RunningServer {
    /// Binds `bind` (port 0 picks a free port) and serves `store` until stopped.
    pub fn start(
        store: Arc<dyn ObservationStore>,
        config: ServerConfig,
        bind: &str,
    ) -> Result<Self, StartError> {
        let listener = TcpListener::bind(bind).map_err(|source| StartError::Bind {
            address: bind.to_owned(),
            source,
        })?;
        let address = listener.local_addr().map_err(|source| StartError::Bind {
            address: bind.to_owned(),
            source,
        })?;
        let public_base = config
            .public_base
            .clone()
            .unwrap_or_else(|| format!("http://{address}"))
            .trim_end_matches('/')
            .to_owned();
        let fragments =
            FragmentPageBuilder::new(&format!("{public_base}/fragments"), config.page_size)
                .map_err(|_| StartError::PublicBase(public_base.clone()))?;
        let stored_index = event_streams::StoredIndex::for_base(&config.iri_base)
            .ok_or_else(|| StartError::IriBase(config.iri_base.clone()))?;
        let state = web::Data::new(AppState {
            store,
            queries: QuerySlots::new(config.max_concurrent_queries),
            counts: CountCache::default(),
            row_counts: CountCache::default(),
            page_cache: PageCache::new(config.page_cache_bytes),
            kept_pages: KeptPages::open(
                config.kept_pages_dir.as_deref(),
                config.kept_pages_bytes,
                config.event_streams.retention_days,
            ),
            metrics: Metrics::default(),
            event_streams: event_streams::documents(&public_base, &config.event_streams),
            node_slots: event_streams::NodeSlots::new(config.event_streams.max_concurrent_nodes),
            dumps: dump::DumpSlots::default(),
            stored_index,
            public_base: public_base.clone(),
            fragments,
            config: config.clone(),
        });
        let (sender, receiver) = std::sync::mpsc::channel();
        let workers = config.workers.max(1);
        let compress = config.compress;
        let thread = std::thread::Builder::new()
            .name("belfort-http".to_owned())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(state.clone())
                            .wrap(Condition::new(compress, Compress::default()))
                            .wrap(
                                DefaultHeaders::new()
                                    .add(("Access-Control-Allow-Origin", "*"))
                                    .add(("Access-Control-Expose-Headers", "ETag, Link, Location, Retry-After, Belfort-Result-Truncated")),
                            )
                            .configure(routes)
                    })
                    .on_connect(sparql::remember_client_socket)
                    // Longer than clients' own idle timeouts (undici: 4 s), so that a client
                    // never sends a request on a connection the server is closing.
                    .keep_alive(KEEP_ALIVE)
                    .workers(workers)
                    .listen(listener)?
                    .run();
                    // The receiver only goes away if start() gave up waiting; nothing to do then.
                    let _ = sender.send(server.handle());
                    server.await
                })
            })
            .map_err(StartError::Runtime)?;
        let handle = receiver.recv().map_err(|_| {
            StartError::Runtime(std::io::Error::other(
                "the HTTP thread ended before serving",
            ))
        })?;
        Ok(Self {
            address,
            public_base,
            handle,
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The address clients use (the configured public base, or `http://` + the bound address).
    pub fn public_base(&self) -> &str {
        &self.public_base
    }

    /// Blocks until the server stops (Ctrl-C, SIGTERM).
    pub fn wait(mut self) -> std::io::Result<()> {
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the HTTP thread panicked"))),
            None => Ok(()),
        }
    }

    /// Stops accepting requests and waits for the server to end.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> std::io::Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        thread
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the HTTP thread panicked")))
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Err(error) = self.shutdown() {
            tracing::warn!(%error, "stopping the HTTP server");
        }
    }
}

/// GET and HEAD (the server sends no body for HEAD).
fn read() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", read().to(site::landing))
        .route("/health", read().to(site::health))
        .route("/metrics", read().to(metrics::report))
        .route("/fragments", read().to(fragments::fragment))
        .route("/sparql", read().to(sparql::get))
        .route("/sparql", web::post().to(sparql::post))
        .route("/dump", read().to(dump::dump))
        .route("/id/{path:.*}", read().to(site::dereference))
        .route("/ldes", read().to(event_streams::list))
        .route("/ldes/{path:.*}", read().to(event_streams::node))
        .route("/quality", read().to(quality::overview))
        .route("/quality/sensor/{path:.*}", read().to(quality::sensor))
        .route("/quality/{city}", read().to(quality::city))
        .route("/quality/{city}/{feed}", read().to(quality::feed))
        .default_service(web::to(site::fallback));
}
