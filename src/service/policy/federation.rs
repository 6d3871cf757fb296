//! Federation policy: which departments this one talks to, and what it does with what they
//! send. Every ActivityPub request in either direction asks here — deliveries and fetches
//! (through the federation library's URL verifier and our HTTP client's resolver) and the
//! inbox (before anything is parsed) — so the rule lives in one place.
//!
//! The rules are the config's `federation.allowed_domains` (the starting set) and what the
//! admins set at run time ([`domains`](super::domains): Mastodon's domain allows and blocks,
//! and the mode):
//!
//! - **allowlist** mode (the default): a domain is allowed if it is in
//!   `federation.allowed_domains` or has a domain allow, and no `suspend` block covers it.
//! - **blocklist** mode: every domain is allowed unless a `suspend` block covers it.
//! - A block covers its domain and the domain's subdomains (a block without a port covers
//!   every port); the most specific block decides. `suspend`: nothing in or out. `silence`:
//!   the department's posts leave the public and hashtag timelines of those who do not follow
//!   the author ([`not_silenced`]). `reject_media`: its attachments are not stored
//!   ([`FederationPolicy::rejects_media`]) nor shown ([`media_shown`]).
//! - Never this department's own domain; plain HTTP and explicit ports only with
//!   `federation.allow_http`; never URLs with credentials.
//!
//! Each app node keeps the database's part in memory ([`RulesCache`]) and reads it again after
//! [`Event::FederationPolicyChanged`] (on SQLite, after another process wrote), so a change is
//! in force on every node at once, without a restart.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Settings;
use crate::db::{Db, DbConnection};
use crate::error::{Error, Result};
use crate::service::caches::Caches;
use crate::service::events::Event;
use crate::service::visibility::{StatusFilter, Viewer};

pub use super::domains::{FederationRules, export, import};

/// `host[:port]` of a URL, the form domains are compared in.
pub fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The host of `host[:port]`.
fn host_of(domain: &str) -> &str {
    match domain.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => domain,
    }
}

/// Whether the department federates only with allowed domains or with all but blocked ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Only the config's `federation.allowed_domains` and domain allows (the safe default).
    #[default]
    Allowlist,
    /// Every domain without a `suspend` block. With `DANGER_FEDERATION_ALLOW_LOCAL_IP` set this
    /// reaches any internal host a post or a search names.
    Blocklist,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Allowlist => "allowlist",
            Mode::Blocklist => "blocklist",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "allowlist" => Ok(Mode::Allowlist),
            "blocklist" => Ok(Mode::Blocklist),
            other => Err(Error::unprocessable(format!(
                "Validation failed: `{other}` is not a federation mode: use allowlist or blocklist"
            ))),
        }
    }
}

/// What a domain block does (Mastodon's severities).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Hidden from the public and hashtag timelines of those who do not follow the author.
    #[default]
    Silence,
    /// Nothing in or out.
    Suspend,
    /// Only the block's flags (`reject_media`, `reject_reports`).
    Noop,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
            Severity::Noop => "noop",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "silence" => Ok(Severity::Silence),
            "suspend" => Ok(Severity::Suspend),
            "noop" => Ok(Severity::Noop),
            other => Err(Error::unprocessable(format!(
                "Validation failed: `{other}` is not a severity: use silence, suspend or noop"
            ))),
        }
    }
}

/// A domain a rule names: a host name (lowercase, no trailing dot) with an optional port.
/// No scheme, path, wildcard or underscore.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(input: &str) -> Result<DomainName> {
        let trimmed = input.trim().trim_end_matches('.').to_ascii_lowercase();
        let refuse = |why: &str| {
            Error::unprocessable(format!("Validation failed: `{}` {why}", input.trim()))
        };
        if trimmed.contains(['*', '_', '%']) {
            return Err(refuse(
                "is not a domain: give a host name (it covers its subdomains), without wildcards",
            ));
        }
        let domain = crate::config::Domain::parse(&trimmed).map_err(|e| refuse(&e))?;
        Ok(DomainName(domain.as_str().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for DomainName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        DomainName::parse(&raw).map_err(|e| serde::de::Error::custom(e.message()))
    }
}

/// What a block does, as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRule {
    pub domain: String,
    pub severity: Severity,
    pub reject_media: bool,
}

impl BlockRule {
    /// Whether this block covers `domain` (`host[:port]`, lowercase): the same domain, a
    /// subdomain, and with a block without a port, any port of them.
    fn covers(&self, domain: &str) -> bool {
        let covers_host = |host: &str, blocked: &str| {
            host == blocked
                || host
                    .strip_suffix(blocked)
                    .is_some_and(|rest| rest.ends_with('.'))
        };
        if self.domain.contains(':') {
            let (blocked_host, blocked_port) = self.domain.rsplit_once(':').unwrap_or_default();
            match domain.rsplit_once(':') {
                Some((host, port)) => port == blocked_port && covers_host(host, blocked_host),
                None => false,
            }
        } else {
            covers_host(host_of(domain), &self.domain)
        }
    }
}

/// The database's part of the policy: the mode, the domain allows and the blocks.
#[derive(Debug, Clone, Default)]
pub struct DomainRules {
    pub mode: Mode,
    pub allows: HashSet<String>,
    pub blocks: Vec<BlockRule>,
}

impl DomainRules {
    /// The block that decides for `domain`: the most specific one covering it (with a port
    /// before without, then the longest domain).
    pub fn block_for(&self, domain: &str) -> Option<&BlockRule> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        self.blocks
            .iter()
            .filter(|b| b.covers(&domain))
            .max_by_key(|b| (b.domain.contains(':'), b.domain.len()))
    }
}

/// The policy as it stands: the config's part and the database's. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FederationPolicy {
    fixed: Arc<Fixed>,
    rules: Arc<DomainRules>,
}

#[derive(Debug)]
struct Fixed {
    enabled: bool,
    allow_http: bool,
    /// `host` or `host:port`, lowercase, as written in `federation.allowed_domains`.
    configured: HashSet<String>,
    /// This department's own domain (never a federation peer of itself).
    own: String,
}

impl Fixed {
    fn new(settings: &Settings) -> Fixed {
        Fixed {
            enabled: settings.federation.enabled,
            allow_http: settings.federation.allow_http,
            configured: settings
                .federation
                .allowed_domains
                .iter()
                .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
                .collect(),
            own: settings.instance.domain.as_str().to_ascii_lowercase(),
        }
    }
}

impl FederationPolicy {
    /// The policy of `settings` with the database's `rules`.
    pub fn new(settings: &Settings, rules: DomainRules) -> Self {
        FederationPolicy {
            fixed: Arc::new(Fixed::new(settings)),
            rules: Arc::new(rules),
        }
    }

    pub fn enabled(&self) -> bool {
        self.fixed.enabled
    }

    pub fn allow_http(&self) -> bool {
        self.fixed.allow_http
    }

    pub fn mode(&self) -> Mode {
        self.rules.mode
    }

    /// The block that decides for `domain`: the most specific one covering it.
    pub fn block_for(&self, domain: &str) -> Option<&BlockRule> {
        self.rules.block_for(domain)
    }

    fn suspended(&self, domain: &str) -> bool {
        self.block_for(domain)
            .is_some_and(|b| b.severity == Severity::Suspend)
    }

    /// Whether `domain` (`host` or `host:port`) is one of the departments we federate with.
    pub fn allows_domain(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        if !self.fixed.enabled || domain == self.fixed.own || self.suspended(&domain) {
            return false;
        }
        match self.rules.mode {
            Mode::Blocklist => true,
            Mode::Allowlist => {
                self.fixed.configured.contains(&domain) || self.rules.allows.contains(&domain)
            }
        }
    }

    /// The departments this one federates with, of those listed (the configured and the
    /// allowed domains) and those `known` (domains of accounts seen): every allowed one.
    pub fn departments(&self, known: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut all: std::collections::BTreeSet<String> = known
            .into_iter()
            .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
            .collect();
        all.extend(self.fixed.configured.iter().cloned());
        all.extend(self.rules.allows.iter().cloned());
        all.into_iter().filter(|d| self.allows_domain(d)).collect()
    }

    /// The shared inbox of a department nobody has heard from yet: Groundswell's `/inbox`
    /// (plain HTTP only for a local test domain when `allow_http` is on).
    pub fn default_inbox(&self, domain: &str) -> String {
        let local = domain.contains(':')
            || host_of(domain) == "localhost"
            || host_of(domain).starts_with("127.");
        let scheme = if self.fixed.allow_http && local {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{domain}/inbox")
    }

    /// Whether a host name (without port) may belong to an allowed department; for the DNS
    /// resolver, which sees names only (the URL verifier has checked the whole domain).
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if !self.fixed.enabled || self.suspended(&host) {
            return false;
        }
        match self.rules.mode {
            Mode::Blocklist => true,
            Mode::Allowlist => self
                .fixed
                .configured
                .iter()
                .chain(self.rules.allows.iter())
                .any(|d| host_of(d) == host),
        }
    }

    /// Whether the attachments of `domain`'s posts are refused (a block with `reject_media`,
    /// or a suspension).
    pub fn rejects_media(&self, domain: &str) -> bool {
        self.block_for(domain)
            .is_some_and(|b| b.reject_media || b.severity == Severity::Suspend)
    }

    /// Refuse a URL of anything but an allowed department, or one reached in a way this
    /// instance does not allow (plain HTTP, explicit ports, credentials).
    pub fn check_url(&self, url: &Url) -> Result<()> {
        match url.scheme() {
            "https" => {}
            "http" if self.fixed.allow_http => {}
            scheme => {
                return Err(Error::forbidden(format!(
                    "Federation over `{scheme}` is not allowed"
                )));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::forbidden("URLs with credentials are not allowed"));
        }
        if url.port().is_some() && !self.fixed.allow_http {
            return Err(Error::forbidden(
                "URLs with an explicit port are not allowed",
            ));
        }
        let domain = authority(url).unwrap_or_default();
        if !self.allows_domain(&domain) {
            return Err(Error::forbidden(format!(
                "Federation with `{domain}` is not allowed by this department's policy"
            )));
        }
        Ok(())
    }
}

/// This node's copy of the database's part of the policy, read again before it is next used
/// after any change (`Event::FederationPolicyChanged`, or on SQLite a change by the CLI).
pub struct RulesCache {
    current: RwLock<Arc<DomainRules>>,
    stale: AtomicBool,
}

impl Default for RulesCache {
    fn default() -> Self {
        RulesCache {
            current: RwLock::new(Arc::new(DomainRules::default())),
            stale: AtomicBool::new(true),
        }
    }
}

impl RulesCache {
    /// Returns whether the event changed the policy.
    pub fn heard(&self, event: &Event) -> bool {
        if let Event::FederationPolicyChanged = event {
            self.clear();
            return true;
        }
        false
    }

    /// Read the rules again before they are next used.
    pub fn clear(&self) {
        self.stale.store(true, Ordering::SeqCst);
    }

    /// The rules if this node has them without asking the database.
    pub fn peek(&self) -> Option<Arc<DomainRules>> {
        if self.stale.load(Ordering::SeqCst) {
            return None;
        }
        self.current.read().ok().map(|r| r.clone())
    }

    /// The rules, read with `conn` if this node's copy is out of date.
    pub fn current(&self, conn: &mut DbConnection) -> Result<Arc<DomainRules>> {
        // A change heard while reading marks it stale again, so it is read once more.
        if self.stale.swap(false, Ordering::SeqCst) {
            match super::domains::load(conn) {
                Ok(rules) => {
                    let rules = Arc::new(rules);
                    if let Ok(mut current) = self.current.write() {
                        *current = rules.clone();
                    }
                    return Ok(rules);
                }
                Err(e) => {
                    self.stale.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        Ok(self.current.read().map(|r| r.clone()).unwrap_or_default())
    }
}

/// The policy every federation path of an app node asks (`ctx.policy`): the config's part,
/// and the database's as this node last read it.
pub struct Federation {
    fixed: Arc<Fixed>,
    db: Db,
    caches: Arc<Caches>,
}

impl Federation {
    pub fn new(settings: &Settings, db: Db, caches: Arc<Caches>) -> Federation {
        Federation {
            fixed: Arc::new(Fixed::new(settings)),
            db,
            caches,
        }
    }

    /// Federation is on at all (`federation.enabled`).
    pub fn enabled(&self) -> bool {
        self.fixed.enabled
    }

    pub fn allow_http(&self) -> bool {
        self.fixed.allow_http
    }

    /// The policy as it stands now (read from the database only after a change).
    pub async fn current(&self) -> Result<FederationPolicy> {
        let rules = match self.caches.federation.peek() {
            Some(rules) => rules,
            None => {
                let caches = self.caches.clone();
                self.db
                    .read(move |conn| caches.federation.current(conn))
                    .await?
            }
        };
        Ok(FederationPolicy {
            fixed: self.fixed.clone(),
            rules,
        })
    }

    /// [`FederationPolicy::check_url`] with the policy as it stands now.
    pub async fn check_url(&self, url: &Url) -> Result<()> {
        self.current().await?.check_url(url)
    }

    /// [`FederationPolicy::allows_domain`] with the policy as it stands now; `false` when the
    /// policy cannot be read.
    pub async fn allows_domain(&self, domain: &str) -> bool {
        match self.current().await {
            Ok(policy) => policy.allows_domain(domain),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the federation policy; refusing");
                false
            }
        }
    }
}

impl Federation {
    /// Whether the attachments of what the object at `url` says are to be dropped (its
    /// department's block rejects media); `true` when the policy cannot be read.
    pub async fn rejects_media_of(&self, url: &str) -> bool {
        let Some(domain) = Url::parse(url).ok().as_ref().and_then(authority) else {
            return true;
        };
        match self.current().await {
            Ok(policy) => policy.rejects_media(&domain),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the federation policy; dropping media");
                true
            }
        }
    }
}

/// SQL condition: `column` (an account id) is not of an account of another department that
/// a block matching `blocks` (a condition on `b`, the `domain_blocks` row) covers. With no such
/// block (the usual case) that is all the database looks at; the accounts are read only when
/// there is one, driven from the blocks (a handful).
fn outside_blocks(column: &str, blocks: &str) -> String {
    format!(
        "(NOT EXISTS (SELECT 1 FROM domain_blocks b WHERE {blocks}) \
         OR {column} NOT IN (SELECT a.id FROM domain_blocks b CROSS JOIN accounts a \
           WHERE ({blocks}) AND a.domain IS NOT NULL \
           AND (a.domain = b.domain OR a.domain LIKE '%.' || b.domain \
                OR (b.domain NOT LIKE '%:%' \
                    AND (a.domain LIKE b.domain || ':%' OR a.domain LIKE '%.' || b.domain || ':%')))))"
    )
}

/// SQL condition on an account id column (`column`, e.g. `s.account_id`): not an account of a
/// silenced or suspended department (for what is shown to everyone: trends).
pub fn outside_silenced(column: &str) -> String {
    outside_blocks(column, "b.severity IN ('silence', 'suspend')")
}

/// SQL condition for the public and hashtag timelines: no posts of a silenced (or suspended)
/// department, except by authors `viewer` follows.
pub fn not_silenced(viewer: Viewer) -> StatusFilter {
    let outside = outside_blocks(
        "statuses.account_id",
        "b.severity IN ('silence', 'suspend')",
    );
    let sql = match viewer {
        // An id, never text from a request.
        Some(me) => format!(
            "({outside} OR statuses.account_id IN \
             (SELECT f.target_account_id FROM follows f WHERE f.account_id = {me} AND f.accepted))"
        ),
        None => outside,
    };
    Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>(&sql))
}

/// SQL condition on `media_attachments`: not of a department whose media are rejected.
pub fn media_shown() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(&outside_blocks(
        "media_attachments.account_id",
        "b.reject_media OR b.severity = 'suspend'",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy_with(allowed: &[&str], allow_http: bool, rules: DomainRules) -> FederationPolicy {
        let mut settings = Settings::default();
        settings.federation.allowed_domains = allowed.iter().map(|s| s.to_string()).collect();
        settings.federation.allow_http = allow_http;
        FederationPolicy::new(&settings, rules)
    }

    fn policy(allowed: &[&str], allow_http: bool) -> FederationPolicy {
        policy_with(allowed, allow_http, DomainRules::default())
    }

    fn block(domain: &str, severity: Severity, reject_media: bool) -> BlockRule {
        BlockRule {
            domain: domain.into(),
            severity,
            reject_media,
        }
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_allowed_departments_over_https() {
        let p = policy(&["sales.corp.example"], false);
        assert!(
            p.check_url(&url("https://sales.corp.example/users/bob"))
                .is_ok()
        );
        assert!(
            p.check_url(&url("https://SALES.corp.example./inbox"))
                .is_ok()
        );
        assert!(p.check_url(&url("https://evil.example/users/bob")).is_err());
        assert!(
            p.check_url(&url("https://sales.corp.example.evil.example/"))
                .is_err()
        );
        assert!(
            p.check_url(&url("http://sales.corp.example/inbox"))
                .is_err()
        );
        assert!(
            p.check_url(&url("https://sales.corp.example:8443/inbox"))
                .is_err()
        );
        assert!(
            p.check_url(&url("https://u:p@sales.corp.example/inbox"))
                .is_err()
        );
        assert!(p.check_url(&url("ftp://sales.corp.example/")).is_err());
    }

    #[test]
    fn ports_and_http_only_when_allowed_and_listed() {
        let p = policy(&["localhost:8002"], true);
        assert!(p.check_url(&url("http://localhost:8002/inbox")).is_ok());
        assert!(p.check_url(&url("http://localhost:8003/inbox")).is_err());
        assert!(p.check_url(&url("http://localhost/inbox")).is_err());
        assert!(p.allows_host("localhost"));
        assert!(!p.allows_host("127.0.0.1"));
    }

    #[test]
    fn disabled_federation_allows_nothing() {
        let mut settings = Settings::default();
        settings.federation.allowed_domains = vec!["sales.corp.example".into()];
        settings.federation.enabled = false;
        let p = FederationPolicy::new(&settings, DomainRules::default());
        assert!(p.check_url(&url("https://sales.corp.example/")).is_err());
    }

    #[test]
    fn a_suspension_beats_the_config_and_allows_and_covers_subdomains() {
        let rules = DomainRules {
            mode: Mode::Allowlist,
            allows: ["hr.corp.example".to_string()].into(),
            blocks: vec![block("corp.example", Severity::Suspend, false)],
        };
        let p = policy_with(&["sales.corp.example"], false, rules);
        assert!(!p.allows_domain("sales.corp.example"));
        assert!(!p.allows_domain("hr.corp.example"));
        assert!(!p.allows_host("sales.corp.example"));
        assert!(p.rejects_media("x.corp.example"));
        // A more specific block decides.
        let rules = DomainRules {
            mode: Mode::Allowlist,
            allows: HashSet::new(),
            blocks: vec![
                block("corp.example", Severity::Suspend, false),
                block("sales.corp.example", Severity::Silence, true),
            ],
        };
        let p = policy_with(&["sales.corp.example"], false, rules);
        assert!(p.allows_domain("sales.corp.example"));
        assert!(p.rejects_media("sales.corp.example"));
        assert!(!p.rejects_media("notcorp.example"));
    }

    #[test]
    fn allows_add_to_the_config_in_allowlist_mode() {
        let rules = DomainRules {
            mode: Mode::Allowlist,
            allows: ["hr.corp.example".to_string()].into(),
            blocks: vec![],
        };
        let p = policy_with(&["sales.corp.example"], false, rules);
        assert!(p.allows_domain("hr.corp.example"));
        assert!(p.allows_domain("sales.corp.example"));
        assert!(!p.allows_domain("ops.corp.example"));
        assert!(p.allows_host("hr.corp.example"));
    }

    #[test]
    fn blocklist_mode_lets_in_all_but_suspended_domains_never_our_own() {
        let rules = DomainRules {
            mode: Mode::Blocklist,
            allows: HashSet::new(),
            blocks: vec![
                block("evil.example", Severity::Suspend, false),
                block("localhost:8003", Severity::Suspend, false),
                block("noisy.example", Severity::Silence, false),
            ],
        };
        let mut settings = Settings::default();
        settings.federation.allow_http = true;
        settings.instance.domain = crate::config::Domain::parse("localhost:8001").unwrap();
        let p = FederationPolicy::new(&settings, rules);
        assert!(p.check_url(&url("https://anyone.example/users/a")).is_ok());
        assert!(p.check_url(&url("https://noisy.example/users/a")).is_ok());
        assert!(p.check_url(&url("https://evil.example/users/a")).is_err());
        assert!(p.check_url(&url("https://a.evil.example/users/a")).is_err());
        assert!(p.check_url(&url("https://notevil.example/users/a")).is_ok());
        assert!(p.check_url(&url("http://localhost:8002/inbox")).is_ok());
        assert!(p.check_url(&url("http://localhost:8003/inbox")).is_err());
        assert!(p.check_url(&url("http://localhost:8001/inbox")).is_err());
        assert!(
            p.allows_host("localhost"),
            "a port's block is not the host's"
        );
        assert!(!p.allows_host("evil.example"));
    }

    #[test]
    fn domain_names_are_checked() {
        assert_eq!(
            DomainName::parse(" Sales.Corp.Example. ").unwrap().as_str(),
            "sales.corp.example"
        );
        assert_eq!(
            DomainName::parse("localhost:8002").unwrap().as_str(),
            "localhost:8002"
        );
        for bad in [
            "",
            "*.corp.example",
            "https://x.example",
            "x.example/path",
            "a_b.example",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad}");
        }
    }
}
