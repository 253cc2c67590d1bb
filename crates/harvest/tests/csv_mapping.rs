//! The configuration-driven CSV adapter on the real export formats (Ghent's bicycle counter and
//! park-and-ride sites, Leuven's noise meter, the CurieuzeNeuzen campaign), and on the traps:
//! local times in the daylight-saving gap and overlap, wrong units, sentinels.

use belfort_harvest::{CsvMapping, FeedSpec, HarvestError, MappedPayload, SourceKind, map_payload};
use belfort_model::{Catalogue, FeedId, PhenomenonTime};
use proptest::prelude::*;

use crate::fixture;

fn feed(id: &str, mapping: serde_json::Value) -> FeedSpec {
    let mut spec = FeedSpec::new(FeedId::parse(id).unwrap(), SourceKind::Csv);
    let mapping: CsvMapping = serde_json::from_value(mapping).unwrap();
    assert_eq!(
        mapping.problems(&Catalogue::bundled().unwrap()),
        Vec::<String>::new()
    );
    spec.csv = Some(mapping);
    spec
}

fn map(spec: &FeedSpec, bytes: &[u8]) -> Result<MappedPayload, HarvestError> {
    map_payload(spec, &Catalogue::bundled().unwrap(), "export.csv", bytes)
}

fn bike_counter() -> FeedSpec {
    feed(
        "gent/bike-counter-coupure",
        serde_json::json!({
            "separator": ";",
            "sensor": "{Code}",
            "time": { "columns": ["Ordening"], "format": "%Y-%m-%dT%H:%M:%S%:z" },
            "interval": "PT5M",
            "values": [{ "column": "Totaal", "property": "traffic-count-bicycle", "unit": "count" }]
        }),
    )
}

fn noise() -> FeedSpec {
    let units_a = serde_json::json!({ "dB(A)": "dB" });
    let units_c = serde_json::json!({ "dB(C)": "dB" });
    feed(
        "leuven/noise-naamsestraat",
        serde_json::json!({
            "separator": ";",
            "sensor": "{#object_id}",
            "time": { "columns": ["result_timestamp"], "format": "%d/%m/%Y %H:%M:%S%.3f", "zone": "Europe/Brussels" },
            "interval": "PT1S",
            "values": [
                { "column": "lamax", "property": "noise-lamax", "unit_column": "lamax_unit", "units": units_a },
                { "column": "laeq", "property": "noise-laeq", "unit_column": "laeq_unit", "units": units_a },
                { "column": "lceq", "property": "noise-lceq", "unit_column": "lceq_unit", "units": units_c },
                { "column": "lcpeak", "property": "noise-lcpeak", "unit_column": "lcpeak_unit", "units": units_c }
            ]
        }),
    )
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

#[test]
fn bike_counts_are_five_minute_intervals_in_utc_from_the_offset() {
    let mapped = map(
        &bike_counter(),
        &read("ghent/fietstelpaal-coupure-links-2023-gent_export_clean.csv"),
    )
    .unwrap();
    assert_eq!(mapped.records, 36);
    assert_eq!(mapped.observations.len(), 36);
    assert!(mapped.quarantined.is_empty(), "{:?}", mapped.quarantined);
    let first = &mapped.observations[0];
    assert_eq!(first.sensor.id, "CL1");
    assert_eq!(first.value, 18.0);
    let PhenomenonTime::Interval { start, end } = first.phenomenon_time else {
        panic!("a count covers an interval");
    };
    assert_eq!(start.to_rfc3339(), "2023-03-21T06:00:00+00:00");
    assert_eq!((end - start).num_minutes(), 5);
    assert_eq!(first.result_time, end);
    assert_eq!(mapped.record_locations[0], "line 2");
}

#[test]
fn noise_levels_take_their_unit_from_the_row_and_naive_local_time_from_the_zone() {
    let mapped = map(
        &noise(),
        &read("leuven/csv_results_noise_naamsestraat_clean.csv"),
    )
    .unwrap();
    assert_eq!(mapped.records, 40);
    assert!(mapped.quarantined.is_empty(), "{:?}", mapped.quarantined);
    assert_eq!(
        mapped.observations.len() as u64 + mapped.not_measured,
        40 * 4,
        "every level is published or marked not measured (NA)"
    );
    let first = &mapped.observations[0];
    // 04/03/2022 22:00:00 in Brussels is 21:00 UTC (winter time).
    assert_eq!(
        first.phenomenon_time.start().to_rfc3339(),
        "2022-03-04T21:00:00+00:00"
    );
    assert_eq!(first.sensor.id, "255439");
}

#[test]
fn the_repeated_autumn_hour_and_the_skipped_spring_hour_are_quarantined_not_guessed() {
    let csv = "#object_id;description;result_timestamp;lamax;lamax_unit;laeq;laeq_unit;lceq;lceq_unit;lcpeak;lcpeak_unit\n\
        1;x;29/10/2023 01:59:59.000;60.0;dB(A);55.0;dB(A);60.0;dB(C);70.0;dB(C)\n\
        1;x;29/10/2023 02:30:00.000;60.0;dB(A);55.0;dB(A);60.0;dB(C);70.0;dB(C)\n\
        1;x;26/03/2023 02:30:00.000;60.0;dB(A);55.0;dB(A);60.0;dB(C);70.0;dB(C)\n\
        1;x;29/10/2023 03:00:00.000;NA;dB(A);55,0;dB(A);60.0;dB(A);70.0;dB(C)\n";
    let mapped = map(&noise(), csv.as_bytes()).unwrap();
    assert_eq!(mapped.records, 4);
    let reasons: Vec<(String, String)> = mapped
        .quarantined
        .iter()
        .map(|q| (q.location.clone(), q.reason.clone()))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(l, r)| l == "line 3" && r.contains("happens twice")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(l, r)| l == "line 4" && r.contains("does not exist")),
        "{reasons:#?}"
    );
    // Line 5: lamax NA is not measured; "55,0" is not a number without decimal_comma; a
    // dB(A) unit on the C-weighted column is refused.
    assert!(
        reasons
            .iter()
            .any(|(l, r)| l == "line 5" && r.contains("laeq \"55,0\" is not a number")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(l, r)| l == "line 5" && r.contains("lceq_unit \"dB(A)\"")),
        "{reasons:#?}"
    );
    assert_eq!(mapped.not_measured, 1);
    // 01:59:59 before the change (summer time) and the lcpeak of line 5: published.
    assert_eq!(mapped.observations.len(), 4 + 1);
}

#[test]
fn a_campaign_mean_covers_the_configured_period_at_its_site() {
    let spec = feed(
        "vlaanderen/curieuzeneuzen-2018",
        serde_json::json!({
            "separator": ",",
            "sensor": "{code}",
            "period": ["2018-04-28T00:00:00+02:00", "2018-05-26T00:00:00+02:00"],
            "latitude": "lat",
            "longitude": "lon",
            "values": [{ "column": "no2", "property": "no2", "unit": "ug/m3" }]
        }),
    );
    let mapped = map(&spec, &read("curieuzeneuzen/CN_Flanders_2018_clean.csv")).unwrap();
    assert_eq!(mapped.records, 30);
    assert_eq!(mapped.observations.len(), 30);
    let first = &mapped.observations[0];
    assert_eq!(first.sensor.id, "193026");
    assert_eq!(first.phenomenon_time.duration().num_days(), 28);
    let point = first.location.unwrap();
    assert!((point.lat - 51.06874).abs() < 1e-9 && (point.lon - 3.716509).abs() < 1e-9);
}

#[test]
fn park_and_ride_rows_give_capacity_vacancy_and_occupancy_at_their_lat_lon() {
    let spec = feed(
        "gent/park-and-ride",
        serde_json::json!({
            "sensor": "{name}",
            "time": { "columns": ["lastUpdate"], "format": "%Y-%m-%dT%H:%M:%S%:z" },
            "location": "location",
            "values": [
                { "column": "numberOfSpaces", "property": "parking-capacity", "unit": "count" },
                { "column": "availableSpaces", "property": "parking-vacant-spaces", "unit": "count" },
                { "column": "occupation", "property": "parking-occupancy", "unit": "%" }
            ]
        }),
    );
    let mapped = map(
        &spec,
        &read("ghent/real-time-bezetting-pr-gent_export_clean.csv"),
    )
    .unwrap();
    assert_eq!(mapped.records, 5);
    assert!(mapped.quarantined.is_empty(), "{:?}", mapped.quarantined);
    assert_eq!(mapped.observations.len() as u64 + mapped.not_measured, 15);
    let loop_site = &mapped.observations[0];
    assert_eq!(loop_site.sensor.id, "P+R The Loop");
    let point = loop_site.location.unwrap();
    assert!((point.lat - 51.024483197).abs() < 1e-9);
}

#[test]
fn a_header_without_the_configured_columns_is_refused_naming_them() {
    let error = map(&bike_counter(), b"a;b\n1;2\n").unwrap_err().to_string();
    assert!(
        error.contains("gent/bike-counter-coupure") && error.contains("export.csv"),
        "{error}"
    );
    assert!(
        error.contains("Totaal") && error.contains("Ordening"),
        "{error}"
    );
}

#[test]
fn mappings_that_cannot_work_are_refused_with_their_problems() {
    let catalogue = Catalogue::bundled().unwrap();
    let mapping: CsvMapping = serde_json::from_value(serde_json::json!({
        "sensor": "{id}",
        "time": { "columns": ["t"], "format": "%Y-%m-%d %H:%M" },
        "interval": "5 minutes",
        "values": [{ "column": "v", "property": "no-such-property" }]
    }))
    .unwrap();
    let problems = mapping.problems(&catalogue).join("\n");
    for expected in [
        "`zone` is needed",
        "csv.interval",
        "unknown property",
        "`unit`",
    ] {
        assert!(problems.contains(expected), "{expected}: {problems}");
    }
}

proptest! {
    #[test]
    fn arbitrary_csv_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = map(&noise(), &bytes);
        let _ = map(&bike_counter(), &bytes);
    }
}
