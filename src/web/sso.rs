//! Signing in with the company's identity provider (OpenID Connect): the way out to the
//! provider, the way back, and the provider's back-channel logout. The rules live in
//! `service::sso`, the protocol in `auth::oidc`.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::i18n::Texts;
use super::pages::{message_page, safe_return_to};
use super::session::{self, SESSION_COOKIE};
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::{sessions, sso};

/// Holds the `state` of the sign-in this browser started, binding the provider's answer to it.
pub const STATE_COOKIE: &str = "gs_oidc_state";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/oidc/login", web::get().to(login))
        .route("/auth/oidc/callback", web::get().to(callback))
        .route(
            "/auth/oidc/backchannel_logout",
            web::post().to(backchannel_logout),
        );
}

fn not_configured(ctx: &AppContext, t: Texts) -> Result<HttpResponse> {
    message_page(
        ctx,
        t,
        StatusCode::NOT_FOUND,
        &t.get("sso-not-set-up"),
        &t.get("sso-not-set-up-text"),
    )
}

/// A failure as a readable page: the safe message, never the cause.
fn failure_page(ctx: &AppContext, t: Texts, heading: &str, e: &Error) -> Result<HttpResponse> {
    match e.kind() {
        ErrorKind::Internal => Err(Error::internal(anyhow::anyhow!("{e}"))),
        kind => {
            tracing::info!(error = %e, "company sign-in failed");
            message_page(ctx, t, kind.status(), heading, e.message())
        }
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    force_login: Option<String>,
}

/// `GET /auth/oidc/login`: send the browser to the identity provider.
pub async fn login(
    ctx: web::Data<AppContext>,
    t: Texts,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse> {
    let Some(client) = ctx.sso.clone() else {
        return not_configured(&ctx, t);
    };
    let force_login = query
        .force_login
        .as_deref()
        .is_some_and(|v| matches!(v, "1" | "true"));
    let start = match client.start(force_login).await {
        Ok(start) => start,
        Err(e) => return failure_page(&ctx, t, &t.get("sso-unavailable"), &e),
    };
    let pending = sso::PendingLogin {
        nonce: start.nonce,
        pkce_verifier: start.pkce_verifier,
        return_to: safe_return_to(query.return_to.as_deref()),
    };
    let state = start.state.clone();
    ctx.db
        .write(move |conn| sso::remember_login(conn, &state, &pending))
        .await?;
    let mut resp = HttpResponse::Found()
        .insert_header((LOCATION, start.url.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .finish();
    resp.add_cookie(&session::cookie(&ctx, STATE_COOKIE, start.state, 1))
        .map_err(Error::internal)?;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Compare secrets without leaking where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// `GET /auth/oidc/callback`: the provider sends the browser back with a code.
pub async fn callback(
    ctx: web::Data<AppContext>,
    t: Texts,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse> {
    let Some(client) = ctx.sso.clone() else {
        return not_configured(&ctx, t);
    };
    let query = query.into_inner();
    let state = query.state.unwrap_or_default();
    let bound = req
        .cookie(STATE_COOKIE)
        .is_some_and(|c| !c.value().is_empty() && same_secret(c.value(), &state));
    if !bound {
        tracing::info!("SSO callback refused: state does not match this browser's sign-in");
        return message_page(
            &ctx,
            t,
            StatusCode::BAD_REQUEST,
            &t.get("sso-failed"),
            &t.get("sso-not-this-browser"),
        );
    }
    let pending = {
        let state = state.clone();
        ctx.db
            .write(move |conn| sso::take_login(conn, &state))
            .await?
    };
    let Some(pending) = pending else {
        return message_page(
            &ctx,
            t,
            StatusCode::BAD_REQUEST,
            &t.get("sso-failed"),
            &t.get("sso-used-or-expired"),
        );
    };
    if let Some(error) = query.error {
        let why = query.error_description.unwrap_or(error);
        return message_page(
            &ctx,
            t,
            StatusCode::FORBIDDEN,
            &t.get("sso-failed"),
            &t.with("sso-provider-refused", "reason", why),
        );
    }
    let Some(code) = query.code else {
        return message_page(
            &ctx,
            t,
            StatusCode::BAD_REQUEST,
            &t.get("sso-failed"),
            &t.get("sso-no-code"),
        );
    };
    let claims = match client
        .finish(&code, &pending.pkce_verifier, &pending.nonce)
        .await
    {
        Ok(claims) => claims,
        Err(e) => return failure_page(&ctx, t, &t.get("sso-failed"), &e),
    };
    let sid = claims.get("sid").and_then(|v| v.as_str()).map(String::from);
    let profile = match sso::profile_from_claims(&ctx.settings.auth, client.issuer(), &claims) {
        Ok(profile) => profile,
        Err(e) => return failure_page(&ctx, t, &t.get("sso-failed"), &e),
    };
    let user = match sso::sign_in(
        &ctx.db,
        &ctx.settings.instance,
        &ctx.settings.auth.oidc,
        profile,
    )
    .await
    {
        Ok(user) => user,
        Err(e) => return failure_page(&ctx, t, &t.get("sso-not-allowed"), &e),
    };
    let lifetime = i64::from(ctx.settings.auth.session_lifetime_hours);
    let user_agent = session::user_agent(&req);
    let token = ctx
        .db
        .write(move |conn| {
            sessions::create_session_with_sid(conn, &user, lifetime, user_agent, sid)
        })
        .await?;
    let mut resp = HttpResponse::SeeOther()
        .insert_header((LOCATION, pending.return_to))
        .insert_header(("Cache-Control", "no-store"))
        .finish();
    resp.add_cookie(&session::cookie(&ctx, SESSION_COOKIE, token, lifetime))
        .map_err(Error::internal)?;
    resp.add_removal_cookie(&session::removal(&ctx, STATE_COOKIE))
        .map_err(Error::internal)?;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct LogoutForm {
    logout_token: Option<String>,
}

fn logout_error(status: StatusCode, description: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "error": "invalid_request", "error_description": description }))
}

/// `POST /auth/oidc/backchannel_logout` (OpenID Connect Back-Channel Logout 1.0): the provider
/// ends the employee's sessions here and their API tokens are revoked.
pub async fn backchannel_logout(
    ctx: web::Data<AppContext>,
    form: web::Form<LogoutForm>,
) -> HttpResponse {
    let Some(client) = ctx.sso.clone() else {
        return logout_error(StatusCode::NOT_FOUND, "single sign-on is not configured");
    };
    let Some(jwt) = form.into_inner().logout_token else {
        return logout_error(
            StatusCode::BAD_REQUEST,
            "the logout_token parameter is missing",
        );
    };
    let token = match client.verify_logout_token(&jwt).await {
        Ok(token) => token,
        Err(e) if e.kind() == ErrorKind::Unavailable => {
            return logout_error(StatusCode::SERVICE_UNAVAILABLE, e.message());
        }
        Err(e) => {
            tracing::info!(error = %e, "logout token refused");
            return logout_error(StatusCode::BAD_REQUEST, "the logout token is not valid");
        }
    };
    let issuer = client.issuer().to_string();
    match ctx
        .db
        .write(move |conn| sso::backchannel_logout(conn, &issuer, &token))
        .await
    {
        Ok(_) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .finish(),
        Err(e) if e.kind() == ErrorKind::BadRequest => {
            logout_error(StatusCode::BAD_REQUEST, e.message())
        }
        Err(e) => {
            tracing::error!(error = %e, "back-channel logout failed");
            logout_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the logout could not be completed",
            )
        }
    }
}
