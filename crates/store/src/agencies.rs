//! Agencies (関係機関), as far as accounts need them: staff belong to one. The directory
//! feature grows this module.

use serde::Serialize;
use tsunagu_domain::{kana, Actor, AgencyId, MunicipalityId};

use crate::{
    audit::{self, Event, RequestMeta},
    db::query,
    Db, Result, Tx,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct AgencyRef {
    #[sqlx(try_from = "i64")]
    pub id: AgencyId,
    pub name: String,
}

pub async fn create(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: Option<&Actor>,
    name: &str,
    kana_reading: &str,
    municipality: Option<MunicipalityId>,
) -> Result<AgencyId> {
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO agencies (name, kana, search_key, municipality_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(name)
    .bind(kana_reading)
    .bind(kana::normalize(&format!("{name}{kana_reading}")))
    .bind(municipality)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let event = Event::new("agency.create").object("agency", id);
    let event = match actor {
        Some(a) => event.by(a),
        None => event,
    };
    audit::record(tx, meta, event).await?;
    Ok(AgencyId(id))
}

/// Active agencies by reading, for choosers.
pub async fn all(db: &Db) -> Result<Vec<AgencyRef>> {
    query("SELECT id, name FROM agencies WHERE active = $1 ORDER BY kana, name")
        .bind(true)
        .fetch_all(db)
        .await
}
