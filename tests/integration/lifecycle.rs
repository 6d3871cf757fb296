//! Running the real binary: first start with no config, the one-time admin password,
//! Ctrl-C / SIGTERM shutdown, and a database that cannot be reached.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use groundswell::db::schema::{accounts, users};

use crate::common::*;
use crate::on_both_backends;

/// A `groundswell serve` process whose stdout we read line by line.
pub(crate) struct ServeProcess {
    pub(crate) child: Child,
    log: std::path::PathBuf,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl ServeProcess {
    pub(crate) fn spawn(cwd: &Path, env: &[(&str, String)]) -> ServeProcess {
        let mut cmd = groundswell_cmd();
        // Keep the server's log next to its data, to show it when an assertion fails.
        let log = std::fs::File::create(cwd.join("server.log")).expect("log file");
        cmd.current_dir(cwd)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn groundswell serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        ServeProcess {
            child,
            log: cwd.join("server.log"),
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Wait for a stdout line containing `needle`; returns it.
    pub(crate) fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        panic!(
                            "server exited ({status}) before printing {needle:?}: {:?}",
                            self.seen
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("no line containing {needle:?}; saw {:?}", self.seen)
    }

    /// The `http://127.0.0.1:PORT` the server printed.
    pub(crate) fn wait_until_serving(&mut self) -> String {
        let line = self.wait_for("serving");
        line.rsplit(" on ")
            .next()
            .expect("address")
            .trim()
            .to_string()
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// The server's log (stderr) so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait for exit; returns whether it exited with success, and the rest of stdout.
    fn wait_exit(mut self) -> (bool, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                let mut rest = std::mem::take(&mut self.seen);
                rest.extend(self.lines.try_iter());
                if !status.success() {
                    eprintln!(
                        "server exited with {status}; its log:\n{}",
                        std::fs::read_to_string(&self.log).unwrap_or_default()
                    );
                }
                return (status.success(), rest);
            }
            assert!(Instant::now() < deadline, "server did not stop within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn admin_password(process: &mut ServeProcess) -> String {
    let line = process.wait_for("password: ");
    line.split("password: ").nth(1).unwrap().trim().to_string()
}

struct PlainResponse {
    status: u16,
    body: String,
}

/// A synchronous GET over a plain TcpStream, so these process tests need no async runtime.
fn get(url: &str) -> PlainResponse {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let body = raw.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    PlainResponse { status, body }
}

/// `cargo run --release` in a fresh checkout: SQLite under ./data, the default domain, an
/// admin with a one-time password that works, never printed again, different on another
/// fresh machine. Only the listen port is chosen by the kernel, so the test never depends on
/// 8080 being free (the default `http.bind` itself is checked in `config`).
#[test]
fn first_start_with_no_config_creates_an_admin_once() {
    let dir = tempfile::tempdir().unwrap();
    let any_port = [("GROUNDSWELL_HTTP__BIND", "127.0.0.1:0".to_string())];
    let mut server = ServeProcess::spawn(dir.path(), &any_port);
    let addr = server.wait_until_serving();
    assert!(addr.starts_with("http://127.0.0.1:"), "{addr}");
    assert_ne!(addr, "http://127.0.0.1:0");
    let password = admin_password(&mut server);
    assert!(server.seen.iter().any(|l| l.contains("username: admin")));
    assert!(
        server
            .seen
            .iter()
            .any(|l| l.contains("serving http://localhost:8080"))
    );
    let health = get(&format!("{addr}/healthz"));
    assert_eq!(health.status, 200, "{}", health.body);
    server.signal("INT");
    let (ok, output) = server.wait_exit();
    assert!(ok, "Ctrl-C is a clean stop: {output:?}");
    assert!(
        output.iter().any(|l| l == "Groundswell stopped."),
        "{output:?}"
    );

    // The password printed is the admin's, stored only as an Argon2 hash.
    let db_path = dir.path().join("data/groundswell.sqlite3");
    assert!(db_path.is_file());
    let mut conn = SqliteConnection::establish(db_path.to_str().unwrap()).unwrap();
    let (hash, role): (Option<String>, String) = users::table
        .inner_join(accounts::table)
        .filter(accounts::username.eq("admin"))
        .select((users::password_hash, users::role))
        .first(&mut conn)
        .unwrap();
    assert_eq!(role, "admin");
    assert!(groundswell::auth::password::verify(
        &password,
        &hash.unwrap()
    ));
    drop(conn);

    // Second start on the same data: no new admin, no password printed.
    let mut again = ServeProcess::spawn(dir.path(), &any_port);
    again.wait_until_serving();
    again.signal("TERM");
    let (ok, output) = again.wait_exit();
    assert!(ok, "SIGTERM is a clean stop: {output:?}");
    assert!(
        !output.iter().any(|l| l.contains("password")),
        "the password is never shown again: {output:?}"
    );

    // Another fresh machine gets another password.
    let other = tempfile::tempdir().unwrap();
    let mut third = ServeProcess::spawn(other.path(), &any_port);
    third.wait_until_serving();
    let other_password = admin_password(&mut third);
    assert_ne!(password, other_password);
}

/// `serve` on either backend, configured through the environment only; after a stop the
/// database is intact and the next start is quiet.
async fn serve_stops_cleanly_and_keeps_data(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("GROUNDSWELL_DATABASE__URL", db.url()),
        ("GROUNDSWELL_HTTP__BIND", "127.0.0.1:0".to_string()),
        (
            "GROUNDSWELL_INSTANCE__DOMAIN",
            "eng.corp.example".to_string(),
        ),
    ];
    let mut server = ServeProcess::spawn(dir.path(), &env);
    let addr = server.wait_until_serving();
    assert!(
        server
            .seen
            .iter()
            .any(|l| l.contains("serving https://eng.corp.example")),
        "{:?}",
        server.seen
    );
    admin_password(&mut server);
    assert_eq!(get(&format!("{addr}/readyz")).status, 200);
    server.signal("INT");
    let (ok, output) = server.wait_exit();
    assert!(ok, "{output:?}");

    if let TestDb::Sqlite { path, .. } = &db {
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        #[derive(QueryableByName)]
        struct Check {
            #[diesel(sql_type = diesel::sql_types::Text)]
            integrity_check: String,
        }
        let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
            .load(&mut conn)
            .unwrap();
        assert_eq!(check[0].integrity_check, "ok");
        conn.batch_execute("SELECT 1").unwrap();
    }
    let listed = assert_ok(&run_cli(&db, &["admin", "list-users"]));
    assert!(listed.lines().any(|l| l.starts_with("admin ")), "{listed}");

    let mut again = ServeProcess::spawn(dir.path(), &env);
    again.wait_until_serving();
    again.signal("TERM");
    let (ok, output) = again.wait_exit();
    assert!(ok);
    assert!(!output.iter().any(|l| l.contains("password")), "{output:?}");
}

on_both_backends!(serve_stops_cleanly_and_keeps_data);

#[test]
fn an_unreachable_database_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = groundswell_cmd();
    let out = cmd
        .current_dir(dir.path())
        .args(["migrate"])
        .env(
            "GROUNDSWELL_DATABASE__URL",
            "postgres://postgres@127.0.0.1:1/eng",
        )
        .output()
        .unwrap();
    let line = assert_cli_error(&out);
    assert!(
        line.contains("cannot open the database postgres://postgres@127.0.0.1:1/eng"),
        "{line}"
    );
    assert!(line.to_lowercase().contains("connection refused"), "{line}");

    let out = groundswell_cmd()
        .current_dir(dir.path())
        .args(["serve"])
        .env(
            "GROUNDSWELL_DATABASE__URL",
            "postgres://postgres@127.0.0.1:5432/no_such_db_here",
        )
        .env("GROUNDSWELL_HTTP__BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    let line = assert_cli_error(&out);
    assert!(line.contains("no_such_db_here"), "{line}");
    assert!(line.contains("does not exist"), "{line}");
}

/// Ctrl-C lets a request that is still being received finish before the process exits.
#[test]
fn ctrl_c_lets_in_flight_requests_finish() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/gs.sqlite3", dir.path().display());
    let env = [
        ("GROUNDSWELL_DATABASE__URL", url.clone()),
        ("GROUNDSWELL_HTTP__BIND", "127.0.0.1:0".to_string()),
        ("GROUNDSWELL_LOG__LEVEL", "warn".to_string()),
    ];
    let cli = |args: &[&str]| {
        let mut cmd = groundswell_cmd();
        cmd.current_dir(dir.path()).args(args);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        assert_ok(&cmd.output().unwrap())
    };
    cli(&["migrate"]);
    cli(&[
        "admin",
        "create-user",
        "ann",
        "--email",
        "ann@eng.corp.example",
        "--no-password",
    ]);
    let token = cli(&["admin", "issue-token", "ann", "--scopes", "write"])
        .trim()
        .to_string();
    let mut server = ServeProcess::spawn(dir.path(), &env);
    let addr = server.wait_until_serving();

    let png = {
        let img = image::RgbImage::from_pixel(300, 200, image::Rgb([200, 100, 50]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    body.extend_from_slice(&png);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let host = addr.trim_start_matches("http://");
    // Make sure every worker is up and polling (on a loaded machine they start late, and a
    // connection a worker has not picked up yet is not "in flight").
    for _ in 0..4 {
        let mut warm = std::net::TcpStream::connect(host).unwrap();
        write!(
            warm,
            "GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        warm.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "POST /api/v2/media HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let half = body.len() / 2;
    stream.write_all(&body[..half]).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    server.signal("INT");
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(&body[half..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"type\":\"image\""), "{response}");
    let (ok, output) = server.wait_exit();
    assert!(ok, "{output:?}");
    // And nothing was lost: the upload is in the database.
    let mut conn =
        SqliteConnection::establish(dir.path().join("gs.sqlite3").to_str().unwrap()).unwrap();
    use groundswell::db::schema::media_attachments;
    let n: i64 = media_attachments::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(n, 1);
}
