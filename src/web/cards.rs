//! A post as the web pages show it: built from the same [`StatusView`] the client API
//! serialises, so a page shows exactly what an app shows (visibility, the viewer's own
//! favourite, boost and bookmark, media with their descriptions, polls, who boosted it).

use super::i18n::Texts;
use crate::config::Settings;
use crate::db::models::Account;
use crate::service::views::StatusView;
use crate::service::{media, text};

/// An account's name and where its page is.
pub struct Who {
    pub name: String,
    /// `@user` here, `@user@department` elsewhere.
    pub acct: String,
    pub department: String,
    pub avatar: String,
    /// Its page in this web app.
    pub page: String,
}

impl Who {
    pub fn of(a: &Account, settings: &Settings) -> Who {
        let here = settings.instance.domain.as_str();
        let department = a.domain.clone().unwrap_or_else(|| here.to_string());
        let acct = match a.domain.as_deref() {
            Some(d) if d != here => format!("{}@{d}", a.username),
            _ => a.username.clone(),
        };
        Who {
            name: if a.display_name.trim().is_empty() {
                a.username.clone()
            } else {
                a.display_name.clone()
            },
            page: format!("/@{acct}"),
            acct: format!("@{acct}"),
            department,
            avatar: a
                .avatar_url
                .clone()
                .unwrap_or_else(|| "/static/avatar.png".into()),
        }
    }
}

pub struct Image {
    pub full: String,
    pub preview: String,
    pub alt: String,
}

pub struct PollChoice {
    pub index: usize,
    pub title: String,
    /// Share of the votes, in whole percent (when totals are shown).
    pub percent: Option<i64>,
    pub mine: bool,
}

pub struct PollCard {
    pub id: i64,
    pub choices: Vec<PollChoice>,
    pub multiple: bool,
    pub voters: i64,
    pub closed: bool,
    pub voted: bool,
    pub ends: String,
}

pub struct PostCard {
    pub id: i64,
    /// The thread page of this post in the web app.
    pub page: String,
    /// Where the post lives (its department's page for it).
    pub permalink: String,
    pub author: Who,
    /// Who boosted it, when it came to the timeline as a boost.
    pub boosted_by: Option<Who>,
    pub content: String,
    pub spoiler: String,
    pub sensitive: bool,
    pub images: Vec<Image>,
    pub poll: Option<PollCard>,
    /// `public`, `unlisted`, `private`, `direct` or `local`.
    pub visibility: &'static str,
    pub visibility_label: String,
    pub is_reply: bool,
    pub created_at: String,
    pub created_iso: String,
    pub edited: bool,
    pub replies: i64,
    pub boosts: i64,
    pub favourites: i64,
    pub favourited: bool,
    pub boosted: bool,
    pub bookmarked: bool,
    pub own: bool,
    pub can_boost: bool,
    /// Whether it never leaves this department (department-only, or kept here by a rule).
    pub department_only: bool,
    /// Whether a rule holds it for review (only its author sees it until a moderator decides).
    pub held: bool,
}

/// A visibility as every post names it: its value and its name.
pub fn visibility_label(t: Texts, v: &str) -> (&'static str, String) {
    match v {
        "public" => ("public", t.get("visibility-public")),
        "unlisted" => ("unlisted", t.get("visibility-unlisted")),
        "private" => ("private", t.get("visibility-private")),
        "direct" => ("direct", t.get("visibility-direct")),
        _ => ("local", t.get("visibility-local")),
    }
}

fn image(m: &crate::db::models::MediaAttachment, settings: &Settings) -> Option<Image> {
    let full = m
        .file_path
        .as_deref()
        .map(|p| media::public_url(settings, p))
        .or_else(|| m.remote_url.clone())?;
    let preview = m
        .thumbnail_path
        .as_deref()
        .map(|p| media::public_url(settings, p))
        .unwrap_or_else(|| full.clone());
    Some(Image {
        full,
        preview,
        alt: m.description.clone(),
    })
}

fn poll(view: &StatusView) -> Option<PollCard> {
    let p = view.poll.as_ref()?;
    let options = p.poll.option_titles();
    let total: i64 = p.option_votes.iter().sum();
    Some(PollCard {
        id: p.poll.id,
        choices: options
            .into_iter()
            .enumerate()
            .map(|(index, title)| PollChoice {
                index,
                title,
                percent: (!p.totals_hidden).then(|| {
                    let votes = p.option_votes.get(index).copied().unwrap_or(0);
                    if total > 0 { votes * 100 / total } else { 0 }
                }),
                mine: p
                    .own_votes
                    .iter()
                    .any(|v| usize::try_from(*v).ok() == Some(index)),
            })
            .collect(),
        multiple: p.poll.multiple,
        voters: p.voters_count,
        closed: p.expired,
        voted: p.voted,
        ends: p
            .poll
            .expires_at
            .map(|t| t.and_utc().format("%-d %b %Y, %H:%M UTC").to_string())
            .unwrap_or_default(),
    })
}

/// The card of a timeline entry: a boost shows the boosted post, with who boosted it.
pub fn card(view: &StatusView, settings: &Settings, t: Texts) -> PostCard {
    match view.reblog.as_deref() {
        Some(original) => {
            let mut c = card(original, settings, t);
            c.boosted_by = Some(Who::of(&view.account, settings));
            c
        }
        None => {
            let s = &view.status;
            let author = Who::of(&view.account, settings);
            let (visibility, visibility_label) = visibility_label(t, &s.visibility);
            PostCard {
                id: s.id,
                page: format!("{}/{}", author.page, s.id),
                permalink: s.url.clone().unwrap_or_else(|| s.ap_id.clone()),
                boosted_by: None,
                content: text::sanitize_for_page(&s.content),
                spoiler: s.spoiler_text.clone(),
                sensitive: s.sensitive,
                images: view
                    .parts
                    .media
                    .iter()
                    .filter_map(|m| image(m, settings))
                    .collect(),
                poll: poll(view),
                visibility,
                visibility_label,
                is_reply: s.in_reply_to_id.is_some() || s.in_reply_to_ap_id.is_some(),
                created_at: s
                    .created_at
                    .and_utc()
                    .format("%-d %b %Y, %H:%M")
                    .to_string(),
                created_iso: s.created_at.and_utc().to_rfc3339(),
                edited: s.edited_at.is_some(),
                replies: s.replies_count,
                boosts: s.reblogs_count,
                favourites: s.favourites_count,
                favourited: view.favourited,
                boosted: view.reblogged,
                bookmarked: view.bookmarked,
                own: view.own,
                can_boost: crate::service::statuses::visibility_of(s).is_boostable() || view.own,
                department_only: s.local_only || visibility == "local",
                held: s.held_for_review.is_some(),
                author,
            }
        }
    }
}

pub fn cards(views: &[StatusView], settings: &Settings, t: Texts) -> Vec<PostCard> {
    views.iter().map(|v| card(v, settings, t)).collect()
}
