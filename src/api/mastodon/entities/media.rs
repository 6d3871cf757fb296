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
    let av = matches!(m.kind.as_str(), "video" | "audio");
    // Video and audio have a preview only if one was made (a frame of a local video); an
    // image is its own preview.
    let preview = m
        .thumbnail_path
        .as_deref()
        .map(|p| media::public_url(settings, p))
        .or_else(|| if av { None } else { url.clone() });
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
    let meta = match m.kind.as_str() {
        "video" | "gifv" if m.duration.is_some() || m.frame_rate.is_some() => {
            let fps = m.frame_rate.as_deref().and_then(frames_per_second);
            let original = json!({
                "width": w,
                "height": h,
                "frame_rate": m.frame_rate,
                "duration": m.duration,
                "bitrate": m.bitrate,
            });
            json!({
                "length": m.duration.map(length),
                "duration": m.duration,
                "fps": fps,
                "size": format!("{w}x{h}"),
                "width": w,
                "height": h,
                "aspect": if h > 0 { f64::from(w) / f64::from(h) } else { 0.0 },
                "original": original,
                "small": dims(sw, sh),
            })
        }
        "audio" => json!({
            "length": m.duration.map(length),
            "duration": m.duration,
            "original": { "duration": m.duration, "bitrate": m.bitrate },
        }),
        _ => json!({
            "original": dims(w, h),
            "small": dims(sw, sh),
            "focus": { "x": m.focus_x, "y": m.focus_y },
        }),
    };
    json!({
        "id": m.id.to_string(),
        "type": m.kind,
        "url": url,
        "preview_url": preview,
        "remote_url": m.remote_url,
        "preview_remote_url": null,
        "text_url": null,
        "meta": meta,
        "description": if m.description.is_empty() { Value::Null } else { Value::String(m.description.clone()) },
        "blurhash": m.blurhash,
    })
}

/// `"30/1"` → 30 (rounded, as Mastodon shows `fps`).
fn frames_per_second(rate: &str) -> Option<i64> {
    let (n, d) = rate.split_once('/').unwrap_or((rate, "1"));
    let (n, d) = (n.parse::<f64>().ok()?, d.parse::<f64>().ok()?);
    (d > 0.0).then(|| (n / d).round() as i64)
}

/// Mastodon's `length`: `"0:01:02.50"` (hours, minutes, seconds with hundredths).
fn length(secs: f64) -> String {
    let centis = (secs.max(0.0) * 100.0).round() as u64;
    let (h, rest) = (centis / 360_000, centis % 360_000);
    let (m, rest) = (rest / 6000, rest % 6000);
    format!("{h}:{m:02}:{:02}.{:02}", rest / 100, rest % 100)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lengths_and_rates() {
        assert_eq!(super::length(62.5), "0:01:02.50");
        assert_eq!(super::length(3723.0), "1:02:03.00");
        assert_eq!(super::frames_per_second("30000/1001"), Some(30));
        assert_eq!(super::frames_per_second("0/0"), None);
    }
}
