//! The evaluation's tables (検証) as a reader sees them: a family of counts over the areas' tree
//! (see [`crate::suppression`]) laid out as one or more tables for a place, with every count
//! from 1 to 4 and the cells that protect it shown as 「＊」 to the committee, months not yet
//! reached left blank, and last year's totals beside them.

use serde::{Serialize, Serializer};

use crate::suppression::{Cube, Hidden, SMALL};

/// What a hidden cell shows: one mark for a small count and for a cell hidden to protect one,
/// so neither can be told from the other (「≦4」 would be false for the second).
pub const HIDDEN: &str = "＊";

/// The note under every table the committee reads.
pub const HIDDEN_NOTE: &str =
    "「＊」は、子どもが特定されないよう伏せた数です（1〜4件の数と、合計や他の地域の数から逆算できないようにあわせて伏せた数）。";

/// One cell of a table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Count(i64),
    /// A count the reader may not see.
    Hidden,
    /// A month not yet reached: blank, not zero.
    NotYet,
}

impl Cell {
    pub fn count(self) -> Option<i64> {
        match self {
            Cell::Count(n) => Some(n),
            _ => None,
        }
    }

    pub fn text(self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Hidden => HIDDEN.to_string(),
            Cell::NotYet => String::new(),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Count(n) => s.serialize_i64(*n),
            Cell::Hidden => s.serialize_str(HIDDEN),
            Cell::NotYet => s.serialize_none(),
        }
    }
}

/// How a table's chart is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// One bar per row: its value in the table's `bar_column`.
    Bars,
    /// One line per row over the months.
    Lines,
}

/// A table of counts: rows by a category, columns by month or by another category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    pub key: &'static str,
    pub title: String,
    /// What is counted, as of which date: one sentence under the table.
    pub definition: String,
    pub row_header: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<Cell>)>,
    /// The rows add up: a 合計 row follows them.
    pub total_row: Option<Vec<Cell>>,
    /// The columns add up: the last column of each row is their 合計.
    pub total_column: bool,
    /// Last year's total of each row (前年度), for comparison; not part of any sum.
    pub previous: Option<Vec<Cell>>,
    pub previous_total: Option<Cell>,
    /// Counts of children or of events about them (hidden when small for the committee), or
    /// amounts (minutes, agencies, trainings), never hidden.
    pub counts: bool,
    pub chart: Chart,
    /// The column the bars show (the total column when the columns add up).
    pub bar_column: usize,
    /// Lines under the table (a median, a share).
    pub notes: Vec<String>,
}

impl Table {
    /// A table of amounts from values: `total_column` adds each row's 合計 as its last column,
    /// `total_row` a 合計 row.
    #[allow(clippy::too_many_arguments)]
    pub fn amounts(
        key: &'static str,
        title: impl Into<String>,
        definition: impl Into<String>,
        row_header: impl Into<String>,
        columns: Vec<String>,
        rows: Vec<(String, Vec<i64>)>,
        total_column: bool,
        total_row: bool,
    ) -> Table {
        let mut columns = columns;
        if total_column {
            columns.push("合計".into());
        }
        let width = columns.len();
        let rows: Vec<(String, Vec<Cell>)> = rows
            .into_iter()
            .map(|(label, mut values)| {
                if total_column {
                    values.push(values.iter().sum());
                }
                values.resize(width, 0);
                (label, values.into_iter().map(Cell::Count).collect())
            })
            .collect();
        let total = total_row.then(|| {
            (0..width)
                .map(|c| Cell::Count(rows.iter().map(|(_, r)| r[c].count().unwrap_or(0)).sum()))
                .collect()
        });
        Table {
            key,
            title: title.into(),
            definition: definition.into(),
            row_header: row_header.into(),
            bar_column: width.saturating_sub(1),
            columns,
            rows,
            total_row: total,
            total_column,
            previous: None,
            previous_total: None,
            counts: false,
            chart: Chart::Bars,
            notes: Vec::new(),
        }
    }

    pub fn chart(mut self, chart: Chart) -> Table {
        self.chart = chart;
        self
    }

    /// Months after `reached` (0 = April) are blank.
    pub fn blank_after(mut self, reached: Option<usize>) -> Table {
        if let Some(last) = reached {
            for (_, cells) in &mut self.rows {
                for cell in cells.iter_mut().take(12).skip(last + 1) {
                    *cell = Cell::NotYet;
                }
            }
            if let Some(total) = self.total_row.as_mut() {
                for cell in total.iter_mut().take(12).skip(last + 1) {
                    *cell = Cell::NotYet;
                }
            }
        }
        self
    }

    /// The value a bar shows for a row.
    pub fn bar(&self, row: usize) -> Cell {
        self.rows[row]
            .1
            .get(self.bar_column)
            .copied()
            .unwrap_or(Cell::Count(0))
    }
}

/// One table drawn from a family: which rows, whether its 合計 row is the cube's total.
#[derive(Clone, Debug)]
pub struct TableSpec {
    pub key: &'static str,
    pub title: String,
    pub definition: String,
    pub row_header: String,
    pub rows: Vec<usize>,
    pub total_row: bool,
    pub chart: Chart,
    /// The column the bars show; None: the total column.
    pub bar_column: Option<usize>,
}

/// Counts of children or events about them over the areas' tree, this year and (for month
/// tables) last year, with the tables they are shown as.
#[derive(Clone, Debug)]
pub struct Family {
    pub cube: Cube,
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    pub previous: Option<Cube>,
    pub tables: Vec<TableSpec>,
}

/// The cells hidden in a family's cube this year and last year (for the committee).
#[derive(Clone, Debug)]
pub struct Suppressed {
    this: Hidden,
    previous: Option<Hidden>,
}

impl Family {
    /// Hides what the committee may not see, this year and last year alike.
    pub fn suppress(&self) -> Suppressed {
        Suppressed {
            this: self.cube.suppress(),
            previous: self.previous.as_ref().map(Cube::suppress),
        }
    }
}

impl Family {
    /// The family's tables at a place of the tree: exact, or with the `hidden` cells as 「＊」.
    pub fn tables(&self, place: usize, hidden: Option<&Suppressed>) -> Vec<Table> {
        let f = self;
        let cube = &f.cube;
        let cell = |row: usize, col: usize| {
            if cube.is_known_zero(row, col) {
                Cell::NotYet
            } else if hidden.is_some_and(|h| h.this.is_hidden(place, row, col)) {
                Cell::Hidden
            } else {
                Cell::Count(cube.value(place, row, col))
            }
        };
        let previous = |row: usize| {
            let p = f.previous.as_ref()?;
            let col = p.cols.total?;
            let hidden = hidden
                .and_then(|h| h.previous.as_ref())
                .is_some_and(|h| h.is_hidden(place, row, col));
            Some(if hidden {
                Cell::Hidden
            } else {
                Cell::Count(p.value(place, row, col))
            })
        };
        let cols: Vec<usize> = (0..cube.cols.len)
            .filter(|c| !cube.cols.unpublished[*c])
            .collect();
        f.tables
            .iter()
            .map(|spec| {
                let rows: Vec<(String, Vec<Cell>)> = spec
                    .rows
                    .iter()
                    .map(|&r| {
                        (
                            f.row_labels[r].clone(),
                            cols.iter().map(|&c| cell(r, c)).collect(),
                        )
                    })
                    .collect();
                let total = cube.rows.total.filter(|_| spec.total_row);
                // The columns add up to the last only when they are one set (the children's
                // columns are two sets with one total).
                let total_column = cube.cols.total.is_some() && cube.cols.parts.len() == 1;
                Table {
                    key: spec.key,
                    title: spec.title.clone(),
                    definition: spec.definition.clone(),
                    row_header: spec.row_header.clone(),
                    columns: cols.iter().map(|c| f.col_labels[*c].clone()).collect(),
                    rows,
                    total_row: total.map(|t| cols.iter().map(|&c| cell(t, c)).collect()),
                    total_column,
                    previous: f
                        .previous
                        .as_ref()
                        .map(|_| spec.rows.iter().filter_map(|r| previous(*r)).collect()),
                    previous_total: total.and_then(previous),
                    counts: true,
                    chart: spec.chart,
                    bar_column: spec
                        .bar_column
                        .or(cube.cols.total)
                        .and_then(|b| cols.iter().position(|c| *c == b))
                        .unwrap_or(0),
                    notes: Vec::new(),
                }
            })
            .collect()
    }
}

/// Whether a number drawn from a count (a median, a share) may be shown to the committee: its
/// count is zero or above the small-count limit.
pub fn may_show_derived(base: i64) -> bool {
    !(1..=SMALL).contains(&base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suppression::{Axis, Tree};

    fn family() -> Family {
        let tree = Tree {
            areas: 2,
            regions: vec![vec![0], vec![1]],
        };
        let values = [[[3, 9, 0], [8, 7, 0]], [[10, 11, 0], [6, 14, 0]]];
        let cube = Cube::new(tree.clone(), Axis::summed(2), Axis::summed(3), |a, r, c| {
            values[a][r][c]
        })
        .with_known_zero(|_, c| c == 2);
        let previous = Cube::new(tree, Axis::summed(2), Axis::summed(3), |a, r, c| {
            [[[20, 1, 5], [9, 9, 9]], [[9, 9, 9], [9, 9, 9]]][a][r][c]
        });
        Family {
            cube,
            row_labels: vec!["電話".into(), "来所".into(), "合計".into()],
            col_labels: vec!["4月".into(), "5月".into(), "6月".into(), "合計".into()],
            previous: Some(previous),
            tables: vec![TableSpec {
                key: "t",
                title: "相談".into(),
                definition: "相談の件数".into(),
                row_header: "受付方法".into(),
                rows: vec![0, 1],
                total_row: true,
                chart: Chart::Lines,
                bar_column: None,
            }],
        }
    }

    #[test]
    fn exact_figures_add_up_and_months_to_come_are_blank() {
        let f = family();
        let t = &f.tables(0, None)[0];
        assert_eq!(t.columns, ["4月", "5月", "6月", "合計"]);
        assert_eq!(
            t.rows[0].1,
            [
                Cell::Count(3),
                Cell::Count(9),
                Cell::NotYet,
                Cell::Count(12)
            ]
        );
        assert_eq!(
            t.total_row.as_ref().unwrap()[3],
            Cell::Count(12 + 15),
            "the year's total"
        );
        assert_eq!(
            t.previous.as_ref().unwrap(),
            &[Cell::Count(26), Cell::Count(27)]
        );
        assert_eq!(t.bar(0), Cell::Count(12));
        // The prefecture adds both areas.
        let top = &f.tables(2 + 2, None)[0];
        assert_eq!(top.rows[0].1[0], Cell::Count(13));
    }

    #[test]
    fn the_committee_sees_stars_for_small_counts_and_their_protection() {
        let f = family();
        let hidden = f.suppress();
        let t = &f.tables(0, Some(&hidden))[0];
        assert_eq!(t.rows[0].1[0], Cell::Hidden);
        let stars: usize = (0..5)
            .flat_map(|p| f.tables(p, Some(&hidden)))
            .flat_map(|t| {
                t.rows
                    .into_iter()
                    .flat_map(|r| r.1)
                    .chain(t.total_row.unwrap_or_default())
            })
            .filter(|c| *c == Cell::Hidden)
            .count();
        assert!(stars >= 4, "a small count never hides alone");
        // Last year's 1 in 5月 of area 0 does not reach its row total (26): only small totals hide.
        assert_eq!(t.previous.as_ref().unwrap()[0], Cell::Count(26));
        assert_eq!(t.rows[0].1[0].text(), "＊");
        assert_eq!(t.rows[0].1[2].text(), "", "June is still to come");
    }
}
