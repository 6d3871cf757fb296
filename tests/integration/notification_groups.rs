//! Grouped notifications (`/api/v2/notifications`) and the notification policy with its
//! requests, as Mastodon 4.3 apps use them.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;
use crate::policy::staff;
use crate::snapshots::normalise;
use groundswell::service::users::Role;

fn groups(body: &Value) -> &Vec<Value> {
    body["notification_groups"]
        .as_array()
        .unwrap_or_else(|| panic!("groups: {body}"))
}

fn group_of<'a>(body: &'a Value, kind: &str, status: Option<&str>) -> &'a Value {
    groups(body)
        .iter()
        .find(|g| g["type"] == kind && status.is_none_or(|s| g["status_id"] == s))
        .unwrap_or_else(|| panic!("no {kind} group in {body}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("a list: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn listed_ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key}: {list}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

async fn get_with_link(f: &Fixture, user: &TestUser, path: &str) -> (Value, String) {
    let resp = f
        .client
        .get(f.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    let link = resp
        .headers()
        .get("link")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (resp.json().await.unwrap(), link)
}

/// Favourites and boosts of one post, and follows, are one group each with a count, the
/// newest senders and the post; other notifications are each their own group; every post
/// and account of the page is listed once; groups page with Link headers, are read, listed
/// by sender and dismissed by key; the unread count counts groups.
async fn favourites_boosts_and_follows_are_grouped(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let (bob, carol, dan, eve) = (
        f.user("bob").await,
        f.user("carol").await,
        f.user("dan").await,
        f.user("eve").await,
    );
    let first = f.status(&alice, json!({"status": "Launch notes"})).await;
    let second = f.status(&alice, json!({"status": "Lunch?"})).await;
    for who in [&bob, &carol, &dan] {
        let (code, _) = f
            .post(
                who,
                &format!("/api/v1/statuses/{first}/favourite"),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
    }
    f.post(&bob, &format!("/api/v1/statuses/{first}/reblog"), json!({}))
        .await;
    for who in [&carol, &dan] {
        let (code, _) = f
            .post(
                who,
                &format!("/api/v1/accounts/{}/follow", alice.id),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
    }
    let mention = f.status(&eve, json!({"status": "@alice see this"})).await;
    f.post(
        &bob,
        &format!("/api/v1/statuses/{second}/favourite"),
        json!({}),
    )
    .await;

    let (code, body) = f.get(Some(&alice), "/api/v2/notifications").await;
    assert_eq!(code, 200, "{body}");
    // Newest group first: bob's favourite of the second post, the mention, the follows,
    // the boost, the favourites of the first post.
    let kinds: Vec<&str> = groups(&body)
        .iter()
        .map(|g| g["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["favourite", "mention", "follow", "reblog", "favourite"],
        "{body}"
    );
    let favourites = group_of(&body, "favourite", Some(&first));
    assert_eq!(favourites["notifications_count"], 3);
    assert_eq!(
        strings(&favourites["sample_account_ids"]),
        [dan.id.clone(), carol.id.clone(), bob.id.clone()],
        "newest senders first"
    );
    let key = favourites["group_key"].as_str().unwrap().to_string();
    assert!(key.starts_with(&format!("favourite-{first}-")), "{key}");
    for field in ["page_min_id", "page_max_id", "latest_page_notification_at"] {
        assert!(favourites[field].is_string(), "{field}: {favourites}");
    }
    assert_eq!(
        favourites["page_max_id"], favourites["most_recent_notification_id"],
        "{favourites}"
    );
    let follows = group_of(&body, "follow", None);
    assert_eq!(follows["notifications_count"], 2);
    assert!(follows.get("status_id").is_none(), "{follows}");
    let mentioned = group_of(&body, "mention", None);
    assert_eq!(mentioned["notifications_count"], 1);
    assert_eq!(mentioned["status_id"], mention.as_str());
    assert!(
        mentioned["group_key"]
            .as_str()
            .unwrap()
            .starts_with("ungrouped-"),
        "{mentioned}"
    );
    // Each post and account once: the first post (favourited and boosted), the second, the
    // mention; the senders and the posts' authors.
    let mut statuses = listed_ids(&body, "statuses");
    statuses.sort();
    let mut expected = vec![first.clone(), second.clone(), mention.clone()];
    expected.sort();
    assert_eq!(statuses, expected);
    let mut accounts = listed_ids(&body, "accounts");
    accounts.sort();
    let mut everyone: Vec<String> = [&alice, &bob, &carol, &dan, &eve]
        .iter()
        .map(|u| u.id.clone())
        .collect();
    everyone.sort();
    assert_eq!(accounts, everyone);
    assert!(body.get("partial_accounts").is_none());
    insta::assert_json_snapshot!("grouped_notifications", normalise(&body, &f.base));

    // v1 shows the same group keys.
    let (_, v1) = f.get(Some(&alice), "/api/v1/notifications").await;
    let v1_keys: Vec<&str> = v1
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["group_key"].as_str().unwrap())
        .collect();
    assert_eq!(v1_keys.iter().filter(|k| **k == key).count(), 3, "{v1}");

    // Only follows grouped: each favourite is its own group.
    let (_, only_follows) = f
        .get(Some(&alice), "/api/v2/notifications?grouped_types[]=follow")
        .await;
    assert_eq!(groups(&only_follows).len(), 7, "{only_follows}");

    // Paging: two groups a page, following the Link header to the end.
    let (page, link) = get_with_link(&f, &alice, "/api/v2/notifications?limit=2").await;
    assert_eq!(groups(&page).len(), 2);
    let next = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .and_then(|l| l.strip_prefix('<'))
        .and_then(|l| l.split('>').next())
        .unwrap()
        .to_string();
    assert!(next.contains("limit=2"), "{next}");
    let path = next.trim_start_matches(&f.base).to_string();
    let (rest, _) = get_with_link(&f, &alice, &path).await;
    let kinds: Vec<&str> = groups(&rest)
        .iter()
        .map(|g| g["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["follow", "reblog"], "{rest}");

    // Partial avatars: each group's newest sender in full, the others partial.
    let (_, partial) = f
        .get(
            Some(&alice),
            "/api/v2/notifications?expand_accounts=partial_avatars",
        )
        .await;
    let partials = partial["partial_accounts"].as_array().unwrap();
    assert!(
        partials
            .iter()
            .all(|a| a.get("avatar").is_some() && a.get("note").is_none()),
        "{partial}"
    );
    let (code, err) = f
        .get(Some(&alice), "/api/v2/notifications?expand_accounts=all")
        .await;
    assert_eq!(code, 400);
    assert!(err["error"].as_str().unwrap().contains("expand_accounts"));

    // One group by key, and who is behind it.
    let (code, one) = f
        .get(Some(&alice), &format!("/api/v2/notifications/{key}"))
        .await;
    assert_eq!(code, 200, "{one}");
    let group = &groups(&one)[0];
    assert_eq!(group["notifications_count"], 3);
    assert!(group.get("page_min_id").is_none(), "{group}");
    let (_, senders) = f
        .get(
            Some(&alice),
            &format!("/api/v2/notifications/{key}/accounts"),
        )
        .await;
    let senders: Vec<String> = senders
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(senders, [dan.id.clone(), carol.id.clone(), bob.id.clone()]);
    assert_eq!(
        f.get(Some(&bob), &format!("/api/v2/notifications/{key}"))
            .await
            .0,
        404,
        "another employee's group"
    );

    // Unread: five groups, then none past the newest.
    let (_, unread) = f
        .get(Some(&alice), "/api/v2/notifications/unread_count")
        .await;
    assert_eq!(unread, json!({"count": 5}));
    let newest = groups(&body)[0]["most_recent_notification_id"].clone();
    f.post(
        &alice,
        "/api/v1/markers",
        json!({"notifications": {"last_read_id": newest}}),
    )
    .await;
    let (_, unread) = f
        .get(Some(&alice), "/api/v2/notifications/unread_count")
        .await;
    assert_eq!(unread["count"], 0);

    // Dismissing a group removes all of it.
    let (code, _) = f
        .post(
            &alice,
            &format!("/api/v2/notifications/{key}/dismiss"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (_, after) = f.get(Some(&alice), "/api/v2/notifications").await;
    assert_eq!(groups(&after).len(), 4);
    let (_, v1) = f.get(Some(&alice), "/api/v1/notifications").await;
    assert_eq!(v1.as_array().unwrap().len(), 5);
    assert_eq!(
        f.post(
            &alice,
            &format!("/api/v2/notifications/{key}/dismiss"),
            json!({})
        )
        .await
        .0,
        404
    );

    // Scopes.
    let reader = f.user_with_scopes("frank", "read:statuses").await;
    assert_eq!(f.get(Some(&reader), "/api/v2/notifications").await.0, 403);
    assert_eq!(f.get(None, "/api/v2/notifications").await.0, 401);
    f.stop().await;
}

on_both_backends!(favourites_boosts_and_follows_are_grouped);

/// An employee who filters notifications from people they do not follow finds them among
/// notification requests instead; accepting lets that person through from then on,
/// dismissing deletes them; `drop` keeps nothing; limited accounts are filtered by default.
async fn the_notification_policy_filters_into_requests(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let (bob, carol, dan, eve) = (
        f.user("bob").await,
        f.user("carol").await,
        f.user("dan").await,
        f.user("eve").await,
    );
    let (code, policy) = f.get(Some(&alice), "/api/v2/notifications/policy").await;
    assert_eq!(code, 200, "{policy}");
    assert_eq!(policy["for_not_following"], "accept");
    assert_eq!(policy["for_private_mentions"], "accept");
    assert_eq!(policy["for_limited_accounts"], "filter");

    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/follow", carol.id),
        json!({}),
    )
    .await;
    let resp = f
        .client
        .patch(f.url("/api/v2/notifications/policy"))
        .bearer_auth(&alice.token)
        .json(&json!({"for_not_following": "filter"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let policy: Value = resp.json().await.unwrap();
    assert_eq!(policy["for_not_following"], "filter");
    let resp = f
        .client
        .patch(f.url("/api/v2/notifications/policy"))
        .bearer_auth(&alice.token)
        .json(&json!({"for_not_following": "maybe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    let err: Value = resp.json().await.unwrap();
    assert!(err["error"].as_str().unwrap().contains("for_not_following"));

    let from_bob = f.status(&bob, json!({"status": "@alice hello"})).await;
    f.status(&carol, json!({"status": "@alice hi from carol"}))
        .await;
    let (_, list) = f.get(Some(&alice), "/api/v1/notifications").await;
    let senders: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["account"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(senders, [carol.id.as_str()], "bob's mention is filtered");
    let (_, grouped) = f.get(Some(&alice), "/api/v2/notifications").await;
    assert_eq!(groups(&grouped).len(), 1);
    let (_, unread) = f
        .get(Some(&alice), "/api/v1/notifications/unread_count")
        .await;
    assert_eq!(unread["count"], 1);
    let (_, with_filtered) = f
        .get(Some(&alice), "/api/v1/notifications?include_filtered=true")
        .await;
    assert_eq!(with_filtered.as_array().unwrap().len(), 2);

    let (_, policy) = f.get(Some(&alice), "/api/v2/notifications/policy").await;
    assert_eq!(
        policy["summary"],
        json!({"pending_requests_count": 1, "pending_notifications_count": 1})
    );
    let (_, v1) = f.get(Some(&alice), "/api/v1/notifications/policy").await;
    assert_eq!(v1["filter_not_following"], true);
    assert_eq!(v1["filter_new_accounts"], false);

    let (code, requests) = f.get(Some(&alice), "/api/v1/notifications/requests").await;
    assert_eq!(code, 200, "{requests}");
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request["account"]["id"], bob.id.as_str());
    assert_eq!(request["notifications_count"], "1");
    assert_eq!(request["last_status"]["id"], from_bob.as_str());
    let request_id = request["id"].as_str().unwrap().to_string();
    let (code, one) = f
        .get(
            Some(&alice),
            &format!("/api/v1/notifications/requests/{request_id}"),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(one["id"], request_id.as_str());
    assert_eq!(
        f.get(
            Some(&bob),
            &format!("/api/v1/notifications/requests/{request_id}")
        )
        .await
        .0,
        404,
        "someone else's request"
    );
    let snap = |name: &str, v: &Value| {
        let normalised = normalise(v, &f.base);
        insta::assert_json_snapshot!(name, normalised);
    };
    snap("notification_request", &one);

    // Accepted: bob's notification joins the others and the next one comes straight in.
    let (code, _) = f
        .post(
            &alice,
            &format!("/api/v1/notifications/requests/{request_id}/accept"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    f.status(&bob, json!({"status": "@alice again"})).await;
    let (_, list) = f.get(Some(&alice), "/api/v1/notifications").await;
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    let (_, requests) = f.get(Some(&alice), "/api/v1/notifications/requests").await;
    assert_eq!(requests, json!([]));

    // Dismissed: dan's filtered notifications are deleted; his next one is filtered again.
    f.status(&dan, json!({"status": "@alice from dan"})).await;
    f.status(&eve, json!({"status": "@alice from eve"})).await;
    let (_, requests) = f.get(Some(&alice), "/api/v1/notifications/requests").await;
    let by: std::collections::HashMap<String, String> = requests
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["account"]["username"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(by.len(), 2, "{requests}");
    let (code, _) = f
        .post(
            &alice,
            "/api/v1/notifications/requests/dismiss",
            json!({"id": [by["dan"], by["eve"]]}),
        )
        .await;
    assert_eq!(code, 200);
    let (_, with_filtered) = f
        .get(Some(&alice), "/api/v1/notifications?include_filtered=true")
        .await;
    assert_eq!(with_filtered.as_array().unwrap().len(), 3);
    f.status(&dan, json!({"status": "@alice still me"})).await;
    let (_, requests) = f.get(Some(&alice), "/api/v1/notifications/requests").await;
    assert_eq!(requests.as_array().unwrap().len(), 1);

    // Drop: nothing is kept, not even a request.
    let resp = f
        .client
        .patch(f.url("/api/v2/notifications/policy"))
        .bearer_auth(&alice.token)
        .json(&json!({"for_not_following": "drop"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    f.status(&eve, json!({"status": "@alice dropped"})).await;
    let (_, with_filtered) = f
        .get(Some(&alice), "/api/v1/notifications?include_filtered=true")
        .await;
    assert_eq!(
        with_filtered.as_array().unwrap().len(),
        4,
        "{with_filtered}"
    );
    let (_, requests) = f.get(Some(&alice), "/api/v1/notifications/requests").await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "only dan's");

    // A moderator's direct word always comes through; a limited account's is filtered.
    let moderator = staff(&f, "mod", Role::Moderator).await;
    f.status(
        &moderator,
        json!({"status": "@alice a word", "visibility": "direct"}),
    )
    .await;
    let (_, list) = f.get(Some(&alice), "/api/v1/notifications").await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|n| n["account"]["id"] == moderator.id.as_str()),
        "{list}"
    );

    // Bob (accepted) is a colleague alice allowed; carol is followed; a policy for someone
    // else's account is not changed by alice.
    let (_, bobs) = f.get(Some(&bob), "/api/v2/notifications/policy").await;
    assert_eq!(bobs["for_not_following"], "accept");
    let reader = f.user_with_scopes("frank", "read:statuses").await;
    assert_eq!(
        f.get(Some(&reader), "/api/v1/notifications/requests")
            .await
            .0,
        403
    );
    f.stop().await;
}

on_both_backends!(the_notification_policy_filters_into_requests);

/// A moderator limits an account: what it sends to someone who does not follow it waits
/// among requests (Mastodon's default for limited accounts).
async fn limited_accounts_are_filtered_by_default(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let (code, body) = f
        .post(
            &moderator,
            &format!("/api/v1/admin/accounts/{}/action", bob.id),
            json!({"type": "silence"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    f.status(&bob, json!({"status": "@alice buy my stuff"}))
        .await;
    let (_, list) = f.get(Some(&alice), "/api/v1/notifications").await;
    assert_eq!(list, json!([]));
    let (_, requests) = f.get(Some(&alice), "/api/v1/notifications/requests").await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    let (_, policy) = f.get(Some(&alice), "/api/v2/notifications/policy").await;
    let snap = |name: &str, v: &Value| {
        let normalised = normalise(v, &f.base);
        insta::assert_json_snapshot!(name, normalised);
    };
    snap("notification_policy", &policy);
    f.stop().await;
}

on_both_backends!(limited_accounts_are_filtered_by_default);
