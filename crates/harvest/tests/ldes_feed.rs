//! An event stream as a feed: members read back into observations.

use belfort_harvest::{FeedSpec, SourceKind, map_payloads};
use belfort_model::{Catalogue, FeedId, IriMinter, Observation, PhenomenonTime, Point, SourceId};
use chrono::{TimeZone, Utc};
use oxrdf::Triple;

fn feed() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("vlaanderen/federation").unwrap(),
        SourceKind::LdesStream,
    )
}

/// A page of a stream whose members are `observations` as another Belfort publishes them.
fn page(observations: &[Observation], extra: &str) -> String {
    let catalogue = Catalogue::bundled().unwrap();
    let minter = IriMinter::new("https://other.example/id/").unwrap();
    let mut text = String::from(
        "<https://other.example/ldes/all> a <https://w3id.org/ldes#EventStream> ;\n  <https://w3id.org/tree#view> <https://other.example/ldes/all/page/1> .\n",
    );
    let mut statements: Vec<Triple> = Vec::new();
    for observation in observations {
        let rdf = observation.to_rdf(&minter, &catalogue);
        text.push_str(&format!(
            "<https://other.example/ldes/all> <https://w3id.org/tree#member> <{}> .\n",
            rdf.iri.as_str()
        ));
        statements.extend(rdf.triples);
        statements.extend(rdf.context);
    }
    for triple in statements {
        text.push_str(&format!("{triple} .\n"));
    }
    text.push_str(extra);
    text
}

fn observation(key: &str, value: f64, time: PhenomenonTime) -> Observation {
    let catalogue = Catalogue::bundled().unwrap();
    let property = catalogue.property_by_key(key).unwrap();
    Observation {
        feed: FeedId::parse("gent/telraam").unwrap(),
        sensor: SourceId::new("telraam", "348917"),
        feature: SourceId::new("telraam", "348917-lft"),
        sample_of: None,
        property: property.iri.clone(),
        value,
        unit: property.canonical_unit.clone(),
        integer_valued: property.integer_valued,
        phenomenon_time: time,
        result_time: Utc.with_ymd_and_hms(2023, 10, 24, 6, 0, 0).unwrap(),
        location: Some(Point {
            lon: 3.7174,
            lat: 51.0543,
        }),
        qualifiers: Vec::new(),
        source_record: "/report/0".to_owned(),
        source_iri: None,
    }
}

#[test]
fn members_published_by_a_belfort_come_back_as_the_same_observations() {
    let hour = PhenomenonTime::Interval {
        start: Utc.with_ymd_and_hms(2023, 10, 24, 5, 0, 0).unwrap(),
        end: Utc.with_ymd_and_hms(2023, 10, 24, 6, 0, 0).unwrap(),
    };
    let instant = PhenomenonTime::Instant(Utc.with_ymd_and_hms(2023, 10, 24, 5, 30, 0).unwrap());
    let originals = [
        observation("traffic-count-car", 227.25, hour),
        observation("traffic-speed-v85-car", 39.5, instant),
    ];
    let text = page(&originals, "");
    let mapped = map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[("https://other.example/ldes/all/page/1", text.as_bytes())],
    )
    .unwrap();
    let mapped = &mapped[0];
    assert_eq!(mapped.records, 2);
    assert!(mapped.quarantined.is_empty(), "{:?}", mapped.quarantined);
    for original in &originals {
        let back = mapped
            .observations
            .iter()
            .find(|o| o.property == original.property)
            .unwrap();
        assert_eq!(back.value, original.value);
        assert_eq!(back.phenomenon_time, original.phenomenon_time);
        assert_eq!(back.result_time, original.result_time);
        assert_eq!(back.sensor, SourceId::new("ldes", "telraam/348917"));
        assert_eq!(back.feature, SourceId::new("ldes", "telraam/348917-lft"));
        assert_eq!(back.location, original.location);
        assert!(
            back.source_record
                .starts_with("https://other.example/id/observation/")
        );
        assert_eq!(
            back.source_iri.as_ref().map(|i| i.as_str()),
            Some(back.source_record.as_str()),
            "the member's own IRI is kept as the observation's source"
        );
    }
}

#[test]
fn members_that_are_not_usable_observations_are_quarantined_with_the_reason() {
    let text = page(
        &[],
        r#"
<https://other.example/ldes/all> <https://w3id.org/tree#member> <https://other.example/m/1> , <https://other.example/m/2> , <https://other.example/m/3> .
<https://other.example/m/1> <http://www.w3.org/ns/sosa/observedProperty> <https://other.example/property/rainfall> .
<https://other.example/m/2> <http://www.w3.org/ns/sosa/observedProperty> <http://dd.eionet.europa.eu/vocabulary/aq/pollutant/8> ;
  <http://www.w3.org/ns/sosa/hasSimpleResult> "n/a" .
<https://other.example/m/3> <http://www.w3.org/ns/sosa/observedProperty> <http://dd.eionet.europa.eu/vocabulary/aq/pollutant/8> ;
  <http://www.w3.org/ns/sosa/hasSimpleResult> "21.5"^^<http://www.w3.org/2001/XMLSchema#decimal> ;
  <http://www.w3.org/ns/sosa/resultTime> "2024-01-15T10:00:00" .
"#,
    );
    let mapped = map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[("https://other.example/ldes/all/page/2", text.as_bytes())],
    )
    .unwrap();
    let mapped = &mapped[0];
    assert_eq!(mapped.records, 3);
    assert!(mapped.observations.is_empty());
    let reasons: Vec<(&str, &str)> = mapped
        .quarantined
        .iter()
        .map(|q| (q.location.as_str(), q.reason.as_str()))
        .collect();
    assert!(reasons.contains(&(
        "https://other.example/m/1",
        "<https://other.example/property/rainfall> is not a catalogued property"
    )));
    assert!(reasons.contains(&(
        "https://other.example/m/2",
        "the result \"n/a\" is not a number"
    )));
    assert!(reasons.contains(&("https://other.example/m/3", "no result time with an offset")));
    let error = map_payloads(
        &feed(),
        &Catalogue::bundled().unwrap(),
        &[("https://other.example/broken", b"<a> <b> ".as_slice())],
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("vlaanderen/federation"),
        "{error}"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    #[test]
    fn truncated_or_arbitrary_pages_never_panic(
        cut in 0usize..6000,
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1024),
    ) {
        let catalogue = Catalogue::bundled().unwrap();
        let hour = PhenomenonTime::Interval {
            start: Utc.with_ymd_and_hms(2023, 10, 24, 5, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2023, 10, 24, 6, 0, 0).unwrap(),
        };
        let text = page(&[observation("traffic-count-car", 12.0, hour)], "");
        let cut = text.as_bytes().get(..cut).unwrap_or(text.as_bytes());
        let _ = map_payloads(&feed(), &catalogue, &[("p", cut), ("q", &bytes)]);
    }
}
