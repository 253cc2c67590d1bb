//! HTTP fetching with the manners a public data source deserves and the caution an open
//! harvester needs: timeouts, a response size cap, retries with exponential backoff and jitter
//! on timeouts, 408, 425, 429 and 5xx (honouring `Retry-After`), and no requests to loopback,
//! private or link-local addresses (also not through a redirect) unless allowed.

use std::io::Read;
use std::net::{IpAddr, ToSocketAddrs};
use std::time::Duration;

use thiserror::Error;

/// Why a fetch failed.
#[derive(Debug, Error)]
pub enum FetchError {
    /// The URL is not one Belfort may fetch.
    #[error("{url}: refused: {message}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// The server kept answering with an error status.
    #[error("{url}: HTTP status {status} (after {attempts} attempts)")]
    Status {
        /// The URL.
        url: String,
        /// The last status.
        status: u16,
        /// Requests made.
        attempts: u32,
    },
    /// The connection failed or timed out every time.
    #[error("{url}: {message} (after {attempts} attempts)")]
    Transport {
        /// The URL.
        url: String,
        /// The last failure.
        message: String,
        /// Requests made.
        attempts: u32,
    },
    /// The body is larger than the cap.
    #[error("{url}: the response is larger than the {limit}-byte cap")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap.
        limit: u64,
    },
}

/// How a fetcher behaves.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Time to connect.
    pub connect_timeout: Duration,
    /// Time for the whole response.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: u64,
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first backoff; doubled per retry, with up to 50 % jitter.
    pub backoff: Duration,
    /// The longest wait a `Retry-After` may ask for.
    pub max_retry_after: Duration,
    /// Whether loopback, private and link-local addresses may be fetched.
    pub allow_private_addresses: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            max_bytes: crate::DEFAULT_MAX_PAYLOAD_BYTES,
            retries: 4,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(120),
            allow_private_addresses: false,
        }
    }
}

/// What a conditional GET sends: the validators of the copy the caller already has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// Sent as `If-None-Match`.
    pub etag: Option<String>,
    /// Sent as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// A response that arrived.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The status (2xx, 304, or a final 4xx the caller interprets, such as 410).
    pub status: u16,
    /// `Content-Type`, without parameters.
    pub content_type: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `ETag`.
    pub etag: Option<String>,
    /// `Last-Modified`.
    pub last_modified: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Fetched {
    /// Whether the server says the document never changes.
    pub fn is_immutable(&self) -> bool {
        self.cache_control.as_deref().is_some_and(|c| {
            c.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("immutable"))
        })
    }
}

/// Fetches over HTTP(S).
pub struct HttpFetcher {
    client: reqwest::blocking::Client,
    settings: HttpSettings,
}

impl HttpFetcher {
    /// A fetcher with these settings.
    pub fn new(settings: HttpSettings) -> Result<Self, FetchError> {
        let allow_private = settings.allow_private_addresses;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 5 {
                return attempt.error("more than 5 redirects");
            }
            match check_url(attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(message) => attempt.error(message),
            }
        });
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(redirects)
            .user_agent(concat!("belfort/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Transport {
                url: String::new(),
                message: e.to_string(),
                attempts: 0,
            })?;
        Ok(Self { client, settings })
    }

    /// GETs `url` with `accept`, retrying what may pass. Final 4xx answers other than 408,
    /// 425 and 429 are returned to the caller (a 410 means something to an LDES client).
    pub fn get(&self, url: &str, accept: &str) -> Result<Fetched, FetchError> {
        self.get_with(url, accept, &Validators::default())
    }

    /// GETs `url` like [`HttpFetcher::get`], conditionally on `validators`: a 304 Not
    /// Modified comes back as a response with that status and an empty body.
    pub fn get_with(
        &self,
        url: &str,
        accept: &str,
        validators: &Validators,
    ) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|e| FetchError::Refused {
            url: url.to_owned(),
            message: format!("not a URL: {e}"),
        })?;
        check_url(&parsed, self.settings.allow_private_addresses).map_err(|message| {
            FetchError::Refused {
                url: url.to_owned(),
                message,
            }
        })?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut request = self
                .client
                .get(parsed.clone())
                .header(reqwest::header::ACCEPT, accept);
            if let Some(etag) = &validators.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &validators.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
            }
            let outcome = request.send();
            let retry_after = match outcome {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if (300..400).contains(&status) && status != 304 {
                        // A redirect the policy did not follow (another scheme, a bad target).
                        let target = response
                            .headers()
                            .get(reqwest::header::LOCATION)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("nowhere")
                            .to_owned();
                        return Err(FetchError::Refused {
                            url: url.to_owned(),
                            message: format!("the redirect to {target} is not followed"),
                        });
                    }
                    if !is_retryable(status) {
                        return self.read(url, response);
                    }
                    if attempts > self.settings.retries {
                        return Err(FetchError::Status {
                            url: url.to_owned(),
                            status,
                            attempts,
                        });
                    }
                    retry_after(&response)
                }
                Err(error) => {
                    if attempts > self.settings.retries
                        || !(error.is_timeout() || error.is_connect() || error.is_request())
                    {
                        return Err(FetchError::Transport {
                            url: url.to_owned(),
                            message: error_chain(&error),
                            attempts,
                        });
                    }
                    None
                }
            };
            std::thread::sleep(self.wait(attempts, retry_after));
        }
    }

    fn wait(&self, attempts: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            return asked.min(self.settings.max_retry_after);
        }
        let base = self
            .settings
            .backoff
            .saturating_mul(1 << attempts.saturating_sub(1).min(10));
        base + base.mul_f64(jitter() * 0.5)
    }

    fn read(
        &self,
        url: &str,
        response: reqwest::blocking::Response,
    ) -> Result<Fetched, FetchError> {
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let content_type = header(reqwest::header::CONTENT_TYPE).map(|c| {
            c.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
        let cache_control = header(reqwest::header::CACHE_CONTROL);
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let limit = self.settings.max_bytes;
        if response.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        let mut body = Vec::new();
        response
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| FetchError::Transport {
                url: url.to_owned(),
                message: e.to_string(),
                attempts: 1,
            })?;
        if body.len() as u64 > limit {
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        Ok(Fetched {
            status,
            content_type,
            cache_control,
            etag,
            last_modified,
            body,
        })
    }
}

fn is_retryable(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || (500..=599).contains(&status)
}

/// `Retry-After` in seconds (the HTTP-date form is read as "a while": 5 s).
fn retry_after(response: &reqwest::blocking::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    Some(
        value
            .trim()
            .parse::<u64>()
            .map_or(Duration::from_secs(5), Duration::from_secs),
    )
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A number in [0, 1) that differs between calls (for jitter; not for secrets).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::from(d.subsec_nanos()) ^ d.as_secs()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Refuses schemes other than HTTP(S) and, unless allowed, hosts that are or resolve to
/// loopback, private, link-local or unspecified addresses.
fn check_url(url: &url::Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("the scheme `{}` is not fetched", url.scheme()));
    }
    if allow_private {
        return Ok(());
    }
    let host = url.host_str().ok_or_else(|| "no host".to_owned())?;
    let port = url.port_or_known_default().unwrap_or(80);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .map(|a| a.ip())
            .collect(),
    };
    match addresses.iter().find(|ip| is_internal(ip)) {
        Some(ip) => Err(format!(
            "{host} is an internal address ({ip}); allow private addresses to fetch it"
        )),
        None => Ok(()),
    }
}

fn is_internal(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(&IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/ldes",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0/",
            "file:///etc/passwd",
        ] {
            let parsed = url::Url::parse(url).unwrap_or_else(|_| panic!("{url}"));
            assert!(check_url(&parsed, false).is_err(), "{url}");
        }
        let local = url::Url::parse("http://127.0.0.1:8080/").unwrap_or_else(|_| panic!());
        assert!(check_url(&local, true).is_ok());
        let public = url::Url::parse("http://193.190.1.1/").unwrap_or_else(|_| panic!());
        assert!(check_url(&public, false).is_ok());
    }

    #[test]
    fn immutable_is_read_from_cache_control() {
        let fetched = Fetched {
            status: 200,
            content_type: None,
            cache_control: Some("public, max-age=31536000, immutable".into()),
            etag: None,
            last_modified: None,
            body: Vec::new(),
        };
        assert!(fetched.is_immutable());
    }
}
