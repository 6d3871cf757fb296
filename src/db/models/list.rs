use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::lists;

/// An employee's list of accounts they follow, with its own timeline.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = lists)]
pub struct List {
    pub id: i64,
    pub account_id: i64,
    pub title: String,
    /// `followed`, `list` or `none`.
    pub replies_policy: String,
    /// Members' posts are left out of the owner's home timeline.
    pub exclusive: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
