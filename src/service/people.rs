//! The people directory: colleagues across every department, found by name, department,
//! title and other profile fields, and by what they post about and follow.
//!
//! Each department publishes its own discoverable employees ([`published`], served at
//! `GET /directory` as a signed, paged ActivityPub collection) and keeps a copy of every
//! other department's, synced every `directory.sync_interval_secs` ([`store_synced`]):
//! searching ([`search`]) never leaves the department. An employee opts out with Mastodon's
//! `discoverable` flag (Settings → "Suggest account to others" in the apps); a suspended,
//! deactivated or deleted employee, or one who opted out, is gone from the next sync.
//!
//! What is shared: the profile (name, bio, fields, avatar) as the actor already shows it to
//! every department, and interests — the hashtags of the employee's public and unlisted
//! posts of the last [`INTEREST_DAYS`] days (never department-only, followers-only or
//! direct ones) and the hashtags they follow — with how many posts each.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::schema::{
    accounts, directory_entries, directory_syncs, status_tags, statuses, tag_follows, tags, users,
};
use crate::error::Result;

diesel::allow_columns_to_appear_in_same_group_by_clause!(statuses::account_id, tags::name);

/// How far back posts count as interests.
pub const INTEREST_DAYS: i64 = 90;
/// The most interests an entry carries.
pub const MAX_INTERESTS: usize = 12;
/// Entries per page of `GET /directory`.
pub const PAGE_SIZE: i64 = 200;
/// The most pages read from one department in one sync (so at most 20,000 people).
pub const MAX_PAGES: usize = 100;
/// The most results of one search.
pub const MAX_RESULTS: i64 = 80;

/// A hashtag someone posts about or follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interest {
    /// Lowercase, without `#`.
    pub name: String,
    /// Their public and unlisted posts with it, over the last [`INTEREST_DAYS`] days.
    #[serde(default)]
    pub posts: i64,
    /// Whether they follow it.
    #[serde(default)]
    pub follows: bool,
}

/// A profile field (plain text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// An employee as a department publishes them, and as the others store them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Their actor's id.
    pub ap_id: String,
    pub username: String,
    pub display_name: String,
    /// HTML (sanitized when stored).
    pub note: String,
    pub fields: Vec<Field>,
    pub avatar_url: Option<String>,
    /// Their profile page.
    pub url: Option<String>,
    pub interests: Vec<Interest>,
}

/// The discoverable employees of this department, `page` (from 1) of [`PAGE_SIZE`], and how
/// many there are in all.
pub fn published(conn: &mut DbConnection, page: i64) -> Result<(i64, Vec<Person>)> {
    let listed = || {
        accounts::table
            .inner_join(users::table.on(users::account_id.eq(accounts::id)))
            .filter(accounts::domain.is_null())
            .filter(accounts::discoverable.eq(true))
            .filter(accounts::bot.eq(false))
            .filter(accounts::suspended_at.is_null())
            .filter(users::disabled_at.is_null())
    };
    let total: i64 = listed().count().get_result(conn)?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    )> = listed()
        .order(accounts::id.asc())
        .limit(PAGE_SIZE)
        .offset((page.max(1) - 1) * PAGE_SIZE)
        .select((
            accounts::id,
            accounts::ap_id,
            accounts::username,
            accounts::display_name,
            accounts::note,
            accounts::fields,
            accounts::avatar_url,
            accounts::url,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut interests = interests_of(conn, &ids)?;
    let people = rows
        .into_iter()
        .map(
            |(id, ap_id, username, display_name, note, fields, avatar_url, url)| Person {
                ap_id,
                username,
                display_name,
                note,
                fields: parse_fields(&fields),
                avatar_url,
                url,
                interests: interests.remove(&id).unwrap_or_default(),
            },
        )
        .collect();
    Ok((total, people))
}

fn parse_fields(raw: &str) -> Vec<Field> {
    serde_json::from_str::<Vec<serde_json::Value>>(raw)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| {
            Some(Field {
                name: f.get("name")?.as_str()?.to_string(),
                value: crate::service::text::plain_text(f.get("value")?.as_str()?),
            })
        })
        .collect()
}

/// The interests of `ids` (local accounts): hashtags of their public and unlisted posts of
/// the last [`INTEREST_DAYS`] days, most used first, then the hashtags they follow.
fn interests_of(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, Vec<Interest>>> {
    let since = Utc::now().naive_utc() - Duration::days(INTEREST_DAYS);
    let posted: Vec<(i64, String, i64)> = status_tags::table
        .inner_join(statuses::table.on(statuses::id.eq(status_tags::status_id)))
        .inner_join(tags::table.on(tags::id.eq(status_tags::tag_id)))
        .filter(statuses::account_id.eq_any(ids))
        .filter(statuses::visibility.eq_any(["public", "unlisted"]))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::held_for_review.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::created_at.ge(since))
        .group_by((statuses::account_id, tags::name))
        .select((statuses::account_id, tags::name, diesel::dsl::count_star()))
        .load(conn)?;
    let followed: Vec<(i64, String)> = tag_follows::table
        .inner_join(tags::table.on(tags::id.eq(tag_follows::tag_id)))
        .filter(tag_follows::account_id.eq_any(ids))
        .select((tag_follows::account_id, tags::name))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<Interest>> = HashMap::new();
    for (id, name, posts) in posted {
        out.entry(id).or_default().push(Interest {
            name: name.to_lowercase(),
            posts,
            follows: false,
        });
    }
    for (id, name) in followed {
        let name = name.to_lowercase();
        let list = out.entry(id).or_default();
        match list.iter_mut().find(|i| i.name == name) {
            Some(i) => i.follows = true,
            None => list.push(Interest {
                name,
                posts: 0,
                follows: true,
            }),
        }
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| {
            b.posts
                .cmp(&a.posts)
                .then(b.follows.cmp(&a.follows))
                .then(a.name.cmp(&b.name))
        });
        list.truncate(MAX_INTERESTS);
    }
    Ok(out)
}

/// One stored entry of the directory.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = directory_entries)]
pub struct Entry {
    pub ap_id: String,
    pub domain: String,
    pub username: String,
    pub display_name: String,
    pub note: String,
    pub fields: String,
    pub avatar_url: Option<String>,
    pub url: Option<String>,
    pub interests: String,
    #[serde(skip)]
    pub tags: String,
    #[serde(skip)]
    pub search_text: String,
    pub synced_at: NaiveDateTime,
}

impl Entry {
    pub fn interests(&self) -> Vec<Interest> {
        serde_json::from_str(&self.interests).unwrap_or_default()
    }

    pub fn fields(&self) -> Vec<Field> {
        serde_json::from_str(&self.fields).unwrap_or_default()
    }

    /// Their posts about `tag` (0 when they only follow it, or not at all).
    fn posts_about(&self, tag: &str) -> i64 {
        self.interests()
            .iter()
            .find(|i| i.name == tag)
            .map_or(0, |i| i.posts)
    }
}

/// Normalise a hashtag as the directory stores it: lowercase, without `#`.
pub fn normalise_tag(raw: &str) -> String {
    raw.trim().trim_start_matches('#').to_lowercase()
}

/// Store `people`, the whole of `domain`'s directory as synced now: each entry replaced,
/// and whoever is no longer listed removed. Entries whose actor is not on `domain` are
/// refused (a department speaks only for its own people). Returns how many were stored.
pub fn store_synced(conn: &mut DbConnection, domain: &str, people: &[Person]) -> Result<usize> {
    let now = Utc::now().naive_utc();
    let own: Vec<&Person> = people
        .iter()
        .filter(|p| {
            url::Url::parse(&p.ap_id)
                .ok()
                .and_then(|u| {
                    let host = u.host_str()?.to_string();
                    Some(match u.port() {
                        Some(port) => format!("{host}:{port}"),
                        None => host,
                    })
                })
                .is_some_and(|d| d.eq_ignore_ascii_case(domain))
        })
        .collect();
    let ids: Vec<&str> = own.iter().map(|p| p.ap_id.as_str()).collect();
    diesel::delete(
        directory_entries::table
            .filter(directory_entries::domain.eq(domain))
            .filter(directory_entries::ap_id.ne_all(&ids)),
    )
    .execute(conn)?;
    for p in &own {
        let mut interests = p.interests.clone();
        for i in &mut interests {
            i.name = normalise_tag(&i.name);
        }
        interests.retain(|i| !i.name.is_empty());
        interests.truncate(MAX_INTERESTS);
        let note = crate::service::text::sanitize_remote(&p.note);
        let fields: Vec<Field> = p
            .fields
            .iter()
            .take(16)
            .map(|f| Field {
                name: crate::service::text::plain_text(&f.name),
                value: crate::service::text::plain_text(&f.value),
            })
            .collect();
        let tags = format!(
            " {} ",
            interests
                .iter()
                .map(|i| i.name.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let search_text = [
            p.display_name.as_str(),
            p.username.as_str(),
            domain,
            &crate::service::text::plain_text(&note),
        ]
        .into_iter()
        .map(str::to_string)
        .chain(fields.iter().map(|f| format!("{} {}", f.name, f.value)))
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
        let row = (
            directory_entries::domain.eq(domain),
            directory_entries::username.eq(&p.username),
            directory_entries::display_name.eq(&p.display_name),
            directory_entries::note.eq(&note),
            directory_entries::fields.eq(serde_json::to_string(&fields).unwrap_or_default()),
            directory_entries::avatar_url.eq(&p.avatar_url),
            directory_entries::url.eq(&p.url),
            directory_entries::interests.eq(serde_json::to_string(&interests).unwrap_or_default()),
            directory_entries::tags.eq(&tags),
            directory_entries::search_text.eq(&search_text),
            directory_entries::synced_at.eq(now),
        );
        let updated = diesel::update(directory_entries::table.find(&p.ap_id))
            .set(row.clone())
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(directory_entries::table)
                .values((directory_entries::ap_id.eq(&p.ap_id), row))
                .execute(conn)?;
        }
    }
    record_sync(conn, domain, Ok(own.len()))?;
    Ok(own.len())
}

/// Note a department's sync: how many were stored, or why it failed (its entries are kept
/// until a sync succeeds).
pub fn record_sync(
    conn: &mut DbConnection,
    domain: &str,
    outcome: std::result::Result<usize, String>,
) -> Result<()> {
    let now = Utc::now().naive_utc();
    let (synced_at, entries, error) = match &outcome {
        Ok(n) => (Some(now), i64::try_from(*n).unwrap_or(i64::MAX), None),
        Err(e) => (None, 0, Some(e.clone())),
    };
    let found: Option<String> = directory_syncs::table
        .find(domain)
        .select(directory_syncs::domain)
        .first(conn)
        .optional()?;
    if found.is_none() {
        diesel::insert_into(directory_syncs::table)
            .values((
                directory_syncs::domain.eq(domain),
                directory_syncs::synced_at.eq(synced_at),
                directory_syncs::attempted_at.eq(now),
                directory_syncs::entries.eq(entries),
                directory_syncs::error.eq(&error),
            ))
            .execute(conn)?;
    } else if outcome.is_ok() {
        diesel::update(directory_syncs::table.find(domain))
            .set((
                directory_syncs::synced_at.eq(synced_at),
                directory_syncs::attempted_at.eq(now),
                directory_syncs::entries.eq(entries),
                directory_syncs::error.eq(None::<String>),
            ))
            .execute(conn)?;
    } else {
        diesel::update(directory_syncs::table.find(domain))
            .set((
                directory_syncs::attempted_at.eq(now),
                directory_syncs::error.eq(&error),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Remove the entries of departments no longer federated with.
pub fn forget_departments_except(conn: &mut DbConnection, keep: &[String]) -> Result<()> {
    diesel::delete(directory_entries::table.filter(directory_entries::domain.ne_all(keep)))
        .execute(conn)?;
    diesel::delete(directory_syncs::table.filter(directory_syncs::domain.ne_all(keep)))
        .execute(conn)?;
    Ok(())
}

/// A search of the directory.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Words that must all appear in the name, username, department, bio or fields.
    pub q: Option<String>,
    /// A hashtag they post about or follow ("who knows about X"): the most posts first.
    pub tag: Option<String>,
    /// Only this department (a domain).
    pub department: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Search the directory. Without `tag`, by department and name; with it, the people who
/// post most about it first.
pub fn search(conn: &mut DbConnection, query: &Query) -> Result<Vec<Entry>> {
    let mut found = directory_entries::table.into_boxed();
    if let Some(q) = query.q.as_deref() {
        for word in q.split_whitespace().take(8) {
            let word = word.to_lowercase().replace(['%', '_', '\\'], "");
            if !word.is_empty() {
                found = found.filter(directory_entries::search_text.like(format!("%{word}%")));
            }
        }
    }
    let tag = query
        .tag
        .as_deref()
        .map(normalise_tag)
        .filter(|t| !t.is_empty());
    if let Some(tag) = &tag {
        let tag = tag.replace(['%', '_', '\\'], "");
        found = found.filter(directory_entries::tags.like(format!("% {tag} %")));
    }
    if let Some(d) = query.department.as_deref().filter(|d| !d.trim().is_empty()) {
        found = found.filter(directory_entries::domain.eq(d.trim().to_lowercase()));
    }
    let limit = query.limit.clamp(1, MAX_RESULTS);
    let offset = query.offset.max(0);
    match tag {
        None => Ok(found
            .order((
                directory_entries::domain.asc(),
                directory_entries::display_name.asc(),
                directory_entries::ap_id.asc(),
            ))
            .limit(limit)
            .offset(offset)
            .select(Entry::as_select())
            .load(conn)?),
        // Ranked by posts about it: a bounded candidate set, ordered here.
        Some(tag) => {
            let mut all: Vec<Entry> = found.limit(2_000).select(Entry::as_select()).load(conn)?;
            // Each entry's interests are parsed once, not at every comparison.
            all.sort_by_cached_key(|e| {
                (
                    std::cmp::Reverse(e.posts_about(&tag)),
                    e.display_name.clone(),
                    e.ap_id.clone(),
                )
            });
            Ok(all
                .into_iter()
                .skip(usize::try_from(offset).unwrap_or(0))
                .take(usize::try_from(limit).unwrap_or(0))
                .collect())
        }
    }
}

/// The last sync of each department.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = directory_syncs)]
pub struct Sync {
    pub domain: String,
    pub synced_at: Option<NaiveDateTime>,
    pub attempted_at: NaiveDateTime,
    pub entries: i64,
    pub error: Option<String>,
}

pub fn syncs(conn: &mut DbConnection) -> Result<Vec<Sync>> {
    Ok(directory_syncs::table
        .order(directory_syncs::domain.asc())
        .select(Sync::as_select())
        .load(conn)?)
}

/// The departments whose directories are synced: every one this department federates with
/// (configured, allowed at run time, or heard from), itself aside.
pub fn departments(
    conn: &mut DbConnection,
    policy: &crate::service::policy::FederationPolicy,
    own: &str,
) -> Result<Vec<String>> {
    if !policy.enabled() {
        return Ok(Vec::new());
    }
    let known: Vec<String> = accounts::table
        .filter(accounts::domain.is_not_null())
        .select(accounts::domain.assume_not_null())
        .distinct()
        .load(conn)?;
    Ok(policy
        .departments(known)
        .into_iter()
        .filter(|d| !d.eq_ignore_ascii_case(own) && !d.contains('*'))
        .collect())
}

/// Every discoverable employee of this department (all pages of [`published`]).
pub fn all_published(conn: &mut DbConnection) -> Result<Vec<Person>> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let (total, mut people) = published(conn, page)?;
        let done = people.is_empty() || page * PAGE_SIZE >= total;
        out.append(&mut people);
        if done {
            return Ok(out);
        }
        page += 1;
    }
}

/// The local ids of the accounts among `ap_ids` this department already knows (to follow
/// them through the Mastodon API without resolving them first).
pub fn known_ids(conn: &mut DbConnection, ap_ids: &[String]) -> Result<HashMap<String, i64>> {
    Ok(accounts::table
        .filter(accounts::ap_id.eq_any(ap_ids))
        .select((accounts::ap_id, accounts::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}

/// How the viewer stands with each of `ap_ids`: following, or asked to (waiting for an
/// answer). Those not listed are neither.
pub fn standing(
    conn: &mut DbConnection,
    me: i64,
    ap_ids: &[String],
) -> Result<HashMap<String, Standing>> {
    use crate::db::schema::follows;
    let rows: Vec<(String, bool)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::account_id.eq(me))
        .filter(accounts::ap_id.eq_any(ap_ids))
        .select((accounts::ap_id, follows::accepted))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(ap_id, accepted)| {
            let s = if accepted {
                Standing::Following
            } else {
                Standing::Requested
            };
            (ap_id, s)
        })
        .collect())
}

/// The viewer's follow of someone in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Following,
    Requested,
}

/// An employee follows someone they found in the directory: the account known here, or
/// resolved from its department first. Only people listed in the directory.
pub async fn follow(
    ctx: &crate::context::AppContext,
    me: crate::db::models::Account,
    ap_id: String,
) -> Result<Entry> {
    let (entry, known) = ctx
        .db
        .read(move |conn| {
            let entry: Option<Entry> = directory_entries::table
                .find(&ap_id)
                .select(Entry::as_select())
                .first(conn)
                .optional()?;
            let known: Option<i64> = accounts::table
                .filter(accounts::ap_id.eq(&ap_id))
                .select(accounts::id)
                .first(conn)
                .optional()?;
            Ok((entry, known))
        })
        .await?;
    let entry = entry.ok_or_else(crate::error::Error::not_found)?;
    let target = match known {
        Some(id) => id,
        None => {
            let acct = format!("{}@{}", entry.username, entry.domain);
            crate::service::remote::account(ctx, &acct).await?.id
        }
    };
    if target == me.id {
        return Err(crate::error::Error::unprocessable(
            "You cannot follow yourself",
        ));
    }
    crate::service::relationships::follow_account(ctx, me, target, Default::default()).await?;
    Ok(entry)
}
