//! The delivery worker: turns outbox intents into signed POSTs to other departments.
//!
//! The queue and its rules — fan-out in one transaction, a lease per destination department,
//! order, backoff, giving up — are `service::delivery`'s; this worker drives it: it renders
//! each intent (`apub::render`), signs and sends each delivery, and reports how it went.
//!
//! A delivery is marked done right after the other side answered, so a crash can at worst send
//! one activity twice — which the receiver ignores, since inboxes are idempotent by activity id.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::traits::Activity;
use chrono::{Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::task::JoinSet;
use url::Url;

use crate::apub::objects::ApubActor;
use crate::apub::{FedData, render};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::delivery::{self, Due};
use crate::service::events::Event;

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
            if let Err(e) = ctx.db.write(delivery::discard_unprepared).await {
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
                .write(move |conn| delivery::claim_domains(conn, &node2, &busy2, free as i64))
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
            if let Err(e) = ctx.db.write(delivery::cleanup).await {
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

/// Render and fan out every intent not yet prepared.
pub async fn prepare_all(ctx: &AppContext) -> Result<usize> {
    let mut total = 0;
    loop {
        let batch = ctx.db.read(delivery::unprepared).await?;
        if batch.is_empty() {
            return Ok(total);
        }
        // The policy as it stands now: nothing is prepared for a department it refuses.
        let policy = ctx.policy.current().await?;
        let instance_actor = super::instance_actor(ctx).await?;
        let min_group = ctx.settings.metrics.min_group_size;
        for id in batch {
            let (settings, policy) = (ctx.settings.clone(), policy.clone());
            let instance_actor = instance_actor.clone();
            ctx.db
                .write(move |conn| {
                    delivery::prepare(
                        conn,
                        &policy,
                        min_group,
                        id,
                        &instance_actor,
                        |actor, what, subject| render::intent(&settings, id, actor, what, subject),
                    )
                })
                .await?;
            total += 1;
        }
    }
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

/// Send a department's pending deliveries in order until done or one fails.
#[tracing::instrument(skip(data, node))]
async fn deliver_domain(data: &FedData, node: &str, domain: &str, stopping: &AtomicBool) {
    let mut actors: HashMap<i64, ApubActor> = HashMap::new();
    let outcome: Result<()> = async {
        if !data.policy.current().await?.allows_domain(domain) {
            let d = domain.to_string();
            let dropped = data
                .db
                .write(move |conn| delivery::give_up_refused(conn, &d))
                .await?;
            tracing::info!(
                domain,
                dropped,
                "not delivering to a department the policy refuses"
            );
            return Ok(());
        }
        loop {
            let d = domain.to_string();
            let due = data.db.read(move |conn| delivery::due(conn, &d)).await?;
            if due.is_empty() {
                return Ok(());
            }
            for next in due {
                if stopping.load(Ordering::SeqCst) {
                    return Ok(());
                }
                match send_one(data, &mut actors, &next).await {
                    Ok(()) => {
                        let (d, node, id) =
                            (domain.to_string(), node.to_string(), next.delivery_id);
                        data.db
                            .write(move |conn| delivery::delivered(conn, &node, &d, id))
                            .await?;
                        tracing::debug!(delivery_id = id, inbox = %next.inbox, "delivered");
                    }
                    Err(e) if super::answers::refused_for_good(&e).is_some() => {
                        // The department is up and answered: the next deliveries go on.
                        record_refusal(data, domain, node, next, &e).await?;
                    }
                    Err(e) => {
                        record_failure(data, domain, next, &e).await?;
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
        .write(move |conn| delivery::release(conn, &node, &d))
        .await;
    if let Err(e) = released {
        tracing::warn!(domain, error = %e, "cannot release a delivery lease (it expires)");
    }
}

async fn send_one(data: &FedData, actors: &mut HashMap<i64, ApubActor>, due: &Due) -> Result<()> {
    let payload: Value = serde_json::from_str(due.payload.as_deref().unwrap_or("null"))?;
    // No actor account: sent as the instance actor (id 0).
    let actor_id = due.actor_account_id.unwrap_or(0);
    if let std::collections::hash_map::Entry::Vacant(slot) = actors.entry(actor_id) {
        let account = match due.actor_account_id {
            Some(id) => data.db.read(move |conn| delivery::sender(conn, id)).await?,
            None => super::instance_actor(data).await?,
        };
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
    let inbox = Url::parse(&due.inbox).map_err(|e| Error::bad_request(e.to_string()))?;
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

/// Another department refused a delivery for good (a 4xx): recorded with its answer, given
/// up at once, never retried.
async fn record_refusal(
    data: &FedData,
    domain: &str,
    node: &str,
    due: Due,
    error: &Error,
) -> Result<()> {
    let message: String = error.to_string().chars().take(500).collect();
    let (d, n, id, msg) = (
        domain.to_string(),
        node.to_string(),
        due.delivery_id,
        message.clone(),
    );
    data.db
        .write(move |conn| delivery::refused(conn, &n, &d, id, &msg))
        .await?;
    tracing::warn!(
        domain,
        delivery_id = due.delivery_id,
        inbox = %due.inbox,
        status = super::answers::refused_for_good(error),
        error = %message,
        "delivery refused by the other server; given up"
    );
    Ok(())
}

/// Note the failure; the department waits before the next attempt. Old deliveries are given up.
async fn record_failure(data: &FedData, domain: &str, due: Due, error: &Error) -> Result<()> {
    let message: String = error.to_string().chars().take(500).collect();
    let federation = data.settings.federation.clone();
    let (d, msg) = (domain.to_string(), message.clone());
    let (failures, wait) = data
        .db
        .write(move |conn| delivery::failed(conn, &federation, &d, &due, &msg))
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
