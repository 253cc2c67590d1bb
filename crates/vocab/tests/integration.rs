//! Checks that the Rust constants and the Turtle catalogue under `vocab/` agree.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::PathBuf;

use oxttl::TurtleParser;

/// This crate's directory, as `cargo test` gives it when the test runs: a path compiled in
/// goes stale when one build directory serves checkouts at several paths.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("tests run under cargo"))
}

fn vocab_dir() -> PathBuf {
    manifest_dir().join("../../vocab")
}

fn declared_subjects() -> HashSet<String> {
    let mut subjects = HashSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(vocab_dir()).expect("vocab/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "ttl") {
            files += 1;
            let bytes = std::fs::read(&path).expect("vocab file is readable");
            for triple in TurtleParser::new().for_slice(&bytes) {
                let triple = triple.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                if let oxrdf::NamedOrBlankNode::NamedNode(n) = triple.subject {
                    subjects.insert(n.into_string());
                }
            }
        }
    }
    assert!(
        files >= 6,
        "expected the vocab/ Turtle files, found {files}"
    );
    subjects
}

#[test]
fn every_code_term_is_declared_in_vocab() {
    let declared = declared_subjects();
    let missing: Vec<_> = belfort_vocab::all_terms()
        .filter(|t| !declared.contains(t.as_str()))
        .map(|t| t.as_str().to_owned())
        .collect();
    assert!(
        missing.is_empty(),
        "terms used in code but absent from vocab/: {missing:#?}"
    );
}

#[test]
fn term_constants_are_valid_iris() {
    for term in belfort_vocab::all_terms() {
        oxrdf::NamedNode::new(term.as_str()).unwrap_or_else(|e| panic!("{term}: {e}"));
    }
}
