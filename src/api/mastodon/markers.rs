//! Timeline positions. <https://docs.joinmastodon.org/methods/markers/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::entities::marker::markers_by_timeline;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::markers::{self, Timeline};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/markers", web::get().to(get))
        .route("/v1/markers", web::post().to(save));
}

#[derive(Debug, Deserialize)]
struct GetParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    timeline: Vec<String>,
}

/// <https://docs.joinmastodon.org/methods/markers/#get>
async fn get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<GetParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:statuses")?.account.id;
    // Unknown timeline names name no marker (as on Mastodon).
    let timelines: Vec<Timeline> = p.timeline.iter().filter_map(|t| t.parse().ok()).collect();
    let found = ctx
        .db
        .read(move |conn| markers::get(conn, me, &timelines))
        .await?;
    Ok(HttpResponse::Ok().json(markers_by_timeline(&found)))
}

#[derive(Debug, Deserialize)]
struct MarkerParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    last_read_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SaveParams {
    home: Option<MarkerParams>,
    notifications: Option<MarkerParams>,
}

fn last_read_id(p: MarkerParams) -> Result<i64> {
    let raw = p.last_read_id.unwrap_or_default();
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Last read can't be blank",
        ));
    }
    raw.parse::<i64>()
        .map_err(|_| Error::unprocessable("Validation failed: Last read is not a valid id"))
}

/// <https://docs.joinmastodon.org/methods/markers/#create>
async fn save(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<SaveParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:statuses")?.account.id;
    let mut positions = Vec::new();
    if let Some(home) = p.home {
        positions.push((Timeline::Home, last_read_id(home)?));
    }
    if let Some(notifications) = p.notifications {
        positions.push((Timeline::Notifications, last_read_id(notifications)?));
    }
    let saved = ctx
        .db
        .write(move |conn| {
            positions
                .into_iter()
                .map(|(timeline, id)| markers::save(conn, me, timeline, id))
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(markers_by_timeline(&saved)))
}
