//! The area's caseload page and API, and handing a case over (担当変更).

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, put},
    Json,
};
use serde::Deserialize;
use time::{Date, Month};
use tsunagu_domain::{access::Purpose, japanese_date, validation::Errors, AreaId, Role, UserId};
use tsunagu_store::{
    access,
    caseload::{self, Caseload, Load, PHASES},
    children::{self, ChildId},
    staffing::{self, Colleague},
};

use super::hours_and_minutes;
use crate::{
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::Layout,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/caseload", get(page))
        .route("/api/v1/areas/{id}/caseload", get(api_caseload))
        .route("/children/{id}/assign", get(assign_form).post(assign))
        .route("/api/v1/children/{id}/coordinators", put(api_assign))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
pub struct CaseloadQuery {
    /// The area (one of the user's; the first when empty).
    pub area_id: Option<i64>,
    /// YYYY-MM; this month in Japan when empty.
    pub month: Option<String>,
}

/// The first day of `YYYY-MM`, or of this month in Japan.
fn month_of(text: Option<&str>, today: Date) -> Result<Date, AppError> {
    let this = Date::from_calendar_date(today.year(), today.month(), 1).unwrap_or(today);
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(this);
    };
    let parsed = text.split_once('-').and_then(|(y, m)| {
        let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
        Date::from_calendar_date(y.parse().ok()?, month, 1).ok()
    });
    parsed
        .filter(|d| d.year() >= 2000 && *d <= this)
        .ok_or_else(|| {
            AppError::invalid(
                "month",
                "月は「2026-12」の形で、今月以前を指定してください。",
            )
        })
}

fn today() -> Date {
    japanese_date::today(time::OffsetDateTime::now_utc())
}

#[derive(Template)]
#[template(path = "people/caseload.html")]
struct CaseloadPage {
    layout: Layout,
    c: Caseload,
    areas: Vec<(i64, String)>,
    month_value: String,
    month_label: String,
    /// The months to choose from, newest first: (YYYY-MM, 2026年12月).
    months: Vec<(String, String)>,
    previous: String,
    next: Option<String>,
    stages: Vec<&'static str>,
    needs: Vec<&'static str>,
    waiting_transfers: usize,
}

impl CaseloadPage {
    fn time(&self, minutes: impl std::borrow::Borrow<i64>) -> String {
        hours_and_minutes(*minutes.borrow())
    }
    fn rows(&self) -> Vec<&Load> {
        let mut rows: Vec<&Load> = self.c.coordinators.iter().collect();
        if self.c.unassigned.active > 0 || self.c.unassigned.minutes() > 0 {
            rows.push(&self.c.unassigned);
        }
        rows
    }
    fn absence(&self, l: &Load) -> String {
        let Some(s) = l.staffing.as_ref().filter(|_| l.absent) else {
            return String::new();
        };
        match s.absent_to {
            Some(to) => format!("{}まで不在", japanese_date::format_date(to)),
            None => "不在".to_owned(),
        }
    }
}

fn month_label(d: Date) -> String {
    format!("{}年{}月", d.year(), d.month() as u8)
}

fn month_param(d: Date) -> String {
    format!("{}-{:02}", d.year(), d.month() as u8)
}

async fn page(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<CaseloadQuery>,
) -> Result<Html<String>, AppError> {
    if !matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(AppError::Forbidden);
    }
    let today = today();
    let month = month_of(q.month.as_deref(), today)?;
    let area = match q.area_id {
        Some(a) => AreaId(a),
        None => *auth.actor.area_ids.first().ok_or(AppError::Forbidden)?,
    };
    let c = caseload::caseload(&mut u, area, month, today).await?;
    let all = tsunagu_store::areas::all_areas(&mut u).await?;
    let areas = all
        .into_iter()
        .filter(|a| auth.actor.serves_area(a.id))
        .map(|a| (a.id.0, a.name))
        .collect();
    let waiting_transfers = tsunagu_store::transfers::waiting(&mut u).await?.len();
    let this = month_of(None, today)?;
    let previous = month_param(month - time::Duration::days(1));
    let mut months = Vec::new();
    let mut m = this;
    for _ in 0..24 {
        months.push((month_param(m), month_label(m)));
        let before = m - time::Duration::days(1);
        m = Date::from_calendar_date(before.year(), before.month(), 1).unwrap_or(m);
    }
    let following = caseload::next_month(month);
    let page = CaseloadPage {
        layout: Layout::page(&auth, "担当状況", super::menu_place(&auth)),
        month_value: month_param(month),
        month_label: month_label(month),
        months,
        previous,
        next: (following <= this).then(|| month_param(following)),
        stages: PHASES.iter().map(|p| p.label()).collect(),
        needs: caseload::need_labels(),
        c,
        areas,
        waiting_transfers,
    };
    Ok(Html(page.render()?))
}

/// An area's caseload for a month: each coordinator's active children by life stage and need,
/// open referrals, meetings and recorded time, the children without a 担当, and the total.
#[utoipa::path(get, path = "/api/v1/areas/{id}/caseload", tag = "people", params(("id" = i64, Path), CaseloadQuery),
    responses((status = 200, body = Caseload), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_caseload(
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<CaseloadQuery>,
) -> Result<Json<Caseload>, AppError> {
    let today = today();
    let month = month_of(q.month.as_deref(), today)?;
    Ok(Json(
        caseload::caseload(&mut u, AreaId(id), month, today).await?,
    ))
}

/// Who carries the case, as typed (form and API).
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct AssignFields {
    /// The new 担当: a coordinator of the child's area (user id).
    pub lead_coordinator_id: String,
    /// The 副担当, optional.
    pub deputy_coordinator_id: String,
    /// Why, for the timeline (引継ぎのメモ).
    pub note: String,
}

fn check_assign(f: &AssignFields) -> Result<(UserId, Option<UserId>, String), AppError> {
    let mut e = Errors::new();
    let lead = f.lead_coordinator_id.trim().parse().ok().map(UserId);
    if lead.is_none() {
        e.add(
            "lead_coordinator_id",
            "担当のコーディネーターを選んでください。",
        );
    }
    let deputy = match f.deputy_coordinator_id.trim() {
        "" => None,
        d => match d.parse() {
            Ok(n) => Some(UserId(n)),
            Err(_) => {
                e.add("deputy_coordinator_id", "副担当の指定が正しくありません。");
                None
            }
        },
    };
    let note = e
        .optional_text("note", "引継ぎのメモ", &f.note)
        .unwrap_or_default();
    e.into_result().map_err(AppError::Validation)?;
    Ok((lead.unwrap_or(UserId(0)), deputy, note))
}

#[derive(Template)]
#[template(path = "people/assign.html")]
struct AssignPage {
    layout: Layout,
    child_id: i64,
    child_name: String,
    current_lead: Option<String>,
    current_deputy: Option<String>,
    colleagues: Vec<Colleague>,
    form: AssignFields,
    errors: Errors,
    today: Date,
}

impl AssignPage {
    fn label(&self, c: &Colleague) -> String {
        let mut s = format!(
            "{}（{}・{}）",
            c.display_name,
            c.staffing.placement_label(),
            c.staffing.background.label()
        );
        if c.staffing.absent_on(self.today) {
            s.push_str("・不在中");
        }
        s
    }
}

async fn assign_page(
    auth: &Auth,
    u: &mut Unit,
    id: i64,
    form: Option<AssignFields>,
    errors: Errors,
) -> Result<AssignPage, AppError> {
    let access = access::child(u, ChildId(id), Purpose::Write, "child.assign").await?;
    let view = children::view(u, access.clone()).await?;
    let colleagues = staffing::colleagues(&mut *u, &[access.area()]).await?;
    let c = &view.child;
    let form = form.unwrap_or_else(|| AssignFields {
        lead_coordinator_id: c
            .lead_coordinator_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        deputy_coordinator_id: c
            .deputy_coordinator_id
            .map(|i| i.to_string())
            .unwrap_or_default(),
        note: String::new(),
    });
    Ok(AssignPage {
        layout: Layout::page(auth, &format!("担当変更：{}", c.name()), "/children"),
        child_id: id,
        child_name: c.name(),
        current_lead: c.lead_coordinator_name.clone(),
        current_deputy: c.deputy_coordinator_name.clone(),
        colleagues,
        form,
        errors,
        today: today(),
    })
}

async fn assign_form(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let page = assign_page(&auth, &mut u, id, None, Errors::new()).await?;
    Ok(Html(page.render()?))
}

async fn assign(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<AssignFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "child.assign").await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    match check_assign(&form) {
        Ok((lead, deputy, note)) => {
            match children::assign(&mut u, &access, lead, deputy, &note).await {
                Ok(()) => {
                    return Ok(
                        Redirect::to(&format!("/children/{id}?notice=assigned")).into_response()
                    )
                }
                Err(e) => into_form_errors(&mut errors, e)?,
            }
        }
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    let page = assign_page(&auth, &mut u, id, Some(form), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// Hand the case to another coordinator of the area (担当変更), with an optional deputy and a
/// note for the timeline. Answers the record.
#[utoipa::path(put, path = "/api/v1/children/{id}/coordinators", tag = "people", params(("id" = i64, Path)), request_body = AssignFields,
    responses((status = 200, body = tsunagu_store::children::ChildView), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_assign(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<AssignFields>>,
) -> Result<Json<tsunagu_store::children::ChildView>, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "child.assign").await?;
    let JsonBody(body) = body.parse()?;
    let (lead, deputy, note) = check_assign(&body)?;
    children::assign(&mut u, &access, lead, deputy, &note).await?;
    let seen = access::record(&mut u, ChildId(id)).await?;
    Ok(Json(children::view(&mut u, seen).await?))
}
