//! What every handler and job gets: the settings and the database.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;
use crate::service::events::EventBus;
use crate::service::rate_limit::RateLimits;

#[derive(Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// Live events for streaming clients.
    pub events: EventBus,
    pub rate_limits: Arc<RateLimits>,
    /// The company's OpenID provider, when `auth.oidc` is configured.
    pub sso: Option<Arc<crate::auth::oidc::OidcClient>>,
}

impl AppContext {
    /// Wire the database's commits to the event bus (and, on PostgreSQL, listen to the
    /// events of every app node).
    pub fn new(settings: Settings, mut db: Db) -> Self {
        let events = EventBus::new();
        db.set_after_commit(events.after_commit_hook());
        events.start_listener(&settings.database.url);
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
        AppContext {
            sso,
            rate_limits: Arc::new(RateLimits::new(&settings.limits)),
            settings: Arc::new(settings),
            db,
            events,
        }
    }
}
