#![doc = include_str!("../README.md")]

mod csv_mapping;
mod datex2;
mod error;
mod feed_fetch;
mod fetch;
pub mod http;
mod irceline;
mod lambert72;
pub mod ldes;
mod ldes_feed;
mod locate;
mod miv;
mod opendatasoft;
mod record;
mod sensor_community;
mod sensor_community_archive;
mod sensorthings;
mod telraam;
mod telraam_live;
mod xml;

use belfort_model::{Catalogue, FeedId, Observation, QuarantinedRecord};

pub use csv_mapping::{CsvMapping, TimeColumns, ValueColumn};
pub use error::HarvestError;
pub use feed_fetch::{
    FeedState, FetchedPayload, LocationState, Paging, WATERMARK_PLACEHOLDER, fetch_feed,
};
pub use fetch::{DEFAULT_MAX_PAYLOAD_BYTES, fetch};
pub use locate::{record_lines, records_lines};

/// The wire formats Belfort can map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceKind {
    /// Telraam `reports/traffic` (hourly or daily counts per segment).
    TelraamTraffic,
    /// sensor.community `data.json` v2 (5-minute means of PM, temperature, humidity, pressure).
    SensorCommunityJson,
    /// sensor.community daily archive CSV (`;`-separated, one reading per row).
    SensorCommunityArchiveCsv,
    /// IRCEL-CELINE 52°North timeseries API: metadata and `getData` values, in one batch.
    IrcelineTimeseries,
    /// OGC SensorThings API: expanded Datastreams and pages of Observations, in one batch.
    SensorThings,
    /// Opendatasoft Explore v2.1 records of parking garages (vacant spaces, capacity, occupancy).
    OpendatasoftParking,
    /// DATEX II v2 parking: site table and status publication (XML), in one batch.
    Datex2Parking,
    /// Telraam `traffic_snapshot_live` (GeoJSON, `""` for missing numbers).
    TelraamLive,
    /// Any CSV export, mapped by the feed's `[csv]` table.
    Csv,
    /// MIV induction-loop minutes of the Vlaams Verkeerscentrum (XML) and their detector
    /// configuration, in one batch.
    MivTraffic,
    /// The members of a Linked Data Event Stream (SOSA observations), pages followed through
    /// their `tree:relation`s.
    LdesStream,
}

impl SourceKind {
    /// The kind named in a city config (`telraam-traffic`).
    pub fn from_config_name(name: &str) -> Option<Self> {
        match name {
            "telraam-traffic" => Some(Self::TelraamTraffic),
            "sensor-community-json" => Some(Self::SensorCommunityJson),
            "sensor-community-archive-csv" => Some(Self::SensorCommunityArchiveCsv),
            "irceline-timeseries" => Some(Self::IrcelineTimeseries),
            "sensorthings" => Some(Self::SensorThings),
            "opendatasoft-parking" => Some(Self::OpendatasoftParking),
            "datex2-parking" => Some(Self::Datex2Parking),
            "telraam-live" => Some(Self::TelraamLive),
            "csv" => Some(Self::Csv),
            "miv-traffic" => Some(Self::MivTraffic),
            "ldes" => Some(Self::LdesStream),
            _ => None,
        }
    }

    /// Every config name, for error messages.
    pub const CONFIG_NAMES: &'static [&'static str] = &[
        "telraam-traffic",
        "sensor-community-json",
        "sensor-community-archive-csv",
        "irceline-timeseries",
        "sensorthings",
        "opendatasoft-parking",
        "datex2-parking",
        "telraam-live",
        "csv",
        "miv-traffic",
        "ldes",
    ];
}

/// What Belfort needs to know of a feed to fetch and map it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedSpec {
    /// `city/feed`.
    pub id: FeedId,
    /// The wire format.
    pub kind: SourceKind,
    /// Where the payloads are: paths or `file://` URLs.
    pub locations: Vec<String>,
    /// The namespace of the source's sensor ids (`telraam`): feeds of one system share sensors.
    pub sensor_namespace: String,
    /// Payloads above this size are refused.
    pub max_payload_bytes: u64,
    /// How a CSV export maps onto observations (kind `csv`).
    pub csv: Option<CsvMapping>,
    /// Whether locations may be local files (the bundled demo, tests); off by default.
    pub allow_local_files: bool,
    /// Whether loopback, private and link-local addresses may be fetched; off by default.
    pub allow_private_addresses: bool,
    /// How the server pages a collection.
    pub paging: Paging,
    /// The most pages one location may have in one run.
    pub max_pages: u32,
    /// The watermark of a first run, for URLs with `{watermark}`.
    pub initial_watermark: String,
}

impl FeedSpec {
    /// A feed with default settings and no locations.
    pub fn new(id: FeedId, kind: SourceKind) -> Self {
        let sensor_namespace = match kind {
            SourceKind::TelraamTraffic | SourceKind::TelraamLive => "telraam".to_owned(),
            SourceKind::SensorCommunityJson | SourceKind::SensorCommunityArchiveCsv => {
                "sensor-community".to_owned()
            }
            SourceKind::IrcelineTimeseries => "irceline".to_owned(),
            SourceKind::SensorThings => "sensorthings".to_owned(),
            SourceKind::OpendatasoftParking => "parking".to_owned(),
            SourceKind::Datex2Parking => "datex2".to_owned(),
            SourceKind::Csv => "csv".to_owned(),
            SourceKind::MivTraffic => "miv".to_owned(),
            SourceKind::LdesStream => "ldes".to_owned(),
        };
        Self {
            id,
            kind,
            locations: Vec::new(),
            sensor_namespace,
            max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES,
            csv: None,
            allow_local_files: false,
            allow_private_addresses: false,
            paging: match kind {
                SourceKind::SensorThings => Paging::NextLink {
                    pointer: "/@iot.nextLink".to_owned(),
                },
                SourceKind::LdesStream => Paging::TreeRelations,
                _ => Paging::None,
            },
            max_pages: 1000,
            initial_watermark: "1970-01-01T00:00:00Z".to_owned(),
        }
    }

    /// The `Accept` header for this feed's payloads.
    pub fn accept(&self) -> &'static str {
        match self.kind {
            SourceKind::Datex2Parking | SourceKind::MivTraffic => {
                "application/xml, text/xml;q=0.9, */*;q=0.1"
            }
            SourceKind::LdesStream => {
                "text/turtle, application/trig;q=0.95, application/n-triples;q=0.9, application/ld+json;q=0.5"
            }
            SourceKind::Csv | SourceKind::SensorCommunityArchiveCsv => {
                "text/csv, text/plain;q=0.9, */*;q=0.1"
            }
            _ => "application/json, application/geo+json;q=0.9, */*;q=0.1",
        }
    }
}

/// The result of mapping one payload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappedPayload {
    /// The observations, normalised.
    pub observations: Vec<Observation>,
    /// Records or fields that could not be used, with their reasons.
    pub quarantined: Vec<QuarantinedRecord>,
    /// Records read.
    pub records: u64,
    /// Readings the source marks as not measured (e.g. Telraam counts at zero uptime); they
    /// are not observations, and not defects either.
    pub not_measured: u64,
    /// Where each source record sits in the payload, in payload order (a JSON pointer or
    /// `line N`): the keys of the ingest report.
    pub record_locations: Vec<String>,
    /// Defects the adapter sees in a record as a whole (its own consistency, its coverage)
    /// that do not make it unusable: the record's observations are published and flagged.
    pub flags: Vec<RecordFlag>,
}

/// A defect of a source record found while mapping it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordFlag {
    /// Where the record is: a JSON pointer or `line N`.
    pub location: String,
    /// The field concerned, if one is.
    pub field: Option<String>,
    /// The rule that found it (an IRI declared in `vocab/`).
    pub rule: oxrdf::NamedNode,
    /// Why, for a person.
    pub message: String,
}

/// Maps one payload of `feed` (read from `file`, named in messages) onto observations.
pub fn map_payload(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    file: &str,
    payload: &[u8],
) -> Result<MappedPayload, HarvestError> {
    match feed.kind {
        SourceKind::TelraamTraffic => telraam::map_reports(feed, catalogue, file, payload),
        SourceKind::SensorCommunityJson => {
            sensor_community::map_data_json(feed, catalogue, file, payload)
        }
        SourceKind::SensorCommunityArchiveCsv => {
            sensor_community_archive::map_archive_csv(feed, catalogue, file, payload)
        }
        SourceKind::TelraamLive => telraam_live::map_snapshot(feed, catalogue, file, payload),
        SourceKind::Csv => csv_mapping::map_csv(feed, catalogue, file, payload),
        SourceKind::IrcelineTimeseries
        | SourceKind::SensorThings
        | SourceKind::Datex2Parking
        | SourceKind::OpendatasoftParking
        | SourceKind::MivTraffic
        | SourceKind::LdesStream => {
            let mut parts = map_payloads(feed, catalogue, &[(file, payload)])?;
            Ok(parts.pop().unwrap_or_default())
        }
    }
}

/// Maps every part of one harvest of `feed` (`(file, bytes)` pairs), one result per part.
/// Formats whose parts depend on each other (IRCEL-CELINE metadata and values) are read
/// together; the others part by part.
pub fn map_payloads(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    parts: &[(&str, &[u8])],
) -> Result<Vec<MappedPayload>, HarvestError> {
    match feed.kind {
        SourceKind::IrcelineTimeseries => irceline::map_parts(feed, catalogue, parts),
        SourceKind::SensorThings => sensorthings::map_parts(feed, catalogue, parts),
        SourceKind::Datex2Parking => datex2::map_parts(feed, catalogue, parts),
        SourceKind::MivTraffic => miv::map_parts(feed, catalogue, parts),
        SourceKind::LdesStream => ldes_feed::map_parts(feed, catalogue, parts),
        SourceKind::OpendatasoftParking => opendatasoft::map_parts(feed, catalogue, parts),
        _ => parts
            .iter()
            .map(|(file, payload)| map_payload(feed, catalogue, file, payload))
            .collect(),
    }
}

/// The error for a payload that is not in the format its feed declares.
pub(crate) fn payload_format_error(
    feed: &FeedSpec,
    file: &str,
    format: &'static str,
    message: String,
) -> HarvestError {
    HarvestError::Format {
        feed: feed.id.to_string(),
        file: file.to_owned(),
        format,
        message,
    }
}

/// Parses a JSON payload; a syntax error names the feed, the file, the line and the column.
pub(crate) fn parse_json(
    feed: &FeedSpec,
    file: &str,
    format: &'static str,
    payload: &[u8],
) -> Result<serde_json::Value, HarvestError> {
    serde_json::from_slice(payload).map_err(|e| {
        payload_format_error(
            feed,
            file,
            format,
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )
    })
}
