//! What validating a focus node looks at. A caller whose data lives elsewhere (a store) uses
//! it to find the focus nodes itself and to fetch only their neighbourhood, batch by batch,
//! so that memory is bounded by a batch and not by the data.

use oxrdf::{NamedNode, Term};
use rustc_hash::FxHashSet;

use crate::path::PropertyPath;
use crate::shapes::{Constraint, ShapeId, Shapes, Target};

/// How a targeted shape selects its focus nodes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FocusTarget {
    /// `sh:targetNode`: this node.
    Node(Term),
    /// `sh:targetClass` or an implicit class target: the instances of the class and of its
    /// subclasses (`rdfs:subClassOf`, transitively).
    Class(NamedNode),
    /// `sh:targetSubjectsOf`: every subject of the predicate.
    SubjectsOf(NamedNode),
    /// `sh:targetObjectsOf`: every object of the predicate.
    ObjectsOf(NamedNode),
}

/// How far from its focus node validation looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// Rounds of describing a neighbourhood: round 1 takes the focus nodes' triples (those
    /// with the node as subject), round k those of the nodes round k - 1 reached. `None`: no
    /// bound (a `sh:zeroOrMorePath` or `sh:oneOrMorePath`, or a shape that refers to
    /// itself), describe until nothing new is reached.
    pub rounds: Option<usize>,
    /// Some path goes backwards (`sh:inversePath`): every round must also take the triples
    /// that have its nodes as object.
    pub inverse: bool,
}

impl Shapes {
    /// How the active targeted shapes select their focus nodes, each target once. Targets
    /// that can select nothing in data without blank nodes (a blank class or predicate) are
    /// left out.
    pub fn focus_targets(&self) -> Vec<FocusTarget> {
        let mut targets = Vec::new();
        let named = |id| match self.graph.term_at(id) {
            Term::NamedNode(n) => Some(n.clone()),
            _ => None,
        };
        for &root in &self.roots {
            let shape = &self.shapes[root];
            if shape.deactivated {
                continue;
            }
            for target in &shape.targets {
                let target = match *target {
                    Target::Node(n) => Some(FocusTarget::Node(self.graph.term_at(n).clone())),
                    Target::Class(c) => named(c).map(FocusTarget::Class),
                    Target::SubjectsOf(p) => named(p).map(FocusTarget::SubjectsOf),
                    Target::ObjectsOf(p) => named(p).map(FocusTarget::ObjectsOf),
                };
                if let Some(target) = target
                    && !targets.contains(&target)
                {
                    targets.push(target);
                }
            }
        }
        targets
    }

    /// Whether an active shape has a SHACL-SPARQL constraint (`sh:sparql`, or a
    /// SPARQL-based constraint component): its queries may read any part of the data graph,
    /// not only a focus node's neighbourhood.
    pub fn uses_sparql(&self) -> bool {
        self.shapes.iter().any(|shape| {
            !shape.deactivated
                && shape
                    .constraints
                    .iter()
                    .any(|c| matches!(c, Constraint::Sparql(_) | Constraint::Component(_)))
        })
    }

    /// How far validating a focus node against the active targeted shapes looks.
    pub fn reach(&self) -> Reach {
        let mut reach = Reach {
            rounds: Some(0),
            inverse: false,
        };
        for &root in &self.roots {
            if self.shapes[root].deactivated {
                continue;
            }
            let mut visiting = FxHashSet::default();
            let rounds = self.rounds(root, &mut visiting, &mut reach.inverse);
            reach.rounds = farthest(reach.rounds, rounds);
        }
        reach
    }

    /// Rounds of describing that validating one node against `shape` needs; `None` when
    /// unbounded. Records in `inverse` whether some path goes backwards.
    fn rounds(
        &self,
        shape_id: ShapeId,
        visiting: &mut FxHashSet<ShapeId>,
        inverse: &mut bool,
    ) -> Option<usize> {
        let shape = &self.shapes[shape_id];
        if shape.deactivated {
            return Some(0);
        }
        if !visiting.insert(shape_id) {
            return None;
        }
        let path_length = match &shape.path {
            Some(path) => path_length(path, inverse),
            None => Some(0),
        };
        // What the constraints look at, counted from the value nodes, and from the focus
        // node for the pair constraints (they compare the focus node's own values).
        let mut from_values = Some(0usize);
        let mut from_focus = 0usize;
        for constraint in &shape.constraints {
            match constraint {
                // The value node's types, or all of its properties.
                Constraint::Class(_) | Constraint::Closed { .. } => {
                    from_values = farthest(from_values, Some(1));
                }
                Constraint::Equals(_)
                | Constraint::Disjoint(_)
                | Constraint::LessThan(_)
                | Constraint::LessThanOrEquals(_) => from_focus = 1,
                Constraint::Not(inner) | Constraint::Node(inner) | Constraint::Property(inner) => {
                    let rounds = self.rounds(*inner, visiting, inverse);
                    from_values = farthest(from_values, rounds);
                }
                Constraint::And(inner) | Constraint::Or(inner) | Constraint::Xone(inner) => {
                    for shape in inner {
                        let rounds = self.rounds(*shape, visiting, inverse);
                        from_values = farthest(from_values, rounds);
                    }
                }
                // A SPARQL query may look anywhere in the graph.
                Constraint::Sparql(_) | Constraint::Component(_) => {
                    *inverse = true;
                    from_values = None;
                }
                Constraint::Qualified {
                    shape, siblings, ..
                } => {
                    for shape in std::iter::once(shape).chain(siblings) {
                        let rounds = self.rounds(*shape, visiting, inverse);
                        from_values = farthest(from_values, rounds);
                    }
                }
                _ => {}
            }
        }
        visiting.remove(&shape_id);
        Some((path_length? + from_values?).max(from_focus))
    }
}

/// The larger of two reaches, `None` (unbounded) above all.
fn farthest(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    Some(a?.max(b?))
}

/// How many triples a path crosses at most; `None` for the closures.
fn path_length<P>(path: &PropertyPath<P>, inverse: &mut bool) -> Option<usize> {
    match path {
        PropertyPath::Predicate(_) => Some(1),
        PropertyPath::Inverse(inner) => {
            *inverse = true;
            path_length(inner, inverse)
        }
        // Every step is measured (not stopping at an unbounded one), so that an inverse
        // step after it is still seen.
        PropertyPath::Sequence(steps) => steps
            .iter()
            .map(|step| path_length(step, inverse))
            .collect::<Vec<_>>()
            .into_iter()
            .sum(),
        PropertyPath::Alternative(choices) => choices
            .iter()
            .map(|choice| path_length(choice, inverse))
            .collect::<Vec<_>>()
            .into_iter()
            .try_fold(0, |longest, length| Some(longest.max(length?))),
        PropertyPath::ZeroOrOne(inner) => path_length(inner, inverse),
        PropertyPath::ZeroOrMore(inner) | PropertyPath::OneOrMore(inner) => {
            path_length(inner, inverse);
            None
        }
    }
}
