//! What a node keeps in memory — who a bearer token speaks for, the instance's counts and
//! contact, what a status shows to everyone (mentions, hashtags, media) — is never behind a change an employee or IT relies on: the next request on the
//! same node sees it, another app node sees it within moments, and so does a change made by
//! the CLI while the server runs.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Fixture, TestDb, TestUser, assert_ok, run_cli, start_server};
use crate::on_both_backends;
use crate::sso::register_app;

on_both_backends!(token_owners_follow_every_change);
on_both_backends!(statuses_show_their_edits_at_once);

/// How long a change may take to reach a cache it does not come through: the CLI's on
/// SQLite (a tenth of a second), another node's (its `NOTIFY`).
const AT_MOST: Duration = Duration::from_secs(2);

async fn within<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while start.elapsed() < AT_MOST {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within {AT_MOST:?}: {what}");
}

async fn verify(f: &Fixture, base: &str, user: &TestUser) -> (u16, Value) {
    let resp = f
        .client
        .get(format!("{base}/api/v1/accounts/verify_credentials"))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

/// A token registered by an app (client credentials), and the app's id and secret.
async fn app_token(f: &Fixture) -> (String, String, String) {
    let (id, secret) = register_app(f, "urn:ietf:wg:oauth:2.0:oob").await;
    let token: Value = f
        .client
        .post(f.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        id,
        secret,
        token["access_token"].as_str().unwrap().to_string(),
    )
}

/// Revoke an app's token (`POST /oauth/revoke`).
async fn revoke(f: &Fixture, client_id: &str, secret: &str, token: &str) {
    let resp = f
        .client
        .post(f.url("/oauth/revoke"))
        .form(&[
            ("client_id", client_id),
            ("client_secret", secret),
            ("token", token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn app_status(f: &Fixture, base: &str, token: &str) -> u16 {
    f.client
        .get(format!("{base}/api/v1/apps/verify_credentials"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn token_owners_follow_every_change(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let base = f.base.clone();
    let (code, me) = verify(&f, &base, &alice).await;
    assert_eq!(code, 200, "{me}");
    assert_eq!(me["statuses_count"], 0);
    assert_eq!(me["role"]["name"], "");

    // Her own changes show in the very next answer: profile, and the counts of what she did.
    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice.token)
        .json(&json!({"display_name": "Alice Anders"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, me) = verify(&f, &base, &alice).await;
    assert_eq!(me["display_name"], "Alice Anders");
    f.status(&alice, json!({"status": "counted"})).await;
    let (_, me) = verify(&f, &base, &alice).await;
    assert_eq!(me["statuses_count"], 1);

    // The instance's contact is the first admin: a role given by the CLI shows on her token
    // and in the instance, as soon as the server can know.
    let (_, instance) = f.get(None, "/api/v2/instance").await;
    assert_ne!(instance["contact"]["account"]["id"], alice.id.as_str());
    assert_ok(&run_cli(&f.db, &["admin", "set-role", "alice", "admin"]));
    within("the new role on her token", || async {
        verify(&f, &base, &alice).await.1["role"]["name"] == "Admin"
    })
    .await;
    within("alice as the contact", || async {
        f.get(None, "/api/v2/instance").await.1["contact"]["account"]["id"] == alice.id.as_str()
    })
    .await;

    // A revoked app token stops working with the revocation's answer.
    let (client_id, secret, token) = app_token(&f).await;
    assert_eq!(app_status(&f, &base, &token).await, 200);
    revoke(&f, &client_id, &secret, &token).await;
    assert_eq!(app_status(&f, &base, &token).await, 401);

    // Suspension by the CLI ends her access.
    assert_ok(&run_cli(&f.db, &["admin", "suspend", "alice"]));
    within("her token refused", || async {
        verify(&f, &base, &alice).await.0 == 401
    })
    .await;
    f.stop().await;
}

/// What a status shows (its hashtags, mentions, media), as `viewer` sees it on `base`.
async fn shown(f: &Fixture, base: &str, viewer: &TestUser, id: &str) -> (Vec<Value>, Vec<Value>) {
    let resp = f
        .client
        .get(format!("{base}/api/v1/statuses/{id}"))
        .bearer_auth(&viewer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let status: Value = resp.json().await.unwrap();
    let names = |key: &str, field: &str| -> Vec<Value> {
        status[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v[field].clone())
            .collect()
    };
    (names("tags", "name"), names("mentions", "username"))
}

/// Edit a status (`PUT /api/v1/statuses/:id`) on `base`.
async fn edit(f: &Fixture, base: &str, author: &TestUser, id: &str, text: &str) {
    let resp = f
        .client
        .put(format!("{base}/api/v1/statuses/{id}"))
        .bearer_auth(&author.token)
        .json(&json!({ "status": text }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// What every reader is shown of a status (kept in memory after the first read) follows its
/// edits from the next request, in every place it is shown: the status, the home timeline,
/// notifications; a deleted status is gone from them.
async fn statuses_show_their_edits_at_once(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    crate::write_path::follow(&f, &bob, &alice.id, json!({})).await;
    let base = f.base.clone();
    let id = f
        .status(&alice, json!({"status": "release notes #first for @carol"}))
        .await;
    for reader in [&bob, &carol] {
        let shown = shown(&f, &base, reader, &id).await;
        assert_eq!(shown, (vec![json!("first")], vec![json!("carol")]));
    }
    let (_, home) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert_eq!(home[0]["tags"][0]["name"], "first");

    // An edit may mention more people, never fewer (as on Mastodon: those mentioned keep it).
    edit(&f, &base, &alice, &id, "release notes #second for @bob").await;
    for reader in [&bob, &carol] {
        let shown = shown(&f, &base, reader, &id).await;
        assert_eq!(
            shown,
            (vec![json!("second")], vec![json!("carol"), json!("bob")])
        );
    }
    let (_, home) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert_eq!(home[0]["id"], id.as_str());
    assert_eq!(home[0]["tags"][0]["name"], "second");
    assert_eq!(home[0]["mentions"][1]["username"], "bob");
    // Carol's mention notification shows the status as it is now.
    let (_, notes) = f.get(Some(&carol), "/api/v1/notifications").await;
    assert_eq!(notes[0]["status"]["tags"][0]["name"], "second");

    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        f.get(Some(&bob), &format!("/api/v1/statuses/{id}")).await.0,
        404
    );
    let (_, home) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert_eq!(home, json!([]));
    f.stop().await;
}

/// Two app nodes on one PostgreSQL: what one node revokes or changes, the other's cache drops.
#[actix_web::test]
async fn app_nodes_drop_what_another_node_changed() {
    crate::common::scenario(app_nodes_drop_what_another_node_changed_body()).await
}

async fn app_nodes_drop_what_another_node_changed_body() {
    let f = Fixture::start(TestDb::postgres()).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let mut settings = (*f.ctx.settings).clone();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    let (second, ctx2) = start_server(settings).await;
    let other = format!("http://{}", second.addr);
    let here = f.base.clone();
    // Both nodes have seen both tokens.
    for base in [&here, &other] {
        assert_eq!(verify(&f, base, &alice).await.0, 200);
        assert_eq!(verify(&f, base, &bob).await.0, 200);
    }
    let (client_id, secret, token) = app_token(&f).await;
    assert_eq!(app_status(&f, &other, &token).await, 200);

    // A profile changed on this node shows on the other.
    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&bob.token)
        .json(&json!({"display_name": "Bob Builder", "source": {"privacy": "unlisted"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    within("bob's settings on the other node", || async {
        verify(&f, &other, &bob).await.1["source"]["privacy"] == "unlisted"
    })
    .await;

    // A status read on the other node, then edited here, shows the edit there.
    let post = f
        .status(&alice, json!({"status": "plan #draft with @bob"}))
        .await;
    assert_eq!(
        shown(&f, &other, &bob, &post).await,
        (vec![json!("draft")], vec![json!("bob")])
    );
    edit(&f, &here, &alice, &post, "plan #final @alice").await;
    within("the edit on the other node", || async {
        shown(&f, &other, &bob, &post).await
            == (vec![json!("final")], vec![json!("bob"), json!("alice")])
    })
    .await;

    // A token revoked here is refused there.
    revoke(&f, &client_id, &secret, &token).await;
    within("the revoked token refused there", || async {
        app_status(&f, &other, &token).await == 401
    })
    .await;

    // A suspension by the CLI ends access on both nodes; bob's token still works.
    assert_ok(&run_cli(&f.db, &["admin", "suspend", "alice"]));
    for base in [&here, &other] {
        within("alice refused", || async {
            verify(&f, base, &alice).await.0 == 401
        })
        .await;
        assert_eq!(verify(&f, base, &bob).await.0, 200);
    }
    ctx2.events.shutdown();
    second.handle.stop(true).await;
    f.stop().await;
}
