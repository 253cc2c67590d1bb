//! The W3C SHACL test suite (data-shapes: Core and SHACL-SPARQL), run from its manifests.
//!
//! A test passes at *full compliance*: the report we produce, reduced as the suite's
//! README prescribes (report and result nodes as blank nodes, only the listed properties,
//! `sh:resultMessage` only where the expected report names that message), must be
//! isomorphic to the expected report in the manifest. `sht:Failure` tests pass when the
//! engine refuses the shapes.

use std::collections::HashSet;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use belfort_shacl::{IndexedGraph, ShaclError, Shapes, validate};
use belfort_vocab::sh;
use oxrdf::dataset::CanonicalizationAlgorithm;
use oxrdf::vocab::rdf;
use oxrdf::{Graph, NamedNode, NamedOrBlankNode, Term, Triple};
use oxrdfio::RdfFormat;

const MF: &str = "http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#";
const SHT: &str = "http://www.w3.org/ns/shacl-test#";

/// The SHACL-SPARQL part of the suite (sh:sparql constraints, SPARQL-based constraint
/// components, pre-binding), counted apart from Core.
const SPARQL_FOLDER: &str = "/tests/sparql/";

fn suite_root() -> PathBuf {
    crate::manifest_dir()
        .join("../../fixtures/w3c-shacl/data-shapes-test-suite/tests")
        .canonicalize()
        .unwrap_or_else(|e| panic!("W3C SHACL suite missing from fixtures/: {e}"))
}

fn iri(local: &str, ns: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

fn file_url(path: &std::path::Path) -> String {
    format!("file://{}", path.display())
}

fn path_of(url: &str) -> PathBuf {
    PathBuf::from(url.strip_prefix("file://").unwrap_or(url))
}

fn load_graph(url: &str) -> Graph {
    let file = File::open(path_of(url)).unwrap_or_else(|e| panic!("{url}: {e}"));
    oxrdfio::RdfParser::from_format(RdfFormat::Turtle)
        .with_base_iri(url)
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .for_reader(BufReader::new(file))
        .map(|q| {
            let q = q.unwrap_or_else(|e| panic!("{url}: {e}"));
            Triple::new(q.subject, q.predicate, q.object)
        })
        .collect()
}

struct TestCase {
    name: String,
    data: String,
    shapes: String,
    /// The expected report (reduced), or `None` when the engine must refuse the shapes.
    expected: Option<Graph>,
}

fn objects(graph: &Graph, subject: &Term, predicate: &NamedNode) -> Vec<Term> {
    let Ok(subject) = NamedOrBlankNode::try_from(subject.clone()) else {
        return Vec::new();
    };
    graph
        .objects_for_subject_predicate(&subject, predicate)
        .map(|o| o.into_owned())
        .collect()
}

fn list(graph: &Graph, head: &Term) -> Vec<Term> {
    let mut items = Vec::new();
    let mut node = head.clone();
    while node != Term::from(rdf::NIL.into_owned()) {
        items.extend(objects(graph, &node, &rdf::FIRST.into_owned()));
        match objects(graph, &node, &rdf::REST.into_owned()).pop() {
            Some(next) => node = next,
            None => break,
        }
    }
    items
}

fn collect_tests(manifest_url: &str, out: &mut Vec<TestCase>) {
    let graph = load_graph(manifest_url);
    let manifest = Term::from(NamedNode::new_unchecked(manifest_url));
    for include in objects(&graph, &manifest, &iri("include", MF)) {
        if let Term::NamedNode(n) = include {
            collect_tests(n.as_str(), out);
        }
    }
    for entries in objects(&graph, &manifest, &iri("entries", MF)) {
        for entry in list(&graph, &entries) {
            let name = entry.to_string();
            let action = objects(&graph, &entry, &iri("action", MF))
                .pop()
                .expect("mf:action");
            let data = objects(&graph, &action, &iri("dataGraph", SHT))
                .pop()
                .expect("sht:dataGraph");
            let shapes = objects(&graph, &action, &iri("shapesGraph", SHT))
                .pop()
                .expect("sht:shapesGraph");
            let result = objects(&graph, &entry, &iri("result", MF))
                .pop()
                .expect("mf:result");
            let expected = if result == Term::from(iri("Failure", SHT)) {
                None
            } else {
                Some(reduce(&graph, &result, None))
            };
            let url = |t: Term| match t {
                Term::NamedNode(n) => n.into_string(),
                other => panic!("{name}: graph reference {other} is not an IRI"),
            };
            out.push(TestCase {
                name: name.clone(),
                data: url(data),
                shapes: url(shapes),
                expected,
            });
        }
    }
}

/// The report as the suite compares it: the report node's type, conforms and results; per
/// result the compared properties and the structure of its path.
fn reduce(graph: &Graph, report: &Term, messages: Option<&HashSet<Term>>) -> Graph {
    let mut out = Graph::new();
    let subject = |t: &Term| NamedOrBlankNode::try_from(t.clone()).expect("report node");
    let report_node = subject(report);
    out.insert(&Triple::new(
        report_node.clone(),
        rdf::TYPE,
        sh::VALIDATION_REPORT,
    ));
    for conforms in objects(graph, report, &sh::CONFORMS.into_owned()) {
        out.insert(&Triple::new(report_node.clone(), sh::CONFORMS, conforms));
    }
    let kept = [
        sh::FOCUS_NODE,
        sh::RESULT_SEVERITY,
        sh::SOURCE_CONSTRAINT,
        sh::SOURCE_CONSTRAINT_COMPONENT,
        sh::SOURCE_SHAPE,
        sh::VALUE,
    ];
    for result in objects(graph, report, &sh::RESULT.into_owned()) {
        let node = subject(&result);
        out.insert(&Triple::new(report_node.clone(), sh::RESULT, node.clone()));
        out.insert(&Triple::new(node.clone(), rdf::TYPE, sh::VALIDATION_RESULT));
        for predicate in kept {
            for value in objects(graph, &result, &predicate.into_owned()) {
                out.insert(&Triple::new(node.clone(), predicate, value));
            }
        }
        for message in objects(graph, &result, &sh::RESULT_MESSAGE.into_owned()) {
            if messages.is_none_or(|m| m.contains(&message)) {
                out.insert(&Triple::new(node.clone(), sh::RESULT_MESSAGE, message));
            }
        }
        for path in objects(graph, &result, &sh::RESULT_PATH.into_owned()) {
            out.insert(&Triple::new(node.clone(), sh::RESULT_PATH, path.clone()));
            copy_blank_structure(graph, &path, &mut out);
        }
    }
    out
}

fn copy_blank_structure(graph: &Graph, node: &Term, out: &mut Graph) {
    let Term::BlankNode(b) = node else { return };
    let triples: Vec<Triple> = graph
        .triples_for_subject(b)
        .map(|t| t.into_owned())
        .collect();
    for triple in triples {
        if out.insert(&triple) {
            copy_blank_structure(graph, &triple.object, out);
        }
    }
}

fn canonical(mut graph: Graph) -> Vec<String> {
    graph.canonicalize(CanonicalizationAlgorithm::Unstable);
    let mut lines: Vec<String> = graph.iter().map(|t| t.to_string()).collect();
    lines.sort();
    lines
}

enum Outcome {
    Pass,
    Fail(String),
}

fn run(test: &TestCase) -> Outcome {
    let shapes = || -> Result<Shapes, ShaclError> {
        let file = File::open(path_of(&test.shapes)).expect("shapes file");
        Shapes::parse(
            BufReader::new(file),
            RdfFormat::Turtle,
            Some(&test.shapes),
            &test.shapes,
        )
    };
    let data = || -> Result<IndexedGraph, ShaclError> {
        let file = File::open(path_of(&test.data)).expect("data file");
        IndexedGraph::parse(
            BufReader::new(file),
            RdfFormat::Turtle,
            Some(&test.data),
            &test.data,
        )
    };
    let outcome = shapes().and_then(|s| Ok((s, data()?)));
    let Some(expected) = &test.expected else {
        return match outcome {
            Err(_) => Outcome::Pass,
            Ok(_) => Outcome::Fail("expected the shapes to be refused".into()),
        };
    };
    let (shapes, data) = match outcome {
        Ok(pair) => pair,
        Err(e) => return Outcome::Fail(format!("refused: {e}")),
    };
    let report = validate(&shapes, &data);
    let actual_graph = report.to_graph();
    let report_node = actual_graph
        .subjects_for_predicate_object(rdf::TYPE, sh::VALIDATION_REPORT)
        .next()
        .map(|s| Term::from(s.into_owned()))
        .expect("report node");
    let expected_messages: HashSet<Term> = expected
        .triples_for_predicate(sh::RESULT_MESSAGE)
        .map(|t| t.object.into_owned())
        .collect();
    let actual = canonical(reduce(
        &actual_graph,
        &report_node,
        Some(&expected_messages),
    ));
    let wanted = canonical(expected.clone());
    if actual == wanted {
        Outcome::Pass
    } else {
        let missing: Vec<_> = wanted.iter().filter(|l| !actual.contains(l)).collect();
        let extra: Vec<_> = actual.iter().filter(|l| !wanted.contains(l)).collect();
        Outcome::Fail(format!(
            "{} results, conforms {}\n  missing: {missing:#?}\n  extra: {extra:#?}",
            report.results.len(),
            report.conforms
        ))
    }
}

#[test]
fn w3c_shacl_core_and_sparql_suites_pass_at_full_compliance() {
    let root = suite_root();
    let mut tests = Vec::new();
    collect_tests(&file_url(&root.join("manifest.ttl")), &mut tests);
    let (sparql, core): (Vec<_>, Vec<_>) =
        tests.iter().partition(|t| t.name.contains(SPARQL_FOLDER));
    assert_eq!(core.len(), 98, "the Core part of the suite has 98 tests");
    assert_eq!(sparql.len(), 22, "the SHACL-SPARQL part has 22 tests");
    let mut failures = Vec::new();
    for test in core.iter().chain(&sparql) {
        if let Outcome::Fail(why) = run(test) {
            failures.push(format!("{}: {why}", test.name));
        }
    }
    let sparql_failures = failures
        .iter()
        .filter(|f| f.contains(SPARQL_FOLDER))
        .count();
    eprintln!(
        "W3C SHACL: Core {}/{}, SHACL-SPARQL {}/{}, at full compliance",
        core.len() - (failures.len() - sparql_failures),
        core.len(),
        sparql.len() - sparql_failures,
        sparql.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
