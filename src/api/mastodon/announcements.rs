//! Announcements, as employees' apps show them.
//! <https://docs.joinmastodon.org/methods/announcements/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::iso_datetime;
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::announcements::{self, Shown};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/announcements", web::get().to(list))
        .route("/v1/announcements/{id}/dismiss", web::post().to(dismiss))
        .route(
            "/v1/announcements/{id}/reactions/{name}",
            web::put().to(add_reaction),
        )
        .route(
            "/v1/announcements/{id}/reactions/{name}",
            web::delete().to(remove_reaction),
        );
}

/// <https://docs.joinmastodon.org/entities/Announcement/>
pub fn entity(s: &Shown) -> Value {
    let a = &s.announcement;
    json!({
        "id": a.id.to_string(),
        "content": a.html(),
        "starts_at": a.starts_at.map(iso_datetime),
        "ends_at": a.ends_at.map(iso_datetime),
        "all_day": a.all_day,
        "published_at": iso_datetime(a.published_at),
        "updated_at": iso_datetime(a.updated_at),
        "read": s.read,
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": [],
        "reactions": s.reactions.iter().map(|r| json!({
            "name": r.name, "count": r.count, "me": r.me,
        })).collect::<Vec<_>>(),
    })
}

#[derive(Debug, Deserialize)]
struct ListParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    with_dismissed: Option<bool>,
}

/// <https://docs.joinmastodon.org/methods/announcements/#get>: the current announcements,
/// newest first (with the dismissed ones when `with_dismissed`).
async fn list(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<ListParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read")?.account.id;
    let with_dismissed = p.with_dismissed.unwrap_or(false);
    let shown = ctx
        .db
        .read(move |conn| announcements::current(conn, me, with_dismissed))
        .await?;
    Ok(HttpResponse::Ok().json(shown.iter().map(entity).collect::<Vec<_>>()))
}

/// <https://docs.joinmastodon.org/methods/announcements/#dismiss>
async fn dismiss(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:accounts")?.account.id;
    let id = parse_id(&id)?;
    let min_group = ctx.settings.metrics.min_group_size;
    ctx.db
        .write(move |conn| announcements::dismiss(conn, min_group, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn react(
    ctx: web::Data<AppContext>,
    auth: Auth,
    path: web::Path<(String, String)>,
    on: bool,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:favourites")?.account.id;
    let (id, name) = path.into_inner();
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| announcements::react(conn, me, id, &name, on))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// <https://docs.joinmastodon.org/methods/announcements/#put-reactions>
async fn add_reaction(
    ctx: web::Data<AppContext>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    react(ctx, auth, path, true).await
}

/// <https://docs.joinmastodon.org/methods/announcements/#delete-reactions>
async fn remove_reaction(
    ctx: web::Data<AppContext>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    react(ctx, auth, path, false).await
}
