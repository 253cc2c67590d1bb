//! The store boundary: what the rest of Belfort may ask of any store.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use belfort_model::ObservationRdf;
use oxrdf::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term, Triple, Variable};

use crate::StoreError;
use crate::event_streams::EventStreamIndexing;

/// One unit of ingest: wholly in the store afterwards, or not at all.
#[derive(Debug, Clone, Default)]
pub struct IngestBatch {
    /// The named graph of the feed the observations belong to.
    pub feed_graph: Option<NamedNode>,
    /// The named graph of the observations' context (sensors, features, times), shared by
    /// every feed so that shared descriptions are stored once; `None`: the feed graph.
    pub context_graph: Option<NamedNode>,
    /// The observations, already in RDF.
    pub observations: Vec<ObservationRdf>,
    /// Everything else written in the same transaction: provenance in the metadata graph,
    /// quarantined records in the quarantine graph.
    pub other_quads: Vec<Quad>,
    /// Written only when the batch adds at least one observation: the record of a run (with
    /// its times), so that re-ingesting the same payload adds nothing at all.
    pub run_quads: Vec<Quad>,
    /// Files the batch's new observations into event streams, in the same transaction.
    pub event_streams: Option<EventStreamIndexing>,
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
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// At most this many rows or triples are returned; more sets `truncated`.
    pub max_results: usize,
    /// The query is stopped after this long.
    pub timeout: Option<Duration>,
    /// Lets the caller stop the query early (a client that went away).
    pub cancellation: Option<QueryCancellation>,
    /// The SPARQL protocol's `default-graph-uri`: when not empty, the default graph is the
    /// merge of these graphs (instead of the union of every graph).
    pub default_graphs: Vec<NamedNode>,
    /// The SPARQL protocol's `named-graph-uri`: when not empty, the only named graphs.
    pub named_graphs: Vec<NamedNode>,
    /// The base IRI relative IRIs in the query resolve against (the endpoint's address).
    pub base_iri: Option<String>,
    /// The query is stopped when the process has grown by more than this many bytes since it
    /// started (joins materialise intermediate results in memory).
    pub memory_budget: Option<u64>,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            max_results: 100_000,
            timeout: Some(Duration::from_secs(30)),
            cancellation: None,
            default_graphs: Vec::new(),
            named_graphs: Vec::new(),
            base_iri: None,
            memory_budget: Some(2 * 1024 * 1024 * 1024),
        }
    }
}

/// A switch shared between whoever runs a query and whoever may want it stopped.
#[derive(Debug, Clone, Default)]
pub struct QueryCancellation(Arc<AtomicBool>);

impl QueryCancellation {
    /// A switch that is not yet thrown.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the query to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether stopping was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Which graphs a pattern looks in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GraphSelector {
    /// Every graph, default and named.
    Any,
    /// Only the default graph.
    Default,
    /// Only this named graph.
    Named(NamedNode),
}

/// A quad pattern: `None` matches anything. Subjects and predicates are IRIs only (Belfort's
/// data has no blank nodes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuadPattern {
    /// The subject, or any.
    pub subject: Option<NamedNode>,
    /// The predicate, or any.
    pub predicate: Option<NamedNode>,
    /// The object, or any.
    pub object: Option<Term>,
    /// The graphs to look in.
    pub graph: GraphSelector,
}

impl QuadPattern {
    /// The quad the pattern matched, from what a query bound to its open positions (`None`
    /// for a position the pattern fixes); `None` when a binding cannot stand in its position.
    /// The quad is in the named graph the pattern names, else in the default graph.
    pub fn matched_quad(
        &self,
        subject: Option<&Term>,
        predicate: Option<&Term>,
        object: Option<&Term>,
    ) -> Option<Quad> {
        let subject: NamedOrBlankNode = match (&self.subject, subject) {
            (Some(fixed), _) => fixed.clone().into(),
            (None, Some(Term::NamedNode(n))) => n.clone().into(),
            (None, Some(Term::BlankNode(b))) => b.clone().into(),
            _ => return None,
        };
        let predicate = match (&self.predicate, predicate) {
            (Some(fixed), _) => fixed.clone(),
            (None, Some(Term::NamedNode(n))) => n.clone(),
            _ => return None,
        };
        let object = match (&self.object, object) {
            (Some(fixed), _) => fixed.clone(),
            (None, Some(bound)) => bound.clone(),
            _ => return None,
        };
        let graph = match &self.graph {
            GraphSelector::Named(name) => GraphName::NamedNode(name.clone()),
            _ => GraphName::DefaultGraph,
        };
        Some(Quad::new(subject, predicate, object, graph))
    }
}

/// One page of the quads matching a pattern, in the engine's stable index order.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternPage {
    /// The quads of the page.
    pub quads: Vec<Quad>,
    /// More quads follow this page.
    pub has_more: bool,
}

/// How many quads match a pattern, counted up to a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternCount {
    /// Exactly this many.
    Exact(u64),
    /// The cap was reached: at least this many.
    AtLeast(u64),
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

    /// Files observations the store already holds (all in `graph`) into the event streams,
    /// as an ingest files new ones: each is published now (`dct:issued`) in the streams
    /// `indexing.memberships` gives it, by position. For observations stored before the
    /// streams existed or imported without them; returns how many were filed.
    fn file_stored_members(
        &self,
        indexing: &EventStreamIndexing,
        graph: &GraphName,
        members: &[NamedNode],
    ) -> Result<u64, StoreError>;

    /// Adds the quads of a dump (as [`ObservationStore::dump`] writes it, from this or any
    /// other store) and returns how many were read. Quads the store already holds are not
    /// added again, so an import can be run again after a failure.
    fn import(&self, format: DumpFormat, input: &mut dyn std::io::Read) -> Result<u64, StoreError>;

    /// How many `sosa:Observation`s the store holds.
    fn count_observations(&self) -> Result<u64, StoreError>;

    /// How many quads the store holds.
    fn count_quads(&self) -> Result<u64, StoreError>;

    /// The quads matching `pattern`, skipping `offset` and returning at most `limit`, in an
    /// order that stays the same while the data does.
    fn pattern_page(
        &self,
        pattern: &QuadPattern,
        offset: u64,
        limit: usize,
    ) -> Result<PatternPage, StoreError>;

    /// Every triple whose subject is one of `subjects` (and whose predicate is `predicate`,
    /// when given), in any graph, each once, in subject order. For describing known resources
    /// (event-stream nodes and their members) by index lookups, without the cost of a query.
    fn triples_about(
        &self,
        subjects: &[NamedNode],
        predicate: Option<&NamedNode>,
    ) -> Result<Vec<Triple>, StoreError>;

    /// Counts the quads matching `pattern`, stopping at `cap`.
    fn count_pattern(&self, pattern: &QuadPattern, cap: u64) -> Result<PatternCount, StoreError>;

    /// A number that changes whenever the data may have changed (for caches and ETags).
    fn data_version(&self) -> u64;
}
