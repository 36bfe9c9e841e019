//! The evaluation's figures (検証) for a fiscal year and a set of areas: every table counted in
//! SQL (grouped by month in Japan time), with last year's totals beside it. Who may see which
//! scope, and the small-count rule, are the caller's (see `web::evaluation`).

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

impl std::fmt::Display for Scope {
    /// As the audit log's detail names it: `area=1`, `region=3`, `prefecture`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Area(a) => write!(f, "area={a}"),
            Scope::Region(r) => write!(f, "region={r}"),
            Scope::Prefecture => f.write_str("prefecture"),
        }
    }
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

/// The month of a date column, in each dialect.
fn date_month(col: &str) -> (String, String) {
    (
        format!("CAST(strftime('%m', {col}) AS INTEGER)"),
        format!("CAST(EXTRACT(MONTH FROM {col}) AS BIGINT)"),
    )
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
    /// The time column: a timestamp (months in Japan time) or a date.
    time: &'static str,
    dates: bool,
    /// `COUNT(*)` or a sum.
    value: &'static str,
}

/// Time buckets: (month, from, to) with `to` excluded.
type Buckets = Vec<(i64, crate::db::Value, crate::db::Value)>;

/// The twelve months of a fiscal year, April first.
fn months_of(fy: i32, dates: bool) -> Buckets {
    let first = |year: i32, month: u8| {
        let (y, m) = if month > 12 {
            (year + 1, month - 12)
        } else {
            (year, month)
        };
        let day = Date::from_calendar_date(y, Month::try_from(m).unwrap_or(Month::January), 1)
            .unwrap_or(Date::MIN);
        if dates {
            crate::db::Value::from(day)
        } else {
            crate::db::Value::from(PrimitiveDateTime::new(day, Time::MIDNIGHT).assume_offset(JST))
        }
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
fn whole_year(fy: i32, dates: bool) -> Buckets {
    let (from, to) = if dates {
        (
            fiscal_year_start(fy).into(),
            fiscal_year_start(fy + 1).into(),
        )
    } else {
        ts_bounds(fy)
    };
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

/// A month table by a [`Grid`]: a row for each label (its display name beside the value
/// compared), last year's totals beside them.
async fn grid_table(
    db: &Db,
    g: &Grid,
    labels: &[(String, crate::db::Value)],
    areas: &[i64],
    fy: i32,
) -> Result<(Vec<(String, Vec<i64>)>, Vec<i64>)> {
    let values: Vec<crate::db::Value> = labels.iter().map(|(_, v)| v.clone()).collect();
    let mut rows: Vec<(String, Vec<i64>)> = labels
        .iter()
        .map(|(name, _)| (name.clone(), vec![0; 12]))
        .collect();
    for (i, m, v) in grid(db, g, &values, areas, months_of(fy, g.dates)).await? {
        rows[i].1[month_index(m)] += v;
    }
    let mut previous = vec![0; labels.len()];
    for (i, _, v) in grid(db, g, &values, areas, whole_year(fy - 1, g.dates)).await? {
        previous[i] += v;
    }
    Ok((rows, previous))
}

fn texts(labels: &[&str]) -> Vec<(String, crate::db::Value)> {
    labels
        .iter()
        .map(|l| (l.to_string(), crate::db::Value::from(*l)))
        .collect()
}

fn ts_bounds(fy: i32) -> (crate::db::Value, crate::db::Value) {
    (start_instant(fy).into(), start_instant(fy + 1).into())
}

/// A month table of a fiscal year with last year's totals beside it.
#[allow(clippy::too_many_arguments)]
async fn month_table(
    db: &Db,
    key: &'static str,
    title: &str,
    row_header: &str,
    g: &Grid,
    labels: &[(String, crate::db::Value)],
    areas: &[i64],
    fy: i32,
    total_row: bool,
) -> Result<Table> {
    let (rows, previous) = grid_table(db, g, labels, areas, fy).await?;
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

const CONSULTATIONS_BY_CHANNEL: Grid = Grid {
    from: "consultations s",
    area: "s.area_id",
    label: Some("s.channel"),
    time: "s.at",
    dates: false,
    value: "COUNT(*)",
};
const CONSULTATIONS_BY_REQUESTER: Grid = Grid {
    label: Some("s.requester"),
    ..CONSULTATIONS_BY_CHANNEL
};
const CONSULTATION_MINUTES: Grid = Grid {
    label: None,
    value: "SUM(s.minutes)",
    ..CONSULTATIONS_BY_CHANNEL
};
/// The category links carry their consultation's area and time (written with it, never
/// changed), so categories count from one index too.
const CONSULTATIONS_BY_CATEGORY: Grid = Grid {
    from: "consultation_category_links l",
    area: "l.area_id",
    label: Some("l.category_id"),
    time: "l.at",
    dates: false,
    value: "COUNT(*)",
};
const MEETINGS_HELD: Grid = Grid {
    from: "meetings m",
    area: "m.area_id",
    label: Some("m.status"),
    time: "m.starts_at",
    dates: false,
    value: "COUNT(*)",
};

/// Every table of the evaluation for the fiscal year `fy` over `areas`. The tables are counted
/// at once, each on a connection of its own: a prefecture's year is a dozen aggregates that
/// SQLite's readers and PostgreSQL's backends run side by side.
pub async fn tables(db: &Db, areas: &[i64], fy: i32) -> Result<Vec<Table>> {
    let by_category = async {
        let categories: Vec<(i64, String)> =
            query("SELECT id, name FROM consultation_categories ORDER BY sort_order, id")
                .fetch_all(db)
                .await?;
        let categories: Vec<(String, crate::db::Value)> = categories
            .into_iter()
            .map(|(id, name)| (name, id.into()))
            .collect();
        month_table(
            db,
            "consultations_by_category",
            "相談件数（内容の分類別・延べ）",
            "内容の分類",
            &CONSULTATIONS_BY_CATEGORY,
            &categories,
            areas,
            fy,
            true,
        )
        .await
    };
    let (channels, requesters) = (texts(&CHANNELS), texts(&REQUESTERS));
    let held = [("開催した支援会議".to_string(), "held".into())];
    let minutes = [(
        "相談対応の時間（分）".to_string(),
        crate::db::Value::from(""),
    )];
    let (
        (by_channel, by_category, by_requester, by_phase),
        (by_need, referred, meetings, sectors),
        (moves, capacity, challenges, time_spent),
    ) = futures_util::try_join!(
        async {
            futures_util::try_join!(
                month_table(
                    db,
                    "consultations_by_channel",
                    "相談件数（受付方法別）",
                    "受付方法",
                    &CONSULTATIONS_BY_CHANNEL,
                    &channels,
                    areas,
                    fy,
                    true,
                ),
                by_category,
                month_table(
                    db,
                    "consultations_by_requester",
                    "相談件数（相談者別）",
                    "相談者",
                    &CONSULTATIONS_BY_REQUESTER,
                    &requesters,
                    areas,
                    fy,
                    true,
                ),
                children_by_phase(db, areas, fy),
            )
        },
        async {
            futures_util::try_join!(
                children_by_need(db, areas, fy),
                referrals(db, areas, fy),
                month_table(
                    db,
                    "meetings",
                    "支援会議の開催",
                    "区分",
                    &MEETINGS_HELD,
                    &held,
                    areas,
                    fy,
                    false,
                ),
                meeting_sectors(db, areas, fy),
            )
        },
        async {
            futures_util::try_join!(
                transitions(db, areas, fy),
                capacity(db, areas, fy),
                challenges(db, areas, fy),
                month_table(
                    db,
                    "coordinator_minutes",
                    "コーディネーターの相談対応時間",
                    "区分",
                    &CONSULTATION_MINUTES,
                    &minutes,
                    areas,
                    fy,
                    false,
                ),
            )
        },
    )?;
    Ok(vec![
        by_channel.chart(Chart::Lines),
        by_category,
        by_requester,
        by_phase,
        by_need,
        referred,
        meetings,
        sectors,
        moves,
        capacity,
        challenges,
        time_spent.amounts().chart(Chart::Lines),
    ])
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
        ("ryoiku", "療育手帳"),
        ("physical", "身体障害者手帳"),
        ("mental", "精神障害者保健福祉手帳"),
        ("benefit", "障害児通所の受給者証"),
        ("medical", "医療的ケア"),
        ("diagnosis", "診断あり"),
    ];
    // One row per (child, need) from where each need is written down, then counted once by
    // the child's dates: only children with a need are read.
    let found: Vec<(String, i64, i64, i64)> = query(format!(
        "SELECT x.need, COALESCE(SUM(CASE WHEN c.created_at >= $1 AND c.created_at < $2 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN c.closed_on >= $3 AND c.closed_on <= $4 THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN c.created_at < $2 AND (c.closed_on IS NULL OR c.closed_on > $4) THEN 1 ELSE 0 END), 0) \
         FROM (SELECT DISTINCT child_id, kind AS need FROM certificates WHERE kind IN ('ryoiku', 'physical', 'mental') \
         UNION SELECT DISTINCT child_id, 'benefit' FROM benefit_certificates \
         UNION SELECT id, 'medical' FROM children WHERE area_id IN ({list}) AND medical_care IS NOT NULL AND medical_care <> '' \
         UNION SELECT id, 'diagnosis' FROM children WHERE area_id IN ({list}) AND diagnoses IS NOT NULL AND diagnoses <> '') x \
         JOIN children c ON c.id = x.child_id WHERE c.area_id IN ({list}) AND c.merged_into_id IS NULL GROUP BY x.need"
    ))
    .bind(start_instant(fy))
    .bind(start_instant(fy + 1))
    .bind(fiscal_year_start(fy))
    .bind(fiscal_year_end(fy))
    .fetch_all(db)
    .await?;
    let rows = needs
        .iter()
        .map(|(code, label)| {
            let r = found.iter().find(|r| r.0 == *code);
            (
                label.to_string(),
                vec![
                    r.map_or(0, |r| r.1),
                    r.map_or(0, |r| r.2),
                    r.map_or(0, |r| r.3),
                ],
            )
        })
        .collect();
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

/// Counts by agency kind and state. On SQLite each agency's referrals of the year are counted
/// from the index (agency, state, created) and summed by kind: no referral row is read or
/// sorted; PostgreSQL aggregates the year's rows in one pass. A referral belongs to its child's
/// area.
async fn referrals(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    let states = State::ALL
        .iter()
        .map(|s| format!("SELECT '{}' AS v", s.code()))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    // PostgreSQL runs the 30,000 correlated counts five times slower than one hash aggregate
    // over the year's referrals; SQLite the other way round (docs/performance.md).
    let rows: Vec<(Option<String>, String, i64)> = query_dialect(
        format!(
            "SELECT k.name, st.v, CAST(SUM((SELECT COUNT(*) FROM referrals r WHERE r.agency_id = a.id AND r.state = st.v \
             AND r.created_at >= $1 AND r.created_at < $2 AND r.child_id IN (SELECT c.id FROM children c WHERE c.area_id IN ({list})))) AS BIGINT) \
             FROM agencies a LEFT JOIN agency_kinds k ON k.id = a.kind_id, ({states}) st GROUP BY k.name, st.v"
        ),
        format!(
            "SELECT k.name, r.state, COUNT(*) FROM referrals r JOIN agencies a ON a.id = r.agency_id \
             LEFT JOIN agency_kinds k ON k.id = a.kind_id WHERE r.created_at >= $1 AND r.created_at < $2 \
             AND r.child_id IN (SELECT c.id FROM children c WHERE c.area_id IN ({list})) GROUP BY k.name, r.state"
        ),
    )
    .bind(start_instant(fy))
    .bind(start_instant(fy + 1))
    .fetch_all(db)
    .await?;
    let mut kinds: Vec<String> = rows
        .iter()
        .filter(|(_, _, n)| *n > 0)
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
    // Whole days from the referral to the agency's acceptance, counted by number of days.
    let days = (
        "CAST(julianday(r.answered_at) - julianday(r.created_at) AS INTEGER)",
        "CAST(FLOOR(EXTRACT(EPOCH FROM (r.answered_at - r.created_at)) / 86400) AS BIGINT)",
    );
    let wait = |d: &str| {
        format!(
            "SELECT {d}, COUNT(*) FROM referrals r WHERE r.state IN ('accepted', 'completed')              AND r.created_at >= $1 AND r.created_at < $2 AND r.answered_at IS NOT NULL              AND r.child_id IN (SELECT c.id FROM children c WHERE c.area_id IN ({list})) GROUP BY 1"
        )
    };
    let waits: Vec<(i64, i64)> = query_dialect(wait(days.0), wait(days.1))
        .bind(start_instant(fy))
        .bind(start_instant(fy + 1))
        .fetch_all(db)
        .await?;
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
    let accepted: i64 = waits.iter().map(|(_, n)| n).sum();
    table = table.note(median_note(&waits), &[accepted]);
    Ok(table)
}

/// 「受け入れまでの日数（中央値）」 from (days, how many) pairs, with the number it rests on
/// for the suppression to judge.
fn median_note(waits: &[(i64, i64)]) -> String {
    let mut waits = waits.to_vec();
    waits.sort_unstable();
    let n: i64 = waits.iter().map(|(_, c)| c).sum();
    // The k-th smallest wait (0-based).
    let nth = |k: i64| {
        let mut seen = 0;
        for (d, c) in &waits {
            seen += c;
            if seen > k {
                return *d;
            }
        }
        0
    };
    match n {
        0 => "受け入れまでの日数（中央値）：該当なし".into(),
        n => {
            let median = if n % 2 == 1 {
                nth(n / 2) as f64
            } else {
                (nth(n / 2 - 1) + nth(n / 2)) as f64 / 2.0
            };
            format!("受け入れまでの日数（中央値）：{median}日（{n}件）")
        }
    }
}

async fn meeting_sectors(db: &Db, areas: &[i64], fy: i32) -> Result<Table> {
    let list = db::id_list(areas.iter().copied());
    // Agencies that took part in at least one meeting held in the year, by their kind's sector.
    let rows: Vec<(Option<String>, i64)> = query(format!(
        "SELECT k.sector, COUNT(*) FROM agencies a LEFT JOIN agency_kinds k ON k.id = a.kind_id          WHERE EXISTS (SELECT 1 FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id          WHERE p.agency_id = a.id AND m.area_id IN ({list}) AND m.status = 'held' AND m.starts_at >= $1 AND m.starts_at < $2)          GROUP BY k.sector"
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
    // The year's moves from the (move_on, status, child_id) index, each child checked against
    // the areas' list (`+` keeps the planners from starting at the child instead).
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
             FROM transitions t WHERE +t.child_id IN (SELECT c.id FROM children c WHERE c.area_id IN ({list})) \
             AND t.status <> 'cancelled' AND t.move_on >= $1 AND t.move_on <= $2 GROUP BY 1"
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
            median_note(&[(7, 1), (1, 1), (5, 1), (3, 1)]),
            "受け入れまでの日数（中央値）：4日（4件）"
        );
        assert_eq!(
            median_note(&[(2, 1)]),
            "受け入れまでの日数（中央値）：2日（1件）"
        );
        // Days counted together: 1, 1, 1, 9 → (1 + 1) / 2.
        assert_eq!(
            median_note(&[(9, 1), (1, 3)]),
            "受け入れまでの日数（中央値）：1日（4件）"
        );
    }
}
