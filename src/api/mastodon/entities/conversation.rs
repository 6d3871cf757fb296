use serde_json::{Value, json};
use url::Url;

use super::account::account_from_row;
use super::status::status_from_view;
use crate::service::conversations::ConversationView;

/// <https://docs.joinmastodon.org/entities/Conversation/>
pub fn conversation_entity(c: &ConversationView, base: &Url) -> Value {
    json!({
        "id": c.id.to_string(),
        "unread": c.unread,
        "accounts": c.accounts.iter().map(|a| account_from_row(a, base)).collect::<Vec<_>>(),
        "last_status": status_from_view(&c.last_status, base),
    })
}
