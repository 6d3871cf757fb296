//! Markers: where an employee stopped reading their home timeline and notifications, shared by
//! every app they use. <https://docs.joinmastodon.org/methods/markers/>

use std::fmt;
use std::str::FromStr;

use chrono::Utc;
use diesel::prelude::*;

use crate::db::models::Marker;
use crate::db::schema::markers;
use crate::db::{DbConnection, ids, is_unique_violation};
use crate::error::{Error, Result};

/// The timelines that have a marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeline {
    Home,
    Notifications,
}

impl Timeline {
    pub fn as_str(self) -> &'static str {
        match self {
            Timeline::Home => "home",
            Timeline::Notifications => "notifications",
        }
    }
}

impl FromStr for Timeline {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "home" => Ok(Timeline::Home),
            "notifications" => Ok(Timeline::Notifications),
            other => Err(Error::unprocessable(format!(
                "Validation failed: Timeline `{other}` is not one of home, notifications"
            ))),
        }
    }
}

impl fmt::Display for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn stale() -> Error {
    Error::conflict("Conflict during update, please try again")
}

/// The markers `me` saved for these timelines (those never saved are absent).
pub fn get(conn: &mut DbConnection, me: i64, timelines: &[Timeline]) -> Result<Vec<Marker>> {
    let names: Vec<&str> = timelines.iter().map(|t| t.as_str()).collect();
    Ok(markers::table
        .filter(markers::account_id.eq(me))
        .filter(markers::timeline.eq_any(names))
        .order(markers::timeline.asc())
        .select(Marker::as_select())
        .load(conn)?)
}

/// Save the position in one timeline. Each save increments `version`; a concurrent save of the
/// same marker gets `409 Conflict`, as on Mastodon.
#[tracing::instrument(skip(conn))]
pub fn save(
    conn: &mut DbConnection,
    me: i64,
    timeline: Timeline,
    last_read_id: i64,
) -> Result<Marker> {
    let now = Utc::now().naive_utc();
    let existing: Option<Marker> = markers::table
        .filter(markers::account_id.eq(me))
        .filter(markers::timeline.eq(timeline.as_str()))
        .select(Marker::as_select())
        .first(conn)
        .optional()?;
    match existing {
        Some(marker) => {
            // Optimistic lock: only the version we read may be replaced.
            let updated: Option<Marker> = diesel::update(
                markers::table
                    .filter(markers::id.eq(marker.id))
                    .filter(markers::version.eq(marker.version)),
            )
            .set((
                markers::last_read_id.eq(last_read_id),
                markers::version.eq(marker.version + 1),
                markers::updated_at.eq(now),
            ))
            .returning(markers::all_columns)
            .get_result(conn)
            .optional()?;
            updated.ok_or_else(stale)
        }
        None => {
            let row = Marker {
                id: ids::next_id(),
                account_id: me,
                timeline: timeline.as_str().to_string(),
                last_read_id,
                version: 0,
                created_at: now,
                updated_at: now,
            };
            match diesel::insert_into(markers::table)
                .values(&row)
                .execute(conn)
            {
                Ok(_) => Ok(row),
                Err(e) if is_unique_violation(&e) => Err(stale()),
                Err(e) => Err(e.into()),
            }
        }
    }
}
