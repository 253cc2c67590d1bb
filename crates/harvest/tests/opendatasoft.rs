//! The Opendatasoft parking adapter.

use belfort_harvest::{FeedSpec, SourceKind, map_payload};
use belfort_model::{Catalogue, FeedId};

use super::fixture;

fn feed() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("gent/parking-garages").unwrap(),
        SourceKind::OpendatasoftParking,
    )
}

#[test]
fn each_garage_gives_vacant_spaces_capacity_and_occupancy_at_its_update_time() {
    let bytes = std::fs::read(fixture("ghent/parkeergarages_v2.1_poll1_clean.json")).unwrap();
    let mapped = map_payload(
        &feed(),
        &Catalogue::bundled().unwrap(),
        "poll1.json",
        &bytes,
    )
    .unwrap();
    assert_eq!(mapped.records, 6);
    assert_eq!(mapped.observations.len(), 18);
    assert!(mapped.flags.is_empty() && mapped.quarantined.is_empty());
    let first = &mapped.observations[0];
    assert_eq!(first.sensor.id, "parking-sint-michiels");
    // "2024-01-15T09:02:11+01:00"
    assert_eq!(first.result_time.to_rfc3339(), "2024-01-15T08:02:11+00:00");
}

#[test]
fn a_document_without_results_is_refused_and_bad_fields_are_quarantined() {
    let catalogue = Catalogue::bundled().unwrap();
    let error = map_payload(&feed(), &catalogue, "odd.json", br#"{"total_count": 0}"#).unwrap_err();
    assert!(error.to_string().contains("odd.json"), "{error}");
    let mapped = map_payload(
        &feed(),
        &catalogue,
        "page.json",
        br#"{"results": [{"id": "g1", "lastupdate": "yesterday"},
                         {"id": "g2", "lastupdate": "2024-01-15T09:00:00Z", "totalcapacity": "many"}]}"#,
    )
    .unwrap();
    let fields: Vec<_> = mapped
        .quarantined
        .iter()
        .map(|q| q.field.clone().unwrap_or_default())
        .collect();
    assert_eq!(fields, ["lastupdate", "totalcapacity"]);
}
