//! Mastodon API wire types and the conversions from database rows, one module per entity.
//! <https://docs.joinmastodon.org/entities/>

pub mod account;
pub mod admin;
pub mod application;
pub mod conversation;
pub mod filter;
pub mod instance;
pub mod list;
pub mod marker;
pub mod media;
pub mod notification;
pub mod relationship;
pub mod report;
pub mod status;
pub mod tag;

use chrono::NaiveDateTime;

/// Mastodon's timestamp format: `2026-11-25T19:17:51.123Z`.
pub fn iso_datetime(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Mastodon's date-only timestamps (`created_at` of accounts is midnight).
pub fn iso_midnight(t: NaiveDateTime) -> String {
    t.and_utc().format("%Y-%m-%dT00:00:00.000Z").to_string()
}
