//! Bringing a feed's bytes in: local files and `file://` URLs.

use std::io::Read;
use std::path::PathBuf;

use crate::{FeedSpec, HarvestError};

/// Payloads larger than this are refused unless the feed sets its own cap.
pub const DEFAULT_MAX_PAYLOAD_BYTES: u64 = 256 * 1024 * 1024;

/// Reads the payload at `location`: a path, or a `file://` URL. Remote schemes are refused with
/// a clear error until the HTTP fetcher lands.
pub fn fetch(feed: &FeedSpec, location: &str) -> Result<Vec<u8>, HarvestError> {
    let path = local_path(feed, location)?;
    let read_error = |source| HarvestError::Read {
        feed: feed.id.to_string(),
        location: location.to_owned(),
        source,
    };
    let file = std::fs::File::open(&path).map_err(read_error)?;
    let mut bytes = Vec::new();
    // Read one byte past the cap to tell "exactly at the cap" from "over it".
    file.take(feed.max_payload_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > feed.max_payload_bytes {
        return Err(HarvestError::TooLarge {
            feed: feed.id.to_string(),
            location: location.to_owned(),
            limit: feed.max_payload_bytes,
        });
    }
    Ok(bytes)
}

fn local_path(feed: &FeedSpec, location: &str) -> Result<PathBuf, HarvestError> {
    let unsupported = |message: &str| HarvestError::UnsupportedLocation {
        feed: feed.id.to_string(),
        location: location.to_owned(),
        message: message.to_owned(),
    };
    match url::Url::parse(location) {
        Ok(url) if url.scheme() == "file" => url
            .to_file_path()
            .map_err(|()| unsupported("not a local file URL")),
        Ok(url) if url.scheme().len() > 1 => Err(unsupported(
            "only local files and file:// URLs are fetched in this version",
        )),
        // A relative path, or a Windows drive letter parsed as a scheme.
        _ => Ok(PathBuf::from(location)),
    }
}
