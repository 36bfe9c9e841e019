//! Logging in and out, the first administrator's setup link, and changing one's own password.

pub mod notifications;
pub mod second_factor;

use askama::Template;
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tsunagu_domain::{validation::Errors, Role};
use tsunagu_store::{
    sessions, setup, throttle,
    users::{self, LoginRefusal, NewUser},
};

use crate::{
    auth::{self, Auth, Meta, Via, CSRF_COOKIE, SESSION_COOKIE},
    error::into_form_errors,
    extract::{Form, Query},
    layout::{filters, Layout},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(second_factor::router())
        .route("/login", get(login_page).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/setup/{token}", get(setup_page).post(setup_submit))
        .route(
            "/account/password",
            get(password_page).post(change_password),
        )
        .route(
            "/account/tokens/{id}/revoke",
            axum::routing::post(revoke_own_token),
        )
        .route("/account/session", axum::routing::post(extend_session))
        .route("/resume/{token}", get(resume))
}

/// 「延長する」: the session counts as active now. Answers 204 (the page stays as it is).
async fn extend_session(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<StatusCode, AppError> {
    if let Via::Session { cookie, .. } = &auth.via {
        sessions::extend(&state.db, cookie).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Template)]
#[template(path = "account/resume.html")]
struct ResumePage {
    layout: Layout,
    action: String,
    fields: Vec<(String, String)>,
}

/// After logging in again: the form that was sent when the session had ended goes on to where
/// it was sent, with this session's token (sent by the page itself; a button without script).
async fn resume(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let form = tsunagu_store::pending_forms::take(&state.db, auth.actor.user_id, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = ResumePage {
        layout: Layout::page(&auth, "入力した内容の送信", ""),
        action: safe_next(Some(&form.path)),
        fields: form.fields,
    };
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_path_on_this_site_or_the_home_page() {
        for (next, expected) in [
            ("/ok", "/ok"),
            ("/children/3?tab=plan", "/children/3?tab=plan"),
            ("/\t/evil.example/", "/"),
            ("/%09/evil.example/", "/"),
            ("/\n", "/"),
            ("/%0a", "/"),
            ("//x", "/"),
            ("/\\x", "/"),
            ("/%5Cx", "/"),
            ("/%2F/x", "/"),
            ("%2F%2Fx", "/"),
            ("https://x", "/"),
            ("/a b", "/"),
            ("", "/"),
        ] {
            assert_eq!(safe_next(Some(next)), expected, "{next:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    layout: Layout,
    login: String,
    next: String,
    error: Option<&'static str>,
}

impl LoginPage {
    fn no_error(&self) -> Option<&str> {
        None
    }
}

#[derive(Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
}

/// Only a path on this site: one leading `/`, never `//other.example`, a backslash (which
/// browsers read as `/`), a full URL, or any control character or white space, as sent or
/// percent-decoded (a tab in `/\t/evil.example` is dropped by browsers, leaving `//`).
/// Anything else goes to `/`.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    fn plain(path: &str) -> bool {
        path.starts_with('/')
            && !path.starts_with("//")
            && !path.contains('\\')
            && !path.chars().any(|c| c.is_control() || c.is_whitespace())
    }
    match next {
        Some(n) if n.len() < 2000 && plain(n) => {
            let decoded = percent_encoding::percent_decode_str(n).decode_utf8_lossy();
            if plain(&decoded) {
                n.to_owned()
            } else {
                "/".to_owned()
            }
        }
        _ => "/".to_owned(),
    }
}

/// The pre-session CSRF token: the one in the cookie, or a new one to set.
fn anonymous_csrf(state: &AppState, headers: &HeaderMap) -> (String, bool) {
    match auth::our_cookie(state, headers, CSRF_COOKIE) {
        Some(token) => (token, false),
        None => (tsunagu_store::secret::random_token(), true),
    }
}

fn with_csrf_cookie(
    state: &AppState,
    headers: &HeaderMap,
    token: &str,
    is_new: bool,
    mut response: Response,
) -> Response {
    if is_new {
        let cookie = auth::set_cookie(CSRF_COOKIE, token, auth::is_https(state, headers), false);
        if let Ok(v) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

async fn login_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    headers: HeaderMap,
    auth: Option<Auth>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    if auth.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let (token, is_new) = anonymous_csrf(&state, &headers);
    let page = LoginPage {
        layout: Layout::anonymous("ログイン", &token).with_notice(q.notice.as_deref()),
        login: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
    };
    Ok(with_csrf_cookie(
        &state,
        &headers,
        &token,
        is_new,
        Html(page.render()?).into_response(),
    ))
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let addr = meta.client_addr.clone().unwrap_or_else(|| "unknown".into());
    let (token, _) = anonymous_csrf(&state, &headers);
    let refused = |status: StatusCode, error: &'static str| -> Result<Response, AppError> {
        let page = LoginPage {
            layout: Layout::anonymous("ログイン", &token),
            login: form.login.chars().take(64).collect(),
            next: safe_next(form.next.as_deref()),
            error: Some(error),
        };
        Ok((status, Html(page.render()?)).into_response())
    };
    if throttle::blocked_until(&state.db, &addr).await?.is_some() {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "ログインの失敗が続いたため、この端末からの受け付けを一時的に止めています。15分ほどおいてからお試しください。",
        );
    }
    let login = form.login.trim();
    if login.is_empty()
        || form.password.is_empty()
        || login.len() > 64
        || form.password.len() > 1024
    {
        return refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "ログインIDとパスワードを入力してください。",
        );
    }
    match users::authenticate(&state.db, &meta, login, &form.password).await? {
        Ok(user) => {
            // The address keeps its count: a success with one account (the attacker's own)
            // must not wipe the failures against others. The account's own count was reset.
            let pending = user.second_factor_enabled;
            let session = sessions::create(&state.db, &meta, &user, pending).await?;
            let secure = auth::is_https(&state, &headers);
            let next = safe_next(form.next.as_deref());
            let target = if pending {
                format!(
                    "{}?next={}",
                    auth::SECOND_FACTOR_LOGIN,
                    crate::layout::qs(&next)
                )
            } else if user.must_change_password {
                "/account/password".to_owned()
            } else {
                next
            };
            let mut response = Redirect::to(&target).into_response();
            let h = response.headers_mut();
            if let Ok(v) = auth::set_cookie(SESSION_COOKIE, &session.cookie, secure, false).parse()
            {
                h.append(header::SET_COOKIE, v);
            }
            Ok(response)
        }
        Err(refusal) => {
            throttle::record_failure(&state.db, &addr).await?;
            let message = match refusal {
                LoginRefusal::Locked => {
                    "ログインの失敗が続いたため、このアカウントは一時的にロックされています。15分ほどおいてからお試しください。"
                }
                LoginRefusal::BadCredentials | LoginRefusal::Disabled => {
                    "ログインIDまたはパスワードが正しくありません。"
                }
            };
            refused(StatusCode::UNAUTHORIZED, message)
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    headers: HeaderMap,
    auth: Option<Auth>,
) -> Result<Response, AppError> {
    if let Some(Auth {
        user,
        via: Via::Session { cookie, .. },
        ..
    }) = &auth
    {
        sessions::end(&state.db, &meta, cookie, user).await?;
    }
    let mut response = Redirect::to("/login?notice=logged_out").into_response();
    let secure = auth::is_https(&state, &headers);
    if let Ok(v) = auth::set_cookie(SESSION_COOKIE, "", secure, true).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "account/setup.html")]
struct SetupPage {
    layout: Layout,
    token: String,
    form: SetupForm,
    errors: Errors,
}

#[derive(Deserialize, Default)]
struct SetupForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

async fn setup_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    if !setup::is_valid(&state.db, &token).await? {
        return Err(AppError::NotFound);
    }
    let (csrf, is_new) = anonymous_csrf(&state, &headers);
    let page = SetupPage {
        layout: Layout::anonymous("初期設定：管理者の作成", &csrf),
        token,
        form: SetupForm::default(),
        errors: Errors::new(),
    };
    Ok(with_csrf_cookie(
        &state,
        &headers,
        &csrf,
        is_new,
        Html(page.render()?).into_response(),
    ))
}

async fn setup_submit(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(mut form): Form<SetupForm>,
) -> Result<Response, AppError> {
    if !setup::is_valid(&state.db, &token).await? {
        return Err(AppError::NotFound);
    }
    let mut errors = Errors::new();
    let display_name = errors.required_line("display_name", "氏名", &form.display_name);
    let login = errors.login("login", &form.login);
    errors.new_password("password", &form.password);
    if form.password != form.password_confirm {
        errors.add("password_confirm", "確認用のパスワードが一致しません。");
    }
    if errors.is_empty() {
        let admin = NewUser {
            login,
            display_name,
            role: Role::Admin,
            area_ids: vec![],
            agency_id: None,
            password: form.password.clone(),
            must_change_password: false,
        };
        match setup::complete(&state.db, &meta, &token, admin).await {
            Ok(()) => return Ok(Redirect::to("/login?notice=setup_done").into_response()),
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    // Passwords are never sent back into the page.
    form.password.clear();
    form.password_confirm.clear();
    let (csrf, _) = anonymous_csrf(&state, &headers);
    let page = SetupPage {
        layout: Layout::anonymous("初期設定：管理者の作成", &csrf),
        token,
        form,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "account/password.html")]
struct PasswordPage {
    layout: Layout,
    forced: bool,
    errors: Errors,
    /// The user's own API tokens, with their last use.
    tokens: Vec<tsunagu_store::tokens::Token>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn password_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let page = PasswordPage {
        layout: Layout::page(&auth, "パスワード変更", "").with_notice(q.notice.as_deref()),
        forced: auth.user.must_change_password,
        errors: Errors::new(),
        tokens: tsunagu_store::tokens::list_for_user(&state.db, auth.actor.user_id).await?,
    };
    Ok(Html(page.render()?))
}

/// The user revokes one of their own API tokens (one they no longer use, or one leaked).
async fn revoke_own_token(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin().await?;
    tsunagu_store::tokens::revoke_own(&mut tx, &meta, &auth.actor, tsunagu_domain::TokenId(id))
        .await?;
    tx.commit().await?;
    Ok(Redirect::to("/account/password?notice=revoked#tokens").into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<PasswordForm>,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    if form.current_password.is_empty() {
        errors.add("current_password", "現在のパスワードを入力してください。");
    }
    errors.new_password("new_password", &form.new_password);
    if form.new_password != form.new_password_confirm {
        errors.add("new_password_confirm", "確認用のパスワードが一致しません。");
    }
    if !form.new_password.is_empty() && form.new_password == form.current_password {
        errors.add(
            "new_password",
            "新しいパスワードは現在のものと違うものにしてください。",
        );
    }
    if errors.is_empty() {
        // Every other session of the user ends; this one goes on.
        let keep = match &auth.via {
            Via::Session { cookie, .. } => Some(cookie.as_str()),
            Via::Token => None,
        };
        match users::change_own_password(
            &state.db,
            &meta,
            &auth.actor,
            &form.current_password,
            &form.new_password,
            keep,
        )
        .await
        {
            Ok(()) => return Ok(Redirect::to("/?notice=password_changed").into_response()),
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = PasswordPage {
        layout: Layout::page(&auth, "パスワード変更", ""),
        forced: auth.user.must_change_password,
        errors,
        tokens: tsunagu_store::tokens::list_for_user(&state.db, auth.actor.user_id).await?,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
