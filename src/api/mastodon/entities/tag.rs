use serde_json::{Value, json};
use url::Url;

use crate::db::models::Tag;
use crate::service::tags::TagView;

/// <https://docs.joinmastodon.org/entities/Tag/>. Usage history is not kept yet, so it is
/// empty; `following` only when someone is signed in. A hashtag nobody used yet has no id
/// (an empty string, as Mastodon sends it).
pub fn tag_entity(view: &TagView, base: &Url) -> Value {
    let base = base.as_str().trim_end_matches('/');
    let mut entity = json!({
        "id": view.tag.as_ref().map(|t| t.id.to_string()).unwrap_or_default(),
        "name": view.display_name,
        "url": format!("{base}/tags/{}", view.name),
        "history": [],
    });
    if let Some(following) = view.following {
        entity["following"] = json!(following);
    }
    entity
}

/// A followed hashtag.
pub fn followed_tag_entity(tag: &Tag, base: &Url) -> Value {
    tag_entity(
        &TagView {
            display_name: tag.display_name.clone(),
            name: tag.name.clone(),
            tag: Some(tag.clone()),
            following: Some(true),
        },
        base,
    )
}
