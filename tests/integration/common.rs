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
                super::$name($crate::common::TestDb::sqlite()).await
            }
            #[actix_web::test]
            async fn postgres() {
                super::$name($crate::common::TestDb::postgres()).await
            }
        }
    )* };
}

/// Start an instance in this process.
pub async fn start_server(settings: Settings) -> (RunningServer, AppContext) {
    groundswell::install_crypto_provider();
    let ctx = server::prepare(settings).await.expect("prepare server");
    let running = server::start(ctx.clone()).expect("start server");
    (running, ctx)
}

pub fn http() -> reqwest::Client {
    groundswell::install_crypto_provider();
    reqwest::Client::builder().build().expect("HTTP client")
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
