//! The amounts of a fiscal year (never hidden: they count minutes, agencies, visits, trainings
//! and challenges, not children) over the areas of the scope asked.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use tsunagu_domain::{
    directory::Sector,
    evaluation::{Chart, Table},
    japanese_date::JST,
    school_year::{fiscal_year_end, fiscal_year_start},
};

use super::{date_month, month_columns, month_index, reached, start_instant};
use crate::{
    db::{self, query, query_dialect},
    Db, Result,
};

/// The amounts' tables of `fy` over `areas`, months after `now` blank.
pub async fn tables(db: &Db, areas: &[i64], fy: i32, now: OffsetDateTime) -> Result<Vec<Table>> {
    let this_reached = reached(fy, tsunagu_domain::japanese_date::today(now));
    let (minutes, sectors, capacity, challenges) = futures_util::try_join!(
        minutes(db, areas, fy),
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

fn ts_bounds(fy: i32) -> (crate::db::Value, crate::db::Value) {
    (start_instant(fy).into(), start_instant(fy + 1).into())
}

/// A count kept by (label, month) over a table whose index leads with (area, label, time).
/// [`grid`] asks for each label and month one aggregate over its index range: SQLite and
/// PostgreSQL then step through index entries only, with nothing to sort or group, which is
/// what keeps a whole prefecture's year within a second.
struct Grid {
    /// The table with its alias, e.g. `consultations s`.
    from: &'static str,
    /// The area column.
    area: &'static str,
    /// The column each label is compared with; None for one row of everything.
    label: Option<&'static str>,
    /// The time column: a timestamp (months in Japan time).
    time: &'static str,
    /// `COUNT(*)` or a sum.
    value: &'static str,
}

/// Time buckets: (month, from, to) with `to` excluded.
type Buckets = Vec<(i64, crate::db::Value, crate::db::Value)>;

/// The twelve months of a fiscal year, April first, as instants in Japan time.
fn months_of(fy: i32) -> Buckets {
    let first = |year: i32, month: u8| {
        let (y, m) = if month > 12 {
            (year + 1, month - 12)
        } else {
            (year, month)
        };
        let day = Date::from_calendar_date(y, Month::try_from(m).unwrap_or(Month::January), 1)
            .unwrap_or(Date::MIN);
        crate::db::Value::from(PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(JST))
    };
    (4u8..16)
        .map(|m| {
            (
                i64::from(if m > 12 { m - 12 } else { m }),
                first(fy, m),
                first(fy, m + 1),
            )
        })
        .collect()
}

/// The whole fiscal year as one bucket (for last year's totals).
fn whole_year(fy: i32) -> Buckets {
    let (from, to) = ts_bounds(fy);
    vec![(0, from, to)]
}

/// Aggregates by (label, bucket month) for `labels` over `areas`.
async fn grid(
    db: &Db,
    g: &Grid,
    labels: &[crate::db::Value],
    areas: &[i64],
    buckets: Buckets,
) -> Result<Vec<(usize, i64, i64)>> {
    let list = db::id_list(areas.iter().copied());
    let mut n = 0;
    let mut param = || {
        n += 1;
        format!("${n}")
    };
    let months = buckets
        .iter()
        .map(|(m, _, _)| format!("(CAST({m} AS BIGINT), {}, {})", param(), param()))
        .collect::<Vec<_>>()
        .join(", ");
    let keys = if g.label.is_some() {
        labels
            .iter()
            .enumerate()
            .map(|(i, _)| format!("(CAST({i} AS BIGINT), {})", param()))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        "(CAST(0 AS BIGINT), NULL)".to_owned()
    };
    let label = g
        .label
        .map(|l| format!(" AND {l} = grid_key.label"))
        .unwrap_or_default();
    let (from, area, time, value) = (g.from, g.area, g.time, g.value);
    // Every name here is one of this module's constants; the values are bound.
    let sql = format!(
        "WITH grid_month(month, lo, hi) AS (VALUES {months}), grid_key(i, label) AS (VALUES {keys}) \
         SELECT grid_key.i, grid_month.month, (SELECT CAST(COALESCE({value}, 0) AS BIGINT) FROM {from} \
         WHERE {area} IN ({list}){label} AND {time} >= grid_month.lo AND {time} < grid_month.hi) \
         FROM grid_month, grid_key"
    );
    let mut q = query(sql);
    for (_, lo, hi) in buckets {
        q = q.bind(lo).bind(hi);
    }
    if g.label.is_some() {
        for l in labels {
            q = q.bind(l.clone());
        }
    }
    let rows: Vec<(i64, i64, i64)> = q.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(i, m, v)| (i as usize, m, v))
        .collect())
}

const CONSULTATION_MINUTES: Grid = Grid {
    from: "consultations s",
    area: "s.area_id",
    label: None,
    time: "s.at",
    value: "SUM(s.minutes)",
};

async fn minutes(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let mut row = vec![0; 12];
    for (_, m, v) in grid(db, &CONSULTATION_MINUTES, &[], areas, months_of(fy)).await? {
        row[month_index(m)] += v;
    }
    let mut previous = 0;
    for (_, _, v) in grid(db, &CONSULTATION_MINUTES, &[], areas, whole_year(fy - 1)).await? {
        previous += v;
    }
    let mut t = Table::amounts(
        "coordinator_minutes",
        "コーディネーターの相談対応時間",
        "相談記録に入力した対応時間（分）の合計です。",
        "区分",
        month_columns(),
        vec![("相談対応の時間（分）".into(), row)],
        true,
        false,
    );
    t.previous = Some(vec![tsunagu_domain::evaluation::Cell::Count(previous)]);
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
