//! Publishing benchmark: loads an N-Triples dataset into a Belfort store, replays Triple
//! Pattern Fragment requests against any TPF server, and times SPARQL queries against any
//! SPARQL endpoint, with the same client for Belfort and its peers.
//!
//! ```text
//! belfort-serve-bench load DATA_DIR FILE.nt
//! belfort-serve-bench tpf BASE_URL PATHS_FILE [SECONDS] [CONCURRENCY]
//! belfort-serve-bench sparql ENDPOINT_URL RUNS QUERY_FILE...
//! belfort-serve-bench crawl FRAGMENT_URL
//! ```
//! `crawl` reads a fragment from its first page to its last, one request at a time, following
//! each page's `hydra:next` (as a TPF client reading a whole fragment does), and prints the
//! pages, the triples on them (data and hypermedia), total time and per-page latency.
//! `tpf` sends the request paths of PATHS_FILE (one per line, round robin) for SECONDS with
//! CONCURRENCY clients, each waiting for its answer before the next request, and prints
//! requests/s and the latency percentiles. `sparql` runs each query RUNS times after one warm-up
//! and prints the median, fastest and slowest time and the number of result rows.

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use belfort::measure::percentile;
use belfort_store::DumpFormat;
use belfort_store_embedded::EmbeddedStore;

/// The allocator of the `belfort` binary, so that the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("load") if args.len() == 3 => load(Path::new(&args[1]), Path::new(&args[2])),
        Some("tpf") if args.len() >= 3 => {
            let seconds: u64 = args
                .get(3)
                .map_or(Ok(10), |a| a.parse())
                .context("SECONDS")?;
            let concurrency: usize = args
                .get(4)
                .map_or(Ok(8), |a| a.parse())
                .context("CONCURRENCY")?;
            tpf(&args[1], Path::new(&args[2]), seconds, concurrency)
        }
        Some("sparql") if args.len() >= 4 => {
            let runs: usize = args[2].parse().context("RUNS")?;
            for file in &args[3..] {
                sparql(&args[1], Path::new(file), runs)?;
            }
            Ok(())
        }
        Some("crawl") if args.len() == 2 => crawl(&args[1]),
        _ => bail!(
            "usage: belfort-serve-bench load DATA_DIR FILE.nt | tpf BASE_URL PATHS_FILE [SECONDS] [CONCURRENCY] | sparql ENDPOINT RUNS QUERY_FILE... | crawl FRAGMENT_URL"
        ),
    }
}

fn load(data: &Path, file: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(data)?;
    let store = EmbeddedStore::open(&data.join("store"))?;
    let reader = BufReader::new(
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
    );
    let started = Instant::now();
    store.bulk_load(DumpFormat::NTriples, reader)?;
    println!(
        "loaded {} into {} in {:.1} s",
        file.display(),
        data.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn tpf(base: &str, paths: &Path, seconds: u64, concurrency: usize) -> anyhow::Result<()> {
    let paths: Vec<String> = std::fs::read_to_string(paths)
        .with_context(|| format!("reading {}", paths.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| format!("{}{}", base.trim_end_matches('/'), l.trim()))
        .collect();
    if paths.is_empty() {
        bail!("no request paths");
    }
    let paths = Arc::new(paths);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (paths, next) = (Arc::clone(&paths), Arc::clone(&next));
            std::thread::spawn(move || -> anyhow::Result<(Vec<Duration>, u64)> {
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(120))
                    .build()?;
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    let index = next.fetch_add(1, Ordering::Relaxed) % paths.len();
                    let started = Instant::now();
                    let ok = client
                        .get(&paths[index])
                        .header("Accept", "text/turtle")
                        .send()
                        .and_then(|r| {
                            let ok = r.status().is_success();
                            r.bytes().map(|_| ok)
                        })
                        .unwrap_or(false);
                    latencies.push(started.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
                Ok((latencies, errors))
            })
        })
        .collect();
    let started = Instant::now();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (l, e) = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "requests {} errors {errors} req/s {:.1} p50_ms {:.2} p99_ms {:.2} max_ms {:.2}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    Ok(())
}

fn crawl(first: &str) -> anyhow::Result<()> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let (mut latencies, mut triples) = (Vec::new(), 0u64);
    let mut next = Some(first.to_owned());
    let started = Instant::now();
    while let Some(url) = next.take() {
        let asked = Instant::now();
        let response = client
            .get(&url)
            .header("Accept", "text/turtle")
            .send()?
            .error_for_status()?;
        let body = response.bytes()?;
        latencies.push(asked.elapsed());
        for triple in oxttl::TurtleParser::new()
            .with_base_iri(&url)?
            .for_slice(&body)
        {
            let triple = triple.with_context(|| format!("page {url}"))?;
            if triple.predicate == belfort_vocab::hydra::NEXT {
                if let oxrdf::Term::NamedNode(page) = triple.object {
                    next = Some(page.into_string());
                }
            } else {
                triples += 1;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let pages = latencies.len();
    latencies.sort();
    println!(
        "pages {pages} triples_on_pages {triples} seconds {seconds:.2} per_page_ms {:.2} p50_ms {:.2} p99_ms {:.2} max_ms {:.2}",
        seconds * 1000.0 / pages.max(1) as f64,
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    Ok(())
}

fn sparql(endpoint: &str, file: &Path, runs: usize) -> anyhow::Result<()> {
    let query =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let run = || -> anyhow::Result<(Duration, usize)> {
        let started = Instant::now();
        let response = client
            .post(endpoint)
            .header("Content-Type", "application/sparql-query")
            .header("Accept", "text/csv")
            .body(query.clone())
            .send()?;
        let status = response.status();
        let body = response.text()?;
        if !status.is_success() {
            bail!("{}: HTTP {status}: {body}", file.display());
        }
        Ok((started.elapsed(), body.lines().count().saturating_sub(1)))
    };
    run()?;
    let mut times = Vec::new();
    let mut rows = 0;
    for _ in 0..runs.max(1) {
        let (time, count) = run()?;
        times.push(time);
        rows = count;
    }
    times.sort();
    println!(
        "{} median_ms {:.1} min_ms {:.1} max_ms {:.1} rows {rows}",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("query"),
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
    );
    Ok(())
}
