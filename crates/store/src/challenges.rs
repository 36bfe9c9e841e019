//! Council meetings (協議会の会議) and the challenges log (課題整理): the problems found while
//! coordinating, raised to a council and followed to a resolution, with every change of state
//! kept. A challenge never names a child: it has no link to one, and the screens say so.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    challenge::{self, names_child},
    Actor, AgencyId, AreaId, Role,
};

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
    /// typed, support_meeting, visit, consultations (the meeting or visit itself is never
    /// named).
    pub source: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub source_on: Option<Date>,
    /// The day the area raised it to the prefecture's 療育支援専門部会, who did, and the area's
    /// summary for the committee.
    #[schema(value_type = Option<String>, format = Date)]
    pub prefecture_raised_on: Option<Date>,
    pub prefecture_raised_by_name: Option<String>,
    pub area_summary: Option<String>,
    /// The committee's response and its day.
    pub committee_response: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub committee_responded_on: Option<Date>,
    #[serde(skip)]
    #[schema(ignore)]
    pub source_meeting_id: Option<i64>,
    #[serde(skip)]
    #[schema(ignore)]
    pub source_visit_id: Option<i64>,
}

impl Challenge {
    pub fn source_label(&self) -> &'static str {
        challenge::source_label(&self.source)
    }
    /// Raised to the prefecture and not yet answered there.
    pub fn awaiting_committee(&self) -> bool {
        self.prefecture_raised_on.is_some() && self.committee_response.is_none()
    }
    pub fn category_label(&self) -> &'static str {
        challenge::category_label(&self.category)
    }
    pub fn status_label(&self) -> &'static str {
        challenge::status_label(&self.status)
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// status (a change of state or a note), raised (to the prefecture), answered (by it)
    pub step: String,
    pub status: String,
    pub note: Option<String>,
    pub user_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl HistoryEntry {
    /// What the step was, as the history lists it.
    pub fn step_label(&self) -> &'static str {
        match self.step.as_str() {
            "raised" => "県の療育支援専門部会へ提起",
            "answered" => "療育支援専門部会の回答",
            _ => challenge::status_label(&self.status),
        }
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
    /// Where it came from (kept from its creation on).
    pub source: String,
    pub source_on: Option<Date>,
    pub source_meeting_id: Option<i64>,
    pub source_visit_id: Option<i64>,
}

const CHALLENGE: &str = "SELECT h.id, h.area_id, ar.name AS area_name, h.title, h.description, h.category, u.display_name AS raised_by_name, \
    h.raised_on, h.council_id, c.name AS council_name, h.council_meeting_id, m.held_on AS council_meeting_on, h.status, h.resolution, h.resolved_on, \
    h.source, h.source_on, h.prefecture_raised_on, pu.display_name AS prefecture_raised_by_name, h.area_summary, h.committee_response, \
    h.committee_responded_on, h.source_meeting_id, h.source_visit_id \
    FROM challenges h JOIN areas ar ON ar.id = h.area_id LEFT JOIN users u ON u.id = h.raised_by LEFT JOIN users pu ON pu.id = h.prefecture_raised_by \
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
    if challenge::source_label(&input.source).is_empty() {
        return invalid("source", "どこから挙がった課題かを選んでください。");
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
    let names = source_names(
        &mut on,
        input.area_id,
        input.source_meeting_id,
        input.source_visit_id,
    )
    .await?;
    let texts = [
        Some(&input.title),
        Some(&input.description),
        input.resolution.as_ref(),
        input.note.as_ref(),
    ];
    if let Some(field) = texts
        .iter()
        .zip(["title", "description", "resolution", "note"])
        .find(|(t, _)| t.is_some_and(|t| names_child(t, &names)))
        .map(|(_, f)| f)
    {
        return invalid(field, NAMES_CHILD);
    }
    Ok(())
}

const NAMES_CHILD: &str =
    "子どもの名前が含まれています。課題は、子どもが特定されない書き方にしてください。";

/// The names of the children of the meeting or visit a challenge came from (the meeting or
/// visit must be of the challenge's area), to keep them out of its text.
async fn source_names(
    on: &mut On<'_>,
    area: AreaId,
    meeting: Option<i64>,
    visit: Option<i64>,
) -> Result<Vec<String>> {
    let rows: Vec<(i64, String, String, String, String)> = match (meeting, visit) {
        (Some(m), _) => query(
            "SELECT mt.area_id, c.family_name, c.given_name, c.family_kana, c.given_kana FROM meetings mt \
             JOIN children c ON c.id = mt.child_id WHERE mt.id = $1",
        )
        .bind(m)
        .fetch_all(on.exec())
        .await?,
        (None, Some(v)) => query(
            "SELECT vs.area_id, c.family_name, c.given_name, c.family_kana, c.given_kana FROM visits vs \
             JOIN visit_children vc ON vc.visit_id = vs.id JOIN children c ON c.id = vc.child_id WHERE vs.id = $1",
        )
        .bind(v)
        .fetch_all(on.exec())
        .await?,
        (None, None) => return Ok(vec![]),
    };
    if rows.iter().any(|r| r.0 != area.0) {
        return Err(Error::Invalid {
            field: "source",
            message: "この地域の会議・巡回から登録してください。",
        });
    }
    Ok(rows
        .into_iter()
        .flat_map(|(_, family, given, family_kana, given_kana)| {
            [
                format!("{family}{given}"),
                given,
                format!("{family_kana}{given_kana}"),
                given_kana,
            ]
        })
        .collect())
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
    let mut input = input.clone();
    if let Some(b) = &before {
        check_area(actor, AreaId(b.area_id), true)?;
        // Where it came from is kept from its creation on.
        input.source = b.source.clone();
        input.source_on = b.source_on;
        input.source_meeting_id = b.source_meeting_id;
        input.source_visit_id = b.source_visit_id;
    }
    let input = &input;
    check_input(db, input).await?;
    let now = crate::now();
    let mut tx = db.begin().await?;
    let id = match id {
        None => {
            let (id,): (i64,) = query(
                "INSERT INTO challenges (area_id, title, description, category, raised_by, raised_on, council_id, council_meeting_id, status, resolution, resolved_on, created_at, updated_at, \
                 source, source_on, source_meeting_id, source_visit_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16) RETURNING id",
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
            .bind(&input.source)
            .bind(input.source_on)
            .bind(input.source_meeting_id)
            .bind(input.source_visit_id)
            .fetch_one(&mut tx)
            .await
            .map_err(|e| e.on_foreign_key("source", "元の会議・巡回が見つかりません。"))?;
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
        query("INSERT INTO challenge_history (challenge_id, step, status, note, user_id, at) VALUES ($1, 'status', $2, $3, $4, $5)")
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
    found.filter(|c| visible(actor, c)).ok_or(Error::NotFound)
}

/// The area's staff see their areas' challenges; the committee those raised to it.
fn visible(actor: &Actor, c: &Challenge) -> bool {
    match actor.role {
        Role::Committee => c.prefecture_raised_on.is_some(),
        _ => actor.serves_area(AreaId(c.area_id)),
    }
}

/// A challenge's history as `actor` may read it: every step for the area's staff; for the
/// committee only the raising and its own answer (the area's working notes stay in the area).
pub async fn history<'a>(
    on: impl Into<On<'a>>,
    actor: &Actor,
    id: i64,
) -> Result<Vec<HistoryEntry>> {
    let mut on = on.into();
    let committee = actor.role == Role::Committee;
    query(
        "SELECT h.step, h.status, h.note, u.display_name AS user_name, h.at FROM challenge_history h LEFT JOIN users u ON u.id = h.user_id \
         WHERE h.challenge_id = $1 AND ($2 = FALSE OR h.step IN ('raised', 'answered')) ORDER BY h.at, h.id",
    )
    .bind(id)
    .bind(committee)
    .fetch_all(on.exec())
    .await
}

/// Raises a challenge to the prefecture's 療育支援専門部会 with the area's summary: the area's
/// coordinators and supervisors, once.
pub async fn raise(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: i64,
    summary: &str,
) -> Result<()> {
    if !matches!(actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(Error::Forbidden);
    }
    // `get` finds it only in the actor's areas; supervisors raise as coordinators do.
    let c = get(db, actor, id).await?;
    if c.prefecture_raised_on.is_some() {
        return Err(Error::Invalid {
            field: "area_summary",
            message: "この課題はすでに県の部会へ提起しています。",
        });
    }
    let names = source_names(
        &mut On::from(db),
        AreaId(c.area_id),
        c.source_meeting_id,
        c.source_visit_id,
    )
    .await?;
    if names_child(summary, &names) {
        return Err(Error::Invalid {
            field: "area_summary",
            message: NAMES_CHILD,
        });
    }
    let now = crate::now();
    let today = tsunagu_domain::japanese_date::today(now);
    let mut tx = db.begin().await?;
    query(
        "UPDATE challenges SET prefecture_raised_on = $1, prefecture_raised_by = $2, area_summary = $3, updated_at = $4 \
         WHERE id = $5 AND prefecture_raised_on IS NULL",
    )
    .bind(today)
    .bind(actor.user_id)
    .bind(summary)
    .bind(now)
    .bind(id)
    .execute(&mut tx)
    .await?;
    step(&mut tx, id, "raised", &c.status, summary, actor, now).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("challenge.raise")
            .by(actor)
            .object("challenge", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The committee's response to a challenge raised to it (a second response replaces the first;
/// both stay in the history).
pub async fn respond(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: i64,
    response: &str,
) -> Result<()> {
    if actor.role != Role::Committee {
        return Err(Error::Forbidden);
    }
    let c = get(db, actor, id).await?;
    let now = crate::now();
    let today = tsunagu_domain::japanese_date::today(now);
    let mut tx = db.begin().await?;
    query(
        "UPDATE challenges SET committee_response = $1, committee_responded_on = $2, committee_responded_by = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(response)
    .bind(today)
    .bind(actor.user_id)
    .bind(now)
    .bind(id)
    .execute(&mut tx)
    .await?;
    step(&mut tx, id, "answered", &c.status, response, actor, now).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("challenge.respond")
            .by(actor)
            .object("challenge", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn step(
    tx: &mut crate::db::Tx,
    id: i64,
    step: &str,
    status: &str,
    note: &str,
    actor: &Actor,
    at: OffsetDateTime,
) -> Result<()> {
    query("INSERT INTO challenge_history (challenge_id, step, status, note, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(step)
        .bind(status)
        .bind(note)
        .bind(actor.user_id)
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// The open challenges of the actor's areas (not resolved), the oldest first, at most `limit`,
/// with how many there are.
pub async fn open_in_areas<'a>(
    on: impl Into<On<'a>>,
    actor: &Actor,
    limit: i64,
) -> Result<(Vec<Challenge>, i64)> {
    let mut on = on.into();
    let areas: Vec<i64> = actor.area_ids.iter().map(|a| a.0).collect();
    if areas.is_empty() {
        return Ok((vec![], 0));
    }
    let list = db::id_list(areas);
    let (n,): (i64,) = query(format!(
        "SELECT COUNT(*) FROM challenges h WHERE h.area_id IN ({list}) AND h.status <> 'resolved'"
    ))
    .fetch_one(on.exec())
    .await?;
    let items = query(format!(
        "{CHALLENGE} WHERE h.area_id IN ({list}) AND h.status <> 'resolved' ORDER BY h.raised_on, h.id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(on.exec())
    .await?;
    Ok((items, n))
}

/// The area and day of the support meeting or visit a new challenge comes from, when `actor`
/// works in its area (the form starts from them).
pub async fn source_day<'a>(
    on: impl Into<On<'a>>,
    actor: &Actor,
    meeting: Option<i64>,
    visit: Option<i64>,
) -> Result<(AreaId, Date)> {
    let mut on = on.into();
    let found: Option<(i64, Date)> = match (meeting, visit) {
        (Some(m), _) => {
            let row: Option<(i64, OffsetDateTime)> =
                query("SELECT area_id, starts_at FROM meetings WHERE id = $1")
                    .bind(m)
                    .fetch_optional(on.exec())
                    .await?;
            row.map(|(a, at)| (a, tsunagu_domain::japanese_date::today(at)))
        }
        (None, Some(v)) => {
            query("SELECT area_id, visited_on FROM visits WHERE id = $1")
                .bind(v)
                .fetch_optional(on.exec())
                .await?
        }
        (None, None) => None,
    };
    found
        .filter(|(a, _)| actor.serves_area(AreaId(*a)))
        .map(|(a, d)| (AreaId(a), d))
        .ok_or(Error::NotFound)
}

/// Which challenges raised to the prefecture the committee lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Awaiting {
    /// Not yet answered.
    Answer,
    Answered,
    All,
}

/// The challenges raised to the prefecture (the committee's list), those awaiting an answer
/// first, optionally those raised in one fiscal year.
pub async fn raised<'a>(
    on: impl Into<On<'a>>,
    which: Awaiting,
    fiscal_year: Option<i32>,
) -> Result<Vec<Challenge>> {
    let mut on = on.into();
    let (from, to) = match fiscal_year {
        Some(fy) => (
            Some(tsunagu_domain::school_year::fiscal_year_start(fy)),
            Some(tsunagu_domain::school_year::fiscal_year_end(fy)),
        ),
        None => (None, None),
    };
    let answered = match which {
        Awaiting::Answer => "AND h.committee_response IS NULL",
        Awaiting::Answered => "AND h.committee_response IS NOT NULL",
        Awaiting::All => "",
    };
    query(format!(
        "{CHALLENGE} WHERE h.prefecture_raised_on IS NOT NULL {answered} \
         AND ($1 IS NULL OR h.prefecture_raised_on >= $1) AND ($2 IS NULL OR h.prefecture_raised_on <= $2) \
         ORDER BY CASE WHEN h.committee_response IS NULL THEN 0 ELSE 1 END, h.prefecture_raised_on, h.id LIMIT 500"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(on.exec())
    .await
}

/// A conclusion or recommendation of the committee for a fiscal year.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Conclusion {
    pub id: i64,
    pub fiscal_year: i32,
    /// conclusion, recommendation
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl Conclusion {
    pub fn kind_label(&self) -> &'static str {
        challenge::conclusion_kind_label(&self.kind)
    }
}

#[derive(Clone, Debug)]
pub struct ConclusionInput {
    pub fiscal_year: i32,
    pub kind: String,
    pub title: String,
    pub body: String,
}

/// The conclusions and recommendations of a fiscal year, conclusions first. Everyone but agency
/// staff may read them: they are the committee's word to the prefecture.
pub async fn conclusions<'a>(
    on: impl Into<On<'a>>,
    actor: &Actor,
    fiscal_year: i32,
) -> Result<Vec<Conclusion>> {
    if actor.role == Role::AgencyStaff {
        return Err(Error::Forbidden);
    }
    let mut on = on.into();
    query(
        "SELECT k.id, CAST(k.fiscal_year AS INTEGER) AS fiscal_year, k.kind, k.title, k.body, u.display_name AS created_by_name, k.updated_at \
         FROM committee_conclusions k LEFT JOIN users u ON u.id = k.created_by WHERE k.fiscal_year = $1 \
         ORDER BY CASE WHEN k.kind = 'conclusion' THEN 0 ELSE 1 END, k.id",
    )
    .bind(fiscal_year)
    .fetch_all(on.exec())
    .await
}

/// Writes a conclusion (`id` None) or changes one: the committee only.
pub async fn save_conclusion(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: Option<i64>,
    input: &ConclusionInput,
) -> Result<i64> {
    if actor.role != Role::Committee {
        return Err(Error::Forbidden);
    }
    if challenge::conclusion_kind_label(&input.kind).is_empty() {
        return Err(Error::Invalid {
            field: "kind",
            message: "結論か提言かを選んでください。",
        });
    }
    let now = crate::now();
    let mut tx = db.begin().await?;
    let id = match id {
        None => {
            let (id,): (i64,) = query(
                "INSERT INTO committee_conclusions (fiscal_year, kind, title, body, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(input.fiscal_year)
            .bind(&input.kind)
            .bind(&input.title)
            .bind(&input.body)
            .bind(actor.user_id)
            .bind(now)
            .fetch_one(&mut tx)
            .await?;
            id
        }
        Some(id) => {
            let done = query(
                "UPDATE committee_conclusions SET kind = $1, title = $2, body = $3, updated_at = $4 WHERE id = $5 AND fiscal_year = $6",
            )
            .bind(&input.kind)
            .bind(&input.title)
            .bind(&input.body)
            .bind(now)
            .bind(id)
            .bind(input.fiscal_year)
            .execute(&mut tx)
            .await?;
            if done == 0 {
                return Err(Error::NotFound);
            }
            id
        }
    };
    audit::record(
        &mut tx,
        meta,
        Event::new("conclusion.save")
            .by(actor)
            .object("conclusion", id)
            .detail(format!("fy={}", input.fiscal_year)),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
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
    if actor.role == Role::Committee {
        return raised(on, Awaiting::All, None).await;
    }
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
