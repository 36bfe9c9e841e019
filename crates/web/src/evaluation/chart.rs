//! Charts of the evaluation's tables, drawn on the server as SVG (no script, prints as it shows):
//! a bar per row (one column of the table, never a sum of different states), or a line per row
//! over the months. A hidden count is a gap marked 「＊」 and every row keeps its place in the
//! legend; months not yet reached are not drawn.

use tsunagu_domain::evaluation::{Cell, Chart, Table};

const WIDTH: f64 = 640.0;
const PALETTE: [&str; 6] = [
    "#0b5cad", "#d1495b", "#2a9d8f", "#e9a23b", "#6a4c93", "#6c757d",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart of a table as an SVG element, with a title for screen readers.
pub fn svg(t: &Table) -> String {
    match t.chart {
        Chart::Bars => bars(t),
        Chart::Lines => lines(t),
    }
}

fn bars(t: &Table) -> String {
    let values: Vec<(String, Cell)> = (0..t.rows.len())
        .map(|i| (t.rows[i].0.clone(), t.bar(i)))
        .collect();
    let max = values
        .iter()
        .filter_map(|(_, c)| c.count())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let row_h = 24.0;
    let label_w = 200.0;
    let height = row_h * values.len() as f64 + 10.0;
    let mut out = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" aria-labelledby=\"chart-{key}\"><title id=\"chart-{key}\">{title}（グラフ）</title>",
        key = t.key,
        title = escape(&t.title)
    );
    for (i, (label, cell)) in values.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        out.push_str(&format!(
            "<text x=\"{x}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{label}</text>",
            x = label_w - 8.0,
            ty = y + 15.0,
            label = escape(label)
        ));
        let bar_room = WIDTH - label_w - 60.0;
        match *cell {
            Cell::Count(n) => {
                let w = (n as f64 / max) * bar_room;
                out.push_str(&format!(
                    "<rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\" fill=\"{color}\"/><text x=\"{tx:.1}\" y=\"{ty}\" class=\"chart-value\">{n}</text>",
                    h = row_h - 8.0,
                    color = PALETTE[0],
                    tx = label_w + w + 4.0,
                    ty = y + 13.0
                ));
            }
            Cell::Hidden | Cell::NotYet => out.push_str(&format!(
                "<text x=\"{x}\" y=\"{ty}\" class=\"chart-value\">{mark}</text>",
                x = label_w + 4.0,
                ty = y + 13.0,
                mark = cell.text()
            )),
        }
    }
    out.push_str("</svg>");
    out
}

fn lines(t: &Table) -> String {
    let months = 12usize;
    let height = 220.0;
    let (left, right, top, bottom) = (48.0, 16.0, 12.0, 28.0);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let max = t
        .rows
        .iter()
        .flat_map(|(_, cells)| cells.iter().take(months).filter_map(|c| c.count()))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let x = |i: usize| left + plot_w * i as f64 / (months - 1) as f64;
    let y = |v: i64| top + plot_h - plot_h * v as f64 / max;
    let mut out = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {WIDTH} {total}\" width=\"100%\" aria-labelledby=\"chart-{key}\"><title id=\"chart-{key}\">{title}（グラフ）</title>",
        total = height + 18.0 * t.rows.len().div_ceil(3) as f64,
        key = t.key,
        title = escape(&t.title)
    );
    out.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"chart-axis\"/><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-value\">{max}</text><text x=\"{lx}\" y=\"{b}\" text-anchor=\"end\" class=\"chart-value\">0</text>",
        b = top + plot_h,
        r = WIDTH - right,
        lx = left - 6.0,
        ty = top + 8.0,
        max = max as i64
    ));
    for (i, name) in t.columns.iter().take(months).enumerate() {
        out.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{y}\" text-anchor=\"middle\" class=\"chart-label\">{name}</text>",
            x = x(i),
            y = height - 8.0,
            name = escape(name)
        ));
    }
    let mut hidden_months = [false; 12];
    for (r, (label, cells)) in t.rows.iter().enumerate() {
        let color = PALETTE[r % PALETTE.len()];
        // A hidden month breaks the line rather than pretending a value, and is marked 「＊」
        // on the axis; each month shown is a dot, so a month alone between gaps still shows.
        let mut path = String::new();
        let mut dots = String::new();
        let mut pen_down = false;
        for (i, cell) in cells.iter().take(months).enumerate() {
            match cell {
                Cell::Count(v) => {
                    path.push_str(&format!(
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x(i),
                        y(*v)
                    ));
                    dots.push_str(&format!(
                        "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{color}\"/>",
                        x(i),
                        y(*v)
                    ));
                    pen_down = true;
                }
                Cell::Hidden => {
                    hidden_months[i] = true;
                    pen_down = false;
                }
                Cell::NotYet => pen_down = false,
            }
        }
        if !path.is_empty() {
            out.push_str(&format!(
                "<path d=\"{path}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>{dots}"
            ));
        }
        let (lx, ly) = (
            left + (r % 3) as f64 * 190.0,
            height + 12.0 + (r / 3) as f64 * 18.0,
        );
        out.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{ry}\" width=\"14\" height=\"4\" fill=\"{color}\"/><text x=\"{tx}\" y=\"{ly}\" class=\"chart-label\">{label}</text>",
            ry = ly - 6.0,
            tx = lx + 18.0,
            label = escape(label)
        ));
    }
    for (i, hidden) in hidden_months.iter().enumerate() {
        if *hidden {
            out.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{y}\" text-anchor=\"middle\" class=\"chart-value\">＊</text>",
                x = x(i),
                y = top + plot_h - 4.0
            ));
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hidden_count_draws_no_bar_and_labels_are_escaped() {
        let mut t = Table::amounts(
            "k",
            "相談<件数>",
            "定義",
            "行",
            vec!["4月".into()],
            vec![("電話".into(), vec![12]), ("A&B".into(), vec![3])],
            true,
            true,
        );
        t.rows[1].1 = vec![Cell::Hidden, Cell::Hidden];
        let s = svg(&t);
        assert!(s.contains("相談&lt;件数&gt;"));
        assert!(s.contains("A&amp;B"));
        assert!(s.contains("＊"));
        assert_eq!(s.matches("<rect").count(), 1, "one bar, for 電話: {s}");
    }

    #[test]
    fn a_line_keeps_its_legend_and_months_to_come_are_not_drawn() {
        let mut t = Table::amounts(
            "k",
            "相談",
            "定義",
            "行",
            (4..16).map(|m| format!("{}月", (m - 1) % 12 + 1)).collect(),
            vec![("電話".into(), vec![9; 12]), ("同行".into(), vec![0; 12])],
            true,
            false,
        )
        .chart(Chart::Lines)
        .blank_after(Some(2));
        t.rows[1].1[1] = Cell::Hidden;
        let s = svg(&t);
        assert!(
            s.contains(">同行</text>"),
            "the hidden series stays in the legend"
        );
        // April to June are drawn for 電話 (3 dots), April and June for 同行 (2 dots).
        assert_eq!(s.matches("<circle").count(), 5, "{s}");
        assert!(s.contains(">＊</text>"));
    }
}
