//! Reports: an employee tells the department's moderators about an account and some of its
//! posts. Stored for the moderators (the admin console comes later).
//! <https://docs.joinmastodon.org/methods/reports/>

use std::fmt;
use std::str::FromStr;

use chrono::Utc;
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::models::{Account, Report};
use crate::db::schema::reports;
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::accounts;
use crate::service::visibility::find_visible;

/// Longest comment, in characters (Mastodon's default).
pub const MAX_COMMENT_CHARS: usize = 1000;
/// Most statuses attached to one report.
pub const MAX_STATUSES: usize = 100;

/// Why an account is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportCategory {
    Spam,
    /// Illegal content.
    Legal,
    /// Breaks some of the department's rules (`rule_ids`).
    Violation,
    Other,
}

impl ReportCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportCategory::Spam => "spam",
            ReportCategory::Legal => "legal",
            ReportCategory::Violation => "violation",
            ReportCategory::Other => "other",
        }
    }
}

impl FromStr for ReportCategory {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "spam" => Ok(ReportCategory::Spam),
            "legal" => Ok(ReportCategory::Legal),
            "violation" => Ok(ReportCategory::Violation),
            "other" => Ok(ReportCategory::Other),
            other => Err(Error::unprocessable(format!(
                "'{other}' is not a valid category"
            ))),
        }
    }
}

impl fmt::Display for ReportCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a client sends.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    pub target_account_id: i64,
    pub status_ids: Vec<i64>,
    pub comment: String,
    pub category: Option<ReportCategory>,
    /// 1-based positions in `instance.rules`, as `GET /api/v1/instance/rules` numbers them.
    pub rule_ids: Vec<i64>,
    pub forward: bool,
}

/// File a report. The account must exist; attached statuses must be its own and visible to
/// the reporter; naming rules makes it a `violation` report, which must name valid rules.
#[tracing::instrument(skip(conn, settings, new), fields(account_id = me, target = new.target_account_id))]
pub fn create(
    conn: &mut DbConnection,
    settings: &Settings,
    me: i64,
    new: NewReport,
) -> Result<(Report, Account)> {
    let target = accounts::find(conn, new.target_account_id)?;
    if target.id == me {
        return Err(Error::unprocessable(
            "Validation failed: You cannot report yourself",
        ));
    }
    if new.comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(Error::unprocessable(format!(
            "Validation failed: Comment is too long (maximum is {MAX_COMMENT_CHARS} characters)"
        )));
    }
    if new.status_ids.len() > MAX_STATUSES {
        return Err(Error::unprocessable(format!(
            "Validation failed: at most {MAX_STATUSES} statuses can be attached"
        )));
    }
    let mut status_ids: Vec<i64> = Vec::new();
    for &id in &new.status_ids {
        let status = find_visible(conn, Some(me), id)?;
        if status.account_id != target.id {
            return Err(Error::not_found());
        }
        if !status_ids.contains(&status.id) {
            status_ids.push(status.id);
        }
    }
    // Naming rules makes it a violation report, whatever category was sent (as on Mastodon).
    let category = if new.rule_ids.is_empty() {
        new.category.unwrap_or(ReportCategory::Other)
    } else {
        ReportCategory::Violation
    };
    let rule_ids = if category == ReportCategory::Violation {
        let rules = settings.instance.rules.len() as i64;
        let valid =
            !new.rule_ids.is_empty() && new.rule_ids.iter().all(|&r| (1..=rules).contains(&r));
        if !valid {
            return Err(Error::unprocessable(
                "Validation failed: Rule ids does not reference valid rules",
            ));
        }
        let mut rule_ids = new.rule_ids.clone();
        rule_ids.sort_unstable();
        rule_ids.dedup();
        Some(serde_json::to_string(&rule_ids).map_err(Error::internal)?)
    } else {
        None
    };
    let now = Utc::now().naive_utc();
    let row = Report {
        id: ids::next_id(),
        account_id: me,
        target_account_id: target.id,
        status_ids: serde_json::to_string(&status_ids).map_err(Error::internal)?,
        rule_ids,
        comment: new.comment,
        category: category.as_str().to_string(),
        // Only a report about another department's account can be forwarded there.
        forward: new.forward && !target.is_local(),
        forwarded: new.forward && !target.is_local(),
        assigned_account_id: None,
        action_taken_by_account_id: None,
        action_taken_at: None,
        created_at: now,
        updated_at: now,
        ap_id: None,
    };
    diesel::insert_into(reports::table)
        .values(&row)
        .execute(conn)?;
    tell_moderators(conn, &row)?;
    if row.forward {
        // Sent by the department, not by the employee who reported.
        crate::service::outbox::enqueue_as_instance(
            conn,
            crate::service::outbox::Outgoing::Flag { report_id: row.id },
        )?;
    }
    tracing::info!(report_id = row.id, category = %category, forwarded = row.forward, "report filed");
    Ok((row, target))
}

/// Another department forwards a report (a Flag activity `flag_id` by `actor`) about one of
/// our accounts and some of its posts (`named`: ActivityPub ids). It joins the queue like a
/// report filed here, and the moderators are told. Ids that name nothing here are left out;
/// a Flag that names no account here changes nothing.
pub fn receive_flag(
    conn: &mut DbConnection,
    actor: &Account,
    flag_id: &str,
    named: &[String],
    comment: &str,
) -> Result<Option<Report>> {
    use crate::db::schema::{accounts as accounts_table, statuses};
    let mut target: Option<i64> = None;
    let mut status_ids: Vec<i64> = Vec::new();
    for id in named.iter().take(MAX_STATUSES + 1) {
        let account: Option<i64> = accounts_table::table
            .filter(accounts_table::ap_id.eq(id))
            .filter(accounts_table::domain.is_null())
            .select(accounts_table::id)
            .first(conn)
            .optional()?;
        if let Some(account) = account {
            target.get_or_insert(account);
            continue;
        }
        let status: Option<(i64, i64)> = statuses::table
            .filter(statuses::ap_id.eq(id))
            .filter(statuses::local.eq(true))
            .select((statuses::id, statuses::account_id))
            .first(conn)
            .optional()?;
        if let Some((status, author)) = status {
            target.get_or_insert(author);
            if Some(author) == target {
                status_ids.push(status);
            }
        }
    }
    let Some(target) = target else {
        return Ok(None);
    };
    let now = Utc::now().naive_utc();
    let row = Report {
        id: ids::next_id(),
        account_id: actor.id,
        target_account_id: target,
        status_ids: serde_json::to_string(&status_ids).map_err(Error::internal)?,
        rule_ids: None,
        comment: comment.chars().take(MAX_COMMENT_CHARS).collect(),
        category: ReportCategory::Other.as_str().to_string(),
        forward: false,
        forwarded: true,
        assigned_account_id: None,
        action_taken_by_account_id: None,
        action_taken_at: None,
        created_at: now,
        updated_at: now,
        ap_id: Some(flag_id.to_string()),
    };
    diesel::insert_into(reports::table)
        .values(&row)
        .execute(conn)?;
    tell_moderators(conn, &row)?;
    tracing::info!(report_id = row.id, from = %actor.ap_id, "report forwarded by another department");
    Ok(Some(row))
}

/// Every moderator (but the reported account) hears of a new report.
fn tell_moderators(conn: &mut DbConnection, report: &Report) -> Result<()> {
    for moderator in crate::service::policy::review::moderators(conn)? {
        if moderator != report.target_account_id {
            let about = crate::service::notifications::About {
                report_id: Some(report.id),
                ..Default::default()
            };
            crate::service::notifications::tell(
                conn,
                moderator,
                report.account_id,
                "admin.report",
                about,
            )?;
        }
    }
    Ok(())
}
