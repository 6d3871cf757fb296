//! Who is on the other end of a request, for rate limits and the sign-in budget.
//!
//! The connection's peer, unless that peer is one of `http.trusted_proxies`: then the
//! forwarding headers it adds (`Forwarded`, else `X-Forwarded-For`) are read from the nearest
//! hop backwards, and the first address that is not a trusted proxy is the client. Anyone else
//! can write those headers, so from anyone else they are ignored. Used by the API handlers and
//! the web pages alike, so it lives below both.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;

use crate::config::IpRange;

/// The client's address as a string (`"unknown"` when the connection has no peer address,
/// as in some in-process tests).
pub fn client_address(req: &HttpRequest, trusted: &[IpRange]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip().to_canonical()) else {
        return "unknown".into();
    };
    let is_trusted = |addr: IpAddr| trusted.iter().any(|r| r.contains(addr));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    let chain = forwarded_chain(req);
    // The nearest hop is last. Each entry was written by the hop to its right; only while that
    // hop is a trusted proxy is the entry believable.
    for entry in chain.iter().rev() {
        match entry {
            Hop::Addr(addr) if is_trusted(*addr) => continue,
            Hop::Addr(addr) => return addr.to_string(),
            // `unknown` or an obfuscated name, written by a trusted proxy: the best we know.
            Hop::Opaque(token) => return token.clone(),
        }
    }
    // Only proxies (or no header at all): the farthest trusted hop.
    match chain.first() {
        Some(Hop::Addr(addr)) => addr.to_string(),
        _ => peer.to_string(),
    }
}

#[derive(Debug, PartialEq)]
enum Hop {
    Addr(IpAddr),
    Opaque(String),
}

fn hop(raw: &str) -> Option<Hop> {
    let raw = raw.trim().trim_matches('"');
    if raw.is_empty() {
        return None;
    }
    if let Ok(addr) = raw.parse::<IpAddr>() {
        return Some(Hop::Addr(addr.to_canonical()));
    }
    if let Ok(addr) = raw.parse::<SocketAddr>() {
        return Some(Hop::Addr(addr.ip().to_canonical()));
    }
    // `[2001:db8::1]` without a port.
    if let Some(inner) = raw.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
        && let Ok(addr) = inner.parse::<IpAddr>()
    {
        return Some(Hop::Addr(addr.to_canonical()));
    }
    // `192.0.2.1:4711`-style IPv4 with a port is a SocketAddr above; anything else is a token.
    Some(Hop::Opaque(raw.to_string()))
}

/// The forwarding chain, farthest hop first: RFC 7239 `Forwarded: for=…` when present, else
/// `X-Forwarded-For`. Several header lines are one list, in order.
fn forwarded_chain(req: &HttpRequest) -> Vec<Hop> {
    let values = |name: &str| -> Vec<String> {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .map(String::from)
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| hop(v))
                        .flatten()
                })
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .flat_map(|line| line.split(','))
        .filter_map(hop)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn peer(ip: &str) -> TestRequest {
        TestRequest::default().peer_addr(SocketAddr::new(ip.parse().unwrap(), 40000))
    }

    fn ranges(list: &[&str]) -> Vec<IpRange> {
        list.iter().map(|s| IpRange::parse(s).unwrap()).collect()
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let req = peer("198.51.100.9")
            .insert_header(("x-forwarded-for", "203.0.113.7"))
            .insert_header(("forwarded", "for=203.0.113.8"))
            .to_http_request();
        assert_eq!(client_address(&req, &[]), "198.51.100.9");
        assert_eq!(
            client_address(&req, &ranges(&["10.0.0.0/8"])),
            "198.51.100.9"
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = ranges(&["10.0.0.2", "172.28.0.0/16"]);
        let req = peer("10.0.0.2")
            .insert_header(("x-forwarded-for", "203.0.113.7"))
            .to_http_request();
        assert_eq!(client_address(&req, &trusted), "203.0.113.7");
        // What the client wrote itself stands left of what the proxy appended: ignored.
        let req = peer("10.0.0.2")
            .insert_header(("x-forwarded-for", "1.2.3.4, 203.0.113.7, 172.28.0.5"))
            .to_http_request();
        assert_eq!(client_address(&req, &trusted), "203.0.113.7");
        let req = peer("10.0.0.2")
            .insert_header((
                "forwarded",
                r#"for=1.2.3.4, for="[2001:db8::1]:4711";proto=https"#,
            ))
            .to_http_request();
        assert_eq!(client_address(&req, &trusted), "2001:db8::1");
        // No header: the proxy itself.
        let req = peer("10.0.0.2").to_http_request();
        assert_eq!(client_address(&req, &trusted), "10.0.0.2");
    }
}
