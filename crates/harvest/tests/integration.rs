//! The Telraam adapter on the real fixture formats, and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use belfort_harvest::{FeedSpec, HarvestError, MappedPayload, SourceKind, fetch, map_payload};
use belfort_model::{Catalogue, FeedId};
use proptest::prelude::*;

mod csv_mapping;
mod datex2;
mod http;
mod irceline;
mod ldes_feed;
mod miv;
mod opendatasoft;
mod sensorthings;
mod telraam_live;

/// This crate's directory, as `cargo test` gives it when the test runs: a path compiled in
/// goes stale when one build directory serves checkouts at several paths.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
}

fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("../../fixtures").join(name)
}

fn telraam() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("gent/telraam").unwrap(),
        SourceKind::TelraamTraffic,
    )
}

fn map(bytes: &[u8]) -> Result<MappedPayload, HarvestError> {
    map_payload(
        &telraam(),
        &Catalogue::bundled().unwrap(),
        "payload.json",
        bytes,
    )
}

#[test]
fn telraam_clean_fixture_maps_every_record() {
    let location = fixture("telraam/reports_traffic_clean.json")
        .display()
        .to_string();
    let mapped = map(&fetch(&telraam(), &location).unwrap()).unwrap();
    assert_eq!(mapped.records, 26);
    assert_eq!(
        mapped.observations.len(),
        26 * 13,
        "car, bike, pedestrian, heavy in total and per direction, and V85, per report"
    );
    let left = mapped
        .observations
        .iter()
        .filter(|o| o.feature.id.ends_with("-lft"))
        .count();
    assert_eq!(left, 26 * 4);
    let directional = mapped.observations.iter().filter(|o| o.sample_of.is_some());
    assert!(directional.clone().count() == 26 * 8);
    assert!(
        directional
            .into_iter()
            .all(|o| o.sample_of.as_ref() == Some(&o.sensor))
    );
    assert!(mapped.quarantined.is_empty(), "{:#?}", mapped.quarantined);
    let first = &mapped.observations[0];
    assert_eq!(
        first.phenomenon_time.start().to_rfc3339(),
        "2023-10-24T05:00:00+00:00"
    );
    assert_eq!(first.phenomenon_time.duration(), chrono::Duration::hours(1));
    assert_eq!(first.result_time.to_rfc3339(), "2023-10-24T06:00:00+00:00");
    assert_eq!(
        first.qualifiers.len(),
        1,
        "uptime is kept on the observation"
    );
}

#[test]
fn telraam_dirty_fixture_stores_or_quarantines_every_record() {
    let location = fixture("telraam/reports_traffic_dirty.json")
        .display()
        .to_string();
    let mapped = map(&fetch(&telraam(), &location).unwrap()).unwrap();
    assert_eq!(mapped.records, 34);
    for record in &mapped.quarantined {
        assert!(record.location.starts_with("/report/"), "{record}");
        assert!(record.field.is_some(), "{record}");
        assert!(record.to_string().contains("gent/telraam"), "{record}");
    }
    let quarantined_at = |location: &str, field: &str| {
        mapped
            .quarantined
            .iter()
            .any(|r| r.location == location && r.field.as_deref() == Some(field))
    };
    assert!(
        quarantined_at("/report/13", "car"),
        "counts at zero uptime (T1)"
    );
    assert!(
        quarantined_at("/report/19", "date"),
        "ambiguous local time (T7)"
    );
    assert!(quarantined_at("/report/21", "v85"), "empty-string V85 (T9)");
    // Night reports at uptime 0 with zero counts are "not measured", never "zero traffic".
    assert!(mapped.not_measured > 0);
    assert!(
        mapped
            .observations
            .iter()
            .all(|o| o.qualifiers[0].value > 0.0)
    );
}

#[test]
fn telraam_error_documents_are_source_errors() {
    let error = map(br#"{"status_code": 403, "message": "Forbidden"}"#).unwrap_err();
    assert!(
        matches!(error, HarvestError::SourceError { status: 403, .. }),
        "{error}"
    );
}

#[test]
fn a_payload_in_another_format_names_feed_file_and_position() {
    let error = map(b"{\"report\": [1, 2,").unwrap_err().to_string();
    assert!(
        error.contains("gent/telraam")
            && error.contains("payload.json")
            && error.contains("line 1"),
        "{error}"
    );
    let error = map(b"{\"results\": []}").unwrap_err().to_string();
    assert!(error.contains("/report"), "{error}");
}

#[test]
fn records_with_bad_fields_are_quarantined_with_the_field() {
    let mapped = map(br#"{"report":[
        {"segment_id":"x","date":"2023-10-24T05:00:00Z","interval":"hourly","uptime":0.5,"car":1},
        {"segment_id":1,"date":"yesterday","interval":"hourly","uptime":0.5,"car":1},
        {"segment_id":1,"date":"2023-10-24T05:00:00Z","interval":"weekly","uptime":0.5,"car":1},
        {"segment_id":1,"date":"2023-10-24T05:00:00Z","interval":"hourly","uptime":1.5,"car":1},
        {"segment_id":1,"date":"2023-10-24T05:00:00Z","interval":"hourly","uptime":0.5,"car":"many"},
        7
    ]}"#)
    .unwrap();
    let fields: Vec<_> = mapped
        .quarantined
        .iter()
        .map(|r| r.field.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        fields,
        ["segment_id", "date", "interval", "uptime", "car", ""]
    );
    assert_eq!(mapped.records, 6);
}

#[test]
fn oversized_payloads_are_refused() {
    let mut feed = telraam();
    feed.max_payload_bytes = 100;
    let location = fixture("telraam/reports_traffic_clean.json")
        .display()
        .to_string();
    assert!(matches!(
        fetch(&feed, &location),
        Err(HarvestError::TooLarge { limit: 100, .. })
    ));
}

#[test]
fn remote_locations_are_refused_clearly_for_now() {
    let error = fetch(&telraam(), "https://telraam-api.net/v1/reports/traffic").unwrap_err();
    assert!(
        matches!(error, HarvestError::UnsupportedLocation { .. }),
        "{error}"
    );
    let location = format!(
        "file://{}",
        fixture("telraam/reports_traffic_clean.json").display()
    );
    assert!(fetch(&telraam(), &location).is_ok());
}

fn sensor_community() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("antwerpen/sensor-community").unwrap(),
        SourceKind::SensorCommunityJson,
    )
}

fn map_sensor_community(bytes: &[u8]) -> Result<MappedPayload, HarvestError> {
    map_payload(
        &sensor_community(),
        &Catalogue::bundled().unwrap(),
        "data.json",
        bytes,
    )
}

#[test]
fn sensor_community_clean_fixture_maps_every_value() {
    let bytes = std::fs::read(fixture("sensor-community/data_v2_clean.json")).unwrap();
    let mapped = map_sensor_community(&bytes).unwrap();
    assert_eq!(mapped.records, 16);
    assert_eq!(
        mapped.observations.len(),
        8 + 8 + 8 + 8 + 6,
        "P1, P2, T, RH, pressure"
    );
    assert!(mapped.quarantined.is_empty(), "{:#?}", mapped.quarantined);
    let catalogue = Catalogue::bundled().unwrap();
    let pressure = catalogue.property_by_key("air-pressure").unwrap();
    let p = mapped
        .observations
        .iter()
        .find(|o| o.property == pressure.iri)
        .unwrap();
    assert!(
        (850.0..1090.0).contains(&p.value),
        "pressure converted from Pa to hPa: {}",
        p.value
    );
    let first = &mapped.observations[0];
    assert_eq!(
        first.result_time.to_rfc3339(),
        "2024-01-15T10:26:58+00:00",
        "naive UTC kept as UTC"
    );
    assert_eq!(
        first.phenomenon_time.duration(),
        chrono::Duration::minutes(5)
    );
    assert!(first.location.is_some());
}

#[test]
fn sensor_community_dirty_fixture_quarantines_string_sentinels_and_null_island() {
    let bytes = std::fs::read(fixture("sensor-community/data_v2_dirty.json")).unwrap();
    let mapped = map_sensor_community(&bytes).unwrap();
    let reasons: Vec<String> = mapped.quarantined.iter().map(ToString::to_string).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("record /7") && r.contains("\"\"")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("record /7") && r.contains("nan")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("record /11") && r.contains("0,0")),
        "{reasons:#?}"
    );
    assert!(!mapped.observations.is_empty());
}

#[test]
fn sensor_community_unknown_value_types_are_quarantined_not_dropped() {
    let mapped = map_sensor_community(br#"[{"sensor":{"id":1},"timestamp":"2024-01-15 10:00:00",
        "location":{"id":2,"latitude":"51.0","longitude":"4.0"},
        "sensordatavalues":[{"value":"3","value_type":"noise_LAeq_weird"},{"value":"3.5","value_type":"P2"}]}]"#)
    .unwrap();
    assert_eq!(mapped.observations.len(), 1);
    assert_eq!(mapped.quarantined.len(), 1);
    assert_eq!(
        mapped.quarantined[0].field.as_deref(),
        Some("sensordatavalues/0")
    );
}

fn map_archive(bytes: &[u8]) -> Result<MappedPayload, HarvestError> {
    let feed = FeedSpec::new(
        FeedId::parse("antwerpen/sensor-community-archive").unwrap(),
        SourceKind::SensorCommunityArchiveCsv,
    );
    map_payload(&feed, &Catalogue::bundled().unwrap(), "archive.csv", bytes)
}

#[test]
fn sensor_community_archive_clean_fixture_maps_every_row() {
    let path = "sensor-community/archive_2024-01-15_sds011_sensor_31415_clean.csv";
    let mapped = map_archive(&std::fs::read(fixture(path)).unwrap()).unwrap();
    assert_eq!(mapped.records, 30);
    assert_eq!(mapped.observations.len(), 60, "P1 and P2 per row");
    assert!(mapped.quarantined.is_empty(), "{:#?}", mapped.quarantined);
    let first = &mapped.observations[0];
    assert_eq!(first.result_time.to_rfc3339(), "2024-01-15T00:01:24+00:00");
    assert_eq!(first.feature.id, "location-17001");
}

#[test]
fn sensor_community_archive_sentinels_are_quarantined_per_value() {
    let csv = "sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2\n\
               31415;SDS011;17001;51.054;3.717;2024-01-16T00:01:24;unavailable;;;7.72;;\n\
               31415;SDS011;17001;51.054;3.717;2024-01-16T00:03:51;nan;;;%.1f;;\n\
               31415;SDS011;17001;51.054;3.717;yesterday;1;;;2;;\n";
    let mapped = map_archive(csv.as_bytes()).unwrap();
    assert_eq!(mapped.observations.len(), 1);
    let where_: Vec<String> = mapped.quarantined.iter().map(ToString::to_string).collect();
    assert_eq!(mapped.quarantined.len(), 4, "{where_:#?}");
    assert!(
        where_[0].contains("line 2") && where_[0].contains("field P1"),
        "{where_:#?}"
    );
    assert!(
        where_[3].contains("line 4") && where_[3].contains("timestamp"),
        "{where_:#?}"
    );
    assert!(
        map_archive(b"a;b\n1;2\n").is_err(),
        "a CSV without the archive header is another format"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = map(&bytes);
        let _ = map_sensor_community(&bytes);
        let _ = map_archive(&bytes);
    }

    #[test]
    fn truncated_sensor_community_payloads_never_panic(cut in 0usize..6000) {
        let bytes = std::fs::read(fixture("sensor-community/data_v2_dirty.json")).unwrap();
        let _ = map_sensor_community(&bytes[..cut.min(bytes.len())]);
    }

    #[test]
    fn truncated_payloads_never_panic(cut in 0usize..4000) {
        let bytes = std::fs::read(fixture("telraam/reports_traffic_dirty.json")).unwrap();
        let _ = map(&bytes[..cut.min(bytes.len())]);
    }

    #[test]
    fn arbitrary_report_values_never_panic(
        segment in any::<i64>(), uptime in any::<f64>(), car in any::<f64>(), date in ".{0,30}"
    ) {
        let report = serde_json::json!({"report": [{"segment_id": segment, "date": date,
            "interval": "hourly", "uptime": uptime, "car": car}]});
        let _ = map(report.to_string().as_bytes());
    }
}
