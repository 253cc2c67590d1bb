//! Validation of a data graph against compiled shapes.

use std::cell::OnceCell;
use std::cmp::Ordering;

use belfort_vocab::sh;
use oxrdf::vocab::{rdf, rdfs};
use oxrdf::{NamedNode, NamedNodeRef, Term, Variable};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::graph::{IndexedGraph, TermId};
use crate::path::{PropertyPath, evaluate};
use crate::report::{ValidationReport, ValidationResult, message};
use crate::shapes::{Constraint, NodeKind, RangeKind, ShapeId, Shapes, Target};
use crate::sparql::{self, Answer, QueryableGraphs};
use crate::values::{compare, has_datatype, language_matches, string_value};

/// How deep shapes may refer to shapes (sh:node, sh:and, …) before the engine stops
/// following: SHACL leaves recursive shapes undefined, and the engine must not loop.
const MAX_NESTING: usize = 64;

/// Validates `data` against every targeted shape of `shapes`.
pub fn validate(shapes: &Shapes, data: &IndexedGraph) -> ValidationReport {
    validate_focus_nodes(shapes, data, |_| true)
}

/// Validates `data` against every targeted shape of `shapes`, for the focus nodes `keep`
/// accepts only: `data` may then be the neighbourhood of a batch of focus nodes (see
/// [`Shapes::reach`](crate::Shapes::reach)), in which other nodes are targets too.
pub fn validate_focus_nodes(
    shapes: &Shapes,
    data: &IndexedGraph,
    keep: impl Fn(&Term) -> bool,
) -> ValidationReport {
    let validator = Validator::new(shapes, data);
    let mut raw = Vec::new();
    for &shape in &shapes.roots {
        if shapes.shapes[shape].deactivated {
            continue;
        }
        for focus in validator.focus_nodes(shape) {
            if keep(validator.term(focus)) {
                validator.check(shape, focus, &mut raw, 0);
            }
        }
    }
    let results: Vec<ValidationResult> = raw.into_iter().map(|r| validator.result(r)).collect();
    ValidationReport {
        conforms: results.is_empty(),
        results,
    }
}

/// A result before its terms are looked up.
struct RawResult {
    focus: TermId,
    path: RawPath,
    value: Option<TermId>,
    shape: ShapeId,
    component: NamedNodeRef<'static>,
    message: Option<String>,
    /// A result a SPARQL query produced: its terms need not be in the data graph.
    sparql: Option<Box<SparqlFinding>>,
}

/// A SHACL-SPARQL constraint being checked on one focus node.
struct SparqlUse<'m> {
    shape_id: ShapeId,
    focus: TermId,
    component: NamedNode,
    source_constraint: Option<Term>,
    /// Message templates, filled from each solution.
    messages: &'m [Term],
}

impl SparqlUse<'_> {
    /// A result: the path the solution names, else the property shape's own.
    fn result(
        &self,
        validator: &Validator<'_>,
        bindings: &[(Variable, Term)],
        value: Option<Term>,
        path: Option<PropertyPath<NamedNode>>,
    ) -> RawResult {
        let shape = &validator.shapes.shapes[self.shape_id];
        let path = path.or_else(|| shape.path.as_ref().and_then(|p| validator.named_path(p)));
        RawResult {
            focus: self.focus,
            path: RawPath::None,
            value: None,
            shape: self.shape_id,
            component: sh::SPARQL_CONSTRAINT_COMPONENT,
            message: None,
            sparql: Some(Box::new(SparqlFinding {
                path,
                value,
                component: self.component.clone(),
                source_constraint: self.source_constraint.clone(),
                messages: self
                    .messages
                    .iter()
                    .map(|m| sparql::fill_template(m, bindings))
                    .collect(),
            })),
        }
    }

    /// A query that could not be evaluated is reported as a result that says so.
    fn failure(&self, validator: &Validator<'_>, why: &str) -> RawResult {
        let mut result = self.result(validator, &[], None, None);
        if let Some(found) = result.sparql.as_mut() {
            found.messages = vec![message(format!("SPARQL validation failed: {why}"))];
        }
        result
    }
}

/// What a SHACL-SPARQL validation query found, in terms.
struct SparqlFinding {
    path: Option<PropertyPath<NamedNode>>,
    value: Option<Term>,
    component: NamedNode,
    source_constraint: Option<Term>,
    messages: Vec<Term>,
}

enum RawPath {
    None,
    Shape,
    Predicate(TermId),
}

struct Validator<'a> {
    shapes: &'a Shapes,
    data: &'a IndexedGraph,
    /// Shapes-graph term id -> data-graph term id (terms the data never mentions get ids
    /// past the data graph's own, backed by `extra`).
    bound: Vec<TermId>,
    extra: Vec<Term>,
    paths: Vec<Option<PropertyPath<Option<TermId>>>>,
    rdf_type: Option<TermId>,
    /// For each class (data id) a constraint or target names: itself and every subclass.
    subclasses: FxHashMap<TermId, FxHashSet<TermId>>,
    /// The graphs as the SPARQL engine reads them, built when a SPARQL constraint first
    /// needs them.
    sparql_graphs: OnceCell<QueryableGraphs>,
}

impl<'a> Validator<'a> {
    fn new(shapes: &'a Shapes, data: &'a IndexedGraph) -> Self {
        let mut extra = Vec::new();
        let first_extra = data.term_count();
        let bound = (0..shapes.graph.term_count())
            .map(|i| {
                // i < term_count, which fits u32 because the graph hands out u32 ids.
                let term = shapes.graph.term_at(u32::try_from(i).unwrap_or(u32::MAX));
                data.id_of(term).unwrap_or_else(|| {
                    extra.push(term.clone());
                    u32::try_from(first_extra + extra.len() - 1).unwrap_or(u32::MAX)
                })
            })
            .collect::<Vec<_>>();
        let in_data = |id: TermId| (id as usize) < first_extra;
        let paths = shapes
            .shapes
            .iter()
            .map(|s| {
                s.path
                    .as_ref()
                    .map(|p| p.map(&mut |id| Some(bound[*id as usize]).filter(|b| in_data(*b))))
            })
            .collect();
        let mut validator = Self {
            shapes,
            data,
            bound,
            extra,
            paths,
            rdf_type: data.id(rdf::TYPE.into()),
            subclasses: FxHashMap::default(),
            sparql_graphs: OnceCell::new(),
        };
        let mut classes = Vec::new();
        for shape in &shapes.shapes {
            for target in &shape.targets {
                if let Target::Class(c) = target {
                    classes.push(validator.bind(*c));
                }
            }
            for constraint in &shape.constraints {
                if let Constraint::Class(c) = constraint {
                    classes.push(validator.bind(*c));
                }
            }
        }
        let sub_class_of = data.id(rdfs::SUB_CLASS_OF.into());
        for class in classes {
            if validator.subclasses.contains_key(&class) {
                continue;
            }
            let mut closure = FxHashSet::default();
            closure.insert(class);
            let mut frontier = vec![class];
            if let Some(sub) = sub_class_of {
                while let Some(c) = frontier.pop() {
                    for s in data.subjects(sub, c) {
                        if closure.insert(s) {
                            frontier.push(s);
                        }
                    }
                }
            }
            validator.subclasses.insert(class, closure);
        }
        validator
    }

    fn bind(&self, shapes_term: TermId) -> TermId {
        self.bound[shapes_term as usize]
    }

    fn term(&self, id: TermId) -> &Term {
        let n = self.data.term_count();
        if (id as usize) < n {
            self.data.term_at(id)
        } else {
            &self.extra[id as usize - n]
        }
    }

    fn in_data(&self, id: TermId) -> bool {
        (id as usize) < self.data.term_count()
    }

    fn focus_nodes(&self, shape: ShapeId) -> Vec<TermId> {
        let mut nodes = Vec::new();
        for target in &self.shapes.shapes[shape].targets {
            match *target {
                Target::Node(n) => nodes.push(self.bind(n)),
                Target::Class(c) => {
                    if let (Some(t), Some(classes)) =
                        (self.rdf_type, self.subclasses.get(&self.bind(c)))
                    {
                        for class in classes {
                            nodes.extend(self.data.subjects(t, *class));
                        }
                    }
                }
                Target::SubjectsOf(p) => {
                    let p = self.bind(p);
                    if self.in_data(p) {
                        nodes.extend(self.data.with_predicate(p).map(|(s, _)| s));
                    }
                }
                Target::ObjectsOf(p) => {
                    let p = self.bind(p);
                    if self.in_data(p) {
                        nodes.extend(self.data.with_predicate(p).map(|(_, o)| o));
                    }
                }
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }

    fn is_instance(&self, node: TermId, class: TermId) -> bool {
        let (Some(t), Some(classes)) = (self.rdf_type, self.subclasses.get(&class)) else {
            return false;
        };
        self.in_data(node) && self.data.objects(node, t).any(|c| classes.contains(&c))
    }

    fn conforms(&self, shape: ShapeId, node: TermId, depth: usize) -> bool {
        let mut results = Vec::new();
        self.check(shape, node, &mut results, depth + 1);
        results.is_empty()
    }

    /// Validates one focus node against one shape, appending results.
    fn check(&self, shape_id: ShapeId, focus: TermId, out: &mut Vec<RawResult>, depth: usize) {
        let shape = &self.shapes.shapes[shape_id];
        if shape.deactivated || depth > MAX_NESTING {
            return;
        }
        let values = match &self.paths[shape_id] {
            Some(path) => {
                let mut values = Vec::new();
                if self.in_data(focus) {
                    evaluate(self.data, path, focus, &mut values);
                }
                values
            }
            None => vec![focus],
        };
        let is_property = shape.path.is_some();
        let emit = |out: &mut Vec<RawResult>,
                    value: Option<TermId>,
                    component,
                    message: Option<String>| {
            out.push(RawResult {
                focus,
                path: if is_property {
                    RawPath::Shape
                } else {
                    RawPath::None
                },
                value,
                shape: shape_id,
                component,
                message,
                sparql: None,
            });
        };
        for constraint in &shape.constraints {
            match constraint {
                Constraint::Class(class) => {
                    let class = self.bind(*class);
                    for &v in &values {
                        if !self.is_instance(v, class) {
                            emit(
                                out,
                                Some(v),
                                sh::CLASS_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} is not an instance of {}",
                                    self.term(v),
                                    self.term(class)
                                )),
                            );
                        }
                    }
                }
                Constraint::Datatype(datatype) => {
                    for &v in &values {
                        let ok = matches!(self.term(v), Term::Literal(l) if has_datatype(l, datatype.as_ref()));
                        if !ok {
                            emit(
                                out,
                                Some(v),
                                sh::DATATYPE_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} is not a well-formed literal of datatype {datatype}",
                                    self.term(v)
                                )),
                            );
                        }
                    }
                }
                Constraint::NodeKind(kind) => {
                    for &v in &values {
                        let ok = match self.term(v) {
                            Term::BlankNode(_) => matches!(
                                kind,
                                NodeKind::BlankNode
                                    | NodeKind::BlankNodeOrIri
                                    | NodeKind::BlankNodeOrLiteral
                            ),
                            Term::NamedNode(_) => matches!(
                                kind,
                                NodeKind::Iri | NodeKind::BlankNodeOrIri | NodeKind::IriOrLiteral
                            ),
                            Term::Literal(_) => matches!(
                                kind,
                                NodeKind::Literal
                                    | NodeKind::BlankNodeOrLiteral
                                    | NodeKind::IriOrLiteral
                            ),
                        };
                        if !ok {
                            emit(
                                out,
                                Some(v),
                                sh::NODE_KIND_CONSTRAINT_COMPONENT,
                                Some(format!("{} does not have node kind {kind:?}", self.term(v))),
                            );
                        }
                    }
                }
                Constraint::MinCount(min) => {
                    if (values.len() as u64) < *min {
                        emit(
                            out,
                            None,
                            sh::MIN_COUNT_CONSTRAINT_COMPONENT,
                            Some(format!("{} values, at least {min} required", values.len())),
                        );
                    }
                }
                Constraint::MaxCount(max) => {
                    if (values.len() as u64) > *max {
                        emit(
                            out,
                            None,
                            sh::MAX_COUNT_CONSTRAINT_COMPONENT,
                            Some(format!("{} values, at most {max} allowed", values.len())),
                        );
                    }
                }
                Constraint::Range(kind, bound) => {
                    let (component, accepted, word): (_, &[Ordering], _) = match kind {
                        RangeKind::MinExclusive => (
                            sh::MIN_EXCLUSIVE_CONSTRAINT_COMPONENT,
                            &[Ordering::Greater],
                            ">",
                        ),
                        RangeKind::MinInclusive => (
                            sh::MIN_INCLUSIVE_CONSTRAINT_COMPONENT,
                            &[Ordering::Greater, Ordering::Equal],
                            ">=",
                        ),
                        RangeKind::MaxExclusive => (
                            sh::MAX_EXCLUSIVE_CONSTRAINT_COMPONENT,
                            &[Ordering::Less],
                            "<",
                        ),
                        RangeKind::MaxInclusive => (
                            sh::MAX_INCLUSIVE_CONSTRAINT_COMPONENT,
                            &[Ordering::Less, Ordering::Equal],
                            "<=",
                        ),
                    };
                    for &v in &values {
                        let ok =
                            compare(self.term(v), bound).is_some_and(|o| accepted.contains(&o));
                        if !ok {
                            emit(
                                out,
                                Some(v),
                                component,
                                Some(format!("{} is not {word} {bound}", self.term(v))),
                            );
                        }
                    }
                }
                Constraint::MinLength(min) | Constraint::MaxLength(min) => {
                    let is_min = matches!(constraint, Constraint::MinLength(_));
                    for &v in &values {
                        let ok = string_value(self.term(v)).is_some_and(|s| {
                            let len = s.chars().count() as u64;
                            if is_min { len >= *min } else { len <= *min }
                        });
                        if !ok {
                            let (component, word) = if is_min {
                                (sh::MIN_LENGTH_CONSTRAINT_COMPONENT, "shorter than")
                            } else {
                                (sh::MAX_LENGTH_CONSTRAINT_COMPONENT, "longer than")
                            };
                            emit(
                                out,
                                Some(v),
                                component,
                                Some(format!("{} is {word} {min} characters", self.term(v))),
                            );
                        }
                    }
                }
                Constraint::Pattern(regex) => {
                    for &v in &values {
                        if !string_value(self.term(v)).is_some_and(|s| regex.is_match(s)) {
                            emit(
                                out,
                                Some(v),
                                sh::PATTERN_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} does not match the pattern {}",
                                    self.term(v),
                                    regex.as_str()
                                )),
                            );
                        }
                    }
                }
                Constraint::LanguageIn(ranges) => {
                    for &v in &values {
                        let ok = matches!(self.term(v), Term::Literal(l)
                            if l.language().is_some_and(|tag| ranges.iter().any(|r| language_matches(tag, r))));
                        if !ok {
                            emit(
                                out,
                                Some(v),
                                sh::LANGUAGE_IN_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} has no language tag in {ranges:?}",
                                    self.term(v)
                                )),
                            );
                        }
                    }
                }
                Constraint::UniqueLang => {
                    let mut seen: FxHashMap<String, usize> = FxHashMap::default();
                    for &v in &values {
                        if let Term::Literal(l) = self.term(v)
                            && let Some(tag) = l.language()
                        {
                            *seen.entry(tag.to_ascii_lowercase()).or_default() += 1;
                        }
                    }
                    let mut duplicated: Vec<_> = seen.into_iter().filter(|(_, n)| *n > 1).collect();
                    duplicated.sort();
                    for (tag, n) in duplicated {
                        emit(
                            out,
                            None,
                            sh::UNIQUE_LANG_CONSTRAINT_COMPONENT,
                            Some(format!("{n} values share the language tag {tag}")),
                        );
                    }
                }
                Constraint::Equals(p)
                | Constraint::Disjoint(p)
                | Constraint::LessThan(p)
                | Constraint::LessThanOrEquals(p) => {
                    let p = self.bind(*p);
                    let others: Vec<TermId> = if self.in_data(p) && self.in_data(focus) {
                        self.data.objects(focus, p).collect()
                    } else {
                        Vec::new()
                    };
                    let predicate = self.term(p);
                    match constraint {
                        Constraint::Equals(_) => {
                            for &v in &values {
                                if !others.contains(&v) {
                                    emit(
                                        out,
                                        Some(v),
                                        sh::EQUALS_CONSTRAINT_COMPONENT,
                                        Some(format!(
                                            "{} is not a value of {predicate}",
                                            self.term(v)
                                        )),
                                    );
                                }
                            }
                            for &o in &others {
                                if !values.contains(&o) {
                                    emit(
                                        out,
                                        Some(o),
                                        sh::EQUALS_CONSTRAINT_COMPONENT,
                                        Some(format!(
                                            "{} of {predicate} is not a value node",
                                            self.term(o)
                                        )),
                                    );
                                }
                            }
                        }
                        Constraint::Disjoint(_) => {
                            for &v in &values {
                                if others.contains(&v) {
                                    emit(
                                        out,
                                        Some(v),
                                        sh::DISJOINT_CONSTRAINT_COMPONENT,
                                        Some(format!(
                                            "{} is also a value of {predicate}",
                                            self.term(v)
                                        )),
                                    );
                                }
                            }
                        }
                        _ => {
                            let or_equal = matches!(constraint, Constraint::LessThanOrEquals(_));
                            let component = if or_equal {
                                sh::LESS_THAN_OR_EQUALS_CONSTRAINT_COMPONENT
                            } else {
                                sh::LESS_THAN_CONSTRAINT_COMPONENT
                            };
                            for &v in &values {
                                for &o in &others {
                                    let ok = match compare(self.term(v), self.term(o)) {
                                        Some(Ordering::Less) => true,
                                        Some(Ordering::Equal) => or_equal,
                                        _ => false,
                                    };
                                    if !ok {
                                        emit(
                                            out,
                                            Some(v),
                                            component,
                                            Some(format!(
                                                "{} is not less than {}{} ({predicate})",
                                                self.term(v),
                                                if or_equal { "or equal to " } else { "" },
                                                self.term(o)
                                            )),
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
                Constraint::Not(inner) => {
                    for &v in &values {
                        if self.conforms(*inner, v, depth) {
                            emit(
                                out,
                                Some(v),
                                sh::NOT_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} conforms to a shape it must not conform to",
                                    self.term(v)
                                )),
                            );
                        }
                    }
                }
                Constraint::And(members) => {
                    for &v in &values {
                        if !members.iter().all(|m| self.conforms(*m, v, depth)) {
                            emit(
                                out,
                                Some(v),
                                sh::AND_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} does not conform to every shape of sh:and",
                                    self.term(v)
                                )),
                            );
                        }
                    }
                }
                Constraint::Or(members) => {
                    for &v in &values {
                        if !members.iter().any(|m| self.conforms(*m, v, depth)) {
                            emit(
                                out,
                                Some(v),
                                sh::OR_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} conforms to none of the shapes of sh:or",
                                    self.term(v)
                                )),
                            );
                        }
                    }
                }
                Constraint::Xone(members) => {
                    for &v in &values {
                        let n = members
                            .iter()
                            .filter(|m| self.conforms(**m, v, depth))
                            .count();
                        if n != 1 {
                            emit(
                                out,
                                Some(v),
                                sh::XONE_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} conforms to {n} shapes of sh:xone, exactly one required",
                                    self.term(v)
                                )),
                            );
                        }
                    }
                }
                Constraint::Node(inner) => {
                    for &v in &values {
                        if !self.conforms(*inner, v, depth) {
                            emit(
                                out,
                                Some(v),
                                sh::NODE_CONSTRAINT_COMPONENT,
                                Some(format!(
                                    "{} does not conform to shape {}",
                                    self.term(v),
                                    self.shapes.graph.term_at(self.shapes.shapes[*inner].node)
                                )),
                            );
                        }
                    }
                }
                Constraint::Property(inner) => {
                    for &v in &values {
                        self.check(*inner, v, out, depth + 1);
                    }
                }
                Constraint::Qualified {
                    shape,
                    min,
                    max,
                    siblings,
                } => {
                    let count = values
                        .iter()
                        .filter(|&&v| {
                            self.conforms(*shape, v, depth)
                                && !siblings.iter().any(|s| self.conforms(*s, v, depth))
                        })
                        .count() as u64;
                    if let Some(min) = min
                        && count < *min
                    {
                        emit(
                            out,
                            None,
                            sh::QUALIFIED_MIN_COUNT_CONSTRAINT_COMPONENT,
                            Some(format!(
                                "{count} values conform to the qualified shape, at least {min} required"
                            )),
                        );
                    }
                    if let Some(max) = max
                        && count > *max
                    {
                        emit(
                            out,
                            None,
                            sh::QUALIFIED_MAX_COUNT_CONSTRAINT_COMPONENT,
                            Some(format!(
                                "{count} values conform to the qualified shape, at most {max} allowed"
                            )),
                        );
                    }
                }
                Constraint::Closed { allowed } => {
                    let allowed: Vec<TermId> = allowed.iter().map(|a| self.bind(*a)).collect();
                    for &v in &values {
                        if !self.in_data(v) {
                            continue;
                        }
                        for (p, o) in self.data.with_subject(v) {
                            if !allowed.contains(&p) {
                                out.push(RawResult {
                                    focus,
                                    path: RawPath::Predicate(p),
                                    value: Some(o),
                                    shape: shape_id,
                                    component: sh::CLOSED_CONSTRAINT_COMPONENT,
                                    message: Some(format!(
                                        "{} is not allowed on a closed shape",
                                        self.term(p)
                                    )),
                                    sparql: None,
                                });
                            }
                        }
                    }
                }
                Constraint::HasValue(expected) => {
                    let expected = self.bind(*expected);
                    if !values.contains(&expected) {
                        emit(
                            out,
                            None,
                            sh::HAS_VALUE_CONSTRAINT_COMPONENT,
                            Some(format!(
                                "missing the required value {}",
                                self.term(expected)
                            )),
                        );
                    }
                }
                Constraint::Sparql(constraint) => {
                    self.check_sparql(shape_id, focus, constraint, out);
                }
                Constraint::Component(component) => {
                    self.check_component(shape_id, focus, &values, component, out);
                }
                Constraint::In(members) => {
                    let members: Vec<TermId> = members.iter().map(|m| self.bind(*m)).collect();
                    for &v in &values {
                        if !members.contains(&v) {
                            emit(
                                out,
                                Some(v),
                                sh::IN_CONSTRAINT_COMPONENT,
                                Some(format!("{} is not one of the allowed values", self.term(v))),
                            );
                        }
                    }
                }
            }
        }
    }

    fn result(&self, raw: RawResult) -> ValidationResult {
        let shape = &self.shapes.shapes[raw.shape];
        if let Some(found) = raw.sparql {
            return ValidationResult {
                focus_node: self.term(raw.focus).clone(),
                result_path: found.path,
                value: found.value,
                source_shape: self.shapes.graph.term_at(shape.node).clone(),
                source_constraint_component: found.component,
                source_constraint: found.source_constraint,
                severity: shape.severity.clone(),
                messages: found.messages,
            };
        }
        let result_path = match raw.path {
            RawPath::None => None,
            RawPath::Shape => shape.path.as_ref().and_then(|p| self.named_path(p)),
            RawPath::Predicate(p) => match self.term(p) {
                Term::NamedNode(n) => Some(PropertyPath::Predicate(n.clone())),
                _ => None,
            },
        };
        let messages = if shape.messages.is_empty() {
            raw.message.map(message).into_iter().collect()
        } else {
            shape.messages.clone()
        };
        ValidationResult {
            focus_node: self.term(raw.focus).clone(),
            result_path,
            value: raw.value.map(|v| self.term(v).clone()),
            source_shape: self.shapes.graph.term_at(shape.node).clone(),
            source_constraint_component: NamedNode::from(raw.component),
            source_constraint: None,
            severity: shape.severity.clone(),
            messages,
        }
    }

    /// An `sh:sparql` constraint on one focus node: each solution is a result.
    fn check_sparql(
        &self,
        shape_id: ShapeId,
        focus: TermId,
        constraint: &sparql::SparqlConstraint,
        out: &mut Vec<RawResult>,
    ) {
        let shape = &self.shapes.shapes[shape_id];
        let bindings = self.pre_bound(focus, shape.node);
        let messages = if constraint.messages.is_empty() {
            &shape.messages
        } else {
            &constraint.messages
        };
        let finding = SparqlUse {
            shape_id,
            focus,
            component: sh::SPARQL_CONSTRAINT_COMPONENT.into_owned(),
            source_constraint: Some(self.shapes.graph.term_at(constraint.node).clone()),
            messages,
        };
        self.run_select(&constraint.query, &bindings, &finding, out);
    }

    /// A SPARQL-based constraint component on one focus node: an ASK validator per value
    /// node (false is a result), a SELECT validator once (each solution is a result).
    fn check_component(
        &self,
        shape_id: ShapeId,
        focus: TermId,
        values: &[TermId],
        component: &sparql::ComponentConstraint,
        out: &mut Vec<RawResult>,
    ) {
        let shape = &self.shapes.shapes[shape_id];
        let mut bindings = self.pre_bound(focus, shape.node);
        bindings.extend(component.parameters.iter().cloned());
        // The shape's own messages win over the validator's.
        let messages = if shape.messages.is_empty() {
            &component.messages
        } else {
            &shape.messages
        };
        let finding = SparqlUse {
            shape_id,
            focus,
            component: component.component.clone(),
            source_constraint: None,
            messages,
        };
        let value = Variable::new_unchecked(sparql::VALUE);
        if component.is_ask {
            for &v in values {
                let mut bindings = bindings.clone();
                bindings.push((value.clone(), self.term(v).clone()));
                match self.graphs().run(&component.query, &bindings) {
                    Ok(Answer::Ask(true)) => {}
                    Ok(_) => {
                        out.push(finding.result(self, &bindings, Some(self.term(v).clone()), None))
                    }
                    Err(e) => out.push(finding.failure(self, &e)),
                }
            }
        } else {
            if shape.path.is_none() {
                bindings.push((value, self.term(focus).clone()));
            }
            self.run_select(&component.query, &bindings, &finding, out);
        }
    }

    /// The SPARQL engine's view of the data and shapes graphs.
    fn graphs(&self) -> &QueryableGraphs {
        self.sparql_graphs.get_or_init(|| {
            QueryableGraphs::new(self.data, &self.shapes.graph, self.shapes.sparql_time_limit)
        })
    }

    /// The variables every validation query has pre-bound.
    fn pre_bound(&self, focus: TermId, shape_node: TermId) -> Vec<(Variable, Term)> {
        vec![
            (
                Variable::new_unchecked(sparql::THIS),
                self.term(focus).clone(),
            ),
            (
                Variable::new_unchecked(sparql::SHAPES_GRAPH),
                self.graphs().shapes_graph().clone().into(),
            ),
            (
                Variable::new_unchecked(sparql::CURRENT_SHAPE),
                self.shapes.graph.term_at(shape_node).clone(),
            ),
        ]
    }

    /// Runs a SELECT validation query: each solution is a result.
    fn run_select(
        &self,
        query: &sparql::ValidationQuery,
        bindings: &[(Variable, Term)],
        finding: &SparqlUse<'_>,
        out: &mut Vec<RawResult>,
    ) {
        let rows = match self.graphs().run(query, bindings) {
            Ok(Answer::Select(rows)) => rows,
            Ok(Answer::Ask(_)) => return,
            Err(e) => {
                out.push(finding.failure(self, &e));
                return;
            }
        };
        for row in rows {
            let bound = |name: &str| {
                row.iter()
                    .find(|(v, _)| v.as_str() == name)
                    .map(|(_, t)| t.clone())
            };
            if let Some(Term::Literal(failure)) = bound("failure")
                && failure.value() == "true"
            {
                out.push(finding.failure(self, "the validation query reported a failure"));
                continue;
            }
            let path = match bound("path") {
                Some(Term::NamedNode(p)) => Some(PropertyPath::Predicate(p)),
                _ => None,
            };
            let is_node_shape = self.shapes.shapes[finding.shape_id].path.is_none();
            let value =
                bound("value").or_else(|| is_node_shape.then(|| self.term(finding.focus).clone()));
            let mut result = finding.result(self, &row, value, path);
            if let (Some(message), Some(found)) = (bound("message"), result.sparql.as_mut()) {
                found.messages = vec![message];
            }
            out.push(result);
        }
    }

    fn named_path(&self, path: &PropertyPath<TermId>) -> Option<PropertyPath<NamedNode>> {
        let mut ok = true;
        let mapped = path.map(&mut |id| match self.shapes.graph.term_at(*id) {
            Term::NamedNode(n) => n.clone(),
            _ => {
                ok = false;
                NamedNode::new_unchecked("urn:x-belfort:invalid-path")
            }
        });
        ok.then_some(mapped)
    }
}
