//! The subtraction attack on the committee's figures, through HTTP on both backends: everything
//! the committee can download for a fiscal year (every area, every region and the prefecture; as
//! JSON, CSV and xlsx) is read as a system of equations and inequalities — each table's row and
//! column totals, the areas adding up to their region and to the prefecture, consultations by
//! channel and by requester counting the same consultations, the parts of the transitions and of
//! the children's columns, needs never above all children, and no count below zero. Each hidden
//! cell's least and greatest possible values are found by linear programming; none may be
//! pinned to a single number.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{collections::BTreeMap, io::Cursor};

use calamine::{Data, Reader, Xlsx};
use common::{Api, Backend, TestApp};
use microlp::{ComparisonOp, OptimizationDirection, Problem};
use reqwest::StatusCode;
use serde_json::Value;
use tsunagu_store::db::query;

both_backends!(no_hidden_cell_can_be_pinned_from_any_scope_or_export);

/// A published cell: a number, or hidden (「＊」). Months not yet reached are known zeros.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shown {
    Known(i64),
    Hidden,
}

/// A table as the attacker reads it: data rows then the 合計 row; each row its columns, then
/// 前年度 when there is one.
#[derive(Clone, Debug, PartialEq)]
struct Grid {
    title: String,
    labels: Vec<String>,
    cells: Vec<Vec<Shown>>,
    /// The rows include a 合計 row (the last).
    total_row: bool,
    /// The last column before 前年度 is the row's total.
    total_column: bool,
    /// A 前年度 column follows.
    previous: bool,
    columns: usize,
}

fn shown(v: &Value) -> Shown {
    match v {
        Value::Number(n) => Shown::Known(n.as_i64().unwrap()),
        Value::Null => Shown::Known(0),
        Value::String(s) if s == "＊" => Shown::Hidden,
        other => panic!("unexpected cell {other}"),
    }
}

fn grids_from_json(answer: &Value) -> BTreeMap<String, Grid> {
    let mut out = BTreeMap::new();
    for t in answer["tables"].as_array().unwrap() {
        if t["counts"] != true {
            continue;
        }
        let previous = t["previous"].as_array();
        let mut labels = Vec::new();
        let mut cells = Vec::new();
        for (i, r) in t["rows"].as_array().unwrap().iter().enumerate() {
            labels.push(r[0].as_str().unwrap().to_string());
            let mut row: Vec<Shown> = r[1].as_array().unwrap().iter().map(shown).collect();
            if let Some(p) = previous {
                row.push(shown(&p[i]));
            }
            cells.push(row);
        }
        let total_row = t["total_row"].is_array();
        if let Some(total) = t["total_row"].as_array() {
            labels.push("合計".into());
            let mut row: Vec<Shown> = total.iter().map(shown).collect();
            if previous.is_some() {
                row.push(shown(&t["previous_total"]));
            }
            cells.push(row);
        }
        out.insert(
            t["key"].as_str().unwrap().to_string(),
            Grid {
                title: t["title"].as_str().unwrap().to_string(),
                labels,
                cells,
                total_row,
                total_column: t["total_column"] == true,
                previous: previous.is_some(),
                columns: t["columns"].as_array().unwrap().len(),
            },
        );
    }
    out
}

fn shown_text(s: &str) -> Shown {
    match s {
        "＊" => Shown::Hidden,
        "" => Shown::Known(0),
        n => Shown::Known(n.parse().unwrap_or_else(|_| panic!("cell {n}"))),
    }
}

/// The same tables read back from the CSV, in the JSON's order and shape.
fn grids_from_csv(
    bytes: &[u8],
    like: &BTreeMap<String, Grid>,
    order: &[String],
) -> BTreeMap<String, Grid> {
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let lines: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let mut out = BTreeMap::new();
    for key in order {
        let Some(g) = like.get(key) else { continue };
        // The table's title line, then its header line, then its rows.
        let at = 2 + lines
            .iter()
            .position(|l| l[0].starts_with(&format!("{}　", g.title)))
            .unwrap_or_else(|| panic!("{key} in the CSV"));
        let cells = (0..g.labels.len())
            .map(|i| {
                let line = &lines[at + i];
                assert_eq!(line[0], g.labels[i], "{key}");
                line[1..].iter().map(|c| shown_text(c)).collect()
            })
            .collect();
        out.insert(key.clone(), Grid { cells, ..g.clone() });
    }
    out
}

fn grids_from_xlsx(
    bytes: Vec<u8>,
    like: &BTreeMap<String, Grid>,
    order: &[String],
) -> BTreeMap<String, Grid> {
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let mut out = BTreeMap::new();
    for (name, key) in names.iter().zip(order) {
        let Some(g) = like.get(key) else { continue };
        let range = book.worksheet_range(name).unwrap();
        let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        let cells = (0..g.labels.len())
            .map(|i| {
                let at = 3 + i as u32;
                assert_eq!(cell(at, 0), Data::String(g.labels[i].clone()), "{key}");
                (0..g.cells[i].len())
                    .map(|j| match cell(at, 1 + j as u32) {
                        Data::Float(f) => Shown::Known(f as i64),
                        Data::Int(n) => Shown::Known(n),
                        Data::String(s) => shown_text(&s),
                        Data::Empty => Shown::Known(0),
                        other => panic!("{other:?}"),
                    })
                    .collect()
            })
            .collect();
        out.insert(key.clone(), Grid { cells, ..g.clone() });
    }
    out
}

/// Everything published: scope → table → grid.
type Book = BTreeMap<String, BTreeMap<String, Grid>>;

/// A term of an equation: a published cell by (scope, table, row, column), with a weight.
type Term = (String, String, usize, usize, f64);

/// The relations everyone knows between the published cells.
fn relations(book: &Book, regions: &[(String, Vec<String>)]) -> (Vec<Vec<Term>>, Vec<Vec<Term>>) {
    let mut eq: Vec<Vec<Term>> = Vec::new();
    let mut le: Vec<Vec<Term>> = Vec::new();
    let t = |s: &str, k: &str, r: usize, c: usize, w: f64| (s.to_string(), k.to_string(), r, c, w);
    let row_of = |g: &Grid, label: &str| g.labels.iter().position(|l| l == label);
    for (scope, tables) in book {
        for (key, g) in tables {
            let width = g.cells[0].len();
            if g.total_column {
                let last = g.columns - 1;
                for r in 0..g.cells.len() {
                    let mut e: Vec<Term> = (0..last).map(|c| t(scope, key, r, c, 1.0)).collect();
                    e.push(t(scope, key, r, last, -1.0));
                    eq.push(e);
                }
            }
            if g.total_row {
                let last = g.cells.len() - 1;
                for c in 0..width {
                    let mut e: Vec<Term> = (0..last).map(|r| t(scope, key, r, c, 1.0)).collect();
                    e.push(t(scope, key, last, c, -1.0));
                    eq.push(e);
                }
            }
            if key.starts_with("children_by_") {
                // 前年度から継続 + 新規登録 = 合計 = 終結 + 年度末に支援中.
                for r in 0..g.cells.len() {
                    eq.push(vec![
                        t(scope, key, r, 0, 1.0),
                        t(scope, key, r, 1, 1.0),
                        t(scope, key, r, 4, -1.0),
                    ]);
                    eq.push(vec![
                        t(scope, key, r, 2, 1.0),
                        t(scope, key, r, 3, 1.0),
                        t(scope, key, r, 4, -1.0),
                    ]);
                }
            }
            if key == "transitions" {
                let moved = row_of(g, "移行した子ども").unwrap();
                for pair in [
                    ["うち移行前に引継ぎシートの受領あり", "うち受領なし"],
                    ["うち移行後のフィードバックあり", "うちフィードバックなし"],
                ] {
                    let (a, b) = (row_of(g, pair[0]).unwrap(), row_of(g, pair[1]).unwrap());
                    for c in 0..width {
                        eq.push(vec![
                            t(scope, key, a, c, 1.0),
                            t(scope, key, b, c, 1.0),
                            t(scope, key, moved, c, -1.0),
                        ]);
                    }
                }
            }
        }
        // Channels and requesters count the same consultations.
        if let (Some(a), Some(b)) = (
            tables.get("consultations_by_channel"),
            tables.get("consultations_by_requester"),
        ) {
            for c in 0..a.cells[0].len() {
                eq.push(vec![
                    t(scope, "consultations_by_channel", a.cells.len() - 1, c, 1.0),
                    t(
                        scope,
                        "consultations_by_requester",
                        b.cells.len() - 1,
                        c,
                        -1.0,
                    ),
                ]);
            }
        }
        // No need counts more children than there are.
        if let (Some(phase), Some(need)) = (
            tables.get("children_by_phase"),
            tables.get("children_by_need"),
        ) {
            for r in 0..need.cells.len() {
                for c in 0..need.cells[r].len() {
                    le.push(vec![
                        t(scope, "children_by_need", r, c, 1.0),
                        t(scope, "children_by_phase", phase.cells.len() - 1, c, -1.0),
                    ]);
                }
            }
        }
    }
    // The areas add up to their region and to the prefecture.
    let top = &book["prefecture"];
    let areas: Vec<&String> = regions.iter().flat_map(|(_, a)| a).collect();
    for (key, g) in top {
        for r in 0..g.cells.len() {
            for c in 0..g.cells[r].len() {
                let mut e: Vec<Term> = areas.iter().map(|a| t(a, key, r, c, 1.0)).collect();
                e.push(t("prefecture", key, r, c, -1.0));
                eq.push(e);
                for (region, members) in regions {
                    let mut e: Vec<Term> = members.iter().map(|a| t(a, key, r, c, 1.0)).collect();
                    e.push(t(region, key, r, c, -1.0));
                    eq.push(e);
                }
            }
        }
    }
    (eq, le)
}

/// The hidden cells whose least and greatest possible values leave one whole number.
fn pinned(book: &Book, regions: &[(String, Vec<String>)]) -> Vec<String> {
    let (eq, le) = relations(book, regions);
    let value = |s: &str, k: &str, r: usize, c: usize| book[s][k].cells[r][c];
    let mut hidden: Vec<(String, String, usize, usize)> = Vec::new();
    for (s, tables) in book {
        for (k, g) in tables {
            for (r, row) in g.cells.iter().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    if *cell == Shown::Hidden {
                        hidden.push((s.clone(), k.clone(), r, c));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    for target in &hidden {
        let mut range = [0.0; 2];
        for (i, dir) in [
            OptimizationDirection::Minimize,
            OptimizationDirection::Maximize,
        ]
        .into_iter()
        .enumerate()
        {
            let mut lp = Problem::new(dir);
            let vars: BTreeMap<&(String, String, usize, usize), microlp::Variable> = hidden
                .iter()
                .map(|h| {
                    (
                        h,
                        lp.add_var(if h == target { 1.0 } else { 0.0 }, (0.0, 1e6)),
                    )
                })
                .collect();
            for (terms, op) in eq
                .iter()
                .map(|e| (e, ComparisonOp::Eq))
                .chain(le.iter().map(|e| (e, ComparisonOp::Le)))
            {
                let mut lhs = Vec::new();
                let mut rhs = 0.0;
                for (s, k, r, c, w) in terms {
                    match value(s, k, *r, *c) {
                        Shown::Known(n) => rhs -= w * n as f64,
                        Shown::Hidden => lhs.push((vars[&(s.clone(), k.clone(), *r, *c)], *w)),
                    }
                }
                if lhs.is_empty() {
                    assert!(
                        match op {
                            ComparisonOp::Eq => rhs.abs() < 1e-9,
                            _ => rhs >= -1e-9,
                        },
                        "the published figures contradict a known relation: {terms:?}"
                    );
                } else {
                    lp.add_constraint(lhs, op, rhs);
                }
            }
            match lp.solve().expect("the true figures are a solution") {
                microlp::SolveOutcome::Solution(s) => range[i] = s.objective(),
                other => panic!("{other:?}"),
            }
        }
        if (range[0] - 1e-6).ceil() >= (range[1] + 1e-6).floor() {
            found.push(format!("{target:?} = {}", range[0]));
        }
    }
    found
}

async fn no_hidden_cell_can_be_pinned_from_any_scope_or_export(b: Backend) {
    let app = TestApp::demo(b).await;
    let committee = Api::new(&app, "demo-committee").await;
    let fy = tsunagu_domain::school_year::fiscal_year(tsunagu_domain::japanese_date::today(
        time::OffsetDateTime::now_utc(),
    ));
    // Every area with its region: the region of most of its municipalities, the first on a tie
    // (香取海匝 spans two regions; it is counted whole in one).
    let counts: Vec<(i64, i64, i64)> = query(
        "SELECT am.area_id, m.region_id, COUNT(*) FROM area_municipalities am JOIN municipalities m ON m.id = am.municipality_id \
         GROUP BY am.area_id, m.region_id ORDER BY 1, 3 DESC, 2",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut areas: Vec<(i64, i64)> = Vec::new();
    for (area, region, _) in counts {
        if !areas.iter().any(|(a, _)| *a == area) {
            areas.push((area, region));
        }
    }
    let mut regions: Vec<(String, Vec<String>)> = Vec::new();
    for (area, region) in &areas {
        let name = format!("region={region}");
        match regions.iter_mut().find(|(r, _)| *r == name) {
            Some((_, members)) => members.push(format!("area={area}")),
            None => regions.push((name, vec![format!("area={area}")])),
        }
    }
    let mut scopes = vec![("prefecture".to_string(), String::new())];
    scopes.extend(
        areas
            .iter()
            .map(|(a, _)| (format!("area={a}"), format!("&area={a}"))),
    );
    scopes.extend(regions.iter().map(|(r, _)| (r.clone(), format!("&{r}"))));

    let mut books: [Book; 3] = Default::default();
    let web = app.login_as("demo-committee").await;
    let mut hidden_somewhere = false;
    for (scope, q) in &scopes {
        let path = format!("/api/v1/evaluation?fiscal_year={fy}{q}");
        let (status, answer) = committee.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        assert_eq!(answer["suppressed"], true);
        let text = answer.to_string();
        assert!(
            !text.contains('≤') && !text.contains('≦'),
            "one mark, 「＊」, for every hidden cell"
        );
        hidden_somewhere |= text.contains("＊");
        let json = grids_from_json(&answer);
        let order: Vec<String> = answer["tables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["key"].as_str().unwrap().to_string())
            .collect();
        // Every counted table says what 「＊」 means.
        for t in answer["tables"].as_array().unwrap() {
            if t["counts"] == true {
                assert!(t["notes"].to_string().contains("「＊」"), "{}", t["key"]);
            }
        }
        let res = web
            .get(&format!("/evaluation/export.csv?fiscal_year={fy}{q}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let csv_bytes = res.bytes().await.unwrap();
        assert!(String::from_utf8_lossy(&csv_bytes).contains("「＊」は、"));
        let csv = grids_from_csv(&csv_bytes, &json, &order);
        let res = committee
            .http
            .get(format!("{}{path}", committee.base))
            .bearer_auth(&committee.token)
            .header(
                "Accept",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let xlsx = grids_from_xlsx(res.bytes().await.unwrap().to_vec(), &json, &order);
        assert_eq!(csv, json, "{scope}: the CSV shows what the screen shows");
        assert_eq!(xlsx, json, "{scope}: the xlsx shows what the screen shows");
        for (book, grids) in books.iter_mut().zip([json, csv, xlsx]) {
            book.insert(scope.clone(), grids);
        }
    }
    assert!(
        hidden_somewhere,
        "the demo has small counts, so something is hidden"
    );
    for (source, book) in ["JSON", "CSV", "xlsx"].iter().zip(&books) {
        let found = pinned(book, &regions);
        assert!(found.is_empty(), "{source}: pinned {found:?}");
    }

    // The attacker has teeth: a shown cell whose row gives it away is pinned when treated as
    // hidden.
    let mut book = books[0].clone();
    let (scope, key, r) = book
        .iter()
        .flat_map(|(s, ts)| ts.iter().map(move |(k, g)| (s, k, g)))
        .find_map(|(s, k, g)| {
            g.total_column
                .then(|| {
                    g.cells
                        .iter()
                        .position(|row| row.iter().all(|c| matches!(c, Shown::Known(_))))
                })
                .flatten()
                .map(|r| (s.clone(), k.clone(), r))
        })
        .expect("a row shown whole");
    book.get_mut(&scope).unwrap().get_mut(&key).unwrap().cells[r][0] = Shown::Hidden;
    assert_eq!(pinned(&book, &regions).len(), 1);
}
