//! The database layer: connections to SQLite or PostgreSQL, the pool, migrations and models.
//!
//! Diesel is synchronous, so every query runs on tokio's blocking pool through [`Db::read`] and
//! [`Db::write`]; async worker threads never wait on the database.

pub mod ids;
pub mod models;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::{DatabaseSettings, DatabaseUrl};
use crate::error::{Error, Result};

/// SQL functions both backends have.
#[diesel::declare_sql_function]
extern "SQL" {
    /// `lower(text)`: case-insensitive matching without `ILIKE` (which SQLite lacks).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A connection to either backend. Queries written once with diesel's DSL run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Arbitrary constant key for the PostgreSQL advisory lock that serialises migrations when
/// several app nodes start at once.
const MIGRATION_LOCK_KEY: i64 = 0x6772_6f75_6e64; // "ground"

/// Opens connections for the pool, choosing the backend by the URL's scheme so that the real
/// connection error reaches the user (diesel's derived `establish` hides it).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        ConnectionManager { url }
    }

    pub fn establish(&self) -> Result<DbConnection, ConnectionError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        ConnectionError::BadConnection(format!(
                            "cannot create the database folder {}: {e}",
                            parent.display()
                        ))
                    })?;
                }
                let path_str = path.to_str().ok_or_else(|| {
                    ConnectionError::InvalidConnectionUrl(format!(
                        "the SQLite path {} is not valid UTF-8",
                        path.display()
                    ))
                })?;
                let mut conn = diesel::SqliteConnection::establish(path_str)?;
                // busy_timeout must be set before journal_mode, and each PRAGMA needs its own
                // statement (see shared/STACK.md). No `mmap_size`: it was 8 % faster on the
                // home timeline, but each pooled connection maps the file anew, so the
                // process's resident memory grew to 780 MB under load (BENCHMARKS.md). `pending_events` holds the live events a
                // write transaction records: they commit or roll back with it and are read
                // after the commit (PostgreSQL has NOTIFY for this).
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     CREATE TEMP TABLE IF NOT EXISTS pending_events (payload TEXT NOT NULL);",
                )
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => Ok(DbConnection::Postgresql(
                diesel::PgConnection::establish(url)?,
            )),
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        use diesel::r2d2::R2D2Connection;
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.is_broken()
    }
}

pub type DbPool = Pool<ConnectionManager>;
pub type PooledDbConnection = PooledConnection<ConnectionManager>;

/// Which backend a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The application's handle on the database: a pool for reads and one for writes.
///
/// On PostgreSQL both are the same pool. On SQLite, writes go through a single connection so
/// that writers queue in the application instead of failing with "database is locked"; reads
/// run in parallel (WAL mode).
#[derive(Clone)]
pub struct Db {
    read: DbPool,
    write: DbPool,
    backend: Backend,
    /// Told when each write transaction begins and ends, on its thread and connection
    /// (publishes the events it recorded).
    hooks: Option<std::sync::Arc<dyn TransactionHooks>>,
    /// SQLite: the write connection's `data_version` when last asked (see
    /// [`Db::written_elsewhere`]).
    data_version: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// What runs around every write transaction, on the thread that runs it: `begin` before the
/// transaction's work, `end` after it committed (`committed`) or rolled back.
pub trait TransactionHooks: Send + Sync {
    fn begin(&self);
    fn end(&self, conn: &mut DbConnection, committed: bool);
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the database {url}: {reason}")]
pub struct OpenError {
    url: String,
    reason: String,
}

impl Db {
    /// Open the pool and check that one connection can be made, so a wrong URL or a database
    /// that is down is reported at once, with the real reason.
    pub fn open(settings: &DatabaseSettings) -> Result<Db, OpenError> {
        let manager = ConnectionManager::new(settings.url.clone());
        let open_error = |reason: String| OpenError {
            url: settings.url.redacted(),
            reason,
        };
        // Connect once ourselves: r2d2 would only report a timeout.
        manager
            .establish()
            .map_err(|e| open_error(describe_connection_error(&e)))?;
        let timeout = Duration::from_secs(settings.connect_timeout_secs.max(1));
        let build = |size: u32| {
            Pool::builder()
                .max_size(size)
                .min_idle(Some(0))
                // No reaper: it would close idle connections on r2d2's own detached threads,
                // and a process exiting while one of them is inside libpq crashes. Broken
                // connections are found at check-out instead.
                .idle_timeout(None)
                .max_lifetime(None)
                .connection_timeout(timeout)
                .test_on_check_out(true)
                .build(manager.clone())
                .map_err(|e| open_error(e.to_string()))
        };
        match settings.url {
            DatabaseUrl::Sqlite(_) => Ok(Db {
                read: build(settings.pool_size)?,
                write: build(1)?,
                backend: Backend::Sqlite,
                hooks: None,
                data_version: Default::default(),
            }),
            DatabaseUrl::Postgres(_) => {
                let pool = build(settings.pool_size)?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    backend: Backend::Postgres,
                    hooks: None,
                    data_version: Default::default(),
                })
            }
        }
    }

    /// Run `hooks` around every write transaction.
    pub fn set_hooks(&mut self, hooks: std::sync::Arc<dyn TransactionHooks>) {
        self.hooks = Some(hooks);
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// Run read-only queries on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.read.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Run `f` in one transaction on the blocking pool: everything it writes lands, or nothing.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.write.clone();
        let hooks = self.hooks.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            hooked_transaction(hooks.as_deref(), &mut conn, f)
        })
        .await?
    }

    /// SQLite: whether another process (the CLI, a second server) committed to the database
    /// since the last time this was asked — what this process's caches cannot have heard of.
    /// Always `false` on PostgreSQL, where every change is announced.
    pub async fn written_elsewhere(&self) -> Result<bool> {
        #[derive(diesel::QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            data_version: i64,
        }
        if self.backend != Backend::Sqlite {
            return Ok(false);
        }
        let (pool, seen) = (self.write.clone(), self.data_version.clone());
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            // Changes only when a connection other than this one (the only writer of this
            // process) committed.
            let now = diesel::sql_query("PRAGMA data_version")
                .get_result::<Version>(&mut *conn)?
                .data_version;
            let before = seen.swap(now, std::sync::atomic::Ordering::SeqCst);
            Ok(before != 0 && before != now)
        })
        .await?
    }

    /// The state of each pool, for `/metrics`: `read` and `write` on SQLite, `shared` on
    /// PostgreSQL (one pool). Takes no connection.
    pub fn pool_states(&self) -> Vec<crate::prometheus::PoolState> {
        let state = |pool: &'static str, p: &DbPool| {
            let s = p.state();
            crate::prometheus::PoolState {
                pool,
                in_use: i64::from(s.connections.saturating_sub(s.idle_connections)),
                idle: i64::from(s.idle_connections),
                max: i64::from(p.max_size()),
            }
        };
        match self.backend {
            Backend::Sqlite => vec![state("read", &self.read), state("write", &self.write)],
            Backend::Postgres => vec![state("shared", &self.read)],
        }
    }

    /// A connection for synchronous callers (the CLI). Never call this on an async thread.
    pub fn get_blocking(&self) -> Result<PooledDbConnection> {
        Ok(self.write.get()?)
    }

    /// Run `f` in one transaction, synchronously (for the CLI).
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut DbConnection) -> Result<T>,
    {
        let mut conn = self.write.get()?;
        hooked_transaction(self.hooks.as_deref(), &mut conn, f)
    }
}

fn hooked_transaction<T, F>(
    hooks: Option<&dyn TransactionHooks>,
    conn: &mut DbConnection,
    f: F,
) -> Result<T>
where
    F: FnOnce(&mut DbConnection) -> Result<T>,
{
    let Some(hooks) = hooks else {
        return write_transaction(conn, f);
    };
    hooks.begin();
    let result = write_transaction(conn, f);
    hooks.end(conn, result.is_ok());
    result
}

/// Run `f` in a write transaction. On SQLite it begins with `BEGIN IMMEDIATE`, taking the
/// write lock up front: a deferred transaction that reads and then writes fails at once with
/// "database is locked" when another process (the admin CLI, a second server) wrote in
/// between, whatever the busy timeout.
fn write_transaction<T, F>(conn: &mut DbConnection, f: F) -> Result<T>
where
    F: FnOnce(&mut DbConnection) -> Result<T>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return conn.transaction(|conn| f(conn));
    }
    if let DbConnection::Sqlite(sqlite) = &mut *conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    if let DbConnection::Sqlite(sqlite) = &mut *conn {
        match &result {
            Ok(_) => {
                if let Err(e) = AnsiTransactionManager::commit_transaction(sqlite) {
                    let _ = AnsiTransactionManager::rollback_transaction(sqlite);
                    return Err(e.into());
                }
            }
            Err(_) => {
                let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            }
        }
    }
    result
}

/// The driver's message on one line (libpq adds hints on further lines).
fn describe_connection_error(e: &ConnectionError) -> String {
    let raw = match e {
        ConnectionError::BadConnection(msg) => msg.clone(),
        ConnectionError::InvalidConnectionUrl(msg) => format!("invalid URL: {msg}"),
        other => other.to_string(),
    };
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Apply pending migrations; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Postgresql(pg) => {
            // Several app nodes may start at once: let one migrate while the others wait.
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>());
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
        DbConnection::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.iter().map(|m| m.to_string()).collect::<Vec<_>>()),
    };
    applied.map_err(|e| Error::internal(anyhow::anyhow!("migration failed: {e}")))
}

/// How many migrations embedded in this binary are not applied yet.
pub fn pending_migrations(conn: &mut DbConnection) -> Result<usize> {
    let pending = match conn {
        DbConnection::Postgresql(pg) => pg.pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
        DbConnection::Sqlite(sqlite) => sqlite
            .pending_migrations(SQLITE_MIGRATIONS)
            .map(|v| v.len()),
    };
    pending.map_err(|e| Error::internal(anyhow::anyhow!("cannot read migration state: {e}")))
}

/// Whether a diesel error is a unique-constraint violation (two writers raced for one row).
/// For a write transaction whose loss in a crash is harmless because it is redone (a delivery
/// marked done is at worst delivered again, which the receiver ignores; a fan-out lost with
/// its queue rows is fanned out again): PostgreSQL commits it without waiting for the WAL
/// flush. Still atomic; SQLite (WAL, `synchronous = NORMAL`) never waits for it anyway.
pub fn commit_without_flush_wait(conn: &mut DbConnection) -> Result<()> {
    if let DbConnection::Postgresql(pg) = conn {
        pg.batch_execute("SET LOCAL synchronous_commit = off")?;
    }
    Ok(())
}

pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
