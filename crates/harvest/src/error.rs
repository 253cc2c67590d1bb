use thiserror::Error;

/// Failures that stop a whole payload or fetch. A bad record inside a good payload is not an
/// error: it is a `QuarantinedRecord`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HarvestError {
    /// The payload is not in the format the feed declares.
    #[error("feed {feed}, file {file}: not a {format} payload: {message}")]
    Format {
        /// The feed id.
        feed: String,
        /// The file or URL.
        file: String,
        /// The expected format.
        format: &'static str,
        /// Where and what, e.g. `line 3, column 7: expected value`.
        message: String,
    },
    /// The source answered with an error document instead of data.
    #[error("feed {feed}, file {file}: the source reported an error (status {status}): {message}")]
    SourceError {
        /// The feed id.
        feed: String,
        /// The file or URL.
        file: String,
        /// The status code in the document.
        status: i64,
        /// Its message.
        message: String,
    },
    /// The payload could not be read.
    #[error("feed {feed}: cannot read {location}: {source}")]
    Read {
        /// The feed id.
        feed: String,
        /// The path or URL.
        location: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A URL scheme Belfort does not fetch.
    #[error("feed {feed}: unsupported location {location:?}: {message}")]
    UnsupportedLocation {
        /// The feed id.
        feed: String,
        /// The location as configured.
        location: String,
        /// Why.
        message: String,
    },
    /// A payload larger than the configured cap.
    #[error("feed {feed}: {location} is larger than the {limit}-byte cap")]
    TooLarge {
        /// The feed id.
        feed: String,
        /// The path or URL.
        location: String,
        /// The cap.
        limit: u64,
    },
    /// A remote location could not be fetched.
    #[error("feed {feed}: {source}")]
    Fetch {
        /// The feed id.
        feed: String,
        /// What went wrong.
        #[source]
        source: crate::http::FetchError,
    },
    /// A collection that pages on beyond the feed's limit (or in a loop of new links).
    #[error(
        "feed {feed}: {location} has more than {limit} pages (raise max_pages if that is right)"
    )]
    TooManyPages {
        /// The feed id.
        feed: String,
        /// The configured location.
        location: String,
        /// The limit.
        limit: u32,
    },
    /// The saved state of a feed cannot be read or written.
    #[error("harvest state {path}: {message}")]
    State {
        /// The state file.
        path: String,
        /// Why.
        message: String,
    },
}
