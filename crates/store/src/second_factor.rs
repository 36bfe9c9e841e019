//! The second factor of a login: a TOTP code (RFC 6238: SHA-1, 6 digits, 30 s, one step of
//! clock drift either way) from an authenticator app, or one of ten recovery codes shown once
//! at enrolment and kept only as SHA-256. A code is accepted once; wrong codes count towards the
//! account's lockout like wrong passwords. Every enrolment, use, failure and reset is audited.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};
use tsunagu_domain::{login_policy, Actor, UserId};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    db::{query, On},
    secret,
    users::User,
    Db, Error, Result, Tx,
};

/// The name authenticator apps show beside the account.
pub const ISSUER: &str = "Tsunagu";
const DIGITS: usize = 6;
const STEP: u64 = 30;
pub const RECOVERY_CODES: usize = 10;
/// Recovery codes use letters and digits that cannot be mistaken for each other.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A secret being enrolled: what the QR code and the manual entry carry.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// Base32, as authenticator apps take it by hand.
    pub secret: String,
    /// `otpauth://totp/…`, the QR code's content.
    pub url: String,
}

impl Enrolment {
    /// The secret in groups of four, easier to type.
    pub fn grouped_secret(&self) -> String {
        self.secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn totp(secret: &str, login: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|_| Error::Other("stored TOTP secret is not base32".into()))?;
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        bytes,
        Some(ISSUER.into()),
        login.into(),
    )
    .map_err(|e| Error::Other(format!("TOTP: {e}")))
}

/// The time step whose code `code` is, within one step of `now`.
fn matching_step(totp: &TOTP, code: &str, now: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = now / STEP;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| bool::from(totp.generate(s * STEP).as_bytes().ct_eq(code.as_bytes())))
}

fn unix(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0)
}

/// A recovery code as typed: spaces, hyphens and case do not matter.
fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    OsRng.fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// Starts (or restarts) enrolment: a new secret, not yet asked at login.
pub async fn start_enrolment(db: &Db, meta: &RequestMeta, user: &User) -> Result<Enrolment> {
    if user.second_factor_enabled {
        return Err(Error::Conflict("second_factor"));
    }
    let mut raw = [0u8; 20];
    OsRng.fill_bytes(&mut raw);
    let secret = Secret::Raw(raw.to_vec()).to_encoded().to_string();
    let mut tx = db.begin().await?;
    query("UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE id = $2 AND totp_enabled_at IS NULL")
        .bind(secret.as_str())
        .bind(user.id)
        .execute(&mut tx)
        .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("second_factor.enrolment_started")
            .by_user(user.id, &user.login)
            .object("user", user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        url: totp(&secret, &user.login)?.get_url(),
        secret,
    })
}

/// The secret being enrolled, to show its QR code again (after a mistyped code).
pub async fn pending_enrolment<'a>(
    on: impl Into<On<'a>>,
    user: &User,
) -> Result<Option<Enrolment>> {
    let mut on = on.into();
    let row: Option<(Option<String>,)> =
        query("SELECT totp_secret FROM users WHERE id = $1 AND totp_enabled_at IS NULL")
            .bind(user.id)
            .fetch_optional(on.exec())
            .await?;
    match row.and_then(|(s,)| s) {
        Some(secret) => Ok(Some(Enrolment {
            url: totp(&secret, &user.login)?.get_url(),
            secret,
        })),
        None => Ok(None),
    }
}

/// Confirms enrolment with a code from the app: answers the recovery codes (to show once), or
/// `None` when the code is wrong.
pub async fn confirm_enrolment(
    db: &Db,
    meta: &RequestMeta,
    user: &User,
    code: &str,
) -> Result<Option<Vec<String>>> {
    let pending = pending_enrolment(db, user).await?.ok_or(Error::NotFound)?;
    let now = crate::now();
    let Some(step) = matching_step(&totp(&pending.secret, &user.login)?, code, unix(now)) else {
        audit::record_alone(
            db,
            meta,
            Event::new("second_factor.enrol")
                .by_user(user.id, &user.login)
                .object("user", user.id)
                .outcome(Outcome::Failure)
                .detail("wrong code"),
        )
        .await?;
        return Ok(None);
    };
    let mut tx = db.begin().await?;
    let changed = query(
        "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2 \
         WHERE id = $3 AND totp_secret = $4 AND totp_enabled_at IS NULL",
    )
    .bind(now)
    .bind(i64::try_from(step).unwrap_or(i64::MAX))
    .bind(user.id)
    .bind(pending.secret.as_str())
    .execute(&mut tx)
    .await?;
    if changed == 0 {
        return Err(Error::Conflict("second_factor"));
    }
    let codes = replace_recovery_codes(&mut tx, user.id).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("second_factor.enrolled")
            .by_user(user.id, &user.login)
            .object("user", user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(codes))
}

async fn replace_recovery_codes(tx: &mut Tx, user: UserId) -> Result<Vec<String>> {
    query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    let now = crate::now();
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = new_recovery_code();
        query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user)
            .bind(secret::hash(&normalize_recovery(&code)))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// New recovery codes for an enrolled user; the old ones stop working.
pub async fn renew_recovery_codes(db: &Db, meta: &RequestMeta, user: &User) -> Result<Vec<String>> {
    if !user.second_factor_enabled {
        return Err(Error::NotFound);
    }
    let mut tx = db.begin().await?;
    let codes = replace_recovery_codes(&mut tx, user.id).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("second_factor.recovery_codes_renewed")
            .by_user(user.id, &user.login)
            .object("user", user.id),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// How many unused recovery codes a user has.
pub async fn recovery_codes_left<'e>(
    exec: impl Into<crate::db::Exec<'e>>,
    user: UserId,
) -> Result<i64> {
    let (n,): (i64,) =
        query("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user)
            .fetch_one(exec)
            .await?;
    Ok(n)
}

/// When the second factor was enrolled.
pub async fn enabled_at<'a>(on: impl Into<On<'a>>, user: UserId) -> Result<Option<OffsetDateTime>> {
    let mut on = on.into();
    let row: Option<(Option<OffsetDateTime>,)> =
        query("SELECT totp_enabled_at FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(on.exec())
            .await?;
    Ok(row.and_then(|(t,)| t))
}

/// What a code typed at login turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checked {
    Code,
    /// A recovery code, now used up; `left` remain.
    RecoveryCode {
        left: i64,
    },
    Wrong,
    /// Too many wrong passwords or codes: the account waits.
    Locked,
}

/// Checks the second step of `user`'s login.
pub async fn check_login(db: &Db, meta: &RequestMeta, user: &User, input: &str) -> Result<Checked> {
    let now = crate::now();
    let mut tx = db.begin().await?;
    let row: Option<(Option<String>, i64, i64, Option<OffsetDateTime>)> = query(
        "SELECT totp_secret, totp_last_step, failed_logins, locked_until FROM users \
         WHERE id = $1 AND totp_enabled_at IS NOT NULL AND disabled = $2",
    )
    .bind(user.id)
    .bind(false)
    .fetch_optional(&mut tx)
    .await?;
    let Some((Some(secret), last_step, failures, locked_until)) = row else {
        return Ok(Checked::Wrong);
    };
    let event = Event::new("login.second_factor")
        .by_user(user.id, &user.login)
        .object("user", user.id);
    if login_policy::is_locked(locked_until, now) {
        audit::record(
            &mut tx,
            meta,
            event.outcome(Outcome::Failure).detail("locked"),
        )
        .await?;
        tx.commit().await?;
        return Ok(Checked::Locked);
    }
    let step = matching_step(&totp(&secret, &user.login)?, input, unix(now))
        .and_then(|s| i64::try_from(s).ok())
        // A code already used (seen over a shoulder, replayed) is refused.
        .filter(|s| *s > last_step);
    if let Some(step) = step {
        query("UPDATE users SET totp_last_step = $1, failed_logins = 0 WHERE id = $2")
            .bind(step)
            .bind(user.id)
            .execute(&mut tx)
            .await?;
        audit::record(&mut tx, meta, event.detail("totp")).await?;
        tx.commit().await?;
        return Ok(Checked::Code);
    }
    let recovery = normalize_recovery(input);
    if recovery.len() == 10 {
        let used = query(
            "UPDATE recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(user.id)
        .bind(secret::hash(&recovery))
        .execute(&mut tx)
        .await?;
        if used == 1 {
            let left = recovery_codes_left(&mut tx, user.id).await?;
            query("UPDATE users SET failed_logins = 0 WHERE id = $1")
                .bind(user.id)
                .execute(&mut tx)
                .await?;
            audit::record(&mut tx, meta, event.detail("recovery code")).await?;
            tx.commit().await?;
            return Ok(Checked::RecoveryCode { left });
        }
    }
    let locked = crate::users::count_failure(&mut tx, meta, user, failures, now).await?;
    audit::record(
        &mut tx,
        meta,
        event.outcome(Outcome::Failure).detail("wrong code"),
    )
    .await?;
    tx.commit().await?;
    Ok(if locked {
        Checked::Locked
    } else {
        Checked::Wrong
    })
}

/// Removes a user's second factor (a lost phone: an administrator resets it, and the user
/// enrols again at the next login). Their sessions end.
pub async fn reset(db: &Db, meta: &RequestMeta, actor: &Actor, user: UserId) -> Result<()> {
    let mut tx = db.begin().await?;
    let changed = query(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0 WHERE id = $1",
    )
    .bind(user)
    .execute(&mut tx)
    .await?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user)
        .execute(&mut tx)
        .await?;
    crate::sessions::end_all_for_user(&mut tx, user).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("second_factor.reset")
            .by(actor)
            .object("user", user),
    )
    .await?;
    tx.commit().await
}

/// The code an authenticator app shows at `time` for an enrolment (for tests and the demo).
pub fn code_at(enrolment: &Enrolment, login: &str, time: OffsetDateTime) -> Result<String> {
    Ok(totp(&enrolment.secret, login)?.generate(unix(time)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890": the 8-digit codes are
        // 94287082 at 59 s and 07081804 at 1111111109 s; six digits are their last six.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        let t = totp(&secret, "rfc").unwrap();
        assert_eq!(t.generate(59), "287082");
        assert_eq!(t.generate(1_111_111_109), "081804");
        assert_eq!(matching_step(&t, "287 082", 59), Some(1));
        // One step of drift either way, no more.
        assert_eq!(matching_step(&t, "287082", 59 + 30), Some(1));
        assert_eq!(matching_step(&t, "287082", 59 + 60), None);
        assert_eq!(matching_step(&t, "28708", 59), None);
        assert_eq!(matching_step(&t, "abcdef", 59), None);
    }

    #[test]
    fn recovery_codes_are_read_loosely() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(normalize_recovery(&code.to_uppercase()).len(), 10);
        assert_eq!(normalize_recovery(" abcde - fghjk "), "abcdefghjk");
        assert_ne!(new_recovery_code(), new_recovery_code());
    }
}
