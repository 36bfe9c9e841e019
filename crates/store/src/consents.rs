//! Consents (同意) and the legal basis of the 要保護児童対策地域協議会: what may go to which
//! agencies, for how long, and its revocation, which stops access at once.

use time::Date;
use tsunagu_domain::{access::SharePart, Actor, AgencyId};

use crate::{
    access::{self, ChildAccess},
    audit::Event,
    children::{self, ChildId},
    db::query,
    Error, Result, Tx, Unit,
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

/// Records a consent (or the legal basis) of the child; `access` is minted for the change.
pub async fn create(u: &mut Unit, access: &ChildAccess, input: &ConsentInput) -> Result<i64> {
    let child = access.child();
    let mut w = access::write(u, access, "consent.create").await?;
    if let Some(attachment) = input.attachment_id {
        let (n,): (i64,) =
            query("SELECT COUNT(*) FROM attachments WHERE id = $1 AND child_id = $2")
                .bind(attachment)
                .bind(child.0)
                .fetch_one(&mut w.tx)
                .await?;
        if n == 0 {
            return Err(Error::Invalid {
                field: "attachment_id",
                message: "同意書はこの子どもの添付書類から選んでください。",
            });
        }
    }
    let actor = w.actor()?;
    let id = insert(&mut w.tx, child, input, Some(&actor)).await?;
    w.record(
        Event::new("consent.create")
            .object("consent", id)
            .detail(format!("child={child}")),
    )
    .await?;
    w.commit().await?;
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
pub async fn revoke(u: &mut Unit, access: &ChildAccess, consent: i64, on: Date) -> Result<()> {
    let child = access.child();
    let mut w = access::write(u, access, "consent.revoke").await?;
    let actor = w.actor()?;
    let n = query("UPDATE consents SET revoked_on = $1, revoked_by = $2 WHERE id = $3 AND child_id = $4 AND revoked_on IS NULL")
        .bind(on)
        .bind(actor.user_id)
        .bind(consent)
        .bind(child.0)
        .execute(&mut w.tx)
        .await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    children::add_event(
        &mut w.tx,
        child,
        "consent",
        "同意が撤回されました",
        Some(consent),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("consent.revoke")
            .object("consent", consent)
            .detail(format!("child={child}")),
    )
    .await?;
    w.commit().await
}

/// A consent or benefit certificate of the user's areas that ends within `days`.
#[derive(Clone, Debug, serde::Serialize, sqlx::FromRow)]
pub struct Expiring {
    pub child_id: i64,
    pub child_name: String,
    pub what: String,
    pub until: Date,
}

/// Consents and benefit certificates of the areas' active children ending within `days`: the
/// coordinator's and supervisor's home page.
pub async fn expiring(u: &mut Unit, today: Date, days: i64) -> Result<Vec<Expiring>> {
    let actor = u.actor()?;
    if !actor.role.needs_areas() || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    let visible = access::visible(&actor, today);
    let until = today + time::Duration::days(days);
    let found: Vec<Expiring> = query(format!(
        "SELECT c.id AS child_id, c.family_name || ' ' || c.given_name AS child_name, '同意' AS what, s.valid_to AS until \
         FROM consents s JOIN children c ON c.id = s.child_id \
         WHERE {visible} AND c.status = 'active' AND s.revoked_on IS NULL AND s.valid_to >= $1 AND s.valid_to <= $2 \
         UNION ALL \
         SELECT c.id, c.family_name || ' ' || c.given_name, '受給者証（' || b.service || '）', b.valid_to \
         FROM benefit_certificates b JOIN children c ON c.id = b.child_id \
         WHERE {visible} AND c.status = 'active' AND b.valid_to >= $1 AND b.valid_to <= $2 \
         ORDER BY until, child_id"
    ))
    .bind(today)
    .bind(until)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown(
        "consent.expiring",
        found.iter().map(|e| ChildId(e.child_id)),
    );
    Ok(found)
}
