//! Markers, lists, filters, followed hashtags, the profile directory, reports and direct
//! conversations, as a Mastodon app uses them.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;

/// Status and JSON body of a response.
async fn reply(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A form-encoded POST (`key[]=a&key[]=b`, as many apps send).
async fn post_form(
    f: &Fixture,
    user: &TestUser,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    reply(
        f.client
            .post(f.url(path))
            .bearer_auth(&user.token)
            .form(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[track_caller]
fn assert_error(code: u16, body: &Value, want: u16, contains: &str) {
    assert_eq!(code, want, "{body}");
    let msg = body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field: {body}"));
    assert!(
        msg.contains(contains),
        "{msg:?} should contain {contains:?}"
    );
}

async fn markers_remember_positions_per_employee(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;

    let (code, none) = f.get(Some(&alice), "/api/v1/markers?timeline[]=home").await;
    assert_eq!((code, none), (200, json!({})));

    // A form post creates the home marker at version 0.
    let (code, saved) = post_form(
        &f,
        &alice,
        "/api/v1/markers",
        &[("home[last_read_id]", "1001")],
    )
    .await;
    assert_eq!(code, 200, "{saved}");
    assert_eq!(saved["home"]["last_read_id"], "1001");
    assert_eq!(saved["home"]["version"], 0);
    assert!(saved["home"]["updated_at"].as_str().unwrap().ends_with('Z'));
    assert!(saved.get("notifications").is_none(), "{saved}");

    // JSON with both timelines: home is updated (version 1), notifications created.
    let (code, saved) = f
        .post(
            &alice,
            "/api/v1/markers",
            json!({"home": {"last_read_id": "1002"}, "notifications": {"last_read_id": 77}}),
        )
        .await;
    assert_eq!(code, 200, "{saved}");
    assert_eq!(saved["home"]["last_read_id"], "1002");
    assert_eq!(saved["home"]["version"], 1);
    assert_eq!(saved["notifications"]["last_read_id"], "77");
    assert_eq!(saved["notifications"]["version"], 0);

    let (_, both) = f
        .get(
            Some(&alice),
            "/api/v1/markers?timeline[]=home&timeline[]=notifications&timeline[]=bogus",
        )
        .await;
    assert_eq!(both["home"]["last_read_id"], "1002");
    assert_eq!(both["home"]["version"], 1);
    assert_eq!(both["notifications"]["last_read_id"], "77");
    let (_, only_home) = f.get(Some(&alice), "/api/v1/markers?timeline=home").await;
    assert_eq!(only_home.as_object().unwrap().len(), 1, "{only_home}");
    let (_, nothing_asked) = f.get(Some(&alice), "/api/v1/markers").await;
    assert_eq!(nothing_asked, json!({}));
    let (_, bobs) = f
        .get(
            Some(&bob),
            "/api/v1/markers?timeline[]=home&timeline[]=notifications",
        )
        .await;
    assert_eq!(bobs, json!({}), "markers are per employee");

    // Invalid positions change nothing.
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/markers",
            json!({"home": {"last_read_id": "soon"}}),
        )
        .await;
    assert_error(code, &body, 422, "Last read");
    let (code, body) = f.post(&alice, "/api/v1/markers", json!({"home": {}})).await;
    assert_error(code, &body, 422, "Last read can't be blank");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/markers",
            json!({"home": {"last_read_id": "1"}, "notifications": {"last_read_id": "x"}}),
        )
        .await;
    assert_error(code, &body, 422, "Last read");
    let (_, after) = f.get(Some(&alice), "/api/v1/markers?timeline[]=home").await;
    assert_eq!(
        after["home"]["version"], 1,
        "a failed save is all or nothing"
    );

    // Scopes: reading needs read:statuses, saving write:statuses.
    let reader = f.user_with_scopes("rita", "read").await;
    let writer = f.user_with_scopes("walt", "write:statuses").await;
    let (code, body) = f
        .post(
            &reader,
            "/api/v1/markers",
            json!({"home": {"last_read_id": "1"}}),
        )
        .await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let (code, body) = f
        .get(Some(&writer), "/api/v1/markers?timeline[]=home")
        .await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let (code, _) = f
        .post(
            &writer,
            "/api/v1/markers",
            json!({"home": {"last_read_id": "5"}}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, body) = f.get(None, "/api/v1/markers?timeline[]=home").await;
    assert_error(code, &body, 401, "access token is invalid");
    f.stop().await;
}

on_both_backends!(markers_remember_positions_per_employee);
