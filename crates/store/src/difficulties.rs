//! Secondary difficulties (二次障害) followed on the child: 不登校, 自傷, 抑うつ… each with its
//! onset, where it stands, and the care-team member (usually the clinic) following it. Every
//! change of state is on the timeline, so the course can be read back.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    access::SharePart,
    people::{DifficultyKind, DifficultyStatus},
    ChildId,
};

use crate::{
    access::{self, ChildAccess},
    audit::Event,
    children::add_event,
    db::query,
    Error, Result, Unit,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Difficulty {
    pub id: i64,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "school_refusal")]
    pub kind: DifficultyKind,
    /// What it is, in the coordinator's words (required for その他).
    pub detail: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub onset_on: Option<Date>,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "supporting")]
    pub status: DifficultyStatus,
    /// The care-team member following it.
    pub followed_by_member_id: Option<i64>,
    pub followed_by_agency_id: Option<i64>,
    pub followed_by_agency: Option<String>,
    pub followed_by_role: Option<String>,
    pub followed_by_person: Option<String>,
    pub note: Option<String>,
    /// The family agreed to it being in the support file they carry.
    pub in_support_file: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Difficulty {
    /// 「不登校」, or the detail for その他.
    pub fn title(&self) -> String {
        match (self.kind, self.detail.as_deref()) {
            (DifficultyKind::Other, Some(d)) if !d.trim().is_empty() => d.to_owned(),
            (k, _) => k.label().to_owned(),
        }
    }

    /// 「医療機関名（主治医・担当者）」 for the follower, or 「—」.
    pub fn follower(&self) -> String {
        let Some(agency) = &self.followed_by_agency else {
            return "—".to_owned();
        };
        let who: Vec<&str> = [&self.followed_by_role, &self.followed_by_person]
            .into_iter()
            .flatten()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if who.is_empty() {
            agency.clone()
        } else {
            format!("{agency}（{}）", who.join("・"))
        }
    }
}

const COLUMNS: &str = "d.id, d.kind, d.detail, d.onset_on, d.status, d.followed_by_member_id, \
    t.agency_id AS followed_by_agency_id, ag.name AS followed_by_agency, t.role AS followed_by_role, t.person AS followed_by_person, \
    d.note, d.in_support_file, d.updated_at";
const FROM: &str = "FROM secondary_difficulties d LEFT JOIN care_team_members t ON t.id = d.followed_by_member_id \
    LEFT JOIN agencies ag ON ag.id = t.agency_id";

/// The child's secondary difficulties, open ones first. The area's staff see them all; an
/// agency that sees the profile sees those its own agency follows; nobody else any.
pub async fn for_child(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Difficulty>> {
    let actor = u.actor()?;
    let all: Vec<Difficulty> = query(format!(
        "SELECT {COLUMNS} {FROM} WHERE d.child_id = $1 \
         ORDER BY CASE WHEN d.status = 'resolved' THEN 1 ELSE 0 END, d.onset_on DESC, d.id DESC"
    ))
    .bind(access.child().0)
    .fetch_all(&mut *u)
    .await?;
    if access.sees_everything() {
        return Ok(all);
    }
    if !access.sees(SharePart::Profile) {
        return Ok(Vec::new());
    }
    Ok(all
        .into_iter()
        .filter(|d| {
            d.followed_by_agency_id.is_some()
                && d.followed_by_agency_id == actor.agency_id.map(|a| a.0)
        })
        .collect())
}

/// The ones the family agreed to carry in the support file.
pub async fn for_support_file(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Difficulty>> {
    access.only_area_staff()?;
    Ok(for_child(u, access)
        .await?
        .into_iter()
        .filter(|d| d.in_support_file)
        .collect())
}

/// What the coordinator gives for a difficulty.
#[derive(Clone, Debug)]
pub struct DifficultyInput {
    pub kind: DifficultyKind,
    pub detail: Option<String>,
    pub onset_on: Option<Date>,
    pub status: DifficultyStatus,
    pub followed_by_member_id: Option<i64>,
    pub note: Option<String>,
    pub in_support_file: bool,
}

fn title_of(input: &DifficultyInput) -> String {
    match (input.kind, input.detail.as_deref()) {
        (DifficultyKind::Other, Some(d)) => d.trim().to_owned(),
        (k, _) => k.label().to_owned(),
    }
}

async fn check(w: &mut crate::Write<'_>, child: ChildId, input: &DifficultyInput) -> Result<()> {
    if input.kind == DifficultyKind::Other
        && input.detail.as_deref().is_none_or(|d| d.trim().is_empty())
    {
        return Err(Error::Invalid {
            field: "detail",
            message: "「その他」の場合は内容を入れてください。",
        });
    }
    if input.onset_on.is_some_and(|d| d > access::today()) {
        return Err(Error::Invalid {
            field: "onset_on",
            message: "始まった時期は今日以前の日付にしてください。",
        });
    }
    if let Some(member) = input.followed_by_member_id {
        let ok: Option<(i64,)> =
            query("SELECT id FROM care_team_members WHERE id = $1 AND child_id = $2")
                .bind(member)
                .bind(child.0)
                .fetch_optional(&mut w.tx)
                .await?;
        if ok.is_none() {
            return Err(Error::Invalid {
                field: "followed_by_member_id",
                message: "経過を見る機関は、この子どもの支援チームから選んでください。",
            });
        }
    }
    Ok(())
}

/// Records a secondary difficulty; `access` is a coordinator's, minted for a change.
pub async fn add(u: &mut Unit, access: &ChildAccess, input: &DifficultyInput) -> Result<i64> {
    let child = access.child();
    let mut w = access::write(u, access, "difficulty.add").await?;
    check(&mut w, child, input).await?;
    let actor = w.actor()?;
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO secondary_difficulties (child_id, kind, detail, onset_on, status, followed_by_member_id, note, \
         in_support_file, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(child.0)
    .bind(input.kind.code())
    .bind(input.detail.as_deref().map(str::trim).filter(|d| !d.is_empty()))
    .bind(input.onset_on)
    .bind(input.status.code())
    .bind(input.followed_by_member_id)
    .bind(input.note.as_deref().map(str::trim).filter(|d| !d.is_empty()))
    .bind(input.in_support_file)
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut w.tx)
    .await?;
    add_event(
        &mut w.tx,
        child,
        "difficulty",
        &format!(
            "二次障害「{}」を記録しました（{}）",
            title_of(input),
            input.status.label()
        ),
        Some(id),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("difficulty.add")
            .object("child", child)
            .detail(format!("difficulty={id}")),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// Changes a difficulty; a change of state goes on the timeline as 「A → B」.
pub async fn update(
    u: &mut Unit,
    access: &ChildAccess,
    id: i64,
    input: &DifficultyInput,
) -> Result<()> {
    let child = access.child();
    let mut w = access::write(u, access, "difficulty.update").await?;
    let before: Option<(String,)> =
        query("SELECT status FROM secondary_difficulties WHERE id = $1 AND child_id = $2")
            .bind(id)
            .bind(child.0)
            .fetch_optional(&mut w.tx)
            .await?;
    let Some((before,)) = before else {
        return Err(Error::NotFound);
    };
    check(&mut w, child, input).await?;
    let actor = w.actor()?;
    query(
        "UPDATE secondary_difficulties SET kind = $1, detail = $2, onset_on = $3, status = $4, followed_by_member_id = $5, \
         note = $6, in_support_file = $7, updated_at = $8 WHERE id = $9",
    )
    .bind(input.kind.code())
    .bind(input.detail.as_deref().map(str::trim).filter(|d| !d.is_empty()))
    .bind(input.onset_on)
    .bind(input.status.code())
    .bind(input.followed_by_member_id)
    .bind(input.note.as_deref().map(str::trim).filter(|d| !d.is_empty()))
    .bind(input.in_support_file)
    .bind(crate::now())
    .bind(id)
    .execute(&mut w.tx)
    .await?;
    let was = DifficultyStatus::from_code(&before).unwrap_or(DifficultyStatus::Watching);
    let summary = if was == input.status {
        format!("二次障害「{}」の記録を更新しました", title_of(input))
    } else {
        format!(
            "二次障害「{}」：{} → {}",
            title_of(input),
            was.label(),
            input.status.label()
        )
    };
    add_event(
        &mut w.tx,
        child,
        "difficulty",
        &summary,
        Some(id),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("difficulty.update")
            .object("child", child)
            .detail(format!("difficulty={id}")),
    )
    .await?;
    w.commit().await
}
