//! One error type for the whole application.
//!
//! An [`Error`] has a [`ErrorKind`] (which decides the HTTP status), a message that is safe to show
//! to the client, and optionally the underlying cause. The cause goes to the log, never to the
//! client (GoToSocial's `Safe()` vs `Error()`).

use std::borrow::Cow;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What went wrong, as far as the caller is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request is malformed (400).
    BadRequest,
    /// No or invalid credentials (401).
    Unauthorized,
    /// Authenticated but not allowed (403).
    Forbidden,
    /// The thing does not exist, or the caller may not know it exists (404).
    NotFound,
    /// The request conflicts with the current state (409).
    Conflict,
    /// The body is larger than the configured limit (413).
    PayloadTooLarge,
    /// Well-formed but semantically invalid input (422).
    Unprocessable,
    /// Too many requests (429).
    RateLimited,
    /// Another server (a department, a peer) failed to answer, or answered something that is
    /// not what federation needs: a 5xx, an HTML page, a document we cannot read (502).
    BadGateway,
    /// A dependency (database, remote instance) is unavailable (503).
    Unavailable,
    /// A bug or an unexpected failure (500).
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::BadGateway => StatusCode::BAD_GATEWAY,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn default_message(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "Bad request",
            ErrorKind::Unauthorized => "The access token is invalid",
            ErrorKind::Forbidden => "This action is not allowed",
            ErrorKind::NotFound => "Record not found",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::PayloadTooLarge => "Request body is too large",
            ErrorKind::Unprocessable => "Validation failed",
            ErrorKind::RateLimited => "Too many requests",
            ErrorKind::BadGateway => "Another server did not answer as ActivityPub needs",
            ErrorKind::Unavailable => "Service temporarily unavailable",
            ErrorKind::Internal => "Internal server error",
        }
    }
}

/// The application's error: a kind, a client-safe message and an optional cause for the log.
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    cause: Option<anyhow::Error>,
    retry_after_secs: Option<u64>,
    /// Fields the client may act on besides `error` (e.g. `policy_url`, the rules a post
    /// broke), merged into the JSON body. Safe to show, like the message.
    details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error whose message is shown to the client as is.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind,
            message: message.into(),
            cause: None,
            retry_after_secs: None,
            details: None,
        }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound, ErrorKind::NotFound.default_message())
    }

    pub fn unprocessable(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unprocessable, message)
    }

    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unauthorized, message)
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// Another server failed or answered something unusable; the message says which and how.
    pub fn bad_gateway(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::BadGateway, message)
    }

    /// An unexpected failure: the client sees a generic message, the cause is logged.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Error {
            kind: ErrorKind::Internal,
            message: ErrorKind::Internal.default_message().into(),
            cause: Some(cause.into()),
            retry_after_secs: None,
            details: None,
        }
    }

    /// A dependency is down: the client sees a generic message, the cause is logged.
    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        Error {
            kind: ErrorKind::Unavailable,
            message: ErrorKind::Unavailable.default_message().into(),
            cause: Some(cause.into()),
            retry_after_secs: None,
            details: None,
        }
    }

    /// Tell the client when to try again (`Retry-After`, for 429 and 503).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// Add a field to the JSON body beside `error` (never `error` itself); for what a client
    /// can act on, such as where to read and accept the usage policy.
    pub fn with_detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        if key != "error" {
            self.details
                .get_or_insert_with(Default::default)
                .insert(key.to_string(), value.into());
        }
        self
    }

    /// The fields added with [`Error::with_detail`].
    pub fn details(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.details.as_deref()
    }

    /// Attach a cause (for the log) to an error.
    pub fn with_cause(mut self, cause: impl Into<anyhow::Error>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message that is safe to show to a client.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("cause", &self.cause)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause:#}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => Error::not_found(),
            other => Error::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Error::unavailable(e)
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::internal(e)
    }
}

impl From<activitypub_federation::error::Error> for Error {
    /// What the federation library reports, sorted by whose fault it is. A peer that fails or
    /// answers something that is not ActivityPub is a 502 (never a 422 "parse error", and never
    /// with the peer's body in the message); the answer's status has already been logged where
    /// our HTTP client saw it (`apub::answers`).
    fn from(e: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as Fed;
        const UNREACHABLE: &str = "Another server could not be reached";
        match e {
            Fed::NotFound => Error::not_found(),
            Fed::ActivitySignatureInvalid => {
                Error::unauthorized("The HTTP signature is invalid").with_cause(e)
            }
            Fed::ActivityBodyDigestInvalid => {
                Error::unauthorized("The body digest is missing or wrong").with_cause(e)
            }
            Fed::UrlVerificationError(why) => Error::forbidden(why),
            Fed::ObjectDeleted(_) => Error::new(ErrorKind::NotFound, "The object was deleted"),
            // Not the library's message: its format names the id twice and drops serde's
            // reason (which is what the sender and our log need; the id is logged beside it).
            Fed::ParseReceivedActivity { err, .. } => {
                Error::bad_request(format!("The activity could not be parsed: {err}"))
            }
            Fed::RequestLimit => Error::unprocessable("Too many fetches for one request"),
            Fed::Other(message) => Error::bad_request(message),
            // Our HTTP client's own verdict on an answer (see `apub::answers`).
            Fed::ReqwestMiddleware(reqwest_middleware::Error::Middleware(cause)) => {
                match cause.downcast::<Error>() {
                    Ok(ours) => ours,
                    Err(cause) => Error::bad_gateway(UNREACHABLE).with_cause(cause),
                }
            }
            Fed::ReqwestMiddleware(_)
            | Fed::Reqwest(_)
            | Fed::DomainResolveError(_)
            | Fed::ResolveInternalIpError(..) => Error::bad_gateway(UNREACHABLE).with_cause(e),
            Fed::ParseFetchedObject(cause, url, _body) => {
                tracing::warn!(%url, error = %cause, "another server answered a fetch with a document we cannot read");
                Error::bad_gateway(format!(
                    "{url} did not answer with an ActivityPub document we can read"
                ))
                .with_cause(cause)
            }
            Fed::FetchInvalidContentType(url) => {
                tracing::warn!(%url, "another server answered a fetch with a body that is not ActivityPub");
                Error::bad_gateway(format!("{url} did not answer with ActivityPub"))
            }
            Fed::FetchWrongId(url) => {
                tracing::warn!(%url, "another server answered a fetch with another object's id");
                Error::bad_gateway(format!("{url} answered with another object's id"))
            }
            Fed::ResponseBodyLimit | Fed::Utf8(_) | Fed::UrlParse(_) => {
                Error::bad_gateway("Another server's answer could not be read").with_cause(e)
            }
            Fed::WebfingerResolveFailed(_) => Error::not_found().with_cause(e),
            other => Error::internal(other),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::internal(e)
    }
}

/// The Mastodon error body, with any details beside `error`.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    details: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self.kind {
            ErrorKind::Internal | ErrorKind::Unavailable => {
                tracing::error!(kind = ?self.kind, error = %self, "request failed");
            }
            ErrorKind::BadGateway => {
                tracing::warn!(error = %self, "request failed: another server did not answer as needed");
            }
            _ => {
                tracing::debug!(kind = ?self.kind, error = %self, "request refused");
            }
        }
        let mut resp = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after_secs {
            resp.insert_header(("Retry-After", secs.to_string()));
        }
        if self.kind == ErrorKind::Unauthorized {
            // RFC 6750 §3, as Mastodon (Doorkeeper) sends it.
            resp.insert_header((
                "WWW-Authenticate",
                "Bearer realm=\"Groundswell\", error=\"invalid_token\"",
            ));
        }
        resp.json(ErrorBody {
            error: &self.message,
            details: self.details.as_deref(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause_from_the_client() {
        let err = Error::internal(anyhow::anyhow!("password=hunter2 in connection string"));
        assert_eq!(err.message(), "Internal server error");
        assert!(
            err.to_string().contains("hunter2"),
            "the log still gets the cause"
        );
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[actix_web::test]
    async fn details_go_beside_the_error_and_never_replace_it() {
        let err = Error::forbidden("Accept the usage policy first")
            .with_detail("policy_url", "https://eng.corp.example/about/usage-policy")
            .with_detail("error", "overwritten?");
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        let body = actix_web::body::to_bytes(resp.into_body())
            .await
            .expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "error": "Accept the usage policy first",
                "policy_url": "https://eng.corp.example/about/usage-policy",
            })
        );
    }

    #[test]
    fn kinds_map_to_mastodon_statuses() {
        assert_eq!(ErrorKind::NotFound.status(), 404);
        assert_eq!(ErrorKind::Unprocessable.status(), 422);
        assert_eq!(ErrorKind::Unauthorized.status(), 401);
        assert_eq!(ErrorKind::RateLimited.status(), 429);
        assert_eq!(ErrorKind::BadGateway.status(), 502);
    }
}
