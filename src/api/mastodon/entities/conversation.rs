use serde_json::{Value, json};

use super::account::account_from_row;
use super::status::status_from_view;
use crate::config::Settings;
use crate::service::conversations::ConversationView;

/// <https://docs.joinmastodon.org/entities/Conversation/>
pub fn conversation_entity(c: &ConversationView, settings: &Settings) -> Value {
    let base = settings.instance.base_url();
    json!({
        "id": c.id.to_string(),
        "unread": c.unread,
        "accounts": c.accounts.iter().map(|a| account_from_row(a, &base)).collect::<Vec<_>>(),
        "last_status": status_from_view(&c.last_status, settings),
    })
}
