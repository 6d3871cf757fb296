//! The timelines in the browser: home (`/`, `/home`), the department (`/local`), the company
//! (`/company`: every department's public posts), a hashtag (`/tags/{name}`), a list
//! (`/lists/{id}`), bookmarks and favourites. The same service reads as the client API's,
//! so what a page shows is what an app shows. Pages go back in time with `?max_id=`; new
//! posts are fetched with `?since_id=…&partial=1` (the cards alone) by the page's script and
//! shown when the reader asks, so nobody loses their place.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::cards::{PostCard, cards};
use super::compose::ComposeBox;
use super::i18n::Texts;
use super::pages::render;
use super::shell::{self, Shell};
use crate::context::AppContext;
use crate::db::DbConnection;
use crate::db::models::Status;
use crate::error::Result;
use crate::service::filters::{self, FilterContext};
use crate::service::pagination::Page;
use crate::service::timelines::{self, Origin};
use crate::service::{lists, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/home", web::get().to(home))
        .route("/local", web::get().to(local))
        .route("/company", web::get().to(company))
        .route("/tags/{name}", web::get().to(tag))
        .route("/lists", web::get().to(all_lists))
        .route("/lists/{id}", web::get().to(list))
        .route("/bookmarks", web::get().to(bookmarks))
        .route("/favourites", web::get().to(favourites));
}

/// Posts a page shows.
pub const PER_PAGE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct TimelineQuery {
    max_id: Option<String>,
    since_id: Option<String>,
    /// `1`: only the new posts' cards, for the page's script.
    partial: Option<String>,
    /// With `partial`: how many new posts the script already holds back, so that the
    /// button's label can count on from there.
    waiting: Option<usize>,
    done: Option<String>,
}

impl TimelineQuery {
    fn page(&self) -> Page {
        Page::new(
            self.max_id.as_deref(),
            self.since_id.as_deref(),
            None,
            None,
            PER_PAGE,
            PER_PAGE,
        )
    }

    fn partial(&self) -> bool {
        self.partial.as_deref() == Some("1")
    }
}

#[derive(Template)]
#[template(path = "timeline.html")]
pub struct TimelinePage {
    pub t: Texts,
    pub instance_name: String,
    pub username: String,
    pub csrf_token: String,
    pub here: String,
    /// Which item of the main navigation this is.
    pub nav: &'static str,
    pub title: String,
    pub lede: String,
    pub empty: String,
    pub notice: Option<String>,
    /// The usage policy waits for the employee's acceptance before they post or interact.
    pub policy_pending: bool,
    pub compose: Option<ComposeBox>,
    pub posts: Vec<PostCard>,
    /// The newest post's paging id: the script asks for what is newer.
    pub newest: Option<i64>,
    /// Whether the script looks for new posts (the first page only).
    pub live: bool,
    pub next: Option<String>,
    pub lists: Vec<(i64, String)>,
}

/// Only the cards, for the script that shows new posts, with the labels of its "Show new
/// posts" button for each total it may reach (the script keeps the cards not yet on the
/// page): plurals are the catalogue's, not the script's.
#[derive(Template)]
#[template(path = "cards.html")]
pub struct CardsFragment {
    pub t: Texts,
    pub csrf_token: String,
    pub here: String,
    pub posts: Vec<PostCard>,
    pub labels: Vec<(usize, String)>,
}

/// A sentence for `?done=` (fixed sentences: never request text on a page).
pub fn notice(t: Texts, done: Option<&str>) -> Option<String> {
    Some(match done? {
        "posted" => t.get("done-posted"),
        "edited" => t.get("done-edited"),
        "deleted" => t.get("done-deleted"),
        "followed" => t.get("done-followed"),
        "requested" => t.get("done-requested"),
        "unfollowed" => t.get("done-unfollowed"),
        "voted" => t.get("done-voted"),
        "accepted" => t.get("done-accepted"),
        "rejected" => t.get("done-rejected"),
        _ => return None,
    })
}

/// What a timeline page is.
pub struct Spec {
    pub nav: &'static str,
    pub title: String,
    pub lede: String,
    pub empty: String,
    pub compose: bool,
    pub context: Option<FilterContext>,
}

/// Load a page of `(paging id, status)` rows with `load`, and show it as `spec` says.
pub async fn show<F>(
    ctx: &AppContext,
    shell: Shell,
    q: &TimelineQuery,
    spec: Spec,
    load: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&mut DbConnection, i64, &Page) -> Result<Vec<(i64, Status)>> + Send + 'static,
{
    let me = shell.me();
    let page = q.page();
    let caches = ctx.caches.clone();
    let context = spec.context;
    let with_lists = spec.nav == "lists";
    let (ids, views, my_lists) = ctx
        .db
        .read(move |conn| {
            let rows = load(conn, me, &page)?;
            let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
            let rows = rows.into_iter().map(|(_, s)| s).collect();
            let views = views::hydrate_cached(conn, &caches.statuses, Some(me), rows)?;
            let views = match context {
                Some(c) => filters::drop_hidden(views, c),
                None => views,
            };
            let my_lists = if with_lists {
                lists::all(conn, me)?
                    .into_iter()
                    .map(|l| (l.id, l.title))
                    .collect()
            } else {
                Vec::new()
            };
            Ok((ids, views, my_lists))
        })
        .await?;
    let t = shell.t;
    let posts = cards(&views, &ctx.settings, t);
    let path = shell.here.split('?').next().unwrap_or("/").to_string();
    if q.partial() {
        let waiting = q.waiting.unwrap_or(0).min(10_000);
        let labels = (waiting + 1..=waiting + posts.len())
            .map(|n| (n, t.with("timeline-show-new", "count", n)))
            .collect();
        let mut resp = render(
            StatusCode::OK,
            &CardsFragment {
                t,
                csrf_token: shell.csrf_token,
                here: path,
                posts,
                labels,
            },
        )?;
        // Where the next look for new posts starts (a boost pages by its own id).
        if let Some(newest) = ids.first()
            && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&newest.to_string())
        {
            resp.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("x-newest"),
                value,
            );
        }
        return Ok(resp);
    }
    let first_page = q.max_id.is_none() && q.since_id.is_none();
    let next = (ids.len() as i64 == PER_PAGE)
        .then(|| ids.last().map(|last| format!("{path}?max_id={last}")))
        .flatten();
    let compose = spec
        .compose
        .then(|| ComposeBox::new(t, &shell.user, &ctx.settings, None));
    let policy_pending = matches!(
        crate::service::usage_policy::require_accepted(ctx, &shell.user.account).await,
        Err(e) if e.kind() == crate::error::ErrorKind::Forbidden
    );
    render(
        StatusCode::OK,
        &TimelinePage {
            t,
            notice: notice(t, q.done.as_deref()),
            policy_pending,
            newest: ids.first().copied(),
            live: first_page,
            next,
            nav: spec.nav,
            title: spec.title,
            lede: spec.lede,
            empty: spec.empty,
            compose,
            posts,
            lists: my_lists,
            instance_name: shell.instance_name,
            username: shell.username,
            csrf_token: shell.csrf_token,

            here: shell.here,
        },
    )
}

fn by_id(rows: Vec<Status>) -> Vec<(i64, Status)> {
    rows.into_iter().map(|s| (s.id, s)).collect()
}

/// `GET /home` (and `/` for a signed-in employee): the posts of the people they follow.
pub async fn home(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| home_page(&ctx, shell, &q).await).await
}

/// The home timeline for a signed-in employee (the start page shows it too).
pub async fn home_page(ctx: &AppContext, shell: Shell, q: &TimelineQuery) -> Result<HttpResponse> {
    let t = shell.t;
    let spec = Spec {
        nav: "home",
        title: t.get("timeline-home"),
        lede: t.get("timeline-home-lede"),
        empty: t.get("timeline-home-empty"),
        compose: true,
        context: Some(FilterContext::Home),
    };
    show(ctx, shell, q, spec, |conn, me, page| {
        timelines::home(conn, me, page).map(by_id)
    })
    .await
}

/// A public timeline page (`origin` chooses which departments), or the sign-in redirect.
async fn public_page(
    ctx: &AppContext,
    req: &HttpRequest,
    q: &TimelineQuery,
    spec: impl FnOnce(&Shell) -> Spec,
    origin: Origin,
) -> HttpResponse {
    shell::page(ctx, req, async |shell| {
        let spec = spec(&shell);
        show(ctx, shell, q, spec, move |conn, me, page| {
            timelines::public(conn, Some(me), origin, false, page).map(by_id)
        })
        .await
    })
    .await
}

/// `GET /local`: the department's posts (public and department-only).
async fn local(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    let spec = |shell: &Shell| Spec {
        nav: "local",
        title: shell.t.get("timeline-department"),
        lede: shell
            .t
            .with("timeline-department-lede", "department", &shell.domain),
        empty: shell.t.get("timeline-department-empty"),
        compose: true,
        context: Some(FilterContext::Public),
    };
    public_page(&ctx, &req, &q, spec, Origin::Local).await
}

/// `GET /company`: every federated department's public posts (and this department's
/// department-only ones: an employee here may see them).
async fn company(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    let spec = |shell: &Shell| Spec {
        nav: "company",
        title: shell.t.get("timeline-company"),
        lede: shell.t.get("timeline-company-lede"),
        empty: shell.t.get("timeline-company-empty"),
        compose: true,
        context: Some(FilterContext::Public),
    };
    public_page(&ctx, &req, &q, spec, Origin::All).await
}

/// `GET /tags/{name}`: public posts with a hashtag, from every department.
async fn tag(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    name: web::Path<String>,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    let name = name.into_inner().trim_start_matches('#').to_lowercase();
    shell::page(&ctx, &req, async |shell| {
        let t = shell.t;
        let spec = Spec {
            nav: "",
            title: t.with("timeline-tag", "tag", &name),
            lede: t.with("timeline-tag-lede", "tag", &name),
            empty: t.get("timeline-tag-empty"),
            compose: false,
            context: Some(FilterContext::Public),
        };
        show(&ctx, shell, &q, spec, move |conn, me, page| {
            timelines::tag(conn, Some(me), &name, Origin::All, page).map(by_id)
        })
        .await
    })
    .await
}

/// `GET /lists`: the employee's lists (and their posts on `/lists/{id}`).
async fn all_lists(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let spec = Spec {
            nav: "lists",
            title: shell.t.get("timeline-lists"),
            lede: shell.t.get("timeline-lists-lede"),
            empty: String::new(),
            compose: false,
            context: None,
        };
        show(&ctx, shell, &q, spec, |_, _, _| Ok(Vec::new())).await
    })
    .await
}

/// `GET /lists/{id}`
async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    shell::page(&ctx, &req, async |shell| {
        let id: i64 = id.parse().map_err(|_| crate::error::Error::not_found())?;
        let me = shell.me();
        let found = ctx.db.read(move |conn| lists::find(conn, me, id)).await?;
        let spec = Spec {
            nav: "lists",
            title: found.title,
            lede: shell.t.get("timeline-list-lede"),
            empty: shell.t.get("timeline-list-empty"),
            compose: false,
            context: Some(FilterContext::Home),
        };
        show(&ctx, shell, &q, spec, move |conn, me, page| {
            timelines::list(conn, me, id, page).map(by_id)
        })
        .await
    })
    .await
}

/// `GET /bookmarks`
async fn bookmarks(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    marked(&ctx, &req, &q, true).await
}

/// `GET /favourites`
async fn favourites(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<TimelineQuery>,
) -> HttpResponse {
    marked(&ctx, &req, &q, false).await
}

async fn marked(
    ctx: &AppContext,
    req: &HttpRequest,
    q: &TimelineQuery,
    bookmarks: bool,
) -> HttpResponse {
    shell::page(ctx, req, async |shell| {
        let t = shell.t;
        let (title, lede, empty) = if bookmarks {
            (
                t.get("timeline-bookmarks"),
                t.get("timeline-bookmarks-lede"),
                t.get("timeline-bookmarks-empty"),
            )
        } else {
            (
                t.get("timeline-favourites"),
                t.get("timeline-favourites-lede"),
                t.get("timeline-favourites-empty"),
            )
        };
        let spec = Spec {
            nav: if bookmarks { "bookmarks" } else { "favourites" },
            title,
            lede,
            empty,
            compose: false,
            context: None,
        };
        show(ctx, shell, q, spec, move |conn, me, page| {
            if bookmarks {
                timelines::bookmarks(conn, me, page)
            } else {
                timelines::favourites(conn, me, page)
            }
        })
        .await
    })
    .await
}
