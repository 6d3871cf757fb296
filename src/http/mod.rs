//! HTTP plumbing that every handler layer (`api`, `web`, `apub`) shares, so that it lives
//! below all of them: who the client is, how large a request body may be, and how a body or
//! query that cannot be read is answered. It knows no route; `server` puts the routes of the
//! layers together.

pub mod client_address;
pub mod params;

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::config::HttpSettings;
use crate::error::{Error, ErrorKind};

/// Limits and error answers of the extractors (JSON, forms, bodies, queries, paths), for
/// every route.
pub fn configure(cfg: &mut web::ServiceConfig, settings: &HttpSettings) {
    let limit = settings.max_body_bytes;
    cfg.app_data(
        web::JsonConfig::default()
            .limit(limit)
            .error_handler(|err, _req| json_error(err).into()),
    )
    .app_data(
        web::FormConfig::default()
            .limit(limit)
            .error_handler(|err, _req| form_error(err).into()),
    )
    .app_data(web::PayloadConfig::default().limit(limit))
    .app_data(
        web::QueryConfig::default()
            .error_handler(|err, _req| Error::bad_request(err.to_string()).into()),
    )
    .app_data(web::PathConfig::default().error_handler(|_err, _req| Error::not_found().into()));
}

fn too_large() -> Error {
    Error::new(ErrorKind::PayloadTooLarge, "Request body is too large")
}

/// The length a request says its body has (`Content-Length`), if it says one.
pub fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// A whole request body of at most `limit` bytes, or 413: at once when its `Content-Length`
/// says it is larger, else as soon as what arrived passes the limit (a chunked body), so no
/// more than `limit` bytes are ever held. For handlers that must see the raw bytes (the
/// inbox verifies their digest) and answer a refusal themselves.
pub async fn read_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<web::Bytes, Error> {
    let too_large = || {
        Error::new(
            ErrorKind::PayloadTooLarge,
            format!("Request body is too large (at most {limit} bytes)"),
        )
    };
    if declared_length(req).is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err(Error::bad_request(format!(
            "The request body could not be read: {e}"
        ))),
        Err(_) => Err(too_large()),
    }
}

fn json_error(err: JsonPayloadError) -> Error {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            too_large()
        }
        other => Error::unprocessable(other.to_string()),
    }
}

fn form_error(err: UrlencodedError) -> Error {
    match err {
        UrlencodedError::Overflow { .. } => too_large(),
        other => Error::unprocessable(other.to_string()),
    }
}

/// What no route matches.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, Error> {
    tracing::debug!(path = req.path(), "no route");
    Err(Error::not_found())
}
