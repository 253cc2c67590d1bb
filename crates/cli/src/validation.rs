//! `belfort validate`: SHACL validation of RDF files, independent of the store.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use belfort_shacl::{GraphBuilder, IndexedGraph, Shapes, ValidationReport, validate};
use clap::ValueEnum;
use oxrdfio::{RdfFormat, RdfSerializer};

/// How the report is written.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    /// A SHACL `sh:ValidationReport` in Turtle.
    Ttl,
    /// JSON: `{"conforms", "violations", "results": [...]}`.
    Json,
}

/// The syntax of an RDF file, from its extension.
pub fn rdf_format(path: &Path) -> anyhow::Result<RdfFormat> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let format = match extension.as_str() {
        "json" => Some(RdfFormat::JsonLd {
            profile: oxrdfio::JsonLdProfileSet::empty(),
        }),
        "xml" | "owl" => Some(RdfFormat::RdfXml),
        other => RdfFormat::from_extension(other),
    };
    format.ok_or_else(|| {
        anyhow!(
            "{}: unknown RDF syntax (use .ttl, .nt, .trig, .nq, .jsonld or .rdf)",
            path.display()
        )
    })
}

fn base_iri(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file://{}", absolute.display())
}

/// Triples handed from a parsing thread to the interning thread at a time.
const PARSED_BATCH: usize = 8_192;

/// N-Triples and N-Quads files are split at line boundaries and parsed by two threads while
/// the calling thread interns what they send (IRI checking is most of the cost). Memory stays
/// bounded by the channel, not the file. On the first syntax error the file is read again in
/// one pass, for an error with its exact position.
fn parse_lines_in_parallel(builder: &mut GraphBuilder, path: &Path) -> anyhow::Result<bool> {
    let Ok(chunks) = oxttl::NQuadsParser::new().split_file_for_parallel_parsing(path, 2) else {
        return Ok(false);
    };
    if chunks.len() < 2 {
        return Ok(false);
    }
    let failed = std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Option<Vec<oxrdf::Triple>>>(8);
        for chunk in chunks {
            let sender = sender.clone();
            scope.spawn(move || {
                let mut batch = Vec::with_capacity(PARSED_BATCH);
                for quad in chunk {
                    let Ok(quad) = quad else {
                        let _ = sender.send(None);
                        return;
                    };
                    batch.push(oxrdf::Triple::new(
                        quad.subject,
                        quad.predicate,
                        quad.object,
                    ));
                    if batch.len() == PARSED_BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(PARSED_BATCH));
                        if sender.send(Some(full)).is_err() {
                            return;
                        }
                    }
                }
                let _ = sender.send(Some(batch));
            });
        }
        drop(sender);
        let mut failed = false;
        for batch in receiver {
            match batch {
                Some(triples) => triples.into_iter().for_each(|t| builder.insert(t)),
                None => {
                    failed = true;
                    break;
                }
            }
        }
        failed
    });
    if failed {
        // Re-read in one pass: its error names the exact line and column, and should the
        // one-pass reader accept the file, the graph is whole (repeated triples are merged).
        parse_sequentially(builder, path)?;
    }
    Ok(true)
}

fn parse_into(builder: &mut GraphBuilder, path: &Path) -> anyhow::Result<()> {
    if matches!(rdf_format(path)?, RdfFormat::NTriples | RdfFormat::NQuads)
        && parse_lines_in_parallel(builder, path)?
    {
        return Ok(());
    }
    parse_sequentially(builder, path)
}

fn parse_sequentially(builder: &mut GraphBuilder, path: &Path) -> anyhow::Result<()> {
    let format = rdf_format(path)?;
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    builder.parse(
        BufReader::with_capacity(1 << 20, file),
        format,
        Some(&base_iri(path)),
        &path.display().to_string(),
    )?;
    Ok(())
}

/// The RDF files a shapes path names: the file itself, or every RDF file of a directory.
fn shape_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?
    {
        let file = entry?.path();
        if file.is_file() && rdf_format(&file).is_ok() {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{}: no RDF files in the shapes directory", path.display());
    }
    Ok(files)
}

/// Loads and compiles the shapes: a file, or every RDF file of a directory as one graph.
pub fn load_shapes(path: &Path) -> anyhow::Result<Shapes> {
    let mut shapes_graph = GraphBuilder::default();
    for file in shape_files(path)? {
        parse_into(&mut shapes_graph, &file)?;
    }
    Ok(Shapes::compile(shapes_graph.build())?)
}

/// Loads the shapes and the data (every file merged into one data graph) and validates.
pub fn validate_files(shapes: &Path, data: &[PathBuf]) -> anyhow::Result<ValidationReport> {
    let shapes = load_shapes(shapes)?;
    let mut data_graph = GraphBuilder::default();
    for file in data {
        parse_into(&mut data_graph, file)?;
    }
    let data: IndexedGraph = data_graph.build();
    Ok(validate(&shapes, &data))
}

/// Writes the report.
pub fn write_report(
    report: &ValidationReport,
    format: ReportFormat,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &report.to_json())?;
            writeln!(out)?;
        }
        ReportFormat::Ttl => {
            let mut serializer = RdfSerializer::from_format(RdfFormat::Turtle)
                .with_prefix("sh", belfort_vocab::sh::NAMESPACE)?
                .with_prefix("xsd", "http://www.w3.org/2001/XMLSchema#")?
                .for_writer(&mut *out);
            for triple in report.to_graph().iter() {
                serializer.serialize_triple(triple)?;
            }
            serializer.finish()?;
        }
    }
    Ok(())
}
