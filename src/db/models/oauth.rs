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
}
