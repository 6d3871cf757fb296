use serde_json::{Value, json};

use crate::config::Settings;
use crate::db::models::MediaAttachment;
use crate::service::media;

/// <https://docs.joinmastodon.org/entities/MediaAttachment/>
pub fn media_entity(m: &MediaAttachment, settings: &Settings) -> Value {
    let url = m
        .file_path
        .as_deref()
        .map(|p| media::public_url(settings, p))
        .or_else(|| m.remote_url.clone());
    let preview = m
        .thumbnail_path
        .as_deref()
        .map(|p| media::public_url(settings, p))
        .or_else(|| url.clone());
    let (w, h) = (m.width.unwrap_or(0), m.height.unwrap_or(0));
    let dims = |w: i32, h: i32| {
        json!({
            "width": w,
            "height": h,
            "size": format!("{w}x{h}"),
            "aspect": if h > 0 { f64::from(w) / f64::from(h) } else { 0.0 },
        })
    };
    // The preview fits in 640×640, keeping the aspect ratio.
    let scale = (640.0 / f64::from(w.max(h).max(1))).min(1.0);
    let (sw, sh) = (
        (f64::from(w) * scale).round() as i32,
        (f64::from(h) * scale).round() as i32,
    );
    json!({
        "id": m.id.to_string(),
        "type": m.kind,
        "url": url,
        "preview_url": preview,
        "remote_url": m.remote_url,
        "preview_remote_url": null,
        "text_url": null,
        "meta": {
            "original": dims(w, h),
            "small": dims(sw, sh),
            "focus": { "x": m.focus_x, "y": m.focus_y },
        },
        "description": if m.description.is_empty() { Value::Null } else { Value::String(m.description.clone()) },
        "blurhash": m.blurhash,
    })
}
