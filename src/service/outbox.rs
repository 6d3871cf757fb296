//! The federation outbox. A service function that changes something other departments must
//! hear of calls [`enqueue`] inside its write transaction: the intent is stored with the change
//! or not at all. The delivery worker later loads what each intent speaks of ([`subject`]:
//! the rows, and who must hear of it), has the ActivityPub layer render it and delivers it
//! (see `service::delivery` and `apub::delivery`). The service layer only says *what
//! happened*; it never builds ActivityPub JSON.

use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::models::{Account, Status};
use crate::db::schema::{
    accounts, deliveries, federation_domains, follows, mentions, outgoing_activities, statuses,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::announcements;
use crate::service::events::{self, Event};
use crate::service::policy::FederationPolicy;
use crate::service::views::{self, StatusView};
use crate::service::visibility::Visibility;

/// What happened, in terms of our own rows. Rows that are gone by the time the worker renders
/// the intent are described by the intent itself (the Undo variants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outgoing {
    CreateStatus {
        status_id: i64,
    },
    UpdateStatus {
        status_id: i64,
    },
    DeleteStatus {
        status_id: i64,
    },
    /// A post that left the department and that a policy rule now keeps in it: a Delete to
    /// where it went (its audience as of `visibility`, the one it had then).
    WithdrawStatus {
        status_id: i64,
        visibility: String,
    },
    Announce {
        boost_id: i64,
    },
    UndoAnnounce {
        boost_id: i64,
    },
    Like {
        favourite_id: i64,
        status_id: i64,
    },
    UndoLike {
        favourite_id: i64,
        status_id: i64,
    },
    Follow {
        follow_id: i64,
    },
    UndoFollow {
        follow_ap_id: String,
        target_account_id: i64,
    },
    Accept {
        follow_ap_id: String,
        follower_account_id: i64,
    },
    Reject {
        follow_ap_id: String,
        follower_account_id: i64,
    },
    Block {
        block_id: i64,
        target_account_id: i64,
    },
    UndoBlock {
        block_id: i64,
        target_account_id: i64,
    },
    UpdateProfile,
    /// A report filed here about an account of another department, forwarded there. Sent as
    /// the instance actor (never as the employee who reported) — see [`enqueue_as_instance`].
    Flag {
        report_id: i64,
    },
    /// A company-wide announcement, to every department (as the instance actor).
    PublishAnnouncement {
        announcement_id: i64,
    },
    UpdateAnnouncement {
        announcement_id: i64,
    },
    /// Withdrawn (deleted here, or no longer company-wide).
    WithdrawAnnouncement {
        announcement_id: i64,
    },
    /// How many here another department's announcement reached and how many read it, to
    /// that department (as the instance actor).
    ReportAnnouncementReads {
        announcement_id: i64,
    },
}

/// Record that `actor_account_id` did `what`. Call inside the write transaction of the change.
pub fn enqueue(conn: &mut DbConnection, actor_account_id: i64, what: Outgoing) -> Result<()> {
    let intent = serde_json::to_string(&what).map_err(crate::error::Error::internal)?;
    diesel::insert_into(outgoing_activities::table)
        .values((
            outgoing_activities::id.eq(ids::next_id()),
            outgoing_activities::actor_account_id.eq(Some(actor_account_id)),
            outgoing_activities::intent.eq(intent),
            outgoing_activities::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    events::emit(conn, Event::OutboxReady)?;
    Ok(())
}

/// Record that the department itself (its instance actor, stored as no actor) does `what`.
/// Call inside the write transaction of the change.
pub fn enqueue_as_instance(conn: &mut DbConnection, what: Outgoing) -> Result<()> {
    let intent = serde_json::to_string(&what).map_err(crate::error::Error::internal)?;
    diesel::insert_into(outgoing_activities::table)
        .values((
            outgoing_activities::id.eq(ids::next_id()),
            outgoing_activities::actor_account_id.eq(None::<i64>),
            outgoing_activities::intent.eq(intent),
            outgoing_activities::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    events::emit(conn, Event::OutboxReady)?;
    Ok(())
}

/// What an intent speaks of, loaded for rendering: the rows, and the inboxes of who must hear
/// of it (before the federation policy has its say).
// One is made per intent and moved once, so the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Subject {
    /// `CreateStatus`, `UpdateStatus`: the post with all it carries.
    Status {
        view: StatusView,
        audience: Vec<String>,
    },
    /// `DeleteStatus`: the deleted post and the ids of the accounts it mentioned.
    DeletedStatus {
        status: Status,
        mentioned: Vec<String>,
        audience: Vec<String>,
    },
    /// `Announce`, `UndoAnnounce`.
    Boost {
        boost: Status,
        original: Status,
        original_author: Account,
        audience: Vec<String>,
    },
    /// `Like`, `UndoLike`: the post and its author, of another department.
    Liked { status: Status, author: Account },
    /// `Follow`: whom, and the follow's own id if it has one.
    Follow {
        target: Account,
        ap_id: Option<String>,
    },
    /// `UndoFollow`, `Block`, `UndoBlock`: the target; `Accept`, `Reject`: the follower.
    Account(Account),
    /// `UpdateProfile`: the actor's profile goes to its followers and followees.
    Profile { audience: Vec<String> },
    /// `Flag`: the reported account, the ids of the reported posts, and the comment.
    Flag {
        target: Account,
        statuses: Vec<String>,
        comment: String,
    },
    /// `PublishAnnouncement`, `UpdateAnnouncement`: the announcement and every department.
    Announcement {
        announcement: crate::service::announcements::Announcement,
        audience: Vec<String>,
    },
    /// `WithdrawAnnouncement`: its id and every department.
    WithdrawnAnnouncement {
        announcement_id: i64,
        audience: Vec<String>,
    },
    /// `ReportAnnouncementReads`: the other department's announcement, its inbox, and the
    /// figures (readers `None`: fewer than `metrics.min_group_size`).
    AnnouncementReads {
        ap_id: String,
        inbox: String,
        audience: i64,
        readers: Option<i64>,
    },
}

/// What `what`, done by `actor_account_id`, speaks of, with the actor. `None`: nothing to
/// send (not an employee's act, the post became department-only, the follow was withdrawn).
/// A row that is gone answers NotFound: a later intent covers that.
pub fn subject(
    conn: &mut DbConnection,
    actor_account_id: i64,
    what: &Outgoing,
) -> Result<Option<(Account, Subject)>> {
    let actor = find_account(conn, actor_account_id)?;
    if !actor.is_local() {
        return Ok(None);
    }
    let subject = match what {
        Outgoing::CreateStatus { status_id } | Outgoing::UpdateStatus { status_id } => {
            let status = find_status(conn, *status_id)?;
            if status.deleted_at.is_some() || status.stays_here() {
                return Ok(None);
            }
            // Held for review: its approval sends it (an Update, for a held edit).
            if status.held_for_review.is_some() {
                return Ok(None);
            }
            // A boost is announced, never created.
            if status.reblog_of_id.is_some() {
                return Err(Error::not_found());
            }
            let audience = status_audience(conn, &status)?;
            let view = views::hydrate_one(conn, None, status)?;
            Subject::Status { view, audience }
        }
        Outgoing::DeleteStatus { status_id } | Outgoing::WithdrawStatus { status_id, .. } => {
            let mut status = find_status(conn, *status_id)?;
            if let Outgoing::WithdrawStatus { visibility, .. } = what {
                // Told as it was when it left.
                status.visibility = visibility.clone();
                status.local_only = false;
            }
            if status.stays_here() {
                return Ok(None);
            }
            let mentioned: Vec<String> = mentions::table
                .inner_join(accounts::table)
                .filter(mentions::status_id.eq(status.id))
                .select(accounts::ap_id)
                .load(conn)?;
            let audience = status_audience(conn, &status)?;
            Subject::DeletedStatus {
                status,
                mentioned,
                audience,
            }
        }
        Outgoing::Announce { boost_id } | Outgoing::UndoAnnounce { boost_id } => {
            let boost = find_status(conn, *boost_id)?;
            let Some(original_id) = boost.reblog_of_id else {
                return Ok(None);
            };
            let original = find_status(conn, original_id)?;
            if original.stays_here() || boost.stays_here() {
                return Ok(None);
            }
            let original_author = find_account(conn, original.account_id)?;
            let mut audience = follower_inboxes(conn, actor.id)?;
            if !original_author.is_local() {
                audience.push(inbox_of(&original_author));
            }
            Subject::Boost {
                boost,
                original,
                original_author,
                audience,
            }
        }
        Outgoing::Like { status_id, .. } | Outgoing::UndoLike { status_id, .. } => {
            let status = find_status(conn, *status_id)?;
            let author = find_account(conn, status.account_id)?;
            if author.is_local() {
                return Ok(None);
            }
            Subject::Liked { status, author }
        }
        Outgoing::Follow { follow_id } => {
            let Some((target_id, ap_id)) = follows::table
                .find(follow_id)
                .select((follows::target_account_id, follows::ap_id))
                .first::<(i64, Option<String>)>(conn)
                .optional()?
            else {
                // Withdrawn before it was sent: the Undo intent that follows says so.
                return Ok(None);
            };
            Subject::Follow {
                target: find_account(conn, target_id)?,
                ap_id,
            }
        }
        Outgoing::UndoFollow {
            target_account_id, ..
        }
        | Outgoing::Block {
            target_account_id, ..
        }
        | Outgoing::UndoBlock {
            target_account_id, ..
        } => Subject::Account(find_account(conn, *target_account_id)?),
        Outgoing::Accept {
            follower_account_id,
            ..
        }
        | Outgoing::Reject {
            follower_account_id,
            ..
        } => Subject::Account(find_account(conn, *follower_account_id)?),
        Outgoing::UpdateProfile => {
            let mut audience = follower_inboxes(conn, actor.id)?;
            audience.extend(followee_inboxes(conn, actor.id)?);
            Subject::Profile { audience }
        }
        // The department's own acts: see `instance_subject`.
        Outgoing::Flag { .. }
        | Outgoing::PublishAnnouncement { .. }
        | Outgoing::UpdateAnnouncement { .. }
        | Outgoing::WithdrawAnnouncement { .. }
        | Outgoing::ReportAnnouncementReads { .. } => return Ok(None),
    };
    Ok(Some((actor, subject)))
}

/// What an intent of the department itself (no actor account: the instance actor) speaks
/// of. `None`: nothing to send.
pub fn instance_subject(
    conn: &mut DbConnection,
    policy: &FederationPolicy,
    min_group: u32,
    what: &Outgoing,
) -> Result<Option<Subject>> {
    use crate::db::models::Report;
    use crate::db::schema::reports;
    match what {
        Outgoing::Flag { report_id } => {
            let report: Report = reports::table
                .find(report_id)
                .select(Report::as_select())
                .first(conn)?;
            let target = find_account(conn, report.target_account_id)?;
            if target.is_local() {
                return Ok(None);
            }
            let ids = report.status_id_list();
            let statuses: Vec<String> = if ids.is_empty() {
                Vec::new()
            } else {
                statuses::table
                    .filter(statuses::id.eq_any(&ids))
                    .filter(statuses::account_id.eq(target.id))
                    .select(statuses::ap_id)
                    .load(conn)?
            };
            Ok(Some(Subject::Flag {
                target,
                statuses,
                comment: report.comment,
            }))
        }
        _ => announcements::subject(conn, policy, min_group, what),
    }
}

fn find_account(conn: &mut DbConnection, id: i64) -> Result<Account> {
    Ok(accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)?)
}

fn find_status(conn: &mut DbConnection, id: i64) -> Result<Status> {
    Ok(statuses::table
        .find(id)
        .select(Status::as_select())
        .first(conn)?)
}

/// Where to deliver to an account: its department's shared inbox, else its own.
fn inbox_of(account: &Account) -> String {
    account
        .shared_inbox_url
        .clone()
        .unwrap_or_else(|| account.inbox_url.clone())
}

/// Inboxes of the remote accounts following `account_id` (shared inboxes once each).
fn follower_inboxes(conn: &mut DbConnection, account_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(account_id))
        .filter(follows::accepted.eq(true))
        .filter(accounts::domain.is_not_null())
        .filter(accounts::suspended_at.is_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, s)| s.unwrap_or(i)).collect())
}

/// Inboxes of remote accounts `account_id` follows (for profile updates).
fn followee_inboxes(conn: &mut DbConnection, account_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::account_id.eq(account_id))
        .filter(accounts::domain.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, s)| s.unwrap_or(i)).collect())
}

fn mentioned_inboxes(conn: &mut DbConnection, status_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = mentions::table
        .inner_join(accounts::table)
        .filter(mentions::status_id.eq(status_id))
        .filter(accounts::domain.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, s)| s.unwrap_or(i)).collect())
}

/// Who hears of a post: remote followers (unless direct), remote mentioned accounts, and the
/// author of the post it replies to.
fn status_audience(conn: &mut DbConnection, status: &Status) -> Result<Vec<String>> {
    let visibility: Visibility = status.visibility.parse()?;
    let mut inboxes = mentioned_inboxes(conn, status.id)?;
    if visibility != Visibility::Direct {
        inboxes.extend(follower_inboxes(conn, status.account_id)?);
    }
    if let Some(parent_author) = status.in_reply_to_account_id {
        let parent_author = find_account(conn, parent_author)?;
        if !parent_author.is_local() && visibility != Visibility::Direct {
            inboxes.push(inbox_of(&parent_author));
        }
    }
    Ok(inboxes)
}

/// Queue figures for admins and logs.
#[derive(Debug, Clone, Serialize)]
pub struct QueueStats {
    /// Intents not yet rendered and fanned out.
    pub unprepared: i64,
    /// Deliveries waiting to be sent.
    pub pending: i64,
    /// Deliveries given up after `federation.give_up_after_hours`.
    pub failed: i64,
    pub delivered: i64,
    /// Age in seconds of the oldest pending delivery (0 when nothing waits).
    pub oldest_pending_secs: i64,
    pub domains: Vec<DomainStats>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainStats {
    pub domain: String,
    pub pending: i64,
    /// Age in seconds of its oldest waiting delivery: how far behind it is (0 when none).
    pub lag_secs: i64,
    pub failures: i32,
    pub next_attempt_at: chrono::NaiveDateTime,
    pub last_success_at: Option<chrono::NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn stats(conn: &mut DbConnection) -> Result<QueueStats> {
    stats_counting(conn, true)
}

/// [`stats`] without `delivered` (left 0): that count grows with every delivery ever made,
/// too slow to take at every Prometheus scrape.
pub fn queue_stats(conn: &mut DbConnection) -> Result<QueueStats> {
    stats_counting(conn, false)
}

fn stats_counting(conn: &mut DbConnection, count_delivered: bool) -> Result<QueueStats> {
    let unprepared: i64 = outgoing_activities::table
        .filter(outgoing_activities::prepared_at.is_null())
        .count()
        .get_result(conn)?;
    let pending_q = deliveries::table
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null());
    let pending: i64 = pending_q.count().get_result(conn)?;
    let oldest: Option<chrono::NaiveDateTime> = pending_q
        .select(diesel::dsl::min(deliveries::created_at))
        .first(conn)?;
    let failed: i64 = deliveries::table
        .filter(deliveries::failed_at.is_not_null())
        .count()
        .get_result(conn)?;
    let delivered: i64 = if count_delivered {
        deliveries::table
            .filter(deliveries::delivered_at.is_not_null())
            .count()
            .get_result(conn)?
    } else {
        0
    };
    let now = Utc::now().naive_utc();
    let per_domain: Vec<(String, i64, Option<chrono::NaiveDateTime>)> = deliveries::table
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null())
        .group_by(deliveries::domain)
        .select((
            deliveries::domain,
            diesel::dsl::count_star(),
            diesel::dsl::min(deliveries::created_at),
        ))
        .load(conn)?;
    type Row = (
        String,
        i32,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
        Option<String>,
    );
    let rows: Vec<Row> = federation_domains::table
        .order(federation_domains::domain.asc())
        .select((
            federation_domains::domain,
            federation_domains::failures,
            federation_domains::next_attempt_at,
            federation_domains::last_success_at,
            federation_domains::last_error,
        ))
        .load(conn)?;
    let domains = rows
        .into_iter()
        .map(
            |(domain, failures, next_attempt_at, last_success_at, last_error)| {
                let (pending, oldest) = per_domain
                    .iter()
                    .find(|(d, _, _)| *d == domain)
                    .map(|(_, n, oldest)| (*n, *oldest))
                    .unwrap_or((0, None));
                DomainStats {
                    pending,
                    lag_secs: oldest.map_or(0, |t| (now - t).num_seconds().max(0)),
                    domain,
                    failures,
                    next_attempt_at,
                    last_success_at,
                    last_error,
                }
            },
        )
        .collect();
    Ok(QueueStats {
        unprepared,
        pending,
        failed,
        delivered,
        oldest_pending_secs: oldest
            .map(|t| (Utc::now().naive_utc() - t).num_seconds().max(0))
            .unwrap_or(0),
        domains,
    })
}
