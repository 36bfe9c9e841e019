//! A database that stops answering: the server runs on PostgreSQL through a TCP proxy the test
//! controls (the idea of crates.io's ChaosProxy), which cuts every connection before a request,
//! and later in the middle of a write, just before its COMMIT. Each answer must come fast and
//! plainly (503 `database_unavailable` with Retry-After, a Japanese page that keeps a form's
//! input, `/readyz` 503, a count in `/metrics`), nothing may be half-written, and the first
//! request after the proxy returns must succeed. PostgreSQL only: the embedded SQLite has no
//! connection to lose.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{csrf_in, Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::AbortHandle,
};

/// What the proxy does with the traffic.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Pass,
    /// Like a stopped PostgreSQL: every connection closed, new ones refused.
    Down,
    /// Pass, until a connection that has sent `after` sends `at`: then down, before `at` is
    /// passed on.
    CutAt {
        after: &'static [u8],
        at: &'static [u8],
    },
}

#[derive(Clone)]
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    mode: Arc<Mutex<Mode>>,
    /// The accepting task (its listener) and each connection's task.
    listening: Arc<Mutex<Option<AbortHandle>>>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            upstream,
            mode: Arc::new(Mutex::new(Mode::Pass)),
            listening: Arc::default(),
            links: Arc::default(),
        };
        proxy.listen(listener);
        proxy
    }

    fn listen(&self, listener: TcpListener) {
        let p = self.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&p.upstream).await else {
                    continue;
                };
                let link = tokio::spawn(p.clone().link(client, server));
                p.links.lock().unwrap().push(link.abort_handle());
            }
        });
        *self.listening.lock().unwrap() = Some(task.abort_handle());
    }

    fn mode(&self) -> Mode {
        *self.mode.lock().unwrap()
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// The database is gone: the port closed (a connection is refused) and every open
    /// connection closed.
    fn cut(&self) {
        self.set(Mode::Down);
        if let Some(listening) = self.listening.lock().unwrap().take() {
            listening.abort();
        }
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// The database is back, on the same address.
    async fn restore(&self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                // The aborted listener's socket may take a moment to close.
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("the proxy's port: {e}"),
            }
        };
        self.listen(listener);
        self.set(Mode::Pass);
    }

    /// Carries one connection both ways, watching what the server is sent.
    async fn link(self, mut client: TcpStream, mut server: TcpStream) {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        let upstream = async {
            let mut saw_after = false;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = client_read.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                let chunk = &buf[..n];
                if let Mode::CutAt { after, at } = self.mode() {
                    saw_after = saw_after || contains(chunk, after);
                    if saw_after && contains(chunk, at) {
                        // `at` is not passed on: the sockets close as this task returns.
                        self.cut();
                        return;
                    }
                }
                if server_write.write_all(chunk).await.is_err() {
                    break;
                }
            }
        };
        let downstream = tokio::io::copy(&mut server_read, &mut client_write);
        tokio::select! {
            () = upstream => {}
            _ = downstream => {}
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The server's database URL with the proxy's address in place of PostgreSQL's, without TLS:
/// the proxy reads the statements to know when a write is half done.
fn through(proxy: SocketAddr, url: &str) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    u.set_host(Some(&proxy.ip().to_string())).unwrap();
    u.set_port(Some(proxy.port())).unwrap();
    let query: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "sslmode")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(query)
        .append_pair("sslmode", "disable");
    u.to_string()
}

fn upstream_of(url: &str) -> String {
    let u = reqwest::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port_or_known_default().unwrap_or(5432)
    )
}

/// Requests here give up after 5 s: an answer must come well before the pool's own 10 s.
fn impatient() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

const UNAVAILABLE: &str = "tsunagu_database_unavailable_total";

fn child_body(area: i64, given: &str) -> Value {
    json!({"area_id": area.to_string(), "family_name": "停電", "given_name": given,
           "birth_date": "2021-05-05", "not_a_duplicate": "1"})
}

async fn children_named(coordinator: &Api, given: &str) -> usize {
    let (status, body) = coordinator
        .get("/api/v1/children?q=停電&limit=100&include_closed=1")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["given_name"] == given)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_stops_answering_is_told_fast_and_loses_nothing() {
    let admin_url = std::env::var(tsunagu_store::testing::POSTGRES_ENV)
        .expect("run with scripts/test: the outage is PostgreSQL's");
    let proxy = Proxy::start(upstream_of(&admin_url)).await;
    let app = TestApp::demo_through(Backend::Postgres, |url| through(proxy.addr, url)).await;
    let (area,): (i64,) = tsunagu_store::db::query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (status, list) = coordinator.get("/api/v1/children?limit=1").await;
    assert_eq!(status, StatusCode::OK);
    let child = list["items"][0]["id"].as_i64().unwrap();
    let browser = app.login_as("demo-coordinator").await;
    let (_, form_page) = browser.get_text("/children/new").await;
    let csrf = csrf_in(&form_page).unwrap();
    let unavailable_before = app.metric(UNAVAILABLE).await;
    let created_before = app.audit_actions("child.create").await.len();
    let login_page = app.client();
    let (_, html) = login_page.get_text("/login").await;

    // The database goes away between requests.
    proxy.cut();
    let http = impatient();
    let res = http
        .get(format!("{}/api/v1/children/{child}", app.base))
        .bearer_auth(&coordinator.token)
        .send()
        .await
        .expect("answered before the client gave up");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "5");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "database_unavailable");

    let res = http
        .post(format!("{}/api/v1/children", app.base))
        .bearer_auth(&coordinator.token)
        .json(&child_body(area, "まえ"))
        .send()
        .await
        .expect("answered before the client gave up");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers().contains_key("retry-after"));

    // A screen: a Japanese page saying the data is safe, the typed form kept to send again.
    let res = browser
        .http
        .post(browser.url("/children"))
        .timeout(Duration::from_secs(5))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("area_id", &area.to_string()),
            ("family_name", "停電"),
            ("given_name", "がめん"),
            ("birth_date", "2021-05-05"),
        ])
        .send()
        .await
        .expect("answered before the client gave up");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("登録済みのデータは失われていません"),
        "{page}"
    );
    assert!(
        page.contains(r#"name="given_name" value="がめん""#),
        "{page}"
    );
    assert!(page.contains("もう一度送信する"), "{page}");

    // A password is never written back into the page.
    let res = login_page
        .http
        .post(login_page.url("/login"))
        .timeout(Duration::from_secs(5))
        .form(&[
            ("csrf_token", csrf_in(&html).unwrap().as_str()),
            ("login", "demo-agency"),
            ("password", "demo-agency-pass-2026"),
        ])
        .send()
        .await
        .expect("answered before the client gave up");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(r#"name="login" value="demo-agency""#),
        "{page}"
    );
    assert!(!page.contains("demo-agency-pass-2026"), "{page}");

    let res = http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .expect("answered before the client gave up");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        app.metric(UNAVAILABLE).await >= unavailable_before + 5.0,
        "/metrics counts each answer the database could not give"
    );

    // It comes back: the very next request succeeds.
    proxy.restore().await;
    let (status, _) = coordinator.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(children_named(&coordinator, "まえ").await, 0);
    assert_eq!(children_named(&coordinator, "がめん").await, 0);

    // Now it goes away in the middle of a write, after the child's row, before the COMMIT.
    proxy.set(Mode::CutAt {
        after: b"INSERT INTO children",
        at: b"COMMIT",
    });
    let res = http
        .post(format!("{}/api/v1/children", app.base))
        .bearer_auth(&coordinator.token)
        .json(&child_body(area, "とちゅう"))
        .send()
        .await
        .expect("answered before the client gave up");
    assert!(proxy.mode() == Mode::Down, "the proxy cut the write");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "database_unavailable");

    proxy.restore().await;
    assert_eq!(
        children_named(&coordinator, "とちゅう").await,
        0,
        "nothing of the cut write stands"
    );
    assert_eq!(
        app.audit_actions("child.create").await.len(),
        created_before,
        "no audit entry for a change that did not happen"
    );
    // Sent again, it is saved once.
    let (status, body) = coordinator
        .post("/api/v1/children", child_body(area, "とちゅう"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(children_named(&coordinator, "とちゅう").await, 1);
    assert!(matches!(
        tsunagu_store::audit::verify(&app.db).await.unwrap(),
        tsunagu_store::audit::Verification::Intact { .. }
    ));
}
