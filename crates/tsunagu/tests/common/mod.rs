//! The test harness: a real Tsunagu server on port 0 over a fresh database of either backend,
//! and an HTTP client that logs in like a browser (cookies, CSRF token from the page).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{net::SocketAddr, time::Duration};

use reqwest::{header, redirect::Policy, Response, StatusCode};
use tokio::sync::oneshot;
pub use tsunagu_store::Backend;
use tsunagu_store::Db;

/// Runs one async test body against SQLite and against PostgreSQL, as two tests named
/// `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    )*};
}

/// The token the test servers' `/metrics` answers to.
pub const METRICS_TOKEN: &str = "test-metrics-token";

/// A fresh database with the demo data loaded, and its URL.
async fn demo_database(backend: Backend) -> (Db, String) {
    let (db, url) = tsunagu_store::testing::fresh_database(backend)
        .await
        .expect("fresh database");
    tsunagu::demo::load_if_empty(&db)
        .await
        .expect("demo data")
        .expect("database was empty");
    (db, url)
}

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub database_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<()>>,
}

/// What a test server is started with beyond its database.
#[derive(Default)]
pub struct Options {
    pub require_second_factor: bool,
    pub audit_checkpoints: Option<std::path::PathBuf>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The session's idle limit (30 minutes when not given).
    pub session_idle: Option<time::Duration>,
    /// The SMTP server notifications go through (a [`MailSink`]).
    pub smtp_url: Option<String>,
}

/// A real SMTP server (aiosmtpd, from PyPI) that keeps every message it receives in a maildir:
/// what the mail tests read. scripts/test installs it beside moto; another Python can be named
/// with TSUNAGU_TEST_PYTHON.
pub struct MailSink {
    pub url: String,
    dir: std::path::PathBuf,
    child: std::process::Child,
}

impl MailSink {
    pub fn start() -> MailSink {
        let python = std::env::var("TSUNAGU_TEST_PYTHON").unwrap_or_else(|_| {
            let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/s3-venv/bin/python");
            if venv.exists() {
                venv.display().to_string()
            } else {
                "python3".to_owned()
            }
        });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("tsunagu-mail-{}-{port}", std::process::id()));
        let mut child = std::process::Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{python} -m aiosmtpd: {e} (scripts/test installs aiosmtpd)")
            });
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return MailSink {
                    url: format!("smtp://127.0.0.1:{port}"),
                    dir,
                    child,
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start with {python} (scripts/test installs it)");
    }

    /// Every message received so far, as its raw text.
    pub fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) {
                for entry in entries.flatten() {
                    found.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
                }
            }
        }
        found
    }

    /// Waits (up to ten seconds) until at least `n` messages arrived; answers them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let found = self.messages();
            if found.len() >= n {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestApp {
    /// A server over an empty database (no users: the setup link is what a first start offers).
    pub async fn empty(backend: Backend) -> TestApp {
        let (db, url) = tsunagu_store::testing::fresh_database(backend)
            .await
            .expect("fresh database");
        Self::serve(db, url).await
    }

    /// A server with the demo data and accounts.
    pub async fn demo(backend: Backend) -> TestApp {
        let (db, url) = demo_database(backend).await;
        Self::serve(db, url).await
    }

    /// A server over the synthetic `small` dataset of `tsunagu seed`.
    pub async fn seeded(backend: Backend, seed: u64) -> TestApp {
        let (db, url) = tsunagu_store::testing::fresh_database(backend)
            .await
            .expect("fresh database");
        tsunagu::seed::run(&db, tsunagu::seed::Scale::Small, seed)
            .await
            .expect("seeded");
        Self::serve(db, url).await
    }

    /// The demo data on a server that reaches its database at the URL `through` makes of the
    /// real one (a proxy in between); `db` stays a direct connection for the test's checks.
    pub async fn demo_through(backend: Backend, through: impl FnOnce(&str) -> String) -> TestApp {
        let (db, url) = demo_database(backend).await;
        let mut app = Self::serve(db, through(&url)).await;
        app.database_url = url;
        app
    }

    async fn serve(db: Db, url: String) -> TestApp {
        Self::serve_with(db, url, Options::default()).await
    }

    /// The demo data on a server started with `options`.
    pub async fn demo_with(backend: Backend, options: Options) -> TestApp {
        let (db, url) = demo_database(backend).await;
        Self::serve_with(db, url, options).await
    }

    /// Stops the server as a signal would, and waits until it has finished.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(running) = self.running.take() {
            running.await.expect("server stopped");
        }
    }

    /// The demo data on a server that requires coordinators and administrators to log in with
    /// a second factor, as a production server does by default.
    pub async fn demo_requiring_second_factor(backend: Backend) -> TestApp {
        let (db, url) = demo_database(backend).await;
        let options = Options {
            require_second_factor: true,
            ..Options::default()
        };
        Self::serve_with(db, url, options).await
    }

    async fn serve_with(db: Db, url: String, options: Options) -> TestApp {
        let opts = tsunagu::serve::ServeOptions {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: url.clone(),
            database_key: tsunagu_store::testing::key(),
            demo: false,
            public_url: None,
            attachments: tsunagu_store::blobs::BlobStore::local(
                shared_attachments(),
                &tsunagu_store::testing::key(),
            ),
            referral_overdue_days: 14,
            require_second_factor: options.require_second_factor,
            metrics_addr: None,
            metrics_token: Some(METRICS_TOKEN.into()),
            database_wait: tsunagu_store::unit::DEFAULT_WAIT,
            audit_checkpoints: options.audit_checkpoints,
            trusted_proxies: options.trusted_proxies,
            session_idle: options
                .session_idle
                .unwrap_or(tsunagu_store::sessions::Lifetime::default().idle),
            mail: options
                .smtp_url
                .map(|smtp_url| tsunagu::mail::MailSettings {
                    smtp_url,
                    from: "つなぐ <tsunagu@example.jp>".to_owned(),
                }),
        };
        let server = tsunagu::serve::Server::prepare(&opts)
            .await
            .expect("server");
        let base = server.base_url.clone();
        let (tx, rx) = oneshot::channel();
        let running = tokio::spawn(async move {
            server
                .run(async {
                    rx.await.ok();
                })
                .await
                .expect("server run");
        });
        TestApp {
            base,
            db,
            database_url: url,
            shutdown: Some(tx),
            running: Some(running),
        }
    }

    /// Uploads a small PDF to the first child `login` can see (through the API); answers its
    /// storage key and bytes.
    pub async fn upload_pdf(&self, login: &str) -> (String, Vec<u8>) {
        let api = Api::new(self, login).await;
        let (_, children) = api.get("/api/v1/children?q=").await;
        let child = children["items"][0]["id"].as_i64().expect("a child");
        let bytes = small_pdf("backup test");
        let form = reqwest::multipart::Form::new()
            .text("title", "受診メモ")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone())
                    .file_name("memo.pdf")
                    .mime_str("application/pdf")
                    .expect("mime"),
            );
        let res = reqwest::Client::new()
            .post(format!("{}/api/v1/children/{child}/attachments", api.base))
            .bearer_auth(&api.token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert!(res.status().is_success(), "upload: {}", res.status());
        let (key,): (String,) =
            tsunagu_store::db::query("SELECT storage_key FROM attachments ORDER BY id DESC")
                .fetch_one(&self.db)
                .await
                .expect("attachment row");
        (key, bytes)
    }

    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    /// A client already logged in as a demo account.
    pub async fn login_as(&self, login: &str) -> Client {
        let c = self.client();
        let password = tsunagu::demo::password_of(login).expect("demo account");
        let res = c.login(login, password).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "login of {login} failed"
        );
        c
    }

    /// A fresh API token for a user (as an administrator would issue one).
    pub async fn token_for(&self, login: &str) -> String {
        let (id,): (i64,) = tsunagu_store::db::query("SELECT id FROM users WHERE login = $1")
            .bind(login)
            .fetch_one(&self.db)
            .await
            .expect("user");
        let mut tx = self.db.begin().await.expect("tx");
        let (_, token) = tsunagu_store::tokens::create(
            &mut tx,
            &tsunagu_store::RequestMeta::cli(),
            None,
            tsunagu_domain::UserId(id),
            "test",
            tsunagu_store::tokens::DEFAULT_VALIDITY,
        )
        .await
        .expect("token");
        tx.commit().await.expect("commit");
        token
    }

    /// A figure of `/metrics` (0 when the series has no sample yet).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client")
            .get(format!("{}/metrics", self.base))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("/metrics")
            .text()
            .await
            .expect("/metrics text");
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map_or(0.0, |v| v.trim().parse().expect("a number"))
    }

    /// Audit entries with this action, newest first, read straight from the table.
    pub async fn audit_actions(
        &self,
        action: &str,
    ) -> Vec<(Option<String>, String, Option<String>)> {
        tsunagu_store::db::query(
            "SELECT user_login, outcome, object_id FROM audit_log WHERE action = $1 ORDER BY id DESC",
        )
        .bind(action)
        .fetch_all(&self.db)
        .await
        .expect("audit rows")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A browser-like HTTP client: keeps cookies, does not follow redirects (tests look at them).
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

/// The value of the first `name="csrf_token"` field in a page.
pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    let rest = &html[at..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.expect("body"))
    }

    /// The CSRF token of the page at `path` (as a form on it would send).
    pub async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get_text(path).await;
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf token on {path}"))
    }

    /// Posts a form exactly as given (no token added).
    pub async fn post_form_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Posts JSON as a page's script does: the session's token in the X-CSRF-Token header.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> Response {
        let token = self.csrf("/account/password").await;
        self.http
            .post(self.url(path))
            .header("X-CSRF-Token", token)
            .json(&body)
            .send()
            .await
            .expect("POST")
    }

    /// Posts a form with the token a page of this session carries.
    /// Issues the user a new secret calendar feed (「カレンダー」 page) and answers its path,
    /// `/calendar/…`, which opens without a login.
    pub async fn calendar_feed_path(&self) -> String {
        let marker = "<code class=\"token\" id=\"feed-url\">";
        let html = self
            .post_form("/account/calendar", &[])
            .await
            .text()
            .await
            .unwrap_or_default();
        let start = html.find(marker).expect("the feed's URL on the page") + marker.len();
        let url = &html[start..start + html[start..].find("</code>").expect("</code>")];
        url[url.find("/calendar/").expect("a /calendar/ URL")..].to_owned()
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf("/account/password").await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_form_raw(path, &all).await
    }

    pub async fn login(&self, login: &str, password: &str) -> Response {
        let token = self.csrf("/login").await;
        self.post_form_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("login", login),
                ("password", password),
                ("next", "/"),
            ],
        )
        .await
    }
}

/// An API client with a bearer token of one user; answers the status and the JSON body
/// (`Null` when there is none).
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Api {
    pub async fn new(app: &TestApp, login: &str) -> Api {
        Api {
            base: app.base.clone(),
            token: app.token_for(login).await,
            http: reqwest::Client::new(),
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("API call");
        let status = res.status();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, serde_json::Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.call(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.call(method, path, Some(body)).await
    }
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The folder of attachments every test server shares (the test key seals them).
pub fn shared_attachments() -> std::path::PathBuf {
    std::env::temp_dir()
        .join("tsunagu-tests")
        .join("attachments")
}

/// An empty folder of this test process's own.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir()
        .join("tsunagu-tests")
        .join(format!("scratch-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// The `tsunagu` binary with `args`, the data key in `TSUNAGU_DATABASE_KEY` (None: no variable,
/// so the key file decides) and a backup passphrase or none.
pub fn run_tsunagu(
    args: &[&str],
    key: Option<&tsunagu_store::keys::DataKey>,
    passphrase: Option<&str>,
) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tsunagu"));
    command.args(args).env("TSUNAGU_LOG", "error");
    match key {
        Some(k) => command.env("TSUNAGU_DATABASE_KEY", k.to_hex()),
        None => command.env_remove("TSUNAGU_DATABASE_KEY"),
    };
    match passphrase {
        Some(p) => command.env("TSUNAGU_BACKUP_PASSPHRASE", p),
        None => command.env_remove("TSUNAGU_BACKUP_PASSPHRASE"),
    };
    command.output().expect("tsunagu runs")
}

/// What a command printed, standard output then standard error.
pub fn output_text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A one-page PDF that reads as one to the end (uploads are checked so).
/// A one-pixel PNG: a photo as small as a picture can be.
pub fn small_png() -> Vec<u8> {
    hex::decode("89504e470d0a1a0a0000000d4948445200000001000000010804000000b51c0c020000000b4944415478da6364600000000600023081d02f0000000049454e44ae426082").expect("a PNG")
}

pub fn small_pdf(note: &str) -> Vec<u8> {
    tsunagu_domain::files::blank_pdf(note)
}

/// A value for a query string, percent-encoded.
pub fn qs(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// An area's id by its name.
pub async fn area_id(app: &TestApp, name: &str) -> i64 {
    let (id,): (i64,) = tsunagu_store::db::query("SELECT id FROM areas WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

/// A table of an evaluation answer by its key.
pub fn table<'a>(answer: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    answer["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("table {key}"))
}

/// The cells of a table's row by its label.
pub fn row<'a>(t: &'a serde_json::Value, label: &str) -> &'a Vec<serde_json::Value> {
    t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("row {label} in {t}"))[1]
        .as_array()
        .unwrap()
}
