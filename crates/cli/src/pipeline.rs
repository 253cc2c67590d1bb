//! One feed's payloads → archive → mapping → one atomic batch in the store.

use belfort_harvest::{FeedSpec, map_payload};
use belfort_model::{Catalogue, IriMinter, QuarantinedRecord, date_time_literal};
use belfort_store::{IngestBatch, IngestOutcome, ObservationStore, PayloadArchive};
use belfort_vocab::{belfort, dct, prov, rdf, rdfs, skos, xsd};
use chrono::Utc;
use oxrdf::{GraphName, Literal, NamedNode, Quad, Triple};

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
}

impl FeedReport {
    /// Whether anything needs a person's attention.
    pub fn has_problems(&self) -> bool {
        !self.quarantined.is_empty() || !self.outcome.conflicting.is_empty()
    }
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
}

impl Pipeline<'_> {
    /// Maps every payload first, so that a payload in the wrong format stores nothing; then
    /// archives the bytes and writes one batch.
    pub fn ingest(&self, feed: &FeedSpec, payloads: &[Payload]) -> anyhow::Result<FeedReport> {
        let started = Utc::now();
        let mut mapped = Vec::with_capacity(payloads.len());
        for payload in payloads {
            mapped.push(map_payload(
                feed,
                self.catalogue,
                &payload.source,
                &payload.bytes,
            )?);
        }
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
        for (payload, mapped) in payloads.iter().zip(mapped) {
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
            for observation in &mapped.observations {
                let mut rdf = observation.to_rdf(self.minter, self.catalogue);
                // Trace every value to the archived bytes it came from.
                rdf.triples.push(Triple::new(
                    rdf.iri.clone(),
                    prov::WAS_DERIVED_FROM,
                    payload_iri.clone(),
                ));
                batch.observations.push(rdf);
            }
            for (index, record) in mapped.quarantined.iter().enumerate() {
                batch.other_quads.extend(
                    record
                        .to_rdf(self.minter, &archived.sha256, index)
                        .into_iter()
                        .map(|t| t.in_graph(quarantine.clone())),
                );
            }
            report.quarantined.extend(mapped.quarantined);
        }
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
