//! The family's support file (サポートファイル): the portable summary a family keeps and shows to
//! any new agency. Most of it comes from the record; this module keeps the few things only the
//! file asks for (growth, aids, likes, behaviours of concern and what helps) and gathers the rest.

use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    access::{self, ChildAccess},
    audit::Event,
    children::{self, FullRecord},
    consultations,
    db::query,
    Result, Unit,
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
    /// Secondary difficulties the family agreed to carry in the file.
    pub difficulties: Vec<crate::difficulties::Difficulty>,
}

/// The family's part as stored, and when it last changed.
type FamilyRow = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    OffsetDateTime,
);

/// The action under which the file is read (and refused): mint its access with it.
pub const READ: &str = "support_file.read";

/// The whole file, for the area's staff (`access` from [`access::area_staff`]).
pub async fn get(u: &mut Unit, access: &ChildAccess) -> Result<SupportFile> {
    access.only_area_staff()?;
    let child = access.child();
    let record = children::record_for_documents(&mut *u, access).await?;
    let row: Option<FamilyRow> = query(
        "SELECT growth, aids, allowances, likes, behaviours, what_helps, updated_at FROM support_files WHERE child_id = $1",
    )
    .bind(child.0)
    .fetch_optional(&mut *u)
    .await?;
    let (family, updated_at) = match row {
        Some((growth, aids, allowances, likes, behaviours, what_helps, at)) => (
            FamilyPart {
                growth,
                aids,
                allowances,
                likes,
                behaviours,
                what_helps,
            },
            Some(at),
        ),
        None => (FamilyPart::default(), None),
    };
    let consultations = consultations::for_child_history(u, access).await?;
    let difficulties = crate::difficulties::for_support_file(u, access).await?;
    u.audit(Event::new(READ).object("child", child));
    Ok(SupportFile {
        record,
        family,
        updated_at,
        consultations,
        difficulties,
    })
}

/// Saves what the family's part says; `access` is a coordinator's, minted for a change.
pub async fn save(u: &mut Unit, access: &ChildAccess, family: &FamilyPart) -> Result<()> {
    let child = access.child();
    let mut w = access::write(u, access, "support_file.update").await?;
    let actor = w.actor()?;
    let now = crate::now();
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
    .execute(&mut w.tx)
    .await?;
    children::add_event(
        &mut w.tx,
        child,
        "support_file",
        "サポートファイルを更新しました",
        None,
        Some(&actor),
    )
    .await?;
    w.record(Event::new("support_file.update").object("child", child))
        .await?;
    w.commit().await
}
