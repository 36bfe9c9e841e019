//! Handover sheets (引継ぎシート): where a sheet stands.

/// Where a handover sheet stands: drafted by the coordinator, sent to the receiving agency,
/// acknowledged by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HandoverStatus {
    Draft,
    Sent,
    Acknowledged,
}

impl HandoverStatus {
    pub const ALL: [HandoverStatus; 3] = [
        HandoverStatus::Draft,
        HandoverStatus::Sent,
        HandoverStatus::Acknowledged,
    ];

    pub fn code(self) -> &'static str {
        match self {
            HandoverStatus::Draft => "draft",
            HandoverStatus::Sent => "sent",
            HandoverStatus::Acknowledged => "acknowledged",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HandoverStatus::Draft => "下書き",
            HandoverStatus::Sent => "送付済み（受領待ち）",
            HandoverStatus::Acknowledged => "受領済み",
        }
    }

    pub fn from_code(code: &str) -> Option<HandoverStatus> {
        HandoverStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Sent and not drafted: the receiving agency has it.
    pub fn is_sent(self) -> bool {
        self != HandoverStatus::Draft
    }
}

stored_code!(HandoverStatus);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in HandoverStatus::ALL {
            assert_eq!(HandoverStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(HandoverStatus::from_code("closed"), None);
    }
}
