//! The policy engine: the rules a department admin writes hold for every post — written
//! here, edited later, or arriving from another department — and for what leaves.

use diesel::prelude::*;
use serde_json::{Value, json};

use crate::api_media::{photo, upload};
use crate::common::*;
use crate::federation::{departments, domain, eventually, home_has, notification, resolve};
use crate::on_both_backends;
use crate::write_path::follow;
use groundswell::service::users::{self, Role};

/// An employee with `role`, holding a token with the scopes of an admin tool.
pub(crate) async fn staff(f: &Fixture, username: &str, role: Role) -> TestUser {
    let user = f
        .user_with_scopes(username, "read write follow admin:read admin:write")
        .await;
    let name = username.to_string();
    f.ctx
        .db
        .write(move |conn| users::set_role(conn, &name, role).map(drop))
        .await
        .unwrap();
    user
}

/// Replace the department's rules with `toml` (a rule file), as `admin`.
pub(crate) async fn set_rules(f: &Fixture, admin: &TestUser, toml: &str) -> Value {
    let (code, body) = import(f, admin, toml).await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn import(f: &Fixture, user: &TestUser, toml: &str) -> (u16, Value) {
    let resp = f
        .client
        .post(f.url("/api/v1/groundswell/admin/policy/import"))
        .bearer_auth(&user.token)
        .header("Content-Type", "application/toml")
        .body(toml.to_string())
        .send()
        .await
        .unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn post(f: &Fixture, user: &TestUser, body: Value) -> (u16, Value) {
    f.post(user, "/api/v1/statuses", body).await
}

async fn edit(f: &Fixture, user: &TestUser, id: &str, body: Value) -> (u16, Value) {
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn status(f: &Fixture, user: Option<&TestUser>, id: &str) -> (u16, Value) {
    f.get(user, &format!("/api/v1/statuses/{id}")).await
}

/// The ids in a list of statuses (a timeline, an account's posts).
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn media_id(f: &Fixture, user: &TestUser) -> String {
    let (code, media) = upload(f, user, photo(64, 48), Some("a chart")).await;
    assert_eq!(code, 200, "{media}");
    media["id"].as_str().unwrap().to_string()
}

/// Refused with 422, naming the rule.
fn refused_by(code: u16, body: &Value, rule: &str) {
    assert_eq!(code, 422, "{body}");
    let error = body["error"].as_str().unwrap_or_default();
    assert!(error.contains(rule), "the error names the rule: {error}");
}

async fn held_list(f: &Fixture, moderator: &TestUser) -> Value {
    let (code, held) = f
        .get(Some(moderator), "/api/v1/groundswell/admin/held_statuses")
        .await;
    assert_eq!(code, 200, "{held}");
    held
}

async fn approve(f: &Fixture, moderator: &TestUser, id: &str) -> Value {
    let (code, body) = f
        .post(
            moderator,
            &format!("/api/v1/groundswell/admin/held_statuses/{id}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn rule_by_name(f: &Fixture, admin: &TestUser, name: &str) -> Value {
    let (code, list) = f
        .get(Some(admin), "/api/v1/groundswell/admin/policy/rules")
        .await;
    assert_eq!(code, 200, "{list}");
    list["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no rule {name} in {list}"))
}

fn set_department(f: &Fixture, account_id: &str, department: &str) {
    use groundswell::db::schema::users;
    let id: i64 = account_id.parse().unwrap();
    diesel::update(users::table.filter(users::account_id.eq(id)))
        .set(users::department.eq(Some(department)))
        .execute(&mut f.db.connect())
        .unwrap();
}

fn make_old(f: &Fixture, account_id: &str, days: i64) {
    use groundswell::db::schema::accounts;
    let id: i64 = account_id.parse().unwrap();
    let then = chrono::Utc::now().naive_utc() - chrono::Duration::days(days);
    diesel::update(accounts::table.find(id))
        .set(accounts::created_at.eq(then))
        .execute(&mut f.db.connect())
        .unwrap();
}

/// Each condition of the rule file decides on an employee's post: a post that meets it is
/// refused naming the rule, one that does not is published.
async fn every_condition_decides_on_local_posts(db: TestDb) {
    conditions_decide(db, false).await
}

on_both_backends!(every_condition_decides_on_local_posts);

/// The same conditions decide on an edit: an edit into a post that meets one is refused (the
/// post keeps its text), one into a post that does not is made.
async fn every_condition_decides_on_edits(db: TestDb) {
    conditions_decide(db, true).await
}

on_both_backends!(every_condition_decides_on_edits);

async fn conditions_decide(db: TestDb, by_edit: bool) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    // Tokens are used only after the sign-in data they are cached with is set.
    let alice = f.user("alice").await;
    set_department(&f, &alice.id, "Sales Ops");
    let bob = f.user("bob").await;
    make_old(&f, &bob.id, 30);
    f.user("carol").await;
    f.user("dave").await;
    // A fresh upload for each post that carries one (a published post keeps its media).
    let mut media = Vec::new();
    for _ in 0..6 {
        media.push(media_id(&f, &alice).await);
    }
    let own = domain(&f);

    // (conditions, author, post, whether the post meets them): each condition once with a
    // post it describes and once with one it does not.
    let refused = true;
    let cases: Vec<(String, &TestUser, Value, bool)> = vec![
        (
            r#"keyword = ["acme corp"]"#.into(),
            &alice,
            json!({"status": "Lunch with ACME   Corp today"}),
            refused,
        ),
        (
            r#"keyword = ["acme corp"]"#.into(),
            &alice,
            json!({"status": "acmecorp is a word, the acme corporation another"}),
            !refused,
        ),
        (
            r#"keyword = "acme corp""#.into(),
            &alice,
            json!({"status": "see inside", "spoiler_text": "About Acme Corp"}),
            refused,
        ),
        (
            r#"keyword = "acme corp""#.into(),
            &alice,
            json!({"status": "see inside", "spoiler_text": "About Initech"}),
            !refused,
        ),
        (
            r#"regex = "(?i)\\bq[1-4] numbers\\b""#.into(),
            &alice,
            json!({"status": "The Q3 numbers are in"}),
            refused,
        ),
        (
            r#"regex = "(?i)\\bq[1-4] numbers\\b""#.into(),
            &alice,
            json!({"status": "The q5 numbers are in"}),
            !refused,
        ),
        (
            r#"hashtag = ["Confidential"]"#.into(),
            &alice,
            json!({"status": "the plan #confidential"}),
            refused,
        ),
        (
            r#"hashtag = ["Confidential"]"#.into(),
            &alice,
            json!({"status": "the confidential plan"}),
            !refused,
        ),
        (
            "mentions_over = 2".into(),
            &alice,
            json!({"status": "@bob @carol @dave meet?"}),
            refused,
        ),
        (
            "mentions_over = 2".into(),
            &alice,
            json!({"status": "@bob @carol meet?"}),
            !refused,
        ),
        (
            "has_media = true".into(),
            &alice,
            json!({"status": "chart", "media_ids": [media[0]]}),
            refused,
        ),
        (
            "has_media = true".into(),
            &alice,
            json!({"status": "no chart"}),
            !refused,
        ),
        (
            r#"media_type = ["image/jpeg", "video/*"]"#.into(),
            &alice,
            json!({"status": "chart", "media_ids": [media[1]]}),
            refused,
        ),
        (
            r#"media_type = ["image/png", "video"]"#.into(),
            &alice,
            json!({"status": "chart", "media_ids": [media[2]]}),
            !refused,
        ),
        (
            "media_bytes_over = 100".into(),
            &alice,
            json!({"status": "chart", "media_ids": [media[3]]}),
            refused,
        ),
        (
            "media_bytes_over = 100000000".into(),
            &alice,
            json!({"status": "chart", "media_ids": [media[4]]}),
            !refused,
        ),
        (
            r#"link_domain = ["wetransfer.com"]"#.into(),
            &alice,
            json!({"status": "files at https://files.WeTransfer.com/abc"}),
            refused,
        ),
        (
            r#"link_domain = ["wetransfer.com"]"#.into(),
            &alice,
            json!({"status": "files at https://wetransfer.com.example/abc and https://drive.corp.example/x"}),
            !refused,
        ),
        (
            r#"visibility = ["direct", "department_only"]"#.into(),
            &alice,
            json!({"status": "inside only", "visibility": "local"}),
            refused,
        ),
        (
            r#"visibility = ["direct", "department_only"]"#.into(),
            &alice,
            json!({"status": "for the company", "visibility": "public"}),
            !refused,
        ),
        (
            r#"author_role = ["employee"]"#.into(),
            &alice,
            json!({"status": "hello"}),
            refused,
        ),
        (
            r#"author_role = ["employee"]"#.into(),
            &admin,
            json!({"status": "hello"}),
            !refused,
        ),
        (
            r#"author_department = ["sales ops"]"#.into(),
            &alice,
            json!({"status": "hello"}),
            refused,
        ),
        (
            r#"author_department = ["sales ops"]"#.into(),
            &bob,
            json!({"status": "hello"}),
            !refused,
        ),
        (
            "account_age_days_under = 7".into(),
            &alice,
            json!({"status": "hello"}),
            refused,
        ),
        (
            "account_age_days_under = 7".into(),
            &bob,
            json!({"status": "hello"}),
            !refused,
        ),
        (
            format!(r#"origin_domain = ["{own}"]"#),
            &alice,
            json!({"status": "hello"}),
            refused,
        ),
        (
            r#"origin_domain = ["sales.corp.example"]"#.into(),
            &alice,
            json!({"status": "hello"}),
            !refused,
        ),
        (
            r#"direction = ["local"]"#.into(),
            &alice,
            json!({"status": "hello"}),
            refused,
        ),
        (
            r#"direction = ["inbound"]"#.into(),
            &alice,
            json!({"status": "hello"}),
            !refused,
        ),
        (
            r#"all = [ { hashtag = "x" }, { not = { keyword = "ok" } } ]"#.into(),
            &alice,
            json!({"status": "#x is bad"}),
            refused,
        ),
        (
            r#"all = [ { hashtag = "x" }, { not = { keyword = "ok" } } ]"#.into(),
            &alice,
            json!({"status": "#x is ok"}),
            !refused,
        ),
        (
            r#"any = [ { keyword = "alpha" }, { keyword = "beta" } ]"#.into(),
            &alice,
            json!({"status": "beta release"}),
            refused,
        ),
        (
            r#"any = [ { keyword = "alpha" }, { keyword = "beta" } ]"#.into(),
            &alice,
            json!({"status": "gamma release"}),
            !refused,
        ),
    ];
    for (i, (when, author, body, meets)) in cases.into_iter().enumerate() {
        let name = format!("Rule {i}");
        let rule = format!(
            "[[rule]]\nname = \"{name}\"\nwhen = {{ {when} }}\naction = \"reject\"\nexplain = \"Because.\"\n"
        );
        let (code, answer) = if by_edit {
            // A post no rule stops, then the rule, then the edit.
            set_rules(&f, &admin, "").await;
            let mut neutral = json!({"status": "neutral words"});
            if let Some(visibility) = body.get("visibility") {
                neutral["visibility"] = visibility.clone();
            }
            let id = f.status(author, neutral).await;
            set_rules(&f, &admin, &rule).await;
            let mut change = body.clone();
            change.as_object_mut().unwrap().remove("visibility");
            edit(&f, author, &id, change).await
        } else {
            set_rules(&f, &admin, &rule).await;
            post(&f, author, body.clone()).await
        };
        if meets {
            refused_by(code, &answer, &name);
            assert!(answer["error"].as_str().unwrap().contains("Because."));
            assert_eq!(answer["policy"][0]["rule"], name, "{answer}");
        } else {
            assert_eq!(code, 200, "{when} should let {body} through: {answer}");
        }
    }
    // Nothing refused was stored: alice's statuses are the ones let through.
    let (_, mine) = f
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/{}/statuses?limit=40", alice.id),
        )
        .await;
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|s| !s["content"].as_str().unwrap().contains("Q3")),
        "{mine}"
    );
    f.stop().await;
}

const ACTIONS: &str = r#"
[[rule]]
name = "No file-sharing links"
when = { link_domain = ["wetransfer.com"] }
action = "reject"
explain = "Share files through the company drive instead."

[[rule]]
name = "Customer names are reviewed first"
when = { keyword = ["acme corp", "globex"] }
action = "hold"
explain = "Posts that name a customer are checked by a moderator before they appear."

[[rule]]
name = "Confidential stays in the department"
when = { hashtag = ["confidential"] }
action = "department_only"

[[rule]]
name = "No screenshots of dashboards"
when = { hashtag = ["dashboard"] }
action = "strip_media"

[[rule]]
name = "Spoilers"
when = { hashtag = ["spoiler"] }
action = "content_warning"
warning = "Spoilers ahead"

[[rule]]
name = "Medical"
when = { hashtag = ["medical"] }
action = "sensitive"

[[rule]]
name = "Long mention lists"
when = { mentions_over = 2 }
action = "flag"
"#;

/// Each action does what it says to an employee's post: refuse it, hold it for review, keep
/// it in the department, strip its media, put it behind a warning, mark it sensitive, or let
/// it through and tell the moderators.
async fn every_action_on_local_posts(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f.user("alice").await;
    let carol = f.user("carol").await;
    f.user("bob").await;
    follow(&f, &carol, &alice.id, json!({})).await;
    set_rules(&f, &admin, ACTIONS).await;

    // Reject: 422 with the rule and its explanation; nothing stored.
    let (code, body) = post(
        &f,
        &alice,
        json!({"status": "big file: https://wetransfer.com/x"}),
    )
    .await;
    refused_by(code, &body, "No file-sharing links");
    assert!(body["error"].as_str().unwrap().contains("company drive"));
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["statuses_count"], 0, "a refused post is not counted");

    // Hold: stored, shown to its author as held, to nobody else until approved.
    let (code, held) = post(&f, &alice, json!({"status": "Call with Acme Corp, @bob"})).await;
    assert_eq!(code, 200, "{held}");
    assert_eq!(held["held_for_review"], "post");
    assert_eq!(held["policy"]["outcome"], "hold");
    assert!(
        held["policy"]["matches"][0]["explain"]
            .as_str()
            .unwrap()
            .contains("moderator")
    );
    let held_id = held["id"].as_str().unwrap().to_string();
    assert_eq!(status(&f, Some(&alice), &held_id).await.0, 200);
    assert_eq!(status(&f, Some(&carol), &held_id).await.0, 404);
    assert!(home_has(&f, &carol, "Acme Corp").await.is_none());
    let told = notification(&f, &moderator, "admin.policy_hold")
        .await
        .expect("moderator told");
    assert_eq!(told["account"]["id"], alice.id.as_str());
    let queue = held_list(&f, &moderator).await;
    assert_eq!(ids(&queue), vec![held_id.clone()]);
    assert_eq!(queue[0]["held"], "post");
    assert_eq!(
        queue[0]["matches"][0]["rule"],
        "Customer names are reviewed first"
    );
    approve(&f, &moderator, &held_id).await;
    assert_eq!(status(&f, Some(&carol), &held_id).await.0, 200);
    assert!(home_has(&f, &carol, "Acme Corp").await.is_some());
    assert!(notification(&f, &alice, "policy.approved").await.is_some());
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["statuses_count"], 1, "counted when published");
    assert!(
        held_list(&f, &moderator)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Department-only: public becomes department-only; followers-only stays for followers
    // and is kept in the department.
    let (_, kept) = post(&f, &alice, json!({"status": "roadmap #confidential"})).await;
    assert_eq!(
        (kept["visibility"].as_str(), kept["local_only"].as_bool()),
        (Some("public"), Some(true)),
        "{kept}"
    );
    assert_eq!(kept["policy"]["department_only"], true);
    let (_, private) = post(
        &f,
        &alice,
        json!({"status": "roadmap #confidential", "visibility": "private"}),
    )
    .await;
    assert_eq!(
        (
            private["visibility"].as_str(),
            private["local_only"].as_bool()
        ),
        (Some("private"), Some(true)),
        "{private}"
    );

    // Strip media.
    let media = media_id(&f, &alice).await;
    let (_, stripped) = post(
        &f,
        &alice,
        json!({"status": "numbers #dashboard", "media_ids": [media]}),
    )
    .await;
    assert_eq!(stripped["media_attachments"], json!([]), "{stripped}");

    // Content warning: added when the author wrote none; the author's own is kept.
    let (_, warned) = post(&f, &alice, json!({"status": "the ending #spoiler"})).await;
    assert_eq!(
        (
            warned["spoiler_text"].as_str(),
            warned["sensitive"].as_bool()
        ),
        (Some("Spoilers ahead"), Some(true))
    );
    let (_, own) = post(
        &f,
        &alice,
        json!({"status": "the ending #spoiler", "spoiler_text": "S2E3"}),
    )
    .await;
    assert_eq!(own["spoiler_text"], "S2E3");

    // Sensitive.
    let (_, sensitive) = post(&f, &alice, json!({"status": "results #medical"})).await;
    assert_eq!(
        (
            sensitive["sensitive"].as_bool(),
            sensitive["spoiler_text"].as_str()
        ),
        (Some(true), Some(""))
    );

    // Flag: published, and the moderators are told, with the post.
    let (code, flagged) = post(&f, &alice, json!({"status": "@bob @carol @mod lunch?"})).await;
    assert_eq!(code, 200, "{flagged}");
    assert_eq!(
        status(&f, Some(&carol), flagged["id"].as_str().unwrap())
            .await
            .0,
        200
    );
    let told = notification(&f, &moderator, "admin.policy_flag")
        .await
        .expect("flag told");
    assert_eq!(told["status"]["id"], flagged["id"]);
    let (_, flags) = f
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/policy/matches?action=flag",
        )
        .await;
    assert_eq!(flags[0]["status_id"], flagged["id"]);
    assert!(
        flags[0]["status_url"]
            .as_str()
            .unwrap()
            .contains(flagged["id"].as_str().unwrap())
    );

    // Hit counts.
    for (rule, hits) in [
        ("No file-sharing links", 1),
        ("Customer names are reviewed first", 1),
        ("Confidential stays in the department", 2),
        ("Long mention lists", 1),
    ] {
        assert_eq!(rule_by_name(&f, &admin, rule).await["hits"], hits, "{rule}");
    }
    f.stop().await;
}

on_both_backends!(every_action_on_local_posts);

/// A held post is seen by nobody but its author — in no timeline, thread, search, account
/// page, notification or other department — until a moderator approves it; refused, it is
/// gone and its author is told why.
async fn held_posts_are_invisible_everywhere_until_approved(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let admin = staff(eng, "admin", Role::Admin).await;
    let moderator = staff(eng, "mod", Role::Moderator).await;
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    let bob = sales.user("bob").await;
    follow(eng, &carol, &alice.id, json!({})).await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
    follow(sales, &bob, &alice_on_sales, json!({})).await;
    set_rules(eng, &admin, ACTIONS).await;

    let parent = eng.status(&carol, json!({"status": "What's new?"})).await;
    let (_, held) = post(
        eng,
        &alice,
        json!({"status": "Globex signed #launch @carol", "in_reply_to_id": parent}),
    )
    .await;
    let id = held["id"].as_str().unwrap().to_string();
    assert_eq!(held["held_for_review"], "post");
    // A post that is not held, so we know federation and fan-out went on meanwhile.
    let marker = eng.status(&alice, json!({"status": "marker post"})).await;
    eventually("the marker at sales", || {
        home_has(sales, &bob, "marker post")
    })
    .await;
    eventually("the marker in carol's home", || {
        home_has(eng, &carol, "marker post")
    })
    .await;

    let hidden = |what: &str, list: &Value| {
        assert!(
            !ids(list).contains(&id),
            "{what} shows the held post: {list}"
        );
    };
    let (_, home) = eng.get(Some(&carol), "/api/v1/timelines/home").await;
    hidden("carol's home", &home);
    let (_, public) = eng
        .get(Some(&carol), "/api/v1/timelines/public?local=true")
        .await;
    hidden("the department timeline", &public);
    let (_, anonymous) = eng.get(None, "/api/v1/timelines/public").await;
    hidden("the public timeline", &anonymous);
    let (_, tag) = eng.get(Some(&carol), "/api/v1/timelines/tag/launch").await;
    hidden("the hashtag timeline", &tag);
    let (_, page) = eng
        .get(
            Some(&carol),
            &format!("/api/v1/accounts/{}/statuses", alice.id),
        )
        .await;
    hidden("alice's page", &page);
    let (_, context) = eng
        .get(Some(&carol), &format!("/api/v1/statuses/{parent}/context"))
        .await;
    hidden("the thread", &context["descendants"]);
    let (_, parent_now) = status(eng, Some(&carol), &parent).await;
    assert_eq!(
        parent_now["replies_count"], 0,
        "a held reply is not counted"
    );
    let (_, found) = eng
        .get(Some(&carol), "/api/v2/search?q=Globex&type=statuses")
        .await;
    hidden("search", &found["statuses"]);
    let (_, notes) = eng.get(Some(&carol), "/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["type"] != "mention"),
        "{notes}"
    );
    assert_eq!(status(eng, None, &id).await.0, 404);
    assert!(
        home_has(sales, &bob, "Globex").await.is_none(),
        "never federated while held"
    );
    // The author sees it, marked held, on her page too.
    let (_, own_page) = eng
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/{}/statuses", alice.id),
        )
        .await;
    assert!(ids(&own_page).contains(&id));
    assert!(ids(&own_page).contains(&marker));

    // Approved: everywhere, as if just posted.
    approve(eng, &moderator, &id).await;
    assert!(home_has(eng, &carol, "Globex").await.is_some());
    let (_, context) = eng
        .get(Some(&carol), &format!("/api/v1/statuses/{parent}/context"))
        .await;
    assert!(ids(&context["descendants"]).contains(&id));
    let told = notification(eng, &carol, "mention")
        .await
        .expect("mention told at approval");
    assert_eq!(told["status"]["id"], id.as_str());
    eventually("the approved post at sales", || {
        home_has(sales, &bob, "Globex")
    })
    .await;
    let (_, approved) = status(eng, Some(&alice), &id).await;
    assert!(approved.get("held_for_review").is_none(), "{approved}");
    // What hid it before shows it now (so those checks could fail).
    let (_, found) = eng
        .get(Some(&carol), "/api/v2/search?q=Globex&type=statuses")
        .await;
    assert!(ids(&found["statuses"]).contains(&id), "{found}");
    let (_, tag) = eng.get(Some(&carol), "/api/v1/timelines/tag/launch").await;
    assert!(ids(&tag).contains(&id), "{tag}");
    let (_, page) = eng
        .get(
            Some(&carol),
            &format!("/api/v1/accounts/{}/statuses", alice.id),
        )
        .await;
    assert!(ids(&page).contains(&id));
    let (_, public) = eng
        .get(Some(&carol), "/api/v1/timelines/public?local=true")
        .await;
    assert!(ids(&public).contains(&id));
    let (_, parent_now) = status(eng, Some(&carol), &parent).await;
    assert_eq!(parent_now["replies_count"], 1);

    // Refused: taken down; the author receives the reason as a moderation warning.
    let (_, second) = post(eng, &alice, json!({"status": "Acme Corp numbers"})).await;
    let second = second["id"].as_str().unwrap().to_string();
    let (code, body) = eng
        .post(
            &moderator,
            &format!("/api/v1/groundswell/admin/held_statuses/{second}/reject"),
            json!({}),
        )
        .await;
    assert_eq!(code, 422, "a refusal needs a reason: {body}");
    let (code, body) = eng
        .post(
            &moderator,
            &format!("/api/v1/groundswell/admin/held_statuses/{second}/reject"),
            json!({"reason": "Customer figures stay in the sales channel."}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(status(eng, Some(&alice), &second).await.0, 404);
    let warning = notification(eng, &alice, "moderation_warning")
        .await
        .expect("author told");
    assert_eq!(warning["moderation_warning"]["action"], "delete_statuses");
    assert_eq!(
        warning["moderation_warning"]["text"],
        "Customer figures stay in the sales channel."
    );
    assert_eq!(warning["moderation_warning"]["status_ids"], json!([second]));
    let (_, me) = eng
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(
        me["statuses_count"], 2,
        "the refused post was never counted"
    );
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(held_posts_are_invisible_everywhere_until_approved);

/// The rules judge an edit as they judge a post: an edit can be refused (the post stays as it
/// was), held (the post is hidden again until approved), or changed.
async fn rules_hold_for_edits(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f.user("alice").await;
    let carol = f.user("carol").await;
    set_rules(&f, &admin, ACTIONS).await;
    let id = f.status(&alice, json!({"status": "Quarterly plan"})).await;

    // Refused: the post keeps its text.
    let (code, body) = edit(
        &f,
        &alice,
        &id,
        json!({"status": "plan: https://wetransfer.com/x"}),
    )
    .await;
    refused_by(code, &body, "No file-sharing links");
    assert!(
        status(&f, Some(&carol), &id).await.1["content"]
            .as_str()
            .unwrap()
            .contains("Quarterly plan")
    );

    // Held: hidden from others until approved, then shown with the edit.
    let (code, body) = edit(
        &f,
        &alice,
        &id,
        json!({"status": "Quarterly plan for Globex"}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["held_for_review"], "edit");
    assert_eq!(body["policy"]["outcome"], "hold");
    assert_eq!(status(&f, Some(&carol), &id).await.0, 404);
    let queue = held_list(&f, &moderator).await;
    assert_eq!(queue[0]["held"], "edit");
    approve(&f, &moderator, &id).await;
    let (code, shown) = status(&f, Some(&carol), &id).await;
    assert_eq!(code, 200);
    assert!(shown["content"].as_str().unwrap().contains("Globex"));

    // Flagged: made, and the moderators told.
    f.user("bob").await;
    let (code, body) = edit(&f, &alice, &id, json!({"status": "plan @bob @carol @mod"})).await;
    assert_eq!(code, 200, "{body}");
    let told = notification(&f, &moderator, "admin.policy_flag")
        .await
        .expect("flag told");
    assert_eq!(told["status"]["id"], id.as_str());

    // Changed: department-only, media stripped, a warning, sensitive.
    let media = media_id(&f, &alice).await;
    let (_, body) = edit(
        &f,
        &alice,
        &id,
        json!({"status": "plan #confidential #dashboard #spoiler", "media_ids": [media]}),
    )
    .await;
    assert_eq!(body["local_only"], true, "{body}");
    assert_eq!(body["media_attachments"], json!([]));
    assert_eq!(body["spoiler_text"], "Spoilers ahead");
    assert_eq!(body["sensitive"], true);
    let (_, history) = f
        .get(Some(&carol), &format!("/api/v1/statuses/{id}/history"))
        .await;
    assert!(history.as_array().unwrap().len() >= 3, "{history}");
    f.stop().await;
}

on_both_backends!(rules_hold_for_edits);

/// Rules for what comes in hold for posts, edits, likes, boosts and follows that another
/// department sends over signed ActivityPub, from a real second instance.
async fn rules_hold_for_what_other_departments_send(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let admin = staff(eng, "admin", Role::Admin).await;
    let moderator = staff(eng, "mod", Role::Moderator).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let dave = sales.user("dave").await;
    let sales_domain = domain(sales);
    let bob_on_eng = resolve(eng, &alice, &format!("bob@{sales_domain}")).await;
    follow(eng, &alice, &bob_on_eng, json!({})).await;
    set_rules(
        eng,
        &admin,
        &format!(
            r#"{ACTIONS}
[[rule]]
name = "Nothing about the merger comes in"
direction = ["inbound"]
when = {{ keyword = "merger" }}
action = "reject"

[[rule]]
name = "Dave's likes"
when = {{ all = [ {{ origin_domain = ["{sales_domain}"] }}, {{ keyword = "likeable" }} ] }}
direction = "inbound"
action = "reject"

[[rule]]
name = "Mentions of Sales are reviewed"
when = {{ mentions_department = ["{sales_domain}"] }}
action = "hold"
"#
        ),
    )
    .await;

    // Refused: never stored here (a later post arrives, the refused one never does).
    sales
        .status(&bob, json!({"status": "The merger is on"}))
        .await;
    sales.status(&bob, json!({"status": "Plain news"})).await;
    eventually("bob's plain news in eng", || {
        home_has(eng, &alice, "Plain news")
    })
    .await;
    assert!(home_has(eng, &alice, "merger").await.is_none());
    let (_, refusals) = eng
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/policy/matches?action=reject",
        )
        .await;
    let refusal = &refusals[0];
    assert_eq!(refusal["rule"], "Nothing about the merger comes in");
    assert_eq!(refusal["direction"], "inbound");
    assert!(
        refusal["object_uri"]
            .as_str()
            .unwrap()
            .contains(&sales_domain)
    );

    // Held: stored unpublished until a moderator approves.
    sales.status(&bob, json!({"status": "Globex called"})).await;
    let held = eventually("bob's post held in eng", || async {
        let queue = held_list(eng, &moderator).await;
        queue.as_array()?.first().cloned()
    })
    .await;
    assert_eq!(held["account"]["acct"], format!("bob@{sales_domain}"));
    assert!(home_has(eng, &alice, "Globex").await.is_none());
    approve(eng, &moderator, held["id"].as_str().unwrap()).await;
    assert!(home_has(eng, &alice, "Globex").await.is_some());

    // Changed: media stripped, warning added; department-only means nothing for what is
    // already in another department.
    let media = media_id(sales, &bob).await;
    sales
        .status(
            &bob,
            json!({"status": "Dashboards #dashboard #spoiler #confidential", "media_ids": [media]}),
        )
        .await;
    let shown = eventually("the changed post in eng", || {
        home_has(eng, &alice, "Dashboards")
    })
    .await;
    assert_eq!(shown["media_attachments"], json!([]), "{shown}");
    assert_eq!(shown["spoiler_text"], "Spoilers ahead");
    assert_eq!(shown["local_only"], false);

    // An edit that breaks a rule is refused: the post keeps its text here.
    let plain = sales.status(&bob, json!({"status": "Draft one"})).await;
    eventually("draft one in eng", || home_has(eng, &alice, "Draft one")).await;
    let (code, _) = edit(
        sales,
        &bob,
        &plain,
        json!({"status": "Draft two: the merger"}),
    )
    .await;
    assert_eq!(code, 200, "Sales has no such rule");
    eventually("the edit refused in eng", || async {
        let (_, m) = eng
            .get(
                Some(&moderator),
                "/api/v1/groundswell/admin/policy/matches?action=reject",
            )
            .await;
        m.as_array()?
            .iter()
            .any(|m| m["subject"] == "edit")
            .then_some(())
    })
    .await;
    assert!(
        home_has(eng, &alice, "Draft one").await.is_some(),
        "the post keeps its text"
    );
    // A later edit that breaks no rule applies.
    let (code, _) = edit(sales, &bob, &plain, json!({"status": "Draft three"})).await;
    assert_eq!(code, 200);
    eventually("draft three in eng", || {
        home_has(eng, &alice, "Draft three")
    })
    .await;

    // Likes refused by a rule are not counted; others are.
    let mine = eng.status(&alice, json!({"status": "likeable post"})).await;
    let other = eng.status(&alice, json!({"status": "another post"})).await;
    let url_of = |id: &str| format!("http://{}/users/alice/statuses/{id}", domain(eng));
    let mine_on_sales = resolve_status(sales, &dave, &url_of(&mine)).await;
    let other_on_sales = resolve_status(sales, &dave, &url_of(&other)).await;
    for id in [&mine_on_sales, &other_on_sales] {
        let (code, _) = sales
            .post(
                &dave,
                &format!("/api/v1/statuses/{id}/favourite"),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
    }
    eventually("dave's like of the other post", || async {
        (status(eng, Some(&alice), &other).await.1["favourites_count"] == 1).then_some(())
    })
    .await;
    assert_eq!(
        status(eng, Some(&alice), &mine).await.1["favourites_count"],
        0
    );

    // Sensitive and flagged: published, marked, and the moderators told.
    sales.status(&bob, json!({"status": "Results #medical @alice@LOCAL @admin@LOCAL @mod@LOCAL".replace("LOCAL", &domain(eng))})).await;
    let shown = eventually("the medical post in eng", || {
        home_has(eng, &alice, "Results")
    })
    .await;
    assert_eq!(shown["sensitive"], true, "{shown}");
    let told = eventually("the flag told", || {
        notification(eng, &moderator, "admin.policy_flag")
    })
    .await;
    assert_eq!(told["status"]["id"], shown["id"]);

    // An edit held: the post is hidden here again until approved.
    let first = sales.status(&bob, json!({"status": "Version one"})).await;
    let here = eventually("version one in eng", || {
        home_has(eng, &alice, "Version one")
    })
    .await;
    let here = here["id"].as_str().unwrap().to_string();
    let (code, _) = edit(
        sales,
        &bob,
        &first,
        json!({"status": "Version two, for Globex"}),
    )
    .await;
    assert_eq!(code, 200);
    eventually("the edit held in eng", || async {
        (status(eng, Some(&alice), &here).await.0 == 404).then_some(())
    })
    .await;
    let queue = held_list(eng, &moderator).await;
    assert_eq!(queue[0]["held"], "edit", "{queue}");
    approve(eng, &moderator, &here).await;
    let (code, shown) = status(eng, Some(&alice), &here).await;
    assert_eq!(code, 200);
    assert!(shown["content"].as_str().unwrap().contains("Version two"));

    // Mentions of Sales are held when Alice writes them.
    let (_, held) = post(
        eng,
        &alice,
        json!({"status": format!("@bob@{sales_domain} see this")}),
    )
    .await;
    assert_eq!(held["held_for_review"], "post", "{held}");
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(rules_hold_for_what_other_departments_send);

/// Find a post by its URL from `f` (search with resolve), returning its local id there.
async fn resolve_status(f: &Fixture, me: &TestUser, url: &str) -> String {
    let (code, body) = f
        .get(
            Some(me),
            &format!(
                "/api/v2/search?q={}&resolve=true&type=statuses",
                urlencode(url)
            ),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body["statuses"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{url} not found: {body}"))
        .to_string()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Follows and boosts from a department a rule shuts out are refused: the follow is answered
/// with a Reject, the boost is not counted.
async fn follows_and_boosts_from_another_department_can_be_refused(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let admin = staff(eng, "admin", Role::Admin).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
    let post_id = eng.status(&alice, json!({"status": "boost me"})).await;
    let url = format!("http://{}/users/alice/statuses/{post_id}", domain(eng));
    let on_sales = resolve_status(sales, &bob, &url).await;
    set_rules(
        eng,
        &admin,
        &format!(
            "[[rule]]\nname = \"Sales is closed\"\nwhen = {{ origin_domain = \"{}\" }}\naction = \"reject\"\n",
            domain(sales)
        ),
    )
    .await;
    let (code, _) = sales
        .post(
            &bob,
            &format!("/api/v1/accounts/{alice_on_sales}/follow"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eventually("the follow refused on sales", || async {
        let (_, rels) = sales
            .get(
                Some(&bob),
                &format!("/api/v1/accounts/relationships?id[]={alice_on_sales}"),
            )
            .await;
        (rels[0]["following"] == false && rels[0]["requested"] == false).then_some(())
    })
    .await;
    let (_, followers) = eng
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/{}/followers", alice.id),
        )
        .await;
    assert_eq!(followers, json!([]));
    let (code, _) = sales
        .post(
            &bob,
            &format!("/api/v1/statuses/{on_sales}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eventually("both refusals recorded", || async {
        let (_, m) = eng
            .get(Some(&admin), "/api/v1/groundswell/admin/policy/matches")
            .await;
        let subjects: Vec<&str> = m
            .as_array()?
            .iter()
            .filter_map(|m| m["subject"].as_str())
            .collect();
        (subjects.contains(&"follow") && subjects.contains(&"boost")).then_some(())
    })
    .await;
    assert_eq!(
        status(eng, Some(&alice), &post_id).await.1["reblogs_count"],
        0
    );
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(follows_and_boosts_from_another_department_can_be_refused);

/// A rule on what leaves keeps a post off the other department: not in its timelines, never
/// delivered to its inbox, not served to its signed fetch; a post that already left is taken
/// back when an edit brings it under the rule; a boost it stops stays here.
async fn outbound_rules_keep_posts_in_the_department(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let admin = staff(eng, "admin", Role::Admin).await;
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    let bob = sales.user("bob").await;
    follow(eng, &carol, &alice.id, json!({})).await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
    follow(sales, &bob, &alice_on_sales, json!({})).await;
    set_rules(
        eng,
        &admin,
        r#"
[[rule]]
name = "Confidential stays in the department"
direction = "outbound"
when = { hashtag = ["confidential"] }
action = "department_only"
"#,
    )
    .await;

    let (_, kept) = post(eng, &alice, json!({"status": "Roadmap #confidential"})).await;
    assert_eq!(kept["local_only"], true, "{kept}");
    let kept_id = kept["id"].as_str().unwrap().to_string();
    // Followers-only, to followers in both departments: kept from the other one.
    let (_, private) = post(
        eng,
        &alice,
        json!({"status": "Private roadmap #confidential", "visibility": "private"}),
    )
    .await;
    assert_eq!(
        (
            private["visibility"].as_str(),
            private["local_only"].as_bool()
        ),
        (Some("private"), Some(true))
    );
    let private_id = private["id"].as_str().unwrap().to_string();
    // Carol, here, sees both.
    assert!(home_has(eng, &carol, "Private roadmap").await.is_some());
    assert!(
        home_has(eng, &carol, "Roadmap #").await.is_some()
            || status(eng, Some(&carol), &kept_id).await.0 == 200
    );
    // A post sent after them reaches Sales; they never do.
    eng.status(&alice, json!({"status": "Public news"})).await;
    eventually("the public news at sales", || {
        home_has(sales, &bob, "Public news")
    })
    .await;
    assert!(home_has(sales, &bob, "Roadmap").await.is_none());
    assert!(home_has(sales, &bob, "Private roadmap").await.is_none());
    let (_, public) = sales.get(Some(&bob), "/api/v1/timelines/public").await;
    assert!(!public.to_string().contains("Roadmap"), "{public}");
    // Sales asking for them, signed: not found.
    let bob_keys = crate::security::actor_keys(sales, "bob");
    for id in [&kept_id, &private_id] {
        let (code, body) = signed_get(eng, &bob_keys, &format!("/users/alice/statuses/{id}")).await;
        assert_eq!(code, 404, "{body}");
    }
    // A reply to it stays in the department too.
    let (_, reply) = post(
        eng,
        &carol,
        json!({"status": "nice", "in_reply_to_id": kept_id}),
    )
    .await;
    assert_eq!(reply["local_only"], true, "{reply}");

    // A post that left, edited under the rule: taken back from Sales.
    let left = eng
        .status(&alice, json!({"status": "Launch plan v1"}))
        .await;
    eventually("v1 at sales", || home_has(sales, &bob, "Launch plan v1")).await;
    let (code, body) = edit(
        eng,
        &alice,
        &left,
        json!({"status": "Launch plan v2 #confidential"}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["local_only"], true);
    eventually("the post withdrawn from sales", || async {
        home_has(sales, &bob, "Launch plan")
            .await
            .is_none()
            .then_some(())
    })
    .await;
    let (code, _) = signed_get(eng, &bob_keys, &format!("/users/alice/statuses/{left}")).await;
    assert_eq!(code, 404);

    // A boost of a post under the rule stays here: Sales is never told of it.
    let dave = eng.user("dave").await;
    let bobs = sales
        .status(&bob, json!({"status": "Sales figures #confidential"}))
        .await;
    let url = format!("http://{}/users/bob/statuses/{bobs}", domain(sales));
    let on_eng = resolve_status(eng, &dave, &url).await;
    let (code, boost) = eng
        .post(
            &dave,
            &format!("/api/v1/statuses/{on_eng}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{boost}");
    // Alice boosts a post under no rule: that one Sales hears of.
    let plain = sales.status(&bob, json!({"status": "Plain figures"})).await;
    let url = format!("http://{}/users/bob/statuses/{plain}", domain(sales));
    let plain_on_eng = resolve_status(eng, &dave, &url).await;
    let (code, _) = eng
        .post(
            &dave,
            &format!("/api/v1/statuses/{plain_on_eng}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    eventually("the plain boost counted at sales", || async {
        (status(sales, Some(&bob), &plain).await.1["reblogs_count"] == 1).then_some(())
    })
    .await;
    assert_eq!(status(sales, Some(&bob), &bobs).await.1["reblogs_count"], 0);
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(outbound_rules_keep_posts_in_the_department);

/// GET `path` from `f`, signed as `signer`.
async fn signed_get(f: &Fixture, signer: &(String, String), path: &str) -> (u16, Value) {
    let host = domain(f);
    let covered = ["(request-target)", "host", "date"];
    let url = crate::security::local_url(f, path);
    let headers = crate::security::sign("GET", &url, &covered, None, signer, &host);
    let mut req = f
        .client
        .get(format!("http://{host}{path}"))
        .header("Accept", "application/activity+json");
    for (name, value) in headers {
        req = req.header(name, value);
    }
    let resp = req.send().await.unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

/// Several rules can match one post: a refusal beats a hold, which beats publishing; every
/// change of the others applies together; every match is recorded.
async fn the_strictest_action_wins_and_every_match_is_recorded(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f.user("alice").await;
    let carol = f.user("carol").await;
    set_rules(
        &f,
        &admin,
        r#"
[[rule]]
name = "Hold x1"
when = { keyword = "x1" }
action = "hold"

[[rule]]
name = "Reject x1"
when = { keyword = "x1" }
action = "reject"

[[rule]]
name = "Flag x1"
when = { keyword = "x1" }
action = "flag"

[[rule]]
name = "Hold x2"
when = { keyword = "x2" }
action = "hold"

[[rule]]
name = "Keep x2"
when = { keyword = "x2" }
action = "department_only"

[[rule]]
name = "Warn x2"
when = { keyword = "x2" }
action = "content_warning"
warning = "x2 inside"

[[rule]]
name = "Flag x3"
when = { keyword = "x3" }
action = "flag"

[[rule]]
name = "Sensitive x3"
when = { keyword = "x3" }
action = "sensitive"
"#,
    )
    .await;
    let (code, body) = post(&f, &alice, json!({"status": "x1"})).await;
    refused_by(code, &body, "Reject x1");
    // Every matching rule is listed, the refusing one first.
    let listed: Vec<&str> = body["policy"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["rule"].as_str())
        .collect();
    assert_eq!(listed, ["Hold x1", "Reject x1", "Flag x1"]);

    let (_, held) = post(&f, &alice, json!({"status": "x2"})).await;
    assert_eq!(held["held_for_review"], "post");
    assert_eq!(held["local_only"], true, "the changes apply while held too");
    assert_eq!(held["spoiler_text"], "x2 inside");
    let id = held["id"].as_str().unwrap().to_string();
    approve(&f, &moderator, &id).await;
    let (code, shown) = status(&f, Some(&carol), &id).await;
    assert_eq!(code, 200);
    assert_eq!(
        (
            shown["local_only"].as_bool(),
            shown["spoiler_text"].as_str()
        ),
        (Some(true), Some("x2 inside"))
    );

    let (code, flagged) = post(&f, &alice, json!({"status": "x3"})).await;
    assert_eq!(code, 200);
    assert_eq!(flagged["sensitive"], true);
    assert_eq!(flagged["policy"]["outcome"], "publish");
    assert!(
        notification(&f, &moderator, "admin.policy_flag")
            .await
            .is_some()
    );

    // Every match was recorded, the refused post's included.
    let (_, recorded) = f
        .get(
            Some(&admin),
            "/api/v1/groundswell/admin/policy/matches?limit=40",
        )
        .await;
    assert_eq!(recorded.as_array().unwrap().len(), 3 + 3 + 2, "{recorded}");
    for name in ["Hold x1", "Reject x1", "Flag x1", "Keep x2", "Sensitive x3"] {
        assert_eq!(rule_by_name(&f, &admin, name).await["hits"], 1, "{name}");
    }
    f.stop().await;
}

on_both_backends!(the_strictest_action_wins_and_every_match_is_recorded);

/// A dry-run rule changes nothing and counts what it would have done; its last matches
/// link to the posts; the compose check leaves it out.
async fn dry_run_rules_count_and_change_nothing(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let alice = f.user("alice").await;
    set_rules(
        &f,
        &admin,
        r#"
[[rule]]
name = "Would hold budgets"
when = { keyword = "budget" }
action = "hold"
dry_run = true
"#,
    )
    .await;
    let mut posted = Vec::new();
    for n in 0..3 {
        let (code, body) = post(&f, &alice, json!({"status": format!("budget {n}")})).await;
        assert_eq!(code, 200);
        assert!(body.get("held_for_review").is_none(), "{body}");
        assert!(
            body.get("policy").is_none(),
            "a dry run is not shown to authors: {body}"
        );
        posted.push(body["id"].as_str().unwrap().to_string());
    }
    post(&f, &alice, json!({"status": "no match"})).await;
    let rule = rule_by_name(&f, &admin, "Would hold budgets").await;
    assert_eq!(
        (rule["hits"].as_i64(), rule["dry_run_hits"].as_i64()),
        (Some(0), Some(3)),
        "{rule}"
    );
    let (_, one) = f
        .get(
            Some(&admin),
            &format!(
                "/api/v1/groundswell/admin/policy/rules/{}",
                rule["id"].as_str().unwrap()
            ),
        )
        .await;
    let last: Vec<String> = one["last_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status_id"].as_str().unwrap().to_string())
        .collect();
    posted.reverse();
    assert_eq!(last, posted, "newest first");
    for m in one["last_matches"].as_array().unwrap() {
        assert_eq!(m["dry_run"], true);
        let url = m["status_url"].as_str().unwrap();
        assert!(url.ends_with(m["status_id"].as_str().unwrap()), "{url}");
    }
    let (code, check) = f
        .post(
            &alice,
            "/api/v1/groundswell/policy/check",
            json!({"status": "budget"}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(check["outcome"], "publish");
    assert_eq!(check["matches"], json!([]));
    f.stop().await;
}

on_both_backends!(dry_run_rules_count_and_change_nothing);

/// The compose box asks before posting: the rules a draft would match, with their actions
/// and explanations; nothing is stored or counted.
async fn a_draft_can_be_checked_before_it_is_posted(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let alice = f.user("alice").await;
    set_rules(&f, &admin, ACTIONS).await;
    let check = |body: Value| {
        let (f, alice) = (&f, &alice);
        async move {
            f.post(alice, "/api/v1/groundswell/policy/check", body)
                .await
        }
    };
    let (code, body) = check(json!({"status": "see https://wetransfer.com/a"})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["outcome"], "reject");
    assert_eq!(body["matches"][0]["rule"], "No file-sharing links");
    assert_eq!(
        body["matches"][0]["explain"],
        "Share files through the company drive instead."
    );
    let (_, body) = check(json!({"status": "Globex #confidential #spoiler"})).await;
    assert_eq!(body["outcome"], "hold");
    assert_eq!(body["department_only"], true);
    assert_eq!(body["content_warning"], "Spoilers ahead");
    let (_, body) = check(json!({"status": "all fine"})).await;
    assert_eq!(
        body,
        json!({"outcome": "publish", "department_only": false, "strip_media": false, "content_warning": null, "sensitive": false, "matches": []})
    );
    // Visibility counts: department-only drafts meet no outbound rule.
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["statuses_count"], 0);
    assert_eq!(
        rule_by_name(&f, &admin, "No file-sharing links").await["hits"],
        0
    );
    // Needs a token that may post.
    let reader = f.user_with_scopes("reader", "read").await;
    let (code, _) = f
        .post(
            &reader,
            "/api/v1/groundswell/policy/check",
            json!({"status": "x"}),
        )
        .await;
    assert_eq!(code, 403);
    f.stop().await;
}

on_both_backends!(a_draft_can_be_checked_before_it_is_posted);

/// IT keeps one rule file for every department: what `policy export` writes, `policy import`
/// reads, here or in another department, through the CLI or the admin API; a mistake names
/// the rule and the key; every change is a version; the running server follows the CLI.
async fn rule_files_round_trip_through_the_cli_and_the_api(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f.user("alice").await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "rules.toml", ACTIONS);

    let out = assert_ok(&run_cli(
        &f.db,
        &["policy", "import", file.to_str().unwrap()],
    ));
    assert!(out.contains("imported 7 rules as version 1"), "{out}");
    let exported = assert_ok(&run_cli(&f.db, &["policy", "export"]));
    let parsed =
        |text: &str, format| groundswell::service::policy::rules::parse_file(text, format).unwrap();
    use groundswell::service::policy::rules::Format;
    assert_eq!(
        parsed(&exported, Format::Toml),
        parsed(ACTIONS, Format::Toml),
        "export gives back what was imported"
    );
    // The API exports the same rules, in TOML and JSON.
    let resp = f
        .client
        .get(f.url("/api/v1/groundswell/admin/policy/export"))
        .bearer_auth(&moderator.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/toml")
    );
    assert_eq!(resp.text().await.unwrap(), exported);
    let json_export = assert_ok(&run_cli(&f.db, &["policy", "export", "--format", "json"]));
    assert_eq!(
        parsed(&json_export, Format::Json),
        parsed(ACTIONS, Format::Toml)
    );

    // Another department imports the file through the API and has the same rules.
    let other = Fixture::start(f.db.another()).await;
    let other_admin = staff(&other, "admin", Role::Admin).await;
    let body = set_rules(&other, &other_admin, &exported).await;
    assert_eq!(body["version"], 1);
    let names = |v: &Value| -> Vec<String> {
        v["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, here) = f
        .get(Some(&admin), "/api/v1/groundswell/admin/policy/rules")
        .await;
    assert_eq!(names(&body), names(&here));
    let (code, refused) = post(
        &other,
        &other.user("erin").await,
        json!({"status": "https://wetransfer.com/x"}),
    )
    .await;
    refused_by(code, &refused, "No file-sharing links");
    other.stop().await;

    // Mistakes name the rule and the key, from the CLI and the API, and change nothing.
    let bad = write_file(
        dir.path(),
        "bad.toml",
        "[[rule]]\nname = \"Typo\"\nwhen = { keywrod = \"x\" }\naction = \"flag\"\n",
    );
    let line = assert_cli_error(&run_cli(
        &f.db,
        &["policy", "import", bad.to_str().unwrap()],
    ));
    assert!(
        line.contains("rule 1 (\"Typo\")") && line.contains("keywrod"),
        "{line}"
    );
    let (code, body) = import(
        &f,
        &admin,
        "[[rule]]\nname = \"Typo\"\nwhen = { hashtag = \"x\" }\naction = \"delete\"\n",
    )
    .await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("rule 1 (\"Typo\")"),
        "{body}"
    );
    let (_, still) = f
        .get(Some(&admin), "/api/v1/groundswell/admin/policy/rules")
        .await;
    assert_eq!(still["version"], 1);

    // Disabled from the CLI: exported as disabled, no longer applied by the running server.
    let out = assert_ok(&run_cli(
        &f.db,
        &["policy", "disable", "No file-sharing links"],
    ));
    assert!(out.contains("disabled rule"), "{out}");
    assert!(assert_ok(&run_cli(&f.db, &["policy", "export"])).contains("enabled = false"));
    eventually("the server to follow the CLI", || async {
        let (code, _) = post(&f, &alice, json!({"status": "https://wetransfer.com/y"})).await;
        (code == 200).then_some(())
    })
    .await;
    // Added and edited from files.
    let more = write_file(
        dir.path(),
        "more.toml",
        "[[rule]]\nname = \"Tickets\"\nwhen = { regex = \"JIRA-[0-9]+\" }\naction = \"flag\"\n",
    );
    assert!(
        assert_ok(&run_cli(&f.db, &["policy", "add", more.to_str().unwrap()]))
            .contains("added rule")
    );
    let edited = write_file(
        dir.path(),
        "edit.toml",
        "[[rule]]\nname = \"Tickets\"\nwhen = { regex = \"JIRA-[0-9]+\" }\naction = \"reject\"\nexplain = \"Link tickets in the tracker.\"\n",
    );
    assert!(
        assert_ok(&run_cli(
            &f.db,
            &["policy", "edit", "tickets", edited.to_str().unwrap()]
        ))
        .contains("edited rule")
    );
    eventually("the edited rule applied", || async {
        let (code, _) = post(&f, &alice, json!({"status": "see JIRA-12"})).await;
        (code == 422).then_some(())
    })
    .await;
    let listed = assert_ok(&run_cli(&f.db, &["policy", "list", "--format", "json"]));
    let listed: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["version"], 4);
    assert_eq!(listed["rules"].as_array().unwrap().len(), 8);
    let versions = assert_ok(&run_cli(&f.db, &["policy", "versions"]));
    for summary in [
        "imported 7 rules",
        "disabled rule \"No file-sharing links\"",
        "added rule \"Tickets\"",
        "edited rule \"Tickets\"",
    ] {
        assert!(versions.contains(summary), "{versions}");
    }
    let (_, history) = f
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/policy/versions",
        )
        .await;
    assert_eq!(history.as_array().unwrap().len(), 4);
    assert_eq!(history[3]["changed_by"], "cli");
    let (_, first) = f
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/policy/versions/1",
        )
        .await;
    assert_eq!(
        first["rules"][0]["enabled"], true,
        "the old version is kept as it was"
    );

    // Held posts from the CLI.
    let (_, held) = post(&f, &alice, json!({"status": "Globex again"})).await;
    let held_id = held["id"].as_str().unwrap().to_string();
    let out = assert_ok(&run_cli(&f.db, &["policy", "held"]));
    assert!(
        out.contains(&held_id) && out.contains("Customer names"),
        "{out}"
    );
    assert!(assert_ok(&run_cli(&f.db, &["policy", "approve", &held_id])).contains("approved"));
    assert_eq!(status(&f, Some(&admin), &held_id).await.0, 200);
    let line = assert_cli_error(&run_cli(&f.db, &["policy", "approve", &held_id]));
    assert!(line.contains("No held post"), "{line}");
    f.stop().await;
}

on_both_backends!(rule_files_round_trip_through_the_cli_and_the_api);

/// Admins change the rules; moderators read them and decide on held posts; employees do
/// neither; the token's admin scopes are checked together with the role.
async fn only_admins_change_rules_and_moderators_review(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f
        .user_with_scopes("alice", "read write follow admin:read admin:write")
        .await;
    let admin_without_scope = f.user_with_scopes("root", "read write").await;
    let name = "root".to_string();
    f.ctx
        .db
        .write(move |c| users::set_role(c, &name, Role::Admin).map(drop))
        .await
        .unwrap();
    let reader_admin = f.user_with_scopes("auditor", "read admin:read").await;
    let name = "auditor".to_string();
    f.ctx
        .db
        .write(move |c| users::set_role(c, &name, Role::Admin).map(drop))
        .await
        .unwrap();
    let rule = json!({"name": "Hold budgets", "when": {"keyword": ["budget"]}, "action": "hold"});
    let rules_url = "/api/v1/groundswell/admin/policy/rules";

    assert_eq!(
        f.get(Some(&alice), rules_url).await.0,
        403,
        "employees read no rules"
    );
    assert_eq!(f.post(&alice, rules_url, rule.clone()).await.0, 403);
    assert_eq!(
        f.get(Some(&admin_without_scope), rules_url).await.0,
        403,
        "the token needs admin:read"
    );
    assert_eq!(f.get(Some(&moderator), rules_url).await.0, 200);
    assert_eq!(
        f.post(&moderator, rules_url, rule.clone()).await.0,
        403,
        "moderators do not change rules"
    );
    assert_eq!(
        f.post(&reader_admin, rules_url, rule.clone()).await.0,
        403,
        "admin:read does not write"
    );
    let (code, added) = f.post(&admin, rules_url, rule.clone()).await;
    assert_eq!(code, 200, "{added}");
    assert_eq!(added["action"], "hold");
    assert_eq!(added["direction"], json!(["local", "inbound", "outbound"]));
    let id = added["id"].as_str().unwrap().to_string();
    // A bad rule is refused naming the key.
    let (code, body) = f
        .post(
            &admin,
            rules_url,
            json!({"name": "x", "when": {"hashtags": ["a"]}, "action": "flag"}),
        )
        .await;
    assert_eq!(code, 422);
    assert!(
        body["error"].as_str().unwrap().contains("hashtags"),
        "{body}"
    );
    // Edited in place (same id), disabled, enabled.
    let resp = f.client.put(f.url(&format!("{rules_url}/{id}"))).bearer_auth(&admin.token)
        .json(&json!({"name": "Hold budgets", "when": {"keyword": ["budget", "forecast"]}, "action": "hold", "explain": "Finance reviews these."}))
        .send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp = f
        .client
        .put(f.url(&format!("{rules_url}/{id}")))
        .bearer_auth(&moderator.token)
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        f.post(&moderator, &format!("{rules_url}/{id}/disable"), json!({}))
            .await
            .0,
        403
    );
    let (code, disabled) = f
        .post(&admin, &format!("{rules_url}/{id}/disable"), json!({}))
        .await;
    assert_eq!((code, disabled["enabled"].as_bool()), (200, Some(false)));
    let (code, enabled) = f
        .post(&admin, &format!("{rules_url}/{id}/enable"), json!({}))
        .await;
    assert_eq!((code, enabled["enabled"].as_bool()), (200, Some(true)));

    // Held posts: moderators decide, employees cannot.
    let (_, held) = post(&f, &alice, json!({"status": "forecast numbers"})).await;
    assert_eq!(
        held["policy"]["matches"][0]["explain"],
        "Finance reviews these."
    );
    let held_id = held["id"].as_str().unwrap();
    let approve_url = format!("/api/v1/groundswell/admin/held_statuses/{held_id}/approve");
    assert_eq!(
        f.get(Some(&alice), "/api/v1/groundswell/admin/held_statuses")
            .await
            .0,
        403
    );
    assert_eq!(f.post(&alice, &approve_url, json!({})).await.0, 403);
    assert_eq!(
        f.post(&reader_admin, &approve_url, json!({})).await.0,
        403,
        "deciding needs admin:write"
    );
    assert_eq!(f.post(&moderator, &approve_url, json!({})).await.0, 200);
    assert_eq!(
        f.post(&moderator, &approve_url, json!({})).await.0,
        404,
        "decided already"
    );
    f.stop().await;
}

on_both_backends!(only_admins_change_rules_and_moderators_review);

/// Two app nodes of one department on one PostgreSQL: a rule changed through one is
/// enforced by the other without a restart.
#[actix_web::test]
async fn a_rule_change_reaches_every_app_node() {
    crate::common::scenario(a_rule_change_reaches_every_app_node_body()).await
}

async fn a_rule_change_reaches_every_app_node_body() {
    let f = Fixture::start(TestDb::postgres()).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let alice = f.user("alice").await;
    let mut settings = (*f.ctx.settings).clone();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    let (second, _ctx2) = start_server(settings).await;
    let other = format!("http://{}", second.addr);
    let post_there = |text: &str| {
        let req = f
            .client
            .post(format!("{other}/api/v1/statuses"))
            .bearer_auth(&alice.token)
            .json(&json!({"status": text}));
        async move { req.send().await.unwrap().status().as_u16() }
    };
    // The second node has loaded the (empty) rules already.
    assert_eq!(post_there("budget 1").await, 200);
    set_rules(
        &f,
        &admin,
        "[[rule]]\nname = \"No budgets\"\nwhen = { keyword = \"budget\" }\naction = \"reject\"\n",
    )
    .await;
    eventually("the second node to refuse", || async {
        (post_there("budget 2").await == 422).then_some(())
    })
    .await;
    // And a disable there too.
    let (_, rule) = f
        .get(Some(&admin), "/api/v1/groundswell/admin/policy/rules")
        .await;
    let id = rule["rules"][0]["id"].as_str().unwrap();
    f.post(
        &admin,
        &format!("/api/v1/groundswell/admin/policy/rules/{id}/disable"),
        json!({}),
    )
    .await;
    eventually("the second node to allow again", || async {
        (post_there("budget 3").await == 200).then_some(())
    })
    .await;
    f.stop().await;
}

/// Each condition decides on a post another department sends, over signed ActivityPub from a
/// real second instance: one that meets it is refused here (recorded, never stored), one
/// that does not arrives. Conditions about employees here (role, department) never match an
/// author of another department; sizes of their attachments are not known here.
async fn every_condition_decides_on_posts_from_another_department(db: TestDb) {
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let admin = staff(eng, "admin", Role::Admin).await;
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    sales.user("dave").await;
    let (eng_domain, sales_domain) = (domain(eng), domain(sales));
    let bob_on_eng = resolve(eng, &alice, &format!("bob@{sales_domain}")).await;
    resolve(eng, &alice, &format!("dave@{sales_domain}")).await;
    follow(eng, &alice, &bob_on_eng, json!({})).await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{eng_domain}")).await;
    drop(alice_on_sales);
    let mut media = Vec::new();
    for _ in 0..4 {
        media.push(media_id(sales, &bob).await);
    }
    let refused = true;
    let cases: Vec<(String, Value, bool)> = vec![
        (
            r#"keyword = ["acme corp"]"#.into(),
            json!({"status": "Lunch with ACME Corp"}),
            refused,
        ),
        (
            r#"keyword = ["acme corp"]"#.into(),
            json!({"status": "acmecorp"}),
            !refused,
        ),
        (
            r#"keyword = "acme corp""#.into(),
            json!({"status": "inside", "spoiler_text": "Acme Corp"}),
            refused,
        ),
        (
            r#"regex = "(?i)\\bq[1-4] numbers\\b""#.into(),
            json!({"status": "Q3 numbers"}),
            refused,
        ),
        (
            r#"regex = "(?i)\\bq[1-4] numbers\\b""#.into(),
            json!({"status": "q5 numbers"}),
            !refused,
        ),
        (
            r#"hashtag = "confidential""#.into(),
            json!({"status": "plan #Confidential"}),
            refused,
        ),
        (
            r#"hashtag = "confidential""#.into(),
            json!({"status": "confidential plan"}),
            !refused,
        ),
        (
            "mentions_over = 0".into(),
            json!({"status": format!("hi @alice@{eng_domain}")}),
            refused,
        ),
        (
            "mentions_over = 0".into(),
            json!({"status": "hi all"}),
            !refused,
        ),
        (
            format!(r#"mentions_department = ["{sales_domain}"]"#),
            json!({"status": "hi @dave"}),
            refused,
        ),
        (
            format!(r#"mentions_department = ["{sales_domain}"]"#),
            json!({"status": format!("hi @alice@{eng_domain}")}),
            !refused,
        ),
        (
            "has_media = true".into(),
            json!({"status": "chart", "media_ids": [media[0]]}),
            refused,
        ),
        (
            "has_media = true".into(),
            json!({"status": "no chart"}),
            !refused,
        ),
        (
            r#"media_type = "image/jpeg""#.into(),
            json!({"status": "chart", "media_ids": [media[1]]}),
            refused,
        ),
        (
            r#"media_type = "video/*""#.into(),
            json!({"status": "chart", "media_ids": [media[2]]}),
            !refused,
        ),
        (
            "media_bytes_over = 100".into(),
            json!({"status": "chart", "media_ids": [media[3]]}),
            !refused,
        ),
        (
            r#"link_domain = "wetransfer.com""#.into(),
            json!({"status": "https://a.wetransfer.com/x"}),
            refused,
        ),
        (
            r#"link_domain = "wetransfer.com""#.into(),
            json!({"status": "https://drive.corp.example/x"}),
            !refused,
        ),
        (
            r#"visibility = "private""#.into(),
            json!({"status": "followers", "visibility": "private"}),
            refused,
        ),
        (
            r#"visibility = "private""#.into(),
            json!({"status": "everyone"}),
            !refused,
        ),
        (
            r#"author_role = ["employee", "admin", "moderator"]"#.into(),
            json!({"status": "hello"}),
            !refused,
        ),
        (
            r#"author_department = "sales""#.into(),
            json!({"status": "hello"}),
            !refused,
        ),
        (
            "account_age_days_under = 7".into(),
            json!({"status": "hello"}),
            refused,
        ),
        (
            format!(r#"origin_domain = ["{sales_domain}"]"#),
            json!({"status": "hello"}),
            refused,
        ),
        (
            format!(r#"origin_domain = ["{eng_domain}"]"#),
            json!({"status": "hello"}),
            !refused,
        ),
        (
            r#"direction = "inbound""#.into(),
            json!({"status": "hello"}),
            refused,
        ),
        (
            r#"direction = ["local", "outbound"]"#.into(),
            json!({"status": "hello"}),
            !refused,
        ),
        (
            r#"all = [ { hashtag = "x" }, { not = { keyword = "ok" } } ]"#.into(),
            json!({"status": "#x bad"}),
            refused,
        ),
        (
            r#"all = [ { hashtag = "x" }, { not = { keyword = "ok" } } ]"#.into(),
            json!({"status": "#x ok"}),
            !refused,
        ),
        (
            r#"any = [ { keyword = "alpha" }, { keyword = "beta" } ]"#.into(),
            json!({"status": "beta"}),
            refused,
        ),
    ];
    for (i, (when, mut body, meets)) in cases.into_iter().enumerate() {
        let name = format!("Rule {i}");
        set_rules(
            eng,
            &admin,
            &format!("[[rule]]\nname = \"{name}\"\nwhen = {{ {when} }}\naction = \"reject\"\n"),
        )
        .await;
        // A mark of its own, so each case finds its own post.
        let mark = format!("case{i}mark");
        body["status"] = json!(format!("{} {mark}", body["status"].as_str().unwrap()));
        let sent = sales.status(&bob, body.clone()).await;
        if meets {
            eventually(&format!("{when}: the refusal of {body}"), || async {
                let (_, m) = eng
                    .get(Some(&admin), "/api/v1/groundswell/admin/policy/matches")
                    .await;
                m.as_array()?
                    .iter()
                    .any(|m| {
                        m["rule"] == name
                            && m["object_uri"].as_str().is_some_and(|u| u.ends_with(&sent))
                    })
                    .then_some(())
            })
            .await;
            assert!(
                home_has(eng, &alice, &mark).await.is_none(),
                "{when}: {body} was stored"
            );
        } else {
            eventually(&format!("{when}: {body} to arrive"), || {
                home_has(eng, &alice, &mark)
            })
            .await;
        }
    }
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(every_condition_decides_on_posts_from_another_department);

/// What policy tools and authors see, pinned: the rules, a check, a post's `policy`, a
/// refusal, a held post and the warning of a refused one.
async fn policy_wire_formats(db: TestDb) {
    let f = Fixture::start(db).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let alice = f.user("alice").await;
    let snap = |name: &str, v: &Value| {
        let normalised = crate::snapshots::normalise(v, &f.base);
        insta::assert_json_snapshot!(name, normalised);
    };
    set_rules(&f, &admin, ACTIONS).await;
    let (_, rules) = f
        .get(Some(&admin), "/api/v1/groundswell/admin/policy/rules")
        .await;
    snap("policy_rules", &rules);
    let (_, check) = f
        .post(
            &alice,
            "/api/v1/groundswell/policy/check",
            json!({"status": "Acme Corp #spoiler"}),
        )
        .await;
    snap("policy_check", &check);
    let (_, refusal) = post(&f, &alice, json!({"status": "https://wetransfer.com/x"})).await;
    snap("policy_refusal", &refusal);
    let (_, held) = post(&f, &alice, json!({"status": "Acme Corp #spoiler"})).await;
    snap("policy_held_post_answer", &held);
    let (_, queue) = f
        .get(Some(&moderator), "/api/v1/groundswell/admin/held_statuses")
        .await;
    snap("policy_held_statuses", &queue);
    let id = held["id"].as_str().unwrap();
    f.post(
        &moderator,
        &format!("/api/v1/groundswell/admin/held_statuses/{id}/reject"),
        json!({"reason": "Not here."}),
    )
    .await;
    let warning = notification(&f, &alice, "moderation_warning")
        .await
        .unwrap();
    snap("moderation_warning_notification", &warning);
    let (_, versions) = f
        .get(Some(&admin), "/api/v1/groundswell/admin/policy/versions")
        .await;
    snap("policy_versions", &versions);
    f.stop().await;
}

on_both_backends!(policy_wire_formats);
