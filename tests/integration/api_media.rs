//! Uploading images, attaching them, serving them, and profile pictures.

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;

/// A JPEG with an EXIF segment holding a (fake) GPS position.
pub(crate) fn photo(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode_image(&img)
        .unwrap();
    let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS-LATITUDE-51.5";
    let len = (payload.len() + 2) as u16;
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub(crate) async fn upload(
    f: &Fixture,
    user: &TestUser,
    bytes: Vec<u8>,
    description: Option<&str>,
) -> (u16, Value) {
    let mut form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name("photo.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    if let Some(d) = description {
        form = form.text("description", d.to_string());
    }
    let resp = f
        .client
        .post(f.url("/api/v2/media"))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn upload_attach_and_serve(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let f = Fixture::start_with(db, move |s| s.storage.data_dir = data_dir).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;

    let (code, media) = upload(
        &f,
        &alice,
        photo(1280, 960),
        Some("Team offsite, lake view"),
    )
    .await;
    assert_eq!(code, 200, "{media}");
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "Team offsite, lake view");
    assert_eq!(media["meta"]["original"]["width"], 1280);
    assert_eq!(media["meta"]["small"]["width"], 640);
    assert_eq!(media["meta"]["small"]["height"], 480);
    assert!(media["blurhash"].as_str().unwrap().len() >= 6);
    let url = media["url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("{}/media/", f.base)), "{url}");

    // Served with long-lived cache headers, without the EXIF data.
    let resp = f.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    assert_eq!(
        resp.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let served = resp.bytes().await.unwrap();
    assert!(
        !served.windows(12).any(|w| w == b"GPS-LATITUDE"),
        "EXIF is stripped"
    );
    assert_eq!(image::load_from_memory(&served).unwrap().width(), 1280);
    let preview = f
        .client
        .get(media["preview_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(image::load_from_memory(&preview).unwrap().width(), 640);
    let resp = f
        .client
        .get(f.url("/media/..%2F..%2Fetc/passwd"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // Description and focus can be changed; only by the uploader.
    let id = media["id"].as_str().unwrap().to_string();
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/media/{id}")))
        .bearer_auth(&alice.token)
        .json(&json!({"description": "Lake view", "focus": "0.5,-0.25"}))
        .send()
        .await
        .unwrap();
    let updated: Value = resp.json().await.unwrap();
    assert_eq!(updated["description"], "Lake view");
    assert_eq!(updated["meta"]["focus"], json!({"x": 0.5, "y": -0.25}));
    let (code, _) = f.get(Some(&bob), &format!("/api/v1/media/{id}")).await;
    assert_eq!(code, 404);
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/media/{id}")))
        .bearer_auth(&alice.token)
        .json(&json!({"focus": "3,3"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);

    // Others cannot attach it; a status with only media needs no text.
    let (code, body) = f
        .post(
            &bob,
            "/api/v1/statuses",
            json!({"status": "stolen", "media_ids": [id]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    let (code, status) = f
        .post(&alice, "/api/v1/statuses", json!({"media_ids": [id]}))
        .await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["media_attachments"][0]["id"], id.as_str());
    // Once attached, media change only through an edit of the status.
    let (code, _) = f.get(Some(&alice), &format!("/api/v1/media/{id}")).await;
    assert_eq!(code, 404);
    assert_eq!(status["media_attachments"][0]["description"], "Lake view");
    let (code, _) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "again", "media_ids": [id]}),
        )
        .await;
    assert_eq!(code, 422, "media belongs to one status");
    let (_, only_media) = f
        .get(
            Some(&bob),
            &format!("/api/v1/accounts/{}/statuses?only_media=true", alice.id),
        )
        .await;
    assert_eq!(only_media.as_array().unwrap().len(), 1);
    let (_, timeline) = f.get(Some(&bob), "/api/v1/timelines/public").await;
    assert_eq!(timeline[0]["media_attachments"][0]["url"], url.as_str());

    // Too many attachments.
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (_, m) = upload(&f, &alice, photo(32, 32), None).await;
        ids.push(m["id"].as_str().unwrap().to_string());
    }
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "five", "media_ids": ids}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("at most 4"));

    // Not an image; too large.
    let (code, body) = upload(&f, &alice, b"%PDF-1.7 quarterly report".to_vec(), None).await;
    assert_eq!(code, 422, "{body}");
    f.stop().await;
}

async fn upload_limits_and_profile_pictures(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let f = Fixture::start_with(db, move |s| {
        s.storage.data_dir = data_dir;
        s.limits.max_image_bytes = 200_000;
    })
    .await;
    let alice = f.user("alice").await;
    let (code, body) = upload(&f, &alice, vec![0xFF; 300_000], None).await;
    assert_eq!(code, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("200000"), "{body}");

    let form = Form::new().text("display_name", "Alice").part(
        "avatar",
        Part::bytes(photo(800, 600))
            .file_name("me.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let resp = f
        .client
        .patch(f.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&alice.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["display_name"], "Alice");
    let avatar = me["avatar"].as_str().unwrap();
    assert!(
        avatar.contains("/media/") && avatar.ends_with("avatar.jpg"),
        "{avatar}"
    );
    let bytes = f
        .client
        .get(avatar)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let img = image::load_from_memory(&bytes).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (400, 400),
        "avatars are cropped square"
    );
    let (_, seen) = f.get(None, &format!("/api/v1/accounts/{}", alice.id)).await;
    assert_eq!(seen["avatar"], avatar);
    f.stop().await;
}

/// Uploads never attached to a post are removed after a day, files included.
async fn unattached_uploads_are_removed(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let f = Fixture::start_with(db, move |s| s.storage.data_dir = data_dir).await;
    let alice = f.user("alice").await;
    let (_, kept) = upload(&f, &alice, photo(40, 30), None).await;
    let (_, orphan) = upload(&f, &alice, photo(40, 30), None).await;
    let (_, fresh) = upload(&f, &alice, photo(40, 30), None).await;
    f.status(
        &alice,
        json!({"status": "with a picture", "media_ids": [kept["id"]]}),
    )
    .await;
    {
        use diesel::prelude::*;
        use groundswell::db::schema::media_attachments as m;
        let ids: Vec<i64> = [&kept, &orphan]
            .iter()
            .map(|v| v["id"].as_str().unwrap().parse().unwrap())
            .collect();
        let mut conn = f.db.connect();
        diesel::update(m::table.filter(m::id.eq_any(ids)))
            .set(m::created_at.eq(chrono::Utc::now().naive_utc() - chrono::Duration::hours(25)))
            .execute(&mut conn)
            .unwrap();
    }
    let folders = f
        .ctx
        .db
        .write(groundswell::service::media::remove_orphans)
        .await
        .unwrap();
    assert_eq!(folders.len(), 1);
    groundswell::service::media::delete_folders(&f.ctx.settings, &folders);
    for (media, alive) in [(&kept, true), (&orphan, false), (&fresh, true)] {
        let resp = f
            .client
            .get(media["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status() == 200, alive, "{media}");
    }
    let (code, _) = f
        .get(
            Some(&alice),
            &format!("/api/v1/media/{}", orphan["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(code, 404);
    f.stop().await;
}

on_both_backends!(
    upload_attach_and_serve,
    upload_limits_and_profile_pictures,
    unattached_uploads_are_removed
);
