//! The second factor as a coordinator meets it: made to enrol before anything else when the
//! switch is on, the code asked after the password, codes good once, recovery codes, lockout,
//! an administrator's reset; and common passwords refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{location, Backend, Client, TestApp};
use reqwest::StatusCode;
use tsunagu_store::{
    second_factor::{self, Enrolment},
    users,
};

both_backends!(
    a_coordinator_enrols_then_logs_in_with_a_code,
    recovery_codes_work_once_and_wrong_codes_lock,
    an_administrator_resets_a_lost_phone,
    without_the_switch_nothing_is_forced,
    common_passwords_are_refused,
);

fn password(login: &str) -> &'static str {
    tsunagu::demo::password_of(login).unwrap()
}

/// Posts `fields` with the CSRF token of the page at `page`.
async fn post_from(
    c: &Client,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = c.csrf(page).await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    c.post_form_raw(path, &all).await
}

fn secret_in(html: &str) -> String {
    let start = html.find("id=\"totp-secret\">").expect("secret shown") + 17;
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].replace(' ', "")
}

fn recovery_codes_in(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .map(|s| s[..s.find('<').unwrap()].to_owned())
        .collect()
}

/// The code the user's authenticator app shows `offset` seconds from now.
fn code(secret: &str, login: &str, offset: i64) -> String {
    let enrolment = Enrolment {
        secret: secret.to_owned(),
        url: String::new(),
    };
    second_factor::code_at(
        &enrolment,
        login,
        time::OffsetDateTime::now_utc() + time::Duration::seconds(offset),
    )
    .unwrap()
}

/// Logs in with the password and enrols; answers the client (fully logged in), the secret,
/// the recovery codes and the code that confirmed the enrolment.
async fn enrol(app: &TestApp, login: &str) -> (Client, String, Vec<String>, String) {
    let c = app.client();
    assert_eq!(
        c.login(login, password(login)).await.status(),
        StatusCode::SEE_OTHER
    );
    let res = c.get("/").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        "/account/second-factor?notice=second_factor_required"
    );
    let res = post_from(
        &c,
        "/account/second-factor",
        "/account/second-factor/start",
        &[],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "a QR code is shown");
    let secret = secret_in(&html);
    assert_eq!(secret.len(), 32);

    // A wrong code keeps the same secret on screen, so the app's entry still works.
    let res = post_from(
        &c,
        "/account/second-factor",
        "/account/second-factor/confirm",
        &[("code", "000000")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("確認コードが正しくありません"));
    assert_eq!(secret_in(&html), secret);

    let first = code(&secret, login, 0);
    let res = post_from(
        &c,
        "/account/second-factor",
        "/account/second-factor/confirm",
        &[("code", &first)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("二度と表示されません"));
    let codes = recovery_codes_in(&html);
    assert_eq!(codes.len(), 10);
    assert_eq!(c.get("/").await.status(), StatusCode::OK);
    (c, secret, codes, first)
}

/// Logs in with the password only: the session waits for the code.
async fn half_login(app: &TestApp, login: &str) -> Client {
    let c = app.client();
    let res = c.login(login, password(login)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/login/second-factor?next=%2F");
    c
}

async fn give_code(c: &Client, code: &str) -> reqwest::Response {
    post_from(
        c,
        "/login/second-factor",
        "/login/second-factor",
        &[("code", code), ("next", "/children")],
    )
    .await
}

async fn a_coordinator_enrols_then_logs_in_with_a_code(b: Backend) {
    let app = TestApp::demo_requiring_second_factor(b).await;
    let login = "demo-coordinator";

    // Before enrolling, the API through the session is closed too.
    let c = app.client();
    c.login(login, password(login)).await;
    assert_eq!(
        c.get("/api/v1/children").await.status(),
        StatusCode::UNAUTHORIZED
    );
    drop(c);

    let (c, secret, _, first) = enrol(&app, login).await;
    assert_eq!(app.audit_actions("second_factor.enrolled").await.len(), 1);
    post_from(&c, "/", "/logout", &[]).await;

    let c = half_login(&app, login).await;
    // Nothing opens with the password alone: pages go back to the code, the API refuses.
    let res = c.get("/children").await;
    assert_eq!(location(&res), "/login/second-factor");
    assert_eq!(
        c.get("/api/v1/children").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, html) = c.get_text("/login/second-factor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("確認コードの入力"));

    let res = give_code(&c, "123456").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("確認コードが正しくありません"));
    // The code used to enrol was used: it does not open a second session.
    let res = give_code(&c, &first).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The app's next code does.
    let res = give_code(&c, &code(&secret, login, 30)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/children");
    assert_eq!(c.get("/children").await.status(), StatusCode::OK);
    assert_eq!(c.get("/api/v1/children").await.status(), StatusCode::OK);

    let uses = app.audit_actions("login.second_factor").await;
    assert_eq!(uses.iter().filter(|(_, o, _)| o == "success").count(), 1);
    assert_eq!(uses.iter().filter(|(_, o, _)| o == "failure").count(), 2);
}

async fn recovery_codes_work_once_and_wrong_codes_lock(b: Backend) {
    let app = TestApp::demo_requiring_second_factor(b).await;
    let login = "demo-coordinator";
    let (_, _, codes, _) = enrol(&app, login).await;

    let c = half_login(&app, login).await;
    let res = give_code(&c, &codes[3].to_uppercase()).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        "/account/second-factor?notice=recovery_code_used"
    );
    let (_, html) = c.get_text("/account/second-factor").await;
    assert!(html.contains("残り 9 個"), "{html}");

    let c = half_login(&app, login).await;
    let res = give_code(&c, &codes[3]).await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "a used recovery code is refused"
    );

    // Wrong codes count like wrong passwords: the account locks, and the session ends.
    let mut last = StatusCode::OK;
    for _ in 0..tsunagu_domain::login_policy::MAX_FAILURES {
        last = give_code(&c, "999999").await.status();
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(location(&c.get("/").await), "/login?next=/");
    let res = c.login(login, password(login)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "locked for a while");
}

async fn an_administrator_resets_a_lost_phone(b: Backend) {
    let app = TestApp::demo_requiring_second_factor(b).await;
    let (coordinator, ..) = enrol(&app, "demo-coordinator").await;
    let (admin, ..) = enrol(&app, "demo-admin").await;
    let user = users::find_by_login(&app.db, "demo-coordinator")
        .await
        .unwrap()
        .unwrap();
    assert!(user.second_factor_enabled);
    let page = format!("/admin/users/{}/second-factor", user.id);

    // Only an administrator may.
    assert_eq!(coordinator.get(&page).await.status(), StatusCode::FORBIDDEN);
    let (status, html) = admin.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("二段階認証をリセットしますか"));
    let res = post_from(&admin, &page, &page, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // The coordinator is logged out and must enrol again.
    assert_eq!(location(&coordinator.get("/").await), "/login?next=/");
    let user = users::find_by_login(&app.db, "demo-coordinator")
        .await
        .unwrap()
        .unwrap();
    assert!(!user.second_factor_enabled);
    assert_eq!(
        second_factor::recovery_codes_left(&app.db, user.id)
            .await
            .unwrap(),
        0
    );
    enrol(&app, "demo-coordinator").await;
    let resets = app.audit_actions("second_factor.reset").await;
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0].0.as_deref(), Some("demo-admin"));
}

async fn without_the_switch_nothing_is_forced(b: Backend) {
    // With the switch on, roles other than coordinator and admin are not made to enrol.
    let app = TestApp::demo_requiring_second_factor(b).await;
    let agency = app.login_as("demo-agency").await;
    assert_eq!(agency.get("/").await.status(), StatusCode::OK);
    drop(app);
    // With it off, a coordinator logs in with the password alone, and may still enrol.
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    assert_eq!(c.get("/").await.status(), StatusCode::OK);
    let (_, html) = c.get_text("/account/second-factor").await;
    assert!(html.contains("未設定"));
}

async fn common_passwords_are_refused(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", password("demo-coordinator")),
                ("new_password", "Password1234"),
                ("new_password_confirm", "Password1234"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("推測されやすいパスワード"));
    let res = c
        .post_form(
            "/account/password",
            &[
                ("current_password", password("demo-coordinator")),
                ("new_password", "ふじさんのふもとでおちゃをのむ"),
                ("new_password_confirm", "ふじさんのふもとでおちゃをのむ"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}
