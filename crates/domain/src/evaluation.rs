//! The evaluation's tables (検証) and the small-count rule that lets the prefecture's committee
//! see them without recognising any child: every count from 1 to 4 is shown as 「≤4」, and where
//! a hidden cell could be worked out from a row's or a column's total, another cell of that line
//! is hidden too (secondary suppression). Zero stays zero.

use serde::{Serialize, Serializer};

/// The largest count hidden from the committee.
pub const SMALL: i64 = 4;

/// What a hidden cell shows.
pub const HIDDEN: &str = "≤4";

/// One cell of a table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell {
    Count(i64),
    /// A count the reader may not see.
    Hidden,
}

impl Cell {
    pub fn count(self) -> Option<i64> {
        match self {
            Cell::Count(n) => Some(n),
            Cell::Hidden => None,
        }
    }

    pub fn text(self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Hidden => HIDDEN.to_string(),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Count(n) => s.serialize_i64(*n),
            Cell::Hidden => s.serialize_str(HIDDEN),
        }
    }
}

/// How a table's chart is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// One bar per row (its total).
    Bars,
    /// One line per row over the months.
    Lines,
}

/// A table of counts: rows by a category, columns by month or by another category.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    pub key: &'static str,
    pub title: String,
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
    /// Counts of people or events (suppressed for the committee), or amounts such as minutes.
    pub counts: bool,
    pub chart: Chart,
    /// Lines under the table (a median, a share).
    pub notes: Vec<Note>,
}

/// A line under a table, with the counts it rests on: hidden from the committee when any is small.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Note {
    pub text: String,
    #[serde(skip)]
    pub bases: Vec<i64>,
}

impl Table {
    /// A table from counts; `total_column` adds each row's 合計 as its last column, `total_row`
    /// a 合計 row (with last year's total when given).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        key: &'static str,
        title: impl Into<String>,
        row_header: impl Into<String>,
        columns: Vec<String>,
        rows: Vec<(String, Vec<i64>)>,
        total_column: bool,
        total_row: bool,
        previous: Option<Vec<i64>>,
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
        let previous_total = previous
            .as_ref()
            .filter(|_| total_row)
            .map(|p| Cell::Count(p.iter().sum()));
        Table {
            key,
            title: title.into(),
            row_header: row_header.into(),
            columns,
            rows,
            total_row: total,
            total_column,
            previous: previous.map(|p| p.into_iter().map(Cell::Count).collect()),
            previous_total,
            counts: true,
            chart: Chart::Bars,
            notes: Vec::new(),
        }
    }

    pub fn chart(mut self, chart: Chart) -> Table {
        self.chart = chart;
        self
    }

    /// Amounts (minutes, headcounts of staff trained) rather than counts of children: never hidden.
    pub fn amounts(mut self) -> Table {
        self.counts = false;
        self
    }

    pub fn note(mut self, text: impl Into<String>, bases: &[i64]) -> Table {
        self.notes.push(Note {
            text: text.into(),
            bases: bases.to_vec(),
        });
        self
    }

    /// The row's total: its 合計 column, or the sum of its cells.
    pub fn row_total(&self, row: usize) -> Cell {
        let cells = &self.rows[row].1;
        if self.total_column {
            cells.last().copied().unwrap_or(Cell::Count(0))
        } else {
            match cells.iter().map(|c| c.count()).sum::<Option<i64>>() {
                Some(n) => Cell::Count(n),
                None => Cell::Hidden,
            }
        }
    }

    /// The table as the committee may see it: small counts hidden, and enough other cells that
    /// no hidden one follows from a total.
    pub fn suppressed(mut self) -> Table {
        if !self.counts {
            return self;
        }
        let width = self.columns.len();
        let height = self.rows.len();
        // The grid: rows, then the total row; values known to the program, flags for hidden.
        let mut grid: Vec<Vec<i64>> = self
            .rows
            .iter()
            .map(|(_, r)| r.iter().map(|c| c.count().unwrap_or(0)).collect())
            .collect();
        if let Some(t) = &self.total_row {
            grid.push(t.iter().map(|c| c.count().unwrap_or(0)).collect());
        }
        let mut hidden: Vec<Vec<bool>> = grid
            .iter()
            .map(|r| r.iter().map(|v| (1..=SMALL).contains(v)).collect())
            .collect();
        // The lines whose cells add up to a total: each row (when its last column is the total)
        // and each column (when the last row is the total).
        let mut lines: Vec<Vec<(usize, usize)>> = Vec::new();
        if self.total_column {
            for r in 0..grid.len() {
                lines.push((0..width).map(|c| (r, c)).collect());
            }
        }
        if self.total_row.is_some() {
            for c in 0..width {
                lines.push((0..=height).map(|r| (r, c)).collect());
            }
        }
        // A line with exactly one hidden cell gives it away: hide its smallest other non-zero
        // cell (the total last of all). Repeat until no line gives one away.
        loop {
            let mut changed = false;
            for line in &lines {
                let count = line.iter().filter(|(r, c)| hidden[*r][*c]).count();
                if count != 1 {
                    continue;
                }
                let candidate = line
                    .iter()
                    .take(line.len() - 1)
                    .filter(|(r, c)| !hidden[*r][*c] && grid[*r][*c] > 0)
                    .min_by_key(|(r, c)| grid[*r][*c])
                    .or_else(|| line.last().filter(|(r, c)| grid[*r][*c] > 0));
                if let Some((r, c)) = candidate {
                    hidden[*r][*c] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (r, (_, cells)) in self.rows.iter_mut().enumerate() {
            for (c, cell) in cells.iter_mut().enumerate() {
                if hidden[r][c] {
                    *cell = Cell::Hidden;
                }
            }
        }
        if let Some(total) = self.total_row.as_mut() {
            for (c, cell) in total.iter_mut().enumerate() {
                if hidden[height][c] {
                    *cell = Cell::Hidden;
                }
            }
        }
        for note in &mut self.notes {
            if note.bases.iter().any(|b| !may_show_derived(*b)) {
                note.text = "（件数が少ないため表示しません）".into();
            }
        }
        // Last year's totals: small ones hidden, and their sum too when it would give one away.
        if let Some(prev) = self.previous.as_mut() {
            for cell in prev.iter_mut() {
                if cell.count().is_some_and(|n| (1..=SMALL).contains(&n)) {
                    *cell = Cell::Hidden;
                }
            }
            let hidden = prev.iter().filter(|c| **c == Cell::Hidden).count();
            if let Some(total) = self.previous_total.as_mut() {
                if hidden == 1 || total.count().is_some_and(|n| (1..=SMALL).contains(&n)) {
                    *total = Cell::Hidden;
                }
            }
        }
        self
    }
}

/// Whether a number shown beside a table (a median, a share) may be shown to the committee: its
/// base count is zero or above the small-count limit.
pub fn may_show_derived(base: i64) -> bool {
    !(1..=SMALL).contains(&base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn table(rows: Vec<Vec<i64>>, total_column: bool, total_row: bool) -> Table {
        let width = rows.first().map_or(0, Vec::len);
        Table::new(
            "t",
            "t",
            "行",
            (0..width).map(|i| format!("c{i}")).collect(),
            rows.into_iter()
                .enumerate()
                .map(|(i, r)| (format!("r{i}"), r))
                .collect(),
            total_column,
            total_row,
            None,
        )
    }

    fn grid(t: &Table) -> Vec<Vec<Cell>> {
        let mut g: Vec<Vec<Cell>> = t.rows.iter().map(|(_, r)| r.clone()).collect();
        if let Some(total) = &t.total_row {
            g.push(total.clone());
        }
        g
    }

    #[test]
    fn totals_are_added() {
        let t = table(vec![vec![10, 20], vec![5, 0]], true, true);
        assert_eq!(t.columns, ["c0", "c1", "合計"]);
        assert_eq!(
            t.rows[0].1,
            [Cell::Count(10), Cell::Count(20), Cell::Count(30)]
        );
        assert_eq!(
            t.total_row,
            Some(vec![Cell::Count(15), Cell::Count(20), Cell::Count(35)])
        );
    }

    #[test]
    fn small_counts_are_hidden_and_so_is_a_cell_that_would_give_them_away() {
        // Row 1 has 3 in c0: hidden. Its row total (3+40=43) and column total (10+3=13) would
        // give it away, so in row 1 and in column 0 another cell is hidden too.
        let t = table(vec![vec![10, 20], vec![3, 40]], true, true).suppressed();
        let g = grid(&t);
        assert_eq!(g[1][0], Cell::Hidden);
        assert!(g.iter().flatten().filter(|c| **c == Cell::Hidden).count() >= 4);
        // Zero stays zero.
        let z = table(vec![vec![0, 12], vec![6, 7]], true, true).suppressed();
        assert_eq!(z.rows[0].1[0], Cell::Count(0));
        assert_eq!(
            z.rows[1].1,
            [Cell::Count(6), Cell::Count(7), Cell::Count(13)]
        );
    }

    #[test]
    fn amounts_are_never_hidden() {
        let t = table(vec![vec![3, 2]], true, false).amounts().suppressed();
        assert_eq!(t.rows[0].1[0], Cell::Count(3));
    }

    proptest! {
        #[test]
        fn no_small_count_shows_and_no_hidden_cell_follows_from_a_total(
            rows in proptest::collection::vec(proptest::collection::vec(0i64..12, 1..6), 1..6),
            total_column: bool,
            total_row: bool,
        ) {
            let width = rows[0].len();
            let rows: Vec<Vec<i64>> = rows.into_iter().map(|mut r| { r.resize(width, 0); r }).collect();
            let t = table(rows, total_column, total_row).suppressed();
            let g = grid(&t);
            for cell in g.iter().flatten() {
                if let Cell::Count(n) = cell {
                    prop_assert!(!(1..=SMALL).contains(n), "{n} shown");
                }
            }
            // In every line that adds up, hidden cells come in twos or more, or not at all.
            if total_column {
                for row in &g {
                    let hidden = row.iter().filter(|c| **c == Cell::Hidden).count();
                    prop_assert!(hidden != 1, "a row with one hidden cell: {row:?}");
                }
            }
            if total_row {
                for c in 0..g[0].len() {
                    let hidden = g.iter().filter(|r| r[c] == Cell::Hidden).count();
                    prop_assert!(hidden != 1, "a column with one hidden cell");
                }
            }
        }
    }
}
