//! What the admin console's dashboard shows: the work waiting for moderators, the delivery
//! queue per department, and today's activity in aggregate (counts, never who).

use chrono::Utc;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{accounts, reports, statuses};
use crate::error::Result;
use crate::service::outbox::{self, QueueStats};

#[derive(Debug, Clone)]
pub struct Overview {
    pub open_reports: i64,
    pub held: i64,
    /// Employees of this department, and how many are suspended.
    pub employees: i64,
    pub suspended: i64,
    /// Since midnight UTC.
    pub posts_today: i64,
    pub new_employees_today: i64,
    pub queue: QueueStats,
}

/// The work waiting: open reports and held posts (the console's badges).
pub fn waiting(conn: &mut DbConnection) -> Result<(i64, i64)> {
    let open_reports: i64 = reports::table
        .filter(reports::action_taken_at.is_null())
        .count()
        .get_result(conn)?;
    let held: i64 = statuses::table
        .filter(statuses::held_for_review.is_not_null())
        .filter(statuses::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    Ok((open_reports, held))
}

pub fn overview(conn: &mut DbConnection) -> Result<Overview> {
    let (open_reports, held) = waiting(conn)?;
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    let local = accounts::table
        .filter(accounts::domain.is_null())
        .filter(accounts::id.ne(0));
    let employees: i64 = local.count().get_result(conn)?;
    let suspended: i64 = local
        .filter(accounts::suspended_at.is_not_null())
        .count()
        .get_result(conn)?;
    let new_employees_today: i64 = local
        .filter(accounts::created_at.ge(today))
        .count()
        .get_result(conn)?;
    // Posts written here today (the id orders by time: an index range, not a scan).
    let first_today = crate::db::ids::id_at_millis(today.and_utc().timestamp_millis());
    let posts_today: i64 = statuses::table
        .filter(statuses::id.ge(first_today))
        .filter(statuses::local.eq(true))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .count()
        .get_result(conn)?;
    Ok(Overview {
        open_reports,
        held,
        employees,
        suspended,
        posts_today,
        new_employees_today,
        queue: outbox::stats(conn)?,
    })
}

/// Employees who can use the department now (not suspended): what an acceptance rate is
/// out of.
pub fn active_employees(conn: &mut DbConnection) -> Result<i64> {
    Ok(accounts::table
        .filter(accounts::domain.is_null())
        .filter(accounts::id.ne(0))
        .filter(accounts::suspended_at.is_null())
        .count()
        .get_result(conn)?)
}
