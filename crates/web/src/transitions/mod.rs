//! Life stages and transitions on the web: the child's transitions page (stage now, the school
//! calendar, years held back, planned moves with their checklists and handover sheets), the
//! 就学早見表, the area's transition calendar, the checklist template, and their API.

mod api;
pub(crate) mod calendar;
pub(crate) mod school_calendar;
mod template;
pub(crate) mod working_days;

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use time::Date;
use tsunagu_domain::{
    access::Purpose,
    japanese_date,
    school_year::{self, HoldKind, Stage, TransitionKind},
    validation::Errors,
    AgencyId, TransitionId,
};
use tsunagu_store::{
    access,
    agencies::{self, AgencyRef},
    children::{self, ChildId},
    handovers::{self, HandoverSheet},
    transitions::{self, Hold, NewItem, NewTransition, TransitionView},
};

use crate::{
    agencies::parse_schedule_date,
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Query},
    layout::{filters, Layout},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub use api::*;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/transitions", get(show).post(create))
        .route("/children/{id}/holds", post(add_hold))
        .route("/transitions/{id}/status", post(set_status))
        .route("/transitions/{id}/items", post(add_item))
        .route("/transition-items/{id}", post(edit_item))
        .route("/transition-items/{id}/{state}", post(set_item))
        .merge(school_calendar::router())
        .merge(working_days::router())
        .merge(calendar::router())
        .merge(template::router())
        .merge(api::router())
}

/// A new transition as typed.
#[derive(Deserialize, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TransitionFields {
    /// nursery, elementary, junior_high, high_school, after_graduation, change_of_school, move
    pub kind: String,
    /// YYYY-MM-DD
    pub move_on: String,
    pub to_agency_id: String,
    /// Where the child goes, when not in the directory.
    pub to_name: String,
    pub note: String,
}

pub fn check_transition(
    f: &TransitionFields,
    from_agency: Option<i64>,
) -> Result<NewTransition, AppError> {
    let mut e = Errors::new();
    let kind = TransitionKind::from_code(f.kind.trim());
    if kind.is_none() {
        e.add("kind", "移行の種類を選んでください。");
    }
    let move_on = parse_schedule_date(&mut e, "move_on", "移行日", &f.move_on);
    if move_on.is_none() && e.get("move_on").is_none() {
        e.add("move_on", "移行日を入力してください。");
    }
    let to_agency_id = match f.to_agency_id.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) => Some(AgencyId(id)),
            Err(_) => {
                e.add("to_agency_id", "移行先の機関を一覧から選んでください。");
                None
            }
        },
    };
    let to_name = e.optional_line("to_name", "移行先", &f.to_name);
    let note = e.optional_text("note", "メモ", &f.note);
    e.into_result().map_err(AppError::Validation)?;
    let (Some(kind), Some(move_on)) = (kind, move_on) else {
        return Err(AppError::invalid(
            "kind",
            "移行の種類と日付を入力してください。",
        ));
    };
    Ok(NewTransition {
        kind,
        move_on,
        from_agency_id: from_agency.map(AgencyId),
        to_agency_id,
        to_name: to_name.unwrap_or_default(),
        note,
    })
}

/// A year held back as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct HoldFields {
    fiscal_year: String,
    kind: String,
    note: String,
}

/// A checklist item as typed.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct ItemFields {
    pub title: String,
    pub owner: String,
    pub owner_agency_id: String,
    /// YYYY-MM-DD
    pub due_on: String,
}

pub fn check_item(f: &ItemFields) -> Result<NewItem, AppError> {
    let mut e = Errors::new();
    let title = e.required_line("title", "項目", &f.title);
    let owner = e.optional_line("owner", "担当", &f.owner);
    let due_on = parse_schedule_date(&mut e, "due_on", "期限", &f.due_on);
    let owner_agency_id = f.owner_agency_id.trim().parse::<i64>().ok().map(AgencyId);
    e.into_result().map_err(AppError::Validation)?;
    Ok(NewItem {
        title,
        owner: owner.unwrap_or_default(),
        owner_agency_id,
        due_on,
    })
}

/// A move the school calendar foresees, offered for planning.
struct Foreseen {
    kind: TransitionKind,
    on: Date,
    planned: bool,
}

#[derive(Template)]
#[template(path = "transitions/child.html")]
struct ChildPage {
    layout: Layout,
    child_id: i64,
    child_name: String,
    birth_date: Date,
    hayaumare: bool,
    may_write: bool,
    stage: Stage,
    calendar: school_year::SchoolCalendar,
    holds: Vec<Hold>,
    foreseen: Vec<Foreseen>,
    /// Checkups of early childhood still ahead, or begun within the last half year.
    checkups: Vec<(&'static str, Date)>,
    transitions: Vec<TransitionView>,
    sheets: Vec<HandoverSheet>,
    agencies: Vec<AgencyRef>,
    form: TransitionFields,
    hold: HoldFields,
    item: ItemFields,
    /// The transition whose item form was refused.
    item_for: Option<TransitionId>,
    errors: Errors,
    today: Date,
}

impl ChildPage {
    fn kinds(&self) -> [TransitionKind; 7] {
        TransitionKind::ALL
    }
    fn hold_kinds(&self) -> [HoldKind; 2] {
        HoldKind::ALL
    }
    fn fy_label(&self, fy: &i32) -> String {
        school_year::fiscal_year_label(*fy)
    }
    fn fy64_label(&self, fy: &i64) -> String {
        school_year::fiscal_year_label(i32::try_from(*fy).unwrap_or_default())
    }
    fn with_era(&self, d: &Date) -> String {
        japanese_date::format_date_with_era(*d)
    }
    /// Fiscal years a hold may be recorded for: from the 年長 year back three, forward fifteen.
    fn hold_years(&self) -> Vec<i32> {
        let now = school_year::fiscal_year(self.today);
        (now - 3..=now + 1).collect()
    }
    fn sheets_of(&self, transition: &TransitionId) -> Vec<&HandoverSheet> {
        self.sheets
            .iter()
            .filter(|s| s.transition_id == Some(transition.0))
            .collect()
    }
    fn other_sheets(&self) -> Vec<&HandoverSheet> {
        self.sheets
            .iter()
            .filter(|s| s.transition_id.is_none())
            .collect()
    }
    fn is_destination(&self, to: &Option<i64>, agency: &i64) -> bool {
        *to == Some(*agency)
    }
    fn item_open(&self, transition: &TransitionId) -> bool {
        self.item_for == Some(*transition)
    }
    /// What was typed into this transition's item form when it was refused.
    fn item_value(&self, transition: &TransitionId, field: &str) -> &str {
        if self.item_for != Some(*transition) {
            return "";
        }
        match field {
            "title" => &self.item.title,
            "owner" => &self.item.owner,
            _ => &self.item.due_on,
        }
    }
    fn item_error(&self, transition: &TransitionId, field: &str) -> Option<&str> {
        self.errors
            .get(field)
            .filter(|_| self.item_for == Some(*transition))
    }
    fn is_late(&self, d: &Option<Date>) -> bool {
        d.is_some_and(|d| d < self.today)
    }
}

#[derive(Deserialize, Default)]
struct PageQuery {
    notice: Option<String>,
    kind: Option<String>,
    on: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    u: &mut Unit,
    auth: &Auth,
    id: ChildId,
    notice: Option<&str>,
    form: TransitionFields,
    hold: HoldFields,
    item: (Option<TransitionId>, ItemFields),
    errors: Errors,
) -> Result<Response, AppError> {
    let child = id;
    let staff = access::area_staff(u, child, transitions::READ).await?;
    let list = transitions::for_child(u, &staff).await?;
    let v = children::view(u, staff).await?;
    let holds = transitions::holds(u, &v.access).await?;
    let sheets = handovers::for_child(u, &v.access).await?;
    let cohort = transitions::cohort_of(v.child.birth_date, &holds);
    let today = children::today_in_japan();
    let foreseen = cohort
        .upcoming_moves(today)
        .into_iter()
        .take(2)
        .map(|(kind, on)| Foreseen {
            kind,
            on,
            planned: list
                .iter()
                .any(|t| t.transition.kind == kind.code() && t.transition.status != "cancelled"),
        })
        .collect();
    let checkups = school_year::Checkup::ALL
        .into_iter()
        .map(|c| (c.label(), c.due_from(v.child.birth_date)))
        .filter(|(_, on)| *on >= today - time::Duration::days(183))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // The area's agencies and those already chosen; any other is found by name.
    let mut known: Vec<i64> = list
        .iter()
        .flat_map(|t| {
            t.transition
                .to_agency_id
                .into_iter()
                .chain(t.items.iter().filter_map(|i| i.owner_agency_id))
        })
        .collect();
    known.extend(form.to_agency_id.trim().parse::<i64>().ok());
    let agencies = agencies::near(&mut **u, v.child.area_id, &known).await?;
    let page = ChildPage {
        layout: Layout::page(auth, "移行・ライフステージ", "/children").with_notice(notice),
        child_id: id.0,
        child_name: v.child.name(),
        birth_date: v.child.birth_date,
        hayaumare: school_year::is_hayaumare(v.child.birth_date),
        may_write: v.may_write && !v.child.is_closed(),
        stage: cohort.stage_on(today),
        calendar: cohort.calendar(),
        holds,
        foreseen,
        checkups,
        sheets,
        transitions: list,
        agencies,
        form,
        hold,
        item_for: item.0,
        item: item.1,
        errors,
        today,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<ChildId>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    // 「この移行を計画する」 fills the form with the foreseen kind and date.
    let form = TransitionFields {
        kind: q.kind.unwrap_or_default(),
        move_on: q.on.unwrap_or_default(),
        ..TransitionFields::default()
    };
    page(
        &mut u,
        &auth,
        id,
        q.notice.as_deref(),
        form,
        HoldFields::default(),
        (None, ItemFields::default()),
        Errors::new(),
    )
    .await
}

async fn create(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<ChildId>,
    form: Deferred<Form<TransitionFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, id, Purpose::Write, "transition.create").await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    let current: Option<i64> = children::view(&mut u, access.clone())
        .await?
        .child
        .current_agency_id;
    match check_transition(&form, current) {
        Ok(new) => match transitions::create(&mut u, &access, &new).await {
            Ok(t) => {
                return Ok(Redirect::to(&format!(
                    "/children/{id}/transitions?notice=created#transition-{t}"
                ))
                .into_response())
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    page(
        &mut u,
        &auth,
        id,
        None,
        form,
        HoldFields::default(),
        (None, ItemFields::default()),
        errors,
    )
    .await
}

async fn add_hold(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<ChildId>,
    hold: Deferred<Form<HoldFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, id, Purpose::Write, "hold.create").await?;
    let Form(hold) = hold.parse()?;
    let mut errors = Errors::new();
    let fy = hold.fiscal_year.trim().parse::<i32>().ok();
    let kind = HoldKind::from_code(hold.kind.trim());
    if fy.is_none() {
        errors.add("fiscal_year", "年度を選んでください。");
    }
    if kind.is_none() {
        errors.add("hold_kind", "就学猶予か原級留置かを選んでください。");
    }
    let note = errors.optional_text("hold_note", "メモ", &hold.note);
    if let (Some(fy), Some(kind), true) = (fy, kind, errors.is_empty()) {
        match transitions::add_hold(&mut u, &access, fy, kind, note.as_deref()).await {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("/children/{id}/transitions?notice=saved"))
                        .into_response(),
                )
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    page(
        &mut u,
        &auth,
        id,
        None,
        TransitionFields::default(),
        hold,
        (None, ItemFields::default()),
        errors,
    )
    .await
}

#[derive(Deserialize)]
struct StatusFields {
    status: String,
}

async fn set_status(
    mut u: Unit,
    Path(id): Path<TransitionId>,
    f: Deferred<Form<StatusFields>>,
) -> Result<Response, AppError> {
    let (t, access) = transitions::find(&mut u, id, Purpose::Write).await?;
    let Form(f) = f.parse()?;
    transitions::set_status(&mut u, &access, id, f.status.trim()).await?;
    Ok(Redirect::to(&format!(
        "/children/{}/transitions?notice=saved#transition-{id}",
        t.child_id
    ))
    .into_response())
}

async fn add_item(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<TransitionId>,
    f: Deferred<Form<ItemFields>>,
) -> Result<Response, AppError> {
    let (t, access) = transitions::find(&mut u, id, Purpose::Write).await?;
    let Form(f) = f.parse()?;
    let child = t.child_id;
    let mut errors = Errors::new();
    match check_item(&f) {
        Ok(new) => match transitions::add_item(&mut u, &access, id, &new).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!(
                    "/children/{child}/transitions?notice=saved#transition-{id}"
                ))
                .into_response())
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    page(
        &mut u,
        &auth,
        child,
        None,
        TransitionFields::default(),
        HoldFields::default(),
        (Some(id), f),
        errors,
    )
    .await
}

async fn set_item(
    mut u: Unit,
    Path((id, item_state)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let done = match item_state.as_str() {
        "done" => true,
        "open" => false,
        _ => return Err(AppError::NotFound),
    };
    let (t, access) = transitions::find_item(&mut u, id).await?;
    let transition = transitions::set_item_done(&mut u, &access, id, done).await?;
    Ok(Redirect::to(&format!(
        "/children/{}/transitions#transition-{transition}",
        t.child_id
    ))
    .into_response())
}

async fn edit_item(
    mut u: Unit,
    Path(id): Path<i64>,
    f: Deferred<Form<ItemFields>>,
) -> Result<Response, AppError> {
    let (t, access) = transitions::find_item(&mut u, id).await?;
    let Form(f) = f.parse()?;
    let changed = check_item(&f)?;
    let transition = transitions::update_item(&mut u, &access, id, &changed).await?;
    Ok(Redirect::to(&format!(
        "/children/{}/transitions?notice=saved#transition-{transition}",
        t.child_id
    ))
    .into_response())
}
