//! The child's record on the web: search, intake, the record page in the parts the user may see,
//! edit, close and reopen, consents, care-team membership, the timeline, and the API. Every
//! handler goes through the store's one access path; none reads a child any other way.

pub mod api;
pub mod attachments;
pub mod categories;
pub mod consents;
pub mod consultations;
pub mod html;
pub mod notes;
pub mod quick_note;
pub mod team;
pub mod timeline;

use serde::Deserialize;
use time::Date;
use tsunagu_domain::{
    children::{is_valid_grade, CERTIFICATE_KINDS, SEXES},
    validation::Errors,
    AgencyId, AreaId, MunicipalityId,
};
use tsunagu_store::children::{
    Accommodation, BenefitCertificate, Certificate, ChildInput, ChildView, Guardian,
};

use crate::agencies::{parse_birth_date, parse_date};

/// A child as typed into the form or sent to the API. Lists come as parallel arrays: the n-th
/// `guardian_name` goes with the n-th `guardian_kana`, and so on; empty rows are skipped.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ChildFields {
    pub area_id: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    /// unknown, male, female, other
    pub sex: String,
    pub municipality_id: String,
    pub postal_code: String,
    pub address: String,
    pub current_agency_id: String,
    pub development_notes: String,
    pub health_notes: String,
    pub diagnoses: String,
    pub medical_care: String,
    pub strengths: String,
    pub internal_notes: String,
    pub guardian_name: Vec<String>,
    pub guardian_kana: Vec<String>,
    pub guardian_relation: Vec<String>,
    pub guardian_phone: Vec<String>,
    pub guardian_email: Vec<String>,
    pub guardian_contact: Vec<String>,
    pub certificate_kind: Vec<String>,
    pub certificate_grade: Vec<String>,
    pub certificate_issued_on: Vec<String>,
    pub certificate_renewal_on: Vec<String>,
    pub benefit_service: Vec<String>,
    pub benefit_amount: Vec<String>,
    pub benefit_valid_from: Vec<String>,
    pub benefit_valid_to: Vec<String>,
    pub accommodation_text: Vec<String>,
    pub accommodation_found_by: Vec<String>,
    pub accommodation_found_on: Vec<String>,
    /// Set when the user has seen the duplicate warning and means a different child.
    pub not_a_duplicate: String,
}

fn at(v: &[String], i: usize) -> &str {
    v.get(i).map_or("", |s| s.trim())
}

fn rows(lists: &[&Vec<String>]) -> usize {
    lists.iter().map(|l| l.len()).max().unwrap_or(0)
}

/// Checks every field, naming each problem's field; answers the input for the store.
pub fn validate(f: &ChildFields, today: Date) -> (ChildInput, Errors) {
    let mut e = Errors::new();
    let area_id = match f.area_id.trim().parse() {
        Ok(n) => AreaId(n),
        Err(_) => {
            e.add("area_id", "地域を選んでください。");
            AreaId(0)
        }
    };
    let family_name = e.required_line("family_name", "氏名（姓）", &f.family_name);
    let given_name = e.required_line("given_name", "氏名（名）", &f.given_name);
    let family_kana = e
        .optional_line("family_kana", "ふりがな（姓）", &f.family_kana)
        .unwrap_or_default();
    let given_kana = e
        .optional_line("given_kana", "ふりがな（名）", &f.given_kana)
        .unwrap_or_default();
    let birth_date = if f.birth_date.trim().is_empty() {
        e.add("birth_date", "生年月日を入力してください。");
        None
    } else {
        let d = parse_birth_date(&mut e, "birth_date", "生年月日", &f.birth_date);
        if d.is_some_and(|d| d > today) {
            e.add("birth_date", "生年月日が未来の日付になっています。");
        }
        if d.is_some_and(|d| d.year() < 1950) {
            e.add("birth_date", "生年月日を確認してください。");
        }
        d
    };
    let sex = if SEXES.iter().any(|(c, _)| *c == f.sex) {
        f.sex.clone()
    } else {
        "unknown".to_owned()
    };
    let municipality_id = match f.municipality_id.trim() {
        "" => None,
        v => match v.parse() {
            Ok(n) => Some(MunicipalityId(n)),
            Err(_) => {
                e.add("municipality_id", "市町村の指定が正しくありません。");
                None
            }
        },
    };
    let current_agency_id = match f.current_agency_id.trim() {
        "" => None,
        v => match v.parse() {
            Ok(n) => Some(AgencyId(n)),
            Err(_) => {
                e.add("current_agency_id", "在籍先の指定が正しくありません。");
                None
            }
        },
    };
    let postal_code =
        tsunagu_domain::directory::normalize_postal_code(&mut e, "postal_code", &f.postal_code);
    let address = e.optional_line("address", "住所", &f.address);
    let development_notes =
        e.optional_text("development_notes", "発達の様子", &f.development_notes);
    let health_notes = e.optional_text("health_notes", "健康・医療", &f.health_notes);
    let diagnoses = e.optional_text("diagnoses", "障害・診断", &f.diagnoses);
    let medical_care = e.optional_text("medical_care", "医療的ケア", &f.medical_care);
    let strengths = e.optional_text("strengths", "得意なこと・好きなこと", &f.strengths);
    let internal_notes = e.optional_text(
        "internal_notes",
        "コーディネーターのメモ",
        &f.internal_notes,
    );

    let mut guardians = Vec::new();
    let g = [
        &f.guardian_name,
        &f.guardian_kana,
        &f.guardian_relation,
        &f.guardian_phone,
        &f.guardian_email,
        &f.guardian_contact,
    ];
    for i in 0..rows(&g) {
        if g.iter().all(|l| at(l, i).is_empty()) {
            continue;
        }
        let name = e.required_line("guardian_name", "保護者の氏名", at(&f.guardian_name, i));
        guardians.push(Guardian {
            name,
            kana: e
                .optional_line("guardian_kana", "保護者のふりがな", at(&f.guardian_kana, i))
                .unwrap_or_default(),
            relation: e
                .optional_line("guardian_relation", "続柄", at(&f.guardian_relation, i))
                .unwrap_or_default(),
            phone: tsunagu_domain::directory::check_phone(
                &mut e,
                "guardian_phone",
                "保護者の電話番号",
                at(&f.guardian_phone, i),
            ),
            email: tsunagu_domain::directory::check_email(
                &mut e,
                "guardian_email",
                at(&f.guardian_email, i),
            ),
            contact_preference: e.optional_line(
                "guardian_contact",
                "連絡方法の希望",
                at(&f.guardian_contact, i),
            ),
        });
    }
    let mut certificates = Vec::new();
    let c = [
        &f.certificate_kind,
        &f.certificate_grade,
        &f.certificate_issued_on,
        &f.certificate_renewal_on,
    ];
    for i in 0..rows(&c) {
        let kind = at(&f.certificate_kind, i);
        if kind.is_empty() {
            continue;
        }
        let grade = at(&f.certificate_grade, i);
        if !CERTIFICATE_KINDS.iter().any(|(k, _, _)| *k == kind) {
            e.add("certificate_kind", "手帳の種類を選んでください。");
        } else if !grade.is_empty() && !is_valid_grade(kind, grade) {
            e.add(
                "certificate_grade",
                "手帳の等級がその手帳の種類と合いません。",
            );
        }
        certificates.push(Certificate {
            kind: kind.to_owned(),
            grade: grade.to_owned(),
            issued_on: parse_date(
                &mut e,
                "certificate_issued_on",
                "手帳の交付日",
                at(&f.certificate_issued_on, i),
            ),
            renewal_on: parse_date(
                &mut e,
                "certificate_renewal_on",
                "手帳の再判定日",
                at(&f.certificate_renewal_on, i),
            ),
        });
    }
    let mut benefit_certificates = Vec::new();
    let b = [
        &f.benefit_service,
        &f.benefit_amount,
        &f.benefit_valid_from,
        &f.benefit_valid_to,
    ];
    for i in 0..rows(&b) {
        if b.iter().all(|l| at(l, i).is_empty()) {
            continue;
        }
        let service = e.required_line(
            "benefit_service",
            "受給者証のサービス",
            at(&f.benefit_service, i),
        );
        let valid_from = parse_date(
            &mut e,
            "benefit_valid_from",
            "受給者証の有効期間（開始）",
            at(&f.benefit_valid_from, i),
        );
        let valid_to = parse_date(
            &mut e,
            "benefit_valid_to",
            "受給者証の有効期間（終了）",
            at(&f.benefit_valid_to, i),
        );
        if let (Some(a), Some(z)) = (valid_from, valid_to) {
            if z < a {
                e.add(
                    "benefit_valid_to",
                    "受給者証の有効期間の終了が開始より前になっています。",
                );
            }
        }
        benefit_certificates.push(BenefitCertificate {
            service,
            amount: e.optional_line("benefit_amount", "支給量", at(&f.benefit_amount, i)),
            valid_from,
            valid_to,
        });
    }
    let mut accommodations = Vec::new();
    let a = [
        &f.accommodation_text,
        &f.accommodation_found_by,
        &f.accommodation_found_on,
    ];
    for i in 0..rows(&a) {
        if a.iter().all(|l| at(l, i).is_empty()) {
            continue;
        }
        let text = at(&f.accommodation_text, i);
        if text.is_empty() {
            e.add("accommodation_text", "配慮事項の内容を入力してください。");
        }
        accommodations.push(Accommodation {
            text: e
                .optional_text("accommodation_text", "配慮事項", text)
                .unwrap_or_default(),
            found_by: e.optional_line(
                "accommodation_found_by",
                "配慮事項を見つけた人・機関",
                at(&f.accommodation_found_by, i),
            ),
            found_on: parse_date(
                &mut e,
                "accommodation_found_on",
                "配慮事項の日付",
                at(&f.accommodation_found_on, i),
            ),
        });
    }
    let input = ChildInput {
        area_id,
        family_name,
        given_name,
        family_kana,
        given_kana,
        birth_date,
        sex,
        municipality_id,
        postal_code,
        address,
        current_agency_id,
        development_notes,
        health_notes,
        diagnoses,
        medical_care,
        strengths,
        internal_notes,
        guardians,
        certificates,
        benefit_certificates,
        accommodations,
    };
    (input, e)
}

/// The fields of a stored record, for its edit form.
pub fn fields_of(v: &ChildView) -> ChildFields {
    let c = &v.child;
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let date = |d: &Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    ChildFields {
        area_id: c.area_id.to_string(),
        family_name: c.family_name.clone(),
        given_name: c.given_name.clone(),
        family_kana: c.family_kana.clone(),
        given_kana: c.given_kana.clone(),
        birth_date: c.birth_date.to_string(),
        sex: c.sex.clone(),
        municipality_id: c.municipality_id.map(|m| m.to_string()).unwrap_or_default(),
        postal_code: opt(&c.postal_code),
        address: opt(&c.address),
        current_agency_id: c
            .current_agency_id
            .map(|m| m.to_string())
            .unwrap_or_default(),
        development_notes: opt(&c.development_notes),
        health_notes: opt(&c.health_notes),
        diagnoses: opt(&c.diagnoses),
        medical_care: opt(&c.medical_care),
        strengths: opt(&c.strengths),
        internal_notes: opt(&c.internal_notes),
        guardian_name: v.guardians.iter().map(|g| g.name.clone()).collect(),
        guardian_kana: v.guardians.iter().map(|g| g.kana.clone()).collect(),
        guardian_relation: v.guardians.iter().map(|g| g.relation.clone()).collect(),
        guardian_phone: v.guardians.iter().map(|g| opt(&g.phone)).collect(),
        guardian_email: v.guardians.iter().map(|g| opt(&g.email)).collect(),
        guardian_contact: v
            .guardians
            .iter()
            .map(|g| opt(&g.contact_preference))
            .collect(),
        certificate_kind: v.certificates.iter().map(|x| x.kind.clone()).collect(),
        certificate_grade: v.certificates.iter().map(|x| x.grade.clone()).collect(),
        certificate_issued_on: v.certificates.iter().map(|x| date(&x.issued_on)).collect(),
        certificate_renewal_on: v.certificates.iter().map(|x| date(&x.renewal_on)).collect(),
        benefit_service: v
            .benefit_certificates
            .iter()
            .map(|x| x.service.clone())
            .collect(),
        benefit_amount: v
            .benefit_certificates
            .iter()
            .map(|x| opt(&x.amount))
            .collect(),
        benefit_valid_from: v
            .benefit_certificates
            .iter()
            .map(|x| date(&x.valid_from))
            .collect(),
        benefit_valid_to: v
            .benefit_certificates
            .iter()
            .map(|x| date(&x.valid_to))
            .collect(),
        accommodation_text: v.accommodations.iter().map(|x| x.text.clone()).collect(),
        accommodation_found_by: v.accommodations.iter().map(|x| opt(&x.found_by)).collect(),
        accommodation_found_on: v.accommodations.iter().map(|x| date(&x.found_on)).collect(),
        not_a_duplicate: String::new(),
    }
}

impl ChildFields {
    /// Row `i` of a list, for the form (empty past the end, so blank rows can be offered).
    pub fn row(list: &[String], i: usize) -> &str {
        list.get(i).map_or("", String::as_str)
    }

    /// How many rows of each repeated group the form shows: the filled ones and one more.
    pub fn guardian_rows(&self) -> Vec<usize> {
        (0..self.guardian_name.len().max(1) + 1).collect()
    }
    pub fn certificate_rows(&self) -> Vec<usize> {
        (0..self.certificate_kind.len() + 1).collect()
    }
    pub fn benefit_rows(&self) -> Vec<usize> {
        (0..self.benefit_service.len() + 1).collect()
    }
    pub fn accommodation_rows(&self) -> Vec<usize> {
        (0..self.accommodation_text.len().max(2) + 1).collect()
    }
}
