//! Departments federating: real instances on loopback ports, each with its own database,
//! driven through the Mastodon API as employees would.

use std::future::Future;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Fixture, TestDb, TestUser, free_port};
use crate::on_both_backends;

/// Start one department per port. `allowed(i, j)`: whether department `i` federates with `j`.
async fn departments(
    db: TestDb,
    count: usize,
    allowed: impl Fn(usize, usize) -> bool,
) -> Vec<Fixture> {
    let ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
    let mut dbs = vec![db];
    while dbs.len() < count {
        let next = dbs[0].another();
        dbs.push(next);
    }
    let mut out = Vec::new();
    for (i, db) in dbs.into_iter().enumerate() {
        let port = ports[i];
        let peers: Vec<String> = (0..count)
            .filter(|&j| j != i && allowed(i, j))
            .map(|j| format!("localhost:{}", ports[j]))
            .collect();
        out.push(
            Fixture::start_on(db, port, move |s| {
                s.instance.domain =
                    groundswell::config::Domain::parse(&format!("localhost:{port}")).unwrap();
                s.federation.allowed_domains = peers;
                s.federation.allow_http = true;
                s.federation.max_retry_interval_secs = 1;
            })
            .await,
        );
    }
    out
}

fn domain(f: &Fixture) -> String {
    f.ctx.settings.instance.domain.as_str().to_string()
}

/// Poll until `check` returns Some (or fail after 20 s, saying what was awaited).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Find `user@domain` from `f` the way a client does (search with resolve), returning the
/// local id of that account on `f`.
async fn resolve(f: &Fixture, me: &TestUser, acct: &str) -> String {
    let (code, body) = f
        .get(
            Some(me),
            &format!(
                "/api/v2/search?q=%40{}&resolve=true&type=accounts",
                acct.replace('@', "%40")
            ),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let found = body["accounts"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["acct"] == acct))
        .unwrap_or_else(|| panic!("{acct} not found: {body}"));
    found["id"].as_str().unwrap().to_string()
}

async fn home_has(f: &Fixture, user: &TestUser, needle: &str) -> Option<Value> {
    let (_, body) = f.get(Some(user), "/api/v1/timelines/home?limit=40").await;
    body.as_array()?
        .iter()
        .find(|s| {
            s["content"].as_str().is_some_and(|c| c.contains(needle))
                || s["reblog"]["content"]
                    .as_str()
                    .is_some_and(|c| c.contains(needle))
        })
        .cloned()
}

async fn notification(f: &Fixture, user: &TestUser, kind: &str) -> Option<Value> {
    let (_, body) = f.get(Some(user), "/api/v1/notifications").await;
    body.as_array()?.iter().find(|n| n["type"] == kind).cloned()
}

/// The whole story between two departments: find, follow, post, department-only post,
/// mention, reply thread, boost, like, edit, delete, profile update.
async fn employees_of_two_departments_work_together(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let alice_acct = format!("alice@{}", domain(eng));
    let bob_acct = format!("bob@{}", domain(sales));

    // Bob finds Alice and follows her; Eng accepts at once (she is not locked).
    let alice_on_sales = resolve(sales, &bob, &alice_acct).await;
    let (code, rel) = sales
        .post(
            &bob,
            &format!("/api/v1/accounts/{alice_on_sales}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{rel}");
    eventually("the follow to be accepted", || async {
        let (_, rels) = sales
            .get(
                Some(&bob),
                &format!("/api/v1/accounts/relationships?id[]={alice_on_sales}"),
            )
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    let follow = notification(eng, &alice, "follow")
        .await
        .expect("follow notification");
    assert_eq!(follow["account"]["acct"], bob_acct);
    let (_, me) = eng
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["followers_count"], 1);

    // A public post reaches Bob's home timeline; a department-only one never leaves Eng.
    eng.status(
        &alice,
        json!({"status": "Department secret: the launch slips", "visibility": "local"}),
    )
    .await;
    let post_id = eng
        .status(&alice, json!({"status": "Hello Sales! #launch"}))
        .await;
    let remote_post = eventually("Alice's post on Sales", || {
        home_has(sales, &bob, "Hello Sales!")
    })
    .await;
    assert_eq!(remote_post["account"]["acct"], alice_acct);
    assert_eq!(remote_post["visibility"], "public");
    assert_eq!(remote_post["tags"][0]["name"], "launch");
    let remote_post_id = remote_post["id"].as_str().unwrap().to_string();
    assert!(
        home_has(sales, &bob, "Department secret").await.is_none(),
        "a department-only post reached another department"
    );

    // Bob replies, mentioning Alice: she is notified and the thread is whole on both sides.
    let reply_id = sales
        .status(
            &bob,
            json!({"status": format!("@{alice_acct} great news"), "in_reply_to_id": remote_post_id}),
        )
        .await;
    let mention = eventually("the mention on Eng", || {
        notification(eng, &alice, "mention")
    })
    .await;
    assert!(
        mention["status"]["content"]
            .as_str()
            .unwrap()
            .contains("great news")
    );
    assert_eq!(mention["status"]["in_reply_to_id"], post_id.as_str());
    let (_, context) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{post_id}/context"))
        .await;
    assert_eq!(context["descendants"][0]["account"]["acct"], bob_acct);
    let (_, context) = sales
        .get(Some(&bob), &format!("/api/v1/statuses/{reply_id}/context"))
        .await;
    assert_eq!(context["ancestors"][0]["id"], remote_post_id.as_str());

    // Bob boosts and likes the post: Alice hears of both and the counts agree.
    let (code, _) = sales
        .post(
            &bob,
            &format!("/api/v1/statuses/{remote_post_id}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, _) = sales
        .post(
            &bob,
            &format!("/api/v1/statuses/{remote_post_id}/favourite"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let reblog = eventually("the boost on Eng", || notification(eng, &alice, "reblog")).await;
    assert_eq!(reblog["account"]["acct"], bob_acct);
    let fav = eventually("the like on Eng", || notification(eng, &alice, "favourite")).await;
    assert_eq!(fav["status"]["id"], post_id.as_str());
    let (_, status) = eng
        .get(Some(&alice), &format!("/api/v1/statuses/{post_id}"))
        .await;
    assert_eq!(status["reblogs_count"], 1);
    assert_eq!(status["favourites_count"], 1);
    assert_eq!(status["replies_count"], 1);

    // Alice edits: Sales shows the new text and the history.
    let resp = eng
        .client
        .put(eng.url(&format!("/api/v1/statuses/{post_id}")))
        .bearer_auth(&alice.token)
        .json(&json!({"status": "Hello Sales! Launch is Friday #launch"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually("the edit on Sales", || async {
        let (_, s) = sales
            .get(Some(&bob), &format!("/api/v1/statuses/{remote_post_id}"))
            .await;
        s["content"]
            .as_str()?
            .contains("Launch is Friday")
            .then_some(())
    })
    .await;
    let (_, history) = sales
        .get(
            Some(&bob),
            &format!("/api/v1/statuses/{remote_post_id}/history"),
        )
        .await;
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");

    // Alice changes her display name: Sales sees it.
    let resp = eng
        .client
        .patch(eng.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice.token)
        .form(&[("display_name", "Alice from Eng")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually("the profile update on Sales", || async {
        let (_, a) = sales
            .get(Some(&bob), &format!("/api/v1/accounts/{alice_on_sales}"))
            .await;
        (a["display_name"] == "Alice from Eng").then_some(())
    })
    .await;

    // Alice deletes the post: it is gone on Sales too.
    let resp = eng
        .client
        .delete(eng.url(&format!("/api/v1/statuses/{post_id}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    eventually("the delete on Sales", || async {
        let (code, _) = sales
            .get(Some(&bob), &format!("/api/v1/statuses/{remote_post_id}"))
            .await;
        (code == 404).then_some(())
    })
    .await;

    // Nothing about the department-only post was ever queued for delivery.
    let secret_deliveries = eng
        .ctx
        .db
        .read(|conn| {
            use diesel::prelude::*;
            use groundswell::db::schema::outgoing_activities;
            Ok(outgoing_activities::table
                .filter(outgoing_activities::payload.like("%Department secret%"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(secret_deliveries, 0);

    // Bob unfollows: Alice loses the follower.
    let (code, _) = sales
        .post(
            &bob,
            &format!("/api/v1/accounts/{alice_on_sales}/unfollow"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eventually("the unfollow on Eng", || async {
        let (_, me) = eng
            .get(Some(&alice), "/api/v1/accounts/verify_credentials")
            .await;
        (me["followers_count"] == 0).then_some(())
    })
    .await;
}

/// A locked account gets a follow request from another department and answers it.
async fn locked_accounts_answer_follow_requests_across_departments(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let carol = eng.user("carol").await;
    let dave = sales.user("dave").await;
    let resp = eng
        .client
        .patch(eng.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&carol.token)
        .form(&[("locked", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let carol_on_sales = resolve(sales, &dave, &format!("carol@{}", domain(eng))).await;
    let (_, rel) = sales
        .post(
            &dave,
            &format!("/api/v1/accounts/{carol_on_sales}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(rel["requested"], true, "{rel}");
    assert_eq!(rel["following"], false);
    let request = eventually("the follow request on Eng", || {
        notification(eng, &carol, "follow_request")
    })
    .await;
    let dave_on_eng = request["account"]["id"].as_str().unwrap().to_string();
    let (code, _) = eng
        .post(
            &carol,
            &format!("/api/v1/follow_requests/{dave_on_eng}/authorize"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eventually("the accepted request on Sales", || async {
        let (_, rels) = sales
            .get(
                Some(&dave),
                &format!("/api/v1/accounts/relationships?id[]={carol_on_sales}"),
            )
            .await;
        (rels[0]["following"] == true && rels[0]["requested"] == false).then_some(())
    })
    .await;
    // Followers-only posts now reach Dave.
    eng.status(
        &carol,
        json!({"status": "For my followers", "visibility": "private"}),
    )
    .await;
    let post = eventually("the private post on Sales", || {
        home_has(sales, &dave, "For my followers")
    })
    .await;
    assert_eq!(post["visibility"], "private");
}

/// Only allowed departments: refused in both directions, and unsigned or badly signed
/// requests are refused too.
async fn only_allowed_departments_and_signed_requests_get_in(db: TestDb) {
    // 0 = eng allows sales only; 1 = sales allows eng; 2 = hr allows eng (eng does not allow hr).
    let deps = departments(db, 3, |i, j| matches!((i, j), (0, 1) | (1, 0) | (2, 0))).await;
    let (eng, hr) = (&deps[0], &deps[2]);
    let alice = eng.user("alice").await;
    let hana = hr.user("hana").await;

    // Eng will not look up HR's accounts …
    let (code, body) = eng
        .get(
            Some(&alice),
            &format!(
                "/api/v2/search?q=%40hana%40{}&resolve=true&type=accounts",
                domain(hr)
            ),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(body["accounts"], json!([]), "{body}");
    // … and refuses HR's signed fetches, so HR cannot find Eng's employees either.
    let (code, body) = hr
        .get(
            Some(&hana),
            &format!(
                "/api/v2/search?q=%40alice%40{}&resolve=true&type=accounts",
                domain(eng)
            ),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(body["accounts"], json!([]), "{body}");

    // An unsigned GET of an actor is refused; browsers get the profile page instead.
    let resp = eng
        .client
        .get(eng.url("/users/alice"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(eng.url("/users/alice"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/@alice");

    // A POST claiming to be from a department that is not allowed: refused before anything.
    let activity = json!({
        "id": format!("http://{}/activities/1", domain(hr)),
        "type": "Follow",
        "actor": format!("http://{}/users/hana", domain(hr)),
        "object": format!("http://{}/users/alice", domain(eng)),
    });
    let resp = eng
        .client
        .post(eng.url("/inbox"))
        .header("Content-Type", "application/activity+json")
        .header("Signature", format!(r#"keyId="http://{}/users/hana#main-key",headers="(request-target) host date digest",signature="AAAA""#, domain(hr)))
        .json(&activity)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    // From an allowed department but badly signed: refused.
    let sales = &deps[1];
    sales.user("bob").await;
    let activity = json!({
        "id": format!("http://{}/activities/1", domain(sales)),
        "type": "Follow",
        "actor": format!("http://{}/users/bob", domain(sales)),
        "object": format!("http://{}/users/alice", domain(eng)),
    });
    let body = serde_json::to_vec(&activity).unwrap();
    let digest = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&body))
    };
    let resp = eng
        .client
        .post(eng.url("/inbox"))
        .header("Content-Type", "application/activity+json")
        .header("Date", httpdate::fmt_http_date(std::time::SystemTime::now()))
        .header("Digest", format!("SHA-256={digest}"))
        .header("Signature", format!(r#"keyId="http://{}/users/bob#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="bm90IGEgc2lnbmF0dXJl""#, domain(sales)))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let (_, notes) = eng.get(Some(&alice), "/api/v1/notifications").await;
    assert_eq!(notes, json!([]), "a refused activity had an effect");
}

/// A department that is down gets everything once it is back, exactly once.
async fn a_department_that_was_down_gets_everything_once(db: TestDb) {
    let mut deps = departments(db, 2, |_, _| true).await;
    let sales = deps.pop().unwrap();
    let eng = deps.pop().unwrap();
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(&sales, &bob, &format!("alice@{}", domain(&eng))).await;
    sales
        .post(
            &bob,
            &format!("/api/v1/accounts/{alice_on_sales}/follow"),
            json!({}),
        )
        .await;
    eventually("the accepted follow", || async {
        let (_, rels) = sales
            .get(
                Some(&bob),
                &format!("/api/v1/accounts/relationships?id[]={alice_on_sales}"),
            )
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;

    let (sales_db, port, settings) = sales.stop_keeping_db().await;
    for n in 1..=3 {
        eng.status(&alice, json!({"status": format!("While you were out {n}")}))
            .await;
    }
    // Eng tried and failed; the queue says so.
    let stats = eventually("a failed attempt", || async {
        let stats = eng
            .ctx
            .db
            .read(groundswell::service::outbox::stats)
            .await
            .unwrap();
        (stats.pending == 3 && stats.domains.iter().any(|d| d.failures > 0)).then_some(stats)
    })
    .await;
    assert!(stats.domains[0].last_error.is_some(), "{stats:?}");
    assert_eq!(stats.failed, 0);

    let sales = Fixture::start_again(sales_db, port, settings).await;
    for n in 1..=3 {
        let needle = format!("While you were out {n}");
        eventually("the posts after the restart", || {
            home_has(&sales, &bob, &needle)
        })
        .await;
    }
    let (_, home) = sales
        .get(Some(&bob), "/api/v1/timelines/home?limit=40")
        .await;
    let copies = home
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["content"]
                .as_str()
                .unwrap_or("")
                .contains("While you were out")
        })
        .count();
    assert_eq!(copies, 3, "each post exactly once: {home}");
    let stats = eventually("an empty queue", || async {
        let stats = eng
            .ctx
            .db
            .read(groundswell::service::outbox::stats)
            .await
            .unwrap();
        (stats.pending == 0).then_some(stats)
    })
    .await;
    assert_eq!(stats.failed, 0);
}

on_both_backends!(
    employees_of_two_departments_work_together,
    locked_accounts_answer_follow_requests_across_departments,
    only_allowed_departments_and_signed_requests_get_in,
    a_department_that_was_down_gets_everything_once,
);
