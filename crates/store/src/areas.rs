//! Where Tsunagu works: prefecture → regions (圏域) → municipalities → areas. Regions and
//! municipalities ship as master data; areas are made by the administrator.

use serde::Serialize;
use tsunagu_domain::{
    calendar::YearEndClosure, kana, people::OperatorKind, Actor, AreaId, ChildId, MunicipalityId,
    RegionId,
};

use crate::{
    audit::{self, Event, RequestMeta},
    contains_pattern,
    db::{query, On},
    Error, Page, Paging, Result, Tx,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Region {
    #[schema(value_type = i64)]
    pub id: RegionId,
    pub name: String,
    pub kana: String,
    pub municipality_count: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Municipality {
    #[schema(value_type = i64)]
    pub id: MunicipalityId,
    #[schema(value_type = i64)]
    pub region_id: RegionId,
    pub region_name: String,
    /// 全国地方公共団体コード (5 digits, without the check digit).
    pub code: String,
    pub name: String,
    pub kana: String,
    pub active: bool,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, PartialEq, Eq, utoipa::ToSchema)]
pub struct Area {
    #[schema(value_type = i64)]
    pub id: AreaId,
    pub name: String,
    pub kana: String,
    pub note: Option<String>,
    pub active: bool,
    /// Who runs the area's coordination: 市町村直営 or 委託.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "entrusted")]
    pub operator_kind: OperatorKind,
    /// The corporation it is entrusted to (委託先), for 委託.
    pub operator_name: Option<String>,
    /// Who the area's coordination is for, when the area sets its own rule (柏市: 対象要件).
    pub eligibility_note: Option<String>,
    /// Active children a full-time coordinator should carry at most (the caseload flag).
    pub caseload_limit: Option<i64>,
    /// The year-end closure, month-day 「12-29」 to 「01-03」; both empty: none.
    pub closure_from: Option<String>,
    pub closure_to: Option<String>,
}

impl Area {
    /// 「市町村直営」 or 「委託（社会福祉法人○○）」.
    pub fn operator_label(&self) -> String {
        match (&self.operator_kind, self.operator_name.as_deref()) {
            (OperatorKind::Entrusted, Some(name)) if !name.trim().is_empty() => {
                format!("委託（{name}）")
            }
            (kind, _) => kind.label().to_owned(),
        }
    }

    /// The area's year-end closure, None when it sets none.
    pub fn closure(&self) -> Option<YearEndClosure> {
        closure_from_columns(self.closure_from.as_deref(), self.closure_to.as_deref())
    }
}

fn closure_from_columns(from: Option<&str>, to: Option<&str>) -> Option<YearEndClosure> {
    YearEndClosure::parse(from?, to?)
}

/// The year-end closure of an area.
pub async fn closure<'a>(on: impl Into<On<'a>>, area: AreaId) -> Result<Option<YearEndClosure>> {
    let mut on = on.into();
    let row: Option<(Option<String>, Option<String>)> =
        query("SELECT closure_from, closure_to FROM areas WHERE id = $1")
            .bind(area)
            .fetch_optional(on.exec())
            .await?;
    Ok(row.and_then(|(f, t)| closure_from_columns(f.as_deref(), t.as_deref())))
}

/// The year-end closure of the area a child belongs to.
pub async fn closure_of_child<'a>(
    on: impl Into<On<'a>>,
    child: ChildId,
) -> Result<Option<YearEndClosure>> {
    let mut on = on.into();
    let row: Option<(Option<String>, Option<String>)> = query(
        "SELECT a.closure_from, a.closure_to FROM areas a JOIN children c ON c.area_id = a.id WHERE c.id = $1",
    )
    .bind(child)
    .fetch_optional(on.exec())
    .await?;
    Ok(row.and_then(|(f, t)| closure_from_columns(f.as_deref(), t.as_deref())))
}

const AREA_COLUMNS: &str =
    "id, name, kana, note, active, operator_kind, operator_name, eligibility_note, caseload_limit, closure_from, closure_to";

/// An area with the municipalities it covers and how many coordinators serve it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AreaDetail {
    #[serde(flatten)]
    pub area: Area,
    pub municipalities: Vec<Municipality>,
    pub coordinator_count: i64,
}

/// What the administrator gives for an area.
#[derive(Clone, Debug)]
pub struct AreaInput {
    pub name: String,
    pub kana: String,
    pub note: Option<String>,
    pub municipality_ids: Vec<MunicipalityId>,
    pub active: bool,
    pub operator_kind: OperatorKind,
    pub operator_name: Option<String>,
    pub eligibility_note: Option<String>,
    pub caseload_limit: Option<i64>,
    /// The year-end closure (None: the area's offices do not close then).
    pub closure: Option<YearEndClosure>,
}

pub async fn regions<'a>(on: impl Into<On<'a>>) -> Result<Vec<Region>> {
    let mut on = on.into();
    query(
        "SELECT r.id, r.name, r.kana, COUNT(m.id) AS municipality_count FROM regions r \
         LEFT JOIN municipalities m ON m.region_id = r.id \
         GROUP BY r.id, r.name, r.kana, r.sort_order ORDER BY r.sort_order, r.id",
    )
    .fetch_all(on.exec())
    .await
}

const MUNICIPALITY_COLUMNS: &str = "m.id, m.region_id, r.name AS region_name, m.code, m.name, \
    m.kana, m.active";

/// Municipalities by code, optionally those whose name or reading contains `q`.
pub async fn municipalities<'a>(
    on: impl Into<On<'a>>,
    q: Option<&str>,
    paging: Paging,
) -> Result<Page<Municipality>> {
    let mut on = on.into();
    let pattern = q
        .map(kana::normalize)
        .filter(|k| !k.is_empty())
        .map(|k| contains_pattern(&k));
    let (total,): (i64,) = query(
        "SELECT COUNT(*) FROM municipalities m WHERE ($1 IS NULL OR m.search_key LIKE $1 ESCAPE '\\')",
    )
    .bind(pattern.as_deref())
    .fetch_one(on.exec())
    .await?;
    let items = query(format!(
        "SELECT {MUNICIPALITY_COLUMNS} FROM municipalities m JOIN regions r ON r.id = m.region_id \
         WHERE ($1 IS NULL OR m.search_key LIKE $1 ESCAPE '\\') \
         ORDER BY r.sort_order, m.sort_order, m.id LIMIT $2 OFFSET $3"
    ))
    .bind(pattern.as_deref())
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(on.exec())
    .await?;
    Ok(Page { items, total })
}

pub async fn municipality<'a>(on: impl Into<On<'a>>, id: MunicipalityId) -> Result<Municipality> {
    let mut on = on.into();
    query(format!(
        "SELECT {MUNICIPALITY_COLUMNS} FROM municipalities m JOIN regions r ON r.id = m.region_id \
         WHERE m.id = $1"
    ))
    .bind(id)
    .fetch_one(on.exec())
    .await
}

/// What the administrator may correct of a municipality (a renamed town, a changed region).
#[derive(Clone, Debug)]
pub struct MunicipalityChange {
    pub region_id: RegionId,
    pub name: String,
    pub kana: String,
    pub active: bool,
}

pub async fn update_municipality(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: &Actor,
    id: MunicipalityId,
    change: &MunicipalityChange,
) -> Result<()> {
    let changed = query(
        "UPDATE municipalities SET region_id = $1, name = $2, kana = $3, search_key = $4, \
         active = $5 WHERE id = $6",
    )
    .bind(change.region_id)
    .bind(&change.name)
    .bind(&change.kana)
    .bind(kana::normalize(&format!("{}{}", change.name, change.kana)))
    .bind(change.active)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("region_id", "圏域が見つかりません。"))?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        tx,
        meta,
        Event::new("municipality.update")
            .by(actor)
            .object("municipality", id),
    )
    .await
}

pub async fn areas<'a>(
    on: impl Into<On<'a>>,
    q: Option<&str>,
    paging: Paging,
) -> Result<Page<AreaDetail>> {
    let mut on = on.into();
    let pattern = q
        .filter(|q| !q.trim().is_empty())
        .map(|q| contains_pattern(q.trim()));
    let (total,): (i64,) = query(
        "SELECT COUNT(*) FROM areas WHERE ($1 IS NULL OR name LIKE $1 ESCAPE '\\' OR kana LIKE $1 ESCAPE '\\')",
    )
    .bind(pattern.as_deref())
    .fetch_one(on.exec())
    .await?;
    let areas: Vec<Area> = query(format!(
        "SELECT {AREA_COLUMNS} FROM areas \
         WHERE ($1 IS NULL OR name LIKE $1 ESCAPE '\\' OR kana LIKE $1 ESCAPE '\\') \
         ORDER BY name LIMIT $2 OFFSET $3"
    ))
    .bind(pattern.as_deref())
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(on.exec())
    .await?;
    let mut items = Vec::with_capacity(areas.len());
    // A page holds a handful of areas; their municipalities come in one query.
    let links: Vec<(i64, i64)> = query("SELECT area_id, municipality_id FROM area_municipalities")
        .fetch_all(on.exec())
        .await?;
    let all = municipalities(
        &mut on,
        None,
        Paging {
            limit: 10_000,
            offset: 0,
        },
    )
    .await?
    .items;
    let coordinators: Vec<(i64, i64)> = query(
        "SELECT ua.area_id, COUNT(*) FROM user_areas ua JOIN users u ON u.id = ua.user_id \
         WHERE u.role = 'coordinator' AND u.disabled = $1 GROUP BY ua.area_id",
    )
    .bind(false)
    .fetch_all(on.exec())
    .await?;
    for area in areas {
        let municipalities = all
            .iter()
            .filter(|m| links.contains(&(area.id.0, m.id.0)))
            .cloned()
            .collect();
        let coordinator_count = coordinators
            .iter()
            .find(|(a, _)| *a == area.id.0)
            .map_or(0, |(_, n)| *n);
        items.push(AreaDetail {
            area,
            municipalities,
            coordinator_count,
        });
    }
    Ok(Page { items, total })
}

pub async fn area<'a>(on: impl Into<On<'a>>, id: AreaId) -> Result<AreaDetail> {
    let mut on = on.into();
    let area: Area = query(format!("SELECT {AREA_COLUMNS} FROM areas WHERE id = $1"))
        .bind(id)
        .fetch_one(on.exec())
        .await?;
    let municipalities = query(format!(
        "SELECT {MUNICIPALITY_COLUMNS} FROM area_municipalities am \
         JOIN municipalities m ON m.id = am.municipality_id JOIN regions r ON r.id = m.region_id \
         WHERE am.area_id = $1 ORDER BY r.sort_order, m.sort_order"
    ))
    .bind(id)
    .fetch_all(on.exec())
    .await?;
    let (coordinator_count,): (i64,) = query(
        "SELECT COUNT(*) FROM user_areas ua JOIN users u ON u.id = ua.user_id \
         WHERE ua.area_id = $1 AND u.role = 'coordinator' AND u.disabled = $2",
    )
    .bind(id)
    .bind(false)
    .fetch_one(on.exec())
    .await?;
    Ok(AreaDetail {
        area,
        municipalities,
        coordinator_count,
    })
}

/// All areas by name, for choosers.
pub async fn all_areas<'a>(on: impl Into<On<'a>>) -> Result<Vec<Area>> {
    let mut on = on.into();
    query(format!("SELECT {AREA_COLUMNS} FROM areas ORDER BY name"))
        .fetch_all(on.exec())
        .await
}

pub async fn create_area(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: Option<&Actor>,
    input: &AreaInput,
) -> Result<AreaId> {
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO areas (name, kana, note, active, created_at, updated_at, operator_kind, operator_name, eligibility_note, caseload_limit, closure_from, closure_to) \
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&input.name)
    .bind(&input.kana)
    .bind(input.note.as_deref())
    .bind(input.active)
    .bind(now)
    .bind(input.operator_kind.code())
    .bind(input.operator_name.as_deref())
    .bind(input.eligibility_note.as_deref())
    .bind(input.caseload_limit)
    .bind(input.closure.map(|c| YearEndClosure::code(c.from)))
    .bind(input.closure.map(|c| YearEndClosure::code(c.to)))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_unique("name"))?;
    let id = AreaId(id);
    set_municipalities(tx, id, &input.municipality_ids).await?;
    let event = Event::new("area.create").object("area", id);
    let event = match actor {
        Some(a) => event.by(a),
        None => event,
    };
    audit::record(tx, meta, event).await?;
    Ok(id)
}

pub async fn update_area(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: &Actor,
    id: AreaId,
    input: &AreaInput,
) -> Result<()> {
    let changed = query(
        "UPDATE areas SET name = $1, kana = $2, note = $3, active = $4, updated_at = $5, operator_kind = $7, \
         operator_name = $8, eligibility_note = $9, caseload_limit = $10, \
         closure_from = $11, closure_to = $12 WHERE id = $6",
    )
    .bind(&input.name)
    .bind(&input.kana)
    .bind(input.note.as_deref())
    .bind(input.active)
    .bind(crate::now())
    .bind(id)
    .bind(input.operator_kind.code())
    .bind(input.operator_name.as_deref())
    .bind(input.eligibility_note.as_deref())
    .bind(input.caseload_limit)
    .bind(input.closure.map(|c| YearEndClosure::code(c.from)))
    .bind(input.closure.map(|c| YearEndClosure::code(c.to)))
    .execute(&mut *tx)
    .await
    .map_err(|e| e.on_unique("name"))?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    set_municipalities(tx, id, &input.municipality_ids).await?;
    audit::record(
        tx,
        meta,
        Event::new("area.update").by(actor).object("area", id),
    )
    .await
}

async fn set_municipalities(tx: &mut Tx, area: AreaId, ids: &[MunicipalityId]) -> Result<()> {
    if ids.is_empty() {
        return Err(Error::Invalid {
            field: "municipality_ids",
            message: "市町村を1つ以上選んでください。",
        });
    }
    query("DELETE FROM area_municipalities WHERE area_id = $1")
        .bind(area)
        .execute(&mut *tx)
        .await?;
    for m in ids {
        query("INSERT INTO area_municipalities (area_id, municipality_id) VALUES ($1, $2)")
            .bind(area)
            .bind(*m)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                e.on_foreign_key("municipality_ids", "市町村が見つかりません。")
                    .on_unique("municipality_ids")
            })?;
    }
    Ok(())
}

/// The municipalities covered by any of `areas`.
pub async fn municipality_ids_of<'a>(
    on: impl Into<On<'a>>,
    areas: &[AreaId],
) -> Result<Vec<MunicipalityId>> {
    let mut on = on.into();
    let mut out = Vec::new();
    for area in areas {
        let rows: Vec<(i64,)> =
            query("SELECT municipality_id FROM area_municipalities WHERE area_id = $1")
                .bind(*area)
                .fetch_all(on.exec())
                .await?;
        out.extend(rows.into_iter().map(|(m,)| MunicipalityId(m)));
    }
    out.sort();
    out.dedup();
    Ok(out)
}
