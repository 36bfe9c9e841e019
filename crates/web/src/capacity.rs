//! Capacity building on the web (「研修・巡回」): visits to nurseries, schools and providers and
//! training sessions, each recorded in one form that keeps what was typed; and their API.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use tsunagu_domain::{validation::Errors, AgencyId, AreaId};
use tsunagu_store::{
    agencies::{self, AgencyRef},
    areas,
    capacity::{self, NewTraining, NewVisit, Topic, Training, Visit},
    children::ChildId,
};

use crate::{
    agencies::{parse_date, parse_schedule_date},
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/capacity", get(page))
        .route("/capacity/visits", post(create_visit))
        .route("/capacity/trainings", post(create_training))
        .route("/capacity/topics", post(add_topic))
        .route("/api/v1/visits", get(api_visits).post(api_create_visit))
        .route(
            "/api/v1/trainings",
            get(api_trainings).post(api_create_training),
        )
}

/// A visit as typed.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct VisitFields {
    pub area_id: String,
    pub agency_id: String,
    /// YYYY-MM-DD
    pub visited_on: String,
    pub visitors: String,
    pub purpose: String,
    pub advice: String,
    pub follow_up_on: String,
    /// The time the visit took in minutes, optional.
    pub spent_minutes: String,
    /// Children discussed (ids), optional.
    pub child_ids: Vec<String>,
}

fn id_of(e: &mut Errors, field: &str, message: &str, value: &str) -> Option<i64> {
    match value.trim().parse::<i64>() {
        Ok(id) => Some(id),
        Err(_) => {
            e.add(field, message);
            None
        }
    }
}

pub fn check_visit(f: &VisitFields) -> Result<NewVisit, AppError> {
    let mut e = Errors::new();
    let area = id_of(&mut e, "area_id", "地域を選んでください。", &f.area_id);
    let agency = id_of(
        &mut e,
        "agency_id",
        "訪問先の機関を選んでください。",
        &f.agency_id,
    );
    let visited_on = parse_date(&mut e, "visited_on", "訪問日", &f.visited_on);
    if visited_on.is_none() && e.get("visited_on").is_none() {
        e.add("visited_on", "訪問日を入力してください。");
    }
    let visitors = e.required_line("visitors", "訪問した人", &f.visitors);
    let purpose = e.required_line("purpose", "目的", &f.purpose);
    let advice = e.optional_text("advice", "助言した内容", &f.advice);
    let follow_up_on =
        parse_schedule_date(&mut e, "follow_up_on", "フォローの予定日", &f.follow_up_on);
    let spent_minutes = e.optional_number(
        "spent_minutes",
        "かかった時間は0〜1440の分で入力してください。",
        &f.spent_minutes,
        0..=1440,
    );
    // IDs one per field, or several in one: 「15, 16」「15、16」.
    let mut child_ids = Vec::new();
    for id in f
        .child_ids
        .iter()
        .flat_map(|c| c.split([',', '、', ' ', '　']))
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        match id.parse::<i64>() {
            Ok(n) => child_ids.push(ChildId(n)),
            Err(_) => e.add(
                "child_ids",
                "子どものIDは数字で入力してください（複数は「15, 16」）。",
            ),
        }
    }
    e.into_result().map_err(AppError::Validation)?;
    match (area, agency, visited_on) {
        (Some(area), Some(agency), Some(visited_on)) => Ok(NewVisit {
            area_id: AreaId(area),
            agency_id: AgencyId(agency),
            visited_on,
            visitors,
            purpose,
            advice,
            follow_up_on,
            spent_minutes,
            child_ids,
        }),
        _ => Err(AppError::invalid(
            "visited_on",
            "入力内容を確認してください。",
        )),
    }
}

/// A training session as typed: participants one agency a row with its headcount, and others by name.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct TrainingFields {
    pub area_id: String,
    pub title: String,
    pub topic_id: String,
    /// YYYY-MM-DD
    pub held_on: String,
    pub place: String,
    pub lecturer: String,
    /// Percent satisfied, 0–100 (optional).
    pub satisfaction: String,
    pub note: String,
    /// Parallel lists: the agency of each row and how many came.
    pub participant_agency: Vec<String>,
    pub participant_count: Vec<String>,
    /// Others, one a line: 名前 人数 (e.g. 「保護者 3」).
    pub others: String,
}

pub fn check_training(f: &TrainingFields) -> Result<NewTraining, AppError> {
    let mut e = Errors::new();
    let area = id_of(&mut e, "area_id", "地域を選んでください。", &f.area_id);
    let title = e.required_line("title", "研修名", &f.title);
    let topic_id = f.topic_id.trim().parse::<i64>().ok();
    let held_on = parse_date(&mut e, "held_on", "開催日", &f.held_on);
    if held_on.is_none() && e.get("held_on").is_none() {
        e.add("held_on", "開催日を入力してください。");
    }
    let place = e.optional_line("place", "会場", &f.place);
    let lecturer = e.optional_line("lecturer", "講師", &f.lecturer);
    let satisfaction = match f.satisfaction.trim() {
        "" => None,
        s => match s.trim_end_matches('%').parse::<i64>() {
            Ok(n) if (0..=100).contains(&n) => Some(n),
            _ => {
                e.add(
                    "satisfaction",
                    "満足度は 0〜100 の数字（%）で入力してください。",
                );
                None
            }
        },
    };
    let note = e.optional_text("note", "メモ", &f.note);
    let mut participants = Vec::new();
    for (i, agency) in f.participant_agency.iter().enumerate() {
        let count = f.participant_count.get(i).map_or("", |c| c.trim());
        if agency.trim().is_empty() && count.is_empty() {
            continue;
        }
        match (agency.trim().parse::<i64>(), count.parse::<i64>()) {
            (Ok(a), Ok(n)) if n > 0 => participants.push((Some(AgencyId(a)), String::new(), n)),
            _ => e.add(
                "participants",
                "参加機関と人数（1以上の数字）を組で入力してください。",
            ),
        }
    }
    for line in f.others.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, count) = line.rsplit_once([' ', '　']).unwrap_or((line, ""));
        match count.trim().trim_end_matches('人').parse::<i64>() {
            Ok(n) if n > 0 && !name.trim().is_empty() => {
                participants.push((None, name.trim().to_string(), n))
            }
            _ => e.add(
                "others",
                "そのほかの参加者は「保護者 3」のように名前と人数を1行ずつ入力してください。",
            ),
        }
    }
    e.into_result().map_err(AppError::Validation)?;
    match (area, held_on) {
        (Some(area), Some(held_on)) => Ok(NewTraining {
            area_id: AreaId(area),
            title,
            topic_id,
            held_on,
            place,
            lecturer,
            satisfaction,
            note,
            participants,
        }),
        _ => Err(AppError::invalid("held_on", "入力内容を確認してください。")),
    }
}

#[derive(Template)]
#[template(path = "capacity/page.html")]
struct Page {
    layout: Layout,
    visits: Vec<Visit>,
    trainings: Vec<Training>,
    areas: Vec<(i64, String)>,
    agencies: Vec<AgencyRef>,
    topics: Vec<Topic>,
    may_write: bool,
    visit: VisitFields,
    training: TrainingFields,
    /// Which form was refused: "visit" or "training".
    refused: &'static str,
    errors: Errors,
}

impl Page {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        self.errors.get(field).filter(|_| self.refused == form)
    }
    fn participant_rows(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self
            .training
            .participant_agency
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    a.clone(),
                    self.training
                        .participant_count
                        .get(i)
                        .cloned()
                        .unwrap_or_default(),
                )
            })
            .filter(|(a, c)| !a.is_empty() || !c.is_empty())
            .collect();
        while rows.len() < 5 {
            rows.push((String::new(), String::new()));
        }
        rows
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn render(
    u: &mut Unit,
    auth: &Auth,
    notice: Option<&str>,
    visit: VisitFields,
    training: TrainingFields,
    refused: &'static str,
    errors: Errors,
) -> Result<Response, AppError> {
    if !auth.actor.role.needs_areas() {
        return Err(AppError::Forbidden);
    }
    let mine: Vec<(i64, String)> = areas::all_areas(&mut *u)
        .await?
        .into_iter()
        .filter(|a| auth.actor.serves_area(a.id))
        .map(|a| (a.id.0, a.name))
        .collect();
    let default_area = mine.first().map(|a| a.0.to_string()).unwrap_or_default();
    let mut visit = visit;
    let mut training = training;
    if visit.area_id.is_empty() {
        visit.area_id = default_area.clone();
    }
    if training.area_id.is_empty() {
        training.area_id = default_area;
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Page {
        layout: Layout::page(auth, "研修・巡回相談", "/capacity").with_notice(notice),
        visits: capacity::visits(u, None, 100).await?,
        trainings: capacity::trainings(u, None, 100).await?,
        areas: mine,
        agencies: agencies::all(&mut *u).await?,
        topics: capacity::topics(&mut *u).await?,
        may_write: auth.actor.role == tsunagu_domain::Role::Coordinator,
        visit,
        training,
        refused,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn page(auth: Auth, mut u: Unit, Query(q): Query<NoticeQuery>) -> Result<Response, AppError> {
    render(
        &mut u,
        &auth,
        q.notice.as_deref(),
        VisitFields::default(),
        TrainingFields::default(),
        "",
        Errors::new(),
    )
    .await
}

async fn create_visit(
    auth: Auth,
    mut u: Unit,
    f: Deferred<Form<VisitFields>>,
) -> Result<Response, AppError> {
    capacity::may_record(&mut u, "visit.create")?;
    let Form(f) = f.parse()?;
    let mut errors = Errors::new();
    match check_visit(&f) {
        Ok(new) => match capacity::create_visit(&mut u, &new).await {
            Ok(_) => return Ok(Redirect::to("/capacity?notice=saved").into_response()),
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    render(
        &mut u,
        &auth,
        None,
        f,
        TrainingFields::default(),
        "visit",
        errors,
    )
    .await
}

async fn create_training(
    auth: Auth,
    mut u: Unit,
    f: Deferred<Form<TrainingFields>>,
) -> Result<Response, AppError> {
    capacity::may_record(&mut u, "training.create")?;
    let Form(f) = f.parse()?;
    let mut errors = Errors::new();
    match check_training(&f) {
        Ok(new) => match capacity::create_training(&mut u, &new).await {
            Ok(_) => return Ok(Redirect::to("/capacity?notice=saved#trainings").into_response()),
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    render(
        &mut u,
        &auth,
        None,
        VisitFields::default(),
        f,
        "training",
        errors,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TopicFields {
    name: String,
}

async fn add_topic(
    auth: Auth,
    mut u: Unit,
    f: Deferred<Form<TopicFields>>,
) -> Result<Response, AppError> {
    capacity::may_add_topic(&mut u)?;
    let Form(f) = f.parse()?;
    let mut e = Errors::new();
    let name = e.required_line("topic_name", "テーマ", &f.name);
    if e.is_empty() {
        match capacity::add_topic(&mut u, &name).await {
            Ok(_) => return Ok(Redirect::to("/capacity?notice=saved#trainings").into_response()),
            Err(err) => into_form_errors(&mut e, err)?,
        }
    }
    render(
        &mut u,
        &auth,
        None,
        VisitFields::default(),
        TrainingFields::default(),
        "training",
        e,
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/visits", tag = "capacity",
    responses((status = 200, body = Vec<Visit>)))]
pub async fn api_visits(mut u: Unit) -> Result<Json<Vec<Visit>>, AppError> {
    Ok(Json(capacity::visits(&mut u, None, 500).await?))
}

#[utoipa::path(post, path = "/api/v1/visits", tag = "capacity", request_body = VisitFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create_visit(
    mut u: Unit,
    body: Deferred<JsonBody<VisitFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    capacity::may_record(&mut u, "visit.create")?;
    let JsonBody(body) = body.parse()?;
    let new = check_visit(&body)?;
    let id = capacity::create_visit(&mut u, &new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[utoipa::path(get, path = "/api/v1/trainings", tag = "capacity",
    responses((status = 200, body = Vec<Training>)))]
pub async fn api_trainings(mut u: Unit) -> Result<Json<Vec<Training>>, AppError> {
    Ok(Json(capacity::trainings(&mut u, None, 500).await?))
}

#[utoipa::path(post, path = "/api/v1/trainings", tag = "capacity", request_body = TrainingFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create_training(
    mut u: Unit,
    body: Deferred<JsonBody<TrainingFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    capacity::may_record(&mut u, "training.create")?;
    let JsonBody(body) = body.parse()?;
    let new = check_training(&body)?;
    let id = capacity::create_training(&mut u, &new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}
