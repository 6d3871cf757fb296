//! Server-rendered pages (templates in `frontend/templates`): sign-in, the OAuth authorize
//! page, the home page, and static files.

pub mod pages;
pub mod session;

use actix_web::{HttpResponse, web};

pub use pages::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::home))
        .route("/", web::head().to(pages::home))
        .route("/auth/sign_in", web::get().to(pages::sign_in_form))
        .route("/auth/sign_in", web::post().to(pages::sign_in))
        .route("/auth/sign_out", web::post().to(pages::sign_out))
        .route("/static/avatar.png", web::get().to(avatar))
        .route("/static/header.png", web::get().to(header));
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
