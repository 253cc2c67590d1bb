//! `belfort harvest` over real HTTP: feeds served by a local server that stands in for the
//! cities' APIs (conditional GETs with ETags, SensorThings next links, Opendatasoft offsets).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{belfort, fixture, observation_count};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    if_none_match: Option<String>,
}

/// What the server holds: a body per request target, a log of requests, and targets whose
/// first answer is held back.
#[derive(Default)]
struct Site {
    bodies: HashMap<String, Vec<u8>>,
    log: Vec<Seen>,
    hold_once: HashMap<String, Duration>,
    /// Every answer is held back this long (a slow API).
    delay: Duration,
    /// Requests being answered now, and the most at any one time.
    in_flight: usize,
    most_in_flight: usize,
}

/// A local HTTP/1.1 server for fixture payloads. Every body gets an ETag of its content; a
/// matching `If-None-Match` gets 304.
struct FeedServer {
    address: String,
    site: Arc<Mutex<Site>>,
}

impl FeedServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let site = Arc::new(Mutex::new(Site::default()));
        let shared = Arc::clone(&site);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let site = Arc::clone(&shared);
                std::thread::spawn(move || answer(stream, &site));
            }
        });
        Self { address, site }
    }

    fn put(&self, target: &str, body: Vec<u8>) {
        self.site
            .lock()
            .unwrap()
            .bodies
            .insert(target.to_owned(), body);
    }

    fn url(&self, target: &str) -> String {
        format!("{}{target}", self.address)
    }

    fn log(&self) -> Vec<Seen> {
        self.site.lock().unwrap().log.clone()
    }
}

impl FeedServer {
    /// Holds back every answer for `delay` and forgets the most concurrent requests seen.
    fn slow_down(&self, delay: Duration) {
        let mut site = self.site.lock().unwrap();
        site.delay = delay;
        site.most_in_flight = 0;
    }

    fn most_in_flight(&self) -> usize {
        self.site.lock().unwrap().most_in_flight
    }
}

fn etag_of(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

fn answer(stream: TcpStream, site: &Mutex<Site>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut if_none_match = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(value.trim().to_owned());
        }
    }
    let (body, hold) = {
        let mut site = site.lock().unwrap();
        site.log.push(Seen {
            target: target.clone(),
            if_none_match: if_none_match.clone(),
        });
        let hold = site.hold_once.remove(&target).or(Some(site.delay));
        site.in_flight += 1;
        site.most_in_flight = site.most_in_flight.max(site.in_flight);
        // A target with a query the site does not know is served its path's body.
        let body = site.bodies.get(&target).cloned().or_else(|| {
            let path = target.split('?').next().unwrap_or_default();
            site.bodies.get(path).cloned()
        });
        (body, hold)
    };
    if let Some(hold) = hold {
        std::thread::sleep(hold);
    }
    let mut stream = reader.into_inner();
    let response = match body {
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
        Some(body) => {
            let etag = etag_of(&body);
            if if_none_match.as_deref() == Some(etag.as_str()) {
                format!("HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n")
                    .into_bytes()
            } else {
                let mut head = format!(
                    "HTTP/1.1 200 OK\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                head.extend(body);
                head
            }
        }
    };
    // Done before the answer goes out: a client may ask again as soon as it has it.
    site.lock().unwrap().in_flight -= 1;
    let _ = stream.write_all(&response);
    let _ = stream.flush();
    // Drain what the client may still send before closing.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
    let _ = stream.read(&mut [0; 64]);
}

fn read_json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap()
}

/// Serves the fixtures of three feeds the way their APIs would, and writes a configuration
/// that harvests them from the server.
fn serve_feeds(server: &FeedServer, config_dir: &Path) {
    server.put(
        "/miv/configuratie/xml",
        std::fs::read(fixture("miv/miv_configuratie_sample.xml")).unwrap(),
    );
    server.put(
        "/miv/verkeersdata",
        std::fs::read(fixture("miv/miv_verkeersdata_clean.xml")).unwrap(),
    );
    // SensorThings: the Observations in two pages, joined by a relative next link.
    server.put(
        "/sta/Datastreams?$expand=Sensor,ObservedProperty,Thing/Locations",
        std::fs::read(fixture("sensorthings/datastreams_expanded_clean.json")).unwrap(),
    );
    let observations = read_json("sensorthings/observations_page_clean.json");
    let values = observations["value"].as_array().unwrap();
    let (first, rest) = values.split_at(12);
    let page = |values: &[serde_json::Value], next: Option<&str>| {
        let mut page =
            serde_json::json!({"@iot.count": values.len() + rest.len(), "value": values});
        if let Some(next) = next {
            page["@iot.nextLink"] = next.into();
        }
        serde_json::to_vec(&page).unwrap()
    };
    server.put(
        "/sta/Observations?$top=12",
        page(first, Some("Observations?$top=12&$skip=12")),
    );
    server.put("/sta/Observations?$top=12&$skip=12", page(rest, None));
    // Opendatasoft: six garages in pages of four.
    let garages = read_json("ghent/parkeergarages_v2.1_poll1_clean.json");
    let results = garages["results"].as_array().unwrap();
    for (offset, chunk) in [(0, &results[..4]), (4, &results[4..])] {
        server.put(
            &format!("/ods/records?limit=4&offset={offset}"),
            serde_json::to_vec(&serde_json::json!({"total_count": 6, "results": chunk})).unwrap(),
        );
    }
    write_config(
        config_dir,
        &[
            (
                "vlaanderen",
                format!(
                    "city = \"vlaanderen\"\nallow_private_addresses = true\n\n[feeds.miv]\nkind = \"miv-traffic\"\nurls = [{:?}, {:?}]\n",
                    server.url("/miv/configuratie/xml"),
                    server.url("/miv/verkeersdata?vanaf={watermark}"),
                ),
            ),
            (
                "brugge",
                format!(
                    "city = \"brugge\"\nallow_private_addresses = true\n\n[feeds.sensorthings]\nkind = \"sensorthings\"\nurls = [{:?}, {:?}]\n",
                    server.url("/sta/Datastreams?$expand=Sensor,ObservedProperty,Thing/Locations"),
                    server.url("/sta/Observations?$top=12"),
                ),
            ),
            (
                "gent",
                format!(
                    "city = \"gent\"\n\n[feeds.parking-garages]\nkind = \"opendatasoft-parking\"\nallow_private_addresses = true\nurls = [{:?}]\npaging = {{ kind = \"offset\", page_size = 4 }}\n",
                    server.url("/ods/records"),
                ),
            ),
        ],
    );
}

/// Writes `belfort.toml` and one `cities/CITY.toml` per entry into `config_dir`.
fn write_config(config_dir: &Path, cities: &[(&str, String)]) {
    let dir = config_dir.join("cities");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(config_dir.join("belfort.toml"), "cities_dir = \"cities\"\n").unwrap();
    for (city, text) in cities {
        std::fs::write(dir.join(format!("{city}.toml")), text).unwrap();
    }
}

/// Runs a harvest with the config in `config_dir`, checks its exit code, and returns its
/// standard error.
fn harvest_exiting(config_dir: &Path, data: &Path, code: i32) -> String {
    let config = config_dir.join("belfort.toml");
    let output = belfort(data, &["harvest", "--config", config.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    stderr
}

fn harvest(config_dir: &Path, data: &Path) -> String {
    harvest_exiting(config_dir, data, 0)
}

/// Runs a harvest that must end with exit code 2; returns its standard error.
fn harvest_refused(config_dir: &Path, data: &Path) -> String {
    harvest_exiting(config_dir, data, 2)
}

#[test]
fn harvest_fetches_over_http_follows_pages_and_skips_what_did_not_change() {
    let server = FeedServer::start();
    let config_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    serve_feeds(&server, config_dir.path());

    let first = harvest(config_dir.path(), data.path());
    for line in [
        "vlaanderen/miv: 12 records, 35 observations (35 new",
        "brugge/sensorthings: 27 records, 24 observations (24 new",
        "gent/parking-garages: 6 records, 18 observations (18 new",
    ] {
        assert!(first.contains(line), "{line}\n{first}");
    }
    assert_eq!(observation_count(data.path()), 35 + 24 + 18);
    let targets: Vec<String> = server.log().into_iter().map(|s| s.target).collect();
    assert!(targets.contains(&"/sta/Observations?$top=12&$skip=12".to_owned()));
    assert!(targets.contains(&"/ods/records?limit=4&offset=4".to_owned()));
    assert!(
        !targets.iter().any(|t| t.contains("offset=8")),
        "a short page is the last: {targets:?}"
    );

    // The first run asked from the initial watermark, the next asks from the newest result.
    assert!(
        targets.contains(&"/miv/verkeersdata?vanaf=1970-01-01T00%3A00%3A00Z".to_owned()),
        "{targets:?}"
    );

    // Nothing changed: MIV answers 304 to the validators of the first run.
    let served = server.log().len();
    let second = harvest(config_dir.path(), data.path());
    assert!(
        second.contains("vlaanderen/miv: not modified since the last run"),
        "{second}"
    );
    assert!(second.contains("brugge/sensorthings: 27 records, 24 observations (0 new"));
    let conditional: Vec<Seen> = server.log()[served..]
        .iter()
        .filter(|s| s.target.starts_with("/miv/"))
        .cloned()
        .collect();
    assert_eq!(conditional.len(), 2);
    assert!(
        conditional
            .iter()
            .any(|s| s.target == "/miv/verkeersdata?vanaf=2023-11-20T15%3A09%3A29Z"),
        "{conditional:?}"
    );
    assert!(conditional.iter().all(|s| s.if_none_match.is_some()));
    assert_eq!(observation_count(data.path()), 35 + 24 + 18);

    // New minutes, same configuration: the configuration's 304 stands for its archived copy,
    // which is read again (its six records count) to place the new minutes.
    server.put(
        "/miv/verkeersdata",
        std::fs::read(fixture("miv/miv_verkeersdata_clean.xml"))
            .map(|b| {
                String::from_utf8(b)
                    .unwrap()
                    .replace("16:08:00+01:00", "16:09:00+01:00")
                    .into_bytes()
            })
            .unwrap(),
    );
    let third = harvest(config_dir.path(), data.path());
    assert!(
        third.contains("vlaanderen/miv: 12 records, 35 observations (35 new"),
        "{third}"
    );
    assert_eq!(observation_count(data.path()), 35 * 2 + 24 + 18);
}

#[test]
fn a_harvest_killed_while_fetching_loses_nothing_and_its_rerun_stores_one_copy() {
    let server = FeedServer::start();
    let config_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    serve_feeds(&server, config_dir.path());
    server.site.lock().unwrap().hold_once.insert(
        "/miv/verkeersdata?vanaf=1970-01-01T00%3A00%3A00Z".to_owned(),
        Duration::from_secs(60),
    );
    let config = config_dir.path().join("belfort.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_belfort"))
        .args(["harvest", "--config", config.to_str().unwrap(), "--data"])
        .arg(data.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !server
        .log()
        .iter()
        .any(|s| s.target.starts_with("/miv/verkeersdata"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "MIV was never fetched"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Feeds are fetched ahead: MIV is held while the feeds before it (brugge, gent) are
    // ingested, in order; each saves its state once stored.
    let stored = |feed: &str| data.path().join("harvest").join(feed).exists();
    while !(stored("brugge/sensorthings.json") && stored("gent/parking-garages.json")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the feeds before MIV were never stored"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Feeds before MIV were stored; MIV was not, and no state claims it was.
    assert_eq!(observation_count(data.path()), 24 + 18);
    assert!(!data.path().join("harvest/vlaanderen/miv.json").exists());

    let rerun = harvest(config_dir.path(), data.path());
    assert!(
        rerun.contains("vlaanderen/miv: 12 records, 35 observations (35 new"),
        "{rerun}"
    );
    assert_eq!(observation_count(data.path()), 35 + 24 + 18);
    let again = harvest(config_dir.path(), data.path());
    assert!(again.contains("vlaanderen/miv: not modified"), "{again}");
    assert_eq!(observation_count(data.path()), 35 + 24 + 18);
}

#[test]
fn feeds_may_not_read_local_files_or_internal_addresses_unless_their_config_allows_it() {
    let config_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_config(
        config_dir.path(),
        &[(
            "gent",
            format!(
                "city = \"gent\"\n\n[feeds.telraam]\nkind = \"telraam-traffic\"\nurls = [{:?}]\n\n[feeds.telraam-live]\nkind = \"telraam-live\"\nurls = [\"http://127.0.0.1:9/live\"]\n",
                fixture("telraam/reports_traffic_clean.json")
                    .display()
                    .to_string(),
            ),
        )],
    );
    let stderr = harvest_refused(config_dir.path(), data.path());
    assert!(stderr.contains("allow_local_files"), "{stderr}");
    assert!(stderr.contains("127.0.0.1"), "{stderr}");
    assert!(stderr.contains("2 feed(s) failed"), "{stderr}");
}

#[test]
fn another_belforts_event_stream_is_harvested_as_a_validated_city_feed() {
    // The publishing side: Ghent's DATEX II parking, served.
    let source = tempfile::tempdir().unwrap();
    let ingest = belfort(
        source.path(),
        &[
            "ingest",
            "--feed",
            "gent/parking-datex2",
            fixture("datex2/ghent_parkings_datex2_v2_clean.xml")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(ingest.status.success());
    // The sum of the published values, to compare with what the other side stores.
    let total = |data: &Path| {
        let output = belfort(
            data,
            &[
                "query",
                "--format",
                "csv",
                "SELECT (SUM(?v) AS ?sum) WHERE { ?o <http://www.w3.org/ns/sosa/hasSimpleResult> ?v }",
            ],
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let published = total(source.path());
    assert!(published.contains("7247"), "{published}");
    let serve = |bind: &str| {
        super::start_belfort_server_at(
            &[
                "serve".as_ref(),
                "--data".as_ref(),
                source.path().as_os_str(),
            ],
            bind,
        )
    };
    let (server, address) = serve("127.0.0.1:0");

    // The harvesting side: the stream is one feed of its region.
    let config_dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    write_config(
        config_dir.path(),
        &[(
            "vlaanderen",
            format!(
                "city = \"vlaanderen\"\n\n[feeds.gent-parking]\nkind = \"ldes\"\nallow_private_addresses = true\nurls = [\"{address}/ldes/gent/parking\"]\n",
            ),
        )],
    );
    let first = harvest(config_dir.path(), data.path());
    assert!(
        first.contains("vlaanderen/gent-parking: 12 records, 12 observations (12 new"),
        "{first}"
    );
    assert_eq!(observation_count(data.path()), 12);
    assert_eq!(total(data.path()), published);
    // Each observation names the member it was derived from, on the publishing side.
    let derived = belfort(
        data.path(),
        &[
            "query",
            "--format",
            "csv",
            "SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> ; \
             <http://www.w3.org/ns/prov#wasDerivedFrom> ?m . \
             FILTER(STRSTARTS(STR(?m), \"https://data.example.org/id/observation/\")) }",
        ],
    );
    assert!(
        String::from_utf8_lossy(&derived.stdout).contains("\n12"),
        "{}",
        String::from_utf8_lossy(&derived.stdout)
    );
    // The stream's pages are of today, still open, but unchanged: every node answers 304.
    let again = harvest(config_dir.path(), data.path());
    assert!(
        again.contains("vlaanderen/gent-parking: not modified since the last run"),
        "{again}"
    );
    assert_eq!(observation_count(data.path()), 12);
    // More of Ghent's parking published (the store is the server's while it runs; it comes
    // back on the same address): the changed nodes are read, and only the new members are new.
    drop(server);
    let more = belfort(
        source.path(),
        &[
            "ingest",
            "--feed",
            "gent/parking-garages",
            fixture("ghent/parkeergarages_v2.1_poll1_clean.json")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(more.status.success());
    let published = observation_count(source.path());
    assert!(published > 12);
    let (_server, again_at) = serve(address.trim_start_matches("http://"));
    assert_eq!(again_at, address);
    let third = harvest(config_dir.path(), data.path());
    let new = published - 12;
    assert!(third.contains(&format!("({new} new,")), "{third}");
    assert_eq!(observation_count(data.path()), published);
}

#[test]
fn feeds_are_fetched_ahead_in_parallel_but_never_more_at_once_per_host_than_configured() {
    let server = FeedServer::start();
    server.slow_down(Duration::from_millis(300));
    let mut counts = Vec::new();
    for (per_host, at_most, at_least) in [(1, 1, 1), (3, 3, 2)] {
        let config_dir = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        serve_feeds(&server, config_dir.path());
        std::fs::write(
            config_dir.path().join("belfort.toml"),
            format!(
                "cities_dir = \"cities\"\n\n[harvest]\nparallel_fetches = 3\nfetches_per_host = {per_host}\n"
            ),
        )
        .unwrap();
        server.slow_down(Duration::from_millis(300));
        let log = harvest(config_dir.path(), data.path());
        let most = server.most_in_flight();
        assert!(
            (at_least..=at_most).contains(&most),
            "fetches_per_host = {per_host}: {most} requests at once\n{log}"
        );
        // Whatever the order of fetching, the batches are ingested in configuration order.
        let order: Vec<usize> = [
            "brugge/sensorthings",
            "gent/parking-garages",
            "vlaanderen/miv",
        ]
        .iter()
        .filter_map(|feed| log.find(&format!("{feed}: ")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{log}");
        counts.push(observation_count(data.path()));
    }
    assert_eq!(counts[0], counts[1]);
    assert!(counts[0] > 0);
    let config_dir = tempfile::tempdir().unwrap();
    write_config(config_dir.path(), &[]);
    std::fs::write(
        config_dir.path().join("belfort.toml"),
        "[harvest]\nfetches_per_host = 0\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let stderr = harvest_refused(config_dir.path(), data.path());
    assert!(stderr.contains("fetches_per_host = 0"), "{stderr}");
}
