//! Corporate single sign-on: who may sign in, which account a verified identity is, what
//! its claims change, and how the provider ends sessions.
//!
//! Accounts are keyed by (issuer, `sub`), never by e-mail or username. The first sign-in
//! creates the account (just-in-time provisioning), unless IT provisioned it over SCIM: then
//! the account whose SCIM `externalId` equals the claim `auth.scim.external_id_claim` (the
//! `sub` by default) is linked, once. Every sign-in updates display name, e-mail, department,
//! groups and (when the provider's groups manage roles) the role.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::Value;

use crate::auth::oidc::{Claims, LogoutToken};
use crate::auth::secrets;
use crate::config::{AuthSettings, InstanceSettings, OidcSettings};
use crate::db::models::{Account, User};
use crate::db::schema::{accounts, oidc_logins, oidc_seen_tokens, users, web_sessions};
use crate::db::{Db, DbConnection};
use crate::error::{Error, ErrorKind, Result};
use crate::service::accounts::MAX_DISPLAY_NAME_CHARS;
use crate::service::events::{Event, emit};
use crate::service::users::{
    Email, LocalUser, MAX_USERNAME_CHARS, NewLocalUser, Role, Username, create_local_user,
    free_username, revoke_all_tokens,
};

/// How long the provider may take to send the browser back.
pub const LOGIN_LIFETIME_MINUTES: i64 = 15;

/// What a verified identity says about the employee, after the claim mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub issuer: String,
    pub subject: String,
    /// Wished-for username (not yet normalised or made unique).
    pub username_hint: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub department: Option<String>,
    /// `auth.oidc.profile_fields`: (label, value) of the claims present.
    pub directory_fields: Vec<(String, String)>,
    pub groups: Vec<String>,
    /// The value compared with a SCIM user's `externalId`.
    pub link_value: Option<String>,
}

fn claim_text(claims: &Claims, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    match claims.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Group names from a claim: a JSON array of strings, or one string of comma-separated names.
/// Keycloak's full paths (`/eng`) count as the plain name.
fn claim_groups(claims: &Claims, name: &str) -> Vec<String> {
    let raw: Vec<String> = match claims.get(name) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => s.split(',').map(String::from).collect(),
        _ => Vec::new(),
    };
    let mut groups: Vec<String> = raw
        .iter()
        .map(|g| g.trim().trim_start_matches('/').to_string())
        .filter(|g| !g.is_empty())
        .collect();
    groups.sort();
    groups.dedup();
    groups
}

/// Apply the claim mapping of `auth.oidc` to verified claims.
pub fn profile_from_claims(auth: &AuthSettings, issuer: &str, claims: &Claims) -> Result<Profile> {
    let oidc = &auth.oidc;
    let subject = claim_text(claims, "sub")
        .ok_or_else(|| Error::unauthorized("The identity provider sent no subject (sub)."))?;
    Ok(Profile {
        issuer: issuer.to_string(),
        subject,
        username_hint: claim_text(claims, &oidc.username_claim),
        email: claim_text(claims, &oidc.email_claim),
        display_name: claim_text(claims, &oidc.display_name_claim),
        department: claim_text(claims, &oidc.department_claim),
        groups: claim_groups(claims, &oidc.groups_claim),
        link_value: claim_text(claims, &auth.scim.external_id_claim),
        directory_fields: oidc
            .profile_fields
            .iter()
            .filter_map(|f| {
                let value = claim_text(claims, &f.claim)?;
                let value: String = value
                    .chars()
                    .take(crate::service::accounts::MAX_FIELD_CHARS)
                    .collect();
                Some((f.label.trim().to_string(), value))
            })
            .collect(),
    })
}

/// Whether the groups let the employee in (`auth.oidc.allowed_groups`; empty: everyone).
pub fn is_allowed(oidc: &OidcSettings, groups: &[String]) -> bool {
    oidc.allowed_groups.is_empty() || oidc.allowed_groups.iter().any(|g| groups.contains(g))
}

/// The role the groups give, or `None` when the provider does not manage roles.
pub fn role_for(oidc: &OidcSettings, groups: &[String]) -> Option<Role> {
    if !oidc.manages_roles() {
        return None;
    }
    let member = |list: &[String]| list.iter().any(|g| groups.contains(g));
    Some(if member(&oidc.admin_groups) {
        Role::Admin
    } else if member(&oidc.moderator_groups) {
        Role::Moderator
    } else {
        Role::User
    })
}

/// A valid username from a claim or an e-mail address: the part before `@`, lowercased,
/// other characters replaced by `_`, letters with accents reduced to their base where simple.
pub fn normalise_username(raw: &str) -> String {
    let local = raw.split('@').next().unwrap_or_default();
    let mut out = String::new();
    for c in local.trim().chars() {
        let c = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => {
                'a'
            }
            'ç' | 'Ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
            'ñ' | 'Ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => {
                'o'
            }
            'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
            'ý' | 'ÿ' | 'Ý' => 'y',
            'ß' => 's',
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
            '.' | '-' | '_' => c,
            _ => '_',
        };
        // No runs of separators.
        if matches!(c, '.' | '-' | '_') && out.ends_with(['.', '-', '_']) {
            continue;
        }
        out.push(c);
    }
    let trimmed: String = out
        .trim_matches(|c| c == '.' || c == '-' || c == '_')
        .chars()
        .take(MAX_USERNAME_CHARS)
        .collect();
    let trimmed = trimmed.trim_end_matches(['.', '-']).to_string();
    if trimmed.is_empty() {
        "user".into()
    } else {
        trimmed
    }
}

/// The username an identity would get: the mapped claim, else the e-mail's local part.
fn wished_username(profile: &Profile) -> String {
    let source = profile
        .username_hint
        .as_deref()
        .or(profile.email.as_deref())
        .unwrap_or("user");
    normalise_username(source)
}

/// A sign-in sent to the provider, kept until the browser comes back.
#[derive(Debug, Clone)]
pub struct PendingLogin {
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
}

/// Remember a sign-in sent to the provider (and forget the ones that expired).
pub fn remember_login(conn: &mut DbConnection, state: &str, pending: &PendingLogin) -> Result<()> {
    let now = Utc::now().naive_utc();
    diesel::delete(oidc_logins::table.filter(oidc_logins::expires_at.lt(now))).execute(conn)?;
    diesel::insert_into(oidc_logins::table)
        .values((
            oidc_logins::state_hash.eq(secrets::hash_token(state)),
            oidc_logins::nonce.eq(&pending.nonce),
            oidc_logins::pkce_verifier.eq(&pending.pkce_verifier),
            oidc_logins::return_to.eq(&pending.return_to),
            oidc_logins::created_at.eq(now),
            oidc_logins::expires_at.eq(now + Duration::minutes(LOGIN_LIFETIME_MINUTES)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The pending sign-in of `state`, removed so that it can be used once only.
pub fn take_login(conn: &mut DbConnection, state: &str) -> Result<Option<PendingLogin>> {
    let found: Option<(String, String, String, chrono::NaiveDateTime)> = diesel::delete(
        oidc_logins::table.filter(oidc_logins::state_hash.eq(secrets::hash_token(state))),
    )
    .returning((
        oidc_logins::nonce,
        oidc_logins::pkce_verifier,
        oidc_logins::return_to,
        oidc_logins::expires_at,
    ))
    .get_result(conn)
    .optional()?;
    Ok(
        found.and_then(|(nonce, pkce_verifier, return_to, expires_at)| {
            (expires_at > Utc::now().naive_utc()).then_some(PendingLogin {
                nonce,
                pkce_verifier,
                return_to,
            })
        }),
    )
}

fn find_by_identity(
    conn: &mut DbConnection,
    issuer: &str,
    subject: &str,
) -> Result<Option<LocalUser>> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(users::oidc_issuer.eq(issuer))
        .filter(users::oidc_subject.eq(subject))
        .select((User::as_select(), Account::as_select()))
        .first::<(User, Account)>(conn)
        .optional()?
        .map(|(user, account)| LocalUser { user, account }))
}

/// A SCIM-provisioned account not linked to a sign-in yet, whose externalId is `value`.
fn find_scim_unlinked(conn: &mut DbConnection, value: &str) -> Result<Option<LocalUser>> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(users::scim_external_id.eq(value))
        .filter(users::oidc_subject.is_null())
        .select((User::as_select(), Account::as_select()))
        .first::<(User, Account)>(conn)
        .optional()?
        .map(|(user, account)| LocalUser { user, account }))
}

fn find_external_id(conn: &mut DbConnection, value: &str) -> Result<Option<i64>> {
    Ok(users::table
        .filter(users::scim_external_id.eq(value))
        .select(users::id)
        .first(conn)
        .optional()?)
}

fn email_taken_by_other(conn: &mut DbConnection, email: &str, user_id: i64) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        users::table
            .filter(crate::db::lower(users::email).eq(email.to_lowercase()))
            .filter(users::id.ne(user_id)),
    ))
    .get_result(conn)?)
}

fn clip_display_name(name: &str) -> String {
    name.chars().take(MAX_DISPLAY_NAME_CHARS).collect()
}

/// Bring an existing account in line with the provider's claims.
fn apply_profile(
    conn: &mut DbConnection,
    oidc: &OidcSettings,
    mut found: LocalUser,
    profile: &Profile,
) -> Result<LocalUser> {
    let now = Utc::now().naive_utc();
    let email = match profile.email.as_deref().map(Email::parse) {
        Some(Ok(email)) if email.as_str() != found.user.email => {
            if email_taken_by_other(conn, email.as_str(), found.user.id)? {
                tracing::warn!(
                    account_id = found.account.id,
                    "the provider's e-mail address belongs to another account; kept the old one"
                );
                found.user.email.clone()
            } else {
                email.as_str().to_string()
            }
        }
        _ => found.user.email.clone(),
    };
    // Roles follow the claims' groups and the SCIM groups the employee is in.
    let mut all_groups = profile.groups.clone();
    all_groups.extend(crate::service::scim::group_names(conn, found.user.id)?);
    let role = role_for(oidc, &all_groups)
        .map(|r| r.as_str().to_string())
        .unwrap_or_else(|| found.user.role.clone());
    let groups = serde_json::to_string(&profile.groups).map_err(Error::internal)?;
    found.user = diesel::update(users::table.find(found.user.id))
        .set((
            users::email.eq(email),
            users::department.eq(&profile.department),
            users::groups.eq(groups),
            users::role.eq(&role),
            users::oidc_issuer.eq(&profile.issuer),
            users::oidc_subject.eq(&profile.subject),
            users::updated_at.eq(now),
        ))
        .returning(users::all_columns)
        .get_result(conn)?;
    if let Some(name) = profile.display_name.as_deref().map(clip_display_name)
        && name != found.account.display_name
    {
        found.account = diesel::update(accounts::table.find(found.account.id))
            .set((
                accounts::display_name.eq(name),
                accounts::updated_at.eq(now),
            ))
            .returning(accounts::all_columns)
            .get_result(conn)?;
    }
    found = crate::service::accounts::set_directory_fields(conn, found, &profile.directory_fields)?;
    crate::service::users::changed(conn, found.account.id)?;
    Ok(found)
}

/// Sign in with a verified identity: refuse it, update the account, link a SCIM account, or
/// create one (just in time). Nothing is written for a refused identity.
#[tracing::instrument(skip_all, fields(subject = %profile.subject))]
pub async fn sign_in(
    db: &Db,
    instance: &InstanceSettings,
    oidc: &OidcSettings,
    profile: Profile,
) -> Result<LocalUser> {
    if !is_allowed(oidc, &profile.groups) {
        tracing::info!(groups = ?profile.groups, "sign-in refused: not in an allowed group");
        return Err(Error::forbidden(format!(
            "Your company account is not in a group that may use {}. If you think it should \
             be, ask IT to add you to one of these groups: {}.",
            instance.name,
            oidc.allowed_groups.join(", ")
        )));
    }
    let lookup = profile.clone();
    let existing = db
        .read(move |conn| {
            if let Some(found) = find_by_identity(conn, &lookup.issuer, &lookup.subject)? {
                return Ok(Some(found));
            }
            match lookup.link_value.as_deref() {
                Some(value) => find_scim_unlinked(conn, value),
                None => Ok(None),
            }
        })
        .await?;
    if let Some(found) = existing {
        if found.account.is_suspended() {
            return Err(Error::forbidden(
                "Your account on this instance is suspended. Ask your department's admins.",
            ));
        }
        if found.user.disabled_at.is_some() {
            return Err(Error::forbidden(
                "Signing in to this account is disabled. Ask your department's moderators.",
            ));
        }
        let (oidc, profile) = (oidc.clone(), profile.clone());
        let user = db
            .write(move |conn| apply_profile(conn, &oidc, found, &profile))
            .await?;
        tracing::info!(account_id = user.account.id, "signed in with SSO");
        return Ok(user);
    }

    // First sign-in: generating the key pair is slow, so it happens before the transaction.
    let wished = wished_username(&profile);
    let placeholder = Username::parse(&wished)?;
    let email = match profile.email.as_deref().map(Email::parse) {
        Some(Ok(email)) => email,
        _ => Email::parse(&format!("{wished}@sso.invalid"))?,
    };
    let role = role_for(oidc, &profile.groups).unwrap_or(Role::User);
    let display_name = profile.display_name.as_deref().map(clip_display_name);
    let prepared = tokio::task::spawn_blocking(move || {
        NewLocalUser::prepare(placeholder, email, display_name, role, None)
    })
    .await??;
    let (instance, oidc, profile) = (instance.clone(), oidc.clone(), profile.clone());
    let created = db
        .write(move |conn| {
            // Another node may have created it meanwhile.
            if let Some(found) = find_by_identity(conn, &profile.issuer, &profile.subject)? {
                return apply_profile(conn, &oidc, found, &profile);
            }
            if email_taken_by_other(conn, prepared.email.as_str(), -1)? {
                return Err(Error::conflict(format!(
                    "The e-mail address {} already belongs to another account on this \
                     instance, so no account was created for your company sign-in. Ask your \
                     department's admins to resolve it.",
                    prepared.email.as_str()
                )));
            }
            let mut prepared = prepared;
            prepared.username = free_username(conn, &instance, &wished)?;
            let mut created = create_local_user(conn, &instance, prepared)?;
            // Remember the linking claim as the SCIM externalId, so that provisioning the
            // same person later adopts this account instead of creating another.
            if let Some(value) = profile.link_value.as_deref()
                && find_external_id(conn, value)?.is_none()
            {
                created.user = diesel::update(users::table.find(created.user.id))
                    .set(users::scim_external_id.eq(value))
                    .returning(users::all_columns)
                    .get_result(conn)?;
            }
            apply_profile(conn, &oidc, created, &profile)
        })
        .await?;
    tracing::info!(
        account_id = created.account.id,
        username = %created.account.username,
        "account created at first SSO sign-in"
    );
    Ok(created)
}

/// What a back-channel logout did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogoutOutcome {
    pub sessions_ended: usize,
    pub tokens_revoked: usize,
}

/// A verified back-channel logout: end the employee's sessions of that provider session (all
/// of them without `sid`) and revoke their API tokens; open streams close. A logout token is
/// accepted once (`jti`).
#[tracing::instrument(skip_all, fields(subject = %token.subject))]
pub fn backchannel_logout(
    conn: &mut DbConnection,
    issuer: &str,
    token: &LogoutToken,
) -> Result<LogoutOutcome> {
    let now = Utc::now().naive_utc();
    diesel::delete(oidc_seen_tokens::table.filter(oidc_seen_tokens::expires_at.lt(now)))
        .execute(conn)?;
    let key = format!(
        "logout:{}",
        secrets::hash_token(&format!("{issuer}\n{}", token.jti))
    );
    let seen: bool = diesel::select(diesel::dsl::exists(
        oidc_seen_tokens::table.filter(oidc_seen_tokens::key.eq(&key)),
    ))
    .get_result(conn)?;
    if seen {
        return Err(Error::new(
            ErrorKind::BadRequest,
            "this logout token was already used",
        ));
    }
    diesel::insert_into(oidc_seen_tokens::table)
        .values((
            oidc_seen_tokens::key.eq(&key),
            oidc_seen_tokens::expires_at.eq(token.expires_at.max(now + Duration::minutes(5))),
        ))
        .execute(conn)?;
    let Some(found) = find_by_identity(conn, issuer, &token.subject)? else {
        return Ok(LogoutOutcome {
            sessions_ended: 0,
            tokens_revoked: 0,
        });
    };
    let sessions = web_sessions::table.filter(web_sessions::user_id.eq(found.user.id));
    let sessions_ended = match token.sid.as_deref() {
        Some(sid) => {
            diesel::delete(sessions.filter(web_sessions::oidc_sid.eq(sid))).execute(conn)?
        }
        None => diesel::delete(sessions).execute(conn)?,
    };
    let tokens_revoked = revoke_all_tokens(conn, found.user.id)?;
    emit(
        conn,
        Event::AccessRevoked {
            account_id: found.account.id,
        },
    )?;
    tracing::info!(
        account_id = found.account.id,
        sessions_ended,
        tokens_revoked,
        "back-channel logout"
    );
    Ok(LogoutOutcome {
        sessions_ended,
        tokens_revoked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn oidc() -> OidcSettings {
        OidcSettings {
            issuer: "https://idp.example".into(),
            admin_groups: vec!["it-admins".into()],
            moderator_groups: vec!["mods".into()],
            allowed_groups: vec!["staff".into()],
            ..OidcSettings::default()
        }
    }

    #[test]
    fn usernames_are_normalised_from_claims_and_addresses() {
        assert_eq!(normalise_username("Alice"), "alice");
        assert_eq!(
            normalise_username("alice.anders@corp.example"),
            "alice.anders"
        );
        assert_eq!(normalise_username("Zoë O'Brien"), "zoe_o_brien");
        assert_eq!(normalise_username("..-bob-.."), "bob");
        assert_eq!(normalise_username("@@@"), "user");
        assert_eq!(
            normalise_username(&"x".repeat(50)).len(),
            MAX_USERNAME_CHARS
        );
        for raw in ["Zoë O'Brien", "..-bob-..", "a--b", "ÅSA"] {
            assert!(Username::parse(&normalise_username(raw)).is_ok(), "{raw}");
        }
    }

    #[test]
    fn groups_decide_access_and_role() {
        let oidc = oidc();
        let groups = |g: &[&str]| g.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_allowed(&oidc, &groups(&["staff"])));
        assert!(!is_allowed(&oidc, &groups(&["contractors"])));
        assert_eq!(
            role_for(&oidc, &groups(&["staff", "it-admins"])),
            Some(Role::Admin)
        );
        assert_eq!(
            role_for(&oidc, &groups(&["mods", "it-admins"])),
            Some(Role::Admin)
        );
        assert_eq!(role_for(&oidc, &groups(&["mods"])), Some(Role::Moderator));
        assert_eq!(role_for(&oidc, &groups(&["staff"])), Some(Role::User));
        let unmanaged = OidcSettings::default();
        assert_eq!(role_for(&unmanaged, &groups(&["it-admins"])), None);
        assert!(is_allowed(&unmanaged, &[]));
    }

    #[test]
    fn claims_are_mapped() {
        let auth = AuthSettings::default();
        let claims = json!({
            "sub": "abc", "preferred_username": "alice@corp.example", "email": "Alice@Corp.Example",
            "name": "Alice", "department": "Eng", "groups": ["/staff", "eng", "staff"]
        });
        let profile =
            profile_from_claims(&auth, "https://idp", claims.as_object().unwrap()).unwrap();
        assert_eq!(profile.subject, "abc");
        assert_eq!(profile.groups, vec!["eng".to_string(), "staff".to_string()]);
        assert_eq!(profile.link_value.as_deref(), Some("abc"));
        assert_eq!(wished_username(&profile), "alice");
        let no_sub = json!({"email": "x@y"});
        assert!(profile_from_claims(&auth, "i", no_sub.as_object().unwrap()).is_err());
    }
}
