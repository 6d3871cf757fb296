//! `/notifications` in the browser: the employee's notifications grouped as Mastodon groups
//! them (the favourites and boosts of one post, new followers of a day), newest first, with
//! a filter by kind. The same service reads as `GET /api/v2/notifications`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cards::{PostCard, Who, card};
use super::i18n::Texts;
use super::pages::render;
use super::shell;
use crate::context::AppContext;
use crate::service::notifications::{self, NotificationFilter};
use crate::service::pagination::Page;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(page));
}

/// Groups a page shows.
const PER_PAGE: i64 = 30;

struct Item {
    kind: String,
    icon: &'static str,
    /// "Sam Seller and 2 others favourited your post".
    sentence: String,
    people: Vec<Who>,
    post: Option<PostCard>,
    when: String,
    when_iso: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    t: Texts,
    instance_name: String,
    username: String,
    csrf_token: String,
    here: String,
    kind: String,
    kinds: Vec<(&'static str, String)>,
    items: Vec<Item>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Query {
    kind: Option<String>,
    max_id: Option<String>,
}

/// The filter's choices: the values of `?kind=`.
const KINDS: &[&str] = &["", "mention", "favourite", "reblog", "follow", "poll"];

/// The filter's choices with their labels.
fn kinds(t: Texts) -> Vec<(&'static str, String)> {
    KINDS
        .iter()
        .map(|&kind| {
            let label = match kind {
                "mention" => t.get("notifications-mentions"),
                "favourite" => t.get("notifications-favourites"),
                "reblog" => t.get("notifications-boosts"),
                "follow" => t.get("notifications-follows"),
                "poll" => t.get("notifications-polls"),
                _ => t.get("notifications-all"),
            };
            (kind, label)
        })
        .collect()
}

/// A notification group's icon and sentence: `first` and `others` more did what `kind` says.
fn what(t: Texts, kind: &str, first: &str, others: i64) -> (&'static str, String) {
    let count = others + 1;
    let who = t.with2("notification-who", "name", first, "others", others);
    match kind {
        "mention" => (
            "@",
            t.with2("notification-mention", "who", &who, "count", count),
        ),
        "status" => (
            "✎",
            t.with2("notification-status", "who", &who, "count", count),
        ),
        "reblog" => (
            "↻",
            t.with2("notification-reblog", "who", &who, "count", count),
        ),
        "follow" => (
            "+",
            t.with2("notification-follow", "who", &who, "count", count),
        ),
        "follow_request" => (
            "?",
            t.with2("notification-follow-request", "who", &who, "count", count),
        ),
        "favourite" => (
            "★",
            t.with2("notification-favourite", "who", &who, "count", count),
        ),
        "poll" => (
            "▤",
            t.with2("notification-poll", "who", &who, "count", count),
        ),
        "update" => (
            "✎",
            t.with2("notification-update", "who", &who, "count", count),
        ),
        "quote" => (
            "❝",
            t.with2("notification-quote", "who", &who, "count", count),
        ),
        "admin.sign_up" => (
            "+",
            t.with2("notification-sign-up", "who", &who, "count", count),
        ),
        "admin.report" => (
            "⚑",
            t.with2("notification-report", "who", &who, "count", count),
        ),
        "moderation_warning" => (
            "!",
            t.with2("notification-warning", "who", &who, "count", count),
        ),
        _ => (
            "•",
            t.with2("notification-other", "who", &who, "count", count),
        ),
    }
}

async fn page(ctx: web::Data<AppContext>, req: HttpRequest, q: web::Query<Query>) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let me = shell.me();
        let t = shell.t;
        let kind = q
            .kind
            .clone()
            .filter(|k| KINDS.contains(&k.as_str()))
            .unwrap_or_default();
        let filter = NotificationFilter {
            types: if kind.is_empty() {
                Vec::new()
            } else {
                vec![kind.clone()]
            },
            ..Default::default()
        };
        let page = Page::new(q.max_id.as_deref(), None, None, None, PER_PAGE, PER_PAGE);
        let caches = ctx.caches.clone();
        let loaded = ctx
            .db
            .read(move |conn| {
                let groups = notifications::list_groups(conn, me, &filter, &[], &page)?;
                notifications::load_groups(conn, &caches, me, groups)
            })
            .await?;
        let items: Vec<Item> = loaded
            .groups
            .iter()
            .map(|(group, view)| {
                let mut people: Vec<Who> = group
                    .sample_account_ids
                    .iter()
                    .filter_map(|id| loaded.accounts.get(id))
                    .map(|a| Who::of(a, &ctx.settings))
                    .collect();
                if people.is_empty() {
                    people.push(Who::of(&view.account, &ctx.settings));
                }
                let first = people.first().map(|p| p.name.as_str()).unwrap_or_default();
                let others = (group.count - 1).max(0);
                let (icon, sentence) = what(t, &group.notification.kind, first, others);
                let at = group.notification.created_at.and_utc();
                Item {
                    kind: group.notification.kind.clone(),
                    icon,
                    sentence,
                    people,
                    post: view.status.as_ref().map(|s| card(s, &ctx.settings, t)),
                    when: at.format("%-d %b, %H:%M").to_string(),
                    when_iso: at.to_rfc3339(),
                }
            })
            .collect();
        let next = (loaded.ids.len() as i64 == PER_PAGE)
            .then(|| {
                loaded
                    .ids
                    .last()
                    .map(|last| format!("/notifications?kind={kind}&max_id={last}"))
            })
            .flatten();
        render(
            StatusCode::OK,
            &NotificationsPage {
                t,
                kind,
                kinds: kinds(t),
                items,
                next,
                instance_name: shell.instance_name,
                username: shell.username,
                csrf_token: shell.csrf_token,
                here: shell.here,
            },
        )
    })
    .await
}
