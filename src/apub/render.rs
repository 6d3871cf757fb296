//! Our rows as ActivityPub JSON, and outbox intents as activities with their recipients.
//! Pure mapping: the rows come loaded from the service layer (`service::views` for posts,
//! `service::outbox::subject` for intents), so rendering a page of posts costs no query.

use serde_json::{Value, json};
use url::Url;

use crate::apub::protocol::{self, Endpoints, Note, Person, PublicKey};
use crate::config::Settings;
use crate::db::models::Account;
use crate::error::{Error, Result};
use crate::service::announcements::Announcement;
use crate::service::delivery::Rendered;
use crate::service::media;
use crate::service::outbox::{Outgoing, Subject};
use crate::service::views::StatusView;
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
        suspended: account.is_suspended(),
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

/// A local post as a Note, from its view (`service::views::hydrate`, for any viewer: what a
/// Note carries does not depend on who asks). Department-only posts and boosts have no Note.
pub fn note(settings: &Settings, view: &StatusView) -> Result<Note> {
    let status = &view.status;
    let author = &view.account;
    let visibility: Visibility = status.visibility.parse()?;
    if visibility == Visibility::Local || status.reblog_of_id.is_some() {
        return Err(Error::not_found());
    }
    let base = settings.instance.base();
    let own_domain = settings.instance.domain.as_str();
    let mention_ids: Vec<String> = view
        .parts
        .mentions
        .iter()
        .map(|m| m.ap_id.clone())
        .collect();
    let (to, cc) = addressing(visibility, &followers_url(author), &mention_ids);
    let mut tag: Vec<Value> = view
        .parts
        .mentions
        .iter()
        .map(|m| {
            json!({
                "type": "Mention",
                "href": m.ap_id,
                "name": format!("@{}@{}", m.username, m.domain.as_deref().unwrap_or(own_domain)),
            })
        })
        .collect();
    tag.extend(view.parts.tags.iter().map(|t| {
        json!({
            "type": "Hashtag",
            "href": format!("{base}/tags/{}", t.display_name.to_lowercase()),
            "name": format!("#{}", t.display_name),
        })
    }));
    let attachment = view
        .parts
        .media
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

/// The Create of a post, as the outbox lists it and as it is delivered: `{post}/activity`.
pub fn create(note: &Note) -> Value {
    json!({
        "id": format!("{}/activity", note.id),
        "type": "Create",
        "actor": note.attributed_to.id,
        "published": note.published,
        "to": note.to, "cc": note.cc, "object": note,
    })
}

/// The activity with the usual `@context`, unless it has its own.
fn with_context(mut activity: Value) -> Value {
    if let Value::Object(map) = &mut activity {
        map.entry("@context").or_insert_with(protocol::context);
    }
    activity
}

/// Render an intent of the outbox done by `actor`, with what it speaks of (see
/// `service::outbox::subject`). `outgoing_id` names the activities that have no id of their
/// own (`/activities/{id}`).
pub fn intent(
    settings: &Settings,
    outgoing_id: i64,
    actor: &Account,
    what: &Outgoing,
    subject: Subject,
) -> Result<Rendered> {
    let base = settings.instance.base();
    let actor_id = actor.ap_id.clone();
    let activity_id = format!("{base}/activities/{outgoing_id}");
    let rendered = match (what, subject) {
        (
            Outgoing::CreateStatus { .. } | Outgoing::UpdateStatus { .. },
            Subject::Status { view, audience },
        ) => {
            let note = note(settings, &view)?;
            if matches!(what, Outgoing::CreateStatus { .. }) {
                let payload = create(&note);
                Rendered {
                    ap_id: format!("{}/activity", view.status.ap_id),
                    kind: "Create",
                    payload,
                    inboxes: audience,
                }
            } else {
                Rendered {
                    payload: json!({
                        "id": activity_id, "type": "Update", "actor": actor_id,
                        "published": view.status.created_at.and_utc(),
                        "to": note.to, "cc": note.cc, "object": note,
                    }),
                    ap_id: activity_id,
                    kind: "Update",
                    inboxes: audience,
                }
            }
        }
        (
            Outgoing::DeleteStatus { .. } | Outgoing::WithdrawStatus { .. },
            Subject::DeletedStatus {
                status,
                mentioned,
                audience,
            },
        ) => {
            let visibility: Visibility = status.visibility.parse()?;
            let (mut to, cc) = addressing(visibility, &followers_url(actor), &mentioned);
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
                inboxes: audience,
            }
        }
        (
            Outgoing::Announce { .. } | Outgoing::UndoAnnounce { .. },
            Subject::Boost {
                boost,
                original,
                original_author,
                audience,
            },
        ) => {
            let visibility: Visibility = boost.visibility.parse()?;
            let (to, mut cc) = addressing(visibility, &followers_url(actor), &[]);
            cc.push(original_author.ap_id.clone());
            let announce = json!({
                "id": boost.ap_id, "type": "Announce", "actor": actor_id,
                "published": boost.created_at.and_utc(),
                "to": to, "cc": cc, "object": original.ap_id,
            });
            if matches!(what, Outgoing::Announce { .. }) {
                Rendered {
                    ap_id: boost.ap_id.clone(),
                    kind: "Announce",
                    payload: announce,
                    inboxes: audience,
                }
            } else {
                Rendered {
                    payload: json!({
                        "id": activity_id, "type": "Undo", "actor": actor_id,
                        "to": to, "cc": cc, "object": announce,
                    }),
                    ap_id: activity_id,
                    kind: "Undo",
                    inboxes: audience,
                }
            }
        }
        (
            Outgoing::Like { favourite_id, .. } | Outgoing::UndoLike { favourite_id, .. },
            Subject::Liked { status, author },
        ) => {
            let like_id = format!("{actor_id}/likes/{favourite_id}");
            let like = json!({
                "id": like_id, "type": "Like", "actor": actor_id, "object": status.ap_id,
            });
            undoable(
                matches!(what, Outgoing::Like { .. }),
                (like_id, "Like", like),
                &activity_id,
                &actor_id,
                vec![author.inbox_url.clone()],
            )
        }
        (Outgoing::Follow { follow_id }, Subject::Follow { target, ap_id }) => {
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
        (Outgoing::UndoFollow { follow_ap_id, .. }, Subject::Account(target)) => Rendered {
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
        },
        (
            Outgoing::Accept { follow_ap_id, .. } | Outgoing::Reject { follow_ap_id, .. },
            Subject::Account(follower),
        ) => {
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
        (
            Outgoing::Block { block_id, .. } | Outgoing::UndoBlock { block_id, .. },
            Subject::Account(target),
        ) => {
            let block_id = format!("{actor_id}/blocks/{block_id}");
            let block = json!({
                "id": block_id, "type": "Block", "actor": actor_id, "object": target.ap_id,
            });
            undoable(
                matches!(what, Outgoing::Block { .. }),
                (block_id, "Block", block),
                &activity_id,
                &actor_id,
                vec![target.inbox_url.clone()],
            )
        }
        (Outgoing::UpdateProfile, Subject::Profile { audience }) => Rendered {
            payload: json!({
                "id": activity_id, "type": "Update", "actor": actor_id,
                "to": [protocol::PUBLIC], "cc": [followers_url(actor)],
                "object": person(settings, actor)?,
            }),
            ap_id: activity_id,
            kind: "Update",
            inboxes: audience,
        },
        (
            Outgoing::Flag { .. },
            Subject::Flag {
                target,
                statuses,
                comment,
            },
        ) => {
            // As Mastodon forwards a report: from the instance actor (the reporter is not
            // named), to the reported account's department.
            let mut object = vec![target.ap_id.clone()];
            object.extend(statuses);
            Rendered {
                payload: json!({
                    "id": activity_id, "type": "Flag", "actor": actor_id,
                    "content": comment, "object": object,
                }),
                ap_id: activity_id,
                kind: "Flag",
                inboxes: vec![
                    target
                        .shared_inbox_url
                        .clone()
                        .unwrap_or_else(|| target.inbox_url.clone()),
                ],
            }
        }
        (
            Outgoing::PublishAnnouncement { .. } | Outgoing::UpdateAnnouncement { .. },
            Subject::Announcement {
                announcement,
                audience,
            },
        ) => {
            let kind = if matches!(what, Outgoing::PublishAnnouncement { .. }) {
                "Create"
            } else {
                "Update"
            };
            Rendered {
                payload: json!({
                    "@context": protocol::announcement_context(),
                    "id": activity_id, "type": kind, "actor": actor_id,
                    "to": [protocol::PUBLIC],
                    "object": announcement_object(settings, &actor_id, &announcement),
                }),
                ap_id: activity_id,
                kind,
                inboxes: audience,
            }
        }
        (
            Outgoing::WithdrawAnnouncement { .. },
            Subject::WithdrawnAnnouncement {
                announcement_id,
                audience,
            },
        ) => Rendered {
            payload: json!({
                "@context": protocol::announcement_context(),
                "id": activity_id, "type": "Delete", "actor": actor_id,
                "to": [protocol::PUBLIC],
                "object": {
                    "id": announcement_url(settings, announcement_id),
                    "type": "Tombstone",
                },
            }),
            ap_id: activity_id,
            kind: "Delete",
            inboxes: audience,
        },
        (
            Outgoing::ReportAnnouncementReads { .. },
            Subject::AnnouncementReads {
                ap_id,
                inbox,
                audience,
                readers,
            },
        ) => {
            // The department as a whole has read it: how many it reached, and how many read
            // it only when enough did to name nobody.
            let mut payload = json!({
                "@context": protocol::announcement_context(),
                "id": activity_id, "type": "Read", "actor": actor_id, "object": ap_id,
                "reached": audience,
            });
            if let Some(readers) = readers {
                payload["readers"] = json!(readers);
            }
            Rendered {
                payload,
                ap_id: activity_id,
                kind: "Read",
                inboxes: vec![inbox],
            }
        }
        (what, _) => {
            return Err(Error::internal(anyhow::anyhow!(
                "the rows loaded for {what:?} do not fit it"
            )));
        }
    };
    Ok(Rendered {
        payload: with_context(rendered.payload),
        ..rendered
    })
}

/// Where one of our announcements lives.
pub fn announcement_url(settings: &Settings, id: i64) -> String {
    format!("{}/announcements/{id}", settings.instance.base())
}

/// One of our company-wide announcements as an object (`actor_id`: the instance actor).
pub fn announcement_object(settings: &Settings, actor_id: &str, a: &Announcement) -> Value {
    let time = |t: chrono::NaiveDateTime| t.and_utc().to_rfc3339();
    json!({
        "id": announcement_url(settings, a.id),
        "type": "Announcement",
        "attributedTo": actor_id,
        "content": a.html(),
        "source": {"content": a.text, "mediaType": "text/markdown"},
        "startTime": a.starts_at.map(time),
        "endTime": a.ends_at.map(time),
        "allDay": a.all_day,
        "published": time(a.published_at),
        "updated": time(a.updated_at),
        "to": [protocol::PUBLIC],
    })
}

/// An activity (`done`: its id, type and JSON), or its Undo (`activity_id`) when `!done`.
fn undoable(
    done: bool,
    (id, kind, activity): (String, &'static str, Value),
    activity_id: &str,
    actor_id: &str,
    inboxes: Vec<String>,
) -> Rendered {
    if done {
        Rendered {
            ap_id: id,
            kind,
            payload: activity,
            inboxes,
        }
    } else {
        Rendered {
            payload: json!({
                "id": activity_id, "type": "Undo", "actor": actor_id, "object": activity,
            }),
            ap_id: activity_id.to_string(),
            kind: "Undo",
            inboxes,
        }
    }
}
