use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{filter_keywords, filter_statuses, filters};

/// A content filter of one employee: where it applies and what it does to matches.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = filters)]
pub struct Filter {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    /// Comma-separated: `home`, `notifications`, `public`, `thread`, `account`.
    pub context: String,
    /// `warn` or `hide`.
    pub filter_action: String,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A word or phrase a filter matches.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = filter_keywords)]
pub struct FilterKeyword {
    pub id: i64,
    pub filter_id: i64,
    pub keyword: String,
    pub whole_word: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A status a filter matches.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = filter_statuses)]
pub struct FilterStatus {
    pub id: i64,
    pub filter_id: i64,
    pub status_id: i64,
    pub created_at: NaiveDateTime,
}
