//! Name normalisation for search and duplicate detection: a name typed in hiragana, katakana,
//! half-width katakana or with spaces finds the same person or agency.

use unicode_normalization::UnicodeNormalization;

/// The search key of a name: NFKC (half-width kana and full-width ASCII folded), hiragana
/// turned into katakana, lower case, and no white space. Applying it twice changes nothing.
pub fn normalize(text: &str) -> String {
    text.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(hiragana_to_katakana)
        .flat_map(char::to_lowercase)
        .collect::<String>()
        // Lower-casing can leave a letter and a combining mark apart: compose them again.
        .nfkc()
        .collect()
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
