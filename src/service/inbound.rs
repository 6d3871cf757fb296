//! What other departments tell us: the rules for applying their accounts, posts, follows,
//! likes, boosts and blocks to our database. The ActivityPub layer parses and verifies the
//! activity, turns it into the plain values below and calls one function here inside a write
//! transaction; everything a local action would trigger (notifications, counters, live
//! events, our own answers such as Accept) happens here too.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::config::{LimitSettings, Settings};
use crate::context::AppContext;
use crate::db::models::{Account, MediaAttachment, NewAccount, Status};
use crate::db::schema::{
    accounts, blocks, favourites, follows, media_attachments, received_activities, statuses,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::accounts as profiles;
use crate::service::origin::Origin;
use crate::service::policy::{self, Facts, Subject, Verdict};
use crate::service::relationships;

use crate::service::statuses as posting;
use crate::service::visibility::Visibility;

/// An account of another department, as its actor document describes it (HTML already
/// sanitized by the caller).
#[derive(Debug, Clone)]
pub struct RemoteAccount {
    pub ap_id: String,
    pub username: String,
    /// `host` or `host:port` of the department.
    pub domain: String,
    pub display_name: String,
    pub note: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub fields: Vec<RemoteField>,
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
    pub url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub featured_url: Option<String>,
    pub public_key_pem: String,
    /// Its own department suspended it.
    pub suspended: bool,
}

/// A profile field of another department's account: the name as text, the value as HTML
/// (sanitized by the caller).
#[derive(Debug, Clone)]
pub struct RemoteField {
    pub name: String,
    pub value_html: String,
}

/// Insert or refresh an account of another department (keyed by its ActivityPub id). The
/// profile limits of our own employees hold for it too (cut to fit, see
/// [`profiles::limited`]).
///
/// Its department's word on its suspension is taken too: suspended there, it is hidden
/// here; no longer suspended there, it shows again unless moderators here suspended it.
pub fn upsert_account(conn: &mut DbConnection, remote: RemoteAccount) -> Result<Account> {
    let suspended = remote.suspended;
    let account = store_account(conn, remote)?;
    if !suspended && account.suspended_at.is_none() {
        // The usual case: nobody suspends it (a suspension there would have left a mark).
        return Ok(account);
    }
    let changed = crate::service::moderation::suspension(
        conn,
        account.id,
        crate::service::moderation::ORIGIN,
        suspended,
    )?;
    if !changed {
        return Ok(account);
    }
    Ok(accounts::table
        .find(account.id)
        .select(Account::as_select())
        .first(conn)?)
}

fn store_account(conn: &mut DbConnection, remote: RemoteAccount) -> Result<Account> {
    let now = Utc::now().naive_utc();
    let origin = Origin::remote(&remote.ap_id);
    let display_name = profiles::limited(
        &remote.display_name,
        profiles::MAX_DISPLAY_NAME_CHARS,
        "Display name is",
        origin,
    )?;
    let mut fields = Vec::new();
    for f in profiles::limited_fields(remote.fields.clone(), origin)? {
        let name = profiles::limited(&f.name, profiles::MAX_FIELD_CHARS, "Fields are", origin)?;
        fields.push(profiles::field_json(&name, f.value_html));
    }
    let fields = serde_json::Value::Array(fields).to_string();
    let existing: Option<Account> = accounts::table
        .filter(accounts::ap_id.eq(&remote.ap_id))
        .select(Account::as_select())
        .first(conn)
        .optional()?;
    if let Some(existing) = existing {
        if existing.is_local() {
            return Err(Error::forbidden(
                "An activity cannot change a local account",
            ));
        }
        let account = diesel::update(accounts::table.find(existing.id))
            .set((
                accounts::display_name.eq(&display_name),
                accounts::note.eq(&remote.note),
                accounts::locked.eq(remote.locked),
                accounts::bot.eq(remote.bot),
                accounts::discoverable.eq(remote.discoverable),
                accounts::fields.eq(&fields),
                accounts::avatar_url.eq(&remote.avatar_url),
                accounts::header_url.eq(&remote.header_url),
                accounts::url.eq(&remote.url),
                accounts::inbox_url.eq(&remote.inbox_url),
                accounts::shared_inbox_url.eq(&remote.shared_inbox_url),
                accounts::outbox_url.eq(&remote.outbox_url),
                accounts::followers_url.eq(&remote.followers_url),
                accounts::following_url.eq(&remote.following_url),
                accounts::featured_url.eq(&remote.featured_url),
                accounts::public_key_pem.eq(&remote.public_key_pem),
                accounts::fetched_at.eq(Some(now)),
                accounts::updated_at.eq(now),
            ))
            .returning(accounts::all_columns)
            .get_result(conn)?;
        return Ok(account);
    }
    let row = NewAccount {
        id: ids::next_id(),
        username: remote.username,
        domain: Some(remote.domain),
        display_name,
        note: remote.note,
        locked: remote.locked,
        bot: remote.bot,
        discoverable: remote.discoverable,
        ap_id: remote.ap_id,
        url: remote.url,
        inbox_url: remote.inbox_url,
        shared_inbox_url: remote.shared_inbox_url,
        outbox_url: remote.outbox_url,
        followers_url: remote.followers_url,
        following_url: remote.following_url,
        featured_url: remote.featured_url,
        public_key_pem: remote.public_key_pem,
        private_key_pem: None,
        created_at: now,
        updated_at: now,
    };
    let account: Account = diesel::insert_into(accounts::table)
        .values(&row)
        .returning(accounts::all_columns)
        .get_result(conn)?;
    diesel::update(accounts::table.find(account.id))
        .set((
            accounts::fields.eq(&fields),
            accounts::avatar_url.eq(&remote.avatar_url),
            accounts::header_url.eq(&remote.header_url),
        ))
        .execute(conn)?;
    diesel::update(accounts::table.find(account.id))
        .set(accounts::fetched_at.eq(Some(now)))
        .execute(conn)?;
    Ok(accounts::table
        .find(account.id)
        .select(Account::as_select())
        .first(conn)?)
}

pub fn find_account_by_ap_id(conn: &mut DbConnection, ap_id: &str) -> Result<Option<Account>> {
    Ok(accounts::table
        .filter(accounts::ap_id.eq(ap_id))
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}

/// The ids of the accounts we know among `ap_ids` (ours and other departments' we have
/// seen), in the order of their ActivityPub ids: a post's mentions and addressees in a few
/// queries, however many it names (at most `limits.max_inbox_recipients` per list).
pub fn account_ids_by_ap_ids(conn: &mut DbConnection, ap_ids: &[String]) -> Result<Vec<i64>> {
    // Well below SQLite's limit of bound parameters per statement.
    const CHUNK: usize = 500;
    let mut found: Vec<(String, i64)> = Vec::new();
    for chunk in ap_ids.chunks(CHUNK) {
        found.extend(
            accounts::table
                .filter(accounts::ap_id.eq_any(chunk))
                .select((accounts::ap_id, accounts::id))
                .load::<(String, i64)>(conn)?,
        );
    }
    found.sort();
    Ok(found.into_iter().map(|(_, id)| id).collect())
}

/// How long one list of an activity another department sends may be: its `to`, `cc`, `bto`,
/// `bcc`, `audience` or objects, or its object's addressing or tags (`list` names which).
/// Every addressee and mention is looked up, so a longer list is refused (422) before
/// anything of the activity is fetched, looked up or stored.
pub fn check_list_length(limits: &LimitSettings, list: &str, len: usize) -> Result<()> {
    let most = limits.max_inbox_recipients;
    if len > most {
        return Err(Error::unprocessable(format!(
            "The activity lists {len} entries in `{list}`; this department takes at most {most} \
             (limits.max_inbox_recipients)"
        )));
    }
    Ok(())
}

pub fn find_status_by_ap_id(conn: &mut DbConnection, ap_id: &str) -> Result<Option<Status>> {
    Ok(statuses::table
        .filter(statuses::ap_id.eq(ap_id))
        .select(Status::as_select())
        .first(conn)
        .optional()?)
}

/// A post of another department (a Note), with its audience already worked out from `to`/`cc`.
#[derive(Debug, Clone)]
pub struct RemoteStatus {
    pub ap_id: String,
    pub url: Option<String>,
    pub author_id: i64,
    pub in_reply_to_ap_id: Option<String>,
    /// Sanitized HTML.
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    /// Accounts (ours or known ones of other departments) the post mentions or addresses.
    pub mentioned: Vec<i64>,
    pub tags: Vec<String>,
    pub attachments: Vec<RemoteMedia>,
    pub published: NaiveDateTime,
    pub updated: Option<NaiveDateTime>,
}

/// A media attachment of a post of another department (shown from its own server).
#[derive(Debug, Clone)]
pub struct RemoteMedia {
    pub url: String,
    pub content_type: String,
    pub description: String,
    pub blurhash: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Focal point `(x, y)`, each from -1.0 to 1.0 (Mastodon's `focalPoint`).
    pub focus: (f64, f64),
}

/// Mastodon's kind of an attachment of this media type.
pub(crate) fn media_kind(content_type: &str) -> &'static str {
    match content_type.split('/').next() {
        Some("image") if content_type == "image/gif" => "gifv",
        Some("image") => "image",
        Some("video") => "video",
        Some("audio") => "audio",
        _ => "unknown",
    }
}

pub(crate) fn add_media(
    conn: &mut DbConnection,
    status: &Status,
    media: &[RemoteMedia],
) -> Result<()> {
    let now = Utc::now().naive_utc();
    for m in media {
        let kind = media_kind(&m.content_type);
        diesel::insert_into(media_attachments::table)
            .values(&MediaAttachment {
                id: ids::next_id(),
                account_id: status.account_id,
                status_id: Some(status.id),
                kind: kind.into(),
                content_type: m.content_type.clone(),
                file_path: None,
                thumbnail_path: None,
                remote_url: Some(m.url.clone()),
                file_size: 0,
                width: m.width,
                height: m.height,
                description: m.description.clone(),
                blurhash: m.blurhash.clone(),
                focus_x: m.focus.0,
                focus_y: m.focus.1,
                created_at: now,
                updated_at: now,
                duration: None,
                frame_rate: None,
                bitrate: None,
            })
            .execute(conn)?;
    }
    Ok(())
}

/// A post (or an edit of one) another department sends or we fetched: the policy rules
/// judge it first (a read, then matching with no connection held); one they refuse is
/// recorded and not stored (`None`). The activity that brought it, if any, is remembered in
/// the same transaction, so a redelivery is neither stored nor judged twice.
pub async fn receive_post(
    ctx: &AppContext,
    mut remote: RemoteStatus,
    activity: Option<String>,
) -> Result<Option<Status>> {
    // A department whose media this one rejects: its attachments are never stored.
    if !remote.attachments.is_empty() && ctx.policy.rejects_media_of(&remote.ap_id).await {
        remote.attachments.clear();
    }
    let verdict = {
        let remote = remote.clone();
        policy::judge(ctx, move |conn, settings| {
            remote_facts(conn, settings, &remote)
        })
        .await?
    };
    let settings = ctx.settings.clone();
    ctx.db
        .write(move |conn| {
            let stored = if verdict.rejected_by().is_some() {
                tracing::info!(ap_id = %remote.ap_id, "post from another department refused by a policy rule");
                let target = policy::store::Target {
                    status_id: None,
                    account_id: Some(remote.author_id),
                    object_uri: Some(remote.ap_id.clone()),
                };
                policy::store::record(conn, &verdict, target)?;
                None
            } else {
                Some(receive_status(conn, &settings, remote, verdict)?)
            };
            if let Some(id) = &activity {
                mark_received(conn, id)?;
            }
            Ok(stored)
        })
        .await
}

/// What the rules look at in a post of another department.
fn remote_facts(
    conn: &mut DbConnection,
    settings: &Settings,
    remote: &RemoteStatus,
) -> Result<Facts> {
    let author = crate::service::accounts::find(conn, remote.author_id)?;
    let subject = match find_status_by_ap_id(conn, &remote.ap_id)? {
        Some(_) => Subject::Edit,
        None => Subject::Post,
    };
    Ok(Facts {
        subject,
        directions: policy::facts::inbound(),
        text: crate::service::text::plain_text(&remote.content),
        spoiler_text: remote.spoiler_text.clone(),
        hashtags: remote.tags.iter().map(|t| t.to_lowercase()).collect(),
        mentions: policy::facts::mention_domains(conn, &remote.mentioned)?,
        media: policy::facts::media_of_remote(&remote.attachments),
        link_hosts: crate::service::text::link_hosts_in_html(&remote.content),
        visibility: Some(remote.visibility),
        author: policy::facts::author(conn, &author, settings.instance.domain.as_str())?,
        now: Utc::now().naive_utc(),
    })
}

/// What another department's like, boost or follow is about.
#[derive(Debug, Clone, Copy)]
pub enum About {
    /// A status here (a like, a boost).
    Status(i64),
    /// An employee here (a follow).
    Account(i64),
}

/// Whether the policy rules let another department's like, boost or follow through. Their
/// matches are recorded; a refused one is remembered as received (a redelivery is not judged
/// again) and a refused follow is answered with a Reject.
pub async fn admit(
    ctx: &AppContext,
    actor: &Account,
    subject: Subject,
    about: About,
    activity_id: &str,
) -> Result<bool> {
    let verdict = {
        let actor = actor.clone();
        policy::judge(ctx, move |conn, settings| {
            let author = policy::facts::author(conn, &actor, settings.instance.domain.as_str())?;
            match about {
                About::Status(id) => {
                    let status = statuses::table
                        .find(id)
                        .select(Status::as_select())
                        .first(conn)?;
                    policy::facts::of_status(
                        conn,
                        &status,
                        subject,
                        author,
                        policy::facts::inbound(),
                    )
                }
                About::Account(_) => Ok(policy::facts::of_actor(subject, author)),
            }
        })
        .await?
    };
    if verdict.matches.is_empty() {
        return Ok(true);
    }
    let refused = verdict.rejected_by().is_some();
    let (actor_id, activity_id) = (actor.id, activity_id.to_string());
    ctx.db
        .write(move |conn| {
            let target = policy::store::Target {
                status_id: match about {
                    About::Status(id) => Some(id),
                    About::Account(_) => None,
                },
                account_id: Some(actor_id),
                object_uri: Some(activity_id.clone()),
            };
            policy::store::record(conn, &verdict, target)?;
            if refused {
                mark_received(conn, &activity_id)?;
                if let (Subject::Follow, About::Account(target)) = (subject, about) {
                    crate::service::outbox::enqueue(
                        conn,
                        target,
                        crate::service::outbox::Outgoing::Reject {
                            follow_ap_id: activity_id.clone(),
                            follower_account_id: actor_id,
                        },
                    )?;
                }
            }
            Ok(())
        })
        .await?;
    if refused {
        tracing::info!(kind = subject.as_str(), actor = %actor.ap_id, "activity refused by a policy rule");
    }
    Ok(!refused)
}

/// Store a post of another department, or apply its edit if we have it already. Returns the
/// stored status. The rules are the ones of an employee's post (`statuses::publish`).
#[tracing::instrument(skip_all, fields(ap_id = %remote.ap_id))]
pub fn receive_status(
    conn: &mut DbConnection,
    settings: &Settings,
    remote: RemoteStatus,
    verdict: Verdict,
) -> Result<Status> {
    if let Some(existing) = find_status_by_ap_id(conn, &remote.ap_id)? {
        if existing.account_id != remote.author_id {
            return Err(Error::forbidden("A post can only be changed by its author"));
        }
        if existing.deleted_at.is_some() {
            return Ok(existing);
        }
        return apply_edit(conn, settings, existing, remote, verdict);
    }
    let author = crate::service::accounts::find(conn, remote.author_id)?;
    // A reply joins the thread only if its author may see the post it answers.
    let parent = match &remote.in_reply_to_ap_id {
        Some(ap_id) => match find_status_by_ap_id(conn, ap_id)? {
            Some(p) => crate::service::visibility::find_visible_to(conn, &author, p.id).ok(),
            None => None,
        },
        None => None,
    };
    let ap_id = remote.ap_id.clone();
    let draft = posting::Draft {
        id: ids::next_id(),
        text_chars: crate::service::text::plain_text(&remote.content)
            .trim()
            .chars()
            .count(),
        ap_id: remote.ap_id,
        url: remote.url,
        content: remote.content,
        source_text: None,
        spoiler_text: remote.spoiler_text,
        sensitive: remote.sensitive,
        visibility: remote.visibility,
        language: remote.language,
        application_id: None,
        in_reply_to: parent,
        in_reply_to_ap_id: remote.in_reply_to_ap_id,
        mentioned: remote.mentioned,
        tags: remote.tags,
        media: posting::DraftMedia::Remote(remote.attachments),
        poll: None,
        created_at: remote.published,
        verdict,
    };
    // Fetched or sent in a Create: either way, the post's own id names where it came from.
    posting::publish(conn, settings, &author, draft, Origin::remote(&ap_id))
}

fn apply_edit(
    conn: &mut DbConnection,
    settings: &Settings,
    existing: Status,
    remote: RemoteStatus,
    verdict: Verdict,
) -> Result<Status> {
    let changed = existing.content != remote.content
        || existing.spoiler_text != remote.spoiler_text
        || existing.sensitive != remote.sensitive;
    // An edit older than the one we show (a late redelivery) must not bring old text back.
    let stale = matches!(
        (remote.updated, existing.edited_at),
        (Some(theirs), Some(ours)) if theirs <= ours
    );
    if !changed || stale {
        return Ok(existing);
    }
    let author = crate::service::accounts::find(conn, existing.account_id)?;
    let revision = posting::Revision {
        text_chars: crate::service::text::plain_text(&remote.content)
            .trim()
            .chars()
            .count(),
        content: remote.content,
        source_text: None,
        spoiler_text: remote.spoiler_text,
        sensitive: remote.sensitive,
        language: remote.language.or(existing.language.clone()),
        mentioned: remote.mentioned,
        tags: remote.tags,
        uploads: None,
        edited_at: remote.updated.unwrap_or_else(|| Utc::now().naive_utc()),
        verdict,
    };
    let origin = Origin::remote(&remote.ap_id);
    posting::revise(conn, settings, &author, existing, revision, origin)
}

/// The author deleted a post (or a boost, whose id is the Announce's) with the Delete
/// `delete_id`.
pub fn delete_status(
    conn: &mut DbConnection,
    actor: &Account,
    ap_id: &str,
    delete_id: &str,
) -> Result<()> {
    let Some(status) = find_status_by_ap_id(conn, ap_id)? else {
        return Ok(());
    };
    if status.account_id != actor.id {
        return Err(Error::forbidden("A post can only be deleted by its author"));
    }
    posting::delete(conn, actor, status.id, Origin::remote(delete_id)).map(drop)
}

/// The account was deleted on its department: hide it and its posts.
pub fn delete_account(conn: &mut DbConnection, account_id: i64) -> Result<()> {
    let now = Utc::now().naive_utc();
    diesel::update(
        accounts::table
            .find(account_id)
            .filter(accounts::domain.is_not_null()),
    )
    .set(accounts::suspended_at.eq(Some(now)))
    .execute(conn)?;
    diesel::delete(follows::table.filter(follows::account_id.eq(account_id))).execute(conn)?;
    diesel::delete(follows::table.filter(follows::target_account_id.eq(account_id)))
        .execute(conn)?;
    Ok(())
}

/// Whether the activity with this id was applied already (inbound activities are
/// idempotent by id).
pub fn already_received(conn: &mut DbConnection, id: &str) -> Result<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        received_activities::table.filter(received_activities::ap_id.eq(id)),
    ))
    .get_result(conn)?)
}

/// Remember that the activity with this id was applied, in the transaction that applied it.
pub fn mark_received(conn: &mut DbConnection, id: &str) -> Result<()> {
    if !already_received(conn, id)? {
        diesel::insert_into(received_activities::table)
            .values((
                received_activities::ap_id.eq(id),
                received_activities::received_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What an Undo takes back: the activity by id, and when the Undo embeds it, its kind and
/// its object.
#[derive(Debug, Clone)]
pub struct Undone {
    pub kind: Option<String>,
    pub activity_id: String,
    pub object: Option<String>,
}

/// An account of another department takes back one of its activities (Follow, Like,
/// Announce, Block) with the Undo `undo_id`. What it no longer can see, it has nothing to undo.
pub fn undo(conn: &mut DbConnection, actor: &Account, undone: Undone, undo_id: &str) -> Result<()> {
    let actor_id = actor.id;
    let Undone {
        kind,
        activity_id,
        object,
    } = undone;
    let kind = match kind {
        Some(k) => k,
        // Only the id was sent: find what it named.
        None => kind_of(conn, &activity_id, actor_id)?,
    };
    let origin = Origin::remote(undo_id);
    let result = match kind.as_str() {
        "Follow" => {
            let target = match &object {
                Some(t) => find_account_by_ap_id(conn, t)?.map(|a| a.id),
                None => follows::table
                    .filter(follows::ap_id.eq(&activity_id))
                    .filter(follows::account_id.eq(actor_id))
                    .select(follows::target_account_id)
                    .first(conn)
                    .optional()?,
            };
            match target {
                Some(target) => relationships::unfollow(conn, actor, target, origin),
                None => Ok(()),
            }
        }
        "Like" => {
            let status = match &object {
                Some(t) => find_status_by_ap_id(conn, t)?.map(|s| s.id),
                None => favourites::table
                    .filter(favourites::ap_id.eq(&activity_id))
                    .filter(favourites::account_id.eq(actor_id))
                    .select(favourites::status_id)
                    .first(conn)
                    .optional()?,
            };
            match status {
                Some(status) => posting::unfavourite(conn, actor, status, origin).map(drop),
                None => Ok(()),
            }
        }
        "Announce" => match find_status_by_ap_id(conn, &activity_id)? {
            Some(boost) if boost.account_id != actor_id => {
                Err(Error::forbidden("A boost can only be undone by its author"))
            }
            Some(Status {
                reblog_of_id: Some(original),
                deleted_at: None,
                ..
            }) => posting::unreblog(conn, actor, original, origin).map(drop),
            _ => Ok(()),
        },
        "Block" => {
            let target = match &object {
                Some(t) => find_account_by_ap_id(conn, t)?.map(|a| a.id),
                None => blocks::table
                    .filter(blocks::ap_id.eq(&activity_id))
                    .filter(blocks::account_id.eq(actor_id))
                    .select(blocks::target_account_id)
                    .first(conn)
                    .optional()?,
            };
            match target {
                Some(target) => relationships::unblock(conn, actor, target, origin),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    };
    match result {
        Err(e) if e.kind() == crate::error::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// What an id-only Undo refers to.
fn kind_of(conn: &mut DbConnection, ap_id: &str, actor_id: i64) -> Result<String> {
    let is = |found: bool, kind: &str| found.then(|| kind.to_string());
    let follow: bool = diesel::select(diesel::dsl::exists(
        follows::table
            .filter(follows::ap_id.eq(ap_id))
            .filter(follows::account_id.eq(actor_id)),
    ))
    .get_result(conn)?;
    let like: bool = diesel::select(diesel::dsl::exists(
        favourites::table.filter(favourites::ap_id.eq(ap_id)),
    ))
    .get_result(conn)?;
    let block: bool = diesel::select(diesel::dsl::exists(
        blocks::table.filter(blocks::ap_id.eq(ap_id)),
    ))
    .get_result(conn)?;
    Ok(is(follow, "Follow")
        .or_else(|| is(like, "Like"))
        .or_else(|| is(block, "Block"))
        .unwrap_or_else(|| "Announce".to_string()))
}
