//! sensor.community (ex luftdaten.info) `data.json` v2: one array of 5-minute means per sensor.
//!
//! Timestamps are UTC without a zone marker and mark the end of the averaging window; values
//! and coordinates arrive as strings. `P1` is PM10, `P2` PM2.5, `P0` PM1; pressure is in Pa.

use belfort_model::{
    Catalogue, Observation, PhenomenonTime, Point, PropertyDefinition, QuarantinedRecord, SourceId,
};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use belfort_vocab::quality;

use crate::record::wgs84_point;
use crate::{FeedSpec, HarvestError, MappedPayload, RecordFlag, parse_json, payload_format_error};

const FORMAT: &str = "sensor.community data.json (v2)";

/// The window a `data.json` value is the mean of.
const WINDOW_MINUTES: i64 = 5;

/// `value_type` → catalogue property key and the unit the source uses.
pub(crate) const VALUE_TYPES: &[(&str, &str, &str)] = &[
    ("P1", "pm10", "ug/m3"),
    ("P2", "pm25", "ug/m3"),
    ("P0", "pm1", "ug/m3"),
    ("temperature", "air-temperature", "degC"),
    ("humidity", "relative-humidity", "%"),
    ("pressure", "air-pressure", "Pa"),
];

pub(crate) fn map_data_json(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    file: &str,
    payload: &[u8],
) -> Result<MappedPayload, HarvestError> {
    let format_error = |message: String| payload_format_error(feed, file, FORMAT, message);
    let document = parse_json(feed, file, FORMAT, payload)?;
    let Value::Array(records) = document else {
        return Err(format_error("the document is not a JSON array".to_owned()));
    };
    let mut mapped = MappedPayload::default();
    for (index, record) in records.iter().enumerate() {
        mapped.records += 1;
        let location = format!("/{index}");
        mapped.record_locations.push(location.clone());
        let mut quarantine = |field: Option<&str>, reason: String| {
            mapped.quarantined.push(QuarantinedRecord {
                feed: feed.id.clone(),
                location: location.clone(),
                field: field.map(str::to_owned),
                reason,
                raw: record.to_string(),
            });
        };
        let Value::Object(fields) = record else {
            quarantine(None, "the record is not a JSON object".to_owned());
            continue;
        };
        let sensor = match fields.get("sensor").and_then(|s| s.get("id")) {
            Some(Value::Number(id)) if id.is_u64() => id.to_string(),
            other => {
                quarantine(
                    Some("sensor.id"),
                    format!("sensor.id {} is not an integer", describe(other)),
                );
                continue;
            }
        };
        let end = match fields.get("timestamp").and_then(Value::as_str) {
            Some(text) => match NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
                // data.json timestamps are UTC, only without a zone marker.
                Ok(naive) => naive.and_utc(),
                Err(_) => {
                    quarantine(
                        Some("timestamp"),
                        format!("timestamp {text:?} is not YYYY-MM-DD HH:MM:SS"),
                    );
                    continue;
                }
            },
            None => {
                quarantine(Some("timestamp"), "no timestamp string".to_owned());
                continue;
            }
        };
        let start = end - Duration::minutes(WINDOW_MINUTES);
        let Ok(phenomenon_time) = PhenomenonTime::interval(start, end) else {
            continue; // a positive window is never empty
        };
        let (feature_id, point) = match read_location(fields) {
            Ok(found) => found,
            Err(reason) => {
                quarantine(Some("location"), reason);
                continue;
            }
        };
        let point = match point {
            Some(p) if p.lat == 0.0 && p.lon == 0.0 => {
                quarantine(
                    Some("location"),
                    "coordinates 0,0: the location was never configured".to_owned(),
                );
                None
            }
            other => other,
        };
        let indoor = fields
            .get("location")
            .and_then(|l| l.get("indoor"))
            .is_some_and(|i| {
                i.as_i64() == Some(1) || i.as_str() == Some("1") || i.as_bool() == Some(true)
            });
        if indoor {
            mapped.flags.push(RecordFlag {
                location: location.clone(),
                field: Some("location.indoor".to_owned()),
                rule: quality::INDOOR_SENSOR_CHECK.into_owned(),
                message: format!(
                    "sensor {sensor} is indoors: not comparable with outdoor ambient readings"
                ),
            });
        }
        let sensor_id = SourceId::new(feed.sensor_namespace.clone(), sensor);
        let feature = SourceId::new(
            feed.sensor_namespace.clone(),
            format!("location-{feature_id}"),
        );
        let values = match fields.get("sensordatavalues") {
            Some(Value::Array(values)) => values,
            other => {
                quarantine(
                    Some("sensordatavalues"),
                    format!("sensordatavalues {} is not an array", describe(other)),
                );
                continue;
            }
        };
        for (position, value) in values.iter().enumerate() {
            let field = format!("sensordatavalues/{position}");
            let value_type = value
                .get("value_type")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some((_, key, unit)) = VALUE_TYPES.iter().find(|(t, _, _)| *t == value_type) else {
                quarantine(
                    Some(&field),
                    format!("value_type {value_type:?} is not a catalogued property"),
                );
                continue;
            };
            let Some(property) = catalogue.property_by_key(key) else {
                continue; // the compiled-in catalogue has every key above (tested)
            };
            let text = match value.get("value") {
                Some(Value::String(text)) => text.trim(),
                other => {
                    quarantine(
                        Some(&field),
                        format!("{value_type} value {} is not a string", describe(other)),
                    );
                    continue;
                }
            };
            let reading = Reading {
                feed,
                sensor: &sensor_id,
                feature: &feature,
                phenomenon_time,
                result_time: end,
                location: point,
                source_record: &location,
            };
            match reading.observe(catalogue, property, text, unit) {
                Ok(observation) => mapped.observations.push(observation),
                Err(reason) => quarantine(Some(&field), format!("{value_type} {reason}")),
            }
        }
    }
    Ok(mapped)
}

/// One reading of a sensor.community sensor, before its value is known: what the JSON and the
/// archive CSV share once their own layouts are decoded.
pub(crate) struct Reading<'a> {
    pub(crate) feed: &'a FeedSpec,
    pub(crate) sensor: &'a SourceId,
    pub(crate) feature: &'a SourceId,
    pub(crate) phenomenon_time: PhenomenonTime,
    pub(crate) result_time: DateTime<Utc>,
    pub(crate) location: Option<Point>,
    pub(crate) source_record: &'a str,
}

impl Reading<'_> {
    /// The observation of `property` whose value the source wrote as `text` in `unit`; the
    /// error says why the value cannot be used (sentinels such as `""`, `nan`, `unavailable`).
    pub(crate) fn observe(
        &self,
        catalogue: &Catalogue,
        property: &PropertyDefinition,
        text: &str,
        unit: &str,
    ) -> Result<Observation, String> {
        let number = match text.parse::<f64>() {
            Ok(n) if n.is_finite() => n,
            _ => return Err(format!("value {text:?} is not a number")),
        };
        let value = catalogue
            .to_canonical(
                property,
                number,
                unit,
                Some(self.phenomenon_time.duration()),
            )
            .map_err(|e| e.to_string())?;
        Ok(Observation {
            feed: self.feed.id.clone(),
            sensor: self.sensor.clone(),
            feature: self.feature.clone(),
            sample_of: None,
            property: property.iri.clone(),
            value,
            unit: property.canonical_unit.clone(),
            integer_valued: property.integer_valued,
            phenomenon_time: self.phenomenon_time,
            result_time: self.result_time,
            location: self.location,
            qualifiers: Vec::new(),
            source_record: self.source_record.to_owned(),
            source_iri: None,
        })
    }
}

fn read_location(fields: &Map<String, Value>) -> Result<(String, Option<Point>), String> {
    let Some(Value::Object(location)) = fields.get("location") else {
        return Err("no location object".to_owned());
    };
    let id = match location.get("id") {
        Some(Value::Number(id)) if id.is_u64() => id.to_string(),
        other => return Err(format!("location.id {} is not an integer", describe(other))),
    };
    let coordinate = |name: &str| {
        location
            .get(name)
            .and_then(Value::as_str)
            .and_then(|s| s.trim().parse::<f64>().ok())
    };
    let point = wgs84_point(coordinate("longitude"), coordinate("latitude"));
    Ok((id, point))
}

fn describe(value: Option<&Value>) -> String {
    value.map_or_else(|| "missing".to_owned(), Value::to_string)
}
