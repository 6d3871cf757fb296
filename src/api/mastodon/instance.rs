//! Instance metadata. <https://docs.joinmastodon.org/methods/instance/>

use actix_web::{HttpResponse, web};

use super::entities::account::account_from_row;
use super::entities::instance::{instance_v1, instance_v2, rules};
use crate::api::auth::Auth;
use crate::context::AppContext;
use crate::error::Result;
use crate::service::instance;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/instance", web::get().to(get_v2))
        .route("/v1/instance", web::get().to(get_v1))
        .route("/v1/instance/rules", web::get().to(get_rules))
        .route("/v1/instance/peers", web::get().to(peers))
        .route(
            "/v1/instance/extended_description",
            web::get().to(extended_description),
        )
        .route(
            "/v1/instance/terms_of_service",
            web::get().to(terms_of_service),
        )
        .route("/v1/instance/domain_blocks", web::get().to(domain_blocks))
        .route("/v1/instance/activity", web::get().to(activity))
        .route("/v1/instance/languages", web::get().to(languages))
        .route("/v1/instance/privacy_policy", web::get().to(privacy_policy))
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
    let vapid_key = &crate::service::push::vapid(&ctx).await?.public_key;
    Ok(HttpResponse::Ok().json(instance_v2(
        &ctx.settings,
        &summary.stats,
        contact,
        vapid_key,
    )))
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

/// <https://docs.joinmastodon.org/methods/instance/#peers>: the departments this one knows
/// and does not suspend.
async fn peers(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let configured = ctx.settings.federation.allowed_domains.clone();
    let all = ctx
        .db
        .read(move |conn| crate::service::policy::domains::peers(conn, &configured))
        .await?;
    Ok(HttpResponse::Ok().json(all))
}

/// <https://docs.joinmastodon.org/methods/instance/#extended_description>: the department's
/// description (`instance.description`, from the config file: no change time is known, so
/// `updated_at` is null, as Mastodon answers for a description never edited).
async fn extended_description(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let text = ctx.settings.instance.description.trim();
    let content = if text.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", html_escape::encode_text(text))
    };
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "updated_at": null,
        "content": content,
    })))
}

/// <https://docs.joinmastodon.org/methods/instance/#terms_of_service>: the usage policy's
/// current version (404 when none is published).
async fn terms_of_service(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let current = ctx
        .db
        .read(crate::service::usage_policy::require_current)
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "effective_date": current.published_at.date().format("%Y-%m-%d").to_string(),
        "effective": true,
        "content": current.html(),
        "succeeded_by": null,
    })))
}

/// <https://docs.joinmastodon.org/methods/instance/#domain_blocks>: the departments this
/// one blocks, for its signed-in employees (Mastodon's default), obfuscated where the block
/// says so, with the public comment only.
async fn domain_blocks(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    auth.user_with("read")?;
    let all = ctx
        .db
        .read(|conn| crate::service::policy::domains::all(conn).map(|(_, _, blocks)| blocks))
        .await?;
    Ok(HttpResponse::Ok().json(
        all.iter()
            .map(|b| {
                serde_json::json!({
                    "domain": b.public_domain(),
                    "digest": b.digest(),
                    "severity": b.severity().as_str(),
                    "comment": b.public_comment,
                })
            })
            .collect::<Vec<_>>(),
    ))
}

/// <https://docs.joinmastodon.org/methods/instance/#activity>: the last 12 weeks, this week
/// first, counts as strings. Sign-ins and new accounts fewer than `metrics.min_group_size` in
/// a week are shown as "0", so that no week points at one employee (see
/// `service::instance::weekly_activity`).
async fn activity(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let weeks = instance::activity(&ctx).await?;
    Ok(HttpResponse::Ok().json(
        weeks
            .iter()
            .map(|w| {
                serde_json::json!({
                    "week": w.week.to_string(),
                    "statuses": w.statuses.to_string(),
                    "logins": w.logins.to_string(),
                    "registrations": w.registrations.to_string(),
                })
            })
            .collect::<Vec<_>>(),
    ))
}

/// <https://docs.joinmastodon.org/methods/instance/#languages>: the ISO 639-1 languages.
async fn languages() -> HttpResponse {
    HttpResponse::Ok().json(
        crate::service::languages::ISO_639_1
            .iter()
            .map(|(code, name)| serde_json::json!({"code": code, "name": name}))
            .collect::<Vec<_>>(),
    )
}

/// <https://docs.joinmastodon.org/methods/instance/#privacy_policy>: from
/// `instance.privacy_policy_file`, or the default saying what Groundswell stores.
async fn privacy_policy(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let (updated_at, content) = instance::privacy_policy(&ctx.settings).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "updated_at": super::entities::iso_datetime(updated_at),
        "content": content,
    })))
}
