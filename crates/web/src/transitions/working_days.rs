//! `GET /api/v1/calendar`: each day of a period with its weekday, holiday and whether the area's
//! offices are open, so any program (or person) can check what Tsunagu schedules by.

use axum::{extract::State, routing::get, Json};
use serde::{Deserialize, Serialize};
use time::Duration;
use tsunagu_domain::{calendar, validation::Errors, AreaId};
use tsunagu_store::areas;

use crate::{
    agencies::parse_schedule_date, auth::Auth, extract::Query, routing::Router, AppError, AppState,
};

/// The longest period one request answers: three years.
const MAX_DAYS: i64 = 366 * 3;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/calendar", get(api))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DaysQuery {
    /// YYYY-MM-DD, the first day.
    pub from: String,
    /// YYYY-MM-DD, the last day (at most three years after `from`).
    pub to: String,
    /// The area whose year-end closure counts; without it, 12月29日〜1月3日.
    pub area_id: Option<i64>,
}

/// One day of the calendar.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarDay {
    #[schema(value_type = String, format = Date)]
    pub date: time::Date,
    /// 月 火 水 木 金 土 日
    pub weekday: &'static str,
    /// The public holiday's name (国民の祝日, 振替休日, 国民の休日), or null.
    pub holiday: Option<&'static str>,
    /// In the area's year-end closure.
    pub closed: bool,
    /// Not a weekend, a holiday or a closure day.
    pub working_day: bool,
    /// 2027年2月23日（火・祝）
    pub label: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CalendarDays {
    pub items: Vec<CalendarDay>,
    pub total: i64,
}

/// The days from `from` to `to` with weekday, holiday and working day (every logged-in user).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "transitions",
    params(("from" = String, Query, description = "YYYY-MM-DD"), ("to" = String, Query, description = "YYYY-MM-DD"),
        ("area_id" = Option<i64>, Query, description = "the area whose year-end closure counts")),
    responses((status = 200, body = CalendarDays), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api(
    _auth: Auth,
    State(state): State<AppState>,
    Query(q): Query<DaysQuery>,
) -> Result<Json<CalendarDays>, AppError> {
    let mut e = Errors::new();
    let from = parse_schedule_date(&mut e, "from", "開始日", &q.from);
    let to = parse_schedule_date(&mut e, "to", "終了日", &q.to);
    if from.is_none() && e.get("from").is_none() {
        e.add("from", "開始日を 2026-12-01 の形で指定してください。");
    }
    if to.is_none() && e.get("to").is_none() {
        e.add("to", "終了日を 2026-12-31 の形で指定してください。");
    }
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            e.add("to", "終了日は開始日より後にしてください。");
        } else if (t - f).whole_days() >= MAX_DAYS {
            e.add("to", "一度に求められるのは3年分までです。");
        }
    }
    e.into_result().map_err(AppError::Validation)?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(AppError::invalid("from", "期間を指定してください。"));
    };
    let closure = match q.area_id {
        Some(id) => {
            let area = areas::area(&state.db, AreaId(id)).await?;
            area.area.closure()
        }
        None => Some(calendar::YearEndClosure::default()),
    };
    let items: Vec<CalendarDay> = (0..=(to - from).whole_days())
        .map(|n| from + Duration::days(n))
        .map(|d| {
            let day = calendar::day(d, closure.as_ref());
            CalendarDay {
                date: day.date,
                weekday: day.weekday,
                holiday: day.holiday,
                closed: day.closed,
                working_day: day.working_day,
                label: calendar::day_label(d),
            }
        })
        .collect();
    Ok(Json(CalendarDays {
        total: items.len() as i64,
        items,
    }))
}
