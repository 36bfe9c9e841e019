//! The web layer's one error type. A handler returns `Result<_, AppError>`; the error becomes
//! `{"error":{"code","message"}}` for the API, a Japanese page for the browser, or a fragment
//! when htmx asked, all decided in [`render_errors`] which knows the request.

use askama::Template;
use axum::{
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
    Json,
};
use serde::Serialize;
use tsunagu_domain::validation::{Errors, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not logged in")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    /// The user must set a new password before anything else.
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("validation failed")]
    Validation(Errors),
    #[error("conflict on {field}")]
    Conflict { field: String, message: String },
    /// `If-Match` names a version the record has moved on from (412): nothing was written.
    #[error("precondition failed: now version {current}")]
    PreconditionFailed { current: i64 },
    /// A change without `If-Match` (428): the API never overwrites blind.
    #[error("precondition required")]
    PreconditionRequired,
    #[error("too many requests")]
    TooManyRequests,
    /// A stored attachment failed its integrity check; it is never served.
    #[error("attachment tampered")]
    Tampered,
    /// The database did not answer in time: nothing was written; try again shortly.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut e = Errors::new();
        e.add(field, message);
        AppError::Validation(e)
    }

    fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf | AppError::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) | AppError::Tampered => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn body(&self) -> ErrorBody {
        let (code, message, fields) = match self {
            AppError::Unauthenticated => ("unauthenticated", "ログインしてください。".to_owned(), vec![]),
            AppError::Forbidden => ("forbidden", "この操作を行う権限がありません。".to_owned(), vec![]),
            AppError::PasswordChangeRequired => (
                "password_change_required",
                "パスワードの変更が必要です。画面からログインして新しいパスワードを設定してください。".to_owned(),
                vec![],
            ),
            AppError::NotFound => ("not_found", "お探しのページまたはデータは見つかりませんでした。".to_owned(), vec![]),
            AppError::BadRequest(m) => ("bad_request", m.clone(), vec![]),
            AppError::Csrf => (
                "csrf_failed",
                "画面の有効期限が切れたか、正しくない送信です。画面を開き直してもう一度お試しください。".to_owned(),
                vec![],
            ),
            AppError::Validation(errors) => (
                "validation_failed",
                errors
                    .all()
                    .first()
                    .map_or_else(|| "入力内容を確認してください。".to_owned(), |e| e.message.clone()),
                errors.all().to_vec(),
            ),
            AppError::Conflict { field, message } => (
                "conflict",
                message.clone(),
                vec![FieldError {
                    field: field.clone(),
                    message: message.clone(),
                }],
            ),
            AppError::PreconditionFailed { current } => (
                "precondition_failed",
                format!("ほかの人が先に変更しました（今の版は {current}）。読み直してから、もう一度変更してください。"),
                vec![],
            ),
            AppError::PreconditionRequired => (
                "precondition_required",
                "変更には If-Match で読んだときの ETag を付けてください（上書きを防ぐため）。".to_owned(),
                vec![],
            ),
            AppError::TooManyRequests => (
                "too_many_requests",
                "失敗が続いたため、しばらく受け付けを止めています。時間をおいてもう一度お試しください。".to_owned(),
                vec![],
            ),
            AppError::Tampered => (
                "attachment_tampered",
                "この添付ファイルは改ざんされているか壊れているため、開けません。管理者に連絡してください。".to_owned(),
                vec![],
            ),
            AppError::Unavailable(_) => (
                "database_unavailable",
                "データベースに一時的に接続できません。登録済みのデータは失われていません。しばらくしてから、もう一度お試しください。".to_owned(),
                vec![],
            ),
            AppError::Internal(_) => (
                "internal",
                "システムでエラーが起きました。時間をおいてもう一度お試しください。".to_owned(),
                vec![],
            ),
        };
        ErrorBody {
            code: code.to_owned(),
            message,
            field: fields.first().map(|f| f.field.clone()),
            fields,
            current_version: match self {
                AppError::PreconditionFailed { current } => Some(*current),
                _ => None,
            },
        }
    }
}

impl From<tsunagu_store::Error> for AppError {
    fn from(e: tsunagu_store::Error) -> Self {
        use tsunagu_store::Error as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::Forbidden => AppError::Forbidden,
            E::Unauthenticated => AppError::Unauthenticated,
            E::Closed => AppError::Conflict {
                field: "status".into(),
                message: "終結したケースは編集できません。先に再開してください。".into(),
            },
            E::Conflict(field) => AppError::Conflict {
                field: field.to_owned(),
                message: conflict_message(field),
            },
            E::Invalid { field, message } => AppError::invalid(field, message),
            E::Tampered(key) => {
                tracing::error!(storage_key = %key, "an attachment failed its integrity check");
                AppError::Tampered
            }
            E::Unavailable(detail) => AppError::Unavailable(detail),
            E::Stale { current } => AppError::PreconditionFailed { current },
            other => AppError::Internal(other.to_string()),
        }
    }
}

fn conflict_message(field: &str) -> String {
    match field {
        "login" => "このログインIDはすでに使われています。".to_owned(),
        "name" => "同じ名前のものがすでに登録されています。".to_owned(),
        _ => "同じ内容がすでに登録されています。".to_owned(),
    }
}

/// A store refusal that belongs beside a form field (a name already taken, a rule the data
/// breaks) joins the form's errors, so the form is shown again with what was typed; any other
/// error is the handler's to return.
pub fn into_form_errors(errors: &mut Errors, e: tsunagu_store::Error) -> Result<(), AppError> {
    match AppError::from(e) {
        AppError::Validation(found) => {
            for f in found.all() {
                errors.add(&f.field, f.message.clone());
            }
            Ok(())
        }
        AppError::Conflict { field, message } => {
            errors.add(&field, message);
            Ok(())
        }
        other => Err(other),
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

/// What an error says, carried in the response until [`render_errors`] writes it out.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// With `precondition_failed`: the record's version now (also its `ETag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            // The detail goes to the log only: it may name tables or values.
            tracing::error!(error = %detail, "internal error");
        }
        if let AppError::Unavailable(detail) = &self {
            tracing::warn!(error = %detail, "database unavailable");
        }
        let body = self.body();
        let mut response =
            (self.status(), Json(serde_json::json!({ "error": &body }))).into_response();
        if matches!(self, AppError::Unavailable(_)) {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
        response.extensions_mut().insert(body);
        response
    }
}

/// What a client is told to wait before trying again when the database did not answer.
const RETRY_AFTER_SECONDS: &str = "5";

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
    /// A form sent when the database did not answer: its fields, to send again as they were.
    resend: Option<Resend>,
}

/// A form's submission kept for sending again.
pub struct Resend {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "error_fragment.html")]
struct ErrorFragment<'a> {
    message: &'a str,
}

/// Gives every error the form its caller reads: JSON under `/api/`, otherwise a Japanese page
/// (or a fragment for htmx). Errors made outside Tsunagu's handlers (an unknown method, a body
/// too large) get the same treatment from their status.
pub async fn render_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let is_api = path.starts_with("/api/");
    let is_htmx = req.headers().contains_key("hx-request");
    // A form's fields are kept, so a page that could not be saved offers to send them again.
    let (req, kept) = keep_form(req, is_api).await;
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let body = match response.extensions().get::<ErrorBody>() {
        Some(body) => body.clone(),
        // A page or JSON a handler rendered with an error status on purpose (a form shown again
        // with its messages, the login page after a wrong password) goes out as it is.
        None if has_rendered_body(&response) => return response,
        None => from_status(status),
    };
    if is_api {
        if response.extensions().get::<ErrorBody>().is_some() {
            return response;
        }
        let mut fresh = (status, Json(serde_json::json!({ "error": &body }))).into_response();
        copy_header(&response, &mut fresh, header::ALLOW);
        return fresh;
    }
    if body.code == "unauthenticated" {
        // A page that needs a login sends the browser to the login page and back again.
        let target = format!("/login?next={}", encode_component(&path_and_query));
        let mut redirect = Redirect::to(&target).into_response();
        if is_htmx {
            // htmx follows HX-Redirect with a full page load instead of swapping the login page in.
            if let Ok(v) = HeaderValue::from_str(&target) {
                redirect.headers_mut().insert("hx-redirect", v);
            }
        }
        return redirect;
    }
    let html = if is_htmx {
        ErrorFragment {
            message: &body.message,
        }
        .render()
    } else {
        let resend = (body.code == "database_unavailable")
            .then(|| {
                kept.map(|fields| Resend {
                    action: path_and_query.clone(),
                    fields,
                })
            })
            .flatten();
        ErrorPage {
            title: title_for(status),
            message: &body.message,
            status: status.as_u16(),
            resend,
        }
        .render()
    };
    match html {
        Ok(html) => {
            let mut fresh = (status, Html(html)).into_response();
            copy_header(&response, &mut fresh, header::ALLOW);
            copy_header(&response, &mut fresh, header::RETRY_AFTER);
            fresh
        }
        Err(_) => response,
    }
}

/// The fields of a page's form submission (`POST`, `application/x-www-form-urlencoded`), read
/// and put back for the handler; none for anything else.
async fn keep_form(req: Request, is_api: bool) -> (Request, Option<Vec<(String, String)>>) {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_api || req.method() != axum::http::Method::POST || !is_form {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, crate::auth::FORM_LIMIT).await {
        Ok(bytes) => {
            let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .map(|fields| {
                    fields
                        .into_iter()
                        .filter(|(name, _)| !is_secret_field(name))
                        .collect()
                });
            (
                Request::from_parts(parts, axum::body::Body::from(bytes)),
                fields,
            )
        }
        // Too large to keep: the handler is told so as it would have been.
        Err(_) => (Request::from_parts(parts, axum::body::Body::empty()), None),
    }
}

/// Passwords and one-time codes: never written back into a page or kept for later.
pub(crate) fn is_secret_field(name: &str) -> bool {
    name.contains("password") || name == "code"
}

fn has_rendered_body(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"))
}

fn copy_header(from: &Response, to: &mut Response, name: header::HeaderName) {
    if let Some(v) = from.headers().get(&name) {
        to.headers_mut().insert(name, v.clone());
    }
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 405 | 413 | 415 | 422 => "送信内容を処理できませんでした",
        401 => "ログインが必要です",
        403 => "権限がありません",
        404 => "見つかりません",
        409 => "すでに登録されています",
        429 => "しばらくお待ちください",
        503 => "ただいま保存・表示ができません",
        _ => "エラーが発生しました",
    }
}

fn from_status(status: StatusCode) -> ErrorBody {
    let (code, message) = match status.as_u16() {
        400 => (
            "bad_request",
            "送信内容を読み取れませんでした。入力内容を確認してください。",
        ),
        401 => ("unauthenticated", "ログインしてください。"),
        403 => ("forbidden", "この操作を行う権限がありません。"),
        404 => (
            "not_found",
            "お探しのページまたはデータは見つかりませんでした。",
        ),
        405 => ("method_not_allowed", "この方法ではアクセスできません。"),
        413 => ("payload_too_large", "送信されたデータが大きすぎます。"),
        415 => (
            "unsupported_media_type",
            "送信されたデータの形式には対応していません。",
        ),
        422 => ("validation_failed", "入力内容を確認してください。"),
        429 => (
            "too_many_requests",
            "しばらく時間をおいてからお試しください。",
        ),
        503 => (
            "database_unavailable",
            "データベースに一時的に接続できません。登録済みのデータは失われていません。しばらくしてから、もう一度お試しください。",
        ),
        _ => (
            "internal",
            "システムでエラーが起きました。時間をおいてもう一度お試しください。",
        ),
    };
    ErrorBody {
        code: code.to_owned(),
        message: message.to_owned(),
        field: None,
        fields: vec![],
        current_version: None,
    }
}

/// Percent-encodes a string for a query parameter.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A panic in a handler is a bug: log it, answer 500, keep the server running.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    AppError::Internal("panic".into()).into_response()
}
