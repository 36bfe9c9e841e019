//! Japanese correctness through HTTP on both backends: the holiday calendar and each area's
//! year-end closure on schedules, variant kanji and wave dashes in search and duplicate checks
//! (and the migration that rebuilt stored keys), date ranges, and calendar files as RFC 5545
//! means them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tsunagu_store::db::query;

both_backends!(
    schedules_know_holidays_and_the_areas_closure,
    variant_names_are_found_and_caught_as_duplicates,
    stored_keys_are_rebuilt_by_the_migration,
    dates_out_of_range_are_refused_with_the_range,
    calendar_files_name_the_installation_and_cancel,
);

async fn katori(app: &TestApp) -> i64 {
    common::area_id(app, "香取海匝").await
}

async fn nursery(app: &TestApp) -> i64 {
    let (id,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

async fn new_child(
    app: &TestApp,
    api: &Api,
    family: &str,
    given: &str,
    kana: &str,
    birth: &str,
) -> i64 {
    let (family_kana, given_kana) = kana.split_once(' ').unwrap_or((kana, ""));
    let (status, body) = api
        .post(
            "/api/v1/children",
            json!({"area_id": katori(app).await.to_string(), "family_name": family, "given_name": given,
                   "family_kana": family_kana, "given_kana": given_kana, "birth_date": birth,
                   "not_a_duplicate": "1",
                   "guardian_name": [format!("{family} みどり")], "guardian_kana": ["ほごしゃ みどり"],
                   "guardian_relation": ["母"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["child"]["id"].as_i64().unwrap()
}

fn meeting(date: &str, nursery: i64) -> Value {
    json!({"purpose": "就学に向けた情報共有", "date": date, "start": "10:00", "end": "11:00",
           "agency_ids": [nursery.to_string()]})
}

async fn schedules_know_holidays_and_the_areas_closure(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let admin = Api::new(&app, "demo-admin").await;
    let area = katori(&app).await;

    // The calendar answers each day with its weekday, holiday and whether offices are open.
    let (status, days) = coordinator
        .get("/api/v1/calendar?from=2027-02-22&to=2027-02-24")
        .await;
    assert_eq!(status, StatusCode::OK, "{days}");
    assert_eq!(days["total"], 3);
    let day = |days: &Value, n: usize| days["items"][n].clone();
    assert_eq!(day(&days, 1)["holiday"], "天皇誕生日");
    assert_eq!(day(&days, 1)["weekday"], "火");
    assert_eq!(day(&days, 1)["working_day"], false);
    assert_eq!(day(&days, 1)["label"], "2027年2月23日（火・祝）");
    assert_eq!(day(&days, 0)["working_day"], true);
    let (status, olympics) = coordinator
        .get("/api/v1/calendar?from=2021-07-19&to=2021-07-23")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(day(&olympics, 0)["holiday"], Value::Null);
    assert_eq!(day(&olympics, 3)["holiday"], "海の日");
    assert_eq!(day(&olympics, 4)["holiday"], "スポーツの日");

    // A meeting on 天皇誕生日 asks first, naming the holiday; confirmed, it is scheduled.
    let child = new_child(
        &app,
        &coordinator,
        "暦",
        "かなで",
        "こよみ かなで",
        "2021-05-05",
    )
    .await;
    let nursery = nursery(&app).await;
    let path = format!("/api/v1/children/{child}/meetings");
    let (status, body) = coordinator
        .post(&path, meeting("2027-02-23", nursery))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "date");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("2027年2月23日（火・祝）は天皇誕生日です"),
        "{message}"
    );
    let mut confirmed = meeting("2027-02-23", nursery);
    confirmed["confirm_closed_day"] = json!("on");
    let (status, body) = coordinator.post(&path, confirmed).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A Saturday and the year-end closure ask too; a Wednesday does not.
    let (status, body) = coordinator
        .post(&path, meeting("2027-02-20", nursery))
        .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY
            && body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("土曜日"),
        "{body}"
    );
    let (status, body) = coordinator
        .post(&path, meeting("2026-12-29", nursery))
        .await;
    assert!(
        status == StatusCode::UNPROCESSABLE_ENTITY
            && body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("年末年始の閉庁日"),
        "{body}"
    );
    let (status, body) = coordinator
        .post(&path, meeting("2027-02-24", nursery))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // The area sets its own closure (12月30日〜1月3日): the 29th is then a working day.
    let (_, detail) = admin.get(&format!("/api/v1/areas/{area}")).await;
    let municipalities: Vec<Value> = detail["municipalities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    // The area as it is, with the closure changed.
    let with_closure = |from: &str, to: &str| {
        json!({"name": detail["name"], "kana": detail["kana"],
            "municipality_ids": municipalities, "active": true, "operator_kind": detail["operator_kind"],
            "operator_name": detail["operator_name"].as_str().unwrap_or_default(), "caseload_limit": "40",
            "closure_from": from, "closure_to": to})
    };
    let (status, body) = admin
        .put(
            &format!("/api/v1/areas/{area}"),
            with_closure("13月1日", "1月3日"),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("closure_from")),
        "{body}"
    );
    let (status, body) = admin
        .put(
            &format!("/api/v1/areas/{area}"),
            with_closure("12月30日", "1月3日"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["closure_from"].clone(), body["closure_to"].clone()),
        (json!("12-30"), json!("01-03"))
    );
    let (_, days) = coordinator
        .get(&format!(
            "/api/v1/calendar?from=2026-12-29&to=2026-12-30&area_id={area}"
        ))
        .await;
    assert_eq!(
        (
            day(&days, 0)["working_day"].clone(),
            day(&days, 1)["closed"].clone()
        ),
        (json!(true), json!(true))
    );
    let (status, body) = coordinator
        .post(&path, meeting("2026-12-29", nursery))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // On the form, the tick survives another field's refusal: it is not asked twice.
    let web = app.login_as("demo-coordinator").await;
    let res = web
        .post_form(
            &format!("/children/{child}/meetings"),
            &[
                ("purpose", ""),
                ("date", "2027-02-23"),
                ("start", "10:00"),
                ("end", "11:00"),
                ("confirm_closed_day", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("id=\"f-confirm_closed_day\" checked") && !page.contains("天皇誕生日です"),
        "{page}"
    );

    // A checklist line placed on a holiday moves as the template says: after it, here.
    let res = web
        .post_form(
            "/transitions/template",
            &[
                ("kind", "nursery"),
                ("title", "祝日明けの面談"),
                ("owner", "コーディネーター"),
                ("month_offset", "-2"),
                ("day", "23"),
                ("sort_order", "9"),
                ("if_closed", "after"),
            ],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let (_, template) = web.get_text("/transitions/template").await;
    assert!(
        template.contains("2か月前の23日（閉庁日なら後の開庁日）"),
        "{template}"
    );
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/transitions"),
            json!({"kind": "nursery", "move_on": "2027-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, view) = coordinator
        .get(&format!("/api/v1/transitions/{}", body["id"]))
        .await;
    let due = |title: &str| {
        view["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"].as_str().unwrap().starts_with(title))
            .unwrap_or_else(|| panic!("{title} in {view}"))["due_on"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(due("祝日明けの面談"), "2027-02-24");
    assert_eq!(due("入所の申込み"), "2026-11-30");

    // Schedules show the weekday: the meeting's page and the child's checklist.
    let (_, page) = web
        .get_text(&format!("/children/{child}/transitions"))
        .await;
    assert!(page.contains("2027年2月24日（水）"), "{page}");
}

async fn variant_names_are_found_and_caught_as_duplicates(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let takahashi = new_child(
        &app,
        &coordinator,
        "髙橋",
        "はなこ",
        "たかはし はなこ",
        "2021-06-01",
    )
    .await;
    // 高橋 finds 髙橋, and the stored name keeps its 髙.
    for q in ["高橋", "髙橋", "高橋はなこ"] {
        let (status, found) = coordinator
            .get(&format!("/api/v1/children?q={}", common::qs(q)))
            .await;
        assert_eq!(status, StatusCode::OK);
        let items = found["items"].as_array().unwrap();
        assert!(items.iter().any(|c| c["id"] == takahashi), "{q}: {found}");
        assert!(items.iter().all(|c| c["family_name"] != "高橋"), "{found}");
    }
    // 高崎 with the same birth date is caught as 髙﨑.
    new_child(&app, &coordinator, "髙﨑", "ゆう", "", "2020-01-10").await;
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            json!({"area_id": katori(&app).await.to_string(), "family_name": "高崎",
            "given_name": "ゆう", "birth_date": "2020-01-10"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // An agency with 〜 is the same as one with ～ at the same address.
    let (_, kinds) = coordinator.get("/api/v1/agency-kinds").await;
    let kind = kinds
        .as_array()
        .map(|k| k[0]["id"].clone())
        .unwrap_or(json!(1));
    let (_, municipalities) = coordinator.get("/api/v1/municipalities?q=香取市").await;
    let municipality = municipalities["items"][0]["id"].clone();
    let agency = |name: &str| {
        json!({"name": name, "kana": "ひまわりひろば", "kind_id": kind,
        "municipality_id": municipality, "address": "香取市佐原イ1-2-3"})
    };
    let (status, body) = coordinator
        .post("/api/v1/agencies", agency("ひまわり〜ひろば（検証）"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = coordinator
        .post("/api/v1/agencies", agency("ひまわり～ひろば（検証）"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "name");
    let (status, found) = coordinator
        .get(&format!(
            "/api/v1/agencies?q={}",
            common::qs("ひまわり～ひろば")
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["total"], 1, "{found}");
}

async fn stored_keys_are_rebuilt_by_the_migration(b: Backend) {
    // A database from before the variant table holds keys with 髙, 﨑 and 〜: the migration folds them.
    let url = tsunagu_store::testing::fresh_database_url(b).await.unwrap();
    let db = tsunagu_store::Db::connect(&url, &tsunagu_store::testing::key())
        .await
        .unwrap();
    db.migrate_to(32).await.unwrap();
    query("UPDATE municipalities SET search_key = '髙﨑〜マチ' WHERE code = '12236'")
        .execute(&db)
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let (key,): (String,) = query("SELECT search_key FROM municipalities WHERE code = '12236'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(key, tsunagu_domain::kana::normalize("髙﨑〜まち"));
    assert_eq!(key, "高崎ーマチ");
    db.close().await;
}

async fn dates_out_of_range_are_refused_with_the_range(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (status, body) = coordinator
        .get("/api/v1/school-calendar?birth_date=9999-12-31")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("生年月日は1900年1月1日から"),
        "{message}"
    );
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            json!({"area_id": katori(&app).await.to_string(), "family_name": "範囲",
            "given_name": "こえ", "birth_date": "1899-12-31", "not_a_duplicate": "1"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("birth_date")),
        "{body}"
    );
    let child = new_child(
        &app,
        &coordinator,
        "範囲",
        "こえ",
        "はんい こえ",
        "2022-02-02",
    )
    .await;
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/meetings"),
            meeting("2099-06-03", nursery(&app).await),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("date")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("までの日付で入力してください"),
        "{body}"
    );
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/transitions"),
            json!({"kind": "elementary", "move_on": "3028-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = coordinator
        .get("/api/v1/calendar?from=9999-01-01&to=9999-01-02")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = coordinator
        .get("/api/v1/calendar?from=2026-01-01&to=2030-01-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The form keeps what was typed and says the range.
    let web = app.login_as("demo-coordinator").await;
    let res = web
        .post_form(
            &format!("/children/{child}/meetings"),
            &[
                ("purpose", "就学の相談"),
                ("date", "2099-06-03"),
                ("start", "10:00"),
                ("end", "11:00"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("までの日付で入力してください") && page.contains("value=\"就学の相談\""),
        "{page}"
    );
}

async fn installation_uid(app: &TestApp) -> String {
    let (uid,): (String,) = query("SELECT uid FROM installation WHERE id = 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    uid
}

fn uid_in(ics: &str) -> String {
    ics.lines()
        .find_map(|l| l.strip_prefix("UID:"))
        .unwrap_or_else(|| panic!("no UID in {ics}"))
        .trim()
        .to_owned()
}

async fn calendar_files_name_the_installation_and_cancel(b: Backend) {
    let app = TestApp::demo(b).await;
    let other = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let nursery = nursery(&app).await;
    let child = new_child(
        &app,
        &coordinator,
        "髙橋",
        "そら",
        "たかはし そら",
        "2021-08-08",
    )
    .await;

    // A purpose that names the child, in another variant or kana, is refused.
    for purpose in [
        "高橋そらさんの支援会議",
        "タカハシ ソラさんの会議",
        "髙橋 みどりさん（母）との面談",
    ] {
        let mut body = meeting("2027-02-10", nursery);
        body["purpose"] = json!(purpose);
        let (status, answer) = coordinator
            .post(&format!("/api/v1/children/{child}/meetings"), body)
            .await;
        assert_eq!(
            (status, answer["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("purpose")),
            "{purpose}: {answer}"
        );
    }
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/meetings"),
            meeting("2027-02-10", nursery),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();

    // The UID names this installation, so two installations never share one.
    let web = app.login_as("demo-coordinator").await;
    let ics = web
        .get(&format!("/meetings/{id}/calendar.ics"))
        .await
        .text()
        .await
        .unwrap();
    let uid = uid_in(&ics);
    assert_eq!(
        uid,
        format!("meeting-{id}.{}@tsunagu", installation_uid(&app).await)
    );
    assert_ne!(installation_uid(&app).await, installation_uid(&other).await);
    assert!(
        ics.contains("METHOD:PUBLISH\r\n") && ics.contains("SEQUENCE:0\r\n"),
        "{ics}"
    );

    // Cancelled: the file cancels the entry, the feed marks it, the sequence rose.
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/meetings/{id}/record"),
            json!({"status": "cancelled"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let ics = web
        .get(&format!("/meetings/{id}/calendar.ics"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        ics.contains("METHOD:CANCEL\r\n")
            && ics.contains("STATUS:CANCELLED\r\n")
            && ics.contains("SEQUENCE:1\r\n"),
        "{ics}"
    );
    let path = web.calendar_feed_path().await;
    let feed = reqwest::get(format!("{}{path}", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let entry = feed
        .split("BEGIN:VEVENT")
        .find(|e| e.contains(&uid))
        .unwrap_or_else(|| panic!("{uid} in {feed}"));
    assert!(entry.contains("STATUS:CANCELLED"), "{entry}");

    // A purpose written before the check (here, straight into the database) never leaves.
    query("UPDATE meetings SET purpose = '髙橋そらさんの支援会議', status = 'scheduled' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    let feed = reqwest::get(format!("{}{path}", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !feed.contains("そら") && feed.contains("SUMMARY:支援会議\r\n"),
        "{feed}"
    );
    let ics = web
        .get(&format!("/meetings/{id}/calendar.ics"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!ics.contains("そら"), "{ics}");
}
