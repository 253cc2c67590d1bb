//! HTML for people: one layout, escaping, and terms rendered as links to browse further.

use oxrdf::Term;
use url::form_urlencoded;

/// Escapes text for an element body.
pub fn text(value: &str) -> String {
    html_escape::encode_text(value).into_owned()
}

/// Escapes text for a double-quoted attribute.
pub fn attr(value: &str) -> String {
    html_escape::encode_double_quoted_attribute(value).into_owned()
}

/// A whole page with the shared layout and navigation.
pub fn page(public_base: &str, title: &str, body: &str) -> String {
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Belfort</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1d1d1b; }}
nav a {{ margin-right: 1rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; word-break: break-all; }}
form label {{ display: block; margin: 0.3rem 0; }}
input[type=text] {{ width: 40rem; max-width: 100%; }}
textarea {{ width: 100%; font-family: monospace; }}
.literal {{ color: #0b6e4f; }}
.muted {{ color: #666; }}
</style>
</head>
<body>
<nav><a href="{base}/">Belfort</a><a href="{base}/fragments">Fragments</a><a href="{base}/sparql">SPARQL</a><a href="{base}/quality">Quality</a></nav>
<h1>{title}</h1>
{body}
</body>
</html>
"#,
        title = text(title),
        base = attr(public_base),
    )
}

/// A term as HTML: IRIs link to the fragment that has them in `position`, literals show their
/// tag or datatype.
pub fn term(term: &Term, fragments: &str, position: &str) -> String {
    match term {
        Term::NamedNode(iri) => {
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair(position, iri.as_str())
                .finish();
            format!(
                r#"<a href="{}?{}">{}</a>"#,
                attr(fragments),
                attr(&query),
                text(iri.as_str())
            )
        }
        Term::Literal(literal) => {
            let suffix = if let Some(language) = literal.language() {
                format!("@{}", text(language))
            } else if literal.datatype() == oxrdf::vocab::xsd::STRING {
                String::new()
            } else {
                format!(
                    r#" <span class="muted">^^{}</span>"#,
                    text(literal.datatype().as_str())
                )
            };
            format!(
                r#"<span class="literal">"{}"</span>{suffix}"#,
                text(literal.value())
            )
        }
        Term::BlankNode(node) => format!("_:{}", text(node.as_str())),
    }
}
