//! The usage policy, for employees: read the version in force, accept it. (Admins publish
//! through `api::admin::usage_policy`; the web page is `web::usage_policy`.)

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::{Auth, MaybeAuth};
use crate::api::params::{Params, lenient};
use crate::config::Settings;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::usage_policy::{self, Standing, export_time};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/groundswell/usage_policy", web::get().to(show))
        .route(
            "/v1/groundswell/usage_policy/accept",
            web::post().to(accept),
        );
}

/// The current version, and when the caller accepted it (`null`: not yet, or anonymous).
pub fn standing_entity(settings: &Settings, standing: &Standing) -> Value {
    json!({
        "version": standing.version.number,
        "text": standing.version.text,
        "html": standing.version.html(),
        "published_at": export_time(standing.version.published_at),
        "url": usage_policy::policy_url(settings),
        "accepted_at": standing.accepted_at.map(export_time),
    })
}

/// `GET /api/v1/groundswell/usage_policy`: public; with an employee's token it says whether
/// they accepted. `404` when no policy was published.
async fn show(ctx: web::Data<AppContext>, auth: MaybeAuth) -> Result<HttpResponse> {
    let me = auth
        .0
        .as_ref()
        .and_then(|a| a.0.user.as_ref())
        .map(|u| u.account.id);
    let standing = ctx
        .db
        .read(move |conn| usage_policy::standing(conn, me))
        .await?;
    Ok(HttpResponse::Ok().json(standing_entity(&ctx.settings, &standing)))
}

#[derive(Debug, Deserialize)]
struct AcceptParams {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    version: Option<u32>,
}

/// `POST /api/v1/groundswell/usage_policy/accept` with `version` (the current one, else 422).
async fn accept(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<AcceptParams>,
) -> Result<HttpResponse> {
    let account = auth.user_with("write:accounts")?.account.clone();
    let version = p
        .version
        .ok_or_else(|| Error::unprocessable("Validation failed: give the `version` you accept"))?;
    let standing = usage_policy::accept(&ctx, &account, i64::from(version)).await?;
    Ok(HttpResponse::Ok().json(standing_entity(&ctx.settings, &standing)))
}
