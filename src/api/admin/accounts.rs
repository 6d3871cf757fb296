//! Mastodon's admin API for accounts, reports and the audit log, and Groundswell's additions
//! (roles, taking a post down, the audit log).
//! <https://docs.joinmastodon.org/methods/admin/accounts/>,
//! <https://docs.joinmastodon.org/methods/admin/reports/>

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::auth::Auth;
use crate::api::mastodon::entities::admin::{
    AdminReport, admin_account_entity, admin_report_entity,
};
use crate::api::mastodon::entities::status::status_from_view;
use crate::api::mastodon::pagination::paged_response;
use crate::api::mastodon::parse_id;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::db::models::Report;
use crate::error::{Error, Result};
use crate::service::audit;
use crate::service::moderation::{
    self, AccountAction, AccountFilter, AccountOrigin, AccountStatus, ActionRequest, ReportFilter,
    Staff, StaffView, Undo,
};
use crate::service::reports::ReportCategory;
use crate::service::users::Role;
use crate::service::views::StatusView;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/admin/accounts", web::get().to(list_v1))
        .route("/v2/admin/accounts", web::get().to(list_v2))
        .route("/v1/admin/accounts/{id}", web::get().to(show))
        .route("/v1/admin/accounts/{id}/action", web::post().to(action))
        .route("/v1/admin/accounts/{id}/approve", web::post().to(approve))
        .route("/v1/admin/accounts/{id}/reject", web::post().to(reject))
        .route("/v1/admin/accounts/{id}/enable", web::post().to(enable))
        .route(
            "/v1/admin/accounts/{id}/unsilence",
            web::post().to(unsilence),
        )
        .route(
            "/v1/admin/accounts/{id}/unsuspend",
            web::post().to(unsuspend),
        )
        .route(
            "/v1/admin/accounts/{id}/unsensitive",
            web::post().to(unsensitive),
        )
        .route("/v1/admin/reports", web::get().to(reports))
        .route("/v1/admin/reports/{id}", web::get().to(report))
        .route("/v1/admin/reports/{id}", web::put().to(update_report))
        .route(
            "/v1/admin/reports/{id}/assign_to_self",
            web::post().to(assign_to_self),
        )
        .route("/v1/admin/reports/{id}/unassign", web::post().to(unassign))
        .route("/v1/admin/reports/{id}/resolve", web::post().to(resolve))
        .route("/v1/admin/reports/{id}/reopen", web::post().to(reopen))
        .route(
            "/v1/groundswell/admin/accounts/{id}/role",
            web::post().to(set_role),
        )
        .route(
            "/v1/groundswell/admin/statuses/{id}/remove",
            web::post().to(remove_status),
        )
        .route("/v1/groundswell/admin/audit_log", web::get().to(audit_log))
        .route(
            "/v1/groundswell/admin/audit_log/export",
            web::get().to(audit_export),
        );
}

/// The employee behind an admin token: the scope and the role, checked together.
fn staff(auth: &Auth, scope: &str, role: Role) -> Result<Staff> {
    let user = auth.admin_with(scope, role)?;
    Ok(Staff {
        account_id: Some(user.account.id),
        role: user.role(),
    })
}

fn entity(ctx: &AppContext, view: &StaffView) -> Value {
    admin_account_entity(&view.0, view.1.as_ref(), &ctx.settings.instance.base_url())
}

fn page_of(ctx: &AppContext, req: &HttpRequest, rows: &[StaffView]) -> HttpResponse {
    let ids: Vec<i64> = rows.iter().map(|v| v.0.id).collect();
    let body: Vec<Value> = rows.iter().map(|v| entity(ctx, v)).collect();
    paged_response(ctx, req, &ids).json(body)
}

fn id_param(raw: Option<&str>) -> Result<Option<i64>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| Error::unprocessable(format!("Validation failed: `{s}` is not an id"))),
    }
}

#[derive(Debug, Deserialize)]
struct ListV1 {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    local: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    remote: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    active: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pending: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    disabled: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    sensitized: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    silenced: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    suspended: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    staff: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    by_domain: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    ip: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    max_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    since_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    min_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

async fn list(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    filter: AccountFilter,
) -> Result<HttpResponse> {
    let rows = ctx
        .db
        .read(move |conn| moderation::accounts(conn, &filter))
        .await?;
    Ok(page_of(&ctx, &req, &rows))
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#v1>
async fn list_v1(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<ListV1>,
) -> Result<HttpResponse> {
    staff(&auth, "admin:read:accounts", Role::Moderator)?;
    let yes = |b: Option<bool>| b == Some(true);
    let origin = match (yes(p.local), yes(p.remote)) {
        (true, false) => Some(AccountOrigin::Local),
        (false, true) => Some(AccountOrigin::Remote),
        _ => None,
    };
    let status = [
        (p.active, AccountStatus::Active),
        (p.pending, AccountStatus::Pending),
        (p.disabled, AccountStatus::Disabled),
        (p.sensitized, AccountStatus::Sensitized),
        (p.silenced, AccountStatus::Silenced),
        (p.suspended, AccountStatus::Suspended),
    ]
    .into_iter()
    .find(|(on, _)| yes(*on))
    .map(|(_, s)| s);
    let filter = AccountFilter {
        origin,
        status,
        staff: yes(p.staff),
        role: None,
        by_domain: p.by_domain,
        username: p.username,
        display_name: p.display_name,
        email: p.email,
        ip: p.ip,
        text: None,
        max_id: id_param(p.max_id.as_deref())?,
        since_id: id_param(p.since_id.as_deref())?,
        min_id: id_param(p.min_id.as_deref())?,
        limit: i64::from(p.limit.unwrap_or(100)),
    };
    list(ctx, req, filter).await
}

#[derive(Debug, Deserialize)]
struct ListV2 {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    origin: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    status: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    permissions: Option<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    role_ids: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    by_domain: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    username: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    email: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    ip: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    max_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    since_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    min_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#v2>
async fn list_v2(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<ListV2>,
) -> Result<HttpResponse> {
    staff(&auth, "admin:read:accounts", Role::Moderator)?;
    let origin = match p.origin.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("local") => Some(AccountOrigin::Local),
        Some("remote") => Some(AccountOrigin::Remote),
        Some(other) => {
            return Err(Error::unprocessable(format!(
                "Validation failed: origin `{other}` is not local or remote"
            )));
        }
    };
    let status = match p.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("active") => Some(AccountStatus::Active),
        Some("pending") => Some(AccountStatus::Pending),
        Some("disabled") => Some(AccountStatus::Disabled),
        Some("silenced") => Some(AccountStatus::Silenced),
        Some("suspended") => Some(AccountStatus::Suspended),
        Some(other) => {
            return Err(Error::unprocessable(format!(
                "Validation failed: status `{other}` is not active, pending, disabled, silenced \
                 or suspended"
            )));
        }
    };
    // Mastodon's built-in role ids (see `role_entity`).
    let role = match p.role_ids.first().map(|r| r.trim()) {
        None | Some("") => None,
        Some("2") => Some(Role::Admin),
        Some("1") => Some(Role::Moderator),
        Some("-99") => Some(Role::User),
        Some(_) => return Ok(page_of(&ctx, &req, &[])),
    };
    let filter = AccountFilter {
        origin,
        status,
        staff: p.permissions.as_deref() == Some("staff"),
        role,
        by_domain: p.by_domain,
        username: p.username,
        display_name: p.display_name,
        email: p.email,
        ip: p.ip,
        text: None,
        max_id: id_param(p.max_id.as_deref())?,
        since_id: id_param(p.since_id.as_deref())?,
        min_id: id_param(p.min_id.as_deref())?,
        limit: i64::from(p.limit.unwrap_or(100)),
    };
    list(ctx, req, filter).await
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#get-one>
async fn show(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    staff(&auth, "admin:read:accounts", Role::Moderator)?;
    let id = parse_id(&id)?;
    let view = ctx
        .db
        .read(move |conn| moderation::account(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(entity(&ctx, &view)))
}

#[derive(Debug, Deserialize)]
struct ActionParams {
    #[serde(rename = "type", default, deserialize_with = "lenient::opt_string")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    report_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    text: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    send_email_notification: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    warning_preset_id: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#action>
async fn action(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<ActionParams>,
) -> Result<HttpResponse> {
    let staff = staff(&auth, "admin:write:accounts", Role::Moderator)?;
    let id = parse_id(&id)?;
    let request = ActionRequest {
        action: p
            .kind
            .as_deref()
            .unwrap_or("none")
            .parse::<AccountAction>()?,
        report_id: id_param(p.report_id.as_deref())?,
        text: p.text.unwrap_or_default(),
        notify: p.send_email_notification.unwrap_or(true),
    };
    drop(p.warning_preset_id);
    ctx.db
        .write(move |conn| moderation::act(conn, &staff, id, request))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn undo(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    what: Undo,
) -> Result<HttpResponse> {
    let staff = staff(&auth, "admin:write:accounts", Role::Moderator)?;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| moderation::undo(conn, &staff, id, what))
        .await?;
    let view = ctx
        .db
        .read(move |conn| moderation::account(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(entity(&ctx, &view)))
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#enable>
async fn enable(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    undo(ctx, auth, id, Undo::Enable).await
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#unsilence>
async fn unsilence(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    undo(ctx, auth, id, Undo::Unsilence).await
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#unsuspend>
async fn unsuspend(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    undo(ctx, auth, id, Undo::Unsuspend).await
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#unsensitive>
async fn unsensitive(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    undo(ctx, auth, id, Undo::Unsensitive).await
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#approve>: accounts here come from the
/// identity provider or IT and are never pending, so there is nothing to approve (403, as
/// Mastodon answers for an account that is not pending).
async fn approve(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    not_pending(ctx, auth, id).await
}

/// <https://docs.joinmastodon.org/methods/admin/accounts/#reject>: likewise.
async fn reject(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    not_pending(ctx, auth, id).await
}

async fn not_pending(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    staff(&auth, "admin:write:accounts", Role::Moderator)?;
    let id = parse_id(&id)?;
    ctx.db
        .read(move |conn| moderation::account(conn, id))
        .await?;
    Err(Error::forbidden(
        "This account is not pending approval: accounts come from the company's identity provider",
    ))
}

#[derive(Debug, Deserialize)]
struct RoleParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    role: Option<String>,
}

/// `POST /api/v1/groundswell/admin/accounts/:id/role` with `role` (`admin`, `moderator`,
/// `user`): administrators only (`admin:write:accounts`).
async fn set_role(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<RoleParams>,
) -> Result<HttpResponse> {
    let staff = staff(&auth, "admin:write:accounts", Role::Admin)?;
    let id = parse_id(&id)?;
    let role: Role = p.role.as_deref().unwrap_or("").parse()?;
    ctx.db
        .write(move |conn| moderation::set_role(conn, &staff, id, role))
        .await?;
    let view = ctx
        .db
        .read(move |conn| moderation::account(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(entity(&ctx, &view)))
}

#[derive(Debug, Deserialize)]
struct ReasonParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    reason: Option<String>,
}

/// `POST /api/v1/groundswell/admin/statuses/:id/remove` with `reason` (required; the author
/// receives it): a moderator takes a post down.
async fn remove_status(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<ReasonParams>,
) -> Result<HttpResponse> {
    let staff = staff(&auth, "admin:write:reports", Role::Moderator)?;
    let id = parse_id(&id)?;
    let reason = p.reason.unwrap_or_default();
    ctx.db
        .write(move |conn| moderation::remove_status(conn, &staff, id, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

// ------------------------------------------------------------------------------------------
// Reports
// ------------------------------------------------------------------------------------------

fn report_entities(
    ctx: &AppContext,
    conn: &mut crate::db::DbConnection,
    reports: &[Report],
) -> Result<Vec<Value>> {
    let (accounts, statuses): (HashMap<i64, StaffView>, HashMap<i64, StatusView>) =
        moderation::report_subjects(conn, reports)?;
    let account = |id: i64| accounts.get(&id).map(|v| entity(ctx, v));
    let rules = &ctx.settings.instance.rules;
    Ok(reports
        .iter()
        .map(|r| {
            admin_report_entity(AdminReport {
                report: r,
                reporter: account(r.account_id).unwrap_or(Value::Null),
                target: account(r.target_account_id).unwrap_or(Value::Null),
                assigned: r.assigned_account_id.and_then(account),
                action_taken_by: r.action_taken_by_account_id.and_then(account),
                statuses: r
                    .status_id_list()
                    .iter()
                    .filter_map(|id| statuses.get(id))
                    .map(|v| status_from_view(v, &ctx.settings))
                    .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
                    .collect(),
                rules: r
                    .rule_id_list()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|&n| {
                        let text = rules.get(usize::try_from(n).ok()?.checked_sub(1)?)?;
                        Some(json!({"id": n.to_string(), "text": text, "hint": ""}))
                    })
                    .collect(),
            })
        })
        .collect())
}

#[derive(Debug, Deserialize)]
struct ReportQuery {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    resolved: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    target_account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    max_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    since_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    min_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

/// <https://docs.joinmastodon.org/methods/admin/reports/#get>
async fn reports(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(q): Params<ReportQuery>,
) -> Result<HttpResponse> {
    staff(&auth, "admin:read:reports", Role::Moderator)?;
    let filter = ReportFilter {
        resolved: q.resolved == Some(true),
        account_id: id_param(q.account_id.as_deref())?,
        target_account_id: id_param(q.target_account_id.as_deref())?,
        max_id: id_param(q.max_id.as_deref())?,
        since_id: id_param(q.since_id.as_deref())?,
        min_id: id_param(q.min_id.as_deref())?,
        limit: i64::from(q.limit.unwrap_or(100)),
    };
    let context = ctx.clone();
    let (ids, body) = ctx
        .db
        .read(move |conn| {
            let found = moderation::reports(conn, &filter)?;
            let ids: Vec<i64> = found.iter().map(|r| r.id).collect();
            Ok((ids, report_entities(&context, conn, &found)?))
        })
        .await?;
    Ok(paged_response(&ctx, &req, &ids).json(body))
}

async fn one_report(ctx: &web::Data<AppContext>, report: Report) -> Result<HttpResponse> {
    let context = ctx.clone();
    let body = ctx
        .db
        .read(move |conn| report_entities(&context, conn, &[report]))
        .await?;
    Ok(HttpResponse::Ok().json(body.into_iter().next()))
}

/// <https://docs.joinmastodon.org/methods/admin/reports/#get-one>
async fn report(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let staff = staff(&auth, "admin:read:reports", Role::Moderator)?;
    let id = parse_id(&id)?;
    let found = ctx
        .db
        .read(move |conn| moderation::report(conn, &staff, id))
        .await?;
    one_report(&ctx, found).await
}

#[derive(Debug, Deserialize)]
struct UpdateReport {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    category: Option<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    rule_ids: Vec<String>,
}

/// <https://docs.joinmastodon.org/methods/admin/reports/#update>
async fn update_report(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<UpdateReport>,
) -> Result<HttpResponse> {
    let staff = staff(&auth, "admin:write:reports", Role::Moderator)?;
    let id = parse_id(&id)?;
    let category = p
        .category
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(str::parse::<ReportCategory>)
        .transpose()?;
    let rule_ids = if p.rule_ids.is_empty() {
        None
    } else {
        Some(
            p.rule_ids
                .iter()
                .filter(|r| !r.trim().is_empty())
                .map(|r| {
                    r.trim().parse::<i64>().map_err(|_| {
                        Error::unprocessable(
                            "Validation failed: Rule ids does not reference valid rules",
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        )
    };
    let settings = ctx.settings.clone();
    let found = ctx
        .db
        .write(move |conn| {
            moderation::update_report(conn, &staff, &settings, id, category, rule_ids)
        })
        .await?;
    one_report(&ctx, found).await
}

async fn report_step(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    step: fn(&mut crate::db::DbConnection, &Staff, i64) -> Result<Report>,
) -> Result<HttpResponse> {
    let staff = staff(&auth, "admin:write:reports", Role::Moderator)?;
    let id = parse_id(&id)?;
    let found = ctx.db.write(move |conn| step(conn, &staff, id)).await?;
    one_report(&ctx, found).await
}

/// <https://docs.joinmastodon.org/methods/admin/reports/#assign_to_self>
async fn assign_to_self(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    report_step(ctx, auth, id, |conn, staff, id| {
        moderation::assign(conn, staff, id, staff.account_id)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/admin/reports/#unassign>
async fn unassign(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    report_step(ctx, auth, id, |conn, staff, id| {
        moderation::assign(conn, staff, id, None)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/admin/reports/#resolve>
async fn resolve(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    report_step(ctx, auth, id, moderation::resolve).await
}

/// <https://docs.joinmastodon.org/methods/admin/reports/#reopen>
async fn reopen(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    report_step(ctx, auth, id, moderation::reopen).await
}

// ------------------------------------------------------------------------------------------
// The audit log
// ------------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct AuditQuery {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    actor_account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    action: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    target_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    target_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    since: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    until: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    max_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    format: Option<String>,
}

fn audit_filter(q: &AuditQuery, limit: i64) -> Result<audit::Filter> {
    Ok(audit::Filter {
        actor_account_id: id_param(q.actor_account_id.as_deref())?,
        action: q.action.clone(),
        target_type: q.target_type.clone(),
        target_id: q.target_id.clone(),
        since: audit::parse_time("since", q.since.as_deref())?,
        until: audit::parse_time("until", q.until.as_deref())?,
        max_id: id_param(q.max_id.as_deref())?,
        limit,
    })
}

/// `GET /api/v1/groundswell/admin/audit_log`: who did what, newest first; filters
/// `actor_account_id`, `action` (`account.suspend`, or a family: `account.`), `target_type`,
/// `target_id`, `since`, `until`, `max_id`, `limit` (at most 200). Administrators only.
async fn audit_log(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(q): Params<AuditQuery>,
) -> Result<HttpResponse> {
    staff(&auth, "admin:read", Role::Admin)?;
    let filter = audit_filter(&q, i64::from(q.limit.unwrap_or(40)).min(audit::MAX_PAGE))?;
    let entries = ctx.db.read(move |conn| audit::list(conn, &filter)).await?;
    let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
    let body: Vec<Value> = entries.iter().map(audit::entry_json).collect();
    Ok(paged_response(&ctx, &req, &ids).json(body))
}

/// `GET /api/v1/groundswell/admin/audit_log/export?format=csv|ndjson`: the entries the same
/// filters select (at most 100,000), as a file. Administrators only.
async fn audit_export(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(q): Params<AuditQuery>,
) -> Result<HttpResponse> {
    staff(&auth, "admin:read", Role::Admin)?;
    let format: audit::ExportFormat = q.format.as_deref().unwrap_or("csv").parse()?;
    let filter = audit_filter(&q, audit::MAX_EXPORT)?;
    let entries = ctx.db.read(move |conn| audit::list(conn, &filter)).await?;
    let (content_type, file_name) = format.file();
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(audit::export(&entries, format)))
}
