#![doc = include_str!("../README.md")]

mod client;
mod codec;
mod store;

pub use client::EngineConnection;
pub use codec::EngineKind;
pub use store::SparqlStore;
