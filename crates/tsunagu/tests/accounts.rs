//! Accounts, sessions, request ids and uploads against someone who tries: the cases found by
//! attacking a running demo, each as the attacker did it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{
    location, output_text as text, run_tsunagu, small_pdf, Api, Backend, Client, Options, TestApp,
};
use reqwest::StatusCode;
use tsunagu_store::{db::query, testing::key};

both_backends!(
    next_goes_only_to_a_path_on_this_site,
    a_success_with_ones_own_account_does_not_reset_the_address,
    behind_a_trusted_proxy_each_client_has_its_own_count,
    a_pending_password_change_closes_the_api,
    changing_ones_password_ends_ones_other_sessions,
    a_reset_or_disabling_ends_sessions_and_revokes_tokens,
    tokens_expire_and_are_listed_and_revoked,
    client_request_ids_are_screened,
    a_polyglot_upload_is_refused_and_names_come_from_the_title,
);

fn password(login: &str) -> &'static str {
    tsunagu::demo::password_of(login).unwrap()
}

/// A client whose requests carry `X-Forwarded-For: {addr}, 127.0.0.1`, as through two proxies.
fn forwarded_for(app: &TestApp, addr: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        format!("{addr}, 127.0.0.1").parse().unwrap(),
    );
    Client {
        base: app.base.clone(),
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap(),
    }
}

/// Sets a new password from the account page of `c` (logged in as demo-coordinator).
async fn change_password(c: &Client) -> StatusCode {
    c.post_form(
        "/account/password",
        &[
            ("current_password", password("demo-coordinator")),
            ("new_password", "a-new-long-passphrase-2026"),
            ("new_password_confirm", "a-new-long-passphrase-2026"),
        ],
    )
    .await
    .status()
}

/// A wrong password for `login` from client `c` (its CSRF token from the login page).
async fn fail_login(c: &Client, login: &str) -> StatusCode {
    c.login(login, "not-the-password-at-all").await.status()
}

async fn next_goes_only_to_a_path_on_this_site(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    for (next, expected) in [
        ("/%09/evil.example/", "/"),
        ("/%0a", "/"),
        ("//x", "/"),
        ("/%5Cx", "/"),
        ("%2F%2Fx", "/"),
        ("https://x", "/"),
        ("/ok", "/ok"),
    ] {
        let res = c.get(&format!("/login?next={next}")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "next={next}");
        assert_eq!(location(&res), expected, "next={next}");
    }
    // The same through the login form.
    let c = app.client();
    let token = c.csrf("/login").await;
    let res = c
        .post_form_raw(
            "/login",
            &[
                ("csrf_token", &token),
                ("login", "demo-coordinator"),
                ("password", password("demo-coordinator")),
                ("next", "/\t/evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/");
}

/// 87 wrong passwords against a colleague, with the attacker's own login every 29 tries (which
/// used to wipe the address's count): the address is stopped after 30 failures all the same.
async fn a_success_with_ones_own_account_does_not_reset_the_address(b: Backend) {
    let app = TestApp::demo(b).await;
    let attacker = app.client();
    let mut failures = 0;
    let mut stopped_at = None;
    for i in 0..90 {
        let status = if i % 30 == 29 {
            // Logged in as themselves in another window, from the same address.
            app.client()
                .login("demo-agency", password("demo-agency"))
                .await
                .status()
        } else {
            failures += 1;
            fail_login(&attacker, "demo-coordinator").await
        };
        if status == StatusCode::TOO_MANY_REQUESTS {
            stopped_at = Some(failures);
            break;
        }
    }
    assert_eq!(stopped_at, Some(31), "the 31st failure is refused");
    // The colleague's account counted its own failures and locked; one success resets only
    // that account's count (the attacker's own account is not locked).
    let (locked,): (Option<time::OffsetDateTime>,) =
        query("SELECT locked_until FROM users WHERE login = 'demo-coordinator'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(locked.is_some());
    let (own,): (i64,) = query("SELECT failed_logins FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(own, 0);
}

/// The office behind the reverse proxy of docs/operations.md: one member's 30 failures stop
/// that member's address only; a colleague behind the same proxy logs in. Without the proxy
/// trusted, a client cannot choose its address by the header.
async fn behind_a_trusted_proxy_each_client_has_its_own_count(b: Backend) {
    let app = TestApp::demo_with(
        b,
        Options {
            trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
            ..Options::default()
        },
    )
    .await;
    let mistyper = forwarded_for(&app, "192.0.2.66");
    for _ in 0..30 {
        assert_eq!(
            fail_login(&mistyper, "no-such-user").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        fail_login(&mistyper, "no-such-user").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let colleague = forwarded_for(&app, "192.0.2.7");
    let res = colleague
        .login("demo-coordinator", password("demo-coordinator"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (addr,): (Option<String>,) = query(
        "SELECT client_addr FROM audit_log WHERE action = 'login' AND user_login = 'demo-coordinator' \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(addr.as_deref(), Some("192.0.2.7"));
    drop(app);

    // Trusting no proxy, a made-up header changes nothing: the peer is counted.
    let app = TestApp::demo(b).await;
    for i in 0..30 {
        let c = forwarded_for(&app, &format!("198.51.100.{i}"));
        fail_login(&c, "no-such-user").await;
    }
    assert_eq!(
        fail_login(&app.client(), "no-such-user").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn a_pending_password_change_closes_the_api(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let api = Api::new(&app, "demo-coordinator").await;
    query("UPDATE users SET must_change_password = $1 WHERE login = 'demo-coordinator'")
        .bind(true)
        .execute(&app.db)
        .await
        .unwrap();
    let res = c.get("/api/v1/children").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "password_change_required");
    let (status, body) = api.get("/api/v1/children").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "password_change_required");
    // Pages lead to the change, which is still possible.
    assert_eq!(location(&c.get("/children").await), "/account/password");
    assert_eq!(change_password(&c).await, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/api/v1/children").await.status(), StatusCode::OK);
    assert_eq!(api.get("/api/v1/children").await.0, StatusCode::OK);
}

async fn changing_ones_password_ends_ones_other_sessions(b: Backend) {
    let app = TestApp::demo(b).await;
    let here = app.login_as("demo-coordinator").await;
    let elsewhere = app.login_as("demo-coordinator").await;
    let colleague = app.login_as("demo-supervisor").await;
    assert_eq!(elsewhere.get("/children").await.status(), StatusCode::OK);
    assert_eq!(change_password(&here).await, StatusCode::SEE_OTHER);
    assert_eq!(here.get("/children").await.status(), StatusCode::OK);
    let res = elsewhere.get("/children").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    assert_eq!(colleague.get("/children").await.status(), StatusCode::OK);
}

async fn a_reset_or_disabling_ends_sessions_and_revokes_tokens(b: Backend) {
    let app = TestApp::demo(b).await;
    let admin = app.login_as("demo-admin").await;
    for (login, path, fields) in [
        (
            "demo-agency",
            "password",
            vec![("new_password", "a-temporary-passphrase-2026")],
        ),
        ("demo-school", "status", vec![("disabled", "true")]),
    ] {
        let session = app.login_as(login).await;
        let api = Api::new(&app, login).await;
        assert_eq!(api.get("/api/v1/me").await.0, StatusCode::OK);
        let (id,): (i64,) = query("SELECT id FROM users WHERE login = $1")
            .bind(login)
            .fetch_one(&app.db)
            .await
            .unwrap();
        let res = admin
            .post_form(&format!("/admin/users/{id}/{path}"), &fields)
            .await;
        assert!(
            res.status().is_redirection() || res.status().is_success(),
            "{login}: {}",
            res.status()
        );
        assert_eq!(
            api.get("/api/v1/me").await.0,
            StatusCode::UNAUTHORIZED,
            "{login}'s token"
        );
        assert_eq!(
            session.get("/children").await.status(),
            StatusCode::SEE_OTHER,
            "{login}'s session"
        );
        let (revoked,): (i64,) = query(
            "SELECT COUNT(*) FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE u.login = $1 AND t.revoked_at IS NULL",
        )
        .bind(login)
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(revoked, 0, "{login}: every token revoked");
    }
    // Enabled again, the school's old token stays revoked.
    let (id,): (i64,) = query("SELECT id FROM users WHERE login = 'demo-school'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    admin
        .post_form(
            &format!("/admin/users/{id}/status"),
            &[("disabled", "false")],
        )
        .await;
    let (n,): (i64,) = query(
        "SELECT COUNT(*) FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE u.login = 'demo-school' AND t.revoked_at IS NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(n, 0);
}

async fn tokens_expire_and_are_listed_and_revoked(b: Backend) {
    let app = TestApp::demo(b).await;
    let api = Api::new(&app, "demo-coordinator").await;
    let (status, _) = api.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    // Issued for 90 days.
    let (created, expires): (time::OffsetDateTime, Option<time::OffsetDateTime>) =
        query("SELECT created_at, expires_at FROM api_tokens ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(expires, Some(created + time::Duration::days(90)));
    // The user sees it on their account page, with its last use.
    let c = app.login_as("demo-coordinator").await;
    let (_, page) = c.get_text("/account/password").await;
    assert!(page.contains("このアカウントのAPIトークン"), "{page}");
    assert!(
        page.contains(&api.token[..10]),
        "the token's first characters"
    );
    assert!(!page.contains("未使用"), "its use is shown");
    // Past its time it opens nothing.
    query("UPDATE api_tokens SET expires_at = $1")
        .bind(time::OffsetDateTime::now_utc() - time::Duration::minutes(1))
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);

    // From the command line: issue with an expiry, list, revoke.
    let url = app.database_url.clone();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--database", url.as_str()]);
        run_tsunagu(&all, Some(&key()), None)
    };
    let out = run(&[
        "token",
        "create",
        "--login",
        "demo-agency",
        "--expires-in",
        "30",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let token = String::from_utf8(out.stdout.clone())
        .unwrap()
        .trim()
        .to_owned();
    let agency = Api {
        base: app.base.clone(),
        token,
        http: reqwest::Client::new(),
    };
    assert_eq!(agency.get("/api/v1/me").await.0, StatusCode::OK);
    let out = run(&["token", "list", "--login", "demo-agency"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8(out.stdout).unwrap();
    let row = listed
        .lines()
        .find(|l| l.ends_with("\tvalid"))
        .expect(&listed);
    let id = row.split('\t').next().unwrap().to_owned();
    let out = run(&["token", "revoke", &id]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(agency.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let out = run(&["token", "list", "--login", "demo-agency"]);
    assert!(String::from_utf8(out.stdout).unwrap().contains("\trevoked"));
    let out = run(&[
        "token",
        "create",
        "--login",
        "demo-agency",
        "--expires-in",
        "0",
    ]);
    assert!(!out.status.success());
}

async fn client_request_ids_are_screened(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.client();
    let huge = "A".repeat(6 * 1024);
    for (sent, kept) in [
        (huge.as_str(), false),
        ("abc def", false),
        ("req-2026.12_06", true),
    ] {
        let res = c
            .http
            .get(c.url("/login"))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let answered = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(answered.len() <= 64);
        assert_eq!(answered == sent, kept, "{sent:.20}");
    }
    // A failed login with the huge id: its entry carries a fresh id, not the client's text.
    let token = c.csrf("/login").await;
    c.http
        .post(c.url("/login"))
        .header("x-request-id", &huge)
        .form(&[
            ("csrf_token", token.as_str()),
            ("login", "demo-coordinator"),
            ("password", "wrong-password-here"),
        ])
        .send()
        .await
        .unwrap();
    let (longest,): (Option<i64>,) =
        query("SELECT CAST(MAX(LENGTH(request_id)) AS BIGINT) FROM audit_log")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(longest.unwrap_or(0) <= 64, "{longest:?}");
}

async fn upload(
    api: &Api,
    child: i64,
    title: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let form = reqwest::multipart::Form::new()
        .text("title", title.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("text/html")
                .unwrap(),
        );
    let res = api
        .http
        .post(format!("{}/api/v1/children/{child}/attachments", api.base))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

async fn a_polyglot_upload_is_refused_and_names_come_from_the_title(b: Backend) {
    let app = TestApp::demo(b).await;
    let api = Api::new(&app, "demo-coordinator").await;
    let (_, children) = api.get("/api/v1/children?q=").await;
    let child = children["items"][0]["id"].as_i64().unwrap();
    let polyglot =
        b"%PDF-1.7\n<html><body><script>alert(document.domain)</script></body></html>\n".to_vec();
    let (status, body) = upload(&api, child, "", "p.html", polyglot).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "file");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("PDFとして読み取れない"));

    // A real PDF called p.html is kept as a PDF named for its title.
    let (status, body) = upload(&api, child, "診断書", "p.html", small_pdf("real")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let res = api
        .http
        .get(format!(
            "{}/api/v1/children/{child}/attachments/{id}",
            api.base
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%E8%A8%BA%E6%96%AD%E6%9B%B8.pdf"),
        "{disposition}"
    );
    assert!(!disposition.contains("html"), "{disposition}");
    // Without a title, the file's own name without its extension.
    let (status, body) = upload(&api, child, "", "紹介状.html", small_pdf("untitled")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = api
        .get(&format!("/api/v1/children/{child}/attachments"))
        .await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["file_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"紹介状.pdf"), "{names:?}");
    assert!(names.contains(&"診断書.pdf"), "{names:?}");
}
