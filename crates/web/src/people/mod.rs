//! People and areas on the web: each area's caseload (担当状況) with the coordinators'
//! placement and time, handing a case to a colleague (担当変更), transfers between areas
//! (移管), and secondary difficulties (二次障害) on the child.

pub mod caseload;
pub mod difficulties;
pub mod transfers;

use crate::{routing::Router, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(caseload::router())
        .merge(transfers::router())
        .merge(difficulties::router())
}

/// The menu entry these pages sit under: the supervisor's 担当状況, the coordinator's 子ども
/// (whose list links here).
pub fn menu_place(auth: &crate::auth::Auth) -> &'static str {
    if auth.actor.role == tsunagu_domain::Role::Supervisor {
        "/caseload"
    } else {
        "/children"
    }
}

/// Minutes as the screens say them: 「2時間30分」, 「45分」, 「0分」.
pub fn hours_and_minutes(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}分"),
        (h, 0) => format!("{h}時間"),
        (h, m) => format!("{h}時間{m}分"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn minutes_read_as_hours_and_minutes() {
        assert_eq!(super::hours_and_minutes(0), "0分");
        assert_eq!(super::hours_and_minutes(45), "45分");
        assert_eq!(super::hours_and_minutes(120), "2時間");
        assert_eq!(super::hours_and_minutes(150), "2時間30分");
    }
}
