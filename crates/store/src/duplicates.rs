//! Possible duplicates: a person flags two records as maybe the same child; a coordinator of
//! the area decides — merge (both histories move to the surviving record, who and when are
//! recorded) or different children. Nothing is merged automatically.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_domain::{access::Purpose, Actor, ChildId};

use crate::{
    access::{self, ChildAccess},
    audit::{Event, Outcome},
    children,
    db::query,
    Error, Result, Tx, Unit,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Flag {
    pub id: i64,
    pub child_id: ChildId,
    pub other_child_id: ChildId,
    pub other_name: String,
    pub note: Option<String>,
    pub raised_by_name: Option<String>,
    pub raised_at: OffsetDateTime,
}

/// Open flags that involve the child, each naming the other record (for a coordinator who may
/// change the record; a flag whose other record the reader may not see is left out).
pub async fn open_for(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Flag>> {
    if !access.is_coordinator() {
        return Ok(vec![]);
    }
    let actor = u.actor()?;
    let visible = access::visible_as(&actor, access::today(), "o");
    let found: Vec<Flag> = query(format!(
        "SELECT f.id, $1 AS child_id, CASE WHEN f.child_id = $1 THEN f.other_child_id ELSE f.child_id END AS other_child_id, \
         o.family_name || ' ' || o.given_name AS other_name, f.note, u.display_name AS raised_by_name, f.raised_at \
         FROM duplicate_flags f JOIN children o ON o.id = CASE WHEN f.child_id = $1 THEN f.other_child_id ELSE f.child_id END \
         LEFT JOIN users u ON u.id = f.raised_by WHERE (f.child_id = $1 OR f.other_child_id = $1) AND f.decision IS NULL AND {visible} ORDER BY f.id",
    ))
    .bind(access.child().0)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("duplicate.list", found.iter().map(|f| f.other_child_id));
    Ok(found)
}

/// Flags two children as possibly the same; each access is a coordinator's, minted for a change.
pub async fn raise(
    u: &mut Unit,
    one: &ChildAccess,
    other: &ChildAccess,
    note: Option<&str>,
) -> Result<i64> {
    let (child, other_id) = (one.child(), other.child());
    if child == other_id {
        return Err(Error::Invalid {
            field: "other_child_id",
            message: "同じ記録どうしは重複として記録できません。",
        });
    }
    let mut w = access::write(u, one, "duplicate.raise").await?;
    access::also(&mut w, other, "duplicate.raise").await?;
    let actor = w.actor()?;
    let (id,): (i64,) = query(
        "INSERT INTO duplicate_flags (child_id, other_child_id, note, raised_by, raised_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(child.0)
    .bind(other_id.0)
    .bind(note)
    .bind(actor.user_id)
    .bind(crate::now())
    .fetch_one(&mut w.tx)
    .await?;
    children::add_event(
        &mut w.tx,
        child,
        "duplicate",
        &format!("重複の可能性を記録しました（ID {other_id}）"),
        Some(id),
        Some(&actor),
    )
    .await?;
    children::add_event(
        &mut w.tx,
        other_id,
        "duplicate",
        &format!("重複の可能性を記録しました（ID {child}）"),
        Some(id),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("duplicate.raise")
            .object("duplicate_flag", id)
            .detail(format!("{child},{other_id}")),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// The open flag's two records, each with a coordinator's access minted for a change; anyone
/// else is refused (audited under `action`). Asked before a form's input is checked.
pub async fn pair(u: &mut Unit, id: i64, action: &str) -> Result<(ChildAccess, ChildAccess)> {
    let found: Option<(i64, i64)> = query(
        "SELECT child_id, other_child_id FROM duplicate_flags WHERE id = $1 AND decision IS NULL",
    )
    .bind(id)
    .fetch_optional(&mut *u)
    .await?;
    let Some((a, b)) = found else {
        u.audit(
            Event::new(action)
                .object("duplicate_flag", id)
                .outcome(Outcome::Denied)
                .detail("not found"),
        );
        return Err(Error::NotFound);
    };
    let a = access::child(u, ChildId(a), Purpose::Write, action).await?;
    let b = access::child(u, ChildId(b), Purpose::Write, action).await?;
    Ok((a, b))
}

/// The coordinator decides they are different children.
pub async fn mark_distinct(u: &mut Unit, id: i64) -> Result<()> {
    let (a, b) = pair(u, id, "duplicate.decide").await?;
    let mut w = access::write(u, &a, "duplicate.decide").await?;
    access::also(&mut w, &b, "duplicate.decide").await?;
    let actor = w.actor()?;
    decide(&mut w.tx, &actor, id, "distinct").await?;
    for (x, y) in [(a.child(), b.child()), (b.child(), a.child())] {
        children::add_event(
            &mut w.tx,
            x,
            "duplicate",
            &format!("ID {y} とは別の子どもと判断しました"),
            Some(id),
            Some(&actor),
        )
        .await?;
    }
    w.record(Event::new("duplicate.distinct").object("duplicate_flag", id))
        .await?;
    w.commit().await
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
pub async fn merge(u: &mut Unit, id: i64, survivor: ChildId) -> Result<()> {
    let (a, b) = pair(u, id, "child.merge").await?;
    let (keep, gone) = if survivor == a.child() {
        (a, b)
    } else if survivor == b.child() {
        (b, a)
    } else {
        return Err(Error::Invalid {
            field: "survivor",
            message: "残す記録は重複の組のどちらかにしてください。",
        });
    };
    let merged = gone.child();
    let mut w = access::write(u, &keep, "child.merge").await?;
    access::also(&mut w, &gone, "child.merge").await?;
    let actor = w.actor()?;
    let tx = &mut w.tx;
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
        "secondary_difficulties",
    ] {
        query(format!(
            "UPDATE {table} SET child_id = $1 WHERE child_id = $2"
        ))
        .bind(survivor.0)
        .bind(merged.0)
        .execute(&mut *tx)
        .await?;
    }
    // A part already disclosed to the agency for the survivor keeps its first record there.
    query(
        "UPDATE disclosures SET child_id = $1 WHERE child_id = $2 AND NOT EXISTS \
         (SELECT 1 FROM disclosures d WHERE d.child_id = $1 AND d.agency_id = disclosures.agency_id AND d.part = disclosures.part)",
    )
    .bind(survivor.0)
    .bind(merged.0)
    .execute(&mut *tx)
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
    .execute(&mut *tx)
    .await?;
    decide(tx, &actor, id, "merged").await?;
    children::add_event(
        tx,
        survivor,
        "duplicate",
        &format!("ID {merged} の記録を統合しました（両方の経過を残しています）"),
        Some(id),
        Some(&actor),
    )
    .await?;
    children::add_event(
        tx,
        merged,
        "duplicate",
        &format!("ID {survivor} に統合されました"),
        Some(id),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("child.merge")
            .object("child", survivor)
            .detail(format!("merged={merged}")),
    )
    .await?;
    w.commit().await
}
