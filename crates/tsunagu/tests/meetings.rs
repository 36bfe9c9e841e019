//! Support meetings through HTTP on both backends: scheduling, what an invited agency sees, the
//! record and attendance, action items and their surfacing, the .ics file and printed minutes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tsunagu_store::db::query;

both_backends!(
    a_meeting_is_scheduled_held_and_recorded,
    an_invited_agency_sees_logistics_and_the_record_only_with_consent,
    overdue_action_items_surface_for_owner_and_coordinator,
    a_secret_calendar_feed_lists_the_users_meetings,
    the_api_records_a_meeting_and_its_action_items,
    the_agency_inbox_gathers_referrals_invitations_and_unread_notes,
);

async fn api(
    app: &TestApp,
    login: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let token = app.token_for(login).await;
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn ids(app: &TestApp) -> (i64, i64) {
    let (area,): (i64,) = query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (nursery,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    (area, nursery)
}

async fn new_child(app: &TestApp, name: &str) -> i64 {
    let (area, _) = ids(app).await;
    let (status, body) = api(
        app,
        "demo-coordinator",
        reqwest::Method::POST,
        "/api/v1/children",
        Some(json!({"area_id": area.to_string(), "family_name": "会議", "given_name": name, "birth_date": "2021-03-03", "internal_notes": "内部メモ", "not_a_duplicate": "1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["child"]["id"].as_i64().unwrap()
}

async fn schedule(app: &TestApp, child: i64, nursery: i64, date: &str) -> i64 {
    let (status, body) = api(
        app,
        "demo-coordinator",
        reqwest::Method::POST,
        &format!("/api/v1/children/{child}/meetings"),
        Some(json!({"purpose": "就学に向けた情報共有", "date": date, "start": "10:00", "end": "11:30", "place": "香取市役所 会議室",
                    "agenda": "園での様子", "agency_ids": [nursery.to_string()], "others": "会議 保護者（母）"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

/// The family's consent shares the child with the nursery: an agency sees the tasks it owns
/// only while the consent rule lets it see their child.
async fn consent_for(app: &TestApp, child: i64, agency: i64) {
    let (status, body) = api(
        app,
        "demo-coordinator",
        reqwest::Method::POST,
        &format!("/api/v1/children/{child}/consents"),
        Some(
            json!({"basis": "consent", "guardian_name": "会議 保護者", "parts": ["profile"],
                    "agency_ids": [agency.to_string()], "obtained": "written"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn a_meeting_is_scheduled_held_and_recorded(b: Backend) {
    let app = TestApp::demo(b).await;
    let (_, nursery) = ids(&app).await;
    let child = new_child(&app, "きろく").await;
    // Bad input is named.
    let (status, body) = api(
        &app,
        "demo-coordinator",
        reqwest::Method::POST,
        &format!("/api/v1/children/{child}/meetings"),
        Some(json!({"purpose": "x", "date": "2027-02-10", "start": "11:00", "end": "10:00"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("end"))
    );
    let meeting = schedule(&app, child, nursery, "2027-02-10").await;
    let c = app.login_as("demo-coordinator").await;
    let (_, page) = c.get_text(&format!("/meetings/{meeting}")).await;
    assert!(
        page.contains("就学に向けた情報共有")
            && page.contains("会議 保護者（母）")
            && page.contains("つなぐ保育園（デモ）")
    );
    // The .ics is valid iCalendar in Japan time, without the child's name.
    let res = c.get(&format!("/meetings/{meeting}/calendar.ics")).await;
    assert_eq!(
        res.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = res.text().await.unwrap();
    let unfolded = icalendar::parser::unfold(&ics);
    let cal = icalendar::parser::read_calendar(&unfolded).expect("valid iCalendar");
    let event = cal.components.iter().find(|c| c.name == "VEVENT").unwrap();
    let prop = |n: &str| {
        event
            .properties
            .iter()
            .find(|p| p.name == n)
            .map(|p| p.val.to_string())
            .unwrap_or_default()
    };
    assert_eq!(prop("DTSTART"), "20270210T100000");
    assert_eq!(prop("DTEND"), "20270210T113000");
    assert!(
        !ics.contains("きろく"),
        "no child's name in a calendar file"
    );
    // Held: minutes, decisions and attendance.
    let participants: Vec<(i64, String)> =
        query("SELECT id, name FROM meeting_participants WHERE meeting_id = $1 ORDER BY id")
            .bind(meeting)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let present = participants
        .iter()
        .find(|(_, n)| n == "つなぐ保育園（デモ）")
        .unwrap()
        .0
        .to_string();
    // Not before it has begun: the form comes back with the reason beside 状態.
    let res = c
        .post_form(
            &format!("/meetings/{meeting}"),
            &[
                ("status", "held"),
                ("minutes", "園では集団活動に参加できている"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("まだ始まっていない会議は「開催済み」にできません"));
    assert!(
        page.contains("園では集団活動に参加できている"),
        "the minutes typed are kept"
    );
    held_already(&app, meeting).await;
    let res = c
        .post_form(
            &format!("/meetings/{meeting}"),
            &[
                ("status", "held"),
                ("minutes", "園では集団活動に参加できている"),
                ("decisions", "就学相談を申し込む"),
                ("attended", &present),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let attendance: Vec<(String, Option<bool>)> =
        query("SELECT name, attended FROM meeting_participants WHERE meeting_id = $1 ORDER BY id")
            .bind(meeting)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        attendance,
        vec![
            ("つなぐ保育園（デモ）".to_owned(), Some(true)),
            ("会議 保護者".to_owned(), Some(false))
        ]
    );
    let (_, print) = c.get_text(&format!("/meetings/{meeting}/print")).await;
    assert!(
        print.contains("支援会議 記録")
            && print.contains("園では集団活動に参加できている")
            && print.contains("（出席）")
    );
    let (_, timeline) = api(
        &app,
        "demo-coordinator",
        reqwest::Method::GET,
        &format!("/api/v1/children/{child}/timeline?kind=meeting"),
        None,
    )
    .await;
    let steps: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.starts_with("支援会議を開催しました"))
            && steps
                .iter()
                .any(|s| s.starts_with("支援会議を予定しました"))
    );
    // Another area's coordinator cannot see it.
    let kashiwa = app.login_as("demo-coordinator-kashiwa").await;
    assert_eq!(
        kashiwa.get(&format!("/meetings/{meeting}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        kashiwa
            .post_form(&format!("/meetings/{meeting}"), &[("status", "cancelled")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn an_invited_agency_sees_logistics_and_the_record_only_with_consent(b: Backend) {
    let app = TestApp::demo(b).await;
    let (_, nursery) = ids(&app).await;
    let child = new_child(&app, "あんない").await;
    let meeting = schedule(&app, child, nursery, "2027-03-01").await;
    // No consent: the time and place, not the child.
    let (status, body) = api(
        &app,
        "demo-agency",
        reqwest::Method::GET,
        &format!("/api/v1/meetings/{meeting}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["child_name"], Value::Null);
    assert_eq!(body["meeting"]["agenda"], Value::Null);
    assert_eq!(body["meeting"]["place"], "香取市役所 会議室");
    assert_eq!(
        api(
            &app,
            "demo-agency",
            reqwest::Method::GET,
            &format!("/api/v1/children/{child}"),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let agency = app.login_as("demo-agency").await;
    let (_, inbox) = agency.get_text("/inbox").await;
    assert!(
        inbox.contains("支援会議：就学に向けた情報共有"),
        "the invitation is in the inbox"
    );
    // With consent, the invitation is the agency's involvement: it sees the child and the record.
    let (status, _) = api(
        &app,
        "demo-coordinator",
        reqwest::Method::POST,
        &format!("/api/v1/children/{child}/consents"),
        Some(json!({"basis": "consent", "guardian_name": "会議 保護者", "parts": ["profile"], "agency_ids": [nursery.to_string()], "valid_from": "2026-01-01", "obtained": "written"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = api(
        &app,
        "demo-agency",
        reqwest::Method::GET,
        &format!("/api/v1/meetings/{meeting}"),
        None,
    )
    .await;
    assert_eq!(body["child_name"], "会議 あんない");
    assert_eq!(
        api(
            &app,
            "demo-agency",
            reqwest::Method::GET,
            &format!("/api/v1/children/{child}"),
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    // An agency not invited cannot open the meeting at all.
    let (other,): (i64,) = query("SELECT id FROM agencies WHERE id <> $1 ORDER BY id LIMIT 1")
        .bind(nursery)
        .fetch_one(&app.db)
        .await
        .unwrap();
    query("UPDATE users SET agency_id = $1 WHERE login = 'demo-agency'")
        .bind(other)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        api(
            &app,
            "demo-agency",
            reqwest::Method::GET,
            &format!("/api/v1/meetings/{meeting}"),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

async fn overdue_action_items_surface_for_owner_and_coordinator(b: Backend) {
    let app = TestApp::demo(b).await;
    let (_, nursery) = ids(&app).await;
    let child = new_child(&app, "やくわり").await;
    consent_for(&app, child, nursery).await;
    // Held three days ago: the invitation still involves the nursery with the child.
    let held_on = (tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc())
        - time::Duration::days(3))
    .to_string();
    let meeting = schedule(&app, child, nursery, &held_on).await;
    let c = app.login_as("demo-coordinator").await;
    let yesterday = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc())
        .previous_day()
        .unwrap()
        .to_string();
    let res = c
        .post_form(
            &format!("/meetings/{meeting}/items"),
            &[
                ("title", "園での配慮を文書にまとめる"),
                ("owner_agency_id", &nursery.to_string()),
                ("owner_name", "仮名 さくら"),
                ("due_on", &yesterday),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, home) = c.get_text("/").await;
    assert!(
        home.contains("【期限切れ】") && home.contains("園での配慮を文書にまとめる"),
        "on the coordinator's home page"
    );
    let agency = app.login_as("demo-agency").await;
    let (_, home) = agency.get_text("/").await;
    assert!(
        home.contains("園での配慮を文書にまとめる"),
        "and on the owner's"
    );
    let (item,): (i64,) = query("SELECT id FROM action_items WHERE meeting_id = $1")
        .bind(meeting)
        .fetch_one(&app.db)
        .await
        .unwrap();
    // The owner marks it done; a supervisor may not.
    let sup = app.login_as("demo-supervisor").await;
    assert_eq!(
        sup.post_form(&format!("/action-items/{item}/done"), &[("back", "/")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        agency
            .post_form(&format!("/action-items/{item}/done"), &[("back", "/")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (_, home) = c.get_text("/").await;
    assert!(
        !home.contains("園での配慮を文書にまとめる"),
        "done items leave the home page"
    );
}

async fn a_secret_calendar_feed_lists_the_users_meetings(b: Backend) {
    let app = TestApp::demo(b).await;
    let (_, nursery) = ids(&app).await;
    let child = new_child(&app, "こうどく").await;
    schedule(&app, child, nursery, "2027-01-15").await;
    let agency = app.login_as("demo-agency").await;
    let path = agency.calendar_feed_path().await;
    // No login: the URL is the key.
    let feed = reqwest::get(format!("{}{path}", app.base)).await.unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    let text = feed.text().await.unwrap();
    let unfolded = icalendar::parser::unfold(&text);
    let cal = icalendar::parser::read_calendar(&unfolded).expect("valid iCalendar");
    assert_eq!(
        cal.components.iter().filter(|c| c.name == "VEVENT").count(),
        1,
        "the nursery's invitation"
    );
    assert!(!text.contains("こうどく"));
    // A new URL replaces the old one.
    agency.post_form("/account/calendar", &[]).await;
    assert_eq!(
        reqwest::get(format!("{}{path}", app.base))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        reqwest::get(format!("{}/calendar/made-up", app.base))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn the_api_records_a_meeting_and_its_action_items(b: Backend) {
    let app = TestApp::demo(b).await;
    let (_, nursery) = ids(&app).await;
    let child = new_child(&app, "えーぴーあい").await;
    consent_for(&app, child, nursery).await;
    let meeting = schedule(&app, child, nursery, "2027-03-03").await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (participant,): (i64,) = query(
        "SELECT id FROM meeting_participants WHERE meeting_id = $1 AND agency_id IS NOT NULL",
    )
    .bind(meeting)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let record = json!({"status": "held", "minutes": "園での様子を共有した", "decisions": "就学相談を申し込む",
                        "attended": [participant.to_string()]});
    // Only the area's coordinator records it.
    let supervisor = Api::new(&app, "demo-supervisor").await;
    assert_eq!(
        supervisor
            .put(
                &format!("/api/v1/meetings/{meeting}/record"),
                record.clone()
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/meetings/{meeting}/record"),
            json!({"status": "finished"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("status"))
    );
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/meetings/{meeting}/record"),
            record.clone(),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("status")),
        "not held before it begins"
    );
    held_already(&app, meeting).await;
    let (status, _) = coordinator
        .put(&format!("/api/v1/meetings/{meeting}/record"), record)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, m) = coordinator
        .get(&format!("/api/v1/meetings/{meeting}"))
        .await;
    assert_eq!(m["meeting"]["status"], "held");
    assert_eq!(m["meeting"]["minutes"], "園での様子を共有した");
    assert!(m["participants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == participant && p["attended"] == true));

    // Action items: added by the coordinator, listed for the coordinator and the owning agency.
    let items = format!("/api/v1/meetings/{meeting}/action-items");
    let (status, body) = coordinator
        .post(&items, json!({"title": "", "due_on": "明日"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "title");
    let (status, body) = coordinator
        .post(&items, json!({"title": "配慮事項をまとめる", "owner_agency_id": "999999", "due_on": "2027-03-20"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "owner_agency_id");
    let (status, body) = coordinator
        .post(&items, json!({"title": "配慮事項をまとめる", "owner_agency_id": nursery.to_string(), "owner_name": "仮名 さくら", "due_on": "2027-03-20"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let item = body["id"].as_i64().unwrap();
    let (status, body) = coordinator
        .post(
            &items,
            json!({"title": "家庭での様子を記録する", "owner_name": "保護者"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        supervisor.post(&items, json!({"title": "x"})).await.0,
        StatusCode::FORBIDDEN
    );
    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = coordinator.get("/api/v1/action-items").await;
    assert_eq!(
        titles(&all),
        vec!["配慮事項をまとめる", "家庭での様子を記録する"],
        "dated first, undated after"
    );
    let (_, due) = coordinator
        .get("/api/v1/action-items?due_by=2027-03-19")
        .await;
    assert!(titles(&due).is_empty());
    let (status, _) = coordinator.get("/api/v1/action-items?due_by=3月").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let agency = Api::new(&app, "demo-agency").await;
    let (_, mine) = agency.get("/api/v1/action-items").await;
    assert_eq!(
        titles(&mine),
        vec!["配慮事項をまとめる"],
        "only the agency's own"
    );
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    assert!(titles(&kashiwa.get("/api/v1/action-items").await.1).is_empty());
    // The owner marks it done; another area's coordinator cannot; a made-up state is not found.
    assert_eq!(
        kashiwa
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/action-items/{item}/done"),
                None
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        agency
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/action-items/{item}/finished"),
                None
            )
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        agency
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/action-items/{item}/done"),
                None
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert!(titles(&agency.get("/api/v1/action-items").await.1).is_empty());
    // On the page, a refused form comes back with what was typed and the message beside it.
    let c = app.login_as("demo-coordinator").await;
    let res = c
        .post_form(
            &format!("/meetings/{meeting}/items"),
            &[
                ("title", ""),
                ("owner_name", "園長 仮名"),
                ("due_on", "来週"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("決定事項・役割分担を入力してください。"));
    assert!(html.contains("value=\"園長 仮名\"") && html.contains("value=\"来週\""));
    let res = c
        .post_form(
            &format!("/meetings/{meeting}"),
            &[("status", "postponed"), ("minutes", "書きかけの議事録")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("会議の状態を選んでください。") && html.contains("書きかけの議事録"));
    let (_, page) = c.get_text(&format!("/meetings/{meeting}")).await;
    assert!(
        page.contains("つなぐ保育園（デモ）・仮名 さくら"),
        "the owner agency and person"
    );
    let (_, doc) = coordinator.get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/meetings/{id}/record",
        "/api/v1/meetings/{id}/action-items",
        "/api/v1/action-items",
        "/api/v1/action-items/{id}/{state}",
        "/api/v1/children/{id}/plans",
        "/api/v1/children/{id}/plans/{plan}/review",
        "/api/v1/areas/{id}/network",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} in the OpenAPI document"
        );
    }
}

async fn the_agency_inbox_gathers_referrals_invitations_and_unread_notes(b: Backend) {
    let app = TestApp::demo(b).await;
    let (_, nursery) = ids(&app).await;
    let child = new_child(&app, "うけつけ").await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            json!({"basis": "consent", "guardian_name": "会議 保護者", "parts": ["profile"], "agency_ids": [nursery.to_string()], "valid_from": "2026-01-01", "obtained": "written"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/care-team"),
            json!({"agency_id": nursery.to_string(), "role": "担任", "from_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let tomorrow = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc())
        .next_day()
        .unwrap()
        .to_string();
    let meeting = schedule(&app, child, nursery, &tomorrow).await;
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/notes"),
            json!({"body": "明日の会議の資料を共有します。"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let agency = app.login_as("demo-agency").await;
    let (_, home) = agency.get_text("/").await;
    assert!(home.contains("受信箱"));
    assert!(
        home.contains("会議の案内：") && home.contains(&format!("href=\"/meetings/{meeting}\""))
    );
    assert!(home.contains("未読の連絡：会議 うけつけさん（1件）"));
    // Reading the notes on the child's page records 既読; the line leaves the inbox.
    let (status, _) = agency.get_text(&format!("/children/{child}")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, home) = agency.get_text("/").await;
    assert!(!home.contains("未読の連絡：会議 うけつけさん"));
    // The coordinator's home shows the meeting for this week too.
    let c = app.login_as("demo-coordinator").await;
    let (_, home) = c.get_text("/").await;
    assert!(
        home.contains("今日と今週の支援会議")
            && home.contains(&format!("href=\"/meetings/{meeting}\""))
    );
}

/// The meeting's day came: it began two hours ago.
async fn held_already(app: &TestApp, meeting: i64) {
    let now = time::OffsetDateTime::now_utc();
    query("UPDATE meetings SET starts_at = $1, ends_at = $2 WHERE id = $3")
        .bind(now - time::Duration::hours(2))
        .bind(now - time::Duration::hours(1))
        .bind(meeting)
        .execute(&app.db)
        .await
        .unwrap();
}
