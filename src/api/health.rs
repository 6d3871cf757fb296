//! `GET /healthz` (the process is up) and `GET /readyz` (it can serve: database reachable,
//! migrations applied), for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::context::AppContext;
use crate::error::Result;
use crate::service;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn readyz(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    service::health::check_ready(&ctx.db).await?;
    Ok(HttpResponse::Ok().json(json!({ "status": "ready" })))
}
