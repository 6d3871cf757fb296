//! Issue 9, tried as an attacker would: crafted parameters, oversized bodies, spoofed
//! forwarding headers, under-signed fetches, interactions with posts the sender cannot see,
//! replies that would leak department-only posts, and code exchanges without their
//! `redirect_uri`. Each finding has its regression test here, through the real HTTP server;
//! the first two run the real binary, whose process must survive and stay small.

use serde_json::Value;

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
