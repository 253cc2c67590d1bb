//! The `belfort` binary end to end: ingest, query, export, exit codes, and crash atomicity.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod event_streams;
mod fetching;
mod ingest_report;
mod remote_store;
mod validate;

/// This crate's directory, as `cargo test` gives it when the test runs: a path compiled in
/// goes stale when one build directory serves checkouts at several paths.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
}

/// Observations of the bundled demo: Telraam, sensor.community (2 feeds), IRCEL-CELINE,
/// SensorThings, Opendatasoft and DATEX II parking, Telraam live, bike counter, park and ride,
/// Leuven noise, CurieuzeNeuzen, MIV.
const DEMO_OBSERVATIONS: u64 = 338 + 38 + 60 + 32 + 24 + 18 + 12 + 5 + 36 + 15 + 160 + 30 + 35;

const COUNT_OBSERVATIONS: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }";

/// Runs an npm judge (`tests/judges/SCRIPT`, over Comunica or `ldes-client`) with node and
/// returns its standard output; a judge that fails fails the test with its standard error.
fn run_judge(script: &str, args: &[&OsStr]) -> Vec<u8> {
    let judges = manifest_dir().join("tests/judges");
    assert!(
        judges.join("node_modules").is_dir(),
        "the npm judges are missing: run `npm ci` in {} (.ci/run does)",
        judges.display()
    );
    let output = Command::new("node")
        .arg(judges.join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("../../fixtures").join(name)
}

fn belfort(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_belfort"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("BELFORT_CONFIG")
        .output()
        .unwrap()
}

fn ingest(data: &Path, files: &[PathBuf]) -> Output {
    let mut args = vec!["ingest", "--feed", "gent/telraam"];
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    belfort(data, &args)
}

fn observation_count(data: &Path) -> u64 {
    let output = belfort(data, &["query", "--format", "csv", COUNT_OBSERVATIONS]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    text.lines().nth(1).unwrap().trim().parse().unwrap()
}

/// An N-Quads dump as the store was before the event streams: without the member index and
/// without publication times.
fn without_event_streams(nquads: &[u8]) -> String {
    String::from_utf8_lossy(nquads)
        .lines()
        .filter(|line| {
            !line.ends_with("<https://data.example.org/id/graph/ldes> .")
                && !line.contains("<http://purl.org/dc/terms/issued>")
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

fn quad_count(data: &Path) -> usize {
    let output = belfort(data, &["export", "--format", "nq"]);
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap().lines().count()
}

#[test]
fn ingest_then_query_gives_the_expected_count_twice() {
    let data = tempfile::tempdir().unwrap();
    let clean = fixture("telraam/reports_traffic_clean.json");
    let first = ingest(data.path(), std::slice::from_ref(&clean));
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(observation_count(data.path()), 338);
    let quads = quad_count(data.path());
    let second = ingest(data.path(), &[clean]);
    assert_eq!(second.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&second.stderr).contains("0 new, 338 already known"));
    assert_eq!(observation_count(data.path()), 338);
    assert_eq!(
        quad_count(data.path()),
        quads,
        "re-ingesting adds no triple at all"
    );
}

#[test]
fn an_exported_store_imports_whole_into_another_and_a_second_import_adds_nothing() {
    let source = tempfile::tempdir().unwrap();
    let telraam = fixture("telraam/reports_traffic_clean.json");
    assert!(ingest(source.path(), &[telraam]).status.success());
    let export = belfort(source.path(), &["export"]);
    assert!(export.status.success());
    let dump = source.path().join("store.nq");
    std::fs::write(&dump, &export.stdout).unwrap();
    let quads = export.stdout.iter().filter(|b| **b == b'\n').count();

    let target = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let import = belfort(target.path(), &["import", dump.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&import.stderr);
        assert!(import.status.success(), "{stderr}");
        assert!(
            stderr.contains(&format!("{quads} quads imported")),
            "{stderr}"
        );
        assert_eq!(quad_count(target.path()), quads);
        assert_eq!(observation_count(target.path()), 338);
    }
    // The imported store goes on like the old one: the same payload again is all known.
    let again = ingest(
        target.path(),
        &[fixture("telraam/reports_traffic_clean.json")],
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 new, 338 already known"));
    assert_eq!(quad_count(target.path()), quads);

    // A dump with a blank node is refused whole, and says where.
    let blank = source.path().join("blank.nq");
    std::fs::write(
        &blank,
        "<http://e/a> <http://e/p> \"1\" <http://e/g> .\n<http://e/b> <http://e/p> _:x .\n",
    )
    .unwrap();
    let refused = belfort(target.path(), &["import", blank.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("quad 2 has the blank node _:x"), "{stderr}");
    assert_eq!(quad_count(target.path()), quads);
    let unknown = belfort(target.path(), &["import", "store.dump"]);
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("give --format"), "{stderr}");
}

#[test]
fn observations_imported_without_their_streams_are_filed_by_reindex_once() {
    let source = tempfile::tempdir().unwrap();
    assert!(
        ingest(
            source.path(),
            &[fixture("telraam/reports_traffic_clean.json")]
        )
        .status
        .success()
    );
    let export = belfort(source.path(), &["export"]);
    let dump = source.path().join("old.nq");
    std::fs::write(&dump, without_event_streams(&export.stdout)).unwrap();
    let target = tempfile::tempdir().unwrap();
    assert!(
        belfort(target.path(), &["import", dump.to_str().unwrap()])
            .status
            .success()
    );
    let memberships = |data: &Path| {
        let output = belfort(
            data,
            &[
                "query",
                "--format",
                "csv",
                "SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?o) AS ?members) WHERE { GRAPH <https://data.example.org/id/graph/ldes> { ?page <https://w3id.org/tree#member> ?o } }",
            ],
        );
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(
        memberships(target.path()).contains("\n0,0"),
        "{}",
        memberships(target.path())
    );

    let reindex = belfort(target.path(), &["reindex"]);
    let stderr = String::from_utf8_lossy(&reindex.stderr);
    assert!(reindex.status.success(), "{stderr}");
    assert!(stderr.contains("338 observations filed"), "{stderr}");
    // Each in the stream of everything and in Ghent's traffic stream, with its publication time.
    assert!(
        memberships(target.path()).contains("\n676,338"),
        "{}",
        memberships(target.path())
    );
    let issued = belfort(
        target.path(),
        &[
            "query",
            "--format",
            "csv",
            "SELECT (COUNT(*) AS ?n) WHERE { ?o <http://purl.org/dc/terms/issued> ?t }",
        ],
    );
    assert!(String::from_utf8_lossy(&issued.stdout).contains("\n338"));
    let again = belfort(target.path(), &["reindex"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 observations filed"));
    assert!(memberships(target.path()).contains("\n676,338"));
}

#[test]
fn dirty_payload_quarantines_with_exit_1_and_keeps_the_rest() {
    let data = tempfile::tempdir().unwrap();
    let output = ingest(
        data.path(),
        &[fixture("telraam/reports_traffic_dirty.json")],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("quarantined: feed gent/telraam, record /report/19, field date"),
        "{stderr}"
    );
    assert!(observation_count(data.path()) > 100);
    let query = "SELECT (COUNT(*) AS ?n) WHERE { ?r a <https://w3id.org/belfort/ns#QuarantinedRecord> ; \
                 <https://w3id.org/belfort/ns#rawRecord> ?raw ; <https://w3id.org/belfort/ns#reason> ?why }";
    let output = belfort(data.path(), &["query", "--format", "csv", query]);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim(),
        "14"
    );
}

#[test]
fn a_batch_that_fails_half_way_leaves_no_trace() {
    let data = tempfile::tempdir().unwrap();
    let broken = data.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\"status_code\":200,\"report\":[{\"segment_id\":1,",
    )
    .unwrap();
    let output = ingest(
        data.path(),
        &[fixture("telraam/reports_traffic_clean.json"), broken],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("gent/telraam")
            && stderr.contains("broken.json")
            && stderr.contains("line 1"),
        "{stderr}"
    );
    assert_eq!(observation_count(data.path()), 0);
    assert_eq!(quad_count(data.path()), 0);
}

#[test]
fn unknown_feed_and_missing_file_are_input_errors() {
    let data = tempfile::tempdir().unwrap();
    let output = belfort(data.path(), &["ingest", "--feed", "gent/nope", "x.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("gent/telraam"),
        "lists the configured feeds"
    );
    let output = ingest(data.path(), &[data.path().join("missing.json")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.json"));
    let output = belfort(data.path(), &["query", "SELECT WHERE {"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn demo_harvests_every_bundled_feed() {
    let data = tempfile::tempdir().unwrap();
    let output = belfort(data.path(), &["demo", "--harvest-only"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("gent/telraam: 26 records"));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("antwerpen/sensor-community: 16 records")
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("brussel/irceline: 36 records"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("brugge/sensorthings: 27 records"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("gent/parking-garages: 6 records"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("gent/parking-datex2: 12 records"));
    assert!(String::from_utf8_lossy(&output.stderr).contains("gent/telraam-live: 4 records"));
    for csv_feed in [
        "gent/bike-counter-coupure: 36 records, 36 observations",
        "gent/park-and-ride: 5 records, 15 observations",
        "leuven/noise-naamsestraat: 40 records, 160 observations",
        "vlaanderen/curieuzeneuzen-2018: 30 records, 30 observations",
        "vlaanderen/miv: 12 records, 35 observations",
    ] {
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(csv_feed),
            "{csv_feed}"
        );
    }
    assert_eq!(observation_count(data.path()), DEMO_OBSERVATIONS);
}

#[test]
fn every_observation_traces_to_its_archived_payload() {
    let data = tempfile::tempdir().unwrap();
    ingest(
        data.path(),
        &[fixture("telraam/reports_traffic_clean.json")],
    );
    let query = "SELECT DISTINCT ?sha WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> ; \
                 <http://www.w3.org/ns/prov#wasDerivedFrom> ?p . ?p <https://w3id.org/belfort/ns#sha256> ?sha }";
    let output = belfort(data.path(), &["query", "--format", "tsv", query]);
    let text = String::from_utf8(output.stdout).unwrap();
    let sha = text
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .trim_matches('"')
        .to_owned();
    let archived = data
        .path()
        .join("archive/sha256")
        .join(&sha[..2])
        .join(&sha);
    let bytes = std::fs::read(archived).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(fixture("telraam/reports_traffic_clean.json")).unwrap()
    );
}

/// External judge: pySHACL checks the published observations against `shapes/observation.ttl`.
#[test]
fn published_observations_conform_to_the_observation_shape_by_pyshacl() {
    let data = tempfile::tempdir().unwrap();
    let demo = belfort(data.path(), &["demo", "--harvest-only"]);
    assert!(
        demo.status.success(),
        "the demo harvests every bundled feed"
    );
    let dump = data.path().join("dump.nq");
    let output = belfort(data.path(), &["export", "--format", "nq"]);
    std::fs::write(&dump, output.stdout).unwrap();
    let root = manifest_dir();
    let judged = Command::new("python3")
        .arg(root.join("tests/judges/pyshacl_conforms.py"))
        .arg(&dump)
        .arg(root.join("../../shapes/observation.ttl"))
        .output()
        .expect("python3 runs (pySHACL: pip install pyshacl, as .ci/run does)");
    let report = String::from_utf8_lossy(&judged.stdout);
    let errors = String::from_utf8_lossy(&judged.stderr);
    assert!(
        judged.status.success(),
        "pySHACL says the data does not conform:\n{report}\n{errors}"
    );
    assert!(report.contains("conforms=True"), "{report}");
}

/// A synthetic Telraam payload of `records` records (five observations each), written by the
/// ingest benchmark's generator into `dir`.
fn write_large_payload(dir: &Path, records: u64) -> PathBuf {
    let payload = dir.join("large.json");
    let status = Command::new(env!("CARGO_BIN_EXE_belfort-ingest-bench"))
        .args([
            "--write-payload",
            payload.to_str().unwrap(),
            &records.to_string(),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    payload
}

/// Kills `belfort ingest` at several moments during one large batch; each time the store
/// holds none or all of it.
fn kill_during_ingest_finds_none_or_all(records: u64, delays_ms: &[u64]) {
    let dir = tempfile::tempdir().unwrap();
    let payload = write_large_payload(dir.path(), records);
    let expected = records * 5;
    // How long a whole ingest takes, to spread the kills over it.
    let probe = dir.path().join("probe");
    let started = Instant::now();
    assert!(
        ingest(&probe, std::slice::from_ref(&payload))
            .status
            .success()
    );
    let full = started.elapsed();
    assert_eq!(observation_count(&probe), expected);
    for &delay in delays_ms {
        let data = dir.path().join(format!("killed-{delay}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_belfort"))
            .args(["ingest", "--feed", "gent/telraam", "--data"])
            .arg(&data)
            .arg(&payload)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let wait = full.mul_f64(delay as f64 / 100.0);
        std::thread::sleep(wait.min(Duration::from_secs(60)));
        child.kill().unwrap(); // SIGKILL on Unix: kill -9
        child.wait().unwrap();
        let found = observation_count(&data);
        assert!(
            found == 0 || found == expected,
            "after a kill at {delay}% of the ingest: {found} of {expected}"
        );
    }
}

#[test]
fn kill_9_during_a_bulk_batch_leaves_none_or_all_of_it() {
    // 40 000 reports = 200 000 observations ≈ 2.6 M quads: the atomic SST-ingestion path.
    kill_during_ingest_finds_none_or_all(40_000, &[30, 60, 85, 95]);
}

#[test]
fn kill_9_during_a_transactional_batch_leaves_none_or_all_of_it() {
    // 200 reports = 1 000 observations ≈ 13 000 quads: the write-batch path.
    kill_during_ingest_finds_none_or_all(200, &[40, 80, 95]);
}

/// Kills the child process when the test ends, however it ends.
pub(crate) struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `belfort demo` on a free port; returns the process and the printed address.
fn start_demo(data: &Path) -> (KillOnDrop, String) {
    start_server("demo", data)
}

/// Runs `belfort COMMAND` (demo or serve) on a free port; returns it and its address.
pub(crate) fn start_server(command: &str, data: &Path) -> (KillOnDrop, String) {
    start_belfort_server(&[command.as_ref(), "--data".as_ref(), data.as_os_str()])
}

/// Runs `belfort ARGS --bind 127.0.0.1:0` (a command that serves and prints its address
/// first); returns the process and the address.
fn start_belfort_server(args: &[&OsStr]) -> (KillOnDrop, String) {
    start_belfort_server_at(args, "127.0.0.1:0")
}

/// Runs `belfort ARGS --bind BIND`; returns the process and the address it printed.
pub(crate) fn start_belfort_server_at(args: &[&OsStr], bind: &str) -> (KillOnDrop, String) {
    use std::io::BufRead;
    let mut child = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_belfort"))
            .args(args)
            .args(["--bind", bind])
            .env_remove("BELFORT_CONFIG")
            .env_remove("BELFORT_BIND")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let mut address = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut address)
        .unwrap();
    let address = address.trim().trim_end_matches('/').to_owned();
    assert!(address.starts_with("http://127.0.0.1:"), "{address:?}");
    (child, address)
}

#[test]
fn demo_serves_what_it_harvested_and_prints_the_address() {
    let data = tempfile::tempdir().unwrap();
    let (_demo, address) = start_demo(data.path());
    let client = reqwest::blocking::Client::new();
    assert_eq!(
        client
            .get(format!("{address}/health"))
            .send()
            .unwrap()
            .status(),
        200
    );
    let answer: serde_json::Value = client
        .get(format!("{address}/sparql"))
        .header("Accept", "application/sparql-results+json")
        .query(&[("query", COUNT_OBSERVATIONS)])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        answer["results"]["bindings"][0]["n"]["value"],
        DEMO_OBSERVATIONS.to_string()
    );
    let fragment = client
        .get(format!("{address}/fragments"))
        .header("Accept", "text/turtle")
        .send()
        .unwrap();
    assert_eq!(fragment.status(), 200);
    assert!(fragment.text().unwrap().contains("hydra:totalItems"));
    // The catalogue: one dataset per feed, dated by its latest harvest.
    let catalogue = client
        .get(format!("{address}/"))
        .header("Accept", "application/n-triples")
        .send()
        .unwrap()
        .text()
        .unwrap();
    for feed in [
        "gent/telraam",
        "antwerpen/sensor-community",
        "antwerpen/sensor-community-archive",
    ] {
        assert!(
            catalogue.contains(&format!(
                "<https://data.example.org/id/feed/{feed}> <http://purl.org/dc/terms/modified> \""
            )),
            "{feed} has no dct:modified in {catalogue}"
        );
    }
    // The verdict is published: the runs' reports, a feed's latest report, a sensor's flags
    // (the demo's fixtures are the clean ones, so every report conforms).
    let get = |path: &str, accept: &str| {
        client
            .get(format!("{address}{path}"))
            .header("Accept", accept)
            .send()
            .unwrap()
    };
    let runs = get("/quality", "application/n-triples").text().unwrap();
    assert_eq!(
        runs.matches("<http://www.w3.org/ns/shacl#ValidationReport>")
            .count(),
        13,
        "{runs}"
    );
    let telraam = get("/quality/gent/telraam", "text/turtle");
    assert_eq!(telraam.status(), 200);
    let telraam = telraam.text().unwrap();
    assert!(telraam.contains("sh:conforms true"), "{telraam}");
    let sensor = get("/quality/sensor/telraam/348917", "text/html");
    assert_eq!(sensor.status(), 200);
    assert!(sensor.text().unwrap().contains("0 quality annotations"));
    assert_eq!(get("/quality/gent", "text/html").status(), 200);
    assert_eq!(
        get("/quality/gent/no-such-feed", "text/turtle").status(),
        404
    );
    assert_eq!(
        get("/quality/sensor/telraam/no-such-sensor", "text/turtle").status(),
        404
    );
}

const PREFIXES: &str = "PREFIX sosa: <http://www.w3.org/ns/sosa/>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX qudt: <http://qudt.org/schema/qudt/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX bf: <https://w3id.org/belfort/ns#>
PREFIX id: <https://data.example.org/id/>
PREFIX pollutant: <http://dd.eionet.europa.eu/vocabulary/aq/pollutant/>
PREFIX property: <https://w3id.org/belfort/property/>
";

/// Questions a policy researcher asks: per city, per property, per sensor, per day.
const RESEARCHER_QUERIES: &[&str] = &[
    // Every PM2.5 value.
    "SELECT ?o ?v WHERE { ?o sosa:observedProperty pollutant:6001 ; sosa:hasSimpleResult ?v }",
    // One sensor's readings with their times.
    "SELECT ?o ?v ?t WHERE { ?o sosa:madeBySensor <https://data.example.org/id/sensor/sensor-community/31415> ; sosa:hasSimpleResult ?v ; sosa:resultTime ?t }",
    // The sensors of a city.
    "SELECT ?s WHERE { ?s bf:city <https://data.example.org/id/city/antwerpen> ; a sosa:Sensor }",
    // What is measured in Gent, per observation.
    "SELECT ?o ?p WHERE { ?s bf:city <https://data.example.org/id/city/gent> . ?o sosa:madeBySensor ?s ; sosa:observedProperty ?p }",
    // Car counts per road segment.
    "SELECT ?o ?v ?f WHERE { ?o sosa:observedProperty property:traffic-count-car ; sosa:hasSimpleResult ?v ; sosa:hasFeatureOfInterest ?f }",
    // Readings of one day, through the phenomenon time's beginning.
    "SELECT ?o ?t WHERE { ?o sosa:phenomenonTime ?i . ?i time:hasBeginning ?b . ?b time:inXSDDateTimeStamp ?t FILTER(STRSTARTS(STR(?t), \"2024-01-15\")) }",
    // Feeds, their cities and the cities' names.
    "SELECT ?feed ?city ?name WHERE { ?feed a bf:Feed ; bf:city ?city . ?city rdfs:label ?name }",
    // What one sensor observes.
    "SELECT ?p WHERE { <https://data.example.org/id/sensor/sensor-community/31415> sosa:observes ?p }",
    // Where the features of interest are.
    "SELECT ?f ?wkt WHERE { ?f geo:hasGeometry ?g . ?g geo:asWKT ?wkt }",
    // Values with their units, for PM10.
    "SELECT ?o ?n ?u WHERE { ?o sosa:observedProperty pollutant:5 ; sosa:hasResult ?r . ?r qudt:numericValue ?n ; qudt:hasUnit ?u }",
    // When every observation was made, and by which sensor (both patterns span many pages:
    // a client binding one into the other reads all pages of the first).
    "SELECT ?o ?s ?t WHERE { ?o sosa:madeBySensor ?s ; sosa:resultTime ?t }",
    // Every observation of a city's sensors with the payload it came from.
    "SELECT ?o ?payload WHERE { ?s bf:city <https://data.example.org/id/city/antwerpen> . ?o sosa:madeBySensor ?s ; prov:wasDerivedFrom ?payload . ?payload a bf:Payload }",
];

/// A SPARQL JSON term in the form the Comunica driver prints.
fn json_term(value: &serde_json::Value) -> String {
    let text = value["value"].as_str().unwrap();
    match value["type"].as_str().unwrap() {
        "uri" => format!("<{text}>"),
        "bnode" => format!("_:{text}"),
        _ => {
            let quoted = serde_json::to_string(text).unwrap();
            if let Some(language) = value["xml:lang"].as_str() {
                format!("{quoted}@{language}")
            } else {
                match value["datatype"].as_str() {
                    Some(dt) if dt != "http://www.w3.org/2001/XMLSchema#string" => {
                        format!("{quoted}^^<{dt}>")
                    }
                    _ => quoted,
                }
            }
        }
    }
}

fn sorted_rows(rows: Vec<std::collections::BTreeMap<String, String>>) -> Vec<String> {
    let mut rows: Vec<String> = rows.into_iter().map(|r| format!("{r:?}")).collect();
    rows.sort();
    rows
}

#[test]
fn comunica_over_the_fragments_agrees_with_the_sparql_endpoint() {
    let data = tempfile::tempdir().unwrap();
    let (_demo, address) = start_demo(data.path());
    let client = reqwest::blocking::Client::new();
    for (index, body) in RESEARCHER_QUERIES.iter().enumerate() {
        let query = format!("{PREFIXES}{body}");
        let expected: serde_json::Value = client
            .post(format!("{address}/sparql"))
            .header("Content-Type", "application/sparql-query")
            .header("Accept", "application/sparql-results+json")
            .body(query.clone())
            .send()
            .unwrap()
            .json()
            .unwrap();
        let expected = sorted_rows(
            expected["results"]["bindings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    b.as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), json_term(v)))
                        .collect()
                })
                .collect(),
        );
        let file = data.path().join(format!("query-{index}.rq"));
        std::fs::write(&file, &query).unwrap();
        assert!(!expected.is_empty(), "query {index} has no answer: {body}");
        // As plain fragments, and as bindings-restricted ones (`values`).
        for mode in ["tpf", "brtpf"] {
            let fragments = format!("{address}/fragments");
            let output = run_judge(
                "comunica_select.mjs",
                &[OsStr::new(&fragments), file.as_os_str(), OsStr::new(mode)],
            );
            let actual = sorted_rows(serde_json::from_slice(&output).unwrap());
            let missing: Vec<&String> = expected.iter().filter(|r| !actual.contains(r)).collect();
            let extra: Vec<&String> = actual.iter().filter(|r| !expected.contains(r)).collect();
            assert!(
                actual == expected,
                "query {index} ({mode}): {body}\n{} rows, {} expected; missing {:#?}\nextra {:#?}",
                actual.len(),
                expected.len(),
                &missing[..missing.len().min(5)],
                &extra[..extra.len().min(5)]
            );
        }
    }
    // The bindings-restricted runs did send bindings.
    let metrics = client
        .get(format!("{address}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let restricted: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("belfort_restricted_fragment_requests_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(restricted > 10, "{metrics}");
}
