//! The admin API: Mastodon's where it has one (domain allows and blocks), Groundswell's own
//! under `/api/v1/groundswell/admin/` (the federation mode, the usage policy). Every endpoint
//! checks the token's admin scope and the employee's role: admins change, moderators read.

pub mod domains;
pub mod federation;
pub mod usage_policy;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(domains::configure)
        .configure(federation::configure)
        .configure(usage_policy::configure);
}
