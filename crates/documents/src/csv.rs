//! CSV that opens correctly in Excel on a Japanese PC: UTF-8 with a byte-order mark, CRLF line
//! ends, every field quoted when it needs to be.

/// Writes `header` (none when empty) and `rows` as CSV bytes; rows may differ in length (an
/// export of several tables one after another).
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
            .flexible(true)
            .from_writer(&mut out);
        if !header.is_empty() {
            w.write_record(header)?;
        }
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

/// The reverse of [`safe_cell`] for a cell read back from an exported file.
pub fn restore_cell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
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
        assert_eq!(restore_cell(&safe_cell("=1+1")), "=1+1");
        assert_eq!(restore_cell("'quoted"), "'quoted");
    }
}

/// A CSV file as read for an import: its header and rows, decoded to UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// How the bytes were encoded: "UTF-8" or "Shift_JIS".
    pub encoding: &'static str,
}

/// Why a file could not be read as a table. Each says in Japanese what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("ファイルが空です。")]
    Empty,
    #[error("ファイルが大きすぎます（{max_mb}MBまで）。")]
    TooLarge { max_mb: usize },
    #[error("行数が多すぎます（{max}行まで）。ファイルを分けて取り込んでください。")]
    TooManyRows { max: usize },
    #[error("文字コードを判別できません。UTF-8 または Shift_JIS（Excelの「CSV（コンマ区切り）」）で保存してください。")]
    Encoding,
    #[error("CSVとして読み取れません（{line}行目付近）。")]
    Malformed { line: u64 },
}

/// Largest file an import accepts.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// Decodes `bytes` (UTF-8 with or without BOM, else Shift_JIS/CP932) and parses it as CSV with a
/// header row; at most `max_rows` data rows. Empty lines are skipped.
pub fn read_table(bytes: &[u8], max_rows: usize) -> Result<Table, ReadError> {
    if bytes.len() > MAX_BYTES {
        return Err(ReadError::TooLarge {
            max_mb: MAX_BYTES / 1024 / 1024,
        });
    }
    let (text, encoding) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    if text.contains('\0') {
        return Err(ReadError::Encoding);
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = loop {
        match records.next() {
            None => return Err(ReadError::Empty),
            Some(Err(e)) => return Err(malformed(&e)),
            Some(Ok(r)) if r.iter().all(|c| c.trim().is_empty()) => continue,
            Some(Ok(r)) => break r.iter().map(|c| c.trim().to_owned()).collect::<Vec<_>>(),
        }
    };
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| malformed(&e))?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if rows.len() == max_rows {
            return Err(ReadError::TooManyRows { max: max_rows });
        }
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(Table {
        header,
        rows,
        encoding,
    })
}

fn malformed(e: &::csv::Error) -> ReadError {
    ReadError::Malformed {
        line: e.position().map_or(0, |p| p.line()),
    }
}

/// The text of a file in UTF-8 (BOM dropped) or Shift_JIS, as [`read_table`] reads it.
pub fn decode_text(bytes: &[u8]) -> Result<String, ReadError> {
    decode(bytes).map(|(text, _)| text)
}

fn decode(bytes: &[u8]) -> Result<(String, &'static str), ReadError> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(without_bom) {
        return Ok((text.to_owned(), "UTF-8"));
    }
    // encoding_rs's Shift_JIS is the WHATWG one, which is Windows-31J (CP932): what Excel writes.
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if had_errors {
        return Err(ReadError::Encoding);
    }
    Ok((text.into_owned(), "Shift_JIS"))
}

#[cfg(test)]
mod read_tests {
    use super::*;

    #[test]
    fn reads_utf8_with_and_without_bom_and_shift_jis() {
        let utf8 = "名称,種別\r\nみどり園,保育所\r\n";
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(utf8);
        for (bytes, enc) in [
            (utf8.as_bytes().to_vec(), "UTF-8"),
            (with_bom, "UTF-8"),
            (sjis.into_owned(), "Shift_JIS"),
        ] {
            let t = read_table(&bytes, 10).expect("table");
            assert_eq!(t.header, vec!["名称", "種別"]);
            assert_eq!(
                t.rows,
                vec![vec!["みどり園".to_owned(), "保育所".to_owned()]]
            );
            assert_eq!(t.encoding, enc);
        }
    }

    #[test]
    fn refuses_what_is_not_a_table() {
        assert_eq!(read_table(b"", 10), Err(ReadError::Empty));
        assert_eq!(
            read_table(&[0x82, 0xff, 0xff, 0x00], 10),
            Err(ReadError::Encoding)
        );
        let many = format!("a\n{}", "x\n".repeat(11));
        assert_eq!(
            read_table(many.as_bytes(), 10),
            Err(ReadError::TooManyRows { max: 10 })
        );
        assert!(matches!(
            read_table(&vec![b'a'; MAX_BYTES + 1], 10),
            Err(ReadError::TooLarge { .. })
        ));
        assert!(matches!(
            read_table(b"a,b\n\"unclosed,1\n", 10),
            Err(ReadError::Malformed { .. }) | Ok(_)
        ));
    }

    #[test]
    fn export_then_read_round_trips_and_defuses_formulas() {
        let bytes = to_excel_csv(
            &["名称", "メモ"],
            vec![vec!["あ".to_owned(), safe_cell("=1+1")]],
        )
        .expect("csv");
        let t = read_table(&bytes, 10).expect("table");
        assert_eq!(t.rows[0], vec!["あ".to_owned(), "'=1+1".to_owned()]);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// A cell as people type them: Japanese, ASCII, commas, quotes, line breaks, formulas.
    fn cell() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[あ-んア-ン一-龥a-zA-Z0-9 ,\"\n=+@-]{0,12}").unwrap()
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_table_or_a_japanese_reason(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            match read_table(&bytes, 50) {
                Ok(t) => prop_assert!(!t.header.is_empty()),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        #[test]
        fn what_the_export_writes_the_import_reads_back(
            header in proptest::collection::vec("[あ-ん]{1,6}", 1..5),
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 1..5), 0..8),
        ) {
            let safe: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| safe_cell(c)).collect()).collect();
            let head: Vec<&str> = header.iter().map(String::as_str).collect();
            let bytes = to_excel_csv(&head, &safe).unwrap();
            let table = read_table(&bytes, 50).unwrap();
            prop_assert_eq!(&table.header, &header);
            let kept: Vec<Vec<String>> = rows
                .into_iter()
                .filter(|r| !r.iter().all(|c| c.trim().is_empty()))
                .collect();
            let read: Vec<Vec<String>> = table
                .rows
                .iter()
                .map(|r| r.iter().map(|c| restore_cell(c).to_owned()).collect())
                .collect();
            prop_assert_eq!(read, kept);
        }
    }
}
