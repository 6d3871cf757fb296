//! An employee's blocks of whole departments (Mastodon's account domain blocks): each other
//! department is a domain. What a block does, as on Mastodon:
//!
//! - posts and boosts of that department's accounts leave the employee's home, lists, the
//!   public, department and hashtag timelines, and the link timeline
//!   ([`crate::service::visibility::not_domain_blocked_by`]); single posts and threads stay
//!   readable, as on Mastodon;
//! - their notifications are removed and no new ones are made;
//! - the employee's follows of that department's accounts end (withdrawn there with Undo),
//!   and so do their followers and follow requests from it (refused there with Reject); no
//!   new follow crosses the block either way;
//! - the relationship with each of those accounts says `domain_blocking`.
//!
//! <https://docs.joinmastodon.org/methods/domain_blocks/>

use chrono::Utc;
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::models::Account;
use crate::db::schema::{account_domain_blocks, accounts, follows, notifications};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::origin::Origin;
use crate::service::pagination::Page;
use crate::service::policy::federation::DomainName;
use crate::service::relationships;

/// Mastodon's page of domain blocks: 100 by default, at most 200.
pub const DEFAULT_PAGE: i64 = 100;
pub const MAX_PAGE: i64 = 200;

/// A department's domain as an employee gives it: a host name (and port), without scheme or
/// path; blank is refused with Mastodon's message.
pub fn parse_domain(raw: Option<&str>) -> Result<DomainName> {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Domain can't be blank",
        ));
    }
    DomainName::parse(raw)
}

/// `me` blocks the department `domain`; blocking it again changes nothing. The follows it
/// ends are ended through [`relationships`], so the other department hears of each.
#[tracing::instrument(skip(conn, settings, me), fields(account_id = me.id))]
pub fn block(
    conn: &mut DbConnection,
    settings: &Settings,
    me: &Account,
    domain: &DomainName,
) -> Result<()> {
    if !me.is_local() {
        return Err(Error::forbidden("This action is not allowed"));
    }
    if domain.as_str() == settings.instance.domain.as_str() {
        return Err(Error::unprocessable(
            "Validation failed: You cannot block your own domain",
        ));
    }
    let exists: bool = diesel::select(diesel::dsl::exists(
        account_domain_blocks::table
            .filter(account_domain_blocks::account_id.eq(me.id))
            .filter(account_domain_blocks::domain.eq(domain.as_str())),
    ))
    .get_result(conn)?;
    if !exists {
        diesel::insert_into(account_domain_blocks::table)
            .values((
                account_domain_blocks::id.eq(ids::next_id()),
                account_domain_blocks::account_id.eq(me.id),
                account_domain_blocks::domain.eq(domain.as_str()),
                account_domain_blocks::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    let of_domain = || {
        accounts::table
            .filter(accounts::domain.eq(domain.as_str()))
            .select(accounts::id)
    };
    let following: Vec<i64> = follows::table
        .filter(follows::account_id.eq(me.id))
        .filter(follows::target_account_id.eq_any(of_domain()))
        .select(follows::target_account_id)
        .load(conn)?;
    for target in following {
        relationships::unfollow(conn, me, target, Origin::Local)?;
    }
    // Followers and follow requests alike: each is refused there with Reject.
    let followers: Vec<i64> = follows::table
        .filter(follows::target_account_id.eq(me.id))
        .filter(follows::account_id.eq_any(of_domain()))
        .select(follows::account_id)
        .load(conn)?;
    for follower in followers {
        relationships::remove_follower(conn, me, follower)?;
    }
    diesel::delete(
        notifications::table
            .filter(notifications::account_id.eq(me.id))
            .filter(notifications::from_account_id.eq_any(of_domain())),
    )
    .execute(conn)?;
    Ok(())
}

/// `me` lifts its block of `domain` (nothing happens when there is none). What the block
/// ended stays ended.
pub fn unblock(conn: &mut DbConnection, me: i64, domain: &DomainName) -> Result<()> {
    diesel::delete(
        account_domain_blocks::table
            .filter(account_domain_blocks::account_id.eq(me))
            .filter(account_domain_blocks::domain.eq(domain.as_str())),
    )
    .execute(conn)?;
    Ok(())
}

/// `me`'s blocked domains, newest block first, each with the block's id (which pages the
/// list).
pub fn list(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<(i64, String)>> {
    let mut q = account_domain_blocks::table
        .filter(account_domain_blocks::account_id.eq(me))
        .select((account_domain_blocks::id, account_domain_blocks::domain))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(account_domain_blocks::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(account_domain_blocks::id.gt(since));
    }
    if let Some(min) = page.min_id {
        let mut rows: Vec<(i64, String)> = q
            .filter(account_domain_blocks::id.gt(min))
            .order(account_domain_blocks::id.asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(account_domain_blocks::id.desc())
        .limit(page.limit)
        .load(conn)?)
}

/// Whether either account's employee blocks the other's department (`a` or `b` may be an
/// account of another department; our own accounts have no domain to block).
pub fn blocked_either_way(conn: &mut DbConnection, a: &Account, b: &Account) -> Result<bool> {
    let mut blocks = |owner: &Account, other: &Account| -> Result<bool> {
        let Some(domain) = &other.domain else {
            return Ok(false);
        };
        Ok(diesel::select(diesel::dsl::exists(
            account_domain_blocks::table
                .filter(account_domain_blocks::account_id.eq(owner.id))
                .filter(account_domain_blocks::domain.eq(domain)),
        ))
        .get_result(conn)?)
    };
    Ok(blocks(a, b)? || blocks(b, a)?)
}

/// Of `ids`, the accounts whose department `me` blocks (one query).
pub fn among(conn: &mut DbConnection, me: i64, ids: &[i64]) -> Result<Vec<i64>> {
    Ok(accounts::table
        .filter(accounts::id.eq_any(ids))
        .filter(
            accounts::domain.eq_any(
                account_domain_blocks::table
                    .filter(account_domain_blocks::account_id.eq(me))
                    .select(account_domain_blocks::domain.nullable()),
            ),
        )
        .select(accounts::id)
        .load(conn)?)
}
