//! `belfort`: harvest, validate, store and publish city sensor data.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use belfort_harvest::{FeedSpec, FeedState, LocationState, Paging, fetch, fetch_feed};
use belfort_model::{Catalogue, FeedId};
use belfort_server::{EventStreamSettings, RunningServer, ServerConfig};
use belfort_store::{DumpFormat, ObservationStore, PayloadArchive, QueryAnswer, QueryOptions};
use belfort_store_embedded::EmbeddedStore;
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use belfort::config::{self, Config, StoreConfig};
use belfort::fetch_ahead::{fetch_ahead, host_of};
use belfort::output::{QueryOutputFormat, write_answer};
use belfort::pipeline::{FeedReport, Payload, Pipeline, Validation};
use belfort::reindex::file_unindexed_observations;
use belfort::replicate::Replicator;
use belfort::store_validation::validate_store;
use belfort::validation::{ReportFormat, load_shapes, validate_files, write_report};
use belfort_harvest::http::{HttpFetcher, HttpSettings};
use belfort_store_sparql::SparqlStore;
use std::sync::Arc;

/// Exit code: ran, but found problems (quarantined records, conflicting duplicates).
const EXIT_PROBLEMS: u8 = 1;
/// Exit code: usage or input error.
const EXIT_ERROR: u8 = 2;

#[derive(Parser)]
#[command(
    name = "belfort",
    version,
    about = "Linked-data publishing of city sensor data"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DataArgs {
    /// Directory of the store and the payload archive.
    #[arg(long, env = "BELFORT_DATA", default_value = "./data")]
    data: PathBuf,
}

#[derive(clap::Args, Clone)]
struct ConfigArgs {
    /// Config file; default ./belfort.toml when present, else the demo configuration.
    #[arg(long, env = "BELFORT_CONFIG")]
    config: Option<PathBuf>,
    /// Base IRI of every minted IRI (overrides the config file).
    #[arg(long, env = "BELFORT_BASE_IRI")]
    base_iri: Option<String>,
}

impl ConfigArgs {
    fn load(&self, catalogue: &Catalogue) -> anyhow::Result<Config> {
        config::load(self.config.as_deref(), self.base_iri.as_deref(), catalogue)
    }
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "BELFORT_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// The address clients reach the server at, when it differs from the bound one (a reverse
    /// proxy); every published link is built from it.
    #[arg(long, env = "BELFORT_PUBLIC_BASE")]
    public_base: Option<String>,
    /// Matches per fragment page.
    #[arg(long, env = "BELFORT_PAGE_SIZE", default_value_t = 100)]
    page_size: usize,
    /// Seconds a SPARQL query may run.
    #[arg(long, env = "BELFORT_QUERY_TIMEOUT", default_value_t = 10.0)]
    query_timeout: f64,
    /// Rows or triples a SPARQL answer may hold.
    #[arg(long, env = "BELFORT_MAX_RESULTS", default_value_t = 10_000)]
    max_results: usize,
    /// SPARQL queries running at once (more are answered 429).
    #[arg(long, env = "BELFORT_MAX_QUERIES", default_value_t = 2)]
    max_queries: usize,
    /// Megabytes of rendered fragment pages kept in memory (0: none).
    #[arg(long, env = "BELFORT_PAGE_CACHE_MB", default_value_t = 64)]
    page_cache_mb: usize,
    /// Megabytes of closed event-stream pages kept on disk once rendered, under
    /// DATA/kept-pages (0: none).
    #[arg(long, env = "BELFORT_KEPT_PAGES_MB", default_value_t = 4096)]
    kept_pages_mb: u64,
    /// Send bodies uncompressed even to clients that accept gzip or brotli: for clients on the
    /// same host, or behind a reverse proxy that compresses.
    #[arg(long, env = "BELFORT_NO_COMPRESSION")]
    no_compression: bool,
}

impl ServeArgs {
    fn server_config(
        &self,
        data: &Path,
        iri_base: &str,
        event_streams: &config::EventStreams,
    ) -> anyhow::Result<ServerConfig> {
        if !(self.query_timeout.is_finite() && self.query_timeout > 0.0) {
            return Err(anyhow!(
                "--query-timeout must be a positive number of seconds"
            ));
        }
        if self.page_size == 0 || self.page_size > 10_000 {
            return Err(anyhow!("--page-size must be between 1 and 10000"));
        }
        Ok(ServerConfig {
            public_base: self.public_base.clone(),
            iri_base: iri_base.to_owned(),
            page_size: self.page_size,
            query_timeout: std::time::Duration::from_secs_f64(self.query_timeout),
            max_results: self.max_results.max(1),
            max_concurrent_queries: self.max_queries.max(1),
            page_cache_bytes: self.page_cache_mb.saturating_mul(1024 * 1024),
            kept_pages_dir: Some(data.join("kept-pages")),
            kept_pages_bytes: self.kept_pages_mb.saturating_mul(1024 * 1024),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            event_streams: EventStreamSettings {
                polling_interval: event_streams.polling_interval,
                retention_days: event_streams.retention_days,
                ..EventStreamSettings::default()
            },
            compress: !self.no_compression,
            ..ServerConfig::default()
        })
    }
}

/// Serves the store until the process is stopped; prints the address on standard output.
fn serve(
    store: Arc<dyn ObservationStore>,
    config: &Config,
    data: &Path,
    args: &ServeArgs,
) -> anyhow::Result<()> {
    let config = args.server_config(data, config.minter.base(), &config.event_streams)?;
    let server = RunningServer::start(store, config, &args.bind)?;
    println!("{}/", server.public_base());
    std::io::stdout().flush()?;
    eprintln!(
        "serving on {}/ (fragments at /fragments, SPARQL at /sparql); Ctrl-C stops",
        server.public_base()
    );
    server.wait()?;
    Ok(())
}

#[derive(Subcommand)]
enum Command {
    /// Harvest the bundled fixture feeds of every city into the store and report per feed.
    Demo {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        serve: ServeArgs,
        /// Harvest and report, then exit instead of serving.
        #[arg(long)]
        harvest_only: bool,
    },
    /// Run the configured feeds.
    Harvest {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
        /// Only these cities (repeatable).
        #[arg(long = "city")]
        cities: Vec<String>,
    },
    /// Map local payload files exactly as if the feed had fetched them.
    Ingest {
        /// The feed, as CITY/FEED.
        #[arg(long)]
        feed: String,
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
        /// Print a per-record report on standard output (`json`).
        #[arg(long = "report", value_enum)]
        report_format: Option<IngestReportFormat>,
        /// The payload files; all of them form one batch.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Validate RDF files, or everything the store holds, against SHACL shapes.
    Validate {
        /// A shapes file, or a directory whose RDF files together form the shapes graph.
        #[arg(long)]
        shapes: PathBuf,
        /// Report format.
        #[arg(long, value_enum, default_value = "ttl")]
        format: ReportFormat,
        /// Data files (Turtle, N-Triples, TriG, N-Quads, JSON-LD, RDF/XML), validated as one graph.
        #[arg(
            value_name = "DATA",
            required_unless_present = "store",
            conflicts_with = "store"
        )]
        files: Vec<PathBuf>,
        /// Validate everything the store holds (the union of its graphs) instead of files,
        /// streamed in batches of focus nodes.
        #[arg(long)]
        store: bool,
        /// With --store: focus nodes validated together (with their neighbourhood).
        #[arg(long, default_value_t = 10_000, requires = "store")]
        batch: usize,
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Run a SPARQL query against the store (`-` reads it from standard input).
    Query {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
        /// Output format.
        #[arg(long, value_enum, default_value = "json")]
        format: QueryOutputFormat,
        /// The query.
        query: String,
    },
    /// Serve the store over HTTP.
    Serve {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Follow a remote Linked Data Event Stream into this store.
    Replicate {
        /// The stream's URL (the stream, or its view).
        url: String,
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        config: ConfigArgs,
        /// Allow fetching loopback, private and link-local addresses (a stream on this machine
        /// or in this network).
        #[arg(long)]
        allow_private_addresses: bool,
        /// Keep polling the nodes that may change, every `--interval` seconds.
        #[arg(long)]
        follow: bool,
        /// Seconds between polls with `--follow`; default: the stream's `ldes:pollingInterval`,
        /// else 60.
        #[arg(long)]
        interval: Option<u64>,
        /// Members written to the store per batch (each batch is all-or-nothing).
        #[arg(long, default_value_t = belfort::replicate::BATCH_MEMBERS)]
        batch_members: usize,
    },
    /// Write everything in the store to standard output.
    Export {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
        /// Dump format.
        #[arg(long, value_enum, default_value = "nq")]
        format: ExportFormat,
    },
    /// File stored observations that are in no event stream (stored before the streams
    /// existed, or imported without them) into the streams, published now.
    Reindex {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Add dumps (as `export` writes them, from this or another store) to the store.
    Import {
        #[command(flatten)]
        config: ConfigArgs,
        #[command(flatten)]
        data: DataArgs,
        /// Dump format; by default each file's extension says (`.nq`, `.trig`, `.nt`).
        #[arg(long, value_enum)]
        format: Option<ImportFormat>,
        /// Dump files; `-` reads standard input (give `--format`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum IngestReportFormat {
    /// `{"records": [{"file", "lines", "pointer", "status", "findings"}], "summary": {…}}`.
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportFormat {
    /// N-Quads.
    Nq,
    /// TriG.
    Trig,
    /// N-Triples (everything into the default graph).
    Nt,
}

impl ImportFormat {
    fn dump_format(self) -> DumpFormat {
        match self {
            Self::Nq => DumpFormat::NQuads,
            Self::Trig => DumpFormat::TriG,
            Self::Nt => DumpFormat::NTriples,
        }
    }

    /// The format a file's extension names.
    fn of_file(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "nq" => Some(Self::Nq),
            "trig" => Some(Self::Trig),
            "nt" => Some(Self::Nt),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// N-Quads.
    Nq,
    /// TriG.
    Trig,
}

/// Harvests hold every observation of a batch as many small strings at once; mimalloc keeps
/// that from fragmenting (the mapping benchmark ran about 1.7× faster with it than with glibc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    belfort::allocator::keep_freed_memory_a_while();
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(command: Command) -> anyhow::Result<u8> {
    let catalogue = Catalogue::bundled().context("the bundled catalogue")?;
    match command {
        Command::Demo {
            data,
            serve: serve_args,
            harvest_only,
        } => {
            let config = config::load_demo(None, &catalogue)?;
            let reports = harvest(&config, &catalogue, &data.data, &config.feeds)?;
            let store = open_store(&data.data, &config)?;
            eprintln!(
                "demo: {} observations in {}",
                store.count_observations()?,
                data.data.display()
            );
            if harvest_only {
                return Ok(exit_code(&reports));
            }
            serve(store, &config, &data.data, &serve_args)?;
            Ok(0)
        }
        Command::Serve {
            config,
            data,
            serve: serve_args,
        } => {
            let config = config.load(&catalogue)?;
            let store = open_store(&data.data, &config)?;
            serve(store, &config, &data.data, &serve_args)?;
            Ok(0)
        }
        Command::Harvest {
            config,
            data,
            cities,
        } => {
            let config = config.load(&catalogue)?;
            for city in &cities {
                if !config.feeds.iter().any(|f| f.id.city() == city) {
                    return Err(anyhow!("no feeds configured for city {city:?}"));
                }
            }
            let feeds: Vec<FeedSpec> = config
                .feeds
                .iter()
                .filter(|f| cities.is_empty() || cities.iter().any(|c| c == f.id.city()))
                .cloned()
                .collect();
            let reports = harvest(&config, &catalogue, &data.data, &feeds)?;
            Ok(exit_code(&reports))
        }
        Command::Ingest {
            feed,
            config,
            data,
            report_format,
            files,
        } => {
            let config = config.load(&catalogue)?;
            let id = FeedId::parse(&feed)?;
            let spec = config.feed(&id).ok_or_else(|| {
                let known: Vec<String> = config.feeds.iter().map(|f| f.id.to_string()).collect();
                anyhow!(
                    "feed {id} is not configured; configured feeds: {}",
                    known.join(", ")
                )
            })?;
            let payloads = files
                .iter()
                .map(|path| {
                    let location = path.display().to_string();
                    Ok(Payload {
                        bytes: fetch(spec, &location)?,
                        source: location,
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = open_store(&data.data, &config)?;
            let archive = PayloadArchive::new(data.data.join("archive"));
            let validation = Validation::bundled()?;
            let pipeline =
                Pipeline::new(&catalogue, &config, store.as_ref(), &archive, &validation);
            let report = pipeline.ingest(spec, &payloads)?;
            match report_format {
                Some(IngestReportFormat::Json) => {
                    let mut stdout = std::io::stdout().lock();
                    serde_json::to_writer_pretty(
                        &mut stdout,
                        &ingest_report_json(&spec.id, &report),
                    )?;
                    writeln!(stdout)?;
                    stdout.flush()?;
                }
                None => print_report(&spec.id, &report),
            }
            Ok(exit_code(&[(spec.id.clone(), report)]))
        }
        Command::Query {
            config,
            data,
            format,
            query,
        } => {
            let query = if query == "-" {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("reading the query from standard input")?;
                text
            } else {
                query
            };
            let config = config.load(&catalogue)?;
            let store = open_store(&data.data, &config)?;
            let options = QueryOptions {
                max_results: usize::MAX,
                timeout: None,
                ..QueryOptions::default()
            };
            let answer = store.query(&query, &options)?;
            let mut stdout = std::io::stdout().lock();
            write_answer(&answer, format, &mut stdout)?;
            stdout.flush()?;
            if matches!(
                answer,
                QueryAnswer::Solutions {
                    truncated: true,
                    ..
                } | QueryAnswer::Graph {
                    truncated: true,
                    ..
                }
            ) {
                eprintln!("warning: the answer was truncated");
                return Ok(EXIT_PROBLEMS);
            }
            Ok(0)
        }
        Command::Export {
            config,
            data,
            format,
        } => {
            let config = config.load(&catalogue)?;
            let store = open_store(&data.data, &config)?;
            let format = match format {
                ExportFormat::Nq => DumpFormat::NQuads,
                ExportFormat::Trig => DumpFormat::TriG,
            };
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let count = store.dump(format, &mut stdout)?;
            stdout.flush()?;
            eprintln!("exported {count} quads");
            Ok(0)
        }
        Command::Reindex { config, data } => {
            let config = config.load(&catalogue)?;
            let store = open_store(&data.data, &config)?;
            let filed = file_unindexed_observations(
                store.as_ref(),
                &catalogue,
                &config.minter,
                config.event_streams.page_size,
            )?;
            eprintln!("{filed} observations filed into the event streams");
            Ok(0)
        }
        Command::Import {
            config,
            data,
            format,
            files,
        } => {
            let config = config.load(&catalogue)?;
            // Every file's format is known before anything is read.
            let formats = files
                .iter()
                .map(|file| {
                    format.or_else(|| ImportFormat::of_file(file)).ok_or_else(|| {
                        anyhow!(
                            "{}: the extension does not say the format (.nq, .trig, .nt); give --format",
                            file.display()
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = open_store(&data.data, &config)?;
            for (file, format) in files.iter().zip(formats) {
                let count = if file.as_os_str() == "-" {
                    store.import(format.dump_format(), &mut std::io::stdin().lock())
                } else {
                    let mut input = std::io::BufReader::new(
                        std::fs::File::open(file)
                            .with_context(|| format!("cannot read {}", file.display()))?,
                    );
                    store.import(format.dump_format(), &mut input)
                }
                .with_context(|| format!("{}", file.display()))?;
                eprintln!("{}: {count} quads imported", file.display());
            }
            Ok(0)
        }
        Command::Validate {
            shapes,
            format,
            files,
            store,
            batch,
            config,
            data,
        } => {
            let report = if store {
                let shapes = load_shapes(&shapes)?;
                let config = config.load(&catalogue)?;
                let store = open_store(&data.data, &config)?;
                let (report, stats) = validate_store(store.as_ref(), &shapes, batch)?;
                eprintln!(
                    "{} focus nodes in {} batches (largest neighbourhood: {} triples)",
                    stats.focus_nodes, stats.batches, stats.largest_batch_triples
                );
                report
            } else {
                validate_files(&shapes, &files)?
            };
            let mut stdout = std::io::stdout().lock();
            write_report(&report, format, &mut stdout)?;
            stdout.flush()?;
            eprintln!(
                "{} results ({} violations); {}",
                report.results.len(),
                report.violation_count(),
                if report.conforms {
                    "conforms"
                } else {
                    "does not conform"
                }
            );
            Ok(if report.conforms { 0 } else { EXIT_PROBLEMS })
        }
        Command::Replicate {
            url,
            data,
            config: config_args,
            allow_private_addresses,
            follow,
            interval,
            batch_members,
        } => {
            let catalogue = Catalogue::bundled()?;
            let config = config::load(
                config_args.config.as_deref(),
                config_args.base_iri.as_deref(),
                &catalogue,
            )?;
            let store = open_store(&data.data, &config)?;
            let fetcher = HttpFetcher::new(HttpSettings {
                allow_private_addresses,
                ..HttpSettings::default()
            })?;
            let replicator = Replicator {
                store: store.as_ref(),
                minter: &config.minter,
                fetcher,
                state_dir: data.data.join("replication"),
                batch_members,
            };
            loop {
                let report = replicator.run(&url)?;
                eprintln!(
                    "replicate {url}: {} nodes fetched, {} immutable nodes already read, {} gone; {} members read, {} new",
                    report.nodes_fetched,
                    report.nodes_skipped,
                    report.nodes_gone,
                    report.members_read,
                    report.new_members
                );
                for failure in &report.failures {
                    eprintln!("  failed: {failure}");
                }
                if !follow {
                    return Ok(if report.failures.is_empty() {
                        0
                    } else {
                        EXIT_PROBLEMS
                    });
                }
                let wait = interval.or(report.polling_interval).unwrap_or(60).max(1);
                std::thread::sleep(std::time::Duration::from_secs(wait));
            }
        }
    }
}

/// The store the configuration names: the embedded one under the data directory, or a
/// remote SPARQL engine.
fn open_store(data: &Path, config: &Config) -> anyhow::Result<Arc<dyn ObservationStore>> {
    match &config.store {
        StoreConfig::Embedded => {
            std::fs::create_dir_all(data)
                .with_context(|| format!("cannot create the data directory {}", data.display()))?;
            Ok(Arc::new(EmbeddedStore::open(&data.join("store"))?))
        }
        StoreConfig::Sparql { connection, engine } => Ok(Arc::new(
            SparqlStore::connect(connection.clone(), *engine, config.minter.base())
                .with_context(|| format!("the SPARQL store at {}", connection.query_url))?,
        )),
    }
}

/// Fetches and ingests each feed: one atomic batch per feed. A feed that fails is reported and
/// the others still run.
fn harvest(
    config: &Config,
    catalogue: &Catalogue,
    data: &Path,
    feeds: &[FeedSpec],
) -> anyhow::Result<Vec<(FeedId, FeedReport)>> {
    let store = open_store(data, config)?;
    let archive = PayloadArchive::new(data.join("archive"));
    let validation = Validation::bundled()?;
    let pipeline = Pipeline::new(catalogue, config, store.as_ref(), &archive, &validation);
    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(feeds.len() as u64);
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} feeds  {msg}") {
            bar.set_style(style);
        }
        bar
    });
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    let say = |text: &dyn Fn()| match &progress {
        Some(bar) => bar.suspend(text),
        None => text(),
    };
    // Feeds are fetched ahead on several threads; each is ingested as one batch, in order.
    fetch_ahead(
        feeds,
        config.harvest,
        |feed| feed.locations.iter().map(|l| host_of(l)).collect(),
        |feed| {
            if progress.is_none() {
                eprintln!(
                    "fetching {} ({} location(s))",
                    feed.id,
                    feed.locations.len()
                );
            }
            fetch_feed_payloads(&archive, data, feed)
        },
        |feed, fetched| {
            if let Some(bar) = &progress {
                bar.set_message(feed.id.to_string());
            }
            let result = match fetched {
                None => Err(anyhow!("fetching {} failed unexpectedly", feed.id)),
                Some(Err(error)) => Err(error),
                Some(Ok(None)) => Ok(None),
                Some(Ok(Some(fetched))) => ingest_fetched(&pipeline, feed, fetched).map(Some),
            };
            if let Some(bar) = &progress {
                bar.inc(1);
            }
            match result {
                Ok(None) => say(&|| eprintln!("{}: not modified since the last run", feed.id)),
                Ok(Some(report)) => {
                    say(&|| print_report(&feed.id, &report));
                    reports.push((feed.id.clone(), report));
                }
                Err(error) => {
                    say(&|| eprintln!("error: {error:#}"));
                    failures.push(feed.id.to_string());
                }
            }
        },
    );
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if failures.is_empty() {
        Ok(reports)
    } else {
        Err(anyhow!(
            "{} feed(s) failed: {}",
            failures.len(),
            failures.join(", ")
        ))
    }
}

/// A feed's payloads, fetched and ready to ingest as one batch, with the fetch state to save
/// once they are.
struct FetchedFeed {
    payloads: Vec<Payload>,
    next_state: FeedState,
    state_path: PathBuf,
}

/// The fetching half of one run of one feed: what changed since the saved state, with the
/// archived copies of what did not. `None`: every location answered 304 Not Modified.
fn fetch_feed_payloads(
    archive: &PayloadArchive,
    data: &Path,
    feed: &FeedSpec,
) -> anyhow::Result<Option<FetchedFeed>> {
    let state_path = data
        .join("harvest")
        .join(feed.id.city())
        .join(format!("{}.json", feed.id.name()));
    let mut state = FeedState::load(&state_path)?;
    // A validator is only worth sending while the payload it stands for is still archived.
    state
        .locations
        .retain(|_, seen| archive.path_of(&seen.sha256).is_file());
    let fetcher = HttpFetcher::new(HttpSettings {
        max_bytes: feed.max_payload_bytes,
        allow_private_addresses: feed.allow_private_addresses,
        ..HttpSettings::default()
    })?;
    let fetched = fetch_feed(feed, &fetcher, &state)?;
    if !fetched.is_empty() && fetched.iter().all(|p| p.bytes.is_none()) {
        return Ok(None);
    }
    let mut payloads = Vec::with_capacity(fetched.len());
    let mut next_state = FeedState {
        locations: Default::default(),
        watermark: state.watermark.clone(),
        done_pages: state.done_pages.clone(),
    };
    for part in fetched {
        if part.already_stored {
            // An unchanged event-stream node: remembered as it was, nothing to ingest.
            if let Some(seen) = state.locations.get(&part.location) {
                next_state
                    .locations
                    .insert(part.location.clone(), seen.clone());
            }
            continue;
        }
        let bytes = match part.bytes {
            Some(bytes) => bytes,
            None => {
                let sha = state
                    .locations
                    .get(&part.location)
                    .map(|seen| seen.sha256.clone())
                    .unwrap_or_default();
                archive
                    .read(&sha)
                    .with_context(|| format!("{}: the archived copy of {}", feed.id, part.source))?
            }
        };
        let remembered =
            feed.locations.contains(&part.location) || feed.paging == Paging::TreeRelations;
        if remembered && (part.validators.etag.is_some() || part.validators.last_modified.is_some())
        {
            next_state.locations.insert(
                part.location.clone(),
                LocationState {
                    etag: part.validators.etag.clone(),
                    last_modified: part.validators.last_modified.clone(),
                    sha256: PayloadArchive::digest(&bytes),
                    leads_to: part.leads_to.clone(),
                },
            );
        }
        if let Some(leads_to) = part.immutable_page {
            next_state
                .done_pages
                .insert(part.location.clone(), leads_to);
        }
        payloads.push(Payload {
            bytes,
            source: part.source,
        });
    }
    Ok(Some(FetchedFeed {
        payloads,
        next_state,
        state_path,
    }))
}

/// The ingesting half: the payloads as one batch, then the state saved (so a crash before
/// the save fetches and ingests them again, which stores nothing twice).
fn ingest_fetched(
    pipeline: &Pipeline<'_>,
    feed: &FeedSpec,
    fetched: FetchedFeed,
) -> anyhow::Result<FeedReport> {
    let FetchedFeed {
        payloads,
        mut next_state,
        state_path,
    } = fetched;
    let report = pipeline.ingest(feed, &payloads)?;
    if let Some(latest) = report.latest_result_time {
        let latest = latest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        // RFC 3339 in UTC with one format compares as text.
        if next_state.watermark.as_ref().is_none_or(|w| *w < latest) {
            next_state.watermark = Some(latest);
        }
    }
    next_state.save(&state_path)?;
    Ok(report)
}

fn ingest_report_json(feed: &FeedId, report: &FeedReport) -> serde_json::Value {
    let count = |status: &str| {
        report
            .record_reports
            .iter()
            .filter(|r| r.status == status)
            .count()
    };
    serde_json::json!({
        "feed": feed.to_string(),
        "records": report.record_reports,
        "summary": {
            "records": report.records,
            "ok": count("ok"),
            "flagged": count("flagged"),
            "quarantined": count("quarantined"),
            "observations": report.observations,
            "new_observations": report.outcome.new_observations,
            "known_observations": report.outcome.known_observations,
            "flagged_observations": report.flagged_observations,
            "not_measured": report.not_measured,
            "conflicting": report.outcome.conflicting.len(),
            "findings_by_rule": report.findings_by_rule,
        },
    })
}

fn print_report(feed: &FeedId, report: &FeedReport) {
    eprintln!(
        "{feed}: {} records, {} observations ({} new, {} already known, {} flagged), {} not measured, {} quarantined, {} conflicting",
        report.records,
        report.observations,
        report.outcome.new_observations,
        report.outcome.known_observations,
        report.flagged_observations,
        report.not_measured,
        report.quarantined.len(),
        report.outcome.conflicting.len(),
    );
    for record in report
        .record_reports
        .iter()
        .filter(|r| r.status == "flagged")
    {
        for finding in &record.findings {
            let rule = finding.rule.rsplit(['#', '/']).next().unwrap_or("");
            let at = record
                .pointer
                .clone()
                .or_else(|| record.lines.map(|l| format!("line {}", l[0])))
                .unwrap_or_default();
            eprintln!(
                "  flagged {at}: {rule} ({}): {}",
                finding.severity, finding.message
            );
        }
    }
    for record in &report.quarantined {
        eprintln!("  quarantined: {record}");
    }
    for iri in &report.outcome.conflicting {
        eprintln!("  conflicting value, stored one kept: <{}>", iri.as_str());
    }
}

fn exit_code(reports: &[(FeedId, FeedReport)]) -> u8 {
    if reports.iter().any(|(_, r)| r.has_problems()) {
        EXIT_PROBLEMS
    } else {
        0
    }
}
