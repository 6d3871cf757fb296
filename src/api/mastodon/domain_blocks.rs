//! An employee's blocks of other departments.
//! <https://docs.joinmastodon.org/methods/domain_blocks/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::pagination::{PageParams, paged_response};
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::domain_blocks::{self, DEFAULT_PAGE, MAX_PAGE};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/domain_blocks", web::get().to(list))
        .route("/v1/domain_blocks", web::post().to(block))
        .route("/v1/domain_blocks", web::delete().to(unblock));
}

#[derive(Debug, Deserialize)]
struct DomainParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    domain: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/domain_blocks/#get>: the domains I block, newest
/// block first (100 by default, at most 200), paged with `Link` by the block.
async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:blocks")?.account.id;
    let page = page.page_with(DEFAULT_PAGE, MAX_PAGE);
    let rows = ctx
        .db
        .read(move |conn| domain_blocks::list(conn, me, &page))
        .await?;
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let domains: Vec<&str> = rows.iter().map(|(_, d)| d.as_str()).collect();
    Ok(paged_response(&ctx, &req, &ids).json(domains))
}

/// <https://docs.joinmastodon.org/methods/domain_blocks/#block>
async fn block(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<DomainParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:blocks")?.account.clone();
    let domain = domain_blocks::parse_domain(p.domain.as_deref())?;
    let settings = ctx.settings.clone();
    ctx.db
        .write(move |conn| domain_blocks::block(conn, &settings, &me, &domain))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// <https://docs.joinmastodon.org/methods/domain_blocks/#unblock>
async fn unblock(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<DomainParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:blocks")?.account.id;
    let domain = domain_blocks::parse_domain(p.domain.as_deref())?;
    ctx.db
        .write(move |conn| domain_blocks::unblock(conn, me, &domain))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
