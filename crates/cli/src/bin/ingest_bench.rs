//! Ingest benchmark: N Telraam observations through the full pipeline (map → RDF → atomic,
//! idempotent batches) into the embedded store, next to a raw bulk load of the same data as
//! N-Triples (the engine's own loader, as `oxigraph load` uses it) and of the same quads in
//! their named graphs as N-Quads, in the same run.
//!
//! `belfort-ingest-bench [OBSERVATIONS] [BATCH_OBSERVATIONS]` (defaults 1 000 000 and 100 000).
//! `belfort-ingest-bench --write-payload FILE RECORDS` writes one synthetic payload and exits.

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{Context, bail};
use belfort::config;
use belfort::pipeline::{Payload, Pipeline, Validation};
use belfort::synthetic::{HOURS_PER_SEGMENT, SyntheticBatches, telraam_reports};
use belfort_model::{Catalogue, FeedId};
use belfort_store::{DumpFormat, ObservationStore, PayloadArchive};
use belfort_store_embedded::EmbeddedStore;

/// The allocator of the `belfort` binary, so that the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    belfort::allocator::keep_freed_memory_a_while();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--write-payload") {
        let (Some(path), Some(records)) = (args.get(1), args.get(2)) else {
            bail!("usage: --write-payload FILE RECORDS");
        };
        let records: u64 = records.parse().context("RECORDS")?;
        let segments = records.div_ceil(HOURS_PER_SEGMENT).max(1);
        std::fs::write(
            path,
            telraam_reports(1, segments, records.min(HOURS_PER_SEGMENT), 0),
        )?;
        return Ok(());
    }
    let total: u64 = args
        .first()
        .map_or(Ok(1_000_000), |a| a.parse())
        .context("OBSERVATIONS")?;
    let per_batch: u64 = args
        .get(1)
        .map_or(Ok(100_000), |a| a.parse())
        .context("BATCH_OBSERVATIONS")?;
    let plan = SyntheticBatches::new(total, per_batch);
    let (batches, segments_per_batch) = (plan.batches, plan.segments_per_batch);

    let catalogue = Catalogue::bundled()?;
    let config = config::load_demo(None, &catalogue)?;
    let feed = config
        .feed(&FeedId::parse("gent/telraam")?)
        .context("gent/telraam")?;
    let dir = tempfile::tempdir()?;

    eprintln!(
        "generating {batches} payloads of {segments_per_batch} segments × {HOURS_PER_SEGMENT} hours"
    );
    let payloads: Vec<Payload> = (0..batches)
        .map(|b| Payload {
            source: format!("synthetic-{b}.json"),
            bytes: plan.payload(b).into_bytes(),
        })
        .collect();

    // Mapping and RDF alone, without the store: the pipeline's own cost.
    let mapping_started = Instant::now();
    let mut mapped_observations = 0u64;
    let mut mapped_triples = 0u64;
    for payload in &payloads {
        let mapped =
            belfort_harvest::map_payload(feed, &catalogue, &payload.source, &payload.bytes)?;
        for observation in &mapped.observations {
            let rdf = observation.to_rdf(&config.minter, &catalogue);
            mapped_triples += (rdf.triples.len() + rdf.context.len()) as u64;
        }
        mapped_observations += mapped.observations.len() as u64;
    }
    let mapping_seconds = mapping_started.elapsed().as_secs_f64();

    let store = EmbeddedStore::open(&dir.path().join("belfort"))?;
    let archive = PayloadArchive::new(dir.path().join("archive"));
    let validation = Validation::bundled()?;
    let pipeline = Pipeline::new(&catalogue, &config, &store, &archive, &validation);
    let started = Instant::now();
    let mut observations = 0;
    for payload in &payloads {
        let report = pipeline.ingest(feed, std::slice::from_ref(payload))?;
        observations += report.outcome.new_observations;
    }
    let belfort_seconds = started.elapsed().as_secs_f64();
    let quads = store.count_quads()?;

    let again = Instant::now();
    let report = pipeline.ingest(feed, &payloads[..1])?;
    let reingest_seconds = again.elapsed().as_secs_f64();
    if report.outcome.new_observations != 0 || store.count_quads()? != quads {
        bail!("re-ingesting a batch changed the store");
    }

    let nt_path = dir.path().join("same-data.nt");
    let nq_path = dir.path().join("same-data.nq");
    {
        let mut nq = Vec::new();
        store.dump(DumpFormat::NQuads, &mut nq)?;
        std::fs::write(&nq_path, &nq)?;
        let mut out = BufWriter::new(std::fs::File::create(&nt_path)?);
        // The same statements without graph names: what a raw loader would be given.
        for line in nq.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let text = std::str::from_utf8(line)?;
            let without_graph = text.rsplit_once(" <").map_or(text, |(head, _)| head);
            writeln!(out, "{without_graph} .")?;
        }
        out.flush()?;
    }
    let (raw_triples, raw_seconds) =
        raw_load(&dir.path().join("raw"), DumpFormat::NTriples, &nt_path)?;
    // The same quads in their named graphs: the engine indexes a named graph's quads six
    // ways and the default graph's three, so this is the loader doing the store's own work.
    let (raw_quads, raw_quads_seconds) =
        raw_load(&dir.path().join("raw-quads"), DumpFormat::NQuads, &nq_path)?;

    let obs_rate = observations as f64 / belfort_seconds;
    let quad_rate = quads as f64 / belfort_seconds;
    let raw_rate = raw_triples as f64 / raw_seconds;
    println!("observations ingested:        {observations} in {batches} batches");
    println!("quads in store:               {quads}");
    println!(
        "mapping + RDF only:           {mapped_observations} observations, {mapped_triples} triples \
         before de-duplication, {mapping_seconds:.2} s = {:.0} observations/s",
        mapped_observations as f64 / mapping_seconds
    );
    println!(
        "belfort ingest (map+RDF+tx):  {belfort_seconds:.2} s = {obs_rate:.0} observations/s = {quad_rate:.0} quads/s"
    );
    println!(
        "re-ingest of one batch:       {reingest_seconds:.2} s, 0 new observations, quad count unchanged"
    );
    println!(
        "raw bulk load of same N-Triples: {raw_triples} triples in {raw_seconds:.2} s = {raw_rate:.0} triples/s"
    );
    println!(
        "ratio belfort quads/s ÷ raw triples/s: {:.2}",
        quad_rate / raw_rate
    );
    let raw_quad_rate = raw_quads as f64 / raw_quads_seconds;
    println!(
        "raw bulk load of same N-Quads (named graphs): {raw_quads} quads in {raw_quads_seconds:.2} s = {raw_quad_rate:.0} quads/s"
    );
    println!(
        "ratio belfort quads/s ÷ raw quads/s: {:.2}",
        quad_rate / raw_quad_rate
    );
    Ok(())
}

/// Bulk-loads one file into a fresh store with the engine's own loader: (statements, seconds).
fn raw_load(
    location: &std::path::Path,
    format: DumpFormat,
    path: &std::path::Path,
) -> anyhow::Result<(u64, f64)> {
    let raw = EmbeddedStore::open(location)?;
    let started = Instant::now();
    raw.bulk_load(format, std::io::BufReader::new(std::fs::File::open(path)?))?;
    let seconds = started.elapsed().as_secs_f64();
    Ok((raw.count_quads()?, seconds))
}
