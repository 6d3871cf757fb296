//! Statuses. <https://docs.joinmastodon.org/methods/statuses/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::entities::account::account_from_row;
use super::entities::status::{
    posted_entity, status_edit_entity, status_from_view, status_source_entity,
};
use super::pagination::PageParams;
use super::{parse_id, render_accounts, render_status, render_status_list};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::origin::Origin;
use crate::service::polls::PollInput;
use crate::service::statuses::{self, Edit, NewPost};
use crate::service::views;
use crate::service::visibility::Visibility;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/statuses", web::post().to(create))
        .route("/v1/statuses", web::get().to(many))
        .route("/v1/statuses/{id}", web::get().to(get))
        .route("/v1/statuses/{id}", web::delete().to(delete))
        .route("/v1/statuses/{id}", web::put().to(edit))
        .route("/v1/statuses/{id}/context", web::get().to(context))
        .route("/v1/statuses/{id}/history", web::get().to(history))
        .route("/v1/statuses/{id}/source", web::get().to(source))
        .route(
            "/v1/statuses/{id}/favourited_by",
            web::get().to(favourited_by),
        )
        .route(
            "/v1/statuses/{id}/reblogged_by",
            web::get().to(reblogged_by),
        )
        .route("/v1/statuses/{id}/favourite", web::post().to(favourite))
        .route("/v1/statuses/{id}/unfavourite", web::post().to(unfavourite))
        .route("/v1/statuses/{id}/reblog", web::post().to(reblog))
        .route("/v1/statuses/{id}/unreblog", web::post().to(unreblog))
        .route("/v1/statuses/{id}/bookmark", web::post().to(bookmark))
        .route("/v1/statuses/{id}/unbookmark", web::post().to(unbookmark))
        .route("/v1/statuses/{id}/pin", web::post().to(pin))
        .route("/v1/statuses/{id}/unpin", web::post().to(unpin))
        .route("/v1/statuses/{id}/mute", web::post().to(mute))
        .route("/v1/statuses/{id}/unmute", web::post().to(unmute));
}

#[derive(Debug, Deserialize)]
struct StatusParams {
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    in_reply_to_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    sensitive: Option<bool>,
    spoiler_text: Option<String>,
    visibility: Option<String>,
    /// GoToSocial / Hometown's spelling of department-only.
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    local_only: Option<bool>,
    language: Option<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    media_ids: Vec<String>,
    poll: Option<Value>,
    scheduled_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PollParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    options: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    expires_in: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    multiple: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    hide_totals: Option<bool>,
}

/// `poll[options][]=…&poll[expires_in]=…` or `{"poll": {"options": […], …}}`.
fn parse_poll(raw: Value) -> Result<PollInput> {
    let p: PollParams = serde_json::from_value(raw)
        .map_err(|e| Error::unprocessable(format!("Validation failed: poll: {e}")))?;
    Ok(PollInput {
        options: p.options,
        expires_in: p.expires_in,
        multiple: p.multiple.unwrap_or(false),
        hide_totals: p.hide_totals.unwrap_or(false),
    })
}

/// `visibility` (incl. Akkoma's `local`) combined with `local_only`.
pub(crate) fn parse_visibility(
    visibility: Option<&str>,
    local_only: Option<bool>,
) -> Result<Option<Visibility>> {
    let v = visibility
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::parse::<Visibility>)
        .transpose()?;
    match (v, local_only.unwrap_or(false)) {
        (v, false) => Ok(v),
        (None | Some(Visibility::Public | Visibility::Unlisted | Visibility::Local), true) => {
            Ok(Some(Visibility::Local))
        }
        (Some(_), true) => Err(Error::unprocessable(
            "Validation failed: local_only can only be combined with public or unlisted visibility",
        )),
    }
}

/// <https://docs.joinmastodon.org/methods/statuses/#create>
async fn create(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<StatusParams>,
) -> Result<HttpResponse> {
    let user = auth.user_with("write:statuses")?.clone();
    let scheduled_at = match p.scheduled_at.as_deref().map(str::trim) {
        Some(raw) if !raw.is_empty() => Some(super::scheduled::parse_time(raw)?),
        _ => None,
    };
    let in_reply_to_id = match p.in_reply_to_id.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| Error::not_found())?),
        None => None,
    };
    let idempotency_key = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.chars().take(200).collect::<String>())
        .filter(|k| !k.is_empty());
    let post = NewPost {
        text: p.status.unwrap_or_default(),
        in_reply_to_id,
        sensitive: p.sensitive.unwrap_or(user.user.default_sensitive),
        spoiler_text: p.spoiler_text.unwrap_or_default(),
        visibility: parse_visibility(p.visibility.as_deref(), p.local_only)?,
        language: p.language.or(user.user.default_language.clone()),
        media_ids: p.media_ids,
        poll: p
            .poll
            .filter(|v| !v.is_null())
            .map(parse_poll)
            .transpose()?,
        idempotency_key,
        application_id: auth.0.token.application_id,
    };
    if let Some(at) = scheduled_at {
        return super::scheduled::schedule(&ctx, user, post, at).await;
    }
    let (view, verdict) = statuses::post(&ctx, user, post).await?;
    Ok(HttpResponse::Ok().json(posted_entity(&view, &verdict, &ctx.settings)))
}

/// <https://docs.joinmastodon.org/methods/statuses/#get>
async fn get(
    ctx: web::Data<AppContext>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let id = parse_id(&id)?;
    render_status(&ctx, viewer, move |conn| {
        crate::service::visibility::find_visible(conn, viewer, id)
    })
    .await
}

/// Most statuses `GET /api/v1/statuses?id[]=` answers at once (more ids are ignored).
pub const MAX_MANY: usize = 40;

#[derive(Debug, Deserialize)]
struct ManyParams {
    #[serde(default, deserialize_with = "crate::api::params::lenient::string_list")]
    id: Vec<String>,
}

/// <https://docs.joinmastodon.org/methods/statuses/#index>: several statuses by id, in the
/// order asked; those the viewer may not see (or that do not exist) are left out.
async fn many(
    ctx: web::Data<AppContext>,
    auth: MaybeAuth,
    Params(p): Params<ManyParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let ids = super::id_list(&p.id, MAX_MANY);
    render_status_list(&ctx, viewer, move |conn| {
        crate::service::visibility::find_many_visible(conn, viewer, &ids)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/statuses/#delete>
async fn delete(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let author = auth.user_with("write:statuses")?.account.clone();
    let me = author.id;
    let id = parse_id(&id)?;
    let view = ctx
        .db
        .write(move |conn| {
            let status = statuses::delete(conn, &author, id, Origin::Local)?;
            let mut view = views::hydrate(conn, Some(me), vec![status.clone()])?;
            // Deleted rows are no longer visible; build the view from the row we had.
            match view.pop() {
                Some(v) => Ok(v),
                None => Ok(views::StatusView::bare(
                    status,
                    crate::service::accounts::find(conn, me)?,
                )),
            }
        })
        .await?;
    let mut entity = status_from_view(&view, &ctx.settings);
    entity.text = Some(view.status.source_text.clone().unwrap_or_default());
    Ok(HttpResponse::Ok().json(entity))
}

/// <https://docs.joinmastodon.org/methods/statuses/#edit>
async fn edit(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<StatusParams>,
) -> Result<HttpResponse> {
    let user = auth.user_with("write:statuses")?.clone();
    let id = parse_id(&id)?;
    let edit = Edit {
        text: p.status.unwrap_or_default(),
        sensitive: p.sensitive.unwrap_or(false),
        spoiler_text: p.spoiler_text.unwrap_or_default(),
        language: p.language,
        media_ids: p.media_ids,
        has_poll: p.poll.as_ref().is_some_and(|v| !v.is_null()),
    };
    let (view, verdict) = statuses::update(&ctx, user, id, edit).await?;
    Ok(HttpResponse::Ok().json(posted_entity(&view, &verdict, &ctx.settings)))
}

/// <https://docs.joinmastodon.org/methods/statuses/#context>
async fn context(
    ctx: web::Data<AppContext>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let id = parse_id(&id)?;
    let caches = ctx.caches.clone();
    let (ancestors, descendants) = ctx
        .db
        .read(move |conn| {
            let (a, d) = statuses::context(conn, viewer, id)?;
            Ok((
                views::hydrate_cached(conn, &caches.statuses, viewer, a)?,
                views::hydrate_cached(conn, &caches.statuses, viewer, d)?,
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "ancestors": ancestors.iter().map(|v| status_from_view(v, &ctx.settings)).collect::<Vec<_>>(),
        "descendants": descendants.iter().map(|v| status_from_view(v, &ctx.settings)).collect::<Vec<_>>(),
    })))
}

/// <https://docs.joinmastodon.org/methods/statuses/#history>
async fn history(
    ctx: web::Data<AppContext>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let id = parse_id(&id)?;
    let (status, edits, author) = ctx
        .db
        .read(move |conn| {
            let (status, edits) = statuses::history(conn, viewer, id)?;
            let author = crate::service::accounts::find(conn, status.account_id)?;
            Ok((status, edits, author))
        })
        .await?;
    let account = account_from_row(&author, &ctx.settings.instance.base_url());
    let mut out: Vec<Value> = edits
        .iter()
        .map(|e| status_edit_entity(e, &account))
        .collect();
    if out.is_empty() {
        // Never edited: the history is the status itself.
        let current = crate::db::models::StatusEdit {
            id: status.id,
            status_id: status.id,
            account_id: status.account_id,
            content: status.content.clone(),
            spoiler_text: status.spoiler_text.clone(),
            sensitive: status.sensitive,
            media_ids: "[]".into(),
            created_at: status.created_at,
        };
        out.push(status_edit_entity(&current, &account));
    }
    Ok(HttpResponse::Ok().json(out))
}

/// <https://docs.joinmastodon.org/methods/statuses/#source>
async fn source(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:statuses")?.account.id;
    let id = parse_id(&id)?;
    let status = ctx
        .db
        .read(move |conn| {
            // Anyone who may see the post may see its source (as Mastodon authorises it).
            crate::service::visibility::find_visible(conn, Some(me), id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(status_source_entity(&status)))
}

/// <https://docs.joinmastodon.org/methods/statuses/#favourited_by>
async fn favourited_by(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    id: web::Path<String>,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:accounts")?.map(|u| u.account.id);
    let id = parse_id(&id)?;
    let page = page.page();
    let rows = ctx
        .db
        .read(move |conn| statuses::favourited_by(conn, viewer, id, &page))
        .await?;
    render_accounts(&ctx, &req, rows)
}

/// <https://docs.joinmastodon.org/methods/statuses/#reblogged_by>
async fn reblogged_by(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    id: web::Path<String>,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:accounts")?.map(|u| u.account.id);
    let id = parse_id(&id)?;
    let page = page.page();
    let rows = ctx
        .db
        .read(move |conn| statuses::reblogged_by(conn, viewer, id, &page))
        .await?;
    render_accounts(&ctx, &req, rows)
}

/// Run a write action on a status as the token's employee, then return the status as they see it.
async fn act<F>(
    ctx: web::Data<AppContext>,
    auth: Auth,
    scope: &str,
    id: web::Path<String>,
    action: F,
) -> Result<HttpResponse>
where
    F: FnOnce(
            &mut crate::db::DbConnection,
            &crate::config::Settings,
            &crate::service::users::LocalUser,
            i64,
        ) -> Result<crate::db::models::Status>
        + Send
        + 'static,
{
    let user = auth.user_with(scope)?.clone();
    let id = parse_id(&id)?;
    let settings = ctx.settings.clone();
    let me = user.account.id;
    let status = ctx
        .db
        .write(move |conn| action(conn, &settings, &user, id))
        .await?;
    render_status(&ctx, Some(me), move |_| Ok(status)).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#favourite>
async fn favourite(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let user = auth.user_with("write:favourites")?.clone();
    let me = user.account.id;
    let status = statuses::like(&ctx, user, parse_id(&id)?).await?;
    render_status(&ctx, Some(me), move |_| Ok(status)).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#unfavourite>
async fn unfavourite(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:favourites", id, |c, _, u, id| {
        statuses::unfavourite(c, &u.account, id, Origin::Local)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct ReblogParams {
    visibility: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/statuses/#boost>
async fn reblog(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<ReblogParams>,
) -> Result<HttpResponse> {
    let visibility = parse_visibility(p.visibility.as_deref(), None)?;
    let user = auth.user_with("write:statuses")?.clone();
    let me = user.account.id;
    let boost = statuses::boost(&ctx, user, parse_id(&id)?, visibility).await?;
    render_status(&ctx, Some(me), move |_| Ok(boost)).await
}

/// <https://docs.joinmastodon.org/methods/statuses/#unreblog>
async fn unreblog(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:statuses", id, |c, _, u, id| {
        statuses::unreblog(c, &u.account, id, Origin::Local)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/statuses/#bookmark>
async fn bookmark(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:bookmarks", id, |c, _, u, id| {
        statuses::bookmark(c, u.account.id, id, true)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/statuses/#unbookmark>
async fn unbookmark(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:bookmarks", id, |c, _, u, id| {
        statuses::bookmark(c, u.account.id, id, false)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/statuses/#pin>
async fn pin(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:accounts", id, |c, _, u, id| {
        statuses::pin(c, u.account.id, id, true)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/statuses/#mute>: no more notifications about the
/// thread this status is part of.
async fn mute(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:mutes", id, |c, _, u, id| {
        statuses::mute_thread(c, u.account.id, id, true)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/statuses/#unmute>
async fn unmute(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:mutes", id, |c, _, u, id| {
        statuses::mute_thread(c, u.account.id, id, false)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/statuses/#unpin>
async fn unpin(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    act(ctx, auth, "write:accounts", id, |c, _, u, id| {
        statuses::pin(c, u.account.id, id, false)
    })
    .await
}
