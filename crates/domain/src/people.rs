//! People and areas as they are: a coordinator's placement and background, the caseload limit
//! that follows from them, transfers of a child between areas (移管), and secondary
//! difficulties (二次障害) followed on the child.

coded!(
    /// How a coordinator is placed in the post (seed: 専任の配置).
    Placement {
        /// 専任: the whole of their time.
        Dedicated = "dedicated", "専任";
        /// 兼務: a share of their time, beside other duties.
        Concurrent = "concurrent", "兼務";
    }
);

coded!(
    /// The coordinator's background, as the seed names the two kinds.
    Background {
        Medical = "medical", "医療型";
        Welfare = "welfare", "福祉型";
        Other = "other", "その他";
    }
);

coded!(
    /// Who runs an area's coordination (委託先).
    OperatorKind {
        /// 市町村直営.
        Municipal = "municipal", "市町村直営";
        /// Entrusted to a corporation (委託).
        Entrusted = "entrusted", "委託";
    }
);

coded!(
    /// Where a transfer between areas stands.
    TransferStatus {
        Proposed = "proposed", "受け入れ待ち";
        Accepted = "accepted", "移管済み";
        Declined = "declined", "受け入れ不可";
        Withdrawn = "withdrawn", "取り下げ";
    }
);

coded!(
    /// A secondary difficulty (二次障害): what arose on top of the first concern.
    DifficultyKind {
        SchoolRefusal = "school_refusal", "不登校";
        SelfHarm = "self_harm", "自傷";
        Depression = "depression", "抑うつ";
        Anxiety = "anxiety", "不安";
        Behaviour = "behaviour", "行動上の問題";
        Other = "other", "その他";
    }
);

coded!(
    /// Where a secondary difficulty stands; the first three are still followed.
    DifficultyStatus {
        Watching = "watching", "経過観察中";
        Supporting = "supporting", "対応中";
        Eased = "eased", "改善傾向";
        Resolved = "resolved", "解消";
    }
);

impl DifficultyStatus {
    /// Still followed: everything but 解消.
    pub fn is_open(self) -> bool {
        self != DifficultyStatus::Resolved
    }
}

/// The caseload above which a coordinator is flagged: the area's limit for a full-time post,
/// scaled by a 兼務 coordinator's share of time (rounded down, at least 1).
pub fn caseload_limit(
    area_limit: Option<i64>,
    placement: Placement,
    time_share: Option<i64>,
) -> Option<i64> {
    let limit = area_limit.filter(|l| *l > 0)?;
    Some(match placement {
        Placement::Dedicated => limit,
        Placement::Concurrent => {
            let share = time_share.unwrap_or(100).clamp(1, 100);
            (limit * share / 100).max(1)
        }
    })
}

/// The time share as the screens say it: 「専任」, 「兼務（50%）」.
pub fn placement_label(placement: Placement, time_share: Option<i64>) -> String {
    match (placement, time_share) {
        (Placement::Concurrent, Some(share)) => format!("兼務（{share}%）"),
        (p, _) => p.label().to_owned(),
    }
}

/// Whether an absence from `from` to `to` (both days included; an open end runs on) covers `day`.
pub fn absent_on(from: Option<time::Date>, to: Option<time::Date>, day: time::Date) -> bool {
    match from {
        Some(from) => from <= day && to.is_none_or(|to| day <= to),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_concurrent_share_scales_the_areas_limit() {
        assert_eq!(
            caseload_limit(Some(60), Placement::Dedicated, None),
            Some(60)
        );
        assert_eq!(
            caseload_limit(Some(60), Placement::Dedicated, Some(50)),
            Some(60)
        );
        assert_eq!(
            caseload_limit(Some(60), Placement::Concurrent, Some(50)),
            Some(30)
        );
        assert_eq!(
            caseload_limit(Some(60), Placement::Concurrent, Some(1)),
            Some(1)
        );
        assert_eq!(
            caseload_limit(Some(60), Placement::Concurrent, None),
            Some(60)
        );
        assert_eq!(caseload_limit(None, Placement::Dedicated, None), None);
        assert_eq!(caseload_limit(Some(0), Placement::Dedicated, None), None);
    }

    #[test]
    fn an_absence_covers_its_first_and_last_day() {
        let (from, to) = (Some(date!(2026 - 12 - 01)), Some(date!(2026 - 12 - 10)));
        assert!(!absent_on(from, to, date!(2026 - 11 - 30)));
        assert!(absent_on(from, to, date!(2026 - 12 - 01)));
        assert!(absent_on(from, to, date!(2026 - 12 - 10)));
        assert!(!absent_on(from, to, date!(2026 - 12 - 11)));
        assert!(absent_on(from, None, date!(2027 - 03 - 01)), "open end");
        assert!(
            !absent_on(None, to, date!(2026 - 12 - 05)),
            "no start, no absence"
        );
    }

    #[test]
    fn codes_round_trip_and_labels_are_japanese() {
        for k in DifficultyKind::ALL {
            assert_eq!(DifficultyKind::from_code(k.code()), Some(*k));
        }
        assert_eq!(
            placement_label(Placement::Concurrent, Some(50)),
            "兼務（50%）"
        );
        assert_eq!(
            TransferStatus::from_code("proposed"),
            Some(TransferStatus::Proposed)
        );
        assert!(!DifficultyStatus::Resolved.is_open());
    }
}
