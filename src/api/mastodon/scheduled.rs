//! Scheduled posts. <https://docs.joinmastodon.org/methods/scheduled_statuses/>

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::{Value, json};

use super::entities::iso_datetime;
use super::entities::media::media_entity;
use super::pagination::{PageParams, paged_response};
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::Params;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::scheduled::{self, Scheduled};
use crate::service::statuses::NewPost;
use crate::service::usage_policy;
use crate::service::users::LocalUser;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/scheduled_statuses", web::get().to(list))
        .route("/v1/scheduled_statuses/{id}", web::get().to(get))
        .route("/v1/scheduled_statuses/{id}", web::put().to(update))
        .route("/v1/scheduled_statuses/{id}", web::delete().to(cancel));
}

/// A time as clients send `scheduled_at`: RFC 3339 (ISO 8601 with a zone).
pub fn parse_time(raw: &str) -> Result<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| {
            Error::unprocessable(
                "Validation failed: Scheduled at must be a time with a zone, e.g. 2026-12-24T09:00:00Z",
            )
        })
}

/// <https://docs.joinmastodon.org/entities/ScheduledStatus/>
fn entity(ctx: &AppContext, s: &Scheduled) -> Value {
    let p = &s.params;
    json!({
        "id": s.id.to_string(),
        "scheduled_at": iso_datetime(s.scheduled_at),
        "params": {
            "text": p.text,
            "poll": p.poll.as_ref().map(|poll| json!({
                "options": poll.options,
                "expires_in": poll.expires_in.map(|e| e.to_string()),
                "multiple": poll.multiple,
                "hide_totals": poll.hide_totals,
            })),
            "media_ids": if p.media_ids.is_empty() { Value::Null } else { json!(p.media_ids) },
            "sensitive": p.sensitive,
            "spoiler_text": if p.spoiler_text.is_empty() { Value::Null } else { json!(p.spoiler_text) },
            "visibility": p.visibility,
            "in_reply_to_id": p.in_reply_to_id.map(|id| id.to_string()),
            "language": p.language,
            "application_id": s.application_id.map(|id| id.to_string()),
            "scheduled_at": null,
            "idempotency": null,
            "with_rate_limit": false,
        },
        "media_attachments": s.media.iter().map(|m| media_entity(m, &ctx.settings)).collect::<Vec<_>>(),
    })
}

/// `POST /api/v1/statuses` with `scheduled_at`: kept until then (at least
/// `limits.scheduled_status_min_lead_secs` ahead), answered with the ScheduledStatus.
pub async fn schedule(
    ctx: &AppContext,
    user: LocalUser,
    post: NewPost,
    at: NaiveDateTime,
) -> Result<HttpResponse> {
    usage_policy::require_accepted(ctx, &user.account).await?;
    let params = scheduled::Params {
        text: post.text,
        in_reply_to_id: post.in_reply_to_id,
        sensitive: post.sensitive,
        spoiler_text: post.spoiler_text,
        visibility: post.visibility.map(|v| v.as_str().to_string()),
        language: post.language,
        media_ids: post.media_ids,
        poll: post.poll,
    };
    let lead = ctx.settings.limits.scheduled_status_min_lead_secs;
    let application_id = post.application_id;
    let made = ctx
        .db
        .write(move |conn| scheduled::schedule(conn, &user, params, application_id, at, lead))
        .await?;
    Ok(HttpResponse::Ok().json(entity(ctx, &made)))
}

/// <https://docs.joinmastodon.org/methods/scheduled_statuses/#get>
async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:statuses")?.account.id;
    let page = page.page_with(20, 40);
    let found = ctx
        .db
        .read(move |conn| scheduled::list(conn, me, &page))
        .await?;
    let ids: Vec<i64> = found.iter().map(|s| s.id).collect();
    Ok(paged_response(&ctx, &req, &ids)
        .json(found.iter().map(|s| entity(&ctx, s)).collect::<Vec<_>>()))
}

/// <https://docs.joinmastodon.org/methods/scheduled_statuses/#get-one>
async fn get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:statuses")?.account.id;
    let id = parse_id(&id)?;
    let found = ctx
        .db
        .read(move |conn| scheduled::find(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(entity(&ctx, &found)))
}

#[derive(Debug, Deserialize)]
struct UpdateParams {
    scheduled_at: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/scheduled_statuses/#update>: a new `scheduled_at`.
async fn update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<UpdateParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:statuses")?.account.id;
    let id = parse_id(&id)?;
    let at = parse_time(p.scheduled_at.as_deref().unwrap_or_default())?;
    let lead = ctx.settings.limits.scheduled_status_min_lead_secs;
    let found = ctx
        .db
        .write(move |conn| scheduled::reschedule(conn, me, id, at, lead))
        .await?;
    Ok(HttpResponse::Ok().json(entity(&ctx, &found)))
}

/// <https://docs.joinmastodon.org/methods/scheduled_statuses/#cancel>
async fn cancel(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:statuses")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| scheduled::cancel(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
