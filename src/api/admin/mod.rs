//! The admin API: Mastodon's where it has one (`/api/v1/admin/…`, `/api/v2/admin/…`:
//! accounts, reports, domain allows and blocks) and Groundswell's own for moderators and
//! administrators (`/api/v1/groundswell/admin/…`: policy rules, held posts, roles, the audit
//! log, the federation mode, the usage policy). Every endpoint checks the token's admin
//! scope and the employee's role together (`Auth::admin_with`).

pub mod accounts;
pub mod announcements;
pub mod domains;
pub mod federation;
pub mod metrics;
pub mod policy;
pub mod usage_policy;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(policy::configure)
        .configure(accounts::configure)
        .configure(domains::configure)
        .configure(federation::configure)
        .configure(usage_policy::configure)
        .configure(announcements::configure)
        .configure(metrics::configure);
}
