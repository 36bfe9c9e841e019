//! Accounts, managed by the administrator: the screens and the API.

pub mod api;
pub mod html;

use tsunagu_domain::{
    people::{Background, Placement},
    validation::Errors,
    AgencyId, AreaId, Role,
};
use tsunagu_store::staffing::Staffing;

/// Reads a role code from a form or JSON body.
pub fn parse_role(errors: &mut Errors, code: &str) -> Role {
    match Role::from_code(code.trim()) {
        Some(role) => role,
        None => {
            errors.add("role", "役割を選んでください。");
            Role::Committee
        }
    }
}

pub fn parse_areas(errors: &mut Errors, ids: &[String]) -> Vec<AreaId> {
    let mut out = Vec::new();
    for id in ids.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        match id.parse() {
            Ok(n) => out.push(AreaId(n)),
            Err(_) => errors.add("area_ids", "担当地域の指定が正しくありません。"),
        }
    }
    out
}

/// The role's rule on areas and agency, checked with the other fields so every problem shows at once.
pub fn check_assignment(
    errors: &mut Errors,
    role: Role,
    areas: &[AreaId],
    agency: Option<AgencyId>,
) {
    if let Some((field, message)) = role.assignment_problem(!areas.is_empty(), agency.is_some()) {
        if errors.get(field).is_none() {
            errors.add(field, message);
        }
    }
}

pub fn parse_agency(errors: &mut Errors, id: &str) -> Option<AgencyId> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    match id.parse() {
        Ok(n) => Some(AgencyId(n)),
        Err(_) => {
            errors.add("agency_id", "所属機関の指定が正しくありません。");
            None
        }
    }
}

/// A coordinator's placement and absence as typed (form and API).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct StaffingFields {
    /// dedicated (専任) or concurrent (兼務)
    pub placement: String,
    /// Percent of a full-time post, for concurrent (兼務).
    pub time_share: String,
    /// medical (医療型), welfare (福祉型) or other
    pub background: String,
    /// YYYY-MM-DD: first day of an absence (休暇・研修など); empty when present.
    pub absent_from: String,
    /// YYYY-MM-DD: last day of the absence; empty for an open end.
    pub absent_to: String,
    pub absence_note: String,
}

impl StaffingFields {
    pub fn of(s: &Staffing) -> StaffingFields {
        StaffingFields {
            placement: s.placement.code().to_owned(),
            time_share: s.time_share.map(|t| t.to_string()).unwrap_or_default(),
            background: s.background.code().to_owned(),
            absent_from: s.absent_from.map(|d| d.to_string()).unwrap_or_default(),
            absent_to: s.absent_to.map(|d| d.to_string()).unwrap_or_default(),
            absence_note: s.absence_note.clone().unwrap_or_default(),
        }
    }

    /// Checks the fields; every problem at once.
    pub fn check(&self) -> Result<Staffing, Errors> {
        let mut e = Errors::new();
        let placement = Placement::from_code(self.placement.trim()).unwrap_or_else(|| {
            e.add("placement", "配置（専任・兼務）を選んでください。");
            Placement::Dedicated
        });
        let background = Background::from_code(self.background.trim()).unwrap_or_else(|| {
            e.add(
                "background",
                "種別（医療型・福祉型・その他）を選んでください。",
            );
            Background::Welfare
        });
        let time_share = e.optional_number(
            "time_share",
            "業務の割合は1〜100（%）で入れてください。",
            &self.time_share,
            1..=100,
        );
        let absent_from =
            crate::agencies::parse_date(&mut e, "absent_from", "不在の開始日", &self.absent_from);
        let absent_to =
            crate::agencies::parse_date(&mut e, "absent_to", "不在の終了日", &self.absent_to);
        let absence_note = e.optional_line("absence_note", "不在の理由", &self.absence_note);
        let s = Staffing {
            placement,
            time_share: if placement == Placement::Concurrent {
                time_share
            } else {
                None
            },
            background,
            absent_from,
            absent_to,
            absence_note,
        };
        if let Some((field, message)) = s.problem() {
            if e.get(field).is_none() {
                e.add(field, message);
            }
        }
        e.into_result().map(|()| s)
    }
}
