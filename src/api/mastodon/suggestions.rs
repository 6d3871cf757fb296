//! Whom to follow. <https://docs.joinmastodon.org/methods/suggestions/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::entities::account::account_from_row;
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::suggestions::{self, DEFAULT_LIMIT, MAX_LIMIT, Suggestion};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/suggestions", web::get().to(list_v2))
        .route("/v1/suggestions", web::get().to(list_v1))
        .route("/v1/suggestions/{account_id}", web::delete().to(dismiss));
}

#[derive(Debug, Deserialize)]
struct LimitParams {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

async fn load(ctx: &AppContext, auth: &Auth, p: LimitParams) -> Result<Vec<Suggestion>> {
    let me = auth.user_with("read")?.account.id;
    let limit = p.limit.map_or(DEFAULT_LIMIT, i64::from).clamp(1, MAX_LIMIT);
    ctx.db
        .read(move |conn| suggestions::suggest(conn, me, limit))
        .await
}

/// <https://docs.joinmastodon.org/methods/suggestions/#v2>: `{source, sources, account}`
/// (at most 80, 40 by default).
async fn list_v2(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<LimitParams>,
) -> Result<HttpResponse> {
    let found = load(&ctx, &auth, p).await?;
    let base = ctx.settings.instance.base_url();
    Ok(HttpResponse::Ok().json(
        found
            .iter()
            .map(|s| {
                json!({
                    "source": s.reasons.first().map(|r| r.legacy()),
                    "sources": s.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    "account": account_from_row(&s.account, &base),
                })
            })
            .collect::<Vec<_>>(),
    ))
}

/// <https://docs.joinmastodon.org/methods/suggestions/#v1>: the accounts alone.
async fn list_v1(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<LimitParams>,
) -> Result<HttpResponse> {
    let found = load(&ctx, &auth, p).await?;
    let base = ctx.settings.instance.base_url();
    Ok(HttpResponse::Ok().json(
        found
            .iter()
            .map(|s| account_from_row(&s.account, &base))
            .collect::<Vec<_>>(),
    ))
}

/// <https://docs.joinmastodon.org/methods/suggestions/#remove>: never suggest this account
/// again.
async fn dismiss(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read")?.account.id;
    let target = parse_id(&id)?;
    ctx.db
        .write(move |conn| suggestions::dismiss(conn, me, target))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
