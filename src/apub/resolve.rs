//! Finding accounts and posts of other departments on demand: `@alice@eng.corp.example` typed
//! into search or a post, or a post's URL pasted into search.

use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use url::Url;

use crate::apub::data;
use crate::apub::objects::{ApubActor, ApubNote};
use crate::context::AppContext;
use crate::db::models::{Account, Status};
use crate::error::{Error, Result};

/// Resolve `user@domain` (with or without a leading `@`) through WebFinger and store the
/// account. Only allowed departments are asked.
pub async fn account(ctx: &AppContext, acct: &str) -> Result<Account> {
    let acct = acct.trim().trim_start_matches('@');
    let (user, domain) = acct
        .rsplit_once('@')
        .ok_or_else(|| Error::bad_request("Expected user@domain"))?;
    if user.is_empty() || domain.is_empty() {
        return Err(Error::bad_request("Expected user@domain"));
    }
    let domain = domain.to_ascii_lowercase();
    if !ctx.policy.allows_domain(&domain) {
        return Err(Error::not_found());
    }
    let data = data(ctx)?;
    let actor: ApubActor = webfinger_resolve_actor(&format!("{user}@{domain}"), &data).await?;
    Ok(actor.account)
}

/// Fetch an account or a post by its URL (ActivityPub id).
pub async fn url(ctx: &AppContext, url: &Url) -> Result<Resolved> {
    ctx.policy.check_url(url).map_err(|_| Error::not_found())?;
    let data = data(ctx)?;
    if let Ok(note) = ObjectId::<ApubNote>::from(url.clone())
        .dereference(&data)
        .await
    {
        return Ok(Resolved::Status(Box::new(note.status)));
    }
    let actor: ApubActor = ObjectId::<ApubActor>::from(url.clone())
        .dereference(&data)
        .await?;
    Ok(Resolved::Account(Box::new(actor.account)))
}

/// Before posting: fetch the accounts of other departments that `text` mentions and we do not
/// know yet, so the post links and notifies them. Failures leave the mention as plain text.
pub async fn mentioned_accounts(ctx: &AppContext, text: &str) {
    if !ctx.policy.enabled() {
        return;
    }
    let own = ctx.settings.instance.domain.as_str().to_ascii_lowercase();
    let wanted: Vec<(String, String)> = crate::service::text::scan(text)
        .mentions
        .into_iter()
        .filter_map(|m| Some((m.username, m.domain?.to_ascii_lowercase())))
        .filter(|(_, d)| *d != own && ctx.policy.allows_domain(d))
        .take(10)
        .collect();
    for (username, domain) in wanted {
        let acct = format!("{username}@{domain}");
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

pub enum Resolved {
    Account(Box<Account>),
    Status(Box<Status>),
}
