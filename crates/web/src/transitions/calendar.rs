//! The area's transition calendar: every child's next move in the coming twelve months, by month
//! and receiving school or agency, with the state of its checklist and handover sheet; print and
//! PDF. For the area's coordinators and supervisors.

use askama::Template;
use axum::{
    response::{Html, Response},
    routing::get,
    Json,
};
use serde::Deserialize;
use time::Date;
use tsunagu_documents::pdf::{Document, Section};
use tsunagu_domain::{japanese_date, school_year, validation::Errors, AreaId, Role};
use tsunagu_store::{
    areas,
    transitions::{self, CalendarEntry},
};

use crate::{
    agencies::parse_date,
    auth::Auth,
    extract::Query,
    layout::{filters, Layout},
    printing,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/transitions", get(page))
        .route("/transitions/print", get(print))
        .route("/transitions/calendar.pdf", get(pdf))
        .route("/api/v1/transition-calendar", get(api))
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct CalendarQuery {
    /// The area (default: the user's first).
    pub area: String,
    /// The first day (default: today); the calendar runs twelve months from it.
    pub from: String,
}

struct Resolved {
    areas: Vec<(i64, String)>,
    area: AreaId,
    area_name: String,
    from: Date,
    to: Date,
    errors: Errors,
}

async fn resolve(u: &mut Unit, auth: &Auth, q: &CalendarQuery) -> Result<Resolved, AppError> {
    if !matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(AppError::Forbidden);
    }
    let mine: Vec<(i64, String)> = areas::all_areas(&mut *u)
        .await?
        .into_iter()
        .filter(|a| auth.actor.serves_area(a.id))
        .map(|a| (a.id.0, a.name))
        .collect();
    let area = q
        .area
        .trim()
        .parse::<i64>()
        .ok()
        .or_else(|| mine.first().map(|a| a.0))
        .ok_or(AppError::Forbidden)?;
    let mut errors = Errors::new();
    let from = parse_date(&mut errors, "from", "開始日", &q.from)
        .unwrap_or_else(tsunagu_store::children::today_in_japan);
    Ok(Resolved {
        area_name: mine
            .iter()
            .find(|a| a.0 == area)
            .map(|a| a.1.clone())
            .unwrap_or_default(),
        areas: mine,
        area: AreaId(area),
        from,
        to: school_year::add_months(from, 12) - time::Duration::days(1),
        errors,
    })
}

/// The entries grouped by the month of the move.
fn by_month(entries: &[CalendarEntry]) -> Vec<(String, Vec<&CalendarEntry>)> {
    let mut out: Vec<(String, Vec<&CalendarEntry>)> = Vec::new();
    for e in entries {
        let month = school_year::month_label(e.move_on);
        match out.last_mut() {
            Some((m, list)) if *m == month => list.push(e),
            _ => out.push((month, vec![e])),
        }
    }
    out
}

fn checklist_state(e: &CalendarEntry) -> String {
    match (e.transition_id, e.items_total) {
        (None, _) => "未計画".to_string(),
        (Some(_), 0) => "項目なし".to_string(),
        (Some(_), total) if e.items_overdue > 0 => {
            format!(
                "{}/{total} 完了（期限切れ{}件）",
                e.items_done, e.items_overdue
            )
        }
        (Some(_), total) => format!("{}/{total} 完了", e.items_done),
    }
}

#[derive(Template)]
#[template(path = "transitions/calendar.html")]
struct Page {
    layout: Layout,
    areas: Vec<(i64, String)>,
    area_id: i64,
    from: Date,
    to: Date,
    query: CalendarQuery,
    errors: Errors,
    months: Vec<(String, Vec<CalendarEntry>)>,
    /// Children (a child with two moves in the window counts once).
    children: usize,
    /// Moves, and those without a plan yet.
    moves: usize,
    unplanned: usize,
}

impl Page {
    fn state(&self, e: &CalendarEntry) -> String {
        checklist_state(e)
    }
}

async fn page(
    auth: Auth,
    mut u: Unit,
    Query(mut q): Query<CalendarQuery>,
) -> Result<Html<String>, AppError> {
    let r = resolve(&mut u, &auth, &q).await?;
    if r.errors.is_empty() {
        q.from = r.from.to_string();
    }
    let entries = transitions::calendar(&mut u, r.area, r.from, r.to).await?;
    let months = by_month(&entries)
        .into_iter()
        .map(|(m, list)| (m, list.into_iter().cloned().collect()))
        .collect();
    let page = Page {
        layout: Layout::page(&auth, "移行カレンダー", "/transitions"),
        area_id: r.area.0,
        areas: r.areas,
        from: r.from,
        to: r.to,
        query: q,
        errors: r.errors,
        children: entries
            .iter()
            .map(|e| e.child_id)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        moves: entries.len(),
        unplanned: entries.iter().filter(|e| e.transition_id.is_none()).count(),
        months,
    };
    Ok(Html(page.render()?))
}

fn document(r: &Resolved, entries: &[CalendarEntry]) -> Document {
    let mut sections = Vec::new();
    for (month, list) in by_month(entries) {
        let rows = list
            .iter()
            .map(|e| {
                vec![
                    tsunagu_domain::calendar::day_label(e.move_on),
                    e.child_name.clone(),
                    e.kind_label.clone(),
                    printing::or_dash(&e.from_name),
                    if e.destination.is_empty() {
                        "未定".to_string()
                    } else {
                        e.destination.clone()
                    },
                    checklist_state(e),
                    e.handover_label().to_string(),
                ]
            })
            .collect();
        sections.push(Section::new(month).table(
            &[
                // Room for 「2027年4月1日（木）」 on one line.
                ("移行日", 4),
                ("氏名", 3),
                ("移行", 5),
                ("今の所属", 4),
                ("移行先", 4),
                ("チェックリスト", 4),
                ("引継ぎシート", 3),
            ],
            rows,
        ));
    }
    if sections.is_empty() {
        sections.push(Section::new("移行の予定").text("この期間に移行する子どもはいません。"));
    }
    Document {
        title: format!("移行カレンダー（{}）", r.area_name),
        meta: vec![
            format!(
                "期間：{}〜{}",
                japanese_date::format_date(r.from),
                japanese_date::format_date(r.to)
            ),
            format!(
                "作成：{}",
                japanese_date::format_date(tsunagu_store::children::today_in_japan())
            ),
        ],
        sections,
        footer: printing::CONFIDENTIAL.to_string(),
        landscape: true,
    }
}

async fn print(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<CalendarQuery>,
) -> Result<Html<String>, AppError> {
    let r = resolve(&mut u, &auth, &q).await?;
    let entries = transitions::calendar(&mut u, r.area, r.from, r.to).await?;
    let back = format!("/transitions?area={}&from={}", r.area.0, r.from);
    let pdf = format!(
        "/transitions/calendar.pdf?area={}&from={}",
        r.area.0, r.from
    );
    printing::html(
        Layout::page(&auth, "移行カレンダー", "/transitions"),
        &document(&r, &entries),
        &back,
        "移行カレンダーへ戻る",
        &pdf,
    )
}

async fn pdf(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<CalendarQuery>,
) -> Result<Response, AppError> {
    let r = resolve(&mut u, &auth, &q).await?;
    let entries = transitions::calendar(&mut u, r.area, r.from, r.to).await?;
    printing::pdf(document(&r, &entries), "移行カレンダー.pdf").await
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CalendarAnswer {
    pub area_id: i64,
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    pub items: Vec<CalendarEntry>,
    pub total: usize,
}

/// Every child's next move in the area in the twelve months from `from`: planned transitions
/// (with checklist and handover state) and school moves not planned yet (`transition_id` null).
#[utoipa::path(get, path = "/api/v1/transition-calendar", tag = "transitions", params(CalendarQuery),
    responses((status = 200, body = CalendarAnswer), (status = 403, body = crate::api::ErrorResponse)))]
pub async fn api(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<CalendarQuery>,
) -> Result<Json<CalendarAnswer>, AppError> {
    let r = resolve(&mut u, &auth, &q).await?;
    r.errors
        .clone()
        .into_result()
        .map_err(AppError::Validation)?;
    let items = transitions::calendar(&mut u, r.area, r.from, r.to).await?;
    Ok(Json(CalendarAnswer {
        area_id: r.area.0,
        from: r.from,
        to: r.to,
        total: items.len(),
        items,
    }))
}
