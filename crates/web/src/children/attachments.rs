//! Attachments on the web: upload from the child's page (or the API), download through the
//! access path. Bytes are never served from a public path.

use axum::{
    extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Json,
};
use tsunagu_domain::{
    access::Purpose,
    files::{self, clean_file_name, FileType, MAX_ATTACHMENT_BYTES},
    AttachmentId, ConsultationId,
};
use tsunagu_store::{
    access,
    attachments::{self, Attachment},
    children::ChildId,
    Page,
};

use crate::{routing::Router, unit::Unit, AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/children/{id}/attachments",
            axum::routing::post(upload_form),
        )
        .route("/children/{id}/attachments/{attachment}", get(download))
        .route(
            "/api/v1/children/{id}/attachments",
            get(api_list).post(api_upload),
        )
        .route(
            "/api/v1/children/{id}/attachments/{attachment}",
            get(download),
        )
        .route(
            "/consultations/{id}/attachments",
            axum::routing::post(upload_to_consultation),
        )
        .route(
            "/consultations/{id}/attachments/{attachment}",
            get(download_from_consultation),
        )
        .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 1024 * 1024))
}

struct Upload {
    title: String,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, AppError> {
    let too_big = || {
        AppError::BadRequest(
            "ファイルを受け取れませんでした。大きさ（20MBまで）を確認してください。".into(),
        )
    };
    let mut upload = Upload {
        title: String::new(),
        file_name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(|_| too_big())? {
        match field.name() {
            Some("file") => {
                upload.file_name = clean_file_name(field.file_name().unwrap_or("file"));
                upload.bytes = field.bytes().await.map_err(|_| too_big())?.to_vec();
            }
            Some("title") => upload.title = field.text().await.map_err(|_| too_big())?,
            _ => {}
        }
    }
    if upload.bytes.is_empty() {
        return Err(AppError::invalid(
            "file",
            "添付するファイルを選んでください。",
        ));
    }
    let mut e = tsunagu_domain::validation::Errors::new();
    let title = e.optional_line("title", "書類の名前", &upload.title);
    e.into_result().map_err(AppError::Validation)?;
    // Without a title, the file's own name without its extension (which says nothing true).
    upload.title = title.unwrap_or_else(|| match upload.file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.trim().is_empty() => stem.to_owned(),
        _ => upload.file_name.clone(),
    });
    Ok(upload)
}

/// The upload of a request whose right to upload was already asked: read only then, so a
/// refusal comes first whatever the body holds.
async fn upload_of(state: &AppState, req: Request) -> Result<Upload, AppError> {
    let multipart = Multipart::from_request(req, state).await.map_err(|_| {
        AppError::BadRequest(
            "ファイルを受け取れませんでした。フォームの形式（multipart/form-data）を確認してください。"
                .into(),
        )
    })?;
    read_upload(multipart).await
}

/// Stores an upload for the child: who may change the record is asked before the upload is
/// read at all.
async fn store(
    state: &AppState,
    u: &mut Unit,
    child: i64,
    req: Request,
) -> Result<AttachmentId, AppError> {
    let access = access::child(u, ChildId(child), Purpose::Write, "attachment.upload").await?;
    let upload = upload_of(state, req).await?;
    let file = attachments::NewAttachment {
        title: &upload.title,
        bytes: &upload.bytes,
    };
    Ok(attachments::upload(u, &state.blobs, &access, &file).await?)
}

async fn upload_form(
    State(state): State<AppState>,
    mut u: Unit,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    store(&state, &mut u, id, req).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=attached#documents")).into_response())
}

/// Upload a PDF, JPEG or PNG (multipart fields `file` and `title`; at most 20 MB).
#[utoipa::path(post, path = "/api/v1/children/{id}/attachments", tag = "children", params(("id" = i64, Path)),
    request_body(content_type = "multipart/form-data", description = "fields: file, title"),
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_upload(
    State(state): State<AppState>,
    mut u: Unit,
    Path(id): Path<i64>,
    req: Request,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let attachment = store(&state, &mut u, id, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "id": attachment })),
    ))
}

/// The child's attachments (empty when the caller's share does not include documents).
#[utoipa::path(get, path = "/api/v1/children/{id}/attachments", tag = "children", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Attachment>), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_list(
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Json<Page<Attachment>>, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Read, "attachment.list").await?;
    let items = attachments::list(&mut u, &access).await?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}

async fn download(
    State(state): State<AppState>,
    mut u: Unit,
    Path((id, attachment)): Path<(i64, AttachmentId)>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Read, "attachment.read").await?;
    let (a, bytes) = attachments::download(&mut u, &state.blobs, &access, attachment).await?;
    file_response(&a, bytes)
}

async fn upload_to_consultation(
    State(state): State<AppState>,
    mut u: Unit,
    Path(id): Path<ConsultationId>,
    req: Request,
) -> Result<Response, AppError> {
    tsunagu_store::consultations::authorize(&mut u, id, Purpose::Write, "attachment.upload")
        .await?;
    let upload = upload_of(&state, req).await?;
    let file = attachments::NewAttachment {
        title: &upload.title,
        bytes: &upload.bytes,
    };
    attachments::upload_to_consultation(&mut u, &state.blobs, id, &file).await?;
    Ok(Redirect::to(&format!("/consultations/{id}?notice=attached")).into_response())
}

async fn download_from_consultation(
    State(state): State<AppState>,
    mut u: Unit,
    Path((id, attachment)): Path<(ConsultationId, AttachmentId)>,
) -> Result<Response, AppError> {
    let (a, bytes) =
        attachments::download_for_consultation(&mut u, &state.blobs, id, attachment).await?;
    file_response(&a, bytes)
}

fn file_response(a: &Attachment, bytes: Vec<u8>) -> Result<Response, AppError> {
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&a.content_type).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    // Always a download named for what the bytes are (files stored before names were made
    // from the title keep theirs, with the right extension added).
    let kind = FileType::of_content_type(&a.content_type)
        .ok_or_else(|| AppError::Internal(format!("stored type {}", a.content_type)))?;
    let name = files::stored_name(&a.file_name, kind);
    let encoded = crate::error::encode_component(&name).replace('/', "%2F");
    let disposition = format!(
        "attachment; filename=\"document.{}\"; filename*=UTF-8''{encoded}",
        kind.extension()
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(response)
}
