//! HTTP handlers. They are thin: extract, authenticate, call one service function, map to
//! the wire type, respond.

pub mod auth;
pub mod health;
pub mod mastodon;
pub mod oauth;
pub mod params;
pub mod scim;

use actix_web::web;

/// The routes of the APIs: health, the Mastodon client API, OAuth, SCIM.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(mastodon::configure)
        .configure(oauth::configure)
        .configure(scim::configure);
}
