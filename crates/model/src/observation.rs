//! The observation model and its RDF form.

use std::fmt;

use belfort_vocab::{belfort, dct, geo, prov, qudt, rdf, sosa, time, xsd};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use oxrdf::{Literal, NamedNode, Term, TermRef, Triple};

use crate::catalogue::format_duration;
use crate::{Catalogue, IriMinter, ModelError};

/// A feed of a city: `gent/telraam`. Both parts are lower-case ASCII letters, digits, `-`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedId {
    city: String,
    name: String,
}

impl FeedId {
    /// A feed id from its city key and feed name.
    pub fn new(city: &str, name: &str) -> Result<Self, ModelError> {
        let valid = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        };
        if valid(city) && valid(name) {
            Ok(Self {
                city: city.to_owned(),
                name: name.to_owned(),
            })
        } else {
            Err(ModelError::InvalidFeedId {
                id: format!("{city}/{name}"),
            })
        }
    }

    /// Parses `city/feed`.
    pub fn parse(id: &str) -> Result<Self, ModelError> {
        let (city, name) = id
            .split_once('/')
            .ok_or_else(|| ModelError::InvalidFeedId { id: id.to_owned() })?;
        Self::new(city, name)
    }

    /// The city key.
    pub fn city(&self) -> &str {
        &self.city
    }

    /// The feed name within the city.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for FeedId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.city, self.name)
    }
}

/// An identifier in a source system: `telraam` / `348917`. The namespace keeps ids of different
/// systems apart, and lets two feeds of one system share sensors.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId {
    /// The source system (`telraam`, `irceline`).
    pub namespace: String,
    /// The id as the source spells it.
    pub id: String,
}

impl SourceId {
    /// A source id.
    pub fn new(namespace: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            id: id.into(),
        }
    }
}

impl fmt::Display for SourceId {
    /// `telraam/348917`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.id)
    }
}

/// When the observed phenomenon happened: an instant, or the interval a count or mean covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhenomenonTime {
    /// A reading at one moment.
    Instant(DateTime<Utc>),
    /// A reading over `[start, end)`.
    Interval {
        /// Inclusive start.
        start: DateTime<Utc>,
        /// Exclusive end.
        end: DateTime<Utc>,
    },
}

impl PhenomenonTime {
    /// An interval; it must not end before it starts. An empty interval is an instant.
    pub fn interval(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, ModelError> {
        match end.cmp(&start) {
            std::cmp::Ordering::Less => Err(ModelError::EmptyInterval {
                start: start.to_rfc3339(),
                end: end.to_rfc3339(),
            }),
            std::cmp::Ordering::Equal => Ok(Self::Instant(start)),
            std::cmp::Ordering::Greater => Ok(Self::Interval { start, end }),
        }
    }

    /// The start (or the instant).
    pub fn start(&self) -> DateTime<Utc> {
        match *self {
            Self::Instant(t) => t,
            Self::Interval { start, .. } => start,
        }
    }

    /// The length; zero for an instant.
    pub fn duration(&self) -> Duration {
        match *self {
            Self::Instant(_) => Duration::zero(),
            Self::Interval { start, end } => end - start,
        }
    }
}

/// A WGS84 point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Longitude in degrees east.
    pub lon: f64,
    /// Latitude in degrees north.
    pub lat: f64,
}

impl Point {
    /// The point as a GeoSPARQL WKT literal (CRS84 axis order: longitude first).
    pub fn to_wkt(self) -> Literal {
        Literal::new_typed_literal(
            format!("POINT ({} {})", self.lon, self.lat),
            geo::WKT_LITERAL,
        )
    }

    /// Great-circle distance to `other` in metres, on a sphere of 6 371 km.
    pub fn distance_metres(&self, other: &Point) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let half_dp = (p2 - p1) / 2.0;
        let half_dl = (other.lon - self.lon).to_radians() / 2.0;
        let a = half_dp.sin().powi(2) + p1.cos() * p2.cos() * half_dl.sin().powi(2);
        2.0 * 6_371_000.0 * a.sqrt().asin()
    }
}

/// A source-specific qualifier kept on the observation (Telraam `uptime`).
#[derive(Debug, Clone, PartialEq)]
pub struct Qualifier {
    /// The predicate, declared in `vocab/`.
    pub predicate: NamedNode,
    /// Its value.
    pub value: f64,
}

/// One reading, normalised: canonical property and unit, UTC times.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The feed it was harvested from.
    pub feed: FeedId,
    /// The sensor that made it.
    pub sensor: SourceId,
    /// What was observed (a measurement point, a sample of the air).
    pub feature: SourceId,
    /// The larger feature `feature` is a sample of (a road segment for one of its directions).
    pub sample_of: Option<SourceId>,
    /// The catalogued property IRI.
    pub property: NamedNode,
    /// The value in the property's canonical unit.
    pub value: f64,
    /// The canonical unit.
    pub unit: NamedNode,
    /// Publish the value as `xsd:integer` (whole-number properties).
    pub integer_valued: bool,
    /// When the phenomenon happened (UTC).
    pub phenomenon_time: PhenomenonTime,
    /// When the result became available (UTC).
    pub result_time: DateTime<Utc>,
    /// Where, if the source says.
    pub location: Option<Point>,
    /// Source-specific qualifiers.
    pub qualifiers: Vec<Qualifier>,
    /// Where in its payload it was read: a JSON pointer (`/report/13`) or `line 12`; empty
    /// when it was not read from a payload. Not part of its identity.
    pub source_record: String,
    /// The IRI the source itself gave this reading (a member of another platform's event
    /// stream), published as a `prov:wasDerivedFrom` link.
    pub source_iri: Option<NamedNode>,
}

/// An observation's RDF: its own triples, and the shared ones (sensor, feature, time) that
/// several observations may repeat. No blank nodes anywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationRdf {
    /// The observation IRI.
    pub iri: NamedNode,
    /// The observation and its result.
    pub triples: Vec<Triple>,
    /// Descriptions of the sensor, feature of interest and time entities it links to.
    pub context: Vec<Triple>,
}

/// The descriptions of context entities already written in a batch, each as an entity and one
/// term that tells its descriptions apart (its class, a property a sensor observes, a
/// feature's location), so that each is written once however many observations link to it.
#[derive(Debug, Default)]
pub struct DescribedEntities {
    described: foldhash::HashMap<NamedNode, Vec<Term>>,
}

impl DescribedEntities {
    /// Whether `detail` of `entity` is met for the first time; from now on it is described.
    fn first_time(&mut self, entity: &NamedNode, detail: TermRef<'_>) -> bool {
        match self.described.get_mut(entity) {
            Some(details) if details.iter().any(|d| d.as_ref() == detail) => false,
            Some(details) => {
                details.push(detail.into_owned());
                true
            }
            None => {
                self.described
                    .insert(entity.clone(), vec![detail.into_owned()]);
                true
            }
        }
    }
}

impl Observation {
    /// The observation IRI: from sensor, property, phenomenon start and duration only.
    pub fn iri(&self, minter: &IriMinter, catalogue: &Catalogue) -> NamedNode {
        let key = property_key(&self.property, catalogue);
        let duration = match self.phenomenon_time {
            PhenomenonTime::Instant(_) => None,
            PhenomenonTime::Interval { .. } => {
                Some(format_duration(self.phenomenon_time.duration()))
            }
        };
        minter.observation(
            &self.sensor,
            &self.feature,
            &key,
            self.phenomenon_time.start(),
            duration.as_deref(),
        )
    }

    /// The RDF of this observation as DESIGN.md lays it out: SOSA core, OSLO typing, a QUDT
    /// value, the PROV link to its feed.
    pub fn to_rdf(&self, minter: &IriMinter, catalogue: &Catalogue) -> ObservationRdf {
        self.to_rdf_describing(minter, catalogue, &mut DescribedEntities::default())
    }

    /// The observation as RDF, its context holding only the descriptions that `described`
    /// has not met yet (which it then records): in a batch, each sensor, feature and time
    /// entity is described once, by the first observation that links to it.
    pub fn to_rdf_describing(
        &self,
        minter: &IriMinter,
        catalogue: &Catalogue,
        described: &mut DescribedEntities,
    ) -> ObservationRdf {
        let iri = self.iri(minter, catalogue);
        let result = IriMinter::result(&iri);
        let sensor = minter.sensor(&self.sensor);
        let feature = minter.feature(&self.feature);
        let value = self.value_literal();
        let mut triples = Vec::with_capacity(16);
        let mut context = Vec::new();
        let mut add = |s: &NamedNode, p: oxrdf::NamedNodeRef<'_>, o: Term| {
            triples.push(Triple::new(s.clone(), p, o));
        };
        add(&iri, rdf::TYPE, sosa::OBSERVATION.into_owned().into());
        if let Some(property) = catalogue.property_by_iri(self.property.as_ref()) {
            for extra in &property.observation_types {
                add(&iri, rdf::TYPE, extra.clone().into());
            }
        }
        add(&iri, sosa::MADE_BY_SENSOR, sensor.clone().into());
        add(&iri, sosa::OBSERVED_PROPERTY, self.property.clone().into());
        add(&iri, sosa::HAS_FEATURE_OF_INTEREST, feature.clone().into());
        add(
            &iri,
            sosa::RESULT_TIME,
            date_time_literal(self.result_time, xsd::DATE_TIME).into(),
        );
        add(&iri, sosa::HAS_SIMPLE_RESULT, value.clone().into());
        add(&iri, sosa::HAS_RESULT, result.clone().into());
        add(&iri, prov::WAS_DERIVED_FROM, minter.feed(&self.feed).into());
        if let Some(source) = &self.source_iri {
            add(&iri, prov::WAS_DERIVED_FROM, source.clone().into());
        }
        for qualifier in &self.qualifiers {
            add(
                &iri,
                qualifier.predicate.as_ref(),
                decimal_literal(qualifier.value).into(),
            );
        }
        add(&result, rdf::TYPE, qudt::QUANTITY_VALUE.into_owned().into());
        add(&result, qudt::NUMERIC_VALUE, value.into());
        add(&result, qudt::HAS_UNIT, self.unit.clone().into());

        let time_node = match self.phenomenon_time {
            PhenomenonTime::Instant(at) => {
                let instant = minter.instant(at);
                push_instant(&mut context, described, &instant, at);
                instant
            }
            PhenomenonTime::Interval { start, end } => {
                let duration = format_duration(end - start);
                let interval = minter.interval(start, &duration);
                if described.first_time(&interval, time::INTERVAL.into()) {
                    let (begin, finish) = (minter.instant(start), minter.instant(end));
                    context.push(Triple::new(interval.clone(), rdf::TYPE, time::INTERVAL));
                    context.push(Triple::new(
                        interval.clone(),
                        time::HAS_BEGINNING,
                        begin.clone(),
                    ));
                    context.push(Triple::new(interval.clone(), time::HAS_END, finish.clone()));
                    push_instant(&mut context, described, &begin, start);
                    push_instant(&mut context, described, &finish, end);
                }
                interval
            }
        };
        triples.push(Triple::new(iri.clone(), sosa::PHENOMENON_TIME, time_node));

        if described.first_time(&sensor, sosa::SENSOR.into()) {
            context.push(Triple::new(sensor.clone(), rdf::TYPE, sosa::SENSOR));
            context.push(Triple::new(
                sensor.clone(),
                belfort::CITY_PROPERTY,
                minter.city(self.feed.city()),
            ));
            context.push(Triple::new(
                sensor.clone(),
                dct::IDENTIFIER,
                Literal::new_simple_literal(&self.sensor.id),
            ));
        }
        if described.first_time(&sensor, self.property.as_ref().into()) {
            context.push(Triple::new(sensor, sosa::OBSERVES, self.property.clone()));
        }
        if described.first_time(&feature, sosa::FEATURE_OF_INTEREST.into()) {
            context.push(Triple::new(
                feature.clone(),
                rdf::TYPE,
                sosa::FEATURE_OF_INTEREST,
            ));
        }
        if let Some(sampled) = &self.sample_of {
            let sampled = minter.feature(sampled);
            if described.first_time(&feature, sosa::SAMPLE.into()) {
                context.push(Triple::new(feature.clone(), rdf::TYPE, sosa::SAMPLE));
            }
            if described.first_time(&feature, sampled.as_ref().into()) {
                context.push(Triple::new(
                    feature.clone(),
                    sosa::IS_SAMPLE_OF,
                    sampled.clone(),
                ));
            }
            if described.first_time(&sampled, sosa::FEATURE_OF_INTEREST.into()) {
                context.push(Triple::new(sampled, rdf::TYPE, sosa::FEATURE_OF_INTEREST));
            }
        }
        if let Some(point) = self.location {
            let geometry = minter.feature_geometry(&self.feature);
            if described.first_time(&feature, geo::GEOMETRY.into()) {
                context.push(Triple::new(
                    feature.clone(),
                    geo::HAS_GEOMETRY,
                    geometry.clone(),
                ));
                context.push(Triple::new(geometry.clone(), rdf::TYPE, geo::GEOMETRY));
            }
            let wkt = point.to_wkt();
            if described.first_time(&geometry, wkt.as_ref().into()) {
                context.push(Triple::new(geometry, geo::AS_WKT, wkt));
            }
        }
        ObservationRdf {
            iri,
            triples,
            context,
        }
    }

    fn value_literal(&self) -> Literal {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "checked to be whole and in i64 range"
        )]
        if self.integer_valued && self.value.fract() == 0.0 && self.value.abs() < 9.0e15 {
            Literal::new_typed_literal((self.value as i64).to_string(), xsd::INTEGER)
        } else {
            decimal_literal(self.value)
        }
    }
}

fn property_key(property: &NamedNode, catalogue: &Catalogue) -> String {
    catalogue
        .property_by_iri(property.as_ref())
        .map(|p| p.key.clone())
        // Not catalogued (e.g. replicated from elsewhere): the IRI itself keeps the key unique.
        .unwrap_or_else(|| property.as_str().to_owned())
}

fn push_instant(
    context: &mut Vec<Triple>,
    described: &mut DescribedEntities,
    instant: &NamedNode,
    at: DateTime<Utc>,
) {
    if !described.first_time(instant, time::INSTANT.into()) {
        return;
    }
    context.push(Triple::new(instant.clone(), rdf::TYPE, time::INSTANT));
    // Typed xsd:dateTime, always with `Z` (so also a valid dateTimeStamp lexically): the store
    // keeps dateTimeStamp values as xsd:dateTime, and we publish exactly what is stored.
    context.push(Triple::new(
        instant.clone(),
        time::IN_XSD_DATE_TIME_STAMP,
        date_time_literal(at, xsd::DATE_TIME),
    ));
}

/// An `xsd:dateTime`-family literal in UTC with a `Z`.
pub fn date_time_literal(at: DateTime<Utc>, datatype: oxrdf::NamedNodeRef<'_>) -> Literal {
    Literal::new_typed_literal(at.to_rfc3339_opts(SecondsFormat::AutoSi, true), datatype)
}

/// An `xsd:decimal` literal of a finite number (`Display` of `f64` never uses an exponent).
pub fn decimal_literal(value: f64) -> Literal {
    let mut text = value.to_string();
    if !text.contains('.') {
        text.push_str(".0");
    }
    Literal::new_typed_literal(text, xsd::DECIMAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_literals_never_use_exponents() {
        assert_eq!(decimal_literal(5.44071e-05).value(), "0.0000544071");
        assert_eq!(decimal_literal(277.0).value(), "277.0");
        assert_eq!(decimal_literal(-4.2253521127).value(), "-4.2253521127");
    }

    #[test]
    fn feed_ids_are_validated() {
        assert!(FeedId::parse("gent/telraam").is_ok());
        assert!(FeedId::parse("Gent/telraam").is_err());
        assert!(FeedId::parse("gent").is_err());
        assert!(FeedId::parse("gent/tel raam").is_err());
        assert!(FeedId::parse("gent/").is_err());
    }
}
