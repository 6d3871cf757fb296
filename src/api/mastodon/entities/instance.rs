//! <https://docs.joinmastodon.org/entities/Instance/> (v2) and the v1 form.

use serde::Serialize;
use serde_json::{Value, json};

use super::account::AccountEntity;
use crate::config::Settings;
use crate::service::instance::{InstanceStats, SOURCE_URL};

/// The version string clients parse: Mastodon's API level first, then who we really are.
pub fn version_string() -> String {
    format!(
        "4.3.0 (compatible; Groundswell {})",
        env!("CARGO_PKG_VERSION")
    )
}

/// <https://docs.joinmastodon.org/entities/Rule/>
#[derive(Debug, Clone, Serialize)]
pub struct RuleEntity {
    pub id: String,
    pub text: String,
    pub hint: String,
}

pub fn rules(settings: &Settings) -> Vec<RuleEntity> {
    settings
        .instance
        .rules
        .iter()
        .enumerate()
        .map(|(i, text)| RuleEntity {
            id: (i + 1).to_string(),
            text: text.clone(),
            hint: String::new(),
        })
        .collect()
}

fn streaming_url(settings: &Settings) -> String {
    let scheme = if settings.instance.uses_https() {
        "wss"
    } else {
        "ws"
    };
    format!("{scheme}://{}", settings.instance.domain)
}

/// `vapid_key`: the department's Web Push public key (`service::push::vapid`), shown by v2.
fn configuration(settings: &Settings, vapid_key: &str) -> Value {
    json!({
        "urls": { "streaming": streaming_url(settings) },
        "vapid": { "public_key": vapid_key },
        "accounts": { "max_featured_tags": 10, "max_pinned_statuses": 5 },
        "statuses": {
            "max_characters": settings.limits.max_status_chars,
            "max_media_attachments": settings.limits.max_media_attachments,
            "characters_reserved_per_url": 23
        },
        "media_attachments": {
            "supported_mime_types": [
                "image/jpeg", "image/png", "image/gif", "image/webp",
                "video/mp4", "video/webm", "video/quicktime", "video/ogg",
                "audio/mpeg", "audio/mp3", "audio/ogg", "audio/mp4", "audio/x-m4a", "audio/webm"
            ],
            "image_size_limit": settings.limits.max_image_bytes,
            "image_matrix_limit": settings.limits.max_image_pixels,
            "video_size_limit": settings.limits.max_video_bytes,
            "video_frame_rate_limit": crate::service::av::MAX_FRAME_RATE as u32,
            "video_matrix_limit": settings.limits.max_image_pixels,
            "description_limit": 1500
        },
        "polls": {
            "max_options": 4,
            "max_characters_per_option": 50,
            "min_expiration": 300,
            "max_expiration": 2_629_746
        },
        "translation": { "enabled": false }
    })
}

/// `GET /api/v2/instance`.
pub fn instance_v2(
    settings: &Settings,
    stats: &InstanceStats,
    contact: Option<AccountEntity>,
    vapid_key: &str,
) -> Value {
    let base = settings.instance.base_url();
    json!({
        "domain": settings.instance.domain.as_str(),
        "title": settings.instance.name,
        "version": version_string(),
        "source_url": SOURCE_URL,
        "description": settings.instance.description,
        "usage": { "users": { "active_month": stats.active_month } },
        "thumbnail": { "url": format!("{}static/header.png", base) },
        "icon": [],
        "languages": ["en"],
        "configuration": configuration(settings, vapid_key),
        "registrations": {
            "enabled": false,
            "approval_required": false,
            "message": "Accounts are created by your company's IT.",
            "url": null
        },
        "api_versions": { "mastodon": 2 },
        "contact": {
            "email": settings.instance.contact_email,
            "account": contact
        },
        "rules": rules(settings),
    })
}

/// `GET /api/v1/instance` (deprecated by Mastodon, still used by many clients).
pub fn instance_v1(
    settings: &Settings,
    stats: &InstanceStats,
    contact: Option<AccountEntity>,
) -> Value {
    let base = settings.instance.base_url();
    let mut configuration = configuration(settings, "");
    if let Some(obj) = configuration.as_object_mut() {
        obj.remove("urls");
        obj.remove("vapid");
        obj.remove("translation");
    }
    json!({
        "uri": settings.instance.domain.as_str(),
        "title": settings.instance.name,
        "short_description": settings.instance.description,
        "description": settings.instance.description,
        "email": settings.instance.contact_email,
        "version": version_string(),
        "urls": { "streaming_api": streaming_url(settings) },
        "stats": {
            "user_count": stats.user_count,
            "status_count": stats.status_count,
            "domain_count": stats.domain_count
        },
        "thumbnail": format!("{}static/header.png", base),
        "languages": ["en"],
        "registrations": false,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": configuration,
        "contact_account": contact,
        "rules": rules(settings),
    })
}
