//! The transitions API: a child's transitions with their checklists, planning one, its checklist
//! items, and moving it on. The 就学早見表 and the transition calendar have theirs beside them.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post, put},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use tsunagu_store::{
    children::{self, ChildId},
    transitions::{self, Hold, TransitionView},
};

use super::{check_item, check_transition, ItemFields, TransitionFields};
use crate::{
    auth::{Auth, Meta},
    extract::Json as JsonBody,
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
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<ChildTransitions>, AppError> {
    let child = ChildId(id);
    let list = transitions::for_child(&state.db, &meta, &auth.actor, child).await?;
    let v = children::view(&state.db, &meta, &auth.actor, child).await?;
    let holds = transitions::holds(&state.db, child).await?;
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
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<TransitionFields>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let current = children::view(&state.db, &meta, &auth.actor, ChildId(id))
        .await?
        .child
        .current_agency_id;
    let new = check_transition(&body, current)?;
    let t = transitions::create(&state.db, &meta, &auth.actor, ChildId(id), &new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": t }))))
}

#[utoipa::path(get, path = "/api/v1/transitions/{id}", tag = "transitions", params(("id" = i64, Path)),
    responses((status = 200, body = TransitionView), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_show(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<TransitionView>, AppError> {
    Ok(Json(
        transitions::get(&state.db, &meta, &auth.actor, id).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    /// planned, done or cancelled
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/transitions/{id}/status", tag = "transitions", params(("id" = i64, Path)), request_body = StatusBody,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_status(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<StatusBody>,
) -> Result<StatusCode, AppError> {
    transitions::set_status(&state.db, &meta, &auth.actor, id, body.status.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/transitions/{id}/items", tag = "transitions", params(("id" = i64, Path)), request_body = ItemFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_add_item(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ItemFields>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let new = check_item(&body)?;
    let item = transitions::add_item(&state.db, &meta, &auth.actor, id, &new).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": item }))))
}

/// Ticks a checklist item off (`done`) or opens it again (`open`).
#[utoipa::path(post, path = "/api/v1/transition-items/{id}/{state}", tag = "transitions", params(("id" = i64, Path), ("state" = String, Path, description = "done or open")),
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_set_item(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path((id, item_state)): Path<(i64, String)>,
) -> Result<StatusCode, AppError> {
    let done = match item_state.as_str() {
        "done" => true,
        "open" => false,
        _ => return Err(AppError::NotFound),
    };
    transitions::set_item_done(&state.db, &meta, &auth.actor, id, done).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes a checklist item's wording, owner or due date.
#[utoipa::path(put, path = "/api/v1/transition-items/{id}", tag = "transitions", params(("id" = i64, Path)), request_body = ItemFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update_item(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<ItemFields>,
) -> Result<StatusCode, AppError> {
    let changed = check_item(&body)?;
    transitions::update_item(&state.db, &meta, &auth.actor, id, &changed).await?;
    Ok(StatusCode::NO_CONTENT)
}
