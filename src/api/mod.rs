//! HTTP handlers. They are thin: extract, authenticate, call one service function, map to
//! the wire type, respond.

pub mod auth;
pub mod health;
pub mod mastodon;
pub mod oauth;
pub mod params;
pub mod scim;

use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::context::AppContext;
use crate::error::{Error, ErrorKind};

/// Every route of the application.
pub fn configure(cfg: &mut web::ServiceConfig, ctx: &AppContext) {
    let limit = ctx.settings.http.max_body_bytes;
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
    .app_data(web::PathConfig::default().error_handler(|_err, _req| Error::not_found().into()))
    .configure(health::configure)
    .configure(mastodon::configure)
    .configure(oauth::configure)
    .configure(scim::configure)
    .configure(crate::web::configure)
    .configure(crate::apub::configure)
    .default_service(web::to(not_found));
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

async fn not_found(req: HttpRequest) -> Result<HttpResponse, Error> {
    tracing::debug!(path = req.path(), "no route");
    Err(Error::not_found())
}
