//! Home timelines read from per-employee feeds: after every kind of change (posts and boosts
//! from here and from another department, follows and unfollows, followed hashtags, blocks,
//! mutes, list changes, deletes, posts for followers or for one person), every page of the
//! home timeline is what the search over all statuses gives — also past the feed's size,
//! after `admin rebuild-feeds`, and on a second app node.

use serde_json::{Value, json};

use crate::common::*;
use crate::federation::{departments_with, domain, eventually, resolve};
use crate::on_both_backends;
use crate::write_path::follow;

/// Every page of `user`'s home timeline, newest first, paged by `max_id` as apps do.
async fn whole_home(f: &Fixture, user: &TestUser) -> Vec<String> {
    whole(f, user, "/api/v1/timelines/home").await
}

/// Every page of one of `user`'s timelines.
async fn whole(f: &Fixture, user: &TestUser, timeline: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut path = format!("{timeline}?limit=15");
    loop {
        let (code, page) = f.get(Some(user), &path).await;
        assert_eq!(code, 200, "{page}");
        let page = page.as_array().unwrap();
        let Some(last) = page.last() else {
            return ids;
        };
        ids.extend(page.iter().map(|s| s["id"].as_str().unwrap().to_string()));
        path = format!(
            "{timeline}?limit=15&max_id={}",
            last["id"].as_str().unwrap()
        );
    }
}

/// The contents of `user`'s home timeline, newest first.
async fn home_texts(f: &Fixture, user: &TestUser) -> Vec<String> {
    let (_, page) = f.get(Some(user), "/api/v1/timelines/home?limit=40").await;
    page.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = if s["reblog"].is_object() {
                &s["reblog"]
            } else {
                s
            };
            s["content"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

async fn forget_feeds(f: &Fixture) {
    f.ctx
        .db
        .write(groundswell::service::feeds::forget_all)
        .await
        .unwrap();
}

async fn build_feeds(f: &Fixture) {
    let size = f.ctx.settings.limits.home_feed_size;
    while f
        .ctx
        .db
        .write(move |c| groundswell::service::feeds::build_missing(c, size, 50))
        .await
        .unwrap()
        > 0
    {}
}

async fn trim_feeds(f: &Fixture) {
    let size = f.ctx.settings.limits.home_feed_size;
    f.ctx
        .db
        .write(move |c| groundswell::service::feeds::trim(c, size, 0, 10_000))
        .await
        .unwrap();
}

/// The home timeline from the feed equals the one the search gives (all feeds forgotten,
/// then built again, so the next step starts from a feed again). Also a `min_id` page.
async fn same_as_search(f: &Fixture, user: &TestUser, step: &str) -> Vec<String> {
    let from_feed = whole_home(f, user).await;
    let near = from_feed.get(from_feed.len() / 2).cloned();
    let min_path = near
        .as_ref()
        .map(|id| format!("/api/v1/timelines/home?limit=5&min_id={id}"));
    let min_from_feed = min_page(f, user, min_path.as_deref()).await;
    forget_feeds(f).await;
    let searched = whole_home(f, user).await;
    let min_searched = min_page(f, user, min_path.as_deref()).await;
    build_feeds(f).await;
    assert_eq!(from_feed, searched, "after {step}");
    assert_eq!(min_from_feed, min_searched, "min_id page after {step}");
    from_feed
}

async fn min_page(f: &Fixture, user: &TestUser, path: Option<&str>) -> Value {
    match path {
        Some(p) => f.get(Some(user), p).await.1,
        None => Value::Null,
    }
}

async fn act(f: &Fixture, me: &TestUser, path: &str, body: Value) -> Value {
    let (code, out) = f.post(me, path, body).await;
    assert_eq!(code, 200, "{path}: {out}");
    out
}

/// Eng keeps feeds of 40 statuses, so most of this history is older than the feed.
async fn home_feeds_match_the_search_after_every_change(db: TestDb) {
    let deps = departments_with(
        db,
        2,
        |_, _| true,
        |i, s| {
            if i == 0 {
                s.limits.home_feed_size = 40;
            }
        },
    )
    .await;
    let (eng, sales) = (&deps[0], &deps[1]);
    let alice = eng.user("alice").await;
    let carol = eng.user("carol").await;
    let dave = eng.user("dave").await;
    let erin = eng.user("erin").await;
    let bob = sales.user("bob").await;
    let bob_on_eng = resolve(eng, &alice, &format!("bob@{}", domain(sales))).await;
    follow(eng, &alice, &carol.id, json!({})).await;
    follow(eng, &alice, &bob_on_eng, json!({})).await;

    // Dave, whom Alice does not follow yet, posts for everyone, for his followers and to her.
    eng.status(&dave, json!({"status": "dave for everyone"}))
        .await;
    eng.status(
        &dave,
        json!({"status": "dave for followers", "visibility": "private"}),
    )
    .await;
    eng.status(
        &dave,
        json!({"status": "@alice dave just to you", "visibility": "direct"}),
    )
    .await;
    eng.status(&erin, json!({"status": "erin: #launch day"}))
        .await;
    // More than a feed holds.
    let mut carols = Vec::new();
    for i in 0..60 {
        carols.push(
            eng.status(&carol, json!({"status": format!("carol update {i}")}))
                .await,
        );
    }
    eng.status(&alice, json!({"status": "alice herself"})).await;
    trim_feeds(eng).await;
    let home = same_as_search(eng, &alice, "more posts than the feed holds").await;
    assert_eq!(
        home.len(),
        62,
        "60 of Carol, Alice's own, Dave's direct message"
    );

    // Posts and boosts from another department, boosts here.
    sales
        .status(&bob, json!({"status": "bob from sales"}))
        .await;
    eventually("Bob's post in Alice's home", || async {
        home_texts(eng, &alice)
            .await
            .iter()
            .any(|t| t.contains("bob from sales"))
            .then_some(())
    })
    .await;
    let dave_public = {
        let (_, statuses) = eng
            .get(
                Some(&dave),
                &format!("/api/v1/accounts/{}/statuses", dave.id),
            )
            .await;
        statuses.as_array().unwrap().last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    act(
        eng,
        &carol,
        &format!("/api/v1/statuses/{dave_public}/reblog"),
        json!({}),
    )
    .await;
    let before = same_as_search(eng, &alice, "posts and boosts from both departments").await;

    // Following brings in what they said before (Dave's posts for everyone and for his
    // followers); a followed hashtag too (Erin's post).
    follow(eng, &alice, &dave.id, json!({})).await;
    assert_eq!(whole_home(eng, &alice).await.len(), before.len() + 2);
    act(eng, &alice, "/api/v1/tags/launch/follow", json!({})).await;
    assert_eq!(whole_home(eng, &alice).await.len(), before.len() + 3);
    same_as_search(eng, &alice, "a follow and a followed hashtag").await;

    // Mutes take effect at once, and end.
    act(
        eng,
        &alice,
        &format!("/api/v1/accounts/{}/mute", carol.id),
        json!({}),
    )
    .await;
    let home = same_as_search(eng, &alice, "a mute").await;
    assert!(!home.iter().any(|id| carols.contains(id)));
    act(
        eng,
        &alice,
        &format!("/api/v1/accounts/{}/unmute", carol.id),
        json!({}),
    )
    .await;
    same_as_search(eng, &alice, "an unmute").await;

    // An exclusive list takes its members out of home.
    let list = act(
        eng,
        &alice,
        "/api/v1/lists",
        json!({"title": "Sales", "exclusive": true}),
    )
    .await;
    let list_id = list["id"].as_str().unwrap();
    act(
        eng,
        &alice,
        &format!("/api/v1/lists/{list_id}/accounts"),
        json!({"account_ids": [bob_on_eng]}),
    )
    .await;
    let texts = home_texts(eng, &alice).await;
    assert!(
        !texts.iter().any(|t| t.contains("bob from sales")),
        "{texts:?}"
    );
    same_as_search(eng, &alice, "an exclusive list").await;

    // Deletes, unfollows and blocks.
    let resp = eng
        .client
        .delete(eng.url(&format!("/api/v1/statuses/{}", carols[59])))
        .bearer_auth(&carol.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let home = same_as_search(eng, &alice, "a delete").await;
    assert!(!home.contains(&carols[59]));
    act(
        eng,
        &alice,
        &format!("/api/v1/accounts/{bob_on_eng}/unfollow"),
        json!({}),
    )
    .await;
    same_as_search(eng, &alice, "an unfollow").await;
    act(
        eng,
        &alice,
        &format!("/api/v1/accounts/{}/block", dave.id),
        json!({}),
    )
    .await;
    let home = same_as_search(eng, &alice, "a block").await;
    assert!(!home.contains(&dave_public));

    // New posts after all that, then a rebuild from the command line.
    eng.status(&carol, json!({"status": "carol after everything"}))
        .await;
    let before = whole_home(eng, &alice).await;
    assert!(home_texts(eng, &alice).await[0].contains("carol after everything"));
    assert_ok(&run_cli(&eng.db, &["admin", "rebuild-feeds"]));
    assert_eq!(whole_home(eng, &alice).await, before, "after rebuild-feeds");
}

on_both_backends!(home_feeds_match_the_search_after_every_change);

/// Whether `status` is in `account`'s feed, and whether it still waits to be fanned out.
async fn fanned_out(f: &Fixture, account: i64, status: i64) -> (bool, bool) {
    use diesel::prelude::*;
    use groundswell::db::schema::{home_feed_queue, home_feeds};
    f.ctx
        .db
        .read(move |conn| {
            let in_feed: bool = diesel::select(diesel::dsl::exists(
                home_feeds::table
                    .filter(home_feeds::account_id.eq(account))
                    .filter(home_feeds::status_id.eq(status)),
            ))
            .get_result(conn)?;
            let queued: bool =
                diesel::select(diesel::dsl::exists(home_feed_queue::table.find(status)))
                    .get_result(conn)?;
            Ok((in_feed, queued))
        })
        .await
        .unwrap()
}

/// A post is queued for fan-out by the request that publishes it and fanned out to its
/// followers' feeds in the background; in between (as after a crash before the fan-out) the
/// followers' home timelines show it all the same, and a queued post is fanned out without
/// anything new being posted.
async fn posts_reach_home_timelines_before_and_after_fan_out(db: TestDb) {
    use diesel::prelude::*;
    use groundswell::db::schema::{home_feed_queue, home_feeds};
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    follow(&f, &alice, &bob.id, json!({})).await;
    let alice_id: i64 = alice.id.parse().unwrap();
    let post: i64 = f
        .status(&bob, json!({"status": "fanned out"}))
        .await
        .parse()
        .unwrap();
    eventually("the post in alice's feed", || async {
        (fanned_out(&f, alice_id, post).await == (true, false)).then_some(())
    })
    .await;

    // Published, not yet fanned out: alice's feed lacks it, the queue has it. Read in the
    // same transaction, so the fan-out cannot come in between.
    let page = groundswell::service::pagination::Page {
        max_id: None,
        since_id: None,
        min_id: None,
        limit: 20,
    };
    let home = f
        .ctx
        .db
        .write(move |conn| {
            diesel::delete(
                home_feeds::table
                    .filter(home_feeds::account_id.eq(alice_id))
                    .filter(home_feeds::status_id.eq(post)),
            )
            .execute(conn)?;
            diesel::insert_into(home_feed_queue::table)
                .values(home_feed_queue::status_id.eq(post))
                .execute(conn)?;
            groundswell::service::timelines::home(conn, alice_id, &page)
        })
        .await
        .unwrap();
    assert_eq!(home.first().map(|s| s.id), Some(post));
    assert_eq!(fanned_out(&f, alice_id, post).await, (false, true));
    let (_, timeline) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert_eq!(timeline[0]["id"], post.to_string(), "{timeline}");
    eventually("the queued post fanned out", || async {
        (fanned_out(&f, alice_id, post).await == (true, false)).then_some(())
    })
    .await;
    let (_, timeline) = f.get(Some(&alice), "/api/v1/timelines/home").await;
    assert_eq!(timeline[0]["id"], post.to_string(), "{timeline}");
    f.stop().await;
}

on_both_backends!(posts_reach_home_timelines_before_and_after_fan_out);

/// Two app nodes on one PostgreSQL database share the feeds: a post made through one is in
/// the home timeline read through the other at once.
#[actix_web::test]
async fn home_feeds_are_shared_by_app_nodes() {
    crate::common::scenario(home_feeds_are_shared_by_app_nodes_body()).await
}

async fn home_feeds_are_shared_by_app_nodes_body() {
    let f = Fixture::start(TestDb::postgres()).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    follow(&f, &alice, &bob.id, json!({})).await;
    let mut settings = (*f.ctx.settings).clone();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    let (second, ctx2) = start_server(settings).await;
    let second_base = format!("http://{}", second.addr);
    for i in 0..3 {
        let id = f
            .status(&bob, json!({"status": format!("node one {i}")}))
            .await;
        let resp = f
            .client
            .get(format!("{second_base}/api/v1/timelines/home"))
            .bearer_auth(&alice.token)
            .send()
            .await
            .unwrap();
        let home: Value = resp.json().await.unwrap();
        assert_eq!(home[0]["id"], id.as_str(), "{home}");
    }
    ctx2.events.shutdown();
    second.handle.stop(true).await;
    f.stop().await;
}
