//! Password hashing with argon2id. Hashing is slow on purpose, so it runs off the async threads.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::{Error, Result};

pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Other(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Other(format!("password hashing task failed: {e}")))?
}

pub async fn verify(password: &str, stored: &str) -> bool {
    let password = password.to_owned();
    let stored = stored.to_owned();
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of a random password, verified against when a login names no user, so that
/// answering "no such user" takes as long as "wrong password".
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$zL1m3Zr3xE2kWw8pBq+9Y6m3j1Yv0mC3cY1Jm7bH6nE";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("みどりのしまうまがはしる").await.expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("みどりのしまうまがはしる", &h).await);
        assert!(!verify("みどりのしまうまがはしらない", &h).await);
        assert!(!verify("anything", "not a hash").await);
    }
}
