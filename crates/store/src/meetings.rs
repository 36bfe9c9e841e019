//! Support meetings (支援会議): scheduled about a child by a coordinator of the area, with the
//! care team's agencies and the family as participants; agenda, minutes, decisions, attendance, and
//! action items with an owner and a due date. A participating agency without consent-based access
//! sees the meeting's logistics, never the child's record.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{access::Purpose, Actor, AgencyId, AreaId, Role};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    children::{self, ChildId},
    db::{id_list, query},
    Db, Error, Result,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Meeting {
    pub id: i64,
    pub child_id: i64,
    pub area_id: i64,
    pub purpose: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub agenda: Option<String>,
    pub minutes: Option<String>,
    pub decisions: Option<String>,
    /// scheduled, held or cancelled
    pub status: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Participant {
    pub id: i64,
    pub agency_id: Option<i64>,
    pub name: String,
    pub role: Option<String>,
    pub attended: Option<bool>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ActionItem {
    pub id: i64,
    pub meeting_id: i64,
    pub child_id: i64,
    pub title: String,
    pub owner_agency_id: Option<i64>,
    pub owner_agency_name: Option<String>,
    pub owner_name: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    /// open or done
    pub status: String,
}

/// A meeting as this user may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub meeting: Meeting,
    /// The child's name, for those who may see the child; `None` shows logistics only.
    pub child_name: Option<String>,
    pub participants: Vec<Participant>,
    pub action_items: Vec<ActionItem>,
    /// Minutes, decisions and action items are the record's: only for those who see the child.
    #[serde(skip)]
    #[schema(ignore)]
    pub sees_record: bool,
    #[serde(skip)]
    #[schema(ignore)]
    pub may_edit: bool,
}

#[derive(Clone, Debug)]
pub struct NewParticipant {
    pub agency_id: Option<AgencyId>,
    pub name: String,
    pub role: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub purpose: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub agenda: Option<String>,
    pub participants: Vec<NewParticipant>,
}

const ITEM_SELECT: &str = "SELECT i.id, i.meeting_id, i.child_id, i.title, i.owner_agency_id, a.name AS owner_agency_name, \
     i.owner_name, i.due_on, i.status FROM action_items i LEFT JOIN agencies a ON a.id = i.owner_agency_id";

const COLUMNS: &str = "m.id, m.child_id, m.area_id, m.purpose, m.starts_at, m.ends_at, m.place, m.online_url, m.agenda, m.minutes, m.decisions, m.status";

pub async fn create(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    new: &NewMeeting,
) -> Result<i64> {
    children::authorize(db, meta, actor, child, Purpose::Write, "meeting.create").await?;
    let (area,): (i64,) = query("SELECT area_id FROM children WHERE id = $1")
        .bind(child.0)
        .fetch_one(db)
        .await?;
    let now = crate::now();
    let mut tx = db.begin().await?;
    let (id,): (i64,) = query(
        "INSERT INTO meetings (child_id, area_id, purpose, starts_at, ends_at, place, online_url, agenda, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9, $10, $10) RETURNING id",
    )
    .bind(child.0)
    .bind(area)
    .bind(&new.purpose)
    .bind(new.starts_at)
    .bind(new.ends_at)
    .bind(new.place.as_deref())
    .bind(new.online_url.as_deref())
    .bind(new.agenda.as_deref())
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut tx)
    .await?;
    for p in &new.participants {
        query("INSERT INTO meeting_participants (meeting_id, agency_id, name, role) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(p.agency_id)
            .bind(&p.name)
            .bind(p.role.as_deref())
            .execute(&mut tx)
            .await
            .map_err(|e| e.on_foreign_key("participants", "参加する機関が見つかりません。"))?;
    }
    let when = tsunagu_domain::japanese_date::format_datetime(new.starts_at);
    children::add_event(
        &mut tx,
        child,
        "meeting",
        &format!("支援会議を予定しました（{when}）：{}", new.purpose),
        Some(id),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("meeting.create")
            .by(actor)
            .object("meeting", id)
            .detail(format!("child={child}")),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The meeting for this user: the area's staff see it all; a participating agency sees the
/// logistics, and the record too when the consent rule lets it see the child.
pub async fn get(db: &Db, meta: &RequestMeta, actor: &Actor, id: i64) -> Result<MeetingView> {
    let found: Option<Meeting> = query(format!("SELECT {COLUMNS} FROM meetings m WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    let Some(meeting) = found else {
        return Err(Error::NotFound);
    };
    let participants: Vec<Participant> =
        query("SELECT id, agency_id, name, role, attended FROM meeting_participants WHERE meeting_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db)
            .await?;
    let child = ChildId(meeting.child_id);
    let area_staff = actor.serves_area(AreaId(meeting.area_id));
    let invited = actor.role == Role::AgencyStaff
        && participants
            .iter()
            .any(|p| p.agency_id.is_some() && p.agency_id == actor.agency_id.map(|a| a.0));
    if !area_staff && !invited {
        audit::record_alone(
            db,
            meta,
            Event::new("meeting.read")
                .by(actor)
                .object("meeting", id)
                .outcome(Outcome::Denied),
        )
        .await?;
        return Err(Error::NotFound);
    }
    let sees_record = area_staff
        || children::consented_to(db, child, actor.agency_id.unwrap_or_default())
            .await?
            .is_some();
    let child_name = if sees_record {
        Some(children::display_name(db, child).await?)
    } else {
        None
    };
    let action_items = if sees_record {
        items_of(db, id).await?
    } else {
        vec![]
    };
    audit::record_alone(
        db,
        meta,
        Event::new("meeting.read").by(actor).object("meeting", id),
    )
    .await?;
    let mut meeting = meeting;
    if !sees_record {
        meeting.minutes = None;
        meeting.decisions = None;
        meeting.agenda = None;
    }
    Ok(MeetingView {
        may_edit: area_staff && actor.role == Role::Coordinator,
        meeting,
        child_name,
        participants,
        action_items,
        sees_record,
    })
}

async fn items_of(db: &Db, meeting: i64) -> Result<Vec<ActionItem>> {
    query(format!(
        "{ITEM_SELECT} WHERE i.meeting_id = $1 ORDER BY i.due_on, i.id"
    ))
    .bind(meeting)
    .fetch_all(db)
    .await
}

async fn editable(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: i64,
    action: &str,
) -> Result<Meeting> {
    let found: Option<Meeting> = query(format!("SELECT {COLUMNS} FROM meetings m WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    let m = found.ok_or(Error::NotFound)?;
    children::authorize(db, meta, actor, ChildId(m.child_id), Purpose::Write, action).await?;
    Ok(m)
}

/// The record of the meeting: agenda, minutes, decisions, status and who attended.
pub struct MeetingRecord {
    pub agenda: Option<String>,
    pub minutes: Option<String>,
    pub decisions: Option<String>,
    pub status: String,
    pub attended: Vec<i64>,
}

pub async fn record(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: i64,
    r: &MeetingRecord,
) -> Result<()> {
    let m = editable(db, meta, actor, id, "meeting.update").await?;
    if !["scheduled", "held", "cancelled"].contains(&r.status.as_str()) {
        return Err(Error::Invalid {
            field: "status",
            message: "会議の状態を選んでください。",
        });
    }
    let mut tx = db.begin().await?;
    query("UPDATE meetings SET agenda = $1, minutes = $2, decisions = $3, status = $4, updated_at = $5 WHERE id = $6")
        .bind(r.agenda.as_deref())
        .bind(r.minutes.as_deref())
        .bind(r.decisions.as_deref())
        .bind(&r.status)
        .bind(crate::now())
        .bind(id)
        .execute(&mut tx)
        .await?;
    let participants: Vec<(i64,)> =
        query("SELECT id FROM meeting_participants WHERE meeting_id = $1")
            .bind(id)
            .fetch_all(&mut tx)
            .await?;
    for (p,) in participants {
        query("UPDATE meeting_participants SET attended = $1 WHERE id = $2")
            .bind(if r.status == "held" {
                Some(r.attended.contains(&p))
            } else {
                None
            })
            .bind(p)
            .execute(&mut tx)
            .await?;
    }
    if r.status != m.status {
        let summary = match r.status.as_str() {
            "held" => format!("支援会議を開催しました：{}", m.purpose),
            "cancelled" => format!("支援会議を中止しました：{}", m.purpose),
            _ => format!("支援会議を予定に戻しました：{}", m.purpose),
        };
        children::add_event(
            &mut tx,
            ChildId(m.child_id),
            "meeting",
            &summary,
            Some(id),
            Some(actor),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("meeting.update").by(actor).object("meeting", id),
    )
    .await?;
    tx.commit().await
}

#[derive(Clone, Debug)]
pub struct NewActionItem {
    pub title: String,
    pub owner_agency_id: Option<AgencyId>,
    pub owner_name: Option<String>,
    pub due_on: Option<Date>,
}

pub async fn add_action_item(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    meeting: i64,
    item: &NewActionItem,
) -> Result<i64> {
    let m = editable(db, meta, actor, meeting, "action_item.create").await?;
    let mut tx = db.begin().await?;
    let (id,): (i64,) = query(
        "INSERT INTO action_items (meeting_id, child_id, title, owner_agency_id, owner_name, due_on, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id",
    )
    .bind(meeting)
    .bind(m.child_id)
    .bind(&item.title)
    .bind(item.owner_agency_id)
    .bind(item.owner_name.as_deref())
    .bind(item.due_on)
    .bind(crate::now())
    .fetch_one(&mut tx)
    .await
    .map_err(|e| e.on_foreign_key("owner_agency_id", "担当の機関が見つかりません。"))?;
    audit::record(
        &mut tx,
        meta,
        Event::new("action_item.create")
            .by(actor)
            .object("action_item", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Marks an action item done (or open again): a coordinator of the area, or the owning agency.
pub async fn set_item_done(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    item: i64,
    done: bool,
) -> Result<()> {
    let found: Option<(i64, i64, Option<i64>)> = query("SELECT i.meeting_id, m.area_id, i.owner_agency_id FROM action_items i JOIN meetings m ON m.id = i.meeting_id WHERE i.id = $1")
        .bind(item)
        .fetch_optional(db)
        .await?;
    let Some((_, area, owner)) = found else {
        return Err(Error::NotFound);
    };
    let allowed = (actor.role == Role::Coordinator && actor.serves_area(AreaId(area)))
        || (actor.role == Role::AgencyStaff
            && owner.is_some()
            && owner == actor.agency_id.map(|a| a.0));
    if !allowed {
        audit::record_alone(
            db,
            meta,
            Event::new("action_item.update")
                .by(actor)
                .object("action_item", item)
                .outcome(Outcome::Denied),
        )
        .await?;
        return Err(if actor.serves_area(AreaId(area)) {
            Error::Forbidden
        } else {
            Error::NotFound
        });
    }
    let mut tx = db.begin().await?;
    query("UPDATE action_items SET status = $1, done_at = $2 WHERE id = $3")
        .bind(if done { "done" } else { "open" })
        .bind(done.then(crate::now))
        .bind(item)
        .execute(&mut tx)
        .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("action_item.update")
            .by(actor)
            .object("action_item", item)
            .detail(if done { "done" } else { "open" }),
    )
    .await?;
    tx.commit().await
}

/// The child's meetings, for a page whose access was already checked.
pub async fn for_child(db: &Db, child: ChildId) -> Result<Vec<Meeting>> {
    query(format!(
        "SELECT {COLUMNS} FROM meetings m WHERE m.child_id = $1 ORDER BY m.starts_at DESC"
    ))
    .bind(child.0)
    .fetch_all(db)
    .await
}

/// Meetings between `from` and `until`: those of the coordinator's or supervisor's areas, or those
/// an agency is invited to.
pub async fn between(
    db: &Db,
    actor: &Actor,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<Meeting>> {
    match actor.role {
        Role::Coordinator | Role::Supervisor if !actor.area_ids.is_empty() => {
            let areas = id_list(actor.area_ids.iter().map(|a| a.0));
            query(format!("SELECT {COLUMNS} FROM meetings m WHERE m.area_id IN ({areas}) AND m.starts_at >= $1 AND m.starts_at < $2 AND m.status <> 'cancelled' ORDER BY m.starts_at"))
                .bind(from)
                .bind(until)
                .fetch_all(db)
                .await
        }
        Role::AgencyStaff if actor.agency_id.is_some() => {
            query(format!(
                "SELECT {COLUMNS} FROM meetings m WHERE m.starts_at >= $1 AND m.starts_at < $2 AND m.status <> 'cancelled' \
                 AND m.id IN (SELECT meeting_id FROM meeting_participants WHERE agency_id = $3) ORDER BY m.starts_at"
            ))
            .bind(from)
            .bind(until)
            .bind(actor.agency_id)
            .fetch_all(db)
            .await
        }
        _ => Ok(vec![]),
    }
}

/// Open action items due on or before `by` (every open one when `None`, those without a due
/// date last): the area's for a coordinator, the agency's own for its staff.
pub async fn due_items(db: &Db, actor: &Actor, by: Option<Date>) -> Result<Vec<ActionItem>> {
    // A plain range when a date is given, so the (status, due_on) index serves the home page.
    let by_clause = if by.is_some() {
        "i.due_on <= $1"
    } else {
        "$1 IS NULL"
    };
    // Dated items first, soonest first; the rest by id. Spelled out: the dialects sort NULLs apart.
    let due = format!("i.status = 'open' AND {by_clause} ORDER BY CASE WHEN i.due_on IS NULL THEN 1 ELSE 0 END, i.due_on, i.id LIMIT 500");
    match actor.role {
        Role::Coordinator if !actor.area_ids.is_empty() => {
            query(format!(
                "{ITEM_SELECT} JOIN meetings m ON m.id = i.meeting_id WHERE m.area_id IN ({}) AND {due}",
                id_list(actor.area_ids.iter().map(|a| a.0))
            ))
            .bind(by)
            .fetch_all(db)
            .await
        }
        Role::AgencyStaff if actor.agency_id.is_some() => {
            query(format!("{ITEM_SELECT} WHERE i.owner_agency_id = $2 AND {due}"))
                .bind(by)
                .bind(actor.agency_id)
                .fetch_all(db)
                .await
        }
        _ => Ok(vec![]),
    }
}
