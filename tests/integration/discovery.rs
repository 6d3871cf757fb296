//! How other servers and apps find a department's accounts: WebFinger, host-meta, NodeInfo;
//! the WebFinger round trip strict peers (GoToSocial, Mastodon) make of every actor; what a
//! peer that fails or answers HTML leads to.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use url::Url;

use crate::common::*;
use crate::on_both_backends;

async fn webfinger_host_meta_and_nodeinfo(db: TestDb) {
    let f = Fixture::start_with(db, |s| s.metrics.min_group_size = 2).await;
    let alice = f.user("alice").await;
    f.user("bob").await;
    f.status(&alice, json!({"status": "hello"})).await;
    let domain = f.base.trim_start_matches("http://").to_string();

    let resp = f
        .client
        .get(f.url(&format!(
            "/.well-known/webfinger?resource=acct:alice@{domain}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/jrd+json")
    );
    let jrd: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(jrd["subject"], format!("acct:alice@{domain}"));
    let actor = format!("{}/users/alice", f.base);
    let self_link = jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "self")
        .unwrap();
    assert_eq!(self_link["href"], actor.as_str());
    assert_eq!(self_link["type"], "application/activity+json");

    // The actor URL works as a resource too; other domains and unknown people do not.
    let (code, by_url) = f
        .get(None, &format!("/.well-known/webfinger?resource={actor}"))
        .await;
    assert_eq!(
        (code, by_url["subject"].clone()),
        (200, jrd["subject"].clone())
    );
    for resource in [
        "acct:alice@sales.corp.example".to_string(),
        format!("acct:nobody@{domain}"),
        "https://elsewhere.example/users/alice".to_string(),
    ] {
        let (code, _) = f
            .get(None, &format!("/.well-known/webfinger?resource={resource}"))
            .await;
        assert_eq!(code, 404, "{resource}");
    }
    let (code, body) = f.get(None, "/.well-known/webfinger").await;
    assert_eq!(code, 400, "{body}");

    let resp = f
        .client
        .get(f.url("/.well-known/host-meta"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/xrd+xml; charset=utf-8"
    );
    let xml = resp.text().await.unwrap();
    assert!(
        xml.contains(&format!(
            "template=\"{}/.well-known/webfinger?resource={{uri}}\"",
            f.base
        )),
        "{xml}"
    );

    let (_, links) = f.get(None, "/.well-known/nodeinfo").await;
    assert_eq!(links["links"][0]["href"], f.url("/nodeinfo/2.1"));
    let (code, info) = f.get(None, "/nodeinfo/2.1").await;
    assert_eq!(code, 200);
    assert_eq!(info["software"]["name"], "groundswell");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    assert_eq!(info["openRegistrations"], false);
    // Two employees, one active: fewer than `metrics.min_group_size` (2) are not counted.
    assert_eq!(info["usage"]["users"], json!({"total": 2}), "{info}");
    assert_eq!(info["usage"]["localPosts"], 1);
    f.stop().await;
}

// ---------------------------------------------------------------------------------------------
// A strict peer
// ---------------------------------------------------------------------------------------------

/// Another server on a loopback port, standing in for a GoToSocial or Mastodon: one actor,
/// `peer`, with a key this test holds, its WebFinger and an inbox; it records the `Signature`
/// header of every signed request it gets. Some names misbehave on purpose: WebFinger of `broken` answers
/// 500 with an HTML page, `html`'s actor URL answers 200 with HTML, `/users/down` answers 503.
struct Peer {
    domain: String,
    base: String,
    keys: activitypub_federation::http_signatures::Keypair,
    signatures: Arc<Mutex<Vec<String>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Peer {
    async fn start(reserved: Port) -> Peer {
        use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

        let port = reserved.number();
        let domain = format!("localhost:{port}");
        let base = format!("http://{domain}");
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        let signatures = Arc::new(Mutex::new(Vec::new()));
        let person = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": format!("{base}/users/peer"),
            "type": "Person",
            "preferredUsername": "peer",
            "name": "A strict peer",
            "inbox": format!("{base}/users/peer/inbox"),
            "publicKey": {
                "id": format!("{base}/users/peer#main-key"),
                "owner": format!("{base}/users/peer"),
                "publicKeyPem": keys.public_key,
            },
        });
        let answer = {
            let (domain, base, signatures) = (domain.clone(), base.clone(), signatures.clone());
            move |req: HttpRequest| {
                if let Some(sig) = req.headers().get("signature").and_then(|v| v.to_str().ok()) {
                    signatures.lock().unwrap().push(sig.to_string());
                }
                let html = |status: u16, page: &str| {
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .content_type("text/html; charset=utf-8")
                        .body(page.to_string())
                };
                let jrd = |user: &str| {
                    HttpResponse::Ok()
                        .content_type("application/jrd+json")
                        .json(json!({
                            "subject": format!("acct:{user}@{domain}"),
                            "links": [{
                                "rel": "self",
                                "type": "application/activity+json",
                                "href": format!("{base}/users/{user}"),
                            }],
                        }))
                };
                if req.method() == actix_web::http::Method::POST {
                    return HttpResponse::Accepted().finish();
                }
                let resource = req.query_string().strip_prefix("resource=").unwrap_or("");
                match req.path() {
                    "/.well-known/webfinger" if resource == format!("acct:peer@{domain}") => {
                        jrd("peer")
                    }
                    "/.well-known/webfinger" if resource == format!("acct:html@{domain}") => {
                        jrd("html")
                    }
                    "/.well-known/webfinger" if resource == format!("acct:broken@{domain}") => {
                        html(
                            500,
                            "<html><body><h1>Internal Server Error</h1></body></html>",
                        )
                    }
                    "/users/peer" => HttpResponse::Ok()
                        .content_type("application/activity+json")
                        .json(person.clone()),
                    "/users/html" => html(200, "<!doctype html><title>Sign in</title>"),
                    "/users/down" => html(503, "<html><body>Service Unavailable</body></html>"),
                    _ => HttpResponse::NotFound().finish(),
                }
            }
        };
        let server = HttpServer::new(move || {
            let answer = answer.clone();
            App::new().default_service(web::to(move |req: HttpRequest| {
                let answer = answer.clone();
                async move { answer(req) }
            }))
        })
        .workers(1)
        .listen(reserved.into_listener())
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Peer {
            domain,
            base,
            keys,
            signatures,
            handle,
        }
    }

    /// A parameter (`keyId`, `headers`) of each signature the peer received.
    fn signature_params(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}=");
        self.signatures
            .lock()
            .unwrap()
            .iter()
            .filter_map(|sig| {
                let value = sig
                    .split(',')
                    .find_map(|p| p.trim().strip_prefix(&prefix))?;
                Some(value.trim_matches('"').to_string())
            })
            .collect()
    }

    /// The actors whose keys signed what the peer received, by owner (`#main-key` dropped).
    fn signers(&self) -> Vec<String> {
        let mut owners: Vec<String> = self
            .signature_params("keyId")
            .iter()
            .map(|k| k.split('#').next().unwrap().to_string())
            .collect();
        owners.sort();
        owners.dedup();
        owners
    }
}

/// A department on `localhost:PORT` (a domain with a port, as in the issue) that federates
/// with `peer` only.
async fn department_allowing(db: TestDb, peer: &str) -> Fixture {
    let reserved = reserve_port();
    let port = reserved.number();
    let peer = peer.to_string();
    Fixture::start_on(db, reserved, move |s| {
        s.instance.domain =
            groundswell::config::Domain::parse(&format!("localhost:{port}")).unwrap();
        s.federation.allowed_domains = vec![peer];
        s.federation.allow_http = true;
        s.federation.max_retry_interval_secs = 1;
    })
    .await
}

/// Headers of a request signed as Mastodon signs (draft-cavage, rsa-sha256 over
/// `(request-target) host date`, and `digest` when there is a body).
fn signed_headers(
    method: &str,
    url: &Url,
    body: Option<&[u8]>,
    key_id: &str,
    private_key_pem: &str,
) -> Vec<(&'static str, String)> {
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    signed_over(method, url, &target, body, key_id, private_key_pem)
}

/// The same, with `(request-target)` made of `target` (Mastodon signs its GETs over the path
/// without the query).
fn signed_over(
    method: &str,
    url: &Url,
    target: &str,
    body: Option<&[u8]>,
    key_id: &str,
    private_key_pem: &str,
) -> Vec<(&'static str, String)> {
    use base64::Engine;
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let mut headers: std::collections::BTreeMap<String, String> = [
        ("host".to_string(), host),
        ("date".to_string(), date.clone()),
    ]
    .into();
    let mut out = vec![("date", date)];
    if let Some(body) = body {
        let digest = format!("SHA-256={}", b64(&sha2::Sha256::digest(body)));
        headers.insert("digest".into(), digest.clone());
        out.push(("digest", digest));
        out.push(("content-type", "application/activity+json".into()));
    }
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(private_key_pem).unwrap();
    let signature = http_signature_normalization::Config::new()
        .mastodon_compat()
        .begin_sign(method, target, headers)
        .unwrap()
        .sign(key_id.to_string(), |signing_string| {
            let hashed = sha2::Sha256::digest(signing_string.as_bytes());
            key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &hashed)
                .map(|s| b64(&s))
        })
        .unwrap()
        .signature_header();
    out.push(("signature", signature));
    out
}

/// GET `url` as ActivityPub, signed with `key_id`; returns status and body.
async fn signed_get(
    client: &reqwest::Client,
    url: &str,
    key_id: &str,
    private_key_pem: &str,
) -> (u16, String) {
    let url = Url::parse(url).unwrap();
    let mut req = client
        .get(url.as_str())
        .header("Accept", "application/activity+json");
    for (name, value) in signed_headers("GET", &url, None, key_id, private_key_pem) {
        req = req.header(name, value);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// The round trip GoToSocial makes of an actor before it accepts anything it signs: fetch the
/// actor (signed as the peer), make `preferredUsername@host` from its document and its id,
/// WebFinger that, and require the `self` link to be the actor id again. Returns the acct.
async fn round_trip(f: &Fixture, peer: &Peer, actor_id: &str) -> String {
    let (code, body) = signed_get(
        &f.client,
        actor_id,
        &format!("{}/users/peer#main-key", peer.base),
        &peer.keys.private_key,
    )
    .await;
    assert_eq!(code, 200, "fetching {actor_id}: {body}");
    let actor: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(actor["id"], actor_id, "the document's id");
    let user = actor["preferredUsername"].as_str().unwrap();
    let id = Url::parse(actor_id).unwrap();
    let host = format!("{}:{}", id.host_str().unwrap(), id.port().unwrap());
    let acct = format!("acct:{user}@{host}");
    for resource in [acct.clone(), actor_id.to_string()] {
        let mut url = Url::parse(&format!("http://{host}/.well-known/webfinger")).unwrap();
        url.query_pairs_mut().append_pair("resource", &resource);
        let resp = f.client.get(url.as_str()).send().await.unwrap();
        assert_eq!(resp.status(), 200, "WebFinger of {resource}");
        let jrd: Value = resp.json().await.unwrap();
        assert_eq!(jrd["subject"], acct.as_str(), "the subject for {resource}");
        let selves: Vec<&Value> = jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["rel"] == "self")
            .collect();
        assert_eq!(selves.len(), 1, "{jrd}");
        assert_eq!(
            selves[0]["href"], actor_id,
            "WebFinger of {resource} leads back"
        );
        assert_eq!(selves[0]["type"], "application/activity+json");
    }
    acct
}

/// Every actor we sign with (the instance actor for fetches, an employee for deliveries) and
/// every actor we serve maps back to itself through WebFinger, as a strict peer requires; the
/// instance actor's name is kept from employees.
async fn every_actor_we_sign_with_or_serve_round_trips_through_webfinger(db: TestDb) {
    let peer = Peer::start(reserve_port()).await;
    let f = department_allowing(db, &peer.domain).await;
    let domain = f.ctx.settings.instance.domain.as_str().to_string();
    let base = format!("http://{domain}");
    let alice = f.user("alice").await;
    f.user("first.last").await;

    // alice finds the peer (our fetches are signed as the instance actor) and follows it (the
    // Follow is delivered signed as alice).
    let (code, found) = f
        .get(
            Some(&alice),
            &format!(
                "/api/v2/search?q=%40peer%40{}&resolve=true&type=accounts",
                peer.domain
            ),
        )
        .await;
    assert_eq!(code, 200, "{found}");
    let id = found["accounts"][0]["id"].as_str().unwrap().to_string();
    let (code, body) = f
        .post(&alice, &format!("/api/v1/accounts/{id}/follow"), json!({}))
        .await;
    assert_eq!(code, 200, "{body}");
    let alice_id = format!("{base}/users/alice");
    for _ in 0..200 {
        if peer.signers().contains(&alice_id) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let instance_id = format!("{base}/actor");
    assert_eq!(
        peer.signers(),
        vec![instance_id.clone(), alice_id.clone()],
        "who signed what the peer received"
    );
    // Signed as Mastodon requires: it refuses a signed GET whose signature leaves out Host,
    // and Fedify one without a signed Date.
    for headers in peer.signature_params("headers") {
        let signed: Vec<&str> = headers.split(' ').collect();
        for needed in ["(request-target)", "host", "date"] {
            assert!(
                signed.contains(&needed),
                "{needed} is not signed: {headers}"
            );
        }
    }

    // The instance actor: `preferredUsername` is the host, the acct adds the domain (with its
    // port), exactly as Mastodon names its instance actor.
    let acct = round_trip(&f, &peer, &instance_id).await;
    assert_eq!(acct, format!("acct:localhost@{domain}"));
    assert_eq!(
        round_trip(&f, &peer, &alice_id).await,
        format!("acct:alice@{domain}")
    );
    assert_eq!(
        round_trip(&f, &peer, &format!("{base}/users/first.last")).await,
        format!("acct:first.last@{domain}")
    );

    // Mastodon's own spelling, `acct:<domain>@<domain>`, finds the instance actor too.
    let (code, jrd) = f
        .get(
            None,
            &format!("/.well-known/webfinger?resource=acct:{domain}@{domain}"),
        )
        .await;
    assert_eq!(code, 200, "{jrd}");
    assert_eq!(jrd["subject"], acct.as_str());

    // No employee can take the instance actor's name, however the account would be made.
    use groundswell::service::users;
    let prepared = tokio::task::spawn_blocking(|| {
        users::NewLocalUser::prepare(
            users::Username::parse("localhost").unwrap(),
            users::Email::parse("localhost@eng.corp.example").unwrap(),
            None,
            users::Role::User,
            None,
        )
        .unwrap()
    })
    .await
    .unwrap();
    let instance = f.ctx.settings.instance.clone();
    let (refused, offered) = f
        .ctx
        .db
        .write(move |conn| {
            let refused = users::create_local_user(conn, &instance, prepared).map(|_| ());
            let offered = users::free_username(conn, &instance, "localhost")?;
            Ok((refused, offered))
        })
        .await
        .unwrap();
    let refused = refused.unwrap_err();
    assert_eq!(
        refused.kind(),
        groundswell::error::ErrorKind::Conflict,
        "{refused}"
    );
    assert!(refused.message().contains("reserved"), "{refused}");
    assert_eq!(
        offered.as_str(),
        "localhost_2",
        "what a sign-in or SCIM gets"
    );

    peer.handle.stop(true).await;
    f.stop().await;
}

/// A peer that fails (5xx) or answers HTML instead of ActivityPub: a search for its account
/// answers empty, an inbox delivery or a signed fetch whose signer cannot be fetched answers
/// 502 (for the sender to retry), never 422 with the peer's page in it; each failed fetch is
/// logged at WARN with its URL and status.
async fn a_peer_that_fails_or_answers_html_is_reported_not_parsed(db: TestDb) {
    let log = warn_log();
    let peer = Peer::start(reserve_port()).await;
    let f = department_allowing(db, &peer.domain).await;
    let alice = f.user("alice").await;
    let search = |q: String| {
        let (f, alice) = (&f, &alice);
        async move {
            let (code, body) = f
                .get(
                    Some(alice),
                    &format!(
                        "/api/v2/search?q={}&resolve=true",
                        url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
                    ),
                )
                .await;
            assert_eq!(code, 200, "search {q}: {body}");
            assert_eq!(body["accounts"], json!([]), "search {q}");
            assert_eq!(body["statuses"], json!([]), "search {q}");
        }
    };

    // WebFinger answers 500 with an HTML page.
    search(format!("@broken@{}", peer.domain)).await;
    let webfinger = format!(
        "url={}/.well-known/webfinger?resource=acct:broken@{}",
        peer.base, peer.domain
    );
    let lines = log.lines_with(&[" WARN ", &webfinger, "status=500"]);
    assert_eq!(
        lines.len(),
        1,
        "one WARN naming the URL and status: {lines:?}"
    );
    // WebFinger works, the actor URL answers 200 with HTML.
    search(format!("@html@{}", peer.domain)).await;
    let html = format!("url={}/users/html", peer.base);
    let lines = log.lines_with(&[" WARN ", &html, "status=200", "text/html"]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    // The account's URL pasted into search, and the server is down.
    search(format!("{}/users/down", peer.base)).await;
    let down = format!("url={}/users/down", peer.base);
    assert!(
        !log.lines_with(&[" WARN ", &down, "status=503"]).is_empty(),
        "a WARN naming {down} and 503"
    );
    let (code, body) = f
        .get(
            Some(&alice),
            &format!("/api/v1/accounts/lookup?acct=broken@{}", peer.domain),
        )
        .await;
    assert_eq!(code, 404, "{body}");

    // A delivery from the actor whose server is down: we cannot fetch its key, so 502.
    // Addressed by the domain: the signed Host must be this department's.
    let inbox = Url::parse(&format!(
        "http://{}/inbox",
        f.ctx.settings.instance.domain.as_str()
    ))
    .unwrap();
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/1", peer.base),
        "type": "Follow",
        "actor": format!("{}/users/down", peer.base),
        "object": format!("http://{}/users/alice", f.ctx.settings.instance.domain.as_str()),
    });
    let body = serde_json::to_vec(&activity).unwrap();
    let key_id = format!("{}/users/down#main-key", peer.base);
    let mut req = f.client.post(inbox.as_str());
    for (name, value) in
        signed_headers("POST", &inbox, Some(&body), &key_id, &peer.keys.private_key)
    {
        req = req.header(name, value);
    }
    let resp = req.body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 502, "{text}");
    assert!(
        !text.contains('<') && !text.to_lowercase().contains("parse"),
        "{text}"
    );
    assert!(
        text.contains("503"),
        "the answer says what the peer did: {text}"
    );

    // A signed fetch of alice by that actor: the same.
    let (code, text) = signed_get(
        &f.client,
        &format!(
            "http://{}/users/alice",
            f.ctx.settings.instance.domain.as_str()
        ),
        &key_id,
        &peer.keys.private_key,
    )
    .await;
    assert_eq!(code, 502, "{text}");

    peer.handle.stop(true).await;
    f.stop().await;
}

/// A signed GET of a collection page verifies whether the signer put the query into
/// `(request-target)` (the draft, GoToSocial) or not (Mastodon); a wrong path does not.
async fn signed_gets_of_pages_verify_with_or_without_the_query(db: TestDb) {
    let peer = Peer::start(reserve_port()).await;
    let f = department_allowing(db, &peer.domain).await;
    f.user("alice").await;
    let bob = f.user("bob").await;
    // bob finds the peer, so its actor and key are known when it signs.
    let (code, found) = f
        .get(
            Some(&bob),
            &format!(
                "/api/v2/search?q=%40peer%40{}&resolve=true&type=accounts",
                peer.domain
            ),
        )
        .await;
    assert_eq!(
        (code, found["accounts"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let url = Url::parse(&format!(
        "http://{}/users/alice/followers?page=1",
        f.ctx.settings.instance.domain.as_str()
    ))
    .unwrap();
    let key_id = format!("{}/users/peer#main-key", peer.base);
    for (target, expected) in [
        ("/users/alice/followers?page=1", 200),
        ("/users/alice/followers", 200),
        ("/users/alice/following", 401),
    ] {
        let mut req = f
            .client
            .get(url.as_str())
            .header("Accept", "application/activity+json");
        for (name, value) in signed_over("GET", &url, target, None, &key_id, &peer.keys.private_key)
        {
            req = req.header(name, value);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), expected, "signed over {target}");
    }
    peer.handle.stop(true).await;
    f.stop().await;
}

on_both_backends!(
    webfinger_host_meta_and_nodeinfo,
    every_actor_we_sign_with_or_serve_round_trips_through_webfinger,
    signed_gets_of_pages_verify_with_or_without_the_query,
    a_peer_that_fails_or_answers_html_is_reported_not_parsed,
);
