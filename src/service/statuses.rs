//! Posting and everything done to a post: create, edit, delete, favourite, boost, bookmark,
//! pin, and reading threads.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::config::Settings;
use crate::context::AppContext;
use crate::db::models::{Account, NewStatus, Status, StatusEdit, Tag};
use crate::db::schema::{
    accounts, bookmarks, favourites, follows, idempotency_keys, mentions, status_edits,
    status_pins, status_tags, statuses, tags,
};
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, Result};
use crate::service::events::{self, Event};
use crate::service::feeds;
use crate::service::origin::Origin;
use crate::service::outbox::{self, Outgoing};
use crate::service::pagination::Page;
use crate::service::policy::{self, Facts, Subject, Verdict};
use crate::service::polls::{self, PollInput};
use crate::service::remote;
use crate::service::text::{self, MentionLink, MentionRef};
use crate::service::usage_policy;
use crate::service::users::LocalUser;
use crate::service::views::{self, StatusView};
use crate::service::visibility::{
    Viewer, Visibility, find_visible, find_visible_to, not_muted_by, visible_to,
};
use crate::service::{media, notifications};

/// Most statuses an employee may pin to their profile (Mastodon's limit).
pub const MAX_PINNED: i64 = 5;
/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// What a client sends to post.
#[derive(Debug, Default, Clone)]
pub struct NewPost {
    pub text: String,
    pub in_reply_to_id: Option<i64>,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub visibility: Option<Visibility>,
    pub language: Option<String>,
    pub media_ids: Vec<String>,
    pub poll: Option<PollInput>,
    pub idempotency_key: Option<String>,
    pub application_id: Option<i64>,
}

/// What a client sends to edit.
#[derive(Debug, Default, Clone)]
pub struct Edit {
    pub text: String,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub language: Option<String>,
    pub media_ids: Vec<String>,
    pub has_poll: bool,
}

fn base(settings: &Settings) -> String {
    settings.instance.base()
}

fn check_language(language: Option<String>) -> Result<Option<String>> {
    match language
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty())
    {
        None => Ok(None),
        Some(l) if (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()) => {
            Ok(Some(l))
        }
        Some(l) => Err(Error::unprocessable(format!(
            "Validation failed: Language `{l}` is not an ISO 639 language code"
        ))),
    }
}

fn check_text(
    settings: &Settings,
    text: &str,
    spoiler: &str,
    media: &[String],
    poll: bool,
) -> Result<()> {
    if poll && !media.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: A post cannot have both media and a poll",
        ));
    }
    if text.trim().is_empty() && media.is_empty() {
        return Err(Error::unprocessable(
            "Validation failed: Text can't be blank",
        ));
    }
    check_length(settings, text::count_chars(text), spoiler)
}

/// The character limit, the same for every post whichever department wrote it: the text
/// (links count as 23) and the content warning together.
fn check_length(settings: &Settings, text_chars: usize, spoiler: &str) -> Result<()> {
    let max = settings.limits.max_status_chars;
    if text_chars + spoiler.trim().chars().count() > max {
        return Err(Error::unprocessable(format!(
            "Validation failed: Text character limit of {max} exceeded"
        )));
    }
    Ok(())
}

/// Resolve typed mentions to known accounts: local employees, and accounts of other
/// departments we already know.
fn resolve_mentions(
    conn: &mut DbConnection,
    settings: &Settings,
    refs: &[MentionRef],
) -> Result<Vec<(MentionRef, Account)>> {
    let own_domain = settings.instance.domain.as_str();
    let mut found = Vec::new();
    for r in refs.iter().take(50) {
        let q = accounts::table
            .filter(accounts::username.eq(&r.username))
            .filter(accounts::suspended_at.is_null())
            .select(Account::as_select())
            .into_boxed();
        let q = match r.domain.as_deref() {
            None => q.filter(accounts::domain.is_null()),
            Some(d) if d == own_domain => q.filter(accounts::domain.is_null()),
            Some(d) => q.filter(accounts::domain.eq(d.to_string())),
        };
        if let Some(account) = q.first(conn).optional()? {
            found.push((r.clone(), account));
        }
    }
    Ok(found)
}

fn mention_links(resolved: &[(MentionRef, Account)]) -> HashMap<MentionRef, MentionLink> {
    resolved
        .iter()
        .map(|(r, a)| {
            (
                r.clone(),
                MentionLink {
                    url: a.url.clone().unwrap_or_else(|| a.ap_id.clone()),
                    username: a.username.clone(),
                },
            )
        })
        .collect()
}

/// Find or create each hashtag (case-insensitively), returning their ids.
pub(crate) fn upsert_tags(conn: &mut DbConnection, names: &[String]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for display in names.iter().take(30) {
        let name = display.to_lowercase();
        let existing: Option<i64> = tags::table
            .filter(tags::name.eq(&name))
            .select(tags::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                let row = Tag {
                    id: ids::next_id(),
                    name: name.clone(),
                    display_name: display.clone(),
                    created_at: Utc::now().naive_utc(),
                };
                // A savepoint, so a concurrent insert of the same tag does not abort us.
                let inserted =
                    conn.transaction(|c| diesel::insert_into(tags::table).values(&row).execute(c));
                match inserted {
                    Ok(_) => row.id,
                    Err(e) if is_unique_violation(&e) => tags::table
                        .filter(tags::name.eq(&name))
                        .select(tags::id)
                        .first(conn)?,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        out.push(id);
    }
    Ok(out)
}

pub(crate) fn set_tags(conn: &mut DbConnection, status_id: i64, names: &[String]) -> Result<()> {
    diesel::delete(status_tags::table.filter(status_tags::status_id.eq(status_id)))
        .execute(conn)?;
    for tag_id in upsert_tags(conn, names)? {
        diesel::insert_into(status_tags::table)
            .values((
                status_tags::status_id.eq(status_id),
                status_tags::tag_id.eq(tag_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Most links of one post recorded for link trends and the link timeline.
pub const MAX_LINKS_PER_STATUS: usize = 20;
/// Longest link recorded (longer ones are left out of trends and the link timeline).
pub const MAX_LINK_CHARS: usize = 2048;

/// Record the links of a post's text (not its mentions and hashtags): the `http(s)` ones
/// ([`normalize_link`]), at most [`MAX_LINKS_PER_STATUS`].
pub(crate) fn set_links(conn: &mut DbConnection, status_id: i64, content: &str) -> Result<()> {
    use crate::db::schema::status_links;
    diesel::delete(status_links::table.filter(status_links::status_id.eq(status_id)))
        .execute(conn)?;
    let mut links: Vec<String> = Vec::new();
    for link in crate::service::text::links_in_html(content) {
        if let Some(link) = normalize_link(&link)
            && !links.contains(&link)
            && links.len() < MAX_LINKS_PER_STATUS
        {
            links.push(link);
        }
    }
    for link in links {
        diesel::insert_into(status_links::table)
            .values((
                status_links::status_id.eq(status_id),
                status_links::url.eq(link),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A link as recorded (`https://a.example` and `https://a.example/` are one link), or
/// `None` for what is not an `http(s)` link or is longer than [`MAX_LINK_CHARS`].
pub fn normalize_link(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.as_str().chars().count() <= MAX_LINK_CHARS)
        .then(|| url.as_str().to_string())
}

/// Add mentions not yet recorded; returns the newly mentioned account ids.
pub(crate) fn add_mentions(
    conn: &mut DbConnection,
    status_id: i64,
    accounts: &[i64],
) -> Result<Vec<i64>> {
    let existing: HashSet<i64> = mentions::table
        .filter(mentions::status_id.eq(status_id))
        .select(mentions::account_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
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

/// An employee posts: the accounts of other departments the post mentions are fetched first
/// (outside the transaction), the policy rules judge it (a read, then matching with no
/// connection held), then it is published, then read back as its author sees it.
///
/// Returns the status, and what the rules said of it (for the author to see why it was
/// held or changed).
pub async fn post(
    ctx: &AppContext,
    author: LocalUser,
    post: NewPost,
) -> Result<(StatusView, Verdict)> {
    usage_policy::require_accepted(ctx, &author.account).await?;
    if post.visibility != Some(Visibility::Local) {
        remote::mentioned_accounts(ctx, &post.text).await;
    }
    let verdict = {
        let (author, post) = (author.clone(), post.clone());
        policy::judge(ctx, move |conn, settings| {
            post_facts(conn, settings, &author, &post)
        })
        .await?
    };
    policy::refuse_if_rejected(ctx, &verdict, author.account.id).await?;
    let settings = ctx.settings.clone();
    let me = author.account.id;
    let judged = verdict.clone();
    let status = ctx
        .db
        .write(move |conn| create(conn, &settings, &author, post, judged))
        .await?;
    let caches = ctx.caches.clone();
    let view = ctx
        .db
        .read(move |conn| {
            views::hydrate_cached(conn, &caches.statuses, Some(me), vec![status])?
                .pop()
                .ok_or_else(Error::not_found)
        })
        .await?;
    Ok((view, verdict))
}

/// Whether a draft may be posted as it is: the rules it would match, for a compose box to
/// warn while the employee types. Nothing is stored or recorded; dry-run rules are left out.
pub async fn check_draft(ctx: &AppContext, author: LocalUser, post: NewPost) -> Result<Verdict> {
    let mut verdict = policy::judge(ctx, move |conn, settings| {
        post_facts(conn, settings, &author, &post)
    })
    .await?;
    verdict.matches.retain(|m| !m.dry_run);
    Ok(verdict)
}

/// The visibility a post gets: the one asked for, else the employee's default, else the
/// department's.
fn chosen_visibility(
    settings: &Settings,
    author: &LocalUser,
    asked: Option<Visibility>,
) -> Result<Visibility> {
    match asked {
        Some(v) => Ok(v),
        None => match author.user.default_visibility.as_deref() {
            Some(v) => v.parse(),
            None => settings.instance.default_visibility.as_str().parse(),
        },
    }
}

/// What the rules look at in an employee's new post.
fn post_facts(
    conn: &mut DbConnection,
    settings: &Settings,
    author: &LocalUser,
    post: &NewPost,
) -> Result<Facts> {
    let me = author.account.id;
    let mut visibility = chosen_visibility(settings, author, post.visibility)?;
    if let Some(parent) = post.in_reply_to_id
        && let Ok(parent) = find_visible(conn, Some(me), parent)
        && in_department_thread(conn, &parent)?
        && visibility != Visibility::Direct
    {
        visibility = Visibility::Local;
    }
    let uploads = media::check_attachable(conn, settings, me, &post.media_ids, None)?;
    let scan = text::scan(&post.text);
    let resolved = resolve_mentions(conn, settings, &scan.mentions)?;
    let mentioned: Vec<i64> = resolved.iter().map(|(_, a)| a.id).collect();
    Ok(Facts {
        subject: Subject::Post,
        directions: policy::facts::local_directions(visibility, false),
        text: post.text.clone(),
        spoiler_text: post.spoiler_text.clone(),
        hashtags: scan.tags.iter().map(|t| t.to_lowercase()).collect(),
        mentions: policy::facts::mention_domains(conn, &mentioned)?,
        media: policy::facts::media_of_uploads(&uploads),
        link_hosts: text::link_hosts_in_text(&post.text),
        visibility: Some(visibility),
        author: policy::facts::author_here(author, settings.instance.domain.as_str()),
        now: Utc::now().naive_utc(),
    })
}

/// Post a status. Call inside a write transaction.
#[tracing::instrument(skip_all, fields(account_id = author.account.id))]
///
/// `verdict` is what the policy rules said of it ([`post`] asks them first); tools that seed a
/// department before it has rules pass `Verdict::default()`.
pub fn create(
    conn: &mut DbConnection,
    settings: &Settings,
    author: &LocalUser,
    post: NewPost,
    verdict: Verdict,
) -> Result<Status> {
    let me = author.account.id;
    let now = Utc::now().naive_utc();
    if let Some(key) = post.idempotency_key.as_deref() {
        let since = now - Duration::hours(IDEMPOTENCY_HOURS);
        let earlier: Option<i64> = idempotency_keys::table
            .filter(idempotency_keys::account_id.eq(me))
            .filter(idempotency_keys::key.eq(key))
            .filter(idempotency_keys::created_at.gt(since))
            .select(idempotency_keys::status_id)
            .first(conn)
            .optional()?;
        if let Some(id) = earlier {
            return Ok(statuses::table
                .find(id)
                .select(Status::as_select())
                .first(conn)?);
        }
    }
    check_text(
        settings,
        &post.text,
        &post.spoiler_text,
        &post.media_ids,
        post.poll.is_some(),
    )?;
    if let Some(poll) = &post.poll {
        poll.check()?;
    }
    let language = check_language(post.language)?;
    let visibility = chosen_visibility(settings, author, post.visibility)?;
    let parent = match post.in_reply_to_id {
        Some(id) => Some(find_visible(conn, Some(me), id)?),
        None => None,
    };

    let attachments = media::check_attachable(conn, settings, me, &post.media_ids, None)?;
    let scan = text::scan(&post.text);
    let resolved = resolve_mentions(conn, settings, &scan.mentions)?;
    let base = base(settings);
    let id = ids::next_id();
    let username = &author.account.username;
    let draft = Draft {
        id,
        ap_id: format!("{base}/users/{username}/statuses/{id}"),
        url: Some(format!("{base}/@{username}/{id}")),
        content: text::render(&post.text, &base, &mention_links(&resolved)),
        text_chars: text::count_chars(&post.text),
        source_text: Some(post.text.clone()),
        spoiler_text: post.spoiler_text,
        sensitive: post.sensitive,
        visibility,
        language,
        application_id: post.application_id,
        in_reply_to: parent,
        in_reply_to_ap_id: None,
        mentioned: resolved.iter().map(|(_, a)| a.id).collect(),
        tags: scan.tags,
        media: DraftMedia::Uploads(attachments),
        poll: post.poll,
        created_at: now,
        verdict,
    };
    let status = publish(conn, settings, &author.account, draft, Origin::Local)?;
    if let Some(key) = post.idempotency_key {
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::account_id.eq(me))
                .filter(idempotency_keys::key.eq(&key)),
        )
        .execute(conn)?;
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::account_id.eq(me),
                idempotency_keys::key.eq(key),
                idempotency_keys::status_id.eq(id),
                idempotency_keys::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(status)
}

/// A new post as the rules see it, whichever department it was written in: an employee's
/// text already rendered to HTML, or another department's post already sanitized.
#[derive(Debug)]
pub(crate) struct Draft {
    pub id: i64,
    pub ap_id: String,
    pub url: Option<String>,
    /// HTML.
    pub content: String,
    /// How long the text is, as the character limit counts it.
    pub text_chars: usize,
    /// What the employee typed (for edits and "delete and redraft").
    pub source_text: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub application_id: Option<i64>,
    /// The post it answers, if the author may see it.
    pub in_reply_to: Option<Status>,
    /// The id of the post it answers, when that post is not (yet) known here.
    pub in_reply_to_ap_id: Option<String>,
    /// Accounts mentioned or addressed.
    pub mentioned: Vec<i64>,
    pub tags: Vec<String>,
    pub media: DraftMedia,
    pub poll: Option<PollInput>,
    pub created_at: chrono::NaiveDateTime,
    /// What the policy rules said of it.
    pub verdict: Verdict,
}

#[derive(Debug)]
pub(crate) enum DraftMedia {
    /// Uploads of the employee, checked to be theirs and unattached.
    Uploads(Vec<crate::db::models::MediaAttachment>),
    /// Attachments of another department's post, shown from its server.
    Remote(Vec<crate::service::inbound::RemoteMedia>),
}

impl DraftMedia {
    fn len(&self) -> usize {
        match self {
            DraftMedia::Uploads(m) => m.len(),
            DraftMedia::Remote(m) => m.len(),
        }
    }
}

/// Store a new post of `author`, from either origin, with every rule of posting: the
/// policy rules' verdict (refused, held for review, kept in the department, stripped of its
/// media, put behind a warning, flagged), the character and attachment limits, the thread it
/// joins (a reply to a department-only post is department-only too, so the thread never
/// leaves the department), mentions and the notifications they bring, the "notify me of new
/// posts" of the author's followers, counters, hashtags, live events, and for employees'
/// posts the delivery to other departments.
#[tracing::instrument(skip_all, fields(account_id = author.id, status_id = draft.id))]
pub(crate) fn publish(
    conn: &mut DbConnection,
    settings: &Settings,
    author: &Account,
    draft: Draft,
    origin: Origin,
) -> Result<Status> {
    let ours = origin.check(author)?;
    let me = author.id;
    let verdict = draft.verdict;
    if let Some(rule) = verdict.rejected_by() {
        return Err(verdict.refusal(rule));
    }
    check_length(settings, draft.text_chars, &draft.spoiler_text)?;
    let max_media = settings.limits.max_media_attachments;
    if draft.media.len() > max_media {
        return Err(Error::unprocessable(format!(
            "Validation failed: at most {max_media} media attachments"
        )));
    }
    let parent = draft.in_reply_to;
    if !ours && draft.visibility == Visibility::Local {
        // Department-only posts never leave their department; a post claiming to be one is
        // not ours to show.
        return Err(Error::forbidden("Department-only posts are not federated"));
    }
    let visibility = match &parent {
        Some(parent) if in_department_thread(conn, parent)? => {
            department_reply_visibility(conn, draft.visibility, &draft.mentioned)?
        }
        _ => draft.visibility,
    };
    // Another department's post is there already: only ours can be kept here.
    let (visibility, local_only) = if ours && verdict.department_only() {
        kept_in_department(conn, &verdict, visibility, &draft.mentioned)?
    } else {
        (visibility, false)
    };
    let held = verdict.held_by().is_some();
    let id = draft.id;
    let spoiler_text = with_warning(&draft.spoiler_text, &verdict);
    let row = NewStatus {
        id,
        ap_id: draft.ap_id.clone(),
        url: draft.url,
        account_id: me,
        local: ours,
        in_reply_to_id: parent.as_ref().map(|p| p.id),
        in_reply_to_account_id: parent.as_ref().map(|p| p.account_id),
        in_reply_to_ap_id: parent
            .as_ref()
            .map(|p| p.ap_id.clone())
            .or(draft.in_reply_to_ap_id),
        reblog_of_id: None,
        thread_root_id: Some(
            parent
                .as_ref()
                .map(|p| p.thread_root_id.unwrap_or(p.id))
                .unwrap_or(id),
        ),
        content: draft.content,
        source_text: draft.source_text,
        sensitive: draft.sensitive
            || !spoiler_text.is_empty()
            || verdict.sensitive()
            || (author.sensitized_at.is_some() && draft.media.len() > 0),
        spoiler_text,
        visibility: visibility.as_str().to_string(),
        language: draft.language,
        application_id: draft.application_id,
        created_at: draft.created_at,
        updated_at: draft.created_at,
        held_for_review: held.then(|| HELD_POST.to_string()),
        local_only,
    };
    let status: Status = diesel::insert_into(statuses::table)
        .values(&row)
        .returning(statuses::all_columns)
        .get_result(conn)?;
    // Replies that arrived before their parent join the thread now.
    diesel::update(
        statuses::table
            .filter(statuses::in_reply_to_ap_id.eq(&draft.ap_id))
            .filter(statuses::in_reply_to_id.is_null()),
    )
    .set((
        statuses::in_reply_to_id.eq(Some(id)),
        statuses::in_reply_to_account_id.eq(Some(me)),
    ))
    .execute(conn)?;
    if !verdict.strip_media() {
        match &draft.media {
            DraftMedia::Uploads(uploads) => media::attach(conn, id, uploads)?,
            DraftMedia::Remote(remote) => {
                crate::service::inbound::add_media(conn, &status, remote)?
            }
        }
    }
    if let Some(poll) = &draft.poll {
        polls::create(conn, id, me, poll)?;
    }
    set_tags(conn, id, &draft.tags)?;
    set_links(conn, id, &status.content)?;
    add_mentions(conn, id, &draft.mentioned)?;
    policy::review::judged(conn, &verdict, &status)?;
    if held {
        // Only its author sees it until a moderator decides (`policy::review`).
        feeds::publish_own(conn, &status)?;
        events::emit(conn, Event::StatusCreated { status_id: id })?;
        tracing::info!(status_id = id, %visibility, "status created, held for review");
        return Ok(status);
    }
    release(conn, &status, ours)?;
    tracing::info!(status_id = id, %visibility, "status created");
    Ok(status)
}

/// `held_for_review` of a new post held by a rule, and of an edit held by one.
pub(crate) const HELD_POST: &str = "post";
pub(crate) const HELD_EDIT: &str = "edit";

/// Make a stored post public: the notifications of those it mentions (each told once) and of
/// the author's "notify me" followers, counters, the home feeds, the delivery to other
/// departments for employees' posts, and the live event. Run when it is published, or when a
/// moderator approves a held post.
pub(crate) fn release(conn: &mut DbConnection, status: &Status, ours: bool) -> Result<()> {
    let (me, id) = (status.account_id, status.id);
    let visibility: Visibility = status.visibility.parse()?;
    let mentioned: Vec<i64> = mentions::table
        .filter(mentions::status_id.eq(id))
        .select(mentions::account_id)
        .load(conn)?;
    for account_id in mentioned {
        notifications::notify_once(conn, account_id, me, "mention", Some(id))?;
    }
    diesel::update(accounts::table.find(me))
        .set((
            accounts::statuses_count.eq(accounts::statuses_count + 1),
            accounts::last_status_at.eq(status.created_at),
        ))
        .execute(conn)?;
    if let Some(parent) = status.in_reply_to_id {
        diesel::update(statuses::table.find(parent))
            .set(statuses::replies_count.eq(statuses::replies_count + 1))
            .execute(conn)?;
    }
    if visibility != Visibility::Direct {
        let subscribers: Vec<i64> = follows::table
            .filter(follows::target_account_id.eq(me))
            .filter(follows::accepted.eq(true))
            .filter(follows::notify.eq(true))
            .select(follows::account_id)
            .load(conn)?;
        for subscriber in subscribers {
            if find_visible(conn, Some(subscriber), id).is_ok() {
                notifications::notify(conn, subscriber, me, "status", Some(id))?;
            }
        }
    }
    feeds::publish(conn, status)?;
    if ours && !status.stays_here() {
        outbox::enqueue(conn, me, Outgoing::CreateStatus { status_id: id })?;
    }
    events::emit(conn, Event::StatusCreated { status_id: id })?;
    Ok(())
}

/// The content warning a post gets: the author's, else the one the rules add.
fn with_warning(spoiler_text: &str, verdict: &Verdict) -> String {
    let spoiler = spoiler_text.trim();
    match verdict.content_warning() {
        Some(warning) if spoiler.is_empty() => warning.trim().to_string(),
        _ => spoiler.to_string(),
    }
}

/// Where an employee's post goes when a rule keeps it in the department: public and unlisted
/// posts become department-only; followers-only and direct posts keep their audience and are
/// kept from leaving (`local_only`), unless they are addressed to someone of another
/// department, which they then cannot be.
fn kept_in_department(
    conn: &mut DbConnection,
    verdict: &Verdict,
    visibility: Visibility,
    mentioned: &[i64],
) -> Result<(Visibility, bool)> {
    match visibility {
        Visibility::Public | Visibility::Unlisted | Visibility::Local => {
            Ok((Visibility::Local, false))
        }
        Visibility::Private | Visibility::Direct => {
            let elsewhere: bool = diesel::select(diesel::dsl::exists(
                accounts::table
                    .filter(accounts::id.eq_any(mentioned))
                    .filter(accounts::domain.is_not_null()),
            ))
            .get_result(conn)?;
            match verdict.department_only_by() {
                Some(rule) if elsewhere => Err(verdict.refusal_because(
                    rule,
                    "It must stay in the department, so it cannot be addressed to accounts \
                     of other departments.",
                )),
                _ => Ok((visibility, true)),
            }
        }
    }
}

/// Whether `parent` belongs to a thread that stays in the department: it, or the post its
/// thread started with, is department-only.
fn in_department_thread(conn: &mut DbConnection, parent: &Status) -> Result<bool> {
    if parent.stays_here() {
        return Ok(true);
    }
    let Some(root) = parent.thread_root_id.filter(|root| *root != parent.id) else {
        return Ok(false);
    };
    let root: Option<(String, bool)> = statuses::table
        .find(root)
        .select((statuses::visibility, statuses::local_only))
        .first(conn)
        .optional()?;
    Ok(root.is_some_and(|(visibility, local_only)| {
        local_only || visibility == Visibility::Local.as_str()
    }))
}

/// A reply in a department-only thread is department-only itself, whatever the client asked:
/// federating it would tell other departments (through `inReplyTo`) that the post exists. A
/// direct message stays direct (making it department-wide would widen its audience), and
/// so must not be addressed to anyone of another department.
fn department_reply_visibility(
    conn: &mut DbConnection,
    asked: Visibility,
    mentioned: &[i64],
) -> Result<Visibility> {
    if asked != Visibility::Direct {
        return Ok(Visibility::Local);
    }
    let elsewhere: bool = diesel::select(diesel::dsl::exists(
        accounts::table
            .filter(accounts::id.eq_any(mentioned))
            .filter(accounts::domain.is_not_null()),
    ))
    .get_result(conn)?;
    if elsewhere {
        return Err(Error::unprocessable(
            "Validation failed: a reply in a department-only thread stays in the department; \
             it cannot be sent to accounts of other departments",
        ));
    }
    Ok(Visibility::Direct)
}

/// A status the employee wrote, for edits and deletes. Someone else's status is "not found",
/// as on Mastodon, which looks only among the caller's own statuses.
fn own_status(conn: &mut DbConnection, me: i64, id: i64) -> Result<Status> {
    let status = find_visible(conn, Some(me), id)?;
    if status.account_id != me {
        return Err(Error::not_found());
    }
    Ok(status)
}

/// An employee edits their status: the policy rules judge the new version first (as for a
/// post), then it is stored; returns it as its author sees it.
pub async fn update(
    ctx: &AppContext,
    author: LocalUser,
    id: i64,
    edit: Edit,
) -> Result<(StatusView, Verdict)> {
    usage_policy::require_accepted(ctx, &author.account).await?;
    let verdict = {
        let (author, edit) = (author.clone(), edit.clone());
        policy::judge(ctx, move |conn, settings| {
            edit_facts(conn, settings, &author, id, &edit)
        })
        .await?
    };
    policy::refuse_if_rejected(ctx, &verdict, author.account.id).await?;
    let settings = ctx.settings.clone();
    let me = author.account.id;
    let judged = verdict.clone();
    let view = ctx
        .db
        .write(move |conn| {
            let status = self::edit(conn, &settings, &author, id, edit, judged)?;
            views::hydrate_one(conn, Some(me), status)
        })
        .await?;
    Ok((view, verdict))
}

/// What the rules look at in an employee's edit.
fn edit_facts(
    conn: &mut DbConnection,
    settings: &Settings,
    author: &LocalUser,
    id: i64,
    edit: &Edit,
) -> Result<Facts> {
    let me = author.account.id;
    let status = own_status(conn, me, id)?;
    let visibility: Visibility = status.visibility.parse()?;
    let uploads = media::check_attachable(conn, settings, me, &edit.media_ids, Some(id))?;
    let scan = text::scan(&edit.text);
    let resolved = resolve_mentions(conn, settings, &scan.mentions)?;
    let mentioned: Vec<i64> = resolved.iter().map(|(_, a)| a.id).collect();
    Ok(Facts {
        subject: Subject::Edit,
        directions: policy::facts::local_directions(visibility, status.local_only),
        text: edit.text.clone(),
        spoiler_text: edit.spoiler_text.clone(),
        hashtags: scan.tags.iter().map(|t| t.to_lowercase()).collect(),
        mentions: policy::facts::mention_domains(conn, &mentioned)?,
        media: policy::facts::media_of_uploads(&uploads),
        link_hosts: text::link_hosts_in_text(&edit.text),
        visibility: Some(visibility),
        author: policy::facts::author_here(author, settings.instance.domain.as_str()),
        now: Utc::now().naive_utc(),
    })
}

/// An employee edits their status; the previous version goes to its history. `verdict` is
/// what the policy rules said of the new version ([`update`] asks them first).
#[tracing::instrument(skip_all, fields(account_id = author.account.id, status_id = id))]
pub fn edit(
    conn: &mut DbConnection,
    settings: &Settings,
    author: &LocalUser,
    id: i64,
    edit: Edit,
    verdict: Verdict,
) -> Result<Status> {
    let me = author.account.id;
    let status = own_status(conn, me, id)?;
    if status.reblog_of_id.is_some() {
        return Err(Error::unprocessable(
            "Validation failed: Boosts cannot be edited",
        ));
    }
    check_text(
        settings,
        &edit.text,
        &edit.spoiler_text,
        &edit.media_ids,
        false,
    )?;
    if edit.has_poll {
        return Err(Error::unprocessable(
            "Validation failed: A poll cannot be changed by editing; delete and redraft instead",
        ));
    }
    let attachments = media::check_attachable(conn, settings, me, &edit.media_ids, Some(id))?;
    let language = check_language(edit.language)?.or(status.language.clone());
    let scan = text::scan(&edit.text);
    let resolved = resolve_mentions(conn, settings, &scan.mentions)?;
    let revision = Revision {
        content: text::render(&edit.text, &base(settings), &mention_links(&resolved)),
        text_chars: text::count_chars(&edit.text),
        source_text: Some(edit.text),
        spoiler_text: edit.spoiler_text,
        sensitive: edit.sensitive,
        language,
        mentioned: resolved.iter().map(|(_, a)| a.id).collect(),
        tags: scan.tags,
        uploads: Some(attachments),
        edited_at: Utc::now().naive_utc(),
        verdict,
    };
    revise(
        conn,
        settings,
        &author.account,
        status,
        revision,
        Origin::Local,
    )
}

/// A new version of a post, whichever department it was written in.
#[derive(Debug)]
pub(crate) struct Revision {
    /// HTML.
    pub content: String,
    pub text_chars: usize,
    pub source_text: Option<String>,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub mentioned: Vec<i64>,
    pub tags: Vec<String>,
    /// The employee's uploads the post now shows (another department's attachments stay).
    pub uploads: Option<Vec<crate::db::models::MediaAttachment>>,
    pub edited_at: chrono::NaiveDateTime,
    /// What the policy rules said of the new version.
    pub verdict: Verdict,
}

/// Store a new version of `author`'s post, from either origin, with the rules of editing:
/// the policy rules' verdict (as for a post: an edit can be refused, held, kept in the
/// department — then withdrawn from the departments that have it — stripped of its media or
/// put behind a warning), the character limit, the history (which starts with the
/// original), newly mentioned accounts told, those who boosted it told it changed, live
/// events, and for employees' posts the Update to other departments.
#[tracing::instrument(skip_all, fields(account_id = author.id, status_id = status.id))]
pub(crate) fn revise(
    conn: &mut DbConnection,
    settings: &Settings,
    author: &Account,
    status: Status,
    revision: Revision,
    origin: Origin,
) -> Result<Status> {
    let ours = origin.check(author)?;
    if status.account_id != author.id {
        return Err(Error::forbidden("A post can only be changed by its author"));
    }
    let verdict = &revision.verdict;
    if let Some(rule) = verdict.rejected_by() {
        return Err(verdict.refusal(rule));
    }
    check_length(settings, revision.text_chars, &revision.spoiler_text)?;
    let (me, id) = (author.id, status.id);
    let now = Utc::now().naive_utc();
    let has_history: bool = diesel::select(diesel::dsl::exists(
        status_edits::table.filter(status_edits::status_id.eq(id)),
    ))
    .get_result(conn)?;
    if !has_history {
        // Mastodon's history starts with the original version.
        let original = StatusEdit {
            id: ids::next_id(),
            status_id: id,
            account_id: me,
            content: status.content.clone(),
            spoiler_text: status.spoiler_text.clone(),
            sensitive: status.sensitive,
            media_ids: "[]".into(),
            created_at: status.created_at,
        };
        diesel::insert_into(status_edits::table)
            .values(&original)
            .execute(conn)?;
    }
    let was_leaving = !status.stays_here();
    let (visibility, local_only) = if ours && verdict.department_only() {
        kept_in_department(
            conn,
            verdict,
            status.visibility.parse()?,
            &revision.mentioned,
        )?
    } else {
        (status.visibility.parse()?, status.local_only)
    };
    // A held post stays held whatever its edit; a published one is held again by a rule.
    let held = match (&status.held_for_review, verdict.held_by()) {
        (Some(held), _) => Some(held.clone()),
        (None, Some(_)) => Some(HELD_EDIT.to_string()),
        (None, None) => None,
    };
    let spoiler = with_warning(&revision.spoiler_text, verdict);
    let source_text = revision.source_text.or(status.source_text.clone());
    let updated: Status = diesel::update(statuses::table.find(id))
        .set((
            statuses::content.eq(&revision.content),
            statuses::source_text.eq(source_text),
            statuses::spoiler_text.eq(&spoiler),
            statuses::sensitive
                .eq(revision.sensitive || !spoiler.is_empty() || verdict.sensitive()),
            statuses::language.eq(revision.language),
            statuses::edited_at.eq(Some(revision.edited_at)),
            statuses::updated_at.eq(now),
            statuses::visibility.eq(visibility.as_str()),
            statuses::local_only.eq(local_only),
            statuses::held_for_review.eq(&held),
        ))
        .returning(statuses::all_columns)
        .get_result(conn)?;
    let version = StatusEdit {
        id: ids::next_id(),
        status_id: id,
        account_id: me,
        content: revision.content,
        spoiler_text: spoiler,
        sensitive: updated.sensitive,
        media_ids: "[]".into(),
        created_at: revision.edited_at,
    };
    diesel::insert_into(status_edits::table)
        .values(&version)
        .execute(conn)?;
    if verdict.strip_media() {
        media::attach(conn, id, &[])?;
    } else if let Some(uploads) = &revision.uploads {
        media::attach(conn, id, uploads)?;
    }
    set_tags(conn, id, &revision.tags)?;
    set_links(conn, id, &updated.content)?;
    let added = add_mentions(conn, id, &revision.mentioned)?;
    policy::review::judged(conn, verdict, &updated)?;
    if ours && was_leaving && updated.stays_here() {
        // It is there already: take it back from the other departments.
        outbox::enqueue(
            conn,
            me,
            Outgoing::WithdrawStatus {
                status_id: id,
                visibility: status.visibility.clone(),
            },
        )?;
    }
    if held.is_none() {
        release_edit(conn, &updated, ours, Some(&added))?;
    } else {
        events::emit(conn, Event::StatusUpdated { status_id: id })?;
    }
    Ok(updated)
}

/// Make an edit public: the accounts it newly mentions are told (`None`: every account it
/// mentions that was not told yet), those who boosted the post learn that it changed (as on
/// Mastodon), other departments get the Update, live streams the new version. Run when the
/// edit is stored, or when a moderator approves a held edit.
pub(crate) fn release_edit(
    conn: &mut DbConnection,
    status: &Status,
    ours: bool,
    newly_mentioned: Option<&[i64]>,
) -> Result<()> {
    let (me, id) = (status.account_id, status.id);
    match newly_mentioned {
        Some(added) => {
            for &account_id in added {
                notifications::notify(conn, account_id, me, "mention", Some(id))?;
            }
        }
        None => {
            let mentioned: Vec<i64> = mentions::table
                .filter(mentions::status_id.eq(id))
                .select(mentions::account_id)
                .load(conn)?;
            for account_id in mentioned {
                notifications::notify_once(conn, account_id, me, "mention", Some(id))?;
            }
        }
    }
    let boosters: Vec<i64> = statuses::table
        .filter(statuses::reblog_of_id.eq(id))
        .filter(statuses::deleted_at.is_null())
        .select(statuses::account_id)
        .load(conn)?;
    for booster in boosters {
        notifications::notify(conn, booster, me, "update", Some(id))?;
    }
    if ours && !status.stays_here() {
        outbox::enqueue(conn, me, Outgoing::UpdateStatus { status_id: id })?;
    }
    events::emit(conn, Event::StatusUpdated { status_id: id })?;
    Ok(())
}

/// The versions of a status, oldest first (the current one last).
pub fn history(
    conn: &mut DbConnection,
    viewer: Viewer,
    id: i64,
) -> Result<(Status, Vec<StatusEdit>)> {
    let status = find_visible(conn, viewer, id)?;
    let edits = status_edits::table
        .filter(status_edits::status_id.eq(id))
        .order(status_edits::id.asc())
        .select(StatusEdit::as_select())
        .load(conn)?;
    Ok((status, edits))
}

/// The author deletes a status (or a boost). Returns it, with its source text for "delete
/// and redraft". Boosts of it disappear with it, and so do the notifications about it; the
/// other departments that have it are told when the author is ours. Someone else's status
/// is "not found", as on Mastodon; a status already deleted is deleted.
#[tracing::instrument(skip(conn, actor), fields(account_id = actor.id))]
pub fn delete(conn: &mut DbConnection, actor: &Account, id: i64, origin: Origin) -> Result<Status> {
    let ours = origin.check(actor)?;
    let me = actor.id;
    let status = statuses::table
        .find(id)
        .select(Status::as_select())
        .first(conn)
        .optional()?
        .filter(|s| s.account_id == me)
        .ok_or_else(Error::not_found)?;
    if status.deleted_at.is_some() {
        return if ours {
            Err(Error::not_found())
        } else {
            Ok(status)
        };
    }
    if let Some(original) = status.reblog_of_id {
        unreblog(conn, actor, original, origin)?;
        return Ok(status);
    }
    remove(conn, &status, ours)?;
    Ok(status)
}

/// Take a post down (its author deleted it, or a moderator refused it): it and its boosts
/// disappear, with the notifications about them; counters that counted it go down; the
/// other departments that have it are told when it is `ours` and ever left.
pub(crate) fn remove(conn: &mut DbConnection, status: &Status, ours: bool) -> Result<()> {
    let (me, id) = (status.account_id, status.id);
    // A post held since it was written was never counted, nor sent anywhere.
    let published = status.held_for_review.as_deref() != Some(HELD_POST);
    let now = Utc::now().naive_utc();
    diesel::update(statuses::table.find(id))
        .set((statuses::deleted_at.eq(now), statuses::updated_at.eq(now)))
        .execute(conn)?;
    if published {
        diesel::update(accounts::table.find(me))
            .set(accounts::statuses_count.eq(accounts::statuses_count - 1))
            .execute(conn)?;
        if let Some(parent) = status.in_reply_to_id {
            diesel::update(statuses::table.find(parent))
                .set(statuses::replies_count.eq(statuses::replies_count - 1))
                .execute(conn)?;
        }
    }
    let boosts: Vec<(i64, i64)> = statuses::table
        .filter(statuses::reblog_of_id.eq(id))
        .filter(statuses::deleted_at.is_null())
        .select((statuses::id, statuses::account_id))
        .load(conn)?;
    feeds::forget(conn, id)?;
    for (boost_id, booster) in boosts {
        diesel::update(statuses::table.find(boost_id))
            .set(statuses::deleted_at.eq(now))
            .execute(conn)?;
        feeds::forget(conn, boost_id)?;
        events::emit(
            conn,
            Event::StatusDeleted {
                status_id: boost_id,
            },
        )?;
        diesel::update(accounts::table.find(booster))
            .set(accounts::statuses_count.eq(accounts::statuses_count - 1))
            .execute(conn)?;
    }
    diesel::delete(
        crate::db::schema::notifications::table
            .filter(crate::db::schema::notifications::status_id.eq(id)),
    )
    .execute(conn)?;
    diesel::delete(status_pins::table.filter(status_pins::status_id.eq(id))).execute(conn)?;
    if ours && published && !status.stays_here() {
        outbox::enqueue(conn, me, Outgoing::DeleteStatus { status_id: id })?;
    }
    events::emit(conn, Event::StatusDeleted { status_id: id })?;
    tracing::info!(status_id = id, "status deleted");
    Ok(())
}

/// The status an employee's action applies to: boosts stand for what they boost.
fn target(conn: &mut DbConnection, me: i64, id: i64) -> Result<Status> {
    let status = find_visible(conn, Some(me), id)?;
    match status.reblog_of_id {
        Some(original) => find_visible(conn, Some(me), original),
        None => Ok(status),
    }
}

/// The status `actor` (of either origin) acts on, if they may see it: boosts stand for what
/// they boost.
fn target_for(conn: &mut DbConnection, actor: &Account, id: i64) -> Result<Status> {
    let status = find_visible_to(conn, actor, id)?;
    match status.reblog_of_id {
        Some(original) => find_visible_to(conn, actor, original),
        None => Ok(status),
    }
}

fn reload(conn: &mut DbConnection, id: i64) -> Result<Status> {
    Ok(statuses::table
        .find(id)
        .select(Status::as_select())
        .first(conn)?)
}

/// `actor` favourites a status they can see (a post they cannot see is not found, whichever
/// department they are in). The author is told; an employee's favourite of another
/// department's post is sent there.
#[tracing::instrument(skip(conn, actor), fields(account_id = actor.id))]
pub fn favourite(
    conn: &mut DbConnection,
    actor: &Account,
    id: i64,
    origin: Origin,
) -> Result<Status> {
    let ours = origin.check(actor)?;
    let status = target_for(conn, actor, id)?;
    let exists: bool = diesel::select(diesel::dsl::exists(
        favourites::table
            .filter(favourites::account_id.eq(actor.id))
            .filter(favourites::status_id.eq(status.id)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(status);
    }
    let favourite_id = ids::next_id();
    diesel::insert_into(favourites::table)
        .values((
            favourites::id.eq(favourite_id),
            favourites::account_id.eq(actor.id),
            favourites::status_id.eq(status.id),
            favourites::ap_id.eq(origin.activity_id()),
            favourites::created_at.eq(origin.published().unwrap_or_else(|| Utc::now().naive_utc())),
        ))
        .execute(conn)?;
    diesel::update(statuses::table.find(status.id))
        .set(statuses::favourites_count.eq(statuses::favourites_count + 1))
        .execute(conn)?;
    notifications::notify(
        conn,
        status.account_id,
        actor.id,
        "favourite",
        Some(status.id),
    )?;
    if ours && !status.local {
        outbox::enqueue(
            conn,
            actor.id,
            Outgoing::Like {
                favourite_id,
                status_id: status.id,
            },
        )?;
    }
    reload(conn, status.id)
}

/// An employee favourites a status (once they accepted the usage policy). Returns it.
pub async fn like(ctx: &AppContext, user: LocalUser, id: i64) -> Result<Status> {
    usage_policy::require_accepted(ctx, &user.account).await?;
    ctx.db
        .write(move |conn| favourite(conn, &user.account, id, Origin::Local))
        .await
}

/// `actor` takes a favourite back; the author's notification goes too.
#[tracing::instrument(skip(conn, actor), fields(account_id = actor.id))]
pub fn unfavourite(
    conn: &mut DbConnection,
    actor: &Account,
    id: i64,
    origin: Origin,
) -> Result<Status> {
    let ours = origin.check(actor)?;
    let status = target_for(conn, actor, id)?;
    let favourite_id: Option<i64> = favourites::table
        .filter(favourites::account_id.eq(actor.id))
        .filter(favourites::status_id.eq(status.id))
        .select(favourites::id)
        .first(conn)
        .optional()?;
    let Some(favourite_id) = favourite_id else {
        return Ok(status);
    };
    diesel::delete(favourites::table.find(favourite_id)).execute(conn)?;
    diesel::update(statuses::table.find(status.id))
        .set(statuses::favourites_count.eq(statuses::favourites_count - 1))
        .execute(conn)?;
    notifications::retract(
        conn,
        status.account_id,
        actor.id,
        "favourite",
        Some(status.id),
    )?;
    if ours && !status.local {
        outbox::enqueue(
            conn,
            actor.id,
            Outgoing::UndoLike {
                favourite_id,
                status_id: status.id,
            },
        )?;
    }
    reload(conn, status.id)
}

/// `actor` boosts a status they can see, if it may be boosted. Returns the boost (a status
/// whose `reblog_of_id` is the original). A boost never reaches further than the post:
/// department-only stays department-only, an author's boost of their own followers-only post
/// is followers-only, and a boost is never direct.
///
/// `keep_here`: the policy rules keep an employee's boost in the department (see [`boost`]).
#[tracing::instrument(skip(conn, settings, actor), fields(account_id = actor.id))]
pub fn reblog(
    conn: &mut DbConnection,
    settings: &Settings,
    actor: &Account,
    id: i64,
    visibility: Option<Visibility>,
    origin: Origin,
    keep_here: bool,
) -> Result<Status> {
    let ours = origin.check(actor)?;
    let me = actor.id;
    let original = target_for(conn, actor, id)?;
    let original_visibility: Visibility = original.visibility.parse()?;
    // Authors may boost their own followers-only posts, to the same followers (as on
    // Mastodon).
    let own_private = original_visibility == Visibility::Private && original.account_id == me;
    if !original_visibility.is_boostable() && !own_private {
        return Err(Error::unprocessable(
            "Validation failed: This post cannot be boosted",
        ));
    }
    let earlier = statuses::table
        .filter(statuses::reblog_of_id.eq(original.id))
        .filter(statuses::account_id.eq(me))
        .filter(statuses::deleted_at.is_null())
        .select(Status::as_select())
        .first(conn)
        .optional()?;
    if let Some(existing) = earlier {
        return Ok(existing);
    }
    if original.held_for_review.is_some() {
        return Err(Error::unprocessable(
            "Validation failed: This post is waiting for a moderator's review",
        ));
    }
    let visibility = match (
        original_visibility,
        visibility.unwrap_or(Visibility::Public),
    ) {
        (Visibility::Local, _) => Visibility::Local,
        _ if original.local_only || (ours && keep_here) => Visibility::Local,
        _ if own_private => Visibility::Private,
        (_, Visibility::Direct) => {
            return Err(Error::unprocessable(
                "Validation failed: Boosts cannot be direct",
            ));
        }
        (_, v) => v,
    };
    let now = origin.published().unwrap_or_else(|| Utc::now().naive_utc());
    let id = ids::next_id();
    let ap_id = match origin.activity_id() {
        Some(activity_id) => activity_id.to_string(),
        None => format!(
            "{}/users/{}/statuses/{id}/activity",
            base(settings),
            actor.username
        ),
    };
    let row = NewStatus {
        id,
        ap_id,
        url: None,
        account_id: me,
        local: ours,
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
        created_at: now,
        updated_at: now,
        held_for_review: None,
        local_only: false,
    };
    let boost: Status = diesel::insert_into(statuses::table)
        .values(&row)
        .returning(statuses::all_columns)
        .get_result(conn)?;
    diesel::update(statuses::table.find(original.id))
        .set(statuses::reblogs_count.eq(statuses::reblogs_count + 1))
        .execute(conn)?;
    diesel::update(accounts::table.find(me))
        .set((
            accounts::statuses_count.eq(accounts::statuses_count + 1),
            accounts::last_status_at.eq(now),
        ))
        .execute(conn)?;
    notifications::notify(conn, original.account_id, me, "reblog", Some(original.id))?;
    feeds::publish(conn, &boost)?;
    if ours && visibility != Visibility::Local {
        outbox::enqueue(conn, me, Outgoing::Announce { boost_id: id })?;
    }
    events::emit(conn, Event::StatusCreated { status_id: id })?;
    Ok(boost)
}

/// An employee boosts a status. A boost that would leave the department is judged by the
/// rules for what goes out (looking at the boosted post); one they would refuse, hold or keep
/// in the department is made, and stays here. Returns the boost.
pub async fn boost(
    ctx: &AppContext,
    booster: LocalUser,
    id: i64,
    visibility: Option<Visibility>,
) -> Result<Status> {
    usage_policy::require_accepted(ctx, &booster.account).await?;
    let verdict = {
        let booster = booster.clone();
        policy::judge(ctx, move |conn, settings| {
            let original = target(conn, booster.account.id, id)?;
            let directions = if original.stays_here() {
                std::collections::BTreeSet::new()
            } else {
                std::collections::BTreeSet::from([policy::Direction::Outbound])
            };
            let actor = policy::facts::author_here(&booster, settings.instance.domain.as_str());
            policy::facts::of_status(conn, &original, Subject::Boost, actor, directions)
        })
        .await?
    };
    let keep_here =
        verdict.rejected_by().is_some() || verdict.held_by().is_some() || verdict.department_only();
    let settings = ctx.settings.clone();
    ctx.db
        .write(move |conn| {
            let account = &booster.account;
            let boost = reblog(
                conn,
                &settings,
                account,
                id,
                visibility,
                Origin::Local,
                keep_here,
            )?;
            let target = policy::store::Target {
                status_id: Some(boost.id),
                account_id: Some(account.id),
                object_uri: None,
            };
            policy::store::record(conn, &verdict, target)?;
            Ok(boost)
        })
        .await
}

/// `actor` takes their boost of a status back. Returns the original status.
#[tracing::instrument(skip(conn, actor), fields(account_id = actor.id))]
pub fn unreblog(
    conn: &mut DbConnection,
    actor: &Account,
    id: i64,
    origin: Origin,
) -> Result<Status> {
    let ours = origin.check(actor)?;
    let me = actor.id;
    let original = target_for(conn, actor, id)?;
    let now = Utc::now().naive_utc();
    let boosts: Vec<(i64, String)> = statuses::table
        .filter(statuses::reblog_of_id.eq(original.id))
        .filter(statuses::account_id.eq(me))
        .filter(statuses::deleted_at.is_null())
        .select((statuses::id, statuses::visibility))
        .load(conn)?;
    let removed =
        diesel::update(statuses::table.filter(statuses::id.eq_any(boosts.iter().map(|b| b.0))))
            .set(statuses::deleted_at.eq(now))
            .execute(conn)?;
    for (boost_id, visibility) in boosts {
        feeds::forget(conn, boost_id)?;
        if ours && visibility != Visibility::Local.as_str() {
            outbox::enqueue(conn, me, Outgoing::UndoAnnounce { boost_id })?;
        }
        events::emit(
            conn,
            Event::StatusDeleted {
                status_id: boost_id,
            },
        )?;
    }
    if removed > 0 {
        diesel::update(statuses::table.find(original.id))
            .set(statuses::reblogs_count.eq(statuses::reblogs_count - removed as i64))
            .execute(conn)?;
        diesel::update(accounts::table.find(me))
            .set(accounts::statuses_count.eq(accounts::statuses_count - removed as i64))
            .execute(conn)?;
        notifications::retract(conn, original.account_id, me, "reblog", Some(original.id))?;
    }
    reload(conn, original.id)
}

pub fn bookmark(conn: &mut DbConnection, me: i64, id: i64, on: bool) -> Result<Status> {
    let status = target(conn, me, id)?;
    let existing = bookmarks::table
        .filter(bookmarks::account_id.eq(me))
        .filter(bookmarks::status_id.eq(status.id));
    let exists: bool = diesel::select(diesel::dsl::exists(existing)).get_result(conn)?;
    if on && !exists {
        diesel::insert_into(bookmarks::table)
            .values((
                bookmarks::id.eq(ids::next_id()),
                bookmarks::account_id.eq(me),
                bookmarks::status_id.eq(status.id),
                bookmarks::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    } else if !on && exists {
        diesel::delete(existing).execute(conn)?;
    }
    Ok(status)
}

pub fn pin(conn: &mut DbConnection, me: i64, id: i64, on: bool) -> Result<Status> {
    let status = find_visible(conn, Some(me), id)?;
    if status.account_id != me {
        return Err(Error::unprocessable(
            "Validation failed: You can only pin your own posts",
        ));
    }
    if status.reblog_of_id.is_some() || status.visibility == "direct" {
        return Err(Error::unprocessable(
            "Validation failed: This post cannot be pinned",
        ));
    }
    let existing = status_pins::table
        .filter(status_pins::account_id.eq(me))
        .filter(status_pins::status_id.eq(id));
    let exists: bool = diesel::select(diesel::dsl::exists(existing)).get_result(conn)?;
    if on && !exists {
        let count: i64 = status_pins::table
            .filter(status_pins::account_id.eq(me))
            .count()
            .get_result(conn)?;
        if count >= MAX_PINNED {
            return Err(Error::unprocessable(
                "Validation failed: You have already pinned the maximum number of posts",
            ));
        }
        diesel::insert_into(status_pins::table)
            .values((
                status_pins::id.eq(ids::next_id()),
                status_pins::account_id.eq(me),
                status_pins::status_id.eq(id),
                status_pins::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    } else if !on && exists {
        diesel::delete(existing).execute(conn)?;
    }
    Ok(status)
}

/// An employee mutes (or unmutes) the thread a status they may see is part of: no more
/// notifications about its posts (Mastodon's conversation mute). Returns the status.
pub fn mute_thread(conn: &mut DbConnection, me: i64, id: i64, on: bool) -> Result<Status> {
    use crate::db::schema::thread_mutes;
    let status = find_visible(conn, Some(me), id)?;
    let root = status.thread_root_id.unwrap_or(status.id);
    let existing = thread_mutes::table
        .filter(thread_mutes::account_id.eq(me))
        .filter(thread_mutes::thread_root_id.eq(root));
    let exists: bool = diesel::select(diesel::dsl::exists(existing)).get_result(conn)?;
    if on && !exists {
        diesel::insert_into(thread_mutes::table)
            .values((
                thread_mutes::account_id.eq(me),
                thread_mutes::thread_root_id.eq(root),
                thread_mutes::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
    } else if !on && exists {
        diesel::delete(existing).execute(conn)?;
    }
    Ok(status)
}

/// The thread around a status: its ancestors (oldest first) and its descendants (depth first),
/// only what `viewer` may see; muted authors are left out of the descendants.
pub fn context(
    conn: &mut DbConnection,
    viewer: Viewer,
    id: i64,
) -> Result<(Vec<Status>, Vec<Status>)> {
    let status = find_visible(conn, viewer, id)?;
    let root = status.thread_root_id.unwrap_or(status.id);
    let mut q = statuses::table
        .filter(statuses::thread_root_id.eq(root))
        .filter(statuses::reblog_of_id.is_null())
        .filter(visible_to(viewer))
        .select(Status::as_select())
        .order(statuses::id.asc())
        .limit(4096)
        .into_boxed();
    if let Some(me) = viewer {
        q = q.filter(not_muted_by(me).or(statuses::id.eq(status.id)));
    }
    let thread: Vec<Status> = q.load(conn)?;
    let by_id: HashMap<i64, &Status> = thread.iter().map(|s| (s.id, s)).collect();
    let mut ancestors = Vec::new();
    let mut cursor = status.in_reply_to_id;
    let mut seen = HashSet::new();
    while let Some(parent_id) = cursor {
        if !seen.insert(parent_id) {
            break;
        }
        match by_id.get(&parent_id) {
            Some(parent) => {
                ancestors.push((*parent).clone());
                cursor = parent.in_reply_to_id;
            }
            None => break,
        }
    }
    ancestors.reverse();
    let mut children: HashMap<i64, Vec<&Status>> = HashMap::new();
    for s in &thread {
        if let Some(parent) = s.in_reply_to_id {
            children.entry(parent).or_default().push(s);
        }
    }
    let mut descendants = Vec::new();
    let mut stack: Vec<&Status> = children.get(&status.id).cloned().unwrap_or_default();
    stack.reverse();
    let mut visited = HashSet::new();
    while let Some(s) = stack.pop() {
        if !visited.insert(s.id) {
            continue;
        }
        descendants.push(s.clone());
        if let Some(kids) = children.get(&s.id) {
            for kid in kids.iter().rev() {
                stack.push(kid);
            }
        }
    }
    Ok((ancestors, descendants))
}

/// Accounts that favourited a status, newest first, with the favourite id for paging.
pub fn favourited_by(
    conn: &mut DbConnection,
    viewer: Viewer,
    id: i64,
    page: &Page,
) -> Result<Vec<(i64, Account)>> {
    let status = find_visible(conn, viewer, id)?;
    let mut q = favourites::table
        .inner_join(accounts::table)
        .filter(favourites::status_id.eq(status.id))
        .filter(accounts::suspended_at.is_null())
        .select((favourites::id, Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(favourites::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(favourites::id.gt(since));
    }
    Ok(q.order(favourites::id.desc())
        .limit(page.limit)
        .load(conn)?)
}

/// Accounts that boosted a status, newest first, with the boost id for paging.
pub fn reblogged_by(
    conn: &mut DbConnection,
    viewer: Viewer,
    id: i64,
    page: &Page,
) -> Result<Vec<(i64, Account)>> {
    let status = find_visible(conn, viewer, id)?;
    let mut q = statuses::table
        .inner_join(accounts::table)
        .filter(statuses::reblog_of_id.eq(status.id))
        .filter(statuses::deleted_at.is_null())
        .filter(accounts::suspended_at.is_null())
        .select((statuses::id, Account::as_select()))
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(statuses::id.lt(max));
    }
    if let Some(since) = page.since_id.or(page.min_id) {
        q = q.filter(statuses::id.gt(since));
    }
    Ok(q.order(statuses::id.desc()).limit(page.limit).load(conn)?)
}

/// Used by `visibility` users that need the parsed value of a row.
pub fn visibility_of(status: &Status) -> Visibility {
    status.visibility.parse().unwrap_or(Visibility::Private)
}
