//! SCIM 2.0 provisioning (RFC 7643/7644): the identity provider creates, updates, suspends
//! and reactivates employees' accounts, and pushes groups.
//!
//! SCIM resources are the accounts IT provisioned (`users.scim_user_name` set). Linking with
//! sign-in: a SCIM user is linked to the OIDC identity whose `auth.scim.external_id_claim`
//! claim equals its `externalId` at the first sign-in; an account created by a sign-in first
//! keeps that claim's value as its externalId, so a later SCIM `POST /Users` with the same
//! externalId adopts it instead of creating a second account. Never by e-mail or name.
//!
//! `active: false` suspends (tokens revoked, sessions ended, streams closed); `active: true`
//! lifts the suspension. `DELETE` deprovisions the same way and removes the SCIM resource; the
//! account and its posts stay (other departments may hold replies to them).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::config::{InstanceSettings, OidcSettings};
use crate::db::models::{Account, User};
use crate::db::schema::{accounts, scim_group_members, scim_groups, users};
use crate::db::{Db, DbConnection, ids, lower};
use crate::error::{Error, ErrorKind, Result};
use crate::service::audit;
use crate::service::sso::{normalise_username, role_for};
use crate::service::users::{
    Email, LocalUser, NewLocalUser, Role, Username, create_local_user, free_username,
};

/// What the provider says about a user (already parsed from the SCIM resource).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub department: Option<String>,
    pub active: bool,
}

/// A provisioned user with the SCIM groups they belong to.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub user: LocalUser,
    pub groups: Vec<(i64, String)>,
}

/// A SCIM group.
#[derive(Debug, Clone)]
pub struct GroupRecord {
    pub id: i64,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<(i64, String)>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The supported filters (`userName eq "…"`, `externalId eq "…"`, `displayName eq "…"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    UserName(String),
    ExternalId(String),
    DisplayName(String),
}

fn conflict(detail: String) -> Error {
    Error::conflict(detail)
}

fn scim_users() -> users::BoxedQuery<'static, crate::db::MultiBackend> {
    users::table
        .filter(users::scim_user_name.is_not_null())
        .into_boxed()
}

fn load_user(conn: &mut DbConnection, account_id: i64) -> Result<UserRecord> {
    let (user, account): (User, Account) = users::table
        .inner_join(accounts::table)
        .filter(users::account_id.eq(account_id))
        .filter(users::scim_user_name.is_not_null())
        .select((User::as_select(), Account::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("User {account_id} not found")))?;
    let groups = scim_group_members::table
        .inner_join(scim_groups::table)
        .filter(scim_group_members::user_id.eq(user.id))
        .select((scim_groups::id, scim_groups::display_name))
        .order(scim_groups::display_name.asc())
        .load(conn)?;
    Ok(UserRecord {
        user: LocalUser { user, account },
        groups,
    })
}

/// One provisioned user by id (the account id).
pub fn get_user(conn: &mut DbConnection, id: i64) -> Result<UserRecord> {
    load_user(conn, id)
}

/// A page of provisioned users (`start_index` is 1-based), and how many match in all.
pub fn list_users(
    conn: &mut DbConnection,
    filter: Option<&Filter>,
    start_index: i64,
    count: i64,
) -> Result<(i64, Vec<UserRecord>)> {
    let filtered = || {
        let q = scim_users();
        match filter {
            None => Ok(q),
            Some(Filter::UserName(v)) => {
                Ok(q.filter(lower(users::scim_user_name.assume_not_null()).eq(v.to_lowercase())))
            }
            Some(Filter::ExternalId(v)) => Ok(q.filter(users::scim_external_id.eq(v.clone()))),
            Some(Filter::DisplayName(_)) => Err(Error::bad_request(
                "displayName is not a filterable attribute of Users",
            )),
        }
    };
    let total: i64 = filtered()?.count().get_result(conn)?;
    let ids: Vec<i64> = filtered()?
        .select(users::account_id)
        .order(users::id.asc())
        .offset(start_index.max(1) - 1)
        .limit(count.clamp(0, 200))
        .load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(load_user(conn, id)?);
    }
    Ok((total, out))
}

fn user_name_taken(conn: &mut DbConnection, user_name: &str, except: i64) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        users::table
            .filter(lower(users::scim_user_name.assume_not_null()).eq(user_name.to_lowercase()))
            .filter(users::account_id.ne(except)),
    ))
    .get_result(conn)?)
}

fn external_id_owner(conn: &mut DbConnection, external_id: &str) -> Result<Option<User>> {
    Ok(users::table
        .filter(users::scim_external_id.eq(external_id))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Create a provisioned user, or adopt the account a sign-in created for the same externalId.
#[tracing::instrument(skip_all, fields(user_name = %data.user_name))]
pub async fn create_user(
    db: &Db,
    instance: &InstanceSettings,
    oidc: &OidcSettings,
    data: UserData,
) -> Result<UserRecord> {
    let base = normalise_username(&data.user_name);
    let email = match data.email.as_deref().map(Email::parse) {
        Some(Ok(email)) => email,
        Some(Err(e)) => return Err(e),
        None => Email::parse(&format!("{base}@scim.invalid"))?,
    };
    // Key generation is slow: before the transaction (unused when an account is adopted).
    let placeholder = Username::parse(&base)?;
    let display_name = data.display_name.clone();
    let prepared = tokio::task::spawn_blocking(move || {
        NewLocalUser::prepare(placeholder, email, display_name, Role::User, None)
    })
    .await??;
    let (instance, oidc) = (instance.clone(), oidc.clone());
    db.write(move |conn| {
        if user_name_taken(conn, &data.user_name, -1)? {
            return Err(conflict(format!(
                "userName `{}` is already provisioned",
                data.user_name
            )));
        }
        let adopted = match data.external_id.as_deref() {
            Some(external_id) => match external_id_owner(conn, external_id)? {
                Some(owner) if owner.scim_user_name.is_none() => Some(owner.account_id),
                Some(_) => {
                    return Err(conflict(format!(
                        "externalId `{external_id}` is already provisioned"
                    )));
                }
                None => None,
            },
            None => None,
        };
        let account_id = match adopted {
            Some(id) => {
                tracing::info!(
                    account_id = id,
                    "SCIM adopted the account of an earlier sign-in"
                );
                id
            }
            None => {
                let mut prepared = prepared;
                prepared.username = free_username(conn, &instance, &base)?;
                let created = create_local_user(conn, &instance, prepared)?;
                diesel::update(users::table.find(created.user.id))
                    .set(users::scim_external_id.eq(&data.external_id))
                    .execute(conn)?;
                tracing::info!(account_id = created.account.id, "SCIM created an account");
                created.account.id
            }
        };
        diesel::update(users::table.filter(users::account_id.eq(account_id)))
            .set(users::scim_user_name.eq(&data.user_name))
            .execute(conn)?;
        apply(conn, &oidc, account_id, &data)
    })
    .await
}

/// Replace a provisioned user's attributes (PUT, and PATCH after merging).
#[tracing::instrument(skip(conn, oidc, data))]
pub fn replace_user(
    conn: &mut DbConnection,
    oidc: &OidcSettings,
    id: i64,
    data: &UserData,
) -> Result<UserRecord> {
    load_user(conn, id)?;
    if user_name_taken(conn, &data.user_name, id)? {
        return Err(conflict(format!(
            "userName `{}` is already provisioned",
            data.user_name
        )));
    }
    if let Some(external_id) = data.external_id.as_deref()
        && let Some(owner) = external_id_owner(conn, external_id)?
        && owner.account_id != id
    {
        return Err(conflict(format!(
            "externalId `{external_id}` belongs to another user"
        )));
    }
    diesel::update(users::table.filter(users::account_id.eq(id)))
        .set((
            users::scim_user_name.eq(&data.user_name),
            users::scim_external_id.eq(&data.external_id),
        ))
        .execute(conn)?;
    apply(conn, oidc, id, data)
}

/// Write the provider's attributes and active state.
fn apply(
    conn: &mut DbConnection,
    _oidc: &OidcSettings,
    account_id: i64,
    data: &UserData,
) -> Result<UserRecord> {
    let now = Utc::now().naive_utc();
    let current = load_user(conn, account_id)?;
    if let Some(email) = data.email.as_deref() {
        let email = Email::parse(email)?;
        let taken: bool = diesel::select(diesel::dsl::exists(
            users::table
                .filter(lower(users::email).eq(email.as_str()))
                .filter(users::id.ne(current.user.user.id)),
        ))
        .get_result(conn)?;
        if taken {
            return Err(conflict(format!(
                "the e-mail address `{}` belongs to another account",
                email.as_str()
            )));
        }
        diesel::update(users::table.find(current.user.user.id))
            .set(users::email.eq(email.as_str()))
            .execute(conn)?;
    }
    diesel::update(users::table.find(current.user.user.id))
        .set((
            users::department.eq(&data.department),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    if let Some(name) = data.display_name.as_deref() {
        let name: String = name
            .chars()
            .take(crate::service::accounts::MAX_DISPLAY_NAME_CHARS)
            .collect();
        diesel::update(accounts::table.find(account_id))
            .set((
                accounts::display_name.eq(name),
                accounts::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    set_active(conn, &current.user, data.active)?;
    crate::service::users::changed(conn, account_id)?;
    load_user(conn, account_id)
}

/// `active: false` suspends like `groundswell admin suspend` (tokens revoked, sessions ended,
/// streams closed, other departments told); `active: true` lifts it. Both are audited as the
/// identity provider's doing.
fn set_active(conn: &mut DbConnection, user: &LocalUser, active: bool) -> Result<()> {
    let username = &user.account.username;
    let action = match (active, user.account.is_suspended()) {
        (false, false) => {
            let (_, revoked) = crate::service::users::suspend(conn, username)?;
            tracing::info!(
                account_id = user.account.id,
                revoked,
                "SCIM deactivated the account"
            );
            "account.suspend"
        }
        (true, true) => {
            crate::service::users::unsuspend(conn, username)?;
            tracing::info!(account_id = user.account.id, "SCIM reactivated the account");
            "account.unsuspend"
        }
        _ => return Ok(()),
    };
    let target = audit::Target::account(conn, user.account.id)?;
    audit::record(
        conn,
        &audit::Actor::Provisioning,
        action,
        target,
        "SCIM",
        serde_json::json!({}),
    )
}

/// Deprovision: suspend and remove the SCIM resource (the account stays, suspended).
#[tracing::instrument(skip(conn))]
pub fn delete_user(conn: &mut DbConnection, id: i64) -> Result<()> {
    let current = load_user(conn, id)?;
    set_active(conn, &current.user, false)?;
    diesel::update(users::table.find(current.user.user.id))
        .set(users::scim_user_name.eq(None::<String>))
        .execute(conn)?;
    diesel::delete(
        scim_group_members::table.filter(scim_group_members::user_id.eq(current.user.user.id)),
    )
    .execute(conn)?;
    Ok(())
}

// ---- Groups ----

fn load_group(conn: &mut DbConnection, id: i64) -> Result<GroupRecord> {
    let (id, display_name, external_id, created_at, updated_at): (
        i64,
        String,
        Option<String>,
        NaiveDateTime,
        NaiveDateTime,
    ) = scim_groups::table
        .find(id)
        .select((
            scim_groups::id,
            scim_groups::display_name,
            scim_groups::external_id,
            scim_groups::created_at,
            scim_groups::updated_at,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("Group {id} not found")))?;
    let members = scim_group_members::table
        .inner_join(users::table.inner_join(accounts::table))
        .filter(scim_group_members::group_id.eq(id))
        .select((accounts::id, users::scim_user_name.assume_not_null()))
        .order(accounts::id.asc())
        .load::<(i64, String)>(conn)?;
    Ok(GroupRecord {
        id,
        display_name,
        external_id,
        members,
        created_at,
        updated_at,
    })
}

pub fn get_group(conn: &mut DbConnection, id: i64) -> Result<GroupRecord> {
    load_group(conn, id)
}

pub fn list_groups(
    conn: &mut DbConnection,
    filter: Option<&Filter>,
    start_index: i64,
    count: i64,
) -> Result<(i64, Vec<GroupRecord>)> {
    let filtered = || {
        let q = scim_groups::table.into_boxed();
        match filter {
            None => Ok(q),
            Some(Filter::DisplayName(v)) => Ok(q.filter(scim_groups::display_name.eq(v.clone()))),
            Some(Filter::ExternalId(v)) => Ok(q.filter(scim_groups::external_id.eq(v.clone()))),
            Some(Filter::UserName(_)) => Err(Error::bad_request(
                "userName is not a filterable attribute of Groups",
            )),
        }
    };
    let total: i64 = filtered()?.count().get_result(conn)?;
    let ids: Vec<i64> = filtered()?
        .select(scim_groups::id)
        .order(scim_groups::id.asc())
        .offset(start_index.max(1) - 1)
        .limit(count.clamp(0, 200))
        .load(conn)?;
    ids.into_iter()
        .map(|id| load_group(conn, id))
        .collect::<Result<Vec<_>>>()
        .map(|g| (total, g))
}

/// The users table id of a provisioned account id (SCIM member `value`).
fn member_user_id(conn: &mut DbConnection, account_id: i64) -> Result<i64> {
    users::table
        .filter(users::account_id.eq(account_id))
        .filter(users::scim_user_name.is_not_null())
        .select(users::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::bad_request(format!("member {account_id} is not a provisioned user")))
}

pub fn create_group(
    conn: &mut DbConnection,
    oidc: &OidcSettings,
    display_name: &str,
    external_id: Option<String>,
    members: &[i64],
) -> Result<GroupRecord> {
    let taken: bool = diesel::select(diesel::dsl::exists(
        scim_groups::table.filter(scim_groups::display_name.eq(display_name)),
    ))
    .get_result(conn)?;
    if taken {
        return Err(conflict(format!("group `{display_name}` already exists")));
    }
    let now = Utc::now().naive_utc();
    let id = ids::next_id();
    diesel::insert_into(scim_groups::table)
        .values((
            scim_groups::id.eq(id),
            scim_groups::display_name.eq(display_name),
            scim_groups::external_id.eq(external_id),
            scim_groups::created_at.eq(now),
            scim_groups::updated_at.eq(now),
        ))
        .execute(conn)?;
    set_members(conn, oidc, id, members)?;
    load_group(conn, id)
}

/// Replace a group's name and members.
pub fn replace_group(
    conn: &mut DbConnection,
    oidc: &OidcSettings,
    id: i64,
    display_name: &str,
    external_id: Option<String>,
    members: &[i64],
) -> Result<GroupRecord> {
    load_group(conn, id)?;
    let taken: bool = diesel::select(diesel::dsl::exists(
        scim_groups::table
            .filter(scim_groups::display_name.eq(display_name))
            .filter(scim_groups::id.ne(id)),
    ))
    .get_result(conn)?;
    if taken {
        return Err(conflict(format!("group `{display_name}` already exists")));
    }
    diesel::update(scim_groups::table.find(id))
        .set((
            scim_groups::display_name.eq(display_name),
            scim_groups::external_id.eq(external_id),
            scim_groups::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    set_members(conn, oidc, id, members)?;
    load_group(conn, id)
}

/// Make `members` (account ids) exactly the group's members; roles follow.
pub fn set_members(
    conn: &mut DbConnection,
    oidc: &OidcSettings,
    group_id: i64,
    members: &[i64],
) -> Result<()> {
    let before: Vec<i64> = scim_group_members::table
        .filter(scim_group_members::group_id.eq(group_id))
        .select(scim_group_members::user_id)
        .load(conn)?;
    let mut wanted = Vec::new();
    for account_id in members {
        wanted.push(member_user_id(conn, *account_id)?);
    }
    diesel::delete(scim_group_members::table.filter(scim_group_members::group_id.eq(group_id)))
        .execute(conn)?;
    wanted.sort_unstable();
    wanted.dedup();
    for user_id in &wanted {
        diesel::insert_into(scim_group_members::table)
            .values((
                scim_group_members::group_id.eq(group_id),
                scim_group_members::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    let mut touched = before;
    touched.extend(wanted);
    touched.sort_unstable();
    touched.dedup();
    for user_id in touched {
        refresh_role(conn, oidc, user_id)?;
    }
    Ok(())
}

/// Current members as account ids.
pub fn member_ids(conn: &mut DbConnection, group_id: i64) -> Result<Vec<i64>> {
    Ok(load_group(conn, group_id)?
        .members
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

pub fn delete_group(conn: &mut DbConnection, oidc: &OidcSettings, id: i64) -> Result<()> {
    load_group(conn, id)?;
    set_members(conn, oidc, id, &[])?;
    diesel::delete(scim_groups::table.find(id)).execute(conn)?;
    Ok(())
}

/// The groups of an employee: those the provider's claims named at the last sign-in and the
/// SCIM groups they belong to.
pub fn effective_groups(conn: &mut DbConnection, user: &User) -> Result<Vec<String>> {
    let mut groups = user.group_names();
    groups.extend(group_names(conn, user.id)?);
    groups.sort();
    groups.dedup();
    Ok(groups)
}

/// The SCIM groups an employee (users table id) belongs to.
pub fn group_names(conn: &mut DbConnection, user_id: i64) -> Result<Vec<String>> {
    Ok(scim_group_members::table
        .inner_join(scim_groups::table)
        .filter(scim_group_members::user_id.eq(user_id))
        .select(scim_groups::display_name)
        .load(conn)?)
}

/// Set the role the groups give (when the provider manages roles).
pub fn refresh_role(conn: &mut DbConnection, oidc: &OidcSettings, user_id: i64) -> Result<()> {
    let user: User = users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)?;
    if let Some(role) = role_for(oidc, &effective_groups(conn, &user)?)
        && role.as_str() != user.role
    {
        diesel::update(users::table.find(user_id))
            .set(users::role.eq(role.as_str()))
            .execute(conn)?;
        crate::service::users::changed(conn, user.account_id)?;
        tracing::info!(user_id, %role, "role changed by SCIM group membership");
    }
    Ok(())
}
