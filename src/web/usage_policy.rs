//! `/about/usage-policy`: the department's usage policy, and for a signed-in employee who has
//! not accepted the current version, the button that accepts it (the address the API's
//! `403 … policy_url` points to). Errors are pages too.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::i18n::Texts;
use super::pages::{message_page, render};
use super::session;
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::usage_policy::{self, PAGE_PATH, Standing};

#[derive(Template)]
#[template(path = "usage_policy.html")]
pub struct UsagePolicyPage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub version: i64,
    pub published: String,
    /// Rendered from Markdown and cleaned by ammonia.
    pub html: String,
    pub signed_in: bool,
    pub accepted_at: Option<String>,
    pub csrf_token: String,
    pub error: Option<String>,
}

fn date(t: chrono::NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A failure as a page: its safe message and status (the cause was logged).
fn error_page(ctx: &AppContext, t: Texts, e: Error) -> Result<HttpResponse> {
    if matches!(e.kind(), ErrorKind::Internal | ErrorKind::Unavailable) {
        tracing::error!(error = %e, "the usage policy page failed");
    }
    let heading = match e.kind() {
        ErrorKind::NotFound => t.get("policy-none"),
        _ => t.get("policy-failed"),
    };
    message_page(ctx, t, e.kind().status(), &heading, e.message())
}

fn policy_page(
    ctx: &AppContext,
    t: Texts,
    status: StatusCode,
    standing: &Standing,
    session_csrf: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse> {
    render(
        status,
        &UsagePolicyPage {
            t,
            instance_name: &ctx.settings.instance.name,
            version: standing.version.number,
            published: date(standing.version.published_at),
            html: standing.version.html(),
            signed_in: session_csrf.is_some(),
            accepted_at: standing.accepted_at.map(date),
            csrf_token: session_csrf.unwrap_or_default(),
            error,
        },
    )
}

/// The policy as the browser's employee (if any) stands with it.
async fn show(
    ctx: &AppContext,
    req: &HttpRequest,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse> {
    let t = Texts::of(req);
    let current = match session::current(ctx, req).await {
        Ok(current) => current,
        Err(e) => return error_page(ctx, t, e),
    };
    let me = current.as_ref().map(|(_, u)| u.account.id);
    match ctx
        .db
        .read(move |conn| usage_policy::standing(conn, me))
        .await
    {
        Ok(standing) => policy_page(
            ctx,
            t,
            status,
            &standing,
            current.map(|(s, _)| s.csrf_token),
            error,
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => message_page(
            ctx,
            t,
            StatusCode::NOT_FOUND,
            &t.get("policy-none"),
            &t.get("policy-none-text"),
        ),
        Err(e) => error_page(ctx, t, e),
    }
}

/// `GET /about/usage-policy`
pub async fn page(ctx: web::Data<AppContext>, req: HttpRequest) -> Result<HttpResponse> {
    show(&ctx, &req, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct AcceptForm {
    csrf_token: String,
    version: String,
}

/// `POST /about/usage-policy`: the signed-in employee accepts the version they read, then
/// sees the page again (saying when they accepted).
pub async fn accept(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse> {
    let t = Texts::of(&req);
    let current = match session::current(&ctx, &req).await {
        Ok(current) => current,
        Err(e) => return error_page(&ctx, t, e),
    };
    let Some((session, user)) = current else {
        return Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, "/auth/sign_in?return_to=%2Fabout%2Fusage-policy"))
            .finish());
    };
    if session.csrf_token != form.csrf_token {
        return show(
            &ctx,
            &req,
            StatusCode::FORBIDDEN,
            Some(t.get("policy-form-expired")),
        )
        .await;
    }
    let Ok(version) = form.version.trim().parse::<i64>() else {
        return show(
            &ctx,
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(t.get("policy-no-version")),
        )
        .await;
    };
    match usage_policy::accept(&ctx, &user.account, version).await {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, PAGE_PATH))
            .finish()),
        // A newer version was published while they read: show it, and say so.
        Err(e) if e.kind() == ErrorKind::Unprocessable => {
            show(
                &ctx,
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(e.message().into()),
            )
            .await
        }
        Err(e) => error_page(&ctx, t, e),
    }
}
