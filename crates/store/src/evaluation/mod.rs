//! The evaluation's figures (検証) for a fiscal year: counts about children as families over the
//! areas' tree (every area, its region, the prefecture; see `tsunagu_domain::suppression`), so
//! the committee's figures are hidden across every scope at once, and amounts (minutes, agencies,
//! trainings, challenges) for the scope asked. Who may see which scope is the caller's (see
//! `web::evaluation`).

mod amounts;
pub(crate) mod families;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use tsunagu_domain::{
    evaluation::{Family, Table},
    japanese_date::JST,
    school_year::fiscal_year_start,
    suppression::Tree,
    AreaId, RegionId,
};

use crate::{db::query, Db, Result};

pub use families::Families;

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

/// The areas by region: each area belongs to the region of most of its municipalities (the
/// first such region on a tie), so the regions add up to the prefecture exactly.
#[derive(Clone, Debug)]
pub struct AreaTree {
    pub areas: Vec<AreaId>,
    pub regions: Vec<RegionId>,
    pub tree: Tree,
}

impl AreaTree {
    /// The place of a scope in the tree; None when it is not there (an unknown area or region).
    pub fn place(&self, scope: Scope) -> Option<usize> {
        match scope {
            Scope::Area(a) => self.areas.iter().position(|x| *x == a),
            Scope::Region(r) => self
                .regions
                .iter()
                .position(|x| *x == r)
                .map(|g| self.tree.region_place(g)),
            Scope::Prefecture => Some(self.tree.top()),
        }
    }

    /// The area ids a place covers.
    pub fn areas_at(&self, place: usize) -> Vec<i64> {
        if place < self.tree.areas {
            vec![self.areas[place].0]
        } else if place < self.tree.top() {
            self.tree.regions[place - self.tree.areas]
                .iter()
                .map(|a| self.areas[*a].0)
                .collect()
        } else {
            self.areas.iter().map(|a| a.0).collect()
        }
    }

    /// One area alone (its own region and prefecture): for exact figures of one's own area.
    pub fn single(area: AreaId) -> AreaTree {
        AreaTree {
            areas: vec![area],
            regions: vec![RegionId(0)],
            tree: Tree {
                areas: 1,
                regions: vec![vec![0]],
            },
        }
    }
}

/// Every area in the tree of regions; regions without areas are left out.
pub async fn area_tree(db: &Db) -> Result<AreaTree> {
    let rows: Vec<(i64, Option<i64>, i64)> = query(
        "SELECT a.id, m.region_id, COUNT(m.id) FROM areas a LEFT JOIN area_municipalities am ON am.area_id = a.id \
         LEFT JOIN municipalities m ON m.id = am.municipality_id GROUP BY a.id, m.region_id ORDER BY a.id, m.region_id",
    )
    .fetch_all(db)
    .await?;
    let mut chosen: Vec<(i64, i64)> = Vec::new();
    for (area, region, n) in &rows {
        let region = region.unwrap_or(0);
        match chosen.iter_mut().find(|(a, _)| a == area) {
            Some(entry) => {
                let best = rows
                    .iter()
                    .find(|(a, r, _)| a == area && r.unwrap_or(0) == entry.1)
                    .map_or(0, |r| r.2);
                if *n > best {
                    entry.1 = region;
                }
            }
            None => chosen.push((*area, region)),
        }
    }
    let mut regions: Vec<i64> = chosen.iter().map(|(_, r)| *r).collect();
    regions.sort_unstable();
    regions.dedup();
    Ok(AreaTree {
        areas: chosen.iter().map(|(a, _)| AreaId(*a)).collect(),
        tree: Tree {
            areas: chosen.len(),
            regions: regions
                .iter()
                .map(|g| {
                    chosen
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, r))| r == g)
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect(),
        },
        regions: regions.into_iter().map(RegionId).collect(),
    })
}

/// A fiscal year's figures over a tree: the families of counts and the day they stop.
pub struct Figures {
    pub families: Families,
    pub fiscal_year: i32,
}

/// Counts the families of `fy` over the tree, up to `now` (months after it are blank).
pub async fn figures(db: &Db, tree: &AreaTree, fy: i32, now: OffsetDateTime) -> Result<Figures> {
    Ok(Figures {
        families: families::count(db, tree, fy, now).await?,
        fiscal_year: fy,
    })
}

/// The amounts of `fy` over `areas` (never hidden).
pub async fn amounts(db: &Db, areas: &[i64], fy: i32, now: OffsetDateTime) -> Result<Vec<Table>> {
    amounts::tables(db, areas, fy, now).await
}

/// The tables in the order the page shows them.
pub fn in_order(families: &[Vec<Table>], amounts: Vec<Table>) -> Vec<Table> {
    let mut all: Vec<Table> = families.iter().flatten().cloned().collect();
    all.extend(amounts);
    let order = [
        "consultations_by_channel",
        "consultations_by_category",
        "consultations_by_requester",
        "children_by_phase",
        "children_by_need",
        "referrals",
        "meetings",
        "meeting_agencies",
        "transitions",
        "secondary_difficulties",
        "capacity",
        "challenges",
        "coordinator_minutes",
    ];
    all.sort_by_key(|t| {
        order
            .iter()
            .position(|k| *k == t.key)
            .unwrap_or(order.len())
    });
    all
}

impl Figures {
    pub fn all(&self) -> [&Family; 7] {
        self.families.all()
    }
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

/// The last month of `fy` reached by `today` (0 = April); None when the year is over (every
/// month is reached). A year not yet begun is never asked for (the year is checked first).
pub fn reached(fy: i32, today: Date) -> Option<usize> {
    let start = fiscal_year_start(fy);
    let next = fiscal_year_start(fy + 1);
    if today >= next {
        None
    } else if today < start {
        Some(0)
    } else {
        Some(month_index(i64::from(u8::from(today.month()))))
    }
}

/// The instant a fiscal year starts in Japan, for timestamp columns.
fn start_instant(fy: i32) -> OffsetDateTime {
    PrimitiveDateTime::new(fiscal_year_start(fy), Time::MIDNIGHT).assume_offset(JST)
}

/// The first day of the month `m` months after April of `fy`.
fn month_start(fy: i32, m: usize) -> Date {
    let month = (m % 12) as u8 + 4;
    let (year, month) = if month > 12 {
        (fy + 1, month - 12)
    } else {
        (fy, month)
    };
    Date::from_calendar_date(year, Month::try_from(month).unwrap_or(Month::April), 1)
        .unwrap_or(Date::MIN)
}

/// The month of a date column, in each dialect.
fn date_month(col: &str) -> (String, String) {
    (
        format!("CAST(strftime('%m', {col}) AS INTEGER)"),
        format!("CAST(EXTRACT(MONTH FROM {col}) AS BIGINT)"),
    )
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
        assert_eq!(month_start(2026, 0).to_string(), "2026-04-01");
        assert_eq!(month_start(2026, 11).to_string(), "2027-03-01");
    }

    #[test]
    fn the_months_reached_stop_at_today() {
        let d = |s: &str| {
            Date::parse(s, &time::format_description::well_known::Iso8601::DEFAULT).unwrap()
        };
        assert_eq!(reached(2026, d("2026-12-07")), Some(8));
        assert_eq!(reached(2026, d("2027-03-31")), Some(11));
        assert_eq!(reached(2025, d("2026-12-07")), None);
    }
}
