//! Moderation warnings: what an employee is told of a moderator's decision about their
//! account or posts (Mastodon's AccountWarning), delivered as a `moderation_warning`
//! notification. Today: a held post refused; the moderation console adds warnings, silences
//! and suspensions.
//! <https://docs.joinmastodon.org/entities/AccountWarning/>

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::account_warnings;
use crate::db::{DbConnection, ids};
use crate::error::Result;
use crate::service::notifications;

/// Longest text of a warning, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// The notification kind that carries a warning.
pub const NOTIFICATION: &str = "moderation_warning";

/// The reason a moderator gives the author of what they decide on (required, bounded).
pub fn reason(text: &str, what: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(crate::error::Error::unprocessable(format!(
            "Validation failed: say why {what} (its author is told)"
        )));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(crate::error::Error::unprocessable(format!(
            "Validation failed: the reason is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    Ok(text.to_string())
}

/// Mastodon's actions a warning speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningAction {
    None,
    DeleteStatuses,
    MarkStatusesAsSensitive,
    Sensitive,
    Silence,
    Suspend,
    Disable,
}

impl WarningAction {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningAction::None => "none",
            WarningAction::DeleteStatuses => "delete_statuses",
            WarningAction::MarkStatusesAsSensitive => "mark_statuses_as_sensitive",
            WarningAction::Sensitive => "sensitive",
            WarningAction::Silence => "silence",
            WarningAction::Suspend => "suspend",
            WarningAction::Disable => "disable",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = account_warnings)]
pub struct AccountWarning {
    pub id: i64,
    pub account_id: i64,
    pub moderator_account_id: Option<i64>,
    pub action: String,
    pub text: String,
    /// JSON array of status ids.
    pub status_ids: String,
    pub created_at: NaiveDateTime,
}

impl AccountWarning {
    pub fn status_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.status_ids).unwrap_or_default()
    }
}

/// Warn `account_id` (an employee here): the warning is stored and they are notified.
pub fn warn(
    conn: &mut DbConnection,
    account_id: i64,
    moderator: Option<i64>,
    action: WarningAction,
    text: &str,
    status_ids: &[i64],
) -> Result<AccountWarning> {
    let warning = AccountWarning {
        id: ids::next_id(),
        account_id,
        moderator_account_id: moderator,
        action: action.as_str().to_string(),
        text: text.trim().to_string(),
        status_ids: serde_json::to_string(status_ids).unwrap_or_else(|_| "[]".into()),
        created_at: Utc::now().naive_utc(),
    };
    diesel::insert_into(account_warnings::table)
        .values((
            account_warnings::id.eq(warning.id),
            account_warnings::account_id.eq(warning.account_id),
            account_warnings::moderator_account_id.eq(warning.moderator_account_id),
            account_warnings::action.eq(&warning.action),
            account_warnings::text.eq(&warning.text),
            account_warnings::status_ids.eq(&warning.status_ids),
            account_warnings::created_at.eq(warning.created_at),
        ))
        .execute(conn)?;
    notifications::tell(
        conn,
        account_id,
        moderator.unwrap_or(account_id),
        NOTIFICATION,
        notifications::About {
            account_warning_id: Some(warning.id),
            ..Default::default()
        },
    )?;
    Ok(warning)
}

/// The warnings of these ids.
pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<AccountWarning>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(account_warnings::table
        .filter(account_warnings::id.eq_any(ids))
        .select(AccountWarning::as_select())
        .load(conn)?)
}
