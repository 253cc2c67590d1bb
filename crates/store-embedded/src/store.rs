//! The embedded store: oxigraph over RocksDB in the data directory.

use rustc_hash::FxHashSet;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use belfort_vocab::{belfort, dct, rdf, sosa, tree};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Quad, QuadRef, Term};
use oxigraph::sparql::{
    CancellationToken, QueryDataset, QueryEvaluationError, QueryResults, SparqlEvaluator,
};
use oxigraph::store::Store;

use crate::known_observations::KnownObservations;
use crate::page_cursors::{self, PageCursors};
use belfort_store::event_streams::{self, EventStreamIndexing, StreamTail, StreamTails};
use belfort_store::guard;
use belfort_store::plan::{Filing, plan_ingest};
use belfort_store::{
    DumpFormat, GraphSelector, IngestBatch, IngestOutcome, ObservationStore, PatternCount,
    PatternPage, QuadPattern, QueryAnswer, QueryOptions, StoreError,
};

const STOP_NONE: u8 = 0;
const STOP_TIMEOUT: u8 = 1;
const STOP_CALLER: u8 = 2;
const STOP_MEMORY: u8 = 3;

/// The resident memory of this process, where the platform tells it (Linux).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

/// How often the query watchdog looks at the clock and the caller's cancellation switch.
const WATCHDOG_TICK: Duration = Duration::from_millis(20);

/// Batches with more quads than this go through RocksDB's atomic SST ingestion instead of a
/// write batch: the same all-or-nothing guarantee, far less work. A transaction's indexed
/// write batch and the memtable cost O(n log n) with large constants: 10 000 observations
/// (~150 000 quads) per batch ingested at 1 568 observations/s through a transaction and at
/// 6 566/s through SST ingestion (`belfort-ingest-bench 20000 10000`).
const BULK_THRESHOLD_QUADS: usize = 20_000;

/// oxigraph with RocksDB, in one directory.
pub struct EmbeddedStore {
    store: Store,
    /// One writer at a time, so that "already known" checks and the write form one step.
    writer: Mutex<()>,
    /// Bumped on every write; starts from the opening time so it differs between runs.
    version: AtomicU64,
    /// The event streams' last pages, read from the store on the first ingest that files
    /// members; `None` until then or after a failed write.
    stream_tails: Mutex<Option<StreamTails>>,
    /// Open walks over patterns, for clients that read a fragment page after page.
    cursors: PageCursors,
    /// Fingerprints of the stored observations, which prove most new observations new
    /// without a lookup. Locked only while the writer lock is held.
    known: Mutex<KnownObservations>,
    /// The data version and, at that version, the one graph holding data if only one does.
    only_graph: Mutex<Option<(u64, Option<GraphName>)>>,
}

fn initial_version() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// What stops an import: the engine, or a dump that cannot be read.
enum ImportFailure {
    Engine(oxigraph::store::StorageError),
    Dump(StoreError),
}

impl From<oxigraph::store::StorageError> for ImportFailure {
    fn from(error: oxigraph::store::StorageError) -> Self {
        Self::Engine(error)
    }
}

impl From<StoreError> for ImportFailure {
    fn from(error: StoreError) -> Self {
        Self::Dump(error)
    }
}

/// Up to this many pages deep, a page no walk stopped at opens a walk, which reads (and
/// decodes) the earlier matches once; deeper, the engine skips them without decoding.
const WALK_OPENING_PAGES: usize = 10;

/// An engine failure as a store failure.
fn engine(error: oxigraph::store::StorageError) -> StoreError {
    StoreError::Storage(Box::new(error))
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let store = Store::open(dir).map_err(|source| StoreError::Open {
            path: dir.to_path_buf(),
            source: Box::new(source),
        })?;
        Ok(Self {
            store,
            writer: Mutex::new(()),
            version: AtomicU64::new(initial_version()),
            stream_tails: Mutex::new(None),
            cursors: PageCursors::default(),
            known: Mutex::new(KnownObservations::default()),
            only_graph: Mutex::new(None),
        })
    }

    /// A store in memory, for tests and one-off validation.
    pub fn in_memory() -> Result<Self, StoreError> {
        Ok(Self {
            store: Store::new().map_err(engine)?,
            writer: Mutex::new(()),
            version: AtomicU64::new(initial_version()),
            stream_tails: Mutex::new(None),
            cursors: PageCursors::default(),
            known: Mutex::new(KnownObservations::default()),
            only_graph: Mutex::new(None),
        })
    }

    /// Loads an RDF dump (N-Triples, N-Quads, TriG, Turtle) with the engine's bulk loader,
    /// atomically, without Belfort's idempotency bookkeeping: the path of a raw restore.
    pub fn bulk_load(
        &self,
        format: DumpFormat,
        reader: impl std::io::Read,
    ) -> Result<(), StoreError> {
        let format = match format {
            DumpFormat::NQuads => RdfFormat::NQuads,
            DumpFormat::TriG => RdfFormat::TriG,
            DumpFormat::NTriples => RdfFormat::NTriples,
        };
        let _writer = self.lock_writer();
        // The dump may hold observations, and a failed load may have stored part of it.
        self.known_observations().forget();
        let mut loader = self.store.bulk_loader();
        loader
            .load_from_reader(format, reader)
            .map_err(|e| StoreError::Load(e.to_string()))?;
        loader.commit().map_err(engine)?;
        self.version.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    /// Makes the default graph of `dataset` the union of every graph. When the store holds one
    /// graph only (all its data in the default graph, or in a single named graph), that graph
    /// is the union and is read alone: the union reads the default graph's index and the named
    /// graphs' index for every lookup, about a quarter more work for a join-heavy query.
    fn default_graph_is_every_graph(&self, dataset: &mut QueryDataset) -> Result<(), StoreError> {
        match self.only_graph()? {
            Some(graph) => dataset.set_default_graph(vec![graph]),
            None => dataset.set_default_graph_as_union(),
        }
        Ok(())
    }

    /// The one graph that holds data, when there is only one; read from the store once per
    /// data version (every write changes the version after it commits).
    fn only_graph(&self) -> Result<Option<GraphName>, StoreError> {
        let version = self.version.load(Ordering::SeqCst);
        let mut cached = self
            .only_graph
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, graph)) = cached.as_ref()
            && *at == version
        {
            return Ok(graph.clone());
        }
        let mut named = self.store.named_graphs();
        let only = match named.next().transpose().map_err(engine)? {
            None => Some(GraphName::DefaultGraph),
            Some(graph) if named.next().is_none() && self.default_graph_is_empty()? => {
                Some(graph.into())
            }
            Some(_) => None,
        };
        *cached = Some((version, only.clone()));
        Ok(only)
    }

    /// For a pattern over every graph, the one graph the store holds when it holds only one.
    fn only_graph_of(&self, pattern: &QuadPattern) -> Result<Option<GraphName>, StoreError> {
        if pattern.graph == GraphSelector::Any {
            self.only_graph()
        } else {
            Ok(None)
        }
    }

    fn default_graph_is_empty(&self) -> Result<bool, StoreError> {
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
            .next()
            .transpose()
            .map_err(engine)?
            .is_none())
    }

    /// Runs a query built from a pattern: over the union of every graph for `Any`, over the
    /// real default graph for `Default`, and with `GRAPH` for a named graph.
    fn evaluate_pattern_query(
        &self,
        query: &str,
        pattern: &QuadPattern,
    ) -> Result<QueryResults<'_>, StoreError> {
        let mut prepared = SparqlEvaluator::new()
            .parse_query(query)
            .map_err(|e| StoreError::QuerySyntax(e.to_string()))?;
        if pattern.graph == GraphSelector::Any {
            self.default_graph_is_every_graph(prepared.dataset_mut())?;
        }
        prepared
            .on_store(&self.store)
            .execute()
            .map_err(|e| StoreError::QueryEvaluation(e.to_string()))
    }

    fn is_known(
        &self,
        observation: &NamedNode,
        graph: GraphNameRef<'_>,
    ) -> Result<bool, StoreError> {
        self.store
            .contains(QuadRef::new(
                observation,
                rdf::TYPE,
                sosa::OBSERVATION,
                graph,
            ))
            .map_err(engine)
    }

    /// Whether the graph holds exactly `result` as the observation's simple result (an
    /// observation's type and result are always written together).
    fn holds_result(
        &self,
        observation: &NamedNode,
        result: &Term,
        graph: GraphNameRef<'_>,
    ) -> Result<bool, StoreError> {
        self.store
            .contains(QuadRef::new(
                observation,
                sosa::HAS_SIMPLE_RESULT,
                result,
                graph,
            ))
            .map_err(engine)
    }

    fn stored_simple_result(
        &self,
        observation: &NamedNode,
        graph: GraphNameRef<'_>,
    ) -> Result<Option<Term>, StoreError> {
        Ok(self
            .store
            .quads_for_pattern(
                Some(observation.into()),
                Some(sosa::HAS_SIMPLE_RESULT),
                None,
                Some(graph),
            )
            .next()
            .transpose()
            .map_err(engine)?
            .map(|q| q.object))
    }

    /// Reads every event stream's last page and the latest publication time from the index.
    fn load_stream_tails(&self, indexing: &EventStreamIndexing) -> Result<StreamTails, StoreError> {
        let index_graph = GraphNameRef::NamedNode(indexing.graph.as_ref());
        let mut day_links = Vec::new();
        for quad in
            self.store
                .quads_for_pattern(None, Some(belfort::LDES_DAY), None, Some(index_graph))
        {
            let quad = quad.map_err(engine)?;
            if let (NamedOrBlankNode::NamedNode(root), Term::NamedNode(day)) =
                (quad.subject, quad.object)
            {
                day_links.push((root, day));
            }
        }
        let mut tails = StreamTails::default();
        for (root, (day, day_iri)) in event_streams::latest_days(day_links) {
            let mut page_links = Vec::new();
            for quad in self.store.quads_for_pattern(
                Some(day_iri.as_ref().into()),
                Some(belfort::LDES_PAGE),
                None,
                Some(index_graph),
            ) {
                if let Term::NamedNode(page) = quad.map_err(engine)?.object {
                    page_links.push((day_iri.clone(), page));
                }
            }
            let last_page = event_streams::latest_pages(page_links).remove(&day_iri);
            let Some((page, page_iri)) = last_page else {
                continue;
            };
            let mut members = 0;
            for quad in self.store.quads_for_pattern(
                Some(page_iri.as_ref().into()),
                Some(tree::MEMBER),
                None,
                Some(index_graph),
            ) {
                members += 1;
                let Term::NamedNode(member) = quad.map_err(engine)?.object else {
                    continue;
                };
                for issued in self.store.quads_for_pattern(
                    Some(member.as_ref().into()),
                    Some(dct::ISSUED),
                    None,
                    None,
                ) {
                    if let Term::Literal(literal) = issued.map_err(engine)?.object
                        && let Ok(at) = literal.value().parse::<chrono::DateTime<chrono::Utc>>()
                        && tails.last_issued.is_none_or(|last| at > last)
                    {
                        tails.last_issued = Some(at);
                    }
                }
            }
            tails
                .tails
                .insert(root.into_string(), StreamTail { day, page, members });
        }
        Ok(tails)
    }

    /// The fingerprints of stored observations. A poisoned lock means a writer panicked
    /// mid-write: what the fingerprints say may be incomplete, so they are forgotten.
    fn known_observations(&self) -> std::sync::MutexGuard<'_, KnownObservations> {
        self.known.lock().unwrap_or_else(|poisoned| {
            let mut known = poisoned.into_inner();
            known.forget();
            known
        })
    }

    fn write(&self, quads: Vec<Quad>) -> Result<(), StoreError> {
        let observations = KnownObservations::typed_in(&quads);
        let written = if quads.len() > BULK_THRESHOLD_QUADS {
            let mut loader = self.store.bulk_loader();
            loader
                .load_quads(quads)
                .and_then(|()| loader.commit())
                .map_err(engine)
        } else {
            let mut transaction = self.store.start_transaction().map_err(engine)?;
            transaction.extend(quads.iter());
            transaction.commit().map_err(engine)
        };
        let mut known = self.known_observations();
        match written {
            Ok(()) => known.written(observations),
            Err(error) => {
                known.write_failed(&observations);
                return Err(error);
            }
        }
        self.version.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl EmbeddedStore {
    /// One writer at a time. A poisoned lock only means another writer panicked; the store
    /// itself is consistent.
    fn lock_writer(&self) -> std::sync::MutexGuard<'_, ()> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes `quads` with, when given, the filing of members (published now) into their
    /// event streams, in the same write; keeps the streams' last pages for the next filing, or
    /// forgets them when the write fails. Returns how many quads were written.
    fn file_and_write(
        &self,
        mut quads: Vec<Quad>,
        filing: Option<Filing<'_>>,
    ) -> Result<u64, StoreError> {
        let mut tails_cache = self
            .stream_tails
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut tails = None;
        if let Some((indexing, members, graph)) = filing {
            let mut filed = match tails_cache.as_ref() {
                Some(known) => known.clone(),
                None => self.load_stream_tails(indexing)?,
            };
            quads.extend(filed.file(indexing, members, graph, chrono::Utc::now()));
            tails = Some(filed);
        }
        let written = quads.len() as u64;
        if let Err(error) = self.write(quads) {
            *tails_cache = None;
            return Err(error);
        }
        if tails.is_some() {
            *tails_cache = tails;
        }
        Ok(written)
    }
}

impl ObservationStore for EmbeddedStore {
    fn ingest(&self, batch: IngestBatch) -> Result<IngestOutcome, StoreError> {
        let _writer = self.lock_writer();
        let mut plan = plan_ingest(batch, |iris, incoming, graph| {
            let may_hold = self
                .known_observations()
                .may_hold(&self.store, graph, iris)
                .map_err(engine)?;
            let mut known = HashMap::new();
            for (position, (iri, result)) in iris.iter().zip(incoming).enumerate() {
                if may_hold
                    .as_ref()
                    .is_some_and(|held| held.get(position) == Some(&false))
                {
                    continue;
                }
                // A re-harvest brings the stored value again: one point lookup confirms both
                // that the observation is known and that its value agrees.
                if let Some(result) = result
                    && self.holds_result(iri, result, graph.as_ref())?
                {
                    known.insert(iri.clone(), Some(result.clone()));
                } else if self.is_known(iri, graph.as_ref())? {
                    known.insert(iri.clone(), self.stored_simple_result(iri, graph.as_ref())?);
                }
            }
            Ok(known)
        })?;
        let quads = std::mem::take(&mut plan.quads);
        plan.outcome.quads_written = self.file_and_write(quads, plan.filing())?;
        Ok(plan.outcome)
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<QueryAnswer, StoreError> {
        guard::check_on_store(self, query, options.base_iri.as_deref())?;
        let token = CancellationToken::new();
        let mut evaluator = SparqlEvaluator::new().with_cancellation_token(token.clone());
        if let Some(base) = &options.base_iri {
            evaluator = evaluator
                .with_base_iri(base.as_str())
                .map_err(|e| StoreError::QuerySyntax(format!("base IRI <{base}>: {e}")))?;
        }
        let mut prepared = evaluator
            .parse_query(query)
            .map_err(|e| StoreError::QuerySyntax(e.to_string()))?;
        // Without FROM, the default graph is the union of every graph: observations live in
        // one named graph per feed, and a plain `?o a sosa:Observation` must find them all.
        // The protocol's graph parameters override the query's own FROM and FROM NAMED.
        if !options.default_graphs.is_empty() || !options.named_graphs.is_empty() {
            let dataset = prepared.dataset_mut();
            dataset.set_default_graph(
                options
                    .default_graphs
                    .iter()
                    .cloned()
                    .map(GraphName::NamedNode)
                    .collect(),
            );
            dataset.set_available_named_graphs(
                options
                    .named_graphs
                    .iter()
                    .cloned()
                    .map(Into::into)
                    .collect(),
            );
        } else if prepared.dataset().is_default_dataset() {
            self.default_graph_is_every_graph(prepared.dataset_mut())?;
        }
        // A watchdog cancels the evaluation when the time limit passes, the memory budget is
        // spent or the caller asks; dropping `done` stops it. `why` says which happened.
        let (done, finished) = mpsc::channel::<()>();
        let why = Arc::new(AtomicU8::new(STOP_NONE));
        if options.timeout.is_some()
            || options.cancellation.is_some()
            || options.memory_budget.is_some()
        {
            let token = token.clone();
            let deadline = options.timeout.map(|t| Instant::now() + t);
            let cancellation = options.cancellation.clone();
            let memory_ceiling = options
                .memory_budget
                .and_then(|budget| Some(resident_bytes()?.saturating_add(budget)));
            let why = Arc::clone(&why);
            thread::spawn(move || {
                while finished.recv_timeout(WATCHDOG_TICK) == Err(mpsc::RecvTimeoutError::Timeout) {
                    let reason = if deadline.is_some_and(|d| Instant::now() >= d) {
                        STOP_TIMEOUT
                    } else if cancellation.as_ref().is_some_and(|c| c.is_cancelled()) {
                        STOP_CALLER
                    } else if memory_ceiling
                        .is_some_and(|ceiling| resident_bytes().is_some_and(|r| r > ceiling))
                    {
                        STOP_MEMORY
                    } else {
                        continue;
                    };
                    why.store(reason, Ordering::SeqCst);
                    token.cancel();
                    return;
                }
            });
        }
        let timeout_error = |e: QueryEvaluationError| match e {
            QueryEvaluationError::Cancelled => match why.load(Ordering::SeqCst) {
                STOP_MEMORY => StoreError::QueryMemory {
                    megabytes: options.memory_budget.unwrap_or(0) / (1024 * 1024),
                },
                STOP_CALLER => StoreError::QueryCancelled,
                _ => StoreError::QueryTimeout {
                    seconds: options.timeout.map_or(0.0, |t| t.as_secs_f64()),
                },
            },
            other => StoreError::QueryEvaluation(other.to_string()),
        };
        let answer = match prepared
            .on_store(&self.store)
            .execute()
            .map_err(timeout_error)?
        {
            QueryResults::Boolean(value) => QueryAnswer::Boolean(value),
            QueryResults::Solutions(solutions) => {
                let variables = solutions.variables().to_vec();
                let (rows, truncated) = take_bounded(solutions, options.max_results, |solution| {
                    let solution = solution.map_err(timeout_error)?;
                    Ok(variables.iter().map(|v| solution.get(v).cloned()).collect())
                })?;
                QueryAnswer::Solutions {
                    variables,
                    rows,
                    truncated,
                }
            }
            QueryResults::Graph(triples) => {
                let (triples, truncated) =
                    take_bounded(triples, options.max_results, |t| t.map_err(timeout_error))?;
                QueryAnswer::Graph { triples, truncated }
            }
        };
        drop(done);
        Ok(answer)
    }

    fn dump(&self, format: DumpFormat, out: &mut dyn Write) -> Result<u64, StoreError> {
        let format = match format {
            DumpFormat::NQuads => RdfFormat::NQuads,
            DumpFormat::TriG => RdfFormat::TriG,
            DumpFormat::NTriples => RdfFormat::NTriples,
        };
        let mut serializer = RdfSerializer::from_format(format).for_writer(out);
        let mut count = 0;
        for quad in self.store.iter() {
            serializer
                .serialize_quad(&quad.map_err(engine)?)
                .map_err(StoreError::Dump)?;
            count += 1;
        }
        serializer.finish().map_err(StoreError::Dump)?;
        Ok(count)
    }

    fn file_stored_members(
        &self,
        indexing: &EventStreamIndexing,
        graph: &GraphName,
        members: &[NamedNode],
    ) -> Result<u64, StoreError> {
        let _writer = self.lock_writer();
        let filed = event_streams::members_to_file(indexing, members);
        self.file_and_write(Vec::new(), Some((indexing, &filed, graph)))?;
        Ok(filed.len() as u64)
    }

    /// All or nothing: the engine's bulk loader, committed once the whole dump is read.
    fn import(&self, format: DumpFormat, input: &mut dyn std::io::Read) -> Result<u64, StoreError> {
        let _writer = self.lock_writer();
        // The dump may hold observations, and a failed import may have stored part of it.
        self.known_observations().forget();
        let mut count = 0u64;
        let mut loader = self.store.bulk_loader();
        loader
            .load_ok_quads::<StoreError, ImportFailure>(
                belfort_store::read_dump(format, input)
                    .inspect(|quad| count += u64::from(quad.is_ok())),
            )
            .map_err(|failure| match failure {
                ImportFailure::Engine(error) => engine(error),
                ImportFailure::Dump(error) => error,
            })?;
        loader.commit().map_err(engine)?;
        // The event streams' last pages may have come with the dump.
        *self
            .stream_tails
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.version.fetch_add(1, Ordering::SeqCst);
        Ok(count)
    }

    fn count_observations(&self) -> Result<u64, StoreError> {
        let mut count = 0;
        for quad in self.store.quads_for_pattern(
            None,
            Some(rdf::TYPE),
            Some(sosa::OBSERVATION.into()),
            None,
        ) {
            quad.map_err(engine)?;
            count += 1;
        }
        Ok(count)
    }

    fn count_quads(&self) -> Result<u64, StoreError> {
        Ok(self.store.len().map_err(engine)? as u64)
    }

    fn pattern_page(
        &self,
        pattern: &QuadPattern,
        offset: u64,
        limit: usize,
    ) -> Result<PatternPage, StoreError> {
        if offset == 0 && pattern.subject.is_some() {
            // A subject's statements are few: reading them from the index costs a seek, where
            // a query costs its parsing and planning first (a bindings-restricted fragment
            // asks for dozens of subjects per request).
            let only = self.only_graph_of(pattern)?;
            return page_cursors::first_page(&self.store, pattern, only.as_ref(), limit);
        }
        let version = self.data_version();
        if offset > 0 {
            if let Some(page) = self
                .cursors
                .continued_page(pattern, version, offset, limit)?
            {
                return Ok(page);
            }
            // A client reading on from one of the first pages: a walk reads past the earlier
            // matches once, and the pages after this one continue it.
            if offset <= limit.saturating_mul(WALK_OPENING_PAGES) as u64 {
                return self
                    .cursors
                    .open_walk(&self.store, pattern, version, offset, limit);
            }
        }
        // The first page (most fragments have one; the engine answers it fastest), or no walk
        // stopped here: the engine skips the earlier matches without decoding them.
        let query = format!(
            "SELECT REDUCED ?s ?p ?o WHERE {{ {} }} OFFSET {offset} LIMIT {}",
            pattern_graph_pattern(pattern),
            limit.saturating_add(1)
        );
        let mut quads = Vec::with_capacity(limit.min(10_000) + 1);
        let QueryResults::Solutions(solutions) = self.evaluate_pattern_query(&query, pattern)?
        else {
            return Err(StoreError::QueryEvaluation(
                "a pattern query gave no solutions".into(),
            ));
        };
        for solution in solutions {
            let solution = solution.map_err(|e| StoreError::QueryEvaluation(e.to_string()))?;
            if let Some(quad) =
                pattern.matched_quad(solution.get("s"), solution.get("p"), solution.get("o"))
            {
                quads.push(quad);
            }
        }
        let has_more = quads.len() > limit;
        quads.truncate(limit);
        Ok(PatternPage { quads, has_more })
    }

    fn triples_about(
        &self,
        subjects: &[NamedNode],
        predicate: Option<&NamedNode>,
    ) -> Result<Vec<oxrdf::Triple>, StoreError> {
        // One query per chunk: the engine reads all lookups of a chunk from one snapshot,
        // which is far cheaper than one snapshot per subject.
        const CHUNK: usize = 1_000;
        let mut triples = Vec::new();
        let mut seen = FxHashSet::default();
        let predicate_term = predicate.map_or_else(|| "?p".to_owned(), ToString::to_string);
        let any = QuadPattern {
            subject: None,
            predicate: None,
            object: None,
            graph: GraphSelector::Any,
        };
        for chunk in subjects.chunks(CHUNK) {
            let mut query = String::from("SELECT ?s ?p ?o WHERE { VALUES ?s {");
            for subject in chunk {
                query.push(' ');
                query.push_str(&subject.to_string());
            }
            query.push_str(&format!(" }} ?s {predicate_term} ?o }}"));
            let QueryResults::Solutions(solutions) = self.evaluate_pattern_query(&query, &any)?
            else {
                continue;
            };
            for solution in solutions {
                let solution = solution.map_err(|e| StoreError::QueryEvaluation(e.to_string()))?;
                let (Some(Term::NamedNode(subject)), Some(object)) =
                    (solution.get("s"), solution.get("o"))
                else {
                    continue;
                };
                let predicate = match (predicate, solution.get("p")) {
                    (Some(p), _) => p.clone(),
                    (None, Some(Term::NamedNode(p))) => p.clone(),
                    _ => continue,
                };
                let triple = oxrdf::Triple::new(subject.clone(), predicate, object.clone());
                // A statement held in several graphs is told once.
                if seen.insert(triple.clone()) {
                    triples.push(triple);
                }
            }
        }
        Ok(triples)
    }

    fn count_pattern(&self, pattern: &QuadPattern, cap: u64) -> Result<PatternCount, StoreError> {
        if pattern.subject.is_some() && cap <= DIRECT_COUNT_CAP {
            let only = self.only_graph_of(pattern)?;
            return Ok(
                match page_cursors::count_up_to(&self.store, pattern, only.as_ref(), cap)? {
                    Some(count) => PatternCount::Exact(count),
                    None => PatternCount::AtLeast(cap),
                },
            );
        }
        let limit = if cap == u64::MAX {
            String::new()
        } else {
            format!("LIMIT {}", cap.saturating_add(1))
        };
        let query = format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ SELECT REDUCED ?s ?p ?o WHERE {{ {} }} {limit} }}",
            pattern_graph_pattern(pattern)
        );
        let QueryResults::Solutions(mut solutions) =
            self.evaluate_pattern_query(&query, pattern)?
        else {
            return Err(StoreError::QueryEvaluation(
                "a count query gave no solutions".into(),
            ));
        };
        let count = solutions
            .next()
            .transpose()
            .map_err(|e| StoreError::QueryEvaluation(e.to_string()))?
            .and_then(|s| match s.get("n") {
                Some(Term::Literal(l)) => l.value().parse::<u64>().ok(),
                _ => None,
            })
            .unwrap_or(0);
        Ok(if count > cap {
            PatternCount::AtLeast(cap)
        } else {
            PatternCount::Exact(count)
        })
    }

    fn data_version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }
}

/// A subject-bound pattern is counted by reading its matches from the index when at most this
/// many are wanted; beyond, the engine counts without decoding them.
const DIRECT_COUNT_CAP: u64 = 10_000;

/// The graph pattern of a quad pattern, constants written in, the rest `?s ?p ?o`. The engine
/// evaluates `SELECT REDUCED` over it as `DISTINCT`, so a triple held in several graphs is
/// told once, where its first copy comes in index order.
fn pattern_graph_pattern(pattern: &QuadPattern) -> String {
    let subject = pattern
        .subject
        .as_ref()
        .map_or_else(|| "?s".to_owned(), ToString::to_string);
    let predicate = pattern
        .predicate
        .as_ref()
        .map_or_else(|| "?p".to_owned(), ToString::to_string);
    let object = pattern
        .object
        .as_ref()
        .map_or_else(|| "?o".to_owned(), ToString::to_string);
    let triple = format!("{subject} {predicate} {object} .");
    match &pattern.graph {
        GraphSelector::Named(graph) => format!("GRAPH {graph} {{ {triple} }}"),
        GraphSelector::Any | GraphSelector::Default => triple,
    }
}

/// Collects at most `max` items; the flag says whether more were left.
fn take_bounded<I: Iterator, T>(
    items: I,
    max: usize,
    mut convert: impl FnMut(I::Item) -> Result<T, StoreError>,
) -> Result<(Vec<T>, bool), StoreError> {
    let mut collected = Vec::new();
    for item in items {
        if collected.len() == max {
            return Ok((collected, true));
        }
        collected.push(convert(item)?);
    }
    Ok((collected, false))
}
