//! The OAuth 2 endpoints Mastodon clients use. <https://docs.joinmastodon.org/methods/oauth/>

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::api::params::Params;
use crate::auth::scopes::KNOWN_SCOPES;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::oauth::{
    self, AuthorizeError, AuthorizeParams, CODE_LIFETIME_MINUTES, OAuthError, OAuthFailure,
    OOB_REDIRECT_URI,
};
use crate::web::session;
use crate::web::{AuthorizePage, OobPage, message_page, render};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/authorize", web::get().to(authorize_form))
        .route("/oauth/authorize", web::post().to(authorize_decision))
        .route("/oauth/token", web::post().to(token))
        .route("/oauth/revoke", web::post().to(revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(discovery),
        );
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header(("Cache-Control", "no-store"));
        if self.code == "invalid_client" {
            resp.insert_header(("WWW-Authenticate", "Basic realm=\"Groundswell\""));
        }
        resp.json(json!({ "error": self.code, "error_description": self.description }))
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.description)
    }
}

fn oauth_response(failure: OAuthFailure) -> HttpResponse {
    match failure {
        OAuthFailure::Protocol(e) => e.error_response(),
        OAuthFailure::Internal(e) => e.error_response(),
    }
}

/// Where to send the browser: the client's redirect URI with `params` added to its query.
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Result<HttpResponse> {
    let mut url = Url::parse(redirect_uri).map_err(Error::internal)?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            query.append_pair(k, v);
        }
    }
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, url.to_string()))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

fn authorize_error_response(ctx: &AppContext, err: AuthorizeError) -> Result<HttpResponse> {
    match err {
        AuthorizeError::Page(message) => message_page(
            ctx,
            StatusCode::BAD_REQUEST,
            "This sign-in link does not work",
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
                    StatusCode::BAD_REQUEST,
                    "Authorization failed",
                    &error.description,
                );
            }
            let mut params = vec![
                ("error", error.code),
                ("error_description", error.description.as_str()),
            ];
            if let Some(state) = state.as_deref() {
                params.push(("state", state));
            }
            redirect_with(&redirect_uri, &params)
        }
        AuthorizeError::Internal(e) => Err(e),
    }
}

/// `GET /oauth/authorize`: sign in if needed, then ask the employee to approve the app.
/// <https://docs.joinmastodon.org/methods/oauth/#authorize>
async fn authorize_form(
    ctx: web::Data<AppContext>,
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
        Err(e) => return authorize_error_response(&ctx, e),
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
    req: HttpRequest,
    form: web::Form<Decision>,
) -> Result<HttpResponse> {
    let form = form.into_inner();
    let Some((web_session, user)) = session::current(&ctx, &req).await? else {
        return message_page(
            &ctx,
            StatusCode::UNAUTHORIZED,
            "Please sign in again",
            "Your session ended before you answered. Start again from the app.",
        );
    };
    if web_session.csrf_token != form.csrf_token {
        return message_page(
            &ctx,
            StatusCode::FORBIDDEN,
            "Authorization failed",
            "The form expired. Start again from the app.",
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
        Err(e) => return authorize_error_response(&ctx, e),
    };
    let state = request.state.as_deref();
    match code {
        None => {
            if request.redirect_uri == OOB_REDIRECT_URI {
                return message_page(
                    &ctx,
                    StatusCode::OK,
                    "Access denied",
                    "You did not authorize the app.",
                );
            }
            let mut params = vec![
                ("error", "access_denied"),
                (
                    "error_description",
                    "The resource owner or authorization server denied the request.",
                ),
            ];
            if let Some(state) = state {
                params.push(("state", state));
            }
            redirect_with(&request.redirect_uri, &params)
        }
        Some(code) if request.redirect_uri == OOB_REDIRECT_URI => render(
            StatusCode::OK,
            &OobPage {
                instance_name: &ctx.settings.instance.name,
                app_name: request.app.name.clone(),
                code,
                minutes: CODE_LIFETIME_MINUTES,
            },
        ),
        Some(code) => {
            let mut params = vec![("code", code.as_str())];
            if let Some(state) = state {
                params.push(("state", state));
            }
            redirect_with(&request.redirect_uri, &params)
        }
    }
}

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
}

/// Client credentials from HTTP Basic (`client_secret_basic`), else from the body.
fn client_credentials(req: &HttpRequest, body: &TokenRequest) -> (Option<String>, Option<String>) {
    let basic = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b64| STANDARD.decode(b64.trim()).ok())
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (body.client_id.clone(), body.client_secret.clone()),
    }
}

/// `POST /oauth/token`. <https://docs.joinmastodon.org/methods/oauth/#token>
async fn token(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    Params(body): Params<TokenRequest>,
) -> HttpResponse {
    let (client_id, client_secret) = client_credentials(&req, &body);
    let result = ctx
        .db
        .write(move |conn| {
            let run = |conn: &mut crate::db::DbConnection| -> oauth::OAuthResult<oauth::IssuedToken> {
                let app = oauth::authenticate_client(conn, client_id.as_deref(), client_secret.as_deref())?;
                match body.grant_type.as_deref() {
                    Some("authorization_code") => {
                        let code = body.code.as_deref().ok_or_else(|| {
                            OAuthError::new("invalid_request", "The request is missing the code parameter.")
                        })?;
                        oauth::exchange_code(conn, &app, code, body.redirect_uri.as_deref(), body.code_verifier.as_deref())
                    }
                    Some("client_credentials") => oauth::client_credentials(conn, &app, body.scope.as_deref()),
                    Some(_) => Err(OAuthError::new(
                        "unsupported_grant_type",
                        "The authorization grant type is not supported by the authorization server.",
                    )
                    .into()),
                    None => Err(OAuthError::new("invalid_request", "The request is missing grant_type.").into()),
                }
            };
            // A protocol error must still commit what it wrote (a replayed code revokes
            // tokens), so it travels inside Ok.
            match run(conn) {
                Ok(issued) => Ok(Ok(issued)),
                Err(OAuthFailure::Protocol(e)) => Ok(Err(e)),
                Err(OAuthFailure::Internal(e)) => Err(e),
            }
        })
        .await;
    match result {
        Ok(Ok(issued)) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(json!({
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "scope": issued.scopes.to_string(),
                "created_at": issued.created_at.and_utc().timestamp(),
            })),
        Ok(Err(e)) => oauth_response(OAuthFailure::Protocol(e)),
        Err(e) => oauth_response(OAuthFailure::Internal(e)),
    }
}

#[derive(Deserialize)]
struct RevokeRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

/// `POST /oauth/revoke`. <https://docs.joinmastodon.org/methods/oauth/#revoke>
async fn revoke(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    Params(body): Params<RevokeRequest>,
) -> HttpResponse {
    let as_token_request = TokenRequest {
        grant_type: None,
        code: None,
        redirect_uri: None,
        client_id: body.client_id,
        client_secret: body.client_secret,
        code_verifier: None,
        scope: None,
    };
    let (client_id, client_secret) = client_credentials(&req, &as_token_request);
    let Some(token) = body.token else {
        return OAuthError::new(
            "invalid_request",
            "The request is missing the token parameter.",
        )
        .error_response();
    };
    let result = ctx
        .db
        .write(move |conn| {
            match oauth::authenticate_client(conn, client_id.as_deref(), client_secret.as_deref()) {
                Ok(app) => oauth::revoke(conn, &app, &token).map(|()| Ok(())),
                Err(OAuthFailure::Protocol(e)) => Ok(Err(e)),
                Err(OAuthFailure::Internal(e)) => Err(e),
            }
        })
        .await;
    match result {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({})),
        Ok(Err(e)) => e.error_response(),
        Err(e) => e.error_response(),
    }
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414).
/// <https://docs.joinmastodon.org/methods/oauth/#authorization-server-metadata>
async fn discovery(ctx: web::Data<AppContext>) -> HttpResponse {
    let base = ctx.settings.instance.base();
    HttpResponse::Ok().json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "scopes_supported": KNOWN_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256", "plain"],
    }))
}
