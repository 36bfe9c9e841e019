//! Drafts of long forms, saved as they are typed: a form marked `data-draft` sends its fields
//! here a moment after each change, offers the saved draft back when it is opened again, and
//! discards it when sent. The page says so beside the form.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json,
};
use serde::{Deserialize, Serialize};
use tsunagu_store::drafts;

use crate::{
    error::is_secret_field,
    extract::{Json as JsonBody, Query},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/drafts", get(load).post(save))
        .route("/drafts/discard", post(discard))
}

#[derive(Deserialize)]
struct KeyQuery {
    key: String,
}

#[derive(Serialize)]
struct DraftView {
    fields: Vec<(String, String)>,
    /// 2026年12月6日 9:05, as the page says when it offers the draft back.
    saved_at: String,
}

/// The user's draft of the form at `key`: 200 with its fields, 204 when there is none.
async fn load(mut u: Unit, Query(q): Query<KeyQuery>) -> Result<Response, AppError> {
    match drafts::load(&mut u, &q.key).await? {
        Some(d) => Ok(Json(DraftView {
            fields: d.fields,
            saved_at: tsunagu_domain::japanese_date::format_datetime(d.saved_at),
        })
        .into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

#[derive(Deserialize)]
struct SaveBody {
    key: String,
    fields: Vec<(String, String)>,
}

/// Saves the user's draft; the page's token and any password are never kept.
async fn save(mut u: Unit, JsonBody(body): JsonBody<SaveBody>) -> Result<StatusCode, AppError> {
    let fields: Vec<(String, String)> = body
        .fields
        .into_iter()
        .filter(|(name, _)| name != "csrf_token" && !is_secret_field(name))
        .collect();
    drafts::save(&mut u, &body.key, &fields).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DiscardBody {
    key: String,
}

async fn discard(
    mut u: Unit,
    JsonBody(body): JsonBody<DiscardBody>,
) -> Result<StatusCode, AppError> {
    drafts::discard(&mut u, &body.key).await?;
    Ok(StatusCode::NO_CONTENT)
}
