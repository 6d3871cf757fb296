//! Bad input gets Mastodon's `{"error": …}` with the right status, never a 500.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;

async fn bad_requests_get_clear_errors(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let reader = f.user_with_scopes("rita", "read").await;
    let c = &f.client;

    let check = |code: u16, body: &Value, want: u16, contains: &str| {
        assert_eq!(code, want, "{body}");
        let msg = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error field: {body}"));
        assert!(
            msg.contains(contains),
            "{msg:?} should contain {contains:?}"
        );
    };

    // No token, bad token, revoked token.
    let (code, body) = f.get(None, "/api/v1/timelines/home").await;
    check(code, &body, 401, "access token is invalid");
    let resp = c
        .get(f.url("/api/v1/timelines/home"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Bearer realm=\"Groundswell\", error=\"invalid_token\""
    );

    // Scopes are enforced on every endpoint.
    let (code, body) = f
        .post(&reader, "/api/v1/statuses", json!({"status": "hi"}))
        .await;
    check(code, &body, 403, "outside the authorized scopes");
    let (code, body) = f
        .post(
            &reader,
            &format!("/api/v1/accounts/{}/follow", alice.id),
            json!({}),
        )
        .await;
    check(code, &body, 403, "outside the authorized scopes");
    let (code, body) = f
        .post(&reader, "/api/v1/notifications/clear", json!({}))
        .await;
    check(code, &body, 403, "outside the authorized scopes");

    // Bad ids are "not found".
    for path in [
        "/api/v1/statuses/abc",
        "/api/v1/statuses/999",
        "/api/v1/accounts/-1",
        "/api/v1/accounts/x/statuses",
        "/api/v1/notifications/zzz",
    ] {
        let (code, body) = f.get(Some(&alice), path).await;
        check(code, &body, 404, "Record not found");
    }
    let (code, body) = f
        .post(&alice, "/api/v1/statuses/123/favourite", json!({}))
        .await;
    check(code, &body, 404, "Record not found");

    // Invalid statuses.
    let (code, body) = f
        .post(&alice, "/api/v1/statuses", json!({"status": "   "}))
        .await;
    check(code, &body, 422, "Text can't be blank");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "x", "visibility": "secret"}),
        )
        .await;
    check(code, &body, 422, "Visibility `secret`");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "x".repeat(5001)}),
        )
        .await;
    check(code, &body, 422, "character limit of 5000");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "x", "media_ids": ["1"]}),
        )
        .await;
    check(code, &body, 422, "Media attachments");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "x", "language": "english!"}),
        )
        .await;
    check(code, &body, 422, "Language");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "x", "visibility": "private", "local_only": true}),
        )
        .await;
    check(code, &body, 422, "local_only");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "x", "poll": {"options": ["a"], "expires_in": 300}}),
        )
        .await;
    check(code, &body, 422, "2 to 4 options");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "x", "poll": {"options": ["a", "b"], "expires_in": 10}}),
        )
        .await;
    check(code, &body, 422, "expires_in");

    // Malformed bodies.
    let resp = c
        .post(f.url("/api/v1/statuses"))
        .bearer_auth(&alice.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("Invalid JSON"),
        "{body}"
    );

    // Bodies over http.max_body_bytes (1 MiB) are refused before they are read in full.
    let big = "x".repeat(2 * 1024 * 1024);
    let resp = c
        .post(f.url("/api/v1/statuses"))
        .bearer_auth(&alice.token)
        .json(&json!({ "status": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "Request body is too large");
    let resp = c
        .post(f.url("/api/v1/apps"))
        .form(&[
            ("client_name", big.as_str()),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);

    // Only the author edits or deletes; to anyone else the status is "not found" to change.
    let post = f.status(&alice, json!({"status": "mine"})).await;
    let bob = f.user("bob").await;
    let resp = c
        .delete(f.url(&format!("/api/v1/statuses/{post}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c
        .put(f.url(&format!("/api/v1/statuses/{post}")))
        .bearer_auth(&bob.token)
        .json(&json!({"status": "yours now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let (_, still) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{post}"))
        .await;
    assert_eq!(still["content"], "<p>mine</p>", "nothing changed");

    // Self-follow, unknown follow request.
    let (code, body) = f
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/follow", alice.id),
            json!({}),
        )
        .await;
    check(code, &body, 403, "cannot follow yourself");
    let (code, body) = f
        .post(
            &alice,
            &format!("/api/v1/follow_requests/{}/authorize", bob.id),
            json!({}),
        )
        .await;
    check(code, &body, 404, "Record not found");

    // Trailing slashes and unknown parameters are tolerated.
    let (code, _) = f
        .get(Some(&alice), "/api/v1/timelines/home/?unknown=1")
        .await;
    assert_eq!(code, 200);

    f.stop().await;
}

on_both_backends!(bad_requests_get_clear_errors);

async fn rate_limits(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.limits.api_requests_per_5_minutes = 5;
        s.limits.sign_in_attempts_per_5_minutes = 2;
    })
    .await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    for _ in 0..5 {
        let (code, _) = f.get(Some(&alice), "/api/v1/timelines/home").await;
        assert_eq!(code, 200);
    }
    let resp = f
        .client
        .get(f.url("/api/v1/timelines/home"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "Too many requests"
    );
    // Limits are per token: bob is unaffected.
    let (code, _) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert_eq!(code, 200);

    // Password guessing is slowed down per address and login name.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..3 {
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
        let resp = browser
            .post(f.url("/auth/sign_in"))
            .form(&[
                ("username", "alice"),
                ("password", "guess"),
                ("csrf_token", csrf.as_str()),
                ("return_to", "/"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(resp.status().as_u16());
        if resp.status() == 429 {
            assert!(
                resp.text()
                    .await
                    .unwrap()
                    .contains("Too many sign-in attempts")
            );
        }
    }
    assert_eq!(statuses, vec![401, 401, 429]);
    f.stop().await;
}

on_both_backends!(rate_limits);
