//! The policy rules and the held posts, for the department's moderators (read, decide on held
//! posts) and administrators (change the rules).
//!
//! Rules: `GET/POST /api/v1/groundswell/admin/policy/rules`, `GET/PUT …/rules/:id`,
//! `POST …/rules/:id/disable|enable`, `GET …/policy/export`, `POST …/policy/import`,
//! `GET …/policy/versions[/:number]`, `GET …/policy/matches`. Held posts:
//! `GET /api/v1/groundswell/admin/held_statuses[/:id]`, `POST …/:id/approve`,
//! `POST …/:id/reject`.

use std::collections::{HashMap, HashSet};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::mastodon::entities::account::account_from_row;
use crate::api::mastodon::entities::iso_datetime;
use crate::api::mastodon::entities::status::status_from_view;
use crate::api::mastodon::parse_id;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::db::models::Status;
use crate::error::{Error, Result};
use crate::service::policy::review::{self, Held};
use crate::service::policy::rules::{self, Format, Rule, StoredRule};
use crate::service::policy::store::{self, Changer, Hits, MatchFilter, RecordedMatch, Version};
use crate::service::users::Role;
use crate::service::views;

pub fn configure(cfg: &mut web::ServiceConfig) {
    let base = "/v1/groundswell/admin";
    cfg.route(&format!("{base}/policy/rules"), web::get().to(list))
        .route(&format!("{base}/policy/rules"), web::post().to(add))
        .route(&format!("{base}/policy/rules/{{id}}"), web::get().to(show))
        .route(&format!("{base}/policy/rules/{{id}}"), web::put().to(edit))
        .route(
            &format!("{base}/policy/rules/{{id}}/disable"),
            web::post().to(disable),
        )
        .route(
            &format!("{base}/policy/rules/{{id}}/enable"),
            web::post().to(enable),
        )
        .route(&format!("{base}/policy/export"), web::get().to(export))
        .route(&format!("{base}/policy/import"), web::post().to(import))
        .route(&format!("{base}/policy/versions"), web::get().to(versions))
        .route(
            &format!("{base}/policy/versions/{{number}}"),
            web::get().to(version),
        )
        .route(&format!("{base}/policy/matches"), web::get().to(matches))
        .route(&format!("{base}/held_statuses"), web::get().to(held))
        .route(
            &format!("{base}/held_statuses/{{id}}"),
            web::get().to(held_one),
        )
        .route(
            &format!("{base}/held_statuses/{{id}}/approve"),
            web::post().to(approve),
        )
        .route(
            &format!("{base}/held_statuses/{{id}}/reject"),
            web::post().to(reject),
        );
}

/// Moderators and administrators read the rules; administrators change them.
fn reader(auth: &Auth) -> Result<()> {
    auth.admin_with("admin:read:policy", Role::Moderator)
        .map(drop)
}

fn changer(auth: &Auth) -> Result<Changer> {
    let user = auth.admin_with("admin:write:policy", Role::Admin)?;
    Ok(Changer::Admin {
        account_id: user.account.id,
    })
}

/// A rule as the API shows it: the rule file's keys, its id and how often it matched.
fn rule_entity(rule: &StoredRule, hits: Hits) -> Value {
    let written = serde_json::to_value(&rule.rule).unwrap_or(Value::Null);
    let r = &rule.rule;
    // Every key, so clients need not know the rule file's defaults.
    json!({
        "id": rule.id.to_string(),
        "name": r.name,
        "direction": r.directions(),
        "when": written["when"],
        "action": r.action,
        "explain": r.explain,
        "warning": r.warning,
        "dry_run": r.dry_run,
        "enabled": r.enabled,
        "hits": hits.hits,
        "dry_run_hits": hits.dry_run_hits,
    })
}

fn version_entity(version: &Version, hits: &HashMap<i64, Hits>) -> Value {
    json!({
        "version": version.number,
        "summary": version.summary,
        "changed_by": version.changed_by,
        "created_at": iso_datetime(version.created_at),
        "rules": version.rules.iter()
            .map(|r| rule_entity(r, hits.get(&r.id).copied().unwrap_or_default()))
            .collect::<Vec<_>>(),
    })
}

/// A recorded match, with a link to what it was about.
fn match_entity(m: &RecordedMatch, statuses: &HashMap<i64, Status>) -> Value {
    let status = m.status_id.and_then(|id| statuses.get(&id));
    json!({
        "id": m.id.to_string(),
        "rule_id": m.rule_id.to_string(),
        "rule": m.rule_name,
        "version": m.version,
        "action": m.action,
        "dry_run": m.dry_run,
        "direction": m.direction,
        "subject": m.subject,
        "status_id": m.status_id.map(|id| id.to_string()),
        "status_url": status.map(|s| s.url.clone().unwrap_or_else(|| s.ap_id.clone())),
        "account_id": m.account_id.map(|id| id.to_string()),
        "object_uri": m.object_uri,
        "created_at": iso_datetime(m.created_at),
    })
}

/// The statuses matches point at (one query for a page of matches).
fn statuses_of(
    conn: &mut crate::db::DbConnection,
    matches: &[RecordedMatch],
) -> Result<HashMap<i64, Status>> {
    use crate::db::schema::statuses;
    use diesel::prelude::*;
    let ids: HashSet<i64> = matches.iter().filter_map(|m| m.status_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(statuses::table
        .filter(statuses::id.eq_any(ids))
        .select(Status::as_select())
        .load(conn)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

/// `GET /api/v1/groundswell/admin/policy/rules`: the current version's rules, in order.
async fn list(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    reader(&auth)?;
    let body = ctx
        .db
        .read(|conn| {
            let version = store::current(conn)?;
            let hits = store::hits(conn)?;
            Ok(version_entity(&version, &hits))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/groundswell/admin/policy/rules/:id` (an id or a name): the rule, its hit
/// counts and its last 20 matches.
async fn show(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    reader(&auth)?;
    let key = id.into_inner();
    let body = ctx
        .db
        .read(move |conn| {
            let rule = store::find(conn, &key)?;
            let hits = store::hits(conn)?
                .get(&rule.id)
                .copied()
                .unwrap_or_default();
            let filter = MatchFilter {
                rule_id: Some(rule.id),
                limit: 20,
                ..Default::default()
            };
            let last = store::matches(conn, &filter)?;
            let statuses = statuses_of(conn, &last)?;
            let mut body = rule_entity(&rule, hits);
            body["last_matches"] = last.iter().map(|m| match_entity(m, &statuses)).collect();
            Ok(body)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn parse_rule(value: Value) -> Result<Rule> {
    let rule: Rule = serde_json::from_value(value)
        .map_err(|e| Error::unprocessable(format!("The rule is not valid: {e}")))?;
    rules::check_rule(&rule)
        .map_err(|e| Error::unprocessable(format!("The rule is not valid: {}", e.message())))?;
    Ok(rule)
}

/// `POST /api/v1/groundswell/admin/policy/rules` with one rule as JSON (the rule file's
/// keys): a new version with the rule added.
async fn add(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(body): Params<Value>,
) -> Result<HttpResponse> {
    let by = changer(&auth)?;
    let rule = parse_rule(body)?;
    let (stored, _) = ctx
        .db
        .write(move |conn| store::add(conn, rule, &by))
        .await?;
    Ok(HttpResponse::Ok().json(rule_entity(&stored, Hits::default())))
}

/// `PUT /api/v1/groundswell/admin/policy/rules/:id` with the whole rule as JSON: a new
/// version with the rule replaced (it keeps its id and hit counts).
async fn edit(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(body): Params<Value>,
) -> Result<HttpResponse> {
    let by = changer(&auth)?;
    let rule = parse_rule(body)?;
    let key = id.into_inner();
    let (stored, hits) = ctx
        .db
        .write(move |conn| {
            let (stored, _) = store::edit(conn, &key, rule, &by)?;
            let hits = store::hits(conn)?
                .get(&stored.id)
                .copied()
                .unwrap_or_default();
            Ok((stored, hits))
        })
        .await?;
    Ok(HttpResponse::Ok().json(rule_entity(&stored, hits)))
}

async fn set_enabled(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    enabled: bool,
) -> Result<HttpResponse> {
    let by = changer(&auth)?;
    let key = id.into_inner();
    let (stored, hits) = ctx
        .db
        .write(move |conn| {
            let (stored, _) = store::set_enabled(conn, &key, enabled, &by)?;
            let hits = store::hits(conn)?
                .get(&stored.id)
                .copied()
                .unwrap_or_default();
            Ok((stored, hits))
        })
        .await?;
    Ok(HttpResponse::Ok().json(rule_entity(&stored, hits)))
}

/// `POST /api/v1/groundswell/admin/policy/rules/:id/disable`: kept, never evaluated.
async fn disable(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    set_enabled(ctx, auth, id, false).await
}

/// `POST /api/v1/groundswell/admin/policy/rules/:id/enable`.
async fn enable(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    set_enabled(ctx, auth, id, true).await
}

#[derive(Debug, Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

fn format_of(query: &FormatQuery, req: &HttpRequest) -> Result<Format> {
    if let Some(f) = &query.format {
        return f.parse();
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    Ok(if json { Format::Json } else { Format::Toml })
}

/// `GET /api/v1/groundswell/admin/policy/export?format=toml|json`: the current rule set as a
/// rule file (TOML by default), for `import` here or in another department.
async fn export(
    ctx: web::Data<AppContext>,
    auth: Auth,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse> {
    reader(&auth)?;
    let format = query
        .format
        .as_deref()
        .unwrap_or("toml")
        .parse::<Format>()?;
    let version = ctx.db.read(store::current).await?;
    let written: Vec<Rule> = version.rules.into_iter().map(|r| r.rule).collect();
    let body = rules::write_file(&written, format)?;
    let content_type = match format {
        Format::Toml => "application/toml; charset=utf-8",
        Format::Json => "application/json",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"policy-v{}.{}\"",
                version.number,
                if format == Format::Json {
                    "json"
                } else {
                    "toml"
                }
            ),
        ))
        .body(body))
}

/// `POST /api/v1/groundswell/admin/policy/import[?format=toml|json]` with a rule file as the
/// body (TOML, or JSON when so sent): the whole rule set is replaced, as one new version.
async fn import(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    query: web::Query<FormatQuery>,
    body: Bytes,
) -> Result<HttpResponse> {
    let by = changer(&auth)?;
    let format = format_of(&query, &req)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| Error::unprocessable("The rule file must be UTF-8 text"))?;
    let imported = rules::parse_file(text, format)?;
    let body = ctx
        .db
        .write(move |conn| {
            let version = store::import(conn, imported, &by)?;
            let hits = store::hits(conn)?;
            Ok(version_entity(&version, &hits))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/groundswell/admin/policy/versions`: every version, newest first (who changed
/// what, when), without their rules.
async fn versions(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    reader(&auth)?;
    let list = ctx.db.read(|conn| store::versions(conn, 1000)).await?;
    let body: Vec<Value> = list
        .iter()
        .map(|v| {
            json!({
                "version": v.number,
                "summary": v.summary,
                "changed_by": v.changed_by,
                "created_at": iso_datetime(v.created_at),
                "rules_count": v.rules.len(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/groundswell/admin/policy/versions/:number`: one version with its rules.
async fn version(
    ctx: web::Data<AppContext>,
    auth: Auth,
    number: web::Path<String>,
) -> Result<HttpResponse> {
    reader(&auth)?;
    let number = parse_id(&number)?;
    let body = ctx
        .db
        .read(move |conn| {
            let version = store::version(conn, number)?;
            let hits = store::hits(conn)?;
            Ok(version_entity(&version, &hits))
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Debug, Deserialize)]
struct MatchQuery {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    rule_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    action: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    max_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

/// `GET /api/v1/groundswell/admin/policy/matches[?rule_id=&action=&max_id=&limit=]`: what the
/// rules matched, newest first (flags to look at: `action=flag`).
async fn matches(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(q): Params<MatchQuery>,
) -> Result<HttpResponse> {
    reader(&auth)?;
    let filter = MatchFilter {
        rule_id: q.rule_id.as_deref().map(parse_id).transpose()?,
        action: q.action.filter(|a| !a.is_empty()),
        max_id: q.max_id.as_deref().map(parse_id).transpose()?,
        limit: i64::from(q.limit.unwrap_or(40)),
    };
    let body = ctx
        .db
        .read(move |conn| {
            let found = store::matches(conn, &filter)?;
            let statuses = statuses_of(conn, &found)?;
            Ok(found
                .iter()
                .map(|m| match_entity(m, &statuses))
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Held statuses as the API shows them: the status (as Mastodon's entity), whether a new post
/// or an edit is held, and the rules that matched.
fn held_entities(
    ctx: &AppContext,
    conn: &mut crate::db::DbConnection,
    held: Vec<Held>,
) -> Result<Vec<Value>> {
    let statuses: Vec<Status> = held.iter().map(|h| h.status.clone()).collect();
    let views: HashMap<i64, views::StatusView> = views::hydrate(conn, None, statuses)?
        .into_iter()
        .map(|v| (v.status.id, v))
        .collect();
    let by_id: HashMap<i64, Status> = held
        .iter()
        .map(|h| (h.status.id, h.status.clone()))
        .collect();
    let base = ctx.settings.instance.base_url();
    Ok(held
        .iter()
        .filter_map(|h| Some((h, views.get(&h.status.id)?)))
        .map(|(h, view)| {
            json!({
                "id": h.status.id.to_string(),
                "held": h.held,
                "account": account_from_row(&h.account, &base),
                "status": status_from_view(view, &ctx.settings),
                "matches": h.matches.iter().map(|m| match_entity(m, &by_id)).collect::<Vec<_>>(),
            })
        })
        .collect())
}

fn moderator(auth: &Auth, scope: &str) -> Result<i64> {
    Ok(auth.admin_with(scope, Role::Moderator)?.account.id)
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    max_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

/// `GET /api/v1/groundswell/admin/held_statuses[?max_id=&limit=]`: posts waiting for review,
/// newest first (moderators and administrators, `admin:read:reports`).
async fn held(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(q): Params<PageQuery>,
) -> Result<HttpResponse> {
    moderator(&auth, "admin:read:reports")?;
    let max_id = q.max_id.as_deref().map(parse_id).transpose()?;
    let limit = i64::from(q.limit.unwrap_or(40));
    let context = ctx.clone();
    let body = ctx
        .db
        .read(move |conn| {
            let held = review::held(conn, max_id, limit)?;
            held_entities(&context, conn, held)
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// `GET /api/v1/groundswell/admin/held_statuses/:id`.
async fn held_one(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    moderator(&auth, "admin:read:reports")?;
    let id = parse_id(&id)?;
    let context = ctx.clone();
    let body = ctx
        .db
        .read(move |conn| {
            let held = review::find_held(conn, id)?;
            held_entities(&context, conn, vec![held])
        })
        .await?;
    Ok(HttpResponse::Ok().json(body.into_iter().next()))
}

/// `POST /api/v1/groundswell/admin/held_statuses/:id/approve`: published now; its author is
/// told.
async fn approve(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = moderator(&auth, "admin:write:reports")?;
    let id = parse_id(&id)?;
    let status = ctx
        .db
        .write(move |conn| review::approve(conn, Some(me), id))
        .await?;
    let view = ctx
        .db
        .read(move |conn| views::hydrate_one(conn, None, status))
        .await?;
    Ok(HttpResponse::Ok().json(status_from_view(&view, &ctx.settings)))
}

#[derive(Debug, Deserialize)]
struct RejectParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    reason: Option<String>,
}

/// `POST /api/v1/groundswell/admin/held_statuses/:id/reject` with `reason` (required; its
/// author receives it as a moderation warning): taken down.
async fn reject(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<RejectParams>,
) -> Result<HttpResponse> {
    let me = moderator(&auth, "admin:write:reports")?;
    let id = parse_id(&id)?;
    let reason = p.reason.unwrap_or_default();
    ctx.db
        .write(move |conn| review::reject(conn, Some(me), id, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
