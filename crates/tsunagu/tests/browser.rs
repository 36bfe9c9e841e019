//! The Japanese screens in a real headless Chromium (Debian's chromium and chromium-driver):
//! each demo account logs in, sees its home page, logs out; the administrator's forms keep what
//! was typed and show errors beside the fields. A screenshot of each main screen is kept under
//! target/screenshots/ for a person to look at.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{path::PathBuf, process::Stdio, time::Duration};

use common::{Backend, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: std::process::Child,
    port: u16,
    profile: PathBuf,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver (Debian package chromium-driver) must be installed: run scripts/test",
            );
        let profile = std::env::temp_dir().join(format!("tsunagu-chromium-{port}"));
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            port,
            profile,
        }
    }

    async fn browser(&self) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--lang=ja-JP", "--window-size=1280,900",
                    format!("--user-data-dir={}", self.profile.display()),
                ]
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn save_screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.unwrap();
    assert!(png.len() > 1000, "a real picture");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// The page at a phone's width (390 px) scrolls only downwards; its picture is kept.
async fn assert_fits_a_phone(browser: &Client, name: &str) {
    browser.set_window_size(390, 844).await.unwrap();
    let (page, view) = (
        browser
            .execute("return document.documentElement.scrollWidth", vec![])
            .await
            .unwrap(),
        browser
            .execute("return window.innerWidth", vec![])
            .await
            .unwrap(),
    );
    save_screenshot(browser, name).await;
    browser.set_window_size(1280, 900).await.unwrap();
    assert!(
        page.as_i64().unwrap() <= view.as_i64().unwrap(),
        "{name}: {page} px wide in a {view} px window"
    );
}

async fn fill(browser: &Client, id: &str, value: &str) {
    let field = browser.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Opens a form shown on demand (the child's page keeps its forms closed under a button).
async fn open_form(browser: &Client, label: &str) {
    browser
        .wait()
        .for_element(Locator::XPath(&format!(
            "//details[contains(@class, 'on-demand')]/summary[normalize-space() = '{label}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The texts of the elements `css` finds once htmx has stopped swapping them (each change of
/// a filter asks again, and an earlier answer may land after the first row was found).
async fn settled_texts(browser: &Client, css: &str) -> Vec<String> {
    let mut last = Vec::new();
    for _ in 0..50 {
        let busy = browser
            .find_all(Locator::Css(".htmx-request"))
            .await
            .map_or(true, |found| !found.is_empty());
        let mut texts = Vec::new();
        let mut stale = false;
        for row in browser
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
        {
            match row.text().await {
                Ok(t) => texts.push(t),
                Err(_) => stale = true,
            }
        }
        if !busy && !stale && texts == last {
            return texts;
        }
        last = texts;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

async fn log_out(browser: &Client) {
    browser
        .find(Locator::Css(".site-header form.inline button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-login"))
        .await
        .unwrap();
}

async fn log_in(browser: &Client, base: &str, login: &str, password: &str) {
    browser.goto(&format!("{base}/login")).await.unwrap();
    fill(browser, "f-login", login).await;
    fill(browser, "f-password", password).await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Logged in once a page with the user's name has loaded: a navigation right after the click
    // could otherwise leave before the session cookie arrived.
    browser
        .wait()
        .for_element(Locator::Css(".who-name, .notice-error, #f-code"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_demo_account_logs_in_sees_its_home_and_logs_out() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    browser.goto(&format!("{}/login", app.base)).await.unwrap();
    save_screenshot(&browser, "login").await;
    for (login, name, role) in [
        ("demo-admin", "見本 管理者", "システム管理者"),
        (
            "demo-coordinator",
            "見本 はな子",
            "療育支援コーディネーター",
        ),
        (
            "demo-coordinator-kashiwa",
            "試験 つむぎ",
            "療育支援コーディネーター",
        ),
        ("demo-supervisor", "例題 次郎", "市町村担当者"),
        ("demo-agency", "仮名 さくら", "関係機関職員"),
        ("demo-school", "仮名 まなぶ", "関係機関職員"),
        ("demo-committee", "見本 審議委員", "療育支援専門部会"),
    ] {
        log_in(
            &browser,
            &app.base,
            login,
            tsunagu::demo::password_of(login).unwrap(),
        )
        .await;
        browser
            .wait()
            .for_element(Locator::Css(".who-name"))
            .await
            .unwrap();
        assert_eq!(text_of(&browser, "main h1").await, "ホーム", "{login}");
        assert_eq!(text_of(&browser, ".who-name").await, name);
        assert_eq!(text_of(&browser, ".who-role").await, role);
        let lang = browser
            .find(Locator::Css("html"))
            .await
            .unwrap()
            .attr("lang")
            .await
            .unwrap();
        assert_eq!(lang.as_deref(), Some("ja"));
        save_screenshot(&browser, &format!("home-{login}")).await;
        browser
            .find(Locator::Css("form.inline button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser
            .wait()
            .for_element(Locator::Css(".notice"))
            .await
            .unwrap();
        assert_eq!(text_of(&browser, ".notice").await, "ログアウトしました。");
    }
    // A wrong password shows the message on the login page, keeping the login name.
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        "wrong-password-here",
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".notice-error"))
        .await
        .unwrap();
    assert!(text_of(&browser, ".notice-error")
        .await
        .contains("正しくありません"));
    let kept = browser
        .find(Locator::Id("f-login"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("demo-coordinator"));
    save_screenshot(&browser, "login-error").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_forms_keep_input_and_show_errors_beside_fields() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-admin",
        tsunagu::demo::password_of("demo-admin").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();

    browser
        .goto(&format!("{}/admin/users/new", app.base))
        .await
        .unwrap();
    fill(&browser, "f-login", "new-coordinator").await;
    fill(&browser, "f-display_name", "新人 ひかり").await;
    fill(&browser, "f-password", "short").await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".error-summary"))
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, "#e-password").await,
        "パスワードは12文字以上にしてください。"
    );
    let kept = browser
        .find(Locator::Id("f-display_name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        kept.as_deref(),
        Some("新人 ひかり"),
        "what was typed survives the error"
    );
    assert!(text_of(&browser, "#f-area_ids")
        .await
        .contains("この役割には担当地域"));
    save_screenshot(&browser, "admin-user-form-errors").await;

    // Fixed, it saves.
    browser
        .find(Locator::Css("input[name=area_ids]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&browser, "f-password", "a-long-enough-password").await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert_eq!(text_of(&browser, ".notice").await, "登録しました。");
    save_screenshot(&browser, "admin-user-detail").await;

    // A token for the new user, for 30 days: shown once, listed with its expiry.
    fill(&browser, "f-name", "集計システム連携").await;
    browser
        .find(Locator::Css("#f-expires_in option[value='30']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[action$='/tokens'] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("new-token"))
        .await
        .unwrap();
    let expiry = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
        .to_offset(time::macros::offset!(+9));
    let listed = settled_texts(&browser, "table.list tbody tr").await;
    let expires = tsunagu_domain::japanese_date::format_date(expiry.date());
    assert!(
        listed
            .iter()
            .any(|r| r.contains("集計システム連携") && r.contains(&expires)),
        "{listed:?} {expires}"
    );
    save_screenshot(&browser, "admin-user-token").await;

    // The administrator's own token, on their account page with its last use and a way to
    // revoke it.
    let own = app.token_for("demo-admin").await;
    reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&own)
        .send()
        .await
        .unwrap();
    browser
        .goto(&format!("{}/account/password", app.base))
        .await
        .unwrap();
    let row = text_of(&browser, "#tokens tbody tr").await;
    assert!(row.contains(&own[..10]) && !row.contains("未使用"), "{row}");
    assert_fits_a_phone(&browser, "account-password-phone").await;
    for (path, name) in [
        ("/admin/users", "admin-users"),
        ("/admin/areas", "admin-areas"),
        ("/admin/areas/new", "admin-area-form"),
        ("/admin/municipalities", "admin-municipalities"),
        ("/admin/audit", "admin-audit"),
        ("/admin/tokens", "admin-tokens"),
        ("/account/password", "account-password"),
    ] {
        browser.goto(&format!("{}{path}", app.base)).await.unwrap();
        save_screenshot(&browser, name).await;
    }
    browser
        .goto(&format!("{}/admin/audit", app.base))
        .await
        .unwrap();
    assert!(text_of(&browser, "table.list")
        .await
        .contains("user.create"));
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_is_searched_filtered_printed_and_imported() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .find(Locator::LinkText("関係機関"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("results"))
        .await
        .unwrap();

    // Typing half-width katakana finds the nursery as you type.
    fill(&browser, "f-q", "ﾂﾅｸﾞ").await;
    browser
        .wait()
        .for_element(Locator::XPath(
            "//div[@id='results']//a[contains(., 'つなぐ保育園（デモ）')]",
        ))
        .await
        .unwrap();
    save_screenshot(&browser, "agencies-search").await;

    // Two choices: the kind, then the town — the list follows each change.
    fill(&browser, "f-q", "").await;
    browser
        .find(Locator::Css("#f-kind option:nth-child(18)"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let kind_text = text_of(&browser, "#f-kind option:nth-child(18)").await;
    assert_eq!(kind_text, "放課後等デイサービス");
    let (town,): (String,) = tsunagu_store::db::query(
        "SELECT m.name FROM agencies a JOIN agency_kinds k ON k.id = a.kind_id \
         JOIN municipalities m ON m.id = a.municipality_id \
         WHERE k.name = '放課後等デイサービス' AND m.name <> '柏市' ORDER BY m.name LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    browser
        .find(Locator::XPath(&format!(
            "//select[@id='f-municipality']/option[.='{town}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::XPath(&format!(
            "//div[@id='results']//td[contains(., '{town}')]"
        )))
        .await
        .unwrap();
    let rows = settled_texts(&browser, "#results tbody tr").await;
    assert!(!rows.is_empty());
    for text in rows {
        assert!(
            text.contains("放課後等デイサービス") && text.contains(&town),
            "{text}"
        );
    }
    let url = browser.current_url().await.unwrap();
    assert!(
        url.as_str().contains("municipality_id="),
        "the URL keeps the filters: {url}"
    );
    save_screenshot(&browser, "agencies-filtered").await;
    browser
        .find(Locator::LinkText("印刷用の一覧"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".print-list"))
        .await
        .unwrap();
    assert!(text_of(&browser, ".print-meta")
        .await
        .contains(&format!("市町村：{town}")));
    save_screenshot(&browser, "agencies-print").await;

    // Import: a Shift_JIS file with one bad row shows the preview with the row's problem.
    let csv = "名称,よみがな,種別,市町村,郵便番号,住所\r\n\
        ブラウザ取込園（デモ）,ぶらうざとりこみえん,保育所・認定こども園,香取市,287-0003,香取市画面1-1\r\n\
        ブラウザ取込デイ（デモ）,ぶらうざとりこみでい,デイサービス,旭市,289-2501,旭市画面2-2\r\n";
    let path = std::env::temp_dir().join(format!("tsunagu-import-{}.csv", std::process::id()));
    std::fs::write(&path, encoding_rs::SHIFT_JIS.encode(csv).0).unwrap();
    browser
        .goto(&format!("{}/agencies/import", app.base))
        .await
        .unwrap();
    browser
        .find(Locator::Id("f-file"))
        .await
        .unwrap()
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("table.preview"))
        .await
        .unwrap();
    let preview = text_of(&browser, "table.preview").await;
    assert!(
        preview.contains("種別「デイサービス」は登録されていません。"),
        "{preview}"
    );
    assert!(text_of(&browser, "main")
        .await
        .contains("まだ何も登録していません"));
    save_screenshot(&browser, "agencies-import-preview").await;
    let _ = std::fs::remove_file(&path);
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_call_is_taken_then_linked_to_a_new_child() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    save_screenshot(&browser, "home-coordinator-with-deadlines").await;

    // The call: a parent who gives no name. Channel and requester are preset; the concern is all.
    browser
        .find(Locator::LinkText("相談受付"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-concern"))
        .await
        .unwrap();
    fill(
        &browser,
        "f-concern",
        "3歳の息子のことばが遅く、保育園から相談をすすめられた",
    )
    .await;
    browser
        .find(Locator::XPath("//label[contains(., 'ことば')]/input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&browser, "f-minutes", "12").await;
    save_screenshot(&browser, "intake-form").await;
    browser
        .find(Locator::Css("form.intake button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert_eq!(text_of(&browser, ".notice").await, "相談を記録しました。");
    let mut consultation_url = browser.current_url().await.unwrap();
    consultation_url.set_query(None);

    // Later the family comes in: a new record.
    browser
        .goto(&format!("{}/children/new", app.base))
        .await
        .unwrap();
    fill(&browser, "f-family_name", "画面").await;
    fill(&browser, "f-given_name", "あおい").await;
    fill(&browser, "f-family_kana", "がめん").await;
    fill(&browser, "f-given_kana", "あおい").await;
    browser
        .execute(
            "document.getElementById('f-birth_date').value = '2023-04-10'",
            vec![],
        )
        .await
        .unwrap();
    fill(&browser, "g-name-0", "画面 ひかる").await;
    fill(&browser, "g-rel-0", "母").await;
    fill(
        &browser,
        "a-text-0",
        "新しい場所では、先に写真で見せておくと入れる",
    )
    .await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".child-facts"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main h1").await.contains("画面 あおい"));

    // Back to the call: search as you type, pick the child, link.
    browser.goto(consultation_url.as_str()).await.unwrap();
    fill(&browser, "f-child_q", "ｶﾞﾒﾝ").await;
    browser
        .wait()
        .for_element(Locator::XPath("//label[contains(., '画面 あおい')]/input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".child-facts"))
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, ".notice").await,
        "相談をこの子どもの記録に結びつけました。"
    );
    save_screenshot(&browser, "child-page").await;
    browser
        .find(Locator::LinkText("経過（タイムライン）"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("ol.timeline"))
        .await
        .unwrap();
    let timeline = text_of(&browser, "ol.timeline").await;
    assert!(
        timeline.contains("ことばが遅く") && timeline.contains("記録を作成しました"),
        "{timeline}"
    );
    save_screenshot(&browser, "child-timeline").await;

    // The nursery sees its shared children, in the shared parts only.
    browser
        .find(Locator::Css("form.inline button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    log_in(
        &browser,
        &app.base,
        "demo-agency",
        tsunagu::demo::password_of("demo-agency").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .find(Locator::LinkText("共有されている子ども"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("table.list"))
        .await
        .unwrap();
    browser
        .find(Locator::Css("table.list tbody a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".child-facts"))
        .await
        .unwrap();
    let main = text_of(&browser, "main").await;
    assert!(main.contains("共有されている範囲だけを表示しています"));
    assert!(!main.contains("コーディネーターのメモ") && !main.contains("同意・情報共有"));
    save_screenshot(&browser, "child-page-agency").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_reaches_the_agency_inbox_and_is_accepted() {
    let app = TestApp::demo(Backend::Sqlite).await;
    // A demo child shared with the nursery: refer it from its page.
    let (nursery,): (i64,) =
        tsunagu_store::db::query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let today = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc());
    let (child,): (i64,) = tsunagu_store::db::query(
        "SELECT c.id FROM children c JOIN consents s ON s.child_id = c.id JOIN consent_agencies ca ON ca.consent_id = s.id \
         WHERE ca.agency_id = $1 AND s.revoked_on IS NULL AND (s.valid_to IS NULL OR s.valid_to >= $2) AND s.parts LIKE '%profile%' ORDER BY c.id LIMIT 1",
    )
    .bind(nursery)
    .bind(today)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/children/{child}#referrals", app.base))
        .await
        .unwrap();
    open_form(&browser, "つなぐ…").await;
    browser
        .wait()
        .for_element(Locator::Id("r-agency"))
        .await
        .unwrap();
    browser
        .find(Locator::XPath(&format!(
            "//select[@id='r-agency']/option[@value='{nursery}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&browser, "r-reason", "園での様子を一緒に見てほしい").await;
    browser
        .find(Locator::Css("form.referral-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#referrals").await.contains("回答待ち"));
    browser
        .find(Locator::Css("form.inline button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    log_in(
        &browser,
        &app.base,
        "demo-agency",
        tsunagu::demo::password_of("demo-agency").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    assert!(
        text_of(&browser, "main").await.contains("つなぎの依頼："),
        "the home page shows it"
    );
    browser
        .find(Locator::LinkText("受信箱"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("section.referral"))
        .await
        .unwrap();
    assert!(text_of(&browser, "section.referral")
        .await
        .contains("園での様子を一緒に見てほしい"));
    save_screenshot(&browser, "agency-inbox").await;
    browser
        .find(Locator::Css("section.referral button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, "section.referral")
        .await
        .contains("受け入れ"));
    save_screenshot(&browser, "agency-inbox-accepted").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_support_meeting_is_scheduled_and_recorded() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let (child,): (i64,) = tsunagu_store::db::query(
        "SELECT c.id FROM children c JOIN areas a ON a.id = c.area_id WHERE a.name = '香取海匝' ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/children/{child}/meetings/new", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-purpose"))
        .await
        .unwrap();
    fill(&browser, "f-purpose", "就学に向けたケース会議").await;
    browser
        .execute(
            "document.getElementById('f-date').value = '2027-01-20'",
            vec![],
        )
        .await
        .unwrap();
    fill(&browser, "f-place", "香取市役所 会議室").await;
    fill(&browser, "f-others", "保護者（母）").await;
    save_screenshot(&browser, "meeting-form").await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("dl.facts"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main h1")
        .await
        .contains("就学に向けたケース会議"));
    // The day came (a meeting is recorded as held only once it has begun).
    let now = time::OffsetDateTime::now_utc();
    tsunagu_store::db::query("UPDATE meetings SET starts_at = $1, ends_at = $2")
        .bind(now - time::Duration::hours(2))
        .bind(now - time::Duration::hours(1))
        .execute(&app.db)
        .await
        .unwrap();
    browser.refresh().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-minutes"))
        .await
        .unwrap();
    fill(&browser, "f-minutes", "園での様子と就学先の希望を共有した").await;
    browser
        .find(Locator::XPath(
            "//select[@id='f-status']/option[@value='held']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("section.panel form.form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main h1").await.contains("開催済み"));
    fill(&browser, "i-title", "就学相談を申し込む").await;
    fill(&browser, "i-name", "保護者").await;
    browser
        .find(Locator::Css("#items form.inline-row button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::XPath(
            "//section[@id='items']//td[contains(., '就学相談を申し込む')]",
        ))
        .await
        .unwrap();
    save_screenshot(&browser, "meeting-page").await;
    browser
        .find(Locator::LinkText("議事録を印刷"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".print-list"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main")
        .await
        .contains("園での様子と就学先の希望を共有した"));
    save_screenshot(&browser, "meeting-minutes-print").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_is_reviewed_and_the_network_shows_a_new_link() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let (child,): (i64,) = tsunagu_store::db::query(
        "SELECT p.child_id FROM support_plans p JOIN children c ON c.id = p.child_id JOIN areas a ON a.id = c.area_id \
         WHERE a.name = '香取海匝' AND p.current = $1",
    )
    .bind(true)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    // The demo's plan is due for review within the month: the home page links it.
    save_screenshot(&browser, "home-coordinator-cards").await;
    browser
        .find(Locator::Css(&format!("a[href='/children/{child}/plan']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#h-goals"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main h1").await.contains("第2版"));
    browser.set_window_size(1280, 1600).await.unwrap();
    save_screenshot(&browser, "plan-page").await;
    browser.set_window_size(1280, 900).await.unwrap();
    browser
        .find(Locator::LinkText("見直し（モニタリング）"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("r-rating-0"))
        .await
        .unwrap();
    for (i, rating) in [(0, "achieved"), (1, "not_yet")] {
        browser
            .find(Locator::Css(&format!(
                "#r-rating-{i} option[value='{rating}']"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    fill(
        &browser,
        "r-progress-0",
        "家でも休憩カードを使えるようになった",
    )
    .await;
    fill(&browser, "f-summary", "家庭と園で同じやり方が定着した。").await;
    fill(&browser, "g-goal-2", "新しい友だちと遊べる").await;
    fill(&browser, "g-who-2", "保育園").await;
    browser.set_window_size(1280, 2200).await.unwrap();
    save_screenshot(&browser, "plan-review-form").await;
    browser.set_window_size(1280, 900).await.unwrap();
    browser
        .find(Locator::Css("form.form .actions button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main h1").await.contains("第3版"));
    assert!(text_of(&browser, "#h-goals + table")
        .await
        .contains("新しい友だちと遊べる"));
    browser
        .find(Locator::Css(".compare-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("table.compare"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main h1")
        .await
        .contains("第2版と第3版の比較"));
    save_screenshot(&browser, "plan-compare").await;
    browser
        .goto(&format!("{}/children/{child}/plan/print", app.base))
        .await
        .unwrap();
    assert!(text_of(&browser, "main").await.contains("保護者氏名"));
    browser.set_window_size(1280, 1800).await.unwrap();
    save_screenshot(&browser, "plan-print").await;
    browser.set_window_size(1280, 900).await.unwrap();

    // The network: a new care-team member makes a new link.
    let (centre, centre_name): (i64, String) = tsunagu_store::db::query(
        "SELECT a.id, a.name FROM agencies a JOIN agency_kinds k ON k.id = a.kind_id \
         WHERE k.name = '発達障害者支援センター' AND a.municipality_id IN \
         (SELECT municipality_id FROM area_municipalities am JOIN areas ar ON ar.id = am.area_id WHERE ar.name = '香取海匝') ORDER BY a.id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    browser
        .goto(&format!("{}/network", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("svg.network"))
        .await
        .unwrap();
    let before = text_of(&browser, "#h-links + table").await;
    assert!(!before.contains(&centre_name));
    assert!(text_of(&browser, "#h-isolated + ul")
        .await
        .contains(&centre_name));
    // Tall enough for the whole picture and its tables.
    browser.set_window_size(1280, 2600).await.unwrap();
    save_screenshot(&browser, "network").await;
    browser.set_window_size(1280, 900).await.unwrap();
    browser
        .goto(&format!("{}/children/{child}#care-team", app.base))
        .await
        .unwrap();
    open_form(&browser, "支援チームに機関を加える…").await;
    // Not among the agencies the consents name: found by name.
    browser
        .find(Locator::Css(".team-form .agency-find"))
        .await
        .unwrap()
        .send_keys(&centre_name)
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(&format!("#t-agency option[value='{centre}']")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&browser, "t-role", "相談員").await;
    browser
        .find(Locator::Css("form.team-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/network", app.base))
        .await
        .unwrap();
    let after = text_of(&browser, "#h-links + table").await;
    assert!(after.contains(&centre_name), "the new link is listed");
    let svg_title = browser
        .find(Locator::XPath(&format!(
            "//*[local-name()='line']/*[local-name()='title'][contains(., '{centre_name}')]"
        )))
        .await;
    assert!(svg_title.is_ok(), "and drawn");
    browser.set_window_size(1280, 2600).await.unwrap();
    save_screenshot(&browser, "network-after").await;
    browser.close().await.unwrap();
}

/// The demo's walk through a school entry: the coordinator opens the transition calendar, works
/// on the child's 就学 checklist, drafts the handover sheet from the record and sends it; the
/// school acknowledges it and later gives feedback; the family's support file prints on A4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_school_entry_is_coordinated_and_handed_over() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/transitions", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".month-heading"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main").await.contains("4月"));
    save_screenshot(&browser, "transition-calendar").await;
    browser
        .find(Locator::LinkText("見本 はると"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".checklist"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main")
        .await
        .contains("年長（5歳児クラス）"));
    // Tick off the first open item of the checklist.
    browser
        .find(Locator::XPath(
            "//ul[@class='checklist']/li[not(contains(@class,'done')) and not(contains(@class,'item-edit'))]//button",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".checklist li.done"))
        .await
        .unwrap();
    let done = browser
        .find_all(Locator::Css(".checklist li.done"))
        .await
        .unwrap()
        .len();
    assert!(done >= 1);
    save_screenshot(&browser, "transition-checklist").await;
    browser
        .find(Locator::XPath(
            "//button[contains(., '記録から引継ぎシートを作る')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-communication"))
        .await
        .unwrap();
    let accommodations = browser
        .find(Locator::Id("f-accommodations"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(accommodations.contains("イヤーマフ"));
    fill(&browser, "f-communication", "短い言葉と身振りで伝える。").await;
    browser
        .find(Locator::XPath("//button[contains(., '下書きを保存する')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    save_screenshot(&browser, "handover-draft").await;
    // Sent with empty sections unconfirmed, it comes back saying which.
    browser
        .find(Locator::XPath("//button[contains(., 'に送付する')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.accept_alert().await.unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#f-empty_confirmed .field-error"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#f-empty_confirmed .field-error")
        .await
        .contains("未記入の項目"));
    save_screenshot(&browser, "handover-empty-sections").await;
    fill(&browser, "f-guardian_checked_by", "画面 保護者").await;
    browser
        .find(Locator::Css("input[name=empty_confirmed]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::XPath("//button[contains(., 'に送付する')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Sending asks first.
    browser.accept_alert().await.unwrap();
    browser
        .wait()
        .for_element(Locator::XPath("//dd/strong[contains(., '送付済み')]"))
        .await
        .unwrap();
    assert!(
        text_of(&browser, "dl.facts").await.contains("画面 保護者"),
        "the guardian's check is recorded"
    );
    save_screenshot(&browser, "handover-sent").await;

    // The school acknowledges it from its inbox, then gives feedback.
    log_out(&browser).await;
    log_in(
        &browser,
        &app.base,
        "demo-school",
        tsunagu::demo::password_of("demo-school").unwrap(),
    )
    .await;
    browser.goto(&format!("{}/inbox", app.base)).await.unwrap();
    browser
        .find(Locator::XPath("//a[contains(., 'さんの引継ぎシート')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::XPath("//button[contains(., '受け取りました')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-settled"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main")
        .await
        .contains("短い言葉と身振りで伝える。"));
    save_screenshot(&browser, "handover-acknowledged").await;
    fill(&browser, "f-settled", "落ち着いて登校しています。").await;
    browser
        .find(Locator::XPath(
            "//button[contains(., 'フィードバックを送る')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Answered, the sheet leaves the school's inbox.
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, ".notice")
        .await
        .contains("フィードバックを送りました"));
    assert!(text_of(&browser, "#handovers")
        .await
        .contains("待っている引継ぎシートはありません"));

    // The family's support file, on A4.
    let (child,): (i64,) =
        tsunagu_store::db::query("SELECT id FROM children WHERE given_name = 'はると'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    log_out(&browser).await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    // The coordinator reads the school's feedback on the sheet.
    let (sheet,): (i64,) =
        tsunagu_store::db::query("SELECT id FROM handover_sheets WHERE child_id = $1")
            .bind(child)
            .fetch_one(&app.db)
            .await
            .unwrap();
    browser
        .goto(&format!("{}/handovers/{sheet}", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("h-fb"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main")
        .await
        .contains("落ち着いて登校しています。"));
    save_screenshot(&browser, "handover-feedback").await;
    browser
        .goto(&format!("{}/children/{child}/support-file/print", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".document-title"))
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, ".document-title").await,
        "サポートファイル"
    );
    assert!(text_of(&browser, "main").await.contains("支援機関マップ"));
    save_screenshot(&browser, "support-file-print").await;
    browser.close().await.unwrap();
}

/// The coordinator logs a visit through the form; the committee sees the prefecture's figures
/// with charts and small counts hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_is_logged_and_the_committee_sees_the_figures() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .find(Locator::LinkText("研修・巡回"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("h-visits"))
        .await
        .unwrap();
    browser
        .find(Locator::XPath(
            "//summary[contains(., '巡回相談・施設支援を記録する')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::XPath("//select[@id='f-agency_id']/option[2]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .execute(
            "document.getElementById('f-visited_on').value = '2026-11-20'",
            vec![],
        )
        .await
        .unwrap();
    fill(&browser, "f-visitors", "コーディネーター").await;
    fill(&browser, "f-purpose", "気になる子の行動についての相談").await;
    browser
        .find(Locator::XPath(
            "//form[@action='/capacity/visits']//button[@type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#visits")
        .await
        .contains("気になる子の行動についての相談"));
    save_screenshot(&browser, "capacity").await;

    log_out(&browser).await;
    log_in(
        &browser,
        &app.base,
        "demo-committee",
        tsunagu::demo::password_of("demo-committee").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .find(Locator::LinkText("検証（年度の集計）"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("svg.chart"))
        .await
        .unwrap();
    let main = text_of(&browser, "main").await;
    assert!(main.contains("千葉県全体"));
    assert!(main.contains("＊") && main.contains("「＊」は、子どもが特定されないよう"));
    assert!(main.contains("巡回相談・施設支援（回）"));
    assert!(browser
        .find(Locator::LinkText("Excel（xlsx）で保存"))
        .await
        .is_ok());
    save_screenshot(&browser, "evaluation-committee").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committee_answers_a_raised_challenge_and_prints_its_report() {
    let app = TestApp::demo(Backend::Sqlite).await;
    // The area raises a challenge (its own pages are tested over HTTP).
    let (katori,): (i64,) =
        tsunagu_store::db::query("SELECT id FROM areas WHERE name = '香取海匝'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let coordinator = common::Api::new(&app, "demo-coordinator").await;
    let (_, body) = coordinator
        .post(
            "/api/v1/challenges",
            serde_json::json!({"area_id": katori.to_string(), "title": "医療的ケア児の預け先が足りない",
                "description": "看護師のいる保育所が圏域に一つしかない。", "category": "resources"}),
        )
        .await;
    let id = body["id"].as_i64().unwrap();
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/challenges/{id}/raise"),
            serde_json::json!({"area_summary": "市町村の保育課と協議したが、看護師の確保が難しい。県の補助を求めたい。"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);

    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-committee",
        tsunagu::demo::password_of("demo-committee").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    let home = text_of(&browser, "main").await;
    assert!(home.contains("部会での検討を待つ課題"), "{home}");
    save_screenshot(&browser, "committee-home").await;
    browser
        .find(Locator::XPath(
            "//a[contains(., '医療的ケア児の預け先が足りない')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-response"))
        .await
        .unwrap();
    fill(
        &browser,
        "f-response",
        "県の医療的ケア児支援センターと看護師の派遣を検討する。",
    )
    .await;
    browser
        .find(Locator::XPath("//button[contains(., '回答する')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    let page = text_of(&browser, "main").await;
    assert!(page.contains("看護師の派遣を検討する") && page.contains("療育支援専門部会の回答"));
    save_screenshot(&browser, "committee-challenge").await;

    browser
        .find(Locator::LinkText("結論・提言"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-title"))
        .await
        .unwrap();
    fill(&browser, "f-title", "コーディネーターの配置を全圏域に").await;
    fill(
        &browser,
        "f-body",
        "モデル地域では移行前の引継ぎが増え、相談の窓口が一つになった。全圏域への配置を提言する。",
    )
    .await;
    browser
        .find(Locator::XPath(
            "//form[@method='post' and @action='/conclusions']//button[@type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if browser
        .wait()
        .for_element(Locator::Css("article.conclusion"))
        .await
        .is_err()
    {
        save_screenshot(&browser, "committee-conclusions-failed").await;
        panic!("{}", text_of(&browser, "main").await);
    }
    save_screenshot(&browser, "committee-conclusions").await;

    browser
        .goto(&format!("{}/evaluation/report", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("main"))
        .await
        .unwrap();
    let report = text_of(&browser, "main").await;
    for part in [
        "検証報告",
        "地域ごとの変化",
        "医療的ケア児の預け先が足りない",
        "看護師の派遣を検討する",
        "コーディネーターの配置を全圏域に",
    ] {
        assert!(report.contains(part), "{part}");
    }
    assert!(!report.contains("≤"));
    save_screenshot(&browser, "committee-report").await;
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_enrols_a_second_factor_and_logs_in_with_it() {
    let app = TestApp::demo_requiring_second_factor(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    let login = "demo-coordinator";
    let password = tsunagu::demo::password_of(login).unwrap();
    log_in(&browser, &app.base, login, password).await;
    // Sent to enrol before anything else.
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, ".notice").await.contains("設定が必要"));
    assert_eq!(text_of(&browser, "h1").await, "二段階認証");
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("totp-secret"))
        .await
        .unwrap();
    assert!(browser.find(Locator::Css("figure.qr svg")).await.is_ok());
    let secret = text_of(&browser, "#totp-secret").await.replace(' ', "");
    save_screenshot(&browser, "second-factor-enrol").await;
    let enrolment = tsunagu_store::second_factor::Enrolment {
        secret,
        url: String::new(),
    };
    let now = time::OffsetDateTime::now_utc();
    let code = tsunagu_store::second_factor::code_at(&enrolment, login, now).unwrap();
    fill(&browser, "f-code", &code).await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("recovery-codes"))
        .await
        .unwrap();
    let codes = browser
        .find_all(Locator::Css("#recovery-codes li"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    save_screenshot(&browser, "second-factor-recovery-codes").await;

    // The next login asks for the app's code after the password.
    browser.goto(&format!("{}/", app.base)).await.unwrap();
    log_out(&browser).await;
    log_in(&browser, &app.base, login, password).await;
    browser
        .wait()
        .for_element(Locator::Id("f-code"))
        .await
        .unwrap();
    assert_eq!(text_of(&browser, "h1").await, "確認コードの入力");
    save_screenshot(&browser, "second-factor-code").await;
    let later =
        tsunagu_store::second_factor::code_at(&enrolment, login, now + time::Duration::seconds(30))
            .unwrap();
    fill(&browser, "f-code", &later).await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".site-header form.inline button"))
        .await
        .unwrap();
    assert!(browser.current_url().await.unwrap().path() == "/");
    browser.close().await.unwrap();
}

/// What an agency sees under the consent rule, as its staff see it on screen: the goals and
/// roles of a plan the family agreed to share, and of a meeting it is invited to for a child it
/// may not see, the logistics only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_sees_what_the_family_agreed_to_and_a_meetings_logistics() {
    use serde_json::json;
    let app = TestApp::demo(Backend::Sqlite).await;
    let (area,): (i64,) = tsunagu_store::db::query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (nursery,): (i64,) =
        tsunagu_store::db::query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let coordinator = common::Api::new(&app, "demo-coordinator").await;
    let day = |d: i64| {
        (tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc())
            + time::Duration::days(d))
        .to_string()
    };
    let new_child = |given: &'static str| {
        json!({"area_id": area.to_string(), "family_name": "画面", "given_name": given,
               "birth_date": "2021-05-05", "not_a_duplicate": "1"})
    };
    // Shared with the nursery: the profile and the plan's roles.
    let (_, body) = coordinator
        .post("/api/v1/children", new_child("きょうゆう"))
        .await;
    let shared = body["child"]["id"].as_i64().unwrap();
    for (path, body) in [
        (
            "consents",
            json!({"basis": "consent", "guardian_name": "画面 保護者", "parts": ["profile", "plan"],
                            "agency_ids": [nursery.to_string()], "valid_from": day(-30), "obtained": "written"}),
        ),
        (
            "care-team",
            json!({"agency_id": nursery.to_string(), "role": "担任", "from_on": day(-30)}),
        ),
        (
            "plans",
            json!({"review_on": day(90), "long_term_goal": "友だちと安心して過ごす",
                         "situation": "家庭の事情（園には見せない）",
                         "goal": ["朝の支度を自分でする", "困ったときに先生に伝える"], "who": ["保育園", "家庭"],
                         "what": ["絵カードで手順を示す", "伝えられたらほめる"], "by_on": [day(60), ""]}),
        ),
    ] {
        let (status, body) = coordinator
            .post(&format!("/api/v1/children/{shared}/{path}"), body)
            .await;
        assert!(status.is_success(), "{path}: {status} {body}");
    }
    // Not shared: the nursery is only invited to its meeting.
    let (_, body) = coordinator
        .post("/api/v1/children", new_child("ないしょ"))
        .await;
    let hidden = body["child"]["id"].as_i64().unwrap();
    let (_, body) = coordinator
        .post(
            &format!("/api/v1/children/{hidden}/meetings"),
            json!({"purpose": "就学に向けた支援会議", "confirm_closed_day": "on", "date": day(7), "start": "10:00", "end": "11:00",
                   "place": "香取市役所 会議室", "agency_ids": [nursery.to_string()], "others": "画面 保護者（母）",
                   "agenda": "園での様子の共有"}),
        )
        .await;
    let meeting = body["id"].as_i64().unwrap();

    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-agency",
        tsunagu::demo::password_of("demo-agency").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/children/{shared}/plan", app.base))
        .await
        .unwrap();
    let main = text_of(&browser, "main").await;
    assert!(main.contains("支援計画（役割分担）"), "{main}");
    assert!(main.contains("朝の支度を自分でする") && main.contains("絵カードで手順を示す"));
    assert!(main.contains("友だちと安心して過ごす"));
    assert!(
        !main.contains("家庭の事情"),
        "the situation is not the plan's shared part"
    );
    save_screenshot(&browser, "plan-shared-with-agency").await;
    assert_fits_a_phone(&browser, "plan-shared-with-agency-phone").await;

    browser
        .goto(&format!("{}/meetings/{meeting}", app.base))
        .await
        .unwrap();
    let main = text_of(&browser, "main").await;
    assert!(main.contains("就学に向けた支援会議") && main.contains("香取市役所 会議室"));
    for hidden_text in ["ないしょ", "園での様子の共有", "画面 保護者"] {
        assert!(!main.contains(hidden_text), "shows {hidden_text}: {main}");
    }
    save_screenshot(&browser, "meeting-logistics-agency").await;
    assert_fits_a_phone(&browser, "meeting-logistics-agency-phone").await;
    browser.close().await.unwrap();
}

/// A consultation typed during a long call: the session ends before it is sent; the login page
/// says the input is kept, and after logging in it is saved as typed. On a page left open, the
/// warning comes before the idle limit, and 「延長する」 keeps the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_work_survives_an_ended_session() {
    let app = TestApp::demo_with(
        Backend::Sqlite,
        common::Options {
            session_idle: Some(time::Duration::seconds(60)),
            ..common::Options::default()
        },
    )
    .await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    let password = tsunagu::demo::password_of("demo-coordinator").unwrap();
    log_in(&browser, &app.base, "demo-coordinator", password).await;
    browser
        .goto(&format!("{}/consultations/new", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-concern"))
        .await
        .unwrap();
    let concern = "長い電話の聞き取り：園での集団活動に入れず、保護者が就学を心配している";
    fill(&browser, "f-concern", concern).await;
    fill(&browser, "f-minutes", "40").await;

    // The call went on: the session passed its idle limit on the server.
    tsunagu_store::db::query("UPDATE sessions SET last_seen_at = $1")
        .bind(time::OffsetDateTime::now_utc() - time::Duration::minutes(5))
        .execute(&app.db)
        .await
        .unwrap();
    browser
        .find(Locator::Css("form.intake button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-login"))
        .await
        .unwrap();
    assert!(text_of(&browser, ".notice")
        .await
        .contains("入力した内容は保存してあります"));
    save_screenshot(&browser, "session-expired-login").await;
    fill(&browser, "f-login", "demo-coordinator").await;
    fill(&browser, "f-password", password).await;
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The kept form goes on by itself and lands on the saved consultation.
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert_eq!(text_of(&browser, ".notice").await, "相談を記録しました。");
    assert!(text_of(&browser, "main").await.contains(concern));
    save_screenshot(&browser, "session-expired-saved").await;

    // Left open: with a 60-second limit the warning comes after 30 seconds.
    browser
        .wait()
        .at_most(Duration::from_secs(45))
        .for_element(Locator::Css("#session-warning:not([hidden])"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#session-warning")
        .await
        .contains("まもなくログインが切れます"));
    save_screenshot(&browser, "session-warning").await;
    assert_fits_a_phone(&browser, "session-warning-phone").await;
    browser
        .find(Locator::Id("session-extend"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#session-warning[hidden]"))
        .await
        .unwrap();
    let (seen,): (time::OffsetDateTime,) =
        tsunagu_store::db::query("SELECT MAX(last_seen_at) FROM sessions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(time::OffsetDateTime::now_utc() - seen < time::Duration::seconds(10));
    browser.close().await.unwrap();
}

/// A referral the consent does not cover: the child's page comes back with the reason typed
/// and the rule's reason beside the chooser, scrolled to the form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_referral_stays_where_the_work_is() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let api = common::Api::new(&app, "demo-coordinator").await;
    let (_, body) = api
        .post(
            "/api/v1/children",
            serde_json::json!({"area_id": "1", "family_name": "紹介", "given_name": "みらい", "birth_date": "2022-02-02", "not_a_duplicate": "1"}),
        )
        .await;
    let child = body["child"]["id"].as_i64().unwrap();
    // The family agreed to share the profile with the nursery: the one agency offered.
    let (nursery,): (i64,) =
        tsunagu_store::db::query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let (status, body) = api
        .post(
            &format!("/api/v1/children/{child}/consents"),
            serde_json::json!({"basis": "consent", "guardian_name": "紹介 保護者", "parts": ["profile"], "agency_ids": [nursery.to_string()], "valid_from": "2026-01-01", "obtained": "written"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let consent = body["id"].as_i64().unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/children/{child}#referrals", app.base))
        .await
        .unwrap();
    open_form(&browser, "つなぐ…").await;
    let offered = browser
        .find_all(Locator::Css("#r-agency option[value]:not([value=''])"))
        .await
        .unwrap();
    assert_eq!(offered.len(), 1, "only the agency the consent names");
    browser
        .find(Locator::Css(&format!(
            "#r-agency option[value='{nursery}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let plan_part = browser
        .find(Locator::Css("input[name=parts][value=plan]"))
        .await
        .unwrap()
        .prop("disabled")
        .await
        .unwrap();
    assert_eq!(
        plan_part.as_deref(),
        Some("true"),
        "a part outside the consent is closed"
    );
    let reason = "園での集団活動の様子を見てほしい";
    fill(&browser, "r-reason", reason).await;
    // Meanwhile the family withdraws its consent (a colleague records it): the referral sent
    // next is refused by the rule.
    let colleague = app.login_as("demo-coordinator").await;
    let res = colleague
        .post_form(&format!("/children/{child}/consents/{consent}/revoke"), &[])
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    browser
        .find(Locator::Css("form.referral-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("e-r-agency"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#e-r-agency").await.contains("同意"));
    let kept = browser
        .find(Locator::Id("r-reason"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some(reason));
    assert!(text_of(&browser, ".main-nav").await.contains("ホーム"));
    browser
        .execute(
            "document.getElementById('referrals').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    save_screenshot(&browser, "referral-refused").await;

    // A sibling is found by name, not typed as an id, from the record's tab.
    browser
        .find(Locator::Css(".child-tabs a[href='#tab-record']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    open_form(&browser, "きょうだいを記録する…").await;
    browser
        .find(Locator::Id("sib-q"))
        .await
        .unwrap()
        .send_keys("見本")
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#sib-options input[name=sibling_id]"))
        .await
        .unwrap();
    browser
        .execute(
            "document.getElementById('siblings').scrollIntoView()",
            vec![],
        )
        .await
        .unwrap();
    save_screenshot(&browser, "sibling-search").await;
    browser.close().await.unwrap();
}

/// From any page: 「/」 goes to the header's search box, the list comes as you type, and a child
/// found opens their page. The header fits a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_search_answers_as_you_type() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let (family, id): (String, i64) = tsunagu_store::db::query(
        "SELECT family_name, id FROM children WHERE area_id = 1 AND status = 'active' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .wait()
        .for_element(Locator::Css(".who-name"))
        .await
        .unwrap();
    browser
        .goto(&format!("{}/transitions", app.base))
        .await
        .unwrap();
    browser
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .send_keys("/")
        .await
        .unwrap();
    let focused = browser
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap();
    assert_eq!(
        focused.as_str(),
        Some("site-search"),
        "「/」 goes to the box"
    );
    browser
        .find(Locator::Id("site-search"))
        .await
        .unwrap()
        .send_keys(&family)
        .await
        .unwrap();
    let link = format!("#site-search-results a[href='/children/{id}']");
    browser
        .wait()
        .for_element(Locator::Css(&link))
        .await
        .unwrap();
    save_screenshot(&browser, "header-search").await;
    // On a phone the box takes the header's width and its list stays inside the screen
    // (the pages below still overflow; that is the phone layout's own work).
    browser.set_window_size(390, 844).await.unwrap();
    let widths = browser
        .execute(
            "const h = document.querySelector('.site-header'); \
             const l = document.querySelector('.search-suggest').getBoundingClientRect(); \
             return [h.scrollWidth, h.clientWidth, Math.ceil(l.right), window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    let w: Vec<i64> = widths
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    save_screenshot(&browser, "header-search-phone").await;
    assert!(w[0] <= w[1] && w[2] <= w[3], "header {w:?}");
    browser.set_window_size(1280, 900).await.unwrap();
    browser
        .find(Locator::Css(&link))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#referrals"))
        .await
        .unwrap();
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with(&format!("/children/{id}")));
    // The worklists, from the menu.
    for (label, name) in [
        ("つなぎ", "worklist-referrals"),
        ("会議", "worklist-meetings"),
    ] {
        browser
            .find(Locator::LinkText(label))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser
            .wait()
            .for_element(Locator::Css("form.filters"))
            .await
            .unwrap();
        save_screenshot(&browser, name).await;
    }
    browser.close().await.unwrap();
}

/// A user's steps on a screen, counted: each field typed into and each click is one.
struct Steps<'a> {
    browser: &'a Client,
    count: usize,
}

impl Steps<'_> {
    async fn fill(&mut self, id: &str, value: &str) {
        self.count += 1;
        fill(self.browser, id, value).await;
    }

    async fn click(&mut self, locator: Locator<'_>) {
        self.count += 1;
        self.browser
            .wait()
            .for_element(locator)
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
}

/// A call about a child not yet known is taken in one screen: the search finds no one, one
/// click opens the registration with what was typed, and one submit registers the child and the
/// guardian and records the consultation — in at most 12 steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_childs_call_is_taken_in_one_screen() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    let mut steps = Steps {
        browser: &browser,
        count: 0,
    };
    steps.click(Locator::LinkText("相談受付")).await;
    steps.fill("f-child_q", "しんがめん ゆう").await;
    steps.click(Locator::Css("[data-new-child]")).await;
    let carried = browser
        .find(Locator::Id("f-child_kana"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        carried.as_deref(),
        Some("しんがめん ゆう"),
        "the reading typed is carried over"
    );
    steps.fill("f-child_name", "新画面 ゆう").await;
    steps.fill("f-birth_date", "2023年6月7日").await;
    steps.fill("f-guardian_name", "新画面 みく").await;
    steps.fill("f-guardian_relation", "母").await;
    steps.fill("f-guardian_phone", "0478-11-2233").await;
    steps
        .fill(
            "f-concern",
            "1歳半健診でことばの遅れを指摘された。相談は初めて",
        )
        .await;
    steps
        .click(Locator::XPath("//label[contains(., 'ことば')]/input"))
        .await;
    save_screenshot(&browser, "intake-new-child").await;
    steps
        .click(Locator::Css("form.intake button[type=submit]"))
        .await;
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    assert!(text_of(&browser, ".notice")
        .await
        .contains("子どもと保護者を登録し"));
    assert!(text_of(&browser, "main h1").await.contains("新画面 ゆう"));
    assert!(
        steps.count <= 12,
        "{} steps for a new child's call",
        steps.count
    );
    let (caller,): (Option<String>,) = tsunagu_store::db::query(
        "SELECT s.caller FROM consultations s JOIN children c ON c.id = s.child_id WHERE c.family_name = '新画面'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(caller.as_deref(), Some("新画面 みく（母）"));
    save_screenshot(&browser, "intake-new-child-saved").await;
}

/// Every main page fits a 390 px phone without scrolling sideways (tables become lists, the
/// header is compact); the child's page shows its summary and tabs on the first screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_main_page_fits_a_phone() {
    let app = TestApp::demo(Backend::Sqlite).await;
    // The demo's fullest record of the coordinator's area.
    let (child,): (i64,) = tsunagu_store::db::query(
        "SELECT c.id FROM children c WHERE c.area_id = 1 AND c.status = 'active' \
         ORDER BY (SELECT COUNT(*) FROM child_events e WHERE e.child_id = c.id) DESC, c.id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let meeting: Option<(i64,)> =
        tsunagu_store::db::query("SELECT id FROM meetings WHERE area_id = 1 ORDER BY id LIMIT 1")
            .fetch_optional(&app.db)
            .await
            .unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    let mut overflowing = Vec::new();
    let mut iso_dates = Vec::new();
    for (login, pages) in [
        (
            "demo-coordinator",
            vec![
                "/".to_owned(),
                "/children".to_owned(),
                format!("/children/{child}"),
                format!("/children/{child}#tab-referrals"),
                format!("/children/{child}#tab-consents"),
                format!("/children/{child}/timeline"),
                format!("/children/{child}/plan"),
                format!("/children/{child}/transitions"),
                format!("/children/{child}/edit"),
                "/consultations".to_owned(),
                "/consultations/new".to_owned(),
                "/referrals".to_owned(),
                "/meetings".to_owned(),
                meeting.map_or("/meetings?period=past".to_owned(), |(m,)| {
                    format!("/meetings/{m}")
                }),
                "/action-items".to_owned(),
                "/plans".to_owned(),
                "/agencies".to_owned(),
                "/transitions".to_owned(),
                "/network".to_owned(),
                "/capacity".to_owned(),
                "/challenges".to_owned(),
                meeting.map_or("/challenges".to_owned(), |(m,)| {
                    format!("/challenges?from_meeting={m}")
                }),
                "/evaluation".to_owned(),
                "/search?q=%E8%A6%8B%E6%9C%AC".to_owned(),
                "/account/password".to_owned(),
                "/account/notifications".to_owned(),
                "/plans?due=soon".to_owned(),
            ],
        ),
        (
            "demo-agency",
            vec![
                "/".to_owned(),
                "/inbox".to_owned(),
                "/children".to_owned(),
                "/action-items".to_owned(),
            ],
        ),
        (
            "demo-committee",
            vec![
                "/".to_owned(),
                "/evaluation".to_owned(),
                "/challenges".to_owned(),
                "/conclusions".to_owned(),
            ],
        ),
    ] {
        log_in(
            &browser,
            &app.base,
            login,
            tsunagu::demo::password_of(login).unwrap(),
        )
        .await;
        browser.set_window_size(390, 844).await.unwrap();
        for page in pages {
            browser.goto(&format!("{}{page}", app.base)).await.unwrap();
            browser
                .wait()
                .for_element(Locator::Css("main"))
                .await
                .unwrap();
            let widths = browser
                .execute(
                    "return [document.documentElement.scrollWidth, window.innerWidth]",
                    vec![],
                )
                .await
                .unwrap();
            let (page_width, view) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
            let name = format!(
                "phone-{login}{}",
                page.replace(['/', '?', '=', '%', '#'], "-")
            );
            save_screenshot(&browser, &name).await;
            if page_width > view {
                overflowing.push(format!("{page} ({login}): {page_width} px in {view}"));
            }
            // One date style on screens: 2026年12月10日, never 2026-12-10 (inputs aside).
            let iso = browser
                .execute(
                    "var m = document.querySelector('main').innerText.match(/(^|[^0-9-])(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])/g); return m ? m.join(' ') : ''",
                    vec![],
                )
                .await
                .unwrap();
            if !iso.as_str().unwrap_or_default().is_empty() {
                iso_dates.push(format!("{page} ({login}): {iso}"));
            }
        }
        browser.set_window_size(1280, 900).await.unwrap();
        log_out(&browser).await;
    }
    assert!(
        overflowing.is_empty(),
        "wider than a phone: {overflowing:#?}"
    );
    assert!(
        iso_dates.is_empty(),
        "dates in another style: {iso_dates:#?}"
    );

    // The child's page at a desk: summary and tabs on the first screen.
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser.set_window_size(1366, 900).await.unwrap();
    browser
        .goto(&format!("{}/children/{child}", app.base))
        .await
        .unwrap();
    let top = browser
        .execute(
            "return document.querySelector('.child-tabs').getBoundingClientRect().bottom",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        top.as_f64().unwrap() < 900.0,
        "the tabs are on the first screen"
    );
    save_screenshot(&browser, "child-page").await;
    browser.close().await.unwrap();
}

/// A long form typed and left (a closed tab) is offered back, filled in, when opened again;
/// once sent its draft is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_survives_a_closed_tab() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .goto(&format!("{}/consultations/new", app.base))
        .await
        .unwrap();
    let concern = "長い電話の途中：園での様子、家での様子、これまでの相談先";
    fill(&browser, "f-concern", concern).await;
    browser
        .find(Locator::XPath("//label[contains(., 'ことば')]/input"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Saved a moment after the typing stops, and the form says so.
    for _ in 0..50 {
        if text_of(&browser, ".draft-status")
            .await
            .contains("保存しました")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(text_of(&browser, ".draft-status")
        .await
        .contains("下書きを保存しました"));
    // The tab is closed; later the form is opened again.
    browser.goto(&format!("{}/", app.base)).await.unwrap();
    browser
        .goto(&format!("{}/consultations/new", app.base))
        .await
        .unwrap();
    let restore = browser
        .wait()
        .for_element(Locator::XPath(
            "//div[contains(@class, 'draft-offer')]/button[. = '下書きを戻す']",
        ))
        .await
        .unwrap();
    save_screenshot(&browser, "draft-offered").await;
    restore.click().await.unwrap();
    let typed = browser
        .find(Locator::Id("f-concern"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(typed.as_deref(), Some(concern));
    let ticked = browser
        .find(Locator::XPath("//label[contains(., 'ことば')]/input"))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(ticked.as_deref(), Some("true"));
    browser
        .find(Locator::Css("form.intake button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".notice"))
        .await
        .unwrap();
    let mut left = 1;
    for _ in 0..50 {
        let (n,): (i64,) = tsunagu_store::db::query("SELECT COUNT(*) FROM drafts")
            .fetch_one(&app.db)
            .await
            .unwrap();
        left = n;
        if n == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "the draft is gone once the form is sent");
    browser.close().await.unwrap();
}

/// ChromeDriver's command that takes the browser's network down (or brings it back), as a
/// phone loses its signal on a visit: pages see `navigator.onLine` and their requests fail.
#[derive(Debug)]
struct NetworkConditions {
    offline: bool,
}

impl fantoccini::wd::WebDriverCompatibleCommand for NetworkConditions {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/chromium/network_conditions",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({"network_conditions": {
            "offline": self.offline, "latency": 0, "download_throughput": -1, "upload_throughput": -1
        }});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// A visit's quick note written with no signal waits on the phone and is sent, photo and all,
/// when the connection returns; it lands on the child's page as a consultation by visit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_note_written_offline_is_sent_when_the_connection_returns() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let (child,): (i64,) = tsunagu_store::db::query(
        "SELECT id FROM children WHERE area_id = 1 AND status = 'active' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser.set_window_size(390, 844).await.unwrap();
    browser
        .goto(&format!("{}/children/{child}", app.base))
        .await
        .unwrap();
    open_form(&browser, "訪問のメモ（写真も）…").await;
    let note = "園庭で友だちと砂遊び。声かけで順番を待てた";
    fill(&browser, "q-note", note).await;
    let photo = std::env::temp_dir().join(format!("tsunagu-visit-{}.png", std::process::id()));
    std::fs::write(&photo, common::small_png()).unwrap();
    browser
        .find(Locator::Id("q-photo"))
        .await
        .unwrap()
        .send_keys(&photo.display().to_string())
        .await
        .unwrap();
    save_screenshot(&browser, "quick-note-phone").await;
    browser
        .issue_cmd(NetworkConditions { offline: true })
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[data-offline] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut said = String::new();
    for _ in 0..50 {
        said = text_of(&browser, ".offline-status").await;
        if said.contains("一時保存しました") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said.contains("一時保存しました"), "{said}");
    save_screenshot(&browser, "quick-note-kept-offline").await;
    let notes = || async {
        let (n,): (i64,) = tsunagu_store::db::query(
            "SELECT COUNT(*) FROM consultations WHERE child_id = $1 AND channel = '訪問' AND concern = $2",
        )
        .bind(child)
        .bind(note)
        .fetch_one(&app.db)
        .await
        .unwrap();
        n
    };
    assert_eq!(notes().await, 0, "nothing reached the server");

    // The signal returns: the note goes by itself, once.
    browser
        .issue_cmd(NetworkConditions { offline: false })
        .await
        .unwrap();
    for _ in 0..100 {
        if notes().await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(notes().await, 1);
    let (photos,): (i64,) = tsunagu_store::db::query(
        "SELECT COUNT(*) FROM attachments a JOIN consultations s ON s.id = a.consultation_id \
         WHERE s.concern = $1 AND a.child_id = $2 AND a.content_type = 'image/png'",
    )
    .bind(note)
    .bind(child)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(photos, 1, "the photo went with it, on the child's record");
    let mut said = String::new();
    for _ in 0..50 {
        said = text_of(&browser, ".offline-status").await;
        if said.contains("送りました") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said.contains("送りました"), "{said}");
    let _ = std::fs::remove_file(&photo);
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_sees_the_caseload_and_a_transfer_is_accepted() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let driver = Driver::start();
    let browser = driver.browser().await;
    // The administrator records a placement; a wrong share comes back with what was typed.
    let (minoru, kashiwa): (i64, i64) = tsunagu_store::db::query(
        "SELECT (SELECT id FROM users WHERE login = 'demo-kashiwa-welfare'), (SELECT id FROM areas WHERE name = '柏市')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    log_in(
        &browser,
        &app.base,
        "demo-admin",
        tsunagu::demo::password_of("demo-admin").unwrap(),
    )
    .await;
    browser
        .goto(&format!("{}/admin/users/{minoru}", app.base))
        .await
        .unwrap();
    fill(&browser, "f-time_share", "150").await;
    fill(&browser, "f-absence_note", "県の研修（2日目から）").await;
    browser
        .find(Locator::XPath(
            "//button[normalize-space() = '配置と不在を保存する']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#staffing .field-error"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#staffing").await.contains("1〜100"));
    assert_eq!(
        browser
            .find(Locator::Id("f-absence_note"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("県の研修（2日目から）"),
        "kept as typed"
    );
    save_screenshot(&browser, "admin-staffing").await;
    browser
        .goto(&format!("{}/admin/areas/{kashiwa}", app.base))
        .await
        .unwrap();
    assert!(text_of(&browser, "main").await.contains("運営（委託先）"));
    save_screenshot(&browser, "admin-area-operator").await;
    log_out(&browser).await;
    // 柏市's officer: the team of three, their placement, caseload and time.
    log_in(
        &browser,
        &app.base,
        "demo-supervisor-kashiwa",
        tsunagu::demo::password_of("demo-supervisor-kashiwa").unwrap(),
    )
    .await;
    let home = text_of(&browser, "main").await;
    assert!(
        home.contains("コーディネーターの担当状況") && home.contains("試験 あおいさん"),
        "{home}"
    );
    browser
        .find(Locator::XPath("//nav//a[normalize-space() = '担当状況']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("caseload"))
        .await
        .unwrap();
    let load = text_of(&browser, "#caseload").await;
    for seen in [
        "試験 つむぎ",
        "専任",
        "福祉型",
        "試験 あおい",
        "兼務（50%）",
        "医療型",
        "試験 みのる",
        "不在",
        "地域の合計",
    ] {
        assert!(load.contains(seen), "{seen}: {load}");
    }
    let time = text_of(&browser, "#time").await;
    assert!(time.contains("時間の合計") || time.contains("分"), "{time}");
    save_screenshot(&browser, "caseload").await;
    assert_fits_a_phone(&browser, "caseload-phone").await;
    log_out(&browser).await;

    // 柏市's coordinator accepts the child 香取海匝 proposed; the consents stay behind.
    log_in(
        &browser,
        &app.base,
        "demo-coordinator-kashiwa",
        tsunagu::demo::password_of("demo-coordinator-kashiwa").unwrap(),
    )
    .await;
    let home = text_of(&browser, "main").await;
    assert!(home.contains("移管の受け入れ待ち"), "{home}");
    assert!(
        home.contains("不在の担当者の代わりに") && home.contains("試験 みのるさんの担当"),
        "the deputy covers the colleague away: {home}"
    );
    save_screenshot(&browser, "transfer-home").await;
    browser
        .find(Locator::XPath("//a[contains(., '香取海匝から移管の提案')]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("decide"))
        .await
        .unwrap();
    let page = text_of(&browser, "main").await;
    assert!(
        page.contains("父の転勤") && page.contains("母・書面") && page.contains("引き継がれず"),
        "{page}"
    );
    save_screenshot(&browser, "transfer-proposal").await;
    browser
        .find(Locator::XPath("//button[normalize-space() = '受け入れる']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".child-summary"))
        .await
        .unwrap();
    let page = text_of(&browser, "main").await;
    assert!(page.contains("移管を受け入れました"), "{page}");
    assert!(page.contains("前の地域での同意"), "{page}");
    assert!(
        text_of(&browser, ".child-facts").await.contains("柏市"),
        "the record is 柏市's now"
    );
    assert!(
        text_of(&browser, "#coordinators")
            .await
            .contains("試験 つむぎ"),
        "the accepting coordinator carries it"
    );
    save_screenshot(&browser, "transfer-accepted").await;
    // Handed to the medical-type colleague, with a note.
    browser
        .find(Locator::XPath("//a[normalize-space() = '担当変更']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("lead"))
        .await
        .unwrap();
    browser
        .find(Locator::XPath(
            "//select[@id='lead']/option[contains(., '試験 あおい')]",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&browser, "f-note", "通院の調整が中心になるため").await;
    save_screenshot(&browser, "case-handover").await;
    browser
        .find(Locator::XPath(
            "//button[normalize-space() = '担当を変更する']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css(".child-summary"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#coordinators")
        .await
        .contains("試験 あおい"));
    assert!(text_of(&browser, "main")
        .await
        .contains("担当を変更しました"));
    log_out(&browser).await;

    // 香取海匝's 不登校, followed by the clinic: on the record, its state changed from the form.
    let (child, difficulty): (i64, i64) = tsunagu_store::db::query(
        "SELECT child_id, id FROM secondary_difficulties ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .goto(&format!("{}/children/{child}#difficulties", app.base))
        .await
        .unwrap();
    let panel = text_of(&browser, "#difficulties").await;
    assert!(
        panel.contains("不登校") && panel.contains("対応中") && panel.contains("サポートファイル"),
        "{panel}"
    );
    browser
        .find(Locator::Css("#difficulties"))
        .await
        .unwrap()
        .find(Locator::Css("h2"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    save_screenshot(&browser, "difficulty-on-record").await;
    browser
        .goto(&format!(
            "{}/children/{child}/difficulties/{difficulty}",
            app.base
        ))
        .await
        .unwrap();
    browser
        .find(Locator::XPath(
            "//select[@id='status']/option[normalize-space() = '改善傾向']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    save_screenshot(&browser, "difficulty-form").await;
    browser
        .find(Locator::XPath("//button[normalize-space() = '保存する']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#difficulties"))
        .await
        .unwrap();
    assert!(text_of(&browser, "#difficulties")
        .await
        .contains("改善傾向"));
}

/// Whether a page's text shows a date with its weekday: 「2027年2月24日（水）」, 「（火・祝）」.
fn shows_a_weekday(text: &str) -> bool {
    ["月", "火", "水", "木", "金", "土", "日"]
        .iter()
        .any(|w| text.contains(&format!("日（{w}）")) || text.contains(&format!("日（{w}・祝）")))
}

/// A meeting on a holiday asks first and names it; every schedule then shows its weekday.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedules_show_the_weekday_and_a_holiday_asks_first() {
    let app = TestApp::demo(Backend::Sqlite).await;
    let (child,): (i64,) = tsunagu_store::db::query(
        "SELECT id FROM children WHERE family_name = '見本' AND given_name = 'はると'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let api = common::Api::new(&app, "demo-coordinator").await;
    let (status, body) = api
        .post(
            &format!("/api/v1/children/{child}/transitions"),
            serde_json::json!({"kind": "nursery", "move_on": "2027-04-01"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let driver = Driver::start();
    let browser = driver.browser().await;
    log_in(
        &browser,
        &app.base,
        "demo-coordinator",
        tsunagu::demo::password_of("demo-coordinator").unwrap(),
    )
    .await;
    browser
        .goto(&format!("{}/children/{child}/meetings/new", app.base))
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-purpose"))
        .await
        .unwrap();
    fill(&browser, "f-purpose", "就学先の見学の振り返り").await;
    browser
        .execute(
            "document.getElementById('f-date').value = '2027-02-23'",
            vec![],
        )
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Id("f-confirm_closed_day"))
        .await
        .unwrap();
    let form = text_of(&browser, "main").await;
    assert!(
        form.contains("2027年2月23日（火・祝）は天皇誕生日です"),
        "{form}"
    );
    assert_eq!(
        browser
            .find(Locator::Id("f-purpose"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("就学先の見学の振り返り"),
        "kept as typed"
    );
    save_screenshot(&browser, "meeting-on-a-holiday").await;
    assert_fits_a_phone(&browser, "meeting-on-a-holiday-phone").await;
    browser
        .find(Locator::Id("f-confirm_closed_day"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css("button[type=submit].primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("dl.facts"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main")
        .await
        .contains("2027年2月23日（火・祝） 10:00"));
    for page in [
        format!("/children/{child}"),
        format!("/children/{child}/transitions"),
        "/meetings".to_owned(),
        "/transitions".to_owned(),
        "/".to_owned(),
    ] {
        browser.goto(&format!("{}{page}", app.base)).await.unwrap();
        let text = text_of(&browser, "main").await;
        assert!(shows_a_weekday(&text), "{page}: {text}");
        assert_fits_a_phone(
            &browser,
            &format!("weekdays-phone{}", page.replace('/', "-")),
        )
        .await;
    }
    save_screenshot(&browser, "child-checklist-weekdays").await;
    for page in [
        format!("/children/{child}/plan"),
        "/transitions/template".to_owned(),
    ] {
        browser.goto(&format!("{}{page}", app.base)).await.unwrap();
        assert_fits_a_phone(&browser, &format!("phone{}", page.replace('/', "-"))).await;
    }
}
