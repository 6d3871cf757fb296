//! `/admin/engagement` (administrators only): the engagement metrics over a date range —
//! charts of active employees and posts per day, the totals, questions and answers, the
//! interactions with each other department, the top hashtags — and the exports to download.
//! Suppressed numbers are drawn as such, never as zero. The same service calls as the API.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::{Nav, ok, on_page};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::metrics::{self, Cell};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/engagement", web::get().to(show))
        .route("/admin/engagement/export", web::get().to(export));
}

#[derive(Debug, Default, Deserialize)]
struct RangeQuery {
    start: Option<String>,
    end: Option<String>,
    format: Option<String>,
}

/// The range asked for (default: the last 30 days).
fn range(q: &RangeQuery) -> Result<(NaiveDate, NaiveDate)> {
    let end = match q.end.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => metrics::parse_day("end", raw)?,
        None => Utc::now().date_naive(),
    };
    let start = match q.start.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(raw) => metrics::parse_day("start", raw)?,
        None => end - Duration::days(29),
    };
    metrics::check_range(start, end)?;
    Ok((start, end))
}

/// A figure for people: the number, or why there is none.
fn shown(value: Option<i64>) -> String {
    value.map_or_else(|| "suppressed".to_string(), |v| v.to_string())
}

/// A bar chart of one measure per day, as SVG: suppressed days are hatched, full height,
/// and labelled so — never drawn as zero.
fn bars(cells: &[Cell], measure: &str, title: &str) -> String {
    let days: Vec<&Cell> = cells
        .iter()
        .filter(|c| c.measure == measure && c.dimension.is_empty())
        .collect();
    let max = days
        .iter()
        .filter_map(|c| c.value)
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, height, gap) = (640.0_f64, 160.0_f64, 2.0_f64);
    let slot = width / days.len().max(1) as f64;
    let mut out = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-label=\"{title}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>\
         <defs><pattern id=\"hatch-{measure}\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" \
         patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" \
         stroke=\"#8889\" stroke-width=\"3\"/></pattern></defs>",
        height + 20.0
    );
    for (i, c) in days.iter().enumerate() {
        let x = i as f64 * slot + gap / 2.0;
        let w = (slot - gap).max(1.0);
        match c.value {
            Some(v) => {
                let h = (v as f64 / max as f64 * height).max(1.0);
                out.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
                     fill=\"#3b5bdb\"><title>{}: {v}</title></rect>",
                    height - h,
                    c.date
                ));
            }
            None => out.push_str(&format!(
                "<rect class=\"suppressed\" x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" \
                 height=\"{height}\" fill=\"url(#hatch-{measure})\">\
                 <title>{}: suppressed</title></rect>",
                c.date
            )),
        }
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        out.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"12\" fill=\"currentColor\">{}</text>\
             <text x=\"{width}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" \
             fill=\"currentColor\">{}</text>",
            height + 16.0,
            first.date,
            height + 16.0,
            last.date
        ));
    }
    out.push_str("</svg>");
    out
}

struct Total {
    label: &'static str,
    value: String,
    lower_bound: bool,
}

struct Department {
    domain: String,
    /// Per kind: (out, in) totals over the range, as shown.
    kinds: Vec<(String, String)>,
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
    totals: Vec<Total>,
    questions: Vec<(String, String)>,
    kinds: Vec<&'static str>,
    departments: Vec<Department>,
    hashtags: Vec<(String, i64)>,
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
    ("posts_held", "Posts held by rules"),
];

async fn show(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<RangeQuery>,
) -> HttpResponse {
    on_page(&ctx, &req, true, async |console| {
        let nav = console.nav(&ctx, "engagement", &req).await?;
        let (start, end) = range(&q)?;
        let min_group = ctx.settings.metrics.min_group_size;
        let (cells, active) = ctx
            .db
            .read(move |conn| {
                Ok((
                    metrics::cells(conn, start, end, min_group)?,
                    metrics::active_between(conn, start, end, min_group)?,
                ))
            })
            .await?;
        let totals = TOTALS
            .iter()
            .map(|(measure, label)| {
                let t = metrics::total(&cells, measure, "");
                // Every day suppressed: nothing to add up.
                let none = t.total == 0 && t.partial;
                Total {
                    label,
                    value: if none {
                        "suppressed".to_string()
                    } else {
                        t.total.to_string()
                    },
                    lower_bound: t.partial && !none,
                }
            })
            .collect();
        let sum = |measure: &str| {
            let t = metrics::total(&cells, measure, "");
            match (t.total, t.partial) {
                (0, true) => "suppressed".to_string(),
                (n, true) => format!("at least {n}"),
                (n, false) => n.to_string(),
            }
        };
        let last = |measure: &str| {
            cells
                .iter()
                .rev()
                .find(|c| c.measure == measure && c.value.is_some())
                .map_or_else(|| "suppressed".to_string(), |c| shown(c.value))
        };
        let questions = vec![
            ("Questions asked".to_string(), sum("questions")),
            ("Answered".to_string(), sum("questions_answered")),
            (
                "First answer, median (latest day shown)".to_string(),
                last("question_first_reply_p50_secs"),
            ),
            (
                "First answer, 90th percentile (latest day shown)".to_string(),
                last("question_first_reply_p90_secs"),
            ),
            (
                "First answer from another department, median".to_string(),
                last("question_first_cross_reply_p50_secs"),
            ),
        ];
        let mut domains: Vec<String> = cells
            .iter()
            .filter(|c| c.measure.starts_with("cross_") && !c.dimension.is_empty())
            .map(|c| c.dimension.clone())
            .collect();
        domains.sort();
        domains.dedup();
        let departments = domains
            .into_iter()
            .map(|domain| {
                let kinds = metrics::CROSS_KINDS
                    .iter()
                    .map(|kind| {
                        let of = |outgoing: bool| {
                            let m = metrics::cross_measure(kind, outgoing);
                            let t = metrics::total(&cells, &m, &domain);
                            if t.total == 0 && t.partial {
                                "suppressed".to_string()
                            } else {
                                format!("{}{}", t.total, if t.partial { "+" } else { "" })
                            }
                        };
                        (of(true), of(false))
                    })
                    .collect();
                Department { domain, kinds }
            })
            .collect();
        let hashtags = metrics::dimension(&cells, metrics::HASHTAGS, 10)
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect();
        ok(&Page {
            nav,
            start: start.to_string(),
            end: end.to_string(),
            min_group,
            active_range: shown(active),
            active_chart: bars(&cells, "active_users", "Active employees per day"),
            posts_chart: bars(&cells, "posts", "Posts per day"),
            totals,
            questions,
            kinds: metrics::CROSS_KINDS.to_vec(),
            departments,
            hashtags,
        })
    })
    .await
}

/// `GET /admin/engagement/export?format=csv|ndjson&start=&end=`: the API's export, for the
/// signed-in administrator's browser.
async fn export(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    q: web::Query<RangeQuery>,
) -> HttpResponse {
    on_page(&ctx, &req, true, async |_console| {
        let (start, end) = range(&q)?;
        let min_group = ctx.settings.metrics.min_group_size;
        let cells = ctx
            .db
            .read(move |conn| metrics::cells(conn, start, end, min_group))
            .await?;
        let (body, kind, ext) = match q.format.as_deref().unwrap_or("csv") {
            "csv" => (metrics::to_csv(&cells), "text/csv; charset=utf-8", "csv"),
            "ndjson" => (metrics::to_ndjson(&cells), "application/x-ndjson", "ndjson"),
            other => {
                return Err(Error::unprocessable(format!(
                    "`{other}` is not an export format: use csv or ndjson"
                )));
            }
        };
        Ok(HttpResponse::Ok()
            .content_type(kind)
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"metrics-{start}-{end}.{ext}\""),
            ))
            .insert_header(("Cache-Control", "no-store"))
            .body(body))
    })
    .await
}
