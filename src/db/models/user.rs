use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;

/// Sign-in data of a local employee; one per local [`Account`](super::Account).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub department: Option<String>,
    pub oidc_issuer: Option<String>,
    pub oidc_subject: Option<String>,
    pub locale: Option<String>,
    pub default_visibility: Option<String>,
    pub default_sensitive: bool,
    pub default_language: Option<String>,
    pub last_sign_in_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub department: Option<String>,
    pub oidc_issuer: Option<String>,
    pub oidc_subject: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
