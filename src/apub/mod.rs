//! ActivityPub and the discovery protocols around it. For now: WebFinger, host-meta and
//! NodeInfo (public by design, so other departments and apps can find accounts). Actors,
//! inboxes and signed delivery come with the federation work.

pub mod discovery;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(discovery::configure);
}
