//! Remote-store benchmark: the same synthetic Telraam observations ingested through the full
//! pipeline into the embedded store and into a remote SPARQL engine, then the same fragment
//! and SPARQL requests against a server over each, in the same run.
//!
//! `belfort-remote-bench QUERY_URL GRAPH_STORE_URL ENGINE [OBSERVATIONS] [BATCH]`
//! (ENGINE `virtuoso` or `generic`; defaults 100 000 and 10 000). `bench/remote.sh` starts a
//! Virtuoso and runs it.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use belfort::config;
use belfort::measure::percentile;
use belfort::pipeline::{Payload, Pipeline, Validation};
use belfort::synthetic::SyntheticBatches;
use belfort_model::{Catalogue, FeedId};
use belfort_server::{RunningServer, ServerConfig};
use belfort_store::{ObservationStore, PayloadArchive};
use belfort_store_embedded::EmbeddedStore;
use belfort_store_sparql::{EngineConnection, EngineKind, SparqlStore};

const SPARQL_QUERIES: &[(&str, &str)] = &[
    (
        "count",
        "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }",
    ),
    (
        "one sensor",
        "SELECT ?o ?v WHERE { ?o <http://www.w3.org/ns/sosa/madeBySensor> <https://data.example.org/id/sensor/telraam/1000003> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v } LIMIT 100",
    ),
    (
        "per property",
        "SELECT ?p (COUNT(*) AS ?n) WHERE { ?o <http://www.w3.org/ns/sosa/observedProperty> ?p } GROUP BY ?p",
    ),
];

/// Requests `urls` one after the other (each `rounds` times); p50 and p99 in milliseconds.
fn latencies(
    client: &reqwest::blocking::Client,
    requests: &[reqwest::blocking::RequestBuilder],
) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(requests.len());
    for request in requests {
        let request = request
            .try_clone()
            .context("a request that cannot be repeated")?;
        let started = Instant::now();
        let request = request.build()?;
        let url = request.url().clone();
        let response = client.execute(request)?;
        let status = response.status();
        let body = response.bytes()?;
        if !status.is_success() {
            bail!("{url}: HTTP {status}: {}", String::from_utf8_lossy(&body));
        }
        times.push(started.elapsed());
    }
    times.sort();
    Ok((
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0,
    ))
}

/// The allocator of the `belfort` binary, so that the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    belfort::allocator::keep_freed_memory_a_while();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(query_url), Some(graph_store_url), Some(engine)) =
        (args.first(), args.get(1), args.get(2))
    else {
        bail!(
            "usage: belfort-remote-bench QUERY_URL GRAPH_STORE_URL ENGINE [OBSERVATIONS] [BATCH]"
        );
    };
    let engine = EngineKind::parse(engine).context("ENGINE: virtuoso or generic")?;
    let total: u64 = args
        .get(3)
        .map_or(Ok(100_000), |a| a.parse())
        .context("OBSERVATIONS")?;
    let per_batch: u64 = args
        .get(4)
        .map_or(Ok(10_000), |a| a.parse())
        .context("BATCH")?;
    let plan = SyntheticBatches::new(total, per_batch);
    let catalogue = Catalogue::bundled()?;
    let config = config::load_demo(None, &catalogue)?;
    let feed = config
        .feed(&FeedId::parse("gent/telraam")?)
        .context("gent/telraam")?;
    let payloads: Vec<Payload> = (0..plan.batches)
        .map(|b| Payload {
            source: format!("synthetic-{b}.json"),
            bytes: plan.payload(b).into_bytes(),
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let stores: Vec<(&str, Arc<dyn ObservationStore>)> = vec![
        (
            "embedded",
            Arc::new(EmbeddedStore::open(&dir.path().join("store"))?),
        ),
        (
            "remote",
            Arc::new(SparqlStore::connect(
                EngineConnection::new(query_url, query_url, graph_store_url),
                engine,
                config.minter.base(),
            )?),
        ),
    ];
    let validation = Validation::bundled()?;
    println!(
        "{total} observations in {} batches of {per_batch}; {} fragment and {} SPARQL requests per store",
        plan.batches,
        200,
        SPARQL_QUERIES.len() * 20
    );
    println!("store     ingest obs/s   TPF p50 ms  TPF p99 ms  SPARQL p50/p99 ms per query");
    for (name, store) in stores {
        let archive = PayloadArchive::new(dir.path().join(format!("archive-{name}")));
        let pipeline = Pipeline::new(&catalogue, &config, store.as_ref(), &archive, &validation);
        let started = Instant::now();
        let mut observations = 0;
        for payload in &payloads {
            observations += pipeline
                .ingest(feed, std::slice::from_ref(payload))?
                .outcome
                .new_observations;
        }
        let ingest_rate = observations as f64 / started.elapsed().as_secs_f64();
        let server = RunningServer::start(
            store.clone(),
            ServerConfig {
                iri_base: config.minter.base().to_owned(),
                ..ServerConfig::default()
            },
            "127.0.0.1:0",
        )?;
        let base = server.public_base().to_owned();
        let client = reqwest::blocking::Client::new();
        // Pages of one predicate, pages of everything, and single subjects.
        let mut tpf = Vec::new();
        for page in 1..=100 {
            tpf.push(
                client
                    .get(format!("{base}/fragments"))
                    .query(&[
                        ("predicate", "http://www.w3.org/ns/sosa/hasSimpleResult"),
                        ("page", &page.to_string()),
                    ])
                    .header("Accept", "application/n-triples"),
            );
            tpf.push(
                client
                    .get(format!("{base}/fragments"))
                    .query(&[("page", &page.to_string())])
                    .header("Accept", "application/n-triples"),
            );
        }
        let (tpf_p50, tpf_p99) = latencies(&client, &tpf)?;
        let mut sparql = String::new();
        for (label, query) in SPARQL_QUERIES {
            let requests: Vec<_> = (0..20)
                .map(|_| {
                    client
                        .post(format!("{base}/sparql"))
                        .header("Content-Type", "application/sparql-query")
                        .header("Accept", "application/sparql-results+json")
                        .body(query.to_string())
                })
                .collect();
            let (p50, p99) = latencies(&client, &requests)?;
            sparql.push_str(&format!("  {label}: {p50:.1}/{p99:.1}"));
        }
        println!("{name:<9} {ingest_rate:>12.0} {tpf_p50:>12.1} {tpf_p99:>11.1} {sparql}");
        server.stop()?;
    }
    Ok(())
}
