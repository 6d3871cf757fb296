//! What an account's ActivityPub collections hold: followers, following, public posts
//! (outbox) and pinned posts (featured). Department-only and non-public posts never appear.
//! Posts come with all they carry (`service::views`), a page in a fixed number of queries.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::Status;
use crate::db::schema::{accounts, follows, status_pins, statuses};
use crate::error::Result;
use crate::service::views::{self, StatusView};
use crate::service::visibility::Visibility;

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
    // One query, both ways round: the follows whose `$own` column holds the account, and the
    // accounts in their `$other` column. (The columns are different types to diesel, so a
    // function would not take either.)
    macro_rules! page {
        ($own:expr, $other:expr) => {{
            let total: i64 = accepted
                .filter($own.eq(account_id))
                .count()
                .get_result(conn)?;
            let ids = accepted
                .inner_join(accounts::table.on(accounts::id.eq($other)))
                .filter($own.eq(account_id))
                .filter(accounts::suspended_at.is_null())
                .order(follows::id.desc())
                .limit(PAGE_SIZE)
                .offset(offset)
                .select(accounts::ap_id)
                .load(conn)?;
            Ok((total, ids))
        }};
    }
    if followers {
        page!(follows::target_account_id, follows::account_id)
    } else {
        page!(follows::account_id, follows::target_account_id)
    }
}

/// Public and unlisted posts of an account (not boosts): how many there are.
pub fn public_posts_count(conn: &mut DbConnection, account_id: i64) -> Result<i64> {
    Ok(statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::visibility.eq_any(["public", "unlisted"]))
        .filter(statuses::held_for_review.is_null())
        .count()
        .get_result(conn)?)
}

/// Public and unlisted posts of an account (not boosts), newest first, older than `max_id`:
/// one page, with all they carry.
pub fn public_posts(
    conn: &mut DbConnection,
    account_id: i64,
    max_id: Option<i64>,
) -> Result<Vec<StatusView>> {
    let mut q = statuses::table
        .filter(statuses::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::visibility.eq_any(["public", "unlisted"]))
        .filter(statuses::held_for_review.is_null())
        .into_boxed();
    if let Some(max_id) = max_id {
        q = q.filter(statuses::id.lt(max_id));
    }
    let posts = q
        .order(statuses::id.desc())
        .limit(PAGE_SIZE)
        .select(Status::as_select())
        .load(conn)?;
    views::hydrate(conn, None, posts)
}

/// Pinned public and unlisted posts, with all they carry.
pub fn featured(conn: &mut DbConnection, account_id: i64) -> Result<Vec<StatusView>> {
    let posts = status_pins::table
        .inner_join(statuses::table)
        .filter(status_pins::account_id.eq(account_id))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::visibility.eq_any(["public", "unlisted"]))
        .filter(statuses::held_for_review.is_null())
        .order(status_pins::id.desc())
        .select(Status::as_select())
        .load(conn)?;
    views::hydrate(conn, None, posts)
}

/// The ActivityPub id of `author`'s post `id` if it was deleted (and had left the
/// department: never department-only, kept here or refused while held): what a Tombstone
/// names.
pub fn deleted_post(conn: &mut DbConnection, author: i64, id: i64) -> Result<Option<String>> {
    Ok(statuses::table
        .find(id)
        .filter(statuses::account_id.eq(author))
        .filter(statuses::deleted_at.is_not_null())
        .filter(statuses::visibility.ne(Visibility::Local.as_str()))
        .filter(statuses::local_only.eq(false))
        .filter(
            statuses::held_for_review
                .is_null()
                .or(statuses::held_for_review.eq(crate::service::statuses::HELD_EDIT)),
        )
        .select(statuses::ap_id)
        .first::<String>(conn)
        .optional()?)
}
