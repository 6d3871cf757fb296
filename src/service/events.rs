//! What happened, for live streams: statuses created, edited and deleted, and notifications.
//!
//! Service functions call [`emit`] inside their write transaction, and the event is part of
//! that transaction: it is published when the transaction commits and never if it rolls
//! back, so a listener never hears of a row it cannot read yet. This node hears it as the
//! commit returns, before the request that made it is answered (so its caches are never
//! behind its own writes); on PostgreSQL it is also a `NOTIFY groundswell_events`, delivered
//! at commit to every other app node (each `LISTEN`s, and skips its own). On SQLite (one
//! node) a transaction's events are rows of the connection's temporary `pending_events`
//! table; on PostgreSQL they are kept on the transaction's thread.
//!
//! Besides live streams, the bus keeps caches right: [`EventBus::watch`] runs a function on
//! every event, synchronously.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::config::DatabaseUrl;
use diesel::sql_types::Text;

use crate::db::{ConnectionManager, DbConnection};
use crate::error::{Error, Result};

pub const CHANNEL: &str = "groundswell_events";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    StatusCreated {
        status_id: i64,
    },
    StatusUpdated {
        status_id: i64,
    },
    StatusDeleted {
        status_id: i64,
    },
    Notification {
        account_id: i64,
        notification_id: i64,
    },
    /// The employee's access ended (suspended, deprovisioned): close their streams.
    AccessRevoked {
        account_id: i64,
    },
    /// An account's profile, or its employee's role, settings or sign-in changed.
    AccountChanged {
        account_id: i64,
    },
    /// An access token was revoked.
    TokenRevoked {
        token_id: i64,
    },
    /// Something was written to the federation outbox: wake the delivery workers.
    OutboxReady,
    /// The policy rules changed: every node loads them again before it next uses them.
    PolicyChanged,
    /// A new version of the usage policy was published: every node asks employees to accept
    /// it before they next post or interact.
    UsagePolicyPublished {
        version: i64,
    },
    /// The federation policy (mode, domain allows or blocks) changed: every node reads it
    /// again before it next talks to another department.
    FederationPolicyChanged,
    /// An announcement was published or changed: employees' apps show it (`announcement`).
    AnnouncementChanged {
        announcement_id: i64,
    },
    /// An announcement was withdrawn (`announcement.delete`).
    AnnouncementDeleted {
        announcement_id: i64,
    },
    /// Someone reacted to an announcement, or took a reaction back (`announcement.reaction`).
    AnnouncementReaction {
        announcement_id: i64,
        name: String,
    },
    /// This node is shutting down: close every stream so the shutdown is quick (clients
    /// reconnect to another node). Never sent to other nodes.
    Shutdown,
}

/// What goes over `NOTIFY`: the event and the node that made it.
#[derive(Serialize, Deserialize)]
struct Envelope {
    node: u64,
    event: Event,
}

/// The write transaction running on this thread (PostgreSQL): its node, and the events it
/// recorded, published locally when it commits.
#[derive(Default)]
struct Transaction {
    node: u64,
    events: Vec<Event>,
}

thread_local! {
    static TRANSACTION: std::cell::RefCell<Transaction> = Default::default();
}

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::internal(anyhow::anyhow!("cannot encode an event: {e}")))
}

/// Record an event of the current write transaction (published when it commits). Not to be
/// called inside a savepoint that may roll back alone.
pub fn emit(conn: &mut DbConnection, event: Event) -> Result<()> {
    match conn {
        DbConnection::Postgresql(pg) => {
            let node = TRANSACTION.with(|tx| tx.borrow().node);
            let payload = encode(&Envelope {
                node,
                event: event.clone(),
            })?;
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(CHANNEL)
                .bind::<Text, _>(payload)
                .execute(pg)?;
            TRANSACTION.with(|tx| {
                let events = &mut tx.borrow_mut().events;
                // NOTIFY sends a payload once per transaction, however often it was sent.
                if !events.contains(&event) {
                    events.push(event);
                }
            });
        }
        DbConnection::Sqlite(sqlite) => {
            let payload = encode(&event)?;
            diesel::sql_query("INSERT INTO temp.pending_events (payload) VALUES (?)")
                .bind::<Text, _>(payload)
                .execute(sqlite)?;
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = Text)]
    payload: String,
}

/// The events a committed SQLite transaction recorded, in order; the table is emptied.
fn take_pending(sqlite: &mut diesel::SqliteConnection) -> QueryResult<Vec<Event>> {
    let rows: Vec<Pending> =
        diesel::sql_query("SELECT payload FROM temp.pending_events ORDER BY rowid").load(sqlite)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    diesel::sql_query("DELETE FROM temp.pending_events").execute(sqlite)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| serde_json::from_str(&row.payload).ok())
        .collect())
}

/// A function run on every event this node hears, as it hears it (keeps caches right).
pub type Watcher = Arc<dyn Fn(&Event) + Send + Sync>;

struct Inner {
    sender: broadcast::Sender<Event>,
    watchers: std::sync::RwLock<Vec<Watcher>>,
    /// This node, in the events it sends to the others (which skip their own).
    node: u64,
}

impl Inner {
    fn send(&self, event: Event) {
        if let Ok(watchers) = self.watchers.read() {
            watchers.iter().for_each(|watch| watch(&event));
        }
        // No subscriber is fine: nobody is streaming.
        let _ = self.sender.send(event);
    }
}

/// The in-process side of the event stream: every live stream subscribes here.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
    /// The PostgreSQL listener thread and its stop flag, so shutdown can end it cleanly:
    /// exiting while it is inside libpq crashes the process.
    listener: Arc<std::sync::Mutex<Option<Listener>>>,
}

struct Listener {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    pub fn new() -> EventBus {
        let (sender, _) = broadcast::channel(4096);
        EventBus {
            inner: Arc::new(Inner {
                sender,
                watchers: Default::default(),
                node: rand::random(),
            }),
            listener: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Close this node's streams (before a graceful shutdown).
    pub fn shutdown(&self) {
        self.send(Event::Shutdown);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.sender.subscribe()
    }

    /// Run `watcher` on every event from now on, synchronously: for this node's own events
    /// before the write that made them returns, for other nodes' as they arrive.
    pub fn watch(&self, watcher: Watcher) {
        if let Ok(mut watchers) = self.inner.watchers.write() {
            watchers.push(watcher);
        }
    }

    fn send(&self, event: Event) {
        self.inner.send(event);
    }
}

/// `Db` tells the bus of every write transaction: the events a committed one recorded are
/// this node's to hear at once.
impl crate::db::TransactionHooks for EventBus {
    fn begin(&self) {
        TRANSACTION.with(|tx| {
            *tx.borrow_mut() = Transaction {
                node: self.inner.node,
                events: Vec::new(),
            }
        });
    }

    fn end(&self, conn: &mut DbConnection, committed: bool) {
        let events = TRANSACTION.with(|tx| std::mem::take(&mut tx.borrow_mut().events));
        if !committed {
            return;
        }
        let events = match conn {
            DbConnection::Postgresql(_) => events,
            DbConnection::Sqlite(sqlite) => match take_pending(sqlite) {
                Ok(events) => events,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the events of a transaction");
                    return;
                }
            },
        };
        events.into_iter().for_each(|e| self.send(e));
    }
}

impl EventBus {
    /// On PostgreSQL, listen for events of every app node and pass them to local streams.
    /// Runs on its own thread; reconnects after errors.
    pub fn start_listener(&self, url: &DatabaseUrl) {
        let DatabaseUrl::Postgres(_) = url else {
            return;
        };
        let Ok(mut slot) = self.listener.lock() else {
            return;
        };
        if slot.is_some() {
            // One listener per bus is enough, and a second would be detached.
            return;
        }
        // The listener stops when asked (`stop_listener`) or when the last handle on the bus
        // is gone.
        let bus = Arc::downgrade(&self.inner);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopping = stop.clone();
        let manager = ConnectionManager::new(url.clone());
        let spawned = std::thread::Builder::new()
            .name("groundswell-listen".into())
            .spawn(move || {
                let running = || bus.strong_count() > 0 && !stopping.load(Ordering::Relaxed);
                while running() {
                    if let Err(e) = listen(&manager, &bus, &stopping) {
                        tracing::warn!(error = %e, "event listener lost its connection; reconnecting");
                    }
                    for _ in 0..20 {
                        if !running() {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            });
        match spawned {
            Ok(thread) => *slot = Some(Listener { stop, thread }),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the event listener; live streams see only this node");
            }
        }
    }

    /// Stop the PostgreSQL listener and wait for it (before the process exits).
    pub fn stop_listener(&self) {
        let listener = self.listener.lock().ok().and_then(|mut slot| slot.take());
        if let Some(listener) = listener {
            listener.stop.store(true, Ordering::Relaxed);
            let _ = listener.thread.join();
        }
    }
}

fn listen(
    manager: &ConnectionManager,
    bus: &std::sync::Weak<Inner>,
    stop: &std::sync::atomic::AtomicBool,
) -> anyhow::Result<()> {
    let DbConnection::Postgresql(mut pg) = manager.establish()? else {
        anyhow::bail!("not a PostgreSQL connection");
    };
    pg.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    tracing::info!("listening for events of all app nodes");
    loop {
        for notification in pg.notifications_iter() {
            let notification = notification?;
            let Some(bus) = bus.upgrade() else {
                return Ok(());
            };
            match serde_json::from_str::<Envelope>(&notification.payload) {
                // This node heard its own events when they committed.
                Ok(envelope) if envelope.node == bus.node => {}
                Ok(envelope) => bus.send(envelope.event),
                Err(e) => tracing::warn!(error = %e, "ignoring an unreadable event"),
            }
        }
        if bus.strong_count() == 0 || stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        // PQconsumeInput is a cheap non-blocking read; poll a few times a second.
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DatabaseSettings;
    use crate::db::Db;

    /// Events are part of their transaction: a rolled-back write publishes nothing, a
    /// committed one publishes what it recorded, in order, once.
    #[tokio::test]
    async fn events_are_published_with_their_commit_only() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("events.sqlite3").display());
        let settings = DatabaseSettings {
            url: DatabaseUrl::parse(&url).expect("url"),
            ..Default::default()
        };
        let mut db = Db::open(&settings).expect("database");
        let bus = EventBus::new();
        db.set_hooks(Arc::new(bus.clone()));
        let mut heard = bus.subscribe();

        let failed: Result<()> = db
            .write(|conn| {
                emit(conn, Event::StatusCreated { status_id: 1 })?;
                Err(Error::bad_request("changed my mind"))
            })
            .await;
        assert!(failed.is_err());
        db.write(|conn| {
            emit(conn, Event::StatusCreated { status_id: 2 })?;
            emit(conn, Event::StatusDeleted { status_id: 2 })
        })
        .await
        .expect("committed write");
        db.write(|_| Ok(())).await.expect("write without events");

        assert_eq!(
            heard.try_recv().ok(),
            Some(Event::StatusCreated { status_id: 2 })
        );
        assert_eq!(
            heard.try_recv().ok(),
            Some(Event::StatusDeleted { status_id: 2 })
        );
        assert!(heard.try_recv().is_err(), "nothing else was published");
    }
}
