//! Timelines: home, lists, public (local/remote), hashtag, an account's statuses, bookmarks
//! and favourites. Every one applies `visibility::visible_to`, and hides muted authors and
//! the departments the viewer blocks where Mastodon does. Ids sort by time, so pages are
//! index range scans.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::db::models::Status;
use crate::db::schema::{
    accounts, bookmarks, favourites, follows, list_accounts, lists, media_attachments, mentions,
    status_pins, status_tags, statuses, tags,
};
use crate::db::{DbConnection, MultiBackend};
use crate::error::Result;
use crate::service::feeds;
use crate::service::lists::{self as user_lists, RepliesPolicy};
use crate::service::pagination::Page;
use crate::service::visibility::{Viewer, not_domain_blocked_by, not_muted_by, visible_to};

type StatusQuery<'a> = statuses::BoxedQuery<
    'a,
    MultiBackend,
    diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Status, MultiBackend>>,
>;

fn base_query<'a>(viewer: Viewer) -> StatusQuery<'a> {
    statuses::table
        .select(Status::as_select())
        .filter(visible_to(viewer))
        .into_boxed()
}

/// Apply `max_id`/`since_id`/`min_id`/`limit` on `statuses.id` and load newest first.
fn paginate(conn: &mut DbConnection, mut q: StatusQuery<'_>, page: &Page) -> Result<Vec<Status>> {
    if let Some(max) = page.max_id {
        q = q.filter(statuses::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(statuses::id.gt(since));
    }
    if let Some(min) = page.min_id {
        let mut rows = q
            .filter(statuses::id.gt(min))
            .order(statuses::id.asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(statuses::id.desc()).limit(page.limit).load(conn)?)
}

/// The people `me` follows (and `me`), their boosts where shown, direct messages to `me`, and
/// public posts with hashtags `me` follows; members of `me`'s exclusive lists are read in
/// those lists instead.
///
/// Read from `me`'s feed (see [`feeds`]): the page's candidate rows, each checked against the
/// whole home rule; below the feed's floor, or before it is built, by the search.
pub fn home(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<Status>> {
    from_feed(conn, me, page, || Ok(home_query(me)))
}

/// A page of the timeline `query` gives, for `me`, whose statuses all are candidates of
/// `me`'s feed: the page's candidate rows are checked against `query`; below the feed's
/// floor, or before the feed is built, the page is searched for with `query`.
fn from_feed<'a, F>(conn: &mut DbConnection, me: i64, page: &Page, query: F) -> Result<Vec<Status>>
where
    F: Fn() -> Result<StatusQuery<'a>>,
{
    let Some(floor) = feeds::state(conn, me)? else {
        return paginate(conn, query()?, page);
    };
    if floor.is_some_and(|f| page.min_id.or(page.since_id).is_some_and(|b| b < f)) {
        return paginate(conn, query()?, page);
    }
    let walked = from_candidates(
        conn,
        page,
        |conn, cursor, limit| feeds::page_ids(conn, me, cursor, floor, limit),
        &query,
    )?;
    let mut found = walked.found;
    let want = page.limit.max(1) as usize;
    if page.min_id.is_none()
        && walked.exhausted
        && found.len() < want
        && let Some(floor) = floor
    {
        // The rest of the page is older than the feed: search for it.
        let rest = Page {
            max_id: Some(walked.cursor.max_id.map_or(floor, |m| m.min(floor))),
            since_id: page.since_id,
            min_id: None,
            limit: (want - found.len()) as i64,
        };
        found.extend(paginate(conn, query()?, &rest)?);
    }
    Ok(found)
}

/// A page read from candidate ids: the statuses, whether the candidates ran out, and where
/// the walk stopped.
struct Walked {
    found: Vec<Status>,
    exhausted: bool,
    cursor: Page,
}

/// A page of the timeline `query` gives, walking candidate ids — `candidates(conn, cursor,
/// n)` gives the next `n` in the page's order: newest first, oldest first for `min_id`
/// pages — and keeping those `query` passes. Candidates that fail it (muted, blocked,
/// deleted…) cost a few more ids, never a scan of all statuses.
fn from_candidates<'a, F, C>(
    conn: &mut DbConnection,
    page: &Page,
    mut candidates: C,
    query: &F,
) -> Result<Walked>
where
    F: Fn() -> Result<StatusQuery<'a>>,
    C: FnMut(&mut DbConnection, &Page, i64) -> Result<Vec<i64>>,
{
    let ascending = page.min_id.is_some();
    let want = page.limit.max(1) as usize;
    // Candidates mostly pass (a feed holds what was fanned out to this reader): a quarter
    // more than the page, and another round in the rare case that is not enough.
    let fetch = page.limit.max(1) + page.limit.max(1) / 4 + 4;
    let mut found: Vec<Status> = Vec::with_capacity(want);
    let mut cursor = page.clone();
    let exhausted = loop {
        let ids = candidates(conn, &cursor, fetch)?;
        if let Some(&last) = ids.last() {
            let mut rows = query()?.filter(statuses::id.eq_any(&ids)).load(conn)?;
            if ascending {
                rows.sort_by_key(|s| s.id);
                cursor.min_id = Some(last);
            } else {
                rows.sort_by_key(|s| std::cmp::Reverse(s.id));
                cursor.max_id = Some(last);
            }
            found.extend(rows);
        }
        if found.len() >= want || (ids.len() as i64) < fetch {
            break (ids.len() as i64) < fetch;
        }
    };
    found.truncate(want);
    if ascending {
        found.reverse();
    }
    Ok(Walked {
        found,
        exhausted,
        cursor,
    })
}

/// Whether a status belongs in `me`'s home timeline (for live streams).
pub fn home_contains(conn: &mut DbConnection, me: i64, status_id: i64) -> Result<bool> {
    Ok(home_query(me)
        .filter(statuses::id.eq(status_id))
        .first(conn)
        .optional()?
        .is_some())
}

/// Whether a status belongs in the public timeline as `viewer` sees it.
pub fn public_contains(
    conn: &mut DbConnection,
    viewer: Viewer,
    origin: Origin,
    status_id: i64,
) -> Result<bool> {
    let mut q = public_query(viewer).filter(statuses::id.eq(status_id));
    match origin {
        Origin::All => {}
        Origin::Local => q = q.filter(statuses::local.eq(true)),
        Origin::Remote => q = q.filter(statuses::local.eq(false)),
    }
    Ok(q.first(conn).optional()?.is_some())
}

/// Whether a status carries the hashtag and is in its public timeline as `viewer` sees it.
pub fn tag_contains(
    conn: &mut DbConnection,
    viewer: Viewer,
    name: &str,
    local_only: bool,
    status_id: i64,
) -> Result<bool> {
    let page = Page {
        max_id: Some(status_id + 1),
        since_id: Some(status_id - 1),
        min_id: None,
        limit: 1,
    };
    let origin = if local_only {
        Origin::Local
    } else {
        Origin::All
    };
    Ok(!tag(conn, viewer, name, origin, &page)?.is_empty())
}

/// SQL condition: the statuses that may belong in `me`'s home timeline by who wrote them or
/// what they are about: `me`'s own, those of accounts `me` follows, those mentioning `me`,
/// and posts meant for everyone with hashtags `me` follows. What a feed holds (see
/// [`feeds`]); [`home_query`] adds who may see what and what `me` chose not to see.
pub(crate) fn home_membership(me: i64) -> crate::service::visibility::StatusFilter {
    let followed = follows::table
        .filter(follows::account_id.eq(me))
        .filter(follows::accepted.eq(true))
        .select(follows::target_account_id);
    let mentioning_me = mentions::table
        .filter(mentions::account_id.eq(me))
        .select(mentions::status_id);
    // Asked of each status (an index probe), not as the set of every status carrying a
    // followed hashtag, which the planner would make in full for each page.
    let with_followed_tags = diesel::dsl::sql::<Bool>(
        "EXISTS (SELECT 1 FROM status_tags st JOIN tag_follows tf ON tf.tag_id = st.tag_id \
         WHERE st.status_id = statuses.id AND tf.account_id = ",
    )
    .bind::<BigInt, _>(me)
    .sql(")");
    Box::new(
        statuses::account_id
            .eq(me)
            .or(statuses::account_id.eq_any(followed))
            .or(statuses::id.eq_any(mentioning_me))
            // Followed hashtags bring in posts meant for everyone (not their boosts).
            .or(statuses::visibility
                .eq_any(["public", "local"])
                .and(statuses::reblog_of_id.is_null())
                .and(with_followed_tags)),
    )
}

/// `me`'s home timeline by the search: [`home_membership`], what `me` may see, without
/// boosts of accounts whose boosts `me` hides, muted accounts, the departments `me` blocks
/// and members of `me`'s exclusive lists (read in those lists instead).
pub(crate) fn home_query<'a>(me: i64) -> StatusQuery<'a> {
    let boosts_hidden = follows::table
        .filter(follows::account_id.eq(me))
        .filter(follows::show_reblogs.eq(false))
        .select(follows::target_account_id);
    base_query(Some(me))
        .filter(home_membership(me))
        .filter(
            statuses::reblog_of_id
                .is_null()
                .or(diesel::dsl::not(statuses::account_id.eq_any(boosts_hidden))),
        )
        .filter(not_muted_by(me).or(statuses::account_id.eq(me)))
        .filter(not_domain_blocked_by(me))
        .filter(diesel::dsl::not(
            statuses::account_id.eq_any(
                list_accounts::table
                    .inner_join(lists::table)
                    .filter(lists::account_id.eq(me))
                    .filter(lists::exclusive.eq(true))
                    .select(list_accounts::account_id),
            ),
        ))
}

/// The posts and boosts of one of `me`'s lists' members that `me` may see, without direct
/// messages; replies to others only as the list's `replies_policy` allows. Another employee's
/// list is not found.
///
/// Members are accounts `me` follows, so their statuses are in `me`'s feed: read from it.
pub fn list(conn: &mut DbConnection, me: i64, list_id: i64, page: &Page) -> Result<Vec<Status>> {
    let list = user_lists::find(conn, me, list_id)?;
    from_feed(conn, me, page, || list_statuses(me, &list))
}

/// Whether a status belongs in one of `me`'s lists (for live streams).
pub fn list_contains(
    conn: &mut DbConnection,
    me: i64,
    list_id: i64,
    status_id: i64,
) -> Result<bool> {
    let q = list_query(conn, me, list_id)?;
    Ok(q.filter(statuses::id.eq(status_id))
        .first(conn)
        .optional()?
        .is_some())
}

fn list_query<'a>(conn: &mut DbConnection, me: i64, list_id: i64) -> Result<StatusQuery<'a>> {
    let list = user_lists::find(conn, me, list_id)?;
    list_statuses(me, &list)
}

fn list_statuses<'a>(me: i64, list: &crate::db::models::List) -> Result<StatusQuery<'a>> {
    let members = list_accounts::table
        .filter(list_accounts::list_id.eq(list.id))
        .select(list_accounts::account_id);
    let boosts_hidden = follows::table
        .filter(follows::account_id.eq(me))
        .filter(follows::show_reblogs.eq(false))
        .select(follows::target_account_id);
    let mut q = base_query(Some(me))
        .filter(statuses::account_id.eq_any(members))
        .filter(statuses::visibility.ne("direct"))
        .filter(
            statuses::reblog_of_id
                .is_null()
                .or(diesel::dsl::not(statuses::account_id.eq_any(boosts_hidden))),
        )
        .filter(not_muted_by(me))
        .filter(not_domain_blocked_by(me));
    // Posts that are not replies, threads (replies to oneself) and replies to the owner always
    // show; the policy decides about replies to others.
    let always = statuses::in_reply_to_id
        .is_null()
        .or(statuses::in_reply_to_account_id.eq(statuses::account_id.nullable()))
        .or(statuses::in_reply_to_account_id.eq(me));
    let policy: RepliesPolicy = list.replies_policy.parse()?;
    q = match policy {
        RepliesPolicy::None => q.filter(always),
        RepliesPolicy::List => q.filter(
            always.or(statuses::in_reply_to_account_id.assume_not_null().eq_any(
                list_accounts::table
                    .filter(list_accounts::list_id.eq(list.id))
                    .select(list_accounts::account_id),
            )),
        ),
        RepliesPolicy::Followed => q.filter(
            always.or(statuses::in_reply_to_account_id.assume_not_null().eq_any(
                follows::table
                    .filter(follows::account_id.eq(me))
                    .filter(follows::accepted.eq(true))
                    .select(follows::target_account_id),
            )),
        ),
    };
    Ok(q)
}

/// Which public posts: everything, only this department's, or only other departments'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    All,
    Local,
    Remote,
}

/// Public posts (and, for employees signed in here, department-only posts), no boosts.
pub fn public(
    conn: &mut DbConnection,
    viewer: Viewer,
    origin: Origin,
    only_media: bool,
    page: &Page,
) -> Result<Vec<Status>> {
    let mut q = public_query(viewer);
    match origin {
        Origin::All => {}
        Origin::Local => q = q.filter(statuses::local.eq(true)),
        Origin::Remote => q = q.filter(statuses::local.eq(false)),
    }
    if only_media {
        q = q.filter(
            statuses::id
                .nullable()
                .eq_any(media_attachments::table.select(media_attachments::status_id)),
        );
    }
    paginate(conn, q, page)
}

fn public_query<'a>(viewer: Viewer) -> StatusQuery<'a> {
    let shown = if viewer.is_some() {
        vec!["public", "local"]
    } else {
        vec!["public"]
    };
    let mut q = base_query(viewer)
        .filter(statuses::visibility.eq_any(shown))
        .filter(statuses::reblog_of_id.is_null())
        // Departments silenced by the federation policy are off these timelines too.
        .filter(crate::service::policy::federation::not_silenced(viewer));
    // Silenced accounts are off the department and company timelines, but for their
    // followers (a handful of accounts: the partial index finds them).
    let silenced = || {
        accounts::table
            .filter(accounts::silenced_at.is_not_null())
            .select(accounts::id)
    };
    match viewer {
        Some(me) => {
            let followed = follows::table
                .filter(follows::account_id.eq(me))
                .filter(follows::accepted.eq(true))
                .select(follows::target_account_id);
            q = q
                .filter(not_muted_by(me))
                .filter(not_domain_blocked_by(me))
                .filter(diesel::dsl::not(statuses::account_id.eq_any(
                    silenced().filter(diesel::dsl::not(accounts::id.eq_any(followed))),
                )));
        }
        None => q = q.filter(diesel::dsl::not(statuses::account_id.eq_any(silenced()))),
    }
    q
}

/// Public posts with a hashtag: walked down the hashtag's own index (`status_tags`), so a
/// page costs the same for a hashtag on forty thousand posts as on four.
pub fn tag(
    conn: &mut DbConnection,
    viewer: Viewer,
    name: &str,
    origin: Origin,
    page: &Page,
) -> Result<Vec<Status>> {
    let tag_id: Option<i64> = tags::table
        .filter(tags::name.eq(name.trim_start_matches('#').to_lowercase()))
        .select(tags::id)
        .first(conn)
        .optional()?;
    let Some(tag_id) = tag_id else {
        return Ok(Vec::new());
    };
    let query = || {
        let mut q = public_query(viewer);
        match origin {
            Origin::All => {}
            Origin::Local => q = q.filter(statuses::local.eq(true)),
            Origin::Remote => q = q.filter(statuses::local.eq(false)),
        }
        Ok(q)
    };
    let walked = from_candidates(
        conn,
        page,
        |conn, cursor, limit| {
            let mut q = status_tags::table
                .filter(status_tags::tag_id.eq(tag_id))
                .select(status_tags::status_id)
                .into_boxed();
            if let Some(max) = cursor.max_id {
                q = q.filter(status_tags::status_id.lt(max));
            }
            if let Some(since) = cursor.since_id {
                q = q.filter(status_tags::status_id.gt(since));
            }
            Ok(match cursor.min_id {
                Some(min) => q
                    .filter(status_tags::status_id.gt(min))
                    .order(status_tags::status_id.asc())
                    .limit(limit)
                    .load(conn)?,
                None => q
                    .order(status_tags::status_id.desc())
                    .limit(limit)
                    .load(conn)?,
            })
        },
        &query,
    )?;
    Ok(walked.found)
}

/// Public posts linking to `url` (as `statuses::normalize_link` records links), the way the
/// public timeline shows them to `viewer`: walked down the link's own index (`status_links`).
pub fn link(
    conn: &mut DbConnection,
    viewer: Viewer,
    url: &str,
    page: &Page,
) -> Result<Vec<Status>> {
    use crate::db::schema::status_links;
    let Some(url) = crate::service::statuses::normalize_link(url) else {
        return Ok(Vec::new());
    };
    let query = || Ok(public_query(viewer));
    let walked = from_candidates(
        conn,
        page,
        |conn, cursor, limit| {
            let mut q = status_links::table
                .filter(status_links::url.eq(&url))
                .select(status_links::status_id)
                .into_boxed();
            if let Some(max) = cursor.max_id {
                q = q.filter(status_links::status_id.lt(max));
            }
            if let Some(since) = cursor.since_id {
                q = q.filter(status_links::status_id.gt(since));
            }
            Ok(match cursor.min_id {
                Some(min) => q
                    .filter(status_links::status_id.gt(min))
                    .order(status_links::status_id.asc())
                    .limit(limit)
                    .load(conn)?,
                None => q
                    .order(status_links::status_id.desc())
                    .limit(limit)
                    .load(conn)?,
            })
        },
        &query,
    )?;
    Ok(walked.found)
}

/// Of the trending statuses `ids` (the strongest first), those the public timeline would show
/// `viewer` (blocks, mutes, blocked departments and silences honoured), in the same order.
pub fn trending(conn: &mut DbConnection, viewer: Viewer, ids: &[i64]) -> Result<Vec<Status>> {
    let mut found: std::collections::HashMap<i64, Status> = public_query(viewer)
        .filter(statuses::id.eq_any(ids))
        .load(conn)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Options of `GET /api/v1/accounts/:id/statuses`.
#[derive(Debug, Default, Clone)]
pub struct AccountStatusesFilter {
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    pub only_media: bool,
    pub pinned: bool,
    pub tagged: Option<String>,
}

/// An account's statuses that `viewer` may see.
pub fn account(
    conn: &mut DbConnection,
    viewer: Viewer,
    account_id: i64,
    filter: &AccountStatusesFilter,
    page: &Page,
) -> Result<Vec<Status>> {
    let mut q = base_query(viewer).filter(statuses::account_id.eq(account_id));
    if filter.exclude_replies {
        // Replies to oneself (threads) stay, as on Mastodon.
        q = q.filter(
            statuses::in_reply_to_id
                .is_null()
                .or(statuses::in_reply_to_account_id.eq(account_id)),
        );
    }
    if filter.exclude_reblogs {
        q = q.filter(statuses::reblog_of_id.is_null());
    }
    if filter.only_media {
        q = q.filter(
            statuses::id
                .nullable()
                .eq_any(media_attachments::table.select(media_attachments::status_id)),
        );
    }
    if filter.pinned {
        q = q.filter(
            statuses::id.eq_any(
                status_pins::table
                    .filter(status_pins::account_id.eq(account_id))
                    .select(status_pins::status_id),
            ),
        );
    }
    if let Some(tag) = &filter.tagged {
        q = q.filter(
            statuses::id.eq_any(
                status_tags::table
                    .inner_join(tags::table)
                    .filter(tags::name.eq(tag.trim_start_matches('#').to_lowercase()))
                    .select(status_tags::status_id),
            ),
        );
    }
    paginate(conn, q, page)
}

/// Statuses `me` bookmarked (paged by the bookmark, newest first). Returns (bookmark id, status).
pub fn bookmarks(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<(i64, Status)>> {
    let mut q = bookmarks::table
        .filter(bookmarks::account_id.eq(me))
        .select((bookmarks::id, bookmarks::status_id))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(bookmarks::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(bookmarks::id.gt(since));
    }
    let marks: Vec<(i64, i64)> = q.order(bookmarks::id.desc()).limit(page.limit).load(conn)?;
    keep_visible(conn, me, marks)
}

/// Statuses `me` favourited (paged by the favourite, newest first).
pub fn favourites(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<(i64, Status)>> {
    let mut q = favourites::table
        .filter(favourites::account_id.eq(me))
        .select((favourites::id, favourites::status_id))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(favourites::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(favourites::id.gt(since));
    }
    let marks: Vec<(i64, i64)> = q
        .order(favourites::id.desc())
        .limit(page.limit)
        .load(conn)?;
    keep_visible(conn, me, marks)
}

/// The statuses of (marker id, status id) pairs that `me` may still see, in the same order.
fn keep_visible(
    conn: &mut DbConnection,
    me: i64,
    marks: Vec<(i64, i64)>,
) -> Result<Vec<(i64, Status)>> {
    let ids: Vec<i64> = marks.iter().map(|(_, id)| *id).collect();
    let mut found: std::collections::HashMap<i64, Status> = base_query(Some(me))
        .filter(statuses::id.eq_any(ids))
        .load(conn)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    Ok(marks
        .into_iter()
        .filter_map(|(mark, id)| found.remove(&id).map(|s| (mark, s)))
        .collect())
}
