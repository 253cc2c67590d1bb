//! Opendatasoft Explore API v2.1 records of parking garages (Ghent's `bezetting-parkeergarages`
//! dataset): `{"total_count", "results": [{name, lastupdate, totalcapacity, availablecapacity,
//! occupation, isopennow, temporaryclosed, location: {lon, lat}, …}]}`. Each record is one
//! garage at one moment: vacant spaces, capacity and occupancy (percent).

use belfort_model::{Catalogue, PhenomenonTime, Point, SourceId};
use belfort_vocab::quality;
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use crate::record::{Reading, SourceRecord, in_belgium};
use crate::{FeedSpec, HarvestError, MappedPayload, RecordFlag, parse_json, payload_format_error};

const FORMAT: &str = "Opendatasoft Explore v2.1 JSON (parking garages)";

/// Source field → catalogue property key.
const FIELDS: &[(&str, &str)] = &[
    ("availablecapacity", "parking-vacant-spaces"),
    ("totalcapacity", "parking-capacity"),
    ("occupation", "parking-occupancy"),
];

/// The zone of a local time without offset, as Ghent publishes it.
const LOCAL_ZONE: chrono_tz::Tz = chrono_tz::Europe::Brussels;

/// Maps the pages of one harvest (`limit`/`offset` paging gives one part per page). A
/// `total_count` above the records of all pages together is flagged: pages are missing.
pub(crate) fn map_parts(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    parts: &[(&str, &[u8])],
) -> Result<Vec<MappedPayload>, HarvestError> {
    let documents = parts
        .iter()
        .map(|(file, payload)| parse_json(feed, file, FORMAT, payload))
        .collect::<Result<Vec<_>, _>>()?;
    let mut pages = Vec::with_capacity(documents.len());
    for ((file, _), document) in parts.iter().zip(&documents) {
        let Some(Value::Array(records)) = document.get("results") else {
            return Err(payload_format_error(
                feed,
                file,
                FORMAT,
                "no \"results\" array at /results".to_owned(),
            ));
        };
        pages.push((document, records));
    }
    let in_batch: u64 = pages.iter().map(|(_, records)| records.len() as u64).sum();
    let mut mapped_parts = Vec::with_capacity(pages.len());
    for (document, records) in pages {
        let mut mapped = MappedPayload::default();
        if let Some(total) = document.get("total_count").and_then(Value::as_u64)
            && total > in_batch
        {
            // The page envelope is reported as a record of its own: the defect is there.
            mapped.open_record("/total_count");
            mapped.flags.push(RecordFlag {
                location: "/total_count".to_owned(),
                field: Some("total_count".to_owned()),
                rule: quality::INCOMPLETE_PAGE_CHECK.into_owned(),
                message: format!(
                    "total_count is {total} but the harvest holds {in_batch} records: the other pages (offset/limit) are missing"
                ),
            });
        }
        for (index, record) in records.iter().enumerate() {
            let location = format!("/results/{index}");
            mapped.open_record(&location);
            map_record(feed, catalogue, record, &location, &mut mapped);
        }
        mapped_parts.push(mapped);
    }
    Ok(mapped_parts)
}

fn map_record(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    fields: &Value,
    location: &str,
    mapped: &mut MappedPayload,
) {
    let raw = || fields.to_string();
    let source = SourceRecord {
        feed,
        location: location.to_owned(),
        raw: &raw,
    };
    let Some(id) = fields
        .get("id")
        .and_then(Value::as_str)
        .or_else(|| fields.get("name").and_then(Value::as_str))
    else {
        return source.quarantine(mapped, "id", "a garage without id or name".to_owned());
    };
    let key = id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(id)
        .to_owned();
    let at = match fields.get("lastupdate").and_then(Value::as_str) {
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.with_timezone(&Utc),
            Err(_) => match NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
                Ok(naive) => match LOCAL_ZONE.from_local_datetime(&naive) {
                    LocalResult::Single(t) => {
                        source.flag(mapped,
                            "lastupdate",
                            quality::LOCAL_TIME_CHECK,
                            format!(
                                "lastupdate {text:?} has no offset; read as Europe/Brussels local time"
                            ),
                        );
                        t.with_timezone(&Utc)
                    }
                    _ => {
                        return source.quarantine(
                            mapped,
                            "lastupdate",
                            format!(
                                "lastupdate {text:?} has no offset and is ambiguous or skipped in Europe/Brussels"
                            ),
                        );
                    }
                },
                Err(_) => {
                    return source.quarantine(
                        mapped,
                        "lastupdate",
                        format!("lastupdate {text:?} is not an ISO 8601 time"),
                    );
                }
            },
        },
        None => return source.quarantine(mapped, "lastupdate", "no lastupdate".to_owned()),
    };
    let point = match (
        fields.pointer("/location/lon").and_then(Value::as_f64),
        fields.pointer("/location/lat").and_then(Value::as_f64),
    ) {
        (Some(lon), Some(lat)) if in_belgium(lon, lat) => Some(Point { lon, lat }),
        (Some(lon), Some(lat)) => {
            let swapped = in_belgium(lat, lon);
            source.flag(mapped,
                "location",
                quality::COORDINATE_CHECK,
                if swapped {
                    format!(
                        "location lon {lon}, lat {lat} lies outside Belgium; swapped it would not: longitude and latitude are exchanged (not published)"
                    )
                } else {
                    format!("location lon {lon}, lat {lat} lies outside Belgium (not published)")
                },
            );
            None
        }
        _ => None,
    };
    let closed = fields.get("temporaryclosed").and_then(Value::as_i64) == Some(1)
        || fields.get("isopennow").and_then(Value::as_i64) == Some(0);
    if closed
        && fields
            .get("availablecapacity")
            .and_then(Value::as_f64)
            .is_some_and(|v| v > 0.0)
    {
        source.flag(mapped,
            "availablecapacity",
            quality::CLOSED_FACILITY_CHECK,
            "the garage is closed (temporaryclosed 1 or isopennow 0) yet reports vacant spaces as live occupancy".to_owned(),
        );
    }
    let sensor = SourceId::new(feed.sensor_namespace.clone(), key);
    for (field, property_key) in FIELDS {
        let value = match fields.get(*field) {
            None | Some(Value::Null) => continue,
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v.is_finite() => v,
                _ => {
                    source.quarantine(mapped, field, format!("{field} {n} is not a finite number"));
                    continue;
                }
            },
            Some(other) => {
                source.quarantine(
                    mapped,
                    field,
                    format!("{field} is {other} instead of a number"),
                );
                continue;
            }
        };
        let Some(property) = catalogue.property_by_key(property_key) else {
            continue; // every key above is catalogued (tested)
        };
        mapped.observations.push(source.observation(Reading {
            sensor: sensor.clone(),
            feature: sensor.clone(),
            property,
            value,
            phenomenon_time: PhenomenonTime::Instant(at),
            result_time: at,
            location: point,
        }));
    }
}
