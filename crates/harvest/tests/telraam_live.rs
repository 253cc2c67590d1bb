//! The Telraam live-snapshot adapter.

use belfort_harvest::{FeedSpec, SourceKind, map_payload};
use belfort_model::{Catalogue, FeedId};

use super::fixture;

#[test]
fn empty_strings_are_missing_and_only_counting_segments_are_published() {
    let feed = FeedSpec::new(
        FeedId::parse("gent/telraam-live").unwrap(),
        SourceKind::TelraamLive,
    );
    let bytes = std::fs::read(fixture("telraam/traffic_snapshot_live_sample.json")).unwrap();
    let mapped = map_payload(&feed, &Catalogue::bundled().unwrap(), "live.json", &bytes).unwrap();
    assert_eq!(mapped.records, 4);
    assert_eq!(
        mapped.observations.len(),
        5,
        "car, bike, pedestrian, heavy and v85 of segment 9000002456"
    );
    assert!(
        mapped
            .observations
            .iter()
            .all(|o| o.sensor.id == "9000002456")
    );
    assert!(mapped.quarantined.is_empty(), "{:?}", mapped.quarantined);
    let start = mapped.observations[0].phenomenon_time.start();
    assert_eq!(start.to_rfc3339(), "2023-12-10T13:00:00+00:00");
    let rules: Vec<&str> = mapped
        .flags
        .iter()
        .map(|f| f.rule.as_str().rsplit('#').next().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "NotCountingCheck",
            "NotCountingCheck",
            "InactiveSourceCheck"
        ]
    );
}
