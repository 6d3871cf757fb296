//! Markers, lists, filters, followed hashtags, the profile directory, reports and direct
//! conversations, as a Mastodon app uses them.

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

async fn put(f: &Fixture, user: &TestUser, path: &str, body: Value) -> (u16, Value) {
    reply(
        f.client
            .put(f.url(path))
            .bearer_auth(&user.token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn delete(f: &Fixture, user: &TestUser, path: &str, body: Value) -> (u16, Value) {
    reply(
        f.client
            .delete(f.url(path))
            .bearer_auth(&user.token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// `<url>` of a rel in the Link header.
fn link(resp: &reqwest::Response, rel: &str) -> Option<String> {
    let header = resp.headers().get("link")?.to_str().ok()?.to_string();
    header.split(", ").find_map(|part| {
        let (url, r) = part.split_once("; ")?;
        (r == format!("rel=\"{rel}\"")).then(|| url.trim_matches(['<', '>']).to_string())
    })
}

async fn follow(f: &Fixture, who: &TestUser, whom: &TestUser) {
    let (code, rel) = f
        .post(
            who,
            &format!("/api/v1/accounts/{}/follow", whom.id),
            json!({}),
        )
        .await;
    assert_eq!((code, &rel["following"]), (200, &json!(true)), "{rel}");
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

async fn lists_group_followed_accounts_into_their_own_timeline(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let dave = f.user("dave").await;
    follow(&f, &alice, &bob).await;
    follow(&f, &alice, &carol).await;

    // Create (form and JSON) and validate.
    let (code, list) = post_form(&f, &alice, "/api/v1/lists", &[("title", "Platform team")]).await;
    assert_eq!(code, 200, "{list}");
    let list_id = list["id"].as_str().unwrap().to_string();
    assert_eq!(
        list,
        json!({"id": list_id, "title": "Platform team", "replies_policy": "list", "exclusive": false})
    );
    let (code, body) = f
        .post(&alice, "/api/v1/lists", json!({"title": "  "}))
        .await;
    assert_error(code, &body, 422, "Title can't be blank");
    let (code, body) = f.post(&alice, "/api/v1/lists", json!({})).await;
    assert_error(code, &body, 422, "Title can't be blank");
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/lists",
            json!({"title": "x", "replies_policy": "some"}),
        )
        .await;
    assert_error(code, &body, 422, "'some' is not a valid replies_policy");
    let (_, all) = f.get(Some(&alice), "/api/v1/lists").await;
    assert_eq!(
        ids(&all),
        vec![list_id.clone()],
        "failed creations left nothing"
    );
    let (code, one) = f
        .get(Some(&alice), &format!("/api/v1/lists/{list_id}"))
        .await;
    assert_eq!((code, &one), (200, &list));

    // Members: only accounts alice follows, once each.
    let accounts_path = format!("/api/v1/lists/{list_id}/accounts");
    let (code, body) = post_form(&f, &alice, &accounts_path, &[("account_ids[]", &bob.id)]).await;
    assert_eq!((code, body), (200, json!({})));
    let (code, body) = f
        .post(&alice, &accounts_path, json!({"account_ids": [dave.id]}))
        .await;
    assert_error(code, &body, 404, "Record not found");
    let (code, body) = f
        .post(&alice, &accounts_path, json!({"account_ids": [bob.id]}))
        .await;
    assert_error(code, &body, 422, "Account has already been taken");
    let (code, body) = f
        .post(&alice, &accounts_path, json!({"account_ids": ["999"]}))
        .await;
    assert_error(code, &body, 404, "Record not found");
    let (code, body) = f.post(&alice, &accounts_path, json!({})).await;
    assert_error(code, &body, 422, "account_ids");
    let (_, members) = f.get(Some(&alice), &accounts_path).await;
    assert_eq!(ids(&members), vec![bob.id.clone()]);
    assert_eq!(members[0]["acct"], "bob");
    let (_, bobs_lists) = f
        .get(Some(&alice), &format!("/api/v1/accounts/{}/lists", bob.id))
        .await;
    assert_eq!(ids(&bobs_lists), vec![list_id.clone()]);
    let (_, carols_lists) = f
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/{}/lists", carol.id),
        )
        .await;
    assert!(ids(&carols_lists).is_empty());
    let (code, _) = f.get(Some(&alice), "/api/v1/accounts/999/lists").await;
    assert_eq!(code, 404);

    // What the list timeline shows.
    let carols = f.status(&carol, json!({"status": "carol here"})).await;
    let daves = f.status(&dave, json!({"status": "dave here"})).await;
    let alices = f.status(&alice, json!({"status": "alice here"})).await;
    let public = f.status(&bob, json!({"status": "bob: hello"})).await;
    let private = f
        .status(
            &bob,
            json!({"status": "bob: followers only", "visibility": "private"}),
        )
        .await;
    let _direct = f
        .status(
            &bob,
            json!({"status": "@alice just you", "visibility": "direct"}),
        )
        .await;
    let to_carol = f
        .status(
            &bob,
            json!({"status": "@carol replying", "in_reply_to_id": carols}),
        )
        .await;
    let to_dave = f
        .status(
            &bob,
            json!({"status": "@dave replying", "in_reply_to_id": daves}),
        )
        .await;
    let thread = f
        .status(
            &bob,
            json!({"status": "bob: more", "in_reply_to_id": public}),
        )
        .await;
    let to_alice = f
        .status(
            &bob,
            json!({"status": "@alice replying", "in_reply_to_id": alices}),
        )
        .await;
    let timeline_path = format!("/api/v1/timelines/list/{list_id}");
    let (code, timeline) = f.get(Some(&alice), &timeline_path).await;
    assert_eq!(code, 200, "{timeline}");
    assert_eq!(
        ids(&timeline),
        vec![
            to_alice.clone(),
            thread.clone(),
            private.clone(),
            public.clone()
        ],
        "replies to non-members, direct messages and non-members' posts stay out"
    );
    let (_, changed) = put(
        &f,
        &alice,
        &format!("/api/v1/lists/{list_id}"),
        json!({"replies_policy": "followed"}),
    )
    .await;
    assert_eq!(changed["replies_policy"], "followed");
    assert_eq!(changed["title"], "Platform team", "unchanged fields stay");
    let (_, timeline) = f.get(Some(&alice), &timeline_path).await;
    assert_eq!(
        ids(&timeline),
        vec![
            to_alice.clone(),
            thread.clone(),
            to_carol.clone(),
            private.clone(),
            public.clone()
        ],
        "replies to people alice follows show; to dave, whom she does not follow, not"
    );
    let (_, changed) = put(
        &f,
        &alice,
        &format!("/api/v1/lists/{list_id}"),
        json!({"replies_policy": "none"}),
    )
    .await;
    assert_eq!(changed["replies_policy"], "none");
    let (_, timeline) = f.get(Some(&alice), &timeline_path).await;
    assert_eq!(
        ids(&timeline),
        vec![
            to_alice.clone(),
            thread.clone(),
            private.clone(),
            public.clone()
        ]
    );
    assert!(!ids(&timeline).contains(&to_dave));
    let (code, body) = put(
        &f,
        &alice,
        &format!("/api/v1/lists/{list_id}"),
        json!({"replies_policy": "all"}),
    )
    .await;
    assert_error(code, &body, 422, "not a valid replies_policy");
    let (code, body) = put(
        &f,
        &alice,
        &format!("/api/v1/lists/{list_id}"),
        json!({"title": ""}),
    )
    .await;
    assert_error(code, &body, 422, "Title can't be blank");

    // Link-header pagination, as on the other timelines.
    let resp = f
        .client
        .get(f.url(&format!("{timeline_path}?limit=2")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let next = link(&resp, "next").expect("a next link");
    let page: Value = resp.json().await.unwrap();
    assert_eq!(ids(&page), vec![to_alice.clone(), thread.clone()]);
    assert!(next.contains(&format!("max_id={thread}")), "{next}");
    let resp = f
        .client
        .get(&next)
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let page: Value = resp.json().await.unwrap();
    assert_eq!(ids(&page), vec![private.clone(), public.clone()]);

    // Exclusive lists take their members out of home.
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(ids(&home).contains(&public));
    let (_, changed) = put(
        &f,
        &alice,
        &format!("/api/v1/lists/{list_id}"),
        json!({"exclusive": true}),
    )
    .await;
    assert_eq!(changed["exclusive"], true);
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(
        !ids(&home).contains(&public) && !ids(&home).contains(&private),
        "{home}"
    );
    assert!(ids(&home).contains(&carols) && ids(&home).contains(&alices));

    // Another employee's list does not exist for them.
    let (_, none) = f.get(Some(&bob), "/api/v1/lists").await;
    assert!(ids(&none).is_empty());
    for path in [
        format!("/api/v1/lists/{list_id}"),
        timeline_path.clone(),
        accounts_path.clone(),
    ] {
        let (code, body) = f.get(Some(&bob), &path).await;
        assert_error(code, &body, 404, "Record not found");
    }
    let (code, body) = put(
        &f,
        &bob,
        &format!("/api/v1/lists/{list_id}"),
        json!({"title": "mine"}),
    )
    .await;
    assert_error(code, &body, 404, "Record not found");
    let (code, body) = f
        .post(&bob, &accounts_path, json!({"account_ids": [alice.id]}))
        .await;
    assert_error(code, &body, 404, "Record not found");
    let (code, body) = delete(&f, &bob, &accounts_path, json!({"account_ids": [bob.id]})).await;
    assert_error(code, &body, 404, "Record not found");
    let (code, body) = delete(&f, &bob, &format!("/api/v1/lists/{list_id}"), json!({})).await;
    assert_error(code, &body, 404, "Record not found");
    let (_, bobs_view) = f
        .get(Some(&bob), &format!("/api/v1/accounts/{}/lists", bob.id))
        .await;
    assert!(ids(&bobs_view).is_empty());

    // Removing members, and unfollowing, take them out.
    follow(&f, &alice, &dave).await;
    f.post(
        &alice,
        &accounts_path,
        json!({"account_ids": [carol.id, dave.id]}),
    )
    .await;
    let (_, members) = f
        .get(Some(&alice), &format!("{accounts_path}?limit=0"))
        .await;
    assert_eq!(members.as_array().unwrap().len(), 3, "{members}");
    let (code, _) = delete(
        &f,
        &alice,
        &accounts_path,
        json!({"account_ids": [dave.id, "999"]}),
    )
    .await;
    assert_eq!(code, 200);
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/unfollow", bob.id),
        json!({}),
    )
    .await;
    let (_, members) = f.get(Some(&alice), &accounts_path).await;
    assert_eq!(ids(&members), vec![carol.id.clone()]);
    let (_, timeline) = f.get(Some(&alice), &timeline_path).await;
    assert_eq!(
        ids(&timeline),
        vec![carols.clone()],
        "bob's posts left with him"
    );

    // Scopes.
    let reader = f.user_with_scopes("rita", "read").await;
    let lister = f.user_with_scopes("liz", "write:lists").await;
    let (code, body) = f
        .post(&reader, "/api/v1/lists", json!({"title": "x"}))
        .await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let (code, body) = f.get(Some(&lister), "/api/v1/lists").await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let statuses_only = f.user_with_scopes("sam", "read:statuses").await;
    let (code, body) = f.get(Some(&statuses_only), &timeline_path).await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let (code, _) = f
        .post(&lister, "/api/v1/lists", json!({"title": "x"}))
        .await;
    assert_eq!(code, 200);

    // Delete.
    let (code, body) = delete(&f, &alice, &format!("/api/v1/lists/{list_id}"), json!({})).await;
    assert_eq!((code, body), (200, json!({})));
    let (code, _) = f
        .get(Some(&alice), &format!("/api/v1/lists/{list_id}"))
        .await;
    assert_eq!(code, 404);
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(
        ids(&home).contains(&carols),
        "no longer exclusive once deleted"
    );
    f.stop().await;
}

on_both_backends!(
    markers_remember_positions_per_employee,
    lists_group_followed_accounts_into_their_own_timeline,
);
