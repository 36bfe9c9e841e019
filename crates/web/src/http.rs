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

/// A request id a client or proxy sent is kept only when it is short and plain (at most 64 of
/// `A–Z a–z 0–9 . _ -`); otherwise it is dropped and a fresh one made, so no client-chosen text
/// of any size enters the audit log.
pub async fn screen_request_id(mut req: Request, next: Next) -> Response {
    let sent = req.headers().get_all("x-request-id");
    let mut values = sent.iter();
    let acceptable = match (values.next(), values.next()) {
        (Some(v), None) => is_plain_request_id(v.as_bytes()),
        (None, _) => true,
        _ => false,
    };
    if !acceptable {
        req.headers_mut().remove("x-request-id");
    }
    next.run(req).await
}

fn is_plain_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The client's address as the audit log and the login throttle see it.
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub std::net::IpAddr);

/// Finds the client's address once per request: the connection's peer, or, when the peer is a
/// trusted reverse proxy (`--trusted-proxy`), the address it says it saw in `X-Forwarded-For`.
pub async fn client_address(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = client_of(peer, req.headers(), &state.config.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

/// Each proxy appends the address it received from to `X-Forwarded-For`; read from the right,
/// the first address that is not a trusted proxy is the client. Anything a client wrote further
/// left is never believed, and without a trusted peer the header is ignored altogether.
pub fn client_of(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(is_plain_request_id(b"a1B2.c3_d-4"));
        assert!(is_plain_request_id(&[b'a'; 64]));
        assert!(!is_plain_request_id(&[b'a'; 65]));
        assert!(!is_plain_request_id(b""));
        assert!(!is_plain_request_id(b"a b"));
        assert!(!is_plain_request_id("日本".as_bytes()));
        assert!(!is_plain_request_id(b"x\";drop"));
    }

    #[test]
    fn the_client_is_the_first_untrusted_hop_from_the_right() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "6.6.6.6, 192.0.2.7, 10.0.0.9".parse().unwrap(),
        );
        let proxy: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(
            client_of(proxy, &h, &trusted),
            "192.0.2.7".parse::<std::net::IpAddr>().unwrap()
        );
        // A peer that is not a trusted proxy is the client, whatever the header says.
        let direct: std::net::IpAddr = "192.0.2.50".parse().unwrap();
        assert_eq!(client_of(direct, &h, &trusted), direct);
        // A trusted peer without the header is the client.
        assert_eq!(
            client_of(proxy, &axum::http::HeaderMap::new(), &trusted),
            proxy
        );
    }
}
