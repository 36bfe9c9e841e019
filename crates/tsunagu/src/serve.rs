//! `tsunagu serve`: open and migrate the database, load the demo or offer the setup link, and
//! serve until Ctrl-C or SIGTERM.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tsunagu_store::{audit, sessions, setup};
use tsunagu_web::{AppState, WebConfig};

use crate::demo;

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Encrypts the SQLite database and wraps the attachments' keys.
    pub database_key: tsunagu_store::keys::DataKey,
    pub demo: bool,
    pub public_url: Option<String>,
    /// Where attachments are stored (see `BlobStore::configured`).
    pub attachments: tsunagu_store::blobs::BlobStore,
    /// Days after which an unanswered referral surfaces on the coordinator's home page.
    pub referral_overdue_days: i64,
    /// Coordinators and administrators must log in with a second factor.
    pub require_second_factor: bool,
    /// A separate address serving only `/metrics` (keep it off the public network).
    pub metrics_addr: Option<SocketAddr>,
    /// The bearer token for `/metrics` on the main address.
    pub metrics_token: Option<String>,
    /// How long a request waits for a database connection before answering 503.
    pub database_wait: std::time::Duration,
    /// The file the audit chain's checkpoints are appended to (at start, hourly, at shutdown);
    /// None: to the server's log only.
    pub audit_checkpoints: Option<std::path::PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a browser session may stay idle.
    pub session_idle: time::Duration,
    /// The SMTP server notifications go through; None: no mail is sent.
    pub mail: Option<crate::mail::MailSettings>,
}

/// A server bound to its port and ready to run: what the tests start on port 0.
pub struct Server {
    pub listener: TcpListener,
    pub state: AppState,
    /// Where users open Tsunagu.
    pub base_url: String,
    /// The separate metrics address, bound.
    pub metrics_listener: Option<TcpListener>,
    pub audit_checkpoints: Option<std::path::PathBuf>,
    pub mail: Option<crate::mail::MailSettings>,
}

/// Writes the audit chain's head to the log and to the checkpoint file (if there is one), so
/// a tail cut off later shows (`tsunagu audit verify`). The log gets it even when the file
/// cannot be written.
async fn checkpoint(db: &tsunagu_store::Db, file: Option<&std::path::Path>) {
    let line = match audit::head_line(db).await {
        Ok(line) => line,
        Err(e) => {
            tracing::error!(error = %e, "could not read the audit log's head for a checkpoint");
            return;
        }
    };
    tracing::info!(checkpoint = %line, "audit checkpoint");
    if let Some(path) = file {
        if let Err(e) = audit::append_checkpoint(path, &line) {
            tracing::error!(error = %e, "could not write the audit checkpoint file");
        }
    }
}

impl Server {
    /// Opens the database, migrates it, and binds the address; prints what the operator needs.
    pub async fn prepare(opts: &ServeOptions) -> anyhow::Result<Server> {
        let db = crate::cli::open_database_waiting(
            &opts.database_url,
            &opts.database_key,
            opts.database_wait,
        )
        .await?;
        let listener = TcpListener::bind(opts.addr)
            .await
            .with_context(|| format!("{} で待ち受けできません", opts.addr))?;
        let local = listener.local_addr()?;
        let base_url = opts
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{local}"));
        let config = WebConfig {
            public_url: opts.public_url.clone(),
            referral_overdue_days: opts.referral_overdue_days,
            require_second_factor: opts.require_second_factor,
            metrics_token: opts.metrics_token.clone().filter(|t| !t.is_empty()),
            database_wait: opts.database_wait,
            trusted_proxies: opts.trusted_proxies.clone(),
            mail_enabled: opts.mail.is_some(),
            session: tsunagu_store::sessions::Lifetime {
                idle: opts.session_idle,
                ..Default::default()
            },
        };
        tracing::info!(
            addr = %local,
            database = %tsunagu_store::db::redact_url(&opts.database_url),
            public_url = opts.public_url.as_deref().unwrap_or("-"),
            session_idle_minutes = config.session.idle.whole_minutes(),
            session_absolute_hours = config.session.absolute.whole_hours(),
            demo = opts.demo,
            data_key = %opts.database_key.fingerprint(),
            require_second_factor = opts.require_second_factor,
            database_wait_ms = opts.database_wait.as_millis() as u64,
            "configuration"
        );
        let blobs = opts.attachments.clone();
        let metrics_listener = match opts.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("{addr} で /metrics を待ち受けできません"))?,
            ),
            None => None,
        };
        if opts.audit_checkpoints.is_none() {
            tracing::warn!("no file for the audit log's checkpoints (--audit-checkpoints): they go to this log only");
        }
        Ok(Server {
            listener,
            state: AppState::new(db, config, blobs),
            base_url,
            metrics_listener,
            audit_checkpoints: opts.audit_checkpoints.clone(),
            mail: opts.mail.clone(),
        })
    }

    /// Serves until `shutdown` completes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let counting = tokio::spawn(tsunagu_web::count_evaluation_ahead(self.state.clone()));
        let db = self.state.db.clone();
        let lifetime = self.state.config.session;
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
            loop {
                tick.tick().await;
                if let Err(e) = sessions::purge_expired(&db, lifetime).await {
                    tracing::warn!(error = %e, "could not purge expired sessions");
                }
                if let Err(e) = tsunagu_store::pending_forms::purge_expired(&db).await {
                    tracing::warn!(error = %e, "could not purge kept forms");
                }
            }
        });
        let checkpoints = {
            let db = self.state.db.clone();
            let file = self.audit_checkpoints.clone();
            tokio::spawn(async move {
                // The first tick is at once: a checkpoint at every start, then every hour.
                let mut tick = tokio::time::interval(Duration::from_secs(3600));
                loop {
                    tick.tick().await;
                    checkpoint(&db, file.as_deref()).await;
                }
            })
        };
        let mailer = match self.mail.clone() {
            Some(settings) => Some(crate::mail::spawn(
                self.state.db.clone(),
                settings,
                self.base_url.clone(),
            )?),
            None => None,
        };
        let metrics = self.metrics_listener.map(|listener| {
            let app = tsunagu_web::metrics::separate_router(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "metrics address stopped");
                }
            })
        });
        let app = tsunagu_web::router(self.state.clone());
        axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        sweeper.abort();
        checkpoints.abort();
        counting.abort();
        if let Some(m) = mailer {
            m.abort();
        }
        checkpoint(&self.state.db, self.audit_checkpoints.as_deref()).await;
        if let Some(m) = metrics {
            m.abort();
        }
        self.state.db.close().await;
        Ok(())
    }
}

pub async fn run(opts: ServeOptions) -> anyhow::Result<()> {
    let server = Server::prepare(&opts).await?;
    let db = &server.state.db;
    if opts.demo {
        match demo::load_if_empty(db).await? {
            Some(accounts) => {
                println!("デモデータを作成しました（架空のデータです。実在の個人情報を入力しないでください）。");
                println!("デモのアカウント（ログインID / パスワード）:");
                for a in accounts {
                    println!("  {:<28} {:<28} {}", a.login, a.password, a.description);
                }
            }
            None => println!("データベースは空ではないため、デモデータは作成しませんでした。"),
        }
    } else if let Some(token) = setup::issue_if_needed(db).await? {
        println!("最初の管理者を作成してください（1時間有効、1回限り）:");
        println!("  {}/setup/{token}", server.base_url);
    }
    println!(
        "つなぐ を {} で公開しています（停止は Ctrl-C）。",
        server.base_url
    );
    server.run(shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
