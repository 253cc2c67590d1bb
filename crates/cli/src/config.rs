//! Configuration: what the user wrote (TOML + environment + flags), then a validated config.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use belfort_harvest::{CsvMapping, DEFAULT_MAX_PAYLOAD_BYTES, FeedSpec, Paging, SourceKind};
use belfort_model::{Catalogue, FeedId, IriMinter};
use belfort_store_sparql::{EngineConnection, EngineKind};
use serde::Deserialize;

/// The base IRI of the demo and of a config that does not set one.
pub const DEFAULT_BASE_IRI: &str = "https://data.example.org/id/";

/// `belfort.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Base IRI of every minted IRI.
    pub base_iri: Option<String>,
    /// Directory of the per-city TOML files, relative to the config file.
    pub cities_dir: Option<PathBuf>,
    /// How observations are published as event streams.
    #[serde(default)]
    pub event_streams: EventStreamsEntry,
    /// Where the data lives.
    #[serde(default)]
    pub store: StoreEntry,
    /// How `belfort harvest` fetches.
    #[serde(default)]
    pub harvest: HarvestEntry,
}

/// `[harvest]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarvestEntry {
    /// How many feeds are fetched at once.
    pub parallel_fetches: Option<usize>,
    /// How many of those may ask one host at once.
    pub fetches_per_host: Option<usize>,
}

/// How `belfort harvest` fetches (validated): feeds are fetched ahead in parallel and ingested
/// one at a time, in configuration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HarvestSettings {
    /// How many feeds are fetched at once (and at most fetched ahead of the ingest).
    pub parallel_fetches: usize,
    /// How many fetches may ask one host at once: a city's API is not hit by every feed of
    /// the city together.
    pub fetches_per_host: usize,
}

impl Default for HarvestSettings {
    fn default() -> Self {
        Self {
            parallel_fetches: 4,
            fetches_per_host: 2,
        }
    }
}

/// The most fetches `[harvest]` may ask for at once.
const MAX_PARALLEL_FETCHES: usize = 64;

impl HarvestSettings {
    fn from_entry(entry: &HarvestEntry) -> anyhow::Result<Self> {
        let defaults = Self::default();
        let check = |name: &str, value: Option<usize>, default: usize| match value {
            None => Ok(default),
            Some(n) if (1..=MAX_PARALLEL_FETCHES).contains(&n) => Ok(n),
            Some(n) => bail!("harvest: {name} = {n}: must be 1 to {MAX_PARALLEL_FETCHES}"),
        };
        Ok(Self {
            parallel_fetches: check(
                "parallel_fetches",
                entry.parallel_fetches,
                defaults.parallel_fetches,
            )?,
            fetches_per_host: check(
                "fetches_per_host",
                entry.fetches_per_host,
                defaults.fetches_per_host,
            )?,
        })
    }
}

/// `[store]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreEntry {
    /// `embedded` (default) or `sparql`.
    pub kind: Option<String>,
    /// SPARQL 1.1 Query endpoint.
    pub query_url: Option<String>,
    /// SPARQL 1.1 Update endpoint (default: the query endpoint).
    pub update_url: Option<String>,
    /// SPARQL 1.1 Graph Store HTTP Protocol endpoint.
    pub graph_store_url: Option<String>,
    /// The engine, for the quirks Belfort works around: `generic` (default) or `virtuoso`.
    pub engine: Option<String>,
    /// Seconds one request to the engine may take.
    pub timeout_seconds: Option<u64>,
    /// How often a failed request is tried again.
    pub retries: Option<u32>,
    /// Seconds a write waits for another process's write to the same engine to end.
    pub writer_wait_seconds: Option<u64>,
}

/// Where the data lives (validated).
#[derive(Debug, Clone, Default)]
pub enum StoreConfig {
    /// The embedded store under the data directory.
    #[default]
    Embedded,
    /// A remote SPARQL 1.1 engine.
    Sparql {
        /// How to reach it.
        connection: EngineConnection,
        /// Which engine it is.
        engine: EngineKind,
    },
}

impl StoreConfig {
    fn from_entry(entry: &StoreEntry) -> anyhow::Result<Self> {
        match entry.kind.as_deref().unwrap_or("embedded") {
            "embedded" => {
                if entry.query_url.is_some() || entry.graph_store_url.is_some() {
                    bail!("store: query_url and graph_store_url need kind = \"sparql\"");
                }
                Ok(Self::Embedded)
            }
            "sparql" => {
                let (Some(query_url), Some(graph_store_url)) =
                    (&entry.query_url, &entry.graph_store_url)
                else {
                    bail!("store: kind = \"sparql\" needs query_url and graph_store_url");
                };
                for url in [
                    Some(query_url),
                    entry.update_url.as_ref(),
                    Some(graph_store_url),
                ]
                .into_iter()
                .flatten()
                {
                    url::Url::parse(url).with_context(|| format!("store: URL {url:?}"))?;
                }
                let engine_name = entry.engine.as_deref().unwrap_or("generic");
                let Some(engine) = EngineKind::parse(engine_name) else {
                    bail!("store.engine must be \"generic\" or \"virtuoso\", not {engine_name:?}");
                };
                let mut connection = EngineConnection::new(
                    query_url,
                    entry.update_url.as_deref().unwrap_or(query_url),
                    graph_store_url,
                );
                if let Some(seconds) = entry.timeout_seconds {
                    if seconds == 0 {
                        bail!("store.timeout_seconds must be at least 1");
                    }
                    connection.request_timeout = std::time::Duration::from_secs(seconds);
                }
                if let Some(retries) = entry.retries {
                    connection.retries = retries;
                }
                if let Some(seconds) = entry.writer_wait_seconds {
                    connection.writer_wait = std::time::Duration::from_secs(seconds);
                }
                // Credentials never live in the file.
                if let Ok(user) = std::env::var("BELFORT_SPARQL_USER") {
                    let password = std::env::var("BELFORT_SPARQL_PASSWORD").unwrap_or_default();
                    connection.credentials = Some((user, password));
                }
                Ok(Self::Sparql { connection, engine })
            }
            other => bail!("store.kind must be \"embedded\" or \"sparql\", not {other:?}"),
        }
    }
}

/// `[event_streams]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventStreamsEntry {
    /// Members per page.
    pub page_size: Option<usize>,
    /// Seconds clients wait before polling an open page again.
    pub polling_interval: Option<u32>,
    /// Days of publication a stream keeps.
    pub retention_days: Option<u32>,
}

/// How observations are published as event streams (validated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStreams {
    /// Members per page.
    pub page_size: usize,
    /// Seconds clients wait before polling an open page again.
    pub polling_interval: u32,
    /// Days of publication a stream keeps; `None`: all.
    pub retention_days: Option<u32>,
}

impl Default for EventStreams {
    fn default() -> Self {
        Self {
            page_size: 500,
            polling_interval: 60,
            retention_days: None,
        }
    }
}

impl EventStreams {
    fn from_entry(entry: &EventStreamsEntry) -> anyhow::Result<Self> {
        let defaults = Self::default();
        let page_size = entry.page_size.unwrap_or(defaults.page_size);
        if !(1..=10_000).contains(&page_size) {
            bail!("event_streams.page_size must be between 1 and 10000, not {page_size}");
        }
        let polling_interval = entry.polling_interval.unwrap_or(defaults.polling_interval);
        if polling_interval == 0 {
            bail!("event_streams.polling_interval must be at least 1 second");
        }
        if entry.retention_days == Some(0) {
            bail!(
                "event_streams.retention_days must be at least 1 (leave it out to keep everything)"
            );
        }
        Ok(Self {
            page_size,
            polling_interval,
            retention_days: entry.retention_days,
        })
    }
}

/// One `cities/<city>.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CityFile {
    city: String,
    /// Default of every feed's `allow_local_files`.
    allow_local_files: Option<bool>,
    /// Default of every feed's `allow_private_addresses`.
    allow_private_addresses: Option<bool>,
    #[serde(default)]
    feeds: BTreeMap<String, FeedEntry>,
}

/// `paging = { kind = "next-link", pointer = "/@iot.nextLink" }` or
/// `paging = { kind = "offset", page_size = 100, results = "/results" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "kebab-case")]
enum PagingEntry {
    None,
    NextLink {
        pointer: Option<String>,
    },
    Offset {
        page_size: u32,
        results: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedEntry {
    kind: String,
    #[serde(default)]
    urls: Vec<String>,
    sensor_namespace: Option<String>,
    #[allow(dead_code, reason = "read by the scheduler of `belfort serve`")]
    schedule: Option<String>,
    max_payload_bytes: Option<u64>,
    /// The column mapping of a `csv` feed.
    csv: Option<CsvMapping>,
    /// Whether `urls` may name local files.
    allow_local_files: Option<bool>,
    /// Whether `urls` may reach loopback, private or link-local addresses.
    allow_private_addresses: Option<bool>,
    /// How the server pages its collection.
    paging: Option<PagingEntry>,
    /// The most pages one URL may have in one run.
    max_pages: Option<u32>,
    /// The watermark of the first run, for URLs with `{watermark}`.
    initial_watermark: Option<String>,
    #[allow(dead_code, reason = "documentation for data stewards")]
    description: Option<String>,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Mints every IRI.
    pub minter: IriMinter,
    /// Every configured feed, in city then feed order.
    pub feeds: Vec<FeedSpec>,
    /// How observations are published as event streams.
    pub event_streams: EventStreams,
    /// Where the data lives.
    pub store: StoreConfig,
    /// How `belfort harvest` fetches.
    pub harvest: HarvestSettings,
}

impl Config {
    /// The feed with this id.
    pub fn feed(&self, id: &FeedId) -> Option<&FeedSpec> {
        self.feeds.iter().find(|f| &f.id == id)
    }
}

/// Where the bundled demo (cities/ and fixtures/) lives: `BELFORT_HOME`, else the source tree
/// of the crate `cargo run` or `cargo test` runs (a build directory may serve checkouts at
/// several paths), else the source tree this binary was built from.
pub fn demo_home() -> PathBuf {
    std::env::var_os("BELFORT_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_MANIFEST_DIR")
                .map(|crate_dir| Path::new(&crate_dir).join("../.."))
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// Loads `--config FILE`, else `./belfort.toml` when present, else the demo configuration.
pub fn load(
    config: Option<&Path>,
    base_iri: Option<&str>,
    catalogue: &Catalogue,
) -> anyhow::Result<Config> {
    let default_file = Path::new("belfort.toml");
    let (file, dir) = match config {
        Some(path) => (
            read_config_file(path)?,
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        ),
        None if default_file.exists() => (read_config_file(default_file)?, PathBuf::from(".")),
        None => return load_demo(base_iri, catalogue),
    };
    let cities_dir = dir.join(
        file.cities_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("cities")),
    );
    let mut config = build(
        base_iri
            .or(file.base_iri.as_deref())
            .unwrap_or(DEFAULT_BASE_IRI),
        &cities_dir,
        catalogue,
    )?;
    config.event_streams = EventStreams::from_entry(&file.event_streams)?;
    config.store = StoreConfig::from_entry(&file.store)?;
    config.harvest = HarvestSettings::from_entry(&file.harvest)?;
    Ok(config)
}

/// The demo configuration: the bundled `cities/` pointing at `fixtures/`.
pub fn load_demo(base_iri: Option<&str>, catalogue: &Catalogue) -> anyhow::Result<Config> {
    build(
        base_iri.unwrap_or(DEFAULT_BASE_IRI),
        &demo_home().join("cities"),
        catalogue,
    )
}

fn read_config_file(path: &Path) -> anyhow::Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("config {}", path.display()))
}

fn build(base_iri: &str, cities_dir: &Path, catalogue: &Catalogue) -> anyhow::Result<Config> {
    let minter = IriMinter::new(base_iri).context("base_iri")?;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(cities_dir)
        .with_context(|| format!("cannot read the cities directory {}", cities_dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    entries.sort();
    let mut problems = String::new();
    let mut feeds = Vec::new();
    for path in entries {
        match read_city(&path, catalogue) {
            Ok(city_feeds) => feeds.extend(city_feeds),
            Err(errors) => {
                for error in errors {
                    let _ = writeln!(problems, "  {}: {error}", path.display());
                }
            }
        }
    }
    if !problems.is_empty() {
        bail!("the city configuration has problems:\n{problems}");
    }
    Ok(Config {
        minter,
        feeds,
        event_streams: EventStreams::default(),
        store: StoreConfig::default(),
        harvest: HarvestSettings::default(),
    })
}

fn read_city(path: &Path, catalogue: &Catalogue) -> Result<Vec<FeedSpec>, Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| vec![format!("cannot read: {e}")])?;
    let city: CityFile = toml::from_str(&text).map_err(|e| vec![e.to_string()])?;
    let mut errors = Vec::new();
    if catalogue.city_by_key(&city.city).is_none() {
        errors.push(format!(
            "city {:?} is not in the catalogue (vocab/cities.ttl)",
            city.city
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut feeds = Vec::new();
    for (name, entry) in city.feeds {
        let id = match FeedId::new(&city.city, &name) {
            Ok(id) => id,
            Err(e) => {
                errors.push(format!("feeds.{name}: {e}"));
                continue;
            }
        };
        let Some(kind) = SourceKind::from_config_name(&entry.kind) else {
            errors.push(format!(
                "feeds.{name}.kind: unknown kind {:?}; known kinds: {}",
                entry.kind,
                SourceKind::CONFIG_NAMES.join(", ")
            ));
            continue;
        };
        let mut spec = FeedSpec::new(id, kind);
        spec.locations = entry
            .urls
            .iter()
            .map(|u| resolve_location(dir, u))
            .collect();
        if let Some(namespace) = entry.sensor_namespace {
            spec.sensor_namespace = namespace;
        }
        spec.max_payload_bytes = entry.max_payload_bytes.unwrap_or(DEFAULT_MAX_PAYLOAD_BYTES);
        spec.allow_local_files = entry
            .allow_local_files
            .or(city.allow_local_files)
            .unwrap_or(false);
        spec.allow_private_addresses = entry
            .allow_private_addresses
            .or(city.allow_private_addresses)
            .unwrap_or(false);
        match entry.paging {
            Some(PagingEntry::None) => spec.paging = Paging::None,
            Some(PagingEntry::NextLink { pointer }) => {
                spec.paging = Paging::NextLink {
                    pointer: pointer.unwrap_or_else(|| "/@iot.nextLink".to_owned()),
                };
            }
            Some(PagingEntry::Offset { page_size, results }) => {
                if page_size == 0 {
                    errors.push(format!("feeds.{name}.paging.page_size must be at least 1"));
                }
                spec.paging = Paging::Offset {
                    page_size,
                    results: results.unwrap_or_else(|| "/results".to_owned()),
                };
            }
            None => {}
        }
        if let Some(max_pages) = entry.max_pages {
            if max_pages == 0 {
                errors.push(format!("feeds.{name}.max_pages must be at least 1"));
            }
            spec.max_pages = max_pages;
        }
        if let Some(initial) = entry.initial_watermark {
            if chrono::DateTime::parse_from_rfc3339(&initial).is_err() {
                errors.push(format!(
                    "feeds.{name}.initial_watermark: {initial:?} is not an RFC 3339 date-time"
                ));
            }
            spec.initial_watermark = initial;
        }
        match (&entry.csv, kind) {
            (Some(mapping), SourceKind::Csv) => {
                errors.extend(
                    mapping
                        .problems(catalogue)
                        .into_iter()
                        .map(|p| format!("feeds.{name}.{p}")),
                );
            }
            (None, SourceKind::Csv) => {
                errors.push(format!(
                    "feeds.{name}: a csv feed needs a [feeds.{name}.csv] table"
                ));
            }
            (Some(_), _) => {
                errors.push(format!(
                    "feeds.{name}.csv: only a feed of kind \"csv\" takes a csv table"
                ));
            }
            (None, _) => {}
        }
        spec.csv = entry.csv;
        feeds.push(spec);
    }
    if errors.is_empty() {
        Ok(feeds)
    } else {
        Err(errors)
    }
}

/// A relative path in a city file is relative to that file; URLs stay as they are.
fn resolve_location(dir: &Path, location: &str) -> String {
    if location.contains("://") || Path::new(location).is_absolute() {
        location.to_owned()
    } else {
        dir.join(location).display().to_string()
    }
}
