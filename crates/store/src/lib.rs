#![doc = include_str!("../README.md")]

mod archive;
mod boundary;
mod error;
pub mod event_streams;
pub mod guard;
mod import;
pub mod plan;

pub use archive::{ArchivedPayload, PayloadArchive};
pub use boundary::{
    DumpFormat, GraphSelector, IngestBatch, IngestOutcome, ObservationStore, PatternCount,
    PatternPage, QuadPattern, QueryAnswer, QueryCancellation, QueryOptions,
};
pub use error::StoreError;
pub use import::read_dump;
