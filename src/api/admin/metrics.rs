//! The engagement metrics for administrators: every measure per day, as JSON, CSV or NDJSON
//! (`/api/v1/groundswell/metrics`), and Mastodon's admin measures
//! (`/api/v1/admin/measures`) so existing admin tools work. Never a number behind fewer
//! than `metrics.min_group_size` people: such a cell is `null` and marked suppressed.

use actix_web::{HttpResponse, web};
use chrono::Duration;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::metrics::{self, Cell};
use crate::service::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/groundswell/metrics", web::get().to(export))
        .route("/v1/admin/measures", web::post().to(measures))
        .route("/v1/admin/dimensions", web::post().to(dimensions))
        .route("/v1/admin/retention", web::post().to(retention));
}

#[derive(Debug, Deserialize)]
struct RangeParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    start: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    end: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    format: Option<String>,
}

/// `GET /api/v1/groundswell/metrics?start=&end=&format=json|csv|ndjson` (admins,
/// `admin:read`): every measure of every day in the range (default: the last 30 days).
async fn export(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<RangeParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Admin)?;
    let (start, end) = metrics::range(p.start.as_deref(), p.end.as_deref())?;
    let format = p
        .format
        .as_deref()
        .unwrap_or("json")
        .trim()
        .to_ascii_lowercase();
    if !matches!(format.as_str(), "json" | "csv" | "ndjson") {
        return Err(Error::unprocessable(format!(
            "`{format}` is not an export format: use json, csv or ndjson"
        )));
    }
    let min_group = ctx.settings.metrics.min_group_size;
    let domain = ctx.settings.instance.domain.as_str().to_string();
    let (summary, cells) = ctx
        .db
        .read(move |conn| metrics::summarize(conn, &domain, start, end, min_group))
        .await?;
    let file = |ext: &str| format!("attachment; filename=\"metrics-{start}-{end}.{ext}\"");
    Ok(match format.as_str() {
        "csv" => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(("Content-Disposition", file("csv")))
            .body(metrics::to_csv(&cells)),
        "ndjson" => HttpResponse::Ok()
            .content_type("application/x-ndjson")
            .insert_header(("Content-Disposition", file("ndjson")))
            .body(metrics::to_ndjson(&cells)),
        _ => HttpResponse::Ok().json(metrics::to_json(&summary, &cells)),
    })
}

#[derive(Debug, Deserialize)]
struct MeasureParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    keys: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    start_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    end_at: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/admin/measures/>: `keys[]`, `start_at`, `end_at`;
/// each measure's `total` (the shown days added up; `total_is_lower_bound` when a day was
/// suppressed), `previous_total` (the range before), and `data` per day (a suppressed day's
/// `value` is `null`, with `suppressed`). `active_users` over the range counts each employee
/// once. Unknown keys answer `422`.
async fn measures(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<MeasureParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Moderator)?;
    let (start, end) = metrics::range(p.start_at.as_deref(), p.end_at.as_deref())?;
    let known = metrics::all_measures();
    if let Some(bad) = p.keys.iter().find(|k| !known.contains(k)) {
        return Err(Error::unprocessable(format!("`{bad}` is not a measure")));
    }
    let days = (end - start).num_days() + 1;
    let (prev_start, prev_end) = (start - Duration::days(days), start - Duration::days(1));
    let min_group = ctx.settings.metrics.min_group_size;
    let (cells, previous, active, prev_active) = ctx
        .db
        .read(move |conn| {
            Ok((
                metrics::cells(conn, start, end, min_group)?,
                metrics::cells(conn, prev_start, prev_end, min_group)?,
                metrics::active_between(conn, start, end, min_group)?,
                metrics::active_between(conn, prev_start, prev_end, min_group)?,
            ))
        })
        .await?;
    let text = |n: Option<i64>| n.map(|n| n.to_string());
    let body: Vec<Value> = p
        .keys
        .iter()
        .map(|key| {
            // A day's value: its shown cells added up (a cross-department measure has one
            // per department); none shown, suppressed.
            let of = |cells: &[Cell], date: &str| -> Option<i64> {
                let shown: Vec<i64> = cells
                    .iter()
                    .filter(|c| c.measure == *key && c.date == date)
                    .filter_map(|c| c.value)
                    .collect();
                (!shown.is_empty()).then(|| shown.iter().sum())
            };
            let mut data = Vec::new();
            let mut day = start;
            while day <= end {
                let date = metrics::day_key(day);
                let value = of(&cells, &date);
                data.push(json!({
                    "date": format!("{date}T00:00:00Z"),
                    "value": text(value),
                    "suppressed": value.is_none(),
                }));
                day += Duration::days(1);
            }
            let sum = |cells: &[Cell]| -> (i64, bool) {
                let of_key: Vec<&Cell> = cells.iter().filter(|c| c.measure == *key).collect();
                (
                    of_key.iter().filter_map(|c| c.value).sum(),
                    of_key.iter().any(|c| c.value.is_none()),
                )
            };
            let ((total, partial), (prev_total, prev_partial)) = if key == "active_users" {
                (
                    (active.unwrap_or(0), active.is_none()),
                    (prev_active.unwrap_or(0), prev_active.is_none()),
                )
            } else {
                (sum(&cells), sum(&previous))
            };
            json!({
                "key": key,
                "unit": null,
                "total": total.to_string(),
                "total_is_lower_bound": partial,
                "previous_total": prev_total.to_string(),
                "previous_total_is_lower_bound": prev_partial,
                "data": data,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
struct DimensionParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    keys: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    start_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    end_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    limit: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/admin/dimensions/>: `keys[]` among `languages`,
/// `servers` (the other departments, by their interactions with this one) and ours,
/// `hashtags`; `start_at`, `end_at`, `limit` (default 10, at most 100). Values add up the
/// shown days only.
async fn dimensions(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<DimensionParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Moderator)?;
    let (start, end) = metrics::range(p.start_at.as_deref(), p.end_at.as_deref())?;
    if let Some(bad) = p
        .keys
        .iter()
        .find(|k| !metrics::DIMENSIONS.contains(&k.as_str()))
    {
        return Err(Error::unprocessable(format!("`{bad}` is not a dimension")));
    }
    let limit = match p.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 10,
        Some(raw) => raw
            .parse::<usize>()
            .map_err(|_| Error::unprocessable("limit must be a number"))?
            .clamp(1, 100),
    };
    let min_group = ctx.settings.metrics.min_group_size;
    let cells = ctx
        .db
        .read(move |conn| metrics::cells(conn, start, end, min_group))
        .await?;
    let language_name = |code: &str| {
        crate::service::languages::ISO_639_1
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, name)| name.to_string())
            .unwrap_or_else(|| code.to_string())
    };
    let body: Vec<Value> = p
        .keys
        .iter()
        .map(|key| {
            let data: Vec<Value> = metrics::dimension(&cells, key, limit)
                .into_iter()
                .map(|e| {
                    let human = match key.as_str() {
                        "languages" => language_name(&e.key),
                        "hashtags" => format!("#{}", e.key),
                        _ => e.key.clone(),
                    };
                    json!({"key": e.key, "human_key": human, "value": e.value.to_string()})
                })
                .collect();
            json!({"key": key, "data": data})
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
struct RetentionParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    start_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    end_at: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    frequency: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/admin/retention/>: `start_at`, `end_at`,
/// `frequency` (`day` or `month`). Each cohort (the employees who joined in a period) with,
/// for each period since, how many of them were active (`value`) and their share (`rate`);
/// below `metrics.min_group_size` people `value` and `rate` are `null` with `suppressed`.
async fn retention(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<RetentionParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Moderator)?;
    let (start, end) = metrics::range(p.start_at.as_deref(), p.end_at.as_deref())?;
    let frequency = metrics::Frequency::parse(p.frequency.as_deref())?;
    let min_group = ctx.settings.metrics.min_group_size;
    let cohorts = ctx
        .db
        .read(move |conn| metrics::retention(conn, start, end, frequency, min_group))
        .await?;
    let time = |d: chrono::NaiveDate| format!("{d}T00:00:00+00:00");
    let body: Vec<Value> = cohorts
        .iter()
        .map(|c| {
            let data: Vec<Value> = c
                .data
                .iter()
                .map(|(date, n)| {
                    let rate = match (n, c.size) {
                        (Some(n), Some(size)) if size > 0 => Some(*n as f64 / size as f64),
                        _ => None,
                    };
                    json!({
                        "date": time(*date),
                        "rate": rate,
                        "value": n.map(|n| n.to_string()),
                        "suppressed": n.is_none(),
                    })
                })
                .collect();
            json!({"period": time(c.period), "frequency": frequency.as_str(), "data": data})
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
