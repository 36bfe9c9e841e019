//! The evaluation's figures (検証) for a fiscal year and a set of areas: every table counted in
//! SQL (grouped by month in Japan time), with last year's totals beside it. Who may see which
//! scope, and the small-count rule, are the caller's (see `web::evaluation`).

use std::collections::HashMap;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use tsunagu_domain::{
    children::{CHANNELS, REQUESTERS},
    directory::Sector,
    evaluation::{Chart, Table},
    japanese_date::JST,
    referral::State,
    school_year::{fiscal_year_end, fiscal_year_start, Phase},
    AreaId, RegionId,
};

use crate::{
    db::{self, query, query_dialect},
    Db, Result,
};

/// Whose figures: one area, the areas of a region, or the whole prefecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Area(AreaId),
    Region(RegionId),
    Prefecture,
}

/// The areas a scope covers.
pub async fn areas_of(db: &Db, scope: Scope) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = match scope {
        Scope::Area(a) => return Ok(vec![a.0]),
        Scope::Region(r) => query(
            "SELECT DISTINCT am.area_id FROM area_municipalities am JOIN municipalities m ON m.id = am.municipality_id \
             WHERE m.region_id = $1 ORDER BY am.area_id",
        )
        .bind(r)
        .fetch_all(db)
        .await?,
        Scope::Prefecture => query("SELECT id FROM areas ORDER BY id").fetch_all(db).await?,
    };
    Ok(rows.into_iter().map(|(a,)| a).collect())
}

/// 4月 … 3月, the columns of a fiscal year.
pub fn month_columns() -> Vec<String> {
    [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
        .iter()
        .map(|m| format!("{m}月"))
        .collect()
}

/// April is column 0, March column 11.
fn month_index(month: i64) -> usize {
    ((month + 8) % 12) as usize
}

/// The instant a fiscal year starts in Japan, for timestamp columns.
fn start_instant(fy: i32) -> OffsetDateTime {
    PrimitiveDateTime::new(fiscal_year_start(fy), Time::MIDNIGHT).assume_offset(JST)
}

/// The month of a timestamp column in Japan time, and of a date column, in each dialect.
fn ts_month(col: &str) -> (String, String) {
    (
        format!("CAST(strftime('%m', {col}, '+9 hours') AS INTEGER)"),
        format!("CAST(EXTRACT(MONTH FROM {col} AT TIME ZONE 'Asia/Tokyo') AS BIGINT)"),
    )
}

fn date_month(col: &str) -> (String, String) {
    (
        format!("CAST(strftime('%m', {col}) AS INTEGER)"),
        format!("CAST(EXTRACT(MONTH FROM {col}) AS BIGINT)"),
    )
}

/// Counts by (label, month) for a fiscal year: `sql` has `{month}` where the month expression
/// goes, `{areas}` for the area list, and `$1`/`$2` for the year's bounds.
async fn by_month(
    db: &Db,
    sql: &str,
    month: (String, String),
    areas: &[i64],
    bounds: (crate::db::Value, crate::db::Value),
) -> Result<HashMap<String, [i64; 12]>> {
    let list = db::id_list(areas.iter().copied());
    let sqlite = sql.replace("{month}", &month.0).replace("{areas}", &list);
    let postgres = sql.replace("{month}", &month.1).replace("{areas}", &list);
    let rows: Vec<(String, i64, i64)> = query_dialect(sqlite, postgres)
        .bind(bounds.0)
        .bind(bounds.1)
        .fetch_all(db)
        .await?;
    let mut out: HashMap<String, [i64; 12]> = HashMap::new();
    for (label, m, n) in rows {
        out.entry(label).or_insert([0; 12])[month_index(m)] += n;
    }
    Ok(out)
}

fn ts_bounds(fy: i32) -> (crate::db::Value, crate::db::Value) {
    (start_instant(fy).into(), start_instant(fy + 1).into())
}

fn date_bounds(fy: i32) -> (crate::db::Value, crate::db::Value) {
    (fiscal_year_start(fy).into(), fiscal_year_end(fy).into())
}

/// Rows in a known order (then any others found, by name), each with its twelve months.
fn ordered(found: &HashMap<String, [i64; 12]>, order: &[&str]) -> Vec<(String, Vec<i64>)> {
    let mut labels: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let mut extra: Vec<&String> = found
        .keys()
        .filter(|k| !order.contains(&k.as_str()))
        .collect();
    extra.sort();
    labels.extend(extra.into_iter().cloned());
    labels
        .into_iter()
        .map(|l| {
            let v = found.get(&l).map_or(vec![0; 12], |m| m.to_vec());
            (l, v)
        })
        .collect()
}

fn totals(found: &HashMap<String, [i64; 12]>, rows: &[(String, Vec<i64>)]) -> Vec<i64> {
    rows.iter()
        .map(|(l, _)| found.get(l).map_or(0, |m| m.iter().sum()))
        .collect()
}

/// A month table of a fiscal year with last year's totals beside it.
#[allow(clippy::too_many_arguments)]
async fn month_table(
    db: &Db,
    key: &'static str,
    title: &str,
    row_header: &str,
    sql: &str,
    month: (String, String),
    dates: bool,
    areas: &[i64],
    fy: i32,
    order: &[&str],
    total_row: bool,
) -> Result<Table> {
    let bounds = |y| if dates { date_bounds(y) } else { ts_bounds(y) };
    let now = by_month(db, sql, month.clone(), areas, bounds(fy)).await?;
    let before = by_month(db, sql, month, areas, bounds(fy - 1)).await?;
    let rows = ordered(&now, order);
    let previous = totals(&before, &rows);
    Ok(Table::new(
        key,
        title,
        row_header,
        month_columns(),
        rows,
        true,
        total_row,
        Some(previous),
    ))
}

/// Every table of the evaluation for the fiscal year `fy` over `areas`.
pub async fn tables(db: &Db, areas: &[i64], fy: i32) -> Result<Vec<Table>> {
    let mut out = Vec::new();
    let channel = "SELECT s.channel, {month}, COUNT(*) FROM consultations s WHERE s.area_id IN ({areas}) AND s.at >= $1 AND s.at < $2 GROUP BY s.channel, 2";
    out.push(
        month_table(
            db,
            "consultations_by_channel",
            "相談件数（受付方法別）",
            "受付方法",
            channel,
            ts_month("s.at"),
            false,
            areas,
            fy,
            &CHANNELS,
            true,
        )
        .await?
        .chart(Chart::Lines),
    );
    let categories: Vec<(String,)> =
        query("SELECT name FROM consultation_categories ORDER BY sort_order, id")
            .fetch_all(db)
            .await?;
    let category_order: Vec<&str> = categories.iter().map(|(n,)| n.as_str()).collect();
    let category = "SELECT k.name, {month}, COUNT(*) FROM consultations s JOIN consultation_category_links l ON l.consultation_id = s.id \
        JOIN consultation_categories k ON k.id = l.category_id WHERE s.area_id IN ({areas}) AND s.at >= $1 AND s.at < $2 GROUP BY k.name, 2";
    out.push(
        month_table(
            db,
            "consultations_by_category",
            "相談件数（内容の分類別・延べ）",
            "内容の分類",
            category,
            ts_month("s.at"),
            false,
            areas,
            fy,
            &category_order,
            true,
        )
        .await?,
    );
    let requester = "SELECT s.requester, {month}, COUNT(*) FROM consultations s WHERE s.area_id IN ({areas}) AND s.at >= $1 AND s.at < $2 GROUP BY s.requester, 2";
    out.push(
        month_table(
            db,
            "consultations_by_requester",
            "相談件数（相談者別）",
            "相談者",
            requester,
            ts_month("s.at"),
            false,
            areas,
            fy,
            &REQUESTERS,
            true,
        )
        .await?,
    );
    out.push(children_by_phase(db, areas, fy).await?);
    out.push(children_by_need(db, areas, fy).await?);
    out.push(referrals(db, areas, fy).await?);
    let meetings = "SELECT '開催した支援会議', {month}, COUNT(*) FROM meetings m WHERE m.area_id IN ({areas}) AND m.status = 'held' AND m.starts_at >= $1 AND m.starts_at < $2 GROUP BY 2";
    out.push(
        month_table(
            db,
            "meetings",
            "支援会議の開催",
            "区分",
            meetings,
            ts_month("m.starts_at"),
            false,
            areas,
            fy,
            &["開催した支援会議"],
            false,
        )
        .await?,
    );
    out.push(meeting_sectors(db, areas, fy).await?);
    out.push(transitions(db, areas, fy).await?);
    out.push(capacity(db, areas, fy).await?);
    out.push(challenges(db, areas, fy).await?);
    let minutes = "SELECT '相談対応の時間（分）', {month}, CAST(COALESCE(SUM(s.minutes), 0) AS BIGINT) FROM consultations s WHERE s.area_id IN ({areas}) AND s.at >= $1 AND s.at < $2 GROUP BY 2";
    out.push(
        month_table(
            db,
            "coordinator_minutes",
            "コーディネーターの相談対応時間",
            "区分",
            minutes,
            ts_month("s.at"),
            false,
            areas,
            fy,
            &["相談対応の時間（分）"],
            false,
        )
        .await?
        .amounts()
        .chart(Chart::Lines),
    );
    Ok(out)
}

/// The life stage at the start of the year from the birth date, in SQL: the boundaries are the
/// April 1 birth dates of each stage's first cohort (holds are not counted here).
fn phase_case(fy: i32) -> (String, Vec<Date>) {
    let edge = |years_back: i32| {
        Date::from_calendar_date(fy - years_back, Month::April, 1).unwrap_or(Date::MIN)
    };
    (
        "CASE WHEN c.birth_date <= $3 THEN 'adult' WHEN c.birth_date <= $4 THEN 'high' WHEN c.birth_date <= $5 THEN 'junior' \
         WHEN c.birth_date <= $6 THEN 'elementary' WHEN c.birth_date <= $7 THEN 'preschool' ELSE 'infancy' END"
            .to_string(),
        vec![edge(18), edge(15), edge(12), edge(6), edge(3)],
    )
}

const PHASES: [(Phase, &str); 6] = [
    (Phase::Infancy, "infancy"),
    (Phase::Preschool, "preschool"),
    (Phase::Elementary, "elementary"),
    (Phase::JuniorHigh, "junior"),
    (Phase::HighSchool, "high"),
    (Phase::Adult, "adult"),
];

async fn children_by_phase(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let (case, edges) = phase_case(fy);
    let list = db::id_list(areas.iter().copied());
    let sql = format!(
        "SELECT {case} AS phase, \
         SUM(CASE WHEN c.created_at >= $1 AND c.created_at < $2 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.closed_on >= $8 AND c.closed_on <= $9 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN c.created_at < $2 AND (c.closed_on IS NULL OR c.closed_on > $9) THEN 1 ELSE 0 END) \
         FROM children c WHERE c.area_id IN ({list}) AND c.merged_into_id IS NULL GROUP BY 1"
    );
    let mut q = query(sql)
        .bind(start_instant(fy))
        .bind(start_instant(fy + 1));
    for e in edges {
        q = q.bind(e);
    }
    let rows: Vec<(String, i64, i64, i64)> = q
        .bind(fiscal_year_start(fy))
        .bind(fiscal_year_end(fy))
        .fetch_all(db)
        .await?;
    let table_rows = PHASES
        .iter()
        .map(|(phase, code)| {
            let r = rows.iter().find(|r| r.0 == *code);
            (
                phase.label().to_string(),
                vec![
                    r.map_or(0, |r| r.1),
                    r.map_or(0, |r| r.2),
                    r.map_or(0, |r| r.3),
                ],
            )
        })
        .collect();
    Ok(Table::new(
        "children_by_phase",
        "登録している子ども（ライフステージ別、年度初めの年齢）",
        "ライフステージ",
        vec!["新規登録".into(), "終結".into(), "年度末に支援中".into()],
        table_rows,
        false,
        true,
        None,
    ))
}

/// The needs a child's record shows: certificates, 受給者証, medical care, a diagnosis. A child
/// may have several, so the rows do not add up.
async fn children_by_need(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    let needs: [(&str, &str); 6] = [
        (
            "療育手帳",
            "EXISTS (SELECT 1 FROM certificates x WHERE x.child_id = c.id AND x.kind = 'ryoiku')",
        ),
        (
            "身体障害者手帳",
            "EXISTS (SELECT 1 FROM certificates x WHERE x.child_id = c.id AND x.kind = 'physical')",
        ),
        (
            "精神障害者保健福祉手帳",
            "EXISTS (SELECT 1 FROM certificates x WHERE x.child_id = c.id AND x.kind = 'mental')",
        ),
        (
            "障害児通所の受給者証",
            "EXISTS (SELECT 1 FROM benefit_certificates x WHERE x.child_id = c.id)",
        ),
        (
            "医療的ケア",
            "c.medical_care IS NOT NULL AND c.medical_care <> ''",
        ),
        ("診断あり", "c.diagnoses IS NOT NULL AND c.diagnoses <> ''"),
    ];
    let mut rows = Vec::new();
    for (label, condition) in needs {
        // The condition is one of the constants above, never input.
        let (new, closed, active): (i64, i64, i64) = query(format!(
            "SELECT COALESCE(SUM(CASE WHEN c.created_at >= $1 AND c.created_at < $2 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN c.closed_on >= $3 AND c.closed_on <= $4 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN c.created_at < $2 AND (c.closed_on IS NULL OR c.closed_on > $4) THEN 1 ELSE 0 END), 0) \
             FROM children c WHERE c.area_id IN ({list}) AND c.merged_into_id IS NULL AND {condition}"
        ))
        .bind(start_instant(fy))
        .bind(start_instant(fy + 1))
        .bind(fiscal_year_start(fy))
        .bind(fiscal_year_end(fy))
        .fetch_one(db)
        .await?;
        rows.push((label.to_string(), vec![new, closed, active]));
    }
    Ok(Table::new(
        "children_by_need",
        "登録している子ども（手帳・受給者証・医療的ケアなど、重複あり）",
        "状況",
        vec!["新規登録".into(), "終結".into(), "年度末に支援中".into()],
        rows,
        false,
        false,
        None,
    ))
}

async fn referrals(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    let rows: Vec<(Option<String>, String, i64)> = query(format!(
        "SELECT k.name, r.state, COUNT(*) FROM referrals r JOIN children c ON c.id = r.child_id JOIN agencies a ON a.id = r.agency_id \
         LEFT JOIN agency_kinds k ON k.id = a.kind_id WHERE c.area_id IN ({list}) AND r.created_at >= $1 AND r.created_at < $2 \
         GROUP BY k.name, r.state"
    ))
    .bind(start_instant(fy))
    .bind(start_instant(fy + 1))
    .fetch_all(db)
    .await?;
    let mut kinds: Vec<String> = rows
        .iter()
        .map(|(k, _, _)| k.clone().unwrap_or_else(|| "その他".into()))
        .collect();
    kinds.sort();
    kinds.dedup();
    let table_rows = kinds
        .iter()
        .map(|kind| {
            let values = State::ALL
                .iter()
                .map(|s| {
                    rows.iter()
                        .filter(|(k, st, _)| {
                            k.as_deref().unwrap_or("その他") == kind && st == s.code()
                        })
                        .map(|r| r.2)
                        .sum()
                })
                .collect();
            (kind.clone(), values)
        })
        .collect();
    // Days from the referral to the agency's acceptance, for those accepted.
    let waits: Vec<(OffsetDateTime, OffsetDateTime)> = query(format!(
        "SELECT r.created_at, r.answered_at FROM referrals r JOIN children c ON c.id = r.child_id \
         WHERE c.area_id IN ({list}) AND r.created_at >= $1 AND r.created_at < $2 AND r.answered_at IS NOT NULL \
         AND r.state IN ('accepted', 'completed')"
    ))
    .bind(start_instant(fy))
    .bind(start_instant(fy + 1))
    .fetch_all(db)
    .await?;
    let mut days: Vec<i64> = waits
        .iter()
        .map(|(from, to)| (*to - *from).whole_days())
        .collect();
    days.sort_unstable();
    let mut table = Table::new(
        "referrals",
        "つなぎ（紹介先の機関種別・結果別）",
        "機関種別",
        State::ALL.iter().map(|s| s.label().to_string()).collect(),
        table_rows,
        true,
        true,
        None,
    );
    table = table.note(median_note(&days), &[days.len() as i64]);
    Ok(table)
}

/// 「受け入れまでの日数（中央値）」 with the number it rests on, for the suppression to judge.
fn median_note(days: &[i64]) -> String {
    match days.len() {
        0 => "受け入れまでの日数（中央値）：該当なし".into(),
        n => {
            let median = if n % 2 == 1 {
                days[n / 2] as f64
            } else {
                (days[n / 2 - 1] + days[n / 2]) as f64 / 2.0
            };
            format!("受け入れまでの日数（中央値）：{median}日（{n}件）")
        }
    }
}

async fn meeting_sectors(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    let rows: Vec<(Option<String>, i64)> = query(format!(
        "SELECT k.sector, COUNT(DISTINCT p.agency_id) FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id \
         JOIN agencies a ON a.id = p.agency_id LEFT JOIN agency_kinds k ON k.id = a.kind_id \
         WHERE m.area_id IN ({list}) AND m.status = 'held' AND m.starts_at >= $1 AND m.starts_at < $2 GROUP BY k.sector"
    ))
    .bind(start_instant(fy))
    .bind(start_instant(fy + 1))
    .fetch_all(db)
    .await?;
    let table_rows = Sector::ALL
        .iter()
        .map(|s| {
            let n = rows
                .iter()
                .filter(|(code, _)| code.as_deref() == Some(s.code()))
                .map(|r| r.1)
                .sum();
            (s.label().to_string(), vec![n])
        })
        .collect();
    Ok(Table::new(
        "meeting_agencies",
        "支援会議に参加した機関（分野別の機関数）",
        "分野",
        vec!["参加した機関".into()],
        table_rows,
        false,
        true,
        None,
    ))
}

async fn transitions(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    let (m_sqlite, m_pg) = date_month("t.move_on");
    let before = (
        "date(h.acknowledged_at, '+9 hours') < t.move_on",
        "(h.acknowledged_at AT TIME ZONE 'Asia/Tokyo')::date < t.move_on",
    );
    let sql = |month: &str, ack: &str| {
        format!(
            "SELECT {month}, COUNT(*), \
             SUM(CASE WHEN EXISTS (SELECT 1 FROM handover_sheets h WHERE h.transition_id = t.id AND h.acknowledged_at IS NOT NULL AND {ack}) THEN 1 ELSE 0 END), \
             SUM(CASE WHEN EXISTS (SELECT 1 FROM handover_sheets h WHERE h.transition_id = t.id AND h.feedback_at IS NOT NULL) THEN 1 ELSE 0 END) \
             FROM transitions t JOIN children c ON c.id = t.child_id WHERE c.area_id IN ({list}) AND t.status <> 'cancelled' \
             AND t.move_on >= $1 AND t.move_on <= $2 GROUP BY 1"
        )
    };
    let rows: Vec<(i64, i64, i64, i64)> =
        query_dialect(sql(&m_sqlite, before.0), sql(&m_pg, before.1))
            .bind(fiscal_year_start(fy))
            .bind(fiscal_year_end(fy))
            .fetch_all(db)
            .await?;
    let mut moved = vec![0; 12];
    let mut acknowledged = vec![0; 12];
    let mut feedback = vec![0; 12];
    for (m, n, a, f) in rows {
        let i = month_index(m);
        moved[i] += n;
        acknowledged[i] += a;
        feedback[i] += f;
    }
    let (total, acked): (i64, i64) = (moved.iter().sum(), acknowledged.iter().sum());
    let mut table = Table::new(
        "transitions",
        "移行の支援（移行日の月別）",
        "区分",
        month_columns(),
        vec![
            ("移行した子ども".into(), moved),
            ("移行前に引継ぎシートの受領あり".into(), acknowledged),
            ("移行後のフィードバックあり".into(), feedback),
        ],
        true,
        false,
        None,
    );
    if total > 0 {
        table = table.note(
            format!(
                "移行前に受領された割合：{}%（{acked}/{total}件）",
                acked * 100 / total
            ),
            &[acked, total],
        );
    }
    Ok(table)
}

async fn capacity(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    let (v_sqlite, v_pg) = date_month("v.visited_on");
    let (t_sqlite, t_pg) = date_month("t.held_on");
    let one = |sqlite: String, pg: String| {
        query_dialect(sqlite, pg)
            .bind(fiscal_year_start(fy))
            .bind(fiscal_year_end(fy))
    };
    let visits: Vec<(i64, i64)> = one(
        format!("SELECT {v_sqlite}, COUNT(*) FROM visits v WHERE v.area_id IN ({list}) AND v.visited_on >= $1 AND v.visited_on <= $2 GROUP BY 1"),
        format!("SELECT {v_pg}, COUNT(*) FROM visits v WHERE v.area_id IN ({list}) AND v.visited_on >= $1 AND v.visited_on <= $2 GROUP BY 1"),
    )
    .fetch_all(db)
    .await?;
    let trainings: Vec<(i64, i64, i64)> = one(
        format!("SELECT {t_sqlite}, COUNT(*), COALESCE(SUM((SELECT SUM(p.headcount) FROM training_participants p WHERE p.training_id = t.id)), 0) \
                 FROM trainings t WHERE t.area_id IN ({list}) AND t.held_on >= $1 AND t.held_on <= $2 GROUP BY 1"),
        format!("SELECT {t_pg}, COUNT(*), CAST(COALESCE(SUM((SELECT SUM(p.headcount) FROM training_participants p WHERE p.training_id = t.id)), 0) AS BIGINT) \
                 FROM trainings t WHERE t.area_id IN ({list}) AND t.held_on >= $1 AND t.held_on <= $2 GROUP BY 1"),
    )
    .fetch_all(db)
    .await?;
    let mut v = vec![0; 12];
    let mut t = vec![0; 12];
    let mut h = vec![0; 12];
    for (m, n) in visits {
        v[month_index(m)] += n;
    }
    for (m, n, people) in trainings {
        t[month_index(m)] += n;
        h[month_index(m)] += people;
    }
    Ok(Table::new(
        "capacity",
        "療育技術・支援資質の向上（巡回相談・施設支援と研修会）",
        "区分",
        month_columns(),
        vec![
            ("巡回相談・施設支援（回）".into(), v),
            ("研修会（回）".into(), t),
            ("研修会の参加者（人）".into(), h),
        ],
        true,
        false,
        None,
    ))
}

async fn challenges(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    let rows: Vec<(String, i64, i64)> = query(format!(
        "SELECT h.category, SUM(CASE WHEN h.raised_on >= $1 AND h.raised_on <= $2 THEN 1 ELSE 0 END), \
         SUM(CASE WHEN h.resolved_on >= $1 AND h.resolved_on <= $2 AND h.status = 'resolved' THEN 1 ELSE 0 END) \
         FROM challenges h WHERE h.area_id IN ({list}) GROUP BY h.category"
    ))
    .bind(fiscal_year_start(fy))
    .bind(fiscal_year_end(fy))
    .fetch_all(db)
    .await?;
    let table_rows = tsunagu_domain::challenge::CATEGORIES
        .iter()
        .map(|(code, label)| {
            let r = rows.iter().find(|r| r.0 == *code);
            (
                label.to_string(),
                vec![r.map_or(0, |r| r.1), r.map_or(0, |r| r.2)],
            )
        })
        .collect();
    Ok(Table::new(
        "challenges",
        "課題（分類別）",
        "分類",
        vec!["提起された課題".into(), "解決した課題".into()],
        table_rows,
        false,
        true,
        None,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn april_is_the_first_column_and_march_the_last() {
        assert_eq!(month_index(4), 0);
        assert_eq!(month_index(12), 8);
        assert_eq!(month_index(1), 9);
        assert_eq!(month_index(3), 11);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(
            median_note(&[1, 3, 5, 7]),
            "受け入れまでの日数（中央値）：4日（4件）"
        );
        assert_eq!(
            median_note(&[2]),
            "受け入れまでの日数（中央値）：2日（1件）"
        );
    }
}
