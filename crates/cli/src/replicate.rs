//! `belfort replicate URL`: follows a remote Linked Data Event Stream into the store.
//!
//! Every node reachable from the URL is fetched once per run, its members are written in one
//! batch (idempotent: a member the store has is left alone), and a node the server declares
//! immutable is remembered as done, with its relations, in a state file under the data
//! directory; the next run (after a crash, or to poll) skips it and fetches only the nodes that
//! may still change. The state is saved after the batch of the node is committed, so a crash
//! in between only makes the next run read that node again. 410 Gone reads as an empty node.
//! Members keep their IRIs; they go into a named graph of their stream, described in the
//! metadata graph (`prov:wasDerivedFrom` the stream, the runs with their times).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use anyhow::Context;
use belfort_harvest::http::{FetchError, HttpFetcher};
use belfort_harvest::ldes::{ACCEPT, read_node};
use belfort_model::{IriMinter, ObservationRdf, date_time_literal};
use belfort_store::{IngestBatch, ObservationStore};
use belfort_vocab::{prov, rdf, xsd};
use chrono::Utc;
use oxrdf::{GraphName, NamedNode, Triple};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a replication run remembers between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ReplicationState {
    /// The URL the replication started from.
    url: String,
    /// Immutable nodes whose members are in the store, with the nodes they lead to.
    done: BTreeMap<String, Vec<String>>,
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReplicationReport {
    /// Nodes fetched in this run.
    pub nodes_fetched: u64,
    /// Immutable nodes skipped because an earlier run read them.
    pub nodes_skipped: u64,
    /// Nodes that answered 410 Gone.
    pub nodes_gone: u64,
    /// Members read.
    pub members_read: u64,
    /// Members the store did not have.
    pub new_members: u64,
    /// Nodes that could not be read, with why.
    pub failures: Vec<String>,
}

/// Follows remote streams into a store.
pub struct Replicator<'a> {
    /// The store written to.
    pub store: &'a dyn ObservationStore,
    /// Mints the replica graphs and runs.
    pub minter: &'a IriMinter,
    /// Fetches nodes.
    pub fetcher: HttpFetcher,
    /// Where the state files live.
    pub state_dir: PathBuf,
}

impl Replicator<'_> {
    /// Reads every node of the stream at `url` that may hold members this store lacks.
    pub fn run(&self, url: &str) -> anyhow::Result<ReplicationReport> {
        let started = Utc::now();
        let state_path = self.state_path(url);
        let mut state = load_state(&state_path, url)?;
        let mut report = ReplicationReport::default();
        let mut queue = VecDeque::from([url.to_owned()]);
        let mut visited = BTreeSet::new();
        let mut stream: Option<NamedNode> = None;
        while let Some(node_url) = queue.pop_front() {
            if !visited.insert(node_url.clone()) {
                continue;
            }
            if let Some(relations) = state.done.get(&node_url) {
                report.nodes_skipped += 1;
                queue.extend(relations.iter().cloned());
                continue;
            }
            let fetched = match self.fetcher.get(&node_url, ACCEPT) {
                Ok(fetched) => fetched,
                Err(error) => {
                    report.failures.push(describe(&error));
                    continue;
                }
            };
            report.nodes_fetched += 1;
            if fetched.status == 410 {
                report.nodes_gone += 1;
                continue;
            }
            if !(200..300).contains(&fetched.status) {
                report
                    .failures
                    .push(format!("{node_url}: HTTP status {}", fetched.status));
                continue;
            }
            let node = match read_node(
                &node_url,
                fetched.content_type.as_deref(),
                &fetched.body,
                stream.as_ref(),
            ) {
                Ok(node) => node,
                Err(error) => {
                    report.failures.push(error.to_string());
                    continue;
                }
            };
            if stream.is_none() {
                stream.clone_from(&node.stream);
            }
            if visited.len() == 1
                && let Some(view) = &node.view
                && view.as_str() != node_url
            {
                // The URL named the stream; its view is where the nodes start.
                queue.push_back(view.as_str().to_owned());
            }
            report.members_read += node.members.len() as u64;
            if !node.members.is_empty() {
                let Some(stream_iri) = &stream else {
                    report.failures.push(format!(
                        "{node_url}: members, but no event stream named (tree:view or ldes:EventStream)"
                    ));
                    continue;
                };
                let outcome = self.store.ingest(IngestBatch {
                    feed_graph: Some(self.replica_graph(stream_iri)),
                    observations: node
                        .members
                        .into_iter()
                        .map(|member| ObservationRdf {
                            iri: member.iri,
                            triples: member.triples,
                            context: Vec::new(),
                        })
                        .collect(),
                    ..IngestBatch::default()
                })?;
                report.new_members += outcome.new_observations;
            }
            if fetched.is_immutable() {
                state.done.insert(node_url.clone(), node.relations.clone());
                save_state(&state_path, &state)?;
            }
            queue.extend(node.relations);
        }
        if let Some(stream) = &stream {
            self.record_run(stream, started)?;
        }
        Ok(report)
    }

    /// The named graph of a remote stream's members.
    fn replica_graph(&self, stream: &NamedNode) -> NamedNode {
        let digest = Sha256::digest(stream.as_str().as_bytes());
        NamedNode::new_unchecked(format!(
            "{}graph/replica/{}",
            self.minter.base(),
            hex::encode(&digest[..8])
        ))
    }

    fn record_run(&self, stream: &NamedNode, started: chrono::DateTime<Utc>) -> anyhow::Result<()> {
        let meta = GraphName::NamedNode(self.minter.metadata_graph());
        let graph = self.replica_graph(stream);
        let run = NamedNode::new_unchecked(format!(
            "{}#run-{}",
            graph.as_str(),
            started.format("%Y%m%dT%H%M%S%.6fZ")
        ));
        let triples = [
            Triple::new(graph.clone(), prov::WAS_DERIVED_FROM, stream.clone()),
            Triple::new(graph, prov::WAS_GENERATED_BY, run.clone()),
            Triple::new(run.clone(), rdf::TYPE, prov::ACTIVITY),
            Triple::new(run.clone(), prov::USED, stream.clone()),
            Triple::new(
                run.clone(),
                prov::STARTED_AT_TIME,
                date_time_literal(started, xsd::DATE_TIME),
            ),
            Triple::new(
                run,
                prov::ENDED_AT_TIME,
                date_time_literal(Utc::now(), xsd::DATE_TIME),
            ),
        ];
        self.store.ingest(IngestBatch {
            other_quads: triples
                .into_iter()
                .map(|t| t.in_graph(meta.clone()))
                .collect(),
            ..IngestBatch::default()
        })?;
        Ok(())
    }

    fn state_path(&self, url: &str) -> PathBuf {
        let digest = Sha256::digest(url.as_bytes());
        self.state_dir
            .join(format!("{}.json", hex::encode(&digest[..8])))
    }
}

fn describe(error: &FetchError) -> String {
    error.to_string()
}

fn load_state(path: &Path, url: &str) -> anyhow::Result<ReplicationState> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let state: ReplicationState = serde_json::from_slice(&bytes)
                .with_context(|| format!("replication state {} is damaged", path.display()))?;
            Ok(state)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(ReplicationState {
            url: url.to_owned(),
            done: BTreeMap::new(),
        }),
        Err(error) => {
            Err(error).with_context(|| format!("cannot read replication state {}", path.display()))
        }
    }
}

/// Writes the state to a temporary file and renames it over the old one: a crash leaves the
/// old state or the new, never half of one.
fn save_state(path: &Path, state: &ReplicationState) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let temporary = path.with_extension("json.partial");
    std::fs::write(&temporary, serde_json::to_vec(state)?)
        .with_context(|| format!("cannot write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}
