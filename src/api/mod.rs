//! HTTP handlers. They are thin: extract, authenticate, call one service function, map to
//! the wire type, respond.

pub mod admin;
pub mod auth;
pub mod health;
pub mod mastodon;
pub mod oauth;
pub mod params;
pub mod scim;
pub mod usage_policy;

use actix_web::web;

/// The routes of the APIs: health, the Mastodon client API, OAuth, SCIM. Routes under
/// `/api` outside the Mastodon client API come first: its scope answers the rest.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(usage_policy::configure)
        .configure(admin::configure)
        .configure(mastodon::configure)
        .configure(oauth::configure)
        .configure(scim::configure);
}
