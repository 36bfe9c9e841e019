//! Typed work is not lost to an expired session: a form sent after its session ended is kept
//! here for the user whose page it came from, and given back once, after they log in again.

use time::Duration;
use tsunagu_domain::UserId;

use crate::{
    audit::{Event, RequestMeta},
    db::{query, On},
    secret, Db, Result,
};

/// How long a kept form waits for its user to log in again.
pub const KEPT_FOR: Duration = Duration::hours(2);

/// A kept form: where it was sent and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingForm {
    pub path: String,
    pub fields: Vec<(String, String)>,
}

/// Keeps `form` for `user`; answers the one-time token that gives it back.
pub async fn keep(db: &Db, meta: &RequestMeta, user: UserId, form: &PendingForm) -> Result<String> {
    let token = secret::random_token();
    let fields =
        serde_json::to_string(&form.fields).map_err(|e| crate::Error::Other(e.to_string()))?;
    let mut tx = db.begin().await?;
    query(
        "INSERT INTO pending_forms (token_hash, user_id, path, fields, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(secret::hash(&token))
    .bind(user)
    .bind(form.path.as_str())
    .bind(fields)
    .bind(crate::now())
    .execute(&mut tx)
    .await?;
    crate::audit::record(
        &mut tx,
        meta,
        Event::new("session.form_kept").object("route", &form.path),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The form kept under `token` for `user`, removed as it is given back (once only, so going
/// back to the page never sends it twice). None when it is another user's, used or too old.
pub async fn take(db: &Db, user: UserId, token: &str) -> Result<Option<PendingForm>> {
    let hash = secret::hash(token);
    let mut tx = db.begin().await?;
    let row: Option<(String, String)> = query(
        "SELECT path, fields FROM pending_forms WHERE token_hash = $1 AND user_id = $2 AND created_at > $3",
    )
    .bind(hash.as_str())
    .bind(user)
    .bind(crate::now() - KEPT_FOR)
    .fetch_optional(&mut tx)
    .await?;
    let Some((path, fields)) = row else {
        return Ok(None);
    };
    query("DELETE FROM pending_forms WHERE token_hash = $1")
        .bind(hash.as_str())
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    let fields = serde_json::from_str(&fields).unwrap_or_default();
    Ok(Some(PendingForm { path, fields }))
}

/// Removes kept forms nobody came back for.
pub async fn purge_expired<'a>(on: impl Into<On<'a>>) -> Result<u64> {
    let mut on = on.into();
    query("DELETE FROM pending_forms WHERE created_at < $1")
        .bind(crate::now() - KEPT_FOR)
        .execute(on.exec())
        .await
}
