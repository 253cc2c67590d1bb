//! The validation report: results as Rust values, as SHACL RDF and as JSON.

use belfort_vocab::sh;
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{BlankNode, Graph, Literal, NamedNode, Term, Triple};
use serde::Serialize;

use crate::path::PropertyPath;

/// The outcome of validating a data graph against a shapes graph (`sh:ValidationReport`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    /// True when there is no result of any severity.
    pub conforms: bool,
    /// One entry per (focus node, shape, constraint, value) that failed.
    pub results: Vec<ValidationResult>,
}

/// One `sh:ValidationResult`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValidationResult {
    /// The focus node that was validated.
    pub focus_node: Term,
    /// The path of the property shape (or the offending predicate of a closed shape).
    pub result_path: Option<PropertyPath<NamedNode>>,
    /// The value node that failed, where the component names one.
    pub value: Option<Term>,
    /// The shape whose constraint failed.
    pub source_shape: Term,
    /// The constraint component, e.g. `sh:MinCountConstraintComponent`.
    pub source_constraint_component: NamedNode,
    /// The constraint node, for an `sh:sparql` constraint.
    pub source_constraint: Option<Term>,
    /// `sh:Violation`, `sh:Warning`, `sh:Info` or a custom severity.
    pub severity: NamedNode,
    /// The shape's `sh:message` values, or a generated message.
    pub messages: Vec<Term>,
}

impl ValidationReport {
    /// The number of results with severity `sh:Violation`.
    pub fn violation_count(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.severity == sh::VIOLATION)
            .count()
    }

    /// The report as SHACL RDF, with a blank node for the report and for each result.
    pub fn to_graph(&self) -> Graph {
        let mut triples = Vec::new();
        let report = BlankNode::default();
        triples.push(Triple::new(
            report.clone(),
            rdf::TYPE,
            sh::VALIDATION_REPORT,
        ));
        triples.push(Triple::new(
            report.clone(),
            sh::CONFORMS,
            Literal::from(self.conforms),
        ));
        for result in &self.results {
            let node = BlankNode::default();
            triples.push(Triple::new(report.clone(), sh::RESULT, node.clone()));
            triples.push(Triple::new(node.clone(), rdf::TYPE, sh::VALIDATION_RESULT));
            triples.push(Triple::new(
                node.clone(),
                sh::FOCUS_NODE,
                result.focus_node.clone(),
            ));
            if let Some(path) = &result.result_path {
                let path_node = path.to_rdf(&mut triples);
                triples.push(Triple::new(node.clone(), sh::RESULT_PATH, path_node));
            }
            if let Some(value) = &result.value {
                triples.push(Triple::new(node.clone(), sh::VALUE, value.clone()));
            }
            triples.push(Triple::new(
                node.clone(),
                sh::SOURCE_SHAPE,
                result.source_shape.clone(),
            ));
            triples.push(Triple::new(
                node.clone(),
                sh::SOURCE_CONSTRAINT_COMPONENT,
                result.source_constraint_component.clone(),
            ));
            if let Some(constraint) = &result.source_constraint {
                triples.push(Triple::new(
                    node.clone(),
                    sh::SOURCE_CONSTRAINT,
                    constraint.clone(),
                ));
            }
            triples.push(Triple::new(
                node.clone(),
                sh::RESULT_SEVERITY,
                result.severity.clone(),
            ));
            for message in &result.messages {
                triples.push(Triple::new(
                    node.clone(),
                    sh::RESULT_MESSAGE,
                    message.clone(),
                ));
            }
        }
        triples.into_iter().collect()
    }

    /// The report as a JSON value: `{"conforms": …, "results": [{"focusNode": …, …}]}`,
    /// terms in N-Triples syntax.
    pub fn to_json(&self) -> serde_json::Value {
        let results: Vec<JsonResult<'_>> = self
            .results
            .iter()
            .map(|r| JsonResult {
                focus_node: r.focus_node.to_string(),
                result_path: r.result_path.as_ref().map(ToString::to_string),
                value: r.value.as_ref().map(ToString::to_string),
                source_shape: r.source_shape.to_string(),
                source_constraint_component: r.source_constraint_component.as_str(),
                severity: r.severity.as_str(),
                messages: r
                    .messages
                    .iter()
                    .map(|m| match m {
                        Term::Literal(l) => l.value().to_owned(),
                        other => other.to_string(),
                    })
                    .collect(),
            })
            .collect();
        serde_json::json!({
            "conforms": self.conforms,
            "violations": self.violation_count(),
            "results": results,
        })
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonResult<'a> {
    focus_node: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    result_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    source_shape: String,
    source_constraint_component: &'a str,
    severity: &'a str,
    messages: Vec<String>,
}

/// A plain string message literal.
pub(crate) fn message(text: String) -> Term {
    Literal::new_typed_literal(text, xsd::STRING).into()
}
