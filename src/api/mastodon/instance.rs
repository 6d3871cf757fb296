//! Instance metadata. <https://docs.joinmastodon.org/methods/instance/>

use actix_web::{HttpResponse, web};

use super::entities::account::account_from_row;
use super::entities::instance::{instance_v1, instance_v2, rules};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::instance;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/instance", web::get().to(get_v2))
        .route("/v1/instance", web::get().to(get_v1))
        .route("/v1/instance/rules", web::get().to(get_rules))
        .route("/v1/custom_emojis", web::get().to(custom_emojis));
}

async fn load(
    ctx: &AppContext,
) -> Result<(
    std::sync::Arc<instance::Summary>,
    Option<super::entities::account::AccountEntity>,
)> {
    let summary = instance::summary(ctx).await?;
    let base = ctx.settings.instance.base_url();
    let contact = summary.contact.as_ref().map(|a| account_from_row(a, &base));
    Ok((summary, contact))
}

/// <https://docs.joinmastodon.org/methods/instance/#v2>
async fn get_v2(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let (summary, contact) = load(&ctx).await?;
    Ok(HttpResponse::Ok().json(instance_v2(&ctx.settings, &summary.stats, contact)))
}

/// <https://docs.joinmastodon.org/methods/instance/#v1>
async fn get_v1(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let (summary, contact) = load(&ctx).await?;
    Ok(HttpResponse::Ok().json(instance_v1(&ctx.settings, &summary.stats, contact)))
}

/// <https://docs.joinmastodon.org/methods/instance/#rules>
async fn get_rules(ctx: web::Data<AppContext>) -> HttpResponse {
    HttpResponse::Ok().json(rules(&ctx.settings))
}

/// <https://docs.joinmastodon.org/methods/custom_emojis/> — Groundswell has none yet.
async fn custom_emojis() -> HttpResponse {
    HttpResponse::Ok().json(Vec::<serde_json::Value>::new())
}
