//! The Mastodon client API (<https://docs.joinmastodon.org/methods/>). Handlers are thin:
//! authenticate, call the service layer, map rows to entities.

pub mod accounts;
pub mod apps;
pub mod entities;
pub mod instance;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .configure(instance::configure)
            .configure(apps::configure)
            .configure(accounts::configure),
    );
}
