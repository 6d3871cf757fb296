//! The delivery queue behind the outbox: the rows the delivery worker (`apub::delivery`)
//! claims, works through and records, and the rules of retrying and giving up.
//!
//! 1. *Fan-out* ([`prepare`]): an intent of the outbox is claimed, rendered (by the
//!    ActivityPub layer, through a function it passes in) and stored with one delivery row per
//!    destination inbox, in one transaction: a crash before the commit redoes it; after, the
//!    rows are there.
//! 2. *Delivery*: each destination department is worked by one node at a time, holding a
//!    lease on its `federation_domains` row ([`claim_domains`]; several app nodes can share one
//!    PostgreSQL). Its deliveries go out in order ([`due`], [`delivered`]); after a failure
//!    ([`failed`]) the department waits (1 s, doubling, up to
//!    `federation.max_retry_interval_secs`) and then continues where it stopped. Activities
//!    still failing after `federation.give_up_after_hours` are given up.
//! 3. *Cleanup* ([`cleanup`]): what is delivered, and the ids of received activities, are
//!    kept for a while and then dropped.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;
use url::Url;

use crate::config::FederationSettings;
use crate::db::models::Account;
use crate::db::schema::{
    accounts, deliveries, federation_domains, outgoing_activities, received_activities,
};
use crate::db::{DbConnection, ids};
use crate::error::{ErrorKind, Result};
use crate::service::outbox::{self, Outgoing, Subject};
use crate::service::policy::{FederationPolicy, authority};

/// How long a node holds a department before another node may take it over.
const LEASE_SECS: i64 = 60;
/// Delivered rows and processed activity ids are kept this long (for admins, and to spot
/// redeliveries).
const KEEP_DAYS: i64 = 14;
/// Intents prepared, and deliveries sent, per round trip to the database.
const BATCH: i64 = 100;
const DUE_BATCH: i64 = 50;

/// An activity ready to send, as the ActivityPub layer rendered it: its id and type, its
/// JSON, and the inboxes it goes to (before the federation policy has its say).
#[derive(Debug)]
pub struct Rendered {
    pub ap_id: String,
    pub kind: &'static str,
    pub payload: Value,
    pub inboxes: Vec<String>,
}

/// Federation is off: the intents are still recorded; mark them done so they do not pile up.
pub fn discard_unprepared(conn: &mut DbConnection) -> Result<()> {
    diesel::update(outgoing_activities::table.filter(outgoing_activities::prepared_at.is_null()))
        .set(outgoing_activities::prepared_at.eq(Some(Utc::now().naive_utc())))
        .execute(conn)?;
    Ok(())
}

/// The oldest intents not yet prepared, a batch of them.
pub fn unprepared(conn: &mut DbConnection) -> Result<Vec<i64>> {
    Ok(outgoing_activities::table
        .filter(outgoing_activities::prepared_at.is_null())
        .order(outgoing_activities::id.asc())
        .limit(BATCH)
        .select(outgoing_activities::id)
        .load(conn)?)
}

/// Claim intent `id`, render it with `render` and store one delivery per inbox the policy
/// allows. Call inside one write transaction. Nothing is sent when federation is off, when
/// the intent has nothing to send (see [`outbox::subject`]), or when another node claimed it
/// first.
pub fn prepare(
    conn: &mut DbConnection,
    policy: &FederationPolicy,
    min_group: u32,
    id: i64,
    instance_actor: &Account,
    render: impl FnOnce(&Account, &Outgoing, Subject) -> Result<Rendered>,
) -> Result<()> {
    let now = Utc::now().naive_utc();
    // Claim it: another node may be preparing the same row.
    let claimed = diesel::update(
        outgoing_activities::table
            .find(id)
            .filter(outgoing_activities::prepared_at.is_null()),
    )
    .set(outgoing_activities::prepared_at.eq(Some(now)))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(());
    }
    let (actor_id, intent): (Option<i64>, String) = outgoing_activities::table
        .find(id)
        .select((
            outgoing_activities::actor_account_id,
            outgoing_activities::intent,
        ))
        .first(conn)?;
    let what: Outgoing = match serde_json::from_str(&intent) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(outgoing_id = id, error = %e, "unreadable outbox intent; skipped");
            return Ok(());
        }
    };
    if !policy.enabled() {
        return Ok(());
    }
    // No actor account: the department's own act, as its instance actor.
    let found = match actor_id {
        Some(actor_id) => outbox::subject(conn, actor_id, &what),
        None => outbox::instance_subject(conn, policy, min_group, &what)
            .map(|found| found.map(|subject| (instance_actor.clone(), subject))),
    };
    // A row the intent speaks of that is gone by now: a later intent covers that.
    let rendered = match found.and_then(|found| {
        found
            .map(|(actor, subject)| render(&actor, &what, subject))
            .transpose()
    }) {
        Ok(Some(r)) => r,
        Ok(None) => return Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let inboxes = allowed_inboxes(policy, rendered.inboxes);
    let taken: bool = diesel::select(diesel::dsl::exists(
        outgoing_activities::table.filter(outgoing_activities::ap_id.eq(&rendered.ap_id)),
    ))
    .get_result(conn)?;
    diesel::update(outgoing_activities::table.find(id))
        .set((
            outgoing_activities::ap_id.eq((!taken).then_some(rendered.ap_id.clone())),
            outgoing_activities::kind.eq(Some(rendered.kind)),
            outgoing_activities::payload.eq(Some(rendered.payload.to_string())),
            outgoing_activities::recipients.eq(inboxes.len() as i32),
        ))
        .execute(conn)?;
    for (inbox, domain) in &inboxes {
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::id.eq(ids::next_id()),
                deliveries::activity_id.eq(id),
                deliveries::inbox_url.eq(inbox),
                deliveries::domain.eq(domain),
                deliveries::created_at.eq(now),
            ))
            .execute(conn)?;
        let known: bool = diesel::select(diesel::dsl::exists(
            federation_domains::table.filter(federation_domains::domain.eq(domain)),
        ))
        .get_result(conn)?;
        if !known {
            diesel::insert_into(federation_domains::table)
                .values((
                    federation_domains::domain.eq(domain),
                    federation_domains::next_attempt_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    tracing::info!(
        outgoing_id = id,
        activity = %rendered.ap_id,
        kind = rendered.kind,
        inboxes = inboxes.len(),
        "activity prepared"
    );
    Ok(())
}

/// Keep only inboxes the policy allows, each once, in a stable order, with their department.
fn allowed_inboxes(policy: &FederationPolicy, inboxes: Vec<String>) -> Vec<(String, String)> {
    let unique: BTreeSet<String> = inboxes.into_iter().collect();
    unique
        .into_iter()
        .filter_map(|inbox| {
            let parsed = Url::parse(&inbox).ok()?;
            match policy.check_url(&parsed) {
                Ok(()) => Some((inbox, authority(&parsed)?)),
                Err(e) => {
                    tracing::warn!(%inbox, error = %e, "not delivering to an inbox outside the policy");
                    None
                }
            }
        })
        .collect()
}

/// Take the lease of up to `limit` departments that have deliveries due, for `node`, leaving
/// out those it is already working on (`busy`).
pub fn claim_domains(
    conn: &mut DbConnection,
    node: &str,
    busy: &[String],
    limit: i64,
) -> Result<Vec<String>> {
    let now = Utc::now().naive_utc();
    let candidates: Vec<String> = federation_domains::table
        .filter(federation_domains::next_attempt_at.le(now))
        .filter(
            federation_domains::lease_until
                .is_null()
                .or(federation_domains::lease_until.lt(now))
                .or(federation_domains::lease_owner.eq(node)),
        )
        .filter(diesel::dsl::exists(
            deliveries::table
                .filter(deliveries::domain.eq(federation_domains::domain))
                .filter(deliveries::delivered_at.is_null())
                .filter(deliveries::failed_at.is_null()),
        ))
        .order(federation_domains::next_attempt_at.asc())
        .limit(limit + busy.len() as i64)
        .select(federation_domains::domain)
        .load(conn)?;
    let mut claimed = Vec::new();
    for domain in candidates {
        if busy.contains(&domain) || claimed.len() as i64 >= limit {
            continue;
        }
        // Conditional update: of several nodes racing for a department, one wins.
        let won = diesel::update(
            federation_domains::table.find(&domain).filter(
                federation_domains::lease_until
                    .is_null()
                    .or(federation_domains::lease_until.lt(now))
                    .or(federation_domains::lease_owner.eq(node)),
            ),
        )
        .set((
            federation_domains::lease_owner.eq(Some(node)),
            federation_domains::lease_until.eq(Some(now + Duration::seconds(LEASE_SECS))),
        ))
        .execute(conn)?;
        if won == 1 {
            claimed.push(domain);
        }
    }
    Ok(claimed)
}

/// A delivery waiting to be sent.
#[derive(Debug, Clone, Queryable)]
pub struct Due {
    pub delivery_id: i64,
    pub inbox: String,
    /// The activity's JSON, as stored when it was prepared.
    pub payload: Option<String>,
    pub actor_account_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// The next deliveries to `domain`, oldest first, a batch of them.
pub fn due(conn: &mut DbConnection, domain: &str) -> Result<Vec<Due>> {
    Ok(deliveries::table
        .inner_join(outgoing_activities::table)
        .filter(deliveries::domain.eq(domain))
        .filter(deliveries::delivered_at.is_null())
        .filter(deliveries::failed_at.is_null())
        .order(deliveries::id.asc())
        .limit(DUE_BATCH)
        .select((
            deliveries::id,
            deliveries::inbox_url,
            outgoing_activities::payload,
            outgoing_activities::actor_account_id,
            deliveries::created_at,
        ))
        .load(conn)?)
}

/// Give up what waits for a department the federation policy now refuses (suspended while
/// it was queued): nothing goes out to it, and nothing is sent later should it be allowed
/// again. Returns how many deliveries were given up. Call inside a write transaction.
pub fn give_up_refused(conn: &mut DbConnection, domain: &str) -> Result<usize> {
    let now = Utc::now().naive_utc();
    Ok(diesel::update(
        deliveries::table
            .filter(deliveries::domain.eq(domain))
            .filter(deliveries::delivered_at.is_null())
            .filter(deliveries::failed_at.is_null()),
    )
    .set((
        deliveries::failed_at.eq(Some(now)),
        deliveries::last_error.eq(Some("refused by the federation policy")),
    ))
    .execute(conn)?)
}

/// The account an activity is sent as (suspended or not: what it did before is delivered).
pub fn sender(conn: &mut DbConnection, account_id: i64) -> Result<Account> {
    Ok(accounts::table
        .find(account_id)
        .select(Account::as_select())
        .first(conn)?)
}

/// The other side answered: the delivery is done, the department is well, and `node` keeps
/// its lease a while longer.
pub fn delivered(
    conn: &mut DbConnection,
    node: &str,
    domain: &str,
    delivery_id: i64,
) -> Result<()> {
    crate::db::commit_without_flush_wait(conn)?;
    let now = Utc::now().naive_utc();
    diesel::update(deliveries::table.find(delivery_id))
        .set((
            deliveries::delivered_at.eq(Some(now)),
            deliveries::attempts.eq(deliveries::attempts + 1),
        ))
        .execute(conn)?;
    diesel::update(federation_domains::table.find(domain))
        .set((
            federation_domains::failures.eq(0),
            federation_domains::last_success_at.eq(Some(now)),
            federation_domains::last_error.eq(None::<String>),
            federation_domains::lease_until.eq(Some(now + Duration::seconds(LEASE_SECS))),
        ))
        .filter(federation_domains::lease_owner.eq(node))
        .execute(conn)?;
    Ok(())
}

/// Another department refused delivery `delivery_id` for good (it answered a 4xx that is not
/// retried): given up now with the answer as its error. The department answered, so it is
/// not waited for: its next deliveries go on, and its status shows the refusal.
pub fn refused(
    conn: &mut DbConnection,
    node: &str,
    domain: &str,
    delivery_id: i64,
    message: &str,
) -> Result<()> {
    let now = Utc::now().naive_utc();
    diesel::update(deliveries::table.find(delivery_id))
        .set((
            deliveries::failed_at.eq(Some(now)),
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::last_error.eq(Some(message)),
        ))
        .execute(conn)?;
    diesel::update(federation_domains::table.find(domain))
        .set((
            federation_domains::failures.eq(0),
            federation_domains::last_failure_at.eq(Some(now)),
            federation_domains::last_error.eq(Some(message)),
            federation_domains::lease_until.eq(Some(now + Duration::seconds(LEASE_SECS))),
        ))
        .filter(federation_domains::lease_owner.eq(node))
        .execute(conn)?;
    Ok(())
}

/// `node` is done with `domain` for now: another node (or this one, later) may take it.
pub fn release(conn: &mut DbConnection, node: &str, domain: &str) -> Result<()> {
    diesel::update(
        federation_domains::table
            .find(domain)
            .filter(federation_domains::lease_owner.eq(node)),
    )
    .set((
        federation_domains::lease_owner.eq(None::<String>),
        federation_domains::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// A delivery failed with `message`: the department waits before its next attempt (1 s,
/// doubling with each failure in a row, up to `federation.max_retry_interval_secs`), and its
/// deliveries older than `federation.give_up_after_hours` are given up. Returns the failures
/// in a row and the wait in seconds.
pub fn failed(
    conn: &mut DbConnection,
    federation: &FederationSettings,
    domain: &str,
    delivery: &Due,
    message: &str,
) -> Result<(i32, i64)> {
    let max = federation.max_retry_interval_secs.max(1) as i64;
    let give_up = Duration::hours(federation.give_up_after_hours as i64);
    let now = Utc::now().naive_utc();
    let failures: i32 = federation_domains::table
        .find(domain)
        .select(federation_domains::failures)
        .first(conn)?;
    let failures = failures.saturating_add(1);
    let wait = 1i64
        .checked_shl(failures.min(40) as u32 - 1)
        .unwrap_or(max)
        .min(max);
    diesel::update(deliveries::table.find(delivery.delivery_id))
        .set((
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::last_error.eq(Some(message)),
        ))
        .execute(conn)?;
    diesel::update(federation_domains::table.find(domain))
        .set((
            federation_domains::failures.eq(failures),
            federation_domains::next_attempt_at.eq(now + Duration::seconds(wait)),
            federation_domains::last_failure_at.eq(Some(now)),
            federation_domains::last_error.eq(Some(message)),
        ))
        .execute(conn)?;
    if delivery.created_at < now - give_up {
        let given_up = diesel::update(
            deliveries::table
                .filter(deliveries::domain.eq(domain))
                .filter(deliveries::delivered_at.is_null())
                .filter(deliveries::failed_at.is_null())
                .filter(deliveries::created_at.lt(now - give_up)),
        )
        .set(deliveries::failed_at.eq(Some(now)))
        .execute(conn)?;
        tracing::warn!(
            domain,
            given_up,
            "gave up deliveries older than the retry limit"
        );
    }
    Ok((failures, wait))
}

/// Drop what no one needs any more: delivered rows and fully delivered activities after
/// `KEEP_DAYS`, and remembered inbound activity ids after the same time.
pub fn cleanup(conn: &mut DbConnection) -> Result<()> {
    let before = Utc::now().naive_utc() - Duration::days(KEEP_DAYS);
    diesel::delete(
        deliveries::table
            .filter(deliveries::created_at.lt(before))
            .filter(
                deliveries::delivered_at
                    .is_not_null()
                    .or(deliveries::failed_at.is_not_null()),
            ),
    )
    .execute(conn)?;
    diesel::delete(
        outgoing_activities::table
            .filter(outgoing_activities::created_at.lt(before))
            .filter(outgoing_activities::prepared_at.is_not_null())
            .filter(diesel::dsl::not(diesel::dsl::exists(
                deliveries::table.filter(deliveries::activity_id.eq(outgoing_activities::id)),
            ))),
    )
    .execute(conn)?;
    diesel::delete(received_activities::table.filter(received_activities::received_at.lt(before)))
        .execute(conn)?;
    Ok(())
}

/// An admin asks for a department's waiting deliveries to be tried now, not at their next
/// attempt after backoff (its failures so far still count). Returns whether the department
/// has a delivery queue. Audited.
pub fn retry_now(
    conn: &mut DbConnection,
    by: &crate::service::audit::Actor,
    domain: &str,
) -> Result<bool> {
    let now = Utc::now().naive_utc();
    let updated = diesel::update(federation_domains::table.find(domain))
        .set(federation_domains::next_attempt_at.eq(now))
        .execute(conn)?;
    if updated == 0 {
        return Ok(false);
    }
    crate::service::audit::record(
        conn,
        by,
        "federation.retry",
        crate::service::audit::Target::new("domain", domain, domain),
        "",
        serde_json::json!({}),
    )?;
    crate::service::events::emit(conn, crate::service::events::Event::OutboxReady)?;
    Ok(true)
}
