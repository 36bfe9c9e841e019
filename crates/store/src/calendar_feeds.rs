//! Calendar subscriptions: each user may have one secret feed URL listing their meetings, for a
//! calendar app that cannot log in. Only the token's hash is stored; a new one replaces the old.

use tsunagu_domain::Actor;

use crate::{audit::Event, db::query, secret, users, Result, Unit};

/// Issues a new feed token for the unit's user (the old URL stops working) and answers it.
pub async fn issue(u: &mut Unit) -> Result<String> {
    let token = secret::random_token();
    let mut w = u.write().await?;
    let actor = w.actor()?;
    query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(actor.user_id)
        .execute(&mut w.tx)
        .await?;
    query("INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3)")
        .bind(actor.user_id)
        .bind(secret::hash(&token))
        .bind(crate::now())
        .execute(&mut w.tx)
        .await?;
    w.record(Event::new("calendar.issue").object("user", actor.user_id))
        .await?;
    w.commit().await?;
    Ok(token)
}

/// The user a feed token belongs to, if it is current and the account is enabled: the unit acts
/// as them from here on.
pub async fn act_as(u: &mut Unit, token: &str) -> Result<Option<Actor>> {
    if token.len() > 100 {
        return Ok(None);
    }
    let row: Option<(i64,)> = query(
        "SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id WHERE f.token_hash = $1 AND u.disabled = $2",
    )
    .bind(secret::hash(token))
    .bind(false)
    .fetch_optional(&mut *u)
    .await?;
    let Some((user,)) = row else {
        return Ok(None);
    };
    let user = users::get(&mut *u, tsunagu_domain::UserId(user)).await?;
    let actor = users::actor(&mut *u, user).await?;
    u.set_actor(actor.clone());
    u.audit(Event::new("calendar.feed").object("user", actor.user_id));
    Ok(Some(actor))
}
