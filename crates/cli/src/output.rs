//! Writing query answers in the formats `belfort query` offers.

use std::io::Write;

use anyhow::bail;
use belfort_store::QueryAnswer;
use clap::ValueEnum;
use oxrdfio::{RdfFormat, RdfSerializer};
use sparesults::{QueryResultsFormat, QueryResultsSerializer};

/// `--format` of `belfort query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryOutputFormat {
    /// SPARQL 1.1 Query Results JSON (SELECT, ASK).
    Json,
    /// SPARQL 1.1 Query Results CSV (SELECT, ASK).
    Csv,
    /// SPARQL 1.1 Query Results TSV (SELECT, ASK).
    Tsv,
    /// Turtle (CONSTRUCT, DESCRIBE).
    Ttl,
}

/// Writes the answer; errors when the format does not fit the query form.
pub fn write_answer(
    answer: &QueryAnswer,
    format: QueryOutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let results_format = match format {
        QueryOutputFormat::Json => Some(QueryResultsFormat::Json),
        QueryOutputFormat::Csv => Some(QueryResultsFormat::Csv),
        QueryOutputFormat::Tsv => Some(QueryResultsFormat::Tsv),
        QueryOutputFormat::Ttl => None,
    };
    match (answer, results_format) {
        (QueryAnswer::Boolean(value), Some(f)) => {
            QueryResultsSerializer::from_format(f)
                .serialize_boolean_to_writer(&mut *out, *value)?;
        }
        (
            QueryAnswer::Solutions {
                variables, rows, ..
            },
            Some(f),
        ) => {
            let mut serializer = QueryResultsSerializer::from_format(f)
                .serialize_solutions_to_writer(&mut *out, variables.clone())?;
            for row in rows {
                serializer.serialize(
                    variables
                        .iter()
                        .zip(row)
                        .filter_map(|(v, t)| t.as_ref().map(|t| (v.as_ref(), t.as_ref()))),
                )?;
            }
            serializer.finish()?;
        }
        (QueryAnswer::Graph { triples, .. }, None) => {
            let mut serializer =
                RdfSerializer::from_format(RdfFormat::Turtle).for_writer(&mut *out);
            for triple in triples {
                serializer.serialize_triple(triple)?;
            }
            serializer.finish()?;
        }
        (QueryAnswer::Graph { .. }, Some(_)) => {
            bail!("a CONSTRUCT or DESCRIBE query gives RDF: use --format ttl")
        }
        (_, None) => bail!("a SELECT or ASK query gives results: use --format json, csv or tsv"),
    }
    writeln!(out)?;
    Ok(())
}
