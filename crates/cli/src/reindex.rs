//! Filing stored observations that are in no event stream (stored before the streams existed,
//! or imported without them) into the streams an ingest would have filed them in.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;
use belfort_model::{Catalogue, IriMinter};
use belfort_store::event_streams::EventStreamIndexing;
use belfort_store::{ObservationStore, QueryAnswer, QueryOptions};
use belfort_vocab::{rdf, sosa, tree};
use oxrdf::{GraphName, NamedNode, Term};

use crate::pipeline::streams_of;

/// Observations read and filed per round.
const ROUND: usize = 10_000;

/// How long one round's search for unfiled observations may take (it reads every
/// observation of a large store).
const ROUND_TIMEOUT: Duration = Duration::from_secs(3600);

/// Files every stored observation of a city feed that no event-stream page holds, in rounds
/// of [`ROUND`], feed graph by feed graph; returns how many were filed. Running it again files
/// nothing. Replicated streams (`…/graph/replica/…`) are left out, as on ingest: this store
/// does not republish what it replicates.
pub fn file_unindexed_observations(
    store: &dyn ObservationStore,
    catalogue: &Catalogue,
    minter: &IriMinter,
    page_size: usize,
) -> anyhow::Result<u64> {
    let index = minter.event_stream_graph();
    let graphs_under = format!("{}graph/", minter.base());
    // `OPTIONAL` + `!BOUND` rather than `FILTER NOT EXISTS`: Virtuoso answers the latter with
    // no rows at all while the index graph does not exist yet.
    let query = format!(
        "SELECT ?o ?g ?property WHERE {{
           GRAPH ?g {{ ?o {type} {observation} ; {observed} ?property }}
           FILTER(STRSTARTS(STR(?g), \"{graphs_under}\")
                  && !STRSTARTS(STR(?g), \"{graphs_under}replica/\"))
           OPTIONAL {{ GRAPH {index} {{ ?page {member} ?o }} }}
           FILTER(!BOUND(?page))
         }} ORDER BY ?g ?o LIMIT {ROUND}",
        type = rdf::TYPE,
        observation = sosa::OBSERVATION,
        observed = sosa::OBSERVED_PROPERTY,
        member = tree::MEMBER,
    );
    let options = QueryOptions {
        max_results: ROUND,
        timeout: Some(ROUND_TIMEOUT),
        ..QueryOptions::default()
    };
    let mut filed = 0;
    loop {
        let QueryAnswer::Solutions { rows, .. } = store.query(&query, &options)? else {
            bail!("the search for observations outside the event streams gave no rows");
        };
        // Per feed graph: the observations and the streams of each.
        let mut by_graph: BTreeMap<NamedNode, (Vec<NamedNode>, Vec<Vec<String>>)> = BTreeMap::new();
        for row in &rows {
            let [
                Some(Term::NamedNode(observation)),
                Some(Term::NamedNode(graph)),
                Some(Term::NamedNode(property)),
            ] = row.as_slice()
            else {
                continue;
            };
            // Feed graphs are `…/graph/<city>/<feed>`: the city names the family streams.
            let city = graph
                .as_str()
                .strip_prefix(&graphs_under)
                .and_then(|rest| rest.split('/').next());
            let (members, memberships) = by_graph.entry(graph.clone()).or_default();
            members.push(observation.clone());
            memberships.push(streams_of(catalogue, city, property));
        }
        let mut round = 0;
        for (graph, (members, memberships)) in by_graph {
            let indexing = EventStreamIndexing {
                graph: index.clone(),
                prefix: minter.event_stream_prefix(),
                page_size,
                memberships,
            };
            round +=
                store.file_stored_members(&indexing, &GraphName::NamedNode(graph), &members)?;
        }
        filed += round;
        // Every observation is at least in the stream of everything; a round that files
        // nothing would only find the same rows again.
        if rows.len() < ROUND || round == 0 {
            return Ok(filed);
        }
    }
}
