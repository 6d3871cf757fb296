//! Read models: statuses and notifications with everything a client shows next to them,
//! loaded in a fixed number of queries per page (no N+1).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::db::DbConnection;
use crate::db::models::{Account, MediaAttachment, Notification, Status, Tag};
use crate::db::schema::{
    accounts, bookmarks, favourites, media_attachments, mentions, oauth_applications, polls,
    status_pins, status_tags, statuses, tags, thread_mutes,
};
use crate::error::Result;
use crate::service::caches::StatusPartsCache;
use crate::service::filters::{self, FilterMatch};
use crate::service::visibility::{Viewer, visible_to};

/// What a status shows that is the same for every viewer and changes only when the status
/// is edited: the accounts it mentions, its hashtags, its media, the app it was posted with
/// and whether it has a poll. Built once and kept ([`crate::service::caches::StatusPartsCache`]).
#[derive(Debug, Default)]
pub struct StatusParts {
    pub mentions: Vec<Account>,
    pub tags: Vec<Tag>,
    pub media: Vec<MediaAttachment>,
    /// Name and website of the app it was posted with.
    pub application: Option<(String, Option<String>)>,
    pub has_poll: bool,
}

/// A status as a client shows it.
#[derive(Debug, Clone)]
pub struct StatusView {
    pub status: Status,
    pub account: Account,
    /// The boosted status, for boosts.
    pub reblog: Option<Box<StatusView>>,
    pub parts: Arc<StatusParts>,
    pub poll: Option<crate::service::polls::PollView>,
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub muted: bool,
    /// The viewer's filters that match it (for statuses by others).
    pub filtered: Vec<FilterMatch>,
    /// Whether the viewer wrote it (the app it was posted with is shown only to them).
    pub own: bool,
}

impl StatusView {
    /// A status as shown to nobody in particular, from its row and author alone.
    pub fn bare(status: Status, account: Account) -> StatusView {
        StatusView {
            status,
            account,
            reblog: None,
            parts: Arc::default(),
            poll: None,
            favourited: false,
            reblogged: false,
            bookmarked: false,
            pinned: false,
            muted: false,
            filtered: Vec::new(),
            own: false,
        }
    }

    /// Name and website of the app it was posted with, for its author only.
    pub fn application(&self) -> Option<&(String, Option<String>)> {
        self.parts.application.as_ref().filter(|_| self.own)
    }
}

/// Everything shown with these statuses, for `viewer`. Boosts whose original the viewer may
/// not see are dropped. Order is kept. Reads everything from the database: for what a
/// transaction is writing, and for rare reads; the read paths use [`hydrate_cached`].
pub fn hydrate(
    conn: &mut DbConnection,
    viewer: Viewer,
    rows: Vec<Status>,
) -> Result<Vec<StatusView>> {
    hydrate_with(conn, None, viewer, rows)
}

/// [`hydrate`], with the parts that are the same for every viewer taken from `cache` where
/// it has them (and kept there). Only for reads outside a write transaction: what an
/// uncommitted transaction sees must not be kept.
pub fn hydrate_cached(
    conn: &mut DbConnection,
    cache: &StatusPartsCache,
    viewer: Viewer,
    rows: Vec<Status>,
) -> Result<Vec<StatusView>> {
    hydrate_with(conn, Some(cache), viewer, rows)
}

fn hydrate_with(
    conn: &mut DbConnection,
    cache: Option<&StatusPartsCache>,
    viewer: Viewer,
    rows: Vec<Status>,
) -> Result<Vec<StatusView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // Before anything is read: an edit committed after this is not kept (each read below
    // sees the database as of its own statement).
    let generation = cache.map(|c| c.generation());
    let original_ids: Vec<i64> = rows.iter().filter_map(|s| s.reblog_of_id).collect();
    let originals: HashMap<i64, Status> = if original_ids.is_empty() {
        HashMap::new()
    } else {
        statuses::table
            .filter(statuses::id.eq_any(&original_ids))
            .filter(visible_to(viewer))
            .select(Status::as_select())
            .load(conn)?
            .into_iter()
            .map(|s| (s.id, s))
            .collect()
    };
    let all: Vec<&Status> = rows.iter().chain(originals.values()).collect();
    let status_ids: Vec<i64> = all.iter().map(|s| s.id).collect();
    let account_ids: HashSet<i64> = all.iter().map(|s| s.account_id).collect();
    let account_ids: Vec<i64> = account_ids.into_iter().collect();
    let accounts_by_id: HashMap<i64, Account> = accounts::table
        .filter(accounts::id.eq_any(&account_ids))
        .select(Account::as_select())
        .load(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();

    let mut parts: HashMap<i64, Arc<StatusParts>> = HashMap::with_capacity(all.len());
    let mut missing: Vec<&Status> = Vec::new();
    for s in &all {
        match cache.and_then(|c| c.get(s.id)) {
            Some(p) => {
                parts.insert(s.id, p);
            }
            None => missing.push(s),
        }
    }
    if !missing.is_empty() {
        let loaded = load_parts(conn, &missing)?;
        for (id, p) in loaded {
            if let (Some(cache), Some(generation)) = (cache, generation) {
                cache.keep(id, p.clone(), generation);
            }
            parts.insert(id, p);
        }
    }
    let with_polls: Vec<i64> = status_ids
        .iter()
        .copied()
        .filter(|id| parts.get(id).is_some_and(|p| p.has_poll))
        .collect();
    let polls_by_status = if with_polls.is_empty() {
        HashMap::new()
    } else {
        crate::service::polls::load_views(conn, viewer, &with_polls)?
    };
    let flags = match viewer {
        None => ViewerFlags::default(),
        Some(me) => viewer_flags(conn, me, &status_ids)?,
    };

    let build = |s: &Status| -> Option<StatusView> {
        let account = accounts_by_id.get(&s.account_id)?.clone();
        Some(StatusView {
            account,
            reblog: None,
            parts: parts.get(&s.id).cloned().unwrap_or_default(),
            poll: polls_by_status.get(&s.id).cloned(),
            favourited: flags.favourited.contains(&s.id),
            reblogged: flags.reblogged.contains(&s.id),
            bookmarked: flags.bookmarked.contains(&s.id),
            pinned: flags.pinned.contains(&s.id),
            muted: flags.muted.contains(&s.id),
            filtered: Vec::new(),
            own: viewer == Some(s.account_id),
            status: s.clone(),
        })
    };
    let mut out = Vec::with_capacity(rows.len());
    for s in &rows {
        let Some(mut view) = build(s) else { continue };
        if let Some(original_id) = s.reblog_of_id {
            let Some(original) = originals.get(&original_id).and_then(&build) else {
                continue;
            };
            view.reblog = Some(Box::new(original));
        }
        out.push(view);
    }
    if let Some(me) = viewer {
        apply_filters(conn, me, &mut out)?;
    }
    Ok(out)
}

/// The viewer-independent parts of these statuses, read from the database.
fn load_parts(
    conn: &mut DbConnection,
    found: &[&Status],
) -> Result<HashMap<i64, Arc<StatusParts>>> {
    let ids: Vec<i64> = found.iter().map(|s| s.id).collect();
    let mut parts: HashMap<i64, StatusParts> =
        ids.iter().map(|&id| (id, StatusParts::default())).collect();
    for (status_id, account) in mentions::table
        .inner_join(accounts::table)
        .filter(mentions::status_id.eq_any(&ids))
        .order(mentions::id.asc())
        .select((mentions::status_id, Account::as_select()))
        .load::<(i64, Account)>(conn)?
    {
        if let Some(p) = parts.get_mut(&status_id) {
            p.mentions.push(account);
        }
    }
    for (status_id, tag) in status_tags::table
        .inner_join(tags::table)
        .filter(status_tags::status_id.eq_any(&ids))
        .select((status_tags::status_id, Tag::as_select()))
        .load::<(i64, Tag)>(conn)?
    {
        if let Some(p) = parts.get_mut(&status_id) {
            p.tags.push(tag);
        }
    }
    for m in media_attachments::table
        .filter(media_attachments::status_id.eq_any(&ids))
        .filter(crate::service::policy::federation::media_shown())
        .order(media_attachments::id.asc())
        .select(MediaAttachment::as_select())
        .load::<MediaAttachment>(conn)?
    {
        if let Some(p) = m.status_id.and_then(|id| parts.get_mut(&id)) {
            p.media.push(m);
        }
    }
    for status_id in polls::table
        .filter(polls::status_id.eq_any(&ids))
        .select(polls::status_id)
        .load::<i64>(conn)?
    {
        if let Some(p) = parts.get_mut(&status_id) {
            p.has_poll = true;
        }
    }
    let app_ids: Vec<i64> = found.iter().filter_map(|s| s.application_id).collect();
    if !app_ids.is_empty() {
        let apps: HashMap<i64, (String, Option<String>)> = oauth_applications::table
            .filter(oauth_applications::id.eq_any(&app_ids))
            .select((
                oauth_applications::id,
                oauth_applications::name,
                oauth_applications::website,
            ))
            .load::<(i64, String, Option<String>)>(conn)?
            .into_iter()
            .map(|(id, name, site)| (id, (name, site)))
            .collect();
        for s in found {
            if let (Some(p), Some(app)) = (
                parts.get_mut(&s.id),
                s.application_id.and_then(|id| apps.get(&id)),
            ) {
                p.application = Some(app.clone());
            }
        }
    }
    Ok(parts.into_iter().map(|(id, p)| (id, Arc::new(p))).collect())
}

/// What the viewer did to these statuses and their authors.
#[derive(Default)]
struct ViewerFlags {
    favourited: HashSet<i64>,
    reblogged: HashSet<i64>,
    bookmarked: HashSet<i64>,
    pinned: HashSet<i64>,
    muted: HashSet<i64>,
}

/// The viewer's favourites, boosts, bookmarks and pins among `status_ids`, and which of
/// them are in threads they muted: one statement.
fn viewer_flags(conn: &mut DbConnection, me: i64, status_ids: &[i64]) -> Result<ViewerFlags> {
    const FAVOURITED: i32 = 0;
    const REBLOGGED: i32 = 1;
    const BOOKMARKED: i32 = 2;
    const PINNED: i32 = 3;
    const MUTED: i32 = 4;
    // Compound statements are not available through the multi-backend connection: the same
    // statement is built for the backend at hand.
    macro_rules! flags_query {
        () => {
            favourites::table
                .filter(favourites::account_id.eq(me))
                .filter(favourites::status_id.eq_any(status_ids))
                .select((FAVOURITED.into_sql::<Integer>(), favourites::status_id))
                .union_all(
                    statuses::table
                        .filter(statuses::account_id.eq(me))
                        .filter(statuses::reblog_of_id.eq_any(status_ids))
                        .filter(statuses::deleted_at.is_null())
                        .select((
                            REBLOGGED.into_sql::<Integer>(),
                            statuses::reblog_of_id.assume_not_null(),
                        )),
                )
                .union_all(
                    bookmarks::table
                        .filter(bookmarks::account_id.eq(me))
                        .filter(bookmarks::status_id.eq_any(status_ids))
                        .select((BOOKMARKED.into_sql::<Integer>(), bookmarks::status_id)),
                )
                .union_all(
                    status_pins::table
                        .filter(status_pins::account_id.eq(me))
                        .filter(status_pins::status_id.eq_any(status_ids))
                        .select((PINNED.into_sql::<Integer>(), status_pins::status_id)),
                )
                .union_all(
                    statuses::table
                        .filter(statuses::id.eq_any(status_ids))
                        .filter(
                            statuses::thread_root_id.eq_any(
                                thread_mutes::table
                                    .filter(thread_mutes::account_id.eq(me))
                                    .select(thread_mutes::thread_root_id.nullable()),
                            ),
                        )
                        .select((MUTED.into_sql::<Integer>(), statuses::id)),
                )
        };
    }
    let rows: Vec<(i32, i64)> = match conn {
        DbConnection::Postgresql(pg) => flags_query!().load(pg)?,
        DbConnection::Sqlite(sqlite) => flags_query!().load(sqlite)?,
    };
    let mut flags = ViewerFlags::default();
    for (kind, id) in rows {
        let set = match kind {
            FAVOURITED => &mut flags.favourited,
            REBLOGGED => &mut flags.reblogged,
            BOOKMARKED => &mut flags.bookmarked,
            PINNED => &mut flags.pinned,
            _ => &mut flags.muted,
        };
        set.insert(id);
    }
    Ok(flags)
}

/// Record which of `me`'s filters match each status by someone else. The filters are loaded
/// once for the whole page, and only when there is such a status.
fn apply_filters(conn: &mut DbConnection, me: i64, views: &mut [StatusView]) -> Result<()> {
    // A boost is filtered by what it boosts.
    fn proper(v: &StatusView) -> &Status {
        v.reblog.as_ref().map_or(&v.status, |r| &r.status)
    }
    if views.iter().all(|v| proper(v).account_id == me) {
        return Ok(());
    }
    let active = filters::active(conn, me)?;
    if active.is_empty() {
        return Ok(());
    }
    for view in views.iter_mut() {
        let content = proper(view);
        if content.account_id == me {
            continue;
        }
        let matches = active.matches(&view.status, content);
        if let Some(reblog) = view.reblog.as_mut() {
            reblog.filtered = matches.clone();
        }
        view.filtered = matches;
    }
    Ok(())
}

/// Status `id` as `viewer` sees it, if they may see it (else not found).
pub fn find_one(conn: &mut DbConnection, viewer: Viewer, id: i64) -> Result<StatusView> {
    let status = crate::service::visibility::find_visible(conn, viewer, id)?;
    hydrate_one(conn, viewer, status)
}

pub fn hydrate_one(conn: &mut DbConnection, viewer: Viewer, status: Status) -> Result<StatusView> {
    hydrate(conn, viewer, vec![status])?
        .pop()
        .ok_or_else(crate::error::Error::not_found)
}

/// A notification with its actor and status.
#[derive(Debug, Clone)]
pub struct NotificationView {
    pub notification: Notification,
    pub account: Account,
    pub status: Option<StatusView>,
    /// The warning of a `moderation_warning`, with the account it is about.
    pub warning: Option<(crate::service::warnings::AccountWarning, Account)>,
    /// The report of an `admin.report`, with the account it is about.
    pub report: Option<(crate::db::models::Report, Account)>,
}

pub fn hydrate_notifications(
    conn: &mut DbConnection,
    cache: &StatusPartsCache,
    me: i64,
    rows: Vec<Notification>,
) -> Result<Vec<NotificationView>> {
    let account_ids: Vec<i64> = rows.iter().map(|n| n.from_account_id).collect();
    let accounts_by_id: HashMap<i64, Account> = accounts::table
        .filter(accounts::id.eq_any(&account_ids))
        .select(Account::as_select())
        .load(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let status_ids: Vec<i64> = rows.iter().filter_map(|n| n.status_id).collect();
    let visible: Vec<Status> = if status_ids.is_empty() {
        Vec::new()
    } else {
        statuses::table
            .filter(statuses::id.eq_any(&status_ids))
            .filter(visible_to(Some(me)))
            .select(Status::as_select())
            .load(conn)?
    };
    let views: HashMap<i64, StatusView> = hydrate_cached(conn, cache, Some(me), visible)?
        .into_iter()
        .map(|v| (v.status.id, v))
        .collect();
    let warning_ids: Vec<i64> = rows.iter().filter_map(|n| n.account_warning_id).collect();
    let mut warnings: HashMap<i64, crate::service::warnings::AccountWarning> =
        crate::service::warnings::find_many(conn, &warning_ids)?
            .into_iter()
            .map(|w| (w.id, w))
            .collect();
    let report_ids: Vec<i64> = rows.iter().filter_map(|n| n.report_id).collect();
    let mut reports: HashMap<i64, crate::db::models::Report> = if report_ids.is_empty() {
        HashMap::new()
    } else {
        crate::db::schema::reports::table
            .filter(crate::db::schema::reports::id.eq_any(&report_ids))
            .select(crate::db::models::Report::as_select())
            .load(conn)?
            .into_iter()
            .map(|r| (r.id, r))
            .collect()
    };
    // The accounts warnings and reports are about, in one query.
    let about: Vec<i64> = warnings
        .values()
        .map(|w| w.account_id)
        .chain(reports.values().map(|r| r.target_account_id))
        .collect();
    let warned: HashMap<i64, Account> = if about.is_empty() {
        HashMap::new()
    } else {
        accounts::table
            .filter(accounts::id.eq_any(&about))
            .select(Account::as_select())
            .load(conn)?
            .into_iter()
            .map(|a| (a.id, a))
            .collect()
    };
    Ok(rows
        .into_iter()
        .filter_map(|n| {
            let account = accounts_by_id.get(&n.from_account_id)?.clone();
            let status = match n.status_id {
                // A notification about a status the employee can no longer see is skipped.
                Some(id) => Some(views.get(&id)?.clone()),
                None => None,
            };
            let warning = match n.account_warning_id {
                Some(id) => {
                    let warning = warnings.remove(&id)?;
                    let target = warned.get(&warning.account_id)?.clone();
                    Some((warning, target))
                }
                None => None,
            };
            let report = match n.report_id {
                Some(id) => {
                    let report = reports.remove(&id)?;
                    let target = warned.get(&report.target_account_id)?.clone();
                    Some((report, target))
                }
                None => None,
            };
            Some(NotificationView {
                notification: n,
                account,
                status,
                warning,
                report,
            })
        })
        .collect())
}
