//! ActivityPub between departments, on the `activitypub_federation` library: discovery
//! (WebFinger, host-meta, NodeInfo), actor and object documents (signed fetch required),
//! the inbox, and the durable delivery of our outbox.
//!
//! Every request in either direction is checked against the federation policy
//! ([`Federation`], as it stands at that moment): the library's URL verifier and our HTTP
//! client's DNS resolver refuse any domain it does not allow, and the inbox refuses other
//! actors before parsing further.

pub mod activities;
pub mod answers;
pub mod delivery;
pub mod directory;
pub mod discovery;
pub mod objects;
pub mod protocol;
pub mod render;
pub mod resolve;
pub mod routes;
pub mod signatures;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use activitypub_federation::config::{Data, FederationConfig, UrlVerifier};
use actix_web::web;
use chrono::Utc;
use url::Url;

use crate::context::AppContext;
use crate::db::models::Account;
use crate::error::{Error, Result};
use crate::service::instance;
use crate::service::policy::Federation;

/// What federation handlers get: our context inside the library's request data.
pub type FedData = Data<AppContext>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(discovery::configure)
        .configure(routes::configure);
}

/// Build the federation library's configuration (once per process, at start).
pub async fn init(ctx: &AppContext) -> Result<()> {
    if ctx.federation.get().is_some() {
        return Ok(());
    }
    let settings = &ctx.settings.federation;
    let instance = objects::ApubActor::new(instance_actor(ctx).await?)?;
    let timeout = Duration::from_secs(settings.request_timeout_secs.max(1));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(format!(
            "Groundswell/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            ctx.settings.instance.base_url()
        ))
        .dns_resolver(Arc::new(PolicyResolver(ctx.policy.clone())))
        .build()
        .map_err(Error::internal)?;
    let config = FederationConfig::builder()
        .domain(ctx.settings.instance.domain.as_str())
        .app_data(ctx.clone())
        .client(
            reqwest_middleware::ClientBuilder::new(client)
                .with(answers::CheckAnswers)
                .build(),
        )
        // `debug` is what lets the library use plain HTTP, explicit ports and `localhost`
        // (and WebFinger over http): exactly `federation.allow_http`.
        .debug(settings.allow_http)
        .allow_http_urls(settings.allow_http)
        .request_timeout(timeout)
        .url_verifier(Box::new(PolicyVerifier(ctx.policy.clone())))
        // Sign as Mastodon does: rsa-sha256 over `(request-target) host date` (and `digest`).
        // Sign `(request-target)`, `host` and `date` (Mastodon's scheme). The library's default
        // (hs2019 over `(created) (expires)`, no Host, no Date) is refused by Mastodon for every
        // GET ("requires the Host header to be signed"), by Fedify's verifier (which needs a
        // signed Date) and by our own inbox and signed-fetch checks.
        .http_signature_compat(true)
        .http_fetch_limit(30)
        .signed_fetch_actor(&instance)
        .build()
        .await
        .map_err(Error::internal)?;
    let _ = ctx.federation.set(config);
    Ok(())
}

/// The library's request data, or 404 when federation is off (or not started).
pub fn data(ctx: &AppContext) -> Result<FedData> {
    if !ctx.policy.enabled() {
        return Err(Error::not_found());
    }
    ctx.federation
        .get()
        .map(|c| c.to_request_data())
        .ok_or_else(|| {
            Error::unavailable(anyhow::anyhow!(
                "federation is not ready (are the migrations applied?)"
            ))
        })
}

/// The instance actor: signs our fetches of other departments' objects. It is not an account
/// (id 0, never listed); its keys are made on first use. Its `preferredUsername` is the host
/// (Mastodon's convention), and WebFinger answers `acct:<host>@<domain>` with it: strict peers
/// (GoToSocial, Mastodon) accept a signature only from an actor that WebFinger maps back.
pub async fn instance_actor(ctx: &AppContext) -> Result<Account> {
    let settings = ctx.settings.clone();
    ctx.instance_actor
        .get_or_try_init(|| async move {
            let (public, private) = ctx.db.write(instance::actor_keys).await?;
            let base = settings.instance.base();
            let now = Utc::now().naive_utc();
            Ok::<Account, Error>(Account {
                id: 0,
                username: settings.instance.instance_actor_username().to_string(),
                domain: None,
                display_name: settings.instance.name.clone(),
                note: String::new(),
                locked: true,
                bot: true,
                discoverable: false,
                fields: "[]".into(),
                avatar_url: None,
                header_url: None,
                ap_id: format!("{base}/actor"),
                url: None,
                inbox_url: format!("{base}/inbox"),
                shared_inbox_url: Some(format!("{base}/inbox")),
                outbox_url: None,
                followers_url: None,
                following_url: None,
                featured_url: None,
                public_key_pem: public,
                private_key_pem: Some(private),
                followers_count: 0,
                following_count: 0,
                statuses_count: 0,
                last_status_at: None,
                suspended_at: None,
                fetched_at: None,
                created_at: now,
                updated_at: now,
                note_source: None,
                silenced_at: None,
                sensitized_at: None,
            })
        })
        .await
        .cloned()
}

/// The library asks this before every fetch and delivery.
#[derive(Clone)]
struct PolicyVerifier(Arc<Federation>);

#[async_trait::async_trait]
impl UrlVerifier for PolicyVerifier {
    async fn verify(
        &self,
        url: &Url,
    ) -> std::result::Result<(), activitypub_federation::error::Error> {
        self.0.check_url(url).await.map_err(|e| {
            tracing::warn!(%url, reason = %e, "refused a federation URL");
            activitypub_federation::error::Error::UrlVerificationError(
                "the domain is not allowed by this department's federation policy",
            )
        })
    }
}

/// Our HTTP client resolves only the names of allowed departments, so nothing (not even a
/// redirect) can make it connect elsewhere. Departments often live on private addresses;
/// in allowlist mode this is what keeps that from reaching other internal hosts (in
/// blocklist mode, only `DANGER_FEDERATION_ALLOW_LOCAL_IP` being unset does).
struct PolicyResolver(Arc<Federation>);

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        let policy = self.0.clone();
        Box::pin(async move {
            let allowed = match policy.current().await {
                Ok(policy) => policy.allows_host(&host),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the federation policy; refusing");
                    false
                }
            };
            if !allowed {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("`{host}` is not an allowed department").into();
                return Err(refused);
            }
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| -> Box<dyn std::error::Error + Send + Sync> {
                    format!("cannot resolve `{host}`: {e}").into()
                })?
                .collect();
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}
