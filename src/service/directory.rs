//! The profile directory: accounts that chose to be discoverable.
//! <https://docs.joinmastodon.org/methods/directory/>

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::Account;
use crate::db::schema::accounts;
use crate::error::Result;
use crate::service::visibility::Viewer;

/// How the directory is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryOrder {
    /// Most recently posted first; accounts that never posted last.
    Active,
    /// Newest accounts first.
    New,
}

impl DirectoryOrder {
    /// Mastodon's rule: `new`, or else `active`.
    pub fn from_param(order: Option<&str>) -> DirectoryOrder {
        match order.map(str::trim) {
            Some("new") => DirectoryOrder::New,
            _ => DirectoryOrder::Active,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DirectoryQuery {
    pub order: DirectoryOrder,
    /// Only this department's employees.
    pub local: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Discoverable, non-suspended accounts; for a signed-in viewer, without the accounts they
/// block or mute or that block them.
pub fn list(conn: &mut DbConnection, viewer: Viewer, q: &DirectoryQuery) -> Result<Vec<Account>> {
    let mut query = accounts::table
        .filter(accounts::discoverable.eq(true))
        .filter(accounts::suspended_at.is_null())
        .select(Account::as_select())
        .into_boxed();
    if q.local {
        query = query.filter(accounts::domain.is_null());
    }
    if let Some(me) = viewer {
        query = query.filter(crate::service::visibility::not_shut_out_by(me));
    }
    query = match q.order {
        // `IS NULL` first: both backends then put accounts that never posted last.
        DirectoryOrder::Active => query.order((
            accounts::last_status_at.is_null(),
            accounts::last_status_at.desc(),
            accounts::id.desc(),
        )),
        DirectoryOrder::New => query.order((accounts::created_at.desc(), accounts::id.desc())),
    };
    Ok(query.offset(q.offset).limit(q.limit).load(conn)?)
}
