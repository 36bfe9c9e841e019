//! Council meetings (協議会の会議) and the challenges log (課題整理): the problems found while
//! coordinating, raised to a council and followed to a resolution, with every change of state
//! kept. A challenge never names a child: it has no link to one, and the screens say so.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{challenge, Actor, AgencyId, AreaId, Role};

use crate::{
    audit::{self, Event, RequestMeta},
    capacity::check_area,
    councils,
    db::{self, query, On},
    Db, Error, Result,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CouncilMeeting {
    pub id: i64,
    pub council_id: i64,
    pub council_name: String,
    pub area_id: i64,
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    pub place: Option<String>,
    pub agenda: Option<String>,
    pub minutes: Option<String>,
    pub decisions: Option<String>,
    /// Attending agencies (or names typed).
    #[sqlx(skip)]
    pub attendees: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct NewCouncilMeeting {
    pub council_id: i64,
    pub held_on: Date,
    pub place: Option<String>,
    pub agenda: Option<String>,
    pub minutes: Option<String>,
    pub decisions: Option<String>,
    pub attendee_agencies: Vec<AgencyId>,
    pub attendee_names: Vec<String>,
}

const MEETING: &str = "SELECT m.id, m.council_id, c.name AS council_name, c.area_id, m.held_on, m.place, m.agenda, m.minutes, m.decisions \
    FROM council_meetings m JOIN councils c ON c.id = m.council_id";

/// Records a council meeting (the council's area's coordinators).
pub async fn create_meeting(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    new: &NewCouncilMeeting,
) -> Result<i64> {
    let council = councils::get(db, new.council_id)
        .await
        .map_err(|_| Error::Invalid {
            field: "council_id",
            message: "協議会を選んでください。",
        })?;
    check_area(actor, AreaId(council.area_id), true)?;
    let mut tx = db.begin().await?;
    let (id,): (i64,) = query(
        "INSERT INTO council_meetings (council_id, held_on, place, agenda, minutes, decisions, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(new.council_id)
    .bind(new.held_on)
    .bind(new.place.clone())
    .bind(new.agenda.clone())
    .bind(new.minutes.clone())
    .bind(new.decisions.clone())
    .bind(actor.user_id)
    .bind(crate::now())
    .fetch_one(&mut tx)
    .await?;
    for agency in &new.attendee_agencies {
        query("INSERT INTO council_meeting_attendees (meeting_id, agency_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*agency)
            .execute(&mut tx)
            .await
            .map_err(|e| e.on_foreign_key("attendees", "出席した機関が見つかりません。"))?;
    }
    for name in &new.attendee_names {
        query("INSERT INTO council_meeting_attendees (meeting_id, name) VALUES ($1, $2)")
            .bind(id)
            .bind(name)
            .execute(&mut tx)
            .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("council_meeting.create")
            .by(actor)
            .object("council_meeting", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn attach_attendees<'a>(on: impl Into<On<'a>>, list: &mut [CouncilMeeting]) -> Result<()> {
    let mut on = on.into();
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, String)> = query(format!(
        "SELECT t.meeting_id, COALESCE(a.name, t.name) FROM council_meeting_attendees t LEFT JOIN agencies a ON a.id = t.agency_id \
         WHERE t.meeting_id IN ({}) ORDER BY t.id",
        db::id_list(ids)
    ))
    .fetch_all(on.exec())
    .await?;
    for m in list.iter_mut() {
        m.attendees = rows
            .iter()
            .filter(|(id, _)| *id == m.id)
            .map(|(_, n)| n.clone())
            .collect();
    }
    Ok(())
}

/// The council meetings of the actor's areas, newest first.
pub async fn meetings<'a>(on: impl Into<On<'a>>, actor: &Actor) -> Result<Vec<CouncilMeeting>> {
    let mut on = on.into();
    let areas: Vec<i64> = actor.area_ids.iter().map(|a| a.0).collect();
    if !actor.role.needs_areas() || areas.is_empty() {
        return Ok(vec![]);
    }
    let mut list: Vec<CouncilMeeting> = query(format!(
        "{MEETING} WHERE c.area_id IN ({}) ORDER BY m.held_on DESC, m.id DESC LIMIT 200",
        db::id_list(areas)
    ))
    .fetch_all(on.exec())
    .await?;
    attach_attendees(&mut on, &mut list).await?;
    Ok(list)
}

pub async fn meeting<'a>(on: impl Into<On<'a>>, actor: &Actor, id: i64) -> Result<CouncilMeeting> {
    let mut on = on.into();
    let found: Option<CouncilMeeting> = query(format!("{MEETING} WHERE m.id = $1"))
        .bind(id)
        .fetch_optional(on.exec())
        .await?;
    let mut m = found.ok_or(Error::NotFound)?;
    if !actor.serves_area(AreaId(m.area_id)) {
        return Err(Error::NotFound);
    }
    attach_attendees(&mut on, std::slice::from_mut(&mut m)).await?;
    Ok(m)
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Challenge {
    pub id: i64,
    pub area_id: i64,
    pub area_name: String,
    pub title: String,
    pub description: String,
    /// resources, cooperation, procedures, personnel, information, other
    pub category: String,
    pub raised_by_name: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub raised_on: Date,
    pub council_id: Option<i64>,
    pub council_name: Option<String>,
    pub council_meeting_id: Option<i64>,
    #[schema(value_type = Option<String>, format = Date)]
    pub council_meeting_on: Option<Date>,
    /// new, discussing, acting, resolved, continuing
    pub status: String,
    pub resolution: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub resolved_on: Option<Date>,
}

impl Challenge {
    pub fn category_label(&self) -> &'static str {
        challenge::category_label(&self.category)
    }
    pub fn status_label(&self) -> &'static str {
        challenge::status_label(&self.status)
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub status: String,
    pub note: Option<String>,
    pub user_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl HistoryEntry {
    pub fn status_label(&self) -> &'static str {
        challenge::status_label(&self.status)
    }
}

/// A challenge as typed: what, where it goes, and (when it moves on) its state.
#[derive(Clone, Debug)]
pub struct ChallengeInput {
    pub area_id: AreaId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub raised_on: Date,
    pub council_id: Option<i64>,
    pub council_meeting_id: Option<i64>,
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_on: Option<Date>,
    pub note: Option<String>,
}

const CHALLENGE: &str = "SELECT h.id, h.area_id, ar.name AS area_name, h.title, h.description, h.category, u.display_name AS raised_by_name, \
    h.raised_on, h.council_id, c.name AS council_name, h.council_meeting_id, m.held_on AS council_meeting_on, h.status, h.resolution, h.resolved_on \
    FROM challenges h JOIN areas ar ON ar.id = h.area_id LEFT JOIN users u ON u.id = h.raised_by \
    LEFT JOIN councils c ON c.id = h.council_id LEFT JOIN council_meetings m ON m.id = h.council_meeting_id";

/// The council and meeting belong to the challenge's area, the category and state are known, and
/// a resolved challenge says how and when.
async fn check_input<'a>(on: impl Into<On<'a>>, input: &ChallengeInput) -> Result<()> {
    let mut on = on.into();
    let invalid = |field, message| Err(Error::Invalid { field, message });
    if challenge::category_label(&input.category).is_empty() {
        return invalid("category", "分類を選んでください。");
    }
    if challenge::status_label(&input.status).is_empty() {
        return invalid("status", "状態を選んでください。");
    }
    if challenge::is_closing(&input.status)
        && (input.resolution.is_none() || input.resolved_on.is_none())
    {
        return invalid(
            "resolution",
            "解決としたときは、対応の結果と解決日を入力してください。",
        );
    }
    if let Some(council) = input.council_id {
        let area: Option<(i64,)> = query("SELECT area_id FROM councils WHERE id = $1")
            .bind(council)
            .fetch_optional(on.exec())
            .await?;
        if area.map(|(a,)| a) != Some(input.area_id.0) {
            return invalid("council_id", "この地域の協議会を選んでください。");
        }
    }
    if let Some(meeting) = input.council_meeting_id {
        let council: Option<(i64,)> =
            query("SELECT council_id FROM council_meetings WHERE id = $1")
                .bind(meeting)
                .fetch_optional(on.exec())
                .await?;
        if council.is_none() || council.map(|(c,)| c) != input.council_id {
            return invalid("council_meeting_id", "選んだ協議会の会議を選んでください。");
        }
    }
    Ok(())
}

/// Whether `actor` may raise a challenge (`id` None) or change challenge `id`, asked before
/// the body is read: only coordinators write, and only in their areas (404 for a challenge of
/// an area they do not serve).
pub async fn may_save<'a>(on: impl Into<On<'a>>, actor: &Actor, id: Option<i64>) -> Result<()> {
    if actor.role != Role::Coordinator {
        return Err(Error::Forbidden);
    }
    if let Some(id) = id {
        let current = get(on, actor, id).await?;
        check_area(actor, AreaId(current.area_id), true)?;
    }
    Ok(())
}

/// Whether `actor` may record council meetings at all (the council, in the body, decides where).
pub fn may_record_meetings(actor: &Actor) -> Result<()> {
    if actor.role != Role::Coordinator {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Raises a challenge (`id` None) or changes one; a change of state is kept in its history.
pub async fn save(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: Option<i64>,
    input: &ChallengeInput,
) -> Result<i64> {
    check_area(actor, input.area_id, true)?;
    let before = match id {
        Some(id) => Some(get(db, actor, id).await?),
        None => None,
    };
    if let Some(b) = &before {
        check_area(actor, AreaId(b.area_id), true)?;
    }
    check_input(db, input).await?;
    let now = crate::now();
    let mut tx = db.begin().await?;
    let id = match id {
        None => {
            let (id,): (i64,) = query(
                "INSERT INTO challenges (area_id, title, description, category, raised_by, raised_on, council_id, council_meeting_id, status, resolution, resolved_on, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            )
            .bind(input.area_id)
            .bind(&input.title)
            .bind(&input.description)
            .bind(&input.category)
            .bind(actor.user_id)
            .bind(input.raised_on)
            .bind(input.council_id)
            .bind(input.council_meeting_id)
            .bind(&input.status)
            .bind(input.resolution.clone())
            .bind(input.resolved_on)
            .bind(now)
            .fetch_one(&mut tx)
            .await?;
            id
        }
        Some(id) => {
            query(
                "UPDATE challenges SET area_id = $1, title = $2, description = $3, category = $4, raised_on = $5, council_id = $6, \
                 council_meeting_id = $7, status = $8, resolution = $9, resolved_on = $10, updated_at = $11 WHERE id = $12",
            )
            .bind(input.area_id)
            .bind(&input.title)
            .bind(&input.description)
            .bind(&input.category)
            .bind(input.raised_on)
            .bind(input.council_id)
            .bind(input.council_meeting_id)
            .bind(&input.status)
            .bind(input.resolution.clone())
            .bind(input.resolved_on)
            .bind(now)
            .bind(id)
            .execute(&mut tx)
            .await?;
            id
        }
    };
    if before.as_ref().map(|b| b.status.as_str()) != Some(input.status.as_str())
        || input.note.is_some()
    {
        query("INSERT INTO challenge_history (challenge_id, status, note, user_id, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(&input.status)
            .bind(input.note.clone())
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut tx)
            .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("challenge.save")
            .by(actor)
            .object("challenge", id)
            .detail(input.status.clone()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get<'a>(on: impl Into<On<'a>>, actor: &Actor, id: i64) -> Result<Challenge> {
    let mut on = on.into();
    let found: Option<Challenge> = query(format!("{CHALLENGE} WHERE h.id = $1"))
        .bind(id)
        .fetch_optional(on.exec())
        .await?;
    found
        .filter(|c| actor.serves_area(AreaId(c.area_id)))
        .ok_or(Error::NotFound)
}

pub async fn history<'a>(on: impl Into<On<'a>>, id: i64) -> Result<Vec<HistoryEntry>> {
    let mut on = on.into();
    query(
        "SELECT h.status, h.note, u.display_name AS user_name, h.at FROM challenge_history h LEFT JOIN users u ON u.id = h.user_id \
         WHERE h.challenge_id = $1 ORDER BY h.at, h.id",
    )
    .bind(id)
    .fetch_all(on.exec())
    .await
}

/// What a challenges list is filtered by.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub area_id: Option<AreaId>,
    pub council_meeting_id: Option<i64>,
}

/// The challenges of the actor's areas, by the filter, newest first.
pub async fn list<'a>(on: impl Into<On<'a>>, actor: &Actor, f: &Filter) -> Result<Vec<Challenge>> {
    let mut on = on.into();
    let areas: Vec<i64> = actor
        .area_ids
        .iter()
        .map(|a| a.0)
        .filter(|a| f.area_id.is_none_or(|want| want.0 == *a))
        .collect();
    if !actor.role.needs_areas() || areas.is_empty() {
        return Ok(vec![]);
    }
    query(format!(
        "{CHALLENGE} WHERE h.area_id IN ({}) AND ($1 IS NULL OR h.status = $1) AND ($2 IS NULL OR h.category = $2) \
         AND ($3 IS NULL OR h.council_meeting_id = $3) ORDER BY h.raised_on DESC, h.id DESC LIMIT 500",
        db::id_list(areas)
    ))
    .bind(f.status.clone())
    .bind(f.category.clone())
    .bind(f.council_meeting_id)
    .fetch_all(on.exec())
    .await
}
