//! Direct conversations. <https://docs.joinmastodon.org/methods/conversations/>

use actix_web::{HttpRequest, HttpResponse, web};

use super::entities::conversation::conversation_entity;
use super::pagination::{PageParams, paged_response};
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::Params;
use crate::context::AppContext;
use crate::error::Result;
use crate::service::conversations;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/conversations", web::get().to(list))
        .route("/v1/conversations/{id}", web::delete().to(remove))
        .route("/v1/conversations/{id}/read", web::post().to(read));
}

/// <https://docs.joinmastodon.org/methods/conversations/#get>
async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:statuses")?.account.id;
    let page = page.page();
    let rows = ctx
        .db
        .read(move |conn| conversations::list(conn, me, &page))
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let body: Vec<_> = rows
        .iter()
        .map(|(_, c)| conversation_entity(c, &ctx.settings))
        .collect();
    Ok(paged_response(&ctx, &req, &ids).json(body))
}

/// <https://docs.joinmastodon.org/methods/conversations/#read>
async fn read(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:conversations")?.account.id;
    let id = parse_id(&id)?;
    let view = ctx
        .db
        .write(move |conn| conversations::mark_read(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(conversation_entity(&view, &ctx.settings)))
}

/// <https://docs.joinmastodon.org/methods/conversations/#delete>
async fn remove(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:conversations")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| conversations::remove(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
