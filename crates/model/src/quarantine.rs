//! Records that could not be mapped: kept with their reason, never silently dropped.

use belfort_vocab::{belfort, prov, rdf, rdfs};
use oxrdf::{Literal, NamedNode, Triple};

use crate::{FeedId, IriMinter};

/// A record (or one field of it) that could not become an observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedRecord {
    /// The feed it came from.
    pub feed: FeedId,
    /// Where in the payload: a JSON pointer (`/report/13`) or `line 12`.
    pub location: String,
    /// The field that made it unusable, if one did.
    pub field: Option<String>,
    /// Why, for a person.
    pub reason: String,
    /// The record as the source sent it.
    pub raw: String,
}

impl QuarantinedRecord {
    /// The record's RDF; `payload_sha256` and `index` make its IRI stable across re-ingests.
    pub fn to_rdf(&self, minter: &IriMinter, payload_sha256: &str, index: usize) -> Vec<Triple> {
        let iri = minter.quarantined_record(payload_sha256, index);
        let mut triples = vec![
            Triple::new(iri.clone(), rdf::TYPE, belfort::QUARANTINED_RECORD),
            Triple::new(iri.clone(), belfort::FEED_PROPERTY, minter.feed(&self.feed)),
            Triple::new(
                iri.clone(),
                belfort::REASON,
                Literal::new_simple_literal(&self.reason),
            ),
            Triple::new(
                iri.clone(),
                belfort::LOCATION,
                Literal::new_simple_literal(&self.location),
            ),
            Triple::new(
                iri.clone(),
                belfort::RAW_RECORD,
                Literal::new_simple_literal(&self.raw),
            ),
            Triple::new(
                iri.clone(),
                prov::WAS_DERIVED_FROM,
                minter.payload(payload_sha256),
            ),
            Triple::new(
                iri.clone(),
                rdfs::LABEL,
                Literal::new_simple_literal(self.to_string()),
            ),
        ];
        if let Some(field) = &self.field {
            triples.push(Triple::new(
                iri,
                belfort::FIELD,
                Literal::new_simple_literal(field),
            ));
        }
        triples
    }

    /// The IRI this record gets in the quarantine graph.
    pub fn iri(minter: &IriMinter, payload_sha256: &str, index: usize) -> NamedNode {
        minter.quarantined_record(payload_sha256, index)
    }
}

impl std::fmt::Display for QuarantinedRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "feed {}, record {}", self.feed, self.location)?;
        if let Some(field) = &self.field {
            write!(f, ", field {field}")?;
        }
        write!(f, ": {}", self.reason)
    }
}
