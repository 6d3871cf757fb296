//! Page handlers. Like API handlers they are thin: the rules live in `service`.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::i18n::Texts;
use super::session::{self, CSRF_COOKIE, SESSION_COOKIE};
use crate::auth::secrets;
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::sessions;
use crate::service::users::LocalUser;

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub csrf_token: String,
    pub return_to: String,
    pub username: String,
    pub error: Option<String>,
    /// The company sign-in button's label and link, when SSO is configured.
    pub sso: Option<(String, String)>,
    /// Whether the password form is shown (not when `auth.oidc.sso_only`).
    pub passwords: bool,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub heading: String,
    pub message: String,
    pub is_error: bool,
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub description: &'a str,
    pub domain: &'a str,
    pub username: Option<String>,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "about_metrics.html")]
pub struct AboutMetricsPage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub min_group: u32,
    pub question_tags: &'a [String],
}

/// `GET /about/metrics`: what the engagement metrics count, the privacy rule, and what is
/// never collected — for every employee, signed in or not.
pub async fn about_metrics(ctx: web::Data<AppContext>, t: Texts) -> Result<HttpResponse> {
    render(
        actix_web::http::StatusCode::OK,
        &AboutMetricsPage {
            t,
            instance_name: &ctx.settings.instance.name,
            min_group: ctx.settings.metrics.min_group_size,
            question_tags: &ctx.settings.metrics.question_tags,
        },
    )
}

/// Where a visitor who is not signed in is sent: the sign-in page, back to `return_to` after.
pub fn sign_in_first(return_to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            LOCATION,
            format!(
                "/auth/sign_in?return_to={}",
                url::form_urlencoded::byte_serialize(return_to.as_bytes()).collect::<String>()
            ),
        ))
        .finish()
}

/// A readable page for what went wrong on an employee page (never JSON).
pub fn error_page(ctx: &AppContext, t: Texts, e: &Error) -> HttpResponse {
    let status = e.kind().status();
    message_page(ctx, t, status, &t.get("error-did-not-work"), e.message()).unwrap_or_else(|_| {
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(e.message().to_string())
    })
}

/// The answer to a form whose CSRF token is not the session's (an old page, or another site).
pub fn form_expired(ctx: &AppContext, t: Texts) -> Result<HttpResponse> {
    message_page(
        ctx,
        t,
        actix_web::http::StatusCode::FORBIDDEN,
        &t.get("error-did-not-work"),
        &t.get("error-form-expired"),
    )
}

/// Render a template as an HTML response with the given status.
pub fn render(status: actix_web::http::StatusCode, page: &impl Template) -> Result<HttpResponse> {
    let html = page.render().map_err(Error::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Frame-Options", "DENY"))
        .body(html))
}

/// A readable error page (for browsers; the API answers JSON).
pub fn message_page(
    ctx: &AppContext,
    t: Texts,
    status: actix_web::http::StatusCode,
    heading: &str,
    message: &str,
) -> Result<HttpResponse> {
    render(
        status,
        &MessagePage {
            t,
            instance_name: &ctx.settings.instance.name,
            heading: heading.into(),
            message: message.into(),
            is_error: !status.is_success(),
            link: Some(("/".into(), t.get("back-to-start"))),
        },
    )
}

/// Only local paths may be returned to after signing in (no open redirect).
pub(crate) fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[derive(Deserialize)]
pub struct SignInQuery {
    return_to: Option<String>,
}

fn sign_in_page(
    ctx: &AppContext,
    t: Texts,
    status: actix_web::http::StatusCode,
    return_to: String,
    username: String,
    error: Option<String>,
) -> Result<HttpResponse> {
    // Double-submit CSRF token: the same random value in a cookie and in the form.
    let csrf_token = secrets::new_token();
    let sso = ctx.sso.as_ref().map(|_| {
        let link = format!(
            "/auth/oidc/login?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("return_to", &return_to)
                .finish()
        );
        (ctx.settings.auth.oidc.button_label.clone(), link)
    });
    let mut resp = render(
        status,
        &SignInPage {
            t,
            instance_name: &ctx.settings.instance.name,
            csrf_token: csrf_token.clone(),
            return_to,
            username,
            error,
            sso,
            passwords: !ctx.settings.auth.oidc.sso_only(),
        },
    )?;
    resp.add_cookie(&session::cookie(ctx, CSRF_COOKIE, csrf_token, 1))
        .map_err(Error::internal)?;
    Ok(resp)
}

/// `GET /auth/sign_in`
pub async fn sign_in_form(
    ctx: web::Data<AppContext>,
    t: Texts,
    query: web::Query<SignInQuery>,
) -> Result<HttpResponse> {
    sign_in_page(
        &ctx,
        t,
        actix_web::http::StatusCode::OK,
        safe_return_to(query.return_to.as_deref()),
        String::new(),
        None,
    )
}

#[derive(Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    csrf_token: String,
    return_to: Option<String>,
}

/// `POST /auth/sign_in`: check the password, start a session, go back where we came from.
pub async fn sign_in(
    ctx: web::Data<AppContext>,
    t: Texts,
    req: HttpRequest,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse> {
    let form = form.into_inner();
    let return_to = safe_return_to(form.return_to.as_deref());
    if ctx.settings.auth.oidc.sso_only() {
        return sign_in_page(
            &ctx,
            t,
            actix_web::http::StatusCode::FORBIDDEN,
            return_to,
            String::new(),
            Some(t.get("sign-in-passwords-off")),
        );
    }
    let csrf_ok = req
        .cookie(CSRF_COOKIE)
        .is_some_and(|c| !c.value().is_empty() && c.value() == form.csrf_token);
    if !csrf_ok {
        return sign_in_page(
            &ctx,
            t,
            actix_web::http::StatusCode::FORBIDDEN,
            return_to,
            form.username,
            Some(t.get("sign-in-form-expired")),
        );
    }
    let lifetime = i64::from(ctx.settings.auth.session_lifetime_hours);
    let user_agent = session::user_agent(&req);
    let address =
        crate::http::client_address::client_address(&req, &ctx.settings.http.trusted_proxies);
    let login = form.username.clone();
    let subject = ctx
        .db
        .read(move |conn| sessions::sign_in_subject(conn, &login))
        .await?;
    let attempt = match ctx.rate_limits.begin_sign_in(&address, &subject) {
        Ok(attempt) => attempt,
        Err(e) => {
            return sign_in_page(
                &ctx,
                t,
                e.kind().status(),
                return_to,
                form.username,
                Some(e.message().to_string()),
            );
        }
    };
    let (login, password) = (form.username.clone(), form.password);
    let verified = sessions::verify_password_login(&ctx.db, &login, password).await;
    // Only a wrong password (or name) counts against the budget.
    if verified.is_ok() {
        ctx.rate_limits.sign_in_succeeded(attempt);
    }
    let result = match verified {
        Ok(user) => {
            ctx.db
                .write(move |conn| sessions::create_session(conn, &user, lifetime, user_agent))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(token) => {
            let mut resp = HttpResponse::SeeOther()
                .insert_header((LOCATION, return_to))
                .finish();
            resp.add_cookie(&session::cookie(&ctx, SESSION_COOKIE, token, lifetime))
                .map_err(Error::internal)?;
            resp.add_removal_cookie(&session::removal(&ctx, CSRF_COOKIE))
                .map_err(Error::internal)?;
            Ok(resp)
        }
        Err(e) if matches!(e.kind(), ErrorKind::Unauthorized | ErrorKind::Forbidden) => {
            sign_in_page(
                &ctx,
                t,
                e.kind().status(),
                return_to,
                form.username,
                Some(e.message().to_string()),
            )
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf_token: String,
}

/// `POST /auth/sign_out`
pub async fn sign_out(
    ctx: web::Data<AppContext>,
    t: Texts,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse> {
    let mut provider_logout = None;
    if let Some((session, user)) = session::current(&ctx, &req).await? {
        if session.csrf_token != form.csrf_token {
            return message_page(
                &ctx,
                t,
                actix_web::http::StatusCode::FORBIDDEN,
                &t.get("sign-out-failed"),
                &t.get("sign-out-form-expired"),
            );
        }
        if let Some(cookie) = req.cookie(SESSION_COOKIE) {
            let token = cookie.value().to_string();
            ctx.db
                .write(move |conn| sessions::end_session(conn, &token))
                .await?;
        }
        provider_logout = provider_sign_out(&ctx, &user).await;
    }
    signed_out(&ctx, provider_logout.as_deref().unwrap_or("/"))
}

/// Where the identity provider signs an employee out too (RP-initiated logout, back to the
/// start page), when they signed in through it.
pub async fn provider_sign_out(ctx: &AppContext, user: &LocalUser) -> Option<String> {
    let client = ctx.sso.as_ref()?;
    if user.user.oidc_issuer.as_deref() != Some(client.issuer()) {
        return None;
    }
    let back = ctx.settings.instance.base_url();
    client
        .end_session_url(back.as_str())
        .await
        .map(|url| url.to_string())
}

/// The answer once this browser's session has ended: the cookie removed, on to `target`.
pub fn signed_out(ctx: &AppContext, target: &str) -> Result<HttpResponse> {
    let mut resp = HttpResponse::SeeOther()
        .insert_header((LOCATION, target.to_string()))
        .finish();
    resp.add_removal_cookie(&session::removal(ctx, SESSION_COOKIE))
        .map_err(Error::internal)?;
    Ok(resp)
}

/// `GET /`: the home timeline for a signed-in employee; what this department is and how
/// to sign in for anyone else.
pub async fn home(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<super::timelines::TimelineQuery>,
) -> Result<HttpResponse> {
    if let Ok(shell) = super::shell::signed_in(&ctx, &req).await? {
        let t = shell.t;
        let shown = super::timelines::home_page(&ctx, shell, &q).await;
        return Ok(super::shell::page_or_error(&ctx, t, shown));
    }
    let current = session::current(&ctx, &req).await?;
    render(
        actix_web::http::StatusCode::OK,
        &HomePage {
            t: Texts::of(&req),
            instance_name: &ctx.settings.instance.name,
            description: &ctx.settings.instance.description,
            domain: ctx.settings.instance.domain.as_str(),
            csrf_token: current
                .as_ref()
                .map(|(s, _)| s.csrf_token.clone())
                .unwrap_or_default(),
            username: current.map(|(_, u)| u.account.username),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(
            safe_return_to(Some("/oauth/authorize?x=1")),
            "/oauth/authorize?x=1"
        );
        assert_eq!(safe_return_to(Some("//evil.example/")), "/");
        assert_eq!(safe_return_to(Some("https://evil.example/")), "/");
        assert_eq!(safe_return_to(Some("/\\evil.example")), "/");
        assert_eq!(safe_return_to(None), "/");
    }
}
