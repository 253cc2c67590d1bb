//! One page of a Triple or Quad Pattern Fragment: data, metadata and hypermedia controls.

use belfort_vocab::{foaf, hydra, rdf, sd, void, xsd};
use oxrdf::{GraphName, Literal, NamedNode, NamedNodeRef, Quad, Triple};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{Selector, SelectorError};

/// What RFC 6570 form-style expansion leaves unencoded: the unreserved characters.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How the bindings-restricted client encodes `values` (JavaScript's `encodeURIComponent`,
/// not RFC 6570): the page IRI must be the URL that client asks for, or it finds no controls.
const VALUES_UNENCODED: &AsciiSet = &UNRESERVED
    .remove(b'!')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// How many times the page size a bindings-restricted fragment's pages hold.
const RESTRICTED_PAGE_FACTOR: usize = 10;
/// The most matches on one page of a bindings-restricted fragment.
const MAX_RESTRICTED_PAGE_SIZE: usize = 10_000;

/// Builds fragment pages for one endpoint.
#[derive(Debug, Clone)]
pub struct FragmentPageBuilder {
    endpoint: String,
    page_size: usize,
}

/// One page, ready to serialise.
#[derive(Debug, Clone, PartialEq)]
pub struct FragmentDocument {
    /// The fragment (all pages together).
    pub fragment_iri: NamedNode,
    /// This page.
    pub page_iri: NamedNode,
    /// The named graph holding metadata and controls in quad syntaxes.
    pub metadata_graph: NamedNode,
    /// The matching data: in the default graph for a Triple Pattern Fragment, in their own
    /// graphs for a Quad Pattern Fragment.
    pub data: Vec<Quad>,
    /// Metadata and controls.
    pub metadata: Vec<Triple>,
    /// The page number, from 1.
    pub page: u64,
    /// The estimated number of matches of the whole fragment.
    pub total: u64,
    /// The previous page, if any.
    pub previous: Option<NamedNode>,
    /// The next page, if any.
    pub next: Option<NamedNode>,
    /// The search form's RFC 6570 template.
    pub template: String,
}

impl FragmentPageBuilder {
    /// A builder for the endpoint published at `endpoint` (an absolute IRI without query),
    /// with `page_size` matches per page.
    pub fn new(endpoint: &str, page_size: usize) -> Result<Self, SelectorError> {
        NamedNode::new(endpoint).map_err(|e| SelectorError::InvalidIri {
            parameter: "endpoint",
            value: endpoint.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            endpoint: endpoint.to_owned(),
            page_size: page_size.max(1),
        })
    }

    /// Matches per page of the fragment of `selector`: the page size, and for a
    /// bindings-restricted fragment ten
    /// times as many (at most 10 000), because its client sent a block of bindings to get
    /// their matches in few requests, and reads its pages one after the other.
    pub fn page_size_of(&self, selector: &Selector) -> usize {
        if selector.restriction.is_some() {
            self.page_size
                .saturating_mul(RESTRICTED_PAGE_FACTOR)
                .min(MAX_RESTRICTED_PAGE_SIZE)
        } else {
            self.page_size
        }
    }

    /// The IRI of the dataset all fragments are subsets of.
    pub fn dataset_iri(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{}#dataset", self.endpoint))
    }

    /// The fragment's canonical IRI, parameters in template order, RFC 6570 encoded.
    pub fn fragment_iri(&self, selector: &Selector) -> NamedNode {
        NamedNode::new_unchecked(self.address(selector, None))
    }

    /// The IRI of page `page` (page 1 is the fragment IRI itself).
    pub fn page_iri(&self, selector: &Selector, page: u64) -> NamedNode {
        NamedNode::new_unchecked(self.address(selector, (page > 1).then_some(page)))
    }

    fn address(&self, selector: &Selector, page: Option<u64>) -> String {
        let mut address = self.endpoint.clone();
        let mut separator = '?';
        let page = page.map(|p| ("page", p.to_string()));
        for (name, value) in selector.parameters().into_iter().chain(page) {
            address.push(separator);
            address.push_str(name);
            address.push('=');
            let unencoded = if name == "values" {
                VALUES_UNENCODED
            } else {
                UNRESERVED
            };
            address.extend(utf8_percent_encode(&value, unencoded));
            separator = '&';
        }
        address
    }

    /// Builds page `page` of the fragment of `selector` from the matches on it, the estimated
    /// total (at least the matches known so far, 0 only when there are none) and whether
    /// more matches follow.
    pub fn build(
        &self,
        selector: &Selector,
        page: u64,
        data: Vec<Quad>,
        total: u64,
        has_next: bool,
    ) -> FragmentDocument {
        let quads = selector.is_quad_pattern();
        let data: Vec<Quad> = if quads {
            data
        } else {
            data.into_iter()
                .map(|q| Quad::new(q.subject, q.predicate, q.object, GraphName::DefaultGraph))
                .collect()
        };
        let page_size = self.page_size_of(selector);
        let offset = (page - 1).saturating_mul(page_size as u64);
        // Never 0 for a non-empty fragment, never below what is already known to exist.
        let known = offset + data.len() as u64 + u64::from(has_next);
        let total = total.max(known);
        let fragment = self.fragment_iri(selector);
        let page_iri = self.page_iri(selector, page);
        let previous = (page > 1).then(|| self.page_iri(selector, page - 1));
        let next = has_next.then(|| self.page_iri(selector, page + 1));
        let metadata_graph = NamedNode::new_unchecked(format!("{}#metadata", self.endpoint));
        let template = if quads {
            format!("{}{{?subject,predicate,object,graph}}", self.endpoint)
        } else {
            format!("{}{{?subject,predicate,object}}", self.endpoint)
        };

        let mut metadata = Vec::new();
        let mut add = |s: &NamedNode, p: NamedNodeRef<'_>, o: oxrdf::Term| {
            metadata.push(Triple::new(s.clone(), p, o));
        };
        let count = Literal::new_typed_literal(total.to_string(), xsd::INTEGER);
        add(
            &metadata_graph,
            foaf::PRIMARY_TOPIC,
            fragment.clone().into(),
        );

        let dataset = self.dataset_iri();
        add(&dataset, rdf::TYPE, void::DATASET.into_owned().into());
        add(&dataset, rdf::TYPE, hydra::COLLECTION.into_owned().into());
        add(&dataset, void::SUBSET, fragment.clone().into());
        if page_iri != fragment {
            add(&dataset, void::SUBSET, page_iri.clone().into());
        }
        // The page is part of its fragment. Comunica reads this link to find the metadata
        // graph (the graph whose primary topic is the fragment the page is a subset of); it
        // must come after the dataset's.
        add(&fragment, void::SUBSET, page_iri.clone().into());
        let form = NamedNode::new_unchecked(format!(
            "{}#{}",
            self.endpoint,
            if quads { "quad-search" } else { "search" }
        ));
        add(&dataset, hydra::SEARCH, form.clone().into());
        add(&form, rdf::TYPE, hydra::IRI_TEMPLATE.into_owned().into());
        add(
            &form,
            hydra::TEMPLATE,
            Literal::new_simple_literal(&template).into(),
        );
        add(
            &form,
            hydra::VARIABLE_REPRESENTATION,
            hydra::EXPLICIT_REPRESENTATION.into_owned().into(),
        );
        let mut mappings = vec![
            ("subject", rdf::SUBJECT),
            ("predicate", rdf::PREDICATE),
            ("object", rdf::OBJECT),
        ];
        if quads {
            mappings.push(("graph", sd::GRAPH));
        }
        for (variable, property) in mappings {
            let mapping = NamedNode::new_unchecked(format!("{}#{variable}", self.endpoint));
            add(&form, hydra::MAPPING, mapping.clone().into());
            add(
                &mapping,
                rdf::TYPE,
                hydra::IRI_TEMPLATE_MAPPING.into_owned().into(),
            );
            add(
                &mapping,
                hydra::VARIABLE,
                Literal::new_simple_literal(variable).into(),
            );
            add(&mapping, hydra::PROPERTY, property.into_owned().into());
        }

        // Counts on the fragment and on the page, so a client finds them on whichever
        // address it asked for.
        let mut described = vec![fragment.clone()];
        if page_iri != fragment {
            described.push(page_iri.clone());
        }
        for subject in &described {
            add(subject, void::TRIPLES, count.clone().into());
            add(subject, hydra::TOTAL_ITEMS, count.clone().into());
            add(
                subject,
                hydra::ITEMS_PER_PAGE,
                Literal::new_typed_literal(page_size.to_string(), xsd::INTEGER).into(),
            );
        }
        add(&fragment, rdf::TYPE, hydra::COLLECTION.into_owned().into());
        add(&fragment, hydra::VIEW, page_iri.clone().into());
        add(
            &page_iri,
            rdf::TYPE,
            hydra::PARTIAL_COLLECTION_VIEW.into_owned().into(),
        );
        if total > 0 {
            add(&page_iri, hydra::FIRST, self.page_iri(selector, 1).into());
        }
        if let Some(previous) = &previous {
            add(&page_iri, hydra::PREVIOUS, previous.clone().into());
        }
        if let Some(next) = &next {
            add(&page_iri, hydra::NEXT, next.clone().into());
        }

        FragmentDocument {
            fragment_iri: fragment,
            page_iri,
            metadata_graph,
            data,
            metadata,
            page,
            total,
            previous,
            next,
            template,
        }
    }
}

impl FragmentDocument {
    /// Everything as quads: data as built, metadata and controls in the metadata graph.
    pub fn quads(&self) -> impl Iterator<Item = Quad> + '_ {
        let graph = GraphName::NamedNode(self.metadata_graph.clone());
        self.data.iter().cloned().chain(
            self.metadata
                .iter()
                .map(move |t| t.clone().in_graph(graph.clone())),
        )
    }

    /// Everything as triples in one graph (for Turtle and N-Triples).
    pub fn triples(&self) -> impl Iterator<Item = Triple> + '_ {
        self.data
            .iter()
            .map(|q| Triple::new(q.subject.clone(), q.predicate.clone(), q.object.clone()))
            .chain(self.metadata.iter().cloned())
    }
}
