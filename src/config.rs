//! Typed settings, loaded once at start.
//!
//! Layers, lowest first: built-in defaults, the TOML file given with `--config` (or
//! `GROUNDSWELL_CONFIG`), then environment variables `GROUNDSWELL_<SECTION>__<KEY>`.
//! Unknown keys and bad values are refused with a message naming the key.
//! `config/example.toml` documents every key with its default.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use url::Url;

/// Prefix of every environment variable that overrides a setting.
pub const ENV_PREFIX: &str = "GROUNDSWELL_";
/// Environment variable naming the config file (same as `--config`).
pub const CONFIG_FILE_ENV: &str = "GROUNDSWELL_CONFIG";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub instance: InstanceSettings,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub storage: StorageSettings,
    pub media: MediaSettings,
    pub limits: LimitSettings,
    pub federation: FederationSettings,
    pub push: PushSettings,
    pub metrics: MetricsSettings,
    pub directory: DirectorySettings,
    pub log: LogSettings,
}

/// The people directory: every department's discoverable employees, synced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectorySettings {
    /// How often this department publishes its own entries to its directory and syncs every
    /// other department's (`GET /directory` there), in seconds (one app node at a time).
    pub sync_interval_secs: u64,
}

impl Default for DirectorySettings {
    fn default() -> Self {
        DirectorySettings {
            sync_interval_secs: 3600,
        }
    }
}

/// What aggregate figures may say without identifying anyone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// A count of people is shown only when at least this many are behind it; below, it is
    /// shown as suppressed (never as a number).
    pub min_group_size: u32,
    /// How often the engagement metrics of today and yesterday are rolled up, in seconds
    /// (by one app node at a time).
    pub rollup_interval_secs: u64,
    /// Hashtags (without `#`) that make a post a question, besides a `?` in its text.
    #[serde(deserialize_with = "string_list")]
    pub question_tags: Vec<String>,
    /// The bearer token Prometheus sends to `GET /metrics`; empty turns the endpoint off
    /// (`404`). Secret: redacted by `groundswell config`, never logged.
    pub bearer_token: String,
    /// The other departments whose engagement exports the company report
    /// (`/admin/engagement/company`) collects: `[[metrics.company]]` tables of `url` (the
    /// department's address) and `token` (an administrator's access token there with
    /// `admin:read`) or `token_file` (a file holding it, read at each report, so it can be
    /// rotated without a restart). Tokens are secret: redacted by `groundswell config`,
    /// never logged.
    pub company: Vec<CompanyDepartment>,
}

/// One department of the company report.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyDepartment {
    pub url: Url,
    #[serde(default)]
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
}

impl fmt::Debug for CompanyDepartment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompanyDepartment")
            .field("url", &self.url.as_str())
            .field("token", &"REDACTED")
            .field("token_file", &self.token_file)
            .finish()
    }
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            min_group_size: 5,
            rollup_interval_secs: 300,
            question_tags: vec!["question".into()],
            bearer_token: String::new(),
            company: Vec::new(),
        }
    }
}

/// Web Push: notifications sent to the push services of employees' apps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushSettings {
    /// Accept `http://` push endpoints (local testing). Never in production: apps' push
    /// services are HTTPS, and only HTTPS keeps the VAPID token from being read on the way.
    pub allow_http_endpoints: bool,
    /// Accept push endpoints on loopback, private, link-local and other non-public addresses
    /// (a push relay inside the company network, local testing). Off: such endpoints are
    /// refused when subscribing and never connected to, so an app cannot make the server
    /// POST to internal hosts.
    pub allow_private_endpoints: bool,
    /// Timeout of one request to a push service, in seconds.
    pub request_timeout_secs: u64,
    /// Pushes sent at the same time by one app node.
    pub concurrency: usize,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            allow_http_endpoints: false,
            allow_private_endpoints: false,
            request_timeout_secs: 10,
            concurrency: 8,
        }
    }
}

/// ActivityPub between the company's departments.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FederationSettings {
    /// Whether this department federates at all. Off: no inbox, no actor documents, nothing
    /// sent (WebFinger and NodeInfo stay up for discovery).
    pub enabled: bool,
    /// The other departments this one federates with (`sales.corp.example`, or
    /// `localhost:8002` when testing). Nothing is sent to, fetched from or accepted from any
    /// other domain. Empty: federate with nobody. In the environment, comma-separated.
    #[serde(deserialize_with = "string_list")]
    pub allowed_domains: Vec<String>,
    /// Allow plain-HTTP URLs and explicit ports (local testing, `groundswell demo`).
    /// Never in production: signatures then travel unencrypted.
    pub allow_http: bool,
    /// Departments delivered to at the same time (each department's queue is sent in order).
    pub delivery_concurrency: usize,
    /// Longest wait between two delivery attempts to a department that is down, in seconds
    /// (the wait doubles after each failure, from one second up to this).
    pub max_retry_interval_secs: u64,
    /// How long an activity keeps being retried before it is given up, in hours.
    pub give_up_after_hours: u64,
    /// Timeout of one request to another department, in seconds.
    pub request_timeout_secs: u64,
    /// Accounts of other departments are fetched again when older than this, in hours.
    pub refresh_accounts_after_hours: u64,
    /// Departments whose company-wide announcements are shown to employees here: domains,
    /// or `*` for every department this one federates with. Empty: none. In the
    /// environment, comma-separated.
    #[serde(deserialize_with = "string_list")]
    pub announcements_from: Vec<String>,
}

impl Default for FederationSettings {
    fn default() -> Self {
        FederationSettings {
            enabled: true,
            allowed_domains: Vec::new(),
            allow_http: false,
            delivery_concurrency: 8,
            max_retry_interval_secs: 3600,
            give_up_after_hours: 72,
            request_timeout_secs: 10,
            refresh_accounts_after_hours: 24,
            announcements_from: vec!["*".into()],
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// How long a browser session lasts after signing in, in hours.
    pub session_lifetime_hours: u32,
    /// Corporate single sign-on with an OpenID Connect provider (off while `issuer` is empty).
    pub oidc: OidcSettings,
    /// SCIM 2.0 provisioning by the identity provider (off while `token` is empty).
    pub scim: ScimSettings,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            session_lifetime_hours: 24 * 14,
            oidc: OidcSettings::default(),
            scim: ScimSettings::default(),
        }
    }
}

/// The company's OpenID Connect provider. Every key has a value so that the section is always
/// present (and documented); an empty `issuer` means SSO is not configured.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    /// The provider's issuer URL; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Secret: redacted by `groundswell config`, never logged.
    pub client_secret: String,
    /// Scopes asked for; in the environment a comma-separated list.
    #[serde(deserialize_with = "string_list")]
    pub scopes: Vec<String>,
    /// Text of the sign-in button.
    pub button_label: String,
    /// Claim holding the username (its part before `@` if it is an address); falls back to the
    /// e-mail's local part.
    pub username_claim: String,
    pub display_name_claim: String,
    pub email_claim: String,
    pub department_claim: String,
    pub groups_claim: String,
    /// Only members of one of these groups may sign in; empty: everyone the provider admits.
    #[serde(deserialize_with = "string_list")]
    pub allowed_groups: Vec<String>,
    /// Members are admins. When both role lists are empty, roles are not managed by the IdP.
    #[serde(deserialize_with = "string_list")]
    pub admin_groups: Vec<String>,
    /// Members are moderators (unless they are admins).
    #[serde(deserialize_with = "string_list")]
    pub moderator_groups: Vec<String>,
    /// Turn local passwords off. Unset: on when an issuer is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso_only: Option<bool>,
    /// Profile fields filled from claims at every sign-in (`[[auth.oidc.profile_fields]]`
    /// with `label`, shown on the profile, and `claim`, e.g. `job_title`): first on the
    /// profile, marked as verified by the company directory, not editable by the employee.
    pub profile_fields: Vec<ProfileFieldClaim>,
}

/// One profile field from the identity provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFieldClaim {
    pub label: String,
    pub claim: String,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            scopes: ["openid", "profile", "email", "groups"]
                .map(String::from)
                .to_vec(),
            button_label: "Sign in with your company account".into(),
            username_claim: "preferred_username".into(),
            display_name_claim: "name".into(),
            email_claim: "email".into(),
            department_claim: "department".into(),
            groups_claim: "groups".into(),
            allowed_groups: Vec::new(),
            admin_groups: Vec::new(),
            moderator_groups: Vec::new(),
            sso_only: None,
            profile_fields: Vec::new(),
        }
    }
}

impl OidcSettings {
    /// Whether single sign-on is configured.
    pub fn enabled(&self) -> bool {
        !self.issuer.trim().is_empty()
    }

    /// Whether local passwords are turned off.
    pub fn sso_only(&self) -> bool {
        self.enabled() && self.sso_only.unwrap_or(true)
    }

    /// Whether the provider's groups decide roles.
    pub fn manages_roles(&self) -> bool {
        !self.admin_groups.is_empty() || !self.moderator_groups.is_empty()
    }
}

/// SCIM 2.0 provisioning (`/scim/v2/…`), authenticated with a bearer token IT configures.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScimSettings {
    /// The bearer token the provisioning client sends; empty turns SCIM off. Secret.
    pub token: String,
    /// Which OIDC claim must equal a SCIM user's `externalId` to link the two at the first
    /// sign-in.
    pub external_id_claim: String,
}

impl Default for ScimSettings {
    fn default() -> Self {
        ScimSettings {
            token: String::new(),
            external_id_claim: "sub".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceSettings {
    /// The department's public domain, with the port when it is not the default one
    /// (`eng.corp.example`, `localhost:8080`). Part of every account's and post's id:
    /// do not change it once the instance has federated.
    pub domain: Domain,
    /// Whether public URLs use https. Unset: https, except for `localhost`, loopback
    /// addresses and domains with an explicit port (local testing).
    pub https: Option<bool>,
    /// Display name of the department's instance.
    pub name: String,
    /// Short description shown to clients and on the about page.
    pub description: String,
    /// Where employees can reach the department's admins.
    pub contact_email: String,
    /// Visibility of a post when the client does not say: `public`, `unlisted`, `private`
    /// (followers only) or `local` (department only: never leaves this instance).
    pub default_visibility: DefaultVisibility,
    /// The department's rules, shown to clients (`/api/v1/instance/rules`). In the
    /// environment: a comma-separated list.
    #[serde(deserialize_with = "string_list")]
    pub rules: Vec<String>,
    /// A Markdown file with the department's privacy policy, shown to apps
    /// (`/api/v1/instance/privacy_policy`; its change time is the policy's date). Unset: a
    /// short default saying what Groundswell stores.
    pub privacy_policy_file: Option<PathBuf>,
}

/// Visibility a post gets when the client sends none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultVisibility {
    Public,
    Unlisted,
    Private,
    Local,
}

impl DefaultVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultVisibility::Public => "public",
            DefaultVisibility::Unlisted => "unlisted",
            DefaultVisibility::Private => "private",
            DefaultVisibility::Local => "local",
        }
    }
}

/// Where files live.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSettings {
    /// Folder for uploaded media (under `media/`). Several app nodes need a shared folder.
    pub data_dir: PathBuf,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            data_dir: PathBuf::from("data"),
        }
    }
}

/// Video and audio uploads: read with `ffprobe` and given a preview frame by `ffmpeg`
/// (optional runtime dependencies; without them only images can be uploaded).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaSettings {
    /// The `ffmpeg` program (a name looked up on `PATH`, or a path).
    pub ffmpeg_path: PathBuf,
    /// The `ffprobe` program (a name looked up on `PATH`, or a path).
    pub ffprobe_path: PathBuf,
    /// How long `ffprobe` or `ffmpeg` may take on one upload, in seconds; then it is stopped
    /// and the upload refused.
    pub ffmpeg_timeout_secs: u64,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            ffmpeg_path: PathBuf::from("ffmpeg"),
            ffprobe_path: PathBuf::from("ffprobe"),
            ffmpeg_timeout_secs: 60,
        }
    }
}

/// Limits clients are told about and the server enforces.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitSettings {
    /// Longest post, in characters (links count as 23, as on Mastodon).
    pub max_status_chars: usize,
    /// Most media attachments on one post.
    pub max_media_attachments: usize,
    /// Largest image upload, in bytes.
    pub max_image_bytes: usize,
    /// Largest video or audio upload, in bytes.
    pub max_video_bytes: usize,
    /// Largest image, in pixels (width × height).
    pub max_image_pixels: u64,
    /// Longest media description (alt text), in characters.
    pub max_media_description_chars: usize,
    /// API requests per token (or per address without one) per 5 minutes, per app node.
    /// 0 turns the limit off.
    pub api_requests_per_5_minutes: u32,
    /// Failed password sign-ins per client address and account per 5 minutes (username and
    /// e-mail of one account share the budget; right passwords do not count). 0 turns it off.
    pub sign_in_attempts_per_5_minutes: u32,
    /// How many of the newest statuses each employee's home feed keeps; older pages of the
    /// home timeline are searched for (slower).
    pub home_feed_size: usize,
    /// How far ahead a post must be scheduled, in seconds (Mastodon: 5 minutes).
    pub scheduled_status_min_lead_secs: u32,
    /// Most entries in one list of an activity another department sends (`to`, `cc`, `bto`,
    /// `bcc`, `audience`, its objects; its object's addressing and tags); a longer one is
    /// refused (422) before anything of it is fetched, looked up or stored.
    pub max_inbox_recipients: usize,
}

impl Default for LimitSettings {
    fn default() -> Self {
        LimitSettings {
            max_status_chars: 5000,
            max_media_attachments: 4,
            max_image_bytes: 16 * 1024 * 1024,
            max_video_bytes: 99 * 1024 * 1024,
            max_image_pixels: 33_177_600,
            max_media_description_chars: 1500,
            api_requests_per_5_minutes: 1500,
            sign_in_attempts_per_5_minutes: 10,
            home_feed_size: 800,
            scheduled_status_min_lead_secs: 300,
            // A post of `max_status_chars` can mention at most ~1,700 accounts ("@a "), so
            // no post of ours, nor another department's, comes near it.
            max_inbox_recipients: 2000,
        }
    }
}

/// A list in TOML (`["a", "b"]`), or a comma-separated string (environment variables).
fn string_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<String>),
        One(String),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(items) => items,
        OneOrMany::One(joined) => joined
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
    })
}

impl Default for InstanceSettings {
    fn default() -> Self {
        InstanceSettings {
            domain: Domain("localhost:8080".into()),
            https: None,
            name: "Groundswell".into(),
            description: "A department of the company's social network".into(),
            contact_email: String::new(),
            default_visibility: DefaultVisibility::Public,
            rules: Vec::new(),
            privacy_policy_file: None,
        }
    }
}

impl InstanceSettings {
    /// The instance actor's `preferredUsername`: the host without the port, as Mastodon names
    /// its instance actor. WebFinger answers `acct:<this>@<domain>` with the instance actor, so
    /// this name is reserved: no employee may take it (a dotted host is no valid username
    /// anyway, but `localhost` is).
    pub fn instance_actor_username(&self) -> &str {
        self.domain.host()
    }

    pub fn uses_https(&self) -> bool {
        self.https
            .unwrap_or_else(|| !self.domain.is_local_testing())
    }

    /// `https://eng.corp.example` — the origin of every local URL.
    pub fn base_url(&self) -> Url {
        let scheme = if self.uses_https() { "https" } else { "http" };
        // The domain was validated at load time, so this parse cannot fail; fall back to a
        // harmless URL rather than panicking if it somehow does.
        Url::parse(&format!("{scheme}://{}", self.domain.as_str()))
            .unwrap_or_else(|_| Url::parse("http://localhost").expect("static URL parses"))
    }

    /// [`base_url`](Self::base_url) as text without the trailing slash, ready for
    /// `format!("{base}/users/alice")`.
    pub fn base(&self) -> String {
        self.base_url().as_str().trim_end_matches('/').to_string()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// Address and port to listen on.
    pub bind: SocketAddr,
    /// Worker threads serving HTTP; 0 means one per CPU core.
    pub workers: usize,
    /// Largest accepted request body (JSON, forms, the text of a multipart body), in bytes.
    /// A multipart body may add `limits.max_image_bytes` per file its endpoint takes (the
    /// media upload endpoints: `limits.max_video_bytes` if that is larger).
    pub max_body_bytes: usize,
    /// On Ctrl-C / SIGTERM, how long in-flight requests get to finish, in seconds.
    pub shutdown_timeout_secs: u64,
    /// How long an idle client connection is kept open for its next request, in seconds
    /// (longer than clients keep theirs, so a client never sends on a connection the server
    /// is closing; nginx's default is 75).
    pub keep_alive_secs: u64,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` / `Forwarded`
    /// headers name the client. From anyone else these headers are ignored: the client is the
    /// connection's peer. Empty: trust nobody. In the environment, comma-separated.
    #[serde(deserialize_with = "ip_range_list")]
    pub trusted_proxies: Vec<IpRange>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: 0,
            max_body_bytes: 1024 * 1024,
            shutdown_timeout_secs: 30,
            keep_alive_secs: 75,
            trusted_proxies: Vec::new(),
        }
    }
}

/// An IP address or a CIDR range (`10.0.0.5`, `172.28.0.0/16`, `::1`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(input: &str) -> Result<IpRange, String> {
        let input = input.trim();
        let (addr, prefix) = match input.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (input, None),
        };
        let bad = || {
            format!(
                "`{input}` is not an IP address or CIDR range (e.g. `10.0.0.5`, `172.28.0.0/16`)"
            )
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(IpRange {
            network: mask(addr, prefix),
            prefix,
        })
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        addr.is_ipv4() == self.network.is_ipv4() && mask(addr, self.prefix) == self.network
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & kept).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & kept).into())
        }
    }
}

impl TryFrom<String> for IpRange {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        IpRange::parse(&value)
    }
}

impl From<IpRange> for String {
    fn from(r: IpRange) -> String {
        let max = if r.network.is_ipv4() { 32 } else { 128 };
        if r.prefix == max {
            r.network.to_string()
        } else {
            format!("{}/{}", r.network, r.prefix)
        }
    }
}

/// [`string_list`] of [`IpRange`]s.
fn ip_range_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<IpRange>, D::Error> {
    string_list(d)?
        .iter()
        .map(|s| IpRange::parse(s).map_err(serde::de::Error::custom))
        .collect()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://path/to/file.sqlite3` (relative to the working directory; `sqlite:///abs/path`
    /// for an absolute path) or `postgres://user:password@host:port/database`.
    pub url: DatabaseUrl,
    /// Largest number of open connections per app node.
    pub pool_size: u32,
    /// How long to wait for a free connection (or a new one), in seconds.
    pub connect_timeout_secs: u64,
    /// Apply pending migrations when `serve` starts. Turn off to run `groundswell migrate`
    /// yourself (for example once, before rolling out several app nodes).
    pub auto_migrate: bool,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: DatabaseUrl::Sqlite(PathBuf::from("data/groundswell.sqlite3")),
            pool_size: 10,
            connect_timeout_secs: 5,
            auto_migrate: true,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` for people, `json` for log collectors.
    pub format: LogFormat,
    /// Filter in `tracing` syntax: `info`, `debug`, `groundswell=debug,actix_web=info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// A validated instance domain: lowercase host name or IP, with an optional port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

impl Domain {
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim().to_ascii_lowercase();
        if input.is_empty() {
            return Err("a domain must not be empty".into());
        }
        if input.contains("://") || input.contains('/') {
            return Err(format!(
                "`{input}` is not a domain: give the host name only (and a port if needed), \
                 without scheme or path, e.g. `eng.corp.example`"
            ));
        }
        let url = Url::parse(&format!("http://{input}/"))
            .map_err(|e| format!("`{input}` is not a valid domain: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| format!("`{input}` has no host"))?;
        let normalised = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None if input.ends_with(":80") => format!("{host}:80"),
            None => host.to_string(),
        };
        if normalised != input {
            return Err(format!("`{input}` is not a valid domain"));
        }
        Ok(Domain(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host without the port.
    pub fn host(&self) -> &str {
        match self.0.rsplit_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            _ => &self.0,
        }
    }

    fn has_port(&self) -> bool {
        self.host().len() != self.0.len()
    }

    /// `localhost`, loopback addresses and anything with an explicit port: only used for
    /// local testing, so plain http is the default there.
    pub fn is_local_testing(&self) -> bool {
        let host = self.host();
        self.has_port() || host == "localhost" || host.starts_with("127.") || host == "[::1]"
    }
}

impl TryFrom<String> for Domain {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Domain::parse(&value)
    }
}

impl From<Domain> for String {
    fn from(d: Domain) -> String {
        d.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which database to use, chosen by the URL's scheme.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        if let Some(path) = input.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "a sqlite:// URL needs a file path, e.g. `sqlite://data/groundswell.sqlite3`"
                        .into(),
                );
            }
            Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
        } else if input.starts_with("postgres://") || input.starts_with("postgresql://") {
            Url::parse(input).map_err(|e| format!("invalid PostgreSQL URL: {e}"))?;
            Ok(DatabaseUrl::Postgres(input.to_string()))
        } else {
            Err("the database URL must start with `sqlite://` or `postgres://`".into())
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }

    /// The URL with any password replaced, for logs and `groundswell config`.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(raw) => match Url::parse(raw) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("REDACTED"));
                    url.to_string()
                }
                _ => raw.clone(),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        DatabaseUrl::parse(&value)
    }
}

impl From<DatabaseUrl> for String {
    fn from(u: DatabaseUrl) -> String {
        match u {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url,
        }
    }
}

/// A configuration problem, worded for the person starting the server.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

impl Settings {
    /// Load defaults, then the file (if any), then `GROUNDSWELL_*` environment variables.
    pub fn load(config_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(path) = config_file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .split("__")
                // GROUNDSWELL_CONFIG names the file; it is not a setting.
                .ignore(&["config"]),
        );
        let settings: Settings = figment.extract().map_err(describe_figment_error)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.limits.max_status_chars == 0 {
            return Err(ConfigError(
                "config key `limits.max_status_chars`: must be at least 1".into(),
            ));
        }
        for (i, d) in self.metrics.company.iter().enumerate() {
            if d.token.is_empty() == d.token_file.is_none() {
                return Err(ConfigError(format!(
                    "config key `metrics.company[{i}]` ({}): give `token` or `token_file`, \
                     one of them",
                    d.url
                )));
            }
            if !matches!(d.url.scheme(), "http" | "https") {
                return Err(ConfigError(format!(
                    "config key `metrics.company[{i}].url`: must be an http(s) address, not `{}`",
                    d.url
                )));
            }
        }
        if self.limits.max_inbox_recipients == 0 {
            return Err(ConfigError(
                "config key `limits.max_inbox_recipients`: must be at least 1".into(),
            ));
        }
        if self.limits.home_feed_size < 40 {
            return Err(ConfigError(
                "config key `limits.home_feed_size`: must be at least 40 (one page)".into(),
            ));
        }
        if self.database.pool_size == 0 {
            return Err(ConfigError(
                "config key `database.pool_size`: must be at least 1".into(),
            ));
        }
        if self.federation.delivery_concurrency == 0 {
            return Err(ConfigError(
                "config key `federation.delivery_concurrency`: must be at least 1".into(),
            ));
        }
        if self.push.concurrency == 0 {
            return Err(ConfigError(
                "config key `push.concurrency`: must be at least 1".into(),
            ));
        }
        for domain in &self.federation.allowed_domains {
            let valid = Url::parse(&format!("http://{domain}/"))
                .ok()
                .filter(|u| u.path() == "/" && u.host_str().is_some())
                .map(|u| {
                    let host = u.host_str().unwrap_or_default();
                    match u.port() {
                        Some(port) => format!("{host}:{port}"),
                        None => host.to_string(),
                    }
                });
            match valid {
                Some(normal) if normal == *domain => {}
                _ => {
                    return Err(ConfigError(format!(
                        "config key `federation.allowed_domains`: `{domain}` is not a domain \
                         (write it lowercase, as `sales.corp.example` or `localhost:8002`)"
                    )));
                }
            }
            if domain.contains(':') && !self.federation.allow_http {
                return Err(ConfigError(format!(
                    "config key `federation.allowed_domains`: `{domain}` has a port, which \
                     needs `federation.allow_http = true` (local testing only)"
                )));
            }
        }
        if let Some(path) = &self.instance.privacy_policy_file
            && !path.is_file()
        {
            return Err(ConfigError(format!(
                "config key `instance.privacy_policy_file`: `{}` is not a readable file",
                path.display()
            )));
        }
        self.validate_oidc()?;
        if let Err(e) = tracing_subscriber::EnvFilter::builder().parse(&self.log.level) {
            return Err(ConfigError(format!(
                "config key `log.level`: `{}` is not a valid filter: {e}",
                self.log.level
            )));
        }
        Ok(())
    }

    fn validate_oidc(&self) -> Result<(), ConfigError> {
        let oidc = &self.auth.oidc;
        if !oidc.enabled() {
            return Ok(());
        }
        let key_error =
            |key: &str, what: String| ConfigError(format!("config key `auth.oidc.{key}`: {what}"));
        match Url::parse(oidc.issuer.trim()) {
            Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => {}
            _ => {
                return Err(key_error(
                    "issuer",
                    format!(
                        "`{}` is not an issuer URL: give the provider's https URL, e.g. \
                         `https://login.microsoftonline.com/<tenant>/v2.0`",
                        oidc.issuer
                    ),
                ));
            }
        }
        if oidc.client_id.trim().is_empty() {
            return Err(key_error(
                "client_id",
                "must be set when `auth.oidc.issuer` is".into(),
            ));
        }
        if oidc.client_secret.is_empty() {
            return Err(key_error(
                "client_secret",
                "must be set when `auth.oidc.issuer` is".into(),
            ));
        }
        if !oidc.scopes.iter().any(|s| s == "openid") {
            return Err(key_error("scopes", "must include `openid`".into()));
        }
        if oidc.profile_fields.len() > 4 {
            return Err(key_error(
                "profile_fields",
                "at most 4 (a profile has at most 4 fields)".into(),
            ));
        }
        for f in &oidc.profile_fields {
            if f.label.trim().is_empty() || f.claim.trim().is_empty() {
                return Err(key_error(
                    "profile_fields",
                    "each needs a `label` and a `claim`".into(),
                ));
            }
        }
        Ok(())
    }

    /// The effective settings as TOML, with secrets redacted.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        for secret in [
            &mut shown.auth.oidc.client_secret,
            &mut shown.auth.scim.token,
            &mut shown.metrics.bearer_token,
        ] {
            if !secret.is_empty() {
                *secret = "REDACTED".into();
            }
        }
        for department in &mut shown.metrics.company {
            if !department.token.is_empty() {
                department.token = "REDACTED".into();
            }
        }
        if let DatabaseUrl::Postgres(_) = shown.database.url {
            shown.database.url = DatabaseUrl::Postgres(self.database.url.redacted());
        }
        toml::to_string_pretty(&shown).unwrap_or_else(|e| format!("# cannot render: {e}\n"))
    }
}

fn describe_figment_error(err: figment::Error) -> ConfigError {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let mut key = e.path.clone();
            if let figment::error::Kind::UnknownField(field, _) = &e.kind
                && key.last() != Some(field)
            {
                key.push(field.clone());
            }
            let key_name = key.join(".");
            let source = match e.metadata.as_ref().and_then(|md| md.source.as_ref()) {
                Some(figment::Source::File(path)) => format!(" (in {})", path.display()),
                _ if e
                    .metadata
                    .as_ref()
                    .is_some_and(|md| md.name.contains("environment")) =>
                {
                    format!(
                        " (from environment variable {ENV_PREFIX}{})",
                        key.join("__").to_uppercase()
                    )
                }
                _ => String::new(),
            };
            let what = match &e.kind {
                figment::error::Kind::UnknownField(field, _) => {
                    format!("unknown key `{field}`")
                }
                kind => kind.to_string(),
            };
            format!("config key `{key_name}`{source}: {what}")
        })
        .collect();
    ConfigError(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(
            Domain::parse("Eng.Corp.Example").unwrap().as_str(),
            "eng.corp.example"
        );
        assert_eq!(Domain::parse("localhost:8080").unwrap().host(), "localhost");
        assert!(Domain::parse("https://eng.corp.example").is_err());
        assert!(Domain::parse("eng.corp.example/path").is_err());
        assert!(Domain::parse("bad domain").is_err());
        assert!(Domain::parse("").is_err());
    }

    #[test]
    fn https_is_the_default_except_for_local_testing() {
        let mut instance = InstanceSettings::default();
        assert_eq!(instance.base_url().as_str(), "http://localhost:8080/");
        instance.domain = Domain::parse("eng.corp.example").unwrap();
        assert_eq!(instance.base_url().as_str(), "https://eng.corp.example/");
        instance.https = Some(false);
        assert_eq!(instance.base_url().as_str(), "http://eng.corp.example/");
    }

    #[test]
    fn database_urls_pick_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("data/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/gs.db").unwrap(),
            DatabaseUrl::Sqlite(PathBuf::from("/var/lib/gs.db"))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/eng").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("data/x.db").is_err());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let one = IpRange::parse("10.0.0.5").unwrap();
        assert!(one.contains("10.0.0.5".parse().unwrap()));
        assert!(!one.contains("10.0.0.6".parse().unwrap()));
        assert!(one.contains("::ffff:10.0.0.5".parse().unwrap()));
        let range = IpRange::parse("172.28.0.0/16").unwrap();
        assert!(range.contains("172.28.200.1".parse().unwrap()));
        assert!(!range.contains("172.29.0.1".parse().unwrap()));
        assert_eq!(
            String::from(IpRange::parse("172.28.3.4/16").unwrap()),
            "172.28.0.0/16"
        );
        assert!(
            IpRange::parse("fd00::/8")
                .unwrap()
                .contains("fd12::1".parse().unwrap())
        );
        assert!(
            IpRange::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in ["proxy", "10.0.0.0/33", "10.0.0/8", ""] {
            assert!(IpRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://gs:s3cret@db:5432/eng").unwrap();
        assert!(!url.redacted().contains("s3cret"));
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
