//! The OAuth 2 endpoints Mastodon clients call: token, revoke, server metadata.
//! <https://docs.joinmastodon.org/methods/oauth/>

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;

use crate::api::params::Params;
use crate::auth::scopes::KNOWN_SCOPES;
use crate::context::AppContext;
use crate::service::oauth::{self, OAuthError, OAuthFailure};

/// The endpoints apps call. The authorization page itself, where an employee approves an
/// app in the browser, is one of the web pages (`web::authorize`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/token", web::post().to(token))
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
