//! `/api/v1/users`: accounts, for administrators.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use serde::Deserialize;
use tsunagu_domain::{validation::Errors, AgencyId, AreaId, UserId};
use tsunagu_store::{
    users::{self, NewUser, UserDetail},
    Page,
};
use utoipa::ToSchema;

use super::{check_assignment, parse_role};
use crate::{
    auth::{Auth, Meta},
    extract::{Json, ListParams, Query},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list).post(create))
        .route("/api/v1/users/{id}", get(show))
        .route(
            "/api/v1/users/{id}/staffing",
            get(show_staffing).put(update_staffing),
        )
}

/// List users (administrators only).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListParams),
    responses((status = 200, body = Page<UserDetail>), (status = 403, body = crate::api::ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<Page<UserDetail>>, AppError> {
    Ok(axum::Json(
        users::list(&state.db, params.q(), params.paging()?).await?,
    ))
}

/// One user (administrators only).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = UserDetail), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn show(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<UserDetail>, AppError> {
    Ok(axum::Json(users::detail(&state.db, UserId(id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateUser {
    pub login: String,
    pub display_name: String,
    /// coordinator, supervisor, agency_staff, committee or admin
    pub role: String,
    #[serde(default)]
    pub area_ids: Vec<i64>,
    pub agency_id: Option<i64>,
    /// At least 12 characters; the user must change it at the first login.
    pub password: String,
}

/// Create a user (administrators only).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = UserDetail), (status = 409, body = crate::api::ErrorResponse),
        (status = 422, body = crate::api::ErrorResponse)))]
pub async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Json(body): Json<CreateUser>,
) -> Result<(StatusCode, axum::Json<UserDetail>), AppError> {
    let mut errors = Errors::new();
    let login = errors.login("login", &body.login);
    let display_name = errors.required_line("display_name", "氏名", &body.display_name);
    let role = parse_role(&mut errors, &body.role);
    let area_ids: Vec<AreaId> = body.area_ids.into_iter().map(AreaId).collect();
    let agency_id = body.agency_id.map(AgencyId);
    check_assignment(&mut errors, role, &area_ids, agency_id);
    errors.new_password("password", &body.password);
    errors.into_result().map_err(AppError::Validation)?;
    let new = NewUser {
        login,
        display_name,
        role,
        area_ids,
        agency_id,
        password: body.password,
        must_change_password: true,
    };
    let mut tx = state.db.begin().await?;
    let id = users::create(&mut tx, &meta, Some(&auth.actor), new).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(users::detail(&state.db, id).await?),
    ))
}

/// A coordinator's placement (専任・兼務), background and absence (administrators only).
#[utoipa::path(get, path = "/api/v1/users/{id}/staffing", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = tsunagu_store::staffing::Staffing), (status = 403, body = crate::api::ErrorResponse)))]
pub async fn show_staffing(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<tsunagu_store::staffing::Staffing>, AppError> {
    users::get(&state.db, UserId(id)).await?;
    Ok(axum::Json(
        tsunagu_store::staffing::get(&state.db, UserId(id)).await?,
    ))
}

/// Record a coordinator's placement, background and absence (administrators only).
#[utoipa::path(put, path = "/api/v1/users/{id}/staffing", tag = "users", params(("id" = i64, Path)),
    request_body = super::StaffingFields,
    responses((status = 200, body = tsunagu_store::staffing::Staffing), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn update_staffing(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Json(body): Json<super::StaffingFields>,
) -> Result<axum::Json<tsunagu_store::staffing::Staffing>, AppError> {
    let s = body.check().map_err(AppError::Validation)?;
    let mut tx = state.db.begin().await?;
    tsunagu_store::staffing::set(&mut tx, &meta, Some(&auth.actor), UserId(id), &s).await?;
    tx.commit().await?;
    Ok(axum::Json(
        tsunagu_store::staffing::get(&state.db, UserId(id)).await?,
    ))
}
