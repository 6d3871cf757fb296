//! The usage policy: once a version is published, an employee must accept it before they
//! post or interact, through any use case; reading and tidying up stay possible. Admins
//! publish (API or CLI), moderators read; acceptances are exported as CSV and JSON; a second
//! app node and the CLI's changes are heard at once.

use serde_json::{Value, json};

use crate::common::*;
use crate::federation::eventually;
use crate::on_both_backends;

on_both_backends!(
    every_interaction_waits_for_the_current_version_and_reading_does_not,
    admins_publish_moderators_read_and_acceptances_are_exported,
    the_page_shows_the_policy_and_records_the_acceptance,
);

/// An employee with `role` and a token with `scopes`.
pub(crate) async fn user_with_role(f: &Fixture, name: &str, role: &str, scopes: &str) -> TestUser {
    let user = f.user_with_scopes(name, scopes).await;
    let (name, role) = (
        name.to_string(),
        role.parse::<groundswell::service::users::Role>().unwrap(),
    );
    f.ctx
        .db
        .write(move |conn| groundswell::service::users::set_role(conn, &name, role))
        .await
        .unwrap();
    user
}

pub(crate) async fn send(
    f: &Fixture,
    method: reqwest::Method,
    user: &TestUser,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let resp = f
        .client
        .request(method, f.url(path))
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn publish(f: &Fixture, admin: &TestUser, text: &str) -> Value {
    let (code, body) = f
        .post(
            admin,
            "/api/v1/groundswell/admin/usage_policy",
            json!({"text": text}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

async fn accept(f: &Fixture, user: &TestUser, version: i64) -> (u16, Value) {
    f.post(
        user,
        "/api/v1/groundswell/usage_policy/accept",
        json!({"version": version}),
    )
    .await
}

/// Every interaction `alice` can attempt: (what, method, path, body).
fn interactions(
    own: &str,
    theirs: &str,
    poll: &str,
    bob: &str,
    dave: &str,
    erin: &str,
) -> Vec<(&'static str, reqwest::Method, String, Value)> {
    use reqwest::Method;
    vec![
        (
            "post",
            Method::POST,
            "/api/v1/statuses".into(),
            json!({"status": "my view"}),
        ),
        (
            "reply",
            Method::POST,
            "/api/v1/statuses".into(),
            json!({"status": "@bob agreed", "in_reply_to_id": theirs}),
        ),
        (
            "direct message",
            Method::POST,
            "/api/v1/statuses".into(),
            json!({"status": "@bob between us", "visibility": "direct"}),
        ),
        (
            "edit",
            Method::PUT,
            format!("/api/v1/statuses/{own}"),
            json!({"status": "my first words, edited"}),
        ),
        (
            "boost",
            Method::POST,
            format!("/api/v1/statuses/{theirs}/reblog"),
            json!({}),
        ),
        (
            "favourite",
            Method::POST,
            format!("/api/v1/statuses/{theirs}/favourite"),
            json!({}),
        ),
        (
            "follow",
            Method::POST,
            format!("/api/v1/accounts/{bob}/follow"),
            json!({}),
        ),
        (
            "accept a follow request",
            Method::POST,
            format!("/api/v1/follow_requests/{dave}/authorize"),
            json!({}),
        ),
        (
            "reject a follow request",
            Method::POST,
            format!("/api/v1/follow_requests/{erin}/reject"),
            json!({}),
        ),
        (
            "vote",
            Method::POST,
            format!("/api/v1/polls/{poll}/votes"),
            json!({"choices": ["0"]}),
        ),
    ]
}

async fn every_interaction_waits_for_the_current_version_and_reading_does_not(db: TestDb) {
    let f = Fixture::start(db).await;
    let root = user_with_role(
        &f,
        "root",
        "admin",
        "read write follow admin:read admin:write",
    )
    .await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let dave = f.user("dave").await;
    let erin = f.user("erin").await;
    let frank = f.user("frank").await;

    // Before any policy, nothing waits for one.
    let own = f.status(&alice, json!({"status": "my first words"})).await;
    let (code, _) = send(
        &f,
        reqwest::Method::PATCH,
        &alice,
        "/api/v1/accounts/update_credentials",
        json!({"locked": true}),
    )
    .await;
    assert_eq!(code, 200);
    for requester in [&dave, &erin] {
        let (code, rel) = f
            .post(
                requester,
                &format!("/api/v1/accounts/{}/follow", alice.id),
                json!({}),
            )
            .await;
        assert_eq!(code, 200, "{rel}");
        assert_eq!(rel["requested"], true);
    }
    let (_, theirs) = f
        .post(
            &bob,
            "/api/v1/statuses",
            json!({"status": "lunch?", "poll": {"options": ["yes", "no"], "expires_in": 3600}}),
        )
        .await;
    let theirs_id = theirs["id"].as_str().unwrap().to_string();
    let poll = theirs["poll"]["id"].as_str().unwrap().to_string();

    let v1 = publish(
        &f,
        &root,
        "# Our policy\n\nBe **kind** and keep customer data out.",
    )
    .await;
    assert_eq!(v1["version"], 1);
    let policy_url = f.url("/about/usage-policy");

    // Each interaction is refused with a clear sentence and where to accept.
    let all = interactions(&own, &theirs_id, &poll, &bob.id, &dave.id, &erin.id);
    for (what, method, path, body) in &all {
        let (code, refused) = send(&f, method.clone(), &alice, path, body.clone()).await;
        assert_eq!(code, 403, "{what}: {refused}");
        assert_eq!(refused["policy_url"], policy_url.as_str(), "{what}");
        let message = refused["error"].as_str().unwrap();
        assert!(
            message.contains("usage policy (version 1)") && message.contains(&policy_url),
            "{what}: {message}"
        );
    }
    // …and none of them happened.
    let (_, status) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{theirs_id}"))
        .await;
    assert_eq!(status["favourites_count"], 0);
    assert_eq!(status["reblogs_count"], 0);
    assert_eq!(status["replies_count"], 0);
    assert_eq!(status["poll"]["votes_count"], 0);
    let (_, mine) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{own}"))
        .await;
    assert_eq!(mine["edited_at"], Value::Null);
    let (_, requests) = f.get(Some(&alice), "/api/v1/follow_requests").await;
    assert_eq!(requests.as_array().unwrap().len(), 2);
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["statuses_count"], 1);
    assert_eq!(me["following_count"], 0);

    // Reading, bookmarks, reports, mutes, blocks, settings and deleting stay possible.
    let (code, _) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert_eq!(code, 200);
    let (code, _) = f.get(Some(&alice), "/api/v1/timelines/public").await;
    assert_eq!(code, 200);
    let (code, _) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{theirs_id}"))
        .await;
    assert_eq!(code, 200);
    let (code, standing) = f
        .get(Some(&alice), "/api/v1/groundswell/usage_policy")
        .await;
    assert_eq!(code, 200);
    assert_eq!(standing["version"], 1);
    assert_eq!(standing["accepted_at"], Value::Null);
    assert!(
        standing["html"]
            .as_str()
            .unwrap()
            .contains("<strong>kind</strong>")
    );
    let allowed: Vec<(&str, reqwest::Method, String, Value)> = vec![
        (
            "bookmark",
            reqwest::Method::POST,
            format!("/api/v1/statuses/{theirs_id}/bookmark"),
            json!({}),
        ),
        (
            "report",
            reqwest::Method::POST,
            "/api/v1/reports".into(),
            json!({"account_id": bob.id, "comment": "checking"}),
        ),
        (
            "mute",
            reqwest::Method::POST,
            format!("/api/v1/accounts/{}/mute", bob.id),
            json!({}),
        ),
        (
            "unmute",
            reqwest::Method::POST,
            format!("/api/v1/accounts/{}/unmute", bob.id),
            json!({}),
        ),
        (
            "block",
            reqwest::Method::POST,
            format!("/api/v1/accounts/{}/block", frank.id),
            json!({}),
        ),
        (
            "unblock",
            reqwest::Method::POST,
            format!("/api/v1/accounts/{}/unblock", frank.id),
            json!({}),
        ),
        (
            "settings",
            reqwest::Method::PATCH,
            "/api/v1/accounts/update_credentials".into(),
            json!({"display_name": "Alice A."}),
        ),
    ];
    for (what, method, path, body) in allowed {
        let (code, answer) = send(&f, method, &alice, &path, body).await;
        assert_eq!(code, 200, "{what}: {answer}");
    }

    // She accepts the version in force (not another), and every interaction works again.
    let (code, refused) = accept(&f, &alice, 2).await;
    assert_eq!(code, 422, "{refused}");
    let (code, accepted) = accept(&f, &alice, 1).await;
    assert_eq!(code, 200, "{accepted}");
    assert!(accepted["accepted_at"].is_string());
    for (what, method, path, body) in &all {
        let (code, answer) = send(&f, method.clone(), &alice, path, body.clone()).await;
        assert_eq!(code, 200, "{what}: {answer}");
    }
    let (_, status) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{theirs_id}"))
        .await;
    assert_eq!(status["favourites_count"], 1);
    assert_eq!(status["reblogs_count"], 1);
    assert_eq!(status["poll"]["votes_count"], 1);
    // Deleting her own post never waited.
    let (code, _) = send(
        &f,
        reqwest::Method::DELETE,
        &alice,
        &format!("/api/v1/statuses/{own}"),
        json!({}),
    )
    .await;
    assert_eq!(code, 200);

    // Bob never accepted; a second version stops alice again until she accepts it too.
    let (code, _) = f
        .post(&bob, "/api/v1/statuses", json!({"status": "hi"}))
        .await;
    assert_eq!(code, 403);
    publish(&f, &root, "# Our policy, 2027\n\nAlso: no customer names.").await;
    let (code, refused) = f
        .post(&alice, "/api/v1/statuses", json!({"status": "again"}))
        .await;
    assert_eq!(code, 403);
    assert!(
        refused["error"].as_str().unwrap().contains("(version 2)"),
        "{refused}"
    );
    let (code, _) = accept(&f, &alice, 1).await;
    assert_eq!(code, 422, "the old version is not in force");
    let (code, _) = accept(&f, &alice, 2).await;
    assert_eq!(code, 200);
    let (code, _) = f
        .post(&alice, "/api/v1/statuses", json!({"status": "again"}))
        .await;
    assert_eq!(code, 200);

    // A version the CLI publishes while the server runs is in force as soon as it can know
    // (SQLite: another process's write; PostgreSQL: NOTIFY).
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "policy.md", "# Version three\n");
    let out = assert_ok(&run_cli(
        &f.db,
        &["usage-policy", "publish", file.to_str().unwrap()],
    ));
    assert!(out.contains("published version 3"), "{out}");
    eventually("the CLI's version in force", || async {
        let (code, _) = f
            .post(&alice, "/api/v1/statuses", json!({"status": "third"}))
            .await;
        (code == 403).then_some(())
    })
    .await;
    f.stop().await;
}

async fn admins_publish_moderators_read_and_acceptances_are_exported(db: TestDb) {
    let f = Fixture::start(db).await;
    let root = user_with_role(&f, "root", "admin", "read write admin:read admin:write").await;
    let reader = user_with_role(&f, "reader", "admin", "read admin:read").await;
    let moderator =
        user_with_role(&f, "mod", "moderator", "read write admin:read admin:write").await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let sneaky = f
        .user_with_scopes("sneaky", "read write admin:read admin:write")
        .await;

    // Nothing published yet.
    let (code, none) = f.get(None, "/api/v1/groundswell/usage_policy").await;
    assert_eq!(code, 404, "{none}");
    assert_eq!(none["error"], "No usage policy has been published");
    let (code, _) = f
        .get(
            Some(&root),
            "/api/v1/groundswell/admin/usage_policy/acceptances",
        )
        .await;
    assert_eq!(code, 404);
    let (code, _) = accept(&f, &alice, 1).await;
    assert_eq!(code, 422);

    // Only admins with admin:write publish; moderators and employees get 403.
    for who in [&moderator, &sneaky, &reader] {
        let (code, body) = f
            .post(
                who,
                "/api/v1/groundswell/admin/usage_policy",
                json!({"text": "mine"}),
            )
            .await;
        assert_eq!(code, 403, "{}: {body}", who.username);
    }
    for who in [&alice, &sneaky] {
        let (code, _) = f
            .get(Some(who), "/api/v1/groundswell/admin/usage_policy/versions")
            .await;
        assert_eq!(code, 403, "{}", who.username);
    }
    // The text is checked: not blank, at most 100,000 characters.
    for text in ["   ".to_string(), "x".repeat(100_001)] {
        let (code, body) = f
            .post(
                &root,
                "/api/v1/groundswell/admin/usage_policy",
                json!({"text": text}),
            )
            .await;
        assert_eq!(code, 422, "{body}");
    }

    // The CLI publishes version 1 (its errors are one line), an admin version 2.
    let dir = tempfile::tempdir().unwrap();
    let empty = write_file(dir.path(), "empty.md", "\n\n");
    let line = assert_cli_error(&run_cli(
        &f.db,
        &["usage-policy", "publish", empty.to_str().unwrap()],
    ));
    assert!(line.contains("empty"), "{line}");
    let line = assert_cli_error(&run_cli(
        &f.db,
        &["usage-policy", "publish", "/nonexistent/policy.md"],
    ));
    assert!(
        line.contains("cannot read /nonexistent/policy.md"),
        "{line}"
    );
    let file = write_file(dir.path(), "policy.md", "# Policy\n\nFirst edition.\n");
    let out = assert_ok(&run_cli(
        &f.db,
        &["usage-policy", "publish", file.to_str().unwrap()],
    ));
    assert!(out.contains("published version 1"), "{out}");
    let v2 = publish(&f, &root, "# Policy\n\nSecond edition.").await;
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["published_by"], "@root");
    assert!(v2["html"].as_str().unwrap().contains("<h1>Policy</h1>"));

    // Employees accept; the export says who, which version and when.
    assert_eq!(accept(&f, &bob, 2).await.0, 200);
    assert_eq!(accept(&f, &alice, 2).await.0, 200);
    let (code, again) = accept(&f, &alice, 2).await;
    assert_eq!(code, 200, "accepting twice keeps the first time: {again}");
    for who in [&moderator, &root] {
        let (code, versions) = f
            .get(Some(who), "/api/v1/groundswell/admin/usage_policy/versions")
            .await;
        assert_eq!(code, 200, "{versions}");
        assert_eq!(versions[0]["version"], 2);
        assert_eq!(versions[0]["acceptances"], 2);
        assert_eq!(versions[1]["version"], 1);
        assert_eq!(versions[1]["published_by"], "cli");
        assert_eq!(versions[1]["acceptances"], 0);
    }
    let (code, rows) = f
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/usage_policy/acceptances",
        )
        .await;
    assert_eq!(code, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["username"], "bob");
    assert_eq!(rows[0]["account_id"], bob.id.as_str());
    assert_eq!(rows[0]["email"], "bob@eng.corp.example");
    assert_eq!(rows[0]["version"], 2);
    assert_eq!(rows[1]["username"], "alice");
    assert_eq!(rows[1]["accepted_at"], again["accepted_at"]);
    let (_, older) = f
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/usage_policy/acceptances?version=1",
        )
        .await;
    assert_eq!(older, json!([]));
    let (code, _) = f
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/usage_policy/acceptances?version=9",
        )
        .await;
    assert_eq!(code, 404);
    let (code, _) = f
        .get(
            Some(&moderator),
            "/api/v1/groundswell/admin/usage_policy/acceptances?format=xml",
        )
        .await;
    assert_eq!(code, 422);
    let csv = f
        .client
        .get(f.url("/api/v1/groundswell/admin/usage_policy/acceptances?format=csv&version=2"))
        .bearer_auth(&moderator.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "account_id,username,display_name,email,version,accepted_at"
    );
    assert!(
        lines[1].starts_with(&format!("{},bob,bob,bob@eng.corp.example,2,", bob.id)),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");

    // The CLI exports the same.
    let out = assert_ok(&run_cli(&f.db, &["usage-policy", "acceptances"]));
    assert_eq!(out.replace("\r\n", "\n"), csv.replace("\r\n", "\n"));
    let out = assert_ok(&run_cli(
        &f.db,
        &["usage-policy", "acceptances", "--format", "json"],
    ));
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json, Value::Array(rows.clone()));
    let out = assert_ok(&run_cli(&f.db, &["usage-policy", "show"]));
    assert!(
        out.starts_with("version 2, published ") && out.contains("by @root; accepted by 2"),
        "{out}"
    );
    assert!(out.contains("Second edition."), "{out}");
    let out = assert_ok(&run_cli(&f.db, &["usage-policy", "show", "--version", "1"]));
    assert!(
        out.contains("by cli") && out.contains("First edition."),
        "{out}"
    );
    f.stop().await;
}

/// The text of `page` (an HTML answer), asserting its status.
async fn html(resp: reqwest::Response, status: u16) -> String {
    assert_eq!(resp.status(), status);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    resp.text().await.unwrap()
}

/// A page the browser GETs, asserting its status.
async fn get_page(browser: &reqwest::Client, url: String, status: u16) -> String {
    html(browser.get(url).send().await.unwrap(), status).await
}

fn form_value(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn the_page_shows_the_policy_and_records_the_acceptance(db: TestDb) {
    let f = Fixture::start(db).await;
    let root = user_with_role(&f, "root", "admin", "admin:write").await;
    assert_ok(&run_cli_with_stdin(
        &f.db,
        &[
            "admin",
            "create-user",
            "bob",
            "--email",
            "bob@eng.corp.example",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    ));
    let bob_token = assert_ok(&run_cli(
        &f.db,
        &["admin", "issue-token", "bob", "--scopes", "read write"],
    ))
    .trim()
    .to_string();
    let bob = TestUser {
        username: "bob".into(),
        id: String::new(),
        token: bob_token,
    };
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // No policy: a page that says so, never JSON.
    let page = get_page(&browser, f.url("/about/usage-policy"), 404).await;
    assert!(page.contains("has not published a usage policy"), "{page}");

    publish(
        &f,
        &root,
        "# Usage policy\n\nBe **kind**.\n\n<script>alert(1)</script>\n\n- No customer data",
    )
    .await;
    // Anonymous visitors read it and are offered to sign in.
    let page = get_page(&browser, f.url("/about/usage-policy"), 200).await;
    assert!(page.contains("<h1>Usage policy</h1>"), "{page}");
    assert!(page.contains("<strong>kind</strong>"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains("Sign in to accept it"), "{page}");
    assert!(!page.contains("id=\"accept\""), "{page}");

    // Bob signs in and accepts; a forged form does nothing.
    let form = get_page(
        &browser,
        f.url("/auth/sign_in?return_to=%2Fabout%2Fusage-policy"),
        200,
    )
    .await;
    let resp = browser
        .post(f.url("/auth/sign_in"))
        .form(&[
            ("username", "bob"),
            ("password", "correct horse battery"),
            ("csrf_token", form_value(&form, "csrf_token").as_str()),
            ("return_to", "/about/usage-policy"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/about/usage-policy");
    let page = get_page(&browser, f.url("/about/usage-policy"), 200).await;
    assert!(page.contains("id=\"accept\""), "{page}");
    let csrf = form_value(&page, "csrf_token");
    assert_eq!(form_value(&page, "version"), "1");
    let forged = html(
        browser
            .post(f.url("/about/usage-policy"))
            .form(&[("csrf_token", "forged"), ("version", "1")])
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert!(forged.contains("The form expired"), "{forged}");
    let (code, _) = f
        .post(&bob, "/api/v1/statuses", json!({"status": "hi"}))
        .await;
    assert_eq!(code, 403);
    let resp = browser
        .post(f.url("/about/usage-policy"))
        .form(&[("csrf_token", csrf.as_str()), ("version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let page = get_page(&browser, f.url("/about/usage-policy"), 200).await;
    assert!(page.contains("You accepted version 1 on "), "{page}");
    assert!(!page.contains("id=\"accept\""), "{page}");
    let (code, posted) = f
        .post(&bob, "/api/v1/statuses", json!({"status": "hi"}))
        .await;
    assert_eq!(code, 200, "{posted}");
    let (_, standing) = f.get(Some(&bob), "/api/v1/groundswell/usage_policy").await;
    assert!(standing["accepted_at"].is_string());

    // A version published while bob reads: accepting the old one says so, on a page.
    publish(&f, &root, "# Usage policy\n\nSecond edition.").await;
    let page = html(
        browser
            .post(f.url("/about/usage-policy"))
            .form(&[("csrf_token", csrf.as_str()), ("version", "1")])
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(
        page.contains("Version 1 is not the current usage policy"),
        "{page}"
    );
    assert!(page.contains("Second edition."), "{page}");
    // Signed out, the form sends to the sign-in page.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = anonymous
        .post(f.url("/about/usage-policy"))
        .form(&[("csrf_token", "x"), ("version", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/auth/sign_in")
    );
    f.stop().await;
}

/// Two app nodes on one PostgreSQL: a version published on one is in force on the other
/// without a restart, and an acceptance on one lets the employee act on the other.
#[actix_web::test]
async fn a_second_app_node_enforces_a_new_version_at_once() {
    crate::common::scenario(a_second_app_node_enforces_a_new_version_at_once_body()).await
}

async fn a_second_app_node_enforces_a_new_version_at_once_body() {
    let f = Fixture::start(TestDb::postgres()).await;
    let root = user_with_role(&f, "root", "admin", "admin:write").await;
    let alice = f.user("alice").await;
    let mut settings = (*f.ctx.settings).clone();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    let (second, _) = start_server(settings).await;
    let other = format!("http://{}", second.addr);
    let post_there = |text: &'static str| {
        let (client, url, token) = (
            f.client.clone(),
            format!("{other}/api/v1/statuses"),
            alice.token.clone(),
        );
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"status": text}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // The second node has read that there is no policy.
    assert_eq!(post_there("before").await, 200);
    publish(&f, &root, "# Policy\n").await;
    eventually("the second node to refuse", || async {
        (post_there("during").await == 403).then_some(())
    })
    .await;
    assert_eq!(accept(&f, &alice, 1).await.0, 200);
    assert_eq!(post_there("after").await, 200);
    f.stop().await;
}
