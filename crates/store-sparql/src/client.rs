//! HTTP to the engine: the SPARQL 1.1 Query, Update and Graph Store protocols, with timeouts,
//! retries with backoff, credentials and a bounded response size.

use std::io::Read;
use std::time::Duration;

use belfort_store::StoreError;
use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};

/// Where the engine listens and how to talk to it.
#[derive(Debug, Clone)]
pub struct EngineConnection {
    /// The SPARQL 1.1 Query endpoint.
    pub query_url: String,
    /// The SPARQL 1.1 Update endpoint.
    pub update_url: String,
    /// The SPARQL 1.1 Graph Store HTTP Protocol endpoint (indirect graph identification).
    pub graph_store_url: String,
    /// HTTP basic credentials (user, password), when the engine wants them.
    pub credentials: Option<(String, String)>,
    /// How long one request may take.
    pub request_timeout: Duration,
    /// How often a failed request is tried again (connection errors, 408, 425, 429, 5xx).
    pub retries: u32,
    /// A response body larger than this is refused.
    pub max_response_bytes: u64,
    /// How long a write waits for another process's write to the same engine to end.
    pub writer_wait: Duration,
}

impl EngineConnection {
    /// The three endpoints of one engine, with default limits.
    pub fn new(query_url: &str, update_url: &str, graph_store_url: &str) -> Self {
        Self {
            query_url: query_url.to_owned(),
            update_url: update_url.to_owned(),
            graph_store_url: graph_store_url.to_owned(),
            credentials: None,
            request_timeout: Duration::from_secs(120),
            retries: 3,
            max_response_bytes: 512 * 1024 * 1024,
            writer_wait: Duration::from_secs(600),
        }
    }
}

/// A response that arrived whole.
pub(crate) struct EngineResponse {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A pooled HTTP client bound to one engine.
pub(crate) struct EngineClient {
    http: Client,
    connection: EngineConnection,
}

/// Whether a failed request may succeed when sent again. Virtuoso answers 500 also when the
/// query itself fails (`Virtuoso 22023 Error SR353: …`) or is too large for one transaction
/// (`40005 … SR325`): that fails again, except for a deadlock (`40001`) or a lost connection
/// (`08…`).
fn is_retryable(status: StatusCode, body: &str) -> bool {
    if matches!(status.as_u16(), 408 | 425 | 429) {
        return true;
    }
    if !status.is_server_error() {
        return false;
    }
    match virtuoso_sql_state(body) {
        Some(state) => state == "40001" || state.starts_with("08"),
        None => true,
    }
}

/// The SQL state of a Virtuoso error page: `Virtuoso 22023 Error …` from the SPARQL endpoint,
/// `<h3>Error 40005</h3>` from the Graph Store endpoint.
fn virtuoso_sql_state(body: &str) -> Option<&str> {
    let mut words = body.split_whitespace();
    if let (Some("Virtuoso"), Some(state), Some("Error")) =
        (words.next(), words.next(), words.next())
    {
        return Some(state);
    }
    let start = body.find("<h3>Error ")? + "<h3>Error ".len();
    body.get(start..start + 5)
}

impl EngineClient {
    pub fn new(connection: EngineConnection) -> Result<Self, StoreError> {
        let http = Client::builder()
            .timeout(connection.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|e| StoreError::Remote {
                url: connection.query_url.clone(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self { http, connection })
    }

    pub fn connection(&self) -> &EngineConnection {
        &self.connection
    }

    /// Sends the request built by `build` until it succeeds or the retries are spent. The
    /// exchange runs on a thread of its own: callers may sit on an async runtime's thread (the
    /// server's handlers), where the blocking client must not wait.
    fn send(
        &self,
        url: &str,
        build: &(dyn Fn(&Client) -> RequestBuilder + Sync),
        timeout: Option<Duration>,
    ) -> Result<EngineResponse, StoreError> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| self.send_here(url, build, timeout))
                .join()
                .unwrap_or_else(|_| {
                    Err(StoreError::Remote {
                        url: url.to_owned(),
                        message: "the request thread failed".to_owned(),
                    })
                })
        })
    }

    fn send_here(
        &self,
        url: &str,
        build: &(dyn Fn(&Client) -> RequestBuilder + Sync),
        timeout: Option<Duration>,
    ) -> Result<EngineResponse, StoreError> {
        let mut attempt = 0;
        loop {
            let mut request = build(&self.http);
            if let Some((user, password)) = &self.connection.credentials {
                request = request.basic_auth(user, Some(password));
            }
            if let Some(timeout) = timeout {
                request = request.timeout(timeout);
            }
            let failure = match request.send() {
                Ok(response) if response.status().is_success() => {
                    return self.read(url, response);
                }
                Ok(response) => {
                    let status = response.status();
                    let body = self.read(url, response).map(|r| r.body).unwrap_or_default();
                    let text = String::from_utf8_lossy(&body[..body.len().min(2_000)]);
                    let message = format!("HTTP {status}: {}", text.trim());
                    if !is_retryable(status, &text) {
                        return Err(if status == StatusCode::BAD_REQUEST {
                            StoreError::QueryEvaluation(message)
                        } else {
                            StoreError::Remote {
                                url: url.to_owned(),
                                message,
                            }
                        });
                    }
                    message
                }
                Err(error) if error.is_timeout() => {
                    return Err(StoreError::QueryTimeout {
                        seconds: timeout
                            .unwrap_or(self.connection.request_timeout)
                            .as_secs_f64(),
                    });
                }
                Err(error) => error.to_string(),
            };
            if attempt >= self.connection.retries {
                return Err(StoreError::Remote {
                    url: url.to_owned(),
                    message: format!("{failure} (after {} attempts)", attempt + 1),
                });
            }
            attempt += 1;
            // 200 ms, 400 ms, 800 ms, … capped at 5 s.
            let backoff =
                Duration::from_millis(200u64 << attempt.min(5)).min(Duration::from_secs(5));
            std::thread::sleep(backoff);
        }
    }

    fn read(&self, url: &str, response: Response) -> Result<EngineResponse, StoreError> {
        let headers = response.headers().clone();
        let cap = self.connection.max_response_bytes;
        let mut body = Vec::new();
        response
            .take(cap.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(|e| StoreError::Remote {
                url: url.to_owned(),
                message: format!("reading the response: {e}"),
            })?;
        if body.len() as u64 > cap {
            return Err(StoreError::Incomplete(format!(
                "the response of {url} is larger than {cap} bytes"
            )));
        }
        Ok(EngineResponse { headers, body })
    }

    /// A query (form-encoded POST, which every engine takes and which has no length limit).
    pub fn query(
        &self,
        query: &str,
        accept: &str,
        dataset: &[(&str, String)],
        timeout: Option<Duration>,
        extra: &[(&str, String)],
    ) -> Result<EngineResponse, StoreError> {
        let url = &self.connection.query_url;
        let mut form: Vec<(&str, String)> = vec![("query", query.to_owned())];
        form.extend(dataset.iter().cloned());
        form.extend(extra.iter().cloned());
        self.send(
            url,
            &|http| http.post(url.as_str()).header(ACCEPT, accept).form(&form),
            timeout,
        )
    }

    /// An update.
    pub fn update(&self, update: &str) -> Result<(), StoreError> {
        let url = &self.connection.update_url;
        self.send(
            url,
            &|http| http.post(url.as_str()).form(&[("update", update)]),
            None,
        )?;
        Ok(())
    }

    /// Replaces a graph with N-Triples (Graph Store protocol PUT: repeating it is harmless).
    pub fn put_graph(&self, graph: &str, ntriples: &[u8]) -> Result<(), StoreError> {
        let url = &self.connection.graph_store_url;
        self.send(
            url,
            &|http| {
                http.put(url.as_str())
                    .query(&[("graph", graph)])
                    .header(CONTENT_TYPE, "application/n-triples")
                    .body(ntriples.to_vec())
            },
            None,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_query_is_not_sent_again_but_a_deadlock_is() {
        let error = StatusCode::INTERNAL_SERVER_ERROR;
        assert!(!is_retryable(
            error,
            "Virtuoso 22023 Error SR353: Sorted TOP clause specifies more then 10001 rows"
        ));
        assert!(is_retryable(
            error,
            "Virtuoso 40001 Error SR172: Transaction deadlocked"
        ));
        assert!(is_retryable(error, "<html>proxy error</html>"));
        assert!(!is_retryable(
            error,
            "Virtuoso 40005 Error SR325: Transaction aborted because it's log after image size went above the limit"
        ));
        assert!(!is_retryable(
            error,
            "<html><body><h3>Error 40005</h3><xmp>SR325: Transaction aborted</xmp></body></html>"
        ));
        assert!(is_retryable(StatusCode::SERVICE_UNAVAILABLE, ""));
        assert!(is_retryable(StatusCode::TOO_MANY_REQUESTS, ""));
        assert!(!is_retryable(StatusCode::BAD_REQUEST, "syntax"));
    }
}
