//! Possible duplicates: a person flags two records as maybe the same child; a coordinator of
//! the area decides — merge (both histories move to the surviving record, who and when are
//! recorded) or different children. Nothing is merged automatically.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_domain::{access::Purpose, Actor};

use crate::{
    audit::{self, Event, RequestMeta},
    children::{self, ChildId},
    db::query,
    Db, Error, Result, Tx,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Flag {
    pub id: i64,
    pub child_id: i64,
    pub other_child_id: i64,
    pub other_name: String,
    pub note: Option<String>,
    pub raised_by_name: Option<String>,
    pub raised_at: OffsetDateTime,
}

/// Open flags that involve `child`, each naming the other record.
pub async fn open_for(db: &Db, child: ChildId) -> Result<Vec<Flag>> {
    query(
        "SELECT f.id, $1 AS child_id, CASE WHEN f.child_id = $1 THEN f.other_child_id ELSE f.child_id END AS other_child_id, \
         o.family_name || ' ' || o.given_name AS other_name, f.note, u.display_name AS raised_by_name, f.raised_at \
         FROM duplicate_flags f JOIN children o ON o.id = CASE WHEN f.child_id = $1 THEN f.other_child_id ELSE f.child_id END \
         LEFT JOIN users u ON u.id = f.raised_by WHERE (f.child_id = $1 OR f.other_child_id = $1) AND f.decision IS NULL ORDER BY f.id",
    )
    .bind(child.0)
    .fetch_all(db)
    .await
}

/// Flags `child` and `other` as possibly the same; the user must be able to change both.
pub async fn raise(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    other: ChildId,
    note: Option<&str>,
) -> Result<i64> {
    if child == other {
        return Err(Error::Invalid {
            field: "other_child_id",
            message: "同じ記録どうしは重複として記録できません。",
        });
    }
    children::authorize(db, meta, actor, child, Purpose::Write, "duplicate.raise").await?;
    children::authorize(db, meta, actor, other, Purpose::Write, "duplicate.raise").await?;
    let mut tx = db.begin().await?;
    let (id,): (i64,) = query(
        "INSERT INTO duplicate_flags (child_id, other_child_id, note, raised_by, raised_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(child.0)
    .bind(other.0)
    .bind(note)
    .bind(actor.user_id)
    .bind(crate::now())
    .fetch_one(&mut tx)
    .await?;
    children::add_event(
        &mut tx,
        child,
        "duplicate",
        &format!("重複の可能性を記録しました（ID {other}）"),
        Some(id),
        Some(actor),
    )
    .await?;
    children::add_event(
        &mut tx,
        other,
        "duplicate",
        &format!("重複の可能性を記録しました（ID {child}）"),
        Some(id),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("duplicate.raise")
            .by(actor)
            .object("duplicate_flag", id)
            .detail(format!("{child},{other}")),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn flag(db: &Db, id: i64) -> Result<(ChildId, ChildId)> {
    let (a, b): (i64, i64) = query(
        "SELECT child_id, other_child_id FROM duplicate_flags WHERE id = $1 AND decision IS NULL",
    )
    .bind(id)
    .fetch_one(db)
    .await?;
    Ok((ChildId(a), ChildId(b)))
}

/// The coordinator decides they are different children.
pub async fn mark_distinct(db: &Db, meta: &RequestMeta, actor: &Actor, id: i64) -> Result<()> {
    let (a, b) = flag(db, id).await?;
    children::authorize(db, meta, actor, a, Purpose::Write, "duplicate.decide").await?;
    children::authorize(db, meta, actor, b, Purpose::Write, "duplicate.decide").await?;
    let mut tx = db.begin().await?;
    decide(&mut tx, actor, id, "distinct").await?;
    for (x, y) in [(a, b), (b, a)] {
        children::add_event(
            &mut tx,
            x,
            "duplicate",
            &format!("ID {y} とは別の子どもと判断しました"),
            Some(id),
            Some(actor),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("duplicate.distinct")
            .by(actor)
            .object("duplicate_flag", id),
    )
    .await?;
    tx.commit().await
}

async fn decide(tx: &mut Tx, actor: &Actor, id: i64, decision: &str) -> Result<()> {
    query(
        "UPDATE duplicate_flags SET decision = $1, decided_by = $2, decided_at = $3 WHERE id = $4",
    )
    .bind(decision)
    .bind(actor.user_id)
    .bind(crate::now())
    .bind(id)
    .execute(&mut *tx)
    .await
    .map(|_| ())
}

/// Merges the flagged pair into `survivor`: every history of the other record moves to it; the
/// other record is closed, points at the survivor, and says who merged it and when.
pub async fn merge(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: i64,
    survivor: ChildId,
) -> Result<()> {
    let (a, b) = flag(db, id).await?;
    let merged = if survivor == a {
        b
    } else if survivor == b {
        a
    } else {
        return Err(Error::Invalid {
            field: "survivor",
            message: "残す記録は重複の組のどちらかにしてください。",
        });
    };
    children::authorize(db, meta, actor, survivor, Purpose::Write, "child.merge").await?;
    children::authorize(db, meta, actor, merged, Purpose::Write, "child.merge").await?;
    let mut tx = db.begin().await?;
    // Table names are constants, never input.
    for table in [
        "child_events",
        "consultations",
        "consents",
        "care_team_members",
        "accommodations",
        "guardians",
        "certificates",
        "benefit_certificates",
        "attachments",
        "referrals",
        "care_notes",
        "meetings",
        "action_items",
    ] {
        query(format!(
            "UPDATE {table} SET child_id = $1 WHERE child_id = $2"
        ))
        .bind(survivor.0)
        .bind(merged.0)
        .execute(&mut tx)
        .await?;
    }
    // A part already disclosed to the agency for the survivor keeps its first record there.
    query(
        "UPDATE disclosures SET child_id = $1 WHERE child_id = $2 AND NOT EXISTS \
         (SELECT 1 FROM disclosures d WHERE d.child_id = $1 AND d.agency_id = disclosures.agency_id AND d.part = disclosures.part)",
    )
    .bind(survivor.0)
    .bind(merged.0)
    .execute(&mut tx)
    .await?;
    let today = children::today_in_japan();
    query(
        "UPDATE children SET merged_into_id = $1, status = 'closed', closed_on = $2, closed_reason = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(survivor.0)
    .bind(today)
    .bind(format!("ID {survivor} に統合"))
    .bind(crate::now())
    .bind(merged.0)
    .execute(&mut tx)
    .await?;
    decide(&mut tx, actor, id, "merged").await?;
    children::add_event(
        &mut tx,
        survivor,
        "duplicate",
        &format!("ID {merged} の記録を統合しました（両方の経過を残しています）"),
        Some(id),
        Some(actor),
    )
    .await?;
    children::add_event(
        &mut tx,
        merged,
        "duplicate",
        &format!("ID {survivor} に統合されました"),
        Some(id),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("child.merge")
            .by(actor)
            .object("child", survivor)
            .detail(format!("merged={merged}")),
    )
    .await?;
    tx.commit().await
}
