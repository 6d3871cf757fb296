//! Mastodon's admin entities: Admin::Account and Admin::Report.
//! <https://docs.joinmastodon.org/entities/Admin_Account/>,
//! <https://docs.joinmastodon.org/entities/Admin_Report/>

use serde_json::{Value, json};
use url::Url;

use super::account::account_from_row;
use super::iso_datetime;
use crate::db::models::{Account, Report, User};
use crate::service::users::Role;

/// Mastodon's role of an employee: its built-in roles, with their permission bits
/// (<https://docs.joinmastodon.org/entities/Role/#permission-flags>): administrators have
/// `administrator` (everything); moderators `view_audit_log`, `view_dashboard`,
/// `manage_reports`, `manage_taxonomies`, `manage_users`; everyone `invite_users`.
pub fn role_entity(role: Role) -> Value {
    let (id, name, permissions, highlighted) = match role {
        Role::Admin => ("2", "Admin", "1", true),
        Role::Moderator => ("1", "Moderator", "1308", true),
        Role::User => ("-99", "", "65536", false),
    };
    json!({
        "id": id,
        "name": name,
        "permissions": permissions,
        "color": "",
        "highlighted": highlighted,
    })
}

/// <https://docs.joinmastodon.org/entities/Admin_Account/>
pub fn admin_account_entity(account: &Account, user: Option<&User>, base: &Url) -> Value {
    let role = user
        .map(|u| u.role.parse().unwrap_or(Role::User))
        .unwrap_or(Role::User);
    json!({
        "id": account.id.to_string(),
        "username": account.username,
        "domain": account.domain,
        "created_at": iso_datetime(account.created_at),
        "email": user.map(|u| u.email.clone()),
        // Sign-in addresses are not kept.
        "ip": null,
        "ips": [],
        "locale": user.and_then(|u| u.locale.clone()),
        "invite_request": null,
        "role": role_entity(role),
        "confirmed": user.is_some(),
        "approved": true,
        "disabled": user.is_some_and(|u| u.disabled_at.is_some()),
        "silenced": account.silenced_at.is_some(),
        "suspended": account.suspended_at.is_some(),
        "sensitized": account.sensitized_at.is_some(),
        "account": account_from_row(account, base),
        "created_by_application_id": null,
        "invited_by_account_id": null,
    })
}

/// <https://docs.joinmastodon.org/entities/Admin_Report/>
pub struct AdminReport<'a> {
    pub report: &'a Report,
    pub reporter: Value,
    pub target: Value,
    pub assigned: Option<Value>,
    pub action_taken_by: Option<Value>,
    pub statuses: Vec<Value>,
    /// The instance rules it names (`{id, text, hint}`).
    pub rules: Vec<Value>,
}

pub fn admin_report_entity(r: AdminReport<'_>) -> Value {
    let report = r.report;
    json!({
        "id": report.id.to_string(),
        "action_taken": report.action_taken_at.is_some(),
        "action_taken_at": report.action_taken_at.map(iso_datetime),
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso_datetime(report.created_at),
        "updated_at": iso_datetime(report.updated_at),
        "account": r.reporter,
        "target_account": r.target,
        "assigned_account": r.assigned,
        "action_taken_by_account": r.action_taken_by,
        "statuses": r.statuses,
        "rules": r.rules,
    })
}
