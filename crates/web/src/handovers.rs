//! Handover sheets on the web: drafting one from the record, editing the draft, the sheet page
//! (where the receiving agency acknowledges it and later gives feedback), its A4 print and PDF,
//! and the API. The store decides who may do what.

use askama::Template;
use axum::{
    extract::Path,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use tsunagu_documents::pdf::{Document, Section};
use tsunagu_domain::{
    access::Purpose, handover::HandoverStatus, japanese_date, school_year::TransitionKind,
    validation::Errors, AgencyId, HandoverId, Role, TransitionId,
};
use tsunagu_store::{
    access,
    children::ChildId,
    handovers::{self, HandoverSheet, Sections, SECTIONS},
};

use crate::{
    agencies::parse_date,
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    printing,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/handovers", post(create))
        .route("/handovers/{id}", get(show).post(save))
        .route("/handovers/{id}/send", post(send))
        .route("/handovers/{id}/acknowledge", post(acknowledge))
        .route("/handovers/{id}/feedback", post(feedback))
        .route("/handovers/{id}/print", get(print))
        .route("/handovers/{id}/pdf", get(pdf))
        .route("/api/v1/children/{id}/handover-sheets", post(api_create))
        .route("/api/v1/handover-sheets", get(api_inbox))
        .route(
            "/api/v1/handover-sheets/{id}",
            get(api_show).put(api_update),
        )
        .route("/api/v1/handover-sheets/{id}/send", post(api_send))
        .route(
            "/api/v1/handover-sheets/{id}/acknowledge",
            post(api_acknowledge),
        )
        .route("/api/v1/handover-sheets/{id}/feedback", post(api_feedback))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct CreateFields {
    pub agency_id: String,
    pub transition_id: String,
}

fn check_create(f: &CreateFields) -> Result<(AgencyId, Option<TransitionId>), AppError> {
    let agency = f
        .agency_id
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::invalid("agency_id", "受け取る機関を選んでください。"))?;
    Ok((
        AgencyId(agency),
        f.transition_id.trim().parse::<i64>().ok().map(TransitionId),
    ))
}

async fn create(
    mut u: Unit,
    Path(id): Path<i64>,
    f: Deferred<Form<CreateFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "handover.create").await?;
    let Form(f) = f.parse()?;
    let (agency, transition) = check_create(&f)?;
    let sheet = handovers::create(&mut u, &access, agency, transition).await?;
    Ok(Redirect::to(&format!("/handovers/{sheet}?notice=created")).into_response())
}

/// The sheet's sections as a form gives them: one field per section code.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct SheetForm {
    profile: String,
    health: String,
    movement: String,
    eating: String,
    toileting: String,
    dressing: String,
    relating: String,
    group_activity: String,
    communication: String,
    likes: String,
    difficulties: String,
    accommodations: String,
    current_practice: String,
    wishes_child: String,
    wishes_family: String,
    contacts: String,
}

impl SheetForm {
    fn sections(self) -> Sections {
        Sections(vec![
            self.profile,
            self.health,
            self.movement,
            self.eating,
            self.toileting,
            self.dressing,
            self.relating,
            self.group_activity,
            self.communication,
            self.likes,
            self.difficulties,
            self.accommodations,
            self.current_practice,
            self.wishes_child,
            self.wishes_family,
            self.contacts,
        ])
    }
}

/// Each section within the length a free text may have.
fn check_sections(sections: &Sections) -> Result<(), AppError> {
    let mut e = Errors::new();
    for (i, (code, label)) in SECTIONS.iter().enumerate() {
        if let Some(text) = sections.0.get(i) {
            e.optional_text(code, label, text);
        }
    }
    e.into_result().map_err(AppError::Validation)
}

#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct FeedbackFields {
    /// How the child settled after the move.
    pub settled: String,
    /// What still needs support.
    pub needs: String,
}

#[derive(Template)]
#[template(path = "handovers/show.html")]
struct ShowPage {
    layout: Layout,
    s: HandoverSheet,
    /// The draft's text: stored, or as typed when refused.
    sections: Sections,
    may_edit: bool,
    receiving: bool,
    feedback: FeedbackFields,
    errors: Errors,
    /// The send form: the guardian's check (today by default) as typed.
    send: SendFields,
}

impl ShowPage {
    fn empty_sections(&self) -> Vec<&'static str> {
        self.sections.empty_labels()
    }
    fn kind_label(&self) -> &'static str {
        self.s
            .transition_kind
            .as_deref()
            .and_then(TransitionKind::from_code)
            .map_or("", TransitionKind::label)
    }
    fn before_move(&self) -> Option<bool> {
        self.s.acknowledged_before_move()
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn show_page(
    u: &mut Unit,
    auth: &Auth,
    id: HandoverId,
    notice: Option<&str>,
    typed: Option<(Option<Sections>, Option<FeedbackFields>, Errors)>,
) -> Result<Response, AppError> {
    let send = SendFields {
        guardian_checked_on: crate::children::html::today().to_string(),
        ..SendFields::default()
    };
    show_page_with(u, auth, id, notice, typed, send).await
}

/// The sheet with the send form as typed, after a refused send.
async fn show_page_sending(
    u: &mut Unit,
    auth: &Auth,
    id: HandoverId,
    typed: Option<(Option<Sections>, Option<FeedbackFields>, Errors)>,
    send: SendFields,
) -> Result<Response, AppError> {
    show_page_with(u, auth, id, None, typed, send).await
}

async fn show_page_with(
    u: &mut Unit,
    auth: &Auth,
    id: HandoverId,
    notice: Option<&str>,
    typed: Option<(Option<Sections>, Option<FeedbackFields>, Errors)>,
    send: SendFields,
) -> Result<Response, AppError> {
    let s = handovers::get(u, id).await?;
    let (sections, feedback, errors) = typed.unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let receiving =
        auth.actor.role == Role::AgencyStaff && auth.actor.agency_id == Some(AgencyId(s.agency_id));
    let page = ShowPage {
        layout: Layout::page(
            auth,
            "引継ぎシート",
            if receiving { "/inbox" } else { "/children" },
        )
        .with_notice(notice),
        sections: sections.unwrap_or_else(|| s.sections.clone()),
        may_edit: s.status == HandoverStatus::Draft
            && auth.actor.role == Role::Coordinator
            && auth.actor.serves_area(tsunagu_domain::AreaId(s.area_id)),
        receiving,
        feedback: feedback.unwrap_or_default(),
        errors,
        send,
        s,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<HandoverId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    show_page(&mut u, &auth, id, q.notice.as_deref(), None).await
}

async fn save(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<HandoverId>,
    form: Deferred<Form<SheetForm>>,
) -> Result<Response, AppError> {
    let (_, access) = handovers::editable(&mut u, id, "handover.update").await?;
    let Form(form) = form.parse()?;
    let sections = form.sections();
    let result = match check_sections(&sections) {
        Ok(()) => handovers::update(&mut u, &access, id, &sections)
            .await
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    let errors = match result {
        Ok(()) => return Ok(Redirect::to(&format!("/handovers/{id}?notice=saved")).into_response()),
        Err(AppError::Validation(found)) => found,
        Err(e) => return Err(e),
    };
    show_page(
        &mut u,
        &auth,
        id,
        None,
        Some((Some(sections), None, errors)),
    )
    .await
}

/// Runs a step and comes back to the sheet; a refusal the user can mend shows on the page.
async fn step(
    u: &mut Unit,
    auth: &Auth,
    id: HandoverId,
    result: tsunagu_store::Result<()>,
    notice: &str,
    feedback: Option<FeedbackFields>,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/handovers/{id}?notice={notice}")).into_response()),
        Err(e) => {
            into_form_errors(&mut errors, e)?;
            show_page(u, auth, id, None, Some((None, feedback, errors))).await
        }
    }
}

/// What the coordinator confirms when sending: the day the guardian went through the sheet
/// (and who), and, when sections are empty, that they saw so.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct SendFields {
    /// YYYY-MM-DD: the day the guardian checked the sheet.
    pub guardian_checked_on: String,
    /// The guardian who checked it.
    pub guardian_checked_by: String,
    /// "1" (or true in the API): sent though some sections are empty.
    #[serde(deserialize_with = "flag")]
    pub empty_confirmed: bool,
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Text(t) => !t.is_empty() && t != "0" && t != "false",
    })
}

/// Checks the confirmation against the sheet: the guardian's check is required, and empty
/// sections are sent only when the coordinator says they saw them.
fn check_send(f: &SendFields, sheet: &HandoverSheet) -> Result<handovers::GuardianCheck, AppError> {
    let mut e = Errors::new();
    let on = if f.guardian_checked_on.trim().is_empty() {
        e.add(
            "guardian_checked_on",
            "保護者と内容を確認した日を入力してください。",
        );
        None
    } else {
        parse_date(
            &mut e,
            "guardian_checked_on",
            "保護者と確認した日",
            &f.guardian_checked_on,
        )
    };
    let by = e.optional_line(
        "guardian_checked_by",
        "確認した保護者",
        &f.guardian_checked_by,
    );
    let empty = sheet.sections.empty_labels();
    if !empty.is_empty() && !f.empty_confirmed {
        e.add(
            "empty_confirmed",
            format!(
                "未記入の項目が{}つあります（{}）。このまま送る場合は「未記入の項目を確認した」にチェックしてください。",
                empty.len(),
                empty.join("、")
            ),
        );
    }
    e.into_result().map_err(AppError::Validation)?;
    Ok(handovers::GuardianCheck {
        on: on.unwrap_or(time::Date::MIN),
        by,
    })
}

async fn send(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<HandoverId>,
    form: Deferred<Form<SendFields>>,
) -> Result<Response, AppError> {
    let (sheet, access) = handovers::editable(&mut u, id, "handover.send").await?;
    let Form(form) = form.parse()?;
    let check = match check_send(&form, &sheet) {
        Ok(check) => check,
        Err(AppError::Validation(errors)) => {
            return show_page_sending(&mut u, &auth, id, Some((None, None, errors)), form).await
        }
        Err(e) => return Err(e),
    };
    let r = handovers::send(&mut u, &access, id, &check).await;
    step(&mut u, &auth, id, r, "sent", None).await
}

async fn acknowledge(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<HandoverId>,
) -> Result<Response, AppError> {
    let r = handovers::acknowledge(&mut u, id).await;
    step(&mut u, &auth, id, r, "acknowledged", None).await
}

fn check_feedback(f: &FeedbackFields) -> Result<(String, Option<String>), AppError> {
    let mut e = Errors::new();
    let settled = e.optional_text("settled", "移行後の様子", &f.settled);
    let needs = e.optional_text("needs", "引き続き支援が必要なこと", &f.needs);
    if settled.is_none() && e.get("settled").is_none() {
        e.add(
            "settled",
            "移行後の様子（どのように過ごしているか）を入力してください。",
        );
    }
    e.into_result().map_err(AppError::Validation)?;
    Ok((settled.unwrap_or_default(), needs))
}

async fn feedback(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<HandoverId>,
    f: Deferred<Form<FeedbackFields>>,
) -> Result<Response, AppError> {
    handovers::receiving(&mut u, id, "handover.feedback").await?;
    let Form(f) = f.parse()?;
    let r = match check_feedback(&f) {
        Ok((settled, needs)) => {
            handovers::give_feedback(&mut u, id, &settled, needs.as_deref()).await
        }
        Err(AppError::Validation(errors)) => {
            return show_page(&mut u, &auth, id, None, Some((None, Some(f), errors))).await
        }
        Err(e) => return Err(e),
    };
    if r.is_ok() {
        // Answered, the sheet no longer involves the agency with the child (the consent rule):
        // back to the inbox rather than to a page it may no longer open.
        return Ok(Redirect::to("/inbox?notice=feedback").into_response());
    }
    step(&mut u, &auth, id, r, "feedback", Some(f)).await
}

/// The sheet on paper: every section, the receiving agency, and a line for the guardian's check.
pub fn document(s: &HandoverSheet) -> Document {
    let mut head = vec![
        ("氏名", s.child_name.clone()),
        ("受け取る機関", s.agency_name.clone()),
    ];
    if let (Some(kind), Some(on)) = (
        s.transition_kind
            .as_deref()
            .and_then(TransitionKind::from_code),
        s.move_on,
    ) {
        head.push((
            "移行",
            format!(
                "{}（{}）",
                kind.label(),
                tsunagu_domain::calendar::day_label(on)
            ),
        ));
    }
    let mut sections = vec![Section::new("引継ぎの概要").fields(head)];
    for (_, label, text) in s.sections.labelled() {
        sections.push(Section::new(label).text(printing::or_dash(text)));
    }
    // Whom the receiving agency asks about the sheet: the coordinator who made it, in the
    // child's area.
    sections.push(
        Section::new("この引継ぎシートについての連絡先").fields(vec![
            (
                "担当",
                format!(
                    "療育支援コーディネーター {}",
                    s.sent_by_name
                        .as_deref()
                        .or(s.created_by_name.as_deref())
                        .unwrap_or("—")
                ),
            ),
            ("地域", s.area_name.clone()),
        ]),
    );
    sections.push(
        Section::new("保護者の確認")
            .text("この内容を引き継ぐことを確認しました。")
            .signature("保護者氏名"),
    );
    let mut meta = vec![
        format!(
            "作成日：{}",
            japanese_date::format_date(s.created_at.to_offset(japanese_date::JST).date())
        ),
        format!("作成者：{}", s.created_by_name.as_deref().unwrap_or("—")),
        format!("状態：{}", s.status_label()),
    ];
    if let Some(on) = s.guardian_checked_on {
        meta.push(format!(
            "保護者の確認：{}{}",
            japanese_date::format_date(on),
            s.guardian_checked_by
                .as_deref()
                .map(|n| format!("（{n}）"))
                .unwrap_or_default()
        ));
    }
    if let Some(at) = s.sent_at {
        meta.push(format!(
            "送付：{}{}",
            japanese_date::format_datetime(at),
            s.sent_by_name
                .as_deref()
                .map(|n| format!("（{n}）"))
                .unwrap_or_default()
        ));
    }
    Document {
        title: "引継ぎシート".into(),
        meta,
        sections,
        footer: printing::CONFIDENTIAL.into(),
        landscape: false,
    }
}

async fn print(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<HandoverId>,
) -> Result<Html<String>, AppError> {
    let s = handovers::get(&mut u, id).await?;
    printing::html(
        Layout::page(&auth, "引継ぎシート", "/children"),
        &document(&s),
        &format!("/handovers/{id}"),
        "引継ぎシートへ戻る",
        &format!("/handovers/{id}/pdf"),
    )
}

async fn pdf(mut u: Unit, Path(id): Path<HandoverId>) -> Result<Response, AppError> {
    let s = handovers::get(&mut u, id).await?;
    printing::pdf(
        document(&s),
        &format!("引継ぎシート_{}.pdf", s.child_name.replace(' ', "")),
    )
    .await
}

/// Drafts a sheet from the record for a receiving agency (and a transition of the child).
#[utoipa::path(post, path = "/api/v1/children/{id}/handover-sheets", tag = "transitions", params(("id" = i64, Path)), request_body = CreateFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<CreateFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "handover.create").await?;
    let JsonBody(body) = body.parse()?;
    let (agency, transition) = check_create(&body)?;
    let sheet = handovers::create(&mut u, &access, agency, transition).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": sheet })),
    ))
}

/// The agency's sheets waiting for its acknowledgement or feedback.
#[utoipa::path(get, path = "/api/v1/handover-sheets", tag = "transitions",
    responses((status = 200, body = Vec<HandoverSheet>)))]
pub async fn api_inbox(mut u: Unit) -> Result<Json<Vec<HandoverSheet>>, AppError> {
    Ok(Json(handovers::inbox(&mut u).await?))
}

/// The sheet as JSON, or as the PDF when the request accepts `application/pdf`.
#[utoipa::path(get, path = "/api/v1/handover-sheets/{id}", tag = "transitions", params(("id" = i64, Path)),
    responses((status = 200, description = "JSON, or the PDF when `Accept: application/pdf`", content((HandoverSheet = "application/json"), (String = "application/pdf"))), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_show(
    mut u: Unit,
    Path(id): Path<HandoverId>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let s = handovers::get(&mut u, id).await?;
    if printing::wants_pdf(&headers) {
        return printing::pdf(document(&s), "handover.pdf").await;
    }
    Ok(Json(s).into_response())
}

/// The section texts of a draft, by section code.
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct SectionsBody {
    /// e.g. {"accommodations": "…", "communication": "…"}; codes not given are left empty.
    pub sections: std::collections::HashMap<String, String>,
}

#[utoipa::path(put, path = "/api/v1/handover-sheets/{id}", tag = "transitions", params(("id" = i64, Path)), request_body = SectionsBody,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update(
    mut u: Unit,
    Path(id): Path<HandoverId>,
    body: Deferred<JsonBody<SectionsBody>>,
) -> Result<StatusCode, AppError> {
    let (_, access) = handovers::editable(&mut u, id, "handover.update").await?;
    let JsonBody(body) = body.parse()?;
    if let Some(unknown) = body
        .sections
        .keys()
        .find(|k| !SECTIONS.iter().any(|(c, _)| c == k))
    {
        return Err(AppError::invalid(
            "sections",
            format!("「{unknown}」という項目はありません。"),
        ));
    }
    let sections = Sections(
        SECTIONS
            .iter()
            .map(|(c, _)| body.sections.get(*c).cloned().unwrap_or_default())
            .collect(),
    );
    check_sections(&sections)?;
    handovers::update(&mut u, &access, id, &sections).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/handover-sheets/{id}/send", tag = "transitions", params(("id" = i64, Path)), request_body = SendFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_send(
    mut u: Unit,
    Path(id): Path<HandoverId>,
    body: Deferred<JsonBody<SendFields>>,
) -> Result<StatusCode, AppError> {
    let (sheet, access) = handovers::editable(&mut u, id, "handover.send").await?;
    let JsonBody(body) = body.parse()?;
    let check = check_send(&body, &sheet)?;
    handovers::send(&mut u, &access, id, &check).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/handover-sheets/{id}/acknowledge", tag = "transitions", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_acknowledge(
    mut u: Unit,
    Path(id): Path<HandoverId>,
) -> Result<StatusCode, AppError> {
    handovers::acknowledge(&mut u, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/handover-sheets/{id}/feedback", tag = "transitions", params(("id" = i64, Path)), request_body = FeedbackFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_feedback(
    mut u: Unit,
    Path(id): Path<HandoverId>,
    body: Deferred<JsonBody<FeedbackFields>>,
) -> Result<StatusCode, AppError> {
    handovers::receiving(&mut u, id, "handover.feedback").await?;
    let JsonBody(body) = body.parse()?;
    let (settled, needs) = check_feedback(&body)?;
    handovers::give_feedback(&mut u, id, &settled, needs.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> HandoverSheet {
        let mut sections = vec![String::new(); SECTIONS.len()];
        sections[0] =
            "氏名：見本 はると（みほん はると）\n生年月日：2020年6月15日（令和2年）".into();
        sections[8] = "短い言葉と身振りで伝える。".into();
        sections[11] = "・一日の流れを絵カードで示すと、切り替えがスムーズになる".into();
        let at = time::macros::datetime!(2027-02-10 01:30 UTC);
        HandoverSheet {
            id: HandoverId(1),
            child_id: ChildId(15),
            child_name: "見本 はると".into(),
            area_id: 1,
            area_name: "香取海匝".into(),
            transition_id: Some(1),
            transition_kind: Some("elementary".into()),
            move_on: Some(time::macros::date!(2027 - 04 - 01)),
            agency_id: 7,
            agency_name: "うみかぜ小学校".into(),
            status: HandoverStatus::Sent,
            sections: Sections(sections),
            created_by_name: Some("見本 はな子".into()),
            created_at: time::macros::datetime!(2027-01-20 00:30 UTC),
            updated_at: at,
            guardian_checked_on: Some(time::macros::date!(2027 - 02 - 09)),
            guardian_checked_by: Some("見本 保護者".into()),
            sent_by_name: Some("見本 はな子".into()),
            sent_at: Some(at),
            acknowledged_by_name: None,
            acknowledged_at: None,
            feedback_settled: None,
            feedback_needs: None,
            feedback_by_name: None,
            feedback_at: None,
        }
    }

    /// The printed sheet's content, section by section, as the school receives it. Run with
    /// `UPDATE_SNAPSHOTS=1` after a deliberate change and review the diff.
    #[test]
    fn the_printed_sheet_matches_its_snapshot() {
        let doc = serde_json::to_string_pretty(&document(&sheet())).unwrap() + "\n";
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/snapshots/handover_sheet.json");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(&path, &doc).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap();
        assert_eq!(doc, expected, "snapshot {} differs", path.display());
    }
}
