//! DATEX II v2 parking publications (Ghent): a `parkingTable` of static sites (name,
//! capacity, location) and a `parkingStatusPublication` of `parkingRecordStatus` elements that
//! refer to the sites (vacant spaces at an origin time). Both parts may come in one document or
//! in separate payloads of one batch. Records are reported by their line range.

use std::collections::HashMap;

use belfort_model::{Catalogue, PhenomenonTime, Point, QuarantinedRecord, SourceId};
use belfort_vocab::quality;
use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
use roxmltree::Node;

use crate::record::{Reading, SourceRecord, wgs84_point};
use crate::xml::{LineIndex, parse_parts};
use crate::{FeedSpec, HarvestError, MappedPayload};

const FORMAT: &str = "DATEX II v2 parking XML";

/// The zone of a DATEX II time without offset.
const LOCAL_ZONE: chrono_tz::Tz = chrono_tz::Europe::Brussels;

struct Site {
    name: String,
    capacity: Option<f64>,
    location: Option<Point>,
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn descendant<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.descendants().find(|c| c.has_tag_name(name))
}

fn element_text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    descendant(node, name).and_then(|n| n.text()).map(str::trim)
}

/// Maps the parts of one DATEX II harvest: every site table first, then every status.
pub(crate) fn map_parts(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    parts: &[(&str, &[u8])],
) -> Result<Vec<MappedPayload>, HarvestError> {
    let (texts, documents): (Vec<&str>, Vec<_>) =
        parse_parts(feed, FORMAT, parts)?.into_iter().unzip();
    let mut sites: HashMap<String, Site> = HashMap::new();
    let mut mapped: Vec<MappedPayload> = parts.iter().map(|_| MappedPayload::default()).collect();
    let lines: Vec<LineIndex> = texts.iter().map(|text| LineIndex::new(text)).collect();
    for (((document, text), payload), lines) in
        documents.iter().zip(&texts).zip(&mut mapped).zip(&lines)
    {
        for site in document
            .descendants()
            .filter(|n| n.has_tag_name("parkingSite"))
        {
            let location = lines.lines_of(site);
            payload.open_record(&location);
            let Some(id) = site.attribute("id") else {
                payload.quarantined.push(QuarantinedRecord {
                    feed: feed.id.clone(),
                    location,
                    field: Some("id".to_owned()),
                    reason: "a parkingSite without id".to_owned(),
                    raw: text[site.range()].to_owned(),
                });
                continue;
            };
            let coordinate =
                |name: &str| element_text(site, name).and_then(|t| t.parse::<f64>().ok());
            let point = wgs84_point(coordinate("longitude"), coordinate("latitude"));
            sites.insert(
                id.to_owned(),
                Site {
                    name: element_text(site, "value").unwrap_or(id).to_owned(),
                    capacity: element_text(site, "parkingNumberOfSpaces")
                        .and_then(|t| t.parse().ok()),
                    location: point,
                },
            );
        }
    }
    for (((document, text), payload), lines) in
        documents.iter().zip(&texts).zip(&mut mapped).zip(&lines)
    {
        for status in document
            .descendants()
            .filter(|n| n.has_tag_name("parkingRecordStatus"))
        {
            map_status(feed, catalogue, text, lines, status, &sites, payload);
        }
    }
    Ok(mapped)
}

fn map_status(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    source: &str,
    lines: &LineIndex,
    status: Node<'_, '_>,
    sites: &HashMap<String, Site>,
    payload: &mut MappedPayload,
) {
    let location = lines.lines_of(status);
    payload.open_record(&location);
    let raw = source[status.range()].to_owned();
    let raw = || raw.clone();
    let record = SourceRecord {
        feed,
        location: location.clone(),
        raw: &raw,
    };

    let Some(reference) = child(status, "parkingRecordReference").and_then(|r| r.attribute("id"))
    else {
        return record.quarantine(
            payload,
            "parkingRecordReference",
            "a status without a site reference".to_owned(),
        );
    };
    let Some(site) = sites.get(reference) else {
        return record.quarantine(
            payload,
            "parkingRecordReference",
            format!("site {reference} is not in the parking table: a dangling reference"),
        );
    };
    let Some(origin) = element_text(status, "parkingStatusOriginTime") else {
        return record.quarantine(
            payload,
            "parkingStatusOriginTime",
            "no origin time".to_owned(),
        );
    };
    let at: DateTime<Utc> = match DateTime::parse_from_rfc3339(origin) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => {
            let naive = NaiveDateTime::parse_from_str(origin, "%Y-%m-%dT%H:%M:%S%.f");
            match naive.map(|n| LOCAL_ZONE.from_local_datetime(&n)) {
                Ok(LocalResult::Single(t)) => {
                    record.flag(payload,
                        "parkingStatusOriginTime",
                        quality::LOCAL_TIME_CHECK,
                        format!(
                            "origin time {origin:?} has no offset; read as Europe/Brussels local time"
                        ),
                    );
                    t.with_timezone(&Utc)
                }
                _ => {
                    return record.quarantine(
                        payload,
                        "parkingStatusOriginTime",
                        format!(
                            "origin time {origin:?} is not a date-time, or is ambiguous in Europe/Brussels"
                        ),
                    );
                }
            }
        }
    };
    let vacant = match element_text(status, "parkingNumberOfVacantSpaces") {
        Some(t) if !t.is_empty() => match t.parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                return record.quarantine(
                    payload,
                    "parkingNumberOfVacantSpaces",
                    format!("{t:?} is not a number"),
                );
            }
        },
        _ => {
            return record.quarantine(
                payload,
                "parkingNumberOfVacantSpaces",
                "empty: the schema requires a non-negative integer".to_owned(),
            );
        }
    };
    let site_status = element_text(status, "parkingSiteStatus").unwrap_or("");
    if site_status == "full" && vacant > 0.0 {
        record.flag(
            payload,
            "parkingSiteStatus",
            quality::SITE_STATUS_CHECK,
            format!(
                "{} is reported full while {vacant} spaces are vacant",
                site.name
            ),
        );
    }
    let sensor = SourceId::new(feed.sensor_namespace.clone(), reference);
    let mut push = |key: &str, value: f64| {
        let Some(property) = catalogue.property_by_key(key) else {
            return;
        };
        payload.observations.push(record.observation(Reading {
            sensor: sensor.clone(),
            feature: sensor.clone(),
            property,
            value,
            phenomenon_time: PhenomenonTime::Instant(at),
            result_time: at,
            location: site.location,
        }));
    };
    push("parking-vacant-spaces", vacant);
    if let Some(capacity) = site.capacity {
        push("parking-capacity", capacity);
    }
}
