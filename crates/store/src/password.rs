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

/// A real argon2id hash of a random password, made once, verified against when a login names no
/// user, so that answering "no such user" takes as long as "wrong password".
pub async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash(&crate::secret::random_token())
                .await
                .unwrap_or_default()
        })
        .await
}

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
        let dummy = dummy_hash().await;
        assert!(
            PasswordHash::new(dummy).is_ok(),
            "the stand-in hash costs a real verification"
        );
    }
}
