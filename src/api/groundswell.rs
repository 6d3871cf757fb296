//! Groundswell's own endpoints for employees, beside the Mastodon API
//! (`/api/v1/groundswell/…`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::api::auth::Auth;
use crate::api::mastodon::entities::status::policy_entity;
use crate::api::mastodon::statuses::parse_visibility;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::statuses::{self, NewPost};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/groundswell/policy/check", web::post().to(check));
}

/// A draft, as `POST /api/v1/statuses` takes it.
#[derive(Debug, Deserialize)]
struct DraftParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    spoiler_text: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    visibility: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    local_only: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    media_ids: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    in_reply_to_id: Option<String>,
}

/// `POST /api/v1/groundswell/policy/check`: the rules a draft would match (scope
/// `write:statuses`). Takes the parameters of posting: `status`, `spoiler_text`,
/// `visibility` (and `local_only`), `media_ids[]`, `in_reply_to_id`.
async fn check(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<DraftParams>,
) -> Result<HttpResponse> {
    let user = auth.user_with("write:statuses")?.clone();
    let visibility = parse_visibility(p.visibility.as_deref(), p.local_only)?;
    let in_reply_to_id = match p.in_reply_to_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(super::mastodon::parse_id(id)?),
    };
    let draft = NewPost {
        text: p.status.unwrap_or_default(),
        spoiler_text: p.spoiler_text.unwrap_or_default(),
        visibility,
        media_ids: p.media_ids,
        in_reply_to_id,
        ..Default::default()
    };
    let verdict = statuses::check_draft(&ctx, user, draft).await?;
    Ok(HttpResponse::Ok().json(policy_entity(&verdict)))
}
