use std::path::PathBuf;

use thiserror::Error;

/// Infrastructure failures of the store. Bad data never ends up here: it is quarantined.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage engine failed.
    #[error("storage engine error: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store directory could not be opened.
    #[error("cannot open the store at {path}: {source}")]
    Open {
        /// The data directory.
        path: PathBuf,
        /// What the engine said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A query that does not parse.
    #[error("invalid SPARQL query: {0}")]
    QuerySyntax(String),
    /// A query that failed while running.
    #[error("query evaluation failed: {0}")]
    QueryEvaluation(String),

    /// The caller stopped the query.
    #[error("query cancelled")]
    QueryCancelled,

    /// The query needed more memory than its budget.
    #[error("query stopped: it needed more than its memory budget of {megabytes} MiB")]
    QueryMemory {
        /// The budget.
        megabytes: u64,
    },

    /// The query would not stop in time or would exhaust memory, and is refused before it runs.
    #[error("query refused: {0}")]
    QueryRefused(String),

    /// The query calls a remote service; the store never connects anywhere.
    #[error("SERVICE <{0}> refused: this store does not make outbound connections")]
    ServiceRefused(String),
    /// A query that ran past its time limit and was stopped.
    #[error("query stopped after its time limit of {seconds} s")]
    QueryTimeout {
        /// The limit.
        seconds: f64,
    },
    /// Writing a dump or archive file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Loading a dump failed.
    #[error("cannot load the dump: {0}")]
    Load(String),
    /// Serialising a dump failed.
    #[error("cannot write the dump: {0}")]
    Dump(#[source] std::io::Error),

    /// A remote engine failed or could not be reached, after the retries.
    #[error("the SPARQL engine at {url} failed: {message}")]
    Remote {
        /// The endpoint.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A remote engine answered 200 with a partial answer it signalled only out of band (a
    /// header); it is never passed on as complete.
    #[error("the SPARQL engine returned an incomplete answer: {0}")]
    Incomplete(String),
    /// Another writer held a shared store for longer than this one may wait.
    #[error(
        "another writer holds the store ({holder}, its lease runs to {until}); waited {waited_seconds} s: try again when it is done"
    )]
    WriterBusy {
        /// The other writer: `host process-id`.
        holder: String,
        /// When its lease ends unless renewed.
        until: String,
        /// How long this writer waited.
        waited_seconds: u64,
    },
}
