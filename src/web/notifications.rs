//! `/notifications` in the browser: the employee's notifications grouped as Mastodon groups
//! them (the favourites and boosts of one post, new followers of a day), newest first, with
//! a filter by kind. The same service reads as `GET /api/v2/notifications`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cards::{PostCard, Who, card};
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
    instance_name: String,
    username: String,
    csrf_token: String,
    here: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    items: Vec<Item>,
    next: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Query {
    kind: Option<String>,
    max_id: Option<String>,
}

/// The filter's choices: the value of `?kind=` and its label.
const KINDS: &[(&str, &str)] = &[
    ("", "All"),
    ("mention", "Mentions"),
    ("favourite", "Favourites"),
    ("reblog", "Boosts"),
    ("follow", "Follows"),
    ("poll", "Polls"),
];

fn what(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "mention" => ("@", "mentioned you"),
        "status" => ("✎", "posted"),
        "reblog" => ("↻", "boosted your post"),
        "follow" => ("+", "followed you"),
        "follow_request" => ("?", "asked to follow you"),
        "favourite" => ("★", "favourited your post"),
        "poll" => ("▤", "— a poll ended"),
        "update" => ("✎", "edited a post you interacted with"),
        "quote" => ("❝", "quoted your post"),
        "admin.sign_up" => ("+", "signed up"),
        "admin.report" => ("⚑", "filed a report"),
        "moderation_warning" => ("!", "— a moderator sent you a warning"),
        _ => ("•", "— something happened"),
    }
}

async fn page(ctx: web::Data<AppContext>, req: HttpRequest, q: web::Query<Query>) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let me = shell.me();
        let kind = q
            .kind
            .clone()
            .filter(|k| KINDS.iter().any(|(v, _)| v == k))
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
                let (icon, verb) = what(&group.notification.kind);
                let first = people.first().map(|p| p.name.clone()).unwrap_or_default();
                let others = group.count - 1;
                let sentence = match others {
                    n if n <= 0 => format!("{first} {verb}"),
                    1 => format!("{first} and 1 other {verb}"),
                    n => format!("{first} and {n} others {verb}"),
                };
                let at = group.notification.created_at.and_utc();
                Item {
                    kind: group.notification.kind.clone(),
                    icon,
                    sentence,
                    people,
                    post: view.status.as_ref().map(|s| card(s, &ctx.settings)),
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
                kind,
                kinds: KINDS.to_vec(),
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
