//! The data graph: interned terms and three sorted triple indexes.

use std::io::Read;

use oxrdf::{Term, TermRef, Triple};
use oxrdfio::{RdfFormat, RdfParser};
use rustc_hash::FxHashMap;

use crate::error::ShaclError;

/// The number that stands for one RDF term inside an [`IndexedGraph`].
pub type TermId = u32;

/// A read-only RDF graph held as interned terms and two sorted indexes (SPO, POS).
///
/// Every lookup the validator makes (objects of a subject and predicate, subjects of a
/// predicate and object, every triple with a predicate or a subject) is a binary search
/// over a flat array of `u32` triples, so a million triples take about 24 MB of index.
#[derive(Debug, Default, Clone)]
pub struct IndexedGraph {
    terms: Vec<Term>,
    ids: FxHashMap<Term, TermId>,
    spo: Vec<[TermId; 3]>,
    pos: Vec<[TermId; 3]>,
}

impl IndexedGraph {
    /// Builds the graph from triples; duplicates are kept once.
    pub fn from_triples(triples: impl IntoIterator<Item = Triple>) -> Self {
        let mut builder = GraphBuilder::default();
        for triple in triples {
            builder.insert(triple);
        }
        builder.build()
    }

    /// Parses RDF in any syntax oxigraph reads; for a dataset syntax (TriG, N-Quads) the
    /// triples of every graph are merged into one data graph.
    pub fn parse(
        reader: impl Read,
        format: RdfFormat,
        base_iri: Option<&str>,
        source: &str,
    ) -> Result<Self, ShaclError> {
        let mut builder = GraphBuilder::default();
        builder.parse(reader, format, base_iri, source)?;
        Ok(builder.build())
    }

    /// How many distinct triples the graph holds.
    pub fn len(&self) -> usize {
        self.spo.len()
    }

    /// Whether the graph holds no triple.
    pub fn is_empty(&self) -> bool {
        self.spo.is_empty()
    }

    /// The id of a term, if the graph mentions it.
    pub fn id(&self, term: TermRef<'_>) -> Option<TermId> {
        self.ids.get(&term.into_owned()).copied()
    }

    /// The id of an owned term, if the graph mentions it.
    pub fn id_of(&self, term: &Term) -> Option<TermId> {
        self.ids.get(term).copied()
    }

    /// The term behind an id of this graph.
    pub fn term(&self, id: TermId) -> Option<&Term> {
        self.terms.get(id as usize)
    }

    /// The term behind an id that this graph handed out.
    ///
    /// Ids come only from this graph's own indexes, so they are always in range.
    pub(crate) fn term_at(&self, id: TermId) -> &Term {
        &self.terms[id as usize]
    }

    /// How many distinct terms the graph mentions; ids are `0..term_count()`.
    pub fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The objects of every triple `(subject, predicate, ?)`.
    pub fn objects(&self, subject: TermId, predicate: TermId) -> impl Iterator<Item = TermId> + '_ {
        prefix2(&self.spo, subject, predicate).iter().map(|t| t[2])
    }

    /// The subjects of every triple `(?, predicate, object)`.
    pub fn subjects(&self, predicate: TermId, object: TermId) -> impl Iterator<Item = TermId> + '_ {
        prefix2(&self.pos, predicate, object).iter().map(|t| t[2])
    }

    /// Every `(subject, object)` pair of the triples with this predicate.
    pub fn with_predicate(&self, predicate: TermId) -> impl Iterator<Item = (TermId, TermId)> + '_ {
        prefix1(&self.pos, predicate).iter().map(|t| (t[2], t[1]))
    }

    /// Every `(predicate, object)` pair of the triples with this subject.
    pub fn with_subject(&self, subject: TermId) -> impl Iterator<Item = (TermId, TermId)> + '_ {
        prefix1(&self.spo, subject).iter().map(|t| (t[1], t[2]))
    }

    /// Every triple of the graph.
    pub(crate) fn triples(&self) -> impl Iterator<Item = Triple> + '_ {
        self.spo.iter().filter_map(|[s, p, o]| {
            let subject = match self.term_at(*s) {
                Term::NamedNode(n) => oxrdf::NamedOrBlankNode::from(n.clone()),
                Term::BlankNode(b) => b.clone().into(),
                Term::Literal(_) => return None,
            };
            let Term::NamedNode(predicate) = self.term_at(*p) else {
                return None;
            };
            Some(Triple::new(
                subject,
                predicate.clone(),
                self.term_at(*o).clone(),
            ))
        })
    }

    /// Whether the triple is in the graph.
    pub fn contains(&self, subject: TermId, predicate: TermId, object: TermId) -> bool {
        self.spo
            .binary_search(&[subject, predicate, object])
            .is_ok()
    }
}

/// Collects triples, then sorts them into an [`IndexedGraph`].
#[derive(Debug, Default)]
pub struct GraphBuilder {
    terms: Vec<Term>,
    ids: FxHashMap<Term, TermId>,
    spo: Vec<[TermId; 3]>,
}

impl GraphBuilder {
    /// Adds one triple.
    pub fn insert(&mut self, triple: Triple) {
        let s = self.intern(triple.subject.into());
        let p = self.intern(triple.predicate.into());
        let o = self.intern(triple.object);
        self.spo.push([s, p, o]);
    }

    /// Parses a whole document into the graph (graph names are dropped).
    pub fn parse(
        &mut self,
        reader: impl Read,
        format: RdfFormat,
        base_iri: Option<&str>,
        source: &str,
    ) -> Result<(), ShaclError> {
        let mut parser = RdfParser::from_format(format);
        if let Some(base) = base_iri {
            parser = parser.with_base_iri(base).map_err(|e| ShaclError::Parse {
                source_name: source.to_owned(),
                message: format!("invalid base IRI {base}: {e}"),
            })?;
        }
        for quad in parser.for_reader(reader) {
            let quad = quad.map_err(|e| ShaclError::Parse {
                source_name: source.to_owned(),
                message: e.to_string(),
            })?;
            self.insert(Triple::new(quad.subject, quad.predicate, quad.object));
        }
        Ok(())
    }

    fn intern(&mut self, term: Term) -> TermId {
        if let Some(id) = self.ids.get(&term) {
            return *id;
        }
        // Ids are u32: a graph with four billion distinct terms does not fit in memory anyway.
        let id = u32::try_from(self.terms.len()).unwrap_or(u32::MAX);
        self.terms.push(term.clone());
        self.ids.insert(term, id);
        id
    }

    /// Sorts the indexes.
    pub fn build(self) -> IndexedGraph {
        let mut spo = self.spo;
        spo.sort_unstable();
        spo.dedup();
        let mut pos: Vec<[TermId; 3]> = spo.iter().map(|t| [t[1], t[2], t[0]]).collect();
        pos.sort_unstable();
        IndexedGraph {
            terms: self.terms,
            ids: self.ids,
            spo,
            pos,
        }
    }
}

fn prefix1(index: &[[TermId; 3]], a: TermId) -> &[[TermId; 3]] {
    let start = index.partition_point(|t| t[0] < a);
    let end = start + index[start..].partition_point(|t| t[0] == a);
    &index[start..end]
}

fn prefix2(index: &[[TermId; 3]], a: TermId, b: TermId) -> &[[TermId; 3]] {
    let start = index.partition_point(|t| (t[0], t[1]) < (a, b));
    let end = start + index[start..].partition_point(|t| t[0] == a && t[1] == b);
    &index[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf::{Literal, NamedNode};

    fn iri(s: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("http://example.org/{s}"))
    }

    #[test]
    fn lookups_find_exactly_the_matching_triples() {
        let graph = IndexedGraph::from_triples([
            Triple::new(iri("a"), iri("p"), iri("b")),
            Triple::new(iri("a"), iri("p"), Literal::from(1)),
            Triple::new(iri("a"), iri("q"), iri("b")),
            Triple::new(iri("c"), iri("p"), iri("b")),
            Triple::new(iri("c"), iri("p"), iri("b")),
        ]);
        assert_eq!(graph.len(), 4);
        let id = |t: Term| graph.id_of(&t).unwrap_or(u32::MAX);
        let (a, p, b, c) = (
            id(iri("a").into()),
            id(iri("p").into()),
            id(iri("b").into()),
            id(iri("c").into()),
        );
        assert_eq!(graph.objects(a, p).count(), 2);
        let mut subjects: Vec<_> = graph.subjects(p, b).collect();
        subjects.sort_unstable();
        assert_eq!(subjects, vec![a, c]);
        assert_eq!(graph.with_predicate(p).count(), 3);
        assert_eq!(graph.with_subject(a).count(), 3);
        assert!(graph.contains(c, p, b));
        assert!(!graph.contains(b, p, c));
    }
}
