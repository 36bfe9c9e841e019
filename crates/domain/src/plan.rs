//! Support plans (支援計画): how far a goal got at a plan review (モニタリング).

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
