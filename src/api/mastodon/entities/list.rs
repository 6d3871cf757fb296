use serde_json::{Value, json};

use crate::db::models::List;

/// <https://docs.joinmastodon.org/entities/List/>
pub fn list_entity(list: &List) -> Value {
    json!({
        "id": list.id.to_string(),
        "title": list.title,
        "replies_policy": list.replies_policy,
        "exclusive": list.exclusive,
    })
}
