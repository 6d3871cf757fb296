//! Who may see a status. One place for the rule, used by every read path: single statuses,
//! threads, timelines, account pages, search, notifications and streaming.
//!
//! - `public`, `unlisted`: anyone (unlisted stays out of public timelines and hashtags).
//! - `local` (department-only): employees signed in on this instance, never another server
//!   (nor an account of another department, even one that follows or is mentioned).
//! - `private`: the author, their accepted followers, and the accounts mentioned.
//! - `direct`: the author and the accounts mentioned.
//! - Blocks, in either direction, hide a status entirely; suspended authors are hidden.
//! - An employee's block of a department hides its accounts' posts from their timelines
//!   ([`not_domain_blocked_by`]), not from single posts and threads (as on Mastodon).
//! - A post a policy rule holds for review is its author's alone until it is approved; one a
//!   rule keeps in the department (`local_only`) is never shown to another department.

use std::fmt;
use std::str::FromStr;

use diesel::dsl::not;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::db::models::{Account, Status};
use crate::db::schema::{
    account_domain_blocks, accounts, blocks, follows, mentions, mutes, statuses,
};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Unlisted,
    Private,
    Direct,
    /// Department-only: never leaves this instance.
    Local,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
            Visibility::Local => "local",
        }
    }

    /// Whether anyone but the author and their audience may boost it.
    pub fn is_boostable(self) -> bool {
        matches!(
            self,
            Visibility::Public | Visibility::Unlisted | Visibility::Local
        )
    }
}

impl FromStr for Visibility {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "public" => Ok(Visibility::Public),
            "unlisted" => Ok(Visibility::Unlisted),
            "private" => Ok(Visibility::Private),
            "direct" => Ok(Visibility::Direct),
            "local" => Ok(Visibility::Local),
            other => Err(Error::unprocessable(format!(
                "Validation failed: Visibility `{other}` is not one of public, unlisted, private, direct, local"
            ))),
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is looking: an employee of this instance (by account id) or nobody signed in.
pub type Viewer = Option<i64>;

pub type StatusFilter = Box<dyn BoxableExpression<statuses::table, MultiBackend, SqlType = Bool>>;

/// A condition on `accounts` rows.
pub type AccountFilter = Box<dyn BoxableExpression<accounts::table, MultiBackend, SqlType = Bool>>;

/// SQL condition for lists of people shown to `me` (directory, suggestions): not those `me`
/// blocks or mutes, nor those who block `me`.
pub fn not_shut_out_by(me: i64) -> AccountFilter {
    Box::new(
        not(accounts::id.eq_any(
            blocks::table
                .filter(blocks::account_id.eq(me))
                .select(blocks::target_account_id),
        ))
        .and(not(accounts::id.eq_any(
            blocks::table
                .filter(blocks::target_account_id.eq(me))
                .select(blocks::account_id),
        )))
        .and(not(accounts::id.eq_any(
            mutes::table
                .filter(mutes::account_id.eq(me))
                .select(mutes::target_account_id),
        ))),
    )
}

/// SQL condition: `statuses` rows `viewer` may see (visibility, blocks, suspension).
pub fn visible_to(viewer: Viewer) -> StatusFilter {
    let not_deleted = statuses::deleted_at.is_null();
    // Said as "not by a suspended account" (a handful) rather than "by an active one" (all
    // of them): the planner can then walk a timeline's index in order and stop at its page,
    // instead of starting from every active account's statuses and sorting them all.
    let author_active = not(statuses::account_id.eq_any(
        accounts::table
            .filter(accounts::suspended_at.is_not_null())
            .select(accounts::id),
    ));
    // A post held for review by a policy rule is its author's alone until a moderator
    // decides (moderators review it through the admin API, not here).
    let published = statuses::held_for_review.is_null();
    match viewer {
        None => Box::new(
            not_deleted
                .and(author_active)
                .and(published)
                .and(statuses::visibility.eq_any(["public", "unlisted"])),
        ),
        Some(me) => {
            let following = follows::table
                .filter(follows::account_id.eq(me))
                .filter(follows::accepted.eq(true))
                .select(follows::target_account_id);
            let mentioned_in = mentions::table
                .filter(mentions::account_id.eq(me))
                .select(mentions::status_id);
            // Department-only posts are for this department's own accounts only.
            let is_local_viewer = diesel::dsl::exists(
                accounts::table
                    .filter(accounts::id.eq(me))
                    .filter(accounts::domain.is_null()),
            );
            // A post a rule keeps in the department is for this department's accounts too.
            let kept_here =
                statuses::local_only
                    .eq(true)
                    .and(diesel::dsl::not(diesel::dsl::exists(
                        accounts::table
                            .filter(accounts::id.eq(me))
                            .filter(accounts::domain.is_null()),
                    )));
            let audience = statuses::visibility
                .eq_any(["public", "unlisted"])
                .or(statuses::visibility.eq("local").and(is_local_viewer))
                .or(statuses::account_id.eq(me))
                .or(statuses::visibility
                    .eq("private")
                    .and(statuses::account_id.eq_any(following)))
                .or(statuses::id.eq_any(mentioned_in));
            Box::new(
                not_deleted
                    .and(author_active)
                    .and(published.or(statuses::account_id.eq(me)))
                    .and(diesel::dsl::not(kept_here))
                    .and(audience)
                    .and(not(statuses::account_id.eq_any(
                        blocks::table
                            .filter(blocks::account_id.eq(me))
                            .select(blocks::target_account_id),
                    )))
                    .and(not(statuses::account_id.eq_any(
                        blocks::table
                            .filter(blocks::target_account_id.eq(me))
                            .select(blocks::account_id),
                    ))),
            )
        }
    }
}

/// SQL condition for timelines: hide authors `me` muted.
pub fn not_muted_by(me: i64) -> StatusFilter {
    Box::new(not(statuses::account_id.eq_any(
        mutes::table
            .filter(mutes::account_id.eq(me))
            .select(mutes::target_account_id),
    )))
}

/// SQL condition for timelines: hide the posts, and the boosts of posts, of accounts of the
/// departments `me` blocks (see [`crate::service::domain_blocks`]). The blocked accounts are
/// one set for the whole query; a boost's original is looked up by its key.
pub fn not_domain_blocked_by(me: i64) -> StatusFilter {
    let blocked_accounts = accounts::table
        .filter(
            accounts::domain.eq_any(
                account_domain_blocks::table
                    .filter(account_domain_blocks::account_id.eq(me))
                    .select(account_domain_blocks::domain.nullable()),
            ),
        )
        .select(accounts::id);
    let boost_of_blocked = diesel::dsl::sql::<Bool>(
        "EXISTS (SELECT 1 FROM statuses o JOIN accounts oa ON oa.id = o.account_id \
         JOIN account_domain_blocks db ON db.domain = oa.domain \
         WHERE o.id = statuses.reblog_of_id AND db.account_id = ",
    )
    .bind::<BigInt, _>(me)
    .sql(")");
    Box::new(
        not(statuses::account_id.eq_any(blocked_accounts))
            .and(statuses::reblog_of_id.is_null().or(not(boost_of_blocked))),
    )
}

/// Load one status if `viewer` may see it; otherwise not found (its existence is not revealed).
pub fn find_visible(conn: &mut DbConnection, viewer: Viewer, id: i64) -> Result<Status> {
    statuses::table
        .filter(statuses::id.eq(id))
        .filter(visible_to(viewer))
        .select(Status::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

/// The statuses of `ids` that `viewer` may see, in the order asked, each once (for
/// `GET /api/v1/statuses?id[]=`). One query.
pub fn find_many_visible(
    conn: &mut DbConnection,
    viewer: Viewer,
    ids: &[i64],
) -> Result<Vec<Status>> {
    let mut found: std::collections::HashMap<i64, Status> = statuses::table
        .filter(statuses::id.eq_any(ids))
        .filter(visible_to(viewer))
        .select(Status::as_select())
        .load(conn)?
        .into_iter()
        .map(|s: Status| (s.id, s))
        .collect();
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Load one status if `actor`, an employee here or an account of another department, may
/// see it (for the latter, department-only posts do not exist: see [`visible_to`]).
pub fn find_visible_to(conn: &mut DbConnection, actor: &Account, id: i64) -> Result<Status> {
    find_visible(conn, Some(actor.id), id)
}
