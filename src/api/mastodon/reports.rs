//! Reporting accounts to the moderators. <https://docs.joinmastodon.org/methods/reports/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::entities::report::report_entity;
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::reports::{self, NewReport};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/reports", web::post().to(create));
}

#[derive(Debug, Deserialize)]
struct ReportParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    status_ids: Vec<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    forward: Option<bool>,
    category: Option<String>,
    #[serde(default, deserialize_with = "lenient::string_list")]
    rule_ids: Vec<String>,
}

/// <https://docs.joinmastodon.org/methods/reports/#post>
async fn create(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<ReportParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:reports")?.account.id;
    // A missing or malformed account id names no account, as on Mastodon.
    let target_account_id = parse_id(p.account_id.as_deref().unwrap_or(""))?;
    let status_ids = p
        .status_ids
        .iter()
        .map(|id| parse_id(id))
        .collect::<Result<Vec<_>>>()?;
    let rule_ids = p
        .rule_ids
        .iter()
        .filter(|id| !id.trim().is_empty())
        .map(|id| {
            id.trim().parse::<i64>().map_err(|_| {
                Error::unprocessable("Validation failed: Rule ids does not reference valid rules")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let new = NewReport {
        target_account_id,
        status_ids,
        comment: p.comment.unwrap_or_default(),
        category: p
            .category
            .as_deref()
            .filter(|c| !c.trim().is_empty())
            .map(str::parse)
            .transpose()?,
        rule_ids,
        forward: p.forward.unwrap_or(false),
    };
    let settings = ctx.settings.clone();
    let (report, target) = ctx
        .db
        .write(move |conn| reports::create(conn, &settings, me, new))
        .await?;
    Ok(HttpResponse::Ok().json(report_entity(
        &report,
        &target,
        &ctx.settings.instance.base_url(),
    )))
}
