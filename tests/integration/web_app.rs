//! The employee web app over HTTP, as a browser uses it (cookies, CSRF tokens, forms with
//! files): posting with an image and its description, department-only posts, replies,
//! edits, deletes, polls, favourites, boosts and bookmarks, follows, the live timeline's
//! new-posts fragment and the compose box's completions. The same rules as the API: what a
//! form does is what the API then shows. Headless Chromium covers the pages themselves
//! (tests/browser/webapp.test.mjs).

use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::common::*;
use crate::on_both_backends;

const PASSWORD: &str = "correct horse battery";

/// A browser signed in as `username` (created with a password); its session's CSRF token.
struct Browser {
    client: reqwest::Client,
    csrf: String,
}

fn token_in(page: &str) -> String {
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .expect("a CSRF token on the page")
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn browser_of(f: &Fixture, username: &str) -> (Browser, TestUser) {
    assert_ok(&run_cli_with_stdin(
        &f.db,
        &[
            "admin",
            "create-user",
            username,
            "--email",
            &format!("{username}@eng.corp.example"),
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    ));
    let token = stdout(&assert_ok_out(run_cli(
        &f.db,
        &[
            "admin",
            "issue-token",
            username,
            "--scopes",
            "read write follow",
        ],
    )))
    .trim()
    .to_string();
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = client.get(f.url("/auth/sign_in")).send().await.unwrap();
    let csrf = token_in(&form.text().await.unwrap());
    let signed = client
        .post(f.url("/auth/sign_in"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
            ("return_to", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let home = client.get(f.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let csrf = token_in(&home.text().await.unwrap());
    let mut user = TestUser {
        username: username.to_string(),
        id: String::new(),
        token,
    };
    let (_, me) = f
        .get(Some(&user), "/api/v1/accounts/verify_credentials")
        .await;
    user.id = me["id"].as_str().unwrap().to_string();
    (Browser { client, csrf }, user)
}

fn assert_ok_out(out: std::process::Output) -> std::process::Output {
    assert_ok(&out);
    out
}

impl Browser {
    async fn page(&self, f: &Fixture, path: &str) -> (u16, String) {
        let resp = self.client.get(f.url(path)).send().await.unwrap();
        (resp.status().as_u16(), resp.text().await.unwrap())
    }

    /// Post the compose form; returns the status and where it leads (or the page).
    async fn compose(&self, f: &Fixture, form: Form) -> (u16, String) {
        let resp = self
            .client
            .post(f.url("/compose"))
            .multipart(form.text("csrf_token", self.csrf.clone()))
            .send()
            .await
            .unwrap();
        let code = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        match location {
            Some(l) => (code, l),
            None => (code, resp.text().await.unwrap()),
        }
    }

    async fn form(&self, f: &Fixture, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let resp = self
            .client
            .post(f.url(path))
            .form(&all)
            .send()
            .await
            .unwrap();
        let code = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        (code, location)
    }
}

/// The id of the post a compose redirect points at (`…#post-ID`).
fn posted_id(location: &str) -> String {
    location
        .rsplit_once("#post-")
        .unwrap_or_else(|| panic!("no post in {location}"))
        .1
        .to_string()
}

async fn posting_and_acting_from_the_browser(db: TestDb) {
    let f = Fixture::start(db).await;
    let (bob, bob_api) = browser_of(&f, "bob").await;
    let alice = f.user("alice").await;

    // Signed out, every page of the app asks for a sign-in first and comes back.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        "/home",
        "/local",
        "/company",
        "/notifications",
        "/compose",
        "/bookmarks",
        "/tags/rust",
    ] {
        let resp = anonymous.get(f.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{path}");
        assert!(
            resp.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/auth/sign_in?return_to=%2F"),
            "{path}"
        );
    }

    // A post with an image and its description.
    let image = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/frontend/static/avatar.png"
    ))
    .unwrap();
    let form = Form::new()
        .text("status", "Build dashboard for #rust services")
        .text("visibility", "public")
        .text("return_to", "/local")
        .text("alt1", "Green build bars")
        .part(
            "image1",
            Part::bytes(image.clone())
                .file_name("dash.png")
                .mime_str("image/png")
                .unwrap(),
        )
        // An empty slot (no file chosen) is no image.
        .part(
            "image2",
            Part::bytes(Vec::new())
                .file_name("")
                .mime_str("application/octet-stream")
                .unwrap(),
        )
        .text("poll_options[]", "")
        .text("poll_options[]", "");
    let (code, location) = bob.compose(&f, form).await;
    assert_eq!(code, 303, "{location}");
    assert!(
        location.starts_with("/local?done=posted#post-"),
        "{location}"
    );
    let dashboard = posted_id(&location);
    let (_, status) = f
        .get(Some(&bob_api), &format!("/api/v1/statuses/{dashboard}"))
        .await;
    assert_eq!(status["visibility"], "public");
    assert_eq!(status["media_attachments"].as_array().unwrap().len(), 1);
    assert_eq!(
        status["media_attachments"][0]["description"],
        "Green build bars"
    );
    let (_, page) = bob.page(&f, "/local?done=posted").await;
    assert!(page.contains("Posted."), "{page}");
    assert!(page.contains("alt=\"Green build bars\""), "{page}");

    // Department-only, a content warning and a poll.
    let form = Form::new()
        .text("status", "Which day for the offsite?")
        .text("visibility", "local")
        .text("spoiler_text", "Offsite planning")
        .text("poll_options[]", "Tuesday")
        .text("poll_options[]", "Thursday")
        .text("poll_options[]", "")
        .text("poll_expires_in", "3600");
    let (code, location) = bob.compose(&f, form).await;
    assert_eq!(code, 303, "{location}");
    let offsite = posted_id(&location);
    let (_, status) = f
        .get(Some(&bob_api), &format!("/api/v1/statuses/{offsite}"))
        .await;
    assert_eq!(status["local_only"], true, "{status}");
    assert_eq!(status["spoiler_text"], "Offsite planning");
    assert_eq!(status["sensitive"], true);
    assert_eq!(status["poll"]["options"].as_array().unwrap().len(), 2);
    let (_, page) = bob.page(&f, "/local").await;
    assert!(page.contains("Department only"), "{page}");
    // Not on a page anyone outside sees.
    let anonymous = f
        .client
        .get(f.url("/@bob"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!anonymous.contains("offsite"), "{anonymous}");

    // A refused post shows the form again with what was written, and stores nothing.
    let long = "y".repeat(5001);
    let (code, page) = bob
        .compose(
            &f,
            Form::new()
                .text("status", long.clone())
                .text("visibility", "public"),
        )
        .await;
    assert_eq!(code, 422);
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains(&long), "what was written is kept");
    let (_, mine) = f
        .get(Some(&bob_api), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(mine["statuses_count"], 2);
    // Without the session's CSRF token nothing happens.
    let forged = bob
        .client
        .post(f.url("/compose"))
        .multipart(
            Form::new()
                .text("status", "forged")
                .text("csrf_token", "nope"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let forged = bob
        .client
        .post(f.url(&format!("/statuses/{dashboard}/delete")))
        .form(&[("csrf_token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let (_, mine) = f
        .get(Some(&bob_api), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(mine["statuses_count"], 2);

    // Alice replies; Bob favourites, boosts and bookmarks her reply from the thread page.
    let reply = f
        .status(
            &alice,
            json!({"status": "@bob nice!", "in_reply_to_id": dashboard}),
        )
        .await;
    let here = format!("/@bob/{dashboard}");
    for action in ["favourite", "boost", "bookmark"] {
        let (code, location) = bob
            .form(
                &f,
                &format!("/statuses/{reply}/{action}"),
                &[("return_to", &here)],
            )
            .await;
        assert_eq!(code, 303, "{action}");
        assert_eq!(location, format!("{here}#post-{reply}"));
    }
    let (_, seen) = f
        .get(Some(&bob_api), &format!("/api/v1/statuses/{reply}"))
        .await;
    assert_eq!(
        (
            seen["favourited"].clone(),
            seen["reblogged"].clone(),
            seen["bookmarked"].clone()
        ),
        (json!(true), json!(true), json!(true))
    );
    let (_, thread) = bob.page(&f, &here).await;
    assert!(
        thread.contains("nice!") && thread.contains("Build dashboard"),
        "{thread}"
    );
    assert!(
        thread.contains(&format!("/statuses/{reply}/unfavourite")),
        "the button undoes it now"
    );
    let (code, _) = bob
        .form(
            &f,
            &format!("/statuses/{reply}/unfavourite"),
            &[("return_to", &here)],
        )
        .await;
    assert_eq!(code, 303);
    let (_, seen) = f
        .get(Some(&bob_api), &format!("/api/v1/statuses/{reply}"))
        .await;
    assert_eq!(seen["favourited"], false);
    // The page's script gets 204 instead of the way back, and changes the button itself.
    let scripted = bob
        .client
        .post(f.url(&format!("/statuses/{reply}/unbookmark")))
        .header("X-Requested-With", "fetch")
        .form(&[("csrf_token", bob.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), 204);
    let (_, page) = bob.page(&f, "/bookmarks").await;
    assert!(!page.contains("nice!"), "{page}");
    let (code, _) = bob
        .form(&f, &format!("/statuses/{reply}/bookmark"), &[])
        .await;
    assert_eq!(code, 303);
    let (_, page) = bob.page(&f, "/bookmarks").await;
    assert!(page.contains("nice!"), "{page}");
    let (_, page) = bob.page(&f, "/notifications").await;
    assert!(page.contains("mentioned you"), "{page}");

    // Editing from the browser; deleting.
    let (_, edit) = bob.page(&f, &format!("/statuses/{dashboard}/edit")).await;
    assert!(
        edit.contains("Build dashboard for #rust services"),
        "{edit}"
    );
    let media_id = status_media(&f, &bob_api, &dashboard).await;
    let resp = bob
        .client
        .post(f.url(&format!("/statuses/{dashboard}/edit")))
        .multipart(
            Form::new()
                .text("csrf_token", bob.csrf.clone())
                .text("status", "Build dashboard for #rust and #go services")
                .text("media_ids[]", media_id),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let (_, status) = f
        .get(Some(&bob_api), &format!("/api/v1/statuses/{dashboard}"))
        .await;
    assert!(
        status["content"]
            .as_str()
            .unwrap()
            .contains("#<span>go</span>")
            || status["content"].as_str().unwrap().contains("go"),
        "{status}"
    );
    assert_eq!(
        status["media_attachments"].as_array().unwrap().len(),
        1,
        "the image stays"
    );
    assert!(status["edited_at"].is_string());
    // Someone else's post cannot be edited or deleted here.
    let (code, _) = bob.page(&f, &format!("/statuses/{reply}/edit")).await;
    assert_eq!(code, 404);
    let (code, _) = bob
        .form(&f, &format!("/statuses/{reply}/delete"), &[])
        .await;
    assert_ne!(code, 303);
    let (code, location) = bob
        .form(
            &f,
            &format!("/statuses/{offsite}/delete"),
            &[("return_to", &format!("/@bob/{offsite}"))],
        )
        .await;
    assert_eq!((code, location.as_str()), (303, "/?done=deleted"));
    let (code, _) = f
        .get(Some(&bob_api), &format!("/api/v1/statuses/{offsite}"))
        .await;
    assert_eq!(code, 404);

    // The live timeline's fragment: only what is newer, and where to look next time.
    let newest = f.status(&alice, json!({"status": "fresh news"})).await;
    let resp = bob
        .client
        .get(f.url(&format!("/local?since_id={dashboard}&partial=1")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-newest"].to_str().unwrap(), newest);
    let fragment = resp.text().await.unwrap();
    assert!(
        fragment.contains("fresh news") && !fragment.contains("Build dashboard"),
        "{fragment}"
    );
    assert!(!fragment.contains("<html"), "only the cards");

    // The compose box's completions: people and hashtags.
    let (code, body) = bob.page(&f, "/compose/suggest?q=%40ali").await;
    assert_eq!(code, 200);
    let found: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(found[0]["value"], "@alice", "{found}");
    let (_, body) = bob.page(&f, "/compose/suggest?q=%23ru").await;
    let found: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(found[0]["value"], "#rust", "{found}");
    let anonymous = f
        .client
        .get(f.url("/compose/suggest?q=%40ali"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // Following from a profile page, and unfollowing.
    let (_, profile) = bob.page(&f, "/@alice").await;
    let alice_id = profile
        .split("action=\"/accounts/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let (code, location) = bob
        .form(
            &f,
            &format!("/accounts/{alice_id}/follow"),
            &[("return_to", "/@alice")],
        )
        .await;
    assert_eq!((code, location.as_str()), (303, "/@alice?done=followed"));
    let (_, rel) = f
        .get(
            Some(&bob_api),
            &format!("/api/v1/accounts/relationships?id[]={alice_id}"),
        )
        .await;
    assert_eq!(rel[0]["following"], true);
    let (_, home) = bob.page(&f, "/").await;
    assert!(
        home.contains("fresh news"),
        "alice's posts reach bob's home: {home}"
    );
    let (code, _) = bob
        .form(
            &f,
            &format!("/accounts/{alice_id}/unfollow"),
            &[("return_to", "/@alice")],
        )
        .await;
    assert_eq!(code, 303);
    let (_, rel) = f
        .get(
            Some(&bob_api),
            &format!("/api/v1/accounts/relationships?id[]={alice_id}"),
        )
        .await;
    assert_eq!(rel[0]["following"], false);
    f.stop().await;
}

async fn status_media(f: &Fixture, user: &TestUser, id: &str) -> String {
    let (_, status) = f.get(Some(user), &format!("/api/v1/statuses/{id}")).await;
    status["media_attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

on_both_backends!(posting_and_acting_from_the_browser);
