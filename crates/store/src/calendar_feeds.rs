//! Calendar subscriptions: each user may have one secret feed URL listing their meetings, for a
//! calendar app that cannot log in. Only the token's hash is stored; a new one replaces the old.

use tsunagu_domain::Actor;

use crate::{
    audit::{self, Event, RequestMeta},
    db::query,
    secret, users, Db, Result,
};

/// Issues a new feed token for the actor (the old URL stops working) and answers it.
pub async fn issue(db: &Db, meta: &RequestMeta, actor: &Actor) -> Result<String> {
    let token = secret::random_token();
    let mut tx = db.begin().await?;
    query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(actor.user_id)
        .execute(&mut tx)
        .await?;
    query("INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)")
        .bind(actor.user_id)
        .bind(secret::hash(&token))
        .bind(crate::now())
        .execute(&mut tx)
        .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("calendar.issue")
            .by(actor)
            .object("user", actor.user_id),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The user a feed token belongs to, if it is current and the account is enabled.
pub async fn actor_for(db: &Db, meta: &RequestMeta, token: &str) -> Result<Option<Actor>> {
    if token.len() > 100 {
        return Ok(None);
    }
    let row: Option<(i64,)> = query(
        "SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id WHERE f.token_hash = $1 AND u.disabled = $2",
    )
    .bind(secret::hash(token))
    .bind(false)
    .fetch_optional(db)
    .await?;
    let Some((user,)) = row else {
        return Ok(None);
    };
    let actor = users::actor(db, users::get(db, tsunagu_domain::UserId(user)).await?).await?;
    audit::record_alone(
        db,
        meta,
        Event::new("calendar.feed")
            .by(&actor)
            .object("user", actor.user_id),
    )
    .await?;
    Ok(Some(actor))
}
