//! The OAuth 2 authorization page: an app sends the employee's browser here; signed in (or
//! sent to sign in first), the employee approves or denies the app, and the browser goes back
//! to the app with a code (or the code is shown, for out-of-band apps). The token exchange
//! that follows is the API's (`api::oauth`).
//! <https://docs.joinmastodon.org/methods/oauth/#authorize>

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use url::Url;

use super::i18n::Texts;
use super::pages::{message_page, render};
use super::session;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::oauth::{
    self, AuthorizeError, AuthorizeParams, CODE_LIFETIME_MINUTES, OOB_REDIRECT_URI,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/authorize", web::get().to(authorize_form))
        .route("/oauth/authorize", web::post().to(authorize_decision));
}

#[derive(Template)]
#[template(path = "authorize.html")]
pub struct AuthorizePage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub app_name: String,
    pub app_website: Option<String>,
    pub username: String,
    pub scopes: Vec<String>,
    pub scope: String,
    pub csrf_token: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

#[derive(Template)]
#[template(path = "oob.html")]
pub struct OobPage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub app_name: String,
    pub code: String,
    pub minutes: i64,
}

/// Where to send the browser: the client's redirect URI with `params` added to its query,
/// and the `state` the client sent, if any.
fn redirect_with(
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
) -> Result<HttpResponse> {
    let mut url = Url::parse(redirect_uri).map_err(Error::internal)?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
    }
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, url.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

fn authorize_error_response(
    ctx: &AppContext,
    t: Texts,
    err: AuthorizeError,
) -> Result<HttpResponse> {
    match err {
        AuthorizeError::Page(message) => message_page(
            ctx,
            t,
            StatusCode::BAD_REQUEST,
            &t.get("authorize-link-broken"),
            &message,
        ),
        AuthorizeError::Redirect {
            redirect_uri,
            error,
            state,
        } => {
            if redirect_uri == OOB_REDIRECT_URI {
                return message_page(
                    ctx,
                    t,
                    StatusCode::BAD_REQUEST,
                    &t.get("authorize-failed"),
                    &error.description,
                );
            }
            let params = [
                ("error", error.code),
                ("error_description", error.description.as_str()),
            ];
            redirect_with(&redirect_uri, &params, state.as_deref())
        }
        AuthorizeError::Internal(e) => Err(e),
    }
}

/// `GET /oauth/authorize`: sign in if needed, then ask the employee to approve the app.
/// <https://docs.joinmastodon.org/methods/oauth/#authorize>
async fn authorize_form(
    ctx: web::Data<AppContext>,
    t: Texts,
    req: HttpRequest,
    query: web::Query<AuthorizeParams>,
) -> Result<HttpResponse> {
    let params = query.into_inner();
    let check = params.clone();
    let request = match ctx
        .db
        .read(move |conn| Ok(oauth::validate_authorization_request(conn, &check)))
        .await?
    {
        Ok(request) => request,
        Err(e) => return authorize_error_response(&ctx, t, e),
    };
    let force_login = params
        .force_login
        .as_deref()
        .is_some_and(|v| matches!(v, "true" | "1"));
    let current = session::current(&ctx, &req).await?;
    let (web_session, user) = match current {
        Some(found) if !force_login => found,
        _ => {
            // Come back here after signing in, without force_login (or it would loop).
            let mut back = AuthorizeParams {
                force_login: None,
                ..params
            };
            back.lang = None;
            let query = serde_urlencoded_query(&back);
            let return_to = format!("/oauth/authorize?{query}");
            let mut next = url::form_urlencoded::Serializer::new(String::new());
            next.append_pair("return_to", &return_to);
            // With SSO only, straight to the company's identity provider and back.
            let target = if ctx.sso.is_some() && ctx.settings.auth.oidc.sso_only() {
                if force_login {
                    next.append_pair("force_login", "1");
                }
                format!("/auth/oidc/login?{}", next.finish())
            } else {
                format!("/auth/sign_in?{}", next.finish())
            };
            return Ok(HttpResponse::Found()
                .insert_header((LOCATION, target))
                .finish());
        }
    };
    render(
        StatusCode::OK,
        &AuthorizePage {
            t,
            instance_name: &ctx.settings.instance.name,
            app_name: request.app.name.clone(),
            app_website: request.app.website.clone(),
            username: user.account.username.clone(),
            scopes: request.scopes.iter().map(String::from).collect(),
            scope: request.scopes.to_string(),
            csrf_token: web_session.csrf_token,
            client_id: request.app.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            code_challenge: request.code_challenge.clone(),
            code_challenge_method: request.code_challenge_method.clone(),
        },
    )
}

fn serde_urlencoded_query(params: &AuthorizeParams) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    let fields = [
        ("response_type", &params.response_type),
        ("client_id", &params.client_id),
        ("redirect_uri", &params.redirect_uri),
        ("scope", &params.scope),
        ("state", &params.state),
        ("code_challenge", &params.code_challenge),
        ("code_challenge_method", &params.code_challenge_method),
    ];
    for (k, v) in fields {
        if let Some(v) = v {
            out.append_pair(k, v);
        }
    }
    out.finish()
}

#[derive(Deserialize)]
struct Decision {
    csrf_token: String,
    decision: String,
    #[serde(flatten)]
    params: AuthorizeParams,
}

/// `POST /oauth/authorize`: the employee approved or denied.
async fn authorize_decision(
    ctx: web::Data<AppContext>,
    t: Texts,
    req: HttpRequest,
    form: web::Form<Decision>,
) -> Result<HttpResponse> {
    let form = form.into_inner();
    let Some((web_session, user)) = session::current(&ctx, &req).await? else {
        return message_page(
            &ctx,
            t,
            StatusCode::UNAUTHORIZED,
            &t.get("authorize-sign-in-again"),
            &t.get("authorize-session-ended"),
        );
    };
    if web_session.csrf_token != form.csrf_token {
        return message_page(
            &ctx,
            t,
            StatusCode::FORBIDDEN,
            &t.get("authorize-failed"),
            &t.get("authorize-form-expired"),
        );
    }
    let approve = form.decision == "approve";
    let params = form.params;
    let user_id = user.user.id;
    let outcome = ctx
        .db
        .write(move |conn| {
            let request = match oauth::validate_authorization_request(conn, &params) {
                Ok(r) => r,
                Err(e) => return Ok(Err(e)),
            };
            if !approve {
                return Ok(Ok((request, None)));
            }
            let code = oauth::issue_code(conn, user_id, &request)?;
            Ok(Ok((request, Some(code))))
        })
        .await?;
    let (request, code) = match outcome {
        Ok(done) => done,
        Err(e) => return authorize_error_response(&ctx, t, e),
    };
    let state = request.state.as_deref();
    match code {
        None => {
            if request.redirect_uri == OOB_REDIRECT_URI {
                return message_page(
                    &ctx,
                    t,
                    StatusCode::OK,
                    &t.get("authorize-denied"),
                    &t.get("authorize-denied-text"),
                );
            }
            let params = [
                ("error", "access_denied"),
                (
                    "error_description",
                    "The resource owner or authorization server denied the request.",
                ),
            ];
            redirect_with(&request.redirect_uri, &params, state)
        }
        Some(code) if request.redirect_uri == OOB_REDIRECT_URI => render(
            StatusCode::OK,
            &OobPage {
                t,
                instance_name: &ctx.settings.instance.name,
                app_name: request.app.name.clone(),
                code,
                minutes: CODE_LIFETIME_MINUTES,
            },
        ),
        Some(code) => redirect_with(&request.redirect_uri, &[("code", code.as_str())], state),
    }
}
