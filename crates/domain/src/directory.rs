//! The local resources directory (社会資源): sectors of agency kinds, council kinds, the
//! controlled list of services, the checks of an agency's fields, and who may change what.

use crate::{validation::Errors, Actor, AgencyId, AreaId, Role};

/// The field an agency kind belongs to, for grouping and statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sector {
    Health,
    Medical,
    Welfare,
    Education,
    Administration,
    Employment,
    Other,
}

impl Sector {
    pub const ALL: [Sector; 7] = [
        Sector::Health,
        Sector::Medical,
        Sector::Welfare,
        Sector::Education,
        Sector::Administration,
        Sector::Employment,
        Sector::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Sector::Health => "health",
            Sector::Medical => "medical",
            Sector::Welfare => "welfare",
            Sector::Education => "education",
            Sector::Administration => "administration",
            Sector::Employment => "employment",
            Sector::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sector::Health => "保健",
            Sector::Medical => "医療",
            Sector::Welfare => "福祉",
            Sector::Education => "教育",
            Sector::Administration => "行政",
            Sector::Employment => "就労",
            Sector::Other => "その他",
        }
    }

    pub fn from_code(code: &str) -> Option<Sector> {
        Sector::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The kinds of council the seed names (6), with a code the database keeps.
pub const COUNCIL_KINDS: [(&str, &str); 5] = [
    ("independence_support", "地域自立支援協議会（療育支援部会）"),
    ("child_protection", "要保護児童対策地域協議会"),
    ("sen_coordinators", "特別支援教育コーディネーター連絡協議会"),
    ("special_needs_cooperation", "特別支援連携協議会"),
    ("other", "その他の協議会"),
];

pub fn council_kind_label(code: &str) -> &str {
    COUNCIL_KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// Services an agency may offer, as a controlled list (free tags may be added beside them).
/// 医療型児童発達支援 is no longer one: it was folded into 児童発達支援 in April 2024.
pub const SERVICES: [&str; 17] = [
    "児童発達支援",
    "放課後等デイサービス",
    "保育所等訪問支援",
    "居宅訪問型児童発達支援",
    "障害児相談支援",
    "計画相談支援",
    "短期入所",
    "日中一時支援",
    "居宅介護",
    "移動支援",
    "障害児入所支援",
    "発達相談",
    "巡回相談",
    "療育相談",
    "障害児等療育支援事業",
    "身体・知的障害者相談員",
    "就労支援",
];

/// A service's current name: one renamed or folded by the law is read as what it is now (an
/// import or an API client may still send 医療型児童発達支援).
pub fn current_service(name: &str) -> &str {
    match name.trim() {
        "医療型児童発達支援" => "児童発達支援",
        other => other,
    }
}

/// An age range served, in years (0–18 and beyond; `None` means open).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct AgeRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl AgeRange {
    /// Whether a child of `age` years is served.
    pub fn serves(self, age: i64) -> bool {
        self.from.is_none_or(|f| age >= f) && self.to.is_none_or(|t| age <= t)
    }
}

/// A postal code as 123-4567 (full-width digits and a missing hyphen are accepted).
pub fn normalize_postal_code(errors: &mut Errors, field: &str, value: &str) -> Option<String> {
    let digits: String = value
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            _ => None,
        })
        .collect();
    let other = value.chars().any(|c| {
        !(c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || matches!(c, '-' | '－' | 'ー' | '〒' | ' ' | '　'))
    });
    if value.trim().is_empty() {
        return None;
    }
    if digits.len() != 7 || other {
        errors.add(field, "郵便番号は「123-4567」の形で入力してください。");
        return None;
    }
    Some(format!("{}-{}", &digits[..3], &digits[3..]))
}

/// A number typed with a Japanese input method, as half-width: full-width digits, letters,
/// parentheses and spaces become ASCII (NFKC), and every dash a keyboard gives for a hyphen
/// (ー, －, ‐, −, –, —, ―) becomes `-`. `０４７８ー００ー１００８` is `0478-00-1008`.
pub fn normalize_number_text(value: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    value
        .nfkc()
        .map(|c| match c {
            'ー' | '‐' | '‑' | '−' | '–' | '—' | '―' | 'ｰ' => '-',
            other => other,
        })
        .collect()
}

/// A phone or fax number: digits, hyphens, parentheses and spaces only (full-width ones and
/// Japanese dashes accepted and stored half-width).
pub fn check_phone(errors: &mut Errors, field: &str, label: &str, value: &str) -> Option<String> {
    let normalized = normalize_number_text(value);
    let value = normalized.trim();
    if value.is_empty() {
        return None;
    }
    let ok = value
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | ' ' | '+'))
        && value.chars().filter(char::is_ascii_digit).count() >= 6
        && value.len() <= 30;
    if !ok {
        errors.add(
            field,
            format!("{label}は半角の数字とハイフンで入力してください（例：0478-00-0000）。"),
        );
    }
    Some(value.to_owned())
}

pub fn check_email(errors: &mut Errors, field: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let ok = value.len() <= 254
        && value
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        errors.add(field, "メールアドレスの形式が正しくありません。");
    }
    Some(value.to_owned())
}

pub fn check_website(errors: &mut Errors, field: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let ok = (value.starts_with("https://") || value.starts_with("http://"))
        && value.len() <= 500
        && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        errors.add(
            field,
            "ウェブサイトは https:// から始まるアドレスで入力してください。",
        );
    }
    Some(value.to_owned())
}

/// An age in years, 0–99, or nothing.
pub fn parse_age(errors: &mut Errors, field: &str, label: &str, value: &str) -> Option<i64> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.parse::<i64>() {
        Ok(n) if (0..=99).contains(&n) => Some(n),
        _ => {
            errors.add(field, format!("{label}は0〜99の数字で入力してください。"));
            None
        }
    }
}

/// What a user may do with the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectoryAccess {
    /// Counts only (the committee).
    CountsOnly,
    /// Read every agency.
    Read,
}

pub fn directory_access(actor: &Actor) -> DirectoryAccess {
    match actor.role {
        Role::Committee => DirectoryAccess::CountsOnly,
        _ => DirectoryAccess::Read,
    }
}

/// Whether `actor` may change every field of an agency in `areas` (the areas where it stands or
/// that it serves), or create one there.
pub fn may_manage_agency(actor: &Actor, areas: &[AreaId]) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Coordinator | Role::Supervisor => areas.iter().any(|a| actor.serves_area(*a)),
        Role::AgencyStaff | Role::Committee => false,
    }
}

/// Whether `actor` may change the contact details and capacity note of `agency`: its managers,
/// and its own staff.
pub fn may_edit_contacts(actor: &Actor, agency: AgencyId, areas: &[AreaId]) -> bool {
    may_manage_agency(actor, areas)
        || (actor.role == Role::AgencyStaff && actor.agency_id == Some(agency))
}

/// Whether `actor` may manage councils of `area`.
pub fn may_manage_council(actor: &Actor, area: AreaId) -> bool {
    actor.role == Role::Admin || (actor.role == Role::Coordinator && actor.serves_area(area))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserId;

    fn actor(role: Role, areas: &[i64], agency: Option<i64>) -> Actor {
        Actor {
            user_id: UserId(1),
            login: "u".into(),
            display_name: "u".into(),
            role,
            area_ids: areas.iter().copied().map(AreaId).collect(),
            agency_id: agency.map(AgencyId),
        }
    }

    #[test]
    fn who_manages_an_agency() {
        let here = [AreaId(1)];
        assert!(may_manage_agency(
            &actor(Role::Coordinator, &[1], None),
            &here
        ));
        assert!(may_manage_agency(
            &actor(Role::Supervisor, &[1, 2], None),
            &here
        ));
        assert!(
            !may_manage_agency(&actor(Role::Coordinator, &[2], None), &here),
            "another area"
        );
        assert!(may_manage_agency(&actor(Role::Admin, &[], None), &here));
        assert!(!may_manage_agency(
            &actor(Role::AgencyStaff, &[], Some(5)),
            &here
        ));
        assert!(!may_manage_agency(
            &actor(Role::Committee, &[], None),
            &here
        ));
    }

    #[test]
    fn staff_edit_only_their_own_agency_contacts() {
        let staff = actor(Role::AgencyStaff, &[], Some(5));
        assert!(may_edit_contacts(&staff, AgencyId(5), &[AreaId(1)]));
        assert!(!may_edit_contacts(&staff, AgencyId(6), &[AreaId(1)]));
    }

    #[test]
    fn postal_codes_are_normalised() {
        let mut e = Errors::new();
        assert_eq!(
            normalize_postal_code(&mut e, "p", "〒２８７－０００１").as_deref(),
            Some("287-0001")
        );
        assert_eq!(
            normalize_postal_code(&mut e, "p", "2870001").as_deref(),
            Some("287-0001")
        );
        assert!(e.is_empty());
        assert_eq!(normalize_postal_code(&mut e, "p", "28-0001"), None);
        assert!(e.get("p").is_some());
    }

    #[test]
    fn age_ranges_are_inclusive_and_open_ended() {
        let r = AgeRange {
            from: Some(6),
            to: Some(18),
        };
        assert!(r.serves(6) && r.serves(18) && !r.serves(5) && !r.serves(19));
        assert!(AgeRange {
            from: None,
            to: Some(5)
        }
        .serves(0));
        assert!(AgeRange::default().serves(40));
    }

    #[test]
    fn contact_fields_are_checked() {
        let mut e = Errors::new();
        check_phone(&mut e, "phone", "電話番号", "0478-00-0000");
        check_email(&mut e, "email", "info@example.jp");
        check_website(&mut e, "website", "https://example.jp/");
        assert!(e.is_empty());
        assert_eq!(
            check_phone(&mut e, "phone", "電話番号", "０４７８ー００ー１００８").as_deref(),
            Some("0478-00-1008")
        );
        assert_eq!(
            check_phone(&mut e, "phone", "電話番号", "（０４７８）００－１００８").as_deref(),
            Some("(0478)00-1008")
        );
        assert!(e.is_empty());
        check_phone(&mut e, "phone", "電話番号", "=1+1");
        check_email(&mut e, "email", "no-at-sign");
        check_website(&mut e, "website", "javascript:alert(1)");
        assert_eq!(e.all().len(), 3);
    }
}
