#![doc = include_str!("../README.md")]

pub mod allocator;
pub mod config;
pub mod fetch_ahead;
pub mod measure;
pub mod output;
pub mod pipeline;
pub mod reindex;
pub mod replicate;
pub mod store_validation;
pub mod synthetic;
pub mod validation;
