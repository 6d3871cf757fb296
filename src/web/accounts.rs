//! Profiles in the browser for a signed-in employee, of colleagues here and in other
//! departments: who they are (department, the company directory's fields, bio), their
//! posts, and following them; the follow requests waiting for the employee's answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cards::{PostCard, Who, cards};
use super::i18n::Texts;
use super::pages::render;
use super::shell::{self, ActionForm, Shell, back_to};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::origin::Origin;
use crate::service::pagination::Page;
use crate::service::relationships::{self, FollowOptions};
use crate::service::timelines::{self, AccountStatusesFilter};
use crate::service::{accounts, text, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/accounts/{id}/{action}", web::post().to(act))
        .route("/follow_requests", web::get().to(requests))
        .route("/follow_requests/{id}/{answer}", web::post().to(answer));
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Texts,
    instance_name: String,
    username: String,
    csrf_token: String,
    here: String,
    notice: Option<String>,
    id: i64,
    who: Who,
    header: Option<String>,
    note: String,
    fields: Vec<(String, String, bool)>,
    posts_count: i64,
    following_count: i64,
    followers_count: i64,
    is_me: bool,
    locked: bool,
    following: bool,
    requested: bool,
    followed_by: bool,
    posts: Vec<PostCard>,
    next: Option<String>,
}

/// A profile's fields: name, value (sanitised HTML) and whether it was verified (a link
/// back, or the company directory's).
fn fields(raw: &str) -> Vec<(String, String, bool)> {
    let parsed: Vec<serde_json::Value> = serde_json::from_str(raw).unwrap_or_default();
    parsed
        .iter()
        .filter_map(|f| {
            let name = f.get("name")?.as_str()?.to_string();
            let value = text::sanitize_for_page(f.get("value")?.as_str()?);
            let verified = f.get("verified_at").is_some_and(|v| !v.is_null());
            Some((name, value, verified))
        })
        .collect()
}

/// The profile page of `acct` (`user` here, `user@department` elsewhere).
pub async fn profile(
    ctx: &AppContext,
    shell: Shell,
    acct: String,
    max_id: Option<&str>,
    done: Option<&str>,
) -> Result<HttpResponse> {
    let me = shell.me();
    let settings = ctx.settings.clone();
    let page = Page::new(max_id, None, None, None, 20, 20);
    let caches = ctx.caches.clone();
    let (account, relationship, views) = ctx
        .db
        .read(move |conn| {
            let account = accounts::lookup(conn, &settings, &acct)?;
            let relationship = accounts::relationships(conn, me, &[account.id])?.pop();
            let filter = AccountStatusesFilter {
                exclude_replies: true,
                ..Default::default()
            };
            let rows = timelines::account(conn, Some(me), account.id, &filter, &page)?;
            let views = views::hydrate_cached(conn, &caches.statuses, Some(me), rows)?;
            Ok((account, relationship, views))
        })
        .await?;
    let who = Who::of(&account, &ctx.settings);
    let next = (views.len() == 20)
        .then(|| {
            views
                .last()
                .map(|v| format!("{}?max_id={}", who.page, v.status.id))
        })
        .flatten();
    let rel = relationship.as_ref();
    let t = shell.t;
    render(
        StatusCode::OK,
        &AccountPage {
            t,
            notice: super::timelines::notice(t, done),
            id: account.id,
            header: account.header_url.clone(),
            note: text::sanitize_for_page(&account.note),
            fields: fields(&account.fields),
            posts_count: account.statuses_count,
            following_count: account.following_count,
            followers_count: account.followers_count,
            is_me: account.id == me,
            locked: account.locked,
            following: rel.is_some_and(|r| r.following),
            requested: rel.is_some_and(|r| r.requested),
            followed_by: rel.is_some_and(|r| r.followed_by),
            posts: cards(&views, &ctx.settings, t),
            next,
            who,
            instance_name: shell.instance_name,
            username: shell.username,
            csrf_token: shell.csrf_token,
            here: shell.here,
        },
    )
}

/// `POST /accounts/{id}/follow` and `/unfollow`.
async fn act(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    shell::form_of(&ctx, &req, &form.csrf_token, async |shell| {
        let (id, action) = path.into_inner();
        let target: i64 = id.parse().map_err(|_| Error::not_found())?;
        let me = shell.user.account.clone();
        let done = match action.as_str() {
            "follow" => {
                let my_id = me.id;
                relationships::follow_account(&ctx, me, target, FollowOptions::default()).await?;
                let requested = ctx
                    .db
                    .read(move |conn| {
                        Ok(accounts::relationships(conn, my_id, &[target])?
                            .pop()
                            .is_some_and(|r| r.requested))
                    })
                    .await?;
                if requested { "requested" } else { "followed" }
            }
            "unfollow" => {
                ctx.db
                    .write(move |conn| relationships::unfollow(conn, &me, target, Origin::Local))
                    .await?;
                "unfollowed"
            }
            _ => return Err(Error::not_found()),
        };
        Ok(back_to(form.return_to.as_deref(), "/", Some(done), None))
    })
    .await
}

#[derive(Template)]
#[template(path = "follow_requests.html")]
struct RequestsPage {
    t: Texts,
    instance_name: String,
    username: String,
    csrf_token: String,
    notice: Option<String>,
    people: Vec<(i64, Who)>,
}

#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// `GET /follow_requests`: who asks to follow the employee (a locked account approves its
/// followers).
async fn requests(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<DoneQuery>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let me = shell.me();
        let waiting = ctx
            .db
            .read(move |conn| accounts::follow_requests(conn, me, &Page::first(80)))
            .await?;
        render(
            StatusCode::OK,
            &RequestsPage {
                t: shell.t,
                notice: super::timelines::notice(shell.t, q.done.as_deref()),
                people: waiting
                    .iter()
                    .map(|(_, a)| (a.id, Who::of(a, &ctx.settings)))
                    .collect(),
                instance_name: shell.instance_name,
                username: shell.username,
                csrf_token: shell.csrf_token,
            },
        )
    })
    .await
}

/// `POST /follow_requests/{id}/authorize` and `/reject`.
async fn answer(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    shell::form_of(&ctx, &req, &form.csrf_token, async |shell| {
        let (id, answer) = path.into_inner();
        let from: i64 = id.parse().map_err(|_| Error::not_found())?;
        let accept = match answer.as_str() {
            "authorize" => true,
            "reject" => false,
            _ => return Err(Error::not_found()),
        };
        relationships::answer_request(&ctx, shell.user.account.clone(), from, accept).await?;
        let done = if accept { "accepted" } else { "rejected" };
        Ok(back_to(
            Some("/follow_requests"),
            "/follow_requests",
            Some(done),
            None,
        ))
    })
    .await
}
