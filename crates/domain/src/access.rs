//! Who is acting. Every store function that reads or changes personal data takes an [`Actor`];
//! the consent rule for children joins this module with the child-record feature.

use time::Date;

use crate::{
    handover::HandoverStatus, meeting::Invitation, referral, AgencyId, AreaId, ConsentId, Role,
    UserId,
};

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

/// The parts of a child's record a consent can share with an agency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SharePart {
    Profile,
    Accommodations,
    CareTeam,
    Consultations,
    Documents,
    /// 支援計画（役割分担）: the current plan's goals and who does what.
    Plan,
}

impl SharePart {
    pub const ALL: [SharePart; 6] = [
        SharePart::Profile,
        SharePart::Accommodations,
        SharePart::CareTeam,
        SharePart::Consultations,
        SharePart::Documents,
        SharePart::Plan,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SharePart::Profile => "profile",
            SharePart::Accommodations => "accommodations",
            SharePart::CareTeam => "care_team",
            SharePart::Consultations => "consultations",
            SharePart::Documents => "documents",
            SharePart::Plan => "plan",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SharePart::Profile => "基本情報",
            SharePart::Accommodations => "配慮事項",
            SharePart::CareTeam => "支援チーム",
            SharePart::Consultations => "相談の概要",
            SharePart::Documents => "添付書類",
            SharePart::Plan => "支援計画（役割分担）",
        }
    }

    pub fn from_code(code: &str) -> Option<SharePart> {
        SharePart::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// Why information may go to an agency: the guardian's consent, or the legal basis of the
/// 要保護児童対策地域協議会 (児童福祉法).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    Consent,
    Legal,
}

/// One consent (or legal-basis record) of a child, as the rule needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub id: ConsentId,
    pub kind: GrantKind,
    pub agencies: Vec<AgencyId>,
    /// Agency kinds the consent names instead of single agencies.
    pub agency_kinds: Vec<i64>,
    pub parts: Vec<SharePart>,
    pub valid_from: Date,
    pub valid_to: Option<Date>,
    pub revoked_on: Option<Date>,
}

impl Grant {
    /// In force on `today`: started, not expired, not revoked.
    pub fn in_force(&self, today: Date) -> bool {
        self.valid_from <= today
            && self.valid_to.is_none_or(|to| today <= to)
            && self.revoked_on.is_none_or(|r| today < r)
    }

    /// Whether it names the agency, itself or by its kind.
    pub fn names(&self, agency: AgencyId, agency_kind: Option<i64>) -> bool {
        self.agencies.contains(&agency)
            || agency_kind.is_some_and(|k| self.agency_kinds.contains(&k))
    }
}

/// The acting agency's ties to one child, as PRODUCT.md's rule names them: on the child's care
/// team now, or an open referral, handover or meeting invitation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Involvement {
    /// Care-team memberships: from, and the day it ended (that day no longer counts).
    pub memberships: Vec<(Date, Option<Date>)>,
    /// The agency's referrals for the child.
    pub referrals: Vec<referral::State>,
    /// Its invitations to the child's support meetings.
    pub invitations: Vec<Invitation>,
    /// Handover sheets to it: where each stands, and whether its feedback after the move came.
    pub handovers: Vec<(HandoverStatus, bool)>,
}

impl Involvement {
    /// Whether the agency is involved with the child on `today`.
    pub fn holds(&self, today: Date) -> bool {
        self.memberships
            .iter()
            .any(|(from, to)| *from <= today && to.is_none_or(|t| t > today))
            || self.referrals.iter().any(|s| s.is_live())
            || self.invitations.iter().any(|i| i.counts_on(today))
            // A sent sheet ties the agency until it answers with its feedback after the move.
            || self
                .handovers
                .iter()
                .any(|(status, fed_back)| status.is_sent() && !fed_back)
    }
}

/// What the rule needs to know of one child and of the acting user's agency.
#[derive(Clone, Debug, Default)]
pub struct ChildFacts {
    pub area: Option<AreaId>,
    pub closed: bool,
    pub grants: Vec<Grant>,
    /// The acting agency user's agency kind.
    pub agency_kind: Option<i64>,
    /// The acting agency's ties to the child (empty for everyone else).
    pub involvement: Involvement,
}

/// What the user wants to do with the child's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Read,
    /// Change the record (coordinators of the area only; not while closed).
    Write,
    /// Close or reopen the case.
    ChangeStatus,
}

/// On what ground a user sees a child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    AreaCoordinator(AreaId),
    AreaSupervisor(AreaId),
    Consent {
        grant_id: ConsentId,
        parts: Vec<SharePart>,
    },
    LegalBasis {
        grant_id: ConsentId,
        parts: Vec<SharePart>,
    },
}

impl Basis {
    /// Whether the user sees every part, internal notes included (the area's own staff).
    pub fn sees_everything(&self) -> bool {
        matches!(self, Basis::AreaCoordinator(_) | Basis::AreaSupervisor(_))
    }

    /// The parts an agency user may see; every part for the area's staff.
    pub fn parts(&self) -> Vec<SharePart> {
        match self {
            Basis::AreaCoordinator(_) | Basis::AreaSupervisor(_) => SharePart::ALL.to_vec(),
            Basis::Consent { parts, .. } | Basis::LegalBasis { parts, .. } => parts.clone(),
        }
    }

    /// How the disclosure record names it.
    pub fn code(&self) -> String {
        match self {
            Basis::AreaCoordinator(a) => format!("coordinator:area{a}"),
            Basis::AreaSupervisor(a) => format!("supervisor:area{a}"),
            Basis::Consent { grant_id, .. } => format!("consent:{grant_id}"),
            Basis::LegalBasis { grant_id, .. } => format!("legal:{grant_id}"),
        }
    }
}

/// Why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The user may not know the child exists: answered exactly like a child that does not exist.
    NotVisible,
    /// The user sees the child but may not do this (403).
    NotAllowed,
    /// The case is closed: read-only until reopened.
    Closed,
}

/// PRODUCT.md's consent rule, the one place it is decided.
///
/// - A coordinator sees and changes the children of their areas; a supervisor reads them.
/// - An agency user sees a child only while both hold: a grant in force names their agency (or
///   its kind), and their agency is involved with the child now. They see only the granted parts.
/// - Administrators and the committee never see a child.
pub fn child_access(
    actor: &Actor,
    facts: &ChildFacts,
    today: Date,
    purpose: Purpose,
) -> Result<Basis, Refusal> {
    let area = facts.area.ok_or(Refusal::NotVisible)?;
    let basis = match actor.role {
        Role::Coordinator if actor.serves_area(area) => Basis::AreaCoordinator(area),
        Role::Supervisor if actor.serves_area(area) => Basis::AreaSupervisor(area),
        Role::AgencyStaff => {
            let agency = actor.agency_id.ok_or(Refusal::NotVisible)?;
            if !facts.involvement.holds(today) {
                return Err(Refusal::NotVisible);
            }
            // Several grants may apply: the union of their parts, on the basis of the first.
            let grants: Vec<&Grant> = facts
                .grants
                .iter()
                .filter(|g| g.in_force(today) && g.names(agency, facts.agency_kind))
                .collect();
            let first = grants.first().ok_or(Refusal::NotVisible)?;
            let mut parts: Vec<SharePart> = grants
                .iter()
                .flat_map(|g| g.parts.iter().copied())
                .collect();
            parts.sort();
            parts.dedup();
            match first.kind {
                GrantKind::Consent => Basis::Consent {
                    grant_id: first.id,
                    parts,
                },
                GrantKind::Legal => Basis::LegalBasis {
                    grant_id: first.id,
                    parts,
                },
            }
        }
        _ => return Err(Refusal::NotVisible),
    };
    match purpose {
        Purpose::Read => Ok(basis),
        Purpose::Write | Purpose::ChangeStatus if !matches!(basis, Basis::AreaCoordinator(_)) => {
            Err(Refusal::NotAllowed)
        }
        Purpose::Write if facts.closed => Err(Refusal::Closed),
        Purpose::Write | Purpose::ChangeStatus => Ok(basis),
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const TODAY: time::Date = date!(2026 - 11 - 25);

    fn user(role: Role, areas: &[i64], agency: Option<i64>) -> Actor {
        Actor {
            user_id: UserId(9),
            login: "u".into(),
            display_name: "u".into(),
            role,
            area_ids: areas.iter().copied().map(AreaId).collect(),
            agency_id: agency.map(AgencyId),
        }
    }

    fn grant(kind: GrantKind, to: Option<time::Date>, revoked: Option<time::Date>) -> Grant {
        Grant {
            id: ConsentId(7),
            kind,
            agencies: vec![AgencyId(5)],
            agency_kinds: vec![],
            parts: vec![SharePart::Profile, SharePart::Accommodations],
            valid_from: date!(2026 - 04 - 01),
            valid_to: to,
            revoked_on: revoked,
        }
    }

    /// Involved through a care-team membership that started before today and goes on.
    fn involvement(involved: bool) -> Involvement {
        Involvement {
            memberships: if involved {
                vec![(date!(2026 - 04 - 01), None)]
            } else {
                vec![]
            },
            ..Involvement::default()
        }
    }

    fn facts(grants: Vec<Grant>, involved: bool) -> ChildFacts {
        ChildFacts {
            area: Some(AreaId(1)),
            closed: false,
            grants,
            agency_kind: Some(3),
            involvement: involvement(involved),
        }
    }

    #[test]
    fn roles_times_consent_states_times_involvement() {
        let staff = user(Role::AgencyStaff, &[], Some(5));
        let other_staff = user(Role::AgencyStaff, &[], Some(6));
        let active = grant(GrantKind::Consent, None, None);
        let expired = grant(GrantKind::Consent, Some(date!(2026 - 11 - 24)), None);
        let revoked = grant(GrantKind::Consent, None, Some(date!(2026 - 11 - 25)));
        let legal = grant(GrantKind::Legal, None, None);
        let not_yet = Grant {
            valid_from: date!(2026 - 12 - 01),
            ..active.clone()
        };
        // (case, user, the child's grants, the user's agency involved now, expected)
        type Case<'a> = (&'a str, &'a Actor, Vec<Grant>, bool, Result<(), Refusal>);
        let cases: Vec<Case> = vec![
            ("no consent", &staff, vec![], true, Err(Refusal::NotVisible)),
            (
                "active consent, involved",
                &staff,
                vec![active.clone()],
                true,
                Ok(()),
            ),
            (
                "active consent, not involved",
                &staff,
                vec![active.clone()],
                false,
                Err(Refusal::NotVisible),
            ),
            (
                "expired consent",
                &staff,
                vec![expired],
                true,
                Err(Refusal::NotVisible),
            ),
            (
                "revoked today",
                &staff,
                vec![revoked],
                true,
                Err(Refusal::NotVisible),
            ),
            (
                "not yet valid",
                &staff,
                vec![not_yet],
                true,
                Err(Refusal::NotVisible),
            ),
            ("legal basis", &staff, vec![legal], true, Ok(())),
            (
                "consent names another agency",
                &other_staff,
                vec![active.clone()],
                true,
                Err(Refusal::NotVisible),
            ),
        ];
        for (name, actor, grants, involved, want) in cases {
            let got =
                child_access(actor, &facts(grants, involved), TODAY, Purpose::Read).map(|_| ());
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn area_staff_and_others() {
        let f = facts(vec![], false);
        assert_eq!(
            child_access(
                &user(Role::Coordinator, &[1], None),
                &f,
                TODAY,
                Purpose::Write
            ),
            Ok(Basis::AreaCoordinator(AreaId(1)))
        );
        assert_eq!(
            child_access(
                &user(Role::Coordinator, &[2], None),
                &f,
                TODAY,
                Purpose::Read
            ),
            Err(Refusal::NotVisible)
        );
        assert_eq!(
            child_access(
                &user(Role::Supervisor, &[1], None),
                &f,
                TODAY,
                Purpose::Read
            ),
            Ok(Basis::AreaSupervisor(AreaId(1)))
        );
        assert_eq!(
            child_access(
                &user(Role::Supervisor, &[1], None),
                &f,
                TODAY,
                Purpose::Write
            ),
            Err(Refusal::NotAllowed)
        );
        assert_eq!(
            child_access(&user(Role::Admin, &[], None), &f, TODAY, Purpose::Read),
            Err(Refusal::NotVisible)
        );
        assert_eq!(
            child_access(&user(Role::Committee, &[], None), &f, TODAY, Purpose::Read),
            Err(Refusal::NotVisible)
        );
        let closed = ChildFacts { closed: true, ..f };
        let coordinator = user(Role::Coordinator, &[1], None);
        assert_eq!(
            child_access(&coordinator, &closed, TODAY, Purpose::Write),
            Err(Refusal::Closed)
        );
        assert!(
            child_access(&coordinator, &closed, TODAY, Purpose::ChangeStatus).is_ok(),
            "reopening is allowed"
        );
    }

    #[test]
    fn agency_staff_see_only_granted_parts_and_never_write() {
        let staff = user(Role::AgencyStaff, &[], Some(5));
        let mut by_kind = grant(GrantKind::Consent, None, None);
        by_kind.agencies.clear();
        by_kind.agency_kinds = vec![3];
        by_kind.parts = vec![SharePart::CareTeam];
        let f = facts(vec![grant(GrantKind::Consent, None, None), by_kind], true);
        let basis = child_access(&staff, &f, TODAY, Purpose::Read).expect("visible");
        assert!(!basis.sees_everything());
        assert_eq!(
            basis.parts(),
            vec![
                SharePart::Profile,
                SharePart::Accommodations,
                SharePart::CareTeam
            ]
        );
        assert_eq!(
            child_access(&staff, &f, TODAY, Purpose::Write),
            Err(Refusal::NotAllowed)
        );
    }

    #[test]
    fn every_tie_involves_until_it_ends() {
        use crate::{handover::HandoverStatus as H, meeting::Invitation, referral::State as R};
        let none = Involvement::default();
        assert!(!none.holds(TODAY));
        let cases: Vec<(&str, Involvement, bool)> = vec![
            (
                "member since today",
                Involvement {
                    memberships: vec![(TODAY, None)],
                    ..none.clone()
                },
                true,
            ),
            (
                "member from tomorrow",
                Involvement {
                    memberships: vec![(date!(2026 - 11 - 26), None)],
                    ..none.clone()
                },
                false,
            ),
            (
                "membership ended today",
                Involvement {
                    memberships: vec![(date!(2026 - 01 - 01), Some(TODAY))],
                    ..none.clone()
                },
                false,
            ),
            (
                "membership ends tomorrow",
                Involvement {
                    memberships: vec![(date!(2026 - 01 - 01), Some(date!(2026 - 11 - 26)))],
                    ..none.clone()
                },
                true,
            ),
            (
                "open referral",
                Involvement {
                    referrals: vec![R::Open],
                    ..none.clone()
                },
                true,
            ),
            (
                "accepted referral",
                Involvement {
                    referrals: vec![R::Accepted],
                    ..none.clone()
                },
                true,
            ),
            (
                "answered referrals",
                Involvement {
                    referrals: vec![R::Declined, R::Completed, R::Cancelled],
                    ..none.clone()
                },
                false,
            ),
            (
                "meeting 30 days ago",
                Involvement {
                    invitations: vec![Invitation {
                        meeting_on: date!(2026 - 10 - 26),
                        cancelled_on: None,
                    }],
                    ..none.clone()
                },
                true,
            ),
            (
                "meeting 31 days ago",
                Involvement {
                    invitations: vec![Invitation {
                        meeting_on: date!(2026 - 10 - 25),
                        cancelled_on: None,
                    }],
                    ..none.clone()
                },
                false,
            ),
            (
                "draft sheet",
                Involvement {
                    handovers: vec![(H::Draft, false)],
                    ..none.clone()
                },
                false,
            ),
            (
                "sent sheet",
                Involvement {
                    handovers: vec![(H::Sent, false)],
                    ..none.clone()
                },
                true,
            ),
            (
                "acknowledged sheet",
                Involvement {
                    handovers: vec![(H::Acknowledged, false)],
                    ..none.clone()
                },
                true,
            ),
            (
                "sheet answered with feedback",
                Involvement {
                    handovers: vec![(H::Acknowledged, true)],
                    ..none.clone()
                },
                false,
            ),
        ];
        for (name, inv, want) in cases {
            assert_eq!(inv.holds(TODAY), want, "{name}");
        }
    }

    proptest! {
        #[test]
        fn a_revoked_consent_never_grants_access(
            revoked_days_ago in 0i64..2000, valid_days in 0i64..4000, involved: bool, role_n in 0usize..5,
        ) {
            let revoked_on = TODAY - time::Duration::days(revoked_days_ago);
            let g = Grant { valid_to: Some(TODAY + time::Duration::days(valid_days)), revoked_on: Some(revoked_on), ..grant(GrantKind::Consent, None, None) };
            let actor = user(Role::ALL[role_n], &[], Some(5));
            let f = ChildFacts { area: Some(AreaId(1)), closed: false, grants: vec![g], agency_kind: Some(3), involvement: involvement(involved) };
            prop_assert!(child_access(&actor, &f, TODAY, Purpose::Read).is_err());
        }

        #[test]
        fn the_committee_and_admins_never_see_a_child(area_n in 1i64..5, involved: bool) {
            let f = ChildFacts { area: Some(AreaId(area_n)), closed: false, grants: vec![grant(GrantKind::Legal, None, None)], agency_kind: Some(3), involvement: involvement(involved) };
            for role in [Role::Committee, Role::Admin] {
                prop_assert_eq!(child_access(&user(role, &[area_n], Some(5)), &f, TODAY, Purpose::Read), Err(Refusal::NotVisible));
            }
        }
    }
}
