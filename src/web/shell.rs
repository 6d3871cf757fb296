//! What every page of the employee web app shares: who is signed in, the layout's fields
//! and the texts in the browser's language, the answer to a visitor who is not, the CSRF check of a form, a readable error page and
//! the way back after a form.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse};

use super::i18n::Texts;
use super::pages::form_expired;
pub use super::pages::{error_page, sign_in_first};
use super::session;
use crate::context::AppContext;
use crate::error::Result;
use crate::service::users::LocalUser;

/// The fields `app.html` shows on every page, and the signed-in employee.
pub struct Shell {
    /// The page's texts, in the language the browser asks for.
    pub t: Texts,
    pub instance_name: String,
    pub domain: String,
    pub username: String,
    pub csrf_token: String,
    pub user: LocalUser,
    /// This page's path and query: where a form on it comes back to.
    pub here: String,
}

impl Shell {
    pub fn me(&self) -> i64 {
        self.user.account.id
    }

    /// Whether a form's CSRF token is this session's.
    pub fn csrf_ok(&self, token: &str) -> bool {
        crate::auth::secrets::same_secret(token, &self.csrf_token)
    }
}

/// A form that only says where to come back to (an action on a post or an account).
#[derive(Debug, serde::Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    pub csrf_token: String,
    #[serde(default, deserialize_with = "crate::http::params::lenient::opt_string")]
    pub return_to: Option<String>,
}

/// The signed-in employee of a page request, or the redirect to the sign-in page that comes
/// back here.
pub async fn signed_in(
    ctx: &AppContext,
    req: &HttpRequest,
) -> Result<std::result::Result<Shell, HttpResponse>> {
    let here = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    let Some((web_session, user)) = session::current(ctx, req).await? else {
        let back = if req.method() == actix_web::http::Method::GET {
            here
        } else {
            "/".to_string()
        };
        return Ok(Err(sign_in_first(&back)));
    };
    Ok(Ok(Shell {
        t: Texts::of(req),
        instance_name: ctx.settings.instance.name.clone(),
        domain: ctx.settings.instance.domain.as_str().to_string(),
        username: user.account.username.clone(),
        csrf_token: web_session.csrf_token,
        user,
        here,
    }))
}

/// The page for a form whose CSRF token is not the session's.
pub fn expired_form(ctx: &AppContext, t: Texts) -> HttpResponse {
    form_expired(ctx, t).unwrap_or_else(|e| error_page(ctx, t, &e))
}

/// A page of the app: `body` for the signed-in employee, or the way to the sign-in page;
/// what goes wrong is a readable page.
pub async fn page(
    ctx: &AppContext,
    req: &HttpRequest,
    body: impl AsyncFnOnce(Shell) -> Result<HttpResponse>,
) -> HttpResponse {
    let result = async {
        match signed_in(ctx, req).await? {
            Ok(shell) => body(shell).await,
            Err(redirect) => Ok(redirect),
        }
    }
    .await;
    page_or_error(ctx, Texts::of(req), result)
}

/// A form of the app: as [`page`], once the form's `csrf_token` is the session's.
pub async fn form_of(
    ctx: &AppContext,
    req: &HttpRequest,
    csrf_token: &str,
    body: impl AsyncFnOnce(Shell) -> Result<HttpResponse>,
) -> HttpResponse {
    page(ctx, req, async |shell| {
        if !shell.csrf_ok(csrf_token) {
            return Ok(expired_form(ctx, shell.t));
        }
        body(shell).await
    })
    .await
}

/// A page handler's result as a response: errors become readable pages.
pub fn page_or_error(ctx: &AppContext, t: Texts, result: Result<HttpResponse>) -> HttpResponse {
    result.unwrap_or_else(|e| error_page(ctx, t, &e))
}

/// Whether the page's script sent the form (`X-Requested-With: fetch`): it updates the page
/// itself, so the answer is `204 No Content` rather than the way back.
pub fn from_script(req: &HttpRequest) -> bool {
    req.headers()
        .get("x-requested-with")
        .is_some_and(|v| v.as_bytes() == b"fetch")
}

/// Back to a local path after a form (`return_to`, or `fallback`), with `done` telling the
/// page what just happened and `anchor` the post to scroll to.
pub fn back_to(
    return_to: Option<&str>,
    fallback: &str,
    done: Option<&str>,
    anchor: Option<&str>,
) -> HttpResponse {
    let mut back = match return_to {
        Some(raw) if !raw.is_empty() => super::pages::safe_return_to(Some(raw)),
        _ => fallback.to_string(),
    };
    if let Some(i) = back.find('#') {
        back.truncate(i);
    }
    if let Some(done) = done {
        // One notice at a time: an earlier `done=` is replaced.
        let (path, query) = back.split_once('?').unwrap_or((back.as_str(), ""));
        let mut kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(k, _)| k != "done")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        kept.push(("done".into(), done.into()));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(kept)
            .finish();
        back = format!("{path}?{query}");
    }
    if let Some(anchor) = anchor {
        back.push('#');
        back.push_str(anchor);
    }
    HttpResponse::SeeOther()
        .insert_header((LOCATION, back))
        .finish()
}
