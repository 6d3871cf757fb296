//! Scheduled posts (Mastodon's scheduled statuses): an employee writes a post now and it is
//! published at the time they chose, by whichever app node claims it first, exactly once.
//!
//! Exactly once: a node claims a due post with a lease (`claimed_until`, an UPDATE that only
//! one node can win), then publishes it through the ordinary write path with the idempotency
//! key `scheduled-<id>`, then deletes it. A node that dies after publishing and before
//! deleting leaves the lease to expire; the node that takes the post over publishes it with
//! the same key and gets the status already made — never a second one.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::context::AppContext;
use crate::db::models::MediaAttachment;
use crate::db::schema::{accounts, media_attachments, scheduled_media, scheduled_statuses, users};
use crate::db::{DbConnection, ids};
use crate::error::{Error, ErrorKind, Result};
use crate::service::pagination::Page;
use crate::service::polls::PollInput;
use crate::service::statuses::{self, NewPost};
use crate::service::users::LocalUser;

/// Most posts one employee may have waiting.
pub const MAX_PENDING: i64 = 300;
/// Most posts one employee may schedule for the same day (UTC).
pub const MAX_PER_DAY: i64 = 25;
/// How long a node holds a due post it claimed before another may take it over.
const LEASE_SECS: i64 = 120;
/// Due posts claimed at a time.
const BATCH: i64 = 20;

/// The post as it will be made, kept as JSON (Mastodon's `params`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Params {
    pub text: String,
    pub in_reply_to_id: Option<i64>,
    pub sensitive: bool,
    pub spoiler_text: String,
    /// `public`, `unlisted`, `private`, `direct`, `local`, or none for the default.
    pub visibility: Option<String>,
    pub language: Option<String>,
    pub media_ids: Vec<String>,
    pub poll: Option<PollInput>,
}

/// A scheduled post with its uploads.
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub id: i64,
    pub scheduled_at: NaiveDateTime,
    pub params: Params,
    pub application_id: Option<i64>,
    pub media: Vec<MediaAttachment>,
}

type Row = (i64, NaiveDateTime, String, Option<i64>);

fn columns() -> (
    scheduled_statuses::id,
    scheduled_statuses::scheduled_at,
    scheduled_statuses::params,
    scheduled_statuses::application_id,
) {
    (
        scheduled_statuses::id,
        scheduled_statuses::scheduled_at,
        scheduled_statuses::params,
        scheduled_statuses::application_id,
    )
}

/// Rows with their uploads (one query for all of them).
fn with_media(conn: &mut DbConnection, rows: Vec<Row>) -> Result<Vec<Scheduled>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let media: Vec<(i64, MediaAttachment)> = if ids.is_empty() {
        Vec::new()
    } else {
        scheduled_media::table
            .inner_join(
                media_attachments::table
                    .on(media_attachments::id.eq(scheduled_media::media_attachment_id)),
            )
            .filter(scheduled_media::scheduled_status_id.eq_any(&ids))
            .select((
                scheduled_media::scheduled_status_id,
                MediaAttachment::as_select(),
            ))
            .load(conn)?
    };
    rows.into_iter()
        .map(|(id, scheduled_at, params, application_id)| {
            let params: Params = serde_json::from_str(&params).map_err(Error::internal)?;
            // In the order the employee gave them.
            let mut mine: Vec<MediaAttachment> = media
                .iter()
                .filter(|(s, _)| *s == id)
                .map(|(_, m)| m.clone())
                .collect();
            mine.sort_by_key(|m| params.media_ids.iter().position(|p| *p == m.id.to_string()));
            Ok(Scheduled {
                id,
                scheduled_at,
                params,
                application_id,
                media: mine,
            })
        })
        .collect()
}

fn not_found() -> Error {
    Error::new(ErrorKind::NotFound, "Record not found")
}

/// When a post may be scheduled for: at least `min_lead_secs` from now (Mastodon: 5 minutes).
fn check_time(at: NaiveDateTime, min_lead_secs: u32) -> Result<()> {
    if at < Utc::now().naive_utc() + Duration::seconds(i64::from(min_lead_secs)) {
        return Err(Error::unprocessable(format!(
            "Validation failed: Scheduled at must be at least {} in the future",
            if min_lead_secs % 60 == 0 {
                format!("{} minutes", min_lead_secs / 60)
            } else {
                format!("{min_lead_secs} seconds")
            }
        )));
    }
    Ok(())
}

fn check_day_budget(
    conn: &mut DbConnection,
    me: i64,
    at: NaiveDateTime,
    except: Option<i64>,
) -> Result<()> {
    let day = at.date().and_hms_opt(0, 0, 0).unwrap_or(at);
    let mut q = scheduled_statuses::table
        .filter(scheduled_statuses::account_id.eq(me))
        .filter(scheduled_statuses::scheduled_at.ge(day))
        .filter(scheduled_statuses::scheduled_at.lt(day + Duration::days(1)))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(scheduled_statuses::id.ne(id));
    }
    let that_day: i64 = q.count().get_result(conn)?;
    if that_day >= MAX_PER_DAY {
        return Err(Error::unprocessable(format!(
            "Validation failed: You can schedule at most {MAX_PER_DAY} posts for one day"
        )));
    }
    Ok(())
}

/// Schedule a post for `at`. Its uploads must be the employee's and not used elsewhere.
pub fn schedule(
    conn: &mut DbConnection,
    author: &LocalUser,
    params: Params,
    application_id: Option<i64>,
    at: NaiveDateTime,
    min_lead_secs: u32,
) -> Result<Scheduled> {
    let me = author.account.id;
    check_time(at, min_lead_secs)?;
    if let Some(poll) = &params.poll {
        poll.check()?;
        if !params.media_ids.is_empty() {
            return Err(Error::unprocessable(
                "Validation failed: a post cannot have both media and a poll",
            ));
        }
    }
    if params.text.trim().is_empty() && params.media_ids.is_empty() && params.poll.is_none() {
        return Err(Error::unprocessable(
            "Validation failed: Text can't be blank",
        ));
    }
    let pending: i64 = scheduled_statuses::table
        .filter(scheduled_statuses::account_id.eq(me))
        .count()
        .get_result(conn)?;
    if pending >= MAX_PENDING {
        return Err(Error::unprocessable(format!(
            "Validation failed: You can have at most {MAX_PENDING} scheduled posts"
        )));
    }
    check_day_budget(conn, me, at, None)?;
    let mut media_ids = Vec::new();
    for raw in &params.media_ids {
        let id: i64 = raw
            .parse()
            .map_err(|_| Error::unprocessable("Validation failed: unknown media id"))?;
        let usable: bool = diesel::select(diesel::dsl::exists(
            media_attachments::table
                .filter(media_attachments::id.eq(id))
                .filter(media_attachments::account_id.eq(me))
                .filter(media_attachments::status_id.is_null()),
        ))
        .get_result(conn)?;
        let reserved: bool = diesel::select(diesel::dsl::exists(
            scheduled_media::table.filter(scheduled_media::media_attachment_id.eq(id)),
        ))
        .get_result(conn)?;
        if !usable || reserved {
            return Err(Error::unprocessable(
                "Validation failed: a media attachment is unknown or already used",
            ));
        }
        media_ids.push(id);
    }
    let id = ids::next_id();
    diesel::insert_into(scheduled_statuses::table)
        .values((
            scheduled_statuses::id.eq(id),
            scheduled_statuses::account_id.eq(me),
            scheduled_statuses::scheduled_at.eq(at),
            scheduled_statuses::params.eq(serde_json::to_string(&params).map_err(Error::internal)?),
            scheduled_statuses::application_id.eq(application_id),
            scheduled_statuses::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    for media in media_ids {
        diesel::insert_into(scheduled_media::table)
            .values((
                scheduled_media::scheduled_status_id.eq(id),
                scheduled_media::media_attachment_id.eq(media),
            ))
            .execute(conn)?;
    }
    find(conn, me, id)
}

/// One of `me`'s scheduled posts.
pub fn find(conn: &mut DbConnection, me: i64, id: i64) -> Result<Scheduled> {
    let row: Row = scheduled_statuses::table
        .filter(scheduled_statuses::id.eq(id))
        .filter(scheduled_statuses::account_id.eq(me))
        .select(columns())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)?;
    with_media(conn, vec![row])?.pop().ok_or_else(not_found)
}

/// `me`'s scheduled posts, newest first (by id), a page of them.
pub fn list(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<Scheduled>> {
    let mut q = scheduled_statuses::table
        .filter(scheduled_statuses::account_id.eq(me))
        .select(columns())
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(scheduled_statuses::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(scheduled_statuses::id.gt(since));
    }
    let rows: Vec<Row> = q
        .order(scheduled_statuses::id.desc())
        .limit(page.limit)
        .load(conn)?;
    with_media(conn, rows)
}

/// Move a scheduled post to another time.
pub fn reschedule(
    conn: &mut DbConnection,
    me: i64,
    id: i64,
    at: NaiveDateTime,
    min_lead_secs: u32,
) -> Result<Scheduled> {
    find(conn, me, id)?;
    check_time(at, min_lead_secs)?;
    check_day_budget(conn, me, at, Some(id))?;
    diesel::update(scheduled_statuses::table.find(id))
        .set(scheduled_statuses::scheduled_at.eq(at))
        .execute(conn)?;
    find(conn, me, id)
}

/// Cancel a scheduled post (its uploads become ordinary unattached uploads again).
pub fn cancel(conn: &mut DbConnection, me: i64, id: i64) -> Result<()> {
    find(conn, me, id)?;
    diesel::delete(scheduled_media::table.filter(scheduled_media::scheduled_status_id.eq(id)))
        .execute(conn)?;
    diesel::delete(scheduled_statuses::table.find(id)).execute(conn)?;
    Ok(())
}

/// Claim due posts for this node: each is claimed by one node only (until its lease ends).
pub fn claim_due(conn: &mut DbConnection) -> Result<Vec<i64>> {
    let now = Utc::now().naive_utc();
    let candidates: Vec<i64> = scheduled_statuses::table
        .filter(scheduled_statuses::scheduled_at.le(now))
        .filter(
            scheduled_statuses::claimed_until
                .is_null()
                .or(scheduled_statuses::claimed_until.lt(now)),
        )
        .order(scheduled_statuses::scheduled_at.asc())
        .limit(BATCH)
        .select(scheduled_statuses::id)
        .load(conn)?;
    let mut mine = Vec::new();
    for id in candidates {
        let won = diesel::update(
            scheduled_statuses::table.find(id).filter(
                scheduled_statuses::claimed_until
                    .is_null()
                    .or(scheduled_statuses::claimed_until.lt(now)),
            ),
        )
        .set(scheduled_statuses::claimed_until.eq(now + Duration::seconds(LEASE_SECS)))
        .execute(conn)?;
        if won == 1 {
            mine.push(id);
        }
    }
    Ok(mine)
}

/// A claimed post with its author (None: the author can no longer post; it is dropped).
fn claimed(conn: &mut DbConnection, id: i64) -> Result<Option<(LocalUser, Scheduled)>> {
    let account_id: i64 = scheduled_statuses::table
        .find(id)
        .select(scheduled_statuses::account_id)
        .first(conn)?;
    let author: Option<LocalUser> = users::table
        .inner_join(accounts::table)
        .filter(accounts::id.eq(account_id))
        .filter(accounts::suspended_at.is_null())
        .filter(users::disabled_at.is_null())
        .select((
            crate::db::models::User::as_select(),
            crate::db::models::Account::as_select(),
        ))
        .first::<(crate::db::models::User, crate::db::models::Account)>(conn)
        .optional()?
        .map(|(user, account)| LocalUser { user, account });
    let Some(author) = author else {
        return Ok(None);
    };
    let scheduled = find(conn, account_id, id)?;
    Ok(Some((author, scheduled)))
}

fn forget(conn: &mut DbConnection, id: i64) -> Result<()> {
    diesel::delete(scheduled_media::table.filter(scheduled_media::scheduled_status_id.eq(id)))
        .execute(conn)?;
    diesel::delete(scheduled_statuses::table.find(id)).execute(conn)?;
    Ok(())
}

/// Publish the posts that are due and this node claims. Returns how many were published.
pub async fn publish_due(ctx: &AppContext) -> Result<usize> {
    let claimed_ids = ctx.db.write(claim_due).await?;
    let mut published = 0;
    for id in claimed_ids {
        let Some((author, scheduled)) = ctx.db.read(move |conn| claimed(conn, id)).await? else {
            tracing::info!(
                scheduled_id = id,
                "scheduled post dropped: its author can no longer post"
            );
            ctx.db.write(move |conn| forget(conn, id)).await?;
            continue;
        };
        let p = scheduled.params;
        let post = NewPost {
            text: p.text,
            in_reply_to_id: p.in_reply_to_id,
            sensitive: p.sensitive,
            spoiler_text: p.spoiler_text,
            visibility: p.visibility.as_deref().map(str::parse).transpose()?,
            language: p.language,
            media_ids: p.media_ids,
            poll: p.poll,
            idempotency_key: Some(format!("scheduled-{id}")),
            application_id: scheduled.application_id,
        };
        // The uploads are released for the post to take them.
        ctx.db
            .write(move |conn| {
                diesel::delete(
                    scheduled_media::table.filter(scheduled_media::scheduled_status_id.eq(id)),
                )
                .execute(conn)?;
                Ok(())
            })
            .await?;
        match statuses::post(ctx, author, post).await {
            Ok(_) => published += 1,
            Err(e) if matches!(e.kind(), ErrorKind::Internal | ErrorKind::Unavailable) => {
                // Tried again when the lease ends.
                tracing::warn!(scheduled_id = id, error = %e, "cannot publish a scheduled post now");
                continue;
            }
            Err(e) => {
                tracing::warn!(scheduled_id = id, error = %e, "scheduled post refused when it was due; dropped");
            }
        }
        ctx.db.write(move |conn| forget(conn, id)).await?;
    }
    Ok(published)
}
