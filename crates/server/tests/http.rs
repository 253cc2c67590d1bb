//! The server over real HTTP (127.0.0.1, port 0) against a real store: the Triple Pattern
//! Fragments checklist item by item, content negotiation, caching, CORS, errors and the
//! limits of the SPARQL endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use belfort_model::{
    Catalogue, FeedId, IriMinter, Observation, ObservationRdf, PhenomenonTime, SourceId,
};
use belfort_server::{RunningServer, ServerConfig};
use belfort_store::{IngestBatch, ObservationStore};
use belfort_store_embedded::EmbeddedStore;
use chrono::{Duration as Hours, TimeZone, Utc};
use oxrdf::{Dataset, GraphName, NamedNode, NamedOrBlankNode, Term};
use oxrdfio::{RdfFormat, RdfParser};
use reqwest::blocking::{Client, Response};
use reqwest::header;

const BASE_IRI: &str = "https://data.example.org/id/";
const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const VOID: &str = "http://rdfs.org/ns/void#";
const FOAF_PRIMARY_TOPIC: &str = "http://xmlns.com/foaf/0.1/primaryTopic";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const OBSERVATION: &str = "http://www.w3.org/ns/sosa/Observation";
/// Connected but slow: every triple paired with every triple of its predicate.
const EXPENSIVE_QUERY: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z }";

fn observations(sensor: &str, count: i64) -> Vec<ObservationRdf> {
    let catalogue = Catalogue::bundled().unwrap();
    let minter = IriMinter::new(BASE_IRI).unwrap();
    let car = catalogue.property_by_key("traffic-count-car").unwrap();
    let start = Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap();
    (0..count)
        .map(|h| {
            let begin = start + Hours::hours(h);
            Observation {
                feed: FeedId::parse("gent/telraam").unwrap(),
                sensor: SourceId::new("telraam", sensor),
                feature: SourceId::new("telraam", sensor),
                sample_of: None,
                property: car.iri.clone(),
                value: h as f64,
                unit: car.canonical_unit.clone(),
                integer_valued: true,
                phenomenon_time: PhenomenonTime::interval(begin, begin + Hours::hours(1)).unwrap(),
                result_time: begin + Hours::hours(1),
                location: None,
                qualifiers: Vec::new(),
                source_record: String::new(),
                source_iri: None,
            }
            .to_rdf(&minter, &catalogue)
        })
        .collect()
}

fn store_with(count: i64) -> Arc<EmbeddedStore> {
    let store = EmbeddedStore::in_memory().unwrap();
    store
        .ingest(IngestBatch {
            feed_graph: Some(NamedNode::new(format!("{BASE_IRI}graph/gent/telraam")).unwrap()),
            observations: observations("1", count),
            ..IngestBatch::default()
        })
        .unwrap();
    Arc::new(store)
}

struct Running {
    server: RunningServer,
    client: Client,
}

impl Running {
    fn start(count: i64, config: ServerConfig) -> Self {
        let server = RunningServer::start(store_with(count), config, "127.0.0.1:0").unwrap();
        let client = Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        Self { server, client }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.address())
    }

    fn get(&self, path: &str, accept: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(header::ACCEPT, accept)
            .send()
            .unwrap()
    }

    fn get_url(&self, url: &str, accept: &str) -> Response {
        self.client
            .get(url)
            .header(header::ACCEPT, accept)
            .send()
            .unwrap()
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        iri_base: BASE_IRI.to_owned(),
        page_size: 10,
        ..ServerConfig::default()
    }
}

fn fragment_path(predicate: &str, object: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("predicate", predicate)
        .append_pair("object", object)
        .finish();
    format!("/fragments?{query}")
}

fn parse(response: Response, format: RdfFormat) -> Dataset {
    let body = response.bytes().unwrap();
    RdfParser::from_format(format)
        .for_slice(&body)
        .collect::<Result<Dataset, _>>()
        .unwrap()
}

/// The statements of a response in the order the server wrote them.
fn in_document_order(response: Response, format: RdfFormat) -> Vec<oxrdf::Quad> {
    let body = response.bytes().unwrap();
    RdfParser::from_format(format)
        .for_slice(&body)
        .collect::<Result<_, _>>()
        .unwrap()
}

fn objects(dataset: &Dataset, subject: &str, predicate: &str) -> Vec<Term> {
    dataset
        .iter()
        .filter(|q| {
            q.subject.to_string() == format!("<{subject}>") && q.predicate.as_str() == predicate
        })
        .map(|q| q.object.into_owned())
        .collect()
}

fn integer(term: &Term) -> u64 {
    match term {
        Term::Literal(l) => l.value().parse().unwrap(),
        other => panic!("not a literal: {other}"),
    }
}

fn problem_code(response: Response) -> String {
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let body: serde_json::Value = response.json().unwrap();
    body["code"].as_str().unwrap().to_owned()
}

#[test]
fn paging_covers_every_match_exactly_once_with_counts_and_controls_on_every_page() {
    let running = Running::start(25, config());
    let mut url = running.url(&fragment_path(RDF_TYPE, OBSERVATION));
    let fragment = url.clone();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let response = running.get_url(&url, "application/trig");
        assert_eq!(response.status(), 200);
        let dataset = parse(response, RdfFormat::TriG);
        let metadata = GraphName::NamedNode(
            NamedNode::new(format!(
                "{}/fragments#metadata",
                running.server.public_base()
            ))
            .unwrap(),
        );
        // Data in the default graph, metadata and controls in the metadata graph.
        let data: Vec<_> = dataset
            .iter()
            .filter(|q| q.graph_name.is_default_graph())
            .map(|q| q.into_owned())
            .collect();
        assert!(data.iter().all(|q| q.predicate.as_str() == RDF_TYPE));
        assert!(dataset.iter().all(|q| !matches!(
            q.subject,
            oxrdf::NamedOrBlankNodeRef::BlankNode(_)
        ) && !matches!(q.object, oxrdf::TermRef::BlankNode(_))));
        let in_metadata = |s: &str, p: &str| -> Vec<Term> {
            dataset
                .iter()
                .filter(|q| q.graph_name == metadata.as_ref())
                .filter(|q| q.subject.to_string() == format!("<{s}>") && q.predicate.as_str() == p)
                .map(|q| q.object.into_owned())
                .collect()
        };
        assert_eq!(
            integer(&in_metadata(&fragment, &format!("{VOID}triples"))[0]),
            25
        );
        assert_eq!(
            integer(&in_metadata(&fragment, &format!("{HYDRA}totalItems"))[0]),
            25
        );
        assert_eq!(
            integer(&in_metadata(&fragment, &format!("{HYDRA}itemsPerPage"))[0]),
            10
        );
        assert_eq!(
            in_metadata(&fragment, &format!("{HYDRA}view")),
            vec![Term::from(NamedNode::new(url.clone()).unwrap())]
        );
        let dataset_iri = format!("{}/fragments#dataset", running.server.public_base());
        let search = in_metadata(&dataset_iri, &format!("{HYDRA}search"));
        assert_eq!(search.len(), 1);
        let form = search[0].to_string().trim_matches(['<', '>']).to_owned();
        let template = in_metadata(&form, &format!("{HYDRA}template"));
        assert!(
            template[0]
                .to_string()
                .contains("/fragments{?subject,predicate,object}")
        );
        let properties: HashSet<String> = in_metadata(&form, &format!("{HYDRA}mapping"))
            .iter()
            .flat_map(|m| {
                in_metadata(
                    m.to_string().trim_matches(['<', '>']),
                    &format!("{HYDRA}property"),
                )
            })
            .map(|p| p.to_string())
            .collect();
        assert_eq!(properties.len(), 3);
        assert!(
            in_metadata(&dataset_iri, &format!("{VOID}subset"))
                .contains(&Term::from(NamedNode::new(fragment.clone()).unwrap()))
        );
        // The metadata graph is about the fragment, and the page is part of the fragment:
        // Comunica finds the metadata graph from these two links.
        let metadata_iri = metadata.to_string().trim_matches(['<', '>']).to_owned();
        assert_eq!(
            in_metadata(&metadata_iri, FOAF_PRIMARY_TOPIC),
            vec![Term::from(NamedNode::new(fragment.clone()).unwrap())]
        );
        assert_eq!(
            in_metadata(&fragment, &format!("{VOID}subset")),
            vec![Term::from(NamedNode::new(url.clone()).unwrap())]
        );
        assert_eq!(in_metadata(&url, &format!("{HYDRA}first")).len(), 1);
        assert_eq!(
            in_metadata(&url, &format!("{HYDRA}previous")).len(),
            usize::from(pages > 1)
        );
        seen.extend(data);
        match in_metadata(&url, &format!("{HYDRA}next")).first() {
            Some(next) => url = next.to_string().trim_matches(['<', '>']).to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 25);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);
}

#[test]
fn counts_are_zero_only_for_empty_fragments_and_exact_when_small() {
    let running = Running::start(5, config());
    let empty = running.url("/fragments?subject=https%3A%2F%2Fnothing.example%2Fx");
    let dataset = parse(running.get_url(&empty, "text/turtle"), RdfFormat::Turtle);
    assert_eq!(
        integer(&objects(&dataset, &empty, &format!("{HYDRA}totalItems"))[0]),
        0
    );
    assert!(objects(&dataset, &empty, &format!("{HYDRA}first")).is_empty());
    assert!(objects(&dataset, &empty, &format!("{HYDRA}next")).is_empty());
    let small = running.url(&fragment_path(RDF_TYPE, OBSERVATION));
    let dataset = parse(running.get_url(&small, "text/turtle"), RdfFormat::Turtle);
    assert_eq!(
        integer(&objects(&dataset, &small, &format!("{VOID}triples"))[0]),
        5
    );
}

#[test]
fn large_fragments_get_a_nonzero_estimate_without_a_full_count() {
    let running = Running::start(
        60,
        ServerConfig {
            exact_count_limit: 20,
            ..config()
        },
    );
    let all = running.url("/fragments");
    let dataset = parse(running.get_url(&all, "text/turtle"), RdfFormat::Turtle);
    let estimate = integer(&objects(&dataset, &all, &format!("{HYDRA}totalItems"))[0]);
    assert!(estimate >= 20, "{estimate}");
    // A background count makes later answers exact.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let response = running
            .client
            .get(&all)
            .header(header::ACCEPT, "text/turtle")
            .header("Cache-Control", "no-cache")
            .send()
            .unwrap();
        let dataset = parse(response, RdfFormat::Turtle);
        let count = integer(&objects(&dataset, &all, &format!("{HYDRA}totalItems"))[0]);
        if count > 20 {
            assert!(count > 60 * 10, "{count}");
            break;
        }
        assert!(Instant::now() < deadline, "the exact count never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn selectors_take_literals_in_every_encoding_and_refuse_blank_nodes() {
    let running = Running::start(3, config());
    // Values are published as xsd:integer (the property is integer-valued).
    let typed = running
        .url("/fragments?object=%222%22%5E%5Ehttp%3A%2F%2Fwww.w3.org%2F2001%2FXMLSchema%23integer");
    let dataset = parse(
        running.get_url(&typed, "application/n-triples"),
        RdfFormat::NTriples,
    );
    let data: Vec<_> = dataset
        .iter()
        .filter(|q| q.predicate.as_str() == "http://www.w3.org/ns/sosa/hasSimpleResult")
        .collect();
    assert_eq!(data.len(), 1, "{dataset}");
    let blank = running.get("/fragments?subject=_%3Ab0", "text/turtle");
    assert_eq!(blank.status(), 400);
    assert_eq!(problem_code(blank), "invalid-selector");
    let bad_page = running.get("/fragments?page=0", "text/turtle");
    assert_eq!(bad_page.status(), 400);
}

#[test]
fn every_representation_is_offered_for_every_fragment() {
    let running = Running::start(3, config());
    let path = fragment_path(RDF_TYPE, OBSERVATION);
    for (accept, format) in [
        ("text/turtle", Some(RdfFormat::Turtle)),
        ("application/trig", Some(RdfFormat::TriG)),
        ("application/n-triples", Some(RdfFormat::NTriples)),
        ("application/n-quads", Some(RdfFormat::NQuads)),
        (
            "application/ld+json",
            Some(RdfFormat::JsonLd {
                profile: oxrdfio::JsonLdProfileSet::empty(),
            }),
        ),
        ("text/html", None),
    ] {
        let response = running.get(&path, accept);
        assert_eq!(response.status(), 200, "{accept}");
        assert!(
            response.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(accept),
            "{accept}"
        );
        assert_eq!(response.headers()[header::VARY], "Accept");
        match format {
            Some(format) => {
                let dataset = parse(response, format);
                let observations = dataset
                    .iter()
                    .filter(|q| q.object.to_string() == format!("<{OBSERVATION}>"))
                    .count();
                assert_eq!(observations, 3, "{accept}");
            }
            None => {
                let page = response.text().unwrap();
                assert!(page.contains("<form"), "the HTML page has the search form");
                assert!(page.contains("name=\"subject\""));
            }
        }
    }
    let refused = running.get(&path, "image/png");
    assert_eq!(refused.status(), 406);
    assert_eq!(problem_code(refused), "not-acceptable");
}

#[test]
fn validators_caching_cors_and_compression() {
    let running = Running::start(3, config());
    let path = fragment_path(RDF_TYPE, OBSERVATION);
    let first = running.get(&path, "text/turtle");
    let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert!(
        first.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert_eq!(first.headers()["access-control-allow-origin"], "*");
    let again = running
        .client
        .get(running.url(&path))
        .header(header::ACCEPT, "text/turtle")
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    // Another representation has another validator.
    let other = running.get(&path, "application/n-triples");
    assert_ne!(other.headers()[header::ETAG].to_str().unwrap(), etag);
    let compressed = running
        .client
        .get(running.url(&path))
        .header(header::ACCEPT, "text/turtle")
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .unwrap();
    assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "gzip");
    let uncompressed = Running::start(
        5,
        ServerConfig {
            compress: false,
            ..config()
        },
    );
    let plain = uncompressed
        .client
        .get(uncompressed.url(&path))
        .header(header::ACCEPT, "text/turtle")
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .send()
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let missing = running.get("/nothing-here", "text/turtle");
    assert_eq!(missing.status(), 404);
    assert_eq!(problem_code(missing), "not-found");
    let preflight = running
        .client
        .request(reqwest::Method::OPTIONS, running.url("/sparql"))
        .header("Origin", "https://example.org")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
}

#[test]
fn links_follow_the_configured_public_base() {
    let running = Running::start(
        25,
        ServerConfig {
            public_base: Some("https://proxy.example.org/belfort".to_owned()),
            ..config()
        },
    );
    let body = running
        .get(
            &fragment_path(RDF_TYPE, OBSERVATION),
            "application/n-triples",
        )
        .text()
        .unwrap();
    assert!(body.contains("<https://proxy.example.org/belfort/fragments?predicate="));
    assert!(body.contains("&page=2>"));
    assert!(!body.contains("127.0.0.1"));
}

#[test]
fn minted_iris_dereference() {
    let running = Running::start(2, config());
    let observation = observations("1", 1).remove(0).iri;
    let path = observation.as_str().strip_prefix(BASE_IRI).unwrap();
    let response = running.get(&format!("/id/{path}"), "text/turtle");
    assert_eq!(response.status(), 200);
    let dataset = parse(response, RdfFormat::Turtle);
    assert!(
        dataset
            .iter()
            .any(|q| q.subject == NamedOrBlankNode::from(observation.clone()).as_ref())
    );
    let html = running
        .get(&format!("/id/{path}"), "text/html")
        .text()
        .unwrap();
    assert!(html.contains("hasSimpleResult"));
    assert_eq!(running.get("/id/nothing/here", "text/turtle").status(), 404);
}

#[test]
fn landing_page_health_and_metrics() {
    let running = Running::start(2, config());
    let html = running.get("/", "text/html");
    assert_eq!(html.status(), 200);
    assert!(html.text().unwrap().contains("/sparql"));
    let catalogue = parse(running.get("/", "text/turtle"), RdfFormat::Turtle);
    assert!(
        catalogue
            .iter()
            .any(|q| q.object.to_string() == "<http://www.w3.org/ns/dcat#Catalog>")
    );
    assert_eq!(running.get("/health", "application/json").status(), 200);
    running.get(&fragment_path(RDF_TYPE, OBSERVATION), "text/turtle");
    let metrics = running.get("/metrics", "text/plain").text().unwrap();
    assert!(
        metrics.contains("belfort_fragment_requests_total 1"),
        "{metrics}"
    );
}

fn sparql_get(running: &Running, query: &str, accept: &str) -> Response {
    running
        .client
        .get(running.url("/sparql"))
        .query(&[("query", query)])
        .header(header::ACCEPT, accept)
        .send()
        .unwrap()
}

const COUNT_QUERY: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }";

#[test]
fn sparql_protocol_get_post_form_and_post_direct_in_every_result_format() {
    let running = Running::start(4, config());
    let json: serde_json::Value =
        sparql_get(&running, COUNT_QUERY, "application/sparql-results+json")
            .json()
            .unwrap();
    assert_eq!(json["results"]["bindings"][0]["n"]["value"], "4");
    let form = running
        .client
        .post(running.url("/sparql"))
        .form(&[("query", COUNT_QUERY)])
        .header(header::ACCEPT, "application/sparql-results+xml")
        .send()
        .unwrap();
    assert_eq!(form.status(), 200);
    assert!(
        form.text()
            .unwrap()
            .contains("<literal datatype=\"http://www.w3.org/2001/XMLSchema#integer\">4</literal>")
    );
    let direct = running
        .client
        .post(running.url("/sparql"))
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .header(header::ACCEPT, "text/csv")
        .body(COUNT_QUERY)
        .send()
        .unwrap();
    assert_eq!(direct.text().unwrap().trim(), "n\r\n4");
    let tsv = sparql_get(&running, COUNT_QUERY, "text/tab-separated-values")
        .text()
        .unwrap();
    assert!(tsv.starts_with("?n"), "{tsv}");
    let ask: serde_json::Value = sparql_get(
        &running,
        "ASK { ?s ?p ?o }",
        "application/sparql-results+json",
    )
    .json()
    .unwrap();
    assert_eq!(ask["boolean"], true);
    let construct = sparql_get(
        &running,
        "CONSTRUCT { ?o a <http://www.w3.org/ns/sosa/Observation> } WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }",
        "text/turtle",
    );
    assert!(
        construct.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    assert_eq!(parse(construct, RdfFormat::Turtle).len(), 4);
    // Protocol errors.
    let syntax = sparql_get(
        &running,
        "SELECT WHERE {",
        "application/sparql-results+json",
    );
    assert_eq!(syntax.status(), 400);
    assert_eq!(problem_code(syntax), "query-syntax");
    let twice = running.get(
        "/sparql?query=ASK%7B%7D&query=ASK%7B%7D",
        "application/sparql-results+json",
    );
    assert_eq!(twice.status(), 400);
    let wrong_type = running
        .client
        .post(running.url("/sparql"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(COUNT_QUERY)
        .send()
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    let page = running.get("/sparql", "text/html");
    assert!(page.text().unwrap().contains("<textarea"));
}

#[test]
fn updates_are_refused_and_service_makes_no_connection() {
    let running = Running::start(2, config());
    let update = running
        .client
        .post(running.url("/sparql"))
        .header(header::CONTENT_TYPE, "application/sparql-update")
        .body("INSERT DATA { <http://a.example/s> <http://a.example/p> 1 }")
        .send()
        .unwrap();
    assert_eq!(update.status(), 403);
    assert_eq!(problem_code(update), "read-only");
    let form_update = running
        .client
        .post(running.url("/sparql"))
        .form(&[("update", "LOAD <http://127.0.0.1:9/data.ttl>")])
        .send()
        .unwrap();
    assert_eq!(form_update.status(), 403);
    // A listener that records whether anyone connected.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let target = listener.local_addr().unwrap();
    let service = sparql_get(
        &running,
        &format!("SELECT * WHERE {{ SERVICE <http://{target}/sparql> {{ ?s ?p ?o }} }}"),
        "application/sparql-results+json",
    );
    assert_eq!(service.status(), 403);
    assert_eq!(problem_code(service), "service-not-allowed");
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        listener.accept().is_err(),
        "the server connected to the SERVICE address"
    );
}

#[test]
fn request_bodies_are_limited() {
    let running = Running::start(
        1,
        ServerConfig {
            max_body_bytes: 1024,
            ..config()
        },
    );
    let big = format!("SELECT * WHERE {{ ?s ?p ?o }} # {}", "x".repeat(4096));
    let response = running
        .client
        .post(running.url("/sparql"))
        .header(header::CONTENT_TYPE, "application/sparql-query")
        .body(big)
        .send()
        .unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(problem_code(response), "body-too-large");
}

#[test]
fn a_cut_answer_is_an_error_unless_partial_answers_are_accepted() {
    let running = Running::start(
        20,
        ServerConfig {
            max_results: 5,
            ..config()
        },
    );
    let all = "SELECT ?o WHERE { ?o a <http://www.w3.org/ns/sosa/Observation> }";
    let refused = sparql_get(&running, all, "application/sparql-results+json");
    assert_eq!(refused.status(), 422);
    assert_eq!(problem_code(refused), "result-too-large");
    let partial = running
        .client
        .get(running.url("/sparql"))
        .query(&[("query", all), ("partial", "true")])
        .send()
        .unwrap();
    assert_eq!(partial.status(), 200);
    assert_eq!(partial.headers()["belfort-result-truncated"], "5");
    let json: serde_json::Value = partial.json().unwrap();
    assert_eq!(json["results"]["bindings"].as_array().unwrap().len(), 5);
    let limited = sparql_get(
        &running,
        &format!("{all} LIMIT 5"),
        "application/sparql-results+json",
    );
    assert_eq!(limited.status(), 200);
    assert!(limited.headers().get("belfort-result-truncated").is_none());
}

#[test]
fn hostile_queries_end_within_their_limit_and_leave_the_cpu_idle() {
    let timeout = Duration::from_millis(800);
    let running = Running::start(
        100,
        ServerConfig {
            query_timeout: timeout,
            max_concurrent_queries: 1,
            ..config()
        },
    );
    // A cross product is refused before it runs.
    let started = Instant::now();
    let cross = sparql_get(
        &running,
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        "application/sparql-results+json",
    );
    assert_eq!(cross.status(), 400);
    assert_eq!(problem_code(cross), "query-refused");
    assert!(started.elapsed() < timeout + Duration::from_secs(1));
    // An expensive connected query is stopped at its time limit.
    let started = Instant::now();
    let slow = sparql_get(&running, EXPENSIVE_QUERY, "application/sparql-results+json");
    assert_eq!(slow.status(), 503);
    assert_eq!(problem_code(slow), "query-timeout");
    assert!(
        started.elapsed() < timeout + Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // The engine really stopped: no query holds a slot a moment later.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let metrics = running.get("/metrics", "text/plain").text().unwrap();
        if metrics.contains("belfort_sparql_running 0") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a stopped query still runs: {metrics}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_second_query_while_the_only_slot_is_taken_gets_429() {
    let running = Arc::new(Running::start(
        100,
        ServerConfig {
            query_timeout: Duration::from_secs(3),
            max_concurrent_queries: 1,
            ..config()
        },
    ));
    let busy = {
        let running = Arc::clone(&running);
        std::thread::spawn(move || {
            sparql_get(&running, EXPENSIVE_QUERY, "application/sparql-results+json").status()
        })
    };
    // Wait until the first query holds the slot.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !running
        .get("/metrics", "text/plain")
        .text()
        .unwrap()
        .contains("belfort_sparql_running 1")
    {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let rejected = sparql_get(&running, COUNT_QUERY, "application/sparql-results+json");
    assert_eq!(rejected.status(), 429);
    assert!(rejected.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(problem_code(rejected), "overloaded");
    assert_eq!(busy.join().unwrap(), 503);
}

#[test]
fn a_client_that_goes_away_stops_its_query() {
    let running = Running::start(
        100,
        ServerConfig {
            query_timeout: Duration::from_secs(30),
            ..config()
        },
    );
    let impatient = Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let gone = impatient
        .get(running.url("/sparql"))
        .query(&[("query", EXPENSIVE_QUERY)])
        .send();
    assert!(gone.is_err());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = running.get("/metrics", "text/plain").text().unwrap();
        if metrics.contains("belfort_sparql_running 0") {
            break;
        }
        assert!(Instant::now() < deadline, "the abandoned query still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn protocol_dataset_parameters_select_graphs() {
    let running = Running::start(3, config());
    let graph = format!("{BASE_IRI}graph/gent/telraam");
    let in_graph: serde_json::Value = running
        .client
        .get(running.url("/sparql"))
        .query(&[
            ("query", COUNT_QUERY),
            ("default-graph-uri", graph.as_str()),
        ])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(in_graph["results"]["bindings"][0]["n"]["value"], "3");
    let elsewhere: serde_json::Value = running
        .client
        .get(running.url("/sparql"))
        .query(&[
            ("query", COUNT_QUERY),
            ("default-graph-uri", "http://nothing.example/g"),
        ])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(elsewhere["results"]["bindings"][0]["n"]["value"], "0");
}

#[test]
fn a_repeated_page_comes_from_the_page_cache_unless_the_cache_is_off() {
    let running = Running::start(5, config());
    let path = fragment_path(RDF_TYPE, OBSERVATION);
    let first = running.get(&path, "text/turtle").text().unwrap();
    let second = running.get(&path, "text/turtle").text().unwrap();
    assert_eq!(first, second);
    let metrics = running.get("/metrics", "text/plain").text().unwrap();
    assert!(
        metrics.contains("belfort_page_cache_hits_total 1"),
        "{metrics}"
    );
    let uncached = Running::start(
        5,
        ServerConfig {
            page_cache_bytes: 0,
            ..config()
        },
    );
    uncached.get(&path, "text/turtle");
    uncached.get(&path, "text/turtle");
    let metrics = uncached.get("/metrics", "text/plain").text().unwrap();
    assert!(
        metrics.contains("belfort_page_cache_hits_total 0"),
        "{metrics}"
    );
}

#[test]
fn the_dump_streams_every_quad_with_validators_and_is_bounded() {
    let running = Running::start(3000, config());
    let store_quads = store_with(3000).count_quads().unwrap();
    let response = running.get("/dump", "application/n-quads");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/n-quads"
    );
    assert!(
        response.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("belfort.nq")
    );
    let etag = response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.bytes().unwrap();
    let quads = RdfParser::from_format(RdfFormat::NQuads)
        .for_slice(&body)
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .len();
    assert_eq!(quads as u64, store_quads);
    assert!(body.len() > 256 * 1024, "more than one chunk was streamed");
    let again = running
        .client
        .get(running.url("/dump"))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    let trig = running.get("/dump", "application/trig");
    assert_eq!(trig.status(), 200);
    let trig_quads = RdfParser::from_format(RdfFormat::TriG)
        .for_slice(&trig.bytes().unwrap())
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .len();
    assert_eq!(trig_quads as u64, store_quads);
    assert_eq!(running.get("/dump", "image/png").status(), 406);
    // The catalogue offers it as a download.
    let catalogue = parse(running.get("/", "text/turtle"), RdfFormat::Turtle);
    assert!(catalogue.iter().any(|q| {
        q.predicate.as_str() == "http://www.w3.org/ns/dcat#downloadURL"
            && q.object.to_string() == format!("<{}>", running.url("/dump"))
    }));
}

#[test]
fn dumps_beyond_the_limit_get_429_and_a_client_that_leaves_frees_its_slot() {
    use std::io::Read;
    let running = Running::start(20_000, config());
    // Two dumps read one byte each and stall: their slots stay taken.
    let open = |running: &Running| {
        let mut response = running.get("/dump", "application/n-quads");
        assert_eq!(response.status(), 200);
        let mut byte = [0u8; 1];
        response.read_exact(&mut byte).unwrap();
        response
    };
    let first = open(&running);
    let second = open(&running);
    let third = running.get("/dump", "application/n-quads");
    assert_eq!(third.status(), 429);
    assert!(third.headers().contains_key(header::RETRY_AFTER));
    drop(first);
    drop(second);
    // The stalled dumps notice their clients left and give their slots back.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = running.get("/dump", "application/n-quads").status();
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "slots never freed: {status}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Every data triple of a fragment, page after page through `hydra:next`.
fn all_pages(running: &Running, first: &str) -> (Vec<String>, u64, usize) {
    let mut url = first.to_owned();
    let (mut data, mut pages) = (Vec::new(), 0);
    let total = loop {
        pages += 1;
        let response = running.get_url(&url, "application/trig");
        assert_eq!(response.status(), 200, "{url}");
        let quads = in_document_order(response, RdfFormat::TriG);
        data.extend(
            quads
                .iter()
                .filter(|q| q.graph_name.is_default_graph())
                .map(|q| format!("{} {} {}", q.subject, q.predicate, q.object)),
        );
        let about = |p: &str| -> Vec<Term> {
            quads
                .iter()
                .filter(|q| !q.graph_name.is_default_graph() && q.predicate.as_str() == p)
                .map(|q| q.object.clone())
                .collect()
        };
        let total = integer(&about(&format!("{HYDRA}totalItems"))[0]);
        match about(&format!("{HYDRA}next")).first() {
            Some(next) => url = next.to_string().trim_matches(['<', '>']).to_owned(),
            None => break total,
        }
    };
    (data, total, pages)
}

#[test]
fn a_restricted_fragment_whose_rows_bind_the_same_positions_serves_the_rows_end_to_end() {
    // One match per plain page: ten per page of a restricted fragment.
    let running = Running::start(
        25,
        ServerConfig {
            page_size: 1,
            ..config()
        },
    );
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("predicate", RDF_TYPE)
        .finish();
    let (typed, _, _) = all_pages(&running, &running.url(&format!("/fragments?{query}")));
    let mut types: Vec<String> = Vec::new();
    for object in typed.iter().filter_map(|t| t.rsplit(' ').next()) {
        if !types.iter().any(|t| t == object) {
            types.push(object.to_owned());
        }
    }
    assert!(types.len() >= 3, "{types:?}");
    // A row with no matches between the others, and the observations (25) last but one, so
    // that pages begin inside rows and at their ends.
    types.insert(1, "<https://nothing.example/type>".to_owned());
    if let Some(at) = types.iter().position(|t| t == &format!("<{OBSERVATION}>")) {
        let observation = types.remove(at);
        types.insert(types.len() - 1, observation);
    }
    let expected: Vec<String> = types
        .iter()
        .flat_map(|t| {
            all_pages(
                &running,
                &running.url(&fragment_path(RDF_TYPE, t.trim_matches(['<', '>']))),
            )
            .0
        })
        .collect();
    let rows: String = types.iter().map(|t| format!("({t}) ")).collect();
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("subject", "?s")
        .append_pair("predicate", RDF_TYPE)
        .append_pair("object", "?t")
        .append_pair("values", &format!("(?t) {{ {rows}}}"))
        .finish();
    let first = running.url(&format!("/fragments?{query}"));
    let (data, total, pages) = all_pages(&running, &first);
    assert_eq!(
        data, expected,
        "the rows' matches end to end, each row in store order"
    );
    assert_eq!(total, expected.len() as u64, "the rows' counts, exact");
    assert!(pages >= 3 && pages == expected.len().div_ceil(10));
    // Each page asked for on its own, without the pages before it: the same slice.
    for page in (2..=pages).rev() {
        let response = running.get_url(&format!("{first}&page={page}"), "application/n-quads");
        assert_eq!(response.status(), 200);
        let quads = in_document_order(response, RdfFormat::NQuads);
        let per_page: Vec<Term> = quads
            .iter()
            .filter(|q| q.predicate.as_str() == format!("{HYDRA}itemsPerPage"))
            .map(|q| q.object.clone())
            .collect();
        assert!(per_page.iter().all(|n| integer(n) == 10) && !per_page.is_empty());
        let served: Vec<String> = quads
            .iter()
            .filter(|q| q.graph_name.is_default_graph())
            .map(|q| format!("{} {} {}", q.subject, q.predicate, q.object))
            .collect();
        let from = (page - 1) * 10;
        assert_eq!(
            served,
            expected[from..(from + 10).min(expected.len())],
            "page {page}"
        );
    }
}

#[test]
fn a_bindings_restricted_fragment_pages_through_the_union_of_its_rows_each_triple_once() {
    // One match per plain page: ten per page of a restricted fragment.
    let running = Running::start(
        25,
        ServerConfig {
            page_size: 1,
            ..config()
        },
    );
    let (types, _, _) = all_pages(
        &running,
        &running.url(&fragment_path(RDF_TYPE, OBSERVATION)),
    );
    let observations: Vec<String> = types
        .iter()
        .filter_map(|t| t.split(' ').next())
        .map(str::to_owned)
        .take(3)
        .collect();
    assert_eq!(observations.len(), 3);
    let about = |subject: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("subject", subject.trim_matches(['<', '>']))
            .finish();
        all_pages(&running, &running.url(&format!("/fragments?{query}"))).0
    };
    let mut expected: Vec<String> = observations.iter().flat_map(|o| about(o)).collect();
    expected.sort();
    let restricted = |values: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("subject", "?o")
            .append_pair("predicate", "?p")
            .append_pair("object", "?x")
            .append_pair("values", values)
            .finish();
        running.url(&format!("/fragments?{query}"))
    };
    // Three observations, the first twice, and a row whose matches are all already in.
    let values = format!(
        "(?o ?p) {{ ({a} UNDEF) ({b} UNDEF) ({a} UNDEF) ({c} UNDEF) ({a} <{RDF_TYPE}>) }}",
        a = observations[0],
        b = observations[1],
        c = observations[2]
    );
    let (mut data, total, pages) = all_pages(&running, &restricted(&values));
    let served = data.len();
    data.sort();
    data.dedup();
    assert_eq!(data.len(), served, "a triple served twice");
    assert_eq!(data, expected);
    assert!(
        expected.len() > 20 && pages == expected.len().div_ceil(10),
        "{} triples in {pages} pages",
        expected.len()
    );
    // The rows' counts added up: the rdf:type row counts its triples again.
    let types_of_a = expected
        .iter()
        .filter(|t| t.starts_with(&format!("{} <{RDF_TYPE}>", observations[0])))
        .count();
    assert!(types_of_a >= 1);
    assert_eq!(total, (expected.len() + types_of_a) as u64);

    // No rows: an empty fragment; rows of nothing but literals in an IRI position: the same.
    let (data, total, _) = all_pages(&running, &restricted("(?o) {}"));
    assert!(data.is_empty() && total == 0);
    let (data, _, _) = all_pages(&running, &restricted("(?o) { (\"not an IRI\") }"));
    assert!(data.is_empty());

    // Not bindings, or too many: 400 with the reason.
    for values in ["(?o) { (<a> }".to_owned(), {
        let rows: String = (0..=100)
            .map(|i| format!("(<https://x.example/{i}>) "))
            .collect();
        format!("(?o) {{ {rows}}}")
    }] {
        let response = running.get_url(&restricted(&values), "text/turtle");
        assert_eq!(response.status(), 400);
        assert_eq!(problem_code(response), "invalid-selector");
    }
}
