//! Notes to a child's care team on the web, and their 既読.

use axum::{
    extract::Path,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use tsunagu_domain::{access::Purpose, validation::Errors};
use tsunagu_store::{
    access,
    children::ChildId,
    notes::{self, Note},
    Page,
};

use crate::{
    extract::{Deferred, Form, Json as JsonBody},
    routing::Router,
    unit::Unit,
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
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<NoteFields>>,
) -> Result<Response, AppError> {
    let access = notes::may_post(&mut u, ChildId(id)).await?;
    let Form(form) = form.parse()?;
    let body = check(&form)?;
    notes::post(&mut u, &access, &body).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=saved#notes")).into_response())
}

/// The care team's notes with who has read them; reading them records the caller's 既読.
#[utoipa::path(get, path = "/api/v1/children/{id}/notes", tag = "children", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Note>), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_list(mut u: Unit, Path(id): Path<i64>) -> Result<Json<Page<Note>>, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Read, "care_note.read").await?;
    let items = notes::read(&mut u, &access)
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
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<NoteFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = notes::may_post(&mut u, ChildId(id)).await?;
    let JsonBody(body) = body.parse()?;
    let text = check(&body)?;
    let note = notes::post(&mut u, &access, &text).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": note }))))
}
