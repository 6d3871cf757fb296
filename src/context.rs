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
}

impl AppContext {
    /// Wire the database's commits to the event bus (and, on PostgreSQL, listen to the
    /// events of every app node).
    pub fn new(settings: Settings, mut db: Db) -> Self {
        let events = EventBus::new();
        db.set_after_commit(events.after_commit_hook());
        events.start_listener(&settings.database.url);
        AppContext {
            rate_limits: Arc::new(RateLimits::new(&settings.limits)),
            settings: Arc::new(settings),
            db,
            events,
        }
    }
}
