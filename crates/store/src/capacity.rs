//! Capacity building (療育技術・支援資質の向上): visits to nurseries, schools and providers
//! (巡回相談・施設支援) and training sessions (研修会) with the agencies that came and how many.
//! The area's coordinators record them; its coordinators and supervisors read them.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{access::Purpose, Actor, AgencyId, AreaId, Role};

use crate::{
    audit::{self, Event, RequestMeta},
    children::{self, ChildId},
    db::{self, query},
    Db, Error, Result,
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
    /// Children discussed, by name: only for the area's staff, who may see them.
    #[sqlx(skip)]
    pub children: Vec<(i64, String)>,
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
    pub child_ids: Vec<ChildId>,
}

const VISIT: &str = "SELECT v.id, v.area_id, v.agency_id, a.name AS agency_name, v.visited_on, v.visitors, v.purpose, v.advice, v.follow_up_on \
    FROM visits v JOIN agencies a ON a.id = v.agency_id";

pub async fn create_visit(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    new: &NewVisit,
) -> Result<i64> {
    check_area(actor, new.area_id, true)?;
    // Children discussed are named only when the coordinator may change their record.
    for child in &new.child_ids {
        children::authorize(db, meta, actor, *child, Purpose::Write, "visit.create").await?;
    }
    let mut tx = db.begin().await?;
    let (id,): (i64,) = query(
        "INSERT INTO visits (area_id, agency_id, visited_on, visitors, purpose, advice, follow_up_on, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
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
    .fetch_one(&mut tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "訪問先の機関が見つかりません。"))?;
    for child in &new.child_ids {
        query("INSERT INTO visit_children (visit_id, child_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(child.0)
            .execute(&mut tx)
            .await?;
        children::add_event(
            &mut tx,
            *child,
            "visit",
            &format!(
                "巡回相談・施設支援で話し合いました：{}",
                new.purpose.chars().take(40).collect::<String>()
            ),
            Some(id),
            Some(actor),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("visit.create").by(actor).object("visit", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The visits of the actor's areas (or of one agency), newest first.
pub async fn visits(
    db: &Db,
    actor: &Actor,
    agency: Option<AgencyId>,
    limit: i64,
) -> Result<Vec<Visit>> {
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
    .fetch_all(db)
    .await?;
    let ids: Vec<i64> = list.iter().map(|v| v.id).collect();
    if !ids.is_empty() {
        let named: Vec<(i64, i64, String)> = query(format!(
            "SELECT vc.visit_id, c.id, c.family_name || ' ' || c.given_name FROM visit_children vc JOIN children c ON c.id = vc.child_id WHERE vc.visit_id IN ({})",
            db::id_list(ids)
        ))
        .fetch_all(db)
        .await?;
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

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Topic {
    pub id: i64,
    pub name: String,
}

pub async fn topics(db: &Db) -> Result<Vec<Topic>> {
    query("SELECT id, name FROM training_topics WHERE active = $1 ORDER BY sort_order, id")
        .bind(true)
        .fetch_all(db)
        .await
}

/// Adds a topic to the master data (coordinators and admins).
pub async fn add_topic(db: &Db, meta: &RequestMeta, actor: &Actor, name: &str) -> Result<i64> {
    if !matches!(actor.role, Role::Coordinator | Role::Admin) {
        return Err(Error::Forbidden);
    }
    let mut tx = db.begin().await?;
    let (id,): (i64,) =
        query("INSERT INTO training_topics (name, sort_order) VALUES ($1, 50) RETURNING id")
            .bind(name)
            .fetch_one(&mut tx)
            .await
            .map_err(|e| match e.on_unique("name") {
                Error::Conflict(field) => Error::Invalid {
                    field,
                    message: "同じ名前のテーマがあります。",
                },
                e => e,
            })?;
    audit::record(
        &mut tx,
        meta,
        Event::new("training_topic.create")
            .by(actor)
            .object("training_topic", id),
    )
    .await?;
    tx.commit().await?;
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

pub async fn create_training(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    new: &NewTraining,
) -> Result<i64> {
    check_area(actor, new.area_id, true)?;
    let mut tx = db.begin().await?;
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
    .fetch_one(&mut tx)
    .await
    .map_err(|e| e.on_foreign_key("topic_id", "テーマが見つかりません。"))?;
    for (agency, name, headcount) in &new.participants {
        query("INSERT INTO training_participants (training_id, agency_id, name, headcount) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(*agency)
            .bind(name)
            .bind(*headcount)
            .execute(&mut tx)
            .await
            .map_err(|e| e.on_foreign_key("participants", "参加機関が見つかりません。"))?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("training.create")
            .by(actor)
            .object("training", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The trainings of the actor's areas (or those an agency took part in), newest first.
pub async fn trainings(
    db: &Db,
    actor: &Actor,
    agency: Option<AgencyId>,
    limit: i64,
) -> Result<Vec<Training>> {
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
    .fetch_all(db)
    .await?;
    let ids: Vec<i64> = list.iter().map(|t| t.id).collect();
    if !ids.is_empty() {
        let rows: Vec<(i64, Option<i64>, String, i64)> = query(format!(
            "SELECT p.training_id, p.agency_id, COALESCE(a.name, p.name), p.headcount FROM training_participants p \
             LEFT JOIN agencies a ON a.id = p.agency_id WHERE p.training_id IN ({}) ORDER BY p.id",
            db::id_list(ids)
        ))
        .fetch_all(db)
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
