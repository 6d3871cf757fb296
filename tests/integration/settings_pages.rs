//! An employee's settings in the browser (`/settings/…`): what the forms change is what apps
//! see through the Mastodon API; sessions and apps can be revoked; exports hold the
//! employee's own data in Mastodon's formats. (In Chromium: tests/browser/settings.test.mjs.)

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::api_media::{photo as api_photo, upload};
use crate::common::*;
use crate::federation::{departments_with, domain, resolve};
use crate::moderation::{console_browser, page as get_page, submit as post_form, with_password};
use crate::on_both_backends;
use crate::write_path::follow;

const PASSWORD: &str = "correct horse battery";

/// The value of the first `name="…" value="…"` input of `html`.
fn input_value(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .unwrap_or_else(|| panic!("an input {name} in {html}"))
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

fn profile_form(csrf: &str, display_name: &str) -> Form {
    let png = std::fs::read("frontend/static/avatar.png").unwrap();
    Form::new()
        .text("csrf_token", csrf.to_string())
        .text("display_name", display_name.to_string())
        .text("note", "Platform engineer. Ask me about #rust")
        // An attempt to overwrite the directory's field under its name is not taken.
        .text("fields[][name]", "Team")
        .text("fields[][value]", "Made up")
        .text("fields[][name]", "Pronouns")
        .text("fields[][value]", "she/her")
        .text("fields[][name]", "")
        .text("fields[][value]", "")
        .text("privacy", "local")
        .text("locked", "true")
        .text("sensitive", "true")
        .text("language", "de")
        // "discoverable" left unticked: a checkbox that is not sent.
        .part(
            "avatar",
            Part::bytes(png)
                .file_name("me.png")
                .mime_str("image/png")
                .unwrap(),
        )
        // A file input left empty.
        .part(
            "header",
            Part::bytes(Vec::new())
                .file_name("")
                .mime_str("application/octet-stream")
                .unwrap(),
        )
}

async fn profile_settings_change_what_apps_see(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = with_password(&f, "alice", PASSWORD).await;
    // Alice's team comes from the company directory at every sign-in.
    f.ctx
        .db
        .write(|conn| {
            let found = groundswell::service::users::find_local_user(conn, "alice")?;
            groundswell::service::accounts::set_directory_fields(
                conn,
                found,
                &[("Team".to_string(), "Platform".to_string())],
            )
        })
        .await
        .unwrap();

    // Not signed in: to the sign-in page, and back after.
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (code, location, _) = post_form(
        &f,
        &anonymous,
        "/settings/notifications",
        &[("csrf_token", "x")],
    )
    .await;
    assert_eq!(code, 303);
    assert_eq!(
        location,
        "/auth/sign_in?return_to=%2Fsettings%2Fnotifications"
    );
    let resp = anonymous.get(f.url("/settings")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/settings/profile");
    let resp = anonymous
        .get(f.url("/settings/profile"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        "/auth/sign_in?return_to=%2Fsettings%2Fprofile"
    );

    let browser = console_browser(&f, "alice", PASSWORD).await;
    let (code, page) = get_page(&f, &browser, "/settings/profile").await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("From the company directory"), "{page}");
    assert!(page.contains("<dt>Team</dt>"), "{page}");
    assert!(page.contains("aria-current=\"page\">Profile</a>"), "{page}");
    // Three fields left to edit (one of four is the directory's).
    assert_eq!(page.matches("name=\"fields[][name]\"").count(), 3, "{page}");
    let csrf = input_value(&page, "csrf_token");

    // A form from elsewhere (wrong CSRF token): refused, readable, nothing changed.
    let resp = browser
        .post(f.url("/settings/profile"))
        .multipart(profile_form("not-the-token", "Mallory"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.text().await.unwrap().contains("The form expired"));
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_ne!(me["display_name"], "Mallory");

    let resp = browser
        .post(f.url("/settings/profile"))
        .multipart(profile_form(&csrf, "Alice Liddell"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_eq!(resp.headers()["location"], "/settings/profile?done=saved");
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["display_name"], "Alice Liddell", "{me}");
    assert!(
        me["note"].as_str().unwrap().contains("Platform engineer"),
        "{me}"
    );
    assert_eq!(
        me["source"]["note"],
        "Platform engineer. Ask me about #rust"
    );
    let fields = me["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2, "{me}");
    assert_eq!(fields[0]["name"], "Team");
    assert_eq!(
        fields[0]["value"], "Platform",
        "the directory's value stays"
    );
    assert!(fields[0]["verified_at"].is_string());
    assert_eq!(fields[1]["name"], "Pronouns");
    assert_eq!(fields[1]["value"], "she/her");
    assert_eq!(me["source"]["privacy"], "local");
    assert_eq!(me["source"]["sensitive"], true);
    assert_eq!(me["source"]["language"], "de");
    assert_eq!(me["discoverable"], false);
    assert_eq!(me["locked"], true);
    assert!(me["avatar"].as_str().unwrap().contains("/media/"), "{me}");
    assert!(
        !me["header"].as_str().unwrap().contains("/media/"),
        "an empty file input changes nothing: {me}"
    );

    let (code, page) = get_page(&f, &browser, "/settings/profile?done=saved").await;
    assert_eq!(code, 200);
    assert!(page.contains("role=\"status\""), "{page}");
    assert!(page.contains("value=\"she/her\""), "{page}");
    assert!(
        page.contains(
            "id=\"privacy-local\" name=\"privacy\" type=\"radio\" value=\"local\" checked"
        )
    );
    assert!(
        page.contains("id=\"locked\" name=\"locked\" type=\"checkbox\" value=\"true\" checked")
    );

    // The notification policy: the same as PATCH /api/v2/notifications/policy.
    let (code, page) = get_page(&f, &browser, "/settings/notifications").await;
    assert_eq!(code, 200, "{page}");
    let (code, location, _) = post_form(
        &f,
        &browser,
        "/settings/notifications",
        &[
            ("csrf_token", csrf.as_str()),
            ("for_not_following", "filter"),
            ("for_not_followers", "accept"),
            ("for_new_accounts", "drop"),
            ("for_private_mentions", "filter"),
            ("for_limited_accounts", "drop"),
        ],
    )
    .await;
    assert_eq!(code, 303);
    assert_eq!(location, "/settings/notifications?done=notifications");
    let (_, policy) = f.get(Some(&alice), "/api/v2/notifications/policy").await;
    assert_eq!(policy["for_not_following"], "filter", "{policy}");
    assert_eq!(policy["for_new_accounts"], "drop", "{policy}");
    assert_eq!(policy["for_limited_accounts"], "drop", "{policy}");
    let (code, _, page) = post_form(
        &f,
        &browser,
        "/settings/notifications",
        &[
            ("csrf_token", csrf.as_str()),
            ("for_not_following", "maybe"),
        ],
    )
    .await;
    assert_eq!(code, 422);
    assert!(page.contains("accept, filter or drop"), "{page}");
    f.stop().await;
}

on_both_backends!(profile_settings_change_what_apps_see);

/// The session ids on a sessions page: (id, whether it is this browser).
fn sessions_on(page: &str) -> Vec<(String, bool)> {
    page.split("<li class=\"row")
        .skip(1)
        .filter(|row| row.contains("name=\"session\""))
        .map(|row| (input_value(row, "session"), row.starts_with(" current")))
        .collect()
}

/// Revoke a browser session from the sessions page: status and where it redirects.
async fn end_session(
    f: &Fixture,
    browser: &reqwest::Client,
    csrf: &str,
    session: &str,
) -> (u16, String) {
    let (code, location, _) = post_form(
        f,
        browser,
        "/settings/sessions/end",
        &[("csrf_token", csrf), ("session", session)],
    )
    .await;
    (code, location)
}

async fn sessions_and_apps_are_revoked(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = with_password(&f, "alice", PASSWORD).await;
    let laptop = console_browser(&f, "alice", PASSWORD).await;
    let phone = console_browser(&f, "alice", PASSWORD).await;

    let (code, page) = get_page(&f, &laptop, "/settings/sessions").await;
    assert_eq!(code, 200, "{page}");
    let found = sessions_on(&page);
    assert_eq!(found.len(), 2, "{page}");
    assert_eq!(found.iter().filter(|(_, current)| *current).count(), 1);
    assert!(page.contains("This browser"));
    let csrf = input_value(&page, "csrf_token");
    // The token `with_password` issued: a personal token, listed with its scopes.
    assert!(page.contains("Personal access token"), "{page}");
    assert!(page.contains("read write follow"), "{page}");
    let grant = input_value(&page, "grant");

    // A wrong CSRF token: nothing revoked.
    let (code, _, _) = post_form(
        &f,
        &laptop,
        "/settings/apps/revoke",
        &[("csrf_token", "forged"), ("grant", grant.as_str())],
    )
    .await;
    assert_eq!(code, 403);
    let (code, _) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(code, 200);

    // When the app and each browser were last used shows (noted as they are used, written
    // every 10 s by the server; written here at once).
    let (code, _) = get_page(&f, &phone, "/home").await;
    assert_eq!(code, 200);
    groundswell::service::metrics::flush_activity(&f.ctx).await;
    let (_, page) = get_page(&f, &laptop, "/settings/sessions").await;
    assert!(page.contains(" · last used <time"), "{page}");
    assert_eq!(page.matches(" · last seen <time").count(), 2, "{page}");

    let (code, location, _) = post_form(
        &f,
        &laptop,
        "/settings/apps/revoke",
        &[("csrf_token", csrf.as_str()), ("grant", grant.as_str())],
    )
    .await;
    assert_eq!(code, 303);
    assert_eq!(location, "/settings/sessions?done=revoked");
    let (code, _) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(code, 401, "a revoked token no longer works");
    let (_, page) = get_page(&f, &laptop, "/settings/sessions?done=revoked").await;
    assert!(page.contains("No app can use your account."), "{page}");

    // The laptop signs the phone out.
    let (phone_session, _) = found.iter().find(|(_, current)| !current).unwrap().clone();
    let (code, location) = end_session(&f, &laptop, &csrf, &phone_session).await;
    assert_eq!(code, 303);
    assert_eq!(location, "/settings/sessions?done=ended");
    let resp = phone.get(f.url("/settings/profile")).send().await.unwrap();
    assert_eq!(resp.status(), 303, "the phone is signed out");
    assert!(
        resp.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/auth/sign_in")
    );
    // A session already ended is not found.
    let (code, _) = end_session(&f, &laptop, &csrf, &phone_session).await;
    assert_eq!(code, 404);

    // And then itself: signed out, to the sign-in page.
    let (laptop_session, _) = found.iter().find(|(_, current)| *current).unwrap().clone();
    let (code, location) = end_session(&f, &laptop, &csrf, &laptop_session).await;
    assert_eq!(code, 303);
    assert_eq!(location, "/auth/sign_in");
    let resp = laptop
        .get(f.url("/settings/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "the laptop is signed out");
    f.stop().await;
}

on_both_backends!(sessions_and_apps_are_revoked);

async fn download(f: &Fixture, browser: &reqwest::Client, path: &str) -> (String, String, String) {
    let resp = browser.get(f.url(path)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    (kind, disposition, resp.text().await.unwrap())
}

async fn exports_hold_own_data_in_mastodon_formats(db: TestDb) {
    let deps = departments_with(db, 2, |_, _| true, |_, _| {}).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = with_password(eng, "alice", PASSWORD).await;
    let carol = eng.user("carol").await;
    sales.user("bob").await;

    // Alice follows Bob in Sales and Carol in her own department.
    let bob_on_eng = resolve(eng, &alice, &format!("bob@{}", domain(sales))).await;
    follow(eng, &alice, &bob_on_eng, json!({})).await;
    follow(
        eng,
        &alice,
        &carol.id,
        json!({"reblogs": false, "notify": true}),
    )
    .await;

    let (code, photo) = upload(
        eng,
        &alice,
        api_photo(40, 30),
        Some("The team at the offsite"),
    )
    .await;
    assert_eq!(code, 200, "{photo}");
    let public = eng
        .status(
            &alice,
            json!({"status": "Hello, everyone, from Eng", "media_ids": [photo["id"]]}),
        )
        .await;
    eng.status(
        &alice,
        json!({
            "status": "Department only: the build is green",
            "visibility": "local",
            "poll": {"options": ["Ship it", "Wait"], "expires_in": 3600, "multiple": false},
        }),
    )
    .await;
    eng.status(
        &alice,
        json!({"status": "Followers only, with \"quotes\", commas", "visibility": "private"}),
    )
    .await;
    let carols = eng
        .status(&carol, json!({"status": "Carol's own post"}))
        .await;
    let (code, _) = eng
        .post(
            &alice,
            &format!("/api/v1/statuses/{carols}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, bookmarked) = eng
        .post(
            &alice,
            &format!("/api/v1/statuses/{carols}/bookmark"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{bookmarked}");

    let browser = console_browser(eng, "alice", PASSWORD).await;
    let (code, page) = get_page(eng, &browser, "/settings/export").await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("/settings/export/follows.csv"));

    let (kind, disposition, csv) = download(eng, &browser, "/settings/export/follows.csv").await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert!(
        disposition.starts_with("attachment; filename=\"following_accounts-alice-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Account address,Show boosts,Notify on new posts,Languages"
    );
    assert!(
        lines.contains(&format!("bob@{},true,false,", domain(sales)).as_str()),
        "{csv}"
    );
    assert!(
        lines.contains(&format!("carol@{},false,true,", domain(eng)).as_str()),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");

    let (kind, disposition, body) = download(eng, &browser, "/settings/export/posts.json").await;
    assert!(kind.starts_with("application/json"), "{kind}");
    assert!(disposition.contains("posts-alice-"), "{disposition}");
    let posts: Vec<Value> = serde_json::from_str(&body).unwrap();
    let texts: Vec<&str> = posts.iter().map(|p| p["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "Hello, everyone, from Eng",
            "Department only: the build is green",
            "Followers only, with \"quotes\", commas"
        ],
        "own posts, department-only too; no boost, nobody else's"
    );
    assert_eq!(posts[0]["id"], public.as_str());
    assert_eq!(posts[1]["visibility"], "local");
    assert_eq!(posts[2]["visibility"], "private");
    // Images go along with their description, polls with their choices.
    let media = posts[0]["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{body}");
    assert_eq!(media[0]["description"], "The team at the offsite");
    assert_eq!(media[0]["type"], "image");
    let url = media[0]["url"].as_str().unwrap();
    let image = eng.client.get(url).send().await.unwrap();
    assert_eq!(
        image.status(),
        200,
        "the exported address serves the image: {url}"
    );
    assert_eq!(posts[0]["poll"], Value::Null);
    assert_eq!(posts[1]["poll"]["options"], json!(["Ship it", "Wait"]));
    assert_eq!(posts[1]["poll"]["multiple"], false);
    assert!(posts[1]["poll"]["expires_at"].is_string(), "{body}");
    assert_eq!(posts[1]["media_attachments"], json!([]));

    let (_, _, csv) = download(eng, &browser, "/settings/export/posts.csv").await;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,created_at,edited_at,visibility,url,in_reply_to,language,sensitive,spoiler_text,text"
    );
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains(",local,"), "{csv}");
    assert!(
        csv.contains("\"Followers only, with \"\"quotes\"\", commas\""),
        "{csv}"
    );
    assert!(!csv.contains("Carol's own post"), "{csv}");

    let (_, disposition, csv) = download(eng, &browser, "/settings/export/bookmarks.csv").await;
    assert!(disposition.contains("bookmarks-alice-"), "{disposition}");
    assert_eq!(csv, format!("{}\n", bookmarked["uri"].as_str().unwrap()));
    let (_, _, body) = download(eng, &browser, "/settings/export/bookmarks.json").await;
    let marks: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0]["url"], bookmarked["url"]);

    // Follows as JSON too; an unknown export is not found; no export without signing in.
    let (_, _, body) = download(eng, &browser, "/settings/export/follows.json").await;
    let follows: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(follows.len(), 2);
    let resp = browser
        .get(eng.url("/settings/export/secrets.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = anonymous
        .get(eng.url("/settings/export/posts.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(exports_hold_own_data_in_mastodon_formats);
