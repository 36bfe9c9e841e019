//! Consents (同意) and the legal basis of the 要保護児童対策地域協議会: what may go to which
//! agencies, for how long, and its revocation, which stops access at once.

use time::Date;
use tsunagu_domain::{
    access::{Purpose, SharePart},
    Actor, AgencyId,
};

use crate::{
    audit::{self, Event, RequestMeta},
    children::{self, ChildId},
    db::query,
    Db, Error, Result, Tx,
};

#[derive(Clone, Debug)]
pub struct ConsentInput {
    /// `true` for the 要保護児童対策地域協議会's legal basis instead of a guardian's consent.
    pub legal: bool,
    pub guardian_name: Option<String>,
    pub parts: Vec<SharePart>,
    pub agency_ids: Vec<AgencyId>,
    pub agency_kind_ids: Vec<i64>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    /// written or oral (legal for the legal basis)
    pub obtained: String,
    pub council_id: Option<i64>,
    pub note: Option<String>,
    /// The scanned consent form, one of the child's attachments.
    pub attachment_id: Option<i64>,
}

pub async fn create(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    input: &ConsentInput,
) -> Result<i64> {
    children::authorize(db, meta, actor, child, Purpose::Write, "consent.create").await?;
    if let Some(attachment) = input.attachment_id {
        let (n,): (i64,) =
            query("SELECT COUNT(*) FROM attachments WHERE id = $1 AND child_id = $2")
                .bind(attachment)
                .bind(child.0)
                .fetch_one(db)
                .await?;
        if n == 0 {
            return Err(Error::Invalid {
                field: "attachment_id",
                message: "同意書はこの子どもの添付書類から選んでください。",
            });
        }
    }
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, child, input, Some(actor)).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("consent.create")
            .by(actor)
            .object("consent", id)
            .detail(format!("child={child}")),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Inside a transaction: for `create` and the demo.
pub async fn insert(
    tx: &mut Tx,
    child: ChildId,
    input: &ConsentInput,
    actor: Option<&Actor>,
) -> Result<i64> {
    let parts = input
        .parts
        .iter()
        .map(|p| p.code())
        .collect::<Vec<_>>()
        .join(",");
    let (id,): (i64,) = query(
        "INSERT INTO consents (child_id, guardian_name, basis, parts, valid_from, valid_to, obtained, council_id, note, created_by, created_at, attachment_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(child.0)
    .bind(input.guardian_name.as_deref())
    .bind(if input.legal { "legal" } else { "consent" })
    .bind(parts)
    .bind(input.valid_from)
    .bind(input.valid_to)
    .bind(if input.legal { "legal" } else { input.obtained.as_str() })
    .bind(input.council_id)
    .bind(input.note.as_deref())
    .bind(actor.map(|a| a.user_id))
    .bind(crate::now())
    .bind(input.attachment_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("council_id", "協議会または同意書が見つかりません。"))?;
    for agency in &input.agency_ids {
        query("INSERT INTO consent_agencies (consent_id, agency_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*agency)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                e.on_foreign_key("agency_ids", "関係機関が見つかりません。")
                    .on_unique("agency_ids")
            })?;
    }
    for kind in &input.agency_kind_ids {
        query("INSERT INTO consent_agency_kinds (consent_id, kind_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*kind)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                e.on_foreign_key("agency_kind_ids", "機関種別が見つかりません。")
                    .on_unique("agency_kind_ids")
            })?;
    }
    let what = if input.legal {
        "要保護児童対策地域協議会による情報共有を記録しました"
    } else {
        "情報共有の同意を記録しました"
    };
    children::add_event(tx, child, "consent", what, Some(id), actor).await?;
    Ok(id)
}

/// Revokes a consent from `on` (today): agencies lose access from that day.
pub async fn revoke(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    consent: i64,
    on: Date,
) -> Result<()> {
    children::authorize(db, meta, actor, child, Purpose::Write, "consent.revoke").await?;
    let mut tx = db.begin().await?;
    let n = query("UPDATE consents SET revoked_on = $1, revoked_by = $2 WHERE id = $3 AND child_id = $4 AND revoked_on IS NULL")
        .bind(on)
        .bind(actor.user_id)
        .bind(consent)
        .bind(child.0)
        .execute(&mut tx)
        .await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    children::add_event(
        &mut tx,
        child,
        "consent",
        "同意が撤回されました",
        Some(consent),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("consent.revoke")
            .by(actor)
            .object("consent", consent)
            .detail(format!("child={child}")),
    )
    .await?;
    tx.commit().await
}

/// A consent or benefit certificate of the user's areas that ends within `days`.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Expiring {
    pub child_id: i64,
    pub child_name: String,
    pub what: String,
    pub until: Date,
}

pub async fn expiring(db: &Db, actor: &Actor, today: Date, days: i64) -> Result<Vec<Expiring>> {
    if !actor.role.needs_areas() || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    // Area ids come from the user's own record, never input.
    let areas = actor
        .area_ids
        .iter()
        .map(|a| a.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let until = today + time::Duration::days(days);
    query(format!(
        "SELECT c.id AS child_id, c.family_name || ' ' || c.given_name AS child_name, '同意' AS what, s.valid_to AS until \
         FROM consents s JOIN children c ON c.id = s.child_id \
         WHERE c.area_id IN ({areas}) AND c.status = 'active' AND s.revoked_on IS NULL AND s.valid_to >= $1 AND s.valid_to <= $2 \
         UNION ALL \
         SELECT c.id, c.family_name || ' ' || c.given_name, '受給者証（' || b.service || '）', b.valid_to \
         FROM benefit_certificates b JOIN children c ON c.id = b.child_id \
         WHERE c.area_id IN ({areas}) AND c.status = 'active' AND b.valid_to >= $1 AND b.valid_to <= $2 \
         ORDER BY until, child_id"
    ))
    .bind(today)
    .bind(until)
    .fetch_all(db)
    .await
}
