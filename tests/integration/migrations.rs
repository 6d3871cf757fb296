//! Migrations apply from an empty database on both backends, and readiness reflects them.

use diesel::prelude::*;
use serde_json::Value;

use crate::common::*;
use crate::on_both_backends;

async fn migrate_command_applies_everything_once(db: TestDb) {
    let out = assert_ok(&run_cli(&db, &["migrate"]));
    assert!(out.contains("applied 20261125000001"), "{out}");
    assert!(out.contains("migration(s) applied"), "{out}");

    let again = assert_ok(&run_cli(&db, &["migrate"]));
    assert_eq!(again.trim(), "The database is up to date.");

    // The schema is there and empty.
    use groundswell::db::schema::{accounts, deliveries, statuses};
    let mut conn = db.connect();
    let n: i64 = accounts::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 0);
    let n: i64 = statuses::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 0);
    let n: i64 = deliveries::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, 0);
}

async fn readiness_waits_for_migrations(db: TestDb) {
    let mut settings = db.settings();
    settings.database.auto_migrate = false;
    let (server, ctx) = start_server(settings).await;
    let client = http();
    let base = format!("http://{}", server.addr);

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        200,
        "the process is up even before migrations"
    );

    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("migration(s) pending"), "{error}");
    assert!(error.contains("groundswell migrate"), "{error}");

    // Admin commands refuse to touch an unmigrated database.
    let refused = run_cli(&db, &["admin", "list-users"]);
    let line = assert_cli_error(&refused);
    assert!(line.contains("pending migration"), "{line}");

    assert_ok(&run_cli(&db, &["migrate"]));
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");

    server.handle.stop(true).await;
    drop(ctx);
}

on_both_backends!(
    migrate_command_applies_everything_once,
    readiness_waits_for_migrations
);
