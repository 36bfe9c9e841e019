//! The second factor: the code asked after the password, enrolling an authenticator app (QR
//! code, then ten recovery codes shown once), new recovery codes, and an administrator's reset
//! for a lost phone.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use time::OffsetDateTime;
use tsunagu_domain::UserId;
use tsunagu_store::{
    second_factor::{self, Checked, Enrolment},
    sessions, users,
};

use crate::{
    auth::{Auth, Meta, Via, SECOND_FACTOR_ACCOUNT, SECOND_FACTOR_LOGIN},
    extract::{Form, Query},
    layout::{filters, Layout},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(SECOND_FACTOR_LOGIN, get(code_page).post(check_code))
        .route(SECOND_FACTOR_ACCOUNT, get(status_page))
        .route("/account/second-factor/start", post(start))
        .route("/account/second-factor/confirm", post(confirm))
        .route("/account/second-factor/recovery-codes", post(renew_codes))
}

/// The administrator's reset, mounted under the admin routes.
pub fn admin_router() -> Router<AppState> {
    Router::new().route(
        "/admin/users/{id}/second-factor",
        get(confirm_reset).post(reset),
    )
}

#[derive(Template)]
#[template(path = "account/second_factor_code.html")]
struct CodePage {
    layout: Layout,
    next: String,
    error: Option<&'static str>,
}

#[derive(Deserialize, Default)]
struct NextQuery {
    next: Option<String>,
    notice: Option<String>,
}

fn pending_cookie(auth: &Auth) -> Option<&str> {
    match &auth.via {
        Via::Session {
            cookie,
            second_factor_pending: true,
            ..
        } => Some(cookie),
        _ => None,
    }
}

async fn code_page(auth: Auth, Query(q): Query<NextQuery>) -> Result<Response, AppError> {
    let next = super::safe_next(q.next.as_deref());
    if pending_cookie(&auth).is_none() {
        return Ok(Redirect::to(&next).into_response());
    }
    let page = CodePage {
        layout: Layout::anonymous("確認コードの入力", auth.csrf_token()),
        next,
        error: None,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

async fn check_code(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let next = super::safe_next(form.next.as_deref());
    let Some(cookie) = pending_cookie(&auth) else {
        return Ok(Redirect::to(&next).into_response());
    };
    let refused = |status: StatusCode, error: &'static str| -> Result<Response, AppError> {
        let page = CodePage {
            layout: Layout::anonymous("確認コードの入力", auth.csrf_token()),
            next: next.clone(),
            error: Some(error),
        };
        Ok((status, Html(page.render()?)).into_response())
    };
    if form.code.trim().is_empty() || form.code.len() > 64 {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "認証アプリに表示されている6桁の確認コードを入力してください。",
        );
    }
    match second_factor::check_login(&state.db, &meta, &auth.user, &form.code).await? {
        Checked::Code => {
            sessions::complete_second_factor(&state.db, cookie).await?;
            Ok(Redirect::to(&next).into_response())
        }
        Checked::RecoveryCode { .. } => {
            sessions::complete_second_factor(&state.db, cookie).await?;
            Ok(Redirect::to(&format!("{SECOND_FACTOR_ACCOUNT}?notice=recovery_code_used"))
                .into_response())
        }
        Checked::Wrong => refused(
            StatusCode::UNAUTHORIZED,
            "確認コードが正しくありません。認証アプリの最新のコードを入力してください（使用済みのコードは使えません）。",
        ),
        Checked::Locked => {
            sessions::end(&state.db, &meta, cookie, &auth.user).await?;
            refused(
                StatusCode::TOO_MANY_REQUESTS,
                "確認コードの誤りが続いたため、このアカウントは一時的にロックされています。15分ほどおいてから、ログインし直してください。",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "account/second_factor.html")]
struct StatusPage {
    layout: Layout,
    enabled_at: Option<OffsetDateTime>,
    codes_left: i64,
    required: bool,
}

async fn status_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<NextQuery>,
) -> Result<Html<String>, AppError> {
    let page = StatusPage {
        layout: Layout::page(&auth, "二段階認証", "").with_notice(q.notice.as_deref()),
        enabled_at: second_factor::enabled_at(&state.db, auth.user.id).await?,
        codes_left: second_factor::recovery_codes_left(&state.db, auth.user.id).await?,
        required: state.config.require_second_factor && auth.user.role.needs_second_factor(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "account/second_factor_enrol.html")]
struct EnrolPage {
    layout: Layout,
    enrolment: Enrolment,
    qr_svg: String,
    error: Option<&'static str>,
}

/// The QR code of an `otpauth://` address as inline SVG (black modules on white, with its quiet zone).
fn qr_svg(content: &str) -> Result<String, AppError> {
    let code = qrcode::QrCode::with_error_correction_level(content, qrcode::EcLevel::M)
        .map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

async fn enrol_page(
    auth: &Auth,
    enrolment: Enrolment,
    error: Option<&'static str>,
) -> Result<String, AppError> {
    let page = EnrolPage {
        layout: Layout::page(auth, "二段階認証の設定", ""),
        qr_svg: qr_svg(&enrolment.url)?,
        enrolment,
        error,
    };
    Ok(page.render()?)
}

async fn start(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
) -> Result<Response, AppError> {
    if auth.user.second_factor_enabled {
        return Ok(Redirect::to(SECOND_FACTOR_ACCOUNT).into_response());
    }
    let enrolment = second_factor::start_enrolment(&state.db, &meta, &auth.user).await?;
    Ok(Html(enrol_page(&auth, enrolment, None).await?).into_response())
}

#[derive(Template)]
#[template(path = "account/recovery_codes.html")]
struct CodesPage {
    layout: Layout,
    codes: Vec<String>,
    first_time: bool,
}

async fn confirm(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some(pending) = second_factor::pending_enrolment(&state.db, &auth.user).await? else {
        return Ok(Redirect::to(SECOND_FACTOR_ACCOUNT).into_response());
    };
    match second_factor::confirm_enrolment(&state.db, &meta, &auth.user, &form.code).await? {
        Some(codes) => {
            let page = CodesPage {
                layout: Layout::page(&auth, "復旧コード", ""),
                codes,
                first_time: true,
            };
            Ok(Html(page.render()?).into_response())
        }
        None => {
            let error = if form.code.trim().is_empty() {
                "認証アプリに表示された6桁の確認コードを入力してください。"
            } else {
                "確認コードが正しくありません。端末の時刻が合っているか確かめ、最新のコードを入力してください。"
            };
            let html = enrol_page(&auth, pending, Some(error)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response())
        }
    }
}

async fn renew_codes(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
) -> Result<Response, AppError> {
    if !auth.user.second_factor_enabled {
        return Ok(Redirect::to(SECOND_FACTOR_ACCOUNT).into_response());
    }
    let codes = second_factor::renew_recovery_codes(&state.db, &meta, &auth.user).await?;
    let page = CodesPage {
        layout: Layout::page(&auth, "復旧コード", ""),
        codes,
        first_time: false,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "admin/user_second_factor.html")]
struct ResetPage {
    layout: Layout,
    user: users::User,
}

async fn confirm_reset(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let user = users::get(&state.db, UserId(id)).await?;
    let page = ResetPage {
        layout: Layout::page(&auth, "二段階認証のリセット", "/admin/users"),
        user,
    };
    Ok(Html(page.render()?))
}

async fn reset(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    second_factor::reset(&state.db, &meta, &auth.actor, UserId(id)).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}?notice=second_factor_reset")).into_response())
}
