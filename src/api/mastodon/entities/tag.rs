use serde_json::{Value, json};
use url::Url;

use crate::db::models::Tag;
use crate::service::tags::TagView;
use crate::service::trends::{DayUse, LinkTrend, TagTrend};

/// <https://docs.joinmastodon.org/entities/Tag/>. Its usage history is shown for trending
/// hashtags only ([`tag_trend_entity`]), elsewhere empty; `following` only when someone is
/// signed in. A hashtag nobody used yet has no id (an empty string, as Mastodon sends it).
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

/// Mastodon's usage history entries: strings, as Mastodon sends them.
fn history_entity(history: &[DayUse]) -> Value {
    json!(
        history
            .iter()
            .map(|d| json!({
                "day": d.day.to_string(),
                "uses": d.uses.to_string(),
                "accounts": d.accounts.to_string(),
            }))
            .collect::<Vec<_>>()
    )
}

/// A trending hashtag: the Tag entity with its last days' `history`, today first.
pub fn tag_trend_entity(trend: &TagTrend, following: Option<bool>, base: &Url) -> Value {
    let mut entity = tag_entity(
        &TagView {
            display_name: trend.tag.display_name.clone(),
            name: trend.tag.name.clone(),
            tag: Some(trend.tag.clone()),
            following,
        },
        base,
    );
    entity["history"] = history_entity(&trend.history);
    entity
}

/// A trending link: Mastodon 4.3's PreviewCard with `history`. Nothing is fetched from the
/// link (the network is closed), so the card is the URL alone: its title is the URL, its
/// provider the host.
/// <https://docs.joinmastodon.org/entities/PreviewCard/#trends-link>
pub fn link_trend_entity(trend: &LinkTrend) -> Value {
    let provider = Url::parse(&trend.url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    json!({
        "url": trend.url,
        "title": trend.url,
        "description": "",
        "language": null,
        "type": "link",
        "author_name": "",
        "author_url": "",
        "provider_name": provider,
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": null,
        "image_description": "",
        "embed_url": "",
        "blurhash": null,
        "published_at": null,
        "authors": [],
        "history": history_entity(&trend.history),
    })
}
