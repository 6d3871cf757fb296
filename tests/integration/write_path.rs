//! One write path: every rule of posting, editing, deleting, favouriting and boosting holds
//! the same whether the change comes from an employee here (the Mastodon API) or from another
//! department (a signed delivery from a second real instance).

use serde_json::{Value, json};

use crate::api_media::{photo, upload};
use crate::common::*;
use crate::federation::{departments_with, domain, eventually, home_has, notification, resolve};
use crate::on_both_backends;
use crate::security::{actor_keys, deliver};

/// `me` follows `id` and waits until the follow is accepted.
pub(crate) async fn follow(f: &Fixture, me: &TestUser, id: &str, body: Value) {
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

/// The texts of `user`'s mention notifications, newest first.
async fn mentions_of(f: &Fixture, user: &TestUser) -> Vec<String> {
    let (code, body) = f.get(Some(user), "/api/v1/notifications?limit=40").await;
    assert_eq!(code, 200, "{body}");
    body.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "mention")
        .map(|n| {
            n["status"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

async fn told_of(f: &Fixture, user: &TestUser, texts: &[&str]) -> Option<()> {
    let mentions = mentions_of(f, user).await;
    texts
        .iter()
        .all(|t| mentions.iter().any(|m| m.contains(t)))
        .then_some(())
}

async fn relationship(f: &Fixture, me: &TestUser, id: &str) -> Value {
    let (code, rels) = f
        .get(
            Some(me),
            &format!("/api/v1/accounts/relationships?id[]={id}"),
        )
        .await;
    assert_eq!(code, 200, "{rels}");
    rels[0].clone()
}

async fn favourites_count(f: &Fixture, user: &TestUser, id: &str) -> i64 {
    let (code, s) = f.get(Some(user), &format!("/api/v1/statuses/{id}")).await;
    assert_eq!(code, 200, "{s}");
    s["favourites_count"].as_i64().unwrap()
}

/// A post of `actor` (an account of Sales, signing with its own key) that mentions Alice,
/// delivered to Eng's inbox.
async fn mention_from(eng: &Fixture, actor: &(String, String), n: &str, text: &str) {
    let alice = format!("http://{}/users/alice", domain(eng));
    let id = format!("{}/statuses/{n}", actor.0);
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let status = deliver(
        eng,
        actor,
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"),
            "type": "Create",
            "actor": actor.0,
            "to": [public],
            "cc": [alice],
            "object": {
                "id": id,
                "type": "Note",
                "attributedTo": actor.0,
                "content": format!("<p>@alice {text}</p>"),
                "published": "2026-11-30T09:00:00Z",
                "to": [public],
                "cc": [alice],
                "tag": [{"type": "Mention", "href": alice, "name": format!("@alice@{}", domain(eng))}],
            },
        }),
    )
    .await;
    assert!(status < 300, "delivered: {status}");
}

/// A Like or Announce of `object` by `actor`, delivered to Eng's inbox.
async fn interaction_from(eng: &Fixture, actor: &(String, String), kind: &str, object: &str) {
    let status = deliver(
        eng,
        actor,
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/{}/{}", actor.0, kind.to_lowercase(), ids_of(object)),
            "type": kind,
            "actor": actor.0,
            "object": object,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        }),
    )
    .await;
    assert!(status < 500, "delivered: {status}");
}

fn ids_of(object: &str) -> String {
    object.rsplit('/').next().unwrap_or_default().to_string()
}

/// Mentions notify, mutes and blocks silence, and a post's audience bounds who may like or
/// boost it, alike for an employee here (the Mastodon API) and for an account of another
/// department (posts, likes and boosts delivered to the inbox, signed by a real second
/// instance's accounts). A block made in either department ends the follows in both.
async fn mentions_mutes_blocks_and_audience_hold_for_both_origins(db: TestDb) {
    let deps = departments_with(db, 2, |_, _| true, |_, _| {}).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    let dave = eng.user("dave").await;
    let bob = sales.user("bob").await;
    let erin = sales.user("erin").await;
    let (bob_keys, erin_keys) = (actor_keys(sales, "bob"), actor_keys(sales, "erin"));
    let alice_acct = format!("alice@{}", domain(eng));
    let bob_on_eng = resolve(eng, &alice, &format!("bob@{}", domain(sales))).await;
    let erin_on_eng = resolve(eng, &dave, &format!("erin@{}", domain(sales))).await;
    let alice_on_sales = resolve(sales, &bob, &alice_acct).await;
    let dave_on_sales = resolve(sales, &erin, &format!("dave@{}", domain(eng))).await;
    follow(eng, &alice, &carol.id, json!({})).await;
    follow(eng, &alice, &bob_on_eng, json!({})).await;
    follow(eng, &carol, &alice.id, json!({})).await;
    follow(sales, &bob, &alice_on_sales, json!({})).await;
    follow(eng, &dave, &erin_on_eng, json!({})).await;
    follow(sales, &erin, &dave_on_sales, json!({})).await;

    // Mentions notify, from either origin.
    eng.status(&carol, json!({"status": "@alice first from Eng"}))
        .await;
    sales
        .status(
            &bob,
            json!({"status": format!("@{alice_acct} first from Sales")}),
        )
        .await;
    eventually("Alice told of both mentions", || {
        told_of(eng, &alice, &["first from Eng", "first from Sales"])
    })
    .await;

    // The audience of a post bounds who may like or boost it: a followers-only post of
    // Alice is out of reach of Dave (Eng) and Erin (Sales), who do not follow her, and
    // within reach of her followers Carol (Eng) and Bob (Sales).
    let private = eng
        .status(
            &alice,
            json!({"status": "for my followers", "visibility": "private"}),
        )
        .await;
    let private_ap = format!("http://{}/users/alice/statuses/{private}", domain(eng));
    for action in ["favourite", "reblog"] {
        let (code, body) = eng
            .post(
                &dave,
                &format!("/api/v1/statuses/{private}/{action}"),
                json!({}),
            )
            .await;
        assert_eq!(code, 404, "{action} by a stranger: {body}");
    }
    interaction_from(eng, &erin_keys, "Like", &private_ap).await;
    interaction_from(eng, &erin_keys, "Announce", &private_ap).await;
    assert_eq!(favourites_count(eng, &alice, &private).await, 0);
    let (code, body) = eng
        .post(
            &carol,
            &format!("/api/v1/statuses/{private}/favourite"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    interaction_from(eng, &bob_keys, "Like", &private_ap).await;
    assert_eq!(favourites_count(eng, &alice, &private).await, 2);
    let (_, status) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{private}"))
        .await;
    assert_eq!(status["reblogs_count"], 0, "{status}");

    // Mutes: nobody Alice muted tells her anything or fills her home timeline, whether
    // they post here or in Sales, until she unmutes them.
    for id in [&carol.id, &bob_on_eng] {
        let (code, body) = eng
            .post(&alice, &format!("/api/v1/accounts/{id}/mute"), json!({}))
            .await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["muting"], true);
    }
    eng.status(&carol, json!({"status": "@alice muted from Eng"}))
        .await;
    mention_from(eng, &bob_keys, "muted", "muted from Sales").await;
    assert!(mentions_of(eng, &alice).await.is_empty());
    assert!(home_has(eng, &alice, "from Eng").await.is_none());
    assert!(home_has(eng, &alice, "from Sales").await.is_none());
    for id in [&carol.id, &bob_on_eng] {
        let (code, body) = eng
            .post(&alice, &format!("/api/v1/accounts/{id}/unmute"), json!({}))
            .await;
        assert_eq!(code, 200, "{body}");
    }
    let mentions = mentions_of(eng, &alice).await;
    assert_eq!(
        mentions.len(),
        2,
        "only the mentions before the mute: {mentions:?}"
    );
    assert!(home_has(eng, &alice, "muted from Sales").await.is_some());
    assert!(home_has(eng, &alice, "muted from Eng").await.is_some());

    // Blocks: Alice blocks Carol and Bob. Their follows end both ways, in Sales too.
    let public = eng.status(&alice, json!({"status": "for everyone"})).await;
    let public_ap = format!("http://{}/users/alice/statuses/{public}", domain(eng));
    for id in [&carol.id, &bob_on_eng] {
        let (code, rel) = eng
            .post(&alice, &format!("/api/v1/accounts/{id}/block"), json!({}))
            .await;
        assert_eq!(code, 200, "{rel}");
        assert_eq!(rel["blocking"], true);
        assert_eq!(rel["following"], false, "{rel}");
        assert_eq!(rel["followed_by"], false, "{rel}");
    }
    eventually("Bob's follow of Alice ended in Sales", || async {
        let rel = relationship(sales, &bob, &alice_on_sales).await;
        (rel["following"] == false && rel["blocked_by"] == true).then_some(())
    })
    .await;
    // What they say to her no longer reaches her, and they cannot like her posts.
    eng.status(&carol, json!({"status": "@alice blocked from Eng"}))
        .await;
    mention_from(eng, &bob_keys, "blocked", "blocked from Sales").await;
    let (code, _) = eng
        .post(
            &carol,
            &format!("/api/v1/statuses/{public}/favourite"),
            json!({}),
        )
        .await;
    assert_eq!(code, 404);
    interaction_from(eng, &bob_keys, "Like", &public_ap).await;
    interaction_from(eng, &erin_keys, "Like", &public_ap).await;
    assert_eq!(
        favourites_count(eng, &alice, &public).await,
        1,
        "Erin's only"
    );
    for id in [&carol.id, &bob_on_eng] {
        let (code, body) = eng
            .post(&alice, &format!("/api/v1/accounts/{id}/unblock"), json!({}))
            .await;
        assert_eq!(code, 200, "{body}");
    }
    let mentions = mentions_of(eng, &alice).await;
    assert!(
        !mentions.iter().any(|m| m.contains("blocked from")),
        "{mentions:?}"
    );

    // A block made in Sales (Erin blocks Dave) reaches Eng through the inbox and ends the
    // follows there too; Dave cannot follow her again.
    let (code, rel) = sales
        .post(
            &erin,
            &format!("/api/v1/accounts/{dave_on_sales}/block"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{rel}");
    eventually("the block applied in Eng", || async {
        let rel = relationship(eng, &dave, &erin_on_eng).await;
        (rel["following"] == false && rel["followed_by"] == false && rel["blocked_by"] == true)
            .then_some(())
    })
    .await;
    let (code, body) = eng
        .post(
            &dave,
            &format!("/api/v1/accounts/{erin_on_eng}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(code, 403, "{body}");
    let (_, me) = eng
        .get(Some(&dave), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["following_count"], 0, "{me}");
    assert_eq!(me["followers_count"], 0, "{me}");
}

on_both_backends!(mentions_mutes_blocks_and_audience_hold_for_both_origins);

/// The profile limits hold for both origins: an employee over a limit is told so and nothing
/// changes; another department's profile over the limits (its Update, signed by a real second
/// instance's account) is cut to them rather than lost.
async fn profile_limits_hold_for_both_origins(db: TestDb) {
    use diesel::prelude::*;
    use groundswell::db::schema::accounts;

    let deps = departments_with(db, 2, |_, _| true, |_, _| {}).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    sales.user("bob").await;
    let bob_keys = actor_keys(sales, "bob");
    let bob_on_eng = resolve(eng, &alice, &format!("bob@{}", domain(sales))).await;

    let patch = |body: Value| {
        eng.client
            .patch(eng.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&alice.token)
            .json(&body)
            .send()
    };
    let long_name = "N".repeat(40);
    let resp = patch(json!({"display_name": long_name})).await.unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Display name is too long"),
        "{body}"
    );
    let six: Vec<Value> = (0..6)
        .map(|i| json!({"name": format!("f{i}"), "value": "v"}))
        .collect();
    let resp = patch(json!({"fields_attributes": six})).await.unwrap();
    assert_eq!(resp.status(), 422);
    let (_, me) = eng
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["display_name"], "alice", "unchanged");
    assert_eq!(me["fields"].as_array().unwrap().len(), 0, "{me}");

    // Bob's department sends a profile over both limits.
    let public_key_pem: String = accounts::table
        .filter(accounts::username.eq("bob"))
        .filter(accounts::domain.is_null())
        .select(accounts::public_key_pem)
        .first(&mut sales.db.connect())
        .unwrap();
    let bob = &bob_keys.0;
    let fields: Vec<Value> = (0..6)
        .map(|i| json!({"type": "PropertyValue", "name": format!("field {i}"), "value": "value"}))
        .collect();
    let status = deliver(
        eng,
        &bob_keys,
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": format!("{bob}#updates/1"),
            "type": "Update",
            "actor": bob,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "id": bob,
                "type": "Person",
                "preferredUsername": "bob",
                "name": long_name,
                "summary": "<p>Sales</p>",
                "inbox": format!("{bob}/inbox"),
                "outbox": format!("{bob}/outbox"),
                "followers": format!("{bob}/followers"),
                "attachment": fields,
                "publicKey": {"id": format!("{bob}#main-key"), "owner": bob, "publicKeyPem": public_key_pem},
            },
        }),
    )
    .await;
    assert!(status < 300, "delivered: {status}");
    let (code, account) = eng
        .get(Some(&alice), &format!("/api/v1/accounts/{bob_on_eng}"))
        .await;
    assert_eq!(code, 200, "{account}");
    assert_eq!(account["display_name"], "N".repeat(30), "{account}");
    let fields = account["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 4, "{account}");
    assert_eq!(fields[3]["name"], "field 3");
    assert_eq!(account["note"], "<p>Sales</p>");
}

on_both_backends!(profile_limits_hold_for_both_origins);
