//! Bearer tokens for the Mastodon API.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::auth::Scopes;
use crate::auth::secrets;
use crate::db::models::{AccessToken, NewAccessToken};
use crate::db::schema::{oauth_access_tokens, oauth_applications};
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

/// Which of an employee's API access a row of "authorised apps" stands for: every token of
/// one registered app, or one token issued without an app (`groundswell admin issue-token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    App(i64),
    Token(i64),
}

impl Grant {
    /// `app:ID` or `token:ID`, as a form sends it back.
    pub fn parse(raw: &str) -> Result<Grant> {
        let parsed = match raw.trim().split_once(':') {
            Some(("app", id)) => id.parse().ok().map(Grant::App),
            Some(("token", id)) => id.parse().ok().map(Grant::Token),
            _ => None,
        };
        parsed.ok_or_else(Error::not_found)
    }

    pub fn key(self) -> String {
        match self {
            Grant::App(id) => format!("app:{id}"),
            Grant::Token(id) => format!("token:{id}"),
        }
    }
}

/// An app with live tokens of an employee, its tokens taken together.
#[derive(Debug, Clone)]
pub struct AuthorisedApp {
    pub grant: Grant,
    /// The app's name, or the personal token's description.
    pub name: String,
    pub website: Option<String>,
    /// Every scope any of its tokens holds, in the order first seen.
    pub scopes: Vec<String>,
    /// When the first of its tokens was issued.
    pub created_at: NaiveDateTime,
    /// When any of its tokens was last used, as far as it is recorded.
    pub last_used_at: Option<NaiveDateTime>,
    pub tokens: usize,
}

/// An app's name and website.
type AppName = (String, Option<String>);

/// An employee's live (neither revoked nor expired) API tokens, by app; apps most recently
/// authorised first.
pub fn authorised_apps(conn: &mut DbConnection, user_id: i64) -> Result<Vec<AuthorisedApp>> {
    let now = Utc::now().naive_utc();
    let rows: Vec<(AccessToken, Option<AppName>)> = oauth_access_tokens::table
        .left_join(oauth_applications::table)
        .filter(oauth_access_tokens::user_id.eq(user_id))
        .filter(oauth_access_tokens::revoked_at.is_null())
        .filter(
            oauth_access_tokens::expires_at
                .is_null()
                .or(oauth_access_tokens::expires_at.gt(now)),
        )
        .order(oauth_access_tokens::id.asc())
        .select((
            AccessToken::as_select(),
            (oauth_applications::name, oauth_applications::website).nullable(),
        ))
        .load(conn)?;
    let mut apps: Vec<AuthorisedApp> = Vec::new();
    for (token, app) in rows {
        let grant = match token.application_id {
            Some(id) => Grant::App(id),
            None => Grant::Token(token.id),
        };
        let scopes = token.scopes.split_whitespace().map(String::from);
        if let Some(seen) = apps.iter_mut().find(|a| a.grant == grant) {
            for scope in scopes {
                if !seen.scopes.contains(&scope) {
                    seen.scopes.push(scope);
                }
            }
            seen.created_at = seen.created_at.min(token.created_at);
            seen.last_used_at = seen.last_used_at.max(token.last_used_at);
            seen.tokens += 1;
            continue;
        }
        let (name, website) = match app {
            Some((name, website)) => (name, website),
            None => (
                token
                    .description
                    .clone()
                    .filter(|d| !d.trim().is_empty())
                    .unwrap_or_else(|| "Personal access token".to_string()),
                None,
            ),
        };
        apps.push(AuthorisedApp {
            grant,
            name,
            website,
            scopes: scopes.collect(),
            created_at: token.created_at,
            last_used_at: token.last_used_at,
            tokens: 1,
        });
    }
    apps.sort_by_key(|a| std::cmp::Reverse(a.created_at));
    Ok(apps)
}

/// An employee takes back an app's access: every live token of theirs it holds is revoked
/// (on every app node at once, see `oauth::revoked_tokens`). Nothing to revoke is not found.
#[tracing::instrument(skip(conn))]
pub fn revoke_grant(conn: &mut DbConnection, user_id: i64, grant: Grant) -> Result<()> {
    let mine = oauth_access_tokens::table
        .filter(oauth_access_tokens::user_id.eq(user_id))
        .filter(oauth_access_tokens::revoked_at.is_null())
        .into_boxed();
    let chosen = match grant {
        Grant::App(id) => mine.filter(oauth_access_tokens::application_id.eq(id)),
        Grant::Token(id) => mine
            .filter(oauth_access_tokens::id.eq(id))
            .filter(oauth_access_tokens::application_id.is_null()),
    };
    let ids: Vec<i64> = chosen.select(oauth_access_tokens::id).load(conn)?;
    if ids.is_empty() {
        return Err(Error::not_found());
    }
    let revoked: Vec<i64> = diesel::update(
        oauth_access_tokens::table
            .filter(oauth_access_tokens::id.eq_any(&ids))
            .filter(oauth_access_tokens::revoked_at.is_null()),
    )
    .set(oauth_access_tokens::revoked_at.eq(Utc::now().naive_utc()))
    .returning(oauth_access_tokens::id)
    .get_results(conn)?;
    crate::service::oauth::revoked_tokens(conn, &revoked)?;
    tracing::info!(tokens = revoked.len(), "app access revoked by its employee");
    Ok(())
}
