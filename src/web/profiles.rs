//! Public pages of accounts and posts: where the `url` of every account and status leads.
//! What a page shows follows the same visibility rule as the API, for the signed-in employee
//! (browser session) or for anonymous visitors.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::i18n::Texts;
use super::pages::{message_page, render};
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::pagination::Page;
use crate::service::timelines::{self, AccountStatusesFilter};
use crate::service::views::{self, StatusView};
use crate::service::{accounts, text, visibility};

pub struct PostItem {
    pub content: String,
    pub spoiler: String,
    pub url: String,
    pub created_at: String,
    pub local_only: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub display_name: String,
    pub acct: String,
    pub avatar: String,
    pub note: String,
    pub statuses_count: i64,
    pub following_count: i64,
    pub followers_count: i64,
    pub posts: Vec<PostItem>,
}

#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusPage<'a> {
    pub t: Texts,
    pub instance_name: &'a str,
    pub display_name: String,
    pub acct: String,
    pub profile_url: String,
    pub summary: String,
    pub spoiler: String,
    pub content: String,
    /// (full URL, preview URL, description)
    pub images: Vec<(String, String, String)>,
    pub created_at: String,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub local_only: bool,
}

fn when(view: &StatusView) -> String {
    view.status
        .created_at
        .and_utc()
        .format("%Y-%m-%d %H:%M UTC")
        .to_string()
}

fn not_found_page(ctx: &AppContext, t: Texts) -> Result<HttpResponse> {
    message_page(
        ctx,
        t,
        StatusCode::NOT_FOUND,
        &t.get("not-found"),
        &t.get("not-found-text"),
    )
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    max_id: Option<String>,
    done: Option<String>,
}

/// `GET /@{username}`: for a signed-in employee, the profile in the web app (of anyone:
/// `/@user@department` for other departments); for anyone else, the public page of an
/// account here.
pub async fn profile(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let username = path.into_inner();
    let t = Texts::of(&req);
    if let Ok(shell) = super::shell::signed_in(&ctx, &req).await? {
        let shown = super::accounts::profile(
            &ctx,
            shell,
            username,
            q.max_id.as_deref(),
            q.done.as_deref(),
        )
        .await;
        return match shown {
            Err(e) if e.kind() == ErrorKind::NotFound => not_found_page(&ctx, t),
            other => Ok(super::shell::page_or_error(&ctx, t, other)),
        };
    }
    let viewer = None;
    let settings = ctx.settings.clone();
    let found = ctx
        .db
        .read(move |conn| {
            let account = accounts::lookup(conn, &settings, &username)?;
            if !account.is_local() {
                return Err(Error::not_found());
            }
            let filter = AccountStatusesFilter {
                exclude_replies: true,
                exclude_reblogs: true,
                ..Default::default()
            };
            let rows = timelines::account(conn, viewer, account.id, &filter, &Page::first(20))?;
            Ok((account, views::hydrate(conn, viewer, rows)?))
        })
        .await;
    let (account, posts) = match found {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound => return not_found_page(&ctx, t),
        Err(e) => return Err(e),
    };
    let base = ctx.settings.instance.base();
    render(
        StatusCode::OK,
        &ProfilePage {
            t,
            instance_name: &ctx.settings.instance.name,
            display_name: account.display_name.clone(),
            acct: format!("{}@{}", account.username, ctx.settings.instance.domain),
            avatar: account
                .avatar_url
                .clone()
                .unwrap_or_else(|| format!("{base}/static/avatar.png")),
            note: text::sanitize_for_page(&account.note),
            statuses_count: account.statuses_count,
            following_count: account.following_count,
            followers_count: account.followers_count,
            posts: posts
                .iter()
                .map(|v| PostItem {
                    content: text::sanitize_for_page(&v.status.content),
                    spoiler: v.status.spoiler_text.clone(),
                    url: v
                        .status
                        .url
                        .clone()
                        .unwrap_or_else(|| v.status.ap_id.clone()),
                    created_at: when(v),
                    local_only: v.status.visibility == "local",
                })
                .collect(),
        },
    )
}

/// `GET /@{username}/{id}`: for a signed-in employee, the thread in the web app (of any
/// department's post: `/@user@department/{id}`); for anyone else, the public page of a post
/// here.
pub async fn status(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    q: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let (username, id) = path.into_inner();
    let t = Texts::of(&req);
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(&ctx, t);
    };
    if let Ok(shell) = super::shell::signed_in(&ctx, &req).await? {
        let shown = super::posts::thread(&ctx, shell, &username, id, q.done.as_deref()).await;
        return match shown {
            Err(e) if e.kind() == ErrorKind::NotFound => not_found_page(&ctx, t),
            other => Ok(super::shell::page_or_error(&ctx, t, other)),
        };
    }
    let viewer = None;
    let found = ctx
        .db
        .read(move |conn| {
            let status = visibility::find_visible(conn, viewer, id)?;
            let view = views::hydrate_one(conn, viewer, status)?;
            if view.account.username != username.to_lowercase()
                || !view.account.is_local()
                || view.reblog.is_some()
            {
                return Err(Error::not_found());
            }
            Ok(view)
        })
        .await;
    let view = match found {
        Ok(view) => view,
        Err(e) if e.kind() == ErrorKind::NotFound => return not_found_page(&ctx, t),
        Err(e) => return Err(e),
    };
    let text = view.status.source_text.clone().unwrap_or_default();
    let summary: String = text.chars().take(60).collect();
    render(
        StatusCode::OK,
        &StatusPage {
            t,
            instance_name: &ctx.settings.instance.name,
            display_name: view.account.display_name.clone(),
            acct: format!("{}@{}", view.account.username, ctx.settings.instance.domain),
            profile_url: view
                .account
                .url
                .clone()
                .unwrap_or_else(|| view.account.ap_id.clone()),
            summary,
            spoiler: view.status.spoiler_text.clone(),
            content: text::sanitize_for_page(&view.status.content),
            images: view
                .parts
                .media
                .iter()
                .filter_map(|m| {
                    let full =
                        crate::service::media::public_url(&ctx.settings, m.file_path.as_deref()?);
                    let small = crate::service::media::public_url(
                        &ctx.settings,
                        m.thumbnail_path.as_deref()?,
                    );
                    Some((full, small, m.description.clone()))
                })
                .collect(),
            created_at: when(&view),
            replies_count: view.status.replies_count,
            reblogs_count: view.status.reblogs_count,
            favourites_count: view.status.favourites_count,
            local_only: view.status.visibility == "local",
        },
    )
}
