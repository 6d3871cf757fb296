//! Liveness and readiness, for load balancers; the figures Prometheus scrapes.

use diesel::connection::SimpleConnection;

use crate::db::{self, Db};
use crate::error::{Error, Result};
use crate::prometheus::{DepartmentQueue, Figures};

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

/// What `/metrics` reads when scraped: the delivery queue and the policy matches (one read
/// on the blocking pool) and the database pools' state.
pub async fn figures(db: &Db, min_group: u32) -> Result<Figures> {
    use crate::service::metrics;
    let today = chrono::Utc::now().date_naive();
    let (queue, policy_matches, cells, active_7d, active_30d) = db
        .read(move |conn| {
            Ok((
                crate::service::outbox::queue_stats(conn)?,
                crate::service::policy::store::matches_by_action(conn)?,
                metrics::cells(conn, today, today, min_group)?,
                metrics::active_between(conn, today - chrono::Duration::days(6), today, min_group)?,
                metrics::active_between(
                    conn,
                    today - chrono::Duration::days(29),
                    today,
                    min_group,
                )?,
            ))
        })
        .await?;
    // Today's shown numbers of the last roll-up, hashtags and languages aside (their labels
    // would be open-ended).
    let engagement = cells
        .into_iter()
        .filter(|c| c.measure != metrics::HASHTAGS && c.measure != metrics::LANGUAGES)
        .filter_map(|c| Some((c.measure, c.dimension, c.value?)))
        .collect();
    Ok(Figures {
        deliveries_pending: queue.pending,
        deliveries_failed: queue.failed,
        intents_unprepared: queue.unprepared,
        departments: queue
            .domains
            .into_iter()
            .map(|d| DepartmentQueue {
                domain: d.domain,
                pending: d.pending,
                lag_secs: d.lag_secs,
                failures: i64::from(d.failures),
            })
            .collect(),
        pools: db.pool_states(),
        policy_matches,
        engagement,
        active_users_7d: active_7d,
        active_users_30d: active_30d,
    })
}
