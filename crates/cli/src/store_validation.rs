//! `belfort validate --store`: SHACL validation of everything a store holds (the union of
//! its graphs), streamed. The focus nodes are read from the store page by page; each batch
//! of them is validated on its neighbourhood only, as far as the shapes look
//! ([`Shapes::reach`]), fetched from the store by subject. Memory is bounded by a batch and
//! its neighbourhood, not by the store, and the same code runs on every store kind.

use anyhow::Context;
use belfort_shacl::{
    FocusTarget, GraphBuilder, Reach, Shapes, ValidationReport, validate_focus_nodes,
};
use belfort_store::{GraphSelector, ObservationStore, QuadPattern};
use oxrdf::vocab::{rdf, rdfs};
use oxrdf::{NamedNode, NamedOrBlankNode, Term, Triple};
use rustc_hash::FxHashSet;

/// Quads read from the store per page while looking for focus nodes.
const TARGET_PAGE: usize = 10_000;

/// What a store-wide validation did, next to its report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreValidationStats {
    /// Focus nodes validated (a node selected by several targets counts once per batch).
    pub focus_nodes: u64,
    /// Batches validated.
    pub batches: u64,
    /// The most triples one batch's neighbourhood held.
    pub largest_batch_triples: usize,
}

/// Validates everything `store` holds against `shapes`, `batch_size` focus nodes at a time.
pub fn validate_store(
    store: &dyn ObservationStore,
    shapes: &Shapes,
    batch_size: usize,
) -> anyhow::Result<(ValidationReport, StoreValidationStats)> {
    if shapes.uses_sparql() {
        anyhow::bail!(
            "the shapes have SHACL-SPARQL constraints, whose queries may read any part of the \
             data: the store cannot be validated batch by batch against them (export it with \
             `belfort export` and validate the file)"
        );
    }
    let batch_size = batch_size.max(1);
    let validator = BatchValidator {
        store,
        shapes,
        reach: shapes.reach(),
        class_hierarchy: class_hierarchy(store)?,
    };
    let mut results = Vec::new();
    let mut seen_results = FxHashSet::default();
    let mut stats = StoreValidationStats::default();
    let mut batch = FocusBatch::default();
    for target in shapes.focus_targets() {
        let mut flush = |batch: &mut FocusBatch| -> anyhow::Result<()> {
            let batch = std::mem::take(batch);
            let (report, triples) = validator.validate(&batch)?;
            stats.focus_nodes += batch.nodes.len() as u64;
            stats.batches += 1;
            stats.largest_batch_triples = stats.largest_batch_triples.max(triples);
            for result in report.results {
                if seen_results.insert(result.clone()) {
                    results.push(result);
                }
            }
            Ok(())
        };
        match &target {
            FocusTarget::Node(node) => {
                batch.add(node.clone(), None);
                if batch.nodes.len() >= batch_size {
                    flush(&mut batch)?;
                }
            }
            FocusTarget::Class(class) => {
                for class in subclasses(class, &validator.class_hierarchy) {
                    let pattern = pattern(None, Some(rdf::TYPE.into_owned()), Some(class.into()));
                    each_quad(store, &pattern, |triple| {
                        batch.add(triple.subject.clone().into(), None);
                        if batch.nodes.len() >= batch_size {
                            flush(&mut batch)?;
                        }
                        Ok(())
                    })?;
                }
            }
            FocusTarget::SubjectsOf(predicate) | FocusTarget::ObjectsOf(predicate) => {
                let objects = matches!(target, FocusTarget::ObjectsOf(_));
                let pattern = pattern(None, Some(predicate.clone()), None);
                each_quad(store, &pattern, |triple| {
                    if objects {
                        // The triple goes into the batch: it is what makes the node a target.
                        batch.add(triple.object.clone(), Some(triple));
                    } else {
                        batch.add(triple.subject.clone().into(), None);
                    }
                    if batch.nodes.len() >= batch_size {
                        flush(&mut batch)?;
                    }
                    Ok(())
                })?;
            }
        }
        if !batch.nodes.is_empty() {
            flush(&mut batch)?;
        }
    }
    let report = ValidationReport {
        conforms: results.is_empty(),
        results,
    };
    Ok((report, stats))
}

/// Focus nodes to validate together, with the triples that selected them.
#[derive(Default)]
struct FocusBatch {
    nodes: FxHashSet<Term>,
    selecting: Vec<Triple>,
}

impl FocusBatch {
    fn add(&mut self, node: Term, selecting: Option<Triple>) {
        self.nodes.insert(node);
        self.selecting.extend(selecting);
    }
}

struct BatchValidator<'a> {
    store: &'a dyn ObservationStore,
    shapes: &'a Shapes,
    reach: Reach,
    /// Every `rdfs:subClassOf` triple: class targets and `sh:class` follow them.
    class_hierarchy: Vec<Triple>,
}

impl BatchValidator<'_> {
    /// Validates one batch on its neighbourhood; returns the report and the triples read.
    fn validate(&self, batch: &FocusBatch) -> anyhow::Result<(ValidationReport, usize)> {
        let reach = self.reach;
        let mut graph = GraphBuilder::default();
        let mut triples = 0usize;
        for triple in batch.selecting.iter().chain(&self.class_hierarchy) {
            graph.insert(triple.clone());
            triples += 1;
        }
        let mut reached: FxHashSet<NamedNode> = FxHashSet::default();
        let mut frontier: Vec<NamedNode> = batch
            .nodes
            .iter()
            .filter_map(|node| match node {
                Term::NamedNode(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        reached.extend(frontier.iter().cloned());
        let mut round = 0;
        while !frontier.is_empty() && reach.rounds.is_none_or(|rounds| round < rounds) {
            round += 1;
            let mut next = Vec::new();
            let mut take = |triple: Triple, graph: &mut GraphBuilder| {
                if let Term::NamedNode(object) = &triple.object
                    && reached.insert(object.clone())
                {
                    next.push(object.clone());
                }
                if let NamedOrBlankNode::NamedNode(subject) = &triple.subject
                    && reached.insert(subject.clone())
                {
                    next.push(subject.clone());
                }
                graph.insert(triple);
                triples += 1;
            };
            for triple in self
                .store
                .triples_about(&frontier, None)
                .context("reading the focus nodes' neighbourhood from the store")?
            {
                take(triple, &mut graph);
            }
            if reach.inverse {
                for node in &frontier {
                    let pattern = pattern(None, None, Some(node.clone().into()));
                    each_quad(self.store, &pattern, |triple| {
                        take(triple, &mut graph);
                        Ok(())
                    })?;
                }
            }
            frontier = next;
        }
        let graph = graph.build();
        let report = validate_focus_nodes(self.shapes, &graph, |node| batch.nodes.contains(node));
        Ok((report, triples))
    }
}

/// Every `rdfs:subClassOf` triple in the store.
fn class_hierarchy(store: &dyn ObservationStore) -> anyhow::Result<Vec<Triple>> {
    let mut triples = Vec::new();
    let pattern = pattern(None, Some(rdfs::SUB_CLASS_OF.into_owned()), None);
    each_quad(store, &pattern, |triple| {
        triples.push(triple);
        Ok(())
    })?;
    Ok(triples)
}

/// `class` and every class below it.
fn subclasses(class: &NamedNode, hierarchy: &[Triple]) -> Vec<NamedNode> {
    let mut classes = vec![class.clone()];
    let mut next = 0;
    while let Some(current) = classes.get(next).cloned() {
        next += 1;
        for triple in hierarchy {
            if let (NamedOrBlankNode::NamedNode(sub), Term::NamedNode(sup)) =
                (&triple.subject, &triple.object)
                && *sup == current
                && !classes.contains(sub)
            {
                classes.push(sub.clone());
            }
        }
    }
    classes
}

fn pattern(
    subject: Option<NamedNode>,
    predicate: Option<NamedNode>,
    object: Option<Term>,
) -> QuadPattern {
    QuadPattern {
        subject,
        predicate,
        object,
        graph: GraphSelector::Any,
    }
}

/// Reads every quad matching `pattern` page by page (pages read in turn continue one walk
/// over the store's index) and hands each to `each` as a triple.
fn each_quad(
    store: &dyn ObservationStore,
    pattern: &QuadPattern,
    mut each: impl FnMut(Triple) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut offset = 0u64;
    loop {
        let page = store
            .pattern_page(pattern, offset, TARGET_PAGE)
            .context("reading focus nodes from the store")?;
        offset += page.quads.len() as u64;
        for quad in page.quads {
            each(Triple::new(quad.subject, quad.predicate, quad.object))?;
        }
        if !page.has_more {
            return Ok(());
        }
    }
}
