//! The hostile-inbox matrix: what a department's inbox gets from a server that is broken or
//! means harm — unsigned, signed with the wrong key, with another actor's key, too long ago or
//! ahead of time, replayed, altered after signing, too large, too deep, addressed to a
//! hundred thousand, from a department this one does not federate with, or about things its
//! actor cannot own. Each is answered with its 4xx, stores nothing, is logged at WARN with
//! why (and never with key material), and the department goes on serving. Real departments
//! on loopback ports, on both backends; RELIABILITY.md ("Hostile input: the inbox") has the
//! table of cases.

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;
use crate::security::{
    INBOX_COVERED, actor_keys, department, local_url, post_raw, send_signed, sign_at,
};

const AS: &str = "https://www.w3.org/ns/activitystreams";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const SHARED: &str = "/inbox";
const ALICES: &str = "/users/alice/inbox";

/// What the inbox can store, counted in the department's database. A refused activity
/// changes none of it: no post, favourite, account, notification, or remembered activity.
#[derive(Debug, PartialEq, Eq)]
struct Stored {
    statuses: i64,
    favourites: i64,
    accounts: i64,
    notifications: i64,
    received_activities: i64,
}

fn stored(f: &Fixture) -> Stored {
    use diesel::prelude::*;
    use groundswell::db::schema::{
        accounts, favourites, notifications, received_activities, statuses,
    };
    let mut conn = f.db.connect();
    Stored {
        statuses: statuses::table.count().get_result(&mut conn).unwrap(),
        favourites: favourites::table.count().get_result(&mut conn).unwrap(),
        accounts: accounts::table.count().get_result(&mut conn).unwrap(),
        notifications: notifications::table.count().get_result(&mut conn).unwrap(),
        received_activities: received_activities::table
            .count()
            .get_result(&mut conn)
            .unwrap(),
    }
}

/// The department under attack, what it stored before, how much of its log was already
/// read, and every signature sent to it (none of which may ever reach its log).
struct Target<'a> {
    eng: &'a Fixture,
    base: String,
    host: String,
    before: Stored,
    log_read: usize,
    signatures: Vec<String>,
}

impl Target<'_> {
    /// Headers signing `body` as `signer` for the inbox at `path`, dated `date`.
    fn sign_body(
        &mut self,
        path: &str,
        body: &[u8],
        signer: &(String, String),
        date: SystemTime,
    ) -> Vec<(&'static str, String)> {
        let url = local_url(self.eng, path);
        let headers = sign_at(
            "POST",
            &url,
            &INBOX_COVERED,
            Some(body),
            signer,
            &self.host,
            date,
        );
        for (name, value) in &headers {
            if let ("signature", Some((_, signature))) = (*name, value.rsplit_once("signature=\""))
            {
                self.signatures
                    .push(signature.trim_end_matches('"').to_string());
            }
        }
        headers
    }

    /// `activity` signed as `signer` for the inbox at `path`, dated `date`: headers and body.
    fn signed_at(
        &mut self,
        path: &str,
        activity: &Value,
        signer: &(String, String),
        date: SystemTime,
    ) -> (Vec<(&'static str, String)>, Vec<u8>) {
        let body = serde_json::to_vec(activity).unwrap();
        (self.sign_body(path, &body, signer, date), body)
    }

    fn signed(
        &mut self,
        path: &str,
        activity: &Value,
        signer: &(String, String),
    ) -> (Vec<(&'static str, String)>, Vec<u8>) {
        self.signed_at(path, activity, signer, SystemTime::now())
    }

    async fn post(&self, path: &str, headers: Vec<(&'static str, String)>, body: Vec<u8>) -> u16 {
        send_signed(self.eng, "POST", path, headers, Some(body)).await
    }

    /// `activity`, signed correctly as `signer`, to `path`.
    async fn deliver(&mut self, path: &str, activity: &Value, signer: &(String, String)) -> u16 {
        let (headers, body) = self.signed(path, activity, signer);
        self.post(path, headers, body).await
    }

    /// The refusals this inbox logged since the last look.
    fn new_refusals(&mut self) -> Vec<String> {
        let lines = warn_log().lines_with(&["activity refused", &format!("inbox={}", self.base)]);
        let new = lines[self.log_read.min(lines.len())..].to_vec();
        self.log_read = lines.len();
        new
    }

    /// The case was answered `want`, stored nothing, and its WARN line names the inbox, the
    /// sender (`unknown` when the body could not be read), the status and `why`.
    fn refused(&mut self, case: &str, path: &str, got: u16, want: u16, sender: &str, why: &str) {
        assert_eq!(got, want, "{case}: answered {got}, not {want}");
        assert_eq!(
            stored(self.eng),
            self.before,
            "{case}: something was stored"
        );
        let inbox = format!("inbox={}{path} ", self.base);
        let sender = format!("sender={sender} ");
        let status = format!("status={want} ");
        let needles = [inbox.as_str(), &sender, &status, why];
        let lines = self.new_refusals();
        assert!(
            lines.iter().any(|l| needles.iter().all(|n| l.contains(n))),
            "{case}: no WARN line with {needles:?} among:\n{}",
            lines.join("\n")
        );
    }

    /// The department still answers its API.
    async fn still_serving(&self) {
        assert_eq!(self.eng.get(None, "/api/v1/instance").await.0, 200);
    }
}

/// Favourites and replies of alice's post, as her app sees them.
async fn counts(eng: &Fixture, alice: &TestUser, post: &str) -> (Value, Value) {
    let (_, status) = eng
        .get(Some(alice), &format!("/api/v1/statuses/{post}"))
        .await;
    (
        status["favourites_count"].clone(),
        status["replies_count"].clone(),
    )
}

fn like(id: &str, actor: &str, object: &str) -> Value {
    json!({"@context": AS, "id": id, "type": "Like", "actor": actor, "object": object})
}

/// A Create of a public reply to `parent` whose Note is `note_id`, by `author`.
fn reply(activity_id: &str, actor: &str, note_id: &str, author: &str, parent: &str) -> Value {
    json!({
        "@context": AS,
        "id": activity_id,
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": author,
            "content": "<p>Not from who it says</p>",
            "inReplyTo": parent,
            "published": "2026-12-01T00:00:00Z",
            "to": [PUBLIC],
        },
    })
}

/// eng federates with sales (and a department that is down); hr federates with eng, but eng
/// not with hr. Sales's bob and
/// carol and hr's mallory sign by hand (their keys read from their departments' databases);
/// every case goes to eng's shared inbox or to alice's, against alice's public post.
async fn hostile_inbox_posts_are_refused_and_store_nothing(db: TestDb) {
    warn_log();
    let (eng_reserved, sales_reserved, hr_reserved) =
        (reserve_port(), reserve_port(), reserve_port());
    let (eng_port, sales_port) = (eng_reserved.number(), sales_reserved.number());
    let (sales_db, hr_db) = (db.another(), db.another());
    // A department eng federates with that is not running: ids on it pass the policy.
    let ghost_port = free_port();
    let eng = department(db, eng_reserved, &[sales_port, ghost_port]).await;
    let sales = department(sales_db, sales_reserved, &[eng_port]).await;
    let hr = department(hr_db, hr_reserved, &[eng_port]).await;
    let hr_domain = hr.ctx.settings.instance.domain.to_string();
    let eng_domain = eng.ctx.settings.instance.domain.to_string();
    let alice = eng.user("alice").await;
    for name in ["bob", "carol"] {
        sales.user(name).await;
    }
    hr.user("mallory").await;
    let (bob, carol, mallory) = (
        actor_keys(&sales, "bob"),
        actor_keys(&sales, "carol"),
        actor_keys(&hr, "mallory"),
    );
    let post = eng
        .status(
            &alice,
            json!({"status": "Quarterly numbers are in", "visibility": "public"}),
        )
        .await;
    let post_url = format!("http://{eng_domain}/users/alice/statuses/{post}");
    let mut target = Target {
        eng: &eng,
        base: format!("http://{eng_domain}"),
        host: eng_domain.clone(),
        before: stored(&eng),
        log_read: 0,
        signatures: Vec::new(),
    };

    // Accepted: bob's Like (eng fetches bob once, so every case after this finds him known).
    let first = like(&format!("{}/likes/1", bob.0), &bob.0, &post_url);
    let (captured_headers, captured_body) = target.signed(SHARED, &first, &bob);
    let code = target
        .post(SHARED, captured_headers.clone(), captured_body.clone())
        .await;
    assert_eq!(code, 202);
    assert_eq!(counts(&eng, &alice, &post).await, (json!(1), json!(0)));
    target.before = stored(&eng);

    // Replayed verbatim within the signature's hour: 202 as the first time (as Mastodon does,
    // inboxes are idempotent by activity id), and nothing is counted twice. No WARN: a
    // redelivery is normal; it is logged at INFO ("activity already received").
    let code = target
        .post(SHARED, captured_headers.clone(), captured_body.clone())
        .await;
    assert_eq!(code, 202, "a replay is answered as the first delivery");
    assert_eq!(stored(&eng), target.before, "the replay was stored again");
    assert_eq!(target.new_refusals(), Vec::<String>::new());
    // Replayed to another inbox: the signature covers `(request-target)`, so it is invalid.
    let code = target.post(ALICES, captured_headers, captured_body).await;
    target.refused(
        "replayed to another inbox",
        ALICES,
        code,
        401,
        &bob.0,
        "The HTTP signature is invalid",
    );

    // Unsigned (401): nobody vouches for it.
    let unsigned = like(&format!("{}/likes/2", bob.0), &bob.0, &post_url);
    let headers = vec![("content-type", "application/activity+json".to_string())];
    let code = target
        .post(ALICES, headers, serde_json::to_vec(&unsigned).unwrap())
        .await;
    target.refused(
        "unsigned",
        ALICES,
        code,
        401,
        &bob.0,
        "Activities must carry an HTTP signature",
    );

    // Signed with a key that is not the one bob's actor document publishes (401): the
    // library verifies the signature with the published key, which does not verify it.
    let forger = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
    let wrong_key = (bob.0.clone(), forger.private_key.clone());
    let code = target.deliver(SHARED, &unsigned, &wrong_key).await;
    target.refused(
        "wrong key",
        SHARED,
        code,
        401,
        &bob.0,
        "The HTTP signature is invalid",
    );

    // Signed by carol (a valid signature of hers) for an activity whose actor is bob (403):
    // authenticated, but not as the one who claims to act; refused before anything is fetched.
    let code = target.deliver(ALICES, &unsigned, &carol).await;
    target.refused(
        "key of another actor",
        ALICES,
        code,
        403,
        &bob.0,
        "The signing key belongs to another actor than the activity's",
    );

    // A signed Date over an hour old, or more than five minutes ahead (401): the window is
    // `signatures::MAX_AGE` (1 h) back and `MAX_CLOCK_AHEAD` (5 min) forward.
    let now = SystemTime::now();
    let stale = now - Duration::from_secs(60 * 60 + 60);
    let (headers, body) = target.signed_at(SHARED, &unsigned, &bob, stale);
    let code = target.post(SHARED, headers, body).await;
    target.refused(
        "stale Date",
        SHARED,
        code,
        401,
        &bob.0,
        "The request's signature has expired",
    );
    let ahead = now + Duration::from_secs(6 * 60);
    let (headers, body) = target.signed_at(ALICES, &unsigned, &bob, ahead);
    let code = target.post(ALICES, headers, body).await;
    target.refused(
        "future Date",
        ALICES,
        code,
        401,
        &bob.0,
        "The request's date is in the future",
    );

    // A body altered after signing (401, as Mastodon answers it): the signed Digest is of
    // another body, so what arrived is not what bob signed.
    let (headers, _) = target.signed(SHARED, &unsigned, &bob);
    let altered = like(&format!("{}/likes/3", bob.0), &bob.0, &post_url);
    let code = target
        .post(SHARED, headers, serde_json::to_vec(&altered).unwrap())
        .await;
    target.refused(
        "Digest mismatch",
        SHARED,
        code,
        401,
        &bob.0,
        "The body digest is missing or wrong",
    );

    // Over `http.max_body_bytes` (413), with its length declared (refused before a byte is
    // read) and sent chunked (refused as soon as it passes the limit); never read whole.
    let limit = eng.ctx.settings.http.max_body_bytes;
    let mut huge = reply(
        &format!("{}/statuses/huge/activity", bob.0),
        &bob.0,
        &format!("{}/statuses/huge", bob.0),
        &bob.0,
        &post_url,
    );
    huge["object"]["content"] = json!("a".repeat(limit));
    let body = serde_json::to_vec(&huge).unwrap();
    let headers = vec!["Content-Type: application/activity+json".to_string()];
    for (path, declared) in [(SHARED, Some(body.len() as u64)), (ALICES, None)] {
        let chunks = body
            .chunks(64 * 1024)
            .map(<[u8]>::to_vec)
            .collect::<Vec<_>>();
        let code = post_raw(
            &eng.base,
            path,
            headers.clone(),
            chunks.into_iter(),
            declared,
        )
        .await;
        let why = format!("Request body is too large (at most {limit} bytes)");
        target.refused("oversized body", path, code, 413, "unknown", &why);
    }
    target.still_serving().await;

    // 10,000 levels of nesting (400): inside the post, the library's parser stops at
    // serde_json's 128 levels; as the whole body, what the activity claims cannot be read.
    // Neither recurses deeper than that, so neither can overflow the stack.
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let mut nested = reply(
        &format!("{}/statuses/deep/activity", bob.0),
        &bob.0,
        &format!("{}/statuses/deep", bob.0),
        &bob.0,
        &post_url,
    );
    nested["object"]["content"] = json!("placeholder");
    let text = serde_json::to_string(&nested)
        .unwrap()
        .replace("\"placeholder\"", &deep);
    let body = text.into_bytes();
    let headers = target.sign_body(SHARED, &body, &bob, SystemTime::now());
    let code = target.post(SHARED, headers, body).await;
    target.refused(
        "deeply nested object",
        SHARED,
        code,
        400,
        &bob.0,
        "The activity could not be parsed: recursion limit exceeded",
    );
    let body = deep.into_bytes();
    let headers = target.sign_body(ALICES, &body, &bob, SystemTime::now());
    let code = target.post(ALICES, headers, body).await;
    target.refused(
        "deeply nested body",
        ALICES,
        code,
        400,
        "unknown",
        "The activity could not be parsed",
    );
    target.still_serving().await;

    // 100,000 recipients in `to` (422), refused in bounded time: counted while the claim is
    // read, never kept, before the actor is fetched or any addressee looked up.
    let mut crowd = reply(
        &format!("{}/statuses/crowd/activity", bob.0),
        &bob.0,
        &format!("{}/statuses/crowd", bob.0),
        &bob.0,
        &post_url,
    );
    crowd["to"] = Value::Array((0..100_000).map(|n| json!(format!("u{n}"))).collect());
    let started = Instant::now();
    let code = target.deliver(SHARED, &crowd, &bob).await;
    let took = started.elapsed();
    target.refused(
        "100,000 recipients",
        SHARED,
        code,
        422,
        &bob.0,
        "lists 100000 entries in `to`",
    );
    assert!(
        took < Duration::from_secs(10),
        "100,000 recipients took {took:?}"
    );
    // One mention over `limits.max_inbox_recipients` in the post's tags: refused too.
    let most = eng.ctx.settings.limits.max_inbox_recipients;
    let mut mentions = crowd.clone();
    mentions["to"] = json!([PUBLIC]);
    mentions["object"]["tag"] = Value::Array(
        (0..=most)
            .map(|n| json!({"type": "Mention", "href": format!("{}/users/u{n}", target.base)}))
            .collect(),
    );
    let code = target.deliver(ALICES, &mentions, &bob).await;
    let why = format!("lists {} entries in `object.tag`", most + 1);
    target.refused("too many mentions", ALICES, code, 422, &bob.0, &why);
    target.still_serving().await;

    // mallory's department is not one eng federates with (403): refused on the actor's
    // domain before the signature is checked or mallory fetched; no account of hr is made.
    let from_hr = like(&format!("{}/likes/1", mallory.0), &mallory.0, &post_url);
    let code = target.deliver(SHARED, &from_hr, &mallory).await;
    let why = format!("Federation with `{hr_domain}` is not allowed");
    target.refused("non-allowlisted actor", SHARED, code, 403, &mallory.0, &why);
    assert_eq!(
        count_accounts_on(&eng, &hr_domain),
        0,
        "an account of a department eng does not federate with was stored"
    );

    // A post whose id is on another department than its author's (403): on hr's, or on eng's
    // own (a forged local post). Checked by `ApubNote::verify` before anything is stored.
    for (n, note_id) in [
        format!("http://{hr_domain}/users/mallory/statuses/1"),
        format!("http://{eng_domain}/users/alice/statuses/1"),
    ]
    .into_iter()
    .enumerate()
    {
        let activity = reply(
            &format!("{}/statuses/forged-{n}/activity", bob.0),
            &bob.0,
            &note_id,
            &bob.0,
            &post_url,
        );
        let path = [SHARED, ALICES][n];
        let code = target.deliver(path, &activity, &bob).await;
        target.refused(
            "object on another domain",
            path,
            code,
            403,
            &bob.0,
            "does not belong to",
        );
    }
    // … or attributed to someone else than the actor (403).
    let activity = reply(
        &format!("{}/statuses/carols/activity", bob.0),
        &bob.0,
        &format!("{}/statuses/carols", carol.0),
        &carol.0,
        &post_url,
    );
    let code = target.deliver(SHARED, &activity, &bob).await;
    target.refused(
        "object of another actor",
        SHARED,
        code,
        403,
        &bob.0,
        "A post can only be sent by its author",
    );

    // An activity whose id is on another department than its actor's (403): one eng
    // federates with (the library compares `Url::domain()`, `localhost` = `localhost`, so
    // this Like used to be counted), hr, or eng itself. The inbox compares host and port.
    for (n, id) in [
        format!("http://localhost:{ghost_port}/likes/1"),
        format!("http://{hr_domain}/likes/1"),
        format!("http://{eng_domain}/likes/1"),
    ]
    .into_iter()
    .enumerate()
    {
        let path = [ALICES, SHARED, ALICES][n];
        let code = target
            .deliver(path, &like(&id, &bob.0, &post_url), &bob)
            .await;
        target.refused(
            "activity id on another domain",
            path,
            code,
            403,
            &bob.0,
            "The activity's id is on another domain than its actor",
        );
    }

    // Through the API too: alice's post has bob's one favourite, no reply, and alice one
    // notification.
    assert_eq!(counts(&eng, &alice, &post).await, (json!(1), json!(0)));
    let (_, notes) = eng.get(Some(&alice), "/api/v1/notifications").await;
    assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
    assert_eq!(notes[0]["type"], "favourite", "{notes}");

    // The inbox still takes what is right: carol's Like, to alice's inbox.
    let code = target
        .deliver(
            ALICES,
            &like(&format!("{}/likes/1", carol.0), &carol.0, &post_url),
            &carol,
        )
        .await;
    assert_eq!(code, 202, "the inbox no longer accepts a genuine activity");
    assert_eq!(counts(&eng, &alice, &post).await, (json!(2), json!(0)));

    // Nothing of a key or a signature reached the log.
    let logged = warn_log().lines_with(&[&eng_domain]);
    assert!(!logged.is_empty());
    for line in &logged {
        assert!(
            !line.contains("PRIVATE KEY") && !line.contains("PUBLIC KEY"),
            "{line}"
        );
        for signature in &target.signatures {
            assert!(
                !line.contains(signature.as_str()),
                "a signature was logged: {line}"
            );
        }
    }
    hr.stop().await;
    sales.stop().await;
    eng.stop().await;
}

on_both_backends!(hostile_inbox_posts_are_refused_and_store_nothing);

fn count_accounts_on(f: &Fixture, domain: &str) -> i64 {
    use diesel::prelude::*;
    use groundswell::db::schema::accounts;
    let mut conn = f.db.connect();
    accounts::table
        .filter(accounts::domain.eq(domain))
        .count()
        .get_result(&mut conn)
        .unwrap()
}
