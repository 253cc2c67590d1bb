//! Linked Data Event Stream documents: the list of streams, a stream's root node (with the
//! stream's context), its month nodes, its day nodes and its pages of members. Every relation is a pair of
//! `tree:GreaterThanOrEqualToRelation` / `tree:LessThanRelation` on the timestamp path, so a
//! client can prune by time; relations get IRIs (no blank nodes).

use std::collections::{BTreeMap, BTreeSet};

use belfort_vocab::{dcat, dct, ldes, rdf, tree, xsd};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use oxrdf::{Literal, NamedNode, NamedNodeRef, Term, Triple};

/// What every document of the streams shares.
#[derive(Debug, Clone)]
pub struct EventStreamDocuments {
    /// The public address of the stream list, without a trailing slash (`https://host/ldes`).
    list: String,
    /// Seconds a client waits before polling an open page again.
    pub polling_interval: u32,
    /// How long members are kept, as an `xsd:duration` (`P1Y`); `None`: forever.
    pub retention: Option<String>,
    /// The shape every member meets and its triples, stated on each root node.
    pub shape: Option<(NamedNode, Vec<Triple>)>,
}

/// One page of a day node: its index and its first member's publication time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageBound {
    /// The page's index within the day.
    pub index: u64,
    /// When its first member was published.
    pub first_issued: DateTime<Utc>,
}

impl EventStreamDocuments {
    /// Documents under `list` (`https://host/ldes`).
    pub fn new(list: &str) -> Self {
        Self {
            list: list.trim_end_matches('/').to_owned(),
            polling_interval: 60,
            retention: None,
            shape: None,
        }
    }

    /// The root node of a stream: where clients start.
    pub fn root_iri(&self, stream: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}/{stream}", self.list))
    }

    /// The stream itself (`ldes:EventStream`).
    pub fn stream_iri(&self, stream: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("{}/{stream}#stream", self.list))
    }

    /// A month node (`month` is its first day).
    pub fn month_iri(&self, stream: &str, month: NaiveDate) -> NamedNode {
        NamedNode::new_unchecked(format!("{}/{stream}/{}", self.list, month.format("%Y-%m")))
    }

    /// A day node.
    pub fn day_iri(&self, stream: &str, day: NaiveDate) -> NamedNode {
        NamedNode::new_unchecked(format!("{}/{stream}/{}", self.list, day.format("%Y-%m-%d")))
    }

    /// A page of a day.
    pub fn page_iri(&self, stream: &str, day: NaiveDate, index: u64) -> NamedNode {
        NamedNode::new_unchecked(format!(
            "{}/{stream}/{}/{index}",
            self.list,
            day.format("%Y-%m-%d")
        ))
    }

    /// `/ldes`: every stream with its view.
    pub fn list(&self, streams: &[String]) -> Vec<Triple> {
        let list = NamedNode::new_unchecked(self.list.clone());
        let mut triples = vec![
            Triple::new(list.clone(), rdf::TYPE, dcat::CATALOG),
            Triple::new(
                list.clone(),
                dct::TITLE,
                Literal::new_language_tagged_literal_unchecked(
                    "Event streams of the published observations",
                    "en",
                ),
            ),
        ];
        for stream in streams {
            let iri = self.stream_iri(stream);
            triples.push(Triple::new(
                list.clone(),
                dcat::DATASET_PROPERTY,
                iri.clone(),
            ));
            triples.extend(self.stream_context(stream));
        }
        triples
    }

    fn stream_context(&self, stream: &str) -> Vec<Triple> {
        let iri = self.stream_iri(stream);
        let root = self.root_iri(stream);
        let mut triples = vec![
            Triple::new(iri.clone(), rdf::TYPE, ldes::EVENT_STREAM),
            Triple::new(iri.clone(), rdf::TYPE, dcat::DATASET),
            Triple::new(
                iri.clone(),
                dct::IDENTIFIER,
                Literal::new_simple_literal(stream),
            ),
            Triple::new(iri.clone(), ldes::TIMESTAMP_PATH, dct::ISSUED),
            Triple::new(iri.clone(), tree::VIEW, root),
        ];
        if let Some((shape, _)) = &self.shape {
            triples.push(Triple::new(iri, tree::SHAPE, shape.clone()));
        }
        triples
    }

    /// A stream's root node: the stream's context, retention and a relation pair per day.
    pub fn root(&self, stream: &str, days: &[NaiveDate]) -> Vec<Triple> {
        let root = self.root_iri(stream);
        let stream_iri = self.stream_iri(stream);
        let mut triples = self.stream_context(stream);
        triples.push(Triple::new(
            stream_iri,
            ldes::POLLING_INTERVAL,
            Literal::new_typed_literal(self.polling_interval.to_string(), xsd::INTEGER),
        ));
        if let Some((_, shape_triples)) = &self.shape {
            triples.extend(shape_triples.iter().cloned());
        }
        triples.push(Triple::new(root.clone(), rdf::TYPE, tree::NODE));
        let description = fragment(&root, "description");
        triples.push(Triple::new(
            root.clone(),
            tree::VIEW_DESCRIPTION,
            description.clone(),
        ));
        triples.push(Triple::new(
            description.clone(),
            rdf::TYPE,
            ldes::EVENT_SOURCE,
        ));
        triples.push(Triple::new(
            description.clone(),
            rdf::TYPE,
            dcat::DATA_SERVICE,
        ));
        triples.push(Triple::new(
            description.clone(),
            dcat::ENDPOINT_URL,
            root.clone(),
        ));
        if let Some(duration) = &self.retention {
            let policy = fragment(&root, "retention");
            let value = Literal::new_typed_literal(duration, xsd::DURATION);
            triples.push(Triple::new(
                description,
                ldes::RETENTION_POLICY,
                policy.clone(),
            ));
            triples.push(Triple::new(
                policy.clone(),
                ldes::FULL_LOG_DURATION,
                value.clone(),
            ));
            // The form deployed clients still read.
            triples.push(Triple::new(
                policy.clone(),
                rdf::TYPE,
                ldes::DURATION_AGO_POLICY,
            ));
            triples.push(Triple::new(policy.clone(), tree::PATH, dct::ISSUED));
            triples.push(Triple::new(policy, tree::VALUE, value));
        }
        let mut months: Vec<NaiveDate> = days.iter().map(|d| month_of(*d)).collect();
        months.dedup();
        for month in months {
            let (start, end) = month_bounds(month);
            let target = self.month_iri(stream, month);
            let key = month.format("%Y-%m").to_string();
            triples.extend(relation_pair(&root, &key, &target, start, end));
        }
        triples
    }

    /// A month node: a relation pair per day of the month that published members.
    pub fn month(&self, stream: &str, month: NaiveDate, days: &[NaiveDate]) -> Vec<Triple> {
        let node = self.month_iri(stream, month);
        let mut triples = vec![Triple::new(node.clone(), rdf::TYPE, tree::NODE)];
        for &day in days.iter().filter(|d| month_of(**d) == month) {
            let (start, end) = day_bounds(day);
            let target = self.day_iri(stream, day);
            let key = day.format("%Y-%m-%d").to_string();
            triples.extend(relation_pair(&node, &key, &target, start, end));
        }
        triples
    }

    /// A day node: a relation pair per page, `[first issued, next page's first issued)`, the
    /// last page bounded by the end of the day.
    pub fn day(&self, stream: &str, day: NaiveDate, pages: &[PageBound]) -> Vec<Triple> {
        let node = self.day_iri(stream, day);
        let mut triples = vec![Triple::new(node.clone(), rdf::TYPE, tree::NODE)];
        let (_, day_end) = day_bounds(day);
        for (position, page) in pages.iter().enumerate() {
            let end = pages
                .get(position + 1)
                .map_or(day_end, |next| next.first_issued);
            let target = self.page_iri(stream, day, page.index);
            triples.extend(relation_pair(
                &node,
                &format!("page-{}", page.index),
                &target,
                page.first_issued,
                end,
            ));
        }
        triples
    }

    /// A page: its members and everything that makes each a complete observation.
    pub fn page(
        &self,
        stream: &str,
        day: NaiveDate,
        index: u64,
        members: &[NamedNode],
        content: impl IntoIterator<Item = Triple>,
    ) -> Vec<Triple> {
        let node = self.page_iri(stream, day, index);
        let stream_iri = self.stream_iri(stream);
        let mut triples = vec![Triple::new(node, rdf::TYPE, tree::NODE)];
        triples.extend(
            members
                .iter()
                .map(|m| Triple::new(stream_iri.clone(), tree::MEMBER, m.clone())),
        );
        triples.extend(content);
        triples
    }
}

fn fragment(iri: &NamedNode, name: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{}#{name}", iri.as_str()))
}

/// The first day of the month of `day`.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// A UTC month (given by its first day) as `[start, end)`.
pub fn month_bounds(month: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let first = month_of(month);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (start(first), start(next))
}

/// A UTC day as `[start, end)`.
pub fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let end = day.checked_add_days(Days::new(1)).map_or(start(day), start);
    (start(day), end)
}

/// The lexical form of a bound: UTC with microseconds, as the members' `dct:issued`.
fn time_literal(at: DateTime<Utc>) -> Literal {
    Literal::new_typed_literal(
        at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        xsd::DATE_TIME,
    )
}

fn relation_pair(
    from: &NamedNode,
    key: &str,
    to: &NamedNode,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Triple> {
    let mut triples = Vec::with_capacity(10);
    for (suffix, kind, bound) in [
        ("from", tree::GREATER_THAN_OR_EQUAL_TO_RELATION, start),
        ("until", tree::LESS_THAN_RELATION, end),
    ] {
        let relation = fragment(from, &format!("{key}-{suffix}"));
        triples.push(Triple::new(
            from.clone(),
            tree::RELATION_PROPERTY,
            relation.clone(),
        ));
        let kind: NamedNodeRef<'_> = kind;
        triples.push(Triple::new(relation.clone(), rdf::TYPE, kind));
        triples.push(Triple::new(
            relation.clone(),
            tree::NODE_PROPERTY,
            to.clone(),
        ));
        triples.push(Triple::new(relation.clone(), tree::PATH, dct::ISSUED));
        triples.push(Triple::new(
            relation,
            tree::VALUE,
            Term::from(time_literal(bound)),
        ));
    }
    triples
}
/// The media type of a page in the TREE profile: Turtle whose blocks come in a known order.
pub const TREE_PROFILE_TURTLE: &str = "text/turtle;profile=\"https://w3id.org/tree/profile\"";

/// A page's triples in the order of the TREE profile: the hypermedia block first (everything
/// that is not about a member), then one block per member in publication order (`dct:issued`,
/// then IRI). A member's block holds its statements and those of the page's nodes it leads to
/// (its result, its phenomenon time, the interval's instants), repeated in every block that
/// needs them, so a client can take each member as soon as its block ends.
pub fn tree_profile_order(triples: Vec<Triple>, members: &[NamedNode]) -> Vec<Triple> {
    // Statements by subject, keyed by the subject as written (`<iri>`).
    let mut about: BTreeMap<String, Vec<Triple>> = BTreeMap::new();
    for triple in triples {
        about
            .entry(triple.subject.to_string())
            .or_default()
            .push(triple);
    }
    for statements in about.values_mut() {
        statements.sort_by_cached_key(ToString::to_string);
        statements.dedup();
    }
    // Each member's block: the member, then what it leads to, in the order found.
    let block_of = |member: &NamedNode| -> Vec<String> {
        let mut block = vec![member.to_string()];
        let mut next = 0;
        while let Some(node) = block.get(next).cloned() {
            next += 1;
            for triple in about.get(&node).into_iter().flatten() {
                if let Term::NamedNode(object) = &triple.object {
                    let object = object.to_string();
                    if about.contains_key(&object) && !block.contains(&object) {
                        block.push(object);
                    }
                }
            }
        }
        block
    };
    let issued = |member: &NamedNode| {
        about
            .get(&member.to_string())
            .into_iter()
            .flatten()
            .find(|t| t.predicate == dct::ISSUED)
            .map(|t| t.object.to_string())
    };
    let mut ordered_members: Vec<&NamedNode> = members.iter().collect();
    ordered_members.sort_by_cached_key(|m| (issued(m), m.as_str().to_owned()));
    ordered_members.dedup();
    let blocks: Vec<Vec<String>> = ordered_members.iter().map(|m| block_of(m)).collect();
    let in_blocks: BTreeSet<&String> = blocks.iter().flatten().collect();
    let mut ordered: Vec<Triple> = about
        .iter()
        .filter(|(subject, _)| !in_blocks.contains(subject))
        .flat_map(|(_, statements)| statements.iter().cloned())
        .collect();
    for block in &blocks {
        for node in block {
            ordered.extend(about.get(node).into_iter().flatten().cloned());
        }
    }
    ordered
}
