//! Polls. <https://docs.joinmastodon.org/methods/polls/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::entities::status::poll_entity;
use super::parse_id;
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::polls;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/polls/{id}", web::get().to(get))
        .route("/v1/polls/{id}/votes", web::post().to(vote));
}

/// <https://docs.joinmastodon.org/methods/polls/#get>
async fn get(
    ctx: web::Data<AppContext>,
    auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let id = parse_id(&id)?;
    let view = ctx
        .db
        .read(move |conn| polls::get(conn, viewer, id))
        .await?;
    Ok(HttpResponse::Ok().json(poll_entity(&view)))
}

#[derive(Debug, Deserialize)]
struct VoteParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    choices: Vec<String>,
}

/// <https://docs.joinmastodon.org/methods/polls/#vote>
async fn vote(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<VoteParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:statuses")?.account.clone();
    let id = parse_id(&id)?;
    let choices = p
        .choices
        .iter()
        .map(|c| c.trim().parse::<i32>())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| Error::unprocessable("Validation failed: choices must be option numbers"))?;
    let view = polls::cast_vote(&ctx, &me, id, choices).await?;
    Ok(HttpResponse::Ok().json(poll_entity(&view)))
}
