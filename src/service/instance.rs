//! What the instance says about itself: counts and its contact.

use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::Account;
use crate::db::schema::{accounts, statuses, users};
use crate::error::Result;

/// Where Groundswell's source lives (AGPL-3.0): in the Mastodon API's instance entity and in
/// NodeInfo, so it sits below both.
pub const SOURCE_URL: &str = "https://github.com/groundswell/groundswell";

pub struct InstanceStats {
    pub user_count: i64,
    pub status_count: i64,
    /// Other departments' instances we know accounts of.
    pub domain_count: i64,
    /// Employees who posted in the last 30 / 180 days.
    pub active_month: i64,
    pub active_halfyear: i64,
}

pub fn stats(conn: &mut DbConnection) -> Result<InstanceStats> {
    let user_count = users::table
        .inner_join(accounts::table)
        .filter(accounts::suspended_at.is_null())
        .count()
        .get_result(conn)?;
    let status_count = statuses::table
        .filter(statuses::local.eq(true))
        .filter(statuses::deleted_at.is_null())
        .filter(statuses::reblog_of_id.is_null())
        .count()
        .get_result(conn)?;
    let domain_count = accounts::table
        .filter(accounts::domain.is_not_null())
        .select(accounts::domain)
        .distinct()
        .count()
        .get_result(conn)?;
    let active_since = |conn: &mut DbConnection, days: i64| -> Result<i64> {
        Ok(users::table
            .inner_join(accounts::table)
            .filter(accounts::suspended_at.is_null())
            .filter(accounts::last_status_at.ge(Utc::now().naive_utc() - Duration::days(days)))
            .count()
            .get_result(conn)?)
    };
    Ok(InstanceStats {
        user_count,
        status_count,
        domain_count,
        active_month: active_since(conn, 30)?,
        active_halfyear: active_since(conn, 180)?,
    })
}

/// The oldest active admin: who clients show as the instance's contact.
pub fn contact_account(conn: &mut DbConnection) -> Result<Option<Account>> {
    Ok(users::table
        .inner_join(accounts::table)
        .filter(users::role.eq("admin"))
        .filter(accounts::suspended_at.is_null())
        .order(users::id.asc())
        .select(Account::as_select())
        .first(conn)
        .optional()?)
}
