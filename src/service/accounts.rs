//! Accounts as others see them: lookups, relationships, profile updates.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::follows;
use crate::error::Result;

/// Pending follow requests waiting for this account's answer.
pub fn follow_requests_count(conn: &mut DbConnection, account_id: i64) -> Result<i64> {
    Ok(follows::table
        .filter(follows::target_account_id.eq(account_id))
        .filter(follows::accepted.eq(false))
        .count()
        .get_result(conn)?)
}
