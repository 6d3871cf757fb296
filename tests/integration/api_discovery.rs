//! Finding and shutting out: an employee's blocks of other departments, follow suggestions,
//! trends, the link timeline and the instance's activity, languages and privacy policy.

use serde_json::{Value, json};

use crate::common::*;
use crate::federation::{departments, domain, eventually, home_has, notification, resolve};
use crate::on_both_backends;

fn texts(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|s| {
            let s = if s["reblog"].is_object() {
                &s["reblog"]
            } else {
                s
            };
            s["content"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

fn has(list: &Value, needle: &str) -> bool {
    texts(list).iter().any(|t| t.contains(needle))
}

async fn send(
    f: &Fixture,
    user: &TestUser,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value, String) {
    let resp = f
        .client
        .request(method, f.url(path))
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let link = resp
        .headers()
        .get("link")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, resp.json().await.unwrap_or(Value::Null), link)
}

/// The path (and query) of the `rel` link of a `Link` header.
fn link_path(link: &str, rel: &str) -> String {
    let url = link
        .split(", ")
        .find(|l| l.ends_with(&format!("rel=\"{rel}\"")))
        .and_then(|l| l.strip_prefix('<'))
        .and_then(|l| l.split('>').next())
        .unwrap_or_else(|| panic!("a {rel} link: {link}"));
    let url = url::Url::parse(url).unwrap();
    format!("{}?{}", url.path(), url.query().unwrap_or_default())
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

/// Alice of Engineering blocks the Sales department: its posts, boosts of them and its
/// notifications leave her timelines, her follows with Sales end on both sides, nobody
/// follows across the block, and the relationship says so; lifting it brings the posts back.
async fn an_employee_blocks_a_department(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let dave = eng.user("dave").await;
    let bob = sales.user("bob").await;
    let sales_domain = domain(sales);

    // Alice and Bob follow each other; Alice follows Dave too.
    let bob_on_eng = resolve(eng, &alice, &format!("bob@{sales_domain}")).await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
    eng.post(
        &alice,
        &format!("/api/v1/accounts/{bob_on_eng}/follow"),
        json!({}),
    )
    .await;
    sales
        .post(
            &bob,
            &format!("/api/v1/accounts/{alice_on_sales}/follow"),
            json!({}),
        )
        .await;
    eng.post(
        &alice,
        &format!("/api/v1/accounts/{}/follow", dave.id),
        json!({}),
    )
    .await;
    eventually("both follows accepted", || async {
        let mine = relationship(eng, &alice, &bob_on_eng).await;
        let his = relationship(sales, &bob, &alice_on_sales).await;
        (mine["following"] == true && his["following"] == true).then_some(())
    })
    .await;

    // Bob posts and mentions her; Dave boosts Bob's post.
    sales
        .status(&bob, json!({"status": "Sales figures are in #quarterly"}))
        .await;
    sales
        .status(
            &bob,
            json!({"status": format!("@alice@{} lunch?", domain(eng))}),
        )
        .await;
    let post = eventually("Bob's post on Eng", || {
        home_has(eng, &alice, "Sales figures")
    })
    .await;
    let post_id = post["id"].as_str().unwrap().to_string();
    eventually("the mention on Eng", || {
        notification(eng, &alice, "mention")
    })
    .await;
    let (code, _) = eng
        .post(
            &dave,
            &format!("/api/v1/statuses/{post_id}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eng.status(&dave, json!({"status": "Own news from Dave"}))
        .await;
    let (_, home) = eng.get(Some(&alice), "/api/v1/timelines/home").await;
    assert_eq!(
        texts(&home)
            .iter()
            .filter(|t| t.contains("Sales figures"))
            .count(),
        2,
        "the post and Dave's boost of it: {home}"
    );

    // Wrong scope, blank domain and her own department are refused.
    let narrow = eng.user_with_scopes("erin", "read:blocks").await;
    let body = json!({"domain": sales_domain});
    let (code, _, _) = send(
        eng,
        &narrow,
        reqwest::Method::POST,
        "/api/v1/domain_blocks",
        body.clone(),
    )
    .await;
    assert_eq!(code, 403);
    let reader = eng.user_with_scopes("frank", "write:blocks").await;
    assert_eq!(eng.get(Some(&reader), "/api/v1/domain_blocks").await.0, 403);
    assert_eq!(eng.get(None, "/api/v1/domain_blocks").await.0, 401);
    let (code, err, _) = send(
        eng,
        &alice,
        reqwest::Method::POST,
        "/api/v1/domain_blocks",
        json!({}),
    )
    .await;
    assert_eq!(code, 422, "{err}");
    assert!(err["error"].as_str().unwrap().contains("blank"), "{err}");
    let own = json!({"domain": domain(eng)});
    let (code, err, _) = send(
        eng,
        &alice,
        reqwest::Method::POST,
        "/api/v1/domain_blocks",
        own,
    )
    .await;
    assert_eq!(code, 422, "{err}");
    assert!(err["error"].is_string());

    // She blocks Sales.
    let (code, answer, _) = send(
        eng,
        &alice,
        reqwest::Method::POST,
        "/api/v1/domain_blocks",
        body.clone(),
    )
    .await;
    assert_eq!((code, answer), (200, json!({})));
    let (code, list) = eng.get(Some(&alice), "/api/v1/domain_blocks").await;
    assert_eq!((code, list), (200, json!([sales_domain])));

    let (_, home) = eng.get(Some(&alice), "/api/v1/timelines/home").await;
    assert!(!has(&home, "Sales figures"), "nor Dave's boost: {home}");
    assert!(has(&home, "Own news from Dave"), "{home}");
    for path in [
        "/api/v1/timelines/public",
        "/api/v1/timelines/public?remote=true",
        "/api/v1/timelines/tag/quarterly",
    ] {
        let (_, mine) = eng.get(Some(&alice), path).await;
        assert!(!has(&mine, "Sales figures"), "{path}: {mine}");
        let (_, daves) = eng.get(Some(&dave), path).await;
        assert!(has(&daves, "Sales figures"), "{path} for Dave: {daves}");
    }
    let (_, notes) = eng.get(Some(&alice), "/api/v1/notifications").await;
    assert!(
        !notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention"),
        "{notes}"
    );
    // The post itself stays readable, as on Mastodon.
    assert_eq!(
        eng.get(Some(&alice), &format!("/api/v1/statuses/{post_id}"))
            .await
            .0,
        200
    );

    let rel = relationship(eng, &alice, &bob_on_eng).await;
    assert_eq!(rel["domain_blocking"], true, "{rel}");
    assert_eq!(rel["following"], false, "{rel}");
    assert_eq!(rel["followed_by"], false, "{rel}");
    assert_eq!(
        relationship(eng, &alice, &dave.id).await["domain_blocking"],
        false
    );
    // Sales hears that both follows ended.
    eventually("the follows ended on Sales", || async {
        let his = relationship(sales, &bob, &alice_on_sales).await;
        (his["following"] == false && his["followed_by"] == false).then_some(())
    })
    .await;
    let (code, _) = eng
        .post(
            &alice,
            &format!("/api/v1/accounts/{bob_on_eng}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(code, 403, "no follow across the block");

    // A new mention from Sales makes no notification.
    sales
        .status(
            &bob,
            json!({"status": format!("@alice@{} are you there?", domain(eng))}),
        )
        .await;
    eventually("Bob's mention on Eng", || async {
        let (_, public) = eng.get(Some(&dave), "/api/v1/timelines/public").await;
        has(&public, "are you there").then_some(())
    })
    .await;
    let (_, notes) = eng.get(Some(&alice), "/api/v1/notifications").await;
    assert!(
        !notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention"),
        "{notes}"
    );

    // The list pages with Link headers, newest first; the others' lists are their own.
    let other = json!({"domain": "Other.Example"});
    let (code, _, _) = send(
        eng,
        &alice,
        reqwest::Method::POST,
        "/api/v1/domain_blocks",
        other,
    )
    .await;
    assert_eq!(code, 200);
    let (code, first, link) = send(
        eng,
        &alice,
        reqwest::Method::GET,
        "/api/v1/domain_blocks?limit=1",
        json!({}),
    )
    .await;
    assert_eq!((code, first), (200, json!(["other.example"])));
    let (_, second) = eng.get(Some(&alice), &link_path(&link, "next")).await;
    assert_eq!(second, json!([sales_domain]));
    assert_eq!(
        eng.get(Some(&dave), "/api/v1/domain_blocks").await.1,
        json!([])
    );

    // Lifted: Bob's posts are back in her public timelines (the follows stay ended).
    let (code, answer, _) = send(
        eng,
        &alice,
        reqwest::Method::DELETE,
        "/api/v1/domain_blocks",
        body,
    )
    .await;
    assert_eq!((code, answer), (200, json!({})));
    assert_eq!(
        eng.get(Some(&alice), "/api/v1/domain_blocks").await.1,
        json!(["other.example"])
    );
    let (_, public) = eng.get(Some(&alice), "/api/v1/timelines/public").await;
    assert!(has(&public, "Sales figures"), "{public}");
    let rel = relationship(eng, &alice, &bob_on_eng).await;
    assert_eq!(
        (rel["domain_blocking"].clone(), rel["following"].clone()),
        (json!(false), json!(false))
    );
}

on_both_backends!(an_employee_blocks_a_department);

fn accts(list: &Value, at: &str) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|s| {
            let account = if at.is_empty() { s } else { &s[at] };
            account["username"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Suggestions: colleagues who share my hashtags first, then those my follows follow, then
/// the most followed; never someone I follow, block, mute or dismissed, nor someone who is
/// not discoverable; in Mastodon 4.3's shape; scopes checked.
async fn suggestions_rank_colleagues_by_what_they_share(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let dan = f.user("dan").await;
    let erin = f.user("erin").await;
    let frank = f.user("frank").await;
    let gina = f.user("gina").await;
    let hidden = f.user("heidi").await;
    let ivan = f.user("ivan").await;
    let judy = f.user("judy").await;
    let follow = |who: &TestUser, whom: &TestUser| {
        let path = format!("/api/v1/accounts/{}/follow", whom.id);
        let who = who.clone();
        let f = &f;
        async move {
            let (code, body) = f.post(&who, &path, json!({})).await;
            assert_eq!(code, 200, "{body}");
        }
    };
    // Bob shares a hashtag with Alice (one she uses, one she follows; his private post's
    // hashtag does not count).
    f.status(&alice, json!({"status": "Learning #rust"})).await;
    f.post(&alice, "/api/v1/tags/testing/follow", json!({}))
        .await;
    f.status(&bob, json!({"status": "#rust and #testing tips"}))
        .await;
    f.status(&ivan, json!({"status": "#rust too"})).await;
    f.status(
        &gina,
        json!({"status": "#rust in private", "visibility": "private"}),
    )
    .await;
    // Alice follows Carol, who follows Dan: a friend of a friend.
    follow(&alice, &carol).await;
    follow(&carol, &dan).await;
    // Erin is followed most.
    follow(&frank, &erin).await;
    follow(&gina, &erin).await;
    follow(&dan, &erin).await;
    // Heidi is not discoverable; Alice blocks Ivan and mutes Judy.
    let (code, _, _) = send(
        &f,
        &hidden,
        reqwest::Method::PATCH,
        "/api/v1/accounts/update_credentials",
        json!({"discoverable": false}),
    )
    .await;
    assert_eq!(code, 200);
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/block", ivan.id),
        json!({}),
    )
    .await;
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/mute", judy.id),
        json!({}),
    )
    .await;

    let (code, list) = f.get(Some(&alice), "/api/v2/suggestions").await;
    assert_eq!(code, 200, "{list}");
    let names = accts(&list, "account");
    assert_eq!(&names[..3], ["bob", "dan", "erin"], "{list}");
    for absent in ["alice", "carol", "heidi", "ivan", "judy"] {
        assert!(!names.contains(&absent.to_string()), "{absent}: {names:?}");
    }
    assert!(names.contains(&"frank".to_string()) && names.contains(&"gina".to_string()));
    assert_eq!(list[0]["sources"], json!(["similar_to_recently_followed"]));
    assert_eq!(list[0]["source"], "past_interactions");
    assert_eq!(list[1]["sources"], json!(["friends_of_friends"]));
    assert_eq!(list[2]["sources"], json!(["most_followed"]));
    assert_eq!(list[2]["source"], "global");
    let snapshot = crate::snapshots::normalise(&list[0], &f.base);
    insta::assert_json_snapshot!("suggestion", snapshot);

    let (_, two) = f.get(Some(&alice), "/api/v2/suggestions?limit=2").await;
    assert_eq!(accts(&two, "account"), ["bob", "dan"]);
    let (_, v1) = f.get(Some(&alice), "/api/v1/suggestions?limit=2").await;
    assert_eq!(
        accts(&v1, ""),
        ["bob", "dan"],
        "v1 lists the accounts alone"
    );

    // Dismissed for good; an unknown account is not found.
    let (code, body, _) = send(
        &f,
        &alice,
        reqwest::Method::DELETE,
        &format!("/api/v1/suggestions/{}", bob.id),
        json!({}),
    )
    .await;
    assert_eq!((code, body), (200, json!({})));
    let (_, after) = f.get(Some(&alice), "/api/v2/suggestions").await;
    assert_eq!(accts(&after, "account")[0], "dan", "{after}");
    assert!(!accts(&after, "account").contains(&"bob".to_string()));
    let (code, _, _) = send(
        &f,
        &alice,
        reqwest::Method::DELETE,
        "/api/v1/suggestions/999999",
        json!({}),
    )
    .await;
    assert_eq!(code, 404);
    // Following someone takes them off.
    follow(&alice, &dan).await;
    let (_, after) = f.get(Some(&alice), "/api/v2/suggestions?limit=1").await;
    assert_eq!(accts(&after, "account"), ["erin"]);

    let narrow = f.user_with_scopes("kim", "write").await;
    assert_eq!(f.get(Some(&narrow), "/api/v2/suggestions").await.0, 403);
    assert_eq!(f.get(Some(&narrow), "/api/v1/suggestions").await.0, 403);
    assert_eq!(f.get(None, "/api/v2/suggestions").await.0, 401);
    f.stop().await;
}

on_both_backends!(suggestions_rank_colleagues_by_what_they_share);

/// Trends come from public posts of at least `metrics.min_group_size` accounts: hashtags and
/// links with a day-by-day history, posts by favourites and boosts; department-only,
/// followers-only and direct posts never make anything trend, nor one employee alone. The
/// link timeline lists the posts linking to a URL, as the public timeline would show them.
async fn trends_and_the_link_timeline(db: TestDb) {
    let f = Fixture::start_with(db, |s| s.metrics.min_group_size = 3).await;
    let (a, b, c, d) = (
        f.user("amy").await,
        f.user("ben").await,
        f.user("cat").await,
        f.user("dov").await,
    );
    let roadmap = "https://intranet.example/roadmap";
    for who in [&a, &b, &c] {
        f.status(
            who,
            json!({"status": format!("The #launch plan: {roadmap}")}),
        )
        .await;
        f.status(who, json!({"status": "#quarterly numbers"})).await;
        // Never trending: kept in the department, for followers, or direct.
        f.status(
            who,
            json!({"status": "#secret https://secret.example/x", "visibility": "local"}),
        )
        .await;
        f.status(
            who,
            json!({"status": "#private https://private.example/", "visibility": "private"}),
        )
        .await;
        f.status(
            who,
            json!({"status": "@dov #direct https://direct.example/", "visibility": "direct"}),
        )
        .await;
    }
    f.status(&a, json!({"status": "#launch again"})).await;
    // One employee alone never trends, however often.
    for _ in 0..5 {
        f.status(&d, json!({"status": "#solo https://solo.example/"}))
            .await;
    }
    let big = f.status(&d, json!({"status": "Big news"})).await;
    let small = f.status(&d, json!({"status": "Small news"})).await;
    for (who, action, post) in [
        (&a, "favourite", &big),
        (&b, "favourite", &big),
        (&c, "reblog", &big),
        (&a, "favourite", &small),
        (&b, "reblog", &small),
        (&d, "favourite", &small),
    ] {
        let (code, body) = f
            .post(who, &format!("/api/v1/statuses/{post}/{action}"), json!({}))
            .await;
        assert_eq!(code, 200, "{body}");
    }
    // A department-only post and a followers-only post link to the roadmap too.
    f.status(
        &d,
        json!({"status": format!("Inside: {roadmap}"), "visibility": "local"}),
    )
    .await;
    f.status(
        &d,
        json!({"status": format!("Followers: {roadmap}"), "visibility": "private"}),
    )
    .await;

    let (code, tags) = f.get(None, "/api/v1/trends/tags").await;
    assert_eq!(code, 200, "{tags}");
    let names: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["launch", "quarterly"], "{tags}");
    let history = tags[0]["history"].as_array().unwrap();
    assert_eq!(history.len(), 7);
    assert_eq!(history[0]["uses"], "4");
    assert_eq!(history[0]["accounts"], "3");
    assert_eq!(history[1]["uses"], "0");
    let today: i64 = history[0]["day"].as_str().unwrap().parse().unwrap();
    let yesterday: i64 = history[1]["day"].as_str().unwrap().parse().unwrap();
    assert_eq!((today - yesterday, today % 86_400), (86_400, 0));
    assert_eq!(
        f.get(None, "/api/v1/trends").await.1,
        tags,
        "the older path"
    );
    let (_, signed_in) = f.get(Some(&a), "/api/v1/trends/tags").await;
    assert_eq!(signed_in[0]["following"], false);
    let (code, first, link) = send(
        &f,
        &a,
        reqwest::Method::GET,
        "/api/v1/trends/tags?limit=1",
        json!({}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(first[0]["name"], "launch");
    let (_, second) = f.get(Some(&a), &link_path(&link, "next")).await;
    assert_eq!(second[0]["name"], "quarterly", "{link}");
    let mut shape = tags[0].clone();
    shape["history"] = json!([shape["history"][0].clone()]);
    shape["history"][0]["day"] = json!("[day]");
    insta::assert_json_snapshot!("trend_tag", crate::snapshots::normalise(&shape, &f.base));

    let (code, statuses) = f.get(Some(&a), "/api/v1/trends/statuses").await;
    assert_eq!(code, 200, "{statuses}");
    assert_eq!(
        texts(&statuses),
        ["<p>Big news</p>"],
        "its author's like does not count"
    );
    assert_eq!(statuses[0]["favourited"], true);

    let (code, links) = f.get(None, "/api/v1/trends/links").await;
    assert_eq!(code, 200, "{links}");
    assert_eq!(links.as_array().unwrap().len(), 1, "{links}");
    assert_eq!(links[0]["url"], roadmap);
    assert_eq!(links[0]["title"], roadmap);
    assert_eq!(links[0]["history"][0]["accounts"], "3");
    let mut shape = links[0].clone();
    shape["history"] = json!([shape["history"][0].clone()]);
    shape["history"][0]["day"] = json!("[day]");
    insta::assert_json_snapshot!("trend_link", crate::snapshots::normalise(&shape, &f.base));

    // The link timeline: public posts for everyone, department-only ones for employees
    // signed in here, followers-only ones for followers only.
    let path = format!("/api/v1/timelines/link?url={roadmap}");
    let (code, anonymous) = f.get(None, &path).await;
    assert_eq!(code, 200, "{anonymous}");
    assert_eq!(anonymous.as_array().unwrap().len(), 3, "{anonymous}");
    let (_, employee) = f.get(Some(&a), &path).await;
    assert_eq!(employee.as_array().unwrap().len(), 4, "{employee}");
    assert!(has(&employee, "Inside"));
    assert!(!has(&employee, "Followers:"));
    let (code, first, link) = send(
        &f,
        &a,
        reqwest::Method::GET,
        &format!("{path}&limit=2"),
        json!({}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(first.as_array().unwrap().len(), 2);
    let (_, rest) = f.get(Some(&a), &link_path(&link, "next")).await;
    assert_eq!(rest.as_array().unwrap().len(), 2, "{link}");
    assert_ne!(first[1]["id"], rest[0]["id"]);
    let (code, none) = f
        .get(
            Some(&a),
            "/api/v1/timelines/link?url=https://nowhere.example/",
        )
        .await;
    assert_eq!((code, none), (200, json!([])));
    let (code, err) = f.get(Some(&a), "/api/v1/timelines/link").await;
    assert_eq!(code, 400, "{err}");
    assert!(err["error"].is_string());
    f.stop().await;
}

on_both_backends!(trends_and_the_link_timeline);

/// The department's weekly activity (counts of people below `metrics.min_group_size` shown
/// as "0"), its languages and its privacy policy.
async fn instance_activity_languages_and_privacy_policy(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let policy = write_file(
        dir.path(),
        "privacy.md",
        "# Our policy\n\nWe keep *little*.\n",
    );
    let f = Fixture::start_with(db, |s| s.metrics.min_group_size = 3).await;
    let (a, b, c) = (
        f.user("amy").await,
        f.user("ben").await,
        f.user("cat").await,
    );
    for who in [&a, &b] {
        f.status(who, json!({"status": "Hello"})).await;
    }
    f.status(&c, json!({"status": "Hi", "visibility": "direct"}))
        .await;

    let (code, weeks) = f.get(None, "/api/v1/instance/activity").await;
    assert_eq!(code, 200, "{weeks}");
    let weeks = weeks.as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    assert_eq!(weeks[0]["statuses"], "3");
    assert_eq!(weeks[0]["registrations"], "3");
    assert_eq!(weeks[0]["logins"], "3");
    assert_eq!(weeks[1]["statuses"], "0");
    let this: i64 = weeks[0]["week"].as_str().unwrap().parse().unwrap();
    let last: i64 = weeks[1]["week"].as_str().unwrap().parse().unwrap();
    assert_eq!(this - last, 7 * 86_400);
    // A Monday, 00:00 UTC.
    let monday = chrono::DateTime::from_timestamp(this, 0).unwrap();
    assert_eq!(monday.format("%a %H:%M").to_string(), "Mon 00:00");
    // Below the threshold, nobody is counted.
    let fewer = f
        .ctx
        .db
        .read(|conn| groundswell::service::instance::weekly_activity(conn, 4))
        .await
        .unwrap();
    assert_eq!((fewer[0].logins, fewer[0].registrations), (0, 0));
    assert_eq!(fewer[0].statuses, 3);

    let (code, languages) = f.get(None, "/api/v1/instance/languages").await;
    assert_eq!(code, 200);
    let languages = languages.as_array().unwrap();
    assert_eq!(languages.len(), 184);
    assert!(languages.contains(&json!({"code": "en", "name": "English"})));
    assert!(languages.contains(&json!({"code": "de", "name": "German"})));

    let (code, default) = f.get(None, "/api/v1/instance/privacy_policy").await;
    assert_eq!(code, 200, "{default}");
    assert_eq!(default["updated_at"], "2026-12-08T00:00:00.000Z");
    assert!(
        default["content"]
            .as_str()
            .unwrap()
            .starts_with("<h1>Privacy policy</h1>"),
        "{default}"
    );
    let again = f.db.another();
    f.stop().await;

    let path = policy.clone();
    let f = Fixture::start_with(again, move |s| s.instance.privacy_policy_file = Some(path)).await;
    let (code, own) = f.get(None, "/api/v1/instance/privacy_policy").await;
    assert_eq!(code, 200, "{own}");
    assert_eq!(
        own["content"],
        "<h1>Our policy</h1>\n<p>We keep <em>little</em>.</p>\n"
    );
    assert!(own["updated_at"].as_str().unwrap().ends_with('Z'));
    f.stop().await;
}

on_both_backends!(instance_activity_languages_and_privacy_policy);
