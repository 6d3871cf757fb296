//! Bearer tokens for the Mastodon API.

use chrono::Utc;
use diesel::prelude::*;

use crate::auth::Scopes;
use crate::auth::secrets;
use crate::db::models::NewAccessToken;
use crate::db::schema::oauth_access_tokens;
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::users::LocalUser;

/// Issue a token for a local employee without an OAuth client (for scripts and integrations:
/// `groundswell admin issue-token`). Returns the token; only its hash is stored.
#[tracing::instrument(skip(conn, user), fields(account_id = user.account.id, scopes = %scopes))]
pub fn issue_personal_token(
    conn: &mut DbConnection,
    user: &LocalUser,
    scopes: &Scopes,
    description: Option<String>,
) -> Result<String> {
    if user.account.is_suspended() {
        return Err(Error::forbidden(format!(
            "`{}` is suspended: no token can be issued",
            user.account.username
        )));
    }
    let token = secrets::new_token();
    let row = NewAccessToken {
        id: ids::next_id(),
        token_hash: secrets::hash_token(&token),
        application_id: None,
        user_id: Some(user.user.id),
        scopes: scopes.to_string(),
        description,
        expires_at: None,
        created_at: Utc::now().naive_utc(),
        refresh_token_hash: None,
        authorization_code_id: None,
    };
    diesel::insert_into(oauth_access_tokens::table)
        .values(&row)
        .execute(conn)?;
    tracing::info!("personal access token issued");
    Ok(token)
}
