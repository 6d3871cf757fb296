//! Departments federating: real instances on loopback ports, each with its own database,
//! driven through the Mastodon API as employees would.

use std::future::Future;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{Fixture, Port, TestDb, TestUser, free_port, reserve_port};
use crate::on_both_backends;

/// Start one department per port. `allowed(i, j)`: whether department `i` federates with `j`.
pub(crate) async fn departments(
    db: TestDb,
    count: usize,
    allowed: impl Fn(usize, usize) -> bool,
) -> Vec<Fixture> {
    departments_with(db, count, allowed, |_, _| {}).await
}

/// [`departments`], with `configure(i, settings)` run on department `i`'s settings last.
pub(crate) async fn departments_with(
    db: TestDb,
    count: usize,
    allowed: impl Fn(usize, usize) -> bool,
    configure: impl Fn(usize, &mut groundswell::config::Settings),
) -> Vec<Fixture> {
    let reserved: Vec<Port> = (0..count).map(|_| reserve_port()).collect();
    let ports: Vec<u16> = reserved.iter().map(Port::number).collect();
    let mut dbs = vec![db];
    while dbs.len() < count {
        let next = dbs[0].another();
        dbs.push(next);
    }
    let mut out = Vec::new();
    let configure = &configure;
    for ((i, db), reserved) in dbs.into_iter().enumerate().zip(reserved) {
        let port = ports[i];
        let peers: Vec<String> = (0..count)
            .filter(|&j| j != i && allowed(i, j))
            .map(|j| format!("localhost:{}", ports[j]))
            .collect();
        out.push(
            Fixture::start_on(db, reserved, move |s| {
                s.instance.domain =
                    groundswell::config::Domain::parse(&format!("localhost:{port}")).unwrap();
                s.federation.allowed_domains = peers;
                s.federation.allow_http = true;
                s.federation.max_retry_interval_secs = 1;
                configure(i, s);
            })
            .await,
        );
    }
    out
}

pub(crate) fn domain(f: &Fixture) -> String {
    f.ctx.settings.instance.domain.as_str().to_string()
}

/// Poll until `check` returns Some (or fail after 20 s, saying what was awaited).
pub(crate) async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
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
/// A search that could not reach the other department (a fetch timed out while the machine
/// is busy) finds nothing; like an employee, search again.
pub(crate) async fn resolve(f: &Fixture, me: &TestUser, acct: &str) -> String {
    let path = format!(
        "/api/v2/search?q=%40{}&resolve=true&type=accounts",
        acct.replace('@', "%40")
    );
    let mut last = Value::Null;
    for _ in 0..5 {
        let (code, body) = f.get(Some(me), &path).await;
        assert_eq!(code, 200, "{body}");
        if let Some(found) = body["accounts"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["acct"] == acct))
        {
            return found["id"].as_str().unwrap().to_string();
        }
        last = body;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("{acct} not found: {last}");
}

pub(crate) async fn home_has(f: &Fixture, user: &TestUser, needle: &str) -> Option<Value> {
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

pub(crate) async fn notification(f: &Fixture, user: &TestUser, kind: &str) -> Option<Value> {
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

    // Bob mentions someone in Eng that Sales has never seen: she is looked up and notified.
    let erin = eng.user("erin").await;
    sales
        .status(
            &bob,
            json!({"status": format!("@erin@{} welcome aboard", domain(eng))}),
        )
        .await;
    let welcome = eventually("the mention of a new account", || {
        notification(eng, &erin, "mention")
    })
    .await;
    assert!(
        welcome["status"]["content"]
            .as_str()
            .unwrap()
            .contains("welcome aboard")
    );
    assert_eq!(welcome["status"]["visibility"], "public");
    let (code, found) = sales
        .get(
            Some(&bob),
            &format!("/api/v1/accounts/lookup?acct=erin@{}", domain(eng)),
        )
        .await;
    assert_eq!(code, 200, "{found}");

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

/// Eng runs as a real process and is killed (SIGKILL) in the middle of delivering a burst of
/// posts; after a restart every post reaches Sales exactly once.
async fn a_crash_in_the_middle_of_delivery_loses_nothing(db: TestDb) {
    use crate::common::{assert_ok, groundswell_cmd};
    const POSTS: usize = 60;
    // Eng is a process of its own (it is killed): it binds the port itself.
    let (eng_port, sales_reserved) = (free_port(), reserve_port());
    let sales_port = sales_reserved.number();
    let eng_db = db.another();
    let eng_dir = tempfile::tempdir().unwrap();
    let eng_env: Vec<(String, String)> = vec![
        ("GROUNDSWELL_DATABASE__URL".into(), eng_db.url()),
        (
            "GROUNDSWELL_INSTANCE__DOMAIN".into(),
            format!("localhost:{eng_port}"),
        ),
        (
            "GROUNDSWELL_HTTP__BIND".into(),
            format!("127.0.0.1:{eng_port}"),
        ),
        (
            "GROUNDSWELL_STORAGE__DATA_DIR".into(),
            eng_dir.path().display().to_string(),
        ),
        (
            "GROUNDSWELL_FEDERATION__ALLOWED_DOMAINS".into(),
            format!("localhost:{sales_port}"),
        ),
        ("GROUNDSWELL_FEDERATION__ALLOW_HTTP".into(), "true".into()),
        (
            "GROUNDSWELL_FEDERATION__MAX_RETRY_INTERVAL_SECS".into(),
            "1".into(),
        ),
        ("GROUNDSWELL_LOG__LEVEL".into(), "warn".into()),
    ];
    let start_eng = || {
        let log = std::fs::File::create(eng_dir.path().join("server.log")).unwrap();
        let mut cmd = groundswell_cmd();
        cmd.envs(eng_env.iter().cloned())
            .stdout(std::process::Stdio::null())
            .stderr(log);
        cmd.spawn().expect("start eng")
    };
    let eng_url = format!("http://127.0.0.1:{eng_port}");
    let http = crate::common::http();
    let wait_up = |http: reqwest::Client, url: String| async move {
        eventually("eng to answer", || async {
            let r = http.get(format!("{url}/readyz")).send().await.ok()?;
            r.status().is_success().then_some(())
        })
        .await
    };

    let mut eng = start_eng();
    wait_up(http.clone(), eng_url.clone()).await;
    let with_db = |args: &[&str]| {
        let mut cmd = groundswell_cmd();
        cmd.args(args).envs(eng_env.iter().cloned());
        cmd.output().unwrap()
    };
    // The CLI runs against Eng's database with Eng's settings.
    assert_ok(&with_db(&[
        "admin",
        "create-user",
        "alice",
        "--email",
        "alice@eng.corp.example",
    ]));
    let token = assert_ok(&with_db(&[
        "admin",
        "issue-token",
        "alice",
        "--scopes",
        "read write",
    ]))
    .trim()
    .to_string();

    let sales = Fixture::start_on(db, sales_reserved, |s| {
        s.instance.domain =
            groundswell::config::Domain::parse(&format!("localhost:{sales_port}")).unwrap();
        s.federation.allowed_domains = vec![format!("localhost:{eng_port}")];
        s.federation.allow_http = true;
        s.federation.max_retry_interval_secs = 1;
    })
    .await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(&sales, &bob, &format!("alice@localhost:{eng_port}")).await;
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

    let arrived = |sales: &Fixture| {
        let alice = alice_on_sales.clone();
        let db = sales.ctx.db.clone();
        async move {
            db.read(move |conn| {
                use diesel::prelude::*;
                use groundswell::db::schema::statuses;
                Ok(statuses::table
                    .filter(statuses::account_id.eq(alice.parse::<i64>().unwrap()))
                    .filter(statuses::content.like("%Burst post%"))
                    .count()
                    .get_result::<i64>(conn)?)
            })
            .await
            .unwrap() as usize
        }
    };
    for n in 0..POSTS {
        let resp = http
            .post(format!("{eng_url}/api/v1/statuses"))
            .bearer_auth(&token)
            .json(&json!({"status": format!("Burst post {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    // Kill Eng as soon as the first posts have arrived, with the rest still queued.
    let before_crash = eventually("the first deliveries", || async {
        let n = arrived(&sales).await;
        (n >= 3).then_some(n)
    })
    .await;
    eng.kill().unwrap();
    eng.wait().unwrap();
    assert!(
        before_crash < POSTS,
        "all {POSTS} posts were delivered before the crash; the test needs a bigger burst"
    );

    let mut eng = start_eng();
    wait_up(http.clone(), eng_url.clone()).await;
    for attempt in 0.. {
        if arrived(&sales).await >= POSTS {
            break;
        }
        if attempt == 300 {
            let status = with_db(&["admin", "federation-status"]);
            panic!(
                "only {} of {POSTS} posts arrived after the restart\n{}\n{}",
                arrived(&sales).await,
                String::from_utf8_lossy(&status.stdout),
                std::fs::read_to_string(eng_dir.path().join("server.log")).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Exactly once: each post is there once (a redelivery is recognised by its activity id).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(arrived(&sales).await, POSTS);
    let status = assert_ok(&with_db(&[
        "admin",
        "federation-status",
        "--format",
        "json",
    ]));
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["pending"], 0, "{status}");
    assert_eq!(status["failed"], 0, "{status}");
    let _ = eng.kill();
    let _ = eng.wait();
}

on_both_backends!(a_crash_in_the_middle_of_delivery_loses_nothing);

/// `groundswell demo`: three departments that already follow each other and have posted;
/// department-only posts stay home.
#[test]
fn the_demo_starts_a_company_that_already_federates() {
    use crate::common::{assert_ok, groundswell_cmd};
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    // Port 0: the demo binds any three free ports and prints them.
    let mut demo = groundswell_cmd()
        .args(["demo", "--base-port", "0", "--data-dir"])
        .arg(dir.path())
        .env("GROUNDSWELL_LOG__LEVEL", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = demo.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        printed.push(line.clone());
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    let text = printed.join("\n");
    // Engineering, Sales, People & HR, in that order.
    let ports: Vec<u16> = text
        .split("http://localhost:")
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect();
    assert!(ports.len() >= 3, "{text}");
    assert!(ports[..3].iter().all(|&p| p != 0), "{text}");
    assert!(text.contains("password:"), "{text}");
    let password = text
        .lines()
        .find_map(|l| l.split("password: ").nth(1))
        .unwrap()
        .trim()
        .to_string();
    assert!(password.len() >= 12);

    let sales_db = format!(
        "sqlite://{}/sales/groundswell.sqlite3",
        dir.path().display()
    );
    let token = assert_ok(
        &groundswell_cmd()
            .args(["admin", "issue-token", "carol", "--scopes", "read"])
            .env("GROUNDSWELL_DATABASE__URL", &sales_db)
            .output()
            .unwrap(),
    )
    .trim()
    .to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let home: Vec<Value> = rt.block_on(async {
        crate::common::http()
            .get(format!(
                "http://127.0.0.1:{}/api/v1/timelines/home",
                ports[1]
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let texts: Vec<String> = home
        .iter()
        .map(|s| s["content"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("Welcome to Groundswell")),
        "Alice's public post from Eng is in Carol's home timeline: {texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("Benefits enrollment")),
        "Erin's post from HR is not there: {texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("Engineering only")),
        "a department-only post left Engineering: {texts:?}"
    );

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &demo.id().to_string()])
        .status();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(demo.wait().unwrap().success());
    assert!(rest.iter().any(|l| l.contains("demo stopped")), "{rest:?}");
}

/// Favourites and boosts of a post, as its author sees them.
async fn counts(f: &Fixture, author: &TestUser, post_id: &str) -> Option<(i64, i64)> {
    let (_, s) = f
        .get(Some(author), &format!("/api/v1/statuses/{post_id}"))
        .await;
    Some((
        s["favourites_count"].as_i64()?,
        s["reblogs_count"].as_i64()?,
    ))
}

/// Taking back a like and a boost, and blocking, reach the other department.
async fn undoing_and_blocking_reach_the_other_department(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
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
    let post_id = eng.status(&alice, json!({"status": "Take it back"})).await;
    let remote = eventually("the post on Sales", || {
        home_has(sales, &bob, "Take it back")
    })
    .await;
    let remote_id = remote["id"].as_str().unwrap().to_string();
    for action in ["favourite", "reblog"] {
        let (code, _) = sales
            .post(
                &bob,
                &format!("/api/v1/statuses/{remote_id}/{action}"),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
    }
    eventually("the like and the boost on Eng", || async {
        let c = counts(eng, &alice, &post_id).await;
        (c == Some((1, 1))).then_some(())
    })
    .await;
    for action in ["unfavourite", "unreblog"] {
        let (code, _) = sales
            .post(
                &bob,
                &format!("/api/v1/statuses/{remote_id}/{action}"),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
    }
    eventually("the undone like and boost on Eng", || async {
        let c = counts(eng, &alice, &post_id).await;
        (c == Some((0, 0))).then_some(())
    })
    .await;
    let (_, notes) = eng.get(Some(&alice), "/api/v1/notifications").await;
    assert!(
        !notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "favourite" || n["type"] == "reblog"),
        "undone interactions are no longer notified: {notes}"
    );

    // Alice blocks Bob: his follow ends on both sides.
    let bob_on_eng = eng
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/lookup?acct=bob@{}", domain(sales)),
        )
        .await
        .1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _) = eng
        .post(
            &alice,
            &format!("/api/v1/accounts/{bob_on_eng}/block"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eventually("the block on Sales", || async {
        let (_, rels) = sales
            .get(
                Some(&bob),
                &format!("/api/v1/accounts/relationships?id[]={alice_on_sales}"),
            )
            .await;
        (rels[0]["following"] == false && rels[0]["blocked_by"] == true).then_some(())
    })
    .await;
    let (_, me) = eng
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["followers_count"], 0);
    // Her next post does not reach him.
    eng.status(&alice, json!({"status": "After the block"}))
        .await;
    let (code, _) = eng
        .post(
            &alice,
            &format!("/api/v1/accounts/{bob_on_eng}/unblock"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eventually("the unblock on Sales", || async {
        let (_, rels) = sales
            .get(
                Some(&bob),
                &format!("/api/v1/accounts/relationships?id[]={alice_on_sales}"),
            )
            .await;
        (rels[0]["blocked_by"] == false).then_some(())
    })
    .await;
    assert!(home_has(sales, &bob, "After the block").await.is_none());
}

/// Two app nodes of Eng on one PostgreSQL database share the delivery work: every post
/// reaches Sales once, and no delivery is attempted twice.
#[actix_web::test]
async fn two_app_nodes_on_one_database_deliver_each_activity_once() {
    crate::common::scenario(two_app_nodes_on_one_database_deliver_each_activity_once_body()).await
}

async fn two_app_nodes_on_one_database_deliver_each_activity_once_body() {
    let deps = departments(TestDb::postgres(), 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    // A second node of Eng: same database and settings, its own listen port.
    let mut settings = (*eng.ctx.settings).clone();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    let (node2, node2_ctx) = crate::common::start_server(settings).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
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
    const POSTS: usize = 30;
    for n in 0..POSTS {
        // Alternate nodes, as a load balancer would.
        let base = if n % 2 == 0 {
            eng.base.clone()
        } else {
            format!("http://{}", node2.addr)
        };
        let resp = eng
            .client
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&alice.token)
            .json(&json!({"status": format!("Two nodes {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let count = || async {
        sales
            .ctx
            .db
            .read(|conn| {
                use diesel::prelude::*;
                use groundswell::db::schema::statuses;
                Ok(statuses::table
                    .filter(statuses::content.like("%Two nodes%"))
                    .count()
                    .get_result::<i64>(conn)?)
            })
            .await
            .unwrap() as usize
    };
    eventually("every post on Sales", || async {
        (count().await == POSTS).then_some(())
    })
    .await;
    // The sender records each delivery just after the answer: wait for the queue to drain.
    let attempts: Vec<i32> = eventually("every delivery recorded", || async {
        let rows: Vec<(i32, bool)> = eng
            .ctx
            .db
            .read(|conn| {
                use diesel::prelude::*;
                use groundswell::db::schema::deliveries;
                Ok(deliveries::table
                    .select((deliveries::attempts, deliveries::delivered_at.is_not_null()))
                    .load(conn)?)
            })
            .await
            .unwrap();
        rows.iter()
            .all(|(_, done)| *done)
            .then(|| rows.iter().map(|(a, _)| *a).collect())
    })
    .await;
    assert!(attempts.len() > POSTS, "{attempts:?}");
    assert!(
        attempts.iter().all(|&a| a == 1),
        "a delivery was attempted more than once: {attempts:?}"
    );
    node2_ctx.events.shutdown();
    node2.handle.stop(true).await;
}

on_both_backends!(undoing_and_blocking_reach_the_other_department);
