//! Why a fragment request cannot be answered.

use thiserror::Error;

/// A fragment request whose parameters are not a valid selector.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SelectorError {
    /// A blank node was given where only IRIs, literals and variables are allowed.
    #[error("parameter `{parameter}`: blank nodes cannot be selected (`{value}`)")]
    BlankNode {
        /// The parameter.
        parameter: &'static str,
        /// The value given.
        value: String,
    },
    /// A literal was given as subject, predicate or graph.
    #[error("parameter `{parameter}`: a literal cannot be a {parameter} (`{value}`)")]
    LiteralNotAllowed {
        /// The parameter.
        parameter: &'static str,
        /// The value given.
        value: String,
    },
    /// The value is not an absolute IRI.
    #[error("parameter `{parameter}`: `{value}` is not an absolute IRI: {reason}")]
    InvalidIri {
        /// The parameter.
        parameter: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A literal that is not well formed (`"text"`, `"text"@lang`, `"text"^^type`).
    #[error(
        "parameter `object`: `{value}` is not a literal of the form \"text\", \"text\"@lang or \"text\"^^type: {reason}"
    )]
    InvalidLiteral {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `page` is not a whole number from 1 up.
    #[error("parameter `page`: `{value}` is not a page number (1, 2, …)")]
    InvalidPage {
        /// The value given.
        value: String,
    },
    /// `values` is not a SPARQL `VALUES` clause without its keyword.
    #[error(
        "parameter `values`: `{value}` is not a list of bindings of the form (?a ?b) {{ (<x> \"y\") (UNDEF <z>) }}: {reason}"
    )]
    InvalidValues {
        /// The value given (its start).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// More rows of bindings than one request may carry.
    #[error(
        "parameter `values`: {rows} rows of bindings, more than the {max} one request may carry"
    )]
    TooManyBindings {
        /// The rows given.
        rows: usize,
        /// The most allowed.
        max: usize,
    },
    /// The same parameter twice.
    #[error("parameter `{parameter}` is given more than once")]
    Repeated {
        /// The parameter.
        parameter: &'static str,
    },
}
