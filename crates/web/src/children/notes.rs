//! Notes to a child's care team on the web, and their 既読.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use tsunagu_domain::validation::Errors;
use tsunagu_store::{
    children::ChildId,
    notes::{self, Note},
    Page,
};

use crate::{
    auth::{Auth, Meta},
    extract::{Form, Json as JsonBody},
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/notes", post(post_form))
        .route("/api/v1/children/{id}/notes", get(api_list).post(api_post))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct NoteFields {
    pub body: String,
}

fn check(f: &NoteFields) -> Result<String, AppError> {
    let mut e = Errors::new();
    let body = e
        .optional_text("body", "連絡の内容", &f.body)
        .unwrap_or_default();
    if body.is_empty() {
        e.add("body", "連絡の内容を入力してください。");
    }
    e.into_result().map_err(AppError::Validation)?;
    Ok(body)
}

async fn post_form(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<NoteFields>,
) -> Result<Response, AppError> {
    let body = check(&form)?;
    notes::post(&state.db, &meta, &auth.actor, ChildId(id), &body).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=saved#notes")).into_response())
}

/// The care team's notes with who has read them; reading them records the caller's 既読.
#[utoipa::path(get, path = "/api/v1/children/{id}/notes", tag = "children", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Note>), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_list(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Json<Page<Note>>, AppError> {
    let items = notes::read(&state.db, &meta, &auth.actor, ChildId(id))
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}

/// Post a note to the care team (the area's coordinators, member agencies' staff).
#[utoipa::path(post, path = "/api/v1/children/{id}/notes", tag = "children", params(("id" = i64, Path)), request_body = NoteFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_post(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    JsonBody(body): JsonBody<NoteFields>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let text = check(&body)?;
    let note = notes::post(&state.db, &meta, &auth.actor, ChildId(id), &text).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": note }))))
}
