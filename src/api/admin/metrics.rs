//! The engagement metrics for administrators: every measure per day, as JSON, CSV or NDJSON
//! (`/api/v1/groundswell/metrics`), and Mastodon's admin measures
//! (`/api/v1/admin/measures`) so existing admin tools work. Never a number behind fewer
//! than `metrics.min_group_size` people: such a cell is `null` and marked suppressed.

use actix_web::{HttpResponse, web};
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::audit::csv_field;
use crate::service::metrics::{self, Cell};
use crate::service::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/groundswell/metrics", web::get().to(export))
        .route("/v1/admin/measures", web::post().to(measures));
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

/// The range asked for: `end` today unless given, `start` 29 days before `end` unless given.
fn range(start: Option<&str>, end: Option<&str>) -> Result<(NaiveDate, NaiveDate)> {
    let end = match end.filter(|s| !s.trim().is_empty()) {
        Some(raw) => metrics::parse_day("end", raw)?,
        None => Utc::now().date_naive(),
    };
    let start = match start.filter(|s| !s.trim().is_empty()) {
        Some(raw) => metrics::parse_day("start", raw)?,
        None => end - Duration::days(29),
    };
    metrics::check_range(start, end)?;
    Ok((start, end))
}

/// A cell's dimension: the other department of a cross-department measure, or a hashtag.
fn dimension(measure: &str, value: &str) -> (Option<String>, Option<String>) {
    match value {
        "" => (None, None),
        v if measure == metrics::HASHTAGS => (None, Some(v.to_string())),
        v => (Some(v.to_string()), None),
    }
}

fn cell_json(c: &Cell) -> Value {
    let (department, hashtag) = dimension(&c.measure, &c.dimension);
    json!({
        "date": c.date,
        "measure": c.measure,
        "department": department,
        "hashtag": hashtag,
        "value": c.value,
        "suppressed": c.value.is_none(),
    })
}

/// `GET /api/v1/groundswell/metrics?start=&end=&format=json|csv|ndjson` (admins,
/// `admin:read`): every measure of every day in the range (default: the last 30 days).
async fn export(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<RangeParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read", Role::Admin)?;
    let (start, end) = range(p.start.as_deref(), p.end.as_deref())?;
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
    let (cells, active) = ctx
        .db
        .read(move |conn| {
            Ok((
                metrics::cells(conn, start, end, min_group)?,
                metrics::active_between(conn, start, end, min_group)?,
            ))
        })
        .await?;
    let file = |ext: &str| format!("attachment; filename=\"metrics-{start}-{end}.{ext}\"");
    Ok(match format.as_str() {
        "csv" => {
            let mut out = String::from("date,measure,department,hashtag,value,suppressed\r\n");
            for c in &cells {
                let (department, hashtag) = dimension(&c.measure, &c.dimension);
                out.push_str(&format!(
                    "{},{},{},{},{},{}\r\n",
                    c.date,
                    csv_field(&c.measure),
                    csv_field(&department.unwrap_or_default()),
                    csv_field(&hashtag.unwrap_or_default()),
                    c.value.map(|v| v.to_string()).unwrap_or_default(),
                    c.value.is_none()
                ));
            }
            HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header(("Content-Disposition", file("csv")))
                .body(out)
        }
        "ndjson" => {
            let mut out = String::new();
            for c in &cells {
                out.push_str(&cell_json(c).to_string());
                out.push('\n');
            }
            HttpResponse::Ok()
                .content_type("application/x-ndjson")
                .insert_header(("Content-Disposition", file("ndjson")))
                .body(out)
        }
        _ => {
            let mut keys: Vec<(String, String)> = cells
                .iter()
                .filter(|c| metrics::adds_up(&c.measure))
                .map(|c| (c.measure.clone(), c.dimension.clone()))
                .collect();
            keys.sort();
            keys.dedup();
            let totals: Vec<Value> = keys
                .iter()
                .map(|(measure, value)| {
                    let t = metrics::total(&cells, measure, value);
                    let (department, hashtag) = dimension(measure, value);
                    json!({
                        "measure": measure,
                        "department": department,
                        "hashtag": hashtag,
                        "total": t.total,
                        "lower_bound": t.partial,
                    })
                })
                .collect();
            HttpResponse::Ok().json(json!({
                "start": start.to_string(),
                "end": end.to_string(),
                "min_group_size": min_group,
                "active_users": active,
                "active_users_suppressed": active.is_none(),
                "totals": totals,
                "cells": cells.iter().map(cell_json).collect::<Vec<_>>(),
            }))
        }
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
    let (start, end) = range(p.start_at.as_deref(), p.end_at.as_deref())?;
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
