//! Where transitions meet the calendar: checklist items falling due (the home page) and the
//! area's transition calendar of every child's next move.

use serde::Serialize;
use time::Date;
use tsunagu_domain::{ChildId, Role, TransitionId};

use super::{cohort_of, with_items, Hold, Transition, SELECT};
use crate::{
    access,
    audit::Event,
    children,
    db::{self, query},
    Error, Result, Unit,
};

/// A checklist item due, for the home page.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct DueItem {
    pub id: i64,
    pub transition_id: TransitionId,
    pub child_id: ChildId,
    pub child_name: String,
    pub title: String,
    pub owner: String,
    pub due_on: Date,
}

/// Open checklist items of the coordinator's areas due on or before `by`.
pub async fn due_items(u: &mut Unit, by: Date) -> Result<Vec<DueItem>> {
    let actor = u.actor()?;
    if actor.role != Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    let found: Vec<DueItem> = query(format!(
        "SELECT i.id, i.transition_id, t.child_id, c.family_name || ' ' || c.given_name AS child_name, i.title, i.owner, i.due_on \
         FROM transition_items i JOIN transitions t ON t.id = i.transition_id JOIN children c ON c.id = t.child_id \
         WHERE i.done_on IS NULL AND i.due_on <= $1 AND t.status = 'planned' AND c.status = 'active' AND {} \
         ORDER BY i.due_on, i.id LIMIT 50",
        access::visible(&actor, access::today())
    ))
    .bind(by)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("transition.due", found.iter().map(|i| i.child_id));
    Ok(found)
}

/// One line of the transition calendar: a child's next move, recorded or foreseen.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarEntry {
    #[schema(value_type = i64)]
    pub child_id: ChildId,
    pub child_name: String,
    pub kind: String,
    pub kind_label: String,
    #[schema(value_type = String, format = Date)]
    pub move_on: Date,
    /// The recorded transition; None when the school calendar foresees a move not yet planned.
    #[schema(value_type = Option<i64>)]
    pub transition_id: Option<TransitionId>,
    pub from_name: String,
    pub destination: String,
    pub items_total: usize,
    pub items_done: usize,
    /// Open items already past their due date.
    pub items_overdue: usize,
    /// Handover sheet: none, draft, sent or acknowledged.
    pub handover: String,
}

impl CalendarEntry {
    pub fn handover_label(&self) -> &'static str {
        crate::handovers::status_label(&self.handover)
    }
}

#[derive(sqlx::FromRow)]
struct CalendarChild {
    id: ChildId,
    name: String,
    birth_date: Date,
    agency: Option<String>,
}

/// Every active child's next move in `[from, to]` in the area: planned transitions, and the
/// school moves the calendar foresees for children with none planned yet.
pub async fn calendar(
    u: &mut Unit,
    area: tsunagu_domain::AreaId,
    from: Date,
    to: Date,
) -> Result<Vec<CalendarEntry>> {
    let actor = u.actor()?;
    if !actor.serves_area(area) {
        return Err(Error::Forbidden);
    }
    let planned: Vec<Transition> = query(format!(
        "{SELECT} WHERE t.child_id IN (SELECT c.id FROM children c WHERE c.area_id = $1 AND c.status = 'active') \
         AND t.status = 'planned' AND t.move_on >= $2 AND t.move_on <= $3 ORDER BY t.move_on, t.id"
    ))
    .bind(area)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *u)
    .await?;
    let views = with_items(u, planned).await?;
    let ids: Vec<i64> = views.iter().map(|v| v.transition.id.0).collect();
    let sheets: Vec<(TransitionId, String)> = if ids.is_empty() {
        vec![]
    } else {
        query(format!(
            "SELECT transition_id, status FROM handover_sheets WHERE transition_id IN ({}) ORDER BY id",
            db::id_list(ids.iter().copied())
        ))
        .fetch_all(&mut *u)
        .await?
    };
    let children_rows: Vec<CalendarChild> = query(
        "SELECT c.id, c.family_name || ' ' || c.given_name AS name, c.birth_date, a.name AS agency \
         FROM children c LEFT JOIN agencies a ON a.id = c.current_agency_id WHERE c.area_id = $1 AND c.status = 'active'",
    )
    .bind(area)
    .fetch_all(&mut *u)
    .await?;
    let holds: Vec<(ChildId, i64)> = query(
        "SELECT h.child_id, h.fiscal_year FROM school_year_holds h JOIN children c ON c.id = h.child_id WHERE c.area_id = $1",
    )
    .bind(area)
    .fetch_all(&mut *u)
    .await?;
    let today = children::today_in_japan();
    let by_id: std::collections::HashMap<ChildId, &CalendarChild> =
        children_rows.iter().map(|c| (c.id, c)).collect();
    let mut held: std::collections::HashMap<ChildId, Vec<Hold>> = std::collections::HashMap::new();
    for (child, fy) in holds {
        held.entry(child).or_default().push(Hold {
            id: 0,
            fiscal_year: fy,
            kind: String::new(),
            note: None,
        });
    }
    let mut out = Vec::new();
    let mut planned_children = std::collections::HashSet::new();
    for v in &views {
        let t = &v.transition;
        planned_children.insert(t.child_id);
        let child = by_id.get(&t.child_id);
        out.push(CalendarEntry {
            child_id: t.child_id,
            child_name: child.map(|c| c.name.clone()).unwrap_or_default(),
            kind: t.kind.clone(),
            kind_label: t.kind_label().to_string(),
            move_on: t.move_on,
            transition_id: Some(t.id),
            from_name: t
                .from_agency_name
                .clone()
                .or_else(|| child.and_then(|c| c.agency.clone()))
                .unwrap_or_default(),
            destination: t.destination(),
            items_total: v.items.len(),
            items_done: v.done_count(),
            items_overdue: v
                .items
                .iter()
                .filter(|i| i.done_on.is_none() && i.due_on.is_some_and(|d| d < today))
                .count(),
            handover: sheets
                .iter()
                .rev()
                .find(|(tid, _)| *tid == t.id)
                .map_or("none".to_string(), |(_, s)| s.clone()),
        });
    }
    for c in children_rows
        .iter()
        .filter(|c| !planned_children.contains(&c.id))
    {
        let cohort = cohort_of(c.birth_date, held.get(&c.id).map_or(&[], Vec::as_slice));
        if let Some((kind, on)) = cohort
            .upcoming_moves(from - time::Duration::days(1))
            .into_iter()
            .find(|(_, on)| *on <= to)
        {
            out.push(CalendarEntry {
                child_id: c.id,
                child_name: c.name.clone(),
                kind: kind.code().to_string(),
                kind_label: kind.label().to_string(),
                move_on: on,
                transition_id: None,
                from_name: c.agency.clone().unwrap_or_default(),
                destination: String::new(),
                items_total: 0,
                items_done: 0,
                items_overdue: 0,
                handover: "none".to_string(),
            });
        }
    }
    out.sort_by(|a, b| {
        (a.move_on, &a.destination, &a.child_name).cmp(&(b.move_on, &b.destination, &b.child_name))
    });
    u.audit(
        Event::new("transition.calendar")
            .object("area", area)
            .detail(format!("entries={}", out.len())),
    );
    u.audit_shown("transition.calendar", out.iter().map(|e| e.child_id));
    Ok(out)
}
