//! RDF responses: serialisation by media type, validators and caching headers.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use belfort_vocab as v;
use oxrdf::{Quad, Triple};
use oxrdfio::{JsonLdProfileSet, RdfFormat, RdfSerializer};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// HTML, the page for people.
pub const HTML: &str = "text/html";

/// The representations every RDF resource is offered in, in the server's order of preference.
pub const RDF_MEDIA_TYPES: &[&str] = &[
    "text/turtle",
    "application/trig",
    "application/n-triples",
    "application/n-quads",
    "application/ld+json",
    HTML,
];

/// The oxigraph format of an RDF media type.
pub fn rdf_format(media_type: &str) -> Option<RdfFormat> {
    Some(match media_type {
        "text/turtle" => RdfFormat::Turtle,
        "application/trig" => RdfFormat::TriG,
        "application/n-triples" => RdfFormat::NTriples,
        "application/n-quads" => RdfFormat::NQuads,
        "application/ld+json" => RdfFormat::JsonLd {
            profile: JsonLdProfileSet::empty(),
        },
        "application/rdf+xml" => RdfFormat::RdfXml,
        _ => return None,
    })
}

const PREFIXES: &[(&str, &str)] = &[
    ("rdf", v::rdf::NAMESPACE),
    ("rdfs", v::rdfs::NAMESPACE),
    ("xsd", v::xsd::NAMESPACE),
    ("sosa", v::sosa::NAMESPACE),
    ("ssn", v::ssn::NAMESPACE),
    ("qudt", v::qudt::NAMESPACE),
    ("time", v::time::NAMESPACE),
    ("geo", v::geo::NAMESPACE),
    ("prov", v::prov::NAMESPACE),
    ("dct", v::dct::NAMESPACE),
    ("hydra", v::hydra::NAMESPACE),
    ("void", v::void::NAMESPACE),
    ("foaf", v::foaf::NAMESPACE),
    ("sd", v::sd::NAMESPACE),
    ("dcat", v::dcat::NAMESPACE),
    ("bf", v::belfort::NAMESPACE),
    ("sh", v::sh::NAMESPACE),
    ("dqv", v::dqv::NAMESPACE),
    ("oa", v::oa::NAMESPACE),
    ("bfq", v::quality::NAMESPACE),
    ("tree", v::tree::NAMESPACE),
    ("ldes", v::ldes::NAMESPACE),
];

/// Serialises a document: quad formats get `quads` (graphs kept), triple formats `triples`.
pub fn serialize_rdf(
    format: RdfFormat,
    quads: impl Iterator<Item = Quad>,
    triples: impl Iterator<Item = Triple>,
) -> Result<Vec<u8>, ApiError> {
    let mut serializer = RdfSerializer::from_format(format);
    if matches!(format, RdfFormat::Turtle | RdfFormat::TriG) {
        for (prefix, namespace) in PREFIXES {
            serializer = serializer
                .with_prefix(*prefix, *namespace)
                .map_err(|e| ApiError::internal(e.to_string()))?;
        }
    }
    let mut writer = serializer.for_writer(Vec::new());
    let failed = |e: std::io::Error| ApiError::internal(format!("serialisation failed: {e}"));
    if format.supports_datasets() {
        for quad in quads {
            writer.serialize_quad(&quad).map_err(failed)?;
        }
    } else {
        for triple in triples {
            writer.serialize_triple(&triple).map_err(failed)?;
        }
    }
    writer.finish().map_err(failed)
}

/// Serialises a graph as `media_type` (an RDF media type; quad syntaxes put it in the default
/// graph).
pub fn serialize_triples(media_type: &str, triples: Vec<Triple>) -> Result<Vec<u8>, ApiError> {
    let format = rdf_format(media_type)
        .ok_or_else(|| ApiError::internal(format!("no serialiser for {media_type}")))?;
    if format.supports_datasets() {
        let quads = triples
            .into_iter()
            .map(|t| t.in_graph(oxrdf::GraphName::DefaultGraph));
        serialize_rdf(format, quads, std::iter::empty())
    } else {
        serialize_rdf(format, std::iter::empty(), triples.into_iter())
    }
}

/// A strong validator for what `request` gets as `media_type` while the data is at `version`.
pub fn entity_tag(version: u64, request: &HttpRequest, media_type: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(version.to_be_bytes());
    digest.update(request.method().as_str().as_bytes());
    digest.update(request.uri().to_string().as_bytes());
    digest.update(media_type.as_bytes());
    format!("\"{}\"", &hex::encode(digest.finalize())[..24])
}

/// Whether the client's `If-None-Match` already names `etag`.
pub fn is_not_modified(request: &HttpRequest, etag: &str) -> bool {
    request
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().trim_start_matches("W/"))
        .any(|v| v == etag || v == "*")
}

/// A 304 for a client whose copy is current.
pub fn not_modified(etag: &str, cache_control: &str) -> HttpResponse {
    HttpResponse::NotModified()
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, cache_control.to_owned()))
        .insert_header((header::VARY, "Accept"))
        .finish()
}

/// A 200 with the representation and its caching headers.
pub fn representation(
    media_type: &str,
    body: impl Into<actix_web::web::Bytes>,
    etag: &str,
    cache_control: &str,
) -> HttpResponse {
    let content_type = if media_type.starts_with("text/") {
        format!("{media_type}; charset=utf-8")
    } else {
        media_type.to_owned()
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, cache_control.to_owned()))
        .insert_header((header::VARY, "Accept"))
        .body(body.into())
}

/// What a cacheable GET resolves to before any work: a 304, or the chosen representation and
/// its validator.
pub enum Negotiated {
    /// The client's copy is current.
    NotModified(HttpResponse),
    /// Build this representation, with this ETag.
    Build {
        /// The chosen media type.
        media_type: &'static str,
        /// Its validator.
        etag: String,
    },
}

/// Chooses a representation among `offered` and answers 304 when the client has it already.
pub fn negotiate_cached(
    request: &HttpRequest,
    state: &crate::AppState,
    offered: &[&'static str],
    cache_control: &str,
) -> Result<Negotiated, ApiError> {
    let media_type = crate::negotiate::choose(request, offered)
        .ok_or_else(|| ApiError::not_acceptable(offered))?;
    let etag = entity_tag(state.store.data_version(), request, media_type);
    if is_not_modified(request, &etag) {
        crate::metrics::Metrics::bump(&state.metrics.not_modified);
        return Ok(Negotiated::NotModified(not_modified(&etag, cache_control)));
    }
    Ok(Negotiated::Build { media_type, etag })
}
