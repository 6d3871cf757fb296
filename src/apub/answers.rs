//! What other servers answer our HTTP client, judged before the federation library reads it.
//!
//! The library parses whatever comes back to a fetch: a GoToSocial 500 or a proxy's HTML error
//! page ends up as "cannot parse" with the page in the message, and the status is lost. Here a
//! fetch (`GET`) that fails or answers something that is not JSON becomes an error that says
//! so, and is logged at WARN with the URL and the status; the library never sees the body.
//! A delivery (`POST`) answered with a 4xx is an error too (the library would count it as
//! delivered): 401, 408 and 429 are retried with backoff like a 5xx (a peer that could not
//! fetch our key yet, or is busy); any other 4xx is a refusal for good, carrying its status in
//! the `refused_status` detail, which the delivery worker records and does not retry (as
//! Mastodon judges answers). 5xx answers go on to the library, which reports them as failures.

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Request, Response, StatusCode};
use reqwest_middleware::{Middleware, Next};

use crate::error::Error;

/// A `reqwest_middleware` layer of our federation client (see [`crate::apub::init`]).
pub struct CheckAnswers;

#[async_trait::async_trait]
impl Middleware for CheckAnswers {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let method = req.method().clone();
        let url = req.url().clone();
        let res = next.run(req, extensions).await?;
        let status = res.status();
        if method != Method::GET {
            if !status.is_client_error() {
                return Ok(res);
            }
            let code = status.as_u16();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                // The usual interop failure: the peer could not verify our signature, or its
                // policy does not allow us.
                tracing::warn!(%url, status = code, "another server refused a delivery");
            } else {
                tracing::info!(%url, status = code, "another server rejected a delivery");
            }
            let error = Error::bad_gateway(format!(
                "{} answered the delivery with HTTP {code}",
                host(&url)
            ));
            return Err(reqwest_middleware::Error::middleware(
                if delivery_retried(status) {
                    error
                } else {
                    error.with_detail(REFUSED_STATUS, code)
                },
            ));
        }
        let content_type = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        match judge(status, content_type.as_deref()) {
            Verdict::Pass => Ok(res),
            Verdict::NotFound => {
                tracing::debug!(%url, status = status.as_u16(), "another server has no such object");
                Err(reqwest_middleware::Error::middleware(Error::not_found()))
            }
            Verdict::Failed => {
                tracing::warn!(%url, status = status.as_u16(), "another server failed to answer a fetch");
                Err(reqwest_middleware::Error::middleware(Error::bad_gateway(
                    format!("{} answered HTTP {}", host(&url), status.as_u16()),
                )))
            }
            Verdict::Refused => {
                tracing::warn!(%url, status = status.as_u16(), "another server refused our signed fetch");
                Err(reqwest_middleware::Error::middleware(Error::bad_gateway(
                    format!(
                        "{} refused our signed fetch (HTTP {})",
                        host(&url),
                        status.as_u16()
                    ),
                )))
            }
            Verdict::NotJson => {
                let content_type = content_type.unwrap_or_default();
                tracing::warn!(%url, status = status.as_u16(), content_type, "another server answered a fetch with a body that is not ActivityPub");
                Err(reqwest_middleware::Error::middleware(Error::bad_gateway(
                    format!(
                        "{} did not answer with ActivityPub (HTTP {}, {content_type})",
                        host(&url),
                        status.as_u16()
                    ),
                )))
            }
        }
    }
}

/// The detail of a delivery's error that says another server refused it for good, with the
/// HTTP status it answered.
pub const REFUSED_STATUS: &str = "refused_status";

/// Whether a delivery answered with this 4xx is tried again: 401 (the peer could not verify
/// our signature yet: our key may have been unreachable), 408 and 429.
fn delivery_retried(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_MANY_REQUESTS
    )
}

/// The status another server refused a delivery with for good, if `error` says so.
pub fn refused_for_good(error: &Error) -> Option<u16> {
    error
        .details()?
        .get(REFUSED_STATUS)?
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Hand the answer to the library: a JSON document, a redirect it follows, a 410 it
    /// reads as "deleted".
    Pass,
    NotFound,
    /// 5xx, or a 4xx that says nothing about the object (400, 405, 429 …).
    Failed,
    /// 401 or 403: the other server did not accept our signature or does not allow us.
    Refused,
    /// A 2xx whose body is not JSON (an HTML page, plain text).
    NotJson,
}

fn judge(status: StatusCode, content_type: Option<&str>) -> Verdict {
    if status == StatusCode::GONE || status.is_redirection() {
        return Verdict::Pass;
    }
    if status == StatusCode::NOT_FOUND {
        return Verdict::NotFound;
    }
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return Verdict::Refused;
    }
    if !status.is_success() {
        return Verdict::Failed;
    }
    // ActivityPub (`application/activity+json`, `application/ld+json; profile=…`) and
    // WebFinger (`application/jrd+json`, often plain `application/json`) are all JSON. An
    // answer without a content type is left to the library, which refuses it for objects.
    match content_type {
        Some(t) if !t.contains("json") => Verdict::NotJson,
        _ => Verdict::Pass,
    }
}

fn host(url: &url::Url) -> String {
    crate::service::policy::authority(url).unwrap_or_else(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_and_html_are_told_apart_from_documents() {
        let json = Some("application/activity+json; charset=utf-8");
        assert_eq!(judge(StatusCode::OK, json), Verdict::Pass);
        assert_eq!(
            judge(StatusCode::OK, Some("application/jrd+json")),
            Verdict::Pass
        );
        assert_eq!(judge(StatusCode::OK, None), Verdict::Pass);
        assert_eq!(judge(StatusCode::GONE, Some("text/html")), Verdict::Pass);
        assert_eq!(judge(StatusCode::FOUND, None), Verdict::Pass);
        assert_eq!(
            judge(StatusCode::OK, Some("text/html; charset=utf-8")),
            Verdict::NotJson
        );
        assert_eq!(judge(StatusCode::NOT_FOUND, json), Verdict::NotFound);
        assert_eq!(judge(StatusCode::UNAUTHORIZED, json), Verdict::Refused);
        assert_eq!(
            judge(StatusCode::INTERNAL_SERVER_ERROR, json),
            Verdict::Failed
        );
        assert_eq!(
            judge(StatusCode::BAD_GATEWAY, Some("text/html")),
            Verdict::Failed
        );
        assert_eq!(judge(StatusCode::TOO_MANY_REQUESTS, None), Verdict::Failed);
    }
}
