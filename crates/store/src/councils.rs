//! Councils (協議会) of an area and their member agencies. Their meetings come with the
//! challenges log.

use serde::Serialize;
use tsunagu_domain::{directory::may_manage_council, Actor, AgencyId, AreaId};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    db::{query, On},
    Db, Error, Result,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Council {
    pub id: i64,
    pub name: String,
    /// independence_support, child_protection, sen_coordinators, special_needs_cooperation, other
    pub kind: String,
    pub area_id: i64,
    pub area_name: String,
    pub note: Option<String>,
    #[sqlx(skip)]
    pub members: Vec<crate::agencies::NamedRef>,
}

#[derive(Clone, Debug)]
pub struct CouncilInput {
    pub name: String,
    pub kind: String,
    pub area_id: AreaId,
    pub note: Option<String>,
    pub member_ids: Vec<AgencyId>,
}

const SELECT: &str = "SELECT c.id, c.name, c.kind, c.area_id, ar.name AS area_name, c.note \
    FROM councils c JOIN areas ar ON ar.id = c.area_id";

/// Councils, of one area or all, with their members.
pub async fn list<'a>(on: impl Into<On<'a>>, area: Option<AreaId>) -> Result<Vec<Council>> {
    let mut on = on.into();
    let mut councils: Vec<Council> = query(format!(
        "{SELECT} WHERE ($1 IS NULL OR c.area_id = $1) ORDER BY ar.name, c.name"
    ))
    .bind(area)
    .fetch_all(on.exec())
    .await?;
    let members: Vec<(i64, i64, String)> = query(
        "SELECT cm.council_id, a.id, a.name FROM council_members cm JOIN agencies a ON a.id = cm.agency_id \
         WHERE ($1 IS NULL OR cm.council_id IN (SELECT id FROM councils WHERE area_id = $1)) ORDER BY a.kana, a.name",
    )
    .bind(area)
    .fetch_all(on.exec())
    .await?;
    for c in &mut councils {
        c.members = members
            .iter()
            .filter(|(cid, _, _)| *cid == c.id)
            .map(|(_, id, name)| crate::agencies::NamedRef {
                id: *id,
                name: name.clone(),
            })
            .collect();
    }
    Ok(councils)
}

pub async fn get<'a>(on: impl Into<On<'a>>, id: i64) -> Result<Council> {
    let mut on = on.into();
    let mut c: Council = query(format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_one(on.exec())
        .await?;
    c.members = query(
        "SELECT a.id, a.name FROM council_members cm JOIN agencies a ON a.id = cm.agency_id \
         WHERE cm.council_id = $1 ORDER BY a.kana, a.name",
    )
    .bind(id)
    .fetch_all(on.exec())
    .await?;
    Ok(c)
}

/// Creates a council inside `tx` without a user's check: for the demo and operator-loaded data.
pub async fn create_in(
    tx: &mut crate::Tx,
    meta: &RequestMeta,
    input: &CouncilInput,
) -> Result<i64> {
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO councils (name, kind, area_id, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(&input.name)
    .bind(&input.kind)
    .bind(input.area_id)
    .bind(input.note.as_deref())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for m in &input.member_ids {
        query("INSERT INTO council_members (council_id, agency_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*m)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(tx, meta, Event::new("council.save").object("council", id)).await?;
    Ok(id)
}

/// Creates (`id` None) or changes a council; coordinators of its area and admins only.
pub async fn save(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: Option<i64>,
    input: &CouncilInput,
) -> Result<i64> {
    let allowed = may_manage_council(actor, input.area_id)
        && match id {
            Some(id) => may_manage_council(actor, AreaId(get(db, id).await?.area_id)),
            None => true,
        };
    if !allowed {
        audit::record_alone(
            db,
            meta,
            Event::new("council.save")
                .by(actor)
                .object_type("council")
                .outcome(Outcome::Denied),
        )
        .await?;
        return Err(Error::Forbidden);
    }
    let now = crate::now();
    let mut tx = db.begin().await?;
    let id = match id {
        Some(id) => {
            query("UPDATE councils SET name = $1, kind = $2, area_id = $3, note = $4, updated_at = $5 WHERE id = $6")
                .bind(&input.name)
                .bind(&input.kind)
                .bind(input.area_id)
                .bind(input.note.as_deref())
                .bind(now)
                .bind(id)
                .execute(&mut tx)
                .await
                .map_err(|e| e.on_unique("name"))?;
            id
        }
        None => {
            let (id,): (i64,) = query(
                "INSERT INTO councils (name, kind, area_id, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&input.name)
            .bind(&input.kind)
            .bind(input.area_id)
            .bind(input.note.as_deref())
            .bind(now)
            .fetch_one(&mut tx)
            .await
            .map_err(|e| {
                e.on_unique("name")
                    .on_foreign_key("area_id", "地域が見つかりません。")
            })?;
            id
        }
    };
    query("DELETE FROM council_members WHERE council_id = $1")
        .bind(id)
        .execute(&mut tx)
        .await?;
    let mut members = input.member_ids.clone();
    members.sort();
    members.dedup();
    for m in members {
        query("INSERT INTO council_members (council_id, agency_id) VALUES ($1, $2)")
            .bind(id)
            .bind(m)
            .execute(&mut tx)
            .await
            .map_err(|e| e.on_foreign_key("member_ids", "関係機関が見つかりません。"))?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("council.save").by(actor).object("council", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
