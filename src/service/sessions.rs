//! Browser sessions: signing in with a local password, and the session that follows.

use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::auth::{password, secrets};
use crate::db::models::{Account, User, WebSession};
use crate::db::schema::{accounts, users, web_sessions};
use crate::db::{Db, DbConnection, ids};
use crate::error::{Error, ErrorKind, Result};
use crate::service::users::LocalUser;

/// A PHC hash of a random password, verified when the login name is unknown so that a wrong
/// name and a wrong password take the same time.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0q4GZ3pQ9l5p7Ww8y8mN0l7r2tq1bJQ4x3nYQ8pZk1E";

/// Whom a sign-in attempt with `login` is against, for the failure budget: `account:ID` when
/// the username or e-mail names a local account (both spellings share one budget), else the
/// normalised login. The answer is never shown, so it reveals nothing about who exists.
pub fn sign_in_subject(conn: &mut DbConnection, login: &str) -> Result<String> {
    let login = normalise_login(login);
    let found: Option<i64> = users::table
        .inner_join(accounts::table)
        .filter(accounts::domain.is_null())
        .filter(accounts::username.eq(&login).or(users::email.eq(&login)))
        .select(accounts::id)
        .first(conn)
        .optional()?;
    Ok(match found {
        Some(id) => format!("account:{id}"),
        None => format!("login:{login}"),
    })
}

fn normalise_login(login: &str) -> String {
    login.trim().trim_start_matches('@').to_lowercase()
}

/// Check a username (or e-mail) and password. The message never tells which one was wrong.
/// The employee is looked up with a pooled connection; the (deliberately slow) Argon2 check
/// runs after it is given back, on the blocking pool.
#[tracing::instrument(skip(db, password))]
pub async fn verify_password_login(db: &Db, login: &str, password: String) -> Result<LocalUser> {
    let login = normalise_login(login);
    let found: Option<(User, Account)> = db
        .read(move |conn| {
            Ok(users::table
                .inner_join(accounts::table)
                .filter(accounts::domain.is_null())
                .filter(accounts::username.eq(&login).or(users::email.eq(&login)))
                .select((User::as_select(), Account::as_select()))
                .first(conn)
                .optional()?)
        })
        .await?;
    tokio::task::spawn_blocking(move || check_password(found, &password)).await?
}

fn check_password(found: Option<(User, Account)>, password: &str) -> Result<LocalUser> {
    let refused = || {
        Error::new(
            ErrorKind::Unauthorized,
            "Invalid username/e-mail or password.",
        )
    };
    let Some((user, account)) = found else {
        password::verify(password, DUMMY_HASH);
        return Err(refused());
    };
    let Some(hash) = user.password_hash.as_deref() else {
        password::verify(password, DUMMY_HASH);
        return Err(Error::new(
            ErrorKind::Unauthorized,
            "This account has no password: sign in with your company account (SSO).",
        ));
    };
    if !password::verify(password, hash) {
        tracing::info!(account_id = account.id, "failed password sign-in");
        return Err(refused());
    }
    if account.is_suspended() {
        return Err(Error::forbidden("Your account is suspended."));
    }
    if user.disabled_at.is_some() {
        return Err(Error::forbidden(
            "Signing in to this account is disabled. Ask your department's moderators.",
        ));
    }
    Ok(LocalUser { user, account })
}

/// Start a session; returns the cookie value (only its hash is stored).
pub fn create_session(
    conn: &mut DbConnection,
    user: &LocalUser,
    lifetime_hours: i64,
    user_agent: Option<String>,
) -> Result<String> {
    create_session_with_sid(conn, user, lifetime_hours, user_agent, None)
}

/// Start a session signed in through the identity provider, remembering the provider's
/// session id (`sid`) so that a back-channel logout can end it.
pub fn create_session_with_sid(
    conn: &mut DbConnection,
    user: &LocalUser,
    lifetime_hours: i64,
    user_agent: Option<String>,
    oidc_sid: Option<String>,
) -> Result<String> {
    let token = secrets::new_token();
    let now = Utc::now().naive_utc();
    let row = WebSession {
        id: ids::next_id(),
        token_hash: secrets::hash_token(&token),
        user_id: user.user.id,
        csrf_token: secrets::new_token(),
        oidc_sid,
        user_agent: user_agent.map(|ua| ua.chars().take(300).collect()),
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::hours(lifetime_hours),
    };
    diesel::insert_into(web_sessions::table)
        .values(&row)
        .execute(conn)?;
    diesel::update(users::table.find(user.user.id))
        .set(users::last_sign_in_at.eq(now))
        .execute(conn)?;
    // Signing in makes the employee active today (counted, never shown one by one).
    crate::service::metrics::note_seen(
        conn,
        &crate::service::metrics::day_key(now.date()),
        &[user.account.id],
    )?;
    tracing::info!(account_id = user.account.id, "signed in");
    Ok(token)
}

/// The live session behind a cookie value, with its employee (not suspended).
pub fn find_session(
    conn: &mut DbConnection,
    token: &str,
) -> Result<Option<(WebSession, LocalUser)>> {
    let found: Option<(WebSession, (User, Account))> = web_sessions::table
        .inner_join(users::table.inner_join(accounts::table))
        .filter(web_sessions::token_hash.eq(secrets::hash_token(token)))
        .filter(web_sessions::expires_at.gt(Utc::now().naive_utc()))
        .select((
            WebSession::as_select(),
            (User::as_select(), Account::as_select()),
        ))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(session, (user, account))| {
        (!account.is_suspended() && user.disabled_at.is_none())
            .then_some((session, LocalUser { user, account }))
    }))
}

/// End the session behind a cookie value (sign out).
pub fn end_session(conn: &mut DbConnection, token: &str) -> Result<()> {
    diesel::delete(
        web_sessions::table.filter(web_sessions::token_hash.eq(secrets::hash_token(token))),
    )
    .execute(conn)?;
    Ok(())
}

/// An employee's live browser sessions, the most recently started first.
pub fn of_user(conn: &mut DbConnection, user_id: i64) -> Result<Vec<WebSession>> {
    Ok(web_sessions::table
        .filter(web_sessions::user_id.eq(user_id))
        .filter(web_sessions::expires_at.gt(Utc::now().naive_utc()))
        .order((web_sessions::created_at.desc(), web_sessions::id.desc()))
        .select(WebSession::as_select())
        .load(conn)?)
}

/// An employee ends one of their own browser sessions (signs that browser out). Another
/// employee's session, or one already ended, is not found.
#[tracing::instrument(skip(conn))]
pub fn end_own_session(conn: &mut DbConnection, user_id: i64, session_id: i64) -> Result<()> {
    let ended = diesel::delete(
        web_sessions::table
            .filter(web_sessions::id.eq(session_id))
            .filter(web_sessions::user_id.eq(user_id)),
    )
    .execute(conn)?;
    if ended == 0 {
        return Err(Error::not_found());
    }
    tracing::info!("browser session ended by its employee");
    Ok(())
}

/// A browser's `User-Agent` as a person names it ("Firefox on Linux"); `None` when it says
/// nothing recognisable.
pub fn describe_user_agent(user_agent: &str) -> Option<String> {
    let has = |needle: &str| user_agent.contains(needle);
    // Order matters: Edge and Opera say Chrome, Chrome says Safari.
    let browser = if has("Edg/") {
        Some("Edge")
    } else if has("OPR/") {
        Some("Opera")
    } else if has("Firefox/") {
        Some("Firefox")
    } else if has("Chrome/") || has("Chromium/") || has("HeadlessChrome/") {
        Some("Chrome")
    } else if has("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if has("Android") {
        Some("Android")
    } else if has("iPhone") || has("iPad") {
        Some("iOS")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("CrOS") {
        Some("ChromeOS")
    } else if has("Linux") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(b), Some(s)) => Some(format!("{b} on {s}")),
        (Some(b), None) => Some(b.to_string()),
        (None, Some(s)) => Some(format!("A browser on {s}")),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_named_as_people_name_them() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(
            describe_user_agent(firefox).as_deref(),
            Some("Firefox on Linux")
        );
        let chrome = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(
            describe_user_agent(chrome).as_deref(),
            Some("Chrome on Android")
        );
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(
            describe_user_agent(edge).as_deref(),
            Some("Edge on Windows")
        );
        assert_eq!(describe_user_agent("curl/8.5"), None);
    }

    #[test]
    fn the_dummy_hash_is_a_real_argon2_hash() {
        // If it did not parse, unknown logins would answer faster than wrong passwords.
        assert!(argon2::password_hash::PasswordHash::new(DUMMY_HASH).is_ok());
    }
}
