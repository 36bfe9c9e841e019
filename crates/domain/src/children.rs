//! The child's record: the fixed vocabularies of its fields (sex, certificates with Chiba's
//! 療育手帳 grades, consultation channels and requesters) and the age shown beside a birth date.

use time::Date;

pub const SEXES: [(&str, &str); 4] = [
    ("unknown", "未記入"),
    ("male", "男"),
    ("female", "女"),
    ("other", "その他"),
];

pub fn sex_label(code: &str) -> &'static str {
    SEXES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("未記入", |(_, l)| l)
}

/// Certificates (手帳) and the grades each can carry.
pub const CERTIFICATE_KINDS: [(&str, &str, &[&str]); 3] = [
    (
        "physical",
        "身体障害者手帳",
        &["1級", "2級", "3級", "4級", "5級", "6級"],
    ),
    // Chiba Prefecture's 療育手帳 grades.
    (
        "ryoiku",
        "療育手帳",
        &["Ⓐの1", "Ⓐの2", "Ａの1", "Ａの2", "Ｂの1", "Ｂの2"],
    ),
    ("mental", "精神障害者保健福祉手帳", &["1級", "2級", "3級"]),
];

pub fn certificate_label(code: &str) -> &'static str {
    CERTIFICATE_KINDS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or("", |(_, l, _)| l)
}

pub fn is_valid_grade(kind: &str, grade: &str) -> bool {
    CERTIFICATE_KINDS
        .iter()
        .any(|(c, _, grades)| *c == kind && grades.contains(&grade))
}

pub const CHANNELS: [&str; 6] = ["電話", "来所", "訪問", "同行", "メール", "その他"];

pub const REQUESTERS: [&str; 9] = [
    "保護者",
    "本人",
    "園",
    "学校",
    "保健センター",
    "医療機関",
    "事業所",
    "行政",
    "その他",
];

/// Age in whole years and months on `today`: 3歳2か月.
pub fn age(birth: Date, today: Date) -> Option<(i32, u8)> {
    if today < birth {
        return None;
    }
    let mut months = (today.year() - birth.year()) * 12
        + (i32::from(u8::from(today.month())) - i32::from(u8::from(birth.month())));
    if today.day() < birth.day() {
        months -= 1;
    }
    Some((months / 12, (months % 12) as u8))
}

pub fn format_age(birth: Date, today: Date) -> String {
    match age(birth, today) {
        Some((y, m)) => format!("{y}歳{m}か月"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn ages_in_years_and_months() {
        assert_eq!(
            age(date!(2023 - 09 - 25), date!(2026 - 11 - 25)),
            Some((3, 2))
        );
        assert_eq!(
            age(date!(2023 - 09 - 26), date!(2026 - 11 - 25)),
            Some((3, 1))
        );
        assert_eq!(
            age(date!(2020 - 02 - 29), date!(2026 - 02 - 28)),
            Some((5, 11))
        );
        assert_eq!(age(date!(2027 - 01 - 01), date!(2026 - 11 - 25)), None);
        assert_eq!(
            format_age(date!(2026 - 11 - 25), date!(2026 - 11 - 25)),
            "0歳0か月"
        );
    }

    #[test]
    fn chiba_ryoiku_grades() {
        assert!(is_valid_grade("ryoiku", "Ⓐの1"));
        assert!(is_valid_grade("ryoiku", "Ｂの2"));
        assert!(!is_valid_grade("ryoiku", "C"));
        assert!(!is_valid_grade("mental", "4級"));
    }
}
