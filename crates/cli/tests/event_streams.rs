//! The event streams, judged by the npm `ldes-client` and checked for what the TREE and LDES
//! specifications promise: every member replicated, nothing twice, relations that hold,
//! closed pages that never change, retention that leaves no dangling relation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use belfort::config::{self, Config};
use belfort::pipeline::{Payload, Pipeline, Validation};
use belfort_model::Catalogue;
use belfort_server::{EventStreamSettings, RunningServer, ServerConfig};
use belfort_store::{IngestBatch, ObservationStore, PayloadArchive};
use belfort_store_embedded::EmbeddedStore;
use oxrdf::{GraphName, Literal, NamedNode, Quad, Term, Triple};

const TREE: &str = "https://w3id.org/tree#";
const LDES: &str = "https://w3id.org/ldes#";
const ISSUED: &str = "http://purl.org/dc/terms/issued";

struct Harness {
    _dir: tempfile::TempDir,
    store: Arc<EmbeddedStore>,
    archive: PayloadArchive,
    catalogue: Catalogue,
    config: Config,
    validation: Validation,
    page_size: usize,
}

impl Harness {
    fn new(page_size: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let catalogue = Catalogue::bundled().unwrap();
        let config = config::load_demo(None, &catalogue).unwrap();
        Self {
            store: Arc::new(EmbeddedStore::open(&dir.path().join("store")).unwrap()),
            archive: PayloadArchive::new(dir.path().join("archive")),
            _dir: dir,
            catalogue,
            config,
            validation: Validation::bundled().unwrap(),
            page_size,
        }
    }

    /// Harvests the demo feeds `feeds` (ids) through the pipeline; returns the new observations.
    fn ingest(&self, feeds: &[&str]) -> u64 {
        let pipeline = Pipeline {
            catalogue: &self.catalogue,
            minter: &self.config.minter,
            store: self.store.as_ref(),
            archive: &self.archive,
            validation: &self.validation,
            event_stream_page_size: self.page_size,
        };
        let mut new = 0;
        for id in feeds {
            let feed = self
                .config
                .feeds
                .iter()
                .find(|f| f.id.to_string() == *id)
                .unwrap();
            let payloads: Vec<Payload> = feed
                .locations
                .iter()
                .map(|location| Payload {
                    bytes: belfort_harvest::fetch(feed, location).unwrap(),
                    source: location.clone(),
                })
                .collect();
            new += pipeline
                .ingest(feed, &payloads)
                .unwrap()
                .outcome
                .new_observations;
        }
        new
    }

    fn serve(&self, event_streams: EventStreamSettings) -> RunningServer {
        let config = ServerConfig {
            iri_base: self.config.minter.base().to_owned(),
            event_streams,
            // The replica is compared with the source through one SPARQL answer.
            max_results: 1_000_000,
            ..ServerConfig::default()
        };
        RunningServer::start(self.store.clone(), config, "127.0.0.1:0").unwrap()
    }

    fn observations(&self) -> u64 {
        self.store.count_observations().unwrap()
    }
}

fn all_feeds(harness: &Harness) -> Vec<String> {
    harness
        .config
        .feeds
        .iter()
        .map(|f| f.id.to_string())
        .collect()
}

/// What `ldes-client` emitted: member IRIs, and the members that came incomplete.
fn replicate(url: &str, state: &Path) -> (Vec<String>, serde_json::Value) {
    let output = crate::run_judge(
        "ldes_replicate.mjs",
        &[std::ffi::OsStr::new(url), state.as_os_str()],
    );
    let answer: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let members = answer["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    (members, answer["incomplete"].clone())
}

fn get(url: &str) -> reqwest::blocking::Response {
    reqwest::blocking::Client::new()
        .get(url)
        .header("Accept", "application/n-triples")
        .send()
        .unwrap()
}

fn triples(url: &str) -> Vec<Triple> {
    let response = get(url);
    assert_eq!(response.status(), 200, "{url}");
    let body = response.bytes().unwrap();
    oxrdfio::RdfParser::from_format(oxrdfio::RdfFormat::NTriples)
        .for_slice(&body)
        .map(|q| Triple::from(q.unwrap()))
        .collect()
}

fn objects<'a>(triples: &'a [Triple], subject: &str, predicate: &str) -> Vec<&'a Term> {
    triples
        .iter()
        .filter(|t| {
            t.subject.to_string() == format!("<{subject}>") && t.predicate.as_str() == predicate
        })
        .map(|t| &t.object)
        .collect()
}

fn instant(lexical: &str) -> chrono::DateTime<chrono::Utc> {
    lexical.parse().unwrap()
}

fn iri(term: &Term) -> String {
    match term {
        Term::NamedNode(n) => n.as_str().to_owned(),
        other => panic!("not an IRI: {other}"),
    }
}

fn streams(address: &str) -> Vec<String> {
    let list = triples(&format!("{address}/ldes"));
    let mut streams: Vec<String> = list
        .iter()
        .filter(|t| t.object.to_string() == format!("<{LDES}EventStream>"))
        .map(|t| t.subject.to_string())
        .map(|s| {
            s.trim_matches(['<', '>'])
                .trim_end_matches("#stream")
                .to_owned()
        })
        .collect();
    streams.sort();
    streams
}

/// A relation node's bounds: (target, lower, upper).
/// The day nodes of a stream: its root links months, each month links its days. Checks that
/// every day lies within its month.
fn day_relations(root_url: &str) -> BTreeMap<String, (String, String)> {
    let root = triples(root_url);
    let mut days = BTreeMap::new();
    for (month, (month_from, month_until)) in relations(&root, root_url) {
        for (day, (from, until)) in relations(&triples(&month), &month) {
            assert!(
                instant(&from) >= instant(&month_from) && instant(&until) <= instant(&month_until),
                "{day} is outside {month}"
            );
            days.insert(day, (from, until));
        }
    }
    days
}

/// The newest day node of the stream of everything.
fn latest_day(address: &str) -> String {
    let (day, _) = day_relations(&format!("{address}/ldes/all"))
        .into_iter()
        .next_back()
        .unwrap();
    day
}

fn relations(triples: &[Triple], node: &str) -> BTreeMap<String, (String, String)> {
    let mut bounds: BTreeMap<String, (String, String)> = BTreeMap::new();
    for relation in objects(triples, node, &format!("{TREE}relation")) {
        let relation = iri(relation);
        let target = iri(objects(triples, &relation, &format!("{TREE}node"))[0]);
        let kind = iri(objects(
            triples,
            &relation,
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        )[0]);
        assert_eq!(
            iri(objects(triples, &relation, &format!("{TREE}path"))[0]),
            ISSUED
        );
        let Term::Literal(value) = objects(triples, &relation, &format!("{TREE}value"))[0] else {
            panic!("a relation value is not a literal");
        };
        let entry = bounds.entry(target).or_default();
        if kind.ends_with("GreaterThanOrEqualToRelation") {
            entry.0 = value.value().to_owned();
        } else {
            assert!(kind.ends_with("LessThanRelation"), "{kind}");
            entry.1 = value.value().to_owned();
        }
    }
    bounds
}

#[test]
fn ldes_client_replicates_every_member_of_every_stream_then_only_new_ones() {
    let harness = Harness::new(40);
    let feeds = all_feeds(&harness);
    let (held_back, first): (Vec<&String>, Vec<&String>) = feeds
        .iter()
        .partition(|f| f.as_str() == "brugge/sensorthings");
    let first: Vec<&str> = first.iter().map(|f| f.as_str()).collect();
    harness.ingest(&first);
    let server = harness.serve(EventStreamSettings::default());
    let address = server.public_base().to_owned();
    let streams = streams(&address);
    assert!(
        streams.iter().any(|s| s.ends_with("/ldes/all")),
        "{streams:?}"
    );
    assert!(
        streams.iter().any(|s| s.ends_with("/ldes/gent/traffic")),
        "{streams:?}"
    );
    let state = tempfile::tempdir().unwrap();
    let mut by_family = BTreeSet::new();
    let mut all = Vec::new();
    for stream in &streams {
        let (members, incomplete) = replicate(stream, &state.path().join("first"));
        // Each stream is a fresh client; the states must not mix.
        std::fs::remove_dir_all(state.path().join("first")).ok();
        assert_eq!(incomplete, serde_json::json!([]), "{stream}");
        let distinct: BTreeSet<&String> = members.iter().collect();
        assert_eq!(
            distinct.len(),
            members.len(),
            "{stream} emitted a member twice"
        );
        if stream.ends_with("/ldes/all") {
            all = members;
        } else {
            for member in members {
                assert!(
                    by_family.insert(member),
                    "a member is in two family streams"
                );
            }
        }
    }
    assert_eq!(all.len() as u64, harness.observations());
    assert_eq!(all.iter().cloned().collect::<BTreeSet<_>>(), by_family);

    // A client that kept its state gets nothing new, then exactly what was added.
    let all_url = format!("{address}/ldes/all");
    let kept = state.path().join("all");
    let (members, _) = replicate(&all_url, &kept);
    assert_eq!(members.len() as u64, harness.observations());
    let (members, _) = replicate(&all_url, &kept);
    assert_eq!(
        members,
        Vec::<String>::new(),
        "a second run re-emitted members"
    );
    let held_back: Vec<&str> = held_back.iter().map(|f| f.as_str()).collect();
    let added = harness.ingest(&held_back);
    assert!(added > 0);
    let (members, incomplete) = replicate(&all_url, &kept);
    assert_eq!(incomplete, serde_json::json!([]));
    assert_eq!(members.len() as u64, added);
    assert!(members.iter().all(|m| !all.contains(m)));
    // Re-harvesting the same payloads publishes nothing.
    assert_eq!(harness.ingest(&held_back), 0);
    let (members, _) = replicate(&all_url, &kept);
    assert!(members.is_empty());
}

#[test]
fn every_member_satisfies_the_relations_that_lead_to_it() {
    let harness = Harness::new(25);
    let feeds = all_feeds(&harness);
    let feeds: Vec<&str> = feeds.iter().map(String::as_str).collect();
    harness.ingest(&feeds[..2]);
    harness.ingest(&feeds[2..]);
    let server = harness.serve(EventStreamSettings::default());
    let address = server.public_base().to_owned();
    let mut members = 0;
    for stream in streams(&address) {
        let root = triples(&stream);
        let stream_iri = format!("{stream}#stream");
        assert_eq!(objects(&root, &stream_iri, &format!("{TREE}view")).len(), 1);
        assert_eq!(
            objects(&root, &stream_iri, &format!("{LDES}timestampPath")).len(),
            1
        );
        assert_eq!(
            objects(&root, &stream_iri, &format!("{TREE}shape")).len(),
            1
        );
        for (day, (day_from, day_until)) in day_relations(&stream) {
            let day_node = triples(&day);
            let pages = relations(&day_node, &day);
            for (page, (from, until)) in &pages {
                assert!(
                    instant(from) >= instant(&day_from) && instant(until) <= instant(&day_until),
                    "{page}"
                );
                assert!(instant(from) < instant(until), "{page}: empty interval");
                let document = triples(page);
                for member in objects(&document, &stream_iri, &format!("{TREE}member")) {
                    members += 1;
                    let member = iri(member);
                    let issued = objects(&document, &member, ISSUED);
                    assert_eq!(issued.len(), 1, "{member}");
                    let Term::Literal(issued) = issued[0] else {
                        panic!("{member}: issued is not a literal");
                    };
                    let issued = instant(issued.value());
                    assert!(
                        issued >= instant(from) && issued < instant(until),
                        "{member} ({issued}) is under [{from}, {until}) of {page}"
                    );
                }
            }
            // The pages of a day do not overlap.
            let mut bounds: Vec<_> = pages
                .values()
                .map(|(from, until)| (instant(from), instant(until)))
                .collect();
            bounds.sort();
            for pair in bounds.windows(2) {
                assert!(pair[0].1 <= pair[1].0, "overlapping pages: {pair:?}");
            }
        }
    }
    // Every observation is in `all` and in exactly one family stream.
    assert_eq!(members as u64, 2 * harness.observations());
}

#[test]
fn a_closed_page_never_changes_and_an_open_one_says_so() {
    let harness = Harness::new(10);
    harness.ingest(&["gent/telraam"]);
    let server = harness.serve(EventStreamSettings::default());
    let address = server.public_base().to_owned();
    let day = latest_day(&address);
    let pages: Vec<String> = relations(&triples(&day), &day).into_keys().collect();
    assert!(pages.len() > 2, "{pages:?}");
    let first = format!("{day}/0");
    // Every node in every syntax the server offers, by content negotiation.
    for accept in [
        "text/turtle",
        "application/trig",
        "application/n-quads",
        "application/ld+json",
        "text/html",
    ] {
        for url in [
            format!("{address}/ldes"),
            format!("{address}/ldes/all"),
            day.clone(),
            first.clone(),
        ] {
            let response = reqwest::blocking::Client::new()
                .get(&url)
                .header("Accept", accept)
                .send()
                .unwrap();
            assert_eq!(response.status(), 200, "{url} as {accept}");
            let content_type = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert!(content_type.starts_with(accept), "{url}: {content_type}");
            assert_eq!(response.headers()["vary"], "Accept");
            let body = response.bytes().unwrap();
            if accept == "text/html" {
                assert!(
                    String::from_utf8_lossy(&body).contains("Event stream"),
                    "{url}"
                );
            } else {
                let format = oxrdfio::RdfFormat::from_media_type(accept).unwrap();
                let parsed = oxrdfio::RdfParser::from_format(format)
                    .for_slice(&body)
                    .collect::<Result<Vec<_>, _>>();
                assert!(parsed.is_ok_and(|q| !q.is_empty()), "{url} as {accept}");
            }
        }
    }
    let before = get(&first);
    let cache = before.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_owned();
    let etag = before.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = before.bytes().unwrap();
    assert!(cache.contains("immutable"), "{cache}");
    let last = pages
        .iter()
        .max_by_key(|p| p.rsplit('/').next().unwrap().parse::<u64>().unwrap())
        .unwrap();
    let open = get(last);
    let open_cache = open.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(!open_cache.contains("immutable"), "{open_cache}");
    assert!(open_cache.contains("max-age=60"), "{open_cache}");

    harness.ingest(&["antwerpen/sensor-community", "gent/parking-garages"]);
    let after = get(&first);
    assert_eq!(after.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(after.bytes().unwrap(), bytes);
    let revalidated = reqwest::blocking::Client::new()
        .get(&first)
        .header("Accept", "application/n-triples")
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    // The page that was open is full now, or still open: never a member lost.
    let members: usize = pages
        .iter()
        .map(|p| {
            objects(
                &triples(p),
                &format!("{address}/ldes/all#stream"),
                &format!("{TREE}member"),
            )
            .len()
        })
        .sum();
    assert!(members >= 10 * (pages.len() - 1));
}

/// The value of a counter on the server's `/metrics`.
fn counter(address: &str, name: &str) -> u64 {
    get(&format!("{address}/metrics"))
        .text()
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap()
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .flatten()
            .map(|entry| {
                if entry.path().is_dir() {
                    files_under(&entry.path())
                } else {
                    1
                }
            })
            .sum()
    })
}

#[test]
fn a_closed_page_is_rendered_once_then_served_from_its_kept_bytes_even_after_a_restart() {
    let harness = Harness::new(10);
    harness.ingest(&["gent/telraam"]);
    let kept = harness._dir.path().join("kept-pages");
    let start = |bind: &str| {
        let config = ServerConfig {
            iri_base: harness.config.minter.base().to_owned(),
            kept_pages_dir: Some(kept.clone()),
            ..ServerConfig::default()
        };
        RunningServer::start(harness.store.clone(), config, bind).unwrap()
    };
    let server = start("127.0.0.1:0");
    let address = server.public_base().to_owned();
    let day = latest_day(&address);
    let pages: Vec<String> = relations(&triples(&day), &day).into_keys().collect();
    let last = pages
        .iter()
        .max_by_key(|p| p.rsplit('/').next().unwrap().parse::<u64>().unwrap())
        .unwrap();
    let first = format!("{day}/0");
    let nquads = |url: &str| {
        let response = reqwest::blocking::Client::new()
            .get(url)
            .header("Accept", "application/n-quads")
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        (etag, response.bytes().unwrap())
    };
    let (etag, bytes) = nquads(&first);
    nquads(last);
    assert_eq!(
        files_under(&kept),
        1,
        "the closed page is kept, the open one not"
    );
    assert_eq!(counter(&address, "belfort_kept_page_hits_total"), 0);

    // Another server over the same store and directory, at the same address (the bytes hold
    // absolute links): the page comes from the disk, byte for byte.
    let bind = server.address().to_string();
    server.stop().unwrap();
    let _server = start(&bind);
    assert_eq!(nquads(&first), (etag, bytes));
    assert_eq!(counter(&address, "belfort_kept_page_hits_total"), 1);
}

#[test]
fn a_page_in_the_tree_profile_puts_the_hypermedia_first_then_each_member_whole_in_order() {
    let harness = Harness::new(50);
    harness.ingest(&["gent/telraam", "antwerpen/sensor-community"]);
    let server = harness.serve(EventStreamSettings::default());
    let address = server.public_base().to_owned();
    let day = latest_day(&address);
    let page = format!("{day}/0");
    let profiled = reqwest::blocking::Client::new()
        .get(&page)
        .header(
            "Accept",
            "text/turtle;profile=\"https://w3id.org/tree/profile\", text/turtle;q=0.9",
        )
        .send()
        .unwrap();
    assert_eq!(profiled.status(), 200);
    let content_type = profiled.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/turtle;profile=\"https://w3id.org/tree/profile\""),
        "{content_type}"
    );
    let body = profiled.bytes().unwrap();
    // In document order: the same triples as the page in any other syntax.
    let in_order: Vec<Triple> = oxttl::TurtleParser::new()
        .for_slice(&body)
        .map(Result::unwrap)
        .collect();
    let plain: BTreeSet<String> = triples(&page).iter().map(ToString::to_string).collect();
    let profiled_set: BTreeSet<String> = in_order.iter().map(ToString::to_string).collect();
    assert_eq!(profiled_set, plain);
    // The members, in publication order, each a block: the member, its result, its time.
    let members: Vec<String> = in_order
        .iter()
        .filter(|t| t.predicate.as_str() == format!("{TREE}member"))
        .map(|t| iri(&t.object))
        .collect();
    assert_eq!(members.len(), 50);
    let first_member_statement = in_order
        .iter()
        .position(|t| members.contains(&t.subject.to_string().trim_matches(['<', '>']).to_owned()))
        .unwrap();
    assert!(
        in_order[..first_member_statement]
            .iter()
            .any(|t| t.predicate.as_str() == format!("{TREE}member")),
        "the hypermedia block comes first"
    );
    let mut blocks: Vec<(String, String)> = Vec::new(); // (issued, member) in document order
    let mut current: Option<String> = None;
    for triple in &in_order[first_member_statement..] {
        let subject = triple
            .subject
            .to_string()
            .trim_matches(['<', '>'])
            .to_owned();
        if members.contains(&subject) && current.as_ref() != Some(&subject) {
            assert!(
                blocks.iter().all(|(_, m)| *m != subject),
                "{subject} has two blocks"
            );
            let issued = objects(&in_order, &subject, ISSUED);
            let Term::Literal(issued) = issued[0] else {
                panic!("no publication time")
            };
            blocks.push((issued.value().to_owned(), subject.clone()));
            current = Some(subject);
            continue;
        }
        let member = current.as_ref().unwrap();
        // Anything else in a block is a node its member leads to, directly or through its time.
        let result = objects(&in_order, member, "http://www.w3.org/ns/sosa/hasResult");
        let time = objects(
            &in_order,
            member,
            "http://www.w3.org/ns/sosa/phenomenonTime",
        );
        let instants: Vec<&Term> = time
            .iter()
            .flat_map(|t| {
                let t = iri(t);
                let mut ends = objects(&in_order, &t, "http://www.w3.org/2006/time#hasBeginning");
                ends.extend(objects(&in_order, &t, "http://www.w3.org/2006/time#hasEnd"));
                ends
            })
            .collect();
        let led_to = result
            .iter()
            .chain(&time)
            .chain(&instants)
            .any(|n| iri(n) == subject);
        assert!(
            led_to || subject == *member,
            "{subject} in the block of {member}"
        );
    }
    assert_eq!(blocks.len(), 50);
    let mut sorted = blocks.clone();
    sorted.sort();
    assert_eq!(blocks, sorted, "members in publication order");
    // Without the profile, the plain Turtle is served, under its own validator.
    let plain_turtle = reqwest::blocking::Client::new()
        .get(&page)
        .header("Accept", "text/turtle")
        .send()
        .unwrap();
    assert!(
        !plain_turtle.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("profile")
    );
}

#[test]
fn days_past_retention_are_gone_and_nothing_points_at_them() {
    let harness = Harness::new(500);
    harness.ingest(&["gent/telraam"]);
    // A day of publication long past, as an older store would hold it.
    let base = harness.config.minter.event_stream_prefix();
    let graph = GraphName::NamedNode(harness.config.minter.event_stream_graph());
    let old_day = format!("{base}all/2020-01-01");
    let old_page = format!("{old_day}/0");
    let member =
        NamedNode::new_unchecked(format!("{}observation/old", harness.config.minter.base()));
    let quad = |s: &str, p: &str, o: Term| {
        Quad::new(
            NamedNode::new_unchecked(s),
            NamedNode::new_unchecked(p),
            o,
            graph.clone(),
        )
    };
    harness
        .store
        .ingest(IngestBatch {
            other_quads: vec![
                quad(
                    &format!("{base}all"),
                    "https://w3id.org/belfort/ns#ldesDay",
                    NamedNode::new_unchecked(&old_day).into(),
                ),
                quad(
                    &old_day,
                    "https://w3id.org/belfort/ns#ldesPage",
                    NamedNode::new_unchecked(&old_page).into(),
                ),
                quad(
                    &old_page,
                    "https://w3id.org/belfort/ns#firstIssued",
                    Literal::new_typed_literal(
                        "2020-01-01T10:00:00.000000Z",
                        oxrdf::vocab::xsd::DATE_TIME,
                    )
                    .into(),
                ),
                quad(&old_page, &format!("{TREE}member"), member.into()),
            ],
            ..IngestBatch::default()
        })
        .unwrap();

    let keep_all = harness.serve(EventStreamSettings::default());
    let address = keep_all.public_base().to_owned();
    assert!(
        day_relations(&format!("{address}/ldes/all"))
            .contains_key(&format!("{address}/ldes/all/2020-01-01"))
    );
    let closed_month = get(&format!("{address}/ldes/all/2020-01"));
    assert!(
        closed_month.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let closed_day = get(&format!("{address}/ldes/all/2020-01-01"));
    assert!(
        closed_day.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    drop(keep_all);

    let retaining = harness.serve(EventStreamSettings {
        polling_interval: 30,
        retention_days: Some(30),
        ..EventStreamSettings::default()
    });
    let address = retaining.public_base().to_owned();
    let root_url = format!("{address}/ldes/all");
    let root = triples(&root_url);
    let days = day_relations(&root_url);
    assert!(!days.is_empty());
    assert!(
        relations(&root, &root_url)
            .keys()
            .all(|m| !m.ends_with("2020-01")),
        "an expired month is not linked"
    );
    assert!(days.keys().all(|d| !d.ends_with("2020-01-01")), "{days:?}");
    let policy = objects(
        &root,
        &format!("{root_url}#description"),
        &format!("{LDES}retentionPolicy"),
    );
    assert_eq!(policy.len(), 1);
    let policy = iri(policy[0]);
    assert_eq!(
        objects(&root, &policy, &format!("{LDES}fullLogDuration")).len(),
        1
    );
    assert_eq!(objects(&root, &policy, &format!("{TREE}value")).len(), 1);
    for gone in [
        format!("{root_url}/2020-01"),
        format!("{root_url}/2020-01-01"),
        format!("{root_url}/2020-01-01/0"),
    ] {
        assert_eq!(get(&gone).status(), 410, "{gone}");
    }
    assert_eq!(get(&format!("{root_url}/2020-01-02")).status(), 410);
    assert_eq!(get(&format!("{address}/ldes/nowhere")).status(), 404);
    assert_eq!(get(&format!("{address}/ldes/all/../../etc")).status(), 404);
}

/// Every observation with its own statements and its result's, one CSV row each, sorted.
const MEMBER_CONTENT: &str = "SELECT DISTINCT ?s ?p ?o WHERE { ?m a <http://www.w3.org/ns/sosa/Observation> . { ?m ?p ?o BIND(?m AS ?s) } UNION { ?m <http://www.w3.org/ns/sosa/hasResult> ?s . ?s ?p ?o } }";

fn sorted_lines(csv: &str) -> Vec<String> {
    let mut lines: Vec<String> = csv
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

fn replicate_with_belfort(url: &str, data: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_belfort"))
        .args(["replicate", url, "--allow-private-addresses", "--data"])
        .arg(data)
        .env_remove("BELFORT_CONFIG")
        .output()
        .unwrap()
}

#[test]
fn a_belfort_replica_equals_its_source_after_a_kill_9_mid_sync() {
    let harness = Harness::new(4);
    let feeds = all_feeds(&harness);
    let feeds: Vec<&str> = feeds.iter().map(String::as_str).collect();
    harness.ingest(&feeds);
    let server = harness.serve(EventStreamSettings::default());
    let address = server.public_base().to_owned();
    let url = format!("{address}/ldes/all");
    let replica = tempfile::tempdir().unwrap();

    // Killed while it replicates…
    let mut child = Command::new(env!("CARGO_BIN_EXE_belfort"))
        .args(["replicate", &url, "--allow-private-addresses", "--data"])
        .arg(replica.path())
        .env_remove("BELFORT_CONFIG")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    // …then run again to the end.
    let output = replicate_with_belfort(&url, replica.path());
    let log = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(0), "{log}");
    eprintln!("after the kill: {log}");

    let source_csv = reqwest::blocking::Client::new()
        .post(format!("{address}/sparql"))
        .header("Content-Type", "application/sparql-query")
        .header("Accept", "text/csv")
        .body(MEMBER_CONTENT)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let replica_csv = Command::new(env!("CARGO_BIN_EXE_belfort"))
        .args(["query", "--format", "csv", MEMBER_CONTENT, "--data"])
        .arg(replica.path())
        .output()
        .unwrap();
    assert!(replica_csv.status.success());
    let source = sorted_lines(&source_csv);
    assert!(
        source.contains(&"s,p,o".to_owned()),
        "not a CSV answer: {source:?}"
    );
    let copy = sorted_lines(&String::from_utf8(replica_csv.stdout).unwrap());
    assert!(source.len() > 5_000, "{}", source.len());
    let extra: Vec<&String> = copy.iter().filter(|l| !source.contains(l)).collect();
    let missing: Vec<&String> = source.iter().filter(|l| !copy.contains(l)).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "in the replica only: {extra:#?}\nin the source only: {missing:#?}"
    );
    assert_eq!(copy, source);

    // Polling again: the closed pages are not read again and nothing is new.
    let output = replicate_with_belfort(&url, replica.path());
    let log = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(log.contains(", 0 new"), "{log}");
    assert!(!log.contains(" 0 immutable nodes already read"), "{log}");
}

#[test]
fn a_replication_that_cannot_record_its_progress_stops_with_the_reason_instead_of_waiting_forever()
{
    use sha2::Digest;
    let harness = Harness::new(4);
    let feeds = all_feeds(&harness);
    let feeds: Vec<&str> = feeds.iter().map(String::as_str).collect();
    harness.ingest(&feeds);
    let server = harness.serve(EventStreamSettings::default());
    let url = format!("{}/ldes/all", server.public_base());
    let replica = tempfile::tempdir().unwrap();
    // A directory where the state's temporary file goes: the first save fails, with the
    // fetchers still reading nodes (one member per batch, so it comes early).
    let digest = sha2::Sha256::digest(url.as_bytes());
    let blocked = replica
        .path()
        .join("replication")
        .join(format!("{}.json.partial", hex::encode(&digest[..8])));
    std::fs::create_dir_all(&blocked).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_belfort"))
        .args([
            "replicate",
            &url,
            "--allow-private-addresses",
            "--batch-members",
            "1",
            "--data",
        ])
        .arg(replica.path())
        .env_remove("BELFORT_CONFIG")
        .stderr(std::fs::File::create(replica.path().join("stderr")).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("replicate still running a minute after its state could not be written");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(replica.path().join("stderr")).unwrap();
    assert_eq!(status.code(), Some(2), "{log}");
    assert!(
        log.contains("cannot write") && log.contains(".json.partial"),
        "{log}"
    );
}
