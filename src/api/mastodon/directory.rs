//! The profile directory. <https://docs.joinmastodon.org/methods/directory/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::entities::account::account_from_row;
use crate::api::auth::MaybeAuth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::directory::{self, DirectoryOrder, DirectoryQuery};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/directory", web::get().to(get));
}

#[derive(Debug, Deserialize)]
struct DirectoryParams {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    offset: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
    order: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    local: Option<bool>,
}

/// <https://docs.joinmastodon.org/methods/directory/#get>
async fn get(
    ctx: web::Data<AppContext>,
    auth: MaybeAuth,
    Params(p): Params<DirectoryParams>,
) -> Result<HttpResponse> {
    // Public; a signed-in employee does not see the accounts they block or mute.
    let viewer = auth
        .0
        .as_ref()
        .and_then(|a| a.0.user.as_ref())
        .map(|u| u.account.id);
    let query = DirectoryQuery {
        order: DirectoryOrder::from_param(p.order.as_deref()),
        local: p.local.unwrap_or(false),
        offset: i64::from(p.offset.unwrap_or(0)),
        limit: i64::from(p.limit.unwrap_or(40).clamp(1, 80)),
    };
    let found = ctx
        .db
        .read(move |conn| directory::list(conn, viewer, &query))
        .await?;
    let base = ctx.settings.instance.base_url();
    Ok(HttpResponse::Ok().json(
        found
            .iter()
            .map(|a| account_from_row(a, &base))
            .collect::<Vec<_>>(),
    ))
}
