//! Catalogue loading, unit conversion, IRI stability and the RDF form of observations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use belfort_model::{
    Catalogue, FeedId, IriMinter, Observation, PhenomenonTime, Point, Qualifier, SourceId,
};
use belfort_vocab::{belfort, eea_pollutant, unit};
use chrono::{Duration, TimeZone, Utc};
use oxrdf::{NamedNode, Triple};
use proptest::prelude::*;

/// This crate's directory, as `cargo test` gives it when the test runs: a path compiled in
/// goes stale when one build directory serves checkouts at several paths.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
}

fn catalogue() -> Catalogue {
    Catalogue::bundled().expect("the bundled catalogue loads")
}

fn minter() -> IriMinter {
    IriMinter::new("https://data.example.org/id/").unwrap()
}

fn telraam_car_count() -> Observation {
    let catalogue = catalogue();
    let car = catalogue.property_by_key("traffic-count-car").unwrap();
    let start = Utc.with_ymd_and_hms(2023, 10, 24, 5, 0, 0).unwrap();
    Observation {
        feed: FeedId::parse("gent/telraam").unwrap(),
        sensor: SourceId::new("telraam", "348917"),
        feature: SourceId::new("telraam", "348917"),
        sample_of: None,
        property: car.iri.clone(),
        value: 227.2866750546,
        unit: car.canonical_unit.clone(),
        integer_valued: car.integer_valued,
        phenomenon_time: PhenomenonTime::interval(start, start + Duration::hours(1)).unwrap(),
        result_time: start + Duration::hours(1),
        location: Some(Point {
            lon: 4.70093,
            lat: 50.87959,
        }),
        qualifiers: vec![Qualifier {
            predicate: belfort::UPTIME.into_owned(),
            value: 0.7435543679,
        }],
        source_record: String::new(),
        source_iri: None,
    }
}

#[test]
fn bundled_catalogue_has_every_required_property() {
    let catalogue = catalogue();
    for key in [
        "no2",
        "pm10",
        "pm25",
        "o3",
        "air-temperature",
        "relative-humidity",
        "noise-laeq",
        "noise-lamax",
        "noise-lceq",
        "traffic-count-car",
        "traffic-count-bicycle",
        "traffic-count-pedestrian",
        "traffic-count-heavy",
        "traffic-speed-v85-car",
        "parking-vacant-spaces",
        "parking-capacity",
        "parking-occupancy",
    ] {
        let p = catalogue
            .property_by_key(key)
            .unwrap_or_else(|| panic!("{key} is catalogued"));
        assert!(
            !p.label_en.is_empty() && !p.label_nl.is_empty(),
            "{key} has nl and en labels"
        );
        assert!(
            p.min_plausible < p.max_plausible,
            "{key} has a plausible range"
        );
        assert!(
            !p.aggregation_intervals.is_empty(),
            "{key} has aggregation intervals"
        );
        assert!(
            catalogue.unit(p.canonical_unit.as_str()).is_some(),
            "{key}'s unit is known"
        );
    }
    assert_eq!(
        catalogue.property_by_key("no2").unwrap().iri.as_ref(),
        eea_pollutant::NO2
    );
    assert_eq!(
        catalogue.property_by_key("pm25").unwrap().iri.as_ref(),
        eea_pollutant::PM2_5
    );
}

#[test]
fn bundled_catalogue_has_the_centre_cities_brussels_and_the_region() {
    let catalogue = catalogue();
    let keys: BTreeSet<_> = catalogue.cities().iter().map(|c| c.key.as_str()).collect();
    for key in [
        "aalst",
        "antwerpen",
        "brugge",
        "genk",
        "gent",
        "hasselt",
        "kortrijk",
        "leuven",
        "mechelen",
        "oostende",
        "roeselare",
        "sint-niklaas",
        "turnhout",
        "brussel",
        "vlaanderen",
    ] {
        assert!(keys.contains(key), "{key} is in the catalogue");
    }
    assert_eq!(catalogue.city_by_key("gent").unwrap().nis_code, "44021");
}

#[test]
fn ppb_converts_to_micrograms_per_gas() {
    let catalogue = catalogue();
    let no2 = catalogue.property_by_key("no2").unwrap();
    let o3 = catalogue.property_by_key("o3").unwrap();
    assert!((catalogue.to_canonical(no2, 1.0, "ppb", None).unwrap() - 1.912).abs() < 1e-3);
    assert!((catalogue.to_canonical(o3, 1.0, "ppb", None).unwrap() - 1.995).abs() < 1e-3);
    assert!((catalogue.to_canonical(no2, 0.01, "ppm", None).unwrap() - 19.12).abs() < 1e-2);
    // PM has no molar mass: ppb cannot be converted.
    let pm10 = catalogue.property_by_key("pm10").unwrap();
    assert!(catalogue.to_canonical(pm10, 1.0, "ppb", None).is_err());
}

#[test]
fn generic_conversions_apply_to_any_property_in_that_unit() {
    let catalogue = catalogue();
    let occupancy = catalogue.property_by_key("parking-occupancy").unwrap();
    assert_eq!(
        catalogue
            .to_canonical(occupancy, 0.42, "ratio", None)
            .unwrap(),
        42.0
    );
    assert_eq!(
        catalogue.to_canonical(occupancy, 42.0, "%", None).unwrap(),
        42.0
    );
    let temperature = catalogue.property_by_key("air-temperature").unwrap();
    assert!(
        (catalogue
            .to_canonical(temperature, 293.15, "K", None)
            .unwrap()
            - 20.0)
            .abs()
            < 1e-9
    );
    let v85 = catalogue.property_by_key("traffic-speed-v85-car").unwrap();
    assert!((catalogue.to_canonical(v85, 10.0, "m/s", None).unwrap() - 36.0).abs() < 1e-9);
    let pm10 = catalogue.property_by_key("pm10").unwrap();
    assert_eq!(
        catalogue
            .to_canonical(pm10, 0.05, unit::MILLIGM_PER_M3.as_str(), None)
            .unwrap(),
        50.0
    );
}

#[test]
fn rates_become_counts_over_the_interval() {
    let catalogue = catalogue();
    let car = catalogue.property_by_key("traffic-count-car").unwrap();
    let quarter = Some(Duration::minutes(15));
    assert_eq!(
        catalogue
            .to_canonical(car, 400.0, "count/h", quarter)
            .unwrap(),
        100.0
    );
    assert!(catalogue.to_canonical(car, 400.0, "count/h", None).is_err());
}

#[test]
fn unknown_units_and_non_finite_values_are_errors() {
    let catalogue = catalogue();
    let no2 = catalogue.property_by_key("no2").unwrap();
    assert!(catalogue.to_canonical(no2, 1.0, "furlongs", None).is_err());
    assert!(
        catalogue
            .to_canonical(no2, f64::NAN, "ug/m3", None)
            .is_err()
    );
    assert!(
        catalogue
            .to_canonical(no2, f64::INFINITY, "ug/m3", None)
            .is_err()
    );
}

#[test]
fn the_same_reading_always_gets_the_same_iri() {
    let (catalogue, minter) = (catalogue(), minter());
    let a = telraam_car_count();
    let mut b = telraam_car_count();
    b.value = 1.0; // a corrected value is the same reading
    b.result_time += Duration::hours(3);
    assert_eq!(a.iri(&minter, &catalogue), b.iri(&minter, &catalogue));
    let mut c = telraam_car_count();
    c.phenomenon_time = PhenomenonTime::interval(
        c.phenomenon_time.start(),
        c.phenomenon_time.start() + Duration::days(1),
    )
    .unwrap();
    assert_ne!(
        a.iri(&minter, &catalogue),
        c.iri(&minter, &catalogue),
        "a daily count is another reading"
    );
}

#[test]
fn a_batch_describes_each_context_entity_once_and_loses_no_description() {
    let (catalogue, minter) = (catalogue(), minter());
    let car = telraam_car_count();
    let bike_key = catalogue.property_by_key("traffic-count-bicycle").unwrap();
    let bike = Observation {
        property: bike_key.iri.clone(),
        ..car.clone()
    };
    let end = car.phenomenon_time.start() + car.phenomenon_time.duration();
    let next_hour = Observation {
        phenomenon_time: PhenomenonTime::interval(end, end + Duration::hours(1)).unwrap(),
        ..car.clone()
    };
    let moved = Observation {
        location: Some(Point {
            lon: 4.71,
            lat: 50.88,
        }),
        ..next_hour.clone()
    };
    // A sample of the car count's feature: that feature is described once all the same.
    let sample = Observation {
        feature: SourceId::new("telraam", "348917-lane-1"),
        sample_of: Some(car.feature.clone()),
        ..car.clone()
    };
    let batch = [
        car.clone(),
        bike,
        next_hour,
        moved,
        sample.clone(),
        sample,
        car,
    ];

    let mut described = belfort_model::DescribedEntities::default();
    let (mut once, mut each_alone) = (Vec::new(), BTreeSet::new());
    for observation in &batch {
        let shared = observation.to_rdf_describing(&minter, &catalogue, &mut described);
        let alone = observation.to_rdf(&minter, &catalogue);
        assert_eq!(shared.iri, alone.iri);
        assert_eq!(shared.triples, alone.triples);
        once.extend(shared.context);
        each_alone.extend(alone.context.iter().map(ToString::to_string));
    }
    let once_set: BTreeSet<String> = once.iter().map(ToString::to_string).collect();
    assert_eq!(once.len(), once_set.len(), "a description written twice");
    assert_eq!(once_set, each_alone, "the batch lost or added descriptions");
    // Both locations of the moved feature and the sample's, both properties of the sensor.
    assert_eq!(once_set.iter().filter(|t| t.contains("asWKT")).count(), 3);
    assert_eq!(
        once_set
            .iter()
            .filter(|t| t.contains("sosa/observes>"))
            .count(),
        2
    );
    // The hour boundary instant is described once, though two intervals share it.
    assert_eq!(
        once_set
            .iter()
            .filter(|t| t.contains("inXSDDateTimeStamp"))
            .count(),
        3
    );
}

#[test]
fn observation_rdf_has_no_blank_nodes() {
    let rdf = telraam_car_count().to_rdf(&minter(), &catalogue());
    for t in rdf.triples.iter().chain(&rdf.context) {
        assert!(!t.to_string().contains("_:"), "blank node in {t}");
    }
}

fn canonical_ntriples(triples: &[Triple]) -> String {
    let lines: BTreeSet<String> = triples.iter().map(|t| format!("{t} .")).collect();
    lines.into_iter().collect::<Vec<_>>().join("\n") + "\n"
}

fn golden(name: &str, triples: &[Triple]) {
    let path = manifest_dir().join("tests/golden").join(name);
    let actual = canonical_ntriples(triples);
    if std::env::var_os("BELFORT_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with BELFORT_BLESS=1 to write it)",
            path.display()
        )
    });
    // Parse the golden file so that formatting differences never matter, only the graph.
    let parsed: Vec<Triple> = oxttl::NTriplesParser::new()
        .for_slice(expected.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        canonical_ntriples(&parsed),
        actual,
        "RDF differs from {}",
        path.display()
    );
}

#[test]
fn telraam_car_count_rdf_matches_golden() {
    let rdf = telraam_car_count().to_rdf(&minter(), &catalogue());
    let mut all = rdf.triples.clone();
    all.extend(rdf.context);
    golden("telraam-car-count.nt", &all);
}

#[test]
fn no2_instant_rdf_matches_golden() {
    let catalogue = catalogue();
    let no2 = catalogue.property_by_key("no2").unwrap();
    let at = Utc.with_ymd_and_hms(2025, 5, 1, 8, 0, 0).unwrap();
    let observation = Observation {
        feed: FeedId::parse("antwerpen/air").unwrap(),
        sensor: SourceId::new("aq", "42"),
        feature: SourceId::new("aq", "sample-point-42"),
        sample_of: None,
        property: no2.iri.clone(),
        value: catalogue.to_canonical(no2, 12.0, "ppb", None).unwrap(),
        unit: no2.canonical_unit.clone(),
        integer_valued: false,
        phenomenon_time: PhenomenonTime::Instant(at),
        result_time: at + Duration::minutes(2),
        location: None,
        qualifiers: Vec::new(),
        source_record: String::new(),
        source_iri: None,
    };
    let rdf = observation.to_rdf(&minter(), &catalogue);
    let mut all = rdf.triples.clone();
    all.extend(rdf.context);
    golden("no2-instant.nt", &all);
}

#[test]
fn integer_valued_properties_publish_integers() {
    let catalogue = catalogue();
    let vacant = catalogue.property_by_key("parking-vacant-spaces").unwrap();
    let mut observation = telraam_car_count();
    observation.property = vacant.iri.clone();
    observation.unit = vacant.canonical_unit.clone();
    observation.integer_valued = vacant.integer_valued;
    observation.value = 120.0;
    let rdf = observation.to_rdf(&minter(), &catalogue);
    let simple = NamedNode::new("http://www.w3.org/ns/sosa/hasSimpleResult").unwrap();
    let value = rdf.triples.iter().find(|t| t.predicate == simple).unwrap();
    assert_eq!(
        value.object.to_string(),
        "\"120\"^^<http://www.w3.org/2001/XMLSchema#integer>"
    );
}

proptest! {
    #[test]
    fn minted_iris_are_always_valid(namespace in ".{0,20}", id in ".{0,40}", key in "[a-z0-9-]{1,20}") {
        let minter = minter();
        let sensor = SourceId::new(namespace, id);
        let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        for iri in [minter.sensor(&sensor), minter.feature(&sensor), minter.observation(&sensor, &sensor, &key, t, Some("PT1H"))] {
            prop_assert!(NamedNode::new(iri.as_str()).is_ok(), "{}", iri);
        }
    }
}
