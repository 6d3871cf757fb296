//! Announcements from the department's administrators (Mastodon's announcements): shown in
//! every employee's app while current; employees dismiss them and react to them. How many
//! read one is told to administrators only as a count backed by at least
//! `metrics.min_group_size` people — never who.
//!
//! A company-wide announcement is also sent to every department this one federates with
//! (by the department itself, its instance actor: `Outgoing::PublishAnnouncement` and its
//! Update and Delete); there it is shown to every employee like its own, read-only for its
//! administrators. Each receiving department reports back how many people it reached and,
//! once at least its own `metrics.min_group_size` read it, how many did
//! (`Outgoing::ReportAnnouncementReads`) — so the publisher learns whether the message
//! landed across the company without learning who read it.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{
    accounts, announcement_department_reads, announcement_reactions, announcement_reads,
    announcements, users,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, ErrorKind, Result};
use crate::service::audit::{self, Actor, Target};
use crate::service::events::{self, Event};
use crate::service::outbox::{self, Outgoing};
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
    /// Ours: sent to every department. Another department's: always.
    pub company_wide: bool,
    /// Another department's: its ActivityPub id.
    pub ap_id: Option<String>,
    /// Another department's: the department it came from.
    pub origin_domain: Option<String>,
    /// Another department's: its content, sanitized.
    pub content_html: Option<String>,
}

impl Announcement {
    /// The text as clean HTML.
    pub fn html(&self) -> String {
        match &self.content_html {
            Some(html) => html.clone(),
            None => text::render_markdown(&self.text),
        }
    }

    /// Whether it came from another department (read-only here).
    pub fn is_remote(&self) -> bool {
        self.origin_domain.is_some()
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
    /// Send it to every department this one federates with.
    pub company_wide: bool,
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

/// One of our company-wide announcements (what other departments may fetch).
pub fn find_company_wide(conn: &mut DbConnection, id: i64) -> Result<Announcement> {
    let found = find(conn, id)?;
    if found.is_remote() || !found.company_wide {
        return Err(not_found());
    }
    Ok(found)
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
            announcements::company_wide.eq(draft.company_wide),
        ))
        .execute(conn)?;
    let made = find(conn, id)?;
    if made.company_wide {
        outbox::enqueue_as_instance(
            conn,
            Outgoing::PublishAnnouncement {
                announcement_id: id,
            },
        )?;
    }
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
        serde_json::json!({"company_wide": made.company_wide}),
    )?;
    Ok(made)
}

/// Another department's announcement cannot be changed or withdrawn here.
fn ours(a: Announcement) -> Result<Announcement> {
    match &a.origin_domain {
        Some(domain) => Err(Error::unprocessable(format!(
            "This announcement comes from {domain}: only its administrators can change or \
             withdraw it"
        ))),
        None => Ok(a),
    }
}

/// Change an announcement's text or times (audited; employees who read it see it unread
/// again only if they had not). Made company-wide, it is sent to every department; no longer
/// company-wide, it is withdrawn from them.
pub fn update(conn: &mut DbConnection, by: &Actor, id: i64, draft: Draft) -> Result<Announcement> {
    let before = ours(find(conn, id)?)?;
    draft.check()?;
    diesel::update(announcements::table.find(id))
        .set((
            announcements::text.eq(draft.text.trim()),
            announcements::starts_at.eq(draft.starts_at),
            announcements::ends_at.eq(draft.ends_at),
            announcements::all_day.eq(draft.all_day),
            announcements::company_wide.eq(draft.company_wide),
            announcements::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    let changed = find(conn, id)?;
    let told = match (before.company_wide, changed.company_wide) {
        (false, false) => None,
        (false, true) => Some(Outgoing::PublishAnnouncement {
            announcement_id: id,
        }),
        (true, true) => Some(Outgoing::UpdateAnnouncement {
            announcement_id: id,
        }),
        (true, false) => {
            diesel::delete(
                announcement_department_reads::table
                    .filter(announcement_department_reads::announcement_id.eq(id)),
            )
            .execute(conn)?;
            Some(Outgoing::WithdrawAnnouncement {
                announcement_id: id,
            })
        }
    };
    if let Some(what) = told {
        outbox::enqueue_as_instance(conn, what)?;
    }
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
        serde_json::json!({"company_wide": changed.company_wide}),
    )?;
    Ok(changed)
}

/// Withdraw an announcement (audited).
pub fn delete(conn: &mut DbConnection, by: &Actor, id: i64) -> Result<()> {
    let gone = ours(find(conn, id)?)?;
    if gone.company_wide {
        outbox::enqueue_as_instance(
            conn,
            Outgoing::WithdrawAnnouncement {
                announcement_id: id,
            },
        )?;
    }
    diesel::delete(announcements::table.find(id)).execute(conn)?;
    removed(conn, id)?;
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

/// Tell every employee's apps that announcement `id` is gone.
fn removed(conn: &mut DbConnection, id: i64) -> Result<()> {
    events::emit(
        conn,
        Event::AnnouncementDeleted {
            announcement_id: id,
        },
    )
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

/// An employee dismisses (has read) an announcement. Another department's is reported back
/// to it when enough read it (see [`report_if_due`]); `min_group` is `metrics.min_group_size`.
pub fn dismiss(conn: &mut DbConnection, min_group: u32, me: i64, id: i64) -> Result<()> {
    let announcement = find(conn, id)?;
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
        if let Some(origin) = &announcement.origin_domain {
            report_if_due(conn, min_group, announcement.id, origin)?;
        }
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
fn read_counts(conn: &mut DbConnection, min_group: u32) -> Result<HashMap<i64, Option<i64>>> {
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

/// How many employees an announcement here reaches: everyone with access (not disabled, not
/// suspended).
pub fn audience(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(users::disabled_at.is_null())
        .filter(accounts::suspended_at.is_null())
        .count()
        .get_result(conn)?)
}

fn readers(conn: &mut DbConnection, id: i64) -> Result<i64> {
    Ok(announcement_reads::table
        .filter(announcement_reads::announcement_id.eq(id))
        .count()
        .get_result(conn)?)
}

/// Report another department's announcement `id` back to it once `min_group` read it, then
/// again each time about one more percent of the department did (every reader in a small
/// department): a handful of reports, not one per reader.
fn report_if_due(conn: &mut DbConnection, min_group: u32, id: i64, origin: &str) -> Result<()> {
    let min_group = i64::from(min_group.max(1));
    let n = readers(conn, id)?;
    let step = (audience(conn)? / 100).max(1);
    if n >= min_group && (n - min_group) % step == 0 {
        tracing::debug!(
            announcement_id = id,
            origin,
            "reporting an announcement's readers"
        );
        outbox::enqueue_as_instance(
            conn,
            Outgoing::ReportAnnouncementReads {
                announcement_id: id,
            },
        )?;
    }
    Ok(())
}

/// Another department's announcement as it sent it.
#[derive(Debug, Clone)]
pub struct Received {
    pub ap_id: String,
    /// The department it came from (its instance actor's domain).
    pub domain: String,
    /// Sanitized HTML.
    pub content_html: String,
    /// Its Markdown source, or the plain text.
    pub text: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub all_day: bool,
    pub published_at: NaiveDateTime,
}

/// Whether this department shows company-wide announcements from `domain`
/// (`federation.announcements_from`: `*` is every department it federates with).
pub fn accepted_from(settings: &crate::config::Settings, domain: &str) -> bool {
    settings
        .federation
        .announcements_from
        .iter()
        .any(|d| d == "*" || d.eq_ignore_ascii_case(domain))
}

/// Another department's company-wide announcement, new or changed (its Create or Update):
/// shown to every employee here. A new one is reported back at once (how many it reached).
pub fn receive(conn: &mut DbConnection, got: Received) -> Result<()> {
    if got.content_html.trim().is_empty() {
        return Err(Error::unprocessable("An announcement needs content"));
    }
    let text: String = got.text.chars().take(MAX_TEXT_CHARS).collect();
    let now = Utc::now().naive_utc();
    let existing: Option<(i64, Option<String>)> = announcements::table
        .filter(announcements::ap_id.eq(&got.ap_id))
        .select((announcements::id, announcements::origin_domain))
        .first(conn)
        .optional()?;
    let id = match existing {
        Some((_, origin)) if origin.as_deref() != Some(got.domain.as_str()) => {
            return Err(Error::forbidden(
                "An announcement can only be changed by its department",
            ));
        }
        Some((id, _)) => {
            diesel::update(announcements::table.find(id))
                .set((
                    announcements::text.eq(&text),
                    announcements::content_html.eq(Some(&got.content_html)),
                    announcements::starts_at.eq(got.starts_at),
                    announcements::ends_at.eq(got.ends_at),
                    announcements::all_day.eq(got.all_day),
                    announcements::updated_at.eq(now),
                ))
                .execute(conn)?;
            id
        }
        None => {
            let id = ids::next_id();
            diesel::insert_into(announcements::table)
                .values((
                    announcements::id.eq(id),
                    announcements::text.eq(&text),
                    announcements::content_html.eq(Some(&got.content_html)),
                    announcements::starts_at.eq(got.starts_at),
                    announcements::ends_at.eq(got.ends_at),
                    announcements::all_day.eq(got.all_day),
                    announcements::published_at.eq(got.published_at),
                    announcements::updated_at.eq(now),
                    announcements::published_by.eq(&got.domain),
                    announcements::company_wide.eq(true),
                    announcements::ap_id.eq(Some(&got.ap_id)),
                    announcements::origin_domain.eq(Some(&got.domain)),
                ))
                .execute(conn)?;
            outbox::enqueue_as_instance(
                conn,
                Outgoing::ReportAnnouncementReads {
                    announcement_id: id,
                },
            )?;
            id
        }
    };
    events::emit(
        conn,
        Event::AnnouncementChanged {
            announcement_id: id,
        },
    )
}

/// Another department withdraws its announcement `ap_id` (its Delete). `false`: no such
/// announcement from it here.
pub fn receive_withdrawal(conn: &mut DbConnection, domain: &str, ap_id: &str) -> Result<bool> {
    let found: Option<i64> = announcements::table
        .filter(announcements::ap_id.eq(ap_id))
        .filter(announcements::origin_domain.eq(domain))
        .select(announcements::id)
        .first(conn)
        .optional()?;
    let Some(id) = found else {
        return Ok(false);
    };
    diesel::delete(announcements::table.find(id)).execute(conn)?;
    removed(conn, id)?;
    Ok(true)
}

/// Department `domain` reports how many of its people our company-wide announcement `id`
/// reached and how many read it (`None`: fewer than its privacy threshold).
pub fn receive_report(
    conn: &mut DbConnection,
    domain: &str,
    id: i64,
    audience: i64,
    readers: Option<i64>,
) -> Result<()> {
    let found = find(conn, id)?;
    if found.is_remote() || !found.company_wide {
        return Err(not_found());
    }
    if audience < 0 || readers.is_some_and(|r| r < 0 || r > audience) {
        return Err(Error::bad_request(
            "A read report needs 0 ≤ readers ≤ audience",
        ));
    }
    let now = Utc::now().naive_utc();
    let row = (
        announcement_department_reads::audience.eq(audience),
        announcement_department_reads::readers.eq(readers),
        announcement_department_reads::reported_at.eq(now),
    );
    let updated = diesel::update(
        announcement_department_reads::table
            .filter(announcement_department_reads::announcement_id.eq(id))
            .filter(announcement_department_reads::domain.eq(domain)),
    )
    .set(row)
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(announcement_department_reads::table)
            .values((
                announcement_department_reads::announcement_id.eq(id),
                announcement_department_reads::domain.eq(domain),
                row,
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What this department reports of another department's announcement `id`: how many it
/// reached, and how many read it when at least `min_group` did.
pub fn own_report(conn: &mut DbConnection, min_group: u32, id: i64) -> Result<(i64, Option<i64>)> {
    let n = readers(conn, id)?;
    Ok((
        audience(conn)?,
        (n >= i64::from(min_group.max(1))).then_some(n),
    ))
}

/// One department's figures for a company-wide announcement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentReads {
    pub domain: String,
    /// People it reached.
    pub audience: i64,
    /// How many read it; `None`: fewer than the privacy threshold (here or there).
    pub readers: Option<i64>,
    /// When the department last reported (`None`: this department).
    pub reported_at: Option<NaiveDateTime>,
}

/// A company-wide announcement's reach across the company: this department first, then each
/// department that reported. `readers` adds up only the counts that are shown, so it is a
/// lower bound whenever a department's count is suppressed, and never lets a suppressed count
/// be worked out by subtraction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyReads {
    pub departments: Vec<DepartmentReads>,
    pub audience: i64,
    pub readers: i64,
    /// Whether some department's count is suppressed (`readers` is then "at least").
    pub partial: bool,
}

impl CompanyReads {
    /// Percent of the people reached who read it (at least, when `partial`).
    pub fn rate(&self) -> Option<f64> {
        (self.audience > 0).then(|| (self.readers as f64) * 100.0 / (self.audience as f64))
    }

    /// In words: "at least 57 of 120 people in 3 departments (47.5%)".
    pub fn describe(&self) -> String {
        let departments = self.departments.len();
        format!(
            "{}{} of {} people in {departments} department{}{}",
            if self.partial { "at least " } else { "" },
            self.readers,
            self.audience,
            if departments == 1 { "" } else { "s" },
            self.rate()
                .map(|r| format!(" ({r:.1}%)"))
                .unwrap_or_default(),
        )
    }
}

impl DepartmentReads {
    /// In words: "sales.corp.example: 12 of 40", "…: fewer than 5 of 40".
    pub fn describe(&self, min_group: u32) -> String {
        match self.readers {
            Some(n) => format!("{}: {n} of {}", self.domain, self.audience),
            None => format!(
                "{}: fewer than {min_group} of {}",
                self.domain, self.audience
            ),
        }
    }
}

/// The company-wide reach of each of our company-wide announcements (`own_domain`: this
/// department's domain); counts below `min_group` are suppressed, here and as reported.
pub fn company_reads(
    conn: &mut DbConnection,
    own_domain: &str,
    min_group: u32,
) -> Result<HashMap<i64, CompanyReads>> {
    let min = i64::from(min_group.max(1));
    let ids: Vec<i64> = announcements::table
        .filter(announcements::company_wide.eq(true))
        .filter(announcements::origin_domain.is_null())
        .select(announcements::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let here = audience(conn)?;
    let local: HashMap<i64, i64> = announcement_reads::table
        .filter(announcement_reads::announcement_id.eq_any(&ids))
        .group_by(announcement_reads::announcement_id)
        .select((
            announcement_reads::announcement_id,
            diesel::dsl::count_star(),
        ))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect();
    let reported: Vec<(i64, String, i64, Option<i64>, NaiveDateTime)> =
        announcement_department_reads::table
            .filter(announcement_department_reads::announcement_id.eq_any(&ids))
            .order(announcement_department_reads::domain.asc())
            .select((
                announcement_department_reads::announcement_id,
                announcement_department_reads::domain,
                announcement_department_reads::audience,
                announcement_department_reads::readers,
                announcement_department_reads::reported_at,
            ))
            .load(conn)?;
    let shown = |n: Option<i64>| n.filter(|&n| n >= min);
    let mut out = HashMap::new();
    for id in ids {
        let mut departments = vec![DepartmentReads {
            domain: own_domain.to_string(),
            audience: here,
            readers: shown(Some(local.get(&id).copied().unwrap_or(0))),
            reported_at: None,
        }];
        departments.extend(reported.iter().filter(|r| r.0 == id).map(
            |(_, domain, audience, readers, at)| DepartmentReads {
                domain: domain.clone(),
                audience: *audience,
                readers: shown(*readers),
                reported_at: Some(*at),
            },
        ));
        out.insert(
            id,
            CompanyReads {
                audience: departments.iter().map(|d| d.audience).sum(),
                readers: departments.iter().filter_map(|d| d.readers).sum(),
                partial: departments.iter().any(|d| d.readers.is_none()),
                departments,
            },
        );
    }
    Ok(out)
}

/// What administrators see of each announcement's reads: here, and across the company for
/// ours that are company-wide.
#[derive(Debug, Clone, Default)]
pub struct Reads {
    here: HashMap<i64, Option<i64>>,
    company: HashMap<i64, CompanyReads>,
    min_group: u32,
}

impl Reads {
    /// How many here read announcement `id` (`None`: fewer than `metrics.min_group_size`).
    pub fn here(&self, id: i64) -> Option<i64> {
        // No entry: nobody read it yet (0 names nobody).
        self.here.get(&id).copied().unwrap_or(Some(0))
    }

    /// Its reach across the company, if it is one of ours and company-wide.
    pub fn company(&self, id: i64) -> Option<&CompanyReads> {
        self.company.get(&id)
    }

    pub fn min_group(&self) -> u32 {
        self.min_group
    }
}

/// Every announcement's reads, as [`Reads`] tells them.
pub fn reads(conn: &mut DbConnection, settings: &crate::config::Settings) -> Result<Reads> {
    let min_group = settings.metrics.min_group_size;
    Ok(Reads {
        here: read_counts(conn, min_group)?,
        company: company_reads(conn, settings.instance.domain.as_str(), min_group)?,
        min_group,
    })
}

/// What a company-wide announcement intent speaks of (for `outbox::instance_subject`).
pub(crate) fn subject(
    conn: &mut DbConnection,
    policy: &crate::service::policy::FederationPolicy,
    min_group: u32,
    what: &Outgoing,
) -> Result<Option<outbox::Subject>> {
    match what {
        Outgoing::PublishAnnouncement { announcement_id }
        | Outgoing::UpdateAnnouncement { announcement_id } => {
            let announcement = find(conn, *announcement_id)?;
            if announcement.is_remote() || !announcement.company_wide {
                return Ok(None);
            }
            Ok(Some(outbox::Subject::Announcement {
                announcement,
                audience: every_department(conn, policy)?,
            }))
        }
        Outgoing::WithdrawAnnouncement { announcement_id } => {
            Ok(Some(outbox::Subject::WithdrawnAnnouncement {
                announcement_id: *announcement_id,
                audience: every_department(conn, policy)?,
            }))
        }
        Outgoing::ReportAnnouncementReads { announcement_id } => {
            let announcement = find(conn, *announcement_id)?;
            let (Some(ap_id), Some(domain)) = (&announcement.ap_id, &announcement.origin_domain)
            else {
                return Ok(None);
            };
            let (audience, readers) = own_report(conn, min_group, announcement.id)?;
            Ok(Some(outbox::Subject::AnnouncementReads {
                ap_id: ap_id.clone(),
                inbox: department_inbox(conn, policy, domain)?,
                audience,
                readers,
            }))
        }
        _ => Ok(None),
    }
}

/// The shared inbox of every department this one federates with.
fn every_department(
    conn: &mut DbConnection,
    policy: &crate::service::policy::FederationPolicy,
) -> Result<Vec<String>> {
    let known: Vec<String> = accounts::table
        .filter(accounts::domain.is_not_null())
        .select(accounts::domain.assume_not_null())
        .distinct()
        .load(conn)?;
    policy
        .departments(known)
        .iter()
        .map(|d| department_inbox(conn, policy, d))
        .collect()
}

/// A department's shared inbox: as its accounts (its instance actor first) give it, else
/// Groundswell's.
fn department_inbox(
    conn: &mut DbConnection,
    policy: &crate::service::policy::FederationPolicy,
    domain: &str,
) -> Result<String> {
    let known: Option<String> = accounts::table
        .filter(accounts::domain.eq(domain))
        .filter(accounts::shared_inbox_url.is_not_null())
        .order(accounts::bot.desc())
        .select(accounts::shared_inbox_url.assume_not_null())
        .first(conn)
        .optional()?;
    Ok(known.unwrap_or_else(|| policy.default_inbox(domain)))
}
