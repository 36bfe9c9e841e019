//! Who is asking: the session cookie or an API bearer token becomes an [`Auth`] in the request;
//! state-changing requests authenticated by a cookie must carry the CSRF token; admin routes
//! refuse everyone else, and the refusal is in the audit log.

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use subtle::ConstantTimeEq;
use tsunagu_domain::{Actor, Role};
use tsunagu_store::{
    audit::{self, Event, Outcome},
    sessions, tokens,
    users::User,
    RequestMeta,
};

use crate::{AppError, AppState};

/// The largest form body the CSRF check reads: an import's confirmation carries its whole file.
pub const FORM_LIMIT: usize = 12 * 1024 * 1024;

pub const SESSION_COOKIE: &str = "tsunagu_session";
/// Before login there is no session to hold the CSRF token: this cookie does (double submit).
pub const CSRF_COOKIE: &str = "tsunagu_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated user of a request.
#[derive(Clone)]
pub struct Auth {
    pub actor: Actor,
    pub user: User,
    pub via: Via,
    /// Where the user works (their areas, or their agency), for the page's frame.
    pub placement: String,
    /// For a browser session, its idle limit in seconds: the page warns before it passes.
    pub session_idle_seconds: Option<i64>,
}

#[derive(Clone)]
pub enum Via {
    Session {
        cookie: String,
        csrf_token: String,
        /// Only the second step of the login is open (see [`allowed_before_second_factor`]).
        second_factor_pending: bool,
    },
    Token,
}

impl Auth {
    /// The token forms must carry (none for API tokens, which send no cookies).
    pub fn csrf_token(&self) -> &str {
        match &self.via {
            Via::Session { csrf_token, .. } => csrf_token,
            Via::Token => "",
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}

/// Where the request came from, for the audit log.
#[derive(Clone)]
pub struct Meta(pub RequestMeta);

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Meta(request_meta(parts)))
    }
}

fn request_meta(parts: &Parts) -> RequestMeta {
    meta_of(&parts.extensions, &parts.headers)
}

/// Where a request came from, before it is taken apart.
pub fn request_meta_of(req: &Request) -> RequestMeta {
    meta_of(req.extensions(), req.headers())
}

fn meta_of(extensions: &axum::http::Extensions, headers: &HeaderMap) -> RequestMeta {
    RequestMeta {
        client_addr: extensions
            .get::<crate::http::ClientAddr>()
            .map(|c| c.0)
            .or_else(|| {
                extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip())
            })
            .map(|ip| ip.to_string()),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// Whether cookies must be `Secure`: Tsunagu is served over HTTPS (its public URL, or the
/// reverse proxy says so).
pub fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"))
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// A cookie's name as set and read: over HTTPS with the `__Host-` prefix, which browsers
/// accept only Secure, for Path=/ and without a Domain, so no other host (a sibling subdomain,
/// a plain-HTTP page) can plant or overwrite it.
pub fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The value of Tsunagu's cookie `name` on this request (see [`cookie_name`]).
pub fn our_cookie(state: &AppState, headers: &HeaderMap, name: &str) -> Option<String> {
    cookie(headers, &cookie_name(name, is_https(state, headers)))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, and over HTTPS Secure and named
/// with the `__Host-` prefix.
pub fn set_cookie(name: &str, value: &str, secure: bool, clear: bool) -> String {
    let name = cookie_name(name, secure);
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if clear {
        c.push_str("; Max-Age=0");
    }
    c
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// Paths a user who must change their password may still open.
fn allowed_before_password_change(path: &str) -> bool {
    path == "/account/password" || path == "/logout" || path.starts_with("/static/")
}

/// Paths a session opened by the password alone may open: the code's page and the way out.
fn allowed_before_second_factor(path: &str) -> bool {
    path == SECOND_FACTOR_LOGIN || path == "/logout"
}

/// Paths a coordinator or administrator without a second factor may open, when one is required.
fn allowed_before_enrolment(path: &str) -> bool {
    path.starts_with("/account/second-factor") || path == "/account/password" || path == "/logout"
}

pub const SECOND_FACTOR_LOGIN: &str = "/login/second-factor";
pub const SECOND_FACTOR_ACCOUNT: &str = "/account/second-factor";

/// Who is asking, read on the request's unit in one statement (session or token, user, areas);
/// the unit acts as them from here on.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // Static files and probes need no user: spare them the session lookup.
    if crate::unit::needs_no_unit(path) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Some(shared) = parts.extensions.get::<crate::unit::Shared>().cloned() else {
        return AppError::Internal("no request unit".into()).into_response();
    };
    let is_api = parts.uri.path().starts_with("/api/");
    let found = {
        let mut u = match shared.lock().await {
            Ok(u) => u,
            Err(e) => return e.into_response(),
        };
        if let Some(token) = bearer(&parts.headers).filter(|_| is_api) {
            match tokens::of_bearer(&mut u, token).await {
                Ok(Some((user, actor, placement))) => Some((user, actor, placement, Via::Token)),
                Ok(None) => {
                    u.audit(
                        Event::new("api.token")
                            .outcome(Outcome::Failure)
                            .detail("unknown or revoked token"),
                    );
                    return AppError::Unauthenticated.into_response();
                }
                Err(e) => return AppError::from(e).into_response(),
            }
        } else if let Some(cookie_value) = our_cookie(&state, &parts.headers, SESSION_COOKIE) {
            match sessions::of_cookie(&mut u, &cookie_value, state.config.session).await {
                Ok(Some((session, actor))) => Some((
                    session.user,
                    actor,
                    session.placement,
                    Via::Session {
                        cookie: cookie_value,
                        csrf_token: session.csrf_token,
                        second_factor_pending: session.second_factor_pending,
                    },
                )),
                Ok(None) => None,
                Err(e) => return AppError::from(e).into_response(),
            }
        } else {
            None
        }
    };
    if let Some((user, actor, placement, via)) = found {
        let path = parts.uri.path();
        if let Via::Session {
            second_factor_pending: true,
            ..
        } = via
        {
            if !allowed_before_second_factor(path) {
                // Not logged in yet, as far as every other page and the API are concerned.
                if is_api {
                    return AppError::Unauthenticated.into_response();
                }
                return Redirect::to(SECOND_FACTOR_LOGIN).into_response();
            }
        }
        // Until the new password is set, nothing else answers: no page, and no API call by
        // this cookie or by the user's tokens.
        let must_change = user.must_change_password && !allowed_before_password_change(path);
        if must_change {
            if is_api {
                return AppError::PasswordChangeRequired.into_response();
            }
            return Redirect::to("/account/password").into_response();
        }
        let must_enrol = matches!(via, Via::Session { .. })
            && state.config.require_second_factor
            && user.role.needs_second_factor()
            && !user.second_factor_enabled
            && !allowed_before_enrolment(path);
        if must_enrol {
            if is_api {
                return AppError::Unauthenticated.into_response();
            }
            return Redirect::to(&format!(
                "{SECOND_FACTOR_ACCOUNT}?notice=second_factor_required"
            ))
            .into_response();
        }
        // A session still pending its second factor is not a user of anything but that page.
        let pending = matches!(
            via,
            Via::Session {
                second_factor_pending: true,
                ..
            }
        );
        if !pending {
            match shared.lock().await {
                Ok(mut u) => u.set_actor(actor.clone()),
                Err(e) => return e.into_response(),
            }
        }
        let session_idle_seconds =
            matches!(via, Via::Session { .. }).then(|| state.config.session.idle.whole_seconds());
        parts.extensions.insert(Auth {
            actor,
            user,
            via,
            placement,
            session_idle_seconds,
        });
    }
    next.run(Request::from_parts(parts, body)).await
}

pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let auth = req.extensions().get::<Auth>().cloned();
    let expected = match auth.as_ref().map(|a| &a.via) {
        Some(Via::Token) => return next.run(req).await,
        Some(Via::Session { csrf_token, .. }) => Some(csrf_token.clone()),
        // An API call without a session sends no cookie to abuse; it gets its 401 from the handler.
        None if req.uri().path().starts_with("/api/") => return next.run(req).await,
        None => our_cookie(&state, req.headers(), CSRF_COOKIE),
    };
    let (parts, body) = req.into_parts();
    let mut provided = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let is_multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    if provided.is_none() && is_multipart {
        // A file upload form carries its token in the action URL: reading it from the body
        // would mean buffering the whole file here.
        provided = parts
            .uri
            .query()
            .and_then(|q| form_urlencoded_value(q.as_bytes(), CSRF_FIELD));
    }
    let (body, form_bytes) = if provided.is_none() && is_form {
        let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return AppError::BadRequest(
                    "送信されたデータが大きすぎるか、読み取れませんでした。".into(),
                )
                .into_response()
            }
        };
        provided = form_urlencoded_value(&bytes, CSRF_FIELD);
        (Body::from(bytes.clone()), Some(bytes))
    } else {
        (body, None)
    };
    let ok = match (&expected, &provided) {
        (Some(e), Some(p)) => !e.is_empty() && bool::from(e.as_bytes().ct_eq(p.as_bytes())),
        _ => false,
    };
    if !ok && auth.is_none() {
        // Logging out of a session that already ended changes nothing: the handler clears
        // the cookie and says so, instead of a refusal page.
        if parts.uri.path() == "/logout" {
            return next.run(Request::from_parts(parts, body)).await;
        }
        if let (Some(bytes), Some(token)) = (&form_bytes, &provided) {
            if let Some(kept) = keep_for_login(&state, &parts, token, bytes).await {
                return kept;
            }
        }
    }
    if !ok {
        let path = parts.uri.path().to_owned();
        let mut event = Event::new("csrf.refused")
            .outcome(Outcome::Denied)
            .object("route", &path);
        if let Some(a) = &auth {
            event = event.by(&a.actor);
        }
        match parts.extensions.get::<crate::unit::Shared>() {
            Some(shared) => match shared.lock().await {
                Ok(mut u) => u.audit(event),
                Err(e) => return e.into_response(),
            },
            None => {
                if let Err(e) = audit::record_alone(&state.db, &request_meta(&parts), event).await {
                    return AppError::from(e).into_response();
                }
            }
        }
        return AppError::Csrf.into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// A page's form sent after its session ended (the idle limit passed during a long phone
/// call): when the form carries that session's own token, so it surely came from the user's
/// page, its fields are kept for that user and the browser goes to the login page, which
/// then sends them on (`/resume/{token}`). Nothing else is kept, for nobody else.
async fn keep_for_login(
    state: &AppState,
    parts: &axum::http::request::Parts,
    provided: &str,
    bytes: &[u8],
) -> Option<Response> {
    let path = parts.uri.path();
    // Only work: never a logout, a login or the extension of the session itself (sent on after
    // the login, a kept logout would end the new session at once).
    let not_work = ["/logout", "/login", "/account/session"].contains(&path)
        || path.starts_with("/login/")
        || path.starts_with("/setup/");
    if not_work || path.starts_with("/api/") || parts.headers.contains_key("hx-request") {
        return None;
    }
    let cookie = our_cookie(state, &parts.headers, SESSION_COOKIE)?;
    let (user, csrf) = sessions::stale(&state.db, &cookie, state.config.session)
        .await
        .ok()??;
    if !bool::from(csrf.as_bytes().ct_eq(provided.as_bytes())) {
        return None;
    }
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .ok()?
            .into_iter()
            // The token is the new session's.
            .filter(|(name, _)| !crate::error::is_secret_field(name) && name != CSRF_FIELD)
            .collect();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let form = tsunagu_store::pending_forms::PendingForm { path, fields };
    let token = tsunagu_store::pending_forms::keep(&state.db, &request_meta(parts), user, &form)
        .await
        .ok()?;
    let next = format!("/resume/{token}");
    Some(
        Redirect::to(&format!(
            "/login?notice=session_expired&next={}",
            crate::layout::qs(&next)
        ))
        .into_response(),
    )
}

fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Only {
        csrf_token: Option<String>,
    }
    debug_assert_eq!(name, "csrf_token");
    serde_html_form::from_bytes::<Only>(body)
        .ok()
        .and_then(|o| o.csrf_token)
}

/// Checks that the request's user is an administrator; anyone else's attempt is written to the
/// audit log and refused.
async fn check_admin(parts: &Parts) -> Result<Auth, AppError> {
    let auth = parts
        .extensions
        .get::<Auth>()
        .cloned()
        .ok_or(AppError::Unauthenticated)?;
    if auth.actor.role == Role::Admin {
        return Ok(auth);
    }
    let event = Event::new("access.denied")
        .by(&auth.actor)
        .object("route", parts.uri.path())
        .outcome(Outcome::Denied)
        .detail(format!("role={}", auth.actor.role));
    let shared = parts
        .extensions
        .get::<crate::unit::Shared>()
        .ok_or_else(|| AppError::Internal("no request unit".into()))?;
    shared.lock().await?.audit(event);
    Err(AppError::Forbidden)
}

/// The layer over every `/admin/` screen and admin-only API route.
pub async fn require_admin(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match check_admin(&parts).await {
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(e) => e.into_response(),
    }
}

/// An administrator, for a single admin-only handler on a route others may also use.
pub struct Admin(pub Auth);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        check_admin(parts).await.map(Admin)
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Auth>().cloned())
    }
}
