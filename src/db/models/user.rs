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
    /// JSON array of the identity provider's group names (last sign-in or SCIM).
    pub groups: String,
    pub scim_external_id: Option<String>,
    pub scim_user_name: Option<String>,
    /// Moderators disabled the sign-in (the account and its posts stay).
    pub disabled_at: Option<chrono::NaiveDateTime>,
    /// Profile fields from the identity provider (JSON `[{"name", "value"}]`).
    pub directory_fields: String,
}

impl User {
    /// The identity provider's groups of this employee.
    pub fn group_names(&self) -> Vec<String> {
        serde_json::from_str(&self.groups).unwrap_or_default()
    }
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
