//! The rule set in the database: every version kept whole (a change writes a new one), and
//! every match the rules made.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{accounts, policy_matches, policy_versions};
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, Result};
use crate::service::audit::{self, Actor};
use crate::service::events::{self, Event};
use crate::service::policy::matcher::Verdict;
use crate::service::policy::rules::{self, Rule, RuleSet, StoredRule};

/// Who changes the rules.
#[derive(Debug, Clone)]
pub enum Changer {
    /// An administrator, through the admin API.
    Admin { account_id: i64 },
    /// Whoever runs `groundswell policy …` on the server.
    Cli,
}

/// One version of the rule set.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub number: i64,
    pub summary: String,
    /// `@username` of the administrator, or `cli`.
    pub changed_by: String,
    pub created_at: NaiveDateTime,
    pub rules: Vec<StoredRule>,
}

#[derive(Queryable)]
struct VersionRow {
    number: i64,
    rules: String,
    summary: String,
    author_label: String,
    created_at: NaiveDateTime,
}

impl VersionRow {
    fn into_version(self) -> Result<Version> {
        let rules: Vec<StoredRule> = serde_json::from_str(&self.rules).map_err(|e| {
            Error::internal(anyhow::anyhow!(
                "policy version {} cannot be read: {e}",
                self.number
            ))
        })?;
        Ok(Version {
            number: self.number,
            summary: self.summary,
            changed_by: self.author_label,
            created_at: self.created_at,
            rules,
        })
    }
}

fn version_columns() -> (
    policy_versions::number,
    policy_versions::rules,
    policy_versions::summary,
    policy_versions::author_label,
    policy_versions::created_at,
) {
    (
        policy_versions::number,
        policy_versions::rules,
        policy_versions::summary,
        policy_versions::author_label,
        policy_versions::created_at,
    )
}

/// The current version (number 0 with no rules if none was ever saved).
pub fn current(conn: &mut DbConnection) -> Result<Version> {
    let row: Option<VersionRow> = policy_versions::table
        .select(version_columns())
        .order(policy_versions::number.desc())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => row.into_version(),
        None => Ok(Version {
            number: 0,
            summary: String::new(),
            changed_by: String::new(),
            created_at: Utc::now().naive_utc(),
            rules: Vec::new(),
        }),
    }
}

/// The current rule set, compiled.
pub fn load(conn: &mut DbConnection) -> Result<RuleSet> {
    let version = current(conn)?;
    RuleSet::compile(version.number, version.rules)
}

/// One version by number.
pub fn version(conn: &mut DbConnection, number: i64) -> Result<Version> {
    policy_versions::table
        .filter(policy_versions::number.eq(number))
        .select(version_columns())
        .first::<VersionRow>(conn)
        .optional()?
        .ok_or_else(Error::not_found)?
        .into_version()
}

/// The versions, newest first (without their rules' bodies read twice).
pub fn versions(conn: &mut DbConnection, limit: i64) -> Result<Vec<Version>> {
    policy_versions::table
        .select(version_columns())
        .order(policy_versions::number.desc())
        .limit(limit)
        .load::<VersionRow>(conn)?
        .into_iter()
        .map(VersionRow::into_version)
        .collect()
}

/// Save `rules` as the next version, effective at once on every app node.
fn save(
    conn: &mut DbConnection,
    rules: Vec<StoredRule>,
    summary: String,
    by: &Changer,
    action: &str,
) -> Result<Version> {
    let written: Vec<Rule> = rules.iter().map(|r| r.rule.clone()).collect();
    rules::check_rules(&written)?;
    let number = current(conn)?.number + 1;
    let (author_account_id, author_label) = match by {
        Changer::Admin { account_id } => {
            let username: String = accounts::table
                .find(account_id)
                .select(accounts::username)
                .first(conn)?;
            (Some(*account_id), format!("@{username}"))
        }
        Changer::Cli => (None, "cli".to_string()),
    };
    let now = Utc::now().naive_utc();
    let body = serde_json::to_string(&rules).map_err(Error::internal)?;
    diesel::insert_into(policy_versions::table)
        .values((
            policy_versions::id.eq(ids::next_id()),
            policy_versions::number.eq(number),
            policy_versions::rules.eq(&body),
            policy_versions::summary.eq(&summary),
            policy_versions::author_account_id.eq(author_account_id),
            policy_versions::author_label.eq(&author_label),
            policy_versions::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict("The rules were changed at the same time; try again")
            } else {
                e.into()
            }
        })?;
    events::emit(conn, Event::PolicyChanged)?;
    let actor = match by {
        Changer::Admin { account_id } => Actor::Account(*account_id),
        Changer::Cli => Actor::Cli,
    };
    audit::record(
        conn,
        &actor,
        action,
        audit::Target::new("policy", number, format!("rules version {number}")),
        "",
        serde_json::json!({ "summary": summary, "rules": rules.len() }),
    )?;
    tracing::info!(version = number, %summary, by = %author_label, "policy rules changed");
    Ok(Version {
        number,
        summary,
        changed_by: author_label,
        created_at: now,
        rules,
    })
}

/// Add a rule.
pub fn add(conn: &mut DbConnection, rule: Rule, by: &Changer) -> Result<(StoredRule, Version)> {
    let mut rules = current(conn)?.rules;
    let stored = StoredRule {
        id: ids::next_id(),
        rule,
    };
    rules.push(stored.clone());
    let summary = format!("added rule \"{}\"", stored.rule.name.trim());
    Ok((stored, save(conn, rules, summary, by, "policy.rule.add")?))
}

/// Find a rule of the current version by id, or by name (any case).
pub fn find(conn: &mut DbConnection, key: &str) -> Result<StoredRule> {
    let rules = current(conn)?.rules;
    let by_id = key.trim().parse::<i64>().ok();
    rules
        .into_iter()
        .find(|r| Some(r.id) == by_id || r.rule.name.trim().eq_ignore_ascii_case(key.trim()))
        .ok_or_else(|| {
            Error::new(
                crate::error::ErrorKind::NotFound,
                format!("No rule `{key}`"),
            )
        })
}

/// Replace a rule (by id or name), keeping its id.
pub fn edit(
    conn: &mut DbConnection,
    key: &str,
    rule: Rule,
    by: &Changer,
) -> Result<(StoredRule, Version)> {
    let id = find(conn, key)?.id;
    let mut rules = current(conn)?.rules;
    let stored = StoredRule { id, rule };
    for r in rules.iter_mut().filter(|r| r.id == id) {
        *r = stored.clone();
    }
    let summary = format!("edited rule \"{}\"", stored.rule.name.trim());
    Ok((stored, save(conn, rules, summary, by, "policy.rule.edit")?))
}

/// Turn a rule (by id or name) off or on again.
pub fn set_enabled(
    conn: &mut DbConnection,
    key: &str,
    enabled: bool,
    by: &Changer,
) -> Result<(StoredRule, Version)> {
    let mut rule = find(conn, key)?;
    rule.rule.enabled = enabled;
    let summary = format!(
        "{} rule \"{}\"",
        if enabled { "enabled" } else { "disabled" },
        rule.rule.name.trim()
    );
    let mut rules = current(conn)?.rules;
    for r in rules.iter_mut().filter(|r| r.id == rule.id) {
        *r = rule.clone();
    }
    let action = if enabled {
        "policy.rule.enable"
    } else {
        "policy.rule.disable"
    };
    Ok((rule.clone(), save(conn, rules, summary, by, action)?))
}

/// Replace the whole rule set with `imported`, as one new version. A rule keeps its id (and
/// so its hit counts) when a rule of the same name was there before.
pub fn import(conn: &mut DbConnection, imported: Vec<Rule>, by: &Changer) -> Result<Version> {
    rules::check_rules(&imported)?;
    let before: HashMap<String, i64> = current(conn)?
        .rules
        .into_iter()
        .map(|r| (r.rule.name.trim().to_lowercase(), r.id))
        .collect();
    let count = imported.len();
    let rules: Vec<StoredRule> = imported
        .into_iter()
        .map(|rule| StoredRule {
            id: before
                .get(&rule.name.trim().to_lowercase())
                .copied()
                .unwrap_or_else(ids::next_id),
            rule,
        })
        .collect();
    let summary = format!("imported {count} rule{}", if count == 1 { "" } else { "s" });
    save(conn, rules, summary, by, "policy.import")
}

/// What a recorded match was about.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub status_id: Option<i64>,
    pub account_id: Option<i64>,
    /// The ActivityPub id of what was refused from another department.
    pub object_uri: Option<String>,
}

/// Record every match of `verdict` (dry runs included), in the transaction that acts on it.
pub fn record(conn: &mut DbConnection, verdict: &Verdict, target: Target) -> Result<()> {
    let now = Utc::now().naive_utc();
    let (direction, subject) = (verdict.direction, verdict.subject);
    for m in &verdict.matches {
        diesel::insert_into(policy_matches::table)
            .values((
                policy_matches::id.eq(ids::next_id()),
                policy_matches::rule_id.eq(m.rule_id),
                policy_matches::rule_name.eq(&m.rule),
                policy_matches::version.eq(m.version),
                policy_matches::action.eq(m.action.as_str()),
                policy_matches::dry_run.eq(m.dry_run),
                policy_matches::direction.eq(direction.as_str()),
                policy_matches::subject.eq(subject.as_str()),
                policy_matches::status_id.eq(target.status_id),
                policy_matches::account_id.eq(target.account_id),
                policy_matches::object_uri.eq(&target.object_uri),
                policy_matches::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How often a rule matched.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Hits {
    /// Matches that acted.
    pub hits: i64,
    /// Matches while the rule was a dry run (what it would have done).
    pub dry_run_hits: i64,
}

/// Hit counts of every rule that ever matched, by rule id.
pub fn hits(conn: &mut DbConnection) -> Result<HashMap<i64, Hits>> {
    let rows: Vec<(i64, bool, i64)> = policy_matches::table
        .group_by((policy_matches::rule_id, policy_matches::dry_run))
        .select((
            policy_matches::rule_id,
            policy_matches::dry_run,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Hits> = HashMap::new();
    for (rule, dry, n) in rows {
        let entry = out.entry(rule).or_default();
        if dry {
            entry.dry_run_hits += n;
        } else {
            entry.hits += n;
        }
    }
    Ok(out)
}

/// How many matches were ever recorded, by the rules' action, direction and dry run (for
/// `/metrics`: never by rule author, account or status). Values the code no longer knows
/// are left out, so the labels stay a fixed set.
pub fn matches_by_action(conn: &mut DbConnection) -> Result<Vec<crate::prometheus::PolicyMatches>> {
    let rows: Vec<(String, String, bool, i64)> = policy_matches::table
        .group_by((
            policy_matches::action,
            policy_matches::direction,
            policy_matches::dry_run,
        ))
        .select((
            policy_matches::action,
            policy_matches::direction,
            policy_matches::dry_run,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(action, direction, dry_run, count)| {
            let action = rules::Action::ALL
                .into_iter()
                .find(|a| a.as_str() == action)?;
            let direction = rules::Direction::ALL
                .into_iter()
                .find(|d| d.as_str() == direction)?;
            Some(crate::prometheus::PolicyMatches {
                action: action.as_str(),
                direction: direction.as_str(),
                dry_run,
                count,
            })
        })
        .collect())
}

/// A recorded match, for moderators.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = policy_matches)]
pub struct RecordedMatch {
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub version: i64,
    pub action: String,
    pub dry_run: bool,
    pub direction: String,
    pub subject: String,
    pub status_id: Option<i64>,
    pub account_id: Option<i64>,
    pub object_uri: Option<String>,
    pub created_at: NaiveDateTime,
}

/// What to list of the recorded matches.
#[derive(Debug, Clone, Default)]
pub struct MatchFilter {
    pub rule_id: Option<i64>,
    pub action: Option<String>,
    pub max_id: Option<i64>,
    pub limit: i64,
}

/// The newest recorded matches first.
pub fn matches(conn: &mut DbConnection, filter: &MatchFilter) -> Result<Vec<RecordedMatch>> {
    let mut q = policy_matches::table
        .select(RecordedMatch::as_select())
        .into_boxed();
    if let Some(rule) = filter.rule_id {
        q = q.filter(policy_matches::rule_id.eq(rule));
    }
    if let Some(action) = &filter.action {
        q = q.filter(policy_matches::action.eq(action.clone()));
    }
    if let Some(max) = filter.max_id {
        q = q.filter(policy_matches::id.lt(max));
    }
    Ok(q.order(policy_matches::id.desc())
        .limit(filter.limit.clamp(1, 200))
        .load(conn)?)
}

/// The matches recorded for several statuses, by status, in one query.
pub fn matches_of_statuses(
    conn: &mut DbConnection,
    status_ids: &[i64],
) -> Result<HashMap<i64, Vec<RecordedMatch>>> {
    let mut out: HashMap<i64, Vec<RecordedMatch>> = HashMap::new();
    if status_ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<RecordedMatch> = policy_matches::table
        .filter(policy_matches::status_id.eq_any(status_ids))
        .select(RecordedMatch::as_select())
        .order(policy_matches::id.asc())
        .load(conn)?;
    for m in rows {
        if let Some(id) = m.status_id {
            out.entry(id).or_default().push(m);
        }
    }
    Ok(out)
}

/// The matches recorded for one status (why it was held, what changed it).
pub fn matches_of_status(conn: &mut DbConnection, status_id: i64) -> Result<Vec<RecordedMatch>> {
    Ok(policy_matches::table
        .filter(policy_matches::status_id.eq(status_id))
        .select(RecordedMatch::as_select())
        .order(policy_matches::id.asc())
        .load(conn)?)
}
