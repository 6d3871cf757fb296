//! The notification policy and notification requests (Mastodon 4.3).
//! <https://docs.joinmastodon.org/methods/notifications/#get-policy>

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::entities::notification::{policy_entity, policy_v1_entity, request_entity};
use super::pagination::{PageParams, paged_response};
use super::{id_list, parse_id};
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::notification_requests::{self as requests, PolicyChange};
use crate::service::views::StatusView;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/notifications/policy", web::get().to(policy_v2))
        // Rails' `update`: PATCH or PUT (masto.js sends PUT).
        .route("/v2/notifications/policy", web::patch().to(update_v2))
        .route("/v2/notifications/policy", web::put().to(update_v2))
        .route("/v1/notifications/policy", web::get().to(policy_v1))
        .route("/v1/notifications/policy", web::put().to(update_v1))
        .route("/v1/notifications/policy", web::patch().to(update_v1))
        .route("/v1/notifications/requests", web::get().to(list))
        .route("/v1/notifications/requests/merged", web::get().to(merged))
        .route(
            "/v1/notifications/requests/accept",
            web::post().to(accept_many),
        )
        .route(
            "/v1/notifications/requests/dismiss",
            web::post().to(dismiss_many),
        )
        .route("/v1/notifications/requests/{id}", web::get().to(get))
        .route(
            "/v1/notifications/requests/{id}/accept",
            web::post().to(accept),
        )
        .route(
            "/v1/notifications/requests/{id}/dismiss",
            web::post().to(dismiss),
        );
}

/// The v2 policy (`accept`/`filter`/`drop` each) or the v1 one (booleans).
#[derive(Clone, Copy)]
enum Shape {
    V1,
    V2,
}

/// The policy after `change` (without one: as it is) with its summary, in `shape`.
async fn answer(
    ctx: &AppContext,
    me: i64,
    change: Option<PolicyChange>,
    shape: Shape,
) -> Result<HttpResponse> {
    let (policy, summary) = match change {
        None => {
            ctx.db
                .read(move |conn| Ok((requests::policy(conn, me)?, requests::summary(conn, me)?)))
                .await?
        }
        Some(change) => {
            ctx.db
                .write(move |conn| {
                    Ok((
                        requests::update_policy(conn, me, &change)?,
                        requests::summary(conn, me)?,
                    ))
                })
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(match shape {
        Shape::V1 => policy_v1_entity(&policy, &summary),
        Shape::V2 => policy_entity(&policy, &summary),
    }))
}

/// <https://docs.joinmastodon.org/methods/notifications/#get-policy>
async fn policy_v2(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    answer(&ctx, me, None, Shape::V2).await
}

#[derive(Debug, Deserialize)]
struct PolicyParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    for_not_following: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    for_not_followers: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    for_new_accounts: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    for_private_mentions: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    for_limited_accounts: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/notifications/#update-the-filtering-policy-for-notifications>
async fn update_v2(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<PolicyParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:notifications")?.account.id;
    let change = PolicyChange {
        for_not_following: p.for_not_following,
        for_not_followers: p.for_not_followers,
        for_new_accounts: p.for_new_accounts,
        for_private_mentions: p.for_private_mentions,
        for_limited_accounts: p.for_limited_accounts,
    };
    answer(&ctx, me, Some(change), Shape::V2).await
}

/// Mastodon 4.3's v1 policy: booleans (filter or accept).
async fn policy_v1(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    answer(&ctx, me, None, Shape::V1).await
}

#[derive(Debug, Deserialize)]
struct PolicyV1Params {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    filter_not_following: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    filter_not_followers: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    filter_new_accounts: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    filter_private_mentions: Option<bool>,
}

async fn update_v1(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<PolicyV1Params>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:notifications")?.account.id;
    let verdict = |b: Option<bool>| b.map(|f| if f { "filter" } else { "accept" }.to_string());
    let change = PolicyChange {
        for_not_following: verdict(p.filter_not_following),
        for_not_followers: verdict(p.filter_not_followers),
        for_new_accounts: verdict(p.filter_new_accounts),
        for_private_mentions: verdict(p.filter_private_mentions),
        for_limited_accounts: None,
    };
    answer(&ctx, me, Some(change), Shape::V1).await
}

/// Requests with the last post of each (those the employee may see), on one connection.
async fn load(
    ctx: &AppContext,
    me: i64,
    fetch: impl FnOnce(&mut crate::db::DbConnection) -> Result<Vec<requests::Request>> + Send + 'static,
) -> Result<(Vec<requests::Request>, HashMap<i64, StatusView>)> {
    let caches = ctx.caches.clone();
    ctx.db
        .read(move |conn| {
            let list = fetch(conn)?;
            let shown = requests::last_statuses(conn, &caches.statuses, me, &list)?;
            Ok((list, shown))
        })
        .await
}

/// <https://docs.joinmastodon.org/methods/notifications/#get-requests>
async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let page = page.page_with(40, 80);
    let (list, shown) = load(&ctx, me, move |conn| requests::list(conn, me, &page)).await?;
    let ids: Vec<i64> = list.iter().map(|r| r.id).collect();
    let body: Vec<_> = list
        .iter()
        .map(|r| {
            let last = r.last_status_id.and_then(|id| shown.get(&id));
            request_entity(r, last, &ctx.settings)
        })
        .collect();
    Ok(paged_response(&ctx, &req, &ids).json(body))
}

/// <https://docs.joinmastodon.org/methods/notifications/#get-one-request>
async fn get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let id = parse_id(&id)?;
    let (list, shown) = load(&ctx, me, move |conn| Ok(vec![requests::get(conn, me, id)?])).await?;
    let r = list.first().ok_or_else(crate::error::Error::not_found)?;
    let last = r.last_status_id.and_then(|id| shown.get(&id));
    Ok(HttpResponse::Ok().json(request_entity(r, last, &ctx.settings)))
}

/// How requests are answered: `requests::accept` or `requests::dismiss`.
type Answer = fn(&mut crate::db::DbConnection, i64, &[i64]) -> Result<()>;

/// Answer one request of the employee's (404 when it is not theirs).
async fn answer_one(ctx: &AppContext, auth: &Auth, id: &str, how: Answer) -> Result<HttpResponse> {
    let me = auth.user_with("write:notifications")?.account.id;
    let id = parse_id(id)?;
    ctx.db
        .write(move |conn| {
            requests::require(conn, me, id)?;
            how(conn, me, &[id])
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// <https://docs.joinmastodon.org/methods/notifications/#accept-request>
async fn accept(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    answer_one(&ctx, &auth, &id, requests::accept).await
}

/// <https://docs.joinmastodon.org/methods/notifications/#dismiss-request>
async fn dismiss(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    answer_one(&ctx, &auth, &id, requests::dismiss).await
}

#[derive(Debug, Deserialize)]
struct ManyParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    id: Vec<String>,
}

/// Most requests accepted or dismissed at once.
const MANY_MAX: usize = 100;

/// Answer the employee's requests among `ids` (others' are left alone).
async fn answer_many(
    ctx: &AppContext,
    auth: &Auth,
    ids: &[String],
    how: Answer,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:notifications")?.account.id;
    let ids = id_list(ids, MANY_MAX);
    ctx.db.write(move |conn| how(conn, me, &ids)).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// <https://docs.joinmastodon.org/methods/notifications/#accept-multiple-requests>
async fn accept_many(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<ManyParams>,
) -> Result<HttpResponse> {
    answer_many(&ctx, &auth, &p.id, requests::accept).await
}

/// <https://docs.joinmastodon.org/methods/notifications/#dismiss-multiple-requests>
async fn dismiss_many(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<ManyParams>,
) -> Result<HttpResponse> {
    answer_many(&ctx, &auth, &p.id, requests::dismiss).await
}

/// <https://docs.joinmastodon.org/methods/notifications/#requests-merged>: accepting is done
/// when the answer comes, so requests are always merged.
async fn merged(auth: Auth) -> Result<HttpResponse> {
    auth.user_with("read:notifications")?;
    Ok(HttpResponse::Ok().json(json!({ "merged": true })))
}
