//! OGC SensorThings API: Datastreams (with `$expand=Thing/Locations,ObservedProperty,Sensor`)
//! and pages of Observations (`@iot.nextLink` paging), read together in one batch: an
//! observation names only its Datastream, which holds the property, the unit and the place.

use std::collections::HashMap;

use belfort_model::{Catalogue, PhenomenonTime, Point, PropertyDefinition, SourceId};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::record::{Reading, SourceRecord, measured_number, wgs84_point};
use crate::{FeedSpec, HarvestError, MappedPayload, parse_json, payload_format_error};

const FORMAT: &str = "OGC SensorThings API JSON";

/// What a Datastream says about its observations.
struct Datastream<'c> {
    property: &'c PropertyDefinition,
    unit: String,
    thing: String,
    location: Option<Point>,
}

/// Maps the parts of one SensorThings harvest: Datastream documents first, then the pages of
/// Observations.
pub(crate) fn map_parts(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    parts: &[(&str, &[u8])],
) -> Result<Vec<MappedPayload>, HarvestError> {
    let documents = parts
        .iter()
        .map(|(file, bytes)| parse_json(feed, file, FORMAT, bytes))
        .collect::<Result<Vec<_>, _>>()?;
    let mut pages: Vec<&[Value]> = Vec::with_capacity(parts.len());
    for ((file, _), document) in parts.iter().zip(&documents) {
        match document.get("value") {
            Some(Value::Array(entries)) => pages.push(entries),
            _ => {
                return Err(payload_format_error(
                    feed,
                    file,
                    FORMAT,
                    "no \"value\" array at /value".to_owned(),
                ));
            }
        }
    }
    let is_datastreams =
        |entries: &[Value]| entries.iter().any(|e| e.get("unitOfMeasurement").is_some());
    let mut datastreams: HashMap<String, Datastream<'_>> = HashMap::new();
    let mut mapped: Vec<MappedPayload> = parts.iter().map(|_| MappedPayload::default()).collect();
    for (entries, payload) in pages.iter().zip(&mut mapped) {
        if is_datastreams(entries) {
            read_datastreams(feed, catalogue, entries, &mut datastreams, payload);
        }
    }
    for (entries, payload) in pages.iter().zip(&mut mapped) {
        if !is_datastreams(entries) {
            read_observations(feed, catalogue, entries, &datastreams, payload);
        }
    }
    Ok(mapped)
}

fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn read_datastreams<'c>(
    feed: &FeedSpec,
    catalogue: &'c Catalogue,
    entries: &[Value],
    datastreams: &mut HashMap<String, Datastream<'c>>,
    payload: &mut MappedPayload,
) {
    for (index, entry) in entries.iter().enumerate() {
        let location = format!("/value/{index}");
        payload.open_record(&location);
        let raw = || entry.to_string();
        let record = SourceRecord {
            feed,
            location: location.clone(),
            raw: &raw,
        };
        let Some(id) = id_of(entry.get("@iot.id")) else {
            record.quarantine(payload, "@iot.id", "a Datastream without an id".to_owned());
            continue;
        };
        let definition = entry
            .pointer("/ObservedProperty/definition")
            .and_then(Value::as_str)
            .unwrap_or("");
        let property = oxrdf::NamedNodeRef::new(definition)
            .ok()
            .and_then(|iri| catalogue.property_by_iri(iri));
        let Some(property) = property else {
            record.quarantine(
                payload,
                "ObservedProperty.definition",
                format!("Datastream {id}: observed property {definition:?} is not catalogued"),
            );
            continue;
        };
        let unit = ["/unitOfMeasurement/definition", "/unitOfMeasurement/symbol"]
            .iter()
            .filter_map(|p| entry.pointer(p).and_then(Value::as_str))
            .map(|u| match u {
                "µg/m³" | "µg/m3" => "ug/m3",
                "°C" => "degC",
                other => other,
            })
            .find(|u| catalogue.unit(u).is_some());
        let Some(unit) = unit else {
            record.quarantine(
                payload,
                "unitOfMeasurement",
                format!("Datastream {id}: the unit of measurement is not catalogued"),
            );
            continue;
        };
        let thing =
            id_of(entry.pointer("/Thing/@iot.id")).unwrap_or_else(|| format!("datastream-{id}"));
        let coordinate = |i: usize| {
            entry
                .pointer(&format!("/Thing/Locations/0/location/coordinates/{i}"))
                .and_then(Value::as_f64)
        };
        let point = wgs84_point(coordinate(0), coordinate(1));
        datastreams.insert(
            id,
            Datastream {
                property,
                unit: unit.to_owned(),
                thing,
                location: point,
            },
        );
    }
}

/// A time with an explicit offset; SensorThings times must carry one.
fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("{text:?} is not an ISO 8601 time with an offset"))
}

fn phenomenon_time(value: Option<&Value>) -> Result<PhenomenonTime, String> {
    let Some(Value::String(text)) = value else {
        return Err("no phenomenonTime string".to_owned());
    };
    match text.split_once('/') {
        Some((start, end)) => {
            let (start, end) = (instant(start)?, instant(end)?);
            PhenomenonTime::interval(start, end)
                .map_err(|_| format!("interval {text:?} ends before it starts"))
        }
        None => instant(text).map(PhenomenonTime::Instant),
    }
}

fn read_observations(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    entries: &[Value],
    datastreams: &HashMap<String, Datastream<'_>>,
    payload: &mut MappedPayload,
) {
    for (index, entry) in entries.iter().enumerate() {
        let location = format!("/value/{index}");
        payload.open_record(&location);
        let raw = || entry.to_string();
        let record = SourceRecord {
            feed,
            location: location.clone(),
            raw: &raw,
        };
        let Some(stream_id) = id_of(entry.pointer("/Datastream/@iot.id")) else {
            record.quarantine(
                payload,
                "Datastream",
                "the observation names no Datastream".to_owned(),
            );
            continue;
        };
        let Some(stream) = datastreams.get(&stream_id) else {
            record.quarantine(
                payload,
                "Datastream",
                format!(
                    "Datastream {stream_id} is not described by the Datastreams of this harvest"
                ),
            );
            continue;
        };
        let phenomenon_time = match phenomenon_time(entry.get("phenomenonTime")) {
            Ok(t) => t,
            Err(reason) => {
                record.quarantine(payload, "phenomenonTime", reason);
                continue;
            }
        };
        let result_time = match entry.get("resultTime") {
            Some(Value::String(text)) => match instant(text) {
                Ok(t) => t,
                Err(reason) => {
                    record.quarantine(payload, "resultTime", reason);
                    continue;
                }
            },
            _ => {
                record.quarantine(
                    payload,
                    "resultTime",
                    "no resultTime: when the result became known is unknown".to_owned(),
                );
                continue;
            }
        };
        let number = match measured_number(entry.get("result"), "result") {
            Ok(n) => n,
            Err(reason) => {
                record.quarantine(payload, "result", reason);
                continue;
            }
        };
        let value = match catalogue.to_canonical(
            stream.property,
            number,
            &stream.unit,
            Some(phenomenon_time.duration()),
        ) {
            Ok(v) => v,
            Err(e) => {
                record.quarantine(payload, "result", format!("{number} {}: {e}", stream.unit));
                continue;
            }
        };
        payload.observations.push(record.observation(Reading {
            sensor: SourceId::new(
                feed.sensor_namespace.clone(),
                format!("datastream-{stream_id}"),
            ),
            feature: SourceId::new(
                feed.sensor_namespace.clone(),
                format!("thing-{}", stream.thing),
            ),
            property: stream.property,
            value,
            phenomenon_time,
            result_time,
            location: stream.location,
        }));
    }
}
