//! Search. <https://docs.joinmastodon.org/methods/search/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::entities::account::account_from_row;
use super::entities::status::status_from_view;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::search;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/search", web::get().to(search_v2))
        .route("/v1/search", web::get().to(search_v1));
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    offset: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    following: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    resolve: Option<bool>,
}

/// <https://docs.joinmastodon.org/methods/search/#v2>
async fn search_v2(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<SearchParams>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(results(&ctx, &auth, p).await?))
}

/// `GET /api/v1/search`, for the older apps that still call it: the same search, with
/// hashtags as plain names, as Mastodon 2.x answered it.
async fn search_v1(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<SearchParams>,
) -> Result<HttpResponse> {
    let mut body = results(&ctx, &auth, p).await?;
    let names: Vec<serde_json::Value> = body["hashtags"]
        .as_array()
        .map(|tags| tags.iter().map(|t| t["name"].clone()).collect())
        .unwrap_or_default();
    body["hashtags"] = json!(names);
    Ok(HttpResponse::Ok().json(body))
}

/// The v2 answer to a search.
async fn results(ctx: &AppContext, auth: &Auth, p: SearchParams) -> Result<serde_json::Value> {
    auth.require("read:search")?;
    let me = auth.0.user.as_ref().map(|u| u.account.id);
    let q = p.q.unwrap_or_default();
    if q.trim().is_empty() {
        return Err(Error::bad_request("Missing q parameter"));
    }
    let kind = p.kind.unwrap_or_default();
    if !matches!(kind.as_str(), "" | "accounts" | "hashtags" | "statuses") {
        return Err(Error::bad_request(
            "type must be accounts, hashtags or statuses",
        ));
    }
    // `resolve=true` (signed-in only, as on Mastodon): look up `@user@department` or a post's
    // URL on the other department first.
    let mut resolved_status = None;
    if p.resolve.unwrap_or(false) && me.is_some() && p.offset.unwrap_or(0) == 0 {
        resolved_status = search::resolve_remote(ctx, q.trim()).await;
    }
    let query = search::Query {
        resolved_status,
        text: q,
        accounts: kind.is_empty() || kind == "accounts",
        hashtags: kind.is_empty() || kind == "hashtags",
        statuses: kind.is_empty() || kind == "statuses",
        limit: i64::from(p.limit.unwrap_or(20).clamp(1, 40)),
        offset: i64::from(p.offset.unwrap_or(0)),
        following: p.following.unwrap_or(false),
        account_id: p.account_id.and_then(|id| id.parse().ok()),
    };
    let settings = ctx.settings.clone();
    let results = ctx
        .db
        .read(move |conn| search::search(conn, &settings, me, &query))
        .await?;
    let base = ctx.settings.instance.base_url();
    let base_str = base.as_str().trim_end_matches('/');
    Ok(json!({
        "accounts": results.accounts.iter().map(|a| account_from_row(a, &base)).collect::<Vec<_>>(),
        "statuses": results.statuses.iter().map(|s| status_from_view(s, &ctx.settings)).collect::<Vec<_>>(),
        "hashtags": results.hashtags.iter().map(|t| json!({
            "name": t.name,
            "url": format!("{base_str}/tags/{}", t.name),
            "history": [],
            "following": results.followed_hashtags.contains(&t.id),
        })).collect::<Vec<_>>(),
    }))
}
