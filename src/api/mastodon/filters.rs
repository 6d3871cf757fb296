//! Content filters, v2 (server-side) and v1 (one keyword each, as Tusky uses them).
//! <https://docs.joinmastodon.org/methods/filters/>

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::entities::filter::{
    filter_entity, filter_keyword_entity, filter_status_entity, v1_filter_entity,
};
use super::parse_id;
use crate::api::auth::Auth;
use crate::api::params::{Params, lenient};
use crate::context::AppContext;
use crate::error::{Error, Result};
use crate::service::filters::{self, Expiry, FilterChanges, KeywordChange, V1Changes};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/filters", web::get().to(index))
        .route("/v2/filters", web::post().to(create))
        .route("/v2/filters/keywords/{id}", web::get().to(keyword))
        .route("/v2/filters/keywords/{id}", web::put().to(update_keyword))
        .route(
            "/v2/filters/keywords/{id}",
            web::delete().to(delete_keyword),
        )
        .route("/v2/filters/statuses/{id}", web::get().to(status))
        .route("/v2/filters/statuses/{id}", web::delete().to(delete_status))
        .route("/v2/filters/{id}", web::get().to(get))
        .route("/v2/filters/{id}", web::put().to(update))
        .route("/v2/filters/{id}", web::delete().to(delete))
        .route("/v2/filters/{id}/keywords", web::get().to(keywords))
        .route("/v2/filters/{id}/keywords", web::post().to(add_keyword))
        .route("/v2/filters/{id}/statuses", web::get().to(statuses))
        .route("/v2/filters/{id}/statuses", web::post().to(add_status))
        .route("/v1/filters", web::get().to(v1_index))
        .route("/v1/filters", web::post().to(v1_create))
        .route("/v1/filters/{id}", web::get().to(v1_get))
        .route("/v1/filters/{id}", web::put().to(v1_update))
        .route("/v1/filters/{id}", web::delete().to(v1_delete));
}

fn empty() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({}))
}

/// `expires_in`: seconds from now; `null` or an empty string means "never".
fn expires_in<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Expiry>, D::Error> {
    use serde::de::Error as _;
    let v = Value::deserialize(d)?;
    let never = Ok(Some(Expiry::Never));
    match &v {
        Value::Null => never,
        Value::String(s) if s.trim().is_empty() => never,
        Value::String(s) => s
            .trim()
            .parse()
            .map(|n| Some(Expiry::In(n)))
            .map_err(|_| D::Error::custom(format!("expires_in must be a number, got {s:?}"))),
        Value::Number(n) => n
            .as_i64()
            .map(|n| Some(Expiry::In(n)))
            .ok_or_else(|| D::Error::custom(format!("expires_in must be a whole number, got {n}"))),
        other => Err(D::Error::custom(format!(
            "expires_in must be a number, got {other}"
        ))),
    }
}

/// `context[]`: a list (or one value) when given, `None` when not.
fn opt_list<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<String>>, D::Error> {
    lenient::string_list(d).map(Some)
}

#[derive(Debug, Deserialize)]
struct FilterParams {
    title: Option<String>,
    #[serde(default, deserialize_with = "opt_list")]
    context: Option<Vec<String>>,
    filter_action: Option<String>,
    #[serde(default, deserialize_with = "expires_in")]
    expires_in: Option<Expiry>,
    /// A list of objects, or (forms with indexes) an object keyed by index.
    keywords_attributes: Option<Value>,
}

fn keyword_changes(raw: Option<Value>) -> Result<Vec<KeywordChange>> {
    let items: Vec<Value> = match raw {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(Value::Object(map)) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by_key(|(k, _)| k.parse::<u32>().unwrap_or(u32::MAX));
            entries.into_iter().map(|(_, v)| v).collect()
        }
        Some(_) => {
            return Err(Error::unprocessable(
                "Validation failed: keywords_attributes must be a list",
            ));
        }
    };
    #[derive(Deserialize)]
    struct Item {
        #[serde(default, deserialize_with = "lenient::opt_string")]
        id: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_string")]
        keyword: Option<String>,
        #[serde(default, deserialize_with = "lenient::opt_bool")]
        whole_word: Option<bool>,
        #[serde(default, rename = "_destroy", deserialize_with = "lenient::opt_bool")]
        destroy: Option<bool>,
    }
    items
        .into_iter()
        .map(|item| {
            let item: Item = serde_json::from_value(item)
                .map_err(|e| Error::unprocessable(format!("Validation failed: {e}")))?;
            Ok(KeywordChange {
                id: item
                    .id
                    .as_deref()
                    .filter(|id| !id.trim().is_empty())
                    .map(parse_id)
                    .transpose()?,
                keyword: item.keyword,
                whole_word: item.whole_word,
                destroy: item.destroy.unwrap_or(false),
            })
        })
        .collect()
}

impl FilterParams {
    fn changes(self) -> Result<FilterChanges> {
        Ok(FilterChanges {
            title: self.title,
            context: self.context,
            action: self
                .filter_action
                .as_deref()
                .filter(|a| !a.trim().is_empty())
                .map(str::parse)
                .transpose()?,
            expires: self.expires_in,
            keywords: keyword_changes(self.keywords_attributes)?,
        })
    }
}

/// <https://docs.joinmastodon.org/methods/filters/#get>
async fn index(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let all = ctx.db.read(move |conn| filters::all(conn, me)).await?;
    Ok(HttpResponse::Ok().json(all.iter().map(filter_entity).collect::<Vec<_>>()))
}

/// <https://docs.joinmastodon.org/methods/filters/#get-one>
async fn get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let id = parse_id(&id)?;
    let rules = ctx.db.read(move |conn| filters::get(conn, me, id)).await?;
    Ok(HttpResponse::Ok().json(filter_entity(&rules)))
}

/// <https://docs.joinmastodon.org/methods/filters/#create>
async fn create(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<FilterParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let changes = p.changes()?;
    let rules = ctx
        .db
        .write(move |conn| filters::create(conn, me, changes))
        .await?;
    Ok(HttpResponse::Ok().json(filter_entity(&rules)))
}

/// <https://docs.joinmastodon.org/methods/filters/#update>
async fn update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<FilterParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    let changes = p.changes()?;
    let rules = ctx
        .db
        .write(move |conn| filters::update(conn, me, id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(filter_entity(&rules)))
}

/// <https://docs.joinmastodon.org/methods/filters/#delete>
async fn delete(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| filters::delete(conn, me, id))
        .await?;
    Ok(empty())
}

/// <https://docs.joinmastodon.org/methods/filters/#keywords-get>
async fn keywords(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let id = parse_id(&id)?;
    let found = ctx
        .db
        .read(move |conn| filters::keywords(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(found.iter().map(filter_keyword_entity).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize)]
struct KeywordParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    keyword: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    whole_word: Option<bool>,
}

/// <https://docs.joinmastodon.org/methods/filters/#keywords-create>
async fn add_keyword(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<KeywordParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    let added = ctx
        .db
        .write(move |conn| filters::add_keyword(conn, me, id, p.keyword, p.whole_word))
        .await?;
    Ok(HttpResponse::Ok().json(filter_keyword_entity(&added)))
}

/// <https://docs.joinmastodon.org/methods/filters/#keywords-get-one>
async fn keyword(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let id = parse_id(&id)?;
    let (found, _) = ctx
        .db
        .read(move |conn| filters::keyword(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(filter_keyword_entity(&found)))
}

/// <https://docs.joinmastodon.org/methods/filters/#keywords-update>
async fn update_keyword(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<KeywordParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    let updated = ctx
        .db
        .write(move |conn| filters::update_keyword(conn, me, id, p.keyword, p.whole_word))
        .await?;
    Ok(HttpResponse::Ok().json(filter_keyword_entity(&updated)))
}

/// <https://docs.joinmastodon.org/methods/filters/#keywords-delete>
async fn delete_keyword(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| filters::delete_keyword(conn, me, id))
        .await?;
    Ok(empty())
}

/// <https://docs.joinmastodon.org/methods/filters/#statuses-get>
async fn statuses(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let id = parse_id(&id)?;
    let found = ctx
        .db
        .read(move |conn| filters::statuses(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(found.iter().map(filter_status_entity).collect::<Vec<_>>()))
}

#[derive(Debug, Deserialize)]
struct StatusParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    status_id: Option<String>,
}

/// <https://docs.joinmastodon.org/methods/filters/#statuses-add>
async fn add_status(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<StatusParams>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    let status_id = match p.status_id.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(Error::unprocessable(
                "Validation failed: Status can't be blank",
            ));
        }
        Some(raw) => parse_id(raw)?,
    };
    let added = ctx
        .db
        .write(move |conn| filters::add_status(conn, me, id, status_id))
        .await?;
    Ok(HttpResponse::Ok().json(filter_status_entity(&added)))
}

/// <https://docs.joinmastodon.org/methods/filters/#statuses-get-one>
async fn status(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let id = parse_id(&id)?;
    let found = ctx
        .db
        .read(move |conn| filters::status(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(filter_status_entity(&found)))
}

/// <https://docs.joinmastodon.org/methods/filters/#statuses-remove>
async fn delete_status(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| filters::delete_status(conn, me, id))
        .await?;
    Ok(empty())
}

#[derive(Debug, Deserialize)]
struct V1Params {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    phrase: Option<String>,
    #[serde(default, deserialize_with = "opt_list")]
    context: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    irreversible: Option<bool>,
    #[serde(default, deserialize_with = "lenient::opt_bool")]
    whole_word: Option<bool>,
    #[serde(default, deserialize_with = "expires_in")]
    expires_in: Option<Expiry>,
}

impl V1Params {
    fn changes(self) -> V1Changes {
        V1Changes {
            phrase: self.phrase,
            context: self.context,
            irreversible: self.irreversible,
            whole_word: self.whole_word,
            expires: self.expires_in,
        }
    }
}

/// <https://docs.joinmastodon.org/methods/filters/#get-v1>
async fn v1_index(ctx: web::Data<AppContext>, auth: Auth) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let all = ctx.db.read(move |conn| filters::v1_all(conn, me)).await?;
    Ok(HttpResponse::Ok().json(
        all.iter()
            .map(|(k, f)| v1_filter_entity(k, f))
            .collect::<Vec<_>>(),
    ))
}

/// <https://docs.joinmastodon.org/methods/filters/#get-one-v1>
async fn v1_get(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("read:filters")?.account.id;
    let id = parse_id(&id)?;
    let (k, f) = ctx
        .db
        .read(move |conn| filters::keyword(conn, me, id))
        .await?;
    Ok(HttpResponse::Ok().json(v1_filter_entity(&k, &f)))
}

/// <https://docs.joinmastodon.org/methods/filters/#create-v1>
async fn v1_create(
    ctx: web::Data<AppContext>,
    auth: Auth,
    Params(p): Params<V1Params>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let changes = p.changes();
    let (k, f) = ctx
        .db
        .write(move |conn| filters::v1_create(conn, me, changes))
        .await?;
    Ok(HttpResponse::Ok().json(v1_filter_entity(&k, &f)))
}

/// <https://docs.joinmastodon.org/methods/filters/#update-v1>
async fn v1_update(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
    Params(p): Params<V1Params>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    let changes = p.changes();
    let (k, f) = ctx
        .db
        .write(move |conn| filters::v1_update(conn, me, id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(v1_filter_entity(&k, &f)))
}

/// <https://docs.joinmastodon.org/methods/filters/#delete-v1>
async fn v1_delete(
    ctx: web::Data<AppContext>,
    auth: Auth,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let me = auth.user_with("write:filters")?.account.id;
    let id = parse_id(&id)?;
    ctx.db
        .write(move |conn| filters::v1_delete(conn, me, id))
        .await?;
    Ok(empty())
}
