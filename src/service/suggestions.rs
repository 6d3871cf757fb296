//! Whom to follow: colleagues of this and other departments an employee does not follow yet,
//! ranked by what they share with the employee. One place for the ranking, for the
//! Mastodon API's suggestions (and, later, the people directory).
//!
//! Who may be suggested: discoverable, not suspended accounts that the employee does not
//! follow (nor asked to), does not block, mute or dismiss, whose department the employee does
//! not block, and that do not block the employee.
//!
//! The order, reasons first: how many hashtags they used lately in posts the employee may
//! see that the employee used lately or follows (`similar_to_recently_followed`: Mastodon's
//! name for "like what you follow"), then how many of the accounts the employee follows
//! follow them (`friends_of_friends`), then how many followers they have (`most_followed`).
//! Each signal is one grouped query over a bounded range (the employee's latest posts, the
//! last [`INTEREST_DAYS`] of posts), not a scan of everyone.
//!
//! <https://docs.joinmastodon.org/methods/suggestions/>

use std::collections::HashMap;

use chrono::{Duration, Utc};
use diesel::dsl::not;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::models::Account;
use crate::db::schema::{account_domain_blocks, accounts, follows, suggestion_dismissals};
use crate::db::{DbConnection, MultiBackend, ids};
use crate::error::{Error, Result};
use crate::service::visibility;

/// Mastodon's default and largest number of suggestions.
pub const DEFAULT_LIMIT: i64 = 40;
pub const MAX_LIMIT: i64 = 80;
/// How far back hashtags count as someone's interests.
pub const INTEREST_DAYS: i64 = 90;
/// How many of the employee's own latest posts say what they are interested in.
const OWN_POSTS: i64 = 200;
/// How many candidates each signal brings at most.
const CANDIDATES: i64 = 500;

/// Why an account is suggested (Mastodon 4.3's `sources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// They use hashtags the employee uses or follows.
    SimilarInterests,
    /// Accounts the employee follows follow them.
    FriendsOfFriends,
    /// Many follow them.
    MostFollowed,
}

impl Reason {
    /// Mastodon's name of the source.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::SimilarInterests => "similar_to_recently_followed",
            Reason::FriendsOfFriends => "friends_of_friends",
            Reason::MostFollowed => "most_followed",
        }
    }

    /// Mastodon's older, single `source`.
    pub fn legacy(self) -> &'static str {
        match self {
            Reason::SimilarInterests | Reason::FriendsOfFriends => "past_interactions",
            Reason::MostFollowed => "global",
        }
    }
}

/// One suggested account, with its reasons (the strongest first).
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub account: Account,
    pub reasons: Vec<Reason>,
    /// Hashtags in common.
    pub shared_tags: i64,
    /// Accounts `me` follows that follow them.
    pub followed_by_friends: i64,
}

type AccountQuery<'a> = accounts::BoxedQuery<
    'a,
    MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Account, MultiBackend>>,
>;

/// The accounts that may be suggested to `me` (see the module's rule).
fn eligible<'a>(me: i64) -> AccountQuery<'a> {
    accounts::table
        .select(Account::as_select())
        .filter(accounts::discoverable.eq(true))
        .filter(accounts::suspended_at.is_null())
        .filter(accounts::id.ne(me))
        .filter(not(accounts::id.eq_any(
            follows::table
                .filter(follows::account_id.eq(me))
                .select(follows::target_account_id),
        )))
        .filter(visibility::not_shut_out_by(me))
        .filter(not(accounts::id.eq_any(
            suggestion_dismissals::table
                .filter(suggestion_dismissals::account_id.eq(me))
                .select(suggestion_dismissals::target_account_id),
        )))
        .filter(
            accounts::domain.is_null().or(not(accounts::domain.eq_any(
                account_domain_blocks::table
                    .filter(account_domain_blocks::account_id.eq(me))
                    .select(account_domain_blocks::domain.nullable()),
            ))),
        )
        .into_boxed()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    account_id: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Accounts that used, in the last [`INTEREST_DAYS`], hashtags `me` used in their latest
/// posts or follows, with how many such hashtags each. Only posts `me` may see count: public,
/// unlisted and department-only ones (`me` is an employee here).
fn shared_interests(conn: &mut DbConnection, me: i64) -> Result<HashMap<i64, i64>> {
    let since = ids::id_at_millis((Utc::now() - Duration::days(INTEREST_DAYS)).timestamp_millis());
    let rows: Vec<Count> = diesel::sql_query(
        "SELECT s.account_id AS account_id, COUNT(DISTINCT st.tag_id) AS n
         FROM status_tags st JOIN statuses s ON s.id = st.status_id
         WHERE st.tag_id IN (
                 SELECT mt.tag_id FROM status_tags mt
                 WHERE mt.status_id IN (
                     SELECT ms.id FROM statuses ms WHERE ms.account_id = $1
                     ORDER BY ms.id DESC LIMIT $2)
                 UNION SELECT tf.tag_id FROM tag_follows tf WHERE tf.account_id = $1)
             AND st.status_id >= $3 AND s.account_id <> $1
             AND s.deleted_at IS NULL AND s.held_for_review IS NULL
             AND s.visibility IN ('public', 'unlisted', 'local')
         GROUP BY s.account_id
         ORDER BY n DESC, s.account_id
         LIMIT $4",
    )
    // SQLite numbers `$N` parameters in the order they first appear: keep it 1, 2, 3, 4.
    .bind::<BigInt, _>(me)
    .bind::<BigInt, _>(OWN_POSTS)
    .bind::<BigInt, _>(since)
    .bind::<BigInt, _>(CANDIDATES)
    .load(conn)?;
    Ok(rows.into_iter().map(|c| (c.account_id, c.n)).collect())
}

/// Accounts followed by the accounts `me` follows, with how many of those follow each.
fn friends_of_friends(conn: &mut DbConnection, me: i64) -> Result<HashMap<i64, i64>> {
    let rows: Vec<Count> = diesel::sql_query(
        "SELECT f2.target_account_id AS account_id, COUNT(*) AS n
         FROM follows f1 JOIN follows f2 ON f2.account_id = f1.target_account_id
         WHERE f1.account_id = $1 AND f1.accepted = TRUE AND f2.accepted = TRUE
             AND f2.target_account_id <> $1
         GROUP BY f2.target_account_id
         ORDER BY n DESC, f2.target_account_id
         LIMIT $2",
    )
    .bind::<BigInt, _>(me)
    .bind::<BigInt, _>(CANDIDATES)
    .load(conn)?;
    Ok(rows.into_iter().map(|c| (c.account_id, c.n)).collect())
}

/// Up to `limit` accounts to suggest to `me`, the best first.
pub fn suggest(conn: &mut DbConnection, me: i64, limit: i64) -> Result<Vec<Suggestion>> {
    let limit = limit.clamp(1, MAX_LIMIT);
    let interests = shared_interests(conn, me)?;
    let friends = friends_of_friends(conn, me)?;
    let mut wanted: Vec<i64> = interests.keys().chain(friends.keys()).copied().collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut found: HashMap<i64, Account> = HashMap::new();
    for chunk in wanted.chunks(500) {
        let rows: Vec<Account> = eligible(me).filter(accounts::id.eq_any(chunk)).load(conn)?;
        found.extend(rows.into_iter().map(|a| (a.id, a)));
    }
    // The most followed fill the rest (and may be among the others).
    let popular: Vec<Account> = eligible(me)
        .order((accounts::followers_count.desc(), accounts::id))
        .limit(limit)
        .load(conn)?;
    for account in popular {
        found.entry(account.id).or_insert(account);
    }
    let mut out: Vec<Suggestion> = found
        .into_values()
        .map(|account| {
            let shared_tags = interests.get(&account.id).copied().unwrap_or(0);
            let followed_by_friends = friends.get(&account.id).copied().unwrap_or(0);
            let mut reasons = Vec::new();
            if shared_tags > 0 {
                reasons.push(Reason::SimilarInterests);
            }
            if followed_by_friends > 0 {
                reasons.push(Reason::FriendsOfFriends);
            }
            if reasons.is_empty() {
                reasons.push(Reason::MostFollowed);
            }
            Suggestion {
                account,
                reasons,
                shared_tags,
                followed_by_friends,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (
            b.shared_tags,
            b.followed_by_friends,
            b.account.followers_count,
        )
            .cmp(&(
                a.shared_tags,
                a.followed_by_friends,
                a.account.followers_count,
            ))
            .then(a.account.id.cmp(&b.account.id))
    });
    out.truncate(limit as usize);
    Ok(out)
}

/// `me` does not want `target_id` suggested again (Mastodon answers the same whether or not
/// it was suggested; an account that does not exist is not found).
pub fn dismiss(conn: &mut DbConnection, me: i64, target_id: i64) -> Result<()> {
    let exists: bool =
        diesel::select(diesel::dsl::exists(accounts::table.find(target_id))).get_result(conn)?;
    if !exists {
        return Err(Error::not_found());
    }
    let dismissed: bool = diesel::select(diesel::dsl::exists(
        suggestion_dismissals::table.find((me, target_id)),
    ))
    .get_result(conn)?;
    if !dismissed {
        diesel::insert_into(suggestion_dismissals::table)
            .values((
                suggestion_dismissals::account_id.eq(me),
                suggestion_dismissals::target_account_id.eq(target_id),
                suggestion_dismissals::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
