//! Capacity building, councils, challenges and the evaluation through HTTP on both backends:
//! figures equal hand-counted numbers at the fiscal year's edges, the committee sees no count
//! from 1 to 4 (in the JSON, the xlsx and the CSV) and none that a total gives away, never
//! reaches a child, and the records behind the figures are kept and refused as they should be.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use common::{area_id, row, table, Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tsunagu_store::db::query;

both_backends!(
    figures_match_hand_counts_at_the_fiscal_year_edges,
    the_committee_sees_no_small_count_anywhere,
    the_committee_never_reaches_a_child,
    visits_trainings_councils_and_challenges_are_kept,
);

fn ts(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
}

async fn figures_match_hand_counts_at_the_fiscal_year_edges(b: Backend) {
    let app = TestApp::demo(b).await;
    // 柏市 has no demo records in 2025年度: what we add is all there is.
    let kashiwa = area_id(&app, "柏市").await;
    let consult = |at: &'static str, channel: &'static str, minutes: i64| {
        query("INSERT INTO consultations (area_id, at, channel, requester, concern, minutes, created_at) VALUES ($1, $2, $3, '保護者', 'テスト', $4, $2)")
            .bind(kashiwa)
            .bind(ts(at))
            .bind(channel)
            .bind(minutes)
    };
    // April 1, 00:00 in Japan opens 2025年度; March 31, 23:59:59 in Japan closes it.
    for (at, channel, minutes) in [
        ("2025-03-31T15:00:00Z", "電話", 10),
        ("2025-03-31T14:59:59Z", "電話", 100),
        ("2026-03-31T14:59:59Z", "電話", 20),
        ("2026-03-31T15:00:00Z", "電話", 200),
        ("2025-10-10T01:00:00Z", "来所", 30),
        ("2025-10-11T01:00:00Z", "来所", 30),
    ] {
        consult(at, channel, minutes)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let nursery: (i64,) = query("SELECT id FROM agencies ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    for on in ["2025-04-01", "2026-03-31", "2026-04-01", "2025-03-31"] {
        query("INSERT INTO visits (area_id, agency_id, visited_on, visitors, purpose, created_at) VALUES ($1, $2, $3, 'テスト', 'テスト', $4)")
            .bind(kashiwa)
            .bind(nursery.0)
            .bind(time::Date::parse(on, &time::format_description::well_known::Iso8601::DEFAULT).unwrap())
            .bind(ts("2026-01-01T00:00:00Z"))
            .execute(&app.db)
            .await
            .unwrap();
    }
    let coordinator = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (status, answer) = coordinator
        .get(&format!(
            "/api/v1/evaluation?fiscal_year=2025&area={kashiwa}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["suppressed"], false);
    let channels = table(&answer, "consultations_by_channel");
    let phone = row(channels, "電話");
    // Columns: 4月 … 3月, then 合計.
    assert_eq!(phone[0], 1, "April");
    assert_eq!(phone[11], 1, "March");
    assert_eq!(phone[12], 2, "total");
    let visit = row(channels, "来所");
    assert_eq!(visit[6], 2, "October");
    assert_eq!(channels["total_row"][12], 4);
    // Last year (2024年度) had the one call of March 31, 23:59:59.
    assert_eq!(channels["previous_total"], 1);
    let minutes = table(&answer, "coordinator_minutes");
    assert_eq!(row(minutes, "相談（分）")[12], 10 + 20 + 30 + 30);
    let capacity = table(&answer, "capacity");
    let visits = row(capacity, "巡回相談・施設支援（回）");
    assert_eq!(visits[0], 1);
    assert_eq!(visits[11], 1);
    assert_eq!(visits[12], 2);

    // Exact figures stop at one's own areas.
    let katori = area_id(&app, "香取海匝").await;
    let (status, _) = coordinator
        .get(&format!(
            "/api/v1/evaluation?fiscal_year=2025&area={katori}"
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = coordinator.get("/api/v1/evaluation?fiscal_year=2025").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "defaults to the coordinator's own area"
    );
    let (status, body) = coordinator.get("/api/v1/evaluation?fiscal_year=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let agency = Api::new(&app, "demo-agency").await;
    let (status, _) = agency.get("/api/v1/evaluation").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// Every count the committee is shown is 0 or at least 5, and a hidden one shows 「＊」 (that no
/// hidden cell can be worked out from the others is tests/subtraction.rs).
fn assert_safe(answer: &Value) {
    for t in answer["tables"].as_array().unwrap() {
        if t["counts"] != true {
            continue;
        }
        let mut grid: Vec<Vec<Value>> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[1].as_array().unwrap().clone())
            .collect();
        if let Some(total) = t["total_row"].as_array() {
            grid.push(total.clone());
        }
        for cell in grid.iter().flatten() {
            if let Some(n) = cell.as_i64() {
                assert!(!(1..=4).contains(&n), "{n} shown in {}", t["key"]);
            } else if !cell.is_null() {
                assert_eq!(cell, "＊");
            }
        }
    }
}

async fn the_committee_sees_no_small_count_anywhere(b: Backend) {
    let app = TestApp::demo(b).await;
    let committee = Api::new(&app, "demo-committee").await;
    let (status, answer) = committee.get("/api/v1/evaluation").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["suppressed"], true);
    assert_eq!(answer["scope"], "千葉県全体");
    assert_safe(&answer);
    // The demo has small counts, so something is hidden.
    assert!(answer.to_string().contains("＊"));
    let katori = area_id(&app, "香取海匝").await;
    let (_, area) = committee
        .get(&format!("/api/v1/evaluation?area={katori}"))
        .await;
    assert_safe(&area);
    // 香取海匝 spans two regions and is counted whole in the one of most of its municipalities;
    // the other has no area of its own.
    let regions: Vec<(i64, i64)> = query(
        "SELECT m.region_id, COUNT(*) FROM area_municipalities am JOIN municipalities m ON m.id = am.municipality_id \
         WHERE am.area_id = $1 GROUP BY m.region_id ORDER BY 2 DESC, 1",
    )
    .bind(katori)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let (status, region) = committee
        .get(&format!("/api/v1/evaluation?region={}", regions[0].0))
        .await;
    assert_eq!(status, StatusCode::OK, "{region}");
    assert_eq!(
        region["tables"], area["tables"],
        "the region is its one area"
    );
    if let Some((other, _)) = regions.get(1) {
        let (status, _) = committee
            .get(&format!("/api/v1/evaluation?region={other}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // The xlsx holds the same cells as the screen: one sheet per table.
    let res = committee
        .http
        .get(format!("{}/api/v1/evaluation", committee.base))
        .bearer_auth(&committee.token)
        .header(
            "Accept",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book = Xlsx::new(Cursor::new(bytes)).unwrap();
    let names = book.sheet_names();
    let tables = answer["tables"].as_array().unwrap();
    assert_eq!(names.len(), tables.len());
    for (name, t) in names.iter().zip(tables) {
        let range = book.worksheet_range(name).unwrap();
        let cell = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
        assert_eq!(
            cell(2, 0),
            Data::String(t["row_header"].as_str().unwrap().into())
        );
        for (i, r) in t["rows"].as_array().unwrap().iter().enumerate() {
            let at = 3 + i as u32;
            assert_eq!(cell(at, 0), Data::String(r[0].as_str().unwrap().into()));
            for (j, v) in r[1].as_array().unwrap().iter().enumerate() {
                let got = cell(at, 1 + j as u32);
                match v.as_i64() {
                    Some(n) => assert_eq!(got, Data::Float(n as f64), "{name} r{i} c{j}"),
                    None if v.is_null() => assert!(
                        matches!(got, Data::Empty) || got == Data::String(String::new()),
                        "{name} r{i} c{j}"
                    ),
                    None => assert_eq!(got, Data::String("＊".into()), "{name} r{i} c{j}"),
                }
            }
        }
    }
    // The CSV is UTF-8 with a BOM, and hides what the screen hides.
    let web = app.login_as("demo-committee").await;
    let res = web.get("/evaluation/export.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csv = res.bytes().await.unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.contains("相談件数（受付方法別）"));
    assert!(text.contains("＊"));
    let (status, html) = web.get_text("/evaluation").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg class=\"chart\""));
    assert!(html.contains("1〜4件の数を「＊」で伏せています"));
    let exports = app.audit_actions("evaluation.export").await;
    assert!(exports
        .iter()
        .any(|(login, _, _)| login.as_deref() == Some("demo-committee")));
}

async fn the_committee_never_reaches_a_child(b: Backend) {
    let app = TestApp::demo(b).await;
    let (child,): (i64,) = query("SELECT id FROM children ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let committee = Api::new(&app, "demo-committee").await;
    for path in [
        "/api/v1/children".to_string(),
        format!("/api/v1/children/{child}"),
        format!("/api/v1/children/{child}/timeline"),
        format!("/api/v1/children/{child}/transitions"),
        format!("/api/v1/children/{child}/support-file"),
        format!("/api/v1/children/{child}/consents"),
        format!("/api/v1/children/{child}/care-team"),
        "/api/v1/consultations".to_string(),
        "/api/v1/referrals".to_string(),
        "/api/v1/meetings".to_string(),
        "/api/v1/handover-sheets".to_string(),
        "/api/v1/handover-sheets/1".to_string(),
        "/api/v1/transition-calendar".to_string(),
        "/api/v1/visits".to_string(),
        "/api/v1/challenges".to_string(),
    ] {
        let (status, body) = committee.get(&path).await;
        let empty_list = body.as_array().is_some_and(|a| a.is_empty())
            || body["items"].as_array().is_some_and(|a| a.is_empty());
        assert!(
            status == StatusCode::FORBIDDEN
                || status == StatusCode::NOT_FOUND
                || (status == StatusCode::OK && empty_list),
            "{path}: {status} {body}"
        );
    }
    let web = app.login_as("demo-committee").await;
    for path in [
        format!("/children/{child}"),
        format!("/children/{child}/transitions"),
        format!("/children/{child}/support-file"),
        "/transitions".to_string(),
        "/children".to_string(),
        "/capacity".to_string(),
    ] {
        let status = web.get(&path).await.status();
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
    }
    // The challenges raised to it hold no child (tests/prefecture_loop.rs); the area's own
    // challenges are not its to read.
    let (status, html) = web.get_text("/challenges").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("提起された課題"));
    let (id,): (i64,) = query("SELECT id FROM challenges ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        web.get(&format!("/challenges/{id}")).await.status(),
        StatusCode::NOT_FOUND,
        "not raised to the prefecture"
    );
}

async fn visits_trainings_councils_and_challenges_are_kept(b: Backend) {
    let app = TestApp::demo(b).await;
    let katori = area_id(&app, "香取海匝").await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (agency,): (i64,) = query("SELECT id FROM agencies ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let today = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc()).to_string();
    let (_, before) = coordinator.get("/api/v1/evaluation").await;
    let visits_before = row(table(&before, "capacity"), "巡回相談・施設支援（回）")[12]
        .as_i64()
        .unwrap();
    let (status, body) = coordinator
        .post(
            "/api/v1/visits",
            json!({"area_id": katori.to_string(), "agency_id": agency.to_string(), "visited_on": today, "visitors": "コーディネーター", "purpose": "行動面の相談"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, after) = coordinator.get("/api/v1/evaluation").await;
    assert_eq!(
        row(table(&after, "capacity"), "巡回相談・施設支援（回）")[12],
        visits_before + 1
    );
    let (status, body) = coordinator
        .post(
            "/api/v1/trainings",
            json!({"area_id": katori.to_string(), "title": "ことばの支援", "held_on": today,
                   "participant_agency": [agency.to_string()], "participant_count": ["0"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "participants");
    let (status, body) = coordinator
        .post(
            "/api/v1/trainings",
            json!({"area_id": katori.to_string(), "title": "ことばの支援", "held_on": today,
                   "participant_agency": [agency.to_string()], "participant_count": ["12"], "others": "保護者 3"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, trainings) = coordinator.get("/api/v1/trainings").await;
    let t = trainings
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"] == "ことばの支援")
        .unwrap();
    let heads: i64 = t["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["headcount"].as_i64().unwrap())
        .sum();
    assert_eq!(heads, 15);

    // A council meeting, and a challenge raised to it and resolved there.
    let (council,): (i64,) =
        query("SELECT id FROM councils WHERE area_id = $1 ORDER BY id LIMIT 1")
            .bind(katori)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let (status, body) = coordinator
        .post(
            "/api/v1/council-meetings",
            json!({"council_id": council.to_string(), "held_on": today, "agenda": "課題の共有", "agency_ids": [agency.to_string()]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let meeting = body["id"].as_i64().unwrap();
    let challenge = json!({"area_id": katori.to_string(), "title": "相談支援事業所が足りない", "description": "計画相談の待機が長い",
        "category": "resources", "council_id": council.to_string(), "council_meeting_id": meeting.to_string()});
    // A challenge never names a child.
    let mut with_child = challenge.clone();
    with_child["child_id"] = "1".into();
    let (status, body) = coordinator.post("/api/v1/challenges", with_child).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "child_id");
    let (status, body) = coordinator
        .post("/api/v1/challenges", challenge.clone())
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let mut resolved = challenge.clone();
    resolved["status"] = "resolved".into();
    let (status, body) = coordinator
        .put(&format!("/api/v1/challenges/{id}"), resolved.clone())
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "resolved without how: {body}"
    );
    resolved["resolution"] = "近隣市の事業所と連携することにした".into();
    resolved["resolved_on"] = today.clone().into();
    let (status, body) = coordinator
        .put(&format!("/api/v1/challenges/{id}"), resolved)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, list) = coordinator.get("/api/v1/challenges?status=resolved").await;
    assert!(list.as_array().unwrap().iter().any(|c| c["id"] == id));
    let (n,): (i64,) = query("SELECT COUNT(*) FROM challenge_history WHERE challenge_id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 2, "new, then resolved");
    let web = app.login_as("demo-coordinator").await;
    let (status, agenda) = web
        .get_text(&format!("/council-meetings/{meeting}/agenda"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(agenda.contains("相談支援事業所が足りない"));
    let (_, page) = web.get_text(&format!("/challenges/{id}")).await;
    assert!(page.contains("解決") && page.contains("近隣市の事業所と連携することにした"));

    // Supervisors read, only coordinators record; other areas do not see them.
    let supervisor = Api::new(&app, "demo-supervisor").await;
    let (status, _) = supervisor
        .post("/api/v1/challenges", challenge.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, seen) = supervisor.get("/api/v1/challenges").await;
    assert!(seen.as_array().unwrap().iter().any(|c| c["id"] == id));
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (_, none) = kashiwa.get("/api/v1/challenges").await;
    assert!(!none.as_array().unwrap().iter().any(|c| c["id"] == id));
    // A form refused keeps what was typed.
    let res = web
        .post_form(
            "/challenges",
            &[
                ("area_id", &katori.to_string()),
                ("title", "送迎の不足"),
                ("description", ""),
                ("category", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("送迎の不足") && html.contains("分類を選んでください。"));
}
