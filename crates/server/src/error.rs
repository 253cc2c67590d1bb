//! One error format for every route: `application/problem+json` with a stable code.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use belfort_store::StoreError;

/// An error answered to a client. `code` is stable: scripts may match on it.
#[derive(Debug, thiserror::Error)]
#[error("{title}: {detail}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code, e.g. `invalid-selector`.
    pub code: &'static str,
    /// A short summary of the kind of problem.
    pub title: &'static str,
    /// What exactly went wrong, for a person.
    pub detail: String,
    /// Seconds after which a retry may succeed (429, 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with the given status, code, title and detail.
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 400 with the given code.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 406: none of the representations the client accepts is offered.
    pub fn not_acceptable(offered: &[&str]) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-acceptable",
            "Not acceptable",
            format!("this resource is offered as {}", offered.join(", ")),
        )
    }

    /// 500 for a failure of the server itself.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-error",
            "Internal error",
            detail,
        )
    }

    /// Sets `Retry-After`.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::QuerySyntax(detail) => Self::bad_request("query-syntax", detail),
            StoreError::QueryTimeout { seconds } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "query-timeout",
                "Query timeout",
                format!("the query was stopped after {seconds} s"),
            )
            .with_retry_after(1),
            StoreError::QueryEvaluation(detail) => Self::bad_request("query-evaluation", detail),
            error @ StoreError::QueryMemory { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "query-memory",
                "Query too large",
                format!("{error}; make the query more selective"),
            ),
            StoreError::QueryCancelled => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "query-cancelled",
                "Query cancelled",
                "the query was cancelled",
            ),
            StoreError::QueryRefused(detail) => Self::bad_request("query-refused", detail),
            error @ StoreError::ServiceRefused(_) => Self::new(
                StatusCode::FORBIDDEN,
                "service-not-allowed",
                "SERVICE not allowed",
                error.to_string(),
            ),
            other => {
                tracing::error!(error = %other, "store failure");
                Self::internal(other.to_string())
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::json!({
            "type": format!("https://w3id.org/belfort/problem/{}", self.code),
            "code": self.code,
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.insert_header((header::RETRY_AFTER, value));
        }
        response.body(body.to_string())
    }
}
