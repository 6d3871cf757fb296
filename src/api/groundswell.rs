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
    cfg.route("/v1/groundswell/policy/check", web::post().to(check))
        .route("/v1/groundswell/people", web::get().to(people));
}

#[derive(Debug, Deserialize)]
struct PeopleParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    q: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    tag: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    department: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    offset: Option<u32>,
}

/// `GET /api/v1/groundswell/people?q=&tag=&department=&limit=&offset=` (`read:accounts`):
/// the people directory of every department — by name, department, title and other fields
/// (`q`), by a hashtag they post about or follow (`tag`, the most posts about it first),
/// by department (`department`, a domain). 40 by default, at most 80.
async fn people(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<PeopleParams>,
) -> Result<HttpResponse> {
    use crate::service::people as directory;
    auth.user_with("read:accounts")?;
    let query = directory::Query {
        q: p.q,
        tag: p.tag,
        department: p.department,
        limit: i64::from(p.limit.unwrap_or(40)),
        offset: i64::from(p.offset.unwrap_or(0)),
    };
    let (found, ids) = ctx
        .db
        .read(move |conn| {
            let found = directory::search(conn, &query)?;
            let uris: Vec<String> = found.iter().map(|e| e.ap_id.clone()).collect();
            Ok((found, directory::known_ids(conn, &uris)?))
        })
        .await?;
    let own = ctx.settings.instance.domain.as_str().to_string();
    let body: Vec<serde_json::Value> = found
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": ids.get(&e.ap_id).map(|id| id.to_string()),
                "uri": e.ap_id,
                "acct": if e.domain == own { e.username.clone() } else { format!("{}@{}", e.username, e.domain) },
                "username": e.username,
                "display_name": e.display_name,
                "note": e.note,
                "url": e.url,
                "avatar": e.avatar_url,
                "department": e.domain,
                "fields": e.fields(),
                "interests": e.interests(),
                "synced_at": format!("{}Z", e.synced_at.format("%Y-%m-%dT%H:%M:%S%.3f")),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
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
