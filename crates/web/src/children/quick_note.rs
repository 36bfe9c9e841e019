//! The quick note of a visit, from the child's page on a phone: a few lines and, if wanted, a
//! photo from the camera (a whiteboard, a letter from the nursery). It is recorded as a
//! consultation by visit (訪問) about the child, the photo as its encrypted attachment, in the
//! area's record like any other consultation. The page's script keeps a note on the device
//! when the connection drops and sends it when it returns.

use axum::{
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State},
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use time::OffsetDateTime;
use tsunagu_domain::{
    access::Purpose,
    children::REQUESTERS,
    files::{self, MAX_ATTACHMENT_BYTES},
    validation::Errors,
};
use tsunagu_store::{
    access, attachments,
    children::ChildId,
    consultations::{self, ConsultationInput},
};

use crate::{auth::Auth, routing::Router, unit::Unit, AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/quick-note", post(save))
        .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 1024 * 1024))
}

#[derive(Default)]
struct QuickNote {
    note: String,
    requester: String,
    photo: Vec<u8>,
}

async fn read(mut multipart: Multipart) -> Result<QuickNote, AppError> {
    let unreadable = || {
        AppError::BadRequest(
            "メモを受け取れませんでした。写真の大きさ（20MBまで）を確認してください。".into(),
        )
    };
    let mut found = QuickNote::default();
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        match field.name() {
            Some("note") => found.note = field.text().await.map_err(|_| unreadable())?,
            Some("requester") => found.requester = field.text().await.map_err(|_| unreadable())?,
            Some("photo") => found.photo = field.bytes().await.map_err(|_| unreadable())?.to_vec(),
            _ => {}
        }
    }
    Ok(found)
}

/// Records the note (and its photo) in one go; a photo that is not a readable picture is
/// refused before anything is written.
async fn save(
    State(state): State<AppState>,
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    if auth.actor.role != tsunagu_domain::Role::Coordinator {
        return Err(AppError::Forbidden);
    }
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "consultation.create").await?;
    let multipart = Multipart::from_request(req, &state)
        .await
        .map_err(|_| AppError::BadRequest("メモを受け取れませんでした。".into()))?;
    let found = read(multipart).await?;
    let mut e = Errors::new();
    let note = e
        .optional_text("note", "メモ", &found.note)
        .unwrap_or_default();
    if note.is_empty() {
        e.add("note", "メモを入力してください。");
    }
    if !found.photo.is_empty()
        && !matches!(
            files::detect(&found.photo),
            Ok(files::FileType::Jpeg | files::FileType::Png)
        )
    {
        e.add("photo", "写真はJPEGかPNGの画像にしてください。");
    }
    e.into_result().map_err(AppError::Validation)?;
    let requester = if REQUESTERS.contains(&found.requester.as_str()) {
        found.requester
    } else {
        "保護者".to_owned()
    };
    let input = ConsultationInput {
        area_id: access.area(),
        child_id: Some(ChildId(id)),
        at: tsunagu_store::db::normalize_timestamp(OffsetDateTime::now_utc()),
        channel: "訪問".to_owned(),
        requester,
        requester_agency_id: None,
        caller: None,
        concern: note,
        action_taken: None,
        minutes: None,
        follow_up_on: None,
        category_ids: vec![],
    };
    if found.photo.is_empty() {
        consultations::create(&mut u, &input, Some(&access)).await?;
    } else {
        let photo = attachments::NewAttachment {
            title: "訪問時の写真",
            bytes: &found.photo,
        };
        consultations::create_with_photo(&mut u, &state.blobs, &input, &access, &photo).await?;
    }
    Ok(Redirect::to(&format!(
        "/children/{id}?notice=quick_note_saved#consultations"
    ))
    .into_response())
}
