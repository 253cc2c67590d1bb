//! The shapes graph, compiled: every shape reachable from a target, with its constraints.

use std::time::Duration;

use belfort_vocab::sh;
use oxrdf::vocab::{rdf, rdfs, xsd};
use oxrdf::{NamedNode, NamedNodeRef, Term};
use regex::{Regex, RegexBuilder};
use rustc_hash::FxHashMap;

use crate::error::ShaclError;
use crate::graph::{IndexedGraph, TermId};
use crate::path::{PropertyPath, parse_path};
use crate::sparql;

/// Index of a compiled shape in [`Shapes`].
pub(crate) type ShapeId = usize;

/// A compiled shapes graph, ready to validate any number of data graphs.
#[derive(Debug)]
pub struct Shapes {
    pub(crate) graph: IndexedGraph,
    pub(crate) shapes: Vec<Shape>,
    /// Shapes with at least one target, in a stable order.
    pub(crate) roots: Vec<ShapeId>,
    /// How long one SHACL-SPARQL validation query may run.
    pub(crate) sparql_time_limit: Duration,
}

/// How long one SHACL-SPARQL validation query may run by default.
pub const DEFAULT_SPARQL_TIME_LIMIT: Duration = Duration::from_secs(30);

/// One node or property shape.
#[derive(Debug)]
pub(crate) struct Shape {
    /// The shape's node in the shapes graph.
    pub node: TermId,
    pub path: Option<PropertyPath<TermId>>,
    pub targets: Vec<Target>,
    pub constraints: Vec<Constraint>,
    pub severity: NamedNode,
    pub messages: Vec<Term>,
    pub deactivated: bool,
}

/// How a shape selects its focus nodes (terms are shapes-graph ids).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Node(TermId),
    Class(TermId),
    SubjectsOf(TermId),
    ObjectsOf(TermId),
}

/// Which bound a range constraint sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeKind {
    MinExclusive,
    MinInclusive,
    MaxExclusive,
    MaxInclusive,
}

/// `sh:nodeKind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    BlankNode,
    Iri,
    Literal,
    BlankNodeOrIri,
    BlankNodeOrLiteral,
    IriOrLiteral,
}

/// One constraint component with its parameters (terms are shapes-graph ids).
#[derive(Debug)]
pub(crate) enum Constraint {
    Class(TermId),
    Datatype(NamedNode),
    NodeKind(NodeKind),
    MinCount(u64),
    MaxCount(u64),
    Range(RangeKind, Term),
    MinLength(u64),
    MaxLength(u64),
    Pattern(Regex),
    LanguageIn(Vec<String>),
    UniqueLang,
    Equals(TermId),
    Disjoint(TermId),
    LessThan(TermId),
    LessThanOrEquals(TermId),
    Not(ShapeId),
    And(Vec<ShapeId>),
    Or(Vec<ShapeId>),
    Xone(Vec<ShapeId>),
    Node(ShapeId),
    Property(ShapeId),
    Qualified {
        shape: ShapeId,
        min: Option<u64>,
        max: Option<u64>,
        siblings: Vec<ShapeId>,
    },
    Closed {
        allowed: Vec<TermId>,
    },
    HasValue(TermId),
    In(Vec<TermId>),
    /// `sh:sparql` (SHACL-SPARQL).
    Sparql(Box<sparql::SparqlConstraint>),
    /// A SPARQL-based constraint component declared in the shapes graph.
    Component(Box<sparql::ComponentConstraint>),
}

impl Shapes {
    /// Compiles a shapes graph. Fails on a shape SHACL does not allow (e.g. a malformed
    /// list, a non-integer `sh:minCount`, an invalid `sh:pattern`).
    pub fn compile(graph: IndexedGraph) -> Result<Self, ShaclError> {
        let mut compiler = Compiler {
            reader: ShapesGraphReader { graph: &graph },
            shapes: Vec::new(),
            compiled: FxHashMap::default(),
            components: Vec::new(),
        };
        compiler.components = sparql::component_declarations(&compiler.reader)?;
        let mut roots = Vec::new();
        for node in compiler.reader.root_shape_nodes() {
            roots.push(compiler.shape(node, 0)?);
        }
        roots.sort_unstable();
        roots.dedup();
        let shapes = compiler
            .shapes
            .into_iter()
            .map(|s| s.unwrap_or_else(Shape::empty))
            .collect();
        Ok(Self {
            graph,
            shapes,
            roots,
            sparql_time_limit: DEFAULT_SPARQL_TIME_LIMIT,
        })
    }

    /// Parses and compiles a shapes document.
    pub fn parse(
        reader: impl std::io::Read,
        format: oxrdfio::RdfFormat,
        base_iri: Option<&str>,
        source: &str,
    ) -> Result<Self, ShaclError> {
        Self::compile(IndexedGraph::parse(reader, format, base_iri, source)?)
    }

    /// Sets how long one SHACL-SPARQL validation query may run; one that runs longer is
    /// stopped and reported as a failed result.
    pub fn with_sparql_time_limit(mut self, limit: Duration) -> Self {
        self.sparql_time_limit = limit;
        self
    }

    /// How many shapes were compiled (targeted ones and the shapes they use).
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// Whether the shapes graph holds no shape at all.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// The shapes graph these shapes were compiled from.
    pub fn graph(&self) -> &IndexedGraph {
        &self.graph
    }
}

impl Shape {
    fn empty() -> Self {
        Self {
            node: 0,
            path: None,
            targets: Vec::new(),
            constraints: Vec::new(),
            severity: sh::VIOLATION.into_owned(),
            messages: Vec::new(),
            deactivated: true,
        }
    }
}

/// Read access to the shapes graph by vocabulary term.
pub(crate) struct ShapesGraphReader<'a> {
    pub graph: &'a IndexedGraph,
}

impl ShapesGraphReader<'_> {
    fn id(&self, term: NamedNodeRef<'_>) -> Option<TermId> {
        self.graph.id(term.into())
    }

    pub fn term(&self, id: TermId) -> &Term {
        self.graph.term_at(id)
    }

    pub fn values(&self, node: TermId, predicate: NamedNodeRef<'_>) -> Vec<TermId> {
        match self.id(predicate) {
            Some(p) => self.graph.objects(node, p).collect(),
            None => Vec::new(),
        }
    }

    /// The one value of a parameter that SHACL allows only once.
    pub fn single(
        &self,
        node: TermId,
        predicate: NamedNodeRef<'_>,
    ) -> Result<Option<TermId>, ShaclError> {
        let values = self.values(node, predicate);
        match values.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(self.ill_formed(
                node,
                &format!("{predicate} has {} values, expected one", values.len()),
            )),
        }
    }

    pub fn is_list(&self, node: TermId) -> bool {
        node_is(self, node, rdf::NIL) || !self.values(node, rdf::FIRST).is_empty()
    }

    /// The members of an RDF list.
    pub fn list(&self, head: TermId) -> Result<Vec<TermId>, ShaclError> {
        let mut items = Vec::new();
        let mut node = head;
        let mut steps = 0usize;
        while !node_is(self, node, rdf::NIL) {
            steps += 1;
            if steps > self.graph.len() + 1 {
                return Err(self.ill_formed(head, "RDF list has a cycle"));
            }
            let first = self
                .single(node, rdf::FIRST)?
                .ok_or_else(|| self.ill_formed(head, "RDF list member without rdf:first"))?;
            items.push(first);
            node = self
                .single(node, rdf::REST)?
                .ok_or_else(|| self.ill_formed(head, "RDF list member without rdf:rest"))?;
        }
        Ok(items)
    }

    pub fn is_true(&self, node: TermId, predicate: NamedNodeRef<'_>) -> bool {
        self.values(node, predicate).into_iter().any(|v| {
            matches!(self.term(v), Term::Literal(l) if l.datatype() == xsd::BOOLEAN && l.value() == "true")
        })
    }

    pub fn ill_formed(&self, node: TermId, message: &str) -> ShaclError {
        ShaclError::IllFormedShape {
            shape: self.term(node).to_string(),
            message: message.to_owned(),
        }
    }

    fn has_type(&self, node: TermId, class: NamedNodeRef<'_>) -> bool {
        match (self.id(rdf::TYPE), self.id(class)) {
            (Some(t), Some(c)) => self.graph.contains(node, t, c),
            _ => false,
        }
    }

    /// Nodes that are shapes with targets (explicit or implicit class targets).
    fn root_shape_nodes(&self) -> Vec<TermId> {
        let mut nodes = Vec::new();
        for predicate in [
            sh::TARGET_NODE,
            sh::TARGET_CLASS,
            sh::TARGET_SUBJECTS_OF,
            sh::TARGET_OBJECTS_OF,
        ] {
            if let Some(p) = self.id(predicate) {
                nodes.extend(self.graph.with_predicate(p).map(|(s, _)| s));
            }
        }
        if let (Some(t), Some(class)) = (self.id(rdf::TYPE), self.id(rdfs::CLASS)) {
            for node in self.graph.subjects(t, class) {
                if self.has_type(node, sh::NODE_SHAPE) || self.has_type(node, sh::PROPERTY_SHAPE) {
                    nodes.push(node);
                }
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        nodes
    }
}

/// A property shape's path in SPARQL syntax.
fn sparql_path(
    reader: &ShapesGraphReader<'_>,
    shape: TermId,
    path: &PropertyPath<TermId>,
) -> Result<String, ShaclError> {
    let mut blank = false;
    let named = path.map(&mut |id| match reader.term(*id) {
        Term::NamedNode(n) => n.clone(),
        _ => {
            blank = true;
            NamedNode::new_unchecked("urn:x-belfort:invalid-path")
        }
    });
    if blank {
        return Err(reader.ill_formed(shape, "a path predicate must be an IRI"));
    }
    Ok(named.to_string())
}

fn node_is(reader: &ShapesGraphReader<'_>, node: TermId, iri: NamedNodeRef<'_>) -> bool {
    matches!(reader.term(node), Term::NamedNode(n) if n.as_ref() == iri)
}

struct Compiler<'a> {
    reader: ShapesGraphReader<'a>,
    shapes: Vec<Option<Shape>>,
    compiled: FxHashMap<TermId, ShapeId>,
    /// Constraint components the shapes graph declares (SHACL-SPARQL).
    components: Vec<sparql::ComponentDeclaration>,
}

impl Compiler<'_> {
    fn shape(&mut self, node: TermId, depth: usize) -> Result<ShapeId, ShaclError> {
        if let Some(id) = self.compiled.get(&node) {
            return Ok(*id);
        }
        let id = self.shapes.len();
        self.shapes.push(None);
        self.compiled.insert(node, id);
        let r = &self.reader;
        let path = match r.single(node, sh::PATH)? {
            Some(p) => Some(parse_path(r, p, 0)?),
            None => None,
        };
        let is_property = path.is_some();
        let mut targets = Vec::new();
        targets.extend(
            r.values(node, sh::TARGET_NODE)
                .into_iter()
                .map(Target::Node),
        );
        targets.extend(
            r.values(node, sh::TARGET_CLASS)
                .into_iter()
                .map(Target::Class),
        );
        targets.extend(
            r.values(node, sh::TARGET_SUBJECTS_OF)
                .into_iter()
                .map(Target::SubjectsOf),
        );
        targets.extend(
            r.values(node, sh::TARGET_OBJECTS_OF)
                .into_iter()
                .map(Target::ObjectsOf),
        );
        let is_shape_class = r.has_type(node, rdfs::CLASS)
            && (r.has_type(node, sh::NODE_SHAPE) || r.has_type(node, sh::PROPERTY_SHAPE));
        if is_shape_class {
            targets.push(Target::Class(node));
        }
        let severity = match r.values(node, sh::SEVERITY).first().map(|v| r.term(*v)) {
            Some(Term::NamedNode(n)) => n.clone(),
            Some(_) => return Err(r.ill_formed(node, "sh:severity must be an IRI")),
            None => sh::VIOLATION.into_owned(),
        };
        let messages = r
            .values(node, sh::MESSAGE)
            .into_iter()
            .map(|m| r.term(m).clone())
            .collect();
        let deactivated = r.is_true(node, sh::DEACTIVATED);
        // SPARQL validators name the path of a property shape as `$PATH`.
        let path_text = match &path {
            Some(path) => Some(sparql_path(&self.reader, node, path)?),
            None => None,
        };
        let constraints = self.constraints(node, is_property, path_text.as_deref(), depth)?;
        self.shapes[id] = Some(Shape {
            node,
            path,
            targets,
            constraints,
            severity,
            messages,
            deactivated,
        });
        Ok(id)
    }

    fn shape_list(
        &mut self,
        node: TermId,
        list: TermId,
        depth: usize,
    ) -> Result<Vec<ShapeId>, ShaclError> {
        let members = self.reader.list(list).map_err(|_| {
            self.reader
                .ill_formed(node, "sh:and, sh:or and sh:xone take an RDF list of shapes")
        })?;
        members
            .into_iter()
            .map(|m| self.shape(m, depth + 1))
            .collect()
    }

    fn constraints(
        &mut self,
        node: TermId,
        is_property: bool,
        path_text: Option<&str>,
        depth: usize,
    ) -> Result<Vec<Constraint>, ShaclError> {
        if depth > 256 {
            return Err(self
                .reader
                .ill_formed(node, "shapes nest deeper than 256 levels"));
        }
        let mut out = Vec::new();
        let r = &self.reader;
        for v in r.values(node, sh::CLASS) {
            out.push(Constraint::Class(v));
        }
        for v in r.values(node, sh::DATATYPE) {
            match r.term(v) {
                Term::NamedNode(n) => out.push(Constraint::Datatype(n.clone())),
                _ => return Err(r.ill_formed(node, "sh:datatype must be an IRI")),
            }
        }
        for v in r.values(node, sh::NODE_KIND) {
            out.push(Constraint::NodeKind(node_kind(r, node, v)?));
        }
        if is_property {
            if let Some(v) = r.single(node, sh::MIN_COUNT)? {
                out.push(Constraint::MinCount(integer(r, node, v, "sh:minCount")?));
            }
            if let Some(v) = r.single(node, sh::MAX_COUNT)? {
                out.push(Constraint::MaxCount(integer(r, node, v, "sh:maxCount")?));
            }
        }
        for (predicate, kind) in [
            (sh::MIN_EXCLUSIVE, RangeKind::MinExclusive),
            (sh::MIN_INCLUSIVE, RangeKind::MinInclusive),
            (sh::MAX_EXCLUSIVE, RangeKind::MaxExclusive),
            (sh::MAX_INCLUSIVE, RangeKind::MaxInclusive),
        ] {
            for v in r.values(node, predicate) {
                out.push(Constraint::Range(kind, r.term(v).clone()));
            }
        }
        for v in r.values(node, sh::MIN_LENGTH) {
            out.push(Constraint::MinLength(integer(r, node, v, "sh:minLength")?));
        }
        for v in r.values(node, sh::MAX_LENGTH) {
            out.push(Constraint::MaxLength(integer(r, node, v, "sh:maxLength")?));
        }
        let flags = match r.single(node, sh::FLAGS)?.map(|f| r.term(f)) {
            Some(Term::Literal(l)) => l.value().to_owned(),
            Some(_) => return Err(r.ill_formed(node, "sh:flags must be a literal")),
            None => String::new(),
        };
        for v in r.values(node, sh::PATTERN) {
            let Term::Literal(pattern) = r.term(v) else {
                return Err(r.ill_formed(node, "sh:pattern must be a literal"));
            };
            out.push(Constraint::Pattern(compile_pattern(
                r,
                node,
                pattern.value(),
                &flags,
            )?));
        }
        for v in r.values(node, sh::LANGUAGE_IN) {
            let ranges = r
                .list(v)?
                .into_iter()
                .map(|item| match r.term(item) {
                    Term::Literal(l) => Ok(l.value().to_ascii_lowercase()),
                    _ => Err(r.ill_formed(node, "sh:languageIn takes a list of literals")),
                })
                .collect::<Result<_, _>>()?;
            out.push(Constraint::LanguageIn(ranges));
        }
        if is_property && r.is_true(node, sh::UNIQUE_LANG) {
            out.push(Constraint::UniqueLang);
        }
        for (predicate, make) in [
            (sh::EQUALS, Constraint::Equals as fn(TermId) -> Constraint),
            (sh::DISJOINT, Constraint::Disjoint),
        ] {
            for v in r.values(node, predicate) {
                out.push(make(v));
            }
        }
        if is_property {
            for (predicate, make) in [
                (
                    sh::LESS_THAN,
                    Constraint::LessThan as fn(TermId) -> Constraint,
                ),
                (sh::LESS_THAN_OR_EQUALS, Constraint::LessThanOrEquals),
            ] {
                for v in r.values(node, predicate) {
                    out.push(make(v));
                }
            }
        }
        for v in r.values(node, sh::HAS_VALUE) {
            out.push(Constraint::HasValue(v));
        }
        for v in r.values(node, sh::IN) {
            out.push(Constraint::In(r.list(v)?));
        }
        let closed = r.is_true(node, sh::CLOSED);
        let mut allowed = Vec::new();
        if closed {
            for list in r.values(node, sh::IGNORED_PROPERTIES) {
                allowed.extend(r.list(list)?);
            }
        }
        let nots = r.values(node, sh::NOT);
        let ands = r.values(node, sh::AND);
        let ors = r.values(node, sh::OR);
        let xones = r.values(node, sh::XONE);
        let nodes = r.values(node, sh::NODE);
        let properties = r.values(node, sh::PROPERTY);
        let qualified = if is_property {
            r.values(node, sh::QUALIFIED_VALUE_SHAPE)
        } else {
            Vec::new()
        };
        let qualified_min = r.single(node, sh::QUALIFIED_MIN_COUNT)?;
        let qualified_max = r.single(node, sh::QUALIFIED_MAX_COUNT)?;
        let disjoint_siblings = r.is_true(node, sh::QUALIFIED_VALUE_SHAPES_DISJOINT);

        for v in nots {
            let shape = self.shape(v, depth + 1)?;
            out.push(Constraint::Not(shape));
        }
        for v in ands {
            out.push(Constraint::And(self.shape_list(node, v, depth)?));
        }
        for v in ors {
            out.push(Constraint::Or(self.shape_list(node, v, depth)?));
        }
        for v in xones {
            out.push(Constraint::Xone(self.shape_list(node, v, depth)?));
        }
        for v in nodes {
            let shape = self.shape(v, depth + 1)?;
            out.push(Constraint::Node(shape));
        }
        for v in properties {
            if self.reader.single(v, sh::PATH)?.is_none() {
                return Err(self.reader.ill_formed(
                    v,
                    "the value of sh:property must be a property shape (it has no sh:path)",
                ));
            }
            if closed
                && let Some(p) = self.reader.single(v, sh::PATH)?
                && matches!(self.reader.term(p), Term::NamedNode(_))
            {
                allowed.push(p);
            }
            let shape = self.shape(v, depth + 1)?;
            out.push(Constraint::Property(shape));
        }
        for v in qualified {
            let min = qualified_min
                .map(|m| integer(&self.reader, node, m, "sh:qualifiedMinCount"))
                .transpose()?;
            let max = qualified_max
                .map(|m| integer(&self.reader, node, m, "sh:qualifiedMaxCount"))
                .transpose()?;
            let shape = self.shape(v, depth + 1)?;
            let mut siblings = Vec::new();
            if disjoint_siblings {
                for sibling in self.sibling_qualified_shapes(node, v) {
                    siblings.push(self.shape(sibling, depth + 1)?);
                }
            }
            if min.is_some() || max.is_some() {
                out.push(Constraint::Qualified {
                    shape,
                    min,
                    max,
                    siblings,
                });
            }
        }
        if closed {
            allowed.sort_unstable();
            allowed.dedup();
            out.push(Constraint::Closed { allowed });
        }
        for constraint in sparql::sparql_constraints(&self.reader, node, path_text)? {
            out.push(Constraint::Sparql(Box::new(constraint)));
        }
        for constraint in
            sparql::component_constraints(&self.reader, &self.components, node, path_text)?
        {
            out.push(Constraint::Component(Box::new(constraint)));
        }
        Ok(out)
    }

    /// The qualified value shapes of the other property shapes of every shape that has
    /// `property` as an `sh:property` (for `sh:qualifiedValueShapesDisjoint`).
    fn sibling_qualified_shapes(&self, property: TermId, own: TermId) -> Vec<TermId> {
        let r = &self.reader;
        let Some(sh_property) = r.id(sh::PROPERTY) else {
            return Vec::new();
        };
        let mut siblings = Vec::new();
        for parent in r.graph.subjects(sh_property, property) {
            for other in r.graph.objects(parent, sh_property) {
                if other == property {
                    continue;
                }
                for q in r.values(other, sh::QUALIFIED_VALUE_SHAPE) {
                    if q != own {
                        siblings.push(q);
                    }
                }
            }
        }
        siblings.sort_unstable();
        siblings.dedup();
        siblings
    }
}

fn node_kind(
    r: &ShapesGraphReader<'_>,
    node: TermId,
    value: TermId,
) -> Result<NodeKind, ShaclError> {
    let Term::NamedNode(kind) = r.term(value) else {
        return Err(r.ill_formed(node, "sh:nodeKind must be an IRI"));
    };
    let kind = kind.as_ref();
    Ok(if kind == sh::BLANK_NODE {
        NodeKind::BlankNode
    } else if kind == sh::IRI {
        NodeKind::Iri
    } else if kind == sh::LITERAL {
        NodeKind::Literal
    } else if kind == sh::BLANK_NODE_OR_IRI {
        NodeKind::BlankNodeOrIri
    } else if kind == sh::BLANK_NODE_OR_LITERAL {
        NodeKind::BlankNodeOrLiteral
    } else if kind == sh::IRI_OR_LITERAL {
        NodeKind::IriOrLiteral
    } else {
        return Err(r.ill_formed(
            node,
            &format!("sh:nodeKind {kind} is not a SHACL node kind"),
        ));
    })
}

fn integer(
    r: &ShapesGraphReader<'_>,
    node: TermId,
    value: TermId,
    name: &str,
) -> Result<u64, ShaclError> {
    match r.term(value) {
        Term::Literal(l) => l.value().trim().parse::<u64>().map_err(|_| {
            r.ill_formed(
                node,
                &format!("{name} must be a non-negative integer, not {l}"),
            )
        }),
        other => Err(r.ill_formed(
            node,
            &format!("{name} must be a non-negative integer, not {other}"),
        )),
    }
}

fn compile_pattern(
    r: &ShapesGraphReader<'_>,
    node: TermId,
    pattern: &str,
    flags: &str,
) -> Result<Regex, ShaclError> {
    let mut source = pattern.to_owned();
    let mut builder_flags = (false, false, false, false);
    for flag in flags.chars() {
        match flag {
            's' => builder_flags.0 = true,
            'm' => builder_flags.1 = true,
            'i' => builder_flags.2 = true,
            'x' => builder_flags.3 = true,
            'q' => source = regex::escape(pattern),
            other => {
                return Err(r.ill_formed(node, &format!("sh:flags has an unknown flag {other:?}")));
            }
        }
    }
    RegexBuilder::new(&source)
        .dot_matches_new_line(builder_flags.0)
        .multi_line(builder_flags.1)
        .case_insensitive(builder_flags.2)
        .ignore_whitespace(builder_flags.3)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            r.ill_formed(
                node,
                &format!("sh:pattern {pattern:?} is not a valid regular expression: {e}"),
            )
        })
}
