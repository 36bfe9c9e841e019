//! Life stages and transitions through HTTP on both backends: the 就学早見表 and its API, a
//! transition's checklist placed on working days, the transition calendar, the handover sheet
//! from draft to feedback (with every refusal: an agency without consent, another agency, a sent
//! sheet edited), the support file, and the PDFs' text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tsunagu_store::db::query;

both_backends!(
    the_school_calendar_answers_a_cohort,
    a_transition_gets_its_checklist_on_working_days,
    the_calendar_shows_planned_and_foreseen_moves,
    a_handover_sheet_goes_from_draft_to_feedback,
    a_handover_needs_consent_and_stops_with_it,
    the_support_file_prints_from_the_record,
    forms_keep_what_was_typed,
);

fn today() -> time::Date {
    tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc())
}

async fn katori(app: &TestApp) -> i64 {
    let (area,): (i64,) = query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    area
}

async fn new_child(app: &TestApp, coordinator: &Api, given: &str, birth: &str) -> i64 {
    let area = katori(app).await;
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            json!({"area_id": area.to_string(), "family_name": "移行", "given_name": given, "birth_date": birth, "not_a_duplicate": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["child"]["id"].as_i64().unwrap()
}

/// The demo's 年長 child with its planned 就学 transition, and the school it moves to.
async fn haruto(app: &TestApp) -> (i64, i64, i64) {
    let (child, transition, school): (i64, i64, i64) = query(
        "SELECT c.id, t.id, t.to_agency_id FROM children c JOIN transitions t ON t.child_id = c.id WHERE c.given_name = 'はると'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    (child, transition, school)
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("tsunagu-pdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.pdf", rand_name()));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/test");
    String::from_utf8(out.stdout).unwrap()
}

fn rand_name() -> String {
    format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

async fn get_pdf(api: &Api, path: &str) -> (StatusCode, Vec<u8>) {
    let res = api
        .http
        .get(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .header("Accept", "application/pdf")
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.bytes().await.unwrap().to_vec())
}

async fn the_school_calendar_answers_a_cohort(b: Backend) {
    let app = TestApp::demo(b).await;
    let agency = Api::new(&app, "demo-agency").await;
    // April 1 joins the earlier cohort, April 2 the next one.
    let (status, first) = agency
        .get("/api/v1/school-calendar?birth_date=2020-04-01")
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["elementary_school_entry"]["date"], "2026-04-01");
    assert_eq!(
        first["elementary_school_entry"]["label"],
        "2026年4月1日（令和8年）"
    );
    assert_eq!(first["hayaumare"], true);
    let (_, second) = agency
        .get("/api/v1/school-calendar?birth_date=2020-04-02")
        .await;
    assert_eq!(second["elementary_school_entry"]["date"], "2027-04-01");
    assert_eq!(second["junior_high_school_entry"]["date"], "2033-04-01");
    assert_eq!(second["high_school_entry"]["date"], "2036-04-01");
    assert_eq!(second["high_school_graduation"]["date"], "2039-03-31");
    let classes: Vec<&str> = second["preschool_years"]
        .as_array()
        .unwrap()
        .iter()
        .map(|y| y["class"].as_str().unwrap())
        .collect();
    assert_eq!(classes.first(), Some(&"0歳児クラス"));
    assert_eq!(classes.last(), Some(&"年長（5歳児クラス）"));
    assert_eq!(
        second["preschool_years"][5]["fiscal_year_label"],
        "2026年度（令和8年度）"
    );

    let (status, body) = agency
        .get("/api/v1/school-calendar?birth_date=2020%2F13%2F40")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["code"], "validation_failed");

    let web = app.login_as("demo-agency").await;
    let (status, html) = web.get_text("/school-calendar?birth_date=2020-03-10").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("2020年3月10日生まれ（早生まれ）の学年"),
        "{html}"
    );
    assert!(html.contains("2026年4月1日（令和8年）"));
}

async fn a_transition_gets_its_checklist_on_working_days(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "つぎ", "2020-06-15").await;
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/transitions"),
            json!({"kind": "elementary", "move_on": "2027-04-01", "to_name": "香取市立第一小学校"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let t = body["id"].as_i64().unwrap();
    let (status, view) = coordinator.get(&format!("/api/v1/transitions/{t}")).await;
    assert_eq!(status, StatusCode::OK, "{view}");
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
    // 2027-01-31 is a Sunday: the 就学通知 falls on Friday the 29th. 2026-11-30 is a Monday.
    assert_eq!(due("就学通知"), "2027-01-29");
    assert_eq!(due("就学時健康診断"), "2026-11-30");
    assert_eq!(due("就学相談"), "2026-08-31");
    assert_eq!(due("入学後のフォローアップ"), "2027-05-31");
    assert_eq!(view["items"].as_array().unwrap().len(), 7);

    // A deadline a few days off reaches the coordinator's home page; done, it leaves.
    let soon = (today() + time::Duration::days(3)).to_string();
    let (status, added) = coordinator
        .post(
            &format!("/api/v1/transitions/{t}/items"),
            json!({"title": "就学相談の記録を保護者に渡す", "owner": "コーディネーター", "due_on": soon}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let item = added["id"].as_i64().unwrap();
    let web = app.login_as("demo-coordinator").await;
    let (_, home) = web.get_text("/").await;
    assert!(home.contains("就学相談の記録を保護者に渡す"), "{home}");
    let (status, _) = coordinator
        .post(&format!("/api/v1/transition-items/{item}/done"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, home) = web.get_text("/").await;
    assert!(!home.contains("就学相談の記録を保護者に渡す"));
    let (_, view) = coordinator.get(&format!("/api/v1/transitions/{t}")).await;
    let done = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item)
        .unwrap();
    assert_eq!(done["done_on"], today().to_string());

    // A deadline moved, and the owner named: the item keeps the change.
    let notice = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with("就学通知"))
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/transition-items/{notice}"),
            json!({"title": "就学通知の受領", "owner": "保護者（母）", "due_on": "2027-01-22"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, view) = coordinator.get(&format!("/api/v1/transitions/{t}")).await;
    let moved = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == notice)
        .unwrap();
    assert_eq!(moved["due_on"], "2027-01-22");
    assert_eq!(moved["owner"], "保護者（母）");

    // A 就学猶予 in the 年長 year moves school entry a year on.
    let fy = tsunagu_domain::school_year::fiscal_year(today());
    let res = web
        .post_form(
            &format!("/children/{child}/holds"),
            &[("fiscal_year", &fy.to_string()), ("kind", "deferment")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = web
        .get_text(&format!("/children/{child}/transitions"))
        .await;
    assert!(page.contains("就学猶予"));

    // Agencies never see the area's transitions; the refusal is audited.
    let agency = Api::new(&app, "demo-agency").await;
    let (status, _) = agency.get(&format!("/api/v1/transitions/{t}")).await;
    assert!(
        status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
        "{status}"
    );
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/transitions/{t}/status"),
            json!({"status": "moved"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let denied = app.audit_actions("transition.read").await;
    assert!(denied
        .iter()
        .any(|(login, outcome, _)| login.as_deref() == Some("demo-agency") && outcome == "denied"));
    // Another area's coordinator cannot plan one.
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (status, _) = kashiwa
        .post(
            &format!("/api/v1/children/{child}/transitions"),
            json!({"kind": "elementary", "move_on": "2027-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_calendar_shows_planned_and_foreseen_moves(b: Backend) {
    let app = TestApp::demo(b).await;
    let area = katori(&app).await;
    let (child, transition, _) = haruto(&app).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (status, cal) = coordinator
        .get(&format!("/api/v1/transition-calendar?area={area}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{cal}");
    let items = cal["items"].as_array().unwrap();
    let planned = items.iter().find(|e| e["child_id"] == child).unwrap();
    assert_eq!(planned["transition_id"], transition);
    assert_eq!(planned["destination"], "うみかぜ小学校（デモ）");
    assert_eq!(planned["handover"], "none");
    assert!(planned["items_done"].as_u64().unwrap() <= planned["items_total"].as_u64().unwrap());
    // Each child once, every move within the twelve months.
    let mut ids: Vec<i64> = items
        .iter()
        .map(|e| e["child_id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before);
    let last = (today() + time::Duration::days(366)).to_string();
    assert!(items
        .iter()
        .all(|e| e["move_on"].as_str().unwrap() < last.as_str()));

    let web = app.login_as("demo-supervisor").await;
    let (status, html) = web.get_text("/transitions").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("見本 はると"));
    let (status, print) = web.get_text("/transitions/print").await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("移行カレンダー（香取海匝）"));
    let res = web
        .get(&format!("/transitions/calendar.pdf?area={area}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let text = pdf_text(&res.bytes().await.unwrap());
    assert!(text.contains("見本 はると"), "{text}");

    let agency = Api::new(&app, "demo-agency").await;
    let (status, _) = agency.get("/api/v1/transition-calendar").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (status, _) = kashiwa
        .get(&format!("/api/v1/transition-calendar?area={area}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn a_handover_sheet_goes_from_draft_to_feedback(b: Backend) {
    let app = TestApp::demo(b).await;
    let (child, transition, school) = haruto(&app).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let teacher = Api::new(&app, "demo-school").await;
    let nursery = Api::new(&app, "demo-agency").await;
    // Before anything is sent, the school does not know the child.
    let (status, _) = teacher.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/handover-sheets"),
            json!({"agency_id": school.to_string(), "transition_id": transition.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sheet = body["id"].as_i64().unwrap();
    let (_, draft) = coordinator
        .get(&format!("/api/v1/handover-sheets/{sheet}"))
        .await;
    assert_eq!(draft["status"], "draft");
    let sections = draft["sections"].as_array().unwrap();
    // The draft comes from the record: the accommodations that work, the care team's contacts.
    assert!(sections[11]
        .as_str()
        .unwrap()
        .contains("イヤーマフを使うと集会に参加できる"));
    assert!(sections[0].as_str().unwrap().contains("見本 はると"));
    assert!(sections[15]
        .as_str()
        .unwrap()
        .contains("つなぐ保育園（デモ）"));
    // A draft is not the school's to see.
    let (status, _) = teacher
        .get(&format!("/api/v1/handover-sheets/{sheet}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut edited: serde_json::Map<String, Value> = serde_json::Map::new();
    for (i, (code, _)) in tsunagu_store::handovers::SECTIONS.iter().enumerate() {
        edited.insert((*code).into(), sections[i].clone());
    }
    edited.insert(
        "communication".into(),
        "短い言葉と身振りで伝える。「いや」は言える。".into(),
    );
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/handover-sheets/{sheet}"),
            json!({ "sections": edited }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/send"),
            json!({"guardian_checked_on": "2026-12-01", "empty_confirmed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Sent is sent: no more edits, no second send.
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/handover-sheets/{sheet}"),
            json!({ "sections": {"communication": "書き換え"} }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/send"),
            json!({"guardian_checked_on": "2026-12-01", "empty_confirmed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // What went is recorded as disclosed to the school.
    let disclosed: Vec<(String,)> =
        query("SELECT part FROM disclosures WHERE child_id = $1 AND agency_id = $2 ORDER BY part")
            .bind(child)
            .bind(school)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let parts: Vec<&str> = disclosed.iter().map(|(p,)| p.as_str()).collect();
    assert_eq!(parts, ["accommodations", "care_team", "profile"]);

    // The school finds it in its inbox and reads it, as JSON and as a Japanese PDF.
    let (_, inbox) = teacher.get("/api/v1/handover-sheets").await;
    assert_eq!(inbox[0]["id"], sheet);
    let (status, sent) = teacher
        .get(&format!("/api/v1/handover-sheets/{sheet}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        sent["sections"][8],
        "短い言葉と身振りで伝える。「いや」は言える。"
    );
    let (status, pdf) = get_pdf(&teacher, &format!("/api/v1/handover-sheets/{sheet}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    assert!(text.contains("見本 はると"), "{text}");
    assert!(
        text.contains("イヤーマフを使うと集会に参加できる"),
        "{text}"
    );
    assert!(text.contains("引継ぎシート"));
    // The nursery is not the receiving agency: the sheet is not there for it.
    let (status, _) = nursery
        .get(&format!("/api/v1/handover-sheets/{sheet}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Only the school acknowledges, and feedback waits for it.
    let (status, _) = teacher
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/feedback"),
            json!({"settled": "落ち着いて登校している"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = teacher
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, acked) = coordinator
        .get(&format!("/api/v1/handover-sheets/{sheet}"))
        .await;
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(acked["acknowledged_by_name"], "仮名 まなぶ");

    let (status, body) = teacher
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/feedback"),
            json!({"settled": "", "needs": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "settled", "{body}");
    let (status, _) = teacher
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/feedback"),
            json!({"settled": "絵カードで朝の支度ができ、落ち着いて登校している。", "needs": "給食の時間の過ごし方"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The feedback lands on the child's timeline; the sheet leaves the school's inbox.
    let (_, timeline) = coordinator
        .get(&format!("/api/v1/children/{child}/timeline"))
        .await;
    let text = timeline.to_string();
    assert!(
        text.contains("移行後のフィードバック：絵カードで朝の支度ができ"),
        "{text}"
    );
    let (_, inbox) = teacher.get("/api/v1/handover-sheets").await;
    assert_eq!(inbox.as_array().unwrap().len(), 0);
    let acks = app.audit_actions("handover.acknowledge").await;
    assert_eq!(acks[0].0.as_deref(), Some("demo-school"));
}

async fn a_handover_needs_consent_and_stops_with_it(b: Backend) {
    let app = TestApp::demo(b).await;
    let (child, transition, school) = haruto(&app).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    // An agency no consent names: the draft can be written, never sent.
    let (other,): (i64,) = query(
        "SELECT a.id FROM agencies a JOIN agency_kinds k ON k.id = a.kind_id WHERE k.name = '放課後等デイサービス' ORDER BY a.id LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (_, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/handover-sheets"),
            json!({"agency_id": other.to_string()}),
        )
        .await;
    let unconsented = body["id"].as_i64().unwrap();
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/handover-sheets/{unconsented}/send"),
            json!({"guardian_checked_on": "2026-12-01", "empty_confirmed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "agency_id", "{body}");
    let (_, still) = coordinator
        .get(&format!("/api/v1/handover-sheets/{unconsented}"))
        .await;
    assert_eq!(still["status"], "draft");
    let (n,): (i64,) =
        query("SELECT COUNT(*) FROM disclosures WHERE child_id = $1 AND agency_id = $2")
            .bind(child)
            .bind(other)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(n, 0);

    // Sent to the school, then the family withdraws its consent: the school loses the sheet.
    let (_, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/handover-sheets"),
            json!({"agency_id": school.to_string(), "transition_id": transition.to_string()}),
        )
        .await;
    let sheet = body["id"].as_i64().unwrap();
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/send"),
            json!({"guardian_checked_on": "2026-12-01", "empty_confirmed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let teacher = Api::new(&app, "demo-school").await;
    let (status, _) = teacher
        .get(&format!("/api/v1/handover-sheets/{sheet}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    // An open handover lets the receiving school see the child's shared parts.
    let (status, _) = teacher.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(status, StatusCode::OK);
    query("UPDATE consents SET revoked_on = $1 WHERE child_id = $2")
        .bind(today())
        .bind(child)
        .execute(&app.db)
        .await
        .unwrap();
    let (status, _) = teacher
        .get(&format!("/api/v1/handover-sheets/{sheet}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = teacher
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/acknowledge"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, inbox) = teacher.get("/api/v1/handover-sheets").await;
    assert_eq!(inbox.as_array().unwrap().len(), 0);
    let refused = app.audit_actions("handover.read").await;
    assert!(refused
        .iter()
        .any(|(login, outcome, _)| login.as_deref() == Some("demo-school") && outcome == "denied"));
}

async fn the_support_file_prints_from_the_record(b: Backend) {
    let app = TestApp::demo(b).await;
    let (child, _, _) = haruto(&app).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/children/{child}/support-file"),
            json!({"aids": "イヤーマフ", "behaviours": "予定が急に変わると座り込む", "what_helps": "次にすることを絵で見せて、少し待つ"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, file) = coordinator
        .get(&format!("/api/v1/children/{child}/support-file"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(file["family"]["aids"], "イヤーマフ");
    let doc = file["document"].to_string();
    assert!(doc.contains("支援機関マップ"));
    assert!(doc.contains("つなぐ保育園（デモ）"));
    let (status, pdf) = get_pdf(
        &coordinator,
        &format!("/api/v1/children/{child}/support-file"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(text.contains("サポートファイル"));
    assert!(text.contains("見本 はると"), "{text}");
    assert!(text.contains("一日の流れを絵カードで示すと"), "{text}");
    assert!(
        text.contains("次にすることを絵で見せて、少し待つ"),
        "{text}"
    );
    let web = app.login_as("demo-coordinator").await;
    let (status, print) = web
        .get_text(&format!("/children/{child}/support-file/print"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("好きなこと・得意なこと"));
    // The family's file is the area's record: an agency that sees the child still may not.
    let nursery = Api::new(&app, "demo-agency").await;
    let (status, _) = nursery.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = nursery
        .get(&format!("/api/v1/children/{child}/support-file"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let reads = app.audit_actions("support_file.read").await;
    assert!(reads
        .iter()
        .any(|(login, outcome, _)| login.as_deref() == Some("demo-agency") && outcome == "denied"));
}

async fn forms_keep_what_was_typed(b: Backend) {
    let app = TestApp::demo(b).await;
    let (child, _, _) = haruto(&app).await;
    let web = app.login_as("demo-coordinator").await;
    let res = web
        .post_form(
            &format!("/children/{child}/transitions"),
            &[
                ("kind", "change_of_school"),
                ("move_on", "来年の春"),
                ("to_name", "つなぐ第二保育園"),
                ("note", "引越しにともなう転園"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("移行日は 2026-04-01 の形で入力してください。"),
        "{html}"
    );
    assert!(html.contains("つなぐ第二保育園"));
    assert!(html.contains("引越しにともなう転園"));
    let (n,): (i64,) = query("SELECT COUNT(*) FROM transitions WHERE child_id = $1")
        .bind(child)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);

    // A draft too long to keep is refused with the text still in the form.
    let (_, _, school) = haruto(&app).await;
    let res = web
        .post_form(
            &format!("/children/{child}/handovers"),
            &[("agency_id", &school.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let sheet_page = common::location(&res);
    let path = sheet_page.split('?').next().unwrap().to_owned();
    let long = "あ".repeat(tsunagu_domain::validation::MAX_TEXT + 1);
    let res = web
        .post_form(
            &path,
            &[
                ("communication", "短い言葉で伝える"),
                ("difficulties", &long),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("短い言葉で伝える"));
    assert!(html.contains("文字以内で入力してください"));
}
