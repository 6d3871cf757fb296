//! Administrators publish announcements and see how many employees read each (a count only
//! when at least `metrics.min_group_size` did; never who).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::mastodon::entities::iso_datetime;
use crate::api::mastodon::parse_id;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::announcements::{self, Announcement, CompanyReads, Draft, Reads};
use crate::service::audit::Actor;
use crate::service::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/groundswell/admin/announcements", web::get().to(list))
        .route(
            "/v1/groundswell/admin/announcements",
            web::post().to(publish),
        )
        .route(
            "/v1/groundswell/admin/announcements/{id}",
            web::put().to(update),
        )
        .route(
            "/v1/groundswell/admin/announcements/{id}",
            web::delete().to(delete),
        );
}

fn company_entity(c: &CompanyReads) -> Value {
    json!({
        "audience": c.audience,
        "read_by": c.readers,
        "read_by_is_lower_bound": c.partial,
        "read_rate": c.rate().map(|r| (r * 10.0).round() / 10.0),
        "departments": c.departments.iter().map(|d| json!({
            "domain": d.domain,
            "audience": d.audience,
            "read_by": d.readers,
            "read_by_suppressed": d.readers.is_none(),
            "reported_at": d.reported_at.map(iso_datetime),
        })).collect::<Vec<_>>(),
    })
}

fn admin_entity(a: &Announcement, reads: &Reads) -> Value {
    let read_by = reads.here(a.id);
    json!({
        "id": a.id.to_string(),
        "text": a.text,
        "content": a.html(),
        "starts_at": a.starts_at.map(iso_datetime),
        "ends_at": a.ends_at.map(iso_datetime),
        "all_day": a.all_day,
        "published_at": iso_datetime(a.published_at),
        "updated_at": iso_datetime(a.updated_at),
        "published_by": a.published_by,
        "read_by": read_by,
        "read_by_suppressed": read_by.is_none(),
        "company_wide": a.company_wide,
        "origin": a.origin_domain,
        "company": reads.company(a.id).map(company_entity),
    })
}

#[derive(Debug, Deserialize)]
struct DraftParams {
    text: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    starts_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    ends_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    all_day: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    company_wide: Option<bool>,
}

impl DraftParams {
    fn draft(self) -> Result<Draft> {
        let time = |raw: Option<String>| -> Result<Option<chrono::NaiveDateTime>> {
            match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => crate::api::mastodon::scheduled::parse_time(s).map(Some),
            }
        };
        Ok(Draft {
            text: self.text.unwrap_or_default(),
            starts_at: time(self.starts_at)?,
            ends_at: time(self.ends_at)?,
            all_day: self.all_day.unwrap_or(false),
            company_wide: self.company_wide.unwrap_or(false),
        })
    }
}

fn admin(auth: &Auth, scope: &str) -> Result<Actor> {
    Ok(Actor::Account(
        auth.admin_with(scope, Role::Admin)?.account.id,
    ))
}

/// `GET /api/v1/groundswell/admin/announcements`: every announcement, newest first, with
/// `read_by` (null and `read_by_suppressed` when fewer than `metrics.min_group_size` read it)
/// and, for a company-wide one of ours, `company`: each department's reach and reads.
async fn list(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    admin(&auth, "admin:read")?;
    let settings = ctx.settings.clone();
    let (all, reads) = ctx
        .db
        .read(move |conn| {
            Ok((
                announcements::all(conn)?,
                announcements::reads(conn, &settings)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        all.iter()
            .map(|a| admin_entity(a, &reads))
            .collect::<Vec<_>>(),
    ))
}

/// `POST /api/v1/groundswell/admin/announcements` with `text` (Markdown), `starts_at`,
/// `ends_at`, `all_day`.
async fn publish(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<DraftParams>,
) -> Result<HttpResponse> {
    let by = admin(&auth, "admin:write")?;
    let draft = p.draft()?;
    let made = ctx
        .db
        .write(move |conn| announcements::publish(conn, &by, draft))
        .await?;
    Ok(HttpResponse::Ok().json(admin_entity(&made, &Reads::default())))
}

/// `PUT /api/v1/groundswell/admin/announcements/:id`: the whole announcement again.
async fn update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<DraftParams>,
) -> Result<HttpResponse> {
    let by = admin(&auth, "admin:write")?;
    let id = parse_id(&id)?;
    let draft = p.draft()?;
    let settings = ctx.settings.clone();
    let (changed, reads) = ctx
        .db
        .write(move |conn| {
            let changed = announcements::update(conn, &by, id, draft)?;
            Ok((changed, announcements::reads(conn, &settings)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(admin_entity(&changed, &reads)))
}

/// `DELETE /api/v1/groundswell/admin/announcements/:id`
async fn delete(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let by = admin(&auth, "admin:write")?;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| announcements::delete(conn, &by, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
