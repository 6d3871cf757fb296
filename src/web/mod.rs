//! Server-rendered pages (templates in `frontend/templates`): sign-in (password or the
//! company's identity provider), the OAuth authorize page, the home page, profiles and posts,
//! the usage policy, and static files.

pub mod admin;
pub mod authorize;
pub mod pages;
pub mod profiles;
pub mod session;
pub mod sso;
pub mod usage_policy;

use actix_web::{HttpResponse, web};

pub use pages::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::home))
        .route("/", web::head().to(pages::home))
        .route("/auth/sign_in", web::get().to(pages::sign_in_form))
        .route("/auth/sign_in", web::post().to(pages::sign_in))
        .route("/auth/sign_out", web::post().to(pages::sign_out))
        .route("/static/avatar.png", web::get().to(avatar))
        .route("/static/header.png", web::get().to(header))
        .route("/media/{folder}/{file}", web::get().to(media_file))
        .route("/about/usage-policy", web::get().to(usage_policy::page))
        .route("/about/usage-policy", web::post().to(usage_policy::accept))
        .route("/@{username}", web::get().to(profiles::profile))
        .route("/@{username}/{id}", web::get().to(profiles::status))
        .configure(admin::configure)
        .configure(authorize::configure)
        .configure(sso::configure);
}

/// Uploaded media, from `storage.data_dir`. Paths are unguessable and files never change.
async fn media_file(
    ctx: web::Data<crate::context::AppContext>,
    path: web::Path<(String, String)>,
) -> crate::error::Result<HttpResponse> {
    let (folder, file) = path.into_inner();
    if !crate::service::media::valid_media_path(&folder, &file) {
        return Err(crate::error::Error::not_found());
    }
    let disk = crate::service::media::disk_path(&ctx.settings, &format!("media/{folder}/{file}"));
    let bytes = match tokio::fs::read(&disk).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(crate::error::Error::not_found());
        }
        Err(e) => return Err(crate::error::Error::internal(e)),
    };
    Ok(HttpResponse::Ok()
        .content_type(crate::service::media::content_type_for(&file))
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(bytes))
}

fn png(bytes: &'static [u8]) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "public, max-age=604800, immutable"))
        .body(bytes)
}

async fn avatar() -> HttpResponse {
    png(include_bytes!("../../frontend/static/avatar.png"))
}

async fn header() -> HttpResponse {
    png(include_bytes!("../../frontend/static/header.png"))
}
