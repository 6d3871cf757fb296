use crate::config::Settings;
use serde_json::{Value, json};

use super::account::account_from_row;
use super::iso_datetime;
use super::status::status_from_view;
use crate::db::models::Account;
use crate::service::views::NotificationView;
use crate::service::warnings::AccountWarning;

/// <https://docs.joinmastodon.org/entities/Notification/>
pub fn notification_from_view(view: &NotificationView, settings: &Settings) -> Value {
    let base = &settings.instance.base_url();
    let n = &view.notification;
    let mut body = json!({
        "id": n.id.to_string(),
        "type": n.kind,
        "group_key": format!("ungrouped-{}", n.id),
        "created_at": iso_datetime(n.created_at),
        "account": account_from_row(&view.account, base),
        "status": view.status.as_ref().map(|s| status_from_view(s, settings)),
    });
    if let Some((warning, target)) = &view.warning {
        body["moderation_warning"] = account_warning_entity(warning, target, base);
    }
    if let Some((report, target)) = &view.report {
        body["report"] = super::report::report_entity(report, target, base);
    }
    body
}

/// <https://docs.joinmastodon.org/entities/AccountWarning/>
pub fn account_warning_entity(
    warning: &AccountWarning,
    target: &Account,
    base: &url::Url,
) -> Value {
    let status_ids: Vec<String> = warning
        .status_ids()
        .iter()
        .map(|id| id.to_string())
        .collect();
    json!({
        "id": warning.id.to_string(),
        "action": warning.action,
        "text": warning.text,
        "status_ids": if status_ids.is_empty() { Value::Null } else { json!(status_ids) },
        "target_account": account_from_row(target, base),
        "appeal": null,
        "created_at": iso_datetime(warning.created_at),
    })
}
