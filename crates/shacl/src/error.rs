//! Errors: unreadable RDF or a shapes graph that is not well-formed SHACL.

/// Why validation could not run. A shape violation is not an error: it is a report entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShaclError {
    /// A document could not be parsed.
    #[error("cannot parse {source_name}: {message}")]
    Parse {
        /// The file or stream that was read.
        source_name: String,
        /// The parser's explanation, with its position.
        message: String,
    },
    /// A shape uses a parameter in a way SHACL does not allow.
    #[error("ill-formed shape {shape}: {message}")]
    IllFormedShape {
        /// The shape's IRI or blank node, in N-Triples syntax.
        shape: String,
        /// What is wrong, naming the parameter.
        message: String,
    },
}
