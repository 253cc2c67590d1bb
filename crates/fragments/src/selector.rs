//! The selector of a Triple or Quad Pattern Fragment, parsed from request parameters.

use oxrdf::{Literal, NamedNode, Term};

use crate::SelectorError;

/// Which graph a Quad Pattern Fragment selects.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GraphSelection {
    /// The default graph.
    Default,
    /// One named graph.
    Named(NamedNode),
}

/// A triple pattern, plus a graph for Quad Pattern Fragments; `None` is a variable.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Selector {
    /// The subject IRI, or any.
    pub subject: Option<NamedNode>,
    /// The predicate IRI, or any.
    pub predicate: Option<NamedNode>,
    /// The object IRI or literal, or any.
    pub object: Option<Term>,
    /// `None` for a Triple Pattern Fragment (data of every graph as triples); `Some` for a
    /// Quad Pattern Fragment restricted to one graph.
    pub graph: Option<GraphSelection>,
}

/// The value of `graph` that selects the default graph.
pub(crate) const DEFAULT_GRAPH_VALUE: &str = "urn:x-belfort:default-graph";

impl Selector {
    /// Parses request parameters; unknown parameters are ignored. Returns the selector and
    /// the page number (1 when absent).
    pub fn from_query_pairs<K, V>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<(Self, u64), SelectorError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut selector = Self::default();
        let mut seen = [false; 5];
        let mut page = 1;
        for (key, value) in pairs {
            let value = value.as_ref().trim();
            let (slot, name) = match key.as_ref() {
                "subject" => (0, "subject"),
                "predicate" => (1, "predicate"),
                "object" => (2, "object"),
                "graph" => (3, "graph"),
                "page" => (4, "page"),
                _ => continue,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(SelectorError::Repeated { parameter: name });
            }
            match slot {
                0 => selector.subject = parse_iri_position("subject", value)?,
                1 => selector.predicate = parse_iri_position("predicate", value)?,
                2 => selector.object = parse_object(value)?,
                3 => {
                    selector.graph = match parse_iri_position("graph", value)? {
                        None => None,
                        Some(iri) if iri.as_str() == DEFAULT_GRAPH_VALUE => {
                            Some(GraphSelection::Default)
                        }
                        Some(iri) => Some(GraphSelection::Named(iri)),
                    }
                }
                _ => page = parse_page(value)?,
            }
        }
        Ok((selector, page))
    }

    /// Whether this is a Quad Pattern Fragment selector.
    pub fn is_quad_pattern(&self) -> bool {
        self.graph.is_some()
    }

    /// The parameters of this selector in template order, each value encoded as the
    /// specification writes it (before percent-encoding).
    pub(crate) fn parameters(&self) -> Vec<(&'static str, String)> {
        let mut parameters = Vec::new();
        if let Some(subject) = &self.subject {
            parameters.push(("subject", subject.as_str().to_owned()));
        }
        if let Some(predicate) = &self.predicate {
            parameters.push(("predicate", predicate.as_str().to_owned()));
        }
        if let Some(object) = &self.object {
            parameters.push(("object", object_parameter(object)));
        }
        match &self.graph {
            None => {}
            Some(GraphSelection::Default) => {
                parameters.push(("graph", DEFAULT_GRAPH_VALUE.to_owned()));
            }
            Some(GraphSelection::Named(graph)) => {
                parameters.push(("graph", graph.as_str().to_owned()));
            }
        }
        parameters
    }
}

fn is_variable(value: &str) -> bool {
    value.is_empty() || value.starts_with('?') || value.starts_with('$')
}

fn parse_iri_position(
    parameter: &'static str,
    value: &str,
) -> Result<Option<NamedNode>, SelectorError> {
    if is_variable(value) {
        return Ok(None);
    }
    if value.starts_with("_:") {
        return Err(SelectorError::BlankNode {
            parameter,
            value: value.to_owned(),
        });
    }
    if value.starts_with('"') {
        return Err(SelectorError::LiteralNotAllowed {
            parameter,
            value: value.to_owned(),
        });
    }
    parse_iri(parameter, value).map(Some)
}

fn parse_iri(parameter: &'static str, value: &str) -> Result<NamedNode, SelectorError> {
    let bare = value
        .strip_prefix('<')
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or(value);
    NamedNode::new(bare).map_err(|e| SelectorError::InvalidIri {
        parameter,
        value: value.to_owned(),
        reason: e.to_string(),
    })
}

fn parse_object(value: &str) -> Result<Option<Term>, SelectorError> {
    let Some(rest) = value.strip_prefix('"') else {
        return Ok(parse_iri_position("object", value)?.map(Term::from));
    };
    let invalid = |reason: &str| SelectorError::InvalidLiteral {
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    // The lexical form runs to the last quote: it may itself contain quotes, unescaped.
    let end = rest.rfind('"').ok_or_else(|| invalid("no closing quote"))?;
    let (text, suffix) = (&rest[..end], &rest[end + 1..]);
    let literal = if suffix.is_empty() {
        Literal::new_simple_literal(text)
    } else if let Some(language) = suffix.strip_prefix('@') {
        Literal::new_language_tagged_literal(text, language)
            .map_err(|e| invalid(&format!("bad language tag: {e}")))?
    } else if let Some(datatype) = suffix.strip_prefix("^^") {
        let datatype = parse_iri("object", datatype).map_err(|e| invalid(&e.to_string()))?;
        Literal::new_typed_literal(text, datatype)
    } else {
        return Err(invalid(
            "text after the closing quote is neither @lang nor ^^type",
        ));
    };
    Ok(Some(literal.into()))
}

fn parse_page(value: &str) -> Result<u64, SelectorError> {
    if value.is_empty() {
        return Ok(1);
    }
    match value.parse::<u64>() {
        Ok(page) if page >= 1 => Ok(page),
        _ => Err(SelectorError::InvalidPage {
            value: value.to_owned(),
        }),
    }
}

/// A term as a request parameter: IRIs plain, literals quoted with their tag or type.
pub fn object_parameter(object: &Term) -> String {
    match object {
        Term::Literal(literal) => {
            if let Some(language) = literal.language() {
                format!("\"{}\"@{language}", literal.value())
            } else if literal.datatype() == oxrdf::vocab::xsd::STRING {
                format!("\"{}\"", literal.value())
            } else {
                format!("\"{}\"^^{}", literal.value(), literal.datatype().as_str())
            }
        }
        Term::NamedNode(iri) => iri.as_str().to_owned(),
        Term::BlankNode(node) => format!("_:{}", node.as_str()),
    }
}
