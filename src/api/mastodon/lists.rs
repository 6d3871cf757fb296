//! Lists and their members. <https://docs.joinmastodon.org/methods/lists/>
//! The list timeline is in `timelines`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::entities::account::account_from_row;
use super::entities::list::list_entity;
use super::pagination::{PageParams, paged_response};
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::lists::{self, ListChanges, ListTitle};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/lists", web::get().to(index))
        .route("/v1/lists", web::post().to(create))
        .route("/v1/lists/{id}", web::get().to(get))
        .route("/v1/lists/{id}", web::put().to(update))
        .route("/v1/lists/{id}", web::delete().to(delete))
        .route("/v1/lists/{id}/accounts", web::get().to(members))
        .route("/v1/lists/{id}/accounts", web::post().to(add_members))
        .route("/v1/lists/{id}/accounts", web::delete().to(remove_members))
        .route("/v1/accounts/{id}/lists", web::get().to(containing));
}

/// <https://docs.joinmastodon.org/methods/lists/#get>
async fn index(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("read:lists")?.account.id;
    let found = ctx.db.read(move |conn| lists::all(conn, me)).await?;
    Ok(HttpResponse::Ok().json(found.iter().map(list_entity).collect::<Vec<_>>()))
}

/// <https://docs.joinmastodon.org/methods/lists/#get-one>
async fn get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:lists")?.account.id;
    let id = parse_id(&id)?;
    let list = ctx.db.read(move |conn| lists::find(conn, me, id)).await?;
    Ok(HttpResponse::Ok().json(list_entity(&list)))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    title: Option<String>,
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    exclusive: Option<bool>,
}

impl ListParams {
    fn changes(self) -> Result<ListChanges> {
        Ok(ListChanges {
            title: self.title.as_deref().map(ListTitle::parse).transpose()?,
            replies_policy: self
                .replies_policy
                .as_deref()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::parse)
                .transpose()?,
            exclusive: self.exclusive,
        })
    }
}

/// <https://docs.joinmastodon.org/methods/lists/#create>
async fn create(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<ListParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:lists")?.account.id;
    let changes = p.changes()?;
    let list = ctx
        .db
        .write(move |conn| lists::create(conn, me, changes))
        .await?;
    Ok(HttpResponse::Ok().json(list_entity(&list)))
}

/// <https://docs.joinmastodon.org/methods/lists/#update>
async fn update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<ListParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:lists")?.account.id;
    let id = parse_id(&id)?;
    let changes = p.changes()?;
    let list = ctx
        .db
        .write(move |conn| lists::update(conn, me, id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(list_entity(&list)))
}

/// <https://docs.joinmastodon.org/methods/lists/#delete>
async fn delete(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:lists")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| lists::delete(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// <https://docs.joinmastodon.org/methods/lists/#accounts>
async fn members(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:lists")?.account.id;
    let id = parse_id(&id)?;
    // `limit=0` asks for every member, without paging.
    let page = (p.limit != Some(0)).then(|| p.page_with(40, 80));
    let paged = page.is_some();
    let found = ctx
        .db
        .read(move |conn| lists::members(conn, me, id, page.as_ref()))
        .await?;
    let base = ctx.settings.instance.base_url();
    let body: Vec<_> = found.iter().map(|a| account_from_row(a, &base)).collect();
    let page_ids: Vec<i64> = if paged {
        found.iter().map(|a| a.id).collect()
    } else {
        Vec::new()
    };
    Ok(paged_response(&ctx, &req, &page_ids).json(body))
}

#[derive(Debug, Deserialize)]
struct MembersParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    account_ids: Vec<String>,
}

impl MembersParams {
    /// Ids that are not numbers name no account.
    fn ids(&self) -> Result<Vec<i64>> {
        self.account_ids.iter().map(|id| parse_id(id)).collect()
    }
}

/// <https://docs.joinmastodon.org/methods/lists/#accounts-add>
async fn add_members(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<MembersParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:lists")?.account.id;
    let id = parse_id(&id)?;
    let account_ids = p.ids()?;
    ctx.db
        .write(move |conn| lists::add_members(conn, me, id, &account_ids))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// <https://docs.joinmastodon.org/methods/lists/#accounts-remove>
async fn remove_members(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<MembersParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:lists")?.account.id;
    let id = parse_id(&id)?;
    // Ids that are not numbers are in no list.
    let account_ids: Vec<i64> = p
        .account_ids
        .iter()
        .filter_map(|id| id.parse().ok())
        .collect();
    ctx.db
        .write(move |conn| lists::remove_members(conn, me, id, &account_ids))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// <https://docs.joinmastodon.org/methods/accounts/#lists>
async fn containing(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:lists")?.account.id;
    let id = parse_id(&id)?;
    let found = ctx
        .db
        .read(move |conn| lists::containing(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(found.iter().map(list_entity).collect::<Vec<_>>()))
}
