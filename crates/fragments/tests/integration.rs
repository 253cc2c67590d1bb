//! Selector parsing in every encoding the specification allows, and the controls of a page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use belfort_fragments::{
    FragmentPageBuilder, GraphSelection, MAX_BINDINGS, Selector, SelectorError,
};
use oxrdf::{Literal, NamedNode, Quad, Term};

const ENDPOINT: &str = "https://data.example.org/fragments";
const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";

fn parse(pairs: &[(&str, &str)]) -> Result<(Selector, u64), SelectorError> {
    Selector::from_query_pairs(pairs.iter().copied())
}

#[test]
fn variables_are_absent_empty_or_question_marked() {
    let (selector, page) = parse(&[("subject", ""), ("predicate", "?p"), ("page", "")]).unwrap();
    assert_eq!(
        selector,
        Selector {
            variables: [None, Some("p".to_owned()), None],
            ..Selector::default()
        }
    );
    assert_eq!(page, 1);
    // The page IRIs name the variable as the request did.
    let builder = FragmentPageBuilder::new(ENDPOINT, 10).unwrap();
    assert_eq!(
        builder.page_iri(&selector, 2).as_str(),
        format!("{ENDPOINT}?predicate=%3Fp&page=2")
    );
}

#[test]
fn iris_are_plain_or_in_angle_brackets() {
    let (plain, _) = parse(&[("subject", "http://example.org/s")]).unwrap();
    let (bracketed, _) = parse(&[("subject", "<http://example.org/s>")]).unwrap();
    assert_eq!(plain, bracketed);
    assert_eq!(plain.subject.unwrap().as_str(), "http://example.org/s");
}

#[test]
fn literals_take_every_allowed_form() {
    let object = |v: &str| parse(&[("object", v)]).unwrap().0.object.unwrap();
    assert_eq!(
        object("\"12\""),
        Term::from(Literal::new_simple_literal("12"))
    );
    assert_eq!(
        object("\"Gent\"@nl"),
        Term::from(Literal::new_language_tagged_literal("Gent", "nl").unwrap())
    );
    let typed = Term::from(Literal::new_typed_literal(
        "12.5",
        NamedNode::new("http://www.w3.org/2001/XMLSchema#decimal").unwrap(),
    ));
    assert_eq!(
        object("\"12.5\"^^http://www.w3.org/2001/XMLSchema#decimal"),
        typed
    );
    assert_eq!(
        object("\"12.5\"^^<http://www.w3.org/2001/XMLSchema#decimal>"),
        typed
    );
    // Quotes inside the text are kept: the text runs to the last quote.
    assert_eq!(
        object("\"say \"hi\"\""),
        Term::from(Literal::new_simple_literal("say \"hi\""))
    );
}

#[test]
fn bad_selectors_name_the_parameter() {
    assert!(matches!(
        parse(&[("subject", "_:b0")]),
        Err(SelectorError::BlankNode {
            parameter: "subject",
            ..
        })
    ));
    assert!(matches!(
        parse(&[("predicate", "\"x\"")]),
        Err(SelectorError::LiteralNotAllowed {
            parameter: "predicate",
            ..
        })
    ));
    assert!(matches!(
        parse(&[("object", "not an iri")]),
        Err(SelectorError::InvalidIri {
            parameter: "object",
            ..
        })
    ));
    assert!(matches!(
        parse(&[("object", "\"unterminated")]),
        Err(SelectorError::InvalidLiteral { .. })
    ));
    assert!(matches!(
        parse(&[("object", "\"x\"junk")]),
        Err(SelectorError::InvalidLiteral { .. })
    ));
    assert!(matches!(
        parse(&[("page", "0")]),
        Err(SelectorError::InvalidPage { .. })
    ));
    assert!(matches!(
        parse(&[("page", "-3")]),
        Err(SelectorError::InvalidPage { .. })
    ));
    assert!(matches!(
        parse(&[("subject", "http://a.org/"), ("subject", "http://b.org/")]),
        Err(SelectorError::Repeated {
            parameter: "subject"
        })
    ));
    let message = parse(&[("object", "\"x\"junk")]).unwrap_err().to_string();
    assert!(message.contains("object"), "{message}");
}

#[test]
fn graph_selects_a_named_graph_or_the_default_graph() {
    let (named, _) = parse(&[("graph", "http://example.org/g")]).unwrap();
    assert_eq!(
        named.graph,
        Some(GraphSelection::Named(
            NamedNode::new("http://example.org/g").unwrap()
        ))
    );
    let (default, _) = parse(&[("graph", "urn:x-belfort:default-graph")]).unwrap();
    assert_eq!(default.graph, Some(GraphSelection::Default));
}

#[test]
fn fragment_iris_follow_rfc_6570_form_expansion() {
    let builder = FragmentPageBuilder::new(ENDPOINT, 10).unwrap();
    let (selector, _) = parse(&[
        ("object", "\"a b\"@nl"),
        ("subject", "http://example.org/s?x=1"),
    ])
    .unwrap();
    assert_eq!(
        builder.fragment_iri(&selector).as_str(),
        "https://data.example.org/fragments?subject=http%3A%2F%2Fexample.org%2Fs%3Fx%3D1&object=%22a%20b%22%40nl"
    );
    assert_eq!(
        builder.page_iri(&selector, 3).as_str(),
        "https://data.example.org/fragments?subject=http%3A%2F%2Fexample.org%2Fs%3Fx%3D1&object=%22a%20b%22%40nl&page=3"
    );
    // A parsed fragment IRI gives back the same selector.
    let iri = builder.fragment_iri(&selector);
    let query = iri.as_str().split_once('?').unwrap().1;
    let pairs = query.split('&').map(|pair| {
        let (k, v) = pair.split_once('=').unwrap();
        (
            k.to_owned(),
            percent_encoding::percent_decode_str(v)
                .decode_utf8()
                .unwrap()
                .into_owned(),
        )
    });
    assert_eq!(Selector::from_query_pairs(pairs).unwrap().0, selector);
}

fn data(n: usize) -> Vec<Quad> {
    (0..n)
        .map(|i| {
            Quad::new(
                NamedNode::new(format!("http://example.org/s{i}")).unwrap(),
                NamedNode::new("http://example.org/p").unwrap(),
                Literal::from(i as i64),
                NamedNode::new("http://example.org/graph").unwrap(),
            )
        })
        .collect()
}

fn objects(document: &belfort_fragments::FragmentDocument, predicate: &str) -> Vec<String> {
    document
        .metadata
        .iter()
        .filter(|t| t.predicate.as_str() == format!("{HYDRA}{predicate}"))
        .map(|t| t.object.to_string())
        .collect()
}

#[test]
fn a_middle_page_links_first_previous_and_next_and_counts_are_never_below_what_is_known() {
    let builder = FragmentPageBuilder::new(ENDPOINT, 10).unwrap();
    let (selector, _) = parse(&[("predicate", "http://example.org/p")]).unwrap();
    let document = builder.build(&selector, 2, data(10), 5, true);
    // 10 on page 1, 10 here, more after: at least 21.
    assert_eq!(document.total, 21);
    assert_eq!(objects(&document, "first").len(), 1);
    assert_eq!(objects(&document, "previous").len(), 1);
    assert!(objects(&document, "next")[0].ends_with("page=3>"));
    assert_eq!(objects(&document, "view").len(), 1);
    assert!(objects(&document, "template")[0].contains("{?subject,predicate,object}"));
    // A Triple Pattern Fragment carries its data in the default graph.
    assert!(
        document
            .data
            .iter()
            .all(|q| q.graph_name.is_default_graph())
    );
    assert!(
        document
            .quads()
            .all(|q| !matches!(q.subject, oxrdf::NamedOrBlankNode::BlankNode(_)))
    );
}

#[test]
fn an_empty_fragment_counts_zero_and_links_to_no_page() {
    let builder = FragmentPageBuilder::new(ENDPOINT, 10).unwrap();
    let (selector, _) = parse(&[("subject", "http://example.org/none")]).unwrap();
    let document = builder.build(&selector, 1, Vec::new(), 0, false);
    assert_eq!(document.total, 0);
    assert!(objects(&document, "first").is_empty());
    assert!(objects(&document, "next").is_empty());
    assert!(objects(&document, "previous").is_empty());
    assert_eq!(
        objects(&document, "totalItems"),
        vec!["\"0\"^^<http://www.w3.org/2001/XMLSchema#integer>"]
    );
}

#[test]
fn a_quad_pattern_fragment_keeps_graphs_and_offers_the_graph_mapping() {
    let builder = FragmentPageBuilder::new(ENDPOINT, 10).unwrap();
    let (selector, _) = parse(&[("graph", "http://example.org/graph")]).unwrap();
    let document = builder.build(&selector, 1, data(3), 3, false);
    assert!(
        document
            .data
            .iter()
            .all(|q| !q.graph_name.is_default_graph())
    );
    assert!(objects(&document, "template")[0].contains("{?subject,predicate,object,graph}"));
    assert!(
        document
            .metadata
            .iter()
            .any(|t| t.object.to_string()
                == "<http://www.w3.org/ns/sparql-service-description#graph>")
    );
}

#[test]
fn the_tree_profile_puts_the_hypermedia_first_and_each_member_whole_in_publication_order() {
    use belfort_fragments::tree_profile_order;
    use oxrdf::Triple;
    let iri = |s: &str| NamedNode::new(format!("https://e.org/{s}")).unwrap();
    let issued = |s: &str| {
        Literal::new_typed_literal(
            s,
            NamedNode::new("http://www.w3.org/2001/XMLSchema#dateTime").unwrap(),
        )
    };
    let t = |s: &str, p: &str, o: Term| Triple::new(iri(s), iri(p), o);
    let dct_issued = NamedNode::new("http://purl.org/dc/terms/issued").unwrap();
    let triples = vec![
        // Member b was published before member a; both lead to the shared interval.
        t("a", "result", iri("a#result").into()),
        t("a", "time", iri("hour").into()),
        Triple::new(iri("a"), dct_issued.clone(), issued("2024-01-01T00:00:02Z")),
        t("a#result", "value", Literal::from(1).into()),
        t("b", "time", iri("hour").into()),
        Triple::new(iri("b"), dct_issued, issued("2024-01-01T00:00:01Z")),
        t("hour", "begins", iri("start").into()),
        t("start", "at", Literal::from(0).into()),
        t("stream", "member", iri("a").into()),
        t("stream", "member", iri("b").into()),
        t("page", "type", iri("Node").into()),
    ];
    let ordered = tree_profile_order(triples.clone(), &[iri("a"), iri("b")]);
    let subjects: Vec<String> = ordered
        .iter()
        .map(|t| t.subject.to_string().replace("https://e.org/", ""))
        .collect();
    assert_eq!(
        subjects,
        [
            "<page>",
            "<stream>",
            "<stream>", // the hypermedia block
            "<b>",
            "<b>",
            "<hour>",
            "<start>", // b: published first
            "<a>",
            "<a>",
            "<a>",
            "<a#result>",
            "<hour>",
            "<start>", // a, the interval repeated
        ]
    );
    let all: std::collections::BTreeSet<String> = ordered.iter().map(ToString::to_string).collect();
    let given: std::collections::BTreeSet<String> =
        triples.iter().map(ToString::to_string).collect();
    assert_eq!(all, given);
}

#[test]
fn values_restrict_a_pattern_to_one_plain_selector_per_distinct_row() {
    let (selector, page) = parse(&[
        ("subject", "?o"),
        ("predicate", "http://www.w3.org/ns/sosa/hasSimpleResult"),
        ("object", "?v"),
        (
            "values",
            r#"(?o ?x) { (<https://x.example/o/1> "a") (<https://x.example/o/2> UNDEF) (<https://x.example/o/1> "b") ("lit" "c") (UNDEF "d") }"#,
        ),
        ("page", "2"),
    ])
    .unwrap();
    assert_eq!(page, 2);
    let restriction = selector.restriction.as_ref().unwrap();
    assert_eq!(
        selector.variables,
        [Some("o".to_owned()), None, Some("v".to_owned())]
    );
    assert_eq!(restriction.rows.len(), 5);
    let rows = selector.restricted_selectors();
    let subjects: Vec<Option<&str>> = rows
        .iter()
        .map(|s| s.subject.as_ref().map(NamedNode::as_str))
        .collect();
    // o/1 twice gives one selector; a literal subject matches nothing; UNDEF leaves the
    // position open.
    assert_eq!(
        subjects,
        [
            Some("https://x.example/o/1"),
            Some("https://x.example/o/2"),
            None
        ]
    );
    assert!(rows.iter().all(|s| s.restriction.is_none()
        && s.predicate.as_ref().map(NamedNode::as_str)
            == Some("http://www.w3.org/ns/sosa/hasSimpleResult")
        && s.object.is_none()));
    // The page links keep the variables and the bindings.
    let builder = FragmentPageBuilder::new("https://x.example/fragments", 10).unwrap();
    let next = builder.page_iri(&selector, 3);
    assert!(
        next.as_str()
            .starts_with("https://x.example/fragments?subject=%3Fo&predicate=http"),
        "{next}"
    );
    assert!(
        next.as_str().contains("&object=%3Fv&values=(%3Fo%20%3Fx)"),
        "{next}"
    );
    assert!(next.as_str().ends_with("&page=3"), "{next}");
}

#[test]
fn values_that_are_not_bindings_or_too_many_are_refused_with_the_reason() {
    let refused = |values: &str| {
        parse(&[("subject", "?s"), ("values", values)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(refused("(?s) { (<a> }").starts_with("parameter `values`:"));
    assert!(refused("} SELECT").starts_with("parameter `values`:"));
    assert!(refused("(?s) { (_:b) }").starts_with("parameter `values`:"));
    let rows: String = (0..=MAX_BINDINGS)
        .map(|i| format!("(<https://x.example/{i}>) "))
        .collect();
    let error = refused(&format!("(?s) {{ {rows}}}"));
    assert!(error.contains("101 rows"), "{error}");
    let repeated = parse(&[("values", "(?s) {}"), ("values", "(?s) {}")]);
    assert_eq!(
        repeated.err(),
        Some(SelectorError::Repeated {
            parameter: "values"
        })
    );
    // No rows: nothing can match.
    let (selector, _) = parse(&[("subject", "?s"), ("values", "(?s) {}")]).unwrap();
    assert!(selector.restricted_selectors().is_empty());
}
