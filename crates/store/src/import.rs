//! Reading a dump back: the quads of an N-Quads, TriG or N-Triples file, one at a time, as
//! every store imports them.

use std::io::Read;

use oxrdf::{GraphName, NamedOrBlankNode, Quad, Term};
use oxrdfio::{RdfFormat, RdfParser};

use crate::{DumpFormat, StoreError};

/// The quads of a dump in `format`. A syntax error or a blank node ends the read with an
/// error that says where: Belfort's stores hold no blank nodes, so no dump of theirs has any.
pub fn read_dump(
    format: DumpFormat,
    input: &mut dyn Read,
) -> impl Iterator<Item = Result<Quad, StoreError>> + '_ {
    let format = match format {
        DumpFormat::NQuads => RdfFormat::NQuads,
        DumpFormat::TriG => RdfFormat::TriG,
        DumpFormat::NTriples => RdfFormat::NTriples,
    };
    let mut failed = false;
    RdfParser::from_format(format)
        .for_reader(input)
        .enumerate()
        .map_while(move |(index, quad)| {
            if failed {
                return None;
            }
            let checked = quad
                .map_err(|e| StoreError::Load(format!("quad {}: {e}", index + 1)))
                .and_then(|quad| refuse_blank_nodes(quad, index + 1));
            failed = checked.is_err();
            Some(checked)
        })
}

fn refuse_blank_nodes(quad: Quad, number: usize) -> Result<Quad, StoreError> {
    let blank = match (&quad.subject, &quad.object, &quad.graph_name) {
        (NamedOrBlankNode::BlankNode(b), _, _)
        | (_, Term::BlankNode(b), _)
        | (_, _, GraphName::BlankNode(b)) => Some(b.clone()),
        _ => None,
    };
    match blank {
        Some(blank) => Err(StoreError::Load(format!(
            "quad {number} has the blank node {blank}: a Belfort store holds no blank nodes \
             (give the node an IRI)"
        ))),
        None => Ok(quad),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_is_read_quad_by_quad_and_stops_at_the_first_problem() {
        let text = "<http://e/a> <http://e/p> \"1\" <http://e/g> .\n\
                    <http://e/b> <http://e/p> _:x .\n\
                    <http://e/c> <http://e/p> \"3\" .\n";
        let quads: Vec<_> = read_dump(DumpFormat::NQuads, &mut text.as_bytes()).collect();
        assert_eq!(quads.len(), 2);
        assert!(quads[0].is_ok());
        let error = quads[1].as_ref().unwrap_err().to_string();
        assert!(error.contains("quad 2 has the blank node _:x"), "{error}");

        let broken = "<http://e/a> <http://e/p> \"1\" .\n<http://e/b> <http://e/p> .\n";
        let quads: Vec<_> = read_dump(DumpFormat::NQuads, &mut broken.as_bytes()).collect();
        assert_eq!(quads.len(), 2);
        let error = quads[1].as_ref().unwrap_err().to_string();
        assert!(
            error.starts_with("cannot load the dump: quad 2:"),
            "{error}"
        );
    }
}
