//! Referrals (つなぎ): the coordinator connects a child to an agency and follows it until
//! answered. Who may move a referral from which state to which is decided here.

/// Where a referral stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Open,
    Accepted,
    Declined,
    Completed,
    Cancelled,
}

impl State {
    pub const ALL: [State; 5] = [
        State::Open,
        State::Accepted,
        State::Declined,
        State::Completed,
        State::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Accepted => "accepted",
            State::Declined => "declined",
            State::Completed => "completed",
            State::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Open => "回答待ち",
            State::Accepted => "受け入れ",
            State::Declined => "お断り",
            State::Completed => "完了",
            State::Cancelled => "取り消し",
        }
    }

    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Still waiting for or in the agency's hands: counts as the agency's involvement.
    pub fn is_live(self) -> bool {
        matches!(self, State::Open | State::Accepted)
    }
}

/// What someone does to a referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Accept,
    Decline,
    Complete,
    Cancel,
}

impl Action {
    pub fn from_code(code: &str) -> Option<Action> {
        match code {
            "accept" => Some(Action::Accept),
            "decline" => Some(Action::Decline),
            "complete" => Some(Action::Complete),
            "cancel" => Some(Action::Cancel),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Complete => "complete",
            Action::Cancel => "cancel",
        }
    }
}

/// Who is acting, as far as a referral is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// Staff of the agency the child is referred to.
    ReceivingAgency,
    /// A coordinator of the child's area.
    Coordinator,
    Other,
}

/// Why a transition is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not this party's step (403).
    NotYours,
    /// Not from this state (409): a declined referral cannot be completed.
    WrongState,
}

/// The next state, or why not: only the receiving agency accepts, declines or completes; only a
/// coordinator cancels; each from its own states.
pub fn transition(state: State, action: Action, party: Party) -> Result<State, Refused> {
    let owner = match action {
        Action::Accept | Action::Decline | Action::Complete => Party::ReceivingAgency,
        Action::Cancel => Party::Coordinator,
    };
    if party != owner {
        return Err(Refused::NotYours);
    }
    match (state, action) {
        (State::Open, Action::Accept) => Ok(State::Accepted),
        (State::Open, Action::Decline) => Ok(State::Declined),
        (State::Accepted, Action::Complete) => Ok(State::Completed),
        (State::Open | State::Accepted, Action::Cancel) => Ok(State::Cancelled),
        _ => Err(Refused::WrongState),
    }
}

stored_code!(State);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_action_and_party() {
        use Action::*;
        use Party::*;
        use State::*;
        for state in State::ALL {
            for action in [Accept, Decline, Complete, Cancel] {
                for party in [ReceivingAgency, Coordinator, Other] {
                    let want = match (state, action, party) {
                        (Open, Accept, ReceivingAgency) => Ok(Accepted),
                        (Open, Decline, ReceivingAgency) => Ok(Declined),
                        (Accepted, Complete, ReceivingAgency) => Ok(Completed),
                        (Open | Accepted, Cancel, Coordinator) => Ok(Cancelled),
                        (_, Accept | Decline | Complete, Coordinator | Other) => {
                            Err(Refused::NotYours)
                        }
                        (_, Cancel, ReceivingAgency | Other) => Err(Refused::NotYours),
                        _ => Err(Refused::WrongState),
                    };
                    assert_eq!(
                        transition(state, action, party),
                        want,
                        "{state:?} {action:?} {party:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_declined_referral_cannot_be_completed() {
        assert_eq!(
            transition(State::Declined, Action::Complete, Party::ReceivingAgency),
            Err(Refused::WrongState)
        );
        assert!(State::Accepted.is_live() && !State::Declined.is_live());
    }
}
