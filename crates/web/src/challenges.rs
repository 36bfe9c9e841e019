//! The challenges log and council meetings on the web (「課題・協議会」): raising a challenge,
//! moving it through its states to a resolution with its history, council meetings with their
//! attendees, the printable agenda of a meeting (its challenges), and their API.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, put},
    Json,
};
use serde::Deserialize;
use tsunagu_documents::pdf::{Document, Section};
use tsunagu_domain::{challenge, validation::Errors, AgencyId, AreaId, Role};
use tsunagu_store::{
    agencies::{self, AgencyRef},
    areas,
    challenges::{
        self, Awaiting, Challenge, ChallengeInput, CouncilMeeting, Filter, HistoryEntry,
        NewCouncilMeeting,
    },
    councils::{self, Council},
};

use crate::{
    agencies::parse_date,
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    printing,
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/challenges", get(list).post(create))
        .route("/challenges/{id}", get(show).post(update))
        .route("/challenges/{id}/raise", axum::routing::post(raise))
        .route("/challenges/{id}/response", axum::routing::post(respond))
        .route("/council-meetings", get(meetings_page).post(create_meeting))
        .route("/council-meetings/{id}/agenda", get(agenda))
        .route("/api/v1/challenges", get(api_list).post(api_create))
        .route("/api/v1/challenges/{id}", put(api_update))
        .route(
            "/api/v1/challenges/{id}/raise",
            axum::routing::post(api_raise),
        )
        .route(
            "/api/v1/challenges/{id}/response",
            axum::routing::post(api_respond),
        )
        .route(
            "/api/v1/council-meetings",
            get(api_meetings).post(api_create_meeting),
        )
}

/// A challenge as typed.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct ChallengeFields {
    pub area_id: String,
    pub title: String,
    pub description: String,
    /// resources, cooperation, procedures, personnel, information, other
    pub category: String,
    /// YYYY-MM-DD (default today)
    pub raised_on: String,
    pub council_id: String,
    pub council_meeting_id: String,
    /// new, discussing, acting, resolved, continuing
    pub status: String,
    pub resolution: String,
    pub resolved_on: String,
    /// What happened, for the history.
    pub note: String,
    /// A challenge never names a child: a child's id here is refused.
    pub child_id: String,
    /// typed (default), support_meeting, visit, consultations.
    pub source: String,
    /// The support meeting it was found in (its child's name is then refused in the text; the
    /// meeting is never shown with the challenge).
    pub source_meeting_id: String,
    /// The visit it was found in (likewise).
    pub source_visit_id: String,
    /// YYYY-MM-DD: when it was found (the meeting's or visit's day by default).
    pub source_on: String,
}

pub fn check_challenge(f: &ChallengeFields) -> Result<ChallengeInput, AppError> {
    let mut e = Errors::new();
    if !f.child_id.trim().is_empty() {
        e.add(
            "child_id",
            "課題には子どもを結びつけられません。個人が特定されない書き方にしてください。",
        );
    }
    let area = f.area_id.trim().parse::<i64>().ok();
    if area.is_none() {
        e.add("area_id", "地域を選んでください。");
    }
    let title = e.required_line("title", "課題", &f.title);
    let description = e.optional_text("description", "内容", &f.description);
    if description.is_none() && e.get("description").is_none() {
        e.add("description", "どのような課題かを入力してください。");
    }
    if challenge::category_label(f.category.trim()).is_empty() {
        e.add("category", "分類を選んでください。");
    }
    let raised_on = parse_date(&mut e, "raised_on", "提起した日", &f.raised_on)
        .unwrap_or_else(tsunagu_store::children::today_in_japan);
    let status = match f.status.trim() {
        "" => "new".to_string(),
        s if !challenge::status_label(s).is_empty() => s.to_string(),
        _ => {
            e.add("status", "状態を選んでください。");
            String::new()
        }
    };
    let resolution = e.optional_text("resolution", "対応の結果", &f.resolution);
    let resolved_on = parse_date(&mut e, "resolved_on", "解決日", &f.resolved_on);
    let note = e.optional_text("note", "経過のメモ", &f.note);
    let source = match f.source.trim() {
        "" => "typed".to_string(),
        s if !challenge::source_label(s).is_empty() => s.to_string(),
        _ => {
            e.add("source", "どこから挙がった課題かを選んでください。");
            String::new()
        }
    };
    let source_on = parse_date(&mut e, "source_on", "気づいた日", &f.source_on);
    e.into_result().map_err(AppError::Validation)?;
    Ok(ChallengeInput {
        area_id: AreaId(area.unwrap_or_default()),
        title,
        description: description.unwrap_or_default(),
        category: f.category.trim().to_string(),
        raised_on,
        council_id: f.council_id.trim().parse().ok(),
        council_meeting_id: f.council_meeting_id.trim().parse().ok(),
        status,
        resolution,
        resolved_on,
        note,
        source,
        source_on,
        source_meeting_id: f.source_meeting_id.trim().parse().ok(),
        source_visit_id: f.source_visit_id.trim().parse().ok(),
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ListQuery {
    status: String,
    category: String,
    area: String,
    notice: Option<String>,
    /// A support meeting or visit the new challenge comes from.
    from_meeting: String,
    from_visit: String,
    /// The committee's list: answer (awaiting an answer), answered, all.
    which: String,
    fiscal_year: String,
}

#[derive(Template)]
#[template(path = "challenges/list.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Challenge>,
    query: ListQuery,
    areas: Vec<(i64, String)>,
    councils: Vec<Council>,
    meetings: Vec<CouncilMeeting>,
    may_write: bool,
    form: ChallengeFields,
    errors: Errors,
    /// Where the new challenge comes from, in words (「2026年12月1日の支援会議」).
    source_hint: Option<String>,
}

impl ListPage {
    fn sources(&self) -> [(&'static str, &'static str); 4] {
        challenge::SOURCES
    }
    fn source_selected(&self, code: &str) -> bool {
        self.form.source == code || (self.form.source.is_empty() && code == "typed")
    }
    fn categories(&self) -> [(&'static str, &'static str); 6] {
        challenge::CATEGORIES
    }
    fn statuses(&self) -> [(&'static str, &'static str); 5] {
        challenge::STATUSES
    }
}

async fn mine(state: &AppState, auth: &Auth) -> Result<Vec<(i64, String)>, AppError> {
    Ok(areas::all_areas(&state.db)
        .await?
        .into_iter()
        .filter(|a| auth.actor.serves_area(a.id))
        .map(|a| (a.id.0, a.name))
        .collect())
}

async fn my_councils(state: &AppState, auth: &Auth) -> Result<Vec<Council>, AppError> {
    Ok(councils::list(&state.db, None)
        .await?
        .into_iter()
        .filter(|c| auth.actor.serves_area(AreaId(c.area_id)))
        .collect())
}

async fn list_page(
    state: &AppState,
    auth: &Auth,
    query: ListQuery,
    form: ChallengeFields,
    errors: Errors,
) -> Result<Response, AppError> {
    if auth.actor.role == Role::Committee {
        return committee_list(state, auth, &query).await;
    }
    if !auth.actor.role.needs_areas() {
        return Err(AppError::Forbidden);
    }
    let mut form = form;
    let mut source_hint = None;
    let (meeting, visit) = (
        query.from_meeting.trim().parse::<i64>().ok(),
        query.from_visit.trim().parse::<i64>().ok(),
    );
    if meeting.is_some() || visit.is_some() {
        let (area, day) = challenges::source_day(&state.db, &auth.actor, meeting, visit).await?;
        form.area_id = area.to_string();
        form.source = if meeting.is_some() {
            "support_meeting"
        } else {
            "visit"
        }
        .into();
        form.source_on = day.to_string();
        form.source_meeting_id = meeting.map(|m| m.to_string()).unwrap_or_default();
        form.source_visit_id = visit.map(|v| v.to_string()).unwrap_or_default();
    }
    if !form.source_meeting_id.is_empty() || !form.source_visit_id.is_empty() {
        source_hint = Some(format!(
            "{}の{}から登録します。子どもの名前は書けません（書くと保存されません）。",
            tsunagu_domain::japanese_date::format_date(
                parse_date(&mut Errors::new(), "source_on", "", &form.source_on)
                    .unwrap_or_else(tsunagu_store::children::today_in_japan)
            ),
            if form.source_meeting_id.is_empty() {
                "巡回相談・施設支援"
            } else {
                "支援会議"
            }
        ));
    }
    let filter = Filter {
        status: Some(query.status.clone()).filter(|s| !s.is_empty()),
        category: Some(query.category.clone()).filter(|s| !s.is_empty()),
        area_id: query.area.parse().ok().map(AreaId),
        council_meeting_id: None,
    };
    let areas = mine(state, auth).await?;
    if form.area_id.is_empty() {
        form.area_id = areas.first().map(|a| a.0.to_string()).unwrap_or_default();
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ListPage {
        layout: Layout::page(auth, "課題の整理", "/challenges")
            .with_notice(query.notice.as_deref()),
        items: challenges::list(&state.db, &auth.actor, &filter).await?,
        areas,
        councils: my_councils(state, auth).await?,
        meetings: challenges::meetings(&state.db, &auth.actor).await?,
        may_write: auth.actor.role == Role::Coordinator,
        query,
        form,
        errors,
        source_hint,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "challenges/committee.html")]
struct CommitteePage {
    layout: Layout,
    items: Vec<Challenge>,
    which: String,
    fiscal_year: String,
    years: Vec<(i32, String)>,
}

/// The committee's list: the challenges raised to the prefecture, those awaiting its answer
/// first.
async fn committee_list(
    state: &AppState,
    auth: &Auth,
    q: &ListQuery,
) -> Result<Response, AppError> {
    let which = match q.which.as_str() {
        "answered" => Awaiting::Answered,
        "all" => Awaiting::All,
        _ => Awaiting::Answer,
    };
    let this_year =
        tsunagu_domain::school_year::fiscal_year(tsunagu_store::children::today_in_japan());
    let fy = q.fiscal_year.trim().parse::<i32>().ok();
    let page = CommitteePage {
        layout: Layout::page(auth, "提起された課題", "/challenges")
            .with_notice(q.notice.as_deref()),
        items: challenges::raised(&state.db, which, fy).await?,
        which: match which {
            Awaiting::Answer => "answer",
            Awaiting::Answered => "answered",
            Awaiting::All => "all",
        }
        .into(),
        fiscal_year: q.fiscal_year.clone(),
        years: (this_year - 4..=this_year)
            .rev()
            .map(|y| (y, tsunagu_domain::school_year::fiscal_year_label(y)))
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    list_page(&state, &auth, q, ChallengeFields::default(), Errors::new()).await
}

async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    f: Deferred<Form<ChallengeFields>>,
) -> Result<Response, AppError> {
    challenges::may_save(&state.db, &auth.actor, None).await?;
    let Form(f) = f.parse()?;
    let mut errors = Errors::new();
    match check_challenge(&f) {
        Ok(input) => match challenges::save(&state.db, &meta, &auth.actor, None, &input).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/challenges/{id}?notice=created")).into_response())
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    list_page(&state, &auth, ListQuery::default(), f, errors).await
}

#[derive(Template)]
#[template(path = "challenges/show.html")]
struct ShowPage {
    layout: Layout,
    c: Challenge,
    history: Vec<HistoryEntry>,
    areas: Vec<(i64, String)>,
    councils: Vec<Council>,
    meetings: Vec<CouncilMeeting>,
    may_write: bool,
    form: ChallengeFields,
    errors: Errors,
    /// The area may raise it to the prefecture (not yet raised; its coordinators, supervisors).
    may_raise: bool,
    /// The committee reads it (and answers).
    committee: bool,
    /// The raise or response form as typed.
    step_text: String,
    step_errors: Errors,
}

impl ShowPage {
    fn categories(&self) -> [(&'static str, &'static str); 6] {
        challenge::CATEGORIES
    }
    fn statuses(&self) -> [(&'static str, &'static str); 5] {
        challenge::STATUSES
    }
}

fn fields_of(c: &Challenge) -> ChallengeFields {
    ChallengeFields {
        area_id: c.area_id.to_string(),
        title: c.title.clone(),
        description: c.description.clone(),
        category: c.category.clone(),
        raised_on: c.raised_on.to_string(),
        council_id: c.council_id.map(|v| v.to_string()).unwrap_or_default(),
        council_meeting_id: c
            .council_meeting_id
            .map(|v| v.to_string())
            .unwrap_or_default(),
        status: c.status.clone(),
        resolution: c.resolution.clone().unwrap_or_default(),
        resolved_on: c.resolved_on.map(|d| d.to_string()).unwrap_or_default(),
        note: String::new(),
        child_id: String::new(),
        source: c.source.clone(),
        source_meeting_id: String::new(),
        source_visit_id: String::new(),
        source_on: c.source_on.map(|d| d.to_string()).unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

/// What was typed on the challenge's page and refused.
enum Typed {
    Nothing,
    Edit(Box<ChallengeFields>, Errors),
    /// The area's summary (raising) or the committee's response.
    Step(String, Errors),
}

async fn show_page(
    state: &AppState,
    auth: &Auth,
    id: i64,
    notice: Option<&str>,
    typed: Typed,
) -> Result<Response, AppError> {
    let c = challenges::get(&state.db, &auth.actor, id).await?;
    let (form, errors, step_text, step_errors) = match typed {
        Typed::Nothing => (fields_of(&c), Errors::new(), String::new(), Errors::new()),
        Typed::Edit(f, e) => (*f, e, String::new(), Errors::new()),
        Typed::Step(t, e) => (fields_of(&c), Errors::new(), t, e),
    };
    let status = if errors.is_empty() && step_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let committee = auth.actor.role == Role::Committee;
    let page = ShowPage {
        layout: Layout::page(auth, "課題", "/challenges").with_notice(notice),
        history: challenges::history(&state.db, &auth.actor, id).await?,
        areas: mine(state, auth).await?,
        councils: if committee {
            vec![]
        } else {
            my_councils(state, auth).await?
        },
        meetings: challenges::meetings(&state.db, &auth.actor).await?,
        may_write: auth.actor.role == Role::Coordinator,
        may_raise: matches!(auth.actor.role, Role::Coordinator | Role::Supervisor)
            && c.prefecture_raised_on.is_none(),
        committee,
        c,
        form,
        errors,
        step_text,
        step_errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct RaiseFields {
    /// The area's summary for the committee: what was tried, what the area asks of the
    /// prefecture (no child's name).
    pub area_summary: String,
}

#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct ResponseFields {
    /// The committee's response.
    pub response: String,
}

fn required_text(field: &'static str, label: &str, text: &str) -> Result<String, AppError> {
    let mut e = Errors::new();
    let t = e.optional_text(field, label, text);
    if t.is_none() && e.get(field).is_none() {
        e.add(field, "入力してください。");
    }
    e.into_result().map_err(AppError::Validation)?;
    Ok(t.unwrap_or_default())
}

async fn raise(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    f: Deferred<Form<RaiseFields>>,
) -> Result<Response, AppError> {
    if !matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(AppError::Forbidden);
    }
    let Form(f) = f.parse()?;
    let mut errors = Errors::new();
    match required_text("area_summary", "地域のまとめ", &f.area_summary) {
        Ok(summary) => match challenges::raise(&state.db, &meta, &auth.actor, id, &summary).await {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/challenges/{id}?notice=raised")).into_response())
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    show_page(&state, &auth, id, None, Typed::Step(f.area_summary, errors)).await
}

async fn respond(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    f: Deferred<Form<ResponseFields>>,
) -> Result<Response, AppError> {
    if auth.actor.role != Role::Committee {
        return Err(AppError::Forbidden);
    }
    let Form(f) = f.parse()?;
    let mut errors = Errors::new();
    match required_text("response", "部会の回答", &f.response) {
        Ok(text) => match challenges::respond(&state.db, &meta, &auth.actor, id, &text).await {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("/challenges/{id}?notice=answered")).into_response()
                )
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    show_page(&state, &auth, id, None, Typed::Step(f.response, errors)).await
}

async fn show(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    show_page(&state, &auth, id, q.notice.as_deref(), Typed::Nothing).await
}

async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    f: Deferred<Form<ChallengeFields>>,
) -> Result<Response, AppError> {
    challenges::may_save(&state.db, &auth.actor, Some(id)).await?;
    let Form(f) = f.parse()?;
    let mut errors = Errors::new();
    match check_challenge(&f) {
        Ok(input) => {
            match challenges::save(&state.db, &meta, &auth.actor, Some(id), &input).await {
                Ok(_) => {
                    return Ok(
                        Redirect::to(&format!("/challenges/{id}?notice=saved")).into_response()
                    )
                }
                Err(e) => into_form_errors(&mut errors, e)?,
            }
        }
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    show_page(&state, &auth, id, None, Typed::Edit(Box::new(f), errors)).await
}

/// A council meeting as typed.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct MeetingFields {
    pub council_id: String,
    /// YYYY-MM-DD
    pub held_on: String,
    pub place: String,
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
    /// Agency ids that attended.
    pub agency_ids: Vec<String>,
    /// Others, one a line.
    pub others: String,
}

pub fn check_meeting(f: &MeetingFields) -> Result<NewCouncilMeeting, AppError> {
    let mut e = Errors::new();
    let council = f.council_id.trim().parse::<i64>().ok();
    if council.is_none() {
        e.add("council_id", "協議会を選んでください。");
    }
    let held_on = parse_date(&mut e, "held_on", "開催日", &f.held_on);
    if held_on.is_none() && e.get("held_on").is_none() {
        e.add("held_on", "開催日を入力してください。");
    }
    let place = e.optional_line("place", "会場", &f.place);
    let agenda = e.optional_text("agenda", "議題", &f.agenda);
    let minutes = e.optional_text("minutes", "議事録", &f.minutes);
    let decisions = e.optional_text("decisions", "決定事項", &f.decisions);
    e.into_result().map_err(AppError::Validation)?;
    match (council, held_on) {
        (Some(council_id), Some(held_on)) => Ok(NewCouncilMeeting {
            council_id,
            held_on,
            place,
            agenda,
            minutes,
            decisions,
            attendee_agencies: f
                .agency_ids
                .iter()
                .filter_map(|a| a.trim().parse().ok().map(AgencyId))
                .collect(),
            attendee_names: f
                .others
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
        }),
        _ => Err(AppError::invalid("held_on", "入力内容を確認してください。")),
    }
}

#[derive(Template)]
#[template(path = "challenges/meetings.html")]
struct MeetingsPage {
    layout: Layout,
    meetings: Vec<CouncilMeeting>,
    councils: Vec<Council>,
    agencies: Vec<AgencyRef>,
    may_write: bool,
    form: MeetingFields,
    errors: Errors,
}

impl MeetingsPage {
    fn attended(&self, id: &AgencyId) -> bool {
        self.form
            .agency_ids
            .iter()
            .any(|a| a.trim() == id.0.to_string())
    }
}

async fn meetings_render(
    state: &AppState,
    auth: &Auth,
    notice: Option<&str>,
    form: MeetingFields,
    errors: Errors,
) -> Result<Response, AppError> {
    if !auth.actor.role.needs_areas() {
        return Err(AppError::Forbidden);
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // The agencies ticked; any other is found by name.
    let ids: Vec<i64> = form
        .agency_ids
        .iter()
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    let agencies = agencies::by_ids(&state.db, &ids).await?;
    let page = MeetingsPage {
        layout: Layout::page(auth, "協議会の会議", "/challenges").with_notice(notice),
        meetings: challenges::meetings(&state.db, &auth.actor).await?,
        councils: my_councils(state, auth).await?,
        agencies,
        may_write: auth.actor.role == Role::Coordinator,
        form,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn meetings_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    meetings_render(
        &state,
        &auth,
        q.notice.as_deref(),
        MeetingFields::default(),
        Errors::new(),
    )
    .await
}

async fn create_meeting(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    f: Deferred<Form<MeetingFields>>,
) -> Result<Response, AppError> {
    challenges::may_record_meetings(&auth.actor)?;
    let Form(f) = f.parse()?;
    let mut errors = Errors::new();
    match check_meeting(&f) {
        Ok(new) => match challenges::create_meeting(&state.db, &meta, &auth.actor, &new).await {
            Ok(_) => return Ok(Redirect::to("/council-meetings?notice=saved").into_response()),
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    meetings_render(&state, &auth, None, f, errors).await
}

/// A council meeting's agenda on paper: the meeting and the challenges raised to it.
async fn agenda(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let m = challenges::meeting(&state.db, &auth.actor, id).await?;
    let items = challenges::list(
        &state.db,
        &auth.actor,
        &Filter {
            council_meeting_id: Some(id),
            ..Filter::default()
        },
    )
    .await?;
    let text = |v: &Option<String>| printing::or_dash(v.as_deref().unwrap_or_default());
    let doc = Document {
        title: format!("{}　次第", m.council_name),
        meta: vec![format!(
            "開催日：{}",
            tsunagu_domain::japanese_date::format_date_with_era(m.held_on)
        )],
        sections: vec![
            Section::new("会議").fields([
                ("会場", text(&m.place)),
                ("出席", printing::or_dash(&m.attendees.join("、"))),
                ("議題", text(&m.agenda)),
            ]),
            Section::new("協議する課題").table(
                &[("課題", 4), ("分類", 2), ("内容", 6), ("状態", 2)],
                items
                    .iter()
                    .map(|c| {
                        vec![
                            c.title.clone(),
                            c.category_label().to_string(),
                            c.description.clone(),
                            c.status_label().to_string(),
                        ]
                    })
                    .collect(),
            ),
        ],
        footer: "課題には個人が特定される情報を含めていません。".into(),
        landscape: false,
    };
    printing::html(
        Layout::page(&auth, "協議会 次第", "/challenges"),
        &doc,
        "/council-meetings",
        "協議会の会議へ戻る",
        "/council-meetings",
    )
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
pub struct ApiListQuery {
    pub status: String,
    pub category: String,
    pub area: String,
}

#[utoipa::path(get, path = "/api/v1/challenges", tag = "challenges", params(ApiListQuery),
    responses((status = 200, body = Vec<Challenge>)))]
pub async fn api_list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<ApiListQuery>,
) -> Result<Json<Vec<Challenge>>, AppError> {
    let filter = Filter {
        status: Some(q.status).filter(|s| !s.is_empty()),
        category: Some(q.category).filter(|s| !s.is_empty()),
        area_id: q.area.parse().ok().map(AreaId),
        council_meeting_id: None,
    };
    Ok(Json(
        challenges::list(&state.db, &auth.actor, &filter).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/challenges", tag = "challenges", request_body = ChallengeFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    body: Deferred<JsonBody<ChallengeFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    challenges::may_save(&state.db, &auth.actor, None).await?;
    let JsonBody(body) = body.parse()?;
    let input = check_challenge(&body)?;
    let id = challenges::save(&state.db, &meta, &auth.actor, None, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[utoipa::path(put, path = "/api/v1/challenges/{id}", tag = "challenges", params(("id" = i64, Path)), request_body = ChallengeFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<ChallengeFields>>,
) -> Result<StatusCode, AppError> {
    challenges::may_save(&state.db, &auth.actor, Some(id)).await?;
    let JsonBody(body) = body.parse()?;
    let input = check_challenge(&body)?;
    challenges::save(&state.db, &meta, &auth.actor, Some(id), &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/challenges/{id}/raise", tag = "challenges", params(("id" = i64, Path)), request_body = RaiseFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_raise(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<RaiseFields>>,
) -> Result<StatusCode, AppError> {
    if !matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(AppError::Forbidden);
    }
    let JsonBody(body) = body.parse()?;
    let summary = required_text("area_summary", "地域のまとめ", &body.area_summary)?;
    challenges::raise(&state.db, &meta, &auth.actor, id, &summary).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/challenges/{id}/response", tag = "challenges", params(("id" = i64, Path)), request_body = ResponseFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_respond(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<ResponseFields>>,
) -> Result<StatusCode, AppError> {
    if auth.actor.role != Role::Committee {
        return Err(AppError::Forbidden);
    }
    let JsonBody(body) = body.parse()?;
    let text = required_text("response", "部会の回答", &body.response)?;
    challenges::respond(&state.db, &meta, &auth.actor, id, &text).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/council-meetings", tag = "challenges",
    responses((status = 200, body = Vec<CouncilMeeting>)))]
pub async fn api_meetings(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<Json<Vec<CouncilMeeting>>, AppError> {
    Ok(Json(challenges::meetings(&state.db, &auth.actor).await?))
}

#[utoipa::path(post, path = "/api/v1/council-meetings", tag = "challenges", request_body = MeetingFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create_meeting(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    body: Deferred<JsonBody<MeetingFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    challenges::may_record_meetings(&auth.actor)?;
    let JsonBody(body) = body.parse()?;
    let new = check_meeting(&body)?;
    let id = challenges::create_meeting(&state.db, &meta, &auth.actor, &new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}
