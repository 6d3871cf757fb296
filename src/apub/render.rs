//! Our rows as ActivityPub JSON, and outbox intents as activities with their recipients.
//! Everything here is synchronous and runs on a database connection (inside the delivery
//! worker's transaction, or when an object is served).

use std::collections::BTreeSet;

use diesel::prelude::*;
use serde_json::{Value, json};
use url::Url;

use crate::apub::protocol::{self, Endpoints, Note, Person, PublicKey};
use crate::config::Settings;
use crate::db::DbConnection;
use crate::db::models::{Account, MediaAttachment, Status};
use crate::db::schema::{
    accounts, follows, media_attachments, mentions, status_tags, statuses, tags,
};
use crate::error::{Error, Result};
use crate::service::media;
use crate::service::outbox::Outgoing;
use crate::service::policy::{FederationPolicy, authority};
use crate::service::visibility::Visibility;

fn url(s: &str) -> Result<Url> {
    Url::parse(s).map_err(|e| Error::internal(anyhow::anyhow!("bad URL `{s}`: {e}")))
}

/// Where the followers collection of a local account lives.
pub fn followers_url(account: &Account) -> String {
    account
        .followers_url
        .clone()
        .unwrap_or_else(|| format!("{}/followers", account.ap_id))
}

/// The actor document of a local employee.
pub fn person(settings: &Settings, account: &Account) -> Result<Person> {
    let base = settings.instance.base();
    let avatar = account.avatar_url.clone();
    let header = account.header_url.clone();
    let fields: Vec<Value> = serde_json::from_str::<Vec<Value>>(&account.fields)
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            json!({
                "type": "PropertyValue",
                "name": f.get("name").cloned().unwrap_or(Value::Null),
                "value": f.get("value").cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Person {
        kind: if account.bot { "Service" } else { "Person" }.into(),
        id: url(&account.ap_id)?,
        preferred_username: account.username.clone(),
        name: Some(account.display_name.clone()),
        summary: Some(account.note.clone()),
        url: Some(Value::String(
            account
                .url
                .clone()
                .unwrap_or_else(|| format!("{base}/@{}", account.username)),
        )),
        inbox: url(&account.inbox_url)?,
        outbox: Some(url(&format!("{}/outbox", account.ap_id))?),
        followers: Some(url(&followers_url(account))?),
        following: Some(url(&format!("{}/following", account.ap_id))?),
        featured: Some(url(&format!("{}/collections/featured", account.ap_id))?),
        endpoints: Some(Endpoints {
            shared_inbox: Some(url(&format!("{base}/inbox"))?),
        }),
        public_key: PublicKey {
            id: format!("{}#main-key", account.ap_id),
            owner: url(&account.ap_id)?,
            public_key_pem: account.public_key_pem.clone(),
        },
        manually_approves_followers: Some(account.locked),
        discoverable: Some(account.discoverable),
        icon: avatar.map(|u| json!({"type": "Image", "url": u})),
        image: header.map(|u| json!({"type": "Image", "url": u})),
        attachment: fields,
        published: Some(account.created_at.and_utc()),
    })
}

/// `to` and `cc` of a post, as Mastodon addresses them.
fn addressing(
    visibility: Visibility,
    followers: &str,
    mentioned: &[String],
) -> (Vec<String>, Vec<String>) {
    let public = protocol::PUBLIC.to_string();
    let mut cc_mentions: Vec<String> = mentioned.to_vec();
    match visibility {
        Visibility::Public => {
            let mut cc = vec![followers.to_string()];
            cc.append(&mut cc_mentions);
            (vec![public], cc)
        }
        Visibility::Unlisted => {
            let mut cc = vec![public];
            cc.append(&mut cc_mentions);
            (vec![followers.to_string()], cc)
        }
        Visibility::Private => (vec![followers.to_string()], cc_mentions),
        Visibility::Direct => (cc_mentions, Vec::new()),
        // Never rendered: callers refuse department-only posts before they get here.
        Visibility::Local => (Vec::new(), Vec::new()),
    }
}

/// A local post as a Note. Department-only posts have no ActivityPub form.
pub fn note(conn: &mut DbConnection, settings: &Settings, status: &Status) -> Result<Note> {
    let visibility: Visibility = status.visibility.parse()?;
    if visibility == Visibility::Local || status.reblog_of_id.is_some() {
        return Err(Error::not_found());
    }
    let author: Account = accounts::table
        .find(status.account_id)
        .select(Account::as_select())
        .first(conn)?;
    let mentioned: Vec<(String, String, Option<String>)> = mentions::table
        .inner_join(accounts::table)
        .filter(mentions::status_id.eq(status.id))
        .select((accounts::ap_id, accounts::username, accounts::domain))
        .load(conn)?;
    let tag_names: Vec<String> = status_tags::table
        .inner_join(tags::table)
        .filter(status_tags::status_id.eq(status.id))
        .select(tags::display_name)
        .load(conn)?;
    let media: Vec<MediaAttachment> = media_attachments::table
        .filter(media_attachments::status_id.eq(status.id))
        .order(media_attachments::id.asc())
        .select(MediaAttachment::as_select())
        .load(conn)?;
    let base = settings.instance.base();
    let own_domain = settings.instance.domain.as_str();
    let mention_ids: Vec<String> = mentioned.iter().map(|m| m.0.clone()).collect();
    let (to, cc) = addressing(visibility, &followers_url(&author), &mention_ids);
    let mut tag: Vec<Value> = mentioned
        .iter()
        .map(|(ap_id, username, domain)| {
            json!({
                "type": "Mention",
                "href": ap_id,
                "name": format!("@{username}@{}", domain.as_deref().unwrap_or(own_domain)),
            })
        })
        .collect();
    tag.extend(tag_names.iter().map(|name| {
        json!({
            "type": "Hashtag",
            "href": format!("{base}/tags/{}", name.to_lowercase()),
            "name": format!("#{name}"),
        })
    }));
    let attachment = media
        .iter()
        .filter_map(|m| {
            let href = m
                .file_path
                .as_deref()
                .map(|p| media::public_url(settings, p))
                .or_else(|| m.remote_url.clone())?;
            Some(json!({
                "type": "Document",
                "mediaType": m.content_type,
                "url": href,
                "name": if m.description.is_empty() { Value::Null } else { Value::String(m.description.clone()) },
                "blurhash": m.blurhash,
                "width": m.width,
                "height": m.height,
            }))
        })
        .collect();
    Ok(Note {
        kind: "Note".into(),
        id: url(&status.ap_id)?,
        attributed_to: protocol::IdOrObject {
            id: url(&author.ap_id)?,
            object: None,
        },
        to,
        cc,
        in_reply_to: match &status.in_reply_to_ap_id {
            Some(parent) => Some(protocol::IdOrObject {
                id: url(parent)?,
                object: None,
            }),
            None => None,
        },
        content: Some(status.content.clone()),
        content_map: status.language.as_ref().map(|l| {
            let mut m = serde_json::Map::new();
            m.insert(l.clone(), Value::String(status.content.clone()));
            m
        }),
        name: None,
        summary: (!status.spoiler_text.is_empty()).then(|| status.spoiler_text.clone()),
        sensitive: Some(status.sensitive),
        published: Some(status.created_at.and_utc()),
        updated: status.edited_at.map(|t| t.and_utc()),
        url: status.url.clone().map(Value::String),
        tag,
        attachment,
    })
}

/// An activity ready to send: its id, JSON and the inboxes it goes to.
#[derive(Debug)]
pub struct Rendered {
    pub ap_id: String,
    pub kind: &'static str,
    pub payload: Value,
    pub inboxes: Vec<String>,
}

fn with_context(mut activity: Value) -> Value {
    if let Value::Object(map) = &mut activity {
        map.insert("@context".into(), protocol::context());
    }
    activity
}

fn find_account(conn: &mut DbConnection, id: i64) -> Result<Account> {
    Ok(accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)?)
}

fn find_status(conn: &mut DbConnection, id: i64) -> Result<Status> {
    Ok(statuses::table
        .find(id)
        .select(Status::as_select())
        .first(conn)?)
}

fn inbox_of(account: &Account) -> String {
    account
        .shared_inbox_url
        .clone()
        .unwrap_or_else(|| account.inbox_url.clone())
}

/// Inboxes of the remote accounts following `account_id` (shared inboxes once each).
fn follower_inboxes(conn: &mut DbConnection, account_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::account_id)))
        .filter(follows::target_account_id.eq(account_id))
        .filter(follows::accepted.eq(true))
        .filter(accounts::domain.is_not_null())
        .filter(accounts::suspended_at.is_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, s)| s.unwrap_or(i)).collect())
}

/// Inboxes of remote accounts `account_id` follows (for profile updates).
fn followee_inboxes(conn: &mut DbConnection, account_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = follows::table
        .inner_join(accounts::table.on(accounts::id.eq(follows::target_account_id)))
        .filter(follows::account_id.eq(account_id))
        .filter(accounts::domain.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, s)| s.unwrap_or(i)).collect())
}

fn mentioned_inboxes(conn: &mut DbConnection, status_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = mentions::table
        .inner_join(accounts::table)
        .filter(mentions::status_id.eq(status_id))
        .filter(accounts::domain.is_not_null())
        .select((accounts::inbox_url, accounts::shared_inbox_url))
        .load(conn)?;
    Ok(rows.into_iter().map(|(i, s)| s.unwrap_or(i)).collect())
}

/// Who hears of a post: remote followers (unless direct), remote mentioned accounts, and the
/// author of the post it replies to.
fn status_audience(conn: &mut DbConnection, status: &Status) -> Result<Vec<String>> {
    let visibility: Visibility = status.visibility.parse()?;
    let mut inboxes = mentioned_inboxes(conn, status.id)?;
    if visibility != Visibility::Direct {
        inboxes.extend(follower_inboxes(conn, status.account_id)?);
    }
    if let Some(parent_author) = status.in_reply_to_account_id {
        let parent_author = find_account(conn, parent_author)?;
        if !parent_author.is_local() && visibility != Visibility::Direct {
            inboxes.push(inbox_of(&parent_author));
        }
    }
    Ok(inboxes)
}

/// Render an intent of the outbox. `None`: nothing to send (the post became department-only,
/// or the row it describes is gone and a later intent covers that).
pub fn intent(
    conn: &mut DbConnection,
    settings: &Settings,
    actor_account_id: i64,
    outgoing_id: i64,
    what: &Outgoing,
) -> Result<Option<Rendered>> {
    let base = settings.instance.base();
    let actor = find_account(conn, actor_account_id)?;
    if !actor.is_local() {
        return Ok(None);
    }
    let actor_id = actor.ap_id.clone();
    let activity_id = format!("{base}/activities/{outgoing_id}");
    let rendered = match what {
        Outgoing::CreateStatus { status_id } | Outgoing::UpdateStatus { status_id } => {
            let status = find_status(conn, *status_id)?;
            if status.deleted_at.is_some() || status.visibility == Visibility::Local.as_str() {
                return Ok(None);
            }
            let note = note(conn, settings, &status)?;
            let (to, cc) = (note.to.clone(), note.cc.clone());
            let create = matches!(what, Outgoing::CreateStatus { .. });
            let (ap_id, kind) = if create {
                (format!("{}/activity", status.ap_id), "Create")
            } else {
                (activity_id, "Update")
            };
            Rendered {
                payload: json!({
                    "id": ap_id, "type": kind, "actor": actor_id,
                    "published": status.created_at.and_utc(),
                    "to": to, "cc": cc, "object": note,
                }),
                ap_id,
                kind,
                inboxes: status_audience(conn, &status)?,
            }
        }
        Outgoing::DeleteStatus { status_id } => {
            let status = find_status(conn, *status_id)?;
            if status.visibility == Visibility::Local.as_str() {
                return Ok(None);
            }
            let visibility: Visibility = status.visibility.parse()?;
            let mentioned: Vec<String> = mentions::table
                .inner_join(accounts::table)
                .filter(mentions::status_id.eq(status.id))
                .select(accounts::ap_id)
                .load(conn)?;
            let (mut to, cc) = addressing(visibility, &followers_url(&actor), &mentioned);
            if visibility != Visibility::Direct {
                to = vec![protocol::PUBLIC.to_string()];
            }
            Rendered {
                payload: json!({
                    "id": activity_id, "type": "Delete", "actor": actor_id,
                    "to": to, "cc": cc,
                    "object": {"id": status.ap_id, "type": "Tombstone"},
                }),
                ap_id: activity_id,
                kind: "Delete",
                inboxes: status_audience(conn, &status)?,
            }
        }
        Outgoing::Announce { boost_id } | Outgoing::UndoAnnounce { boost_id } => {
            let boost = find_status(conn, *boost_id)?;
            let Some(original_id) = boost.reblog_of_id else {
                return Ok(None);
            };
            let original = find_status(conn, original_id)?;
            if original.visibility == Visibility::Local.as_str()
                || boost.visibility == Visibility::Local.as_str()
            {
                return Ok(None);
            }
            let original_author = find_account(conn, original.account_id)?;
            let visibility: Visibility = boost.visibility.parse()?;
            let (to, mut cc) = addressing(visibility, &followers_url(&actor), &[]);
            cc.push(original_author.ap_id.clone());
            let announce = json!({
                "id": boost.ap_id, "type": "Announce", "actor": actor_id,
                "published": boost.created_at.and_utc(),
                "to": to, "cc": cc, "object": original.ap_id,
            });
            let mut inboxes = follower_inboxes(conn, actor.id)?;
            if !original_author.is_local() {
                inboxes.push(inbox_of(&original_author));
            }
            if matches!(what, Outgoing::Announce { .. }) {
                Rendered {
                    ap_id: boost.ap_id.clone(),
                    kind: "Announce",
                    payload: announce,
                    inboxes,
                }
            } else {
                Rendered {
                    payload: json!({
                        "id": activity_id, "type": "Undo", "actor": actor_id,
                        "to": to, "cc": cc, "object": announce,
                    }),
                    ap_id: activity_id,
                    kind: "Undo",
                    inboxes,
                }
            }
        }
        Outgoing::Like {
            favourite_id,
            status_id,
        }
        | Outgoing::UndoLike {
            favourite_id,
            status_id,
        } => {
            let status = find_status(conn, *status_id)?;
            let author = find_account(conn, status.account_id)?;
            if author.is_local() {
                return Ok(None);
            }
            let like = json!({
                "id": format!("{actor_id}/likes/{favourite_id}"), "type": "Like",
                "actor": actor_id, "object": status.ap_id,
            });
            if matches!(what, Outgoing::Like { .. }) {
                Rendered {
                    ap_id: format!("{actor_id}/likes/{favourite_id}"),
                    kind: "Like",
                    payload: like,
                    inboxes: vec![author.inbox_url.clone()],
                }
            } else {
                Rendered {
                    payload: json!({
                        "id": activity_id, "type": "Undo", "actor": actor_id, "object": like,
                    }),
                    ap_id: activity_id,
                    kind: "Undo",
                    inboxes: vec![author.inbox_url.clone()],
                }
            }
        }
        Outgoing::Follow { follow_id } => {
            let Some((target_id, ap_id)) = follows::table
                .find(follow_id)
                .select((follows::target_account_id, follows::ap_id))
                .first::<(i64, Option<String>)>(conn)
                .optional()?
            else {
                // Withdrawn before it was sent: the Undo intent that follows says so.
                return Ok(None);
            };
            let target = find_account(conn, target_id)?;
            let ap_id = ap_id.unwrap_or_else(|| format!("{actor_id}/follows/{follow_id}"));
            Rendered {
                payload: json!({
                    "id": ap_id, "type": "Follow", "actor": actor_id, "object": target.ap_id,
                }),
                ap_id,
                kind: "Follow",
                inboxes: vec![target.inbox_url.clone()],
            }
        }
        Outgoing::UndoFollow {
            follow_ap_id,
            target_account_id,
        } => {
            let target = find_account(conn, *target_account_id)?;
            Rendered {
                payload: json!({
                    "id": activity_id, "type": "Undo", "actor": actor_id,
                    "object": {
                        "id": follow_ap_id, "type": "Follow",
                        "actor": actor_id, "object": target.ap_id,
                    },
                }),
                ap_id: activity_id,
                kind: "Undo",
                inboxes: vec![target.inbox_url.clone()],
            }
        }
        Outgoing::Accept {
            follow_ap_id,
            follower_account_id,
        }
        | Outgoing::Reject {
            follow_ap_id,
            follower_account_id,
        } => {
            let follower = find_account(conn, *follower_account_id)?;
            let kind = if matches!(what, Outgoing::Accept { .. }) {
                "Accept"
            } else {
                "Reject"
            };
            Rendered {
                payload: json!({
                    "id": activity_id, "type": kind, "actor": actor_id,
                    "object": {
                        "id": follow_ap_id, "type": "Follow",
                        "actor": follower.ap_id, "object": actor_id,
                    },
                }),
                ap_id: activity_id,
                kind,
                inboxes: vec![follower.inbox_url.clone()],
            }
        }
        Outgoing::Block {
            block_id,
            target_account_id,
        }
        | Outgoing::UndoBlock {
            block_id,
            target_account_id,
        } => {
            let target = find_account(conn, *target_account_id)?;
            let block = json!({
                "id": format!("{actor_id}/blocks/{block_id}"), "type": "Block",
                "actor": actor_id, "object": target.ap_id,
            });
            if matches!(what, Outgoing::Block { .. }) {
                Rendered {
                    ap_id: format!("{actor_id}/blocks/{block_id}"),
                    kind: "Block",
                    payload: block,
                    inboxes: vec![target.inbox_url.clone()],
                }
            } else {
                Rendered {
                    payload: json!({
                        "id": activity_id, "type": "Undo", "actor": actor_id, "object": block,
                    }),
                    ap_id: activity_id,
                    kind: "Undo",
                    inboxes: vec![target.inbox_url.clone()],
                }
            }
        }
        Outgoing::UpdateProfile => {
            let mut inboxes = follower_inboxes(conn, actor.id)?;
            inboxes.extend(followee_inboxes(conn, actor.id)?);
            Rendered {
                payload: json!({
                    "id": activity_id, "type": "Update", "actor": actor_id,
                    "to": [protocol::PUBLIC], "cc": [followers_url(&actor)],
                    "object": person(settings, &actor)?,
                }),
                ap_id: activity_id,
                kind: "Update",
                inboxes,
            }
        }
    };
    Ok(Some(Rendered {
        payload: with_context(rendered.payload),
        ..rendered
    }))
}

/// Keep only inboxes the policy allows, each once, in a stable order.
pub fn allowed_inboxes(policy: &FederationPolicy, inboxes: Vec<String>) -> Vec<(String, String)> {
    let unique: BTreeSet<String> = inboxes.into_iter().collect();
    unique
        .into_iter()
        .filter_map(|inbox| {
            let parsed = Url::parse(&inbox).ok()?;
            match policy.check_url(&parsed) {
                Ok(()) => Some((inbox, authority(&parsed)?)),
                Err(e) => {
                    tracing::warn!(%inbox, error = %e, "not delivering to an inbox outside the policy");
                    None
                }
            }
        })
        .collect()
}
