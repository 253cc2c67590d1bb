//! [`SparqlStore`]: the store boundary over a remote SPARQL 1.1 engine.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use belfort_store::event_streams::{self, EventStreamIndexing, StreamTail, StreamTails};
use belfort_store::guard;
use belfort_store::plan::{Filing, plan_ingest};
use belfort_store::{
    DumpFormat, GraphSelector, IngestBatch, IngestOutcome, ObservationStore, PatternCount,
    PatternPage, QuadPattern, QueryAnswer, QueryOptions, StoreError,
};
use belfort_vocab::{belfort, dct, rdf, sosa, tree};
use chrono::{DateTime, Utc};
use oxrdf::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term, Triple, Variable};
use sha2::{Digest, Sha256};
use sparesults::{QueryResultsFormat, QueryResultsParser, SliceQueryResultsParserOutput};
use spargebra::{Query, SparqlParser};

use crate::client::{EngineClient, EngineConnection, EngineResponse};
use crate::codec::EngineKind;

mod writer_lease;

use writer_lease::Claimant;

/// Triples per staging graph: one Graph Store request each.
const STAGING_PART_TRIPLES: usize = 50_000;
/// Subjects per lookup query (`VALUES`): keeps every answer far below an engine's row cap.
const LOOKUP_CHUNK: usize = 100;
/// Rows per page when a dump walks a graph.
const DUMP_PAGE: usize = 10_000;
/// Quads of an import published together: each part is one engine transaction (Virtuoso's
/// default transaction holds a batch of about 10 000 observations, some 180 000 quads).
const IMPORT_PART_QUADS: usize = 100_000;
/// How long a data version read from the engine is trusted.
const VERSION_TTL: Duration = Duration::from_millis(500);
/// Staged batches older than this, never published, are removed when a store connects.
const STALE_STAGING: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The answer of a SELECT: variables, decoded rows, and whether the engine cut it.
struct Solutions {
    variables: Vec<Variable>,
    rows: Vec<Vec<Option<Term>>>,
    cut_by_engine: bool,
}

/// Belfort's store in a remote SPARQL 1.1 engine. Holds no state of its own beyond short
/// caches, so any number of servers can share one engine.
///
/// Writes are staged and published: a batch's quads go into staging graphs through the Graph
/// Store protocol (any size, each request repeatable), then one SPARQL Update copies them into
/// their graphs together with the batch's commit marker and the store's new data version, and
/// the staging graphs are dropped. Readers only ever look at published graphs, so they see a
/// batch wholly or not at all, as long as the engine runs one update operation atomically.
pub struct SparqlStore {
    client: EngineClient,
    engine: EngineKind,
    /// Every IRI of Belfort's own bookkeeping graphs starts with this.
    internal_prefix: String,
    /// Where quads of the default graph are kept (the engine's default graph is a union).
    default_graph: NamedNode,
    /// One writer per process; between processes, the lease in the engine.
    writer: Mutex<()>,
    claimant: Claimant,
    version: Mutex<Option<(Instant, u64)>>,
}

impl SparqlStore {
    /// Connects to an engine, checks that it answers, and removes what crashed writers left
    /// staged. `iri_base` is the base of Belfort's minted IRIs (its graphs live under it).
    pub fn connect(
        connection: EngineConnection,
        engine: EngineKind,
        iri_base: &str,
    ) -> Result<Self, StoreError> {
        let default_graph = NamedNode::new(format!("{iri_base}graph/default"))
            .map_err(|e| StoreError::QuerySyntax(format!("IRI base <{iri_base}>: {e}")))?;
        let store = Self {
            client: EngineClient::new(connection)?,
            engine,
            internal_prefix: format!("{iri_base}graph/_store/"),
            default_graph,
            writer: Mutex::new(()),
            claimant: Claimant::this_process(),
            version: Mutex::new(None),
        };
        store.select("SELECT ?x WHERE { BIND(1 AS ?x) }", None)?;
        store.sweep_staging()?;
        Ok(store)
    }

    fn registry(&self) -> String {
        format!("{}registry", self.internal_prefix)
    }

    fn staging_prefix(&self) -> String {
        format!("{}staging/", self.internal_prefix)
    }

    /// The pattern keeping `?g` to published graphs (the engine has graphs of its own).
    fn published_filter(&self) -> String {
        format!(
            "GRAPH <{}> {{ ?g {} {} }}",
            self.registry(),
            rdf::TYPE,
            belfort::PUBLISHED_GRAPH
        )
    }

    fn graph_iri(&self, graph: &GraphName) -> NamedNode {
        match graph {
            GraphName::NamedNode(name) => name.clone(),
            _ => self.default_graph.clone(),
        }
    }

    fn term(&self, term: &Term) -> String {
        self.engine.encode_term(term.clone()).to_string()
    }

    fn check_complete(&self, response: &EngineResponse) -> Result<(), StoreError> {
        // Virtuoso's "anytime" answer: a 200 with whatever was found before the time limit.
        if let Some(state) = response.headers.get("x-sql-state") {
            let message = response
                .headers
                .get("x-sql-message")
                .and_then(|m| m.to_str().ok())
                .unwrap_or("");
            return Err(StoreError::Incomplete(format!(
                "the engine stopped early (SQL state {}): {message}",
                state.to_str().unwrap_or("?")
            )));
        }
        Ok(())
    }

    fn cut_by_engine(response: &EngineResponse) -> bool {
        response.headers.contains_key("x-sparql-maxrows")
    }

    /// Runs a SELECT of Belfort's own: decoded rows; a cut answer is an error.
    fn select(&self, query: &str, timeout: Option<Duration>) -> Result<Solutions, StoreError> {
        let solutions = self.select_with(query, &[], timeout)?;
        if solutions.cut_by_engine {
            return Err(StoreError::Incomplete(format!(
                "the engine cut the answer to {} rows; raise its result-size limit",
                solutions.rows.len()
            )));
        }
        Ok(solutions)
    }

    fn select_with(
        &self,
        query: &str,
        dataset: &[(&str, String)],
        timeout: Option<Duration>,
    ) -> Result<Solutions, StoreError> {
        let response = self.client.query(
            query,
            "application/sparql-results+json",
            dataset,
            timeout,
            &self.timeout_parameters(timeout),
        )?;
        self.check_complete(&response)?;
        let cut_by_engine = Self::cut_by_engine(&response);
        let parsed = QueryResultsParser::from_format(QueryResultsFormat::Json)
            .for_slice(&response.body)
            .map_err(|e| self.bad_answer(e))?;
        match parsed {
            SliceQueryResultsParserOutput::Boolean(value) => Ok(Solutions {
                variables: Vec::new(),
                rows: vec![vec![Some(Term::Literal(value.into()))]],
                cut_by_engine,
            }),
            SliceQueryResultsParserOutput::Solutions(solutions) => {
                let variables = solutions.variables().to_vec();
                let mut rows = Vec::new();
                for solution in solutions {
                    let solution = solution.map_err(|e| self.bad_answer(e))?;
                    rows.push(
                        variables
                            .iter()
                            .map(|v| solution.get(v).cloned().map(|t| self.engine.decode_term(t)))
                            .collect(),
                    );
                }
                Ok(Solutions {
                    variables,
                    rows,
                    cut_by_engine,
                })
            }
        }
    }

    fn bad_answer(&self, error: impl std::fmt::Display) -> StoreError {
        StoreError::Remote {
            url: self.client.connection().query_url.clone(),
            message: format!("unreadable answer: {error}"),
        }
    }

    /// Virtuoso stops a query at `timeout` (milliseconds) itself; the HTTP request waits a
    /// little longer so that the engine's own answer arrives.
    fn timeout_parameters(&self, timeout: Option<Duration>) -> Vec<(&'static str, String)> {
        match (self.engine, timeout) {
            (EngineKind::Virtuoso, Some(t)) => vec![("timeout", t.as_millis().to_string())],
            _ => Vec::new(),
        }
    }

    fn http_timeout(timeout: Option<Duration>) -> Option<Duration> {
        timeout.map(|t| t + Duration::from_secs(5))
    }

    fn single_count(&self, query: &str) -> Result<u64, StoreError> {
        let solutions = self.select(query, None)?;
        Ok(solutions
            .rows
            .first()
            .and_then(|row| row.first().cloned().flatten())
            .and_then(|term| match term {
                Term::Literal(l) => l.value().parse::<u64>().ok(),
                _ => None,
            })
            .unwrap_or(0))
    }

    /// Which of `iris` the graph holds, with their stored simple result.
    fn stored_results(
        &self,
        iris: &[NamedNode],
        graph: &GraphName,
    ) -> Result<HashMap<NamedNode, Option<Term>>, StoreError> {
        let graph = self.graph_iri(graph);
        let mut known = HashMap::new();
        for chunk in iris.chunks(LOOKUP_CHUNK) {
            let query = format!(
                "SELECT ?o ?v WHERE {{ {} GRAPH {graph} {{ ?o {} {} OPTIONAL {{ ?o {} ?v }} }} }}",
                values("?o", chunk),
                rdf::TYPE,
                sosa::OBSERVATION,
                sosa::HAS_SIMPLE_RESULT
            );
            for row in self.select(&query, None)?.rows {
                if let Some(Some(Term::NamedNode(o))) = row.first() {
                    known.insert(o.clone(), row.get(1).cloned().flatten());
                }
            }
        }
        Ok(known)
    }

    /// Every stream's last page and the latest publication time, read from the engine.
    fn load_tails(&self, indexing: &EventStreamIndexing) -> Result<StreamTails, StoreError> {
        let index = &indexing.graph;
        let days = self.select(
            &format!(
                "SELECT ?root ?day WHERE {{ GRAPH {index} {{ ?root {} ?day }} }}",
                belfort::LDES_DAY
            ),
            None,
        )?;
        let last_days = event_streams::latest_days(days.rows.iter().filter_map(|r| iri_pair(r)));
        let mut tails = StreamTails::default();
        if last_days.is_empty() {
            return Ok(tails);
        }
        let query = format!(
            "SELECT ?day ?page WHERE {{ {} GRAPH {index} {{ ?day {} ?page }} }}",
            values("?day", last_days.values().map(|(_, day)| day)),
            belfort::LDES_PAGE
        );
        let pages = self.select(&query, None)?;
        let last_pages = event_streams::latest_pages(pages.rows.iter().filter_map(|r| iri_pair(r)));
        let query = format!(
            "SELECT ?page ?member ?issued WHERE {{ {} GRAPH {index} {{ ?page {} ?member }} OPTIONAL {{ GRAPH ?g {{ ?member {} ?issued }} {} }} }}",
            values("?page", last_pages.values().map(|(_, page)| page)),
            tree::MEMBER,
            dct::ISSUED,
            self.published_filter()
        );
        let mut members: HashMap<NamedNode, HashSet<NamedNode>> = HashMap::new();
        for row in self.select(&query, None)?.rows {
            let Some((page, member)) = iri_pair(&row) else {
                continue;
            };
            members.entry(page).or_default().insert(member);
            if let Some(Some(Term::Literal(issued))) = row.get(2)
                && let Ok(at) = issued.value().parse::<DateTime<Utc>>()
                && tails.last_issued.is_none_or(|last| at > last)
            {
                tails.last_issued = Some(at);
            }
        }
        for (root, (day, day_iri)) in last_days {
            let Some((page, page_iri)) = last_pages.get(&day_iri) else {
                continue;
            };
            tails.tails.insert(
                root.into_string(),
                StreamTail {
                    day,
                    page: *page,
                    members: members.get(page_iri).map_or(0, HashSet::len),
                },
            );
        }
        Ok(tails)
    }

    /// Publishes `quads` with, when given, the filing of members (published now) into their
    /// event streams, whose last pages are read from the engine; returns how many quads were
    /// published.
    fn file_and_publish(
        &self,
        mut quads: Vec<Quad>,
        filing: Option<Filing<'_>>,
    ) -> Result<u64, StoreError> {
        if let Some((indexing, members, graph)) = filing {
            let mut tails = self.load_tails(indexing)?;
            quads.extend(tails.file(indexing, members, graph, Utc::now()));
        }
        let published = quads.len() as u64;
        if !quads.is_empty() {
            self.publish(quads)?;
        }
        Ok(published)
    }

    /// Stages the quads, publishes them with one update, and drops the staging graphs.
    fn publish(&self, quads: Vec<Quad>) -> Result<(), StoreError> {
        let quad_count = quads.len();
        // Per target graph: the N-Triples not yet in a part, and how many lines they hold.
        let mut by_graph: BTreeMap<NamedNode, (usize, Vec<u8>)> = BTreeMap::new();
        let mut digest = Sha256::new();
        let mut parts: Vec<(NamedNode, Vec<u8>)> = Vec::new();
        for quad in quads {
            let graph = self.graph_iri(&quad.graph_name);
            let object = self.engine.encode_term(quad.object);
            let (lines, buffer) = by_graph.entry(graph.clone()).or_default();
            let _ = writeln!(buffer, "{} {} {object} .", quad.subject, quad.predicate);
            *lines += 1;
            if *lines == STAGING_PART_TRIPLES {
                *lines = 0;
                parts.push((graph, std::mem::take(buffer)));
            }
        }
        parts.extend(
            by_graph
                .into_iter()
                .filter(|(_, (lines, _))| *lines > 0)
                .map(|(graph, (_, buffer))| (graph, buffer)),
        );
        for (graph, bytes) in &parts {
            digest.update(graph.as_str().as_bytes());
            digest.update(bytes);
        }
        let batch = hex::encode(&digest.finalize()[..16]);
        let staging = format!("{}{batch}", self.staging_prefix());
        let manifest = format!("{staging}/manifest");
        let batch_iri = format!("<{staging}>");
        let mut manifest_triples = format!(
            "{batch_iri} <{}> \"{}\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n",
            belfort::STAGED_AT.as_str(),
            Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ")
        );
        let staged_graphs: Vec<String> = (0..parts.len())
            .map(|number| format!("{staging}/{number}"))
            .collect();
        for (staged, (target, _)) in staged_graphs.iter().zip(&parts) {
            let _ = writeln!(
                manifest_triples,
                "<{staged}> <{}> {target} .",
                belfort::STAGED_FOR.as_str()
            );
        }
        let registry = self.registry();
        let update = format!(
            "DELETE {{ GRAPH <{registry}> {{ <{registry}> {version} ?old }} }}
INSERT {{
  GRAPH ?target {{ ?s ?p ?o }}
  GRAPH <{registry}> {{
    ?target {a} {published} .
    {batch_iri} {a} {committed} .
    <{registry}> {version} \"{batch}\" .
  }}
}}
WHERE {{
  {{ GRAPH <{manifest}> {{ ?staged {staged_for} ?target }} GRAPH ?staged {{ ?s ?p ?o }} }}
  UNION {{ GRAPH <{registry}> {{ <{registry}> {version} ?old }} }}
}}",
            version = belfort::STORE_VERSION,
            a = rdf::TYPE,
            published = belfort::PUBLISHED_GRAPH,
            committed = belfort::COMMITTED_BATCH,
            staged_for = belfort::STAGED_FOR,
        );
        let stage_and_publish = || -> Result<(), StoreError> {
            for (staged, (_, bytes)) in staged_graphs.iter().zip(&parts) {
                self.client.put_graph(staged, bytes)?;
            }
            self.client
                .put_graph(&manifest, manifest_triples.as_bytes())?;
            self.client.update(&update)
        };
        if let Err(error) = stage_and_publish() {
            // Nothing was published; the staged copy is of no use to anyone. Should the drop
            // fail too, the next store to connect sweeps it.
            let _ = self.drop_staging(&manifest, &staged_graphs);
            return Err(match error {
                StoreError::Remote { url, message } if message.contains("SR325") => {
                    StoreError::Remote {
                        url,
                        message: format!(
                            "the batch ({quad_count} quads) is larger than one engine transaction \
                             may be (Virtuoso: raise TransactionAfterImageLimit, or ingest \
                             smaller batches); nothing of it was published. {message}"
                        ),
                    }
                }
                other => other,
            });
        }
        self.drop_staging(&manifest, &staged_graphs)?;
        self.forget_version();
        Ok(())
    }

    fn drop_staging(&self, manifest: &str, staged: &[String]) -> Result<(), StoreError> {
        let mut update = String::new();
        for graph in staged {
            let _ = write!(update, "DROP SILENT GRAPH <{graph}> ; ");
        }
        let _ = write!(update, "DROP SILENT GRAPH <{manifest}>");
        self.client.update(&update)
    }

    /// Drops staged batches that were published (the writer died before cleaning up) or that
    /// were never published and are old (the writer died before publishing; its caller
    /// re-runs the batch, which stages it anew).
    fn sweep_staging(&self) -> Result<(), StoreError> {
        let query = format!(
            "SELECT ?manifest ?batch ?at ?committed WHERE {{
  GRAPH ?manifest {{ ?batch {staged_at} ?at }}
  FILTER(STRSTARTS(STR(?manifest), \"{prefix}\"))
  OPTIONAL {{ GRAPH <{registry}> {{ ?batch {a} ?committed }} }}
}}",
            staged_at = belfort::STAGED_AT,
            prefix = self.staging_prefix(),
            registry = self.registry(),
            a = rdf::TYPE,
        );
        let now = Utc::now();
        for row in self.select(&query, None)?.rows {
            let (Some(Some(Term::NamedNode(manifest))), Some(Some(Term::Literal(at)))) =
                (row.first(), row.get(2))
            else {
                continue;
            };
            let committed = matches!(row.get(3), Some(Some(_)));
            let stale = at
                .value()
                .parse::<DateTime<Utc>>()
                .is_ok_and(|at| now - at > STALE_STAGING);
            if !committed && !stale {
                continue;
            }
            let staged: Vec<String> = self
                .select(
                    &format!(
                        "SELECT ?staged WHERE {{ GRAPH {manifest} {{ ?staged {} ?target }} }}",
                        belfort::STAGED_FOR
                    ),
                    None,
                )?
                .rows
                .into_iter()
                .filter_map(|row| match row.into_iter().next().flatten() {
                    Some(Term::NamedNode(n)) => Some(n.into_string()),
                    _ => None,
                })
                .collect();
            self.drop_staging(manifest.as_str(), &staged)?;
        }
        Ok(())
    }

    fn forget_version(&self) {
        *self
            .version
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Every graph readers may see, as protocol dataset parameters.
    fn published_dataset(&self) -> Result<Vec<(&'static str, String)>, StoreError> {
        let mut graphs = vec![self.default_graph.as_str().to_owned()];
        for row in self
            .select(
                &format!(
                    "SELECT ?g WHERE {{ GRAPH <{}> {{ ?g {} {} }} }}",
                    self.registry(),
                    rdf::TYPE,
                    belfort::PUBLISHED_GRAPH
                ),
                None,
            )?
            .rows
        {
            if let Some(Some(Term::NamedNode(g))) = row.first()
                && g != &self.default_graph
            {
                graphs.push(g.as_str().to_owned());
            }
        }
        let mut dataset = Vec::with_capacity(graphs.len() * 2);
        for graph in graphs {
            dataset.push(("default-graph-uri", graph.clone()));
            dataset.push(("named-graph-uri", graph));
        }
        Ok(dataset)
    }

    /// The graph pattern of a quad pattern with `?g` bound to the graph, and the variables it
    /// leaves open.
    fn pattern_query(&self, pattern: &QuadPattern) -> (String, Vec<&'static str>) {
        let mut open = Vec::new();
        let subject = pattern.subject.as_ref().map_or_else(
            || {
                open.push("?s");
                "?s".to_owned()
            },
            ToString::to_string,
        );
        let predicate = pattern.predicate.as_ref().map_or_else(
            || {
                open.push("?p");
                "?p".to_owned()
            },
            ToString::to_string,
        );
        let object = pattern.object.as_ref().map_or_else(
            || {
                open.push("?o");
                "?o".to_owned()
            },
            |o| self.term(o),
        );
        let triple = format!("{subject} {predicate} {object}");
        let body = match &pattern.graph {
            GraphSelector::Named(graph) => format!("GRAPH {graph} {{ {triple} }}"),
            GraphSelector::Default => format!("GRAPH {} {{ {triple} }}", self.default_graph),
            GraphSelector::Any => {
                format!("GRAPH ?g {{ {triple} }} {}", self.published_filter())
            }
        };
        (body, open)
    }
}

/// `VALUES ?var { <a> <b> … }`.
fn values<'a>(variable: &str, iris: impl IntoIterator<Item = &'a NamedNode>) -> String {
    let mut clause = format!("VALUES {variable} {{");
    for iri in iris {
        let _ = write!(clause, " {iri}");
    }
    clause.push_str(" }");
    clause
}

/// The first two bindings of a row, when both are IRIs.
fn iri_pair(row: &[Option<Term>]) -> Option<(NamedNode, NamedNode)> {
    match (row.first()?, row.get(1)?) {
        (Some(Term::NamedNode(a)), Some(Term::NamedNode(b))) => Some((a.clone(), b.clone())),
        _ => None,
    }
}

fn solution_term(row: &[Option<Term>], index: Option<usize>) -> Option<Term> {
    row.get(index?).cloned().flatten()
}

impl ObservationStore for SparqlStore {
    /// The plan (what is new), the filing and the publication all happen under the writer
    /// lease, so that a writer in another process never plans against a store that changes
    /// under it.
    fn ingest(&self, batch: IngestBatch) -> Result<IngestOutcome, StoreError> {
        self.hold_writer(|| {
            let mut plan = plan_ingest(batch, |iris, _, graph| self.stored_results(iris, graph))?;
            let quads = std::mem::take(&mut plan.quads);
            plan.outcome.quads_written = self.file_and_publish(quads, plan.filing())?;
            Ok(plan.outcome)
        })
    }

    fn query(&self, query: &str, options: &QueryOptions) -> Result<QueryAnswer, StoreError> {
        guard::check_on_store(self, query, options.base_iri.as_deref())?;
        if options
            .cancellation
            .as_ref()
            .is_some_and(|c| c.is_cancelled())
        {
            return Err(StoreError::QueryCancelled);
        }
        let mut parser = SparqlParser::new();
        if let Some(base) = &options.base_iri {
            parser = parser
                .with_base_iri(base)
                .map_err(|e| StoreError::QuerySyntax(format!("base IRI <{base}>: {e}")))?;
        }
        let parsed = parser
            .parse_query(query)
            .map_err(|e| StoreError::QuerySyntax(e.to_string()))?;
        let own_dataset = match &parsed {
            Query::Select { dataset, .. }
            | Query::Construct { dataset, .. }
            | Query::Describe { dataset, .. }
            | Query::Ask { dataset, .. } => dataset.is_some(),
        };
        let dataset: Vec<(&str, String)> =
            if !options.default_graphs.is_empty() || !options.named_graphs.is_empty() {
                options
                    .default_graphs
                    .iter()
                    .map(|g| ("default-graph-uri", g.as_str().to_owned()))
                    .chain(
                        options
                            .named_graphs
                            .iter()
                            .map(|g| ("named-graph-uri", g.as_str().to_owned())),
                    )
                    .collect()
            } else if own_dataset {
                Vec::new()
            } else {
                self.published_dataset()?
            };
        // The engine does not know the endpoint's address: relative IRIs are resolved here.
        let text = match &options.base_iri {
            Some(base) => format!("BASE <{base}>\n{query}"),
            None => query.to_owned(),
        };
        let timeout = options.timeout;
        match parsed {
            Query::Select { .. } | Query::Ask { .. } => {
                let is_ask = matches!(parsed, Query::Ask { .. });
                let solutions = self
                    .select_with(&text, &dataset, Self::http_timeout(timeout))
                    .map_err(|e| match e {
                        StoreError::QueryTimeout { .. } => StoreError::QueryTimeout {
                            seconds: timeout.map_or(0.0, |t| t.as_secs_f64()),
                        },
                        other => other,
                    })?;
                if is_ask {
                    // Virtuoso answers ASK with one row holding 0 or 1.
                    let value = solutions
                        .rows
                        .first()
                        .and_then(|row| row.first().cloned().flatten())
                        .is_some_and(|term| match term {
                            Term::Literal(l) => matches!(l.value(), "1" | "true"),
                            _ => false,
                        });
                    return Ok(QueryAnswer::Boolean(value));
                }
                let mut rows = solutions.rows;
                let truncated = rows.len() > options.max_results || solutions.cut_by_engine;
                rows.truncate(options.max_results);
                Ok(QueryAnswer::Solutions {
                    variables: solutions.variables,
                    rows,
                    truncated,
                })
            }
            Query::Construct { .. } | Query::Describe { .. } => {
                let response = self.client.query(
                    &text,
                    "application/n-triples",
                    &dataset,
                    Self::http_timeout(timeout),
                    &self.timeout_parameters(timeout),
                )?;
                self.check_complete(&response)?;
                let mut triples = Vec::new();
                for triple in oxttl::NTriplesParser::new().for_slice(&response.body) {
                    let triple = triple.map_err(|e| self.bad_answer(e))?;
                    triples.push(self.engine.decode_triple(triple));
                }
                let truncated =
                    triples.len() > options.max_results || Self::cut_by_engine(&response);
                triples.truncate(options.max_results);
                Ok(QueryAnswer::Graph { triples, truncated })
            }
        }
    }

    fn file_stored_members(
        &self,
        indexing: &EventStreamIndexing,
        graph: &GraphName,
        members: &[NamedNode],
    ) -> Result<u64, StoreError> {
        self.hold_writer(|| {
            let filed = event_streams::members_to_file(indexing, members);
            self.file_and_publish(Vec::new(), Some((indexing, &filed, graph)))?;
            Ok(filed.len() as u64)
        })
    }

    /// Published in parts of [`IMPORT_PART_QUADS`], each all or nothing and each under the
    /// writer lease (other writers may take turns between parts); a failed import
    /// leaves whole parts visible, and running it again completes it (set semantics). Quads of
    /// another store's bookkeeping graphs are not imported.
    fn import(&self, format: DumpFormat, input: &mut dyn std::io::Read) -> Result<u64, StoreError> {
        let mut count = 0u64;
        let mut part = Vec::with_capacity(IMPORT_PART_QUADS);
        for quad in belfort_store::read_dump(format, input) {
            let quad = quad?;
            count += 1;
            if let GraphName::NamedNode(graph) = &quad.graph_name
                && graph.as_str().starts_with(&self.internal_prefix)
            {
                continue;
            }
            part.push(quad);
            if part.len() == IMPORT_PART_QUADS {
                let full = std::mem::take(&mut part);
                self.hold_writer(|| self.publish(full))?;
            }
        }
        if !part.is_empty() {
            self.hold_writer(|| self.publish(part))?;
        }
        Ok(count)
    }

    fn dump(&self, format: DumpFormat, out: &mut dyn Write) -> Result<u64, StoreError> {
        let dataset = self.published_dataset()?;
        let mut graphs: Vec<NamedNode> = dataset
            .iter()
            .filter(|(name, _)| *name == "named-graph-uri")
            .filter_map(|(_, g)| NamedNode::new(g.clone()).ok())
            .collect();
        graphs.sort();
        let mut serializer = oxrdfio::RdfSerializer::from_format(match format {
            DumpFormat::NQuads => oxrdfio::RdfFormat::NQuads,
            DumpFormat::TriG => oxrdfio::RdfFormat::TriG,
            DumpFormat::NTriples => oxrdfio::RdfFormat::NTriples,
        })
        .for_writer(out);
        let mut count = 0;
        for graph in graphs {
            let graph_name = if graph == self.default_graph {
                GraphName::DefaultGraph
            } else {
                GraphName::NamedNode(graph.clone())
            };
            let mut offset = 0;
            loop {
                let page = self.select(
                    &format!(
                        "SELECT ?s ?p ?o WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }} ORDER BY ?s ?p ?o OFFSET {offset} LIMIT {DUMP_PAGE}"
                    ),
                    None,
                )?;
                let rows = page.rows.len();
                for row in page.rows {
                    let (Some(subject), Some(Term::NamedNode(predicate)), Some(object)) = (
                        solution_term(&row, Some(0)),
                        solution_term(&row, Some(1)),
                        solution_term(&row, Some(2)),
                    ) else {
                        continue;
                    };
                    let subject = match subject {
                        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
                        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
                        _ => continue,
                    };
                    serializer
                        .serialize_quad(&Quad::new(subject, predicate, object, graph_name.clone()))
                        .map_err(StoreError::Dump)?;
                    count += 1;
                }
                if rows < DUMP_PAGE {
                    break;
                }
                offset += DUMP_PAGE;
            }
        }
        serializer.finish().map_err(StoreError::Dump)?;
        Ok(count)
    }

    fn count_observations(&self) -> Result<u64, StoreError> {
        self.single_count(&format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?o {} {} }} {} }}",
            rdf::TYPE,
            sosa::OBSERVATION,
            self.published_filter()
        ))
    }

    fn count_quads(&self) -> Result<u64, StoreError> {
        self.single_count(&format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {} }}",
            self.published_filter()
        ))
    }

    fn pattern_page(
        &self,
        pattern: &QuadPattern,
        offset: u64,
        limit: usize,
    ) -> Result<PatternPage, StoreError> {
        let (body, open) = self.pattern_query(pattern);
        let query = if open.is_empty() {
            // Every position fixed: the page holds the quad or nothing.
            format!(
                "SELECT ?g WHERE {{ {} }} LIMIT 1",
                match &pattern.graph {
                    GraphSelector::Any => body,
                    _ => format!("{body} BIND(1 AS ?g)"),
                }
            )
        } else {
            format!(
                "SELECT DISTINCT {vars} WHERE {{ {body} }} ORDER BY {vars} OFFSET {offset} LIMIT {}",
                limit.saturating_add(1),
                vars = open.join(" ")
            )
        };
        let solutions = self.select(&query, None)?;
        if open.is_empty() && offset > 0 {
            return Ok(PatternPage {
                quads: Vec::new(),
                has_more: false,
            });
        }
        let position = |name: &str| solutions.variables.iter().position(|v| v.as_str() == name);
        let (s, p, o) = (position("s"), position("p"), position("o"));
        let mut quads: Vec<Quad> = solutions
            .rows
            .iter()
            .filter_map(|row| {
                let bound = |index: Option<usize>| index.and_then(|i| row.get(i)?.as_ref());
                pattern.matched_quad(bound(s), bound(p), bound(o))
            })
            .collect();
        let has_more = quads.len() > limit;
        quads.truncate(limit);
        Ok(PatternPage { quads, has_more })
    }

    fn triples_about(
        &self,
        subjects: &[NamedNode],
        predicate: Option<&NamedNode>,
    ) -> Result<Vec<Triple>, StoreError> {
        let predicate_term = predicate.map_or_else(|| "?p".to_owned(), ToString::to_string);
        let mut triples = Vec::new();
        let mut seen = HashSet::new();
        for chunk in subjects.chunks(LOOKUP_CHUNK) {
            let query = format!(
                "SELECT DISTINCT ?s {projected}?o WHERE {{ {} GRAPH ?g {{ ?s {predicate_term} ?o }} {} }}",
                values("?s", chunk),
                self.published_filter(),
                projected = if predicate.is_some() { "" } else { "?p " },
            );
            let solutions = self.select(&query, None)?;
            let position = |name: &str| solutions.variables.iter().position(|v| v.as_str() == name);
            let (s, p, o) = (position("s"), position("p"), position("o"));
            let mut rows: Vec<Triple> = Vec::with_capacity(solutions.rows.len());
            for row in &solutions.rows {
                let (Some(Term::NamedNode(subject)), Some(object)) =
                    (solution_term(row, s), solution_term(row, o))
                else {
                    continue;
                };
                let predicate = match (predicate, solution_term(row, p)) {
                    (Some(p), _) => p.clone(),
                    (None, Some(Term::NamedNode(p))) => p,
                    _ => continue,
                };
                rows.push(Triple::new(subject, predicate, object));
            }
            // In the order the subjects were asked for, like the embedded store.
            let order: HashMap<&NamedNode, usize> =
                chunk.iter().enumerate().map(|(i, s)| (s, i)).collect();
            rows.sort_by_key(|t| match &t.subject {
                NamedOrBlankNode::NamedNode(n) => order.get(n).copied().unwrap_or(usize::MAX),
                NamedOrBlankNode::BlankNode(_) => usize::MAX,
            });
            for triple in rows {
                if seen.insert(triple.clone()) {
                    triples.push(triple);
                }
            }
        }
        Ok(triples)
    }

    fn count_pattern(&self, pattern: &QuadPattern, cap: u64) -> Result<PatternCount, StoreError> {
        let (body, open) = self.pattern_query(pattern);
        let limit = if cap == u64::MAX {
            String::new()
        } else {
            format!("LIMIT {}", cap.saturating_add(1))
        };
        let inner = if open.is_empty() {
            format!("SELECT ?x WHERE {{ {body} BIND(1 AS ?x) }} LIMIT 1")
        } else {
            format!(
                "SELECT DISTINCT {} WHERE {{ {body} }} {limit}",
                open.join(" ")
            )
        };
        let count = self.single_count(&format!("SELECT (COUNT(*) AS ?n) WHERE {{ {inner} }}"))?;
        Ok(if count > cap {
            PatternCount::AtLeast(cap)
        } else {
            PatternCount::Exact(count)
        })
    }

    fn data_version(&self) -> u64 {
        let mut cached = self
            .version
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((at, version)) = *cached
            && at.elapsed() < VERSION_TTL
        {
            return version;
        }
        let registry = self.registry();
        let read = self.select(
            &format!(
                "SELECT ?v WHERE {{ GRAPH <{registry}> {{ <{registry}> {} ?v }} }}",
                belfort::STORE_VERSION
            ),
            None,
        );
        let version = match read {
            Ok(solutions) => {
                let text = solutions
                    .rows
                    .first()
                    .and_then(|row| row.first().cloned().flatten())
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let digest = Sha256::digest(text.as_bytes());
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&digest[..8]);
                u64::from_be_bytes(bytes)
            }
            // An engine that cannot be read now: a version nobody cached, so no stale hit.
            Err(_) => Utc::now().timestamp_micros().unsigned_abs(),
        };
        *cached = Some((Instant::now(), version));
        version
    }
}
