use serde::Serialize;
use serde_json::{Value, json};

use super::account::{AccountEntity, account_from_row};
use super::filter::filter_result_entity;
use super::iso_datetime;
use super::media::media_entity;
use crate::config::Settings;
use crate::db::models::{Status, StatusEdit};
use crate::service::views::StatusView;

/// <https://docs.joinmastodon.org/entities/Status/>
#[derive(Debug, Clone, Serialize)]
pub struct StatusEntity {
    pub id: String,
    pub uri: String,
    pub url: Option<String>,
    pub created_at: String,
    pub account: AccountEntity,
    pub content: String,
    /// Mastodon's four visibilities. Department-only posts are `public` here with
    /// `local_only: true` (GoToSocial's convention), so every client can show them.
    pub visibility: String,
    pub local_only: bool,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<Value>,
    pub application: Option<Value>,
    pub mentions: Vec<MentionEntity>,
    pub tags: Vec<TagRef>,
    pub emojis: Vec<Value>,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub replies_count: i64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<StatusEntity>>,
    pub poll: Option<Value>,
    pub card: Option<Value>,
    pub language: Option<String>,
    /// Only in responses to delete (for "delete and redraft").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub edited_at: Option<String>,
    pub favourited: bool,
    pub reblogged: bool,
    pub muted: bool,
    pub bookmarked: bool,
    pub pinned: bool,
    pub filtered: Vec<Value>,
    /// Groundswell's: `post` or `edit` while a policy rule holds it for a moderator's review
    /// (only its author sees it then); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_for_review: Option<String>,
}

/// What the policy rules did with a post (Groundswell's, beside a new or edited status's
/// entity, and the answer of `POST /api/v1/groundswell/policy/check`): `outcome` (`publish`,
/// `hold` or `reject`), the changes they made, and each matching rule with its action and
/// explanation. Dry runs are left out.
pub fn policy_entity(verdict: &crate::service::policy::Verdict) -> Value {
    let outcome = if verdict.rejected_by().is_some() {
        "reject"
    } else if verdict.held_by().is_some() {
        "hold"
    } else {
        "publish"
    };
    json!({
        "outcome": outcome,
        "department_only": verdict.department_only(),
        "strip_media": verdict.strip_media(),
        "content_warning": verdict.content_warning(),
        "sensitive": verdict.sensitive(),
        "matches": verdict.acting().map(|m| json!({
            "rule": m.rule,
            "action": m.action,
            "explain": m.explain,
            "warning": m.warning,
        })).collect::<Vec<_>>(),
    })
}

/// A new or edited status as its author is answered: the entity, and `policy` when rules
/// matched it.
pub fn posted_entity(
    view: &StatusView,
    verdict: &crate::service::policy::Verdict,
    settings: &Settings,
) -> Value {
    let mut body = serde_json::to_value(status_from_view(view, settings)).unwrap_or(Value::Null);
    if verdict.acting().next().is_some() {
        body["policy"] = policy_entity(verdict);
    }
    body
}

/// <https://docs.joinmastodon.org/entities/Status/#Mention>
#[derive(Debug, Clone, Serialize)]
pub struct MentionEntity {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

/// <https://docs.joinmastodon.org/entities/Status/#Tag>
#[derive(Debug, Clone, Serialize)]
pub struct TagRef {
    pub name: String,
    pub url: String,
}

pub fn wire_visibility(v: &str) -> (&str, bool) {
    match v {
        "local" => ("public", true),
        other => (other, false),
    }
}

pub fn status_from_view(view: &StatusView, settings: &Settings) -> StatusEntity {
    let base_url = settings.instance.base_url();
    let base = &base_url;
    let s = &view.status;
    // A boost carries the viewer's flags of what it boosts (as Mastodon's boost response does).
    let flags = view.reblog.as_deref().unwrap_or(view);
    let base_str = base.as_str().trim_end_matches('/');
    let (visibility, local_only) = wire_visibility(&s.visibility);
    StatusEntity {
        id: s.id.to_string(),
        uri: s.ap_id.clone(),
        url: s.url.clone(),
        created_at: iso_datetime(s.created_at),
        account: account_from_row(&view.account, base),
        content: s.content.clone(),
        visibility: visibility.to_string(),
        local_only: local_only || s.local_only,
        // Moderators may have every attachment of an account shown as sensitive.
        sensitive: s.sensitive
            || (view.account.sensitized_at.is_some() && !view.parts.media.is_empty()),
        spoiler_text: s.spoiler_text.clone(),
        media_attachments: view
            .parts
            .media
            .iter()
            .map(|m| media_entity(m, settings))
            .collect(),
        application: view
            .application()
            .map(|(name, website)| json!({ "name": name, "website": website })),
        mentions: view
            .parts
            .mentions
            .iter()
            .map(|a| MentionEntity {
                id: a.id.to_string(),
                username: a.username.clone(),
                url: a.url.clone().unwrap_or_else(|| a.ap_id.clone()),
                acct: a.acct(),
            })
            .collect(),
        tags: view
            .parts
            .tags
            .iter()
            .map(|t| TagRef {
                name: t.name.clone(),
                url: format!("{base_str}/tags/{}", t.name),
            })
            .collect(),
        emojis: Vec::new(),
        reblogs_count: s.reblogs_count,
        favourites_count: s.favourites_count,
        replies_count: s.replies_count,
        in_reply_to_id: s.in_reply_to_id.map(|id| id.to_string()),
        in_reply_to_account_id: s.in_reply_to_account_id.map(|id| id.to_string()),
        reblog: view
            .reblog
            .as_ref()
            .map(|r| Box::new(status_from_view(r, settings))),
        poll: view.poll.as_ref().map(poll_entity),
        card: None,
        language: s.language.clone(),
        text: None,
        edited_at: s.edited_at.map(iso_datetime),
        favourited: flags.favourited,
        reblogged: flags.reblogged,
        muted: flags.muted,
        bookmarked: flags.bookmarked,
        pinned: view.pinned,
        filtered: view.filtered.iter().map(filter_result_entity).collect(),
        held_for_review: s.held_for_review.clone(),
    }
}

/// <https://docs.joinmastodon.org/entities/Poll/>
pub fn poll_entity(p: &crate::service::polls::PollView) -> Value {
    let options: Vec<Value> = p
        .poll
        .option_titles()
        .into_iter()
        .zip(&p.option_votes)
        .map(|(title, votes)| {
            json!({
                "title": title,
                "votes_count": if p.totals_hidden { Value::Null } else { json!(votes) },
            })
        })
        .collect();
    json!({
        "id": p.poll.id.to_string(),
        "expires_at": p.poll.expires_at.map(iso_datetime),
        "expired": p.expired,
        "multiple": p.poll.multiple,
        "votes_count": p.votes_count,
        "voters_count": p.voters_count,
        "options": options,
        "emojis": [],
        "voted": p.voted,
        "own_votes": p.own_votes,
    })
}

/// <https://docs.joinmastodon.org/entities/StatusEdit/>
pub fn status_edit_entity(edit: &StatusEdit, account: &AccountEntity) -> Value {
    json!({
        "content": edit.content,
        "spoiler_text": edit.spoiler_text,
        "sensitive": edit.sensitive,
        "created_at": iso_datetime(edit.created_at),
        "account": account,
        "poll": null,
        "media_attachments": [],
        "emojis": [],
    })
}

/// <https://docs.joinmastodon.org/entities/StatusSource/>
pub fn status_source_entity(status: &Status) -> Value {
    json!({
        "id": status.id.to_string(),
        "text": status.source_text.clone().unwrap_or_default(),
        "spoiler_text": status.spoiler_text,
    })
}
