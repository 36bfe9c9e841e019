//! Field checks shared by the screens and the API: each failure names the field and says what is
//! wrong in Japanese, so a form can show it beside the field and the API can return it.

use serde::Serialize;

/// Longest single-line text field (names, logins, titles).
pub const MAX_LINE: usize = 200;
/// Longest free-text field (notes, descriptions).
pub const MAX_TEXT: usize = 20_000;
pub const MIN_PASSWORD: usize = 12;
pub const MAX_PASSWORD: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The problems found in one submitted form or JSON body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Takes in another form's problems, each under the field `rename` gives it here (one form
    /// embedded in another with its own field names).
    pub fn absorb(&mut self, other: Errors, rename: impl Fn(&str) -> &str) {
        for e in other.0 {
            let field = rename(&e.field).to_owned();
            self.0.push(FieldError { field, ..e });
        }
    }

    pub fn all(&self) -> &[FieldError] {
        &self.0
    }

    pub fn into_result(self) -> Result<(), Errors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// A required one-line text: trimmed, not empty, not too long, no control characters.
    pub fn required_line(&mut self, field: &str, label: &str, value: &str) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, format!("{label}を入力してください。"));
        } else {
            self.check_line(field, label, value);
        }
        value.to_owned()
    }

    /// An optional one-line text; empty becomes `None`.
    pub fn optional_line(&mut self, field: &str, label: &str, value: &str) -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        self.check_line(field, label, value);
        Some(value.to_owned())
    }

    /// An optional whole number (full-width digits accepted) within `range`; empty becomes
    /// `None`, anything else outside the range adds `message`.
    pub fn optional_number(
        &mut self,
        field: &str,
        message: &str,
        value: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let narrow: String = value
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                c => c,
            })
            .collect();
        if narrow.is_empty() {
            return None;
        }
        match narrow.parse::<i64>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.add(field, message);
                None
            }
        }
    }

    /// An optional multi-line text; empty becomes `None`.
    pub fn optional_text(&mut self, field: &str, label: &str, value: &str) -> Option<String> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        if value.chars().count() > MAX_TEXT {
            self.add(
                field,
                format!("{label}は{MAX_TEXT}文字以内で入力してください。"),
            );
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
        {
            self.add(
                field,
                format!("{label}に使えない制御文字が含まれています。"),
            );
        }
        Some(value.to_owned())
    }

    fn check_line(&mut self, field: &str, label: &str, value: &str) {
        if value.chars().count() > MAX_LINE {
            self.add(
                field,
                format!("{label}は{MAX_LINE}文字以内で入力してください。"),
            );
        } else if value.chars().any(char::is_control) {
            self.add(field, format!("{label}に改行や制御文字は使えません。"));
        }
    }

    /// A login name: 3–64 ASCII letters, digits, `.`, `_` or `-`.
    pub fn login(&mut self, field: &str, value: &str) -> String {
        let value = value.trim();
        let ok_chars = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !(3..=64).contains(&value.len()) || !ok_chars {
            self.add(
                field,
                "ログインIDは3〜64文字の半角英数字と「.」「_」「-」で入力してください。",
            );
        }
        value.to_owned()
    }

    /// A new password: at least 12 characters (counted as characters, so Japanese passphrases work).
    pub fn new_password(&mut self, field: &str, value: &str) {
        let n = value.chars().count();
        if n < MIN_PASSWORD {
            self.add(
                field,
                format!("パスワードは{MIN_PASSWORD}文字以上にしてください。"),
            );
        } else if n > MAX_PASSWORD {
            self.add(
                field,
                format!("パスワードは{MAX_PASSWORD}文字以内にしてください。"),
            );
        } else if crate::common_passwords::is_common(value) {
            self.add(
                field,
                "よく使われていて推測されやすいパスワードです。別のものにしてください（長めの文を使うと覚えやすく安全です）。",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_line_trims_and_names_the_field() {
        let mut e = Errors::new();
        assert_eq!(e.required_line("name", "氏名", "  山田 "), "山田");
        assert!(e.is_empty());
        e.required_line("name", "氏名", "   ");
        assert_eq!(e.get("name"), Some("氏名を入力してください。"));
    }

    #[test]
    fn over_long_and_control_characters_are_refused() {
        let mut e = Errors::new();
        e.required_line("title", "件名", &"あ".repeat(MAX_LINE + 1));
        e.optional_line("kana", "かな", "a\u{0}b");
        assert!(e.get("title").is_some());
        assert!(e.get("kana").is_some());
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        let mut e = Errors::new();
        e.new_password("password", "みどりのしまうまがはしる"); // 12 characters
        assert!(e.is_empty());
        e.new_password("password", "short");
        let mut common = Errors::new();
        common.new_password("password", "Password1234");
        assert!(common.all()[0].message.contains("推測されやすい"));
        assert!(e.get("password").is_some());
    }

    #[test]
    fn logins_are_plain_ascii() {
        let mut e = Errors::new();
        e.login("login", "demo-coordinator");
        assert!(e.is_empty());
        e.login("login", "山田");
        assert!(e.get("login").is_some());
    }
}
