//! Hierarchical cell suppression (秘匿): the committee's figures for every area, region and the
//! prefecture are hidden together, so that no subtraction or combination of what any scope
//! shows pins a hidden cell to one number.
//!
//! A family of figures is a cube: places (areas, their regions, the prefecture) × rows × columns,
//! where the areas add up to their region and the regions to the prefecture, and rows and
//! columns may add up to a total (several row sets may share one total: consultations by channel
//! and by requester count the same consultations). Every count from 1 to 4 at any level is
//! hidden (primary). For each, a perturbation is found: a signed ±1 pattern over hidden cells
//! that keeps every sum, built as the product of one valid vector per axis (a pair of siblings
//! with opposite signs, or a cell with its totals above it) and that leaves every cell at or
//! above zero. Every cell of the pattern is hidden. The pattern is then a second table that
//! agrees with everything published and differs in each of its cells: nobody who knows only
//! the published figures, the sums and that counts are not negative can tell the two apart, so
//! no hidden cell is determined. This is the idea of τ-ARGUS's and sdcTable's hierarchical
//! suppression, with the search kept to these patterns so that a prefecture's year takes
//! milliseconds.

/// The largest count hidden as too small to show.
pub const SMALL: i64 = 4;

/// One axis of rows or columns: which position is the total, and the sets of positions that add
/// up to it. A position in no set stands alone (rows that overlap, such as needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Axis {
    pub len: usize,
    pub total: Option<usize>,
    pub parts: Vec<Vec<usize>>,
    /// Positions that complete a set but are never shown (「手帳なし」 beside 「療育手帳」):
    /// hidden from the start.
    pub unpublished: Vec<bool>,
}

impl Axis {
    /// `n` positions and their total at position `n`.
    pub fn summed(n: usize) -> Axis {
        Axis::partitioned(&[n])
    }

    /// Positions that do not add up to anything.
    pub fn loose(n: usize) -> Axis {
        Axis {
            len: n,
            total: None,
            parts: Vec::new(),
            unpublished: vec![false; n],
        }
    }

    /// Several sets, laid out one after the other, each adding up to the same total, which comes
    /// last.
    pub fn partitioned(sizes: &[usize]) -> Axis {
        let mut parts = Vec::new();
        let mut at = 0;
        for n in sizes {
            parts.push((at..at + n).collect());
            at += n;
        }
        Axis {
            len: at + 1,
            total: Some(at),
            parts,
            unpublished: vec![false; at + 1],
        }
    }

    /// Adds `n` positions that stand alone after the total (a row of planned moves beside the
    /// moves made).
    pub fn and_loose(mut self, n: usize) -> Axis {
        self.len += n;
        self.unpublished.resize(self.len, false);
        self
    }

    /// Marks positions as never shown.
    pub fn unpublish(mut self, positions: &[usize]) -> Axis {
        for p in positions {
            self.unpublished[*p] = true;
        }
        self
    }

    fn part_of(&self, x: usize) -> Option<usize> {
        self.parts.iter().position(|p| p.contains(&x))
    }

    /// Vectors through `x` that keep this axis's sums: `x` with a sibling of opposite sign, or
    /// `x` with the total and one position of every other set (`None` where the search chooses).
    fn vectors(&self, x: usize) -> Vec<Vector> {
        let mut out = Vec::new();
        if Some(x) == self.total {
            out.push(Vector {
                fixed: vec![(x, 1)],
                free: (0..self.parts.len()).collect(),
            });
        } else if let Some(k) = self.part_of(x) {
            for &y in &self.parts[k] {
                if y != x {
                    out.push(Vector {
                        fixed: vec![(x, 1), (y, -1)],
                        free: vec![],
                    });
                }
            }
            if let Some(t) = self.total {
                out.push(Vector {
                    fixed: vec![(x, 1), (t, 1)],
                    free: (0..self.parts.len()).filter(|p| *p != k).collect(),
                });
            }
        } else {
            out.push(Vector {
                fixed: vec![(x, 1)],
                free: vec![],
            });
        }
        out
    }

    /// Every choice for the free sets, spelled out (for the columns, which have few).
    fn expanded(&self, x: usize) -> Vec<Vec<(usize, i8)>> {
        let mut out = Vec::new();
        for v in self.vectors(x) {
            let mut partial = vec![v.fixed.clone()];
            for &k in &v.free {
                partial = partial
                    .into_iter()
                    .flat_map(|p| {
                        self.parts[k].iter().map(move |&y| {
                            let mut q = p.clone();
                            q.push((y, 1));
                            q
                        })
                    })
                    .collect();
            }
            out.extend(partial);
        }
        out
    }
}

/// Positions with signs; in each set of `free`, one position is still to be chosen (sign +1).
#[derive(Clone, Debug)]
struct Vector {
    fixed: Vec<(usize, i8)>,
    free: Vec<usize>,
}

/// The areas grouped by region. Places: areas `0..areas`, then one per region, then the
/// prefecture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    pub areas: usize,
    /// The areas of each region; every area is in exactly one.
    pub regions: Vec<Vec<usize>>,
}

impl Tree {
    pub fn places(&self) -> usize {
        self.areas + self.regions.len() + 1
    }

    pub fn region_place(&self, region: usize) -> usize {
        self.areas + region
    }

    pub fn top(&self) -> usize {
        self.areas + self.regions.len()
    }

    fn region_of(&self, area: usize) -> usize {
        self.regions
            .iter()
            .position(|r| r.contains(&area))
            .unwrap_or(0)
    }

    /// The areas a place covers.
    fn leaves(&self, place: usize) -> Vec<usize> {
        if place < self.areas {
            vec![place]
        } else if place < self.top() {
            self.regions[place - self.areas].clone()
        } else {
            (0..self.areas).collect()
        }
    }

    /// Vectors over places through `place` that keep the sums: two areas with opposite signs
    /// (with their regions when they differ), or an area with its region and the prefecture.
    /// `near` orders the other areas by preference; only the first `limit` are tried.
    fn vectors(&self, place: usize, near: &[usize], limit: usize) -> Vec<Vec<(usize, i8)>> {
        let root = |a: usize| {
            vec![
                (a, 1),
                (self.region_place(self.region_of(a)), 1),
                (self.top(), 1),
            ]
        };
        let pair = |a: usize, b: usize| {
            let (ga, gb) = (self.region_of(a), self.region_of(b));
            if ga == gb {
                vec![(a, 1), (b, -1)]
            } else {
                vec![
                    (a, 1),
                    (self.region_place(ga), 1),
                    (b, -1),
                    (self.region_place(gb), -1),
                ]
            }
        };
        let mut out = Vec::new();
        if place == self.top() {
            for a in near.iter().take(limit) {
                out.push(root(*a));
            }
            return out;
        }
        let mine = self.leaves(place);
        for &a in mine.iter().take(limit) {
            for &b in near
                .iter()
                .filter(|b| !mine.contains(b) || (place < self.areas && **b != a))
                .filter(|b| place < self.areas || self.region_of(**b) != self.region_of(a))
                .take(limit)
            {
                out.push(pair(a, b));
            }
            out.push(root(a));
        }
        out
    }
}

/// A family of figures over the areas' tree: values for every place, row and column, totals
/// included.
#[derive(Clone, Debug)]
pub struct Cube {
    pub tree: Tree,
    pub rows: Axis,
    pub cols: Axis,
    values: Vec<i64>,
    /// Cells (by row and column) known to be zero at every place, such as months not yet
    /// reached: never hidden or varied.
    known_zero: Vec<bool>,
}

impl Cube {
    /// A cube from the areas' counts at every position that is not a total (`count(area, row,
    /// column)`); totals and the regions' and prefecture's figures are added here. A row total
    /// is the sum of the first set of rows.
    pub fn new(
        tree: Tree,
        rows: Axis,
        cols: Axis,
        count: impl Fn(usize, usize, usize) -> i64,
    ) -> Cube {
        let (r_len, c_len) = (rows.len, cols.len);
        let mut values = vec![0; tree.places() * r_len * c_len];
        let at = |p: usize, r: usize, c: usize| (p * r_len + r) * c_len + c;
        for a in 0..tree.areas {
            for r in (0..r_len).filter(|r| Some(*r) != rows.total) {
                for c in (0..c_len).filter(|c| Some(*c) != cols.total) {
                    values[at(a, r, c)] = count(a, r, c);
                }
            }
            if let (Some(t), Some(first)) = (rows.total, rows.parts.first()) {
                for c in 0..c_len {
                    values[at(a, t, c)] = first.iter().map(|r| values[at(a, *r, c)]).sum();
                }
            }
            if let (Some(t), Some(first)) = (cols.total, cols.parts.first()) {
                for r in 0..r_len {
                    values[at(a, r, t)] = first.iter().map(|c| values[at(a, r, *c)]).sum();
                }
            }
        }
        for (g, areas) in tree.regions.iter().enumerate() {
            let place = tree.region_place(g);
            for r in 0..r_len {
                for c in 0..c_len {
                    values[at(place, r, c)] = areas.iter().map(|a| values[at(*a, r, c)]).sum();
                }
            }
        }
        let top = tree.top();
        for r in 0..r_len {
            for c in 0..c_len {
                values[at(top, r, c)] = (0..tree.areas).map(|a| values[at(a, r, c)]).sum();
            }
        }
        Cube {
            known_zero: vec![false; r_len * c_len],
            tree,
            rows,
            cols,
            values,
        }
    }

    /// Marks the cells (row, column) everyone knows to be zero: months still to come.
    pub fn with_known_zero(mut self, zero: impl Fn(usize, usize) -> bool) -> Cube {
        for r in 0..self.rows.len {
            for c in 0..self.cols.len {
                self.known_zero[r * self.cols.len + c] = zero(r, c);
            }
        }
        self
    }

    pub fn is_known_zero(&self, row: usize, col: usize) -> bool {
        self.known_zero[row * self.cols.len + col]
    }

    fn at(&self, place: usize, row: usize, col: usize) -> usize {
        (place * self.rows.len + row) * self.cols.len + col
    }

    pub fn value(&self, place: usize, row: usize, col: usize) -> i64 {
        self.values[self.at(place, row, col)]
    }

    /// Whether a cell is ever shown (its row and column are published).
    fn published(&self, row: usize, col: usize) -> bool {
        !self.rows.unpublished[row] && !self.cols.unpublished[col]
    }

    /// Which cells to hide: every published count from 1 to 4, and the cells that protect them.
    /// Indexed like [`Cube::hidden`] reads it.
    pub fn suppress(&self) -> Hidden {
        let n = self.values.len();
        let mut hidden = vec![false; n];
        let mut covered = vec![false; n];
        for p in 0..self.tree.places() {
            for r in 0..self.rows.len {
                for c in 0..self.cols.len {
                    if !self.published(r, c) {
                        hidden[self.at(p, r, c)] = true;
                    }
                }
            }
        }
        let mut primaries = Vec::new();
        for p in 0..self.tree.places() {
            for r in 0..self.rows.len {
                for c in 0..self.cols.len {
                    let v = self.value(p, r, c);
                    if self.published(r, c) && (1..=SMALL).contains(&v) {
                        primaries.push((p, r, c));
                        hidden[self.at(p, r, c)] = true;
                    }
                }
            }
        }
        for (p, r, c) in primaries {
            let i = self.at(p, r, c);
            if covered[i] {
                continue;
            }
            match self.best_pattern(&hidden, p, r, c) {
                Some(cells) => {
                    for cell in cells {
                        hidden[cell] = true;
                        covered[cell] = true;
                    }
                }
                // No pattern keeps the sums and stays at or above zero: every total above the
                // cell is hidden too (the pattern that raises the cell and all its totals
                // always exists, so this is a guard, not a path).
                None => {
                    for q in [p, self.tree.top()] {
                        for rr in [Some(r), self.rows.total].into_iter().flatten() {
                            for cc in [Some(c), self.cols.total].into_iter().flatten() {
                                hidden[self.at(q, rr, cc)] = true;
                            }
                        }
                    }
                }
            }
        }
        Hidden {
            rows: self.rows.len,
            cols: self.cols.len,
            hidden,
        }
    }

    /// The cheapest pattern through the cell: the fewest and least telling cells newly hidden.
    fn best_pattern(&self, hidden: &[bool], p: usize, r: usize, c: usize) -> Option<Vec<usize>> {
        // The other areas, those whose same cell is hidden or smallest first.
        let mut near: Vec<usize> = (0..self.tree.areas).collect();
        near.sort_by_key(|a| {
            let i = self.at(*a, r, c);
            (!hidden[i], self.values[i] == 0, self.values[i])
        });
        let places = self.tree.vectors(p, &near, 8);
        let rows = self.rows.vectors(r);
        let cols = self.cols.expanded(c);
        let mut best: Option<(f64, Vec<usize>)> = None;
        for pv in &places {
            for cv in &cols {
                for rv in &rows {
                    for orient in [1i8, -1] {
                        let bound = best.as_ref().map_or(f64::INFINITY, |b| b.0);
                        if let Some(found) = self.evaluate(hidden, pv, rv, cv, orient, bound) {
                            let zero = found.0 == 0.0;
                            best = Some(found);
                            if zero {
                                return best.map(|b| b.1);
                            }
                        }
                    }
                }
            }
        }
        best.map(|b| b.1)
    }

    /// What a cell costs to hide: nothing when already hidden; more at the region and the
    /// prefecture and on totals, which many read.
    fn cost(&self, hidden: &[bool], place: usize, row: usize, col: usize) -> f64 {
        let i = self.at(place, row, col);
        if hidden[i] {
            return 0.0;
        }
        let mut w = if place == self.tree.top() {
            40.0
        } else if place >= self.tree.areas {
            4.0
        } else {
            1.0
        };
        if Some(row) == self.rows.total {
            w *= 3.0;
        }
        if Some(col) == self.cols.total {
            w *= 3.0;
        }
        w + self.values[i] as f64 / 1000.0
    }

    /// The cells and cost of a pattern (`None` when it would make a count negative or change a
    /// known zero, or costs more than `bound`); the free row sets take their cheapest position.
    fn evaluate(
        &self,
        hidden: &[bool],
        places: &[(usize, i8)],
        rows: &Vector,
        cols: &[(usize, i8)],
        orient: i8,
        bound: f64,
    ) -> Option<(f64, Vec<usize>)> {
        let mut cost = 0.0;
        let mut cells = Vec::new();
        let add_row = |row: usize, rs: i8, cost: &mut f64, cells: &mut Vec<usize>| -> bool {
            for &(p, ps) in places {
                for &(c, cs) in cols {
                    if self.is_known_zero(row, c) {
                        return false;
                    }
                    let i = self.at(p, row, c);
                    if orient * ps * rs * cs < 0 && self.values[i] < 1 {
                        return false;
                    }
                    *cost += self.cost(hidden, p, row, c);
                    cells.push(i);
                }
            }
            true
        };
        for &(row, rs) in &rows.fixed {
            if !add_row(row, rs, &mut cost, &mut cells) || cost > bound {
                return None;
            }
        }
        for &k in &rows.free {
            let mut choice: Option<(f64, Vec<usize>)> = None;
            for &row in &self.rows.parts[k] {
                let (mut c2, mut cells2) = (0.0, Vec::new());
                if add_row(row, 1, &mut c2, &mut cells2)
                    && choice.as_ref().is_none_or(|(best, _)| c2 < *best)
                {
                    choice = Some((c2, cells2));
                }
            }
            let (c2, cells2) = choice?;
            cost += c2;
            cells.extend(cells2);
            if cost > bound {
                return None;
            }
        }
        (cost < bound).then_some((cost, cells))
    }
}

/// Which cells of a cube are hidden.
#[derive(Clone, Debug)]
pub struct Hidden {
    rows: usize,
    cols: usize,
    hidden: Vec<bool>,
}

impl Hidden {
    pub fn is_hidden(&self, place: usize, row: usize, col: usize) -> bool {
        self.hidden[(place * self.rows + row) * self.cols + col]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microlp::{ComparisonOp, OptimizationDirection, Problem};
    use proptest::prelude::*;

    /// The attacker: every hidden cell a variable ≥ 0, every sum of the cube an equation over
    /// the published and hidden cells; a cell is pinned when its least and greatest possible
    /// values leave one whole number.
    fn pinned(cube: &Cube, hidden: &Hidden) -> Vec<(usize, usize, usize)> {
        let (pl, rl, cl) = (cube.tree.places(), cube.rows.len, cube.cols.len);
        let cells: Vec<(usize, usize, usize)> = (0..pl)
            .flat_map(|p| (0..rl).flat_map(move |r| (0..cl).map(move |c| (p, r, c))))
            .collect();
        let mut equations: Vec<Vec<(usize, usize, usize, f64)>> = Vec::new();
        // Along the places.
        for r in 0..rl {
            for c in 0..cl {
                for (g, areas) in cube.tree.regions.iter().enumerate() {
                    let mut e: Vec<_> = areas.iter().map(|a| (*a, r, c, 1.0)).collect();
                    e.push((cube.tree.region_place(g), r, c, -1.0));
                    equations.push(e);
                }
                let mut e: Vec<_> = (0..cube.tree.regions.len())
                    .map(|g| (cube.tree.region_place(g), r, c, 1.0))
                    .collect();
                e.push((cube.tree.top(), r, c, -1.0));
                equations.push(e);
            }
        }
        for p in 0..pl {
            if let Some(t) = cube.rows.total {
                for part in &cube.rows.parts {
                    for c in 0..cl {
                        let mut e: Vec<_> = part.iter().map(|r| (p, *r, c, 1.0)).collect();
                        e.push((p, t, c, -1.0));
                        equations.push(e);
                    }
                }
            }
            if let Some(t) = cube.cols.total {
                for part in &cube.cols.parts {
                    for r in 0..rl {
                        let mut e: Vec<_> = part.iter().map(|c| (p, r, *c, 1.0)).collect();
                        e.push((p, r, t, -1.0));
                        equations.push(e);
                    }
                }
            }
        }
        let mut found = Vec::new();
        for &(p, r, c) in &cells {
            if !hidden.is_hidden(p, r, c) || !cube.published(r, c) {
                continue;
            }
            let mut range = [0.0f64; 2];
            for (k, dir) in [
                OptimizationDirection::Minimize,
                OptimizationDirection::Maximize,
            ]
            .into_iter()
            .enumerate()
            {
                let mut lp = Problem::new(dir);
                let vars: Vec<Option<microlp::Variable>> = cells
                    .iter()
                    .map(|&(q, s, d)| {
                        (hidden.is_hidden(q, s, d) && !cube.is_known_zero(s, d)).then(|| {
                            let obj = if (q, s, d) == (p, r, c) { 1.0 } else { 0.0 };
                            lp.add_var(obj, (0.0, 1e6))
                        })
                    })
                    .collect();
                let index = |q: usize, s: usize, d: usize| (q * rl + s) * cl + d;
                for e in &equations {
                    let mut lhs = Vec::new();
                    let mut rhs = 0.0;
                    for &(q, s, d, w) in e {
                        match vars[index(q, s, d)] {
                            Some(v) => lhs.push((v, w)),
                            None => rhs -= w * cube.value(q, s, d) as f64,
                        }
                    }
                    if !lhs.is_empty() {
                        lp.add_constraint(lhs, ComparisonOp::Eq, rhs);
                    }
                }
                match lp.solve().expect("the true table is a solution") {
                    microlp::SolveOutcome::Solution(s) => range[k] = s.objective(),
                    other => panic!("{other:?}"),
                }
            }
            if (range[0] - 1e-6).ceil() >= (range[1] + 1e-6).floor() {
                found.push((p, r, c));
            }
        }
        found
    }

    fn shown_small(cube: &Cube, hidden: &Hidden) -> bool {
        (0..cube.tree.places()).any(|p| {
            (0..cube.rows.len).any(|r| {
                (0..cube.cols.len).any(|c| {
                    cube.published(r, c)
                        && !hidden.is_hidden(p, r, c)
                        && (1..=SMALL).contains(&cube.value(p, r, c))
                })
            })
        })
    }

    #[test]
    fn one_areas_small_count_cannot_be_recovered_by_subtracting_the_others() {
        // Two regions: areas 0 and 1 in the first, area 2 alone in the second. Area 0 has 3
        // calls in April; the prefecture minus the other areas must not give it back.
        let tree = Tree {
            areas: 3,
            regions: vec![vec![0, 1], vec![2]],
        };
        let cube = Cube::new(tree, Axis::summed(2), Axis::summed(3), |a, r, c| {
            [
                [[3, 9, 12], [8, 7, 20]],
                [[10, 11, 9], [6, 14, 8]],
                [[7, 7, 7], [9, 5, 30]],
            ][a][r][c]
        });
        let hidden = cube.suppress();
        assert!(hidden.is_hidden(0, 0, 0));
        assert!(!shown_small(&cube, &hidden));
        assert_eq!(pinned(&cube, &hidden), vec![]);
        // The prefecture's grand total stays shown.
        assert!(!hidden.is_hidden(cube.tree.top(), 2, 3));
    }

    #[test]
    fn the_attacker_recovers_what_hiding_only_small_counts_leaves() {
        // The check itself must be able to fail: with only the small counts hidden, the sums
        // give them back.
        let tree = Tree {
            areas: 2,
            regions: vec![vec![0, 1]],
        };
        let cube = Cube::new(tree, Axis::summed(2), Axis::summed(2), |a, r, c| {
            [[[3, 9], [8, 7]], [[10, 11], [6, 14]]][a][r][c]
        });
        let mut hidden = cube.suppress();
        hidden.hidden = (0..hidden.hidden.len())
            .map(|i| (1..=SMALL).contains(&cube.values[i]))
            .collect();
        assert_eq!(pinned(&cube, &hidden), vec![(0, 0, 0)]);
    }

    #[test]
    fn rows_sharing_a_total_are_protected_together() {
        // Channels (2) and requesters (2) count the same consultations.
        let tree = Tree {
            areas: 2,
            regions: vec![vec![0], vec![1]],
        };
        let cube = Cube::new(
            tree,
            Axis::partitioned(&[2, 2]),
            Axis::summed(2),
            |a, r, c| {
                [
                    [[2, 10], [9, 8], [5, 12], [6, 6]],
                    [[7, 7], [8, 9], [6, 6], [9, 10]],
                ][a][r][c]
            },
        );
        let hidden = cube.suppress();
        assert!(!shown_small(&cube, &hidden));
        assert_eq!(pinned(&cube, &hidden), vec![]);
    }

    #[test]
    fn months_to_come_are_never_hidden_or_varied() {
        let tree = Tree {
            areas: 2,
            regions: vec![vec![0, 1]],
        };
        let cube = Cube::new(tree, Axis::summed(2), Axis::summed(3), |a, r, c| {
            if c == 2 {
                0
            } else {
                [[[1, 9], [8, 7]], [[10, 11], [6, 14]]][a][r][c]
            }
        })
        .with_known_zero(|_, c| c == 2);
        let hidden = cube.suppress();
        for p in 0..cube.tree.places() {
            for r in 0..3 {
                assert!(!hidden.is_hidden(p, r, 2));
            }
        }
        assert_eq!(pinned(&cube, &hidden), vec![]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn no_hidden_cell_is_pinned_by_any_combination_of_sums(
            areas in 1usize..5,
            split in 0usize..5,
            shape in 0usize..3,
            counts in proptest::collection::vec(0i64..9, 4 * 27),
        ) {
            let split = split.min(areas);
            let regions: Vec<Vec<usize>> = [ (0..split).collect::<Vec<_>>(), (split..areas).collect() ]
                .into_iter().filter(|r| !r.is_empty()).collect();
            let tree = Tree { areas, regions };
            let (rows, cols) = match shape {
                0 => (Axis::summed(3), Axis::summed(3)),
                1 => (Axis::partitioned(&[2, 3]), Axis::summed(2)),
                _ => (Axis::partitioned(&[3, 2]).unpublish(&[4]), Axis::loose(2)),
            };
            let (rl, cl) = (rows.len, cols.len);
            // With two sets of rows, both are sums of one table of records by (first, second),
            // as channels and requesters are of the same consultations.
            let sizes: Vec<usize> = rows.parts.iter().map(Vec::len).collect();
            let joint = |a: usize, i: usize, k: usize, c: usize| counts[((a * 3 + i) * 3 + k) * 3 + c] / 2;
            let cube = Cube::new(tree, rows, cols, |a, r, c| match sizes.as_slice() {
                [n0, n1] if r < *n0 => (0..*n1).map(|k| joint(a, r, k, c)).sum(),
                [n0, _] => (0..*n0).map(|i| joint(a, i, r - n0, c)).sum(),
                _ => counts[(a * rl + r) * cl + c],
            });
            let hidden = cube.suppress();
            prop_assert!(!shown_small(&cube, &hidden));
            prop_assert_eq!(pinned(&cube, &hidden), vec![]);
        }
    }
}
