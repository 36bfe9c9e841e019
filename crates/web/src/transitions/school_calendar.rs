//! The 就学早見表: for a birth date (or a fiscal year of birth) the class of each year before
//! school and the entry date of each school, with 和暦; the same as JSON for other programs.
//! It holds no personal data, so every logged-in user may open it.

use askama::Template;
use axum::{response::Html, routing::get, Json};
use serde::{Deserialize, Serialize};
use time::{Date, Month};
use tsunagu_domain::{
    japanese_date,
    school_year::{self, Cohort, SchoolCalendar},
    validation::Errors,
};

use crate::{
    agencies::parse_birth_date,
    auth::Auth,
    extract::Query,
    layout::{filters, Layout},
    routing::Router,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/school-calendar", get(page))
        .route("/api/v1/school-calendar", get(api))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CalendarQuery {
    /// YYYY-MM-DD
    pub birth_date: String,
    /// The fiscal year of birth (born April 2 of it to April 1 of the next year).
    pub fiscal_year: String,
}

/// One row of the table of cohorts.
struct CohortRow {
    born_from: Date,
    born_to: Date,
    stage_now: String,
    calendar: SchoolCalendar,
}

#[derive(Template)]
#[template(path = "transitions/school_calendar.html")]
struct Page {
    layout: Layout,
    query: CalendarQuery,
    errors: Errors,
    /// The looked-up cohort: its birth range and calendar.
    found: Option<CohortRow>,
    hayaumare: Option<bool>,
    birth: Option<Date>,
    rows: Vec<CohortRow>,
    years: Vec<i32>,
    today: Date,
}

impl Page {
    fn era(&self, d: &Date) -> String {
        japanese_date::format_date_with_era(*d)
    }
    fn fy_label(&self, fy: &i32) -> String {
        school_year::fiscal_year_label(*fy)
    }
}

/// The cohort of children born in fiscal year `fy` (April 2 of fy to April 1 of fy+1).
fn cohort_row(fy: i32, today: Date) -> CohortRow {
    let born_from = Date::from_calendar_date(fy, Month::April, 2).unwrap_or(Date::MIN);
    let born_to = Date::from_calendar_date(fy + 1, Month::April, 1).unwrap_or(Date::MAX);
    let cohort = Cohort::of(born_from);
    CohortRow {
        born_from,
        born_to,
        stage_now: cohort.stage_on(today).label(),
        calendar: cohort.calendar(),
    }
}

async fn page(auth: Auth, Query(query): Query<CalendarQuery>) -> Result<Html<String>, AppError> {
    let today = tsunagu_store::children::today_in_japan();
    let this_fy = school_year::fiscal_year(today);
    let mut errors = Errors::new();
    let birth = parse_birth_date(&mut errors, "birth_date", "生年月日", &query.birth_date);
    let fy = query.fiscal_year.trim().parse::<i32>().ok();
    let (found, hayaumare) = match (birth, fy) {
        (Some(b), _) => {
            // The cohort is the fiscal year of April 2 .. April 1, one day off the calendar's.
            let birth_fy = school_year::natural_school_entry_year(b) - 7;
            (
                Some(cohort_row(birth_fy, today)),
                Some(school_year::is_hayaumare(b)),
            )
        }
        (None, Some(fy)) => (Some(cohort_row(fy, today)), None),
        _ => (None, None),
    };
    let page = Page {
        layout: Layout::page(&auth, "就学早見表", "/school-calendar"),
        query,
        errors,
        found,
        hayaumare,
        birth,
        rows: (this_fy - 19..=this_fy)
            .rev()
            .map(|fy| cohort_row(fy, today))
            .collect(),
        years: (this_fy - 25..=this_fy).rev().collect(),
        today,
    };
    Ok(Html(page.render()?))
}

/// A date with its 和暦.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LabelledDate {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    /// 2027年4月1日（令和9年）
    pub label: String,
}

impl From<Date> for LabelledDate {
    fn from(date: Date) -> Self {
        LabelledDate {
            date,
            label: japanese_date::format_date_with_era(date),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PreschoolYear {
    pub fiscal_year: i32,
    /// 2026年度（令和8年度）
    pub fiscal_year_label: String,
    /// 0歳児クラス … 年長（5歳児クラス）
    pub class: String,
}

/// A child's cohort in the school system.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SchoolCalendarAnswer {
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    /// Born January 1 – April 1: belongs to the cohort born the calendar year before.
    pub hayaumare: bool,
    pub elementary_school_entry: LabelledDate,
    pub junior_high_school_entry: LabelledDate,
    pub high_school_entry: LabelledDate,
    pub high_school_graduation: LabelledDate,
    pub preschool_years: Vec<PreschoolYear>,
    /// The class or grade today.
    pub stage_today: String,
}

/// The school calendar of a birth date, without any deferment or repetition (those are the
/// child's record: see the child's transitions).
#[utoipa::path(get, path = "/api/v1/school-calendar", tag = "transitions",
    params(("birth_date" = String, Query, description = "YYYY-MM-DD")),
    responses((status = 200, body = SchoolCalendarAnswer), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api(
    _auth: Auth,
    Query(query): Query<CalendarQuery>,
) -> Result<Json<SchoolCalendarAnswer>, AppError> {
    let mut errors = Errors::new();
    let birth = parse_birth_date(&mut errors, "birth_date", "生年月日", &query.birth_date);
    errors.into_result().map_err(AppError::Validation)?;
    let Some(birth) = birth else {
        return Err(AppError::invalid(
            "birth_date",
            "生年月日を 2020-06-15 の形で指定してください。",
        ));
    };
    let cohort = Cohort::of(birth);
    let cal = cohort.calendar();
    let today = tsunagu_store::children::today_in_japan();
    Ok(Json(SchoolCalendarAnswer {
        birth_date: birth,
        hayaumare: school_year::is_hayaumare(birth),
        elementary_school_entry: cal.elementary.into(),
        junior_high_school_entry: cal.junior_high.into(),
        high_school_entry: cal.high_school.into(),
        high_school_graduation: cal.graduation.into(),
        preschool_years: cal
            .preschool
            .iter()
            .map(|(fy, stage)| PreschoolYear {
                fiscal_year: *fy,
                fiscal_year_label: school_year::fiscal_year_label(*fy),
                class: stage.label(),
            })
            .collect(),
        stage_today: cohort.stage_on(today).label(),
    }))
}
