//! The usage policy: the department's social-media policy, Markdown text in numbered
//! versions. Once a version is published, every employee must accept it before they post or
//! interact (post, edit, reply, boost, favourite, follow or answer a follow request, vote);
//! reading, deleting their own posts, bookmarks, reports, mutes and blocks, settings and
//! signing out stay possible. Acceptances (who, which version, when) are kept and exported.
//!
//! [`require_accepted`] is the gate every such use case calls first. It runs on every post,
//! so it asks the database nothing in the usual case: the current version number is kept in
//! memory ([`UsagePolicyCache`], dropped by [`Event::UsagePolicyPublished`] on every node, and
//! on SQLite when another process wrote), and so is each employee's latest acceptance (an
//! acceptance never becomes untrue, so it needs no invalidation).

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::config::Settings;
use crate::context::AppContext;
use crate::db::models::Account;
use crate::db::schema::{accounts, usage_policy_acceptances, usage_policy_versions, users};
use crate::db::{DbConnection, is_unique_violation};
use crate::error::{Error, Result};
use crate::service::events::{self, Event};
use crate::service::text;

/// Longest policy text, in characters (about 40 printed pages).
pub const MAX_TEXT_CHARS: usize = 100_000;

/// Where employees read and accept the policy (the web page).
pub const PAGE_PATH: &str = "/about/usage-policy";

/// How many employees' acceptances one node keeps in memory.
const ACCEPTED_CAPACITY: u64 = 50_000;

/// The absolute URL of the policy page.
pub fn policy_url(settings: &Settings) -> String {
    format!("{}{PAGE_PATH}", settings.instance.base())
}

/// A policy text that may be published: not blank, at most [`MAX_TEXT_CHARS`] characters.
#[derive(Debug, Clone)]
pub struct PolicyText(String);

impl PolicyText {
    pub fn parse(text: &str) -> Result<PolicyText> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::unprocessable(
                "Validation failed: the usage policy text is empty",
            ));
        }
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(Error::unprocessable(format!(
                "Validation failed: the usage policy is {chars} characters long; at most \
                 {MAX_TEXT_CHARS} are allowed"
            )));
        }
        Ok(PolicyText(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who publishes a version.
#[derive(Debug, Clone)]
pub enum Publisher {
    /// An administrator, through the admin API.
    Admin { account_id: i64 },
    /// Whoever runs `groundswell usage-policy publish` on the server.
    Cli,
}

/// One published version.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Version {
    pub number: i64,
    /// The Markdown as written.
    pub text: String,
    pub published_at: NaiveDateTime,
    /// `@username` of the administrator, or `cli`.
    pub published_by: String,
}

impl Version {
    /// The text as clean HTML.
    pub fn html(&self) -> String {
        text::render_markdown(&self.text)
    }
}

fn version_columns() -> (
    usage_policy_versions::number,
    usage_policy_versions::text,
    usage_policy_versions::published_at,
    usage_policy_versions::published_by,
) {
    (
        usage_policy_versions::number,
        usage_policy_versions::text,
        usage_policy_versions::published_at,
        usage_policy_versions::published_by,
    )
}

/// The current version's number, if a policy was ever published.
pub fn current_number(conn: &mut DbConnection) -> Result<Option<i64>> {
    Ok(usage_policy_versions::table
        .select(diesel::dsl::max(usage_policy_versions::number))
        .first::<Option<i64>>(conn)?)
}

/// The current version, if a policy was ever published.
pub fn current(conn: &mut DbConnection) -> Result<Option<Version>> {
    Ok(usage_policy_versions::table
        .select(version_columns())
        .order(usage_policy_versions::number.desc())
        .first(conn)
        .optional()?)
}

/// The current version, or a `404` saying there is none.
pub fn require_current(conn: &mut DbConnection) -> Result<Version> {
    current(conn)?.ok_or_else(|| {
        Error::new(
            crate::error::ErrorKind::NotFound,
            "No usage policy has been published",
        )
    })
}

/// One version by number.
pub fn version(conn: &mut DbConnection, number: i64) -> Result<Version> {
    usage_policy_versions::table
        .find(number)
        .select(version_columns())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorKind::NotFound,
                format!("There is no version {number} of the usage policy"),
            )
        })
}

/// A version in the list of versions: how many employees accepted it.
#[derive(Debug, Clone, Serialize)]
pub struct VersionSummary {
    #[serde(flatten)]
    pub version: Version,
    pub acceptances: i64,
}

/// Every version, newest first.
pub fn versions(conn: &mut DbConnection) -> Result<Vec<VersionSummary>> {
    let all: Vec<Version> = usage_policy_versions::table
        .select(version_columns())
        .order(usage_policy_versions::number.desc())
        .load(conn)?;
    let counts: Vec<(i64, i64)> = usage_policy_acceptances::table
        .group_by(usage_policy_acceptances::version)
        .select((usage_policy_acceptances::version, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|version| {
            let acceptances = counts
                .iter()
                .find(|(v, _)| *v == version.number)
                .map_or(0, |(_, n)| *n);
            VersionSummary {
                version,
                acceptances,
            }
        })
        .collect())
}

/// Publish `text` as the next version: from now on every employee must accept it before they
/// post or interact, on every app node. Call inside a write transaction.
#[tracing::instrument(skip(conn, text))]
pub fn publish(conn: &mut DbConnection, text: &PolicyText, by: &Publisher) -> Result<Version> {
    let number = current_number(conn)?.unwrap_or(0) + 1;
    let (account_id, label) = match by {
        Publisher::Admin { account_id } => {
            let username: String = accounts::table
                .find(account_id)
                .select(accounts::username)
                .first(conn)?;
            (Some(*account_id), format!("@{username}"))
        }
        Publisher::Cli => (None, "cli".to_string()),
    };
    let now = Utc::now().naive_utc();
    diesel::insert_into(usage_policy_versions::table)
        .values((
            usage_policy_versions::number.eq(number),
            usage_policy_versions::text.eq(text.as_str()),
            usage_policy_versions::published_at.eq(now),
            usage_policy_versions::published_by_account_id.eq(account_id),
            usage_policy_versions::published_by.eq(&label),
        ))
        .execute(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict("Another version was published at the same time; try again")
            } else {
                e.into()
            }
        })?;
    events::emit(conn, Event::UsagePolicyPublished { version: number })?;
    let actor = match by {
        Publisher::Admin { account_id } => crate::service::audit::Actor::Account(*account_id),
        Publisher::Cli => crate::service::audit::Actor::Cli,
    };
    crate::service::audit::record(
        conn,
        &actor,
        "usage_policy.publish",
        crate::service::audit::Target::new(
            "usage_policy",
            number,
            format!("usage policy version {number}"),
        ),
        "",
        serde_json::json!({ "chars": text.as_str().chars().count() }),
    )?;
    tracing::info!(
        version = number,
        by = %label,
        chars = text.as_str().chars().count(),
        "usage policy published"
    );
    Ok(Version {
        number,
        text: text.as_str().to_string(),
        published_at: now,
        published_by: label,
    })
}

/// When `account_id` accepted `version`, if they did.
pub fn accepted_at(
    conn: &mut DbConnection,
    account_id: i64,
    version: i64,
) -> Result<Option<NaiveDateTime>> {
    Ok(usage_policy_acceptances::table
        .find((account_id, version))
        .select(usage_policy_acceptances::accepted_at)
        .first(conn)
        .optional()?)
}

/// Record that an employee accepts `version`, which must be the current one (`422`
/// otherwise: they must read what is in force). Accepting twice keeps the first time.
/// Returns when they accepted. Call inside a write transaction.
#[tracing::instrument(skip(conn))]
pub fn record_acceptance(
    conn: &mut DbConnection,
    account_id: i64,
    version: i64,
) -> Result<NaiveDateTime> {
    let Some(current) = current_number(conn)? else {
        return Err(Error::unprocessable(
            "No usage policy has been published: there is nothing to accept",
        ));
    };
    if version != current {
        return Err(Error::unprocessable(format!(
            "Version {version} is not the current usage policy: read version {current} and \
             accept that one"
        )));
    }
    if let Some(at) = accepted_at(conn, account_id, version)? {
        return Ok(at);
    }
    let now = Utc::now().naive_utc();
    let inserted = diesel::insert_into(usage_policy_acceptances::table)
        .values((
            usage_policy_acceptances::account_id.eq(account_id),
            usage_policy_acceptances::version.eq(version),
            usage_policy_acceptances::accepted_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {
            tracing::info!(account_id, version, "usage policy accepted");
            Ok(now)
        }
        // Accepted at the same moment elsewhere (another tab, another node).
        Err(e) if is_unique_violation(&e) => {
            accepted_at(conn, account_id, version)?.ok_or_else(|| Error::internal(e))
        }
        Err(e) => Err(e.into()),
    }
}

/// The current version as `account_id` (if anyone) sees it: the text, and when they accepted.
#[derive(Debug, Clone)]
pub struct Standing {
    pub version: Version,
    pub accepted_at: Option<NaiveDateTime>,
}

/// The current version and where `account_id` stands with it (`404` with no policy).
pub fn standing(conn: &mut DbConnection, account_id: Option<i64>) -> Result<Standing> {
    let version = require_current(conn)?;
    let accepted_at = match account_id {
        Some(id) => accepted_at(conn, id, version.number)?,
        None => None,
    };
    Ok(Standing {
        version,
        accepted_at,
    })
}

/// An employee accepts the current version (`version` must be it). Their next post or
/// interaction on this node is let through without asking the database again.
pub async fn accept(ctx: &AppContext, account: &Account, version: i64) -> Result<Standing> {
    if !account.is_local() {
        return Err(Error::forbidden(
            "Only employees of this department accept its usage policy",
        ));
    }
    let account_id = account.id;
    let standing = ctx
        .db
        .write(move |conn| {
            record_acceptance(conn, account_id, version)?;
            standing(conn, Some(account_id))
        })
        .await?;
    ctx.caches.usage_policy.remember(account_id, version);
    Ok(standing)
}

/// One employee's acceptance, as exported.
#[derive(Debug, Clone, Serialize)]
pub struct Acceptance {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub version: i64,
    pub accepted_at: NaiveDateTime,
}

/// Who accepted `version` (default: the current one), in the order they accepted. Returns
/// the version's number with them.
pub fn acceptances(
    conn: &mut DbConnection,
    version: Option<i64>,
) -> Result<(i64, Vec<Acceptance>)> {
    let number = match version {
        Some(n) => self::version(conn, n)?.number,
        None => require_current(conn)?.number,
    };
    let rows: Vec<(i64, String, String, String, i64, NaiveDateTime)> =
        usage_policy_acceptances::table
            .inner_join(accounts::table.on(accounts::id.eq(usage_policy_acceptances::account_id)))
            .inner_join(users::table.on(users::account_id.eq(usage_policy_acceptances::account_id)))
            .filter(usage_policy_acceptances::version.eq(number))
            .order((
                usage_policy_acceptances::accepted_at.asc(),
                usage_policy_acceptances::account_id.asc(),
            ))
            .select((
                usage_policy_acceptances::account_id,
                accounts::username,
                accounts::display_name,
                users::email,
                usage_policy_acceptances::version,
                usage_policy_acceptances::accepted_at,
            ))
            .load(conn)?;
    Ok((
        number,
        rows.into_iter()
            .map(
                |(account_id, username, display_name, email, version, accepted_at)| Acceptance {
                    account_id,
                    username,
                    display_name,
                    email,
                    version,
                    accepted_at,
                },
            )
            .collect(),
    ))
}

/// When, in the exports: RFC 3339 in UTC with milliseconds, as the API's times.
pub fn export_time(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Acceptances as CSV (RFC 4180, with a header line): what IT files away.
pub fn acceptances_csv(rows: &[Acceptance]) -> String {
    fn field(value: &str) -> String {
        // Quoted when it must be, and when a spreadsheet would read it as a formula.
        let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
        if formula || value.contains([',', '"', '\n', '\r']) {
            let value = if formula {
                format!("'{value}")
            } else {
                value.to_string()
            };
            format!("\"{}\"", value.replace('"', "\"\""))
        } else {
            value.to_string()
        }
    }
    let mut out = String::from("account_id,username,display_name,email,version,accepted_at\r\n");
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            r.account_id,
            field(&r.username),
            field(&r.display_name),
            field(&r.email),
            r.version,
            export_time(r.accepted_at)
        ));
    }
    out
}

/// Acceptances as JSON, ids as strings (as everywhere in the API).
pub fn acceptances_json(rows: &[Acceptance]) -> serde_json::Value {
    serde_json::Value::Array(
        rows.iter()
            .map(|r| {
                serde_json::json!({
                    "account_id": r.account_id.to_string(),
                    "username": r.username,
                    "display_name": r.display_name,
                    "email": r.email,
                    "version": r.version,
                    "accepted_at": export_time(r.accepted_at),
                })
            })
            .collect(),
    )
}

/// The refusal an employee gets while they have not accepted the current version.
fn refusal(settings: &Settings, version: i64) -> Error {
    let url = policy_url(settings);
    Error::forbidden(format!(
        "Your department published a new usage policy (version {version}). Read and accept it \
         at {url} before you post or interact; reading stays possible."
    ))
    .with_detail("policy_url", url)
}

/// The gate of every local interaction: `403 {"error": …, "policy_url": …}` until `account`
/// (an employee) has accepted the current usage policy. Nothing to accept, or an account of
/// another department: let through.
pub async fn require_accepted(ctx: &AppContext, account: &Account) -> Result<()> {
    if !account.is_local() {
        return Ok(());
    }
    let cache = &ctx.caches.usage_policy;
    let current = match cache.peek() {
        Some(current) => current,
        None => {
            let caches = ctx.caches.clone();
            ctx.db
                .read(move |conn| caches.usage_policy.current(conn))
                .await?
        }
    };
    let Some(version) = current else {
        return Ok(());
    };
    let account_id = account.id;
    if cache.accepted(account_id) >= Some(version) {
        return Ok(());
    }
    let accepted = ctx
        .db
        .read(move |conn| accepted_at(conn, account_id, version))
        .await?;
    match accepted {
        Some(_) => {
            cache.remember(account_id, version);
            Ok(())
        }
        None => {
            tracing::debug!(
                account_id,
                version,
                "refused: the usage policy is not accepted"
            );
            Err(refusal(&ctx.settings, version))
        }
    }
}

/// This node's copy of the current version number and of employees' latest acceptances.
pub struct UsagePolicyCache {
    /// `None` inside: no policy published.
    current: RwLock<Option<i64>>,
    stale: AtomicBool,
    /// Account id → the newest version they are known to have accepted.
    accepted: moka::sync::Cache<i64, i64>,
}

impl Default for UsagePolicyCache {
    fn default() -> Self {
        UsagePolicyCache {
            current: RwLock::new(None),
            stale: AtomicBool::new(true),
            accepted: moka::sync::Cache::builder()
                .max_capacity(ACCEPTED_CAPACITY)
                .build(),
        }
    }
}

impl UsagePolicyCache {
    pub fn heard(&self, event: &Event) {
        if let Event::UsagePolicyPublished { .. } = event {
            self.stale.store(true, Ordering::SeqCst);
        }
    }

    /// Forget everything (another process changed the database).
    pub fn clear(&self) {
        self.stale.store(true, Ordering::SeqCst);
        self.accepted.invalidate_all();
    }

    /// The current version number if this node knows it without asking (`Some(None)`: no
    /// policy published).
    pub fn peek(&self) -> Option<Option<i64>> {
        if self.stale.load(Ordering::SeqCst) {
            return None;
        }
        self.current.read().ok().map(|c| *c)
    }

    /// The current version number, read with `conn` if this node's copy is out of date.
    pub fn current(&self, conn: &mut DbConnection) -> Result<Option<i64>> {
        // A publication heard while reading marks it stale again, so it is read once more.
        if self.stale.swap(false, Ordering::SeqCst) {
            match current_number(conn) {
                Ok(number) => {
                    if let Ok(mut current) = self.current.write() {
                        *current = number;
                    }
                    return Ok(number);
                }
                Err(e) => {
                    self.stale.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        Ok(self.current.read().map(|c| *c).unwrap_or_default())
    }

    fn accepted(&self, account_id: i64) -> Option<i64> {
        self.accepted.get(&account_id)
    }

    fn remember(&self, account_id: i64, version: i64) {
        if self.accepted(account_id) < Some(version) {
            self.accepted.insert(account_id, version);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_checked_before_publishing() {
        assert!(PolicyText::parse("  \n ").is_err());
        assert_eq!(
            PolicyText::parse("  # Policy\n").unwrap().as_str(),
            "# Policy"
        );
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        let err = PolicyText::parse(&long).unwrap_err();
        assert!(
            err.message().contains("at most 100000"),
            "{}",
            err.message()
        );
        assert!(PolicyText::parse(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
    }

    #[test]
    fn csv_quotes_what_it_must_and_defuses_formulas() {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let rows = vec![Acceptance {
            account_id: 7,
            username: "alice".into(),
            display_name: "Alice \"Al\", Eng".into(),
            email: "=cmd@x".into(),
            version: 2,
            accepted_at: at,
        }];
        assert_eq!(
            acceptances_csv(&rows),
            "account_id,username,display_name,email,version,accepted_at\r\n\
             7,alice,\"Alice \"\"Al\"\", Eng\",\"'=cmd@x\",2,2027-01-15T08:00:00.000Z\r\n"
        );
    }

    #[test]
    fn an_acceptance_is_remembered_only_forward() {
        let cache = UsagePolicyCache::default();
        cache.remember(1, 3);
        cache.remember(1, 2);
        assert_eq!(cache.accepted(1), Some(3));
        assert_eq!(cache.peek(), None, "nothing is known before the first read");
        cache.clear();
        assert_eq!(cache.accepted(1), None);
    }
}
