//! Referrals (つなぎ) on the web: the coordinator's form on the child's page, the agency's
//! inbox with its answers, and the API. The store decides who may do what.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use tsunagu_domain::{
    access::{Purpose, SharePart},
    referral::Action,
    validation::Errors,
    AgencyId, ReferralId,
};
use tsunagu_store::{
    access,
    children::ChildId,
    referrals::{self, NewReferral, Referral},
    Page,
};

use crate::{
    agencies::{parse_date, parse_schedule_date},
    auth::Auth,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/referrals", post(create_form))
        .route("/referrals/{id}/{action}", post(act_form))
        .route("/inbox", get(inbox))
        .route("/referrals", get(worklist))
        .route("/api/v1/referrals", get(api_list))
        .route("/api/v1/children/{id}/referrals", post(api_create))
        .route("/api/v1/referrals/{id}/{action}", post(api_act))
}

/// A referral as typed.
#[derive(Deserialize, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReferralFields {
    pub agency_id: String,
    pub reason: String,
    /// YYYY-MM-DD
    pub desired_on: String,
    /// Part codes sent with it, within the consent.
    pub parts: Vec<String>,
}

fn check(f: &ReferralFields) -> Result<NewReferral, AppError> {
    let mut e = Errors::new();
    let agency_id = match f.agency_id.trim().parse() {
        Ok(n) => AgencyId(n),
        Err(_) => {
            e.add("agency_id", "つなぐ先の機関を選んでください。");
            AgencyId(0)
        }
    };
    let reason = e
        .optional_text("reason", "つなぐ理由", &f.reason)
        .unwrap_or_default();
    if reason.is_empty() {
        e.add("reason", "つなぐ理由を入力してください。");
    }
    let desired_on = parse_schedule_date(&mut e, "desired_on", "希望日", &f.desired_on);
    let parts: Vec<SharePart> = f
        .parts
        .iter()
        .filter_map(|p| SharePart::from_code(p.trim()))
        .collect();
    if parts.is_empty() {
        e.add("parts", "共有する内容を1つ以上選んでください。");
    }
    e.into_result().map_err(AppError::Validation)?;
    Ok(NewReferral {
        agency_id,
        reason,
        desired_on,
        parts,
    })
}

/// A referral from the child's page. A refusal (the consent rule, a part outside the consent,
/// a missing field) comes back on the child's page with what was typed and the reason beside
/// the field, never on a page of its own.
async fn create_form(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<ReferralFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "referral.create").await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    match check(&form) {
        Ok(new) => match referrals::create(&mut u, &access, &new).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/children/{id}?notice=referred#referrals"))
                        .into_response(),
                )
            }
            Err(e) => crate::error::into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(other) => return Err(other),
    }
    let referral = crate::children::html::ReferralForm {
        fields: form,
        errors,
    };
    let page = crate::children::html::show_page(&auth, &mut u, id, None, referral).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Record a referral of the child to an agency (coordinators of the area, within the consent).
#[utoipa::path(post, path = "/api/v1/children/{id}/referrals", tag = "referrals", params(("id" = i64, Path)), request_body = ReferralFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<ReferralFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "referral.create").await?;
    let JsonBody(body) = body.parse()?;
    let new = check(&body)?;
    let referral = referrals::create(&mut u, &access, &new).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": referral })),
    ))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct ActFields {
    /// The reason for declining, or the outcome when completing.
    pub note: String,
    /// Where the browser goes afterwards (a path on this site).
    #[schema(ignore)]
    pub back: String,
}

fn action(code: &str) -> Result<Action, AppError> {
    Action::from_code(code).ok_or(AppError::NotFound)
}

async fn act_form(
    mut u: Unit,
    Path((id, code)): Path<(ReferralId, String)>,
    form: Deferred<Form<ActFields>>,
) -> Result<Response, AppError> {
    let action = action(&code)?;
    referrals::may_act(&mut u, id, action).await?;
    let Form(form) = form.parse()?;
    referrals::act(&mut u, id, action, Some(&form.note)).await?;
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/inbox".to_owned()
    };
    Ok(Redirect::to(&format!(
        "{back}{}notice=saved",
        if back.contains('?') { "&" } else { "?" }
    ))
    .into_response())
}

/// Accept, decline (with `note` as the reason), complete (with `note` as the outcome) or cancel a referral.
#[utoipa::path(post, path = "/api/v1/referrals/{id}/{action}", tag = "referrals",
    params(("id" = i64, Path), ("action" = String, Path, description = "accept, decline, complete or cancel")), request_body = ActFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_act(
    mut u: Unit,
    Path((id, code)): Path<(ReferralId, String)>,
    body: Deferred<JsonBody<ActFields>>,
) -> Result<StatusCode, AppError> {
    let action = action(&code)?;
    referrals::may_act(&mut u, id, action).await?;
    let JsonBody(body) = body.parse()?;
    referrals::act(&mut u, id, action, Some(&body.note)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Referrals: the area's for coordinators and supervisors, the inbox for agency staff.
#[utoipa::path(get, path = "/api/v1/referrals", tag = "referrals", responses((status = 200, body = Page<Referral>)))]
pub async fn api_list(auth: Auth, mut u: Unit) -> Result<Json<Page<Referral>>, AppError> {
    let items = if auth.actor.role == tsunagu_domain::Role::AgencyStaff {
        referrals::inbox(&mut u).await?
    } else {
        referrals::for_areas(&mut u).await?
    };
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}

#[derive(Template)]
#[template(path = "referrals/inbox.html")]
struct InboxPage {
    layout: Layout,
    items: Vec<Referral>,
    meetings: Vec<tsunagu_store::meetings::Meeting>,
    handovers: Vec<tsunagu_store::handovers::HandoverSheet>,
    /// The agency's answers to its invitations.
    replies: Vec<(tsunagu_domain::MeetingId, String)>,
}

impl InboxPage {
    fn reply_of(&self, meeting: &tsunagu_domain::MeetingId) -> &str {
        self.replies
            .iter()
            .find(|(m, _)| m == meeting)
            .map_or("", |(_, r)| r.as_str())
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn inbox(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    if auth.actor.role != tsunagu_domain::Role::AgencyStaff {
        return Err(AppError::Forbidden);
    }
    let page = InboxPage {
        layout: Layout::page(&auth, "受信箱", "/inbox").with_notice(q.notice.as_deref()),
        items: referrals::inbox(&mut u).await?,
        handovers: tsunagu_store::handovers::inbox(&mut u).await?,
        meetings: {
            let now = time::OffsetDateTime::now_utc();
            tsunagu_store::meetings::between(
                &mut u,
                now - time::Duration::hours(12),
                now + time::Duration::days(365),
            )
            .await?
        },
        replies: tsunagu_store::meetings::my_replies(&mut u).await?,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
struct WorklistQuery {
    state: Option<String>,
    mine: Option<String>,
    from: Option<String>,
    until: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Template)]
#[template(path = "referrals/worklist.html")]
struct WorklistPage {
    layout: Layout,
    items: Vec<Referral>,
    pager: crate::layout::Pager,
    state: String,
    mine: bool,
    from: String,
    until: String,
    states: Vec<(&'static str, &'static str)>,
    errors: Errors,
}

/// The area's referrals as a worklist: by state, the user's own, a period; the filters are in
/// the URL, so a list can be bookmarked or sent to a colleague.
async fn worklist(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<WorklistQuery>,
) -> Result<Html<String>, AppError> {
    if !auth.actor.role.needs_areas() {
        return Err(AppError::Forbidden);
    }
    let mut errors = Errors::new();
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let state = text(&q.state);
    let from = text(&q.from);
    let until = text(&q.until);
    let filter = referrals::Worklist {
        state: tsunagu_domain::referral::State::from_code(&state),
        mine: q.mine.is_some(),
        from: parse_date(&mut errors, "from", "期間の始め", &from),
        until: parse_date(&mut errors, "until", "期間の終わり", &until),
    };
    let paging = crate::extract::ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let page = referrals::worklist(&mut u, &filter, paging).await?;
    let base = format!(
        "/referrals?state={}&{}from={}&until={}&",
        crate::layout::qs(&state),
        if filter.mine { "mine=1&" } else { "" },
        crate::layout::qs(&from),
        crate::layout::qs(&until)
    );
    let page = WorklistPage {
        layout: Layout::page(&auth, "つなぎ（紹介）の一覧", "/referrals"),
        pager: crate::layout::Pager::new(&base, page.total, paging, page.items.len()),
        items: page.items,
        state,
        mine: filter.mine,
        from,
        until,
        states: tsunagu_domain::referral::State::ALL
            .iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        errors,
    };
    Ok(Html(page.render()?))
}
