//! Who is calling: bearer tokens for the API, session cookies for pages.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::auth::Scopes;
use crate::context::AppContext;
use crate::error::{Error, ErrorKind, Result};
use crate::service::oauth::{self, TokenOwner};
use crate::service::users::{LocalUser, Role};

/// A request with a valid bearer token (`Authorization: Bearer …`). Missing, unknown, revoked
/// or expired tokens, and tokens of suspended employees, get `401`.
#[derive(Debug, Clone)]
pub struct Auth(pub Arc<TokenOwner>);

/// A request that may carry a bearer token (public endpoints). An invalid token still gets
/// `401`, as on Mastodon.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Auth>);

impl Auth {
    /// Refuse with `403` unless the token's scopes cover `scope`.
    pub fn require(&self, scope: &str) -> Result<()> {
        if self.0.scopes.allows(scope) {
            Ok(())
        } else {
            Err(Error::forbidden(
                "This action is outside the authorized scopes",
            ))
        }
    }

    /// The employee behind the token; app-only tokens get `422` as on Mastodon.
    pub fn user(&self) -> Result<&LocalUser> {
        self.0
            .user
            .as_ref()
            .ok_or_else(|| Error::unprocessable("This method requires an authenticated user"))
    }

    /// The scope check and the employee, for endpoints that act as a user.
    pub fn user_with(&self, scope: &str) -> Result<&LocalUser> {
        self.require(scope)?;
        self.user()
    }

    /// Admin endpoints: the scope and the role.
    pub fn admin_with(&self, scope: &str, role: Role) -> Result<&LocalUser> {
        let user = self.user_with(scope)?;
        if user.role() >= role {
            Ok(user)
        } else {
            Err(Error::forbidden("This action is not allowed"))
        }
    }

    pub fn scopes(&self) -> &Scopes {
        &self.0.scopes
    }
}

impl MaybeAuth {
    /// The viewer's account id, if a user token was given and it carries `scope`.
    pub fn viewer(&self, scope: &str) -> Result<Option<&LocalUser>> {
        match &self.0 {
            None => Ok(None),
            Some(auth) => {
                auth.require(scope)?;
                Ok(auth.0.user.as_ref())
            }
        }
    }
}

/// The bearer token of a request: the `Authorization` header, or `access_token` in the query
/// (as Mastodon accepts for streaming and some clients).
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req.headers().get(actix_web::http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
            .filter(|t| !t.is_empty());
    }
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .filter(|t| !t.is_empty())
}

async fn resolve(ctx: web::Data<AppContext>, token: String) -> Result<Auth> {
    let auth = oauth::bearer(&ctx, &token)
        .await?
        .map(Auth)
        .ok_or_else(|| Error::new(ErrorKind::Unauthorized, "The access token is invalid"))?;
    ctx.rate_limits
        .check_api(format!("token:{}", auth.0.token.id))?;
    // An employee using an app is active today (counted, never shown one by one), and the
    // token's last use shows in their settings.
    ctx.activity
        .token_used(auth.0.token.id, auth.0.user.as_ref().map(|u| u.account.id));
    Ok(auth)
}

fn context(req: &HttpRequest) -> Result<web::Data<AppContext>> {
    req.app_data::<web::Data<AppContext>>()
        .cloned()
        .ok_or_else(|| Error::internal(anyhow::anyhow!("AppContext missing from app data")))
}

impl FromRequest for Auth {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Auth>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let ctx = context(req);
        Box::pin(async move {
            let token = token.ok_or_else(|| {
                Error::new(ErrorKind::Unauthorized, "The access token is invalid")
            })?;
            resolve(ctx?, token).await
        })
    }
}

impl FromRequest for MaybeAuth {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<MaybeAuth>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let ctx = context(req);
        let address = ctx.as_ref().ok().map(|ctx| {
            crate::http::client_address::client_address(req, &ctx.settings.http.trusted_proxies)
        });
        Box::pin(async move {
            match token {
                None => {
                    let address = address.unwrap_or_default();
                    ctx?.rate_limits.check_api(format!("addr:{address}"))?;
                    Ok(MaybeAuth(None))
                }
                Some(token) => Ok(MaybeAuth(Some(resolve(ctx?, token).await?))),
            }
        })
    }
}
