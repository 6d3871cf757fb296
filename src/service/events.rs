//! What happened, for live streams: statuses created, edited and deleted, and notifications.
//!
//! Service functions call [`emit`] inside their write transaction, and the event is part of
//! that transaction: it is published when the transaction commits and never if it rolls
//! back, so a listener never hears of a row it cannot read yet. On PostgreSQL the event is a
//! `NOTIFY groundswell_events` (delivered at commit; every app node `LISTEN`s, so streams
//! work across nodes); on SQLite (one node) it is a row of the connection's temporary
//! `pending_events` table, which the after-commit hook hands to the in-process bus.

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
    /// Something was written to the federation outbox: wake the delivery workers.
    OutboxReady,
    /// This node is shutting down: close every stream so the shutdown is quick (clients
    /// reconnect to another node). Never sent to other nodes.
    Shutdown,
}

/// Record an event of the current write transaction (published when it commits).
pub fn emit(conn: &mut DbConnection, event: Event) -> Result<()> {
    let payload = serde_json::to_string(&event)
        .map_err(|e| Error::internal(anyhow::anyhow!("cannot encode an event: {e}")))?;
    match conn {
        DbConnection::Postgresql(pg) => {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(CHANNEL)
                .bind::<Text, _>(payload)
                .execute(pg)?;
        }
        DbConnection::Sqlite(sqlite) => {
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

/// The in-process side of the event stream: every live stream subscribes here.
#[derive(Clone)]
pub struct EventBus {
    sender: Arc<broadcast::Sender<Event>>,
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
            sender: Arc::new(sender),
            listener: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Close this node's streams (before a graceful shutdown).
    pub fn shutdown(&self) {
        self.send(Event::Shutdown);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    fn send(&self, event: Event) {
        // No subscriber is fine: nobody is streaming.
        let _ = self.sender.send(event);
    }

    /// The hook `Db` runs after each committed write transaction: on SQLite it hands the
    /// transaction's events to this node's streams (PostgreSQL delivered them at commit).
    pub fn after_commit_hook(&self) -> Arc<dyn Fn(&mut DbConnection) + Send + Sync> {
        let bus = self.clone();
        Arc::new(move |conn: &mut DbConnection| {
            let DbConnection::Sqlite(sqlite) = conn else {
                return;
            };
            match take_pending(sqlite) {
                Ok(events) => events.into_iter().for_each(|e| bus.send(e)),
                Err(e) => tracing::warn!(error = %e, "cannot read the events of a transaction"),
            }
        })
    }

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
        let bus = Arc::downgrade(&self.sender);
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
    bus: &std::sync::Weak<broadcast::Sender<Event>>,
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
            let Some(sender) = bus.upgrade() else {
                return Ok(());
            };
            match serde_json::from_str::<Event>(&notification.payload) {
                Ok(event) => {
                    let _ = sender.send(event);
                }
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
        db.set_after_commit(bus.after_commit_hook());
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
