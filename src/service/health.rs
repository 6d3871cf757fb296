//! Liveness and readiness, for load balancers.

use diesel::connection::SimpleConnection;

use crate::db::{self, Db};
use crate::error::{Error, Result};

/// Ready means: the database answers and every migration this binary knows is applied.
pub async fn check_ready(db: &Db) -> Result<()> {
    let pending = db
        .read(|conn| {
            conn.batch_execute("SELECT 1")?;
            db::pending_migrations(conn)
        })
        .await?;
    if pending > 0 {
        return Err(Error::new(
            crate::error::ErrorKind::Unavailable,
            format!("{pending} database migration(s) pending: run `groundswell migrate`"),
        ));
    }
    Ok(())
}
