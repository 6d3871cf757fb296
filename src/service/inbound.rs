//! What other departments tell us: the rules for applying their accounts, posts, follows,
//! likes, boosts and blocks to our database. The ActivityPub layer parses and verifies the
//! activity, turns it into the plain values below and calls one function here inside a write
//! transaction; everything a local action would trigger (notifications, counters, live
//! events, our own answers such as Accept) happens here too.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::models::{
    Account, Follow, MediaAttachment, NewAccount, NewStatus, Status, StatusEdit,
};
use crate::db::schema::{
    accounts, blocks, favourites, follows, media_attachments, mentions,
    notifications as notifications_table, status_edits, statuses,
};
use crate::db::{DbConnection, ids};
use crate::error::{Error, Result};
use crate::service::events::{self, Event};
use crate::service::notifications;
use crate::service::outbox::{self, Outgoing};
use crate::service::statuses::set_tags;
use crate::service::visibility::{Visibility, find_visible};

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
    /// Mastodon-style fields JSON (`[{"name","value","verified_at"}]`).
    pub fields: String,
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
}

/// Insert or refresh an account of another department (keyed by its ActivityPub id).
pub fn upsert_account(conn: &mut DbConnection, remote: RemoteAccount) -> Result<Account> {
    let now = Utc::now().naive_utc();
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
                accounts::display_name.eq(&remote.display_name),
                accounts::note.eq(&remote.note),
                accounts::locked.eq(remote.locked),
                accounts::bot.eq(remote.bot),
                accounts::discoverable.eq(remote.discoverable),
                accounts::fields.eq(&remote.fields),
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
        display_name: remote.display_name,
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
            accounts::fields.eq(&remote.fields),
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

fn add_media(conn: &mut DbConnection, status: &Status, media: &[RemoteMedia]) -> Result<()> {
    let now = Utc::now().naive_utc();
    for m in media {
        let kind = match m.content_type.split('/').next() {
            Some("image") if m.content_type == "image/gif" => "gifv",
            Some("image") => "image",
            Some("video") => "video",
            Some("audio") => "audio",
            _ => "unknown",
        };
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
            })
            .execute(conn)?;
    }
    Ok(())
}

/// Store a post of another department, or apply its edit if we have it already. Returns the
/// stored status.
#[tracing::instrument(skip_all, fields(ap_id = %remote.ap_id))]
pub fn receive_status(conn: &mut DbConnection, remote: RemoteStatus) -> Result<Status> {
    if remote.visibility == Visibility::Local {
        // Department-only posts never leave their department; a post claiming to be one is
        // not ours to show.
        return Err(Error::forbidden("Department-only posts are not federated"));
    }
    if let Some(existing) = find_status_by_ap_id(conn, &remote.ap_id)? {
        if existing.account_id != remote.author_id {
            return Err(Error::forbidden("A post can only be changed by its author"));
        }
        if existing.deleted_at.is_some() {
            return Ok(existing);
        }
        return apply_edit(conn, existing, remote);
    }
    // A reply joins the thread only of a post its author may see (as a local reply must):
    // a reply to a post hidden from them neither counts nor shows in that thread.
    let parent: Option<Status> = match &remote.in_reply_to_ap_id {
        Some(ap_id) => match find_status_by_ap_id(conn, ap_id)? {
            Some(p) if find_visible(conn, Some(remote.author_id), p.id).is_ok() => Some(p),
            _ => None,
        },
        None => None,
    };
    let id = ids::next_id();
    let row = NewStatus {
        id,
        ap_id: remote.ap_id.clone(),
        url: remote.url.clone(),
        account_id: remote.author_id,
        local: false,
        in_reply_to_id: parent.as_ref().map(|p| p.id),
        in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
        in_reply_to_ap_id: remote.in_reply_to_ap_id.clone(),
        reblog_of_id: None,
        thread_root_id: Some(
            parent
                .as_ref()
                .map(|p| p.thread_root_id.unwrap_or(p.id))
                .unwrap_or(id),
        ),
        content: remote.content.clone(),
        source_text: None,
        spoiler_text: remote.spoiler_text.clone(),
        sensitive: remote.sensitive || !remote.spoiler_text.is_empty(),
        visibility: remote.visibility.as_str().to_string(),
        language: remote.language.clone(),
        application_id: None,
        created_at: remote.published,
        updated_at: remote.published,
    };
    let status: Status = diesel::insert_into(statuses::table)
        .values(&row)
        .returning(statuses::all_columns)
        .get_result(conn)?;
    // Replies that arrived before their parent join the thread now.
    diesel::update(
        statuses::table
            .filter(statuses::in_reply_to_ap_id.eq(&remote.ap_id))
            .filter(statuses::in_reply_to_id.is_null()),
    )
    .set((
        statuses::in_reply_to_id.eq(Some(id)),
        statuses::in_reply_to_account_id.eq(Some(remote.author_id)),
    ))
    .execute(conn)?;
    set_tags(conn, id, &remote.tags)?;
    add_media(conn, &status, &remote.attachments)?;
    for account_id in add_mentions(conn, id, &remote.mentioned)? {
        notifications::notify(conn, account_id, remote.author_id, "mention", Some(id))?;
    }
    diesel::update(accounts::table.find(remote.author_id))
        .set((
            accounts::statuses_count.eq(accounts::statuses_count + 1),
            accounts::last_status_at.eq(Some(remote.published)),
        ))
        .execute(conn)?;
    if let Some(parent) = &parent {
        diesel::update(statuses::table.find(parent.id))
            .set(statuses::replies_count.eq(statuses::replies_count + 1))
            .execute(conn)?;
    }
    events::emit(Event::StatusCreated { status_id: id });
    tracing::info!(status_id = id, "post of another department received");
    Ok(status)
}

fn add_mentions(conn: &mut DbConnection, status_id: i64, accounts: &[i64]) -> Result<Vec<i64>> {
    let existing: Vec<i64> = mentions::table
        .filter(mentions::status_id.eq(status_id))
        .select(mentions::account_id)
        .load(conn)?;
    let mut added = Vec::new();
    for &account_id in accounts {
        if existing.contains(&account_id) || added.contains(&account_id) {
            continue;
        }
        diesel::insert_into(mentions::table)
            .values((
                mentions::id.eq(ids::next_id()),
                mentions::status_id.eq(status_id),
                mentions::account_id.eq(account_id),
            ))
            .execute(conn)?;
        added.push(account_id);
    }
    Ok(added)
}

fn apply_edit(conn: &mut DbConnection, existing: Status, remote: RemoteStatus) -> Result<Status> {
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
    let now = Utc::now().naive_utc();
    let has_history: bool = diesel::select(diesel::dsl::exists(
        status_edits::table.filter(status_edits::status_id.eq(existing.id)),
    ))
    .get_result(conn)?;
    if !has_history {
        diesel::insert_into(status_edits::table)
            .values(&StatusEdit {
                id: ids::next_id(),
                status_id: existing.id,
                account_id: existing.account_id,
                content: existing.content.clone(),
                spoiler_text: existing.spoiler_text.clone(),
                sensitive: existing.sensitive,
                media_ids: "[]".into(),
                created_at: existing.created_at,
            })
            .execute(conn)?;
    }
    let edited_at = remote.updated.unwrap_or(now);
    diesel::insert_into(status_edits::table)
        .values(&StatusEdit {
            id: ids::next_id(),
            status_id: existing.id,
            account_id: existing.account_id,
            content: remote.content.clone(),
            spoiler_text: remote.spoiler_text.clone(),
            sensitive: remote.sensitive,
            media_ids: "[]".into(),
            created_at: edited_at,
        })
        .execute(conn)?;
    let updated: Status = diesel::update(statuses::table.find(existing.id))
        .set((
            statuses::content.eq(&remote.content),
            statuses::spoiler_text.eq(&remote.spoiler_text),
            statuses::sensitive.eq(remote.sensitive || !remote.spoiler_text.is_empty()),
            statuses::edited_at.eq(Some(edited_at)),
            statuses::updated_at.eq(now),
        ))
        .returning(statuses::all_columns)
        .get_result(conn)?;
    set_tags(conn, existing.id, &remote.tags)?;
    for account_id in add_mentions(conn, existing.id, &remote.mentioned)? {
        notifications::notify(
            conn,
            account_id,
            existing.account_id,
            "mention",
            Some(existing.id),
        )?;
    }
    // Those who boosted or liked it learn that it changed, as on Mastodon.
    let boosters: Vec<i64> = statuses::table
        .filter(statuses::reblog_of_id.eq(existing.id))
        .filter(statuses::deleted_at.is_null())
        .select(statuses::account_id)
        .load(conn)?;
    for booster in boosters {
        notifications::notify(
            conn,
            booster,
            existing.account_id,
            "update",
            Some(existing.id),
        )?;
    }
    events::emit(Event::StatusUpdated {
        status_id: existing.id,
    });
    Ok(updated)
}

/// The author deleted a post (or a boost, whose id is the Announce's).
pub fn delete_status(conn: &mut DbConnection, actor_id: i64, ap_id: &str) -> Result<()> {
    let Some(status) = find_status_by_ap_id(conn, ap_id)? else {
        return Ok(());
    };
    if status.account_id != actor_id {
        return Err(Error::forbidden("A post can only be deleted by its author"));
    }
    if status.deleted_at.is_some() {
        return Ok(());
    }
    if status.reblog_of_id.is_some() {
        return undo_announce(conn, actor_id, &status.ap_id);
    }
    let now = Utc::now().naive_utc();
    diesel::update(statuses::table.find(status.id))
        .set((statuses::deleted_at.eq(now), statuses::updated_at.eq(now)))
        .execute(conn)?;
    diesel::update(accounts::table.find(actor_id))
        .set(accounts::statuses_count.eq(accounts::statuses_count - 1))
        .execute(conn)?;
    if let Some(parent) = status.in_reply_to_id {
        diesel::update(statuses::table.find(parent))
            .set(statuses::replies_count.eq(statuses::replies_count - 1))
            .execute(conn)?;
    }
    let boosts: Vec<i64> = statuses::table
        .filter(statuses::reblog_of_id.eq(status.id))
        .filter(statuses::deleted_at.is_null())
        .select(statuses::id)
        .load(conn)?;
    diesel::update(statuses::table.filter(statuses::id.eq_any(&boosts)))
        .set(statuses::deleted_at.eq(now))
        .execute(conn)?;
    for boost_id in boosts {
        events::emit(Event::StatusDeleted {
            status_id: boost_id,
        });
    }
    diesel::delete(notifications_table::table.filter(notifications_table::status_id.eq(status.id)))
        .execute(conn)?;
    events::emit(Event::StatusDeleted {
        status_id: status.id,
    });
    tracing::info!(status_id = status.id, "post of another department deleted");
    Ok(())
}

/// Someone of another department follows one of our employees. Unlocked accounts accept at
/// once (and we answer with Accept); locked ones get a follow request.
pub fn follow(
    conn: &mut DbConnection,
    follower_id: i64,
    target_id: i64,
    follow_ap_id: &str,
) -> Result<()> {
    let target: Account = accounts::table
        .find(target_id)
        .select(Account::as_select())
        .first(conn)?;
    if !target.is_local() || target.is_suspended() {
        return Err(Error::not_found());
    }
    let blocked: bool = diesel::select(diesel::dsl::exists(
        blocks::table
            .filter(blocks::account_id.eq(target_id))
            .filter(blocks::target_account_id.eq(follower_id)),
    ))
    .get_result(conn)?;
    if blocked {
        outbox::enqueue(
            conn,
            target_id,
            Outgoing::Reject {
                follow_ap_id: follow_ap_id.to_string(),
                follower_account_id: follower_id,
            },
        )?;
        return Ok(());
    }
    let existing: Option<Follow> = follows::table
        .filter(follows::account_id.eq(follower_id))
        .filter(follows::target_account_id.eq(target_id))
        .select(Follow::as_select())
        .first(conn)
        .optional()?;
    let now = Utc::now().naive_utc();
    let accepted = match existing {
        Some(existing) => {
            // A repeated Follow (their side lost our Accept): answer again.
            diesel::update(follows::table.find(existing.id))
                .set((
                    follows::ap_id.eq(Some(follow_ap_id)),
                    follows::updated_at.eq(now),
                ))
                .execute(conn)?;
            existing.accepted
        }
        None => {
            let accepted = !target.locked;
            diesel::insert_into(follows::table)
                .values(&Follow {
                    id: ids::next_id(),
                    account_id: follower_id,
                    target_account_id: target_id,
                    accepted,
                    show_reblogs: true,
                    notify: false,
                    ap_id: Some(follow_ap_id.to_string()),
                    created_at: now,
                    updated_at: now,
                })
                .execute(conn)?;
            if accepted {
                adjust_follow_counts(conn, follower_id, target_id, 1)?;
                notifications::notify(conn, target_id, follower_id, "follow", None)?;
            } else {
                notifications::notify(conn, target_id, follower_id, "follow_request", None)?;
            }
            accepted
        }
    };
    if accepted {
        outbox::enqueue(
            conn,
            target_id,
            Outgoing::Accept {
                follow_ap_id: follow_ap_id.to_string(),
                follower_account_id: follower_id,
            },
        )?;
    }
    Ok(())
}

fn adjust_follow_counts(
    conn: &mut DbConnection,
    follower: i64,
    target: i64,
    delta: i64,
) -> Result<()> {
    diesel::update(accounts::table.find(follower))
        .set(accounts::following_count.eq(accounts::following_count + delta))
        .execute(conn)?;
    diesel::update(accounts::table.find(target))
        .set(accounts::followers_count.eq(accounts::followers_count + delta))
        .execute(conn)?;
    Ok(())
}

/// Our pending follow of `target_id` (an account of another department) was accepted.
pub fn follow_accepted(
    conn: &mut DbConnection,
    target_id: i64,
    follow_ap_id: Option<&str>,
    follower_id: Option<i64>,
) -> Result<()> {
    let Some(follow) = find_our_follow(conn, target_id, follow_ap_id, follower_id)? else {
        return Ok(());
    };
    if !follow.accepted {
        diesel::update(follows::table.find(follow.id))
            .set((
                follows::accepted.eq(true),
                follows::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        adjust_follow_counts(conn, follow.account_id, target_id, 1)?;
        tracing::info!(
            follow_id = follow.id,
            "follow accepted by the other department"
        );
    }
    Ok(())
}

/// Our follow of `target_id` was rejected (or they removed us as a follower).
pub fn follow_rejected(
    conn: &mut DbConnection,
    target_id: i64,
    follow_ap_id: Option<&str>,
    follower_id: Option<i64>,
) -> Result<()> {
    let Some(follow) = find_our_follow(conn, target_id, follow_ap_id, follower_id)? else {
        return Ok(());
    };
    diesel::delete(follows::table.find(follow.id)).execute(conn)?;
    if follow.accepted {
        adjust_follow_counts(conn, follow.account_id, target_id, -1)?;
    }
    Ok(())
}

fn find_our_follow(
    conn: &mut DbConnection,
    target_id: i64,
    follow_ap_id: Option<&str>,
    follower_id: Option<i64>,
) -> Result<Option<Follow>> {
    if let Some(ap_id) = follow_ap_id {
        let found = follows::table
            .filter(follows::target_account_id.eq(target_id))
            .filter(follows::ap_id.eq(ap_id))
            .select(Follow::as_select())
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    // Some servers answer with their own id for our Follow: match by who follows whom.
    match follower_id {
        Some(follower) => Ok(follows::table
            .filter(follows::target_account_id.eq(target_id))
            .filter(follows::account_id.eq(follower))
            .select(Follow::as_select())
            .first(conn)
            .optional()?),
        None => Ok(None),
    }
}

/// Someone of another department stopped following (or withdrew their request).
pub fn undo_follow(conn: &mut DbConnection, follower_id: i64, target_id: i64) -> Result<()> {
    let existing: Option<Follow> = follows::table
        .filter(follows::account_id.eq(follower_id))
        .filter(follows::target_account_id.eq(target_id))
        .select(Follow::as_select())
        .first(conn)
        .optional()?;
    if let Some(f) = existing {
        diesel::delete(follows::table.find(f.id)).execute(conn)?;
        if f.accepted {
            adjust_follow_counts(conn, follower_id, target_id, -1)?;
        }
        let kind = if f.accepted {
            "follow"
        } else {
            "follow_request"
        };
        notifications::retract(conn, target_id, follower_id, kind, None)?;
    }
    Ok(())
}

/// A like from another department on one of our posts (or one we know).
pub fn like(
    conn: &mut DbConnection,
    actor_id: i64,
    status_id: i64,
    like_ap_id: &str,
) -> Result<()> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        favourites::table
            .filter(favourites::account_id.eq(actor_id))
            .filter(favourites::status_id.eq(status_id)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(());
    }
    // The rule of a local favourite: only a post its sender may see (visibility, blocks,
    // department-only); otherwise it does not exist for them.
    let status = find_visible(conn, Some(actor_id), status_id)?;
    diesel::insert_into(favourites::table)
        .values((
            favourites::id.eq(ids::next_id()),
            favourites::account_id.eq(actor_id),
            favourites::status_id.eq(status_id),
            favourites::ap_id.eq(Some(like_ap_id)),
            favourites::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    diesel::update(statuses::table.find(status_id))
        .set(statuses::favourites_count.eq(statuses::favourites_count + 1))
        .execute(conn)?;
    notifications::notify(
        conn,
        status.account_id,
        actor_id,
        "favourite",
        Some(status_id),
    )?;
    Ok(())
}

pub fn undo_like(conn: &mut DbConnection, actor_id: i64, status_id: i64) -> Result<()> {
    let removed = diesel::delete(
        favourites::table
            .filter(favourites::account_id.eq(actor_id))
            .filter(favourites::status_id.eq(status_id)),
    )
    .execute(conn)?;
    if removed > 0 {
        diesel::update(statuses::table.find(status_id))
            .set(statuses::favourites_count.eq(statuses::favourites_count - removed as i64))
            .execute(conn)?;
        let author: i64 = statuses::table
            .find(status_id)
            .select(statuses::account_id)
            .first(conn)?;
        notifications::retract(conn, author, actor_id, "favourite", Some(status_id))?;
    }
    Ok(())
}

/// A boost from another department. `announce_ap_id` becomes the boost's id.
pub fn announce(
    conn: &mut DbConnection,
    actor_id: i64,
    original_id: i64,
    announce_ap_id: &str,
    visibility: Visibility,
    published: NaiveDateTime,
) -> Result<()> {
    if find_status_by_ap_id(conn, announce_ap_id)?.is_some() {
        return Ok(());
    }
    // As a local boost: only a post the booster may see, and one that may be boosted.
    let original = find_visible(conn, Some(actor_id), original_id)
        .map_err(|_| Error::forbidden("This post cannot be boosted"))?;
    let original_visibility: Visibility = original.visibility.parse()?;
    if !original_visibility.is_boostable()
        || original_visibility == Visibility::Local
        || original.deleted_at.is_some()
    {
        return Err(Error::forbidden("This post cannot be boosted"));
    }
    let id = ids::next_id();
    diesel::insert_into(statuses::table)
        .values(&NewStatus {
            id,
            ap_id: announce_ap_id.to_string(),
            url: None,
            account_id: actor_id,
            local: false,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            in_reply_to_ap_id: None,
            reblog_of_id: Some(original.id),
            thread_root_id: None,
            content: String::new(),
            source_text: None,
            spoiler_text: String::new(),
            sensitive: false,
            visibility: visibility.as_str().to_string(),
            language: None,
            application_id: None,
            created_at: published,
            updated_at: published,
        })
        .execute(conn)?;
    diesel::update(statuses::table.find(original.id))
        .set(statuses::reblogs_count.eq(statuses::reblogs_count + 1))
        .execute(conn)?;
    diesel::update(accounts::table.find(actor_id))
        .set(accounts::statuses_count.eq(accounts::statuses_count + 1))
        .execute(conn)?;
    notifications::notify(
        conn,
        original.account_id,
        actor_id,
        "reblog",
        Some(original.id),
    )?;
    events::emit(Event::StatusCreated { status_id: id });
    Ok(())
}

/// Undo of a boost, by the Announce's id.
pub fn undo_announce(conn: &mut DbConnection, actor_id: i64, announce_ap_id: &str) -> Result<()> {
    let Some(boost) = find_status_by_ap_id(conn, announce_ap_id)? else {
        return Ok(());
    };
    let Some(original) = boost.reblog_of_id else {
        return Ok(());
    };
    if boost.account_id != actor_id {
        return Err(Error::forbidden("A boost can only be undone by its author"));
    }
    if boost.deleted_at.is_some() {
        return Ok(());
    }
    diesel::update(statuses::table.find(boost.id))
        .set(statuses::deleted_at.eq(Utc::now().naive_utc()))
        .execute(conn)?;
    diesel::update(statuses::table.find(original))
        .set(statuses::reblogs_count.eq(statuses::reblogs_count - 1))
        .execute(conn)?;
    diesel::update(accounts::table.find(actor_id))
        .set(accounts::statuses_count.eq(accounts::statuses_count - 1))
        .execute(conn)?;
    let author: i64 = statuses::table
        .find(original)
        .select(statuses::account_id)
        .first(conn)?;
    notifications::retract(conn, author, actor_id, "reblog", Some(original))?;
    events::emit(Event::StatusDeleted {
        status_id: boost.id,
    });
    Ok(())
}

/// Someone of another department blocked one of our employees: follows both ways end.
pub fn block(conn: &mut DbConnection, actor_id: i64, target_id: i64, ap_id: &str) -> Result<()> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        blocks::table
            .filter(blocks::account_id.eq(actor_id))
            .filter(blocks::target_account_id.eq(target_id)),
    ))
    .get_result(conn)?;
    if !exists {
        diesel::insert_into(blocks::table)
            .values((
                blocks::id.eq(ids::next_id()),
                blocks::account_id.eq(actor_id),
                blocks::target_account_id.eq(target_id),
                blocks::ap_id.eq(Some(ap_id)),
                blocks::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    undo_follow(conn, actor_id, target_id)?;
    // Our employee's follow of them ends too; no Undo is sent (their side already dropped it).
    follow_rejected(conn, actor_id, None, Some(target_id))?;
    Ok(())
}

pub fn undo_block(conn: &mut DbConnection, actor_id: i64, target_id: i64) -> Result<()> {
    diesel::delete(
        blocks::table
            .filter(blocks::account_id.eq(actor_id))
            .filter(blocks::target_account_id.eq(target_id)),
    )
    .execute(conn)?;
    Ok(())
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
