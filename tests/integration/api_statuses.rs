//! Posting and reading as a client does: pagination, idempotency, edits, counts,
//! notifications, follow requests, profile updates, bookmarks, pins.

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

/// `<url>; rel="next"` from a Link header.
fn link(resp: &reqwest::Response, rel: &str) -> Option<String> {
    let header = resp.headers().get("link")?.to_str().ok()?.to_string();
    header.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\"")).then(|| url.trim_matches(['<', '>']).to_string())
    })
}

async fn timelines_page_with_link_headers(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let mut posted = Vec::new();
    for i in 0..5 {
        posted.push(
            f.status(&alice, json!({"status": format!("post {i}")}))
                .await,
        );
    }
    posted.reverse(); // newest first

    // Follow rel="next" links two at a time, as clients do.
    let mut seen = Vec::new();
    let mut url = f.url("/api/v1/timelines/home?limit=2");
    loop {
        let resp = f
            .client
            .get(&url)
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        let next = link(&resp, "next");
        let page: Value = resp.json().await.unwrap();
        if page.as_array().unwrap().is_empty() {
            assert!(next.is_none(), "an empty page has no Link header");
            break;
        }
        assert!(page.as_array().unwrap().len() <= 2);
        seen.extend(ids(&page));
        url = next.expect("a non-empty page links to the next one");
        assert!(
            url.starts_with(&f.base) && url.contains("limit=2") && url.contains("max_id="),
            "{url}"
        );
    }
    assert_eq!(seen, posted);

    // rel="prev" (min_id) returns what is newer, nearest first page.
    let resp = f
        .client
        .get(f.url(&format!(
            "/api/v1/timelines/home?max_id={}&limit=2",
            posted[2]
        )))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let prev = link(&resp, "prev").unwrap();
    assert!(prev.contains(&format!("min_id={}", posted[3])), "{prev}");
    let page: Value = resp.json().await.unwrap();
    assert_eq!(ids(&page), posted[3..5].to_vec());
    let resp = f
        .client
        .get(&prev)
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let page: Value = resp.json().await.unwrap();
    assert_eq!(
        ids(&page),
        posted[1..3].to_vec(),
        "min_id gives the items just newer"
    );
    let (_, page) = f
        .get(
            Some(&alice),
            &format!("/api/v1/timelines/home?since_id={}&limit=2", posted[3]),
        )
        .await;
    assert_eq!(
        ids(&page),
        posted[0..2].to_vec(),
        "since_id gives the newest items"
    );
    let (_, page) = f
        .get(Some(&alice), "/api/v1/timelines/public?limit=100")
        .await;
    assert_eq!(ids(&page).len(), 5, "limit is capped, not refused");
    f.stop().await;
}

async fn posting_editing_and_deleting(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;

    // Idempotency-Key: a retried request does not post twice.
    let post = |key: &'static str| {
        f.client
            .post(f.url("/api/v1/statuses"))
            .bearer_auth(&alice.token)
            .header("Idempotency-Key", key)
            .form(&[
                ("status", "Hello @bob, see https://docs.example/x #Launch"),
                ("spoiler_text", "launch"),
                ("language", "en"),
            ])
            .send()
    };
    let first: Value = post("k1").await.unwrap().json().await.unwrap();
    let again: Value = post("k1").await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let other: Value = post("k2").await.unwrap().json().await.unwrap();
    assert_ne!(first["id"], other["id"]);
    let id = first["id"].as_str().unwrap().to_string();

    assert_eq!(first["spoiler_text"], "launch");
    assert_eq!(
        first["sensitive"], true,
        "a content warning makes it sensitive"
    );
    assert_eq!(first["language"], "en");
    assert_eq!(first["mentions"][0]["acct"], "bob");
    assert_eq!(first["tags"][0]["name"], "launch");
    let content = first["content"].as_str().unwrap();
    assert!(
        content.contains(&format!("href=\"{}/@bob\" class=\"u-url mention\"", f.base)),
        "{content}"
    );
    assert!(
        content.contains(&format!("href=\"{}/tags/launch\"", f.base)),
        "{content}"
    );
    assert!(
        content.contains("href=\"https://docs.example/x\""),
        "{content}"
    );
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["statuses_count"], 2);

    // Edit keeps a history; the source is the plain text.
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&alice.token)
        .json(&json!({"status": "Edited #Launch"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let edited: Value = resp.json().await.unwrap();
    assert!(edited["edited_at"].is_string());
    assert_eq!(
        edited["content"],
        format!(
            "<p>Edited <a href=\"{}/tags/launch\" class=\"mention hashtag\" rel=\"tag\">#<span>Launch</span></a></p>",
            f.base
        )
    );
    let (_, history) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{id}/history"))
        .await;
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0]["content"].as_str().unwrap().contains("Hello"));
    assert!(history[1]["content"].as_str().unwrap().contains("Edited"));
    let (_, source) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{id}/source"))
        .await;
    assert_eq!(source["text"], "Edited #Launch");
    let (code, theirs) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{id}/source"))
        .await;
    assert_eq!(
        code, 200,
        "whoever may see the post reads its source, as on Mastodon"
    );
    assert_eq!(theirs["text"], "Edited #Launch");

    // Favourite and boost update counts and flags, once.
    for _ in 0..2 {
        let (code, s) = f
            .post(&bob, &format!("/api/v1/statuses/{id}/favourite"), json!({}))
            .await;
        assert_eq!(code, 200);
        assert_eq!(
            (s["favourited"].as_bool(), s["favourites_count"].as_i64()),
            (Some(true), Some(1))
        );
    }
    let (_, boost) = f
        .post(&bob, &format!("/api/v1/statuses/{id}/reblog"), json!({}))
        .await;
    assert_eq!(boost["reblog"]["id"], id.as_str());
    assert_eq!(boost["reblog"]["reblogged"], true);
    assert_eq!(boost["reblog"]["reblogs_count"], 1);
    assert_eq!(
        boost["reblogged"], true,
        "the boost response is marked reblogged too"
    );
    let (_, by) = f
        .get(None, &format!("/api/v1/statuses/{id}/favourited_by"))
        .await;
    assert_eq!(by[0]["acct"], "bob");
    let (_, by) = f
        .get(None, &format!("/api/v1/statuses/{id}/reblogged_by"))
        .await;
    assert_eq!(by[0]["acct"], "bob");
    let (_, s) = f
        .post(
            &bob,
            &format!("/api/v1/statuses/{id}/unfavourite"),
            json!({}),
        )
        .await;
    assert_eq!(
        (s["favourited"].as_bool(), s["favourites_count"].as_i64()),
        (Some(false), Some(0))
    );

    // Notifications: filtered by type, dismissed, cleared.
    let (_, notes) = f.get(Some(&alice), "/api/v1/notifications").await;
    let kinds: Vec<&str> = notes
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["reblog"],
        "the favourite was undone, so its notification is gone"
    );
    let (_, bob_notes) = f
        .get(Some(&bob), "/api/v1/notifications?types[]=mention")
        .await;
    assert_eq!(bob_notes.as_array().unwrap().len(), 2, "{bob_notes}");
    assert_eq!(bob_notes[0]["status"]["account"]["acct"], "alice");
    let (_, none) = f
        .get(Some(&bob), "/api/v1/notifications?exclude_types[]=mention")
        .await;
    assert!(none.as_array().unwrap().is_empty());
    let note_id = bob_notes[0]["id"].as_str().unwrap();
    let (code, _) = f
        .get(Some(&bob), &format!("/api/v1/notifications/{note_id}"))
        .await;
    assert_eq!(code, 200);
    let (code, _) = f
        .get(Some(&alice), &format!("/api/v1/notifications/{note_id}"))
        .await;
    assert_eq!(code, 404, "nobody reads another's notifications");
    f.post(
        &bob,
        &format!("/api/v1/notifications/{note_id}/dismiss"),
        json!({}),
    )
    .await;
    let (_, left) = f.get(Some(&bob), "/api/v1/notifications").await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    f.post(&bob, "/api/v1/notifications/clear", json!({})).await;
    let (_, left) = f.get(Some(&bob), "/api/v1/notifications").await;
    assert!(left.as_array().unwrap().is_empty());

    // Bookmarks and pins.
    f.post(&bob, &format!("/api/v1/statuses/{id}/bookmark"), json!({}))
        .await;
    let (_, marks) = f.get(Some(&bob), "/api/v1/bookmarks").await;
    assert_eq!(ids(&marks), vec![id.clone()]);
    assert_eq!(marks[0]["bookmarked"], true);
    let (_, pinned) = f
        .post(&alice, &format!("/api/v1/statuses/{id}/pin"), json!({}))
        .await;
    assert_eq!(pinned["pinned"], true);
    let (_, pins) = f
        .get(
            None,
            &format!("/api/v1/accounts/{}/statuses?pinned=true", alice.id),
        )
        .await;
    assert_eq!(ids(&pins), vec![id.clone()]);
    let (code, _) = f
        .post(&bob, &format!("/api/v1/statuses/{id}/pin"), json!({}))
        .await;
    assert_eq!(code, 422, "only your own posts can be pinned");

    // Delete returns the source for "delete and redraft"; boosts go with it.
    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let deleted: Value = resp.json().await.unwrap();
    assert_eq!(deleted["text"], "Edited #Launch");
    let (code, _) = f.get(Some(&alice), &format!("/api/v1/statuses/{id}")).await;
    assert_eq!(code, 404);
    let (_, bobs) = f
        .get(Some(&bob), &format!("/api/v1/accounts/{}/statuses", bob.id))
        .await;
    assert!(
        ids(&bobs).is_empty(),
        "the boost went with the post: {bobs}"
    );
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["statuses_count"], 1);
    f.stop().await;
}

async fn follow_requests_and_profiles(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;

    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice.token)
        .form(&[
            ("display_name", "Alice L."),
            ("note", "Platform team. Ask me about #Rust"),
            ("locked", "true"),
            ("fields_attributes[0][name]", "Team"),
            ("fields_attributes[0][value]", "Platform"),
            ("source[privacy]", "private"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["display_name"], "Alice L.");
    assert_eq!(me["locked"], true);
    assert_eq!(me["source"]["note"], "Platform team. Ask me about #Rust");
    assert!(
        me["note"]
            .as_str()
            .unwrap()
            .contains("class=\"mention hashtag\"")
    );
    assert_eq!(
        me["fields"],
        json!([{"name": "Team", "value": "Platform", "verified_at": null}])
    );
    assert_eq!(me["source"]["privacy"], "private");
    let (_, prefs) = f.get(Some(&alice), "/api/v1/preferences").await;
    assert_eq!(prefs["posting:default:visibility"], "private");
    // The default privacy applies when a client sends none.
    let (_, s) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "for my followers #Rust"}),
        )
        .await;
    assert_eq!(s["visibility"], "private");
    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice.token)
        .json(&json!({"display_name": "x".repeat(31)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);

    // A locked account gets follow requests.
    let (_, rel) = f
        .post(
            &bob,
            &format!("/api/v1/accounts/{}/follow", alice.id),
            json!({}),
        )
        .await;
    assert_eq!(
        (rel["following"].as_bool(), rel["requested"].as_bool()),
        (Some(false), Some(true))
    );
    let (_, notes) = f.get(Some(&alice), "/api/v1/notifications").await;
    assert_eq!(notes[0]["type"], "follow_request");
    let (_, requests) = f.get(Some(&alice), "/api/v1/follow_requests").await;
    assert_eq!(requests[0]["acct"], "bob");
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["source"]["follow_requests_count"], 1);
    let (code, _) = f
        .get(
            Some(&bob),
            &format!("/api/v1/statuses/{}", s["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(code, 404, "not a follower yet");
    let (_, rel) = f
        .post(
            &alice,
            &format!("/api/v1/follow_requests/{}/authorize", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(rel["followed_by"], true);
    let (code, _) = f
        .get(
            Some(&bob),
            &format!("/api/v1/statuses/{}", s["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(code, 200, "followers see followers-only posts");
    let (_, followers) = f
        .get(None, &format!("/api/v1/accounts/{}/followers", alice.id))
        .await;
    assert_eq!(followers[0]["acct"], "bob");
    let (_, following) = f
        .get(None, &format!("/api/v1/accounts/{}/following", bob.id))
        .await;
    assert_eq!(following[0]["acct"], "alice");
    let (_, acct) = f.get(None, &format!("/api/v1/accounts/{}", alice.id)).await;
    assert_eq!(acct["followers_count"], 1);

    // Lookup and search.
    let (_, found) = f.get(None, "/api/v1/accounts/lookup?acct=@alice").await;
    assert_eq!(found["id"], alice.id.as_str());
    let domain = f.base.trim_start_matches("http://");
    let (_, found) = f
        .get(
            None,
            &format!("/api/v1/accounts/lookup?acct=alice@{domain}"),
        )
        .await;
    assert_eq!(found["id"], alice.id.as_str());
    let (_, found) = f.get(Some(&bob), "/api/v1/accounts/search?q=ali").await;
    assert_eq!(ids(&found), vec![alice.id.clone()]);
    let (_, found) = f.get(Some(&bob), "/api/v2/search?q=alice%20l").await;
    assert_eq!(
        ids(&found["accounts"]),
        vec![alice.id.clone()],
        "display names match too"
    );
    let (_, found) = f
        .get(Some(&bob), "/api/v2/search?q=%23ru&type=hashtags")
        .await;
    assert_eq!(found["hashtags"][0]["name"], "rust");

    // Unfollow ends it.
    let (_, rel) = f
        .post(
            &bob,
            &format!("/api/v1/accounts/{}/unfollow", alice.id),
            json!({}),
        )
        .await;
    assert_eq!(rel["following"], false);
    let (_, acct) = f.get(None, &format!("/api/v1/accounts/{}", alice.id)).await;
    assert_eq!(acct["followers_count"], 0);
    f.stop().await;
}

on_both_backends!(
    timelines_page_with_link_headers,
    posting_editing_and_deleting,
    follow_requests_and_profiles
);

async fn polls(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;

    // Forms send polls as poll[options][]=…, as Mastodon.py and Tusky do.
    let resp = f
        .client
        .post(f.url("/api/v1/statuses"))
        .bearer_auth(&alice.token)
        .form(&[
            ("status", "Lunch?"),
            ("poll[options][]", "Pizza"),
            ("poll[options][]", "Salad"),
            ("poll[options][]", "Soup"),
            ("poll[expires_in]", "3600"),
            ("poll[hide_totals]", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let status: Value = resp.json().await.unwrap();
    let poll = &status["poll"];
    assert_eq!(poll["options"].as_array().unwrap().len(), 3);
    assert_eq!(poll["options"][1]["title"], "Salad");
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["expired"], false);
    let poll_id = poll["id"].as_str().unwrap().to_string();

    let (code, voted) = f
        .post(
            &bob,
            &format!("/api/v1/polls/{poll_id}/votes"),
            json!({"choices": ["1"]}),
        )
        .await;
    assert_eq!(code, 200, "{voted}");
    assert_eq!(
        (voted["voted"].as_bool(), voted["own_votes"].clone()),
        (Some(true), json!([1]))
    );
    assert_eq!(voted["votes_count"], 1);
    assert_eq!(
        voted["options"][1]["votes_count"],
        Value::Null,
        "totals hidden until the end"
    );
    let (_, seen_by_author) = f
        .get(Some(&alice), &format!("/api/v1/polls/{poll_id}"))
        .await;
    assert_eq!(
        seen_by_author["options"][1]["votes_count"], 1,
        "the author sees the totals"
    );

    for (who, body, needle) in [
        (&bob, json!({"choices": [0]}), "already voted"),
        (&alice, json!({"choices": [0]}), "your own poll"),
        (&carol, json!({"choices": [7]}), "choices must name options"),
        (&carol, json!({"choices": [0, 1]}), "only one choice"),
    ] {
        let (code, err) = f
            .post(who, &format!("/api/v1/polls/{poll_id}/votes"), body)
            .await;
        assert_eq!(code, 422, "{err}");
        assert!(err["error"].as_str().unwrap().contains(needle), "{err}");
    }
    let (code, _) = f.get(None, "/api/v1/polls/12345").await;
    assert_eq!(code, 404);

    // When it ends, voters and the author are told, and nobody can vote any more.
    {
        use diesel::prelude::*;
        use groundswell::db::schema::polls;
        let mut conn = f.db.connect();
        diesel::update(polls::table)
            .set(
                polls::expires_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::seconds(1)),
            )
            .execute(&mut conn)
            .unwrap();
    }
    let announced = f
        .ctx
        .db
        .write(groundswell::service::polls::notify_ended)
        .await
        .unwrap();
    assert_eq!(announced, 1);
    assert_eq!(
        f.ctx
            .db
            .write(groundswell::service::polls::notify_ended)
            .await
            .unwrap(),
        0,
        "only once"
    );
    let (_, bob_notes) = f
        .get(Some(&bob), "/api/v1/notifications?types[]=poll")
        .await;
    assert_eq!(bob_notes[0]["status"]["id"], status["id"]);
    let (_, alice_notes) = f
        .get(Some(&alice), "/api/v1/notifications?types[]=poll")
        .await;
    assert_eq!(alice_notes.as_array().unwrap().len(), 1);
    let (_, ended) = f
        .get(Some(&carol), &format!("/api/v1/polls/{poll_id}"))
        .await;
    assert_eq!(ended["expired"], true);
    assert_eq!(
        ended["options"][1]["votes_count"], 1,
        "totals shown once it ended"
    );
    let (code, _) = f
        .post(
            &carol,
            &format!("/api/v1/polls/{poll_id}/votes"),
            json!({"choices": [0]}),
        )
        .await;
    assert_eq!(code, 422);
    f.stop().await;
}

on_both_backends!(polls);
