//! Writing a planned department into a database, once, and finding it again.
//!
//! The migrations, the instance actor and the three benchmark accounts (with their API tokens)
//! go through the library, exactly as a running server makes them. Everything else is bulk
//! loaded in one transaction: PostgreSQL `COPY … FROM STDIN`, SQLite multi-row `INSERT`s with
//! the journal off. A seed is kept — a SQLite file in the cache folder, a PostgreSQL database
//! by name — under a key made of the migrations and the parameters, next to a manifest (JSON)
//! with the tokens and what the endpoints must answer.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::DateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};
use groundswell::auth::Scopes;
use groundswell::config::{DatabaseUrl, Domain, Settings};
use groundswell::db::schema;
use groundswell::service::text::{self, MentionLink, MentionRef};
use groundswell::service::{notifications, tokens, users};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::{self, BASE, DOMAIN, NONE, Params, Plan, SPECIAL, SPECIAL_NAMES, Vis};

/// Bump when the generator changes what it writes: old seeds are then not reused.
const GENERATOR_VERSION: &str = "2";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Where seeds live and which PostgreSQL server holds them.
#[derive(Debug, Clone)]
pub struct Store {
    pub cache: PathBuf,
    /// `postgres://user@host:port`, without a database.
    pub pg_server: String,
}

impl Store {
    pub fn pg_url(&self, db: &str) -> String {
        format!("{}/{db}", self.pg_server.trim_end_matches('/'))
    }
}

/// What the benchmark needs to know about a seed, kept next to it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub key: String,
    pub backend: String,
    pub accounts: usize,
    pub statuses: usize,
    pub rng_seed: u64,
    pub seeded_at: String,
    pub seed_seconds: f64,
    /// The database URL of the seed (a SQLite file or a PostgreSQL database).
    pub database_url: String,
    pub reader_token: String,
    pub poster_token: String,
    pub admin_token: String,
    pub reader_id: String,
    pub poster_id: String,
    pub tag: String,
    /// Hashtags the reader follows (their public posts join the home timeline).
    pub reader_tags: Vec<String>,
    pub status_id: String,
    pub status_counts: Counts,
    pub reader_counts: AccountCounts,
    pub poster_counts: AccountCounts,
    pub expected_home: Vec<String>,
    pub expected_department: Vec<String>,
    pub expected_tag: Vec<String>,
    pub expected_poster_statuses: Vec<String>,
    pub expected_poster_notifications: Vec<String>,
    pub rows: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Counts {
    pub replies: i64,
    pub reblogs: i64,
    pub favourites: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccountCounts {
    pub followers: i64,
    pub following: i64,
    pub statuses: i64,
}

/// A seed's name: the backend, the parameters and a hash of the migrations and generator.
pub fn key(backend: Backend, params: Params) -> Result<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend.name());
    let mut files = Vec::new();
    for entry in walk(&dir)? {
        files.push(entry);
    }
    files.sort();
    let mut hash = Sha256::new();
    hash.update(GENERATOR_VERSION.as_bytes());
    for file in files {
        hash.update(file.strip_prefix(&dir)?.to_string_lossy().as_bytes());
        hash.update(std::fs::read(&file)?);
    }
    hash.update(
        format!(
            "{}/{}/{}",
            params.accounts, params.statuses, params.rng_seed
        )
        .as_bytes(),
    );
    let digest: String = hash
        .finalize()
        .iter()
        .take(5)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!(
        "{}_a{}_s{}_r{}_{digest}",
        backend.name(),
        params.accounts,
        params.statuses,
        params.rng_seed
    ))
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

pub fn manifest_path(store: &Store, key: &str) -> PathBuf {
    store.cache.join(format!("{key}.json"))
}

pub fn sqlite_path(store: &Store, key: &str) -> PathBuf {
    store.cache.join(format!("{key}.sqlite3"))
}

pub fn pg_name(key: &str) -> String {
    format!("groundswell_bench_{}", key.trim_start_matches("postgres_"))
}

fn pg_admin(store: &Store) -> Result<PgConnection> {
    PgConnection::establish(&store.pg_url("postgres"))
        .with_context(|| format!("connecting to PostgreSQL at {}", store.pg_server))
}

pub fn pg_exists(store: &Store, name: &str) -> Result<bool> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result(&mut pg_admin(store)?)?;
    Ok(n.n > 0)
}

pub fn pg_drop(store: &Store, name: &str) -> Result<()> {
    pg_admin(store)?.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))?;
    Ok(())
}

/// `CREATE DATABASE copy TEMPLATE seed`: a file-level copy, so a benchmark that writes never
/// touches the seed.
pub fn pg_copy(store: &Store, from: &str, to: &str) -> Result<()> {
    let mut admin = pg_admin(store)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{to}\" WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE \"{to}\" TEMPLATE \"{from}\""))?;
    Ok(())
}

/// The seed for these parameters, if it was made before and is complete.
pub fn find(store: &Store, backend: Backend, params: Params) -> Result<Option<Manifest>> {
    let key = key(backend, params)?;
    let path = manifest_path(store, &key);
    if !path.exists() {
        return Ok(None);
    }
    let present = match backend {
        Backend::Sqlite => sqlite_path(store, &key).exists(),
        Backend::Postgres => pg_exists(store, &pg_name(&key))?,
    };
    if !present {
        return Ok(None);
    }
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(&path)?)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(manifest))
}

/// Find the seed or make it.
pub fn ensure(store: &Store, backend: Backend, params: Params, force: bool) -> Result<Manifest> {
    if !force && let Some(m) = find(store, backend, params)? {
        println!(
            "Reusing the {} seed {} ({} accounts, {} statuses, made {}).",
            backend.title(),
            m.key,
            m.accounts,
            m.statuses,
            m.seeded_at
        );
        return Ok(m);
    }
    make(store, backend, params)
}

fn ms_to_text(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .naive_utc()
        .format("%F %T%.f")
        .to_string()
}

/// One cell of a bulk-loaded row.
pub enum V<'a> {
    I(i64),
    S(&'a str),
    B(bool),
    N,
    /// A timestamp, in Unix milliseconds.
    T(i64),
}

impl V<'_> {
    fn opt_i(v: u32, ids: &[i64]) -> V<'static> {
        if v == NONE {
            V::N
        } else {
            V::I(ids[v as usize])
        }
    }
}

/// A table, its columns in the order rows are given, and how to COPY into it.
pub struct TableSpec {
    name: &'static str,
    columns: &'static [&'static str],
    copy: fn(&mut PgConnection, &[u8]) -> QueryResult<usize>,
}

/// One list of column names gives the SQLite `INSERT` and the typed PostgreSQL `COPY` target,
/// so the two cannot disagree; `check_columns` compares it with the migrated database.
macro_rules! table_spec {
    ($t:ident: $($c:ident),+ $(,)?) => {
        TableSpec {
            name: stringify!($t),
            columns: &[$(stringify!($c)),+],
            copy: |conn, data| {
                diesel::copy_from(schema::$t::table)
                    .from_raw_data(($(schema::$t::$c,)+), |w: &mut dyn std::io::Write| {
                        w.write_all(data)
                            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
                    })
                    .execute(conn)
            },
        }
    };
}

static ACCOUNTS: TableSpec = table_spec!(accounts: id, username, domain, display_name, note, locked,
    bot, discoverable, fields, avatar_url, header_url, ap_id, url, inbox_url, shared_inbox_url,
    outbox_url, followers_url, following_url, featured_url, public_key_pem, private_key_pem,
    followers_count, following_count, statuses_count, last_status_at, suspended_at, fetched_at,
    created_at, updated_at, note_source, silenced_at, sensitized_at);
static USERS: TableSpec = table_spec!(users: id, account_id, email, password_hash, role,
    department, oidc_issuer, oidc_subject, locale, default_visibility, default_sensitive,
    default_language, last_sign_in_at, created_at, updated_at, groups, scim_external_id,
    scim_user_name, disabled_at, directory_fields);
static FOLLOWS: TableSpec = table_spec!(follows: id, account_id, target_account_id, accepted,
    show_reblogs, notify, ap_id, created_at, updated_at);
static TAGS: TableSpec = table_spec!(tags: id, name, display_name, created_at);
static STATUSES: TableSpec = table_spec!(statuses: id, ap_id, url, account_id, local,
    in_reply_to_id, in_reply_to_account_id, in_reply_to_ap_id, reblog_of_id, thread_root_id,
    content, source_text, spoiler_text, sensitive, visibility, language, application_id,
    replies_count, reblogs_count, favourites_count, edited_at, deleted_at, created_at,
    updated_at, held_for_review, local_only);
static MENTIONS: TableSpec = table_spec!(mentions: id, status_id, account_id);
static STATUS_TAGS: TableSpec = table_spec!(status_tags: status_id, tag_id);
static FAVOURITES: TableSpec =
    table_spec!(favourites: id, account_id, status_id, ap_id, created_at);
static NOTIFICATIONS: TableSpec = table_spec!(notifications: id, account_id, from_account_id,
    kind, status_id, created_at, account_warning_id, report_id, group_key, filtered);
static TAG_FOLLOWS: TableSpec = table_spec!(tag_follows: id, account_id, tag_id, created_at);
static INSTANCE_KEYS: TableSpec =
    table_spec!(instance_keys: name, public_key_pem, private_key_pem, created_at);

const ALL_TABLES: [&TableSpec; 11] = [
    &INSTANCE_KEYS,
    &ACCOUNTS,
    &USERS,
    &FOLLOWS,
    &TAGS,
    &STATUSES,
    &MENTIONS,
    &STATUS_TAGS,
    &FAVOURITES,
    &NOTIFICATIONS,
    &TAG_FOLLOWS,
];

pub enum Raw {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

impl Raw {
    pub fn open(url: &str) -> Result<Raw> {
        Ok(match url.strip_prefix("sqlite://") {
            Some(path) => Raw::Sqlite(SqliteConnection::establish(path)?),
            None => Raw::Pg(PgConnection::establish(url)?),
        })
    }

    pub fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Raw::Sqlite(c) => c.batch_execute(sql)?,
            Raw::Pg(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    pub fn count(&mut self, sql: &str) -> Result<i64> {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let q = diesel::sql_query(sql);
        let n: N = match self {
            Raw::Sqlite(c) => q.get_result(c)?,
            Raw::Pg(c) => q.get_result(c)?,
        };
        Ok(n.n)
    }

    /// The table's column names in the database's order.
    fn columns(&mut self, table: &str) -> Result<Vec<String>> {
        #[derive(QueryableByName)]
        struct C {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        let rows: Vec<C> = match self {
            Raw::Sqlite(c) => diesel::sql_query(format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .load(c)?,
            Raw::Pg(c) => diesel::sql_query(
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind::<diesel::sql_types::Text, _>(table)
            .load(c)?,
        };
        Ok(rows.into_iter().map(|c| c.name).collect())
    }
}

/// Every column the migrations made must get a value from the loader (a new column with no
/// default would otherwise be missed silently).
fn check_columns(raw: &mut Raw) -> Result<()> {
    for spec in ALL_TABLES {
        let actual = raw.columns(spec.name)?;
        let missing: Vec<&String> = actual
            .iter()
            .filter(|c| !spec.columns.contains(&c.as_str()))
            .collect();
        let unknown: Vec<&&str> = spec
            .columns
            .iter()
            .filter(|c| !actual.iter().any(|a| a == *c))
            .collect();
        if !missing.is_empty() || !unknown.is_empty() {
            bail!(
                "the seed's columns of `{}` differ from the migrations: not written {missing:?}, \
                 unknown {unknown:?}; update bench/scale/seed.rs",
                spec.name
            );
        }
    }
    Ok(())
}

/// Rows of one table, sent in big batches.
struct Loader<'a> {
    raw: &'a mut Raw,
    spec: &'static TableSpec,
    buf: String,
    rows_in_buf: usize,
    total: usize,
    started: Instant,
}

impl<'a> Loader<'a> {
    fn new(raw: &'a mut Raw, spec: &'static TableSpec) -> Self {
        Loader {
            raw,
            spec,
            buf: String::with_capacity(4 << 20),
            rows_in_buf: 0,
            total: 0,
            started: Instant::now(),
        }
    }

    fn row(&mut self, values: &[V]) -> Result<()> {
        assert_eq!(values.len(), self.spec.columns.len(), "{}", self.spec.name);
        match self.raw {
            Raw::Sqlite(_) => {
                if self.rows_in_buf == 0 {
                    let _ = write!(
                        self.buf,
                        "INSERT INTO {} ({}) VALUES ",
                        self.spec.name,
                        self.spec.columns.join(", ")
                    );
                } else {
                    self.buf.push(',');
                }
                self.buf.push('(');
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(',');
                    }
                    match v {
                        V::I(n) => {
                            let _ = write!(self.buf, "{n}");
                        }
                        V::S(s) => {
                            self.buf.push('\'');
                            self.buf.push_str(&s.replace('\'', "''"));
                            self.buf.push('\'');
                        }
                        V::B(b) => self.buf.push(if *b { '1' } else { '0' }),
                        V::N => self.buf.push_str("NULL"),
                        V::T(ms) => {
                            self.buf.push('\'');
                            self.buf.push_str(&ms_to_text(*ms));
                            self.buf.push('\'');
                        }
                    }
                }
                self.buf.push(')');
            }
            Raw::Pg(_) => {
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        self.buf.push('\t');
                    }
                    match v {
                        V::I(n) => {
                            let _ = write!(self.buf, "{n}");
                        }
                        V::S(s) => {
                            for c in s.chars() {
                                match c {
                                    '\\' => self.buf.push_str("\\\\"),
                                    '\t' => self.buf.push_str("\\t"),
                                    '\n' => self.buf.push_str("\\n"),
                                    '\r' => self.buf.push_str("\\r"),
                                    c => self.buf.push(c),
                                }
                            }
                        }
                        V::B(b) => self.buf.push(if *b { 't' } else { 'f' }),
                        V::N => self.buf.push_str("\\N"),
                        V::T(ms) => self.buf.push_str(&ms_to_text(*ms)),
                    }
                }
                self.buf.push('\n');
            }
        }
        self.rows_in_buf += 1;
        self.total += 1;
        if self.buf.len() > (2 << 20) || self.rows_in_buf >= 5000 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.rows_in_buf == 0 {
            return Ok(());
        }
        match self.raw {
            Raw::Sqlite(c) => c
                .batch_execute(&self.buf)
                .with_context(|| format!("inserting into {}", self.spec.name))?,
            Raw::Pg(c) => {
                (self.spec.copy)(c, self.buf.as_bytes())
                    .with_context(|| format!("copying into {}", self.spec.name))?;
            }
        }
        self.buf.clear();
        self.rows_in_buf = 0;
        Ok(())
    }

    fn finish(mut self, rows: &mut Vec<(String, usize)>) -> Result<()> {
        self.flush()?;
        let secs = self.started.elapsed().as_secs_f64();
        println!(
            "  {:<14} {:>10} rows  {:>6.1} s  {:>9.0} rows/s",
            self.spec.name,
            self.total,
            secs,
            self.total as f64 / secs.max(1e-9)
        );
        rows.push((self.spec.name.to_string(), self.total));
        Ok(())
    }
}

/// A benchmark account made through the library: its account id and a token.
struct Special {
    account_id: i64,
    token: String,
}

async fn make_specials(url: &str, data_dir: &Path) -> Result<Vec<Special>> {
    let mut settings = Settings::default();
    settings.database.url = DatabaseUrl::parse(url).map_err(anyhow::Error::msg)?;
    settings.instance.domain = Domain::parse(DOMAIN).map_err(anyhow::Error::msg)?;
    settings.storage.data_dir = data_dir.to_path_buf();
    // Migrations as a server's start applies them. Federation off: its set-up would keep the
    // context (and the database connections) alive; the instance actor's keys are loaded
    // with the rest.
    settings.federation.enabled = false;
    let ctx = groundswell::server::prepare(settings).await?;
    let mut out = Vec::new();
    for (i, name) in SPECIAL_NAMES.iter().enumerate() {
        let role = if i == plan::ADMIN {
            users::Role::Admin
        } else {
            users::Role::User
        };
        let name = name.to_string();
        let prepared = tokio::task::spawn_blocking(move || {
            users::NewLocalUser::prepare(
                users::Username::parse(&name)?,
                users::Email::parse(&format!("{name}@{DOMAIN}"))?,
                Some(name.replace('_', " ")),
                role,
                None,
            )
        })
        .await?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let instance = ctx.settings.instance.clone();
        let scopes = Scopes::parse("read write follow").map_err(anyhow::Error::msg)?;
        let (account_id, token) = ctx
            .db
            .write(move |conn| {
                let user = users::create_local_user(conn, &instance, prepared)?;
                let token = tokens::issue_personal_token(
                    conn,
                    &user,
                    &scopes,
                    Some("scale benchmark".into()),
                )?;
                Ok((user.account.id, token))
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        out.push(Special { account_id, token });
    }
    ctx.events.shutdown();
    Ok(out)
}

/// Build every employee's home feed as the server would: the bulk load wrote statuses the
/// feeds never heard of (and the benchmark accounts' feeds were made empty, before it).
fn build_feeds(url: &str) -> Result<usize> {
    let settings = groundswell::config::Settings::default();
    let db = groundswell::db::Db::open(&groundswell::config::DatabaseSettings {
        url: groundswell::config::DatabaseUrl::parse(url).map_err(|e| anyhow::anyhow!("{e}"))?,
        ..Default::default()
    })?;
    let size = settings.limits.home_feed_size;
    db.write_blocking(groundswell::service::feeds::forget_all)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut built = 0;
    loop {
        let n = db
            .write_blocking(|conn| groundswell::service::feeds::build_missing(conn, size, 200))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if n == 0 {
            return Ok(built);
        }
        built += n;
    }
}

fn make(store: &Store, backend: Backend, params: Params) -> Result<Manifest> {
    let key = key(backend, params)?;
    std::fs::create_dir_all(&store.cache)?;
    let started = Instant::now();
    println!(
        "Seeding {}: {} accounts, {} statuses (seed {}) → {key}",
        backend.title(),
        params.accounts,
        params.statuses,
        params.rng_seed
    );
    let now_ms = chrono::Utc::now().timestamp_millis();
    let plan = plan::generate(params, now_ms);
    println!(
        "  planned in {:.1} s: {} follows, {} favourites, {} notifications, {} mentions",
        started.elapsed().as_secs_f64(),
        plan.follows.len(),
        plan.favourites.len(),
        plan.notifications.len(),
        plan.mentions.len()
    );

    let (partial_url, cleanup): (String, Box<dyn Fn() -> Result<()>>) = match backend {
        Backend::Sqlite => {
            let path = store.cache.join(format!("{key}.sqlite3.partial"));
            remove_sqlite(&path)?;
            (
                format!("sqlite://{}", path.display()),
                Box::new(move || remove_sqlite(&path)),
            )
        }
        Backend::Postgres => {
            let name = format!("{}_partial", pg_name(&key));
            pg_drop(store, &name)?;
            pg_admin(store)?.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
            let store = store.clone();
            (
                store.pg_url(&name),
                Box::new(move || pg_drop(&store, &name)),
            )
        }
    };
    let result = write_seed(store, backend, &key, &plan, &partial_url, started);
    if result.is_err() {
        let _ = cleanup();
    }
    result
}

fn remove_sqlite(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    Ok(())
}

fn write_seed(
    store: &Store,
    backend: Backend,
    key: &str,
    plan: &Plan,
    partial_url: &str,
    started: Instant,
) -> Result<Manifest> {
    let data_dir = tempfile::tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let specials = runtime.block_on(make_specials(partial_url, data_dir.path()))?;
    drop(runtime);
    println!(
        "  migrations, instance actor, benchmark accounts and tokens (library): {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut account_ids: Vec<i64> = plan.accounts.iter().map(|a| a.id).collect();
    for (i, s) in specials.iter().enumerate() {
        account_ids[i] = s.account_id;
    }
    let status_ids: Vec<i64> = plan.statuses.iter().map(|s| s.id).collect();

    let mut raw = Raw::open(partial_url)?;
    check_columns(&mut raw)?;
    match &mut raw {
        Raw::Sqlite(c) => c.batch_execute(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON; \
             PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;",
        )?,
        // Foreign keys are checked after the load (`check_foreign_keys`): row by row, their
        // triggers would take three quarters of the load time.
        Raw::Pg(c) => {
            c.batch_execute("SET synchronous_commit = off; SET session_replication_role = replica")?
        }
    }
    raw.batch("BEGIN")?;
    let load_started = Instant::now();
    let mut rows = Vec::new();
    load(&mut raw, plan, &account_ids, &status_ids, &mut rows)?;
    // The benchmark accounts exist already: give them the counters of what was loaded.
    for (i, id) in account_ids.iter().enumerate().take(SPECIAL) {
        let a = &plan.accounts[i];
        let last = match a.last_status_ms {
            Some(ms) => format!("'{}'", ms_to_text(ms)),
            None => "NULL".into(),
        };
        raw.batch(&format!(
            "UPDATE accounts SET followers_count = {}, following_count = {}, statuses_count = {}, \
             last_status_at = {last} WHERE id = {id}",
            a.followers, a.following, a.statuses
        ))?;
    }
    raw.batch("COMMIT")?;
    println!("  bulk load: {:.1} s", load_started.elapsed().as_secs_f64());
    let checked = Instant::now();
    check_counters(&mut raw)?;
    if let Raw::Pg(c) = &mut raw {
        c.batch_execute("SET session_replication_role = DEFAULT")?;
        check_foreign_keys(&mut raw)?;
    }
    println!(
        "  counters (and on PostgreSQL references) checked against the rows: {:.1} s",
        checked.elapsed().as_secs_f64()
    );

    let finished = Instant::now();
    match &mut raw {
        // The server never runs ANALYZE on SQLite, so a department's file has no statistics
        // either: none are made here.
        Raw::Sqlite(c) => c.batch_execute("PRAGMA journal_mode = WAL")?,
        // On PostgreSQL autovacuum would have analysed a database this size long ago.
        Raw::Pg(c) => c.batch_execute("VACUUM (ANALYZE)")?,
    }
    // After ANALYZE: the feeds are built with the query plans a live department gets.
    let feeds = Instant::now();
    let built = build_feeds(partial_url)?;
    println!(
        "  home feeds of all {built} employees (library, `service::feeds`): {:.1} s",
        feeds.elapsed().as_secs_f64()
    );
    if let Raw::Pg(c) = &mut raw {
        c.batch_execute("ANALYZE home_feeds; ANALYZE home_feed_states")?;
    }
    drop(raw);
    let database_url = match backend {
        Backend::Sqlite => {
            let path = sqlite_path(store, key);
            remove_sqlite(&path)?;
            let partial = partial_url.trim_start_matches("sqlite://");
            std::fs::rename(partial, &path)?;
            remove_sqlite(Path::new(partial))?;
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            let name = pg_name(key);
            pg_drop(store, &name)?;
            pg_admin(store)?.batch_execute(&format!(
                "ALTER DATABASE \"{name}_partial\" RENAME TO \"{name}\""
            ))?;
            store.pg_url(&name)
        }
    };
    println!(
        "  finished (analyse/rename): {:.1} s",
        finished.elapsed().as_secs_f64()
    );

    let ids = |v: Vec<i64>| v.into_iter().map(|id| id.to_string()).collect::<Vec<_>>();
    let popular = plan.popular_status();
    let ps = &plan.statuses[popular];
    let counts = |i: usize| {
        let a = &plan.accounts[i];
        AccountCounts {
            followers: a.followers as i64,
            following: a.following as i64,
            statuses: a.statuses as i64,
        }
    };
    let manifest = Manifest {
        key: key.to_string(),
        backend: backend.name().to_string(),
        accounts: plan.params.accounts,
        statuses: plan.params.statuses,
        rng_seed: plan.params.rng_seed,
        seeded_at: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        seed_seconds: started.elapsed().as_secs_f64(),
        database_url,
        reader_token: specials[plan::READER].token.clone(),
        poster_token: specials[plan::POSTER].token.clone(),
        admin_token: specials[plan::ADMIN].token.clone(),
        reader_id: account_ids[plan::READER].to_string(),
        poster_id: account_ids[plan::POSTER].to_string(),
        tag: plan.tags[0].name.clone(),
        reader_tags: plan
            .tag_follows
            .iter()
            .map(|&(_, t)| plan.tags[t as usize].name.clone())
            .collect(),
        status_id: ps.id.to_string(),
        status_counts: Counts {
            replies: ps.replies as i64,
            reblogs: ps.reblogs as i64,
            favourites: ps.favourites as i64,
        },
        reader_counts: counts(plan::READER),
        poster_counts: counts(plan::POSTER),
        expected_home: ids(plan.expected_home(20)),
        expected_department: ids(plan.expected_department(20)),
        expected_tag: ids(plan.expected_tag(0, 20)),
        expected_poster_statuses: ids(plan.expected_account(plan::POSTER, 20)),
        expected_poster_notifications: ids(plan
            .expected_notifications(plan::POSTER, 20)
            .into_iter()
            .collect()),
        rows,
    };
    let path = manifest_path(store, key);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest)?)?;
    println!(
        "Seeded {} in {:.1} s; manifest {}",
        backend.title(),
        manifest.seed_seconds,
        path.display()
    );
    Ok(manifest)
}

fn load(
    raw: &mut Raw,
    plan: &Plan,
    account_ids: &[i64],
    status_ids: &[i64],
    rows: &mut Vec<(String, usize)>,
) -> Result<()> {
    // One key pair for every bulk account: generating 10,000 RSA keys would take longer than
    // the rest of the seed, and the seed is not federated.
    let keypair = activitypub_federation::http_signatures::generate_actor_keypair()?;

    // The instance actor's keys, as `apub::init` makes them at a server's first start.
    let instance = activitypub_federation::http_signatures::generate_actor_keypair()?;
    let mut l = Loader::new(raw, &INSTANCE_KEYS);
    l.row(&[
        V::S("instance_actor"),
        V::S(&instance.public_key),
        V::S(&instance.private_key),
        V::T(plan.now_ms),
    ])?;
    l.finish(rows)?;

    let mut l = Loader::new(raw, &ACCOUNTS);
    for (i, a) in plan.accounts.iter().enumerate().skip(SPECIAL) {
        let u = &a.username;
        let actor = format!("{BASE}/users/{u}");
        let (url, inbox, outbox, followers, following, featured) = (
            format!("{BASE}/@{u}"),
            format!("{actor}/inbox"),
            format!("{actor}/outbox"),
            format!("{actor}/followers"),
            format!("{actor}/following"),
            format!("{actor}/collections/featured"),
        );
        l.row(&[
            V::I(account_ids[i]),
            V::S(u),
            V::N,
            V::S(&a.display_name),
            V::S(""),
            V::B(false),
            V::B(false),
            V::B(true),
            V::S("[]"),
            V::N,
            V::N,
            V::S(&actor),
            V::S(&url),
            V::S(&inbox),
            V::S(&format!("{BASE}/inbox")),
            V::S(&outbox),
            V::S(&followers),
            V::S(&following),
            V::S(&featured),
            V::S(&keypair.public_key),
            V::S(&keypair.private_key),
            V::I(a.followers as i64),
            V::I(a.following as i64),
            V::I(a.statuses as i64),
            a.last_status_ms.map_or(V::N, V::T),
            V::N,
            V::N,
            V::T(a.created_ms),
            V::T(a.created_ms),
            V::N,
            V::N,
            V::N,
        ])?;
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &USERS);
    for (i, a) in plan.accounts.iter().enumerate().skip(SPECIAL) {
        // Users get ids of their own, a millisecond after their account's.
        let user_id = account_ids[i] + (1 << 16);
        l.row(&[
            V::I(user_id),
            V::I(account_ids[i]),
            V::S(&format!("{}@{DOMAIN}", a.username)),
            V::N,
            V::S("user"),
            V::N,
            V::N,
            V::N,
            V::N,
            V::N,
            V::B(false),
            V::N,
            V::N,
            V::T(a.created_ms),
            V::T(a.created_ms),
            V::S("[]"),
            V::N,
            V::N,
            V::N,
            V::S("[]"),
        ])?;
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &FOLLOWS);
    for f in &plan.follows {
        l.row(&[
            V::I(f.id),
            V::I(account_ids[f.follower as usize]),
            V::I(account_ids[f.target as usize]),
            V::B(true),
            V::B(true),
            V::B(false),
            V::N,
            V::T(f.ms),
            V::T(f.ms),
        ])?;
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &TAGS);
    for t in &plan.tags {
        if let Some(ms) = t.first_ms {
            l.row(&[V::I(t.id), V::S(&t.name), V::S(&t.display), V::T(ms)])?;
        }
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &STATUSES);
    let mut links = std::collections::HashMap::new();
    for (i, s) in plan.statuses.iter().enumerate() {
        let author = &plan.accounts[s.author as usize].username;
        let id = s.id;
        let vis = s.vis.as_str();
        if s.is_boost() {
            let ap_id = format!("{BASE}/users/{author}/statuses/{id}/activity");
            l.row(&[
                V::I(id),
                V::S(&ap_id),
                V::N,
                V::I(account_ids[s.author as usize]),
                V::B(true),
                V::N,
                V::N,
                V::N,
                V::I(status_ids[s.boost_of as usize]),
                V::N,
                V::S(""),
                V::N,
                V::S(""),
                V::B(false),
                V::S(vis),
                V::N,
                V::N,
                V::I(s.replies as i64),
                V::I(s.reblogs as i64),
                V::I(s.favourites as i64),
                V::N,
                V::N,
                V::T(s.ms),
                V::T(s.ms),
                V::N,
                V::B(false),
            ])?;
            continue;
        }
        let source = plan::text_of(plan, i);
        links.clear();
        for &m in s.mentions() {
            let name = &plan.accounts[m as usize].username;
            links.insert(
                MentionRef {
                    username: name.clone(),
                    domain: None,
                },
                MentionLink {
                    url: format!("{BASE}/@{name}"),
                    username: name.clone(),
                },
            );
        }
        let content = text::render(&source, BASE, &links);
        let ap_id = format!("{BASE}/users/{author}/statuses/{id}");
        let url = format!("{BASE}/@{author}/{id}");
        let parent_ap_id = (s.reply_to != NONE).then(|| {
            let p = &plan.statuses[s.reply_to as usize];
            let pa = &plan.accounts[p.author as usize].username;
            format!("{BASE}/users/{pa}/statuses/{}", p.id)
        });
        let in_reply_to_account = if s.reply_to == NONE {
            V::N
        } else {
            V::I(account_ids[plan.statuses[s.reply_to as usize].author as usize])
        };
        l.row(&[
            V::I(id),
            V::S(&ap_id),
            V::S(&url),
            V::I(account_ids[s.author as usize]),
            V::B(true),
            V::opt_i(s.reply_to, status_ids),
            in_reply_to_account,
            parent_ap_id.as_deref().map_or(V::N, V::S),
            V::N,
            V::opt_i(s.root, status_ids),
            V::S(&content),
            V::S(&source),
            V::S(if s.spoiler { "Long read" } else { "" }),
            V::B(s.spoiler),
            V::S(vis),
            V::S("en"),
            V::N,
            V::I(s.replies as i64),
            V::I(s.reblogs as i64),
            V::I(s.favourites as i64),
            V::N,
            V::N,
            V::T(s.ms),
            V::T(s.ms),
            V::N,
            V::B(false),
        ])?;
    }
    l.finish(rows)?;
    debug_assert!(
        plan.statuses
            .iter()
            .all(|s| s.vis != Vis::Direct || s.n_mentions > 0)
    );

    let mut l = Loader::new(raw, &MENTIONS);
    for m in &plan.mentions {
        l.row(&[
            V::I(m.id),
            V::I(status_ids[m.status as usize]),
            V::I(account_ids[m.account as usize]),
        ])?;
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &STATUS_TAGS);
    for s in &plan.statuses {
        for &t in s.tags() {
            l.row(&[V::I(s.id), V::I(plan.tags[t as usize].id)])?;
        }
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &FAVOURITES);
    for f in &plan.favourites {
        l.row(&[
            V::I(f.id),
            V::I(account_ids[f.account as usize]),
            V::I(status_ids[f.status as usize]),
            V::N,
            V::T(f.ms),
        ])?;
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &NOTIFICATIONS);
    // Group keys as `service::notifications::group_key` gives them: favourites and boosts of
    // one post, and follows, share a key with the recipient's newest group of that kind
    // started less than `GROUP_SPAN_HOURS` before (the notifications are in time order).
    let mut groups: std::collections::HashMap<(u32, String), i64> =
        std::collections::HashMap::new();
    for n in &plan.notifications {
        let prefix = match (n.kind, n.status) {
            (plan::Kind::Follow, _) => Some("follow".to_string()),
            (plan::Kind::Favourite | plan::Kind::Reblog, s) if s != NONE => {
                Some(format!("{}-{}", n.kind.as_str(), status_ids[s as usize]))
            }
            _ => None,
        };
        let group_key = prefix.map(|prefix| {
            let hour = n.ms.div_euclid(3_600_000);
            let first = groups.entry((n.recipient, prefix.clone())).or_insert(hour);
            if hour >= *first + notifications::GROUP_SPAN_HOURS {
                *first = hour;
            }
            format!("{prefix}-{first}")
        });
        l.row(&[
            V::I(n.id),
            V::I(account_ids[n.recipient as usize]),
            V::I(account_ids[n.from as usize]),
            V::S(n.kind.as_str()),
            V::opt_i(n.status, status_ids),
            V::T(n.ms),
            V::N,
            V::N,
            group_key.as_deref().map_or(V::N, V::S),
            V::B(false),
        ])?;
    }
    l.finish(rows)?;

    let mut l = Loader::new(raw, &TAG_FOLLOWS);
    for (k, &(a, t)) in plan.tag_follows.iter().enumerate() {
        let ms = plan.now_ms - 30 * plan::DAY_MS;
        l.row(&[
            V::I((ms << 16) + k as i64),
            V::I(account_ids[a as usize]),
            V::I(plan.tags[t as usize].id),
            V::T(ms),
        ])?;
    }
    l.finish(rows)?;
    Ok(())
}

/// Every reference the loader wrote points at a row (SQLite checks them while loading; the
/// PostgreSQL load skips the row-by-row triggers).
fn check_foreign_keys(raw: &mut Raw) -> Result<()> {
    let references = [
        ("users", "account_id", "accounts"),
        ("follows", "account_id", "accounts"),
        ("follows", "target_account_id", "accounts"),
        ("statuses", "account_id", "accounts"),
        ("statuses", "in_reply_to_account_id", "accounts"),
        ("statuses", "in_reply_to_id", "statuses"),
        ("statuses", "reblog_of_id", "statuses"),
        ("mentions", "status_id", "statuses"),
        ("mentions", "account_id", "accounts"),
        ("status_tags", "status_id", "statuses"),
        ("status_tags", "tag_id", "tags"),
        ("favourites", "account_id", "accounts"),
        ("favourites", "status_id", "statuses"),
        ("notifications", "account_id", "accounts"),
        ("notifications", "from_account_id", "accounts"),
        ("notifications", "status_id", "statuses"),
        ("tag_follows", "account_id", "accounts"),
        ("tag_follows", "tag_id", "tags"),
    ];
    for (table, column, target) in references {
        let dangling = raw.count(&format!(
            "SELECT count(*) AS n FROM {table} x WHERE x.{column} IS NOT NULL AND NOT EXISTS \
             (SELECT 1 FROM {target} t WHERE t.id = x.{column})"
        ))?;
        if dangling != 0 {
            bail!("{dangling} rows of {table}.{column} point at no {target}");
        }
    }
    Ok(())
}

/// Every counter column agrees with the rows it counts (what the app would have counted,
/// one post, follow, boost and favourite at a time).
fn check_counters(raw: &mut Raw) -> Result<()> {
    let checks = [
        (
            "accounts.followers_count",
            "SELECT count(*) AS n FROM accounts a WHERE a.followers_count <> \
             (SELECT count(*) FROM follows f WHERE f.target_account_id = a.id AND f.accepted)",
        ),
        (
            "accounts.following_count",
            "SELECT count(*) AS n FROM accounts a WHERE a.following_count <> \
             (SELECT count(*) FROM follows f WHERE f.account_id = a.id AND f.accepted)",
        ),
        (
            "accounts.statuses_count",
            "SELECT count(*) AS n FROM accounts a WHERE a.statuses_count <> \
             (SELECT count(*) FROM statuses s WHERE s.account_id = a.id)",
        ),
        (
            "statuses.replies_count",
            "SELECT count(*) AS n FROM statuses s WHERE s.replies_count <> \
             (SELECT count(*) FROM statuses r WHERE r.in_reply_to_id = s.id)",
        ),
        (
            "statuses.reblogs_count",
            "SELECT count(*) AS n FROM statuses s WHERE s.reblogs_count <> \
             (SELECT count(*) FROM statuses b WHERE b.reblog_of_id = s.id)",
        ),
        (
            "statuses.favourites_count",
            "SELECT count(*) AS n FROM statuses s WHERE s.favourites_count <> \
             (SELECT count(*) FROM favourites f WHERE f.status_id = s.id)",
        ),
        (
            "local accounts without a user",
            "SELECT count(*) AS n FROM accounts a WHERE a.domain IS NULL AND NOT EXISTS \
             (SELECT 1 FROM users u WHERE u.account_id = a.id)",
        ),
    ];
    for (what, sql) in checks {
        let wrong = raw.count(sql)?;
        if wrong != 0 {
            bail!("{wrong} rows have a wrong {what}");
        }
    }
    Ok(())
}
