//! Refuses queries the engine cannot stop in time before they start.
//!
//! The engine checks for cancellation only when it reads from the store. A cross product
//! (two parts of a query that share no variable) combines already-read solutions in memory,
//! so a large one neither notices its time limit nor stays within memory. Such a query is
//! refused up front when the estimated product is too large. Estimates come from capped
//! counts of the triple patterns, and are taken only when there is a cross product, so the
//! usual connected query costs nothing extra. `SERVICE` is refused too: the store never
//! makes an outbound connection.

use std::collections::HashMap;

use oxrdf::{NamedNode, Term, Variable};
use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TermPattern, TriplePattern};
use spargebra::{Query, SparqlParser};

use crate::{GraphSelector, ObservationStore, PatternCount, QuadPattern, StoreError};

/// A cross product may produce at most this many combinations.
pub const MAX_CROSS_PRODUCT: u64 = 10_000_000;

/// Triple patterns are counted up to this many matches: beyond it a part counts as this big.
pub const PATTERN_COUNT_CAP: u64 = 100_000;

/// A constant-or-variable view of a triple pattern, for counting.
pub struct CountablePattern {
    /// The subject when it is an IRI; `None` is a variable.
    pub subject: Option<NamedNode>,
    /// The predicate when it is an IRI.
    pub predicate: Option<NamedNode>,
    /// The object when it is a constant.
    pub object: Option<Term>,
    /// The subject is a literal: nothing can match.
    pub impossible: bool,
}

/// Checks a query before it runs, counting patterns in `store` (up to
/// [`PATTERN_COUNT_CAP`], over every graph).
pub fn check_on_store(
    store: &dyn ObservationStore,
    query: &str,
    base_iri: Option<&str>,
) -> Result<(), StoreError> {
    check(query, base_iri, &|pattern| {
        if pattern.impossible {
            return Ok(0);
        }
        let pattern = QuadPattern {
            subject: pattern.subject.clone(),
            predicate: pattern.predicate.clone(),
            object: pattern.object.clone(),
            graph: GraphSelector::Any,
        };
        Ok(match store.count_pattern(&pattern, PATTERN_COUNT_CAP)? {
            PatternCount::Exact(n) | PatternCount::AtLeast(n) => n,
        })
    })
}

/// Checks a query before it runs; `count` gives the (capped) number of matches of a pattern.
pub fn check(
    query: &str,
    base_iri: Option<&str>,
    count: &dyn Fn(&CountablePattern) -> Result<u64, StoreError>,
) -> Result<(), StoreError> {
    let mut parser = SparqlParser::new();
    if let Some(base) = base_iri
        && let Ok(with_base) = SparqlParser::new().with_base_iri(base)
    {
        parser = with_base;
    }
    // Syntax errors are reported by the engine's own parser, with its messages.
    let Ok(parsed) = parser.parse_query(query) else {
        return Ok(());
    };
    let pattern = match &parsed {
        Query::Select { pattern, .. }
        | Query::Construct { pattern, .. }
        | Query::Describe { pattern, .. }
        | Query::Ask { pattern, .. } => pattern,
    };
    Guard { count }.visit(pattern)
}

struct Guard<'a> {
    count: &'a dyn Fn(&CountablePattern) -> Result<u64, StoreError>,
}

fn refused(reason: String) -> StoreError {
    StoreError::QueryRefused(reason)
}

impl Guard<'_> {
    /// Walks the algebra; fails on SERVICE and on a too large cross product.
    fn visit(&self, pattern: &GraphPattern) -> Result<(), StoreError> {
        match pattern {
            GraphPattern::Bgp { patterns } => {
                let components = components(patterns);
                if components.len() > 1 {
                    let mut sizes = Vec::new();
                    for component in &components {
                        sizes.push(self.component_size(component)?);
                    }
                    self.limit(&sizes)?;
                }
                Ok(())
            }
            GraphPattern::Join { left, right } | GraphPattern::LeftJoin { left, right, .. } => {
                self.visit(left)?;
                self.visit(right)?;
                if !shares_variables(left, right) {
                    let sizes = [self.estimate(left)?, self.estimate(right)?];
                    self.limit(&sizes)?;
                }
                Ok(())
            }
            GraphPattern::Union { left, right } | GraphPattern::Minus { left, right } => {
                self.visit(left)?;
                self.visit(right)
            }
            GraphPattern::Service { name, .. } => Err(StoreError::ServiceRefused(match name {
                NamedNodePattern::NamedNode(n) => n.as_str().to_owned(),
                NamedNodePattern::Variable(v) => v.to_string(),
            })),
            other => match single_inner(other) {
                Some(inner) => self.visit(inner),
                None => Ok(()),
            },
        }
    }

    fn limit(&self, sizes: &[u64]) -> Result<(), StoreError> {
        let product = sizes.iter().fold(1_u64, |p, s| p.saturating_mul(*s));
        if product > MAX_CROSS_PRODUCT {
            let parts: Vec<String> = sizes
                .iter()
                .map(|s| {
                    if *s >= PATTERN_COUNT_CAP {
                        format!("{s}+")
                    } else {
                        s.to_string()
                    }
                })
                .collect();
            return Err(refused(format!(
                "parts of the query share no variable, so every solution of one is combined with every solution of the other ({} ≈ {product} combinations, more than the {MAX_CROSS_PRODUCT} allowed); join the parts on a shared variable or make one of them selective",
                parts.join(" × ")
            )));
        }
        Ok(())
    }

    /// At most as many solutions as its most selective pattern (a heuristic for joins).
    fn component_size(&self, component: &[&TriplePattern]) -> Result<u64, StoreError> {
        let mut smallest = u64::MAX;
        for pattern in component {
            smallest = smallest.min((self.count)(&countable(pattern))?);
        }
        Ok(smallest.min(PATTERN_COUNT_CAP))
    }

    /// A rough size of what a pattern yields, from its triple patterns' counts.
    fn estimate(&self, pattern: &GraphPattern) -> Result<u64, StoreError> {
        Ok(match pattern {
            GraphPattern::Bgp { patterns } => {
                let mut product = 1_u64;
                for component in components(patterns) {
                    product = product.saturating_mul(self.component_size(&component)?);
                }
                product
            }
            GraphPattern::Join { left, right } | GraphPattern::LeftJoin { left, right, .. } => {
                let (l, r) = (self.estimate(left)?, self.estimate(right)?);
                if shares_variables(left, right) {
                    l.max(r)
                } else {
                    l.saturating_mul(r)
                }
            }
            GraphPattern::Union { left, right } => {
                self.estimate(left)?.saturating_add(self.estimate(right)?)
            }
            GraphPattern::Minus { left, .. } => self.estimate(left)?,
            GraphPattern::Values { bindings, .. } => bindings.len() as u64,
            GraphPattern::Slice {
                inner,
                length: Some(length),
                ..
            } => self.estimate(inner)?.min(*length as u64),
            // Aggregates without GROUP BY variables give one row per group.
            GraphPattern::Group {
                inner, variables, ..
            } => {
                if variables.is_empty() {
                    1
                } else {
                    self.estimate(inner)?
                }
            }
            other => match single_inner(other) {
                Some(inner) => self.estimate(inner)?,
                None => PATTERN_COUNT_CAP,
            },
        })
    }
}

/// The one pattern inside an operator that keeps, filters or reshapes its solutions.
fn single_inner(pattern: &GraphPattern) -> Option<&GraphPattern> {
    match pattern {
        GraphPattern::Filter { inner, .. }
        | GraphPattern::Graph { inner, .. }
        | GraphPattern::Extend { inner, .. }
        | GraphPattern::OrderBy { inner, .. }
        | GraphPattern::Project { inner, .. }
        | GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::Group { inner, .. }
        | GraphPattern::Service { inner, .. } => Some(inner),
        _ => None,
    }
}

fn countable(pattern: &TriplePattern) -> CountablePattern {
    let mut impossible = false;
    let subject = match &pattern.subject {
        TermPattern::NamedNode(n) => Some(n.clone()),
        TermPattern::Literal(_) => {
            impossible = true;
            None
        }
        _ => None,
    };
    let predicate = match &pattern.predicate {
        NamedNodePattern::NamedNode(n) => Some(n.clone()),
        NamedNodePattern::Variable(_) => None,
    };
    let object = match &pattern.object {
        TermPattern::NamedNode(n) => Some(n.clone().into()),
        TermPattern::Literal(l) => Some(l.clone().into()),
        _ => None,
    };
    CountablePattern {
        subject,
        predicate,
        object,
        impossible,
    }
}

/// The variables (and blank nodes, which act as variables) of a triple pattern.
fn pattern_variables(pattern: &TriplePattern) -> Vec<String> {
    let mut names = Vec::new();
    for term in [&pattern.subject, &pattern.object] {
        match term {
            TermPattern::Variable(v) => names.push(format!("?{}", v.as_str())),
            TermPattern::BlankNode(b) => names.push(format!("_:{}", b.as_str())),
            _ => {}
        }
    }
    if let NamedNodePattern::Variable(v) = &pattern.predicate {
        names.push(format!("?{}", v.as_str()));
    }
    names
}

/// Groups the patterns of a BGP into parts connected by shared variables.
fn components(patterns: &[TriplePattern]) -> Vec<Vec<&TriplePattern>> {
    let mut parent: Vec<usize> = (0..patterns.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (i, pattern) in patterns.iter().enumerate() {
        for name in pattern_variables(pattern) {
            if let Some(&j) = owner.get(&name) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            } else {
                owner.insert(name, i);
            }
        }
    }
    let mut groups: HashMap<usize, Vec<&TriplePattern>> = HashMap::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(pattern);
    }
    let mut groups: Vec<_> = groups.into_values().collect();
    groups.sort_by_key(|g| g.len());
    groups
}

fn in_scope(pattern: &GraphPattern) -> Vec<&Variable> {
    let mut variables = Vec::new();
    pattern.on_in_scope_variable(|v| variables.push(v));
    variables
}

fn shares_variables(left: &GraphPattern, right: &GraphPattern) -> bool {
    let left = in_scope(left);
    let right = in_scope(right);
    // A side without variables (a ground pattern) does not multiply anything.
    left.is_empty() || right.is_empty() || left.iter().any(|v| right.contains(v))
}
