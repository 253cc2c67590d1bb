//! Open walks over a pattern's matches. A client reading a fragment page after page (following
//! `hydra:next`) continues where its previous page ended, instead of the engine skipping every
//! earlier match again: reading a fragment of n pages costs n pages, not n²/2.
//!
//! A walk reads the engine's index in the same order as the query that serves a page from its
//! offset, and like that query (the engine runs it as `DISTINCT`) tells a triple held in
//! several graphs once, at its first copy: a page is the same whichever way it was read.

use std::collections::{HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oxigraph::store::{QuadIter, Store};
use oxrdf::{GraphName, GraphNameRef, Quad};

use belfort_store::{GraphSelector, PatternPage, QuadPattern, StoreError};

/// Walks kept open at most; the least recently used is closed first. Each holds an engine
/// snapshot, so the number is small.
const OPEN_WALKS: usize = 16;
/// A walk not continued for this long is closed: its snapshot would keep old data alive.
const IDLE_WALK: Duration = Duration::from_secs(120);
/// Triples a walk over every graph remembers (16 bytes each) to tell each once; a longer walk
/// is closed and its later pages are read from their offsets.
const WALK_MEMORY_TRIPLES: usize = 2_000_000;

/// The open walks of one store.
#[derive(Default)]
pub(crate) struct PageCursors {
    open: Mutex<VecDeque<PageCursor>>,
}

struct PageCursor {
    pattern: QuadPattern,
    version: u64,
    /// The offset of the page this walk reads next.
    next_offset: u64,
    matches: Matches,
    used: Instant,
}

/// A pattern's matches in index order, as quads of the pattern's graph selection.
struct Matches {
    quads: QuadIter<'static>,
    graph: GraphName,
    /// Over every graph: a fingerprint of each triple told so far, so that its copies in
    /// other graphs are skipped. One graph never holds a triple twice.
    told: Option<TriplesTold>,
    /// A match read ahead to learn whether a page is the last.
    ahead: Option<Result<Quad, StoreError>>,
}

/// 128-bit fingerprints from two independently seeded hashes: telling two triples apart
/// wrongly would take a collision of both.
struct TriplesTold {
    fingerprints: HashSet<u128, foldhash::fast::FixedState>,
    hashers: [foldhash::quality::RandomState; 2],
}

impl TriplesTold {
    fn new() -> Self {
        Self {
            fingerprints: HashSet::default(),
            hashers: Default::default(),
        }
    }

    /// Whether `quad`'s triple is told for the first time.
    fn first_time(&mut self, quad: &Quad) -> bool {
        let triple = (&quad.subject, &quad.predicate, &quad.object);
        let [high, low] = &self.hashers;
        let fingerprint =
            (u128::from(high.hash_one(triple)) << 64) | u128::from(low.hash_one(triple));
        self.fingerprints.insert(fingerprint)
    }
}

impl Iterator for Matches {
    type Item = Result<Quad, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(ahead) = self.ahead.take() {
            return Some(ahead);
        }
        loop {
            let quad = match self.quads.next()? {
                Ok(quad) => Quad::new(
                    quad.subject,
                    quad.predicate,
                    quad.object,
                    self.graph.clone(),
                ),
                Err(error) => return Some(Err(StoreError::Storage(Box::new(error)))),
            };
            if self.told.as_mut().is_none_or(|told| told.first_time(&quad)) {
                return Some(Ok(quad));
            }
        }
    }
}

impl Matches {
    /// Whether another match follows (read ahead, kept for the next page).
    fn has_next(&mut self) -> bool {
        if self.ahead.is_none() {
            self.ahead = self.next();
        }
        self.ahead.is_some()
    }

    /// Whether the walk still fits the memory it may hold.
    fn within_memory(&self) -> bool {
        self.told
            .as_ref()
            .is_none_or(|told| told.fingerprints.len() <= WALK_MEMORY_TRIPLES)
    }
}

impl PageCursors {
    /// The first page of `pattern`, read by a new walk that is kept open when more follows.
    pub(crate) fn first_page(
        &self,
        store: &Store,
        pattern: &QuadPattern,
        version: u64,
        limit: usize,
    ) -> Result<PatternPage, StoreError> {
        let (graph_filter, graph) = match &pattern.graph {
            GraphSelector::Any => (None, GraphName::DefaultGraph),
            GraphSelector::Default => (Some(GraphNameRef::DefaultGraph), GraphName::DefaultGraph),
            GraphSelector::Named(name) => (
                Some(GraphNameRef::NamedNode(name.as_ref())),
                GraphName::NamedNode(name.clone()),
            ),
        };
        let quads = store.quads_for_pattern(
            pattern.subject.as_ref().map(|s| s.as_ref().into()),
            pattern.predicate.as_ref().map(oxrdf::NamedNode::as_ref),
            pattern.object.as_ref().map(oxrdf::Term::as_ref),
            graph_filter,
        );
        let mut cursor = PageCursor {
            pattern: pattern.clone(),
            version,
            next_offset: 0,
            matches: Matches {
                quads,
                graph,
                told: (pattern.graph == GraphSelector::Any).then(TriplesTold::new),
                ahead: None,
            },
            used: Instant::now(),
        };
        let page = cursor.read_page(limit)?;
        self.keep_if_more(cursor, &page);
        Ok(page)
    }

    /// The page at `offset`, when an open walk of `pattern` at this data version stopped
    /// there; `None` otherwise.
    pub(crate) fn continued_page(
        &self,
        pattern: &QuadPattern,
        version: u64,
        offset: u64,
        limit: usize,
    ) -> Result<Option<PatternPage>, StoreError> {
        let found = {
            let mut open = self.lock();
            open.retain(|c| c.version == version && c.used.elapsed() < IDLE_WALK);
            open.iter()
                .position(|c| c.next_offset == offset && &c.pattern == pattern)
                .and_then(|at| open.remove(at))
        };
        let Some(mut cursor) = found else {
            return Ok(None);
        };
        let page = cursor.read_page(limit)?;
        self.keep_if_more(cursor, &page);
        Ok(Some(page))
    }

    fn keep_if_more(&self, cursor: PageCursor, page: &PatternPage) {
        if !page.has_more || !cursor.matches.within_memory() {
            return;
        }
        let mut open = self.lock();
        open.push_front(cursor);
        open.truncate(OPEN_WALKS);
    }

    /// The walks stay usable after a panic elsewhere: each is taken out while it is read.
    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<PageCursor>> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl PageCursor {
    /// The next `limit` matches, and whether any follows; the walk then stands after them.
    fn read_page(&mut self, limit: usize) -> Result<PatternPage, StoreError> {
        let mut quads = Vec::with_capacity(limit.min(10_000));
        while quads.len() < limit {
            match self.matches.next() {
                Some(quad) => quads.push(quad?),
                None => break,
            }
        }
        let has_more = quads.len() == limit && self.matches.has_next();
        self.next_offset += quads.len() as u64;
        self.used = Instant::now();
        Ok(PatternPage { quads, has_more })
    }
}
