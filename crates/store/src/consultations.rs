//! Consultations (相談): the single window's intake. One may start anonymous and be linked to a
//! child later; a linked one is on the child's timeline.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    access::{child_access, ChildFacts, Purpose},
    Actor, AgencyId, AreaId, ConsultationId,
};

use crate::{
    access::{self, ChildAccess},
    audit::{self, Event, Outcome, RequestMeta},
    children::{self, ChildId},
    db::{query, Exec},
    Error, Page, Paging, Result, Tx, Unit,
};

#[derive(Clone, Debug)]
pub struct ConsultationInput {
    pub area_id: AreaId,
    pub child_id: Option<ChildId>,
    pub at: OffsetDateTime,
    pub channel: String,
    pub requester: String,
    pub requester_agency_id: Option<AgencyId>,
    pub caller: Option<String>,
    pub concern: String,
    pub action_taken: Option<String>,
    pub minutes: Option<i64>,
    pub follow_up_on: Option<Date>,
    pub category_ids: Vec<i64>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Consultation {
    #[schema(value_type = i64)]
    pub id: ConsultationId,
    pub area_id: i64,
    pub child_id: Option<i64>,
    pub child_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub channel: String,
    pub requester: String,
    pub requester_agency_name: Option<String>,
    pub caller: Option<String>,
    pub concern: String,
    pub action_taken: Option<String>,
    pub minutes: Option<i64>,
    #[schema(value_type = Option<String>, format = Date)]
    pub follow_up_on: Option<Date>,
    #[sqlx(skip)]
    pub categories: Vec<String>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Category {
    pub id: i64,
    pub name: String,
}

pub async fn categories<'e>(exec: impl Into<Exec<'e>>) -> Result<Vec<Category>> {
    query("SELECT id, name FROM consultation_categories WHERE active = $1 ORDER BY sort_order, id")
        .bind(true)
        .fetch_all(exec)
        .await
}

fn may_take_calls(actor: &Actor, area: AreaId) -> bool {
    let facts = ChildFacts {
        area: Some(area),
        ..ChildFacts::default()
    };
    child_access(
        actor,
        &facts,
        crate::children::today_in_japan(),
        Purpose::Write,
    )
    .is_ok()
}

fn summary(c: &ConsultationInput) -> String {
    let concern: String = c.concern.chars().take(40).collect();
    format!("相談（{}・{}）：{concern}", c.channel, c.requester)
}

/// Whether the unit's user takes calls in `area` (its coordinators); a refusal is audited.
/// Asked before the form's input is checked.
pub fn may_record(u: &mut Unit, area: AreaId) -> Result<()> {
    let actor = u.actor()?;
    if may_take_calls(&actor, area) {
        return Ok(());
    }
    u.audit(
        Event::new("consultation.create")
            .object_type("consultation")
            .outcome(Outcome::Denied),
    );
    Err(Error::Forbidden)
}

/// Records a consultation; one about a known child needs `child`, minted for a change of it.
pub async fn create(
    u: &mut Unit,
    input: &ConsultationInput,
    child: Option<&ChildAccess>,
) -> Result<ConsultationId> {
    may_record(u, input.area_id)?;
    let child_id = child.map(ChildAccess::child);
    if input.child_id != child_id {
        return Err(Error::Other(
            "a consultation's child without its access".into(),
        ));
    }
    let mut w = match child {
        Some(access) => access::write(u, access, "consultation.create").await?,
        None => u.write().await?,
    };
    let actor = w.actor()?;
    let id = insert_row(&mut w.tx, input, Some(&actor)).await?;
    w.record(Event::new("consultation.create").object("consultation", id))
        .await?;
    w.commit().await?;
    Ok(ConsultationId(id))
}

/// A consultation about the child with a photo (a quick note from a visit): both written in one
/// transaction, so a note never arrives without its photo; the photo's bytes are removed again
/// when the write fails.
pub async fn create_with_photo(
    u: &mut Unit,
    blobs: &crate::blobs::BlobStore,
    input: &ConsultationInput,
    child: &ChildAccess,
    photo: &crate::attachments::NewAttachment<'_>,
) -> Result<ConsultationId> {
    may_record(u, input.area_id)?;
    if input.child_id != Some(child.child()) {
        return Err(Error::Other(
            "a consultation's child without its access".into(),
        ));
    }
    let stored = crate::attachments::Stored::put(u, blobs, photo).await?;
    let result = async {
        let mut w = access::write(u, child, "consultation.create").await?;
        let actor = w.actor()?;
        let id = insert_row(&mut w.tx, input, Some(&actor)).await?;
        w.record(Event::new("consultation.create").object("consultation", id))
            .await?;
        stored
            .insert(&mut w, Some(child), Some(ConsultationId(id)))
            .await?;
        w.commit().await?;
        Ok::<ConsultationId, Error>(ConsultationId(id))
    }
    .await;
    if result.is_err() {
        stored.forget(blobs).await;
    }
    result
}

const COLUMNS: &str = "s.id, s.area_id, s.child_id, CASE WHEN c.id IS NULL THEN NULL ELSE c.family_name || ' ' || c.given_name END AS child_name, \
    s.at, s.channel, s.requester, a.name AS requester_agency_name, s.caller, s.concern, s.action_taken, s.minutes, s.follow_up_on";
const FROM: &str = "FROM consultations s LEFT JOIN children c ON c.id = s.child_id LEFT JOIN agencies a ON a.id = s.requester_agency_id";

async fn attach_categories(u: &mut Unit, items: &mut [Consultation]) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    // Integer ids only.
    let ids = items
        .iter()
        .map(|c| c.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<(i64, String)> = query(format!(
        "SELECT l.consultation_id, k.name FROM consultation_category_links l JOIN consultation_categories k ON k.id = l.category_id \
         WHERE l.consultation_id IN ({ids}) ORDER BY k.sort_order"
    ))
    .fetch_all(u)
    .await?;
    for c in items.iter_mut() {
        c.categories = rows
            .iter()
            .filter(|(id, _)| *id == c.id.0)
            .map(|(_, n)| n.clone())
            .collect();
    }
    Ok(())
}

/// The access check of a consultation: one linked to a child follows the child's rule for the
/// area's staff; an anonymous one belongs to the staff of its area. Answers its area and, when
/// linked, the access to its child. Anyone else is told it does not exist.
pub async fn authorize(
    u: &mut Unit,
    id: ConsultationId,
    purpose: Purpose,
    action: &str,
) -> Result<(AreaId, Option<ChildAccess>)> {
    let found: Option<(i64, Option<i64>)> =
        query("SELECT area_id, child_id FROM consultations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *u)
            .await?;
    let Some((area, child)) = found else {
        return Err(Error::NotFound);
    };
    let actor = u.actor()?;
    if let Some(child) = child {
        let access = access::child(u, ChildId(child), purpose, action).await?;
        if access.sees_everything() {
            return Ok((AreaId(area), Some(access)));
        }
    } else if may(&actor, AreaId(area), purpose) {
        return Ok((AreaId(area), None));
    }
    u.audit(
        Event::new(action)
            .object("consultation", id)
            .outcome(Outcome::Denied),
    );
    Err(Error::NotFound)
}

fn may(actor: &Actor, area: AreaId, purpose: Purpose) -> bool {
    let facts = ChildFacts {
        area: Some(area),
        ..ChildFacts::default()
    };
    child_access(actor, &facts, access::today(), purpose).is_ok()
}

/// One consultation, to the staff of its area (and of its child's).
pub async fn get(u: &mut Unit, id: ConsultationId) -> Result<Consultation> {
    authorize(u, id, Purpose::Read, "consultation.read").await?;
    let found: Option<Consultation> = query(format!("SELECT {COLUMNS} {FROM} WHERE s.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *u)
        .await?;
    let c = found.ok_or(Error::NotFound)?;
    let mut one = [c];
    attach_categories(u, &mut one).await?;
    let [c] = one;
    u.audit(Event::new("consultation.read").object("consultation", id));
    Ok(c)
}

/// What the consultations list is narrowed to; every part optional, all kept in the page's URL.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only those not yet linked to a child.
    pub unlinked: bool,
    /// Only those the user recorded.
    pub mine: bool,
    /// Taken on or after / on or before (Japan's days).
    pub from: Option<Date>,
    pub until: Option<Date>,
    pub category: Option<i64>,
    /// Only those with a follow-up date on or before this day.
    pub follow_up_by: Option<Date>,
}

/// The consultations of the user's areas as `f` narrows them, newest first. The children they
/// name are audited as shown.
pub async fn list(u: &mut Unit, f: &Filter, paging: Paging) -> Result<Page<Consultation>> {
    let actor = u.actor()?;
    // Area ids come from the user's own record, never input.
    let areas = if actor.role.needs_areas() {
        crate::db::id_list(actor.area_ids.iter().map(|a| a.0))
    } else {
        "NULL".to_owned()
    };
    let filter = format!(
        "WHERE s.area_id IN ({areas}) AND ($1 = $2 OR s.child_id IS NULL) AND ($3 IS NULL OR s.created_by = $3) \
         AND ($4 IS NULL OR s.at >= $4) AND ($5 IS NULL OR s.at < $5) AND ($6 IS NULL OR s.follow_up_on <= $6) \
         AND ($7 IS NULL OR s.id IN (SELECT l.consultation_id FROM consultation_category_links l WHERE l.category_id = $7))"
    );
    let day = |d: Date| {
        time::PrimitiveDateTime::new(d, time::Time::MIDNIGHT)
            .assume_offset(time::macros::offset!(+9))
    };
    let bind = |q: crate::db::Query| {
        q.bind(f.unlinked)
            .bind(false)
            .bind(f.mine.then_some(actor.user_id))
            .bind(f.from.map(day))
            .bind(f.until.and_then(Date::next_day).map(day))
            .bind(f.follow_up_by)
            .bind(f.category)
    };
    let (total,): (i64,) = bind(query(format!(
        "SELECT COUNT(*) FROM consultations s {filter}"
    )))
    .fetch_one(&mut *u)
    .await?;
    let mut items: Vec<Consultation> = bind(query(format!(
        "SELECT {COLUMNS} {FROM} {filter} ORDER BY s.at DESC, s.id DESC LIMIT $8 OFFSET $9"
    )))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&mut *u)
    .await?;
    attach_categories(u, &mut items).await?;
    u.audit(
        Event::new("consultation.list")
            .object_type("consultation")
            .detail(format!("results={total}")),
    );
    u.audit_shown(
        "consultation.list",
        items.iter().filter_map(|c| c.child_id).map(ChildId),
    );
    Ok(Page { items, total })
}

/// How many of the latest consultations the header's search looks through.
const SEARCHED: i64 = 2000;

/// The consultations of the user's areas of the last twelve months (the latest 2,000) whose
/// caller or concern contains `text` (the header's search: 「電話の山田さん」), newest first, at
/// most `limit`, with how many there are. The children they name are audited as shown.
pub async fn search(u: &mut Unit, text: &str, limit: i64) -> Result<Page<Consultation>> {
    let actor = u.actor()?;
    if !actor.role.needs_areas() || actor.area_ids.is_empty() || text.trim().is_empty() {
        return Ok(Page {
            items: vec![],
            total: 0,
        });
    }
    // Area ids come from the user's own record, never input.
    let areas = crate::db::id_list(actor.area_ids.iter().map(|a| a.0));
    let pattern = format!(
        "%{}%",
        text.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    // The latest consultations of the areas within the year, at most SEARCHED of them, read
    // newest first through the (area, time) index: a keystroke never reads a year of a busy
    // area's consultations (measured: 140 ms for one request on the prefecture's data).
    let window = format!(
        "SELECT w.id FROM consultations w WHERE w.area_id IN ({areas}) AND w.at >= $1 \
         ORDER BY w.at DESC LIMIT {SEARCHED}"
    );
    let filter = format!(
        "WHERE s.id IN ({window}) AND (s.concern LIKE $2 ESCAPE '\\' OR s.caller LIKE $2 ESCAPE '\\')"
    );
    let since = crate::now() - time::Duration::days(365);
    // The count reads ids only; the rows shown are the few the list has room for.
    let (total,): (i64,) = query(format!("SELECT COUNT(*) FROM consultations s {filter}"))
        .bind(since)
        .bind(pattern.as_str())
        .fetch_one(&mut *u)
        .await?;
    let items: Vec<Consultation> = query(format!(
        "SELECT {COLUMNS} {FROM} {filter} ORDER BY s.at DESC, s.id DESC LIMIT $3"
    ))
    .bind(since)
    .bind(pattern.as_str())
    .bind(limit)
    .fetch_all(&mut *u)
    .await?;
    u.audit(
        Event::new("consultation.search")
            .object_type("consultation")
            .detail(format!("results={total}")),
    );
    u.audit_shown(
        "consultation.search",
        items.iter().filter_map(|c| c.child_id).map(ChildId),
    );
    Ok(Page { items, total })
}

/// Links an anonymous consultation to a child, whose `access` is minted for a change; the
/// consultation joins the child's timeline.
pub async fn link(u: &mut Unit, id: ConsultationId, child: &ChildAccess) -> Result<()> {
    let (_, linked) = authorize(u, id, Purpose::Write, "consultation.link").await?;
    if linked.is_some() {
        return Err(Error::Invalid {
            field: "child_id",
            message: "この相談はすでに子どもの記録に結びついています。",
        });
    }
    let child_id = child.child();
    let mut w = access::write(u, child, "consultation.link").await?;
    let actor = w.actor()?;
    let found: Option<(Option<i64>, String, String, String, OffsetDateTime)> =
        query("SELECT child_id, channel, requester, concern, at FROM consultations WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut w.tx)
            .await?;
    let Some((None, channel, requester, concern, at)) = found else {
        return Err(Error::Invalid {
            field: "child_id",
            message: "この相談はすでに子どもの記録に結びついています。",
        });
    };
    query("UPDATE consultations SET child_id = $1 WHERE id = $2")
        .bind(child_id.0)
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    // Its documents follow it to the child's record.
    query("UPDATE attachments SET child_id = $1 WHERE consultation_id = $2 AND child_id IS NULL")
        .bind(child_id.0)
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    let input_summary = {
        let concern: String = concern.chars().take(40).collect();
        format!("相談（{channel}・{requester}）：{concern}")
    };
    children::add_event_at(
        &mut w.tx,
        child_id,
        at,
        "consultation",
        &input_summary,
        Some(id.0),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("consultation.link")
            .object("consultation", id)
            .detail(format!("child={child_id}")),
    )
    .await?;
    w.commit().await
}

/// A consultation as it was before a correction: what the history shows.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Snapshot {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub channel: String,
    pub requester: String,
    pub requester_agency_name: Option<String>,
    pub caller: Option<String>,
    pub concern: String,
    pub action_taken: Option<String>,
    pub minutes: Option<i64>,
    pub follow_up_on: Option<Date>,
    pub categories: Vec<String>,
}

impl From<&Consultation> for Snapshot {
    fn from(c: &Consultation) -> Snapshot {
        Snapshot {
            at: c.at,
            channel: c.channel.clone(),
            requester: c.requester.clone(),
            requester_agency_name: c.requester_agency_name.clone(),
            caller: c.caller.clone(),
            concern: c.concern.clone(),
            action_taken: c.action_taken.clone(),
            minutes: c.minutes,
            follow_up_on: c.follow_up_on,
            categories: c.categories.clone(),
        }
    }
}

/// One correction of a consultation: what it said before, who changed it, when and why.
#[derive(Clone, Debug)]
pub struct Revision {
    pub previous: Snapshot,
    pub reason: Option<String>,
    pub revised_by_name: Option<String>,
    pub revised_at: OffsetDateTime,
}

/// Corrects a consultation (the area's coordinators, and for a linked one those who may change
/// the child): its text, time, channel, caller, categories, time spent and follow-up. Its area
/// and child stay as they are. What it said before is kept as a revision with `reason`, and a
/// linked consultation's timeline entry follows the new text.
pub async fn update(
    u: &mut Unit,
    id: ConsultationId,
    input: &ConsultationInput,
    reason: Option<&str>,
) -> Result<()> {
    let (area, child) = authorize(u, id, Purpose::Write, "consultation.update").await?;
    let actor = u.actor()?;
    if child.is_none() && !may_take_calls(&actor, area) {
        return Err(Error::Forbidden);
    }
    let before = {
        let found: Option<Consultation> = query(format!("SELECT {COLUMNS} {FROM} WHERE s.id = $1"))
            .bind(id.0)
            .fetch_optional(&mut *u)
            .await?;
        let mut one = [found.ok_or(Error::NotFound)?];
        attach_categories(u, &mut one).await?;
        let [c] = one;
        c
    };
    let previous =
        serde_json::to_string(&Snapshot::from(&before)).map_err(|e| Error::Other(e.to_string()))?;
    let mut w = match &child {
        Some(access) => access::write(u, access, "consultation.update").await?,
        None => u.write().await?,
    };
    // The stored area and child, never the input's: a correction does not move a consultation.
    let input = ConsultationInput {
        area_id: area,
        child_id: before.child_id.map(ChildId),
        ..input.clone()
    };
    query(
        "UPDATE consultations SET at = $1, channel = $2, requester = $3, requester_agency_id = $4, caller = $5, \
         concern = $6, action_taken = $7, minutes = $8, follow_up_on = $9 WHERE id = $10",
    )
    .bind(input.at)
    .bind(&input.channel)
    .bind(&input.requester)
    .bind(input.requester_agency_id)
    .bind(input.caller.as_deref())
    .bind(&input.concern)
    .bind(input.action_taken.as_deref())
    .bind(input.minutes)
    .bind(input.follow_up_on)
    .bind(id.0)
    .execute(&mut w.tx)
    .await
    .map_err(|e| e.on_foreign_key("requester_agency_id", "相談元の機関が見つかりません。"))?;
    query("DELETE FROM consultation_category_links WHERE consultation_id = $1")
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    for category in &input.category_ids {
        link_category(id.0, *category, &input)
            .execute(&mut w.tx)
            .await
            .map_err(|e| {
                e.on_foreign_key("category_ids", "相談の分類が見つかりません。")
                    .on_unique("category_ids")
            })?;
    }
    query(
        "INSERT INTO consultation_revisions (consultation_id, previous, reason, revised_by, revised_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(previous)
    .bind(reason)
    .bind(actor.user_id)
    .bind(crate::now())
    .execute(&mut w.tx)
    .await?;
    if input.child_id.is_some() {
        query("UPDATE child_events SET summary = $1, at = $2 WHERE kind = 'consultation' AND ref_id = $3")
            .bind(summary(&input))
            .bind(input.at)
            .bind(id.0)
            .execute(&mut w.tx)
            .await?;
    }
    w.record(Event::new("consultation.update").object("consultation", id))
        .await?;
    w.commit().await
}

/// The corrections of a consultation, newest first (to those who may read it).
pub async fn revisions(u: &mut Unit, id: ConsultationId) -> Result<Vec<Revision>> {
    authorize(u, id, Purpose::Read, "consultation.read").await?;
    let rows: Vec<(String, Option<String>, Option<String>, OffsetDateTime)> = query(
        "SELECT r.previous, r.reason, u.display_name, r.revised_at FROM consultation_revisions r \
         LEFT JOIN users u ON u.id = r.revised_by WHERE r.consultation_id = $1 ORDER BY r.id DESC",
    )
    .bind(id.0)
    .fetch_all(&mut *u)
    .await?;
    rows.into_iter()
        .map(|(previous, reason, revised_by_name, revised_at)| {
            Ok(Revision {
                previous: serde_json::from_str(&previous)
                    .map_err(|e| Error::Other(format!("a consultation's revision: {e}")))?,
                reason,
                revised_by_name,
                revised_at,
            })
        })
        .collect()
}

/// A category link carries its consultation's area and time, so the evaluation counts
/// categories from one index (a consultation's area and time never change).
fn link_category(consultation: i64, category: i64, input: &ConsultationInput) -> crate::db::Query {
    query(
        "INSERT INTO consultation_category_links (consultation_id, category_id, area_id, at) VALUES ($1, $2, $3, $4)",
    )
    .bind(consultation)
    .bind(category)
    .bind(input.area_id)
    .bind(input.at)
}

/// Inside an existing transaction, for the demo.
pub async fn create_in(tx: &mut Tx, input: &ConsultationInput) -> Result<i64> {
    insert_row(tx, input, None).await
}

/// The consultation's row, its categories and, when linked, its timeline entry, inside `tx`.
async fn insert_row(tx: &mut Tx, input: &ConsultationInput, actor: Option<&Actor>) -> Result<i64> {
    let (id,): (i64,) = query(
        "INSERT INTO consultations (area_id, child_id, at, channel, requester, requester_agency_id, caller, concern, \
         action_taken, minutes, follow_up_on, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(input.area_id)
    .bind(input.child_id.map(|c| c.0))
    .bind(input.at)
    .bind(&input.channel)
    .bind(&input.requester)
    .bind(input.requester_agency_id)
    .bind(input.caller.as_deref())
    .bind(&input.concern)
    .bind(input.action_taken.as_deref())
    .bind(input.minutes)
    .bind(input.follow_up_on)
    .bind(actor.map(|a| a.user_id))
    .bind(crate::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("requester_agency_id", "相談元の機関が見つかりません。"))?;
    for category in &input.category_ids {
        link_category(id, *category, input)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                e.on_foreign_key("category_ids", "相談の分類が見つかりません。")
                    .on_unique("category_ids")
            })?;
    }
    if let Some(child) = input.child_id {
        children::add_event_at(
            tx,
            child,
            input.at,
            "consultation",
            &summary(input),
            Some(id),
            actor,
        )
        .await?;
    }
    Ok(id)
}

/// The intake of a child not yet known: registers `child` (its guardians with it) and records
/// the consultation about it, in one transaction, so neither exists without the other.
pub async fn create_with_new_child(
    u: &mut Unit,
    child: &children::ChildInput,
    input: &ConsultationInput,
) -> Result<(ChildId, ConsultationId)> {
    children::may_create(u, child.area_id)?;
    may_record(u, input.area_id)?;
    if child.area_id != input.area_id || input.child_id.is_some() {
        return Err(Error::Other(
            "a new child's consultation in another area".into(),
        ));
    }
    let mut w = u.write().await?;
    let actor = w.actor()?;
    let child_id = children::insert(&mut w.tx, child, Some(&actor)).await?;
    w.record(Event::new("child.create").object("child", child_id))
        .await?;
    let input = ConsultationInput {
        child_id: Some(child_id),
        ..input.clone()
    };
    let id = insert_row(&mut w.tx, &input, Some(&actor)).await?;
    w.record(
        Event::new("consultation.create")
            .object("consultation", id)
            .detail(format!("child={child_id}")),
    )
    .await?;
    w.commit().await?;
    Ok((child_id, ConsultationId(id)))
}

/// Every category, in use or not, for the administrator.
pub async fn all_categories<'e>(exec: impl Into<Exec<'e>>) -> Result<Vec<(i64, String, bool)>> {
    query("SELECT id, name, active FROM consultation_categories ORDER BY sort_order, id")
        .fetch_all(exec)
        .await
}

/// The administrator adds (`id` None) or corrects a category.
pub async fn save_category(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: &Actor,
    id: Option<i64>,
    name: &str,
    active: bool,
) -> Result<i64> {
    let id = match id {
        Some(id) => {
            let n =
                query("UPDATE consultation_categories SET name = $1, active = $2 WHERE id = $3")
                    .bind(name)
                    .bind(active)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| e.on_unique("name"))?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            id
        }
        None => {
            let (id,): (i64,) = query(
                "INSERT INTO consultation_categories (name, sort_order, active) \
                 VALUES ($1, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM consultation_categories), $2) RETURNING id",
            )
            .bind(name)
            .bind(active)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| e.on_unique("name"))?;
            id
        }
    };
    audit::record(
        tx,
        meta,
        Event::new("consultation_category.save")
            .by(actor)
            .object("consultation_category", id),
    )
    .await?;
    Ok(id)
}

/// Consultations of the coordinator's areas whose follow-up date falls by `until` (overdue ones
/// included), soonest first: what the coordinator should call back about.
pub async fn follow_ups(u: &mut Unit, until: Date) -> Result<Vec<Consultation>> {
    let actor = u.actor()?;
    if actor.role != tsunagu_domain::Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    // Area ids come from the user's own record, never input.
    let areas = crate::db::id_list(actor.area_ids.iter().map(|a| a.0));
    let found: Vec<Consultation> = query(format!(
        "SELECT {COLUMNS} {FROM} WHERE s.area_id IN ({areas}) AND s.follow_up_on IS NOT NULL AND s.follow_up_on <= $1 \
         AND s.follow_up_on >= $2 ORDER BY s.follow_up_on, s.id"
    ))
    .bind(until)
    .bind(until - time::Duration::days(60))
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown(
        "consultation.follow_ups",
        found.iter().filter_map(|c| c.child_id).map(ChildId),
    );
    Ok(found)
}

/// The child's latest consultations (at most `shown`, newest first) and how many there are in
/// all, for the child's page (the area's staff), in one statement; the child is audited as
/// shown with the page.
pub async fn latest_for_child(
    u: &mut Unit,
    access: &ChildAccess,
    shown: i64,
) -> Result<(Vec<Consultation>, i64)> {
    if !access.sees_everything() {
        return Ok((vec![], 0));
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        consultation: Consultation,
        total: i64,
    }
    let rows: Vec<Row> = query(format!(
        "SELECT {COLUMNS}, COUNT(*) OVER () AS total {FROM} WHERE s.child_id = $1 \
         ORDER BY s.at DESC, s.id DESC LIMIT $2"
    ))
    .bind(access.child().0)
    .bind(shown)
    .fetch_all(&mut *u)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((rows.into_iter().map(|r| r.consultation).collect(), total))
}

/// The child's consultations, oldest first, for the support file's history (the area's staff).
pub async fn for_child_history(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Consultation>> {
    if !access.sees_everything() {
        return Ok(vec![]);
    }
    let mut items: Vec<Consultation> = query(format!(
        "SELECT {COLUMNS} {FROM} WHERE s.child_id = $1 ORDER BY s.at, s.id"
    ))
    .bind(access.child().0)
    .fetch_all(&mut *u)
    .await?;
    attach_categories(u, &mut items).await?;
    Ok(items)
}
