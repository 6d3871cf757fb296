//! Issue 9, tried as an attacker would: crafted parameters, oversized bodies, spoofed
//! forwarding headers, under-signed fetches, interactions with posts the sender cannot see,
//! replies that would leak department-only posts, and code exchanges without their
//! `redirect_uri`. Each finding has its regression test here, through the real HTTP server;
//! the first two run the real binary, whose process must survive and stay small.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::*;
use crate::lifecycle::ServeProcess;
use crate::on_both_backends;

/// `groundswell serve` on `db`, on a free port, quiet; returns it and its `http://…` base.
fn serve(db: &TestDb, dir: &std::path::Path, extra: &[(&str, String)]) -> (ServeProcess, String) {
    let mut env = vec![
        ("GROUNDSWELL_DATABASE__URL", db.url()),
        ("GROUNDSWELL_HTTP__BIND", "127.0.0.1:0".to_string()),
        ("GROUNDSWELL_LOG__LEVEL", "warn".to_string()),
        (
            "GROUNDSWELL_STORAGE__DATA_DIR",
            dir.join("data").display().to_string(),
        ),
    ];
    env.extend(extra.iter().cloned());
    let mut server = ServeProcess::spawn(dir, &env);
    let base = server.wait_until_serving();
    (server, base)
}

/// The process is still running and answers a normal request.
async fn still_serving(server: &mut ServeProcess, base: &str) {
    let resp = http()
        .get(format!("{base}/api/v1/timelines/public"))
        .send()
        .await;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server process died; its log:\n{}",
        server.log()
    );
    let resp = resp.expect("the server still answers");
    assert_eq!(resp.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// 1. A form key thousands of brackets deep: 400, and the process keeps serving
// ---------------------------------------------------------------------------------------------

async fn deeply_nested_parameters_get_400_and_the_server_keeps_serving(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve(&db, dir.path(), &[]);
    let client = http();
    // About 12 KB: the request that aborted the whole process.
    let key = format!("a{}", "[x]".repeat(4000));
    let check = |what: &str, status: u16, body: Value| {
        assert_eq!(status, 400, "{what}: {body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains("nested too deeply"), "{what}: {body}");
    };

    // The query string of an anonymous endpoint.
    let resp = client
        .get(format!("{base}/api/v1/timelines/public?{key}=1"))
        .send()
        .await
        .unwrap();
    check("query", resp.status().as_u16(), resp.json().await.unwrap());
    still_serving(&mut server, &base).await;

    // The form bodies of the unauthenticated app registration and token endpoints.
    for path in ["/api/v1/apps", "/oauth/token"] {
        let resp = client
            .post(format!("{base}{path}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("client_name=x&{key}=1"))
            .send()
            .await
            .unwrap();
        check(path, resp.status().as_u16(), resp.json().await.unwrap());
    }
    // A multipart field name.
    let form = reqwest::multipart::Form::new()
        .text("client_name", "x")
        .text(key.clone(), "1");
    let resp = client
        .post(format!("{base}/api/v1/apps"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    check(
        "multipart",
        resp.status().as_u16(),
        resp.json().await.unwrap(),
    );

    // Rails-style keys of ordinary depth still work.
    let resp = client
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "Deep"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", "read"),
            ("unused[a][b][]", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    still_serving(&mut server, &base).await;
}

on_both_backends!(deeply_nested_parameters_get_400_and_the_server_keeps_serving);

// ---------------------------------------------------------------------------------------------
// 2. Large anonymous multipart bodies are refused without being buffered
// ---------------------------------------------------------------------------------------------

/// A value from `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in bytes.
fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"));
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// One part of a multipart body: its headers, then `size` bytes of `fill`.
struct Part {
    name: &'static str,
    filename: Option<&'static str>,
    size: usize,
}

const BOUNDARY: &str = "gsboundary7MA4YWxkTrZu0gW";

/// POST a multipart body over a plain TCP connection, sent chunked (so the server cannot
/// refuse it by its Content-Length) while the response is read; returns the status. Write
/// errors are expected: the server may answer and close before the body is sent.
async fn post_multipart(
    base: &str,
    path: &str,
    token: Option<&str>,
    parts: Vec<Part>,
    declared_length: Option<u64>,
) -> u16 {
    let host = base.strip_prefix("http://").unwrap().to_string();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
    );
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    match declared_length {
        Some(len) => head.push_str(&format!("Content-Length: {len}\r\n\r\n")),
        None => head.push_str("Transfer-Encoding: chunked\r\n\r\n"),
    }
    let chunked = declared_length.is_none();
    let writer = tokio::spawn(async move {
        let send = |data: Vec<u8>| {
            if chunked {
                let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
                framed.extend_from_slice(&data);
                framed.extend_from_slice(b"\r\n");
                framed
            } else {
                data
            }
        };
        write.write_all(head.as_bytes()).await?;
        for part in parts {
            let disposition = match part.filename {
                Some(f) => format!("form-data; name=\"{}\"; filename=\"{f}\"", part.name),
                None => format!("form-data; name=\"{}\"", part.name),
            };
            let header = format!(
                "--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            );
            write.write_all(&send(header.into_bytes())).await?;
            let mut left = part.size;
            while left > 0 {
                let n = left.min(64 * 1024);
                write.write_all(&send(vec![b'a'; n])).await?;
                left -= n;
            }
            write.write_all(&send(b"\r\n".to_vec())).await?;
        }
        write
            .write_all(&send(format!("--{BOUNDARY}--\r\n").into_bytes()))
            .await?;
        if chunked {
            write.write_all(b"0\r\n\r\n").await?;
        }
        std::io::Result::Ok(())
    });
    let mut response = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout_at(deadline, read.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                response.extend_from_slice(&buf[..n]);
                if response.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(_) => panic!("no response to POST {path} within 60 s"),
        }
    }
    writer.abort();
    let text = String::from_utf8_lossy(&response);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"))
}

fn text(name: &'static str, size: usize) -> Part {
    Part {
        name,
        filename: None,
        size,
    }
}

fn file(name: &'static str, size: usize) -> Part {
    Part {
        name,
        filename: Some("big.bin"),
        size,
    }
}

async fn large_multipart_bodies_are_refused_in_bounded_memory(db: TestDb) {
    const MB: usize = 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = serve(&db, dir.path(), &[]);
    let pid = server.child.id();
    // A token for the upload endpoint, to show accepted files go to disk, not memory.
    assert_ok(&run_cli(
        &db,
        &[
            "admin",
            "create-user",
            "bob",
            "--email",
            "bob@eng.corp.example",
            "--no-password",
        ],
    ));
    let token = assert_ok(&run_cli(
        &db,
        &["admin", "issue-token", "bob", "--scopes", "write"],
    ))
    .trim()
    .to_string();
    still_serving(&mut server, &base).await;
    // Start the peak (VmHWM) from now: the first start's Argon2 hash already used 19 MB.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let before = proc_status(pid, "VmRSS");

    // The finding: four 15 MB file parts to the anonymous app registration, which takes no
    // files. Refused at the first file's headers, before its bytes are read.
    let parts = vec![
        text("client_name", 10),
        file("file", 15 * MB),
        file("file2", 15 * MB),
        file("file3", 15 * MB),
        file("file4", 15 * MB),
    ];
    assert_eq!(
        post_multipart(&base, "/api/v1/apps", None, parts, None).await,
        422
    );
    // One 60 MB text field: 413 once it passes http.max_body_bytes (1 MiB).
    let parts = vec![text("client_name", 60 * MB)];
    assert_eq!(
        post_multipart(&base, "/api/v1/apps", None, parts, None).await,
        413
    );
    // A body declared larger than the endpoint's total: 413 before any of it is read.
    let parts = vec![text("client_name", 2 * MB)];
    let status = post_multipart(&base, "/api/v1/apps", None, parts, Some(60 * MB as u64)).await;
    assert_eq!(status, 413);
    // Too many parts, each tiny.
    let parts = (0..200).map(|_| text("website", 1)).collect();
    assert_eq!(
        post_multipart(&base, "/api/v1/apps", None, parts, None).await,
        413
    );
    // Anonymous uploads are refused before the body is read.
    let parts = vec![file("file", 15 * MB)];
    assert_eq!(
        post_multipart(&base, "/api/v2/media", None, parts, None).await,
        401
    );
    // An employee's 15 MB file is streamed to a temporary file, checked (not an image: 422)
    // and removed; a 40 MB one is cut off at limits.max_image_bytes (16 MiB) with 413; a
    // second `file` or a file the endpoint does not take is refused.
    for (parts, expected) in [
        (vec![file("file", 15 * MB)], 422),
        (vec![file("file", 40 * MB)], 413),
        (vec![file("avatar", 15 * MB)], 422),
        (vec![file("file", 10), file("file", 15 * MB)], 422),
    ] {
        let status = post_multipart(&base, "/api/v2/media", Some(&token), parts, None).await;
        assert_eq!(status, expected);
    }

    still_serving(&mut server, &base).await;
    let peak = proc_status(pid, "VmHWM");
    let grown = peak.saturating_sub(before);
    assert!(
        grown < 30 * MB as u64,
        "the process grew by {} MB (RSS before {} MB, peak {} MB) for bodies it refused",
        grown / MB as u64,
        before / MB as u64,
        peak / MB as u64
    );
    let left: Vec<_> = std::fs::read_dir(dir.path().join("data/tmp"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "temporary uploads left behind: {left:?}");
}

on_both_backends!(large_multipart_bodies_are_refused_in_bounded_memory);

// ---------------------------------------------------------------------------------------------
// 3. Forwarding headers count only from trusted proxies; one budget per account and address
// ---------------------------------------------------------------------------------------------

/// A password sign-in through the web form; returns the status (303 signed in, 401 wrong,
/// 429 refused).
async fn sign_in(f: &Fixture, login: &str, password: &str, forwarded_for: Option<&str>) -> u16 {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(f.url("/auth/sign_in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut req = browser.post(f.url("/auth/sign_in")).form(&[
        ("username", login),
        ("password", password),
        ("csrf_token", csrf.as_str()),
        ("return_to", "/"),
    ]);
    if let Some(addr) = forwarded_for {
        req = req
            .header("x-forwarded-for", addr)
            .header("forwarded", format!("for={addr}"));
    }
    req.send().await.unwrap().status().as_u16()
}

async fn create_alice(f: &Fixture) {
    assert_ok(&run_cli_with_stdin(
        &f.db,
        &[
            "admin",
            "create-user",
            "alice",
            "--email",
            "alice@eng.corp.example",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    ));
}

async fn spoofed_forwarding_headers_do_not_reset_limits(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.limits.sign_in_attempts_per_5_minutes = 4;
        s.limits.api_requests_per_5_minutes = 3;
    })
    .await;
    create_alice(&f).await;

    // Wrong passwords under both spellings of one account share one budget.
    for login in ["alice", "alice@eng.corp.example", "Alice", "@alice"] {
        assert_eq!(sign_in(&f, login, "guess", None).await, 401, "{login}");
    }
    assert_eq!(sign_in(&f, "alice", "guess", None).await, 429);
    // Now even the right password waits, and a forwarding header of the client's choosing
    // changes nothing: the peer is no trusted proxy.
    assert_eq!(
        sign_in(&f, "alice@eng.corp.example", "correct horse battery", None).await,
        429
    );
    assert_eq!(
        sign_in(&f, "alice", "correct horse battery", Some("203.0.113.7")).await,
        429
    );

    // Anonymous API requests are counted per peer, whatever the headers say.
    let mut statuses = Vec::new();
    for i in 0..5 {
        let resp = f
            .client
            .get(f.url("/api/v1/timelines/public"))
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .header("forwarded", format!("for=198.51.100.{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    f.stop().await;
}

on_both_backends!(spoofed_forwarding_headers_do_not_reset_limits);

async fn a_trusted_proxy_names_the_client(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.limits.sign_in_attempts_per_5_minutes = 3;
        s.limits.api_requests_per_5_minutes = 2;
        s.http.trusted_proxies = vec![groundswell::config::IpRange::parse("127.0.0.1").unwrap()];
    })
    .await;
    create_alice(&f).await;

    // Behind the proxy, each client has its own budget.
    for _ in 0..3 {
        assert_eq!(
            sign_in(&f, "alice", "guess", Some("203.0.113.7")).await,
            401
        );
    }
    assert_eq!(
        sign_in(&f, "alice", "guess", Some("203.0.113.7")).await,
        429
    );
    assert_eq!(
        sign_in(&f, "alice", "correct horse battery", Some("203.0.113.8")).await,
        303,
        "another client behind the proxy signs in"
    );
    // A success does not use up the budget.
    for _ in 0..4 {
        assert_eq!(
            sign_in(&f, "alice", "correct horse battery", Some("203.0.113.9")).await,
            303
        );
    }

    let get = |addr: &'static str| {
        f.client
            .get(f.url("/api/v1/timelines/public"))
            .header("x-forwarded-for", addr)
            .send()
    };
    let mut statuses = Vec::new();
    for addr in ["203.0.113.7", "203.0.113.7", "203.0.113.7", "203.0.113.8"] {
        statuses.push(get(addr).await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429, 200]);
    f.stop().await;
}

on_both_backends!(a_trusted_proxy_names_the_client);
