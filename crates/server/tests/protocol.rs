//! The W3C SPARQL 1.1 Protocol tests that apply to a read-only endpoint, run over real HTTP
//! against the server. The manifest and its data are in `fixtures/sparql11-protocol/`.
//!
//! Query tests must pass as written. Update tests expect an update to succeed, which a
//! read-only endpoint refuses by design, so only those expecting a 4xx are run (every update
//! must then be refused with a 4xx, which the read-only endpoint does).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use belfort_server::{RunningServer, ServerConfig};
use belfort_store::{IngestBatch, ObservationStore};
use belfort_store_embedded::EmbeddedStore;
use oxrdf::{Graph, NamedNode, NamedOrBlankNode, Term};
use oxttl::{NTriplesParser, TurtleParser};

/// This crate's directory, as `cargo test` gives it when the test runs: a path compiled in
/// goes stale when one build directory serves checkouts at several paths.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
}

const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
const HT: &str = "http://www.w3.org/2011/http#";
const CNT: &str = "http://www.w3.org/2011/content#";
const UT: &str = "http://www.w3.org/2009/sparql/tests/test-update#";
const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
const MANIFEST_BASE: &str =
    "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest";

fn suite_dir() -> PathBuf {
    manifest_dir().join("../../fixtures/sparql11-protocol")
}

struct Manifest(Graph);

impl Manifest {
    fn object(&self, subject: &Term, predicate: &str) -> Option<Term> {
        let subject = as_subject(subject)?;
        self.0
            .object_for_subject_predicate(&subject, NamedNode::new(predicate).unwrap().as_ref())
            .map(|t| t.into_owned())
    }

    fn objects(&self, subject: &Term, predicate: &str) -> Vec<Term> {
        let Some(subject) = as_subject(subject) else {
            return Vec::new();
        };
        self.0
            .objects_for_subject_predicate(&subject, NamedNode::new(predicate).unwrap().as_ref())
            .map(|t| t.into_owned())
            .collect()
    }

    fn list(&self, head: Option<Term>) -> Vec<Term> {
        let mut items = Vec::new();
        let mut node = head;
        while let Some(current) = node {
            if current == Term::from(NamedNode::new(format!("{RDF}nil")).unwrap()) {
                break;
            }
            if let Some(first) = self.object(&current, &format!("{RDF}first")) {
                items.push(first);
            }
            node = self.object(&current, &format!("{RDF}rest"));
        }
        items
    }

    fn text(&self, subject: &Term, predicate: &str) -> Option<String> {
        match self.object(subject, predicate)? {
            Term::Literal(l) => Some(l.value().to_owned()),
            Term::NamedNode(n) => Some(n.as_str().to_owned()),
            Term::BlankNode(_) => None,
        }
    }
}

fn as_subject(term: &Term) -> Option<NamedOrBlankNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone().into()),
        Term::BlankNode(b) => Some(b.clone().into()),
        Term::Literal(_) => None,
    }
}

fn load_manifest() -> Manifest {
    let text = std::fs::read(suite_dir().join("manifest.ttl")).unwrap();
    let graph: Graph = TurtleParser::new()
        .with_base_iri(MANIFEST_BASE)
        .unwrap()
        .for_slice(&text)
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
        .into_iter()
        .collect();
    Manifest(graph)
}

/// A store holding the test's `ut:graphData`, each file in the graph named by its label.
fn store_for(manifest: &Manifest, test: &Term) -> Arc<EmbeddedStore> {
    let store = EmbeddedStore::in_memory().unwrap();
    let mut quads = Vec::new();
    for data in manifest.objects(test, &format!("{UT}graphData")) {
        let file = manifest.text(&data, &format!("{UT}graph")).unwrap();
        let name = manifest.text(&data, &format!("{RDFS}label")).unwrap();
        let file = file.rsplit('/').next().unwrap().to_owned();
        let text = std::fs::read(suite_dir().join(file)).unwrap();
        let graph = NamedNode::new(name).unwrap();
        for triple in NTriplesParser::new().for_slice(&text) {
            quads.push(triple.unwrap().in_graph(graph.clone()));
        }
    }
    if !quads.is_empty() {
        store
            .ingest(IngestBatch {
                other_quads: quads,
                ..IngestBatch::default()
            })
            .unwrap();
    }
    Arc::new(store)
}

fn encode(text: &str, encoding: &str) -> Vec<u8> {
    if encoding.eq_ignore_ascii_case("UTF-16") {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        bytes
    } else {
        text.as_bytes().to_vec()
    }
}

/// Runs one request; returns a description of the mismatch, if any.
fn run_request(
    manifest: &Manifest,
    request: &Term,
    address: &str,
    client: &reqwest::blocking::Client,
) -> Option<String> {
    let path = manifest
        .text(request, &format!("{HT}absolutePath"))
        .unwrap();
    let path = path.replacen("/sparql/", "/sparql", 1);
    let method = manifest.text(request, &format!("{HT}methodName")).unwrap();
    let mut builder = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("http://{address}{path}"),
    );
    for header in manifest.list(manifest.object(request, &format!("{HT}headers"))) {
        let name = manifest.text(&header, &format!("{HT}fieldName")).unwrap();
        let value = manifest.text(&header, &format!("{HT}fieldValue")).unwrap();
        builder = builder.header(name, value);
    }
    if let Some(body) = manifest.object(request, &format!("{HT}body")) {
        let chars = manifest.text(&body, &format!("{CNT}chars")).unwrap();
        let encoding = manifest
            .text(&body, &format!("{CNT}characterEncoding"))
            .unwrap_or_else(|| "UTF-8".to_owned());
        builder = builder.body(encode(&chars, &encoding));
    }
    let response = builder.send().unwrap();
    let expected = manifest.object(request, &format!("{HT}resp")).unwrap();
    let status = response.status().as_u16();
    let classes: Vec<String> = manifest
        .objects(&expected, &format!("{MF}expectedStatus"))
        .iter()
        .map(|t| t.to_string())
        .collect();
    let class_ok = classes.iter().any(|class| {
        let digit = class
            .trim_end_matches('>')
            .trim_end_matches("xx")
            .chars()
            .last()
            .unwrap();
        u32::from(status / 100) == digit.to_digit(10).unwrap()
    });
    if !class_ok {
        return Some(format!(
            "{method} {path}: status {status}, expected {classes:?}"
        ));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if let Some(format) = manifest.text(&expected, &format!("{MF}expectedFormat")) {
        let allowed: &[&str] = match format.as_str() {
            "boolean" => &[
                "application/sparql-results+json",
                "application/sparql-results+xml",
            ],
            "tabular" => &[
                "application/sparql-results+json",
                "application/sparql-results+xml",
                "text/csv",
                "text/tab-separated-values",
            ],
            _ => &[
                "application/rdf+xml",
                "text/turtle",
                "application/n-triples",
            ],
        };
        if !allowed.iter().any(|a| content_type.starts_with(a)) {
            return Some(format!(
                "{method} {path}: content type {content_type}, expected {format}"
            ));
        }
    }
    let body = response.text().unwrap();
    if let Some(expected_boolean) = manifest.text(&expected, &format!("{MF}expectedBoolean")) {
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        if value["boolean"] != expected_boolean.parse::<bool>().unwrap() {
            return Some(format!(
                "{method} {path}: boolean {}, expected {expected_boolean}",
                value["boolean"]
            ));
        }
    }
    None
}

#[test]
fn the_w3c_protocol_tests_for_a_read_only_endpoint_pass() {
    let manifest = load_manifest();
    let root = Term::from(NamedNode::new(MANIFEST_BASE).unwrap());
    let tests = manifest.list(manifest.object(&root, &format!("{MF}entries")));
    assert!(tests.len() >= 30, "{} tests", tests.len());
    let client = reqwest::blocking::Client::new();
    let (mut run, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for test in &tests {
        let name = test.to_string();
        let action = manifest.object(test, &format!("{MF}action")).unwrap();
        let requests = manifest.list(manifest.object(&action, &format!("{HT}requests")));
        // An update expected to succeed does not apply to a read-only endpoint.
        let writes = requests.iter().any(|request| {
            let updates = manifest
                .list(manifest.object(request, &format!("{HT}headers")))
                .iter()
                .any(|h| {
                    manifest
                        .text(h, &format!("{HT}fieldValue"))
                        .is_some_and(|v| v.contains("sparql-update"))
                })
                || manifest
                    .text(request, &format!("{HT}absolutePath"))
                    .is_some_and(|p| p.contains("update="))
                || manifest
                    .object(request, &format!("{HT}body"))
                    .and_then(|b| manifest.text(&b, &format!("{CNT}chars")))
                    .is_some_and(|c| c.starts_with("update="));
            let expects_success = manifest
                .object(request, &format!("{HT}resp"))
                .map(|r| manifest.objects(&r, &format!("{MF}expectedStatus")))
                .unwrap_or_default()
                .iter()
                .any(|s| s.to_string().contains("StatusCode2xx"));
            updates && expects_success
        });
        if writes {
            skipped.push(name);
            continue;
        }
        let server = RunningServer::start(
            store_for(&manifest, test),
            ServerConfig::default(),
            "127.0.0.1:0",
        )
        .unwrap();
        let address = server.address().to_string();
        for request in &requests {
            if let Some(failure) = run_request(&manifest, request, &address, &client) {
                failures.push(format!("{name}: {failure}"));
            }
        }
        run += 1;
    }
    eprintln!("ran {run} protocol tests; not applicable to a read-only endpoint: {skipped:#?}");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(run >= 20, "only {run} tests ran");
}
