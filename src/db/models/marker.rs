use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::markers;

/// Where an employee stopped reading a timeline (`home` or `notifications`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = markers)]
pub struct Marker {
    pub id: i64,
    pub account_id: i64,
    pub timeline: String,
    pub last_read_id: i64,
    /// How many times it was updated (Mastodon's `lock_version`).
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
