//! Belfort on a remote engine (a real Virtuoso 7) against Belfort on its embedded store: the
//! same harvest gives the same SPARQL answers, the same data through the fragments (judged by
//! Comunica) and the same event-stream members (judged by `ldes-client`); `belfort replicate`
//! fills the engine from another server's stream; servers over one engine share everything and
//! lose nothing when one is killed; a kill -9 in the middle of a remote batch shows readers
//! none or all of it, and the re-run leaves one copy; two harvests at once take turns.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::{
    DEMO_OBSERVATIONS, KillOnDrop, PREFIXES, RESEARCHER_QUERIES, json_term, run_judge, sorted_rows,
    start_belfort_server,
};

#[path = "../../store-sparql/tests/support/virtuoso.rs"]
mod virtuoso;
use virtuoso::Virtuoso;

/// A `belfort.toml` over the bundled cities, on the engine when one is given.
fn write_config(dir: &Path, name: &str, base_iri: &str, engine: Option<&Virtuoso>) -> PathBuf {
    let cities = crate::manifest_dir()
        .join("../../cities")
        .canonicalize()
        .unwrap();
    let mut text = format!("base_iri = {base_iri:?}\ncities_dir = {:?}\n", cities);
    if let Some(engine) = engine {
        text.push_str(&format!(
            "[store]\nkind = \"sparql\"\nengine = \"virtuoso\"\nquery_url = {:?}\ngraph_store_url = {:?}\n",
            engine.query_url(),
            engine.graph_store_url()
        ));
    }
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn belfort(config: &Path, data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_belfort"))
        .args(args)
        .arg("--config")
        .arg(config)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap()
}

fn observations(config: &Path, data: &Path) -> u64 {
    let output = belfort(
        config,
        data,
        &["query", "--format", "csv", super::COUNT_OBSERVATIONS],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines().nth(1).unwrap().trim().parse().unwrap()
}

/// `belfort serve` on a free port; the process and its address.
fn serve(config: &Path, data: &Path) -> (KillOnDrop, String) {
    start_belfort_server(&[
        "serve".as_ref(),
        "--config".as_ref(),
        config.as_os_str(),
        "--data".as_ref(),
        data.as_os_str(),
    ])
}

fn sparql_rows(address: &str, query: &str) -> Vec<String> {
    let answer: serde_json::Value = reqwest::blocking::Client::new()
        .post(format!("{address}/sparql"))
        .header("Content-Type", "application/sparql-query")
        .header("Accept", "application/sparql-results+json")
        .body(query.to_owned())
        .send()
        .unwrap()
        .json()
        .unwrap();
    sorted_rows(
        answer["results"]["bindings"]
            .as_array()
            .unwrap_or_else(|| panic!("no bindings for {query}: {answer}"))
            .iter()
            .map(|b| {
                b.as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), json_term(v)))
                    .collect()
            })
            .collect(),
    )
}

fn ldes_members(address: &str) -> BTreeSet<String> {
    let answer: serde_json::Value = serde_json::from_slice(&run_judge(
        "ldes_replicate.mjs",
        &[OsStr::new(&format!("{address}/ldes/all"))],
    ))
    .unwrap();
    assert_eq!(answer["incomplete"], serde_json::json!([]), "{address}");
    answer["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

/// Configurations of Belfort on `engine` and on an embedded store, with one base IRI, and
/// their data directories: `[remote, embedded, remote data, embedded data]`.
/// Shapes stricter than the published model, so that the demo data has results: a value
/// cap, and a cap on a sensor's observations found backwards from the sensor.
const STRICT_SHAPES: &str = "@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix sosa: <http://www.w3.org/ns/sosa/> .
<urn:x-test:Values> sh:targetClass sosa:Observation ;
    sh:property [ sh:path sosa:hasSimpleResult ; sh:maxInclusive 100 ] .
<urn:x-test:Sensors> sh:targetObjectsOf sosa:madeBySensor ;
    sh:property [ sh:path [ sh:inversePath sosa:madeBySensor ] ; sh:maxCount 20 ] .
";

/// A JSON validation report's results as sorted lines (blank shape labels left out).
fn report_lines(json: &[u8]) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_slice(json).unwrap();
    let mut lines: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {}",
                r["focusNode"], r["sourceConstraintComponent"], r["resultPath"], r["value"]
            )
        })
        .collect();
    lines.sort();
    lines
}

fn both_stores(dir: &Path, engine: &Virtuoso) -> [PathBuf; 4] {
    let base = "https://data.example.org/id/";
    [
        write_config(dir, "remote", base, Some(engine)),
        write_config(dir, "embedded", base, None),
        dir.join("remote"),
        dir.join("embedded"),
    ]
}

#[test]
fn belfort_on_virtuoso_answers_like_belfort_on_its_embedded_store() {
    let engine = Virtuoso::start();
    let dir = tempfile::tempdir().unwrap();
    let [remote, embedded, remote_data, embedded_data] = both_stores(dir.path(), &engine);
    for (config, data) in [(&remote, &remote_data), (&embedded, &embedded_data)] {
        let harvest = belfort(config, data, &["harvest"]);
        assert!(
            harvest.status.success(),
            "{}",
            String::from_utf8_lossy(&harvest.stderr)
        );
        assert_eq!(observations(config, data), DEMO_OBSERVATIONS);
    }

    // Validation streamed over each store, in small batches: the same report.
    let shapes = dir.path().join("strict.ttl");
    std::fs::write(&shapes, STRICT_SHAPES).unwrap();
    let reports = [(&remote, &remote_data), (&embedded, &embedded_data)].map(|(config, data)| {
        let out = belfort(
            config,
            data,
            &[
                "validate",
                "--shapes",
                shapes.to_str().unwrap(),
                "--format",
                "json",
                "--store",
                "--batch",
                "100",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        report_lines(&out.stdout)
    });
    assert!(reports[1].len() > 10, "the strict shapes find something");
    assert_eq!(
        reports[0], reports[1],
        "the engine's report equals the embedded store's"
    );

    let (first, first_address) = serve(&remote, &remote_data);
    let (_second, second_address) = serve(&remote, &remote_data);
    let (_embedded_server, embedded_address) = serve(&embedded, &embedded_data);

    // SPARQL: the researcher's questions get the same answers.
    for body in RESEARCHER_QUERIES {
        let query = format!("{PREFIXES}{body}");
        let expected = sparql_rows(&embedded_address, &query);
        assert!(!expected.is_empty(), "{body}");
        assert_eq!(sparql_rows(&first_address, &query), expected, "{body}");
    }

    // Fragments: Comunica over the remote store's fragments finds the embedded store's answers.
    for (index, body) in RESEARCHER_QUERIES.iter().take(4).enumerate() {
        let query = format!("{PREFIXES}{body}");
        let file = dir.path().join(format!("query-{index}.rq"));
        std::fs::write(&file, &query).unwrap();
        let found = sorted_rows(
            serde_json::from_slice(&run_judge(
                "comunica_select.mjs",
                &[
                    OsStr::new(&format!("{first_address}/fragments")),
                    file.as_os_str(),
                ],
            ))
            .unwrap(),
        );
        assert_eq!(found, sparql_rows(&embedded_address, &query), "{body}");
    }

    // Event streams: ldes-client gets the same members, every observation once.
    let members = ldes_members(&first_address);
    assert_eq!(members.len() as u64, DEMO_OBSERVATIONS);
    assert_eq!(members, ldes_members(&embedded_address));

    // Replication into the engine: another government's Belfort (its own base IRI, so its own
    // graphs in the same engine) follows the embedded server's stream and holds every member.
    let replica = write_config(
        dir.path(),
        "replica",
        "https://replica.example.org/id/",
        Some(&engine),
    );
    let replicated = belfort(
        &replica,
        &dir.path().join("replica"),
        &[
            "replicate",
            &format!("{embedded_address}/ldes/all"),
            "--allow-private-addresses",
        ],
    );
    assert!(
        replicated.status.success(),
        "{}",
        String::from_utf8_lossy(&replicated.stderr)
    );
    assert_eq!(
        observations(&replica, &dir.path().join("replica")),
        DEMO_OBSERVATIONS
    );

    // Two servers over one engine: what is ingested is served by both, and killing one
    // loses nothing.
    let extra = crate::manifest_dir().join("../../fixtures/telraam/reports_traffic_dirty.json");
    let ingest = belfort(
        &remote,
        &remote_data,
        &["ingest", "--feed", "gent/telraam", extra.to_str().unwrap()],
    );
    assert!(
        ingest.status.code() == Some(0) || ingest.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&ingest.stderr)
    );
    let count = format!("{PREFIXES}{}", super::COUNT_OBSERVATIONS);
    let after = sparql_rows(&second_address, &count);
    assert_eq!(after, sparql_rows(&first_address, &count));
    assert_ne!(
        after,
        sparql_rows(&embedded_address, &count),
        "the ingest added observations"
    );
    drop(first);
    assert_eq!(sparql_rows(&second_address, &count), after);
    assert_eq!(
        ldes_members(&second_address).len() as u64,
        observations(&remote, &remote_data)
    );
}

#[test]
fn an_embedded_store_exported_and_imported_into_the_engine_serves_the_same_data() {
    let engine = Virtuoso::start();
    let dir = tempfile::tempdir().unwrap();
    let [remote, embedded, remote_data, embedded_data] = both_stores(dir.path(), &engine);
    let harvest = belfort(&embedded, &embedded_data, &["harvest"]);
    assert!(
        harvest.status.success(),
        "{}",
        String::from_utf8_lossy(&harvest.stderr)
    );
    let export = belfort(&embedded, &embedded_data, &["export"]);
    assert!(export.status.success());
    let dump = dir.path().join("store.nq");
    std::fs::write(&dump, &export.stdout).unwrap();

    for _ in 0..2 {
        let import = belfort(&remote, &remote_data, &["import", dump.to_str().unwrap()]);
        assert!(
            import.status.success(),
            "{}",
            String::from_utf8_lossy(&import.stderr)
        );
        assert_eq!(observations(&remote, &remote_data), DEMO_OBSERVATIONS);
    }
    // The members came with the dump: nothing is left to file into the streams.
    let reindex = belfort(&remote, &remote_data, &["reindex"]);
    let stderr = String::from_utf8_lossy(&reindex.stderr);
    assert!(stderr.contains("0 observations filed"), "{stderr}");
    // Exported back out of the engine: every quad once, none lost, none added (the engine
    // may write some literals in its own canonical form, so quads are counted).
    let back = belfort(&remote, &remote_data, &["export"]);
    assert!(back.status.success());
    let lines = |bytes: &[u8]| String::from_utf8_lossy(bytes).lines().count();
    assert_eq!(lines(&back.stdout), lines(&export.stdout));

    let (_remote_server, remote_address) = serve(&remote, &remote_data);
    let (_embedded_server, embedded_address) = serve(&embedded, &embedded_data);
    for body in RESEARCHER_QUERIES {
        let query = format!("{PREFIXES}{body}");
        assert_eq!(
            sparql_rows(&remote_address, &query),
            sparql_rows(&embedded_address, &query),
            "{body}"
        );
    }
    // The event streams came along: the same members, and ingest goes on from them.
    assert_eq!(
        ldes_members(&remote_address),
        ldes_members(&embedded_address)
    );
}

#[test]
fn observations_imported_into_the_engine_without_their_streams_are_filed_by_reindex() {
    let engine = Virtuoso::start();
    let dir = tempfile::tempdir().unwrap();
    let [remote, embedded, remote_data, embedded_data] = both_stores(dir.path(), &engine);
    let telraam = crate::manifest_dir().join("../../fixtures/telraam/reports_traffic_clean.json");
    let ingest = belfort(
        &embedded,
        &embedded_data,
        &[
            "ingest",
            "--feed",
            "gent/telraam",
            telraam.to_str().unwrap(),
        ],
    );
    assert!(ingest.status.success());
    let export = belfort(&embedded, &embedded_data, &["export"]);
    let dump = dir.path().join("old.nq");
    std::fs::write(&dump, super::without_event_streams(&export.stdout)).unwrap();
    let import = belfort(&remote, &remote_data, &["import", dump.to_str().unwrap()]);
    assert!(import.status.success());

    for filed in [338, 0] {
        let reindex = belfort(&remote, &remote_data, &["reindex"]);
        let stderr = String::from_utf8_lossy(&reindex.stderr);
        assert!(reindex.status.success(), "{stderr}");
        assert!(
            stderr.contains(&format!("{filed} observations filed")),
            "{stderr}"
        );
    }
    let (_server, address) = serve(&remote, &remote_data);
    assert_eq!(ldes_members(&address).len(), 338);
}

#[test]
fn a_kill_9_mid_remote_batch_shows_none_or_all_and_the_rerun_leaves_one_copy() {
    let engine = Virtuoso::start();
    let dir = tempfile::tempdir().unwrap();
    let records = 2_000_u64;
    let payload = super::write_large_payload(dir.path(), records);
    let expected = records * 5;
    let ingest_args = [
        "ingest",
        "--feed",
        "gent/telraam",
        payload.to_str().unwrap(),
    ];

    // A clean run, for the time an ingest takes and the quads it leaves.
    let probe = write_config(
        dir.path(),
        "probe",
        "https://probe.example.org/id/",
        Some(&engine),
    );
    let started = Instant::now();
    assert!(belfort(&probe, dir.path(), &ingest_args).status.success());
    let full = started.elapsed();
    assert_eq!(observations(&probe, dir.path()), expected);
    let clean_quads = belfort(&probe, dir.path(), &["export", "--format", "nq"])
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();

    for delay in [30_u32, 60, 90] {
        // Each attempt in its own part of the engine (its own base IRI and so its own graphs).
        let base = format!("https://kill-{delay}.example.org/id/");
        let config = write_config(dir.path(), &format!("kill-{delay}"), &base, Some(&engine));
        let mut child = Command::new(env!("CARGO_BIN_EXE_belfort"))
            .args(ingest_args)
            .arg("--config")
            .arg(&config)
            .arg("--data")
            .arg(dir.path())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(
            full.mul_f64(f64::from(delay) / 100.0)
                .min(Duration::from_secs(60)),
        );
        child.kill().unwrap(); // SIGKILL: kill -9
        child.wait().unwrap();
        let found = observations(&config, dir.path());
        assert!(
            found == 0 || found == expected,
            "after a kill at {delay}%: {found} of {expected} observations visible"
        );
        // The re-run completes the batch, once.
        let rerun = belfort(&config, dir.path(), &ingest_args);
        assert!(
            rerun.status.success(),
            "{}",
            String::from_utf8_lossy(&rerun.stderr)
        );
        assert_eq!(observations(&config, dir.path()), expected);
        let quads = belfort(&config, dir.path(), &["export", "--format", "nq"])
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(quads, clean_quads, "after a kill at {delay}% and a re-run");
    }
}

#[test]
fn two_harvests_at_once_into_one_engine_file_every_observation_once_in_pages_that_keep_their_size()
{
    let engine = Virtuoso::start();
    let dir = tempfile::tempdir().unwrap();
    let base = "https://data.example.org/id/";
    let config = write_config(dir.path(), "remote", base, Some(&engine));
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[event_streams]\npage_size = 5\n");
    std::fs::write(&config, text).unwrap();
    // The same feeds, harvested at the same moment by two processes with data directories of
    // their own, as from two machines.
    let harvests: Vec<_> = (0..2)
        .map(|writer| {
            Command::new(env!("CARGO_BIN_EXE_belfort"))
                .arg("harvest")
                .arg("--config")
                .arg(&config)
                .arg("--data")
                .arg(dir.path().join(format!("writer-{writer}")))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for harvest in harvests {
        let output = harvest.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert_eq!(
        observations(&config, &dir.path().join("writer-0")),
        DEMO_OBSERVATIONS
    );
    // The member index in the engine: every observation on one page of the stream of
    // everything, and no page above its size.
    let pages: Vec<u64> = engine
        .select_rows(&format!(
            "SELECT ?page (COUNT(?member) AS ?members) WHERE {{ GRAPH ?index {{ ?page <https://w3id.org/tree#member> ?member }} FILTER(STRSTARTS(STR(?page), \"{base}ldes/all/\")) }} GROUP BY ?page"
        ))
        .iter()
        .map(|row| row[1].parse().unwrap())
        .collect();
    assert!(pages.iter().all(|members| *members <= 5), "{pages:?}");
    assert_eq!(pages.iter().sum::<u64>(), DEMO_OBSERVATIONS, "{pages:?}");
}
