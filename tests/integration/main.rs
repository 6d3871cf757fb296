#![allow(clippy::unwrap_used)]

//! Integration tests: one binary, so the suite links once.
//!
//! Every database test runs twice, on a fresh SQLite file and on a fresh, uniquely named
//! PostgreSQL database (see `common`).

mod common;

mod api_discovery;
mod api_errors;
mod api_extras;
mod api_media;
mod api_more;
mod api_statuses;
mod api_video;
mod api_visibility;
mod apub_documents;
mod apub_fixtures;
mod caches;
mod cli_admin;
mod company_announcements;
mod config;
mod discovery;
mod federation;
mod federation_policy;
mod home_feed;
mod hostile_inbox;
mod http;
mod lifecycle;
mod metrics;
mod migrations;
mod moderation;
mod notification_groups;
mod oauth;
mod oidc_provider;
mod people_directory;
mod policy;
mod prometheus;
mod push;
mod scim;
mod security;
mod settings_pages;
mod snapshots;
mod sso;
mod streaming;
mod usage_policy;
mod web_app;
mod web_pages;
mod write_path;
