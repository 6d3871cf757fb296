//! Accounts as others see them: lookups, relationships (follow, block, mute), follow
//! requests, profile updates and account search.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::config::Settings;
use crate::context::AppContext;
use crate::db::models::{Account, Follow};
use crate::db::schema::{account_notes, accounts, blocks, follows, mutes, users};
use crate::db::{DbConnection, ids, lower};
use crate::error::{Error, Result};
use crate::service::remote;

use crate::service::origin::Origin;
use crate::service::outbox::{self, Outgoing};
use crate::service::pagination::Page;
use crate::service::text;
use crate::service::users::LocalUser;

pub const MAX_DISPLAY_NAME_CHARS: usize = 30;
pub const MAX_NOTE_CHARS: usize = 500;
pub const MAX_FIELDS: usize = 4;
pub const MAX_FIELD_CHARS: usize = 255;

/// Pending follow requests waiting for this account's answer.
pub fn follow_requests_count(conn: &mut DbConnection, account_id: i64) -> Result<i64> {
    Ok(follows::table
        .filter(follows::target_account_id.eq(account_id))
        .filter(follows::accepted.eq(false))
        .count()
        .get_result(conn)?)
}

/// An account that is not suspended.
pub fn find(conn: &mut DbConnection, id: i64) -> Result<Account> {
    accounts::table
        .find(id)
        .filter(accounts::suspended_at.is_null())
        .select(Account::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(Error::not_found)
}

/// An account by its address; one of another department we have not seen yet is asked of
/// its department.
pub async fn find_by_acct(ctx: &AppContext, acct: &str) -> Result<Account> {
    let settings = ctx.settings.clone();
    let wanted = acct.to_string();
    let found = ctx
        .db
        .read(move |conn| lookup(conn, &settings, &wanted))
        .await;
    match found {
        Err(e) if e.kind() == crate::error::ErrorKind::NotFound && acct.contains('@') => {
            remote::account(ctx, acct)
                .await
                .map_err(|_| Error::not_found())
        }
        other => other,
    }
}

/// `alice`, `@alice`, `alice@eng.corp.example` (our own domain) or `bob@sales.corp.example`.
pub fn lookup(conn: &mut DbConnection, settings: &Settings, acct: &str) -> Result<Account> {
    let acct = acct.trim().trim_start_matches('@').to_lowercase();
    let (username, domain) = match acct.split_once('@') {
        Some((u, d)) if d == settings.instance.domain.as_str() => (u.to_string(), None),
        Some((u, d)) => (u.to_string(), Some(d.to_string())),
        None => (acct.clone(), None),
    };
    let q = accounts::table
        .filter(accounts::username.eq(username))
        .filter(accounts::suspended_at.is_null())
        .select(Account::as_select())
        .into_boxed();
    let q = match domain {
        None => q.filter(accounts::domain.is_null()),
        Some(d) => q.filter(accounts::domain.eq(d)),
    };
    q.first(conn).optional()?.ok_or_else(Error::not_found)
}

/// Accounts waiting for `me` to answer their follow request (paged by the request).
pub fn follow_requests(
    conn: &mut DbConnection,
    me: i64,
    page: &Page,
) -> Result<Vec<(i64, Account)>> {
    follow_page(conn, Side::Followers, me, false, page)
}

/// Who follows `account_id` (accepted), newest first.
pub fn followers(
    conn: &mut DbConnection,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, Account)>> {
    find(conn, account_id)?;
    follow_page(conn, Side::Followers, account_id, true, page)
}

/// Whom `account_id` follows (accepted), newest first.
pub fn following(
    conn: &mut DbConnection,
    account_id: i64,
    page: &Page,
) -> Result<Vec<(i64, Account)>> {
    find(conn, account_id)?;
    follow_page(conn, Side::Following, account_id, true, page)
}

/// Which end of a follow a list shows.
#[derive(Clone, Copy)]
enum Side {
    /// The accounts following `account_id`.
    Followers,
    /// The accounts `account_id` follows.
    Following,
}

/// A page of follows of `account_id`, newest first, with the account at the other end
/// (suspended accounts left out), paged by the follow's id. Two queries.
fn follow_page(
    conn: &mut DbConnection,
    side: Side,
    account_id: i64,
    accepted: bool,
    page: &Page,
) -> Result<Vec<(i64, Account)>> {
    let mut q = follows::table
        .filter(follows::accepted.eq(accepted))
        .select((follows::id, follows::account_id, follows::target_account_id))
        .into_boxed();
    q = match side {
        Side::Followers => q.filter(follows::target_account_id.eq(account_id)),
        Side::Following => q.filter(follows::account_id.eq(account_id)),
    };
    if let Some(max) = page.max_id {
        q = q.filter(follows::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(follows::id.gt(since));
    }
    let edges: Vec<(i64, i64, i64)> = q.order(follows::id.desc()).limit(page.limit).load(conn)?;
    let edges = edges
        .into_iter()
        .map(|(id, follower, target)| match side {
            Side::Followers => (id, follower),
            Side::Following => (id, target),
        })
        .collect();
    with_accounts(conn, edges)
}

/// `(row id, account id)` pairs with their accounts, in order; suspended accounts left out.
/// One query.
fn with_accounts(conn: &mut DbConnection, edges: Vec<(i64, i64)>) -> Result<Vec<(i64, Account)>> {
    let ids: Vec<i64> = edges.iter().map(|(_, account)| *account).collect();
    let mut found: std::collections::HashMap<i64, Account> = accounts::table
        .filter(accounts::id.eq_any(&ids))
        .filter(accounts::suspended_at.is_null())
        .select(Account::as_select())
        .load(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(edges
        .into_iter()
        .filter_map(|(id, account)| found.remove(&account).map(|a| (id, a)))
        .collect())
}

/// The accounts `me` mutes (mutes that have not run out), newest mute first, paged by the
/// mute's id, with when each runs out.
pub fn mutes(
    conn: &mut DbConnection,
    me: i64,
    page: &Page,
) -> Result<Vec<(i64, Account, Option<chrono::NaiveDateTime>)>> {
    let now = Utc::now().naive_utc();
    let mut q = mutes::table
        .filter(mutes::account_id.eq(me))
        .filter(mutes::expires_at.is_null().or(mutes::expires_at.gt(now)))
        .select((mutes::id, mutes::target_account_id, mutes::expires_at))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(mutes::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(mutes::id.gt(since));
    }
    let rows: Vec<(i64, i64, Option<chrono::NaiveDateTime>)> =
        q.order(mutes::id.desc()).limit(page.limit).load(conn)?;
    let expiry: std::collections::HashMap<i64, Option<chrono::NaiveDateTime>> =
        rows.iter().map(|(id, _, until)| (*id, *until)).collect();
    let edges = rows
        .into_iter()
        .map(|(id, target, _)| (id, target))
        .collect();
    Ok(with_accounts(conn, edges)?
        .into_iter()
        .map(|(id, account)| (id, account, expiry.get(&id).copied().flatten()))
        .collect())
}

/// The accounts `me` blocks, newest block first, paged by the block's id.
pub fn blocks(conn: &mut DbConnection, me: i64, page: &Page) -> Result<Vec<(i64, Account)>> {
    let mut q = blocks::table
        .filter(blocks::account_id.eq(me))
        .select((blocks::id, blocks::target_account_id))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(blocks::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(blocks::id.gt(since));
    }
    let edges: Vec<(i64, i64)> = q.order(blocks::id.desc()).limit(page.limit).load(conn)?;
    with_accounts(conn, edges)
}

/// For each of `ids`, the accounts `me` follows that follow it (Mastodon's familiar
/// followers), suspended ones left out, at most `per_account` each. Two queries.
pub fn familiar_followers(
    conn: &mut DbConnection,
    me: i64,
    ids: &[i64],
    per_account: usize,
) -> Result<Vec<(i64, Vec<Account>)>> {
    let followed = diesel::alias!(follows as followed);
    let mine = followed
        .filter(followed.field(follows::account_id).eq(me))
        .filter(followed.field(follows::accepted).eq(true))
        .select(followed.field(follows::target_account_id));
    let edges: Vec<(i64, i64)> = follows::table
        .filter(follows::target_account_id.eq_any(ids))
        .filter(follows::accepted.eq(true))
        .filter(follows::account_id.eq_any(mine))
        .filter(follows::account_id.ne(me))
        .order(follows::id.desc())
        .select((follows::target_account_id, follows::account_id))
        .load(conn)?;
    let wanted: Vec<i64> = edges.iter().map(|(_, follower)| *follower).collect();
    let known: std::collections::HashMap<i64, Account> = accounts::table
        .filter(accounts::id.eq_any(&wanted))
        .filter(accounts::suspended_at.is_null())
        .select(Account::as_select())
        .load(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    Ok(ids
        .iter()
        .map(|&id| {
            let familiar = edges
                .iter()
                .filter(|(target, _)| *target == id)
                .filter_map(|(_, follower)| known.get(follower).cloned())
                .take(per_account)
                .collect();
            (id, familiar)
        })
        .collect())
}

/// Accounts by id (suspended ones and the instance actor left out), in the order asked.
/// For `GET /api/v1/accounts?id[]=`.
pub fn many(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<Account>> {
    let edges = ids.iter().map(|id| (*id, *id)).collect();
    Ok(with_accounts(conn, edges)?
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| a.id != 0)
        .collect())
}

/// Mute: hide their posts from timelines (and, by default, their notifications), optionally
/// for `duration_secs`.
pub fn mute(
    conn: &mut DbConnection,
    me: i64,
    target_id: i64,
    hide_notifications: bool,
    duration_secs: Option<u32>,
) -> Result<()> {
    let target = find(conn, target_id)?;
    if target.id == me {
        return Err(Error::forbidden("You cannot mute yourself"));
    }
    diesel::delete(
        mutes::table
            .filter(mutes::account_id.eq(me))
            .filter(mutes::target_account_id.eq(target.id)),
    )
    .execute(conn)?;
    let now = Utc::now().naive_utc();
    diesel::insert_into(mutes::table)
        .values((
            mutes::id.eq(ids::next_id()),
            mutes::account_id.eq(me),
            mutes::target_account_id.eq(target.id),
            mutes::hide_notifications.eq(hide_notifications),
            mutes::expires_at.eq(duration_secs
                .filter(|d| *d > 0)
                .map(|d| now + Duration::seconds(i64::from(d)))),
            mutes::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn unmute(conn: &mut DbConnection, me: i64, target_id: i64) -> Result<()> {
    find(conn, target_id)?;
    diesel::delete(
        mutes::table
            .filter(mutes::account_id.eq(me))
            .filter(mutes::target_account_id.eq(target_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Remove mutes whose time is up (called before reading relationships and timelines).
pub fn expire_mutes(conn: &mut DbConnection) -> Result<()> {
    diesel::delete(mutes::table.filter(mutes::expires_at.lt(Utc::now().naive_utc())))
        .execute(conn)?;
    Ok(())
}

/// Mastodon's Relationship, computed for many accounts in a fixed number of queries.
#[derive(Debug, Clone, Default)]
pub struct Relationship {
    pub id: i64,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    /// The viewer's private note about the account.
    pub note: String,
    /// The viewer features the account on their profile.
    pub endorsed: bool,
    /// The viewer blocks the account's department.
    pub domain_blocking: bool,
}

pub fn relationships(conn: &mut DbConnection, me: i64, ids: &[i64]) -> Result<Vec<Relationship>> {
    let mine: Vec<Follow> = follows::table
        .filter(follows::account_id.eq(me))
        .filter(follows::target_account_id.eq_any(ids))
        .select(Follow::as_select())
        .load(conn)?;
    let theirs: Vec<Follow> = follows::table
        .filter(follows::target_account_id.eq(me))
        .filter(follows::account_id.eq_any(ids))
        .select(Follow::as_select())
        .load(conn)?;
    let blocking: HashSet<i64> = blocks::table
        .filter(blocks::account_id.eq(me))
        .filter(blocks::target_account_id.eq_any(ids))
        .select(blocks::target_account_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let blocked_by: HashSet<i64> = blocks::table
        .filter(blocks::target_account_id.eq(me))
        .filter(blocks::account_id.eq_any(ids))
        .select(blocks::account_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let muting: Vec<(i64, bool)> = mutes::table
        .filter(mutes::account_id.eq(me))
        .filter(mutes::target_account_id.eq_any(ids))
        .select((mutes::target_account_id, mutes::hide_notifications))
        .load(conn)?;
    let mut notes: std::collections::HashMap<i64, String> = account_notes::table
        .filter(account_notes::account_id.eq(me))
        .filter(account_notes::target_account_id.eq_any(ids))
        .select((account_notes::target_account_id, account_notes::comment))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let endorsed: HashSet<i64> = crate::service::featured::endorsing(conn, me, ids)?
        .into_iter()
        .collect();
    let domain_blocking: HashSet<i64> = crate::service::domain_blocks::among(conn, me, ids)?
        .into_iter()
        .collect();
    Ok(ids
        .iter()
        .map(|&id| {
            let out_follow = mine.iter().find(|f| f.target_account_id == id);
            let in_follow = theirs.iter().find(|f| f.account_id == id);
            let mute = muting.iter().find(|(t, _)| *t == id);
            Relationship {
                id,
                following: out_follow.is_some_and(|f| f.accepted),
                requested: out_follow.is_some_and(|f| !f.accepted),
                showing_reblogs: out_follow.is_some_and(|f| f.accepted && f.show_reblogs),
                notifying: out_follow.is_some_and(|f| f.accepted && f.notify),
                followed_by: in_follow.is_some_and(|f| f.accepted),
                requested_by: in_follow.is_some_and(|f| !f.accepted),
                blocking: blocking.contains(&id),
                blocked_by: blocked_by.contains(&id),
                muting: mute.is_some(),
                muting_notifications: mute.is_some_and(|(_, n)| *n),
                note: notes.remove(&id).unwrap_or_default(),
                endorsed: endorsed.contains(&id),
                domain_blocking: domain_blocking.contains(&id),
            }
        })
        .collect())
}

/// Longest private note about an account, in characters (Mastodon's).
pub const MAX_ACCOUNT_NOTE_CHARS: usize = 2000;

/// An employee writes (or, with an empty comment, removes) their private note about an
/// account. Nobody else ever sees it.
pub fn set_note(conn: &mut DbConnection, me: i64, target_id: i64, comment: &str) -> Result<()> {
    let target = find(conn, target_id)?;
    let comment = comment.trim();
    if comment.chars().count() > MAX_ACCOUNT_NOTE_CHARS {
        return Err(Error::unprocessable(format!(
            "Validation failed: Comment is too long (maximum is {MAX_ACCOUNT_NOTE_CHARS} characters)"
        )));
    }
    diesel::delete(
        account_notes::table
            .filter(account_notes::account_id.eq(me))
            .filter(account_notes::target_account_id.eq(target.id)),
    )
    .execute(conn)?;
    if !comment.is_empty() {
        diesel::insert_into(account_notes::table)
            .values((
                account_notes::account_id.eq(me),
                account_notes::target_account_id.eq(target.id),
                account_notes::comment.eq(comment),
                account_notes::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The profile limits hold for every profile, an employee's or another department's. An
/// employee over a limit is told so; another department's profile is cut to the limits,
/// since refusing it would lose the account and all it says.
pub(crate) fn limited(value: &str, max: usize, what: &str, origin: Origin) -> Result<String> {
    let value = value.trim();
    if value.chars().count() <= max {
        return Ok(value.to_string());
    }
    match origin {
        Origin::Local => Err(Error::unprocessable(format!(
            "Validation failed: {what} too long (maximum is {max} characters)"
        ))),
        Origin::Remote { .. } => Ok(value.chars().take(max).collect()),
    }
}

/// At most [`MAX_FIELDS`] profile fields, from either origin (see [`limited`]).
pub(crate) fn limited_fields<T>(mut fields: Vec<T>, origin: Origin) -> Result<Vec<T>> {
    if fields.len() > MAX_FIELDS {
        if origin == Origin::Local {
            return Err(Error::unprocessable(format!(
                "Validation failed: at most {MAX_FIELDS} profile fields"
            )));
        }
        fields.truncate(MAX_FIELDS);
    }
    Ok(fields)
}

/// A profile field as Mastodon's `fields` show it (name as text, value as HTML).
pub(crate) fn field_json(name: &str, value_html: String) -> serde_json::Value {
    serde_json::json!({ "name": text::escape(name), "value": value_html, "verified_at": null })
}

/// The names (as fields store them, escaped) of an employee's fields from the company
/// directory.
fn directory_labels(user: &crate::db::models::User) -> Vec<String> {
    serde_json::from_str::<Vec<serde_json::Value>>(&user.directory_fields)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.get("name")?.as_str().map(text::escape))
        .collect()
}

fn is_directory_field(field: &serde_json::Value, labels: &[String]) -> bool {
    field
        .get("name")
        .and_then(|n| n.as_str())
        .is_some_and(|n| labels.iter().any(|l| l == n))
}

/// At a company sign-in: the profile fields the identity provider gives (`(label, value)`,
/// `auth.oidc.profile_fields`) become the first fields of the profile, marked verified
/// (`verified_at`: the company directory vouches for them), replacing the ones it gave
/// before; the employee's own fields follow (at most [`MAX_FIELDS`] in all). Unchanged
/// claims change nothing; a change reaches the other departments as a profile update.
pub fn set_directory_fields(
    conn: &mut DbConnection,
    mut found: LocalUser,
    fields: &[(String, String)],
) -> Result<LocalUser> {
    let stored = serde_json::Value::Array(
        fields
            .iter()
            .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
            .collect(),
    )
    .to_string();
    if stored == found.user.directory_fields {
        return Ok(found);
    }
    let mut labels = directory_labels(&found.user);
    labels.extend(fields.iter().map(|(name, _)| text::escape(name)));
    let verified = Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let mut out: Vec<serde_json::Value> = fields
        .iter()
        .map(|(name, value)| {
            let mut f = field_json(name, text::escape(value));
            f["verified_at"] = serde_json::Value::String(verified.clone());
            f
        })
        .collect();
    out.extend(
        serde_json::from_str::<Vec<serde_json::Value>>(&found.account.fields)
            .unwrap_or_default()
            .into_iter()
            .filter(|f| !is_directory_field(f, &labels)),
    );
    out.truncate(MAX_FIELDS);
    let now = Utc::now().naive_utc();
    found.account = diesel::update(accounts::table.find(found.account.id))
        .set((
            accounts::fields.eq(serde_json::Value::Array(out).to_string()),
            accounts::updated_at.eq(now),
        ))
        .returning(accounts::all_columns)
        .get_result(conn)?;
    found.user = diesel::update(users::table.find(found.user.id))
        .set(users::directory_fields.eq(&stored))
        .returning(users::all_columns)
        .get_result(conn)?;
    outbox::enqueue(conn, found.account.id, Outgoing::UpdateProfile)?;
    Ok(found)
}

/// A profile field as its employee edits it: name and value as text, and whether it came
/// from the company directory (then it is shown, never edited).
#[derive(Debug, Clone)]
pub struct OwnField {
    pub name: String,
    pub value: String,
    pub from_directory: bool,
}

/// An employee's profile fields, for editing (the directory's first).
pub fn own_fields(me: &LocalUser) -> Vec<OwnField> {
    let labels = directory_labels(&me.user);
    serde_json::from_str::<Vec<serde_json::Value>>(&me.account.fields)
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let text_of =
                |key: &str| text::plain_text(f.get(key).and_then(|v| v.as_str()).unwrap_or(""));
            OwnField {
                name: text_of("name"),
                value: text_of("value"),
                from_directory: is_directory_field(f, &labels),
            }
        })
        .collect()
}

/// A profile field as the employee typed it.
#[derive(Debug, Clone)]
pub struct FieldInput {
    pub name: String,
    pub value: String,
}

/// `PATCH /api/v1/accounts/update_credentials`, without images.
#[derive(Debug, Default, Clone)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub discoverable: Option<bool>,
    pub fields: Option<Vec<FieldInput>>,
    pub privacy: Option<crate::service::visibility::Visibility>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    /// Public URL of a new avatar / header already stored (see `media::process_profile_image`).
    pub avatar_url: Option<String>,
    pub header_url: Option<String>,
}

#[tracing::instrument(skip_all, fields(account_id = me.account.id))]
pub fn update_profile(
    conn: &mut DbConnection,
    settings: &Settings,
    me: &LocalUser,
    update: ProfileUpdate,
) -> Result<LocalUser> {
    let now = Utc::now().naive_utc();
    let base = settings.instance.base();
    let base = base.as_str();
    let mut account = me.account.clone();
    if let Some(name) = update.display_name {
        account.display_name = limited(
            &name,
            MAX_DISPLAY_NAME_CHARS,
            "Display name is",
            Origin::Local,
        )?;
    }
    if let Some(note) = update.note {
        limited(&note, MAX_NOTE_CHARS, "Note is", Origin::Local)?;
        account.note = text::render(&note, base, &Default::default());
        account.note_source = Some(note);
    }
    if let Some(fields) = update.fields {
        // The company directory's fields stay first and as they are: what an app sends back
        // under their names is not taken.
        let labels = directory_labels(&me.user);
        let mut out: Vec<serde_json::Value> =
            serde_json::from_str::<Vec<serde_json::Value>>(&account.fields)
                .unwrap_or_default()
                .into_iter()
                .filter(|f| is_directory_field(f, &labels))
                .collect();
        let fields: Vec<FieldInput> = fields
            .into_iter()
            .filter(|f| !labels.contains(&text::escape(f.name.trim())))
            .collect();
        for f in limited_fields(fields, Origin::Local)? {
            let name = limited(&f.name, MAX_FIELD_CHARS, "Fields are", Origin::Local)?;
            limited(&f.value, MAX_FIELD_CHARS, "Fields are", Origin::Local)?;
            if name.is_empty() && f.value.trim().is_empty() {
                continue;
            }
            let value_html = text::render(&f.value, base, &Default::default());
            // A single-line value renders as one paragraph; Mastodon shows fields without <p>.
            let value_html = value_html
                .strip_prefix("<p>")
                .and_then(|v| v.strip_suffix("</p>"))
                .map(String::from)
                .unwrap_or(value_html);
            out.push(field_json(&name, value_html));
        }
        out.truncate(MAX_FIELDS);
        account.fields = serde_json::Value::Array(out).to_string();
    }
    let account: Account = diesel::update(accounts::table.find(account.id))
        .set((
            accounts::display_name.eq(&account.display_name),
            accounts::note.eq(&account.note),
            accounts::note_source.eq(&account.note_source),
            accounts::fields.eq(&account.fields),
            accounts::locked.eq(update.locked.unwrap_or(account.locked)),
            accounts::bot.eq(update.bot.unwrap_or(account.bot)),
            accounts::discoverable.eq(update.discoverable.unwrap_or(account.discoverable)),
            accounts::avatar_url.eq(update.avatar_url.or(account.avatar_url.clone())),
            accounts::header_url.eq(update.header_url.or(account.header_url.clone())),
            accounts::updated_at.eq(now),
        ))
        .returning(accounts::all_columns)
        .get_result(conn)?;
    let language = match update.language {
        Some(l) if l.trim().is_empty() => Some(None),
        Some(l) => Some(Some(l.trim().to_ascii_lowercase())),
        None => None,
    };
    let user = diesel::update(users::table.find(me.user.id))
        .set((
            users::default_visibility.eq(update
                .privacy
                .map(|v| v.as_str().to_string())
                .or(me.user.default_visibility.clone())),
            users::default_sensitive.eq(update.sensitive.unwrap_or(me.user.default_sensitive)),
            users::default_language.eq(language.unwrap_or(me.user.default_language.clone())),
            users::updated_at.eq(now),
        ))
        .returning(users::all_columns)
        .get_result(conn)?;
    outbox::enqueue(conn, account.id, Outgoing::UpdateProfile)?;
    crate::service::users::changed(conn, account.id)?;
    Ok(LocalUser { user, account })
}

/// Which picture of a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileImage {
    Avatar,
    Header,
}

impl ProfileImage {
    /// The size an uploaded picture is cut to (Mastodon's: a square avatar, a 3:1 header).
    fn size(self) -> (u32, u32) {
        match self {
            ProfileImage::Avatar => (400, 400),
            ProfileImage::Header => (1500, 500),
        }
    }

    fn name(self) -> &'static str {
        match self {
            ProfileImage::Avatar => "avatar",
            ProfileImage::Header => "header",
        }
    }
}

/// An employee changes their profile (`PATCH /api/v1/accounts/update_credentials`, the
/// profile settings page): each uploaded picture (a file already within
/// `limits.max_image_bytes`) is decoded within `limits.max_image_pixels`, cut to its size,
/// re-encoded and stored, then the change is written as [`update_profile`].
#[tracing::instrument(skip_all, fields(account_id = me.account.id))]
pub async fn update_credentials(
    ctx: &AppContext,
    me: LocalUser,
    mut update: ProfileUpdate,
    images: Vec<(ProfileImage, std::path::PathBuf)>,
) -> Result<LocalUser> {
    if update.privacy == Some(crate::service::visibility::Visibility::Direct) {
        return Err(Error::unprocessable(
            "Validation failed: default privacy cannot be direct",
        ));
    }
    for (which, path) in images {
        let settings = ctx.settings.clone();
        let url = tokio::task::spawn_blocking(move || -> Result<String> {
            let (width, height) = which.size();
            let (bytes, ext) = crate::service::media::process_profile_image(
                &path,
                settings.limits.max_image_pixels,
                width,
                height,
            )?;
            let file_name = format!("{}.{ext}", which.name());
            let folder = crate::service::media::store_files(&settings, &[(&file_name, &bytes)])?;
            Ok(crate::service::media::public_url(
                &settings,
                &format!("{folder}/{file_name}"),
            ))
        })
        .await??;
        match which {
            ProfileImage::Avatar => update.avatar_url = Some(url),
            ProfileImage::Header => update.header_url = Some(url),
        }
    }
    let settings = ctx.settings.clone();
    ctx.db
        .write(move |conn| update_profile(conn, &settings, &me, update))
        .await
}

/// An employee removes their avatar or header: the default one is shown again, here and in
/// the other departments.
pub fn remove_profile_image(
    conn: &mut DbConnection,
    me: &LocalUser,
    which: ProfileImage,
) -> Result<LocalUser> {
    let now = Utc::now().naive_utc();
    let target = accounts::table.find(me.account.id);
    let account: Account = match which {
        ProfileImage::Avatar => diesel::update(target)
            .set((
                accounts::avatar_url.eq(None::<String>),
                accounts::updated_at.eq(now),
            ))
            .returning(accounts::all_columns)
            .get_result(conn)?,
        ProfileImage::Header => diesel::update(target)
            .set((
                accounts::header_url.eq(None::<String>),
                accounts::updated_at.eq(now),
            ))
            .returning(accounts::all_columns)
            .get_result(conn)?,
    };
    outbox::enqueue(conn, account.id, Outgoing::UpdateProfile)?;
    crate::service::users::changed(conn, account.id)?;
    Ok(LocalUser {
        user: me.user.clone(),
        account,
    })
}

/// Accounts whose username or display name starts with `query` (case-insensitive),
/// local ones first. With `following`, only accounts `me` follows.
pub fn search(
    conn: &mut DbConnection,
    me: Option<i64>,
    query: &str,
    following_only: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<Account>> {
    let q = query.trim().trim_start_matches('@');
    let (name, domain) = match q.split_once('@') {
        Some((n, d)) => (n.to_lowercase(), Some(d.to_lowercase())),
        None => (q.to_lowercase(), None),
    };
    if name.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!(
        "{}%",
        name.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let mut query = accounts::table
        .filter(accounts::suspended_at.is_null())
        .filter(
            accounts::username
                .like(pattern.clone())
                .escape('\\')
                .or(lower(accounts::display_name).like(pattern).escape('\\')),
        )
        .select(Account::as_select())
        .into_boxed();
    if let Some(d) = domain {
        query = query.filter(accounts::domain.like(format!("{d}%")));
    }
    if following_only {
        let me = me.ok_or_else(|| Error::unprocessable("following=true needs a user token"))?;
        query = query.filter(
            accounts::id.eq_any(
                follows::table
                    .filter(follows::account_id.eq(me))
                    .filter(follows::accepted.eq(true))
                    .select(follows::target_account_id),
            ),
        );
    }
    Ok(query
        .order((accounts::domain.is_not_null(), accounts::username.asc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?)
}
