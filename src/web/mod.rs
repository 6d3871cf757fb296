//! Server-rendered pages (templates in `frontend/templates`): sign-in (password or the
//! company's identity provider), the OAuth authorize page, the home page, profiles and posts,
//! the usage policy, the people directory, an employee's settings, and static files.

pub mod accounts;
pub mod admin;
pub mod authorize;
pub mod cards;
pub mod compose;
pub mod i18n;
pub mod notifications;
pub mod pages;
pub mod people;
pub mod posts;
pub mod profiles;
pub mod session;
pub mod settings;
pub mod shell;
pub mod sso;
pub mod timelines;
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
        .route("/about/metrics", web::get().to(pages::about_metrics))
        .route("/about/usage-policy", web::post().to(usage_policy::accept))
        .route("/@{username}", web::get().to(profiles::profile))
        .route("/@{username}/{id}", web::get().to(profiles::status))
        .route("/static/app.js", web::get().to(script))
        .configure(people::configure)
        .configure(timelines::configure)
        .configure(compose::configure)
        .configure(posts::configure)
        .configure(accounts::configure)
        .configure(notifications::configure)
        .configure(settings::configure)
        .configure(admin::configure)
        .configure(authorize::configure)
        .configure(sso::configure);
}

/// The employee pages' script (compiled into the binary): progressive enhancement only —
/// every page works without it.
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../frontend/static/app.js"))
}

/// Uploaded media, from `storage.data_dir`. Paths are unguessable and files never change.
/// One byte range (`Range: bytes=a-b`) is answered with 206, as video players ask.
async fn media_file(
    ctx: web::Data<crate::context::AppContext>,
    req: actix_web::HttpRequest,
    path: web::Path<(String, String)>,
) -> crate::error::Result<HttpResponse> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let (folder, file) = path.into_inner();
    if !crate::service::media::valid_media_path(&folder, &file) {
        return Err(crate::error::Error::not_found());
    }
    let disk = crate::service::media::disk_path(&ctx.settings, &format!("media/{folder}/{file}"));
    let mut opened = match tokio::fs::File::open(&disk).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(crate::error::Error::not_found());
        }
        Err(e) => return Err(crate::error::Error::internal(e)),
    };
    let len = opened
        .metadata()
        .await
        .map_err(crate::error::Error::internal)?
        .len();
    let range = req
        .headers()
        .get(actix_web::http::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| byte_range(r, len));
    let mut resp = match range {
        Some(None) => {
            return Ok(HttpResponse::RangeNotSatisfiable()
                .insert_header(("Content-Range", format!("bytes */{len}")))
                .finish());
        }
        Some(Some((start, end))) => {
            let mut resp = HttpResponse::PartialContent();
            resp.insert_header(("Content-Range", format!("bytes {start}-{end}/{len}")));
            opened
                .seek(std::io::SeekFrom::Start(start))
                .await
                .map_err(crate::error::Error::internal)?;
            let mut bytes = Vec::new();
            (&mut opened)
                .take(end - start + 1)
                .read_to_end(&mut bytes)
                .await
                .map_err(crate::error::Error::internal)?;
            return Ok(media_headers(&mut resp, &file).body(bytes));
        }
        None => HttpResponse::Ok(),
    };
    let mut bytes = Vec::new();
    opened
        .read_to_end(&mut bytes)
        .await
        .map_err(crate::error::Error::internal)?;
    Ok(media_headers(&mut resp, &file).body(bytes))
}

fn media_headers<'a>(
    resp: &'a mut actix_web::HttpResponseBuilder,
    file: &str,
) -> &'a mut actix_web::HttpResponseBuilder {
    resp.content_type(crate::service::media::content_type_for(file))
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Accept-Ranges", "bytes"))
}

/// The inclusive byte range one `Range` header asks of a file of `len` bytes: `None` for what
/// is not a single byte range (the whole file is sent), `Some(None)` for a range past the end.
fn byte_range(header: &str, len: u64) -> Option<Option<(u64, u64)>> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let suffix: u64 = b.parse().ok()?;
        if suffix == 0 || len == 0 {
            return Some(None);
        }
        return Some(Some((len.saturating_sub(suffix), len - 1)));
    }
    let start: u64 = a.parse().ok()?;
    let end = if b.is_empty() {
        u64::MAX
    } else {
        b.parse::<u64>().ok()?
    };
    if end < start {
        return None;
    }
    if start >= len {
        return Some(None);
    }
    Some(Some((start, end.min(len - 1))))
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

#[cfg(test)]
mod tests {
    #[test]
    fn byte_ranges() {
        use super::byte_range;
        assert_eq!(byte_range("bytes=0-1", 10), Some(Some((0, 1))));
        assert_eq!(byte_range("bytes=4-", 10), Some(Some((4, 9))));
        assert_eq!(byte_range("bytes=5-100", 10), Some(Some((5, 9))));
        assert_eq!(byte_range("bytes=-3", 10), Some(Some((7, 9))));
        assert_eq!(byte_range("bytes=10-", 10), Some(None));
        assert_eq!(byte_range("bytes=0-1,4-5", 10), None);
        assert_eq!(byte_range("bytes=5-2", 10), None);
        assert_eq!(byte_range("items=0-1", 10), None);
    }
}
