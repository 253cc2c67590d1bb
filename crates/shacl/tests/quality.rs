//! The sensor-quality rules on hand-made series, one rule at a time, with the bundled
//! `shapes/quality.ttl` (so the shipped parameters are what is tested).

use belfort_model::{Catalogue, FeedId, Observation, PhenomenonTime, Point, SourceId};
use belfort_shacl::{QualityFinding, QualityRules};
use chrono::{DateTime, Duration, TimeZone, Utc};
use oxrdfio::RdfFormat;

fn rules() -> QualityRules {
    let path = crate::manifest_dir().join("../../shapes/quality.ttl");
    QualityRules::parse(
        std::fs::File::open(&path).unwrap(),
        RdfFormat::Turtle,
        "shapes/quality.ttl",
    )
    .unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 10, 0, 0).unwrap()
}

fn reading(property: &str, sensor: &str, minutes: i64, value: f64) -> Observation {
    let catalogue = Catalogue::bundled().unwrap();
    let def = catalogue.property_by_key(property).unwrap();
    let start = t0() + Duration::minutes(minutes);
    Observation {
        feed: FeedId::parse("gent/test").unwrap(),
        sensor: SourceId::new("test", sensor),
        feature: SourceId::new("test", format!("{sensor}-place")),
        sample_of: None,
        property: def.iri.clone(),
        value,
        unit: def.canonical_unit.clone(),
        integer_valued: def.integer_valued,
        phenomenon_time: PhenomenonTime::interval(start, start + Duration::minutes(60)).unwrap(),
        result_time: start + Duration::minutes(60),
        location: None,
        qualifiers: Vec::new(),
        source_record: format!("/{minutes}"),
        source_iri: None,
    }
}

fn evaluate(observations: &[Observation]) -> Vec<QualityFinding> {
    let catalogue = Catalogue::bundled().unwrap();
    rules().evaluate(observations, &catalogue, t0() + Duration::days(30))
}

fn flagged_by(findings: &[QualityFinding], rule: &str) -> Vec<usize> {
    let mut indexes: Vec<usize> = findings
        .iter()
        .filter(|f| {
            f.component
                .as_str()
                .ends_with(&format!("#{rule}ConstraintComponent"))
        })
        .flat_map(|f| f.observations.clone())
        .collect();
    indexes.sort_unstable();
    indexes.dedup();
    indexes
}

fn hourly(property: &str, values: &[f64]) -> Vec<Observation> {
    values
        .iter()
        .enumerate()
        .map(|(h, v)| reading(property, "s1", 60 * h as i64, *v))
        .collect()
}

#[test]
fn a_plausible_varied_series_has_no_findings() {
    let series = hourly("no2", &[21.0, 23.5, 19.0, 30.2, 28.0, 25.1]);
    assert_eq!(evaluate(&series), Vec::new());
}

#[test]
fn stuck_values_flag_the_whole_run_but_zeros_and_short_runs_do_not() {
    let series = hourly(
        "no2",
        &[
            21.0, 17.1, 17.1, 17.1, 17.1, 17.1, 22.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0,
        ],
    );
    assert_eq!(
        flagged_by(&evaluate(&series), "StuckValue"),
        vec![1, 2, 3, 4, 5]
    );
}

#[test]
fn temperature_is_not_judged_stuck() {
    let series = hourly("air-temperature", &[5.3, 5.3, 5.3, 5.3, 5.3]);
    assert!(flagged_by(&evaluate(&series), "StuckValue").is_empty());
}

#[test]
fn a_spike_between_calm_neighbours_is_flagged() {
    let series = hourly("pm10", &[25.0, 24.0, 950.0, 26.0, 25.0]);
    assert_eq!(flagged_by(&evaluate(&series), "Spike"), vec![2]);
}

#[test]
fn conflicting_duplicates_flag_every_copy_and_identical_ones_only_the_repeats() {
    let mut series = hourly("no2", &[21.0, 22.0, 23.0]);
    series.push(reading("no2", "s1", 60, 22.0)); // identical copy of index 1
    series.push(reading("no2", "s1", 120, 40.0)); // conflicts with index 2
    let findings = evaluate(&series);
    assert_eq!(flagged_by(&findings, "DuplicateReading"), vec![2, 3, 4]);
}

#[test]
fn late_readings_are_out_of_order_with_the_reading_they_follow() {
    let mut series = hourly("no2", &[21.0, 22.0, 23.0]);
    series.push(reading("no2", "s1", -60, 20.0));
    assert_eq!(flagged_by(&evaluate(&series), "OutOfOrder"), vec![2, 3]);
}

#[test]
fn readings_in_the_future_or_in_1970_are_outside_the_time_window() {
    let mut series = hourly("no2", &[21.0]);
    series.push(reading("no2", "s1", 60 * 24 * 60, 22.0)); // 60 days ahead of t0, 30 after ingest
    let mut epoch = reading("no2", "s2", 0, 22.0);
    let start = Utc.with_ymd_and_hms(1970, 1, 20, 17, 0, 0).unwrap();
    epoch.phenomenon_time = PhenomenonTime::interval(start, start + Duration::hours(1)).unwrap();
    series.push(epoch);
    assert_eq!(flagged_by(&evaluate(&series), "TimeWindow"), vec![1, 2]);
}

#[test]
fn pm25_above_pm10_at_the_same_time_is_flagged_on_both() {
    let series = vec![
        reading("pm10", "s1", 0, 8.2),
        reading("pm25", "s1", 0, 14.65),
        reading("pm10", "s1", 60, 18.0),
        reading("pm25", "s1", 60, 9.0),
    ];
    assert_eq!(flagged_by(&evaluate(&series), "Subset"), vec![0, 1]);
}

#[test]
fn pm_at_high_humidity_at_the_same_place_is_flagged() {
    let mut humid = reading("relative-humidity", "dht", 0, 96.0);
    humid.feature = SourceId::new("test", "s1-place");
    let series = vec![
        humid,
        reading("pm10", "s1", 5, 40.0),
        reading("pm10", "s2", 5, 40.0),
    ];
    assert_eq!(
        flagged_by(&evaluate(&series), "HumidityInterference"),
        vec![1]
    );
}

#[test]
fn a_sensor_that_moves_kilometres_is_flagged_where_it_arrives() {
    let mut series = hourly("pm10", &[10.0, 11.0, 12.0]);
    series[0].location = Some(Point {
        lon: 3.717,
        lat: 51.054,
    });
    series[1].location = Some(Point {
        lon: 3.7171,
        lat: 51.0541,
    });
    series[2].location = Some(Point {
        lon: 3.745,
        lat: 50.989,
    });
    assert_eq!(flagged_by(&evaluate(&series), "LocationJump"), vec![2]);
}

#[test]
fn pressure_in_pascal_and_temperature_in_kelvin_look_like_unit_mix_ups() {
    let series = vec![
        reading("air-pressure", "s1", 0, 101_325.0),
        reading("air-temperature", "s1", 0, 283.15),
        reading("air-pressure", "s1", 60, 1013.0),
        reading("traffic-count-car", "s1", 0, 20_000.0),
    ];
    let findings = evaluate(&series);
    assert_eq!(flagged_by(&findings, "UnitMismatch"), vec![0, 1]);
    assert_eq!(flagged_by(&findings, "PhysicalRange"), vec![0, 1, 3]);
}

#[test]
fn a_daily_reading_in_an_hourly_series_is_an_interval_mismatch() {
    let mut series = hourly("traffic-count-car", &[100.0, 120.0, 130.0]);
    let mut daily = reading("traffic-count-car", "s1", 0, 2400.0);
    daily.phenomenon_time = PhenomenonTime::interval(t0(), t0() + Duration::days(1)).unwrap();
    series.push(daily);
    assert_eq!(
        flagged_by(&evaluate(&series), "IntervalConsistency"),
        vec![3]
    );
}

#[test]
fn a_city_tunes_a_rule_in_turtle() {
    let shapes = "@prefix bfq: <https://w3id.org/belfort/quality#> .
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:shape> bfq:minRepeats 2 ; sh:severity sh:Info .";
    let rules = QualityRules::parse(shapes.as_bytes(), RdfFormat::Turtle, "city.ttl").unwrap();
    let series = hourly("air-temperature", &[5.3, 5.3]);
    let findings = rules.evaluate(&series, &Catalogue::bundled().unwrap(), t0());
    assert_eq!(findings.len(), 1);
    assert_eq!(
        findings[0].severity.as_str(),
        "http://www.w3.org/ns/shacl#Info"
    );

    let bad =
        "@prefix bfq: <https://w3id.org/belfort/quality#> . <urn:shape> bfq:minRepeats \"often\" .";
    let error = QualityRules::parse(bad.as_bytes(), RdfFormat::Turtle, "city.ttl").unwrap_err();
    assert!(error.to_string().contains("bfq:minRepeats"), "{error}");
}

fn at(property: &str, sensor: &str, when: DateTime<Utc>, value: f64) -> Observation {
    let mut o = reading(property, sensor, 0, value);
    o.phenomenon_time = PhenomenonTime::Instant(when);
    o.result_time = when;
    o
}

#[test]
fn a_parking_value_days_older_than_its_poll_is_stale() {
    let series = vec![
        at("parking-vacant-spaces", "p1", t0(), 120.0),
        at(
            "parking-vacant-spaces",
            "p2",
            t0() - Duration::hours(1),
            80.0,
        ),
        at(
            "parking-vacant-spaces",
            "p3",
            t0() - Duration::hours(63),
            241.0,
        ),
    ];
    assert_eq!(flagged_by(&evaluate(&series), "StaleReading"), vec![2]);
}

#[test]
fn occupancy_must_agree_with_vacant_spaces_and_capacity() {
    let series = vec![
        at("parking-occupancy", "p1", t0(), 61.0),
        at("parking-vacant-spaces", "p1", t0(), 178.0),
        at("parking-capacity", "p1", t0(), 452.0),
        at("parking-occupancy", "p2", t0(), 12.0),
        at("parking-vacant-spaces", "p2", t0(), 198.0),
        at("parking-capacity", "p2", t0(), 304.0),
    ];
    assert_eq!(
        flagged_by(&evaluate(&series), "OccupancyConsistency"),
        vec![3, 4, 5]
    );
}

#[test]
fn a_reading_after_missing_hours_follows_a_gap() {
    let mut series = hourly("o3", &[25.4, 26.0, 26.3]);
    series.push(reading("o3", "s1", 60 * 5, 20.2));
    series.push(reading("o3", "s1", 60 * 6, 20.4));
    assert_eq!(flagged_by(&evaluate(&series), "Gap"), vec![3]);
}
