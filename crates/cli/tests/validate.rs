//! `belfort validate`: exit codes, report formats, and agreement with pySHACL.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn validate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_belfort"))
        .arg("validate")
        .args(args)
        .output()
        .unwrap()
}

fn shapes() -> PathBuf {
    crate::manifest_dir().join("../../shapes/observation.ttl")
}

const PREFIXES: &str = "@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix time: <http://www.w3.org/2006/time#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> .
";

/// Observations in the published model, every seventh with one planted defect of a
/// different kind; returns the Turtle and the number of defective observations.
fn observations_with_planted_defects(count: usize) -> (String, usize) {
    let mut ttl = PREFIXES.to_owned();
    let mut planted = 0;
    for i in 0..count {
        let defect = if i % 7 == 3 { Some((i / 7) % 11) } else { None };
        planted += usize::from(defect.is_some());
        let o = format!("ex:obs{i}");
        let mut sensor = format!("ex:sensor{}", i % 5);
        let mut property = "ex:NO2".to_owned();
        let mut result_time = "\"2024-03-01T10:00:00Z\"^^xsd:dateTime".to_owned();
        let mut simple = "\"21.5\"^^xsd:decimal".to_owned();
        let mut numeric = "\"21.5\"^^xsd:decimal".to_owned();
        let mut unit = "; qudt:hasUnit ex:MicroGM-PER-M3".to_owned();
        let mut instant_type = "a time:Instant ;".to_owned();
        let mut derived = "ex:payload".to_owned();
        let mut extra = String::new();
        match defect {
            Some(0) => sensor = "[]".to_owned(),
            Some(1) => property = "ex:NO2, ex:PM10".to_owned(),
            Some(2) => result_time = "\"2024-03-01T10:00:00+01:00\"^^xsd:dateTime".to_owned(),
            Some(3) => result_time = "\"2024-13-01T10:00:00Z\"^^xsd:dateTime".to_owned(),
            Some(4) => simple = "\"21.5\"".to_owned(),
            Some(5) => unit = String::new(),
            Some(6) => instant_type = String::new(),
            Some(7) => numeric = "\"abc\"^^xsd:decimal".to_owned(),
            Some(8) => derived = "\"payload\"".to_owned(),
            Some(9) => extra = "sosa:hasSimpleResult 3 ;".to_owned(),
            Some(_) => sensor = String::new(),
            None => {}
        }
        let sensor = if sensor.is_empty() {
            String::new()
        } else {
            format!("sosa:madeBySensor {sensor} ;")
        };
        writeln!(
            ttl,
            "{o} a sosa:Observation ; {sensor} sosa:observedProperty {property} ;
               sosa:hasFeatureOfInterest ex:street ; sosa:resultTime {result_time} ;
               sosa:phenomenonTime {o}-time ; sosa:hasSimpleResult {simple} ; {extra}
               sosa:hasResult {o}-value ; prov:wasDerivedFrom {derived} .
             {o}-time {instant_type} time:inXSDDateTimeStamp \"2024-03-01T10:00:00Z\"^^xsd:dateTime .
             {o}-value a qudt:QuantityValue ; qudt:numericValue {numeric} {unit} ."
        )
        .unwrap();
    }
    (ttl, planted)
}

fn result_keys(report: &Value) -> Vec<[Option<String>; 3]> {
    let mut keys: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let path = r["resultPath"]
                .as_str()
                .filter(|p| p.starts_with('<') && !p.contains(' '))
                .map(str::to_owned);
            [
                r["focusNode"].as_str().map(str::to_owned),
                r["sourceConstraintComponent"].as_str().map(str::to_owned),
                path,
            ]
        })
        .collect();
    keys.sort();
    keys
}

#[test]
fn validate_finds_the_same_violations_as_pyshacl_on_planted_defects() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("observations.ttl");
    let (ttl, planted) = observations_with_planted_defects(160);
    std::fs::write(&data, ttl).unwrap();

    let ours = validate(&[
        "--shapes",
        shapes().to_str().unwrap(),
        "--format",
        "json",
        data.to_str().unwrap(),
    ]);
    assert_eq!(
        ours.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let ours: Value = serde_json::from_slice(&ours.stdout).unwrap();
    let ours_keys = result_keys(&ours);

    let judge = crate::manifest_dir().join("tests/judges/pyshacl_results.py");
    let theirs = Command::new("python3")
        .arg(judge)
        .arg(&data)
        .arg(shapes())
        .output()
        .expect("python3 runs (pySHACL: pip install pyshacl, as .ci/run does)");
    assert!(
        theirs.status.success(),
        "{}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    let theirs: Value = serde_json::from_slice(&theirs.stdout).unwrap();
    let mut theirs_keys: Vec<[Option<String>; 3]> = theirs["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| [0, 1, 2].map(|i| r[i].as_str().map(str::to_owned)))
        .collect();
    theirs_keys.sort();

    assert_eq!(ours["conforms"], theirs["conforms"]);
    assert_eq!(ours_keys, theirs_keys, "belfort and pySHACL disagree");
    let focus: std::collections::HashSet<_> = ours_keys.iter().map(|k| k[0].clone()).collect();
    assert_eq!(
        focus.len(),
        planted,
        "every planted defect is found, on its own observation"
    );
}

#[test]
fn validate_exits_zero_and_writes_turtle_when_data_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("clean.ttl");
    let (ttl, _) = observations_with_planted_defects(3);
    std::fs::write(&data, ttl).unwrap();
    let out = validate(&[
        "--shapes",
        shapes().to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("sh:ValidationReport"), "{report}");
    assert!(report.contains("sh:conforms true"), "{report}");
}

#[test]
fn validate_exits_two_on_unreadable_data_or_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.ttl");
    std::fs::write(&broken, "<a> <b> .").unwrap();
    let out = validate(&[
        "--shapes",
        shapes().to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.ttl"));

    let bad_shapes = dir.path().join("shapes.ttl");
    std::fs::write(
        &bad_shapes,
        "@prefix sh: <http://www.w3.org/ns/shacl#> . <urn:s> sh:targetNode <urn:a> ; sh:pattern \"(\" .",
    )
    .unwrap();
    let out = validate(&[
        "--shapes",
        bad_shapes.to_str().unwrap(),
        broken.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sh:pattern"));

    let unknown = dir.path().join("data.csv");
    std::fs::write(&unknown, "a,b").unwrap();
    let out = validate(&[
        "--shapes",
        shapes().to_str().unwrap(),
        unknown.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown RDF syntax"));
}

#[test]
fn validate_reads_every_rdf_syntax_and_a_shapes_directory() {
    let dir = tempfile::tempdir().unwrap();
    let shapes_dir = dir.path().join("shapes");
    std::fs::create_dir(&shapes_dir).unwrap();
    std::fs::copy(shapes(), shapes_dir.join("observation.ttl")).unwrap();
    std::fs::write(shapes_dir.join("README.md"), "not RDF, skipped").unwrap();
    for (name, body) in [
        (
            "a.nt",
            "<https://example.org/o> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/sosa/Observation> .\n",
        ),
        (
            "a.nq",
            "<https://example.org/o> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/sosa/Observation> <https://example.org/g> .\n",
        ),
        (
            "a.jsonld",
            r#"{"@id": "https://example.org/o", "@type": "http://www.w3.org/ns/sosa/Observation"}"#,
        ),
        (
            "a.rdf",
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="https://example.org/o"><rdf:type rdf:resource="http://www.w3.org/ns/sosa/Observation"/></rdf:Description></rdf:RDF>"#,
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, body).unwrap();
        let out = validate(&[
            "--shapes",
            shapes_dir.to_str().unwrap(),
            "--format",
            "json",
            file.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        // The bare observation misses its eight required properties.
        assert_eq!(report["results"].as_array().unwrap().len(), 8, "{name}");
    }
}

#[test]
fn large_n_triples_are_read_in_parallel_and_errors_keep_their_exact_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..20_000 {
        writeln!(
            text,
            "<https://example.org/o{i}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/sosa/Observation> ."
        )
        .unwrap();
    }
    let good = dir.path().join("many.nt");
    std::fs::write(&good, &text).unwrap();
    let out = validate(&[
        "--shapes",
        shapes().to_str().unwrap(),
        "--format",
        "json",
        good.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Every one of the 20 000 bare observations misses its eight required properties.
    assert_eq!(report["results"].as_array().unwrap().len(), 20_000 * 8);

    text.push_str("<https://example.org/broken> <http://example.org/p> .\n");
    let bad = dir.path().join("broken.nt");
    std::fs::write(&bad, &text).unwrap();
    let out = validate(&[
        "--shapes",
        shapes().to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("broken.nt") && message.contains("20001"),
        "{message}"
    );
}

/// Every result of a JSON report, as comparable text, sorted.
fn result_lines(report: &Value) -> Vec<String> {
    let mut lines: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            // Property shapes are blank nodes, labelled anew each time the shapes are read.
            let shape = r["sourceShape"].as_str().filter(|s| s.starts_with('<'));
            format!(
                "{} {} {:?} {:?} {:?} {}",
                r["focusNode"],
                r["sourceConstraintComponent"],
                r["resultPath"],
                r["value"],
                shape,
                r["severity"]
            )
        })
        .collect();
    lines.sort();
    lines
}

/// Shapes that look further than the observation shape: backwards from a sensor to its
/// observations, and along a sequence path to the unit of an observation's result.
const FAR_REACHING_SHAPES: &str = "@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
@prefix ex: <https://example.org/> .
ex:SensorShape sh:targetObjectsOf sosa:madeBySensor ;
    sh:property [ sh:path [ sh:inversePath sosa:madeBySensor ] ; sh:maxCount 30 ] .
ex:ValueShape sh:targetClass qudt:QuantityValue ;
    sh:property [ sh:path [ sh:inversePath sosa:hasResult ] ; sh:minCount 1 ] .
ex:UnitShape sh:targetClass sosa:Observation ;
    sh:property [ sh:path ( sosa:hasResult qudt:hasUnit ) ; sh:minCount 1 ;
                  sh:in ( ex:MicroGM-PER-M3 ) ] .
ex:Obs3Shape sh:targetNode ex:obs3, ex:missing ;
    sh:property [ sh:path sosa:observedProperty ; sh:minCount 1 ] .
";

#[test]
fn validating_the_store_in_batches_gives_the_report_of_validating_the_same_data_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    // A store holds no blank nodes: the planted blank sensor becomes a literal one.
    let (ttl, _) = observations_with_planted_defects(160);
    let ttl = ttl.replace("sosa:madeBySensor [] ;", "sosa:madeBySensor \"sensor\" ;");
    let file = dir.path().join("observations.trig");
    std::fs::write(&file, &ttl).unwrap();
    let shapes_dir = dir.path().join("shapes");
    std::fs::create_dir(&shapes_dir).unwrap();
    std::fs::copy(shapes(), shapes_dir.join("observation.ttl")).unwrap();
    std::fs::write(shapes_dir.join("far.ttl"), FAR_REACHING_SHAPES).unwrap();
    let shapes_arg = shapes_dir.to_str().unwrap();
    let data = dir.path().join("data");
    let imported = crate::belfort(&data, &["import", file.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );

    let from_file = validate(&[
        "--shapes",
        shapes_arg,
        "--format",
        "json",
        file.to_str().unwrap(),
    ]);
    assert_eq!(from_file.status.code(), Some(1));
    let from_file: Value = serde_json::from_slice(&from_file.stdout).unwrap();
    let expected = result_lines(&from_file);
    for wanted in [
        "<https://example.org/sensor1>\" \"http://www.w3.org/ns/shacl#MaxCountConstraintComponent",
        "sosa/hasResult>/<http://qudt.org/schema/qudt/hasUnit>",
        "<https://example.org/missing>",
    ] {
        assert!(
            expected.iter().any(|line| line.contains(wanted)),
            "the far-reaching shapes find something ({wanted}): {expected:#?}"
        );
    }

    for batch in ["7", "10000"] {
        let from_store = crate::belfort(
            &data,
            &[
                "validate", "--shapes", shapes_arg, "--format", "json", "--store", "--batch", batch,
            ],
        );
        assert_eq!(
            from_store.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&from_store.stderr)
        );
        let from_store: Value = serde_json::from_slice(&from_store.stdout).unwrap();
        assert_eq!(from_store["conforms"], false);
        assert_eq!(
            result_lines(&from_store),
            expected,
            "batches of {batch}: the store's report equals the file's"
        );
    }
}

#[test]
fn everything_an_ingest_published_meets_the_observation_shape() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fixtures = crate::manifest_dir().join("../../fixtures/telraam");
    for file in ["reports_traffic_clean.json", "reports_traffic_dirty.json"] {
        let out = crate::belfort(
            &data,
            &[
                "ingest",
                "--feed",
                "gent/telraam",
                fixtures.join(file).to_str().unwrap(),
            ],
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = crate::belfort(
        &data,
        &[
            "validate",
            "--shapes",
            shapes().to_str().unwrap(),
            "--store",
            "--batch",
            "50",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("sh:conforms true"));
    // Not a store that conforms because it is empty: the ingests published observations.
    let focus_nodes: u64 = stderr
        .split(" focus nodes in")
        .next()
        .and_then(|head| head.rsplit(char::is_whitespace).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a focus node count: {stderr}"));
    assert!(focus_nodes > 300, "{stderr}");
}

#[test]
fn validate_takes_files_or_the_store_not_both_and_not_neither() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.ttl");
    std::fs::write(&file, "").unwrap();
    let shapes = shapes();
    let both = validate(&[
        "--shapes",
        shapes.to_str().unwrap(),
        "--store",
        file.to_str().unwrap(),
    ]);
    assert_eq!(both.status.code(), Some(2));
    let neither = validate(&["--shapes", shapes.to_str().unwrap()]);
    assert_eq!(neither.status.code(), Some(2));
}

#[test]
fn validating_the_store_against_sparql_shapes_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let shapes = dir.path().join("sparql.ttl");
    std::fs::write(
        &shapes,
        "@prefix sh: <http://www.w3.org/ns/shacl#> .
         <urn:S> sh:targetNode <urn:a> ; sh:sparql [ sh:select \"SELECT $this WHERE { ?s ?p ?o }\" ] .",
    )
    .unwrap();
    let out = crate::belfort(
        &dir.path().join("data"),
        &["validate", "--shapes", shapes.to_str().unwrap(), "--store"],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SHACL-SPARQL") && stderr.contains("belfort export"),
        "{stderr}"
    );
}
