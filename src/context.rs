//! What every handler and job gets: the settings and the database.

use std::sync::Arc;

use activitypub_federation::config::FederationConfig;

use crate::config::Settings;
use crate::db::Db;
use crate::db::models::Account;
use crate::service::caches::Caches;
use crate::service::events::EventBus;
use crate::service::policy::Federation;
use crate::service::rate_limit::RateLimits;

#[derive(Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// Live events for streaming clients.
    pub events: EventBus,
    /// Tokens and counts, kept right by `events`.
    pub caches: Arc<Caches>,
    pub rate_limits: Arc<RateLimits>,
    /// Which departments we federate with (the config's and the database's rules); asked by
    /// every federation path.
    pub policy: Arc<Federation>,
    /// The instance actor (signs our fetches), loaded or created on first use.
    pub instance_actor: Arc<tokio::sync::OnceCell<Account>>,
    /// The department's VAPID key pair for Web Push, loaded or made on first use.
    pub vapid: Arc<tokio::sync::OnceCell<crate::service::push::VapidKeys>>,
    /// The federation library's configuration, set by `apub::init` when the server starts.
    pub federation: Arc<std::sync::OnceLock<FederationConfig<AppContext>>>,
    /// The company's OpenID provider, when `auth.oidc` is configured.
    pub sso: Option<Arc<crate::auth::oidc::OidcClient>>,
    /// Who was active today as this node saw them (for the engagement metrics).
    pub activity: Arc<crate::service::metrics::Activity>,
    /// This process's Prometheus counters and histograms (`GET /metrics`).
    pub metrics: Arc<crate::prometheus::Metrics>,
}

impl AppContext {
    /// Wire the database's commits to the event bus. (A running server also listens to the
    /// events of every app node: see `server::start`.)
    pub fn new(settings: Settings, mut db: Db) -> Self {
        let events = EventBus::new();
        db.set_hooks(std::sync::Arc::new(events.clone()));
        let sso = settings.auth.oidc.enabled().then(|| {
            crate::auth::oidc::OidcClient::new(&settings.auth.oidc, &settings.instance.base_url())
        });
        let sso = match sso {
            Some(Ok(client)) => Some(Arc::new(client)),
            Some(Err(e)) => {
                tracing::error!(error = %e, "cannot set up the OpenID Connect client; SSO is off");
                None
            }
            None => None,
        };
        let caches = Caches::new(&events);
        AppContext {
            sso,
            rate_limits: Arc::new(RateLimits::new(&settings.limits)),
            policy: Arc::new(Federation::new(&settings, db.clone(), caches.clone())),
            instance_actor: Default::default(),
            vapid: Default::default(),
            activity: Default::default(),
            federation: Default::default(),
            metrics: Default::default(),
            settings: Arc::new(settings),
            db,
            caches,
            events,
        }
    }
}
