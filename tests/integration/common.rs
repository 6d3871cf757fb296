//! Shared test fixtures: fresh databases on both backends, the CLI binary, in-process servers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use groundswell::config::{DatabaseUrl, Settings};
use groundswell::context::AppContext;
use groundswell::server::{self, RunningServer};
use groundswell::service::events::EventBus;
use tempfile::TempDir;

/// The PostgreSQL server the tests create their databases on (trust auth, user `postgres`).
pub fn postgres_admin_url() -> String {
    std::env::var("GROUNDSWELL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty database that is deleted when dropped.
pub enum TestDb {
    Sqlite { dir: TempDir, path: PathBuf },
    Postgres { name: String, url: String },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("groundswell.sqlite3");
        TestDb::Sqlite { dir, path }
    }

    pub fn postgres() -> TestDb {
        let admin_url = postgres_admin_url();
        let name = format!(
            "gs_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand::random::<u32>()
        );
        let mut conn = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is needed for the tests at {admin_url}: {e}. Start it with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
            )
        });
        conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("admin URL");
        url.set_path(&name);
        TestDb::Postgres {
            name,
            url: url.to_string(),
        }
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            TestDb::Postgres { url, .. } => url.clone(),
        }
    }

    /// Another fresh database of the same kind (for a second instance).
    pub fn another(&self) -> TestDb {
        match self {
            TestDb::Sqlite { .. } => TestDb::sqlite(),
            TestDb::Postgres { .. } => TestDb::postgres(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }

    /// Settings for an instance on this database, listening on a free loopback port.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::default();
        settings.database.url = DatabaseUrl::parse(&self.url()).expect("test URL");
        settings.database.pool_size = 4;
        settings.http.bind = "127.0.0.1:0".parse().expect("addr");
        settings.http.workers = 1;
        settings
    }

    /// A plain connection for checking what the application wrote.
    pub fn connect(&self) -> groundswell::db::DbConnection {
        groundswell::db::ConnectionManager::new(DatabaseUrl::parse(&self.url()).expect("url"))
            .establish()
            .expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name, .. } = self
            && let Ok(mut conn) = PgConnection::establish(&postgres_admin_url())
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// Define one test per backend for each `async fn scenario(db: TestDb)` named.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                $crate::common::scenario(super::$name($crate::common::TestDb::sqlite())).await
            }
            #[actix_web::test]
            async fn postgres() {
                $crate::common::scenario(super::$name($crate::common::TestDb::postgres())).await
            }
        }
    )* };
}

thread_local! {
    /// The servers this test started (a test runs on one thread), stopped when it ends.
    static STARTED: std::cell::RefCell<Vec<(actix_web::dev::ServerHandle, EventBus)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Run a test's body, then stop every server it started, passed or failed: no thread of a
/// finished test may still be inside libpq when the test binary exits (that crashes it).
pub async fn scenario(body: impl std::future::Future<Output = ()>) {
    use futures_util::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    stop_started_servers().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Stop the servers this test started and wait for their threads (listener, worker).
pub async fn stop_started_servers() {
    let started = STARTED.with(|s| std::mem::take(&mut *s.borrow_mut()));
    for (handle, events) in started {
        events.shutdown();
        handle.stop(false).await;
        let _ = tokio::task::spawn_blocking(move || events.stop_listener()).await;
    }
}

/// A loopback port where nothing listens now (for a peer that is down). To start a server,
/// use [`reserve_port`]: a port released and bound again could be taken in between.
pub fn free_port() -> u16 {
    reserve_port().number()
}

/// A loopback port bound now and handed to the server that is started on it, so the
/// instance's domain can name its port before it starts.
pub struct Port(std::net::TcpListener);

impl Port {
    pub fn number(&self) -> u16 {
        self.0.local_addr().expect("bound port").port()
    }

    /// The bound socket, for a server that is not Groundswell (a fake peer).
    pub fn into_listener(self) -> std::net::TcpListener {
        self.0
    }

    /// The same port again, for a restart (the old server has stopped and released it).
    pub fn again(number: u16) -> Port {
        Port(std::net::TcpListener::bind(("127.0.0.1", number)).expect("bind the port again"))
    }
}

pub fn reserve_port() -> Port {
    Port(std::net::TcpListener::bind("127.0.0.1:0").expect("free port"))
}

/// Start an instance in this process, on `settings.http.bind`.
pub async fn start_server(settings: Settings) -> (RunningServer, AppContext) {
    start_server_on(settings, None).await
}

/// Start an instance in this process, on a reserved port (or `settings.http.bind`); it is
/// stopped when the test ends.
pub async fn start_server_on(
    settings: Settings,
    port: Option<Port>,
) -> (RunningServer, AppContext) {
    groundswell::install_crypto_provider();
    let ctx = server::prepare(settings).await.expect("prepare server");
    let running = match port {
        Some(Port(listener)) => server::start_on(ctx.clone(), listener),
        None => server::start(ctx.clone()),
    }
    .expect("start server");
    STARTED.with(|s| {
        s.borrow_mut()
            .push((running.handle.clone(), ctx.events.clone()))
    });
    (running, ctx)
}

pub fn http() -> reqwest::Client {
    groundswell::install_crypto_provider();
    reqwest::Client::builder()
        // Shorter than the server's keep-alive (5 s), so a connection the server is closing
        // is never reused (that race shows up as IncompleteMessage on a loaded machine).
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("HTTP client")
}

/// The `groundswell` binary, with no GROUNDSWELL_* variables inherited from the caller.
pub fn groundswell_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_groundswell"));
    for (key, _) in std::env::vars() {
        if key.starts_with("GROUNDSWELL_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// Run `groundswell ARGS` against a database.
pub fn run_cli(db: &TestDb, args: &[&str]) -> Output {
    run_cli_with_stdin(db, args, None)
}

pub fn run_cli_with_stdin(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = groundswell_cmd();
    cmd.args(args)
        .env("GROUNDSWELL_DATABASE__URL", db.url())
        .env("GROUNDSWELL_LOG__LEVEL", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match stdin {
        None => cmd.output().expect("run groundswell"),
        Some(input) => {
            use std::io::Write;
            cmd.stdin(Stdio::piped());
            let mut child = cmd.spawn().expect("spawn groundswell");
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
            child.wait_with_output().expect("wait groundswell")
        }
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Assert the command succeeded, showing its output if not.
#[track_caller]
pub fn assert_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "command failed ({:?})\nstdout: {}\nstderr: {}",
        out.status,
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// Assert the command failed with exit code 1 and one clear `error: …` line; returns it.
#[track_caller]
pub fn assert_cli_error(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected failure\nstdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one error line, got: {err}");
    assert!(lines[0].starts_with("error: "), "got: {err}");
    lines[0].to_string()
}

pub fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write file");
    path
}

/// A running instance with an HTTP client and named employees (alice@eng, bob@eng, …).
pub struct Fixture {
    pub db: TestDb,
    pub server: RunningServer,
    pub ctx: AppContext,
    pub client: reqwest::Client,
    pub base: String,
}

/// An employee of the fixture instance with a bearer token.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub username: String,
    pub id: String,
    pub token: String,
}

impl Fixture {
    pub async fn start(db: TestDb) -> Fixture {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: TestDb, configure: impl FnOnce(&mut Settings)) -> Fixture {
        // Reserve a port first so the instance's domain (used in every URL) is right.
        Self::start_on(db, reserve_port(), configure).await
    }

    /// Start on a reserved loopback port (the domain defaults to `127.0.0.1:port`).
    pub async fn start_on(
        db: TestDb,
        port: Port,
        configure: impl FnOnce(&mut Settings),
    ) -> Fixture {
        let number = port.number();
        let mut settings = db.settings();
        settings.http.bind = format!("127.0.0.1:{number}").parse().expect("addr");
        settings.instance.domain =
            groundswell::config::Domain::parse(&format!("127.0.0.1:{number}")).expect("domain");
        configure(&mut settings);
        Self::start_settings(db, port, settings).await
    }

    async fn start_settings(db: TestDb, port: Port, settings: Settings) -> Fixture {
        let number = port.number();
        let (server, ctx) = start_server_on(settings, Some(port)).await;
        Fixture {
            base: format!("http://127.0.0.1:{number}"),
            db,
            server,
            ctx,
            client: http(),
        }
    }

    /// Create an employee and a token with `scopes`.
    pub async fn user_with_scopes(&self, username: &str, scopes: &str) -> TestUser {
        use groundswell::service::{tokens, users};
        let name = username.to_string();
        let prepared = tokio::task::spawn_blocking(move || {
            users::NewLocalUser::prepare(
                users::Username::parse(&name).unwrap(),
                users::Email::parse(&format!("{name}@eng.corp.example")).unwrap(),
                None,
                users::Role::User,
                None,
            )
            .unwrap()
        })
        .await
        .unwrap();
        let instance = self.ctx.settings.instance.clone();
        let scopes = groundswell::auth::Scopes::parse(scopes).unwrap();
        let (id, token) = self
            .ctx
            .db
            .write(move |conn| {
                let user = users::create_local_user(conn, &instance, prepared)?;
                let token = tokens::issue_personal_token(conn, &user, &scopes, None)?;
                Ok((user.account.id, token))
            })
            .await
            .unwrap();
        TestUser {
            username: username.to_string(),
            id: id.to_string(),
            token,
        }
    }

    pub async fn user(&self, username: &str) -> TestUser {
        self.user_with_scopes(username, "read write follow").await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET as `user` (or anonymously); returns status and JSON body.
    pub async fn get(&self, user: Option<&TestUser>, path: &str) -> (u16, serde_json::Value) {
        let mut req = self.client.get(self.url(path));
        if let Some(u) = user {
            req = req.bearer_auth(&u.token);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// POST a JSON body as `user`.
    pub async fn post(
        &self,
        user: &TestUser,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let resp = self
            .client
            .post(self.url(path))
            .bearer_auth(&user.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Post a status and return its id.
    pub async fn status(&self, user: &TestUser, body: serde_json::Value) -> String {
        let (code, json) = self.post(user, "/api/v1/statuses", body).await;
        assert_eq!(code, 200, "{json}");
        json["id"].as_str().unwrap().to_string()
    }

    pub async fn stop(self) {
        self.server.stop(true).await.expect("server stops");
    }

    /// Stop the instance and start it again on the same port and database.
    pub async fn restart(self) -> Fixture {
        let (db, port, settings) = self.stop_keeping_db().await;
        Self::start_again(db, port, settings).await
    }

    /// Stop the instance, keeping its database (and port) for a later start.
    pub async fn stop_keeping_db(self) -> (TestDb, u16, Settings) {
        let settings = (*self.ctx.settings).clone();
        let port = self.server.addr.port();
        self.server.stop(true).await.expect("server stops");
        (self.db, port, settings)
    }

    pub async fn start_again(db: TestDb, port: u16, settings: Settings) -> Fixture {
        Self::start_settings(db, Port::again(port), settings).await
    }
}

/// What every instance in this test binary logs at WARN and above, in text form. Installed
/// once as the global `tracing` subscriber; a test looks for lines that name its own ports.
pub fn warn_log() -> &'static WarnLog {
    static LOG: std::sync::OnceLock<WarnLog> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let log = WarnLog(std::sync::Arc::new(std::sync::Mutex::new(Vec::new())));
        let buffer = log.0.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || LogWriter(buffer.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global tracing subscriber in the test binary");
        log
    })
}

pub struct WarnLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl WarnLog {
    /// The lines logged so far that contain every one of `needles`.
    pub fn lines_with(&self, needles: &[&str]) -> Vec<String> {
        let bytes = self.0.lock().expect("log buffer").clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter(|line| needles.iter().all(|n| line.contains(n)))
            .map(String::from)
            .collect()
    }
}

struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
