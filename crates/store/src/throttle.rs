//! Slowing down an address that keeps failing to log in, in the database so every app
//! server sees the same count. It is counted apart from each account's own failures (which
//! lock the account, `users::authenticate`): a success resets the account's count only, so
//! failures against many accounts from one address are never wiped by logging in to one.
//! The address is the client's as `--trusted-proxy` lets the web layer tell it.

use time::OffsetDateTime;
use tsunagu_domain::login_policy::{ADDRESS_WINDOW, MAX_ADDRESS_FAILURES};

use crate::{
    db::{query, On},
    Db, Result,
};

/// Whether `addr` must wait before trying again; answers until when.
pub async fn blocked_until<'a>(
    on: impl Into<On<'a>>,
    addr: &str,
) -> Result<Option<OffsetDateTime>> {
    let mut on = on.into();
    let row: Option<(i64, OffsetDateTime)> =
        query("SELECT failures, window_start FROM login_throttle WHERE client_addr = $1")
            .bind(addr)
            .fetch_optional(on.exec())
            .await?;
    let now = crate::now();
    Ok(match row {
        Some((failures, start))
            if failures >= MAX_ADDRESS_FAILURES && now < start + ADDRESS_WINDOW =>
        {
            Some(start + ADDRESS_WINDOW)
        }
        _ => None,
    })
}

/// Counts one more failure from `addr`, starting a new window when the old one has passed.
pub async fn record_failure(db: &Db, addr: &str) -> Result<()> {
    let now = crate::now();
    let mut tx = db.begin().await?;
    let row: Option<(i64, OffsetDateTime)> =
        query("SELECT failures, window_start FROM login_throttle WHERE client_addr = $1")
            .bind(addr)
            .fetch_optional(&mut tx)
            .await?;
    match row {
        Some((failures, start)) if now < start + ADDRESS_WINDOW => {
            query("UPDATE login_throttle SET failures = $1 WHERE client_addr = $2")
                .bind(failures + 1)
                .bind(addr)
                .execute(&mut tx)
                .await?;
        }
        Some(_) => {
            query(
                "UPDATE login_throttle SET failures = 1, window_start = $1 WHERE client_addr = $2",
            )
            .bind(now)
            .bind(addr)
            .execute(&mut tx)
            .await?;
        }
        None => {
            query("INSERT INTO login_throttle (client_addr, failures, window_start) VALUES ($1, 1, $2)")
                .bind(addr)
                .bind(now)
                .execute(&mut tx)
                .await?;
        }
    }
    tx.commit().await
}
