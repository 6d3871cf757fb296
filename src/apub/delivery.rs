//! The delivery worker: turns outbox intents into signed POSTs to other departments.
//!
//! 1. *Fan-out*: each new intent is rendered into an activity and one delivery row per
//!    destination inbox, in one transaction (a crash before the commit redoes it; after, the
//!    rows are there).
//! 2. *Delivery*: each destination department is worked by one node at a time, holding a lease
//!    on its `federation_domains` row (several app nodes can share one PostgreSQL). Its
//!    deliveries go out in order; after a failure the department waits (1 s, doubling, up to
//!    `federation.max_retry_interval_secs`) and then continues where it stopped. Activities
//!    still failing after `federation.give_up_after_hours` are given up.
//!
//! A delivery is marked done right after the other side answered, so a crash can at worst send
//! one activity twice — which the receiver ignores, since inboxes are idempotent by activity id.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::traits::Activity;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;
use url::Url;

use crate::apub::objects::ApubActor;
use crate::apub::{FedData, render};
use crate::context::AppContext;
use crate::db::DbConnection;
use crate::db::ids;
use crate::db::models::Account;
use crate::db::schema::{
    accounts, deliveries, federation_domains, outgoing_activities, received_activities,
};
use crate::error::{Error, Result};
use crate::service::events::Event;
use crate::service::outbox::Outgoing;

/// How long a node holds a department before another node may take it over.
const LEASE_SECS: i64 = 60;
/// Delivered rows and processed activity ids are kept this long (for admins, and to spot
/// redeliveries).
const KEEP_DAYS: i64 = 14;

/// Start the worker of this node. It stops when the event bus announces shutdown.
///
/// `node` names this app node stably across restarts (host name and listen address: two
/// processes cannot share both), so a node that crashed takes its leases back at once
/// instead of waiting for them to expire.
pub fn spawn(ctx: AppContext, node: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(ctx, node))
}

/// This node's name: host name and listen address.
pub fn node_name(addr: std::net::SocketAddr) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}/{addr}")
}

/// Wait up to `period` for the node to shut down; true if it does.
async fn shutting_down(
    events: &mut tokio::sync::broadcast::Receiver<Event>,
    period: StdDuration,
) -> bool {
    let deadline = tokio::time::sleep(period);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(Event::Shutdown) | Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return true;
                }
                _ => {}
            },
            _ = &mut deadline => return false,
        }
    }
}

/// The worker loop. Every database call is awaited before the loop looks at shutdown, and
/// on shutdown the departments being delivered to finish their current request: the process
/// must not exit while a blocking thread is inside the database driver.
async fn run(ctx: AppContext, node: String) {
    let mut events = ctx.events.subscribe();
    while ctx.policy.enabled() && ctx.federation.get().is_none() {
        if shutting_down(&mut events, StdDuration::from_secs(5)).await {
            return;
        }
        if let Err(e) = crate::apub::init(&ctx).await {
            tracing::debug!(error = %e, "federation is still not ready");
        }
    }
    let Ok(data) = crate::apub::data(&ctx) else {
        // Federation off: intents are still recorded; mark them done so they do not pile up.
        loop {
            if let Err(e) = ctx.db.write(discard_unprepared).await {
                tracing::warn!(error = %e, "cannot clear the outbox");
            }
            if shutting_down(&mut events, StdDuration::from_secs(60)).await {
                return;
            }
        }
    };
    let stopping = Arc::new(AtomicBool::new(false));
    let mut working: JoinSet<String> = JoinSet::new();
    let mut busy: HashSet<String> = HashSet::new();
    let mut last_cleanup = Utc::now().naive_utc() - Duration::days(1);
    tracing::info!(node = %node, "delivery worker started");
    loop {
        if let Err(e) = prepare_all(&ctx).await {
            tracing::warn!(error = %e, "cannot prepare outgoing activities");
        }
        let free = ctx
            .settings
            .federation
            .delivery_concurrency
            .saturating_sub(busy.len());
        if free > 0 {
            let node2 = node.clone();
            let busy2: Vec<String> = busy.iter().cloned().collect();
            match ctx
                .db
                .write(move |conn| claim_domains(conn, &node2, &busy2, free as i64))
                .await
            {
                Ok(claimed) => {
                    for domain in claimed {
                        busy.insert(domain.clone());
                        let (data, node) = (data.reset_request_count(), node.clone());
                        let stopping = stopping.clone();
                        working.spawn(async move {
                            deliver_domain(&data, &node, &domain, &stopping).await;
                            domain
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot claim departments to deliver to"),
            }
        }
        let now = Utc::now().naive_utc();
        if now - last_cleanup > Duration::hours(1) {
            last_cleanup = now;
            if let Err(e) = ctx.db.write(cleanup).await {
                tracing::warn!(error = %e, "cannot clean up old deliveries");
            }
        }
        tokio::select! {
            event = events.recv() => {
                if matches!(
                    event,
                    Ok(Event::Shutdown) | Err(tokio::sync::broadcast::error::RecvError::Closed)
                ) {
                    tracing::info!(departments = working.len(), "delivery worker stopping");
                    stopping.store(true, Ordering::SeqCst);
                    while working.join_next().await.is_some() {}
                    return;
                }
            }
            Some(done) = working.join_next(), if !working.is_empty() => {
                if let Ok(domain) = done {
                    busy.remove(&domain);
                }
            }
            _ = tokio::time::sleep(StdDuration::from_millis(1000)) => {}
        }
    }
}

fn discard_unprepared(conn: &mut DbConnection) -> Result<()> {
    diesel::update(outgoing_activities::table.filter(outgoing_activities::prepared_at.is_null()))
        .set(outgoing_activities::prepared_at.eq(Some(Utc::now().naive_utc())))
        .execute(conn)?;
    Ok(())
}

/// Render and fan out every intent not yet prepared.
pub async fn prepare_all(ctx: &AppContext) -> Result<usize> {
    let mut total = 0;
    loop {
        let batch: Vec<i64> = ctx
            .db
            .read(|conn| {
                Ok(outgoing_activities::table
                    .filter(outgoing_activities::prepared_at.is_null())
                    .order(outgoing_activities::id.asc())
                    .limit(100)
                    .select(outgoing_activities::id)
                    .load(conn)?)
            })
            .await?;
        if batch.is_empty() {
            return Ok(total);
        }
        for id in batch {
            let (settings, policy) = (ctx.settings.clone(), ctx.policy.clone());
            ctx.db
                .write(move |conn| prepare_one(conn, &settings, &policy, id))
                .await?;
            total += 1;
        }
    }
}

fn prepare_one(
    conn: &mut DbConnection,
    settings: &crate::config::Settings,
    policy: &crate::service::policy::FederationPolicy,
    id: i64,
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
    let Some(actor_id) = actor_id else {
        return Ok(());
    };
    let rendered = if policy.enabled() {
        match render::intent(conn, settings, actor_id, id, &what) {
            Ok(r) => r,
            Err(e) if e.kind() == crate::error::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let Some(rendered) = rendered else {
        return Ok(());
    };
    let inboxes = render::allowed_inboxes(policy, rendered.inboxes);
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

/// Take the lease of up to `limit` departments that have deliveries due.
fn claim_domains(
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

/// An activity as stored, for the library's signer.
#[derive(Debug)]
struct StoredActivity {
    id: Url,
    actor: Url,
    payload: Value,
}

impl Serialize for StoredActivity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.payload.serialize(s)
    }
}

#[async_trait::async_trait]
impl Activity for StoredActivity {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _data: &FedData) -> Result<()> {
        Ok(())
    }

    async fn receive(self, _data: &FedData) -> Result<()> {
        Ok(())
    }
}

type Due = (i64, String, i64, Option<String>, Option<i64>, NaiveDateTime);

/// Send a department's pending deliveries in order until done or one fails.
#[tracing::instrument(skip(data, node))]
async fn deliver_domain(data: &FedData, node: &str, domain: &str, stopping: &AtomicBool) {
    let mut actors: HashMap<i64, ApubActor> = HashMap::new();
    let outcome: Result<()> = async {
        loop {
            let d = domain.to_string();
            let due: Vec<Due> = data
                .db
                .read(move |conn| {
                    Ok(deliveries::table
                        .inner_join(outgoing_activities::table)
                        .filter(deliveries::domain.eq(&d))
                        .filter(deliveries::delivered_at.is_null())
                        .filter(deliveries::failed_at.is_null())
                        .order(deliveries::id.asc())
                        .limit(50)
                        .select((
                            deliveries::id,
                            deliveries::inbox_url,
                            outgoing_activities::id,
                            outgoing_activities::payload,
                            outgoing_activities::actor_account_id,
                            deliveries::created_at,
                        ))
                        .load(conn)?)
                })
                .await?;
            if due.is_empty() {
                return Ok(());
            }
            for (delivery_id, inbox, _activity, payload, actor_id, created_at) in due {
                if stopping.load(Ordering::SeqCst) {
                    return Ok(());
                }
                let sent = send_one(data, &mut actors, &inbox, payload, actor_id).await;
                let now = Utc::now().naive_utc();
                match sent {
                    Ok(()) => {
                        let d = domain.to_string();
                        let node = node.to_string();
                        data.db
                            .write(move |conn| {
                                diesel::update(deliveries::table.find(delivery_id))
                                    .set((
                                        deliveries::delivered_at.eq(Some(now)),
                                        deliveries::attempts.eq(deliveries::attempts + 1),
                                    ))
                                    .execute(conn)?;
                                diesel::update(federation_domains::table.find(&d))
                                    .set((
                                        federation_domains::failures.eq(0),
                                        federation_domains::last_success_at.eq(Some(now)),
                                        federation_domains::last_error.eq(None::<String>),
                                        federation_domains::lease_until
                                            .eq(Some(now + Duration::seconds(LEASE_SECS))),
                                    ))
                                    .filter(federation_domains::lease_owner.eq(node))
                                    .execute(conn)?;
                                Ok(())
                            })
                            .await?;
                        tracing::debug!(delivery_id, %inbox, "delivered");
                    }
                    Err(e) => {
                        record_failure(data, domain, delivery_id, created_at, &e).await?;
                        return Ok(());
                    }
                }
            }
        }
    }
    .await;
    if let Err(e) = outcome {
        tracing::warn!(domain, error = %e, "delivery interrupted");
    }
    let (d, node) = (domain.to_string(), node.to_string());
    let released = data
        .db
        .write(move |conn| {
            diesel::update(
                federation_domains::table
                    .find(&d)
                    .filter(federation_domains::lease_owner.eq(&node)),
            )
            .set((
                federation_domains::lease_owner.eq(None::<String>),
                federation_domains::lease_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
            Ok(())
        })
        .await;
    if let Err(e) = released {
        tracing::warn!(domain, error = %e, "cannot release a delivery lease (it expires)");
    }
}

async fn send_one(
    data: &FedData,
    actors: &mut HashMap<i64, ApubActor>,
    inbox: &str,
    payload: Option<String>,
    actor_id: Option<i64>,
) -> Result<()> {
    let payload: Value = serde_json::from_str(payload.as_deref().unwrap_or("null"))?;
    let actor_id = actor_id.ok_or_else(|| Error::internal(anyhow::anyhow!("no actor")))?;
    if let std::collections::hash_map::Entry::Vacant(slot) = actors.entry(actor_id) {
        let account: Account = data
            .db
            .read(move |conn| {
                Ok(accounts::table
                    .find(actor_id)
                    .select(Account::as_select())
                    .first(conn)?)
            })
            .await?;
        slot.insert(ApubActor::new(account)?);
    }
    let actor = actors
        .get(&actor_id)
        .ok_or_else(|| Error::internal(anyhow::anyhow!("actor vanished")))?;
    let field = |name: &str| -> Result<Url> {
        payload
            .get(name)
            .and_then(|v| v.as_str())
            .and_then(|s| Url::parse(s).ok())
            .ok_or_else(|| Error::internal(anyhow::anyhow!("stored activity without {name}")))
    };
    let activity = StoredActivity {
        id: field("id")?,
        actor: field("actor")?,
        payload: payload.clone(),
    };
    let inbox = Url::parse(inbox).map_err(|e| Error::bad_request(e.to_string()))?;
    let tasks = SendActivityTask::prepare(&activity, actor, vec![inbox], data).await?;
    if tasks.is_empty() {
        return Err(Error::forbidden(
            "The inbox is not allowed by this department's federation policy",
        ));
    }
    for task in tasks {
        task.sign_and_send(data).await?;
    }
    Ok(())
}

/// Note the failure; the department waits before the next attempt. Old deliveries are given up.
async fn record_failure(
    data: &FedData,
    domain: &str,
    delivery_id: i64,
    created_at: NaiveDateTime,
    error: &Error,
) -> Result<()> {
    let message: String = error.to_string().chars().take(500).collect();
    let max = data.settings.federation.max_retry_interval_secs.max(1) as i64;
    let give_up = Duration::hours(data.settings.federation.give_up_after_hours as i64);
    let d = domain.to_string();
    let msg = message.clone();
    let (failures, wait) = data
        .db
        .write(move |conn| {
            let now = Utc::now().naive_utc();
            let failures: i32 = federation_domains::table
                .find(&d)
                .select(federation_domains::failures)
                .first(conn)?;
            let failures = failures.saturating_add(1);
            let wait = 1i64.checked_shl(failures.min(40) as u32 - 1).unwrap_or(max).min(max);
            diesel::update(deliveries::table.find(delivery_id))
                .set((
                    deliveries::attempts.eq(deliveries::attempts + 1),
                    deliveries::last_error.eq(Some(&msg)),
                ))
                .execute(conn)?;
            diesel::update(federation_domains::table.find(&d))
                .set((
                    federation_domains::failures.eq(failures),
                    federation_domains::next_attempt_at.eq(now + Duration::seconds(wait)),
                    federation_domains::last_failure_at.eq(Some(now)),
                    federation_domains::last_error.eq(Some(&msg)),
                ))
                .execute(conn)?;
            if created_at < now - give_up {
                let given_up = diesel::update(
                    deliveries::table
                        .filter(deliveries::domain.eq(&d))
                        .filter(deliveries::delivered_at.is_null())
                        .filter(deliveries::failed_at.is_null())
                        .filter(deliveries::created_at.lt(now - give_up)),
                )
                .set(deliveries::failed_at.eq(Some(now)))
                .execute(conn)?;
                tracing::warn!(domain = %d, given_up, "gave up deliveries older than the retry limit");
            }
            Ok((failures, wait))
        })
        .await?;
    tracing::warn!(
        domain,
        failures,
        retry_in_secs = wait,
        error = %message,
        "delivery failed; will retry"
    );
    Ok(())
}

/// Drop what no one needs any more: delivered rows and fully delivered activities after
/// `KEEP_DAYS`, and remembered inbound activity ids after the same time.
fn cleanup(conn: &mut DbConnection) -> Result<()> {
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
