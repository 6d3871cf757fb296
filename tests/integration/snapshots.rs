//! What clients see, pinned: every entity's JSON is compared to a reviewed snapshot
//! (tests/integration/snapshots/), so any change to the wire format is deliberate.
//! Ids, times, ports and random tokens are normalised first.

use regex::Regex;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;

pub(crate) fn normalise(value: &Value, base: &str) -> Value {
    let ids = Regex::new(r"\b\d{15,}\b").unwrap();
    let tokens = Regex::new(r"/media/[A-Za-z0-9_-]{43}/").unwrap();
    let times = Regex::new(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}\.\d{3}Z)?$").unwrap();
    match value {
        Value::String(s) => {
            let s = s
                .replace(base, "http://eng.test")
                .replace(base.trim_start_matches("http://"), "eng.test");
            let s = tokens.replace_all(&s, "/media/[token]/");
            let s = ids.replace_all(&s, "[id]");
            if times.is_match(&s) {
                Value::String("[time]".into())
            } else {
                Value::String(s.into_owned())
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| normalise(v, base)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "client_id" | "client_secret" | "access_token" | "blurhash" => {
                            json!("[secret]")
                        }
                        "version" => json!("[version]"),
                        // `instance/activity`: the week's start, as a Unix time.
                        "week" => json!("[week]"),
                        // Group keys end in the hour their group began.
                        "group_key" => {
                            let key = normalise(v, base);
                            let hour = Regex::new(r"-\d+$").unwrap();
                            match key.as_str() {
                                Some(k) if !k.starts_with("ungrouped-") => {
                                    json!(hour.replace(k, "-[hour]"))
                                }
                                _ => key,
                            }
                        }
                        // The department's VAPID key, made at first start.
                        "server_key" | "vapid_key" | "public_key" if v.is_string() => {
                            json!("[key]")
                        }
                        _ => normalise(v, base),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

async fn entities(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let f = Fixture::start_with(db, move |s| {
        s.storage.data_dir = data_dir;
        s.instance.name = "Engineering".into();
        s.instance.rules = vec!["Be kind".into()];
        s.federation.allowed_domains = vec!["sales.test".into()];
    })
    .await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let snap = |name: &str, v: &Value| {
        let normalised = normalise(v, &f.base);
        insta::assert_json_snapshot!(name, normalised);
    };

    let (_, v) = f.get(None, "/api/v2/instance").await;
    snap("instance_v2", &v);
    let (_, v) = f.get(None, "/api/v1/instance").await;
    snap("instance_v1", &v);
    let (_, v) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    snap("credential_account", &v);
    let (_, rel) = f
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/follow", bob.id),
            json!({}),
        )
        .await;
    snap("relationship", &rel);

    let png = {
        let img = image::RgbImage::from_pixel(4, 2, image::Rgb([10, 20, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(png)
                .file_name("a.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .text("description", "A tiny picture");
    let media: Value = f
        .client
        .post(f.url("/api/v2/media"))
        .bearer_auth(&bob.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    snap("media_attachment", &media);

    let (_, status) = f
        .post(&bob, "/api/v1/statuses", json!({"status": "Hi @alice, see https://docs.example/a #Launch", "media_ids": [media["id"]], "spoiler_text": "news", "language": "en"}))
        .await;
    snap("status", &status);
    let id = status["id"].as_str().unwrap();
    let (_, boost) = f
        .post(&alice, &format!("/api/v1/statuses/{id}/reblog"), json!({}))
        .await;
    snap("status_reblog", &boost);
    let (_, notes) = f.get(Some(&bob), "/api/v1/notifications").await;
    snap("notification", &notes[0]);
    f.client
        .put(f.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&bob.token)
        .json(&json!({"status": "Edited"}))
        .send()
        .await
        .unwrap();
    let (_, history) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{id}/history"))
        .await;
    snap("status_edit", &history[1]);
    let (_, source) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{id}/source"))
        .await;
    snap("status_source", &source);
    let (_, app) = f.post(&alice, "/api/v1/apps", json!({"client_name": "Elk", "redirect_uris": "https://elk.example/cb", "scopes": "read write", "website": "https://elk.example"})).await;
    snap("application", &app);
    let (_, prefs) = f.get(Some(&alice), "/api/v1/preferences").await;
    snap("preferences", &prefs);
    let (_, rules) = f.get(None, "/api/v1/instance/rules").await;
    snap("rules", &rules);
    let (_, err) = f.get(None, "/api/v1/statuses/0").await;
    snap("error", &err);

    // The extras: lists, markers, filters, tags, reports, conversations.
    let (_, list) = f
        .post(
            &alice,
            "/api/v1/lists",
            json!({"title": "Platform", "replies_policy": "list"}),
        )
        .await;
    snap("list", &list);
    let (_, markers) = f
        .post(
            &alice,
            "/api/v1/markers",
            json!({"home": {"last_read_id": id}}),
        )
        .await;
    snap("markers", &markers);
    let (_, filter) = f
        .post(&alice, "/api/v2/filters", json!({"title": "Spoilers", "context": ["home", "public"], "filter_action": "warn", "keywords_attributes": [{"keyword": "finale", "whole_word": true}]}))
        .await;
    snap("filter_v2", &filter);
    let (_, filters_v1) = f.get(Some(&alice), "/api/v1/filters").await;
    snap("filter_v1", &filters_v1[0]);
    let (_, tag) = f
        .post(&alice, "/api/v1/tags/launch/follow", json!({}))
        .await;
    snap("tag", &tag);
    let (_, report) = f.post(&alice, "/api/v1/reports", json!({"account_id": bob.id, "status_ids": [id], "comment": "Off topic", "category": "other"})).await;
    snap("report", &report);
    f.post(
        &bob,
        "/api/v1/statuses",
        json!({"status": "@alice just between us", "visibility": "direct"}),
    )
    .await;
    let (_, conversations) = f.get(Some(&alice), "/api/v1/conversations").await;
    snap("conversation", &conversations[0]);

    // What the rest of the client API answers with.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let (code, scheduled) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "Later, #launch", "scheduled_at": later, "visibility": "unlisted"}),
        )
        .await;
    assert_eq!(code, 200, "{scheduled}");
    snap("scheduled_status", &scheduled);
    let (code, featured) = f
        .post(&bob, "/api/v1/featured_tags", json!({"name": "Launch"}))
        .await;
    assert_eq!(code, 200, "{featured}");
    snap("featured_tag", &featured);
    let carol = f.user("carol").await;
    for (who, whom) in [(&carol, &bob), (&alice, &carol)] {
        let (code, _) = f
            .post(
                who,
                &format!("/api/v1/accounts/{}/follow", whom.id),
                json!({}),
            )
            .await;
        assert_eq!(code, 200);
    }
    let root = crate::policy::staff(&f, "root", groundswell::service::users::Role::Admin).await;
    let (code, block) = f
        .post(
            &root,
            "/api/v1/admin/domain_blocks",
            json!({"domain": "spam.example", "severity": "suspend", "public_comment": "Not a department"}),
        )
        .await;
    assert_eq!(code, 200, "{block}");
    let (_, familiar) = f
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/familiar_followers?id[]={}", bob.id),
        )
        .await;
    snap("familiar_followers", &familiar);
    for (name, path) in [
        (
            "instance_extended_description",
            "/api/v1/instance/extended_description",
        ),
        ("instance_domain_blocks", "/api/v1/instance/domain_blocks"),
        ("instance_peers", "/api/v1/instance/peers"),
        ("instance_privacy_policy", "/api/v1/instance/privacy_policy"),
    ] {
        let (code, v) = f.get(Some(&alice), path).await;
        assert_eq!(code, 200, "{path}: {v}");
        snap(name, &v);
    }
    let (_, activity) = f.get(None, "/api/v1/instance/activity").await;
    snap("instance_activity_week", &activity[0]);
    let (_, languages) = f.get(None, "/api/v1/instance/languages").await;
    snap("instance_language", &languages[0]);
    f.stop().await;
}

on_both_backends!(entities);
