//! Admin API: Mastodon's (`/api/v1/admin/…`, `/api/v2/admin/…`) and Groundswell's own
//! endpoints for moderators and administrators (`/api/v1/groundswell/admin/…`). Each checks
//! the token's admin scope and the employee's role together (`Auth::admin_with`).

pub mod accounts;
pub mod policy;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(policy::configure)
        .configure(accounts::configure);
}
