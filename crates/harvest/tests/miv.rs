//! The MIV induction-loop adapter.

use belfort_harvest::{FeedSpec, MappedPayload, SourceKind, map_payloads, record_lines};
use belfort_model::{Catalogue, FeedId, Observation, PhenomenonTime};
use chrono::{TimeZone, Utc};

use super::fixture;

fn feed() -> FeedSpec {
    FeedSpec::new(
        FeedId::parse("vlaanderen/miv").unwrap(),
        SourceKind::MivTraffic,
    )
}

fn map(files: &[&str]) -> Vec<MappedPayload> {
    let bytes: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(fixture(f)).unwrap())
        .collect();
    let parts: Vec<(&str, &[u8])> = files
        .iter()
        .zip(&bytes)
        .map(|(f, b)| (*f, b.as_slice()))
        .collect();
    map_payloads(&feed(), &Catalogue::bundled().unwrap(), &parts).unwrap()
}

fn value(observations: &[Observation], sensor: &str, key: &str) -> Option<f64> {
    let property = Catalogue::bundled()
        .unwrap()
        .property_by_key(key)
        .unwrap()
        .iri
        .clone();
    observations
        .iter()
        .find(|o| o.sensor.id == sensor && o.property == property)
        .map(|o| o.value)
}

#[test]
fn every_detector_minute_maps_to_counts_and_mean_speeds_at_utc_with_its_place() {
    let mapped = map(&[
        "miv/miv_configuratie_sample.xml",
        "miv/miv_verkeersdata_clean.xml",
    ]);
    let (config, data) = (&mapped[0], &mapped[1]);
    assert_eq!(config.records, 6);
    assert!(config.quarantined.is_empty() && config.flags.is_empty());
    assert_eq!(data.records, 6);
    assert!(data.quarantined.is_empty(), "{:?}", data.quarantined);
    assert!(data.flags.is_empty(), "{:?}", data.flags);
    let obs = &data.observations;
    // Detector 1152: cars 18 at 114 km/h, vans 3 at 98, heavy 3 (class 4) + 0 (class 5) at 80.
    assert_eq!(value(obs, "1152", "traffic-count-car"), Some(18.0));
    assert_eq!(value(obs, "1152", "traffic-speed-mean-car"), Some(114.0));
    assert_eq!(value(obs, "1152", "traffic-count-van"), Some(3.0));
    assert_eq!(value(obs, "1152", "traffic-count-heavy"), Some(3.0));
    assert_eq!(value(obs, "1152", "traffic-speed-mean-heavy"), Some(80.0));
    let first = obs.iter().find(|o| o.sensor.id == "1152").unwrap();
    // 16:08+01:00 is 15:08 UTC, also in summer; the minute starts there.
    assert_eq!(
        first.phenomenon_time,
        PhenomenonTime::Interval {
            start: Utc.with_ymd_and_hms(2023, 11, 20, 15, 8, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2023, 11, 20, 15, 9, 0).unwrap(),
        }
    );
    let place = first.location.unwrap();
    assert!((place.lon - 4.4099).abs() < 1e-9 && (place.lat - 51.2297).abs() < 1e-9);
    // Every record's observations point back at the lines of their <meetpunt>.
    let bytes = std::fs::read(fixture("miv/miv_verkeersdata_clean.xml")).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for o in obs {
        let (from, to) = record_lines(&bytes, &o.source_record).unwrap();
        assert!(lines[usize::try_from(from).unwrap() - 1].contains("<meetpunt"));
        assert!(lines[usize::try_from(to).unwrap() - 1].contains("</meetpunt>"));
    }
    // No speed where no vehicle passed (the 252 code): 5 groups per detector without one.
    assert!(obs.iter().all(|o| o.value < 251.0));
}

#[test]
fn lambert_72_placements_are_converted_and_checked_against_wgs84() {
    let mapped = map(&[
        "miv/miv_configuratie_lambert72.xml",
        "miv/miv_verkeersdata_clean.xml",
    ]);
    let config = &mapped[0];
    assert_eq!(config.records, 5);
    let mut reasons: Vec<&str> = config
        .quarantined
        .iter()
        .map(|q| q.reason.as_str())
        .collect();
    reasons.sort_unstable();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(reasons[0].contains("detector 29 has neither Lambert 72"));
    assert!(reasons[1].contains("detector 4970 is placed at longitude 50.98282"));
    assert_eq!(config.flags.len(), 1, "{:?}", config.flags);
    assert!(config.flags[0].message.contains("detector 1153"));
    assert!(config.flags[0].rule.as_str().ends_with("CoordinateCheck"));
    let obs = &mapped[1].observations;
    let place = |sensor: &str| obs.iter().find(|o| o.sensor.id == sensor).unwrap().location;
    // Kruibeke, placed in Lambert 72 only, lands on its published WGS84 position.
    let kruibeke = place("3640").unwrap();
    assert!((kruibeke.lon - 4.289_767_347).abs() < 1e-6, "{kruibeke:?}");
    assert!((kruibeke.lat - 51.184_581_96).abs() < 1e-6, "{kruibeke:?}");
    // The disagreeing detector keeps its Lambert 72 place; unplaced ones have none.
    let disputed = place("1153").unwrap();
    assert!((disputed.lat - 51.2297).abs() < 1e-4, "{disputed:?}");
    assert!(place("29").is_none() && place("4970").is_none());
}

#[test]
fn dirty_minutes_are_quarantined_with_the_flag_that_makes_them_unusable() {
    let mapped = map(&["miv/miv_verkeersdata_dirty.xml"]);
    let data = &mapped[0];
    assert_eq!(data.records, 13);
    let reason = |needle: &str| {
        data.quarantined
            .iter()
            .find(|q| q.reason.contains(needle))
            .unwrap_or_else(|| {
                panic!(
                    "no quarantine entry with {needle:?}: {:?}",
                    data.quarantined
                )
            })
    };
    assert_eq!(reason("geldig is 1").field.as_deref(), Some("geldig"));
    assert_eq!(reason("defect is 1").field.as_deref(), Some("defect"));
    assert_eq!(
        reason("beschikbaar is 0").field.as_deref(),
        Some("beschikbaar")
    );
    assert_eq!(
        reason("actueel_publicatie is 0").field.as_deref(),
        Some("actueel_publicatie")
    );
    assert_eq!(
        reason("without unieke_id").field.as_deref(),
        Some("unieke_id")
    );
    assert_eq!(
        reason("\"20/11/2023 16:08\" is not a date-time")
            .field
            .as_deref(),
        Some("tijd_waarneming")
    );
    reason("count \"1,8e\" is not a non-negative number");
    reason("count \"-4\" is not a non-negative number");
    reason("class 5 is missing");
    assert_eq!(data.quarantined.len(), 9, "{:?}", data.quarantined);
    for entry in &data.quarantined {
        assert!(entry.location.starts_with("lines "), "{}", entry.location);
        assert!(entry.raw.starts_with("<meetpunt"), "{}", entry.raw);
    }
    // M7 is read at +01:00 and flagged; M11 has counts and no speed; M12 keeps its coverage.
    assert_eq!(data.flags.len(), 1, "{:?}", data.flags);
    assert!(data.flags[0].message.contains("+01:00"));
    let obs = &data.observations;
    assert_eq!(value(obs, "4971", "traffic-count-car"), Some(18.0));
    assert_eq!(value(obs, "5004", "traffic-count-car"), Some(7.0));
    assert_eq!(value(obs, "5004", "traffic-speed-mean-car"), None);
    let uptime = obs
        .iter()
        .find(|o| o.sensor.id == "5005")
        .unwrap()
        .qualifiers[0]
        .value;
    assert!((uptime - 0.25).abs() < 1e-12);
    // M13 keeps cars and vans; its heavy vehicles are the quarantined field.
    assert_eq!(value(obs, "5006", "traffic-count-van"), Some(1.0));
    assert_eq!(value(obs, "5006", "traffic-count-heavy"), None);
}

#[test]
fn document_type_declarations_are_refused_so_entities_never_expand_or_read_files() {
    let catalogue = Catalogue::bundled().unwrap();
    let laughs = {
        let mut doc =
            String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE miv [\n<!ENTITY l0 \"lol\">\n");
        for i in 1..10 {
            let previous = format!("&l{};", i - 1).repeat(10);
            doc.push_str(&format!("<!ENTITY l{i} \"{previous}\">\n"));
        }
        doc.push_str("]>\n<miv><tijd_publicatie>&l9;</tijd_publicatie></miv>");
        doc
    };
    let external = "<?xml version=\"1.0\"?>\n<!DOCTYPE miv [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<miv><meetpunt unieke_id=\"1\"><lve_nr>&x;</lve_nr></meetpunt></miv>";
    for (name, doc) in [("laughs.xml", laughs.as_str()), ("external.xml", external)] {
        let error = map_payloads(&feed(), &catalogue, &[(name, doc.as_bytes())]).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains(name) && message.contains("DTD"),
            "{message}"
        );
        assert!(message.contains("vlaanderen/miv"), "{message}");
    }
    // The DATEX II adapter uses the same parser.
    let datex = FeedSpec::new(
        FeedId::parse("gent/parking-datex2").unwrap(),
        SourceKind::Datex2Parking,
    );
    let error = map_payloads(&datex, &catalogue, &[("x.xml", external.as_bytes())]).unwrap_err();
    assert!(error.to_string().contains("DTD"), "{error}");
}

#[test]
fn a_document_of_another_kind_is_refused_by_its_root_element() {
    let catalogue = Catalogue::bundled().unwrap();
    let error = map_payloads(
        &feed(),
        &catalogue,
        &[("p.xml", b"<d2LogicalModel/>".as_slice())],
    )
    .unwrap_err();
    assert!(error.to_string().contains("<d2LogicalModel>"), "{error}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn truncated_or_arbitrary_payloads_never_panic(
        cut in 0usize..20_000,
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1024),
    ) {
        let catalogue = Catalogue::bundled().unwrap();
        let dirty = std::fs::read(fixture("miv/miv_verkeersdata_dirty.xml")).unwrap();
        let config = std::fs::read(fixture("miv/miv_configuratie_lambert72.xml")).unwrap();
        let _ = map_payloads(
            &feed(),
            &catalogue,
            &[("c.xml", &config[..cut.min(config.len())]), ("d.xml", &dirty[..cut.min(dirty.len())])],
        );
        let _ = map_payloads(&feed(), &catalogue, &[("x.xml", &bytes)]);
    }
}

#[test]
fn a_detector_minute_publishes_the_rdf_of_the_golden_file() {
    let mapped = map(&[
        "miv/miv_configuratie_sample.xml",
        "miv/miv_verkeersdata_clean.xml",
    ]);
    let catalogue = Catalogue::bundled().unwrap();
    let car = catalogue.property_by_key("traffic-count-car").unwrap();
    let observation = mapped[1]
        .observations
        .iter()
        .find(|o| o.sensor.id == "1152" && o.property == car.iri)
        .unwrap();
    let minter = belfort_model::IriMinter::new("https://data.example.org/id/").unwrap();
    let rdf = observation.to_rdf(&minter, &catalogue);
    let mut ours: Vec<String> = rdf
        .triples
        .iter()
        .chain(&rdf.context)
        .map(|t| format!("{t} ."))
        .collect();
    ours.sort_unstable();
    let golden_path = crate::manifest_dir().join("tests/golden/miv-car-count.nt");
    // Parsed, so that only the graph matters (no blank nodes: equal sets are isomorphic).
    let golden = std::fs::read(&golden_path).unwrap();
    let mut expected: Vec<String> = oxrdfio::RdfParser::from_format(oxrdfio::RdfFormat::NTriples)
        .for_slice(&golden)
        .map(|q| format!("{} .", oxrdf::Triple::from(q.unwrap())))
        .collect();
    expected.sort_unstable();
    assert_eq!(ours, expected, "{}", ours.join("\n"));
}
