//! `/api/v1/children`, `/api/v1/consultations`, and a child's consents and timeline: all through
//! the same access path as the screens (a child the caller may not see answers 404).

use axum::{
    extract::Path,
    http::StatusCode,
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use tsunagu_domain::access::Purpose;
use tsunagu_store::{
    access,
    children::{self, ChildId, ChildSummary, ChildView, Consent, TimelineEntry},
    consents,
    consultations::{self, Consultation},
    Page,
};

use super::{
    consents::{check_consent, ConsentFields},
    consultations::{take as take_consultation, ConsultationFields, Intake},
    html::today,
    timeline::TimelineQuery,
    validate, ChildFields,
};
use crate::{
    agencies::parse_date,
    auth::Auth,
    extract::{Deferred, Json as JsonBody, ListParams, Query},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/children", get(search).post(create))
        .route("/api/v1/children/{id}", get(show).put(update))
        .route("/api/v1/children/{id}/close", post(close))
        .route("/api/v1/children/{id}/reopen", post(reopen))
        .route("/api/v1/children/{id}/timeline", get(timeline))
        .route(
            "/api/v1/children/{id}/consents",
            get(list_consents).post(add_consent),
        )
        .route(
            "/api/v1/consultations",
            get(list_consultations).post(create_consultation),
        )
        .route(
            "/api/v1/children/{id}/care-team",
            get(list_team).post(add_team),
        )
        .route(
            "/api/v1/children/{id}/care-team/{member}/end",
            post(end_team),
        )
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChildSearch {
    /// Name or reading in any kana.
    pub q: Option<String>,
    /// `1` to include closed cases.
    pub include_closed: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

/// Children the caller may see whose name or reading contains `q`.
#[utoipa::path(get, path = "/api/v1/children", tag = "children", params(ChildSearch),
    responses((status = 200, body = Page<ChildSummary>), (status = 401, body = crate::api::ErrorResponse)))]
pub async fn search(
    mut u: Unit,
    Query(s): Query<ChildSearch>,
) -> Result<Json<Page<ChildSummary>>, AppError> {
    let paging = ListParams {
        q: None,
        limit: s.limit,
        offset: s.offset,
    }
    .paging()?;
    let q: Option<String> =
        s.q.as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(|q| q.chars().take(50).collect());
    Ok(Json(
        children::search(&mut u, q.as_deref(), s.include_closed.is_some(), paging).await?,
    ))
}

/// One child, in the parts the caller may see.
#[utoipa::path(get, path = "/api/v1/children/{id}", tag = "children", params(("id" = i64, Path)),
    responses((status = 200, body = ChildView), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn show(mut u: Unit, Path(id): Path<i64>) -> Result<Json<ChildView>, AppError> {
    let seen = access::record(&mut u, ChildId(id)).await?;
    Ok(Json(children::view(&mut u, seen).await?))
}

/// Register a child (coordinators of the area). A possible duplicate answers 409 unless
/// `not_a_duplicate` is set.
#[utoipa::path(post, path = "/api/v1/children", tag = "children", request_body = ChildFields,
    responses((status = 201, body = ChildView), (status = 403, body = crate::api::ErrorResponse),
        (status = 409, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn create(
    auth: Auth,
    mut u: Unit,
    fields: Deferred<JsonBody<ChildFields>>,
) -> Result<(StatusCode, Json<ChildView>), AppError> {
    if auth.actor.role != tsunagu_domain::Role::Coordinator {
        children::may_create(&mut u, tsunagu_domain::AreaId(0))?;
    }
    let JsonBody(fields) = fields.parse()?;
    let (input, errors) = validate(&fields, today());
    errors.into_result().map_err(AppError::Validation)?;
    if fields.not_a_duplicate.is_empty() {
        let dups = children::possible_duplicates(&mut u, &input, None).await?;
        if let Some(first) = dups.first() {
            return Err(AppError::Conflict {
                field: "family_name".into(),
                message: format!("同じ名前（読み）と生年月日の子どもがすでに登録されています（ID {}）。別の子どもなら not_a_duplicate を指定してください。", first.id),
            });
        }
    }
    let id = children::create(&mut u, &input).await?;
    let seen = access::record(&mut u, id).await?;
    Ok((
        StatusCode::CREATED,
        Json(children::view(&mut u, seen).await?),
    ))
}

/// Replace a child's record (coordinators of the area; not while closed).
#[utoipa::path(put, path = "/api/v1/children/{id}", tag = "children", params(("id" = i64, Path)), request_body = ChildFields,
    responses((status = 200, body = ChildView), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn update(
    mut u: Unit,
    Path(id): Path<i64>,
    fields: Deferred<JsonBody<ChildFields>>,
) -> Result<Json<ChildView>, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "child.update").await?;
    let JsonBody(fields) = fields.parse()?;
    let (input, errors) = validate(&fields, today());
    errors.into_result().map_err(AppError::Validation)?;
    children::update(&mut u, &access, &input).await?;
    let seen = access::record(&mut u, ChildId(id)).await?;
    Ok(Json(children::view(&mut u, seen).await?))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct CloseBody {
    /// YYYY-MM-DD; today if empty.
    pub closed_on: String,
    pub reason: String,
}

/// Close the case (終結).
#[utoipa::path(post, path = "/api/v1/children/{id}/close", tag = "children", params(("id" = i64, Path)), request_body = CloseBody,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn close(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<CloseBody>>,
) -> Result<StatusCode, AppError> {
    let access = access::child(
        &mut u,
        ChildId(id),
        Purpose::ChangeStatus,
        children::status_action(true),
    )
    .await?;
    let JsonBody(body) = body.parse()?;
    let mut e = tsunagu_domain::validation::Errors::new();
    let on = parse_date(&mut e, "closed_on", "終結日", &body.closed_on).unwrap_or_else(today);
    let reason = e.required_line("reason", "終結の理由", &body.reason);
    e.into_result().map_err(AppError::Validation)?;
    children::set_status(&mut u, &access, Some((on, reason))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reopen a closed case.
#[utoipa::path(post, path = "/api/v1/children/{id}/reopen", tag = "children", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn reopen(mut u: Unit, Path(id): Path<i64>) -> Result<StatusCode, AppError> {
    let access = access::child(
        &mut u,
        ChildId(id),
        Purpose::ChangeStatus,
        children::status_action(false),
    )
    .await?;
    children::set_status(&mut u, &access, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything that happened for the child, newest first (`kind`, `from`, `until`, paging).
#[utoipa::path(get, path = "/api/v1/children/{id}/timeline", tag = "children", params(("id" = i64, Path)),
    responses((status = 200, body = Page<TimelineEntry>), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn timeline(
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<TimelineQuery>,
) -> Result<Json<Page<TimelineEntry>>, AppError> {
    let paging = ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let staff = access::area_staff(&mut u, ChildId(id), children::TIMELINE).await?;
    Ok(Json(
        children::timeline(&mut u, &staff, &q.filter()?, paging).await?,
    ))
}

/// The child's consents and legal-basis records (the area's staff).
#[utoipa::path(get, path = "/api/v1/children/{id}/consents", tag = "children", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Consent>), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn list_consents(
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Json<Page<Consent>>, AppError> {
    access::area_staff(&mut u, ChildId(id), "consent.read").await?;
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    if !v.sees_everything {
        return Err(AppError::Forbidden);
    }
    Ok(Json(Page {
        total: v.consents.len() as i64,
        items: v.consents,
    }))
}

/// Record a consent (or the legal basis).
#[utoipa::path(post, path = "/api/v1/children/{id}/consents", tag = "children", params(("id" = i64, Path)), request_body = ConsentFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn add_consent(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<ConsentFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "consent.create").await?;
    let JsonBody(body) = body.parse()?;
    let (input, errors) = check_consent(&body);
    errors.into_result().map_err(AppError::Validation)?;
    let consent = consents::create(&mut u, &access, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": consent })),
    ))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsultationQuery {
    /// `1` for consultations not yet linked to a child.
    pub unlinked: Option<String>,
    #[param(value_type = Option<i64>)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>)]
    pub offset: Option<String>,
}

/// Consultations of the caller's areas, newest first.
#[utoipa::path(get, path = "/api/v1/consultations", tag = "children", params(ConsultationQuery),
    responses((status = 200, body = Page<Consultation>)))]
pub async fn list_consultations(
    mut u: Unit,
    Query(q): Query<ConsultationQuery>,
) -> Result<Json<Page<Consultation>>, AppError> {
    let paging = ListParams {
        q: None,
        limit: q.limit,
        offset: q.offset,
    }
    .paging()?;
    Ok(Json(
        consultations::list(
            &mut u,
            &consultations::Filter {
                unlinked: q.unlinked.is_some(),
                ..Default::default()
            },
            paging,
        )
        .await?,
    ))
}

/// Record a consultation (coordinators); `child_id` empty for an anonymous one, or `new_child`
/// "1" with `child_name`, `birth_date` and the guardian's fields to register the child with it
/// (a possible duplicate is refused unless `not_a_duplicate` is "1").
#[utoipa::path(post, path = "/api/v1/consultations", tag = "children", request_body = ConsultationFields,
    responses((status = 201, body = Consultation), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn create_consultation(
    auth: Auth,
    mut u: Unit,
    body: Deferred<JsonBody<ConsultationFields>>,
) -> Result<(StatusCode, Json<Consultation>), AppError> {
    let first_area = auth.actor.area_ids.first().copied();
    if auth.actor.role != tsunagu_domain::Role::Coordinator || first_area.is_none() {
        consultations::may_record(&mut u, first_area.unwrap_or_default())?;
    }
    let JsonBody(mut body) = body.parse()?;
    match take_consultation(&mut u, &auth, &mut body).await? {
        Intake::Recorded { id, .. } => Ok((
            StatusCode::CREATED,
            Json(consultations::get(&mut u, id).await?),
        )),
        Intake::Refused { errors, .. } => Err(AppError::Validation(errors)),
    }
}

/// The child's care team, past and present (to those who may see the care team).
#[utoipa::path(get, path = "/api/v1/children/{id}/care-team", tag = "children", params(("id" = i64, Path)),
    responses((status = 200, body = Page<tsunagu_store::children::CareTeamMember>), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn list_team(
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Json<Page<tsunagu_store::children::CareTeamMember>>, AppError> {
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    if !v.shows("care_team") {
        return Err(AppError::Forbidden);
    }
    Ok(Json(Page {
        total: v.care_team.len() as i64,
        items: v.care_team,
    }))
}

/// Add an agency (and a named person) to the care team.
#[utoipa::path(post, path = "/api/v1/children/{id}/care-team", tag = "children", params(("id" = i64, Path)), request_body = super::team::MemberFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn add_team(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<super::team::MemberFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "care_team.add").await?;
    let JsonBody(body) = body.parse()?;
    let member = super::team::check_member(&body)?;
    let created = children::add_team_member(&mut u, &access, &member).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": created })),
    ))
}

/// End a membership today; the history stays.
#[utoipa::path(post, path = "/api/v1/children/{id}/care-team/{member}/end", tag = "children", params(("id" = i64, Path), ("member" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn end_team(
    mut u: Unit,
    Path((id, member)): Path<(i64, i64)>,
) -> Result<StatusCode, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "care_team.end").await?;
    children::end_team_member(&mut u, &access, member, today()).await?;
    Ok(StatusCode::NO_CONTENT)
}
