//! Live streams: server-sent events and WebSocket, on one node and across app nodes.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_backends;

/// Reads `event:`/`data:` pairs from a server-sent-events response.
struct SseReader {
    body: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = reqwest::Result<actix_web::web::Bytes>> + Send>,
    >,
    buffer: String,
}

impl SseReader {
    async fn open(f: &Fixture, base: &str, user: &TestUser, path: &str) -> SseReader {
        let resp = f
            .client
            .get(format!("{base}{path}"))
            .bearer_auth(&user.token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(resp.headers()["content-type"], "text/event-stream");
        let mut reader = SseReader {
            body: Box::pin(resp.bytes_stream()),
            buffer: String::new(),
        };
        // The stream greets with a comment once it is subscribed.
        reader.next_block().await;
        reader
    }

    async fn next_block(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block = self.buffer[..end].to_string();
                self.buffer.drain(..end + 2);
                return Some(block);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .ok()??
                .ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event (skipping heartbeats): `(name, data)`.
    async fn next_event(&mut self) -> (String, String) {
        loop {
            let block = self
                .next_block()
                .await
                .expect("an event before the timeout");
            if block.starts_with(':') {
                continue;
            }
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = v.to_string();
                }
            }
            return (name, data);
        }
    }
}

async fn server_sent_events(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        json!({}),
    )
    .await;

    let mut home = SseReader::open(&f, &f.base, &alice, "/api/v1/streaming/user").await;
    let mut tag =
        SseReader::open(&f, &f.base, &alice, "/api/v1/streaming/hashtag?tag=Launch").await;
    let mut notes = SseReader::open(&f, &f.base, &bob, "/api/v1/streaming/user/notification").await;

    let private = f
        .status(
            &bob,
            json!({"status": "followers only", "visibility": "private"}),
        )
        .await;
    let (name, data) = home.next_event().await;
    assert_eq!(name, "update");
    let status: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(status["id"], private.as_str());
    assert_eq!(status["account"]["acct"], "bob");

    let public = f
        .status(&bob, json!({"status": "We ship today #launch"}))
        .await;
    let (name, data) = home.next_event().await;
    assert_eq!(
        (
            name.as_str(),
            serde_json::from_str::<Value>(&data).unwrap()["id"].clone()
        ),
        ("update", json!(public))
    );
    let (name, data) = tag.next_event().await;
    assert_eq!(
        name, "update",
        "the private post never reached the hashtag stream"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        public.as_str()
    );

    // Favourites reach the author's notification stream.
    f.post(
        &alice,
        &format!("/api/v1/statuses/{public}/favourite"),
        json!({}),
    )
    .await;
    let (name, data) = notes.next_event().await;
    assert_eq!(name, "notification");
    let n: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(
        (n["type"].as_str(), n["account"]["acct"].as_str()),
        (Some("favourite"), Some("alice"))
    );
    assert_eq!(n["status"]["id"], public.as_str());

    // Edits and deletes.
    f.client
        .put(f.url(&format!("/api/v1/statuses/{public}")))
        .bearer_auth(&bob.token)
        .json(&json!({"status": "We ship tomorrow #launch"}))
        .send()
        .await
        .unwrap();
    let (name, data) = home.next_event().await;
    assert_eq!(name, "status.update");
    assert!(data.contains("tomorrow"));
    f.client
        .delete(f.url(&format!("/api/v1/statuses/{public}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    let (name, data) = home.next_event().await;
    assert_eq!((name.as_str(), data.as_str()), ("delete", public.as_str()));

    // Scopes and bad requests.
    let writer = f.user_with_scopes("wanda", "write").await;
    let resp = f
        .client
        .get(f.url("/api/v1/streaming/user"))
        .bearer_auth(&writer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = f
        .client
        .get(f.url("/api/v1/streaming/hashtag"))
        .bearer_auth(&alice.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = f
        .client
        .get(f.url("/api/v1/streaming/user"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = f
        .client
        .get(f.url("/api/v1/streaming/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "OK");
    f.stop().await;
}

async fn websocket(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let ws_url = format!(
        "{}/api/v1/streaming?stream=public:local",
        f.base.replace("http://", "ws://")
    );
    // The token in Sec-WebSocket-Protocol, as browsers send it.
    let (resp, mut socket) = awc::Client::new()
        .ws(ws_url)
        .protocols([alice.token.as_str()])
        .connect()
        .await
        .unwrap();
    assert_eq!(resp.status(), 101);
    assert_eq!(
        resp.headers().get("sec-websocket-protocol").unwrap(),
        alice.token.as_str()
    );
    use futures_util::SinkExt;
    socket
        .send(awc::ws::Message::Text(
            json!({"type": "subscribe", "stream": "hashtag", "tag": "Rust"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let id = f.status(&bob, json!({"status": "Learning #Rust"})).await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let awc::ws::Frame::Text(text) = frame {
            let msg: Value = serde_json::from_slice(&text).unwrap();
            assert_eq!(msg["event"], "update");
            let payload: Value = serde_json::from_str(msg["payload"].as_str().unwrap()).unwrap();
            assert_eq!(payload["id"], id.as_str());
            got.push(msg["stream"].clone());
        }
    }
    got.sort_by_key(|s| s.to_string());
    assert_eq!(
        got,
        vec![json!(["hashtag", "Rust"]), json!(["public:local"])],
        "the tag comes back as sent"
    );

    // Unknown streams get an error message; the connection stays open.
    socket
        .send(awc::ws::Message::Text(
            json!({"type": "subscribe", "stream": "nope"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let awc::ws::Frame::Text(text) = frame else {
        panic!("expected text")
    };
    assert!(String::from_utf8_lossy(&text).contains("Unknown stream type"));

    // A bad token is refused before upgrading.
    let err = awc::Client::new()
        .ws(format!(
            "{}/api/v1/streaming?stream=user&access_token=nope",
            f.base.replace("http://", "ws://")
        ))
        .connect()
        .await;
    assert!(err.is_err());
    f.stop().await;
}

async fn list_streams_and_hide_filters(db: TestDb) {
    let f = Fixture::start(db).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let carol = f.user("carol").await;
    for who in [&bob, &carol] {
        f.post(
            &alice,
            &format!("/api/v1/accounts/{}/follow", who.id),
            json!({}),
        )
        .await;
    }
    let (code, list) = f
        .post(&alice, "/api/v1/lists", json!({"title": "Platform team"}))
        .await;
    assert_eq!(code, 200, "{list}");
    let list_id = list["id"].as_str().unwrap().to_string();
    let (code, body) = f
        .post(
            &alice,
            &format!("/api/v1/lists/{list_id}/accounts"),
            json!({"account_ids": [bob.id]}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, filter) = f
        .post(&alice, "/api/v2/filters", json!({"title": "No spoilers", "context": ["home"], "filter_action": "hide", "keywords_attributes": [{"keyword": "spoiler"}]}))
        .await;
    assert_eq!(code, 200, "{filter}");

    let mut list_stream = SseReader::open(
        &f,
        &f.base,
        &alice,
        &format!("/api/v1/streaming/list?list={list_id}"),
    )
    .await;
    let mut home = SseReader::open(&f, &f.base, &alice, "/api/v1/streaming/user").await;

    f.status(&carol, json!({"status": "carol is not on the list"}))
        .await;
    f.status(&bob, json!({"status": "a spoiler for the finale"}))
        .await;
    let on_list = f
        .status(&bob, json!({"status": "bob is on the list"}))
        .await;
    let (name, data) = list_stream.next_event().await;
    assert_eq!(name, "update");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        on_list.as_str(),
        "only list members, and hidden keywords never arrive"
    );
    let (_, first) = home.next_event().await;
    assert!(first.contains("carol is not on the list"), "{first}");
    let (_, second) = home.next_event().await;
    assert!(
        second.contains("bob is on the list"),
        "the hidden post was skipped: {second}"
    );

    // Someone else's list cannot be streamed.
    let resp = f
        .client
        .get(f.url(&format!("/api/v1/streaming/list?list={list_id}")))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    f.stop().await;
}

/// An administrator's announcement reaches every employee's open app at once, as do
/// reactions to it and its withdrawal (Mastodon's `announcement` events on the user stream).
async fn announcements_are_streamed(db: TestDb) {
    use groundswell::service::users::Role;
    let f = Fixture::start(db).await;
    let admin = crate::policy::staff(&f, "admin", Role::Admin).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    let mut stream = SseReader::open(&f, &f.base, &alice, "/api/v1/streaming/user").await;

    let (code, made) = f
        .post(
            &admin,
            "/api/v1/groundswell/admin/announcements",
            json!({"text": "**Town hall** on Friday"}),
        )
        .await;
    assert_eq!(code, 200, "{made}");
    let id = made["id"].as_str().unwrap().to_string();
    let (name, data) = stream.next_event().await;
    assert_eq!(name, "announcement");
    let shown: Value = serde_json::from_str(&data).unwrap();
    assert_eq!(shown["id"], id.as_str());
    assert!(
        shown["content"]
            .as_str()
            .unwrap()
            .contains("<strong>Town hall</strong>"),
        "{shown}"
    );
    assert_eq!(shown["read"], false);

    let resp = f
        .client
        .put(f.url(&format!(
            "/api/v1/announcements/{id}/reactions/%F0%9F%8E%89"
        )))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (name, data) = stream.next_event().await;
    assert_eq!(name, "announcement.reaction");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap(),
        json!({"name": "🎉", "count": 1, "announcement_id": id})
    );

    let resp = f
        .client
        .delete(f.url(&format!("/api/v1/groundswell/admin/announcements/{id}")))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (name, data) = stream.next_event().await;
    assert_eq!(
        (name.as_str(), data.as_str()),
        ("announcement.delete", id.as_str())
    );
    f.stop().await;
}

on_both_backends!(
    server_sent_events,
    websocket,
    list_streams_and_hide_filters,
    announcements_are_streamed
);

/// Two app nodes on one PostgreSQL database: a post on one reaches a stream on the other
/// (LISTEN/NOTIFY), and suspending the employee closes their stream.
#[actix_web::test]
async fn streams_work_across_app_nodes() {
    crate::common::scenario(streams_work_across_app_nodes_body()).await
}

async fn streams_work_across_app_nodes_body() {
    let f = Fixture::start(TestDb::postgres()).await;
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    f.post(
        &alice,
        &format!("/api/v1/accounts/{}/follow", bob.id),
        json!({}),
    )
    .await;

    let mut settings = (*f.ctx.settings).clone();
    settings.http.bind = "127.0.0.1:0".parse().unwrap();
    let (second, ctx2) = start_server(settings).await;
    let second_base = format!("http://{}", second.addr);
    let mut stream = SseReader::open(&f, &second_base, &alice, "/api/v1/streaming/user").await;

    let id = f
        .status(&bob, json!({"status": "posted on node one"}))
        .await;
    let (name, data) = stream.next_event().await;
    assert_eq!(name, "update");
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap()["id"],
        id.as_str()
    );

    assert_ok(&run_cli(&f.db, &["admin", "suspend", "alice"]));
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.next_block().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the suspended employee's stream was closed");
    ctx2.events.shutdown();
    second.handle.stop(true).await;
    f.stop().await;
}
