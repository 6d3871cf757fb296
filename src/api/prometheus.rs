//! `GET /metrics`: this node's metrics for Prometheus, as OpenMetrics text, behind the bearer
//! token `metrics.bearer_token` (off, `404`, while it is empty).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::secrets;
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

async fn metrics(req: HttpRequest, ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let expected = &ctx.settings.metrics.bearer_token;
    if expected.is_empty() {
        return Err(Error::not_found());
    }
    let given = secrets::bearer_token(
        req.headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    if !secrets::same_secret(given, expected) {
        return Err(Error::unauthorized(
            "A valid metrics bearer token is required",
        ));
    }
    let figures = service::health::figures(&ctx.db, ctx.settings.metrics.min_group_size).await?;
    let text = ctx
        .metrics
        .encode(&figures)
        .map_err(|e| Error::internal(anyhow::anyhow!("cannot encode the metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(crate::prometheus::CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}
