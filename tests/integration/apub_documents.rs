//! What other departments read of ours: the outbox and featured collections and the Notes in
//! them, fetched with a signature as another department's employee. Their JSON is pinned by
//! snapshots (tests/integration/snapshots/), so a change to what peers see is deliberate; and
//! a page costs the same number of queries however many posts it holds.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::Connection;
use diesel::connection::InstrumentationEvent;
use groundswell::db::DbConnection;
use groundswell::service::collections;
use regex::Regex;
use serde_json::{Value, json};

use crate::api_media::{photo, upload};
use crate::common::*;
use crate::federation::{departments_with, domain, resolve};
use crate::on_both_backends;
use crate::security::{actor_keys, local_url, sign};

/// Ports, ids, media tokens and times replaced by stable names.
fn normalise(value: &Value, domains: &[(&str, &str)]) -> Value {
    let ids = Regex::new(r"\b\d{15,}\b").unwrap();
    let tokens = Regex::new(r"/media/[A-Za-z0-9_-]{43}/").unwrap();
    let times = Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$").unwrap();
    match value {
        Value::String(s) => {
            let mut s = s.clone();
            for (real, name) in domains {
                s = s.replace(real, name);
            }
            let s = tokens.replace_all(&s, "/media/[token]/");
            let s = ids.replace_all(&s, "[id]");
            if times.is_match(&s) {
                json!("[time]")
            } else {
                Value::String(s.into_owned())
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| normalise(v, domains)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "blurhash" => json!("[secret]"),
                        _ => normalise(v, domains),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// GET `path` from `f`, signed as `signer` (an employee of an allowed department).
async fn signed_get(f: &Fixture, signer: &(String, String), path: &str) -> (u16, Value) {
    let host = domain(f);
    let covered = ["(request-target)", "host", "date"];
    let headers = sign("GET", &local_url(f, path), &covered, None, signer, &host);
    let mut req = f.client.get(format!("http://{host}{path}"));
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let resp = req.send().await.unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

/// Run `f` on a fresh connection to `f`'s database, counting the queries it sends.
fn count_queries<T>(f: &Fixture, run: impl FnOnce(&mut DbConnection) -> T) -> (T, usize) {
    let mut conn = f.db.connect();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let out = run(&mut conn);
    (out, count.load(Ordering::SeqCst))
}

/// One post of each kind a Note can carry: mentions (ours and another department's) and
/// hashtags, an image with a description behind a content warning, a poll, replies (to
/// one's own post and to a colleague's), an edit. Returns the ids of the posts to pin.
async fn post_one_of_each(
    eng: &Fixture,
    alice: &TestUser,
    bob: &TestUser,
    carol_acct: &str,
) -> Vec<String> {
    let mentions = eng
        .status(
            alice,
            json!({
                "status": format!("Hello @bob and @{carol_acct} #Rust #Groundswell"),
                "visibility": "public",
            }),
        )
        .await;
    let (code, media) = upload(eng, alice, photo(64, 48), Some("A test pattern")).await;
    assert_eq!(code, 200, "{media}");
    let picture = eng
        .status(
            alice,
            json!({
                "status": "A picture",
                "media_ids": [media["id"]],
                "sensitive": true,
                "spoiler_text": "Bright colours",
                "visibility": "public",
            }),
        )
        .await;
    eng.status(
        alice,
        json!({
            "status": "Lunch?",
            "poll": {"options": ["Pizza", "Salad"], "expires_in": 3600},
            "visibility": "unlisted",
        }),
    )
    .await;
    let reply = eng
        .status(
            alice,
            json!({
                "status": "Replying to myself",
                "in_reply_to_id": mentions,
                "language": "en",
                "visibility": "public",
            }),
        )
        .await;
    let resp = eng
        .client
        .put(eng.url(&format!("/api/v1/statuses/{reply}")))
        .bearer_auth(&alice.token)
        .json(&json!({"status": "Replying to myself, edited", "language": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bobs = eng
        .status(bob, json!({"status": "Bob's news", "visibility": "public"}))
        .await;
    eng.status(
        alice,
        json!({"status": "Nice one @bob", "in_reply_to_id": bobs, "visibility": "public"}),
    )
    .await;
    // None of these is in the outbox: followers-only, direct, department-only, a boost.
    for visibility in ["private", "direct", "local"] {
        eng.status(
            alice,
            json!({"status": format!("Not for the outbox ({visibility}) @bob"), "visibility": visibility}),
        )
        .await;
    }
    let (code, _) = eng
        .post(alice, &format!("/api/v1/statuses/{bobs}/reblog"), json!({}))
        .await;
    assert_eq!(code, 200);
    vec![mentions, picture]
}

async fn outbox_and_featured_show_public_posts_with_everything_they_carry(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let deps = departments_with(
        db,
        2,
        |_, _| true,
        move |i, s| {
            if i == 0 {
                s.storage.data_dir = data_dir.clone();
            }
        },
    )
    .await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let bob = eng.user("bob").await;
    sales.user("carol").await;
    let carol_acct = format!("carol@{}", domain(sales));
    resolve(eng, &alice, &carol_acct).await;
    let carol = actor_keys(sales, "carol");
    let domains = [(domain(eng), "eng.test"), (domain(sales), "sales.test")];
    let domains: Vec<(&str, &str)> = domains.iter().map(|(d, n)| (d.as_str(), *n)).collect();
    let snap = |name: &str, v: &Value| {
        insta::assert_json_snapshot!(name, normalise(v, &domains));
    };

    let pinned = post_one_of_each(eng, &alice, &bob, &carol_acct).await;
    for id in pinned.iter().rev() {
        let (code, body) = eng
            .post(&alice, &format!("/api/v1/statuses/{id}/pin"), json!({}))
            .await;
        assert_eq!(code, 200, "{body}");
    }

    let (code, outbox) = signed_get(eng, &carol, "/users/alice/outbox").await;
    assert_eq!(code, 200, "{outbox}");
    assert_eq!(outbox["totalItems"], 5);
    snap("apub_outbox", &outbox);
    let (code, page) = signed_get(eng, &carol, "/users/alice/outbox?page=true").await;
    assert_eq!(code, 200, "{page}");
    assert_eq!(page["orderedItems"].as_array().unwrap().len(), 5);
    snap("apub_outbox_page", &page);
    let (code, featured) = signed_get(eng, &carol, "/users/alice/collections/featured").await;
    assert_eq!(code, 200, "{featured}");
    snap("apub_featured", &featured);
    // A single Note is the same document as in the collections.
    let note_id = page["orderedItems"][4]["object"]["id"].as_str().unwrap();
    let path = url::Url::parse(note_id).unwrap().path().to_string();
    let (code, note) = signed_get(eng, &carol, &path).await;
    assert_eq!(code, 200, "{note}");
    let mut in_page = page["orderedItems"][4]["object"].clone();
    in_page["@context"] = note["@context"].clone();
    assert_eq!(note, in_page);

    // The same number of queries for a page of five posts and a page of ten (each with all
    // there is to load: mentions, tags, media, a poll, replies), and for two pins or four.
    let alice_id: i64 = alice.id.parse().unwrap();
    let (two_pins, pins_before) =
        count_queries(eng, |c| collections::featured(c, alice_id).unwrap());
    let more_pins = post_one_of_each(eng, &alice, &bob, &carol_acct).await;
    for id in more_pins.iter().rev() {
        let (code, body) = eng
            .post(&alice, &format!("/api/v1/statuses/{id}/pin"), json!({}))
            .await;
        assert_eq!(code, 200, "{body}");
    }
    let (ten, queries_for_ten) = count_queries(eng, |c| {
        collections::public_posts(c, alice_id, None).unwrap()
    });
    assert_eq!(ten.len(), 10);
    let older = Some(ten[4].status.id);
    let (five, queries_for_five) = count_queries(eng, |c| {
        collections::public_posts(c, alice_id, older).unwrap()
    });
    assert_eq!(five.len(), 5);
    assert_eq!(queries_for_five, queries_for_ten);
    let oldest = Some(ten[8].status.id);
    let (one, queries_for_one) = count_queries(eng, |c| {
        collections::public_posts(c, alice_id, oldest).unwrap()
    });
    assert_eq!(one.len(), 1);
    assert!(queries_for_one <= queries_for_ten);
    // The page query, accounts, mentions, tags, media, polls (3), applications.
    assert!(queries_for_ten <= 9, "{queries_for_ten} queries for a page");
    let (four_pins, pins_after) =
        count_queries(eng, |c| collections::featured(c, alice_id).unwrap());
    assert_eq!((two_pins.len(), four_pins.len()), (2, 4));
    assert_eq!(pins_before, pins_after);
    // What the service loads is what the page showed: the older five render as fetched.
    for (view, item) in five.iter().zip(page["orderedItems"].as_array().unwrap()) {
        let rendered = groundswell::apub::render::note(&eng.ctx.settings, view).unwrap();
        assert_eq!(serde_json::to_value(rendered).unwrap(), item["object"]);
    }

    // Followers and following: the collection counts, its page lists the other ends' ids.
    let bob_id = bob.id.clone();
    for (who, path) in [
        (&bob, format!("/api/v1/accounts/{}/follow", alice.id)),
        (&alice, format!("/api/v1/accounts/{bob_id}/follow")),
    ] {
        let (code, body) = eng.post(who, &path, json!({})).await;
        assert_eq!(code, 200, "{body}");
    }
    let bob_ap_id = format!("http://{}/users/bob", domain(eng));
    for list in ["followers", "following"] {
        let (code, collection) = signed_get(eng, &carol, &format!("/users/alice/{list}")).await;
        assert_eq!(code, 200, "{collection}");
        assert_eq!(collection["totalItems"], 1, "{collection}");
        let (code, page) = signed_get(eng, &carol, &format!("/users/alice/{list}?page=1")).await;
        assert_eq!(code, 200, "{page}");
        assert_eq!(page["orderedItems"], json!([bob_ap_id]), "{page}");
    }

    for f in deps.into_iter().rev() {
        f.stop().await;
    }
}

on_both_backends!(outbox_and_featured_show_public_posts_with_everything_they_carry);
