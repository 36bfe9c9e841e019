//! The family's support file (サポートファイル): the portable summary a family keeps and shows to
//! any new agency. Most of it comes from the record; this module keeps the few things only the
//! file asks for (growth, aids, likes, behaviours of concern and what helps) and gathers the rest.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_domain::{access::Purpose, Actor};

use crate::{
    audit::{self, Event, RequestMeta},
    children::{self, ChildId, FullRecord},
    consultations,
    db::query,
    Db, Result,
};

/// What the coordinator writes into the file with the family.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FamilyPart {
    /// 成長の記録・医療や検査の記録
    pub growth: Option<String>,
    /// 補装具・日常生活用具
    pub aids: Option<String>,
    /// 特別児童扶養手当・障害児福祉手当など
    pub allowances: Option<String>,
    pub likes: Option<String>,
    /// 気になる行動
    pub behaviours: Option<String>,
    /// そんなときの対応
    pub what_helps: Option<String>,
}

/// The whole file, ready to print.
#[derive(Clone, Debug)]
pub struct SupportFile {
    pub record: FullRecord,
    pub family: FamilyPart,
    pub updated_at: Option<OffsetDateTime>,
    /// Consultations, oldest first: date, categories, the concern in short.
    pub consultations: Vec<consultations::Consultation>,
}

pub async fn get(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
) -> Result<SupportFile> {
    children::authorize_area_staff(db, meta, actor, child, "support_file.read").await?;
    let record = children::record_for_documents(db, child).await?;
    let family: Option<FamilyPart> = query(
        "SELECT growth, aids, allowances, likes, behaviours, what_helps FROM support_files WHERE child_id = $1",
    )
    .bind(child.0)
    .fetch_optional(db)
    .await?;
    let updated_at: Option<(OffsetDateTime,)> =
        query("SELECT updated_at FROM support_files WHERE child_id = $1")
            .bind(child.0)
            .fetch_optional(db)
            .await?;
    let (family, updated_at) = (family.unwrap_or_default(), updated_at.map(|(t,)| t));
    let consultations = consultations::for_child_history(db, child).await?;
    audit::record_alone(
        db,
        meta,
        Event::new("support_file.read")
            .by(actor)
            .object("child", child),
    )
    .await?;
    Ok(SupportFile {
        record,
        family,
        updated_at,
        consultations,
    })
}

pub async fn save(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    family: &FamilyPart,
) -> Result<()> {
    children::authorize(
        db,
        meta,
        actor,
        child,
        Purpose::Write,
        "support_file.update",
    )
    .await?;
    let now = crate::now();
    let mut tx = db.begin().await?;
    query(
        "INSERT INTO support_files (child_id, growth, aids, allowances, likes, behaviours, what_helps, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (child_id) DO UPDATE SET growth = $2, aids = $3, allowances = $4, likes = $5, behaviours = $6, what_helps = $7, updated_by = $8, updated_at = $9",
    )
    .bind(child.0)
    .bind(family.growth.clone())
    .bind(family.aids.clone())
    .bind(family.allowances.clone())
    .bind(family.likes.clone())
    .bind(family.behaviours.clone())
    .bind(family.what_helps.clone())
    .bind(actor.user_id)
    .bind(now)
    .execute(&mut tx)
    .await?;
    children::add_event(
        &mut tx,
        child,
        "support_file",
        "サポートファイルを更新しました",
        None,
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("support_file.update")
            .by(actor)
            .object("child", child),
    )
    .await?;
    tx.commit().await
}
