#![doc = include_str!("../README.md")]

mod error;
mod event_stream;
mod page;
mod selector;

pub use error::SelectorError;
pub use event_stream::{EventStreamDocuments, PageBound, day_bounds, month_bounds, month_of};
pub use page::{FragmentDocument, FragmentPageBuilder};
pub use selector::{GraphSelection, Selector, object_parameter};
