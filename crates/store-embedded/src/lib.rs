#![doc = include_str!("../README.md")]

mod known_observations;
mod page_cursors;
mod store;

pub use store::EmbeddedStore;
