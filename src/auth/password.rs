//! Local passwords, hashed with Argon2id (the `argon2` crate's recommended parameters).

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, Result};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// A password that meets the length policy. Its `Debug` never shows the value.
pub struct Password(String);

impl Password {
    pub fn parse(input: &str) -> Result<Password> {
        let len = input.chars().count();
        if len < MIN_PASSWORD_CHARS {
            return Err(Error::unprocessable(format!(
                "the password is too short: at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if len > MAX_PASSWORD_CHARS {
            return Err(Error::unprocessable(format!(
                "the password is too long: at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        Ok(Password(input.to_string()))
    }

    /// The PHC string to store.
    pub fn hash(&self) -> Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::internal(anyhow::anyhow!("cannot hash password: {e}")))
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Whether `candidate` matches the stored PHC hash. A malformed hash never matches.
pub fn verify(candidate: &str, stored_hash: &str) -> bool {
    match PasswordHash::new(stored_hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = Password::parse("correct horse").unwrap().hash().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("correct horse", &hash));
        assert!(!verify("wrong horse", &hash));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn length_policy_is_enforced() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"x".repeat(257)).is_err());
        assert!(!format!("{:?}", Password::parse("secret-pass").unwrap()).contains("secret"));
    }
}
