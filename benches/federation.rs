//! On-demand benchmark of federation: signed inbox ingest and delivery fan-out.
//!
//!   cargo bench --bench federation                 # SQLite databases in a temp folder
//!   cargo bench --bench federation -- --postgres   # fresh databases on 127.0.0.1:5432
//!
//! Starts 11 departments in this process (eng plus 10 others, each with its own database and
//! an employee following alice@eng) and prints:
//! - time for one post to reach all 10 departments (p50/p95/p99 over 20 posts; the goal is
//!   stated for p95);
//! - fan-out: signed POSTs per second while a burst of posts goes to 10 departments;
//! - inbox ingest: signed Create activities per second accepted by one inbox.
//!
//! Not run by CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{Connection, PgConnection};
use groundswell::config::{DatabaseUrl, Domain, Settings};
use groundswell::context::AppContext;
use groundswell::db::schema::{deliveries, statuses};
use groundswell::server::RunningServer;
use groundswell::service::statuses::NewPost;
use groundswell::service::users::{self, LocalUser};
use serde_json::json;
use url::Url;

const DEPARTMENTS: usize = 10;
const LATENCY_POSTS: usize = 20;
const BURST_POSTS: usize = 100;
const INGEST_ACTIVITIES: usize = 1000;
const CONCURRENCY: usize = 8;

const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

struct Department {
    ctx: AppContext,
    server: RunningServer,
    pg_name: Option<String>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The headers of a POST of `body` to `inbox` signed with `key_pem` as `actor` does it
/// (draft-cavage HTTP signatures over request target, host, date and digest, as Mastodon).
fn signed_post_headers(
    inbox: &Url,
    body: &[u8],
    actor: &str,
    key_pem: &str,
) -> Vec<(&'static str, String)> {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let host = match inbox.port() {
        Some(port) => format!("{}:{port}", inbox.host_str().unwrap()),
        None => inbox.host_str().unwrap().to_string(),
    };
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let digest = format!("SHA-256={}", b64(&sha2::Sha256::digest(body)));
    let signed = format!(
        "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}",
        inbox.path()
    );
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(key_pem).unwrap();
    let signature = key
        .sign(
            rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(signed.as_bytes()),
        )
        .unwrap();
    vec![
        ("host", host),
        ("date", date),
        ("digest", digest),
        ("content-type", "application/activity+json".to_string()),
        (
            "signature",
            format!(
                r#"keyId="{actor}#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{}""#,
                b64(&signature)
            ),
        ),
    ]
}

async fn start(
    dir: &std::path::Path,
    postgres: bool,
    index: usize,
    port: u16,
    peers: Vec<String>,
) -> Department {
    let (url, pg_name) = if postgres {
        let name = format!("gs_bench_fed_{}_{index}", std::process::id());
        PgConnection::establish(ADMIN_URL)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap();
        (
            format!("postgres://postgres@127.0.0.1:5432/{name}"),
            Some(name),
        )
    } else {
        (
            format!("sqlite://{}/dept{index}.sqlite3", dir.display()),
            None,
        )
    };
    let mut s = Settings::default();
    s.database.url = DatabaseUrl::parse(&url).unwrap();
    s.database.pool_size = 4;
    s.http.bind = format!("127.0.0.1:{port}").parse().unwrap();
    s.http.workers = 1;
    s.instance.domain = Domain::parse(&format!("localhost:{port}")).unwrap();
    s.storage.data_dir = dir.join(format!("dept{index}"));
    s.limits.api_requests_per_5_minutes = 0;
    s.federation.allowed_domains = peers;
    s.federation.allow_http = true;
    s.federation.delivery_concurrency = 16;
    s.federation.max_retry_interval_secs = 1;
    s.log.level = "warn".into();
    let ctx = groundswell::server::prepare(s).await.unwrap();
    let server = groundswell::server::start(ctx.clone()).unwrap();
    Department {
        ctx,
        server,
        pg_name,
    }
}

async fn employee(ctx: &AppContext, name: &str) -> LocalUser {
    let prepared = users::NewLocalUser::prepare(
        users::Username::parse(name).unwrap(),
        users::Email::parse(&format!("{name}@corp.example")).unwrap(),
        None,
        users::Role::User,
        None,
    )
    .unwrap();
    let instance = ctx.settings.instance.clone();
    ctx.db
        .write(move |conn| users::create_local_user(conn, &instance, prepared))
        .await
        .unwrap()
}

async fn post(ctx: &AppContext, author: &LocalUser, text: String) {
    let post = NewPost {
        text,
        ..Default::default()
    };
    groundswell::service::statuses::post(ctx, author.clone(), post)
        .await
        .unwrap();
}

async fn count_matching(ctx: &AppContext, needle: String) -> i64 {
    ctx.db
        .read(move |conn| {
            Ok(statuses::table
                .filter(statuses::content.like(format!("%{needle}%")))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

async fn delivered(ctx: &AppContext) -> i64 {
    ctx.db
        .read(|conn| {
            Ok(deliveries::table
                .filter(deliveries::delivered_at.is_not_null())
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[actix_web::main]
async fn main() {
    groundswell::install_crypto_provider();
    let postgres = std::env::args().any(|a| a == "--postgres");
    let dir = tempfile::tempdir().unwrap();
    let ports: Vec<u16> = (0..=DEPARTMENTS).map(|_| free_port()).collect();
    let domains: Vec<String> = ports.iter().map(|p| format!("localhost:{p}")).collect();
    println!(
        "Groundswell federation benchmark on {} (eng + {DEPARTMENTS} departments in one process)",
        if postgres { "PostgreSQL" } else { "SQLite" }
    );
    let mut deps = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        // Eng talks to everyone; the others to eng.
        let peers = if i == 0 {
            domains[1..].to_vec()
        } else {
            vec![domains[0].clone()]
        };
        deps.push(start(dir.path(), postgres, i, *port, peers).await);
    }
    let eng = deps[0].ctx.clone();
    let alice = employee(&eng, "alice").await;
    for (i, dep) in deps.iter().enumerate().skip(1) {
        let reader = employee(&dep.ctx, &format!("reader{i}")).await;
        let target =
            groundswell::service::remote::account(&dep.ctx, &format!("alice@{}", domains[0]))
                .await
                .unwrap();
        let settings = dep.ctx.settings.clone();
        dep.ctx
            .db
            .write(move |conn| {
                use groundswell::service::{origin::Origin, relationships};
                let options = relationships::FollowOptions::default();
                relationships::follow(
                    conn,
                    &settings,
                    &reader.account,
                    target.id,
                    options,
                    Origin::Local,
                )
            })
            .await
            .unwrap();
    }
    // Wait until alice has all her followers.
    loop {
        let id = alice.account.id;
        let followers: i64 = eng
            .db
            .read(move |conn| {
                use groundswell::db::schema::accounts;
                Ok(accounts::table
                    .find(id)
                    .select(accounts::followers_count)
                    .first(conn)?)
            })
            .await
            .unwrap();
        if followers as usize == DEPARTMENTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // 1. Time for one post to reach every department.
    let mut latencies = Vec::new();
    for n in 0..LATENCY_POSTS {
        let needle = format!("Latency probe {n} ");
        let t = Instant::now();
        post(&eng, &alice, format!("{needle}end")).await;
        for dep in &deps[1..] {
            while count_matching(&dep.ctx, needle.clone()).await == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        latencies.push(t.elapsed());
    }
    latencies.sort();
    println!(
        "{:<44} p50 {:>7.1} ms   p95 {:>7.1} ms   p99 {:>7.1} ms   ({LATENCY_POSTS} posts)",
        format!("one post reaches {DEPARTMENTS} departments"),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.95).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );

    // 2. Fan-out throughput: a burst of posts, each to 10 departments.
    let before = delivered(&eng).await;
    let t = Instant::now();
    for n in 0..BURST_POSTS {
        post(&eng, &alice, format!("Burst {n}")).await;
    }
    let target = before + (BURST_POSTS * DEPARTMENTS) as i64;
    while delivered(&eng).await < target {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = t.elapsed();
    println!(
        "{:<44} {:>8.0} signed POSTs/s   ({} deliveries in {:.2} s)",
        "fan-out (burst of posts to 10 departments)",
        (BURST_POSTS * DEPARTMENTS) as f64 / elapsed.as_secs_f64(),
        BURST_POSTS * DEPARTMENTS,
        elapsed.as_secs_f64()
    );

    // 3. Inbox ingest: signed Creates from alice straight into one department's inbox. The
    // requests are signed before the clock starts, as a peer on its own machine would have
    // signed them: what is timed is this department's work, not the sender's RSA signing.
    let inbox = Url::parse(&format!("http://{}/inbox", domains[1])).unwrap();
    let key_pem = alice.account.private_key_pem.clone().unwrap();
    let mut requests = Vec::new();
    for n in 0..INGEST_ACTIVITIES {
        let note_id = format!("{}/statuses/ingest-{n}", alice.account.ap_id);
        let json = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{note_id}/activity"),
            "type": "Create",
            "actor": alice.account.ap_id,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "id": note_id, "type": "Note", "attributedTo": alice.account.ap_id,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "content": format!("<p>Ingest {n}</p>"),
                "published": "2026-11-25T12:00:00Z",
            },
        });
        let body = serde_json::to_vec(&json).unwrap();
        let headers = signed_post_headers(&inbox, &body, &alice.account.ap_id, &key_pem);
        requests.push((headers, body));
    }
    let requests = std::sync::Arc::new(requests);
    let client = reqwest::Client::new();
    let t = Instant::now();
    let mut workers = Vec::new();
    for w in 0..CONCURRENCY {
        let (requests, client, inbox) = (requests.clone(), client.clone(), inbox.clone());
        workers.push(tokio::spawn(async move {
            let mut i = w;
            while i < requests.len() {
                let (headers, body) = &requests[i];
                let mut req = client.post(inbox.clone()).body(body.clone());
                for (name, value) in headers {
                    req = req.header(*name, value);
                }
                let status = req.send().await.unwrap().status();
                assert!(status.is_success(), "inbox answered {status}");
                i += CONCURRENCY;
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = t.elapsed();
    let stored = count_matching(&deps[1].ctx, "Ingest ".into()).await;
    assert_eq!(
        stored as usize, INGEST_ACTIVITIES,
        "every activity was stored"
    );
    println!(
        "{:<44} {:>8.0} activities/s   ({INGEST_ACTIVITIES} signed, {CONCURRENCY} senders)",
        "inbox ingest (verify + store Create)",
        INGEST_ACTIVITIES as f64 / elapsed.as_secs_f64(),
    );

    for dep in deps {
        dep.ctx.events.shutdown();
        dep.server.handle.stop(true).await;
        if let Some(name) = dep.pg_name {
            let events = dep.ctx.events.clone();
            let _ = tokio::task::spawn_blocking(move || events.stop_listener()).await;
            drop(dep.ctx);
            let _ = PgConnection::establish(ADMIN_URL)
                .unwrap()
                .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}
