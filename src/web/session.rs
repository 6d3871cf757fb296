//! The browser session cookie.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, web};

use crate::context::AppContext;
use crate::db::models::WebSession;
use crate::error::Result;
use crate::service::sessions;
use crate::service::users::LocalUser;

pub const SESSION_COOKIE: &str = "gs_session";
pub const CSRF_COOKIE: &str = "gs_csrf";

/// The signed-in employee of a browser request, if any.
pub async fn current(
    ctx: &AppContext,
    req: &HttpRequest,
) -> Result<Option<(WebSession, LocalUser)>> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let token = cookie.value().to_string();
    let found = ctx
        .db
        .read(move |conn| sessions::find_session(conn, &token))
        .await?;
    if let Some((session, user)) = &found {
        // Browsing is being active today, and the session's last use shows in settings.
        ctx.activity.session_used(session.id, user.account.id);
    }
    Ok(found)
}

/// A cookie with the attributes every Groundswell cookie has: HttpOnly, SameSite=Lax, and
/// Secure when the instance is served over https.
pub fn cookie(
    ctx: &AppContext,
    name: &'static str,
    value: String,
    max_age_hours: i64,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(ctx.settings.instance.uses_https())
        .max_age(CookieDuration::hours(max_age_hours))
        .finish()
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(ctx: &AppContext, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(ctx, name, String::new(), 0);
    c.make_removal();
    c
}

/// The browser's `User-Agent`, stored with a new session.
pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

pub fn data(req: &HttpRequest) -> Option<web::Data<AppContext>> {
    req.app_data::<web::Data<AppContext>>().cloned()
}
