//! Reading a remote Linked Data Event Stream: one fetched node at a time, its members (each
//! with its content) and the nodes its relations lead to.
//!
//! A member's content is what the member-extraction algorithm gives: the member's own
//! statements, plus what hangs off it in the same document (its result, its time entities),
//! followed through objects that the document describes, up to a few hops, never into another
//! member or into the stream's own structure. Blank nodes are replaced by IRIs derived from
//! the member and the path to them, so that the same member always gives the same quads and
//! nothing in the store is a blank node.

use std::collections::{BTreeSet, VecDeque};

// Seeded fast hashes: every member's triples are hashed several times while a node is read.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use belfort_vocab::{ldes, rdf, tree};
use oxrdf::{NamedNode, NamedNodeRef, NamedOrBlankNode, Term, Triple};
use oxrdfio::{RdfFormat, RdfParser};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// Hops followed from a member into the document.
const MAX_DEPTH: usize = 4;

/// Media types asked for, in order of preference.
pub const ACCEPT: &str = "application/n-quads, application/n-triples;q=0.95, application/trig;q=0.9, text/turtle;q=0.9, application/ld+json;q=0.5";

/// A document that is not a usable event-stream node.
#[derive(Debug, Error)]
#[error("{url}: {message}")]
pub struct NodeError {
    /// Its URL.
    pub url: String,
    /// What is wrong.
    pub message: String,
}

/// One member and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The member.
    pub iri: NamedNode,
    /// Its content, blank nodes replaced.
    pub triples: Vec<Triple>,
}

/// What one fetched node says.
#[derive(Debug, Clone, Default)]
pub struct StreamNode {
    /// The event stream (`?s tree:view` or `a ldes:EventStream`), when the document names it.
    pub stream: Option<NamedNode>,
    /// The stream's view (where a client starts), when the document names it.
    pub view: Option<NamedNode>,
    /// The members of the stream in this document.
    pub members: Vec<Member>,
    /// Nodes the relations of this document lead to.
    pub relations: Vec<String>,
    /// `ldes:pollingInterval`, in seconds.
    pub polling_interval: Option<u64>,
}

/// The RDF syntax of a media type, else of the URL's extension, else of the bytes: JSON-LD
/// when they open with `{` or `[`, TriG otherwise (which reads Turtle and N-Triples too).
/// A declared type that is neither RDF nor a generic one (`text/plain`, octet stream) is not
/// an event-stream node.
fn format_of(content_type: Option<&str>, url: &str, body: &[u8]) -> Option<RdfFormat> {
    if let Some(declared) = content_type {
        if let Some(format) = RdfFormat::from_media_type(declared) {
            return Some(format);
        }
        if !matches!(declared, "text/plain" | "application/octet-stream") {
            return None;
        }
    }
    let extension = url.rsplit('.').next().and_then(RdfFormat::from_extension);
    Some(
        extension.unwrap_or_else(|| match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{' | b'[') => RdfFormat::JsonLd {
                profile: oxrdfio::JsonLdProfileSet::empty(),
            },
            _ => RdfFormat::TriG,
        }),
    )
}

/// Reads one node of a stream from its bytes.
pub fn read_node(
    url: &str,
    content_type: Option<&str>,
    body: &[u8],
    expected_stream: Option<&NamedNode>,
) -> Result<StreamNode, NodeError> {
    let error = |message: String| NodeError {
        url: url.to_owned(),
        message,
    };
    let format = format_of(content_type, url, body).ok_or_else(|| {
        error(format!(
            "not an RDF document (Content-Type {})",
            content_type.unwrap_or("missing")
        ))
    })?;
    let mut triples = Vec::new();
    for quad in RdfParser::from_format(format)
        .with_base_iri(url)
        .map_err(|e| error(e.to_string()))?
        .for_slice(body)
    {
        let quad = quad.map_err(|e| error(e.to_string()))?;
        triples.push(Triple::from(quad));
    }
    Ok(interpret(&triples, expected_stream))
}

fn interpret(triples: &[Triple], expected_stream: Option<&NamedNode>) -> StreamNode {
    let is = |t: &Triple, predicate: NamedNodeRef<'_>| t.predicate == predicate;
    let mut node = StreamNode::default();
    if let Some(view) = triples.iter().find(|t| is(t, tree::VIEW)) {
        if let NamedOrBlankNode::NamedNode(stream) = &view.subject {
            node.stream = Some(stream.clone());
        }
        if let Term::NamedNode(target) = &view.object {
            node.view = Some(target.clone());
        }
    }
    if node.stream.is_none() {
        node.stream = triples
            .iter()
            .find(|t| {
                is(t, rdf::TYPE)
                    && matches!(&t.object, Term::NamedNode(n) if n.as_ref() == ldes::EVENT_STREAM)
            })
            .and_then(|t| match &t.subject {
                NamedOrBlankNode::NamedNode(n) => Some(n.clone()),
                NamedOrBlankNode::BlankNode(_) => None,
            });
    }
    node.polling_interval = triples
        .iter()
        .find(|t| is(t, ldes::POLLING_INTERVAL))
        .and_then(|t| match &t.object {
            Term::Literal(l) => l.value().parse().ok(),
            _ => None,
        });
    let stream = expected_stream.cloned().or_else(|| node.stream.clone());
    // The stream's structure: relations, nodes, the stream; never member content.
    let mut structure: HashSet<Term> = HashSet::new();
    let mut relation_targets = BTreeSet::new();
    for t in triples {
        if is(t, tree::RELATION_PROPERTY) {
            structure.insert(t.subject.clone().into());
            structure.insert(t.object.clone());
        }
        if is(t, tree::NODE_PROPERTY) {
            structure.insert(t.object.clone());
            if let Term::NamedNode(target) = &t.object {
                relation_targets.insert(target.as_str().to_owned());
            }
        }
        if is(t, tree::VIEW) {
            structure.insert(t.object.clone());
        }
    }
    if let Some(stream) = &stream {
        structure.insert(stream.clone().into());
    }
    node.relations = relation_targets.into_iter().collect();
    let members: Vec<NamedNode> = triples
        .iter()
        .filter(|t| is(t, tree::MEMBER))
        .filter(|t| {
            stream
                .as_ref()
                .is_none_or(|s| matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n == s))
        })
        .filter_map(|t| match &t.object {
            Term::NamedNode(n) => Some(n.clone()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut by_subject: HashMap<&NamedOrBlankNode, Vec<&Triple>> = HashMap::new();
    for t in triples {
        if !is(t, tree::MEMBER) {
            by_subject.entry(&t.subject).or_default().push(t);
        }
    }
    let member_set: HashSet<Term> = members.iter().map(|m| Term::from(m.clone())).collect();
    node.members = members
        .into_iter()
        .map(|iri| {
            let triples = extract(&iri, &by_subject, &structure, &member_set);
            Member { iri, triples }
        })
        .collect();
    node
}

/// The member's content: a breadth-first walk from the member over described objects.
fn extract(
    member: &NamedNode,
    by_subject: &HashMap<&NamedOrBlankNode, Vec<&Triple>>,
    structure: &HashSet<Term>,
    members: &HashSet<Term>,
) -> Vec<Triple> {
    let start = NamedOrBlankNode::from(member.clone());
    // In the order of the walk (the document's order within a node), each statement once.
    let mut out = Vec::new();
    let mut written: HashSet<Triple> = HashSet::new();
    let mut seen: HashSet<NamedOrBlankNode> = HashSet::new();
    seen.insert(start.clone());
    // (node, path of predicates from the member, depth)
    let mut queue = VecDeque::from([(start, String::new(), 0usize)]);
    let mut names: HashMap<NamedOrBlankNode, NamedOrBlankNode> = HashMap::new();
    while let Some((subject, path, depth)) = queue.pop_front() {
        let Some(statements) = by_subject.get(&subject) else {
            continue;
        };
        let subject_name = names
            .get(&subject)
            .cloned()
            .unwrap_or_else(|| subject.clone());
        for t in statements {
            let object_name = match &t.object {
                Term::BlankNode(_) => {
                    let node = NamedOrBlankNode::from(match &t.object {
                        Term::BlankNode(b) => b.clone(),
                        _ => continue,
                    });
                    let name = names
                        .entry(node.clone())
                        .or_insert_with(|| {
                            skolem(member, &format!("{path}/{}", t.predicate)).into()
                        })
                        .clone();
                    Term::from(name)
                }
                other => other.clone(),
            };
            let triple = Triple::new(subject_name.clone(), t.predicate.clone(), object_name);
            if written.insert(triple.clone()) {
                out.push(triple);
            }
            let next = match &t.object {
                Term::NamedNode(n) => NamedOrBlankNode::from(n.clone()),
                Term::BlankNode(b) => NamedOrBlankNode::from(b.clone()),
                Term::Literal(_) => continue,
            };
            if depth < MAX_DEPTH
                && !structure.contains(&t.object)
                && !members.contains(&t.object)
                && by_subject.contains_key(&next)
                && seen.insert(next.clone())
            {
                queue.push_back((next, format!("{path}/{}", t.predicate), depth + 1));
            }
        }
    }
    out
}

/// A stable IRI for a blank node reached from `member` along `path`.
fn skolem(member: &NamedNode, path: &str) -> NamedNode {
    let digest = Sha256::digest(format!("{}\n{path}", member.as_str()).as_bytes());
    let base = member.as_str().split('#').next().unwrap_or(member.as_str());
    NamedNode::new_unchecked(format!("{base}#genid-{}", hex_prefix(&digest)))
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"
@prefix tree: <https://w3id.org/tree#> .
@prefix ldes: <https://w3id.org/ldes#> .
@prefix sosa: <http://www.w3.org/ns/sosa/> .
@prefix qudt: <http://qudt.org/schema/qudt/> .
<https://x.example/ldes#stream> a ldes:EventStream ; tree:view <https://x.example/ldes> ;
    ldes:pollingInterval 30 ;
    tree:member <https://x.example/obs/1> , <https://x.example/obs/2> .
<https://x.example/ldes> a tree:Node ; tree:relation <https://x.example/ldes#r> , [
    a tree:LessThanRelation ; tree:node <https://x.example/ldes/2> ] .
<https://x.example/ldes#r> tree:node <https://x.example/ldes/1> .
<https://x.example/obs/1> a sosa:Observation ; sosa:hasResult [ qudt:numericValue 3 ; qudt:hasUnit <https://u/NUM> ] ;
    sosa:phenomenonTime <https://x.example/t/1> ; sosa:madeBySensor <https://x.example/s/1> .
<https://x.example/t/1> <https://t#inXSDDateTimeStamp> "2026-01-01T00:00:00Z" .
<https://x.example/obs/2> a sosa:Observation ; sosa:phenomenonTime <https://x.example/t/1> ;
    <https://x.example/p/sees> <https://x.example/obs/1> .
"#;

    #[test]
    fn a_node_gives_its_members_whole_and_its_relations() {
        let node = read_node(
            "https://x.example/ldes",
            Some("text/turtle"),
            PAGE.as_bytes(),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            node.stream.as_ref().map(NamedNode::as_str),
            Some("https://x.example/ldes#stream")
        );
        assert_eq!(node.polling_interval, Some(30));
        assert_eq!(
            node.relations,
            ["https://x.example/ldes/1", "https://x.example/ldes/2"]
        );
        assert_eq!(node.members.len(), 2);
        let first = &node.members[0];
        let text: Vec<String> = first.triples.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 7, "{text:#?}");
        assert!(text.iter().any(|t| t.contains("numericValue")));
        assert!(text.iter().any(|t| t.contains("inXSDDateTimeStamp")));
        assert!(
            first
                .triples
                .iter()
                .all(|t| !t.subject.is_blank_node() && !t.object.is_blank_node())
        );
        // The same bytes give the same member, blank nodes included.
        let again = read_node(
            "https://x.example/ldes",
            Some("text/turtle"),
            PAGE.as_bytes(),
            None,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.members, node.members);
        // Another member is referenced, never swallowed.
        let second: Vec<String> = node.members[1]
            .triples
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            second.iter().all(|t| !t.contains("numericValue")),
            "{second:#?}"
        );
    }

    #[test]
    fn bytes_that_are_not_rdf_are_an_error_naming_the_url() {
        let error = read_node(
            "https://x.example/ldes",
            Some("text/turtle"),
            b"<a> <b",
            None,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(error.starts_with("https://x.example/ldes: "), "{error}");
        assert!(read_node("https://x.example/ldes", Some("image/png"), b"", None).is_err());
    }
}
