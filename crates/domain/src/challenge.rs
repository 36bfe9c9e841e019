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

/// Where a challenge came from. Never a child's record: only the kind of source and its date.
pub const SOURCES: [(&str, &str); 4] = [
    ("typed", "直接入力"),
    ("support_meeting", "支援会議の決定事項・気づき"),
    ("visit", "巡回相談・施設支援での気づき"),
    ("consultations", "相談の傾向"),
];

pub fn source_label(code: &str) -> &'static str {
    SOURCES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, l)| l)
}

/// 結論 or 提言: what the committee writes for a fiscal year.
pub const CONCLUSION_KINDS: [(&str, &str); 2] =
    [("conclusion", "結論"), ("recommendation", "提言")];

pub fn conclusion_kind_label(code: &str) -> &'static str {
    CONCLUSION_KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, l)| l)
}

/// Whether a text names the child: the full name with or without a space, the given name or the
/// family name alone when two characters or more, or the name in kana. What is raised from a
/// child's meeting must not.
pub fn names_child(text: &str, names: &[impl AsRef<str>]) -> bool {
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    names
        .iter()
        .map(|n| {
            n.as_ref()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
        })
        .filter(|n| n.chars().count() >= 2)
        .any(|n| squeezed.contains(&n))
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
        for (code, label) in SOURCES {
            assert_eq!(source_label(code), label);
        }
        assert_eq!(conclusion_kind_label("recommendation"), "提言");
    }

    #[test]
    fn a_childs_name_is_found_with_or_without_spaces() {
        let names = ["見本", "はると", "見本 はると", "みほん はると", "太"];
        assert!(names_child("見本はるとさんの送迎が課題", &names));
        assert!(names_child("みほん　はるとさんの件", &names));
        assert!(names_child("はるとくんの通う園", &names));
        // One character alone is too common to refuse.
        assert!(!names_child("太い線で示す", &names));
        assert!(!names_child("送迎の手段が足りない", &names));
    }
}
