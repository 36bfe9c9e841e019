//! Agencies (関係機関) and their kinds: the local resources directory. Changes check the
//! directory's access rule first (a refusal is logged), then write with their audit entry in one
//! transaction.

use serde::Serialize;
use time::Date;
use tsunagu_domain::{
    directory::{may_edit_contacts, may_manage_agency},
    kana, Actor, AgencyId, AreaId, MunicipalityId, Role,
};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    contains_pattern,
    db::{query, Exec, On},
    Db, Error, Page, Paging, Result, Tx,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AgencyKind {
    pub id: i64,
    pub name: String,
    /// health, medical, welfare, education, administration, employment or other
    pub sector: String,
    pub sort_order: i64,
    pub active: bool,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AgencyRef {
    #[schema(value_type = i64)]
    pub id: AgencyId,
    pub name: String,
}

/// One agency as lists and its page show it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Agency {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub kind_id: Option<i64>,
    pub kind_name: Option<String>,
    pub sector: Option<String>,
    pub municipality_id: Option<i64>,
    pub municipality_name: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub hours: Option<String>,
    pub age_from: Option<i64>,
    pub age_to: Option<i64>,
    pub needs_served: Option<String>,
    pub capacity_note: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub capacity_checked_on: Option<Date>,
    pub notes: Option<String>,
    pub active: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<Date>,
    /// Services offered, from the controlled list or free tags.
    #[sqlx(skip)]
    pub services: Vec<String>,
    #[sqlx(skip)]
    pub contacts: Vec<Contact>,
    /// Raised by every change: the API's ETag, the form's hidden version.
    pub version: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, sqlx::FromRow, utoipa::ToSchema)]
pub struct Contact {
    pub name: String,
    pub role: Option<String>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NamedRef {
    pub id: i64,
    pub name: String,
}

/// An agency's page: the agency and what hangs off it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AgencyDetail {
    #[serde(flatten)]
    pub agency: Agency,
    /// Areas of the municipality where it stands.
    pub home_areas: Vec<NamedRef>,
    /// Further areas it serves.
    pub served_areas: Vec<NamedRef>,
    /// Staff accounts (logins), for those who manage it.
    pub staff: Vec<NamedRef>,
    pub councils: Vec<NamedRef>,
}

impl AgencyDetail {
    pub fn area_ids(&self) -> Vec<AreaId> {
        self.home_areas
            .iter()
            .chain(&self.served_areas)
            .map(|a| AreaId(a.id))
            .collect()
    }
}

/// Everything an agency's manager gives.
#[derive(Clone, Debug, PartialEq)]
pub struct AgencyInput {
    pub name: String,
    pub kana: String,
    pub kind_id: i64,
    pub municipality_id: MunicipalityId,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub hours: Option<String>,
    pub age_from: Option<i64>,
    pub age_to: Option<i64>,
    pub needs_served: Option<String>,
    pub capacity_note: Option<String>,
    pub capacity_checked_on: Option<Date>,
    pub notes: Option<String>,
    pub contacts: Vec<Contact>,
    pub services: Vec<String>,
    pub served_area_ids: Vec<AreaId>,
}

/// What an agency's own staff may change.
#[derive(Clone, Debug, Default)]
pub struct ContactChange {
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub hours: Option<String>,
    pub contacts: Vec<Contact>,
    pub capacity_note: Option<String>,
    pub capacity_checked_on: Option<Date>,
}

/// The directory's filters; each `None` is "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub q: Option<String>,
    pub kind_id: Option<i64>,
    pub sector: Option<String>,
    pub municipality_id: Option<i64>,
    pub area_id: Option<i64>,
    pub service: Option<String>,
    pub age: Option<i64>,
    pub include_closed: bool,
}

const COLUMNS: &str = "a.id, a.name, a.kana, a.kind_id, k.name AS kind_name, k.sector, a.municipality_id, \
    m.name AS municipality_name, a.postal_code, a.address, a.phone, a.fax, a.email, a.website, a.hours, \
    a.age_from, a.age_to, a.needs_served, a.capacity_note, a.capacity_checked_on, a.notes, a.active, a.closed_on, a.version";
const FROM: &str = "FROM agencies a LEFT JOIN agency_kinds k ON k.id = a.kind_id \
    LEFT JOIN municipalities m ON m.id = a.municipality_id";
const WHERE: &str = "WHERE ($1 IS NULL OR a.search_key LIKE $1 ESCAPE '\\') \
    AND ($2 IS NULL OR a.kind_id = $2) \
    AND ($3 IS NULL OR k.sector = $3) \
    AND ($4 IS NULL OR a.municipality_id = $4) \
    AND ($5 IS NULL OR EXISTS (SELECT 1 FROM agency_services s WHERE s.agency_id = a.id AND s.name = $5)) \
    AND ($6 IS NULL OR ((a.age_from IS NULL OR a.age_from <= $6) AND (a.age_to IS NULL OR a.age_to >= $6))) \
    AND ($7 IS NULL OR a.municipality_id IN (SELECT am.municipality_id FROM area_municipalities am WHERE am.area_id = $7) \
         OR EXISTS (SELECT 1 FROM agency_served_areas sa WHERE sa.agency_id = a.id AND sa.area_id = $7)) \
    AND ($8 IS NULL OR a.active = $8)";

fn bind_filter(q: crate::db::Query, f: &Filter) -> crate::db::Query {
    let pattern =
        f.q.as_deref()
            .map(kana::normalize)
            .filter(|k| !k.is_empty())
            .map(|k| contains_pattern(&k));
    q.bind(pattern)
        .bind(f.kind_id)
        .bind(f.sector.as_deref())
        .bind(f.municipality_id)
        .bind(f.service.as_deref())
        .bind(f.age)
        .bind(f.area_id)
        .bind((!f.include_closed).then_some(true))
}

/// Agencies matching `filter`, by kind then reading, with their services and contacts.
pub async fn list<'a>(
    on: impl Into<On<'a>>,
    filter: &Filter,
    paging: Paging,
) -> Result<Page<Agency>> {
    let mut on = on.into();
    let (total,): (i64,) = bind_filter(query(format!("SELECT COUNT(*) {FROM} {WHERE}")), filter)
        .fetch_one(on.exec())
        .await?;
    let mut items: Vec<Agency> = bind_filter(
        query(format!(
            "SELECT {COLUMNS} {FROM} {WHERE} ORDER BY k.sort_order, a.kana, a.name, a.id LIMIT $9 OFFSET $10"
        )),
        filter,
    )
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(on.exec())
    .await?;
    attach_details(&mut on, &mut items).await?;
    Ok(Page { items, total })
}

/// Services and contacts of a page of agencies, in two queries rather than two per agency.
async fn attach_details<'a>(on: impl Into<On<'a>>, items: &mut [Agency]) -> Result<()> {
    let mut on = on.into();
    if items.is_empty() {
        return Ok(());
    }
    // Built from integer ids only, never from input.
    let ids = items
        .iter()
        .map(|a| a.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let services: Vec<(i64, String)> = query(format!(
        "SELECT agency_id, name FROM agency_services WHERE agency_id IN ({ids}) ORDER BY name"
    ))
    .fetch_all(on.exec())
    .await?;
    let contacts: Vec<(i64, String, Option<String>)> = query(format!(
        "SELECT agency_id, name, role FROM agency_contacts WHERE agency_id IN ({ids}) ORDER BY sort_order, id"
    ))
    .fetch_all(on.exec())
    .await?;
    for a in items.iter_mut() {
        a.services = services
            .iter()
            .filter(|(id, _)| *id == a.id)
            .map(|(_, n)| n.clone())
            .collect();
        a.contacts = contacts
            .iter()
            .filter(|(id, _, _)| *id == a.id)
            .map(|(_, name, role)| Contact {
                name: name.clone(),
                role: role.clone(),
            })
            .collect();
    }
    Ok(())
}

pub async fn get<'a>(on: impl Into<On<'a>>, id: AgencyId) -> Result<AgencyDetail> {
    let mut on = on.into();
    let agency: Agency = query(format!("SELECT {COLUMNS} {FROM} WHERE a.id = $1"))
        .bind(id)
        .fetch_one(on.exec())
        .await?;
    let mut one = [agency];
    attach_details(&mut on, &mut one).await?;
    let [agency] = one;
    let home_areas = query(
        "SELECT ar.id, ar.name FROM areas ar JOIN area_municipalities am ON am.area_id = ar.id \
         WHERE am.municipality_id = $1 ORDER BY ar.name",
    )
    .bind(agency.municipality_id)
    .fetch_all(on.exec())
    .await?;
    let served_areas = query(
        "SELECT ar.id, ar.name FROM areas ar JOIN agency_served_areas sa ON sa.area_id = ar.id \
         WHERE sa.agency_id = $1 ORDER BY ar.name",
    )
    .bind(id)
    .fetch_all(on.exec())
    .await?;
    let staff =
        query("SELECT id, display_name AS name FROM users WHERE agency_id = $1 ORDER BY login")
            .bind(id)
            .fetch_all(on.exec())
            .await?;
    let councils = query(
        "SELECT c.id, c.name FROM councils c JOIN council_members cm ON cm.council_id = c.id \
         WHERE cm.agency_id = $1 ORDER BY c.name",
    )
    .bind(id)
    .fetch_all(on.exec())
    .await?;
    Ok(AgencyDetail {
        agency,
        home_areas,
        served_areas,
        staff,
        councils,
    })
}

/// The areas of a municipality, and those given: where an agency counts as standing or serving.
async fn areas_for<'e>(
    exec: impl Into<Exec<'e>>,
    municipality: MunicipalityId,
    served: &[AreaId],
) -> Result<Vec<AreaId>> {
    let rows: Vec<(i64,)> =
        query("SELECT area_id FROM area_municipalities WHERE municipality_id = $1")
            .bind(municipality)
            .fetch_all(exec)
            .await?;
    let mut areas: Vec<AreaId> = rows
        .into_iter()
        .map(|(a,)| AreaId(a))
        .chain(served.iter().copied())
        .collect();
    areas.sort();
    areas.dedup();
    Ok(areas)
}

async fn deny(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    action: &str,
    id: Option<AgencyId>,
) -> Error {
    let mut event = Event::new(action)
        .by(actor)
        .outcome(Outcome::Denied)
        .object_type("agency");
    if let Some(id) = id {
        event = event.object("agency", id);
    }
    match audit::record_alone(db, meta, event).await {
        Ok(()) => Error::Forbidden,
        Err(e) => e,
    }
}

/// Whether `actor` may create an agency standing in `municipality` and serving `served`.
/// Whether `actor` may register an agency (`id` None) or change agency `id`, asked before the
/// body is read: agency staff and the committee never may, others only where they manage the
/// agency now (where it will be is checked again with the body). A refusal is audited.
pub async fn may_change(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: Option<AgencyId>,
) -> Result<()> {
    let allowed = match id {
        None => matches!(
            actor.role,
            Role::Admin | Role::Coordinator | Role::Supervisor
        ),
        Some(id) => may_manage_agency(actor, &get(db, id).await?.area_ids()),
    };
    if allowed {
        Ok(())
    } else {
        let action = if id.is_some() {
            "agency.update"
        } else {
            "agency.create"
        };
        Err(deny(db, meta, actor, action, id).await)
    }
}

pub async fn may_create<'a>(
    on: impl Into<On<'a>>,
    actor: &Actor,
    municipality: MunicipalityId,
    served: &[AreaId],
) -> Result<bool> {
    let mut on = on.into();
    Ok(may_manage_agency(
        actor,
        &areas_for(&mut on, municipality, served).await?,
    ))
}

pub async fn create(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    input: &AgencyInput,
) -> Result<AgencyId> {
    if !may_create(db, actor, input.municipality_id, &input.served_area_ids).await? {
        return Err(deny(db, meta, actor, "agency.create", None).await);
    }
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, input).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("agency.create").by(actor).object("agency", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates every agency of an import in one transaction: all or nothing.
pub async fn import(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    inputs: &[AgencyInput],
) -> Result<Vec<AgencyId>> {
    // Rows share few municipalities: check each place once.
    let mut allowed: std::collections::HashMap<(MunicipalityId, Vec<AreaId>), bool> =
        Default::default();
    for input in inputs {
        let key = (input.municipality_id, input.served_area_ids.clone());
        let ok = match allowed.get(&key) {
            Some(ok) => *ok,
            None => {
                let ok =
                    may_create(db, actor, input.municipality_id, &input.served_area_ids).await?;
                allowed.insert(key, ok);
                ok
            }
        };
        if !ok {
            return Err(deny(db, meta, actor, "agency.import", None).await);
        }
    }
    let mut tx = db.begin().await?;
    let mut ids = Vec::with_capacity(inputs.len());
    for input in inputs {
        ids.push(insert(&mut tx, input).await?);
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("agency.import")
            .by(actor)
            .object_type("agency")
            .detail(format!("rows={}", ids.len())),
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

async fn insert(tx: &mut Tx, input: &AgencyInput) -> Result<AgencyId> {
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO agencies (name, kana, search_key, municipality_id, active, created_at, updated_at, \
         kind_id, postal_code, address, phone, fax, email, website, hours, age_from, age_to, needs_served, \
         capacity_note, capacity_checked_on, notes, address_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
         RETURNING id",
    )
    .bind(&input.name)
    .bind(&input.kana)
    .bind(search_key(&input.name, &input.kana))
    .bind(input.municipality_id)
    .bind(true)
    .bind(now)
    .bind(input.kind_id)
    .bind(input.postal_code.as_deref())
    .bind(input.address.as_deref())
    .bind(input.phone.as_deref())
    .bind(input.fax.as_deref())
    .bind(input.email.as_deref())
    .bind(input.website.as_deref())
    .bind(input.hours.as_deref())
    .bind(input.age_from)
    .bind(input.age_to)
    .bind(input.needs_served.as_deref())
    .bind(input.capacity_note.as_deref())
    .bind(input.capacity_checked_on)
    .bind(input.notes.as_deref())
    .bind(address_key(&input.name, input.address.as_deref()))
    .fetch_one(&mut *tx)
    .await
    .map_err(references)?;
    let id = AgencyId(id);
    set_children(
        tx,
        id,
        &input.contacts,
        Some((&input.services, &input.served_area_ids)),
    )
    .await?;
    Ok(id)
}

fn references(e: Error) -> Error {
    e.on_foreign_key("kind_id", "種別または市町村が見つかりません。")
}

/// Contacts always; services and served areas when given.
async fn set_children(
    tx: &mut Tx,
    id: AgencyId,
    contacts: &[Contact],
    rest: Option<(&[String], &[AreaId])>,
) -> Result<()> {
    query("DELETE FROM agency_contacts WHERE agency_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for (i, c) in contacts.iter().enumerate() {
        query("INSERT INTO agency_contacts (agency_id, name, role, sort_order) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(&c.name)
            .bind(c.role.as_deref())
            .bind(i as i64)
            .execute(&mut *tx)
            .await?;
    }
    if let Some((services, areas)) = rest {
        query("DELETE FROM agency_services WHERE agency_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut seen = Vec::new();
        for s in services.iter().filter(|s| !s.is_empty()) {
            if !seen.contains(s) {
                seen.push(s.clone());
                query("INSERT INTO agency_services (agency_id, name) VALUES ($1, $2)")
                    .bind(id)
                    .bind(s)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        query("DELETE FROM agency_served_areas WHERE agency_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut areas = areas.to_vec();
        areas.sort();
        areas.dedup();
        for a in areas {
            query("INSERT INTO agency_served_areas (agency_id, area_id) VALUES ($1, $2)")
                .bind(id)
                .bind(a)
                .execute(&mut *tx)
                .await
                .map_err(|e| e.on_foreign_key("served_area_ids", "地域が見つかりません。"))?;
        }
    }
    Ok(())
}

pub fn search_key(name: &str, kana_reading: &str) -> String {
    format!("{}{}", kana::normalize(name), kana::normalize(kana_reading))
}

/// What makes two agencies the same: the name and the address, normalised.
pub fn address_key(name: &str, address: Option<&str>) -> String {
    format!(
        "{}|{}",
        kana::normalize(name),
        kana::normalize(address.unwrap_or_default())
    )
}

/// An existing agency with this name and address, if any.
pub async fn find_duplicate<'a>(
    on: impl Into<On<'a>>,
    name: &str,
    address: Option<&str>,
) -> Result<Option<AgencyRef>> {
    let mut on = on.into();
    query("SELECT id, name FROM agencies WHERE address_key = $1 ORDER BY id LIMIT 1")
        .bind(address_key(name, address))
        .fetch_optional(on.exec())
        .await
}

/// Changes every field; the actor must manage the agency where it stands now and where it will.
/// `expected` is the version the writer read: the write is refused with [`Error::Stale`] when
/// someone changed the agency since (None: a deliberate overwrite, `If-Match: *`).
pub async fn update(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: AgencyId,
    input: &AgencyInput,
    expected: Option<i64>,
) -> Result<()> {
    let current = get(db, id).await?;
    let after = areas_for(db, input.municipality_id, &input.served_area_ids).await?;
    if !may_manage_agency(actor, &current.area_ids()) || !may_manage_agency(actor, &after) {
        return Err(deny(db, meta, actor, "agency.update", Some(id)).await);
    }
    let mut tx = db.begin().await?;
    let changed = query(
        "UPDATE agencies SET name = $1, kana = $2, search_key = $3, municipality_id = $4, updated_at = $5, \
         kind_id = $6, postal_code = $7, address = $8, phone = $9, fax = $10, email = $11, website = $12, \
         hours = $13, age_from = $14, age_to = $15, needs_served = $16, capacity_note = $17, \
         capacity_checked_on = $18, notes = $19, address_key = $20, version = version + 1 \
         WHERE id = $21 AND ($22 IS NULL OR version = $22)",
    )
    .bind(&input.name)
    .bind(&input.kana)
    .bind(search_key(&input.name, &input.kana))
    .bind(input.municipality_id)
    .bind(crate::now())
    .bind(input.kind_id)
    .bind(input.postal_code.as_deref())
    .bind(input.address.as_deref())
    .bind(input.phone.as_deref())
    .bind(input.fax.as_deref())
    .bind(input.email.as_deref())
    .bind(input.website.as_deref())
    .bind(input.hours.as_deref())
    .bind(input.age_from)
    .bind(input.age_to)
    .bind(input.needs_served.as_deref())
    .bind(input.capacity_note.as_deref())
    .bind(input.capacity_checked_on)
    .bind(input.notes.as_deref())
    .bind(address_key(&input.name, input.address.as_deref()))
    .bind(id)
    .bind(expected)
    .execute(&mut tx)
    .await
    .map_err(references)?;
    if changed == 0 {
        // The row exists (read above): it moved since the writer read it.
        let (now,): (i64,) = query("SELECT version FROM agencies WHERE id = $1")
            .bind(id)
            .fetch_one(&mut tx)
            .await?;
        return Err(Error::Stale { current: now });
    }
    set_children(
        &mut tx,
        id,
        &input.contacts,
        Some((&input.services, &input.served_area_ids)),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("agency.update").by(actor).object("agency", id),
    )
    .await?;
    tx.commit().await
}

/// The contact details and capacity note, which the agency's own staff may keep current.
pub async fn update_contacts(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: AgencyId,
    change: &ContactChange,
) -> Result<()> {
    let current = get(db, id).await?;
    if !may_edit_contacts(actor, id, &current.area_ids()) {
        return Err(deny(db, meta, actor, "agency.update_contacts", Some(id)).await);
    }
    let mut tx = db.begin().await?;
    query(
        "UPDATE agencies SET version = version + 1, phone = $1, fax = $2, email = $3, hours = $4, capacity_note = $5, \
         capacity_checked_on = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(change.phone.as_deref())
    .bind(change.fax.as_deref())
    .bind(change.email.as_deref())
    .bind(change.hours.as_deref())
    .bind(change.capacity_note.as_deref())
    .bind(change.capacity_checked_on)
    .bind(crate::now())
    .bind(id)
    .execute(&mut tx)
    .await?;
    set_children(&mut tx, id, &change.contacts, None).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("agency.update_contacts")
            .by(actor)
            .object("agency", id),
    )
    .await?;
    tx.commit().await
}

/// Closes an agency (it stays in the records, out of the directory) or opens it again.
pub async fn set_closed(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: AgencyId,
    closed_on: Option<Date>,
) -> Result<()> {
    let current = get(db, id).await?;
    let action = if closed_on.is_some() {
        "agency.close"
    } else {
        "agency.reopen"
    };
    if !may_manage_agency(actor, &current.area_ids()) {
        return Err(deny(db, meta, actor, action, Some(id)).await);
    }
    let mut tx = db.begin().await?;
    query("UPDATE agencies SET active = $1, closed_on = $2, updated_at = $3, version = version + 1 WHERE id = $4")
        .bind(closed_on.is_none())
        .bind(closed_on)
        .bind(crate::now())
        .bind(id)
        .execute(&mut tx)
        .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new(action).by(actor).object("agency", id),
    )
    .await?;
    tx.commit().await
}

/// Creates an agency inside `tx` without a user's access check: for the demo and for data
/// loaded by the operator from the command line. Still audited.
pub async fn create_in(tx: &mut Tx, meta: &RequestMeta, input: &AgencyInput) -> Result<AgencyId> {
    let id = insert(tx, input).await?;
    audit::record(tx, meta, Event::new("agency.create").object("agency", id)).await?;
    Ok(id)
}

/// The agencies a chooser offers for a child of `area`: the active agencies in the area or
/// serving it, and the given ones (already on the child's team, say). A prefecture has
/// thousands; the others are found by name through [`list`].
pub async fn near<'a>(on: impl Into<On<'a>>, area: i64, also: &[i64]) -> Result<Vec<AgencyRef>> {
    let mut on = on.into();
    // The ids are the caller's own numbers, never text.
    let also = crate::db::id_list(also.iter().copied());
    // Three index lookups joined, not one condition tested on every agency of the prefecture.
    query(format!(
        "SELECT a.id, a.name FROM agencies a WHERE a.active = $1 AND a.id IN ( \
         SELECT x.id FROM agencies x WHERE x.municipality_id IN (SELECT am.municipality_id FROM area_municipalities am WHERE am.area_id = $2) \
         UNION SELECT sa.agency_id FROM agency_served_areas sa WHERE sa.area_id = $2 \
         UNION SELECT y.id FROM agencies y WHERE y.id IN ({also})) \
         ORDER BY a.kana, a.name"
    ))
    .bind(true)
    .bind(area)
    .fetch_all(on.exec())
    .await
}

/// The named agencies (active or not), by reading: what a form already chose.
pub async fn by_ids<'a>(on: impl Into<On<'a>>, ids: &[i64]) -> Result<Vec<AgencyRef>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut on = on.into();
    // The ids are parsed numbers, never text.
    let ids = crate::db::id_list(ids.iter().copied());
    query(format!(
        "SELECT id, name FROM agencies WHERE id IN ({ids}) ORDER BY kana, name"
    ))
    .fetch_all(on.exec())
    .await
}

/// Active agencies by reading, for choosers.
pub async fn all<'a>(on: impl Into<On<'a>>) -> Result<Vec<AgencyRef>> {
    let mut on = on.into();
    query("SELECT id, name FROM agencies WHERE active = $1 ORDER BY kana, name")
        .bind(true)
        .fetch_all(on.exec())
        .await
}

pub async fn kinds<'a>(on: impl Into<On<'a>>) -> Result<Vec<AgencyKind>> {
    let mut on = on.into();
    query("SELECT id, name, sector, sort_order, active FROM agency_kinds ORDER BY sort_order, id")
        .fetch_all(on.exec())
        .await
}

/// The administrator adds or corrects a kind.
pub async fn save_kind(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: Option<i64>,
    name: &str,
    sector: &str,
    active: bool,
) -> Result<i64> {
    let mut tx = db.begin().await?;
    let id = match id {
        Some(id) => {
            let n =
                query("UPDATE agency_kinds SET name = $1, sector = $2, active = $3 WHERE id = $4")
                    .bind(name)
                    .bind(sector)
                    .bind(active)
                    .bind(id)
                    .execute(&mut tx)
                    .await
                    .map_err(|e| e.on_unique("name"))?;
            if n == 0 {
                return Err(Error::NotFound);
            }
            id
        }
        None => {
            let (id,): (i64,) = query(
                "INSERT INTO agency_kinds (name, sector, sort_order, active) \
                 VALUES ($1, $2, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM agency_kinds), $3) RETURNING id",
            )
            .bind(name)
            .bind(sector)
            .bind(active)
            .fetch_one(&mut tx)
            .await
            .map_err(|e| e.on_unique("name"))?;
            id
        }
    };
    audit::record(
        &mut tx,
        meta,
        Event::new("agency_kind.save")
            .by(actor)
            .object("agency_kind", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// How many active agencies of each kind: all the committee sees of the directory.
pub async fn counts_by_kind<'a>(on: impl Into<On<'a>>) -> Result<Vec<(String, String, i64)>> {
    let mut on = on.into();
    query(
        "SELECT k.name, k.sector, COUNT(a.id) FROM agency_kinds k \
         LEFT JOIN agencies a ON a.kind_id = k.id AND a.active = $1 \
         GROUP BY k.id, k.name, k.sector, k.sort_order ORDER BY k.sort_order",
    )
    .bind(true)
    .fetch_all(on.exec())
    .await
}

/// The name-and-address keys of every agency, to find duplicates in an import at once.
pub async fn existing_keys<'a>(on: impl Into<On<'a>>) -> Result<std::collections::HashSet<String>> {
    let mut on = on.into();
    let rows: Vec<(String,)> = query("SELECT address_key FROM agencies")
        .fetch_all(on.exec())
        .await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}
