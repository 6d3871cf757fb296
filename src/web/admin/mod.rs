//! The admin console (`/admin`): server-rendered pages for the department's moderators and
//! administrators. Like every handler, the pages are thin: they read and change through the
//! same service functions as the admin API, so a decision taken here and one taken through
//! the API are the same (and are audited the same way).
//!
//! Who sees what: moderators and administrators reach the console (dashboard, reports, held
//! posts, accounts); the rules, the federation, the usage policy and the audit log are for
//! administrators. Employees get a readable 403 page, visitors who are not signed in are sent
//! to sign in. Every form carries the session's CSRF token.

mod announcements;
mod audit;
mod charts;
mod dashboard;
mod engagement;
mod federation;
mod moderation;
mod rules;

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::pages::render;
use super::session;
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::dashboard::waiting;
use crate::service::moderation::Staff;
use crate::service::users::{LocalUser, Role};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/static/admin.css", web::get().to(stylesheet))
        .configure(dashboard::configure)
        .configure(moderation::configure)
        .configure(rules::configure)
        .configure(federation::configure)
        .configure(announcements::configure)
        .configure(engagement::configure)
        .configure(audit::configure);
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../../frontend/static/admin.css"))
}

/// What every console page shows around its content: the department, the signed-in
/// employee, the navigation (with the work waiting), and a notice or error from the last
/// action.
pub struct Nav {
    pub instance_name: String,
    pub domain: String,
    pub username: String,
    pub role: &'static str,
    pub admin: bool,
    pub csrf_token: String,
    pub page: &'static str,
    pub open_reports: i64,
    pub held: i64,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The signed-in staff member of a console request.
pub struct Console {
    pub user: LocalUser,
    pub csrf_token: String,
}

impl Console {
    pub fn staff(&self) -> Staff {
        Staff {
            account_id: Some(self.user.account.id),
            role: self.user.role(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.role() >= Role::Admin
    }

    /// The navigation for `page`, with the badges' counts.
    pub async fn nav(
        &self,
        ctx: &AppContext,
        page: &'static str,
        req: &HttpRequest,
    ) -> Result<Nav> {
        let (open_reports, held) = ctx.db.read(waiting).await?;
        let query = web::Query::<Flash>::from_query(req.query_string())
            .map(|q| q.into_inner())
            .unwrap_or_default();
        Ok(Nav {
            instance_name: ctx.settings.instance.name.clone(),
            domain: ctx.settings.instance.domain.as_str().to_string(),
            username: self.user.account.username.clone(),
            role: match self.user.role() {
                Role::Admin => "administrator",
                Role::Moderator => "moderator",
                Role::User => "employee",
            },
            admin: self.is_admin(),
            csrf_token: self.csrf_token.clone(),
            page,
            open_reports,
            held,
            notice: query
                .done
                .as_deref()
                .and_then(notice_text)
                .map(String::from),
            error: None,
        })
    }
}

/// `?done=…` after an action: which fixed sentence to show (never text from the request).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Flash {
    done: Option<String>,
}

fn notice_text(key: &str) -> Option<&'static str> {
    Some(match key {
        "approved" => "The post was approved and published.",
        "rejected" => "The post was refused; its author was told why.",
        "assigned" => "The report is assigned to you.",
        "unassigned" => "The report is no longer assigned.",
        "resolved" => "The report is resolved.",
        "reopened" => "The report is open again.",
        "acted" => "Done. The action is in effect and in the audit log.",
        "undone" => "Done. The action is lifted.",
        "removed" => "The post was taken down; its author was told why.",
        "role" => "The role was changed.",
        "rule_added" => "The rule was added. It applies from now on, on every app node.",
        "rule_saved" => "The rule was saved as a new version.",
        "rule_enabled" => "The rule is enabled.",
        "rule_disabled" => "The rule is disabled.",
        "imported" => "The rule file was imported as a new version.",
        "federation" => "The federation policy was changed.",
        "retried" => "The department's waiting deliveries will be tried now.",
        "published" => "The new version of the usage policy is published.",
        "announced" => "The announcement is published: employees' apps show it now.",
        "announced_company" => {
            "The announcement is published here and sent to every department: employees' \
             apps show it as it arrives."
        }
        "withdrawn" => "The announcement is withdrawn from employees' apps.",
        _ => return None,
    })
}

/// Go back to `path` after an action, saying `done`.
pub fn done(path: &str, done: &str) -> HttpResponse {
    let sep = if path.contains('?') { '&' } else { '?' };
    HttpResponse::SeeOther()
        .insert_header((LOCATION, format!("{path}{sep}done={done}")))
        .finish()
}

#[derive(Template)]
#[template(path = "admin/error.html")]
struct ErrorPage<'a> {
    instance_name: &'a str,
    heading: &'a str,
    message: &'a str,
    sign_in: bool,
}

/// A readable error page in the console's style.
pub fn error_page(ctx: &AppContext, e: &Error) -> Result<HttpResponse> {
    if matches!(e.kind(), ErrorKind::Internal | ErrorKind::Unavailable) {
        tracing::error!(error = %e, "an admin console page failed");
    }
    let heading = match e.kind() {
        ErrorKind::NotFound => "Not found",
        ErrorKind::Forbidden => "Not for your role",
        ErrorKind::Unauthorized => "Please sign in",
        ErrorKind::Unprocessable | ErrorKind::BadRequest => "That did not work",
        _ => "Something went wrong",
    };
    render(
        e.kind().status(),
        &ErrorPage {
            instance_name: &ctx.settings.instance.name,
            heading,
            message: e.message(),
            sign_in: e.kind() == ErrorKind::Unauthorized,
        },
    )
}

/// The console's staff member, or the answer for anyone else: visitors are sent to sign in
/// (and back), employees get a 403 page; `admin_only` pages refuse moderators too.
pub async fn staff(
    ctx: &AppContext,
    req: &HttpRequest,
    admin_only: bool,
) -> std::result::Result<Console, HttpResponse> {
    let current = match session::current(ctx, req).await {
        Ok(current) => current,
        Err(e) => return Err(error_page(ctx, &e).unwrap_or_else(|e| e.error_response_page())),
    };
    let Some((session, user)) = current else {
        let back = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("return_to", req.path())
            .finish();
        return Err(HttpResponse::SeeOther()
            .insert_header((LOCATION, format!("/auth/sign_in?{back}")))
            .finish());
    };
    let needed = if admin_only {
        Role::Admin
    } else {
        Role::Moderator
    };
    if user.role() < needed {
        let e = Error::forbidden(if admin_only {
            "This page is for the department's administrators."
        } else {
            "The admin console is for the department's moderators and administrators."
        });
        return Err(error_page(ctx, &e).unwrap_or_else(|e| e.error_response_page()));
    }
    Ok(Console {
        user,
        csrf_token: session.csrf_token,
    })
}

/// [`staff`] for a form: the CSRF token must be the session's.
pub async fn staff_form(
    ctx: &AppContext,
    req: &HttpRequest,
    admin_only: bool,
    csrf_token: &str,
) -> std::result::Result<Console, HttpResponse> {
    let console = staff(ctx, req, admin_only).await?;
    if console.csrf_token != csrf_token {
        let e = Error::forbidden("The form expired. Go back, reload the page and try again.");
        return Err(error_page(ctx, &e).unwrap_or_else(|e| e.error_response_page()));
    }
    Ok(console)
}

/// A console page for staff (`admin_only`: administrators): `show` makes it; anyone else
/// gets [`staff`]'s answer, and a failure its error page.
pub async fn on_page(
    ctx: &AppContext,
    req: &HttpRequest,
    admin_only: bool,
    show: impl AsyncFnOnce(Console) -> Result<HttpResponse>,
) -> HttpResponse {
    match staff(ctx, req, admin_only).await {
        Ok(console) => page(ctx, show(console).await),
        Err(resp) => resp,
    }
}

/// A console form (`body`) for staff, with the session's CSRF token: `act` does what it
/// asks; anyone else gets [`staff_form`]'s answer, and a failure its error page.
pub async fn on_form(
    ctx: &AppContext,
    req: &HttpRequest,
    body: &[u8],
    admin_only: bool,
    act: impl AsyncFnOnce(Console, Fields) -> Result<HttpResponse>,
) -> HttpResponse {
    let fields = Fields::parse(body);
    match staff_form(ctx, req, admin_only, fields.get("csrf_token")).await {
        Ok(console) => page(ctx, act(console, fields).await),
        Err(resp) => resp,
    }
}

/// A page, or the error page for what went wrong reading it.
pub fn page(ctx: &AppContext, result: Result<HttpResponse>) -> HttpResponse {
    match result {
        Ok(resp) => resp,
        Err(e) => error_page(ctx, &e).unwrap_or_else(|e| e.error_response_page()),
    }
}

trait ErrorResponsePage {
    fn error_response_page(&self) -> HttpResponse;
}

impl ErrorResponsePage for Error {
    /// When even the error page cannot be rendered: plain text, never JSON.
    fn error_response_page(&self) -> HttpResponse {
        HttpResponse::build(self.kind().status())
            .content_type("text/plain; charset=utf-8")
            .body(self.message().to_string())
    }
}

/// The status of a page shown again with what was wrong (`422`), or as asked for (`200`).
pub fn status_for(error: &Option<String>) -> StatusCode {
    if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// An HTML page with status 200.
pub fn ok(template: &impl Template) -> Result<HttpResponse> {
    render(StatusCode::OK, template)
}

/// A duration for people: `—`, `40 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn duration(secs: i64) -> String {
    match secs {
        s if s <= 0 => "—".to_string(),
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A date for people: `2026-12-07 14:03 UTC`.
pub fn when(t: chrono::NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A submitted console form (`application/x-www-form-urlencoded`): read by hand so that a
/// missing or repeated field is the form's business, never an extractor's JSON error.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The field's (first) value, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Every value of a field (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether a checkbox was ticked.
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(0), "—");
        assert_eq!(duration(-5), "—");
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(12 * 60 + 5), "12 min");
        assert_eq!(duration(3 * 3600 + 5 * 60 + 9), "3 h 5 min");
        assert_eq!(duration(2 * 86_400 + 4 * 3600 + 60), "2 d 4 h");
    }
}
