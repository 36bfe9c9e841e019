//! Each coordinator's caseload in an area (担当状況): the active children they carry by life
//! stage and by need, their children's open referrals and meetings in the month, and the time
//! they recorded (consultations, visits, meetings), with the area's total and the flag for a
//! load above the area's limit (scaled by a 兼務 share). Aggregates only, from indexes alone:
//! six statements whatever the number of children.

use std::collections::HashMap;

use serde::Serialize;
use time::{Date, Month, OffsetDateTime, Time};
use tsunagu_domain::{
    japanese_date::JST,
    people,
    school_year::{self, Phase},
    AreaId, Role,
};

use crate::{
    audit::{Event, Outcome},
    db::query,
    evaluation::families::NEEDS,
    staffing::Staffing,
    Error, Result, Unit,
};

/// The life stages in the order the page shows them.
pub const PHASES: [Phase; 6] = [
    Phase::Infancy,
    Phase::Preschool,
    Phase::Elementary,
    Phase::JuniorHigh,
    Phase::HighSchool,
    Phase::Adult,
];

/// One row of the page: a coordinator, or the children without one (`user_id` none).
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Load {
    pub user_id: Option<i64>,
    pub display_name: String,
    #[schema(value_type = Option<Object>)]
    pub staffing: Option<Staffing>,
    /// Absent today.
    pub absent: bool,
    /// Active children carried as 担当.
    pub active: i64,
    /// Of them, by life stage in the order of [`PHASES`].
    pub by_stage: Vec<i64>,
    /// Of them, with each need in the order of [`need_labels`].
    pub by_need: Vec<i64>,
    /// Children carried as 副担当.
    pub deputy_of: i64,
    pub open_referrals: i64,
    pub meetings_in_month: i64,
    /// Minutes recorded in the month, by what.
    pub consultation_minutes: i64,
    pub visit_minutes: i64,
    pub meeting_minutes: i64,
    /// The flag's threshold for this coordinator, and whether the load is above it.
    pub limit: Option<i64>,
    pub over_limit: bool,
}

impl Load {
    pub fn minutes(&self) -> i64 {
        self.consultation_minutes + self.visit_minutes + self.meeting_minutes
    }

    fn add(&mut self, other: &Load) {
        self.active += other.active;
        for (a, b) in self.by_stage.iter_mut().zip(&other.by_stage) {
            *a += b;
        }
        for (a, b) in self.by_need.iter_mut().zip(&other.by_need) {
            *a += b;
        }
        self.deputy_of += other.deputy_of;
        self.open_referrals += other.open_referrals;
        self.meetings_in_month += other.meetings_in_month;
        self.consultation_minutes += other.consultation_minutes;
        self.visit_minutes += other.visit_minutes;
        self.meeting_minutes += other.meeting_minutes;
    }

    fn empty(name: &str) -> Load {
        Load {
            display_name: name.to_owned(),
            by_stage: vec![0; PHASES.len()],
            by_need: vec![0; NEEDS.len()],
            ..Load::default()
        }
    }
}

/// The needs' labels, in the order of [`Load::by_need`].
pub fn need_labels() -> Vec<&'static str> {
    NEEDS.iter().map(|(_, l)| *l).collect()
}

/// The area's caseload page for one month.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Caseload {
    pub area_id: i64,
    pub area_name: String,
    pub caseload_limit: Option<i64>,
    /// The month, as its first day.
    #[schema(value_type = String, format = Date)]
    pub month: Date,
    pub coordinators: Vec<Load>,
    /// Active children with no 担当 among the area's coordinators.
    pub unassigned: Load,
    pub total: Load,
}

/// The first instant of the day in Japan, in UTC.
fn start_of(day: Date) -> OffsetDateTime {
    day.with_time(Time::MIDNIGHT)
        .assume_offset(JST)
        .to_offset(time::UtcOffset::UTC)
}

/// The first day of the next month.
pub fn next_month(first: Date) -> Date {
    let (y, m) = if first.month() == Month::December {
        (first.year() + 1, Month::January)
    } else {
        (first.year(), first.month().next())
    };
    Date::from_calendar_date(y, m, 1).unwrap_or(first)
}

/// The caseload of `area` in the month starting on `month` (its first day): its coordinators
/// and supervisors only; anyone else is refused and the refusal audited.
pub async fn caseload(u: &mut Unit, area: AreaId, month: Date, today: Date) -> Result<Caseload> {
    let actor = u.actor()?;
    if !matches!(actor.role, Role::Coordinator | Role::Supervisor) || !actor.serves_area(area) {
        u.audit(
            Event::new("caseload.read")
                .object("area", area)
                .outcome(Outcome::Denied),
        );
        return Err(Error::Forbidden);
    }
    let detail = crate::areas::area(&mut *u, area).await?;
    let colleagues = crate::staffing::colleagues(&mut *u, &[area]).await?;
    let fy = school_year::fiscal_year(today);
    let edges = school_year::phase_edges(fy);
    let (from, until) = (start_of(month), start_of(next_month(month)));

    // The active children by 担当 and life stage (the birth date's edges) with each need, then
    // their open referrals and meetings of the month: each a pass over the area's children in
    // the covering index `children_caseload`, counted per child through that child's covering
    // index. Starting from the referrals instead read every open one of the prefecture (126 ms).
    let mut stage_case = String::from("CASE");
    for (i, (_, phase)) in edges.iter().enumerate() {
        let index = PHASES.iter().position(|p| p == phase).unwrap_or(0);
        stage_case.push_str(&format!(" WHEN c.birth_date <= ${} THEN {index}", i + 2));
    }
    stage_case.push_str(" ELSE 0 END");
    // The certificates and 受給者証 a child holds, per child from the covering indexes (codes are
    // constants); 医療的ケア and 診断あり below, from their partial indexes.
    let needs: Vec<String> = NEEDS
        .iter()
        .filter_map(|(code, _)| match *code {
            "benefit" => Some(
                "EXISTS (SELECT 1 FROM benefit_certificates x WHERE x.child_id = c.id)".to_owned(),
            ),
            "medical" | "diagnosis" => None,
            kind => Some(format!(
                "EXISTS (SELECT 1 FROM certificates x WHERE x.child_id = c.id AND x.kind = '{kind}')"
            )),
        })
        .map(|has| format!("CAST(SUM(CASE WHEN {has} THEN 1 ELSE 0 END) AS BIGINT)"))
        .collect();
    // status = 'active' leaves out merged records too (a merge closes the record for good).
    let mut q = query(format!(
        "SELECT c.lead_coordinator_id, CAST({stage_case} AS BIGINT) AS stage, COUNT(*), {} \
         FROM children c WHERE c.area_id = $1 AND c.status = 'active' GROUP BY 1, 2",
        needs.join(", ")
    ))
    .bind(area);
    for (edge, _) in &edges {
        q = q.bind(*edge);
    }
    // One column a certificate need (療育手帳, 身体, 精神, 受給者証): the tuple below has four.
    const _: () = assert!(NEEDS.len() == 6);
    type Counted = (Option<i64>, i64, i64, i64, i64, i64, i64);
    let counted: Vec<Counted> = q.fetch_all(&mut *u).await?;
    // Open referrals and the month's meetings, each its own statement: SQLite took ten times as
    // long for both subqueries in one (12 ms against 1 + 1 ms on the prefecture).
    let referrals: Vec<(Option<i64>, i64)> = query(
        "SELECT c.lead_coordinator_id, CAST(SUM((SELECT COUNT(*) FROM referrals r WHERE r.child_id = c.id \
         AND r.state = 'open')) AS BIGINT) FROM children c WHERE c.area_id = $1 AND c.status = 'active' GROUP BY 1",
    )
    .bind(area)
    .fetch_all(&mut *u)
    .await?;
    let meetings: Vec<(Option<i64>, i64)> = query(
        "SELECT c.lead_coordinator_id, CAST(SUM((SELECT COUNT(*) FROM meetings m WHERE m.child_id = c.id \
         AND m.starts_at >= $2 AND m.starts_at < $3 AND m.status <> 'cancelled')) AS BIGINT) \
         FROM children c WHERE c.area_id = $1 AND c.status = 'active' GROUP BY 1",
    )
    .bind(area)
    .bind(from)
    .bind(until)
    .fetch_all(&mut *u)
    .await?;
    let written: Vec<(Option<i64>, String, i64)> = query(
        "SELECT c.lead_coordinator_id, 'medical', COUNT(*) FROM children c WHERE c.area_id = $1 AND c.status = 'active' \
           AND c.medical_care IS NOT NULL AND c.medical_care <> '' GROUP BY 1 \
         UNION ALL SELECT c.lead_coordinator_id, 'diagnosis', COUNT(*) FROM children c WHERE c.area_id = $1 AND c.status = 'active' \
           AND c.diagnoses IS NOT NULL AND c.diagnoses <> '' GROUP BY 1",
    )
    .bind(area)
    .fetch_all(&mut *u)
    .await?;

    let deputies: Vec<(Option<i64>, i64)> = query(
        "SELECT c.deputy_coordinator_id, COUNT(*) FROM children c WHERE c.area_id = $1 AND c.status = 'active' \
         AND c.deputy_coordinator_id IS NOT NULL GROUP BY 1",
    )
    .bind(area)
    .fetch_all(&mut *u)
    .await?;
    // Time by who recorded it, in the area, in the month.
    let time: Vec<(Option<i64>, String, i64)> = query(
        "SELECT created_by, 'c', CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM consultations \
           WHERE area_id = $1 AND at >= $2 AND at < $3 GROUP BY created_by \
         UNION ALL SELECT created_by, 'v', CAST(COALESCE(SUM(spent_minutes), 0) AS BIGINT) FROM visits \
           WHERE area_id = $1 AND visited_on >= $4 AND visited_on < $5 GROUP BY created_by \
         UNION ALL SELECT created_by, 'm', CAST(COALESCE(SUM(spent_minutes), 0) AS BIGINT) FROM meetings \
           WHERE area_id = $1 AND starts_at >= $2 AND starts_at < $3 AND status = 'held' GROUP BY created_by",
    )
    .bind(area)
    .bind(from)
    .bind(until)
    .bind(month)
    .bind(next_month(month))
    .fetch_all(&mut *u)
    .await?;

    let mut rows: HashMap<Option<i64>, Load> = HashMap::new();
    let known: Vec<i64> = colleagues.iter().map(|c| c.user_id.0).collect();
    // Children of a 担当 who no longer serves the area count as without one.
    let key = |lead: Option<i64>| lead.filter(|l| known.contains(l));
    let certified: Vec<usize> = NEEDS
        .iter()
        .enumerate()
        .filter(|(_, (code, _))| !matches!(*code, "medical" | "diagnosis"))
        .map(|(i, _)| i)
        .collect();
    for (lead, stage, n, n1, n2, n3, n4) in counted {
        let r = rows.entry(key(lead)).or_insert_with(|| Load::empty(""));
        r.active += n;
        if let Some(s) = r.by_stage.get_mut(stage as usize) {
            *s += n;
        }
        for (i, need) in certified.iter().zip([n1, n2, n3, n4]) {
            r.by_need[*i] += need;
        }
    }
    for (lead, n) in referrals {
        rows.entry(key(lead))
            .or_insert_with(|| Load::empty(""))
            .open_referrals += n;
    }
    for (lead, n) in meetings {
        rows.entry(key(lead))
            .or_insert_with(|| Load::empty(""))
            .meetings_in_month += n;
    }
    for (lead, need, n) in written {
        let r = rows.entry(key(lead)).or_insert_with(|| Load::empty(""));
        if let Some(i) = NEEDS.iter().position(|(code, _)| *code == need) {
            r.by_need[i] += n;
        }
    }
    for (deputy, n) in deputies {
        rows.entry(key(deputy))
            .or_insert_with(|| Load::empty(""))
            .deputy_of += n;
    }
    for (by, what, minutes) in time {
        let r = rows.entry(key(by)).or_insert_with(|| Load::empty(""));
        match what.as_str() {
            "c" => r.consultation_minutes += minutes,
            "v" => r.visit_minutes += minutes,
            _ => r.meeting_minutes += minutes,
        }
    }
    let mut coordinators = Vec::with_capacity(colleagues.len());
    for c in &colleagues {
        let mut load = rows
            .remove(&Some(c.user_id.0))
            .unwrap_or_else(|| Load::empty(""));
        load.user_id = Some(c.user_id.0);
        load.display_name = c.display_name.clone();
        load.absent = c.staffing.absent_on(today);
        load.limit = people::caseload_limit(
            detail.area.caseload_limit,
            c.staffing.placement,
            c.staffing.time_share,
        );
        load.over_limit = load.limit.is_some_and(|l| load.active > l);
        load.staffing = Some(c.staffing.clone());
        coordinators.push(load);
    }
    let mut unassigned = rows.remove(&None).unwrap_or_else(|| Load::empty(""));
    unassigned.display_name = "担当未定".to_owned();
    // A deputy is never "nobody": those rows only counted deputies of departed colleagues.
    unassigned.deputy_of = 0;
    let mut total = Load::empty("地域の合計");
    for l in coordinators.iter().chain(std::iter::once(&unassigned)) {
        total.add(l);
    }
    u.audit(Event::new("caseload.read").object("area", area));
    Ok(Caseload {
        area_id: area.0,
        area_name: detail.area.name.clone(),
        caseload_limit: detail.area.caseload_limit,
        month,
        coordinators,
        unassigned,
        total,
    })
}

/// What falls due for a child whose 担当 is away, as the covering coordinator's home page lists it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Covered {
    /// `follow_up` (a consultation's), `action` (a meeting's action item), `transition` (a checklist item).
    pub kind: String,
    pub child_id: i64,
    pub child_name: String,
    pub lead_name: String,
    #[schema(value_type = String, format = Date)]
    pub due_on: Date,
    pub title: String,
    /// The consultation, meeting or transition it belongs to.
    pub ref_id: i64,
}

/// Items due by `until` (and those late) for the children whose 担当 is absent today, that the
/// user covers: as their 副担当, or as another coordinator of the area when the child has no
/// deputy present. Empty when nobody is away.
pub async fn covering(u: &mut Unit, today: Date, until: Date) -> Result<Vec<Covered>> {
    let actor = u.actor()?;
    if actor.role != Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(Vec::new());
    }
    let colleagues = crate::staffing::colleagues(&mut *u, &actor.area_ids).await?;
    let absent: Vec<i64> = colleagues
        .iter()
        .filter(|c| c.staffing.absent_on(today))
        .map(|c| c.user_id.0)
        .collect();
    if absent.is_empty() || absent.contains(&actor.user_id.0) {
        return Ok(Vec::new());
    }
    // Ids from the user's record and the staffing table, never input.
    let areas = crate::db::id_list(actor.area_ids.iter().map(|a| a.0));
    let away = crate::db::id_list(absent.iter().copied());
    let me = actor.user_id.0;
    let found: Vec<Covered> = query(format!(
        "WITH covered AS (SELECT c.id, c.family_name || ' ' || c.given_name AS child_name, lu.display_name AS lead_name \
           FROM children c JOIN users lu ON lu.id = c.lead_coordinator_id \
           WHERE c.area_id IN ({areas}) AND c.status = 'active' AND c.lead_coordinator_id IN ({away}) \
           AND (c.deputy_coordinator_id IS NULL OR c.deputy_coordinator_id = {me} OR c.deputy_coordinator_id IN ({away}))) \
         SELECT * FROM ( \
           SELECT 'follow_up' AS kind, v.id AS child_id, v.child_name, v.lead_name, s.follow_up_on AS due_on, s.concern AS title, s.id AS ref_id \
             FROM consultations s JOIN covered v ON v.id = s.child_id WHERE s.follow_up_on <= $1 AND s.follow_up_on >= $2 \
           UNION ALL SELECT 'action', v.id, v.child_name, v.lead_name, i.due_on, i.title, i.meeting_id \
             FROM action_items i JOIN covered v ON v.id = i.child_id WHERE i.status = 'open' AND i.due_on <= $1 \
           UNION ALL SELECT 'transition', v.id, v.child_name, v.lead_name, ti.due_on, ti.title, ti.transition_id \
             FROM transition_items ti JOIN transitions t ON t.id = ti.transition_id JOIN covered v ON v.id = t.child_id \
             WHERE ti.done_on IS NULL AND ti.due_on <= $1 AND t.status = 'planned' \
         ) x ORDER BY due_on, child_id LIMIT 51"
    ))
    .bind(until)
    .bind(until - time::Duration::days(60))
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown(
        "caseload.covering",
        found.iter().map(|c| tsunagu_domain::ChildId(c.child_id)),
    );
    Ok(found)
}
