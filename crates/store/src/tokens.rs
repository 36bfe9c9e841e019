//! API tokens: shown once, stored hashed, revocable.

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
}

/// Creates a token for `user`; answers its id and the secret, which is never shown again.
pub async fn create(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: Option<&Actor>,
    user: UserId,
    name: &str,
) -> Result<(TokenId, String)> {
    let token = format!("{PREFIX}{}", secret::random_token());
    let (id,): (i64,) = query(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user)
    .bind(name)
    .bind(secret::hash(&token))
    .bind(&token[..PREFIX.len() + 6])
    .bind(crate::now())
    .bind(actor.map(|a| a.user_id))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("user_id", "ユーザーが見つかりません。"))?;
    let event = Event::new("token.create")
        .object("api_token", id)
        .detail(format!("for user {user}"));
    let event = match actor {
        Some(a) => event.by(a),
        None => event,
    };
    audit::record(tx, meta, event).await?;
    Ok((TokenId(id), token))
}

/// The user a bearer token stands for and their areas, read by the request unit in one
/// statement, if the token is valid, not revoked and its user not disabled. Its last use goes
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
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = $2",
        crate::users::actor_columns(u.backend())
    ))
    .bind(secret::hash(token))
    .bind(false)
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

pub async fn list<'a>(on: impl Into<On<'a>>) -> Result<Vec<Token>> {
    let mut on = on.into();
    query(
        "SELECT t.id, t.user_id, u.login AS user_login, t.name, t.prefix, t.created_at, \
         t.last_used_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
         ORDER BY t.revoked_at IS NOT NULL, t.created_at DESC, t.id DESC",
    )
    .fetch_all(on.exec())
    .await
}

pub async fn revoke(tx: &mut Tx, meta: &RequestMeta, actor: &Actor, id: TokenId) -> Result<()> {
    let changed =
        query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(crate::now())
            .bind(id)
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
