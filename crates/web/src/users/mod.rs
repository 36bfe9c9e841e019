//! Accounts, managed by the administrator: the screens and the API.

pub mod api;
pub mod html;

use tsunagu_domain::{validation::Errors, AgencyId, AreaId, Role};

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
