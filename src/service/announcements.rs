//! Announcements from the department's administrators (Mastodon's announcements): shown in
//! every employee's app while current; employees dismiss them and react to them. How many
//! read one is told to administrators only as a count backed by at least
//! `metrics.min_group_size` people — never who.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{announcement_reactions, announcement_reads, announcements};
use crate::db::{DbConnection, ids};
use crate::error::{Error, ErrorKind, Result};
use crate::service::audit::{self, Actor, Target};
use crate::service::events::{self, Event};
use crate::service::text;

/// Longest announcement, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;
/// Most different reactions on one announcement.
pub const MAX_REACTIONS: usize = 8;
/// Longest reaction (an emoji), in characters.
pub const MAX_REACTION_CHARS: usize = 16;

/// An announcement as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: i64,
    pub text: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub all_day: bool,
    pub published_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_by: String,
}

impl Announcement {
    /// The text as clean HTML.
    pub fn html(&self) -> String {
        text::render_markdown(&self.text)
    }
}

/// One reaction: the emoji, how many reacted so, whether the viewer did.
#[derive(Debug, Clone)]
pub struct Reaction {
    pub name: String,
    pub count: i64,
    pub me: bool,
}

/// An announcement as an employee sees it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub announcement: Announcement,
    pub read: bool,
    pub reactions: Vec<Reaction>,
}

/// What an administrator writes.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub text: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub all_day: bool,
}

impl Draft {
    fn check(&self) -> Result<()> {
        if self.text.trim().is_empty() {
            return Err(Error::unprocessable(
                "Validation failed: Text can't be blank",
            ));
        }
        if self.text.chars().count() > MAX_TEXT_CHARS {
            return Err(Error::unprocessable(format!(
                "Validation failed: Text is too long (maximum is {MAX_TEXT_CHARS} characters)"
            )));
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at)
            && end <= start
        {
            return Err(Error::unprocessable(
                "Validation failed: Ends at must be after starts at",
            ));
        }
        Ok(())
    }
}

fn not_found() -> Error {
    Error::new(ErrorKind::NotFound, "Record not found")
}

fn find(conn: &mut DbConnection, id: i64) -> Result<Announcement> {
    announcements::table
        .find(id)
        .select(Announcement::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)
}

fn target(a: &Announcement) -> Target {
    let first_line: String = a
        .text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(80)
        .collect();
    Target::new("announcement", a.id, first_line)
}

/// Publish an announcement (audited).
pub fn publish(conn: &mut DbConnection, by: &Actor, draft: Draft) -> Result<Announcement> {
    draft.check()?;
    let (_, label) = audit::label(conn, by)?;
    let now = Utc::now().naive_utc();
    let id = ids::next_id();
    diesel::insert_into(announcements::table)
        .values((
            announcements::id.eq(id),
            announcements::text.eq(draft.text.trim()),
            announcements::starts_at.eq(draft.starts_at),
            announcements::ends_at.eq(draft.ends_at),
            announcements::all_day.eq(draft.all_day),
            announcements::published_at.eq(now),
            announcements::updated_at.eq(now),
            announcements::published_by.eq(label),
        ))
        .execute(conn)?;
    let made = find(conn, id)?;
    events::emit(
        conn,
        Event::AnnouncementChanged {
            announcement_id: id,
        },
    )?;
    audit::record(
        conn,
        by,
        "announcement.publish",
        target(&made),
        "",
        serde_json::json!({}),
    )?;
    Ok(made)
}

/// Change an announcement's text or times (audited; employees who read it see it unread
/// again only if they had not).
pub fn update(conn: &mut DbConnection, by: &Actor, id: i64, draft: Draft) -> Result<Announcement> {
    find(conn, id)?;
    draft.check()?;
    diesel::update(announcements::table.find(id))
        .set((
            announcements::text.eq(draft.text.trim()),
            announcements::starts_at.eq(draft.starts_at),
            announcements::ends_at.eq(draft.ends_at),
            announcements::all_day.eq(draft.all_day),
            announcements::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    let changed = find(conn, id)?;
    events::emit(
        conn,
        Event::AnnouncementChanged {
            announcement_id: id,
        },
    )?;
    audit::record(
        conn,
        by,
        "announcement.update",
        target(&changed),
        "",
        serde_json::json!({}),
    )?;
    Ok(changed)
}

/// Withdraw an announcement (audited).
pub fn delete(conn: &mut DbConnection, by: &Actor, id: i64) -> Result<()> {
    let gone = find(conn, id)?;
    diesel::delete(announcements::table.find(id)).execute(conn)?;
    events::emit(
        conn,
        Event::AnnouncementDeleted {
            announcement_id: id,
        },
    )?;
    audit::record(
        conn,
        by,
        "announcement.delete",
        target(&gone),
        "",
        serde_json::json!({}),
    )?;
    Ok(())
}

/// Every announcement, newest first (for administrators).
pub fn all(conn: &mut DbConnection) -> Result<Vec<Announcement>> {
    Ok(announcements::table
        .select(Announcement::as_select())
        .order(announcements::id.desc())
        .load(conn)?)
}

/// The announcements current now, newest first, as `me` sees them (with the dismissed ones
/// when `with_dismissed`).
pub fn current(conn: &mut DbConnection, me: i64, with_dismissed: bool) -> Result<Vec<Shown>> {
    let now = Utc::now().naive_utc();
    let list: Vec<Announcement> = announcements::table
        .filter(
            announcements::starts_at
                .is_null()
                .or(announcements::starts_at.le(now)),
        )
        .filter(
            announcements::ends_at
                .is_null()
                .or(announcements::ends_at.gt(now)),
        )
        .select(Announcement::as_select())
        .order(announcements::id.desc())
        .load(conn)?;
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let read: Vec<i64> = announcement_reads::table
        .filter(announcement_reads::account_id.eq(me))
        .filter(announcement_reads::announcement_id.eq_any(&ids))
        .select(announcement_reads::announcement_id)
        .load(conn)?;
    let reactions: Vec<(i64, String, i64)> = announcement_reactions::table
        .filter(announcement_reactions::announcement_id.eq_any(&ids))
        .group_by((
            announcement_reactions::announcement_id,
            announcement_reactions::name,
        ))
        .select((
            announcement_reactions::announcement_id,
            announcement_reactions::name,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mine: Vec<(i64, String)> = announcement_reactions::table
        .filter(announcement_reactions::account_id.eq(me))
        .filter(announcement_reactions::announcement_id.eq_any(&ids))
        .select((
            announcement_reactions::announcement_id,
            announcement_reactions::name,
        ))
        .load(conn)?;
    let mut by_announcement: HashMap<i64, Vec<Reaction>> = HashMap::new();
    for (id, name, count) in reactions {
        let me = mine.iter().any(|(a, n)| *a == id && *n == name);
        by_announcement
            .entry(id)
            .or_default()
            .push(Reaction { name, count, me });
    }
    Ok(list
        .into_iter()
        .map(|a| Shown {
            read: read.contains(&a.id),
            reactions: by_announcement.remove(&a.id).unwrap_or_default(),
            announcement: a,
        })
        .filter(|s| with_dismissed || !s.read)
        .collect())
}

/// An employee dismisses (has read) an announcement.
pub fn dismiss(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    find(conn, id)?;
    let already: bool = diesel::select(diesel::dsl::exists(
        announcement_reads::table
            .filter(announcement_reads::announcement_id.eq(id))
            .filter(announcement_reads::account_id.eq(me)),
    ))
    .get_result(conn)?;
    if !already {
        diesel::insert_into(announcement_reads::table)
            .values((
                announcement_reads::announcement_id.eq(id),
                announcement_reads::account_id.eq(me),
                announcement_reads::read_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// An employee adds (or removes) a reaction, an emoji.
pub fn react(conn: &mut DbConnection, me: i64, id: i64, name: &str, on: bool) -> Result<()> {
    find(conn, id)?;
    let name = name.trim();
    let existing = announcement_reactions::table
        .filter(announcement_reactions::announcement_id.eq(id))
        .filter(announcement_reactions::account_id.eq(me))
        .filter(announcement_reactions::name.eq(name));
    if !on {
        if diesel::delete(existing).execute(conn)? > 0 {
            reacted(conn, id, name)?;
        }
        return Ok(());
    }
    if name.is_empty()
        || name.chars().count() > MAX_REACTION_CHARS
        || name
            .chars()
            .any(|c| c.is_whitespace() || c.is_ascii_alphanumeric())
    {
        return Err(Error::unprocessable(
            "Validation failed: Name is not a recognized emoji",
        ));
    }
    let exists: bool = diesel::select(diesel::dsl::exists(existing)).get_result(conn)?;
    if exists {
        return Ok(());
    }
    let names: Vec<String> = announcement_reactions::table
        .filter(announcement_reactions::announcement_id.eq(id))
        .select(announcement_reactions::name)
        .distinct()
        .load(conn)?;
    if !names.iter().any(|n| n == name) && names.len() >= MAX_REACTIONS {
        return Err(Error::unprocessable(format!(
            "Validation failed: An announcement has at most {MAX_REACTIONS} different reactions"
        )));
    }
    diesel::insert_into(announcement_reactions::table)
        .values((
            announcement_reactions::announcement_id.eq(id),
            announcement_reactions::account_id.eq(me),
            announcement_reactions::name.eq(name),
            announcement_reactions::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    reacted(conn, id, name)
}

/// Tell every employee's apps that a reaction's count changed.
fn reacted(conn: &mut DbConnection, id: i64, name: &str) -> Result<()> {
    events::emit(
        conn,
        Event::AnnouncementReaction {
            announcement_id: id,
            name: name.to_string(),
        },
    )
}

/// How many reacted to announcement `id` with `name` (Mastodon's `announcement.reaction`).
pub fn reaction_count(conn: &mut DbConnection, id: i64, name: &str) -> Result<i64> {
    Ok(announcement_reactions::table
        .filter(announcement_reactions::announcement_id.eq(id))
        .filter(announcement_reactions::name.eq(name))
        .count()
        .get_result(conn)?)
}

/// Announcement `id` as `me` sees it, if it is current (for the `announcement` stream event).
pub fn current_one(conn: &mut DbConnection, me: i64, id: i64) -> Result<Option<Shown>> {
    Ok(current(conn, me, true)?
        .into_iter()
        .find(|s| s.announcement.id == id))
}

/// How many employees read each announcement: a count only when at least `min_group`
/// read it (`None`: fewer, suppressed).
pub fn read_counts(conn: &mut DbConnection, min_group: u32) -> Result<HashMap<i64, Option<i64>>> {
    let rows: Vec<(i64, i64)> = announcement_reads::table
        .group_by(announcement_reads::announcement_id)
        .select((
            announcement_reads::announcement_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, (n >= i64::from(min_group)).then_some(n)))
        .collect())
}
