//! Telraam `traffic_snapshot_live`: a GeoJSON FeatureCollection with, per segment, the counts
//! of the current hour so far. Missing numbers are empty strings `""`; dates look like
//! `2023-12-10 04:00:00+00:00` (the start of the hour).

use belfort_model::{Catalogue, PhenomenonTime, Qualifier, SourceId};
use belfort_vocab::{belfort, quality};
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::record::{Reading, SourceRecord};
use crate::{FeedSpec, HarvestError, MappedPayload, parse_json, payload_format_error};

const FORMAT: &str = "Telraam traffic_snapshot_live GeoJSON";

const FIELDS: &[(&str, &str)] = &[
    ("car", "traffic-count-car"),
    ("bike", "traffic-count-bicycle"),
    ("pedestrian", "traffic-count-pedestrian"),
    ("heavy", "traffic-count-heavy"),
    ("v85", "traffic-speed-v85-car"),
];

/// A segment whose last data package is this much older than the newest one of the snapshot
/// has stopped sending.
const INACTIVE_AFTER_HOURS: i64 = 24;

/// `2023-12-10 04:00:00+00:00`, `2023-12-10 05:29:51.438300+00:00`, or RFC 3339; a time
/// without offset is never guessed.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
}

pub(crate) fn map_snapshot(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    file: &str,
    payload: &[u8],
) -> Result<MappedPayload, HarvestError> {
    let document = parse_json(feed, file, FORMAT, payload)?;
    let Some(Value::Array(features)) = document.get("features") else {
        return Err(payload_format_error(
            feed,
            file,
            FORMAT,
            "no \"features\" array at /features".to_owned(),
        ));
    };
    let newest_package = features
        .iter()
        .filter_map(|f| f.pointer("/properties/last_data_package")?.as_str())
        .filter_map(parse_time)
        .max();
    let mut mapped = MappedPayload::default();
    for (index, feature) in features.iter().enumerate() {
        let location = format!("/features/{index}");
        mapped.open_record(&location);
        let properties = feature.get("properties").unwrap_or(&Value::Null);
        let raw = || feature.to_string();
        let record = SourceRecord {
            feed,
            location: location.clone(),
            raw: &raw,
        };

        let Some(segment) = properties.get("segment_id").and_then(Value::as_u64) else {
            record.quarantine(
                &mut mapped,
                "segment_id",
                "no integer segment_id".to_owned(),
            );
            continue;
        };
        if let (Some(newest), Some(last)) = (
            newest_package,
            properties
                .get("last_data_package")
                .and_then(Value::as_str)
                .and_then(parse_time),
        ) && newest - last > Duration::hours(INACTIVE_AFTER_HOURS)
        {
            record.flag(&mut mapped,
                "last_data_package",
                quality::INACTIVE_SOURCE_CHECK,
                format!(
                    "segment {segment} last sent data on {}, {} days before the newest segment of this snapshot: inactive",
                    last.to_rfc3339(),
                    (newest - last).num_days()
                ),
            );
        }
        // "" is this endpoint's way of saying "missing", for every number.
        let number = |name: &str| -> Result<Option<f64>, String> {
            match properties.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(Value::Number(n)) => n
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .map(Some)
                    .ok_or_else(|| format!("{name} {n} is not finite")),
                Some(other) => Err(format!("{name} is {other} instead of a number")),
            }
        };
        let date = properties.get("date").and_then(Value::as_str).unwrap_or("");
        if date.is_empty() {
            continue; // no current hour: nothing measured (an inactive segment is flagged above)
        }
        let Some(start) = parse_time(date) else {
            record.quarantine(
                &mut mapped,
                "date",
                format!("date {date:?} is not a time with an offset"),
            );
            continue;
        };
        let length = match properties.get("period").and_then(Value::as_str) {
            Some("hourly") => Duration::hours(1),
            Some("daily") => Duration::days(1),
            other => {
                record.quarantine(
                    &mut mapped,
                    "period",
                    format!("period {other:?} is neither hourly nor daily"),
                );
                continue;
            }
        };
        let uptime = match number("uptime") {
            Ok(Some(u)) if (0.0..=1.0).contains(&u) => u,
            Ok(Some(u)) => {
                record.quarantine(&mut mapped, "uptime", format!("uptime {u} is outside 0..1"));
                continue;
            }
            Ok(None) => continue,
            Err(reason) => {
                record.quarantine(&mut mapped, "uptime", reason);
                continue;
            }
        };
        let Ok(phenomenon_time) = PhenomenonTime::interval(start, start + length) else {
            continue; // a positive length is never empty
        };
        let sensor = SourceId::new(feed.sensor_namespace.clone(), segment.to_string());
        let mut zeros_at_no_uptime = false;
        for (field, key) in FIELDS {
            let value = match number(field) {
                Ok(Some(v)) => v,
                Ok(None) => continue,
                Err(reason) => {
                    record.quarantine(&mut mapped, field, reason);
                    continue;
                }
            };
            if uptime == 0.0 {
                if value == 0.0 {
                    zeros_at_no_uptime = true;
                    mapped.not_measured += 1;
                } else {
                    record.quarantine(
                        &mut mapped,
                        field,
                        format!(
                            "{field} is {value} but uptime is 0: nothing can have been counted"
                        ),
                    );
                }
                continue;
            }
            let Some(property) = catalogue.property_by_key(key) else {
                continue;
            };
            let mut observation = record.observation(Reading {
                sensor: sensor.clone(),
                feature: sensor.clone(),
                property,
                value,
                phenomenon_time,
                result_time: start + length,
                location: None,
            });
            observation.qualifiers.push(Qualifier {
                predicate: belfort::UPTIME.into_owned(),
                value: uptime,
            });
            mapped.observations.push(observation);
        }
        if zeros_at_no_uptime {
            record.flag(&mut mapped,
                "uptime",
                quality::NOT_COUNTING_CHECK,
                format!(
                    "segment {segment} shows zero counts at uptime 0 as its live state: it is not counting, which is not zero traffic (nothing published)"
                ),
            );
        }
    }
    Ok(mapped)
}
