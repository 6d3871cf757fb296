//! Media uploads. <https://docs.joinmastodon.org/methods/media/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::entities::media::media_entity;
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{FileFields, Params, ParamsWithFiles};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::av;
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
    let settings = ctx.settings.clone();
    let (file, container) = tokio::task::spawn_blocking(move || -> Result<_> {
        use std::io::Read;
        let mut head = Vec::with_capacity(64);
        std::fs::File::open(file.path())
            .and_then(|f| f.take(64).read_to_end(&mut head))
            .map_err(Error::internal)?;
        let container = av::sniff(&head);
        if container.is_some() {
            if file.size > settings.limits.max_video_bytes as u64 {
                return Err(av::too_large(&settings));
            }
            av::check_tools(&settings)?;
        } else if file.size > settings.limits.max_image_bytes as u64 {
            return Err(media::too_large(&settings, false));
        }
        Ok((file, container))
    })
    .await??;
    let settings = ctx.settings.clone();
    let stored = match container {
        Some(container) => {
            let probed = av::probe(&settings, container, file.path()).await?;
            let frame = if probed.kind == "video" {
                Some(av::first_frame(&settings, file.path()).await?)
            } else {
                None
            };
            tokio::task::spawn_blocking(move || -> Result<_> {
                let max_pixels = settings.limits.max_image_pixels;
                let preview = frame
                    .map(|png| media::process_image(&png, max_pixels))
                    .transpose()?;
                media::store_av(&settings, file.file, &probed, preview.as_ref())
            })
            .await??
        }
        None => {
            tokio::task::spawn_blocking(move || -> Result<_> {
                let max_pixels = settings.limits.max_image_pixels;
                let image = media::process_image_file(file.path(), max_pixels)?;
                let folder = media::store_files(
                    &settings,
                    &[
                        (&format!("original.{}", image.original_ext), &image.original),
                        (&format!("small.{}", image.preview_ext), &image.preview),
                    ],
                )?;
                Ok(media::StoredUpload::image(&folder, &image))
            })
            .await??
        }
    };
    let settings = ctx.settings.clone();
    let details = MediaDetails {
        description: p.description,
        focus: p.focus,
    };
    let saved = ctx
        .db
        .write(move |conn| media::save_upload(conn, &settings, me, &stored, details))
        .await?;
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
