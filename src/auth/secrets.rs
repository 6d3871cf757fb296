//! Random secrets (tokens, codes, one-time passwords) and how they are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

/// A new random token: 256 bits, URL-safe base64 (43 characters).
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new random password that is easy to copy: 24 letters and digits (~142 bits).
pub fn new_password() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(24)
        .map(char::from)
        .collect()
}

/// How a token is stored: its SHA-256, hex-encoded. A database leak does not leak tokens, and
/// lookups stay a unique-index probe (tokens are random, so no salt is needed).
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a configured secret (a bearer token) was given, compared in constant time: both
/// sides are hashed first, so neither the length nor the content leaks through timing. An
/// empty secret is never given.
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    let same = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0;
    same && !given.is_empty()
}

/// The token of an `Authorization: Bearer …` header (empty when there is none).
pub fn bearer_token(authorization: Option<&str>) -> &str {
    authorization
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_passwords_are_random_and_hashes_stable() {
        assert_ne!(new_token(), new_token());
        assert_eq!(new_token().len(), 43);
        assert_ne!(new_password(), new_password());
        assert_eq!(hash_token("abc"), hash_token("abc"));
        assert_eq!(hash_token("abc").len(), 64);
    }

    #[test]
    fn secrets_match_only_when_equal_and_set() {
        assert!(same_secret("s3cret", "s3cret"));
        assert!(!same_secret("s3cre", "s3cret"));
        assert!(!same_secret("s3cret ", "s3cret"));
        assert!(!same_secret("", ""));
        assert_eq!(bearer_token(Some("Bearer abc ")), "abc");
        assert_eq!(bearer_token(Some("Basic abc")), "");
        assert_eq!(bearer_token(None), "");
    }
}
