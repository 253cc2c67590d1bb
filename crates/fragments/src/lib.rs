#![doc = include_str!("../README.md")]

mod error;
mod event_stream;
mod page;
mod selector;

pub use error::SelectorError;
pub use event_stream::{
    EventStreamDocuments, PageBound, TREE_PROFILE_TURTLE, day_bounds, month_bounds, month_of,
    tree_profile_order,
};
pub use page::{FragmentDocument, FragmentPageBuilder};
pub use selector::{BindingsRestriction, GraphSelection, MAX_BINDINGS, Selector, object_parameter};
