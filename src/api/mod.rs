//! HTTP handlers. They are thin: extract, authenticate, call one service function, map to
//! the wire type, respond.

pub mod admin;
pub mod auth;
pub mod groundswell;
pub mod health;
pub mod mastodon;
pub mod oauth;
/// The bounded parameter and upload parsing lives below the handler layers (the web pages take
/// uploads too); the API keeps its old path to it.
pub use crate::http::params;
pub mod prometheus;
pub mod scim;
pub mod usage_policy;

use actix_web::web;

/// The routes of the APIs: health, metrics, the Mastodon client API and Groundswell's own endpoints
/// beside it (`/api/v1/groundswell/…`, admin ones included) in one `/api` scope, OAuth, SCIM.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(prometheus::configure)
        .service(
            web::scope("/api")
                .configure(mastodon::configure)
                .configure(groundswell::configure)
                .configure(usage_policy::configure)
                .configure(admin::configure),
        )
        .configure(oauth::configure)
        .configure(scim::configure);
}
