//! Tsunagu over HTTP, as each role uses it: logins, sessions, CSRF, roles, the admin screens,
//! API tokens, the audit chain, bad input. Every test runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{csrf_in, location, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use tsunagu_store::{audit, db::query};

const DEMO_LOGINS: [&str; 6] = [
    "demo-admin",
    "demo-coordinator",
    "demo-coordinator-kashiwa",
    "demo-supervisor",
    "demo-agency",
    "demo-committee",
];

both_backends!(
    metrics_need_the_token_and_name_routes_not_paths,
    every_demo_account_logs_in_and_sees_its_japanese_home,
    a_wrong_password_is_refused_and_logged,
    ten_failures_lock_the_account_for_fifteen_minutes,
    a_disabled_user_is_logged_out_and_cannot_log_in,
    an_idle_or_too_old_session_is_refused,
    a_post_without_the_csrf_token_is_refused,
    an_api_token_works_until_revoked,
    each_role_sees_only_its_own_navigation,
    non_admins_are_refused_admin_pages_and_the_refusal_is_logged,
    the_setup_link_creates_the_first_admin_once,
    the_admin_creates_an_area_and_a_user_who_must_change_the_password,
    the_user_form_keeps_input_and_names_fields_on_errors,
    the_audit_chain_verifies_and_detects_an_edited_entry,
    the_audit_log_is_searchable_and_exports_csv_for_excel,
    bad_input_gets_a_clear_answer_and_changes_nothing,
    api_lists_follow_the_contract,
    every_response_carries_the_security_headers,
    the_cli_adds_a_user_and_creates_a_working_token,
);

async fn every_demo_account_logs_in_and_sees_its_japanese_home(b: Backend) {
    let app = TestApp::demo(b).await;
    for login in DEMO_LOGINS {
        let c = app.login_as(login).await;
        let (status, html) = c.get_text("/").await;
        assert_eq!(status, StatusCode::OK, "{login}");
        assert!(html.contains("<html lang=\"ja\">"));
        assert!(html.contains("<h1>ホーム</h1>"), "{login}");
        let me: Value = c.get("/api/v1/me").await.json().await.unwrap();
        assert_eq!(me["login"], login);
        assert!(
            html.contains(me["display_name"].as_str().unwrap()),
            "name shown for {login}"
        );
        assert!(
            html.contains(me["role_label"].as_str().unwrap()),
            "role shown for {login}"
        );
        // Logging out ends the session.
        let res = c.post_form("/logout", &[]).await;
        assert_eq!(location(&res), "/login?notice=logged_out");
        let res = c.get("/").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(location(&res).starts_with("/login"));
    }
    let logins = app.audit_actions("login").await;
    assert_eq!(
        logins
            .iter()
            .filter(|(_, outcome, _)| outcome == "success")
            .count(),
        6
    );
    assert_eq!(app.audit_actions("logout").await.len(), 6);
    // The coordinator's header names the area.
    let c = app.login_as("demo-coordinator").await;
    assert!(c.get_text("/").await.1.contains("香取海匝"));
}

async fn a_wrong_password_is_refused_and_logged(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.client();
    let res = c.login("demo-coordinator", "not-the-password-at-all").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(html.contains("ログインIDまたはパスワードが正しくありません。"));
    assert!(
        html.contains("value=\"demo-coordinator\""),
        "the login name is kept"
    );
    assert_eq!(c.get("/").await.status(), StatusCode::SEE_OTHER);
    let failures = app.audit_actions("login").await;
    assert_eq!(
        failures[0],
        (Some("demo-coordinator".into()), "failure".into(), None)
    );
    // An unknown login is refused the same way.
    let res = c.login("nobody-here", "whatever-password").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("ログインIDまたはパスワードが正しくありません。"));
}

async fn ten_failures_lock_the_account_for_fifteen_minutes(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.client();
    for _ in 0..10 {
        assert_eq!(
            c.login("demo-supervisor", "wrong-password-123")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Now even the right password is refused, with the reason.
    let res = c
        .login(
            "demo-supervisor",
            tsunagu::demo::password_of("demo-supervisor").unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.text().await.unwrap().contains("ロックされています"));
    assert_eq!(app.audit_actions("user.lock").await.len(), 1);
    // Other accounts are not affected.
    app.login_as("demo-coordinator").await;
    // Fifteen minutes later the account opens again.
    query("UPDATE users SET locked_until = $1 WHERE login = 'demo-supervisor'")
        .bind(tsunagu_store::now() - time::Duration::seconds(1))
        .execute(&app.db)
        .await
        .unwrap();
    app.login_as("demo-supervisor").await;
}

async fn a_disabled_user_is_logged_out_and_cannot_log_in(b: Backend) {
    let app = TestApp::demo(b).await;
    let supervisor = app.login_as("demo-supervisor").await;
    assert_eq!(supervisor.get("/").await.status(), StatusCode::OK);
    let admin = app.login_as("demo-admin").await;
    let id = user_id(&app, "demo-supervisor").await;
    let (status, html) = admin.get_text(&format!("/admin/users/{id}/status")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("アカウントを無効にしますか？"),
        "a confirmation comes first"
    );
    let res = admin
        .post_form(
            &format!("/admin/users/{id}/status"),
            &[("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        supervisor.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "session ended"
    );
    let res = app
        .client()
        .login(
            "demo-supervisor",
            tsunagu::demo::password_of("demo-supervisor").unwrap(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let last = &app.audit_actions("login").await[0];
    assert_eq!(last.1, "failure");
    // Enabled again, the user logs in.
    admin
        .post_form(
            &format!("/admin/users/{id}/status"),
            &[("disabled", "false")],
        )
        .await;
    app.login_as("demo-supervisor").await;
}

async fn an_idle_or_too_old_session_is_refused(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    assert_eq!(c.get("/").await.status(), StatusCode::OK);
    let now = tsunagu_store::now();
    query("UPDATE sessions SET last_seen_at = $1")
        .bind(now - time::Duration::minutes(31))
        .execute(&app.db)
        .await
        .unwrap();
    let res = c.get("/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "idle for 31 minutes");
    assert_eq!(location(&res), "/login?next=/");

    let c = app.login_as("demo-coordinator").await;
    query("UPDATE sessions SET last_seen_at = $1")
        .bind(now - time::Duration::minutes(29))
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        c.get("/").await.status(),
        StatusCode::OK,
        "29 minutes idle is still fine"
    );
    query("UPDATE sessions SET created_at = $1")
        .bind(now - time::Duration::hours(12) - time::Duration::minutes(1))
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        c.get("/").await.status(),
        StatusCode::SEE_OTHER,
        "older than 12 hours"
    );
}

async fn a_post_without_the_csrf_token_is_refused(b: Backend) {
    let app = TestApp::demo(b).await;
    let admin = app.login_as("demo-admin").await;
    let before = user_count(&app).await;
    let fields = [
        ("login", "csrf-victim"),
        ("display_name", "被害 太郎"),
        ("role", "committee"),
        ("password", "long-enough-password"),
    ];
    let res = admin.post_form_raw("/admin/users", &fields).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("画面の有効期限が切れたか"));
    let mut wrong = vec![("csrf_token", "forged-token")];
    wrong.extend_from_slice(&fields);
    assert_eq!(
        admin.post_form_raw("/admin/users", &wrong).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(user_count(&app).await, before, "nothing was written");
    assert_eq!(app.audit_actions("csrf.refused").await.len(), 2);
    // Logout without the token does not log out.
    assert_eq!(
        admin.post_form_raw("/logout", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(admin.get("/").await.status(), StatusCode::OK);
    // The login form needs its token too.
    let res = app
        .client()
        .post_form_raw(
            "/login",
            &[
                ("login", "demo-admin"),
                (
                    "password",
                    tsunagu::demo::password_of("demo-admin").unwrap(),
                ),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // And a session-authenticated API call that changes something needs the header.
    let res = admin
        .http
        .post(admin.url("/api/v1/areas"))
        .json(&serde_json::json!({"name": "x", "municipality_ids": [1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn an_api_token_works_until_revoked(b: Backend) {
    let app = TestApp::demo(b).await;
    let admin = app.login_as("demo-admin").await;
    let id = user_id(&app, "demo-coordinator").await;
    let res = admin
        .post_form(
            &format!("/admin/users/{id}/tokens"),
            &[("name", "集計連携")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let token = extract_between(&html, "<code class=\"token\" id=\"new-token\">", "</code>");
    assert!(token.starts_with("tsn_"));
    let api = reqwest::Client::new();
    let me = api
        .get(admin.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.unwrap()["login"],
        "demo-coordinator"
    );
    // Shown once: the user page does not show it again.
    let (_, page) = admin.get_text(&format!("/admin/users/{id}")).await;
    assert!(!page.contains(&token));
    // The token list names it; revoking it stops it at once.
    let (tokens,): (i64,) = query("SELECT id FROM api_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (_, list) = admin.get_text("/admin/tokens").await;
    assert!(list.contains("集計連携"));
    let confirm = admin
        .get_text(&format!("/admin/tokens/{tokens}/revoke"))
        .await
        .1;
    assert!(confirm.contains("失効させますか"));
    let res = admin
        .post_form(&format!("/admin/tokens/{tokens}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let me = api
        .get(admin.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        me.json::<Value>().await.unwrap()["error"]["code"],
        "unauthenticated"
    );
    let bogus = api
        .get(admin.url("/api/v1/me"))
        .bearer_auth("tsn_made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(bogus.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.audit_actions("token.revoke").await.len(), 1);
    assert_eq!(
        app.audit_actions("api.token").await.len(),
        2,
        "failed token uses are logged"
    );
}

async fn each_role_sees_only_its_own_navigation(b: Backend) {
    let app = TestApp::demo(b).await;
    for login in DEMO_LOGINS {
        let c = app.login_as(login).await;
        let (_, html) = c.get_text("/").await;
        let nav = extract_between(&html, "<nav class=\"main-nav\"", "</nav>");
        let admin_links = [
            "/admin/users",
            "/admin/areas",
            "/admin/audit",
            "/admin/tokens",
        ];
        for link in admin_links {
            assert_eq!(
                nav.contains(link),
                login == "demo-admin",
                "{login} and {link}"
            );
        }
        assert!(nav.contains("ホーム"));
    }
}

async fn non_admins_are_refused_admin_pages_and_the_refusal_is_logged(b: Backend) {
    let app = TestApp::demo(b).await;
    for login in [
        "demo-coordinator",
        "demo-agency",
        "demo-supervisor",
        "demo-committee",
    ] {
        let c = app.login_as(login).await;
        let (status, html) = c.get_text("/admin/users").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(html.contains("この操作を行う権限がありません。"));
        let res = c.get("/api/v1/users").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            res.json::<Value>().await.unwrap()["error"]["code"],
            "forbidden"
        );
        let res = c.get("/admin/audit.csv").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let denied = app.audit_actions("access.denied").await;
    assert_eq!(denied.len(), 12);
    assert!(denied.iter().all(|(_, outcome, _)| outcome == "denied"));
    assert!(denied
        .iter()
        .any(|(user, _, route)| user.as_deref() == Some("demo-agency")
            && route.as_deref() == Some("/api/v1/users")));
    // Creating an area through the API is for administrators only.
    let token = app.token_for("demo-coordinator").await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/areas", app.base))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "勝手な地域", "municipality_ids": [1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Not logged in: the page asks for a login, the API answers 401.
    let anon = app.client();
    assert!(location(&anon.get("/admin/users").await).starts_with("/login?next=/admin/users"));
    assert_eq!(
        anon.get("/api/v1/users").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn the_setup_link_creates_the_first_admin_once(b: Backend) {
    let app = TestApp::empty(b).await;
    let token = tsunagu_store::setup::issue_if_needed(&app.db)
        .await
        .unwrap()
        .expect("a setup token");
    let c = app.client();
    let (status, html) = c.get_text(&format!("/setup/{token}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("初期設定：管理者の作成"));
    let csrf = csrf_in(&html).unwrap();
    // A mismatched confirmation is refused and nothing is created.
    let res = c
        .post_form_raw(
            &format!("/setup/{token}"),
            &[
                ("csrf_token", &csrf),
                ("display_name", "最初 の管理者"),
                ("login", "first-admin"),
                ("password", "a-very-good-passphrase"),
                ("password_confirm", "different-passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("確認用のパスワードが一致しません。"));
    assert!(
        html.contains("value=\"first-admin\""),
        "typed values are kept"
    );
    assert_eq!(user_count(&app).await, 0);
    let res = c
        .post_form_raw(
            &format!("/setup/{token}"),
            &[
                ("csrf_token", &csrf),
                ("display_name", "最初 の管理者"),
                ("login", "first-admin"),
                ("password", "a-very-good-passphrase"),
                ("password_confirm", "a-very-good-passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login?notice=setup_done");
    assert_eq!(
        c.login("first-admin", "a-very-good-passphrase")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert!(c.get_text("/admin/users").await.1.contains("first-admin"));
    // The link is dead now, and no new one is issued.
    assert_eq!(
        app.client().get(&format!("/setup/{token}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(tsunagu_store::setup::issue_if_needed(&app.db)
        .await
        .unwrap()
        .is_none());
    // An expired link never worked.
    assert_eq!(
        app.client().get("/setup/made-up-token").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_admin_creates_an_area_and_a_user_who_must_change_the_password(b: Backend) {
    let app = TestApp::demo(b).await;
    let admin = app.login_as("demo-admin").await;
    let (_, form) = admin.get_text("/admin/areas/new").await;
    assert!(
        form.contains("印旛圏域"),
        "municipalities are grouped by region"
    );
    let inba: Vec<(i64,)> = query("SELECT m.id FROM municipalities m JOIN regions r ON r.id = m.region_id WHERE r.name = '印旛'")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(inba.len(), 9);
    let mut fields = vec![
        ("name".to_owned(), "印旛".to_owned()),
        ("kana".into(), "いんば".into()),
        ("active".into(), "on".into()),
    ];
    fields.extend(
        inba.iter()
            .map(|(id,)| ("municipality_ids".to_owned(), id.to_string())),
    );
    let token = admin.csrf("/admin/areas/new").await;
    fields.push(("csrf_token".into(), token));
    let res = admin
        .http
        .post(admin.url("/admin/areas"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (area_id,): (i64,) = query("SELECT id FROM areas WHERE name = '印旛'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (_, list) = admin.get_text("/admin/areas").await;
    assert!(list.contains("印旛") && list.contains("成田市"));

    let area = area_id.to_string();
    let res = admin
        .post_form(
            "/admin/users",
            &[
                ("login", "inba-coordinator"),
                ("display_name", "新任 まどか"),
                ("role", "coordinator"),
                ("area_ids", &area),
                ("password", "first-password-123"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/admin/users/"));
    let c = app.client();
    let res = c.login("inba-coordinator", "first-password-123").await;
    assert_eq!(
        location(&res),
        "/account/password",
        "a new user must choose a password"
    );
    assert_eq!(
        location(&c.get("/").await),
        "/account/password",
        "and cannot go elsewhere first"
    );
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", "first-password-123"),
                ("new_password", "my-own-secret-phrase"),
                ("new_password_confirm", "my-own-secret-phrase"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/?notice=password_changed");
    let (status, home) = c.get_text("/?notice=password_changed").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("パスワードを変更しました。"));
    assert!(home.contains("印旛"), "the header names the area");
    // The demo's accounts, and the one made here.
    assert_eq!(
        app.audit_actions("user.create").await.len(),
        tsunagu::demo::ACCOUNTS.len() + 1
    );
    assert_eq!(app.audit_actions("area.create").await.len(), 3);
}

async fn the_user_form_keeps_input_and_names_fields_on_errors(b: Backend) {
    let app = TestApp::demo(b).await;
    let admin = app.login_as("demo-admin").await;
    let before = user_count(&app).await;
    let res = admin
        .post_form(
            "/admin/users",
            &[
                ("login", "half-done"),
                ("display_name", ""),
                ("role", "coordinator"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("氏名を入力してください。"));
    assert!(html.contains("パスワードは12文字以上にしてください。"));
    assert!(
        html.contains("value=\"half-done\""),
        "the typed login survives"
    );
    assert!(
        !html.contains("value=\"short\""),
        "passwords are never echoed"
    );
    // A coordinator without an area is refused by the store's rule, shown beside the field.
    let res = admin
        .post_form(
            "/admin/users",
            &[
                ("login", "no-area"),
                ("display_name", "地域 なし"),
                ("role", "coordinator"),
                ("password", "long-enough-password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("この役割には担当地域を1つ以上選んでください。"));
    // A login already taken.
    let res = admin
        .post_form(
            "/admin/users",
            &[
                ("login", "demo-agency"),
                ("display_name", "重複"),
                ("role", "committee"),
                ("password", "long-enough-password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("このログインIDはすでに使われています。"));
    assert_eq!(user_count(&app).await, before, "no half-written user");
}

async fn the_audit_chain_verifies_and_detects_an_edited_entry(b: Backend) {
    let app = TestApp::demo(b).await;
    app.login_as("demo-coordinator").await;
    app.client()
        .login("demo-coordinator", "wrong-password-xyz")
        .await;
    let audit::Verification::Intact { entries } = audit::verify(&app.db).await.unwrap() else {
        panic!("a fresh chain must verify");
    };
    assert!(entries >= 10);
    let cli = run_cli(&["audit", "verify", "--database", &app.database_url], None);
    assert!(cli.status.success());
    assert!(String::from_utf8_lossy(&cli.stdout).starts_with(&format!("OK, {entries} entries")));

    // The table refuses edits outright…
    let refused = query("UPDATE audit_log SET action = 'nothing' WHERE id = 3")
        .execute(&app.db)
        .await;
    assert!(refused.is_err());
    assert!(query("DELETE FROM audit_log WHERE id = 3")
        .execute(&app.db)
        .await
        .is_err());
    // …and someone who switches that off is still found out.
    match b {
        Backend::Sqlite => {
            query("DROP TRIGGER audit_log_no_update")
                .execute(&app.db)
                .await
                .unwrap();
        }
        Backend::Postgres => {
            query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
                .execute(&app.db)
                .await
                .unwrap();
        }
    }
    query("UPDATE audit_log SET user_login = 'someone-else' WHERE id = 3")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        audit::verify(&app.db).await.unwrap(),
        audit::Verification::Broken {
            entry_id: 3,
            reason: "content does not match its hash"
        }
    );
    let cli = run_cli(&["audit", "verify", "--database", &app.database_url], None);
    assert!(!cli.status.success());
    assert!(String::from_utf8_lossy(&cli.stdout).contains("BROKEN at entry 3"));
}

async fn the_audit_log_is_searchable_and_exports_csv_for_excel(b: Backend) {
    let app = TestApp::demo(b).await;
    app.client()
        .login("demo-agency", "wrong-password-xyz")
        .await;
    let admin = app.login_as("demo-admin").await;
    let (status, html) = admin
        .get_text("/admin/audit?user=demo-agency&action=login")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("demo-agency") && html.contains("失敗"));
    let res = admin.get("/admin/audit.csv?action=login").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = res.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "a BOM so Excel reads UTF-8"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("番号,日時,ユーザー,操作"));
    assert!(text.contains(",ログイン,"), "actions in Japanese");
    assert!(text.contains("demo-agency") && text.contains("\r\n"));
    assert_eq!(app.audit_actions("audit.export").await.len(), 1);
    // The API answers the same search.
    let token = app.token_for("demo-admin").await;
    let page: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/audit-log?user=demo-agency&limit=5",
            app.base
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page["total"].as_i64().unwrap() >= 1);
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["user_login"] == "demo-agency"));
    // A wrong date is named.
    let (status, html) = admin.get_text("/admin/audit?from=2026-13-40").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("開始日は YYYY-MM-DD の形で入力してください。"));
    // A date range in Japan time: today's entries are found, tomorrow's range is empty.
    let today = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc());
    let (_, html) = admin
        .get_text(&format!(
            "/admin/audit?from={today}&until={today}&action=login"
        ))
        .await;
    assert!(html.contains("demo-agency"));
    let tomorrow = today.next_day().unwrap();
    let (_, html) = admin
        .get_text(&format!("/admin/audit?from={tomorrow}&action=login"))
        .await;
    assert!(html.contains("該当する記録はありません。"));
}

async fn bad_input_gets_a_clear_answer_and_changes_nothing(b: Backend) {
    let app = TestApp::demo(b).await;
    let token = app.token_for("demo-admin").await;
    let api = reqwest::Client::new();
    let url = format!("{}/api/v1/users", app.base);
    let before = user_count(&app).await;

    let res = api
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"login\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "bad_request"
    );

    let res = api
        .post(&url)
        .bearer_auth(&token)
        .body("login=x")
        .header("content-type", "text/plain")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    let res = api
        .post(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({"login": "ok-login", "display_name": "長".repeat(10_000), "role": "committee", "password": "long-enough-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_failed");
    assert_eq!(body["error"]["field"], "display_name");

    let res = api
        .post(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({"login": "x'; DROP TABLE users; --", "display_name": "注入", "role": "committee", "password": "long-enough-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["field"],
        "login"
    );

    let res = api
        .post(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({"login": "agency-no-agency", "display_name": "所属 なし", "role": "agency_staff", "password": "long-enough-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["field"],
        "agency_id"
    );

    let res = api
        .post(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({"login": "ghost-area", "display_name": "幽霊", "role": "coordinator", "area_ids": [999999], "password": "long-enough-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown area is named, not a 500"
    );
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["field"],
        "area_ids"
    );
    assert_eq!(user_count(&app).await, before, "no partial write");

    // Invalid UTF-8 and odd Unicode in a form.
    let admin = app.login_as("demo-admin").await;
    let csrf = admin.csrf("/admin/users/new").await;
    let mut body = format!("csrf_token={csrf}&login=abc&display_name=").into_bytes();
    body.extend_from_slice(&[0xff, 0xfe, 0x00]);
    body.extend_from_slice(b"&role=committee&password=long-enough-password");
    let res = admin
        .http
        .post(admin.url("/admin/users"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_client_error() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let res = admin
        .post_form(
            "/admin/users",
            &[
                ("login", "odd-unicode"),
                ("display_name", "\u{202e}逆\u{0007}"),
                ("role", "committee"),
                ("password", "long-enough-password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Unknown routes, wrong methods, wrong numbers, huge bodies.
    let (status, html) = admin.get_text("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("見つかりません"));
    let res = api
        .get(format!("{}/api/v1/nothing-here", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let res = api
        .delete(format!("{}/api/v1/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "method_not_allowed"
    );
    let res = api
        .get(format!("{}/api/v1/municipalities?limit=abc", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["field"],
        "limit"
    );
    // Its own client: the server may refuse the body before reading it and drop the connection.
    let res = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b' '; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == StatusCode::PAYLOAD_TOO_LARGE || res.status() == StatusCode::BAD_REQUEST,
        "{}",
        res.status()
    );
    let res = api
        .get(format!("{}/api/v1/users/not-a-number", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .is_some());
    let res = api
        .get(format!("{}/api/v1/users?q=%27%20OR%201%3D1%20--", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["total"], 0);
    assert_eq!(user_count(&app).await, before);
}

async fn api_lists_follow_the_contract(b: Backend) {
    let app = TestApp::demo(b).await;
    let token = app.token_for("demo-coordinator").await;
    let api = reqwest::Client::new();
    let get = |path: String| {
        let api = api.clone();
        let token = token.clone();
        async move {
            api.get(path)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let all = get(format!("{}/api/v1/municipalities?limit=2", app.base)).await;
    assert_eq!(all["total"], 54);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    for q in ["かしわ", "カシワ", "ｶｼﾜ", "柏"] {
        let found = get(format!("{}/api/v1/municipalities?q={q}", app.base)).await;
        assert_eq!(found["total"], 1, "{q}");
        assert_eq!(found["items"][0]["name"], "柏市");
    }
    let clamped = get(format!("{}/api/v1/municipalities?limit=100000", app.base)).await;
    assert_eq!(clamped["items"].as_array().unwrap().len(), 54);
    let regions = get(format!("{}/api/v1/regions", app.base)).await;
    assert_eq!(regions["total"], 16);
    let areas = get(format!("{}/api/v1/areas", app.base)).await;
    assert_eq!(areas["total"], 2);
    let katori = areas["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "香取海匝")
        .unwrap();
    assert_eq!(katori["municipalities"].as_array().unwrap().len(), 7);
    assert_eq!(katori["coordinator_count"], 1);
    let missing = api
        .get(format!("{}/api/v1/areas/999999", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The OpenAPI document lists every route, and Swagger UI serves from our own files.
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/areas",
        "/api/v1/areas/{id}",
        "/api/v1/municipalities",
        "/api/v1/regions",
        "/api/v1/audit-log",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    let docs = reqwest::get(format!("{}/api/docs", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(docs.contains("/static/vendor/swagger-ui/swagger-ui-bundle.js"));
    assert!(
        !docs.contains("http://") && !docs.contains("https://"),
        "nothing loaded from outside"
    );
}

async fn every_response_carries_the_security_headers(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.client();
    for path in [
        "/login",
        "/",
        "/api/v1/me",
        "/no-such-page",
        "/static/app.css",
        "/healthz",
    ] {
        let res = c.get(path).await;
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("x-request-id"));
    }
    assert_eq!(c.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(c.get("/readyz").await.status(), StatusCode::OK);
    // The session cookie is HttpOnly and SameSite; the login page sets no session.
    let res = c
        .login(
            "demo-admin",
            tsunagu::demo::password_of("demo-admin").unwrap(),
        )
        .await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("tsunagu_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
    );
    // Behind an HTTPS proxy the cookie is Secure.
    let secure = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login_page = secure
        .get(c.url("/login"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let pre = login_page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(pre.contains("Secure"), "{pre}");
    // …and named with the __Host- prefix (Secure, Path=/, no Domain), which is then the only
    // name read: a cookie without the prefix, as another host could plant, is not a session.
    assert!(pre.starts_with("__Host-tsunagu_csrf="), "{pre}");
    assert!(pre.contains("Path=/") && !pre.contains("Domain"), "{pre}");
    let csrf_cookie = pre.split(';').next().unwrap().to_owned();
    let html = login_page.text().await.unwrap();
    let token = common::csrf_in(&html).unwrap();
    let password = tsunagu::demo::password_of("demo-admin").unwrap();
    let res = secure
        .post(c.url("/login"))
        .header("x-forwarded-proto", "https")
        .header("cookie", &csrf_cookie)
        .form(&[
            ("csrf_token", token.as_str()),
            ("login", "demo-admin"),
            ("password", password),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(session.starts_with("__Host-tsunagu_session="), "{session}");
    assert!(session.contains("Secure") && session.contains("Path=/"));
    let pair = session.split(';').next().unwrap().to_owned();
    let me = |cookie: String| {
        secure
            .get(c.url("/api/v1/me"))
            .header("x-forwarded-proto", "https")
            .header("cookie", cookie)
            .send()
    };
    assert_eq!(me(pair.clone()).await.unwrap().status(), StatusCode::OK);
    let unprefixed = pair.trim_start_matches("__Host-").to_owned();
    assert_eq!(
        me(unprefixed).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn the_cli_adds_a_user_and_creates_a_working_token(b: Backend) {
    let app = TestApp::demo(b).await;
    let out = run_cli(
        &[
            "user",
            "add",
            "--login",
            "cli-coordinator",
            "--name",
            "端末 登録",
            "--role",
            "coordinator",
            "--area",
            "柏市",
            "--database",
            &app.database_url,
        ],
        Some("cli-password-long-enough\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("cli-coordinator"));
    let c = app.client();
    assert_eq!(
        c.login("cli-coordinator", "cli-password-long-enough")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    // A short password is refused with a Japanese message.
    let out = run_cli(
        &[
            "user",
            "add",
            "--login",
            "cli-short",
            "--name",
            "短い",
            "--role",
            "committee",
            "--database",
            &app.database_url,
        ],
        Some("short\n"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("12文字以上"));
    let out = run_cli(
        &[
            "token",
            "create",
            "--login",
            "cli-coordinator",
            "--database",
            &app.database_url,
        ],
        None,
    );
    assert!(out.status.success());
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let me: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["login"], "cli-coordinator");
    assert_eq!(me["role"], "coordinator");
    let help = run_cli(&["--help"], None);
    let help = String::from_utf8_lossy(&help.stdout);
    for sub in ["serve", "user", "token", "audit"] {
        assert!(help.contains(sub));
    }
}

// --- helpers ---

async fn user_id(app: &TestApp, login: &str) -> i64 {
    let (id,): (i64,) = query("SELECT id FROM users WHERE login = $1")
        .bind(login)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

async fn user_count(app: &TestApp) -> i64 {
    let (n,): (i64,) = query("SELECT COUNT(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    n
}

fn extract_between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} not found"))
        + start.len();
    let to = text[from..].find(end).unwrap() + from;
    text[from..to].to_owned()
}

fn run_cli(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tsunagu"))
        .args(args)
        .env("TSUNAGU_LOG", "error")
        .env(
            "TSUNAGU_DATABASE_KEY",
            tsunagu_store::testing::key().to_hex(),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

async fn metrics_need_the_token_and_name_routes_not_paths(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let (_, children) = common::Api::new(&app, "demo-coordinator")
        .await
        .get("/api/v1/children")
        .await;
    let child = children["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        c.get(&format!("/children/{child}")).await.status(),
        StatusCode::OK
    );

    let http = reqwest::Client::new();
    let url = format!("{}/metrics", app.base);
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A logged-in user's session is not the scraper's token.
    assert_eq!(c.get("/metrics").await.status(), StatusCode::UNAUTHORIZED);

    let res = http
        .get(&url)
        .bearer_auth(common::METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"tsunagu_http_requests_total{method="GET",route="/children/{id}",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        !text.contains(&format!("/children/{child}")),
        "no id reaches the metrics"
    );
    assert!(text.contains("tsunagu_http_request_duration_seconds_bucket{le="));
    assert!(text.contains("tsunagu_db_pool_connections "));
    let audit_line = text
        .lines()
        .find(|l| l.starts_with("tsunagu_audit_entries_written_total "))
        .unwrap();
    let written: f64 = audit_line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        written >= 1.0,
        "the child page's read was audited: {audit_line}"
    );
}
