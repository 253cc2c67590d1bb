//! The store boundary: what the rest of Belfort may ask of any store.

use std::io::Write;
use std::time::Duration;

use belfort_model::ObservationRdf;
use oxrdf::{NamedNode, Quad, Term, Triple, Variable};

use crate::StoreError;

/// One unit of ingest: wholly in the store afterwards, or not at all.
#[derive(Debug, Clone, Default)]
pub struct IngestBatch {
    /// The named graph of the feed the observations belong to.
    pub feed_graph: Option<NamedNode>,
    /// The observations, already in RDF.
    pub observations: Vec<ObservationRdf>,
    /// Everything else written in the same transaction: provenance in the metadata graph,
    /// quarantined records in the quarantine graph.
    pub other_quads: Vec<Quad>,
    /// Written only when the batch adds at least one observation: the record of a run (with
    /// its times), so that re-ingesting the same payload adds nothing at all.
    pub run_quads: Vec<Quad>,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Observations the store did not have.
    pub new_observations: u64,
    /// Observations the store already had (same IRI), left as they were.
    pub known_observations: u64,
    /// Known observations whose incoming value differs from the stored one; the stored one is
    /// kept and the raw payload of the other stays archived.
    pub conflicting: Vec<NamedNode>,
    /// Quads handed to the engine (before its own de-duplication).
    pub quads_written: u64,
}

/// The answer to a SPARQL query, materialised and bounded.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryAnswer {
    /// SELECT: variables and rows.
    Solutions {
        /// The projected variables.
        variables: Vec<Variable>,
        /// One entry per variable per row; `None` where unbound.
        rows: Vec<Vec<Option<Term>>>,
        /// Rows were cut at the limit.
        truncated: bool,
    },
    /// ASK.
    Boolean(bool),
    /// CONSTRUCT / DESCRIBE.
    Graph {
        /// The triples.
        triples: Vec<Triple>,
        /// Triples were cut at the limit.
        truncated: bool,
    },
}

/// Limits on one query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOptions {
    /// At most this many rows or triples are returned; more sets `truncated`.
    pub max_results: usize,
    /// The query is stopped after this long.
    pub timeout: Option<Duration>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            max_results: 100_000,
            timeout: Some(Duration::from_secs(30)),
        }
    }
}

/// Dump formats. N-Triples drops graph names (dumping to it fails when there are any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DumpFormat {
    /// N-Quads.
    NQuads,
    /// TriG.
    TriG,
    /// N-Triples.
    NTriples,
}

/// What any Belfort store offers. The embedded oxigraph store implements it; a remote SPARQL
/// 1.1 engine can too, so nothing above this boundary depends on a concrete engine.
pub trait ObservationStore: Send + Sync {
    /// Writes a batch atomically and idempotently.
    fn ingest(&self, batch: IngestBatch) -> Result<IngestOutcome, StoreError>;

    /// Runs a read-only SPARQL query within the given limits.
    fn query(&self, query: &str, options: &QueryOptions) -> Result<QueryAnswer, StoreError>;

    /// Writes every quad; returns how many.
    fn dump(&self, format: DumpFormat, out: &mut dyn Write) -> Result<u64, StoreError>;

    /// How many `sosa:Observation`s the store holds.
    fn count_observations(&self) -> Result<u64, StoreError>;

    /// How many quads the store holds.
    fn count_quads(&self) -> Result<u64, StoreError>;
}
