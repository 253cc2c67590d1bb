#![doc = include_str!("../README.md")]

mod archive;
mod boundary;
mod embedded;
mod error;

pub use archive::{ArchivedPayload, PayloadArchive};
pub use boundary::{
    DumpFormat, IngestBatch, IngestOutcome, ObservationStore, QueryAnswer, QueryOptions,
};
pub use embedded::EmbeddedStore;
pub use error::StoreError;
