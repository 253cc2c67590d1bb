//! The DATEX II parking adapter.

use belfort_harvest::{FeedSpec, SourceKind, map_payloads, record_lines};
use belfort_model::{Catalogue, FeedId};

use super::fixture;

fn feed() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("gent/parking-datex2").unwrap(),
        SourceKind::Datex2Parking,
    )
}

#[test]
fn statuses_give_vacant_spaces_and_their_site_capacity_located_by_lines() {
    let bytes = std::fs::read(fixture("datex2/ghent_parkings_datex2_v2_clean.xml")).unwrap();
    let mapped = map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[("clean.xml", &bytes)],
    )
    .unwrap();
    let mapped = &mapped[0];
    assert_eq!(mapped.records, 12, "six sites and six statuses");
    assert_eq!(mapped.observations.len(), 12);
    assert!(mapped.quarantined.is_empty() && mapped.flags.is_empty());
    let first = &mapped.observations[0];
    let (from, to) = record_lines(&bytes, &first.source_record).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[usize::try_from(from).unwrap() - 1].contains("<parkingRecordStatus"),
        "{}",
        first.source_record
    );
    assert!(lines[usize::try_from(to).unwrap() - 1].contains("</parkingRecordStatus>"));
}

#[test]
fn the_table_and_the_statuses_may_come_in_separate_payloads_and_broken_xml_is_refused() {
    let catalogue = Catalogue::bundled().unwrap();
    let table = br#"<d2LogicalModel><parkingTable><parkingSite id="s1"><parkingNumberOfSpaces>100</parkingNumberOfSpaces></parkingSite></parkingTable></d2LogicalModel>"#;
    let status = br#"<d2LogicalModel><parkingRecordStatus><parkingRecordReference id="s1"/><parkingStatusOriginTime>2024-01-15T09:00:00Z</parkingStatusOriginTime><parkingOccupancy><parkingNumberOfVacantSpaces>40</parkingNumberOfVacantSpaces></parkingOccupancy></parkingRecordStatus></d2LogicalModel>"#;
    let mapped = map_payloads(
        &feed(),
        &catalogue,
        &[("table.xml", table), ("status.xml", status)],
    )
    .unwrap();
    assert_eq!(mapped[1].observations.len(), 2);
    let error = map_payloads(&feed(), &catalogue, &[("broken.xml", b"<a><b></a>")]).unwrap_err();
    assert!(error.to_string().contains("broken.xml"), "{error}");
}
