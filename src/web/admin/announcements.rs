//! `/admin/announcements` (administrators only): publish an announcement to every employee's
//! apps, see how many read each (a count only at or above `metrics.min_group_size`; never
//! who), withdraw one. The same service calls as the admin API.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Nav, done, on_form, on_page, when};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::announcements::{self, Draft};
use crate::service::audit::Actor;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/announcements", web::get().to(show))
        .route("/admin/announcements", web::post().to(publish))
        .route("/admin/announcements/{id}/delete", web::post().to(withdraw));
}

struct Row {
    id: i64,
    preview: String,
    shown: String,
    published: String,
    by: String,
    /// "12 employees", or why there is no number.
    read_by: String,
    /// Ours and company-wide: its reach across the company, and per department.
    company: Option<String>,
    departments: Vec<String>,
    /// Another department's (read-only here).
    from: Option<String>,
}

/// What the form held, shown again when it is refused.
#[derive(Default)]
struct Form {
    text: String,
    starts_at: String,
    ends_at: String,
    all_day: bool,
    company_wide: bool,
}

#[derive(Template)]
#[template(path = "admin/announcements.html")]
struct Page {
    nav: Nav,
    form: Form,
    min_group: u32,
    rows: Vec<Row>,
}

async fn page(
    ctx: &AppContext,
    req: &HttpRequest,
    console: &super::Console,
    form: Form,
    error: Option<String>,
) -> Result<HttpResponse> {
    let mut nav = console.nav(ctx, "announcements", req).await?;
    let min_group = ctx.settings.metrics.min_group_size;
    let settings = ctx.settings.clone();
    let (list, reads) = ctx
        .db
        .read(move |conn| {
            Ok((
                announcements::all(conn)?,
                announcements::reads(conn, &settings)?,
            ))
        })
        .await?;
    let rows = list
        .iter()
        .map(|a| {
            let shown = match (a.starts_at, a.ends_at) {
                (None, None) => "from publication, until withdrawn".to_string(),
                (Some(s), None) => format!("from {}", when(s)),
                (None, Some(e)) => format!("until {}", when(e)),
                (Some(s), Some(e)) => format!("{} to {}", when(s), when(e)),
            };
            let read_by = match reads.here(a.id) {
                Some(0) => "nobody yet".to_string(),
                Some(n) => format!("{n} employees"),
                None => format!("fewer than {min_group} (not shown)"),
            };
            let company = reads.company(a.id);
            Row {
                id: a.id,
                preview: a.html(),
                shown,
                published: when(a.published_at),
                by: a.published_by.clone(),
                read_by,
                company: company.map(|c| c.describe()),
                departments: company
                    .map(|c| {
                        c.departments
                            .iter()
                            .map(|d| d.describe(min_group))
                            .collect()
                    })
                    .unwrap_or_default(),
                from: a.origin_domain.clone(),
            }
        })
        .collect();
    let status = super::status_for(&error);
    nav.error = error;
    super::super::pages::render(
        status,
        &Page {
            nav,
            form,
            min_group,
            rows,
        },
    )
}

async fn show(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        page(&ctx, &req, &console, Form::default(), None).await
    })
    .await
}

/// A time from the form: the browser's `datetime-local` (taken as UTC), a date, or RFC 3339.
fn time(name: &str, raw: &str) -> Result<Option<chrono::NaiveDateTime>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M") {
        return Ok(Some(t));
    }
    crate::service::audit::parse_time(name, Some(raw))
}

async fn publish(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let form = Form {
            text: fields.get("text").to_string(),
            starts_at: fields.get("starts_at").to_string(),
            ends_at: fields.get("ends_at").to_string(),
            all_day: !fields.get("all_day").is_empty(),
            company_wide: !fields.get("company_wide").is_empty(),
        };
        let draft = (|| -> Result<Draft> {
            Ok(Draft {
                text: form.text.clone(),
                starts_at: time("starts_at", &form.starts_at)?,
                ends_at: time("ends_at", &form.ends_at)?,
                all_day: form.all_day,
                company_wide: form.company_wide,
            })
        })();
        let draft = match draft {
            Ok(d) => d,
            Err(e) => return page(&ctx, &req, &console, form, Some(e.message().into())).await,
        };
        let by = Actor::Account(console.user.account.id);
        match ctx
            .db
            .write(move |conn| announcements::publish(conn, &by, draft))
            .await
        {
            Ok(made) if made.company_wide => Ok(done("/admin/announcements", "announced_company")),
            Ok(_) => Ok(done("/admin/announcements", "announced")),
            Err(e) if e.kind() == crate::error::ErrorKind::Unprocessable => {
                page(&ctx, &req, &console, form, Some(e.message().into())).await
            }
            Err(e) => Err(e),
        }
    })
    .await
}

async fn withdraw(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, _fields| {
        let id: i64 = id.parse().map_err(|_| Error::not_found())?;
        let by = Actor::Account(console.user.account.id);
        match ctx
            .db
            .write(move |conn| announcements::delete(conn, &by, id))
            .await
        {
            Ok(()) => Ok(done("/admin/announcements", "withdrawn")),
            Err(e) if e.kind() == crate::error::ErrorKind::Unprocessable => {
                page(
                    &ctx,
                    &req,
                    &console,
                    Form::default(),
                    Some(e.message().into()),
                )
                .await
            }
            Err(e) => Err(e),
        }
    })
    .await
}
