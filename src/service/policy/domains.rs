//! The run-time part of the federation policy, in the database: the mode, domain allows and
//! domain blocks, shaped like Mastodon's so its admin API (and the tools built on it) work;
//! and the whole of it as one file ([`FederationRules`]) to export and import. Every change
//! is in force on every app node at once ([`Event::FederationPolicyChanged`]); what the rules
//! mean is in [`federation`](super::federation).

use std::collections::HashSet;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::federation::{BlockRule, DomainName, DomainRules, Mode, Severity};
use crate::db::schema::{domain_allows, domain_blocks, federation_settings};
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, ErrorKind, Result};
use crate::service::audit::{self, Actor};
use crate::service::events::{self, Event};
use crate::service::pagination::Page;

/// Longest private or public comment of a block, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// A domain allowed besides `federation.allowed_domains` (Mastodon's `DomainAllow`).
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct DomainAllow {
    pub id: i64,
    pub domain: String,
    pub created_at: NaiveDateTime,
}

/// A domain block (Mastodon's `DomainBlock`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = domain_blocks)]
pub struct DomainBlock {
    pub id: i64,
    pub domain: String,
    severity: String,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl DomainBlock {
    pub fn severity(&self) -> Severity {
        self.severity.parse().unwrap_or(Severity::Silence)
    }

    /// The domain as employees are shown it: with `obfuscate`, the middle of it starred
    /// (dots kept), as Mastodon shows it.
    pub fn public_domain(&self) -> String {
        if !self.obfuscate {
            return self.domain.clone();
        }
        let chars: Vec<char> = self.domain.chars().collect();
        let visible = chars.len() / 4;
        chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if i > visible && i < chars.len() - visible && c != '.' {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    }

    /// SHA-256 of the domain, hex (Mastodon's `digest`).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        Sha256::digest(self.domain.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    fn rule(&self) -> BlockRule {
        BlockRule {
            domain: self.domain.clone(),
            severity: self.severity(),
            reject_media: self.reject_media,
        }
    }
}

/// The database's part of the policy, as the checks use it.
pub fn load(conn: &mut DbConnection) -> Result<DomainRules> {
    let allows: HashSet<String> = domain_allows::table
        .select(domain_allows::domain)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let blocks = domain_blocks::table
        .select(DomainBlock::as_select())
        .load::<DomainBlock>(conn)?
        .iter()
        .map(DomainBlock::rule)
        .collect();
    Ok(DomainRules {
        mode: mode(conn)?,
        allows,
        blocks,
    })
}

/// Every node hears of a change, and the audit log keeps who made it (`action` on the
/// department `domain`, or on the whole policy).
fn changed(
    conn: &mut DbConnection,
    by: &Actor,
    action: &str,
    domain: Option<&str>,
    what: &str,
) -> Result<()> {
    events::emit(conn, Event::FederationPolicyChanged)?;
    let target = match domain {
        Some(d) => audit::Target::new("domain", d, d),
        None => audit::Target::new("federation", "", "the federation policy"),
    };
    audit::record(
        conn,
        by,
        action,
        target,
        "",
        serde_json::json!({ "change": what }),
    )?;
    tracing::info!(change = what, "federation policy changed");
    Ok(())
}

/// The mode: allowlist unless an admin chose blocklist.
pub fn mode(conn: &mut DbConnection) -> Result<Mode> {
    let stored: Option<String> = federation_settings::table
        .find(1)
        .select(federation_settings::mode)
        .first(conn)
        .optional()?;
    Ok(stored.and_then(|m| m.parse().ok()).unwrap_or_default())
}

/// Change the mode. Call inside a write transaction.
pub fn set_mode(conn: &mut DbConnection, by: &Actor, mode: Mode) -> Result<Mode> {
    let now = Utc::now().naive_utc();
    let updated = diesel::update(federation_settings::table.find(1))
        .set((
            federation_settings::mode.eq(mode.as_str()),
            federation_settings::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(federation_settings::table)
            .values((
                federation_settings::id.eq(1),
                federation_settings::mode.eq(mode.as_str()),
                federation_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    changed(
        conn,
        by,
        "federation.mode",
        None,
        &format!("mode {}", mode.as_str()),
    )?;
    Ok(mode)
}

fn not_found(what: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{what} not found"))
}

/// Mastodon's id-range paging of a boxed query on `$id`: newest first.
macro_rules! paged {
    ($conn:expr, $query:expr, $id:expr, $page:expr) => {{
        let (mut q, page) = ($query, $page);
        if let Some(max) = page.max_id {
            q = q.filter($id.lt(max));
        }
        if let Some(since) = page.since_id {
            q = q.filter($id.gt(since));
        }
        match page.min_id {
            Some(min) => {
                let mut rows: Vec<_> = q
                    .filter($id.gt(min))
                    .order($id.asc())
                    .limit(page.limit)
                    .load($conn)?;
                rows.reverse();
                rows
            }
            None => q.order($id.desc()).limit(page.limit).load($conn)?,
        }
    }};
}

/// Domain allows, newest first, a page of them.
pub fn allows(conn: &mut DbConnection, page: &Page) -> Result<Vec<DomainAllow>> {
    let query = domain_allows::table
        .select((
            domain_allows::id,
            domain_allows::domain,
            domain_allows::created_at,
        ))
        .into_boxed();
    Ok(paged!(conn, query, domain_allows::id, page))
}

pub fn allow(conn: &mut DbConnection, id: i64) -> Result<DomainAllow> {
    domain_allows::table
        .find(id)
        .select((
            domain_allows::id,
            domain_allows::domain,
            domain_allows::created_at,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("Domain allow"))
}

fn allow_by_domain(conn: &mut DbConnection, domain: &str) -> Result<Option<DomainAllow>> {
    Ok(domain_allows::table
        .filter(domain_allows::domain.eq(domain))
        .select((
            domain_allows::id,
            domain_allows::domain,
            domain_allows::created_at,
        ))
        .first(conn)
        .optional()?)
}

/// Allow a domain (in allowlist mode). Allowing it again returns the same allow, as Mastodon
/// does. Call inside a write transaction.
pub fn add_allow(conn: &mut DbConnection, by: &Actor, domain: &DomainName) -> Result<DomainAllow> {
    if let Some(existing) = allow_by_domain(conn, domain.as_str())? {
        return Ok(existing);
    }
    let row = DomainAllow {
        id: ids::next_id(),
        domain: domain.as_str().to_string(),
        created_at: Utc::now().naive_utc(),
    };
    diesel::insert_into(domain_allows::table)
        .values((
            domain_allows::id.eq(row.id),
            domain_allows::domain.eq(&row.domain),
            domain_allows::created_at.eq(row.created_at),
        ))
        .execute(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict("The domain was allowed at the same time; try again")
            } else {
                e.into()
            }
        })?;
    changed(
        conn,
        by,
        "domain.allow",
        Some(&row.domain),
        &format!("allowed {}", row.domain),
    )?;
    Ok(row)
}

/// Remove a domain allow. Call inside a write transaction.
pub fn remove_allow(conn: &mut DbConnection, by: &Actor, id: i64) -> Result<DomainAllow> {
    let row = allow(conn, id)?;
    diesel::delete(domain_allows::table.find(id)).execute(conn)?;
    changed(
        conn,
        by,
        "domain.unallow",
        Some(&row.domain),
        &format!("no longer allowed {}", row.domain),
    )?;
    Ok(row)
}

/// Domain blocks, newest first, a page of them.
pub fn blocks(conn: &mut DbConnection, page: &Page) -> Result<Vec<DomainBlock>> {
    let query = domain_blocks::table
        .select(DomainBlock::as_select())
        .into_boxed();
    Ok(paged!(conn, query, domain_blocks::id, page))
}

pub fn block(conn: &mut DbConnection, id: i64) -> Result<DomainBlock> {
    domain_blocks::table
        .find(id)
        .select(DomainBlock::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("Domain block"))
}

fn block_by_domain(conn: &mut DbConnection, domain: &str) -> Result<Option<DomainBlock>> {
    Ok(domain_blocks::table
        .filter(domain_blocks::domain.eq(domain))
        .select(DomainBlock::as_select())
        .first(conn)
        .optional()?)
}

/// What a block is to be (for a new one, what is not given takes Mastodon's defaults:
/// `silence`, no flags, no comments).
#[derive(Debug, Clone, Default)]
pub struct BlockChange {
    pub severity: Option<Severity>,
    pub reject_media: Option<bool>,
    pub reject_reports: Option<bool>,
    /// `Some(None)` clears the comment.
    pub private_comment: Option<Option<String>>,
    pub public_comment: Option<Option<String>>,
    pub obfuscate: Option<bool>,
}

fn comment(which: &str, value: &Option<Option<String>>) -> Result<()> {
    if let Some(Some(text)) = value
        && text.chars().count() > MAX_COMMENT_CHARS
    {
        return Err(Error::unprocessable(format!(
            "Validation failed: the {which} comment is longer than {MAX_COMMENT_CHARS} characters"
        )));
    }
    Ok(())
}

impl BlockChange {
    fn check(&self) -> Result<()> {
        comment("private", &self.private_comment)?;
        comment("public", &self.public_comment)
    }
}

/// What adding a block did.
#[derive(Debug)]
pub enum Added {
    New(DomainBlock),
    /// A block already covers the domain (it, or a domain it is a subdomain of): nothing was
    /// added (Mastodon answers `422` with it).
    Exists(DomainBlock),
}

/// The block covering `domain` most specifically, if any (the domain's own, else its nearest
/// parent domain's).
pub fn covering_block(conn: &mut DbConnection, domain: &DomainName) -> Result<Option<DomainBlock>> {
    let rules = domain_blocks::table
        .select(DomainBlock::as_select())
        .load::<DomainBlock>(conn)?;
    let as_rules = DomainRules {
        mode: Mode::Blocklist,
        allows: HashSet::new(),
        blocks: rules.iter().map(DomainBlock::rule).collect(),
    };
    let Some(found) = as_rules
        .block_for(domain.as_str())
        .map(|b| b.domain.clone())
    else {
        return Ok(None);
    };
    Ok(rules.into_iter().find(|b| b.domain == found))
}

fn insert_block(
    conn: &mut DbConnection,
    by: &Actor,
    domain: &DomainName,
    change: BlockChange,
) -> Result<DomainBlock> {
    let now = Utc::now().naive_utc();
    let id = ids::next_id();
    diesel::insert_into(domain_blocks::table)
        .values((
            domain_blocks::id.eq(id),
            domain_blocks::domain.eq(domain.as_str()),
            domain_blocks::severity.eq(change.severity.unwrap_or_default().as_str()),
            domain_blocks::reject_media.eq(change.reject_media.unwrap_or(false)),
            domain_blocks::reject_reports.eq(change.reject_reports.unwrap_or(false)),
            domain_blocks::private_comment.eq(change.private_comment.flatten()),
            domain_blocks::public_comment.eq(change.public_comment.flatten()),
            domain_blocks::obfuscate.eq(change.obfuscate.unwrap_or(false)),
            domain_blocks::created_at.eq(now),
            domain_blocks::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                Error::conflict("The domain was blocked at the same time; try again")
            } else {
                e.into()
            }
        })?;
    let added = block(conn, id)?;
    changed(
        conn,
        by,
        "domain.block",
        Some(&added.domain),
        &format!("blocked {} ({})", added.domain, added.severity().as_str()),
    )?;
    Ok(added)
}

/// Block a domain (and its subdomains). Call inside a write transaction.
pub fn add_block(
    conn: &mut DbConnection,
    by: &Actor,
    domain: &DomainName,
    change: BlockChange,
) -> Result<Added> {
    change.check()?;
    if let Some(existing) = covering_block(conn, domain)? {
        return Ok(Added::Exists(existing));
    }
    Ok(Added::New(insert_block(conn, by, domain, change)?))
}

/// Change a block. Call inside a write transaction.
pub fn update_block(
    conn: &mut DbConnection,
    by: &Actor,
    id: i64,
    change: BlockChange,
) -> Result<DomainBlock> {
    change.check()?;
    let old = block(conn, id)?;
    diesel::update(domain_blocks::table.find(id))
        .set((
            domain_blocks::severity.eq(change.severity.unwrap_or(old.severity()).as_str()),
            domain_blocks::reject_media.eq(change.reject_media.unwrap_or(old.reject_media)),
            domain_blocks::reject_reports.eq(change.reject_reports.unwrap_or(old.reject_reports)),
            domain_blocks::private_comment
                .eq(change.private_comment.unwrap_or(old.private_comment)),
            domain_blocks::public_comment.eq(change.public_comment.unwrap_or(old.public_comment)),
            domain_blocks::obfuscate.eq(change.obfuscate.unwrap_or(old.obfuscate)),
            domain_blocks::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    let updated = block(conn, id)?;
    changed(
        conn,
        by,
        "domain.block",
        Some(&updated.domain),
        &format!(
            "changed the block of {} ({})",
            updated.domain,
            updated.severity().as_str()
        ),
    )?;
    Ok(updated)
}

/// Lift a block. Call inside a write transaction.
pub fn remove_block(conn: &mut DbConnection, by: &Actor, id: i64) -> Result<DomainBlock> {
    let row = block(conn, id)?;
    diesel::delete(domain_blocks::table.find(id)).execute(conn)?;
    changed(
        conn,
        by,
        "domain.unblock",
        Some(&row.domain),
        &format!("unblocked {}", row.domain),
    )?;
    Ok(row)
}

/// Set the block of exactly `domain` (the CLI's `federation block`): added, or changed if the
/// domain has one. Call inside a write transaction.
pub fn set_block(
    conn: &mut DbConnection,
    by: &Actor,
    domain: &DomainName,
    change: BlockChange,
) -> Result<DomainBlock> {
    match block_by_domain(conn, domain.as_str())? {
        Some(existing) => update_block(conn, by, existing.id, change),
        // A parent domain's block does not stop a block of its own here.
        None => {
            change.check()?;
            insert_block(conn, by, domain, change)
        }
    }
}

/// Allow exactly `domain` (the CLI's `federation allow`): its block, if any, is lifted, and
/// in allowlist mode it gets a domain allow. Returns whether a block was lifted. Call inside
/// a write transaction.
pub fn set_allowed(conn: &mut DbConnection, by: &Actor, domain: &DomainName) -> Result<bool> {
    let lifted = match block_by_domain(conn, domain.as_str())? {
        Some(block) => {
            remove_block(conn, by, block.id)?;
            true
        }
        None => false,
    };
    add_allow(conn, by, domain)?;
    Ok(lifted)
}

/// Remove every rule naming exactly `domain` (its allow and its block). Returns what was
/// removed. Call inside a write transaction.
pub fn remove_domain(
    conn: &mut DbConnection,
    by: &Actor,
    domain: &DomainName,
) -> Result<(Option<DomainAllow>, Option<DomainBlock>)> {
    let allow = match allow_by_domain(conn, domain.as_str())? {
        Some(a) => Some(remove_allow(conn, by, a.id)?),
        None => None,
    };
    let block = match block_by_domain(conn, domain.as_str())? {
        Some(b) => Some(remove_block(conn, by, b.id)?),
        None => None,
    };
    Ok((allow, block))
}

/// The departments this one knows: those of accounts it has seen and those it allows, not
/// those it suspends; sorted (`GET /api/v1/instance/peers`).
pub fn peers(conn: &mut DbConnection, configured: &[String]) -> Result<Vec<String>> {
    use crate::db::schema::accounts;
    let mut all: std::collections::BTreeSet<String> = accounts::table
        .filter(accounts::domain.is_not_null())
        .select(accounts::domain.assume_not_null())
        .distinct()
        .load::<String>(conn)?
        .into_iter()
        .collect();
    all.extend(configured.iter().cloned());
    all.extend(
        domain_allows::table
            .select(domain_allows::domain)
            .load::<String>(conn)?,
    );
    let rules = load(conn)?;
    Ok(all
        .into_iter()
        .filter(|d| {
            !rules
                .block_for(d)
                .is_some_and(|b| b.severity == Severity::Suspend)
        })
        .collect())
}

/// Every allow and block, oldest first (for `groundswell federation list`).
pub fn all(conn: &mut DbConnection) -> Result<(Mode, Vec<DomainAllow>, Vec<DomainBlock>)> {
    let allows = domain_allows::table
        .select((
            domain_allows::id,
            domain_allows::domain,
            domain_allows::created_at,
        ))
        .order(domain_allows::domain.asc())
        .load(conn)?;
    let blocks = domain_blocks::table
        .select(DomainBlock::as_select())
        .order(domain_blocks::domain.asc())
        .load(conn)?;
    Ok((mode(conn)?, allows, blocks))
}

/// The run-time federation policy as one file (TOML or JSON), for IT to apply the same policy
/// to every department. `federation.allowed_domains` of the config is not part of it.
///
/// ```toml
/// mode = "allowlist"
/// allow = ["hr.corp.example"]
///
/// [[block]]
/// domain = "partner.example"
/// severity = "silence"
/// reject_media = true
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationRules {
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub allow: Vec<DomainName>,
    #[serde(default)]
    pub block: Vec<BlockSpec>,
}

/// One block of a [`FederationRules`] file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockSpec {
    pub domain: DomainName,
    #[serde(default)]
    pub severity: Severity,
    #[serde(default)]
    pub reject_media: bool,
    #[serde(default)]
    pub reject_reports: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_comment: Option<String>,
    #[serde(default)]
    pub obfuscate: bool,
}

/// The run-time federation policy as a [`FederationRules`].
pub fn export(conn: &mut DbConnection) -> Result<FederationRules> {
    let (mode, allows, blocks) = all(conn)?;
    Ok(FederationRules {
        mode,
        allow: allows
            .into_iter()
            .map(|a| DomainName::parse(&a.domain))
            .collect::<Result<_>>()?,
        block: blocks
            .into_iter()
            .map(|b| {
                Ok(BlockSpec {
                    domain: DomainName::parse(&b.domain)?,
                    severity: b.severity(),
                    reject_media: b.reject_media,
                    reject_reports: b.reject_reports,
                    private_comment: b.private_comment,
                    public_comment: b.public_comment,
                    obfuscate: b.obfuscate,
                })
            })
            .collect::<Result<_>>()?,
    })
}

/// Replace the run-time federation policy by `rules`, all at once (call inside a write
/// transaction: a refused file changes nothing). A domain allowed or blocked twice is
/// refused, naming it.
pub fn import(conn: &mut DbConnection, by: &Actor, rules: &FederationRules) -> Result<()> {
    let mut seen = HashSet::new();
    for domain in &rules.allow {
        if !seen.insert(domain.as_str()) {
            return Err(Error::unprocessable(format!(
                "Validation failed: `{}` is allowed twice",
                domain.as_str()
            )));
        }
    }
    let mut seen = HashSet::new();
    for block in &rules.block {
        if !seen.insert(block.domain.as_str()) {
            return Err(Error::unprocessable(format!(
                "Validation failed: `{}` is blocked twice",
                block.domain.as_str()
            )));
        }
        BlockChange {
            private_comment: Some(block.private_comment.clone()),
            public_comment: Some(block.public_comment.clone()),
            ..Default::default()
        }
        .check()?;
    }
    diesel::delete(domain_allows::table).execute(conn)?;
    diesel::delete(domain_blocks::table).execute(conn)?;
    let now = Utc::now().naive_utc();
    for domain in &rules.allow {
        diesel::insert_into(domain_allows::table)
            .values((
                domain_allows::id.eq(ids::next_id()),
                domain_allows::domain.eq(domain.as_str()),
                domain_allows::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    for b in &rules.block {
        diesel::insert_into(domain_blocks::table)
            .values((
                domain_blocks::id.eq(ids::next_id()),
                domain_blocks::domain.eq(b.domain.as_str()),
                domain_blocks::severity.eq(b.severity.as_str()),
                domain_blocks::reject_media.eq(b.reject_media),
                domain_blocks::reject_reports.eq(b.reject_reports),
                domain_blocks::private_comment.eq(&b.private_comment),
                domain_blocks::public_comment.eq(&b.public_comment),
                domain_blocks::obfuscate.eq(b.obfuscate),
                domain_blocks::created_at.eq(now),
                domain_blocks::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    set_mode(conn, by, rules.mode)?;
    changed(
        conn,
        by,
        "federation.import",
        None,
        &format!(
            "imported {} allow(s) and {} block(s)",
            rules.allow.len(),
            rules.block.len()
        ),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_files_read_as_toml_and_json_and_refuse_unknown_keys() {
        let toml_text = r#"
mode = "blocklist"
allow = ["hr.corp.example"]

[[block]]
domain = "Partner.Example"
severity = "silence"
reject_media = true
"#;
        let rules: FederationRules = toml::from_str(toml_text).unwrap();
        assert_eq!(rules.mode, Mode::Blocklist);
        assert_eq!(rules.block[0].domain.as_str(), "partner.example");
        assert_eq!(rules.block[0].severity, Severity::Silence);
        let json = serde_json::to_string(&rules).unwrap();
        let back: FederationRules = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rules);
        let again: FederationRules = toml::from_str(&toml::to_string(&rules).unwrap()).unwrap();
        assert_eq!(again, rules);

        let unknown = toml::from_str::<FederationRules>("mode = \"allowlist\"\nallows = []\n");
        assert!(unknown.unwrap_err().to_string().contains("allows"));
        let bad = toml::from_str::<FederationRules>("[[block]]\ndomain = \"*.x.example\"\n");
        assert!(bad.unwrap_err().to_string().contains("wildcards"));
        let bad = toml::from_str::<FederationRules>(
            "[[block]]\ndomain = \"x.example\"\nseverity = \"ban\"\n",
        );
        assert!(bad.unwrap_err().to_string().contains("ban"));
    }
}
