//! Live streams over server-sent events and WebSocket.
//! <https://docs.joinmastodon.org/methods/streaming/>

use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};

use super::entities::notification::notification_from_view;
use super::entities::status::status_from_view;
use crate::api::auth::{Auth, bearer_token};
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::events::Event;
use crate::service::oauth;
use crate::service::streaming::{self, Delivery, Stream};

/// How often an idle stream says it is alive (and re-checks the token).
const HEARTBEAT: Duration = Duration::from_secs(15);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/streaming/health", web::get().to(health))
        .route("/v1/streaming", web::get().to(websocket))
        .route("/v1/streaming/{kind:.+}", web::get().to(server_sent_events));
}

/// <https://docs.joinmastodon.org/methods/streaming/#health>
async fn health() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("OK")
}

/// An event ready to send: `(event name, payload as a JSON string)`.
fn render(ctx: &AppContext, delivery: &Delivery) -> Option<(&'static str, String)> {
    match delivery {
        Delivery::Update(v) => Some((
            "update",
            serde_json::to_string(&status_from_view(v, &ctx.settings)).ok()?,
        )),
        Delivery::StatusUpdate(v) => Some((
            "status.update",
            serde_json::to_string(&status_from_view(v, &ctx.settings)).ok()?,
        )),
        Delivery::Delete(id) => Some(("delete", id.to_string())),
        Delivery::Notification(n) => Some((
            "notification",
            notification_from_view(n, &ctx.settings).to_string(),
        )),
        Delivery::Announcement(a) => {
            Some(("announcement", super::announcements::entity(a).to_string()))
        }
        Delivery::AnnouncementDelete(id) => Some(("announcement.delete", id.to_string())),
        Delivery::AnnouncementReaction {
            announcement_id,
            name,
            count,
        } => Some((
            "announcement.reaction",
            serde_json::json!({
                "name": name,
                "count": count,
                "announcement_id": announcement_id.to_string(),
            })
            .to_string(),
        )),
        Delivery::Close => None,
    }
}

/// Route one event for one subscriber (on the blocking pool).
async fn route(ctx: &AppContext, me: i64, stream: &Stream, event: &Event) -> Option<Delivery> {
    let (stream, event, caches) = (stream.clone(), event.clone(), ctx.caches.clone());
    match ctx
        .db
        .read(move |conn| streaming::route(conn, &caches.statuses, me, &stream, &event))
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "cannot route a stream event");
            None
        }
    }
}

/// A list stream is only for the list's owner.
async fn check_access(ctx: &AppContext, me: i64, stream: &Stream) -> Result<()> {
    if let Stream::List(id) = stream {
        let id = *id;
        ctx.db
            .read(move |conn| crate::service::lists::find(conn, me, id).map(|_| ()))
            .await?;
    }
    Ok(())
}

/// Whether the token still works (revoked, expired, suspended → the stream ends).
async fn token_alive(ctx: &AppContext, token: &str) -> bool {
    let token = token.to_string();
    matches!(
        ctx.db
            .read(move |conn| oauth::authenticate_bearer(conn, &token))
            .await,
        Ok(Some(_))
    )
}

#[derive(Debug, Deserialize)]
struct StreamQuery {
    tag: Option<String>,
    list: Option<String>,
    stream: Option<String>,
}

/// `GET /api/v1/streaming/user`, `/user/notification`, `/public`, `/public/local`,
/// `/public/remote`, `/hashtag?tag=`, `/hashtag/local?tag=` as server-sent events.
async fn server_sent_events(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    kind: web::Path<String>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse> {
    let name = kind.into_inner().replace('/', ":");
    let stream = Stream::parse_with_list(&name, query.tag.as_deref(), query.list.as_deref())?;
    let me = auth.user_with(stream.scope())?.account.id;
    check_access(&ctx, me, &stream).await?;
    let token = bearer_token(&req).unwrap_or_default();
    let mut events = ctx.events.subscribe();
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let ctx = ctx.into_inner();
    tokio::spawn(async move {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        if tx.send(Bytes::from_static(b":)\n\n")).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                received = events.recv() => {
                    let event = match received {
                        Ok(e) => e,
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(missed = n, "a slow stream missed events");
                            continue;
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    };
                    match route(&ctx, me, &stream, &event).await {
                        Some(Delivery::Close) => return,
                        Some(delivery) => {
                            if let Some((name, payload)) = render(&ctx, &delivery) {
                                let chunk = format!("event: {name}\ndata: {payload}\n\n");
                                if tx.send(Bytes::from(chunk)).await.is_err() {
                                    return;
                                }
                            }
                        }
                        None => {}
                    }
                }
                _ = heartbeat.tick() => {
                    if !token_alive(&ctx, &token).await
                        || tx.send(Bytes::from_static(b":thump\n\n")).await.is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, actix_web::Error>(chunk), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

#[derive(Debug, Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    stream: Option<String>,
    tag: Option<String>,
    #[serde(default, deserialize_with = "crate::api::params::lenient::opt_string")]
    list: Option<String>,
}

/// `GET /api/v1/streaming` upgraded to a WebSocket. The token comes in the `access_token`
/// query parameter, the `Authorization` header or `Sec-WebSocket-Protocol`; clients send
/// `{"type":"subscribe","stream":"…"}` / `unsubscribe`.
async fn websocket(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Payload,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse> {
    let protocol_token = req
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let token = bearer_token(&req)
        .or(protocol_token.clone())
        .ok_or_else(|| Error::new(ErrorKind::Unauthorized, "The access token is invalid"))?;
    let owner = oauth::bearer(&ctx, &token)
        .await?
        .ok_or_else(|| Error::new(ErrorKind::Unauthorized, "The access token is invalid"))?;
    let auth = Auth(owner);
    let me = auth.user_with("read:statuses")?.account.id;
    let mut streams: Vec<Stream> = Vec::new();
    if let Some(name) = query.stream.as_deref() {
        let stream = Stream::parse_with_list(name, query.tag.as_deref(), query.list.as_deref())?;
        check_access(&ctx, me, &stream).await?;
        streams.push(stream);
    }
    let (mut response, mut session, mut messages) =
        actix_ws::handle(&req, body).map_err(|e| Error::bad_request(e.to_string()))?;
    if let Some(protocol) = protocol_token {
        // Browsers require the chosen protocol to be echoed.
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&protocol) {
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("sec-websocket-protocol"),
                value,
            );
        }
    }
    let mut events = ctx.events.subscribe();
    let ctx = ctx.into_inner();
    actix_web::rt::spawn(async move {
        use futures_util::StreamExt;
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        loop {
            tokio::select! {
                message = messages.next() => {
                    let Some(Ok(message)) = message else { break };
                    match message {
                        actix_ws::Message::Text(text) => {
                            let Ok(msg) = serde_json::from_str::<ClientMessage>(&text) else {
                                let _ = session.text(json!({"error": "Invalid message"}).to_string()).await;
                                continue;
                            };
                            let parsed = msg.stream.as_deref().map(|s| Stream::parse_with_list(s, msg.tag.as_deref(), msg.list.as_deref()));
                            match (msg.kind.as_str(), parsed) {
                                ("subscribe", Some(Ok(stream))) => {
                                    if auth.require(stream.scope()).is_err() {
                                        let _ = session.text(json!({"error": "This action is outside the authorized scopes", "status": 403}).to_string()).await;
                                    } else if check_access(&ctx, me, &stream).await.is_err() {
                                        let _ = session.text(json!({"error": "Record not found", "status": 404}).to_string()).await;
                                    } else if !streams.contains(&stream) {
                                        streams.push(stream);
                                    }
                                }
                                ("unsubscribe", Some(Ok(stream))) => streams.retain(|s| *s != stream),
                                (_, Some(Err(e))) => {
                                    let _ = session.text(json!({"error": e.message(), "status": 400}).to_string()).await;
                                }
                                _ => {
                                    let _ = session.text(json!({"error": "Unknown message type", "status": 400}).to_string()).await;
                                }
                            }
                        }
                        actix_ws::Message::Ping(bytes) => {
                            let answered = session.pong(&bytes).await;
                            if answered.is_err() { break; }
                        }
                        actix_ws::Message::Close(_) => break,
                        _ => {}
                    }
                }
                received = events.recv() => {
                    let event = match received {
                        Ok(e) => e,
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => break,
                    };
                    let mut closed = false;
                    for stream in streams.clone() {
                        match route(&ctx, me, &stream, &event).await {
                            Some(Delivery::Close) => { closed = true; break; }
                            Some(delivery) => {
                                if let Some((name, payload)) = render(&ctx, &delivery) {
                                    let frame = json!({"stream": stream.wire_name(), "event": name, "payload": payload});
                                    if session.text(frame.to_string()).await.is_err() { closed = true; break; }
                                }
                            }
                            None => {}
                        }
                    }
                    if closed { break; }
                }
                _ = heartbeat.tick() => {
                    if !token_alive(&ctx, &token).await || session.ping(b"").await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = session.close(None).await;
    });
    Ok(response)
}
