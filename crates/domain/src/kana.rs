//! Name normalisation for search and duplicate detection: a name typed in hiragana, katakana,
//! half-width katakana, with spaces, with a variant kanji (髙橋, 山﨑) or another wave dash finds
//! the same person or agency. Only the search key folds; the stored name keeps its characters.

use unicode_normalization::UnicodeNormalization;

/// The variant characters (異体字) common in Japanese names and the form the search key uses,
/// and the dashes and wave dashes that stand for a long vowel or a range. docs/japanese.md
/// lists them; migration 0033 rebuilt existing keys with this same table (a test holds the two
/// equal, so a change here needs a new migration).
pub const VARIANTS: &[(char, char)] = &[
    ('髙', '高'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('碕', '崎'),
    ('齋', '斎'),
    ('齊', '斎'),
    ('斉', '斎'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('濵', '浜'),
    ('濱', '浜'),
    ('德', '徳'),
    ('冨', '富'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('𠮷', '吉'),
    ('槗', '橋'),
    ('櫻', '桜'),
    ('澤', '沢'),
    ('廣', '広'),
    ('國', '国'),
    ('眞', '真'),
    ('惠', '恵'),
    ('實', '実'),
    ('榮', '栄'),
    ('藏', '蔵'),
    ('條', '条'),
    ('淺', '浅'),
    ('圓', '円'),
    ('壽', '寿'),
    ('彌', '弥'),
    ('豐', '豊'),
    ('與', '与'),
    ('靜', '静'),
    ('瀧', '滝'),
    ('鷗', '鴎'),
    ('﨔', '欅'),
    ('曻', '昇'),
    ('〜', 'ー'),
    ('~', 'ー'),
    ('∼', 'ー'),
    ('-', 'ー'),
    ('‐', 'ー'),
    ('–', 'ー'),
    ('—', 'ー'),
    ('―', 'ー'),
    ('−', 'ー'),
];

/// The search key of a name: NFKC (half-width kana and full-width ASCII folded), hiragana
/// turned into katakana, lower case, no white space, and the [`VARIANTS`] folded. Applying it
/// twice changes nothing.
pub fn normalize(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(hiragana_to_katakana)
        .flat_map(char::to_lowercase)
        .collect::<String>()
        // Lower-casing can leave a letter and a combining mark apart: compose them again.
        .nfkc()
        .map(fold_variant)
        .collect()
}

fn fold_variant(c: char) -> char {
    VARIANTS
        .iter()
        .find(|(from, _)| *from == c)
        .map_or(c, |(_, to)| *to)
}

fn hiragana_to_katakana(c: char) -> char {
    // ぁ (U+3041) … ゖ (U+3096) and the iteration marks ゝゞ map 0x60 up to the katakana block.
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hiragana_katakana_and_half_width_meet() {
        let key = normalize("やまだ たろう");
        assert_eq!(key, "ヤマダタロウ");
        assert_eq!(normalize("ヤマダ　タロウ"), key);
        assert_eq!(normalize("ﾔﾏﾀﾞ ﾀﾛｳ"), key);
    }

    #[test]
    fn kanji_and_latin_are_kept_and_folded() {
        assert_eq!(normalize("山田　太郎"), "山田太郎");
        assert_eq!(normalize("ＡＢＣ Ｃｌｉｎｉｃ"), "abcclinic");
    }

    #[test]
    fn variant_kanji_and_wave_dashes_meet() {
        assert_eq!(normalize("髙橋"), normalize("高橋"));
        assert_eq!(normalize("髙﨑"), normalize("高崎"));
        assert_eq!(normalize("𠮷田"), "吉田");
        assert_eq!(normalize("齋藤"), normalize("斎藤"));
        assert_eq!(normalize("渡邉"), normalize("渡辺"));
        assert_eq!(normalize("ひまわり〜ひろば"), normalize("ひまわり～ひろば"));
        assert_eq!(normalize("ひまわり〜ひろば"), normalize("ひまわりーひろば"));
        // The stored text is not touched: only the key folds.
        assert_eq!("髙橋".chars().next(), Some('髙'));
    }

    #[test]
    fn the_variant_table_folds_to_forms_it_does_not_fold_again() {
        for (from, to) in VARIANTS {
            assert_ne!(from, to);
            assert!(
                !VARIANTS.iter().any(|(f, _)| f == to),
                "{to} is folded again"
            );
            // Every source survives the NFKC step, or folding it would never be reached.
            assert_eq!(
                from.to_string().nfkc().collect::<String>(),
                from.to_string(),
                "{from}"
            );
        }
    }

    #[test]
    fn voiced_marks_survive() {
        assert_eq!(normalize("ﾊﾟﾋﾟﾌﾟ"), normalize("ぱぴぷ"));
        assert_eq!(normalize("ゔ"), "ヴ");
    }

    proptest! {
        #[test]
        fn normalizing_twice_changes_nothing(s in "\\PC{0,40}") {
            let once = normalize(&s);
            prop_assert_eq!(normalize(&once), once.clone());
        }

        #[test]
        fn no_hiragana_or_space_remains(s in "[ぁ-ゖァ-ヺｦ-ﾟ 　a-zA-Z]{0,30}") {
            let key = normalize(&s);
            let is_hiragana = |c: char| ('\u{3041}'..='\u{3096}').contains(&c);
            prop_assert!(!key.chars().any(|c| is_hiragana(c) || c.is_whitespace()), "{}", key);
        }
    }
}

/// The key two records of the same child share: the normalised reading (or name) with the long
/// vowel mark in one form and middle dots dropped, so ｻﾄｳ ﾀﾛｳ and さとう たろう meet.
pub fn person_key(text: &str) -> String {
    normalize(text)
        .chars()
        .filter(|c| !matches!(c, '・' | '･' | '.'))
        .map(|c| match c {
            '-' | '‐' | '‑' | '–' | '—' | '―' | '−' | 'ｰ' | '～' | '〜' => 'ー',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod person_key_tests {
    use super::*;

    #[test]
    fn the_same_child_typed_differently_meets() {
        assert_eq!(person_key("ｻﾄｳ ﾀﾛｳ"), person_key("さとう たろう"));
        assert_eq!(person_key("ゔぃーな"), person_key("ヴィ―ナ"));
        assert_eq!(person_key("まり・あん"), person_key("マリアン"));
        assert_ne!(person_key("さとう"), person_key("さいとう"));
    }
}
