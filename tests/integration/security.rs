//! Issue 9, tried as an attacker would: crafted parameters, oversized bodies, spoofed
//! forwarding headers, under-signed fetches, interactions with posts the sender cannot see,
//! replies that would leak department-only posts, and code exchanges without their
//! `redirect_uri`. Each finding has its regression test here, through the real HTTP server;
//! the first two run the real binary, whose process must survive and stay small.

use std::time::Duration;

use serde_json::{Value, json};
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
fn part_header(part: &Part) -> String {
    let disposition = match part.filename {
        Some(f) => format!("form-data; name=\"{}\"; filename=\"{f}\"", part.name),
        None => format!("form-data; name=\"{}\"", part.name),
    };
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
}

/// The exact length of the form `post_multipart` sends for `parts`.
fn form_length(parts: &[Part]) -> u64 {
    parts
        .iter()
        .map(|p| (part_header(p).len() + p.size + 2) as u64)
        .sum::<u64>()
        + format!("--{BOUNDARY}--\r\n").len() as u64
}

async fn post_multipart(
    base: &str,
    path: &str,
    token: Option<&str>,
    parts: Vec<Part>,
    declared_length: Option<u64>,
) -> u16 {
    let mut headers = vec![format!(
        "Content-Type: multipart/form-data; boundary={BOUNDARY}"
    )];
    if let Some(token) = token {
        headers.push(format!("Authorization: Bearer {token}"));
    }
    let body = parts
        .into_iter()
        .flat_map(|part| {
            let head = part_header(&part).into_bytes();
            let fill = (0..part.size)
                .step_by(64 * 1024)
                .map(move |at| vec![b'a'; (part.size - at).min(64 * 1024)]);
            std::iter::once(head)
                .chain(fill)
                .chain(std::iter::once(b"\r\n".to_vec()))
        })
        .chain(std::iter::once(format!("--{BOUNDARY}--\r\n").into_bytes()));
    post_raw(base, path, headers, body, declared_length).await
}

/// POST `body` (written chunk by chunk) over a plain TCP connection with `headers` (`Name:
/// value` lines), sent chunked when no length is declared (so the server cannot refuse it by
/// its Content-Length), while the response is read; returns the status. Write errors are
/// expected: the server may answer and close before the body is sent.
pub(crate) async fn post_raw(
    base: &str,
    path: &str,
    headers: Vec<String>,
    body: impl Iterator<Item = Vec<u8>> + Send + 'static,
    declared_length: Option<u64>,
) -> u16 {
    let host = base.strip_prefix("http://").unwrap().to_string();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let mut head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for line in headers {
        head.push_str(&format!("{line}\r\n"));
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
        for chunk in body {
            write.write_all(&send(chunk)).await?;
        }
        if chunked {
            write.write_all(b"0\r\n\r\n").await?;
        }
        // Keep the connection open for writing until the answer is read, as browsers and
        // HTTP libraries do: dropping the write half would half-close it, and a server may
        // take that for a client that went away mid-body.
        std::io::Result::Ok(write)
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
        let names: Vec<(&str, usize)> = parts.iter().map(|p| (p.name, p.size)).collect();
        // With its length, as apps send an upload.
        let length = Some(form_length(&parts));
        let status = post_multipart(&base, "/api/v2/media", Some(&token), parts, length).await;
        assert_eq!(status, expected, "parts {names:?}");
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
pub(crate) async fn sign_in(
    f: &Fixture,
    login: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> u16 {
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

// ---------------------------------------------------------------------------------------------
// Two departments, and requests signed by hand as one of sales's employees
// ---------------------------------------------------------------------------------------------

/// eng and sales on `localhost` ports, federating with each other.
pub(crate) async fn two_departments(db: TestDb) -> (Fixture, Fixture) {
    let (eng_reserved, sales_reserved) = (reserve_port(), reserve_port());
    let (eng_port, sales_port) = (eng_reserved.number(), sales_reserved.number());
    let other = db.another();
    let eng = department(db, eng_reserved, &[sales_port]).await;
    let sales = department(other, sales_reserved, &[eng_port]).await;
    (eng, sales)
}

/// A department on `localhost:<reserved>` that federates with the departments on `peers`.
pub(crate) async fn department(db: TestDb, reserved: Port, peers: &[u16]) -> Fixture {
    let port = reserved.number();
    let peers: Vec<String> = peers.iter().map(|p| format!("localhost:{p}")).collect();
    Fixture::start_on(db, reserved, move |s| {
        s.instance.domain =
            groundswell::config::Domain::parse(&format!("localhost:{port}")).unwrap();
        s.federation.allowed_domains = peers;
        s.federation.allow_http = true;
        s.federation.max_retry_interval_secs = 1;
    })
    .await
}

/// A local employee's ActivityPub id and private key, read from its department's database.
pub(crate) fn actor_keys(f: &Fixture, username: &str) -> (String, String) {
    use diesel::prelude::*;
    use groundswell::db::schema::accounts;
    let mut conn = f.db.connect();
    let (ap_id, key): (String, Option<String>) = accounts::table
        .filter(accounts::username.eq(username))
        .filter(accounts::domain.is_null())
        .select((accounts::ap_id, accounts::private_key_pem))
        .first(&mut conn)
        .unwrap();
    (ap_id, key.unwrap())
}

/// Sign a request as `ap_id` over exactly `covered` (Cavage draft, rsa-sha256), returning the
/// headers to send. `host` is the Host the signature names (and that is sent).
pub(crate) fn sign(
    method: &str,
    url: &url::Url,
    covered: &[&str],
    body: Option<&[u8]>,
    signer: &(String, String),
    host: &str,
) -> Vec<(&'static str, String)> {
    let now = std::time::SystemTime::now();
    sign_at(method, url, covered, body, signer, host, now)
}

/// [`sign`], with `date` as the request's (signed) Date.
pub(crate) fn sign_at(
    method: &str,
    url: &url::Url,
    covered: &[&str],
    body: Option<&[u8]>,
    (ap_id, key_pem): &(String, String),
    host: &str,
    date: std::time::SystemTime,
) -> Vec<(&'static str, String)> {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let date = httpdate::fmt_http_date(date);
    let digest = body.map(|b| format!("SHA-256={}", b64(&sha2::Sha256::digest(b))));
    let lines: Vec<String> = covered
        .iter()
        .map(|h| match *h {
            "(request-target)" => {
                format!("(request-target): {} {}", method.to_lowercase(), url.path())
            }
            "host" => format!("host: {host}"),
            "date" => format!("date: {date}"),
            "digest" => format!("digest: {}", digest.clone().unwrap()),
            other => panic!("cannot sign {other}"),
        })
        .collect();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(key_pem).unwrap();
    let hashed = sha2::Sha256::digest(lines.join("\n").as_bytes());
    let signature = b64(&key
        .sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hashed)
        .unwrap());
    let mut headers = vec![
        ("host", host.to_string()),
        ("date", date),
        (
            "signature",
            format!(
                r#"keyId="{ap_id}#main-key",algorithm="rsa-sha256",headers="{}",signature="{signature}""#,
                covered.join(" ")
            ),
        ),
        ("accept", "application/activity+json".to_string()),
    ];
    if let Some(digest) = digest {
        headers.push(("digest", digest));
        headers.push(("content-type", "application/activity+json".to_string()));
    }
    headers
}

/// Send a hand-signed request to `f` at `path` (its `localhost` URL, so Host is its domain).
pub(crate) async fn send_signed(
    f: &Fixture,
    method: &str,
    path: &str,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
) -> u16 {
    let url = format!("http://{}{path}", f.ctx.settings.instance.domain);
    let mut req = match method {
        "GET" => f.client.get(&url),
        _ => f.client.post(&url),
    };
    for (name, value) in headers {
        req = req.header(name, value);
    }
    if let Some(body) = body {
        req = req.body(body);
    }
    req.send().await.unwrap().status().as_u16()
}

pub(crate) fn local_url(f: &Fixture, path: &str) -> url::Url {
    url::Url::parse(&format!("http://{}{path}", f.ctx.settings.instance.domain)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// 4. A signature must cover the request: (request-target), host, and a POST's digest
// ---------------------------------------------------------------------------------------------

async fn signatures_must_cover_the_request_they_sign(db: TestDb) {
    let (eng, sales) = two_departments(db).await;
    let alice = eng.user("alice").await;
    sales.user("bob").await;
    let bob = actor_keys(&sales, "bob");
    let host = eng.ctx.settings.instance.domain.to_string();
    let post = eng
        .status(
            &alice,
            json!({"status": "public news", "visibility": "public"}),
        )
        .await;
    let note = format!("/users/alice/statuses/{post}");
    let get = |covered: &'static [&'static str], path: String, signed_for: String| {
        let url = local_url(&eng, &path);
        let headers = sign("GET", &url, covered, None, &bob, &signed_for);
        let eng = &eng;
        async move { send_signed(eng, "GET", &path, headers, None).await }
    };
    let full: &[&str] = &["(request-target)", "host", "date"];

    // The finding: a signature over the date alone opened any path.
    assert_eq!(get(&["date"], note.clone(), host.clone()).await, 401);
    assert_eq!(
        get(&["host", "date"], note.clone(), host.clone()).await,
        401
    );
    assert_eq!(
        get(&["(request-target)", "date"], note.clone(), host.clone()).await,
        401
    );
    // Signed for another host (and sent with it): refused.
    assert_eq!(get(full, note.clone(), "evil.example".into()).await, 401);
    // Covering the request: served. A signature for one path does not open another.
    assert_eq!(get(full, note.clone(), host.clone()).await, 200);
    let url = local_url(&eng, &note);
    let captured = sign("GET", &url, full, None, &bob, &host);
    assert_eq!(
        send_signed(&eng, "GET", "/users/alice/followers", captured, None).await,
        401
    );

    // Inbox POSTs must also sign the body's digest.
    let like = |n: u32| {
        serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/likes/{n}", bob.0),
            "type": "Like",
            "actor": bob.0,
            "object": format!("http://{host}{note}"),
        }))
        .unwrap()
    };
    let inbox = local_url(&eng, "/inbox");
    let body = like(1);
    let headers = sign("POST", &inbox, full, Some(&body), &bob, &host);
    assert_eq!(
        send_signed(&eng, "POST", "/inbox", headers, Some(body)).await,
        401
    );
    let (_, status) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{post}"))
        .await;
    assert_eq!(status["favourites_count"], 0);
    let body = like(2);
    let headers = sign("POST", &inbox, &INBOX_COVERED, Some(&body), &bob, &host);
    assert_eq!(
        send_signed(&eng, "POST", "/inbox", headers, Some(body)).await,
        202
    );
    let (_, status) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{post}"))
        .await;
    assert_eq!(status["favourites_count"], 1);
    sales.stop().await;
    eng.stop().await;
}

on_both_backends!(signatures_must_cover_the_request_they_sign);

// ---------------------------------------------------------------------------------------------
// 5. Interactions from another department follow the read rule of local ones
// ---------------------------------------------------------------------------------------------

/// What an inbox POST must sign.
pub(crate) const INBOX_COVERED: [&str; 4] = ["(request-target)", "host", "date", "digest"];

/// Post an activity to eng's inbox, signed as `actor` over everything required.
pub(crate) async fn deliver(eng: &Fixture, actor: &(String, String), activity: Value) -> u16 {
    deliver_to(eng, "/inbox", actor, activity).await
}

/// Post an activity to the inbox at `path` (shared or an employee's), signed as `actor` over
/// everything required.
pub(crate) async fn deliver_to(
    eng: &Fixture,
    path: &str,
    actor: &(String, String),
    activity: Value,
) -> u16 {
    let host = eng.ctx.settings.instance.domain.to_string();
    let body = serde_json::to_vec(&activity).unwrap();
    let inbox = local_url(eng, path);
    let headers = sign("POST", &inbox, &INBOX_COVERED, Some(&body), actor, &host);
    send_signed(eng, "POST", path, headers, Some(body)).await
}

async fn remote_interactions_need_the_post_to_be_visible_to_their_sender(db: TestDb) {
    let (eng, sales) = two_departments(db).await;
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    sales.user("bob").await;
    let bob = actor_keys(&sales, "bob");
    let host = eng.ctx.settings.instance.domain.to_string();
    // A direct message between alice and carol, and a department-only post.
    let dm = eng
        .status(
            &alice,
            json!({"status": "@carol just us", "visibility": "direct"}),
        )
        .await;
    let local = eng
        .status(
            &alice,
            json!({"status": "inside only", "visibility": "local"}),
        )
        .await;
    let public = eng
        .status(
            &alice,
            json!({"status": "for everyone", "visibility": "public"}),
        )
        .await;
    let ap = |id: &str| format!("http://{host}/users/alice/statuses/{id}");

    for (n, target) in [&dm, &local].into_iter().enumerate() {
        // A Like from an allowed actor who cannot see the post: not counted.
        let status = deliver(
            &eng,
            &bob,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/likes/{n}", bob.0),
                "type": "Like",
                "actor": bob.0,
                "object": ap(target),
            }),
        )
        .await;
        assert_ne!(status, 401, "signed correctly");
        // Nor a boost, nor a reply.
        deliver(
            &eng,
            &bob,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{}/boosts/{n}", bob.0),
                "type": "Announce",
                "actor": bob.0,
                "object": ap(target),
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            }),
        )
        .await;
        let reply_id = format!("{}/statuses/reply-{n}", bob.0);
        deliver(
            &eng,
            &bob,
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{reply_id}/activity"),
                "type": "Create",
                "actor": bob.0,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "object": {
                    "id": reply_id,
                    "type": "Note",
                    "attributedTo": bob.0,
                    "content": "<p>I was not asked</p>",
                    "inReplyTo": ap(target),
                    "published": "2026-01-01T00:00:00Z",
                    "to": ["https://www.w3.org/ns/activitystreams#Public"],
                },
            }),
        )
        .await;

        let (code, status) = eng
            .get(Some(&alice), &format!("/api/v1/statuses/{target}"))
            .await;
        assert_eq!(code, 200);
        assert_eq!(status["favourites_count"], 0, "{status}");
        assert_eq!(status["reblogs_count"], 0, "{status}");
        assert_eq!(status["replies_count"], 0, "{status}");
        let (_, likers) = eng
            .get(
                Some(&alice),
                &format!("/api/v1/statuses/{target}/favourited_by"),
            )
            .await;
        assert_eq!(likers, json!([]));
        let (_, context) = eng
            .get(Some(&alice), &format!("/api/v1/statuses/{target}/context"))
            .await;
        assert_eq!(context["descendants"], json!([]), "{context}");
    }
    let (_, notes) = eng.get(Some(&alice), "/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["type"] != "favourite" && n["type"] != "reblog"),
        "{notes}"
    );
    let (_, notes) = eng.get(Some(&carol), "/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["type"] != "favourite")
    );

    // The same Like of a post bob may see counts, as a local favourite would.
    let status = deliver(
        &eng,
        &bob,
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/likes/public", bob.0),
            "type": "Like",
            "actor": bob.0,
            "object": ap(&public),
        }),
    )
    .await;
    assert_eq!(status, 202);
    let (_, status) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{public}"))
        .await;
    assert_eq!(status["favourites_count"], 1);
    sales.stop().await;
    eng.stop().await;
}

on_both_backends!(remote_interactions_need_the_post_to_be_visible_to_their_sender);

// ---------------------------------------------------------------------------------------------
// 6. A reply in a department-only thread stays in the department
// ---------------------------------------------------------------------------------------------

async fn replies_to_department_only_posts_stay_in_the_department(db: TestDb) {
    let (eng, sales) = two_departments(db).await;
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    let bob = sales.user("bob").await;
    // Bob (sales) follows carol, so a public post of hers would reach sales.
    let (code, found) = sales
        .get(
            Some(&bob),
            &format!(
                "/api/v2/search?q=%40carol%40{}&resolve=true&type=accounts",
                eng.ctx.settings.instance.domain
            ),
        )
        .await;
    assert_eq!(code, 200, "{found}");
    let carol_on_sales = found["accounts"][0]["id"].as_str().unwrap().to_string();
    let (code, _) = sales
        .post(
            &bob,
            &format!("/api/v1/accounts/{carol_on_sales}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);

    let root = eng
        .status(
            &alice,
            json!({"status": "inside only", "visibility": "local"}),
        )
        .await;
    // Replies asking for public, unlisted or followers-only become department-only; so does
    // a reply to such a reply.
    let mut replies = Vec::new();
    for visibility in ["public", "unlisted", "private"] {
        let (code, reply) = eng
            .post(
                &carol,
                "/api/v1/statuses",
                json!({"status": "a reply", "in_reply_to_id": root, "visibility": visibility}),
            )
            .await;
        assert_eq!(code, 200, "{reply}");
        assert_eq!(reply["local_only"], true, "{visibility}: {reply}");
        replies.push(reply["id"].as_str().unwrap().to_string());
    }
    let (_, deeper) = eng
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "deeper", "in_reply_to_id": replies[0], "visibility": "public"}),
        )
        .await;
    assert_eq!(deeper["local_only"], true, "{deeper}");
    // A direct reply stays direct among employees here, and cannot go to another department.
    let (code, direct) = eng
        .post(
            &carol,
            "/api/v1/statuses",
            json!({"status": "@alice between us", "in_reply_to_id": root, "visibility": "direct"}),
        )
        .await;
    assert_eq!(code, 200, "{direct}");
    assert_eq!(direct["visibility"], "direct");
    let bob_acct = format!("@bob@{}", sales.ctx.settings.instance.domain);
    // Carol's app knows bob through a search first.
    eng.get(
        Some(&carol),
        &format!(
            "/api/v2/search?q={}&resolve=true&type=accounts",
            bob_acct.replace('@', "%40")
        ),
    )
    .await;
    let (code, refused) = eng
        .post(
            &carol,
            "/api/v1/statuses",
            json!({"status": format!("{bob_acct} look"), "in_reply_to_id": root, "visibility": "direct"}),
        )
        .await;
    assert_eq!(code, 422, "{refused}");

    // Nothing of the thread reached sales; a public post of carol's does.
    let (_, marker) = eng
        .post(
            &carol,
            "/api/v1/statuses",
            json!({"status": "public marker", "visibility": "public"}),
        )
        .await;
    assert_eq!(marker["local_only"], false);
    let mut home = json!([]);
    for _ in 0..100 {
        home = sales.get(Some(&bob), "/api/v1/timelines/home").await.1;
        if home.to_string().contains("public marker") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(home.to_string().contains("public marker"), "{home}");
    assert!(!home.to_string().contains("a reply"), "{home}");
    assert!(
        !home.to_string().contains(&root),
        "the root's id leaked: {home}"
    );
    sales.stop().await;
    eng.stop().await;
}

on_both_backends!(replies_to_department_only_posts_stay_in_the_department);
