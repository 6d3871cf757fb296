//! Request parameters the way Mastodon clients send them: a JSON body, a form body
//! (`application/x-www-form-urlencoded`) with Rails-style keys (`media_ids[]=1&media_ids[]=2`,
//! `poll[options][]=a`, `fields_attributes[0][name]=x`, `keywords_attributes[][keyword]=x`), and
//! the query string. All of them become one JSON object, then the handler's typed struct.
//! Unknown parameters are ignored.
//! Use the `lenient` deserializers on typed fields: form values arrive as strings.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Result};

/// Parameters from the query string and the body (body wins), deserialized into `T`.
/// A `multipart/form-data` body may carry text fields only: a file part is refused with 422
/// before it is read.
pub struct Params<T>(pub T);

/// A file from a `multipart/form-data` body, streamed to a temporary file under
/// `storage.data_dir/tmp/` while the request is read (never held in memory). The file is
/// removed when the `Upload` is dropped.
pub struct Upload {
    pub field: String,
    pub filename: Option<String>,
    pub file: tempfile::NamedTempFile,
    pub size: u64,
}

impl Upload {
    pub fn path(&self) -> &Path {
        self.file.path()
    }
}

/// The file parts an endpoint with [`ParamsWithFiles`] takes, each at most once. Any other
/// file part is refused with 422 before it is read.
pub trait FileFields {
    const FILES: &'static [&'static str];
    /// Whether the files may be video or audio (up to `limits.max_video_bytes`) as well as
    /// images (up to `limits.max_image_bytes`); the endpoint checks which limit applies.
    const TAKES_VIDEO: bool = false;
}

/// Most parts (text fields and files together) one multipart body may have; more get 413.
/// Mastodon's largest forms (profile with four fields, a filter with keywords) have a few
/// dozen. Rack, for comparison, allows 128 files.
pub const MAX_MULTIPART_PARTS: usize = 128;

/// Like [`Params`], and also accepts the files `T` names in [`FileFields`] (media uploads,
/// avatars). Each file may have up to `limits.max_image_bytes` (else 413; the larger of that
/// and `limits.max_video_bytes` where [`FileFields::TAKES_VIDEO`]); the whole body up to
/// `http.max_body_bytes` plus that much per file (else 413).
pub struct ParamsWithFiles<T>(pub T, pub Vec<Upload>);

impl<T: DeserializeOwned + FileFields + 'static> FromRequest for ParamsWithFiles<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<ParamsWithFiles<T>>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !is_multipart(req) {
            let params = Params::<T>::from_request(req, payload);
            return Box::pin(async move { Ok(ParamsWithFiles(params.await?.0, Vec::new())) });
        }
        let read = from_multipart::<T>(req, payload, T::FILES, T::TAKES_VIDEO);
        Box::pin(async move {
            let (params, files) = read.await?;
            Ok(ParamsWithFiles(params, files))
        })
    }
}

fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn body_too_large() -> Error {
    Error::new(ErrorKind::PayloadTooLarge, "Request body is too large")
}

/// What one multipart body may hold.
#[derive(Debug, Clone, Copy)]
struct MultipartLimits {
    /// All text fields together (names and values), in bytes.
    text: usize,
    /// One file, in bytes.
    file: usize,
    /// Whether the endpoint takes video and audio.
    video: bool,
    /// The whole body as sent (boundaries and part headers included), in bytes.
    total: usize,
}

impl MultipartLimits {
    fn new(settings: &crate::config::Settings, files: &[&str], video: bool) -> MultipartLimits {
        let text = settings.http.max_body_bytes;
        let file = if video {
            settings
                .limits
                .max_image_bytes
                .max(settings.limits.max_video_bytes)
        } else {
            settings.limits.max_image_bytes
        };
        MultipartLimits {
            text,
            file,
            video,
            total: text.saturating_add(file.saturating_mul(files.len())),
        }
    }
}

/// What [`from_multipart`] yields: the parameters and the uploaded files.
type MultipartFuture<T> = Pin<Box<dyn Future<Output = Result<(T, Vec<Upload>)>>>>;

/// Read a multipart body: the query string and text fields become `T`, the files in `files`
/// are streamed to temporary files. Every limit is checked while reading, so a body over one
/// is refused without being buffered.
fn from_multipart<T: DeserializeOwned + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    files: &'static [&'static str],
    video: bool,
) -> MultipartFuture<T> {
    use futures_util::StreamExt;
    let ctx = req
        .app_data::<web::Data<crate::context::AppContext>>()
        .cloned();
    let Some(ctx) = ctx else {
        return Box::pin(async { Err(Error::internal(anyhow::anyhow!("no app context"))) });
    };
    let limits = MultipartLimits::new(&ctx.settings, files, video);
    if super::declared_length(req).is_some_and(|len| len > limits.total as u64) {
        return Box::pin(async { Err(body_too_large()) });
    }
    let query = req.query_string().to_string();
    // Count every byte as it arrives, whatever the parts say about themselves.
    let mut seen = 0usize;
    let limited = payload.take().map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len());
        if seen > limits.total {
            Err(actix_web::error::PayloadError::Overflow)
        } else {
            Ok(chunk)
        }
    });
    let multipart = actix_multipart::Multipart::new(req.headers(), limited);
    Box::pin(async move {
        let mut merged = Map::new();
        merge_form(&mut merged, query.as_bytes())?;
        let (fields, uploads) = read_multipart(multipart, limits, files, &ctx.settings).await?;
        for (name, value) in fields {
            insert_path(&mut merged, &split_key(&name)?, Value::String(value));
        }
        let params = serde_json::from_value(Value::Object(merged))
            .map_err(|e| Error::unprocessable(format!("Validation failed: {e}")))?;
        Ok((params, uploads))
    })
}

fn multipart_error(e: actix_multipart::MultipartError) -> Error {
    match e {
        actix_multipart::MultipartError::Payload(actix_web::error::PayloadError::Overflow) => {
            body_too_large()
        }
        e => Error::bad_request(format!("Cannot read the multipart body: {e}")),
    }
}

async fn read_multipart(
    mut multipart: actix_multipart::Multipart,
    limits: MultipartLimits,
    files: &[&str],
    settings: &crate::config::Settings,
) -> Result<(Vec<(String, String)>, Vec<Upload>)> {
    use futures_util::StreamExt;
    let mut fields = Vec::new();
    let mut uploads: Vec<Upload> = Vec::new();
    let mut text_total = 0usize;
    let mut parts = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        parts += 1;
        if parts > MAX_MULTIPART_PARTS {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!("The request has too many parts (at most {MAX_MULTIPART_PARTS})"),
            ));
        }
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(String::from);
        let Some(filename) = filename else {
            text_total += name.len();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(multipart_error)?;
                if text_total + bytes.len() + chunk.len() > limits.text {
                    return Err(body_too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
            text_total += bytes.len();
            let value = String::from_utf8(bytes)
                .map_err(|_| Error::bad_request(format!("Field `{name}` is not UTF-8 text")))?;
            fields.push((name, value));
            continue;
        };
        // Decide on a file from its headers alone, before reading a byte of it.
        if files.is_empty() {
            return Err(Error::unprocessable(
                "This endpoint does not take file uploads",
            ));
        }
        if !files.contains(&name.as_str()) {
            return Err(Error::unprocessable(format!(
                "Validation failed: unexpected file `{name}` (this endpoint takes {})",
                files.join(", ")
            )));
        }
        if uploads.iter().any(|u| u.field == name) {
            return Err(Error::unprocessable(format!(
                "Validation failed: the file `{name}` was sent twice"
            )));
        }
        let dir = crate::service::media::upload_dir(settings);
        let (file, mut out) = tokio::task::spawn_blocking(move || -> Result<_> {
            std::fs::create_dir_all(&dir).map_err(Error::internal)?;
            let file = tempfile::Builder::new()
                .prefix(crate::service::media::UPLOAD_PREFIX)
                .tempfile_in(&dir)
                .map_err(Error::internal)?;
            let out = file.reopen().map_err(Error::internal)?;
            Ok((file, out))
        })
        .await
        .map_err(Error::internal)??;
        let mut size = 0u64;
        let mut pending = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            size += chunk.len() as u64;
            if size > limits.file as u64 {
                return Err(crate::service::media::too_large(settings, limits.video));
            }
            pending.push(chunk);
            // Write in batches of about 256 KiB, on the blocking pool.
            if pending.iter().map(|c| c.len()).sum::<usize>() >= 256 * 1024 {
                out = write_chunks(out, std::mem::take(&mut pending)).await?;
            }
        }
        write_chunks(out, pending).await?;
        uploads.push(Upload {
            field: name,
            filename: Some(filename),
            file,
            size,
        });
    }
    Ok((fields, uploads))
}

async fn write_chunks(mut out: std::fs::File, chunks: Vec<web::Bytes>) -> Result<std::fs::File> {
    tokio::task::spawn_blocking(move || -> Result<std::fs::File> {
        use std::io::Write;
        for chunk in chunks {
            out.write_all(&chunk).map_err(Error::internal)?;
        }
        Ok(out)
    })
    .await
    .map_err(Error::internal)?
}

impl<T: DeserializeOwned + 'static> FromRequest for Params<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Params<T>>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if is_multipart(req) {
            // Some clients send every form as multipart; text fields only here, and the body
            // is held to the JSON/form limit.
            let read = from_multipart::<T>(req, payload, &[], false);
            return Box::pin(async move { Ok(Params(read.await?.0)) });
        }
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let query = req.query_string().to_string();
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body =
                bytes
                    .await
                    .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                        Some(actix_web::error::PayloadError::Overflow) => {
                            Error::new(ErrorKind::PayloadTooLarge, "Request body is too large")
                        }
                        _ => Error::bad_request(format!("Cannot read the request body: {e}")),
                    })?;
            let mut merged = Map::new();
            merge_form(&mut merged, query.as_bytes())?;
            if !body.is_empty() {
                if content_type.starts_with("application/json") {
                    match serde_json::from_slice::<Value>(&body) {
                        Ok(Value::Object(map)) => merged.extend(map),
                        Ok(_) => {
                            return Err(Error::unprocessable("The JSON body must be an object"));
                        }
                        Err(e) => {
                            return Err(Error::unprocessable(format!("Invalid JSON body: {e}")));
                        }
                    }
                } else {
                    merge_form(&mut merged, &body)?;
                }
            }
            serde_json::from_value(Value::Object(merged))
                .map(Params)
                .map_err(|e| Error::unprocessable(format!("Validation failed: {e}")))
        })
    }
}

/// How deeply a form key may nest (`a[b][c]` is 3 levels). Rack's `param_depth_limit` is 32;
/// Mastodon's deepest keys (`keywords_attributes[][keyword]`) have 3. A bound is what keeps a
/// crafted key of thousands of brackets from building a value so deep that dropping or
/// deserializing it overflows the stack.
pub const MAX_KEY_DEPTH: usize = 32;

/// Parse a form/query string with Rails-style keys into `target`. A key nested deeper than
/// [`MAX_KEY_DEPTH`] is refused with 400.
pub fn merge_form(target: &mut Map<String, Value>, raw: &[u8]) -> Result<()> {
    for (key, value) in url::form_urlencoded::parse(raw) {
        let path = split_key(&key)?;
        insert_path(target, &path, Value::String(value.into_owned()));
    }
    Ok(())
}

fn too_deep(key: &str) -> Error {
    let shown: String = key.chars().take(40).collect();
    let more = if shown.len() < key.len() { "…" } else { "" };
    Error::bad_request(format!(
        "The parameter `{shown}{more}` is nested too deeply (at most {MAX_KEY_DEPTH} levels)"
    ))
}

/// `a[b][]` → `["a", "b", ""]`.
fn split_key(key: &str) -> Result<Vec<String>> {
    let mut parts = Vec::new();
    match key.find('[') {
        None => parts.push(key.to_string()),
        Some(i) => {
            parts.push(key[..i].to_string());
            let mut rest = &key[i..];
            while let Some(stripped) = rest.strip_prefix('[') {
                match stripped.find(']') {
                    Some(end) => {
                        if parts.len() == MAX_KEY_DEPTH {
                            return Err(too_deep(key));
                        }
                        parts.push(stripped[..end].to_string());
                        rest = &stripped[end + 1..];
                    }
                    None => break,
                }
            }
        }
    }
    Ok(parts)
}

/// Put `value` at `path` in `target`, creating objects and arrays on the way. A loop, not
/// recursion: the depth is bounded by [`split_key`], but nothing here relies on it.
fn insert_path(target: &mut Map<String, Value>, path: &[String], value: Value) {
    let mut map = target;
    let mut path = path;
    loop {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            map.insert(first.clone(), value);
            return;
        }
        if rest.len() == 1 && rest[0].is_empty() {
            // key[] → array
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            match entry {
                Value::Array(items) => items.push(value),
                other => *other = Value::Array(vec![value]),
            }
            return;
        }
        if rest[0].is_empty() {
            // key[][field]=… → array of objects. As in Rails, a field goes into the last
            // object unless that object already has it, which starts the next one.
            let entry = map
                .entry(first.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if !entry.is_array() {
                *entry = Value::Array(Vec::new());
            }
            let Value::Array(items) = entry else {
                return;
            };
            let starts_new = match items.last() {
                Some(Value::Object(last)) => last.contains_key(&rest[1]),
                _ => true,
            };
            if starts_new {
                items.push(Value::Object(Map::new()));
            }
            let Some(Value::Object(last)) = items.last_mut() else {
                return;
            };
            map = last;
            path = &rest[1..];
            continue;
        }
        let entry = map
            .entry(first.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        map = next;
        path = rest;
    }
}

/// Deserializers that accept both JSON types and the strings forms send.
pub mod lenient {
    use serde::{Deserialize, Deserializer, de::Error as _};
    use serde_json::Value;

    fn as_bool(v: &Value) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_i64() != Some(0)),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "on" | "yes" => Some(true),
                "false" | "0" | "off" | "no" | "" => Some(false),
                _ => None,
            },
            Value::Null => None,
            _ => None,
        }
    }

    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        let v = Value::deserialize(d)?;
        if v.is_null() {
            return Ok(None);
        }
        as_bool(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a boolean, got {v}")))
    }

    pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("expected a positive number, got {v}"))),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| D::Error::custom(format!("expected a positive number, got {s:?}"))),
            _ => Err(D::Error::custom(format!("expected a number, got {v}"))),
        }
    }

    /// An id or other string that JSON clients may send as a number.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let v = Value::deserialize(d)?;
        match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(D::Error::custom(format!("expected a string, got {other}"))),
        }
    }

    /// A list, a single value, or a space/comma-separated string (`scopes`, `redirect_uris`).
    pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        let v = Value::deserialize(d)?;
        let one = |v: Value| match v {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(D::Error::custom(format!("expected a string, got {other}"))),
        };
        match v {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items.into_iter().map(one).collect(),
            other => Ok(vec![one(other)?]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rails_style_form_keys_become_nested_json() {
        let mut map = Map::new();
        merge_form(
            &mut map,
            b"status=hi&media_ids[]=1&media_ids[]=2&poll[options][]=a&poll[options][]=b&poll[expires_in]=60&fields_attributes[0][name]=Team",
        )
        .unwrap();
        assert_eq!(
            Value::Object(map),
            serde_json::json!({
                "status": "hi",
                "media_ids": ["1", "2"],
                "poll": {"options": ["a", "b"], "expires_in": "60"},
                "fields_attributes": {"0": {"name": "Team"}},
            })
        );
    }

    #[test]
    fn rails_style_arrays_of_objects() {
        let mut map = Map::new();
        merge_form(
            &mut map,
            b"keywords_attributes[][keyword]=foo&keywords_attributes[][whole_word]=false\
              &keywords_attributes[][keyword]=bar&keywords_attributes[][id]=7\
              &keywords_attributes[][_destroy]=true&keywords_attributes[][id]=8",
        )
        .unwrap();
        assert_eq!(
            Value::Object(map),
            serde_json::json!({
                "keywords_attributes": [
                    {"keyword": "foo", "whole_word": "false"},
                    {"keyword": "bar", "id": "7", "_destroy": "true"},
                    {"id": "8"},
                ],
            })
        );
    }

    #[test]
    fn keys_nested_too_deeply_are_refused_not_recursed_into() {
        let at_limit = format!("a{}", "[x]".repeat(MAX_KEY_DEPTH - 1));
        let mut map = Map::new();
        merge_form(&mut map, format!("{at_limit}=1").as_bytes()).unwrap();
        let mut depth = 0;
        let mut cur = &Value::Object(map);
        while let Some(next) = cur.as_object().and_then(|m| m.values().next()) {
            depth += 1;
            cur = next;
        }
        assert_eq!(depth, MAX_KEY_DEPTH);

        // 4,000 levels (the attack) and one level too many: 400, and no deep value built.
        for key in [
            format!("a{}", "[x]".repeat(4000)),
            format!("a{}", "[x]".repeat(MAX_KEY_DEPTH)),
            format!("a{}", "[]".repeat(4000)),
        ] {
            let mut map = Map::new();
            let err = merge_form(&mut map, format!("{key}=1").as_bytes()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BadRequest);
            assert!(
                err.message().contains("nested too deeply"),
                "{}",
                err.message()
            );
            assert!(err.message().len() < 200, "the key is not echoed whole");
        }
    }
}
