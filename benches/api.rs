//! On-demand benchmark of the client API: posting and reading timelines.
//!
//!   cargo bench --bench api                 # SQLite in a temp folder
//!   cargo bench --bench api -- --postgres   # a fresh database on 127.0.0.1:5432
//!
//! Prints posts/s and timeline requests/s with latency percentiles. Not run by CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use groundswell::auth::Scopes;
use groundswell::config::{DatabaseUrl, Domain, Settings};
use groundswell::service::{tokens, users};

const USERS: usize = 20;
const POSTS: usize = 1000;
const READS: usize = 1000;
const CONCURRENCY: usize = 8;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut latencies: Vec<Duration>, elapsed: Duration) {
    latencies.sort();
    println!(
        "{name:<32} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests)",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.len()
    );
}

/// Run `total` requests from `CONCURRENCY` tasks; `make(i)` builds request `i`.
async fn run<F>(total: usize, make: F) -> (Vec<Duration>, Duration)
where
    F: Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let make = std::sync::Arc::new(make);
    let start = Instant::now();
    let mut handles = Vec::new();
    for worker in 0..CONCURRENCY {
        let make = make.clone();
        handles.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = worker;
            while i < total {
                let t = Instant::now();
                let resp = make(i).send().await.expect("request");
                assert!(resp.status().is_success(), "{}", resp.status());
                let _ = resp.bytes().await;
                lat.push(t.elapsed());
                i += CONCURRENCY;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    (all, start.elapsed())
}

#[actix_web::main]
async fn main() {
    groundswell::install_crypto_provider();
    let postgres = std::env::args().any(|a| a == "--postgres");
    let dir = tempfile::tempdir().unwrap();
    let pg_name = format!("gs_bench_{}", std::process::id());
    let admin_url = "postgres://postgres@127.0.0.1:5432/postgres";
    let url = if postgres {
        PgConnection::establish(admin_url)
            .unwrap()
            .batch_execute(&format!("CREATE DATABASE \"{pg_name}\""))
            .unwrap();
        format!("postgres://postgres@127.0.0.1:5432/{pg_name}")
    } else {
        format!("sqlite://{}/bench.sqlite3", dir.path().display())
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut settings = Settings::default();
    settings.database.url = DatabaseUrl::parse(&url).unwrap();
    settings.http.bind = format!("127.0.0.1:{port}").parse().unwrap();
    settings.instance.domain = Domain::parse(&format!("127.0.0.1:{port}")).unwrap();
    settings.limits.api_requests_per_5_minutes = 0;
    settings.storage.data_dir = dir.path().to_path_buf();
    let ctx = groundswell::server::prepare(settings).await.unwrap();
    let server = groundswell::server::start(ctx.clone()).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    println!(
        "Groundswell API benchmark on {} ({USERS} employees, concurrency {CONCURRENCY})",
        if postgres { "PostgreSQL" } else { "SQLite" }
    );

    // Employees who all follow each other.
    let mut tokens_and_ids = Vec::new();
    for i in 0..USERS {
        let prepared = users::NewLocalUser::prepare(
            users::Username::parse(&format!("user{i}")).unwrap(),
            users::Email::parse(&format!("user{i}@eng.example")).unwrap(),
            None,
            users::Role::User,
            None,
        )
        .unwrap();
        let instance = ctx.settings.instance.clone();
        let scopes = Scopes::parse("read write follow").unwrap();
        tokens_and_ids.push(
            ctx.db
                .write(move |conn| {
                    let u = users::create_local_user(conn, &instance, prepared)?;
                    Ok((
                        tokens::issue_personal_token(conn, &u, &scopes, None)?,
                        u.account.id,
                    ))
                })
                .await
                .unwrap(),
        );
    }
    let client = reqwest::Client::new();
    for (token, _) in &tokens_and_ids {
        for (_, id) in &tokens_and_ids {
            let _ = client
                .post(format!("{base}/api/v1/accounts/{id}/follow"))
                .bearer_auth(token)
                .send()
                .await;
        }
    }
    let tokens: std::sync::Arc<Vec<String>> =
        std::sync::Arc::new(tokens_and_ids.iter().map(|(t, _)| t.clone()).collect());

    let (c, b, t) = (client.clone(), base.clone(), tokens.clone());
    let (lat, elapsed) = run(POSTS, move |i| {
        c.post(format!("{b}/api/v1/statuses"))
            .bearer_auth(&t[i % USERS])
            .json(&serde_json::json!({"status": format!("Post {i} about #rust with @user{} https://example.com/{i}", (i + 1) % USERS)}))
    })
    .await;
    report("POST /api/v1/statuses", lat, elapsed);

    let (c, b, t) = (client.clone(), base.clone(), tokens.clone());
    let (lat, elapsed) = run(READS, move |i| {
        c.get(format!("{b}/api/v1/timelines/home?limit=40"))
            .bearer_auth(&t[i % USERS])
    })
    .await;
    report("GET home timeline (40)", lat, elapsed);

    let (c, b, t) = (client.clone(), base.clone(), tokens.clone());
    let (lat, elapsed) = run(READS, move |i| {
        c.get(format!("{b}/api/v1/timelines/public?local=true&limit=40"))
            .bearer_auth(&t[i % USERS])
    })
    .await;
    report("GET public timeline (40)", lat, elapsed);

    let (c, b, t) = (client.clone(), base.clone(), tokens.clone());
    let (lat, elapsed) = run(READS, move |i| {
        c.get(format!("{b}/api/v1/timelines/tag/rust?limit=40"))
            .bearer_auth(&t[i % USERS])
    })
    .await;
    report("GET hashtag timeline (40)", lat, elapsed);

    let (c, b, t) = (client.clone(), base.clone(), tokens.clone());
    let (lat, elapsed) = run(READS, move |i| {
        c.get(format!("{b}/api/v1/notifications?limit=40"))
            .bearer_auth(&t[i % USERS])
    })
    .await;
    report("GET notifications (40)", lat, elapsed);

    ctx.events.shutdown();
    server.handle.stop(true).await;
    if postgres {
        let _ = PgConnection::establish(admin_url)
            .unwrap()
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{pg_name}\" WITH (FORCE)"
            ));
    }
}
