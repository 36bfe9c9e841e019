//! The first start: a one-time link, valid for an hour, to create the first administrator.

use time::Duration;

use crate::{
    db::{query, On},
    secret,
    users::{self, NewUser},
    Db, Error, RequestMeta, Result,
};

pub const VALIDITY: Duration = Duration::hours(1);

/// A fresh setup token if no administrator exists yet (earlier unused ones stop working).
pub async fn issue_if_needed(db: &Db) -> Result<Option<String>> {
    if users::admin_exists(db).await? {
        return Ok(None);
    }
    let token = secret::random_token();
    let mut tx = db.begin().await?;
    query("DELETE FROM setup_tokens").execute(&mut tx).await?;
    query("INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)")
        .bind(secret::hash(&token))
        .bind(crate::now() + VALIDITY)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Whether `token` may still be used.
pub async fn is_valid<'a>(on: impl Into<On<'a>>, token: &str) -> Result<bool> {
    let mut on = on.into();
    let (n,): (i64,) = query(
        "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(secret::hash(token))
    .bind(crate::now())
    .fetch_one(on.exec())
    .await?;
    Ok(n > 0 && !users::admin_exists(&mut on).await?)
}

/// Creates the first administrator with `token`, which dies in the same transaction.
pub async fn complete(db: &Db, meta: &RequestMeta, token: &str, admin: NewUser) -> Result<()> {
    let mut tx = db.begin().await?;
    let used = query(
        "UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
         AND expires_at > $1",
    )
    .bind(crate::now())
    .bind(secret::hash(token))
    .execute(&mut tx)
    .await?;
    let (admins,): (i64,) = query("SELECT COUNT(*) FROM users WHERE role = 'admin'")
        .fetch_one(&mut tx)
        .await?;
    if used == 0 || admins > 0 {
        return Err(Error::NotFound);
    }
    users::create(&mut tx, meta, None, admin).await?;
    tx.commit().await
}
