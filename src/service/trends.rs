//! What the company is talking about: hashtags, posts and links that trend, from the last
//! [`WINDOW_DAYS`] days of public posts (Mastodon's trends, without its review queue).
//!
//! - Only posts meant for everyone count: public, published (not held for review), not kept
//!   in the department by a rule, not boosts, by accounts neither suspended nor silenced (nor
//!   of a department the federation policy silences or suspends). A department-only,
//!   followers-only or direct post never makes anything trend.
//! - A hashtag or a link trends only once at least `metrics.min_group_size` distinct accounts
//!   used it in the window, so a trend never points at one employee's activity; a post trends
//!   once that many distinct accounts (not its author) favourited or boosted it.
//! - Hashtags and links rank by how many accounts used them, then how often, then how lately;
//!   posts by how many accounts favourited or boosted them, then the newest.
//!
//! The computation reads the window's rows grouped in the database (a few grouped queries
//! over the newest ids) and is kept [`CACHE_TTL`] on each app node (`caches::Caches::trends`),
//! so a request never scans statuses. Who sees which trending posts is decided per request
//! (`timelines::trending`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::context::AppContext;
use crate::db::models::Tag;
use crate::db::schema::tags;
use crate::db::{DbConnection, ids};
use crate::error::Result;

/// How many days of posts make trends.
pub const WINDOW_DAYS: i64 = 7;
/// How long one node keeps what it computed.
pub const CACHE_TTL: Duration = Duration::from_secs(300);
/// How many hashtags, posts and links are kept trending at most (what clients page through).
pub const MAX_TRENDS: i64 = 100;

const DAY_MILLIS: i64 = 86_400_000;
/// Ids are `milliseconds << 16 | sequence`: an id divided by this is its UTC day number.
const ID_PER_DAY: i64 = DAY_MILLIS << 16;

/// A post that may make something trend: an SQL condition on `s`, a `statuses` row.
fn trendable() -> String {
    format!(
        "s.visibility = 'public' AND s.deleted_at IS NULL \
         AND s.held_for_review IS NULL AND s.local_only = FALSE AND s.reblog_of_id IS NULL \
         AND s.account_id NOT IN (SELECT a.id FROM accounts a \
             WHERE a.suspended_at IS NOT NULL OR a.silenced_at IS NOT NULL) \
         AND {}",
        crate::service::policy::federation::outside_silenced("s.account_id")
    )
}

/// Uses on one day (Mastodon's history entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayUse {
    /// The start of the UTC day, in seconds since the epoch.
    pub day: i64,
    pub uses: i64,
    pub accounts: i64,
}

#[derive(Debug, Clone)]
pub struct TagTrend {
    pub tag: Tag,
    /// The window's days, today first.
    pub history: Vec<DayUse>,
}

#[derive(Debug, Clone)]
pub struct LinkTrend {
    pub url: String,
    /// The window's days, today first.
    pub history: Vec<DayUse>,
}

/// The trends as one node computed them.
#[derive(Debug, Clone, Default)]
pub struct Trends {
    pub tags: Vec<TagTrend>,
    /// Trending status ids, the strongest first.
    pub statuses: Vec<i64>,
    pub links: Vec<LinkTrend>,
}

/// The trends, computed at most once per [`CACHE_TTL`] on this node.
pub async fn current(ctx: &AppContext) -> Result<Arc<Trends>> {
    if let Some(trends) = ctx.caches.trends.get(&()) {
        return Ok(trends);
    }
    let min = i64::from(ctx.settings.metrics.min_group_size.max(1));
    let trends = Arc::new(ctx.db.read(move |conn| compute(conn, min)).await?);
    ctx.caches.trends.insert((), trends.clone());
    Ok(trends)
}

/// Compute the trends of the last [`WINDOW_DAYS`] days; `min_accounts` is the privacy
/// threshold (`metrics.min_group_size`).
pub fn compute(conn: &mut DbConnection, min_accounts: i64) -> Result<Trends> {
    let now = Utc::now().timestamp_millis();
    let today = now / DAY_MILLIS;
    let since = ids::id_at_millis((today - (WINDOW_DAYS - 1)) * DAY_MILLIS);
    Ok(Trends {
        tags: tag_trends(conn, since, today, min_accounts)?,
        statuses: status_trends(conn, since, min_accounts)?,
        links: link_trends(conn, since, today, min_accounts)?,
    })
}

#[derive(QueryableByName)]
struct RankedId {
    #[diesel(sql_type = BigInt)]
    key: i64,
}

#[derive(QueryableByName)]
struct RankedUrl {
    #[diesel(sql_type = Text)]
    key: String,
}

#[derive(QueryableByName)]
struct DayOfId {
    #[diesel(sql_type = BigInt)]
    key: i64,
    #[diesel(sql_type = BigInt)]
    day: i64,
    #[diesel(sql_type = BigInt)]
    uses: i64,
    #[diesel(sql_type = BigInt)]
    accounts: i64,
}

#[derive(QueryableByName)]
struct DayOfUrl {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = BigInt)]
    day: i64,
    #[diesel(sql_type = BigInt)]
    uses: i64,
    #[diesel(sql_type = BigInt)]
    accounts: i64,
}

/// The window's days for `key`, today first, with no uses where none were found.
fn history<K: Eq + std::hash::Hash + Clone>(
    days: &HashMap<(K, i64), (i64, i64)>,
    key: K,
    today: i64,
) -> Vec<DayUse> {
    (0..WINDOW_DAYS)
        .map(|back| {
            let day = today - back;
            let (uses, accounts) = days.get(&(key.clone(), day)).copied().unwrap_or((0, 0));
            DayUse {
                day: day * (DAY_MILLIS / 1000),
                uses,
                accounts,
            }
        })
        .collect()
}

fn tag_trends(
    conn: &mut DbConnection,
    since: i64,
    today: i64,
    min_accounts: i64,
) -> Result<Vec<TagTrend>> {
    let trendable = trendable();
    let ranked: Vec<RankedId> = diesel::sql_query(format!(
        "SELECT st.tag_id AS key FROM status_tags st JOIN statuses s ON s.id = st.status_id \
         WHERE st.status_id >= $1 AND {trendable} \
         GROUP BY st.tag_id HAVING COUNT(DISTINCT s.account_id) >= $2 \
         ORDER BY COUNT(DISTINCT s.account_id) DESC, COUNT(*) DESC, MAX(st.status_id) DESC \
         LIMIT $3"
    ))
    .bind::<BigInt, _>(since)
    .bind::<BigInt, _>(min_accounts)
    .bind::<BigInt, _>(MAX_TRENDS)
    .load(conn)?;
    let order: Vec<i64> = ranked.into_iter().map(|r| r.key).collect();
    if order.is_empty() {
        return Ok(Vec::new());
    }
    let list = order
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<DayOfId> = diesel::sql_query(format!(
        "SELECT st.tag_id AS key, st.status_id / {ID_PER_DAY} AS day, COUNT(*) AS uses, \
             COUNT(DISTINCT s.account_id) AS accounts \
         FROM status_tags st JOIN statuses s ON s.id = st.status_id \
         WHERE st.status_id >= $1 AND st.tag_id IN ({list}) AND {trendable} \
         GROUP BY st.tag_id, st.status_id / {ID_PER_DAY}"
    ))
    .bind::<BigInt, _>(since)
    .load(conn)?;
    let days: HashMap<(i64, i64), (i64, i64)> = rows
        .into_iter()
        .map(|r| ((r.key, r.day), (r.uses, r.accounts)))
        .collect();
    let mut found: HashMap<i64, Tag> = tags::table
        .filter(tags::id.eq_any(&order))
        .select(Tag::as_select())
        .load(conn)?
        .into_iter()
        .map(|t: Tag| (t.id, t))
        .collect();
    Ok(order
        .into_iter()
        .filter_map(|id| {
            found.remove(&id).map(|tag| TagTrend {
                tag,
                history: history(&days, id, today),
            })
        })
        .collect())
}

fn link_trends(
    conn: &mut DbConnection,
    since: i64,
    today: i64,
    min_accounts: i64,
) -> Result<Vec<LinkTrend>> {
    let trendable = trendable();
    let ranking = format!(
        "SELECT sl.url AS key FROM status_links sl JOIN statuses s ON s.id = sl.status_id \
         WHERE sl.status_id >= $1 AND {trendable} \
         GROUP BY sl.url HAVING COUNT(DISTINCT s.account_id) >= $2 \
         ORDER BY COUNT(DISTINCT s.account_id) DESC, COUNT(*) DESC, MAX(sl.status_id) DESC \
         LIMIT $3"
    );
    let ranked: Vec<RankedUrl> = diesel::sql_query(&ranking)
        .bind::<BigInt, _>(since)
        .bind::<BigInt, _>(min_accounts)
        .bind::<BigInt, _>(MAX_TRENDS)
        .load(conn)?;
    let order: Vec<String> = ranked.into_iter().map(|r| r.key).collect();
    if order.is_empty() {
        return Ok(Vec::new());
    }
    // The day rows of the trending links only (the ranking again, from the same rows).
    let rows: Vec<DayOfUrl> = diesel::sql_query(format!(
        "SELECT sl.url AS key, sl.status_id / {ID_PER_DAY} AS day, COUNT(*) AS uses, \
             COUNT(DISTINCT s.account_id) AS accounts \
         FROM status_links sl JOIN statuses s ON s.id = sl.status_id \
         WHERE sl.status_id >= $1 AND {trendable} \
             AND sl.url IN (SELECT r.key FROM ({ranking}) r) \
         GROUP BY sl.url, sl.status_id / {ID_PER_DAY}"
    ))
    .bind::<BigInt, _>(since)
    .bind::<BigInt, _>(min_accounts)
    .bind::<BigInt, _>(MAX_TRENDS)
    .load(conn)?;
    let days: HashMap<(String, i64), (i64, i64)> = rows
        .into_iter()
        .map(|r| ((r.key, r.day), (r.uses, r.accounts)))
        .collect();
    Ok(order
        .into_iter()
        .map(|url| LinkTrend {
            history: history(&days, url.clone(), today),
            url,
        })
        .collect())
}

fn status_trends(conn: &mut DbConnection, since: i64, min_accounts: i64) -> Result<Vec<i64>> {
    let trendable = trendable();
    let ranked: Vec<RankedId> = diesel::sql_query(format!(
        "SELECT x.status_id AS key FROM ( \
             SELECT f.status_id AS status_id, f.account_id AS account_id FROM favourites f \
                 WHERE f.status_id >= $1 \
             UNION ALL SELECT r.reblog_of_id, r.account_id FROM statuses r \
                 WHERE r.reblog_of_id >= $1 AND r.deleted_at IS NULL \
         ) x JOIN statuses s ON s.id = x.status_id \
         WHERE x.account_id <> s.account_id AND {trendable} \
         GROUP BY x.status_id HAVING COUNT(DISTINCT x.account_id) >= $2 \
         ORDER BY COUNT(DISTINCT x.account_id) DESC, x.status_id DESC \
         LIMIT $3"
    ))
    .bind::<BigInt, _>(since)
    .bind::<BigInt, _>(min_accounts)
    .bind::<BigInt, _>(MAX_TRENDS)
    .load(conn)?;
    Ok(ranked.into_iter().map(|r| r.key).collect())
}
