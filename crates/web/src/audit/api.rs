//! `/api/v1/audit-log`, for administrators.

use axum::{extract::State, routing::get};
use tsunagu_store::{
    audit::{self, Entry},
    Page,
};

use super::AuditQuery;
use crate::{
    auth::Auth,
    extract::{ListParams, Query},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/audit-log", get(search))
}

/// Search the audit log, newest first (administrators only).
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<Entry>), (status = 403, body = crate::api::ErrorResponse),
        (status = 422, body = crate::api::ErrorResponse)))]
pub async fn search(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Result<axum::Json<Page<Entry>>, AppError> {
    let paging = ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let filter = q.filter().map_err(AppError::Validation)?;
    Ok(axum::Json(audit::search(&state.db, &filter, paging).await?))
}
