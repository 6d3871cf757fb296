//! Mastodon client API endpoints that apps call beyond the basics: the mute and block lists,
//! several accounts or statuses at once, the unread count, the instance's peers, extended
//! description, terms of service and domain blocks, and removing a profile picture.

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;
use crate::policy::staff;
use groundswell::service::users::Role;

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

async fn link_of(f: &Fixture, user: &TestUser, path: &str) -> String {
    let resp = f
        .client
        .get(f.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    resp.headers()
        .get("link")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn delete(f: &Fixture, user: &TestUser, path: &str) -> (u16, Value) {
    let resp = f
        .client
        .delete(f.url(path))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The accounts I mute (with when each mute runs out) and block, newest first, paged with a
/// `Link` header; an expired mute is not listed; scopes are checked.
async fn mutes_and_blocks_are_listed(db: TestDb) {
    let f = Fixture::start(db).await;
    let me = f.user("alice").await;
    let (bob, carol, dan) = (
        f.user("bob").await,
        f.user("carol").await,
        f.user("dan").await,
    );
    for (who, body) in [
        (&bob, json!({})),
        (&carol, json!({"duration": 3600})),
        (&dan, json!({"duration": 1})),
    ] {
        let (code, rel) = f
            .post(&me, &format!("/api/v1/accounts/{}/mute", who.id), body)
            .await;
        assert_eq!(code, 200, "{rel}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (code, mutes) = f.get(Some(&me), "/api/v1/mutes").await;
    assert_eq!(code, 200, "{mutes}");
    assert_eq!(
        ids(&mutes),
        vec![carol.id.clone(), bob.id.clone()],
        "dan's mute ran out"
    );
    assert!(mutes[0]["mute_expires_at"].as_str().is_some(), "{mutes}");
    assert_eq!(mutes[1]["mute_expires_at"], Value::Null);
    assert_eq!(mutes[0]["username"], "carol");
    let (_, first) = f.get(Some(&me), "/api/v1/mutes?limit=1").await;
    assert_eq!(ids(&first), vec![carol.id.clone()]);
    let link = link_of(&f, &me, "/api/v1/mutes?limit=1").await;
    let next = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .and_then(|l| l.strip_prefix('<'))
        .and_then(|l| l.split('>').next())
        .unwrap_or_else(|| panic!("a next link: {link}"))
        .to_string();
    let next_path = next.trim_start_matches(&f.url(""));
    let (_, second) = f
        .get(
            Some(&me),
            &format!("/{}", next_path.trim_start_matches('/')),
        )
        .await;
    assert_eq!(ids(&second), vec![bob.id.clone()], "{link}");

    let (code, _) = f
        .post(
            &me,
            &format!("/api/v1/accounts/{}/block", dan.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, blocks) = f.get(Some(&me), "/api/v1/blocks").await;
    assert_eq!(code, 200);
    assert_eq!(ids(&blocks), vec![dan.id.clone()]);
    assert_eq!(blocks[0]["acct"], "dan");
    // Nobody else sees my lists; a token without the scope is refused.
    let (_, bobs) = f.get(Some(&bob), "/api/v1/blocks").await;
    assert_eq!(bobs, json!([]));
    let narrow = f.user_with_scopes("erin", "read:statuses").await;
    assert_eq!(f.get(Some(&narrow), "/api/v1/mutes").await.0, 403);
    assert_eq!(f.get(Some(&narrow), "/api/v1/blocks").await.0, 403);
    assert_eq!(f.get(None, "/api/v1/blocks").await.0, 401);
    f.stop().await;
}

on_both_backends!(mutes_and_blocks_are_listed);

/// Several accounts and statuses at once, in the order asked; what does not exist, is
/// suspended or is not visible to the viewer is left out.
async fn accounts_and_statuses_by_id(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let (code, _) = f
        .post(
            &admin,
            &format!("/api/v1/admin/accounts/{}/action", carol.id),
            json!({"type": "suspend"}),
        )
        .await;
    assert_eq!(code, 200);
    let path = format!(
        "/api/v1/accounts?id[]={}&id[]=999999&id[]={}&id[]={}&id[]={}",
        bob.id, carol.id, alice.id, bob.id
    );
    let (code, found) = f.get(None, &path).await;
    assert_eq!(code, 200, "{found}");
    assert_eq!(ids(&found), vec![bob.id.clone(), alice.id.clone()]);
    assert_eq!(found[0]["username"], "bob");

    let public = f.status(&alice, json!({"status": "Hello all"})).await;
    let private = f
        .status(
            &alice,
            json!({"status": "Followers only", "visibility": "private"}),
        )
        .await;
    let local = f
        .status(
            &alice,
            json!({"status": "Department only", "visibility": "local"}),
        )
        .await;
    let path = format!("/api/v1/statuses?id[]={private}&id[]={public}&id[]=424242&id[]={local}");
    let (code, for_bob) = f.get(Some(&bob), &path).await;
    assert_eq!(code, 200, "{for_bob}");
    assert_eq!(
        ids(&for_bob),
        vec![public.clone(), local.clone()],
        "bob does not follow alice"
    );
    assert_eq!(for_bob[0]["content"], "<p>Hello all</p>");
    let (_, for_alice) = f.get(Some(&alice), &path).await;
    assert_eq!(
        ids(&for_alice),
        vec![private.clone(), public.clone(), local.clone()]
    );
    let (_, for_nobody) = f.get(None, &path).await;
    assert_eq!(
        ids(&for_nobody),
        vec![public],
        "visitors see public posts only"
    );
    f.stop().await;
}

on_both_backends!(accounts_and_statuses_by_id);

/// The unread count is what is newer than the notifications marker.
async fn unread_notifications_are_counted(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let first = f.status(&bob, json!({"status": "@alice one"})).await;
    f.status(&bob, json!({"status": "@alice two"})).await;
    f.status(&bob, json!({"status": "@alice three"})).await;
    let (code, count) = f
        .get(Some(&alice), "/api/v1/notifications/unread_count")
        .await;
    assert_eq!(code, 200, "{count}");
    assert_eq!(count, json!({"count": 3}));
    let (_, limited) = f
        .get(Some(&alice), "/api/v1/notifications/unread_count?limit=2")
        .await;
    assert_eq!(limited["count"], 2);
    let (_, list) = f.get(Some(&alice), "/api/v1/notifications").await;
    let oldest = list
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["status"]["id"] == first.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, _) = f
        .post(
            &alice,
            "/api/v1/markers",
            json!({"notifications": {"last_read_id": oldest}}),
        )
        .await;
    assert_eq!(code, 200);
    let (_, count) = f
        .get(Some(&alice), "/api/v1/notifications/unread_count")
        .await;
    assert_eq!(count["count"], 2);
    let (_, mentions) = f
        .get(
            Some(&alice),
            "/api/v1/notifications/unread_count?exclude_types[]=mention",
        )
        .await;
    assert_eq!(mentions["count"], 0);
    assert_eq!(
        f.get(None, "/api/v1/notifications/unread_count").await.0,
        401
    );
    f.stop().await;
}

on_both_backends!(unread_notifications_are_counted);

/// The instance's peers (known, allowed, not suspended), extended description, terms of
/// service (the usage policy) and domain blocks (for employees, obfuscated where asked).
async fn instance_details(db: TestDb) {
    let f = Fixture::start_with(db, |s| {
        s.instance.description = "Engineering <builds> things".into();
        s.federation.allowed_domains = vec!["sales.corp.example".into()];
    })
    .await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let alice = f.user("alice").await;
    for (domain, severity, obfuscate) in [
        ("hr.corp.example", "suspend", false),
        ("legal.corp.example", "silence", true),
    ] {
        let (code, body) = f
            .post(
                &admin,
                "/api/v1/admin/domain_blocks",
                json!({"domain": domain, "severity": severity, "obfuscate": obfuscate,
                       "public_comment": "policy", "private_comment": "internal reason"}),
            )
            .await;
        assert_eq!(code, 200, "{body}");
    }
    let (code, _) = f
        .post(
            &admin,
            "/api/v1/admin/domain_allows",
            json!({"domain": "finance.corp.example"}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, peers) = f.get(None, "/api/v1/instance/peers").await;
    assert_eq!(code, 200);
    assert_eq!(
        peers,
        json!(["finance.corp.example", "sales.corp.example"]),
        "suspended departments are no peers"
    );

    let (code, described) = f.get(None, "/api/v1/instance/extended_description").await;
    assert_eq!(code, 200);
    assert_eq!(
        described["content"],
        "<p>Engineering &lt;builds&gt; things</p>"
    );

    assert_eq!(
        f.get(None, "/api/v1/instance/terms_of_service").await.0,
        404
    );
    let (code, _) = f
        .post(
            &admin,
            "/api/v1/groundswell/admin/usage_policy",
            json!({"text": "# Be kind\n\nNo customer data."}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, terms) = f.get(None, "/api/v1/instance/terms_of_service").await;
    assert_eq!(code, 200, "{terms}");
    assert_eq!(terms["effective"], true);
    assert!(
        terms["content"]
            .as_str()
            .unwrap()
            .contains("<h1>Be kind</h1>"),
        "{terms}"
    );
    assert_eq!(terms["succeeded_by"], Value::Null);

    assert_eq!(f.get(None, "/api/v1/instance/domain_blocks").await.0, 401);
    let (code, blocks) = f.get(Some(&alice), "/api/v1/instance/domain_blocks").await;
    assert_eq!(code, 200, "{blocks}");
    let blocks = blocks.as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    let hr = blocks
        .iter()
        .find(|b| b["domain"] == "hr.corp.example")
        .unwrap();
    assert_eq!(hr["severity"], "suspend");
    assert_eq!(hr["comment"], "policy");
    assert_eq!(hr["digest"].as_str().unwrap().len(), 64);
    let legal = blocks.iter().find(|b| b["severity"] == "silence").unwrap();
    let shown = legal["domain"].as_str().unwrap();
    assert_ne!(shown, "legal.corp.example");
    assert!(shown.contains('*') && shown.starts_with("leg"), "{shown}");
    assert!(
        !Value::Array(blocks.clone())
            .to_string()
            .contains("internal reason")
    );
    f.stop().await;
}

on_both_backends!(instance_details);

/// Removing the avatar or header shows the default picture again.
async fn profile_pictures_are_removed(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let png = std::fs::read("frontend/static/avatar.png").unwrap();
    let form = reqwest::multipart::Form::new()
        .part(
            "avatar",
            reqwest::multipart::Part::bytes(png.clone())
                .file_name("me.png")
                .mime_str("image/png")
                .unwrap(),
        )
        .part(
            "header",
            reqwest::multipart::Part::bytes(png)
                .file_name("banner.png")
                .mime_str("image/png")
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
    let (_, me) = f
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert!(me["avatar"].as_str().unwrap().contains("/media/"), "{me}");
    assert!(me["header"].as_str().unwrap().contains("/media/"), "{me}");

    let (code, after) = delete(&f, &alice, "/api/v1/profile/avatar").await;
    assert_eq!(code, 200, "{after}");
    assert!(
        after["avatar"]
            .as_str()
            .unwrap()
            .ends_with("/static/avatar.png"),
        "{after}"
    );
    assert!(after["header"].as_str().unwrap().contains("/media/"));
    assert_eq!(after["username"], "alice");
    assert!(after["source"].is_object(), "a CredentialAccount");
    let (code, after) = delete(&f, &alice, "/api/v1/profile/header").await;
    assert_eq!(code, 200);
    assert!(
        after["header"]
            .as_str()
            .unwrap()
            .ends_with("/static/header.png")
    );
    let (_, seen) = f.get(None, &format!("/api/v1/accounts/{}", alice.id)).await;
    assert!(
        seen["avatar"]
            .as_str()
            .unwrap()
            .ends_with("/static/avatar.png")
    );
    let narrow = f.user_with_scopes("bob", "read").await;
    assert_eq!(delete(&f, &narrow, "/api/v1/profile/avatar").await.0, 403);
    f.stop().await;
}

on_both_backends!(profile_pictures_are_removed);

/// An employee removes followers: one here (counts drop, the relationship says so) and one
/// of another department (which hears of it and stops following).
async fn followers_are_removed(db: TestDb) {
    use crate::federation::{departments, domain, eventually, resolve};
    use crate::write_path::follow;
    let deps = departments(db, 2, |_, _| true).await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let bob = eng.user("bob").await;
    let sam = sales.user("sam").await;
    follow(eng, &bob, &alice.id, json!({})).await;
    let alice_on_sales = resolve(sales, &sam, &format!("alice@{}", domain(eng))).await;
    follow(sales, &sam, &alice_on_sales, json!({})).await;
    let (_, me) = eng
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["followers_count"], 2, "{me}");

    let (code, rel) = eng
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/remove_from_followers", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{rel}");
    assert_eq!(rel["followed_by"], false);
    let (_, bobs) = eng
        .get(
            Some(&bob),
            &format!("/api/v1/accounts/relationships?id[]={}", alice.id),
        )
        .await;
    assert_eq!(bobs[0]["following"], false);

    let sam_on_eng = resolve(eng, &alice, &format!("sam@{}", domain(sales))).await;
    let (code, rel) = eng
        .post(
            &alice,
            &format!("/api/v1/accounts/{sam_on_eng}/remove_from_followers"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{rel}");
    assert_eq!(rel["followed_by"], false);
    let (_, me) = eng
        .get(Some(&alice), "/api/v1/accounts/verify_credentials")
        .await;
    assert_eq!(me["followers_count"], 0, "{me}");
    eventually("sales to hear sam no longer follows alice", || async {
        let (_, rel) = sales
            .get(
                Some(&sam),
                &format!("/api/v1/accounts/relationships?id[]={alice_on_sales}"),
            )
            .await;
        (rel[0]["following"] == false).then_some(())
    })
    .await;
    // Removing someone who does not follow changes nothing.
    let (code, _) = eng
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/remove_from_followers", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let narrow = eng.user_with_scopes("erin", "read").await;
    let (code, _) = eng
        .post(
            &narrow,
            &format!("/api/v1/accounts/{}/remove_from_followers", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 403);
    for f in deps {
        f.stop().await;
    }
}

on_both_backends!(followers_are_removed);

/// A private note about an account: in my relationship to it, never in anyone else's.
async fn private_notes_about_accounts(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let path = format!("/api/v1/accounts/{}/note", bob.id);
    let (code, rel) = f
        .post(
            &alice,
            &path,
            json!({"comment": "Knows the billing system"}),
        )
        .await;
    assert_eq!(code, 200, "{rel}");
    assert_eq!(rel["note"], "Knows the billing system");
    assert_eq!(rel["id"], bob.id.as_str());
    let rels = format!("/api/v1/accounts/relationships?id[]={}", bob.id);
    let (_, mine) = f.get(Some(&alice), &rels).await;
    assert_eq!(mine[0]["note"], "Knows the billing system");
    let (_, theirs) = f.get(Some(&carol), &rels).await;
    assert_eq!(theirs[0]["note"], "", "only its writer sees a note");
    let (code, body) = f
        .post(&alice, &path, json!({"comment": "x".repeat(2001)}))
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("2000"));
    let (_, mine) = f.get(Some(&alice), &rels).await;
    assert_eq!(
        mine[0]["note"], "Knows the billing system",
        "a refused note changes nothing"
    );
    let (code, rel) = f.post(&alice, &path, json!({"comment": ""})).await;
    assert_eq!(code, 200);
    assert_eq!(rel["note"], "");
    let (code, _) = f
        .post(
            &alice,
            "/api/v1/accounts/999999/note",
            json!({"comment": "x"}),
        )
        .await;
    assert_eq!(code, 404);
    f.stop().await;
}

on_both_backends!(private_notes_about_accounts);

/// Familiar followers: the accounts I follow that follow each account asked about.
async fn familiar_followers_are_those_i_follow(db: TestDb) {
    use crate::write_path::follow;
    let f = Fixture::start(db).await;
    let me = f.user("alice").await;
    let (bob, carol, dan, erin) = (
        f.user("bob").await,
        f.user("carol").await,
        f.user("dan").await,
        f.user("erin").await,
    );
    // I follow bob and carol; bob and dan follow erin; carol follows dan.
    follow(&f, &me, &bob.id, json!({})).await;
    follow(&f, &me, &carol.id, json!({})).await;
    follow(&f, &bob, &erin.id, json!({})).await;
    follow(&f, &dan, &erin.id, json!({})).await;
    follow(&f, &carol, &dan.id, json!({})).await;
    let path = format!(
        "/api/v1/accounts/familiar_followers?id[]={}&id[]={}&id[]={}",
        erin.id, dan.id, bob.id
    );
    let (code, found) = f.get(Some(&me), &path).await;
    assert_eq!(code, 200, "{found}");
    assert_eq!(found[0]["id"], erin.id.as_str());
    assert_eq!(ids(&found[0]["accounts"]), vec![bob.id.clone()]);
    assert_eq!(found[1]["id"], dan.id.as_str());
    assert_eq!(ids(&found[1]["accounts"]), vec![carol.id.clone()]);
    assert_eq!(found[2]["accounts"], json!([]));
    assert_eq!(f.get(None, &path).await.0, 401);
    f.stop().await;
}

on_both_backends!(familiar_followers_are_those_i_follow);

/// The v1 search older apps call: the v2 results, hashtags as plain names.
async fn search_v1_answers_like_mastodon_2(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    f.status(&alice, json!({"status": "Shipping #release notes"}))
        .await;
    let (code, v1) = f.get(Some(&alice), "/api/v1/search?q=release").await;
    assert_eq!(code, 200, "{v1}");
    assert_eq!(v1["hashtags"], json!(["release"]));
    let (_, v2) = f.get(Some(&alice), "/api/v2/search?q=release").await;
    assert_eq!(v2["hashtags"][0]["name"], "release");
    assert_eq!(v1["accounts"], v2["accounts"]);
    assert_eq!(v1["statuses"], v2["statuses"]);
    let (code, _) = f.get(Some(&alice), "/api/v1/search").await;
    assert_eq!(code, 400);
    f.stop().await;
}

on_both_backends!(search_v1_answers_like_mastodon_2);

async fn notification_count(f: &Fixture, who: &TestUser) -> usize {
    let (_, list) = f.get(Some(who), "/api/v1/notifications").await;
    list.as_array().unwrap().len()
}

/// A muted thread: its posts say `muted`, and nothing in it notifies any more (replies,
/// favourites); unmuted, it notifies again. Other threads are untouched.
async fn muted_threads_stop_notifying(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let root = f.status(&alice, json!({"status": "Lunch plans?"})).await;
    let other = f.status(&alice, json!({"status": "Other topic"})).await;
    let reply = f
        .status(
            &bob,
            json!({"status": "@alice pizza", "in_reply_to_id": root}),
        )
        .await;
    assert_eq!(notification_count(&f, &alice).await, 1);

    // Muted from a reply in the thread: the whole thread is muted.
    let (code, muted) = f
        .post(&alice, &format!("/api/v1/statuses/{reply}/mute"), json!({}))
        .await;
    assert_eq!(code, 200, "{muted}");
    assert_eq!(muted["muted"], true);
    assert_eq!(muted["id"], reply.as_str());
    let (_, seen) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{root}"))
        .await;
    assert_eq!(seen["muted"], true);
    let (_, elsewhere) = f
        .get(Some(&alice), &format!("/api/v1/statuses/{other}"))
        .await;
    assert_eq!(elsewhere["muted"], false);
    let (_, for_bob) = f.get(Some(&bob), &format!("/api/v1/statuses/{root}")).await;
    assert_eq!(for_bob["muted"], false, "only alice muted it");

    f.status(
        &bob,
        json!({"status": "@alice or sushi", "in_reply_to_id": root}),
    )
    .await;
    f.post(
        &bob,
        &format!("/api/v1/statuses/{root}/favourite"),
        json!({}),
    )
    .await;
    assert_eq!(
        notification_count(&f, &alice).await,
        1,
        "nothing new from the muted thread"
    );
    f.post(
        &bob,
        &format!("/api/v1/statuses/{other}/favourite"),
        json!({}),
    )
    .await;
    assert_eq!(
        notification_count(&f, &alice).await,
        2,
        "other threads still notify"
    );

    let (code, unmuted) = f
        .post(
            &alice,
            &format!("/api/v1/statuses/{root}/unmute"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(unmuted["muted"], false);
    f.status(
        &bob,
        json!({"status": "@alice final answer?", "in_reply_to_id": root}),
    )
    .await;
    assert_eq!(notification_count(&f, &alice).await, 3);
    // A post one may not see cannot be muted.
    let secret = f
        .status(
            &alice,
            json!({"status": "@alice note to self", "visibility": "direct"}),
        )
        .await;
    let (code, _) = f
        .post(&bob, &format!("/api/v1/statuses/{secret}/mute"), json!({}))
        .await;
    assert_eq!(code, 404);
    f.stop().await;
}

on_both_backends!(muted_threads_stop_notifying);

/// Endorsed accounts: only accounts I follow, listed for me and on my profile, shown in the
/// relationship; unfollowing ends the endorsement.
async fn accounts_are_endorsed(db: TestDb) {
    use crate::write_path::follow;
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    let (code, body) = f
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/endorse", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 422, "only followed accounts: {body}");
    follow(&f, &alice, &bob.id, json!({})).await;
    follow(&f, &alice, &carol.id, json!({})).await;
    let (code, rel) = f
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/endorse", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{rel}");
    assert_eq!(rel["endorsed"], true);
    // Mastodon 4.3's name for it.
    let (code, rel) = f
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/pin", carol.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{rel}");
    assert_eq!(rel["endorsed"], true);
    let (_, mine) = f.get(Some(&alice), "/api/v1/endorsements").await;
    assert_eq!(ids(&mine), vec![carol.id.clone(), bob.id.clone()]);
    let (_, public) = f
        .get(None, &format!("/api/v1/accounts/{}/endorsements", alice.id))
        .await;
    assert_eq!(ids(&public), vec![carol.id.clone(), bob.id.clone()]);
    let (_, theirs) = f
        .get(
            Some(&bob),
            &format!("/api/v1/accounts/relationships?id[]={}", carol.id),
        )
        .await;
    assert_eq!(theirs[0]["endorsed"], false);

    let (code, rel) = f
        .post(
            &alice,
            &format!("/api/v1/accounts/{}/unendorse", carol.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    assert_eq!(rel["endorsed"], false);
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/unfollow", bob.id),
        json!({}),
    )
    .await;
    let (_, mine) = f.get(Some(&alice), "/api/v1/endorsements").await;
    assert_eq!(mine, json!([]), "unfollowing ends the endorsement");
    let narrow = f.user_with_scopes("erin", "read:statuses").await;
    assert_eq!(f.get(Some(&narrow), "/api/v1/endorsements").await.0, 403);
    f.stop().await;
}

on_both_backends!(accounts_are_endorsed);

/// Featured hashtags: with how often I used them publicly and when last, at most 10, once
/// each; suggestions are my most used others; my profile lists them.
async fn hashtags_are_featured(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    for text in [
        "Shipped #release 1",
        "Shipped #release 2",
        "Quiet #release prep",
        "Lunch #food",
    ] {
        f.status(&alice, json!({"status": text})).await;
    }
    f.status(
        &alice,
        json!({"status": "Secret #release plan", "visibility": "private"}),
    )
    .await;
    let (_, suggested) = f
        .get(Some(&alice), "/api/v1/featured_tags/suggestions")
        .await;
    assert_eq!(suggested[0]["name"], "release", "{suggested}");
    assert_eq!(suggested[1]["name"], "food");

    let (code, featured) = f
        .post(&alice, "/api/v1/featured_tags", json!({"name": "#release"}))
        .await;
    assert_eq!(code, 200, "{featured}");
    assert_eq!(featured["name"], "release");
    assert_eq!(
        featured["statuses_count"], "3",
        "public and unlisted posts only"
    );
    assert!(
        featured["last_status_at"].as_str().unwrap().len() == 10,
        "{featured}"
    );
    assert!(
        featured["url"]
            .as_str()
            .unwrap()
            .ends_with("/@alice/tagged/release")
    );
    let (code, again) = f
        .post(&alice, "/api/v1/featured_tags", json!({"name": "Release"}))
        .await;
    assert_eq!(code, 422, "{again}");
    let (code, bad) = f
        .post(
            &alice,
            "/api/v1/featured_tags",
            json!({"name": "no spaces"}),
        )
        .await;
    assert_eq!(code, 422, "{bad}");
    let (code, unused) = f
        .post(&alice, "/api/v1/featured_tags", json!({"name": "hiring"}))
        .await;
    assert_eq!(code, 200);
    assert_eq!(unused["statuses_count"], "0");
    assert_eq!(unused["last_status_at"], Value::Null);
    let (_, suggested) = f
        .get(Some(&alice), "/api/v1/featured_tags/suggestions")
        .await;
    assert_eq!(
        suggested
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].clone())
            .collect::<Vec<_>>(),
        vec![json!("food")]
    );
    let (_, mine) = f.get(Some(&alice), "/api/v1/featured_tags").await;
    assert_eq!(ids(&mine).len(), 2);
    let (_, public) = f
        .get(
            None,
            &format!("/api/v1/accounts/{}/featured_tags", alice.id),
        )
        .await;
    assert_eq!(public, mine);
    for n in 0..8 {
        let (code, _) = f
            .post(
                &alice,
                "/api/v1/featured_tags",
                json!({"name": format!("topic{n}")}),
            )
            .await;
        assert_eq!(code, 200);
    }
    let (code, over) = f
        .post(&alice, "/api/v1/featured_tags", json!({"name": "eleventh"}))
        .await;
    assert_eq!(code, 422, "at most 10: {over}");
    let id = featured["id"].as_str().unwrap();
    let bob = f.user("bob").await;
    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/featured_tags/{id}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "only its owner removes it");
    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/featured_tags/{id}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, mine) = f.get(Some(&alice), "/api/v1/featured_tags").await;
    assert_eq!(ids(&mine).len(), 9);
    f.stop().await;
}

on_both_backends!(hashtags_are_featured);

fn in_secs(secs: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Scheduled posts: too soon is refused; listed, moved and cancelled by their author only;
/// published when due, once, with their uploads, and gone from the list.
async fn posts_are_scheduled(db: TestDb) {
    let f = Fixture::start_with(db, |s| s.limits.scheduled_status_min_lead_secs = 2).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "Too soon", "scheduled_at": in_secs(1)}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("at least 2 seconds"),
        "{body}"
    );
    let (code, body) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "Bad time", "scheduled_at": "tomorrow"}),
        )
        .await;
    assert_eq!(code, 422, "{body}");

    // An upload goes with the scheduled post.
    let png = std::fs::read("frontend/static/avatar.png").unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png)
            .file_name("chart.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let media: Value = f
        .client
        .post(f.url("/api/v2/media"))
        .bearer_auth(&alice.token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let media_id = media["id"].as_str().unwrap().to_string();
    let (code, later) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "Quarterly numbers are out #results", "visibility": "unlisted",
                   "media_ids": [media_id], "scheduled_at": in_secs(3600)}),
        )
        .await;
    assert_eq!(code, 200, "{later}");
    assert_eq!(
        later["params"]["text"],
        "Quarterly numbers are out #results"
    );
    assert_eq!(later["params"]["visibility"], "unlisted");
    assert_eq!(later["media_attachments"][0]["id"], media_id.as_str());
    let later_id = later["id"].as_str().unwrap().to_string();
    let (code, soon) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "Stand-up in five", "scheduled_at": in_secs(3600)}),
        )
        .await;
    assert_eq!(code, 200, "{soon}");
    let soon_id = soon["id"].as_str().unwrap().to_string();
    let (_, list) = f.get(Some(&alice), "/api/v1/scheduled_statuses").await;
    assert_eq!(ids(&list), vec![soon_id.clone(), later_id.clone()]);
    assert_eq!(
        f.get(Some(&bob), "/api/v1/scheduled_statuses").await.1,
        json!([])
    );
    assert_eq!(
        f.get(Some(&bob), &format!("/api/v1/scheduled_statuses/{soon_id}"))
            .await
            .0,
        404
    );

    // Moved to soon: published when due, once.
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/scheduled_statuses/{soon_id}")))
        .bearer_auth(&alice.token)
        .json(&json!({"scheduled_at": in_secs(3)}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let posted = crate::federation::eventually("the scheduled post to be published", || async {
        let (_, statuses) = f
            .get(
                Some(&alice),
                &format!("/api/v1/accounts/{}/statuses", alice.id),
            )
            .await;
        let found: Vec<Value> = statuses
            .as_array()?
            .iter()
            .filter(|s| {
                s["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("Stand-up in five"))
            })
            .cloned()
            .collect();
        (!found.is_empty()).then_some(found)
    })
    .await;
    assert_eq!(posted.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, statuses) = f
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/{}/statuses", alice.id),
        )
        .await;
    assert_eq!(
        statuses.as_array().unwrap().len(),
        1,
        "published once: {statuses}"
    );
    let (_, list) = f.get(Some(&alice), "/api/v1/scheduled_statuses").await;
    assert_eq!(ids(&list), vec![later_id.clone()]);

    // Cancelled by its author only.
    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/scheduled_statuses/{later_id}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/scheduled_statuses/{later_id}")))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        f.get(Some(&alice), "/api/v1/scheduled_statuses").await.1,
        json!([])
    );

    // Published with its upload (kept for it, then attached).
    let (code, with_media) = f
        .post(
            &alice,
            "/api/v1/statuses",
            json!({"status": "Chart attached", "media_ids": [media_id], "scheduled_at": in_secs(3)}),
        )
        .await;
    assert_eq!(
        code, 200,
        "the cancelled post's upload is free again: {with_media}"
    );
    let published =
        crate::federation::eventually("the post with media to be published", || async {
            let (_, statuses) = f
                .get(
                    Some(&alice),
                    &format!("/api/v1/accounts/{}/statuses", alice.id),
                )
                .await;
            statuses
                .as_array()?
                .iter()
                .find(|s| {
                    s["content"]
                        .as_str()
                        .is_some_and(|c| c.contains("Chart attached"))
                })
                .cloned()
        })
        .await;
    assert_eq!(published["media_attachments"][0]["id"], media_id.as_str());
    f.stop().await;
}

on_both_backends!(posts_are_scheduled);

/// Two app nodes on one PostgreSQL: each scheduled post is published exactly once.
#[actix_web::test]
async fn scheduled_posts_are_published_once_by_two_nodes() {
    crate::common::scenario(async {
        let f = Fixture::start_with(TestDb::postgres(), |s| {
            s.limits.scheduled_status_min_lead_secs = 1
        })
        .await;
        let mut settings = (*f.ctx.settings).clone();
        settings.http.bind = "127.0.0.1:0".parse().unwrap();
        let (_second, _ctx2) = start_server(settings).await;
        let alice = f.user("alice").await;
        for n in 0..12 {
            let (code, body) = f
                .post(
                    &alice,
                    "/api/v1/statuses",
                    json!({"status": format!("Scheduled number {n}"), "scheduled_at": in_secs(2)}),
                )
                .await;
            assert_eq!(code, 200, "{body}");
        }
        crate::federation::eventually("every scheduled post to be published", || async {
            let (_, list) = f.get(Some(&alice), "/api/v1/scheduled_statuses").await;
            (list == json!([])).then_some(())
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let (_, statuses) = f
            .get(
                Some(&alice),
                &format!("/api/v1/accounts/{}/statuses?limit=40", alice.id),
            )
            .await;
        let mut texts: Vec<String> = statuses
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["content"].as_str().unwrap().to_string())
            .collect();
        texts.sort();
        let mut expected: Vec<String> = (0..12)
            .map(|n| format!("<p>Scheduled number {n}</p>"))
            .collect();
        expected.sort();
        assert_eq!(texts, expected, "each published exactly once");
        f.stop().await;
    })
    .await
}

/// Announcements: published by administrators (API and CLI, audited), shown to employees
/// while current, dismissed and reacted to; administrators see how many read one only when
/// enough did to name nobody.
async fn announcements_reach_employees(db: TestDb) {
    let f = Fixture::start_with(db, |s| s.metrics.min_group_size = 3).await;
    let admin = staff(&f, "admin", Role::Admin).await;
    let moderator = staff(&f, "mod", Role::Moderator).await;
    let readers: Vec<TestUser> = {
        let mut v = Vec::new();
        for name in ["ann", "ben", "cat"] {
            v.push(f.user(name).await);
        }
        v
    };
    let (code, _) = f
        .post(
            &moderator,
            "/api/v1/groundswell/admin/announcements",
            json!({"text": "Not mine to say"}),
        )
        .await;
    assert_eq!(code, 403, "administrators only");
    let (code, body) = f
        .post(
            &admin,
            "/api/v1/groundswell/admin/announcements",
            json!({"text": "  "}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    let (code, made) = f
        .post(
            &admin,
            "/api/v1/groundswell/admin/announcements",
            json!({"text": "**Town hall** on Friday at 10:00"}),
        )
        .await;
    assert_eq!(code, 200, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let (code, _) = f
        .post(
            &admin,
            "/api/v1/groundswell/admin/announcements",
            json!({"text": "Next year's plan", "starts_at": in_secs(3600)}),
        )
        .await;
    assert_eq!(code, 200);

    let ann = &readers[0];
    let (code, shown) = f.get(Some(ann), "/api/v1/announcements").await;
    assert_eq!(code, 200, "{shown}");
    assert_eq!(ids(&shown), vec![id.clone()], "only what is current");
    assert_eq!(
        shown[0]["content"],
        "<p><strong>Town hall</strong> on Friday at 10:00</p>\n"
    );
    assert_eq!(shown[0]["read"], false);
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/announcements/{id}/reactions/🎉")))
        .bearer_auth(&ann.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = f
        .client
        .put(f.url(&format!("/api/v1/announcements/{id}/reactions/hello")))
        .bearer_auth(&ann.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422, "reactions are emoji");
    let (code, _) = f
        .post(
            ann,
            &format!("/api/v1/announcements/{id}/dismiss"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (_, after) = f.get(Some(ann), "/api/v1/announcements").await;
    assert_eq!(after, json!([]), "dismissed");
    let (_, all) = f
        .get(Some(ann), "/api/v1/announcements?with_dismissed=true")
        .await;
    assert_eq!(all[0]["read"], true);
    assert_eq!(
        all[0]["reactions"],
        json!([{"name": "🎉", "count": 1, "me": true}])
    );
    let (_, for_ben) = f.get(Some(&readers[1]), "/api/v1/announcements").await;
    assert_eq!(for_ben[0]["reactions"][0]["me"], false);

    // One or two readers would name them: suppressed; three: counted.
    let read_by = |list: &Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id.as_str())
            .unwrap()
            .clone()
    };
    let (_, list) = f
        .get(Some(&admin), "/api/v1/groundswell/admin/announcements")
        .await;
    assert_eq!(read_by(&list)["read_by"], Value::Null, "{list}");
    assert_eq!(read_by(&list)["read_by_suppressed"], true);
    for reader in &readers[1..] {
        f.post(
            reader,
            &format!("/api/v1/announcements/{id}/dismiss"),
            json!({}),
        )
        .await;
    }
    let (_, list) = f
        .get(Some(&admin), "/api/v1/groundswell/admin/announcements")
        .await;
    assert_eq!(read_by(&list)["read_by"], 3);
    assert!(!list.to_string().contains("ann"), "never who: {list}");

    // Withdrawn; every step audited.
    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/groundswell/admin/announcements/{id}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, log) = f
        .get(
            Some(&admin),
            "/api/v1/groundswell/admin/audit_log?action=announcement.",
        )
        .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "announcement.delete",
            "announcement.publish",
            "announcement.publish"
        ]
    );

    // From the CLI.
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "note.md", "Office closed on Monday");
    let out = assert_ok(&run_cli(
        &f.db,
        &["announcement", "publish", file.to_str().unwrap()],
    ));
    assert!(out.starts_with("published announcement "), "{out}");
    let listed = assert_ok(&run_cli(&f.db, &["announcement", "list"]));
    assert!(
        listed.contains("Office closed on Monday") && listed.contains("cli"),
        "{listed}"
    );
    let bad = run_cli(&f.db, &["announcement", "publish", "/no/such/file.md"]);
    assert!(assert_cli_error(&bad).contains("cannot read"));
    crate::federation::eventually("the CLI's announcement in the app", || async {
        let (_, shown) = f.get(Some(&readers[2]), "/api/v1/announcements").await;
        shown
            .as_array()?
            .iter()
            .any(|a| {
                a["content"]
                    .as_str()
                    .is_some_and(|c| c.contains("Office closed"))
            })
            .then_some(())
    })
    .await;
    f.stop().await;
}

on_both_backends!(announcements_reach_employees);

/// An author boosts their own followers-only post to the same followers; nobody else may
/// boost it. Anyone who may see a post may read its source.
async fn own_private_posts_are_boosted_and_sources_read(db: TestDb) {
    use crate::write_path::follow;
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    follow(&f, &bob, &alice.id, json!({})).await;
    let private = f
        .status(
            &alice,
            json!({"status": "For my followers", "visibility": "private"}),
        )
        .await;
    let (code, boost) = f
        .post(
            &alice,
            &format!("/api/v1/statuses/{private}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200, "{boost}");
    assert_eq!(boost["visibility"], "private");
    assert_eq!(boost["reblog"]["id"], private.as_str());
    let (code, _) = f
        .post(
            &bob,
            &format!("/api/v1/statuses/{private}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 422, "a follower may not boost it further");
    let (code, _) = f
        .post(
            &carol,
            &format!("/api/v1/statuses/{private}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 404, "carol cannot see it");

    let public = f.status(&alice, json!({"status": "Hello *all*"})).await;
    let (code, source) = f
        .get(Some(&carol), &format!("/api/v1/statuses/{public}/source"))
        .await;
    assert_eq!(code, 200, "{source}");
    assert_eq!(source["text"], "Hello *all*");
    assert_eq!(
        f.get(Some(&bob), &format!("/api/v1/statuses/{private}/source"))
            .await
            .0,
        200
    );
    assert_eq!(
        f.get(Some(&carol), &format!("/api/v1/statuses/{private}/source"))
            .await
            .0,
        404
    );
    f.stop().await;
}

on_both_backends!(own_private_posts_are_boosted_and_sources_read);
