//! MIV ("Meten in Vlaanderen") induction-loop data of the Vlaams Verkeerscentrum: the
//! `verkeersdata` publication (one `meetpunt` per lane detector, 1-minute aggregates per
//! vehicle class) and the `configuratie` (where each detector is). Both parts may come in one
//! batch; a detector missing from the configuration is published without a location.
//!
//! Conventions decoded here:
//! - `geldig` 0 means *valid*; a minute marked invalid, defect, unavailable or not current is
//!   quarantined with the flag that says so.
//! - `tijd_waarneming` carries `+01:00` all year (also in summer); it is the start of the
//!   minute. A time without offset is read with that same `+01:00` and flagged.
//! - Vehicle classes: 1 is unreliable and not published, 2 cars, 3 vans, 4 and 5 (rigid and
//!   articulated trucks, buses) together heavy vehicles.
//! - A speed of 251 or more is a code, not a speed: with 0 vehicles (the usual 252) there is
//!   simply no speed to publish.
//! - The configuration writes decimals with a comma and places detectors in Lambert 72
//!   (EPSG:31370, converted to WGS84 here) and in WGS84; when both are present, Lambert 72
//!   wins and a disagreement over 100 m is flagged.

use std::collections::HashMap;

use belfort_model::{Catalogue, PhenomenonTime, Point, SourceId};
use belfort_vocab::{belfort, quality};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta, TimeZone, Utc};
use roxmltree::Node;

use crate::lambert72::Lambert72;
use crate::record::{Reading, SourceRecord, in_belgium, wgs84_point};
use crate::xml::{LineIndex, child_text, parse_parts};
use crate::{FeedSpec, HarvestError, MappedPayload};

const FORMAT: &str = "MIV traffic XML";

/// The offset MIV writes on every observation time, summer and winter.
const MIV_OFFSET_SECONDS: i32 = 3600;

/// Speeds at or above this are status codes of the detector.
const SPEED_CODE_FROM: f64 = 251.0;

/// Two placements of one detector further apart than this disagree.
const PLACEMENT_TOLERANCE_METRES: f64 = 100.0;

/// The classes, as (published property group, MIV class ids).
const GROUPS: [(&str, &str, &[&str]); 3] = [
    ("traffic-count-car", "traffic-speed-mean-car", &["2"]),
    ("traffic-count-van", "traffic-speed-mean-van", &["3"]),
    (
        "traffic-count-heavy",
        "traffic-speed-mean-heavy",
        &["4", "5"],
    ),
];

/// Maps the parts of one MIV harvest: every configuration first, then every publication.
pub(crate) fn map_parts(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    parts: &[(&str, &[u8])],
) -> Result<Vec<MappedPayload>, HarvestError> {
    let (texts, documents): (Vec<&str>, Vec<_>) =
        parse_parts(feed, FORMAT, parts)?.into_iter().unzip();
    let lambert = Lambert72::new();
    let mut mapped: Vec<MappedPayload> = parts.iter().map(|_| MappedPayload::default()).collect();
    let lines: Vec<LineIndex> = texts.iter().map(|text| LineIndex::new(text)).collect();
    let mut placements: HashMap<String, Point> = HashMap::new();
    for (((document, text), payload), lines) in
        documents.iter().zip(&texts).zip(&mut mapped).zip(&lines)
    {
        if !document.root_element().has_tag_name("mivconfig") {
            continue;
        }
        for_each_detector(
            feed,
            document.root_element(),
            text,
            lines,
            payload,
            |record, detector, payload| {
                if let Some((id, point)) = read_placement(record, detector, &lambert, payload) {
                    placements.insert(id, point);
                }
            },
        );
    }
    for ((((document, text), payload), lines), (file, _)) in documents
        .iter()
        .zip(&texts)
        .zip(&mut mapped)
        .zip(&lines)
        .zip(parts)
    {
        let root = document.root_element();
        if root.has_tag_name("mivconfig") {
            continue;
        }
        if !root.has_tag_name("miv") {
            return Err(crate::payload_format_error(
                feed,
                file,
                FORMAT,
                format!(
                    "the root element is <{}>, not <miv> or <mivconfig>",
                    root.tag_name().name()
                ),
            ));
        }
        for_each_detector(
            feed,
            root,
            text,
            lines,
            payload,
            |record, detector, payload| {
                map_minute(record, catalogue, detector, &placements, payload);
            },
        );
    }
    Ok(mapped)
}

/// Opens a record for each `<meetpunt>` under `root` and hands it to `map`.
fn for_each_detector(
    feed: &FeedSpec,
    root: Node<'_, '_>,
    text: &str,
    lines: &LineIndex,
    payload: &mut MappedPayload,
    mut map: impl FnMut(&SourceRecord<'_>, Node<'_, '_>, &mut MappedPayload),
) {
    for detector in root.children().filter(|n| n.has_tag_name("meetpunt")) {
        let location = lines.lines_of(detector);
        payload.open_record(&location);
        let raw = || text[detector.range()].to_owned();
        let record = SourceRecord {
            feed,
            location,
            raw: &raw,
        };
        map(&record, detector, payload);
    }
}

/// A decimal as MIV writes it: `4,289767347` (a point is accepted too).
fn decimal(text: &str) -> Option<f64> {
    text.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
}

/// Where the configuration puts one detector, or why it cannot be placed.
fn read_placement(
    record: &SourceRecord<'_>,
    detector: Node<'_, '_>,
    lambert: &Lambert72,
    payload: &mut MappedPayload,
) -> Option<(String, Point)> {
    let Some(id) = detector.attribute("unieke_id").map(str::trim) else {
        record.quarantine(
            payload,
            "unieke_id",
            "a configured detector without unieke_id".to_owned(),
        );
        return None;
    };
    let number = |name: &str| child_text(detector, name).and_then(decimal);
    let surveyed = match (number("X_coord_EPSG_31370"), number("Y_coord_EPSG_31370")) {
        (Some(x), Some(y)) => match lambert.to_wgs84(x, y) {
            Ok(point) => Some(point),
            Err(message) => {
                record.quarantine(payload, "X_coord_EPSG_31370", message);
                return None;
            }
        },
        _ => None,
    };
    let stated = wgs84_point(
        number("lengtegraad_EPSG_4326"),
        number("breedtegraad_EPSG_4326"),
    );
    let point = match (surveyed, stated) {
        (Some(surveyed), Some(stated)) => {
            let apart = surveyed.distance_metres(&stated);
            if apart > PLACEMENT_TOLERANCE_METRES {
                record.flag(
                    payload,
                    "lengtegraad_EPSG_4326",
                    quality::COORDINATE_CHECK,
                    format!(
                        "detector {id}: its WGS84 coordinates lie {apart:.0} m from its Lambert 72 \
                         coordinates; the Lambert 72 placement is used"
                    ),
                );
            }
            surveyed
        }
        (Some(point), None) | (None, Some(point)) => point,
        (None, None) => {
            record.quarantine(
                payload,
                "X_coord_EPSG_31370",
                format!(
                    "detector {id} has neither Lambert 72 (X_coord_EPSG_31370, Y_coord_EPSG_31370) \
                     nor WGS84 coordinates"
                ),
            );
            return None;
        }
    };
    if !in_belgium(point.lon, point.lat) {
        record.quarantine(
            payload,
            "lengtegraad_EPSG_4326",
            format!(
                "detector {id} is placed at longitude {:.5}, latitude {:.5}: outside Belgium",
                point.lon, point.lat
            ),
        );
        return None;
    }
    Some((id.to_owned(), point))
}

/// The flags of a detector minute that make it unusable, as (field, reason).
fn unusable(detector: Node<'_, '_>) -> Option<(&'static str, String)> {
    let flag = |name: &str| child_text(detector, name).map(str::trim);
    let checks: [(&'static str, &str, &str); 4] = [
        (
            "geldig",
            "0",
            "the Verkeerscentrum marks this minute invalid (geldig 0 means valid)",
        ),
        ("defect", "0", "the detector reports itself defect"),
        (
            "beschikbaar",
            "1",
            "the detector reports no data for this minute",
        ),
        (
            "actueel_publicatie",
            "1",
            "the publication is not current: the values are not of this minute",
        ),
    ];
    checks.into_iter().find_map(|(field, good, reason)| {
        let value = flag(field)?;
        (value != good).then(|| (field, format!("{field} is {value}: {reason}")))
    })
}

/// The start of the minute, from `tijd_waarneming`.
fn observed_at(
    record: &SourceRecord<'_>,
    text: &str,
    payload: &mut MappedPayload,
) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .map_err(|_| format!("{text:?} is not a date-time"))?;
    let offset = FixedOffset::east_opt(MIV_OFFSET_SECONDS).ok_or("no offset")?;
    let at = offset
        .from_local_datetime(&naive)
        .single()
        .ok_or_else(|| format!("{text:?} does not exist at +01:00"))?;
    record.flag(
        payload,
        "tijd_waarneming",
        quality::LOCAL_TIME_CHECK,
        format!("observation time {text:?} has no offset; read with MIV's year-round +01:00"),
    );
    Ok(at.with_timezone(&Utc))
}

/// One vehicle class of a minute: its count and its mean speed, if it has one.
struct ClassMinute {
    count: f64,
    speed: Option<f64>,
}

fn read_class(node: Node<'_, '_>) -> Result<ClassMinute, String> {
    let class = node.attribute("klasse_id").unwrap_or("?");
    let count_text = child_text(node, "verkeersintensiteit")
        .ok_or_else(|| format!("class {class}: no verkeersintensiteit"))?;
    let count = decimal(count_text).filter(|c| *c >= 0.0).ok_or_else(|| {
        format!("class {class}: count {count_text:?} is not a non-negative number")
    })?;
    let speed = match child_text(node, "voertuigsnelheid_rekenkundig") {
        None => None,
        Some(text) => Some(
            decimal(text)
                .ok_or_else(|| format!("class {class}: speed {text:?} is not a number"))?,
        ),
    };
    Ok(ClassMinute {
        count,
        speed: speed.filter(|s| count > 0.0 && *s < SPEED_CODE_FROM && *s >= 0.0),
    })
}

fn map_minute(
    record: &SourceRecord<'_>,
    catalogue: &Catalogue,
    detector: Node<'_, '_>,
    placements: &HashMap<String, Point>,
    payload: &mut MappedPayload,
) {
    let Some(id) = detector.attribute("unieke_id").map(str::trim) else {
        return record.quarantine(
            payload,
            "unieke_id",
            "a detector without unieke_id".to_owned(),
        );
    };
    if let Some((field, reason)) = unusable(detector) {
        return record.quarantine(payload, field, format!("detector {id}: {reason}"));
    }
    let Some(time_text) = child_text(detector, "tijd_waarneming") else {
        return record.quarantine(
            payload,
            "tijd_waarneming",
            format!("detector {id}: no observation time"),
        );
    };
    let start = match observed_at(record, time_text.trim(), payload) {
        Ok(start) => start,
        Err(reason) => return record.quarantine(payload, "tijd_waarneming", reason),
    };
    let end = start + TimeDelta::minutes(1);
    let result_time = child_text(detector, "tijd_laatst_gewijzigd")
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map_or(end, |t| t.with_timezone(&Utc));
    let mut classes: HashMap<&str, ClassMinute> = HashMap::new();
    for node in detector.children().filter(|n| n.has_tag_name("meetdata")) {
        let Some(class) = node.attribute("klasse_id") else {
            return record.quarantine(
                payload,
                "meetdata",
                format!("detector {id}: a meetdata element without klasse_id"),
            );
        };
        match read_class(node) {
            Ok(minute) => {
                classes.insert(class, minute);
            }
            Err(reason) => {
                return record.quarantine(payload, "meetdata", format!("detector {id}: {reason}"));
            }
        }
    }
    let availability = detector
        .children()
        .find(|n| n.has_tag_name("rekendata"))
        .and_then(|figures| child_text(figures, "beschikbaarheidsgraad"))
        .and_then(decimal)
        .map(|percent| (percent / 100.0).clamp(0.0, 1.0));
    let sensor = SourceId::new(record.feed.sensor_namespace.clone(), id);
    let location = placements.get(id).copied();
    let mut observations = Vec::new();
    let mut push = |key: &str, value: f64| {
        let Some(property) = catalogue.property_by_key(key) else {
            return;
        };
        let mut observation = record.observation(Reading {
            sensor: sensor.clone(),
            feature: sensor.clone(),
            property,
            value,
            phenomenon_time: PhenomenonTime::Interval { start, end },
            result_time,
            location,
        });
        if let Some(uptime) = availability {
            observation.qualifiers.push(belfort_model::Qualifier {
                predicate: belfort::UPTIME.into_owned(),
                value: uptime,
            });
        }
        observations.push(observation);
    };
    let mut not_measured = 0;
    let mut quarantined = Vec::new();
    for (count_key, speed_key, ids) in GROUPS {
        let members: Vec<&ClassMinute> = ids.iter().filter_map(|c| classes.get(c)).collect();
        if members.is_empty() {
            continue;
        }
        if members.len() != ids.len() {
            let missing: Vec<&str> = ids
                .iter()
                .filter(|c| !classes.contains_key(*c))
                .copied()
                .collect();
            quarantined.push(format!(
                "detector {id}: class {} is missing, so {count_key} (classes {}) cannot be \
                     summed; the classes present are kept in the raw record",
                missing.join(", "),
                ids.join(" + ")
            ));
            continue;
        }
        let count: f64 = members.iter().map(|m| m.count).sum();
        push(count_key, count);
        // The mean over the group's classes, weighted by their counts.
        let timed: Vec<(f64, f64)> = members
            .iter()
            .filter_map(|m| m.speed.map(|s| (m.count, s)))
            .collect();
        let timed_count: f64 = timed.iter().map(|(c, _)| c).sum();
        if timed_count > 0.0 {
            let mean = timed.iter().map(|(c, s)| c * s).sum::<f64>() / timed_count;
            push(speed_key, (mean * 100.0).round() / 100.0);
        } else {
            // No vehicles (speed code 252): no speed was measured.
            not_measured += 1;
        }
    }
    for reason in quarantined {
        record.quarantine(payload, "meetdata", reason);
    }
    payload.observations.extend(observations);
    payload.not_measured += not_measured;
}
