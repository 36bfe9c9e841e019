//! The consent rule where a review of the first version found it kept by habit and forgotten:
//! meeting lists and pages, invitations that counted for ever, siblings, handover sheets in an
//! agency's list, list reads without an audit entry, and validation answered before refusal.
//! Each test was written first and seen failing on the code before the request unit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};
use tsunagu_store::db::query;

both_backends!(
    an_agency_without_access_sees_a_meetings_logistics_only,
    a_meeting_follows_the_rule_after_the_agency_leaves_the_team,
    an_invitation_counts_until_30_days_after_the_meeting,
    siblings_show_only_siblings_the_caller_may_see,
    list_reads_of_personal_data_are_audited,
    an_agencys_list_has_the_children_a_handover_sheet_shares,
    refusal_comes_before_validation,
    a_page_view_opens_no_write_transaction,
);

fn today() -> time::Date {
    tsunagu_domain::japanese_date::today(OffsetDateTime::now_utc())
}

/// A date `days` from today in Japan, as the forms take it.
fn day(days: i64) -> String {
    (today() + Duration::days(days)).to_string()
}

struct Demo {
    app: TestApp,
    area: i64,
    kashiwa: i64,
    nursery: i64,
    coordinator: Api,
    agency: Api,
}

impl Demo {
    async fn new(b: Backend) -> Demo {
        let app = TestApp::demo(b).await;
        let area = Self::id(&app, "SELECT id FROM areas WHERE name = '香取海匝'").await;
        let kashiwa = Self::id(&app, "SELECT id FROM areas WHERE name = '柏市'").await;
        let nursery = Self::id(
            &app,
            "SELECT agency_id FROM users WHERE login = 'demo-agency'",
        )
        .await;
        let coordinator = Api::new(&app, "demo-coordinator").await;
        let agency = Api::new(&app, "demo-agency").await;
        Demo {
            app,
            area,
            kashiwa,
            nursery,
            coordinator,
            agency,
        }
    }

    async fn id(app: &TestApp, sql: &'static str) -> i64 {
        let (id,): (i64,) = query(sql).fetch_one(&app.db).await.unwrap();
        id
    }

    /// A new child of 香取海匝 (or of `area` through `api`).
    async fn child_in(&self, api: &Api, area: i64, family: &str, given: &str) -> i64 {
        let (status, body) = api
            .post(
                "/api/v1/children",
                json!({"area_id": area.to_string(), "family_name": family, "given_name": given,
                       "birth_date": "2021-05-05", "accommodation_text": ["配慮の目印"],
                       "not_a_duplicate": "1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["child"]["id"].as_i64().unwrap()
    }

    async fn child(&self, given: &str) -> i64 {
        self.child_in(&self.coordinator, self.area, "確認", given)
            .await
    }

    async fn consent_for_nursery(&self, child: i64) {
        let (status, body) = self
            .coordinator
            .post(
                &format!("/api/v1/children/{child}/consents"),
                json!({"basis": "consent", "guardian_name": "確認 保護者", "parts": ["profile", "accommodations", "care_team"],
                       "agency_ids": [self.nursery.to_string()], "valid_from": day(-100), "obtained": "written"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    async fn nursery_on_team(&self, child: i64) -> i64 {
        let (status, body) = self
            .coordinator
            .post(
                &format!("/api/v1/children/{child}/care-team"),
                json!({"agency_id": self.nursery.to_string(), "role": "担任", "from_on": day(-100)}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// A meeting `days` from today with the nursery and a family member invited.
    async fn meeting(&self, child: i64, days: i64) -> i64 {
        let (status, body) = self
            .coordinator
            .post(
                &format!("/api/v1/children/{child}/meetings"),
                json!({"purpose": "支援の確認", "confirm_closed_day": "on", "date": day(days), "start": "10:00", "end": "11:00", "place": "市役所 会議室",
                       "agenda": "議題の目印", "agency_ids": [self.nursery.to_string()], "others": "架空 保護者（母）"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    async fn record(&self, meeting: i64, status: &str) {
        let (s, body) = self
            .coordinator
            .put(
                &format!("/api/v1/meetings/{meeting}/record"),
                json!({"agenda": "議題の目印", "minutes": "議事録の目印", "decisions": "決定事項の目印", "status": status, "attended": []}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    }

    /// Whether the agency sees the child (the record page's API answers 200, not 404).
    async fn agency_sees(&self, child: i64) -> bool {
        let (status, _) = self.agency.get(&format!("/api/v1/children/{child}")).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::NOT_FOUND,
            "{status}"
        );
        status == StatusCode::OK
    }

    async fn agency_lists(&self, child: i64) -> bool {
        let (_, list) = self.agency.get("/api/v1/children?limit=500").await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"].as_i64() == Some(child))
    }

    /// Audit entries of `login` so far.
    async fn audit_count(&self, login: &str) -> i64 {
        let (n,): (i64,) = query("SELECT COUNT(*) FROM audit_log WHERE user_login = $1")
            .bind(login)
            .fetch_one(&self.app.db)
            .await
            .unwrap();
        n
    }

    /// The details of `login`'s entries after the first `after`.
    async fn audit_details_since(&self, login: &str, after: i64) -> Vec<(String, String)> {
        let rows: Vec<(String, Option<String>)> =
            query("SELECT action, detail FROM audit_log WHERE user_login = $1 ORDER BY id")
                .bind(login)
                .fetch_all(&self.app.db)
                .await
                .unwrap();
        rows.into_iter()
            .skip(after as usize)
            .map(|(a, d)| (a, d.unwrap_or_default()))
            .collect()
    }
}

/// Whether one of the audit entries names `child` among the children it showed
/// (`children=1,2,3`), exactly, not as part of another id.
fn names_child(entries: &[(String, String)], child: i64) -> bool {
    entries.iter().any(|(_, detail)| {
        detail
            .split_whitespace()
            .filter_map(|d| d.strip_prefix("children="))
            .flat_map(|ids| ids.split(','))
            .any(|id| id == child.to_string())
    })
}

fn has(body: &Value, needle: &str) -> bool {
    body.to_string().contains(needle)
}

async fn an_agency_without_access_sees_a_meetings_logistics_only(b: Backend) {
    let d = Demo::new(b).await;
    // The nursery is invited but holds no consent: the rule excludes it from the child.
    let child = d.child("ろじすてぃくす").await;
    let meeting = d.meeting(child, -5).await;
    d.record(meeting, "held").await;
    assert!(!d.agency_sees(child).await);

    let (status, list) = d.agency.get("/api/v1/meetings").await;
    assert_eq!(status, StatusCode::OK);
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"].as_i64() == Some(meeting))
        .expect("the invited agency's list has the meeting")
        .clone();
    assert_eq!(item["purpose"], "支援の確認", "logistics are shown");
    for secret in [
        "議題の目印",
        "議事録の目印",
        "決定事項の目印",
        "ろじすてぃくす",
    ] {
        assert!(!has(&list, secret), "the list shows {secret}: {item}");
    }
    assert!(
        item["child_id"].is_null(),
        "the child's id is not logistics: {item}"
    );

    let (status, one) = d.agency.get(&format!("/api/v1/meetings/{meeting}")).await;
    assert_eq!(status, StatusCode::OK);
    for secret in [
        "議題の目印",
        "議事録の目印",
        "決定事項の目印",
        "ろじすてぃくす",
        "架空 保護者",
    ] {
        assert!(!has(&one, secret), "the meeting shows {secret}: {one}");
    }
    assert!(has(&one, "つなぐ保育園（デモ）"), "its own invitation");
    let c = d.app.login_as("demo-agency").await;
    let (status, page) = c.get_text(&format!("/meetings/{meeting}")).await;
    assert_eq!(status, StatusCode::OK);
    for secret in [
        "議題の目印",
        "議事録の目印",
        "決定事項の目印",
        "ろじすてぃくす",
        "架空 保護者",
    ] {
        assert!(!page.contains(secret), "the meeting page shows {secret}");
    }
    assert!(page.contains("支援の確認") && page.contains("市役所 会議室"));
    // The area's coordinator sees it all.
    let (_, full) = d
        .coordinator
        .get(&format!("/api/v1/meetings/{meeting}"))
        .await;
    assert!(has(&full, "議事録の目印") && has(&full, "架空 保護者"));
}

async fn a_meeting_follows_the_rule_after_the_agency_leaves_the_team(b: Backend) {
    let d = Demo::new(b).await;
    let child = d.child("ちーむをはなれる").await;
    d.consent_for_nursery(child).await;
    let member = d.nursery_on_team(child).await;
    let meeting = d.meeting(child, -40).await;
    d.record(meeting, "held").await;
    assert!(d.agency_sees(child).await, "on the team, with consent");
    let (_, one) = d.agency.get(&format!("/api/v1/meetings/{meeting}")).await;
    assert!(
        has(&one, "議事録の目印"),
        "the record while it sees the child"
    );

    let (status, _) = d
        .coordinator
        .post(
            &format!("/api/v1/children/{child}/care-team/{member}/end"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !d.agency_sees(child).await,
        "left the team, invitation long past"
    );
    let (status, one) = d.agency.get(&format!("/api/v1/meetings/{meeting}")).await;
    assert_eq!(status, StatusCode::OK, "still its own invitation");
    for secret in [
        "議事録の目印",
        "決定事項の目印",
        "ちーむをはなれる",
        "架空 保護者",
    ] {
        assert!(!has(&one, secret), "after leaving: {secret} in {one}");
    }
    assert!(one["child_name"].is_null());
}

async fn an_invitation_counts_until_30_days_after_the_meeting(b: Backend) {
    let d = Demo::new(b).await;
    // Consent names the nursery, which is on no team: only the invitation can involve it.
    let mut cases = vec![];
    for (given, days, status, want) in [
        ("よていのまま", -40, "scheduled", false),
        ("ひらかれた", -10, "held", true),
        ("これから", 10, "scheduled", true),
        ("ちゅうし", 10, "cancelled", true),
        ("とおいむかし", -31, "held", false),
        ("ちょうど", -30, "held", true),
    ] {
        let child = d.child(given).await;
        d.consent_for_nursery(child).await;
        let meeting = d.meeting(child, days).await;
        if status != "scheduled" {
            d.record(meeting, status).await;
        }
        cases.push((given, child, want));
    }
    for (given, child, want) in cases {
        assert_eq!(d.agency_sees(child).await, want, "{given}");
        assert_eq!(d.agency_lists(child).await, want, "{given} in the list");
    }
}

async fn siblings_show_only_siblings_the_caller_may_see(b: Backend) {
    let d = Demo::new(b).await;
    let kashiwa = Api::new(&d.app, "demo-coordinator-kashiwa").await;
    let here = d.child("こちら").await;
    let near = d.child("ちかく").await;
    let far = d.child_in(&kashiwa, d.kashiwa, "遠方", "かしわ").await;
    // Linked when one coordinator served both areas; the link outlives that.
    for (a, b) in [(here, far), (far, here), (here, near), (near, here)] {
        query("INSERT INTO child_siblings (child_id, sibling_id) VALUES ($1, $2)")
            .bind(a)
            .bind(b)
            .execute(&d.app.db)
            .await
            .unwrap();
    }
    let c = d.app.login_as("demo-coordinator").await;
    let (_, page) = c.get_text(&format!("/children/{here}")).await;
    assert!(page.contains("確認 ちかく"), "a sibling the caller may see");
    assert!(!page.contains("遠方 かしわ"), "a sibling of another area");
    let k = d.app.login_as("demo-coordinator-kashiwa").await;
    let (_, page) = k.get_text(&format!("/children/{far}")).await;
    assert!(!page.contains("確認 こちら"));
}

async fn list_reads_of_personal_data_are_audited(b: Backend) {
    let d = Demo::new(b).await;
    let child = d.child("りすと").await;
    let meeting = d.meeting(child, 3).await;
    let (status, _) = d
        .coordinator
        .post(
            &format!("/api/v1/meetings/{meeting}/action-items"),
            json!({"title": "受診の予約", "owner_agency_id": d.nursery.to_string(), "due_on": day(5)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    d.consent_for_nursery(child).await;
    let (status, body) = d
        .coordinator
        .post(
            &format!("/api/v1/children/{child}/referrals"),
            json!({"agency_id": d.nursery.to_string(), "reason": "園での様子の共有", "parts": ["profile"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = d
        .coordinator
        .post(
            "/api/v1/visits",
            json!({"area_id": d.area.to_string(), "agency_id": d.nursery.to_string(), "visited_on": day(-1),
                   "visitors": "コーディネーター", "purpose": "巡回相談", "child_ids": [child.to_string()]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let form = reqwest::multipart::Form::new()
        .text("title", "受診メモ")
        .part(
            "file",
            reqwest::multipart::Part::bytes(common::small_pdf("access"))
                .file_name("memo.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/children/{child}/attachments",
            d.app.base
        ))
        .bearer_auth(&d.coordinator.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());

    for path in [
        "/api/v1/meetings".to_owned(),
        "/api/v1/action-items".to_owned(),
        "/api/v1/referrals".to_owned(),
        "/api/v1/visits".to_owned(),
        format!("/api/v1/children/{child}/attachments"),
    ] {
        let before = d.audit_count("demo-coordinator").await;
        let (status, body) = d.coordinator.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(has(&body, "\"id\""), "{path} lists something: {body}");
        let entries = d.audit_details_since("demo-coordinator", before).await;
        assert!(
            names_child(&entries, child),
            "{path}: one entry names the children shown: {entries:?}"
        );
    }
}

async fn an_agencys_list_has_the_children_a_handover_sheet_shares(b: Backend) {
    let d = Demo::new(b).await;
    let school = Api::new(&d.app, "demo-school").await;
    let (child,): (i64,) =
        query("SELECT id FROM children WHERE family_name = '見本' AND given_name = 'はると'")
            .fetch_one(&d.app.db)
            .await
            .unwrap();
    let (school_id,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-school'")
        .fetch_one(&d.app.db)
        .await
        .unwrap();
    let (status, body) = d
        .coordinator
        .post(
            &format!("/api/v1/children/{child}/handover-sheets"),
            json!({"agency_id": school_id.to_string(), "transition_id": ""}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sheet = body["id"].as_i64().unwrap();
    let (status, body) = d
        .coordinator
        .post(
            &format!("/api/v1/handover-sheets/{sheet}/send"),
            json!({"guardian_checked_on": "2026-12-01", "empty_confirmed": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (status, _) = school.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(status, StatusCode::OK, "the sheet shares the child");
    let (_, list) = school.get("/api/v1/children").await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"].as_i64() == Some(child)),
        "and the school's list says so: {list}"
    );
    let c = d.app.login_as("demo-school").await;
    let (_, page) = c.get_text("/children").await;
    assert!(page.contains("見本 はると"));
    // The sheets list is a read of the child too.
    let before = d.audit_count("demo-school").await;
    let (status, sheets) = school.get("/api/v1/handover-sheets").await;
    assert_eq!(status, StatusCode::OK);
    assert!(has(&sheets, "見本"));
    let entries = d.audit_details_since("demo-school", before).await;
    assert!(names_child(&entries, child), "{entries:?}");
}

async fn refusal_comes_before_validation(b: Backend) {
    let d = Demo::new(b).await;
    let supervisor = Api::new(&d.app, "demo-supervisor").await;
    let child = d.child("けんさ").await;
    d.consent_for_nursery(child).await;
    d.nursery_on_team(child).await;
    let bad = json!({"area_id": d.area.to_string(), "family_name": "", "given_name": "", "birth_date": "not a date"});
    let (status, body) = supervisor
        .put(&format!("/api/v1/children/{child}"), bad.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "supervisor: {body}");
    let (status, body) = d
        .agency
        .put(&format!("/api/v1/children/{child}"), bad.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "agency that sees it: {body}");
    let other = d.child("みえない").await;
    let (status, _) = d
        .agency
        .put(&format!("/api/v1/children/{other}"), bad.clone())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "agency that does not");
    let (status, body) = d
        .coordinator
        .put(&format!("/api/v1/children/{child}"), bad)
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the coordinator is told what to fix: {body}"
    );
}

const WRITES: &str = "tsunagu_request_write_transactions_total";

async fn a_page_view_opens_no_write_transaction(b: Backend) {
    let d = Demo::new(b).await;
    let child = d.child("よむだけ").await;
    d.consent_for_nursery(child).await;
    d.nursery_on_team(child).await;
    let (status, body) = d
        .coordinator
        .post(
            &format!("/api/v1/children/{child}/notes"),
            json!({"body": "来週の予定です"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let written = d.app.metric(WRITES).await;
    assert!(written > 0.0, "the changes above each began one");

    // The nursery reads the record, the notes and its inbox: reads leave an audit entry and
    // 既読, written by the audit log's appender, not by a transaction of the request's own.
    let browser = d.app.login_as("demo-agency").await;
    let after_login = d.app.metric(WRITES).await;
    for path in [format!("/children/{child}"), "/".into()] {
        let (status, _) = browser.get_text(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let (status, _) = d
        .agency
        .get(&format!("/api/v1/children/{child}/notes"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(d.app.metric(WRITES).await, after_login);
    let (reads,): (i64,) = query(
        "SELECT COUNT(*) FROM care_note_reads r JOIN care_notes n ON n.id = r.note_id WHERE n.child_id = $1",
    )
    .bind(child)
    .fetch_one(&d.app.db)
    .await
    .unwrap();
    assert_eq!(reads, 1, "the nursery's 既読 is recorded all the same");
    assert!(!d.app.audit_actions("child.read").await.is_empty());
}
