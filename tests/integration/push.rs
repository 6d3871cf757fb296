//! Web Push: apps subscribe an access token (`/api/v1/push/subscription`), and the
//! notifications they ask for reach a real push receiver on 127.0.0.1, encrypted for the app
//! (RFC 8291 `aes128gcm`, or the older `aesgcm` without `standard`) and signed with the
//! department's VAPID key. The receiver here decrypts with the app's private key, as an app
//! does.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::common::*;
use crate::federation::eventually;
use crate::on_both_backends;

/// What an app keeps to read its pushes: its key pair and auth secret.
struct AppKeys {
    components: ece::EcKeyComponents,
    p256dh: String,
    auth: [u8; 16],
}

impl AppKeys {
    fn new() -> AppKeys {
        let (pair, auth) = ece::generate_keypair_and_auth_secret().unwrap();
        AppKeys {
            p256dh: URL_SAFE_NO_PAD.encode(pair.pub_as_raw().unwrap()),
            components: pair.raw_components().unwrap(),
            auth,
        }
    }

    fn auth_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.auth)
    }

    /// Decrypt a push as the app does: `aes128gcm` (RFC 8291), or `aesgcm` with the salt and
    /// the sender's key in the `Encryption` and `Crypto-Key` headers.
    fn decrypt(&self, push: &Received) -> Value {
        let plain = match push.header("content-encoding").as_str() {
            "aes128gcm" => ece::decrypt(&self.components, &self.auth, &push.body).unwrap(),
            "aesgcm" => {
                let salt = push.header("encryption");
                let salt = salt.strip_prefix("salt=").expect("salt=");
                let keys = push.header("crypto-key");
                let dh = keys
                    .split(';')
                    .find_map(|p| p.trim().strip_prefix("dh="))
                    .expect("dh=");
                let block = ece::legacy::AesGcmEncryptedBlock::new(
                    &URL_SAFE_NO_PAD.decode(dh).unwrap(),
                    &URL_SAFE_NO_PAD.decode(salt).unwrap(),
                    4096,
                    push.body.clone(),
                )
                .unwrap();
                ece::legacy::decrypt_aesgcm(&self.components, &self.auth, &block).unwrap()
            }
            other => panic!("unknown content encoding {other:?}"),
        };
        serde_json::from_slice(&plain).unwrap()
    }
}

/// One push as the receiver got it.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The VAPID JWT's claims and the key it names (`Authorization: vapid t=…, k=…`).
    fn vapid(&self) -> (Value, String) {
        let auth = self.header("authorization");
        let rest = auth.strip_prefix("vapid ").expect("vapid authorization");
        let mut t = "";
        let mut k = "";
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("t=") {
                t = v;
            } else if let Some(v) = part.strip_prefix("k=") {
                k = v;
            }
        }
        let claims = t.split('.').nth(1).expect("a JWT");
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        (claims, k.to_string())
    }
}

/// A push service on 127.0.0.1: keeps what it is sent and answers with `status`.
#[derive(Clone)]
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<std::sync::atomic::AtomicU16>,
}

async fn receive(req: HttpRequest, body: web::Bytes, r: web::Data<Receiver>) -> HttpResponse {
    r.got.lock().unwrap().push(Received {
        path: req.path().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.to_vec(),
    });
    let status = r.status.load(std::sync::atomic::Ordering::SeqCst);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Receiver {
    fn start() -> Receiver {
        let listener = reserve_port().into_listener();
        let port = listener.local_addr().unwrap().port();
        let receiver = Receiver {
            base: format!("http://127.0.0.1:{port}"),
            got: Arc::default(),
            status: Arc::new(std::sync::atomic::AtomicU16::new(201)),
        };
        let data = web::Data::new(receiver.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        receiver
    }

    fn endpoint(&self, device: &str) -> String {
        format!("{}/push/{device}", self.base)
    }

    fn pushes_to(&self, device: &str) -> Vec<Received> {
        let path = format!("/push/{device}");
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    async fn wait_for(&self, device: &str, n: usize) -> Vec<Received> {
        eventually(&format!("{n} pushes to {device}"), || async {
            let got = self.pushes_to(device);
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

fn push_settings(s: &mut groundswell::config::Settings) {
    s.push.allow_http_endpoints = true;
    s.push.allow_private_endpoints = true;
}

async fn subscribe(f: &Fixture, user: &TestUser, body: Value) -> (u16, Value) {
    f.post(user, "/api/v1/push/subscription", body).await
}

async fn send(
    f: &Fixture,
    user: &TestUser,
    method: reqwest::Method,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = f
        .client
        .request(method, f.url("/api/v1/push/subscription"))
        .bearer_auth(&user.token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The subscription endpoints: create, read, change, replace, delete; the scope; what is
/// refused and why; the entity's shape; the server key everywhere Mastodon shows it.
async fn push_subscriptions(db: TestDb) {
    let f = Fixture::start_with(db, |s| s.push.allow_http_endpoints = true).await;
    let bob = f.user_with_scopes("bob", "read write follow push").await;
    let keys = AppKeys::new();

    // Nothing yet: 404 with Mastodon's error body.
    let (code, body) = f.get(Some(&bob), "/api/v1/push/subscription").await;
    assert_eq!(code, 404, "{body}");
    assert!(body["error"].is_string(), "{body}");

    let (code, made) = subscribe(
        &f,
        &bob,
        json!({
            "subscription": {
                "endpoint": "https://push.example.net/send/abc",
                "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64()},
                "standard": true
            },
            "data": {"alerts": {"mention": true, "favourite": "true", "reblog": false, "admin.report": "1", "bogus": true}, "policy": "followed"}
        }),
    )
    .await;
    assert_eq!(code, 200, "{made}");
    insta::assert_json_snapshot!(
        "web_push_subscription",
        crate::snapshots::normalise(&made, &f.base)
    );
    assert_eq!(made["alerts"]["mention"], true);
    assert_eq!(made["alerts"]["favourite"], true);
    assert_eq!(made["alerts"]["reblog"], false);
    assert_eq!(made["alerts"]["admin.report"], true);
    assert!(made["alerts"].get("bogus").is_none());
    assert_eq!(made["policy"], "followed");
    assert_eq!(made["standard"], true);

    // The server key is the VAPID key the instance and apps show, a P-256 point.
    let server_key = made["server_key"].as_str().unwrap().to_string();
    assert_eq!(URL_SAFE_NO_PAD.decode(&server_key).unwrap().len(), 65);
    let (_, instance) = f.get(None, "/api/v2/instance").await;
    assert_eq!(
        instance["configuration"]["vapid"]["public_key"],
        server_key.as_str()
    );
    let (_, app) = f
        .post(
            &bob,
            "/api/v1/apps",
            json!({"client_name": "Pusher", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}),
        )
        .await;
    assert_eq!(app["vapid_key"], server_key.as_str());

    let (code, got) = f.get(Some(&bob), "/api/v1/push/subscription").await;
    assert_eq!(code, 200);
    assert_eq!(got, made);

    // PUT replaces what is asked for: types not named are no longer pushed.
    let (code, changed) = send(
        &f,
        &bob,
        reqwest::Method::PUT,
        Some(json!({"data": {"alerts": {"follow": true}, "policy": "none"}})),
    )
    .await;
    assert_eq!(code, 200, "{changed}");
    assert_eq!(changed["id"], made["id"]);
    assert_eq!(changed["alerts"]["follow"], true);
    assert_eq!(changed["alerts"]["mention"], false);
    assert_eq!(changed["policy"], "none");

    // A second POST replaces the subscription; the form with Rails-style keys, and keys in
    // standard base64 with padding (as Mastodon.py sends them), work too.
    let form = [
        (
            "subscription[endpoint]",
            "https://push.example.net/send/def".to_string(),
        ),
        (
            "subscription[keys][p256dh]",
            STANDARD.encode(URL_SAFE_NO_PAD.decode(&keys.p256dh).unwrap()),
        ),
        ("subscription[keys][auth]", STANDARD.encode(keys.auth)),
        ("data[alerts][admin.sign_up]", "true".to_string()),
        ("data[alerts][poll]", "1".to_string()),
        ("policy", "follower".to_string()),
    ];
    let resp = f
        .client
        .post(f.url("/api/v1/push/subscription"))
        .bearer_auth(&bob.token)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let replaced: Value = resp.json().await.unwrap();
    assert_ne!(replaced["id"], made["id"]);
    assert_eq!(replaced["endpoint"], "https://push.example.net/send/def");
    assert_eq!(replaced["standard"], false);
    assert_eq!(replaced["alerts"]["admin.sign_up"], true);
    assert_eq!(replaced["alerts"]["poll"], true);
    assert_eq!(replaced["alerts"]["mention"], false);
    assert_eq!(replaced["policy"], "follower");
    let (_, got) = f.get(Some(&bob), "/api/v1/push/subscription").await;
    assert_eq!(got["id"], replaced["id"]);

    // Another token of the same employee has its own subscription (none yet).
    let other = f.user_with_scopes("carol", "push").await;
    let (code, _) = f.get(Some(&other), "/api/v1/push/subscription").await;
    assert_eq!(code, 404);

    // Refused, with the reason.
    let good_keys = json!({"p256dh": keys.p256dh, "auth": keys.auth_b64()});
    for (subscription, why) in [
        (
            json!({"endpoint": "not a url", "keys": good_keys}),
            "Endpoint",
        ),
        (
            json!({"endpoint": "ftp://push.example.net/x", "keys": good_keys}),
            "https",
        ),
        (
            json!({"endpoint": "https://user:secret@push.example.net/x", "keys": good_keys}),
            "credentials",
        ),
        (
            json!({"endpoint": "https://127.0.0.1/x", "keys": good_keys}),
            "public",
        ),
        (json!({"keys": good_keys}), "blank"),
        (
            json!({"endpoint": "https://push.example.net/x", "keys": {"p256dh": URL_SAFE_NO_PAD.encode([4u8; 65]), "auth": keys.auth_b64()}}),
            "p256dh",
        ),
        (
            json!({"endpoint": "https://push.example.net/x", "keys": {"p256dh": keys.p256dh, "auth": URL_SAFE_NO_PAD.encode([1u8; 8])}}),
            "auth",
        ),
        (json!({"endpoint": "https://push.example.net/x"}), "p256dh"),
    ] {
        let (code, body) = subscribe(&f, &bob, json!({"subscription": subscription})).await;
        assert_eq!(code, 422, "{subscription}: {body}");
        let error = body["error"].as_str().unwrap();
        assert!(error.contains(why), "{subscription}: {error}");
    }
    let (code, body) = subscribe(
        &f,
        &bob,
        json!({"subscription": {"endpoint": "https://push.example.net/x", "keys": good_keys}, "data": {"policy": "friends"}}),
    )
    .await;
    assert_eq!(code, 422);
    assert!(body["error"].as_str().unwrap().contains("Policy"), "{body}");
    // A refused POST leaves the subscription as it was.
    let (_, got) = f.get(Some(&bob), "/api/v1/push/subscription").await;
    assert_eq!(got["id"], replaced["id"]);

    // The `push` scope is needed for every method.
    let no_push = f.user("dave").await;
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let (code, _) = send(&f, &no_push, method.clone(), Some(json!({}))).await;
        assert_eq!(code, 403, "{method}");
    }
    let (code, _) = subscribe(
        &f,
        &no_push,
        json!({"subscription": {"endpoint": "https://push.example.net/x", "keys": good_keys}}),
    )
    .await;
    assert_eq!(code, 403);
    let (code, _) = f.get(None, "/api/v1/push/subscription").await;
    assert_eq!(code, 401);

    // DELETE removes it; PUT then has nothing to change.
    let (code, body) = send(&f, &bob, reqwest::Method::DELETE, None).await;
    assert_eq!((code, body), (200, json!({})));
    let (code, _) = f.get(Some(&bob), "/api/v1/push/subscription").await;
    assert_eq!(code, 404);
    let (code, _) = send(
        &f,
        &bob,
        reqwest::Method::PUT,
        Some(json!({"data": {"alerts": {"follow": true}}})),
    )
    .await;
    assert_eq!(code, 404);

    // Revoking a token (signing out everywhere, a suspension) ends its subscription at once,
    // with the copy of the token it kept.
    let (code, _) = subscribe(
        &f,
        &bob,
        json!({"subscription": {"endpoint": "https://push.example.net/x", "keys": good_keys}}),
    )
    .await;
    assert_eq!(code, 200);
    let count = |f: &Fixture| {
        let db = f.ctx.db.clone();
        async move {
            db.read(|conn| {
                use diesel::prelude::*;
                use groundswell::db::schema::push_subscriptions;
                Ok(push_subscriptions::table.count().get_result::<i64>(conn)?)
            })
            .await
            .unwrap()
        }
    };
    assert_eq!(count(&f).await, 1);
    f.ctx
        .db
        .write(|conn| {
            let user = groundswell::service::users::find_local_user(conn, "bob")?;
            groundswell::service::users::revoke_all_tokens(conn, user.user.id)
        })
        .await
        .unwrap();
    assert_eq!(count(&f).await, 0);
    f.stop().await;
}

on_both_backends!(push_subscriptions);

async fn notification_ids(f: &Fixture, user: &TestUser) -> Vec<(String, String)> {
    let (_, list) = f.get(Some(user), "/api/v1/notifications").await;
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["id"].as_str().unwrap().to_string(),
                n["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Notifications reach the app: only the types it asked for and from whom its policy lets
/// through, encrypted both ways apps subscribe, signed with the department's VAPID key; a
/// subscription its push service says is gone is removed.
async fn pushes_are_delivered(db: TestDb) {
    let receiver = Receiver::start();
    let f = Fixture::start_with(db, push_settings).await;
    let alice = f.user("alice").await;
    let bob = f.user_with_scopes("bob", "read write follow push").await;
    let carol = f.user_with_scopes("carol", "read write follow push").await;
    let bob_keys = AppKeys::new();
    let carol_keys = AppKeys::new();

    let (code, bob_sub) = subscribe(
        &f,
        &bob,
        json!({
            "subscription": {"endpoint": receiver.endpoint("bob"), "keys": {"p256dh": bob_keys.p256dh, "auth": bob_keys.auth_b64()}, "standard": true},
            "data": {"alerts": {"mention": true, "favourite": true, "follow": true}}
        }),
    )
    .await;
    assert_eq!(code, 200, "{bob_sub}");
    // Carol's app subscribes the way apps did before Mastodon 4.4 (aesgcm), and only wants
    // mentions from people she follows.
    let (code, carol_sub) = subscribe(
        &f,
        &carol,
        json!({
            "subscription": {"endpoint": receiver.endpoint("carol"), "keys": {"p256dh": carol_keys.p256dh, "auth": carol_keys.auth_b64()}},
            "data": {"alerts": {"mention": true}, "policy": "followed"}
        }),
    )
    .await;
    assert_eq!(code, 200, "{carol_sub}");

    // A mention, a boost (not asked for), a favourite.
    f.status(
        &alice,
        json!({"status": "@bob @carol the <b>release</b> is out & ready"}),
    )
    .await;
    let first = receiver.wait_for("bob", 1).await;
    let push = &first[0];
    assert_eq!(push.header("content-encoding"), "aes128gcm");
    assert_eq!(push.header("ttl"), "172800");
    assert_eq!(push.header("urgency"), "normal");
    let (claims, key) = push.vapid();
    assert_eq!(key, bob_sub["server_key"].as_str().unwrap());
    assert_eq!(claims["aud"], receiver.base.as_str());
    assert!(claims["sub"].is_string(), "{claims}");
    assert!(claims["exp"].as_i64().unwrap() > chrono::Utc::now().timestamp());
    let payload = bob_keys.decrypt(push);
    let notes = notification_ids(&f, &bob).await;
    assert_eq!(payload["notification_id"].to_string(), notes[0].0);
    assert_eq!(payload["notification_type"], "mention");
    assert_eq!(payload["title"], "You were mentioned by alice");
    assert_eq!(
        payload["body"],
        "@bob @carol the <b>release</b> is out & ready"
    );
    assert_eq!(payload["access_token"], bob.token.as_str());
    assert_eq!(payload["preferred_locale"], "en");
    assert!(
        payload["icon"].as_str().unwrap().starts_with("http"),
        "{payload}"
    );

    // Bob's own post: Alice boosts it (not asked for), then favourites it.
    let bobs = f.status(&bob, json!({"status": "Thanks, all"})).await;
    let (code, _) = f
        .post(
            &alice,
            &format!("/api/v1/statuses/{bobs}/reblog"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let (code, _) = f
        .post(
            &alice,
            &format!("/api/v1/statuses/{bobs}/favourite"),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let two = receiver.wait_for("bob", 2).await;
    let payload = bob_keys.decrypt(&two[1]);
    assert_eq!(payload["notification_type"], "favourite");
    assert_eq!(payload["title"], "alice favorited your post");
    assert_eq!(payload["body"], "Thanks, all");
    // Bob's notifications: favourite, reblog, mention; the boost was not pushed.
    let notes = notification_ids(&f, &bob).await;
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert_eq!(payload["notification_id"].to_string(), notes[0].0);

    // Carol does not follow Alice: her mention was not pushed. Once she follows Dave, his
    // mention is (decrypted the older way).
    let dave = f.user("dave").await;
    let (code, _) = f
        .post(
            &carol,
            &format!("/api/v1/accounts/{}/follow", dave.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    f.status(&dave, json!({"status": "@carol lunch?"})).await;
    let carol_pushes = receiver.wait_for("carol", 1).await;
    assert_eq!(carol_pushes.len(), 1);
    let push = &carol_pushes[0];
    assert_eq!(push.header("content-encoding"), "aesgcm");
    assert!(push.header("crypto-key").contains("p256ecdsa="), "{push:?}");
    let payload = carol_keys.decrypt(push);
    assert_eq!(payload["notification_type"], "mention");
    assert_eq!(payload["title"], "You were mentioned by dave");
    assert_eq!(payload["body"], "@carol lunch?");

    // Bob's push service says his subscription is gone: it is removed, and nothing more is
    // queued for it.
    receiver
        .status
        .store(410, std::sync::atomic::Ordering::SeqCst);
    let (code, _) = f
        .post(
            &dave,
            &format!("/api/v1/accounts/{}/follow", bob.id),
            json!({}),
        )
        .await;
    assert_eq!(code, 200);
    receiver.wait_for("bob", 3).await;
    eventually("bob's subscription to be removed", || async {
        let (code, _) = f.get(Some(&bob), "/api/v1/push/subscription").await;
        (code == 404).then_some(())
    })
    .await;
    let mut conn = f.db.connect();
    use diesel::prelude::*;
    let queued: i64 = groundswell::db::schema::push_deliveries::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(queued, 0);
    f.stop().await;
}

on_both_backends!(pushes_are_delivered);

/// Two app nodes on one PostgreSQL: each push is sent once.
#[actix_web::test]
async fn pushes_are_sent_once_by_two_nodes() {
    scenario(async {
        let receiver = Receiver::start();
        let f = Fixture::start_with(TestDb::postgres(), push_settings).await;
        let mut settings = (*f.ctx.settings).clone();
        settings.http.bind = "127.0.0.1:0".parse().unwrap();
        let (_second, _ctx2) = start_server(settings).await;
        let alice = f.user("alice").await;
        let bob = f.user_with_scopes("bob", "read write follow push").await;
        let keys = AppKeys::new();
        let (code, body) = subscribe(
            &f,
            &bob,
            json!({
                "subscription": {"endpoint": receiver.endpoint("bob"), "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64()}, "standard": true},
                "data": {"alerts": {"mention": true}}
            }),
        )
        .await;
        assert_eq!(code, 200, "{body}");
        for n in 0..12 {
            f.status(&alice, json!({"status": format!("@bob number {n}")}))
                .await;
        }
        receiver.wait_for("bob", 12).await;
        // Time for a second copy to arrive, if one were sent.
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        let pushes = receiver.pushes_to("bob");
        let mut ids: Vec<String> = pushes
            .iter()
            .map(|p| keys.decrypt(p)["notification_id"].to_string())
            .collect();
        ids.sort();
        let mut expected: Vec<String> = notification_ids(&f, &bob)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        expected.sort();
        assert_eq!(ids, expected, "each notification pushed exactly once");
        f.stop().await;
    })
    .await
}
