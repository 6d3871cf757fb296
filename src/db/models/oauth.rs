use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::oauth_access_tokens;

/// A bearer token for the Mastodon API. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = oauth_access_tokens)]
pub struct AccessToken {
    pub id: i64,
    pub token_hash: String,
    pub refresh_token_hash: Option<String>,
    pub application_id: Option<i64>,
    pub user_id: Option<i64>,
    pub scopes: String,
    pub description: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub authorization_code_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = oauth_access_tokens)]
pub struct NewAccessToken {
    pub id: i64,
    pub token_hash: String,
    pub application_id: Option<i64>,
    pub user_id: Option<i64>,
    pub scopes: String,
    pub description: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub refresh_token_hash: Option<String>,
    pub authorization_code_id: Option<i64>,
}

use crate::db::schema::{oauth_applications, oauth_authorization_codes, web_sessions};

/// A client app registered with `POST /api/v1/apps`.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = oauth_applications)]
pub struct Application {
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    /// One URI per line.
    pub redirect_uris: String,
    pub scopes: String,
    pub client_id: String,
    pub client_secret_hash: String,
    pub created_at: NaiveDateTime,
}

impl Application {
    pub fn redirect_uri_list(&self) -> Vec<&str> {
        self.redirect_uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = oauth_applications)]
pub struct NewApplication {
    pub id: i64,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: String,
    pub scopes: String,
    pub client_id: String,
    pub client_secret_hash: String,
    pub created_at: NaiveDateTime,
}

/// A one-time authorization code, valid for a few minutes.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = oauth_authorization_codes)]
pub struct AuthorizationCode {
    pub id: i64,
    pub code_hash: String,
    pub application_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = oauth_authorization_codes)]
pub struct NewAuthorizationCode {
    pub id: i64,
    pub code_hash: String,
    pub application_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// A signed-in browser session.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct WebSession {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub oidc_sid: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}
