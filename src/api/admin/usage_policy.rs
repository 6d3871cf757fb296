//! Publishing the usage policy and exporting who accepted it (admins publish, moderators
//! read).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::usage_policy::{self, PolicyText, Publisher, Version, export_time};
use crate::service::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/v1/groundswell/admin/usage_policy",
        web::post().to(publish),
    )
    .route(
        "/v1/groundswell/admin/usage_policy/versions",
        web::get().to(versions),
    )
    .route(
        "/v1/groundswell/admin/usage_policy/acceptances",
        web::get().to(acceptances),
    );
}

fn version_entity(v: &Version) -> Value {
    json!({
        "version": v.number,
        "text": v.text,
        "published_at": export_time(v.published_at),
        "published_by": v.published_by,
    })
}

#[derive(Debug, Deserialize)]
struct PublishParams {
    text: Option<String>,
}

/// `POST /api/v1/groundswell/admin/usage_policy` with `text` (Markdown): a new version, which
/// every employee must accept before they post or interact again.
async fn publish(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<PublishParams>,
) -> Result<HttpResponse> {
    let admin = auth.admin_with("admin:write", Role::Admin)?.account.id;
    let text = PolicyText::parse(p.text.as_deref().unwrap_or_default())?;
    let version = ctx
        .db
        .write(move |conn| {
            usage_policy::publish(conn, &text, &Publisher::Admin { account_id: admin })
        })
        .await?;
    let mut entity = version_entity(&version);
    entity["html"] = json!(version.html());
    Ok(HttpResponse::Ok().json(entity))
}

/// `GET /api/v1/groundswell/admin/usage_policy/versions`: every version, newest first, with
/// how many employees accepted it.
async fn versions(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Moderator)?;
    let all = ctx.db.read(usage_policy::versions).await?;
    Ok(HttpResponse::Ok().json(
        all.iter()
            .map(|v| {
                let mut entity = version_entity(&v.version);
                entity["acceptances"] = json!(v.acceptances);
                entity
            })
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize)]
struct ExportParams {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    version: Option<u32>,
    format: Option<String>,
}

/// `GET /api/v1/groundswell/admin/usage_policy/acceptances?version=N&format=csv|json`: who
/// accepted a version (default: the current one) and when, oldest first.
async fn acceptances(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<ExportParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Moderator)?;
    let csv = match p.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(Error::unprocessable(format!(
                "Validation failed: `{other}` is not an export format: use csv or json"
            )));
        }
    };
    let version = p.version.map(i64::from);
    let (number, rows) = ctx
        .db
        .read(move |conn| usage_policy::acceptances(conn, version))
        .await?;
    if csv {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"usage-policy-v{number}-acceptances.csv\""),
            ))
            .body(usage_policy::acceptances_csv(&rows)));
    }
    Ok(HttpResponse::Ok().json(usage_policy::acceptances_json(&rows)))
}
