//! The IRCEL-CELINE adapter: metadata and values read together.

use belfort_harvest::{FeedSpec, SourceKind, map_payloads};
use belfort_model::{Catalogue, FeedId};

use super::fixture;

fn feed() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("brussel/irceline").unwrap(),
        SourceKind::IrcelineTimeseries,
    )
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

#[test]
fn values_are_hourly_means_ending_at_their_timestamp_with_the_metadata_unit_and_station() {
    let metadata = read("irceline/sos_timeseries_expanded_clean.json");
    let values = read("irceline/sos_getdata_clean.json");
    let mapped = map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[("meta.json", &metadata), ("data.json", &values)],
    )
    .unwrap();
    assert_eq!(mapped.len(), 2);
    assert_eq!(mapped[0].records, 4, "one record per timeseries");
    assert!(mapped[0].observations.is_empty());
    assert_eq!(mapped[1].observations.len(), 32);
    assert!(mapped.iter().all(|m| m.quarantined.is_empty()));
    let first = mapped[1]
        .observations
        .iter()
        .find(|o| o.source_record == "/6152/values/0")
        .unwrap();
    // 1705291200000 ms = 2024-01-15T04:00:00Z, the end of the hour.
    assert_eq!(first.result_time.to_rfc3339(), "2024-01-15T04:00:00+00:00");
    assert_eq!(
        first.phenomenon_time.start().to_rfc3339(),
        "2024-01-15T03:00:00+00:00"
    );
    assert_eq!(first.value, 18.2);
    assert_eq!(first.feature.id, "station-1030");
    assert!(first.location.is_some());
    assert_eq!(
        first.property.as_str(),
        "http://dd.eionet.europa.eu/vocabulary/aq/pollutant/5"
    );
}

#[test]
fn ppb_series_are_converted_and_unknown_series_quarantined() {
    let metadata = r#"[{"id": "1", "uom": "ppb", "station": {"properties": {"id": 7}},
        "parameters": {"phenomenon": {"id": "8"}}}]"#;
    let values = r#"{"1": {"values": [{"timestamp": 1705291200000, "value": 10.0}]},
                     "2": {"values": [{"timestamp": 1705291200000, "value": 10.0}]}}"#;
    let mapped = map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[
            ("meta.json", metadata.as_bytes()),
            ("data.json", values.as_bytes()),
        ],
    )
    .unwrap();
    let no2 = &mapped[1].observations[0];
    assert!(
        (no2.value - 19.1).abs() < 0.1,
        "10 ppb NO2 is about 19.1 µg/m³, not {}",
        no2.value
    );
    assert_eq!(mapped[1].quarantined.len(), 1);
    assert_eq!(mapped[1].quarantined[0].location, "/2/values/0");
}

#[test]
fn a_document_of_neither_shape_is_refused_naming_the_file() {
    let error = map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[("strange.json", b"42")],
    )
    .unwrap_err();
    assert!(error.to_string().contains("strange.json"), "{error}");
}
