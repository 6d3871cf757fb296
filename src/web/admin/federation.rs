//! `/admin/federation` and `/admin/usage-policy` (administrators only): which departments
//! this one federates with, how deliveries to each are going (with "retry now"), and the
//! usage policy with its acceptance rate.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{Fields, Nav, done, ok, on_form, on_page, when};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::audit::Actor;
use crate::service::dashboard;
use crate::service::delivery;
use crate::service::outbox::{self, QueueStats};
use crate::service::policy::domains::{self, Added, BlockChange};
use crate::service::policy::federation::{DomainName, Mode, Severity};
use crate::service::usage_policy::{self, PolicyText, Publisher};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/federation", web::get().to(show))
        .route("/admin/federation/mode", web::post().to(set_mode))
        .route("/admin/federation/allow", web::post().to(allow))
        .route("/admin/federation/block", web::post().to(block))
        .route("/admin/federation/remove", web::post().to(remove))
        .route("/admin/federation/retry", web::post().to(retry))
        .route("/admin/usage-policy", web::get().to(usage))
        .route("/admin/usage-policy", web::post().to(publish));
}

struct BlockRow {
    id: i64,
    domain: String,
    severity: &'static str,
    reject_media: bool,
    comment: String,
}

struct QueueRow {
    domain: String,
    pending: i64,
    lag: String,
    failures: i32,
    next_attempt: String,
    last_success: String,
    last_error: String,
}

#[derive(Template)]
#[template(path = "admin/federation.html")]
struct FederationPage {
    nav: Nav,
    allowlist: bool,
    configured: Vec<String>,
    allows: Vec<(i64, String)>,
    blocks: Vec<BlockRow>,
    queue: QueueStats,
    rows: Vec<QueueRow>,
}

async fn show(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        let nav = console.nav(&ctx, "federation", &req).await?;
        let ((mode, allows, blocks), queue) = ctx
            .db
            .read(|conn| Ok((domains::all(conn)?, outbox::stats(conn)?)))
            .await?;
        let rows = queue
            .domains
            .iter()
            .map(|d| QueueRow {
                domain: d.domain.clone(),
                pending: d.pending,
                lag: super::duration(d.lag_secs),
                failures: d.failures,
                next_attempt: when(d.next_attempt_at),
                last_success: d
                    .last_success_at
                    .map(when)
                    .unwrap_or_else(|| "never".into()),
                last_error: d.last_error.clone().unwrap_or_default(),
            })
            .collect();
        ok(&FederationPage {
            nav,
            allowlist: mode == Mode::Allowlist,
            configured: ctx.settings.federation.allowed_domains.clone(),
            allows: allows.into_iter().map(|a| (a.id, a.domain)).collect(),
            blocks: blocks
                .into_iter()
                .map(|b| BlockRow {
                    id: b.id,
                    severity: b.severity().as_str(),
                    reject_media: b.reject_media,
                    comment: b.private_comment.clone().unwrap_or_default(),
                    domain: b.domain,
                })
                .collect(),
            queue,
            rows,
        })
    })
    .await
}

/// The console's admin, as the audit log names them.
fn actor(console: &super::Console) -> Actor {
    Actor::Account(console.user.account.id)
}

/// The domain a form names, checked.
fn domain_field(fields: &Fields) -> Result<DomainName> {
    match fields.get("domain").trim() {
        "" => Err(Error::unprocessable("Enter a department's domain")),
        d => DomainName::parse(d),
    }
}

async fn set_mode(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let mode: Mode = fields.get("mode").parse()?;
        let by = actor(&console);
        ctx.db
            .write(move |conn| domains::set_mode(conn, &by, mode))
            .await?;
        Ok(done("/admin/federation", "federation"))
    })
    .await
}

async fn allow(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let domain = domain_field(&fields)?;
        let by = actor(&console);
        ctx.db
            .write(move |conn| domains::set_allowed(conn, &by, &domain))
            .await?;
        Ok(done("/admin/federation", "federation"))
    })
    .await
}

async fn block(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let domain = domain_field(&fields)?;
        let change = BlockChange {
            severity: Some(fields.get("severity").parse::<Severity>()?),
            reject_media: Some(fields.checked("reject_media")),
            private_comment: Some(
                Some(fields.get("comment").trim().to_string()).filter(|c| !c.is_empty()),
            ),
            ..Default::default()
        };
        let by = actor(&console);
        ctx.db
            .write(
                move |conn| match domains::add_block(conn, &by, &domain, change.clone())? {
                    Added::New(row) => Ok(row),
                    Added::Exists(row) => domains::update_block(conn, &by, row.id, change),
                },
            )
            .await?;
        Ok(done("/admin/federation", "federation"))
    })
    .await
}

async fn remove(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let id: i64 = fields.get("id").parse().map_err(|_| Error::not_found())?;
        let by = actor(&console);
        match fields.get("kind") {
            "allow" => {
                ctx.db
                    .write(move |conn| domains::remove_allow(conn, &by, id))
                    .await?;
            }
            "block" => {
                ctx.db
                    .write(move |conn| domains::remove_block(conn, &by, id))
                    .await?;
            }
            _ => return Err(Error::not_found()),
        }
        Ok(done("/admin/federation", "federation"))
    })
    .await
}

async fn retry(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let domain = fields.get("domain").to_string();
        let by = actor(&console);
        let found = ctx
            .db
            .write(move |conn| delivery::retry_now(conn, &by, &domain))
            .await?;
        if !found {
            return Err(Error::not_found());
        }
        Ok(done("/admin/federation", "retried"))
    })
    .await
}

// ------------------------------------------------------------------------------------------
// The usage policy
// ------------------------------------------------------------------------------------------

struct UsageVersionRow {
    number: i64,
    published: String,
    by: String,
    acceptances: i64,
    /// Of the employees who can use the department now, in percent.
    rate: i64,
}

#[derive(Template)]
#[template(path = "admin/usage_policy.html")]
struct UsagePage {
    nav: Nav,
    text: String,
    preview: String,
    employees: i64,
    versions: Vec<UsageVersionRow>,
}

async fn usage_page(
    ctx: &AppContext,
    req: &HttpRequest,
    console: &super::Console,
    draft: Option<String>,
    error: Option<String>,
) -> Result<HttpResponse> {
    let mut nav = console.nav(ctx, "usage", req).await?;
    let (versions, employees) = ctx
        .db
        .read(|conn| {
            Ok((
                usage_policy::versions(conn)?,
                dashboard::active_employees(conn)?,
            ))
        })
        .await?;
    let current = versions.first();
    let text = draft.unwrap_or_else(|| current.map(|v| v.version.text.clone()).unwrap_or_default());
    let preview = current.map(|v| v.version.html()).unwrap_or_default();
    let rows = versions
        .iter()
        .map(|v| UsageVersionRow {
            number: v.version.number,
            published: when(v.version.published_at),
            by: v.version.published_by.clone(),
            acceptances: v.acceptances,
            rate: if employees > 0 {
                (v.acceptances * 100 / employees).min(100)
            } else {
                0
            },
        })
        .collect();
    let status = super::status_for(&error);
    nav.error = error;
    super::super::pages::render(
        status,
        &UsagePage {
            nav,
            text,
            preview,
            employees,
            versions: rows,
        },
    )
}

async fn usage(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        usage_page(&ctx, &req, &console, None, None).await
    })
    .await
}

/// A new version: every employee accepts it before they post or interact again. Text that
/// cannot be published is shown again with why.
async fn publish(ctx: web::Data<AppContext>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let draft = fields.get("text").to_string();
        let text = match PolicyText::parse(&draft) {
            Ok(text) => text,
            Err(e) => {
                return usage_page(&ctx, &req, &console, Some(draft), Some(e.message().into()))
                    .await;
            }
        };
        let by = Publisher::Admin {
            account_id: console.user.account.id,
        };
        ctx.db
            .write(move |conn| usage_policy::publish(conn, &text, &by))
            .await?;
        Ok(done("/admin/usage-policy", "published"))
    })
    .await
}
