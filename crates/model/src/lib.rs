#![doc = include_str!("../README.md")]

mod catalogue;
mod error;
mod iri;
mod observation;
mod quarantine;

pub use catalogue::{
    Catalogue, CityDefinition, PropertyDefinition, UnitConversion, UnitDefinition, format_duration,
    parse_day_time_duration,
};
pub use error::ModelError;
pub use iri::IriMinter;
pub use observation::{
    DescribedEntities, FeedId, Observation, ObservationRdf, PhenomenonTime, Point, Qualifier,
    SourceId, date_time_literal, decimal_literal,
};
pub use quarantine::QuarantinedRecord;
