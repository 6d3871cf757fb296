//! WebFinger (RFC 7033), host-meta (RFC 6415) and NodeInfo 2.1: how other servers and apps
//! find a department's accounts and learn what the server is.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::{accounts, instance};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/webfinger", web::get().to(webfinger))
        .route("/.well-known/host-meta", web::get().to(host_meta))
        .route("/.well-known/nodeinfo", web::get().to(nodeinfo_links))
        .route("/nodeinfo/2.1", web::get().to(nodeinfo));
}

#[derive(Debug, Deserialize)]
struct WebfingerQuery {
    resource: Option<String>,
}

/// The local username a WebFinger resource names: `acct:alice@<our domain>` or our actor URL.
fn local_username(resource: &str, ctx: &AppContext) -> Option<String> {
    let domain = ctx.settings.instance.domain.as_str();
    if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct.trim_start_matches('@').rsplit_once('@')?;
        return (host.eq_ignore_ascii_case(domain)).then(|| user.to_lowercase());
    }
    let base = ctx.settings.instance.base_url();
    let base = base.as_str().trim_end_matches('/');
    resource
        .strip_prefix(&format!("{base}/users/"))
        .or_else(|| resource.strip_prefix(&format!("{base}/@")))
        .filter(|u| !u.contains('/'))
        .map(str::to_lowercase)
}

/// `GET /.well-known/webfinger?resource=acct:alice@eng.corp.example`
async fn webfinger(
    ctx: web::Data<AppContext>,
    query: web::Query<WebfingerQuery>,
) -> Result<HttpResponse> {
    let resource = query
        .resource
        .clone()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| Error::bad_request("The resource parameter is missing"))?;
    let username = local_username(resource.trim(), &ctx).ok_or_else(Error::not_found)?;
    let settings = ctx.settings.clone();
    let account = ctx
        .db
        .read(move |conn| accounts::lookup(conn, &settings, &username))
        .await?;
    if !account.is_local() {
        return Err(Error::not_found());
    }
    let profile = account.url.clone().unwrap_or_else(|| account.ap_id.clone());
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json; charset=utf-8")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(json!({
            "subject": format!("acct:{}@{}", account.username, ctx.settings.instance.domain),
            "aliases": [profile, account.ap_id],
            "links": [
                {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
                {"rel": "self", "type": "application/activity+json", "href": account.ap_id},
            ],
        })))
}

/// `GET /.well-known/host-meta`: where WebFinger lives (older clients and servers ask).
async fn host_meta(ctx: web::Data<AppContext>) -> HttpResponse {
    let base = ctx.settings.instance.base_url();
    let template = format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        base.as_str().trim_end_matches('/')
    );
    HttpResponse::Ok()
        .content_type("application/xrd+xml; charset=utf-8")
        .body(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
            crate::service::text::escape(&template)
        ))
}

/// `GET /.well-known/nodeinfo`
async fn nodeinfo_links(ctx: web::Data<AppContext>) -> HttpResponse {
    let base = ctx.settings.instance.base_url();
    HttpResponse::Ok().json(json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": format!("{}/nodeinfo/2.1", base.as_str().trim_end_matches('/')),
        }]
    }))
}

/// `GET /nodeinfo/2.1`
async fn nodeinfo(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let stats = ctx.db.read(instance::stats).await?;
    Ok(HttpResponse::Ok()
        .content_type(
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        )
        .json(json!({
            "version": "2.1",
            "software": {
                "name": "groundswell",
                "version": env!("CARGO_PKG_VERSION"),
                "repository": instance::SOURCE_URL,
                "homepage": instance::SOURCE_URL,
            },
            "protocols": ["activitypub"],
            "services": { "inbound": [], "outbound": [] },
            "openRegistrations": false,
            "usage": {
                "users": {
                    "total": stats.user_count,
                    "activeMonth": stats.active_month,
                    "activeHalfyear": stats.active_halfyear,
                },
                "localPosts": stats.status_count,
            },
            "metadata": {
                "nodeName": ctx.settings.instance.name,
                "nodeDescription": ctx.settings.instance.description,
            },
        })))
}
