//! The moderators' pages: reports, held posts and accounts, with their actions. Every action
//! is the service function the admin API calls, so it is checked and audited the same way.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{Fields, Nav, done, ok, on_form, on_page, when};
use crate::context::AppContext;
use crate::db::models::{Report, Status};
use crate::error::{Error, Result};
use crate::service::moderation::{
    self, AccountAction, AccountFilter, AccountOrigin, AccountStatus, ActionRequest, ReportFilter,
    StaffView, Undo,
};
use crate::service::policy::review;
use crate::service::users::Role;
use crate::service::views::StatusView;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/reports", web::get().to(reports))
        .route("/admin/reports/{id}", web::get().to(report))
        .route("/admin/reports/{id}/{step}", web::post().to(report_step))
        .route("/admin/held", web::get().to(held))
        .route("/admin/held/{id}/{decision}", web::post().to(decide_held))
        .route("/admin/accounts", web::get().to(accounts))
        .route("/admin/accounts/{id}", web::get().to(account))
        .route("/admin/accounts/{id}/action", web::post().to(act))
        .route("/admin/accounts/{id}/undo", web::post().to(undo))
        .route("/admin/accounts/{id}/role", web::post().to(set_role))
        .route("/admin/statuses/{id}/remove", web::post().to(remove_status));
}

/// An id from the path; anything else is a page that does not exist.
fn path_id(raw: &str) -> Result<i64> {
    raw.parse().map_err(|_| Error::not_found())
}

fn role_label(view: &StaffView) -> &'static str {
    match view
        .1
        .as_ref()
        .map(|u| u.role.parse().unwrap_or(Role::User))
    {
        None => "other department",
        Some(Role::Admin) => "administrator",
        Some(Role::Moderator) => "moderator",
        Some(Role::User) => "employee",
    }
}

fn states(view: &StaffView) -> Vec<&'static str> {
    let (account, user) = view;
    let mut out = Vec::new();
    if account.suspended_at.is_some() {
        out.push("suspended");
    }
    if user.as_ref().is_some_and(|u| u.disabled_at.is_some()) {
        out.push("disabled");
    }
    if account.silenced_at.is_some() {
        out.push("silenced");
    }
    if account.sensitized_at.is_some() {
        out.push("media sensitive");
    }
    if out.is_empty() {
        out.push("active");
    }
    out
}

fn acct_of(accounts: &HashMap<i64, StaffView>, id: i64) -> String {
    accounts
        .get(&id)
        .map(|v| format!("@{}", v.0.acct()))
        .unwrap_or_else(|| "an account no longer here".to_string())
}

// ------------------------------------------------------------------------------------------
// Reports
// ------------------------------------------------------------------------------------------

struct ReportRow {
    id: i64,
    created: String,
    target: String,
    target_id: i64,
    statuses: usize,
    reporter: String,
    forwarded: bool,
    category: String,
    assigned: Option<String>,
    resolved: bool,
    comment: String,
}

fn report_row(r: &Report, accounts: &HashMap<i64, StaffView>) -> ReportRow {
    ReportRow {
        id: r.id,
        created: when(r.created_at),
        target: acct_of(accounts, r.target_account_id),
        target_id: r.target_account_id,
        statuses: r.status_id_list().len(),
        reporter: acct_of(accounts, r.account_id),
        forwarded: r.ap_id.is_some(),
        category: r.category.clone(),
        assigned: r.assigned_account_id.map(|id| acct_of(accounts, id)),
        resolved: r.action_taken_at.is_some(),
        comment: r.comment.clone(),
    }
}

#[derive(Template)]
#[template(path = "admin/reports.html")]
struct ReportsPage {
    nav: Nav,
    resolved: bool,
    rows: Vec<ReportRow>,
}

#[derive(Deserialize, Default)]
struct ReportsQuery {
    resolved: Option<String>,
}

async fn reports(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    let q = web::Query::<ReportsQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let resolved = q
        .resolved
        .as_deref()
        .is_some_and(|v| v == "1" || v == "true");
    on_page(&ctx, &req, false, async |console| {
        let nav = console.nav(&ctx, "reports", &req).await?;
        let rows = ctx
            .db
            .read(move |conn| {
                let found = moderation::reports(
                    conn,
                    &ReportFilter {
                        resolved,
                        limit: 200,
                        ..Default::default()
                    },
                )?;
                let ids: Vec<i64> = found
                    .iter()
                    .flat_map(|r| {
                        [
                            Some(r.account_id),
                            Some(r.target_account_id),
                            r.assigned_account_id,
                        ]
                    })
                    .flatten()
                    .collect();
                let accounts = moderation::accounts_by_id(conn, &ids)?;
                Ok(found.iter().map(|r| report_row(r, &accounts)).collect())
            })
            .await?;
        ok(&ReportsPage {
            nav,
            resolved,
            rows,
        })
    })
    .await
}

struct PostRow {
    id: i64,
    author: String,
    when: String,
    visibility: String,
    deleted: bool,
    spoiler: String,
    /// Sanitized when it was stored.
    html: String,
}

fn post_row(status: &Status, author: String) -> PostRow {
    PostRow {
        id: status.id,
        author,
        when: when(status.created_at),
        visibility: status.visibility.clone(),
        deleted: status.deleted_at.is_some(),
        spoiler: status.spoiler_text.clone(),
        html: status.content.clone(),
    }
}

#[derive(Template)]
#[template(path = "admin/report.html")]
struct ReportPage {
    nav: Nav,
    r: ReportRow,
    rules: Vec<String>,
    posts: Vec<PostRow>,
    steps: Vec<(&'static str, &'static str)>,
    action_target: i64,
    action_report: Option<i64>,
    action_local: bool,
}

async fn report(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    on_page(&ctx, &req, false, async |console| {
        let id = path_id(&id)?;
        let nav = console.nav(&ctx, "reports", &req).await?;
        let me = console.staff();
        let (found, accounts, statuses) = ctx
            .db
            .read(move |conn| {
                let found = moderation::report(conn, &me, id)?;
                let (accounts, statuses) =
                    moderation::report_subjects(conn, std::slice::from_ref(&found))?;
                Ok((found, accounts, statuses))
            })
            .await?;
        let row = report_row(&found, &accounts);
        let rules = found
            .rule_id_list()
            .unwrap_or_default()
            .iter()
            .filter_map(|&n| {
                let i = usize::try_from(n).ok()?.checked_sub(1)?;
                ctx.settings.instance.rules.get(i).cloned()
            })
            .collect();
        let posts = found
            .status_id_list()
            .iter()
            .filter_map(|sid| statuses.get(sid))
            .map(|v: &StatusView| post_row(&v.status, format!("@{}", v.account.acct())))
            .collect();
        let mut steps = Vec::new();
        if row.resolved {
            steps.push(("reopen", "Reopen"));
        } else {
            if found.assigned_account_id == console.user.account.id.into() {
                steps.push(("unassign", "Unassign"));
            } else {
                steps.push(("assign", "Assign to me"));
            }
            steps.push(("resolve", "Resolve without action"));
        }
        let target_local = accounts
            .get(&found.target_account_id)
            .is_some_and(|v| v.0.is_local());
        ok(&ReportPage {
            nav,
            action_target: found.target_account_id,
            action_report: (!row.resolved).then_some(found.id),
            action_local: target_local,
            r: row,
            rules,
            posts,
            steps,
        })
    })
    .await
}

async fn report_step(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, false, async |console, _fields| {
        let (id, step) = path.into_inner();
        let id = path_id(&id)?;
        let me = console.staff();
        let mine = console.user.account.id;
        let flash = match step.as_str() {
            "assign" => {
                ctx.db
                    .write(move |conn| moderation::assign(conn, &me, id, Some(mine)))
                    .await?;
                "assigned"
            }
            "unassign" => {
                ctx.db
                    .write(move |conn| moderation::assign(conn, &me, id, None))
                    .await?;
                "unassigned"
            }
            "resolve" => {
                ctx.db
                    .write(move |conn| moderation::resolve(conn, &me, id))
                    .await?;
                "resolved"
            }
            "reopen" => {
                ctx.db
                    .write(move |conn| moderation::reopen(conn, &me, id))
                    .await?;
                "reopened"
            }
            _ => return Err(Error::not_found()),
        };
        Ok(done(&format!("/admin/reports/{id}"), flash))
    })
    .await
}

// ------------------------------------------------------------------------------------------
// Held posts
// ------------------------------------------------------------------------------------------

struct HeldRow {
    id: i64,
    author: String,
    when: String,
    kind: String,
    spoiler: String,
    html: String,
    /// (rule, what it says to the author)
    matches: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin/held.html")]
struct HeldPage {
    nav: Nav,
    rows: Vec<HeldRow>,
}

async fn held(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    on_page(&ctx, &req, false, async |console| {
        let nav = console.nav(&ctx, "held", &req).await?;
        let found = ctx.db.read(|conn| review::held(conn, None, 200)).await?;
        let rows = found
            .into_iter()
            .map(|h| HeldRow {
                id: h.status.id,
                author: format!("@{}", h.account.acct()),
                when: when(h.status.created_at),
                kind: h.held,
                spoiler: h.status.spoiler_text.clone(),
                html: h.status.content.clone(),
                matches: h
                    .matches
                    .iter()
                    .filter(|m| !m.dry_run)
                    .map(|m| (m.rule_name.clone(), m.action.replace('_', " ")))
                    .collect(),
            })
            .collect();
        ok(&HeldPage { nav, rows })
    })
    .await
}

async fn decide_held(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, false, async |console, fields| {
        let (id, decision) = path.into_inner();
        let id = path_id(&id)?;
        let me = Some(console.user.account.id);
        match decision.as_str() {
            "approve" => {
                ctx.db
                    .write(move |conn| review::approve(conn, me, id))
                    .await?;
                Ok(done("/admin/held", "approved"))
            }
            "reject" => {
                let reason = fields.get("reason").to_string();
                ctx.db
                    .write(move |conn| review::reject(conn, me, id, &reason))
                    .await?;
                Ok(done("/admin/held", "rejected"))
            }
            _ => Err(Error::not_found()),
        }
    })
    .await
}

// ------------------------------------------------------------------------------------------
// Accounts
// ------------------------------------------------------------------------------------------

struct AccountRow {
    id: i64,
    acct: String,
    name: String,
    email: String,
    role: &'static str,
    states: Vec<&'static str>,
    since: String,
    local: bool,
}

fn account_row(view: &StaffView) -> AccountRow {
    AccountRow {
        id: view.0.id,
        acct: format!("@{}", view.0.acct()),
        name: view.0.display_name.clone(),
        email: view.1.as_ref().map(|u| u.email.clone()).unwrap_or_default(),
        role: role_label(view),
        states: states(view),
        since: view.0.created_at.and_utc().format("%Y-%m-%d").to_string(),
        local: view.0.is_local(),
    }
}

#[derive(Template)]
#[template(path = "admin/accounts.html")]
struct AccountsPage {
    nav: Nav,
    q: String,
    status: String,
    origin: String,
    statuses: Vec<(&'static str, &'static str)>,
    rows: Vec<AccountRow>,
}

#[derive(Deserialize, Default)]
struct AccountsQuery {
    q: Option<String>,
    status: Option<String>,
    origin: Option<String>,
}

const STATUS_CHOICES: [(&str, &str); 6] = [
    ("", "Any"),
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("silenced", "Silenced"),
    ("disabled", "Sign-in disabled"),
    ("sensitized", "Media sensitive"),
];

async fn accounts(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    let q = web::Query::<AccountsQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    on_page(&ctx, &req, false, async |console| {
        let nav = console.nav(&ctx, "accounts", &req).await?;
        let status = q.status.clone().unwrap_or_default();
        let origin = q.origin.clone().unwrap_or_default();
        let filter = AccountFilter {
            origin: match origin.as_str() {
                "local" => Some(AccountOrigin::Local),
                "remote" => Some(AccountOrigin::Remote),
                _ => None,
            },
            status: match status.as_str() {
                "active" => Some(AccountStatus::Active),
                "suspended" => Some(AccountStatus::Suspended),
                "silenced" => Some(AccountStatus::Silenced),
                "disabled" => Some(AccountStatus::Disabled),
                "sensitized" => Some(AccountStatus::Sensitized),
                _ => None,
            },
            text: q.q.clone(),
            limit: 100,
            ..Default::default()
        };
        let rows = ctx
            .db
            .read(move |conn| moderation::accounts(conn, &filter))
            .await?;
        ok(&AccountsPage {
            nav,
            q: q.q.unwrap_or_default(),
            status,
            origin,
            statuses: STATUS_CHOICES.to_vec(),
            rows: rows.iter().map(account_row).collect(),
        })
    })
    .await
}

#[derive(Template)]
#[template(path = "admin/account.html")]
struct AccountPage {
    nav: Nav,
    a: AccountRow,
    reports: Vec<(i64, String)>,
    undo: Vec<(&'static str, &'static str)>,
    action_target: i64,
    action_report: Option<i64>,
    action_local: bool,
}

async fn account(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    on_page(&ctx, &req, false, async |console| {
        let id = path_id(&id)?;
        let nav = console.nav(&ctx, "accounts", &req).await?;
        let (view, open) = ctx
            .db
            .read(move |conn| {
                let view = moderation::account(conn, id)?;
                let open = moderation::reports(
                    conn,
                    &ReportFilter {
                        target_account_id: Some(id),
                        limit: 50,
                        ..Default::default()
                    },
                )?;
                Ok((view, open))
            })
            .await?;
        let (account, user) = &view;
        let mut undo = Vec::new();
        if account.suspended_at.is_some() {
            undo.push(("unsuspend", "Lift the suspension"));
        }
        if user.as_ref().is_some_and(|u| u.disabled_at.is_some()) {
            undo.push(("enable", "Enable sign-in"));
        }
        if account.silenced_at.is_some() {
            undo.push(("unsilence", "Lift the silence"));
        }
        if account.sensitized_at.is_some() {
            undo.push(("unsensitive", "Stop marking media sensitive"));
        }
        ok(&AccountPage {
            nav,
            action_target: account.id,
            action_report: None,
            action_local: account.is_local(),
            a: account_row(&view),
            reports: open.iter().map(|r| (r.id, when(r.created_at))).collect(),
            undo,
        })
    })
    .await
}

/// Where to go after an action: the report it answered, or the account.
fn back_to(fields: &Fields, account: i64) -> String {
    match fields.get("report_id").parse::<i64>() {
        Ok(report) => format!("/admin/reports/{report}"),
        Err(_) => format!("/admin/accounts/{account}"),
    }
}

async fn act(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, false, async |console, fields| {
        let id = path_id(&id)?;
        let report_id = match fields.get("report_id") {
            "" => None,
            raw => Some(raw.parse::<i64>().map_err(|_| Error::not_found())?),
        };
        let request = ActionRequest {
            action: fields.get("type").parse::<AccountAction>()?,
            report_id,
            text: fields.get("text").to_string(),
            notify: true,
        };
        let me = console.staff();
        ctx.db
            .write(move |conn| moderation::act(conn, &me, id, request))
            .await?;
        Ok(done(&back_to(&fields, id), "acted"))
    })
    .await
}

async fn undo(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, false, async |console, fields| {
        let id = path_id(&id)?;
        let what = match fields.get("what") {
            "enable" => Undo::Enable,
            "unsilence" => Undo::Unsilence,
            "unsensitive" => Undo::Unsensitive,
            "unsuspend" => Undo::Unsuspend,
            other => {
                return Err(Error::unprocessable(format!(
                    "`{other}` is not something to lift"
                )));
            }
        };
        let me = console.staff();
        ctx.db
            .write(move |conn| moderation::undo(conn, &me, id, what))
            .await?;
        Ok(done(&format!("/admin/accounts/{id}"), "undone"))
    })
    .await
}

async fn set_role(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, true, async |console, fields| {
        let id = path_id(&id)?;
        let role: Role = fields.get("role").parse()?;
        let me = console.staff();
        ctx.db
            .write(move |conn| moderation::set_role(conn, &me, id, role))
            .await?;
        Ok(done(&format!("/admin/accounts/{id}"), "role"))
    })
    .await
}

async fn remove_status(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    on_form(&ctx, &req, &body, false, async |console, fields| {
        let id = path_id(&id)?;
        let reason = fields.get("reason").to_string();
        let me = console.staff();
        ctx.db
            .write(move |conn| moderation::remove_status(conn, &me, id, &reason))
            .await?;
        // Back to the page the form was on (a report), never to another site.
        let back = match fields.get("back") {
            b if b.starts_with("/admin/") && !b.starts_with("//") => b.to_string(),
            _ => "/admin/reports".to_string(),
        };
        Ok(done(&back, "removed"))
    })
    .await
}
