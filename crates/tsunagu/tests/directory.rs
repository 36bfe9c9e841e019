//! The local resources directory: search, filters, access, CSV export and import (UTF-8 and
//! Shift_JIS), councils, and the API. Every test runs on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{location, Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::Value;
use tsunagu_store::db::query;

both_backends!(
    search_finds_an_agency_from_any_kana,
    filters_combine,
    the_demo_has_every_kind_in_each_area,
    a_coordinator_registers_and_edits_an_agency_of_the_area_only,
    agency_staff_edit_only_their_own_contacts,
    the_committee_sees_counts_only,
    closing_asks_first_and_hides_the_agency,
    a_shift_jis_file_with_a_bad_row_imports_nothing_until_fixed,
    export_then_import_round_trips,
    bad_files_get_clear_messages,
    the_api_answers_the_same_agencies_and_csv,
    councils_have_members_and_appear_on_the_agency_page,
    the_agency_chooser_offers_the_area_and_finds_any_agency_by_name,
);

async fn api_get(app: &TestApp, token: &str, path: &str) -> Value {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.unwrap()
}

async fn agency_count(app: &TestApp) -> i64 {
    let (n,): (i64,) = query("SELECT COUNT(*) FROM agencies")
        .fetch_one(&app.db)
        .await
        .unwrap();
    n
}

async fn kind_id(app: &TestApp, name: &str) -> i64 {
    let (id,): (i64,) = query("SELECT id FROM agency_kinds WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

async fn municipality_id(app: &TestApp, name: &str) -> i64 {
    let (id,): (i64,) = query("SELECT id FROM municipalities WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

async fn search_first(app: &TestApp, token: &str, q: &str) -> Value {
    api_get(app, token, &format!("/api/v1/agencies?q={}", urlencode(q))).await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn search_finds_an_agency_from_any_kana(b: Backend) {
    let app = TestApp::demo(b).await;
    let token = app.token_for("demo-coordinator").await;
    for q in [
        "つなぐほいく",
        "ツナグホイク",
        "ﾂﾅｸﾞﾎｲｸ",
        "つなぐ保育",
        "ツナグ",
    ] {
        let found = search_first(&app, &token, q).await;
        let names: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"つなぐ保育園（デモ）"),
            "{q} found {names:?}"
        );
    }
    // The screen finds it too, with a partial match in the middle of the name.
    let c = app.login_as("demo-coordinator").await;
    let (status, html) = c
        .get_text(&format!("/agencies?q={}", urlencode("ほいくえん")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("つなぐ保育園（デモ）"));
}

async fn filters_combine(b: Backend) {
    let app = TestApp::demo(b).await;
    let token = app.token_for("demo-coordinator").await;
    let day = kind_id(&app, "放課後等デイサービス").await;
    let all_day = api_get(
        &app,
        &token,
        &format!("/api/v1/agencies?kind_id={day}&limit=500"),
    )
    .await;
    assert!(
        all_day["total"].as_i64().unwrap() >= 6,
        "both areas have them"
    );
    // Kind and municipality together: only that kind in that town.
    let first_town = all_day["items"][0]["municipality_id"].as_i64().unwrap();
    let in_town = api_get(
        &app,
        &token,
        &format!("/api/v1/agencies?kind_id={day}&municipality_id={first_town}"),
    )
    .await;
    assert!(in_town["total"].as_i64().unwrap() >= 1);
    assert!(in_town["total"].as_i64().unwrap() < all_day["total"].as_i64().unwrap());
    for a in in_town["items"].as_array().unwrap() {
        assert_eq!(a["kind_id"].as_i64().unwrap(), day);
        assert_eq!(a["municipality_id"].as_i64().unwrap(), first_town);
    }
    // Service and age: after-school day services serve 6–18, so none for a 3-year-old.
    let service = urlencode("放課後等デイサービス");
    let three = api_get(
        &app,
        &token,
        &format!("/api/v1/agencies?service={service}&age=3"),
    )
    .await;
    assert_eq!(three["total"], 0);
    let ten = api_get(
        &app,
        &token,
        &format!("/api/v1/agencies?service={service}&age=10"),
    )
    .await;
    assert_eq!(ten["total"], all_day["total"]);
    // Sector welfare excludes schools; education includes them.
    let welfare = api_get(&app, &token, "/api/v1/agencies?sector=welfare&limit=500").await;
    assert!(welfare["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["sector"] == "welfare"));
    let kashiwa = api_get(&app, &token, "/api/v1/areas?q=%E6%9F%8F").await;
    let kashiwa_id = kashiwa["items"][0]["id"].as_i64().unwrap();
    let in_area = api_get(
        &app,
        &token,
        &format!("/api/v1/agencies?area_id={kashiwa_id}&kind_id={day}"),
    )
    .await;
    assert!(in_area["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["municipality_name"] == "柏市"));
    // A wrong filter value is named, not a 500.
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/agencies?age=abc", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "age");
}

async fn the_demo_has_every_kind_in_each_area(b: Backend) {
    let app = TestApp::demo(b).await;
    let token = app.token_for("demo-admin").await;
    let kinds = api_get(&app, &token, "/api/v1/agency-kinds").await;
    assert_eq!(kinds["total"], 21);
    let areas = api_get(&app, &token, "/api/v1/areas").await;
    for area in areas["items"].as_array().unwrap() {
        let id = area["id"].as_i64().unwrap();
        let list = api_get(
            &app,
            &token,
            &format!("/api/v1/agencies?area_id={id}&limit=500"),
        )
        .await;
        assert!(
            list["total"].as_i64().unwrap() >= 24,
            "dozens in {}",
            area["name"]
        );
        for kind in kinds["items"].as_array().unwrap() {
            assert!(
                list["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| a["kind_id"] == kind["id"]),
                "{} has a {}",
                area["name"],
                kind["name"]
            );
        }
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"].as_str().unwrap().ends_with("（デモ）")));
    }
}

fn agency_form(name: &str, kind: i64, municipality: i64) -> Vec<(String, String)> {
    vec![
        ("name".into(), name.into()),
        ("kana".into(), "てすとえん".into()),
        ("kind_id".into(), kind.to_string()),
        ("municipality_id".into(), municipality.to_string()),
        ("postal_code".into(), "２８７－０００１".into()),
        ("address".into(), "香取市テスト1-1".into()),
        ("phone".into(), "0478-00-9999".into()),
        ("age_from".into(), "6".into()),
        ("age_to".into(), "18".into()),
        ("services".into(), "放課後等デイサービス".into()),
        (
            "other_services".into(),
            "ソーシャルスキルトレーニング".into(),
        ),
        (
            "contacts".into(),
            "試験 はるか（児童発達支援管理責任者）".into(),
        ),
    ]
}

async fn post_pairs(
    c: &Client,
    path: &str,
    mut fields: Vec<(String, String)>,
) -> reqwest::Response {
    let token = c.csrf("/account/password").await;
    fields.push(("csrf_token".into(), token));
    c.http.post(c.url(path)).form(&fields).send().await.unwrap()
}

async fn a_coordinator_registers_and_edits_an_agency_of_the_area_only(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let kind = kind_id(&app, "放課後等デイサービス").await;
    let katori = municipality_id(&app, "香取市").await;
    let kashiwa = municipality_id(&app, "柏市").await;
    // A mistake keeps everything typed and names the field.
    let mut bad = agency_form("テスト放課後デイ", kind, katori);
    bad.retain(|(k, _)| k != "postal_code");
    bad.push(("postal_code".into(), "12-345".into()));
    let res = post_pairs(&c, "/agencies", bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("郵便番号は「123-4567」の形で入力してください。"));
    assert!(html.contains("value=\"テスト放課後デイ\""));
    assert!(html.contains("試験 はるか（児童発達支援管理責任者）"));
    // Right, it saves with the postal code normalised.
    let res = post_pairs(
        &c,
        "/agencies",
        agency_form("テスト放課後デイ", kind, katori),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = location(&res);
    let (_, html) = c.get_text(&page).await;
    assert!(
        html.contains("〒287-0001")
            && html.contains("ソーシャルスキルトレーニング")
            && html.contains("6〜18歳")
    );
    // The same name and address again is a duplicate.
    let res = post_pairs(
        &c,
        "/agencies",
        agency_form("テスト放課後デイ", kind, katori),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("すでに登録されています"));
    // Not in Kashiwa, which is not the coordinator's area: refused, logged, nothing written.
    let before = agency_count(&app).await;
    let res = post_pairs(&c, "/agencies", agency_form("よその機関", kind, kashiwa)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("担当地域の外"));
    assert_eq!(agency_count(&app).await, before);
    assert!(app
        .audit_actions("agency.create")
        .await
        .iter()
        .any(|(u, o, _)| u.as_deref() == Some("demo-coordinator") && o == "denied"));
    // Editing an agency of Kashiwa is refused too (403), by form and API.
    let (kashiwa_agency,): (i64,) =
        query("SELECT id FROM agencies WHERE municipality_id = $1 ORDER BY id LIMIT 1")
            .bind(kashiwa)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        c.get(&format!("/agencies/{kashiwa_agency}/edit"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let res = post_pairs(
        &c,
        &format!("/agencies/{kashiwa_agency}"),
        agency_form("乗っ取り", kind, kashiwa),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Its own: edits are saved and audited.
    let id = page
        .trim_start_matches("/agencies/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let res = post_pairs(
        &c,
        &format!("/agencies/{id}"),
        agency_form("テスト放課後デイ（改称）", kind, katori),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.audit_actions("agency.update").await[0].1, "success");
}

async fn agency_staff_edit_only_their_own_contacts(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-agency").await;
    let (own,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (other,): (i64,) = query("SELECT id FROM agencies WHERE id <> $1 ORDER BY id LIMIT 1")
        .bind(own)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (_, page) = c.get_text(&format!("/agencies/{own}")).await;
    assert!(page.contains("連絡先・空き状況を更新"));
    let res = c
        .post_form(
            &format!("/agencies/{own}/contacts"),
            &[
                ("phone", "0478-11-2222"),
                ("capacity_note", "2歳児クラスに空き1名"),
                ("contacts", "仮名 さくら（主任保育士）"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get_text(&format!("/agencies/{own}")).await;
    assert!(page.contains("0478-11-2222") && page.contains("2歳児クラスに空き1名"));
    // Another agency: refused and logged.
    let res = c
        .post_form(
            &format!("/agencies/{other}/contacts"),
            &[("phone", "0000-00-0000")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        c.get(&format!("/agencies/{other}/contacts")).await.status(),
        StatusCode::FORBIDDEN
    );
    let denied = app.audit_actions("agency.update_contacts").await;
    assert!(denied
        .iter()
        .any(|(u, o, id)| u.as_deref() == Some("demo-agency")
            && o == "denied"
            && id.as_deref() == Some(&other.to_string())));
    // Nor the full edit of its own agency, nor creating one.
    assert_eq!(
        c.get(&format!("/agencies/{own}/edit")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.get("/agencies/new").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        c.get("/agencies/import").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn the_agency_chooser_offers_the_area_and_finds_any_agency_by_name(b: Backend) {
    let app = TestApp::demo(b).await;
    // An agency of the other area (柏市): not offered for a child of 香取海匝 until searched for.
    let (katori, kashiwa): (i64, i64) = query(
        "SELECT (SELECT id FROM areas WHERE name = '香取海匝'), (SELECT id FROM areas WHERE name = '柏市')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (far_id, far_name): (i64, String) = query(
        "SELECT a.id, a.name FROM agencies a JOIN area_municipalities am ON am.municipality_id = a.municipality_id \
         WHERE am.area_id = $1 AND a.active = $2 \
         AND a.id NOT IN (SELECT agency_id FROM agency_served_areas WHERE area_id = $3) ORDER BY a.id LIMIT 1",
    )
    .bind(kashiwa)
    .bind(true)
    .bind(katori)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let c = app.login_as("demo-coordinator").await;
    let option = format!("<option value=\"{far_id}\"");
    let (status, near) = c
        .get_text(&format!("/agencies/options?area_id={katori}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(near.contains("<option"), "the area's agencies are offered");
    assert!(
        !near.contains(&option),
        "another area's agency is not offered unasked"
    );
    let q: String = far_name.chars().take(4).collect();
    let url = reqwest::Url::parse_with_params(
        &c.url("/agencies/options"),
        &[("q", q.as_str()), ("area_id", &katori.to_string())],
    )
    .unwrap();
    let (status, found) = c
        .get_text(&format!("{}?{}", url.path(), url.query().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(found.contains(&option), "found by name: {far_name}");
    // The committee sees counts only, never a list of agencies.
    let committee = app.login_as("demo-committee").await;
    assert_eq!(
        committee
            .get(&format!("/agencies/options?{}", url.query().unwrap()))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

async fn the_committee_sees_counts_only(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-committee").await;
    let (status, html) = c.get_text("/agencies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("関係機関の集計") && html.contains("放課後等デイサービス"));
    assert!(!html.contains("（デモ）"), "no agency names, only counts");
    let (id,): (i64,) = query("SELECT id FROM agencies LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        c.get(&format!("/agencies/{id}")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(c.get("/agencies.csv").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        c.get("/agencies/print").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.get("/api/v1/agencies").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn closing_asks_first_and_hides_the_agency(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let (id,): (i64,) = query("SELECT id FROM agencies WHERE name = 'つなぐ保育園（デモ）'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (_, confirm) = c.get_text(&format!("/agencies/{id}/close")).await;
    assert!(confirm.contains("を閉鎖しますか？"));
    let res = c
        .post_form(
            &format!("/agencies/{id}/close"),
            &[("closed_on", "2026-03-31")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let q = urlencode("つなぐ");
    let (_, list) = c.get_text(&format!("/agencies?area_id=all&q={q}")).await;
    assert!(!list.contains("つなぐ保育園（デモ）"));
    let (_, list) = c
        .get_text(&format!("/agencies?area_id=all&q={q}&include_closed=1"))
        .await;
    assert!(list.contains("つなぐ保育園（デモ）") && list.contains("閉鎖"));
    c.post_form(&format!("/agencies/{id}/reopen"), &[]).await;
    let (_, list) = c.get_text(&format!("/agencies?area_id=all&q={q}")).await;
    assert!(list.contains("つなぐ保育園（デモ）"));
    assert_eq!(app.audit_actions("agency.close").await.len(), 1);
    assert_eq!(app.audit_actions("agency.reopen").await.len(), 1);
}

fn sjis(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

async fn upload(c: &Client, bytes: Vec<u8>, file_name: &str) -> reqwest::Response {
    let token = c.csrf("/agencies/import").await;
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str("text/csv")
        .unwrap();
    c.http
        .post(c.url(&format!("/agencies/import?csrf_token={token}")))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
}

fn hidden_content(html: &str) -> String {
    let start = html
        .find("<textarea name=\"content\" hidden aria-hidden=\"true\">")
        .unwrap()
        + "<textarea name=\"content\" hidden aria-hidden=\"true\">".len();
    let end = html[start..].find("</textarea>").unwrap() + start;
    html[start..end]
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

async fn a_shift_jis_file_with_a_bad_row_imports_nothing_until_fixed(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let before = agency_count(&app).await;
    let bad = "名称,よみがな,種別,市町村,郵便番号,住所,電話番号,提供サービス\r\n\
        取込こども園（デモ）,とりこみこどもえん,保育所・認定こども園,香取市,287-0002,香取市取込1-1,0478-00-7001,\r\n\
        取込デイ（デモ）,とりこみでい,放課後等デイ,旭市,289-2500,旭市取込2-2,0478-00-7002,放課後等デイサービス\r\n\
        取込クリニック（デモ）,とりこみくりにっく,医療機関,銚子市,28-1234,銚子市取込3-3,0478-00-7003,発達相談\r\n";
    let res = upload(&c, sjis(bad), "bad.csv").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Shift_JIS"));
    assert!(html.contains("種別「放課後等デイ」は登録されていません。"));
    assert!(html.contains("郵便番号は「123-4567」の形で入力してください。"));
    assert!(html.contains("まだ何も登録していません"));
    assert!(
        !html.contains("件を登録する"),
        "no way to import a file with errors"
    );
    assert_eq!(agency_count(&app).await, before);
    // Forcing the confirmation with the bad file writes nothing either.
    let res = c
        .post_form("/agencies/import/confirm", &[("content", bad)])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(agency_count(&app).await, before);

    let good = bad
        .replace("放課後等デイ,旭市", "放課後等デイサービス,旭市")
        .replace("28-1234", "288-1234");
    let res = upload(&c, sjis(&good), "good.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("3件を登録する"));
    let content = hidden_content(&html);
    assert_eq!(
        agency_count(&app).await,
        before,
        "the preview writes nothing"
    );
    let res = c
        .post_form("/agencies/import/confirm", &[("content", &content)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(agency_count(&app).await, before + 3);
    assert_eq!(app.audit_actions("agency.import").await.len(), 1);
    // Importing the same file again: every row is a duplicate now.
    let res = upload(&c, sjis(&good), "good.csv").await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("同じ名称・住所の機関がすでに登録されています。"));
    // A row outside the coordinator's areas is refused.
    let kashiwa = "名称,種別,市町村\r\n柏のどこか（デモ）,その他,柏市\r\n";
    let res = upload(&c, kashiwa.as_bytes().to_vec(), "k.csv").await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("担当地域の外の市町村です。"));
}

async fn export_then_import_round_trips(b: Backend) {
    let source = TestApp::demo(b).await;
    let c = source.login_as("demo-admin").await;
    // Something that must survive: formula-like text, commas, a multi-line note.
    let (id,): (i64,) = query("SELECT id FROM agencies WHERE name = 'つなぐ保育園（デモ）'")
        .fetch_one(&source.db)
        .await
        .unwrap();
    query("UPDATE agencies SET notes = $1 WHERE id = $2")
        .bind("=HYPERLINK(\"x\"), 改行\nあり")
        .bind(id)
        .execute(&source.db)
        .await
        .unwrap();
    let res = c.get("/agencies.csv?area_id=all").await;
    assert_eq!(res.status(), StatusCode::OK);
    let exported = res.bytes().await.unwrap().to_vec();
    let text = String::from_utf8(exported[3..].to_vec()).unwrap();
    assert!(
        text.contains("'=HYPERLINK"),
        "formulas are neutralised on export"
    );

    // Into a directory that has none of them yet: an empty database with only an administrator.
    let target = TestApp::empty(b).await;
    let mut tx = target.db.begin().await.unwrap();
    let admin = tsunagu_store::users::NewUser {
        login: "target-admin".into(),
        display_name: "移行先 管理者".into(),
        role: tsunagu_domain::Role::Admin,
        area_ids: vec![],
        agency_id: None,
        password: "target-admin-password".into(),
        must_change_password: false,
    };
    tsunagu_store::users::create(&mut tx, &tsunagu_store::RequestMeta::cli(), None, admin)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let t = target.client();
    assert_eq!(
        t.login("target-admin", "target-admin-password")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let res = upload(&t, exported.clone(), "export.csv").await;
    let html = res.text().await.unwrap();
    let rows = agency_count(&source).await;
    assert!(
        html.contains(&format!("{rows}件を登録する")),
        "every exported row imports"
    );
    let res = t
        .post_form(
            "/agencies/import/confirm",
            &[("content", &hidden_content(&html))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let again = t
        .get("/agencies.csv?area_id=all")
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(exported).unwrap(),
        "export → import → export is the same file"
    );
}

async fn bad_files_get_clear_messages(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let before = agency_count(&app).await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "ファイルが空です。"),
        (
            vec![0x89, b'P', b'N', b'G', 0, 0, 0xff, 0xfe],
            "文字コードを判別できません",
        ),
        (
            b"name,kind\r\nx,y\r\n".to_vec(),
            "「名称」の列がありません。",
        ),
        (
            format!(
                "名称,種別,市町村\r\n{}",
                "行,その他,香取市\r\n".repeat(10_001)
            )
            .into_bytes(),
            "行数が多すぎます",
        ),
    ];
    for (bytes, message) in cases {
        let res = upload(&c, bytes, "x.csv").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    // Too large for the server at all: refused (413) before it is read, never a 500. The server
    // may close the connection while the client is still sending, which the client sees as an error.
    let token = c.csrf("/agencies/import").await;
    let part = reqwest::multipart::Part::bytes(vec![b'a'; 13 * 1024 * 1024]).file_name("huge.csv");
    let sent = c
        .http
        .post(c.url(&format!("/agencies/import?csrf_token={token}")))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await;
    if let Ok(res) = sent {
        assert!(res.status().is_client_error(), "{}", res.status());
    }
    // An upload without its token is refused. (A new client: the refused upload above may have
    // left a broken connection in the old client's pool.)
    let c = app.login_as("demo-coordinator").await;
    let part = reqwest::multipart::Part::bytes(b"a".to_vec()).file_name("x.csv");
    let res = c
        .http
        .post(c.url("/agencies/import"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(agency_count(&app).await, before);
}

async fn the_api_answers_the_same_agencies_and_csv(b: Backend) {
    let app = TestApp::demo(b).await;
    let token = app.token_for("demo-coordinator").await;
    let day = kind_id(&app, "放課後等デイサービス").await;
    let asahi = municipality_id(&app, "旭市").await;
    let json = api_get(
        &app,
        &token,
        &format!("/api/v1/agencies?kind_id={day}&municipality_id={asahi}"),
    )
    .await;
    let c = app.login_as("demo-coordinator").await;
    let (_, html) = c
        .get_text(&format!("/agencies?kind_id={day}&municipality_id={asahi}"))
        .await;
    for a in json["items"].as_array().unwrap() {
        assert!(html.contains(a["name"].as_str().unwrap()));
    }
    let csv = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/agencies?kind_id={day}&municipality_id={asahi}",
            app.base
        ))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let screen = c
        .get(&format!(
            "/agencies.csv?kind_id={day}&municipality_id={asahi}"
        ))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        csv.bytes().await.unwrap(),
        screen,
        "the API's CSV is the screen's"
    );
    // Create and update through the API, typed, with errors naming fields.
    let api = reqwest::Client::new();
    let body = serde_json::json!({"name": "API登録園（デモ）", "kind_id": kind_id(&app, "幼稚園").await,
        "municipality_id": municipality_id(&app, "匝瑳市").await, "email": "not-an-email"});
    let res = api
        .post(format!("{}/api/v1/agencies", app.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["field"],
        "email"
    );
    // An id as a string is not the typed body.
    let mut as_text = body.clone();
    as_text["kind_id"] = Value::String(body["kind_id"].to_string());
    let res = api
        .post(format!("{}/api/v1/agencies", app.base))
        .bearer_auth(&token)
        .json(&as_text)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let mut body = body;
    body["email"] = "info@example.jp".into();
    let res = api
        .post(format!("{}/api/v1/agencies", app.base))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let created: Value = res.json().await.unwrap();
    let url = format!("{}/api/v1/agencies/{}", app.base, created["id"]);

    // Round trip: the body GET answers goes back to PUT as it is, and GET answers the same.
    let res = api.get(&url).bearer_auth(&token).send().await.unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let read: Value = res.json().await.unwrap();
    let res = api
        .put(&url)
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .json(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let mut again: Value = api
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    again["version"] = read["version"].clone();
    assert_eq!(
        again, read,
        "PUT of what GET answered changes nothing but the version"
    );

    // No If-Match: 428; a stale one: 412 with the version now; nothing written either way.
    let mut changed = read.clone();
    changed["hours"] = "平日 8:30〜17:15".into();
    let res = api
        .put(&url)
        .bearer_auth(&token)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "precondition_required"
    );
    let res = api
        .put(&url)
        .bearer_auth(&token)
        .header("If-Match", &etag)
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
    let refused: Value = res.json().await.unwrap();
    assert_eq!(
        (
            refused["error"]["code"].clone(),
            refused["error"]["current_version"].clone()
        ),
        (Value::from("precondition_failed"), Value::from(2))
    );
    let now: Value = api
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["hours"], Value::Null, "the stale write changed nothing");

    // PATCH one member (Merge Patch): the rest stays; null clears.
    let res = api
        .patch(&url)
        .bearer_auth(&token)
        .header("If-Match", "\"2\"")
        .header("Content-Type", "application/merge-patch+json")
        .body(r#"{"hours": "平日 8:30〜17:15", "email": null}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["etag"], "\"3\"");
    let patched: Value = res.json().await.unwrap();
    assert_eq!(
        (
            patched["hours"].clone(),
            patched["email"].clone(),
            patched["name"].clone()
        ),
        (
            Value::from("平日 8:30〜17:15"),
            Value::Null,
            read["name"].clone()
        )
    );
    let res = api
        .patch(&url)
        .bearer_auth(&token)
        .header("If-Match", "\"3\"")
        .header("Content-Type", "application/merge-patch+json")
        .body(r#"{"age_from": "3"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "a number as text is refused"
    );

    // The screen's form carries the version too: a save over a newer one comes back with what
    // was typed and says why.
    let web = app.login_as("demo-coordinator").await;
    let (_, form) = web
        .get_text(&format!("/agencies/{}/edit", created["id"]))
        .await;
    assert!(form.contains("name=\"version\" value=\"3\""), "{form}");
    let res = api
        .put(&url)
        .bearer_auth(&token)
        .header("If-Match", "*")
        .json(&patched)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = web
        .post_form(
            &format!("/agencies/{}", created["id"]),
            &[
                ("version", "3"),
                ("name", "画面で直した園（デモ）"),
                ("kind_id", &read["kind_id"].to_string()),
                ("municipality_id", &read["municipality_id"].to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("ほかの人が変更しました")
            && page.contains("画面で直した園（デモ）")
            && page.contains("name=\"version\" value=\"4\""),
        "{page}"
    );
    let doc: Value = reqwest::get(format!("{}/api/v1/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/agencies",
        "/api/v1/agencies/{id}",
        "/api/v1/agency-kinds",
        "/api/v1/councils",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}

async fn councils_have_members_and_appear_on_the_agency_page(b: Backend) {
    let app = TestApp::demo(b).await;
    let c = app.login_as("demo-coordinator").await;
    let (_, list) = c.get_text("/councils").await;
    assert!(list.contains("香取海匝地域自立支援協議会 療育支援部会（デモ）"));
    let (area,): (i64,) = query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (nursery,): (i64,) = query("SELECT id FROM agencies WHERE name = 'つなぐ保育園（デモ）'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let res = c
        .post_form(
            "/councils",
            &[
                ("name", "特別支援連携協議会（テスト）"),
                ("kind", "special_needs_cooperation"),
                ("area_id", &area.to_string()),
                ("member_ids", &nursery.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get_text(&format!("/agencies/{nursery}")).await;
    assert!(page.contains("特別支援連携協議会（テスト）"));
    // Not in another area.
    let (kashiwa,): (i64,) = query("SELECT id FROM areas WHERE name = '柏市'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let res = c
        .post_form(
            "/councils",
            &[
                ("name", "よその協議会"),
                ("kind", "other"),
                ("area_id", &kashiwa.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let token = app.token_for("demo-supervisor").await;
    let councils = api_get(&app, &token, "/api/v1/councils").await;
    assert!(councils["total"].as_i64().unwrap() >= 5);
}
