//! The five roles of PRODUCT.md and what each may reach in general.

use serde::{Deserialize, Serialize};

/// What a user is to Tsunagu. The code names are stable: the API, the CLI and the database use them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 療育支援コーディネーター: everything about the children of their areas.
    Coordinator,
    /// 市町村担当者: reads the children of their areas, statistics, challenges.
    Supervisor,
    /// 関係機関の職員: only children shared with their agency under the consent rule.
    AgencyStaff,
    /// 県・療育支援専門部会: aggregate figures and challenges, never a child's identity.
    Committee,
    /// システム管理者: users, areas, master data, audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Coordinator,
        Role::Supervisor,
        Role::AgencyStaff,
        Role::Committee,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Supervisor => "supervisor",
            Role::AgencyStaff => "agency_staff",
            Role::Committee => "committee",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Coordinator => "療育支援コーディネーター",
            Role::Supervisor => "市町村担当者",
            Role::AgencyStaff => "関係機関職員",
            Role::Committee => "療育支援専門部会",
            Role::Admin => "システム管理者",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    /// Coordinators and supervisors work in areas; the other roles are not tied to one.
    pub fn needs_areas(self) -> bool {
        matches!(self, Role::Coordinator | Role::Supervisor)
    }

    /// Administrators and coordinators hold the keys to every child of an area (or all of
    /// them): they must log in with a second factor when the switch for it is on.
    pub fn needs_second_factor(self) -> bool {
        matches!(self, Role::Coordinator | Role::Admin)
    }

    /// Agency staff belong to exactly one agency.
    pub fn needs_agency(self) -> bool {
        matches!(self, Role::AgencyStaff)
    }

    /// What is wrong with giving this role these areas and this agency, as (field, message).
    pub fn assignment_problem(
        self,
        has_areas: bool,
        has_agency: bool,
    ) -> Option<(&'static str, &'static str)> {
        if self.needs_areas() && !has_areas {
            Some(("area_ids", "この役割には担当地域を1つ以上選んでください。"))
        } else if self.needs_agency() && !has_agency {
            Some(("agency_id", "関係機関職員には所属機関を選んでください。"))
        } else if !self.needs_agency() && has_agency {
            Some(("agency_id", "所属機関は関係機関職員にだけ設定できます。"))
        } else {
            None
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Role::from_code(&code).ok_or(code)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code("root"), None);
    }

    #[test]
    fn assignments_follow_the_role() {
        assert_eq!(
            Role::Coordinator
                .assignment_problem(false, false)
                .map(|p| p.0),
            Some("area_ids")
        );
        assert_eq!(Role::Coordinator.assignment_problem(true, false), None);
        assert_eq!(
            Role::AgencyStaff
                .assignment_problem(false, false)
                .map(|p| p.0),
            Some("agency_id")
        );
        assert_eq!(
            Role::Committee.assignment_problem(false, true).map(|p| p.0),
            Some("agency_id")
        );
        assert_eq!(Role::Admin.assignment_problem(false, false), None);
    }

    #[test]
    fn only_area_roles_need_areas() {
        assert!(Role::Coordinator.needs_areas());
        assert!(Role::Supervisor.needs_areas());
        assert!(!Role::Committee.needs_areas());
        assert!(Role::AgencyStaff.needs_agency());
        assert!(!Role::Admin.needs_agency());
    }
}
