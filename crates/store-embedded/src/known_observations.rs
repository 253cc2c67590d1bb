//! Which observations each graph holds, kept in memory as 64-bit fingerprints of their IRIs.
//!
//! Telling a new observation from a stored one is a point lookup in the engine, and a lookup of
//! a key the engine does not hold is its most expensive kind: without bloom filters it reads a
//! block of every level-0 file. A first sync of an event stream brings nothing but new members.
//! A fingerprint that is absent proves an observation new without reading the store; one that
//! is present (or a fingerprint collision) sends the observation to the lookups as before, so
//! the answer never depends on the fingerprints being exact, only on them being complete.
//!
//! Complete means: every observation the graph holds has its fingerprint. A graph's set is
//! read from the store the first time it is needed (under the writer lock), grows with every
//! write that goes through it, and is forgotten when a write fails or anything else writes.

use std::collections::HashMap;
use std::hash::BuildHasher;

use belfort_vocab::{rdf, sosa};
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::store::{StorageError, Store};
use rustc_hash::{FxBuildHasher, FxHashSet};

/// Reading a graph's observations costs about a fiftieth of looking each one up; a graph is
/// read when it has at most this many observations per observation of the batch to check.
const SCAN_PER_CHECKED_OBSERVATION: usize = 20;

/// A graph with fewer observations than this is always worth reading.
const MIN_SCAN: usize = 10_000;

/// The most fingerprints kept for one graph (about 150 MB at the hash set's fullest); a larger
/// graph falls back to lookups.
const MAX_FINGERPRINTS: usize = 8_000_000;

/// What is known of one graph.
enum GraphFingerprints {
    /// Every observation of the graph has its fingerprint here.
    Complete(FxHashSet<u64>),
    /// Reading stopped after this many observations: the graph was too large for the batch.
    TooLarge { read: usize },
}

/// The fingerprints of every graph read so far.
#[derive(Default)]
pub(crate) struct KnownObservations {
    graphs: HashMap<GraphName, GraphFingerprints>,
}

fn fingerprint(iri: &NamedNode) -> u64 {
    FxBuildHasher.hash_one(iri.as_str())
}

impl KnownObservations {
    /// For each of `iris`, whether it may be stored in `graph` (`true`) or is certainly new
    /// (`false`); `None` when the graph is too large to keep fingerprints of for a batch this
    /// size, so that every observation must be looked up.
    pub(crate) fn may_hold(
        &mut self,
        store: &Store,
        graph: &GraphName,
        iris: &[NamedNode],
    ) -> Result<Option<Vec<bool>>, StorageError> {
        let budget = iris
            .len()
            .saturating_mul(SCAN_PER_CHECKED_OBSERVATION)
            .clamp(MIN_SCAN, MAX_FINGERPRINTS);
        let reread = match self.graphs.get(graph) {
            None => true,
            Some(GraphFingerprints::TooLarge { read }) => budget > *read,
            Some(GraphFingerprints::Complete(_)) => false,
        };
        if reread {
            let state = read_graph(store, graph, budget)?;
            self.graphs.insert(graph.clone(), state);
        }
        Ok(match self.graphs.get(graph) {
            Some(GraphFingerprints::Complete(set)) => Some(
                iris.iter()
                    .map(|iri| set.contains(&fingerprint(iri)))
                    .collect(),
            ),
            _ => None,
        })
    }

    /// The observations among `quads` (their `rdf:type sosa:Observation` quads), by graph:
    /// what a write of `quads` will add.
    pub(crate) fn typed_in(quads: &[Quad]) -> Vec<(GraphName, u64)> {
        quads
            .iter()
            .filter_map(|quad| match (&quad.subject, &quad.object) {
                (NamedOrBlankNode::NamedNode(subject), Term::NamedNode(class))
                    if quad.predicate.as_ref() == rdf::TYPE
                        && class.as_ref() == sosa::OBSERVATION =>
                {
                    Some((quad.graph_name.clone(), fingerprint(subject)))
                }
                _ => None,
            })
            .collect()
    }

    /// Records a successful write of these observations.
    pub(crate) fn written(&mut self, observations: Vec<(GraphName, u64)>) {
        for (graph, print) in observations {
            let Some(GraphFingerprints::Complete(set)) = self.graphs.get_mut(&graph) else {
                continue;
            };
            set.insert(print);
            if set.len() > MAX_FINGERPRINTS {
                self.graphs.remove(&graph);
            }
        }
    }

    /// Forgets what is known of the graphs of a failed write: part of it may be stored.
    pub(crate) fn write_failed(&mut self, observations: &[(GraphName, u64)]) {
        for (graph, _) in observations {
            self.graphs.remove(graph);
        }
    }

    /// Forgets everything, after a write that did not go through [`Self::written`].
    pub(crate) fn forget(&mut self) {
        self.graphs.clear();
    }
}

/// Reads the observations of `graph`, up to `budget` of them.
fn read_graph(
    store: &Store,
    graph: &GraphName,
    budget: usize,
) -> Result<GraphFingerprints, StorageError> {
    let mut set = FxHashSet::default();
    for quad in store.quads_for_pattern(
        None,
        Some(rdf::TYPE),
        Some(sosa::OBSERVATION.into()),
        Some(graph.as_ref()),
    ) {
        if set.len() == budget {
            return Ok(GraphFingerprints::TooLarge { read: budget });
        }
        if let NamedOrBlankNode::NamedNode(subject) = quad?.subject {
            set.insert(fingerprint(&subject));
        }
    }
    Ok(GraphFingerprints::Complete(set))
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::model::{GraphNameRef, QuadRef};

    fn observation(n: usize) -> NamedNode {
        NamedNode::new_unchecked(format!("https://example.org/id/observation/{n}"))
    }

    fn typed(iri: &NamedNode, graph: &GraphName) -> Quad {
        QuadRef::new(iri, rdf::TYPE, sosa::OBSERVATION, graph.as_ref()).into_owned()
    }

    fn graph() -> GraphName {
        NamedNode::new_unchecked("https://example.org/graph/feed").into()
    }

    #[test]
    fn an_observation_absent_from_the_graph_is_proved_new_and_a_stored_one_is_not()
    -> Result<(), StorageError> {
        let store = Store::new()?;
        let graph = graph();
        store.insert(&typed(&observation(1), &graph))?;
        // The same IRI in another graph is not an observation of this graph.
        store.insert(&typed(&observation(2), &GraphName::DefaultGraph))?;
        let mut known = KnownObservations::default();
        let answer = known.may_hold(&store, &graph, &[observation(1), observation(2)])?;
        assert_eq!(answer, Some(vec![true, false]));
        Ok(())
    }

    #[test]
    fn a_write_adds_its_observations_and_a_failed_write_forgets_the_graph()
    -> Result<(), StorageError> {
        let store = Store::new()?;
        let graph = graph();
        let mut known = KnownObservations::default();
        assert_eq!(
            known.may_hold(&store, &graph, &[observation(3)])?,
            Some(vec![false])
        );
        let quads = vec![typed(&observation(3), &graph)];
        store.extend(quads.iter().map(Quad::as_ref))?;
        let written = KnownObservations::typed_in(&quads);
        assert_eq!(written.len(), 1);
        known.written(written.clone());
        assert_eq!(
            known.may_hold(&store, &graph, &[observation(3)])?,
            Some(vec![true])
        );
        // After a failed write the graph is read again, from what the store holds.
        known.write_failed(&written);
        store.remove(QuadRef::new(
            &observation(3),
            rdf::TYPE,
            sosa::OBSERVATION,
            GraphNameRef::from(&graph),
        ))?;
        assert_eq!(
            known.may_hold(&store, &graph, &[observation(3)])?,
            Some(vec![false])
        );
        Ok(())
    }

    #[test]
    fn a_graph_larger_than_the_budget_is_looked_up_until_a_batch_is_large_enough()
    -> Result<(), StorageError> {
        let store = Store::new()?;
        let graph = graph();
        let quads: Vec<Quad> = (0..MIN_SCAN + 1)
            .map(|n| typed(&observation(n), &graph))
            .collect();
        store.extend(quads.iter().map(Quad::as_ref))?;
        let mut known = KnownObservations::default();
        assert_eq!(known.may_hold(&store, &graph, &[observation(0)])?, None);
        let large_batch: Vec<NamedNode> = (0..MIN_SCAN).map(observation).collect();
        let answer = known.may_hold(&store, &graph, &large_batch)?;
        assert!(answer.is_some_and(|held| held.iter().all(|h| *h)));
        Ok(())
    }
}
