use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::media_attachments;

/// An uploaded (or remote) image, video or audio file attached, or about to be attached, to a status.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = media_attachments)]
pub struct MediaAttachment {
    pub id: i64,
    pub account_id: i64,
    pub status_id: Option<i64>,
    pub kind: String,
    pub content_type: String,
    /// Relative to `storage.data_dir`, e.g. `media/<random>/original.jpg`.
    pub file_path: Option<String>,
    pub thumbnail_path: Option<String>,
    pub remote_url: Option<String>,
    pub file_size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub description: String,
    pub blurhash: Option<String>,
    pub focus_x: f64,
    pub focus_y: f64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Video and audio: length in seconds, as ffprobe read it.
    pub duration: Option<f64>,
    /// Video: frames per second as ffprobe gives it (`"30/1"`).
    pub frame_rate: Option<String>,
    /// Video and audio: bits per second.
    pub bitrate: Option<i64>,
}
