//! Sensor-quality rules: Belfort constraint components evaluated per sensor time series.
//!
//! A rule is active when a shape in the shapes graph carries its parameters (e.g.
//! `bfq:minRepeats 4` activates `bfq:StuckValueConstraintComponent`), so a city tunes rules
//! in Turtle. Rules judge whole series of observations (stuck values, spikes, duplicates,
//! order) and several series together (direction sums, PM2.5 ≤ PM10, humidity), which SHACL
//! Core cannot express; their findings carry the shape, the component and the severity as
//! SHACL results do.

use std::collections::BTreeMap;

use belfort_model::{Catalogue, Observation, parse_day_time_duration};
use belfort_vocab::{belfort, quality, sh, unit};
use chrono::{DateTime, Duration, Utc};
use oxrdf::{NamedNode, NamedNodeRef, Term};

use crate::error::ShaclError;
use crate::graph::{IndexedGraph, TermId};

/// The quality rules a shapes graph activates.
#[derive(Debug, Clone, Default)]
pub struct QualityRules {
    rules: Vec<QualityRule>,
}

/// One activated rule: the shape that carries its parameters, and the parameters.
#[derive(Debug, Clone)]
struct QualityRule {
    /// The shape whose parameters activate it.
    shape: Term,
    /// The severity of its findings (`sh:severity` of the shape, `sh:Warning` by default).
    severity: NamedNode,
    kind: RuleKind,
}

#[derive(Debug, Clone)]
enum RuleKind {
    PhysicalRange,
    MinCoverage {
        min_uptime: f64,
    },
    StuckValue {
        min_repeats: usize,
        properties: Vec<NamedNode>,
    },
    Spike {
        factor: f64,
        minimum: f64,
    },
    DuplicateReading,
    OutOfOrder,
    TimeWindow {
        max_future: Option<Duration>,
        not_before: Option<DateTime<Utc>>,
    },
    DirectionSum {
        tolerance: f64,
    },
    Subset {
        part: NamedNode,
        whole: NamedNode,
    },
    SuspectValue {
        properties: Vec<NamedNode>,
        at_least: f64,
    },
    HumidityInterference {
        humidity: Vec<NamedNode>,
        max: f64,
        affects: Vec<NamedNode>,
    },
    LocationJump {
        max_metres: f64,
    },
    IntervalConsistency,
    UnitMismatch {
        factors: Vec<f64>,
        offsets: Vec<f64>,
    },
    StaleReading {
        max_lag: Duration,
        properties: Vec<NamedNode>,
    },
    OccupancyConsistency {
        tolerance: f64,
    },
    Gap {
        factor: f64,
        min_gap: Duration,
        properties: Vec<NamedNode>,
    },
}

impl RuleKind {
    fn component(&self) -> NamedNodeRef<'static> {
        match self {
            Self::PhysicalRange => quality::PHYSICAL_RANGE_CONSTRAINT_COMPONENT,
            Self::MinCoverage { .. } => quality::MIN_COVERAGE_CONSTRAINT_COMPONENT,
            Self::StuckValue { .. } => quality::STUCK_VALUE_CONSTRAINT_COMPONENT,
            Self::Spike { .. } => quality::SPIKE_CONSTRAINT_COMPONENT,
            Self::DuplicateReading => quality::DUPLICATE_READING_CONSTRAINT_COMPONENT,
            Self::OutOfOrder => quality::OUT_OF_ORDER_CONSTRAINT_COMPONENT,
            Self::TimeWindow { .. } => quality::TIME_WINDOW_CONSTRAINT_COMPONENT,
            Self::DirectionSum { .. } => quality::DIRECTION_SUM_CONSTRAINT_COMPONENT,
            Self::Subset { .. } => quality::SUBSET_CONSTRAINT_COMPONENT,
            Self::SuspectValue { .. } => quality::SUSPECT_VALUE_CONSTRAINT_COMPONENT,
            Self::HumidityInterference { .. } => {
                quality::HUMIDITY_INTERFERENCE_CONSTRAINT_COMPONENT
            }
            Self::LocationJump { .. } => quality::LOCATION_JUMP_CONSTRAINT_COMPONENT,
            Self::IntervalConsistency => quality::INTERVAL_CONSISTENCY_CONSTRAINT_COMPONENT,
            Self::UnitMismatch { .. } => quality::UNIT_MISMATCH_CONSTRAINT_COMPONENT,
            Self::StaleReading { .. } => quality::STALE_READING_CONSTRAINT_COMPONENT,
            Self::Gap { .. } => quality::GAP_CONSTRAINT_COMPONENT,
            Self::OccupancyConsistency { .. } => {
                quality::OCCUPANCY_CONSISTENCY_CONSTRAINT_COMPONENT
            }
        }
    }
}

/// One quality finding: which rule, how severe, which observations, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityFinding {
    /// The constraint component (`bfq:StuckValueConstraintComponent`, …).
    pub component: NamedNode,
    /// The shape that activated the rule.
    pub shape: Term,
    /// `sh:Violation`, `sh:Warning` or `sh:Info`.
    pub severity: NamedNode,
    /// Indexes of the observations concerned, in the slice that was evaluated.
    pub observations: Vec<usize>,
    /// What is wrong, for a person.
    pub message: String,
}

/// Reads the parameters of the shapes graph.
struct Parameters<'a> {
    graph: &'a IndexedGraph,
    shape: TermId,
}

impl Parameters<'_> {
    fn values(&self, predicate: NamedNodeRef<'_>) -> Vec<&Term> {
        match self.graph.id(predicate.into()) {
            Some(p) => self
                .graph
                .objects(self.shape, p)
                .map(|o| self.graph.term_at(o))
                .collect(),
            None => Vec::new(),
        }
    }

    fn error(&self, message: String) -> ShaclError {
        ShaclError::IllFormedShape {
            shape: self.graph.term_at(self.shape).to_string(),
            message,
        }
    }

    fn number(&self, predicate: NamedNodeRef<'_>) -> Result<Option<f64>, ShaclError> {
        match self.values(predicate).as_slice() {
            [] => Ok(None),
            [Term::Literal(l)] => l
                .value()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| self.error(format!("{predicate} must be a number, not {l}"))),
            _ => Err(self.error(format!("{predicate} takes one numeric literal"))),
        }
    }

    fn numbers(&self, predicate: NamedNodeRef<'_>) -> Result<Vec<f64>, ShaclError> {
        self.values(predicate)
            .into_iter()
            .map(|v| match v {
                Term::Literal(l) => l
                    .value()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x != 0.0)
                    .ok_or_else(|| {
                        self.error(format!("{predicate} takes non-zero numbers, not {l}"))
                    }),
                other => Err(self.error(format!("{predicate} takes numbers, not {other}"))),
            })
            .collect()
    }

    fn flag(&self, predicate: NamedNodeRef<'_>) -> bool {
        self.values(predicate)
            .iter()
            .any(|v| matches!(v, Term::Literal(l) if l.value() == "true"))
    }

    fn iris(&self, predicate: NamedNodeRef<'_>) -> Result<Vec<NamedNode>, ShaclError> {
        self.values(predicate)
            .into_iter()
            .map(|v| match v {
                Term::NamedNode(n) => Ok(n.clone()),
                other => Err(self.error(format!("{predicate} takes IRIs, not {other}"))),
            })
            .collect()
    }

    fn iri(&self, predicate: NamedNodeRef<'_>) -> Result<NamedNode, ShaclError> {
        let mut iris = self.iris(predicate)?;
        match iris.len() {
            1 => Ok(iris.remove(0)),
            n => Err(self.error(format!("{predicate} takes exactly one IRI, found {n}"))),
        }
    }
}

impl QualityRules {
    /// Every rule activated by a shape of `shapes` (a shape may activate several).
    pub fn from_shapes(shapes: &IndexedGraph) -> Result<Self, ShaclError> {
        let parameter_predicates = [
            quality::CATALOGUE_RANGE,
            quality::MIN_UPTIME,
            quality::MIN_REPEATS,
            quality::SPIKE_FACTOR,
            quality::NO_DUPLICATES,
            quality::IN_ORDER,
            quality::MAX_FUTURE,
            quality::NOT_BEFORE,
            quality::SUM_TOLERANCE,
            quality::PART,
            quality::SUSPECT_AT_LEAST,
            quality::MAX_HUMIDITY,
            quality::MAX_JUMP_METRES,
            quality::CONSISTENT_INTERVAL,
            quality::UNIT_FACTOR,
            quality::UNIT_OFFSET,
            quality::MAX_LAG,
            quality::OCCUPANCY_TOLERANCE,
            quality::GAP_FACTOR,
        ];
        let mut shape_nodes = Vec::new();
        for predicate in parameter_predicates {
            if let Some(p) = shapes.id(predicate.into()) {
                shape_nodes.extend(shapes.with_predicate(p).map(|(s, _)| s));
            }
        }
        shape_nodes.sort_unstable_by_key(|s| shapes.term_at(*s).to_string());
        shape_nodes.dedup();
        let mut rules = Vec::new();
        for shape in shape_nodes {
            let p = Parameters {
                graph: shapes,
                shape,
            };
            let severity = match p.values(sh::SEVERITY).as_slice() {
                [] => sh::WARNING.into_owned(),
                [Term::NamedNode(n)] => n.clone(),
                _ => return Err(p.error("sh:severity takes one IRI".to_owned())),
            };
            let mut kinds = Vec::new();
            if p.flag(quality::CATALOGUE_RANGE) {
                kinds.push(RuleKind::PhysicalRange);
            }
            if let Some(min_uptime) = p.number(quality::MIN_UPTIME)? {
                kinds.push(RuleKind::MinCoverage { min_uptime });
            }
            if !p.values(quality::MIN_REPEATS).is_empty() {
                let min_repeats = match p.values(quality::MIN_REPEATS).as_slice() {
                    [Term::Literal(l)] => l.value().parse::<usize>().ok().filter(|n| *n >= 2),
                    _ => None,
                }
                .ok_or_else(|| {
                    p.error("bfq:minRepeats takes one whole number of at least 2".to_owned())
                })?;
                kinds.push(RuleKind::StuckValue {
                    min_repeats,
                    properties: p.iris(quality::PROPERTY)?,
                });
            }
            if let Some(factor) = p.number(quality::SPIKE_FACTOR)? {
                let minimum = p.number(quality::SPIKE_MINIMUM)?.unwrap_or(0.0);
                kinds.push(RuleKind::Spike { factor, minimum });
            }
            if p.flag(quality::NO_DUPLICATES) {
                kinds.push(RuleKind::DuplicateReading);
            }
            if p.flag(quality::IN_ORDER) {
                kinds.push(RuleKind::OutOfOrder);
            }
            let max_future = match p.values(quality::MAX_FUTURE).as_slice() {
                [] => None,
                [Term::Literal(l)] => {
                    Some(parse_day_time_duration(l.value()).ok_or_else(|| {
                        p.error(format!("bfq:maxFuture {l} is not a day-time duration"))
                    })?)
                }
                _ => return Err(p.error("bfq:maxFuture takes one duration".to_owned())),
            };
            let not_before = match p.values(quality::NOT_BEFORE).as_slice() {
                [] => None,
                [Term::Literal(l)] => Some(
                    DateTime::parse_from_rfc3339(l.value())
                        .map_err(|_| {
                            p.error(format!("bfq:notBefore {l} is not a date-time with offset"))
                        })?
                        .with_timezone(&Utc),
                ),
                _ => return Err(p.error("bfq:notBefore takes one date-time".to_owned())),
            };
            if max_future.is_some() || not_before.is_some() {
                kinds.push(RuleKind::TimeWindow {
                    max_future,
                    not_before,
                });
            }
            if let Some(tolerance) = p.number(quality::SUM_TOLERANCE)? {
                kinds.push(RuleKind::DirectionSum { tolerance });
            }
            if !p.values(quality::PART).is_empty() {
                kinds.push(RuleKind::Subset {
                    part: p.iri(quality::PART)?,
                    whole: p.iri(quality::WHOLE)?,
                });
            }
            if let Some(at_least) = p.number(quality::SUSPECT_AT_LEAST)? {
                kinds.push(RuleKind::SuspectValue {
                    properties: p.iris(quality::PROPERTY)?,
                    at_least,
                });
            }
            if let Some(max) = p.number(quality::MAX_HUMIDITY)? {
                kinds.push(RuleKind::HumidityInterference {
                    humidity: p.iris(quality::PROPERTY)?,
                    max,
                    affects: p.iris(quality::AFFECTS)?,
                });
            }
            if let Some(max_metres) = p.number(quality::MAX_JUMP_METRES)? {
                kinds.push(RuleKind::LocationJump { max_metres });
            }
            if p.flag(quality::CONSISTENT_INTERVAL) {
                kinds.push(RuleKind::IntervalConsistency);
            }
            let factors = p.numbers(quality::UNIT_FACTOR)?;
            let offsets = p.numbers(quality::UNIT_OFFSET)?;
            if !factors.is_empty() || !offsets.is_empty() {
                kinds.push(RuleKind::UnitMismatch { factors, offsets });
            }
            match p.values(quality::MAX_LAG).as_slice() {
                [] => {}
                [Term::Literal(l)] => kinds.push(RuleKind::StaleReading {
                    max_lag: parse_day_time_duration(l.value()).ok_or_else(|| {
                        p.error(format!("bfq:maxLag {l} is not a day-time duration"))
                    })?,
                    properties: p.iris(quality::PROPERTY)?,
                }),
                _ => return Err(p.error("bfq:maxLag takes one duration".to_owned())),
            }
            if let Some(factor) = p.number(quality::GAP_FACTOR)? {
                let min_gap = match p.values(quality::MIN_GAP).as_slice() {
                    [] => Duration::zero(),
                    [Term::Literal(l)] => parse_day_time_duration(l.value()).ok_or_else(|| {
                        p.error(format!("bfq:minGap {l} is not a day-time duration"))
                    })?,
                    _ => return Err(p.error("bfq:minGap takes one duration".to_owned())),
                };
                kinds.push(RuleKind::Gap {
                    factor,
                    min_gap,
                    properties: p.iris(quality::PROPERTY)?,
                });
            }
            if let Some(tolerance) = p.number(quality::OCCUPANCY_TOLERANCE)? {
                kinds.push(RuleKind::OccupancyConsistency { tolerance });
            }
            for kind in kinds {
                rules.push(QualityRule {
                    shape: shapes.term_at(shape).clone(),
                    severity: severity.clone(),
                    kind,
                });
            }
        }
        Ok(Self { rules })
    }

    /// Parses a shapes document and reads its quality rules.
    pub fn parse(
        reader: impl std::io::Read,
        format: oxrdfio::RdfFormat,
        source: &str,
    ) -> Result<Self, ShaclError> {
        Self::from_shapes(&IndexedGraph::parse(reader, format, None, source)?)
    }

    /// Evaluates every rule on one batch of observations, in payload order; `now` is the
    /// ingest time (for timestamps in the future).
    pub fn evaluate(
        &self,
        observations: &[Observation],
        catalogue: &Catalogue,
        now: DateTime<Utc>,
    ) -> Vec<QualityFinding> {
        let batch = Batch::new(observations, catalogue);
        let mut findings = Vec::new();
        for rule in &self.rules {
            let mut found = Vec::new();
            batch.evaluate(&rule.kind, catalogue, now, &mut found);
            findings.extend(
                found
                    .into_iter()
                    .map(|(observations, message)| QualityFinding {
                        component: rule.kind.component().into_owned(),
                        shape: rule.shape.clone(),
                        severity: rule.severity.clone(),
                        observations,
                        message,
                    }),
            );
        }
        findings
    }
}

/// Observations grouped the ways the rules need.
struct Batch<'a> {
    observations: &'a [Observation],
    catalogue: &'a Catalogue,
    /// (sensor, feature, property) → indexes in payload order.
    series: BTreeMap<(String, String, &'a str), Vec<usize>>,
}

type Found = Vec<(Vec<usize>, String)>;
/// (sensor, feature, property, phenomenon start, duration in seconds): one reading.
type ReadingKey<'k> = (String, String, &'k str, DateTime<Utc>, i64);
/// (the whole feature, property, phenomenon start, duration in seconds): a total and its parts.
type TotalKey<'k> = (String, &'k str, DateTime<Utc>, i64);

impl<'a> Batch<'a> {
    fn new(observations: &'a [Observation], catalogue: &'a Catalogue) -> Self {
        let mut series: BTreeMap<_, Vec<usize>> = BTreeMap::new();
        for (i, o) in observations.iter().enumerate() {
            series
                .entry((
                    o.sensor.to_string(),
                    o.feature.to_string(),
                    o.property.as_str(),
                ))
                .or_default()
                .push(i);
        }
        Self {
            observations,
            catalogue,
            series,
        }
    }

    /// A series' indexes sorted by phenomenon start (stable: payload order among equals).
    fn chronological(&self, indexes: &[usize]) -> Vec<usize> {
        let mut sorted = indexes.to_vec();
        sorted.sort_by_key(|i| self.observations[*i].phenomenon_time.start());
        sorted
    }

    fn describe(&self, i: usize) -> String {
        let o = &self.observations[i];
        format!(
            "{} of sensor {} at {}",
            self.catalogue
                .property_by_iri(o.property.as_ref())
                .map_or(o.property.as_str(), |p| p.key.as_str()),
            o.sensor,
            o.phenomenon_time.start().to_rfc3339()
        )
    }

    fn evaluate(
        &self,
        kind: &RuleKind,
        catalogue: &Catalogue,
        now: DateTime<Utc>,
        out: &mut Found,
    ) {
        let obs = self.observations;
        match kind {
            RuleKind::PhysicalRange => {
                for (i, o) in obs.iter().enumerate() {
                    let Some(def) = catalogue.property_by_iri(o.property.as_ref()) else {
                        continue;
                    };
                    // Count ranges are per hour: a daily count is compared per hour.
                    let hours = o.phenomenon_time.duration().num_seconds() as f64 / 3600.0;
                    let is_count = def.canonical_unit == unit::NUM;
                    let rate = if is_count && hours > 0.0 {
                        o.value / hours
                    } else {
                        o.value
                    };
                    if rate < def.min_plausible || rate > def.max_plausible {
                        let per = if is_count && hours > 0.0 {
                            " per hour"
                        } else {
                            ""
                        };
                        out.push((
                            vec![i],
                            format!(
                                "{} is {rate}{per}, outside the plausible range {}..{}",
                                self.describe(i),
                                def.min_plausible,
                                def.max_plausible
                            ),
                        ));
                    }
                }
            }
            RuleKind::MinCoverage { min_uptime } => {
                for (i, o) in obs.iter().enumerate() {
                    if let Some(q) = o.qualifiers.iter().find(|q| q.predicate == belfort::UPTIME)
                        && q.value < *min_uptime
                    {
                        out.push((vec![i], format!(
                            "{} was counted during {:.1} % of the interval (at least {:.0} % required): the extrapolated value is unreliable",
                            self.describe(i), q.value * 100.0, min_uptime * 100.0
                        )));
                    }
                }
            }
            RuleKind::StuckValue {
                min_repeats,
                properties,
            } => {
                for ((_, _, property), indexes) in &self.series {
                    if !applies_to(properties, property) {
                        continue;
                    }
                    let sorted = self.chronological(indexes);
                    let mut run: Vec<usize> = Vec::new();
                    let mut flush = |run: &mut Vec<usize>| {
                        if run.len() >= *min_repeats {
                            out.push((run.clone(), format!(
                                "{} repeats the value {} in {} consecutive readings: the sensor looks stuck",
                                self.describe(run[0]), obs[run[0]].value, run.len()
                            )));
                        }
                        run.clear();
                    };
                    for &i in &sorted {
                        let same = run.last().is_some_and(|&last| {
                            obs[last].value == obs[i].value
                                && obs[last].phenomenon_time.start()
                                    != obs[i].phenomenon_time.start()
                        });
                        if !same {
                            flush(&mut run);
                        }
                        if obs[i].value != 0.0 {
                            run.push(i);
                        }
                    }
                    flush(&mut run);
                }
            }
            RuleKind::Spike { factor, minimum } => {
                for indexes in self.series.values() {
                    let sorted = self.chronological(indexes);
                    for w in sorted.windows(3) {
                        let (before, value, after) =
                            (obs[w[0]].value, obs[w[1]].value, obs[w[2]].value);
                        let neighbour = before.max(after);
                        if value >= *minimum && value > factor * neighbour.max(f64::MIN_POSITIVE) {
                            out.push((vec![w[1]], format!(
                                "{} is {value}, more than {factor} times its neighbours ({before}, {after}): a spike",
                                self.describe(w[1])
                            )));
                        }
                    }
                }
            }
            RuleKind::DuplicateReading => {
                let mut readings: BTreeMap<ReadingKey<'_>, Vec<usize>> = BTreeMap::new();
                for (i, o) in obs.iter().enumerate() {
                    readings
                        .entry((
                            o.sensor.to_string(),
                            o.feature.to_string(),
                            o.property.as_str(),
                            o.phenomenon_time.start(),
                            o.phenomenon_time.duration().num_seconds(),
                        ))
                        .or_default()
                        .push(i);
                }
                for indexes in readings.values().filter(|v| v.len() > 1) {
                    let first = obs[indexes[0]].value;
                    if indexes.iter().all(|i| obs[*i].value == first) {
                        out.push((
                            indexes[1..].to_vec(),
                            format!(
                                "{} is delivered {} times with the same value",
                                self.describe(indexes[0]),
                                indexes.len()
                            ),
                        ));
                    } else {
                        let values: Vec<String> =
                            indexes.iter().map(|i| obs[*i].value.to_string()).collect();
                        out.push((
                            indexes.clone(),
                            format!(
                                "{} is delivered {} times with conflicting values {}",
                                self.describe(indexes[0]),
                                indexes.len(),
                                values.join(", ")
                            ),
                        ));
                    }
                }
            }
            RuleKind::OutOfOrder => {
                for indexes in self.series.values() {
                    // The reading with the latest start delivered so far.
                    let mut latest: Option<usize> = None;
                    for &i in indexes {
                        let start = obs[i].phenomenon_time.start();
                        match latest {
                            Some(l) if start < obs[l].phenomenon_time.start() => {
                                out.push((
                                    vec![l, i],
                                    format!(
                                        "{} arrives after {}: out of chronological order",
                                        self.describe(i),
                                        self.describe(l)
                                    ),
                                ));
                            }
                            Some(l) if start == obs[l].phenomenon_time.start() => {}
                            _ => latest = Some(i),
                        }
                    }
                }
            }
            RuleKind::TimeWindow {
                max_future,
                not_before,
            } => {
                for (i, o) in obs.iter().enumerate() {
                    let end = o.phenomenon_time.start() + o.phenomenon_time.duration();
                    if let Some(max) = max_future
                        && (end > now + *max || o.result_time > now + *max)
                    {
                        out.push((
                            vec![i],
                            format!(
                                "{} lies in the future (ingested at {})",
                                self.describe(i),
                                now.to_rfc3339()
                            ),
                        ));
                    } else if o.result_time < end {
                        out.push((
                            vec![i],
                            format!(
                                "{}: its result time {} is before the phenomenon ended at {}",
                                self.describe(i),
                                o.result_time.to_rfc3339(),
                                end.to_rfc3339()
                            ),
                        ));
                    } else if let Some(floor) = not_before
                        && o.phenomenon_time.start() < *floor
                    {
                        out.push((
                            vec![i],
                            format!(
                                "{} is before {}: a wrong clock or epoch unit",
                                self.describe(i),
                                floor.to_rfc3339()
                            ),
                        ));
                    }
                }
            }
            RuleKind::DirectionSum { tolerance } => {
                let mut groups: BTreeMap<TotalKey<'_>, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
                for (i, o) in obs.iter().enumerate() {
                    let (total_of, is_part) = match &o.sample_of {
                        Some(whole) => (whole.to_string(), true),
                        None => (o.feature.to_string(), false),
                    };
                    let entry = groups
                        .entry((
                            total_of,
                            o.property.as_str(),
                            o.phenomenon_time.start(),
                            o.phenomenon_time.duration().num_seconds(),
                        ))
                        .or_default();
                    if is_part {
                        entry.1.push(i)
                    } else {
                        entry.0.push(i)
                    }
                }
                for (totals, parts) in groups.values() {
                    if parts.len() < 2 {
                        continue;
                    }
                    let sum: f64 = parts.iter().map(|i| obs[*i].value).sum();
                    for &t in totals {
                        if (obs[t].value - sum).abs() > *tolerance {
                            let mut all = vec![t];
                            all.extend(parts);
                            out.push((
                                all,
                                format!(
                                    "{} is {} but its directions add up to {sum}",
                                    self.describe(t),
                                    obs[t].value
                                ),
                            ));
                        }
                    }
                }
            }
            RuleKind::Subset { part, whole } => {
                let mut wholes: BTreeMap<(String, String, DateTime<Utc>), Vec<usize>> =
                    BTreeMap::new();
                for (i, o) in obs.iter().enumerate() {
                    if o.property == *whole {
                        wholes
                            .entry((
                                o.sensor.to_string(),
                                o.feature.to_string(),
                                o.phenomenon_time.start(),
                            ))
                            .or_default()
                            .push(i);
                    }
                }
                for (i, o) in obs.iter().enumerate() {
                    if o.property != *part {
                        continue;
                    }
                    let key = (
                        o.sensor.to_string(),
                        o.feature.to_string(),
                        o.phenomenon_time.start(),
                    );
                    for &w in wholes.get(&key).map(Vec::as_slice).unwrap_or_default() {
                        if o.value > obs[w].value {
                            out.push((vec![i, w], format!(
                                "{} is {} but {} at the same place and time is only {}: a part cannot exceed its whole",
                                self.describe(i), o.value, self.describe(w), obs[w].value
                            )));
                        }
                    }
                }
            }
            RuleKind::SuspectValue {
                properties,
                at_least,
            } => {
                for (i, o) in obs.iter().enumerate() {
                    if properties.contains(&o.property) && o.value >= *at_least {
                        out.push((vec![i], format!(
                            "{} is {}, at or above {at_least}: a sensor fault or saturation, not a measurement",
                            self.describe(i), o.value
                        )));
                    }
                }
            }
            RuleKind::HumidityInterference {
                humidity,
                max,
                affects,
            } => {
                let humid: Vec<&Observation> = obs
                    .iter()
                    .filter(|o| humidity.contains(&o.property) && o.value > *max)
                    .collect();
                if humid.is_empty() {
                    return;
                }
                for (i, o) in obs.iter().enumerate() {
                    if !affects.contains(&o.property) {
                        continue;
                    }
                    let at = o.phenomenon_time.start();
                    if let Some(h) = humid.iter().find(|h| {
                        h.feature == o.feature
                            && (h.phenomenon_time.start() - at).abs() <= Duration::minutes(10)
                    }) {
                        out.push((vec![i], format!(
                            "{} was read at {:.1} % relative humidity at the same place: humidity-inflated",
                            self.describe(i), h.value
                        )));
                    }
                }
            }
            RuleKind::LocationJump { max_metres } => {
                let mut by_sensor: BTreeMap<String, Vec<usize>> = BTreeMap::new();
                for (i, o) in obs.iter().enumerate() {
                    if o.location.is_some() {
                        by_sensor.entry(o.sensor.to_string()).or_default().push(i);
                    }
                }
                for indexes in by_sensor.values() {
                    let sorted = self.chronological(indexes);
                    let mut previous: Option<usize> = None;
                    for &i in &sorted {
                        if let (Some(p), Some(here)) = (previous, obs[i].location)
                            && let Some(there) = obs[p].location
                        {
                            let metres = there.distance_metres(&here);
                            if metres > *max_metres {
                                out.push((vec![i], format!(
                                    "{} is {metres:.0} m from the sensor's previous location: relocated, a new series",
                                    self.describe(i)
                                )));
                            }
                        }
                        previous = Some(i);
                    }
                }
            }
            RuleKind::UnitMismatch { factors, offsets } => {
                for (i, o) in obs.iter().enumerate() {
                    let Some(def) = catalogue.property_by_iri(o.property.as_ref()) else {
                        continue;
                    };
                    let plausible = |v: f64| v >= def.min_plausible && v <= def.max_plausible;
                    // Counts have no unit to mix up, and a percentage above 100 is an
                    // overfull count rather than a ratio.
                    if def.canonical_unit == unit::NUM
                        || def.canonical_unit == unit::PERCENT
                        || plausible(o.value)
                    {
                        continue;
                    }
                    let candidates = factors
                        .iter()
                        .map(|f| (o.value / f, format!("divided by {f}")))
                        .chain(offsets.iter().map(|k| (o.value - k, format!("minus {k}"))));
                    for (converted, how) in candidates {
                        if plausible(converted) {
                            out.push((vec![i], format!(
                                "{} is {}, implausible, but plausible {how} ({converted}): it looks like a value in another unit",
                                self.describe(i), o.value
                            )));
                            break;
                        }
                    }
                }
            }
            RuleKind::Gap {
                factor,
                min_gap,
                properties,
            } => {
                for ((_, _, property), indexes) in &self.series {
                    if !applies_to(properties, property) {
                        continue;
                    }
                    let sorted = self.chronological(indexes);
                    let mut starts: Vec<(DateTime<Utc>, usize)> = sorted
                        .iter()
                        .map(|i| (obs[*i].phenomenon_time.start(), *i))
                        .collect();
                    starts.dedup_by_key(|(t, _)| *t);
                    if starts.len() < 3 {
                        continue;
                    }
                    let Some(cadence) = starts.windows(2).map(|w| w[1].0 - w[0].0).min() else {
                        continue;
                    };
                    let limit = cadence.max(*min_gap);
                    for w in starts.windows(2) {
                        let step = w[1].0 - w[0].0;
                        if step.num_seconds() as f64 > factor * cadence.num_seconds() as f64
                            && step > limit
                        {
                            out.push((
                                vec![w[1].1],
                                format!(
                                    "{} follows a gap of {} min in a series read every {} min",
                                    self.describe(w[1].1),
                                    step.num_minutes(),
                                    cadence.num_minutes()
                                ),
                            ));
                        }
                    }
                }
            }
            RuleKind::StaleReading {
                max_lag,
                properties,
            } => {
                let applies = |o: &Observation| applies_to(properties, o.property.as_str());
                let mut newest: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
                for o in obs.iter().filter(|o| applies(o)) {
                    let entry = newest.entry(o.property.as_str()).or_insert(o.result_time);
                    *entry = (*entry).max(o.result_time);
                }
                for (i, o) in obs.iter().enumerate().filter(|(_, o)| applies(o)) {
                    if let Some(latest) = newest.get(o.property.as_str())
                        && *latest - o.result_time > *max_lag
                    {
                        out.push((vec![i], format!(
                            "{} dates from {}, {} h before the newest reading of the batch ({}): a stale value",
                            self.describe(i),
                            o.result_time.to_rfc3339(),
                            (*latest - o.result_time).num_hours(),
                            latest.to_rfc3339()
                        )));
                    }
                }
            }
            RuleKind::OccupancyConsistency { tolerance } => {
                let by_key = |key: &str| self.catalogue.property_by_key(key).map(|p| p.iri.clone());
                let (Some(occupancy), Some(vacant), Some(capacity)) = (
                    by_key("parking-occupancy"),
                    by_key("parking-vacant-spaces"),
                    by_key("parking-capacity"),
                ) else {
                    return;
                };
                let mut moments: BTreeMap<(String, DateTime<Utc>), [Option<usize>; 3]> =
                    BTreeMap::new();
                for (i, o) in obs.iter().enumerate() {
                    let slot = if o.property == occupancy {
                        0
                    } else if o.property == vacant {
                        1
                    } else if o.property == capacity {
                        2
                    } else {
                        continue;
                    };
                    moments
                        .entry((o.sensor.to_string(), o.phenomenon_time.start()))
                        .or_default()[slot] = Some(i);
                }
                for [o, v, c] in moments.values() {
                    let (Some(o), Some(v), Some(c)) = (*o, *v, *c) else {
                        continue;
                    };
                    if obs[c].value <= 0.0 {
                        continue;
                    }
                    let computed = 100.0 * (obs[c].value - obs[v].value) / obs[c].value;
                    if (obs[o].value - computed).abs() > *tolerance {
                        out.push((
                            vec![o, v, c],
                            format!(
                                "{} is {} % but {} vacant of {} spaces make {computed:.0} %",
                                self.describe(o),
                                obs[o].value,
                                obs[v].value,
                                obs[c].value
                            ),
                        ));
                    }
                }
            }
            RuleKind::IntervalConsistency => {
                for indexes in self.series.values() {
                    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
                    for &i in indexes {
                        *counts
                            .entry(obs[i].phenomenon_time.duration().num_seconds())
                            .or_default() += 1;
                    }
                    if counts.len() < 2 {
                        continue;
                    }
                    let Some((&usual, _)) = counts.iter().max_by_key(|(_, n)| **n) else {
                        continue;
                    };
                    for &i in indexes {
                        let seconds = obs[i].phenomenon_time.duration().num_seconds();
                        if seconds != usual {
                            out.push((vec![i], format!(
                                "{} covers {seconds} s while the rest of its series covers {usual} s: an aggregation-window mismatch",
                                self.describe(i)
                            )));
                        }
                    }
                }
            }
        }
    }
}

/// Whether a rule restricted to `properties` (none: every property) judges `property`.
fn applies_to(properties: &[NamedNode], property: &str) -> bool {
    properties.is_empty() || properties.iter().any(|p| p.as_str() == property)
}
