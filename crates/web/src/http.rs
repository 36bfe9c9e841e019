//! HTTP plumbing that is no feature's own: security headers, request ids, the request log,
//! health probes and the unknown-route answer.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::request_id::RequestId;
use tracing::Span;

use crate::{routing::Router, AppError, AppState};

/// Largest request body accepted outside file uploads.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// No inline script or style anywhere: every script and style sheet is a file under /static/.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";
/// Swagger UI sets style attributes from its script; its page alone may have them.
const CSP_API_DOCS: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path() == "/api/docs";
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    let csp = if docs { CSP_API_DOCS } else { CSP };
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages hold personal data: never kept in a shared or back-button cache.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Request ids: 16 random hex characters, unless a proxy already set one.
#[derive(Clone, Copy, Default)]
pub struct MakeRequestId;

impl tower_http::request_id::MakeRequestId for MakeRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let token = tsunagu_store::secret::random_token();
        let id: String = token
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The span of one request: its id, method and path (never the query, which may hold a
/// searched name). Everything logged while handling it carries these.
pub fn request_span(req: &Request) -> Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", id = %request_id, method = %req.method(), path = %req.uri().path())
}

/// The one log line per request, when its response goes out.
pub fn log_response(res: &Response, latency: std::time::Duration, _: &Span) {
    tracing::info!(
        status = res.status().as_u16(),
        ms = latency.as_millis() as u64,
        "served"
    );
}

pub fn probes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
}

/// How long `/readyz` waits for the database: a load balancer's probe gives up after a second
/// or two, and a silent database must be told as not ready before that.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_millis(800);

async fn readyz(State(state): State<AppState>) -> Response {
    let answered = tokio::time::timeout(READY_WITHIN, state.db.ping()).await;
    match answered {
        Ok(Ok(())) => "ready".into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database not ready");
            state.metrics.count_unready();
            not_ready()
        }
        Err(_) => {
            tracing::warn!("database did not answer the readiness probe in time");
            state.metrics.count_unready();
            not_ready()
        }
    }
}

fn not_ready() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, "5")],
        "database unavailable",
    )
        .into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}
