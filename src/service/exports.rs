//! An employee's own data to take along: their posts (JSON, CSV), whom they follow (Mastodon's
//! `following_accounts.csv`, which Mastodon and most servers import) and their bookmarks
//! (Mastodon's `bookmarks.csv`: one post address a line). Read in batches by id, each batch
//! its own short read, and handed on as text as it is read: an export of any size never
//! holds more than one batch in memory nor a connection between batches.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use futures_util::Stream;

use crate::config::InstanceSettings;
use crate::db::schema::{accounts, bookmarks, follows, media_attachments, polls, statuses};
use crate::db::{Db, DbConnection};
use crate::error::{Error, Result};
use crate::service::audit::csv_field;
use crate::service::text;

/// Rows one read of an export takes.
pub const BATCH: i64 = 500;

/// Mastodon's header of `following_accounts.csv` (its importer recognises the file by it).
pub const FOLLOWS_CSV_HEADER: &str = "Account address,Show boosts,Notify on new posts,Languages";

/// The header of the posts' CSV.
pub const POSTS_CSV_HEADER: &str =
    "id,created_at,edited_at,visibility,url,in_reply_to,language,sensitive,spoiler_text,text";

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Posts,
    Follows,
    Bookmarks,
}

/// How it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Export {
    pub fn parse(raw: &str) -> Result<Export> {
        match raw {
            "posts" => Ok(Export::Posts),
            "follows" => Ok(Export::Follows),
            "bookmarks" => Ok(Export::Bookmarks),
            _ => Err(Error::not_found()),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Export::Posts => "posts",
            Export::Follows => "following_accounts",
            Export::Bookmarks => "bookmarks",
        }
    }
}

impl Format {
    pub fn parse(raw: &str) -> Result<Format> {
        match raw {
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(Error::unprocessable(format!(
                "`{other}` is not an export format: use csv or json"
            ))),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// The file name a download is offered under: `following_accounts.csv` as Mastodon names
/// it, then the employee and the day (`following_accounts-alice-2026-12-07.csv`).
pub fn file_name(what: Export, format: Format, username: &str, day: chrono::NaiveDate) -> String {
    format!("{}-{username}-{day}.{}", what.name(), format.extension())
}

/// One exported row: its id (where the next batch starts), its CSV fields and its JSON.
struct Row {
    id: i64,
    csv: Vec<String>,
    json: serde_json::Value,
}

fn time(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

type PostRow = (
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    Option<String>,
    String,
    bool,
    String,
    Option<String>,
    NaiveDateTime,
    Option<NaiveDateTime>,
);

/// The employee's own posts (every visibility, department-only ones too; not boosts of
/// others' posts, nor deleted ones), oldest first; in JSON with their images and other
/// media (address, description) and their poll (choices, several answers or one, end).
fn posts(conn: &mut DbConnection, me: i64, after: i64, base: &str) -> Result<Vec<Row>> {
    let found: Vec<PostRow> = statuses::table
        .filter(statuses::account_id.eq(me))
        .filter(statuses::reblog_of_id.is_null())
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::id.gt(after))
        .order(statuses::id.asc())
        .limit(BATCH)
        .select((
            statuses::id,
            statuses::ap_id,
            statuses::url,
            statuses::in_reply_to_id,
            statuses::in_reply_to_ap_id,
            statuses::visibility,
            statuses::language,
            statuses::spoiler_text,
            statuses::sensitive,
            statuses::content,
            statuses::source_text,
            statuses::created_at,
            statuses::edited_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = found.iter().map(|p| p.0).collect();
    let mut media = attachments_of(conn, &ids, base)?;
    let mut polls = polls_of(conn, &ids)?;
    Ok(found
        .into_iter()
        .map(
            |(
                id,
                uri,
                url,
                in_reply_to_id,
                in_reply_to_uri,
                visibility,
                language,
                spoiler_text,
                sensitive,
                content,
                source,
                created_at,
                edited_at,
            )| {
                let plain = source.unwrap_or_else(|| text::plain_text(&content));
                let url = url.unwrap_or_else(|| uri.clone());
                Row {
                    id,
                    csv: vec![
                        id.to_string(),
                        time(created_at),
                        edited_at.map(time).unwrap_or_default(),
                        visibility.clone(),
                        url.clone(),
                        in_reply_to_uri.clone().unwrap_or_default(),
                        language.clone().unwrap_or_default(),
                        sensitive.to_string(),
                        spoiler_text.clone(),
                        plain.clone(),
                    ],
                    json: serde_json::json!({
                        "id": id.to_string(),
                        "uri": uri,
                        "url": url,
                        "created_at": time(created_at),
                        "edited_at": edited_at.map(time),
                        "visibility": visibility,
                        "in_reply_to_id": in_reply_to_id.map(|i| i.to_string()),
                        "in_reply_to_uri": in_reply_to_uri,
                        "language": language,
                        "sensitive": sensitive,
                        "spoiler_text": spoiler_text,
                        "content": content,
                        "text": plain,
                        "media_attachments": media.remove(&id).unwrap_or_default(),
                        "poll": polls.remove(&id),
                    }),
                }
            },
        )
        .collect())
}

/// A media row: its post, kind, file (relative), remote address, description.
type MediaRow = (Option<i64>, String, Option<String>, Option<String>, String);

/// The media of posts `ids`, in their order on each post: `{type, url, description}`.
fn attachments_of(
    conn: &mut DbConnection,
    ids: &[i64],
    base: &str,
) -> Result<HashMap<i64, Vec<serde_json::Value>>> {
    let found: Vec<MediaRow> = media_attachments::table
        .filter(media_attachments::status_id.eq_any(ids))
        .order(media_attachments::id.asc())
        .select((
            media_attachments::status_id,
            media_attachments::kind,
            media_attachments::file_path,
            media_attachments::remote_url,
            media_attachments::description,
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<serde_json::Value>> = HashMap::new();
    for (status, kind, file, remote, description) in found {
        let Some(status) = status else { continue };
        let url = file.map(|f| format!("{base}/{f}")).or(remote);
        out.entry(status).or_default().push(serde_json::json!({
            "type": kind,
            "url": url,
            "description": description,
        }));
    }
    Ok(out)
}

/// The polls of posts `ids`: `{options, multiple, expires_at}`.
fn polls_of(conn: &mut DbConnection, ids: &[i64]) -> Result<HashMap<i64, serde_json::Value>> {
    let found: Vec<(i64, String, bool, Option<NaiveDateTime>)> = polls::table
        .filter(polls::status_id.eq_any(ids))
        .select((
            polls::status_id,
            polls::options,
            polls::multiple,
            polls::expires_at,
        ))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(status, options, multiple, expires_at)| {
            let options: Vec<String> = serde_json::from_str(&options).unwrap_or_default();
            (
                status,
                serde_json::json!({
                    "options": options,
                    "multiple": multiple,
                    "expires_at": expires_at.map(time),
                }),
            )
        })
        .collect())
}

/// A follow: id, accepted, show_reblogs, notify; whom: username, domain, ActivityPub id.
type FollowRow = (i64, bool, bool, bool, String, Option<String>, String);

/// Whom the employee follows, requests not yet approved included (importing them asks
/// again), the oldest follow first. Addresses are always `user@domain`, this department's
/// colleagues too, so that the file means the same wherever it is imported.
fn follows(conn: &mut DbConnection, me: i64, after: i64, own_domain: &str) -> Result<Vec<Row>> {
    let found: Vec<FollowRow> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::account_id.eq(me))
        .filter(follows::id.gt(after))
        .order(follows::id.asc())
        .limit(BATCH)
        .select((
            follows::id,
            follows::accepted,
            follows::show_reblogs,
            follows::notify,
            accounts::username,
            accounts::domain,
            accounts::ap_id,
        ))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(id, accepted, reblogs, notify, username, domain, uri)| {
            let acct = format!("{username}@{}", domain.as_deref().unwrap_or(own_domain));
            Row {
                id,
                csv: vec![
                    acct.clone(),
                    reblogs.to_string(),
                    notify.to_string(),
                    String::new(),
                ],
                json: serde_json::json!({
                    "acct": acct,
                    "uri": uri,
                    "show_reblogs": reblogs,
                    "notify": notify,
                    "languages": null,
                    "requested": !accepted,
                }),
            }
        })
        .collect())
}

/// The posts the employee bookmarked (those still there), by their ActivityPub id as
/// Mastodon exports them, the oldest bookmark first.
fn bookmarks(conn: &mut DbConnection, me: i64, after: i64) -> Result<Vec<Row>> {
    let found: Vec<(i64, NaiveDateTime, String, Option<String>)> = bookmarks::table
        .inner_join(statuses::table.on(statuses::id.eq(bookmarks::status_id)))
        .filter(bookmarks::account_id.eq(me))
        .filter(statuses::deleted_at.is_null())
        .filter(bookmarks::id.gt(after))
        .order(bookmarks::id.asc())
        .limit(BATCH)
        .select((
            bookmarks::id,
            bookmarks::created_at,
            statuses::ap_id,
            statuses::url,
        ))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(id, created_at, uri, url)| Row {
            id,
            csv: vec![uri.clone()],
            json: serde_json::json!({
                "uri": uri,
                "url": url,
                "bookmarked_at": time(created_at),
            }),
        })
        .collect())
}

/// Where a download stands between two batches.
struct Cursor {
    db: Db,
    me: i64,
    what: Export,
    format: Format,
    instance: InstanceSettings,
    /// The last id written; `None` before the first batch.
    after: Option<i64>,
    done: bool,
}

impl Cursor {
    /// The next piece of the file: the opening and the first batch, a batch, the closing.
    async fn next(mut self) -> Option<(Result<String>, Cursor)> {
        if self.done {
            return None;
        }
        let (me, what) = (self.me, self.what);
        let (own, base) = (
            self.instance.domain.as_str().to_string(),
            self.instance.base(),
        );
        let after = self.after.unwrap_or(0);
        let rows = match self
            .db
            .read(move |conn| match what {
                Export::Posts => posts(conn, me, after, &base),
                Export::Follows => follows(conn, me, after, &own),
                Export::Bookmarks => bookmarks(conn, me, after),
            })
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                self.done = true;
                return Some((Err(e), self));
            }
        };
        let first = self.after.is_none();
        let last = (rows.len() as i64) < BATCH;
        let mut out = String::new();
        match self.format {
            Format::Csv => {
                if first {
                    match what {
                        Export::Posts => out.push_str(POSTS_CSV_HEADER),
                        Export::Follows => out.push_str(FOLLOWS_CSV_HEADER),
                        // Mastodon's bookmarks.csv has no header.
                        Export::Bookmarks => {}
                    }
                    if !out.is_empty() {
                        out.push('\n');
                    }
                }
                for row in &rows {
                    let fields: Vec<String> = row.csv.iter().map(|f| csv_field(f)).collect();
                    out.push_str(&fields.join(","));
                    out.push('\n');
                }
            }
            Format::Json => {
                if first {
                    out.push('[');
                }
                for (i, row) in rows.iter().enumerate() {
                    if !(first && i == 0) {
                        out.push(',');
                    }
                    out.push('\n');
                    out.push_str(&row.json.to_string());
                }
                if last {
                    out.push_str("\n]\n");
                }
            }
        }
        self.after = Some(rows.last().map_or(after, |r| r.id));
        self.done = last;
        Some((Ok(out), self))
    }
}

/// The export `what` of employee `me` in `format`, as pieces of text read one batch at a
/// time (see the module's description).
pub fn stream(
    db: Db,
    me: i64,
    what: Export,
    format: Format,
    instance: InstanceSettings,
) -> impl Stream<Item = Result<String>> {
    let cursor = Cursor {
        db,
        me,
        what,
        format,
        instance,
        after: None,
        done: false,
    };
    futures_util::stream::unfold(cursor, Cursor::next)
}
