//! Engine behaviour the W3C suite does not cover: components it never cites, recursion,
//! ill-formed shapes, and the report's own forms.

use belfort_shacl::{IndexedGraph, ShaclError, Shapes, ValidationReport, validate};
use oxrdfio::RdfFormat;

const PREFIXES: &str = "@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
";

fn shapes(ttl: &str) -> Result<Shapes, ShaclError> {
    Shapes::parse(
        format!("{PREFIXES}{ttl}").as_bytes(),
        RdfFormat::Turtle,
        None,
        "shapes",
    )
}

fn data(ttl: &str) -> IndexedGraph {
    IndexedGraph::parse(
        format!("{PREFIXES}{ttl}").as_bytes(),
        RdfFormat::Turtle,
        None,
        "data",
    )
    .unwrap()
}

fn run(shapes_ttl: &str, data_ttl: &str) -> ValidationReport {
    let shapes = shapes(shapes_ttl).unwrap();
    validate(&shapes, &data(data_ttl))
}

fn components(report: &ValidationReport) -> Vec<String> {
    let mut c: Vec<String> = report
        .results
        .iter()
        .map(|r| {
            r.source_constraint_component
                .as_str()
                .trim_start_matches("http://www.w3.org/ns/shacl#")
                .to_owned()
        })
        .collect();
    c.sort();
    c
}

#[test]
fn qualified_max_count_counts_only_conforming_values() {
    let report = run(
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ;
            sh:qualifiedValueShape [ sh:datatype xsd:integer ] ; sh:qualifiedMaxCount 1 ] .",
        "ex:a ex:p 1, 2, \"x\" .",
    );
    assert_eq!(
        components(&report),
        ["QualifiedMaxCountConstraintComponent"]
    );
    assert!(report.results[0].value.is_none());
}

#[test]
fn nested_property_shapes_report_the_inner_shape_and_focus() {
    let report = run(
        "ex:S sh:targetNode ex:a ; sh:property ex:P .
         ex:P sh:path ex:p ; sh:property [ sh:path ex:q ; sh:minCount 1 ] .",
        "ex:a ex:p ex:b .",
    );
    assert_eq!(components(&report), ["MinCountConstraintComponent"]);
    assert_eq!(
        report.results[0].focus_node.to_string(),
        "<http://example.org/b>"
    );
}

#[test]
fn recursive_shapes_terminate() {
    let report = run(
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:knows ; sh:node ex:S ] .",
        "ex:a ex:knows ex:b . ex:b ex:knows ex:a .",
    );
    assert!(report.conforms);
}

#[test]
fn less_than_or_equals_compares_dates_and_rejects_incomparable_values() {
    let report = run(
        "ex:S sh:targetNode ex:a, ex:b ; sh:property [ sh:path ex:start ; sh:lessThanOrEquals ex:end ] .",
        "ex:a ex:start \"2024-01-02\"^^xsd:date ; ex:end \"2024-01-02\"^^xsd:date .
         ex:b ex:start \"2024-01-03\"^^xsd:date ; ex:end \"later\" .",
    );
    assert_eq!(components(&report), ["LessThanOrEqualsConstraintComponent"]);
    assert_eq!(
        report.results[0].focus_node.to_string(),
        "<http://example.org/b>"
    );
}

#[test]
fn ill_formed_shapes_are_refused_with_the_parameter_named() {
    for (ttl, needle) in [
        (
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount \"many\" ] .",
            "sh:minCount",
        ),
        (
            "ex:S sh:targetNode ex:a ; sh:pattern \"(unclosed\" .",
            "sh:pattern",
        ),
        (
            "ex:S sh:targetNode ex:a ; sh:nodeKind ex:Thing .",
            "sh:nodeKind",
        ),
        (
            "ex:S sh:targetNode ex:a ; sh:in ( ex:x ex:y ) ; sh:in ex:notAList .",
            "list",
        ),
        (
            "ex:S sh:targetNode ex:a ; sh:property [ sh:minCount 1 ] .",
            "sh:path",
        ),
        (
            "ex:S sh:targetNode ex:a ; sh:pattern \"a\" ; sh:flags \"z\" .",
            "sh:flags",
        ),
    ] {
        let err = shapes(ttl)
            .err()
            .unwrap_or_else(|| panic!("accepted: {ttl}"));
        assert!(err.to_string().contains(needle), "{ttl}: {err}");
    }
}

#[test]
fn a_cyclic_list_is_refused_not_followed_forever() {
    let err = shapes(
        "ex:S sh:targetNode ex:a ; sh:in ex:l1 .
         ex:l1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#first> ex:x ;
               <http://www.w3.org/1999/02/22-rdf-syntax-ns#rest> ex:l1 .",
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("cycle"), "{err}");
}

#[test]
fn datatype_rejects_ill_formed_and_out_of_range_literals() {
    let report = run(
        "ex:S sh:targetSubjectsOf ex:v ; sh:property [ sh:path ex:v ; sh:datatype xsd:byte ] .",
        "ex:a ex:v \"12\"^^xsd:byte . ex:b ex:v \"300\"^^xsd:byte . ex:c ex:v \"x\"^^xsd:byte .",
    );
    assert_eq!(report.results.len(), 2);
}

#[test]
fn generated_messages_and_json_name_the_problem() {
    let report = run(
        "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:v ; sh:maxInclusive 1000 ] .",
        "ex:a ex:v 1200 .",
    );
    let json = report.to_json();
    assert_eq!(json["conforms"], false);
    assert_eq!(json["violations"], 1);
    let result = &json["results"][0];
    assert_eq!(result["resultPath"], "<http://example.org/v>");
    assert!(result["messages"][0].as_str().unwrap().contains("1200"));
}

#[test]
fn unreadable_data_is_an_error_naming_the_source() {
    let err = IndexedGraph::parse("ex:a ex:b".as_bytes(), RdfFormat::Turtle, None, "bad.ttl")
        .err()
        .unwrap();
    assert!(err.to_string().contains("bad.ttl"), "{err}");
}

#[test]
fn reach_counts_how_far_validation_looks_from_a_focus_node() {
    use belfort_shacl::Reach;
    let reach = |ttl: &str| shapes(ttl).unwrap().reach();
    // A predicate path: one round of describing.
    assert_eq!(
        reach("ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:minCount 1 ] ."),
        Reach {
            rounds: Some(1),
            inverse: false
        }
    );
    // A sequence of two, then the value's types for sh:class: three.
    assert_eq!(
        reach("ex:S sh:targetNode ex:a ; sh:property [ sh:path ( ex:p ex:q ) ; sh:class ex:C ] ."),
        Reach {
            rounds: Some(3),
            inverse: false
        }
    );
    // A nested node shape adds its own reach to the path's.
    assert_eq!(
        reach(
            "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:node ex:T ] .
             ex:T sh:property [ sh:path ex:q ; sh:minCount 1 ] ."
        ),
        Reach {
            rounds: Some(2),
            inverse: false
        }
    );
    // An inverse step inside an alternative is seen.
    assert_eq!(
        reach(
            "ex:S sh:targetNode ex:a ;
                sh:property [ sh:path [ sh:alternativePath ( ex:p [ sh:inversePath ex:q ] ) ] ; sh:maxCount 1 ] ."
        ),
        Reach { rounds: Some(1), inverse: true }
    );
    // A closure, or a shape that refers to itself, has no bound.
    assert_eq!(
        reach("ex:S sh:targetNode ex:a ; sh:property [ sh:path [ sh:zeroOrMorePath ex:p ] ; sh:maxCount 9 ] .").rounds,
        None
    );
    assert_eq!(
        reach("ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:node ex:S ] .").rounds,
        None
    );
    // A deactivated shape looks nowhere.
    assert_eq!(
        reach("ex:S sh:targetNode ex:a ; sh:deactivated true ; sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ] .").rounds,
        Some(0)
    );
}

#[test]
fn focus_targets_are_listed_once_each_in_terms() {
    use belfort_shacl::FocusTarget;
    use oxrdf::NamedNode;
    let shapes = shapes(
        "ex:S sh:targetClass ex:C ; sh:targetSubjectsOf ex:p ; sh:targetNode \"lit\" .
         ex:T sh:targetClass ex:C ; sh:targetObjectsOf ex:q ; sh:nodeKind sh:IRI .
         ex:D a sh:NodeShape , <http://www.w3.org/2000/01/rdf-schema#Class> ; sh:nodeKind sh:IRI .",
    )
    .unwrap();
    let iri = |s: &str| NamedNode::new(format!("http://example.org/{s}")).unwrap();
    let mut targets = shapes.focus_targets();
    targets.sort_by_key(|t| format!("{t:?}"));
    let mut expected = vec![
        FocusTarget::Class(iri("C")),
        FocusTarget::Class(iri("D")),
        FocusTarget::SubjectsOf(iri("p")),
        FocusTarget::ObjectsOf(iri("q")),
        FocusTarget::Node(oxrdf::Literal::new_simple_literal("lit").into()),
    ];
    expected.sort_by_key(|t| format!("{t:?}"));
    assert_eq!(targets, expected);
}

#[test]
fn sparql_constraints_fill_message_templates_and_report_failures() {
    let report = run(
        "ex:S a sh:NodeShape ; sh:targetNode ex:a , ex:b ;
            sh:sparql [ sh:message \"{$this} has {?n} labels\" ;
                        sh:select \"SELECT $this (COUNT(?l) AS ?n) WHERE { $this <http://example.org/label> ?l } GROUP BY $this HAVING (COUNT(?l) > 1)\" ] ;
            sh:sparql [ sh:select \"SELECT $this ?failure WHERE { $this <http://example.org/broken> ?x BIND(true AS ?failure) }\" ] .",
        "ex:a ex:label \"x\" , \"y\" . ex:b ex:label \"z\" ; ex:broken 1 .",
    );
    let messages: Vec<String> = report
        .results
        .iter()
        .flat_map(|r| r.messages.iter().map(ToString::to_string))
        .collect();
    assert_eq!(report.results.len(), 2, "{report:#?}");
    assert!(
        messages.contains(&"\"http://example.org/a has 2 labels\"".to_owned()),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("SPARQL validation failed")),
        "a solution with ?failure true is a failure, said as such: {messages:?}"
    );
}

#[test]
fn a_sparql_based_component_is_used_by_every_shape_that_gives_its_parameters() {
    let report = run(
        "ex:MaxWords a sh:ConstraintComponent ;
            sh:parameter [ sh:path ex:maxWords ] ;
            sh:validator [ sh:message \"more than {$maxWords} words\" ;
                sh:ask \"ASK { FILTER (STRLEN(REPLACE(STR($value), '[^ ]', '')) < $maxWords) }\" ] .
         ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:title ; ex:maxWords 3 ] .
         ex:T sh:targetNode ex:a ; sh:property [ sh:path ex:title ; sh:minCount 1 ] .",
        "ex:a ex:title \"one two\" , \"one two three four\" .",
    );
    assert_eq!(components(&report), vec!["http://example.org/MaxWords"]);
    let result = &report.results[0];
    assert_eq!(
        result.value.as_ref().map(ToString::to_string).as_deref(),
        Some("\"one two three four\"")
    );
    assert_eq!(result.messages[0].to_string(), "\"more than 3 words\"");
}

#[test]
fn sparql_that_pre_binding_cannot_support_is_refused_with_the_shape_named() {
    for (query, why) in [
        (
            "SELECT $this WHERE { $this ?p ?o MINUS { $this ?p 1 } }",
            "MINUS",
        ),
        (
            "SELECT $this WHERE { VALUES ?x { 1 } $this ?p ?x }",
            "VALUES",
        ),
        ("SELECT $this WHERE { BIND(1 AS ?this) }", "assigning"),
        (
            "SELECT $this WHERE { { SELECT ?o WHERE { ?s ?p ?o } } }",
            "subquery",
        ),
        ("SELECT $this WHERE { $this ?p ", "invalid SPARQL"),
    ] {
        let error = shapes(&format!(
            "ex:S sh:targetNode ex:a ; sh:sparql ex:Q . ex:Q sh:select \"{query}\" ."
        ))
        .expect_err(query)
        .to_string();
        assert!(
            error.contains("http://example.org/Q") && error.contains(why),
            "{error}"
        );
    }
}

#[test]
fn a_sparql_constraint_past_its_time_limit_is_stopped_and_reported() {
    let shapes = shapes(
        "ex:S sh:targetNode ex:a ;
            sh:sparql [ sh:select \"SELECT $this WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . FILTER (STR(?c) = 'never') }\" ] .",
    )
    .unwrap()
    .with_sparql_time_limit(std::time::Duration::from_millis(300));
    let data_ttl: String = (0..60).map(|i| format!("ex:n{i} ex:p {i} .\n")).collect();
    let data = data(&data_ttl);
    // 60^4 = 13 million combinations: far more than 300 ms of work.
    let started = std::time::Instant::now();
    let report = validate(&shapes, &data);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(report.results.len(), 1, "{report:#?}");
    let message = report.results[0].messages[0].to_string();
    assert!(message.contains("time limit"), "{message}");
}
