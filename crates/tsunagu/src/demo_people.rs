//! The demo's people as the seed describes them: 香取海匝's one dedicated coordinator and
//! 柏市's team of three (専任1・兼務2, medical and welfare), each child with a 担当; one case
//! handed over in 柏市, one colleague away on training (so the others cover), a child of
//! 香取海匝 proposed for transfer to 柏市 and waiting there, and a 二次障害 (不登校) followed by
//! the clinic on the child's care team.

use time::{Duration, OffsetDateTime};
use tsunagu_domain::{
    japanese_date,
    people::{Background, Placement},
    AreaId, ChildId, UserId,
};
use tsunagu_store::{
    children::add_event,
    consultations::{self, ConsultationInput},
    db::query,
    staffing::{self, Staffing},
    users, RequestMeta, Tx,
};

async fn user(tx: &mut Tx, login: &str) -> anyhow::Result<UserId> {
    let (id,): (i64,) = query("SELECT id FROM users WHERE login = $1")
        .bind(login)
        .fetch_one(&mut *tx)
        .await?;
    Ok(UserId(id))
}

pub async fn load(
    tx: &mut Tx,
    meta: &RequestMeta,
    katori: AreaId,
    kashiwa: AreaId,
) -> anyhow::Result<()> {
    let today = japanese_date::today(OffsetDateTime::now_utc());
    let hanako = user(tx, "demo-coordinator").await?;
    let tsumugi = user(tx, "demo-coordinator-kashiwa").await?;
    let aoi = user(tx, "demo-kashiwa-medical").await?;
    let minoru = user(tx, "demo-kashiwa-welfare").await?;
    for (who, placement, share, background, away) in [
        (
            hanako,
            Placement::Dedicated,
            None,
            Background::Welfare,
            false,
        ),
        (
            tsumugi,
            Placement::Dedicated,
            None,
            Background::Welfare,
            false,
        ),
        (
            aoi,
            Placement::Concurrent,
            Some(50),
            Background::Medical,
            false,
        ),
        (
            minoru,
            Placement::Concurrent,
            Some(40),
            Background::Welfare,
            true,
        ),
    ] {
        let s = Staffing {
            placement,
            time_share: share,
            background,
            absent_from: away.then(|| today - Duration::days(1)),
            absent_to: away.then(|| today + Duration::days(6)),
            absence_note: away.then(|| "県の研修（療育支援コーディネーター養成）".to_owned()),
        };
        staffing::set(tx, meta, None, who, &s).await?;
    }

    // 担当: はな子 carries 香取海匝; in 柏市 the children go round the team, a colleague as 副担当.
    query("UPDATE children SET lead_coordinator_id = $1 WHERE area_id = $2")
        .bind(hanako)
        .bind(katori)
        .execute(&mut *tx)
        .await?;
    let kids: Vec<(i64,)> = query("SELECT id FROM children WHERE area_id = $1 ORDER BY id")
        .bind(kashiwa)
        .fetch_all(&mut *tx)
        .await?;
    let team = [tsumugi, aoi, minoru];
    for (i, (id,)) in kids.iter().enumerate() {
        let lead = team[i % 3];
        let deputy = if lead == tsumugi { aoi } else { tsumugi };
        query("UPDATE children SET lead_coordinator_id = $1, deputy_coordinator_id = $2 WHERE id = $3")
            .bind(lead)
            .bind(deputy)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
    }
    // What was recorded by whom: the demo's consultations are their 担当's.
    query(
        "UPDATE consultations SET created_by = (SELECT lead_coordinator_id FROM children c WHERE c.id = consultations.child_id) \
         WHERE created_by IS NULL AND child_id IS NOT NULL",
    )
    .execute(&mut *tx)
    .await?;

    // A case handed over: みのる's first child went to あおい (medical) when a clinic joined.
    let tsumugi_user = users::get(&mut *tx, tsumugi).await?;
    let tsumugi_actor = users::actor(&mut *tx, tsumugi_user).await?;
    if let Some((handed,)) = kids.get(2) {
        query("UPDATE children SET lead_coordinator_id = $1, deputy_coordinator_id = $2 WHERE id = $3")
            .bind(aoi)
            .bind(tsumugi)
            .bind(*handed)
            .execute(&mut *tx)
            .await?;
        add_event(
            tx,
            ChildId(*handed),
            "assignment",
            "担当を試験 あおいさんに変更しました（副担当：試験 つむぎさん）：通院が増えたため、医療型のコーディネーターが担当する",
            None,
            Some(&tsumugi_actor),
        )
        .await?;
    }
    // みのる is away: a follow-up of one of his children falls due while he is, for the team to cover.
    if let Some((covered,)) = kids.get(5).or(kids.last()) {
        let c = ConsultationInput {
            area_id: kashiwa,
            child_id: Some(ChildId(*covered)),
            at: tsunagu_store::db::normalize_timestamp(
                OffsetDateTime::now_utc() - Duration::days(10),
            ),
            channel: "電話".into(),
            requester: "保護者".into(),
            requester_agency_id: None,
            caller: None,
            concern: "放課後等デイサービスの利用日を増やしたい".into(),
            action_taken: Some("事業所に空きを確認すると伝えた。".into()),
            minutes: Some(25),
            follow_up_on: Some(crate::demo::open_day(
                today + Duration::days(3),
                tsunagu_domain::calendar::IfClosed::After,
            )),
            category_ids: vec![],
        };
        let id = consultations::create_in(tx, &c).await?;
        query("UPDATE consultations SET created_by = $1 WHERE id = $2")
            .bind(minoru)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        query("UPDATE children SET lead_coordinator_id = $1, deputy_coordinator_id = $2 WHERE id = $3")
            .bind(minoru)
            .bind(tsumugi)
            .bind(*covered)
            .execute(&mut *tx)
            .await?;
    }

    // A 二次障害 followed by the clinic: the first school-age child of 香取海匝 with a 主治医.
    let followed: Option<(i64, i64)> = query(
        "SELECT t.child_id, t.id FROM care_team_members t JOIN children c ON c.id = t.child_id \
         WHERE c.area_id = $1 AND t.role = '主治医' AND c.birth_date <= $2 ORDER BY c.id LIMIT 1",
    )
    .bind(katori)
    .bind(today - Duration::days(365 * 8))
    .fetch_optional(&mut *tx)
    .await?;
    let hanako_user = users::get(&mut *tx, hanako).await?;
    let hanako_actor = users::actor(&mut *tx, hanako_user).await?;
    if let Some((child, member)) = followed {
        let now = tsunagu_store::now();
        let (id,): (i64,) = query(
            "INSERT INTO secondary_difficulties (child_id, kind, detail, onset_on, status, followed_by_member_id, note, \
             in_support_file, created_by, created_at, updated_at) VALUES ($1, 'school_refusal', NULL, $2, 'supporting', $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(child)
        .bind(today - Duration::days(80))
        .bind(member)
        .bind("9月から朝の登校をしぶる。主治医が月1回の通院で経過を見ている。学校は別室登校を用意。")
        .bind(true)
        .bind(hanako)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        add_event(
            tx,
            ChildId(child),
            "difficulty",
            "二次障害「不登校」を記録しました（対応中）",
            Some(id),
            Some(&hanako_actor),
        )
        .await?;
    }

    // A transfer waiting in 柏市: a 香取海匝 child with consents in force, moving with the family.
    let moving: Option<(i64,)> = query(
        "SELECT c.id FROM children c WHERE c.area_id = $1 AND c.status = 'active' \
         AND EXISTS (SELECT 1 FROM consents g WHERE g.child_id = c.id AND g.revoked_on IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM transitions t WHERE t.child_id = c.id) ORDER BY c.id DESC LIMIT 1",
    )
    .bind(katori)
    .fetch_optional(&mut *tx)
    .await?;
    let (kashiwa_city,): (i64,) = query("SELECT id FROM municipalities WHERE code = '12217'")
        .fetch_one(&mut *tx)
        .await?;
    if let Some((child,)) = moving {
        let (id,): (i64,) = query(
            "INSERT INTO child_transfers (child_id, from_area_id, to_area_id, to_municipality_id, reason, family_agreed_on, \
             family_agreement, status, proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, $9) RETURNING id",
        )
        .bind(child)
        .bind(katori)
        .bind(kashiwa)
        .bind(kashiwa_city)
        .bind("父の転勤で年明けに柏市へ転居するため")
        .bind(today - Duration::days(3))
        .bind("母・書面（移管同意書）")
        .bind(hanako)
        .bind(tsunagu_store::now())
        .fetch_one(&mut *tx)
        .await?;
        add_event(
            tx,
            ChildId(child),
            "transfer",
            "柏市への移管を提案しました（父の転勤で年明けに柏市へ転居するため）",
            Some(id),
            Some(&hanako_actor),
        )
        .await?;
    }
    Ok(())
}
