//! Home feeds: each employee's home timeline is read from a list of status ids kept for them
//! (fan-out on write), not searched for among all statuses.
//!
//! A feed row is a candidate: "this status may belong in this home timeline". Rows are added
//! when a status is published or boosted ([`publish`], called by the one write path for both
//! origins, queues it; [`fan_out_queued`] writes the rows in the background, many statuses
//! at once), when a follow is accepted or a hashtag followed ([`bring_in`]), and when a feed
//! is built ([`build`]). Reading a page applies the whole home rule
//! (`timelines::home_query`: visibility, blocks, mutes, boosts shown, exclusive lists) to the
//! page's rows only, so whatever makes a status leave the home timeline (unfollow, block,
//! mute, delete, a list made exclusive) takes effect at once without touching the feed, and a
//! page costs the same at a thousand statuses or a million.
//!
//! Each feed keeps about `limits.home_feed_size` newest rows ([`trim`]); below its `floor`
//! (the oldest row kept) pages are read by the search, as before feeds. Feeds exist for every
//! employee (an empty one is made with the account); older accounts are built in the
//! background at start ([`build_missing`]) and read by the search until then.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::db::models::Status;
use crate::db::schema::{
    accounts, follows, home_feed_queue, home_feed_states, home_feeds, status_tags, statuses,
    tag_follows,
};
use crate::error::Result;
use crate::service::pagination::Page;

/// Where a feed stands: `None` when it is not built; `Some(floor)` when it is, whole from
/// `floor` up (whole from the start when `floor` is `None`).
pub(crate) fn state(conn: &mut DbConnection, me: i64) -> Result<Option<Option<i64>>> {
    Ok(home_feed_states::table
        .find(me)
        .select(home_feed_states::floor)
        .first::<Option<i64>>(conn)
        .optional()?)
}

/// Make the (empty, whole) feed of a new account.
pub(crate) fn create(conn: &mut DbConnection, account_id: i64) -> Result<()> {
    diesel::insert_into(home_feed_states::table)
        .values((
            home_feed_states::account_id.eq(account_id),
            home_feed_states::floor.eq(None::<i64>),
            home_feed_states::built_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A new status (or boost) was published: it goes into its author's feed at once and is
/// queued for everyone else's ([`fan_out_queued`], in the background). Until it has been
/// fanned out, home pages take it from the queue as a candidate ([`page_ids`]), so nobody's
/// home timeline misses it in between.
pub(crate) fn publish(conn: &mut DbConnection, status: &Status) -> Result<()> {
    diesel::insert_into(home_feed_queue::table)
        .values(home_feed_queue::status_id.eq(status.id))
        .execute(conn)?;
    publish_own(conn, status)
}

/// A post held for review goes into its author's feed only (the only one who sees it);
/// [`publish`] queues it for the others when it is approved.
pub(crate) fn publish_own(conn: &mut DbConnection, status: &Status) -> Result<()> {
    diesel::sql_query(
        "INSERT INTO home_feeds (account_id, status_id)
         SELECT account_id, $1 FROM home_feed_states WHERE account_id = $2
         ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(status.id)
    .bind::<BigInt, _>(status.account_id)
    .execute(conn)?;
    Ok(())
}

/// Fan out up to `batch` queued statuses, oldest first, in this one transaction and one
/// statement whose rows are written in feed order, so that the statuses of a busy moment
/// share each follower's feed pages (one page write per follower, not one per follower per
/// status). Returns how many were taken from the queue. On PostgreSQL app nodes draining at
/// once take different statuses.
pub fn fan_out_queued(conn: &mut DbConnection, batch: i64) -> Result<usize> {
    let queued = home_feed_queue::table
        .select(home_feed_queue::status_id)
        .order(home_feed_queue::status_id)
        .limit(batch);
    let ids: Vec<i64> = match conn {
        DbConnection::Postgresql(pg) => queued.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(_) => queued.load(conn)?,
    };
    let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else {
        return Ok(0);
    };
    crate::db::commit_without_flush_wait(conn)?;
    // The feeds each status may belong in — its author's followers, the accounts it
    // mentions and, for a post meant for everyone, the followers of its hashtags; only built
    // feeds (the others are built from the statuses) — for the statuses queued from `first`
    // to `last` (on PostgreSQL, one another node has taken meanwhile may be fanned out twice:
    // the second time adds nothing).
    diesel::sql_query(
        "INSERT INTO home_feeds (account_id, status_id)
         SELECT DISTINCT a.account_id, a.status_id FROM (
             SELECT f.account_id AS account_id, s.id AS status_id
                 FROM home_feed_queue q
                 JOIN statuses s ON s.id = q.status_id
                 JOIN follows f ON f.target_account_id = s.account_id AND f.accepted = TRUE
                 WHERE q.status_id BETWEEN $1 AND $2 AND s.deleted_at IS NULL
             UNION ALL SELECT m.account_id, m.status_id
                 FROM home_feed_queue q
                 JOIN mentions m ON m.status_id = q.status_id
                 WHERE q.status_id BETWEEN $1 AND $2
             UNION ALL SELECT tf.account_id, s.id
                 FROM home_feed_queue q
                 JOIN statuses s ON s.id = q.status_id
                 JOIN status_tags st ON st.status_id = s.id
                 JOIN tag_follows tf ON tf.tag_id = st.tag_id
                 WHERE q.status_id BETWEEN $1 AND $2 AND s.deleted_at IS NULL
                     AND s.reblog_of_id IS NULL AND s.visibility IN ('public', 'local')
         ) a
         JOIN home_feed_states hs ON hs.account_id = a.account_id
         WHERE TRUE
         ORDER BY a.account_id, a.status_id
         ON CONFLICT DO NOTHING",
    )
    .bind::<BigInt, _>(first)
    .bind::<BigInt, _>(last)
    .execute(conn)?;
    diesel::delete(home_feed_queue::table.filter(home_feed_queue::status_id.eq_any(&ids)))
        .execute(conn)?;
    Ok(ids.len())
}

/// A status was deleted: it leaves every feed (reading would skip it anyway).
pub(crate) fn forget(conn: &mut DbConnection, status_id: i64) -> Result<()> {
    diesel::delete(home_feeds::table.filter(home_feeds::status_id.eq(status_id))).execute(conn)?;
    diesel::delete(home_feed_queue::table.find(status_id)).execute(conn)?;
    Ok(())
}

/// What a new follow (or followed hashtag) brings into `me`'s feed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    /// The statuses and boosts of this account.
    Account(i64),
    /// The public posts carrying this hashtag.
    Tag(i64),
}

/// Bring the newest statuses of `source` into `me`'s feed, down to its floor. Were there
/// more than a feed holds, the floor rises to the oldest brought in, so that no page skips
/// one of them.
pub(crate) fn bring_in(
    conn: &mut DbConnection,
    me: i64,
    source: Source,
    feed_size: usize,
) -> Result<()> {
    let Some(floor) = state(conn, me)? else {
        return Ok(());
    };
    let size = feed_size.max(1) as i64;
    let mut q = statuses::table
        .filter(statuses::deleted_at.is_null())
        .select(statuses::id)
        .into_boxed();
    q = match source {
        Source::Account(author) => q.filter(statuses::account_id.eq(author)),
        Source::Tag(tag) => q
            .filter(statuses::reblog_of_id.is_null())
            .filter(statuses::visibility.eq_any(["public", "local"]))
            .filter(
                statuses::id.eq_any(
                    status_tags::table
                        .filter(status_tags::tag_id.eq(tag))
                        .select(status_tags::status_id),
                ),
            ),
    };
    if let Some(floor) = floor {
        q = q.filter(statuses::id.ge(floor));
    }
    let ids: Vec<i64> = q.order(statuses::id.desc()).limit(size).load(conn)?;
    insert(conn, me, &ids)?;
    if ids.len() as i64 == size
        && let Some(&oldest) = ids.last()
        && floor.is_none_or(|f| f < oldest)
    {
        raise_floor(conn, me, oldest)?;
    }
    Ok(())
}

fn insert(conn: &mut DbConnection, me: i64, ids: &[i64]) -> Result<()> {
    for chunk in ids.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|&id| (home_feeds::account_id.eq(me), home_feeds::status_id.eq(id)))
            .collect();
        match conn {
            DbConnection::Postgresql(pg) => {
                diesel::insert_into(home_feeds::table)
                    .values(&rows)
                    .on_conflict_do_nothing()
                    .execute(pg)?;
            }
            DbConnection::Sqlite(sqlite) => {
                diesel::insert_or_ignore_into(home_feeds::table)
                    .values(&rows)
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

/// The feed is whole from `floor` up only: drop the rows below it.
fn raise_floor(conn: &mut DbConnection, me: i64, floor: i64) -> Result<()> {
    diesel::delete(
        home_feeds::table
            .filter(home_feeds::account_id.eq(me))
            .filter(home_feeds::status_id.lt(floor)),
    )
    .execute(conn)?;
    diesel::update(home_feed_states::table.find(me))
        .set(home_feed_states::floor.eq(Some(floor)))
        .execute(conn)?;
    Ok(())
}

/// Build `me`'s feed from the statuses (the search the feed replaces, run once).
pub(crate) fn build(conn: &mut DbConnection, me: i64, feed_size: usize) -> Result<()> {
    let size = feed_size.max(1) as i64;
    diesel::delete(home_feeds::table.filter(home_feeds::account_id.eq(me))).execute(conn)?;
    diesel::delete(home_feed_states::table.find(me)).execute(conn)?;
    let ids = newest_candidates(conn, me, size)?;
    insert(conn, me, &ids)?;
    let floor = (ids.len() as i64 == size)
        .then(|| ids.last().copied())
        .flatten();
    diesel::insert_into(home_feed_states::table)
        .values((
            home_feed_states::account_id.eq(me),
            home_feed_states::floor.eq(floor),
            home_feed_states::built_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// How many sources one statement reads (SQLite allows 500 terms in a compound `SELECT`).
const SOURCES_PER_QUERY: usize = 100;

/// The newest `size` statuses that may belong in `me`'s home timeline
/// (`timelines::home_membership`), newest first. Candidates only: what `me` may not see or
/// chose not to see is left out when a page is read, so that an unmute or an unblock brings
/// it back.
///
/// Read source by source — `me`, each account `me` follows, the statuses mentioning `me`,
/// each followed hashtag — each the newest `size` of one index range, newer than the
/// `size`-th newest found so far; a search over all statuses for the same answer would read
/// them all.
fn newest_candidates(conn: &mut DbConnection, me: i64, size: i64) -> Result<Vec<i64>> {
    let followed: Vec<i64> = follows::table
        .filter(follows::account_id.eq(me))
        .filter(follows::accepted.eq(true))
        .select(follows::target_account_id)
        .load(conn)?;
    let tags: Vec<i64> = tag_follows::table
        .filter(tag_follows::account_id.eq(me))
        .select(tag_follows::tag_id)
        .load(conn)?;
    // Each source as a query for its newest statuses above `bound` (ids are integers).
    let live = "deleted_at IS NULL";
    let mut sources: Vec<Box<dyn Fn(i64) -> String>> = Vec::new();
    for author in std::iter::once(me).chain(followed) {
        sources.push(Box::new(move |bound| {
            format!(
                "SELECT id FROM statuses WHERE account_id = {author} AND {live} AND id > {bound} \
                 ORDER BY id DESC LIMIT {size}"
            )
        }));
    }
    sources.push(Box::new(move |bound| {
        format!(
            "SELECT m.status_id AS id FROM mentions m JOIN statuses s ON s.id = m.status_id \
             WHERE m.account_id = {me} AND m.status_id > {bound} AND s.{live} \
             ORDER BY m.status_id DESC LIMIT {size}"
        )
    }));
    for tag in tags {
        // Followed hashtags bring in posts meant for everyone (not their boosts).
        sources.push(Box::new(move |bound| {
            format!(
                "SELECT t.status_id AS id FROM status_tags t JOIN statuses s ON s.id = t.status_id \
                 WHERE t.tag_id = {tag} AND t.status_id > {bound} AND s.{live} \
                 AND s.reblog_of_id IS NULL AND s.visibility IN ('public', 'local') \
                 ORDER BY t.status_id DESC LIMIT {size}"
            )
        }));
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let mut found: Vec<i64> = Vec::new();
    let mut bound = 0i64;
    for chunk in sources.chunks(SOURCES_PER_QUERY) {
        let union = chunk
            .iter()
            .enumerate()
            .map(|(i, source)| format!("SELECT id FROM ({}) AS s{i}", source(bound)))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows: Vec<Id> = diesel::sql_query(union).load(conn)?;
        found.extend(rows.into_iter().map(|row| row.id));
        found.sort_unstable_by(|a, b| b.cmp(a));
        found.dedup();
        found.truncate(size as usize);
        if found.len() as i64 == size
            && let Some(&oldest) = found.last()
        {
            // Later sources need only what is newer than the oldest kept.
            bound = oldest;
        }
    }
    Ok(found)
}

/// Build the feeds of up to `batch` local accounts that have none; returns how many were
/// built (0: none is missing).
pub fn build_missing(conn: &mut DbConnection, feed_size: usize, batch: i64) -> Result<usize> {
    let ids = missing(conn, batch)?;
    for &me in &ids {
        build(conn, me, feed_size)?;
    }
    Ok(ids.len())
}

/// Local accounts whose feed is not built (at most `limit`).
fn missing(conn: &mut DbConnection, limit: i64) -> Result<Vec<i64>> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .filter(diesel::dsl::not(accounts::id.eq_any(
            home_feed_states::table.select(home_feed_states::account_id),
        )))
        .select(accounts::id)
        .order(accounts::id)
        .limit(limit)
        .load(conn)?)
}

/// Forget every feed; they are built again (in the background at start, or by
/// `groundswell admin rebuild-feeds`).
pub fn forget_all(conn: &mut DbConnection) -> Result<()> {
    diesel::delete(home_feeds::table).execute(conn)?;
    diesel::delete(home_feed_states::table).execute(conn)?;
    Ok(())
}

/// Keep each feed near its size: a feed more than a quarter over it is cut back to it, and
/// its floor raised to the oldest row kept. Looks at `batch` feeds from `after` on (by
/// account id) and returns the last one looked at, to go on from (`None`: all seen).
pub fn trim(
    conn: &mut DbConnection,
    feed_size: usize,
    after: i64,
    batch: i64,
) -> Result<Option<i64>> {
    let size = feed_size.max(1) as i64;
    let feeds: Vec<i64> = home_feed_states::table
        .filter(home_feed_states::account_id.gt(after))
        .select(home_feed_states::account_id)
        .order(home_feed_states::account_id)
        .limit(batch)
        .load(conn)?;
    for &me in &feeds {
        let newest = || {
            home_feeds::table
                .filter(home_feeds::account_id.eq(me))
                .select(home_feeds::status_id)
                .order(home_feeds::status_id.desc())
        };
        let over: Option<i64> = newest().offset(size + size / 4).first(conn).optional()?;
        if over.is_none() {
            continue;
        }
        let oldest_kept: Option<i64> = newest().offset(size - 1).first(conn).optional()?;
        if let Some(floor) = oldest_kept {
            raise_floor(conn, me, floor)?;
        }
    }
    Ok((feeds.len() as i64 == batch)
        .then(|| feeds.last().copied())
        .flatten())
}

/// Up to `limit` candidate status ids of `me`'s feed in the page's range (from `floor` up),
/// newest first (oldest first for `min_id` pages), with the statuses still queued for fan-out
/// in that range (whether they belong is the home rule's to say, as for every row).
pub(crate) fn page_ids(
    conn: &mut DbConnection,
    me: i64,
    page: &Page,
    floor: Option<i64>,
    limit: i64,
) -> Result<Vec<i64>> {
    let mut q = home_feeds::table
        .filter(home_feeds::account_id.eq(me))
        .select(home_feeds::status_id)
        .into_boxed();
    let mut queued = home_feed_queue::table
        .select(home_feed_queue::status_id)
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(home_feeds::status_id.lt(max));
        queued = queued.filter(home_feed_queue::status_id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(home_feeds::status_id.gt(since));
        queued = queued.filter(home_feed_queue::status_id.gt(since));
    }
    if let Some(floor) = floor {
        q = q.filter(home_feeds::status_id.ge(floor));
        queued = queued.filter(home_feed_queue::status_id.ge(floor));
    }
    // The queue first, then the feed: the fan-out worker moves a status from the queue into
    // the feed, so read in this order (each statement its own snapshot) a status being moved
    // is seen in one or the other, never missed between them.
    let (queued, mut ids): (Vec<i64>, Vec<i64>) = match page.min_id {
        Some(min) => {
            let queued = queued
                .filter(home_feed_queue::status_id.gt(min))
                .order(home_feed_queue::status_id.asc())
                .limit(limit)
                .load(conn)?;
            let ids = q
                .filter(home_feeds::status_id.gt(min))
                .order(home_feeds::status_id.asc())
                .limit(limit)
                .load(conn)?;
            (queued, ids)
        }
        None => {
            let queued = queued
                .order(home_feed_queue::status_id.desc())
                .limit(limit)
                .load(conn)?;
            let ids = q
                .order(home_feeds::status_id.desc())
                .limit(limit)
                .load(conn)?;
            (queued, ids)
        }
    };
    if !queued.is_empty() {
        ids.extend(queued);
        ids.sort_unstable();
        ids.dedup();
        if page.min_id.is_none() {
            ids.reverse();
        }
        ids.truncate(limit.max(0) as usize);
    }
    Ok(ids)
}
