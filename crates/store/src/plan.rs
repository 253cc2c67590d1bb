//! What an ingest writes, worked out before anything is written: shared by every store, so
//! that the embedded and a remote store file the same batch into the same quads.

use std::collections::HashMap;

use belfort_model::ObservationRdf;
use belfort_vocab::sosa;
use foldhash::{HashMapExt, HashSetExt};
use oxrdf::{GraphName, NamedNode, Quad, Term, Triple};

use crate::event_streams::{EventStreamIndexing, NewMember};
use crate::{IngestBatch, IngestOutcome, StoreError};

/// The quads of a batch, its outcome and the observations that are new.
#[derive(Debug, Default)]
pub struct IngestPlan {
    /// Every quad to write, event-stream index excepted.
    pub quads: Vec<Quad>,
    /// What the ingest does.
    pub outcome: IngestOutcome,
    /// The new observations with their position in the batch (for their stream memberships).
    pub new_members: Vec<NewMember>,
    /// The graph the observations go to.
    pub graph: GraphName,
    /// The batch's event streams, when it files its new observations into them.
    pub event_streams: Option<EventStreamIndexing>,
}

/// The new members to file, their streams, and the graph of their observations.
pub type Filing<'a> = (&'a EventStreamIndexing, &'a [NewMember], &'a GraphName);

impl IngestPlan {
    /// The filing the store does with the write: none when the batch has no event streams or
    /// nothing new.
    pub fn filing(&self) -> Option<Filing<'_>> {
        self.event_streams
            .as_ref()
            .filter(|_| !self.new_members.is_empty())
            .map(|indexing| (indexing, self.new_members.as_slice(), &self.graph))
    }
}

/// Works out what `batch` adds. `stored` tells, for the batch's observation IRIs (with the
/// simple result each brings, at the same position), which of them the store already holds in
/// the batch's graph, with their stored simple result.
pub fn plan_ingest(
    batch: IngestBatch,
    stored: impl FnOnce(
        &[NamedNode],
        &[Option<Term>],
        &GraphName,
    ) -> Result<HashMap<NamedNode, Option<Term>>, StoreError>,
) -> Result<IngestPlan, StoreError> {
    let graph = batch
        .feed_graph
        .map_or(GraphName::DefaultGraph, GraphName::NamedNode);
    let context_graph = batch
        .context_graph
        .map_or_else(|| graph.clone(), GraphName::NamedNode);
    let iris: Vec<NamedNode> = batch.observations.iter().map(|o| o.iri.clone()).collect();
    let results: Vec<Option<Term>> = batch.observations.iter().map(simple_result).collect();
    let known = stored(&iris, &results, &graph)?;
    let mut outcome = IngestOutcome::default();
    // The value of every observation seen earlier in this batch, to catch in-batch conflicts.
    // A seeded fast hash: the keys are long IRIs, hashed many times per observation.
    let mut seen: foldhash::HashMap<NamedNode, Option<Term>> = foldhash::HashMap::new();
    let mut context = foldhash::HashSet::new();
    let mut quads = Vec::with_capacity(batch.observations.len() * 16 + batch.other_quads.len());
    // A batch describes each sensor, feature and time entity once, with the first observation
    // that links to it: when that one is already stored, a new one may still need it.
    let mut context_of_known = Vec::new();
    let mut new_members = Vec::new();
    let mut keep_context = |triples: Vec<Triple>, into: &mut Vec<Quad>| {
        for triple in triples {
            // Observations described one by one repeat their context: keep each triple once.
            if !context.contains(&triple) {
                into.push(triple.clone().in_graph(context_graph.clone()));
                context.insert(triple);
            }
        }
    };
    for (position, observation) in batch.observations.into_iter().enumerate() {
        let incoming = results.get(position).cloned().flatten();
        if let Some(first) = seen.get(&observation.iri) {
            outcome.known_observations += 1;
            if !values_agree(first.as_ref(), incoming.as_ref()) {
                outcome.conflicting.push(observation.iri);
            }
            keep_context(observation.context, &mut context_of_known);
            continue;
        }
        seen.insert(observation.iri.clone(), incoming.clone());
        if let Some(stored) = known.get(&observation.iri) {
            outcome.known_observations += 1;
            if incoming.is_some() && !values_agree(stored.as_ref(), incoming.as_ref()) {
                outcome.conflicting.push(observation.iri);
            }
            keep_context(observation.context, &mut context_of_known);
            continue;
        }
        outcome.new_observations += 1;
        new_members.push(NewMember {
            iri: observation.iri.clone(),
            position,
        });
        quads.extend(
            observation
                .triples
                .into_iter()
                .map(|t| t.in_graph(graph.clone())),
        );
        keep_context(observation.context, &mut quads);
    }
    quads.extend(batch.other_quads);
    if outcome.new_observations > 0 {
        quads.append(&mut context_of_known);
        quads.extend(batch.run_quads);
    }
    Ok(IngestPlan {
        quads,
        outcome,
        new_members,
        graph,
        event_streams: batch.event_streams,
    })
}

/// The simple result an observation brings, if it has one.
fn simple_result(observation: &ObservationRdf) -> Option<Term> {
    observation
        .triples
        .iter()
        .find(|t| t.predicate == sosa::HAS_SIMPLE_RESULT)
        .map(|t| t.object.clone())
}

fn values_agree(first: Option<&Term>, second: Option<&Term>) -> bool {
    match (first, second) {
        (Some(a), Some(b)) => same_value(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Two results are the same value when equal as terms, or as numbers of the same datatype (an
/// engine stores `"10.0"^^xsd:decimal` in canonical form, `"10"`) that agree to 15 significant
/// digits (Virtuoso keeps decimals to 15: `0.5945945945945946` comes back as
/// `0.594594594594595`).
fn same_value(stored: &Term, incoming: &Term) -> bool {
    match (stored, incoming) {
        (Term::Literal(a), Term::Literal(b)) if a.datatype() == b.datatype() => {
            match (a.value().parse::<f64>(), b.value().parse::<f64>()) {
                (Ok(x), Ok(y)) => x == y || (x - y).abs() <= 1e-14 * x.abs().max(y.abs()),
                _ => a == b,
            }
        }
        _ => stored == incoming,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn iri(s: &str) -> NamedNode {
        NamedNode::new(format!("https://data.example.org/id/{s}")).unwrap()
    }

    /// An observation whose context describes the entities `context` names.
    fn observation(name: &str, context: &[&str]) -> ObservationRdf {
        let iri = iri(name);
        ObservationRdf {
            triples: vec![Triple::new(
                iri.clone(),
                sosa::MADE_BY_SENSOR,
                self::iri("s"),
            )],
            iri,
            context: context
                .iter()
                .map(|entity| Triple::new(self::iri(entity), sosa::OBSERVES, self::iri("p")))
                .collect(),
        }
    }

    fn plan(observations: Vec<ObservationRdf>, stored: &[&str]) -> IngestPlan {
        let stored: HashMap<NamedNode, Option<Term>> =
            stored.iter().map(|name| (iri(name), None)).collect();
        let batch = IngestBatch {
            observations,
            ..IngestBatch::default()
        };
        plan_ingest(batch, |_, _, _| Ok(stored)).unwrap()
    }

    fn writes(plan: &IngestPlan, entity: &str) -> usize {
        plan.quads
            .iter()
            .filter(|q| q.subject == iri(entity).into())
            .count()
    }

    #[test]
    fn a_description_carried_by_a_stored_observation_is_written_for_a_new_one() {
        // The batch described the sensor with its first observation, which is stored already.
        let batch = vec![observation("o1", &["sensor"]), observation("o2", &[])];
        let plan = plan(batch, &["o1"]);
        assert_eq!(plan.outcome.new_observations, 1);
        assert_eq!(writes(&plan, "sensor"), 1);
        assert_eq!(
            writes(&plan, "o1"),
            0,
            "the stored observation is not rewritten"
        );
    }

    #[test]
    fn a_batch_of_stored_observations_writes_nothing_and_descriptions_are_written_once() {
        let batch = || {
            vec![
                observation("o1", &["sensor"]),
                observation("o2", &["sensor"]),
            ]
        };
        assert!(plan(batch(), &["o1", "o2"]).quads.is_empty());
        assert_eq!(writes(&plan(batch(), &[]), "sensor"), 1);
        assert_eq!(writes(&plan(batch(), &["o2"]), "sensor"), 1);
    }
}
