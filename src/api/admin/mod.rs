//! Admin API: Groundswell's own endpoints for moderators and administrators
//! (`/api/v1/groundswell/admin/…`). Each checks the token's admin scope and the employee's
//! role together (`Auth::admin_with`).

pub mod policy;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(policy::configure);
}
