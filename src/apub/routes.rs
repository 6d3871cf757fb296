//! ActivityPub endpoints. Actor, post and collection documents need a signed GET from an
//! allowed department (browsers asking for HTML are sent to the web pages instead); only the
//! instance actor, which carries nothing but a public key, is served unsigned so that other
//! departments can verify our signed fetches. Department-only posts are never served.

use activitypub_federation::FEDERATION_CONTENT_TYPE;
use activitypub_federation::actix_web::inbox::receive_activity;
use activitypub_federation::traits::Object;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use crate::apub::activities::IncomingActivity;
use crate::apub::objects::{ApubActor, ApubNote, instance_person};
use crate::apub::protocol::{self, ActivityClaim, OrderedCollection};
use crate::apub::{FedData, data, instance_actor, render, signatures};
use crate::context::AppContext;
use crate::db::models::Account;
use crate::error::{Error, Result};
use crate::prometheus::InboxOutcome;
use crate::service::policy::authority;
use crate::service::visibility::find_visible;
use crate::service::{accounts, announcements, collections, inbound};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/actor", web::get().to(instance))
        .route("/inbox", web::post().to(inbox))
        .route("/users/{username}", web::get().to(actor))
        .route("/users/{username}/inbox", web::post().to(inbox))
        .route("/users/{username}/outbox", web::get().to(outbox))
        .route("/users/{username}/followers", web::get().to(followers))
        .route("/users/{username}/following", web::get().to(following))
        .route(
            "/users/{username}/collections/featured",
            web::get().to(featured),
        )
        .route("/users/{username}/statuses/{id}", web::get().to(note))
        .route("/announcements/{id}", web::get().to(announcement))
        .route("/directory", web::get().to(people_directory));
}

/// Whether the client asked for ActivityPub rather than HTML.
fn wants_activity_json(req: &HttpRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    accept.contains("application/activity+json")
        || (accept.contains("application/ld+json") && accept.contains("activitystreams"))
}

fn activity_json(body: &impl serde::Serialize) -> Result<HttpResponse> {
    let mut value = serde_json::to_value(body)?;
    if let Value::Object(map) = &mut value {
        map.entry("@context").or_insert_with(protocol::context);
    }
    Ok(HttpResponse::Ok()
        .content_type(FEDERATION_CONTENT_TYPE)
        .insert_header((header::VARY, "Accept, Signature"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(value))
}

fn redirect(to: String) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, to))
        .insert_header((header::VARY, "Accept"))
        .finish()
}

/// The local, active account behind `/users/{username}`.
async fn local_account(ctx: &AppContext, username: String) -> Result<Account> {
    let settings = ctx.settings.clone();
    let account = ctx
        .db
        .read(move |conn| accounts::lookup(conn, &settings, &username))
        .await?;
    if !account.is_local() || account.is_suspended() {
        return Err(Error::not_found());
    }
    Ok(account)
}

/// `GET /actor`: the instance actor (unsigned on purpose).
async fn instance(ctx: web::Data<AppContext>) -> Result<HttpResponse> {
    data(&ctx)?;
    let account = instance_actor(&ctx).await?;
    activity_json(&instance_person(&ctx, &account)?)
}

/// `GET /users/{username}`: the Person (signed fetch), or the profile page for browsers.
async fn actor(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let username = path.into_inner();
    if !wants_activity_json(&req) {
        return Ok(redirect(format!("/@{username}")));
    }
    let data = data(&ctx)?;
    signatures::verify_get(&req, &data).await?;
    let account = local_account(&ctx, username).await?;
    activity_json(&render::person(&ctx.settings, &account)?)
}

/// `GET /announcements/{id}`: one of our company-wide announcements, to any department we
/// federate with (signed fetch); a department's own announcements are never served.
async fn announcement(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let data = data(&ctx)?;
    signatures::verify_get(&req, &data).await?;
    let id: i64 = path.parse().map_err(|_| Error::not_found())?;
    let found = ctx
        .db
        .read(move |conn| announcements::find_company_wide(conn, id))
        .await?;
    let actor = instance_actor(&ctx).await?;
    let mut object = render::announcement_object(&ctx.settings, &actor.ap_id, &found);
    object["@context"] = protocol::announcement_context();
    activity_json(&object)
}

/// `GET /directory`: the department's discoverable employees, for the people directory of
/// every department we federate with (signed fetch), paged.
async fn people_directory(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let data = data(&ctx)?;
    signatures::verify_get(&req, &data).await?;
    let page = query.number();
    let (total, people) = ctx
        .db
        .read(move |conn| crate::service::people::published(conn, page.unwrap_or(1)))
        .await?;
    let base = ctx.settings.instance.base();
    let listed = if page.is_some() { &people[..] } else { &[] };
    activity_json(&super::directory::render(&base, page, total, listed))
}

/// `GET /users/{username}/statuses/{id}`: a post, to signers who may see it.
async fn note(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (username, id) = path.into_inner();
    if !wants_activity_json(&req) {
        return Ok(redirect(format!("/@{username}/{id}")));
    }
    let data = data(&ctx)?;
    let signer = signatures::verify_get(&req, &data).await?;
    let id: i64 = id.parse().map_err(|_| Error::not_found())?;
    let account = local_account(&ctx, username).await?;
    let viewer = signer.account.id;
    let status = ctx
        .db
        .read(move |conn| {
            let status = find_visible(conn, Some(viewer), id)?;
            Ok(status)
        })
        .await;
    let status = match status {
        Ok(s) => s,
        // Deleted posts answer 410 Gone with a Tombstone, as Mastodon does.
        Err(e) if e.kind() == crate::error::ErrorKind::NotFound => {
            return gone_or_not_found(&ctx, id, account.id).await;
        }
        Err(e) => return Err(e),
    };
    if status.account_id != account.id || status.stays_here() || status.reblog_of_id.is_some() {
        return Err(Error::not_found());
    }
    let json = ApubNote::new(status)?.into_json(&data).await?;
    activity_json(&json)
}

async fn gone_or_not_found(ctx: &AppContext, id: i64, author: i64) -> Result<HttpResponse> {
    let status = ctx
        .db
        .read(move |conn| collections::deleted_post(conn, author, id))
        .await?;
    match status {
        Some(ap_id) => {
            let mut body = json!({"id": ap_id, "type": "Tombstone"});
            body["@context"] = protocol::context();
            Ok(HttpResponse::Gone()
                .content_type(FEDERATION_CONTENT_TYPE)
                .json(body))
        }
        None => Err(Error::not_found()),
    }
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<String>,
    max_id: Option<i64>,
}

impl PageQuery {
    fn number(&self) -> Option<i64> {
        match self.page.as_deref() {
            None => None,
            Some("true") => Some(1),
            Some(n) => n.parse().ok().filter(|n: &i64| *n >= 1),
        }
    }
}

async fn follow_collection(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    username: String,
    query: PageQuery,
    followers: bool,
) -> Result<HttpResponse> {
    let data = data(&ctx)?;
    signatures::verify_get(&req, &data).await?;
    let account = local_account(&ctx, username).await?;
    let page = query.number();
    let account_id = account.id;
    let (total, ids) = ctx
        .db
        .read(move |conn| collections::follow_ids(conn, account_id, followers, page.unwrap_or(1)))
        .await?;
    let id = if followers {
        render::followers_url(&account)
    } else {
        format!("{}/following", account.ap_id)
    };
    activity_json(&page_or_collection(
        id,
        total,
        page,
        ids.into_iter().map(Value::String).collect(),
        None,
    ))
}

fn page_or_collection(
    id: String,
    total: i64,
    page: Option<i64>,
    items: Vec<Value>,
    next: Option<String>,
) -> OrderedCollection {
    match page {
        None => OrderedCollection {
            kind: "OrderedCollection".into(),
            first: Some(format!("{id}?page=1")),
            id,
            total_items: total,
            next: None,
            part_of: None,
            ordered_items: None,
        },
        Some(n) => {
            let more = next.or_else(|| {
                (items.len() as i64 == collections::PAGE_SIZE)
                    .then(|| format!("{id}?page={}", n + 1))
            });
            OrderedCollection {
                kind: "OrderedCollectionPage".into(),
                id: format!("{id}?page={n}"),
                total_items: total,
                first: None,
                next: more,
                part_of: Some(id),
                ordered_items: Some(items),
            }
        }
    }
}

/// `GET /users/{username}/followers`
async fn followers(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    follow_collection(req, ctx, path.into_inner(), query.into_inner(), true).await
}

/// `GET /users/{username}/following`
async fn following(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    follow_collection(req, ctx, path.into_inner(), query.into_inner(), false).await
}

/// `GET /users/{username}/outbox`: public and unlisted posts as Create activities.
async fn outbox(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse> {
    let data = data(&ctx)?;
    signatures::verify_get(&req, &data).await?;
    let account = local_account(&ctx, path.into_inner()).await?;
    let page = query.number();
    let (account_id, max_id) = (account.id, query.max_id);
    let (total, posts) = ctx
        .db
        .read(move |conn| {
            let total = collections::public_posts_count(conn, account_id)?;
            let posts = match page {
                Some(_) => collections::public_posts(conn, account_id, max_id)?,
                None => Vec::new(),
            };
            Ok((total, posts))
        })
        .await?;
    let id = format!("{}/outbox", account.ap_id);
    let next = posts
        .last()
        .filter(|_| posts.len() as i64 == collections::PAGE_SIZE)
        .map(|last| format!("{id}?page=true&max_id={}", last.status.id));
    let items = posts
        .iter()
        .map(|post| Ok(render::create(&render::note(&ctx.settings, post)?)))
        .collect::<Result<Vec<Value>>>()?;
    activity_json(&page_or_collection(id, total, page, items, next))
}

/// `GET /users/{username}/collections/featured`: pinned posts.
async fn featured(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let data = data(&ctx)?;
    signatures::verify_get(&req, &data).await?;
    let account = local_account(&ctx, path.into_inner()).await?;
    let account_id = account.id;
    let notes = ctx
        .db
        .read(move |conn| collections::featured(conn, account_id))
        .await?
        .iter()
        .map(|post| Ok(serde_json::to_value(render::note(&ctx.settings, post)?)?))
        .collect::<Result<Vec<Value>>>()?;
    activity_json(&OrderedCollection {
        kind: "OrderedCollection".into(),
        id: format!("{}/collections/featured", account.ap_id),
        total_items: notes.len() as i64,
        first: None,
        next: None,
        part_of: None,
        ordered_items: Some(notes),
    })
}

/// `POST /inbox` (shared) and `POST /users/{username}/inbox`. Every activity is counted for
/// `/metrics` by its type (from a fixed set) and how it was answered; every refusal is logged
/// at WARN with the inbox, the sender and the activity as far as they could be read, and why.
async fn inbox(
    req: HttpRequest,
    payload: web::Payload,
    ctx: web::Data<AppContext>,
) -> Result<HttpResponse> {
    let (claim, result) = match data(&ctx) {
        Ok(data) => {
            let (claim, result) = receive(&req, payload, &data).await;
            if let Err(e) = &result {
                let (sender, activity) = match &claim {
                    Some(c) => (c.actor.id.to_string(), c.id.as_ref().map(Url::to_string)),
                    None => ("unknown".into(), None),
                };
                tracing::warn!(
                    inbox = %format!("{}{}", ctx.settings.instance.base(), req.path()),
                    sender = %sender,
                    activity = %activity.as_deref().unwrap_or("unknown"),
                    status = e.kind().status().as_u16(),
                    reason = %e,
                    "activity refused"
                );
            }
            (claim, result)
        }
        Err(e) => (None, Err(e)),
    };
    let status = match &result {
        Ok(answer) => answer.status(),
        Err(e) => e.kind().status(),
    };
    let kind = claim.as_ref().and_then(|c| c.kind.as_deref());
    ctx.metrics
        .inbox_activity(kind, InboxOutcome::of_status(status.as_u16()));
    result
}

/// Read one activity (at most `http.max_body_bytes`, else 413) and what it claims (400 if it
/// cannot be read), then verify and apply it. The claim comes back whenever it was read, for
/// the log and `/metrics`.
async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    data: &FedData,
) -> (Option<ActivityClaim>, Result<HttpResponse>) {
    let body = match crate::http::read_body(req, payload, data.settings.http.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => return (None, Err(e)),
    };
    // 400: a body that is not an activity is malformed whoever sent it; there is no signer
    // to ask yet, since the signer is named by the activity it would have to be read from.
    let claim = match serde_json::from_slice::<ActivityClaim>(&body) {
        Ok(claim) => claim,
        Err(e) => {
            let e = Error::bad_request(format!("The activity could not be parsed: {e}"));
            return (None, Err(e));
        }
    };
    let result = verify_and_apply(req, body, &claim, data).await;
    (Some(claim), result)
}

/// The checks of an inbox POST, cheapest and least trusting first: nothing is fetched before
/// the actor's domain is allowed and the request is signed over itself, recently, by the
/// actor's own key; nothing is parsed into memory or looked up before its lists are known
/// to be short. Then the federation library checks the digest and the signature with the
/// actor's key (fetching the actor if need be), and `apub::activities` applies it once per id.
async fn verify_and_apply(
    req: &HttpRequest,
    body: Bytes,
    claim: &ActivityClaim,
    data: &FedData,
) -> Result<HttpResponse> {
    let actor: &Url = &claim.actor.id;
    // 403: a department we do not federate with, whether or not it signed.
    data.policy.check_url(actor).await?;
    // 401: unsigned, a signature that does not cover this request (target, host, digest), or
    // one whose date is outside the window (`signatures::MAX_AGE`, `MAX_CLOCK_AHEAD`).
    let signature = req
        .headers()
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::unauthorized("Activities must carry an HTTP signature"))?;
    signatures::check_coverage(req, signature, data.settings.instance.domain.as_str())?;
    signatures::check_date(req)?;
    // 403: signed, but by another actor's key, or about an activity its actor cannot have
    // made (the library compares hosts only, so `localhost:8001` passed for `localhost:8002`
    // and one IP address for another).
    signatures::check_key_owner(signature, actor)?;
    if let Some(id) = &claim.id
        && authority(id) != authority(actor)
    {
        return Err(Error::forbidden(
            "The activity's id is on another domain than its actor",
        ));
    }
    // 422: more recipients (or tags, or objects) than one activity may list.
    let (list, len) = claim.longest_list();
    inbound::check_list_length(&data.settings.limits, list, len)?;
    // 401 for a digest that does not match the body or a signature the actor's key does not
    // verify, 400 for an activity that cannot be parsed (nesting deeper than serde_json's
    // 128 levels included), 403 for an object that is not its actor's.
    receive_activity::<IncomingActivity, ApubActor, AppContext>(req.clone(), body, data).await?;
    Ok(HttpResponse::Accepted().finish())
}
