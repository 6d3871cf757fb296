use crate::config::Settings;
use serde_json::{Value, json};

use super::account::account_from_row;
use super::iso_datetime;
use super::status::status_from_view;
use crate::db::models::Account;
use crate::service::notification_requests::{Policy, Request, Summary};
use crate::service::notifications::Group;
use crate::service::views::{NotificationView, StatusView};
use crate::service::warnings::AccountWarning;

/// <https://docs.joinmastodon.org/entities/Notification/>
pub fn notification_from_view(view: &NotificationView, settings: &Settings) -> Value {
    let base = &settings.instance.base_url();
    let n = &view.notification;
    let mut body = json!({
        "id": n.id.to_string(),
        "type": n.kind,
        "group_key": match &n.group_key {
            Some(key) => key.clone(),
            None => format!("ungrouped-{}", n.id),
        },
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

/// The notification types whose group names a post (`status_id`).
const STATUS_KINDS: &[&str] = &["favourite", "reblog", "status", "mention", "poll", "update"];

/// <https://docs.joinmastodon.org/entities/GroupedNotificationsResults/#NotificationGroup>
pub fn group_entity(group: &Group, view: &NotificationView, settings: &Settings) -> Value {
    let base = &settings.instance.base_url();
    let kind = view.notification.kind.as_str();
    let mut body = json!({
        "group_key": group.key,
        "notifications_count": group.count,
        "type": kind,
        "most_recent_notification_id": group.most_recent_id.to_string(),
        "sample_account_ids": group
            .sample_account_ids
            .iter()
            .map(|id| id.to_string())
            .collect::<Vec<_>>(),
    });
    if let Some(page) = &group.page {
        body["page_min_id"] = json!(page.min_id.to_string());
        body["page_max_id"] = json!(page.max_id.to_string());
        body["latest_page_notification_at"] = json!(iso_datetime(page.latest_at));
    }
    if STATUS_KINDS.contains(&kind) {
        body["status_id"] = json!(view.status.as_ref().map(|s| s.status.id.to_string()));
    }
    if let Some((warning, target)) = &view.warning {
        body["moderation_warning"] = account_warning_entity(warning, target, base);
    }
    if let Some((report, target)) = &view.report {
        body["report"] = super::report::report_entity(report, target, base);
    }
    body
}

/// Mastodon's partial account (`expand_accounts=partial_avatars`): enough for an avatar.
pub fn partial_account_entity(account: &Account, base: &url::Url) -> Value {
    let full = account_from_row(account, base);
    json!({
        "id": full.id,
        "acct": full.acct,
        "locked": full.locked,
        "bot": full.bot,
        "url": full.url,
        "avatar": full.avatar,
        "avatar_static": full.avatar_static,
    })
}

/// <https://docs.joinmastodon.org/entities/NotificationRequest/>
pub fn request_entity(
    request: &Request,
    last_status: Option<&StatusView>,
    settings: &Settings,
) -> Value {
    json!({
        "id": request.id.to_string(),
        "created_at": iso_datetime(request.created_at),
        "updated_at": iso_datetime(request.updated_at),
        "account": account_from_row(&request.account, &settings.instance.base_url()),
        "notifications_count": request.notifications_count.to_string(),
        "last_status": last_status.map(|s| status_from_view(s, settings)),
    })
}

/// <https://docs.joinmastodon.org/entities/NotificationPolicy/> (v2).
pub fn policy_entity(policy: &Policy, summary: &Summary) -> Value {
    json!({
        "for_not_following": policy.for_not_following.as_str(),
        "for_not_followers": policy.for_not_followers.as_str(),
        "for_new_accounts": policy.for_new_accounts.as_str(),
        "for_private_mentions": policy.for_private_mentions.as_str(),
        "for_limited_accounts": policy.for_limited_accounts.as_str(),
        "summary": {
            "pending_requests_count": summary.pending_requests_count,
            "pending_notifications_count": summary.pending_notifications_count,
        },
    })
}

/// The v1 policy (Mastodon 4.3's `/api/v1/notifications/policy`): booleans, `true` = not
/// accepted.
pub fn policy_v1_entity(policy: &Policy, summary: &Summary) -> Value {
    use crate::service::notification_requests::Verdict;
    let filters = |v: Verdict| v != Verdict::Accept;
    json!({
        "filter_not_following": filters(policy.for_not_following),
        "filter_not_followers": filters(policy.for_not_followers),
        "filter_new_accounts": filters(policy.for_new_accounts),
        "filter_private_mentions": filters(policy.for_private_mentions),
        "summary": {
            "pending_requests_count": summary.pending_requests_count,
            "pending_notifications_count": summary.pending_notifications_count,
        },
    })
}
