//! `/admin/engagement` (administrators only): the engagement metrics over a date range —
//! charts of active employees and posts per day, the totals, questions and answers, the
//! interactions with each other department, the top hashtags — and the exports to download.
//! Suppressed numbers are drawn as such, never as zero. The same service calls as the API.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::charts::{self, Value};
use super::{Nav, ok, on_page};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::{company_metrics, metrics};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/engagement", web::get().to(show))
        .route("/admin/engagement/export", web::get().to(export))
        .route("/admin/engagement/company", web::get().to(company))
        .route(
            "/admin/engagement/company/export",
            web::get().to(company_export),
        );
}

#[derive(Debug, Default, Deserialize)]
struct RangeQuery {
    start: Option<String>,
    end: Option<String>,
    format: Option<String>,
    /// Retention by `day` or `month` (default: by day for ranges under two weeks).
    retention: Option<String>,
}

/// The range asked for (default: the last 30 days).
fn range(q: &RangeQuery) -> Result<(NaiveDate, NaiveDate)> {
    metrics::range(q.start.as_deref(), q.end.as_deref())
}

/// A figure for people: the number, or why there is none.
fn shown(value: Option<i64>) -> String {
    value.map_or_else(|| "suppressed".to_string(), |v| v.to_string())
}

struct Total {
    label: &'static str,
    value: String,
    lower_bound: bool,
}

#[derive(Template)]
#[template(path = "admin/engagement.html")]
struct Page {
    nav: Nav,
    start: String,
    end: String,
    min_group: u32,
    active_range: String,
    active_chart: String,
    posts_chart: String,
    kinds_chart: String,
    departments_heat: String,
    has_departments: bool,
    questions_chart: String,
    first_reply_chart: String,
    totals: Vec<Total>,
    questions: Vec<(String, String)>,
    hashtags: Vec<(String, i64)>,
    retention: String,
    retention_frequency: &'static str,
    company_configured: bool,
}

const TOTALS: &[(&str, &str)] = &[
    ("posts", "Posts"),
    ("replies", "Replies"),
    ("boosts", "Boosts"),
    ("favourites", "Favourites"),
    ("follows", "Follows"),
    ("poll_votes", "Poll votes"),
    ("interactions", "Interactions received"),
    ("new_users", "New employees"),
    ("opened_reports", "Reports opened"),
    ("resolved_reports", "Reports resolved"),
    ("policy_rule_hits", "Policy rule matches"),
    ("posts_held", "Posts held by rules"),
    ("posts_approved", "Held posts approved"),
    ("posts_rejected", "Held posts rejected"),
];

/// A duration in seconds, for people.
fn duration(secs: Option<i64>) -> String {
    match secs {
        None => "suppressed".to_string(),
        Some(s) if s < 60 => format!("{s} s"),
        Some(s) if s < 3600 => format!("{} min", s / 60),
        Some(s) if s < 86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        Some(s) => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// The retention cohorts as a heat map: rows the cohorts (and their size), columns the
/// periods since joining, cells how many of the cohort were active.
fn retention_heat(cohorts: &[metrics::Cohort], frequency: metrics::Frequency) -> String {
    let width = cohorts.first().map_or(0, |c| c.data.len());
    let unit = match frequency {
        metrics::Frequency::Day => "Day",
        metrics::Frequency::Month => "Month",
    };
    charts::Heat {
        id: "retention",
        caption: "Employees of each cohort active in each period since they joined".into(),
        corner: "Joined (how many)".into(),
        columns: (0..width).map(|i| format!("{unit} {i}")).collect(),
        rows: cohorts
            .iter()
            .map(|c| {
                let label = format!("{} ({})", c.period, shown(c.size));
                let mut cells: Vec<Option<Value>> = c
                    .data
                    .iter()
                    .map(|(_, n)| Some(Value::of(*n, false)))
                    .collect();
                cells.resize(width, None);
                (label, cells)
            })
            .collect(),
    }
    .html()
}

async fn show(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<RangeQuery>,
) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        let nav = console.nav(&ctx, "engagement", &req).await?;
        let (start, end) = range(&q)?;
        let frequency = match q.retention.as_deref() {
            Some(raw) => metrics::Frequency::parse(Some(raw))?,
            None if (end - start).num_days() < 14 => metrics::Frequency::Day,
            None => metrics::Frequency::Month,
        };
        let min_group = ctx.settings.metrics.min_group_size;
        let domain = ctx.settings.instance.domain.as_str().to_string();
        let ((summary, cells), cohorts) = ctx
            .db
            .read(move |conn| {
                Ok((
                    metrics::summarize(conn, &domain, start, end, min_group)?,
                    metrics::retention(conn, start, end, frequency, min_group)?,
                ))
            })
            .await?;
        let sum = |measure: &str, dimension: &str| {
            let t = metrics::total(&cells, measure, dimension);
            Value::of((!(t.total == 0 && t.partial)).then_some(t.total), t.partial)
        };
        let totals = TOTALS
            .iter()
            .map(|(measure, label)| {
                let v = sum(measure, "");
                Total {
                    label,
                    value: match v {
                        Value::Shown(n) | Value::AtLeast(n) => n.to_string(),
                        Value::Suppressed => "suppressed".to_string(),
                    },
                    lower_bound: matches!(v, Value::AtLeast(_)),
                }
            })
            .collect();
        let r = &summary.first_reply;
        let questions = vec![
            ("Questions asked".to_string(), sum("questions", "").text()),
            ("Answered".to_string(), sum("questions_answered", "").text()),
            ("First answer, median".to_string(), duration(r.p50_secs)),
            (
                "First answer, 90th percentile".to_string(),
                duration(r.p90_secs),
            ),
            (
                "First answer from another department, median".to_string(),
                duration(r.cross_p50_secs),
            ),
            (
                "First answer from another department, 90th percentile".to_string(),
                duration(r.cross_p90_secs),
            ),
        ];
        let mut domains: Vec<String> = cells
            .iter()
            .filter(|c| c.measure.starts_with("cross_") && !c.dimension.is_empty())
            .map(|c| c.dimension.clone())
            .collect();
        domains.sort();
        domains.dedup();
        // Interactions by kind, with all other departments, each way.
        let mut kinds = Vec::new();
        for kind in metrics::CROSS_KINDS {
            for (outgoing, way, colour) in [(true, "to", "#3b5bdb"), (false, "from", "#e8590c")] {
                let measure = metrics::cross_measure(kind, outgoing);
                let parts: Vec<Value> = domains.iter().map(|d| sum(&measure, d)).collect();
                let total: i64 = parts.iter().filter_map(|v| v.number()).sum();
                let partial = parts.iter().any(|v| !matches!(v, Value::Shown(_)));
                let none = parts.is_empty() || parts.iter().all(|v| v.number().is_none());
                let value = if parts.is_empty() {
                    Value::Shown(0)
                } else if none {
                    Value::Suppressed
                } else {
                    Value::of(Some(total), partial)
                };
                kinds.push((format!("{kind} {way} others"), value, colour));
            }
        }
        let mut columns = Vec::new();
        for kind in metrics::CROSS_KINDS {
            columns.push(format!("{kind} out"));
            columns.push(format!("{kind} in"));
        }
        let departments_heat = charts::Heat {
            id: "departments",
            caption: "Interactions with each other department (out: by employees here; in: \
                      by theirs)"
                .into(),
            corner: "Department".into(),
            columns,
            rows: domains
                .iter()
                .map(|d| {
                    let cells = metrics::CROSS_KINDS
                        .iter()
                        .flat_map(|kind| {
                            [true, false]
                                .map(|out| Some(sum(&metrics::cross_measure(kind, out), d)))
                        })
                        .collect();
                    (d.clone(), cells)
                })
                .collect(),
        }
        .html();
        let hashtags = metrics::dimension(&cells, metrics::HASHTAGS, 10)
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect();
        ok(&Page {
            nav,
            start: start.to_string(),
            end: end.to_string(),
            min_group,
            active_range: shown(summary.active_users),
            active_chart: charts::days(
                &cells,
                &[("active_users", "#3b5bdb")],
                "Active employees per day",
            ),
            posts_chart: charts::days(
                &cells,
                &[("posts", "#3b5bdb"), ("replies", "#15aabf")],
                "Posts and replies per day",
            ),
            kinds_chart: charts::bars(&kinds, "Interactions with other departments, by kind"),
            departments_heat,
            has_departments: !domains.is_empty(),
            questions_chart: charts::days(
                &cells,
                &[("questions", "#adb5bd"), ("questions_answered", "#2b8a3e")],
                "Questions asked and answered per day",
            ),
            first_reply_chart: charts::days(
                &cells,
                &[("question_first_reply_p50_secs", "#7048e8")],
                "Median time to first answer per day (seconds)",
            ),
            totals,
            questions,
            hashtags,
            retention: retention_heat(&cohorts, frequency),
            retention_frequency: frequency.as_str(),
            company_configured: !ctx.settings.metrics.company.is_empty(),
        })
    })
    .await
}

/// `GET /admin/engagement/export?format=csv|ndjson|json&start=&end=`: the API's export, for
/// the signed-in administrator's browser.
async fn export(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<RangeQuery>,
) -> HttpResponse {
    on_page(&ctx, &req, true, async |_console| {
        let (start, end) = range(&q)?;
        let min_group = ctx.settings.metrics.min_group_size;
        let domain = ctx.settings.instance.domain.as_str().to_string();
        let (summary, cells) = ctx
            .db
            .read(move |conn| metrics::summarize(conn, &domain, start, end, min_group))
            .await?;
        let (body, kind, ext) = match q.format.as_deref().unwrap_or("csv") {
            "csv" => (metrics::to_csv(&cells), "text/csv; charset=utf-8", "csv"),
            "ndjson" => (metrics::to_ndjson(&cells), "application/x-ndjson", "ndjson"),
            "json" => (
                metrics::to_json(&summary, &cells).to_string(),
                "application/json",
                "json",
            ),
            other => {
                return Err(Error::unprocessable(format!(
                    "`{other}` is not an export format: use csv, ndjson or json"
                )));
            }
        };
        Ok(download(
            body,
            kind,
            &format!("metrics-{start}-{end}.{ext}"),
        ))
    })
    .await
}

fn download(body: String, kind: &str, file: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

#[derive(Template)]
#[template(path = "admin/engagement_company.html")]
struct CompanyPage {
    nav: Nav,
    start: String,
    end: String,
    configured: usize,
    company: Vec<(String, String)>,
    departments: Vec<CompanyDepartment>,
    matrix: String,
    hashtags: Vec<(String, i64)>,
    missing: Vec<company_metrics::Missing>,
}

struct CompanyDepartment {
    domain: String,
    min_group: u32,
    active: String,
    posts: String,
    replies: String,
    questions: String,
    answered: String,
    first_reply: String,
    cross_first_reply: String,
}

/// The company report's measures on the page, with their labels.
const COMPANY: &[(&str, &str)] = &[
    ("active_users", "Active employees"),
    ("new_users", "New employees"),
    ("posts", "Posts"),
    ("replies", "Replies"),
    ("boosts", "Boosts"),
    ("favourites", "Favourites"),
    ("follows", "Follows"),
    ("questions", "Questions asked"),
    ("questions_answered", "Questions answered"),
    ("opened_reports", "Reports opened"),
];

/// `/admin/engagement/company`: the company report — this department and every one in
/// `metrics.company`, collected at once.
async fn company(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<RangeQuery>,
) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        let nav = console.nav(&ctx, "engagement", &req).await?;
        let (start, end) = range(&q)?;
        let report = company_metrics::for_department(&ctx, start, end).await?;
        let figure = |figures: &[company_metrics::Figure], measure: &str| {
            figures
                .iter()
                .find(|f| f.measure == measure)
                .map_or_else(|| "suppressed".to_string(), |f| f.text())
        };
        let matrix = report.matrix();
        let heat = charts::Heat {
            id: "matrix",
            caption: "Interactions between departments (follows, replies, mentions, boosts \
                      and favourites), from each row's department to each column's"
                .into(),
            corner: "From ↓ / to →".into(),
            columns: matrix.departments.clone(),
            rows: matrix
                .departments
                .iter()
                .zip(&matrix.cells)
                .map(|(from, row)| {
                    let cells = row
                        .iter()
                        .map(|c| c.as_ref().map(|f| Value::of(f.value, f.lower_bound)))
                        .collect();
                    (from.clone(), cells)
                })
                .collect(),
        }
        .html();
        ok(&CompanyPage {
            nav,
            start: start.to_string(),
            end: end.to_string(),
            configured: ctx.settings.metrics.company.len(),
            company: COMPANY
                .iter()
                .map(|(m, label)| (label.to_string(), figure(&report.company, m)))
                .collect(),
            departments: report
                .departments
                .iter()
                .map(|d| CompanyDepartment {
                    domain: d.department.clone(),
                    min_group: d.min_group_size,
                    active: shown(d.active_users),
                    posts: figure(&d.figures, "posts"),
                    replies: figure(&d.figures, "replies"),
                    questions: figure(&d.figures, "questions"),
                    answered: figure(&d.figures, "questions_answered"),
                    first_reply: duration(d.first_reply.p50_secs),
                    cross_first_reply: duration(d.first_reply.cross_p50_secs),
                })
                .collect(),
            matrix: heat,
            hashtags: report.hashtags.clone(),
            missing: report.missing.clone(),
        })
    })
    .await
}

/// `GET /admin/engagement/company/export?format=csv|json&start=&end=`: the company report.
async fn company_export(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<RangeQuery>,
) -> HttpResponse {
    on_page(&ctx, &req, true, async |_console| {
        let (start, end) = range(&q)?;
        let format = q.format.as_deref().unwrap_or("csv");
        if !matches!(format, "csv" | "json") {
            return Err(Error::unprocessable(format!(
                "`{format}` is not a report format: use csv or json"
            )));
        }
        let report = company_metrics::for_department(&ctx, start, end).await?;
        let file = format!("company-metrics-{start}-{end}.{format}");
        Ok(if format == "json" {
            download(
                company_metrics::to_json(&report).to_string(),
                "application/json",
                &file,
            )
        } else {
            download(
                company_metrics::to_csv(&report),
                "text/csv; charset=utf-8",
                &file,
            )
        })
    })
    .await
}
