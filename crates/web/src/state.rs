//! What every handler is handed.

use std::sync::Arc;

use tsunagu_store::{blobs::BlobStore, sessions::Lifetime, Db};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<WebConfig>,
    /// Where attachment bytes are kept.
    pub blobs: BlobStore,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The committee's evaluation figures, kept a few minutes (see `evaluation::Year`).
    pub figures: Arc<crate::evaluation::FiguresCache>,
}

/// Settings of the web layer, from the command line and environment.
#[derive(Clone, Debug)]
pub struct WebConfig {
    pub session: Lifetime,
    /// `https://…` when Tsunagu is served over TLS (behind a reverse proxy): cookies then carry
    /// `Secure`. Also set per request when the proxy sends `X-Forwarded-Proto: https`.
    pub public_url: Option<String>,
    /// Days after which an unanswered referral surfaces on the coordinator's home page.
    pub referral_overdue_days: i64,
    /// Coordinators and administrators must log in with a second factor (TOTP).
    pub require_second_factor: bool,
    /// The bearer token a scraper sends for `/metrics` on the main address; without one the
    /// path answers 404 there (a separate metrics address needs none).
    pub metrics_token: Option<String>,
    /// How long a request waits for a database connection before it is answered 503
    /// `database_unavailable` (a database that does not answer is told fast).
    pub database_wait: std::time::Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// A mail server is configured (`--smtp-url`): notifications are sent.
    pub mail_enabled: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            session: Lifetime::default(),
            public_url: None,
            referral_overdue_days: 14,
            require_second_factor: true,
            metrics_token: None,
            database_wait: tsunagu_store::unit::DEFAULT_WAIT,
            trusted_proxies: Vec::new(),
            mail_enabled: false,
        }
    }
}

impl AppState {
    pub fn new(db: Db, config: WebConfig, blobs: BlobStore) -> Self {
        Self {
            db,
            config: Arc::new(config),
            blobs,
            metrics: crate::metrics::shared(),
            figures: Arc::default(),
        }
    }
}
