#![doc = include_str!("../README.md")]

mod error;
mod graph;
mod path;
mod quality;
mod reach;
mod report;
mod shapes;
mod sparql;
mod validate;
mod values;

pub use error::ShaclError;
pub use graph::{GraphBuilder, IndexedGraph, TermId};
pub use path::PropertyPath;
pub use quality::{QualityFinding, QualityRules};
pub use reach::{FocusTarget, Reach};
pub use report::{ValidationReport, ValidationResult};
pub use shapes::{DEFAULT_SPARQL_TIME_LIMIT, Shapes};
pub use validate::{validate, validate_focus_nodes};
