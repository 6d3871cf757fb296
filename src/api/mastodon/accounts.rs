//! Accounts. <https://docs.joinmastodon.org/methods/accounts/>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::entities::account::{account_from_row, credential_account_from_user};
use super::entities::iso_datetime;
use super::entities::relationship::relationship_entity;
use super::pagination::{PageParams, paged_response};
use super::{id_list, parse_id, render_accounts, render_timeline};
use crate::api::auth::{Auth, MaybeAuth};
use crate::api::params::{FileFields, Params, ParamsWithFiles, lenient};
use crate::context::AppContext;
use crate::db::models::Account;
use crate::error::{Error, ErrorKind, Result};
use crate::service::accounts::{self, FieldInput, ProfileUpdate};
use crate::service::filters::FilterContext;
use crate::service::origin::Origin;
use crate::service::relationships::{self, FollowOptions};
use crate::service::timelines::{self, AccountStatusesFilter};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/v1/accounts/verify_credentials",
        web::get().to(verify_credentials),
    )
    .route(
        "/v1/accounts/update_credentials",
        web::patch().to(update_credentials),
    )
    .route(
        "/v1/accounts/relationships",
        web::get().to(get_relationships),
    )
    .route("/v1/accounts", web::get().to(many))
    .route("/v1/accounts/lookup", web::get().to(lookup))
    .route(
        "/v1/accounts/familiar_followers",
        web::get().to(familiar_followers),
    )
    .route("/v1/accounts/search", web::get().to(search))
    .route("/v1/accounts/{id}", web::get().to(get))
    .route("/v1/accounts/{id}/statuses", web::get().to(statuses))
    .route("/v1/accounts/{id}/followers", web::get().to(followers))
    .route("/v1/accounts/{id}/following", web::get().to(following))
    .route("/v1/accounts/{id}/follow", web::post().to(follow))
    .route("/v1/accounts/{id}/unfollow", web::post().to(unfollow))
    .route("/v1/accounts/{id}/note", web::post().to(note))
    .route("/v1/accounts/{id}/endorse", web::post().to(endorse))
    .route("/v1/accounts/{id}/unendorse", web::post().to(unendorse))
    .route("/v1/accounts/{id}/pin", web::post().to(endorse))
    .route("/v1/accounts/{id}/unpin", web::post().to(unendorse))
    .route(
        "/v1/accounts/{id}/remove_from_followers",
        web::post().to(remove_from_followers),
    )
    .route("/v1/accounts/{id}/block", web::post().to(block))
    .route("/v1/accounts/{id}/unblock", web::post().to(unblock))
    .route("/v1/accounts/{id}/mute", web::post().to(mute))
    .route("/v1/accounts/{id}/unmute", web::post().to(unmute))
    .route("/v1/mutes", web::get().to(mutes))
    .route("/v1/blocks", web::get().to(blocks))
    .route("/v1/follow_requests", web::get().to(follow_requests))
    .route(
        "/v1/follow_requests/{id}/authorize",
        web::post().to(authorize_request),
    )
    .route(
        "/v1/follow_requests/{id}/reject",
        web::post().to(reject_request),
    )
    .route("/v1/preferences", web::get().to(preferences))
    .route("/v1/profile/avatar", web::delete().to(delete_avatar))
    .route("/v1/profile/header", web::delete().to(delete_header));
}

/// <https://docs.joinmastodon.org/methods/accounts/#verify_credentials>
async fn verify_credentials(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let mut user = auth.user_with("read:accounts")?.clone();
    let account_id = user.account.id;
    // The counts change with every post and follow: read them, not the token's cached copy.
    let (account, pending) = ctx
        .db
        .read(move |conn| {
            // Suspended since the token was cached: the token is no longer valid.
            let account = accounts::find(conn, account_id)
                .map_err(|_| Error::new(ErrorKind::Unauthorized, "The access token is invalid"))?;
            Ok((account, accounts::follow_requests_count(conn, account_id)?))
        })
        .await?;
    user.account = account;
    Ok(HttpResponse::Ok().json(credential_account_from_user(
        &user,
        ctx.settings.instance.default_visibility.as_str(),
        pending,
        &ctx.settings.instance.base_url(),
    )))
}

#[derive(Debug, Deserialize)]
struct UpdateParams {
    display_name: Option<String>,
    note: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    bot: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    discoverable: Option<bool>,
    /// `fields_attributes[0][name]=…` (forms) or an array / index-keyed object (JSON).
    fields_attributes: Option<Value>,
    source: Option<SourceParams>,
}

impl FileFields for UpdateParams {
    const FILES: &'static [&'static str] = &["avatar", "header"];
}

#[derive(Debug, Deserialize)]
struct SourceParams {
    privacy: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    sensitive: Option<bool>,
    language: Option<String>,
}

fn parse_fields(raw: Value) -> Result<Vec<FieldInput>> {
    let items: Vec<Value> = match raw {
        Value::Array(items) => items,
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by_key(|(k, _)| k.parse::<u32>().unwrap_or(u32::MAX));
            entries.into_iter().map(|(_, v)| v).collect()
        }
        _ => {
            return Err(Error::unprocessable(
                "Validation failed: fields_attributes must be a list",
            ));
        }
    };
    Ok(items
        .into_iter()
        .map(|item| FieldInput {
            name: item
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            value: item
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        })
        .collect())
}

/// <https://docs.joinmastodon.org/methods/accounts/#update_credentials>
async fn update_credentials(
    ctx: web::Data<AppContext>,
    auth: Auth,
    ParamsWithFiles(p, files): ParamsWithFiles<UpdateParams>,
) -> Result<HttpResponse> {
    let user = auth.user_with("write:accounts")?.clone();
    let mut images = Vec::new();
    for file in &files {
        let which = match file.field.as_str() {
            "avatar" => accounts::ProfileImage::Avatar,
            "header" => accounts::ProfileImage::Header,
            other => {
                return Err(Error::unprocessable(format!(
                    "Validation failed: unexpected file `{other}`"
                )));
            }
        };
        images.push((which, file.path().to_path_buf()));
    }
    let source = p.source;
    let update = ProfileUpdate {
        display_name: p.display_name,
        note: p.note,
        locked: p.locked,
        bot: p.bot,
        discoverable: p.discoverable,
        fields: p.fields_attributes.map(parse_fields).transpose()?,
        privacy: source
            .as_ref()
            .and_then(|s| s.privacy.as_deref())
            .map(str::parse)
            .transpose()?,
        sensitive: source.as_ref().and_then(|s| s.sensitive),
        language: source.and_then(|s| s.language),
        avatar_url: None,
        header_url: None,
    };
    // The uploads' temporary files live until the change is stored.
    let updated = accounts::update_credentials(&ctx, user, update, images).await?;
    drop(files);
    credential_response(&ctx, updated).await
}

/// The employee's own account as Mastodon answers a change of it (CredentialAccount).
async fn credential_response(
    ctx: &AppContext,
    updated: crate::service::users::LocalUser,
) -> Result<HttpResponse> {
    let account_id = updated.account.id;
    let pending = ctx
        .db
        .read(move |conn| accounts::follow_requests_count(conn, account_id))
        .await?;
    Ok(HttpResponse::Ok().json(credential_account_from_user(
        &updated,
        ctx.settings.instance.default_visibility.as_str(),
        pending,
        &ctx.settings.instance.base_url(),
    )))
}

/// <https://docs.joinmastodon.org/methods/accounts/#get>
async fn get(
    ctx: web::Data<AppContext>,
    _auth: MaybeAuth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let id = parse_id(&id)?;
    let account = ctx.db.read(move |conn| accounts::find(conn, id)).await?;
    Ok(HttpResponse::Ok().json(account_from_row(
        &account,
        &ctx.settings.instance.base_url(),
    )))
}

async fn remove_image(
    ctx: web::Data<AppContext>,
    auth: Auth,
    which: accounts::ProfileImage,
) -> Result<HttpResponse> {
    let user = auth.user_with("write:accounts")?.clone();
    let updated = ctx
        .db
        .write(move |conn| accounts::remove_profile_image(conn, &user, which))
        .await?;
    credential_response(&ctx, updated).await
}

/// <https://docs.joinmastodon.org/methods/profile/#delete-profile-avatar>
async fn delete_avatar(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    remove_image(ctx, auth, accounts::ProfileImage::Avatar).await
}

/// <https://docs.joinmastodon.org/methods/profile/#delete-profile-header>
async fn delete_header(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    remove_image(ctx, auth, accounts::ProfileImage::Header).await
}

/// Most accounts `GET /api/v1/accounts?id[]=` answers at once (more ids are ignored).
pub const MAX_MANY: usize = 40;

/// <https://docs.joinmastodon.org/methods/accounts/#index>: several accounts by id, in the
/// order asked; unknown and suspended ones are left out.
async fn many(
    ctx: web::Data<AppContext>,
    _auth: MaybeAuth,
    Params(p): Params<RelationshipsParams>,
) -> Result<HttpResponse> {
    let ids = id_list(&p.id, MAX_MANY);
    let found = ctx.db.read(move |conn| accounts::many(conn, &ids)).await?;
    let base = ctx.settings.instance.base_url();
    Ok(HttpResponse::Ok().json(
        found
            .iter()
            .map(|a| account_from_row(a, &base))
            .collect::<Vec<_>>(),
    ))
}

/// Most accounts `familiar_followers` names for each account asked about.
pub const MAX_FAMILIAR: usize = 40;

/// <https://docs.joinmastodon.org/methods/accounts/#familiar_followers>: for each account
/// asked about (at most 40), the accounts I follow that follow it (at most 40 each, most
/// recent follows first).
async fn familiar_followers(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<RelationshipsParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:follows")?.account.id;
    let ids = id_list(&p.id, MAX_MANY);
    let found = ctx
        .db
        .read(move |conn| accounts::familiar_followers(conn, me, &ids, MAX_FAMILIAR))
        .await?;
    let base = ctx.settings.instance.base_url();
    Ok(HttpResponse::Ok().json(
        found
            .iter()
            .map(|(id, familiar)| {
                serde_json::json!({
                    "id": id.to_string(),
                    "accounts": familiar.iter().map(|a| account_from_row(a, &base)).collect::<Vec<_>>(),
                })
            })
            .collect::<Vec<_>>(),
    ))
}

/// <https://docs.joinmastodon.org/methods/mutes/#get>: the accounts I mute, newest mute
/// first, each with `mute_expires_at`; paged with `Link` by the mute.
async fn mutes(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:mutes")?.account.id;
    let page = page.page_with(40, 80);
    let rows = ctx
        .db
        .read(move |conn| accounts::mutes(conn, me, &page))
        .await?;
    let base = ctx.settings.instance.base_url();
    let ids: Vec<i64> = rows.iter().map(|(id, _, _)| *id).collect();
    let body: Vec<Value> = rows
        .iter()
        .map(|(_, account, until)| -> Result<Value> {
            let mut entity = serde_json::to_value(account_from_row(account, &base))?;
            entity["mute_expires_at"] = serde_json::json!(until.map(iso_datetime));
            Ok(entity)
        })
        .collect::<Result<_>>()?;
    Ok(paged_response(&ctx, &req, &ids).json(body))
}

/// <https://docs.joinmastodon.org/methods/blocks/#get>: the accounts I block, newest block
/// first; paged with `Link` by the block.
async fn blocks(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:blocks")?.account.id;
    let page = page.page_with(40, 80);
    let rows = ctx
        .db
        .read(move |conn| accounts::blocks(conn, me, &page))
        .await?;
    render_accounts(&ctx, &req, rows)
}

#[derive(Debug, Deserialize)]
struct LookupParams {
    acct: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/accounts/#lookup>
async fn lookup(
    ctx: web::Data<AppContext>,
    _auth: MaybeAuth,
    Params(p): Params<LookupParams>,
) -> Result<HttpResponse> {
    let acct = p
        .acct
        .ok_or_else(|| Error::bad_request("Missing acct parameter"))?;
    let account = accounts::find_by_acct(&ctx, &acct).await?;
    Ok(HttpResponse::Ok().json(account_from_row(
        &account,
        &ctx.settings.instance.base_url(),
    )))
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    limit: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    offset: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    following: Option<bool>,
}

/// <https://docs.joinmastodon.org/methods/accounts/#search>
async fn search(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<SearchParams>,
) -> Result<HttpResponse> {
    auth.require("read:accounts")?;
    let me = auth.0.user.as_ref().map(|u| u.account.id);
    let q =
        p.q.ok_or_else(|| Error::bad_request("Missing q parameter"))?;
    let limit = i64::from(p.limit.unwrap_or(40).clamp(1, 80));
    let offset = i64::from(p.offset.unwrap_or(0));
    let following = p.following.unwrap_or(false);
    let found = ctx
        .db
        .read(move |conn| accounts::search(conn, me, &q, following, limit, offset))
        .await?;
    let base = ctx.settings.instance.base_url();
    Ok(HttpResponse::Ok().json(
        found
            .iter()
            .map(|a| account_from_row(a, &base))
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Deserialize)]
struct StatusesParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    exclude_replies: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    exclude_reblogs: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    only_media: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    pinned: Option<bool>,
    tagged: Option<String>,
    #[serde(flatten)]
    page: PageParams,
}

/// <https://docs.joinmastodon.org/methods/accounts/#statuses>
async fn statuses(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: MaybeAuth,
    id: web::Path<String>,
    Params(p): Params<StatusesParams>,
) -> Result<HttpResponse> {
    let viewer = auth.viewer("read:statuses")?.map(|u| u.account.id);
    let id = parse_id(&id)?;
    let filter = AccountStatusesFilter {
        exclude_replies: p.exclude_replies.unwrap_or(false),
        exclude_reblogs: p.exclude_reblogs.unwrap_or(false),
        only_media: p.only_media.unwrap_or(false),
        pinned: p.pinned.unwrap_or(false),
        tagged: p.tagged,
    };
    let page = p.page.page();
    render_timeline(
        &ctx,
        &req,
        viewer,
        Some(FilterContext::Account),
        move |conn| {
            accounts::find(conn, id)?;
            let rows = timelines::account(conn, viewer, id, &filter, &page)?;
            Ok(rows.into_iter().map(|s| (s.id, s)).collect())
        },
    )
    .await
}

/// <https://docs.joinmastodon.org/methods/accounts/#followers>
async fn followers(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    _auth: MaybeAuth,
    id: web::Path<String>,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let id = parse_id(&id)?;
    let page = page.page_with(40, 80);
    let rows = ctx
        .db
        .read(move |conn| accounts::followers(conn, id, &page))
        .await?;
    render_accounts(&ctx, &req, rows)
}

/// <https://docs.joinmastodon.org/methods/accounts/#following>
async fn following(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    _auth: MaybeAuth,
    id: web::Path<String>,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let id = parse_id(&id)?;
    let page = page.page_with(40, 80);
    let rows = ctx
        .db
        .read(move |conn| accounts::following(conn, id, &page))
        .await?;
    render_accounts(&ctx, &req, rows)
}

/// The relationship with one account, after an action.
async fn relationship_response(ctx: &AppContext, me: i64, target: i64) -> Result<HttpResponse> {
    let rels = ctx
        .db
        .read(move |conn| accounts::relationships(conn, me, &[target]))
        .await?;
    let rel = rels.first().ok_or_else(Error::not_found)?;
    Ok(HttpResponse::Ok().json(relationship_entity(rel)))
}

#[derive(Debug, Deserialize)]
struct FollowParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    reblogs: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    notify: Option<bool>,
}

/// <https://docs.joinmastodon.org/methods/accounts/#follow>
async fn follow(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<FollowParams>,
) -> Result<HttpResponse> {
    let options = FollowOptions {
        reblogs: p.reblogs,
        notify: p.notify,
    };
    let me = auth.user_with("write:follows")?.account.clone();
    let (me_id, target) = (me.id, parse_id(&id)?);
    relationships::follow_account(&ctx, me, target, options).await?;
    relationship_response(&ctx, me_id, target).await
}

async fn relationship_action<F>(
    ctx: web::Data<AppContext>,
    auth: Auth,
    scope: &str,
    id: web::Path<String>,
    action: F,
) -> Result<HttpResponse>
where
    F: FnOnce(&mut crate::db::DbConnection, &Account, i64) -> Result<()> + Send + 'static,
{
    let me = auth.user_with(scope)?.account.clone();
    let me_id = me.id;
    let target = parse_id(&id)?;
    ctx.db.write(move |conn| action(conn, &me, target)).await?;
    relationship_response(&ctx, me_id, target).await
}

/// <https://docs.joinmastodon.org/methods/accounts/#unfollow>
async fn unfollow(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    relationship_action(ctx, auth, "write:follows", id, |c, me, t| {
        relationships::unfollow(c, me, t, Origin::Local)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct NoteParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    comment: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/accounts/#note>: my private note about an
/// account (`comment`; empty removes it), shown only to me in the relationship.
async fn note(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<NoteParams>,
) -> Result<HttpResponse> {
    let comment = p.comment.unwrap_or_default();
    relationship_action(ctx, auth, "write:accounts", id, move |c, me, t| {
        accounts::set_note(c, me.id, t, &comment)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/accounts/#endorse> (and `pin`, its 4.3 name):
/// feature an account I follow on my profile.
async fn endorse(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    relationship_action(ctx, auth, "write:accounts", id, |c, me, t| {
        crate::service::featured::endorse(c, me.id, t, true)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/accounts/#unendorse> (and `unpin`).
async fn unendorse(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    relationship_action(ctx, auth, "write:accounts", id, |c, me, t| {
        crate::service::featured::endorse(c, me.id, t, false)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/accounts/#remove_from_followers>
async fn remove_from_followers(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    relationship_action(ctx, auth, "write:follows", id, |c, me, t| {
        relationships::remove_follower(c, me, t)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/accounts/#block>
async fn block(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    relationship_action(ctx, auth, "write:blocks", id, |c, me, t| {
        relationships::block(c, me, t, Origin::Local)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/accounts/#unblock>
async fn unblock(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    relationship_action(ctx, auth, "write:blocks", id, |c, me, t| {
        relationships::unblock(c, me, t, Origin::Local)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct MuteParams {
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    notifications: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    duration: Option<u32>,
}

/// <https://docs.joinmastodon.org/methods/accounts/#mute>
async fn mute(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<MuteParams>,
) -> Result<HttpResponse> {
    let hide = p.notifications.unwrap_or(true);
    let duration = p.duration;
    relationship_action(ctx, auth, "write:mutes", id, move |c, me, t| {
        accounts::mute(c, me.id, t, hide, duration)
    })
    .await
}

/// <https://docs.joinmastodon.org/methods/accounts/#unmute>
async fn unmute(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    relationship_action(ctx, auth, "write:mutes", id, |c, me, t| {
        accounts::unmute(c, me.id, t)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct RelationshipsParams {
    #[serde(default, deserialize_with = "lenient::string_list")]
    id: Vec<String>,
}

/// <https://docs.joinmastodon.org/methods/accounts/#relationships>
async fn get_relationships(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<RelationshipsParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:follows")?.account.id;
    let ids: Vec<i64> =
        p.id.iter()
            .filter_map(|id| id.parse().ok())
            .take(80)
            .collect();
    let rels = ctx
        .db
        .write(move |conn| {
            accounts::expire_mutes(conn)?;
            accounts::relationships(conn, me, &ids)
        })
        .await?;
    Ok(HttpResponse::Ok().json(rels.iter().map(relationship_entity).collect::<Vec<_>>()))
}

/// <https://docs.joinmastodon.org/methods/follow_requests/#get>
async fn follow_requests(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    auth: Auth,
    Params(page): Params<PageParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:follows")?.account.id;
    let page = page.page_with(40, 80);
    let rows = ctx
        .db
        .read(move |conn| accounts::follow_requests(conn, me, &page))
        .await?;
    render_accounts(&ctx, &req, rows)
}

/// <https://docs.joinmastodon.org/methods/follow_requests/#accept>
async fn authorize_request(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    answer_request(ctx, auth, id, true).await
}

/// <https://docs.joinmastodon.org/methods/follow_requests/#reject>
async fn reject_request(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    answer_request(ctx, auth, id, false).await
}

async fn answer_request(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    accept: bool,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:follows")?.account.clone();
    let (me_id, from) = (me.id, parse_id(&id)?);
    relationships::answer_request(&ctx, me, from, accept).await?;
    relationship_response(&ctx, me_id, from).await
}

/// <https://docs.joinmastodon.org/methods/preferences/>
async fn preferences(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let user = auth.user_with("read:accounts")?;
    let privacy = user.user.default_visibility.clone().unwrap_or_else(|| {
        ctx.settings
            .instance
            .default_visibility
            .as_str()
            .to_string()
    });
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "posting:default:visibility": privacy,
        "posting:default:sensitive": user.user.default_sensitive,
        "posting:default:language": user.user.default_language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}
