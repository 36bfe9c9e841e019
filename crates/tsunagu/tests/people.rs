//! People and areas through HTTP on both backends: a child moved between areas by a transfer
//! (proposed, declined, accepted; what each side and the old area's agency see after; the
//! consents not carried), the municipality/area guard, each coordinator's caseload against a
//! hand-computed fixture, a case handed to a colleague, a deputy covering during an absence,
//! and a secondary difficulty followed on the record.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{area_id, row, table, Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use time::{Duration, OffsetDateTime};
use tsunagu_domain::{Role, UserId};
use tsunagu_store::{db::query, users, RequestMeta};

both_backends!(
    a_child_moves_between_areas_by_a_transfer,
    a_municipality_outside_the_area_asks_for_a_transfer,
    the_caseload_counts_what_each_coordinator_carries,
    a_case_is_handed_over_and_covered_during_an_absence,
    a_secondary_difficulty_is_followed_on_the_record,
);

fn today() -> time::Date {
    tsunagu_domain::japanese_date::today(OffsetDateTime::now_utc())
}

fn day(days: i64) -> String {
    (today() + Duration::days(days)).to_string()
}

async fn id_of(app: &TestApp, sql: &'static str) -> i64 {
    let (id,): (i64,) = query(sql).fetch_one(&app.db).await.unwrap();
    id
}

async fn nursery(app: &TestApp) -> i64 {
    id_of(
        app,
        "SELECT agency_id FROM users WHERE login = 'demo-agency'",
    )
    .await
}

async fn municipality(app: &TestApp, code: &str) -> i64 {
    let (id,): (i64,) = query("SELECT id FROM municipalities WHERE code = $1")
        .bind(code)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

/// A child of 香取海匝 (in 香取市) that the demo nursery sees: on its care team with a consent.
async fn shared_child(app: &TestApp, coordinator: &Api, given: &str) -> i64 {
    let katori = area_id(app, "香取海匝").await;
    let katori_city = municipality(app, "12236").await;
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            json!({"area_id": katori.to_string(), "family_name": "移管", "given_name": given, "birth_date": "2019-08-08",
                   "municipality_id": katori_city.to_string(), "not_a_duplicate": "1",
                   "accommodation_text": ["写真の手順表で身支度ができる"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let child = body["child"]["id"].as_i64().unwrap();
    let nursery = nursery(app).await;
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/care-team"),
            json!({"agency_id": nursery.to_string(), "role": "担任", "from_on": day(-30)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            json!({"basis": "consent", "guardian_name": "移管 保護者", "parts": ["profile", "accommodations", "care_team"],
                   "agency_ids": [nursery.to_string()], "valid_from": day(-30), "obtained": "written"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    child
}

async fn a_child_moves_between_areas_by_a_transfer(b: Backend) {
    let app = TestApp::demo(b).await;
    let kashiwa = area_id(&app, "柏市").await;
    let kashiwa_city = municipality(&app, "12217").await;
    let katori_city = municipality(&app, "12236").await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let receiving = Api::new(&app, "demo-coordinator-kashiwa").await;
    let supervisor = Api::new(&app, "demo-supervisor").await;
    let agency = Api::new(&app, "demo-agency").await;
    let child = shared_child(&app, &coordinator, "みらい").await;
    assert_eq!(
        agency.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::OK,
        "shared before"
    );

    // The proposal needs the receiving area's municipality, a reason and the family's agreement.
    let propose = |municipality: i64, agreed: &str| {
        json!({"to_area_id": kashiwa.to_string(), "to_municipality_id": municipality.to_string(),
               "reason": "父の転勤で柏市へ転居", "family_agreed_on": agreed, "family_agreement": "母・書面"})
    };
    let path = format!("/api/v1/children/{child}/transfers");
    let (status, body) = coordinator
        .post(&path, propose(katori_city, &day(-1)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "to_municipality_id");
    let (status, body) = coordinator.post(&path, propose(kashiwa_city, "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "family_agreed_on");
    // Nobody else proposes: the receiving area, the supervisor, the agency.
    for (who, expected) in [
        (&receiving, StatusCode::NOT_FOUND),
        (&supervisor, StatusCode::FORBIDDEN),
        (&agency, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(
            who.post(&path, propose(kashiwa_city, &day(-1))).await.0,
            expected
        );
    }
    let (status, first) = coordinator
        .post(&path, propose(kashiwa_city, &day(-1)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "proposed");
    let first = first["id"].as_i64().unwrap();
    let (status, body) = coordinator
        .post(&path, propose(kashiwa_city, &day(-1)))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "one proposal at a time: {body}"
    );

    // The receiving area sees the proposal (name, birth date, reason), not yet the record.
    let (status, list) = receiving.get("/api/v1/transfers").await;
    assert_eq!(status, StatusCode::OK);
    let waiting = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == first)
        .expect("in the receiving inbox");
    assert_eq!(waiting["child_name"], "移管 みらい");
    assert_eq!(waiting["reason"], "父の転勤で柏市へ転居");
    assert_eq!(
        receiving.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::NOT_FOUND
    );
    let web = app.login_as("demo-coordinator-kashiwa").await;
    let (_, home) = web.get_text("/").await;
    assert!(
        home.contains("移管の受け入れ待ち") && home.contains("移管 みらいさん"),
        "on the home page"
    );
    // Others are told it does not exist; the sending side may not decide it.
    assert_eq!(
        agency.get(&format!("/api/v1/transfers/{first}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        Api::new(&app, "demo-committee")
            .await
            .get(&format!("/api/v1/transfers/{first}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        coordinator
            .post(&format!("/api/v1/transfers/{first}/accept"), json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        supervisor
            .post(&format!("/api/v1/transfers/{first}/accept"), json!({}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    // Declined with a reason (none given: refused); the sending area sees why.
    let decline = format!("/api/v1/transfers/{first}/decline");
    let (status, body) = receiving.post(&decline, json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = receiving
        .post(
            &decline,
            json!({"reason": "転居先がまだ決まっていないため"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "declined");
    let (_, seen) = coordinator.get(&format!("/api/v1/transfers/{first}")).await;
    assert_eq!(seen["decision_note"], "転居先がまだ決まっていないため");
    assert_eq!(
        receiving
            .post(&format!("/api/v1/transfers/{first}/accept"), json!({}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "decided"
    );
    let (_, record) = coordinator.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(
        record["child"]["area_name"], "香取海匝",
        "declined: nothing moved"
    );

    // Proposed again and accepted: the record moves whole; the consents end.
    let (status, second) = coordinator
        .post(&path, propose(kashiwa_city, &day(0)))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let second = second["id"].as_i64().unwrap();
    let (status, body) = receiving
        .post(&format!("/api/v1/transfers/{second}/accept"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "accepted");
    let (status, record) = receiving.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the receiving area holds the record"
    );
    let c = &record["child"];
    assert_eq!(c["area_id"], kashiwa);
    assert_eq!(c["municipality_id"], kashiwa_city);
    assert_eq!(c["lead_coordinator_name"], "試験 つむぎ");
    assert_eq!(
        record["accommodations"][0]["text"],
        "写真の手順表で身支度ができる"
    );
    assert_eq!(
        record["care_team"].as_array().unwrap().len(),
        1,
        "the care team moved with it"
    );
    let consents = record["consents"].as_array().unwrap();
    assert!(!consents.is_empty());
    for consent in consents {
        assert!(
            consent["ended_by_transfer_id"].as_i64() == Some(second),
            "{consent}"
        );
        assert_eq!(consent["revoked_on"], day(0));
    }
    let (_, timeline) = receiving
        .get(&format!("/api/v1/children/{child}/timeline"))
        .await;
    let text = timeline.to_string();
    assert!(
        text.contains("柏市に移管されました") && text.contains("同意1件は移管により終了"),
        "{text}"
    );
    // The old area's agency no longer sees the child, though still on the care team.
    assert_eq!(
        agency.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::NOT_FOUND,
        "consent not carried"
    );
    // The sending area keeps the transfer as its trace, not the record.
    assert_eq!(
        coordinator
            .get(&format!("/api/v1/children/{child}"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, trace) = coordinator
        .get(&format!("/api/v1/transfers/{second}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(trace["status"], "accepted");
    assert_eq!(trace["decided_by_name"], "試験 つむぎ");
    let sending = app.login_as("demo-coordinator").await;
    let (status, page) = sending.get_text(&format!("/transfers/{second}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("記録は柏市が引き継ぎました"));
    assert!(
        !page.contains(&format!("href=\"/children/{child}\"")),
        "no link to a record it cannot open"
    );
    // The receiving page says the consents must be taken again; a 転居 transition waits.
    let (_, page) = web.get_text(&format!("/children/{child}")).await;
    assert!(
        page.contains("前の地域での同意（1件）は終了しています"),
        "{page}"
    );
    let (_, transitions) = receiving
        .get(&format!("/api/v1/children/{child}/transitions"))
        .await;
    assert!(
        transitions.to_string().contains("柏市（移管）"),
        "{transitions}"
    );

    // The demo's waiting transfer, withdrawn by the sending area, can no longer be accepted.
    let (_, list) = coordinator.get("/api/v1/transfers").await;
    let demo = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "proposed")
        .expect("the demo's waiting transfer")["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        receiving
            .post(&format!("/api/v1/transfers/{demo}/withdraw"), json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = coordinator
        .post(&format!("/api/v1/transfers/{demo}/withdraw"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "withdrawn");
    assert_eq!(
        receiving
            .post(&format!("/api/v1/transfers/{demo}/accept"), json!({}))
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    for action in [
        "child.transfer.propose",
        "child.transfer.decline",
        "child.transfer.accept",
        "child.transfer.withdraw",
        "transfer.read",
    ] {
        assert!(
            !app.audit_actions(action).await.is_empty(),
            "{action} audited"
        );
    }
}

async fn a_municipality_outside_the_area_asks_for_a_transfer(b: Backend) {
    let app = TestApp::demo(b).await;
    let katori = area_id(&app, "香取海匝").await;
    let kashiwa = area_id(&app, "柏市").await;
    let kashiwa_city = municipality(&app, "12217").await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = shared_child(&app, &coordinator, "ただし").await;
    let (_, before) = coordinator.get(&format!("/api/v1/children/{child}")).await;
    let body = |area: i64, municipality: i64| {
        json!({"area_id": area.to_string(), "family_name": "移管", "given_name": "ただし", "birth_date": "2019-08-08",
               "municipality_id": municipality.to_string()})
    };
    // A new area or a municipality outside the area: refused, with 移管 named; nothing written.
    for (sent, field) in [
        (body(kashiwa, kashiwa_city), "area_id"),
        (body(katori, kashiwa_city), "municipality_id"),
    ] {
        let (status, answer) = coordinator
            .put(&format!("/api/v1/children/{child}"), sent)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field);
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("移管"),
            "{answer}"
        );
    }
    let (_, after) = coordinator.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(
        after["child"]["municipality_id"],
        before["child"]["municipality_id"]
    );
    assert_eq!(after["child"]["area_id"], katori);
    // A new child outside the area's municipalities is refused the same way.
    let (status, answer) = coordinator
        .post("/api/v1/children", json!({"area_id": katori.to_string(), "family_name": "移管", "given_name": "べつ",
              "birth_date": "2020-01-01", "municipality_id": kashiwa_city.to_string(), "not_a_duplicate": "1"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    // The edit form offers only the area's municipalities and keeps what was typed on refusal.
    let web = app.login_as("demo-coordinator").await;
    let (_, form) = web.get_text(&format!("/children/{child}/edit")).await;
    assert!(
        form.contains("香取市") && !form.contains(">柏市<"),
        "only the area's municipalities"
    );
}

/// A coordinator made for the fixture, with an API token.
async fn coordinator_in(app: &TestApp, login: &str, name: &str, area: i64) -> (UserId, Api) {
    let mut tx = app.db.begin().await.unwrap();
    let id = users::create(
        &mut tx,
        &RequestMeta::cli(),
        None,
        users::NewUser {
            login: login.into(),
            display_name: name.into(),
            role: Role::Coordinator,
            area_ids: vec![tsunagu_domain::AreaId(area)],
            agency_id: None,
            password: "fixture-password-2026".into(),
            must_change_password: false,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (id, Api::new(app, login).await)
}

async fn the_caseload_counts_what_each_coordinator_carries(b: Backend) {
    let app = TestApp::demo(b).await;
    let admin = Api::new(&app, "demo-admin").await;
    let ichikawa = municipality(&app, "12203").await;
    // A fresh area of its own, its limit 2 children a full-time post.
    let (status, area) = admin
        .post("/api/v1/areas", json!({"name": "担当検証地域", "municipality_ids": [ichikawa], "operator_kind": "entrusted",
              "operator_name": "社会福祉法人 検証会", "eligibility_note": "全ての障害", "caseload_limit": "２"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{area}");
    assert_eq!(area["operator_kind"], "entrusted");
    assert_eq!(area["caseload_limit"], 2, "full-width digits taken");
    let area = area["id"].as_i64().unwrap();
    let (a_id, a) = coordinator_in(&app, "fixture-a", "検証 あきら", area).await;
    let (b_id, bb) = coordinator_in(&app, "fixture-b", "検証 ぶんた", area).await;
    // Staffing: A 専任, B 兼務 50% (so B's limit is 1).
    let (status, body) = admin
        .put(
            &format!("/api/v1/users/{}/staffing", b_id.0),
            json!({"placement": "concurrent", "background": "medical"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a share for 兼務: {body}"
    );
    assert_eq!(body["error"]["field"], "time_share");
    let (status, body) = admin
        .put(
            &format!("/api/v1/users/{}/staffing", b_id.0),
            json!({"placement": "concurrent", "time_share": "50", "background": "medical"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["time_share"], 50);
    assert_eq!(
        a.put(
            &format!("/api/v1/users/{}/staffing", b_id.0),
            json!({"placement": "dedicated", "background": "welfare"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    let t = today();
    let born = |days: i64| (t - Duration::days(days)).to_string();
    let mut kids = vec![];
    for (given, birth, extra) in [
        ("いち", born(400), json!({})), // 乳幼児期
        ("に", born(1640), json!({"medical_care": "吸引（日中2回）"})), // 幼児期, 医療的ケア
        ("さん", born(3290), json!({"diagnoses": "ADHD（診断済み）"})), // 小学校, 診断あり
        ("よん", born(4930), json!({})), // 中学校 → B
        ("ご", born(2000), json!({})),  // closed: not counted
    ] {
        let mut body = json!({"area_id": area.to_string(), "family_name": "担当", "given_name": given, "birth_date": birth,
                              "municipality_id": ichikawa.to_string(), "not_a_duplicate": "1"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, answer) = a.post("/api/v1/children", body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        assert_eq!(
            answer["child"]["lead_coordinator_id"], a_id.0,
            "the one who registers carries the case"
        );
        kids.push(answer["child"]["id"].as_i64().unwrap());
    }
    let (status, body) = a
        .put(&format!("/api/v1/children/{}/coordinators", kids[3]),
             json!({"lead_coordinator_id": b_id.0.to_string(), "deputy_coordinator_id": a_id.0.to_string(), "note": "中学校との調整を引き継ぐ"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a
        .post(
            &format!("/api/v1/children/{}/close", kids[4]),
            json!({"reason": "転居"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    // Activity this month: A a consultation of 30 minutes and a held meeting of 60; B a visit of 45.
    let (status, body) = a
        .post("/api/v1/consultations",
              json!({"child_id": kids[0].to_string(), "area_id": area.to_string(), "channel": "電話", "requester": "保護者",
                     "concern": "ことばの遅れ", "minutes": "30"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, meeting) = a
        .post(&format!("/api/v1/children/{}/meetings", kids[2]),
              json!({"purpose": "学校との支援会議", "confirm_closed_day": "on", "date": day(0), "start": "00:00", "end": "00:30"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let meeting = meeting["id"].as_i64().unwrap();
    let (status, body) = a
        .put(&format!("/api/v1/meetings/{meeting}/record"),
             json!({"agenda": "", "minutes": "", "decisions": "", "status": "held", "attended": [], "spent_minutes": "60"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let agency = id_of(
        &app,
        "SELECT agency_id FROM users WHERE login = 'demo-agency'",
    )
    .await;
    let (status, body) = bb
        .post("/api/v1/visits", json!({"area_id": area.to_string(), "agency_id": agency.to_string(), "visited_on": day(0),
              "visitors": "検証 ぶんた", "purpose": "巡回相談", "spent_minutes": "45"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, c) = a.get(&format!("/api/v1/areas/{area}/caseload")).await;
    assert_eq!(status, StatusCode::OK, "{c}");
    let load = |name: &str| {
        c["coordinators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["display_name"] == name)
            .unwrap()
            .clone()
    };
    let (la, lb) = (load("検証 あきら"), load("検証 ぶんた"));
    // Hand-computed: A carries いち, に, さん; B carries よん; ご is closed.
    assert_eq!(la["active"], 3);
    assert_eq!(la["by_stage"], json!([1, 1, 1, 0, 0, 0]));
    assert_eq!(
        la["by_need"],
        json!([0, 0, 0, 0, 1, 1]),
        "医療的ケア and 診断あり"
    );
    assert_eq!(la["deputy_of"], 1);
    assert_eq!(la["meetings_in_month"], 1);
    assert_eq!(la["consultation_minutes"], 30);
    assert_eq!(la["meeting_minutes"], 60);
    assert_eq!(
        (la["limit"].clone(), la["over_limit"].clone()),
        (json!(2), json!(true))
    );
    assert_eq!(lb["active"], 1);
    assert_eq!(lb["by_stage"], json!([0, 0, 0, 1, 0, 0]));
    assert_eq!(lb["visit_minutes"], 45);
    assert_eq!(
        (lb["limit"].clone(), lb["over_limit"].clone()),
        (json!(1), json!(false)),
        "兼務50%: half the limit"
    );
    assert_eq!(c["total"]["active"], 4);
    assert_eq!(c["unassigned"]["active"], 0);
    assert_eq!(
        c["total"]["consultation_minutes"].as_i64().unwrap()
            + c["total"]["visit_minutes"].as_i64().unwrap()
            + c["total"]["meeting_minutes"].as_i64().unwrap(),
        135
    );
    // The month's minutes also reach the area's evaluation, one row each.
    let (status, figures) = a.get(&format!("/api/v1/evaluation?area={area}")).await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    let minutes = table(&figures, "coordinator_minutes");
    assert_eq!(row(minutes, "相談（分）")[12], 30);
    assert_eq!(row(minutes, "巡回相談・施設支援（分）")[12], 45);
    assert_eq!(row(minutes, "支援会議（分）")[12], 60);
    assert_eq!(minutes["total_row"][12], 135);
    // Another area's coordinator, an agency, the committee: refused.
    for login in ["demo-coordinator", "demo-agency", "demo-committee"] {
        assert_eq!(
            Api::new(&app, login)
                .await
                .get(&format!("/api/v1/areas/{area}/caseload"))
                .await
                .0,
            StatusCode::FORBIDDEN,
            "{login}"
        );
    }
    // The page flags A.
    let web = app.client();
    assert_eq!(
        web.login("fixture-a", "fixture-password-2026")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (status, page) = web.get_text(&format!("/caseload?area_id={area}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("目安超え")
            && page.contains("兼務（50%）<br>医療型")
            && page.contains("2時間15分"),
        "{page}"
    );
    // The area raises its limit: A is no longer flagged; an 委託 without its corporation is refused.
    let (status, body) = admin
        .put(
            &format!("/api/v1/areas/{area}"),
            json!({"name": "担当検証地域", "municipality_ids": [ichikawa],
             "operator_kind": "entrusted", "operator_name": "", "caseload_limit": "3"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "operator_name");
    let (status, body) = admin
        .put(&format!("/api/v1/areas/{area}"), json!({"name": "担当検証地域", "municipality_ids": [ichikawa],
             "operator_kind": "entrusted", "operator_name": "社会福祉法人 検証会", "caseload_limit": "3"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["caseload_limit"], 3);
    let (_, c3) = a.get(&format!("/api/v1/areas/{area}/caseload")).await;
    let a3 = c3["coordinators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["display_name"] == "検証 あきら")
        .unwrap()
        .clone();
    assert_eq!(
        (a3["limit"].clone(), a3["over_limit"].clone()),
        (json!(3), json!(false))
    );
}

async fn a_case_is_handed_over_and_covered_during_an_absence(b: Backend) {
    let app = TestApp::demo(b).await;
    let kashiwa = area_id(&app, "柏市").await;
    let tsumugi = Api::new(&app, "demo-coordinator-kashiwa").await;
    let aoi_id = id_of(
        &app,
        "SELECT id FROM users WHERE login = 'demo-kashiwa-medical'",
    )
    .await;
    let minoru_id = id_of(
        &app,
        "SELECT id FROM users WHERE login = 'demo-kashiwa-welfare'",
    )
    .await;
    let hanako_id = id_of(
        &app,
        "SELECT id FROM users WHERE login = 'demo-coordinator'",
    )
    .await;
    // The demo: みのる is away; a follow-up of his child, with つむぎ as deputy, falls due.
    let (covered,): (i64,) = query(
        "SELECT c.id FROM children c JOIN consultations s ON s.child_id = c.id WHERE c.lead_coordinator_id = $1 AND s.follow_up_on IS NOT NULL",
    )
    .bind(minoru_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let card = "不在の担当者の代わりに";
    let (_, home) = app
        .login_as("demo-coordinator-kashiwa")
        .await
        .get_text("/")
        .await;
    assert!(
        home.contains(card) && home.contains("試験 みのるさんの担当"),
        "the deputy covers: {home}"
    );
    let (_, home) = app
        .login_as("demo-kashiwa-medical")
        .await
        .get_text("/")
        .await;
    assert!(!home.contains(card), "not the deputy, who is present");
    let (_, home) = app
        .login_as("demo-kashiwa-welfare")
        .await
        .get_text("/")
        .await;
    assert!(!home.contains(card), "the one away covers nobody");
    // Back from training: nothing to cover.
    let admin = Api::new(&app, "demo-admin").await;
    let (status, body) = admin
        .put(
            &format!("/api/v1/users/{minoru_id}/staffing"),
            json!({"placement": "concurrent", "time_share": "40", "background": "welfare"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, home) = app
        .login_as("demo-coordinator-kashiwa")
        .await
        .get_text("/")
        .await;
    assert!(!home.contains(card), "present again");
    // Away again with no deputy on the child: the area's other coordinators cover.
    query("UPDATE children SET deputy_coordinator_id = NULL WHERE id = $1")
        .bind(covered)
        .execute(&app.db)
        .await
        .unwrap();
    admin
        .put(
            &format!("/api/v1/users/{minoru_id}/staffing"),
            json!({"placement": "concurrent", "time_share": "40", "background": "welfare",
             "absent_from": day(0), "absent_to": day(2)}),
        )
        .await;
    let (_, home) = app
        .login_as("demo-kashiwa-medical")
        .await
        .get_text("/")
        .await;
    assert!(home.contains(card), "no deputy: the others cover");

    // The handover: a colleague of the area only, one step, on the timeline and in the audit log.
    let path = format!("/api/v1/children/{covered}/coordinators");
    let (status, body) = tsumugi
        .put(&path, json!({"lead_coordinator_id": hanako_id.to_string()}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another area's coordinator: {body}"
    );
    assert_eq!(body["error"]["field"], "lead_coordinator_id");
    let (status, body) = tsumugi.put(&path, json!({"lead_coordinator_id": aoi_id.to_string(), "deputy_coordinator_id": aoi_id.to_string()})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for login in ["demo-coordinator", "demo-agency", "demo-supervisor"] {
        let status = Api::new(&app, login)
            .await
            .put(&path, json!({"lead_coordinator_id": aoi_id.to_string()}))
            .await
            .0;
        assert!(
            matches!(status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{login}: {status}"
        );
    }
    let (status, body) = tsumugi
        .put(&path, json!({"lead_coordinator_id": aoi_id.to_string(), "deputy_coordinator_id": "", "note": "通院の調整が中心になるため"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["child"]["lead_coordinator_name"], "試験 あおい");
    assert!(body["child"]["deputy_coordinator_id"].is_null());
    let (_, timeline) = tsumugi
        .get(&format!("/api/v1/children/{covered}/timeline"))
        .await;
    assert!(
        timeline.to_string().contains(
            "担当を試験 あおいさんに変更しました（副担当：なし）：通院の調整が中心になるため"
        ),
        "{timeline}"
    );
    assert!(!app.audit_actions("child.assign").await.is_empty());
    // The caseload follows the case.
    let (_, c) = tsumugi
        .get(&format!("/api/v1/areas/{kashiwa}/caseload"))
        .await;
    let active = |name: &str| {
        c["coordinators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["display_name"] == name)
            .unwrap()["active"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        active("試験 つむぎ") + active("試験 あおい") + active("試験 みのる"),
        c["total"]["active"].as_i64().unwrap() - c["unassigned"]["active"].as_i64().unwrap()
    );
}

async fn a_secondary_difficulty_is_followed_on_the_record(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = shared_child(&app, &coordinator, "こころ").await;
    let clinic = id_of(&app, "SELECT a.id FROM agencies a JOIN agency_kinds k ON k.id = a.kind_id WHERE k.name = '医療機関' ORDER BY a.id LIMIT 1").await;
    let (status, member) = coordinator
        .post(
            &format!("/api/v1/children/{child}/care-team"),
            json!({"agency_id": clinic.to_string(), "role": "主治医", "from_on": day(-10)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{member}");
    let member = member["id"].as_i64().unwrap();
    let other_member = id_of(&app, "SELECT id FROM care_team_members ORDER BY id LIMIT 1").await;
    let path = format!("/api/v1/children/{child}/difficulties");
    for (body, field) in [
        (json!({"kind": "other"}), "detail"),
        (
            json!({"kind": "school_refusal", "followed_by_member_id": other_member.to_string()}),
            "followed_by_member_id",
        ),
        (
            json!({"kind": "school_refusal", "onset_on": day(5)}),
            "onset_on",
        ),
        (json!({"kind": "sadness"}), "kind"),
    ] {
        let (status, answer) = coordinator.post(&path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field);
    }
    let (status, d) = coordinator
        .post(
            &path,
            json!({"kind": "school_refusal", "onset_on": day(-60), "status": "supporting",
              "followed_by_member_id": member.to_string(), "note": "朝の登校しぶり"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    assert_eq!(d["followed_by_member_id"], member);
    assert!(d["followed_by_agency"].is_string());
    let d = d["id"].as_i64().unwrap();
    // Not in the support file until the family agrees.
    let file = format!("/api/v1/children/{child}/support-file");
    let section = "二次的な困りごと（二次障害）";
    assert!(!coordinator.get(&file).await.1.to_string().contains(section));
    let (status, body) = coordinator
        .put(&format!("{path}/{d}"), json!({"kind": "school_refusal", "onset_on": day(-60), "status": "eased",
             "followed_by_member_id": member.to_string(), "note": "朝の登校しぶり", "in_support_file": "on"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "eased");
    let printed = coordinator.get(&file).await.1.to_string();
    assert!(
        printed.contains(section) && printed.contains("改善傾向"),
        "the family agreed: {printed}"
    );
    let (_, timeline) = coordinator
        .get(&format!("/api/v1/children/{child}/timeline"))
        .await;
    assert!(
        timeline
            .to_string()
            .contains("二次障害「不登校」：対応中 → 改善傾向"),
        "{timeline}"
    );
    // The nursery sees the child but follows none of it; another area does not see the child.
    let (status, list) = Api::new(&app, "demo-agency").await.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 0);
    assert_eq!(
        Api::new(&app, "demo-coordinator-kashiwa")
            .await
            .get(&path)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        Api::new(&app, "demo-agency")
            .await
            .post(&path, json!({"kind": "anxiety"}))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Counted in the area's evaluation.
    let katori = area_id(&app, "香取海匝").await;
    let (status, figures) = coordinator
        .get(&format!("/api/v1/evaluation?area={katori}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{figures}");
    let t = table(&figures, "secondary_difficulties");
    let cells = row(t, "不登校");
    assert!(
        cells.last().unwrap().as_i64().unwrap() >= 2,
        "the demo's and this one: {cells:?}"
    );
}
