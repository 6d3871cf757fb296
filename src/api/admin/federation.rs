//! The federation mode (allowlist or blocklist): Groundswell's own endpoint, as Mastodon
//! sets it in its configuration (`LIMITED_FEDERATION_MODE`). Admins change it, moderators
//! read it.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::api::auth::Auth;
use crate::api::params::Params;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::audit::Actor;
use crate::service::policy::domains;
use crate::service::policy::federation::Mode;
use crate::service::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/groundswell/admin/federation", web::get().to(show))
        .route("/v1/groundswell/admin/federation", web::put().to(update));
}

fn entity(ctx: &AppContext, mode: Mode) -> serde_json::Value {
    json!({
        "mode": mode.as_str(),
        // The starting set of allowlist mode, from `federation.allowed_domains`.
        "configured_domains": ctx.settings.federation.allowed_domains,
    })
}

/// `GET /api/v1/groundswell/admin/federation`
async fn show(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Moderator)?;
    let mode = ctx.db.read(domains::mode).await?;
    Ok(HttpResponse::Ok().json(entity(&ctx, mode)))
}

#[derive(Debug, Deserialize)]
struct ModeParams {
    mode: Option<String>,
}

/// `PUT /api/v1/groundswell/admin/federation` with `mode` = `allowlist` or `blocklist`.
async fn update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<ModeParams>,
) -> Result<HttpResponse> {
    let by = Actor::Account(auth.admin_with("admin:write", Role::Admin)?.account.id);
    let mode: Mode = p
        .mode
        .as_deref()
        .ok_or_else(|| Error::unprocessable("Validation failed: give the `mode`"))?
        .parse()?;
    let mode = ctx
        .db
        .write(move |conn| domains::set_mode(conn, &by, mode))
        .await?;
    Ok(HttpResponse::Ok().json(entity(&ctx, mode)))
}
