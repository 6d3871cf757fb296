//! Mastodon's admin API for federation: domain allows and domain blocks, with Mastodon's
//! shapes so existing admin tools work. Admins change them (`admin:write:domain_*`),
//! moderators read them (`admin:read:domain_*`); a change is in force on every app node at
//! once. What they mean here: `service::policy::federation`.
//! <https://docs.joinmastodon.org/methods/admin/domain_allows/>,
//! <https://docs.joinmastodon.org/methods/admin/domain_blocks/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::api::auth::Auth;
use crate::api::mastodon::entities::iso_datetime;
use crate::api::mastodon::pagination::{PageParams, paged_response};
use crate::api::mastodon::parse_id;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::audit::Actor;
use crate::service::policy::domains::{self, Added, BlockChange, DomainAllow, DomainBlock};
use crate::service::policy::federation::{DomainName, Severity};
use crate::service::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/admin/domain_allows", web::get().to(list_allows))
        .route("/v1/admin/domain_allows", web::post().to(create_allow))
        .route("/v1/admin/domain_allows/{id}", web::get().to(get_allow))
        .route(
            "/v1/admin/domain_allows/{id}",
            web::delete().to(delete_allow),
        )
        .route("/v1/admin/domain_blocks", web::get().to(list_blocks))
        .route("/v1/admin/domain_blocks", web::post().to(create_block))
        .route("/v1/admin/domain_blocks/{id}", web::get().to(get_block))
        .route("/v1/admin/domain_blocks/{id}", web::put().to(update_block))
        .route(
            "/v1/admin/domain_blocks/{id}",
            web::delete().to(delete_block),
        );
}

/// <https://docs.joinmastodon.org/entities/Admin_DomainAllow/>
#[derive(Serialize)]
struct DomainAllowEntity {
    id: String,
    domain: String,
    created_at: String,
}

fn allow_entity(a: &DomainAllow) -> DomainAllowEntity {
    DomainAllowEntity {
        id: a.id.to_string(),
        domain: a.domain.clone(),
        created_at: iso_datetime(a.created_at),
    }
}

/// <https://docs.joinmastodon.org/entities/Admin_DomainBlock/>
#[derive(Serialize)]
struct DomainBlockEntity {
    id: String,
    domain: String,
    /// SHA-256 of the domain, hex (Mastodon 4.3).
    digest: String,
    created_at: String,
    severity: &'static str,
    reject_media: bool,
    reject_reports: bool,
    private_comment: Option<String>,
    public_comment: Option<String>,
    obfuscate: bool,
}

fn block_entity(b: &DomainBlock) -> DomainBlockEntity {
    DomainBlockEntity {
        id: b.id.to_string(),
        domain: b.domain.clone(),
        digest: b.digest(),
        created_at: iso_datetime(b.created_at),
        severity: b.severity().as_str(),
        reject_media: b.reject_media,
        reject_reports: b.reject_reports,
        private_comment: b.private_comment.clone(),
        public_comment: b.public_comment.clone(),
        obfuscate: b.obfuscate,
    }
}

/// Mastodon lists 100 at a time, at most 200.
fn page(p: &PageParams) -> crate::service::pagination::Page {
    p.page_with(100, 200)
}

/// <https://docs.joinmastodon.org/methods/admin/domain_allows/#get>
async fn list_allows(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<PageParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read:domain_allows", Role::Moderator)?;
    let page = page(&p);
    let rows = ctx
        .db
        .read(move |conn| domains::allows(conn, &page))
        .await?;
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    Ok(paged_response(&ctx, &req, &ids).json(rows.iter().map(allow_entity).collect::<Vec<_>>()))
}

/// <https://docs.joinmastodon.org/methods/admin/domain_allows/#get-one>
async fn get_allow(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read:domain_allows", Role::Moderator)?;
    let id = parse_id(&id)?;
    let row = ctx.db.read(move |conn| domains::allow(conn, id)).await?;
    Ok(HttpResponse::Ok().json(allow_entity(&row)))
}

#[derive(Debug, Deserialize)]
struct AllowParams {
    domain: Option<String>,
}

fn domain_param(raw: Option<&str>) -> Result<DomainName> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        Some(domain) => DomainName::parse(domain),
        None => Err(Error::unprocessable(
            "Validation failed: Domain can't be blank",
        )),
    }
}

/// <https://docs.joinmastodon.org/methods/admin/domain_allows/#create>: allowing a domain
/// again returns its allow.
async fn create_allow(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<AllowParams>,
) -> Result<HttpResponse> {
    let by = Actor::Account(
        auth.admin_with("admin:write:domain_allows", Role::Admin)?
            .account
            .id,
    );
    let domain = domain_param(p.domain.as_deref())?;
    let row = ctx
        .db
        .write(move |conn| domains::add_allow(conn, &by, &domain))
        .await?;
    Ok(HttpResponse::Ok().json(allow_entity(&row)))
}

/// <https://docs.joinmastodon.org/methods/admin/domain_allows/#delete>
async fn delete_allow(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let by = Actor::Account(
        auth.admin_with("admin:write:domain_allows", Role::Admin)?
            .account
            .id,
    );
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| domains::remove_allow(conn, &by, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// <https://docs.joinmastodon.org/methods/admin/domain_blocks/#get>
async fn list_blocks(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(p): Params<PageParams>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read:domain_blocks", Role::Moderator)?;
    let page = page(&p);
    let rows = ctx
        .db
        .read(move |conn| domains::blocks(conn, &page))
        .await?;
    let ids: Vec<i64> = rows.iter().map(|b| b.id).collect();
    Ok(paged_response(&ctx, &req, &ids).json(rows.iter().map(block_entity).collect::<Vec<_>>()))
}

/// <https://docs.joinmastodon.org/methods/admin/domain_blocks/#get-one>
async fn get_block(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    auth.admin_with("admin:read:domain_blocks", Role::Moderator)?;
    let id = parse_id(&id)?;
    let row = ctx.db.read(move |conn| domains::block(conn, id)).await?;
    Ok(HttpResponse::Ok().json(block_entity(&row)))
}

#[derive(Debug, Deserialize)]
struct BlockParams {
    domain: Option<String>,
    severity: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    reject_media: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    reject_reports: Option<bool>,
    private_comment: Option<String>,
    public_comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    obfuscate: Option<bool>,
}

impl BlockParams {
    /// What the request changes; an empty comment clears it.
    fn change(&self) -> Result<BlockChange> {
        let comment = |c: &Option<String>| {
            c.as_ref()
                .map(|c| Some(c.trim().to_string()).filter(|c| !c.is_empty()))
        };
        Ok(BlockChange {
            severity: self
                .severity
                .as_deref()
                .filter(|s| !s.trim().is_empty())
                .map(str::parse::<Severity>)
                .transpose()?,
            reject_media: self.reject_media,
            reject_reports: self.reject_reports,
            private_comment: comment(&self.private_comment),
            public_comment: comment(&self.public_comment),
            obfuscate: self.obfuscate,
        })
    }
}

/// <https://docs.joinmastodon.org/methods/admin/domain_blocks/#create>: a domain a block
/// already covers (its own or a parent domain's) gets `422` with that block.
async fn create_block(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<BlockParams>,
) -> Result<HttpResponse> {
    let by = Actor::Account(
        auth.admin_with("admin:write:domain_blocks", Role::Admin)?
            .account
            .id,
    );
    let domain = domain_param(p.domain.as_deref())?;
    let change = p.change()?;
    let added = ctx
        .db
        .write(move |conn| domains::add_block(conn, &by, &domain, change))
        .await?;
    match added {
        Added::New(row) => Ok(HttpResponse::Ok().json(block_entity(&row))),
        Added::Exists(row) => {
            let existing = serde_json::to_value(block_entity(&row))?;
            Err(Error::unprocessable(format!(
                "You have already imposed a block on {}: change it instead",
                row.domain
            ))
            .with_detail("existing_domain_block", existing))
        }
    }
}

/// <https://docs.joinmastodon.org/methods/admin/domain_blocks/#update>
async fn update_block(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<BlockParams>,
) -> Result<HttpResponse> {
    let by = Actor::Account(
        auth.admin_with("admin:write:domain_blocks", Role::Admin)?
            .account
            .id,
    );
    let id = parse_id(&id)?;
    let change = p.change()?;
    let row = ctx
        .db
        .write(move |conn| domains::update_block(conn, &by, id, change))
        .await?;
    Ok(HttpResponse::Ok().json(block_entity(&row)))
}

/// <https://docs.joinmastodon.org/methods/admin/domain_blocks/#delete>
async fn delete_block(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let by = Actor::Account(
        auth.admin_with("admin:write:domain_blocks", Role::Admin)?
            .account
            .id,
    );
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| domains::remove_block(conn, &by, id))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}
