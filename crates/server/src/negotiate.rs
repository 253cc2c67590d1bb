//! Content negotiation over the `Accept` header (RFC 9110 §12.5.1).

use actix_web::HttpRequest;
use actix_web::http::header;

/// One media range of an `Accept` header with its weight.
#[derive(Debug, Clone, PartialEq)]
struct MediaRange {
    kind: String,
    subtype: String,
    quality: f32,
    /// The `profile` parameter, unquoted.
    profile: Option<String>,
}

fn parse_accept(value: &str) -> Vec<MediaRange> {
    value
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let range = pieces.next()?.trim().to_ascii_lowercase();
            let (kind, subtype) = range.split_once('/')?;
            let mut quality = 1.0;
            let mut profile = None;
            for parameter in pieces {
                let Some((name, value)) = parameter.split_once('=') else {
                    continue;
                };
                let name = name.trim();
                if name.eq_ignore_ascii_case("q") {
                    quality = value.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0);
                } else if name.eq_ignore_ascii_case("profile") {
                    profile = Some(value.trim().trim_matches('"').to_owned());
                }
            }
            Some(MediaRange {
                kind: kind.trim().to_owned(),
                subtype: subtype.trim().to_owned(),
                quality,
                profile,
            })
        })
        .collect()
}

/// How much the client wants `media_type`: the weight of the most specific range matching it.
fn weight(ranges: &[MediaRange], media_type: &str) -> f32 {
    let Some((kind, subtype)) = media_type.split_once('/') else {
        return 0.0;
    };
    let mut best: Option<(u8, f32)> = None;
    for range in ranges {
        let specificity = match (range.kind.as_str(), range.subtype.as_str()) {
            (k, s) if k == kind && s == subtype => 2,
            (k, "*") if k == kind => 1,
            ("*", "*") => 0,
            _ => continue,
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, range.quality));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// Whether the client asks for `media_type` (exactly) with the `profile` parameter `profile`,
/// at a weight above zero.
pub fn asks_profile(request: &HttpRequest, media_type: &str, profile: &str) -> bool {
    let Some((kind, subtype)) = media_type.split_once('/') else {
        return false;
    };
    request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_accept)
        .any(|range| {
            range.kind == kind
                && range.subtype == subtype
                && range.quality > 0.0
                && range.profile.as_deref() == Some(profile)
        })
}

/// Picks the representation the client prefers among `offered` (media types, the server's
/// preference first). With no `Accept` header the first is chosen; `None` means 406.
pub fn choose<'a>(request: &HttpRequest, offered: &[&'a str]) -> Option<&'a str> {
    let accept = request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return offered.first().copied();
    }
    let ranges = parse_accept(&accept);
    let mut chosen: Option<(&str, f32)> = None;
    for media_type in offered {
        let q = weight(&ranges, media_type);
        if q > 0.0 && chosen.is_none_or(|(_, best)| q > best) {
            chosen = Some((media_type, q));
        }
    }
    chosen.map(|(media_type, _)| media_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(accept: &str, offered: &[&'static str]) -> Option<&'static str> {
        let request = actix_web::test::TestRequest::default()
            .insert_header((header::ACCEPT, accept))
            .to_http_request();
        choose(&request, offered)
    }

    #[test]
    fn the_highest_weight_wins_and_ties_go_to_the_server_order() {
        let offered = ["text/turtle", "application/n-quads", "text/html"];
        assert_eq!(
            ranked("text/html,application/xhtml+xml,*/*;q=0.8", &offered),
            Some("text/html")
        );
        assert_eq!(
            ranked("application/n-quads,text/turtle;q=0.6", &offered),
            Some("application/n-quads")
        );
        assert_eq!(ranked("*/*", &offered), Some("text/turtle"));
        assert_eq!(
            ranked("text/*;q=0.5, text/html;q=0", &offered),
            Some("text/turtle")
        );
        assert_eq!(ranked("image/png", &offered), None);
    }

    #[test]
    fn a_profile_is_asked_for_only_on_its_media_type_and_with_a_weight() {
        let asks = |accept: &str| {
            let request = actix_web::test::TestRequest::default()
                .insert_header((header::ACCEPT, accept))
                .to_http_request();
            asks_profile(&request, "text/turtle", "https://w3id.org/tree/profile")
        };
        assert!(asks(
            "text/turtle;profile=\"https://w3id.org/tree/profile\", text/turtle;q=0.9"
        ));
        assert!(asks(
            "text/turtle; q=0.8; profile=https://w3id.org/tree/profile"
        ));
        assert!(!asks("text/turtle"));
        assert!(!asks(
            "application/trig;profile=\"https://w3id.org/tree/profile\", text/turtle"
        ));
        assert!(!asks(
            "text/turtle;profile=\"https://w3id.org/tree/profile\";q=0"
        ));
        assert!(!asks("text/turtle;profile=\"https://example.org/other\""));
    }
}
