//! Open walks over a pattern's matches. A client reading a fragment page after page (following
//! `hydra:next`) continues where its previous page ended, instead of the engine skipping every
//! earlier match again: reading a fragment of n pages costs n pages, not n²/2. The first page
//! is left to the engine's query, which decodes only the open positions, unless the subject is
//! bound (few matches: [`first_page`] reads them without a query); the second opens the walk.
//!
//! A walk reads the engine's index in the same order as the query that serves a page from its
//! offset, and like that query (the engine runs it as `DISTINCT`) tells a triple held in
//! several graphs once, at its first copy: a page is the same whichever way it was read.
//!
//! Over every graph the engine reads the default graph's copies first, then the named graphs'
//! with the graph last in the index key, so that one triple's named copies come one after the
//! other; only a pattern with nothing bound reads the named graphs graph by graph. A named copy
//! is therefore a repeat when the triple is in the default graph (one point lookup, and only if
//! the walk met the default graph at all), when it follows a copy of the same triple, or, with
//! nothing bound, when an earlier graph holds the triple. A walk remembers nothing else, so
//! it may go on for as long as the fragment does.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use belfort_store::{GraphSelector, PatternPage, QuadPattern, StoreError};
use oxigraph::store::{QuadIter, StorageError, Store};
use oxrdf::{GraphName, GraphNameRef, Quad, QuadRef};

/// Walks kept open at most; the least recently used is closed first. Each holds an engine
/// snapshot, so the number is small.
const OPEN_WALKS: usize = 16;
/// A walk not continued for this long is closed: its snapshot would keep old data alive.
const IDLE_WALK: Duration = Duration::from_secs(120);
/// A walk stopped at most this many pages before a requested page reads on to it.
const WALK_CATCH_UP_PAGES: usize = 10;

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
    /// Over every graph: what tells a repeated triple; one graph never holds a triple twice.
    repeats: Option<Repeats>,
    /// A match read ahead to learn whether a page is the last.
    ahead: Option<Result<Quad, StoreError>>,
}

/// How a walk over every graph recognises the later copies of a triple.
struct Repeats {
    store: Store,
    /// Whether the walk met any copy in the default graph (read before the named graphs).
    met_default_graph: bool,
    /// The last named copy, when copies of one triple follow each other in the index.
    previous: Option<Quad>,
    /// Nothing bound: the named graphs are read graph by graph.
    by_graph: bool,
}

impl Repeats {
    /// Whether `quad` (with its own graph) repeats a triple the walk already told.
    fn repeated(&mut self, quad: &Quad) -> Result<bool, StorageError> {
        if quad.graph_name.is_default_graph() {
            self.met_default_graph = true;
            return Ok(false);
        }
        let (subject, predicate, object) = (
            quad.subject.as_ref(),
            quad.predicate.as_ref(),
            quad.object.as_ref(),
        );
        if self.by_graph {
            // The triple's first copy, default graph first and then in graph order.
            let first = self
                .store
                .quads_for_pattern(Some(subject), Some(predicate), Some(object), None)
                .next()
                .transpose()?;
            return Ok(first.is_some_and(|first| first.graph_name != quad.graph_name));
        }
        let follows = self.previous.as_ref().is_some_and(|previous| {
            previous.subject == quad.subject
                && previous.predicate == quad.predicate
                && previous.object == quad.object
        });
        self.previous = Some(quad.clone());
        Ok(follows
            || (self.met_default_graph
                && self.store.contains(QuadRef::new(
                    subject,
                    predicate,
                    object,
                    GraphNameRef::DefaultGraph,
                ))?))
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
                Ok(quad) => quad,
                Err(error) => return Some(Err(StoreError::Storage(Box::new(error)))),
            };
            if let Some(repeats) = &mut self.repeats {
                match repeats.repeated(&quad) {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(error) => return Some(Err(StoreError::Storage(Box::new(error)))),
                }
            }
            return Some(Ok(Quad::new(
                quad.subject,
                quad.predicate,
                quad.object,
                self.graph.clone(),
            )));
        }
    }
}

impl Matches {
    /// The matches of `pattern` in index order. `only_graph` is the one graph the store holds,
    /// when it holds only one: a pattern over every graph then reads that graph alone, which
    /// gives the same matches in the same order without looking for repeated triples. Over
    /// several graphs, `repeats_by_index` tells repeated triples from the engine's index order
    /// (a walk); without it every copy comes (the caller tells repeats itself).
    fn of(
        store: &Store,
        pattern: &QuadPattern,
        only_graph: Option<&GraphName>,
        repeats_by_index: bool,
    ) -> Self {
        let (graph_filter, graph) = match (&pattern.graph, only_graph) {
            (GraphSelector::Any, Some(only)) => (Some(only.as_ref()), GraphName::DefaultGraph),
            (GraphSelector::Any, None) => (None, GraphName::DefaultGraph),
            (GraphSelector::Default, _) => {
                (Some(GraphNameRef::DefaultGraph), GraphName::DefaultGraph)
            }
            (GraphSelector::Named(name), _) => (
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
        let over_several_graphs = reads_several_graphs(pattern, only_graph);
        Self {
            quads,
            graph,
            repeats: (over_several_graphs && repeats_by_index).then(|| Repeats {
                store: store.clone(),
                met_default_graph: false,
                previous: None,
                by_graph: pattern.subject.is_none()
                    && pattern.predicate.is_none()
                    && pattern.object.is_none(),
            }),
            ahead: None,
        }
    }

    /// Whether another match follows (read ahead, kept for the next page).
    fn has_next(&mut self) -> bool {
        if self.ahead.is_none() {
            self.ahead = self.next();
        }
        self.ahead.is_some()
    }
}

impl PageCursors {
    /// The page of `pattern` at `offset`, read by a new walk that first reads past the
    /// `offset` earlier matches; the walk is kept open when more follows.
    pub(crate) fn open_walk(
        &self,
        store: &Store,
        pattern: &QuadPattern,
        version: u64,
        offset: u64,
        limit: usize,
    ) -> Result<PatternPage, StoreError> {
        let mut cursor = PageCursor {
            pattern: pattern.clone(),
            version,
            next_offset: 0,
            matches: Matches::of(store, pattern, None, true),
            used: Instant::now(),
        };
        cursor.skip_to(offset)?;
        let page = cursor.read_page(limit)?;
        self.keep_if_more(cursor, &page);
        Ok(page)
    }

    /// The page at `offset`, when an open walk of `pattern` at this data version stopped
    /// there or a few pages before (pages in between were served from elsewhere, such as a
    /// cache of rendered pages: the walk reads past them); `None` otherwise.
    pub(crate) fn continued_page(
        &self,
        pattern: &QuadPattern,
        version: u64,
        offset: u64,
        limit: usize,
    ) -> Result<Option<PatternPage>, StoreError> {
        let reach = limit.saturating_mul(WALK_CATCH_UP_PAGES) as u64;
        let found = {
            let mut open = self.lock();
            open.retain(|c| c.version == version && c.used.elapsed() < IDLE_WALK);
            // The walk closest behind the offset.
            open.iter()
                .enumerate()
                .filter(|(_, c)| {
                    &c.pattern == pattern
                        && c.next_offset <= offset
                        && offset - c.next_offset <= reach
                })
                .max_by_key(|(_, c)| c.next_offset)
                .map(|(at, _)| at)
                .and_then(|at| open.remove(at))
        };
        let Some(mut cursor) = found else {
            return Ok(None);
        };
        cursor.skip_to(offset)?;
        let page = cursor.read_page(limit)?;
        self.keep_if_more(cursor, &page);
        Ok(Some(page))
    }

    fn keep_if_more(&self, cursor: PageCursor, page: &PatternPage) {
        if !page.has_more {
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

/// The first `limit` matches of `pattern`, read straight from the index, and whether more
/// follow; no walk is kept. For a pattern with few matches (its subject bound) this is far
/// cheaper than preparing and running a query. A triple held in several graphs is told once,
/// at its first copy, as a walk tells it.
pub(crate) fn first_page(
    store: &Store,
    pattern: &QuadPattern,
    only_graph: Option<&GraphName>,
    limit: usize,
) -> Result<PatternPage, StoreError> {
    let mut quads = Vec::with_capacity(limit.min(1_000));
    let mut has_more = false;
    for quad in first_copies(store, pattern, only_graph) {
        if quads.len() == limit {
            has_more = true;
            break;
        }
        quads.push(quad?);
    }
    Ok(PatternPage { quads, has_more })
}

/// How many matches `pattern` has, counted up to `cap` (more: `None`), read straight from the
/// index like [`first_page`].
pub(crate) fn count_up_to(
    store: &Store,
    pattern: &QuadPattern,
    only_graph: Option<&GraphName>,
    cap: u64,
) -> Result<Option<u64>, StoreError> {
    let mut count = 0u64;
    for quad in first_copies(store, pattern, only_graph) {
        quad?;
        if count == cap {
            return Ok(None);
        }
        count += 1;
    }
    Ok(Some(count))
}

/// The matches of `pattern`, each triple at its first copy. The set of the triples told is
/// what tells repeats here (the caller reads few), which holds whatever order the engine's
/// backend reads the graphs in.
fn first_copies(
    store: &Store,
    pattern: &QuadPattern,
    only_graph: Option<&GraphName>,
) -> impl Iterator<Item = Result<Quad, StoreError>> {
    let over_several_graphs = reads_several_graphs(pattern, only_graph);
    let mut told = rustc_hash::FxHashSet::default();
    Matches::of(store, pattern, only_graph, false).filter(move |quad| match quad {
        Ok(quad) if over_several_graphs => told.insert((
            quad.subject.clone(),
            quad.predicate.clone(),
            quad.object.clone(),
        )),
        _ => true,
    })
}

/// Whether reading `pattern` may meet copies of one triple in several graphs.
fn reads_several_graphs(pattern: &QuadPattern, only_graph: Option<&GraphName>) -> bool {
    pattern.graph == GraphSelector::Any && only_graph.is_none()
}

impl PageCursor {
    /// Reads past the matches before `offset` (the walk stands at or before it).
    fn skip_to(&mut self, offset: u64) -> Result<(), StoreError> {
        for _ in self.next_offset..offset {
            match self.matches.next() {
                Some(skipped) => drop(skipped?),
                None => break,
            }
        }
        self.next_offset = offset;
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{Literal, NamedNode};

    fn store_of(count: u32) -> Store {
        let store = Store::new().expect("an in-memory store");
        let p = NamedNode::new_unchecked("urn:p");
        for i in 0..count {
            store
                .insert(&Quad::new(
                    NamedNode::new_unchecked(format!("urn:s{i}")),
                    p.clone(),
                    Literal::from(i),
                    GraphName::DefaultGraph,
                ))
                .expect("inserted");
        }
        store
    }

    fn pattern() -> QuadPattern {
        QuadPattern {
            subject: None,
            predicate: Some(NamedNode::new_unchecked("urn:p")),
            object: None,
            graph: GraphSelector::Default,
        }
    }

    #[test]
    fn a_walk_reads_on_past_pages_served_elsewhere_to_the_page_asked_for() {
        let store = store_of(200);
        let cursors = PageCursors::default();
        let second = cursors
            .open_walk(&store, &pattern(), 1, 10, 10)
            .expect("page 2");
        assert_eq!(second.quads.len(), 10);
        // Pages 3 and 4 came from a cache: page 5 continues the walk stopped at page 3.
        let fifth = cursors
            .continued_page(&pattern(), 1, 40, 10)
            .expect("read")
            .expect("the walk behind the offset is continued");
        let fresh = PageCursors::default()
            .open_walk(&store, &pattern(), 1, 40, 10)
            .expect("page 5 from its offset");
        assert_eq!(fifth, fresh);
        // The walk now stands at page 6; a page behind it, or too far ahead, is not its.
        let continues = |version, offset| {
            cursors
                .continued_page(&pattern(), version, offset, 10)
                .expect("read")
                .is_some()
        };
        assert!(!continues(1, 30));
        assert!(!continues(1, 160));
        assert!(continues(1, 50));
        // Another data version ends every walk.
        assert!(!continues(2, 60));
    }
}
