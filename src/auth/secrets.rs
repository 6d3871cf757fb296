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
}
