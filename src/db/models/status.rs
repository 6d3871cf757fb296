use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{notifications, status_edits, statuses, tags};

/// A post, a reply or a boost (`reblog_of_id` set), local or from another department.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = statuses)]
pub struct Status {
    pub id: i64,
    pub ap_id: String,
    pub url: Option<String>,
    pub account_id: i64,
    pub local: bool,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_account_id: Option<i64>,
    pub in_reply_to_ap_id: Option<String>,
    pub reblog_of_id: Option<i64>,
    pub thread_root_id: Option<i64>,
    pub content: String,
    pub source_text: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: String,
    pub language: Option<String>,
    pub application_id: Option<i64>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `post` or `edit` while a policy rule holds it for review (only its author sees it).
    pub held_for_review: Option<String>,
    /// A followers-only or direct post a rule keeps in the department.
    pub local_only: bool,
}

impl Status {
    /// Whether it stays in this department: department-only, or kept here by a rule.
    pub fn stays_here(&self) -> bool {
        self.visibility == "local" || self.local_only
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = statuses)]
pub struct NewStatus {
    pub id: i64,
    pub ap_id: String,
    pub url: Option<String>,
    pub account_id: i64,
    pub local: bool,
    pub in_reply_to_id: Option<i64>,
    pub in_reply_to_account_id: Option<i64>,
    pub in_reply_to_ap_id: Option<String>,
    pub reblog_of_id: Option<i64>,
    pub thread_root_id: Option<i64>,
    pub content: String,
    pub source_text: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: String,
    pub language: Option<String>,
    pub application_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub held_for_review: Option<String>,
    pub local_only: bool,
}

/// An earlier version of an edited status.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = status_edits)]
pub struct StatusEdit {
    pub id: i64,
    pub status_id: i64,
    pub account_id: i64,
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub media_ids: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub created_at: NaiveDateTime,
}

/// Something that happened to an employee: `mention`, `status`, `reblog`, `follow`,
/// `follow_request`, `favourite`, `update`.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub account_id: i64,
    pub from_account_id: i64,
    pub kind: String,
    pub status_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// The warning of a `moderation_warning` notification.
    pub account_warning_id: Option<i64>,
    /// The report of an `admin.report` notification.
    pub report_id: Option<i64>,
    /// Shared by the favourites and boosts of one post, and by follows, arriving within
    /// [`crate::service::notifications::GROUP_SPAN_HOURS`] of each other; `None`: its own group.
    pub group_key: Option<String>,
    /// Held back by the recipient's notification policy (shown as a notification request).
    pub filtered: bool,
}
