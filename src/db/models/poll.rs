use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::polls;

/// A poll on a status; `options` is a JSON array of titles.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = polls)]
pub struct Poll {
    pub id: i64,
    pub status_id: i64,
    pub account_id: i64,
    pub options: String,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub ended_notified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Poll {
    pub fn option_titles(&self) -> Vec<String> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }

    pub fn expired(&self, now: NaiveDateTime) -> bool {
        self.expires_at.is_some_and(|t| t <= now)
    }
}
