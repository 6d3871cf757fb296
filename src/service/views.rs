//! Read models: statuses and notifications with everything a client shows next to them,
//! loaded in a fixed number of queries per page (no N+1).

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::{Account, MediaAttachment, Notification, Status, Tag};
use crate::db::schema::{
    accounts, bookmarks, favourites, media_attachments, mentions, mutes, oauth_applications,
    status_pins, status_tags, statuses, tags,
};
use crate::error::Result;
use crate::service::filters::{self, FilterMatch};
use crate::service::visibility::{Viewer, visible_to};

/// A status as a client shows it.
#[derive(Debug, Clone)]
pub struct StatusView {
    pub status: Status,
    pub account: Account,
    /// The boosted status, for boosts.
    pub reblog: Option<Box<StatusView>>,
    pub mentions: Vec<Account>,
    pub tags: Vec<Tag>,
    pub media: Vec<MediaAttachment>,
    pub poll: Option<crate::service::polls::PollView>,
    /// Name and website of the app it was posted with (shown for one's own posts).
    pub application: Option<(String, Option<String>)>,
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub muted: bool,
    /// The viewer's filters that match it (for statuses by others).
    pub filtered: Vec<FilterMatch>,
}

/// Everything shown with these statuses, for `viewer`. Boosts whose original the viewer may
/// not see are dropped. Order is kept.
pub fn hydrate(
    conn: &mut DbConnection,
    viewer: Viewer,
    rows: Vec<Status>,
) -> Result<Vec<StatusView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
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

    let mut mentions_by_status: HashMap<i64, Vec<Account>> = HashMap::new();
    for (status_id, account) in mentions::table
        .inner_join(accounts::table)
        .filter(mentions::status_id.eq_any(&status_ids))
        .order(mentions::id.asc())
        .select((mentions::status_id, Account::as_select()))
        .load::<(i64, Account)>(conn)?
    {
        mentions_by_status
            .entry(status_id)
            .or_default()
            .push(account);
    }
    let mut tags_by_status: HashMap<i64, Vec<Tag>> = HashMap::new();
    for (status_id, tag) in status_tags::table
        .inner_join(tags::table)
        .filter(status_tags::status_id.eq_any(&status_ids))
        .select((status_tags::status_id, Tag::as_select()))
        .load::<(i64, Tag)>(conn)?
    {
        tags_by_status.entry(status_id).or_default().push(tag);
    }
    let mut media_by_status: HashMap<i64, Vec<MediaAttachment>> = HashMap::new();
    for m in media_attachments::table
        .filter(media_attachments::status_id.eq_any(&status_ids))
        .order(media_attachments::id.asc())
        .select(MediaAttachment::as_select())
        .load::<MediaAttachment>(conn)?
    {
        if let Some(status_id) = m.status_id {
            media_by_status.entry(status_id).or_default().push(m);
        }
    }
    let polls_by_status = crate::service::polls::load_views(conn, viewer, &status_ids)?;
    let app_ids: Vec<i64> = all.iter().filter_map(|s| s.application_id).collect();
    let apps: HashMap<i64, (String, Option<String>)> = if app_ids.is_empty() {
        HashMap::new()
    } else {
        oauth_applications::table
            .filter(oauth_applications::id.eq_any(&app_ids))
            .select((
                oauth_applications::id,
                oauth_applications::name,
                oauth_applications::website,
            ))
            .load::<(i64, String, Option<String>)>(conn)?
            .into_iter()
            .map(|(id, name, site)| (id, (name, site)))
            .collect()
    };

    let (favourited, reblogged, bookmarked, pinned, muted) = match viewer {
        None => Default::default(),
        Some(me) => {
            let set = |v: Vec<i64>| v.into_iter().collect::<HashSet<i64>>();
            (
                set(favourites::table
                    .filter(favourites::account_id.eq(me))
                    .filter(favourites::status_id.eq_any(&status_ids))
                    .select(favourites::status_id)
                    .load(conn)?),
                set(statuses::table
                    .filter(statuses::account_id.eq(me))
                    .filter(statuses::reblog_of_id.eq_any(&status_ids))
                    .filter(statuses::deleted_at.is_null())
                    .select(statuses::reblog_of_id.assume_not_null())
                    .load(conn)?),
                set(bookmarks::table
                    .filter(bookmarks::account_id.eq(me))
                    .filter(bookmarks::status_id.eq_any(&status_ids))
                    .select(bookmarks::status_id)
                    .load(conn)?),
                set(status_pins::table
                    .filter(status_pins::account_id.eq(me))
                    .filter(status_pins::status_id.eq_any(&status_ids))
                    .select(status_pins::status_id)
                    .load(conn)?),
                set(mutes::table
                    .filter(mutes::account_id.eq(me))
                    .filter(mutes::target_account_id.eq_any(&account_ids))
                    .select(mutes::target_account_id)
                    .load(conn)?),
            )
        }
    };

    let build = |s: &Status| -> Option<StatusView> {
        let account = accounts_by_id.get(&s.account_id)?.clone();
        let own = viewer == Some(s.account_id);
        Some(StatusView {
            account,
            reblog: None,
            mentions: mentions_by_status.get(&s.id).cloned().unwrap_or_default(),
            tags: tags_by_status.get(&s.id).cloned().unwrap_or_default(),
            media: media_by_status.get(&s.id).cloned().unwrap_or_default(),
            poll: polls_by_status.get(&s.id).cloned(),
            application: if own {
                s.application_id.and_then(|id| apps.get(&id).cloned())
            } else {
                None
            },
            favourited: favourited.contains(&s.id),
            reblogged: reblogged.contains(&s.id),
            bookmarked: bookmarked.contains(&s.id),
            pinned: pinned.contains(&s.id),
            muted: muted.contains(&s.account_id),
            filtered: Vec::new(),
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
}

pub fn hydrate_notifications(
    conn: &mut DbConnection,
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
    let views: HashMap<i64, StatusView> = hydrate(conn, Some(me), visible)?
        .into_iter()
        .map(|v| (v.status.id, v))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|n| {
            let account = accounts_by_id.get(&n.from_account_id)?.clone();
            let status = match n.status_id {
                // A notification about a status the employee can no longer see is skipped.
                Some(id) => Some(views.get(&id)?.clone()),
                None => None,
            };
            Some(NotificationView {
                notification: n,
                account,
                status,
            })
        })
        .collect())
}
