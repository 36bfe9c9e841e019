//! Regions, municipalities and areas: master data the administrator keeps.

pub mod api;
pub mod html;

use tsunagu_domain::{
    calendar::YearEndClosure, people::OperatorKind, validation::Errors, MunicipalityId,
};
use tsunagu_store::areas::AreaInput;

/// Who runs the area and for whom, as submitted (all text, checked in [`area_input`]).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Operation {
    /// `municipal` (市町村直営) or `entrusted` (委託); `municipal` when empty.
    pub operator_kind: String,
    /// The corporation the area is entrusted to (委託先), required for `entrusted`.
    pub operator_name: String,
    /// Who the area's coordination is for, when the area sets its own rule.
    pub eligibility_note: String,
    /// Active children a full-time coordinator should carry at most; empty for no flag.
    pub caseload_limit: String,
    /// First day of the year-end closure, month-day (`12-29`, 「12月29日」); empty with
    /// `closure_to`: 12月29日〜1月3日.
    pub closure_from: String,
    /// Last day of the year-end closure (`01-03`).
    pub closure_to: String,
}

impl Operation {
    /// The fields as the form shows an area's stored operation.
    pub fn closure_fields(closure: Option<YearEndClosure>) -> (String, String) {
        let c = closure.unwrap_or_default();
        (
            format!("{}月{}日", u8::from(c.from.0), c.from.1),
            format!("{}月{}日", u8::from(c.to.0), c.to.1),
        )
    }
}

/// Checks an area as submitted from the form or the API.
pub fn area_input(
    errors: &mut Errors,
    name: &str,
    kana: &str,
    note: &str,
    municipality_ids: &[String],
    active: bool,
    op: &Operation,
) -> AreaInput {
    let name = errors.required_line("name", "地域名", name);
    let kana = errors
        .optional_line("kana", "よみがな", kana)
        .unwrap_or_default();
    let note = errors.optional_text("note", "備考", note);
    let mut ids = Vec::new();
    for id in municipality_ids
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        match id.parse() {
            Ok(n) => ids.push(MunicipalityId(n)),
            Err(_) => errors.add("municipality_ids", "市町村の指定が正しくありません。"),
        }
    }
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        errors.add(
            "municipality_ids",
            "この地域に含める市町村を1つ以上選んでください。",
        );
    }
    let operator_kind = match op.operator_kind.trim() {
        "" => OperatorKind::Municipal,
        code => OperatorKind::from_code(code).unwrap_or_else(|| {
            errors.add(
                "operator_kind",
                "運営の形（市町村直営・委託）を選んでください。",
            );
            OperatorKind::Municipal
        }),
    };
    let operator_name = errors.optional_line("operator_name", "委託先", &op.operator_name);
    if operator_kind == OperatorKind::Entrusted && operator_name.is_none() {
        errors.add(
            "operator_name",
            "委託の場合は委託先の法人名を入れてください。",
        );
    }
    let eligibility_note =
        errors.optional_text("eligibility_note", "対象要件", &op.eligibility_note);
    let caseload_limit = errors.optional_number(
        "caseload_limit",
        "担当人数の目安は1〜10000の数で入れてください。",
        &op.caseload_limit,
        1..=10_000,
    );
    let closure = match (op.closure_from.trim(), op.closure_to.trim()) {
        ("", "") => Some(YearEndClosure::default()),
        (from, to) => {
            let closure = YearEndClosure::parse(from, to);
            if closure.is_none() {
                errors.add(
                    "closure_from",
                    "年末年始の閉庁日は「12月29日」「1月3日」のように月と日で入れてください。",
                );
            }
            closure
        }
    };
    AreaInput {
        closure,
        name,
        kana,
        note,
        municipality_ids: ids,
        active,
        operator_name: operator_name.filter(|_| operator_kind == OperatorKind::Entrusted),
        operator_kind,
        eligibility_note,
        caseload_limit,
    }
}
