//! SHACL property paths: parsed from the shapes graph, evaluated over the data graph.

use std::fmt;

use belfort_vocab::sh;
use oxrdf::vocab::rdf;
use oxrdf::{BlankNode, NamedNode, Term, Triple};
use rustc_hash::FxHashSet;

use crate::error::ShaclError;
use crate::graph::{IndexedGraph, TermId};
use crate::shapes::ShapesGraphReader;

/// A SHACL property path over predicates of type `P` (IRIs in a report, term ids inside
/// the engine).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropertyPath<P> {
    /// A single predicate.
    Predicate(P),
    /// `sh:inversePath`.
    Inverse(Box<PropertyPath<P>>),
    /// An RDF list of paths, followed one after the other.
    Sequence(Vec<PropertyPath<P>>),
    /// `sh:alternativePath`: the union of the paths.
    Alternative(Vec<PropertyPath<P>>),
    /// `sh:zeroOrMorePath`.
    ZeroOrMore(Box<PropertyPath<P>>),
    /// `sh:oneOrMorePath`.
    OneOrMore(Box<PropertyPath<P>>),
    /// `sh:zeroOrOnePath`.
    ZeroOrOne(Box<PropertyPath<P>>),
}

impl<P> PropertyPath<P> {
    /// The predicate, when the path is a single predicate.
    pub fn as_predicate(&self) -> Option<&P> {
        match self {
            Self::Predicate(p) => Some(p),
            _ => None,
        }
    }

    /// The same path with every predicate mapped.
    pub fn map<Q>(&self, f: &mut impl FnMut(&P) -> Q) -> PropertyPath<Q> {
        match self {
            Self::Predicate(p) => PropertyPath::Predicate(f(p)),
            Self::Inverse(p) => PropertyPath::Inverse(Box::new(p.map(f))),
            Self::Sequence(ps) => PropertyPath::Sequence(ps.iter().map(|p| p.map(f)).collect()),
            Self::Alternative(ps) => {
                PropertyPath::Alternative(ps.iter().map(|p| p.map(f)).collect())
            }
            Self::ZeroOrMore(p) => PropertyPath::ZeroOrMore(Box::new(p.map(f))),
            Self::OneOrMore(p) => PropertyPath::OneOrMore(Box::new(p.map(f))),
            Self::ZeroOrOne(p) => PropertyPath::ZeroOrOne(Box::new(p.map(f))),
        }
    }
}

impl PropertyPath<NamedNode> {
    /// Writes the path as SHACL RDF (fresh blank nodes for lists and path nodes) and
    /// returns the node that stands for it.
    pub fn to_rdf(&self, out: &mut Vec<Triple>) -> Term {
        match self {
            Self::Predicate(p) => p.clone().into(),
            Self::Inverse(p) => wrap(sh::INVERSE_PATH.into_owned(), p, out),
            Self::ZeroOrMore(p) => wrap(sh::ZERO_OR_MORE_PATH.into_owned(), p, out),
            Self::OneOrMore(p) => wrap(sh::ONE_OR_MORE_PATH.into_owned(), p, out),
            Self::ZeroOrOne(p) => wrap(sh::ZERO_OR_ONE_PATH.into_owned(), p, out),
            Self::Sequence(ps) => rdf_list(ps, out),
            Self::Alternative(ps) => {
                let node = BlankNode::default();
                let list = rdf_list(ps, out);
                out.push(Triple::new(node.clone(), sh::ALTERNATIVE_PATH, list));
                node.into()
            }
        }
    }
}

impl fmt::Display for PropertyPath<NamedNode> {
    /// SPARQL property-path syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined = |f: &mut fmt::Formatter<'_>, ps: &[Self], sep: &str| -> fmt::Result {
            f.write_str("(")?;
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{p}")?;
            }
            f.write_str(")")
        };
        match self {
            Self::Predicate(p) => write!(f, "{p}"),
            Self::Inverse(p) => write!(f, "^{p}"),
            Self::Sequence(ps) => joined(f, ps, "/"),
            Self::Alternative(ps) => joined(f, ps, "|"),
            Self::ZeroOrMore(p) => write!(f, "({p})*"),
            Self::OneOrMore(p) => write!(f, "({p})+"),
            Self::ZeroOrOne(p) => write!(f, "({p})?"),
        }
    }
}

fn wrap(predicate: NamedNode, inner: &PropertyPath<NamedNode>, out: &mut Vec<Triple>) -> Term {
    let node = BlankNode::default();
    let value = inner.to_rdf(out);
    out.push(Triple::new(node.clone(), predicate, value));
    node.into()
}

fn rdf_list(items: &[PropertyPath<NamedNode>], out: &mut Vec<Triple>) -> Term {
    let mut rest: Term = rdf::NIL.into_owned().into();
    for item in items.iter().rev() {
        let cell = BlankNode::default();
        let value = item.to_rdf(out);
        out.push(Triple::new(cell.clone(), rdf::FIRST, value));
        out.push(Triple::new(cell.clone(), rdf::REST, rest));
        rest = cell.into();
    }
    rest
}

/// Reads the path whose node is `node` in the shapes graph.
pub(crate) fn parse_path(
    shapes: &ShapesGraphReader<'_>,
    node: TermId,
    depth: usize,
) -> Result<PropertyPath<TermId>, ShaclError> {
    if depth > 64 {
        return Err(shapes.ill_formed(node, "sh:path nests deeper than 64 levels (a cycle?)"));
    }
    let term = shapes.term(node);
    if let Term::NamedNode(_) = term {
        return Ok(PropertyPath::Predicate(node));
    }
    if !matches!(term, Term::BlankNode(_)) {
        return Err(shapes.ill_formed(node, "a property path must be an IRI or a blank node"));
    }
    if shapes.is_list(node) {
        let items = shapes.list(node)?;
        if items.len() < 2 {
            return Err(shapes.ill_formed(node, "a sequence path needs at least two members"));
        }
        let parts = items
            .into_iter()
            .map(|item| parse_path(shapes, item, depth + 1))
            .collect::<Result<_, _>>()?;
        return Ok(PropertyPath::Sequence(parts));
    }
    let unary = [
        (sh::INVERSE_PATH, 0u8),
        (sh::ZERO_OR_MORE_PATH, 1),
        (sh::ONE_OR_MORE_PATH, 2),
        (sh::ZERO_OR_ONE_PATH, 3),
    ];
    for (predicate, kind) in unary {
        if let Some(inner) = shapes.single(node, predicate)? {
            let inner = Box::new(parse_path(shapes, inner, depth + 1)?);
            return Ok(match kind {
                0 => PropertyPath::Inverse(inner),
                1 => PropertyPath::ZeroOrMore(inner),
                2 => PropertyPath::OneOrMore(inner),
                _ => PropertyPath::ZeroOrOne(inner),
            });
        }
    }
    if let Some(list) = shapes.single(node, sh::ALTERNATIVE_PATH)? {
        let items = shapes.list(list)?;
        if items.len() < 2 {
            return Err(shapes.ill_formed(node, "sh:alternativePath needs at least two members"));
        }
        let parts = items
            .into_iter()
            .map(|item| parse_path(shapes, item, depth + 1))
            .collect::<Result<_, _>>()?;
        return Ok(PropertyPath::Alternative(parts));
    }
    Err(shapes.ill_formed(node, "blank node is not a SHACL property path"))
}

/// Every node reached from `start` along `path` (predicates already bound to data-graph
/// ids; `None` for a predicate the data graph never uses), without duplicates.
pub(crate) fn evaluate(
    graph: &IndexedGraph,
    path: &PropertyPath<Option<TermId>>,
    start: TermId,
    out: &mut Vec<TermId>,
) {
    let before = out.len();
    collect(graph, path, start, false, out);
    if out.len() - before > 1 {
        let mut found = out.split_off(before);
        found.sort_unstable();
        found.dedup();
        out.extend(found);
    }
}

fn collect(
    graph: &IndexedGraph,
    path: &PropertyPath<Option<TermId>>,
    node: TermId,
    inverse: bool,
    out: &mut Vec<TermId>,
) {
    match path {
        PropertyPath::Predicate(None) => {}
        PropertyPath::Predicate(Some(p)) => {
            if inverse {
                out.extend(graph.subjects(*p, node));
            } else {
                out.extend(graph.objects(node, *p));
            }
        }
        PropertyPath::Inverse(inner) => collect(graph, inner, node, !inverse, out),
        PropertyPath::Sequence(parts) => {
            let mut current = vec![node];
            let ordered: Box<dyn Iterator<Item = &PropertyPath<Option<TermId>>>> = if inverse {
                Box::new(parts.iter().rev())
            } else {
                Box::new(parts.iter())
            };
            for part in ordered {
                let mut next = Vec::new();
                for n in &current {
                    collect(graph, part, *n, inverse, &mut next);
                }
                next.sort_unstable();
                next.dedup();
                current = next;
                if current.is_empty() {
                    break;
                }
            }
            out.extend(current);
        }
        PropertyPath::Alternative(parts) => {
            for part in parts {
                collect(graph, part, node, inverse, out);
            }
        }
        PropertyPath::ZeroOrOne(inner) => {
            out.push(node);
            collect(graph, inner, node, inverse, out);
        }
        PropertyPath::ZeroOrMore(inner) | PropertyPath::OneOrMore(inner) => {
            let include_start = matches!(path, PropertyPath::ZeroOrMore(_));
            let mut seen = FxHashSet::default();
            let mut frontier = vec![node];
            if include_start {
                seen.insert(node);
                out.push(node);
            }
            while let Some(n) = frontier.pop() {
                let mut step = Vec::new();
                collect(graph, inner, n, inverse, &mut step);
                for next in step {
                    if seen.insert(next) {
                        out.push(next);
                        frontier.push(next);
                    }
                }
            }
        }
    }
}
