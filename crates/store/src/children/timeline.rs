//! The child's timeline: everything that happened, newest first.

use super::*;

/// One line of a child's timeline.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// record, status, consultation, consent, care_team (later: referral, meeting, transition…)
    pub kind: String,
    pub summary: String,
    pub ref_id: Option<i64>,
    pub user_name: Option<String>,
}

/// Everything that happened for the child, newest first, filtered by kind and period; for the
/// area's staff (the record's history is not part of what an agency is shown).
/// What a timeline is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct TimelineFilter {
    pub kind: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

/// The action under which the timeline is read (and refused): mint its access with it.
pub const TIMELINE: &str = "child.timeline";

/// The child's timeline, for the area's staff (`access` from [`access::area_staff`]).
pub async fn timeline(
    u: &mut Unit,
    access: &ChildAccess,
    filter: &TimelineFilter,
    paging: Paging,
) -> Result<Page<TimelineEntry>> {
    access.only_area_staff()?;
    let id = access.child();
    let (kind, from, until) = (filter.kind.as_deref(), filter.from, filter.until);
    const WHERE: &str = "WHERE e.child_id = $1 AND ($2 IS NULL OR e.kind = $2) AND ($3 IS NULL OR e.at >= $3) AND ($4 IS NULL OR e.at < $4)";
    let bind = |q: crate::db::Query| q.bind(id.0).bind(kind).bind(from).bind(until);
    let (total,): (i64,) = bind(query(format!(
        "SELECT COUNT(*) FROM child_events e {WHERE}"
    )))
    .fetch_one(&mut *u)
    .await?;
    let items = bind(query(format!(
        "SELECT e.id, e.at, e.kind, e.summary, e.ref_id, u.display_name AS user_name FROM child_events e \
         LEFT JOIN users u ON u.id = e.user_id {WHERE} ORDER BY e.at DESC, e.id DESC LIMIT $5 OFFSET $6"
    )))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&mut *u)
    .await?;
    u.audit(Event::new(TIMELINE).object("child", id));
    Ok(Page { items, total })
}

/// The child's name, for a page the user may open.
pub async fn display_name(u: &mut Unit, access: &ChildAccess) -> Result<String> {
    let (name,): (String,) =
        query("SELECT family_name || ' ' || given_name FROM children WHERE id = $1")
            .bind(access.child().0)
            .fetch_one(u)
            .await?;
    Ok(name)
}
