//! The HTTP basics: health endpoints, unknown routes, a database that goes away.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::Value;

use crate::common::*;
use crate::on_both_backends;

async fn health_endpoints_and_unknown_routes(db: TestDb) {
    let (server, _ctx) = start_server(db.settings()).await;
    let client = http();
    let base = format!("http://{}", server.addr);

    let resp = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    let resp = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ready");

    // Unknown routes get Mastodon's error body, not an HTML page.
    let resp = client
        .get(format!("{base}/api/v1/does-not-exist"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "error": "Record not found" }));

    server.handle.stop(true).await;
}

on_both_backends!(health_endpoints_and_unknown_routes);

/// When PostgreSQL loses the database, /readyz says 503 with a safe message; /healthz stays up.
#[actix_web::test]
async fn readiness_fails_cleanly_when_the_database_goes_away() {
    crate::common::scenario(readiness_fails_cleanly_when_the_database_goes_away_body()).await
}

async fn readiness_fails_cleanly_when_the_database_goes_away_body() {
    let db = TestDb::postgres();
    let (server, _ctx) = start_server(db.settings()).await;
    let client = http();
    let base = format!("http://{}", server.addr);
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let TestDb::Postgres { name, .. } = &db else {
        unreachable!()
    };
    let mut admin = PgConnection::establish(&postgres_admin_url()).unwrap();
    admin
        .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .unwrap();

    let resp = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    let error = body["error"].as_str().unwrap();
    assert_eq!(error, "Service temporarily unavailable");
    assert!(
        !error.contains(name.as_str()),
        "no internals leak to clients"
    );

    let resp = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    server.handle.stop(true).await;
}
