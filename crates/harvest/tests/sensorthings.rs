//! The SensorThings adapter: Datastreams and Observations read together.

use belfort_harvest::{FeedSpec, SourceKind, map_payloads};
use belfort_model::{Catalogue, FeedId};

use super::fixture;

fn feed() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("brugge/sensorthings").unwrap(),
        SourceKind::SensorThings,
    )
}

fn map(observations: &str) -> Vec<belfort_harvest::MappedPayload> {
    let datastreams =
        std::fs::read(fixture("sensorthings/datastreams_expanded_clean.json")).unwrap();
    let observations = std::fs::read(fixture(observations)).unwrap();
    map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[
            ("datastreams.json", &datastreams),
            ("observations.json", &observations),
        ],
    )
    .unwrap()
}

#[test]
fn observations_take_property_unit_and_place_from_their_datastream() {
    let mapped = map("sensorthings/observations_page_clean.json");
    assert_eq!(mapped[0].records, 3);
    assert_eq!(mapped[1].observations.len(), 24);
    assert!(mapped.iter().all(|m| m.quarantined.is_empty()));
    let first = &mapped[1].observations[0];
    assert_eq!(first.sensor.id, "datastream-1");
    assert_eq!(first.feature.id, "thing-1");
    assert!(first.location.is_some());
    assert_eq!(first.phenomenon_time.duration(), chrono::Duration::hours(1));
}

#[test]
fn unusable_observations_are_quarantined_with_their_field() {
    let mapped = map("sensorthings/observations_page_dirty.json");
    let reasons: Vec<(String, String)> = mapped[1]
        .quarantined
        .iter()
        .map(|q| (q.location.clone(), q.field.clone().unwrap_or_default()))
        .collect();
    for expected in [
        ("/value/3", "result"),         // "41,7"
        ("/value/4", "result"),         // null
        ("/value/6", "phenomenonTime"), // no offset
        ("/value/7", "phenomenonTime"), // ends before it starts
        ("/value/9", "resultTime"),     // null
        ("/value/11", "Datastream"),    // Datastream 4 is not described
    ] {
        assert!(
            reasons.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} not in {reasons:?}"
        );
    }
}
