//! What the XML adapters share: a parser that refuses document type declarations (so neither
//! external entities nor entity expansion bombs are ever read), and line ranges for records.

use roxmltree::{Document, Node, ParsingOptions};

use crate::{FeedSpec, HarvestError, payload_format_error};

/// Elements a payload may hold; a document beyond this is refused rather than built.
const MAX_NODES: u32 = 50_000_000;

/// The payload as text, or an error naming the feed and the file.
fn utf8<'a>(
    feed: &FeedSpec,
    file: &str,
    format: &'static str,
    bytes: &'a [u8],
) -> Result<&'a str, HarvestError> {
    std::str::from_utf8(bytes)
        .map_err(|e| payload_format_error(feed, file, format, format!("not UTF-8: {e}")))
}

/// Parses a payload. A `<!DOCTYPE>` is refused outright: city feeds do not need one, and
/// refusing it rules out external entities (XXE) and exponential entity expansion.
fn parse_document<'i>(
    feed: &FeedSpec,
    file: &str,
    format: &'static str,
    text: &'i str,
) -> Result<Document<'i>, HarvestError> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        entity_resolver: None,
    };
    Document::parse_with_options(text, options).map_err(|e| {
        let message = match e {
            roxmltree::Error::DtdDetected => {
                "the document declares a DTD (<!DOCTYPE>): refused, as entities could read \
                 local files or expand without bound"
                    .to_owned()
            }
            other => other.to_string(),
        };
        payload_format_error(feed, file, format, message)
    })
}

/// Every part of a harvest parsed, with its text (for line ranges and raw records).
pub(crate) fn parse_parts<'a>(
    feed: &FeedSpec,
    format: &'static str,
    parts: &[(&str, &'a [u8])],
) -> Result<Vec<(&'a str, Document<'a>)>, HarvestError> {
    parts
        .iter()
        .map(|(file, bytes)| {
            let text = utf8(feed, file, format, bytes)?;
            Ok((text, parse_document(feed, file, format, text)?))
        })
        .collect()
}

/// The trimmed text of the first child element called `name`.
pub(crate) fn child_text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
        .map(str::trim)
}

/// Where each line of a document starts, so a node's line range is two binary searches
/// (counting newlines per record would make a large publication quadratic).
pub(crate) struct LineIndex(Vec<usize>);

impl LineIndex {
    pub(crate) fn new(source: &str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self(starts)
    }

    /// The 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|start| *start <= offset)
    }

    /// `lines A-B` of a node, 1-based.
    pub(crate) fn lines_of(&self, node: Node<'_, '_>) -> String {
        let range = node.range();
        format!(
            "lines {}-{}",
            self.line(range.start),
            self.line(range.end.saturating_sub(1))
        )
    }
}
