//! Excel workbooks (xlsx) for exported figures: one sheet per table, Japanese headers, column
//! widths wide enough for Japanese text (a full-width character takes two columns' width).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// A cell of a sheet: a number Excel can add up, or text (「≤4」, a label).
#[derive(Clone, Debug, PartialEq)]
pub enum XCell {
    Number(f64),
    Text(String),
}

/// One sheet: its tab name, a title line, the header row, and the rows.
#[derive(Clone, Debug)]
pub struct Sheet {
    pub name: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<XCell>>,
    /// Lines under the table.
    pub notes: Vec<String>,
}

/// The display width of text in Excel's character units: full-width characters count double.
pub fn display_width(text: &str) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum()
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect()
}

pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let header = Format::new()
        .set_bold()
        .set_background_color(0xE8E8E8)
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let cell = Format::new().set_border(rust_xlsxwriter::FormatBorder::Thin);
    for s in sheets {
        let ws = book.add_worksheet();
        ws.set_name(sheet_name(&s.name))?;
        ws.write_string_with_format(0, 0, &s.title, &bold)?;
        let mut widths: Vec<f64> = s.headers.iter().map(|h| display_width(h)).collect();
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_string_with_format(2, c as u16, h, &header)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let at = 3 + r as u32;
            for (c, value) in row.iter().enumerate() {
                let w = match value {
                    XCell::Number(n) => {
                        ws.write_number_with_format(at, c as u16, *n, &cell)?;
                        display_width(&n.to_string())
                    }
                    XCell::Text(t) => {
                        ws.write_string_with_format(at, c as u16, t, &cell)?;
                        display_width(t)
                    }
                };
                if widths.len() <= c {
                    widths.resize(c + 1, 0.0);
                }
                widths[c] = widths[c].max(w);
            }
        }
        for (i, note) in s.notes.iter().enumerate() {
            ws.write_string(4 + s.rows.len() as u32 + i as u32, 0, note)?;
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (w + 2.0).clamp(6.0, 60.0))?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_text_counts_double() {
        assert_eq!(display_width("相談件数"), 8.0);
        assert_eq!(display_width("4月"), 3.0);
        assert_eq!(
            sheet_name("相談件数（受付方法別）[1]"),
            "相談件数（受付方法別）1"
        );
    }

    #[test]
    fn a_workbook_is_a_zip_file() {
        let bytes = workbook(&[Sheet {
            name: "相談".into(),
            title: "相談件数".into(),
            headers: vec!["受付方法".into(), "4月".into()],
            rows: vec![vec![XCell::Text("電話".into()), XCell::Number(12.0)]],
            notes: vec![],
        }])
        .expect("writes");
        assert!(bytes.starts_with(b"PK"));
    }
}
