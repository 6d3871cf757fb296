//! Corporate SSO against a real, OpenID-certified provider (`oidc-provider`, started per test
//! on a 127.0.0.1 port): just-in-time accounts, claim and role updates, refusals, the Mastodon
//! OAuth flow through the provider, RP-initiated and back-channel logout, and forged or
//! replayed responses.

use diesel::prelude::*;
use groundswell::db::schema::{accounts, oauth_access_tokens, users, web_sessions};
use serde_json::{Value, json};
use url::Url;

use crate::common::*;
use crate::oidc_provider::*;
use crate::on_both_backends;

/// An instance using a fresh test provider: staff may sign in, it-admins are admins, mods
/// moderators.
async fn start(db: TestDb) -> (Fixture, TestProvider) {
    let reserved = reserve_port();
    let port = reserved.number();
    let provider = TestProvider::start(&format!("http://127.0.0.1:{port}"));
    let issuer = provider.issuer.clone();
    let f = Fixture::start_on(db, reserved, move |s| {
        s.auth.oidc.issuer = issuer;
        s.auth.oidc.client_id = CLIENT_ID.into();
        s.auth.oidc.client_secret = CLIENT_SECRET.into();
        s.auth.oidc.button_label = "Sign in with Corp ID".into();
        s.auth.oidc.allowed_groups = vec!["staff".into()];
        s.auth.oidc.admin_groups = vec!["it-admins".into()];
        s.auth.oidc.moderator_groups = vec!["mods".into()];
        s.auth.oidc.profile_fields = vec![
            groundswell::config::ProfileFieldClaim {
                label: "Title".into(),
                claim: "title".into(),
            },
            groundswell::config::ProfileFieldClaim {
                label: "Location".into(),
                claim: "locality".into(),
            },
        ];
    })
    .await;
    (f, provider)
}

/// The profile of `account_id` as apps read it: its fields (name, value, verified or not).
async fn fields_of(f: &Fixture, account_id: i64) -> Vec<(String, String, bool)> {
    let (code, body) = f.get(None, &format!("/api/v1/accounts/{account_id}")).await;
    assert_eq!(code, 200, "{body}");
    body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["value"].as_str().unwrap().to_string(),
                !f["verified_at"].is_null(),
            )
        })
        .collect()
}

/// IdP claims fill the profile fields `auth.oidc.profile_fields` names, at every sign-in:
/// first, marked verified, kept when the employee edits their profile, replaced when the
/// company directory changes; the employee's own fields stay.
async fn profile_fields_come_from_the_company_directory(db: TestDb) {
    let (f, op) = start(db).await;
    op.set_user(
        "sub-alice",
        json!({"title": "Staff engineer", "locality": "Berlin"}),
    )
    .await;
    web_sign_in(&f, &browser(), "alice").await;
    let account_id = user_row(&f, "sub-alice").unwrap().account_id;
    let dir = |t: &str, v: &str| (t.to_string(), v.to_string(), true);
    assert_eq!(
        fields_of(&f, account_id).await,
        [dir("Title", "Staff engineer"), dir("Location", "Berlin")]
    );
    // Alice edits her profile in an app, which sends every field back, changed.
    let token = f
        .ctx
        .db
        .write(|conn| {
            let me = groundswell::service::users::find_local_user(conn, "alice")?;
            let scopes = groundswell::auth::Scopes::parse("read write").unwrap();
            groundswell::service::tokens::issue_personal_token(conn, &me, &scopes, None)
        })
        .await
        .unwrap();
    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&token)
        .json(&json!({"fields_attributes": [
            {"name": "Title", "value": "CEO"},
            {"name": "Location", "value": "Berlin"},
            {"name": "Pronouns", "value": "she/her"},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let own = ("Pronouns".to_string(), "she/her".to_string(), false);
    assert_eq!(
        fields_of(&f, account_id).await,
        [
            dir("Title", "Staff engineer"),
            dir("Location", "Berlin"),
            own.clone()
        ],
        "the company directory's fields are not the employee's to change"
    );
    // IT changes her title and she moves office: the next sign-in brings it; her own
    // field stays.
    op.set_user(
        "sub-alice",
        json!({"title": "Principal engineer", "locality": null}),
    )
    .await;
    web_sign_in(&f, &browser(), "alice").await;
    assert_eq!(
        fields_of(&f, account_id).await,
        [dir("Title", "Principal engineer"), own]
    );
    f.stop().await;
}

fn is_callback(url: &Url) -> bool {
    url.path() == "/auth/oidc/callback"
}

/// Sign in on the web pages as `username` at the provider; returns the page landed on.
async fn web_sign_in(f: &Fixture, browser: &reqwest::Client, username: &str) -> Landed {
    let page = follow(browser, &f.url("/auth/sign_in"), |_| false).await;
    let (_, link) = sso_link(&page.body);
    let idp = follow(browser, &f.url(&link), |_| false).await;
    assert!(idp.body.contains("Company sign-in"), "{}", idp.body);
    log_in_at_provider(browser, &idp, username, |_| false).await
}

/// The SSO button of the sign-in page: label and link.
fn sso_link(html: &str) -> (String, String) {
    let start = html.find("id=\"sso\"").expect("SSO button");
    let tag_start = html[..start].rfind("<a ").unwrap();
    let tag = &html[tag_start..];
    let href = tag
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let label = tag.split('>').nth(1).unwrap().split('<').next().unwrap();
    (
        label.to_string(),
        href.replace("&#38;", "&").replace("&amp;", "&"),
    )
}

#[derive(Debug)]
struct Row {
    account_id: i64,
    username: String,
    display_name: String,
    email: String,
    department: Option<String>,
    role: String,
    issuer: Option<String>,
    subject: Option<String>,
}

fn user_row(f: &Fixture, sub: &str) -> Option<Row> {
    let mut conn = f.db.connect();
    users::table
        .inner_join(accounts::table)
        .filter(users::oidc_subject.eq(sub))
        .select((
            accounts::id,
            accounts::username,
            accounts::display_name,
            users::email,
            users::department,
            users::role,
            users::oidc_issuer,
            users::oidc_subject,
        ))
        .first::<(
            i64,
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
        )>(&mut conn)
        .optional()
        .unwrap()
        .map(
            |(account_id, username, display_name, email, department, role, issuer, subject)| Row {
                account_id,
                username,
                display_name,
                email,
                department,
                role,
                issuer,
                subject,
            },
        )
}

fn user_count(f: &Fixture) -> i64 {
    let mut conn = f.db.connect();
    users::table.count().get_result(&mut conn).unwrap()
}

async fn signed_in_as(f: &Fixture, browser: &reqwest::Client) -> Option<String> {
    let home = follow(browser, &f.url("/"), |_| false).await.body;
    home.split("Signed in as <strong>@")
        .nth(1)
        .map(|rest| rest.chars().take_while(|c| *c != '<').collect())
}

async fn first_login_provisions_and_later_logins_update(db: TestDb) {
    let (f, op) = start(db).await;

    // The sign-in page offers the company button only: passwords are off by default with SSO.
    let page = follow(&browser(), &f.url("/auth/sign_in"), |_| false).await;
    let (label, _) = sso_link(&page.body);
    assert_eq!(label, "Sign in with Corp ID");
    assert!(!page.body.contains("type=\"password\""), "{}", page.body);
    let refused = browser()
        .post(f.url("/auth/sign_in"))
        .form(&[
            ("username", "admin"),
            ("password", "x"),
            ("csrf_token", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Password sign-in is turned off")
    );

    // First sign-in creates the account from the provider's claims (userinfo: the ID token
    // of oidc-provider carries only `sub`).
    let alice = browser();
    let landed = web_sign_in(&f, &alice, "alice").await;
    assert_eq!(landed.url.as_str(), f.url("/"), "{}", landed.body);
    assert_eq!(signed_in_as(&f, &alice).await.as_deref(), Some("alice"));
    let row = user_row(&f, "sub-alice").expect("account created");
    assert_eq!(row.username, "alice");
    assert_eq!(row.display_name, "Alice Anders");
    assert_eq!(row.email, "alice@corp.example");
    assert_eq!(row.department.as_deref(), Some("Engineering"));
    assert_eq!(row.role, "user");
    assert_eq!(row.issuer.as_deref(), Some(op.issuer.as_str()));
    assert_eq!(row.subject.as_deref(), Some("sub-alice"));
    {
        let mut conn = f.db.connect();
        let sid: Option<String> = web_sessions::table
            .select(web_sessions::oidc_sid)
            .first(&mut conn)
            .unwrap();
        assert!(
            sid.is_some(),
            "the provider's session id is kept for back-channel logout"
        );
    }

    // IT changes her name, address, department and groups: the next sign-in brings them,
    // the account (and its username) stay.
    op.set_user(
        "sub-alice",
        json!({"name": "Alice Anders-Berg", "email": "alice.ab@corp.example",
               "department": "Platform", "groups": ["staff", "mods"]}),
    )
    .await;
    let again = browser();
    web_sign_in(&f, &again, "alice").await;
    let updated = user_row(&f, "sub-alice").unwrap();
    assert_eq!(updated.account_id, row.account_id);
    assert_eq!(updated.username, "alice");
    assert_eq!(updated.display_name, "Alice Anders-Berg");
    assert_eq!(updated.email, "alice.ab@corp.example");
    assert_eq!(updated.department.as_deref(), Some("Platform"));
    assert_eq!(updated.role, "moderator");
    // Leaving the moderators group takes the role away at the next sign-in.
    op.set_user("sub-alice", json!({"groups": ["staff"]})).await;
    web_sign_in(&f, &browser(), "alice").await;
    assert_eq!(user_row(&f, "sub-alice").unwrap().role, "user");

    // it-admins are admins.
    web_sign_in(&f, &browser(), "carol").await;
    assert_eq!(user_row(&f, "sub-carol").unwrap().role, "admin");

    // No preferred_username: the e-mail's local part, normalised.
    web_sign_in(&f, &browser(), "dave").await;
    assert_eq!(user_row(&f, "sub-dave").unwrap().username, "dave.smith");

    // Keyed by (issuer, sub), never by name: another person called "alice" gets alice_2.
    op.set_user(
        "sub-alice2",
        json!({"preferred_username": "Alice", "name": "Alice Other", "email": "alice2@corp.example",
               "groups": ["staff"]}),
    )
    .await;
    web_sign_in(&f, &browser(), "alice2").await;
    let other = user_row(&f, "sub-alice2").unwrap();
    assert_eq!(other.username, "alice_2");
    assert_ne!(other.account_id, row.account_id);
    f.stop().await;
}

async fn members_of_other_groups_are_refused(db: TestDb) {
    let (f, _op) = start(db).await;
    let mallory = browser();
    let landed = web_sign_in(&f, &mallory, "mallory").await;
    assert_eq!(landed.status, 403, "{}", landed.body);
    assert!(
        landed.body.contains("not in a group that may use"),
        "a readable refusal: {}",
        landed.body
    );
    assert!(landed.body.contains("staff"));
    assert_eq!(
        user_count(&f),
        0,
        "nothing is created for a refused employee"
    );
    assert_eq!(signed_in_as(&f, &mallory).await, None);
    f.stop().await;
}

/// Register a client app (`POST /api/v1/apps`, scopes `read write`): its id and secret.
pub(crate) async fn register_app(f: &Fixture, redirect: &str) -> (String, String) {
    let app: Value = f
        .client
        .post(f.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Test app"),
            ("redirect_uris", redirect),
            ("scopes", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        app["client_id"].as_str().unwrap().into(),
        app["client_secret"].as_str().unwrap().into(),
    )
}

/// The Mastodon OAuth flow of a client app, signing in at the provider; returns the API token.
async fn app_token(f: &Fixture, browser: &reqwest::Client, username: &str) -> String {
    const REDIRECT: &str = "https://app.example/callback";
    let (client_id, secret) = register_app(f, REDIRECT).await;
    let authorize = f.url(&format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=read+write&state=app-state"
    ));
    // Not signed in: straight to the company's provider.
    let first = browser.get(&authorize).send().await.unwrap();
    assert_eq!(first.status(), 302);
    let location = first.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/auth/oidc/login?return_to=%2Foauth%2Fauthorize"),
        "{location}"
    );
    let idp = follow(browser, &authorize, |_| false).await;
    assert!(
        !idp.url.as_str().starts_with(&f.url("/")),
        "at the provider: {}",
        idp.url
    );
    let page = log_in_at_provider(browser, &idp, username, |_| false).await;
    assert!(page.url.path() == "/oauth/authorize", "{}", page.url);
    assert!(page.body.contains("Authorize Test app?"), "{}", page.body);
    let (_, mut fields) = form(&page.body, "/oauth/authorize");
    fields.push(("decision".into(), "approve".into()));
    let done = post_and_follow(browser, &f.url("/oauth/authorize"), &fields, |u| {
        u.as_str().starts_with(REDIRECT)
    })
    .await;
    let back = done.location.expect("redirect to the app");
    let q: std::collections::HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "app-state");
    let token: Value = f
        .client
        .post(f.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", q["code"].as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().expect("token").to_string()
}

async fn verify_credentials(f: &Fixture, token: &str) -> (u16, Value) {
    let resp = f
        .client
        .get(f.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn mastodon_clients_sign_in_through_the_provider(db: TestDb) {
    let (f, _op) = start(db).await;
    let browser = browser();
    let token = app_token(&f, &browser, "carol").await;
    let (status, me) = verify_credentials(&f, &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "carol");
    assert_eq!(me["display_name"], "Carol Chen");
    assert_eq!(me["role"]["name"], "Admin", "{me}");
    f.stop().await;
}

async fn rp_initiated_logout_signs_out_at_the_provider(db: TestDb) {
    let (f, op) = start(db).await;
    let alice = browser();
    web_sign_in(&f, &alice, "alice").await;
    let home = follow(&alice, &f.url("/"), |_| false).await;
    let (_, fields) = form(&home.body, "/auth/sign_out");
    let out = alice
        .post(f.url("/auth/sign_out"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let to = Url::parse(out.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        to.as_str().split('?').next().unwrap(),
        op.url("/session/end")
    );
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["post_logout_redirect_uri"], f.url("/"));
    assert_eq!(
        signed_in_as(&f, &alice).await,
        None,
        "signed out here at once"
    );

    // The provider asks to confirm, then sends the browser back to the start page.
    let confirm = follow(&alice, to.as_str(), |_| false).await;
    let (action, mut fields) = form(&confirm.body, "/session/end");
    fields.push(("logout".into(), "yes".into()));
    let back = post_and_follow(
        &alice,
        confirm.url.join(&action).unwrap().as_str(),
        &fields,
        |u| u.as_str().starts_with(&f.url("/")),
    )
    .await;
    assert_eq!(back.location.map(|u| u.to_string()), Some(f.url("/")));

    // Signed out at the provider too: the next sign-in asks for the company login again.
    let page = follow(&alice, &f.url("/auth/sign_in"), |_| false).await;
    let (_, link) = sso_link(&page.body);
    let idp = follow(&alice, &f.url(&link), |_| false).await;
    assert!(idp.body.contains("Company sign-in"), "{}", idp.body);
    f.stop().await;
}

async fn backchannel_logout_ends_sessions_and_revokes_tokens(db: TestDb) {
    let (f, op) = start(db).await;
    let alice = browser();
    let token = app_token(&f, &alice, "alice").await;
    assert_eq!(verify_credentials(&f, &token).await.0, 200);
    assert_eq!(signed_in_as(&f, &alice).await.as_deref(), Some("alice"));

    // Alice signs out in the company portal (at the provider, not here): the provider calls
    // our back-channel logout endpoint.
    let confirm = follow(&alice, &op.url("/session/end"), |_| false).await;
    let (action, mut fields) = form(&confirm.body, "/session/end");
    fields.push(("logout".into(), "yes".into()));
    post_and_follow(
        &alice,
        confirm.url.join(&action).unwrap().as_str(),
        &fields,
        |_| true,
    )
    .await;
    let mut revoked = false;
    for _ in 0..50 {
        if verify_credentials(&f, &token).await.0 == 401 {
            revoked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        revoked,
        "the provider's back-channel logout revoked the app's token"
    );
    assert_eq!(
        signed_in_as(&f, &alice).await,
        None,
        "and ended the web session"
    );
    let live: i64 = {
        let mut conn = f.db.connect();
        oauth_access_tokens::table
            .filter(oauth_access_tokens::revoked_at.is_null())
            .count()
            .get_result(&mut conn)
            .unwrap()
    };
    assert_eq!(live, 0);

    // Logout tokens are verified like ID tokens, and used once.
    let post = |jwt: String| {
        f.client
            .post(f.url("/auth/oidc/backchannel_logout"))
            .form(&[("logout_token", jwt)])
            .send()
    };
    let valid = op
        .logout_token(json!({"sub": "sub-alice", "claims": {"jti": "fixed-jti"}}))
        .await;
    assert_eq!(post(valid.clone()).await.unwrap().status(), 200);
    let replay = post(valid).await.unwrap();
    assert_eq!(replay.status(), 400, "a replayed logout token is refused");
    for (why, body) in [
        (
            "a nonce",
            json!({"sub": "sub-alice", "claims": {"nonce": "n"}}),
        ),
        (
            "no event",
            json!({"sub": "sub-alice", "claims": {"events": null}}),
        ),
        (
            "another audience",
            json!({"sub": "sub-alice", "claims": {"aud": "someone-else"}}),
        ),
        (
            "another issuer",
            json!({"sub": "sub-alice", "claims": {"iss": "http://evil.example"}}),
        ),
        (
            "expired",
            json!({"sub": "sub-alice", "claims": {"exp": 1_000_000, "iat": 999_000}}),
        ),
        ("unsigned", json!({"sub": "sub-alice", "sign": "none"})),
    ] {
        let resp = post(op.logout_token(body).await).await.unwrap();
        assert_eq!(resp.status(), 400, "a logout token with {why} is refused");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
    f.stop().await;
}

/// Start a sign-in and complete it at the provider, stopping before the callback; returns the
/// callback URL the provider sent the browser to.
async fn callback_url(f: &Fixture, browser: &reqwest::Client, username: &str) -> Url {
    let idp = follow(browser, &f.url("/auth/oidc/login"), |_| false).await;
    let stopped = log_in_at_provider(browser, &idp, username, is_callback).await;
    stopped
        .location
        .filter(is_callback)
        .expect("sent back to the callback")
}

async fn forged_and_replayed_responses_are_refused(db: TestDb) {
    let (f, op) = start(db).await;
    let alice = browser();

    // Wrong state: refused, and the real answer still works afterwards.
    let good = callback_url(&f, &alice, "alice").await;
    let mut forged = good.clone();
    let pairs: Vec<(String, String)> = good.query_pairs().into_owned().collect();
    forged.query_pairs_mut().clear();
    for (k, v) in &pairs {
        let v = if k == "state" {
            "forged-state".to_string()
        } else {
            v.clone()
        };
        forged.query_pairs_mut().append_pair(k, &v);
    }
    let resp = follow(&alice, forged.as_str(), |_| true).await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(
        resp.body
            .contains("does not belong to a sign-in started in this browser")
    );
    let ok = follow(&alice, good.as_str(), |_| true).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(signed_in_as(&f, &alice).await.as_deref(), Some("alice"));

    // Replayed callback: refused in the same browser (its state cookie is gone), and refused
    // even with the state cookie put back (the state is single use).
    let again = follow(&alice, good.as_str(), |_| true).await;
    assert_eq!(again.status, 400, "{}", again.body);
    let state = good
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let again = f
        .client
        .get(good.as_str())
        .header("cookie", format!("gs_oidc_state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    let body = again.text().await.unwrap();
    assert!(body.contains("already used or has expired"), "{body}");

    // Replayed code with a fresh state of this browser: the provider refuses the code.
    let code = good
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let start = follow(&alice, &f.url("/auth/oidc/login"), |u| {
        u.as_str().starts_with(&op.issuer)
    })
    .await;
    let fresh_state = start
        .location
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let mut replay = Url::parse(&f.url("/auth/oidc/callback")).unwrap();
    replay
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &fresh_state);
    let resp = follow(&alice, replay.as_str(), |_| true).await;
    assert_eq!(resp.status, 401, "{}", resp.body);
    assert!(resp.body.contains("refused the sign-in"), "{}", resp.body);

    // Key rotation: a token signed with a newly published key is accepted (the JWKS is
    // fetched again; at most every 10 seconds, so this comes before the unknown-key case).
    op.rotate_keys().await;
    let b = browser();
    let landed = web_sign_in(&f, &b, "dave").await;
    assert_eq!(landed.url.as_str(), f.url("/"), "{}", landed.body);
    assert_eq!(signed_in_as(&f, &b).await.as_deref(), Some("dave.smith"));

    // Forged ID tokens, each in a fresh browser: refused with a readable page, no session, no
    // account.
    let cases = [
        ("wrong nonce", json!({"nonce": "forged-nonce"}), "provider"),
        (
            "another audience",
            json!({"aud": "someone-else"}),
            "provider",
        ),
        (
            "another authorized party",
            json!({"aud": [CLIENT_ID, "someone-else"], "azp": "someone-else"}),
            "provider",
        ),
        (
            "several audiences, no azp",
            json!({"aud": [CLIENT_ID, "someone-else"]}),
            "provider",
        ),
        (
            "expired",
            json!({"exp": 1_000_000, "iat": 999_000}),
            "provider",
        ),
        ("issued long ago", json!({"iat": 1_000_000}), "provider"),
        ("alg none", json!({}), "none"),
        (
            "wrong issuer",
            json!({"iss": "http://evil.example"}),
            "provider",
        ),
        ("unknown key", json!({}), "unknown-key"),
    ];
    for (why, claims, sign) in cases {
        let b = browser();
        op.tamper_next_id_token(claims, sign).await;
        let landed = web_sign_in(&f, &b, "carol").await;
        assert_eq!(landed.status, 401, "{why}: {}", landed.body);
        assert!(
            landed.body.contains("could not be verified"),
            "{why}: {}",
            landed.body
        );
        assert_eq!(signed_in_as(&f, &b).await, None, "{why}");
        assert!(user_row(&f, "sub-carol").is_none(), "{why}: no account");
    }

    f.stop().await;
}

on_both_backends!(
    first_login_provisions_and_later_logins_update,
    members_of_other_groups_are_refused,
    mastodon_clients_sign_in_through_the_provider,
    rp_initiated_logout_signs_out_at_the_provider,
    backchannel_logout_ends_sessions_and_revokes_tokens,
    forged_and_replayed_responses_are_refused,
    profile_fields_come_from_the_company_directory,
);

/// A provider that does not answer: the sign-in page says so clearly, nothing panics.
#[actix_web::test]
async fn an_unreachable_provider_is_reported_on_the_sign_in_page() {
    crate::common::scenario(an_unreachable_provider_is_reported_on_the_sign_in_page_body()).await
}

async fn an_unreachable_provider_is_reported_on_the_sign_in_page_body() {
    let dead = free_port();
    let f = Fixture::start_with(TestDb::sqlite(), move |s| {
        s.auth.oidc.issuer = format!("http://127.0.0.1:{dead}");
        s.auth.oidc.client_id = CLIENT_ID.into();
        s.auth.oidc.client_secret = CLIENT_SECRET.into();
    })
    .await;
    let b = browser();
    let page = follow(&b, &f.url("/auth/sign_in"), |_| false).await;
    let (_, link) = sso_link(&page.body);
    let resp = follow(&b, &f.url(&link), |_| false).await;
    assert_eq!(resp.status, 503, "{}", resp.body);
    assert!(
        resp.body.contains("The company sign-in is unavailable"),
        "{}",
        resp.body
    );
    assert!(
        resp.body.contains(&format!(
            "127.0.0.1:{dead}/.well-known/openid-configuration"
        )),
        "names what failed: {}",
        resp.body
    );
    f.stop().await;
}

/// The SSO keys from the environment: lists comma-separated, secrets redacted, a bad issuer
/// refused at start with the key named.
#[test]
fn sso_settings_from_the_environment() {
    let out = groundswell_cmd()
        .arg("config")
        .env(
            "GROUNDSWELL_AUTH__OIDC__ISSUER",
            "https://login.corp.example/tenant/v2.0",
        )
        .env("GROUNDSWELL_AUTH__OIDC__CLIENT_ID", "groundswell-eng")
        .env("GROUNDSWELL_AUTH__OIDC__CLIENT_SECRET", "oidc-s3cret")
        .env(
            "GROUNDSWELL_AUTH__OIDC__ADMIN_GROUPS",
            "it-admins,eng-leads",
        )
        .env("GROUNDSWELL_AUTH__SCIM__TOKEN", "scim-s3cret")
        .output()
        .unwrap();
    let text = assert_ok(&out);
    assert!(!text.contains("s3cret"), "secrets are redacted: {text}");
    let cfg: toml::Value = toml::from_str(&text).unwrap();
    let oidc = &cfg["auth"]["oidc"];
    assert_eq!(
        oidc["admin_groups"],
        toml::Value::Array(vec!["it-admins".into(), "eng-leads".into()])
    );
    assert_eq!(oidc["client_secret"].as_str(), Some("REDACTED"));
    assert_eq!(cfg["auth"]["scim"]["token"].as_str(), Some("REDACTED"));

    let out = groundswell_cmd()
        .arg("config")
        .env("GROUNDSWELL_AUTH__OIDC__ISSUER", "login.corp.example")
        .env("GROUNDSWELL_AUTH__OIDC__CLIENT_ID", "x")
        .env("GROUNDSWELL_AUTH__OIDC__CLIENT_SECRET", "y")
        .output()
        .unwrap();
    let line = assert_cli_error(&out);
    assert!(line.contains("auth.oidc.issuer"), "{line}");
    let out = groundswell_cmd()
        .arg("config")
        .env(
            "GROUNDSWELL_AUTH__OIDC__ISSUER",
            "https://login.corp.example",
        )
        .output()
        .unwrap();
    assert!(assert_cli_error(&out).contains("auth.oidc.client_id"));
}
