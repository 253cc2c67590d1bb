//! Mapping benchmark: one feed's payload files mapped onto observations and written out as
//! N-Triples (shared context such as sensors and time entities once), timed, as one JSON line
//! on standard output.
//!
//! `belfort-mapping-bench FEED OUT.nt FILE...` (FEED as in the demo configuration, such as
//! `gent/telraam`; the files form one batch, as `belfort ingest` takes them).

use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{Context, bail};
use belfort::config;
use belfort_model::{Catalogue, DescribedEntities, FeedId};
use oxrdfio::{RdfFormat, RdfSerializer};

/// Many small strings live at once (every observation of the batch): glibc's allocator spends
/// much of the run fragmenting and consolidating them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    belfort::allocator::keep_freed_memory_a_while();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [feed, out, files @ ..] = args.as_slice() else {
        bail!("usage: belfort-mapping-bench FEED OUT.nt FILE...");
    };
    if files.is_empty() {
        bail!("usage: belfort-mapping-bench FEED OUT.nt FILE...");
    }
    let catalogue = Catalogue::bundled()?;
    let config = config::load_demo(None, &catalogue)?;
    let feed_id = FeedId::parse(feed)?;
    let spec = config
        .feed(&feed_id)
        .with_context(|| format!("{feed} is not a demo feed"))?;
    let payloads: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|f| Ok((f.clone(), std::fs::read(f).with_context(|| f.clone())?)))
        .collect::<anyhow::Result<_>>()?;
    let bytes: usize = payloads.iter().map(|(_, b)| b.len()).sum();

    let started = Instant::now();
    let parts: Vec<(&str, &[u8])> = payloads
        .iter()
        .map(|(f, b)| (f.as_str(), b.as_slice()))
        .collect();
    let mapped = belfort_harvest::map_payloads(spec, &catalogue, &parts)?;
    let mapped_seconds = started.elapsed().as_secs_f64();
    let mut sink = RdfSerializer::from_format(RdfFormat::NTriples).for_writer(
        BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?),
    );
    let (mut records, mut observations, mut quarantined, mut triples) = (0u64, 0u64, 0u64, 0u64);
    // Sensors, features and time entities are shared by many observations: described once.
    let mut described = DescribedEntities::default();
    let mut rdf_seconds = 0.0;
    for part in &mapped {
        records += part.records;
        quarantined += part.quarantined.len() as u64;
        for observation in &part.observations {
            let minting = Instant::now();
            let rdf = observation.to_rdf_describing(&config.minter, &catalogue, &mut described);
            rdf_seconds += minting.elapsed().as_secs_f64();
            for triple in &rdf.triples {
                sink.serialize_triple(triple)?;
                triples += 1;
            }
            for triple in &rdf.context {
                sink.serialize_triple(triple)?;
                triples += 1;
            }
            observations += 1;
        }
    }
    sink.finish()?.flush()?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "feed": feed,
            "bytes": bytes,
            "records": records,
            "observations": observations,
            "quarantined": quarantined,
            "triples": triples,
            "map_seconds": mapped_seconds,
            "rdf_seconds": rdf_seconds,
            "seconds": seconds,
            "records_per_second": records as f64 / seconds,
            "observations_per_second": observations as f64 / seconds,
        })
    );
    Ok(())
}
