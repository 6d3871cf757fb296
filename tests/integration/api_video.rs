//! Video and audio uploads (read by ffprobe, a preview frame by ffmpeg), posts with them,
//! their limits, a server without ffmpeg, and a video reaching another department.
//! The clips are made here, with ffmpeg itself (tests/run.sh installs it).

use std::path::Path;

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::common::*;
use crate::federation::{departments_with, domain, eventually, home_has, resolve};
use crate::on_both_backends;

const TEST_VIDEO: &str = "testsrc=duration=1:size=320x240:rate=10";
const TEST_TONE: &str = "sine=frequency=440:duration=1";

/// Make a clip `name` in `dir` with ffmpeg (`args` before the output file).
fn clip(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let out = dir.join(name);
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-nostdin"])
        .args(args)
        .arg(&out)
        .status()
        .expect("ffmpeg is installed (tests/run.sh installs it)");
    assert!(status.success(), "ffmpeg made {name}");
    std::fs::read(out).unwrap()
}

fn video_mp4(dir: &Path) -> Vec<u8> {
    clip(
        dir,
        "clip.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            TEST_VIDEO,
            "-f",
            "lavfi",
            "-i",
            TEST_TONE,
            "-c:v",
            "mpeg4",
            "-c:a",
            "aac",
            "-shortest",
        ],
    )
}

async fn upload_file(
    f: &Fixture,
    user: &TestUser,
    bytes: Vec<u8>,
    name: &str,
    mime: &str,
) -> (u16, Value) {
    let form = Form::new()
        .part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str(mime)
                .unwrap(),
        )
        .text("description", "Town hall, Q3");
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

async fn fetch(f: &Fixture, url: &str) -> (String, Vec<u8>) {
    let resp = f.client.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    let kind = resp.headers()["content-type"].to_str().unwrap().to_string();
    (kind, resp.bytes().await.unwrap().to_vec())
}

fn about_one_second(v: &Value) -> bool {
    v.as_f64().is_some_and(|d| (0.9..=1.2).contains(&d))
}

async fn video_and_audio_are_uploaded_and_posted(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let f = Fixture::start_with(db, move |s| s.storage.data_dir = data_dir).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let clips = tempfile::tempdir().unwrap();

    // An MP4, sent as a generic type: recognised by its content, stored as sent.
    let mp4 = video_mp4(clips.path());
    let (code, video) = upload_file(
        &f,
        &alice,
        mp4.clone(),
        "townhall.mp4",
        "application/octet-stream",
    )
    .await;
    assert_eq!(code, 200, "{video}");
    assert_eq!(video["type"], "video");
    assert_eq!(video["description"], "Town hall, Q3");
    let original = &video["meta"]["original"];
    assert_eq!(original["width"], 320);
    assert_eq!(original["height"], 240);
    assert_eq!(original["frame_rate"], "10/1");
    assert!(about_one_second(&original["duration"]), "{video}");
    assert!(original["bitrate"].as_i64().unwrap() > 0, "{video}");
    assert_eq!(video["meta"]["fps"], 10);
    assert_eq!(video["meta"]["small"]["width"], 320);
    assert!(video["blurhash"].as_str().unwrap().len() >= 6);
    let (kind, served) = fetch(&f, video["url"].as_str().unwrap()).await;
    assert_eq!(kind, "video/mp4");
    assert_eq!(served, mp4, "the video is stored as uploaded");
    assert!(video["url"].as_str().unwrap().ends_with("/original.mp4"));
    // Players ask for byte ranges.
    let resp = f
        .client
        .get(video["url"].as_str().unwrap())
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 206);
    assert_eq!(
        resp.headers()["content-range"],
        format!("bytes 0-99/{}", mp4.len()).as_str()
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), &mp4[..100]);
    let resp = f
        .client
        .get(video["url"].as_str().unwrap())
        .header("Range", format!("bytes={}-", mp4.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 416);
    let (kind, preview) = fetch(&f, video["preview_url"].as_str().unwrap()).await;
    assert!(kind.starts_with("image/"), "{kind}");
    let frame = image::load_from_memory(&preview).unwrap();
    assert_eq!((frame.width(), frame.height()), (320, 240));

    // WebM and MOV are videos too.
    let webm = clip(
        clips.path(),
        "clip.webm",
        &["-f", "lavfi", "-i", TEST_VIDEO, "-c:v", "libvpx"],
    );
    let (code, v) = upload_file(&f, &alice, webm, "clip.webm", "video/webm").await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(
        (v["type"].as_str(), v["meta"]["width"].as_i64()),
        (Some("video"), Some(320))
    );
    assert_eq!(fetch(&f, v["url"].as_str().unwrap()).await.0, "video/webm");
    let mov = clip(
        clips.path(),
        "clip.mov",
        &["-f", "lavfi", "-i", TEST_VIDEO, "-c:v", "mpeg4"],
    );
    let (code, v) = upload_file(&f, &alice, mov, "clip.mov", "video/quicktime").await;
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["type"], "video");
    assert_eq!(
        fetch(&f, v["url"].as_str().unwrap()).await.0,
        "video/quicktime"
    );

    // MP3, OGG and M4A are audio: a duration, no preview frame.
    for (name, codec, mime) in [
        ("tone.mp3", "libmp3lame", "audio/mpeg"),
        ("tone.ogg", "libvorbis", "audio/ogg"),
        ("tone.m4a", "aac", "audio/mp4"),
    ] {
        let bytes = clip(
            clips.path(),
            name,
            &["-f", "lavfi", "-i", TEST_TONE, "-c:a", codec],
        );
        let (code, audio) = upload_file(&f, &alice, bytes.clone(), name, "audio/whatever").await;
        assert_eq!(code, 200, "{name}: {audio}");
        assert_eq!(audio["type"], "audio", "{name}");
        assert!(about_one_second(&audio["meta"]["duration"]), "{audio}");
        assert!(
            about_one_second(&audio["meta"]["original"]["duration"]),
            "{audio}"
        );
        assert_eq!(
            audio["meta"]["length"].as_str().unwrap().len(),
            10,
            "{audio}"
        );
        assert_eq!(audio["preview_url"], Value::Null, "{name}");
        let (kind, served) = fetch(&f, audio["url"].as_str().unwrap()).await;
        assert_eq!((kind.as_str(), served), (mime, bytes), "{name}");
    }

    // A file named like a video that is not one, and one that only starts like one.
    let (code, body) = upload_file(
        &f,
        &alice,
        b"just some text, not a film".to_vec(),
        "fake.mp4",
        "video/mp4",
    )
    .await;
    assert_eq!(code, 422, "{body}");
    assert!(body["error"].is_string(), "{body}");
    let mut broken = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2".to_vec();
    broken.extend(std::iter::repeat_n(0x42u8, 5000));
    let (code, body) = upload_file(&f, &alice, broken, "broken.mp4", "video/mp4").await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("cannot be read as video or audio"),
        "{body}"
    );

    // The video goes on a post others see, with its metadata.
    let (code, status) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "Watch the town hall", "media_ids": [video["id"]]}),
        )
        .await;
    assert_eq!(code, 200, "{status}");
    let (code, seen) = f
        .get(
            Some(&bob),
            &format!("/api/v1/statuses/{}", status["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(code, 200);
    let attached = &seen["media_attachments"][0];
    assert_eq!(attached["type"], "video");
    assert_eq!(attached["url"], video["url"]);
    assert_eq!(attached["meta"]["original"]["width"], 320);

    // The instance tells apps what they may upload.
    let (_, instance) = f.get(None, "/api/v2/instance").await;
    let config = &instance["configuration"]["media_attachments"];
    assert_eq!(config["video_size_limit"], 99 * 1024 * 1024);
    assert!(
        config["supported_mime_types"]
            .as_array()
            .unwrap()
            .contains(&json!("video/mp4"))
    );

    // The shape of a video attachment, pinned.
    let mut pinned = video.clone();
    pinned["meta"]["original"]["bitrate"] = json!("[bitrate]");
    insta::assert_json_snapshot!(
        "video_media_attachment",
        crate::snapshots::normalise(&pinned, &f.base)
    );
    f.stop().await;
}

async fn video_limits_and_a_server_without_ffmpeg(db: TestDb) {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_path_buf();
    let f = Fixture::start_with(db, move |s| {
        s.storage.data_dir = data_dir;
        s.limits.max_video_bytes = 4000;
        s.media.ffmpeg_path = "/nonexistent/bin/ffmpeg".into();
    })
    .await;
    let alice = f.user("alice").await;
    let clips = tempfile::tempdir().unwrap();
    let mp4 = video_mp4(clips.path());
    assert!(mp4.len() > 4000);

    let (code, body) = upload_file(&f, &alice, mp4.clone(), "big.mp4", "video/mp4").await;
    assert_eq!(code, 413, "{body}");
    assert!(body["error"].as_str().unwrap().contains("4000"), "{body}");

    // Small enough, but this server has no ffmpeg: refused, naming what is missing.
    let (code, body) =
        upload_file(&f, &alice, mp4[..3000].to_vec(), "small.mp4", "video/mp4").await;
    assert_eq!(code, 422, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("ffmpeg")
            && error.contains("not installed")
            && error.contains("/nonexistent/bin/ffmpeg"),
        "{body}"
    );
    // Images still work.
    let (code, body) =
        crate::api_media::upload(&f, &alice, crate::api_media::photo(64, 48), None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["type"], "image");
    f.stop().await;
}

async fn a_video_post_reaches_another_department(db: TestDb) {
    let data: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    let dirs: Vec<std::path::PathBuf> = data.iter().map(|d| d.path().to_path_buf()).collect();
    let deps = departments_with(
        db,
        2,
        |_, _| true,
        |i, s| s.storage.data_dir = dirs[i].clone(),
    )
    .await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let bob = sales.user("bob").await;
    let alice_on_sales = resolve(sales, &bob, &format!("alice@{}", domain(eng))).await;
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

    let clips = tempfile::tempdir().unwrap();
    let (code, video) = upload_file(
        eng,
        &alice,
        video_mp4(clips.path()),
        "townhall.mp4",
        "video/mp4",
    )
    .await;
    assert_eq!(code, 200, "{video}");
    eng.status(
        &alice,
        json!({"status": "The town hall recording", "media_ids": [video["id"]]}),
    )
    .await;
    let post = eventually("the video post on Sales", || {
        home_has(sales, &bob, "The town hall recording")
    })
    .await;
    let remote = &post["media_attachments"][0];
    assert_eq!(remote["type"], "video", "{post}");
    assert_eq!(remote["remote_url"], video["url"]);
    assert_eq!(remote["url"], video["url"]);
    assert_eq!(remote["description"], "Town hall, Q3");
    assert_eq!(remote["meta"]["original"]["width"], 320);
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(
    video_and_audio_are_uploaded_and_posted,
    video_limits_and_a_server_without_ffmpeg,
    a_video_post_reaches_another_department
);
