//! SHACL-SPARQL: SPARQL-based constraints (`sh:sparql`) and SPARQL-based constraint
//! components (`sh:ConstraintComponent` with a SPARQL validator), compiled with the shapes
//! and evaluated by oxigraph's SPARQL engine over the data graph.

use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use belfort_vocab::owl;
use belfort_vocab::sh;
use oxrdf::vocab::{rdf, rdfs};
use oxrdf::{Dataset, GraphName, NamedNode, Quad, Term, Variable};
use regex::Regex;
use spareval::{CancellationToken, QueryEvaluationError, QueryEvaluator, QueryResults};
use spargebra::algebra::{Expression, GraphPattern};
use spargebra::{Query, SparqlParser};

use crate::error::ShaclError;
use crate::graph::{IndexedGraph, TermId};
use crate::shapes::ShapesGraphReader;

/// A validation query, parsed once.
#[derive(Debug, Clone)]
pub(crate) struct ValidationQuery {
    /// Always a SELECT: an ASK is rewritten to one.
    pub query: Query,
    /// Written as an ASK: the answer is whether there is a solution.
    pub is_ask: bool,
}

/// An `sh:sparql` constraint of a shape.
#[derive(Debug)]
pub(crate) struct SparqlConstraint {
    /// The constraint's node in the shapes graph (the result's `sh:sourceConstraint`).
    pub node: TermId,
    pub query: ValidationQuery,
    pub messages: Vec<Term>,
}

/// A shape's use of a SPARQL-based constraint component.
#[derive(Debug)]
pub(crate) struct ComponentConstraint {
    pub component: NamedNode,
    /// The parameters' values, bound to the variables named after the parameters.
    pub parameters: Vec<(Variable, Term)>,
    pub query: ValidationQuery,
    /// Given as `sh:ask`: one query per value node, a result when it answers false.
    pub is_ask: bool,
    pub messages: Vec<Term>,
}

/// A constraint component declared in the shapes graph.
#[derive(Debug)]
pub(crate) struct ComponentDeclaration {
    iri: NamedNode,
    parameters: Vec<Parameter>,
    validator: Option<TermId>,
    node_validator: Option<TermId>,
    property_validator: Option<TermId>,
}

#[derive(Debug)]
struct Parameter {
    path: NamedNode,
    variable: Variable,
    optional: bool,
}

/// Pre-bound in every validation query: the focus node, the shapes graph and the shape.
pub(crate) const THIS: &str = "this";
pub(crate) const SHAPES_GRAPH: &str = "shapesGraph";
pub(crate) const CURRENT_SHAPE: &str = "currentShape";
/// Pre-bound in ASK validators: the value node.
pub(crate) const VALUE: &str = "value";

/// The name under which the shapes graph is a named graph of the queried dataset.
const SHAPES_GRAPH_NAME: &str = "urn:x-belfort:shapes-graph";

static PATH_VARIABLE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\$PATH\b").ok());
static TEMPLATE_VARIABLE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}").ok());

/// The `PREFIX` declarations `sh:prefixes` of `node` gives a query.
fn prefixes(r: &ShapesGraphReader<'_>, node: TermId) -> Result<String, ShaclError> {
    let mut text = String::new();
    // The ontologies sh:prefixes names, and those they import.
    let mut ontologies = r.values(node, sh::PREFIXES);
    let mut next = 0;
    while let Some(&ontology) = ontologies.get(next) {
        next += 1;
        for imported in r.values(ontology, owl::IMPORTS) {
            if !ontologies.contains(&imported) {
                ontologies.push(imported);
            }
        }
    }
    for ontology in ontologies {
        for declaration in r.values(ontology, sh::DECLARE) {
            let prefix = r.single(declaration, sh::PREFIX)?.map(|p| r.term(p));
            let namespace = r
                .single(declaration, sh::NAMESPACE_PROPERTY)?
                .map(|n| r.term(n));
            let (Some(Term::Literal(prefix)), Some(namespace)) = (prefix, namespace) else {
                return Err(r.ill_formed(
                    node,
                    "an sh:declare needs one literal sh:prefix and one sh:namespace",
                ));
            };
            let namespace = match namespace {
                Term::Literal(l) => l.value(),
                Term::NamedNode(n) => n.as_str(),
                Term::BlankNode(_) => {
                    return Err(r.ill_formed(node, "sh:namespace must be a literal or an IRI"));
                }
            };
            text.push_str(&format!("PREFIX {}: <{namespace}>\n", prefix.value()));
        }
    }
    Ok(text)
}

/// Parses a validation query (with its prefixes and, for a property shape, `$PATH`
/// replaced by the shape's path) and checks what SHACL-SPARQL allows with pre-binding.
fn parse_query(
    r: &ShapesGraphReader<'_>,
    holder: TermId,
    text: &str,
    path: Option<&str>,
    pre_bound: &[&str],
) -> Result<ValidationQuery, ShaclError> {
    let mut full = prefixes(r, holder)?;
    match (path, PATH_VARIABLE.as_ref()) {
        (Some(path), Some(pattern)) => full.push_str(&pattern.replace_all(text, path)),
        _ => full.push_str(text),
    }
    let query = SparqlParser::new()
        .parse_query(&full)
        .map_err(|e| r.ill_formed(holder, &format!("invalid SPARQL: {e}")))?;
    let pattern = match &query {
        Query::Select { pattern, .. } | Query::Ask { pattern, .. } => pattern,
        _ => {
            return Err(r.ill_formed(holder, "a validation query is a SELECT or an ASK query"));
        }
    };
    check_pre_binding(pattern, pre_bound, true).map_err(|why| {
        r.ill_formed(
            holder,
            &format!("SPARQL not allowed with pre-binding: {why}"),
        )
    })?;
    // An ASK runs as a SELECT of the pre-bound variables (the engine binds only projected
    // variables up front): it holds when there is a solution.
    let is_ask = matches!(query, Query::Ask { .. });
    let mut query = match query {
        Query::Ask {
            dataset,
            pattern,
            base_iri,
        } => Query::Select {
            dataset,
            // The parser gives an ASK a projection of its own already.
            pattern: if matches!(pattern, GraphPattern::Project { .. }) {
                pattern
            } else {
                GraphPattern::Project {
                    inner: Box::new(pattern),
                    variables: Vec::new(),
                }
            },
            base_iri,
        },
        other => other,
    };
    if let Query::Select { pattern, .. } = &mut query {
        project_pre_bound(pattern, pre_bound);
    }
    Ok(ValidationQuery { query, is_ask })
}

/// Adds the pre-bound variables to the outermost projection: the engine binds only
/// projected variables up front, and from there they reach into the query.
fn project_pre_bound(pattern: &mut GraphPattern, pre_bound: &[&str]) {
    match pattern {
        GraphPattern::Project { variables, .. } => {
            for name in pre_bound {
                if !variables.iter().any(|v| v.as_str() == *name) {
                    variables.push(Variable::new_unchecked(*name));
                }
            }
        }
        GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Slice { inner, .. }
        | GraphPattern::OrderBy { inner, .. } => project_pre_bound(inner, pre_bound),
        _ => {}
    }
}

/// SHACL-SPARQL forbids, where variables are pre-bound: MINUS, VALUES, SERVICE, assigning a
/// pre-bound variable (`AS ?this`), and a subquery that does not return the pre-bound
/// variables (all but `$shapesGraph` and `$currentShape`).
fn check_pre_binding(
    pattern: &GraphPattern,
    pre_bound: &[&str],
    outermost: bool,
) -> Result<(), String> {
    let inner = |p: &GraphPattern| check_pre_binding(p, pre_bound, outermost);
    let nested = |p: &GraphPattern| check_pre_binding(p, pre_bound, false);
    match pattern {
        GraphPattern::Minus { .. } => Err("MINUS".into()),
        GraphPattern::Values { .. } => Err("VALUES".into()),
        GraphPattern::Service { .. } => Err("SERVICE".into()),
        GraphPattern::Extend {
            inner: child,
            variable,
            expression,
        } => {
            if pre_bound.contains(&variable.as_str()) {
                return Err(format!("assigning the pre-bound variable {variable}"));
            }
            check_expression(expression, pre_bound)?;
            nested(child)
        }
        GraphPattern::Project {
            inner: child,
            variables,
        } => {
            if !outermost {
                for name in pre_bound {
                    if *name != SHAPES_GRAPH
                        && *name != CURRENT_SHAPE
                        && !variables.iter().any(|v| v.as_str() == *name)
                    {
                        return Err(format!("a subquery that does not return ${name}"));
                    }
                }
            }
            nested(child)
        }
        GraphPattern::Join { left, right } | GraphPattern::Union { left, right } => {
            nested(left)?;
            nested(right)
        }
        GraphPattern::LeftJoin {
            left,
            right,
            expression,
        } => {
            nested(left)?;
            nested(right)?;
            expression
                .as_ref()
                .map_or(Ok(()), |e| check_expression(e, pre_bound))
        }
        GraphPattern::Filter { expr, inner: child } => {
            check_expression(expr, pre_bound)?;
            nested(child)
        }
        GraphPattern::Graph { inner: child, .. } | GraphPattern::Group { inner: child, .. } => {
            nested(child)
        }
        GraphPattern::Distinct { inner: child }
        | GraphPattern::Reduced { inner: child }
        | GraphPattern::Slice { inner: child, .. }
        | GraphPattern::OrderBy { inner: child, .. } => inner(child),
        GraphPattern::Bgp { .. } | GraphPattern::Path { .. } => Ok(()),
        // Forms only some builds of the parser know (a lateral join).
        #[allow(unreachable_patterns)]
        _ => Ok(()),
    }
}

/// The patterns inside `EXISTS` follow the same rules.
fn check_expression(expression: &Expression, pre_bound: &[&str]) -> Result<(), String> {
    let check = |e: &Expression| check_expression(e, pre_bound);
    match expression {
        Expression::Exists(pattern) => check_pre_binding(pattern, pre_bound, false),
        Expression::Or(a, b)
        | Expression::And(a, b)
        | Expression::Equal(a, b)
        | Expression::SameTerm(a, b)
        | Expression::Greater(a, b)
        | Expression::GreaterOrEqual(a, b)
        | Expression::Less(a, b)
        | Expression::LessOrEqual(a, b)
        | Expression::Add(a, b)
        | Expression::Subtract(a, b)
        | Expression::Multiply(a, b)
        | Expression::Divide(a, b) => {
            check(a)?;
            check(b)
        }
        Expression::UnaryPlus(a) | Expression::UnaryMinus(a) | Expression::Not(a) => check(a),
        Expression::If(a, b, c) => {
            check(a)?;
            check(b)?;
            check(c)
        }
        Expression::In(a, list) => {
            check(a)?;
            list.iter().try_for_each(check)
        }
        Expression::Coalesce(list) | Expression::FunctionCall(_, list) => {
            list.iter().try_for_each(check)
        }
        _ => Ok(()),
    }
}

/// Compiles the `sh:sparql` constraints of a shape.
pub(crate) fn sparql_constraints(
    r: &ShapesGraphReader<'_>,
    shape: TermId,
    path: Option<&str>,
) -> Result<Vec<SparqlConstraint>, ShaclError> {
    let mut constraints = Vec::new();
    for node in r.values(shape, sh::SPARQL) {
        if r.is_true(node, sh::DEACTIVATED) {
            continue;
        }
        let Some(Term::Literal(select)) = r.single(node, sh::SELECT)?.map(|s| r.term(s)) else {
            return Err(r.ill_formed(node, "an sh:sparql constraint needs one sh:select"));
        };
        let query = parse_query(
            r,
            node,
            select.value(),
            path,
            &[THIS, SHAPES_GRAPH, CURRENT_SHAPE],
        )?;
        if query.is_ask {
            return Err(r.ill_formed(node, "sh:select must hold a SELECT query"));
        }
        constraints.push(SparqlConstraint {
            node,
            query,
            messages: r
                .values(node, sh::MESSAGE)
                .into_iter()
                .map(|m| r.term(m).clone())
                .collect(),
        });
    }
    Ok(constraints)
}

/// Every constraint component the shapes graph declares with its parameters.
pub(crate) fn component_declarations(
    r: &ShapesGraphReader<'_>,
) -> Result<Vec<ComponentDeclaration>, ShaclError> {
    let (Some(rdf_type), Some(component_class)) = (
        r.graph.id(rdf::TYPE.into()),
        r.graph.id(sh::CONSTRAINT_COMPONENT.into()),
    ) else {
        return Ok(Vec::new());
    };
    // Instances of sh:ConstraintComponent or of any of its subclasses.
    let mut classes = vec![component_class];
    if let Some(sub_class_of) = r.graph.id(rdfs::SUB_CLASS_OF.into()) {
        let mut next = 0;
        while let Some(&class) = classes.get(next) {
            next += 1;
            for sub in r.graph.subjects(sub_class_of, class) {
                if !classes.contains(&sub) {
                    classes.push(sub);
                }
            }
        }
    }
    let mut nodes: Vec<TermId> = classes
        .iter()
        .flat_map(|class| r.graph.subjects(rdf_type, *class))
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let mut declarations = Vec::new();
    for node in nodes {
        let Term::NamedNode(iri) = r.term(node) else {
            continue;
        };
        let mut parameters = Vec::new();
        for parameter in r.values(node, sh::PARAMETER) {
            let Some(Term::NamedNode(path)) = r.single(parameter, sh::PATH)?.map(|p| r.term(p))
            else {
                return Err(r.ill_formed(node, "a parameter needs one IRI sh:path"));
            };
            let local = path
                .as_str()
                .rsplit(['#', '/'])
                .next()
                .unwrap_or_default()
                .to_owned();
            let variable = Variable::new(local).map_err(|_| {
                r.ill_formed(node, &format!("parameter {path} has no usable local name"))
            })?;
            parameters.push(Parameter {
                path: path.clone(),
                variable,
                optional: r.is_true(parameter, sh::OPTIONAL),
            });
        }
        declarations.push(ComponentDeclaration {
            iri: iri.clone(),
            parameters,
            validator: r.single(node, sh::VALIDATOR)?,
            node_validator: r.single(node, sh::NODE_VALIDATOR)?,
            property_validator: r.single(node, sh::PROPERTY_VALIDATOR)?,
        });
    }
    Ok(declarations)
}

/// The uses of declared components by `shape`: one per combination of parameter values,
/// for each component whose mandatory parameters the shape gives and that has a validator
/// for this kind of shape.
pub(crate) fn component_constraints(
    r: &ShapesGraphReader<'_>,
    declarations: &[ComponentDeclaration],
    shape: TermId,
    path: Option<&str>,
) -> Result<Vec<ComponentConstraint>, ShaclError> {
    let mut constraints = Vec::new();
    for declaration in declarations {
        let values: Vec<Vec<TermId>> = declaration
            .parameters
            .iter()
            .map(|p| r.values(shape, p.path.as_ref()))
            .collect();
        let mandatory_given = declaration
            .parameters
            .iter()
            .zip(&values)
            .all(|(p, v)| p.optional || !v.is_empty());
        if declaration.parameters.is_empty() || !mandatory_given {
            continue;
        }
        let specific = if path.is_some() {
            declaration.property_validator
        } else {
            declaration.node_validator
        };
        let Some(validator) = specific.or(declaration.validator) else {
            continue;
        };
        let (text, is_ask) = match (
            r.single(validator, sh::ASK)?.map(|q| r.term(q)),
            r.single(validator, sh::SELECT)?.map(|q| r.term(q)),
        ) {
            (Some(Term::Literal(ask)), None) => (ask.value().to_owned(), true),
            (None, Some(Term::Literal(select))) => (select.value().to_owned(), false),
            _ => {
                return Err(r.ill_formed(
                    validator,
                    "a SPARQL validator needs exactly one sh:ask or sh:select",
                ));
            }
        };
        let mut pre_bound = vec![THIS, SHAPES_GRAPH, CURRENT_SHAPE];
        if is_ask || path.is_none() {
            pre_bound.push(VALUE);
        }
        pre_bound.extend(declaration.parameters.iter().map(|p| p.variable.as_str()));
        let messages: Vec<Term> = r
            .values(validator, sh::MESSAGE)
            .into_iter()
            .map(|m| r.term(m).clone())
            .collect();
        let query = parse_query(r, validator, &text, path, &pre_bound)?;
        for combination in combinations(&values) {
            let parameters = declaration
                .parameters
                .iter()
                .zip(combination)
                .filter_map(|(p, value)| Some((p.variable.clone(), r.term(value?).clone())))
                .collect();
            constraints.push(ComponentConstraint {
                component: declaration.iri.clone(),
                parameters,
                query: query.clone(),
                is_ask,
                messages: messages.clone(),
            });
        }
    }
    Ok(constraints)
}

/// Every choice of one value per parameter (`None` for an optional one without value).
fn combinations(values: &[Vec<TermId>]) -> Vec<Vec<Option<TermId>>> {
    let mut out: Vec<Vec<Option<TermId>>> = vec![Vec::new()];
    for choices in values {
        let options: Vec<Option<TermId>> = if choices.is_empty() {
            vec![None]
        } else {
            choices.iter().copied().map(Some).collect()
        };
        out = out
            .into_iter()
            .flat_map(|prefix| {
                options.iter().map(move |option| {
                    let mut next = prefix.clone();
                    next.push(*option);
                    next
                })
            })
            .collect();
    }
    out
}

/// The data graph (as the default graph) and the shapes graph (as a named graph) in the
/// form the SPARQL engine reads.
pub(crate) struct QueryableGraphs {
    dataset: Dataset,
    shapes_graph: NamedNode,
    watchdog: Watchdog,
}

/// Stops a validation query that runs past its time limit: a thread that looks at the
/// running query's deadline every 50 ms, for as long as the graphs are in use.
struct Watchdog {
    limit: Duration,
    running: Arc<Mutex<Option<(Instant, CancellationToken)>>>,
    stop: Arc<AtomicBool>,
}

impl Watchdog {
    fn start(limit: Duration) -> Self {
        let running: Arc<Mutex<Option<(Instant, CancellationToken)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (watched, stopped) = (Arc::clone(&running), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(AtomicOrdering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
                if let Ok(running) = watched.lock()
                    && let Some((deadline, token)) = running.as_ref()
                    && Instant::now() >= *deadline
                {
                    token.cancel();
                }
            }
        });
        Self {
            limit,
            running,
            stop,
        }
    }

    /// A token for the next query, cancelled once the limit has passed.
    fn watch(&self) -> CancellationToken {
        let token = CancellationToken::new();
        if let Ok(mut running) = self.running.lock() {
            *running = Some((Instant::now() + self.limit, token.clone()));
        }
        token
    }

    fn done(&self) {
        if let Ok(mut running) = self.running.lock() {
            *running = None;
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, AtomicOrdering::Relaxed);
    }
}

/// What one validation query answered.
pub(crate) enum Answer {
    Ask(bool),
    /// One binding list per solution.
    Select(Vec<Vec<(Variable, Term)>>),
}

impl QueryableGraphs {
    pub fn new(data: &IndexedGraph, shapes: &IndexedGraph, time_limit: Duration) -> Self {
        let shapes_graph = NamedNode::new_unchecked(SHAPES_GRAPH_NAME);
        let mut dataset = Dataset::new();
        for triple in data.triples() {
            dataset.insert(&triple.in_graph(GraphName::DefaultGraph));
        }
        for triple in shapes.triples() {
            dataset.insert(&Quad::new(
                triple.subject,
                triple.predicate,
                triple.object,
                shapes_graph.clone(),
            ));
        }
        Self {
            dataset,
            shapes_graph,
            watchdog: Watchdog::start(time_limit),
        }
    }

    /// The name `$shapesGraph` is bound to.
    pub fn shapes_graph(&self) -> &NamedNode {
        &self.shapes_graph
    }

    /// Runs a validation query with its pre-bound variables, within the time limit.
    pub fn run(
        &self,
        query: &ValidationQuery,
        bindings: &[(Variable, Term)],
    ) -> Result<Answer, String> {
        let token = self.watchdog.watch();
        let answer = self.run_watched(query, bindings, token.clone());
        self.watchdog.done();
        match answer {
            Err(_) if token.is_cancelled() => Err(format!(
                "stopped after the time limit of {} s",
                self.watchdog.limit.as_secs_f64()
            )),
            other => other,
        }
    }

    /// Variables the query does not mention are left out (the engine refuses to bind those).
    fn run_watched(
        &self,
        query: &ValidationQuery,
        bindings: &[(Variable, Term)],
        token: CancellationToken,
    ) -> Result<Answer, String> {
        let mut bindings = bindings.to_vec();
        // The optimiser does not know about pre-bound variables and could fold
        // `bound($shapesGraph)` to false.
        let evaluator = QueryEvaluator::new()
            .without_optimizations()
            .with_cancellation_token(token);
        loop {
            let mut prepared = evaluator.prepare(&query.query);
            for (variable, term) in &bindings {
                prepared = prepared.substitute_variable(variable.clone(), term.clone());
            }
            match prepared.execute(&self.dataset) {
                Err(QueryEvaluationError::NotExistingSubstitutedVariable(unused)) => {
                    let before = bindings.len();
                    bindings.retain(|(v, _)| *v != unused);
                    if bindings.len() == before {
                        return Err(format!("cannot pre-bind {unused}"));
                    }
                }
                Err(e) => return Err(e.to_string()),
                Ok(QueryResults::Boolean(answer)) => return Ok(Answer::Ask(answer)),
                Ok(QueryResults::Solutions(mut solutions)) if query.is_ask => {
                    return match solutions.next().transpose() {
                        Ok(first) => Ok(Answer::Ask(first.is_some())),
                        Err(e) => Err(e.to_string()),
                    };
                }
                Ok(QueryResults::Solutions(solutions)) => {
                    let mut rows = Vec::new();
                    for solution in solutions {
                        let solution = solution.map_err(|e| e.to_string())?;
                        let mut row: Vec<(Variable, Term)> = solution
                            .iter()
                            .map(|(v, t)| (v.clone(), t.clone()))
                            .collect();
                        // Pre-bound variables keep their values in every solution.
                        for (variable, term) in &bindings {
                            if !row.iter().any(|(v, _)| v == variable) {
                                row.push((variable.clone(), term.clone()));
                            }
                        }
                        rows.push(row);
                    }
                    return Ok(Answer::Select(rows));
                }
                Ok(QueryResults::Graph(_)) => {
                    return Err("a validation query is a SELECT or an ASK query".into());
                }
            }
        }
    }
}

/// A message template with `{$name}` and `{?name}` filled from the bindings.
pub(crate) fn fill_template(template: &Term, bindings: &[(Variable, Term)]) -> Term {
    let Term::Literal(literal) = template else {
        return template.clone();
    };
    let Some(pattern) = TEMPLATE_VARIABLE.as_ref() else {
        return template.clone();
    };
    let text = pattern.replace_all(literal.value(), |captures: &regex::Captures<'_>| {
        let name = captures.get(1).map_or("", |m| m.as_str());
        bindings
            .iter()
            .find(|(v, _)| v.as_str() == name)
            .map_or_else(String::new, |(_, t)| match t {
                Term::Literal(l) => l.value().to_owned(),
                Term::NamedNode(n) => n.as_str().to_owned(),
                Term::BlankNode(b) => b.to_string(),
            })
    });
    match literal.language() {
        Some(language) => oxrdf::Literal::new_language_tagged_literal_unchecked(text, language),
        None => oxrdf::Literal::new_typed_literal(text, literal.datatype().into_owned()),
    }
    .into()
}
