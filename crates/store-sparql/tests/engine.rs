//! The remote store against a real Virtuoso 7, side by side with the embedded store: the same
//! batches give the same observations, pattern pages, lookups, SPARQL answers and event-stream
//! index; re-running a batch adds nothing; staged but unpublished data stays invisible.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use belfort_model::{
    Catalogue, FeedId, IriMinter, Observation, ObservationRdf, PhenomenonTime, Point, SourceId,
};
use belfort_store::event_streams::EventStreamIndexing;
use belfort_store::{
    DumpFormat, GraphSelector, IngestBatch, ObservationStore, QuadPattern, QueryAnswer,
    QueryOptions, StoreError,
};
use belfort_store_embedded::EmbeddedStore;
use belfort_store_sparql::SparqlStore;
use chrono::{Duration, TimeZone, Utc};
use oxrdf::NamedNode;
use support::virtuoso::Virtuoso;

const BASE: &str = "https://data.example.org/id/";

fn observations(count: i64, sensor: &str) -> Vec<ObservationRdf> {
    let catalogue = Catalogue::bundled().unwrap();
    let minter = IriMinter::new(BASE).unwrap();
    let car = catalogue.property_by_key("traffic-count-car").unwrap();
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    (0..count)
        .map(|h| {
            let begin = start + Duration::hours(h);
            Observation {
                feed: FeedId::parse("gent/telraam").unwrap(),
                sensor: SourceId::new("telraam", sensor),
                feature: SourceId::new("telraam", sensor),
                sample_of: None,
                property: car.iri.clone(),
                value: (h % 7) as f64 * 1.5,
                unit: car.canonical_unit.clone(),
                integer_valued: false,
                phenomenon_time: PhenomenonTime::interval(begin, begin + Duration::hours(1))
                    .unwrap(),
                result_time: begin + Duration::hours(1),
                location: Some(Point {
                    lon: 3.7174243,
                    lat: 51.0543422,
                }),
                qualifiers: Vec::new(),
                source_record: String::new(),
                source_iri: None,
            }
            .to_rdf(&minter, &catalogue)
        })
        .collect()
}

fn batch(observations: Vec<ObservationRdf>) -> IngestBatch {
    let memberships = observations
        .iter()
        .map(|_| vec!["all".to_owned(), "gent/traffic".to_owned()])
        .collect();
    IngestBatch {
        feed_graph: Some(NamedNode::new(format!("{BASE}graph/gent/telraam")).unwrap()),
        context_graph: Some(NamedNode::new(format!("{BASE}graph/context")).unwrap()),
        observations,
        event_streams: Some(EventStreamIndexing {
            graph: NamedNode::new(format!("{BASE}graph/ldes")).unwrap(),
            prefix: format!("{BASE}ldes/"),
            page_size: 7,
            memberships,
        }),
        ..IngestBatch::default()
    }
}

/// Every quad of a store, with the publication times blanked (they differ between stores).
fn quads(store: &dyn ObservationStore) -> BTreeSet<String> {
    let mut out = Vec::new();
    store.dump(DumpFormat::NQuads, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| {
            if line.contains("http://purl.org/dc/terms/issued") || line.contains("firstIssued") {
                line.split('"').next().unwrap_or_default().to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect()
}

fn rows(answer: QueryAnswer) -> BTreeSet<String> {
    match answer {
        QueryAnswer::Solutions {
            rows, truncated, ..
        } => {
            assert!(!truncated);
            rows.into_iter().map(|r| format!("{r:?}")).collect()
        }
        QueryAnswer::Boolean(b) => BTreeSet::from([b.to_string()]),
        QueryAnswer::Graph { triples, .. } => triples.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_remote_store_holds_and_answers_what_the_embedded_store_does() {
    let engine = Virtuoso::start();
    let remote = SparqlStore::connect(engine.connection(), engine.kind(), BASE).unwrap();
    let embedded = EmbeddedStore::in_memory().unwrap();
    let stores: [&dyn ObservationStore; 2] = [&embedded, &remote];

    for store in stores {
        let first = store.ingest(batch(observations(30, "1"))).unwrap();
        assert_eq!(first.new_observations, 30);
        let second = store.ingest(batch(observations(40, "1"))).unwrap();
        assert_eq!(
            (second.new_observations, second.known_observations),
            (10, 30)
        );
        let again = store.ingest(batch(observations(40, "1"))).unwrap();
        assert_eq!((again.new_observations, again.known_observations), (0, 40));
        store.ingest(batch(observations(5, "2"))).unwrap();
    }
    assert_eq!(remote.count_observations().unwrap(), 45);
    assert_eq!(embedded.count_observations().unwrap(), 45);
    assert_eq!(
        remote.count_quads().unwrap(),
        embedded.count_quads().unwrap()
    );
    let remote_quads = quads(&remote);
    assert_eq!(remote_quads, quads(&embedded));
    assert!(
        remote_quads.iter().any(|q| q.contains(
            "POINT (3.7174243 51.0543422)\"^^<http://www.opengis.net/ont/geosparql#wktLiteral>"
        )),
        "WKT literals come back verbatim"
    );

    // Pattern pages: the same quads over all pages, and the same counts.
    let has_result = QuadPattern {
        subject: None,
        predicate: Some(NamedNode::new("http://www.w3.org/ns/sosa/hasSimpleResult").unwrap()),
        object: None,
        graph: GraphSelector::Any,
    };
    let everything = QuadPattern {
        subject: None,
        predicate: None,
        object: None,
        graph: GraphSelector::Named(NamedNode::new(format!("{BASE}graph/context")).unwrap()),
    };
    for pattern in [&has_result, &everything] {
        let mut pages = Vec::new();
        for store in stores {
            let mut all = BTreeSet::new();
            let mut offset = 0;
            loop {
                let page = store.pattern_page(pattern, offset, 10).unwrap();
                offset += page.quads.len() as u64;
                all.extend(page.quads.iter().map(ToString::to_string));
                if !page.has_more {
                    break;
                }
            }
            assert_eq!(
                store.count_pattern(pattern, 1_000_000).unwrap(),
                belfort_store::PatternCount::Exact(all.len() as u64)
            );
            pages.push(all);
        }
        assert_eq!(pages[0], pages[1]);
        assert!(!pages[0].is_empty());
    }

    // Lookups by subject.
    let subjects: Vec<NamedNode> = observations(3, "1").into_iter().map(|o| o.iri).collect();
    let about: Vec<BTreeSet<String>> = stores
        .iter()
        .map(|s| {
            s.triples_about(&subjects, None)
                .unwrap()
                .iter()
                .map(ToString::to_string)
                .filter(|t| !t.contains("dc/terms/issued"))
                .collect()
        })
        .collect();
    assert_eq!(about[0], about[1]);

    // SPARQL: SELECT, ASK, CONSTRUCT over the union of the published graphs.
    for query in [
        "SELECT ?o ?v WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> ; <http://www.w3.org/ns/sosa/hasSimpleResult> ?v }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g != <https://data.example.org/id/graph/ldes>) } GROUP BY ?g",
        "ASK { ?o <http://www.w3.org/ns/sosa/hasSimpleResult> 9.0 }",
        "ASK { ?o <http://www.w3.org/ns/sosa/hasSimpleResult> 1234.5 }",
        "CONSTRUCT { ?f ?p ?o } WHERE { ?f a <http://www.opengis.net/ont/geosparql#Geometry> ; ?p ?o }",
    ] {
        let options = QueryOptions::default();
        assert_eq!(
            rows(remote.query(query, &options).unwrap()),
            rows(embedded.query(query, &options).unwrap()),
            "{query}"
        );
    }
    // A cut answer says so.
    let options = QueryOptions {
        max_results: 5,
        ..QueryOptions::default()
    };
    let QueryAnswer::Solutions {
        rows, truncated, ..
    } = remote
        .query("SELECT ?s WHERE { ?s ?p ?o }", &options)
        .unwrap()
    else {
        panic!("solutions expected")
    };
    assert!(truncated && rows.len() == 5);
    // SERVICE never reaches the engine.
    assert!(matches!(
        remote.query(
            "SELECT * WHERE { SERVICE <http://example.com/sparql> { ?s ?p ?o } }",
            &QueryOptions::default()
        ),
        Err(StoreError::ServiceRefused(_))
    ));
    // The data version comes from the engine: a second store over it agrees.
    let other = SparqlStore::connect(engine.connection(), engine.kind(), BASE).unwrap();
    assert_eq!(other.data_version(), remote.data_version());
    assert_eq!(other.count_observations().unwrap(), 45);
}

#[test]
fn a_batch_larger_than_one_engine_transaction_fails_clearly_and_leaves_nothing() {
    // One megabyte of transaction log: a few thousand observations are too many.
    let engine = Virtuoso::start_with("TransactionAfterImageLimit = 1000000");
    let remote = SparqlStore::connect(engine.connection(), engine.kind(), BASE).unwrap();
    remote.ingest(batch(observations(5, "small"))).unwrap();
    let error = remote
        .ingest(batch(observations(3_000, "large")))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("TransactionAfterImageLimit")
            && error.contains("nothing of it was published"),
        "{error}"
    );
    assert_eq!(remote.count_observations().unwrap(), 5);
    // No staged copy is left behind in the engine either.
    let staged = engine_rows(
        &engine,
        &format!(
            "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), \"{BASE}graph/_store/staging/\")) }}"
        ),
    );
    assert_eq!(staged, vec!["0"]);
}

/// The rows of a SELECT sent straight to the engine, each row's values joined by spaces.
fn engine_rows(engine: &Virtuoso, query: &str) -> Vec<String> {
    engine
        .select_rows(query)
        .into_iter()
        .map(|row| row.join(" "))
        .collect()
}

fn engine_update(engine: &Virtuoso, update: &str) {
    let response = reqwest::blocking::Client::new()
        .post(engine.query_url())
        .form(&[("update", update)])
        .send()
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().unwrap()
    );
}

const WRITER_GRAPH: &str = "https://data.example.org/id/graph/_store/writer";

fn claims_left(engine: &Virtuoso) -> Vec<String> {
    engine_rows(
        engine,
        &format!("SELECT ?claim WHERE {{ GRAPH <{WRITER_GRAPH}> {{ ?claim ?p ?o }} }}"),
    )
}

/// A claim on the store as another writer would leave it: held by `holder`, its lease ending
/// `lease_ms` milliseconds from now.
fn claim_as(engine: &Virtuoso, holder: &str, lease_ms: i64) {
    let until = Utc::now().timestamp_millis() + lease_ms;
    engine_update(
        engine,
        &format!(
            "INSERT DATA {{ GRAPH <{WRITER_GRAPH}> {{ <{WRITER_GRAPH}/other> <https://w3id.org/belfort/ns#writerLeaseUntil> {until} ; <https://w3id.org/belfort/ns#writerHeldBy> \"{holder}\" }} }}"
        ),
    );
}

#[test]
fn writers_in_parallel_take_turns_so_that_no_page_overflows_and_no_member_is_filed_twice() {
    const WRITERS: usize = 3;
    const BATCHES: i64 = 6;
    const PER_BATCH: i64 = 10;
    let engine = Virtuoso::start();
    // One connection each, as separate processes would have.
    let stores: Vec<SparqlStore> = (0..WRITERS)
        .map(|_| SparqlStore::connect(engine.connection(), engine.kind(), BASE).unwrap())
        .collect();
    std::thread::scope(|scope| {
        for (writer, store) in stores.iter().enumerate() {
            scope.spawn(move || {
                let sensor = format!("writer-{writer}");
                for round in 1..=BATCHES {
                    let mut all = observations(round * PER_BATCH, &sensor);
                    let new = all.split_off(usize::try_from((round - 1) * PER_BATCH).unwrap());
                    let outcome = store.ingest(batch(new)).unwrap();
                    assert_eq!(outcome.new_observations, PER_BATCH as u64);
                }
            });
        }
    });
    let total = WRITERS as i64 * BATCHES * PER_BATCH;
    assert_eq!(stores[0].count_observations().unwrap(), total as u64);
    let index = format!("{BASE}graph/ldes");
    for stream in ["all", "gent/traffic"] {
        let pages = engine_rows(
            &engine,
            &format!(
                "SELECT ?page (COUNT(?member) AS ?members) WHERE {{ GRAPH <{index}> {{ ?page <https://w3id.org/tree#member> ?member }} FILTER(STRSTARTS(STR(?page), \"{BASE}ldes/{stream}/\")) }} GROUP BY ?page"
            ),
        );
        let mut filed = 0;
        for page in &pages {
            let members: i64 = page.rsplit(' ').next().unwrap().parse().unwrap();
            assert!(members <= 7, "{stream}: page over its size of 7: {page}");
            filed += members;
        }
        assert_eq!(filed, total, "{stream}: every observation filed once");
    }
    assert_eq!(claims_left(&engine), Vec::<String>::new());
}

#[test]
fn a_writer_waits_for_a_live_claim_and_removes_one_its_holder_left_behind() {
    let engine = Virtuoso::start();
    let mut patient = engine.connection();
    patient.writer_wait = std::time::Duration::from_secs(60);
    let store = SparqlStore::connect(patient, engine.kind(), BASE).unwrap();
    let mut hasty = engine.connection();
    hasty.writer_wait = std::time::Duration::from_millis(500);
    let impatient = SparqlStore::connect(hasty, engine.kind(), BASE).unwrap();

    // A writer on another machine, its lease running for 3 more seconds: a writer that may
    // wait half a second gives up, naming it; one that may wait a minute goes on after it.
    claim_as(&engine, "elsewhere 4242", 3_000);
    let error = impatient.ingest(batch(observations(3, "a"))).unwrap_err();
    assert!(
        matches!(&error, StoreError::WriterBusy { holder, .. } if holder == "elsewhere 4242"),
        "{error}"
    );
    assert_eq!(impatient.count_observations().unwrap(), 0);
    let started = std::time::Instant::now();
    store.ingest(batch(observations(3, "a"))).unwrap();
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "went ahead while the lease stood: {:?}",
        started.elapsed()
    );
    assert_eq!(store.count_observations().unwrap(), 3);
    assert_eq!(claims_left(&engine), Vec::<String>::new());

    // A writer of this host that was killed: its lease has an hour to run, yet the next
    // writer removes its claim at once.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let mut ended = std::process::Command::new("true").spawn().unwrap();
    let pid = ended.id();
    ended.wait().unwrap();
    claim_as(&engine, &format!("{} {pid}", host.trim()), 3_600_000);
    impatient.ingest(batch(observations(6, "a"))).unwrap();
    assert_eq!(impatient.count_observations().unwrap(), 6);
    assert_eq!(claims_left(&engine), Vec::<String>::new());
}
