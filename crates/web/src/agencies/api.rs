//! `/api/v1/agencies` and `/api/v1/agency-kinds`: the directory for other programs. The list takes
//! the screen's filters; `Accept: text/csv` answers the screen's CSV.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json,
};
use tsunagu_domain::{
    directory::{directory_access, DirectoryAccess},
    AgencyId,
};
use tsunagu_store::{
    agencies::{self, AgencyDetail, AgencyKind},
    Page,
};

use super::{html::csv_response, to_csv, validate, AgencyFields, FilterParams, Lookups};
use crate::{
    auth::{Auth, Meta},
    extract::{Deferred, Json as JsonBody, Query},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agencies", get(list).post(create))
        .route("/api/v1/agencies/{id}", get(show).put(update))
        .route("/api/v1/agency-kinds", get(kinds))
}

fn may_read(auth: &Auth) -> Result<(), AppError> {
    match directory_access(&auth.actor) {
        DirectoryAccess::Read => Ok(()),
        DirectoryAccess::CountsOnly => Err(AppError::Forbidden),
    }
}

/// Agencies matching the filters (no area filter unless `area_id` is given).
#[utoipa::path(get, path = "/api/v1/agencies", tag = "directory", params(FilterParams),
    responses((status = 200, body = Page<tsunagu_store::agencies::Agency>, description = "JSON, or CSV with Accept: text/csv"),
        (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    headers: HeaderMap,
    Query(f): Query<FilterParams>,
) -> Result<Response, AppError> {
    may_read(&auth)?;
    let filter = f.filter(None)?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    if wants_csv {
        let all = agencies::list(
            &state.db,
            &filter,
            tsunagu_store::Paging {
                limit: super::MAX_ROWS as i64,
                offset: 0,
            },
        )
        .await?;
        return csv_response(to_csv(&all.items)?);
    }
    Ok(Json(agencies::list(&state.db, &filter, f.paging()?).await?).into_response())
}

/// One agency with its areas, staff and councils.
#[utoipa::path(get, path = "/api/v1/agencies/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = AgencyDetail), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn show(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<AgencyDetail>, AppError> {
    may_read(&auth)?;
    Ok(Json(agencies::get(&state.db, AgencyId(id)).await?))
}

async fn checked(
    state: &AppState,
    fields: &AgencyFields,
    except: Option<i64>,
) -> Result<tsunagu_store::agencies::AgencyInput, AppError> {
    let lookups = Lookups::load(&state.db).await?;
    let (input, mut errors) = validate(fields, &lookups);
    if errors.is_empty() {
        if let Some(dup) =
            agencies::find_duplicate(&state.db, &input.name, input.address.as_deref()).await?
        {
            if Some(dup.id.0) != except {
                errors.add("name", "同じ名称・住所の機関がすでに登録されています。");
            }
        }
    }
    errors.into_result().map_err(AppError::Validation)?;
    Ok(input)
}

/// Register an agency (coordinators and supervisors in their areas, admins anywhere).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "directory", request_body = AgencyFields,
    responses((status = 201, body = AgencyDetail), (status = 403, body = crate::api::ErrorResponse),
        (status = 422, body = crate::api::ErrorResponse)))]
pub async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    body: Deferred<JsonBody<AgencyFields>>,
) -> Result<(StatusCode, Json<AgencyDetail>), AppError> {
    agencies::may_change(&state.db, &meta, &auth.actor, None).await?;
    let JsonBody(fields) = body.parse()?;
    let input = checked(&state, &fields, None).await?;
    let id = agencies::create(&state.db, &meta, &auth.actor, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(agencies::get(&state.db, id).await?),
    ))
}

/// Replace an agency's fields.
#[utoipa::path(put, path = "/api/v1/agencies/{id}", tag = "directory", params(("id" = i64, Path)), request_body = AgencyFields,
    responses((status = 200, body = AgencyDetail), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<AgencyFields>>,
) -> Result<Json<AgencyDetail>, AppError> {
    agencies::may_change(&state.db, &meta, &auth.actor, Some(AgencyId(id))).await?;
    let JsonBody(fields) = body.parse()?;
    let input = checked(&state, &fields, Some(id)).await?;
    agencies::update(&state.db, &meta, &auth.actor, AgencyId(id), &input).await?;
    Ok(Json(agencies::get(&state.db, AgencyId(id)).await?))
}

/// The agency kinds and their sectors.
#[utoipa::path(get, path = "/api/v1/agency-kinds", tag = "directory",
    responses((status = 200, body = Page<AgencyKind>)))]
pub async fn kinds(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
) -> Result<Json<Page<AgencyKind>>, AppError> {
    let items = agencies::kinds(&state.db).await?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}
