//! The event streams' member index, written in the same transaction as the members.
//!
//! Every new observation gets its publication time (`dct:issued`, the streams' timestamp) and
//! is filed into one page of each stream it belongs to. A stream is a tree of three levels:
//! the root node, one node per UTC day of publication, and pages of at most `page_size`
//! members in publication order. Publication times only grow (a batch never gets a time before
//! the latest one in the store), and a page's first member is published strictly after every
//! member of the page before it, so that the pages of a day cover disjoint intervals
//! `[first issued, next page's first issued)` and a closed page never changes.
//!
//! The index lives in its own named graph:
//!
//! ```text
//! <root> bf:ldesDay <root/2026-11-26> .
//! <root/2026-11-26> bf:ldesPage <root/2026-11-26/0> .
//! <root/2026-11-26/0> bf:firstIssued "2026-11-26T10:00:00.000000Z"^^xsd:dateTime ;
//!                     tree:member <observation> .
//! ```

use std::collections::HashMap;

use belfort_vocab::{belfort, dct, tree, xsd};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use oxrdf::{GraphName, Literal, NamedNode, Quad};

/// How the observations of a batch are filed into event streams.
#[derive(Debug, Clone)]
pub struct EventStreamIndexing {
    /// The named graph of the member index.
    pub graph: NamedNode,
    /// What every stream's root IRI starts with (ends with `/`).
    pub prefix: String,
    /// Members per page.
    pub page_size: usize,
    /// The streams (`all`, `gent/traffic`) of each observation of the batch, in the batch's
    /// order.
    pub memberships: Vec<Vec<String>>,
}

impl EventStreamIndexing {
    /// The root node of a stream.
    pub fn root(&self, stream: &str) -> String {
        format!("{}{stream}", self.prefix)
    }
}

/// Keeps, per key, the node with the highest rank; nodes without a rank are left out.
fn keep_highest<R: Ord + Copy>(
    links: impl IntoIterator<Item = (NamedNode, NamedNode)>,
    rank: impl Fn(&str) -> Option<R>,
) -> HashMap<NamedNode, (R, NamedNode)> {
    let mut highest: HashMap<NamedNode, (R, NamedNode)> = HashMap::new();
    for (key, node) in links {
        let Some(node_rank) = rank(node.as_str()) else {
            continue;
        };
        match highest.get_mut(&key) {
            Some(known) if known.0 >= node_rank => {}
            Some(known) => *known = (node_rank, node),
            None => {
                highest.insert(key, (node_rank, node));
            }
        }
    }
    highest
}

/// Each stream root's latest day node, from the index's `(root, bf:ldesDay, day)` links.
pub fn latest_days(
    links: impl IntoIterator<Item = (NamedNode, NamedNode)>,
) -> HashMap<NamedNode, (NaiveDate, NamedNode)> {
    keep_highest(links, day_of)
}

/// Each day node's last page, from the index's `(day, bf:ldesPage, page)` links.
pub fn latest_pages(
    links: impl IntoIterator<Item = (NamedNode, NamedNode)>,
) -> HashMap<NamedNode, (u64, NamedNode)> {
    keep_highest(links, page_index_of)
}

/// The IRI of a day node of the stream whose root is `root`.
pub fn day_node(root: &str, day: NaiveDate) -> String {
    format!("{root}/{}", day.format("%Y-%m-%d"))
}

/// The IRI of page `index` of a day node.
pub fn page_node(day_node: &str, index: u64) -> String {
    format!("{day_node}/{index}")
}

/// The lexical form of a publication time: UTC, microseconds, fixed width (so that text order
/// is time order).
pub fn issued_lexical(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The last page of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamTail {
    /// The day of the last page.
    pub day: NaiveDate,
    /// Its index within the day.
    pub page: u64,
    /// Members it holds.
    pub members: usize,
}

/// What the index needs to know of the store to file more members: each stream's last page
/// and the latest publication time.
#[derive(Debug, Clone, Default)]
pub struct StreamTails {
    /// By root IRI.
    pub tails: HashMap<String, StreamTail>,
    /// The latest publication time of any member.
    pub last_issued: Option<DateTime<Utc>>,
}

/// One new member of a batch: the observation and the graph its `dct:issued` goes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    /// The observation.
    pub iri: NamedNode,
    /// Its position in the batch (the index into `memberships`).
    pub position: usize,
}

/// Stored observations to file, by their position in `indexing.memberships`; those in no
/// stream are left out.
pub fn members_to_file(indexing: &EventStreamIndexing, members: &[NamedNode]) -> Vec<NewMember> {
    members
        .iter()
        .enumerate()
        .filter(|(position, _)| {
            indexing
                .memberships
                .get(*position)
                .is_some_and(|streams| !streams.is_empty())
        })
        .map(|(position, iri)| NewMember {
            iri: iri.clone(),
            position,
        })
        .collect()
}

impl StreamTails {
    /// Files `members` (published at `now` or just after the latest publication time) and
    /// returns the quads to write: each member's `dct:issued` in `member_graph`, the index in
    /// the index graph. `self` moves on to the new tails; keep the old value until the write
    /// has succeeded.
    pub fn file(
        &mut self,
        indexing: &EventStreamIndexing,
        members: &[NewMember],
        member_graph: &GraphName,
        now: DateTime<Utc>,
    ) -> Vec<Quad> {
        let index_graph = GraphName::NamedNode(indexing.graph.clone());
        let page_size = indexing.page_size.max(1);
        let mut quads = Vec::new();
        let mut issued = truncate_to_micros(now);
        if let Some(last) = self.last_issued {
            issued = issued.max(last + Duration::microseconds(1));
        }
        let mut first = true;
        for member in members {
            let Some(streams) = indexing.memberships.get(member.position) else {
                continue;
            };
            if streams.is_empty() {
                continue;
            }
            let roots: Vec<String> = streams.iter().map(|s| indexing.root(s)).collect();
            let opens_page = |tails: &HashMap<String, StreamTail>, at: DateTime<Utc>| {
                roots.iter().any(|root| {
                    tails
                        .get(root)
                        .is_none_or(|t| t.day != at.date_naive() || t.members >= page_size)
                })
            };
            // A new page starts strictly after everything published before it.
            if !first && opens_page(&self.tails, issued) {
                issued += Duration::microseconds(1);
            }
            first = false;
            let issued_literal = Literal::new_typed_literal(issued_lexical(issued), xsd::DATE_TIME);
            quads.push(Quad::new(
                member.iri.clone(),
                dct::ISSUED,
                issued_literal.clone(),
                member_graph.clone(),
            ));
            let day = issued.date_naive();
            for root in roots {
                let day_iri = day_node(&root, day);
                let tail = match self.tails.get(&root) {
                    Some(t) if t.day == day && t.members < page_size => t.clone(),
                    previous => {
                        let page = match previous {
                            Some(t) if t.day == day => t.page + 1,
                            _ => 0,
                        };
                        if previous.is_none_or(|t| t.day != day) {
                            quads.push(index_quad(
                                &root,
                                belfort::LDES_DAY,
                                &day_iri,
                                &index_graph,
                            ));
                        }
                        let page_iri = page_node(&day_iri, page);
                        quads.push(index_quad(
                            &day_iri,
                            belfort::LDES_PAGE,
                            &page_iri,
                            &index_graph,
                        ));
                        quads.push(Quad::new(
                            NamedNode::new_unchecked(page_iri),
                            belfort::FIRST_ISSUED,
                            issued_literal.clone(),
                            index_graph.clone(),
                        ));
                        StreamTail {
                            day,
                            page,
                            members: 0,
                        }
                    }
                };
                quads.push(Quad::new(
                    NamedNode::new_unchecked(page_node(&day_iri, tail.page)),
                    tree::MEMBER,
                    member.iri.clone(),
                    index_graph.clone(),
                ));
                self.tails.insert(
                    root,
                    StreamTail {
                        members: tail.members + 1,
                        ..tail
                    },
                );
            }
            self.last_issued = Some(issued);
        }
        quads
    }
}

fn index_quad(
    subject: &str,
    predicate: oxrdf::NamedNodeRef<'_>,
    object: &str,
    graph: &GraphName,
) -> Quad {
    Quad::new(
        NamedNode::new_unchecked(subject),
        predicate,
        NamedNode::new_unchecked(object),
        graph.clone(),
    )
}

fn truncate_to_micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// Reads a day node's date from its IRI (`…/2026-11-26`).
pub fn day_of(day_iri: &str) -> Option<NaiveDate> {
    let (_, day) = day_iri.rsplit_once('/')?;
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// Reads a page's index from its IRI (`…/2026-11-26/3`).
pub fn page_index_of(page_iri: &str) -> Option<u64> {
    page_iri.rsplit_once('/')?.1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indexing(page_size: usize, memberships: Vec<Vec<String>>) -> EventStreamIndexing {
        EventStreamIndexing {
            graph: NamedNode::new_unchecked("https://example.org/graph/ldes"),
            prefix: "https://example.org/ldes/".to_owned(),
            page_size,
            memberships,
        }
    }

    fn members(iris: &[NamedNode]) -> Vec<NewMember> {
        iris.iter()
            .enumerate()
            .map(|(position, iri)| NewMember {
                iri: iri.clone(),
                position,
            })
            .collect()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn pages_fill_up_to_the_page_size_and_start_strictly_later() {
        let iris: Vec<NamedNode> = (0..5)
            .map(|i| NamedNode::new_unchecked(format!("https://example.org/obs/{i}")))
            .collect();
        let indexing = indexing(2, vec![vec!["all".to_owned()]; 5]);
        let mut tails = StreamTails::default();
        let quads = tails.file(
            &indexing,
            &members(&iris),
            &GraphName::DefaultGraph,
            at("2026-11-26T10:00:00Z"),
        );
        let firsts: Vec<String> = quads
            .iter()
            .filter(|q| q.predicate == belfort::FIRST_ISSUED)
            .map(|q| format!("{} {}", q.subject, q.object))
            .collect();
        assert_eq!(firsts.len(), 3, "{firsts:?}");
        assert!(firsts[0].contains("/ldes/all/2026-11-26/0> \"2026-11-26T10:00:00.000000Z"));
        assert!(firsts[1].contains("/ldes/all/2026-11-26/1> \"2026-11-26T10:00:00.000001Z"));
        assert!(firsts[2].contains("/ldes/all/2026-11-26/2> \"2026-11-26T10:00:00.000002Z"));
        let tail = &tails.tails["https://example.org/ldes/all"];
        assert_eq!((tail.page, tail.members), (2, 1));
        // A later batch at an earlier clock still publishes after the latest member.
        let more = [NamedNode::new_unchecked("https://example.org/obs/5")];
        let quads = tails.file(
            &indexing,
            &members(&more),
            &GraphName::DefaultGraph,
            at("2026-11-26T09:00:00Z"),
        );
        assert!(quads.iter().any(
            |q| q.predicate == dct::ISSUED && q.object.to_string().contains("10:00:00.000003Z")
        ));
        assert!(
            !quads.iter().any(|q| q.predicate == belfort::FIRST_ISSUED),
            "page 2 had room"
        );
    }

    #[test]
    fn a_new_day_starts_page_zero_of_a_new_day_node() {
        let iris = [
            NamedNode::new_unchecked("https://example.org/obs/a"),
            NamedNode::new_unchecked("https://example.org/obs/b"),
        ];
        let indexing = indexing(
            10,
            vec![vec!["all".to_owned(), "gent/traffic".to_owned()]; 2],
        );
        let mut tails = StreamTails::default();
        tails.file(
            &indexing,
            &members(&iris[..1]),
            &GraphName::DefaultGraph,
            at("2026-11-26T23:59:59Z"),
        );
        let quads = tails.file(
            &indexing,
            &members(&iris[1..]),
            &GraphName::DefaultGraph,
            at("2026-11-27T00:00:01Z"),
        );
        let days: Vec<String> = quads
            .iter()
            .filter(|q| q.predicate == belfort::LDES_DAY)
            .map(|q| q.object.to_string())
            .collect();
        assert_eq!(
            days,
            [
                "<https://example.org/ldes/all/2026-11-27>",
                "<https://example.org/ldes/gent/traffic/2026-11-27>"
            ]
        );
        assert_eq!(tails.tails.len(), 2);
        assert!(tails.tails.values().all(|t| t.page == 0 && t.members == 1));
    }

    #[test]
    fn iris_of_the_index_read_back() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default();
        let day_iri = day_node("https://example.org/ldes/all", day);
        assert_eq!(day_of(&day_iri), Some(day));
        assert_eq!(page_index_of(&page_node(&day_iri, 12)), Some(12));
    }
}
