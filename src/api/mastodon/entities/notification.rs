use crate::config::Settings;
use serde_json::{Value, json};

use super::account::account_from_row;
use super::iso_datetime;
use super::status::status_from_view;
use crate::service::views::NotificationView;

/// <https://docs.joinmastodon.org/entities/Notification/>
pub fn notification_from_view(view: &NotificationView, settings: &Settings) -> Value {
    let base = &settings.instance.base_url();
    let n = &view.notification;
    json!({
        "id": n.id.to_string(),
        "type": n.kind,
        "group_key": format!("ungrouped-{}", n.id),
        "created_at": iso_datetime(n.created_at),
        "account": account_from_row(&view.account, base),
        "status": view.status.as_ref().map(|s| status_from_view(s, settings)),
    })
}
