//! The OAuth flow as a browser and a client app drive it, including what must be refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::*;
use crate::on_both_backends;

const REDIRECT: &str = "https://app.example/callback";

fn browser() -> reqwest::Client {
    groundswell::install_crypto_provider();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Hidden inputs of the first form posting to `action`.
fn form_fields(html: &str, action: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("action=\"{action}\""))
        .expect("form present");
    let form = &html[start
        ..html[start..]
            .find("</form>")
            .map_or(html.len(), |e| start + e)];
    let mut out = Vec::new();
    for input in form.split("<input").skip(1) {
        let attr = |name: &str| {
            input
                .split(&format!("{name}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(|v| {
                    v.replace("&#38;", "&")
                        .replace("&amp;", "&")
                        .replace("&#34;", "\"")
                        .replace("&#39;", "'")
                })
        };
        if attr("type").as_deref() != Some("hidden") {
            continue;
        }
        if let (Some(name), Some(value)) = (attr("name"), attr("value")) {
            out.push((name, value));
        }
    }
    out
}

async fn register(f: &Fixture, scopes: &str, redirect: &str) -> (String, String) {
    let resp = f
        .client
        .post(f.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Test app"),
            ("redirect_uris", redirect),
            ("scopes", scopes),
            ("website", "https://app.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let app: Value = resp.json().await.unwrap();
    (
        app["client_id"].as_str().unwrap().into(),
        app["client_secret"].as_str().unwrap().into(),
    )
}

/// Sign in as alice (password "correct horse battery") in `browser`, landing on `authorize_url`.
async fn sign_in(f: &Fixture, browser: &reqwest::Client, authorize_url: &str) -> String {
    let resp = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let login = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(
        login.starts_with("/auth/sign_in?return_to=%2Foauth%2Fauthorize"),
        "{login}"
    );
    let page = browser
        .get(f.url(&login))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = form_fields(&page, "/auth/sign_in");
    fields.push(("username".into(), "alice".into()));
    fields.push(("password".into(), "correct horse battery".into()));
    let resp = browser
        .post(f.url("/auth/sign_in"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        303,
        "{fields:?}: {}",
        resp.text().await.unwrap_or_default()
    );
    let back = resp.headers()["location"].to_str().unwrap().to_string();
    let page = browser.get(f.url(&back)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

async fn create_alice(f: &Fixture) {
    let out = run_cli_with_stdin(
        &f.db,
        &[
            "admin",
            "create-user",
            "alice",
            "--email",
            "alice@eng.corp.example",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert_ok(&out);
}

async fn pkce_flow_and_refusals(db: TestDb) {
    let f = Fixture::start(db).await;
    create_alice(&f).await;
    let (client_id, secret) = register(&f, "read write", REDIRECT).await;
    let browser = browser();

    // PKCE S256.
    let verifier = "a".repeat(20) + &"Z9-._~".repeat(6);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let authorize = f.url(&format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=read&state=st8&code_challenge={challenge}&code_challenge_method=S256"
    ));
    let page = sign_in(&f, &browser, &authorize).await;
    assert!(page.contains("Authorize Test app?"), "{page}");
    assert!(page.contains("<code>read</code>"));
    let mut fields = form_fields(&page, "/oauth/authorize");
    fields.push(("decision".into(), "approve".into()));

    // A forged form (wrong CSRF token) is refused.
    let forged: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| {
            if k == "csrf_token" {
                (k.clone(), "forged".into())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    let resp = browser
        .post(f.url("/oauth/authorize"))
        .form(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);

    let resp = browser
        .post(f.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], "st8");
    let code = q["code"].clone();

    let token = |extra: Vec<(&'static str, String)>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.to_string()),
            ("client_id", client_id.clone()),
        ];
        form.extend(extra);
        f.client.post(f.url("/oauth/token")).form(&form).send()
    };
    // Without the verifier, with a wrong one, with a wrong secret: refused, code still usable.
    let resp = token(vec![("client_secret", secret.clone())])
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
    let resp = token(vec![
        ("client_secret", secret.clone()),
        ("code_verifier", "b".repeat(43)),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let resp = token(vec![
        ("client_secret", "wrong".into()),
        ("code_verifier", verifier.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );

    // Client authentication with HTTP Basic (client_secret_basic) and the right verifier.
    let resp = f
        .client
        .post(f.url("/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let issued: Value = resp.json().await.unwrap();
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["scope"], "read", "exactly the scopes granted");
    let access = issued["access_token"].as_str().unwrap();
    let me: Value = f
        .client
        .get(f.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
    let resp = f
        .client
        .post(f.url("/api/v1/statuses"))
        .bearer_auth(access)
        .json(&json!({"status": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "a read token cannot post");

    // PKCE plain.
    let plain = "p".repeat(50);
    let authorize = f.url(&format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=read+write&code_challenge={plain}&code_challenge_method=plain"
    ));
    let page = browser
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = form_fields(&page, "/oauth/authorize");
    fields.push(("decision".into(), "approve".into()));
    let resp = browser
        .post(f.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let resp = f
        .client
        .post(f.url("/oauth/token"))
        .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id, "client_secret": secret, "code_verifier": plain}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json::<Value>().await.unwrap()["scope"], "read write");

    // An expired code is refused.
    let page = browser
        .get(f.url(&format!(
            "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}"
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = form_fields(&page, "/oauth/authorize");
    fields.push(("decision".into(), "approve".into()));
    let resp = browser
        .post(f.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    {
        use diesel::prelude::*;
        use groundswell::db::schema::oauth_authorization_codes as codes;
        let mut conn = f.db.connect();
        diesel::update(
            codes::table.filter(codes::code_hash.eq(groundswell::auth::secrets::hash_token(&code))),
        )
        .set(codes::expires_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1)))
        .execute(&mut conn)
        .unwrap();
    }
    let resp = f
        .client
        .post(f.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    f.stop().await;
}

async fn bad_authorization_requests(db: TestDb) {
    let f = Fixture::start(db).await;
    create_alice(&f).await;
    let (client_id, secret) = register(&f, "read", REDIRECT).await;
    let browser = browser();

    // Problems with the client itself are shown to the employee, never redirected.
    let resp = browser
        .get(f.url(&format!(
            "/oauth/authorize?response_type=code&client_id=nope&redirect_uri={REDIRECT}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("not registered here"));
    let resp = browser.get(f.url(&format!("/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=https://evil.example/cb"))).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("does not match"));

    // Problems with the request go back to the app.
    let resp = browser.get(f.url(&format!("/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=write&state=s"))).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let loc = resp.headers()["location"].to_str().unwrap();
    assert!(
        loc.starts_with(REDIRECT) && loc.contains("error=invalid_scope") && loc.contains("state=s"),
        "{loc}"
    );
    let resp = browser
        .get(f.url(&format!(
            "/oauth/authorize?response_type=token&client_id={client_id}&redirect_uri={REDIRECT}"
        )))
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=unsupported_response_type")
    );

    // Wrong password: a readable page, no session.
    let page = browser
        .get(f.url("/auth/sign_in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = form_fields(&page, "/auth/sign_in");
    fields.push(("username".into(), "alice".into()));
    fields.push(("password".into(), "wrong password".into()));
    let resp = browser
        .post(f.url("/auth/sign_in"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Invalid username/e-mail or password.")
    );
    // A form without the CSRF cookie's token is refused.
    let resp = f
        .client
        .post(f.url("/auth/sign_in"))
        .form(&[
            ("username", "alice"),
            ("password", "correct horse battery"),
            ("csrf_token", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // return_to never leaves the instance.
    let page = browser
        .get(f.url("/auth/sign_in?return_to=//evil.example/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut fields = form_fields(&page, "/auth/sign_in");
    fields.push(("username".into(), "alice@eng.corp.example".into()));
    fields.push(("password".into(), "correct horse battery".into()));
    let resp = browser
        .post(f.url("/auth/sign_in"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/");
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("gs_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain-http test instance: {cookie}"
    );

    // Token endpoint refusals.
    let resp = f
        .client
        .post(f.url("/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let resp = f
        .client
        .post(f.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "made-up"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    // client_credentials: an app token, not a user.
    let resp = f
        .client
        .post(f.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    let app_token = resp.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = f
        .client
        .get(f.url("/api/v1/apps/verify_credentials"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    let app: Value = resp.json().await.unwrap();
    assert_eq!(app["name"], "Test app");
    assert!(
        app.get("client_secret").is_none(),
        "the secret is shown only at registration"
    );
    let resp = f
        .client
        .get(f.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(&app_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let resp = f
        .client
        .post(f.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "write"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_scope"
    );

    // App registration errors.
    for (form, needle) in [
        (vec![("redirect_uris", REDIRECT)], "name can't be blank"),
        (
            vec![("client_name", "x"), ("redirect_uris", "not a uri")],
            "absolute URI",
        ),
        (
            vec![
                ("client_name", "x"),
                ("redirect_uris", REDIRECT),
                ("scopes", "read sudo"),
            ],
            "unknown scope",
        ),
    ] {
        let resp = f
            .client
            .post(f.url("/api/v1/apps"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 422);
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(needle), "{body}");
    }

    // Discovery document.
    let (_, meta) = f.get(None, "/.well-known/oauth-authorization-server").await;
    assert_eq!(meta["authorization_endpoint"], f.url("/oauth/authorize"));
    assert_eq!(
        meta["code_challenge_methods_supported"],
        json!(["S256", "plain"])
    );
    assert!(
        meta["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("admin:read"))
    );
    f.stop().await;
}

on_both_backends!(pkce_flow_and_refusals, bad_authorization_requests);

/// RFC 6749 §4.1.3: a code is exchanged only with the `redirect_uri` its authorization request
/// carried. Without it the exchange is an `invalid_request`, with another one an
/// `invalid_grant`; neither uses the code up.
async fn code_exchange_needs_its_redirect_uri(db: TestDb) {
    let f = Fixture::start(db).await;
    create_alice(&f).await;
    let (client_id, secret) = register(&f, "read", REDIRECT).await;
    let browser = browser();
    let authorize = f.url(&format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}&scope=read"
    ));
    let page = sign_in(&f, &browser, &authorize).await;
    let mut fields = form_fields(&page, "/oauth/authorize");
    fields.push(("decision".into(), "approve".into()));
    let resp = browser
        .post(f.url("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();

    let exchange = |redirect: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.clone()),
            ("client_id", client_id.clone()),
            ("client_secret", secret.clone()),
        ];
        if let Some(uri) = redirect {
            form.push(("redirect_uri", uri.to_string()));
        }
        f.client.post(f.url("/oauth/token")).form(&form).send()
    };
    let resp = exchange(None).await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("redirect_uri"),
        "{body}"
    );
    let resp = exchange(Some("https://app.example/other")).await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let resp = exchange(Some(REDIRECT)).await.unwrap();
    assert_eq!(resp.status(), 200);
    f.stop().await;
}

on_both_backends!(code_exchange_needs_its_redirect_uri);
