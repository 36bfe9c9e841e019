//! Support meetings on the web: scheduled from the child's page, the meeting page with its record
//! and action items, printable minutes, and an iCalendar file per meeting.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post, put},
    Json,
};
use serde::Deserialize;
use time::{OffsetDateTime, PrimitiveDateTime};
use tsunagu_domain::{
    access::Purpose,
    calendar::{self, YearEndClosure},
    japanese_date::JST,
    meeting::MeetingStatus,
    validation::Errors,
    ActionItemId, AgencyId, MeetingId,
};
use tsunagu_store::{
    access,
    agencies::{self, AgencyRef},
    areas,
    children::{self, ChildId},
    meetings::{self, MeetingRecord, MeetingView, NewActionItem, NewMeeting, NewParticipant},
    Page,
};

use tsunagu_documents::pdf::{Document, Section};

use crate::{
    agencies::{parse_date, parse_schedule_date},
    auth::Auth,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    printing,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/meetings/new", get(new_form))
        .route("/children/{id}/meetings", post(create))
        .route("/meetings", get(worklist))
        .route("/meetings/{id}", get(show).post(save_record))
        .route("/meetings/{id}/items", post(add_item))
        .route("/meetings/{id}/print", get(print))
        .route("/meetings/{id}/minutes.pdf", get(minutes_pdf))
        .route("/meetings/{id}/calendar.ics", get(ics))
        .route("/meetings/{id}/reply", post(reply))
        .route("/action-items", get(item_worklist))
        .route("/action-items/{id}/{state}", post(set_item))
        .route("/account/calendar", get(feed_page).post(issue_feed))
        .route("/calendar/{token}", get(feed))
        .route("/api/v1/meetings", get(api_list))
        .route("/api/v1/meetings/{id}", get(api_show))
        .route("/api/v1/children/{id}/meetings", post(api_create))
        .route("/api/v1/meetings/{id}/record", put(api_record))
        .route("/api/v1/meetings/{id}/action-items", post(api_add_item))
        .route("/api/v1/action-items", get(api_items))
        .route("/api/v1/action-items/{id}/{state}", post(api_set_item))
}

/// A meeting as typed.
#[derive(Deserialize, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MeetingFields {
    /// Keep the child's name out of it: it goes into calendars.
    pub purpose: String,
    /// YYYY-MM-DD
    pub date: String,
    /// HH:MM (Japan time)
    pub start: String,
    pub end: String,
    pub place: String,
    pub online_url: String,
    pub agenda: String,
    /// Agency ids invited.
    pub agency_ids: Vec<String>,
    /// Other participants (family, the child), one a line: 名前（役割）.
    pub others: String,
    /// `on` (or `true`) to keep a date that falls on a weekend, a holiday or the area's year-end
    /// closure; without it such a date is refused with the holiday's name (`date`).
    pub confirm_closed_day: String,
}

fn at(e: &mut Errors, field: &str, date: Option<time::Date>, hm: &str) -> Option<OffsetDateTime> {
    let t = time::Time::parse(
        hm.trim(),
        time::macros::format_description!("[hour padding:none]:[minute]"),
    );
    match (date, t) {
        (Some(d), Ok(t)) => Some(PrimitiveDateTime::new(d, t).assume_offset(JST)),
        (_, Err(_)) => {
            e.add(field, "時刻は 10:00 の形で入力してください。");
            None
        }
        _ => None,
    }
}

/// Checks a meeting as typed; `closure` is the area's year-end closure, for the question a
/// date on a closed day asks.
pub fn check(
    f: &MeetingFields,
    agencies: &[AgencyRef],
    closure: Option<&YearEndClosure>,
) -> Result<NewMeeting, AppError> {
    let mut e = Errors::new();
    let purpose = e.required_line("purpose", "会議の目的", &f.purpose);
    let date = parse_schedule_date(&mut e, "date", "日付", &f.date);
    if date.is_none() && e.get("date").is_none() {
        e.add("date", "日付を入力してください。");
    }
    let confirmed = matches!(f.confirm_closed_day.trim(), "on" | "true" | "1");
    if let Some(reason) = date
        .filter(|_| !confirmed)
        .and_then(|d| calendar::closed_reason(d, closure).map(|r| (d, r)))
        .map(|(d, r)| format!("{}は{r}です。この日に開くときは「閉庁日でもこの日に予定する」に印を付けてください。", calendar::day_label(d)))
    {
        e.add("date", reason);
    }
    let starts_at = at(&mut e, "start", date, &f.start);
    let ends_at = at(&mut e, "end", date, &f.end);
    if let (Some(s), Some(t)) = (starts_at, ends_at) {
        if t <= s {
            e.add("end", "終了時刻は開始時刻より後にしてください。");
        }
    }
    let place = e.optional_line("place", "場所", &f.place);
    let online_url = tsunagu_domain::directory::check_website(&mut e, "online_url", &f.online_url);
    let agenda = e.optional_text("agenda", "議題", &f.agenda);
    let mut participants = Vec::new();
    for id in f
        .agency_ids
        .iter()
        .filter_map(|a| a.trim().parse::<i64>().ok())
    {
        match agencies.iter().find(|a| a.id.0 == id) {
            Some(a) => participants.push(NewParticipant {
                agency_id: Some(AgencyId(id)),
                name: a.name.clone(),
                role: None,
            }),
            None => e.add("agency_ids", "参加する機関が見つかりません。"),
        }
    }
    for line in f.others.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let c = crate::agencies::parse_contact(line);
        participants.push(NewParticipant {
            agency_id: None,
            name: c.name,
            role: c.role,
        });
    }
    e.into_result().map_err(AppError::Validation)?;
    let (Some(starts_at), Some(ends_at)) = (starts_at, ends_at) else {
        return Err(AppError::invalid("date", "日時を入力してください。"));
    };
    Ok(NewMeeting {
        purpose,
        starts_at: tsunagu_store::db::normalize_timestamp(starts_at),
        ends_at: tsunagu_store::db::normalize_timestamp(ends_at),
        place,
        online_url,
        agenda,
        participants,
    })
}

#[derive(Template)]
#[template(path = "meetings/form.html")]
struct FormPage {
    layout: Layout,
    child_id: i64,
    child_name: String,
    form: MeetingFields,
    errors: Errors,
    agencies: Vec<AgencyRef>,
}

impl FormPage {
    /// Whether the form shows 「閉庁日でもこの日に予定する」: the date asked it, or it was ticked
    /// (kept when another field is refused).
    fn asks_closed_day(&self) -> bool {
        !self.form.confirm_closed_day.is_empty()
            || self
                .errors
                .get("date")
                .is_some_and(|e| e.contains("閉庁日でも"))
    }

    fn invited(&self, id: &i64) -> bool {
        self.form
            .agency_ids
            .iter()
            .any(|a| a.trim() == id.to_string())
    }
}

async fn new_form(auth: Auth, mut u: Unit, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    access::child(&mut u, ChildId(id), Purpose::Write, "meeting.create").await?;
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    let form = MeetingFields {
        start: "10:00".into(),
        end: "11:00".into(),
        agency_ids: v
            .care_team
            .iter()
            .filter(|t| t.to_on.is_none())
            .map(|t| t.agency_id.to_string())
            .collect(),
        ..MeetingFields::default()
    };
    let page = FormPage {
        layout: Layout::page(&auth, "支援会議の予定", "/children"),
        child_id: id,
        child_name: v.child.name(),
        agencies: chosen_agencies(&mut u, &form.agency_ids).await?,
        form,
        errors: Errors::new(),
    };
    Ok(Html(page.render()?))
}

async fn create(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<MeetingFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "meeting.create").await?;
    let Form(form) = form.parse()?;
    let all = chosen_agencies(&mut u, &form.agency_ids).await?;
    let closure = areas::closure_of_child(&mut *u, ChildId(id)).await?;
    let created = match check(&form, &all, closure.as_ref()) {
        Ok(new) => meetings::create(&mut u, &access, &new)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match created {
        Ok(meeting) => {
            Ok(Redirect::to(&format!("/meetings/{meeting}?notice=created")).into_response())
        }
        Err(AppError::Validation(errors)) => {
            let seen = access::record(&mut u, ChildId(id)).await?;
            let v = children::view(&mut u, seen).await?;
            let page = FormPage {
                layout: Layout::page(&auth, "支援会議の予定", "/children"),
                child_id: id,
                child_name: v.child.name(),
                form,
                errors,
                agencies: all,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// The agencies a form has ticked (the care team's at first), by name: the form offers these
/// and finds any other by name, never listing the whole directory.
async fn chosen_agencies(u: &mut Unit, ids: &[String]) -> Result<Vec<AgencyRef>, AppError> {
    let ids: Vec<i64> = ids.iter().filter_map(|a| a.trim().parse().ok()).collect();
    Ok(agencies::by_ids(&mut **u, &ids).await?)
}

#[derive(Template)]
#[template(path = "meetings/show.html")]
struct ShowPage {
    layout: Layout,
    m: MeetingView,
    when: String,
    agencies: Vec<AgencyRef>,
    /// The record form: the stored record, or what was typed when it was refused.
    record: RecordFields,
    /// The action-item form: empty, or what was typed when it was refused.
    item: ItemFields,
    errors: Errors,
}

impl ShowPage {
    fn attended(&self, participant: &i64) -> bool {
        self.record
            .attended
            .iter()
            .any(|a| a.trim() == participant.to_string())
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

fn when(v: &MeetingView) -> String {
    let end = v.meeting.ends_at.to_offset(JST);
    format!(
        "{}〜{}:{:02}",
        calendar::daytime_label(v.meeting.starts_at),
        end.hour(),
        end.minute()
    )
}

/// The meeting page; `typed` carries a refused form back with its messages.
async fn show_page(
    u: &mut Unit,
    auth: &Auth,
    id: MeetingId,
    notice: Option<&str>,
    typed: Option<(Option<RecordFields>, Option<ItemFields>, Errors)>,
) -> Result<Response, AppError> {
    let m = meetings::get(u, id).await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let stored = RecordFields {
        agenda: text(&m.meeting.agenda),
        minutes: text(&m.meeting.minutes),
        decisions: text(&m.meeting.decisions),
        status: m.meeting.status.code().to_owned(),
        spent_minutes: m
            .meeting
            .spent_minutes
            .map(|n| n.to_string())
            .unwrap_or_default(),
        attended: m
            .participants
            .iter()
            .filter(|p| p.attended == Some(true))
            .map(|p| p.id.to_string())
            .collect(),
    };
    let (record, item, errors) = typed.unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ShowPage {
        layout: Layout::page(auth, "支援会議", "/children").with_notice(notice),
        when: when(&m),
        // The invited agencies and the items' owners; any other is found by name.
        agencies: if m.may_edit {
            let known: Vec<String> = m
                .participants
                .iter()
                .filter_map(|p| p.agency_id)
                .chain(m.action_items.iter().filter_map(|i| i.owner_agency_id))
                .map(|a| a.to_string())
                .collect();
            chosen_agencies(u, &known).await?
        } else {
            vec![]
        },
        record: record.unwrap_or(stored),
        item: item.unwrap_or_default(),
        errors,
        m,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<MeetingId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    show_page(&mut u, &auth, id, q.notice.as_deref(), None).await
}

/// The meeting's record on paper: when, who attended, agenda, minutes, decisions, action items.
fn minutes_document(m: &MeetingView) -> Document {
    let text = |v: &Option<String>| printing::or_dash(v.as_deref().unwrap_or_default());
    let attendance = m
        .participants
        .iter()
        .map(|p| {
            let mark = match p.attended {
                Some(true) => "（出席）",
                Some(false) => "（欠席）",
                None => "",
            };
            format!("{}{mark}", p.name)
        })
        .collect::<Vec<_>>()
        .join("、");
    let mut head = vec![("会議の目的", m.meeting.purpose.clone()), ("日時", when(m))];
    if let Some(name) = &m.child_name {
        head.push(("対象", format!("{name}さん")));
    }
    head.extend([
        ("場所", text(&m.meeting.place)),
        ("参加者", printing::or_dash(&attendance)),
        ("議題", text(&m.meeting.agenda)),
        ("議事録", text(&m.meeting.minutes)),
        ("決定事項", text(&m.meeting.decisions)),
    ]);
    let items = m
        .action_items
        .iter()
        .map(|i| {
            let owner = [i.owner_agency_name.clone(), i.owner_name.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("・");
            vec![
                i.title.clone(),
                owner,
                i.due_on.map(calendar::day_label).unwrap_or_default(),
            ]
        })
        .collect::<Vec<_>>();
    let roles = Section::new("役割分担");
    let roles = if items.is_empty() {
        roles.text("役割分担はありません。")
    } else {
        roles.table(&[("内容", 5), ("担当", 3), ("期限", 2)], items)
    };
    Document {
        title: "支援会議 記録".into(),
        meta: vec![],
        sections: vec![Section::new("会議").fields(head), roles],
        footer: printing::CONFIDENTIAL.into(),
        landscape: false,
    }
}

async fn print(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<MeetingId>,
) -> Result<Html<String>, AppError> {
    let m = meetings::get(&mut u, id).await?;
    printing::html(
        Layout::page(&auth, "支援会議 記録", "/children"),
        &minutes_document(&m),
        &format!("/meetings/{id}"),
        "会議のページへ戻る",
        &format!("/meetings/{id}/minutes.pdf"),
    )
}

async fn minutes_pdf(mut u: Unit, Path(id): Path<MeetingId>) -> Result<Response, AppError> {
    let m = meetings::get(&mut u, id).await?;
    printing::pdf(minutes_document(&m), "支援会議記録.pdf").await
}

async fn ics(mut u: Unit, Path(id): Path<MeetingId>) -> Result<Response, AppError> {
    let mut m = meetings::get(&mut u, id).await?;
    meetings::screen_purposes(&mut u, std::slice::from_mut(&mut m.meeting)).await?;
    let uid = tsunagu_documents::ics::meeting_uid(id.0, &meetings::installation_uid(&mut u).await?);
    let summary = calendar_summary(&m.meeting.purpose);
    let event = tsunagu_documents::ics::Event {
        uid: &uid,
        summary: &summary,
        starts_at: m.meeting.starts_at,
        ends_at: m.meeting.ends_at,
        location: m.meeting.place.as_deref(),
        url: m.meeting.online_url.as_deref(),
        description: None,
        cancelled: m.meeting.is_cancelled(),
        sequence: m.meeting.sequence,
    };
    let body = tsunagu_documents::ics::calendar(&event, OffsetDateTime::now_utc());
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"meeting.ics\""),
    );
    Ok(response)
}

/// The record of a meeting as typed.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct RecordFields {
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
    /// scheduled, held or cancelled
    pub status: String,
    /// Participant ids who attended (when held).
    pub attended: Vec<String>,
    /// The coordinator's time for the meeting in minutes, optional (preparation included).
    pub spent_minutes: String,
}

fn record_of(form: &RecordFields) -> Result<MeetingRecord, AppError> {
    let mut e = Errors::new();
    let status = MeetingStatus::from_code(form.status.trim()).unwrap_or_else(|| {
        e.add("status", "会議の状態を選んでください。");
        MeetingStatus::Scheduled
    });
    let record = MeetingRecord {
        agenda: e.optional_text("agenda", "議題", &form.agenda),
        minutes: e.optional_text("minutes", "議事録", &form.minutes),
        decisions: e.optional_text("decisions", "決定事項", &form.decisions),
        status,
        attended: form
            .attended
            .iter()
            .filter_map(|a| a.trim().parse().ok())
            .collect(),
        spent_minutes: e.optional_number(
            "spent_minutes",
            "かかった時間は0〜1440の分で入力してください。",
            &form.spent_minutes,
            0..=1440,
        ),
    };
    e.into_result().map_err(AppError::Validation)?;
    Ok(record)
}

async fn save_record(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<MeetingId>,
    form: Deferred<Form<RecordFields>>,
) -> Result<Response, AppError> {
    let access = meetings::editable(&mut u, id, "meeting.update").await?;
    let Form(form) = form.parse()?;
    let result = match record_of(&form) {
        Ok(record) => meetings::record(&mut u, &access, id, &record)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/meetings/{id}?notice=saved")).into_response()),
        Err(AppError::Validation(errors)) => {
            show_page(&mut u, &auth, id, None, Some((Some(form), None, errors))).await
        }
        Err(e) => Err(e),
    }
}

/// An action item as typed.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct ItemFields {
    /// 決定事項・役割分担
    pub title: String,
    /// The owning agency's id, if an agency owns it.
    pub owner_agency_id: String,
    /// 担当者
    pub owner_name: String,
    /// YYYY-MM-DD
    pub due_on: String,
}

fn item_of(form: &ItemFields) -> Result<NewActionItem, AppError> {
    let mut e = Errors::new();
    let title = e.required_line("title", "決定事項・役割分担", &form.title);
    let owner_name = e.optional_line("owner_name", "担当者", &form.owner_name);
    let due_on = parse_schedule_date(&mut e, "due_on", "期限", &form.due_on);
    let owner = form.owner_agency_id.trim();
    let owner_agency_id = if owner.is_empty() {
        None
    } else {
        match owner.parse() {
            Ok(n) => Some(AgencyId(n)),
            Err(_) => {
                e.add("owner_agency_id", "担当の機関が見つかりません。");
                None
            }
        }
    };
    e.into_result().map_err(AppError::Validation)?;
    Ok(NewActionItem {
        title,
        owner_agency_id,
        owner_name,
        due_on,
    })
}

async fn add_item(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<MeetingId>,
    form: Deferred<Form<ItemFields>>,
) -> Result<Response, AppError> {
    let access = meetings::editable(&mut u, id, "action_item.create").await?;
    let Form(form) = form.parse()?;
    let result = match item_of(&form) {
        Ok(item) => meetings::add_action_item(&mut u, &access, id, &item)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/meetings/{id}?notice=saved#items")).into_response()),
        Err(AppError::Validation(errors)) => {
            show_page(&mut u, &auth, id, None, Some((None, Some(form), errors))).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BackForm {
    back: String,
}

/// `done` or `open`, as the path says.
fn item_state(to: &str) -> Result<bool, AppError> {
    match to {
        "done" => Ok(true),
        "open" => Ok(false),
        _ => Err(AppError::NotFound),
    }
}

async fn set_item(
    mut u: Unit,
    Path((id, to)): Path<(ActionItemId, String)>,
    Form(form): Form<BackForm>,
) -> Result<Response, AppError> {
    let done = item_state(&to)?;
    meetings::set_item_done(&mut u, id, done).await?;
    let back = crate::account::safe_next(Some(&form.back));
    Ok(Redirect::to(&back).into_response())
}

/// Meetings from 30 days ago to 90 days ahead: the area's, or those the caller's agency is invited to.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "meetings", responses((status = 200, body = Page<tsunagu_store::meetings::Meeting>)))]
pub async fn api_list(
    mut u: Unit,
) -> Result<Json<Page<tsunagu_store::meetings::Meeting>>, AppError> {
    let now = OffsetDateTime::now_utc();
    let items = meetings::between(
        &mut u,
        now - time::Duration::days(30),
        now + time::Duration::days(90),
    )
    .await?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}

/// One meeting; an invited agency without consent sees its logistics only.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "meetings", params(("id" = i64, Path)),
    responses((status = 200, body = MeetingView), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_show(
    mut u: Unit,
    Path(id): Path<MeetingId>,
) -> Result<Json<MeetingView>, AppError> {
    Ok(Json(meetings::get(&mut u, id).await?))
}

/// Schedule a support meeting about the child (coordinators of the area).
#[utoipa::path(post, path = "/api/v1/children/{id}/meetings", tag = "meetings", params(("id" = i64, Path)), request_body = MeetingFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<MeetingFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "meeting.create").await?;
    let JsonBody(body) = body.parse()?;
    let closure = areas::closure_of_child(&mut *u, ChildId(id)).await?;
    let new = check(
        &body,
        &chosen_agencies(&mut u, &body.agency_ids).await?,
        closure.as_ref(),
    )?;
    let meeting = meetings::create(&mut u, &access, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": meeting })),
    ))
}

/// Record the meeting: agenda, minutes, decisions, status and attendance (coordinators of the area).
#[utoipa::path(put, path = "/api/v1/meetings/{id}/record", tag = "meetings", params(("id" = i64, Path)), request_body = RecordFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_record(
    mut u: Unit,
    Path(id): Path<MeetingId>,
    body: Deferred<JsonBody<RecordFields>>,
) -> Result<StatusCode, AppError> {
    let access = meetings::editable(&mut u, id, "meeting.update").await?;
    let JsonBody(body) = body.parse()?;
    let record = record_of(&body)?;
    meetings::record(&mut u, &access, id, &record).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add an action item decided at the meeting (coordinators of the area).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/action-items", tag = "meetings", params(("id" = i64, Path)), request_body = ItemFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_add_item(
    mut u: Unit,
    Path(id): Path<MeetingId>,
    body: Deferred<JsonBody<ItemFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = meetings::editable(&mut u, id, "action_item.create").await?;
    let JsonBody(body) = body.parse()?;
    let item = item_of(&body)?;
    let created = meetings::add_action_item(&mut u, &access, id, &item).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": created })),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ItemsQuery {
    due_by: String,
}

/// Open action items, soonest first: the areas' for coordinators, the agency's own for its staff.
/// `due_by` (YYYY-MM-DD) keeps those due by then; without it, every open item.
#[utoipa::path(get, path = "/api/v1/action-items", tag = "meetings", params(("due_by" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses((status = 200, body = Page<tsunagu_store::meetings::ActionItem>), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_items(
    mut u: Unit,
    Query(q): Query<ItemsQuery>,
) -> Result<Json<Page<tsunagu_store::meetings::ActionItem>>, AppError> {
    let mut e = Errors::new();
    let due_by = parse_date(&mut e, "due_by", "期限", &q.due_by);
    e.into_result().map_err(AppError::Validation)?;
    let items = meetings::due_items(&mut u, due_by).await?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}

/// Mark an action item done or open again: a coordinator of the area, or the owning agency's staff.
#[utoipa::path(post, path = "/api/v1/action-items/{id}/{state}", tag = "meetings",
    params(("id" = i64, Path), ("state" = String, Path, description = "done or open")),
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_set_item(
    mut u: Unit,
    Path((id, to)): Path<(ActionItemId, String)>,
) -> Result<StatusCode, AppError> {
    let done = item_state(&to)?;
    meetings::set_item_done(&mut u, id, done).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "meetings/feed.html")]
struct FeedPage {
    layout: Layout,
    url: Option<String>,
}

async fn feed_page(auth: Auth) -> Result<Html<String>, AppError> {
    let page = FeedPage {
        layout: Layout::page(&auth, "カレンダーの購読", ""),
        url: None,
    };
    Ok(Html(page.render()?))
}

async fn issue_feed(
    State(state): State<AppState>,
    auth: Auth,
    mut u: Unit,
    headers: axum::http::HeaderMap,
) -> Result<Html<String>, AppError> {
    let token = tsunagu_store::calendar_feeds::issue(&mut u).await?;
    let base = match &state.config.public_url {
        Some(u) => u.trim_end_matches('/').to_owned(),
        None => format!(
            "http://{}",
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1:8080")
        ),
    };
    // Shown in this response only.
    let page = FeedPage {
        layout: Layout::page(&auth, "カレンダーの購読", ""),
        url: Some(format!("{base}/calendar/{token}")),
    };
    Ok(Html(page.render()?))
}

/// 「支援会議：就学に向けた情報共有」, or 「支援会議」 alone when the purpose was screened out.
fn calendar_summary(purpose: &str) -> String {
    if purpose.trim().is_empty() {
        "支援会議".to_owned()
    } else {
        format!("支援会議：{purpose}")
    }
}

/// A user's meetings as a calendar feed, from 30 days ago to a year ahead; the secret URL is the key.
async fn feed(mut u: Unit, Path(token): Path<String>) -> Result<Response, AppError> {
    tsunagu_store::calendar_feeds::act_as(&mut u, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = OffsetDateTime::now_utc();
    let items = meetings::for_calendar(
        &mut u,
        now - time::Duration::days(30),
        now + time::Duration::days(365),
    )
    .await?;
    let installation = meetings::installation_uid(&mut u).await?;
    let uids: Vec<String> = items
        .iter()
        .map(|m| tsunagu_documents::ics::meeting_uid(m.id.0, &installation))
        .collect();
    let summaries: Vec<String> = items.iter().map(|m| calendar_summary(&m.purpose)).collect();
    let events: Vec<tsunagu_documents::ics::Event<'_>> = items
        .iter()
        .enumerate()
        .map(|(i, m)| tsunagu_documents::ics::Event {
            uid: &uids[i],
            summary: &summaries[i],
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            location: m.place.as_deref(),
            url: m.online_url.as_deref(),
            description: None,
            cancelled: m.is_cancelled(),
            sequence: m.sequence,
        })
        .collect();
    let mut response = tsunagu_documents::ics::calendar_of(&events, now).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(response)
}

#[derive(Deserialize, Default)]
struct WorklistQuery {
    /// coming (default) or past
    period: Option<String>,
    status: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Template)]
#[template(path = "meetings/worklist.html")]
struct WorklistPage {
    layout: Layout,
    items: Vec<meetings::MeetingLine>,
    pager: crate::layout::Pager,
    past: bool,
    status: String,
    statuses: Vec<(&'static str, &'static str)>,
}

impl WorklistPage {
    fn status_label(&self, code: &MeetingStatus) -> &'static str {
        code.label()
    }
}

/// The area's support meetings as a worklist: coming (soonest first) or past (latest first), of
/// one status or all; the filters are in the URL.
async fn worklist(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<WorklistQuery>,
) -> Result<Html<String>, AppError> {
    if !auth.actor.role.needs_areas() {
        return Err(AppError::Forbidden);
    }
    let past = q.period.as_deref() == Some("past");
    let status = q.status.as_deref().unwrap_or_default().trim().to_owned();
    let paging = crate::extract::ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let period = if past {
        meetings::Period::Past
    } else {
        meetings::Period::Coming
    };
    let found =
        meetings::worklist(&mut u, period, MeetingStatus::from_code(&status), paging).await?;
    let base = format!(
        "/meetings?period={}&status={}&",
        if past { "past" } else { "coming" },
        crate::layout::qs(&status)
    );
    let page = WorklistPage {
        layout: Layout::page(&auth, "支援会議の一覧", "/meetings"),
        pager: crate::layout::Pager::new(&base, found.total, paging, found.items.len()),
        items: found.items,
        past,
        status,
        statuses: MeetingStatus::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ItemWorklistQuery {
    /// open (default), done or all
    status: String,
    /// overdue, week, or empty for any due date
    due: String,
    mine: String,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Template)]
#[template(path = "meetings/items.html")]
struct ItemWorklistPage {
    layout: Layout,
    items: Vec<meetings::ItemLine>,
    pager: crate::layout::Pager,
    q: ItemWorklistQuery,
    /// This page with its filters, to come back to after an item is marked.
    here: String,
    today: time::Date,
    /// Agency staff see their own agency's items: no 「自分が設定した会議」 filter.
    arranges_meetings: bool,
}

/// The action items as a worklist: the area's (coordinators, supervisors) or the agency's own
/// (agency staff); open, done or all, overdue or due within a week, of the meetings the user
/// arranged; marked done from the list. The filters are in the URL.
async fn item_worklist(
    auth: Auth,
    mut u: Unit,
    Query(mut q): Query<ItemWorklistQuery>,
) -> Result<Html<String>, AppError> {
    if !matches!(
        auth.actor.role,
        tsunagu_domain::Role::Coordinator
            | tsunagu_domain::Role::Supervisor
            | tsunagu_domain::Role::AgencyStaff
    ) {
        return Err(AppError::Forbidden);
    }
    if q.status.is_empty() {
        q.status = "open".into();
    }
    let today = crate::children::html::today();
    let arranges_meetings = auth.actor.role.needs_areas();
    let filter = meetings::ItemWorklist {
        done: match q.status.as_str() {
            "done" => Some(true),
            "all" => None,
            _ => Some(false),
        },
        due_by: match q.due.as_str() {
            "overdue" => today.previous_day(),
            "week" => Some(today + time::Duration::days(7)),
            _ => None,
        },
        mine: arranges_meetings && !q.mine.is_empty(),
    };
    let paging = crate::extract::ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let found = meetings::item_worklist(&mut u, &filter, paging).await?;
    let base = format!(
        "/action-items?status={}&due={}&{}",
        crate::layout::qs(&q.status),
        crate::layout::qs(&q.due),
        if filter.mine { "mine=1&" } else { "" }
    );
    let here = format!("{base}offset={}&limit={}", paging.offset, paging.limit);
    let page = ItemWorklistPage {
        layout: Layout::page(&auth, "役割分担（宿題）の一覧", "/action-items"),
        pager: crate::layout::Pager::new(&base, found.total, paging, found.items.len()),
        items: found.items,
        q,
        here,
        today,
        arranges_meetings,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyForm {
    /// attending or absent
    reply: String,
}

/// An invited agency answers from its inbox: 出席 or 欠席; the coordinator sees it on the
/// meeting's page.
async fn reply(
    mut u: Unit,
    Path(id): Path<MeetingId>,
    form: Deferred<Form<ReplyForm>>,
) -> Result<Response, AppError> {
    meetings::may_reply(&mut u, id).await?;
    let Form(form) = form.parse()?;
    let attending = match form.reply.as_str() {
        "attending" => true,
        "absent" => false,
        _ => return Err(AppError::invalid("reply", "出席か欠席かを選んでください。")),
    };
    meetings::reply(&mut u, id, attending).await?;
    Ok(Redirect::to("/inbox?notice=replied").into_response())
}
