//! The notification policy (Mastodon 4.3): what an employee wants done with notifications from
//! people they may not know — accept them, filter them into notification requests, or drop
//! them — and the requests themselves, accepted or dismissed one sender at a time.
//! <https://docs.joinmastodon.org/methods/notifications/#get-policy>

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::models::Account;
use crate::db::schema::{
    accounts, follows, notification_permissions, notification_policies, notification_requests,
    notifications, statuses, users,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::pagination::Page;

/// What the policy does with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Accept,
    Filter,
    Drop,
}

impl Verdict {
    fn parse(s: &str) -> Verdict {
        match s {
            "filter" => Verdict::Filter,
            "drop" => Verdict::Drop,
            _ => Verdict::Accept,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Filter => "filter",
            Verdict::Drop => "drop",
        }
    }
}

/// The types the policy may filter (Mastodon's "filterable" ones). Polls ending, edits of
/// boosted posts, new posts of those one asked to hear from and the department's own
/// notifications always come through.
pub const FILTERABLE_KINDS: &[&str] =
    &["mention", "reblog", "follow", "follow_request", "favourite"];

/// An account is new for its first 30 days.
pub const NEW_ACCOUNT_DAYS: i64 = 30;
/// A follower counts as one after following for 3 days.
pub const FOLLOWER_DAYS: i64 = 3;

/// An employee's notification policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// People the employee does not follow.
    pub for_not_following: Verdict,
    /// People not following the employee (for at least [`FOLLOWER_DAYS`]).
    pub for_not_followers: Verdict,
    /// Accounts younger than [`NEW_ACCOUNT_DAYS`].
    pub for_new_accounts: Verdict,
    /// Direct posts from people the employee does not follow that are not replies to them.
    pub for_private_mentions: Verdict,
    /// Accounts a moderator limited (silenced), unless followed.
    pub for_limited_accounts: Verdict,
}

impl Default for Policy {
    /// Everything accepted but what accounts a moderator limited send. (Mastodon also filters
    /// private mentions from strangers by default; here every sender is a colleague who
    /// signed in through the company's SSO.)
    fn default() -> Self {
        Policy {
            for_not_following: Verdict::Accept,
            for_not_followers: Verdict::Accept,
            for_new_accounts: Verdict::Accept,
            for_private_mentions: Verdict::Accept,
            for_limited_accounts: Verdict::Filter,
        }
    }
}

/// A change to the policy: each field that is `Some`.
#[derive(Debug, Clone, Default)]
pub struct PolicyChange {
    pub for_not_following: Option<String>,
    pub for_not_followers: Option<String>,
    pub for_new_accounts: Option<String>,
    pub for_private_mentions: Option<String>,
    pub for_limited_accounts: Option<String>,
}

/// Pending requests and the notifications they hold.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub pending_requests_count: i64,
    pub pending_notifications_count: i64,
}

type PolicyRow = (String, String, String, String, String);

pub fn policy(conn: &mut DbConnection, me: i64) -> Result<Policy> {
    let row: Option<PolicyRow> = notification_policies::table
        .find(me)
        .select((
            notification_policies::for_not_following,
            notification_policies::for_not_followers,
            notification_policies::for_new_accounts,
            notification_policies::for_private_mentions,
            notification_policies::for_limited_accounts,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Policy::default(),
        Some((following, followers, new, private, limited)) => Policy {
            for_not_following: Verdict::parse(&following),
            for_not_followers: Verdict::parse(&followers),
            for_new_accounts: Verdict::parse(&new),
            for_private_mentions: Verdict::parse(&private),
            for_limited_accounts: Verdict::parse(&limited),
        },
    })
}

/// Change the policy; a value other than `accept`, `filter` or `drop` is refused whole.
pub fn update_policy(conn: &mut DbConnection, me: i64, change: &PolicyChange) -> Result<Policy> {
    let check = |field: &str, value: &Option<String>| -> Result<Option<Verdict>> {
        match value.as_deref() {
            None => Ok(None),
            Some(v @ ("accept" | "filter" | "drop")) => Ok(Some(Verdict::parse(v))),
            Some(other) => Err(Error::unprocessable(format!(
                "{field} must be accept, filter or drop, not {other:?}"
            ))),
        }
    };
    let mut next = policy(conn, me)?;
    if let Some(v) = check("for_not_following", &change.for_not_following)? {
        next.for_not_following = v;
    }
    if let Some(v) = check("for_not_followers", &change.for_not_followers)? {
        next.for_not_followers = v;
    }
    if let Some(v) = check("for_new_accounts", &change.for_new_accounts)? {
        next.for_new_accounts = v;
    }
    if let Some(v) = check("for_private_mentions", &change.for_private_mentions)? {
        next.for_private_mentions = v;
    }
    if let Some(v) = check("for_limited_accounts", &change.for_limited_accounts)? {
        next.for_limited_accounts = v;
    }
    let now = Utc::now().naive_utc();
    let values = (
        notification_policies::for_not_following.eq(next.for_not_following.as_str()),
        notification_policies::for_not_followers.eq(next.for_not_followers.as_str()),
        notification_policies::for_new_accounts.eq(next.for_new_accounts.as_str()),
        notification_policies::for_private_mentions.eq(next.for_private_mentions.as_str()),
        notification_policies::for_limited_accounts.eq(next.for_limited_accounts.as_str()),
        notification_policies::updated_at.eq(now),
    );
    let updated = diesel::update(notification_policies::table.find(me))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notification_policies::table)
            .values((notification_policies::account_id.eq(me), values))
            .execute(conn)?;
    }
    Ok(next)
}

pub fn summary(conn: &mut DbConnection, me: i64) -> Result<Summary> {
    // One row per open request (few); SUM's type differs by backend, so add up here.
    let counts: Vec<i64> = notification_requests::table
        .filter(notification_requests::account_id.eq(me))
        .select(notification_requests::notifications_count)
        .load(conn)?;
    Ok(Summary {
        pending_requests_count: counts.len() as i64,
        pending_notifications_count: counts.iter().sum(),
    })
}

/// What `recipient`'s policy does with a notification of `kind` from `from` (blocks, mutes
/// and muted threads are checked before). The strictest of the policy's matching conditions.
pub fn verdict(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &str,
    status_id: Option<i64>,
) -> Result<Verdict> {
    if !FILTERABLE_KINDS.contains(&kind) {
        return Ok(Verdict::Accept);
    }
    let policy = policy(conn, recipient)?;
    let strictest = [
        policy.for_not_following,
        policy.for_not_followers,
        policy.for_new_accounts,
        policy.for_private_mentions,
        policy.for_limited_accounts,
    ]
    .into_iter()
    .max()
    .unwrap_or(Verdict::Accept);
    if strictest == Verdict::Accept {
        return Ok(Verdict::Accept);
    }
    let accepted: bool = diesel::select(diesel::dsl::exists(
        notification_permissions::table
            .filter(notification_permissions::account_id.eq(recipient))
            .filter(notification_permissions::from_account_id.eq(from)),
    ))
    .get_result(conn)?;
    if accepted {
        return Ok(Verdict::Accept);
    }
    let sender: Option<(NaiveDateTime, Option<NaiveDateTime>)> = accounts::table
        .find(from)
        .select((accounts::created_at, accounts::silenced_at))
        .first(conn)
        .optional()?;
    let Some((created_at, silenced_at)) = sender else {
        return Ok(Verdict::Accept);
    };
    // Moderators' and administrators' direct words always reach employees.
    if kind == "mention" {
        let staff: bool = diesel::select(diesel::dsl::exists(
            users::table
                .filter(users::account_id.eq(from))
                .filter(users::role.eq_any(["moderator", "admin"])),
        ))
        .get_result(conn)?;
        if staff {
            return Ok(Verdict::Accept);
        }
    }
    let now = Utc::now().naive_utc();
    let following: bool = diesel::select(diesel::dsl::exists(
        follows::table
            .filter(follows::account_id.eq(recipient))
            .filter(follows::target_account_id.eq(from))
            .filter(follows::accepted.eq(true)),
    ))
    .get_result(conn)?;
    let follower: bool = diesel::select(diesel::dsl::exists(
        follows::table
            .filter(follows::account_id.eq(from))
            .filter(follows::target_account_id.eq(recipient))
            .filter(follows::accepted.eq(true))
            .filter(follows::created_at.le(now - Duration::days(FOLLOWER_DAYS))),
    ))
    .get_result(conn)?;
    let private_mention = if kind == "mention" && !following {
        match status_id {
            Some(id) => statuses::table
                .find(id)
                .select((statuses::visibility, statuses::in_reply_to_account_id))
                .first::<(String, Option<i64>)>(conn)
                .optional()?
                .is_some_and(|(visibility, to)| visibility == "direct" && to != Some(recipient)),
            None => false,
        }
    } else {
        false
    };
    let mut verdict = Verdict::Accept;
    let mut apply = |applies: bool, v: Verdict| {
        if applies {
            verdict = verdict.max(v);
        }
    };
    apply(!following, policy.for_not_following);
    apply(!follower, policy.for_not_followers);
    apply(
        created_at > now - Duration::days(NEW_ACCOUNT_DAYS),
        policy.for_new_accounts,
    );
    apply(private_mention, policy.for_private_mentions);
    apply(
        silenced_at.is_some() && !following,
        policy.for_limited_accounts,
    );
    Ok(verdict)
}

/// A filtered notification arrived: open or update the sender's request.
pub fn record(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    status_id: Option<i64>,
    now: NaiveDateTime,
) -> Result<()> {
    let updated = diesel::update(
        notification_requests::table
            .filter(notification_requests::account_id.eq(recipient))
            .filter(notification_requests::from_account_id.eq(from)),
    )
    .set((
        notification_requests::notifications_count
            .eq(notification_requests::notifications_count + 1),
        notification_requests::updated_at.eq(now),
    ))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notification_requests::table)
            .values((
                notification_requests::id.eq(ids::next_id()),
                notification_requests::account_id.eq(recipient),
                notification_requests::from_account_id.eq(from),
                notification_requests::last_status_id.eq(status_id),
                notification_requests::notifications_count.eq(1),
                notification_requests::created_at.eq(now),
                notification_requests::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else if status_id.is_some() {
        diesel::update(
            notification_requests::table
                .filter(notification_requests::account_id.eq(recipient))
                .filter(notification_requests::from_account_id.eq(from)),
        )
        .set(notification_requests::last_status_id.eq(status_id))
        .execute(conn)?;
    }
    Ok(())
}

/// Notifications were removed (an undone favourite, a deleted post): count the sender's
/// filtered ones again, closing the request when none is left.
pub fn recount(conn: &mut DbConnection, recipient: i64, from: i64) -> Result<()> {
    let request = notification_requests::table
        .filter(notification_requests::account_id.eq(recipient))
        .filter(notification_requests::from_account_id.eq(from));
    let open: bool = diesel::select(diesel::dsl::exists(request)).get_result(conn)?;
    if !open {
        return Ok(());
    }
    let left: i64 = notifications::table
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::filtered.eq(true))
        .count()
        .get_result(conn)?;
    if left == 0 {
        diesel::delete(request).execute(conn)?;
    } else {
        diesel::update(request)
            .set(notification_requests::notifications_count.eq(left))
            .execute(conn)?;
    }
    Ok(())
}

/// A notification request as the API shows it.
#[derive(Debug, Clone)]
pub struct Request {
    pub id: i64,
    pub account: Account,
    pub notifications_count: i64,
    pub last_status_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

type RequestRow = (i64, i64, i64, Option<i64>, NaiveDateTime, NaiveDateTime);

fn load(conn: &mut DbConnection, rows: Vec<RequestRow>) -> Result<Vec<Request>> {
    let senders: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let mut by_id: std::collections::HashMap<i64, Account> = accounts::table
        .filter(accounts::id.eq_any(&senders))
        .select(Account::as_select())
        .load(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, from, count, last, created_at, updated_at)| {
            Some(Request {
                id,
                account: by_id.remove(&from)?,
                notifications_count: count,
                last_status_id: last,
                created_at,
                updated_at,
            })
        })
        .collect())
}

fn columns() -> (
    notification_requests::id,
    notification_requests::from_account_id,
    notification_requests::notifications_count,
    notification_requests::last_status_id,
    notification_requests::created_at,
    notification_requests::updated_at,
) {
    (
        notification_requests::id,
        notification_requests::from_account_id,
        notification_requests::notifications_count,
        notification_requests::last_status_id,
        notification_requests::created_at,
        notification_requests::updated_at,
    )
}

/// `me`'s open requests, newest first, paged by id.
pub fn list(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<Request>> {
    let mut q = notification_requests::table
        .filter(notification_requests::account_id.eq(me))
        .select(columns())
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(notification_requests::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(notification_requests::id.gt(since));
    }
    let rows: Vec<RequestRow> = if let Some(min) = page.min_id {
        let mut rows: Vec<RequestRow> = q
            .filter(notification_requests::id.gt(min))
            .order(notification_requests::id.asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        rows
    } else {
        q.order(notification_requests::id.desc())
            .limit(page.limit)
            .load(conn)?
    };
    load(conn, rows)
}

pub fn get(conn: &mut DbConnection, me: i64, id: i64) -> Result<Request> {
    let row: Option<RequestRow> = notification_requests::table
        .filter(notification_requests::account_id.eq(me))
        .filter(notification_requests::id.eq(id))
        .select(columns())
        .first(conn)
        .optional()?;
    load(conn, row.into_iter().collect())?
        .pop()
        .ok_or_else(Error::not_found)
}

/// The senders of `me`'s requests `ids` (unknown ids are skipped).
fn senders(conn: &mut DbConnection, me: i64, ids: &[i64]) -> Result<Vec<i64>> {
    Ok(notification_requests::table
        .filter(notification_requests::account_id.eq(me))
        .filter(notification_requests::id.eq_any(ids))
        .select(notification_requests::from_account_id)
        .load(conn)?)
}

/// Accept requests: their senders' notifications join the others (ungrouped), and later
/// ones are never filtered.
pub fn accept(conn: &mut DbConnection, me: i64, ids: &[i64]) -> Result<()> {
    let from = senders(conn, me, ids)?;
    let now = Utc::now().naive_utc();
    let known: Vec<i64> = notification_permissions::table
        .filter(notification_permissions::account_id.eq(me))
        .filter(notification_permissions::from_account_id.eq_any(&from))
        .select(notification_permissions::from_account_id)
        .load(conn)?;
    for sender in from.iter().filter(|s| !known.contains(s)) {
        diesel::insert_into(notification_permissions::table)
            .values((
                notification_permissions::account_id.eq(me),
                notification_permissions::from_account_id.eq(sender),
                notification_permissions::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    diesel::update(
        notifications::table
            .filter(notifications::account_id.eq(me))
            .filter(notifications::from_account_id.eq_any(&from))
            .filter(notifications::filtered.eq(true)),
    )
    .set(notifications::filtered.eq(false))
    .execute(conn)?;
    close(conn, me, &from)
}

/// Dismiss requests: their filtered notifications are deleted; later ones are filtered again.
pub fn dismiss(conn: &mut DbConnection, me: i64, ids: &[i64]) -> Result<()> {
    let from = senders(conn, me, ids)?;
    diesel::delete(
        notifications::table
            .filter(notifications::account_id.eq(me))
            .filter(notifications::from_account_id.eq_any(&from))
            .filter(notifications::filtered.eq(true)),
    )
    .execute(conn)?;
    close(conn, me, &from)
}

fn close(conn: &mut DbConnection, me: i64, from: &[i64]) -> Result<()> {
    diesel::delete(
        notification_requests::table
            .filter(notification_requests::account_id.eq(me))
            .filter(notification_requests::from_account_id.eq_any(from)),
    )
    .execute(conn)?;
    Ok(())
}

/// One request by id, for the single-request endpoints: not found unless it is `me`'s.
pub fn require(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    get(conn, me, id).map(drop)
}

/// The last post of each request, those `me` may see, by id (hydrated through `cache`).
pub fn last_statuses(
    conn: &mut DbConnection,
    cache: &crate::service::caches::StatusPartsCache,
    me: i64,
    list: &[Request],
) -> Result<std::collections::HashMap<i64, crate::service::views::StatusView>> {
    use crate::db::schema::statuses;
    let ids: Vec<i64> = list.iter().filter_map(|r| r.last_status_id).collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = statuses::table
        .filter(statuses::id.eq_any(&ids))
        .filter(crate::service::visibility::visible_to(Some(me)))
        .select(crate::db::models::Status::as_select())
        .load(conn)?;
    Ok(
        crate::service::views::hydrate_cached(conn, cache, Some(me), rows)?
            .into_iter()
            .map(|v| (v.status.id, v))
            .collect(),
    )
}
