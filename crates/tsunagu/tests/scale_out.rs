//! Two `tsunagu serve` processes against one PostgreSQL, as a prefecture scales out: they start
//! at the same moment on an empty database (migrations run once), a session made on one works
//! on the other, a logout on one ends it on both, and failed logins lock the account whichever
//! server they reach. The separate metrics address answers Prometheus.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{net::TcpListener, process::Child, time::Duration};

use common::{csrf_in, Backend};
use reqwest::{redirect::Policy, StatusCode};
use tsunagu_store::{
    testing::fresh_database_url,
    users::{self, NewUser},
    Db, RequestMeta,
};

/// A server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(url: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tsunagu"))
        .args(["serve", "--database", url, "--addr", &addr])
        .args(["--require-second-factor", "false"])
        .args(extra)
        .env("TSUNAGU_LOG", "warn")
        .env(
            "TSUNAGU_DATABASE_KEY",
            tsunagu_store::testing::key().to_hex(),
        )
        .env(
            "TSUNAGU_ATTACHMENTS_DIR",
            std::env::temp_dir()
                .join("tsunagu-tests")
                .join("attachments"),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    Server {
        child,
        base: format!("http://{addr}"),
    }
}

async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(res) = http.get(format!("{base}/readyz")).send().await {
            if res.status() == StatusCode::OK {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

async fn login(
    http: &reqwest::Client,
    base: &str,
    login: &str,
    password: &str,
) -> reqwest::Response {
    let html = http
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = csrf_in(&html).unwrap();
    http.post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("login", login),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_sessions_lockouts_and_one_migration() {
    let url = fresh_database_url(Backend::Postgres).await.unwrap();
    let metrics_port = free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    // Both start on the empty database at once: one migrates, the other waits for its lock.
    let a = start(&url, &["--metrics-addr", &metrics_addr]);
    let b = start(&url, &[]);
    let probe = reqwest::Client::new();
    wait_ready(&probe, &a.base).await;
    wait_ready(&probe, &b.base).await;

    let db = Db::connect(&url, &tsunagu_store::testing::key())
        .await
        .unwrap();
    let (applied,): (i64,) = tsunagu_store::db::query("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(
        applied,
        Db::latest_migration(),
        "each migration applied once"
    );
    let mut tx = db.begin().await.unwrap();
    users::create(
        &mut tx,
        &RequestMeta::cli(),
        None,
        NewUser {
            login: "scale-admin".into(),
            display_name: "拡張 管理者".into(),
            role: tsunagu_domain::Role::Admin,
            area_ids: vec![],
            agency_id: None,
            password: "ふたつのさーばでおなじせっしょん".into(),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // One browser (one cookie jar) meets both servers, as behind a load balancer.
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    let res = login(
        &browser,
        &a.base,
        "scale-admin",
        "ふたつのさーばでおなじせっしょん",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let on_b = browser
        .get(format!("{}/admin/users", b.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        on_b.status(),
        StatusCode::OK,
        "the session made on A works on B"
    );

    // Logging out on B ends the session on A too.
    let html = on_b.text().await.unwrap();
    let token = csrf_in(&html).unwrap();
    browser
        .post(format!("{}/logout", b.base))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let on_a = browser
        .get(format!("{}/admin/users", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(on_a.status(), StatusCode::SEE_OTHER);

    // Wrong passwords sent to either server count together and lock the account on both.
    let attacker = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap();
    for i in 0..tsunagu_domain::login_policy::MAX_FAILURES {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let res = login(&attacker, base, "scale-admin", "まちがったぱすわーどです").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = login(
        &browser,
        &a.base,
        "scale-admin",
        "ふたつのさーばでおなじせっしょん",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "locked on A");
    assert!(res.text().await.unwrap().contains("ロックされています"));
    let res = login(
        &browser,
        &b.base,
        "scale-admin",
        "ふたつのさーばでおなじせっしょん",
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "locked on B");

    // The separate metrics address needs no token and shows A's requests by route pattern.
    let text = probe
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            "tsunagu_http_requests_total{method=\"POST\",route=\"/login\",status=\"401\"}"
        ),
        "{text}"
    );
    assert!(text.contains("tsunagu_db_pool_connections"));
    // The main address does not serve it without the token (none was configured).
    let res = probe
        .get(format!("{}/metrics", a.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
