//! API tokens: shown once, stored hashed, expiring, revocable. A password reset or a disabled
//! account revokes all of a user's tokens.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_domain::{Actor, TokenId, UserId};

use crate::{
    audit::{self, Event, RequestMeta},
    db::{query, On},
    secret,
    users::User,
    Error, Result, Tx,
};

/// Every token starts with this, so a leaked one is easy to recognise in a scan.
pub const PREFIX: &str = "tsn_";

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Token {
    #[schema(value_type = i64)]
    pub id: TokenId,
    pub user_id: i64,
    pub user_login: String,
    pub name: String,
    /// The first characters, to tell tokens apart on screen.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    /// After this the token is refused (None only for a token from before expiry existed and
    /// already revoked).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl Token {
    /// Whether the token's time has run out (revoked or not).
    pub fn is_expired(&self) -> bool {
        self.expires_at.is_some_and(|e| e <= crate::now())
    }
}

/// How long a token is valid unless chosen otherwise.
pub const DEFAULT_VALIDITY: time::Duration = time::Duration::days(90);

/// Creates a token for `user`; answers its id and the secret, which is never shown again.
pub async fn create(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: Option<&Actor>,
    user: UserId,
    name: &str,
    valid_for: time::Duration,
) -> Result<(TokenId, String)> {
    if valid_for <= time::Duration::ZERO || valid_for > time::Duration::days(3 * 365) {
        return Err(Error::Invalid {
            field: "expires_in",
            message: "有効期間は1日から3年（1095日）までで指定してください。",
        });
    }
    let token = format!("{PREFIX}{}", secret::random_token());
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(user)
    .bind(name)
    .bind(secret::hash(&token))
    .bind(&token[..PREFIX.len() + 6])
    .bind(now)
    .bind(actor.map(|a| a.user_id))
    .bind(now + valid_for)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("user_id", "ユーザーが見つかりません。"))?;
    let event = Event::new("token.create")
        .object("api_token", id)
        .detail(format!("for user {user}, {} days", valid_for.whole_days()));
    let event = match actor {
        Some(a) => event.by(a),
        None => event,
    };
    audit::record(tx, meta, event).await?;
    Ok((TokenId(id), token))
}

/// The user a bearer token stands for and their areas, read by the request unit in one
/// statement, if the token is valid, not revoked, not expired and its user not disabled. Its last use goes
/// with the request's trail (at most once a minute).
pub async fn of_bearer(u: &mut crate::Unit, token: &str) -> Result<Option<(User, Actor, String)>> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        token_id: i64,
        last_used_at: Option<OffsetDateTime>,
        #[sqlx(flatten)]
        user: crate::users::UserWithAreas,
    }
    let row: Option<Row> = query(format!(
        "SELECT t.id AS token_id, t.last_used_at, {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = $2 \
         AND (t.expires_at IS NULL OR t.expires_at > $3)",
        crate::users::actor_columns(u.backend())
    ))
    .bind(secret::hash(token))
    .bind(false)
    .bind(crate::now())
    .fetch_optional(&mut *u)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let now = crate::now();
    if row
        .last_used_at
        .is_none_or(|t| now - t >= time::Duration::minutes(1))
    {
        u.token_used(row.token_id);
    }
    let actor = row.user.actor();
    let placement = row.user.placement();
    Ok(Some((row.user.user, actor, placement)))
}

const COLUMNS: &str = "t.id, t.user_id, u.login AS user_login, t.name, t.prefix, t.created_at, \
    t.last_used_at, t.revoked_at, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id";

pub async fn list<'a>(on: impl Into<On<'a>>) -> Result<Vec<Token>> {
    let mut on = on.into();
    query(format!(
        "SELECT {COLUMNS} ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC"
    ))
    .fetch_all(on.exec())
    .await
}

/// One user's tokens, valid ones first (their account page, `tsunagu token list`).
pub async fn list_for_user<'a>(on: impl Into<On<'a>>, user: UserId) -> Result<Vec<Token>> {
    let mut on = on.into();
    query(format!(
        "SELECT {COLUMNS} WHERE t.user_id = $1 \
         ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC"
    ))
    .bind(user)
    .fetch_all(on.exec())
    .await
}

/// Revokes every token of `user` still valid (a password reset, a disabled account).
pub async fn revoke_all_for_user(tx: &mut Tx, user: UserId) -> Result<u64> {
    query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(crate::now())
        .bind(user)
        .execute(tx)
        .await
}

/// The user revokes one of their own tokens.
pub async fn revoke_own(tx: &mut Tx, meta: &RequestMeta, actor: &Actor, id: TokenId) -> Result<()> {
    let changed = query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(crate::now())
    .bind(id)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        tx,
        meta,
        Event::new("token.revoke").by(actor).object("api_token", id),
    )
    .await
}

pub async fn revoke(tx: &mut Tx, meta: &RequestMeta, actor: &Actor, id: TokenId) -> Result<()> {
    revoke_as(tx, meta, Some(actor), id).await
}

/// Revoked from the server's command line (`tsunagu token revoke`).
pub async fn revoke_by_operator(tx: &mut Tx, meta: &RequestMeta, id: TokenId) -> Result<()> {
    revoke_as(tx, meta, None, id).await
}

async fn revoke_as(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: Option<&Actor>,
    id: TokenId,
) -> Result<()> {
    let changed =
        query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(crate::now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    let event = Event::new("token.revoke").object("api_token", id);
    let event = match actor {
        Some(a) => event.by(a),
        None => event,
    };
    audit::record(tx, meta, event).await
}
