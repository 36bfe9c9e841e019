//! CSV that opens correctly in Excel on a Japanese PC: UTF-8 with a byte-order mark, CRLF line
//! ends, every field quoted when it needs to be.

/// Writes `header` and `rows` as CSV bytes.
pub fn to_excel_csv<I, R>(header: &[&str], rows: I) -> Result<Vec<u8>, ::csv::Error>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut out = Vec::with_capacity(4096);
    // The BOM tells Excel the file is UTF-8; without it Japanese text is garbled.
    out.extend_from_slice(b"\xEF\xBB\xBF");
    {
        let mut w = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(&mut out);
        w.write_record(header)?;
        for row in rows {
            w.write_record(row)?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// A field that Excel would take for a formula (`=`, `+`, `-`, `@`) gets a leading apostrophe,
/// so a crafted value cannot run when the file is opened (CSV injection).
pub fn safe_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_bom_and_quotes_what_needs_it() {
        let bytes = to_excel_csv(
            &["氏名", "メモ"],
            vec![vec!["山田", "a,b"], vec!["鈴木", "改行\nあり"]],
        )
        .expect("csv");
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).expect("utf8");
        assert_eq!(text, "氏名,メモ\r\n山田,\"a,b\"\r\n鈴木,\"改行\nあり\"\r\n");
    }

    #[test]
    fn formulas_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("山田"), "山田");
    }
}
