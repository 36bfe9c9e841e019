//! Who is acting. Every store function that reads or changes personal data takes an [`Actor`];
//! the consent rule for children joins this module with the child-record feature.

use crate::{AgencyId, AreaId, Role, UserId};

/// The logged-in user on whose behalf something is read or changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub area_ids: Vec<AreaId>,
    pub agency_id: Option<AgencyId>,
}

impl Actor {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    /// Whether this user works in (coordinator) or oversees (supervisor) the area.
    pub fn serves_area(&self, area: AreaId) -> bool {
        self.role.needs_areas() && self.area_ids.contains(&area)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, areas: &[i64]) -> Actor {
        Actor {
            user_id: UserId(1),
            login: "u".into(),
            display_name: "u".into(),
            role,
            area_ids: areas.iter().copied().map(AreaId).collect(),
            agency_id: None,
        }
    }

    #[test]
    fn a_coordinator_serves_only_assigned_areas() {
        let a = actor(Role::Coordinator, &[1, 3]);
        assert!(a.serves_area(AreaId(1)));
        assert!(!a.serves_area(AreaId(2)));
    }

    #[test]
    fn an_admin_with_stray_area_rows_serves_none() {
        // Roles without areas never gain one from stale assignment rows.
        assert!(!actor(Role::Admin, &[1]).serves_area(AreaId(1)));
        assert!(!actor(Role::Committee, &[1]).serves_area(AreaId(1)));
    }
}
