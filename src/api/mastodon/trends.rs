//! Trends: hashtags, posts and links many employees use lately (see `service::trends` for
//! what counts). <https://docs.joinmastodon.org/methods/trends/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::entities::status::status_from_view;
use super::entities::tag::{link_trend_entity, tag_trend_entity};
use super::pagination::offset_response;
use crate::api::auth::MaybeAuth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::Result;
use crate::service::{tags, timelines, trends, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/trends", web::get().to(tag_trends))
        .route("/v1/trends/tags", web::get().to(tag_trends))
        .route("/v1/trends/statuses", web::get().to(status_trends))
        .route("/v1/trends/links", web::get().to(link_trends));
}

#[derive(Debug, Deserialize)]
struct TrendParams {
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    offset: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
}

impl TrendParams {
    /// The page asked for: `limit` defaults to `default` and is capped at twice that, as on
    /// Mastodon.
    fn range(&self, default: usize) -> (usize, usize) {
        let limit = self
            .limit
            .map_or(default, |l| l as usize)
            .clamp(1, default * 2);
        (self.offset.unwrap_or(0) as usize, limit)
    }
}

/// <https://docs.joinmastodon.org/methods/trends/#tags>: 10 by default, at most 20.
async fn tag_trends(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    Params(p): Params<TrendParams>,
) -> Result<HttpResponse> {
    // Public, as on Mastodon; a signed-in employee is told which they follow.
    let viewer = auth
        .0
        .as_ref()
        .and_then(|a| a.0.user.as_ref())
        .map(|u| u.account.id);
    let (offset, limit) = p.range(10);
    let all = trends::current(&ctx).await?;
    let page: Vec<trends::TagTrend> = all.tags.iter().skip(offset).take(limit).cloned().collect();
    let ids: Vec<i64> = page.iter().map(|t| t.tag.id).collect();
    let followed = match viewer {
        Some(me) => Some(
            ctx.db
                .read(move |conn| tags::followed_among(conn, me, &ids))
                .await?,
        ),
        None => None,
    };
    let base = ctx.settings.instance.base_url();
    let body: Vec<_> = page
        .iter()
        .map(|t| {
            let following = followed.as_ref().map(|f| f.contains(&t.tag.id));
            tag_trend_entity(t, following, &base)
        })
        .collect();
    Ok(offset_response(&ctx, &req, offset, limit, body.len()).json(body))
}

/// <https://docs.joinmastodon.org/methods/trends/#statuses>: 20 by default, at most 40;
/// those the viewer may not see, or chose not to, left out.
async fn status_trends(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    Params(p): Params<TrendParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let (offset, limit) = p.range(20);
    let all = trends::current(&ctx).await?;
    let caches = ctx.caches.clone();
    let found = ctx
        .db
        .read(move |conn| {
            let shown = timelines::trending(conn, viewer, &all.statuses)?;
            let page = shown.into_iter().skip(offset).take(limit).collect();
            views::hydrate_cached(conn, &caches.statuses, viewer, page)
        })
        .await?;
    let body: Vec<_> = found
        .iter()
        .map(|v| status_from_view(v, &ctx.settings))
        .collect();
    Ok(offset_response(&ctx, &req, offset, limit, body.len()).json(body))
}

/// <https://docs.joinmastodon.org/methods/trends/#links>: 10 by default, at most 20.
async fn link_trends(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    Params(p): Params<TrendParams>,
) -> Result<HttpResponse> {
    let (offset, limit) = p.range(10);
    let all = trends::current(&ctx).await?;
    let body: Vec<_> = all
        .links
        .iter()
        .skip(offset)
        .take(limit)
        .map(link_trend_entity)
        .collect();
    Ok(offset_response(&ctx, &req, offset, limit, body.len()).json(body))
}
