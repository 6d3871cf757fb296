//! Notifications. <https://docs.joinmastodon.org/methods/notifications/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use std::collections::HashMap;

use serde_json::{Value, json};

use super::entities::account::account_from_row;
use super::entities::notification::{group_entity, notification_from_view, partial_account_entity};
use super::entities::status::status_from_view;
use super::pagination::{PageParams, paged_response};
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::db::models::Account;
use crate::error::Error;
use crate::error::Result;
use crate::service::accounts;
use crate::service::filters;
use crate::service::notifications::{self, NotificationFilter};
use crate::service::views;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The policy and requests first: `/v1/notifications/{id}` would take their paths.
    cfg.configure(super::notification_requests::configure)
        .route("/v2/notifications", web::get().to(list_grouped))
        .route(
            "/v2/notifications/unread_count",
            web::get().to(unread_group_count),
        )
        .route("/v2/notifications/{group_key}", web::get().to(get_group))
        .route(
            "/v2/notifications/{group_key}/accounts",
            web::get().to(group_accounts),
        )
        .route(
            "/v2/notifications/{group_key}/dismiss",
            web::post().to(dismiss_group),
        );
    cfg.route("/v1/notifications", web::get().to(list))
        .route("/v1/notifications/clear", web::post().to(clear))
        .route(
            "/v1/notifications/unread_count",
            web::get().to(unread_count),
        )
        .route("/v1/notifications/{id}", web::get().to(get))
        .route("/v1/notifications/{id}/dismiss", web::post().to(dismiss));
}

/// Which notifications a list or count is about (v1 and v2 alike).
#[derive(Debug, Deserialize)]
struct FilterParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    types: Vec<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    exclude_types: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    include_filtered: Option<bool>,
}

impl FilterParams {
    fn filter(self) -> NotificationFilter {
        NotificationFilter {
            types: self.types,
            exclude_types: self.exclude_types,
            account_id: self.account_id.and_then(|id| id.parse().ok()),
            include_filtered: self.include_filtered.unwrap_or(false),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(flatten)]
    filter: FilterParams,
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
    let filter = p.filter.filter();
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
    #[serde(flatten)]
    filter: FilterParams,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    grouped_types: Vec<String>,
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
    let filter = p.filter.filter();
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

#[derive(Debug, Deserialize)]
struct GroupedParams {
    #[serde(flatten)]
    filter: FilterParams,
    #[serde(default, deserialize_with = "lenient::string_list")]
    grouped_types: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    expand_accounts: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// The `GroupedNotificationsResults` body: groups, then each post and account once.
fn grouped_body(
    page: &notifications::GroupsPage,
    partial: bool,
    settings: &crate::config::Settings,
) -> Value {
    let base = settings.instance.base_url();
    let mut full: Vec<Value> = Vec::new();
    let mut partials: Vec<Value> = Vec::new();
    let mut listed = std::collections::HashSet::new();
    let mut statuses: Vec<Value> = Vec::new();
    let mut statuses_listed = std::collections::HashSet::new();
    let mut groups: Vec<Value> = Vec::new();
    for (group, view) in &page.groups {
        groups.push(group_entity(group, view, settings));
        for (i, id) in group.sample_account_ids.iter().enumerate() {
            let Some(account) = page.accounts.get(id) else {
                continue;
            };
            // With partial avatars, only each group's newest sender is in full.
            if partial && i > 0 {
                if !listed.contains(id) && listed.insert(-*id) {
                    partials.push(partial_account_entity(account, &base));
                }
            } else if listed.insert(*id) {
                full.push(
                    serde_json::to_value(account_from_row(account, &base)).unwrap_or_default(),
                );
            }
        }
        let mut others: Vec<&Account> = Vec::new();
        if let Some(status) = &view.status {
            others.push(&status.account);
            if statuses_listed.insert(status.status.id) {
                statuses.push(
                    serde_json::to_value(status_from_view(status, settings)).unwrap_or_default(),
                );
            }
        }
        for account in others {
            if listed.insert(account.id) {
                full.push(
                    serde_json::to_value(account_from_row(account, &base)).unwrap_or_default(),
                );
            }
        }
    }
    // A partial account also listed in full is dropped from the partial ones.
    let partials: Vec<Value> = partials
        .into_iter()
        .filter(|p| {
            p["id"]
                .as_str()
                .and_then(|id| id.parse::<i64>().ok())
                .is_none_or(|id| !listed.contains(&id))
        })
        .collect();
    let mut body = json!({
        "accounts": full,
        "statuses": statuses,
        "notification_groups": groups,
    });
    if partial {
        body["partial_accounts"] = json!(partials);
    }
    body
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#get-grouped>
async fn list_grouped(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<GroupedParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let partial = match p.expand_accounts.as_deref() {
        None | Some("full") => false,
        Some("partial_avatars") => true,
        Some(other) => {
            return Err(Error::bad_request(format!(
                "Invalid value for 'expand_accounts': '{other}', allowed values are 'full' and 'partial_avatars'"
            )));
        }
    };
    let filter = p.filter.filter();
    let page = p.page.page_with(40, 80);
    let grouped_types = p.grouped_types;
    let caches = ctx.caches.clone();
    let loaded = ctx
        .db
        .read(move |conn| {
            let groups = notifications::list_groups(conn, me, &filter, &grouped_types, &page)?;
            notifications::load_groups(conn, &caches, me, groups)
        })
        .await?;
    Ok(paged_response(&ctx, &req, &loaded.ids).json(grouped_body(&loaded, partial, &ctx.settings)))
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#get-notification-group>
async fn get_group(
    ctx: web::Data<AppContext>,
    auth: Auth,
    key: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let key = key.into_inner();
    let caches = ctx.caches.clone();
    let loaded = ctx
        .db
        .read(move |conn| {
            let group = notifications::group(conn, me, &key)?;
            notifications::load_groups(conn, &caches, me, vec![group])
        })
        .await?;
    if loaded.groups.is_empty() {
        return Err(Error::not_found());
    }
    Ok(HttpResponse::Ok().json(grouped_body(&loaded, false, &ctx.settings)))
}

/// Most accounts `GET /api/v2/notifications/:group_key/accounts` lists.
const GROUP_ACCOUNTS_MAX: i64 = 80;

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#get-group-accounts>: who is
/// behind a group, newest first.
async fn group_accounts(
    ctx: web::Data<AppContext>,
    auth: Auth,
    key: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let key = key.into_inner();
    let accounts = ctx
        .db
        .read(move |conn| {
            let ids = notifications::group_senders(conn, me, &key, GROUP_ACCOUNTS_MAX)?;
            let mut by_id: HashMap<i64, Account> = accounts::many(conn, &ids)?
                .into_iter()
                .map(|a| (a.id, a))
                .collect();
            Ok(ids
                .into_iter()
                .filter_map(|id| by_id.remove(&id))
                .collect::<Vec<_>>())
        })
        .await?;
    let base = ctx.settings.instance.base_url();
    let body: Vec<_> = accounts
        .iter()
        .map(|a| account_from_row(a, &base))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#dismiss-group>
async fn dismiss_group(
    ctx: web::Data<AppContext>,
    auth: Auth,
    key: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:notifications")?.account.id;
    let key = key.into_inner();
    ctx.db
        .write(move |conn| notifications::dismiss_group(conn, me, &key))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// <https://docs.joinmastodon.org/methods/grouped_notifications/#unread-group-count>: the
/// groups newer than the notifications marker, counting at most `limit` (100, ≤ 1000).
async fn unread_group_count(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<UnreadParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:notifications")?.account.id;
    let filter = p.filter.filter();
    let limit = i64::from(p.limit.unwrap_or(100));
    let grouped_types = p.grouped_types;
    let count = ctx
        .db
        .read(move |conn| {
            notifications::unread_group_count(conn, me, &filter, &grouped_types, limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "count": count })))
}
