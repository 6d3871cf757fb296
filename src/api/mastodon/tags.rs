//! Hashtags to follow. <https://docs.joinmastodon.org/methods/tags/> and
//! <https://docs.joinmastodon.org/methods/followed_tags/>

use actix_web::{HttpRequest, HttpResponse, web};

use super::entities::tag::{followed_tag_entity, tag_entity};
use super::pagination::{PageParams, paged_response};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::params::Params;
use crate::context::AppContext;
use crate::error::Result;
use crate::service::tags::{self, TagName};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/tags/{name}", web::get().to(get))
        .route("/v1/tags/{name}/follow", web::post().to(follow))
        .route("/v1/tags/{name}/unfollow", web::post().to(unfollow))
        .route("/v1/followed_tags", web::get().to(followed));
}

/// <https://docs.joinmastodon.org/methods/tags/#get>
async fn get(
    ctx: web::Data<AppContext>,
    auth: MaybeAuth,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    // Public, no scope needed; a signed-in employee also learns whether they follow it.
    let viewer = auth
        .0
        .as_ref()
        .and_then(|a| a.0.user.as_ref())
        .map(|u| u.account.id);
    let name = TagName::parse(&name)?;
    let view = ctx
        .db
        .read(move |conn| tags::show(conn, viewer, &name))
        .await?;
    Ok(HttpResponse::Ok().json(tag_entity(&view, &ctx.settings.instance.base_url())))
}

/// <https://docs.joinmastodon.org/methods/tags/#follow>
async fn follow(
    ctx: web::Data<AppContext>,
    auth: Auth,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:follows")?.account.id;
    let name = TagName::parse(&name)?;
    let settings = ctx.settings.clone();
    let view = ctx
        .db
        .write(move |conn| tags::follow(conn, &settings, me, &name))
        .await?;
    Ok(HttpResponse::Ok().json(tag_entity(&view, &ctx.settings.instance.base_url())))
}

/// <https://docs.joinmastodon.org/methods/tags/#unfollow>
async fn unfollow(
    ctx: web::Data<AppContext>,
    auth: Auth,
    name: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:follows")?.account.id;
    let name = TagName::parse(&name)?;
    let view = ctx
        .db
        .write(move |conn| tags::unfollow(conn, me, &name))
        .await?;
    Ok(HttpResponse::Ok().json(tag_entity(&view, &ctx.settings.instance.base_url())))
}

/// <https://docs.joinmastodon.org/methods/followed_tags/#get>
async fn followed(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:follows")?.account.id;
    let page = page.page_with(100, 200);
    let rows = ctx
        .db
        .read(move |conn| tags::followed(conn, me, &page))
        .await?;
    let base = ctx.settings.instance.base_url();
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let body: Vec<_> = rows
        .iter()
        .map(|(_, t)| followed_tag_entity(t, &base))
        .collect();
    Ok(paged_response(&ctx, &req, &ids).json(body))
}
