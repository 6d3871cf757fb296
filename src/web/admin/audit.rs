//! `/admin/audit` (administrators only): the audit log, filtered, paged and exported as CSV
//! or NDJSON. It is read-only here as everywhere: no page or endpoint changes an entry.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Nav, ok, on_page, when};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::audit::{self, ExportFormat, Filter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/audit", web::get().to(list))
        .route("/admin/audit/export", web::get().to(export));
}

/// Families of actions, for the filter.
const FAMILIES: [(&str, &str); 8] = [
    ("", "Every action"),
    ("account.", "Accounts"),
    ("report.", "Reports"),
    ("status.", "Posts"),
    ("policy.", "Rules"),
    ("domain.", "Allowed and blocked departments"),
    ("federation.", "Federation mode and deliveries"),
    ("usage_policy.", "Usage policy"),
];

/// Entries on one page.
const PAGE: i64 = 50;

#[derive(Deserialize, Default, Clone)]
struct AuditQuery {
    action: Option<String>,
    since: Option<String>,
    until: Option<String>,
    max_id: Option<String>,
    format: Option<String>,
}

impl AuditQuery {
    fn filter(&self, limit: i64) -> Result<Filter> {
        Ok(Filter {
            action: self.action.clone().filter(|a| !a.is_empty()),
            since: audit::parse_time("since", self.since.as_deref())?,
            // A date names a whole day: up to the next midnight.
            until: audit::parse_time("until", self.until.as_deref())?.map(|t| {
                if self.until.as_deref().is_some_and(|u| u.trim().len() == 10) {
                    t + chrono::Duration::days(1)
                } else {
                    t
                }
            }),
            max_id: self.max_id.as_deref().and_then(|m| m.trim().parse().ok()),
            limit,
            ..Default::default()
        })
    }

    /// The filters as a query string (for the export links and the next page).
    fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("action", &self.action),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(key, v);
            }
        }
        q.finish()
    }
}

struct EntryRow {
    when: String,
    actor: String,
    action: String,
    target: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    nav: Nav,
    families: Vec<(&'static str, &'static str)>,
    action: String,
    since: String,
    until: String,
    filters: String,
    rows: Vec<EntryRow>,
    older: Option<i64>,
}

fn query_of(req: &HttpRequest) -> AuditQuery {
    web::Query::<AuditQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

async fn list(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    let q = query_of(&req);
    on_page(&ctx, &req, true, async |console| {
        let mut nav = console.nav(&ctx, "audit", &req).await?;
        let entries = match q.filter(PAGE) {
            Ok(filter) => ctx.db.read(move |conn| audit::list(conn, &filter)).await?,
            Err(e) => {
                nav.error = Some(e.message().to_string());
                Vec::new()
            }
        };
        let older = (entries.len() as i64 == PAGE)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        let rows = entries
            .into_iter()
            .map(|e| EntryRow {
                when: when(e.created_at),
                actor: e.actor,
                action: e.action,
                target: e.target,
                reason: e.reason,
            })
            .collect();
        ok(&AuditPage {
            nav,
            families: FAMILIES.to_vec(),
            action: q.action.clone().unwrap_or_default(),
            since: q.since.clone().unwrap_or_default(),
            until: q.until.clone().unwrap_or_default(),
            filters: q.query(),
            rows,
            older,
        })
    })
    .await
}

async fn export(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    let q = query_of(&req);
    on_page(&ctx, &req, true, async |_console| {
        let format: ExportFormat = q.format.as_deref().unwrap_or("csv").parse()?;
        let filter = q.filter(audit::MAX_EXPORT)?;
        let entries = ctx.db.read(move |conn| audit::list(conn, &filter)).await?;
        let (content_type, file_name) = format.file();
        Ok(HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ))
            .body(audit::export(&entries, format)))
    })
    .await
}
