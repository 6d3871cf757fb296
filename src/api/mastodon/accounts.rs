//! Accounts. <https://docs.joinmastodon.org/methods/accounts/>

use actix_web::{HttpResponse, web};

use super::entities::account::credential_account_from_user;
use crate::api::auth::Auth;
use crate::context::AppContext;
use crate::error::Result;
use crate::service::accounts;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/v1/accounts/verify_credentials",
        web::get().to(verify_credentials),
    );
}

/// <https://docs.joinmastodon.org/methods/accounts/#verify_credentials>
async fn verify_credentials(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let user = auth.user_with("read:accounts")?.clone();
    let account_id = user.account.id;
    let pending = ctx
        .db
        .read(move |conn| accounts::follow_requests_count(conn, account_id))
        .await?;
    Ok(HttpResponse::Ok().json(credential_account_from_user(
        &user,
        ctx.settings.instance.default_visibility.as_str(),
        pending,
        &ctx.settings.instance.base_url(),
    )))
}
