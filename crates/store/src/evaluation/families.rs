//! The counts about children, per area, as the families the suppression works on: consultations
//! (by channel and by requester, which count the same consultations; by category), children (by
//! life stage and by need, over the same children), referrals, support meetings and transitions.
//! Month counts are a grid of index-range counts per area, label and month (nothing to sort or
//! group), two fiscal years at once (last year's totals stand beside this year's).

use time::OffsetDateTime;
use tsunagu_domain::{
    children::{CHANNELS, REQUESTERS},
    evaluation::{Chart, Family, TableSpec},
    people::DifficultyKind,
    referral::State,
    school_year::{fiscal_year_end, fiscal_year_start, Phase},
    suppression::{Axis, Cube},
};

use super::{
    date_month, month_columns, month_index, month_start, reached, start_instant, AreaTree,
};
use crate::{
    db::{self, query, query_dialect, Value},
    Db, Result,
};

/// The seven families of a fiscal year.
pub struct Families {
    pub consultations: Family,
    pub categories: Family,
    pub children: Family,
    pub referrals: Family,
    /// Days from referral to acceptance, per area: (area index, days, how many).
    pub waits: Vec<(usize, i64, i64)>,
    pub meetings: Family,
    pub transitions: Family,
    /// Secondary difficulties (二次障害) newly recorded, by kind.
    pub difficulties: Family,
}

impl Families {
    pub fn all(&self) -> [&Family; 7] {
        [
            &self.consultations,
            &self.categories,
            &self.children,
            &self.referrals,
            &self.meetings,
            &self.transitions,
            &self.difficulties,
        ]
    }
}

/// Counts (or sums) of one table kept by (area, label, month) over an index that leads with
/// (area, label, time).
pub(super) struct Grid {
    /// The table with its alias, e.g. `consultations s`.
    pub from: &'static str,
    pub area: &'static str,
    /// The column each label is compared with; None: one row of everything.
    pub label: Option<&'static str>,
    /// A timestamp column (months in Japan time).
    pub time: &'static str,
    /// `COUNT(*)` or a sum.
    pub value: &'static str,
}

const BY_CHANNEL: Grid = Grid {
    from: "consultations s",
    area: "s.area_id",
    label: Some("s.channel"),
    time: "s.at",
    value: "COUNT(*)",
};
const BY_REQUESTER: Grid = Grid {
    label: Some("s.requester"),
    ..BY_CHANNEL
};
/// The category links carry their consultation's area and time (written with it, never
/// changed), so categories count from one index too.
const BY_CATEGORY: Grid = Grid {
    from: "consultation_category_links l",
    area: "l.area_id",
    label: Some("l.category_id"),
    time: "l.at",
    value: "COUNT(*)",
};
/// A secondary difficulty counts in its child's area, in the month it was first recorded.
const DIFFICULTIES: Grid = Grid {
    from: "secondary_difficulties d JOIN children dc ON dc.id = d.child_id",
    area: "dc.area_id",
    label: Some("d.kind"),
    time: "d.created_at",
    value: "COUNT(*)",
};
const MEETINGS_HELD: Grid = Grid {
    from: "meetings m",
    area: "m.area_id",
    label: Some("m.status"),
    time: "m.starts_at",
    value: "COUNT(*)",
};

/// Counts by (area index, label index, month 0..24): last year's twelve months, then this
/// year's, each stopping at the end of `now`'s day in Japan (so the figures hold still through
/// a day, and a meeting later today counts once it is held). Without a label column, one label.
pub(super) async fn grid(
    db: &Db,
    g: &Grid,
    labels: &[Value],
    areas: &[tsunagu_domain::AreaId],
    fy: i32,
    now: OffsetDateTime,
) -> Result<Vec<Vec<[i64; 24]>>> {
    let width = if g.label.is_some() { labels.len() } else { 1 };
    let mut out = vec![vec![[0i64; 24]; width]; areas.len()];
    let now = time::PrimitiveDateTime::new(
        tsunagu_domain::japanese_date::today(now)
            .next_day()
            .unwrap_or(time::Date::MAX),
        time::Time::MIDNIGHT,
    )
    .assume_offset(tsunagu_domain::japanese_date::JST);
    let mut buckets = Vec::new();
    for m in 0..24 {
        let year = fy - 1 + (m / 12) as i32;
        let lo = time::PrimitiveDateTime::new(month_start(year, m % 12), time::Time::MIDNIGHT)
            .assume_offset(tsunagu_domain::japanese_date::JST);
        let hi = if m % 12 == 11 {
            start_instant(year + 1)
        } else {
            time::PrimitiveDateTime::new(month_start(year, m % 12 + 1), time::Time::MIDNIGHT)
                .assume_offset(tsunagu_domain::japanese_date::JST)
        };
        if lo < now {
            buckets.push((m, lo, hi.min(now)));
        }
    }
    if buckets.is_empty() || width == 0 || areas.is_empty() {
        return Ok(out);
    }
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
    let keys = match g.label {
        Some(_) => labels
            .iter()
            .enumerate()
            .map(|(i, _)| format!("(CAST({i} AS BIGINT), {})", param()))
            .collect::<Vec<_>>()
            .join(", "),
        None => "(CAST(0 AS BIGINT), NULL)".to_owned(),
    };
    // Area ids are integers from the database, written into the text as such.
    let places = areas
        .iter()
        .enumerate()
        .map(|(i, a)| format!("(CAST({i} AS BIGINT), CAST({} AS BIGINT))", a.0))
        .collect::<Vec<_>>()
        .join(", ");
    let (from, area, time, value) = (g.from, g.area, g.time, g.value);
    let label = g
        .label
        .map(|l| format!(" AND {l} = grid_key.label"))
        .unwrap_or_default();
    // Every name here is one of the module's constants; the values are bound.
    let sql = format!(
        "WITH grid_month(month, lo, hi) AS (VALUES {months}), grid_key(i, label) AS (VALUES {keys}), \
         grid_area(i, id) AS (VALUES {places}) \
         SELECT grid_area.i, grid_key.i, grid_month.month, (SELECT CAST(COALESCE({value}, 0) AS BIGINT) FROM {from} \
         WHERE {area} = grid_area.id{label} AND {time} >= grid_month.lo AND {time} < grid_month.hi) \
         FROM grid_month, grid_key, grid_area"
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
    let rows: Vec<(i64, i64, i64, i64)> = q.fetch_all(db).await?;
    for (a, l, m, v) in rows {
        out[a as usize][l as usize][m as usize] = v;
    }
    Ok(out)
}

/// A month cube from a grid's counts for the year `this` (0: last year, 1: this year), rows
/// laid out by `row` (a cube row to its grid's label, or None for a total).
fn month_cube(
    tree: &AreaTree,
    rows: Axis,
    counts: impl Fn(usize, usize, usize) -> i64,
    reached: Option<usize>,
    blank_rows: impl Fn(usize) -> bool,
) -> Cube {
    let cube = Cube::new(tree.tree.clone(), rows, Axis::summed(12), counts);
    match reached {
        Some(last) => cube.with_known_zero(|r, c| c < 12 && c > last && blank_rows(r)),
        None => cube,
    }
}

const DEFINITION_CONSULTATIONS: &str =
    "相談記録の件数です。相談の日時（日本時間）の月に数え、今年度はきょうまでの分です。";

/// Every family of `fy` over the tree.
pub async fn count(db: &Db, tree: &AreaTree, fy: i32, now: OffsetDateTime) -> Result<Families> {
    let today = tsunagu_domain::japanese_date::today(now);
    let this_reached = reached(fy, today);
    let texts =
        |labels: &[&str]| -> Vec<Value> { labels.iter().map(|l| Value::from(*l)).collect() };
    let categories: Vec<(i64, String)> =
        query("SELECT id, name FROM consultation_categories ORDER BY sort_order, id")
            .fetch_all(db)
            .await?;
    let category_ids: Vec<Value> = categories.iter().map(|(id, _)| Value::from(*id)).collect();
    let (channels, requesters, held_label) =
        (texts(&CHANNELS), texts(&REQUESTERS), texts(&["held"]));
    let kinds: Vec<Value> = DifficultyKind::ALL
        .iter()
        .map(|k| Value::from(k.code()))
        .collect();
    // Every child of the tree's areas once, as a few narrow columns: the children's and the
    // referrals' families are counted from it in memory (one index scan instead of grouping
    // and joining in SQL, which took seconds on a prefecture).
    let people = people(db, tree).await?;
    let (channel, requester, category, held, difficulty, needs, referrals, transitions) = futures_util::try_join!(
        grid(db, &BY_CHANNEL, &channels, &tree.areas, fy, now),
        grid(db, &BY_REQUESTER, &requesters, &tree.areas, fy, now),
        grid(db, &BY_CATEGORY, &category_ids, &tree.areas, fy, now),
        grid(db, &MEETINGS_HELD, &held_label, &tree.areas, fy, now),
        grid(db, &DIFFICULTIES, &kinds, &tree.areas, fy, now),
        needs(db, tree),
        referrals(db, tree, fy, &people),
        transitions(db, tree, fy, today),
    )?;
    let children = children(tree, fy, today, &people, &needs);
    let (nc, nr) = (CHANNELS.len(), REQUESTERS.len());
    let consultation_cube = |year: usize, reached: Option<usize>| {
        month_cube(
            tree,
            Axis::partitioned(&[nc, nr]),
            |a, r, c| {
                let m = year * 12 + c;
                if r < nc {
                    channel[a][r][m]
                } else {
                    requester[a][r - nc][m]
                }
            },
            reached,
            |_| true,
        )
    };
    let mut labels: Vec<String> = CHANNELS.iter().map(|s| s.to_string()).collect();
    labels.extend(REQUESTERS.iter().map(|s| s.to_string()));
    labels.push("合計".into());
    let mut cols = month_columns();
    cols.push("合計".into());
    let consultations = Family {
        cube: consultation_cube(1, this_reached),
        previous: Some(consultation_cube(0, None)),
        row_labels: labels,
        col_labels: cols.clone(),
        tables: vec![
            TableSpec {
                key: "consultations_by_channel",
                title: "相談件数（受付方法別）".into(),
                definition: DEFINITION_CONSULTATIONS.into(),
                row_header: "受付方法".into(),
                rows: (0..nc).collect(),
                total_row: true,
                chart: Chart::Lines,
                bar_column: None,
            },
            TableSpec {
                key: "consultations_by_requester",
                title: "相談件数（相談者別）".into(),
                definition: DEFINITION_CONSULTATIONS.into(),
                row_header: "相談者".into(),
                rows: (nc..nc + nr).collect(),
                total_row: true,
                chart: Chart::Bars,
                bar_column: None,
            },
        ],
    };
    let nk = categories.len();
    let category_cube = |year: usize, reached: Option<usize>| {
        month_cube(
            tree,
            Axis::summed(nk),
            |a, r, c| category[a][r][year * 12 + c],
            reached,
            |_| true,
        )
    };
    let mut labels: Vec<String> = categories.iter().map(|(_, n)| n.clone()).collect();
    labels.push("合計".into());
    let categories = Family {
        cube: category_cube(1, this_reached),
        previous: Some(category_cube(0, None)),
        row_labels: labels,
        col_labels: cols.clone(),
        tables: vec![TableSpec {
            key: "consultations_by_category",
            title: "相談件数（内容の分類別・延べ）".into(),
            definition: "相談記録に付けた内容の分類ごとの件数です。1件の相談に複数の分類を付けたときはそれぞれに数えます（延べ）。".into(),
            row_header: "内容の分類".into(),
            rows: (0..nk).collect(),
            total_row: true,
            chart: Chart::Bars,
            bar_column: None,
        }],
    };
    let meeting_cube = |year: usize, reached: Option<usize>| {
        month_cube(
            tree,
            Axis::loose(1),
            |a, _, c| held[a][0][year * 12 + c],
            reached,
            |_| true,
        )
    };
    let meetings = Family {
        cube: meeting_cube(1, this_reached),
        previous: Some(meeting_cube(0, None)),
        row_labels: vec!["開催した支援会議".into()],
        col_labels: cols.clone(),
        tables: vec![TableSpec {
            key: "meetings",
            title: "支援会議の開催".into(),
            definition: "開催済みとした支援会議の数です。開始日時の月に数えます。".into(),
            row_header: "区分".into(),
            rows: vec![0],
            total_row: false,
            chart: Chart::Lines,
            bar_column: None,
        }],
    };
    let nd = kinds.len();
    let difficulty_cube = |year: usize, reached: Option<usize>| {
        month_cube(
            tree,
            Axis::summed(nd),
            |a, r, c| difficulty[a][r][year * 12 + c],
            reached,
            |_| true,
        )
    };
    let mut labels: Vec<String> = DifficultyKind::ALL
        .iter()
        .map(|k| k.label().to_owned())
        .collect();
    labels.push("合計".into());
    let difficulties = Family {
        cube: difficulty_cube(1, this_reached),
        previous: Some(difficulty_cube(0, None)),
        row_labels: labels,
        col_labels: cols.clone(),
        tables: vec![TableSpec {
            key: "secondary_difficulties",
            title: "二次障害の新たな記録（種類別）".into(),
            definition: "子どもの記録に二次障害（不登校・自傷・抑うつ・不安・行動上の問題など）を新たに記録した件数です。記録した月に、その子どもが今いる地域で数えます。".into(),
            row_header: "種類".into(),
            rows: (0..nd).collect(),
            total_row: true,
            chart: Chart::Bars,
            bar_column: None,
        }],
    };
    let (referrals, waits) = referrals;
    Ok(Families {
        difficulties,
        consultations,
        categories,
        children,
        referrals,
        waits,
        meetings,
        transitions: transitions_family(tree, transitions, this_reached, cols),
    })
}

/// A child as the families count it: its area (index in the tree), dates, and whether it was
/// merged into another record (then it is not counted as a child).
struct Person {
    area: usize,
    birth_date: time::Date,
    created_at: OffsetDateTime,
    closed_on: Option<time::Date>,
    merged: bool,
}

/// Every child of the tree's areas by id, from the covering index on (area, merged, birth date,
/// created, closed).
async fn people(db: &Db, tree: &AreaTree) -> Result<std::collections::HashMap<i64, Person>> {
    let list = db::id_list(tree.areas.iter().map(|a| a.0));
    type Row = (
        i64,
        i64,
        Option<i64>,
        time::Date,
        OffsetDateTime,
        Option<time::Date>,
    );
    let rows: Vec<Row> =
        query(format!(
            "SELECT c.id, c.area_id, c.merged_into_id, c.birth_date, c.created_at, c.closed_on FROM children c WHERE c.area_id IN ({list})"
        ))
        .fetch_all(db)
        .await?;
    let index: std::collections::HashMap<i64, usize> = tree
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| (a.0, i))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, area, merged, birth_date, created_at, closed_on)| {
            Some((
                id,
                Person {
                    area: *index.get(&area)?,
                    birth_date,
                    created_at,
                    closed_on,
                    merged: merged.is_some(),
                },
            ))
        })
        .collect())
}

const PHASES: [Phase; 6] = [
    Phase::Infancy,
    Phase::Preschool,
    Phase::Elementary,
    Phase::JuniorHigh,
    Phase::HighSchool,
    Phase::Adult,
];

/// The life stage at the start of the year from the birth date, as an index of [`PHASES`].
fn phase_at(fy: i32, birth: time::Date) -> usize {
    let phase = tsunagu_domain::school_year::phase_at(fy, birth);
    PHASES.iter().position(|p| *p == phase).unwrap_or(0)
}

pub(crate) const NEEDS: [(&str, &str); 6] = [
    ("ryoiku", "療育手帳"),
    ("physical", "身体障害者手帳"),
    ("mental", "精神障害者保健福祉手帳"),
    ("benefit", "受給者証（通所・福祉サービス）"),
    ("medical", "医療的ケア"),
    ("diagnosis", "診断あり"),
];

/// The needs written down for each child, as bits in the order of [`NEEDS`].
async fn needs(db: &Db, tree: &AreaTree) -> Result<std::collections::HashMap<i64, u8>> {
    let list = db::id_list(tree.areas.iter().map(|a| a.0));
    let rows: Vec<(i64, String)> = query(format!(
        "SELECT DISTINCT child_id, kind FROM certificates WHERE kind IN ('ryoiku', 'physical', 'mental') \
         UNION SELECT DISTINCT child_id, 'benefit' FROM benefit_certificates \
         UNION SELECT id, 'medical' FROM children WHERE area_id IN ({list}) AND medical_care IS NOT NULL AND medical_care <> '' \
         UNION SELECT id, 'diagnosis' FROM children WHERE area_id IN ({list}) AND diagnoses IS NOT NULL AND diagnoses <> ''"
    ))
    .fetch_all(db)
    .await?;
    let mut out = std::collections::HashMap::new();
    for (child, need) in rows {
        if let Some(k) = NEEDS.iter().position(|(code, _)| *code == need) {
            *out.entry(child).or_insert(0u8) |= 1 << k;
        }
    }
    Ok(out)
}

/// The children family: rows by life stage, then each need with its complement (never shown,
/// it only says that the need's rows are part of all children); columns: carried over from the
/// year before, new, closed, still supported at the year's end (今年度: today), and all the
/// children supported in the year (registered before its end and not closed before its start),
/// which the first two and the last two each add up to.
fn children(
    tree: &AreaTree,
    fy: i32,
    today: time::Date,
    people: &std::collections::HashMap<i64, Person>,
    needs: &std::collections::HashMap<i64, u8>,
) -> Family {
    let (start, next) = (start_instant(fy), start_instant(fy + 1));
    let (first, end) = (fiscal_year_start(fy), fiscal_year_end(fy).min(today));
    let mut phases = vec![[[0i64; 4]; 6]; tree.areas.len()];
    let mut with_need = vec![[[0i64; 4]; 6]; tree.areas.len()];
    for (id, p) in people {
        let supported = !p.merged && p.created_at < next && p.closed_on.is_none_or(|c| c >= first);
        if !supported {
            continue;
        }
        let closed = p.closed_on.is_some_and(|c| c <= end);
        let columns = [p.created_at < start, p.created_at >= start, closed, !closed];
        let phase = phase_at(fy, p.birth_date);
        let bits = needs.get(id).copied().unwrap_or(0);
        for (c, yes) in columns.iter().enumerate() {
            if *yes {
                phases[p.area][phase][c] += 1;
                for (k, row) in with_need[p.area].iter_mut().enumerate() {
                    if bits & (1 << k) != 0 {
                        row[c] += 1;
                    }
                }
            }
        }
    }
    let sizes = [6, 2, 2, 2, 2, 2, 2];
    let complements: Vec<usize> = (0..6).map(|k| 7 + 2 * k).collect();
    let rows = Axis::partitioned(&sizes).unpublish(&complements);
    let cube = Cube::new(
        tree.tree.clone(),
        rows,
        Axis::partitioned(&[2, 2]),
        |a, r, c| {
            if r < 6 {
                phases[a][r][c]
            } else {
                let k = (r - 6) / 2;
                let with = with_need[a][k][c];
                if (r - 6) % 2 == 0 {
                    with
                } else {
                    phases[a].iter().map(|p| p[c]).sum::<i64>() - with
                }
            }
        },
    );
    let mut labels: Vec<String> = PHASES.iter().map(|p| p.label().to_string()).collect();
    for (_, label) in NEEDS {
        labels.push(label.to_string());
        labels.push(format!("{label}なし"));
    }
    labels.push("合計".into());
    let definition = "年度中に支援した子ども（年度末までに登録し、年度初めより前に終結していない子ども）を数えます。前年度から継続＋新規登録＝終結＋年度末に支援中＝合計。今年度の「年度末に支援中」はきょう時点です。";
    Family {
        cube,
        previous: None,
        row_labels: labels,
        col_labels: vec![
            "前年度から継続".into(),
            "新規登録".into(),
            "終結".into(),
            "年度末に支援中".into(),
            "合計".into(),
        ],
        tables: vec![
            TableSpec {
                key: "children_by_phase",
                title: "支援した子ども（ライフステージ別、年度初めの年齢）".into(),
                definition: definition.into(),
                row_header: "ライフステージ".into(),
                rows: (0..6).collect(),
                total_row: true,
                chart: Chart::Bars,
                bar_column: Some(3),
            },
            TableSpec {
                key: "children_by_need",
                title: "支援した子ども（手帳・受給者証・医療的ケアなど、重複あり）".into(),
                definition: format!("{definition}1人の子どもが複数の欄に入ることがあります。"),
                row_header: "状況".into(),
                rows: (0..6).map(|k| 6 + 2 * k).collect(),
                total_row: false,
                chart: Chart::Bars,
                bar_column: Some(3),
            },
        ],
    }
}

/// Referrals of the year by the kind of agency and their state now; kinds with none in the
/// whole tree are left out. Also the whole days to acceptance per area. The year's referrals
/// are read from the index on (created, child, agency, state, answered) and counted by their
/// child's area here.
async fn referrals(
    db: &Db,
    tree: &AreaTree,
    fy: i32,
    people: &std::collections::HashMap<i64, Person>,
) -> Result<(Family, Vec<(usize, i64, i64)>)> {
    let rows: Vec<(i64, i64, String, OffsetDateTime, Option<OffsetDateTime>)> = query(
        "SELECT r.child_id, r.agency_id, r.state, r.created_at, r.answered_at FROM referrals r \
         WHERE r.created_at >= $1 AND r.created_at < $2",
    )
    .bind(start_instant(fy))
    .bind(start_instant(fy + 1))
    .fetch_all(db)
    .await?;
    let kinds_of: Vec<(i64, Option<String>)> =
        query("SELECT a.id, k.name FROM agencies a LEFT JOIN agency_kinds k ON k.id = a.kind_id")
            .fetch_all(db)
            .await?;
    let kind_of: std::collections::HashMap<i64, String> = kinds_of
        .into_iter()
        .map(|(a, k)| (a, k.unwrap_or_else(|| "その他".into())))
        .collect();
    let mut kinds: Vec<String> = Vec::new();
    let mut found: Vec<(usize, String, usize)> = Vec::new();
    let mut waits: std::collections::BTreeMap<(usize, i64), i64> = Default::default();
    for (child, agency, state, created, answered) in rows {
        let (Some(p), Some(s)) = (
            people.get(&child),
            State::ALL.iter().position(|x| x.code() == state),
        ) else {
            continue;
        };
        let kind = kind_of
            .get(&agency)
            .cloned()
            .unwrap_or_else(|| "その他".into());
        if !kinds.contains(&kind) {
            kinds.push(kind.clone());
        }
        found.push((p.area, kind, s));
        if let (Some(answered), "accepted" | "completed") = (answered, state.as_str()) {
            *waits
                .entry((p.area, (answered - created).whole_days()))
                .or_insert(0) += 1;
        }
    }
    kinds.sort();
    let mut counts = vec![vec![vec![0i64; State::ALL.len()]; kinds.len()]; tree.areas.len()];
    for (a, kind, s) in found {
        if let Some(k) = kinds.iter().position(|x| *x == kind) {
            counts[a][k][s] += 1;
        }
    }
    let cube = Cube::new(
        tree.tree.clone(),
        Axis::summed(kinds.len()),
        Axis::summed(State::ALL.len()),
        |a, r, c| counts[a][r][c],
    );
    let mut row_labels = kinds;
    row_labels.push("合計".into());
    let mut col_labels: Vec<String> = State::ALL.iter().map(|s| s.label().to_string()).collect();
    col_labels.push("合計".into());
    let n = row_labels.len() - 1;
    Ok((
        Family {
            cube,
            previous: None,
            row_labels,
            col_labels,
            tables: vec![TableSpec {
                key: "referrals",
                title: "つなぎ（紹介先の機関種別・結果別）".into(),
                definition: "年度中に作成したつなぎ（紹介）の件数を、紹介先の機関の種別と、きょう時点の状態で数えます。".into(),
                row_header: "機関種別".into(),
                rows: (0..n).collect(),
                total_row: true,
                chart: Chart::Bars,
                bar_column: None,
            }],
        },
        waits.into_iter().map(|((a, d), n)| (a, d, n)).collect(),
    ))
}

/// Per area and month: children with a completed move (once each, whatever the number of
/// moves), of them those whose sheet was received before the move and those with feedback;
/// children with a move still planned in that month.
struct Moves {
    done: Vec<[[i64; 12]; 3]>,
    planned: Vec<[i64; 12]>,
}

async fn transitions(db: &Db, tree: &AreaTree, fy: i32, today: time::Date) -> Result<Moves> {
    let list = db::id_list(tree.areas.iter().map(|a| a.0));
    let (m_sqlite, m_pg) = date_month("t.move_on");
    let before = (
        "date(h.acknowledged_at, '+9 hours') < t.move_on",
        "(h.acknowledged_at AT TIME ZONE 'Asia/Tokyo')::date < t.move_on",
    );
    let sql = |month: &str, ack: &str| {
        format!(
            "SELECT c.area_id, {month}, t.child_id, t.status, \
             CAST(MAX(CASE WHEN EXISTS (SELECT 1 FROM handover_sheets h WHERE h.transition_id = t.id AND h.acknowledged_at IS NOT NULL AND {ack}) THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(MAX(CASE WHEN EXISTS (SELECT 1 FROM handover_sheets h WHERE h.transition_id = t.id AND h.feedback_at IS NOT NULL) THEN 1 ELSE 0 END) AS BIGINT) \
             FROM transitions t JOIN children c ON c.id = t.child_id WHERE c.area_id IN ({list}) \
             AND ((t.status = 'done' AND t.move_on <= $3) OR t.status = 'planned') AND t.move_on >= $1 AND t.move_on <= $2 \
             GROUP BY c.area_id, {month}, t.child_id, t.status"
        )
    };
    let rows: Vec<(i64, i64, i64, String, i64, i64)> =
        query_dialect(sql(&m_sqlite, before.0), sql(&m_pg, before.1))
            .bind(fiscal_year_start(fy))
            .bind(fiscal_year_end(fy))
            .bind(today)
            .fetch_all(db)
            .await?;
    let mut moves = Moves {
        done: vec![[[0; 12]; 3]; tree.areas.len()],
        planned: vec![[0; 12]; tree.areas.len()],
    };
    for (area, month, _child, status, ack, feedback) in rows {
        let Some(a) = tree.areas.iter().position(|x| x.0 == area) else {
            continue;
        };
        let m = month_index(month);
        if status == "done" {
            moves.done[a][0][m] += 1;
            moves.done[a][1][m] += ack;
            moves.done[a][2][m] += feedback;
        } else {
            moves.planned[a][m] += 1;
        }
    }
    Ok(moves)
}

/// Rows: received before the move / not, feedback / none (each pair adds up to the children
/// who moved), the children who moved, then those with a move still planned.
fn transitions_family(
    tree: &AreaTree,
    moves: Moves,
    this_reached: Option<usize>,
    cols: Vec<String>,
) -> Family {
    let cube = month_cube(
        tree,
        Axis::partitioned(&[2, 2]).and_loose(1),
        |a, r, c| {
            let [moved, ack, feedback] = moves.done[a];
            match r {
                0 => ack[c],
                1 => moved[c] - ack[c],
                2 => feedback[c],
                3 => moved[c] - feedback[c],
                _ => moves.planned[a][c],
            }
        },
        this_reached,
        |r| r < 5,
    );
    Family {
        cube,
        previous: None,
        row_labels: vec![
            "うち移行前に引継ぎシートの受領あり".into(),
            "うち受領なし".into(),
            "うち移行後のフィードバックあり".into(),
            "うちフィードバックなし".into(),
            "移行した子ども".into(),
            "移行予定（未完了）".into(),
        ],
        col_labels: cols,
        tables: vec![TableSpec {
            key: "transitions",
            title: "移行の支援（移行日の月別、子どもの人数）".into(),
            definition: "移行を完了とした子どもを、移行日の月ごとに1人1回数えます（同じ月に複数の移行があっても1人）。「移行予定（未完了）」は完了としていない移行がある子どもで、移行した子どもの数には含みません。".into(),
            row_header: "区分".into(),
            rows: vec![4, 0, 1, 2, 3, 5],
            total_row: false,
            chart: Chart::Lines,
            bar_column: None,
        }],
    }
}
