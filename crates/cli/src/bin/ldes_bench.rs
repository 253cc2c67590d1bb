//! Event-stream benchmark, part one: builds a store of N synthetic Telraam observations through
//! the full pipeline, which files every member into its event-stream pages in the ingest
//! transaction, and checks after every batch that all its members are already in their pages
//! (no fragmentation lag). Writes the list of the `all` stream's page paths for the latency
//! run (`belfort-serve-bench tpf`); `bench/ldes.sh` does the rest.
//!
//! `belfort-ldes-bench DATA_DIR OBSERVATIONS [BATCH_OBSERVATIONS]` (batch default 100 000).

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, bail};
use belfort::config;
use belfort::pipeline::{Payload, Pipeline, Validation};
use belfort::synthetic::SyntheticBatches;
use belfort_model::{Catalogue, FeedId};
use belfort_store::{
    GraphSelector, ObservationStore, PatternCount, PayloadArchive, QuadPattern, QueryAnswer,
    QueryOptions,
};
use belfort_store_embedded::EmbeddedStore;
use belfort_vocab::tree;

/// The allocator of the `belfort` binary, so that the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    belfort::allocator::keep_freed_memory_a_while();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(total)) = (args.first(), args.get(1)) else {
        bail!("usage: belfort-ldes-bench DATA_DIR OBSERVATIONS [BATCH_OBSERVATIONS]");
    };
    let dir = std::path::PathBuf::from(dir);
    let total: u64 = total.parse().context("OBSERVATIONS")?;
    let per_batch: u64 = args
        .get(2)
        .map_or(Ok(100_000), |a| a.parse())
        .context("BATCH_OBSERVATIONS")?;
    let plan = SyntheticBatches::new(total, per_batch);
    let batches = plan.batches;

    let catalogue = Catalogue::bundled()?;
    let config = config::load_demo(None, &catalogue)?;
    let feed = config
        .feed(&FeedId::parse("gent/telraam")?)
        .context("gent/telraam")?;
    std::fs::create_dir_all(&dir)?;
    let store = EmbeddedStore::open(&dir.join("store"))?;
    let archive = PayloadArchive::new(dir.join("archive"));
    let validation = Validation::bundled()?;
    let pipeline = Pipeline::new(&catalogue, &config, &store, &archive, &validation);
    let index = QuadPattern {
        subject: None,
        predicate: Some(tree::MEMBER.into()),
        object: None,
        graph: GraphSelector::Named(config.minter.event_stream_graph()),
    };
    let mut ingest_seconds = 0.0;
    let mut observations = 0;
    let mut check_seconds = 0.0;
    for batch in 0..batches {
        let payload = Payload {
            source: format!("synthetic-{batch}.json"),
            bytes: plan.payload(batch).into_bytes(),
        };
        let started = Instant::now();
        let report = pipeline.ingest(feed, std::slice::from_ref(&payload))?;
        ingest_seconds += started.elapsed().as_secs_f64();
        observations += report.outcome.new_observations;
        // Every member of the batch is in its pages (`all` and its family's) when ingest
        // returns.
        let checked = Instant::now();
        let PatternCount::Exact(filed) = store.count_pattern(&index, u64::MAX)? else {
            bail!("an uncapped count came back capped");
        };
        check_seconds += checked.elapsed().as_secs_f64();
        if filed != 2 * observations {
            bail!(
                "after batch {batch}: {filed} index entries for {observations} observations: fragmentation lags"
            );
        }
        eprintln!(
            "batch {}/{batches}: {observations} observations, all filed",
            batch + 1
        );
    }
    let pages = match store.query(
        &format!(
            "SELECT ?page WHERE {{ GRAPH <{}> {{ ?day <{}> ?page }} FILTER(STRSTARTS(STR(?page), \"{}all/\")) }}",
            config.minter.event_stream_graph().as_str(),
            belfort_vocab::belfort::LDES_PAGE.as_str(),
            config.minter.event_stream_prefix()
        ),
        &QueryOptions {
            max_results: 10_000_000,
            ..QueryOptions::default()
        },
    )? {
        QueryAnswer::Solutions { rows, .. } => rows,
        _ => Vec::new(),
    };
    let prefix = config.minter.event_stream_prefix();
    let mut list = std::io::BufWriter::new(std::fs::File::create(dir.join("pages.txt"))?);
    let mut page_count = 0;
    for row in &pages {
        if let Some(oxrdf::Term::NamedNode(page)) = &row[0]
            && let Some(path) = page.as_str().strip_prefix(&prefix)
        {
            writeln!(list, "/ldes/{path}")?;
            page_count += 1;
        }
    }
    list.flush()?;
    println!("observations ingested (members):  {observations} in {batches} batches");
    println!(
        "ingest with fragmentation:        {ingest_seconds:.2} s = {:.0} observations/s",
        observations as f64 / ingest_seconds
    );
    println!(
        "index entries after every batch:  2 per observation (all + family), checked in {check_seconds:.2} s"
    );
    println!(
        "pages of the `all` stream:        {page_count} (list in {}/pages.txt)",
        dir.display()
    );
    Ok(())
}
