//! Web Push subscriptions. <https://docs.joinmastodon.org/methods/push/>
//!
//! One subscription per access token (a new `POST` replaces it), scope `push`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::{Auth, bearer_token};
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::push::{self, Subscription, Target, Wanted};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/push/subscription", web::post().to(create))
        .route("/v1/push/subscription", web::get().to(show))
        .route("/v1/push/subscription", web::put().to(update))
        .route("/v1/push/subscription", web::delete().to(destroy));
}

/// <https://docs.joinmastodon.org/entities/WebPushSubscription/>
fn entity(s: &Subscription, server_key: &str) -> Value {
    json!({
        "id": s.id.to_string(),
        "endpoint": s.endpoint,
        "standard": s.standard,
        "alerts": s.alerts,
        "policy": s.policy,
        "server_key": server_key,
    })
}

#[derive(Debug, Default, Deserialize)]
struct KeysParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    p256dh: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    auth: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SubscriptionParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    endpoint: Option<String>,
    #[serde(default)]
    keys: Option<KeysParams>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    standard: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct DataParams {
    #[serde(default)]
    alerts: Option<BTreeMap<String, Value>>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    policy: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct PushParams {
    #[serde(default)]
    subscription: Option<SubscriptionParams>,
    #[serde(default)]
    data: Option<DataParams>,
    /// Mastodon reads `data[policy]`; some clients (Mastodon.py) send `policy` beside it.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    policy: Option<String>,
}

impl PushParams {
    fn wanted(&self) -> Wanted {
        let data = self.data.as_ref();
        Wanted {
            alerts: data.and_then(|d| d.alerts.clone()).unwrap_or_default(),
            policy: data
                .and_then(|d| d.policy.clone())
                .or_else(|| self.policy.clone()),
        }
    }
}

/// <https://docs.joinmastodon.org/methods/push/#create>
async fn create(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<PushParams>,
) -> Result<HttpResponse> {
    let account_id = auth.user_with("push")?.account.id;
    let token_id = auth.0.token.id;
    // The token the request came with: the one this subscription's pushes name.
    let token = bearer_token(&req)
        .ok_or_else(|| Error::unprocessable("This method requires an access token"))?;
    let sub = p.subscription.as_ref();
    let keys = sub.and_then(|s| s.keys.as_ref());
    let target = Target {
        endpoint: sub.and_then(|s| s.endpoint.clone()),
        p256dh: keys.and_then(|k| k.p256dh.clone()),
        auth: keys.and_then(|k| k.auth.clone()),
        standard: sub.and_then(|s| s.standard).unwrap_or(false),
    };
    let wanted = p.wanted();
    let server_key = push::vapid(&ctx).await?.public_key.clone();
    let settings = ctx.settings.push.clone();
    let made = ctx
        .db
        .write(move |conn| {
            push::subscribe(
                conn, &settings, account_id, token_id, &token, &target, &wanted,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(entity(&made, &server_key)))
}

/// <https://docs.joinmastodon.org/methods/push/#get>
async fn show(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    auth.user_with("push")?;
    let token_id = auth.0.token.id;
    let found = ctx.db.read(move |conn| push::find(conn, token_id)).await?;
    let server_key = push::vapid(&ctx).await?.public_key.clone();
    Ok(HttpResponse::Ok().json(entity(&found, &server_key)))
}

/// <https://docs.joinmastodon.org/methods/push/#update>: `data` replaces the alerts and
/// policy asked for before.
async fn update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<PushParams>,
) -> Result<HttpResponse> {
    auth.user_with("push")?;
    let token_id = auth.0.token.id;
    let wanted = p.wanted();
    let changed = ctx
        .db
        .write(move |conn| push::change(conn, token_id, &wanted))
        .await?;
    let server_key = push::vapid(&ctx).await?.public_key.clone();
    Ok(HttpResponse::Ok().json(entity(&changed, &server_key)))
}

/// <https://docs.joinmastodon.org/methods/push/#delete>
async fn destroy(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    auth.user_with("push")?;
    let token_id = auth.0.token.id;
    ctx.db
        .write(move |conn| push::unsubscribe(conn, token_id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
