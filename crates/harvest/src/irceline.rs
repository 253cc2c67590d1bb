//! IRCEL-CELINE's 52°North timeseries API: timeseries metadata (`/timeseries?expanded=true`)
//! and their values (`getData`, one object per timeseries id with epoch-millisecond
//! timestamps). A harvest passes both parts in one batch: the values mean nothing without
//! the metadata's phenomenon, unit and station.
//!
//! Values are hourly means stamped with the end of their hour (IRCEL open-data notes:
//! "hmean = hourly mean (timestamp = end-time of hour)"); real-time values are not validated.

use std::collections::HashMap;

use belfort_model::{Catalogue, PhenomenonTime, Point, SourceId};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::record::{Reading, SourceRecord, measured_number, wgs84_point};
use crate::{FeedSpec, HarvestError, MappedPayload, parse_json, payload_format_error};

const FORMAT: &str = "IRCEL-CELINE 52°North timeseries JSON";

/// EEA pollutant and IRCEL phenomenon ids → catalogue keys.
const PHENOMENA: &[(&str, &str)] = &[
    ("5", "pm10"),
    ("6001", "pm25"),
    ("6002", "pm1"),
    ("8", "no2"),
    ("7", "o3"),
    ("62101", "air-temperature"),
];

/// Epoch milliseconds below this are before 1973: a timestamp in seconds, not milliseconds.
const MIN_EPOCH_MILLIS: i64 = 100_000_000_000;

/// What the metadata says about one timeseries.
struct Timeseries {
    property_key: &'static str,
    unit: String,
    station: String,
    location: Option<Point>,
}

/// Maps the parts of one IRCEL-CELINE harvest: metadata payloads first, then values.
pub(crate) fn map_parts(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    parts: &[(&str, &[u8])],
) -> Result<Vec<MappedPayload>, HarvestError> {
    let documents = parts
        .iter()
        .map(|(file, bytes)| parse_json(feed, file, FORMAT, bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let mut timeseries: HashMap<String, Timeseries> = HashMap::new();
    let mut mapped: Vec<MappedPayload> = Vec::with_capacity(parts.len());
    for ((file, _), document) in parts.iter().zip(&documents) {
        let mut payload = MappedPayload::default();
        if let Value::Array(entries) = document {
            read_metadata(feed, entries, &mut timeseries, &mut payload);
        } else if !matches!(document, Value::Object(_)) {
            return Err(payload_format_error(
                feed,
                file,
                FORMAT,
                "neither timeseries metadata (an array) nor getData values (an object)".to_owned(),
            ));
        }
        mapped.push(payload);
    }
    for ((file, _), (document, payload)) in parts.iter().zip(documents.iter().zip(&mut mapped)) {
        if let Value::Object(series) = document {
            read_values(feed, catalogue, file, series, &timeseries, payload)?;
        }
    }
    Ok(mapped)
}

fn read_metadata(
    feed: &FeedSpec,
    entries: &[Value],
    timeseries: &mut HashMap<String, Timeseries>,
    payload: &mut MappedPayload,
) {
    for (index, entry) in entries.iter().enumerate() {
        let location = format!("/{index}");
        payload.open_record(&location);
        let raw = || entry.to_string();
        let record = SourceRecord {
            feed,
            location: location.clone(),
            raw: &raw,
        };
        let Some(id) = entry.get("id").and_then(|i| {
            i.as_str()
                .map(str::to_owned)
                .or_else(|| i.as_u64().map(|n| n.to_string()))
        }) else {
            record.quarantine(payload, "id", "a timeseries without an id".to_owned());
            continue;
        };
        let phenomenon = entry
            .pointer("/parameters/phenomenon/id")
            .and_then(Value::as_str)
            .unwrap_or("");
        let Some((_, key)) = PHENOMENA.iter().find(|(p, _)| *p == phenomenon) else {
            record.quarantine(
                payload,
                "parameters.phenomenon.id",
                format!("phenomenon {phenomenon:?} of timeseries {id} is not catalogued"),
            );
            continue;
        };
        let Some(unit) = entry.get("uom").and_then(Value::as_str) else {
            record.quarantine(
                payload,
                "uom",
                format!("timeseries {id} has no unit of measurement"),
            );
            continue;
        };
        let station = match entry.pointer("/station/properties/id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => {
                record.quarantine(
                    payload,
                    "station.properties.id",
                    format!("timeseries {id} has no station id"),
                );
                continue;
            }
        };
        let coordinate = |i: usize| {
            entry
                .pointer(&format!("/station/geometry/coordinates/{i}"))
                .and_then(Value::as_f64)
        };
        let location = wgs84_point(coordinate(0), coordinate(1));
        timeseries.insert(
            id,
            Timeseries {
                property_key: key,
                unit: unit_key(unit),
                station,
                location,
            },
        );
    }
}

/// The catalogue key of a unit as the API spells it.
fn unit_key(uom: &str) -> String {
    match uom.trim() {
        "µg/m³" | "ug/m3" | "µg/m3" => "ug/m3".to_owned(),
        "°C" => "degC".to_owned(),
        other => other.to_owned(),
    }
}

fn read_values(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    file: &str,
    series: &serde_json::Map<String, Value>,
    timeseries: &HashMap<String, Timeseries>,
    payload: &mut MappedPayload,
) -> Result<(), HarvestError> {
    for (id, body) in series {
        let Some(Value::Array(values)) = body.get("values") else {
            return Err(payload_format_error(
                feed,
                file,
                FORMAT,
                format!("timeseries {id} has no \"values\" array"),
            ));
        };
        let known = timeseries.get(id);
        for (index, value) in values.iter().enumerate() {
            let location = format!("/{id}/values/{index}");
            payload.open_record(&location);
            let raw = || value.to_string();
            let record = SourceRecord {
                feed,
                location: location.clone(),
                raw: &raw,
            };
            let Some(ts) = known else {
                record.quarantine(
                    payload,
                    "timeseries",
                    format!("timeseries {id} is not described by the metadata of this harvest"),
                );
                continue;
            };
            let end = match value.get("timestamp").and_then(Value::as_i64) {
                Some(ms) if ms < MIN_EPOCH_MILLIS => {
                    record.quarantine(payload,
                        "timestamp",
                        format!(
                            "timestamp {ms} is in seconds, not epoch milliseconds (it would read as {})",
                            DateTime::<Utc>::from_timestamp_millis(ms)
                                .map(|t| t.to_rfc3339())
                                .unwrap_or_default()
                        ),
                    );
                    continue;
                }
                Some(ms) => match DateTime::<Utc>::from_timestamp_millis(ms) {
                    Some(t) => t,
                    None => {
                        record.quarantine(
                            payload,
                            "timestamp",
                            format!("timestamp {ms} is out of range"),
                        );
                        continue;
                    }
                },
                None => {
                    record.quarantine(
                        payload,
                        "timestamp",
                        "no integer epoch-millisecond timestamp".to_owned(),
                    );
                    continue;
                }
            };
            let number = match measured_number(value.get("value"), "value") {
                Ok(n) => n,
                Err(reason) => {
                    record.quarantine(payload, "value", reason);
                    continue;
                }
            };
            let Some(property) = catalogue.property_by_key(ts.property_key) else {
                continue; // every key above is catalogued (tested)
            };
            let start = end - Duration::hours(1);
            let Ok(phenomenon_time) = PhenomenonTime::interval(start, end) else {
                continue; // a one-hour interval is never empty
            };
            let canonical = match catalogue.to_canonical(
                property,
                number,
                &ts.unit,
                Some(Duration::hours(1)),
            ) {
                Ok(v) => v,
                Err(e) => {
                    record.quarantine(payload, "value", format!("{number} {}: {e}", ts.unit));
                    continue;
                }
            };
            let sensor = SourceId::new(feed.sensor_namespace.clone(), format!("timeseries-{id}"));
            payload.observations.push(record.observation(Reading {
                sensor,
                feature: SourceId::new(
                    feed.sensor_namespace.clone(),
                    format!("station-{}", ts.station),
                ),
                property,
                value: canonical,
                phenomenon_time,
                result_time: end,
                location: ts.location,
            }));
        }
    }
    Ok(())
}
