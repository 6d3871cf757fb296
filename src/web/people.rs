//! `/people`: the people directory in the browser — colleagues of every department by what
//! they post about and follow, by name, title or department — and following them from it.
//! Signed-in employees only; the same service calls as `GET /api/v1/groundswell/people`.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::i18n::Texts;
use super::pages::{error_page, form_expired, render, sign_in_first};
use super::session;
use crate::context::AppContext;
use crate::error::Result;
use crate::service::people::{self, Standing};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/people", web::get().to(page))
        .route("/people/follow", web::post().to(follow))
        .route("/static/app.css", web::get().to(stylesheet));
}

/// The employee pages' stylesheet (compiled into the binary).
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../frontend/static/app.css"))
}

/// Results per page.
const PER_PAGE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
struct Search {
    q: Option<String>,
    tag: Option<String>,
    department: Option<String>,
    page: Option<i64>,
    /// What was just done (`followed`, `requested`): a fixed sentence, never request text.
    done: Option<String>,
}

struct Card {
    uri: String,
    name: String,
    acct: String,
    department: String,
    avatar: String,
    url: Option<String>,
    note: String,
    fields: Vec<(String, String)>,
    interests: Vec<(String, String)>,
    standing: &'static str,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "people.html")]
struct PeoplePage<'a> {
    t: Texts,
    instance_name: &'a str,
    username: String,
    csrf_token: String,
    q: String,
    tag: String,
    department: String,
    departments: Vec<String>,
    cards: Vec<Card>,
    searched: bool,
    notice: Option<String>,
    next: Option<String>,
    return_to: String,
}

/// `GET /people?q=&tag=&department=&page=`
async fn page(
    ctx: web::Data<AppContext>,
    t: Texts,
    req: HttpRequest,
    q: web::Query<Search>,
) -> HttpResponse {
    match show(&ctx, t, &req, q.into_inner()).await {
        Ok(resp) => resp,
        Err(e) => error_page(&ctx, t, &e),
    }
}

async fn show(ctx: &AppContext, t: Texts, req: &HttpRequest, s: Search) -> Result<HttpResponse> {
    let here = format!(
        "/people{}",
        if req.query_string().is_empty() {
            String::new()
        } else {
            format!("?{}", req.query_string())
        }
    );
    let Some((web_session, user)) = session::current(ctx, req).await? else {
        return Ok(sign_in_first(&here));
    };
    let trimmed = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_string();
    let (q, tag, department) = (trimmed(&s.q), trimmed(&s.tag), trimmed(&s.department));
    let page = s.page.unwrap_or(1).clamp(1, 1000);
    let searched = !(q.is_empty() && tag.is_empty() && department.is_empty());
    let query = people::Query {
        q: Some(q.clone()).filter(|v| !v.is_empty()),
        tag: Some(tag.clone()).filter(|v| !v.is_empty()),
        department: Some(department.clone()).filter(|v| !v.is_empty()),
        limit: PER_PAGE + 1,
        offset: (page - 1) * PER_PAGE,
    };
    let me = user.account.id;
    let (mut found, standing, departments) = ctx
        .db
        .read(move |conn| {
            let found = people::search(conn, &query)?;
            let uris: Vec<String> = found.iter().map(|e| e.ap_id.clone()).collect();
            Ok((
                found,
                people::standing(conn, me, &uris)?,
                people::syncs(conn)?
                    .into_iter()
                    .map(|s| s.domain)
                    .collect::<Vec<_>>(),
            ))
        })
        .await?;
    let more = found.len() as i64 > PER_PAGE;
    found.truncate(usize::try_from(PER_PAGE).unwrap_or(20));
    let own = ctx.settings.instance.domain.as_str().to_string();
    let cards = found
        .into_iter()
        .map(|e| {
            let acct = if e.domain == own {
                format!("@{}", e.username)
            } else {
                format!("@{}@{}", e.username, e.domain)
            };
            Card {
                standing: match standing.get(&e.ap_id) {
                    Some(Standing::Following) => "following",
                    Some(Standing::Requested) => "requested",
                    None => "",
                },
                is_me: e.ap_id == user.account.ap_id,
                name: if e.display_name.trim().is_empty() {
                    e.username.clone()
                } else {
                    e.display_name.clone()
                },
                acct,
                department: e.domain.clone(),
                avatar: e
                    .avatar_url
                    .clone()
                    .unwrap_or_else(|| "/static/avatar.png".into()),
                url: e.url.clone(),
                note: crate::service::text::sanitize_for_page(&e.note),
                fields: e.fields().into_iter().map(|f| (f.name, f.value)).collect(),
                interests: e
                    .interests()
                    .into_iter()
                    .map(|i| {
                        let how = t.with("people-interest", "posts", i.posts);
                        (i.name, how)
                    })
                    .collect(),
                uri: e.ap_id,
            }
        })
        .collect();
    let next = more.then(|| {
        let mut u = url::form_urlencoded::Serializer::new(String::new());
        u.append_pair("q", &q)
            .append_pair("tag", &tag)
            .append_pair("department", &department)
            .append_pair("page", &(page + 1).to_string());
        format!("/people?{}", u.finish())
    });
    let mut departments = departments;
    if !departments.contains(&own) {
        departments.insert(0, own);
    }
    render(
        StatusCode::OK,
        &PeoplePage {
            t,
            instance_name: &ctx.settings.instance.name,
            username: user.account.username.clone(),
            csrf_token: web_session.csrf_token.clone(),
            q,
            tag,
            department,
            departments,
            cards,
            searched,
            notice: match s.done.as_deref() {
                Some("followed") => Some(t.get("done-followed")),
                Some("requested") => Some(t.get("done-requested")),
                _ => None,
            },
            next,
            return_to: here,
        },
    )
}

#[derive(Debug, Deserialize)]
struct FollowForm {
    csrf_token: String,
    uri: String,
    return_to: Option<String>,
}

/// `POST /people/follow` (`uri`, `csrf_token`, `return_to`): follow someone from the directory.
async fn follow(
    ctx: web::Data<AppContext>,
    t: Texts,
    req: HttpRequest,
    form: web::Form<FollowForm>,
) -> HttpResponse {
    let back = super::pages::safe_return_to(form.return_to.as_deref());
    let back = if back.starts_with("/people") {
        back
    } else {
        "/people".to_string()
    };
    let result: Result<HttpResponse> = async {
        let Some((web_session, user)) = session::current(&ctx, &req).await? else {
            return Ok(sign_in_first(&back));
        };
        if !crate::auth::secrets::same_secret(&form.csrf_token, &web_session.csrf_token) {
            return form_expired(&ctx, t);
        }
        let uri = form.uri.clone();
        people::follow(&ctx, user.account.clone(), uri.clone()).await?;
        let me = user.account.id;
        let standing = ctx
            .db
            .read(move |conn| people::standing(conn, me, &[uri]))
            .await?;
        let done = match standing.values().next() {
            Some(Standing::Requested) => "requested",
            _ => "followed",
        };
        let sep = if back.contains('?') { '&' } else { '?' };
        Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, format!("{back}{sep}done={done}")))
            .finish())
    }
    .await;
    result.unwrap_or_else(|e| error_page(&ctx, t, &e))
}
