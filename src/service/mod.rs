//! The service layer: the rules of Groundswell. Handlers (Mastodon API, ActivityPub, admin,
//! web pages, CLI) call these functions; these use the database layer. Nothing here knows about
//! HTTP or wire formats.

pub mod accounts;
pub mod audit;
pub mod caches;
pub mod collections;
pub mod conversations;
pub mod delivery;
pub mod directory;
pub mod events;
pub mod feeds;
pub mod filters;
pub mod health;
pub mod inbound;
pub mod instance;
pub mod lists;
pub mod markers;
pub mod media;
pub mod moderation;
pub mod notifications;
pub mod oauth;
pub mod origin;
pub mod outbox;
pub mod pagination;
pub mod policy;
pub mod polls;
pub mod rate_limit;
pub mod relationships;
pub mod remote;
pub mod reports;
pub mod scim;
pub mod search;
pub mod sessions;
pub mod setup;
pub mod sso;
pub mod statuses;
pub mod streaming;
pub mod tags;
pub mod text;
pub mod timelines;
pub mod tokens;
pub mod usage_policy;
pub mod users;
pub mod views;
pub mod visibility;
pub mod warnings;
