//! Bringing in every payload of one feed run: local files (when the feed allows them) and
//! HTTP(S) locations, with conditional GETs against what the previous run saw, server-driven
//! paging, and a watermark substituted into the URLs so that a run asks only for what is new.
//!
//! Conditional GETs apply to unpaged locations and to every event-stream node (an unchanged
//! node leads where it led last time, and its members are already stored); event-stream pages
//! their server declares immutable are read once. The state of a feed (validators per location, the archive digest
//! of the last payload, the watermark, the immutable pages read) is saved by the caller only
//! once the batch is stored: a crash between fetch and ingest leaves the old state, so the
//! next run fetches again and the idempotent ingest adds nothing twice.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::http::{Fetched, HttpFetcher, Validators};
use crate::{FeedSpec, HarvestError};

/// Where the watermark goes in a URL.
pub const WATERMARK_PLACEHOLDER: &str = "{watermark}";

/// How a feed's server hands out the rest of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paging {
    /// One document per location.
    None,
    /// Each page names the next one at a JSON pointer (SensorThings `/@iot.nextLink`).
    NextLink {
        /// JSON pointer of the next page's URL.
        pointer: String,
    },
    /// The nodes a Linked Data Event Stream page's `tree:relation`s lead to, all of them.
    TreeRelations,
    /// `limit` and `offset` query parameters; a page with fewer records than `page_size` at
    /// `results` (a JSON pointer to an array) is the last (Opendatasoft Explore).
    Offset {
        /// Records per page.
        page_size: u32,
        /// JSON pointer of the page's records.
        results: String,
    },
}

/// What a feed remembers between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedState {
    /// Per configured location (after watermark substitution is *not* applied: the template).
    #[serde(default)]
    pub locations: BTreeMap<String, LocationState>,
    /// The newest result time stored so far (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    /// Event-stream pages their server declared immutable, whose members are stored, with
    /// the pages their relations lead to: later runs do not fetch them again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub done_pages: BTreeMap<String, Vec<String>>,
}

/// What the last stored run saw at one location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationState {
    /// The server's `ETag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The server's `Last-Modified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// SHA-256 of the payload, as archived: what a 304 stands for.
    pub sha256: String,
    /// For an event-stream node: the nodes its relations lead to, followed again when it
    /// answers 304.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leads_to: Vec<String>,
}

impl FeedState {
    /// Reads the state at `path`; a missing file is a first run.
    pub fn load(path: &Path) -> Result<Self, HarvestError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| HarvestError::State {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(HarvestError::State {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }

    /// Writes the state at `path` atomically (a new file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), HarvestError> {
        let error = |e: std::io::Error| HarvestError::State {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(error)?;
        }
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| HarvestError::State {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, bytes).map_err(error)?;
        std::fs::rename(&partial, path).map_err(error)
    }
}

/// One payload of a run.
#[derive(Debug, Clone)]
pub struct FetchedPayload {
    /// The configured location (the template, before the watermark) or a page's URL.
    pub location: String,
    /// The URL or path actually read.
    pub source: String,
    /// The bytes; `None` when the server answered 304 Not Modified and the payload is the
    /// one recorded in the previous state (`LocationState::sha256`).
    pub bytes: Option<Vec<u8>>,
    /// The validators to remember for a configured location or an event-stream node (none
    /// for other follow-up pages).
    pub validators: Validators,
    /// For an event-stream page its server declares immutable: the pages it leads to.
    pub immutable_page: Option<Vec<String>>,
    /// For an event-stream node: the nodes its relations lead to.
    pub leads_to: Vec<String>,
    /// An event-stream node that answered 304: its members were stored by the run that last
    /// read it, so there is nothing to ingest (and no archived copy to read again).
    pub already_stored: bool,
}

impl FetchedPayload {
    /// A payload read whole, with nothing remembered about it.
    fn read(location: &str, source: String, bytes: Vec<u8>) -> Self {
        Self {
            location: location.to_owned(),
            source,
            bytes: Some(bytes),
            validators: Validators::default(),
            immutable_page: None,
            leads_to: Vec::new(),
            already_stored: false,
        }
    }
}

/// Fetches every payload of one run of `feed`.
pub fn fetch_feed(
    feed: &FeedSpec,
    fetcher: &HttpFetcher,
    state: &FeedState,
) -> Result<Vec<FetchedPayload>, HarvestError> {
    let mut payloads = Vec::new();
    for location in &feed.locations {
        if !is_remote(location) {
            if !feed.allow_local_files {
                return Err(HarvestError::UnsupportedLocation {
                    feed: feed.id.to_string(),
                    location: location.clone(),
                    message: "local files are read only for feeds with allow_local_files = true"
                        .to_owned(),
                });
            }
            payloads.push(FetchedPayload::read(
                location,
                location.clone(),
                crate::fetch(feed, location)?,
            ));
            continue;
        }
        let mut url = with_watermark(
            location,
            state.watermark.as_deref(),
            &feed.initial_watermark,
        );
        if let Paging::Offset { page_size, .. } = feed.paging {
            url = offset_page(feed, &url, page_size, 0)?;
        }
        // A paged collection is fetched whole: an unchanged first page says nothing of the
        // pages after it (its watermark is what narrows it). Event-stream nodes are the
        // exception: each is asked conditionally, and an unchanged one leads where it did.
        let is_stream = feed.paging == Paging::TreeRelations;
        let conditional = feed.paging == Paging::None || is_stream;
        let mut seen: HashSet<String> = HashSet::from([url.clone()]);
        let mut next: VecDeque<String> = VecDeque::new();
        let previous = state.locations.get(location).filter(|_| conditional);
        let first = get(feed, fetcher, &url, &validators_of(previous))?;
        if first.status == 304
            && let Some(previous) = previous
        {
            payloads.push(FetchedPayload {
                bytes: None,
                validators: validators_of(Some(previous)),
                already_stored: is_stream,
                leads_to: previous.leads_to.clone(),
                ..FetchedPayload::read(location, url, Vec::new())
            });
            if !is_stream {
                continue;
            }
            next.extend(previous.leads_to.iter().cloned());
        } else {
            let leads_to = next_pages(feed, &url, &first.body, 1)?;
            next.extend(leads_to.iter().cloned());
            payloads.push(FetchedPayload {
                validators: if conditional {
                    Validators {
                        etag: first.etag.clone(),
                        last_modified: first.last_modified.clone(),
                    }
                } else {
                    Validators::default()
                },
                leads_to: if is_stream { leads_to } else { Vec::new() },
                ..FetchedPayload::read(location, url, first.body)
            });
        }
        let mut pages = 1;
        while let Some(page_url) = next.pop_front() {
            if !seen.insert(page_url.clone()) {
                continue;
            }
            if let Some(leads_to) = state.done_pages.get(&page_url) {
                next.extend(leads_to.iter().cloned());
                continue;
            }
            pages += 1;
            if pages > feed.max_pages {
                return Err(HarvestError::TooManyPages {
                    feed: feed.id.to_string(),
                    location: location.clone(),
                    limit: feed.max_pages,
                });
            }
            let previous = state.locations.get(&page_url).filter(|_| is_stream);
            let page = get(feed, fetcher, &page_url, &validators_of(previous))?;
            if page.status == 410 {
                // A page removed by the stream's retention: nothing to read.
                continue;
            }
            if page.status == 304
                && let Some(previous) = previous
            {
                next.extend(previous.leads_to.iter().cloned());
                payloads.push(FetchedPayload {
                    bytes: None,
                    validators: validators_of(Some(previous)),
                    leads_to: previous.leads_to.clone(),
                    already_stored: true,
                    ..FetchedPayload::read(&page_url, page_url.clone(), Vec::new())
                });
                continue;
            }
            let leads_to = next_pages(feed, &page_url, &page.body, pages)?;
            next.extend(leads_to.iter().cloned());
            let immutable = is_stream && page.is_immutable();
            payloads.push(FetchedPayload {
                validators: if is_stream {
                    Validators {
                        etag: page.etag.clone(),
                        last_modified: page.last_modified.clone(),
                    }
                } else {
                    Validators::default()
                },
                immutable_page: immutable.then(|| leads_to.clone()),
                leads_to: if is_stream { leads_to } else { Vec::new() },
                ..FetchedPayload::read(&page_url, page_url.clone(), page.body)
            });
        }
    }
    Ok(payloads)
}

/// The validators a conditional request sends for what the previous run saw.
fn validators_of(previous: Option<&LocationState>) -> Validators {
    previous
        .filter(|p| p.etag.is_some() || p.last_modified.is_some())
        .map(|p| Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        })
        .unwrap_or_default()
}

fn is_remote(location: &str) -> bool {
    let lower = location.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `location` with the watermark (or the feed's initial one) put in, URL-encoded.
fn with_watermark(location: &str, watermark: Option<&str>, initial: &str) -> String {
    if !location.contains(WATERMARK_PLACEHOLDER) {
        return location.to_owned();
    }
    let value = watermark.unwrap_or(initial);
    let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    location.replace(WATERMARK_PLACEHOLDER, &encoded)
}

fn get(
    feed: &FeedSpec,
    fetcher: &HttpFetcher,
    url: &str,
    validators: &Validators,
) -> Result<Fetched, HarvestError> {
    let fetched = fetcher
        .get_with(url, feed.accept(), validators)
        .map_err(|source| HarvestError::Fetch {
            feed: feed.id.to_string(),
            source,
        })?;
    let gone_page = fetched.status == 410 && feed.paging == Paging::TreeRelations;
    if fetched.status == 304 || gone_page || (200..300).contains(&fetched.status) {
        Ok(fetched)
    } else {
        Err(HarvestError::Fetch {
            feed: feed.id.to_string(),
            source: crate::http::FetchError::Status {
                url: url.to_owned(),
                status: fetched.status,
                attempts: 1,
            },
        })
    }
}

/// The pages after the one at `url` (the `page`-th), if the feed pages and there are any.
fn next_pages(
    feed: &FeedSpec,
    url: &str,
    body: &[u8],
    page: u32,
) -> Result<Vec<String>, HarvestError> {
    let document = || -> Result<serde_json::Value, HarvestError> {
        serde_json::from_slice(body).map_err(|e| HarvestError::Format {
            feed: feed.id.to_string(),
            file: url.to_owned(),
            format: "JSON page",
            message: e.to_string(),
        })
    };
    match &feed.paging {
        Paging::None => Ok(Vec::new()),
        Paging::TreeRelations => crate::ldes::read_node(url, None, body, None)
            .map(|node| node.relations)
            .map_err(|e| HarvestError::Format {
                feed: feed.id.to_string(),
                file: url.to_owned(),
                format: "Linked Data Event Stream page",
                message: e.message,
            }),
        Paging::NextLink { pointer } => {
            let document = document()?;
            let Some(link) = document.pointer(pointer).and_then(|v| v.as_str()) else {
                return Ok(Vec::new());
            };
            // A relative link is resolved against the page it is on.
            let base = url::Url::parse(url).map_err(|e| HarvestError::UnsupportedLocation {
                feed: feed.id.to_string(),
                location: url.to_owned(),
                message: e.to_string(),
            })?;
            let next = base
                .join(link)
                .map_err(|e| HarvestError::UnsupportedLocation {
                    feed: feed.id.to_string(),
                    location: link.to_owned(),
                    message: format!("the next link is not a URL: {e}"),
                })?;
            Ok(vec![next.to_string()])
        }
        Paging::Offset { page_size, results } => {
            let document = document()?;
            let count = document
                .pointer(results)
                .and_then(|v| v.as_array())
                .map_or(0, Vec::len);
            if count < *page_size as usize {
                return Ok(Vec::new());
            }
            offset_page(
                feed,
                url,
                *page_size,
                u64::from(*page_size) * u64::from(page),
            )
            .map(|next| vec![next])
        }
    }
}

/// `url` asking for `page_size` records from `offset` on.
fn offset_page(
    feed: &FeedSpec,
    url: &str,
    page_size: u32,
    offset: u64,
) -> Result<String, HarvestError> {
    let mut page = url::Url::parse(url).map_err(|e| HarvestError::UnsupportedLocation {
        feed: feed.id.to_string(),
        location: url.to_owned(),
        message: e.to_string(),
    })?;
    let kept: Vec<(String, String)> = page
        .query_pairs()
        .filter(|(k, _)| k != "limit" && k != "offset")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    page.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("limit", &page_size.to_string())
        .append_pair("offset", &offset.to_string());
    Ok(page.to_string())
}

#[cfg(test)]
mod tests {
    use super::with_watermark;

    #[test]
    fn the_watermark_is_put_into_the_url_encoded() {
        let url = "https://x.example/Observations?$filter=resultTime%20gt%20{watermark}";
        assert_eq!(
            with_watermark(url, Some("2024-01-15T09:00:00Z"), "1970-01-01T00:00:00Z"),
            "https://x.example/Observations?$filter=resultTime%20gt%202024-01-15T09%3A00%3A00Z"
        );
        assert!(
            with_watermark(url, None, "1970-01-01T00:00:00Z").ends_with("1970-01-01T00%3A00%3A00Z")
        );
        assert_eq!(
            with_watermark("https://x.example/a", None, ""),
            "https://x.example/a"
        );
    }
}
