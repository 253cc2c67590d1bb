//! Atomic, idempotent ingest, union-default-graph queries, dumps and the payload archive,
//! against the real embedded store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use belfort_model::{
    Catalogue, FeedId, IriMinter, Observation, ObservationRdf, PhenomenonTime, SourceId,
};
use belfort_store::{
    DumpFormat, GraphSelector, IngestBatch, ObservationStore, PatternCount, PayloadArchive,
    QuadPattern, QueryAnswer, QueryCancellation, QueryOptions, StoreError,
};
use belfort_store_embedded::EmbeddedStore;
use chrono::{Duration, TimeZone, Utc};

fn observations(count: i64, value: f64) -> Vec<ObservationRdf> {
    let catalogue = Catalogue::bundled().unwrap();
    let minter = IriMinter::new("https://data.example.org/id/").unwrap();
    let car = catalogue.property_by_key("traffic-count-car").unwrap();
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    (0..count)
        .map(|h| {
            let begin = start + Duration::hours(h);
            Observation {
                feed: FeedId::parse("gent/telraam").unwrap(),
                sensor: SourceId::new("telraam", "1"),
                feature: SourceId::new("telraam", "1"),
                sample_of: None,
                property: car.iri.clone(),
                value,
                unit: car.canonical_unit.clone(),
                integer_valued: false,
                phenomenon_time: PhenomenonTime::interval(begin, begin + Duration::hours(1))
                    .unwrap(),
                result_time: begin + Duration::hours(1),
                location: None,
                qualifiers: Vec::new(),
                source_record: String::new(),
                source_iri: None,
            }
            .to_rdf(&minter, &catalogue)
        })
        .collect()
}

fn batch(observations: Vec<ObservationRdf>) -> IngestBatch {
    IngestBatch {
        feed_graph: Some(
            oxrdf::NamedNode::new("https://data.example.org/id/graph/gent/telraam").unwrap(),
        ),
        observations,
        ..IngestBatch::default()
    }
}

fn count(store: &EmbeddedStore) -> u64 {
    store.count_observations().unwrap()
}

fn first_value(answer: QueryAnswer) -> String {
    let QueryAnswer::Solutions { rows, .. } = answer else {
        panic!("solutions expected, got {answer:?}")
    };
    rows[0][0].as_ref().unwrap().to_string()
}

#[test]
fn ingesting_the_same_batch_twice_adds_nothing() {
    let store = EmbeddedStore::in_memory().unwrap();
    let first = store.ingest(batch(observations(24, 10.0))).unwrap();
    assert_eq!((first.new_observations, first.known_observations), (24, 0));
    let quads = store.count_quads().unwrap();
    let second = store.ingest(batch(observations(24, 10.0))).unwrap();
    assert_eq!(
        (second.new_observations, second.known_observations),
        (0, 24)
    );
    assert!(second.conflicting.is_empty());
    assert_eq!(store.count_quads().unwrap(), quads);
    assert_eq!(count(&store), 24);
}

#[test]
fn observations_that_came_with_an_imported_dump_are_known_to_the_next_ingest() {
    let source = EmbeddedStore::in_memory().unwrap();
    source.ingest(batch(observations(24, 10.0))).unwrap();
    let mut dump = Vec::new();
    source.dump(DumpFormat::NQuads, &mut dump).unwrap();
    let replica = EmbeddedStore::in_memory().unwrap();
    // The replica has checked this graph's observations before the import.
    replica.ingest(batch(observations(1, 10.0))).unwrap();
    replica
        .import(DumpFormat::NQuads, &mut dump.as_slice())
        .unwrap();
    let again = replica.ingest(batch(observations(24, 10.0))).unwrap();
    assert_eq!((again.new_observations, again.known_observations), (0, 24));
    assert_eq!(count(&replica), 24);
}

#[test]
fn a_known_observation_with_another_value_is_reported_and_the_stored_one_kept() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(3, 10.0))).unwrap();
    let outcome = store.ingest(batch(observations(3, 11.0))).unwrap();
    assert_eq!(outcome.conflicting.len(), 3);
    let answer = store
        .query(
            "SELECT ?v WHERE { ?o <http://www.w3.org/ns/sosa/hasSimpleResult> ?v }",
            &QueryOptions::default(),
        )
        .unwrap();
    let QueryAnswer::Solutions { rows, .. } = answer else {
        panic!("solutions expected")
    };
    assert_eq!(rows.len(), 3);
    let stored_ten =
        |r: &Vec<Option<oxrdf::Term>>| r[0].as_ref().unwrap().to_string().starts_with("\"10");
    assert!(rows.iter().all(stored_ten), "{rows:?}");
}

#[test]
fn duplicates_inside_one_batch_count_once() {
    let store = EmbeddedStore::in_memory().unwrap();
    let mut twice = observations(5, 1.0);
    twice.extend(observations(5, 1.0));
    let outcome = store.ingest(batch(twice)).unwrap();
    assert_eq!(
        (outcome.new_observations, outcome.known_observations),
        (5, 5)
    );
}

#[test]
fn conflicting_values_inside_one_batch_are_reported() {
    let store = EmbeddedStore::in_memory().unwrap();
    let mut both = observations(2, 1.0);
    both.extend(observations(2, 5.0));
    let outcome = store.ingest(batch(both)).unwrap();
    assert_eq!(
        (outcome.new_observations, outcome.known_observations),
        (2, 2)
    );
    assert_eq!(outcome.conflicting.len(), 2);
}

#[test]
fn large_batches_take_the_bulk_path_and_stay_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    // 20 000 observations of about 12 quads each: above the bulk threshold.
    let outcome = store.ingest(batch(observations(20_000, 2.0))).unwrap();
    assert!(outcome.quads_written > 200_000, "{}", outcome.quads_written);
    assert_eq!(count(&store), 20_000);
    let quads = store.count_quads().unwrap();
    let again = store.ingest(batch(observations(20_000, 2.0))).unwrap();
    assert_eq!(again.new_observations, 0);
    assert_eq!(store.count_quads().unwrap(), quads);
}

#[test]
fn data_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = EmbeddedStore::open(dir.path()).unwrap();
        store.ingest(batch(observations(7, 1.0))).unwrap();
    }
    let store = EmbeddedStore::open(dir.path()).unwrap();
    assert_eq!(count(&store), 7);
}

#[test]
fn queries_see_every_named_graph_by_default_and_respect_from() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(4, 1.0))).unwrap();
    let options = QueryOptions::default();
    let q = "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }";
    assert_eq!(
        first_value(store.query(q, &options).unwrap()),
        "\"4\"^^<http://www.w3.org/2001/XMLSchema#integer>"
    );
    let q = "SELECT (COUNT(*) AS ?n) FROM <https://data.example.org/id/graph/other> \
             WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }";
    assert_eq!(
        first_value(store.query(q, &options).unwrap()),
        "\"0\"^^<http://www.w3.org/2001/XMLSchema#integer>"
    );
}

/// The number of triples `SELECT * { ?s ?p ?o }` finds over the union default graph.
fn triples_in_the_union(store: &EmbeddedStore) -> String {
    first_value(
        store
            .query(
                "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                &QueryOptions::default(),
            )
            .unwrap(),
    )
}

fn integer(n: u64) -> String {
    format!("\"{n}\"^^<http://www.w3.org/2001/XMLSchema#integer>")
}

#[test]
fn the_union_default_graph_is_every_graph_as_graphs_come_and_go() {
    let store = EmbeddedStore::in_memory().unwrap();
    assert_eq!(triples_in_the_union(&store), integer(0));
    // Only the default graph holds data.
    let default_only = "<https://data.example.org/id/s> <https://data.example.org/p> \"1\" .\n";
    store
        .bulk_load(DumpFormat::NQuads, default_only.as_bytes())
        .unwrap();
    assert_eq!(triples_in_the_union(&store), integer(1));
    // A named graph as well: both are read.
    let named = "<https://data.example.org/id/s> <https://data.example.org/p> \"2\" <https://data.example.org/g/a> .\n";
    store
        .bulk_load(DumpFormat::NQuads, named.as_bytes())
        .unwrap();
    assert_eq!(triples_in_the_union(&store), integer(2));
    // Only one named graph holds data.
    let other = EmbeddedStore::in_memory().unwrap();
    other
        .bulk_load(DumpFormat::NQuads, named.as_bytes())
        .unwrap();
    assert_eq!(triples_in_the_union(&other), integer(1));
    // Two named graphs and an empty default graph.
    other.ingest(batch(observations(3, 1.0))).unwrap();
    let observations_and_more = first_value(
        other
            .query(
                "SELECT (COUNT(*) AS ?n) WHERE { { ?o a <http://www.w3.org/ns/sosa/Observation> } UNION { ?s <https://data.example.org/p> ?v } }",
                &QueryOptions::default(),
            )
            .unwrap(),
    );
    assert_eq!(observations_and_more, integer(4));
}

#[test]
fn results_beyond_the_limit_are_marked_truncated() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(10, 1.0))).unwrap();
    let options = QueryOptions {
        max_results: 3,
        ..QueryOptions::default()
    };
    let answer = store
        .query(
            "SELECT ?o WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }",
            &options,
        )
        .unwrap();
    let QueryAnswer::Solutions {
        rows, truncated, ..
    } = answer
    else {
        panic!()
    };
    assert_eq!(rows.len(), 3);
    assert!(truncated);
}

#[test]
fn a_large_cross_product_is_refused_before_it_runs() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(300, 1.0))).unwrap();
    let started = std::time::Instant::now();
    let result = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        &QueryOptions::default(),
    );
    assert!(
        matches!(result, Err(StoreError::QueryRefused(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // Parts joined by a shared variable, or a cross product with a tiny part, still run.
    for query in [
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?c ?e ?f }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?a a <http://www.w3.org/ns/sosa/Observation> . <https://nothing.example/x> ?p ?o }",
        "SELECT * WHERE { { ?a ?b ?c } UNION { ?d ?e ?f } } LIMIT 3",
    ] {
        store
            .query(query, &QueryOptions::default())
            .unwrap_or_else(|e| panic!("{query}: {e}"));
    }
}

#[test]
fn service_calls_are_refused() {
    let store = EmbeddedStore::in_memory().unwrap();
    let result = store.query(
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        &QueryOptions::default(),
    );
    assert!(
        matches!(result, Err(StoreError::ServiceRefused(_))),
        "{result:?}"
    );
}

/// Connected (so not refused) but slow: every triple paired with every triple of its predicate.
const EXPENSIVE_QUERY: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z }";

#[test]
fn an_expensive_query_is_stopped_by_its_timeout() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(100, 1.0))).unwrap();
    let options = QueryOptions {
        max_results: 10,
        timeout: Some(std::time::Duration::from_millis(300)),
        ..QueryOptions::default()
    };
    let started = std::time::Instant::now();
    // Triples joined on their predicate only: a lot of work, all of it reading the store.
    let result = store.query(EXPENSIVE_QUERY, &options);
    eprintln!("stopped after {:?}", started.elapsed());
    assert!(
        matches!(result, Err(StoreError::QueryTimeout { .. })),
        "{result:?}"
    );
    // Only a guard against a hang: how soon the engine notices depends on the machine's load.
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

#[test]
fn bad_queries_are_syntax_errors() {
    let store = EmbeddedStore::in_memory().unwrap();
    assert!(matches!(
        store.query("SELECT WHERE {", &QueryOptions::default()),
        Err(StoreError::QuerySyntax(_))
    ));
}

#[test]
fn dump_writes_every_quad() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(2, 1.0))).unwrap();
    let mut out = Vec::new();
    let written = store.dump(DumpFormat::NQuads, &mut out).unwrap();
    assert_eq!(written, store.count_quads().unwrap());
    assert_eq!(
        String::from_utf8(out).unwrap().lines().count() as u64,
        written
    );
}

#[test]
fn payloads_are_archived_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let archive = PayloadArchive::new(dir.path());
    let first = archive.archive(b"{\"report\":[]}").unwrap();
    assert!(!first.already_present);
    let second = archive.archive(b"{\"report\":[]}").unwrap();
    assert!(second.already_present);
    assert_eq!(first.sha256, second.sha256);
    assert_eq!(archive.read(&first.sha256).unwrap(), b"{\"report\":[]}");
    assert!(
        first
            .path
            .ends_with(format!("sha256/{}/{}", &first.sha256[..2], first.sha256))
    );
}

fn observation_type_pattern() -> QuadPattern {
    QuadPattern {
        subject: None,
        predicate: Some(belfort_vocab::rdf::TYPE.into_owned()),
        object: Some(belfort_vocab::sosa::OBSERVATION.into_owned().into()),
        graph: GraphSelector::Any,
    }
}

#[test]
fn pattern_pages_cover_every_match_once_in_a_stable_order() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(25, 1.0))).unwrap();
    let pattern = observation_type_pattern();
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.pattern_page(&pattern, offset, 10).unwrap();
        assert_eq!(page, store.pattern_page(&pattern, offset, 10).unwrap());
        offset += page.quads.len() as u64;
        seen.extend(page.quads);
        if !page.has_more {
            break;
        }
    }
    assert_eq!(seen.len(), 25);
    let distinct: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(distinct.len(), 25);
    let in_default = QuadPattern {
        graph: GraphSelector::Default,
        ..pattern
    };
    assert!(
        store
            .pattern_page(&in_default, 0, 10)
            .unwrap()
            .quads
            .is_empty()
    );
}

/// N-Quads with triples in the default graph and in two named graphs, some of them in
/// several graphs at once.
fn quads_in_several_graphs() -> String {
    let mut nquads = String::new();
    for i in 0..41 {
        let s = format!("<https://data.example.org/id/s{i}>");
        let graphs: &[&str] = match i % 4 {
            0 => &[""],
            1 => &["<https://data.example.org/g/a>"],
            2 => &[
                "<https://data.example.org/g/a>",
                "<https://data.example.org/g/b>",
            ],
            _ => &["", "<https://data.example.org/g/b>"],
        };
        for graph in graphs {
            for p in 0..3 {
                nquads.push_str(&format!(
                    "{s} <https://data.example.org/p{p}> \"{}\" {graph} .\n",
                    i % 5
                ));
            }
        }
    }
    nquads
}

/// Every page of `pattern` at `size` per page, read first to last (each continuing where the
/// previous ended) and then last to first (each from its offset).
fn pages_both_ways(
    store: &EmbeddedStore,
    pattern: &QuadPattern,
    size: usize,
) -> (
    Vec<belfort_store::PatternPage>,
    Vec<belfort_store::PatternPage>,
) {
    let mut forward = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.pattern_page(pattern, offset, size).unwrap();
        offset += page.quads.len() as u64;
        let more = page.has_more;
        forward.push(page);
        if !more {
            break;
        }
    }
    let mut backward: Vec<_> = (0..forward.len())
        .rev()
        .map(|n| {
            store
                .pattern_page(pattern, (n * size) as u64, size)
                .unwrap()
        })
        .collect();
    backward.reverse();
    (forward, backward)
}

#[test]
fn reading_a_fragment_page_after_page_gives_the_pages_read_from_their_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path()).unwrap();
    store
        .bulk_load(DumpFormat::NQuads, quads_in_several_graphs().as_bytes())
        .unwrap();
    let iri = |s: &str| oxrdf::NamedNode::new(format!("https://data.example.org/{s}")).unwrap();
    let any = QuadPattern {
        subject: None,
        predicate: None,
        object: None,
        graph: GraphSelector::Any,
    };
    let patterns = [
        any.clone(),
        QuadPattern {
            predicate: Some(iri("p1")),
            ..any.clone()
        },
        QuadPattern {
            object: Some(oxrdf::Literal::new_simple_literal("3").into()),
            ..any.clone()
        },
        QuadPattern {
            subject: Some(iri("id/s3")),
            ..any.clone()
        },
        QuadPattern {
            graph: GraphSelector::Named(iri("g/b")),
            ..any.clone()
        },
        QuadPattern {
            graph: GraphSelector::Default,
            ..any.clone()
        },
    ];
    for pattern in &patterns {
        let distinct: std::collections::HashSet<_> = store
            .pattern_page(pattern, 0, 10_000)
            .unwrap()
            .quads
            .into_iter()
            .collect();
        for size in [1, 4, 7, 100] {
            let (forward, backward) = pages_both_ways(&store, pattern, size);
            assert_eq!(forward, backward, "{pattern:?}, {size} per page");
            let read: Vec<_> = forward.into_iter().flat_map(|p| p.quads).collect();
            let read_set: std::collections::HashSet<_> = read.iter().cloned().collect();
            assert_eq!(read_set, distinct, "{pattern:?}, {size} per page");
        }
    }
    // The whole union: 41 subjects × 3 statements, each triple told once however many graphs
    // hold it.
    let all: Vec<_> = pages_both_ways(&store, &any, 7)
        .0
        .into_iter()
        .flat_map(|p| p.quads)
        .collect();
    assert_eq!(all.len(), 123);
}

#[test]
fn a_subjects_statements_read_from_the_index_are_those_a_query_finds() {
    let store = EmbeddedStore::in_memory().unwrap();
    store
        .bulk_load(DumpFormat::NQuads, quads_in_several_graphs().as_bytes())
        .unwrap();
    // One named graph alone: a pattern over every graph reads it.
    let one_graph = EmbeddedStore::in_memory().unwrap();
    let in_one_graph: String = quads_in_several_graphs()
        .lines()
        .filter(|line| line.contains("/g/a>"))
        .map(|line| format!("{line}\n"))
        .collect();
    one_graph
        .bulk_load(DumpFormat::NQuads, in_one_graph.as_bytes())
        .unwrap();
    // s1: graph a; s2: graphs a and b; s3: the default graph and graph b; s4: the default graph.
    for (store, subjects) in [(&store, 1..5), (&one_graph, 1..3)] {
        for i in subjects {
            let subject = format!("https://data.example.org/id/s{i}");
            let pattern = QuadPattern {
                subject: Some(oxrdf::NamedNode::new(&subject).unwrap()),
                predicate: None,
                object: None,
                graph: GraphSelector::Any,
            };
            let page = store.pattern_page(&pattern, 0, 10).unwrap();
            assert!(!page.has_more);
            assert!(page.quads.iter().all(|q| q.graph_name.is_default_graph()));
            let read: Vec<String> = page
                .quads
                .iter()
                .map(|q| format!("{} {}", q.predicate, q.object))
                .collect();
            let QueryAnswer::Solutions { rows, .. } = store
                .query(
                    &format!("SELECT DISTINCT ?p ?o WHERE {{ <{subject}> ?p ?o }}"),
                    &QueryOptions::default(),
                )
                .unwrap()
            else {
                panic!("solutions expected");
            };
            let mut found: Vec<String> = rows
                .iter()
                .map(|row| format!("{} {}", row[0].as_ref().unwrap(), row[1].as_ref().unwrap()))
                .collect();
            let mut sorted = read.clone();
            sorted.sort();
            found.sort();
            assert_eq!(sorted, found, "s{i}: each statement once");
            assert_eq!(read.len(), 3);
            // Counted from the index below the cap, by the engine above it: the same.
            assert_eq!(
                store.count_pattern(&pattern, 10).unwrap(),
                PatternCount::Exact(3)
            );
            assert_eq!(
                store.count_pattern(&pattern, u64::MAX).unwrap(),
                PatternCount::Exact(3)
            );
            assert_eq!(
                store.count_pattern(&pattern, 2).unwrap(),
                PatternCount::AtLeast(2)
            );
            // A shorter first page is the start of the longer one.
            assert_eq!(
                store.pattern_page(&pattern, 0, 2).unwrap().quads,
                page.quads[..2]
            );
        }
    }
}

#[test]
fn a_write_ends_every_open_walk_over_a_fragment() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(30, 1.0))).unwrap();
    let pattern = observation_type_pattern();
    // Reading the second page opens a walk, which then stands at offset 20 of the old data.
    assert!(store.pattern_page(&pattern, 10, 10).unwrap().has_more);
    let more: Vec<_> = observations(60, 1.0).into_iter().skip(30).collect();
    store.ingest(batch(more)).unwrap();
    // The third page comes from the new data: the same as read anew from its offset.
    let continued = store.pattern_page(&pattern, 20, 10).unwrap();
    assert_eq!(continued, store.pattern_page(&pattern, 20, 10).unwrap());
    let mut after = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.pattern_page(&pattern, offset, 10).unwrap();
        offset += page.quads.len() as u64;
        after.extend(page.quads);
        if !page.has_more {
            break;
        }
    }
    let distinct: std::collections::HashSet<_> = after.iter().collect();
    assert_eq!((after.len(), distinct.len()), (60, 60));
}

#[test]
fn pattern_counts_are_exact_below_the_cap_and_a_floor_above_it() {
    let store = EmbeddedStore::in_memory().unwrap();
    let before = store.data_version();
    store.ingest(batch(observations(25, 1.0))).unwrap();
    assert_ne!(before, store.data_version());
    let pattern = observation_type_pattern();
    assert_eq!(
        store.count_pattern(&pattern, 100).unwrap(),
        PatternCount::Exact(25)
    );
    assert_eq!(
        store.count_pattern(&pattern, 25).unwrap(),
        PatternCount::Exact(25)
    );
    assert_eq!(
        store.count_pattern(&pattern, 10).unwrap(),
        PatternCount::AtLeast(10)
    );
}

#[test]
fn a_query_stops_when_its_caller_cancels_it() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(100, 1.0))).unwrap();
    let cancellation = QueryCancellation::new();
    let options = QueryOptions {
        max_results: 10,
        timeout: None,
        cancellation: Some(cancellation.clone()),
        ..QueryOptions::default()
    };
    cancellation.cancel();
    let result = store.query(EXPENSIVE_QUERY, &options);
    assert!(
        matches!(result, Err(StoreError::QueryCancelled)),
        "{result:?}"
    );
}

#[test]
fn a_query_beyond_its_memory_budget_is_stopped() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(100, 1.0))).unwrap();
    let options = QueryOptions {
        timeout: Some(std::time::Duration::from_secs(60)),
        memory_budget: Some(1),
        ..QueryOptions::default()
    };
    let result = store.query(EXPENSIVE_QUERY, &options);
    assert!(
        matches!(result, Err(StoreError::QueryMemory { .. })),
        "{result:?}"
    );
}

#[test]
fn a_triple_in_several_graphs_matches_once_across_graphs() {
    let store = EmbeddedStore::in_memory().unwrap();
    store.ingest(batch(observations(3, 1.0))).unwrap();
    // The same context written into a second feed's graph.
    let mut second = batch(observations(3, 1.0));
    second.feed_graph =
        Some(oxrdf::NamedNode::new("https://data.example.org/id/graph/gent/other").unwrap());
    store.ingest(second).unwrap();
    let sensors = QuadPattern {
        subject: None,
        predicate: Some(belfort_vocab::rdf::TYPE.into_owned()),
        object: Some(belfort_vocab::sosa::SENSOR.into_owned().into()),
        graph: GraphSelector::Any,
    };
    assert_eq!(store.pattern_page(&sensors, 0, 10).unwrap().quads.len(), 1);
    assert_eq!(
        store.count_pattern(&sensors, 100).unwrap(),
        PatternCount::Exact(1)
    );
}
