//! The OAuth 2 authorization server Mastodon clients use: app registration, authorization
//! codes (with PKCE), tokens, revocation. <https://docs.joinmastodon.org/spec/oauth/>

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use url::Url;

use crate::auth::{Scopes, secrets};
use crate::context::AppContext;
use crate::db::models::{
    AccessToken, Account, Application, AuthorizationCode, NewAccessToken, NewApplication,
    NewAuthorizationCode, User,
};
use crate::db::schema::{
    accounts, oauth_access_tokens, oauth_applications, oauth_authorization_codes, users,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::events::{self, Event};
use crate::service::users::LocalUser;
use std::sync::Arc;

/// The redirect URI that shows the code on a page instead of redirecting.
pub const OOB_REDIRECT_URI: &str = "urn:ietf:wg:oauth:2.0:oob";
/// How long an authorization code can be exchanged.
pub const CODE_LIFETIME_MINUTES: i64 = 10;
pub const MAX_APP_NAME_CHARS: usize = 200;
pub const MAX_REDIRECT_URIS: usize = 20;

/// An error of the OAuth protocol itself (RFC 6749 §5.2), shown to the client as
/// `{"error": code, "error_description": description}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: description.into(),
        }
    }

    pub fn invalid_client() -> Self {
        Self::new(
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        )
    }

    pub fn invalid_grant(description: &str) -> Self {
        Self::new("invalid_grant", description)
    }

    /// HTTP status for this error: 401 for client authentication, 400 otherwise.
    pub fn status(&self) -> u16 {
        if self.code == "invalid_client" {
            401
        } else {
            400
        }
    }
}

/// `Err(Ok(oauth))` is a protocol error for the client; `Err(Err(e))` an internal failure.
pub type OAuthResult<T> = std::result::Result<T, OAuthFailure>;

#[derive(Debug)]
pub enum OAuthFailure {
    Protocol(OAuthError),
    Internal(Error),
}

impl From<OAuthError> for OAuthFailure {
    fn from(e: OAuthError) -> Self {
        OAuthFailure::Protocol(e)
    }
}

impl From<Error> for OAuthFailure {
    fn from(e: Error) -> Self {
        OAuthFailure::Internal(e)
    }
}

impl From<diesel::result::Error> for OAuthFailure {
    fn from(e: diesel::result::Error) -> Self {
        OAuthFailure::Internal(e.into())
    }
}

/// A newly registered app; the secret is shown once, only its hash is stored.
pub struct RegisteredApp {
    pub app: Application,
    pub client_secret: String,
}

/// Check one redirect URI: the out-of-band URN, or an absolute URI without a fragment
/// (native apps use custom schemes such as `org.joinmastodon.android://`).
pub fn parse_redirect_uri(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw == OOB_REDIRECT_URI {
        return Ok(raw.to_string());
    }
    let url = Url::parse(raw).map_err(|_| {
        Error::unprocessable(format!(
            "Validation failed: Redirect URI `{raw}` must be an absolute URI."
        ))
    })?;
    if url.fragment().is_some() {
        return Err(Error::unprocessable(
            "Validation failed: Redirect URI must not contain a fragment.",
        ));
    }
    if matches!(url.scheme(), "javascript" | "data" | "vbscript" | "file") {
        return Err(Error::unprocessable(
            "Validation failed: Redirect URI uses a forbidden scheme.",
        ));
    }
    Ok(raw.to_string())
}

/// `POST /api/v1/apps`.
#[tracing::instrument(skip(conn, redirect_uris), fields(name = %name))]
pub fn register_app(
    conn: &mut DbConnection,
    name: &str,
    redirect_uris: &[String],
    scopes: &Scopes,
    website: Option<&str>,
) -> Result<RegisteredApp> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Application name can't be blank",
        ));
    }
    if name.chars().count() > MAX_APP_NAME_CHARS {
        return Err(Error::unprocessable(format!(
            "Validation failed: Application name is too long (maximum is {MAX_APP_NAME_CHARS} characters)"
        )));
    }
    if redirect_uris.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Redirect URI can't be blank",
        ));
    }
    if redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(Error::unprocessable(format!(
            "Validation failed: at most {MAX_REDIRECT_URIS} redirect URIs"
        )));
    }
    let redirect_uris = redirect_uris
        .iter()
        .map(|u| parse_redirect_uri(u))
        .collect::<Result<Vec<_>>>()?;
    let website = website
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| {
            Url::parse(w)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(|_| w.to_string())
                .ok_or_else(|| {
                    Error::unprocessable("Validation failed: Website is not a valid URL")
                })
        })
        .transpose()?;
    let client_secret = secrets::new_token();
    let row = NewApplication {
        id: ids::next_id(),
        name: name.to_string(),
        website,
        redirect_uris: redirect_uris.join("\n"),
        scopes: scopes.to_string(),
        client_id: secrets::new_token(),
        client_secret_hash: secrets::hash_token(&client_secret),
        created_at: Utc::now().naive_utc(),
    };
    let app = diesel::insert_into(oauth_applications::table)
        .values(&row)
        .returning(oauth_applications::all_columns)
        .get_result(conn)?;
    Ok(RegisteredApp { app, client_secret })
}

pub fn find_app(conn: &mut DbConnection, client_id: &str) -> Result<Option<Application>> {
    Ok(oauth_applications::table
        .filter(oauth_applications::client_id.eq(client_id))
        .select(Application::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_app_by_id(conn: &mut DbConnection, id: i64) -> Result<Option<Application>> {
    Ok(oauth_applications::table
        .find(id)
        .select(Application::as_select())
        .first(conn)
        .optional()?)
}

/// Authenticate a client by id and secret (either may come from HTTP Basic or the body).
pub fn authenticate_client(
    conn: &mut DbConnection,
    client_id: Option<&str>,
    client_secret: Option<&str>,
) -> OAuthResult<Application> {
    let (Some(client_id), Some(secret)) = (client_id, client_secret) else {
        return Err(OAuthError::invalid_client().into());
    };
    let app = find_app(conn, client_id)?.ok_or_else(OAuthError::invalid_client)?;
    if !constant_time_eq(&secrets::hash_token(secret), &app.client_secret_hash) {
        return Err(OAuthError::invalid_client().into());
    }
    Ok(app)
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The parameters of `GET /oauth/authorize`, as sent by the client.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub force_login: Option<String>,
    pub lang: Option<String>,
}

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub app: Application,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Why an authorization request was refused. Errors about the client or the redirect URI
/// must not redirect (RFC 6749 §4.1.2.1): they are shown on a page.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Shown to the employee; no redirect.
    Page(String),
    /// Sent back to the client's redirect URI as `?error=…`.
    Redirect {
        redirect_uri: String,
        error: OAuthError,
        state: Option<String>,
    },
    Internal(Error),
}

impl From<Error> for AuthorizeError {
    fn from(e: Error) -> Self {
        AuthorizeError::Internal(e)
    }
}

pub fn validate_authorization_request(
    conn: &mut DbConnection,
    params: &AuthorizeParams,
) -> std::result::Result<AuthorizationRequest, AuthorizeError> {
    let client_id = params
        .client_id
        .as_deref()
        .ok_or_else(|| AuthorizeError::Page("The request has no client_id.".into()))?;
    let app = find_app(conn, client_id)?.ok_or_else(|| {
        AuthorizeError::Page("The application asking to sign you in is not registered here.".into())
    })?;
    let registered = app.redirect_uri_list();
    let redirect_uri = match params.redirect_uri.as_deref() {
        Some(uri) if registered.contains(&uri) => uri.to_string(),
        Some(_) => {
            return Err(AuthorizeError::Page(
                "The redirect URI does not match the one the application registered.".into(),
            ));
        }
        None if registered.len() == 1 => registered[0].to_string(),
        None => {
            return Err(AuthorizeError::Page(
                "The request has no redirect_uri.".into(),
            ));
        }
    };
    let redirect_error = |error: OAuthError| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        error,
        state: params.state.clone(),
    };
    if params.response_type.as_deref() != Some("code") {
        return Err(redirect_error(OAuthError::new(
            "unsupported_response_type",
            "The authorization server only supports response_type=code.",
        )));
    }
    let app_scopes = Scopes::parse(&app.scopes).unwrap_or_default();
    let scopes = match params
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Scopes::parse("read").unwrap_or_default(),
        Some(raw) => Scopes::parse(raw).map_err(|e| {
            redirect_error(OAuthError::new(
                "invalid_scope",
                format!("The requested scope is invalid: {e}."),
            ))
        })?,
    };
    if !app_scopes.contains_all(&scopes) {
        return Err(redirect_error(OAuthError::new(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed: the application did not register for it.",
        )));
    }
    let (code_challenge, code_challenge_method) = match params.code_challenge.as_deref() {
        None | Some("") => (None, None),
        Some(challenge) => {
            let method = params.code_challenge_method.as_deref().unwrap_or("plain");
            if !matches!(method, "S256" | "plain") {
                return Err(redirect_error(OAuthError::new(
                    "invalid_request",
                    "code_challenge_method must be S256 or plain.",
                )));
            }
            if !valid_pkce_string(challenge) {
                return Err(redirect_error(OAuthError::new(
                    "invalid_request",
                    "code_challenge is malformed.",
                )));
            }
            (Some(challenge.to_string()), Some(method.to_string()))
        }
    };
    Ok(AuthorizationRequest {
        app,
        redirect_uri,
        scopes,
        state: params.state.clone(),
        code_challenge,
        code_challenge_method,
    })
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Z] [a-z] [0-9] - . _ ~`.
fn valid_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The employee approved: issue a one-time code for the client.
#[tracing::instrument(skip_all, fields(app_id = request.app.id, user_id))]
pub fn issue_code(
    conn: &mut DbConnection,
    user_id: i64,
    request: &AuthorizationRequest,
) -> Result<String> {
    let code = secrets::new_token();
    let now = Utc::now().naive_utc();
    let row = NewAuthorizationCode {
        id: ids::next_id(),
        code_hash: secrets::hash_token(&code),
        application_id: request.app.id,
        user_id,
        redirect_uri: request.redirect_uri.clone(),
        scopes: request.scopes.to_string(),
        code_challenge: request.code_challenge.clone(),
        code_challenge_method: request.code_challenge_method.clone(),
        expires_at: now + Duration::minutes(CODE_LIFETIME_MINUTES),
        created_at: now,
    };
    diesel::insert_into(oauth_authorization_codes::table)
        .values(&row)
        .execute(conn)?;
    Ok(code)
}

/// A token just issued: the secret value is shown once.
pub struct IssuedToken {
    pub access_token: String,
    pub scopes: Scopes,
    pub created_at: NaiveDateTime,
}

fn insert_token(
    conn: &mut DbConnection,
    app_id: i64,
    user_id: Option<i64>,
    scopes: &Scopes,
    code_id: Option<i64>,
) -> Result<IssuedToken> {
    let token = secrets::new_token();
    let now = Utc::now().naive_utc();
    let row = NewAccessToken {
        id: ids::next_id(),
        token_hash: secrets::hash_token(&token),
        application_id: Some(app_id),
        user_id,
        scopes: scopes.to_string(),
        description: None,
        expires_at: None,
        created_at: now,
        refresh_token_hash: None,
        authorization_code_id: code_id,
    };
    diesel::insert_into(oauth_access_tokens::table)
        .values(&row)
        .execute(conn)?;
    Ok(IssuedToken {
        access_token: token,
        scopes: scopes.clone(),
        created_at: now,
    })
}

/// `grant_type=authorization_code`: exchange a code for a token. A code works once; replaying
/// it revokes the tokens it produced.
#[tracing::instrument(skip_all, fields(app_id = app.id))]
pub fn exchange_code(
    conn: &mut DbConnection,
    app: &Application,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> OAuthResult<IssuedToken> {
    let invalid = || {
        OAuthError::invalid_grant(
            "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
        )
    };
    let row: AuthorizationCode = oauth_authorization_codes::table
        .filter(oauth_authorization_codes::code_hash.eq(secrets::hash_token(code)))
        .select(AuthorizationCode::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(invalid)?;
    let now = Utc::now().naive_utc();
    if row.used_at.is_some() {
        let revoked: Vec<i64> = diesel::update(
            oauth_access_tokens::table
                .filter(oauth_access_tokens::authorization_code_id.eq(row.id))
                .filter(oauth_access_tokens::revoked_at.is_null()),
        )
        .set(oauth_access_tokens::revoked_at.eq(now))
        .returning(oauth_access_tokens::id)
        .get_results(conn)?;
        revoked_tokens(conn, &revoked)?;
        tracing::warn!(
            code_id = row.id,
            revoked = revoked.len(),
            "authorization code replayed; its tokens are revoked"
        );
        return Err(invalid().into());
    }
    if row.application_id != app.id || row.expires_at < now {
        return Err(invalid().into());
    }
    // RFC 6749 §4.1.3: the redirect_uri of the authorization request, present and identical.
    // Required even when the authorization request left it out (one registered URI), as
    // Mastodon (Doorkeeper) does; every client sends it.
    let Some(uri) = redirect_uri else {
        return Err(OAuthError::new(
            "invalid_request",
            "The request is missing the redirect_uri parameter.",
        )
        .into());
    };
    if uri != row.redirect_uri {
        return Err(invalid().into());
    }
    if let Some(challenge) = &row.code_challenge {
        let verifier = code_verifier.ok_or_else(|| {
            OAuthError::new("invalid_request", "code_verifier is required (PKCE).")
        })?;
        let ok = valid_pkce_string(verifier)
            && match row.code_challenge_method.as_deref() {
                Some("S256") => {
                    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *challenge
                }
                _ => verifier == challenge,
            };
        if !ok {
            return Err(OAuthError::invalid_grant(
                "The code_verifier does not match the code_challenge.",
            )
            .into());
        }
    }
    // Mark used first: a concurrent exchange of the same code updates nothing and fails.
    let marked = diesel::update(
        oauth_authorization_codes::table
            .find(row.id)
            .filter(oauth_authorization_codes::used_at.is_null()),
    )
    .set(oauth_authorization_codes::used_at.eq(now))
    .execute(conn)?;
    if marked != 1 {
        return Err(invalid().into());
    }
    // The employee may have been suspended, or their sign-in disabled, since they approved.
    let (suspended, disabled): (Option<NaiveDateTime>, Option<NaiveDateTime>) = users::table
        .inner_join(accounts::table)
        .filter(users::id.eq(row.user_id))
        .select((accounts::suspended_at, users::disabled_at))
        .first(conn)?;
    if suspended.is_some() || disabled.is_some() {
        return Err(invalid().into());
    }
    let scopes = Scopes::parse(&row.scopes).map_err(|e| Error::internal(anyhow::anyhow!(e)))?;
    Ok(insert_token(
        conn,
        app.id,
        Some(row.user_id),
        &scopes,
        Some(row.id),
    )?)
}

/// `grant_type=client_credentials`: a token for the app itself, with no user.
pub fn client_credentials(
    conn: &mut DbConnection,
    app: &Application,
    scope: Option<&str>,
) -> OAuthResult<IssuedToken> {
    let app_scopes = Scopes::parse(&app.scopes).unwrap_or_default();
    let scopes = match scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => Scopes::parse("read").map_err(|e| Error::internal(anyhow::anyhow!(e)))?,
        Some(raw) => Scopes::parse(raw).map_err(|e| OAuthError::new("invalid_scope", e))?,
    };
    if !app_scopes.contains_all(&scopes) {
        return Err(OAuthError::new(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        )
        .into());
    }
    Ok(insert_token(conn, app.id, None, &scopes, None)?)
}

/// `POST /oauth/revoke`: revoke a token the app holds. Unknown tokens are not an error.
pub fn revoke(conn: &mut DbConnection, app: &Application, token: &str) -> Result<()> {
    let revoked: Vec<i64> = diesel::update(
        oauth_access_tokens::table
            .filter(oauth_access_tokens::token_hash.eq(secrets::hash_token(token)))
            .filter(oauth_access_tokens::application_id.eq(app.id))
            .filter(oauth_access_tokens::revoked_at.is_null()),
    )
    .set(oauth_access_tokens::revoked_at.eq(Utc::now().naive_utc()))
    .returning(oauth_access_tokens::id)
    .get_results(conn)?;
    revoked_tokens(conn, &revoked)
}

/// Tell every app node that these tokens no longer work (their caches drop them), and end
/// their push subscriptions (with the copy of the token a push carries).
pub(crate) fn revoked_tokens(conn: &mut DbConnection, ids: &[i64]) -> Result<()> {
    if !ids.is_empty() {
        use crate::db::schema::push_subscriptions;
        diesel::delete(
            push_subscriptions::table.filter(push_subscriptions::access_token_id.eq_any(ids)),
        )
        .execute(conn)?;
    }
    for &token_id in ids {
        events::emit(conn, Event::TokenRevoked { token_id })?;
    }
    Ok(())
}

/// Who a bearer token speaks for.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token: AccessToken,
    pub scopes: Scopes,
    /// `None` for app-only tokens (client_credentials).
    pub user: Option<LocalUser>,
}

/// Who a bearer token speaks for, from this node's cache when it can (see
/// `service::caches`): `Ok(None)` if it is unknown, revoked, expired, or its employee is
/// suspended.
pub async fn bearer(ctx: &AppContext, token: &str) -> Result<Option<Arc<TokenOwner>>> {
    let hash = secrets::hash_token(token);
    let cache = &ctx.caches.tokens;
    if let Some(owner) = cache.get(&hash) {
        return Ok(Some(owner));
    }
    let generation = cache.generation();
    let token = token.to_string();
    let found = ctx
        .db
        .read(move |conn| authenticate_bearer(conn, &token))
        .await?
        .map(Arc::new);
    if let Some(owner) = &found {
        cache.keep(hash, owner.clone(), generation);
    }
    Ok(found)
}

/// Resolve a bearer token: `Ok(None)` if it is unknown, revoked, expired, or its employee is
/// suspended.
pub fn authenticate_bearer(conn: &mut DbConnection, token: &str) -> Result<Option<TokenOwner>> {
    let row: Option<(AccessToken, Option<(User, Account)>)> = oauth_access_tokens::table
        .left_join(users::table.inner_join(accounts::table))
        .filter(oauth_access_tokens::token_hash.eq(secrets::hash_token(token)))
        .filter(oauth_access_tokens::revoked_at.is_null())
        .select((
            AccessToken::as_select(),
            Option::<(User, Account)>::as_select(),
        ))
        .first(conn)
        .optional()?;
    let Some((token, owner)) = row else {
        return Ok(None);
    };
    if token.expires_at.is_some_and(|t| t < Utc::now().naive_utc()) {
        return Ok(None);
    }
    let user = match (token.user_id, owner) {
        (None, _) => None,
        (Some(_), Some((user, account)))
            if !account.is_suspended() && user.disabled_at.is_none() =>
        {
            Some(LocalUser { user, account })
        }
        (Some(_), _) => return Ok(None),
    };
    let scopes = Scopes::parse(&token.scopes).unwrap_or_default();
    Ok(Some(TokenOwner {
        token,
        scopes,
        user,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_checked() {
        assert!(parse_redirect_uri(OOB_REDIRECT_URI).is_ok());
        assert!(parse_redirect_uri("https://elk.zone/oauth/callback").is_ok());
        assert!(parse_redirect_uri("org.joinmastodon.android://callback").is_ok());
        assert!(parse_redirect_uri("/relative").is_err());
        assert!(parse_redirect_uri("https://x/cb#frag").is_err());
        assert!(parse_redirect_uri("javascript:alert(1)").is_err());
    }

    #[test]
    fn pkce_strings_follow_rfc7636() {
        assert!(valid_pkce_string(&"a".repeat(43)));
        assert!(!valid_pkce_string(&"a".repeat(42)));
        assert!(!valid_pkce_string(&"a".repeat(129)));
        assert!(!valid_pkce_string(&format!("{}+", "a".repeat(43))));
    }
}
