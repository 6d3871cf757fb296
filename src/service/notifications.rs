//! Notifications: what happened to an employee, and reading them.

use chrono::Utc;
use diesel::prelude::*;

use crate::db::models::Notification;
use crate::db::schema::{account_domain_blocks, accounts, blocks, mutes, notifications};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::events::{self, Event};
use crate::service::pagination::Page;

/// Every notification type Groundswell creates (Mastodon's names).
pub const KINDS: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "update",
    "poll",
];

/// Whether `recipient` muted the thread `status_id` is part of.
fn thread_muted(conn: &mut DbConnection, recipient: i64, status_id: Option<i64>) -> Result<bool> {
    use crate::db::schema::{statuses, thread_mutes};
    let Some(status_id) = status_id else {
        return Ok(false);
    };
    let root: Option<Option<i64>> = statuses::table
        .find(status_id)
        .select(statuses::thread_root_id)
        .first(conn)
        .optional()?;
    let root = root.flatten().unwrap_or(status_id);
    Ok(diesel::select(diesel::dsl::exists(
        thread_mutes::table
            .filter(thread_mutes::account_id.eq(recipient))
            .filter(thread_mutes::thread_root_id.eq(root)),
    ))
    .get_result(conn)?)
}

/// Notify `recipient` (if local, not the actor, and not blocking or muting the actor or
/// blocking its department).
pub fn notify(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &'static str,
    status_id: Option<i64>,
) -> Result<Option<Notification>> {
    if recipient == from {
        return Ok(None);
    }
    let recipient_is_local: bool = accounts::table
        .find(recipient)
        .select(accounts::domain.is_null())
        .first(conn)
        .optional()?
        .unwrap_or(false);
    if !recipient_is_local {
        return Ok(None);
    }
    let silenced: bool = diesel::select(
        diesel::dsl::exists(
            blocks::table
                .filter(blocks::account_id.eq(recipient))
                .filter(blocks::target_account_id.eq(from)),
        )
        .or(diesel::dsl::exists(
            mutes::table
                .filter(mutes::account_id.eq(recipient))
                .filter(mutes::target_account_id.eq(from))
                .filter(mutes::hide_notifications.eq(true)),
        ))
        .or(diesel::dsl::exists(
            account_domain_blocks::table
                .filter(account_domain_blocks::account_id.eq(recipient))
                .filter(
                    account_domain_blocks::domain
                        .nullable()
                        .eq_any(accounts::table.find(from).select(accounts::domain)),
                ),
        )),
    )
    .get_result(conn)?;
    if silenced || thread_muted(conn, recipient, status_id)? {
        return Ok(None);
    }
    let row = Notification {
        id: ids::next_id(),
        account_id: recipient,
        from_account_id: from,
        kind: kind.to_string(),
        status_id,
        created_at: Utc::now().naive_utc(),
        account_warning_id: None,
        report_id: None,
    };
    insert(conn, &row)?;
    Ok(Some(row))
}

/// [`notify`], unless the recipient was already told of this (a held post's mentions, told
/// when a moderator approves it, are told once).
pub fn notify_once(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &'static str,
    status_id: Option<i64>,
) -> Result<Option<Notification>> {
    let about = notifications::table
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::kind.eq(kind));
    let told: bool = match status_id {
        Some(id) => diesel::select(diesel::dsl::exists(
            about.filter(notifications::status_id.eq(id)),
        ))
        .get_result(conn)?,
        None => diesel::select(diesel::dsl::exists(
            about.filter(notifications::status_id.is_null()),
        ))
        .get_result(conn)?,
    };
    if told {
        return Ok(None);
    }
    notify(conn, recipient, from, kind, status_id)
}

/// What a notification points at besides its sender.
#[derive(Debug, Clone, Copy, Default)]
pub struct About {
    pub status_id: Option<i64>,
    /// The warning of a `moderation_warning`.
    pub account_warning_id: Option<i64>,
    /// The report of an `admin.report`.
    pub report_id: Option<i64>,
}

/// Tell an employee something from the department itself (a moderator's decision, a policy
/// rule's, a report): not skipped when `from` is the recipient, nor for blocks and mutes.
pub fn tell(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &'static str,
    about: About,
) -> Result<Notification> {
    let row = Notification {
        id: ids::next_id(),
        account_id: recipient,
        from_account_id: from,
        kind: kind.to_string(),
        status_id: about.status_id,
        created_at: Utc::now().naive_utc(),
        account_warning_id: about.account_warning_id,
        report_id: about.report_id,
    };
    insert(conn, &row)?;
    Ok(row)
}

/// Store a notification, and tell its recipient's streams when the transaction commits.
fn insert(conn: &mut DbConnection, row: &Notification) -> Result<()> {
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)?;
    events::emit(
        conn,
        Event::Notification {
            account_id: row.account_id,
            notification_id: row.id,
        },
    )
}

/// Notify an employee about their own thing (the end of their own poll), which `notify`
/// would skip as self-inflicted.
pub fn notify_self(
    conn: &mut DbConnection,
    account_id: i64,
    kind: &'static str,
    status_id: Option<i64>,
) -> Result<()> {
    tell(
        conn,
        account_id,
        account_id,
        kind,
        About {
            status_id,
            ..Default::default()
        },
    )
    .map(drop)
}

/// Remove notifications about an action that was undone (unfavourite, unfollow, delete).
pub fn retract(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &str,
    status_id: Option<i64>,
) -> Result<()> {
    let mut q = diesel::delete(notifications::table)
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::kind.eq(kind))
        .into_boxed();
    if let Some(id) = status_id {
        q = q.filter(notifications::status_id.eq(id));
    }
    q.execute(conn)?;
    Ok(())
}

/// Filters of `GET /api/v1/notifications`.
#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    pub types: Vec<String>,
    pub exclude_types: Vec<String>,
    pub account_id: Option<i64>,
}

pub fn list(
    conn: &mut DbConnection,
    me: i64,
    filter: &NotificationFilter,
    page: &Page,
) -> Result<Vec<Notification>> {
    let mut q = notifications::table
        .filter(notifications::account_id.eq(me))
        .select(Notification::as_select())
        .into_boxed();
    if !filter.types.is_empty() {
        q = q.filter(notifications::kind.eq_any(filter.types.clone()));
    }
    if !filter.exclude_types.is_empty() {
        q = q.filter(notifications::kind.ne_all(filter.exclude_types.clone()));
    }
    if let Some(from) = filter.account_id {
        q = q.filter(notifications::from_account_id.eq(from));
    }
    // Hide notifications from accounts muted (with notifications) or blocked since.
    q = q.filter(diesel::dsl::not(
        notifications::from_account_id.eq_any(
            mutes::table
                .filter(mutes::account_id.eq(me))
                .filter(mutes::hide_notifications.eq(true))
                .select(mutes::target_account_id),
        ),
    ));
    q = q.filter(diesel::dsl::not(
        notifications::from_account_id.eq_any(
            blocks::table
                .filter(blocks::account_id.eq(me))
                .select(blocks::target_account_id),
        ),
    ));
    // And from the departments blocked.
    q = q.filter(diesel::dsl::not(
        notifications::from_account_id.eq_any(
            accounts::table
                .filter(
                    accounts::domain.eq_any(
                        account_domain_blocks::table
                            .filter(account_domain_blocks::account_id.eq(me))
                            .select(account_domain_blocks::domain.nullable()),
                    ),
                )
                .select(accounts::id),
        ),
    ));
    if let Some(max) = page.max_id {
        q = q.filter(notifications::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(notifications::id.gt(since));
    }
    if let Some(min) = page.min_id {
        let mut rows = q
            .filter(notifications::id.gt(min))
            .order(notifications::id.asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(notifications::id.desc())
        .limit(page.limit)
        .load(conn)?)
}

/// Most unread notifications counted.
pub const MAX_UNREAD_COUNT: i64 = 1000;

/// How many of `me`'s notifications (as [`list`] shows them, `filter` applied) are newer
/// than the notifications marker (all of them without one), counting at most `limit`.
pub fn unread_count(
    conn: &mut DbConnection,
    me: i64,
    filter: &NotificationFilter,
    limit: i64,
) -> Result<i64> {
    use crate::db::schema::markers;
    let last_read: Option<i64> = markers::table
        .filter(markers::account_id.eq(me))
        .filter(markers::timeline.eq("notifications"))
        .select(markers::last_read_id)
        .first(conn)
        .optional()?;
    let page = Page {
        max_id: None,
        since_id: last_read,
        min_id: None,
        limit: limit.clamp(1, MAX_UNREAD_COUNT),
    };
    Ok(list(conn, me, filter, &page)?.len() as i64)
}

pub fn get(conn: &mut DbConnection, me: i64, id: i64) -> Result<Notification> {
    notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::account_id.eq(me))
        .select(Notification::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

pub fn dismiss(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let n = diesel::delete(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::account_id.eq(me)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(Error::not_found());
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, me: i64) -> Result<()> {
    diesel::delete(notifications::table.filter(notifications::account_id.eq(me))).execute(conn)?;
    Ok(())
}
