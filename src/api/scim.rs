//! SCIM 2.0 endpoints for the identity provider's provisioning (RFC 7643 resources, RFC 7644
//! protocol): `/scim/v2/Users`, `/scim/v2/Groups`, `/scim/v2/ServiceProviderConfig`,
//! `/scim/v2/ResourceTypes`. Bearer-token authentication (`auth.scim.token`). Errors use the
//! SCIM error schema. The rules live in `service::scim`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::context::AppContext;
use crate::error::{Error, ErrorKind};
use crate::service::scim::{self, Filter, GroupRecord, UserData, UserRecord};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CONTENT_TYPE: &str = "application/scim+json";
const DEFAULT_COUNT: i64 = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .route(
                "/ServiceProviderConfig",
                web::get().to(service_provider_config),
            )
            .route("/ResourceTypes", web::get().to(resource_types))
            .route("/Users", web::get().to(list_users))
            .route("/Users", web::post().to(create_user))
            .route("/Users/{id}", web::get().to(get_user))
            .route("/Users/{id}", web::put().to(replace_user))
            .route("/Users/{id}", web::patch().to(patch_user))
            .route("/Users/{id}", web::delete().to(delete_user))
            .route("/Groups", web::get().to(list_groups))
            .route("/Groups", web::post().to(create_group))
            .route("/Groups/{id}", web::get().to(get_group))
            .route("/Groups/{id}", web::put().to(replace_group))
            .route("/Groups/{id}", web::patch().to(patch_group))
            .route("/Groups/{id}", web::delete().to(delete_group)),
    );
}

/// An error in SCIM's format (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

type ScimResult<T = HttpResponse> = Result<T, ScimError>;

impl ScimError {
    fn new(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
    }

    fn response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut resp = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            resp.insert_header(("WWW-Authenticate", "Bearer realm=\"Groundswell SCIM\""));
        }
        resp.content_type(CONTENT_TYPE).body(body.to_string())
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        match e.kind() {
            ErrorKind::NotFound => ScimError::new(StatusCode::NOT_FOUND, None, e.message()),
            ErrorKind::Conflict => {
                ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), e.message())
            }
            ErrorKind::BadRequest | ErrorKind::Unprocessable => {
                ScimError::invalid_value(e.message())
            }
            ErrorKind::Internal | ErrorKind::Unavailable => {
                tracing::error!(error = %e, "SCIM request failed");
                ScimError::new(e.kind().status(), None, e.message())
            }
            kind => ScimError::new(kind.status(), None, e.message()),
        }
    }
}

fn respond(result: ScimResult) -> HttpResponse {
    result.unwrap_or_else(|e| e.response())
}

fn ok(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(CONTENT_TYPE)
        .body(body.to_string())
}

/// The bearer token IT configured, compared in constant time.
fn authenticate(ctx: &AppContext, req: &HttpRequest) -> ScimResult<()> {
    let expected = &ctx.settings.auth.scim.token;
    if expected.is_empty() {
        return Err(ScimError::new(
            StatusCode::NOT_FOUND,
            None,
            "SCIM provisioning is not enabled on this instance",
        ));
    }
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !crate::auth::secrets::same_secret(crate::auth::secrets::bearer_token(header), expected) {
        return Err(ScimError::new(
            StatusCode::UNAUTHORIZED,
            None,
            "a valid SCIM bearer token is required",
        ));
    }
    Ok(())
}

fn parse_body(body: &[u8]) -> ScimResult<Value> {
    serde_json::from_slice(body).map_err(|e| {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            e.to_string(),
        )
    })
}

fn parse_id(raw: &str) -> ScimResult<i64> {
    raw.parse()
        .map_err(|_| ScimError::new(StatusCode::NOT_FOUND, None, format!("{raw} not found")))
}

fn timestamp(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

// ---- wire format ----

fn user_json(ctx: &AppContext, record: &UserRecord) -> Value {
    let (user, account) = (&record.user.user, &record.user.account);
    let id = account.id.to_string();
    let mut out = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": id,
        "userName": user.scim_user_name.clone().unwrap_or_else(|| account.username.clone()),
        "displayName": account.display_name,
        "name": { "formatted": account.display_name },
        "active": !account.is_suspended(),
        "groups": record.groups.iter().map(|(gid, name)| json!({
            "value": gid.to_string(),
            "display": name,
            "$ref": format!("{}/scim/v2/Groups/{gid}", ctx.settings.instance.base()),
        })).collect::<Vec<_>>(),
        ENTERPRISE_SCHEMA: { "department": user.department },
        "meta": {
            "resourceType": "User",
            "created": timestamp(user.created_at),
            "lastModified": timestamp(user.updated_at.max(account.updated_at)),
            "location": format!("{}/scim/v2/Users/{id}", ctx.settings.instance.base()),
        },
    });
    if !user.email.ends_with(".invalid") {
        out["emails"] = json!([{ "value": user.email, "type": "work", "primary": true }]);
    }
    if let Some(external_id) = &user.scim_external_id {
        out["externalId"] = json!(external_id);
    }
    out
}

fn group_json(ctx: &AppContext, group: &GroupRecord) -> Value {
    let id = group.id.to_string();
    let mut out = json!({
        "schemas": [GROUP_SCHEMA],
        "id": id,
        "displayName": group.display_name,
        "members": group.members.iter().map(|(uid, name)| json!({
            "value": uid.to_string(),
            "display": name,
            "$ref": format!("{}/scim/v2/Users/{uid}", ctx.settings.instance.base()),
        })).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Group",
            "created": timestamp(group.created_at),
            "lastModified": timestamp(group.updated_at),
            "location": format!("{}/scim/v2/Groups/{id}", ctx.settings.instance.base()),
        },
    });
    if let Some(external_id) = &group.external_id {
        out["externalId"] = json!(external_id);
    }
    out
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// `active` as a JSON boolean, or the strings Entra ID sends ("True", "False").
fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Look up an attribute case-insensitively (RFC 7643 §2.1: attribute names are).
fn attr<'a>(obj: &'a Value, name: &str) -> &'a Value {
    obj.as_object()
        .and_then(|m| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .unwrap_or(&Value::Null)
}

/// Parse a SCIM User resource at the edge.
fn user_data(v: &Value) -> ScimResult<UserData> {
    let user_name = text(attr(v, "userName"))
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    let name = attr(v, "name");
    let composed = [
        text(attr(name, "givenName")),
        text(attr(name, "familyName")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let display_name = text(attr(v, "displayName"))
        .or_else(|| text(attr(name, "formatted")))
        .or_else(|| (!composed.is_empty()).then_some(composed));
    let email = attr(v, "emails").as_array().and_then(|emails| {
        emails
            .iter()
            .find(|e| boolean(attr(e, "primary")) == Some(true))
            .or_else(|| emails.first())
            .and_then(|e| text(attr(e, "value")))
    });
    let department = text(attr(attr(v, ENTERPRISE_SCHEMA), "department"));
    let active = match attr(v, "active") {
        Value::Null => true,
        other => {
            boolean(other).ok_or_else(|| ScimError::invalid_value("active must be a boolean"))?
        }
    };
    Ok(UserData {
        user_name,
        external_id: text(attr(v, "externalId")),
        display_name,
        email,
        department,
        active,
    })
}

/// Member account ids of a Group resource's `members` (or a PATCH value).
fn member_values(v: &Value) -> ScimResult<Vec<i64>> {
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![v],
        Value::Null => Vec::new(),
        _ => return Err(ScimError::invalid_value("members must be a list")),
    };
    items
        .into_iter()
        .map(|m| {
            text(attr(m, "value"))
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| ScimError::invalid_value("a member needs the value (id) of a User"))
        })
        .collect()
}

#[derive(Deserialize)]
struct ListQuery {
    filter: Option<String>,
    #[serde(rename = "startIndex")]
    start_index: Option<i64>,
    count: Option<i64>,
}

/// `attribute eq "value"` — the filters provisioning clients use (RFC 7644 §3.4.2.2).
fn parse_filter(raw: &str) -> ScimResult<Filter> {
    let invalid = || {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidFilter"),
            format!("unsupported filter `{raw}`: use userName, externalId or displayName eq \"…\""),
        )
    };
    let mut parts = raw.trim().splitn(3, char::is_whitespace);
    let (Some(attribute), Some(op), Some(value)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    if !op.eq_ignore_ascii_case("eq") {
        return Err(invalid());
    }
    let value: String = serde_json::from_str(value.trim()).map_err(|_| invalid())?;
    match attribute.to_ascii_lowercase().as_str() {
        "username" => Ok(Filter::UserName(value)),
        "externalid" => Ok(Filter::ExternalId(value)),
        "displayname" => Ok(Filter::DisplayName(value)),
        _ => Err(invalid()),
    }
}

fn list_response(total: i64, start_index: i64, resources: Vec<Value>) -> HttpResponse {
    ok(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start_index,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    )
}

fn paging(q: &ListQuery) -> ScimResult<(Option<Filter>, i64, i64)> {
    let filter = q.filter.as_deref().map(parse_filter).transpose()?;
    Ok((
        filter,
        q.start_index.unwrap_or(1).max(1),
        q.count.unwrap_or(DEFAULT_COUNT).clamp(0, 200),
    ))
}

// ---- PATCH (RFC 7644 §3.5.2) applied to the resource's JSON, then parsed like a PUT ----

struct PatchOp {
    op: String,
    path: Option<String>,
    value: Value,
}

fn patch_ops(body: &Value) -> ScimResult<Vec<PatchOp>> {
    let schemas_ok = attr(body, "schemas")
        .as_array()
        .is_some_and(|s| s.iter().any(|v| v == PATCH_SCHEMA));
    if !schemas_ok {
        return Err(ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("a PATCH body needs the schema {PATCH_SCHEMA}"),
        ));
    }
    attr(body, "Operations")
        .as_array()
        .ok_or_else(|| {
            ScimError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidSyntax"),
                "Operations is missing",
            )
        })?
        .iter()
        .map(|o| {
            let op = text(attr(o, "op"))
                .map(|s| s.to_ascii_lowercase())
                .unwrap_or_default();
            if !matches!(op.as_str(), "add" | "replace" | "remove") {
                return Err(ScimError::invalid_value(format!("unknown op `{op}`")));
            }
            Ok(PatchOp {
                op,
                path: text(attr(o, "path")),
                value: attr(o, "value").clone(),
            })
        })
        .collect()
}

/// How many levels a PATCH path may name: the enterprise extension, an attribute and one
/// sub-attribute (RFC 7644 §3.10: `[URI ":"] attrName ["." subAttr]`). Anything deeper is
/// refused rather than walked, so a crafted path cannot nest without bound.
const MAX_PATH_LEVELS: usize = 3;

/// Set (or, with `None`, remove) the attribute at a SCIM path in a resource: `attr`,
/// `attr.sub`, `urn:…:attr`, `attr[filter].sub` (the first matching, or primary, element).
fn set_path(doc: &mut Map<String, Value>, path: &str, value: Option<Value>) -> ScimResult<()> {
    let extension = format!("{ENTERPRISE_SCHEMA}:");
    let (mut doc, mut rest) = (doc, path);
    for _ in 0..MAX_PATH_LEVELS {
        // Extension attributes: "urn:…:User:department".
        if let Some(inner_path) = rest.strip_prefix(&extension) {
            let ext = doc
                .entry(ENTERPRISE_SCHEMA.to_string())
                .or_insert_with(|| json!({}));
            if !ext.is_object() {
                *ext = json!({});
            }
            let Value::Object(ext) = ext else {
                return Ok(());
            };
            (doc, rest) = (ext, inner_path);
            continue;
        }
        if let Some((head, filter)) = rest.split_once('[') {
            // emails[type eq "work"].value → the first (primary) element's sub-attribute.
            let sub = filter.split_once("].").map(|(_, s)| s.to_string());
            let list = doc.entry(head.to_string()).or_insert_with(|| json!([]));
            if !list.is_array() {
                *list = json!([]);
            }
            if let Value::Array(items) = list {
                match (sub, value) {
                    (Some(sub), Some(v)) => {
                        if items.is_empty() {
                            items.push(json!({ "primary": true }));
                        }
                        if let Some(Value::Object(first)) = items.first_mut() {
                            first.insert(sub, v);
                        }
                    }
                    (_, None) => items.clear(),
                    (None, Some(v)) => *list = v,
                }
            }
            return Ok(());
        }
        if let Some((head, sub)) = rest.split_once('.') {
            let key = existing_key(doc, head);
            let inner = doc.entry(key).or_insert_with(|| json!({}));
            if !inner.is_object() {
                *inner = json!({});
            }
            let Value::Object(inner) = inner else {
                return Ok(());
            };
            (doc, rest) = (inner, sub);
            continue;
        }
        let key = existing_key(doc, rest);
        match value {
            Some(v) => {
                doc.insert(key, v);
            }
            None => {
                doc.remove(&key);
            }
        }
        return Ok(());
    }
    let shown: String = path.chars().take(80).collect();
    Err(ScimError::new(
        StatusCode::BAD_REQUEST,
        Some("invalidPath"),
        format!("the path `{shown}` names more than an attribute and one sub-attribute"),
    ))
}

fn existing_key(doc: &Map<String, Value>, name: &str) -> String {
    doc.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

fn apply_user_patch(resource: &mut Value, ops: &[PatchOp]) -> ScimResult<()> {
    let Value::Object(doc) = resource else {
        return Ok(());
    };
    for op in ops {
        match (&op.path, op.op.as_str()) {
            (Some(path), "remove") => set_path(doc, path, None)?,
            (Some(path), _) => set_path(doc, path, Some(op.value.clone()))?,
            (None, "remove") => {
                return Err(ScimError::new(
                    StatusCode::BAD_REQUEST,
                    Some("noTarget"),
                    "remove needs a path",
                ));
            }
            (None, _) => {
                let Value::Object(values) = &op.value else {
                    return Err(ScimError::invalid_value(
                        "an op without path needs an object",
                    ));
                };
                for (k, v) in values {
                    set_path(doc, k, Some(v.clone()))?;
                }
            }
        }
    }
    Ok(())
}

// ---- handlers ----

/// `GET /scim/v2/ServiceProviderConfig`
async fn service_provider_config(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    respond(authenticate(&ctx, &req).map(|()| {
        ok(
            StatusCode::OK,
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "documentationUri": "https://github.com/groundswell/groundswell#connecting-your-identity-provider",
                "patch": { "supported": true },
                "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
                "filter": { "supported": true, "maxResults": 200 },
                "changePassword": { "supported": false },
                "sort": { "supported": false },
                "etag": { "supported": false },
                "authenticationSchemes": [{
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "The token configured as auth.scim.token",
                    "primary": true,
                }],
            }),
        )
    }))
}

/// `GET /scim/v2/ResourceTypes`
async fn resource_types(ctx: web::Data<AppContext>, req: HttpRequest) -> HttpResponse {
    respond(authenticate(&ctx, &req).map(|()| {
        let b = ctx.settings.instance.base();
        list_response(
            2,
            1,
            vec![
                json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                    "id": "User", "name": "User", "endpoint": "/Users", "schema": USER_SCHEMA,
                    "schemaExtensions": [{ "schema": ENTERPRISE_SCHEMA, "required": false }],
                    "meta": { "resourceType": "ResourceType", "location": format!("{b}/scim/v2/ResourceTypes/User") },
                }),
                json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
                    "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": GROUP_SCHEMA,
                    "meta": { "resourceType": "ResourceType", "location": format!("{b}/scim/v2/ResourceTypes/Group") },
                }),
            ],
        )
    }))
}

/// `GET /scim/v2/Users?filter=userName eq "…"&startIndex=1&count=100`
async fn list_users(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let (filter, start, count) = paging(&query)?;
            let (total, users) = ctx
                .db
                .read(move |conn| scim::list_users(conn, filter.as_ref(), start, count))
                .await?;
            Ok(list_response(
                total,
                start,
                users.iter().map(|u| user_json(&ctx, u)).collect(),
            ))
        }
        .await,
    )
}

/// `POST /scim/v2/Users`
async fn create_user(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let data = user_data(&parse_body(&body)?)?;
            let record = scim::create_user(
                &ctx.db,
                &ctx.settings.instance,
                &ctx.settings.auth.oidc,
                data,
            )
            .await?;
            let location = format!(
                "{}/scim/v2/Users/{}",
                ctx.settings.instance.base(),
                record.user.account.id
            );
            let mut resp = ok(StatusCode::CREATED, user_json(&ctx, &record));
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&location) {
                resp.headers_mut()
                    .insert(actix_web::http::header::LOCATION, value);
            }
            Ok(resp)
        }
        .await,
    )
}

/// `GET /scim/v2/Users/{id}`
async fn get_user(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            let record = ctx.db.read(move |conn| scim::get_user(conn, id)).await?;
            Ok(ok(StatusCode::OK, user_json(&ctx, &record)))
        }
        .await,
    )
}

/// `PUT /scim/v2/Users/{id}`
async fn replace_user(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            let data = user_data(&parse_body(&body)?)?;
            let oidc = ctx.settings.auth.oidc.clone();
            let record = ctx
                .db
                .write(move |conn| scim::replace_user(conn, &oidc, id, &data))
                .await?;
            Ok(ok(StatusCode::OK, user_json(&ctx, &record)))
        }
        .await,
    )
}

/// `PATCH /scim/v2/Users/{id}`: `replace`/`add`/`remove` operations, with or without path.
async fn patch_user(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            let ops = patch_ops(&parse_body(&body)?)?;
            let current = ctx.db.read(move |conn| scim::get_user(conn, id)).await?;
            let mut resource = user_json(&ctx, &current);
            apply_user_patch(&mut resource, &ops)?;
            let data = user_data(&resource)?;
            let oidc = ctx.settings.auth.oidc.clone();
            let record = ctx
                .db
                .write(move |conn| scim::replace_user(conn, &oidc, id, &data))
                .await?;
            Ok(ok(StatusCode::OK, user_json(&ctx, &record)))
        }
        .await,
    )
}

/// `DELETE /scim/v2/Users/{id}`: deprovision (suspend; the SCIM resource is gone).
async fn delete_user(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            ctx.db
                .write(move |conn| scim::delete_user(conn, id))
                .await?;
            Ok(HttpResponse::NoContent().finish())
        }
        .await,
    )
}

fn group_parts(v: &Value) -> ScimResult<(String, Option<String>, Vec<i64>)> {
    let name = text(attr(v, "displayName"))
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
    Ok((
        name,
        text(attr(v, "externalId")),
        member_values(attr(v, "members"))?,
    ))
}

/// `GET /scim/v2/Groups`
async fn list_groups(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let (filter, start, count) = paging(&query)?;
            let (total, groups) = ctx
                .db
                .read(move |conn| scim::list_groups(conn, filter.as_ref(), start, count))
                .await?;
            Ok(list_response(
                total,
                start,
                groups.iter().map(|g| group_json(&ctx, g)).collect(),
            ))
        }
        .await,
    )
}

/// `POST /scim/v2/Groups`
async fn create_group(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let (name, external_id, members) = group_parts(&parse_body(&body)?)?;
            let oidc = ctx.settings.auth.oidc.clone();
            let group = ctx
                .db
                .write(move |conn| scim::create_group(conn, &oidc, &name, external_id, &members))
                .await?;
            Ok(ok(StatusCode::CREATED, group_json(&ctx, &group)))
        }
        .await,
    )
}

/// `GET /scim/v2/Groups/{id}`
async fn get_group(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            let group = ctx.db.read(move |conn| scim::get_group(conn, id)).await?;
            Ok(ok(StatusCode::OK, group_json(&ctx, &group)))
        }
        .await,
    )
}

/// `PUT /scim/v2/Groups/{id}`
async fn replace_group(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            let (name, external_id, members) = group_parts(&parse_body(&body)?)?;
            let oidc = ctx.settings.auth.oidc.clone();
            let group = ctx
                .db
                .write(move |conn| {
                    scim::replace_group(conn, &oidc, id, &name, external_id, &members)
                })
                .await?;
            Ok(ok(StatusCode::OK, group_json(&ctx, &group)))
        }
        .await,
    )
}

/// `PATCH /scim/v2/Groups/{id}`: add/remove members (`members[value eq "id"]`), replace
/// members or displayName.
async fn patch_group(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            let ops = patch_ops(&parse_body(&body)?)?;
            let oidc = ctx.settings.auth.oidc.clone();
            let group = ctx
                .db
                .write(move |conn| {
                    let current = scim::get_group(conn, id)?;
                    let mut name = current.display_name.clone();
                    let mut external_id = current.external_id.clone();
                    let mut members: Vec<i64> = current.members.iter().map(|(m, _)| *m).collect();
                    for op in &ops {
                        let path = op.path.as_deref().unwrap_or_default().to_ascii_lowercase();
                        let value_members = || member_values(&op.value);
                        match (op.op.as_str(), path.as_str()) {
                            ("add", "members") => {
                                members.extend(value_members().map_err(to_error)?)
                            }
                            ("replace", "members") => {
                                members = value_members().map_err(to_error)?
                            }
                            ("remove", "members") if op.value.is_null() => members.clear(),
                            ("remove", "members") => {
                                let gone = value_members().map_err(to_error)?;
                                members.retain(|m| !gone.contains(m));
                            }
                            ("remove", p) if p.starts_with("members[") => {
                                let wanted = p
                                    .split('"')
                                    .nth(1)
                                    .and_then(|v| v.parse::<i64>().ok())
                                    .ok_or_else(|| {
                                        Error::bad_request(format!("unsupported path `{p}`"))
                                    })?;
                                members.retain(|m| *m != wanted);
                            }
                            ("replace" | "add", "displayname") => {
                                name = text(&op.value).ok_or_else(|| {
                                    Error::bad_request("displayName must be a string")
                                })?;
                            }
                            ("replace" | "add", "externalid") => external_id = text(&op.value),
                            ("replace" | "add", "") => {
                                if let Some(n) = text(attr(&op.value, "displayName")) {
                                    name = n;
                                }
                                if !attr(&op.value, "members").is_null() {
                                    members = member_values(attr(&op.value, "members"))
                                        .map_err(to_error)?;
                                }
                            }
                            (_, p) => {
                                return Err(Error::bad_request(format!("unsupported path `{p}`")));
                            }
                        }
                    }
                    scim::replace_group(conn, &oidc, id, &name, external_id, &members)
                })
                .await?;
            Ok(ok(StatusCode::OK, group_json(&ctx, &group)))
        }
        .await,
    )
}

fn to_error(e: ScimError) -> Error {
    Error::bad_request(e.detail)
}

/// `DELETE /scim/v2/Groups/{id}`
async fn delete_group(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    respond(
        async {
            authenticate(&ctx, &req)?;
            let id = parse_id(&path)?;
            let oidc = ctx.settings.auth.oidc.clone();
            ctx.db
                .write(move |conn| scim::delete_group(conn, &oidc, id))
                .await?;
            Ok(HttpResponse::NoContent().finish())
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_follow_rfc_7644() {
        assert_eq!(
            parse_filter("userName eq \"alice@corp.example\"").ok(),
            Some(Filter::UserName("alice@corp.example".into()))
        );
        assert_eq!(
            parse_filter("externalId EQ \"a b\"").ok(),
            Some(Filter::ExternalId("a b".into()))
        );
        assert!(parse_filter("userName co \"a\"").is_err());
        assert!(parse_filter("title eq \"x\"").is_err());
        assert!(parse_filter("userName eq alice").is_err());
    }

    #[test]
    fn patches_apply_to_the_resource() {
        let mut doc =
            json!({"userName": "a", "active": true, "emails": [{"value": "a@x", "primary": true}]});
        let ops = vec![
            PatchOp {
                op: "replace".into(),
                path: Some("active".into()),
                value: json!("False"),
            },
            PatchOp {
                op: "replace".into(),
                path: Some("emails[type eq \"work\"].value".into()),
                value: json!("b@x"),
            },
            PatchOp {
                op: "replace".into(),
                path: None,
                value: json!({"displayName": "B", "name.givenName": "Bee"}),
            },
            PatchOp {
                op: "add".into(),
                path: Some(format!("{ENTERPRISE_SCHEMA}:department")),
                value: json!("Eng"),
            },
        ];
        apply_user_patch(&mut doc, &ops).unwrap();
        let data = user_data(&doc).unwrap();
        assert!(!data.active);
        assert_eq!(data.email.as_deref(), Some("b@x"));
        assert_eq!(data.display_name.as_deref(), Some("B"));
        assert_eq!(data.department.as_deref(), Some("Eng"));
    }

    #[test]
    fn deep_patch_paths_are_refused_not_recursed_into() {
        let mut doc = json!({"userName": "a"});
        for path in [
            "a.".repeat(100_000),
            format!("{ENTERPRISE_SCHEMA}:").repeat(20_000),
        ] {
            let ops = vec![PatchOp {
                op: "replace".into(),
                path: Some(path),
                value: json!("x"),
            }];
            let Err(err) = apply_user_patch(&mut doc, &ops) else {
                panic!("a deep path was applied");
            };
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            assert_eq!(err.scim_type, Some("invalidPath"));
        }
    }
}
