//! The transitions API: a child's transitions with their checklists, planning one, its checklist
//! items, and moving it on. The 就学早見表 and the transition calendar have theirs beside them.

use axum::{
    extract::Path,
    http::StatusCode,
    routing::{get, post, put},
    Json,
};
use serde::{Deserialize, Serialize};
use tsunagu_domain::{access::Purpose, TransitionId};
use tsunagu_store::{
    access,
    children::{self, ChildId},
    transitions::{self, Hold, TransitionView},
};

use super::{check_item, check_transition, ItemFields, TransitionFields};
use crate::{
    extract::{Deferred, Json as JsonBody},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/children/{id}/transitions",
            get(api_child).post(api_create),
        )
        .route("/api/v1/transitions/{id}", get(api_show))
        .route("/api/v1/transitions/{id}/status", post(api_status))
        .route("/api/v1/transitions/{id}/items", post(api_add_item))
        .route("/api/v1/transition-items/{id}", put(api_update_item))
        .route("/api/v1/transition-items/{id}/{state}", post(api_set_item))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChildTransitions {
    /// The class or grade today, counting recorded holds.
    pub stage_today: String,
    pub holds: Vec<Hold>,
    pub transitions: Vec<TransitionView>,
}

/// The child's stage, years held back, and transitions with their checklists (the area's staff).
#[utoipa::path(get, path = "/api/v1/children/{id}/transitions", tag = "transitions", params(("id" = i64, Path)),
    responses((status = 200, body = ChildTransitions), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_child(
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Json<ChildTransitions>, AppError> {
    let child = ChildId(id);
    let staff = access::area_staff(&mut u, child, transitions::READ).await?;
    let list = transitions::for_child(&mut u, &staff).await?;
    let v = children::view(&mut u, staff).await?;
    let holds = transitions::holds(&mut u, &v.access).await?;
    let cohort = transitions::cohort_of(v.child.birth_date, &holds);
    Ok(Json(ChildTransitions {
        stage_today: cohort.stage_on(children::today_in_japan()).label(),
        holds,
        transitions: list,
    }))
}

/// Plans a transition; its checklist is placed from the template on the move's date.
#[utoipa::path(post, path = "/api/v1/children/{id}/transitions", tag = "transitions", params(("id" = i64, Path)), request_body = TransitionFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<TransitionFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "transition.create").await?;
    let JsonBody(body) = body.parse()?;
    let current = children::view(&mut u, access.clone())
        .await?
        .child
        .current_agency_id;
    let new = check_transition(&body, current)?;
    let t = transitions::create(&mut u, &access, &new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": t }))))
}

#[utoipa::path(get, path = "/api/v1/transitions/{id}", tag = "transitions", params(("id" = i64, Path)),
    responses((status = 200, body = TransitionView), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_show(
    mut u: Unit,
    Path(id): Path<TransitionId>,
) -> Result<Json<TransitionView>, AppError> {
    Ok(Json(transitions::get(&mut u, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    /// planned, done or cancelled
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/transitions/{id}/status", tag = "transitions", params(("id" = i64, Path)), request_body = StatusBody,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_status(
    mut u: Unit,
    Path(id): Path<TransitionId>,
    body: Deferred<JsonBody<StatusBody>>,
) -> Result<StatusCode, AppError> {
    let (_, access) = transitions::find(&mut u, id, Purpose::Write).await?;
    let JsonBody(body) = body.parse()?;
    transitions::set_status(&mut u, &access, id, body.status.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/transitions/{id}/items", tag = "transitions", params(("id" = i64, Path)), request_body = ItemFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_add_item(
    mut u: Unit,
    Path(id): Path<TransitionId>,
    body: Deferred<JsonBody<ItemFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let (_, access) = transitions::find(&mut u, id, Purpose::Write).await?;
    let JsonBody(body) = body.parse()?;
    let new = check_item(&body)?;
    let item = transitions::add_item(&mut u, &access, id, &new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": item }))))
}

/// Ticks a checklist item off (`done`) or opens it again (`open`).
#[utoipa::path(post, path = "/api/v1/transition-items/{id}/{state}", tag = "transitions", params(("id" = i64, Path), ("state" = String, Path, description = "done or open")),
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_set_item(
    mut u: Unit,
    Path((id, item_state)): Path<(i64, String)>,
) -> Result<StatusCode, AppError> {
    let done = match item_state.as_str() {
        "done" => true,
        "open" => false,
        _ => return Err(AppError::NotFound),
    };
    let (_, access) = transitions::find_item(&mut u, id).await?;
    transitions::set_item_done(&mut u, &access, id, done).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a checklist item's wording, owner or due date.
#[utoipa::path(put, path = "/api/v1/transition-items/{id}", tag = "transitions", params(("id" = i64, Path)), request_body = ItemFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update_item(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<ItemFields>>,
) -> Result<StatusCode, AppError> {
    let (_, access) = transitions::find_item(&mut u, id).await?;
    let JsonBody(body) = body.parse()?;
    let changed = check_item(&body)?;
    transitions::update_item(&mut u, &access, id, &changed).await?;
    Ok(StatusCode::NO_CONTENT)
}
