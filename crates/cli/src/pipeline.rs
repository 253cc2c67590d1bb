//! One feed's payloads → archive → mapping → one atomic batch in the store.

use std::collections::HashMap;

use belfort_harvest::{FeedSpec, MappedPayload, map_payloads, records_lines};
use belfort_model::{
    Catalogue, DescribedEntities, IriMinter, Observation, PhenomenonTime, QuarantinedRecord,
    date_time_literal,
};
use belfort_shacl::{GraphBuilder, QualityFinding, QualityRules, Shapes, validate};
use belfort_store::event_streams::EventStreamIndexing;
use belfort_store::{
    IngestBatch, IngestOutcome, ObservationStore, PayloadArchive, QueryAnswer, QueryOptions,
};
use belfort_vocab::{belfort, dct, dqv, oa, prov, quality, rdf, rdfs, sh, skos, sosa, xsd};
use chrono::Utc;
use oxrdf::{GraphName, Literal, NamedNode, Quad, Term, Triple};
use serde::Serialize;

/// How many intervals before a batch the series rules look back at (per interval length).
const HISTORY_INTERVALS: i32 = 24;
/// Above this many sensors in one batch (a backfill), the batch is judged on its own.
const MAX_HISTORY_SENSORS: usize = 2_000;
/// At most this many stored readings are read as history.
const MAX_HISTORY_ROWS: usize = 200_000;

/// The shapes every batch is validated against: SHACL Core shapes of the published model,
/// and the sensor-quality rules.
pub struct Validation {
    /// `shapes/observation.ttl`, compiled.
    pub shapes: Shapes,
    /// `shapes/quality.ttl`.
    pub rules: QualityRules,
}

impl Validation {
    /// The shapes shipped in `shapes/`.
    pub fn bundled() -> anyhow::Result<Self> {
        let read = |text: &str, name: &str| {
            let mut builder = GraphBuilder::default();
            builder.parse(text.as_bytes(), oxrdfio::RdfFormat::Turtle, None, name)?;
            anyhow::Ok(builder.build())
        };
        let observation = read(
            include_str!("../../../shapes/observation.ttl"),
            "shapes/observation.ttl",
        )?;
        let rules = read(
            include_str!("../../../shapes/quality.ttl"),
            "shapes/quality.ttl",
        )?;
        Ok(Self {
            shapes: Shapes::compile(observation)?,
            rules: QualityRules::from_shapes(&rules)?,
        })
    }
}

/// How one source record fared.
#[derive(Debug, Clone, Serialize)]
pub struct RecordReport {
    /// The payload file or URL.
    pub file: String,
    /// First and last line (1-based) of the record in the file.
    pub lines: Option<[u64; 2]>,
    /// JSON pointer of the record (JSON payloads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// `ok`, `flagged` (published with quality annotations) or `quarantined` (not published).
    pub status: &'static str,
    /// Observations published from it.
    pub observations: u64,
    /// What was found.
    pub findings: Vec<RecordFinding>,
}

/// One finding on a source record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordFinding {
    /// The rule (IRI).
    pub rule: String,
    /// `Violation`, `Warning`, `Info`, or `Quarantine`.
    pub severity: String,
    /// Why, for a person.
    pub message: String,
}

/// A payload read from a file or URL.
pub struct Payload {
    /// Where it came from, for messages and provenance.
    pub source: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What one feed's ingest did.
#[derive(Debug, Default)]
pub struct FeedReport {
    /// Records read.
    pub records: u64,
    /// Observations mapped.
    pub observations: u64,
    /// What the store did.
    pub outcome: IngestOutcome,
    /// Readings the source marked as not measured.
    pub not_measured: u64,
    /// Quarantined records and fields.
    pub quarantined: Vec<QuarantinedRecord>,
    /// One entry per source record, in payload order.
    pub record_reports: Vec<RecordReport>,
    /// Distinct observations published with at least one quality annotation.
    pub flagged_observations: u64,
    /// Findings per rule (IRI → count).
    pub findings_by_rule: std::collections::BTreeMap<String, u64>,
    /// The newest result time among the batch's observations: the feed's next watermark.
    pub latest_result_time: Option<chrono::DateTime<Utc>>,
}

impl FeedReport {
    /// Whether anything needs a person's attention.
    pub fn has_problems(&self) -> bool {
        !self.quarantined.is_empty() || !self.outcome.conflicting.is_empty()
    }
}

/// The event streams an observation is published in: the stream of everything, and its
/// city's stream of its property's family (`gent/traffic`).
fn stream_memberships(catalogue: &Catalogue, observation: &Observation) -> Vec<String> {
    streams_of(
        catalogue,
        Some(observation.feed.city()),
        &observation.property,
    )
}

/// The event streams of an observation of `property` from a feed of `city`: the stream of
/// everything, and the city's stream of the property's family.
pub fn streams_of(catalogue: &Catalogue, city: Option<&str>, property: &NamedNode) -> Vec<String> {
    let mut streams = vec!["all".to_owned()];
    if let (Some(city), Some(property)) = (city, catalogue.property_by_iri(property.as_ref())) {
        streams.push(format!("{city}/{}", property.family));
    }
    streams
}

/// Everything the pipeline needs that outlives one feed.
pub struct Pipeline<'a> {
    /// The catalogue.
    pub catalogue: &'a Catalogue,
    /// IRI minting.
    pub minter: &'a IriMinter,
    /// The store.
    pub store: &'a dyn ObservationStore,
    /// The raw payload archive.
    pub archive: &'a PayloadArchive,
    /// The shapes and quality rules every batch is validated against.
    pub validation: &'a Validation,
    /// Members per event-stream page.
    pub event_stream_page_size: usize,
}

impl<'a> Pipeline<'a> {
    /// The pipeline of `config`: its minter and its event-stream page size.
    pub fn new(
        catalogue: &'a Catalogue,
        config: &'a crate::config::Config,
        store: &'a dyn ObservationStore,
        archive: &'a PayloadArchive,
        validation: &'a Validation,
    ) -> Self {
        Self {
            catalogue,
            minter: &config.minter,
            store,
            archive,
            validation,
            event_stream_page_size: config.event_streams.page_size,
        }
    }

    /// Maps every payload first, so that a payload in the wrong format stores nothing; then
    /// archives the bytes and writes one batch.
    pub fn ingest(&self, feed: &FeedSpec, payloads: &[Payload]) -> anyhow::Result<FeedReport> {
        let started = Utc::now();
        let parts: Vec<(&str, &[u8])> = payloads
            .iter()
            .map(|p| (p.source.as_str(), p.bytes.as_slice()))
            .collect();
        let mapped = map_payloads(feed, self.catalogue, &parts)?;
        let meta = GraphName::NamedNode(self.minter.metadata_graph());
        let quarantine = GraphName::NamedNode(self.minter.quarantine_graph());
        let feed_iri = self.minter.feed(&feed.id);
        let run = self.minter.run(&feed.id, started);
        let mut report = FeedReport::default();
        let mut batch = IngestBatch {
            feed_graph: Some(self.minter.feed_graph(&feed.id)),
            context_graph: Some(self.minter.context_graph()),
            ..IngestBatch::default()
        };
        let mut meta_triples = self.describe_feed(feed, &feed_iri);
        let mut run_triples = vec![
            Triple::new(run.clone(), rdf::TYPE, prov::ACTIVITY),
            Triple::new(run.clone(), rdf::TYPE, belfort::HARVEST_RUN),
            Triple::new(run.clone(), belfort::FEED_PROPERTY, feed_iri.clone()),
            Triple::new(
                run.clone(),
                prov::STARTED_AT_TIME,
                date_time_literal(started, xsd::DATE_TIME),
            ),
        ];
        let mut observations: Vec<Observation> = Vec::new();
        let mut payload_of: Vec<usize> = Vec::new();
        let mut payload_iris = Vec::with_capacity(payloads.len());
        let mut record_sets: Vec<MappedPayload> = Vec::with_capacity(payloads.len());
        for (index, (payload, mut mapped)) in payloads.iter().zip(mapped).enumerate() {
            let archived = self.archive.archive(&payload.bytes)?;
            let payload_iri = self.minter.payload(&archived.sha256);
            meta_triples.extend(describe_payload(
                &payload_iri,
                &archived.sha256,
                archived.size,
                &payload.source,
                &feed_iri,
            ));
            run_triples.push(Triple::new(run.clone(), prov::USED, payload_iri.clone()));
            report.records += mapped.records;
            report.not_measured += mapped.not_measured;
            report.observations += mapped.observations.len() as u64;
            payload_of.extend(std::iter::repeat_n(index, mapped.observations.len()));
            observations.append(&mut mapped.observations);
            for (position, record) in mapped.quarantined.iter().enumerate() {
                batch.other_quads.extend(
                    record
                        .to_rdf(self.minter, &archived.sha256, position)
                        .into_iter()
                        .map(|t| t.in_graph(quarantine.clone())),
                );
            }
            payload_iris.push(payload_iri);
            record_sets.push(mapped);
        }
        report.latest_result_time = observations.iter().map(|o| o.result_time).max();
        let mut described = DescribedEntities::default();
        let mut rdf_of: Vec<_> = observations
            .iter()
            .zip(&payload_of)
            .map(|(observation, payload)| {
                let mut rdf =
                    observation.to_rdf_describing(self.minter, self.catalogue, &mut described);
                // Trace every value to the archived bytes it came from.
                rdf.triples.push(Triple::new(
                    rdf.iri.clone(),
                    prov::WAS_DERIVED_FROM,
                    payload_iris[*payload].clone(),
                ));
                rdf
            })
            .collect();
        let history = self.stored_history(feed, &observations, &rdf_of);
        let findings = self.findings(&observations, &rdf_of, &history, started);
        let feed_graph = GraphName::NamedNode(self.minter.feed_graph(&feed.id));
        let mut flagged = std::collections::HashSet::new();
        for finding in &findings {
            *report
                .findings_by_rule
                .entry(finding.component.as_str().to_owned())
                .or_default() += finding.observations.len() as u64;
            for &i in &finding.observations {
                flagged.insert(&rdf_of[i].iri);
                batch.other_quads.extend(
                    annotate(self.minter, &rdf_of[i].iri, finding)
                        .into_iter()
                        .map(|t| t.in_graph(feed_graph.clone())),
                );
            }
        }
        report.flagged_observations = flagged.len() as u64;
        drop(flagged);
        let report_triples = validation_report(
            self.minter,
            &run,
            &findings,
            &rdf_of,
            &record_sets,
            &payload_iris,
        );
        run_triples.extend(report_triples);
        report.record_reports = record_reports(
            payloads,
            &record_sets,
            &observations,
            &payload_of,
            &findings,
        );
        for set in &mut record_sets {
            for flag in &set.flags {
                *report
                    .findings_by_rule
                    .entry(flag.rule.as_str().to_owned())
                    .or_default() += 1;
            }
            report.quarantined.append(&mut set.quarantined);
        }
        batch.event_streams = Some(EventStreamIndexing {
            graph: self.minter.event_stream_graph(),
            prefix: self.minter.event_stream_prefix(),
            page_size: self.event_stream_page_size,
            memberships: observations
                .iter()
                .map(|o| stream_memberships(self.catalogue, o))
                .collect(),
        });
        batch.observations.append(&mut rdf_of);
        run_triples.push(Triple::new(
            run,
            prov::ENDED_AT_TIME,
            date_time_literal(Utc::now(), xsd::DATE_TIME),
        ));
        batch
            .other_quads
            .extend(meta_triples.into_iter().map(|t| t.in_graph(meta.clone())));
        batch.run_quads = run_triples
            .into_iter()
            .map(|t| t.in_graph(meta.clone()))
            .collect::<Vec<Quad>>();
        report.outcome = self.store.ingest(batch)?;
        Ok(report)
    }

    /// SHACL Core on the batch's RDF, then the quality rules on its observations; SHACL
    /// results on an observation become findings on it.
    fn findings(
        &self,
        observations: &[Observation],
        rdf: &[belfort_model::ObservationRdf],
        history: &[Observation],
        now: chrono::DateTime<Utc>,
    ) -> Vec<QualityFinding> {
        let mut graph = GraphBuilder::default();
        let mut index_of: HashMap<&NamedNode, usize> = HashMap::new();
        for (i, observation) in rdf.iter().enumerate() {
            index_of.entry(&observation.iri).or_insert(i);
            for triple in observation.triples.iter().chain(&observation.context) {
                graph.insert(triple.clone());
            }
        }
        let report = validate(&self.validation.shapes, &graph.build());
        let mut findings: Vec<QualityFinding> = report
            .results
            .into_iter()
            .filter_map(|result| {
                let Term::NamedNode(focus) = &result.focus_node else {
                    return None;
                };
                let i = *index_of.get(focus)?;
                let message = result
                    .messages
                    .iter()
                    .map(|m| match m {
                        Term::Literal(l) => l.value().to_owned(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                Some(QualityFinding {
                    component: result.source_constraint_component,
                    shape: result.source_shape,
                    severity: result.severity,
                    observations: vec![i],
                    message,
                })
            })
            .collect();
        // The series rules see the stored readings before the batch too (a sensor stuck
        // across hourly harvests); a finding is kept only for the batch's own observations.
        let with_history: Vec<Observation>;
        let series = if history.is_empty() {
            observations
        } else {
            with_history = history.iter().chain(observations).cloned().collect();
            &with_history
        };
        let offset = history.len();
        for mut finding in self.validation.rules.evaluate(series, self.catalogue, now) {
            finding.observations.retain(|i| *i >= offset);
            if finding.observations.is_empty() {
                continue;
            }
            for i in &mut finding.observations {
                *i -= offset;
            }
            findings.push(finding);
        }
        findings
    }

    /// The feed's stored readings of the batch's sensors over the [`HISTORY_INTERVALS`]
    /// intervals before the batch, per interval length of the batch. Interval IRIs are minted
    /// from start and length, so this is a bounded set of index lookups, never a scan.
    fn stored_history(
        &self,
        feed: &FeedSpec,
        observations: &[Observation],
        rdf: &[belfort_model::ObservationRdf],
    ) -> Vec<Observation> {
        let mut sensors: HashMap<NamedNode, &Observation> = HashMap::new();
        let mut features: HashMap<NamedNode, belfort_model::SourceId> = HashMap::new();
        let mut earliest: HashMap<chrono::Duration, chrono::DateTime<Utc>> = HashMap::new();
        for o in observations {
            sensors.entry(self.minter.sensor(&o.sensor)).or_insert(o);
            features
                .entry(self.minter.feature(&o.feature))
                .or_insert_with(|| o.feature.clone());
            if let PhenomenonTime::Interval { start, .. } = o.phenomenon_time {
                let entry = earliest
                    .entry(o.phenomenon_time.duration())
                    .or_insert(start);
                *entry = (*entry).min(start);
            }
        }
        if earliest.is_empty() || sensors.len() > MAX_HISTORY_SENSORS {
            return Vec::new();
        }
        let mut intervals: HashMap<NamedNode, PhenomenonTime> = HashMap::new();
        for (length, first) in &earliest {
            let name = belfort_model::format_duration(*length);
            for k in 1..=HISTORY_INTERVALS {
                let start = *first - *length * k;
                if let Ok(time) = PhenomenonTime::interval(start, start + *length) {
                    intervals.insert(self.minter.interval(start, &name), time);
                }
            }
        }
        // Two index-driven steps: the observations of those intervals, then their statements.
        // (One query joining both with VALUES makes the engine scan the feed's graph.)
        let times: String = intervals
            .keys()
            .map(|i| format!("<{}> ", i.as_str()))
            .collect();
        let query = format!(
            "SELECT ?o ?t WHERE {{ VALUES ?t {{ {times}}} GRAPH <{graph}> {{ ?o <{phenomenon}> ?t }} }} \
             LIMIT {MAX_HISTORY_ROWS}",
            graph = self.minter.feed_graph(&feed.id).as_str(),
            phenomenon = sosa::PHENOMENON_TIME.as_str(),
        );
        let options = QueryOptions {
            max_results: MAX_HISTORY_ROWS,
            timeout: Some(std::time::Duration::from_secs(10)),
            ..QueryOptions::default()
        };
        // History sharpens the series rules; without it (an engine error) the batch is still
        // judged on its own.
        let Ok(QueryAnswer::Solutions { rows, .. }) = self.store.query(&query, &options) else {
            return Vec::new();
        };
        let in_batch: std::collections::HashSet<&NamedNode> = rdf.iter().map(|r| &r.iri).collect();
        let mut time_of: HashMap<NamedNode, PhenomenonTime> = HashMap::new();
        for row in rows {
            if let [Some(Term::NamedNode(o)), Some(Term::NamedNode(t))] = row.as_slice()
                // The same reading again is the store's concern, not history.
                && !in_batch.contains(o)
                && let Some(time) = intervals.get(t)
            {
                time_of.insert(o.clone(), *time);
            }
        }
        let stored: Vec<NamedNode> = time_of.keys().cloned().collect();
        let Ok(statements) = self.store.triples_about(&stored, None) else {
            return Vec::new();
        };
        // In IRI order, so that the rules see the same history in the same order every run.
        let mut readings: std::collections::BTreeMap<&NamedNode, StoredReading<'_>> =
            std::collections::BTreeMap::new();
        for triple in &statements {
            let oxrdf::NamedOrBlankNode::NamedNode(o) = &triple.subject else {
                continue;
            };
            readings.entry(o).or_default().read(triple);
        }
        readings
            .into_iter()
            .filter_map(|(o, reading)| {
                let like = sensors.get(reading.sensor?)?;
                Some(Observation {
                    feed: like.feed.clone(),
                    sensor: like.sensor.clone(),
                    feature: features.get(reading.feature?)?.clone(),
                    sample_of: None,
                    property: reading.property?.clone(),
                    value: reading.value?.parse().ok()?,
                    unit: like.unit.clone(),
                    integer_valued: like.integer_valued,
                    phenomenon_time: *time_of.get(o)?,
                    result_time: chrono::DateTime::parse_from_rfc3339(reading.result_time?)
                        .ok()?
                        .with_timezone(&Utc),
                    location: None,
                    qualifiers: Vec::new(),
                    source_record: String::new(),
                    source_iri: None,
                })
            })
            .collect()
    }

    fn describe_feed(&self, feed: &FeedSpec, feed_iri: &NamedNode) -> Vec<Triple> {
        let city = self.minter.city(feed.id.city());
        let mut triples = vec![
            Triple::new(feed_iri.clone(), rdf::TYPE, belfort::FEED),
            Triple::new(
                feed_iri.clone(),
                dct::IDENTIFIER,
                Literal::new_simple_literal(feed.id.to_string()),
            ),
            Triple::new(feed_iri.clone(), belfort::CITY_PROPERTY, city.clone()),
            Triple::new(city.clone(), rdf::TYPE, belfort::CITY),
            Triple::new(
                city.clone(),
                dct::IDENTIFIER,
                Literal::new_simple_literal(feed.id.city()),
            ),
        ];
        if let Some(definition) = self.catalogue.city_by_key(feed.id.city()) {
            triples.push(Triple::new(
                city.clone(),
                belfort::NIS_CODE,
                Literal::new_simple_literal(&definition.nis_code),
            ));
            triples.push(Triple::new(
                city.clone(),
                skos::EXACT_MATCH,
                definition.iri.clone(),
            ));
            for (name, language) in [(&definition.name_nl, "nl"), (&definition.name_en, "en")] {
                if let Ok(label) = Literal::new_language_tagged_literal(name, language) {
                    triples.push(Triple::new(city.clone(), rdfs::LABEL, label));
                }
            }
        }
        triples
    }
}

fn describe_payload(
    payload: &NamedNode,
    sha256: &str,
    size: u64,
    source: &str,
    feed: &NamedNode,
) -> Vec<Triple> {
    vec![
        Triple::new(payload.clone(), rdf::TYPE, belfort::PAYLOAD),
        Triple::new(payload.clone(), rdf::TYPE, prov::ENTITY),
        Triple::new(
            payload.clone(),
            belfort::SHA256,
            Literal::new_simple_literal(sha256),
        ),
        Triple::new(
            payload.clone(),
            dct::EXTENT,
            Literal::new_typed_literal(size.to_string(), xsd::INTEGER),
        ),
        Triple::new(
            payload.clone(),
            dct::SOURCE,
            Literal::new_simple_literal(source),
        ),
        Triple::new(payload.clone(), dct::IS_PART_OF, feed.clone()),
    ]
}

/// The DQV quality annotation one finding puts on one observation.
fn annotate(minter: &IriMinter, observation: &NamedNode, finding: &QualityFinding) -> Vec<Triple> {
    let annotation = minter.quality_annotation(observation, &finding.component);
    vec![
        Triple::new(
            observation.clone(),
            dqv::HAS_QUALITY_ANNOTATION,
            annotation.clone(),
        ),
        Triple::new(annotation.clone(), rdf::TYPE, dqv::QUALITY_ANNOTATION),
        Triple::new(annotation.clone(), oa::HAS_TARGET, observation.clone()),
        Triple::new(annotation.clone(), oa::HAS_BODY, finding.component.clone()),
        Triple::new(
            annotation.clone(),
            oa::MOTIVATED_BY,
            dqv::QUALITY_ASSESSMENT,
        ),
        Triple::new(annotation.clone(), quality::RULE, finding.component.clone()),
        Triple::new(
            annotation.clone(),
            quality::SEVERITY,
            finding.severity.clone(),
        ),
        Triple::new(annotation.clone(), sh::SOURCE_SHAPE, finding.shape.clone()),
        Triple::new(
            annotation,
            quality::MESSAGE,
            Literal::new_simple_literal(&finding.message),
        ),
    ]
}

/// The run's `sh:ValidationReport`, with IRIs instead of blank nodes: one result per flagged
/// observation and rule, and one per adapter check on a record (focus: the payload).
fn validation_report(
    minter: &IriMinter,
    run: &NamedNode,
    findings: &[QualityFinding],
    rdf: &[belfort_model::ObservationRdf],
    records: &[MappedPayload],
    payload_iris: &[NamedNode],
) -> Vec<Triple> {
    let report = minter.validation_report(run);
    let mut triples = vec![
        Triple::new(run.clone(), quality::VALIDATION_REPORT, report.clone()),
        Triple::new(report.clone(), rdf::TYPE, sh::VALIDATION_REPORT),
        Triple::new(report.clone(), prov::WAS_GENERATED_BY, run.clone()),
    ];
    let mut index = 0;
    let mut result = |focus: Term,
                      component: &NamedNode,
                      shape: Option<&Term>,
                      severity: NamedNode,
                      message: &str,
                      location: Option<&str>| {
        let node = minter.validation_result(run, index);
        index += 1;
        let mut out = vec![
            Triple::new(report.clone(), sh::RESULT, node.clone()),
            Triple::new(node.clone(), rdf::TYPE, sh::VALIDATION_RESULT),
            Triple::new(node.clone(), sh::FOCUS_NODE, focus),
            Triple::new(
                node.clone(),
                sh::SOURCE_CONSTRAINT_COMPONENT,
                component.clone(),
            ),
            Triple::new(node.clone(), sh::RESULT_SEVERITY, severity),
            Triple::new(
                node.clone(),
                sh::RESULT_MESSAGE,
                Literal::new_simple_literal(message),
            ),
        ];
        if let Some(shape) = shape {
            out.push(Triple::new(node.clone(), sh::SOURCE_SHAPE, shape.clone()));
        }
        if let Some(location) = location {
            out.push(Triple::new(
                node,
                belfort::LOCATION,
                Literal::new_simple_literal(location),
            ));
        }
        out
    };
    for finding in findings {
        for &i in &finding.observations {
            triples.extend(result(
                rdf[i].iri.clone().into(),
                &finding.component,
                Some(&finding.shape),
                finding.severity.clone(),
                &finding.message,
                None,
            ));
        }
    }
    for (set, payload) in records.iter().zip(payload_iris) {
        for flag in &set.flags {
            triples.extend(result(
                payload.clone().into(),
                &flag.rule,
                None,
                sh::WARNING.into_owned(),
                &flag.message,
                Some(&flag.location),
            ));
        }
    }
    let conforms = index == 0;
    triples.push(Triple::new(report, sh::CONFORMS, Literal::from(conforms)));
    triples
}

fn severity_name(severity: &NamedNode) -> String {
    severity
        .as_str()
        .rsplit(['#', '/'])
        .next()
        .unwrap_or("")
        .to_owned()
}

/// One entry per source record of every payload, with its findings and status.
fn record_reports(
    payloads: &[Payload],
    records: &[MappedPayload],
    observations: &[Observation],
    payload_of: &[usize],
    findings: &[QualityFinding],
) -> Vec<RecordReport> {
    let mut published: HashMap<(usize, &str), u64> = HashMap::new();
    for (observation, payload) in observations.iter().zip(payload_of) {
        *published
            .entry((*payload, observation.source_record.as_str()))
            .or_default() += 1;
    }
    let mut found: HashMap<(usize, &str), Vec<RecordFinding>> = HashMap::new();
    for finding in findings {
        for &i in &finding.observations {
            let entry = found
                .entry((payload_of[i], observations[i].source_record.as_str()))
                .or_default();
            let item = RecordFinding {
                rule: finding.component.as_str().to_owned(),
                severity: severity_name(&finding.severity),
                message: finding.message.clone(),
            };
            if !entry.contains(&item) {
                entry.push(item);
            }
        }
    }
    for (p, set) in records.iter().enumerate() {
        for flag in &set.flags {
            found
                .entry((p, flag.location.as_str()))
                .or_default()
                .push(RecordFinding {
                    rule: flag.rule.as_str().to_owned(),
                    severity: "Warning".to_owned(),
                    message: match &flag.field {
                        Some(field) => format!("{field}: {}", flag.message),
                        None => flag.message.clone(),
                    },
                });
        }
        for entry in &set.quarantined {
            found
                .entry((p, entry.location.as_str()))
                .or_default()
                .push(RecordFinding {
                    rule: quality::UNUSABLE_RECORD_CHECK.as_str().to_owned(),
                    severity: "Quarantine".to_owned(),
                    message: match &entry.field {
                        Some(field) => format!("{field}: {}", entry.reason),
                        None => entry.reason.clone(),
                    },
                });
        }
    }
    let mut out = Vec::new();
    for (p, set) in records.iter().enumerate() {
        let payload = &payloads[p];
        let lines = records_lines(&payload.bytes, &set.record_locations);
        for (location, lines) in set.record_locations.iter().zip(lines) {
            let findings = found.remove(&(p, location.as_str())).unwrap_or_default();
            let observations = published.get(&(p, location.as_str())).copied().unwrap_or(0);
            let quarantined = findings.iter().any(|f| f.severity == "Quarantine");
            let status = if quarantined && observations == 0 {
                "quarantined"
            } else if findings.is_empty() {
                "ok"
            } else {
                "flagged"
            };
            out.push(RecordReport {
                file: payload.source.clone(),
                lines: lines.map(|(a, b)| [a, b]),
                pointer: location.starts_with('/').then(|| location.clone()),
                status,
                observations,
                findings,
            });
        }
    }
    out
}

/// What the series rules need of one stored observation, read from its statements.
#[derive(Default)]
struct StoredReading<'a> {
    sensor: Option<&'a NamedNode>,
    feature: Option<&'a NamedNode>,
    property: Option<&'a NamedNode>,
    value: Option<&'a str>,
    result_time: Option<&'a str>,
}

impl<'a> StoredReading<'a> {
    fn read(&mut self, triple: &'a Triple) {
        let p = triple.predicate.as_ref();
        match &triple.object {
            Term::NamedNode(n) if p == sosa::MADE_BY_SENSOR => self.sensor = Some(n),
            Term::NamedNode(n) if p == sosa::HAS_FEATURE_OF_INTEREST => self.feature = Some(n),
            Term::NamedNode(n) if p == sosa::OBSERVED_PROPERTY => self.property = Some(n),
            Term::Literal(l) if p == sosa::HAS_SIMPLE_RESULT => self.value = Some(l.value()),
            Term::Literal(l) if p == sosa::RESULT_TIME => self.result_time = Some(l.value()),
            _ => {}
        }
    }
}
