//! `/metrics` in Prometheus' text format: requests by route and status, their latencies, the
//! database pool, and audit entries written. Served on its own address (`--metrics-addr`) or,
//! on the main one, only to a scraper sending the token (`--metrics-token`); never to users.

use std::{
    sync::{Arc, Mutex},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};
use subtle::ConstantTimeEq;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pool_open: Gauge,
    pool_idle: Gauge,
    audit_entries: Counter,
    audit_seen: Mutex<u64>,
    unavailable: Counter,
    writes: Counter,
    writes_seen: Mutex<u64>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn latency_histogram() -> Histogram {
    // 2 ms … about 8 s.
    Histogram::new(exponential_buckets(0.002, 2.0, 13))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tsunagu");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route pattern",
            latency.clone(),
        );
        let pool_open = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open in the pool",
            pool_open.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Open database connections not in use",
            pool_idle.clone(),
        );
        let audit_entries = Counter::default();
        registry.register(
            "audit_entries_written",
            "Audit log entries written by this process",
            audit_entries.clone(),
        );
        let unavailable = Counter::default();
        registry.register(
            "database_unavailable",
            "Requests answered 503 because the database did not answer",
            unavailable.clone(),
        );
        let writes = Counter::default();
        registry.register(
            "request_write_transactions",
            "Write transactions requests opened (a page view opens none)",
            writes.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            pool_open,
            pool_idle,
            audit_entries,
            audit_seen: Mutex::new(0),
            unavailable,
            writes,
            writes_seen: Mutex::new(0),
        }
    }
}

impl Metrics {
    /// Counts a response that says the database did not answer.
    pub fn count_unavailable(&self, response: &Response) {
        if response
            .extensions()
            .get::<crate::error::ErrorBody>()
            .is_some_and(|b| b.code == "database_unavailable")
        {
            self.unavailable.inc();
        }
    }

    /// Counts a readiness probe that found the database silent.
    pub fn count_unready(&self) {
        self.unavailable.inc();
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// The text a scraper reads, with the pool and audit figures of this moment.
    pub fn render(&self, state: &AppState) -> String {
        let (open, idle) = state.db.pool_status();
        self.pool_open.set(i64::from(open));
        self.pool_idle.set(i64::try_from(idle).unwrap_or(i64::MAX));
        let written = tsunagu_store::audit::entries_written();
        if let Ok(mut seen) = self.audit_seen.lock() {
            self.audit_entries.inc_by(written.saturating_sub(*seen));
            *seen = written.max(*seen);
        }
        let writes = state.db.unit_writes();
        if let Ok(mut seen) = self.writes_seen.lock() {
            self.writes.inc_by(writes.saturating_sub(*seen));
            *seen = writes.max(*seen);
        }
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Counts every routed request under its route pattern (`/children/{id}`), never its path,
/// so no id reaches the metrics.
pub async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// `/metrics` on the main address: only with the configured token, else as if absent.
pub async fn endpoint(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        // JSON, so the page renderer leaves it as it is instead of sending a scraper to /login.
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(serde_json::json!({ "error": { "code": "unauthenticated", "message": "metrics token required" } })),
        )
            .into_response();
    }
    text(state.metrics.render(&state))
}

/// The router of the separate metrics address: `/metrics` and nothing else.
pub fn separate_router(state: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(state): State<AppState>| async move { text(state.metrics.render(&state)) }),
        )
        .with_state(state)
}

pub fn shared() -> Arc<Metrics> {
    Arc::new(Metrics::default())
}
