//! Capacity building (療育技術・支援資質の向上): visits to nurseries, schools and providers
//! (巡回相談・施設支援) and training sessions (研修会) with the agencies that came and how many.
//! The area's coordinators record them; its coordinators and supervisors read them.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{access::Purpose, Actor, AgencyId, AreaId, ChildId, Role};

use crate::{
    access,
    audit::Event,
    children,
    db::{self, query, Exec},
    Error, Result, Unit,
};

/// Only the area's coordinators record; its coordinators and supervisors read.
pub(crate) fn check_area(actor: &Actor, area: AreaId, write: bool) -> Result<()> {
    if !actor.serves_area(area) {
        return Err(Error::Forbidden);
    }
    if write && actor.role != Role::Coordinator {
        return Err(Error::Forbidden);
    }
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Visit {
    pub id: i64,
    pub area_id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    #[schema(value_type = String, format = Date)]
    pub visited_on: Date,
    pub visitors: String,
    pub purpose: String,
    pub advice: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub follow_up_on: Option<Date>,
    /// The time the visit took, in minutes (optional).
    pub spent_minutes: Option<i64>,
    /// Children discussed, by name: only those the reader may see.
    #[sqlx(skip)]
    #[schema(value_type = Vec<(i64, String)>)]
    pub children: Vec<(ChildId, String)>,
}

#[derive(Clone, Debug)]
pub struct NewVisit {
    pub area_id: AreaId,
    pub agency_id: AgencyId,
    pub visited_on: Date,
    pub visitors: String,
    pub purpose: String,
    pub advice: Option<String>,
    pub follow_up_on: Option<Date>,
    pub spent_minutes: Option<i64>,
    pub child_ids: Vec<ChildId>,
}

const VISIT: &str = "SELECT v.id, v.area_id, v.agency_id, a.name AS agency_name, v.visited_on, v.visitors, v.purpose, v.advice, v.follow_up_on, v.spent_minutes \
    FROM visits v JOIN agencies a ON a.id = v.agency_id";

/// Whether the unit's user records (a coordinator) or reads (its coordinators and
/// supervisors) the capacity building of `area`; a refusal is audited under `action`.
pub fn may(u: &mut Unit, area: AreaId, write: bool, action: &str) -> Result<()> {
    let actor = u.actor()?;
    check_area(&actor, area, write).inspect_err(|_| {
        u.audit(
            Event::new(action)
                .object("area", area)
                .outcome(crate::audit::Outcome::Denied),
        );
    })
}

/// Whether the unit's user records capacity building at all (a coordinator of some area); asked
/// before a form's input is checked. The area the form names is asked again with it.
pub fn may_record(u: &mut Unit, action: &str) -> Result<()> {
    let actor = u.actor()?;
    if actor.role == Role::Coordinator && !actor.area_ids.is_empty() {
        return Ok(());
    }
    u.audit(
        Event::new(action)
            .object_type("area")
            .outcome(crate::audit::Outcome::Denied),
    );
    Err(Error::Forbidden)
}

/// Records a visit. Children discussed are named only when the coordinator may change their
/// record.
pub async fn create_visit(u: &mut Unit, new: &NewVisit) -> Result<i64> {
    may(u, new.area_id, true, "visit.create")?;
    let mut named = Vec::new();
    for child in &new.child_ids {
        named.push(access::child(u, *child, Purpose::Write, "visit.create").await?);
    }
    let mut w = u.write().await?;
    let actor = w.actor()?;
    for access in &named {
        access::also(&mut w, access, "visit.create").await?;
    }
    let (id,): (i64,) = query(
        "INSERT INTO visits (area_id, agency_id, visited_on, visitors, purpose, advice, follow_up_on, created_by, created_at, spent_minutes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.area_id)
    .bind(new.agency_id)
    .bind(new.visited_on)
    .bind(&new.visitors)
    .bind(&new.purpose)
    .bind(new.advice.clone())
    .bind(new.follow_up_on)
    .bind(actor.user_id)
    .bind(crate::now())
    .bind(new.spent_minutes)
    .fetch_one(&mut w.tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "訪問先の機関が見つかりません。"))?;
    for child in &new.child_ids {
        query("INSERT INTO visit_children (visit_id, child_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(child.0)
            .execute(&mut w.tx)
            .await?;
        children::add_event(
            &mut w.tx,
            *child,
            "visit",
            &format!(
                "巡回相談・施設支援で話し合いました：{}",
                new.purpose.chars().take(40).collect::<String>()
            ),
            Some(id),
            Some(&actor),
        )
        .await?;
    }
    w.record(Event::new("visit.create").object("visit", id))
        .await?;
    w.commit().await?;
    Ok(id)
}

/// The visits of the actor's areas (or of one agency), newest first; the children discussed
/// are named only where the reader may see them, and audited as shown.
pub async fn visits(u: &mut Unit, agency: Option<AgencyId>, limit: i64) -> Result<Vec<Visit>> {
    let actor = u.actor()?;
    let areas: Vec<i64> = actor.area_ids.iter().map(|a| a.0).collect();
    if !actor.role.needs_areas() || areas.is_empty() {
        return Ok(vec![]);
    }
    let mut list: Vec<Visit> = query(format!(
        "{VISIT} WHERE v.area_id IN ({}) AND ($1 IS NULL OR v.agency_id = $1) ORDER BY v.visited_on DESC, v.id DESC LIMIT $2",
        db::id_list(areas)
    ))
    .bind(agency)
    .bind(limit)
    .fetch_all(&mut *u)
    .await?;
    let ids: Vec<i64> = list.iter().map(|v| v.id).collect();
    if !ids.is_empty() {
        let named: Vec<(i64, ChildId, String)> = query(format!(
            "SELECT vc.visit_id, c.id, c.family_name || ' ' || c.given_name FROM visit_children vc JOIN children c ON c.id = vc.child_id \
             WHERE vc.visit_id IN ({}) AND {}",
            db::id_list(ids),
            access::visible(&actor, access::today())
        ))
        .fetch_all(&mut *u)
        .await?;
        u.audit_shown("visit.list", named.iter().map(|(_, c, _)| *c));
        for v in &mut list {
            v.children = named
                .iter()
                .filter(|(vid, _, _)| *vid == v.id)
                .map(|(_, c, n)| (*c, n.clone()))
                .collect();
        }
    }
    Ok(list)
}

/// The visits of the coordinator's areas whose follow-up falls by `until` (up to 60 days late),
/// soonest first: they join the day's due items. No child is named.
pub async fn follow_ups(u: &mut Unit, until: Date) -> Result<Vec<Visit>> {
    let actor = u.actor()?;
    if actor.role != tsunagu_domain::Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    let areas = db::id_list(actor.area_ids.iter().map(|a| a.0));
    query(format!(
        "{VISIT} WHERE v.area_id IN ({areas}) AND v.follow_up_on IS NOT NULL AND v.follow_up_on <= $1 \
         AND v.follow_up_on >= $2 ORDER BY v.follow_up_on, v.id LIMIT 50"
    ))
    .bind(until)
    .bind(until - time::Duration::days(60))
    .fetch_all(&mut *u)
    .await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Topic {
    pub id: i64,
    pub name: String,
}

pub async fn topics<'e>(exec: impl Into<Exec<'e>>) -> Result<Vec<Topic>> {
    query("SELECT id, name FROM training_topics WHERE active = $1 ORDER BY sort_order, id")
        .bind(true)
        .fetch_all(exec)
        .await
}

/// Whether the unit's user may add a topic (coordinators and admins); asked before the name is
/// checked.
pub fn may_add_topic(u: &mut Unit) -> Result<()> {
    if matches!(u.actor()?.role, Role::Coordinator | Role::Admin) {
        return Ok(());
    }
    u.audit(
        Event::new("training_topic.create")
            .object_type("training_topic")
            .outcome(crate::audit::Outcome::Denied),
    );
    Err(Error::Forbidden)
}

/// Adds a topic to the master data (coordinators and admins).
pub async fn add_topic(u: &mut Unit, name: &str) -> Result<i64> {
    may_add_topic(u)?;
    let mut w = u.write().await?;
    let (id,): (i64,) =
        query("INSERT INTO training_topics (name, sort_order) VALUES ($1, 50) RETURNING id")
            .bind(name)
            .fetch_one(&mut w.tx)
            .await
            .map_err(|e| match e.on_unique("name") {
                Error::Conflict(field) => Error::Invalid {
                    field,
                    message: "同じ名前のテーマがあります。",
                },
                e => e,
            })?;
    w.record(Event::new("training_topic.create").object("training_topic", id))
        .await?;
    w.commit().await?;
    Ok(id)
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Participant {
    pub agency_id: Option<i64>,
    /// The agency's name, or the name typed for others.
    pub name: String,
    pub headcount: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Training {
    pub id: i64,
    pub area_id: i64,
    pub title: String,
    pub topic_id: Option<i64>,
    pub topic_name: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    pub place: Option<String>,
    pub lecturer: Option<String>,
    /// Percent satisfied (optional).
    pub satisfaction: Option<i64>,
    pub note: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[sqlx(skip)]
    pub participants: Vec<Participant>,
}

impl Training {
    pub fn headcount(&self) -> i64 {
        self.participants.iter().map(|p| p.headcount).sum()
    }
}

#[derive(Clone, Debug)]
pub struct NewTraining {
    pub area_id: AreaId,
    pub title: String,
    pub topic_id: Option<i64>,
    pub held_on: Date,
    pub place: Option<String>,
    pub lecturer: Option<String>,
    pub satisfaction: Option<i64>,
    pub note: Option<String>,
    /// Agency (or a name) and how many came.
    pub participants: Vec<(Option<AgencyId>, String, i64)>,
}

const TRAINING: &str = "SELECT t.id, t.area_id, t.title, t.topic_id, k.name AS topic_name, t.held_on, t.place, t.lecturer, t.satisfaction, t.note, t.created_at \
    FROM trainings t LEFT JOIN training_topics k ON k.id = t.topic_id";

pub async fn create_training(u: &mut Unit, new: &NewTraining) -> Result<i64> {
    may(u, new.area_id, true, "training.create")?;
    let mut w = u.write().await?;
    let actor = w.actor()?;
    let (id,): (i64,) = query(
        "INSERT INTO trainings (area_id, title, topic_id, held_on, place, lecturer, satisfaction, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(new.area_id)
    .bind(&new.title)
    .bind(new.topic_id)
    .bind(new.held_on)
    .bind(new.place.clone())
    .bind(new.lecturer.clone())
    .bind(new.satisfaction)
    .bind(new.note.clone())
    .bind(actor.user_id)
    .bind(crate::now())
    .fetch_one(&mut w.tx)
    .await
    .map_err(|e| e.on_foreign_key("topic_id", "テーマが見つかりません。"))?;
    for (agency, name, headcount) in &new.participants {
        query("INSERT INTO training_participants (training_id, agency_id, name, headcount) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(*agency)
            .bind(name)
            .bind(*headcount)
            .execute(&mut w.tx)
            .await
            .map_err(|e| e.on_foreign_key("participants", "参加機関が見つかりません。"))?;
    }
    w.record(Event::new("training.create").object("training", id))
        .await?;
    w.commit().await?;
    Ok(id)
}

/// The trainings of the actor's areas (or those an agency took part in), newest first.
pub async fn trainings(
    u: &mut Unit,
    agency: Option<AgencyId>,
    limit: i64,
) -> Result<Vec<Training>> {
    let actor = u.actor()?;
    let areas: Vec<i64> = actor.area_ids.iter().map(|a| a.0).collect();
    if !actor.role.needs_areas() || areas.is_empty() {
        return Ok(vec![]);
    }
    let mut list: Vec<Training> = query(format!(
        "{TRAINING} WHERE t.area_id IN ({}) AND ($1 IS NULL OR t.id IN (SELECT training_id FROM training_participants WHERE agency_id = $1)) \
         ORDER BY t.held_on DESC, t.id DESC LIMIT $2",
        db::id_list(areas)
    ))
    .bind(agency)
    .bind(limit)
    .fetch_all(&mut *u)
    .await?;
    let ids: Vec<i64> = list.iter().map(|t| t.id).collect();
    if !ids.is_empty() {
        let rows: Vec<(i64, Option<i64>, String, i64)> = query(format!(
            "SELECT p.training_id, p.agency_id, COALESCE(a.name, p.name), p.headcount FROM training_participants p \
             LEFT JOIN agencies a ON a.id = p.agency_id WHERE p.training_id IN ({}) ORDER BY p.id",
            db::id_list(ids)
        ))
        .fetch_all(&mut *u)
        .await?;
        for t in &mut list {
            t.participants = rows
                .iter()
                .filter(|(tid, ..)| *tid == t.id)
                .map(|(_, agency_id, name, headcount)| Participant {
                    agency_id: *agency_id,
                    name: name.clone(),
                    headcount: *headcount,
                })
                .collect();
        }
    }
    Ok(list)
}
