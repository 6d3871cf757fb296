//! Local employees: creating accounts, roles, suspension.

use std::fmt;
use std::str::FromStr;

use activitypub_federation::http_signatures::generate_actor_keypair;
use chrono::Utc;
use diesel::prelude::*;

use crate::auth::password::Password;
use crate::config::InstanceSettings;
use crate::db::models::{Account, NewAccount, NewUser, User};
use crate::db::schema::{accounts, oauth_access_tokens, users, web_sessions};
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, Result};

pub const MAX_USERNAME_CHARS: usize = 30;

/// A valid local username: lowercase letters, digits and `_`, with `.` or `-` allowed inside,
/// at most 30 characters (Mastodon's rule, so every client can mention it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Username> {
        let name = input.trim().trim_start_matches('@').to_ascii_lowercase();
        if name.is_empty() {
            return Err(Error::unprocessable("the username must not be empty"));
        }
        if name.chars().count() > MAX_USERNAME_CHARS {
            return Err(Error::unprocessable(format!(
                "the username `{name}` is too long: at most {MAX_USERNAME_CHARS} characters"
            )));
        }
        let edge_ok = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
        let inner_ok = |c: char| edge_ok(c) || c == '.' || c == '-';
        let first = name.chars().next().is_some_and(edge_ok);
        let last = name.chars().last().is_some_and(edge_ok);
        if !(first && last && name.chars().all(inner_ok)) {
            return Err(Error::unprocessable(format!(
                "the username `{input}` is not valid: use letters, digits and `_` \
                 (`.` and `-` only between them)"
            )));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plausible e-mail address, lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email> {
        let email = input.trim().to_lowercase();
        let valid = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !email.chars().any(char::is_whitespace)
                    && email.len() <= 254
            }
            None => false,
        };
        if !valid {
            return Err(Error::unprocessable(format!(
                "`{input}` is not a valid e-mail address"
            )));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an employee may do on their department's instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    User,
    Moderator,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "user" => Ok(Role::User),
            "moderator" => Ok(Role::Moderator),
            "admin" => Ok(Role::Admin),
            other => Err(Error::unprocessable(format!(
                "`{other}` is not a role: use admin, moderator or user"
            ))),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything needed to create a local employee. Build it with [`NewLocalUser::prepare`]
/// *outside* a transaction: it generates the RSA key pair and hashes the password, both slow.
pub struct NewLocalUser {
    pub username: Username,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    password_hash: Option<String>,
    private_key_pem: String,
    public_key_pem: String,
}

impl NewLocalUser {
    pub fn prepare(
        username: Username,
        email: Email,
        display_name: Option<String>,
        role: Role,
        password: Option<&Password>,
    ) -> Result<NewLocalUser> {
        let keypair = generate_actor_keypair()
            .map_err(|e| Error::internal(anyhow::anyhow!("cannot generate key pair: {e}")))?;
        let password_hash = password.map(Password::hash).transpose()?;
        let display_name = display_name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| username.as_str().to_string());
        Ok(NewLocalUser {
            username,
            email,
            display_name,
            role,
            password_hash,
            private_key_pem: keypair.private_key,
            public_key_pem: keypair.public_key,
        })
    }
}

/// A local employee: sign-in data and the account other people see.
#[derive(Debug, Clone)]
pub struct LocalUser {
    pub user: User,
    pub account: Account,
}

impl LocalUser {
    pub fn role(&self) -> Role {
        self.user.role.parse().unwrap_or(Role::User)
    }
}

/// Create a local employee. Call inside a write transaction.
#[tracing::instrument(skip_all, fields(username = %new.username))]
pub fn create_local_user(
    conn: &mut DbConnection,
    instance: &InstanceSettings,
    new: NewLocalUser,
) -> Result<LocalUser> {
    if is_reserved(instance, &new.username) {
        return Err(Error::conflict(format!(
            "the username `{}` is reserved: it names this instance's own actor",
            new.username
        )));
    }
    if find_local_account(conn, new.username.as_str())?.is_some() {
        return Err(Error::conflict(format!(
            "the username `{}` is already taken",
            new.username
        )));
    }
    let email_taken: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::email.eq(new.email.as_str())),
    ))
    .get_result(conn)?;
    if email_taken {
        return Err(Error::conflict(format!(
            "the e-mail address `{}` is already used by another account",
            new.email.as_str()
        )));
    }

    let now = Utc::now().naive_utc();
    let base = instance.base();
    let actor = format!("{base}/users/{}", new.username);
    let account = NewAccount {
        id: ids::next_id(),
        username: new.username.as_str().to_string(),
        domain: None,
        display_name: new.display_name,
        note: String::new(),
        locked: false,
        bot: false,
        discoverable: true,
        url: Some(format!("{base}/@{}", new.username)),
        inbox_url: format!("{actor}/inbox"),
        shared_inbox_url: Some(format!("{base}/inbox")),
        outbox_url: Some(format!("{actor}/outbox")),
        followers_url: Some(format!("{actor}/followers")),
        following_url: Some(format!("{actor}/following")),
        featured_url: Some(format!("{actor}/collections/featured")),
        ap_id: actor,
        public_key_pem: new.public_key_pem,
        private_key_pem: Some(new.private_key_pem),
        created_at: now,
        updated_at: now,
    };
    let account: Account = diesel::insert_into(accounts::table)
        .values(&account)
        .returning(accounts::all_columns)
        .get_result(conn)
        .map_err(|e| conflict_or_internal(e, "the username or e-mail address is already taken"))?;
    crate::service::feeds::create(conn, account.id)?;
    let user = NewUser {
        id: ids::next_id(),
        account_id: account.id,
        email: new.email.as_str().to_string(),
        password_hash: new.password_hash,
        role: new.role.as_str().to_string(),
        department: None,
        oidc_issuer: None,
        oidc_subject: None,
        created_at: now,
        updated_at: now,
    };
    let user: User = diesel::insert_into(users::table)
        .values(&user)
        .returning(users::all_columns)
        .get_result(conn)
        .map_err(|e| conflict_or_internal(e, "the username or e-mail address is already taken"))?;
    tracing::info!(account_id = account.id, role = %new.role, "local user created");
    Ok(LocalUser { user, account })
}

/// Whether `username` is kept from employees: the instance actor's (WebFinger answers
/// `acct:<host>@<domain>` with the instance actor, so an employee of that name could never be
/// found or verified by other servers).
pub fn is_reserved(instance: &InstanceSettings, username: &Username) -> bool {
    username.as_str() == instance.instance_actor_username()
}

/// `base`, or `base_2`, `base_3`, … : the first local username that is neither taken nor
/// reserved (for accounts made from a sign-in or by provisioning).
pub fn free_username(
    conn: &mut DbConnection,
    instance: &InstanceSettings,
    base: &str,
) -> Result<Username> {
    for n in 1..1000 {
        let candidate = if n == 1 {
            base.to_string()
        } else {
            let suffix = format!("_{n}");
            let head: String = base
                .chars()
                .take(MAX_USERNAME_CHARS - suffix.len())
                .collect();
            format!("{}{suffix}", head.trim_end_matches(['.', '-']))
        };
        let username = Username::parse(&candidate)?;
        if !is_reserved(instance, &username)
            && find_local_account(conn, username.as_str())?.is_none()
        {
            return Ok(username);
        }
    }
    Err(Error::conflict("no free username is left for this name"))
}

fn conflict_or_internal(e: diesel::result::Error, message: &'static str) -> Error {
    if is_unique_violation(&e) {
        Error::conflict(message)
    } else {
        Error::from(e)
    }
}

fn find_local_account(conn: &mut DbConnection, username: &str) -> Result<Option<Account>> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .filter(accounts::username.eq(username.to_ascii_lowercase()))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The local employee with this username.
pub fn find_local_user(conn: &mut DbConnection, username: &str) -> Result<LocalUser> {
    let username = Username::parse(username)?;
    users::table
        .inner_join(accounts::table)
        .filter(accounts::domain.is_null())
        .filter(accounts::username.eq(username.as_str()))
        .select((User::as_select(), Account::as_select()))
        .first::<(User, Account)>(conn)
        .optional()?
        .map(|(user, account)| LocalUser { user, account })
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorKind::NotFound,
                format!("no local user named `{username}`"),
            )
        })
}

/// Every local employee, by username.
pub fn list_local_users(conn: &mut DbConnection) -> Result<Vec<LocalUser>> {
    Ok(users::table
        .inner_join(accounts::table)
        .order(accounts::username.asc())
        .select((User::as_select(), Account::as_select()))
        .load::<(User, Account)>(conn)?
        .into_iter()
        .map(|(user, account)| LocalUser { user, account })
        .collect())
}

pub fn count_users(conn: &mut DbConnection) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
}

/// Tell every app node that this account's profile, or its employee's role or settings,
/// changed (their caches drop what they kept of it). Call in the transaction that changed it.
pub(crate) fn changed(conn: &mut DbConnection, account_id: i64) -> Result<()> {
    crate::service::events::emit(
        conn,
        crate::service::events::Event::AccountChanged { account_id },
    )
}

/// Give an employee another role.
#[tracing::instrument(skip(conn))]
pub fn set_role(conn: &mut DbConnection, username: &str, role: Role) -> Result<LocalUser> {
    let mut found = find_local_user(conn, username)?;
    found.user = diesel::update(users::table.find(found.user.id))
        .set((
            users::role.eq(role.as_str()),
            users::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(users::all_columns)
        .get_result(conn)?;
    changed(conn, found.account.id)?;
    tracing::info!(account_id = found.account.id, %role, "role changed");
    Ok(found)
}

/// Suspend an employee: they can no longer sign in or use the API; every token they hold is
/// revoked, every browser session ended and every stream closed; the other departments hear
/// of it and hide the account. Returns how many tokens were revoked.
#[tracing::instrument(skip(conn))]
pub fn suspend(conn: &mut DbConnection, username: &str) -> Result<(LocalUser, usize)> {
    let mut found = find_local_user(conn, username)?;
    if found.account.is_suspended() {
        return Err(Error::conflict(format!(
            "`{username}` is already suspended"
        )));
    }
    let now = Utc::now().naive_utc();
    found.account = diesel::update(accounts::table.find(found.account.id))
        .set((accounts::suspended_at.eq(now), accounts::updated_at.eq(now)))
        .returning(accounts::all_columns)
        .get_result(conn)?;
    let revoked = revoke_all_tokens(conn, found.user.id)?;
    diesel::delete(web_sessions::table.filter(web_sessions::user_id.eq(found.user.id)))
        .execute(conn)?;
    crate::service::events::emit(
        conn,
        crate::service::events::Event::AccessRevoked {
            account_id: found.account.id,
        },
    )?;
    // Other departments hear of it (the actor says `suspended`) and hide the account.
    crate::service::outbox::enqueue(
        conn,
        found.account.id,
        crate::service::outbox::Outgoing::UpdateProfile,
    )?;
    tracing::info!(account_id = found.account.id, revoked, "account suspended");
    Ok((found, revoked))
}

/// Lift a suspension. Tokens revoked by the suspension stay revoked: the employee signs in again.
#[tracing::instrument(skip(conn))]
pub fn unsuspend(conn: &mut DbConnection, username: &str) -> Result<LocalUser> {
    let mut found = find_local_user(conn, username)?;
    if !found.account.is_suspended() {
        return Err(Error::conflict(format!("`{username}` is not suspended")));
    }
    found.account = diesel::update(accounts::table.find(found.account.id))
        .set((
            accounts::suspended_at.eq(None::<chrono::NaiveDateTime>),
            accounts::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(accounts::all_columns)
        .get_result(conn)?;
    changed(conn, found.account.id)?;
    crate::service::outbox::enqueue(
        conn,
        found.account.id,
        crate::service::outbox::Outgoing::UpdateProfile,
    )?;
    tracing::info!(account_id = found.account.id, "suspension lifted");
    Ok(found)
}

/// Revoke every API token of an employee; returns how many were live.
pub fn revoke_all_tokens(conn: &mut DbConnection, user_id: i64) -> Result<usize> {
    let revoked: Vec<i64> = diesel::update(
        oauth_access_tokens::table
            .filter(oauth_access_tokens::user_id.eq(user_id))
            .filter(oauth_access_tokens::revoked_at.is_null()),
    )
    .set(oauth_access_tokens::revoked_at.eq(Utc::now().naive_utc()))
    .returning(oauth_access_tokens::id)
    .get_results(conn)?;
    crate::service::oauth::revoked_tokens(conn, &revoked)?;
    Ok(revoked.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_mastodon_rules() {
        assert_eq!(Username::parse("Alice").unwrap().as_str(), "alice");
        assert_eq!(Username::parse("@bob_1").unwrap().as_str(), "bob_1");
        assert!(Username::parse("first.last").is_ok());
        assert!(Username::parse(".alice").is_err());
        assert!(Username::parse("alice-").is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("").is_err());
        assert!(Username::parse(&"a".repeat(31)).is_err());
        assert!(Username::parse("zoë").is_err());
    }

    #[test]
    fn emails_and_roles_are_checked() {
        assert_eq!(
            Email::parse(" Alice@Eng.Example ").unwrap().as_str(),
            "alice@eng.example"
        );
        assert!(Email::parse("alice").is_err());
        assert!(Email::parse("a@b@c").is_err());
        assert!(Email::parse("@eng.example").is_err());
        assert_eq!("Admin".parse::<Role>().unwrap(), Role::Admin);
        assert!("root".parse::<Role>().is_err());
    }
}
