//! The challenges log (課題整理): the categories and the states a challenge goes through, and the
//! rule that a challenge never holds a child's identity.

/// 課題の分類.
pub const CATEGORIES: [(&str, &str); 6] = [
    ("resources", "不足している社会資源"),
    ("cooperation", "機関間の連携"),
    ("procedures", "制度・手続き"),
    ("personnel", "人材・専門性"),
    ("information", "情報共有"),
    ("other", "その他"),
];

/// 新規 → 協議中 → 対応中 → 解決 / 継続課題.
pub const STATUSES: [(&str, &str); 5] = [
    ("new", "新規"),
    ("discussing", "協議中"),
    ("acting", "対応中"),
    ("resolved", "解決"),
    ("continuing", "継続課題"),
];

pub fn category_label(code: &str) -> &'static str {
    CATEGORIES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, l)| l)
}

pub fn status_label(code: &str) -> &'static str {
    STATUSES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, l)| l)
}

/// Whether a state closes the challenge (it then needs a resolution and its date).
pub fn is_closing(status: &str) -> bool {
    status == "resolved"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_label() {
        for (code, label) in CATEGORIES {
            assert_eq!(category_label(code), label);
        }
        for (code, label) in STATUSES {
            assert_eq!(status_label(code), label);
        }
        assert_eq!(status_label("done"), "");
        assert!(is_closing("resolved") && !is_closing("continuing"));
    }
}
