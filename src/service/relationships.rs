//! Follows, follow requests and blocks: one function per change, whether an employee of this
//! department makes it (Mastodon API, web pages, CLI) or an account of another department
//! does (its Follow, Accept, Reject, Block or Undo). The origin is data (see
//! [`Origin`]); what differs by origin is only who is told: an employee's change is federated
//! through the outbox, and another department's Follow is answered with Accept or Reject.

use chrono::Utc;
use diesel::prelude::*;

use crate::config::Settings;
use crate::context::AppContext;
use crate::db::models::{Account, Follow};
use crate::db::schema::{accounts, blocks, follows};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::accounts::find;
use crate::service::origin::Origin;
use crate::service::outbox::{self, Outgoing};
use crate::service::{domain_blocks, feeds, notifications, usage_policy};

/// The options of a follow; `None` keeps what was set (or the default for a new follow).
#[derive(Debug, Clone, Copy, Default)]
pub struct FollowOptions {
    /// Show their boosts in the home timeline (default true).
    pub reblogs: Option<bool>,
    /// Notify of each of their new posts (default false).
    pub notify: Option<bool>,
}

/// Whether either account blocks the other.
pub fn blocked_either_way(conn: &mut DbConnection, a: i64, b: i64) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        blocks::table.filter(
            blocks::account_id
                .eq(a)
                .and(blocks::target_account_id.eq(b))
                .or(blocks::account_id
                    .eq(b)
                    .and(blocks::target_account_id.eq(a))),
        ),
    ))
    .get_result(conn)?)
}

/// The account another department's change is about must be one of our employees: they
/// cannot change relationships between accounts of other departments here.
fn target_of(
    conn: &mut DbConnection,
    actor: &Account,
    target_id: i64,
    ours: bool,
    on_yourself: &'static str,
) -> Result<Account> {
    let target = find(conn, target_id)?;
    if !ours && !target.is_local() {
        return Err(Error::not_found());
    }
    if target.id == actor.id {
        return Err(Error::forbidden(on_yourself));
    }
    Ok(target)
}

fn find_follow(conn: &mut DbConnection, follower: i64, target: i64) -> Result<Option<Follow>> {
    Ok(follows::table
        .filter(follows::account_id.eq(follower))
        .filter(follows::target_account_id.eq(target))
        .select(Follow::as_select())
        .first(conn)
        .optional()?)
}

fn adjust_follow_counts(
    conn: &mut DbConnection,
    follower: i64,
    target: i64,
    delta: i64,
) -> Result<()> {
    diesel::update(accounts::table.find(follower))
        .set(accounts::following_count.eq(accounts::following_count + delta))
        .execute(conn)?;
    diesel::update(accounts::table.find(target))
        .set(accounts::followers_count.eq(accounts::followers_count + delta))
        .execute(conn)?;
    Ok(())
}

/// `actor` follows `target_id` (or changes the options of its follow). Accounts that are
/// locked, and accounts of other departments, answer with a request first. Nobody follows
/// across a block, nor across an employee's block of the other's department: an employee
/// is told no; another department's Follow is answered with Reject. A repeated Follow from
/// another department (their side lost our Accept) is answered again.
#[tracing::instrument(skip(conn, actor, options, origin), fields(account_id = actor.id))]
pub fn follow(
    conn: &mut DbConnection,
    settings: &Settings,
    actor: &Account,
    target_id: i64,
    options: FollowOptions,
    origin: Origin,
) -> Result<()> {
    let ours = origin.check(actor)?;
    let target = target_of(conn, actor, target_id, ours, "You cannot follow yourself")?;
    if blocked_either_way(conn, actor.id, target.id)?
        || domain_blocks::blocked_either_way(conn, actor, &target)?
    {
        return match origin.activity_id() {
            Some(follow_ap_id) => outbox::enqueue(
                conn,
                target.id,
                Outgoing::Reject {
                    follow_ap_id: follow_ap_id.to_string(),
                    follower_account_id: actor.id,
                },
            ),
            None => Err(Error::forbidden("This action is not allowed")),
        };
    }
    let now = Utc::now().naive_utc();
    let accepted = match find_follow(conn, actor.id, target.id)? {
        Some(existing) => {
            diesel::update(follows::table.find(existing.id))
                .set((
                    follows::show_reblogs.eq(options.reblogs.unwrap_or(existing.show_reblogs)),
                    follows::notify.eq(options.notify.unwrap_or(existing.notify)),
                    follows::ap_id.eq(origin.activity_id().or(existing.ap_id.as_deref())),
                    follows::updated_at.eq(now),
                ))
                .execute(conn)?;
            existing.accepted
        }
        None => {
            // Accounts of other departments answer with Accept over federation.
            let accepted = target.is_local() && !target.locked;
            let follow_id = ids::next_id();
            // The id of the Follow activity, which Accept and Reject name.
            let ap_id = match origin.activity_id() {
                Some(id) => Some(id.to_string()),
                None => {
                    (!target.is_local()).then(|| format!("{}/follows/{follow_id}", actor.ap_id))
                }
            };
            diesel::insert_into(follows::table)
                .values(&Follow {
                    id: follow_id,
                    account_id: actor.id,
                    target_account_id: target.id,
                    accepted,
                    show_reblogs: options.reblogs.unwrap_or(true),
                    notify: options.notify.unwrap_or(false),
                    ap_id,
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
            if ours && !target.is_local() {
                outbox::enqueue(conn, actor.id, Outgoing::Follow { follow_id })?;
            }
            if accepted {
                adjust_follow_counts(conn, actor.id, target.id, 1)?;
                let source = feeds::Source::Account(target.id);
                feeds::bring_in(conn, actor.id, source, settings.limits.home_feed_size)?;
                notifications::notify(conn, target.id, actor.id, "follow", None)?;
            } else {
                notifications::notify(conn, target.id, actor.id, "follow_request", None)?;
            }
            accepted
        }
    };
    if let (Some(follow_ap_id), true) = (origin.activity_id(), accepted) {
        outbox::enqueue(
            conn,
            target.id,
            Outgoing::Accept {
                follow_ap_id: follow_ap_id.to_string(),
                follower_account_id: actor.id,
            },
        )?;
    }
    Ok(())
}

/// `actor` stops following `target_id` (or withdraws its request).
pub fn unfollow(
    conn: &mut DbConnection,
    actor: &Account,
    target_id: i64,
    origin: Origin,
) -> Result<()> {
    let ours = origin.check(actor)?;
    let target = find(conn, target_id)?;
    remove_follow(conn, actor.id, target.id, ours)
}

/// An employee removes `follower_id` from their followers (Mastodon's
/// `remove_from_followers`): the follow ends; a follower of another department is told with
/// a Reject of its Follow, as Mastodon tells it. Nothing happens when they do not follow.
pub fn remove_follower(conn: &mut DbConnection, me: &Account, follower_id: i64) -> Result<()> {
    let follower = find(conn, follower_id)?;
    let Some(f) = find_follow(conn, follower.id, me.id)? else {
        return Ok(());
    };
    if !follower.is_local()
        && let Some(follow_ap_id) = f.ap_id
    {
        outbox::enqueue(
            conn,
            me.id,
            Outgoing::Reject {
                follow_ap_id,
                follower_account_id: follower.id,
            },
        )?;
    }
    remove_follow(conn, follower.id, me.id, false)
}

/// End the follow of `follower` → `target`, if there is one. With `federate`, a follow our
/// employee made of another department's account is withdrawn there with Undo.
fn remove_follow(
    conn: &mut DbConnection,
    follower: i64,
    target: i64,
    federate: bool,
) -> Result<()> {
    let Some(f) = find_follow(conn, follower, target)? else {
        return Ok(());
    };
    diesel::delete(follows::table.find(f.id)).execute(conn)?;
    if federate
        && let Some(follow_ap_id) = &f.ap_id
        && find(conn, follower)?.is_local()
    {
        outbox::enqueue(
            conn,
            follower,
            Outgoing::UndoFollow {
                follow_ap_id: follow_ap_id.clone(),
                target_account_id: target,
            },
        )?;
    }
    crate::service::lists::forget_member(conn, follower, target)?;
    crate::service::featured::forget_endorsement(conn, follower, target)?;
    if f.accepted {
        adjust_follow_counts(conn, follower, target, -1)?;
    }
    let kind = if f.accepted {
        "follow"
    } else {
        "follow_request"
    };
    notifications::retract(conn, target, follower, kind, None)
}

/// Which follow of the answering account an Accept or Reject is about.
#[derive(Debug, Clone, Copy)]
pub enum FollowOf<'a> {
    /// The follow (request) of this account.
    Follower(i64),
    /// The Follow activity with this id; some servers answer with their own id for our
    /// Follow, so the follower, when the answer names it, finds it too.
    Activity {
        ap_id: &'a str,
        follower: Option<i64>,
    },
}

/// An employee follows an account (once they accepted the usage policy).
pub async fn follow_account(
    ctx: &AppContext,
    me: Account,
    target_id: i64,
    options: FollowOptions,
) -> Result<()> {
    usage_policy::require_accepted(ctx, &me).await?;
    let settings = ctx.settings.clone();
    ctx.db
        .write(move |conn| follow(conn, &settings, &me, target_id, options, Origin::Local))
        .await
}

/// An employee answers a follow request (once they accepted the usage policy).
pub async fn answer_request(ctx: &AppContext, me: Account, from: i64, accept: bool) -> Result<()> {
    usage_policy::require_accepted(ctx, &me).await?;
    let settings = ctx.settings.clone();
    ctx.db
        .write(move |conn| {
            let follow = FollowOf::Follower(from);
            answer_follow(conn, &settings, &me, follow, accept, Origin::Local)
        })
        .await
}

/// `actor` accepts or rejects a follow of theirs. Rejecting a follow that was accepted
/// removes the follower. An employee answers only requests that wait for an answer; another
/// department's answer to something we no longer have changes nothing.
#[tracing::instrument(skip(conn, actor, origin), fields(account_id = actor.id))]
pub fn answer_follow(
    conn: &mut DbConnection,
    settings: &Settings,
    actor: &Account,
    follow: FollowOf,
    accept: bool,
    origin: Origin,
) -> Result<()> {
    let ours = origin.check(actor)?;
    let found = match follow {
        FollowOf::Follower(from) => find_follow(conn, from, actor.id)?,
        FollowOf::Activity { ap_id, follower } => {
            let by_id = follows::table
                .filter(follows::target_account_id.eq(actor.id))
                .filter(follows::ap_id.eq(ap_id))
                .select(Follow::as_select())
                .first(conn)
                .optional()?;
            match (by_id, follower) {
                (Some(f), _) => Some(f),
                (None, Some(from)) => find_follow(conn, from, actor.id)?,
                (None, None) => None,
            }
        }
    };
    let request = match found {
        Some(f) if !(ours && f.accepted) => f,
        _ if ours => return Err(Error::not_found()),
        _ => return Ok(()),
    };
    let from = request.account_id;
    if ours
        && let Some(follow_ap_id) = &request.ap_id
        && !find(conn, from)?.is_local()
    {
        let follow_ap_id = follow_ap_id.clone();
        let answer = if accept {
            Outgoing::Accept {
                follow_ap_id,
                follower_account_id: from,
            }
        } else {
            Outgoing::Reject {
                follow_ap_id,
                follower_account_id: from,
            }
        };
        outbox::enqueue(conn, actor.id, answer)?;
    }
    if !accept {
        return remove_follow(conn, from, actor.id, false);
    }
    if !request.accepted {
        notifications::retract(conn, actor.id, from, "follow_request", None)?;
        diesel::update(follows::table.find(request.id))
            .set((
                follows::accepted.eq(true),
                follows::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        adjust_follow_counts(conn, from, actor.id, 1)?;
        let source = feeds::Source::Account(actor.id);
        feeds::bring_in(conn, from, source, settings.limits.home_feed_size)?;
        tracing::info!(follow_id = request.id, "follow accepted");
    }
    Ok(())
}

/// `actor` blocks `target_id`: the target can no longer see or interact with them, and
/// follows both ways end. An employee's own follow of another department's account is
/// withdrawn there too; what another department's Block ends, their side dropped already.
#[tracing::instrument(skip(conn, actor, origin), fields(account_id = actor.id))]
pub fn block(
    conn: &mut DbConnection,
    actor: &Account,
    target_id: i64,
    origin: Origin,
) -> Result<()> {
    let ours = origin.check(actor)?;
    let target = target_of(conn, actor, target_id, ours, "You cannot block yourself")?;
    let exists: bool = diesel::select(diesel::dsl::exists(
        blocks::table
            .filter(blocks::account_id.eq(actor.id))
            .filter(blocks::target_account_id.eq(target.id)),
    ))
    .get_result(conn)?;
    if !exists {
        let block_id = ids::next_id();
        diesel::insert_into(blocks::table)
            .values((
                blocks::id.eq(block_id),
                blocks::account_id.eq(actor.id),
                blocks::target_account_id.eq(target.id),
                blocks::ap_id.eq(origin.activity_id()),
                blocks::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        if ours && !target.is_local() {
            outbox::enqueue(
                conn,
                actor.id,
                Outgoing::Block {
                    block_id,
                    target_account_id: target.id,
                },
            )?;
        }
    }
    remove_follow(conn, actor.id, target.id, ours)?;
    remove_follow(conn, target.id, actor.id, ours)
}

/// `actor` lifts its block of `target_id`.
pub fn unblock(
    conn: &mut DbConnection,
    actor: &Account,
    target_id: i64,
    origin: Origin,
) -> Result<()> {
    let ours = origin.check(actor)?;
    let target = find(conn, target_id)?;
    let block_id: Option<i64> = blocks::table
        .filter(blocks::account_id.eq(actor.id))
        .filter(blocks::target_account_id.eq(target.id))
        .select(blocks::id)
        .first(conn)
        .optional()?;
    if let Some(block_id) = block_id {
        diesel::delete(blocks::table.find(block_id)).execute(conn)?;
        if ours && !target.is_local() {
            outbox::enqueue(
                conn,
                actor.id,
                Outgoing::UndoBlock {
                    block_id,
                    target_account_id: target.id,
                },
            )?;
        }
    }
    Ok(())
}
