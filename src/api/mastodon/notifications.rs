//! Notifications. <https://docs.joinmastodon.org/methods/notifications/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::entities::notification::notification_from_view;
use super::pagination::{PageParams, paged_response};
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::filters;
use crate::service::notifications::{self, NotificationFilter};
use crate::service::views;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/notifications", web::get().to(list))
        .route("/v1/notifications/clear", web::post().to(clear))
        .route(
            "/v1/notifications/unread_count",
            web::get().to(unread_count),
        )
        .route("/v1/notifications/{id}", web::get().to(get))
        .route("/v1/notifications/{id}/dismiss", web::post().to(dismiss));
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    exclude_types: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    account_id: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// <https://docs.joinmastodon.org/methods/notifications/#get>
async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<ListParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let filter = NotificationFilter {
        types: p.types,
        exclude_types: p.exclude_types,
        account_id: p.account_id.and_then(|id| id.parse().ok()),
    };
    let page = p.page.page_with(40, 80);
    let caches = ctx.caches.clone();
    let (ids, views) = ctx
        .db
        .read(move |conn| {
            let rows = notifications::list(conn, me, &filter, &page)?;
            let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
            let views = views::hydrate_notifications(conn, &caches.statuses, me, rows)?;
            Ok((ids, filters::drop_hidden_notifications(views)))
        })
        .await?;
    let body: Vec<_> = views
        .iter()
        .map(|v| notification_from_view(v, &ctx.settings))
        .collect();
    Ok(paged_response(&ctx, &req, &ids).json(body))
}

#[derive(Debug, Deserialize)]
struct UnreadParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    exclude_types: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

/// <https://docs.joinmastodon.org/methods/notifications/#unread-count>: `{"count": N}`, the
/// notifications newer than the `notifications` marker, counting at most `limit` (default
/// 100, at most 1000).
async fn unread_count(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<UnreadParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let filter = NotificationFilter {
        types: p.types,
        exclude_types: p.exclude_types,
        account_id: p.account_id.and_then(|id| id.parse().ok()),
    };
    let limit = i64::from(p.limit.unwrap_or(100));
    let count = ctx
        .db
        .read(move |conn| notifications::unread_count(conn, me, &filter, limit))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "count": count })))
}

/// <https://docs.joinmastodon.org/methods/notifications/#get-one>
async fn get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let id = parse_id(&id)?;
    let caches = ctx.caches.clone();
    let view = ctx
        .db
        .read(move |conn| {
            let n = notifications::get(conn, me, id)?;
            views::hydrate_notifications(conn, &caches.statuses, me, vec![n])?
                .pop()
                .ok_or_else(crate::error::Error::not_found)
        })
        .await?;
    Ok(HttpResponse::Ok().json(notification_from_view(&view, &ctx.settings)))
}

/// <https://docs.joinmastodon.org/methods/notifications/#clear>
async fn clear(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("write:notifications")?.account.id;
    ctx.db
        .write(move |conn| notifications::clear(conn, me))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// <https://docs.joinmastodon.org/methods/notifications/#dismiss>
async fn dismiss(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:notifications")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| notifications::dismiss(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
