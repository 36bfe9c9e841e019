//! Login sessions, kept in the database so several app servers can share them.

use time::{Duration, OffsetDateTime};
use tsunagu_domain::UserId;

use crate::{
    audit::{self, Event, RequestMeta},
    db::{query, On},
    secret,
    users::User,
    Db, Result, Tx,
};

/// How long a session lives: idle and in all.
#[derive(Clone, Copy, Debug)]
pub struct Lifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for Lifetime {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// A new session's secrets: the cookie value and the token forms must carry.
pub struct NewSession {
    pub cookie: String,
    pub csrf_token: String,
}

/// A live session found from its cookie.
pub struct Session {
    pub user: User,
    /// Where the user works (their areas, or their agency), for the page's frame.
    pub placement: String,
    pub csrf_token: String,
    /// Opened by the password alone; the TOTP or recovery code is still to come.
    pub second_factor_pending: bool,
}

/// Opens a session after the password; with `second_factor_pending` it opens nothing but the
/// second step until [`complete_second_factor`].
pub async fn create<'a>(
    on: impl Into<On<'a>>,
    meta: &RequestMeta,
    user: &User,
    second_factor_pending: bool,
) -> Result<NewSession> {
    let mut on = on.into();
    let cookie = secret::random_token();
    let csrf_token = secret::random_token();
    let now = crate::now();
    query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, client_addr, second_factor_pending) \
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(secret::hash(&cookie))
    .bind(user.id)
    .bind(&csrf_token)
    .bind(now)
    .bind(meta.client_addr.as_deref())
    .bind(second_factor_pending)
    .execute(on.exec())
    .await?;
    Ok(NewSession { cookie, csrf_token })
}

/// The second factor was given: the session opens everything the user may see.
pub async fn complete_second_factor<'a>(on: impl Into<On<'a>>, cookie: &str) -> Result<()> {
    let mut on = on.into();
    query("UPDATE sessions SET second_factor_pending = $1 WHERE token_hash = $2")
        .bind(false)
        .bind(secret::hash(cookie))
        .execute(on.exec())
        .await
        .map(|_| ())
}

/// The live session of `cookie` with its user and their areas, read by the request unit in one
/// statement; its last-seen time goes with the request's trail (at most once a minute), so a
/// page view writes nothing of its own. An expired session is none (purged now and then).
pub async fn of_cookie(
    u: &mut crate::Unit,
    cookie: &str,
    lifetime: Lifetime,
) -> Result<Option<(Session, tsunagu_domain::Actor)>> {
    let token_hash = secret::hash(cookie);
    #[derive(sqlx::FromRow)]
    struct Row {
        csrf_token: String,
        session_created_at: OffsetDateTime,
        last_seen_at: OffsetDateTime,
        second_factor_pending: bool,
        #[sqlx(flatten)]
        user: crate::users::UserWithAreas,
    }
    let row: Option<Row> = query(format!(
        "SELECT s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.second_factor_pending, {} \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = $2",
        crate::users::actor_columns(u.backend())
    ))
    .bind(&token_hash)
    .bind(false)
    .fetch_optional(&mut *u)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let now = crate::now();
    if now - row.last_seen_at > lifetime.idle || now - row.session_created_at > lifetime.absolute {
        return Ok(None);
    }
    // Touch at most once a minute (more often with a short idle limit, so activity always
    // counts).
    if now - row.last_seen_at >= Duration::minutes(1).min(lifetime.idle / 4) {
        u.session_seen(token_hash);
    }
    let actor = row.user.actor();
    let placement = row.user.placement();
    Ok(Some((
        Session {
            placement,
            user: row.user.user,
            csrf_token: row.csrf_token,
            second_factor_pending: row.second_factor_pending,
        },
        actor,
    )))
}

/// Ends the session of `cookie` (logout).
pub async fn end(db: &Db, meta: &RequestMeta, cookie: &str, user: &User) -> Result<()> {
    let mut tx = db.begin().await?;
    query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(secret::hash(cookie))
        .execute(&mut tx)
        .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("logout").by_user(user.id, &user.login),
    )
    .await?;
    tx.commit().await
}

/// Ends every session of `user` (disabled, password reset, role changed): they must log in again.
pub async fn end_all_for_user(tx: &mut Tx, user: UserId) -> Result<()> {
    query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user)
        .execute(tx)
        .await
        .map(|_| ())
}

/// Removes sessions past their absolute lifetime; run now and then. A session past its idle
/// limit no longer opens anything ([`of_cookie`]) but stays until then, so a form sent from
/// its page can still be kept for its user ([`stale`]).
pub async fn purge_expired<'a>(on: impl Into<On<'a>>, lifetime: Lifetime) -> Result<u64> {
    let mut on = on.into();
    query("DELETE FROM sessions WHERE created_at < $1")
        .bind(crate::now() - lifetime.absolute)
        .execute(on.exec())
        .await
}

/// The user and form token of the session of `cookie` whether or not it is still live (an
/// enabled user, within the absolute lifetime): whose page a form sent after it ended came from.
pub async fn stale(db: &Db, cookie: &str, lifetime: Lifetime) -> Result<Option<(UserId, String)>> {
    query(
        "SELECT s.user_id, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND u.disabled = $2 AND s.created_at > $3",
    )
    .bind(secret::hash(cookie))
    .bind(false)
    .bind(crate::now() - lifetime.absolute)
    .fetch_optional(db)
    .await
    .map(|row: Option<(i64, String)>| row.map(|(id, csrf)| (UserId(id), csrf)))
}

/// Counts now as the session's last activity (「延長する」 before the idle limit).
pub async fn extend(db: &Db, cookie: &str) -> Result<()> {
    query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
        .bind(crate::now())
        .bind(secret::hash(cookie))
        .execute(db)
        .await
        .map(|_| ())
}
