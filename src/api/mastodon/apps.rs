//! Client app registration. <https://docs.joinmastodon.org/methods/apps/>

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::entities::application::application_from_row;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::auth::Scopes;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::oauth;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/apps", web::post().to(create)).route(
        "/v1/apps/verify_credentials",
        web::get().to(verify_credentials),
    );
}

#[derive(Debug, Deserialize)]
struct CreateApp {
    client_name: Option<String>,
    /// A string (one URI, or several separated by whitespace) or an array.
    #[serde(default, deserialize_with = "lenient::string_list")]
    redirect_uris: Vec<String>,
    scopes: Option<String>,
    website: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/apps/#create>
async fn create(
    ctx: web::Data<AppContext>,
    Params(form): Params<CreateApp>,
) -> Result<HttpResponse> {
    let name = form.client_name.ok_or_else(|| {
        Error::unprocessable("Validation failed: Application name can't be blank")
    })?;
    let redirect_uris: Vec<String> = form
        .redirect_uris
        .iter()
        .flat_map(|u| u.split_whitespace())
        .map(String::from)
        .collect();
    let scopes = Scopes::parse(form.scopes.as_deref().unwrap_or("read"))
        .map_err(|e| Error::unprocessable(format!("Validation failed: Scopes: {e}")))?;
    let registered = ctx
        .db
        .write(move |conn| {
            oauth::register_app(
                conn,
                &name,
                &redirect_uris,
                &scopes,
                form.website.as_deref(),
            )
        })
        .await?;
    let vapid_key = &crate::service::push::vapid(&ctx).await?.public_key;
    Ok(HttpResponse::Ok().json(application_from_row(
        &registered.app,
        Some(registered.client_secret),
        vapid_key,
    )))
}

/// <https://docs.joinmastodon.org/methods/apps/#verify_credentials>
async fn verify_credentials(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let app_id = auth
        .0
        .token
        .application_id
        .ok_or_else(|| Error::unprocessable("This token was not issued to an application"))?;
    let app = ctx
        .db
        .read(move |conn| oauth::find_app_by_id(conn, app_id))
        .await?
        .ok_or_else(Error::not_found)?;
    let vapid_key = &crate::service::push::vapid(&ctx).await?.public_key;
    let mut entity = application_from_row(&app, None, vapid_key);
    entity.client_id = None;
    entity.scopes = auth.scopes().iter().map(String::from).collect();
    Ok(HttpResponse::Ok().json(entity))
}
