use super::*;

fn sample() -> Document {
    Document {
        title: "引継ぎシート".into(),
        meta: vec!["作成日 2026年11月25日".into()],
        sections: vec![
            Section::new("配慮事項（うまくいっている支援）")
                .fields([(
                    "見通し",
                    "絵カードで一日の流れを示すと落ち着いて過ごせます。\n2行目",
                )])
                .table(
                    &[("項目", 1), ("担当", 1), ("期限", 1)],
                    vec![vec![
                        "就学相談".into(),
                        "保護者".into(),
                        "2026年8月31日".into(),
                    ]],
                )
                .text("#set page(paper: \"a5\") ]\" 記号も文字のまま"),
            Section::new("保護者確認").signature("保護者氏名"),
        ],
        footer: "取扱注意".into(),
        landscape: false,
    }
}

#[test]
fn a_document_renders_to_a_pdf_with_the_font_embedded() {
    let pdf = render(&sample()).expect("typesets");
    assert!(pdf.starts_with(b"%PDF-"));
    // The Japanese font ships with the binary and is embedded (subset) in the file.
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("IPAexGothic"), "font embedded");
}
