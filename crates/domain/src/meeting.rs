//! Support meetings (支援会議): where a meeting stands, and how long an invitation ties the
//! invited agency to the child (PRODUCT.md's decision on meetings).

use time::{Date, Duration};

/// Where a meeting stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MeetingStatus {
    Scheduled,
    Held,
    Cancelled,
}

impl MeetingStatus {
    pub const ALL: [MeetingStatus; 3] = [
        MeetingStatus::Scheduled,
        MeetingStatus::Held,
        MeetingStatus::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MeetingStatus::Scheduled => "scheduled",
            MeetingStatus::Held => "held",
            MeetingStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MeetingStatus::Scheduled => "予定",
            MeetingStatus::Held => "開催済み",
            MeetingStatus::Cancelled => "中止",
        }
    }

    pub fn from_code(code: &str) -> Option<MeetingStatus> {
        MeetingStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Days after the meeting's date (or its cancellation) that an invitation still counts as the
/// invited agency's involvement with the child.
pub const INVITATION_DAYS: i64 = 30;

/// An agency's invitation to a meeting about a child, as the consent rule sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The meeting's date in Japan.
    pub meeting_on: Date,
    /// The day it was cancelled in Japan, if it was.
    pub cancelled_on: Option<Date>,
}

impl Invitation {
    /// The last day the invitation counts: 30 days after the meeting, or after its
    /// cancellation. A meeting left 「予定」 after its date does not count for ever.
    pub fn last_day(self) -> Date {
        self.cancelled_on.unwrap_or(self.meeting_on) + Duration::days(INVITATION_DAYS)
    }

    pub fn counts_on(self, today: Date) -> bool {
        today <= self.last_day()
    }
}

stored_code!(MeetingStatus);

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_invitation_counts_until_30_days_after_the_meeting_or_its_cancellation() {
        let held = Invitation {
            meeting_on: date!(2026 - 11 - 01),
            cancelled_on: None,
        };
        assert!(held.counts_on(date!(2026 - 10 - 01)), "before the meeting");
        assert!(held.counts_on(date!(2026 - 12 - 01)), "the 30th day after");
        assert!(!held.counts_on(date!(2026 - 12 - 02)));
        let cancelled = Invitation {
            meeting_on: date!(2027 - 03 - 01),
            cancelled_on: Some(date!(2026 - 11 - 01)),
        };
        assert!(cancelled.counts_on(date!(2026 - 12 - 01)));
        assert!(
            !cancelled.counts_on(date!(2026 - 12 - 02)),
            "a cancelled meeting stops counting 30 days after the cancellation"
        );
        for s in MeetingStatus::ALL {
            assert_eq!(MeetingStatus::from_code(s.code()), Some(s));
        }
    }
}
