//! Timelines, bookmarks and favourites. <https://docs.joinmastodon.org/methods/timelines/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::pagination::PageParams;
use super::{parse_id, render_statuses, render_timeline};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::filters::FilterContext;
use crate::service::timelines::{self, Origin};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/timelines/home", web::get().to(home))
        .route("/v1/timelines/public", web::get().to(public))
        .route("/v1/timelines/tag/{hashtag}", web::get().to(tag))
        .route("/v1/timelines/link", web::get().to(link))
        .route("/v1/timelines/list/{list_id}", web::get().to(list))
        .route("/v1/bookmarks", web::get().to(bookmarks))
        .route("/v1/favourites", web::get().to(favourites));
}

fn by_id(rows: Vec<crate::db::models::Status>) -> Vec<(i64, crate::db::models::Status)> {
    rows.into_iter().map(|s| (s.id, s)).collect()
}

/// <https://docs.joinmastodon.org/methods/timelines/#home>
async fn home(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:statuses")?.account.id;
    let page = page.page();
    render_timeline(
        &ctx,
        &req,
        Some(me),
        Some(FilterContext::Home),
        move |conn| timelines::home(conn, me, &page).map(by_id),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct PublicParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    only_media: Option<bool>,
    #[serde(flatten)]
    page: PageParams,
}

fn origin(local: Option<bool>, remote: Option<bool>) -> Origin {
    match (local.unwrap_or(false), remote.unwrap_or(false)) {
        (true, _) => Origin::Local,
        (false, true) => Origin::Remote,
        _ => Origin::All,
    }
}

/// <https://docs.joinmastodon.org/methods/timelines/#public>
async fn public(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    Params(p): Params<PublicParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let origin = origin(p.local, p.remote);
    let only_media = p.only_media.unwrap_or(false);
    let page = p.page.page();
    render_timeline(
        &ctx,
        &req,
        viewer,
        Some(FilterContext::Public),
        move |conn| timelines::public(conn, viewer, origin, only_media, &page).map(by_id),
    )
    .await
}

/// <https://docs.joinmastodon.org/methods/timelines/#tag>
async fn tag(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    hashtag: web::Path<String>,
    Params(p): Params<PublicParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let origin = origin(p.local, p.remote);
    let page = p.page.page();
    let name = hashtag.into_inner();
    render_timeline(
        &ctx,
        &req,
        viewer,
        Some(FilterContext::Public),
        move |conn| timelines::tag(conn, viewer, &name, origin, &page).map(by_id),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct LinkParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    url: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// <https://docs.joinmastodon.org/methods/timelines/#link>: public posts linking to `url`
/// (and, for employees signed in here, department-only ones), newest first.
async fn link(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    Params(p): Params<LinkParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let url = p
        .url
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| Error::bad_request("Missing url parameter"))?;
    let page = p.page.page();
    render_timeline(
        &ctx,
        &req,
        viewer,
        Some(FilterContext::Public),
        move |conn| timelines::link(conn, viewer, &url, &page).map(by_id),
    )
    .await
}

/// <https://docs.joinmastodon.org/methods/timelines/#list>
async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    list_id: web::Path<String>,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:lists")?.account.id;
    let list_id = parse_id(&list_id)?;
    let page = page.page();
    // Lists share the home context, as on Mastodon.
    render_timeline(
        &ctx,
        &req,
        Some(me),
        Some(FilterContext::Home),
        move |conn| timelines::list(conn, me, list_id, &page).map(by_id),
    )
    .await
}

/// <https://docs.joinmastodon.org/methods/bookmarks/>
async fn bookmarks(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:bookmarks")?.account.id;
    let page = page.page();
    render_statuses(&ctx, &req, Some(me), move |conn| {
        timelines::bookmarks(conn, me, &page)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/favourites/>
async fn favourites(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:favourites")?.account.id;
    let page = page.page();
    render_statuses(&ctx, &req, Some(me), move |conn| {
        timelines::favourites(conn, me, &page)
    })
    .await
}
