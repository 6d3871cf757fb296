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
