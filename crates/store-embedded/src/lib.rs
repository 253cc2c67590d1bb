#![doc = include_str!("../README.md")]

mod page_cursors;
mod store;

pub use store::EmbeddedStore;
