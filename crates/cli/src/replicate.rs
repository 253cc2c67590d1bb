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
use belfort_harvest::http::HttpFetcher;
use belfort_harvest::ldes::{ACCEPT, read_node};
use belfort_model::{IriMinter, ObservationRdf, date_time_literal};
use belfort_store::{IngestBatch, ObservationStore};
use belfort_vocab::{prov, rdf, xsd};
use chrono::Utc;
use oxrdf::{GraphName, NamedNode, Triple};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Nodes fetched and parsed at once.
const FETCHERS: usize = 4;

/// Nodes fetched and parsed ahead of the writer at most: the fetchers wait while the writer
/// commits a batch, so memory stays bounded by a batch and this many nodes.
const READ_AHEAD_NODES: usize = 32;

/// Members written per batch by default (about 15 quads each: large batches take the bulk
/// path). 100 000 was slower at 1M members: the engine's compaction of larger files cost more
/// than the fewer batches saved.
pub const BATCH_MEMBERS: usize = 20_000;

/// Members read but not written yet, and the immutable nodes they complete.
#[derive(Default)]
struct PendingBatch {
    graph: Option<NamedNode>,
    members: Vec<ObservationRdf>,
    done: Vec<(String, Vec<String>)>,
}

/// One node, fetched and read.
enum Read {
    /// A node, and whether its server says it never changes.
    Node {
        node: belfort_harvest::ldes::StreamNode,
        immutable: bool,
    },
    /// 410: read as empty.
    Gone,
    /// Unreadable; why.
    Failed(String),
}

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
    /// The stream's `ldes:pollingInterval` in seconds, when its first node states one.
    pub polling_interval: Option<u64>,
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
    /// Members written per batch ([`BATCH_MEMBERS`] unless told).
    pub batch_members: usize,
}

impl Replicator<'_> {
    /// Reads every node of the stream at `url` that may hold members this store lacks.
    /// Nodes are fetched and parsed by `FETCHERS` threads while this one writes the members,
    /// node by node.
    pub fn run(&self, url: &str) -> anyhow::Result<ReplicationReport> {
        let started = Utc::now();
        let state_path = self.state_path(url);
        let mut state = load_state(&state_path, url)?;
        let mut report = ReplicationReport::default();
        let mut visited = BTreeSet::from([url.to_owned()]);
        // The first node names the stream (and maybe its view); the others are read in
        // parallel with it known.
        let first = self.read(url, None);
        let mut stream: Option<NamedNode> = None;
        let mut queue = VecDeque::new();
        if let Ok(Read::Node { node, .. }) = &first {
            stream.clone_from(&node.stream);
            report.polling_interval = node.polling_interval;
            if let Some(view) = &node.view
                && view.as_str() != url
                && visited.insert(view.as_str().to_owned())
            {
                queue.push_back(view.as_str().to_owned());
            }
        }
        let mut results = VecDeque::from([(url.to_owned(), first)]);
        let mut pending = PendingBatch::default();
        let (jobs, job_queue) = std::sync::mpsc::channel::<String>();
        let job_queue = std::sync::Mutex::new(job_queue);
        let (done, finished) =
            std::sync::mpsc::sync_channel::<(String, anyhow::Result<Read>)>(READ_AHEAD_NODES);
        std::thread::scope(|scope| -> anyhow::Result<()> {
            // Owned by this closure: when it returns, early on an error too, the fetchers
            // waiting for a job or for room to hand in a node see the channel closed and stop.
            let (jobs, finished) = (jobs, finished);
            for _ in 0..FETCHERS {
                let done = done.clone();
                let job_queue = &job_queue;
                let stream = stream.clone();
                scope.spawn(move || {
                    loop {
                        let next = job_queue
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        let Ok(node_url) = next else { break };
                        let read = self.read(&node_url, stream.as_ref());
                        if done.send((node_url, read)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done);
            let mut in_flight = 0usize;
            loop {
                // Hand out every known node; skip the immutable ones an earlier run read.
                while let Some(node_url) = queue.pop_front() {
                    if let Some(relations) = state.done.get(&node_url) {
                        report.nodes_skipped += 1;
                        for target in relations {
                            if visited.insert(target.clone()) {
                                queue.push_back(target.clone());
                            }
                        }
                        continue;
                    }
                    in_flight += 1;
                    // The workers live as long as this loop; a send cannot fail here.
                    let _ = jobs.send(node_url);
                }
                let (node_url, read) = match results.pop_front() {
                    Some(result) => result,
                    None if in_flight == 0 => break,
                    None => {
                        in_flight -= 1;
                        finished.recv()?
                    }
                };
                let relations = self.store_node(
                    &node_url,
                    read,
                    stream.as_ref(),
                    &mut pending,
                    &mut state,
                    &state_path,
                    &mut report,
                )?;
                for target in relations {
                    if visited.insert(target.clone()) {
                        queue.push_back(target);
                    }
                }
            }
            drop(jobs);
            self.flush(&mut pending, &mut state, &state_path, &mut report)
        })?;
        if let Some(stream) = &stream {
            self.record_run(stream, started)?;
        }
        Ok(report)
    }

    /// Fetches and parses one node.
    fn read(&self, node_url: &str, stream: Option<&NamedNode>) -> anyhow::Result<Read> {
        let fetched = match self.fetcher.get(node_url, ACCEPT) {
            Ok(fetched) => fetched,
            Err(error) => return Ok(Read::Failed(error.to_string())),
        };
        if fetched.status == 410 {
            return Ok(Read::Gone);
        }
        if !(200..300).contains(&fetched.status) {
            return Ok(Read::Failed(format!(
                "{node_url}: HTTP status {}",
                fetched.status
            )));
        }
        Ok(
            match read_node(
                node_url,
                fetched.content_type.as_deref(),
                &fetched.body,
                stream,
            ) {
                Ok(node) => Read::Node {
                    node,
                    immutable: fetched.is_immutable(),
                },
                Err(error) => Read::Failed(error.to_string()),
            },
        )
    }

    /// Takes in the members of one node and the nodes it leads to. Members are written in
    /// batches of about `batch_members` (large batches take the engine's atomic bulk path);
    /// an immutable node is remembered as done only once its batch is committed.
    #[allow(clippy::too_many_arguments)]
    fn store_node(
        &self,
        node_url: &str,
        read: anyhow::Result<Read>,
        stream: Option<&NamedNode>,
        pending: &mut PendingBatch,
        state: &mut ReplicationState,
        state_path: &Path,
        report: &mut ReplicationReport,
    ) -> anyhow::Result<Vec<String>> {
        let (node, immutable) = match read? {
            Read::Node { node, immutable } => (node, immutable),
            Read::Gone => {
                report.nodes_fetched += 1;
                report.nodes_gone += 1;
                return Ok(Vec::new());
            }
            Read::Failed(failure) => {
                report.failures.push(failure);
                return Ok(Vec::new());
            }
        };
        report.nodes_fetched += 1;
        report.members_read += node.members.len() as u64;
        if !node.members.is_empty() {
            let Some(stream_iri) = stream.or(node.stream.as_ref()) else {
                report.failures.push(format!(
                    "{node_url}: members, but no event stream named (tree:view or ldes:EventStream)"
                ));
                return Ok(node.relations);
            };
            if pending
                .graph
                .as_ref()
                .is_some_and(|g| *g != self.replica_graph(stream_iri))
            {
                self.flush(pending, state, state_path, report)?;
            }
            pending.graph = Some(self.replica_graph(stream_iri));
            pending
                .members
                .extend(node.members.into_iter().map(|member| ObservationRdf {
                    iri: member.iri,
                    triples: member.triples,
                    context: Vec::new(),
                }));
        }
        if immutable {
            pending
                .done
                .push((node_url.to_owned(), node.relations.clone()));
        }
        if pending.members.len() >= self.batch_members.max(1) {
            self.flush(pending, state, state_path, report)?;
        }
        Ok(node.relations)
    }

    /// Writes the pending members in one batch, then records the immutable nodes they came
    /// from as done.
    fn flush(
        &self,
        pending: &mut PendingBatch,
        state: &mut ReplicationState,
        state_path: &Path,
        report: &mut ReplicationReport,
    ) -> anyhow::Result<()> {
        if !pending.members.is_empty() {
            let outcome = self.store.ingest(IngestBatch {
                feed_graph: pending.graph.clone(),
                observations: std::mem::take(&mut pending.members),
                ..IngestBatch::default()
            })?;
            report.new_members += outcome.new_observations;
        }
        if !pending.done.is_empty() {
            state.done.extend(pending.done.drain(..));
            save_state(state_path, state)?;
        }
        Ok(())
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
