//! Moderation: what the department's moderators and administrators do to accounts, posts and
//! reports, each written to the audit log in the same transaction.
//!
//! - Account actions (Mastodon's): warn (`none`), `sensitive` (every attachment shown as
//!   sensitive), `disable` (no sign-in; an employee here only), `silence` (off the department
//!   and company timelines), `suspend` (tokens, sessions and streams end; the other departments
//!   hear of it and hide the account); each undone by `unsensitive`, `enable`, `unsilence`,
//!   `unsuspend`. An employee here is told by a moderation warning.
//! - A post taken down with a reason its author receives.
//! - Reports: the queue, assigned, resolved, reopened.
//!
//! Who may do what: moderators act on employees and accounts of other departments, not on
//! other moderators or administrators; administrators on anyone but themselves; role changes
//! are for administrators only (`users::set_role`, audited by its callers).

use std::fmt;
use std::str::FromStr;

use chrono::Utc;
use diesel::prelude::*;
use serde_json::json;

use crate::db::DbConnection;
use crate::db::models::{Account, Report, Status};
use crate::db::schema::{account_suspensions, accounts, reports, statuses, users, web_sessions};
use crate::error::{Error, ErrorKind, Result};
use crate::service::audit::{self, Actor, Target};
use crate::service::events::{self, Event};
use crate::service::users::Role;
use crate::service::warnings::{self, WarningAction};

/// Who acts: an administrator or moderator (with their role), or the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staff {
    pub account_id: Option<i64>,
    pub role: Role,
}

impl Staff {
    pub fn cli() -> Staff {
        Staff {
            account_id: None,
            role: Role::Admin,
        }
    }

    pub fn actor(&self) -> Actor {
        match self.account_id {
            Some(id) => Actor::Account(id),
            None => Actor::Cli,
        }
    }
}

/// Mastodon's account actions (`POST /api/v1/admin/accounts/:id/action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// A warning only.
    None,
    Sensitive,
    Disable,
    Silence,
    Suspend,
}

impl AccountAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountAction::None => "none",
            AccountAction::Sensitive => "sensitive",
            AccountAction::Disable => "disable",
            AccountAction::Silence => "silence",
            AccountAction::Suspend => "suspend",
        }
    }

    fn warning(self) -> WarningAction {
        match self {
            AccountAction::None => WarningAction::None,
            AccountAction::Sensitive => WarningAction::Sensitive,
            AccountAction::Disable => WarningAction::Disable,
            AccountAction::Silence => WarningAction::Silence,
            AccountAction::Suspend => WarningAction::Suspend,
        }
    }
}

impl FromStr for AccountAction {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "none" => Ok(AccountAction::None),
            "sensitive" => Ok(AccountAction::Sensitive),
            "disable" => Ok(AccountAction::Disable),
            "silence" => Ok(AccountAction::Silence),
            "suspend" => Ok(AccountAction::Suspend),
            other => Err(Error::unprocessable(format!(
                "Validation failed: `{other}` is not an action: use none, sensitive, disable, \
                 silence or suspend"
            ))),
        }
    }
}

impl fmt::Display for AccountAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What undoes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undo {
    Enable,
    Unsilence,
    Unsensitive,
    Unsuspend,
}

impl Undo {
    fn as_str(self) -> &'static str {
        match self {
            Undo::Enable => "enable",
            Undo::Unsilence => "unsilence",
            Undo::Unsensitive => "unsensitive",
            Undo::Unsuspend => "unsuspend",
        }
    }
}

/// Longest warning text, in characters.
pub const MAX_TEXT_CHARS: usize = warnings::MAX_TEXT_CHARS;

/// An account action as requested.
#[derive(Debug, Clone)]
pub struct ActionRequest {
    pub action: AccountAction,
    /// The report it answers (resolved with it).
    pub report_id: Option<i64>,
    /// What the employee is told, and why (for the audit log).
    pub text: String,
    /// Whether an employee here is told (a warning); Mastodon's `send_email_notification`.
    pub notify: bool,
}

/// The role of an account here (`None` for accounts of other departments).
fn role_of(conn: &mut DbConnection, account_id: i64) -> Result<Option<Role>> {
    let role: Option<String> = users::table
        .filter(users::account_id.eq(account_id))
        .select(users::role)
        .first(conn)
        .optional()?;
    Ok(role.map(|r| r.parse().unwrap_or(Role::User)))
}

/// Staff act on accounts below them: moderators on employees and accounts of other
/// departments, administrators on everyone but themselves.
fn may_act_on(conn: &mut DbConnection, staff: &Staff, target: &Account) -> Result<()> {
    if staff.role < Role::Moderator {
        return Err(Error::forbidden("This action is not allowed"));
    }
    if staff.account_id == Some(target.id) {
        return Err(Error::forbidden(
            "Moderators do not act on their own account",
        ));
    }
    let target_role = role_of(conn, target.id)?.unwrap_or(Role::User);
    if staff.role == Role::Moderator && target_role >= Role::Moderator {
        return Err(Error::forbidden(
            "Moderators cannot act on other moderators or administrators",
        ));
    }
    Ok(())
}

fn find_account(conn: &mut DbConnection, id: i64) -> Result<Account> {
    accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

/// Act on an account (`id`), with a warning its employee receives, resolving the report it
/// answers. Returns the account as it is now.
#[tracing::instrument(skip(conn, request), fields(account_id = id, action = %request.action))]
pub fn act(
    conn: &mut DbConnection,
    staff: &Staff,
    id: i64,
    request: ActionRequest,
) -> Result<Account> {
    let target = find_account(conn, id)?;
    may_act_on(conn, staff, &target)?;
    let text = request.text.trim().to_string();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::unprocessable(format!(
            "Validation failed: the text is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    let report = match request.report_id {
        Some(report_id) => {
            let report = find_report(conn, report_id)?;
            if report.target_account_id != id {
                return Err(Error::unprocessable(
                    "Validation failed: the report is about another account",
                ));
            }
            Some(report)
        }
        None => None,
    };
    let now = Utc::now().naive_utc();
    match request.action {
        AccountAction::None => {}
        AccountAction::Sensitive => {
            diesel::update(accounts::table.find(id))
                .set(accounts::sensitized_at.eq(Some(now)))
                .execute(conn)?;
        }
        AccountAction::Silence => {
            diesel::update(accounts::table.find(id))
                .set(accounts::silenced_at.eq(Some(now)))
                .execute(conn)?;
        }
        AccountAction::Disable => {
            if !target.is_local() {
                return Err(Error::unprocessable(
                    "Validation failed: only employees of this department sign in here",
                ));
            }
            diesel::update(users::table.filter(users::account_id.eq(id)))
                .set(users::disabled_at.eq(Some(now)))
                .execute(conn)?;
            end_access(conn, id)?;
        }
        AccountAction::Suspend => suspend(conn, &target)?,
    }
    crate::service::users::changed(conn, id)?;
    if target.is_local() && request.notify {
        let status_ids = report
            .as_ref()
            .map(|r| r.status_id_list())
            .unwrap_or_default();
        warnings::warn(
            conn,
            id,
            staff.account_id,
            request.action.warning(),
            &text,
            &status_ids,
        )?;
    }
    let subject = Target::account(conn, id)?;
    audit::record(
        conn,
        &staff.actor(),
        &format!("account.{}", request.action),
        subject,
        &text,
        json!({ "report_id": request.report_id.map(|r| r.to_string()) }),
    )?;
    if let Some(report) = report {
        close_report(conn, staff, &report, Some(request.action))?;
    }
    find_account(conn, id)
}

/// Revoke an employee's tokens and sessions, and close their streams.
fn end_access(conn: &mut DbConnection, account_id: i64) -> Result<()> {
    let user_id: Option<i64> = users::table
        .filter(users::account_id.eq(account_id))
        .select(users::id)
        .first(conn)
        .optional()?;
    if let Some(user_id) = user_id {
        crate::service::users::revoke_all_tokens(conn, user_id)?;
        diesel::delete(web_sessions::table.filter(web_sessions::user_id.eq(user_id)))
            .execute(conn)?;
    }
    events::emit(conn, Event::AccessRevoked { account_id })
}

/// Suspend: an employee here loses every token, session and stream, and the other
/// departments hear of it (their copy of the account says `suspended`); an account of
/// another department is hidden here.
fn suspend(conn: &mut DbConnection, target: &Account) -> Result<()> {
    if target.is_local() {
        crate::service::users::suspend(conn, &target.username)?;
    } else {
        suspension(conn, target.id, HERE, true)?;
    }
    Ok(())
}

/// Who suspended an account of another department: moderators here, or its own department.
pub const HERE: &str = "here";
pub const ORIGIN: &str = "origin";

/// Record or lift one party's suspension of an account of another department; the account
/// is suspended while any party's holds. Returns whether the account's suspension changed.
pub(crate) fn suspension(
    conn: &mut DbConnection,
    account_id: i64,
    by: &'static str,
    on: bool,
) -> Result<bool> {
    let now = Utc::now().naive_utc();
    let existing = account_suspensions::table
        .filter(account_suspensions::account_id.eq(account_id))
        .filter(account_suspensions::origin.eq(by));
    let present: bool = diesel::select(diesel::dsl::exists(existing)).get_result(conn)?;
    if on && !present {
        diesel::insert_into(account_suspensions::table)
            .values((
                account_suspensions::account_id.eq(account_id),
                account_suspensions::origin.eq(by),
                account_suspensions::created_at.eq(now),
            ))
            .execute(conn)?;
    } else if !on && present {
        diesel::delete(
            account_suspensions::table
                .filter(account_suspensions::account_id.eq(account_id))
                .filter(account_suspensions::origin.eq(by)),
        )
        .execute(conn)?;
    }
    let held: bool = diesel::select(diesel::dsl::exists(
        account_suspensions::table.filter(account_suspensions::account_id.eq(account_id)),
    ))
    .get_result(conn)?;
    let suspended_at: Option<chrono::NaiveDateTime> = accounts::table
        .find(account_id)
        .select(accounts::suspended_at)
        .first(conn)?;
    if held == suspended_at.is_some() {
        return Ok(false);
    }
    diesel::update(accounts::table.find(account_id))
        .set(accounts::suspended_at.eq(held.then_some(now)))
        .execute(conn)?;
    events::emit(conn, Event::AccountChanged { account_id })?;
    Ok(true)
}

/// Undo an action on an account.
#[tracing::instrument(skip(conn), fields(account_id = id))]
pub fn undo(conn: &mut DbConnection, staff: &Staff, id: i64, what: Undo) -> Result<Account> {
    let target = find_account(conn, id)?;
    may_act_on(conn, staff, &target)?;
    match what {
        Undo::Unsensitive => {
            diesel::update(accounts::table.find(id))
                .set(accounts::sensitized_at.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
        }
        Undo::Unsilence => {
            diesel::update(accounts::table.find(id))
                .set(accounts::silenced_at.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
        }
        Undo::Enable => {
            diesel::update(users::table.filter(users::account_id.eq(id)))
                .set(users::disabled_at.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
        }
        Undo::Unsuspend => {
            if target.is_local() {
                crate::service::users::unsuspend(conn, &target.username)?;
            } else {
                suspension(conn, id, HERE, false)?;
            }
        }
    }
    crate::service::users::changed(conn, id)?;
    let subject = Target::account(conn, id)?;
    audit::record(
        conn,
        &staff.actor(),
        &format!("account.{}", what.as_str()),
        subject,
        "",
        json!({}),
    )?;
    find_account(conn, id)
}

/// A moderator takes a post down; its author (an employee here) receives the reason. The
/// other departments that have it are told when it is ours.
#[tracing::instrument(skip(conn, reason), fields(status_id = id))]
pub fn remove_status(
    conn: &mut DbConnection,
    staff: &Staff,
    id: i64,
    reason: &str,
) -> Result<Status> {
    let reason = warnings::reason(reason, "the post is taken down")?;
    let reason = reason.as_str();
    let status: Status = statuses::table
        .find(id)
        .filter(statuses::deleted_at.is_null())
        .select(Status::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)?;
    let author = find_account(conn, status.account_id)?;
    may_act_on(conn, staff, &author)?;
    crate::service::statuses::remove(conn, &status, status.local)?;
    if author.is_local() {
        warnings::warn(
            conn,
            author.id,
            staff.account_id,
            WarningAction::DeleteStatuses,
            reason,
            &[id],
        )?;
    }
    audit::record(
        conn,
        &staff.actor(),
        "status.remove",
        Target::new("status", id, format!("post {id} by {}", author.acct())),
        reason,
        json!({ "author": author.acct() }),
    )?;
    Ok(status)
}

// ----------------------------------------------------------------------------------------
// Reports
// ----------------------------------------------------------------------------------------

fn find_report(conn: &mut DbConnection, id: i64) -> Result<Report> {
    reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| Error::new(ErrorKind::NotFound, "Record not found"))
}

/// Which reports to list.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// Resolved ones (`true`) or open ones (`false`, the default).
    pub resolved: bool,
    /// Filed by this account.
    pub account_id: Option<i64>,
    /// About this account.
    pub target_account_id: Option<i64>,
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

/// Reports, newest first (oldest first from `min_id`).
pub fn reports(conn: &mut DbConnection, filter: &ReportFilter) -> Result<Vec<Report>> {
    let mut q = reports::table.select(Report::as_select()).into_boxed();
    q = if filter.resolved {
        q.filter(reports::action_taken_at.is_not_null())
    } else {
        q.filter(reports::action_taken_at.is_null())
    };
    if let Some(a) = filter.account_id {
        q = q.filter(reports::account_id.eq(a));
    }
    if let Some(t) = filter.target_account_id {
        q = q.filter(reports::target_account_id.eq(t));
    }
    if let Some(max) = filter.max_id {
        q = q.filter(reports::id.lt(max));
    }
    if let Some(since) = filter.since_id {
        q = q.filter(reports::id.gt(since));
    }
    let limit = filter.limit.clamp(1, 200);
    if let Some(min) = filter.min_id {
        let mut rows: Vec<Report> = q
            .filter(reports::id.gt(min))
            .order(reports::id.asc())
            .limit(limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(reports::id.desc()).limit(limit).load(conn)?)
}

/// One report, for staff.
pub fn report(conn: &mut DbConnection, staff: &Staff, id: i64) -> Result<Report> {
    if staff.role < Role::Moderator {
        return Err(Error::forbidden("This action is not allowed"));
    }
    find_report(conn, id)
}

fn report_target(report: &Report) -> Target {
    Target::new("report", report.id, format!("report {}", report.id))
}

/// Assign a report to `to` (a moderator or administrator), or to nobody.
pub fn assign(conn: &mut DbConnection, staff: &Staff, id: i64, to: Option<i64>) -> Result<Report> {
    let report = report(conn, staff, id)?;
    if let Some(to) = to
        && role_of(conn, to)?.unwrap_or(Role::User) < Role::Moderator
    {
        return Err(Error::unprocessable(
            "Validation failed: reports are assigned to moderators or administrators",
        ));
    }
    diesel::update(reports::table.find(id))
        .set((
            reports::assigned_account_id.eq(to),
            reports::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    let assignee = match to {
        Some(to) => Some(Target::account(conn, to)?.label),
        None => None,
    };
    audit::record(
        conn,
        &staff.actor(),
        if to.is_some() {
            "report.assign"
        } else {
            "report.unassign"
        },
        report_target(&report),
        "",
        json!({ "assigned_to": assignee }),
    )?;
    find_report(conn, id)
}

/// Mark a report resolved (action taken).
pub fn resolve(conn: &mut DbConnection, staff: &Staff, id: i64) -> Result<Report> {
    let report = report(conn, staff, id)?;
    close_report(conn, staff, &report, None)?;
    find_report(conn, id)
}

fn close_report(
    conn: &mut DbConnection,
    staff: &Staff,
    report: &Report,
    action: Option<AccountAction>,
) -> Result<()> {
    if report.action_taken_at.is_some() {
        return Ok(());
    }
    let now = Utc::now().naive_utc();
    diesel::update(reports::table.find(report.id))
        .set((
            reports::action_taken_at.eq(Some(now)),
            reports::action_taken_by_account_id.eq(staff.account_id),
            reports::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        &staff.actor(),
        "report.resolve",
        report_target(report),
        "",
        json!({ "action": action.map(|a| a.as_str()) }),
    )
}

/// Open a resolved report again.
pub fn reopen(conn: &mut DbConnection, staff: &Staff, id: i64) -> Result<Report> {
    let report = report(conn, staff, id)?;
    diesel::update(reports::table.find(id))
        .set((
            reports::action_taken_at.eq(None::<chrono::NaiveDateTime>),
            reports::action_taken_by_account_id.eq(None::<i64>),
            reports::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        &staff.actor(),
        "report.reopen",
        report_target(&report),
        "",
        json!({}),
    )?;
    find_report(conn, id)
}

// ----------------------------------------------------------------------------------------
// Accounts, for staff
// ----------------------------------------------------------------------------------------

/// Where accounts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountOrigin {
    Local,
    Remote,
}

/// An account's moderation state, as Mastodon's admin API filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    /// Waiting for approval: none here (accounts come from the identity provider or IT).
    Pending,
    Disabled,
    Silenced,
    Suspended,
    Sensitized,
}

/// Which accounts to list (`GET /api/v1/admin/accounts`, `/api/v2/admin/accounts`).
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub origin: Option<AccountOrigin>,
    pub status: Option<AccountStatus>,
    /// Moderators and administrators only.
    pub staff: bool,
    pub role: Option<Role>,
    pub by_domain: Option<String>,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// Sign-in addresses are not kept: a search by address finds nobody.
    pub ip: Option<String>,
    /// In the username, the display name or the e-mail address (the console's search box).
    pub text: Option<String>,
    pub max_id: Option<i64>,
    pub since_id: Option<i64>,
    pub min_id: Option<i64>,
    pub limit: i64,
}

/// An account with its employee's sign-in data (`None` for other departments').
pub type StaffView = (Account, Option<crate::db::models::User>);

fn like(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Accounts for staff, newest first (oldest first from `min_id`).
pub fn accounts(conn: &mut DbConnection, filter: &AccountFilter) -> Result<Vec<StaffView>> {
    use crate::db::models::User;
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    if filter.ip.as_deref().is_some_and(|ip| !ip.is_empty()) {
        return Ok(Vec::new());
    }
    let mut q = accounts::table
        .left_join(users::table)
        .select((Account::as_select(), Option::<User>::as_select()))
        .into_boxed();
    match filter.origin {
        Some(AccountOrigin::Local) => q = q.filter(accounts::domain.is_null()),
        Some(AccountOrigin::Remote) => q = q.filter(accounts::domain.is_not_null()),
        None => {}
    }
    match filter.status {
        Some(AccountStatus::Active) => {
            q = q
                .filter(accounts::suspended_at.is_null())
                .filter(users::disabled_at.is_null())
        }
        Some(AccountStatus::Pending) => q = q.filter(sql::<Bool>("FALSE")),
        Some(AccountStatus::Disabled) => q = q.filter(users::disabled_at.is_not_null()),
        Some(AccountStatus::Silenced) => q = q.filter(accounts::silenced_at.is_not_null()),
        Some(AccountStatus::Suspended) => q = q.filter(accounts::suspended_at.is_not_null()),
        Some(AccountStatus::Sensitized) => q = q.filter(accounts::sensitized_at.is_not_null()),
        None => {}
    }
    if filter.staff {
        q = q.filter(users::role.eq_any([Role::Moderator.as_str(), Role::Admin.as_str()]));
    }
    if let Some(role) = filter.role {
        q = q.filter(users::role.eq(role.as_str()));
    }
    if let Some(domain) = filter.by_domain.as_deref().filter(|d| !d.is_empty()) {
        q = q.filter(accounts::domain.eq(domain.to_ascii_lowercase()));
    }
    if let Some(username) = filter.username.as_deref().filter(|u| !u.is_empty()) {
        q = q.filter(
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(accounts.username)")
                .like(like(username))
                .escape('\\'),
        );
    }
    if let Some(name) = filter.display_name.as_deref().filter(|n| !n.is_empty()) {
        q = q.filter(
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(accounts.display_name)")
                .like(like(name))
                .escape('\\'),
        );
    }
    if let Some(email) = filter.email.as_deref().filter(|e| !e.is_empty()) {
        q = q.filter(
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(users.email)")
                .like(like(email))
                .escape('\\'),
        );
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = like(text.trim());
        q = q.filter(
            diesel::dsl::sql::<Bool>("(lower(accounts.username) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR lower(accounts.display_name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR lower(users.email) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\')"),
        );
    }
    // The instance actor (id 0) is never an account here.
    q = q.filter(accounts::id.ne(0));
    if let Some(max) = filter.max_id {
        q = q.filter(accounts::id.lt(max));
    }
    if let Some(since) = filter.since_id {
        q = q.filter(accounts::id.gt(since));
    }
    let limit = filter.limit.clamp(1, 200);
    if let Some(min) = filter.min_id {
        let mut rows: Vec<StaffView> = q
            .filter(accounts::id.gt(min))
            .order(accounts::id.asc())
            .limit(limit)
            .load(conn)?;
        rows.reverse();
        return Ok(rows);
    }
    Ok(q.order(accounts::id.desc()).limit(limit).load(conn)?)
}

/// One account for staff.
pub fn account(conn: &mut DbConnection, id: i64) -> Result<StaffView> {
    use crate::db::models::User;
    accounts::table
        .left_join(users::table)
        .filter(accounts::id.eq(id))
        .select((Account::as_select(), Option::<User>::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

/// An administrator changes an employee's role (their own is left to another administrator).
pub fn set_role(
    conn: &mut DbConnection,
    staff: &Staff,
    id: i64,
    role: Role,
) -> Result<crate::service::users::LocalUser> {
    if staff.role < Role::Admin {
        return Err(Error::forbidden("Only administrators change roles"));
    }
    if staff.account_id == Some(id) {
        return Err(Error::forbidden(
            "Administrators do not change their own role; ask another administrator",
        ));
    }
    let username: String = accounts::table
        .find(id)
        .filter(accounts::domain.is_null())
        .select(accounts::username)
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)?;
    let before = role_of(conn, id)?;
    let user = crate::service::users::set_role(conn, &username, role)?;
    let subject = Target::account(conn, id)?;
    audit::record(
        conn,
        &staff.actor(),
        "account.role",
        subject,
        "",
        json!({ "from": before.map(|r| r.as_str()), "to": role.as_str() }),
    )?;
    Ok(user)
}

/// Accounts for staff, by id (the accounts a page of reports names).
pub fn accounts_by_id(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, StaffView>> {
    use crate::db::models::User;
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<StaffView> = accounts::table
        .left_join(users::table)
        .filter(accounts::id.eq_any(ids))
        .select((Account::as_select(), Option::<User>::as_select()))
        .load(conn)?;
    Ok(rows.into_iter().map(|v| (v.0.id, v)).collect())
}

/// What a page of reports names: its accounts, and its statuses as anyone sees them (staff
/// see reported posts whoever they were for).
pub fn report_subjects(
    conn: &mut DbConnection,
    reports: &[Report],
) -> Result<(
    std::collections::HashMap<i64, StaffView>,
    std::collections::HashMap<i64, crate::service::views::StatusView>,
)> {
    let mut account_ids: Vec<i64> = Vec::new();
    let mut status_ids: Vec<i64> = Vec::new();
    for r in reports {
        account_ids.push(r.account_id);
        account_ids.push(r.target_account_id);
        account_ids.extend(r.assigned_account_id);
        account_ids.extend(r.action_taken_by_account_id);
        status_ids.extend(r.status_id_list());
    }
    account_ids.sort_unstable();
    account_ids.dedup();
    let accounts = accounts_by_id(conn, &account_ids)?;
    let rows: Vec<Status> = if status_ids.is_empty() {
        Vec::new()
    } else {
        statuses::table
            .filter(statuses::id.eq_any(&status_ids))
            .select(Status::as_select())
            .load(conn)?
    };
    let statuses = crate::service::views::hydrate(conn, None, rows)?
        .into_iter()
        .map(|v| (v.status.id, v))
        .collect();
    Ok((accounts, statuses))
}

/// Change a report's category and the rules it names (staff).
pub fn update_report(
    conn: &mut DbConnection,
    staff: &Staff,
    settings: &crate::config::Settings,
    id: i64,
    category: Option<crate::service::reports::ReportCategory>,
    rule_ids: Option<Vec<i64>>,
) -> Result<Report> {
    let report = report(conn, staff, id)?;
    let rules = settings.instance.rules.len() as i64;
    let rule_ids = match rule_ids {
        Some(ids) if ids.iter().any(|r| !(1..=rules).contains(r)) => {
            return Err(Error::unprocessable(
                "Validation failed: Rule ids does not reference valid rules",
            ));
        }
        other => other,
    };
    let category = match (&rule_ids, category) {
        (Some(ids), _) if !ids.is_empty() => {
            Some(crate::service::reports::ReportCategory::Violation)
        }
        (_, c) => c,
    };
    diesel::update(reports::table.find(id))
        .set((
            reports::category.eq(category
                .map(|c| c.as_str().to_string())
                .unwrap_or(report.category.clone())),
            reports::rule_ids.eq(match &rule_ids {
                Some(ids) if !ids.is_empty() => {
                    Some(serde_json::to_string(ids).map_err(Error::internal)?)
                }
                Some(_) => None,
                None => report.rule_ids.clone(),
            }),
            reports::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        &staff.actor(),
        "report.update",
        report_target(&report),
        "",
        json!({ "category": category.map(|c| c.as_str()), "rule_ids": rule_ids }),
    )?;
    find_report(conn, id)
}
