//! A post in the browser for a signed-in employee: the thread around it with a reply box,
//! and what one does to a post (favourite, boost, bookmark, vote, delete), each a small
//! form (CSRF-checked) that comes back to the page it was on, at the post.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cards::{PostCard, card, cards};
use super::compose::{ComposeBox, reply_to};
use super::i18n::Texts;
use super::pages::render;
use super::shell::{self, ActionForm, Shell, back_to};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::http::params::{Params, lenient};
use crate::service::origin::Origin;
use crate::service::{polls, statuses, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/statuses/{id}/{action}", web::post().to(act))
        .route("/polls/{id}/vote", web::post().to(vote));
}

#[derive(Template)]
#[template(path = "thread.html")]
struct ThreadPage {
    t: Texts,
    instance_name: String,
    username: String,
    csrf_token: String,
    here: String,
    notice: Option<String>,
    title: String,
    ancestors: Vec<PostCard>,
    /// The post itself (one).
    focus: Vec<PostCard>,
    descendants: Vec<PostCard>,
    compose: ComposeBox,
}

/// The thread page of status `id`, whose author is `acct` (`user` or `user@department`), for
/// a signed-in employee.
pub async fn thread(
    ctx: &AppContext,
    shell: Shell,
    acct: &str,
    id: i64,
    done: Option<&str>,
) -> Result<HttpResponse> {
    let me = shell.me();
    let caches = ctx.caches.clone();
    let (focus, ancestors, descendants) = ctx
        .db
        .read(move |conn| {
            let focus = views::find_one(conn, Some(me), id)?;
            let (a, d) = statuses::context(conn, Some(me), id)?;
            Ok((
                focus,
                views::hydrate_cached(conn, &caches.statuses, Some(me), a)?,
                views::hydrate_cached(conn, &caches.statuses, Some(me), d)?,
            ))
        })
        .await?;
    if focus.reblog.is_some() {
        return Err(Error::not_found());
    }
    let t = shell.t;
    let focus = card(&focus, &ctx.settings, t);
    // The address names the author: another author's address for this post is not it.
    if !focus
        .author
        .acct
        .trim_start_matches('@')
        .eq_ignore_ascii_case(acct.trim_start_matches('@'))
        && !format!(
            "{}@{}",
            focus.author.acct.trim_start_matches('@'),
            shell.domain
        )
        .eq_ignore_ascii_case(acct.trim_start_matches('@'))
    {
        return Err(Error::not_found());
    }
    let mut compose = ComposeBox::new(t, &shell.user, &ctx.settings, None);
    reply_to(ctx, &shell, &mut compose, id).await?;
    compose.return_to = shell
        .here
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .to_string();
    render(
        StatusCode::OK,
        &ThreadPage {
            t,
            notice: super::timelines::notice(t, done),
            title: t.with("post-title", "name", &focus.author.name),
            ancestors: cards(&ancestors, &ctx.settings, t),
            descendants: cards(&descendants, &ctx.settings, t),
            focus: vec![focus],
            compose,
            instance_name: shell.instance_name,
            username: shell.username,
            csrf_token: shell.csrf_token,
            here: shell.here,
        },
    )
}

/// A change to the database an action makes.
type Change = dyn FnOnce(&mut crate::db::DbConnection) -> Result<()> + Send;

/// `POST /statuses/{id}/{action}`: `favourite`, `unfavourite`, `boost`, `unboost`,
/// `bookmark`, `unbookmark` or `delete`.
async fn act(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
) -> HttpResponse {
    shell::form_of(&ctx, &req, &form.csrf_token, async |shell| {
        let (id, action) = path.into_inner();
        let id: i64 = id.parse().map_err(|_| Error::not_found())?;
        let user = shell.user.clone();
        let account = user.account.clone();
        let me = account.id;
        let write = |f: Box<Change>| ctx.db.write(f);
        let mut done = None;
        match action.as_str() {
            "favourite" => {
                statuses::like(&ctx, user, id).await?;
            }
            "unfavourite" => {
                write(Box::new(move |c| {
                    statuses::unfavourite(c, &account, id, Origin::Local).map(drop)
                }))
                .await?;
            }
            "boost" => {
                statuses::boost(&ctx, user, id, None).await?;
            }
            "unboost" => {
                write(Box::new(move |c| {
                    statuses::unreblog(c, &account, id, Origin::Local).map(drop)
                }))
                .await?;
            }
            "bookmark" | "unbookmark" => {
                let on = action == "bookmark";
                write(Box::new(move |c| {
                    statuses::bookmark(c, me, id, on).map(drop)
                }))
                .await?;
            }
            "delete" => {
                write(Box::new(move |c| {
                    statuses::delete(c, &account, id, Origin::Local).map(drop)
                }))
                .await?;
                done = Some("deleted");
                // The deleted post's own page is gone: back to the timeline.
                if form
                    .return_to
                    .as_deref()
                    .is_some_and(|r| r.ends_with(&format!("/{id}")))
                {
                    return Ok(back_to(None, "/", done, None));
                }
            }
            _ => return Err(Error::not_found()),
        }
        if super::shell::from_script(&req) {
            return Ok(HttpResponse::NoContent().finish());
        }
        let anchor = (done.is_none()).then(|| format!("post-{id}"));
        Ok(back_to(
            form.return_to.as_deref(),
            "/",
            done,
            anchor.as_deref(),
        ))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct VoteForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default, deserialize_with = "lenient::string_list")]
    choices: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    return_to: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    status_id: Option<String>,
}

/// `POST /polls/{id}/vote` (`choices[]`)
async fn vote(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    Params(form): Params<VoteForm>,
) -> HttpResponse {
    shell::form_of(&ctx, &req, &form.csrf_token, async |shell| {
        let id: i64 = id.parse().map_err(|_| Error::not_found())?;
        let choices = form
            .choices
            .iter()
            .map(|c| c.trim().parse::<i32>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| Error::unprocessable(shell.t.get("poll-choose")))?;
        if choices.is_empty() {
            return Err(Error::unprocessable(shell.t.get("poll-choose")));
        }
        polls::cast_vote(&ctx, &shell.user.account, id, choices).await?;
        let anchor = form.status_id.as_deref().map(|s| format!("post-{s}"));
        Ok(back_to(
            form.return_to.as_deref(),
            "/",
            Some("voted"),
            anchor.as_deref(),
        ))
    })
    .await
}
