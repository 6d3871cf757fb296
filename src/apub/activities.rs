//! Activities other departments send to our inbox. The federation library has already checked
//! the body digest, the HTTP signature (with the key of the activity's actor) and that the
//! activity id is on the actor's domain; here each kind is checked for ownership (an actor
//! only changes its own things) and applied through the service layer, once per activity id.

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::{Activity, Object};
use chrono::Utc;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

use crate::apub::FedData;
use crate::apub::objects::{ApubActor, ApubNote, store_note, visibility_of};
use crate::apub::protocol::{self, IdOrObject, Note, Person};
use crate::context::AppContext;
use crate::db::DbConnection;
use crate::error::{Error, Result};
use crate::service::origin::Origin;
use crate::service::policy::Subject;
use crate::service::statuses;
use crate::service::{announcements, inbound, relationships, reports};

fn actor_url<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Url, D::Error> {
    Ok(IdOrObject::deserialize(d)?.id)
}

/// `object`: one id or object, or a list of them (a Flag names an account and its posts).
fn objects<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<IdOrObject>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<IdOrObject>),
        One(IdOrObject),
    }
    Ok(match Option::<OneOrMany>::deserialize(d)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// Any activity. Kinds we do not handle (Add, Move, EmojiReact…) are accepted and
/// ignored, so the sender does not retry them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingActivity {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "actor_url")]
    pub actor: Url,
    #[serde(default, deserialize_with = "objects")]
    pub object: Vec<IdOrObject>,
    #[serde(default, deserialize_with = "protocol::one_or_many")]
    pub to: Vec<String>,
    #[serde(default, deserialize_with = "protocol::one_or_many")]
    pub cc: Vec<String>,
    #[serde(default)]
    pub published: Option<chrono::DateTime<Utc>>,
    /// A Flag's comment.
    #[serde(default)]
    pub content: Option<String>,
    /// A Read of one of our announcements by a department: how many people it reached.
    #[serde(default)]
    pub reached: Option<i64>,
    /// … and how many read it (absent: fewer than that department's privacy threshold).
    #[serde(default)]
    pub readers: Option<i64>,
}

impl IncomingActivity {
    fn object(&self) -> Result<&IdOrObject> {
        self.object
            .first()
            .ok_or_else(|| Error::bad_request(format!("{} without an object", self.kind)))
    }

    /// Apply `f` and remember the activity, in one transaction: a redelivery finds it done.
    async fn apply<F>(&self, data: &FedData, f: F) -> Result<()>
    where
        F: FnOnce(&mut DbConnection) -> Result<()> + Send + 'static,
    {
        let id = self.id.to_string();
        data.db
            .write(move |conn| {
                if inbound::already_received(conn, &id)? {
                    return Ok(());
                }
                f(conn)?;
                inbound::mark_received(conn, &id)
            })
            .await
    }

    async fn local_account_id(&self, data: &FedData, ap_id: &Url) -> Result<i64> {
        let ap_id = ap_id.to_string();
        let account = data
            .db
            .read(move |conn| inbound::find_account_by_ap_id(conn, &ap_id))
            .await?
            .filter(|a| a.is_local())
            .ok_or_else(Error::not_found)?;
        Ok(account.id)
    }

    async fn note(&self, data: &FedData, actor: &ApubActor) -> Result<()> {
        let object = self.object()?;
        let json = object
            .object
            .clone()
            .ok_or_else(|| Error::bad_request("The post must be embedded"))?;
        let note: Note = serde_json::from_value(json)
            .map_err(|e| Error::bad_request(format!("The post could not be parsed: {e}")))?;
        if note.attributed_to.id != *actor.id() {
            return Err(Error::forbidden("A post can only be sent by its author"));
        }
        ApubNote::verify(&note, &self.id, data).await?;
        // A post the department's policy refuses is accepted and dropped (recorded there):
        // the sender has nothing to retry.
        store_note(note, data, Some(self.id.to_string())).await?;
        Ok(())
    }

    async fn handle(self, data: &FedData) -> Result<()> {
        let actor: ApubActor = ObjectId::<ApubActor>::from(self.actor.clone())
            .dereference(data)
            .await?;
        let actor_id = actor.account.id;
        tracing::info!(kind = %self.kind, actor = %self.actor, "activity received");
        match self.kind.as_str() {
            "Create" if self.object()?.kind() == Some("Announcement") => {
                self.announcement(data, &actor).await
            }
            "Create" => self.note(data, &actor).await,
            "Update" => match self.object()?.kind() {
                Some("Announcement") => self.announcement(data, &actor).await,
                Some("Person" | "Service" | "Application" | "Group" | "Organization") => {
                    let json = self.object()?.object.clone().unwrap_or(Value::Null);
                    let person: Person = serde_json::from_value(json).map_err(|e| {
                        Error::bad_request(format!("The actor could not be parsed: {e}"))
                    })?;
                    if person.id != self.actor {
                        return Err(Error::forbidden("An actor can only update itself"));
                    }
                    ApubActor::verify(&person, &self.actor, data).await?;
                    ApubActor::from_json(person, data).await?;
                    Ok(())
                }
                Some(_) => self.note(data, &actor).await,
                None => Ok(()),
            },
            "Delete" => {
                let target = self.object()?.id.to_string();
                let is_actor = self.object()?.id == self.actor;
                let account = actor.account.clone();
                let delete_id = self.id.to_string();
                self.apply(data, move |conn| {
                    if is_actor {
                        return inbound::delete_account(conn, actor_id);
                    }
                    if let Some(domain) = &account.domain
                        && announcements::receive_withdrawal(conn, domain, &target)?
                    {
                        return Ok(());
                    }
                    inbound::delete_status(conn, &account, &target, &delete_id)
                })
                .await
            }
            "Follow" => {
                let target = self.local_account_id(data, &self.object()?.id).await?;
                let follow_id = self.id.to_string();
                let about = inbound::About::Account(target);
                if !inbound::admit(data, &actor.account, Subject::Follow, about, &follow_id).await?
                {
                    return Ok(());
                }
                let account = actor.account.clone();
                let settings = data.settings.clone();
                self.apply(data, move |conn| {
                    let options = relationships::FollowOptions::default();
                    relationships::follow(
                        conn,
                        &settings,
                        &account,
                        target,
                        options,
                        Origin::remote(&follow_id),
                    )
                })
                .await
            }
            "Accept" | "Reject" => {
                let object = self.object()?;
                let follow_ap_id = object.id.to_string();
                let follower = match object.url_field("actor") {
                    Some(url) => self.local_account_id(data, &url).await.ok(),
                    None => None,
                };
                let accept = self.kind == "Accept";
                let account = actor.account.clone();
                let answer_id = self.id.to_string();
                let settings = data.settings.clone();
                self.apply(data, move |conn| {
                    let follow = relationships::FollowOf::Activity {
                        ap_id: &follow_ap_id,
                        follower,
                    };
                    let origin = Origin::remote(&answer_id);
                    relationships::answer_follow(conn, &settings, &account, follow, accept, origin)
                })
                .await
            }
            "Undo" => self.undo(data, &actor).await,
            "Like" => {
                let object = self.object()?.id.to_string();
                let like_id = self.id.to_string();
                let account = actor.account.clone();
                let liked = data
                    .db
                    .read(move |conn| inbound::find_status_by_ap_id(conn, &object))
                    .await?;
                // Likes of posts that are not ours concern only their author.
                let Some(status) = liked.filter(|s| s.local) else {
                    return Ok(());
                };
                let about = inbound::About::Status(status.id);
                if !inbound::admit(data, &account, Subject::Like, about, &like_id).await? {
                    return Ok(());
                }
                self.apply(data, move |conn| {
                    statuses::favourite(conn, &account, status.id, Origin::remote(&like_id))
                        .map(drop)
                })
                .await
            }
            "Announce" => {
                let object = self.object()?.id.clone();
                let original: ApubNote =
                    ObjectId::<ApubNote>::from(object).dereference(data).await?;
                let visibility =
                    visibility_of(&self.to, &self.cc, actor.account.followers_url.as_deref());
                let announce_id = self.id.to_string();
                let published = self
                    .published
                    .map(|p| p.naive_utc())
                    .unwrap_or_else(|| Utc::now().naive_utc());
                let original_id = original.status.id;
                let account = actor.account.clone();
                let about = inbound::About::Status(original_id);
                if !inbound::admit(data, &account, Subject::Boost, about, &announce_id).await? {
                    return Ok(());
                }
                let settings = data.settings.clone();
                self.apply(data, move |conn| {
                    let origin = Origin::Remote {
                        activity_id: &announce_id,
                        published: Some(published),
                    };
                    statuses::reblog(
                        conn,
                        &settings,
                        &account,
                        original_id,
                        Some(visibility),
                        origin,
                        false,
                    )
                    .map(drop)
                })
                .await
            }
            "Flag" => {
                // Another department forwards a report about accounts and posts here.
                let named: Vec<String> = self.object.iter().map(|o| o.id.to_string()).collect();
                let content = self
                    .content
                    .as_deref()
                    .map(|html| crate::service::text::plain_text(html).trim().to_string())
                    .unwrap_or_default();
                let account = actor.account.clone();
                let flag_id = self.id.to_string();
                self.apply(data, move |conn| {
                    reports::receive_flag(conn, &account, &flag_id, &named, &content).map(drop)
                })
                .await
            }
            "Read" => self.announcement_read(data, &actor).await,
            "Block" => {
                let target = self.local_account_id(data, &self.object()?.id).await?;
                let block_id = self.id.to_string();
                let account = actor.account.clone();
                self.apply(data, move |conn| {
                    relationships::block(conn, &account, target, Origin::remote(&block_id))
                })
                .await
            }
            other => {
                tracing::debug!(kind = other, "ignoring an activity kind we do not handle");
                Ok(())
            }
        }
    }

    /// The department `actor` speaks for, if it is that department's instance actor (only a
    /// department itself announces company-wide and reports its reads).
    fn department_of(actor: &ApubActor) -> Result<String> {
        let account = &actor.account;
        match &account.domain {
            Some(domain)
                if account.bot
                    && account.username == domain.split(':').next().unwrap_or_default() =>
            {
                Ok(domain.clone())
            }
            _ => Err(Error::forbidden(
                "Only a department's instance actor speaks for the department",
            )),
        }
    }

    /// A department's company-wide announcement (its Create or Update).
    async fn announcement(&self, data: &FedData, actor: &ApubActor) -> Result<()> {
        let domain = Self::department_of(actor)?;
        let json = self
            .object()?
            .object
            .clone()
            .ok_or_else(|| Error::bad_request("The announcement must be embedded"))?;
        let object: protocol::Announcement = serde_json::from_value(json).map_err(|e| {
            Error::bad_request(format!("The announcement could not be parsed: {e}"))
        })?;
        if object.attributed_to != self.actor
            || crate::service::policy::authority(&object.id).as_deref() != Some(domain.as_str())
        {
            return Err(Error::forbidden(
                "A department only announces its own announcements",
            ));
        }
        if !announcements::accepted_from(&data.settings, &domain) {
            tracing::info!(
                domain,
                "ignoring a company-wide announcement (federation.announcements_from)"
            );
            return Ok(());
        }
        let got = announcements::Received {
            ap_id: object.id.to_string(),
            content_html: crate::service::text::sanitize_remote(&object.content),
            text: match object.source {
                Some(source) => source.content,
                None => crate::service::text::plain_text(&object.content),
            },
            starts_at: object.start_time.map(|t| t.naive_utc()),
            ends_at: object.end_time.map(|t| t.naive_utc()),
            all_day: object.all_day,
            published_at: object
                .published
                .map(|t| t.naive_utc())
                .unwrap_or_else(|| Utc::now().naive_utc()),
            domain,
        };
        self.apply(data, move |conn| announcements::receive(conn, got))
            .await
    }

    /// A department reports how many read one of our company-wide announcements.
    async fn announcement_read(&self, data: &FedData, actor: &ApubActor) -> Result<()> {
        let domain = Self::department_of(actor)?;
        let object = self.object()?.id.to_string();
        let prefix = format!("{}/announcements/", data.settings.instance.base());
        let Some(id) = object
            .strip_prefix(&prefix)
            .and_then(|id| id.parse::<i64>().ok())
        else {
            // A Read of something else concerns nobody here.
            return Ok(());
        };
        let reached = self
            .reached
            .ok_or_else(|| Error::bad_request("A Read of an announcement says what it reached"))?;
        let readers = self.readers;
        self.apply(data, move |conn| {
            announcements::receive_report(conn, &domain, id, reached, readers)
        })
        .await
    }

    async fn undo(&self, data: &FedData, actor: &ApubActor) -> Result<()> {
        let object = self.object()?;
        let undone = inbound::Undone {
            kind: object.kind().map(String::from),
            activity_id: object.id.to_string(),
            object: object.url_field("object").map(|u| u.to_string()),
        };
        let account = actor.account.clone();
        let undo_id = self.id.to_string();
        self.apply(data, move |conn| {
            inbound::undo(conn, &account, undone, &undo_id)
        })
        .await
    }
}

#[async_trait::async_trait]
impl Activity for IncomingActivity {
    type DataType = AppContext;
    type Error = Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, data: &FedData) -> Result<()> {
        data.policy.check_url(&self.actor).await?;
        Ok(())
    }

    async fn receive(self, data: &FedData) -> Result<()> {
        let id = self.id.to_string();
        // GoToSocial gives every Update of a post the same id (`…/activity#Update`): Updates
        // are applied again rather than skipped as redeliveries (applying one twice is a no-op).
        if self.kind != "Update"
            && data
                .db
                .read(move |conn| inbound::already_received(conn, &id))
                .await?
        {
            // A redelivery (or a replay of a captured request, within the signature's hour):
            // answered 202 as the first time, as Mastodon does, and changes nothing.
            tracing::info!(activity = %self.id, "activity already received; not applied again");
            return Ok(());
        }
        self.handle(data).await
    }
}
