use thiserror::Error;

/// Everything that can go wrong in the model: a bad catalogue, an unknown unit, a bad IRI.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A catalogue Turtle file does not parse.
    #[error("catalogue file {file}: {message}")]
    CatalogueSyntax {
        /// The file name under `vocab/`.
        file: String,
        /// What the parser said.
        message: String,
    },
    /// A catalogue entry lacks a required statement or has a malformed one.
    #[error("catalogue entry <{subject}>: {message}")]
    CatalogueEntry {
        /// The subject IRI of the entry.
        subject: String,
        /// What is wrong with it.
        message: String,
    },
    /// A unit key or IRI that the catalogue does not know.
    #[error("unknown unit {unit:?}")]
    UnknownUnit {
        /// The unit as given.
        unit: String,
    },
    /// No conversion leads from a unit to a property's canonical unit.
    #[error("no conversion from {from} to {to} for property {property}")]
    NoConversion {
        /// Source unit IRI.
        from: String,
        /// Canonical unit IRI.
        to: String,
        /// Property key.
        property: String,
    },
    /// A conversion needs the interval length but the observation is an instant.
    #[error("converting {from} to a count needs an interval, not an instant")]
    ConversionNeedsInterval {
        /// Source unit IRI.
        from: String,
    },
    /// A value that is NaN or infinite.
    #[error("value {value} is not a finite number")]
    NotFinite {
        /// The value.
        value: f64,
    },
    /// A phenomenon interval that ends before it begins.
    #[error("interval ends ({end}) before it begins ({start})")]
    EmptyInterval {
        /// Start, RFC 3339.
        start: String,
        /// End, RFC 3339.
        end: String,
    },
    /// A base IRI or identifier that does not form a valid IRI.
    #[error("invalid IRI {iri:?}: {message}")]
    InvalidIri {
        /// The offending IRI.
        iri: String,
        /// Why it is invalid.
        message: String,
    },
    /// A feed id that is not `city/feed` in lower-case ASCII.
    #[error(
        "invalid feed id {id:?}: expected CITY/FEED with lower-case letters, digits, '-' or '.'"
    )]
    InvalidFeedId {
        /// The id as given.
        id: String,
    },
}
