use serde::Serialize;
use url::Url;

use super::iso_midnight;
use crate::db::models::Account;
use crate::service::users::{LocalUser, Role};

/// <https://docs.joinmastodon.org/entities/Account/>
#[derive(Debug, Clone, Serialize)]
pub struct AccountEntity {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<String>,
    pub hide_collections: bool,
    pub noindex: bool,
    pub emojis: Vec<serde_json::Value>,
    pub roles: Vec<serde_json::Value>,
    pub fields: Vec<FieldEntity>,
}

/// <https://docs.joinmastodon.org/entities/Account/#Field>
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct FieldEntity {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub verified_at: Option<String>,
}

/// `accounts.fields` holds a JSON array of `{name, value, verified_at}`.
pub fn parse_fields(raw: &str) -> Vec<FieldEntity> {
    serde_json::from_str(raw).unwrap_or_default()
}

pub fn account_from_row(account: &Account, base: &Url) -> AccountEntity {
    let base = base.as_str().trim_end_matches('/');
    let default_avatar = format!("{base}/static/avatar.png");
    let default_header = format!("{base}/static/header.png");
    let avatar = account.avatar_url.clone().unwrap_or(default_avatar);
    let header = account.header_url.clone().unwrap_or(default_header);
    AccountEntity {
        id: account.id.to_string(),
        username: account.username.clone(),
        acct: account.acct(),
        display_name: account.display_name.clone(),
        locked: account.locked,
        bot: account.bot,
        discoverable: account.discoverable,
        indexable: account.discoverable,
        group: false,
        created_at: iso_midnight(account.created_at),
        note: account.note.clone(),
        url: account.url.clone().unwrap_or_else(|| account.ap_id.clone()),
        uri: account.ap_id.clone(),
        avatar_static: avatar.clone(),
        avatar,
        header_static: header.clone(),
        header,
        followers_count: account.followers_count,
        following_count: account.following_count,
        statuses_count: account.statuses_count,
        last_status_at: account
            .last_status_at
            .map(|t| t.and_utc().format("%Y-%m-%d").to_string()),
        hide_collections: false,
        noindex: false,
        emojis: Vec::new(),
        roles: Vec::new(),
        fields: parse_fields(&account.fields),
    }
}

/// <https://docs.joinmastodon.org/entities/Account/#CredentialAccount>
#[derive(Debug, Clone, Serialize)]
pub struct CredentialAccountEntity {
    #[serde(flatten)]
    pub account: AccountEntity,
    pub source: SourceEntity,
    pub role: RoleEntity,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceEntity {
    pub privacy: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub note: String,
    pub fields: Vec<FieldEntity>,
    pub follow_requests_count: i64,
    pub hide_collections: bool,
    pub discoverable: bool,
    pub indexable: bool,
}

/// <https://docs.joinmastodon.org/entities/Role/>
#[derive(Debug, Clone, Serialize)]
pub struct RoleEntity {
    pub id: String,
    pub name: String,
    /// Mastodon's permission bit set, as a string.
    pub permissions: String,
    pub color: String,
    pub highlighted: bool,
}

/// Groundswell's roles in Mastodon's terms (same ids and permission bits as Mastodon's
/// default Admin / Moderator / everyone roles), so clients show admin tools to the right people.
pub fn role_entity(role: Role) -> RoleEntity {
    let (id, name, permissions, highlighted) = match role {
        Role::Admin => ("3", "Admin", "1", true),
        Role::Moderator => ("2", "Moderator", "1308", true),
        Role::User => ("-99", "", "65536", false),
    };
    RoleEntity {
        id: id.into(),
        name: name.into(),
        permissions: permissions.into(),
        color: String::new(),
        highlighted,
    }
}

pub fn credential_account_from_user(
    user: &LocalUser,
    default_visibility: &str,
    follow_requests_count: i64,
    base: &Url,
) -> CredentialAccountEntity {
    let account = account_from_row(&user.account, base);
    CredentialAccountEntity {
        source: SourceEntity {
            privacy: user
                .user
                .default_visibility
                .clone()
                .unwrap_or_else(|| default_visibility.to_string()),
            sensitive: user.user.default_sensitive,
            language: user.user.default_language.clone(),
            note: user.account.note_source.clone().unwrap_or_default(),
            fields: account.fields.clone(),
            follow_requests_count,
            hide_collections: false,
            discoverable: user.account.discoverable,
            indexable: user.account.discoverable,
        },
        role: role_entity(user.role()),
        account,
    }
}
