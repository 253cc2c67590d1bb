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
    let staged: serde_json::Value = reqwest::blocking::Client::new()
        .post(engine.query_url())
        .header("Accept", "application/sparql-results+json")
        .form(&[(
            "query",
            format!(
                "SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), \"{BASE}graph/_store/staging/\")) }}"
            ),
        )])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        staged["results"]["bindings"][0]["n"]["value"], "0",
        "{staged}"
    );
}
