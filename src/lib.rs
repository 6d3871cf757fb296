//! Groundswell: a self-hosted, federated micro-blogging server for a company's departments.
//!
//! Layers, outermost first: `cli` and `api` (handlers) → `service` (the rules) → `db`.
//! See ARCHITECTURE in the README.

pub mod api;
pub mod apub;
pub mod auth;
pub mod cli;
pub mod config;
pub mod context;
pub mod db;
pub mod error;
pub mod http;
pub mod prometheus;
pub mod server;
pub mod service;
pub mod telemetry;
pub mod web;

/// Install the TLS crypto provider that reqwest and rustls use. Call once at start (and in
/// every test binary) before any HTTPS client is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
