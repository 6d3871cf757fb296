//! The audit log: every moderator and admin action and every rule or policy change — who,
//! what, on what, when, why — written in the transaction of the change itself, so an action
//! and its entry exist together or not at all. Append-only: nothing here updates or deletes
//! an entry, and the database refuses it too (triggers), whatever connects to it.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{accounts, audit_log};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An administrator or moderator, by account.
    Account(i64),
    /// Whoever runs `groundswell …` on the server.
    Cli,
    /// The identity provider, through SCIM or a sign-in.
    Provisioning,
    /// Groundswell itself (a policy rule, a scheduled job).
    System,
}

/// What an action was done to.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `account`, `status`, `report`, `policy`, `rule`, `domain`, `usage_policy`, …
    pub kind: &'static str,
    pub id: String,
    /// How a reader knows it: `@alice`, `rule "No file-sharing links"`, …
    pub label: String,
}

impl Target {
    pub fn new(kind: &'static str, id: impl ToString, label: impl Into<String>) -> Target {
        Target {
            kind,
            id: id.to_string(),
            label: label.into(),
        }
    }

    /// An account, named by its handle.
    pub fn account(conn: &mut DbConnection, id: i64) -> Result<Target> {
        let (username, domain): (String, Option<String>) = accounts::table
            .find(id)
            .select((accounts::username, accounts::domain))
            .first(conn)?;
        let label = match domain {
            Some(domain) => format!("@{username}@{domain}"),
            None => format!("@{username}"),
        };
        Ok(Target::new("account", id, label))
    }
}

/// One entry.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub actor_account_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub target: String,
    pub reason: String,
    /// A JSON object.
    pub details: String,
}

/// Record that `actor` did `action` to `target`, in the transaction of the change.
/// Who an actor is, as the log names them: `@username`, `cli`, …
pub fn label(conn: &mut DbConnection, actor: &Actor) -> Result<(Option<i64>, String)> {
    Ok(match actor {
        Actor::Account(id) => {
            let username: String = accounts::table
                .find(id)
                .select(accounts::username)
                .first(conn)?;
            (Some(*id), format!("@{username}"))
        }
        Actor::Cli => (None, "cli".to_string()),
        Actor::Provisioning => (None, "identity provider".to_string()),
        Actor::System => (None, "system".to_string()),
    })
}

pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target: Target,
    reason: &str,
    details: serde_json::Value,
) -> Result<()> {
    let (actor_account_id, label) = label(conn, actor)?;
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(ids::next_id()),
            audit_log::created_at.eq(Utc::now().naive_utc()),
            audit_log::actor_account_id.eq(actor_account_id),
            audit_log::actor.eq(&label),
            audit_log::action.eq(action),
            audit_log::target_type.eq(target.kind),
            audit_log::target_id.eq(&target.id),
            audit_log::target.eq(&target.label),
            audit_log::reason.eq(reason.trim()),
            audit_log::details.eq(details.to_string()),
        ))
        .execute(conn)?;
    tracing::info!(actor = %label, action, target = %target.label, "audited");
    Ok(())
}

/// Which entries to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor_account_id: Option<i64>,
    /// An action (`account.suspend`) or a family of them (`account.`).
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub max_id: Option<i64>,
    pub limit: i64,
}

/// A filter's time: a date (`2026-12-07`, its midnight UTC) or an RFC 3339 time.
pub fn parse_time(name: &str, raw: Option<&str>) -> Result<Option<NaiveDateTime>> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.naive_utc()));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(Some)
        .ok_or_else(|| {
            Error::unprocessable(format!(
                "Validation failed: `{name}` must be a date (2026-12-07) or an RFC 3339 time"
            ))
        })
}

/// Most entries in one page, and in one export.
pub const MAX_PAGE: i64 = 200;
pub const MAX_EXPORT: i64 = 100_000;

/// The entries matching `filter`, newest first.
pub fn list(conn: &mut DbConnection, filter: &Filter) -> Result<Vec<Entry>> {
    let mut q = audit_log::table.select(Entry::as_select()).into_boxed();
    if let Some(actor) = filter.actor_account_id {
        q = q.filter(audit_log::actor_account_id.eq(actor));
    }
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        q = if action.ends_with('.') {
            q.filter(audit_log::action.like(format!("{}%", action.replace(['%', '_'], ""))))
        } else {
            q.filter(audit_log::action.eq(action.to_string()))
        };
    }
    if let Some(kind) = filter.target_type.as_deref().filter(|k| !k.is_empty()) {
        q = q.filter(audit_log::target_type.eq(kind.to_string()));
    }
    if let Some(id) = filter.target_id.as_deref().filter(|i| !i.is_empty()) {
        q = q.filter(audit_log::target_id.eq(id.to_string()));
    }
    if let Some(since) = filter.since {
        q = q.filter(audit_log::created_at.ge(since));
    }
    if let Some(until) = filter.until {
        q = q.filter(audit_log::created_at.lt(until));
    }
    if let Some(max) = filter.max_id {
        q = q.filter(audit_log::id.lt(max));
    }
    Ok(q.order(audit_log::id.desc())
        .limit(filter.limit.clamp(1, MAX_EXPORT))
        .load(conn)?)
}

/// The export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

impl ExportFormat {
    /// The file's media type and name.
    pub fn file(self) -> (&'static str, &'static str) {
        match self {
            ExportFormat::Csv => ("text/csv; charset=utf-8", "audit-log.csv"),
            ExportFormat::Ndjson => ("application/x-ndjson", "audit-log.ndjson"),
        }
    }
}

impl std::str::FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<ExportFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "ndjson" | "jsonl" => Ok(ExportFormat::Ndjson),
            other => Err(Error::unprocessable(format!(
                "`{other}` is not an export format: use csv or ndjson"
            ))),
        }
    }
}

/// The columns of a CSV export, in order.
pub const CSV_COLUMNS: [&str; 9] = [
    "id",
    "created_at",
    "actor",
    "action",
    "target_type",
    "target_id",
    "target",
    "reason",
    "details",
];

pub(crate) fn csv_field(s: &str) -> String {
    // Fields a spreadsheet would run as a formula get a leading apostrophe (handles such as
    // `@alice` are left as they are: no spreadsheet runs them).
    let s = if s.starts_with(['=', '+', '-', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Entries as CSV (RFC 4180, a header line) or NDJSON (one JSON object a line).
pub fn export(entries: &[Entry], format: ExportFormat) -> String {
    let mut out = String::new();
    match format {
        ExportFormat::Csv => {
            out.push_str(&CSV_COLUMNS.join(","));
            out.push_str("\r\n");
            for e in entries {
                let fields = [
                    e.id.to_string(),
                    e.created_at.and_utc().to_rfc3339(),
                    e.actor.clone(),
                    e.action.clone(),
                    e.target_type.clone(),
                    e.target_id.clone(),
                    e.target.clone(),
                    e.reason.clone(),
                    e.details.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push_str("\r\n");
            }
        }
        ExportFormat::Ndjson => {
            for e in entries {
                out.push_str(&entry_json(e).to_string());
                out.push('\n');
            }
        }
    }
    out
}

/// An entry as the API and the NDJSON export show it.
pub fn entry_json(e: &Entry) -> serde_json::Value {
    serde_json::json!({
        "id": e.id.to_string(),
        "created_at": e.created_at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "actor": e.actor,
        "actor_account_id": e.actor_account_id.map(|id| id.to_string()),
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "target": e.target,
        "reason": e.reason,
        "details": serde_json::from_str::<serde_json::Value>(&e.details).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("@alice"), "@alice");
        assert_eq!(csv_field("-1+2"), "'-1+2");
    }
}
