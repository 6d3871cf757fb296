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

    // At most 50 lists each.
    for i in 1..50 {
        let (code, body) = f
            .post(
                &lister,
                "/api/v1/lists",
                json!({"title": format!("list {i}")}),
            )
            .await;
        assert_eq!(code, 200, "{body}");
    }
    let (code, body) = f
        .post(&lister, "/api/v1/lists", json!({"title": "one too many"}))
        .await;
    assert_error(code, &body, 422, "maximum of 50 lists");
    let (code, _) = f
        .post(&alice, "/api/v1/lists", json!({"title": "alice has room"}))
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

async fn filters_are_managed_per_employee(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;

    // Create with a form, as apps send it: two keywords in one filter.
    let (code, filter) = post_form(
        &f,
        &alice,
        "/api/v2/filters",
        &[
            ("title", "No crypto"),
            ("context[]", "home"),
            ("context[]", "public"),
            ("filter_action", "hide"),
            ("keywords_attributes[][keyword]", "crypto"),
            ("keywords_attributes[][whole_word]", "false"),
            ("keywords_attributes[][keyword]", "NFT"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{filter}");
    let filter_id = filter["id"].as_str().unwrap().to_string();
    assert_eq!(filter["title"], "No crypto");
    assert_eq!(filter["context"], json!(["home", "public"]));
    assert_eq!(filter["filter_action"], "hide");
    assert_eq!(filter["expires_at"], Value::Null);
    assert_eq!(filter["statuses"], json!([]));
    let keywords = filter["keywords"].as_array().unwrap();
    assert_eq!(
        keywords
            .iter()
            .map(|k| (
                k["keyword"].as_str().unwrap(),
                k["whole_word"].as_bool().unwrap()
            ))
            .collect::<Vec<_>>(),
        vec![("crypto", false), ("NFT", true)],
        "whole_word defaults to true"
    );
    let crypto_kw = keywords[0]["id"].as_str().unwrap().to_string();
    let nft_kw = keywords[1]["id"].as_str().unwrap().to_string();

    // JSON, with an expiry; warn is the default action.
    let (code, warn) = f
        .post(
            &alice,
            "/api/v2/filters",
            json!({"title": "Launch", "context": ["thread"], "expires_in": 3600,
                   "keywords_attributes": [{"keyword": "launch", "whole_word": true}]}),
        )
        .await;
    assert_eq!(code, 200, "{warn}");
    assert_eq!(warn["filter_action"], "warn");
    assert!(
        warn["expires_at"].as_str().unwrap().ends_with('Z'),
        "{warn}"
    );
    let warn_id = warn["id"].as_str().unwrap().to_string();

    // Invalid filters are refused with Mastodon's messages, and nothing is created.
    let cases = [
        (json!({"context": ["home"]}), 422, "Title can't be blank"),
        (json!({"title": "x"}), 422, "Context can't be blank"),
        (
            json!({"title": "x", "context": []}),
            422,
            "Context can't be blank",
        ),
        (
            json!({"title": "x", "context": ["everywhere"]}),
            422,
            "invalid context supplied",
        ),
        (
            json!({"title": "x", "context": ["home"], "filter_action": "explode"}),
            422,
            "'explode' is not a valid filter_action",
        ),
        (
            json!({"title": "x", "context": ["home"], "expires_in": "soon"}),
            422,
            "expires_in",
        ),
        (
            json!({"title": "x", "context": ["home"], "expires_in": -5}),
            422,
            "Expires in",
        ),
        (
            json!({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]}),
            422,
            "Keyword can't be blank",
        ),
        (
            json!({"title": "x", "context": ["home"], "keywords_attributes": [{"id": crypto_kw, "keyword": "y"}]}),
            404,
            "Record not found",
        ),
    ];
    for (body, want, msg) in cases {
        let (code, err) = f.post(&alice, "/api/v2/filters", body.clone()).await;
        assert_error(code, &err, want, msg);
    }
    let (_, all) = f.get(Some(&alice), "/api/v2/filters").await;
    assert_eq!(ids(&all), vec![filter_id.clone(), warn_id.clone()]);
    let (code, one) = f
        .get(Some(&alice), &format!("/api/v2/filters/{filter_id}"))
        .await;
    assert_eq!((code, &one), (200, &filter));

    // Update: keep some fields, change keywords by id, remove one.
    let (code, updated) = put(
        &f,
        &alice,
        &format!("/api/v2/filters/{filter_id}"),
        json!({"title": "No coins", "keywords_attributes": [
            {"id": nft_kw, "_destroy": true},
            {"id": crypto_kw, "keyword": "bitcoin"},
            {"keyword": "token"},
        ]}),
    )
    .await;
    assert_eq!(code, 200, "{updated}");
    assert_eq!(updated["title"], "No coins");
    assert_eq!(updated["context"], json!(["home", "public"]), "unchanged");
    assert_eq!(updated["filter_action"], "hide", "unchanged");
    let words: Vec<&str> = updated["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["keyword"].as_str().unwrap())
        .collect();
    assert_eq!(words, vec!["bitcoin", "token"]);
    assert_eq!(
        updated["keywords"][0]["id"],
        crypto_kw.as_str(),
        "changed in place"
    );
    let (code, err) = put(
        &f,
        &alice,
        &format!("/api/v2/filters/{warn_id}"),
        json!({"keywords_attributes": [{"id": crypto_kw, "_destroy": true}]}),
    )
    .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = put(
        &f,
        &alice,
        &format!("/api/v2/filters/{warn_id}"),
        json!({"context": ["nowhere"]}),
    )
    .await;
    assert_error(code, &err, 422, "invalid context supplied");
    let (code, cleared) = put(
        &f,
        &alice,
        &format!("/api/v2/filters/{warn_id}"),
        json!({"expires_in": ""}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        cleared["expires_at"],
        Value::Null,
        "an empty expires_in clears the expiry"
    );

    // Keywords as their own resource.
    let (code, added) = post_form(
        &f,
        &alice,
        &format!("/api/v2/filters/{filter_id}/keywords"),
        &[("keyword", "moon"), ("whole_word", "false")],
    )
    .await;
    assert_eq!(code, 200, "{added}");
    assert_eq!(
        (added["keyword"].as_str(), added["whole_word"].as_bool()),
        (Some("moon"), Some(false))
    );
    let moon = added["id"].as_str().unwrap().to_string();
    let (code, err) = f
        .post(
            &alice,
            &format!("/api/v2/filters/{filter_id}/keywords"),
            json!({"keyword": ""}),
        )
        .await;
    assert_error(code, &err, 422, "Keyword can't be blank");
    let (_, list) = f
        .get(
            Some(&alice),
            &format!("/api/v2/filters/{filter_id}/keywords"),
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 3);
    let (code, one) = f
        .get(Some(&alice), &format!("/api/v2/filters/keywords/{moon}"))
        .await;
    assert_eq!((code, &one["keyword"]), (200, &json!("moon")));
    let (code, changed) = put(
        &f,
        &alice,
        &format!("/api/v2/filters/keywords/{moon}"),
        json!({"keyword": "lambo", "whole_word": true}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        (changed["keyword"].as_str(), changed["whole_word"].as_bool()),
        (Some("lambo"), Some(true))
    );
    let (code, body) = delete(
        &f,
        &alice,
        &format!("/api/v2/filters/keywords/{moon}"),
        json!({}),
    )
    .await;
    assert_eq!((code, body), (200, json!({})));
    let (code, _) = f
        .get(Some(&alice), &format!("/api/v2/filters/keywords/{moon}"))
        .await;
    assert_eq!(code, 404);

    // Another employee's filters, keywords and entries do not exist for them.
    let (_, none) = f.get(Some(&bob), "/api/v2/filters").await;
    assert_eq!(none, json!([]));
    for path in [
        format!("/api/v2/filters/{filter_id}"),
        format!("/api/v2/filters/{filter_id}/keywords"),
        format!("/api/v2/filters/{filter_id}/statuses"),
        format!("/api/v2/filters/keywords/{crypto_kw}"),
        format!("/api/v1/filters/{crypto_kw}"),
    ] {
        let (code, err) = f.get(Some(&bob), &path).await;
        assert_error(code, &err, 404, "Record not found");
    }
    let (code, err) = put(
        &f,
        &bob,
        &format!("/api/v2/filters/{filter_id}"),
        json!({"title": "mine"}),
    )
    .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = put(
        &f,
        &bob,
        &format!("/api/v2/filters/keywords/{crypto_kw}"),
        json!({"keyword": "x"}),
    )
    .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = f
        .post(
            &bob,
            &format!("/api/v2/filters/{filter_id}/keywords"),
            json!({"keyword": "x"}),
        )
        .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = delete(&f, &bob, &format!("/api/v2/filters/{filter_id}"), json!({})).await;
    assert_error(code, &err, 404, "Record not found");

    // Scopes: read:filters and write:filters.
    let reader = f.user_with_scopes("rita", "read").await;
    let writer = f.user_with_scopes("walt", "write:filters").await;
    let (code, err) = f
        .post(
            &reader,
            "/api/v2/filters",
            json!({"title": "x", "context": ["home"]}),
        )
        .await;
    assert_error(code, &err, 403, "outside the authorized scopes");
    let (code, err) = f
        .post(
            &reader,
            "/api/v1/filters",
            json!({"phrase": "x", "context": ["home"]}),
        )
        .await;
    assert_error(code, &err, 403, "outside the authorized scopes");
    let (code, err) = f.get(Some(&writer), "/api/v2/filters").await;
    assert_error(code, &err, 403, "outside the authorized scopes");
    let (code, err) = f.get(Some(&writer), "/api/v1/filters").await;
    assert_error(code, &err, 403, "outside the authorized scopes");
    let (code, _) = f
        .post(
            &writer,
            "/api/v2/filters",
            json!({"title": "x", "context": ["home"]}),
        )
        .await;
    assert_eq!(code, 200);

    // Delete.
    let (code, body) = delete(
        &f,
        &alice,
        &format!("/api/v2/filters/{filter_id}"),
        json!({}),
    )
    .await;
    assert_eq!((code, body), (200, json!({})));
    let (code, _) = f
        .get(Some(&alice), &format!("/api/v2/filters/{filter_id}"))
        .await;
    assert_eq!(code, 404);
    let (code, _) = f
        .get(
            Some(&alice),
            &format!("/api/v2/filters/keywords/{crypto_kw}"),
        )
        .await;
    assert_eq!(code, 404, "its keywords went with it");
    f.stop().await;
}

/// The `filtered` entries of a status, as (title, action, keyword_matches, status_matches).
fn filtered(status: &Value) -> Vec<(String, String, Value, Value)> {
    status["filtered"]
        .as_array()
        .unwrap_or_else(|| panic!("no filtered array: {status}"))
        .iter()
        .map(|r| {
            assert!(
                r["filter"].get("keywords").is_none(),
                "a FilterResult's filter has no rules: {r}"
            );
            (
                r["filter"]["title"].as_str().unwrap().to_string(),
                r["filter"]["filter_action"].as_str().unwrap().to_string(),
                r["keyword_matches"].clone(),
                r["status_matches"].clone(),
            )
        })
        .collect()
}

fn find<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array().unwrap().iter().find(|s| s["id"] == id)
}

async fn filters_warn_about_and_hide_statuses(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    follow(&f, &alice, &bob).await;
    follow(&f, &alice, &carol).await;

    let (_, hide) = f
        .post(
            &alice,
            "/api/v2/filters",
            json!({"title": "No crypto", "context": ["home", "public"], "filter_action": "hide",
                   "keywords_attributes": [{"keyword": "crypto", "whole_word": false}]}),
        )
        .await;
    let hide_id = hide["id"].as_str().unwrap().to_string();
    let (_, warn) = f
        .post(
            &alice,
            "/api/v2/filters",
            json!({"title": "Spoilers", "context": ["home", "thread"],
                   "keywords_attributes": [{"keyword": "launch", "whole_word": true}]}),
        )
        .await;
    let warn_id = warn["id"].as_str().unwrap().to_string();

    let crypto = f
        .status(&bob, json!({"status": "Cryptocurrency tips inside"}))
        .await;
    let launch = f
        .status(&bob, json!({"status": "The #Launch is today"}))
        .await;
    let launcher = f
        .status(&bob, json!({"status": "My new launcher app"}))
        .await;
    let warned_cw = f
        .status(
            &bob,
            json!({"status": "details", "spoiler_text": "launch plans"}),
        )
        .await;
    let plain = f.status(&bob, json!({"status": "Nothing special"})).await;
    let own = f
        .status(&alice, json!({"status": "my crypto launch"}))
        .await;
    let boost = f
        .post(
            &carol,
            &format!("/api/v1/statuses/{launch}/reblog"),
            json!({}),
        )
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Home: hide-matches are gone, warn-matches carry a FilterResult.
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(find(&home, &crypto).is_none(), "hidden in home: {home}");
    let spoilers = vec![(
        "Spoilers".to_string(),
        "warn".to_string(),
        json!(["launch"]),
        Value::Null,
    )];
    assert_eq!(filtered(find(&home, &launch).unwrap()), spoilers);
    assert_eq!(
        filtered(find(&home, &warned_cw).unwrap()),
        spoilers,
        "content warnings are matched too"
    );
    assert!(
        filtered(find(&home, &launcher).unwrap()).is_empty(),
        "whole word: launcher is not launch"
    );
    assert!(filtered(find(&home, &plain).unwrap()).is_empty());
    assert!(
        filtered(find(&home, &own).unwrap()).is_empty(),
        "one's own posts are never filtered"
    );
    let boosted = find(&home, &boost).expect("the boost is shown");
    assert_eq!(
        filtered(boosted),
        spoilers,
        "a boost is filtered by what it boosts"
    );
    assert_eq!(filtered(&boosted["reblog"]), spoilers);

    // Public timelines hide too; the account context is not in the hide filter, so there
    // the status comes with its FilterResult and the app decides.
    let (_, public) = f.get(Some(&alice), "/api/v1/timelines/public").await;
    assert!(find(&public, &crypto).is_none());
    assert!(find(&public, &plain).is_some());
    let (_, profile) = f
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/{}/statuses", bob.id),
        )
        .await;
    let shown = find(&profile, &crypto).expect("shown on the profile");
    assert_eq!(
        filtered(shown),
        vec![(
            "No crypto".to_string(),
            "hide".to_string(),
            json!(["crypto"]),
            Value::Null
        )]
    );
    let (code, single) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{crypto}"))
        .await;
    assert_eq!(code, 200);
    assert_eq!(filtered(&single).len(), 1);
    // Filters are the owner's alone.
    let (_, bobs_home) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert!(find(&bobs_home, &crypto).is_some());
    assert!(filtered(find(&bobs_home, &launch).unwrap()).is_empty());
    let (_, anon) = f.get(None, "/api/v1/timelines/public").await;
    assert!(filtered(find(&anon, &crypto).unwrap()).is_empty());

    // Status entries.
    let (code, entry) = post_form(
        &f,
        &alice,
        &format!("/api/v2/filters/{warn_id}/statuses"),
        &[("status_id", &plain)],
    )
    .await;
    assert_eq!(code, 200, "{entry}");
    assert_eq!(entry["status_id"], plain.as_str());
    let entry_id = entry["id"].as_str().unwrap().to_string();
    let (code, err) = f
        .post(
            &alice,
            &format!("/api/v2/filters/{warn_id}/statuses"),
            json!({"status_id": plain}),
        )
        .await;
    assert_error(code, &err, 422, "Status has already been taken");
    let (code, err) = f
        .post(
            &alice,
            &format!("/api/v2/filters/{warn_id}/statuses"),
            json!({"status_id": "999"}),
        )
        .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = f
        .post(
            &alice,
            &format!("/api/v2/filters/{warn_id}/statuses"),
            json!({}),
        )
        .await;
    assert_error(code, &err, 422, "Status can't be blank");
    let private = f
        .status(
            &carol,
            json!({"status": "@bob secret", "visibility": "direct"}),
        )
        .await;
    let (code, err) = f
        .post(
            &alice,
            &format!("/api/v2/filters/{warn_id}/statuses"),
            json!({"status_id": private}),
        )
        .await;
    assert_error(code, &err, 404, "Record not found");
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert_eq!(
        filtered(find(&home, &plain).unwrap()),
        vec![(
            "Spoilers".to_string(),
            "warn".to_string(),
            Value::Null,
            json!([plain])
        )]
    );
    let (_, entries) = f
        .get(Some(&alice), &format!("/api/v2/filters/{warn_id}/statuses"))
        .await;
    assert_eq!(ids(&entries), vec![entry_id.clone()]);
    let (code, one) = f
        .get(
            Some(&alice),
            &format!("/api/v2/filters/statuses/{entry_id}"),
        )
        .await;
    assert_eq!((code, &one["status_id"]), (200, &json!(plain)));
    let (code, err) = f
        .get(Some(&bob), &format!("/api/v2/filters/statuses/{entry_id}"))
        .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = delete(
        &f,
        &bob,
        &format!("/api/v2/filters/statuses/{entry_id}"),
        json!({}),
    )
    .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, body) = delete(
        &f,
        &alice,
        &format!("/api/v2/filters/statuses/{entry_id}"),
        json!({}),
    )
    .await;
    assert_eq!((code, body), (200, json!({})));
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(filtered(find(&home, &plain).unwrap()).is_empty());

    // Hiding a whole filter's matches from notifications needs that context.
    f.status(&bob, json!({"status": "@alice crypto for you"}))
        .await;
    let (_, notes) = f.get(Some(&alice), "/api/v1/notifications").await;
    assert_eq!(
        notes.as_array().unwrap().len(),
        1,
        "the hide filter is for home and public only"
    );
    put(
        &f,
        &alice,
        &format!("/api/v2/filters/{hide_id}"),
        json!({"context": ["home", "public", "notifications"]}),
    )
    .await;
    let (_, notes) = f.get(Some(&alice), "/api/v1/notifications").await;
    assert!(notes.as_array().unwrap().is_empty(), "{notes}");

    // An expired filter no longer applies; a deleted one neither.
    {
        use diesel::prelude::*;
        use groundswell::db::schema::filters;
        let mut conn = f.db.connect();
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
        diesel::update(filters::table.filter(filters::id.eq(hide_id.parse::<i64>().unwrap())))
            .set(filters::expires_at.eq(Some(past)))
            .execute(&mut conn)
            .unwrap();
    }
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(filtered(find(&home, &crypto).expect("shown again once expired")).is_empty());
    let (_, all) = f.get(Some(&alice), "/api/v2/filters").await;
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "expired filters are still listed"
    );
    delete(&f, &alice, &format!("/api/v2/filters/{warn_id}"), json!({})).await;
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(filtered(find(&home, &launch).unwrap()).is_empty());
    f.stop().await;
}

async fn v1_filters_are_the_keywords_of_v2_filters(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    follow(&f, &alice, &bob).await;

    // Tusky creates v1 filters with a form.
    let (code, v1) = post_form(
        &f,
        &alice,
        "/api/v1/filters",
        &[
            ("phrase", "Rumour"),
            ("context[]", "home"),
            ("context[]", "public"),
            ("irreversible", "true"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{v1}");
    let v1_id = v1["id"].as_str().unwrap().to_string();
    assert_eq!(
        v1,
        json!({"id": v1_id, "phrase": "Rumour", "context": ["home", "public"], "whole_word": false,
               "expires_at": null, "irreversible": true})
    );
    // It is a v2 filter titled by the phrase with that one keyword.
    let (_, v2) = f.get(Some(&alice), "/api/v2/filters").await;
    assert_eq!(v2[0]["title"], "Rumour");
    assert_eq!(v2[0]["filter_action"], "hide");
    assert_eq!(v2[0]["keywords"][0]["id"], v1_id.as_str());
    let filter_id = v2[0]["id"].as_str().unwrap().to_string();
    // And it applies like one.
    let rumour = f
        .status(&bob, json!({"status": "a rumour about the reorg"}))
        .await;
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(find(&home, &rumour).is_none(), "irreversible hides: {home}");

    let (code, err) = f
        .post(&alice, "/api/v1/filters", json!({"context": ["home"]}))
        .await;
    assert_error(code, &err, 422, "Phrase can't be blank");
    let (code, err) = f
        .post(&alice, "/api/v1/filters", json!({"phrase": "x"}))
        .await;
    assert_error(code, &err, 422, "Context can't be blank");

    // A second keyword on the v2 filter shows as a second v1 filter.
    let (_, second) = f
        .post(
            &alice,
            &format!("/api/v2/filters/{filter_id}/keywords"),
            json!({"keyword": "gossip"}),
        )
        .await;
    let second_id = second["id"].as_str().unwrap().to_string();
    let (_, listed) = f.get(Some(&alice), "/api/v1/filters").await;
    assert_eq!(ids(&listed), vec![v1_id.clone(), second_id.clone()]);
    assert_eq!(listed[1]["phrase"], "gossip");
    assert_eq!(listed[1]["context"], json!(["home", "public"]));
    let (code, one) = f
        .get(Some(&alice), &format!("/api/v1/filters/{second_id}"))
        .await;
    assert_eq!((code, &one["phrase"]), (200, &json!("gossip")));

    // The phrase may change; the shared context may not from a v1 app.
    let (code, changed) = put(
        &f,
        &alice,
        &format!("/api/v1/filters/{v1_id}"),
        json!({"phrase": "hearsay", "whole_word": true}),
    )
    .await;
    assert_eq!(code, 200, "{changed}");
    assert_eq!(
        (changed["phrase"].as_str(), changed["whole_word"].as_bool()),
        (Some("hearsay"), Some(true))
    );
    let (code, err) = put(
        &f,
        &alice,
        &format!("/api/v1/filters/{v1_id}"),
        json!({"context": ["thread"]}),
    )
    .await;
    assert_error(code, &err, 422, "apply to more than one filter keyword");
    let (code, err) = put(
        &f,
        &alice,
        &format!("/api/v1/filters/{v1_id}"),
        json!({"phrase": ""}),
    )
    .await;
    assert_error(code, &err, 422, "Phrase can't be blank");

    // Deleting a v1 filter deletes only its keyword; then the context can change.
    let (code, body) = delete(
        &f,
        &alice,
        &format!("/api/v1/filters/{second_id}"),
        json!({}),
    )
    .await;
    assert_eq!((code, body), (200, json!({})));
    let (code, changed) = put(
        &f,
        &alice,
        &format!("/api/v1/filters/{v1_id}"),
        json!({"phrase": "hearsay", "context": ["thread"], "irreversible": false, "expires_in": 600}),
    )
    .await;
    assert_eq!(code, 200, "{changed}");
    assert_eq!(changed["context"], json!(["thread"]));
    assert_eq!(changed["irreversible"], false);
    assert!(changed["expires_at"].is_string());
    let (_, v2) = f
        .get(Some(&alice), &format!("/api/v2/filters/{filter_id}"))
        .await;
    assert_eq!(
        v2["title"], "hearsay",
        "a one-keyword filter keeps the phrase as title"
    );
    assert_eq!(v2["filter_action"], "warn");
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(find(&home, &rumour).is_some(), "no longer hidden at home");

    let (code, err) = f.get(Some(&bob), &format!("/api/v1/filters/{v1_id}")).await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = put(
        &f,
        &bob,
        &format!("/api/v1/filters/{v1_id}"),
        json!({"phrase": "x"}),
    )
    .await;
    assert_error(code, &err, 404, "Record not found");
    let (code, err) = delete(&f, &bob, &format!("/api/v1/filters/{v1_id}"), json!({})).await;
    assert_error(code, &err, 404, "Record not found");
    let (_, bobs) = f.get(Some(&bob), "/api/v1/filters").await;
    assert_eq!(bobs, json!([]));
    f.stop().await;
}

async fn followed_hashtags_bring_public_posts_home(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let dave = f.user("dave").await; // alice does not follow dave
    let eve = f.user("eve").await; // alice blocks eve
    let mal = f.user("mal").await; // alice mutes mal

    // A hashtag nobody used yet can be looked at; names that cannot be hashtags cannot.
    let (code, tag) = f.get(None, "/api/v1/tags/Rust").await;
    assert_eq!(code, 200, "{tag}");
    assert_eq!(tag["name"], "Rust");
    assert_eq!(tag["url"], format!("{}/tags/rust", f.base));
    assert_eq!(tag["history"], json!([]));
    assert!(tag.get("following").is_none(), "nobody signed in: {tag}");
    let (_, tag) = f.get(Some(&alice), "/api/v1/tags/rust").await;
    assert_eq!(tag["following"], false);
    for bad in ["no-dash", "2024", "%20"] {
        let (code, body) = f.get(Some(&alice), &format!("/api/v1/tags/{bad}")).await;
        assert_error(code, &body, 404, "Record not found");
        let (code, body) = f
            .post(&alice, &format!("/api/v1/tags/{bad}/follow"), json!({}))
            .await;
        assert_error(code, &body, 404, "Record not found");
    }

    // Follow (twice is the same as once).
    for _ in 0..2 {
        let (code, tag) = f.post(&alice, "/api/v1/tags/Rust/follow", json!({})).await;
        assert_eq!(code, 200, "{tag}");
        assert_eq!(
            (tag["name"].as_str(), tag["following"].as_bool()),
            (Some("Rust"), Some(true))
        );
        assert!(!tag["id"].as_str().unwrap().is_empty());
    }
    let (_, tag) = f.get(Some(&alice), "/api/v1/tags/RUST").await;
    assert_eq!(tag["following"], true, "names match case-insensitively");
    let (_, found) = f
        .get(Some(&alice), "/api/v2/search?q=%23ru&type=hashtags")
        .await;
    assert_eq!(found["hashtags"][0]["following"], true, "{found}");
    let (_, found) = f
        .get(Some(&dave), "/api/v2/search?q=rust&type=hashtags")
        .await;
    assert_eq!(found["hashtags"][0]["following"], false, "{found}");
    f.post(&alice, "/api/v1/tags/golang/follow", json!({}))
        .await;
    let resp = f
        .client
        .get(f.url("/api/v1/followed_tags?limit=1"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let next = link(&resp, "next").expect("a next link");
    let page: Value = resp.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["name"], "golang", "most recently followed first");
    assert_eq!(page[0]["following"], true);
    let page: Value = f
        .client
        .get(&next)
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page[0]["name"], "Rust");

    // Home gets public (and department-only) posts with the hashtag that alice may see.
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/block", eve.id),
        json!({}),
    )
    .await;
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/mute", mal.id),
        json!({}),
    )
    .await;
    let public = f.status(&dave, json!({"status": "I love #rust"})).await;
    let local = f
        .status(
            &dave,
            json!({"status": "#Rust meetup on floor 3", "visibility": "local"}),
        )
        .await;
    let unlisted = f
        .status(
            &dave,
            json!({"status": "quiet #rust", "visibility": "unlisted"}),
        )
        .await;
    let private = f
        .status(
            &dave,
            json!({"status": "followers #rust", "visibility": "private"}),
        )
        .await;
    let other_tag = f.status(&dave, json!({"status": "#python"})).await;
    let blocked = f.status(&eve, json!({"status": "#rust from eve"})).await;
    let muted = f.status(&mal, json!({"status": "#rust from mal"})).await;
    let bob = f.user("bob").await;
    let boost = f
        .post(
            &bob,
            &format!("/api/v1/statuses/{public}/reblog"),
            json!({}),
        )
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    let home = ids(&home);
    assert_eq!(home, vec![local.clone(), public.clone()], "{home:?}");
    for absent in [&unlisted, &private, &other_tag, &blocked, &muted, &boost] {
        assert!(!home.contains(absent));
    }
    // Others' home timelines are not affected.
    let (_, bobs_home) = f.get(Some(&bob), "/api/v1/timelines/home").await;
    assert!(!ids(&bobs_home).contains(&public));

    // Unfollow: the posts leave home again.
    let (code, tag) = f
        .post(&alice, "/api/v1/tags/rust/unfollow", json!({}))
        .await;
    assert_eq!((code, &tag["following"]), (200, &json!(false)));
    let (_, home) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(ids(&home).is_empty(), "{home}");
    let (code, tag) = f
        .post(&alice, "/api/v1/tags/neverused/unfollow", json!({}))
        .await;
    assert_eq!((code, &tag["following"]), (200, &json!(false)));
    let (_, followed) = f.get(Some(&alice), "/api/v1/followed_tags").await;
    assert_eq!(followed.as_array().unwrap().len(), 1);

    // Scopes: write:follows to follow, read:follows to list.
    let reader = f.user_with_scopes("rita", "read").await;
    let (code, body) = f.post(&reader, "/api/v1/tags/rust/follow", json!({})).await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let follower = f.user_with_scopes("fred", "follow").await;
    let (code, _) = f
        .post(&follower, "/api/v1/tags/rust/follow", json!({}))
        .await;
    assert_eq!(code, 200, "the legacy follow scope covers write:follows");
    let writer = f.user_with_scopes("walt", "write").await;
    let (code, body) = f.get(Some(&writer), "/api/v1/followed_tags").await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let (code, body) = f.get(None, "/api/v1/followed_tags").await;
    assert_error(code, &body, 401, "access token is invalid");
    f.stop().await;
}

fn accts(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {list}"))
        .iter()
        .map(|a| a["acct"].as_str().unwrap().to_string())
        .collect()
}

async fn the_directory_lists_discoverable_accounts(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let _dave = f.user("dave").await;
    let eve = f.user("eve").await;
    // carol opts out, dave is suspended, rob works in another department.
    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&carol.token)
        .json(&json!({"discoverable": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    f.ctx
        .db
        .write(|conn| groundswell::service::users::suspend(conn, "dave").map(|_| ()))
        .await
        .unwrap();
    {
        use diesel::prelude::*;
        use groundswell::db::models::NewAccount;
        use groundswell::db::schema::accounts;
        let mut conn = f.db.connect();
        let now = chrono::Utc::now().naive_utc();
        let row = NewAccount {
            id: groundswell::db::ids::next_id(),
            username: "rob".into(),
            domain: Some("sales.corp.example".into()),
            display_name: "Rob".into(),
            note: String::new(),
            locked: false,
            bot: false,
            discoverable: true,
            ap_id: "https://sales.corp.example/users/rob".into(),
            url: None,
            inbox_url: "https://sales.corp.example/users/rob/inbox".into(),
            shared_inbox_url: None,
            outbox_url: None,
            followers_url: None,
            following_url: None,
            featured_url: None,
            public_key_pem: "-----BEGIN PUBLIC KEY-----".into(),
            private_key_pem: None,
            created_at: now,
            updated_at: now,
        };
        diesel::insert_into(accounts::table)
            .values(&row)
            .execute(&mut conn)
            .unwrap();
        diesel::update(accounts::table.find(row.id))
            .set(accounts::last_status_at.eq(now + chrono::Duration::hours(1)))
            .execute(&mut conn)
            .unwrap();
    }
    f.status(&alice, json!({"status": "first"})).await;
    f.status(&bob, json!({"status": "second"})).await;

    // Public; most recently active first, accounts that never posted last (newest first).
    let (code, active) = f.get(None, "/api/v1/directory").await;
    assert_eq!(code, 200, "{active}");
    assert_eq!(
        accts(&active),
        vec!["rob@sales.corp.example", "bob", "alice", "eve"]
    );
    assert_eq!(active[1]["id"], bob.id.as_str());
    let (_, local) = f.get(None, "/api/v1/directory?local=true").await;
    assert_eq!(accts(&local), vec!["bob", "alice", "eve"]);
    let (_, newest) = f.get(None, "/api/v1/directory?order=new").await;
    assert_eq!(
        accts(&newest),
        vec!["rob@sales.corp.example", "eve", "bob", "alice"]
    );
    let (_, page) = f
        .get(None, "/api/v1/directory?order=new&local=1&offset=1&limit=2")
        .await;
    assert_eq!(accts(&page), vec!["bob", "alice"]);
    let (_, unknown_order) = f.get(None, "/api/v1/directory?order=popular").await;
    assert_eq!(
        accts(&unknown_order),
        accts(&active),
        "like Mastodon, anything but new is active"
    );

    // Signed in: not the accounts one blocks or mutes, nor those who block one.
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/block", eve.id),
        json!({}),
    )
    .await;
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/mute", bob.id),
        json!({}),
    )
    .await;
    let (_, mine) = f.get(Some(&alice), "/api/v1/directory?local=true").await;
    assert_eq!(accts(&mine), vec!["alice"]);
    let (_, eves) = f.get(Some(&eve), "/api/v1/directory?local=true").await;
    assert_eq!(accts(&eves), vec!["bob", "eve"], "eve is blocked by alice");

    // Bad parameters and tokens.
    let (code, body) = f.get(None, "/api/v1/directory?limit=lots").await;
    assert_error(code, &body, 422, "expected a positive number");
    let (code, body) = f.get(None, "/api/v1/directory?offset=-1").await;
    assert_error(code, &body, 422, "expected a positive number");
    let resp = f
        .client
        .get(f.url("/api/v1/directory"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    f.stop().await;
}

async fn reports_reach_the_moderators(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.instance.rules = vec!["Be kind".into(), "No spam".into()];
    })
    .await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let spam = f.status(&bob, json!({"status": "buy now"})).await;
    let more = f.status(&bob, json!({"status": "buy more"})).await;
    let hidden = f
        .status(
            &bob,
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await;
    let carols = f.status(&carol, json!({"status": "hello"})).await;

    // A form, as apps send it.
    let (code, report) = post_form(
        &f,
        &alice,
        "/api/v1/reports",
        &[
            ("account_id", &bob.id),
            ("status_ids[]", &spam),
            ("status_ids[]", &more),
            ("comment", "Selling things all day"),
            ("category", "spam"),
            ("forward", "true"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{report}");
    assert!(report["id"].is_string());
    assert_eq!(report["action_taken"], false);
    assert_eq!(report["action_taken_at"], Value::Null);
    assert_eq!(report["category"], "spam");
    assert_eq!(report["comment"], "Selling things all day");
    assert_eq!(
        report["forwarded"], false,
        "bob is local: nothing to forward"
    );
    assert_eq!(report["status_ids"], json!([spam, more]));
    assert_eq!(report["rule_ids"], Value::Null);
    assert_eq!(report["target_account"]["id"], bob.id.as_str());
    assert!(report["created_at"].as_str().unwrap().ends_with('Z'));

    // Naming rules makes it a violation report.
    let (code, violation) = f
        .post(
            &alice,
            "/api/v1/reports",
            json!({"account_id": bob.id, "rule_ids": [2, "1"], "category": "other"}),
        )
        .await;
    assert_eq!(code, 200, "{violation}");
    assert_eq!(violation["category"], "violation");
    assert_eq!(violation["rule_ids"], json!(["1", "2"]));
    assert_eq!(violation["status_ids"], json!([]));

    // The moderators' queue holds both.
    {
        use diesel::prelude::*;
        use groundswell::db::schema::reports;
        let mut conn = f.db.connect();
        let rows: Vec<(i64, i64, String, String)> = reports::table
            .order(reports::id.asc())
            .select((
                reports::account_id,
                reports::target_account_id,
                reports::category,
                reports::comment,
            ))
            .load(&mut conn)
            .unwrap();
        let (alice_id, bob_id) = (
            alice.id.parse::<i64>().unwrap(),
            bob.id.parse::<i64>().unwrap(),
        );
        assert_eq!(
            rows,
            vec![
                (
                    alice_id,
                    bob_id,
                    "spam".into(),
                    "Selling things all day".into()
                ),
                (alice_id, bob_id, "violation".into(), String::new()),
            ]
        );
    }

    // What cannot be reported.
    let cases = [
        (json!({"account_id": "999"}), 404, "Record not found"),
        (json!({}), 404, "Record not found"),
        (
            json!({"account_id": bob.id, "status_ids": [carols]}),
            404,
            "Record not found",
        ),
        (
            json!({"account_id": bob.id, "status_ids": [hidden]}),
            404,
            "Record not found",
        ),
        (
            json!({"account_id": bob.id, "category": "rude"}),
            422,
            "'rude' is not a valid category",
        ),
        (
            json!({"account_id": bob.id, "category": "violation"}),
            422,
            "Rule ids does not reference valid rules",
        ),
        (
            json!({"account_id": bob.id, "rule_ids": ["3"]}),
            422,
            "Rule ids does not reference valid rules",
        ),
        (
            json!({"account_id": bob.id, "comment": "x".repeat(1001)}),
            422,
            "Comment is too long",
        ),
        (
            json!({"account_id": alice.id}),
            422,
            "cannot report yourself",
        ),
    ];
    for (body, want, msg) in cases {
        let (code, err) = f.post(&alice, "/api/v1/reports", body.clone()).await;
        assert_error(code, &err, want, msg);
    }
    let (code, ok) = f
        .post(
            &alice,
            "/api/v1/reports",
            json!({"account_id": bob.id, "comment": "x".repeat(1000)}),
        )
        .await;
    assert_eq!((code, &ok["category"]), (200, &json!("other")), "{ok}");

    // Scopes: write:reports.
    let reader = f.user_with_scopes("rita", "read").await;
    let (code, err) = f
        .post(&reader, "/api/v1/reports", json!({"account_id": bob.id}))
        .await;
    assert_error(code, &err, 403, "outside the authorized scopes");
    let reporter = f.user_with_scopes("rex", "write:reports").await;
    let (code, _) = f
        .post(&reporter, "/api/v1/reports", json!({"account_id": bob.id}))
        .await;
    assert_eq!(code, 200);
    let resp = f
        .client
        .post(f.url("/api/v1/reports"))
        .json(&json!({"account_id": bob.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    f.stop().await;
}

/// (id, unread, accts of participants, last status id) of each conversation.
fn conversations(list: &Value) -> Vec<(String, bool, Vec<String>, String)> {
    list.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {list}"))
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["unread"].as_bool().unwrap(),
                accts(&c["accounts"]),
                c["last_status"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn v(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

async fn direct_conversations_per_participant(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let dave = f.user("dave").await;
    let dm = |text: &str| json!({"status": text, "visibility": "direct"});

    let lunch = f.status(&alice, dm("@bob @carol lunch?")).await;
    let sure = f
        .status(&bob, json!({"status": "@alice @carol sure", "visibility": "direct", "in_reply_to_id": lunch}))
        .await;
    let secret = f.status(&dave, dm("@bob a secret")).await;
    f.status(
        &alice,
        json!({"status": "a public post, not a conversation"}),
    )
    .await;
    let hi = f.status(&carol, dm("@alice hi")).await;

    let (code, list) = f.get(Some(&alice), "/api/v1/conversations").await;
    assert_eq!(code, 200, "{list}");
    assert_eq!(
        conversations(&list),
        vec![
            (hi.clone(), true, v(&["carol"]), hi.clone()),
            (lunch.clone(), true, v(&["bob", "carol"]), sure.clone()),
        ]
    );
    assert_eq!(list[0]["last_status"]["visibility"], "direct");
    assert_eq!(list[0]["last_status"]["account"]["acct"], "carol");
    let (_, bobs) = f.get(Some(&bob), "/api/v1/conversations").await;
    assert_eq!(
        conversations(&bobs),
        vec![
            (secret.clone(), true, v(&["dave"]), secret.clone()),
            (lunch.clone(), false, v(&["alice", "carol"]), sure.clone()),
        ],
        "the newest message is bob's own: read"
    );
    let (_, daves) = f.get(Some(&dave), "/api/v1/conversations").await;
    assert_eq!(
        conversations(&daves),
        vec![(secret.clone(), false, v(&["bob"]), secret.clone())]
    );

    // Link-header paging by the newest message.
    let resp = f
        .client
        .get(f.url("/api/v1/conversations?limit=1"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    let next = link(&resp, "next").expect("a next link");
    assert!(next.contains(&format!("max_id={hi}")), "{next}");
    let first: Value = resp.json().await.unwrap();
    assert_eq!(first[0]["id"], hi.as_str());
    let second: Value = f
        .client
        .get(&next)
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(conversations(&second).len(), 1);
    assert_eq!(second[0]["id"], lunch.as_str());
    let (_, newer) = f
        .get(
            Some(&alice),
            &format!("/api/v1/conversations?min_id={sure}"),
        )
        .await;
    assert_eq!(ids(&newer), vec![hi.clone()]);

    // Read: until someone else writes again.
    let (code, read) = f
        .post(
            &alice,
            &format!("/api/v1/conversations/{lunch}/read"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{read}");
    assert_eq!(read["unread"], false);
    assert_eq!(read["last_status"]["id"], sure.as_str());
    let again = f
        .status(
            &carol,
            json!({"status": "@alice @bob 12:30?", "visibility": "direct", "in_reply_to_id": sure}),
        )
        .await;
    let (_, list) = f.get(Some(&alice), "/api/v1/conversations").await;
    assert_eq!(
        conversations(&list),
        vec![
            (lunch.clone(), true, v(&["bob", "carol"]), again.clone()),
            (hi.clone(), true, v(&["carol"]), hi.clone()),
        ]
    );

    // Remove: gone from alice's list only, back with the next message, gone again when
    // that message is deleted.
    let (code, body) = delete(
        &f,
        &alice,
        &format!("/api/v1/conversations/{hi}"),
        json!({}),
    )
    .await;
    assert_eq!((code, body), (200, json!({})));
    let (_, list) = f.get(Some(&alice), "/api/v1/conversations").await;
    assert_eq!(ids(&list), vec![lunch.clone()]);
    let (_, carols) = f.get(Some(&carol), "/api/v1/conversations").await;
    assert!(ids(&carols).contains(&hi));
    let (code, _) = f
        .post(
            &alice,
            &format!("/api/v1/conversations/{hi}/read"),
            json!({}),
        )
        .await;
    assert_eq!(
        code, 404,
        "removed conversations are not found until they come back"
    );
    let back = f
        .status(
            &carol,
            json!({"status": "@alice still there?", "visibility": "direct", "in_reply_to_id": hi}),
        )
        .await;
    let (_, list) = f.get(Some(&alice), "/api/v1/conversations").await;
    assert_eq!(
        conversations(&list)[0],
        (hi.clone(), true, v(&["carol"]), back.clone())
    );
    delete(&f, &carol, &format!("/api/v1/statuses/{back}"), json!({})).await;
    let (_, list) = f.get(Some(&alice), "/api/v1/conversations").await;
    assert_eq!(ids(&list), vec![lunch.clone()]);

    // Blocking hides the blocked account's messages, so their conversations too.
    f.post(
        &bob,
        &format!("/api/v1/accounts/{}/block", dave.id),
        json!({}),
    )
    .await;
    let (_, bobs) = f.get(Some(&bob), "/api/v1/conversations").await;
    assert_eq!(ids(&bobs), vec![lunch.clone()]);

    // Others' conversations do not exist for them.
    for path in [
        format!("/api/v1/conversations/{secret}/read"),
        "/api/v1/conversations/999/read".into(),
        "/api/v1/conversations/abc/read".into(),
    ] {
        let (code, body) = f.post(&alice, &path, json!({})).await;
        assert_error(code, &body, 404, "Record not found");
    }
    let (code, body) = delete(
        &f,
        &alice,
        &format!("/api/v1/conversations/{secret}"),
        json!({}),
    )
    .await;
    assert_error(code, &body, 404, "Record not found");
    let (_, daves) = f.get(Some(&dave), "/api/v1/conversations").await;
    assert_eq!(
        ids(&daves),
        vec![secret.clone()],
        "bob's block does not remove it for dave"
    );

    // Scopes: read:statuses to list, write:conversations to change.
    let reader = f.user_with_scopes("rita", "read").await;
    let (code, body) = f
        .post(
            &reader,
            &format!("/api/v1/conversations/{lunch}/read"),
            json!({}),
        )
        .await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let writer = f.user_with_scopes("walt", "write:conversations").await;
    let (code, body) = f.get(Some(&writer), "/api/v1/conversations").await;
    assert_error(code, &body, 403, "outside the authorized scopes");
    let (code, body) = f.get(None, "/api/v1/conversations").await;
    assert_error(code, &body, 401, "access token is invalid");
    f.stop().await;
}

on_both_backends!(
    markers_remember_positions_per_employee,
    lists_group_followed_accounts_into_their_own_timeline,
    filters_are_managed_per_employee,
    filters_warn_about_and_hide_statuses,
    v1_filters_are_the_keywords_of_v2_filters,
    followed_hashtags_bring_public_posts_home,
    the_directory_lists_discoverable_accounts,
    reports_reach_the_moderators,
    direct_conversations_per_participant,
);
