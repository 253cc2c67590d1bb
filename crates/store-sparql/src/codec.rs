//! What an engine does to literals, and how Belfort undoes it.
//!
//! Virtuoso 7.2 rewrites every `geo:wktLiteral` into its own geometry type, with single
//! precision coordinates (`POINT(3.7 51.05)` comes back as `POINT(3.7000000476837
//! 51.049999237061)` typed `virtrdf:Geometry`), and its JSON results write booleans as `0`
//! and `1`. Belfort keeps WKT values verbatim under `bf:verbatimWktLiteral` in such an engine
//! and restores the GeoSPARQL datatype on every read, so that every answer is the one the
//! embedded store gives.

use belfort_vocab::{belfort, geo, xsd};
use oxrdf::{Literal, Term, Triple};

/// The engine behind the store, for the quirks Belfort works around.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// A conforming SPARQL 1.1 engine: literals are stored as given.
    #[default]
    Generic,
    /// OpenLink Virtuoso 7.
    Virtuoso,
}

impl EngineKind {
    /// The name used in configuration files.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "generic" => Some(Self::Generic),
            "virtuoso" => Some(Self::Virtuoso),
            _ => None,
        }
    }

    /// A literal as the engine must be given it.
    pub fn encode_literal(self, literal: &Literal) -> Option<Literal> {
        match self {
            Self::Virtuoso if literal.datatype() == geo::WKT_LITERAL => Some(
                Literal::new_typed_literal(literal.value(), belfort::VERBATIM_WKT_LITERAL),
            ),
            _ => None,
        }
    }

    /// A literal as the engine gave it back, restored.
    pub fn decode_literal(self, literal: &Literal) -> Option<Literal> {
        if self != Self::Virtuoso {
            return None;
        }
        let datatype = literal.datatype();
        if datatype == belfort::VERBATIM_WKT_LITERAL {
            return Some(Literal::new_typed_literal(
                literal.value(),
                geo::WKT_LITERAL,
            ));
        }
        if datatype == xsd::BOOLEAN {
            return match literal.value() {
                "0" => Some(Literal::new_typed_literal("false", xsd::BOOLEAN)),
                "1" => Some(Literal::new_typed_literal("true", xsd::BOOLEAN)),
                _ => None,
            };
        }
        None
    }

    /// A term on its way into the engine.
    pub fn encode_term(self, term: Term) -> Term {
        match &term {
            Term::Literal(literal) => self.encode_literal(literal).map_or(term, Term::Literal),
            _ => term,
        }
    }

    /// A term on its way out of the engine.
    pub fn decode_term(self, term: Term) -> Term {
        match &term {
            Term::Literal(literal) => self.decode_literal(literal).map_or(term, Term::Literal),
            _ => term,
        }
    }

    /// A triple on its way out of the engine.
    pub fn decode_triple(self, triple: Triple) -> Triple {
        Triple {
            object: self.decode_term(triple.object),
            ..triple
        }
    }
}
