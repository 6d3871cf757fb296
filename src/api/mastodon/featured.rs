//! What employees feature on their profiles: endorsed accounts and featured hashtags.
//! <https://docs.joinmastodon.org/methods/endorsements/>,
//! <https://docs.joinmastodon.org/methods/featured_tags/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::tag::tag_entity;
use super::pagination::PageParams;
use super::{parse_id, render_accounts};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::accounts;
use crate::service::featured::{self, FeaturedTag};
use crate::service::tags::TagView;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/endorsements", web::get().to(my_endorsements))
        .route(
            "/v1/accounts/{id}/endorsements",
            web::get().to(account_endorsements),
        )
        .route(
            "/v1/accounts/{id}/featured_tags",
            web::get().to(account_featured_tags),
        )
        .route("/v1/featured_tags", web::get().to(my_featured_tags))
        .route("/v1/featured_tags", web::post().to(feature))
        .route("/v1/featured_tags/suggestions", web::get().to(suggestions))
        .route("/v1/featured_tags/{id}", web::delete().to(unfeature));
}

/// <https://docs.joinmastodon.org/entities/FeaturedTag/>: the count as a string and the
/// last post's date (no time), as Mastodon sends them.
fn featured_tag_entity(ctx: &AppContext, username: &str, f: &FeaturedTag) -> Value {
    let base = ctx.settings.instance.base();
    json!({
        "id": f.id.to_string(),
        "name": f.tag.display_name,
        "url": format!("{}/@{username}/tagged/{}", base.as_str().trim_end_matches('/'), f.tag.name),
        "statuses_count": f.statuses_count.to_string(),
        "last_status_at": f.last_status_at.map(|t| t.date().format("%Y-%m-%d").to_string()),
    })
}

/// <https://docs.joinmastodon.org/methods/endorsements/#get>: the accounts I feature.
async fn my_endorsements(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:accounts")?.account.id;
    let page = page.page_with(40, 80);
    let rows = ctx
        .db
        .read(move |conn| featured::endorsed(conn, me, &page))
        .await?;
    render_accounts(&ctx, &req, rows)
}

/// `GET /api/v1/accounts/:id/endorsements` (Mastodon 4.4): the accounts someone features.
async fn account_endorsements(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    _auth: MaybeAuth,
    id: web::Path<String>,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let id = parse_id(&id)?;
    let page = page.page_with(40, 80);
    let rows = ctx
        .db
        .read(move |conn| {
            accounts::find(conn, id)?;
            featured::endorsed(conn, id, &page)
        })
        .await?;
    render_accounts(&ctx, &req, rows)
}

async fn featured_of(ctx: &AppContext, account_id: i64) -> Result<HttpResponse> {
    let (account, found) = ctx
        .db
        .read(move |conn| {
            let account = accounts::find(conn, account_id)?;
            Ok((account, featured::featured_tags(conn, account_id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        found
            .iter()
            .map(|f| featured_tag_entity(ctx, &account.username, f))
            .collect::<Vec<_>>(),
    ))
}

/// <https://docs.joinmastodon.org/methods/featured_tags/#get>
async fn my_featured_tags(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("read:accounts")?.account.id;
    featured_of(&ctx, me).await
}

/// <https://docs.joinmastodon.org/methods/accounts/#featured_tags>
async fn account_featured_tags(
    ctx: web::Data<AppContext>,
    _auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = parse_id(&id)?;
    featured_of(&ctx, id).await
}

#[derive(Debug, Deserialize)]
struct FeatureParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    name: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/featured_tags/#feature>: `name` (with or without
/// `#`); at most 10.
async fn feature(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<FeatureParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:accounts")?.account.clone();
    let name = p.name.unwrap_or_default();
    let id = me.id;
    let featured = ctx
        .db
        .write(move |conn| featured::feature_tag(conn, id, &name))
        .await?;
    Ok(HttpResponse::Ok().json(featured_tag_entity(&ctx, &me.username, &featured)))
}

/// <https://docs.joinmastodon.org/methods/featured_tags/#unfeature>
async fn unfeature(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:accounts")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| featured::unfeature_tag(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// <https://docs.joinmastodon.org/methods/featured_tags/#suggestions>: the hashtags I use
/// most and do not feature yet (at most 10).
async fn suggestions(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("read:accounts")?.account.id;
    let found = ctx
        .db
        .read(move |conn| featured::suggested_tags(conn, me))
        .await?;
    let base = ctx.settings.instance.base_url();
    Ok(HttpResponse::Ok().json(
        found
            .into_iter()
            .map(|tag| {
                tag_entity(
                    &TagView {
                        display_name: tag.display_name.clone(),
                        name: tag.name.clone(),
                        tag: Some(tag),
                        following: None,
                    },
                    &base,
                )
            })
            .collect::<Vec<_>>(),
    ))
}
