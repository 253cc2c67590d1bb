//! The HTTP fetcher against a real local HTTP server that answers from a script: retries on
//! 429 (honouring `Retry-After`) and 5xx, a final 410 handed back, the size cap, refused
//! internal addresses and redirects.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use belfort_harvest::http::{FetchError, HttpFetcher, HttpSettings};

/// Serves the scripted responses in order, one per connection; returns the base URL and the
/// count of requests received.
fn scripted_server(responses: Vec<String>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for response in responses {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (format!("http://{address}"), requests)
}

fn response(status: &str, headers: &[&str], body: &str) -> String {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

fn fetcher(settings: HttpSettings) -> HttpFetcher {
    HttpFetcher::new(HttpSettings {
        allow_private_addresses: true,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(10),
        ..settings
    })
    .unwrap()
}

#[test]
fn a_429_is_retried_after_the_time_the_server_asks_for() {
    let (base, requests) = scripted_server(vec![
        response("429 Too Many Requests", &["Retry-After: 1"], ""),
        response(
            "200 OK",
            &[
                "Content-Type: text/turtle",
                "Cache-Control: public, max-age=60, immutable",
            ],
            "<a> <b> <c> .",
        ),
    ]);
    let started = Instant::now();
    let fetched = fetcher(HttpSettings::default())
        .get(&format!("{base}/page"), "text/turtle")
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.body, b"<a> <b> <c> .");
    assert_eq!(fetched.content_type.as_deref(), Some("text/turtle"));
    assert!(fetched.is_immutable());
    assert_eq!(requests.load(Ordering::SeqCst), 2);
}

#[test]
fn server_errors_are_retried_with_backoff_then_reported_with_the_attempts() {
    let (base, requests) = scripted_server(vec![
        response("503 Service Unavailable", &[], ""),
        response("502 Bad Gateway", &[], ""),
        response("200 OK", &[], "ok"),
    ]);
    let fetched = fetcher(HttpSettings::default()).get(&base, "*/*").unwrap();
    assert_eq!(fetched.body, b"ok");
    assert_eq!(requests.load(Ordering::SeqCst), 3);

    let (base, requests) = scripted_server(vec![response("500 Internal Server Error", &[], ""); 3]);
    let error = fetcher(HttpSettings {
        retries: 2,
        ..HttpSettings::default()
    })
    .get(&base, "*/*")
    .unwrap_err();
    assert!(
        matches!(
            error,
            FetchError::Status {
                status: 500,
                attempts: 3,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains(&base), "{error}");
    assert_eq!(requests.load(Ordering::SeqCst), 3);
}

#[test]
fn gone_is_handed_back_at_once_not_retried() {
    let (base, requests) = scripted_server(vec![response("410 Gone", &[], "")]);
    let fetched = fetcher(HttpSettings::default()).get(&base, "*/*").unwrap();
    assert_eq!(fetched.status, 410);
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

#[test]
fn a_body_over_the_cap_is_refused() {
    let (base, _) = scripted_server(vec![response("200 OK", &[], &"x".repeat(2048))]);
    let error = fetcher(HttpSettings {
        max_bytes: 1024,
        ..HttpSettings::default()
    })
    .get(&base, "*/*")
    .unwrap_err();
    assert!(
        matches!(error, FetchError::TooLarge { limit: 1024, .. }),
        "{error}"
    );
}

#[test]
fn internal_addresses_are_refused_before_any_request_and_behind_redirects() {
    let (base, requests) = scripted_server(vec![response("200 OK", &[], "secret")]);
    let strict = HttpFetcher::new(HttpSettings::default()).unwrap();
    let error = strict.get(&base, "*/*").unwrap_err();
    assert!(matches!(error, FetchError::Refused { .. }), "{error}");
    assert!(error.to_string().contains("internal address"), "{error}");
    assert_eq!(requests.load(Ordering::SeqCst), 0, "nothing was sent");

    // A redirect to a scheme that is never fetched, and a redirect loop.
    let (base, _) = scripted_server(vec![response(
        "302 Found",
        &["Location: file:///etc/passwd"],
        "",
    )]);
    let error = fetcher(HttpSettings::default())
        .get(&base, "*/*")
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("file:///etc/passwd is not followed"),
        "{error}"
    );
    let (base, requests) =
        scripted_server(vec![response("302 Found", &["Location: /again"], ""); 7]);
    let error = fetcher(HttpSettings::default())
        .get(&base, "*/*")
        .unwrap_err();
    assert!(error.to_string().contains("redirect"), "{error}");
    assert!(requests.load(Ordering::SeqCst) <= 6);
}

#[test]
fn event_stream_pages_declared_immutable_are_read_once_and_gone_pages_are_empty() {
    use belfort_harvest::{FeedSpec, FeedState, SourceKind, fetch_feed};
    use belfort_model::FeedId;
    let root = "<s> a <https://w3id.org/ldes#EventStream> ; <https://w3id.org/tree#view> <ldes> .\n\
                <ldes> <https://w3id.org/tree#relation> [ <https://w3id.org/tree#node> <ldes/1> ] , \
                [ <https://w3id.org/tree#node> <ldes/2> ] .\n";
    let page = "<s> <https://w3id.org/tree#member> <m1> .\n";
    let turtle = "Content-Type: text/turtle";
    let immutable = "Cache-Control: public, max-age=31536000, immutable";
    let (base, requests) = scripted_server(vec![
        response("200 OK", &[turtle], root),
        response("200 OK", &[turtle, immutable], page),
        response("410 Gone", &[], ""),
        response("200 OK", &[turtle], root),
        response("410 Gone", &[], ""),
    ]);
    let mut feed = FeedSpec::new(
        FeedId::parse("vlaanderen/federation").unwrap(),
        SourceKind::LdesStream,
    );
    feed.locations = vec![format!("{base}/ldes")];
    feed.allow_private_addresses = true;
    let fetcher = fetcher(HttpSettings::default());
    let first = fetch_feed(&feed, &fetcher, &FeedState::default()).unwrap();
    assert_eq!(first.len(), 2, "the root and page 1; page 2 is gone");
    assert_eq!(first[1].source, format!("{base}/ldes/1"));
    assert_eq!(first[1].immutable_page, Some(Vec::new()));
    assert_eq!(first[0].immutable_page, None);

    let mut state = FeedState::default();
    state
        .done_pages
        .insert(first[1].location.clone(), Vec::new());
    let second = fetch_feed(&feed, &fetcher, &state).unwrap();
    assert_eq!(second.len(), 1, "page 1 was read and cannot change");
    assert_eq!(requests.load(Ordering::SeqCst), 5);
}
