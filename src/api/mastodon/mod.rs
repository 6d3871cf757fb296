//! The Mastodon client API (<https://docs.joinmastodon.org/methods/>). Handlers are thin:
//! authenticate, call the service layer, map rows to entities.

pub mod accounts;
pub mod announcements;
pub mod apps;
pub mod conversations;
pub mod directory;
pub mod domain_blocks;
pub mod entities;
pub mod featured;
pub mod filters;
pub mod instance;
pub mod lists;
pub mod markers;
pub mod media;
pub mod notification_requests;
pub mod notifications;
pub mod pagination;
pub mod polls;
pub mod push;
pub mod reports;
pub mod scheduled;
pub mod search;
pub mod statuses;
pub mod streaming;
pub mod suggestions;
pub mod tags;
pub mod timelines;
pub mod trends;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::context::AppContext;
use crate::db::DbConnection;
use crate::db::models::{Account, Status};
use crate::error::{Error, Result};
use crate::service::filters::FilterContext;
use crate::service::views;
use crate::service::visibility::Viewer;
use entities::account::account_from_row;
use entities::status::status_from_view;
use pagination::paged_response;

/// The Mastodon client API's routes, under `/api` (see `api::configure`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(instance::configure)
        .configure(apps::configure)
        .configure(accounts::configure)
        .configure(statuses::configure)
        .configure(timelines::configure)
        .configure(trends::configure)
        .configure(notifications::configure)
        .configure(search::configure)
        .configure(markers::configure)
        .configure(lists::configure)
        .configure(filters::configure)
        .configure(tags::configure)
        .configure(directory::configure)
        .configure(domain_blocks::configure)
        .configure(reports::configure)
        .configure(conversations::configure)
        .configure(media::configure)
        .configure(streaming::configure)
        .configure(suggestions::configure)
        .configure(polls::configure)
        .configure(push::configure)
        .configure(featured::configure)
        .configure(scheduled::configure)
        .configure(announcements::configure);
}

/// Ids in paths are numbers; anything else names nothing.
pub fn parse_id(raw: &str) -> Result<i64> {
    raw.trim().parse::<i64>().map_err(|_| Error::not_found())
}

/// The ids of an `id[]` list: those that are ids, each once, in the order given, at most
/// `max` (more are ignored, as Mastodon does).
pub fn id_list(raw: &[String], max: usize) -> Vec<i64> {
    let mut ids: Vec<i64> = Vec::new();
    for id in raw.iter().filter_map(|id| id.trim().parse().ok()) {
        if ids.len() == max {
            break;
        }
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// One status as `viewer` sees it; `load` reads it, on the same pooled connection as what
/// is shown with it.
pub async fn render_status<F>(ctx: &AppContext, viewer: Viewer, load: F) -> Result<HttpResponse>
where
    F: FnOnce(&mut DbConnection) -> Result<Status> + Send + 'static,
{
    let caches = ctx.caches.clone();
    let view = ctx
        .db
        .read(move |conn| {
            let status = load(conn)?;
            views::hydrate_cached(conn, &caches.statuses, viewer, vec![status])?
                .pop()
                .ok_or_else(Error::not_found)
        })
        .await?;
    Ok(HttpResponse::Ok().json(status_from_view(&view, &ctx.settings)))
}

/// Statuses without paging (several asked for by id), read and hydrated on one pooled
/// connection.
pub async fn render_status_list<F>(
    ctx: &AppContext,
    viewer: Viewer,
    load: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&mut DbConnection) -> Result<Vec<Status>> + Send + 'static,
{
    let caches = ctx.caches.clone();
    let views = ctx
        .db
        .read(move |conn| {
            let statuses = load(conn)?;
            views::hydrate_cached(conn, &caches.statuses, viewer, statuses)
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        views
            .iter()
            .map(|v| status_from_view(v, &ctx.settings))
            .collect::<Vec<_>>(),
    ))
}

/// A page of statuses with the `Link` header, paged by the ids given with each status
/// (the status id for timelines, the bookmark or favourite id for those lists). `load`
/// reads the page; it and everything shown with it are read on one pooled connection.
pub async fn render_statuses<F>(
    ctx: &AppContext,
    req: &HttpRequest,
    viewer: Viewer,
    load: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&mut DbConnection) -> Result<Vec<(i64, Status)>> + Send + 'static,
{
    render_timeline(ctx, req, viewer, None, load).await
}

/// [`render_statuses`] for a timeline shown in `context`: statuses the viewer's `hide`
/// filters for that context match are left out (the `Link` header still pages by every row
/// loaded, so the next page starts after them).
pub async fn render_timeline<F>(
    ctx: &AppContext,
    req: &HttpRequest,
    viewer: Viewer,
    context: Option<FilterContext>,
    load: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&mut DbConnection) -> Result<Vec<(i64, Status)>> + Send + 'static,
{
    let caches = ctx.caches.clone();
    let (page_ids, views) = ctx
        .db
        .read(move |conn| {
            let rows = load(conn)?;
            let page_ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
            let statuses: Vec<Status> = rows.into_iter().map(|(_, s)| s).collect();
            let views = views::hydrate_cached(conn, &caches.statuses, viewer, statuses)?;
            Ok((
                page_ids,
                match context {
                    Some(context) => crate::service::filters::drop_hidden(views, context),
                    None => views,
                },
            ))
        })
        .await?;
    let body: Vec<_> = views
        .iter()
        .map(|v| status_from_view(v, &ctx.settings))
        .collect();
    Ok(paged_response(ctx, req, &page_ids).json(body))
}

/// A page of accounts with the `Link` header.
pub fn render_accounts(
    ctx: &AppContext,
    req: &HttpRequest,
    rows: Vec<(i64, Account)>,
) -> Result<HttpResponse> {
    let base = ctx.settings.instance.base_url();
    let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let body: Vec<_> = rows
        .iter()
        .map(|(_, a)| account_from_row(a, &base))
        .collect();
    Ok(paged_response(ctx, req, &ids).json(body))
}
