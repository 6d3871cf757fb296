//! Media uploads. <https://docs.joinmastodon.org/methods/media/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::entities::media::media_entity;
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{FileFields, Params, ParamsWithFiles};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::media::{self, MediaDetails};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/media", web::post().to(upload))
        .route("/v1/media", web::post().to(upload))
        .route("/v1/media/{id}", web::get().to(get))
        .route("/v1/media/{id}", web::put().to(update));
}

#[derive(Debug, Deserialize)]
struct MediaParams {
    description: Option<String>,
    focus: Option<String>,
}

impl FileFields for MediaParams {
    // `thumbnail` is Mastodon's custom preview of a video or audio file: accepted, unused.
    const FILES: &'static [&'static str] = &["file", "thumbnail"];
    const TAKES_VIDEO: bool = true;
}

/// <https://docs.joinmastodon.org/methods/media/#v2>
///
/// Images are decoded and re-encoded; video and audio (recognised by their first bytes,
/// whatever the client says) are read with ffprobe, given a preview frame by ffmpeg and
/// stored as sent.
async fn upload(
    ctx: web::Data<AppContext>,
    auth: Auth,
    ParamsWithFiles(p, files): ParamsWithFiles<MediaParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:media")?.account.id;
    let file = files
        .into_iter()
        .find(|f| f.field == "file")
        .ok_or_else(|| Error::unprocessable("Validation failed: File can't be blank"))?;
    let details = MediaDetails {
        description: p.description,
        focus: p.focus,
    };
    let saved = media::upload(&ctx, me, file.file, details).await?;
    Ok(HttpResponse::Ok().json(media_entity(&saved, &ctx.settings)))
}

/// <https://docs.joinmastodon.org/methods/media/#get>
async fn get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:media")?.account.id;
    let id = parse_id(&id)?;
    let found = ctx
        .db
        .read(move |conn| media::find_unattached(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(media_entity(&found, &ctx.settings)))
}

/// <https://docs.joinmastodon.org/methods/media/#update>
async fn update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<MediaParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:media")?.account.id;
    let id = parse_id(&id)?;
    let settings = ctx.settings.clone();
    let details = MediaDetails {
        description: p.description,
        focus: p.focus,
    };
    let updated = ctx
        .db
        .write(move |conn| media::update(conn, &settings, me, id, details))
        .await?;
    Ok(HttpResponse::Ok().json(media_entity(&updated, &ctx.settings)))
}
