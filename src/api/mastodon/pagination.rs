//! Mastodon's `Link` header for paged lists.
//! <https://docs.joinmastodon.org/api/guidelines/#pagination>

use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Deserialize;

use crate::api::params::lenient;
use crate::context::AppContext;
use crate::service::pagination::Page;

/// `max_id`, `since_id`, `min_id`, `limit` as clients send them.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub max_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub since_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub min_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub limit: Option<u32>,
}

impl PageParams {
    /// Mastodon's defaults: 20 items, at most 40.
    pub fn page(&self) -> Page {
        self.page_with(20, 40)
    }

    pub fn page_with(&self, default: i64, max: i64) -> Page {
        Page::new(
            self.max_id.as_deref(),
            self.since_id.as_deref(),
            self.min_id.as_deref(),
            self.limit,
            default,
            max,
        )
    }
}

/// `200 OK` with `Link: <…?max_id=OLDEST>; rel="next", <…?min_id=NEWEST>; rel="prev"` built from
/// the ids that page the list (newest first), keeping the request's other parameters.
pub fn paged_response(ctx: &AppContext, req: &HttpRequest, ids: &[i64]) -> HttpResponseBuilder {
    let mut resp = HttpResponse::Ok();
    if let (Some(newest), Some(oldest)) = (ids.first(), ids.last()) {
        let base = ctx.settings.instance.base_url();
        let url = |key: &str, value: i64| {
            let mut out = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
                if !matches!(k.as_ref(), "max_id" | "min_id" | "since_id") {
                    out.append_pair(&k, &v);
                }
            }
            out.append_pair(key, &value.to_string());
            format!(
                "{}{}?{}",
                base.as_str().trim_end_matches('/'),
                req.path(),
                out.finish()
            )
        };
        resp.insert_header((
            "Link",
            format!(
                "<{}>; rel=\"next\", <{}>; rel=\"prev\"",
                url("max_id", *oldest),
                url("min_id", *newest)
            ),
        ));
    }
    resp
}

/// `200 OK` with Mastodon's `Link` header for lists paged by `offset` (trends): `next` when
/// the page was full, `prev` when it did not start at the top; the request's other
/// parameters are kept.
pub fn offset_response(
    ctx: &AppContext,
    req: &HttpRequest,
    offset: usize,
    limit: usize,
    returned: usize,
) -> HttpResponseBuilder {
    let mut resp = HttpResponse::Ok();
    let base = ctx.settings.instance.base_url();
    let url = |value: usize| {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
            if k != "offset" {
                out.append_pair(&k, &v);
            }
        }
        out.append_pair("offset", &value.to_string());
        format!(
            "{}{}?{}",
            base.as_str().trim_end_matches('/'),
            req.path(),
            out.finish()
        )
    };
    let mut links = Vec::new();
    if returned > 0 && returned == limit {
        links.push(format!("<{}>; rel=\"next\"", url(offset + limit)));
    }
    if offset > 0 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            url(offset.saturating_sub(limit))
        ));
    }
    if !links.is_empty() {
        resp.insert_header(("Link", links.join(", ")));
    }
    resp
}
