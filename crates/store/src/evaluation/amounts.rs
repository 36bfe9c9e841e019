//! The amounts of a fiscal year (never hidden: they count minutes, agencies, visits, trainings
//! and challenges, not children) over the areas of the scope asked.

use time::OffsetDateTime;
use tsunagu_domain::{
    directory::Sector,
    evaluation::{Chart, Table},
    school_year::{fiscal_year_end, fiscal_year_start},
    AreaId,
};

use super::{
    date_month,
    families::{grid, Grid},
    month_columns, month_index, reached, start_instant,
};
use crate::{
    db::{self, query, query_dialect},
    Db, Result,
};

/// The amounts' tables of `fy` over `areas`, months after `now` blank.
pub async fn tables(db: &Db, areas: &[i64], fy: i32, now: OffsetDateTime) -> Result<Vec<Table>> {
    let this_reached = reached(fy, tsunagu_domain::japanese_date::today(now));
    let (minutes, sectors, capacity, challenges) = futures_util::try_join!(
        minutes(db, areas, fy, now),
        meeting_sectors(db, areas, fy),
        capacity(db, areas, fy),
        challenges(db, areas, fy),
    )?;
    Ok(vec![
        minutes.chart(Chart::Lines).blank_after(this_reached),
        sectors,
        capacity.blank_after(this_reached),
        challenges,
    ])
}

/// Minutes recorded with consultations, per area and month, from the evaluation's grid.
const CONSULTATION_MINUTES: Grid = Grid {
    from: "consultations s",
    area: "s.area_id",
    label: None,
    time: "s.at",
    value: "SUM(s.minutes)",
};
/// A visit's day stands for its time: both backends compare a date with the month's bounds
/// as that day's midnight (UTC), which falls inside the same month in Japan.
const VISIT_MINUTES: Grid = Grid {
    from: "visits v",
    area: "v.area_id",
    label: None,
    time: "v.visited_on",
    value: "SUM(v.spent_minutes)",
};
const MEETING_MINUTES: Grid = Grid {
    from: "meetings m",
    area: "m.area_id",
    label: Some("m.status"),
    time: "m.starts_at",
    value: "SUM(m.spent_minutes)",
};

/// The coordinators' time recorded with consultations, visits and held meetings, by month.
async fn minutes(db: &Db, areas: &[i64], fy: i32, now: OffsetDateTime) -> Result<Table> {
    let ids: Vec<AreaId> = areas.iter().copied().map(AreaId).collect();
    let held = [db::Value::from("held")];
    let (consultations, visits, meetings) = futures_util::try_join!(
        grid(db, &CONSULTATION_MINUTES, &[], &ids, fy, now),
        grid(db, &VISIT_MINUTES, &[], &ids, fy, now),
        grid(db, &MEETING_MINUTES, &held, &ids, fy, now),
    )?;
    let mut rows = Vec::new();
    let mut previous = Vec::new();
    for (label, per_area) in [
        ("相談（分）", consultations),
        ("巡回相談・施設支援（分）", visits),
        ("支援会議（分）", meetings),
    ] {
        let mut row = vec![0; 12];
        let mut before = 0;
        for months in per_area.iter().flatten() {
            before += months[..12].iter().sum::<i64>();
            for (m, v) in months[12..].iter().enumerate() {
                row[m] += v;
            }
        }
        rows.push((label.to_owned(), row));
        previous.push(tsunagu_domain::evaluation::Cell::Count(before));
    }
    let previous_total: i64 = previous.iter().filter_map(|c| c.count()).sum();
    let mut t = Table::amounts(
        "coordinator_minutes",
        "コーディネーターの活動時間",
        "相談記録・巡回相談・開催済みの支援会議に入力した「かかった時間」（分）の合計です。入力のない記録は数えません。",
        "区分",
        month_columns(),
        rows,
        true,
        true,
    );
    t.previous = Some(previous);
    t.previous_total = Some(tsunagu_domain::evaluation::Cell::Count(previous_total));
    Ok(t)
}

async fn meeting_sectors(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    // Agencies that took part in at least one meeting held in the year, by their kind's sector:
    // found from the area's held meetings of the year (their
    // index) and then counted by sector: asking each of the directory's agencies instead took
    // 50 s for one area of a prefecture.
    let rows: Vec<(Option<String>, i64)> = query(format!(
        "SELECT k.sector, COUNT(*) FROM agencies a LEFT JOIN agency_kinds k ON k.id = a.kind_id \
         WHERE a.id IN (SELECT p.agency_id FROM meetings m JOIN meeting_participants p ON p.meeting_id = m.id \
         WHERE m.area_id IN ({list}) AND m.status = 'held' AND m.starts_at >= $1 AND m.starts_at < $2 AND p.agency_id IS NOT NULL) \
         GROUP BY k.sector"
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
    Ok(Table::amounts(
        "meeting_agencies",
        "支援会議に参加した機関（分野別の機関数）",
        "年度中に開催済みの支援会議に1回以上参加した機関の数を、機関の分野別に数えます（機関は個人ではないため伏せません）。",
        "分野",
        vec!["参加した機関".into()],
        table_rows,
        false,
        true,
    ))
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
    Ok(Table::amounts(
        "capacity",
        "療育技術・支援資質の向上（巡回相談・施設支援と研修会）",
        "コーディネーターが行った巡回相談・施設支援と研修会の回数、研修会の参加者数です（実施日の月）。",
        "区分",
        month_columns(),
        vec![
            ("巡回相談・施設支援（回）".into(), v),
            ("研修会（回）".into(), t),
            ("研修会の参加者（人）".into(), h),
        ],
        true,
        false,
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
    let mut t = Table::amounts(
        "challenges",
        "課題（分類別）",
        "年度中に登録した課題と、年度中に解決とした課題の数です（課題は子どもを含まないため伏せません）。",
        "分類",
        vec!["提起された課題".into(), "解決した課題".into()],
        table_rows,
        false,
        true,
    );
    t.bar_column = 0;
    Ok(t)
}
