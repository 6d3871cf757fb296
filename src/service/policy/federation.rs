//! Federation policy: which departments this one talks to. Every ActivityPub request in either
//! direction asks here — deliveries and fetches (through the federation library's URL
//! verifier and our HTTP client's resolver) and the inbox (before anything is parsed) — so the
//! rule lives in one place.

use std::collections::HashSet;

use url::Url;

use crate::config::Settings;
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct FederationPolicy {
    enabled: bool,
    allow_http: bool,
    /// `host` or `host:port`, lowercase, as written in `federation.allowed_domains`.
    allowed: HashSet<String>,
    /// This department's own domain (never a federation peer of itself).
    own: String,
}

/// `host[:port]` of a URL, the form domains are compared in.
pub fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

impl FederationPolicy {
    pub fn new(settings: &Settings) -> Self {
        FederationPolicy {
            enabled: settings.federation.enabled,
            allow_http: settings.federation.allow_http,
            allowed: settings
                .federation
                .allowed_domains
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect(),
            own: settings.instance.domain.as_str().to_ascii_lowercase(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn allow_http(&self) -> bool {
        self.allow_http
    }

    /// Whether `domain` (`host` or `host:port`) is one of the departments we federate with.
    pub fn allows_domain(&self, domain: &str) -> bool {
        self.enabled && domain != self.own && self.allowed.contains(&domain.to_ascii_lowercase())
    }

    /// Whether a host name (without port) belongs to an allowed department; for the DNS
    /// resolver, which sees names only.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.enabled
            && self
                .allowed
                .iter()
                .any(|d| d.split(':').next() == Some(host.as_str()))
    }

    /// Refuse a URL of anything but an allowed department, or one reached in a way this
    /// instance does not allow (plain HTTP, explicit ports, credentials).
    pub fn check_url(&self, url: &Url) -> Result<()> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            scheme => {
                return Err(Error::forbidden(format!(
                    "Federation over `{scheme}` is not allowed"
                )));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::forbidden("URLs with credentials are not allowed"));
        }
        if url.port().is_some() && !self.allow_http {
            return Err(Error::forbidden(
                "URLs with an explicit port are not allowed",
            ));
        }
        let domain = authority(url).unwrap_or_default();
        if !self.allows_domain(&domain) {
            return Err(Error::forbidden(format!(
                "Federation with `{domain}` is not allowed by this department's policy"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str], allow_http: bool) -> FederationPolicy {
        let mut settings = Settings::default();
        settings.federation.allowed_domains = allowed.iter().map(|s| s.to_string()).collect();
        settings.federation.allow_http = allow_http;
        FederationPolicy::new(&settings)
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_allowed_departments_over_https() {
        let p = policy(&["sales.corp.example"], false);
        assert!(
            p.check_url(&url("https://sales.corp.example/users/bob"))
                .is_ok()
        );
        assert!(
            p.check_url(&url("https://SALES.corp.example./inbox"))
                .is_ok()
        );
        assert!(p.check_url(&url("https://evil.example/users/bob")).is_err());
        assert!(
            p.check_url(&url("https://sales.corp.example.evil.example/"))
                .is_err()
        );
        assert!(
            p.check_url(&url("http://sales.corp.example/inbox"))
                .is_err()
        );
        assert!(
            p.check_url(&url("https://sales.corp.example:8443/inbox"))
                .is_err()
        );
        assert!(
            p.check_url(&url("https://u:p@sales.corp.example/inbox"))
                .is_err()
        );
        assert!(p.check_url(&url("ftp://sales.corp.example/")).is_err());
    }

    #[test]
    fn ports_and_http_only_when_allowed_and_listed() {
        let p = policy(&["localhost:8002"], true);
        assert!(p.check_url(&url("http://localhost:8002/inbox")).is_ok());
        assert!(p.check_url(&url("http://localhost:8003/inbox")).is_err());
        assert!(p.check_url(&url("http://localhost/inbox")).is_err());
        assert!(p.allows_host("localhost"));
        assert!(!p.allows_host("127.0.0.1"));
    }

    #[test]
    fn disabled_federation_allows_nothing() {
        let mut settings = Settings::default();
        settings.federation.allowed_domains = vec!["sales.corp.example".into()];
        settings.federation.enabled = false;
        let p = FederationPolicy::new(&settings);
        assert!(p.check_url(&url("https://sales.corp.example/")).is_err());
    }
}
