//! What Groundswell reads from activities as Mastodon, GoToSocial and Pleroma send them: the
//! payloads in `tests/fixtures/activitypub/` (each one's public source is listed in the README
//! there). First the wire shapes alone, then what an employee sees once a post is stored.
//!
//! Fixtures name this instance `https://groundswell.example`; tests that need a real account
//! put the fixture instance's own URL in its place.

use std::path::PathBuf;

use activitypub_federation::traits::Object;
use groundswell::apub::activities::IncomingActivity;
use groundswell::apub::objects::{
    ApubActor, ApubNote, remote_account, remote_status, visibility_of,
};
use groundswell::apub::protocol::{self, Note, Person, Tag};
use groundswell::apub::signatures;
use groundswell::service::visibility::Visibility;
use serde_json::{Value, json};
use url::Url;

use crate::common::{Fixture, TestDb, TestUser};
use crate::federation::eventually;
use crate::on_both_backends;

/// How the fixtures name the receiving instance.
const HERE: &str = "https://groundswell.example";
const BOB: &str = "https://groundswell.example/users/bob";
const BOB_POST: &str = "https://groundswell.example/users/bob/statuses/7000000000000001";

const ALICE: &str = "https://mastodon.example/users/alice";
const ALICE_FOLLOWERS: &str = "https://mastodon.example/users/alice/followers";
const TURTLE: &str = "https://gts.example/users/turtle";
const LAIN: &str = "https://pleroma.example/users/lain";

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/activitypub")
}

/// A fixture's JSON, with each `(from, to)` replaced in its text first.
fn load_with(path: &str, replace: &[(&str, &str)]) -> Value {
    let file = fixtures_dir().join(path);
    let mut text =
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    for (from, to) in replace {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

fn load(path: &str) -> Value {
    load_with(path, &[])
}

fn activity(path: &str) -> IncomingActivity {
    serde_json::from_value(load(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn person(path: &str) -> Person {
    serde_json::from_value(load(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The Note inside a Create or Update, parsed as the inbox parses it.
fn note_in(json: &Value) -> Note {
    let activity: IncomingActivity = serde_json::from_value(json.clone()).unwrap();
    let inline = activity
        .object
        .into_iter()
        .next()
        .expect("an object")
        .object
        .expect("an embedded object");
    serde_json::from_value(inline).unwrap_or_else(|e| panic!("the post: {e}"))
}

fn note(path: &str) -> Note {
    note_in(&load(path))
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn hashtags(note: &Note) -> Vec<String> {
    note.tag
        .iter()
        .filter_map(protocol::parse_tag)
        .filter_map(|t| match t {
            Tag::Hashtag { name } => Some(name),
            Tag::Mention { .. } => None,
        })
        .collect()
}

fn mentions(note: &Note) -> Vec<String> {
    note.tag
        .iter()
        .filter_map(protocol::parse_tag)
        .filter_map(|t| match t {
            Tag::Mention { href } => Some(href.to_string()),
            Tag::Hashtag { .. } => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Wire shapes
// ---------------------------------------------------------------------------------------------

/// Every fixture parses: actors as `Person`, everything else as the inbox's `IncomingActivity`,
/// with the id, kind and actor the sender wrote.
#[test]
fn every_fixture_parses() {
    let mut count = 0;
    for server in ["mastodon", "gotosocial", "pleroma"] {
        let mut names: Vec<String> = std::fs::read_dir(fixtures_dir().join(server))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        for name in names {
            let path = format!("{server}/{name}");
            let json = load(&path);
            if name.starts_with("person") {
                let p = person(&path);
                assert_eq!(p.id.as_str(), json["id"], "{path}");
            } else {
                let a = activity(&path);
                assert_eq!(a.id.as_str(), json["id"], "{path}");
                assert_eq!(a.kind, json["type"], "{path}");
                let actor = json["actor"]
                    .as_str()
                    .or_else(|| json["actor"]["id"].as_str())
                    .unwrap();
                assert_eq!(a.actor.as_str(), actor, "{path}");
                if let Some(kind) = json["object"]["type"].as_str() {
                    assert_eq!(a.object.first().unwrap().kind(), Some(kind), "{path}");
                }
            }
            count += 1;
        }
    }
    assert!(count >= 35, "only {count} fixtures found");
}

/// Mastodon's four visibilities, read from `to`/`cc` the way Mastodon itself reads them.
#[test]
fn mastodon_visibilities() {
    for (path, expected) in [
        ("mastodon/create_note_public.json", Visibility::Public),
        ("mastodon/create_note_unlisted.json", Visibility::Unlisted),
        (
            "mastodon/create_note_followers_only.json",
            Visibility::Private,
        ),
        ("mastodon/create_note_direct.json", Visibility::Direct),
        (
            "mastodon/create_note_reply_mention.json",
            Visibility::Public,
        ),
        (
            "mastodon/create_note_image_hashtag.json",
            Visibility::Public,
        ),
        ("mastodon/create_question.json", Visibility::Public),
    ] {
        let n = note(path);
        assert_eq!(
            visibility_of(&n.to, &n.cc, Some(ALICE_FOLLOWERS)),
            expected,
            "{path}"
        );
    }
}

/// GoToSocial writes single addressees as plain strings; Pleroma may too (`cc`).
#[test]
fn gotosocial_and_pleroma_visibilities() {
    let gts_followers = format!("{TURTLE}/followers");
    let lain_followers = format!("{LAIN}/followers");
    for (path, followers, expected) in [
        (
            "gotosocial/create_note_public.json",
            &gts_followers,
            Visibility::Public,
        ),
        (
            "gotosocial/create_note_followers_only.json",
            &gts_followers,
            Visibility::Private,
        ),
        (
            "pleroma/create_note_public.json",
            &lain_followers,
            Visibility::Public,
        ),
        (
            "pleroma/create_note_unlisted_cc_string.json",
            &lain_followers,
            Visibility::Unlisted,
        ),
        (
            "pleroma/create_note_direct_script.json",
            &lain_followers,
            Visibility::Direct,
        ),
    ] {
        let n = note(path);
        assert_eq!(
            visibility_of(&n.to, &n.cc, Some(followers)),
            expected,
            "{path}"
        );
    }
    let gts = note("gotosocial/create_note_public.json");
    assert_eq!(gts.to, vec![protocol::PUBLIC.to_string()]);
    assert_eq!(gts.cc, vec![gts_followers]);
}

/// Hashtags, mentions, reply targets, content warnings and language, per server.
#[test]
fn tags_mentions_replies_and_content_warnings() {
    let n = note("mastodon/create_note_image_hashtag.json");
    // The custom emoji is in `tag` too, and ignored.
    assert_eq!(hashtags(&n), vec!["caturday"]);
    assert_eq!(n.summary.as_deref(), Some("cat pictures"));
    assert_eq!(n.sensitive, Some(true));

    let n = note("mastodon/create_note_reply_mention.json");
    assert_eq!(mentions(&n), vec![BOB]);
    assert_eq!(n.in_reply_to.as_ref().unwrap().id.as_str(), BOB_POST);
    // Mastodon's `summary: null` is no content warning.
    assert_eq!(n.summary, None);
    assert_eq!(n.sensitive, Some(false));

    let n = note("mastodon/create_note_public.json");
    assert!(n.in_reply_to.is_none());
    assert!(n.content_map.as_ref().unwrap().contains_key("en"));

    // GoToSocial sends a single tag as an object, not a list.
    let n = note("gotosocial/create_note_public.json");
    assert_eq!(hashtags(&n), vec!["welcome"]);
    let n = note("gotosocial/create_note_followers_only.json");
    assert_eq!(mentions(&n), vec![BOB]);
    assert_eq!(n.summary.as_deref(), Some("work gossip"));
    assert_eq!(n.sensitive, Some(true));

    // Pleroma: an Emoji with a null id next to a Mention and a Hashtag.
    let n = note("pleroma/create_note_public.json");
    assert_eq!(mentions(&n), vec![BOB]);
    assert_eq!(hashtags(&n), vec!["nature"]);
    let n = note("pleroma/create_note_unlisted_cc_string.json");
    assert_eq!(n.in_reply_to.as_ref().unwrap().id.as_str(), BOB_POST);
    // Pleroma's empty `summary` is no content warning either.
    assert_eq!(n.summary.as_deref(), Some(""));
}

/// Every activity shape the inbox dispatches on: what the object names, embedded or not.
#[test]
fn activity_objects_embedded_or_by_id() {
    // Follow: the object is the followed account.
    let a = activity("mastodon/follow.json");
    assert_eq!(a.object.into_iter().next().unwrap().id.as_str(), BOB);
    let a = activity("gotosocial/follow.json");
    assert_eq!(a.object.into_iter().next().unwrap().id.as_str(), BOB);

    // Accept/Reject with the Follow embedded (Mastodon) or by id only (Pleroma).
    for path in ["mastodon/accept_follow.json", "mastodon/reject_follow.json"] {
        let a = activity(path);
        let o = a.object.into_iter().next().unwrap();
        assert_eq!(o.kind(), Some("Follow"), "{path}");
        assert!(
            o.id.as_str().ends_with("/follows/7000000000000042"),
            "{path}"
        );
        assert_eq!(o.url_field("actor").unwrap().as_str(), BOB, "{path}");
    }
    let a = activity("pleroma/accept_follow_bare_id.json");
    let o = a.object.into_iter().next().unwrap();
    assert!(o.object.is_none());
    assert!(o.id.as_str().ends_with("/follows/7000000000000042"));

    // Undo with the undone activity embedded: its kind and target are read from it.
    for (path, kind, target) in [
        ("mastodon/undo_follow.json", "Follow", BOB),
        ("mastodon/undo_like.json", "Like", BOB_POST),
        ("mastodon/undo_announce.json", "Announce", BOB_POST),
        ("pleroma/undo_like_actor_object.json", "Like", BOB_POST),
    ] {
        let a = activity(path);
        let o = a.object.into_iter().next().unwrap();
        assert_eq!(o.kind(), Some(kind), "{path}");
        assert_eq!(o.url_field("object").unwrap().as_str(), target, "{path}");
    }
    // Pleroma's Undo names its actor as an object.
    assert_eq!(
        activity("pleroma/undo_like_actor_object.json")
            .actor
            .as_str(),
        LAIN
    );

    // Like and Announce name the post; Announce carries its own date and audience.
    for path in [
        "mastodon/like.json",
        "gotosocial/like.json",
        "pleroma/like.json",
    ] {
        assert_eq!(
            activity(path)
                .object
                .into_iter()
                .next()
                .unwrap()
                .id
                .as_str(),
            BOB_POST,
            "{path}"
        );
    }
    for path in ["mastodon/announce.json", "gotosocial/announce.json"] {
        let a = activity(path);
        assert_eq!(a.object.first().unwrap().id.as_str(), BOB_POST, "{path}");
        assert!(a.published.is_some(), "{path}");
        assert_eq!(
            visibility_of(&a.to, &a.cc, None),
            Visibility::Public,
            "{path}"
        );
    }

    // Delete: a Tombstone (Mastodon), a bare id (GoToSocial, Pleroma), or the actor itself.
    let a = activity("mastodon/delete_note.json");
    let o = a.object.into_iter().next().unwrap();
    assert_eq!(o.kind(), Some("Tombstone"));
    assert_eq!(
        o.id.as_str(),
        "https://mastodon.example/users/alice/statuses/113000000000000001"
    );
    for path in [
        "gotosocial/delete_note.json",
        "pleroma/delete_note_bare_id.json",
    ] {
        let a = activity(path);
        assert!(a.object.first().unwrap().object.is_none(), "{path}");
        assert_eq!(
            a.object.into_iter().next().unwrap().id.authority(),
            a.actor.authority(),
            "{path}"
        );
    }
    let a = activity("mastodon/delete_actor.json");
    assert_eq!(a.object.into_iter().next().unwrap().id, a.actor);

    // Block names the blocked account; Update names a Person or a Note.
    assert_eq!(
        activity("mastodon/block.json")
            .object
            .into_iter()
            .next()
            .unwrap()
            .id
            .as_str(),
        BOB
    );
    assert_eq!(
        activity("mastodon/update_person.json")
            .object
            .into_iter()
            .next()
            .unwrap()
            .kind(),
        Some("Person")
    );
    for path in ["mastodon/update_note.json", "gotosocial/update_note.json"] {
        let n = note(path);
        assert!(n.updated.is_some(), "{path}");
    }
    // Kinds we do not handle still parse (and are then ignored, not retried).
    assert_eq!(activity("pleroma/emoji_react.json").kind, "EmojiReact");
}

/// Mastodon's actor document: every field a profile shows.
#[test]
fn mastodon_actor_maps_to_an_account() {
    let p = person("mastodon/person.json");
    let pem = p.public_key.public_key_pem.clone();
    let a = remote_account(p).unwrap();
    assert_eq!(a.username, "alice");
    assert_eq!(a.domain, "mastodon.example");
    assert_eq!(a.display_name, "Alice Liddell");
    assert!(a.note.contains("trains"), "{}", a.note);
    assert!(
        a.note
            .contains(r#"href="https://mastodon.example/tags/rust""#),
        "{}",
        a.note
    );
    assert!(!a.locked);
    assert!(!a.bot);
    assert!(a.discoverable);
    assert_eq!(
        a.avatar_url.as_deref(),
        Some("https://files.mastodon.example/accounts/avatars/109/305/original/a1b2c3.png")
    );
    assert_eq!(
        a.header_url.as_deref(),
        Some("https://files.mastodon.example/accounts/headers/109/305/original/d4e5f6.jpg")
    );
    assert_eq!(a.url.as_deref(), Some("https://mastodon.example/@alice"));
    assert_eq!(a.inbox_url, format!("{ALICE}/inbox"));
    assert_eq!(
        a.shared_inbox_url.as_deref(),
        Some("https://mastodon.example/inbox")
    );
    assert_eq!(a.followers_url.as_deref(), Some(ALICE_FOLLOWERS));
    assert_eq!(
        a.featured_url.as_deref(),
        Some("https://mastodon.example/users/alice/collections/featured")
    );
    assert!(a.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(a.public_key_pem, pem);
    assert_eq!(a.fields.len(), 2);
    assert_eq!(a.fields[0].name, "Pronouns");
    assert_eq!(a.fields[0].value_html, "she/her");
    let homepage = &a.fields[1].value_html;
    assert!(
        homepage.contains(r#"href="https://alice.example""#),
        "{homepage}"
    );
    assert!(homepage.contains(r#"class="invisible""#), "{homepage}");
}

/// A GoToSocial bot: `Service`, locked, no shared inbox, key at `…/main-key`.
#[test]
fn gotosocial_actor_maps_to_an_account() {
    let p = person("gotosocial/person_service.json");
    assert_eq!(p.public_key.id, "https://gts.example/users/turtle/main-key");
    let a = remote_account(p).unwrap();
    assert_eq!(a.username, "turtle");
    assert_eq!(a.domain, "gts.example");
    assert_eq!(a.display_name, "happy little turtle :3");
    assert!(a.bot, "a Service is a bot");
    assert!(a.locked);
    assert!(!a.discoverable);
    assert_eq!(a.shared_inbox_url, None);
    assert_eq!(a.inbox_url, format!("{TURTLE}/inbox"));
    assert!(a.avatar_url.unwrap().ends_with(".jpg"));
    assert_eq!(a.header_url, None);
    assert_eq!(a.note, "<p>i post about things that concern me</p>");

    // GoToSocial signs with that key path: it names the actor, not a document of its own.
    let signature = r#"keyId="https://gts.example/users/turtle/main-key",algorithm="hs2019",headers="(request-target) host date",signature="c2ln""#;
    assert_eq!(signatures::key_owner(signature).unwrap().as_str(), TURTLE);
    let signature = r#"keyId="https://mastodon.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date",signature="c2ln""#;
    assert_eq!(signatures::key_owner(signature).unwrap().as_str(), ALICE);
}

/// Pleroma: extra endpoints, media without a type, a plain-text bio.
#[test]
fn pleroma_actor_maps_to_an_account() {
    let a = remote_account(person("pleroma/person.json")).unwrap();
    assert_eq!(a.username, "lain");
    assert_eq!(a.domain, "pleroma.example");
    assert_eq!(a.display_name, "Lain Iwakura");
    assert_eq!(a.note, "present day, present time");
    assert!(!a.bot);
    assert!(!a.locked);
    assert_eq!(
        a.shared_inbox_url.as_deref(),
        Some("https://pleroma.example/inbox")
    );
    assert_eq!(
        a.avatar_url.as_deref(),
        Some("https://pleroma.example/media/2b1f7e3a-lain.png")
    );
    assert_eq!(
        a.header_url.as_deref(),
        Some("https://pleroma.example/media/5c9d-banner.jpg")
    );
    assert!(a.fields.is_empty());
}

/// A profile update carrying a script: the new name is taken, the script is not.
#[test]
fn profile_update_is_sanitized() {
    let a = activity("mastodon/update_person.json");
    let p: Person = serde_json::from_value(
        a.object
            .into_iter()
            .next()
            .unwrap()
            .object
            .into_iter()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(p.id, a.actor);
    let account = remote_account(p).unwrap();
    assert_eq!(account.display_name, "Alice (on call)");
    assert!(
        account.note.contains("On call this week."),
        "{}",
        account.note
    );
    assert!(account.note.contains("Ping me."), "{}", account.note);
    assert!(!account.note.contains("script"), "{}", account.note);
    assert!(!account.note.contains("alert"), "{}", account.note);
}

// ---------------------------------------------------------------------------------------------
// Stored and shown
// ---------------------------------------------------------------------------------------------

async fn instance(db: TestDb) -> Fixture {
    Fixture::start_with(db, |s| {
        s.federation.allowed_domains = vec![
            "mastodon.example".into(),
            "gts.example".into(),
            "pleroma.example".into(),
        ];
    })
    .await
}

/// The URL the fixture instance's accounts live under (what `https://groundswell.example`
/// stands for).
async fn local_base(f: &Fixture, user: &TestUser) -> String {
    let username = user.username.clone();
    let settings = f.ctx.settings.clone();
    let account = f
        .ctx
        .db
        .read(move |conn| groundswell::service::accounts::lookup(conn, &settings, &username))
        .await
        .unwrap();
    account
        .ap_id
        .strip_suffix(&format!("/users/{}", user.username))
        .unwrap()
        .to_string()
}

/// Store an actor fixture as the inbox would after fetching it.
async fn store_actor(data: &groundswell::apub::FedData, path: &str) -> ApubActor {
    let p = person(path);
    let id = p.id.clone();
    ApubActor::verify(&p, &id, data).await.unwrap();
    ApubActor::from_json(p, data).await.unwrap()
}

/// Each post, as an employee's client shows it after it arrived: visibility, text, tags,
/// mentions (and the mention notification), media, reply, content warning, edits.
async fn fixture_posts_show_up_as_sent(db: TestDb) {
    let f = instance(db).await;
    let bob = f.user("bob").await;
    let base = local_base(&f, &bob).await;
    let bob_post = f
        .status(&bob, json!({"status": "Shall we ship on Friday?"}))
        .await;
    let data = groundswell::apub::data(&f.ctx).unwrap();
    let alice = store_actor(&data, "mastodon/person.json").await;
    store_actor(&data, "gotosocial/person_service.json").await;
    store_actor(&data, "pleroma/person.json").await;
    assert_eq!(
        alice.account.followers_url.as_deref(),
        Some(ALICE_FOLLOWERS)
    );

    // Read a fixture with this instance's URLs, check it as the inbox does, store it and
    // return the API's view of it (as Bob, who is addressed or mentioned where it matters).
    let bob_post_url = format!("{base}/users/bob/statuses/{bob_post}");
    let receive = |path: &'static str| {
        let json = load_with(path, &[(BOB_POST, &bob_post_url), (HERE, &base)]);
        let (data, f, bob) = (data.clone(), &f, &bob);
        async move {
            let activity: IncomingActivity = serde_json::from_value(json.clone()).unwrap();
            let n = note_in(&json);
            ApubNote::verify(&n, &activity.id, &data).await.unwrap();
            let stored = ApubNote::from_json(n, &data).await.unwrap();
            let (code, body) = f
                .get(Some(bob), &format!("/api/v1/statuses/{}", stored.status.id))
                .await;
            assert_eq!(code, 200, "{path}: {body}");
            body
        }
    };

    for (path, visibility) in [
        ("mastodon/create_note_unlisted.json", "unlisted"),
        ("mastodon/create_note_followers_only.json", "private"),
        ("mastodon/create_note_direct.json", "direct"),
        ("gotosocial/create_note_followers_only.json", "private"),
        ("pleroma/create_note_unlisted_cc_string.json", "unlisted"),
    ] {
        let s = receive(path).await;
        assert_eq!(s["visibility"], visibility, "{path}: {s}");
    }

    // Links survive sanitizing; the language comes from contentMap.
    let s = receive("mastodon/create_note_public.json").await;
    assert_eq!(s["visibility"], "public");
    assert_eq!(s["account"]["acct"], "alice@mastodon.example");
    assert_eq!(s["account"]["display_name"], "Alice Liddell");
    // Avatar and header of an account seen for the first time.
    assert_eq!(
        s["account"]["avatar"],
        "https://files.mastodon.example/accounts/avatars/109/305/original/a1b2c3.png"
    );
    assert_eq!(
        s["account"]["header"],
        "https://files.mastodon.example/accounts/headers/109/305/original/d4e5f6.jpg"
    );
    assert_eq!(s["language"], "en");
    assert_eq!(
        s["url"],
        "https://mastodon.example/@alice/113000000000000001"
    );
    let content = s["content"].as_str().unwrap();
    assert!(
        content.contains(r#"href="https://blog.mastodon.example/launch""#),
        "{content}"
    );
    assert!(content.contains("Hello fediverse!"), "{content}");

    // A reply mentioning Bob: threaded under his post, and he is notified.
    let s = receive("mastodon/create_note_reply_mention.json").await;
    assert_eq!(s["in_reply_to_id"], bob_post.as_str(), "{s}");
    assert_eq!(s["in_reply_to_account_id"], bob.id.as_str(), "{s}");
    assert_eq!(s["mentions"][0]["id"], bob.id.as_str(), "{s}");
    let content = s["content"].as_str().unwrap();
    assert!(
        content.contains(&format!(r#"href="{base}/@bob""#)),
        "{content}"
    );
    assert!(content.contains(r#"class="u-url mention""#), "{content}");
    let (_, notes) = f.get(Some(&bob), "/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "mention" && n["status"]["id"] == s["id"]),
        "{notes}"
    );

    // Media keep URL, description and blurhash; the hashtag and content warning are read.
    let s = receive("mastodon/create_note_image_hashtag.json").await;
    let media = &s["media_attachments"][0];
    assert_eq!(
        media["remote_url"].as_str().or(media["url"].as_str()),
        Some(
            "https://files.mastodon.example/media_attachments/files/113/000/000/000/000/006/original/8f2a1c.jpg"
        ),
        "{media}"
    );
    assert_eq!(media["type"], "image");
    assert_eq!(media["description"], "A grey cat asleep on a keyboard");
    assert_eq!(media["blurhash"], "UBL_:rOpGG-oBUNG,qRj2so|=eE1w^n4S5NH");
    assert_eq!(media["meta"]["focus"], json!({"x": -0.55, "y": 0.43}));
    assert_eq!(media["meta"]["original"]["width"], 1200);
    assert_eq!(s["tags"][0]["name"], "caturday");
    assert_eq!(s["spoiler_text"], "cat pictures");
    assert_eq!(s["sensitive"], true);

    // GoToSocial puts the alt text in `summary`.
    let s = receive("gotosocial/create_note_public.json").await;
    let media = &s["media_attachments"][0];
    assert_eq!(
        media["description"], "a turtle basking on a rock",
        "{media}"
    );
    assert_eq!(media["blurhash"], "LIIE|gRj00WB-;j[t7j[4nWBj[Rj");
    assert_eq!(media["meta"]["focus"], json!({"x": 0.25, "y": -0.5}));
    assert_eq!(s["tags"][0]["name"], "welcome");
    assert_eq!(s["account"]["bot"], true);

    // Pleroma: a custom emoji with a null id next to the mention and hashtag is harmless.
    let s = receive("pleroma/create_note_public.json").await;
    let media = &s["media_attachments"][0];
    assert_eq!(
        media["remote_url"].as_str().or(media["url"].as_str()),
        Some("https://pleroma.example/media/0d6f-fog.png"),
        "{media}"
    );
    assert_eq!(media["description"], "a tree in fog");
    assert_eq!(media["blurhash"], "LEHV6nWB2yk8pyo0adR*.7kCMdnj");
    assert_eq!(media["meta"]["focus"], json!({"x": 0.0, "y": 0.0}));
    assert_eq!(s["tags"][0]["name"], "nature");
    assert_eq!(s["mentions"][0]["id"], bob.id.as_str());

    // Scripts and event handlers are dropped; the mention link stays.
    let s = receive("pleroma/create_note_direct_script.json").await;
    assert_eq!(s["visibility"], "direct");
    let content = s["content"].as_str().unwrap();
    assert!(!content.contains("<script"), "{content}");
    assert!(!content.contains("onerror"), "{content}");
    assert!(!content.contains("<img"), "{content}");
    assert!(!content.contains("evil.example"), "{content}");
    assert!(content.contains("dm test"), "{content}");
    assert!(
        content.contains(&format!(r#"href="{base}/@bob""#)),
        "{content}"
    );

    // A poll keeps its question (the options are not shown: Groundswell has no polls).
    let s = receive("mastodon/create_question.json").await;
    assert!(s["content"].as_str().unwrap().contains("Lunch?"), "{s}");

    // Edits replace the text and keep the history (Mastodon and GoToSocial).
    let s = receive("mastodon/update_note.json").await;
    assert!(
        s["content"]
            .as_str()
            .unwrap()
            .contains("launch moved to Friday"),
        "{s}"
    );
    let (_, history) = f
        .get(
            Some(&bob),
            &format!("/api/v1/statuses/{}/history", s["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
    let s = receive("gotosocial/update_note.json").await;
    assert!(
        s["content"]
            .as_str()
            .unwrap()
            .contains("the welcome post, edited"),
        "{s}"
    );
}

/// The id of the follow `follower` → `target` (both account ids), as sent in activities.
async fn follow_ap_id(f: &Fixture, follower: i64, target: i64) -> String {
    f.ctx
        .db
        .read(move |conn| {
            use diesel::prelude::*;
            use groundswell::db::schema::follows;
            Ok(follows::table
                .filter(follows::account_id.eq(follower))
                .filter(follows::target_account_id.eq(target))
                .select(follows::ap_id)
                .first::<Option<String>>(conn)?)
        })
        .await
        .unwrap()
        .expect("our follows have an id")
}

/// The inbox's handling of every fixture activity once its signature is checked (the
/// end-to-end test covers that part): follows, likes, boosts, edits, deletes, blocks, profile
/// updates, and their undos, as Bob sees them.
async fn fixture_activities_take_effect(db: TestDb) {
    use activitypub_federation::traits::Activity;

    let f = instance(db).await;
    let bob = f.user("bob").await;
    let base = local_base(&f, &bob).await;
    let bob_post = f
        .status(&bob, json!({"status": "Shall we ship on Friday?"}))
        .await;
    let bob_post_url = format!("{base}/users/bob/statuses/{bob_post}");
    let data = groundswell::apub::data(&f.ctx).unwrap();
    let alice = store_actor(&data, "mastodon/person.json").await.account.id;
    let turtle = store_actor(&data, "gotosocial/person_service.json")
        .await
        .account
        .id;
    let lain = store_actor(&data, "pleroma/person.json").await.account.id;
    let (f, bob) = (&f, &bob);

    let deliver = |json: Value| {
        let data = data.clone();
        async move {
            let what = format!("{} {}", json["type"], json["id"]);
            let activity: IncomingActivity = serde_json::from_value(json).unwrap();
            activity.verify(&data).await.unwrap();
            activity
                .receive(&data)
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
        }
    };
    let fixture = |path: &str, extra: &[(&str, &str)]| {
        let mut replace = extra.to_vec();
        replace.extend([(BOB_POST, bob_post_url.as_str()), (HERE, base.as_str())]);
        load_with(path, &replace)
    };
    let get = |path: String| async move { f.get(Some(bob), &path).await };
    let me = || get("/api/v1/accounts/verify_credentials".into());
    let post = || get(format!("/api/v1/statuses/{bob_post}"));
    let notified = |kind: &'static str, acct: &'static str| async move {
        let (_, notes) = get("/api/v1/notifications?limit=40".into()).await;
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == kind && n["account"]["acct"] == acct)
    };
    let relationship = |id: i64| async move {
        let (_, rels) = get(format!("/api/v1/accounts/relationships?id[]={id}")).await;
        rels[0].clone()
    };
    let status_of = |ap_id: &'static str| async move {
        f.ctx
            .db
            .read(move |conn| groundswell::service::inbound::find_status_by_ap_id(conn, ap_id))
            .await
            .unwrap()
    };

    // Follows from all three, and Mastodon's undo.
    deliver(fixture("mastodon/follow.json", &[])).await;
    assert_eq!(me().await.1["followers_count"], 1);
    assert!(notified("follow", "alice@mastodon.example").await);
    deliver(fixture("mastodon/undo_follow.json", &[])).await;
    assert_eq!(me().await.1["followers_count"], 0);
    deliver(fixture("gotosocial/follow.json", &[])).await;
    assert_eq!(me().await.1["followers_count"], 1);
    assert!(notified("follow", "turtle@gts.example").await);

    // Likes and their undos (Pleroma's Undo names its actor as an object).
    deliver(fixture("mastodon/like.json", &[])).await;
    assert_eq!(post().await.1["favourites_count"], 1);
    assert!(notified("favourite", "alice@mastodon.example").await);
    deliver(fixture("mastodon/undo_like.json", &[])).await;
    assert_eq!(post().await.1["favourites_count"], 0);
    deliver(fixture("gotosocial/like.json", &[])).await;
    deliver(fixture("pleroma/like.json", &[])).await;
    assert_eq!(post().await.1["favourites_count"], 2);
    deliver(fixture("pleroma/undo_like_actor_object.json", &[])).await;
    assert_eq!(post().await.1["favourites_count"], 1);
    // An emoji reaction is accepted and ignored.
    deliver(fixture("pleroma/emoji_react.json", &[])).await;
    assert_eq!(post().await.1["favourites_count"], 1);

    // Boosts and Mastodon's undo.
    deliver(fixture("mastodon/announce.json", &[])).await;
    assert_eq!(post().await.1["reblogs_count"], 1);
    assert!(notified("reblog", "alice@mastodon.example").await);
    deliver(fixture("mastodon/undo_announce.json", &[])).await;
    assert_eq!(post().await.1["reblogs_count"], 0);
    deliver(fixture("gotosocial/announce.json", &[])).await;
    assert_eq!(post().await.1["reblogs_count"], 1);
    assert!(notified("reblog", "turtle@gts.example").await);

    // Posts arrive, are edited and deleted, however the Delete names them.
    const MASTODON_POST: &str = "https://mastodon.example/users/alice/statuses/113000000000000001";
    const GTS_POST: &str = "https://gts.example/users/turtle/statuses/01JSR7Q1B6P7DQ0F7S9P8E2M3N";
    const PLEROMA_POST: &str =
        "https://pleroma.example/objects/5f0c1d2e-3a4b-4c5d-8e9f-a0b1c2d3e4f5";
    deliver(fixture("mastodon/create_note_public.json", &[])).await;
    deliver(fixture("mastodon/update_note.json", &[])).await;
    let edited = status_of(MASTODON_POST).await.unwrap();
    assert!(
        edited.content.contains("launch moved to Friday"),
        "{}",
        edited.content
    );
    deliver(fixture("mastodon/delete_note.json", &[])).await;
    let (code, _) = get(format!("/api/v1/statuses/{}", edited.id)).await;
    assert_eq!(code, 404, "deleted by a Tombstone");

    deliver(fixture("gotosocial/create_note_public.json", &[])).await;
    deliver(fixture("gotosocial/update_note.json", &[])).await;
    assert!(
        status_of(GTS_POST)
            .await
            .unwrap()
            .content
            .contains("the welcome post, edited")
    );
    // GoToSocial gives every Update of a post the same id (`…/activity#Update`): a second
    // edit is still an edit, not a redelivery.
    let mut second = fixture("gotosocial/update_note.json", &[]);
    second["object"]["content"] = json!("<p>the welcome post, edited twice</p>");
    second["object"]["updated"] = json!("2025-04-26T17:30:00Z");
    deliver(second).await;
    let gts_post = status_of(GTS_POST).await.unwrap();
    assert!(
        gts_post.content.contains("edited twice"),
        "{}",
        gts_post.content
    );
    deliver(fixture("gotosocial/delete_note.json", &[])).await;
    let (code, _) = get(format!("/api/v1/statuses/{}", gts_post.id)).await;
    assert_eq!(code, 404, "deleted by its bare id");

    deliver(fixture("pleroma/create_note_public.json", &[])).await;
    let pleroma_post = status_of(PLEROMA_POST).await.unwrap();
    assert!(notified("mention", "lain@pleroma.example").await);
    deliver(fixture("pleroma/delete_note_bare_id.json", &[])).await;
    let (code, _) = get(format!("/api/v1/statuses/{}", pleroma_post.id)).await;
    assert_eq!(code, 404, "deleted by its bare id");

    // Bob's follow requests: accepted with the Follow embedded (Mastodon) or by id (Pleroma),
    // then rejected.
    for id in [alice, lain] {
        let (code, rel) = f
            .post(bob, &format!("/api/v1/accounts/{id}/follow"), json!({}))
            .await;
        assert_eq!(code, 200, "{rel}");
        assert_eq!(rel["requested"], true, "{rel}");
    }
    let bob_id: i64 = bob.id.parse().unwrap();
    let to_alice = follow_ap_id(f, bob_id, alice).await;
    let to_lain = follow_ap_id(f, bob_id, lain).await;
    const FOLLOW: &str = "https://groundswell.example/users/bob/follows/7000000000000042";
    deliver(fixture(
        "mastodon/accept_follow.json",
        &[(FOLLOW, &to_alice)],
    ))
    .await;
    assert_eq!(relationship(alice).await["following"], true);
    deliver(fixture(
        "pleroma/accept_follow_bare_id.json",
        &[(FOLLOW, &to_lain)],
    ))
    .await;
    assert_eq!(relationship(lain).await["following"], true);
    deliver(fixture(
        "mastodon/reject_follow.json",
        &[(FOLLOW, &to_alice)],
    ))
    .await;
    let rel = relationship(alice).await;
    assert_eq!(rel["following"], false, "{rel}");
    assert_eq!(rel["requested"], false, "{rel}");

    // A block shows on the relationship; Bob's other followers stay.
    deliver(fixture("mastodon/block.json", &[])).await;
    assert_eq!(relationship(alice).await["blocked_by"], true);
    assert_eq!(relationship(turtle).await["followed_by"], true);

    // Profile updates are applied (and sanitized); a deleted account disappears.
    deliver(fixture("mastodon/update_person.json", &[])).await;
    let (_, account) = get(format!("/api/v1/accounts/{alice}")).await;
    assert_eq!(account["display_name"], "Alice (on call)", "{account}");
    assert!(
        !account["note"].as_str().unwrap().contains("script"),
        "{account}"
    );
    deliver(fixture("mastodon/delete_actor.json", &[])).await;
    let (code, _) = get(format!("/api/v1/accounts/{alice}")).await;
    assert_eq!(code, 404, "the deleted account is gone");
}

/// What the inbox refuses: a post claiming an author on another server, a post from a server
/// other than the activity's, an actor whose key belongs to someone else.
async fn forged_posts_and_keys_are_refused(db: TestDb) {
    let f = instance(db).await;
    let data = groundswell::apub::data(&f.ctx).unwrap();
    let json = load("mastodon/create_note_public.json");
    let activity: IncomingActivity = serde_json::from_value(json.clone()).unwrap();

    let genuine = note_in(&json);
    ApubNote::verify(&genuine, &activity.id, &data)
        .await
        .expect("the genuine post is accepted");

    // attributedTo on another domain than the post's id.
    let mut forged = json.clone();
    forged["object"]["attributedTo"] = json!(TURTLE);
    let forged = note_in(&forged);
    assert!(
        ApubNote::verify(&forged, &activity.id, &data)
            .await
            .is_err()
    );

    // A genuine Mastodon post, relayed inside an activity from GoToSocial.
    let from_gts = url("https://gts.example/users/turtle/statuses/01X/activity");
    assert!(ApubNote::verify(&genuine, &from_gts, &data).await.is_err());

    // An actor whose publicKey owner is someone else.
    let mut p = load("mastodon/person.json");
    let genuine: Person = serde_json::from_value(p.clone()).unwrap();
    ApubActor::verify(&genuine, &genuine.id, &data)
        .await
        .expect("the genuine actor is accepted");
    p["publicKey"]["owner"] = json!("https://mastodon.example/users/mallory");
    let forged: Person = serde_json::from_value(p).unwrap();
    assert!(ApubActor::verify(&forged, &forged.id, &data).await.is_err());

    // The stored author's followers collection is what makes a post followers-only.
    let alice = store_actor(&data, "mastodon/person.json").await;
    let n = note("mastodon/create_note_followers_only.json");
    let remote = remote_status(&n, &alice.account, &data).await.unwrap();
    assert_eq!(remote.visibility, Visibility::Private);
    assert_eq!(remote.author_id, alice.account.id);
}

// ---------------------------------------------------------------------------------------------
// End to end: a fake Mastodon signs and POSTs a fixture into the inbox
// ---------------------------------------------------------------------------------------------

/// Sign a POST of `body` to `url` as `key_id` the way Mastodon does (Cavage draft,
/// rsa-sha256 over `(request-target) host date digest`); returns the headers to send.
fn mastodon_signed_headers(
    url: &Url,
    body: &[u8],
    key_id: &str,
    private_key_pem: &str,
) -> Vec<(&'static str, String)> {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let digest = format!("SHA-256={}", b64(&sha2::Sha256::digest(body)));
    let headers = [
        ("host".to_string(), host),
        ("date".to_string(), date.clone()),
        ("digest".to_string(), digest.clone()),
    ]
    .into_iter()
    .collect();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem).unwrap();
    let signature = http_signature_normalization::Config::new()
        .mastodon_compat()
        .begin_sign("POST", url.path(), headers)
        .unwrap()
        .sign(key_id.to_string(), |signing_string| {
            let hashed = sha2::Sha256::digest(signing_string.as_bytes());
            key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hashed)
                .map(|s| b64(&s))
        })
        .unwrap()
        .signature_header();
    vec![
        ("date", date),
        ("digest", digest),
        ("signature", signature),
        ("content-type", "application/activity+json".into()),
    ]
}

/// A Mastodon reply mentioning Bob, signed by a fake Mastodon server whose actor document
/// (the Mastodon fixture, with a key this test holds) the instance fetches with a signed GET:
/// accepted, stored, threaded under Bob's post, and Bob is notified. The same activity signed
/// with another key is refused.
async fn a_signed_mastodon_reply_reaches_the_inbox(db: TestDb) {
    use actix_web::{App, HttpResponse, HttpServer, web};

    let (fake_reserved, reserved) = (crate::common::reserve_port(), crate::common::reserve_port());
    let (fake_port, port) = (fake_reserved.number(), reserved.number());
    let fake = format!("http://localhost:{fake_port}");
    let f = Fixture::start_on(db, reserved, move |s| {
        s.instance.domain =
            groundswell::config::Domain::parse(&format!("localhost:{port}")).unwrap();
        s.federation.allowed_domains = vec![format!("localhost:{fake_port}")];
        s.federation.allow_http = true;
    })
    .await;
    let bob = f.user("bob").await;
    let base = local_base(&f, &bob).await;
    assert_eq!(base, format!("http://localhost:{port}"));
    let bob_post = f
        .status(&bob, json!({"status": "Shall we ship on Friday?"}))
        .await;
    let bob_post_url = format!("{base}/users/bob/statuses/{bob_post}");

    // The fake Mastodon: Alice's actor document with a key we hold.
    let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let mut actor = load_with(
        "mastodon/person.json",
        &[("https://mastodon.example", &fake)],
    );
    actor["publicKey"]["publicKeyPem"] = json!(keys.public_key);
    let fetched = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = {
        let (actor, fetched) = (actor.clone(), fetched.clone());
        HttpServer::new(move || {
            let (actor, fetched) = (actor.clone(), fetched.clone());
            App::new().route(
                "/users/alice",
                web::get().to(move |req: actix_web::HttpRequest| {
                    let (actor, fetched) = (actor.clone(), fetched.clone());
                    async move {
                        // Groundswell fetches actors with a signed GET from its instance actor.
                        if req.headers().contains_key("signature") {
                            fetched.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        HttpResponse::Ok()
                            .content_type("application/activity+json")
                            .json(actor)
                    }
                }),
            )
        })
        .workers(1)
        .listen(fake_reserved.into_listener())
        .unwrap()
        .run()
    };
    let fake_server = server.handle();
    actix_web::rt::spawn(server);

    let activity = load_with(
        "mastodon/create_note_reply_mention.json",
        &[
            ("https://mastodon.example", &fake),
            (BOB_POST, &bob_post_url),
            (HERE, &base),
        ],
    );
    let body = serde_json::to_vec(&activity).unwrap();
    let inbox = url(&format!("{base}/users/bob/inbox"));
    let key_id = format!("{fake}/users/alice#main-key");
    let post = |private_key: String| {
        let (f, inbox, body, key_id) = (&f, inbox.clone(), body.clone(), key_id.clone());
        async move {
            let mut req = f.client.post(inbox.as_str());
            for (name, value) in mastodon_signed_headers(&inbox, &body, &key_id, &private_key) {
                req = req.header(name, value);
            }
            let resp = req.body(body).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap_or_default())
        }
    };

    // Signed with a key that is not Alice's: refused, nothing stored.
    let other = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let (code, text) = post(other.private_key).await;
    assert_eq!(code, 401, "{text}");
    assert!(
        fetched.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the actor was fetched with a signed GET"
    );

    let (code, text) = post(keys.private_key.clone()).await;
    assert_eq!(code, 202, "{text}");
    let (_, notes) = f.get(Some(&bob), "/api/v1/notifications").await;
    let mentions: Vec<&Value> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "mention")
        .collect();
    assert_eq!(mentions.len(), 1, "{notes}");
    let status = &mentions[0]["status"];
    assert_eq!(
        mentions[0]["account"]["acct"],
        format!("alice@localhost:{fake_port}")
    );
    assert_eq!(mentions[0]["account"]["display_name"], "Alice Liddell");
    assert_eq!(status["in_reply_to_id"], bob_post.as_str(), "{status}");
    assert_eq!(status["visibility"], "public");
    assert!(
        status["content"]
            .as_str()
            .unwrap()
            .contains("ship it on Friday"),
        "{status}"
    );
    let (_, context) = f
        .get(Some(&bob), &format!("/api/v1/statuses/{bob_post}/context"))
        .await;
    assert_eq!(context["descendants"][0]["id"], status["id"], "{context}");

    // Delivered again (Mastodon retries): still one post, one notification.
    let (code, text) = post(keys.private_key).await;
    assert_eq!(code, 202, "{text}");
    let (_, notes) = f.get(Some(&bob), "/api/v1/notifications").await;
    assert_eq!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["type"] == "mention")
            .count(),
        1,
        "{notes}"
    );
    fake_server.stop(true).await;
}

on_both_backends!(
    fixture_posts_show_up_as_sent,
    fixture_activities_take_effect,
    forged_posts_and_keys_are_refused,
    a_signed_mastodon_reply_reaches_the_inbox,
);

/// Deliveries to a peer that answers 4xx (a fake Mastodon whose inbox answers what the test
/// sets): a 403 or 410 is a refusal for good — recorded with its status, not retried, and the
/// department not waited for; a 401 (the peer could not verify us yet) is retried with
/// backoff and delivered once the peer accepts. Neither is counted as delivered.
async fn deliveries_answered_with_4xx_are_failures(db: TestDb) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};

    use actix_web::{App, HttpResponse, HttpServer, web};
    use diesel::prelude::*;
    use groundswell::db::schema::{deliveries, federation_domains};

    let (fake_reserved, reserved) = (crate::common::reserve_port(), crate::common::reserve_port());
    let (fake_port, port) = (fake_reserved.number(), reserved.number());
    let fake = format!("http://localhost:{fake_port}");
    let fake_domain = format!("localhost:{fake_port}");
    let f = Fixture::start_on(db, reserved, {
        let fake_domain = fake_domain.clone();
        move |s| {
            s.instance.domain =
                groundswell::config::Domain::parse(&format!("localhost:{port}")).unwrap();
            s.federation.allowed_domains = vec![fake_domain];
            s.federation.allow_http = true;
        }
    })
    .await;
    let bob = f.user("bob").await;
    let base = local_base(&f, &bob).await;

    let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let mut actor = load_with(
        "mastodon/person.json",
        &[("https://mastodon.example", &fake)],
    );
    actor["publicKey"]["publicKeyPem"] = json!(keys.public_key);
    // What the fake's inboxes answer, and how many deliveries they were sent.
    let answer = Arc::new(AtomicU16::new(403));
    let received = Arc::new(AtomicUsize::new(0));
    let server = {
        let (actor, answer, received) = (actor.clone(), answer.clone(), received.clone());
        HttpServer::new(move || {
            let actor = actor.clone();
            let (answer, received) = (answer.clone(), received.clone());
            let inbox = move || {
                let (answer, received) = (answer.clone(), received.clone());
                async move {
                    received.fetch_add(1, Ordering::SeqCst);
                    let code = answer.load(Ordering::SeqCst);
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
                        .body("answered by the test")
                }
            };
            App::new()
                .route(
                    "/users/alice",
                    web::get().to(move || {
                        let actor = actor.clone();
                        async move {
                            HttpResponse::Ok()
                                .content_type("application/activity+json")
                                .json(actor)
                        }
                    }),
                )
                .route("/users/alice/inbox", web::post().to(inbox.clone()))
                .route("/inbox", web::post().to(inbox))
        })
        .workers(1)
        .listen(fake_reserved.into_listener())
        .unwrap()
        .run()
    };
    let fake_server = server.handle();
    actix_web::rt::spawn(server);

    // Alice (on the fake) follows Bob: Bob's Accept goes to her inbox, which answers 403.
    let follow = load_with(
        "mastodon/follow.json",
        &[
            ("https://mastodon.example", &fake),
            ("https://groundswell.example", &base),
        ],
    );
    let body = serde_json::to_vec(&follow).unwrap();
    let inbox = url(&format!("{base}/users/bob/inbox"));
    let key_id = format!("{fake}/users/alice#main-key");
    let mut req = f.client.post(inbox.as_str());
    for (name, value) in mastodon_signed_headers(&inbox, &body, &key_id, &keys.private_key) {
        req = req.header(name, value);
    }
    let resp = req.body(body).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 202);

    let rows = |f: &Fixture| {
        let domain = fake_domain.clone();
        let ctx = f.ctx.clone();
        async move {
            ctx.db
                .read(move |conn| {
                    Ok(deliveries::table
                        .filter(deliveries::domain.eq(&domain))
                        .order(deliveries::id.asc())
                        .select((
                            deliveries::delivered_at.is_not_null(),
                            deliveries::failed_at.is_not_null(),
                            deliveries::attempts,
                            deliveries::last_error,
                        ))
                        .load::<(bool, bool, i32, Option<String>)>(conn)?)
                })
                .await
                .unwrap()
        }
    };
    let domain_failures = |f: &Fixture| {
        let domain = fake_domain.clone();
        let ctx = f.ctx.clone();
        async move {
            ctx.db
                .read(move |conn| {
                    Ok(federation_domains::table
                        .find(&domain)
                        .select(federation_domains::failures)
                        .first::<i32>(conn)?)
                })
                .await
                .unwrap()
        }
    };
    let refused = eventually("the Accept to be refused", || async {
        let found = rows(&f).await;
        (found.len() == 1 && found[0].1).then_some(found)
    })
    .await;
    let (delivered, failed, attempts, error) = refused[0].clone();
    assert!(!delivered && failed, "refused for good, not delivered");
    assert_eq!(attempts, 1);
    assert!(
        error.as_deref().unwrap_or_default().contains("HTTP 403"),
        "{error:?}"
    );
    assert_eq!(
        domain_failures(&f).await,
        0,
        "the department answered: not waited for"
    );

    // A 401: retried with backoff until the peer accepts, then delivered once.
    answer.store(401, Ordering::SeqCst);
    f.status(&bob, json!({"status": "Retried until verified"}))
        .await;
    eventually("the 401 to be retried", || async {
        (received.load(Ordering::SeqCst) >= 3).then_some(())
    })
    .await;
    let pending = rows(&f).await;
    assert_eq!(pending.len(), 2);
    assert!(!pending[1].0 && !pending[1].1, "still pending: {pending:?}");
    assert!(
        pending[1]
            .3
            .as_deref()
            .unwrap_or_default()
            .contains("HTTP 401")
    );
    assert!(domain_failures(&f).await >= 1);
    answer.store(202, Ordering::SeqCst);
    let done = eventually("the post to be delivered", || async {
        let found = rows(&f).await;
        (found.len() == 2 && found[1].0).then_some(found)
    })
    .await;
    assert!(!done[1].1);
    // The refused Accept was never sent again.
    let sent = received.load(Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        received.load(Ordering::SeqCst),
        sent,
        "nothing more is sent"
    );
    assert_eq!(
        rows(&f).await[0].2,
        1,
        "the refused delivery was tried once"
    );

    fake_server.stop(true).await;
    f.stop().await;
}

on_both_backends!(deliveries_answered_with_4xx_are_failures);
