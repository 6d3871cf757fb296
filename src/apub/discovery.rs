//! WebFinger (RFC 7033), host-meta (RFC 6415) and NodeInfo 2.1: how other servers and apps
//! find a department's accounts and learn what the server is.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::apub::instance_actor;
use crate::config::InstanceSettings;
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

/// Whom a WebFinger resource names on this instance.
#[derive(Debug, PartialEq, Eq)]
enum Named {
    /// `acct:<host>@<domain>` (also `acct:<domain>@<domain>`, Mastodon's name when the domain
    /// has a port) or the instance actor's URL.
    InstanceActor,
    /// `acct:alice@<domain>`, `<base>/users/alice` or `<base>/@alice`.
    Account(String),
}

fn named(resource: &str, instance: &InstanceSettings) -> Option<Named> {
    let domain = instance.domain.as_str();
    if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct.trim_start_matches('@').rsplit_once('@')?;
        if !host.eq_ignore_ascii_case(domain) {
            return None;
        }
        let user = user.to_lowercase();
        return Some(
            if user == instance.instance_actor_username() || user == domain {
                Named::InstanceActor
            } else {
                Named::Account(user)
            },
        );
    }
    let base = instance.base();
    if resource == format!("{base}/actor") {
        return Some(Named::InstanceActor);
    }
    resource
        .strip_prefix(&format!("{base}/users/"))
        .or_else(|| resource.strip_prefix(&format!("{base}/@")))
        .filter(|u| !u.contains('/'))
        .map(|u| Named::Account(u.to_lowercase()))
}

/// `GET /.well-known/webfinger?resource=acct:alice@eng.corp.example`
///
/// The `subject` is always `acct:<preferredUsername>@<domain>` of the actor the `self` link
/// names, so a strict peer's round trip (actor id → `preferredUsername@host` → WebFinger →
/// the same actor id) holds for every actor we serve or sign with.
async fn webfinger(
    ctx: web::Data<AppContext>,
    query: web::Query<WebfingerQuery>,
) -> Result<HttpResponse> {
    let resource = query
        .resource
        .clone()
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| Error::bad_request("The resource parameter is missing"))?;
    let named = named(resource.trim(), &ctx.settings.instance).ok_or_else(Error::not_found)?;
    let domain = ctx.settings.instance.domain.as_str();
    let jrd = match named {
        Named::InstanceActor => {
            // Served only while federating, like the actor document itself.
            if !ctx.policy.enabled() {
                return Err(Error::not_found());
            }
            let actor = instance_actor(&ctx).await?;
            json!({
                "subject": format!("acct:{}@{domain}", actor.username),
                "aliases": [actor.ap_id],
                "links": [
                    {"rel": "self", "type": "application/activity+json", "href": actor.ap_id},
                ],
            })
        }
        Named::Account(username) => {
            let settings = ctx.settings.clone();
            let account = ctx
                .db
                .read(move |conn| accounts::lookup(conn, &settings, &username))
                .await?;
            if !account.is_local() {
                return Err(Error::not_found());
            }
            let profile = account.url.clone().unwrap_or_else(|| account.ap_id.clone());
            json!({
                "subject": format!("acct:{}@{domain}", account.username),
                "aliases": [profile, account.ap_id],
                "links": [
                    {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile},
                    {"rel": "self", "type": "application/activity+json", "href": account.ap_id},
                ],
            })
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json; charset=utf-8")
        .insert_header(("Access-Control-Allow-Origin", "*"))
        .json(jrd))
}

/// `GET /.well-known/host-meta`: where WebFinger lives (older clients and servers ask).
async fn host_meta(ctx: web::Data<AppContext>) -> HttpResponse {
    let template = format!(
        "{}/.well-known/webfinger?resource={{uri}}",
        ctx.settings.instance.base()
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
    HttpResponse::Ok().json(json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": format!("{}/nodeinfo/2.1", ctx.settings.instance.base()),
        }]
    }))
}

/// `GET /nodeinfo/2.1`
async fn nodeinfo(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    let summary = instance::summary(&ctx).await?;
    let stats = &summary.stats;
    // Counts of people below `metrics.min_group_size` are left out (the schema allows it).
    let min = i64::from(ctx.settings.metrics.min_group_size.max(1));
    let mut users = serde_json::Map::new();
    for (key, n) in [
        ("total", stats.user_count),
        ("activeMonth", stats.active_month),
        ("activeHalfyear", stats.active_halfyear),
    ] {
        if n >= min {
            users.insert(key.into(), json!(n));
        }
    }
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
                "users": users,
                "localPosts": stats.status_count,
            },
            "metadata": {
                "nodeName": ctx.settings.instance.name,
                "nodeDescription": ctx.settings.instance.description,
            },
        })))
}
