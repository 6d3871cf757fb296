//! What every handler and job gets: the settings and the database.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;

#[derive(Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub db: Db,
}

impl AppContext {
    pub fn new(settings: Settings, db: Db) -> Self {
        AppContext {
            settings: Arc::new(settings),
            db,
        }
    }
}
