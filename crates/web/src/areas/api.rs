//! `/api/v1/regions`, `/api/v1/municipalities`, `/api/v1/areas`.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use serde::Deserialize;
use tsunagu_domain::{validation::Errors, AreaId};
use tsunagu_store::{
    areas::{self, AreaDetail, Municipality, Region},
    Page,
};
use utoipa::ToSchema;

use super::area_input;
use crate::{
    auth::{Admin, Auth, Meta},
    extract::{Json, ListParams, Query},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

/// Master data every logged-in user may read.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/regions", get(regions))
        .route("/api/v1/municipalities", get(municipalities))
        .route("/api/v1/areas", get(list).post(create))
        .route("/api/v1/areas/{id}", get(show).put(update))
}

/// The prefecture's health-welfare regions (圏域).
#[utoipa::path(get, path = "/api/v1/regions", tag = "areas",
    responses((status = 200, body = Page<Region>), (status = 401, body = crate::api::ErrorResponse)))]
pub async fn regions(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
) -> Result<axum::Json<Page<Region>>, AppError> {
    let items = areas::regions(&state.db).await?;
    Ok(axum::Json(Page {
        total: items.len() as i64,
        items,
    }))
}

/// Municipalities; `q` matches name or reading in any kana.
#[utoipa::path(get, path = "/api/v1/municipalities", tag = "areas", params(ListParams),
    responses((status = 200, body = Page<Municipality>), (status = 401, body = crate::api::ErrorResponse)))]
pub async fn municipalities(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<Page<Municipality>>, AppError> {
    Ok(axum::Json(
        areas::municipalities(&state.db, params.q(), params.paging()?).await?,
    ))
}

/// Areas with their municipalities.
#[utoipa::path(get, path = "/api/v1/areas", tag = "areas", params(ListParams),
    responses((status = 200, body = Page<AreaDetail>), (status = 401, body = crate::api::ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
    Query(params): Query<ListParams>,
) -> Result<axum::Json<Page<AreaDetail>>, AppError> {
    Ok(axum::Json(
        areas::areas(&state.db, params.q(), params.paging()?).await?,
    ))
}

/// One area.
#[utoipa::path(get, path = "/api/v1/areas/{id}", tag = "areas", params(("id" = i64, Path)),
    responses((status = 200, body = AreaDetail), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn show(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
    Path(id): Path<i64>,
) -> Result<axum::Json<AreaDetail>, AppError> {
    Ok(axum::Json(areas::area(&state.db, AreaId(id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateArea {
    pub name: String,
    #[serde(default)]
    pub kana: String,
    #[serde(default)]
    pub note: String,
    pub municipality_ids: Vec<i64>,
    #[serde(default = "yes")]
    pub active: bool,
    /// Who runs the area and for whom.
    #[serde(flatten)]
    pub operation: super::Operation,
}

fn yes() -> bool {
    true
}

impl CreateArea {
    /// The area as the store takes it, every problem at once (422).
    fn checked(&self) -> Result<tsunagu_store::areas::AreaInput, AppError> {
        let mut errors = Errors::new();
        let ids: Vec<String> = self.municipality_ids.iter().map(i64::to_string).collect();
        let input = area_input(
            &mut errors,
            &self.name,
            &self.kana,
            &self.note,
            &ids,
            self.active,
            &self.operation,
        );
        errors.into_result().map_err(AppError::Validation)?;
        Ok(input)
    }
}

/// Create an area (administrators only).
#[utoipa::path(post, path = "/api/v1/areas", tag = "areas", request_body = CreateArea,
    responses((status = 201, body = AreaDetail), (status = 403, body = crate::api::ErrorResponse), (status = 409, body = crate::api::ErrorResponse),
        (status = 422, body = crate::api::ErrorResponse)))]
pub async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    Admin(auth): Admin,
    Json(body): Json<CreateArea>,
) -> Result<(StatusCode, axum::Json<AreaDetail>), AppError> {
    let input = body.checked()?;
    let mut tx = state.db.begin().await?;
    let id = areas::create_area(&mut tx, &meta, Some(&auth.actor), &input).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(areas::area(&state.db, id).await?),
    ))
}

/// Change an area: its municipalities, who runs it (委託先), its eligibility note and caseload
/// limit (administrators only). The body is the same as for creating one.
#[utoipa::path(put, path = "/api/v1/areas/{id}", tag = "areas", params(("id" = i64, Path)), request_body = CreateArea,
    responses((status = 200, body = AreaDetail), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    Admin(auth): Admin,
    Path(id): Path<i64>,
    Json(body): Json<CreateArea>,
) -> Result<axum::Json<AreaDetail>, AppError> {
    let input = body.checked()?;
    let id = AreaId(id);
    let mut tx = state.db.begin().await?;
    areas::update_area(&mut tx, &meta, &auth.actor, id, &input).await?;
    tx.commit().await?;
    Ok(axum::Json(areas::area(&state.db, id).await?))
}
