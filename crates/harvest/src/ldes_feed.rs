//! A Linked Data Event Stream as a city feed: the members of another government's stream (or
//! another Belfort's) read back into observations, so that they pass the same normalisation,
//! validation and quality rules as any other source and are published under this platform's
//! IRIs, with provenance to the pages they came from.
//!
//! A member is read as a SOSA observation: `sosa:observedProperty` (a catalogued property),
//! `sosa:hasSimpleResult` or `sosa:hasResult`/`qudt:numericValue` (with `qudt:hasUnit`,
//! converted to the canonical unit), `sosa:madeBySensor`, `sosa:hasFeatureOfInterest` (with a
//! `geo:hasGeometry`/`geo:asWKT` point when the page gives one), `sosa:resultTime`, and
//! `sosa:phenomenonTime` as an `xsd:dateTime`, a `time:Instant` or a `time:Interval` of two
//! instants. Sensors and features keep the source's id: the part of their IRI after
//! `/sensor/` or `/feature/` when there is one, else the whole IRI.

use std::collections::HashMap;

use belfort_model::{Catalogue, PhenomenonTime, Point, Qualifier, SourceId};
use belfort_vocab::{belfort, geo, qudt, sosa, time};
use chrono::{DateTime, Utc};
use oxrdf::{NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};

use crate::ldes::{Member, read_node};
use crate::record::{Reading, SourceRecord};
use crate::{FeedSpec, HarvestError, MappedPayload, payload_format_error};

const FORMAT: &str = "Linked Data Event Stream page";

/// Maps the pages of one harvest of a stream, part by part.
pub(crate) fn map_parts(
    feed: &FeedSpec,
    catalogue: &Catalogue,
    parts: &[(&str, &[u8])],
) -> Result<Vec<MappedPayload>, HarvestError> {
    parts
        .iter()
        .map(|(file, bytes)| {
            let node = read_node(file, None, bytes, None)
                .map_err(|e| payload_format_error(feed, file, FORMAT, e.message))?;
            let mut mapped = MappedPayload::default();
            for member in &node.members {
                map_member(feed, catalogue, member, &mut mapped);
            }
            Ok(mapped)
        })
        .collect()
}

/// The statements of one member, by subject.
struct Description<'a> {
    by_subject: HashMap<&'a str, Vec<&'a Triple>>,
}

impl<'a> Description<'a> {
    fn new(triples: &'a [Triple]) -> Self {
        let mut by_subject: HashMap<&str, Vec<&Triple>> = HashMap::new();
        for triple in triples {
            if let NamedOrBlankNode::NamedNode(subject) = &triple.subject {
                by_subject.entry(subject.as_str()).or_default().push(triple);
            }
        }
        Self { by_subject }
    }

    fn object(&self, subject: &str, predicate: NamedNodeRef<'_>) -> Option<&'a Term> {
        self.by_subject
            .get(subject)?
            .iter()
            .find(|t| t.predicate == predicate)
            .map(|t| &t.object)
    }

    fn iri(&self, subject: &str, predicate: NamedNodeRef<'_>) -> Option<&'a NamedNode> {
        match self.object(subject, predicate)? {
            Term::NamedNode(node) => Some(node),
            _ => None,
        }
    }

    fn literal(&self, subject: &str, predicate: NamedNodeRef<'_>) -> Option<&'a str> {
        match self.object(subject, predicate)? {
            Term::Literal(literal) => Some(literal.value()),
            _ => None,
        }
    }

    fn time_stamp(&self, instant: &str) -> Option<DateTime<Utc>> {
        let text = self.literal(instant, time::IN_XSD_DATE_TIME_STAMP)?;
        parse_time(text)
    }
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The source's own id of a sensor or feature IRI.
fn source_id(iri: &NamedNode, kind: &str) -> String {
    let marker = format!("/{kind}/");
    iri.as_str()
        .split_once(&marker)
        .map_or(iri.as_str(), |(_, rest)| rest)
        .to_owned()
}

/// `POINT (lon lat)`, optionally after a CRS IRI.
fn parse_wkt_point(wkt: &str) -> Option<Point> {
    let body = wkt.trim();
    let body = if body.starts_with('<') {
        body.split_once('>')?.1.trim()
    } else {
        body
    };
    let inner = body
        .strip_prefix("POINT")
        .or_else(|| body.strip_prefix("Point"))?
        .trim()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let mut numbers = inner.split_whitespace().map(str::parse::<f64>);
    let (Some(Ok(lon)), Some(Ok(lat))) = (numbers.next(), numbers.next()) else {
        return None;
    };
    crate::record::wgs84_point(Some(lon), Some(lat))
}

/// Why a member cannot be used: the field, and the reason.
type Unusable = (&'static str, String);

fn map_member(feed: &FeedSpec, catalogue: &Catalogue, member: &Member, mapped: &mut MappedPayload) {
    let location = member.iri.as_str().to_owned();
    mapped.open_record(&location);
    let raw = || {
        member
            .triples
            .iter()
            .map(|t| format!("{t} .\n"))
            .collect::<String>()
    };
    let record = SourceRecord {
        feed,
        location,
        raw: &raw,
    };
    match read_member(feed, catalogue, member) {
        Ok((reading, uptime)) => {
            let mut observation = record.observation(reading);
            observation.source_iri = Some(member.iri.clone());
            if let Some(uptime) = uptime {
                observation.qualifiers.push(Qualifier {
                    predicate: belfort::UPTIME.into_owned(),
                    value: uptime,
                });
            }
            mapped.observations.push(observation);
        }
        Err((field, reason)) => record.quarantine(mapped, field, reason),
    }
}

/// The reading a member states, and its uptime when it has one.
fn read_member<'c>(
    feed: &FeedSpec,
    catalogue: &'c Catalogue,
    member: &Member,
) -> Result<(Reading<'c>, Option<f64>), Unusable> {
    let about = Description::new(&member.triples);
    let me = member.iri.as_str();
    let property_iri = about.iri(me, sosa::OBSERVED_PROPERTY).ok_or((
        "sosa:observedProperty",
        "the member has no observed property: not a SOSA observation".to_owned(),
    ))?;
    let property = catalogue
        .property_by_iri(property_iri.as_ref())
        .ok_or_else(|| {
            (
                "sosa:observedProperty",
                format!("<{}> is not a catalogued property", property_iri.as_str()),
            )
        })?;
    let result = about.iri(me, sosa::HAS_RESULT);
    let value_text = about
        .literal(me, sosa::HAS_SIMPLE_RESULT)
        .or_else(|| result.and_then(|r| about.literal(r.as_str(), qudt::NUMERIC_VALUE)));
    let value = value_text
        .and_then(|t| t.trim().parse::<f64>().ok())
        .ok_or_else(|| {
            (
                "sosa:hasSimpleResult",
                format!(
                    "the result {} is not a number",
                    value_text.map_or("(none)".to_owned(), |t| format!("{t:?}"))
                ),
            )
        })?;
    let result_time = about
        .literal(me, sosa::RESULT_TIME)
        .and_then(parse_time)
        .ok_or((
            "sosa:resultTime",
            "no result time with an offset".to_owned(),
        ))?;
    let phenomenon_time = read_phenomenon_time(&about, me, result_time)?;
    let value = match result.and_then(|r| about.iri(r.as_str(), qudt::HAS_UNIT)) {
        Some(unit) if *unit != property.canonical_unit => catalogue
            .to_canonical(
                property,
                value,
                unit.as_str(),
                Some(phenomenon_time.duration()),
            )
            .map_err(|e| ("qudt:hasUnit", e.to_string()))?,
        _ => value,
    };
    let sensor_iri = about
        .iri(me, sosa::MADE_BY_SENSOR)
        .ok_or(("sosa:madeBySensor", "no sensor".to_owned()))?;
    let sensor = SourceId::new(
        feed.sensor_namespace.clone(),
        source_id(sensor_iri, "sensor"),
    );
    let feature_iri = about.iri(me, sosa::HAS_FEATURE_OF_INTEREST);
    let feature = feature_iri.map_or_else(
        || sensor.clone(),
        |f| SourceId::new(feed.sensor_namespace.clone(), source_id(f, "feature")),
    );
    let location = feature_iri
        .and_then(|f| about.iri(f.as_str(), geo::HAS_GEOMETRY))
        .and_then(|g| about.literal(g.as_str(), geo::AS_WKT))
        .and_then(parse_wkt_point);
    let uptime = about
        .literal(me, belfort::UPTIME)
        .and_then(|t| t.parse::<f64>().ok());
    let reading = Reading {
        sensor,
        feature,
        property,
        value,
        phenomenon_time,
        result_time,
        location,
    };
    Ok((reading, uptime))
}

/// `sosa:phenomenonTime` as a date-time, an instant or an interval of two instants; the
/// result time when the member states none.
fn read_phenomenon_time(
    about: &Description<'_>,
    me: &str,
    result_time: DateTime<Utc>,
) -> Result<PhenomenonTime, Unusable> {
    const FIELD: &str = "sosa:phenomenonTime";
    match about.object(me, sosa::PHENOMENON_TIME) {
        None => Ok(PhenomenonTime::Instant(result_time)),
        Some(Term::Literal(literal)) => parse_time(literal.value())
            .map(PhenomenonTime::Instant)
            .ok_or_else(|| {
                (
                    FIELD,
                    format!("{:?} is not a date-time with an offset", literal.value()),
                )
            }),
        Some(Term::NamedNode(entity)) => {
            let entity = entity.as_str();
            let bounds = about
                .iri(entity, time::HAS_BEGINNING)
                .zip(about.iri(entity, time::HAS_END))
                .map(|(b, e)| (about.time_stamp(b.as_str()), about.time_stamp(e.as_str())));
            match (bounds, about.time_stamp(entity)) {
                (Some((Some(start), Some(end))), _) if start < end => {
                    Ok(PhenomenonTime::Interval { start, end })
                }
                (None, Some(at)) => Ok(PhenomenonTime::Instant(at)),
                _ => Err((
                    FIELD,
                    format!(
                        "<{entity}> is neither an instant nor an interval of two instants in the page"
                    ),
                )),
            }
        }
        Some(_) => Err((FIELD, "a blank phenomenon time".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_wkt_point, source_id};
    use oxrdf::NamedNode;

    #[test]
    fn points_and_ids_are_read_from_their_usual_spellings() {
        let point =
            parse_wkt_point("<http://www.opengis.net/def/crs/OGC/1.3/CRS84> POINT (3.72 51.05)");
        assert_eq!(point.map(|p| (p.lon, p.lat)), Some((3.72, 51.05)));
        assert!(parse_wkt_point("POLYGON ((0 0, 1 1, 0 0))").is_none());
        let sensor = NamedNode::new_unchecked("https://x.example/id/sensor/telraam/9");
        assert_eq!(source_id(&sensor, "sensor"), "telraam/9");
        let other = NamedNode::new_unchecked("https://y.example/things/9");
        assert_eq!(source_id(&other, "sensor"), "https://y.example/things/9");
    }
}
