//! Accounts and posts as federation objects: how the federation library reads them from our
//! database, serves ours, and verifies and stores those of other departments.

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Duration, Utc};
use url::Url;

use crate::apub::protocol::{self, Note, Person, Tag};
use crate::apub::render;
use crate::apub::{FedData, instance_actor};
use crate::context::AppContext;
use crate::db::models::{Account, Status};
use crate::error::{Error, Result};
use crate::service::inbound::{self, RemoteAccount, RemoteField, RemoteMedia, RemoteStatus};
use crate::service::policy::authority;
use crate::service::text;
use crate::service::views;
use crate::service::visibility::Visibility;

/// Fail unless `url` is on the same department as `expected`.
fn same_domain(url: &Url, expected: &Url) -> Result<()> {
    if authority(url) != authority(expected) {
        return Err(Error::forbidden(format!(
            "`{url}` does not belong to `{}`",
            authority(expected).unwrap_or_default()
        )));
    }
    Ok(())
}

/// An actor: an account (ours or another department's) or our instance actor.
#[derive(Debug, Clone)]
pub struct ApubActor {
    pub account: Account,
    id: Url,
}

impl ApubActor {
    pub fn new(account: Account) -> Result<Self> {
        let id = Url::parse(&account.ap_id)
            .map_err(|e| Error::internal(anyhow::anyhow!("account {}: {e}", account.id)))?;
        Ok(ApubActor { account, id })
    }

    /// The instance actor is not an account row (id 0).
    pub fn is_instance_actor(&self) -> bool {
        self.account.id == 0
    }
}

#[async_trait::async_trait]
impl Object for ApubActor {
    type DataType = AppContext;
    type Kind = Person;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    /// The library refetches an actor when this is old. We decide what old is
    /// (`federation.refresh_accounts_after_hours`), so report either "just now" or "long ago".
    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        let fetched = self.account.fetched_at?.and_utc();
        Some(fetched)
    }

    async fn read_from_id(id: Url, data: &FedData) -> Result<Option<Self>> {
        let instance = instance_actor(data.app_data()).await?;
        if id.as_str() == instance.ap_id {
            return Ok(Some(ApubActor::new(instance)?));
        }
        let refresh_hours = data.settings.federation.refresh_accounts_after_hours as i64;
        let found = data
            .db
            .read(move |conn| inbound::find_account_by_ap_id(conn, id.as_str()))
            .await?;
        match found {
            Some(mut account) => {
                if let Some(fetched) = account.fetched_at {
                    // Map our refresh interval onto the library's fixed one.
                    let fresh = Utc::now().naive_utc() - fetched < Duration::hours(refresh_hours);
                    account.fetched_at = Some(if fresh {
                        Utc::now().naive_utc()
                    } else {
                        fetched - Duration::days(30)
                    });
                }
                Ok(Some(ApubActor::new(account)?))
            }
            None => Ok(None),
        }
    }

    async fn into_json(self, data: &FedData) -> Result<Person> {
        if self.is_instance_actor() {
            return instance_person(data.app_data(), &self.account);
        }
        render::person(&data.settings, &self.account)
    }

    async fn verify(json: &Person, expected_domain: &Url, data: &FedData) -> Result<()> {
        same_domain(&json.id, expected_domain)?;
        same_domain(&json.inbox, &json.id)?;
        if json.public_key.owner != json.id {
            return Err(Error::forbidden("The actor's key belongs to someone else"));
        }
        data.policy.check_url(&json.id).await?;
        Ok(())
    }

    async fn from_json(json: Person, data: &FedData) -> Result<Self> {
        let remote = remote_account(json)?;
        let account = data
            .db
            .write(move |conn| inbound::upsert_account(conn, remote))
            .await?;
        ApubActor::new(account)
    }
}

impl Actor for ApubActor {
    fn public_key_pem(&self) -> &str {
        &self.account.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        self.account.private_key_pem.clone()
    }

    fn inbox(&self) -> Url {
        Url::parse(&self.account.inbox_url).unwrap_or_else(|_| self.id.clone())
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.account
            .shared_inbox_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
    }
}

/// The instance actor's document: an Application that only signs fetches.
pub fn instance_person(ctx: &AppContext, account: &Account) -> Result<Person> {
    let mut person = render::person(&ctx.settings, account)?;
    person.kind = "Application".into();
    person.outbox = None;
    person.followers = None;
    person.following = None;
    person.featured = None;
    person.manually_approves_followers = Some(true);
    person.discoverable = Some(false);
    person.url = None;
    person.attachment = Vec::new();
    Ok(person)
}

/// An actor document of another department as an account row.
pub fn remote_account(json: Person) -> Result<RemoteAccount> {
    let domain = authority(&json.id).ok_or_else(|| Error::bad_request("Actor id has no host"))?;
    let username = json.preferred_username.trim().to_string();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(Error::unprocessable(format!(
            "`{username}` is not a valid username"
        )));
    }
    let fields: Vec<RemoteField> = json
        .attachment
        .iter()
        .filter(|a| a.get("type").and_then(|t| t.as_str()) == Some("PropertyValue"))
        .filter_map(|a| {
            Some(RemoteField {
                name: a.get("name")?.as_str()?.to_string(),
                value_html: text::sanitize_remote(a.get("value")?.as_str()?),
            })
        })
        .collect();
    let http_url = |v: Option<String>| v.filter(|u| u.starts_with("http"));
    Ok(RemoteAccount {
        ap_id: json.id.to_string(),
        username,
        domain,
        display_name: json.name.unwrap_or_default(),
        note: json
            .summary
            .as_deref()
            .map(text::sanitize_remote)
            .unwrap_or_default(),
        locked: json.manually_approves_followers.unwrap_or(false),
        bot: matches!(json.kind.as_str(), "Service" | "Application"),
        discoverable: json.discoverable.unwrap_or(false) && json.kind != "Application",
        fields,
        avatar_url: http_url(protocol::first_href(&json.icon)),
        header_url: http_url(protocol::first_href(&json.image)),
        url: http_url(protocol::first_href(&json.url)),
        inbox_url: json.inbox.to_string(),
        shared_inbox_url: json
            .endpoints
            .and_then(|e| e.shared_inbox)
            .map(|u| u.to_string()),
        outbox_url: json.outbox.map(|u| u.to_string()),
        followers_url: json.followers.map(|u| u.to_string()),
        following_url: json.following.map(|u| u.to_string()),
        featured_url: json.featured.map(|u| u.to_string()),
        public_key_pem: json.public_key.public_key_pem,
        suspended: json.suspended,
    })
}

/// A post (ours or another department's).
#[derive(Debug, Clone)]
pub struct ApubNote {
    pub status: Status,
    id: Url,
}

impl ApubNote {
    pub fn new(status: Status) -> Result<Self> {
        let id = Url::parse(&status.ap_id)
            .map_err(|e| Error::internal(anyhow::anyhow!("status {}: {e}", status.id)))?;
        Ok(ApubNote { status, id })
    }
}

#[async_trait::async_trait]
impl Object for ApubNote {
    type DataType = AppContext;
    type Kind = Note;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &FedData) -> Result<Option<Self>> {
        let found = data
            .db
            .read(move |conn| inbound::find_status_by_ap_id(conn, id.as_str()))
            .await?;
        found.map(ApubNote::new).transpose()
    }

    fn is_deleted(&self) -> bool {
        self.status.deleted_at.is_some()
    }

    async fn into_json(self, data: &FedData) -> Result<Note> {
        let view = data
            .db
            .read(move |conn| views::hydrate_one(conn, None, self.status))
            .await?;
        render::note(&data.settings, &view)
    }

    async fn verify(json: &Note, expected_domain: &Url, data: &FedData) -> Result<()> {
        same_domain(&json.id, expected_domain)?;
        same_domain(&json.attributed_to.id, &json.id)?;
        data.policy.check_url(&json.id).await?;
        Ok(())
    }

    async fn from_json(json: Note, data: &FedData) -> Result<Self> {
        match store_note(json, data, None).await? {
            Some(status) => ApubNote::new(status),
            None => Err(Error::forbidden(
                "This post is refused by the department's policy",
            )),
        }
    }
}

/// Store a post of another department (or its edit), fetching the post it replies to first
/// so the thread is whole on this side too (bounded by the library's per-request fetch
/// limit). When it came in an activity, the activity is remembered in the same transaction
/// (a redelivery finds it done). `None`: the department's policy refuses it.
pub async fn store_note(
    json: Note,
    data: &FedData,
    activity: Option<String>,
) -> Result<Option<Status>> {
    let author: ApubActor = ObjectId::<ApubActor>::from(json.attributed_to.id.clone())
        .dereference(data)
        .await?;
    if let Some(parent) = &json.in_reply_to
        && data.policy.check_url(&parent.id).await.is_ok()
        && let Err(e) = ObjectId::<ApubNote>::from(parent.id.clone())
            .dereference(data)
            .await
    {
        tracing::debug!(parent = %parent.id, error = %e, "cannot fetch the parent post");
    }
    let remote = remote_status(&json, &author.account, data).await?;
    inbound::receive_post(data, remote, activity).await
}

/// Who a post is for, from its addressing (as Mastodon reads it).
pub fn visibility_of(to: &[String], cc: &[String], followers: Option<&str>) -> Visibility {
    if to.iter().any(|a| protocol::is_public(a)) {
        Visibility::Public
    } else if cc.iter().any(|a| protocol::is_public(a)) {
        Visibility::Unlisted
    } else if followers.is_some_and(|f| to.iter().chain(cc).any(|a| a == f)) {
        Visibility::Private
    } else {
        Visibility::Direct
    }
}

/// A Note of another department as the values the service layer stores.
pub async fn remote_status(json: &Note, author: &Account, data: &FedData) -> Result<RemoteStatus> {
    let visibility = visibility_of(&json.to, &json.cc, author.followers_url.as_deref());
    // Mentioned and addressed accounts we know: ours, and those of other departments we
    // have seen. Unknown ones are not fetched here (a post can name many).
    let mut candidates: Vec<String> = json
        .tag
        .iter()
        .filter_map(protocol::parse_tag)
        .filter_map(|t| match t {
            Tag::Mention { href } => Some(href.to_string()),
            Tag::Hashtag { .. } => None,
        })
        .collect();
    candidates.extend(json.to.iter().chain(&json.cc).cloned());
    candidates.sort();
    candidates.dedup();
    let mentioned = data
        .db
        .read(move |conn| inbound::account_ids_by_ap_ids(conn, &candidates))
        .await?;
    let tags: Vec<String> = json
        .tag
        .iter()
        .filter_map(protocol::parse_tag)
        .filter_map(|t| match t {
            Tag::Hashtag { name } => Some(name),
            Tag::Mention { .. } => None,
        })
        .filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .take(20)
        .collect();
    let mut content = json.content.clone().unwrap_or_default();
    if content.is_empty()
        && let Some(map) = &json.content_map
        && let Some(first) = map.values().find_map(|v| v.as_str())
    {
        content = first.to_string();
    }
    if json.kind != "Note"
        && let Some(name) = &json.name
    {
        // Articles and pages: keep the title above the text.
        content = format!("<p><strong>{}</strong></p>{content}", text::escape(name));
    }
    let language = json
        .content_map
        .as_ref()
        .and_then(|m| m.keys().next().cloned())
        .filter(|l| (2..=3).contains(&l.len()));
    let attachments = json
        .attachment
        .iter()
        .filter_map(|a| {
            let url = protocol::first_href(&Some(a.get("url")?.clone()))
                .or_else(|| a.get("href")?.as_str().map(String::from))?;
            if !url.starts_with("http") {
                return None;
            }
            Some(RemoteMedia {
                url,
                content_type: a
                    .get("mediaType")
                    .and_then(|m| m.as_str())
                    .unwrap_or("application/octet-stream")
                    .to_string(),
                // Mastodon and Pleroma put the alt text in `name`, GoToSocial in `summary`.
                description: ["name", "summary"]
                    .iter()
                    .find_map(|k| a.get(*k)?.as_str().filter(|d| !d.trim().is_empty()))
                    .unwrap_or_default()
                    .chars()
                    .take(1500)
                    .collect(),
                blurhash: a.get("blurhash").and_then(|m| m.as_str()).map(String::from),
                width: a.get("width").and_then(|m| m.as_i64()).map(|w| w as i32),
                height: a.get("height").and_then(|m| m.as_i64()).map(|h| h as i32),
                focus: focal_point(a.get("focalPoint")),
            })
        })
        .take(8)
        .collect();
    Ok(RemoteStatus {
        ap_id: json.id.to_string(),
        url: protocol::first_href(&json.url).filter(|u| u.starts_with("http")),
        author_id: author.id,
        in_reply_to_ap_id: json.in_reply_to.as_ref().map(|p| p.id.to_string()),
        content: text::sanitize_remote(&content),
        spoiler_text: json
            .summary
            .as_deref()
            .map(|s| text::escape(text::plain_text(s).trim()))
            .unwrap_or_default(),
        sensitive: json.sensitive.unwrap_or(false),
        visibility,
        language,
        mentioned,
        tags,
        attachments,
        published: json
            .published
            .map(|p| p.naive_utc())
            .unwrap_or_else(|| Utc::now().naive_utc()),
        updated: json.updated.map(|u| u.naive_utc()),
    })
}

/// Mastodon's `focalPoint` (`[x, y]`, each from -1.0 to 1.0); the centre when absent or odd.
fn focal_point(v: Option<&serde_json::Value>) -> (f64, f64) {
    let xy: Option<Vec<f64>> = v
        .and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|n| n.as_f64()).collect());
    match xy.as_deref() {
        Some([x, y]) if x.is_finite() && y.is_finite() => (x.clamp(-1.0, 1.0), y.clamp(-1.0, 1.0)),
        _ => (0.0, 0.0),
    }
}
