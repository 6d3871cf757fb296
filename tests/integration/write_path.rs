//! One write path: every rule of posting, editing, deleting, favouriting and boosting holds
//! the same whether the change comes from an employee here (the Mastodon API) or from another
//! department (a signed delivery from a second real instance).

use serde_json::{Value, json};

use crate::api_media::{photo, upload};
use crate::common::*;
use crate::federation::{departments_with, domain, eventually, home_has, notification, resolve};
use crate::on_both_backends;

async fn follow(f: &Fixture, me: &TestUser, id: &str, body: Value) {
    let (code, rel) = f
        .post(me, &format!("/api/v1/accounts/{id}/follow"), body)
        .await;
    assert_eq!(code, 200, "{rel}");
    eventually("the follow to be accepted", || async {
        let (_, rels) = f
            .get(
                Some(me),
                &format!("/api/v1/accounts/relationships?id[]={id}"),
            )
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
}

async fn statuses_count(f: &Fixture, user: &TestUser) -> i64 {
    let (_, me) = f
        .get(Some(user), "/api/v1/accounts/verify_credentials")
        .await;
    me["statuses_count"].as_i64().unwrap()
}

/// Eng allows long posts and four attachments; Sales allows 100 characters and one. Alice
/// (Eng) is followed, with "notify me of new posts", by Carol in Eng and Bob in Sales.
async fn one_rule_for_both_origins(db: TestDb) {
    let deps = departments_with(
        db,
        2,
        |_, _| true,
        |i, s| {
            if i == 1 {
                s.limits.max_status_chars = 100;
                s.limits.max_media_attachments = 1;
            }
        },
    )
    .await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
    follow(sales, &bob, &alice_on_sales, json!({"notify": true})).await;
    follow(eng, &carol, &alice.id, json!({"notify": true})).await;

    // "Notify me": the follower is told of a new post, here and in the other department.
    let first = eng
        .status(&alice, json!({"status": "Launch review at 3pm"}))
        .await;
    let told = eventually("Carol told of Alice's post", || {
        notification(eng, &carol, "status")
    })
    .await;
    assert_eq!(told["status"]["id"], first.as_str());
    let told = eventually("Bob told of Alice's post in Sales", || {
        notification(sales, &bob, "status")
    })
    .await;
    assert!(
        told["status"]["content"]
            .as_str()
            .unwrap()
            .contains("Launch review")
    );

    // The character limit: Sales refuses 150 characters from its own employee and from Eng.
    let long = "x".repeat(150);
    let (code, body) = sales
        .post(&bob, "/api/v1/statuses", json!({"status": long}))
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("character limit"));
    eng.status(&alice, json!({"status": format!("{long} (long)")}))
        .await;
    // The attachment limit: two images are one too many for Sales, from either origin.
    let mut media = Vec::new();
    for f in [eng, sales] {
        let user = if std::ptr::eq(f, eng) { &alice } else { &bob };
        let mut ids = Vec::new();
        for _ in 0..2 {
            let (code, m) = upload(f, user, photo(32, 32), Some("a chart")).await;
            assert_eq!(code, 200, "{m}");
            ids.push(m["id"].as_str().unwrap().to_string());
        }
        media.push(ids);
    }
    let (code, body) = sales
        .post(
            &bob,
            "/api/v1/statuses",
            json!({"status": "two charts", "media_ids": media[1]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    eng.status(
        &alice,
        json!({"status": "two charts from Eng", "media_ids": media[0]}),
    )
    .await;
    // A post Sales accepts, sent after both: once it is there, the refused ones would be too.
    eng.status(&alice, json!({"status": "short and sweet"}))
        .await;
    eventually("the short post in Sales", || {
        home_has(sales, &bob, "short and sweet")
    })
    .await;
    assert!(home_has(sales, &bob, "(long)").await.is_none());
    assert!(home_has(sales, &bob, "two charts from Eng").await.is_none());

    // Edits: whoever boosted a post is told it changed, here and in the other department.
    let on_sales = home_has(sales, &bob, "Launch review").await.unwrap();
    let on_sales_id = on_sales["id"].as_str().unwrap().to_string();
    for (f, user, id) in [
        (eng, &carol, first.as_str()),
        (sales, &bob, on_sales_id.as_str()),
    ] {
        let (code, body) = f
            .post(user, &format!("/api/v1/statuses/{id}/reblog"), json!({}))
            .await;
        assert_eq!(code, 200, "{body}");
    }
    let (_, original) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{first}"))
        .await;
    eventually("both boosts counted in Eng", || async {
        let (_, s) = eng
            .get(Some(&alice), &format!("/api/v1/statuses/{first}"))
            .await;
        (s["reblogs_count"] == 2).then_some(())
    })
    .await;
    assert_eq!(original["account"]["id"], alice.id.as_str());
    let resp = eng
        .client
        .put(eng.url(&format!("/api/v1/statuses/{first}")))
        .bearer_auth(&alice.token)
        .json(&json!({"status": "Launch review moved to 4pm"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually("Carol told of the edit", || {
        notification(eng, &carol, "update")
    })
    .await;
    eventually("Bob told of the edit in Sales", || {
        notification(sales, &bob, "update")
    })
    .await;
    let (_, edited) = sales
        .get(Some(&bob), &format!("/api/v1/statuses/{on_sales_id}"))
        .await;
    assert!(
        edited["content"].as_str().unwrap().contains("4pm"),
        "{edited}"
    );

    // Deletes: the post goes, and so do the boosts of it, with their authors' counts,
    // here and in the other department.
    let (carol_before, bob_before) = (
        statuses_count(eng, &carol).await,
        statuses_count(sales, &bob).await,
    );
    let resp = eng
        .client
        .delete(eng.url(&format!("/api/v1/statuses/{first}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually("the post gone from Sales", || async {
        let (code, _) = sales
            .get(Some(&bob), &format!("/api/v1/statuses/{on_sales_id}"))
            .await;
        (code == 404).then_some(())
    })
    .await;
    assert!(home_has(sales, &bob, "4pm").await.is_none());
    assert!(home_has(eng, &carol, "4pm").await.is_none());
    assert_eq!(statuses_count(eng, &carol).await, carol_before - 1);
    assert_eq!(statuses_count(sales, &bob).await, bob_before - 1);
}

on_both_backends!(one_rule_for_both_origins);
