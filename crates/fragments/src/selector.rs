//! The selector of a Triple or Quad Pattern Fragment, parsed from request parameters.

use oxrdf::{Literal, NamedNode, Term};
use spargebra::algebra::GraphPattern;
use spargebra::term::GroundTerm;

use crate::SelectorError;

/// Rows a bindings-restricted request may carry at most.
pub const MAX_BINDINGS: usize = 100;

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
    /// The variable named at the subject, predicate and object positions (`?o`), where the
    /// request names one: the page IRIs repeat it, so that they are the URLs a client asked for.
    pub variables: [Option<String>; 3],
    /// Bindings that restrict the pattern's variables (brTPF), when the request gives `values`.
    pub restriction: Option<BindingsRestriction>,
}

/// A bindings-restricted fragment (brTPF): the matches of the pattern under any of the rows,
/// each row binding some of the variables named at the pattern's positions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BindingsRestriction {
    /// The variables of the rows.
    pub variables: Vec<String>,
    /// One term or none (`UNDEF`) per variable, per row.
    pub rows: Vec<Vec<Option<Term>>>,
    /// The `values` parameter as given, for the links between pages.
    values: String,
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
        let mut seen = [false; 6];
        let mut page = 1;
        let mut values = None;
        for (key, value) in pairs {
            let value = value.as_ref().trim();
            let (slot, name) = match key.as_ref() {
                "subject" => (0, "subject"),
                "predicate" => (1, "predicate"),
                "object" => (2, "object"),
                "graph" => (3, "graph"),
                "page" => (4, "page"),
                "values" => (5, "values"),
                _ => continue,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(SelectorError::Repeated { parameter: name });
            }
            if slot < 3 {
                selector.variables[slot] = variable_name(value);
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
                4 => page = parse_page(value)?,
                _ => values = Some(value.to_owned()),
            }
        }
        if let Some(values) = values {
            selector.restriction = Some(parse_values(values)?);
        }
        Ok((selector, page))
    }

    /// The plain selectors a bindings-restricted one stands for: one per row, each position
    /// whose variable the row binds set to the row's term, each selector once. A row that puts
    /// a literal where only IRIs go matches nothing and gives none. Without a restriction,
    /// the selector itself.
    pub fn restricted_selectors(&self) -> Vec<Selector> {
        let Some(restriction) = &self.restriction else {
            return vec![self.clone()];
        };
        let plain = Selector {
            restriction: None,
            ..self.clone()
        };
        let mut selectors: Vec<Selector> = Vec::new();
        for row in &restriction.rows {
            let bound = |position: usize| -> Option<&Term> {
                let name = self.variables[position].as_ref()?;
                let column = restriction.variables.iter().position(|v| v == name)?;
                row.get(column)?.as_ref()
            };
            let mut selector = plain.clone();
            let iri = |term: Option<&Term>, current: &Option<NamedNode>| match term {
                None => Some(current.clone()),
                Some(Term::NamedNode(iri)) if current.is_none() => Some(Some(iri.clone())),
                Some(_) => None,
            };
            let (Some(subject), Some(predicate)) = (
                iri(bound(0), &selector.subject),
                iri(bound(1), &selector.predicate),
            ) else {
                continue;
            };
            selector.subject = subject;
            selector.predicate = predicate;
            if let Some(object) = bound(2)
                && selector.object.is_none()
            {
                selector.object = Some(object.clone());
            }
            if !selectors.contains(&selector) {
                selectors.push(selector);
            }
        }
        selectors
    }

    /// Whether this is a Quad Pattern Fragment selector.
    pub fn is_quad_pattern(&self) -> bool {
        self.graph.is_some()
    }

    /// The parameters of this selector in template order, each value encoded as the
    /// specification writes it (before percent-encoding).
    pub(crate) fn parameters(&self) -> Vec<(&'static str, String)> {
        let mut parameters = Vec::new();
        // Variables as the request named them.
        let variable = |position: usize| {
            let name = self.variables[position].as_ref()?;
            Some(format!("?{name}"))
        };
        let positions = [
            (
                "subject",
                self.subject.as_ref().map(|s| s.as_str().to_owned()),
            ),
            (
                "predicate",
                self.predicate.as_ref().map(|p| p.as_str().to_owned()),
            ),
            ("object", self.object.as_ref().map(object_parameter)),
        ];
        for (position, (name, value)) in positions.into_iter().enumerate() {
            if let Some(value) = value.or_else(|| variable(position)) {
                parameters.push((name, value));
            }
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
        if let Some(restriction) = &self.restriction {
            parameters.push(("values", restriction.values.clone()));
        }
        parameters
    }
}

/// The name of a variable position (`?name` or `$name`).
fn variable_name(value: &str) -> Option<String> {
    let name = value
        .strip_prefix('?')
        .or_else(|| value.strip_prefix('$'))?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// Reads `values` as the SPARQL `VALUES` clause it is without its keyword:
/// `(?a ?b) { (<x> "y") (UNDEF <z>) }`.
fn parse_values(values: String) -> Result<BindingsRestriction, SelectorError> {
    let invalid = |reason: String| SelectorError::InvalidValues {
        value: values.chars().take(200).collect(),
        reason,
    };
    let query = spargebra::SparqlParser::new()
        .parse_query(&format!("SELECT * WHERE {{ VALUES {values} }}"))
        .map_err(|e| invalid(e.to_string()))?;
    let spargebra::Query::Select { pattern, .. } = query else {
        return Err(invalid("not a VALUES clause".to_owned()));
    };
    let mut pattern = &pattern;
    while let GraphPattern::Project { inner, .. } = pattern {
        pattern = inner;
    }
    let GraphPattern::Values {
        variables,
        bindings,
    } = pattern
    else {
        return Err(invalid("not a VALUES clause".to_owned()));
    };
    if bindings.len() > MAX_BINDINGS {
        return Err(SelectorError::TooManyBindings {
            rows: bindings.len(),
            max: MAX_BINDINGS,
        });
    }
    let mut rows = Vec::with_capacity(bindings.len());
    for row in bindings {
        let mut terms = Vec::with_capacity(row.len());
        for term in row {
            terms.push(match term {
                None => None,
                Some(term) => {
                    Some(ground_term(term).ok_or_else(|| {
                        invalid(format!("`{term}` is neither an IRI nor a literal"))
                    })?)
                }
            });
        }
        rows.push(terms);
    }
    Ok(BindingsRestriction {
        variables: variables.iter().map(|v| v.as_str().to_owned()).collect(),
        rows,
        values,
    })
}

fn ground_term(term: &GroundTerm) -> Option<Term> {
    match term {
        GroundTerm::NamedNode(iri) => Some(iri.clone().into()),
        GroundTerm::Literal(literal) => Some(literal.clone().into()),
        #[allow(unreachable_patterns)]
        _ => None,
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
