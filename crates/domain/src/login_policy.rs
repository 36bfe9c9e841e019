//! When failed logins lock an account and when a client address is slowed down.

use time::{Duration, OffsetDateTime};

/// Failures in a row after which an account locks.
pub const MAX_FAILURES: i64 = 10;
/// How long a locked account stays locked.
pub const LOCK_DURATION: Duration = Duration::minutes(15);
/// Failures from one address within [`ADDRESS_WINDOW`] after which that address must wait.
pub const MAX_ADDRESS_FAILURES: i64 = 30;
pub const ADDRESS_WINDOW: Duration = Duration::minutes(15);

/// The account's state after one more failed attempt: the new count, and the lock if it starts now.
pub fn after_failure(failures_before: i64, now: OffsetDateTime) -> (i64, Option<OffsetDateTime>) {
    let failures = failures_before + 1;
    if failures >= MAX_FAILURES {
        (failures, Some(now + LOCK_DURATION))
    } else {
        (failures, None)
    }
}

pub fn is_locked(locked_until: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    locked_until.is_some_and(|until| until > now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_tenth_failure_locks_for_fifteen_minutes() {
        let now = datetime!(2026-04-01 09:00 UTC);
        assert_eq!(after_failure(8, now), (9, None));
        let (n, lock) = after_failure(9, now);
        assert_eq!(n, 10);
        assert_eq!(lock, Some(datetime!(2026-04-01 09:15 UTC)));
        assert!(is_locked(lock, datetime!(2026-04-01 09:14:59 UTC)));
        assert!(!is_locked(lock, datetime!(2026-04-01 09:15 UTC)));
    }
}
