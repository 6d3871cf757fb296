//! What an account's ActivityPub collections hold: followers, following, public posts
//! (outbox) and pinned posts (featured). Department-only and non-public posts never appear.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::Status;
use crate::db::schema::{accounts, follows, status_pins, statuses};
use crate::error::Result;

/// Collection pages hold this many items.
pub const PAGE_SIZE: i64 = 40;

/// ActivityPub ids of accepted followers (`followers = true`) or followees, newest first.
/// Returns the total and one page (1-based).
pub fn follow_ids(
    conn: &mut DbConnection,
    account_id: i64,
    followers: bool,
    page: i64,
) -> Result<(i64, Vec<String>)> {
    let offset = (page.max(1) - 1) * PAGE_SIZE;
    let accepted = follows::table.filter(follows::accepted.eq(true));
    if followers {
        let total: i64 = accepted
            .filter(follows::target_account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let ids = accepted
            .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
            .filter(follows::target_account_id.eq(account_id))
            .filter(accounts::suspended_at.is_null())
            .order(follows::id.desc())
            .limit(PAGE_SIZE)
            .offset(offset)
            .select(accounts::ap_id)
            .load(conn)?;
        Ok((total, ids))
    } else {
        let total: i64 = accepted
            .filter(follows::account_id.eq(account_id))
            .count()
            .get_result(conn)?;
        let ids = accepted
            .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
            .filter(follows::account_id.eq(account_id))
            .filter(accounts::suspended_at.is_null())
            .order(follows::id.desc())
            .limit(PAGE_SIZE)
            .offset(offset)
            .select(accounts::ap_id)
            .load(conn)?;
        Ok((total, ids))
    }
}

/// Public and unlisted posts of an account (not boosts), newest first, older than `max_id`.
pub fn public_posts(
    conn: &mut DbConnection,
    account_id: i64,
    max_id: Option<i64>,
) -> Result<(i64, Vec<Status>)> {
    let base = || {
        statuses::table
            .filter(statuses::account_id.eq(account_id))
            .filter(statuses::deleted_at.is_null())
            .filter(statuses::reblog_of_id.is_null())
            .filter(statuses::visibility.eq_any(["public", "unlisted"]))
    };
    let total: i64 = base().count().get_result(conn)?;
    let mut q = base().into_boxed();
    if let Some(max_id) = max_id {
        q = q.filter(statuses::id.lt(max_id));
    }
    let posts = q
        .order(statuses::id.desc())
        .limit(PAGE_SIZE)
        .select(Status::as_select())
        .load(conn)?;
    Ok((total, posts))
}

/// Pinned public and unlisted posts.
pub fn featured(conn: &mut DbConnection, account_id: i64) -> Result<Vec<Status>> {
    Ok(status_pins::table
        .inner_join(statuses::table)
        .filter(status_pins::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::visibility.eq_any(["public", "unlisted"]))
        .order(status_pins::id.desc())
        .select(Status::as_select())
        .load(conn)?)
}
