//! Who the coordinators are: placement (専任・兼務 with a share of time), background
//! (医療型・福祉型) and absence. The areas they serve are their account's areas.

use serde::Serialize;
use time::Date;
use tsunagu_domain::{
    people::{self, Background, Placement},
    Actor, AreaId, Role, UserId,
};

use crate::{
    audit::{self, Event, RequestMeta},
    db::{id_list, query, On},
    Error, Result, Tx,
};

/// A coordinator's placement and absence, as the administrator records them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Staffing {
    #[schema(value_type = String, example = "concurrent")]
    pub placement: Placement,
    /// Percent of a full-time post, for 兼務.
    pub time_share: Option<i64>,
    #[schema(value_type = String, example = "medical")]
    pub background: Background,
    pub absent_from: Option<Date>,
    pub absent_to: Option<Date>,
    pub absence_note: Option<String>,
}

impl Default for Staffing {
    fn default() -> Self {
        Staffing {
            placement: Placement::Dedicated,
            time_share: None,
            background: Background::Welfare,
            absent_from: None,
            absent_to: None,
            absence_note: None,
        }
    }
}

impl Staffing {
    pub fn placement_label(&self) -> String {
        people::placement_label(self.placement, self.time_share)
    }

    pub fn absent_on(&self, day: Date) -> bool {
        people::absent_on(self.absent_from, self.absent_to, day)
    }

    /// Checks the record as a whole: a share only for 兼務, an absence that ends after it starts.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        match (self.placement, self.time_share) {
            (Placement::Concurrent, None) => {
                return Some((
                    "time_share",
                    "兼務の場合は業務の割合（%）を入れてください。",
                ))
            }
            (_, Some(s)) if !(1..=100).contains(&s) => {
                return Some(("time_share", "業務の割合は1〜100（%）で入れてください。"))
            }
            _ => {}
        }
        match (self.absent_from, self.absent_to) {
            (None, Some(_)) => Some(("absent_from", "不在の開始日を入れてください。")),
            (Some(from), Some(to)) if to < from => {
                Some(("absent_to", "不在の終了日は開始日より後にしてください。"))
            }
            _ => None,
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    user_id: i64,
    placement: String,
    time_share: Option<i64>,
    background: String,
    absent_from: Option<Date>,
    absent_to: Option<Date>,
    absence_note: Option<String>,
}

impl Row {
    fn staffing(self) -> Staffing {
        Staffing {
            placement: Placement::from_code(&self.placement).unwrap_or(Placement::Dedicated),
            time_share: self.time_share,
            background: Background::from_code(&self.background).unwrap_or(Background::Welfare),
            absent_from: self.absent_from,
            absent_to: self.absent_to,
            absence_note: self.absence_note,
        }
    }
}

const COLUMNS: &str =
    "user_id, placement, time_share, background, absent_from, absent_to, absence_note";

/// The coordinator's staffing; the defaults (専任・福祉型, present) until one is recorded.
pub async fn get<'a>(on: impl Into<On<'a>>, user: UserId) -> Result<Staffing> {
    let mut on = on.into();
    let row: Option<Row> = query(format!(
        "SELECT {COLUMNS} FROM coordinator_staffing WHERE user_id = $1"
    ))
    .bind(user)
    .fetch_optional(on.exec())
    .await?;
    Ok(row.map(Row::staffing).unwrap_or_default())
}

/// Records a coordinator's staffing (administrators; `None` for the demo's loader); only a
/// coordinator has one.
pub async fn set(
    tx: &mut Tx,
    meta: &RequestMeta,
    actor: Option<&Actor>,
    user: UserId,
    s: &Staffing,
) -> Result<()> {
    if let Some((field, message)) = s.problem() {
        return Err(Error::Invalid { field, message });
    }
    let role: Option<(String,)> = query("SELECT role FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?;
    let (role,) = role.ok_or(Error::NotFound)?;
    if role != Role::Coordinator.code() {
        return Err(Error::Invalid {
            field: "placement",
            message: "配置はコーディネーターにだけ記録できます。",
        });
    }
    let share = match s.placement {
        Placement::Dedicated => None,
        Placement::Concurrent => s.time_share,
    };
    query(
        "INSERT INTO coordinator_staffing (user_id, placement, time_share, background, absent_from, absent_to, absence_note, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (user_id) DO UPDATE SET placement = EXCLUDED.placement, time_share = EXCLUDED.time_share, \
         background = EXCLUDED.background, absent_from = EXCLUDED.absent_from, absent_to = EXCLUDED.absent_to, \
         absence_note = EXCLUDED.absence_note, updated_at = EXCLUDED.updated_at",
    )
    .bind(user)
    .bind(s.placement.code())
    .bind(share)
    .bind(s.background.code())
    .bind(s.absent_from)
    .bind(s.absent_to)
    .bind(s.absence_note.as_deref().filter(|n| !n.trim().is_empty()))
    .bind(crate::now())
    .execute(&mut *tx)
    .await?;
    let event = Event::new("user.staffing")
        .object("user", user)
        .detail(format!("placement={}", s.placement));
    let event = match actor {
        Some(a) => event.by(a),
        None => event,
    };
    audit::record(tx, meta, event).await
}

/// A coordinator of an area with their staffing.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Colleague {
    #[schema(value_type = i64)]
    pub user_id: UserId,
    pub display_name: String,
    #[serde(flatten)]
    pub staffing: Staffing,
    /// The areas they serve, by id.
    #[schema(value_type = Vec<i64>)]
    pub area_ids: Vec<AreaId>,
}

/// The enabled coordinators serving any of `areas`, by name, with their staffing.
pub async fn colleagues<'a>(on: impl Into<On<'a>>, areas: &[AreaId]) -> Result<Vec<Colleague>> {
    let mut on = on.into();
    if areas.is_empty() {
        return Ok(Vec::new());
    }
    // Built from integer ids only, never from input.
    let list = id_list(areas.iter().map(|a| a.0));
    #[derive(sqlx::FromRow)]
    struct Who {
        id: i64,
        display_name: String,
    }
    let who: Vec<Who> = query(format!(
        "SELECT u.id, u.display_name FROM users u WHERE u.role = 'coordinator' AND u.disabled = $1 \
         AND EXISTS (SELECT 1 FROM user_areas ua WHERE ua.user_id = u.id AND ua.area_id IN ({list})) \
         ORDER BY u.display_name, u.id"
    ))
    .bind(false)
    .fetch_all(on.exec())
    .await?;
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let ids = id_list(who.iter().map(|w| w.id));
    let rows: Vec<Row> = query(format!(
        "SELECT {COLUMNS} FROM coordinator_staffing WHERE user_id IN ({ids})"
    ))
    .fetch_all(on.exec())
    .await?;
    let served: Vec<(i64, i64)> = query(format!(
        "SELECT user_id, area_id FROM user_areas WHERE user_id IN ({ids}) ORDER BY area_id"
    ))
    .fetch_all(on.exec())
    .await?;
    let mut staffing: std::collections::HashMap<i64, Staffing> = rows
        .into_iter()
        .map(|r| (r.user_id, r.staffing()))
        .collect();
    Ok(who
        .into_iter()
        .map(|w| Colleague {
            user_id: UserId(w.id),
            staffing: staffing.remove(&w.id).unwrap_or_default(),
            area_ids: served
                .iter()
                .filter(|(u, _)| *u == w.id)
                .map(|(_, a)| AreaId(*a))
                .collect(),
            display_name: w.display_name,
        })
        .collect())
}
