//! Who sees what: the visibility matrix on every read path, with blocks and mutes.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {list}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

async fn visibility_matrix(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await; // author
    let bob = f.user("bob").await; // follows alice
    let carol = f.user("carol").await; // mentioned, not a follower
    let dave = f.user("dave").await; // stranger
    let (code, _) = f
        .post(
            &bob,
            &format!("/api/v1/accounts/{}/follow", alice.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);

    let public = f
        .status(
            &alice,
            json!({"status": "public #news", "visibility": "public"}),
        )
        .await;
    let unlisted = f
        .status(
            &alice,
            json!({"status": "unlisted #news", "visibility": "unlisted"}),
        )
        .await;
    let private = f
        .status(
            &alice,
            json!({"status": "followers only #news", "visibility": "private"}),
        )
        .await;
    let direct = f
        .status(
            &alice,
            json!({"status": "@carol just you", "visibility": "direct"}),
        )
        .await;
    let local = f
        .status(
            &alice,
            json!({"status": "department only #news", "visibility": "local"}),
        )
        .await;
    let local_only = f
        .status(
            &alice,
            json!({"status": "also department only", "local_only": true}),
        )
        .await;
    let private_mention = f
        .status(
            &alice,
            json!({"status": "@carol followers and you", "visibility": "private"}),
        )
        .await;

    // Single status: who gets 200, who 404 (existence is not revealed).
    let cases: Vec<(&str, &String, [u16; 5])> = vec![
        // status, id, [alice, bob, carol, dave, anonymous]
        ("public", &public, [200, 200, 200, 200, 200]),
        ("unlisted", &unlisted, [200, 200, 200, 200, 200]),
        ("private", &private, [200, 200, 404, 404, 404]),
        ("direct", &direct, [200, 404, 200, 404, 404]),
        ("local", &local, [200, 200, 200, 200, 404]),
        ("local_only", &local_only, [200, 200, 200, 200, 404]),
        (
            "private+mention",
            &private_mention,
            [200, 200, 200, 404, 404],
        ),
    ];
    let viewers: [Option<&TestUser>; 5] =
        [Some(&alice), Some(&bob), Some(&carol), Some(&dave), None];
    for (name, id, expected) in &cases {
        for (viewer, want) in viewers.iter().zip(expected) {
            let (code, body) = f.get(*viewer, &format!("/api/v1/statuses/{id}")).await;
            let who = viewer.map_or("anonymous", |u| u.username.as_str());
            assert_eq!(code, *want, "{name} status seen by {who}: {body}");
            if code == 404 {
                assert_eq!(body, json!({"error": "Record not found"}));
            }
        }
    }

    // Department-only posts say so to clients.
    let (_, body) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{local}"))
        .await;
    assert_eq!(body["local_only"], true);
    assert_eq!(body["visibility"], "public");
    let (_, body) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{local_only}"))
        .await;
    assert_eq!(body["local_only"], true);
    let (_, body) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{private}"))
        .await;
    assert_eq!(
        (body["visibility"].as_str(), body["local_only"].as_bool()),
        (Some("private"), Some(false))
    );

    // Public timeline: public posts for everyone, department-only for signed-in employees.
    let (_, tl) = f.get(None, "/api/v1/timelines/public").await;
    assert_eq!(ids(&tl), vec![public.clone()]);
    let (_, tl) = f
        .get(Some(&dave), "/api/v1/timelines/public?local=true")
        .await;
    assert_eq!(
        ids(&tl),
        vec![local_only.clone(), local.clone(), public.clone()]
    );
    let (_, tl) = f
        .get(Some(&dave), "/api/v1/timelines/public?remote=true")
        .await;
    assert_eq!(ids(&tl), Vec::<String>::new());

    // Hashtag timeline: same rule; unlisted and private stay out.
    let (_, tl) = f.get(Some(&dave), "/api/v1/timelines/tag/news").await;
    assert_eq!(ids(&tl), vec![local.clone(), public.clone()]);
    let (_, tl) = f.get(None, "/api/v1/timelines/tag/NEWS").await;
    assert_eq!(ids(&tl), vec![public.clone()]);

    // Account page: each viewer sees what they may.
    let path = format!("/api/v1/accounts/{}/statuses", alice.id);
    let (_, tl) = f.get(Some(&bob), &path).await;
    assert_eq!(
        ids(&tl),
        vec![
            private_mention.clone(),
            local_only.clone(),
            local.clone(),
            private.clone(),
            unlisted.clone(),
            public.clone()
        ]
    );
    let (_, tl) = f.get(Some(&carol), &path).await;
    assert_eq!(
        ids(&tl),
        vec![
            private_mention.clone(),
            local_only.clone(),
            local.clone(),
            direct.clone(),
            unlisted.clone(),
            public.clone()
        ]
    );
    let (_, tl) = f.get(None, &path).await;
    assert_eq!(ids(&tl), vec![unlisted.clone(), public.clone()]);

    // Home: bob follows alice and sees everything addressed to followers; carol sees only
    // what mentions her.
    let (_, tl) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert_eq!(
        ids(&tl),
        vec![
            private_mention.clone(),
            local_only.clone(),
            local.clone(),
            private.clone(),
            unlisted.clone(),
            public.clone()
        ]
    );
    let (_, tl) = f.get(Some(&carol), "/api/v1/timelines/home").await;
    assert_eq!(ids(&tl), vec![private_mention.clone(), direct.clone()]);

    // Search finds only what the searcher may see.
    let (_, found) = f
        .get(Some(&dave), "/api/v2/search?q=only&type=statuses")
        .await;
    assert_eq!(
        ids(&found["statuses"]),
        vec![local_only.clone(), local.clone()]
    );
    let (_, found) = f
        .get(Some(&bob), "/api/v2/search?q=only&type=statuses")
        .await;
    assert_eq!(
        ids(&found["statuses"]),
        vec![local_only.clone(), local.clone(), private.clone()]
    );

    // Threads: replies of every visibility, filtered per viewer.
    let reply_public = f
        .status(
            &bob,
            json!({"status": "a public reply", "in_reply_to_id": public}),
        )
        .await;
    let reply_private = f.status(&bob, json!({"status": "a followers-only reply", "in_reply_to_id": reply_public, "visibility": "private"})).await;
    let reply_direct = f
        .status(
            &carol,
            json!({"status": "@alice psst", "in_reply_to_id": public, "visibility": "direct"}),
        )
        .await;
    let context = format!("/api/v1/statuses/{public}/context");
    let (_, ctx_alice) = f.get(Some(&alice), &context).await;
    assert_eq!(
        ids(&ctx_alice["descendants"]),
        vec![reply_public.clone(), reply_direct.clone()],
        "alice does not follow bob"
    );
    let (_, ctx_bob) = f.get(Some(&bob), &context).await;
    assert_eq!(
        ids(&ctx_bob["descendants"]),
        vec![reply_public.clone(), reply_private.clone()]
    );
    let (_, ctx_anon) = f.get(None, &context).await;
    assert_eq!(ids(&ctx_anon["descendants"]), vec![reply_public.clone()]);
    let (_, ctx_up) = f
        .get(
            Some(&bob),
            &format!("/api/v1/statuses/{reply_private}/context"),
        )
        .await;
    assert_eq!(
        ids(&ctx_up["ancestors"]),
        vec![public.clone(), reply_public.clone()]
    );

    // Replying to something you cannot see is refused as if it did not exist.
    let (code, _) = f
        .post(
            &dave,
            "/api/v1/statuses",
            json!({"status": "hi", "in_reply_to_id": private}),
        )
        .await;
    assert_eq!(code, 404);

    // Boosting: private and direct posts cannot be boosted; department-only boosts stay
    // department-only.
    let (code, body) = f
        .post(
            &bob,
            &format!("/api/v1/statuses/{private}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    let (code, boost) = f
        .post(&bob, &format!("/api/v1/statuses/{local}/reblog"), json!({}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(boost["local_only"], true);
    assert_eq!(boost["reblog"]["id"], local.as_str());

    f.stop().await;
}

async fn blocks_and_mutes(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let eve = f.user("eve").await;
    f.post(
        &bob,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        json!({}),
    )
    .await;
    f.post(
        &eve,
        &format!("/api/v1/accounts/{}/follow", alice.id),
        json!({}),
    )
    .await;
    let post = f.status(&alice, json!({"status": "hello all"})).await;

    // Alice blocks eve: eve can no longer see or interact with alice, and the follow ends.
    let (code, rel) = f
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/block", eve.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(rel["blocking"], true);
    assert_eq!(rel["followed_by"], false, "a block ends the follow");
    let (code, _) = f.get(Some(&eve), &format!("/api/v1/statuses/{post}")).await;
    assert_eq!(code, 404);
    let (_, tl) = f.get(Some(&eve), "/api/v1/timelines/public").await;
    assert!(ids(&tl).is_empty(), "{tl}");
    let (code, _) = f
        .post(
            &eve,
            &format!("/api/v1/statuses/{post}/favourite"),
            json!({}),
        )
        .await;
    assert_eq!(code, 404);
    let (code, _) = f
        .post(
            &eve,
            &format!("/api/v1/accounts/{}/follow", alice.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 403);
    let (_, rels) = f
        .get(
            Some(&eve),
            &format!("/api/v1/accounts/relationships?id[]={}", alice.id),
        )
        .await;
    assert_eq!(rels[0]["blocked_by"], true);
    // Eve's posts are hidden from alice too.
    let eves = f
        .status(&eve, json!({"status": "can anyone hear me"}))
        .await;
    let (code, _) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{eves}"))
        .await;
    assert_eq!(code, 404);
    let (_, alice_account) = f
        .get(Some(&bob), &format!("/api/v1/accounts/{}", alice.id))
        .await;
    assert_eq!(alice_account["followers_count"], 1);

    // Bob mutes alice: gone from his timelines and notifications, still readable directly.
    let (_, rel) = f
        .post(
            &bob,
            &format!("/api/v1/accounts/{}/mute", alice.id),
            json!({}),
        )
        .await;
    assert_eq!(
        (
            rel["muting"].as_bool(),
            rel["muting_notifications"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let (_, home) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert!(ids(&home).is_empty(), "{home}");
    let (_, public) = f.get(Some(&bob), "/api/v1/timelines/public").await;
    assert!(!ids(&public).contains(&post));
    let (code, body) = f.get(Some(&bob), &format!("/api/v1/statuses/{post}")).await;
    assert_eq!(code, 200);
    // `muted` is Mastodon's: the thread is muted (see api_more), not the author.
    assert_eq!(body["muted"], false);
    f.status(&alice, json!({"status": "@bob are you there?"}))
        .await;
    let (_, notes) = f.get(Some(&bob), "/api/v1/notifications").await;
    assert!(notes.as_array().unwrap().is_empty(), "{notes}");
    f.post(
        &bob,
        &format!("/api/v1/accounts/{}/unmute", alice.id),
        json!({}),
    )
    .await;
    let (_, home) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert_eq!(ids(&home).len(), 2);

    f.stop().await;
}

on_both_backends!(visibility_matrix, blocks_and_mutes);
