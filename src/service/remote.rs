//! What the use cases ask of other departments, as a step before their transaction: an
//! account by its address, a post or account by its URL, the accounts a post mentions. The
//! rules (which departments, which mentions, how many) are here; the ActivityPub layer only
//! fetches, verifies and maps (it implements [`Remote`] for the application context).

use url::Url;

use crate::context::AppContext;
use crate::db::models::{Account, Status};
use crate::error::{Error, Result};

/// How many accounts of other departments one post may bring in (the rest stay plain text).
const MAX_RESOLVED_MENTIONS: usize = 10;

/// Fetching from another department.
#[async_trait::async_trait]
pub trait Remote: Send + Sync {
    /// `user@domain` through WebFinger, stored.
    async fn fetch_account(&self, user: &str, domain: &str) -> Result<Account>;
    /// A post, else an account, by its ActivityPub id, stored.
    async fn fetch_url(&self, url: &Url) -> Result<Found>;
}

/// What a URL named.
pub enum Found {
    Account(Box<Account>),
    Status(Box<Status>),
}

/// `user@domain` (a leading `@` allowed) of another department we may federate with, from
/// our records or else from its department.
pub async fn account(ctx: &AppContext, acct: &str) -> Result<Account> {
    let acct = acct.trim().trim_start_matches('@');
    let (user, domain) = acct
        .rsplit_once('@')
        .ok_or_else(|| Error::bad_request("Expected user@domain"))?;
    if user.is_empty() || domain.is_empty() {
        return Err(Error::bad_request("Expected user@domain"));
    }
    let domain = domain.to_ascii_lowercase();
    if !ctx.policy.allows_domain(&domain).await {
        return Err(Error::not_found());
    }
    ctx.fetch_account(user, &domain).await
}

/// An account or post by its URL, from an allowed department.
pub async fn url(ctx: &AppContext, url: &Url) -> Result<Found> {
    ctx.policy
        .check_url(url)
        .await
        .map_err(|_| Error::not_found())?;
    ctx.fetch_url(url).await
}

/// Before posting: fetch the accounts of other departments that `text` mentions and we do
/// not know yet, so the post links and notifies them. Failures leave the mention as plain
/// text.
pub async fn mentioned_accounts(ctx: &AppContext, text: &str) {
    if !ctx.policy.enabled() {
        return;
    }
    let own = ctx.settings.instance.domain.as_str().to_ascii_lowercase();
    let policy = match ctx.policy.current().await {
        Ok(policy) => policy,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the federation policy; mentions stay text");
            return;
        }
    };
    let wanted: Vec<String> = crate::service::text::scan(text)
        .mentions
        .into_iter()
        .filter_map(|m| Some((m.username, m.domain?.to_ascii_lowercase())))
        .filter(|(_, d)| *d != own && policy.allows_domain(d))
        .map(|(u, d)| format!("{u}@{d}"))
        .take(MAX_RESOLVED_MENTIONS)
        .collect();
    for acct in wanted {
        let settings = ctx.settings.clone();
        let lookup = acct.clone();
        let known = ctx
            .db
            .read(move |conn| crate::service::accounts::lookup(conn, &settings, &lookup))
            .await
            .is_ok();
        if !known && let Err(e) = account(ctx, &acct).await {
            tracing::debug!(acct, error = %e, "cannot resolve a mentioned account");
        }
    }
}
