//! Support plans (支援計画): how far a goal got at a plan review (モニタリング).

/// What Tsunagu calls the plan the coordinator writes, so it is never confused with the plans
/// other people write about the same child ([`OTHER_PLANS`]).
pub const COORDINATOR_PLAN: &str = "支援計画（コーディネーター作成）";

/// The plans a child may also have, by kind, and who writes each: shown beside the
/// coordinator's plan so a reader knows which one is meant.
pub const OTHER_PLANS: [(&str, &str); 3] = [
    (
        "障害児支援利用計画",
        "障害児相談支援事業所の相談支援専門員が作成します（児童発達支援・放課後等デイサービスなどの利用に必要）。",
    ),
    (
        "個別支援計画",
        "児童発達支援や放課後等デイサービスなどの事業所の児童発達支援管理責任者が作成します。",
    ),
    (
        "個別の教育支援計画",
        "学校・幼稚園が、家庭や関係機関と連携して作成します（特別支援教育）。",
    ),
];

/// The progress of one goal at a review, as 障害児支援利用計画 monitoring sheets put it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rating {
    Achieved,
    Partly,
    NotYet,
}

impl Rating {
    pub const ALL: [Rating; 3] = [Rating::Achieved, Rating::Partly, Rating::NotYet];

    pub fn code(self) -> &'static str {
        match self {
            Rating::Achieved => "achieved",
            Rating::Partly => "partly",
            Rating::NotYet => "not_yet",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Rating::Achieved => "達成",
            Rating::Partly => "一部達成",
            Rating::NotYet => "未達成",
        }
    }

    pub fn from_code(code: &str) -> Option<Rating> {
        Rating::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// The label of a stored rating code; empty for none or an unknown code.
pub fn rating_label(code: Option<&str>) -> &'static str {
    code.and_then(Rating::from_code).map_or("", Rating::label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rating_round_trips_through_its_code() {
        for r in Rating::ALL {
            assert_eq!(Rating::from_code(r.code()), Some(r));
            assert!(!r.label().is_empty());
        }
        assert_eq!(Rating::from_code("done"), None);
        assert_eq!(rating_label(Some("partly")), "一部達成");
        assert_eq!(rating_label(None), "");
    }
}
