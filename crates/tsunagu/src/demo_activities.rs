//! The demo's capacity building and councils: a visit to the nursery, a training session with
//! agencies and headcounts in this and last fiscal year, a meeting of the 療育支援部会, and
//! challenges in several states — so the evaluation has figures to show and compare; and a held
//! support meeting for 見本 はると whose decisions hold a finding for the area (「課題として登録」).

use time::{Duration, OffsetDateTime};
use tsunagu_domain::{calendar::IfClosed, japanese_date, AgencyId, AreaId};
use tsunagu_store::{db::query, Tx};

pub async fn load(tx: &mut Tx, area: AreaId, nursery: AgencyId) -> anyhow::Result<()> {
    let today = japanese_date::today(OffsetDateTime::now_utc());
    let now = OffsetDateTime::now_utc();
    let agencies: Vec<(i64,)> = query(
        "SELECT a.id FROM agencies a WHERE a.municipality_id IN (SELECT municipality_id FROM area_municipalities WHERE area_id = $1) ORDER BY a.id LIMIT 6",
    )
    .bind(area)
    .fetch_all(&mut *tx)
    .await?;
    // A support meeting held a month ago for 見本 はると, with the nursery: its decisions name a
    // gap the area shares, the finding the prefecture's loop starts from.
    let haruto: Option<(i64,)> = query(
        "SELECT id FROM children WHERE area_id = $1 AND family_name = '見本' AND given_name = 'はると'",
    )
    .bind(area)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((child,)) = haruto {
        // Ten in the morning of a working day about a month ago.
        let day = crate::demo::open_day(today - Duration::days(30), IfClosed::Before);
        let starts = time::PrimitiveDateTime::new(day, time::macros::time!(10:00))
            .assume_offset(japanese_date::JST);
        let (meeting,): (i64,) = query(
            "INSERT INTO meetings (child_id, area_id, purpose, starts_at, ends_at, place, agenda, minutes, decisions, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'held', $10, $10) RETURNING id",
        )
        .bind(child)
        .bind(area)
        .bind("就学に向けた支援会議")
        .bind(starts)
        .bind(starts + Duration::minutes(90))
        .bind("香取市役所 会議室（デモ）")
        .bind("園での様子、就学先の見学、放課後の過ごし方")
        .bind("園では見通しを絵で示すと落ち着いて参加できている。就学後の放課後の預け先を母が探しているが、近くの放課後等デイサービスは定員がいっぱいで送迎もない。")
        .bind("就学先の見学を11月に行う（コーディネーターが日程調整）。放課後等デイサービスの空きと送迎の有無を圏域で調べる。送迎のある事業所が圏域に足りないことは地域の課題として記録する。")
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        query("INSERT INTO meeting_participants (meeting_id, agency_id, name, role, attended) VALUES ($1, $2, $3, $4, $5)")
            .bind(meeting)
            .bind(nursery)
            .bind("保育園（デモ）")
            .bind("担任")
            .bind(true)
            .execute(&mut *tx)
            .await?;
    }
    // Visits: this year and last, a few months apart.
    for (days_ago, purpose) in [
        (20, "集団活動での関わり方の相談"),
        (75, "新しく入園した子どもへの配慮の確認"),
        (400, "保育士向けの行動理解の助言"),
    ] {
        query(
            "INSERT INTO visits (area_id, agency_id, visited_on, visitors, purpose, advice, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(area)
        .bind(nursery)
        .bind(crate::demo::open_day(
            today - Duration::days(days_ago),
            IfClosed::Before,
        ))
        .bind("療育支援コーディネーター、作業療法士")
        .bind(purpose)
        .bind("見通しを絵で示す工夫を全体の保育にも取り入れる。")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // Training sessions with agencies and headcounts.
    let topic: (i64,) = query("SELECT id FROM training_topics ORDER BY sort_order LIMIT 1")
        .fetch_one(&mut *tx)
        .await?;
    for (days_ago, title, people) in [
        (40, "発達の気になる子の理解と支援（デモ）", [6i64, 4, 3]),
        (380, "就学に向けた引継ぎの進め方（デモ）", [5, 5, 2]),
    ] {
        let (id,): (i64,) = query(
            "INSERT INTO trainings (area_id, title, topic_id, held_on, place, lecturer, satisfaction, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(area)
        .bind(title)
        .bind(topic.0)
        .bind(crate::demo::open_day(
            today - Duration::days(days_ago),
            IfClosed::Before,
        ))
        .bind("香取市役所 大会議室")
        .bind("発達障害者支援センター 相談員")
        .bind(88i64)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for ((agency,), n) in agencies.iter().zip(people) {
            query("INSERT INTO training_participants (training_id, agency_id, headcount) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(*agency)
                .bind(n)
                .execute(&mut *tx)
                .await?;
        }
    }
    // A meeting of the area's 療育支援部会, and challenges raised to it.
    let council: Option<(i64,)> = query(
        "SELECT id FROM councils WHERE area_id = $1 AND kind = 'independence_support' ORDER BY id LIMIT 1",
    )
    .bind(area)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((council,)) = council else {
        return Ok(());
    };
    let (meeting,): (i64,) = query(
        "INSERT INTO council_meetings (council_id, held_on, place, agenda, minutes, decisions, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(council)
    .bind(crate::demo::open_day(
        today - Duration::days(30),
        IfClosed::Before,
    ))
    .bind("旭市役所 会議室")
    .bind("1. 地域の課題の共有\n2. 就学移行の引継ぎについて")
    .bind("放課後等デイサービスの空き状況について各機関から報告があった。")
    .bind("送迎のある事業所の情報を一覧にして共有する。")
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (agency,) in agencies.iter().take(4) {
        query("INSERT INTO council_meeting_attendees (meeting_id, agency_id) VALUES ($1, $2)")
            .bind(meeting)
            .bind(*agency)
            .execute(&mut *tx)
            .await?;
    }
    for (title, category, status, days_ago) in [
        (
            "放課後等デイサービスの送迎が使える事業所が少ない",
            "resources",
            "discussing",
            45,
        ),
        (
            "就学相談の結果が園に届くまで時間がかかる",
            "procedures",
            "new",
            10,
        ),
        (
            "医療機関と園の連絡方法が決まっていない",
            "cooperation",
            "resolved",
            300,
        ),
    ] {
        let resolved = status == "resolved";
        let (id,): (i64,) = query(
            "INSERT INTO challenges (area_id, title, description, category, raised_on, council_id, council_meeting_id, status, resolution, resolved_on, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(area)
        .bind(title)
        .bind("コーディネートの中で複数の家庭から同じ困りごとが聞かれた。（デモ）")
        .bind(category)
        .bind(crate::demo::open_day(
            today - Duration::days(days_ago),
            IfClosed::Before,
        ))
        .bind(council)
        .bind((!resolved).then_some(meeting))
        .bind(status)
        .bind(resolved.then_some("連絡票の様式を協議会で決め、各機関に配布した。"))
        .bind(resolved.then_some(today - Duration::days(days_ago - 60)))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        query("INSERT INTO challenge_history (challenge_id, status, note, at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(status)
            .bind("デモの記録")
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}
