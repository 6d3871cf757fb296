//! The federation outbox. A service function that changes something other departments must
//! hear of calls [`enqueue`] inside its write transaction: the intent is stored with the change
//! or not at all. The ActivityPub layer's delivery worker later renders each intent into an
//! activity, works out the recipients and delivers it (see `apub::delivery`). The service layer
//! only says *what happened*; it never builds ActivityPub JSON.

use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{deliveries, federation_domains, outgoing_activities};
use crate::db::{DbConnection, ids};
use crate::error::Result;
use crate::service::events::{self, Event};

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
    pub failures: i32,
    pub next_attempt_at: chrono::NaiveDateTime,
    pub last_success_at: Option<chrono::NaiveDateTime>,
    pub last_error: Option<String>,
}

pub fn stats(conn: &mut DbConnection) -> Result<QueueStats> {
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
    let delivered: i64 = deliveries::table
        .filter(deliveries::delivered_at.is_not_null())
        .count()
        .get_result(conn)?;
    let per_domain: Vec<(String, i64)> = deliveries::table
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null())
        .group_by(deliveries::domain)
        .select((deliveries::domain, diesel::dsl::count_star()))
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
            |(domain, failures, next_attempt_at, last_success_at, last_error)| DomainStats {
                pending: per_domain
                    .iter()
                    .find(|(d, _)| *d == domain)
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
                domain,
                failures,
                next_attempt_at,
                last_success_at,
                last_error,
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
