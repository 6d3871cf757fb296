//! What the instance says about itself: counts and its contact; and the keys of the
//! instance actor, which signs our fetches of other departments' objects.

use activitypub_federation::http_signatures::generate_actor_keypair;
use chrono::{Duration, Utc};
use diesel::prelude::*;

use std::sync::Arc;

use crate::context::AppContext;
use crate::db::DbConnection;
use crate::db::models::Account;
use crate::db::schema::{accounts, instance_keys, users};
use crate::error::{Error, Result};

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
    // As Mastodon counts it: the employees' own counters (boosts included), not a count of
    // a million rows.
    let status_count: i64 = users::table
        .inner_join(accounts::table)
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(accounts.statuses_count), 0) AS BIGINT)",
        ))
        .first(conn)?;
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

/// What the instance says about itself: its counts and its contact.
pub struct Summary {
    pub stats: InstanceStats,
    pub contact: Option<Account>,
}

/// The instance's [`Summary`], from this node's cache (at most `caches::STATS_TTL` old; a
/// change of role or profile drops it at once).
pub async fn summary(ctx: &AppContext) -> Result<Arc<Summary>> {
    if let Some(summary) = ctx.caches.summary() {
        return Ok(summary);
    }
    let summary = ctx
        .db
        .read(|conn| {
            Ok(Arc::new(Summary {
                stats: stats(conn)?,
                contact: contact_account(conn)?,
            }))
        })
        .await?;
    ctx.caches.keep_summary(summary.clone());
    Ok(summary)
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

/// The instance actor's key pair (public, private PEM), made on first use.
pub fn actor_keys(conn: &mut DbConnection) -> Result<(String, String)> {
    let existing: Option<(String, String)> = instance_keys::table
        .find("instance_actor")
        .select((
            instance_keys::public_key_pem,
            instance_keys::private_key_pem,
        ))
        .first(conn)
        .optional()?;
    if let Some(keys) = existing {
        return Ok(keys);
    }
    let keypair = generate_actor_keypair().map_err(Error::internal)?;
    diesel::insert_into(instance_keys::table)
        .values((
            instance_keys::name.eq("instance_actor"),
            instance_keys::public_key_pem.eq(&keypair.public_key),
            instance_keys::private_key_pem.eq(&keypair.private_key),
            instance_keys::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok((keypair.public_key, keypair.private_key))
}
