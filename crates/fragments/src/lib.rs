#![doc = include_str!("../README.md")]

mod error;
mod page;
mod selector;

pub use error::SelectorError;
pub use page::{FragmentDocument, FragmentPageBuilder};
pub use selector::{GraphSelection, Selector, object_parameter};
