//! New passwords are checked against 49,000 common and leaked ones (the list of zxcvbn-ts,
//! `data/common-passwords.txt`), so "Password1234" is refused although it is long enough.

use std::{collections::HashSet, sync::LazyLock};

static LIST: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

/// How many passwords the list holds.
pub fn count() -> usize {
    LIST.len()
}

/// Whether `password` is a listed one, a listed one with digits or marks added at the end
/// ("dragon2024!"), or one character repeated.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    if LIST.contains(lower.as_str()) {
        return true;
    }
    let base = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation());
    if base.chars().count() >= 4 && base.len() < lower.len() && LIST.contains(base) {
        return true;
    }
    let mut chars = lower.chars();
    chars.next().is_some_and(|first| chars.all(|c| c == first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_and_their_variants_are_refused() {
        assert!(count() > 10_000);
        assert!(is_common("qwerty123456"));
        assert!(is_common("Password1234"));
        assert!(is_common("iloveyou2024!!"));
        assert!(is_common("aaaaaaaaaaaa"));
        assert!(is_common("ああああああああああああ"));
        assert!(!is_common("みどりのしまうまがはしる"));
        assert!(!is_common("correct horse battery staple"));
        assert!(!is_common("a-long-enough-password"));
    }
}
