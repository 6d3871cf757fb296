//! Notifications: what happened to an employee, and reading them.

use chrono::Utc;
use diesel::prelude::*;

use std::collections::HashMap;

use crate::db::models::{Account, Notification};
use crate::db::schema::{account_domain_blocks, accounts, blocks, mutes, notifications};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::events::{self, Event};
use crate::service::notification_requests::{self as requests, Verdict};
use crate::service::pagination::Page;

/// Every notification type Groundswell creates (Mastodon's names).
pub const KINDS: &[&str] = &[
    "mention",
    "status",
    "reblog",
    "follow",
    "follow_request",
    "favourite",
    "update",
    "poll",
];

/// Whether `recipient` muted the thread `status_id` is part of.
fn thread_muted(conn: &mut DbConnection, recipient: i64, status_id: Option<i64>) -> Result<bool> {
    use crate::db::schema::{statuses, thread_mutes};
    let Some(status_id) = status_id else {
        return Ok(false);
    };
    let root: Option<Option<i64>> = statuses::table
        .find(status_id)
        .select(statuses::thread_root_id)
        .first(conn)
        .optional()?;
    let root = root.flatten().unwrap_or(status_id);
    Ok(diesel::select(diesel::dsl::exists(
        thread_mutes::table
            .filter(thread_mutes::account_id.eq(recipient))
            .filter(thread_mutes::thread_root_id.eq(root)),
    ))
    .get_result(conn)?)
}

/// Notify `recipient` (if local, not the actor, and not blocking or muting the actor or
/// blocking its department).
pub fn notify(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &'static str,
    status_id: Option<i64>,
) -> Result<Option<Notification>> {
    if recipient == from {
        return Ok(None);
    }
    let recipient_is_local: bool = accounts::table
        .find(recipient)
        .select(accounts::domain.is_null())
        .first(conn)
        .optional()?
        .unwrap_or(false);
    if !recipient_is_local {
        return Ok(None);
    }
    let silenced: bool = diesel::select(
        diesel::dsl::exists(
            blocks::table
                .filter(blocks::account_id.eq(recipient))
                .filter(blocks::target_account_id.eq(from)),
        )
        .or(diesel::dsl::exists(
            mutes::table
                .filter(mutes::account_id.eq(recipient))
                .filter(mutes::target_account_id.eq(from))
                .filter(mutes::hide_notifications.eq(true)),
        ))
        .or(diesel::dsl::exists(
            account_domain_blocks::table
                .filter(account_domain_blocks::account_id.eq(recipient))
                .filter(
                    account_domain_blocks::domain
                        .nullable()
                        .eq_any(accounts::table.find(from).select(accounts::domain)),
                ),
        )),
    )
    .get_result(conn)?;
    if silenced || thread_muted(conn, recipient, status_id)? {
        return Ok(None);
    }
    let verdict = requests::verdict(conn, recipient, from, kind, status_id)?;
    if verdict == Verdict::Drop {
        return Ok(None);
    }
    let now = Utc::now().naive_utc();
    let filtered = verdict == Verdict::Filter;
    let group_key = if filtered {
        None
    } else {
        group_key(conn, recipient, kind, status_id, now)?
    };
    let row = Notification {
        id: ids::next_id(),
        account_id: recipient,
        from_account_id: from,
        kind: kind.to_string(),
        status_id,
        created_at: now,
        account_warning_id: None,
        report_id: None,
        group_key,
        filtered,
    };
    if filtered {
        // Kept for the recipient's notification requests; not streamed or pushed.
        diesel::insert_into(notifications::table)
            .values(&row)
            .execute(conn)?;
        requests::record(conn, recipient, from, status_id, now)?;
    } else {
        insert(conn, &row)?;
    }
    Ok(Some(row))
}

/// The notification types grouped by `GET /api/v2/notifications` (Mastodon's).
pub const GROUPED_KINDS: &[&str] = &["favourite", "reblog", "follow"];
/// A group takes in notifications for at most this long after its first one.
pub const GROUP_SPAN_HOURS: i64 = 12;

/// The group key of a new notification: `favourite-STATUS-HOUR`, `reblog-STATUS-HOUR`,
/// `follow-HOUR`, where HOUR is that of the group's first notification (a new group starts
/// [`GROUP_SPAN_HOURS`] after it); none for the other types.
fn group_key(
    conn: &mut DbConnection,
    recipient: i64,
    kind: &str,
    status_id: Option<i64>,
    now: chrono::NaiveDateTime,
) -> Result<Option<String>> {
    let prefix = match (kind, status_id) {
        ("follow", _) => "follow".to_string(),
        ("favourite" | "reblog", Some(status)) => format!("{kind}-{status}"),
        _ => return Ok(None),
    };
    let mut hour = now.and_utc().timestamp() / 3600;
    // The newest group of this prefix: keys between "PREFIX-" and "PREFIX." ('.' follows '-').
    let previous: Option<Option<String>> = notifications::table
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::group_key.ge(format!("{prefix}-")))
        .filter(notifications::group_key.lt(format!("{prefix}.")))
        .order(notifications::id.desc())
        .select(notifications::group_key)
        .first(conn)
        .optional()?;
    let previous_hour = previous
        .flatten()
        .and_then(|key| key.rsplit('-').next().and_then(|h| h.parse::<i64>().ok()));
    if let Some(previous_hour) = previous_hour
        && hour < previous_hour + GROUP_SPAN_HOURS
    {
        hour = previous_hour;
    }
    Ok(Some(format!("{prefix}-{hour}")))
}

/// [`notify`], unless the recipient was already told of this (a held post's mentions, told
/// when a moderator approves it, are told once).
pub fn notify_once(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &'static str,
    status_id: Option<i64>,
) -> Result<Option<Notification>> {
    let about = notifications::table
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::kind.eq(kind));
    let told: bool = match status_id {
        Some(id) => diesel::select(diesel::dsl::exists(
            about.filter(notifications::status_id.eq(id)),
        ))
        .get_result(conn)?,
        None => diesel::select(diesel::dsl::exists(
            about.filter(notifications::status_id.is_null()),
        ))
        .get_result(conn)?,
    };
    if told {
        return Ok(None);
    }
    notify(conn, recipient, from, kind, status_id)
}

/// What a notification points at besides its sender.
#[derive(Debug, Clone, Copy, Default)]
pub struct About {
    pub status_id: Option<i64>,
    /// The warning of a `moderation_warning`.
    pub account_warning_id: Option<i64>,
    /// The report of an `admin.report`.
    pub report_id: Option<i64>,
}

/// Tell an employee something from the department itself (a moderator's decision, a policy
/// rule's, a report): not skipped when `from` is the recipient, nor for blocks and mutes.
pub fn tell(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &'static str,
    about: About,
) -> Result<Notification> {
    let row = Notification {
        id: ids::next_id(),
        account_id: recipient,
        from_account_id: from,
        kind: kind.to_string(),
        status_id: about.status_id,
        created_at: Utc::now().naive_utc(),
        account_warning_id: about.account_warning_id,
        report_id: about.report_id,
        group_key: None,
        filtered: false,
    };
    insert(conn, &row)?;
    Ok(row)
}

/// Store a notification, queue its pushes, and tell its recipient's streams when the
/// transaction commits.
fn insert(conn: &mut DbConnection, row: &Notification) -> Result<()> {
    diesel::insert_into(notifications::table)
        .values(row)
        .execute(conn)?;
    crate::service::push::enqueue(conn, row)?;
    events::emit(
        conn,
        Event::Notification {
            account_id: row.account_id,
            notification_id: row.id,
        },
    )
}

/// Notify an employee about their own thing (the end of their own poll), which `notify`
/// would skip as self-inflicted.
pub fn notify_self(
    conn: &mut DbConnection,
    account_id: i64,
    kind: &'static str,
    status_id: Option<i64>,
) -> Result<()> {
    tell(
        conn,
        account_id,
        account_id,
        kind,
        About {
            status_id,
            ..Default::default()
        },
    )
    .map(drop)
}

/// Remove notifications about an action that was undone (unfavourite, unfollow, delete).
pub fn retract(
    conn: &mut DbConnection,
    recipient: i64,
    from: i64,
    kind: &str,
    status_id: Option<i64>,
) -> Result<()> {
    let mut q = diesel::delete(notifications::table)
        .filter(notifications::account_id.eq(recipient))
        .filter(notifications::from_account_id.eq(from))
        .filter(notifications::kind.eq(kind))
        .into_boxed();
    if let Some(id) = status_id {
        q = q.filter(notifications::status_id.eq(id));
    }
    if q.execute(conn)? > 0 {
        requests::recount(conn, recipient, from)?;
    }
    Ok(())
}

/// Filters of `GET /api/v1/notifications`.
#[derive(Debug, Default, Clone)]
pub struct NotificationFilter {
    pub types: Vec<String>,
    pub exclude_types: Vec<String>,
    pub account_id: Option<i64>,
    /// Also those the notification policy filtered (always with `account_id`, as Mastodon).
    pub include_filtered: bool,
}

pub fn list(
    conn: &mut DbConnection,
    me: i64,
    filter: &NotificationFilter,
    page: &Page,
) -> Result<Vec<Notification>> {
    let mut q = notifications::table
        .filter(notifications::account_id.eq(me))
        .select(Notification::as_select())
        .into_boxed();
    if !filter.types.is_empty() {
        q = q.filter(notifications::kind.eq_any(filter.types.clone()));
    }
    if !filter.exclude_types.is_empty() {
        q = q.filter(notifications::kind.ne_all(filter.exclude_types.clone()));
    }
    if let Some(from) = filter.account_id {
        q = q.filter(notifications::from_account_id.eq(from));
    } else if !filter.include_filtered {
        q = q.filter(notifications::filtered.eq(false));
    }
    // Hide notifications from accounts muted (with notifications) or blocked since.
    q = q.filter(diesel::dsl::not(
        notifications::from_account_id.eq_any(
            mutes::table
                .filter(mutes::account_id.eq(me))
                .filter(mutes::hide_notifications.eq(true))
                .select(mutes::target_account_id),
        ),
    ));
    q = q.filter(diesel::dsl::not(
        notifications::from_account_id.eq_any(
            blocks::table
                .filter(blocks::account_id.eq(me))
                .select(blocks::target_account_id),
        ),
    ));
    // And from the departments blocked.
    q = q.filter(diesel::dsl::not(
        notifications::from_account_id.eq_any(
            accounts::table
                .filter(
                    accounts::domain.eq_any(
                        account_domain_blocks::table
                            .filter(account_domain_blocks::account_id.eq(me))
                            .select(account_domain_blocks::domain.nullable()),
                    ),
                )
                .select(accounts::id),
        ),
    ));
    if let Some(max) = page.max_id {
        q = q.filter(notifications::id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(notifications::id.gt(since));
    }
    if let Some(min) = page.min_id {
        let mut rows = q
            .filter(notifications::id.gt(min))
            .order(notifications::id.asc())
            .limit(page.limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(notifications::id.desc())
        .limit(page.limit)
        .load(conn)?)
}

/// Most unread notifications counted.
pub const MAX_UNREAD_COUNT: i64 = 1000;

/// How many of `me`'s notifications (as [`list`] shows them, `filter` applied) are newer
/// than the notifications marker (all of them without one), counting at most `limit`.
pub fn unread_count(
    conn: &mut DbConnection,
    me: i64,
    filter: &NotificationFilter,
    limit: i64,
) -> Result<i64> {
    use crate::db::schema::markers;
    let last_read: Option<i64> = markers::table
        .filter(markers::account_id.eq(me))
        .filter(markers::timeline.eq("notifications"))
        .select(markers::last_read_id)
        .first(conn)
        .optional()?;
    let page = Page {
        max_id: None,
        since_id: last_read,
        min_id: None,
        limit: limit.clamp(1, MAX_UNREAD_COUNT),
    };
    Ok(list(conn, me, filter, &page)?.len() as i64)
}

pub fn get(conn: &mut DbConnection, me: i64, id: i64) -> Result<Notification> {
    notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::account_id.eq(me))
        .select(Notification::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

pub fn dismiss(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    let n = diesel::delete(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::account_id.eq(me)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(Error::not_found());
    }
    Ok(())
}

pub fn clear(conn: &mut DbConnection, me: i64) -> Result<()> {
    diesel::delete(notifications::table.filter(notifications::account_id.eq(me))).execute(conn)?;
    Ok(())
}

/// Accounts shown with each group (Mastodon's).
pub const SAMPLE_ACCOUNTS: usize = 8;
/// Notifications read per query while gathering groups, and at most in all for one page.
const GROUP_SCAN_BATCH: i64 = 200;
const GROUP_SCAN_MAX: usize = 5_000;

/// One group of `GET /api/v2/notifications`.
#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    /// The group's newest notification in the page: what the group shows (its type, post).
    pub notification: Notification,
    /// Notifications in the group (up to the page's newest).
    pub count: i64,
    pub most_recent_id: i64,
    /// The newest senders first, at most [`SAMPLE_ACCOUNTS`].
    pub sample_account_ids: Vec<i64>,
    /// Where the group stands in the page (lists only).
    pub page: Option<GroupPage>,
}

#[derive(Debug, Clone, Copy)]
pub struct GroupPage {
    pub min_id: i64,
    pub max_id: i64,
    pub latest_at: chrono::NaiveDateTime,
}

/// The types grouped: those asked for that can be (all that can be when none is asked for).
pub fn grouped_kinds(asked: &[String]) -> Vec<&'static str> {
    GROUPED_KINDS
        .iter()
        .copied()
        .filter(|k| asked.is_empty() || asked.iter().any(|a| a == k))
        .collect()
}

fn effective_key(n: &Notification, grouped: &[&str]) -> String {
    match &n.group_key {
        Some(key) if grouped.contains(&n.kind.as_str()) => key.clone(),
        _ => format!("ungrouped-{}", n.id),
    }
}

/// The newest notification of each of up to `page.limit` groups, newest first: Mastodon's
/// grouped pagination (a page holds one notification per group; the next page may show an
/// older part of a group again).
fn page_of_groups(
    conn: &mut DbConnection,
    me: i64,
    filter: &NotificationFilter,
    grouped: &[&str],
    page: &Page,
) -> Result<Vec<Notification>> {
    let ascending = page.min_id.is_some();
    let mut cursor = Page {
        limit: GROUP_SCAN_BATCH,
        ..page.clone()
    };
    let mut seen = std::collections::HashSet::new();
    let mut firsts = Vec::new();
    let mut scanned = 0;
    'scan: loop {
        let mut batch = list(conn, me, filter, &cursor)?;
        let full = batch.len() as i64 == GROUP_SCAN_BATCH;
        scanned += batch.len();
        if ascending {
            batch.reverse();
        }
        let Some(last) = batch.last().map(|n| n.id) else {
            break;
        };
        for n in batch {
            if seen.insert(effective_key(&n, grouped)) {
                firsts.push(n);
                if firsts.len() as i64 == page.limit {
                    break 'scan;
                }
            }
        }
        if !full || scanned >= GROUP_SCAN_MAX {
            break;
        }
        if ascending {
            cursor.min_id = Some(last);
        } else {
            cursor.max_id = Some(last);
        }
    }
    if ascending {
        firsts.reverse();
    }
    Ok(firsts)
}

/// A page of notification groups, newest first.
pub fn list_groups(
    conn: &mut DbConnection,
    me: i64,
    filter: &NotificationFilter,
    grouped_types: &[String],
    page: &Page,
) -> Result<Vec<Group>> {
    let grouped = grouped_kinds(grouped_types);
    let firsts = page_of_groups(conn, me, filter, &grouped, page)?;
    let (Some(newest), Some(oldest)) = (firsts.first(), firsts.last()) else {
        return Ok(Vec::new());
    };
    // The ids the page covers (Mastodon's): its notifications' range, or to the end the
    // request gave when the page is the last one.
    let (mut start, mut end) = (oldest.id, newest.id);
    if (firsts.len() as i64) < page.limit {
        if page.min_id.is_some() {
            end = page.max_id.map(|m| m - 1).unwrap_or(i64::MAX);
        } else {
            start = page.since_id.map(|s| s + 1).unwrap_or(0);
        }
    }
    build_groups(conn, me, &grouped, firsts, Some((start, end)))
}

/// How many groups are unread (newer than the notifications marker), counting at most `limit`.
pub fn unread_group_count(
    conn: &mut DbConnection,
    me: i64,
    filter: &NotificationFilter,
    grouped_types: &[String],
    limit: i64,
) -> Result<i64> {
    use crate::db::schema::markers;
    let last_read: Option<i64> = markers::table
        .filter(markers::account_id.eq(me))
        .filter(markers::timeline.eq("notifications"))
        .select(markers::last_read_id)
        .first(conn)
        .optional()?;
    let page = Page {
        max_id: None,
        since_id: None,
        min_id: Some(last_read.unwrap_or(0)),
        limit: limit.clamp(1, MAX_UNREAD_COUNT),
    };
    let grouped = grouped_kinds(grouped_types);
    Ok(page_of_groups(conn, me, filter, &grouped, &page)?.len() as i64)
}

/// What a group key names: one notification that is in no group (`ungrouped-ID`), or a
/// group. `None`: neither.
enum Key<'a> {
    One(i64),
    Group(&'a str),
}

fn parse_key(key: &str) -> Option<Key<'_>> {
    match key.strip_prefix("ungrouped-") {
        Some(id) => id.parse().ok().map(Key::One),
        None => Some(Key::Group(key)),
    }
}

/// The notifications of one group of `me`'s, newest first (`ungrouped-ID` is that one).
fn group_members(
    conn: &mut DbConnection,
    me: i64,
    key: &str,
    limit: i64,
) -> Result<Vec<Notification>> {
    let q = notifications::table
        .filter(notifications::account_id.eq(me))
        .select(Notification::as_select())
        .order(notifications::id.desc())
        .limit(limit);
    Ok(match parse_key(key) {
        Some(Key::One(id)) => q.filter(notifications::id.eq(id)).load(conn)?,
        Some(Key::Group(key)) => q.filter(notifications::group_key.eq(key)).load(conn)?,
        None => Vec::new(),
    })
}

/// One group by its key, as `GET /api/v2/notifications/:group_key` shows it.
pub fn group(conn: &mut DbConnection, me: i64, key: &str) -> Result<Group> {
    let newest = group_members(conn, me, key, 1)?
        .pop()
        .ok_or_else(Error::not_found)?;
    build_groups(conn, me, GROUPED_KINDS, vec![newest], None)?
        .pop()
        .ok_or_else(Error::not_found)
}

/// The senders of a group's notifications, newest first, each once (at most `limit`).
pub fn group_senders(conn: &mut DbConnection, me: i64, key: &str, limit: i64) -> Result<Vec<i64>> {
    let mut senders = Vec::new();
    for n in group_members(conn, me, key, GROUP_SCAN_MAX as i64)? {
        if !senders.contains(&n.from_account_id) {
            senders.push(n.from_account_id);
            if senders.len() as i64 == limit {
                break;
            }
        }
    }
    if senders.is_empty() {
        return Err(Error::not_found());
    }
    Ok(senders)
}

/// Dismiss every notification of one group.
pub fn dismiss_group(conn: &mut DbConnection, me: i64, key: &str) -> Result<()> {
    let mine = notifications::table.filter(notifications::account_id.eq(me));
    let removed = match parse_key(key) {
        Some(Key::One(id)) => {
            diesel::delete(mine.filter(notifications::id.eq(id))).execute(conn)?
        }
        Some(Key::Group(key)) => {
            diesel::delete(mine.filter(notifications::group_key.eq(key))).execute(conn)?
        }
        None => 0,
    };
    if removed == 0 {
        return Err(Error::not_found());
    }
    Ok(())
}

/// A group's key, size, newest id and newest time.
type GroupStats = (
    Option<String>,
    i64,
    Option<i64>,
    Option<chrono::NaiveDateTime>,
);

/// A group key as this server makes them: safe to place in SQL text.
fn is_group_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Counts, samples and page data for each group represented by `firsts`, in their order.
/// `range`: the ids the page covers (none for a single group).
fn build_groups(
    conn: &mut DbConnection,
    me: i64,
    grouped: &[&str],
    firsts: Vec<Notification>,
    range: Option<(i64, i64)>,
) -> Result<Vec<Group>> {
    use diesel::dsl::{count_star, max, min};
    use diesel::sql_types::{BigInt, Text};
    let end = range.map(|r| r.1).unwrap_or(i64::MAX);
    let keys: Vec<String> = firsts
        .iter()
        .filter(|n| grouped.contains(&n.kind.as_str()))
        .filter_map(|n| n.group_key.clone())
        .filter(|k| is_group_key(k))
        .collect();
    let mut stats = std::collections::HashMap::new();
    let mut mins = std::collections::HashMap::new();
    let mut samples: std::collections::HashMap<String, Vec<(i64, i64)>> =
        std::collections::HashMap::new();
    if !keys.is_empty() {
        let rows: Vec<GroupStats> = notifications::table
            .filter(notifications::account_id.eq(me))
            .filter(notifications::group_key.eq_any(&keys))
            .filter(notifications::id.le(end))
            .group_by(notifications::group_key)
            .select((
                notifications::group_key,
                count_star(),
                max(notifications::id),
                max(notifications::created_at),
            ))
            .load(conn)?;
        for (key, count, newest, at) in rows {
            if let (Some(key), Some(newest), Some(at)) = (key, newest, at) {
                stats.insert(key, (count, newest, at));
            }
        }
        if let Some((start, _)) = range {
            let rows: Vec<(Option<String>, Option<i64>)> = notifications::table
                .filter(notifications::account_id.eq(me))
                .filter(notifications::group_key.eq_any(&keys))
                .filter(notifications::id.ge(start))
                .group_by(notifications::group_key)
                .select((notifications::group_key, min(notifications::id)))
                .load(conn)?;
            for (key, oldest) in rows {
                if let (Some(key), Some(oldest)) = (key, oldest) {
                    mins.insert(key, oldest);
                }
            }
        }
        #[derive(QueryableByName)]
        struct Sample {
            #[diesel(sql_type = Text)]
            group_key: String,
            #[diesel(sql_type = BigInt)]
            id: i64,
            #[diesel(sql_type = BigInt)]
            from_account_id: i64,
        }
        // The newest senders of every group in one statement (keys checked by is_group_key).
        let union = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                format!(
                    "SELECT * FROM (SELECT group_key, id, from_account_id FROM notifications \
                     WHERE account_id = {me} AND group_key = '{key}' AND id <= {end} \
                     ORDER BY id DESC LIMIT {SAMPLE_ACCOUNTS}) AS g{i}"
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows: Vec<Sample> = diesel::sql_query(union).load(conn)?;
        for row in rows {
            samples
                .entry(row.group_key)
                .or_default()
                .push((row.id, row.from_account_id));
        }
    }
    Ok(firsts
        .into_iter()
        .map(|n| {
            let key = effective_key(&n, grouped);
            let single = GroupPage {
                min_id: n.id,
                max_id: n.id,
                latest_at: n.created_at,
            };
            match stats.get(&key) {
                Some(&(count, newest, latest_at)) => {
                    let mut sample = samples.remove(&key).unwrap_or_default();
                    sample.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
                    let sample_account_ids = sample.into_iter().map(|(_, from)| from).collect();
                    Group {
                        page: range.map(|_| GroupPage {
                            min_id: mins.get(&key).copied().unwrap_or(n.id),
                            max_id: newest,
                            latest_at,
                        }),
                        key,
                        count,
                        most_recent_id: newest,
                        sample_account_ids,
                        notification: n,
                    }
                }
                None => Group {
                    page: range.map(|_| single),
                    key,
                    count: 1,
                    most_recent_id: n.id,
                    sample_account_ids: vec![n.from_account_id],
                    notification: n,
                },
            }
        })
        .collect())
}

/// What a page of groups shows: the groups with their newest notification, and every
/// account they name.
pub struct GroupsPage {
    pub ids: Vec<i64>,
    pub groups: Vec<(Group, crate::service::views::NotificationView)>,
    pub accounts: HashMap<i64, Account>,
}

/// Groups and their notifications' posts, reports and warnings, with the accounts they name,
/// on one pooled connection.
pub fn load_groups(
    conn: &mut DbConnection,
    caches: &crate::service::caches::Caches,
    me: i64,
    groups: Vec<Group>,
) -> Result<GroupsPage> {
    let ids: Vec<i64> = groups.iter().map(|g| g.notification.id).collect();
    let rows = groups.iter().map(|g| g.notification.clone()).collect();
    let mut views: HashMap<i64, crate::service::views::NotificationView> =
        crate::service::filters::drop_hidden_notifications(
            crate::service::views::hydrate_notifications(conn, &caches.statuses, me, rows)?,
        )
        .into_iter()
        .map(|v| (v.notification.id, v))
        .collect();
    let sample_ids: Vec<i64> = groups
        .iter()
        .flat_map(|g| g.sample_account_ids.iter().copied())
        .collect();
    let accounts = crate::service::accounts::many(conn, &sample_ids)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let groups = groups
        .into_iter()
        .filter_map(|g| {
            let view = views.remove(&g.notification.id)?;
            Some((g, view))
        })
        .collect();
    Ok(GroupsPage {
        ids,
        groups,
        accounts,
    })
}
