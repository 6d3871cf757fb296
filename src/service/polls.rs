//! Polls: created with a status, voted on by those who can see it, announced when they end.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::context::AppContext;
use crate::db::models::{Account, Poll};
use crate::db::schema::{poll_votes, polls};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::visibility::{Viewer, find_visible};
use crate::service::{notifications, usage_policy};

pub const MAX_OPTIONS: usize = 4;
pub const MAX_OPTION_CHARS: usize = 50;
pub const MIN_EXPIRATION_SECS: u32 = 300;
pub const MAX_EXPIRATION_SECS: u32 = 2_629_746;

/// A poll as a client sends it with a new status.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct PollInput {
    pub options: Vec<String>,
    pub expires_in: Option<u32>,
    pub multiple: bool,
    pub hide_totals: bool,
}

impl PollInput {
    pub fn check(&self) -> Result<()> {
        let n = self.options.len();
        if !(2..=MAX_OPTIONS).contains(&n) {
            return Err(Error::unprocessable(format!(
                "Validation failed: a poll needs 2 to {MAX_OPTIONS} options"
            )));
        }
        for option in &self.options {
            if option.trim().is_empty() {
                return Err(Error::unprocessable(
                    "Validation failed: poll options can't be blank",
                ));
            }
            if option.chars().count() > MAX_OPTION_CHARS {
                return Err(Error::unprocessable(format!(
                    "Validation failed: poll options are at most {MAX_OPTION_CHARS} characters"
                )));
            }
        }
        let mut seen = self
            .options
            .iter()
            .map(|o| o.trim().to_lowercase())
            .collect::<Vec<_>>();
        seen.sort();
        seen.dedup();
        if seen.len() != n {
            return Err(Error::unprocessable(
                "Validation failed: poll options must differ",
            ));
        }
        match self.expires_in {
            Some(s) if (MIN_EXPIRATION_SECS..=MAX_EXPIRATION_SECS).contains(&s) => Ok(()),
            _ => Err(Error::unprocessable(format!(
                "Validation failed: a poll lasts from {MIN_EXPIRATION_SECS} to {MAX_EXPIRATION_SECS} seconds (expires_in)"
            ))),
        }
    }
}

pub fn create(
    conn: &mut DbConnection,
    status_id: i64,
    account_id: i64,
    input: &PollInput,
) -> Result<Poll> {
    input.check()?;
    let now = Utc::now().naive_utc();
    let poll = Poll {
        id: ids::next_id(),
        status_id,
        account_id,
        options: serde_json::to_string(&input.options.iter().map(|o| o.trim()).collect::<Vec<_>>())
            .map_err(Error::internal)?,
        multiple: input.multiple,
        hide_totals: input.hide_totals,
        expires_at: input
            .expires_in
            .map(|s| now + Duration::seconds(i64::from(s))),
        ended_notified_at: None,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(polls::table)
        .values(&poll)
        .execute(conn)?;
    Ok(poll)
}

/// A poll with its counts and the viewer's votes.
#[derive(Debug, Clone)]
pub struct PollView {
    pub poll: Poll,
    pub option_votes: Vec<i64>,
    pub votes_count: i64,
    pub voters_count: i64,
    pub voted: bool,
    pub own_votes: Vec<i32>,
    pub expired: bool,
    /// Totals are hidden until the poll ends (`hide_totals`), except from its author.
    pub totals_hidden: bool,
}

/// The polls of these statuses, keyed by status id, in four queries.
pub fn load_views(
    conn: &mut DbConnection,
    viewer: Viewer,
    status_ids: &[i64],
) -> Result<HashMap<i64, PollView>> {
    let found: Vec<Poll> = polls::table
        .filter(polls::status_id.eq_any(status_ids))
        .select(Poll::as_select())
        .load(conn)?;
    if found.is_empty() {
        return Ok(HashMap::new());
    }
    let poll_ids: Vec<i64> = found.iter().map(|p| p.id).collect();
    let counts: Vec<(i64, i32, i64)> = poll_votes::table
        .filter(poll_votes::poll_id.eq_any(&poll_ids))
        .group_by((poll_votes::poll_id, poll_votes::choice))
        .select((
            poll_votes::poll_id,
            poll_votes::choice,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let voters: Vec<(i64, i64)> = poll_votes::table
        .filter(poll_votes::poll_id.eq_any(&poll_ids))
        .group_by(poll_votes::poll_id)
        .select((
            poll_votes::poll_id,
            diesel::dsl::count(poll_votes::account_id).aggregate_distinct(),
        ))
        .load(conn)?;
    let mine: Vec<(i64, i32)> = match viewer {
        Some(me) => poll_votes::table
            .filter(poll_votes::poll_id.eq_any(&poll_ids))
            .filter(poll_votes::account_id.eq(me))
            .select((poll_votes::poll_id, poll_votes::choice))
            .load(conn)?,
        None => Vec::new(),
    };
    let now = Utc::now().naive_utc();
    Ok(found
        .into_iter()
        .map(|poll| {
            let n = poll.option_titles().len();
            let mut option_votes = vec![0i64; n];
            for (pid, choice, count) in &counts {
                if *pid == poll.id && (*choice as usize) < n {
                    option_votes[*choice as usize] = *count;
                }
            }
            let own_votes: Vec<i32> = mine
                .iter()
                .filter(|(pid, _)| *pid == poll.id)
                .map(|(_, c)| *c)
                .collect();
            let expired = poll.expired(now);
            let view = PollView {
                votes_count: option_votes.iter().sum(),
                voters_count: voters
                    .iter()
                    .find(|(pid, _)| *pid == poll.id)
                    .map_or(0, |(_, c)| *c),
                voted: !own_votes.is_empty() || viewer == Some(poll.account_id),
                own_votes,
                expired,
                totals_hidden: poll.hide_totals && !expired && viewer != Some(poll.account_id),
                option_votes,
                poll,
            };
            (view.poll.status_id, view)
        })
        .collect())
}

fn find_poll(conn: &mut DbConnection, viewer: Viewer, poll_id: i64) -> Result<Poll> {
    let poll: Poll = polls::table
        .find(poll_id)
        .select(Poll::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)?;
    // Only who may see the status may see or answer its poll.
    find_visible(conn, viewer, poll.status_id)?;
    Ok(poll)
}

/// `GET /api/v1/polls/:id`.
pub fn get(conn: &mut DbConnection, viewer: Viewer, poll_id: i64) -> Result<PollView> {
    let poll = find_poll(conn, viewer, poll_id)?;
    load_views(conn, viewer, &[poll.status_id])?
        .remove(&poll.status_id)
        .ok_or_else(Error::not_found)
}

/// An employee votes (once they accepted the usage policy).
pub async fn cast_vote(
    ctx: &AppContext,
    me: &Account,
    poll_id: i64,
    choices: Vec<i32>,
) -> Result<PollView> {
    usage_policy::require_accepted(ctx, me).await?;
    let me = me.id;
    ctx.db
        .write(move |conn| vote(conn, me, poll_id, &choices))
        .await
}

/// `POST /api/v1/polls/:id/votes`.
pub fn vote(conn: &mut DbConnection, me: i64, poll_id: i64, choices: &[i32]) -> Result<PollView> {
    let poll = find_poll(conn, Some(me), poll_id)?;
    let now = Utc::now().naive_utc();
    if poll.expired(now) {
        return Err(Error::unprocessable(
            "Validation failed: The poll has already ended",
        ));
    }
    if poll.account_id == me {
        return Err(Error::unprocessable(
            "Validation failed: You cannot vote in your own poll",
        ));
    }
    let already: i64 = poll_votes::table
        .filter(poll_votes::poll_id.eq(poll.id))
        .filter(poll_votes::account_id.eq(me))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Err(Error::unprocessable(
            "Validation failed: You have already voted on this poll",
        ));
    }
    let n = poll.option_titles().len() as i32;
    let mut choices: Vec<i32> = choices.to_vec();
    choices.sort_unstable();
    choices.dedup();
    if choices.is_empty() || choices.iter().any(|c| *c < 0 || *c >= n) {
        return Err(Error::unprocessable(
            "Validation failed: choices must name options of the poll",
        ));
    }
    if !poll.multiple && choices.len() > 1 {
        return Err(Error::unprocessable(
            "Validation failed: This poll allows only one choice",
        ));
    }
    for choice in choices {
        diesel::insert_into(poll_votes::table)
            .values((
                poll_votes::id.eq(ids::next_id()),
                poll_votes::poll_id.eq(poll.id),
                poll_votes::account_id.eq(me),
                poll_votes::choice.eq(choice),
                poll_votes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    get(conn, Some(me), poll_id)
}

/// Tell voters and authors of polls that ended that the results are in. Each poll is claimed
/// by one app node (the `ended_notified_at` update), so nobody is told twice.
pub fn notify_ended(conn: &mut DbConnection) -> Result<usize> {
    let now: NaiveDateTime = Utc::now().naive_utc();
    let ended: Vec<Poll> = polls::table
        .filter(polls::ended_notified_at.is_null())
        .filter(polls::expires_at.le(now))
        .select(Poll::as_select())
        .limit(100)
        .load(conn)?;
    let mut done = 0;
    for poll in ended {
        let claimed = diesel::update(
            polls::table
                .find(poll.id)
                .filter(polls::ended_notified_at.is_null()),
        )
        .set(polls::ended_notified_at.eq(now))
        .execute(conn)?;
        if claimed == 0 {
            continue;
        }
        let voters: Vec<i64> = poll_votes::table
            .filter(poll_votes::poll_id.eq(poll.id))
            .select(poll_votes::account_id)
            .distinct()
            .load(conn)?;
        // Voters hear it from the author; the author hears of their own poll.
        for voter in voters {
            notifications::notify(conn, voter, poll.account_id, "poll", Some(poll.status_id))?;
        }
        notifications::notify_self(conn, poll.account_id, "poll", Some(poll.status_id))?;
        done += 1;
    }
    Ok(done)
}
