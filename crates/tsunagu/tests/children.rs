//! The child record and PRODUCT.md's consent rule, through HTTP on both backends: who sees which
//! child (a refusal to see is a 404 like a child that does not exist; a refused action on a
//! visible child is a 403; both audited), disclosure records, revocation, closure, duplicates,
//! intake and linking.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{location, Api, Backend, Client, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tsunagu_store::db::query;

both_backends!(
    the_access_rule_over_consent_states_and_team_membership,
    area_staff_and_other_roles,
    a_disclosure_is_recorded_once_per_part_and_every_view_is_audited,
    revoking_a_consent_stops_access_at_once,
    a_coordinator_of_another_area_cannot_read_search_or_guess,
    a_closed_record_refuses_edits_until_reopened,
    the_duplicate_guard_matches_any_kana_with_the_birth_date,
    an_anonymous_consultation_is_linked_to_a_child_later,
    bad_input_is_named_and_nothing_is_written,
    the_agency_sees_exactly_its_consented_demo_children,
    attachments_are_checked_by_content_and_served_only_through_the_rule,
    name_search_follows_the_index_and_its_updates,
    a_merge_keeps_both_histories_and_is_decided_by_a_person,
    consultation_categories_are_master_data_the_admin_edits,
    consultation_documents_follow_the_link_and_consents_keep_their_form,
);

async fn area_id(app: &TestApp, name: &str) -> i64 {
    let (id,): (i64,) = query("SELECT id FROM areas WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

async fn nursery(app: &TestApp) -> i64 {
    let (id,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

fn child_body(area: i64, family: &str, given: &str, kana: (&str, &str), birth: &str) -> Value {
    json!({"area_id": area.to_string(), "family_name": family, "given_name": given, "family_kana": kana.0, "given_kana": kana.1,
           "birth_date": birth, "internal_notes": "内部メモ：家族関係に配慮", "address": "香取市テスト1-1",
           "accommodation_text": ["絵カードで予定を伝える"], "accommodation_found_by": ["担任"], "accommodation_found_on": [""],
           "not_a_duplicate": "1"})
}

/// A child of 香取海匝 created by its coordinator; answers its id.
async fn new_child(app: &TestApp, coordinator: &Api, given: &str) -> i64 {
    let area = area_id(app, "香取海匝").await;
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            child_body(area, "検証", given, ("けんしょう", "てすと"), "2021-06-15"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["child"]["id"].as_i64().unwrap()
}

async fn put_on_team(app: &TestApp, child: i64, agency: i64) {
    let c = app.login_as("demo-coordinator").await;
    let res = c
        .post_form(
            &format!("/children/{child}/team"),
            &[
                ("agency_id", &agency.to_string()),
                ("role", "担任"),
                ("from_on", "2026-04-01"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

fn consent_body(agency: i64, from: &str, to: &str, legal: bool) -> Value {
    json!({"basis": if legal { "legal" } else { "consent" }, "guardian_name": "検証 保護者", "parts": ["profile", "accommodations"],
           "agency_ids": [agency.to_string()], "valid_from": from, "valid_to": to, "obtained": "written"})
}

async fn revoke(app: &TestApp, child: i64, consent: i64) {
    let c = app.login_as("demo-coordinator").await;
    let res = c
        .post_form(&format!("/children/{child}/consents/{consent}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn the_access_rule_over_consent_states_and_team_membership(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let agency = Api::new(&app, "demo-agency").await;
    let nursery = nursery(&app).await;
    let today = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc());
    let yesterday = today.previous_day().unwrap().to_string();
    let next_year = today.replace_year(today.year() + 1).unwrap().to_string();
    for state in ["none", "active", "expired", "revoked", "legal"] {
        for on_team in [true, false] {
            let child = new_child(&app, &coordinator, &format!("{state}{on_team}")).await;
            if on_team {
                put_on_team(&app, child, nursery).await;
            }
            let consent = match state {
                "active" => Some(consent_body(nursery, "2026-01-01", &next_year, false)),
                "expired" => Some(consent_body(nursery, "2025-01-01", &yesterday, false)),
                "revoked" => Some(consent_body(nursery, "2026-01-01", &next_year, false)),
                "legal" => Some(consent_body(nursery, "2026-01-01", "", true)),
                _ => None,
            };
            if let Some(body) = consent {
                let (status, created) = coordinator
                    .post(&format!("/api/v1/children/{child}/consents"), body)
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{created}");
                if state == "revoked" {
                    revoke(&app, child, created["id"].as_i64().unwrap()).await;
                }
            }
            let visible = on_team && (state == "active" || state == "legal");
            let (status, body) = agency.get(&format!("/api/v1/children/{child}")).await;
            let want = if visible {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, want, "state {state}, on team {on_team}: {body}");
            if visible {
                assert_eq!(
                    body["child"]["internal_notes"],
                    Value::Null,
                    "never the coordinator's notes"
                );
                assert_eq!(body["accommodations"][0]["text"], "絵カードで予定を伝える");
                assert_eq!(
                    body["consents"],
                    json!([]),
                    "consents are the area's own business"
                );
                let basis = body["basis"].as_str().unwrap();
                assert!(
                    basis.starts_with(if state == "legal" {
                        "legal:"
                    } else {
                        "consent:"
                    }),
                    "{basis}"
                );
                // Seeing is not changing.
                let (status, _) = agency
                    .send(
                        reqwest::Method::PUT,
                        &format!("/api/v1/children/{child}"),
                        child_body(1, "改", "ざん", ("", ""), "2021-06-15"),
                    )
                    .await;
                assert_eq!(status, StatusCode::FORBIDDEN);
                let (status, _) = agency
                    .get(&format!("/api/v1/children/{child}/timeline"))
                    .await;
                assert_eq!(status, StatusCode::FORBIDDEN);
            } else {
                assert_eq!(
                    body["error"]["code"], "not_found",
                    "exactly like a child that does not exist"
                );
            }
        }
    }
    let (status, missing) = agency.get("/api/v1/children/987654").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(missing["error"]["code"], "not_found");
    // Every refusal is in the audit log.
    let (denied,): (i64,) = query("SELECT COUNT(*) FROM audit_log WHERE action = 'child.read' AND outcome = 'denied' AND user_login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        denied,
        8 + 1,
        "eight refused children and the one that does not exist"
    );
    let (refused_writes,): (i64,) = query("SELECT COUNT(*) FROM audit_log WHERE action IN ('child.update', 'child.timeline') AND outcome = 'denied'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(refused_writes, 4);
}

async fn area_staff_and_other_roles(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "ろーる").await;
    let supervisor = Api::new(&app, "demo-supervisor").await;
    let (status, body) = supervisor.get(&format!("/api/v1/children/{child}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["child"]["internal_notes"], "内部メモ：家族関係に配慮",
        "the area's staff see everything"
    );
    let (status, _) = supervisor
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/children/{child}"),
            child_body(1, "改", "ざん", ("", ""), "2021-06-15"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "supervisors read");
    for login in ["demo-committee", "demo-admin", "demo-coordinator-kashiwa"] {
        let api = Api::new(&app, login).await;
        let (status, _) = api.get(&format!("/api/v1/children/{child}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{login}");
        let (_, list) = api.get("/api/v1/children?q=%E6%A4%9C%E8%A8%BC").await;
        assert_eq!(list["total"], 0, "{login} finds nothing");
    }
    let committee = app.login_as("demo-committee").await;
    assert_eq!(
        committee.get("/children").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        committee.get(&format!("/children/{child}")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        committee.get("/consultations").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        committee.get("/consultations/new").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn a_disclosure_is_recorded_once_per_part_and_every_view_is_audited(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let nursery = nursery(&app).await;
    let child = new_child(&app, &coordinator, "かいじ").await;
    put_on_team(&app, child, nursery).await;
    coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            consent_body(nursery, "2026-01-01", "", false),
        )
        .await;
    let agency = Api::new(&app, "demo-agency").await;
    for _ in 0..3 {
        assert_eq!(
            agency.get(&format!("/api/v1/children/{child}")).await.0,
            StatusCode::OK
        );
    }
    let rows: Vec<(String, String, Option<i64>)> = query("SELECT part, basis, consent_id FROM disclosures WHERE child_id = $1 AND agency_id = $2 ORDER BY part")
        .bind(child)
        .bind(nursery)
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        vec!["accommodations", "profile"],
        "once per part"
    );
    assert!(rows
        .iter()
        .all(|r| r.1.starts_with("consent:") && r.2.is_some()));
    let (reads,): (i64,) = query("SELECT COUNT(*) FROM audit_log WHERE action = 'child.read' AND outcome = 'success' AND user_login = 'demo-agency' AND object_id = $1")
        .bind(child.to_string())
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(reads, 3, "every view is audited");
    // The coordinator's page shows the disclosure record.
    let c = app.login_as("demo-coordinator").await;
    let (_, page) = c.get_text(&format!("/children/{child}")).await;
    assert!(
        page.contains("第三者提供記録")
            && page.contains("つなぐ保育園（デモ）")
            && page.contains("仮名 さくら"),
        "the agency's reader, by name"
    );
}

async fn revoking_a_consent_stops_access_at_once(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let nursery = nursery(&app).await;
    let child = new_child(&app, &coordinator, "てっかい").await;
    put_on_team(&app, child, nursery).await;
    let (_, consent) = coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            consent_body(nursery, "2026-01-01", "", false),
        )
        .await;
    let agency = app.login_as("demo-agency").await;
    assert_eq!(
        agency.get(&format!("/children/{child}")).await.status(),
        StatusCode::OK
    );
    let (_, mine) = agency.get_text("/children").await;
    assert!(mine.contains("検証 てっかい"));
    let c = app.login_as("demo-coordinator").await;
    let (_, confirm) = c
        .get_text(&format!(
            "/children/{child}/consents/{}/revoke",
            consent["id"]
        ))
        .await;
    assert!(confirm.contains("この同意を撤回しますか？"));
    revoke(&app, child, consent["id"].as_i64().unwrap()).await;
    let (status, page) = agency.get_text(&format!("/children/{child}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("見つかりません"));
    let (_, mine) = agency.get_text("/children").await;
    assert!(
        !mine.contains("検証 てっかい"),
        "gone from the agency's list too"
    );
    assert_eq!(app.audit_actions("consent.revoke").await.len(), 1);
}

async fn a_coordinator_of_another_area_cannot_read_search_or_guess(b: Backend) {
    let app = TestApp::demo(b).await;
    let kashiwa = app.login_as("demo-coordinator-kashiwa").await;
    let ids: Vec<i64> = query(
        "SELECT id FROM children WHERE area_id = (SELECT id FROM areas WHERE name = '香取海匝')",
    )
    .fetch_all::<(i64,)>(&app.db)
    .await
    .unwrap()
    .into_iter()
    .map(|(id,)| id)
    .collect();
    assert!(!ids.is_empty());
    for id in ids.iter().take(5) {
        let (status, _) = kashiwa.get_text(&format!("/children/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(
            kashiwa
                .get(&format!("/children/{id}/timeline"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            kashiwa.get(&format!("/children/{id}/edit")).await.status(),
            StatusCode::NOT_FOUND
        );
        let res = kashiwa
            .post_form(
                &format!("/children/{id}/close"),
                &[("closed_on", "2026-11-01"), ("reason", "乗っ取り")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let (_, list) = kashiwa.get_text("/children?q=%E8%A6%8B%E6%9C%AC").await;
    assert!(
        !list.contains("香取海匝"),
        "searching finds only Kashiwa's children"
    );
    // The coordinator of 香取海匝 sees them all.
    let katori = app.login_as("demo-coordinator").await;
    assert_eq!(
        katori.get(&format!("/children/{}", ids[0])).await.status(),
        StatusCode::OK
    );
}

async fn a_closed_record_refuses_edits_until_reopened(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "しゅうけつ").await;
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/close"),
            json!({"closed_on": "2026-11-01", "reason": "転居"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let area = area_id(&app, "香取海匝").await;
    let (status, body) = coordinator
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/children/{child}"),
            child_body(area, "検証", "しゅうけつ改", ("", ""), "2021-06-15"),
        )
        .await;
    // Not a fault of the body: the record's state forbids any change (409).
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let c = app.login_as("demo-coordinator").await;
    let (_, page) = c.get_text(&format!("/children/{child}")).await;
    assert!(page.contains("このケースは終結しています") && !page.contains("記録を編集"));
    assert_eq!(
        coordinator
            .post(&format!("/api/v1/children/{child}/reopen"), json!({}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, _) = coordinator
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/children/{child}"),
            child_body(area, "検証", "しゅうけつ改", ("", ""), "2021-06-15"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, timeline) = coordinator
        .get(&format!("/api/v1/children/{child}/timeline?kind=status"))
        .await;
    let summaries: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        vec!["再開しました", "終結しました（転居）"],
        "newest first"
    );
    assert_eq!(app.audit_actions("child.reopen").await.len(), 1);
}

async fn the_duplicate_guard_matches_any_kana_with_the_birth_date(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let area = area_id(&app, "香取海匝").await;
    let mut first = child_body(area, "佐藤", "太郎", ("さとう", "たろう"), "2020-05-05");
    first["not_a_duplicate"] = "".into();
    assert_eq!(
        coordinator.post("/api/v1/children", first).await.0,
        StatusCode::CREATED
    );
    let second = json!({"area_id": area.to_string(), "family_name": "佐藤", "given_name": "太郎", "family_kana": "ｻﾄｳ", "given_kana": "ﾀﾛｳ", "birth_date": "2020-05-05"});
    let (status, body) = coordinator.post("/api/v1/children", second.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // A different birth date is a different child.
    let mut other_day = second.clone();
    other_day["birth_date"] = "2020-05-06".into();
    assert_eq!(
        coordinator.post("/api/v1/children", other_day).await.0,
        StatusCode::CREATED
    );
    // The screen warns and offers the existing record, keeping what was typed.
    let c = app.login_as("demo-coordinator").await;
    let fields = [
        ("area_id", area.to_string()),
        ("family_name", "さとう".into()),
        ("given_name", "たろう".into()),
        ("birth_date", "2020-05-05".into()),
    ];
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = c.post_form("/children", &refs).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("同じ名前（読み）と生年月日の子どもがすでに登録されています。"));
    assert!(html.contains("別の子どもとして登録する") && html.contains("value=\"さとう\""));
    let mut confirmed = refs.clone();
    confirmed.push(("not_a_duplicate", "1"));
    assert_eq!(
        c.post_form("/children", &confirmed).await.status(),
        StatusCode::SEE_OTHER,
        "the user decides; nothing is merged"
    );
}

async fn an_anonymous_consultation_is_linked_to_a_child_later(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (status, created) = coordinator
        .post("/api/v1/consultations", json!({"at": "2026-01-10T10:00", "channel": "電話", "requester": "保護者", "concern": "名前は言えないが、子どものことばが心配", "category_ids": ["2"], "minutes": "15"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["child_id"], Value::Null);
    assert_eq!(created["categories"], json!(["ことば"]));
    let (_, unlinked) = coordinator.get("/api/v1/consultations?unlinked=1").await;
    assert!(unlinked["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == created["id"]));
    let child = new_child(&app, &coordinator, "あとから").await;
    let c = app.login_as("demo-coordinator").await;
    // Search-as-you-type offers the child.
    let (_, suggestions) = c
        .get_text("/children/suggest?child_q=%E3%81%82%E3%81%A8%E3%81%8B%E3%82%89")
        .await;
    assert!(suggestions.contains(&format!("value=\"{child}\"")));
    let res = c
        .post_form(
            &format!("/consultations/{}/link", created["id"]),
            &[("child_id", &child.to_string())],
        )
        .await;
    assert_eq!(location(&res), format!("/children/{child}?notice=linked"));
    let (_, timeline) = coordinator
        .get(&format!(
            "/api/v1/children/{child}/timeline?kind=consultation"
        ))
        .await;
    assert_eq!(timeline["total"], 1);
    assert!(timeline["items"][0]["summary"]
        .as_str()
        .unwrap()
        .contains("名前は言えないが"));
    assert_eq!(
        timeline["items"][0]["at"], "2026-01-10T01:00:00Z",
        "placed when the call came (10:00 in Japan), not when it was linked"
    );
    // Linking twice is refused.
    let res = c
        .post_form(
            &format!("/consultations/{}/link", created["id"]),
            &[("child_id", &child.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The Kashiwa coordinator cannot read it.
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (status, _) = kashiwa.get("/api/v1/consultations").await;
    assert_eq!(status, StatusCode::OK);
    let kashiwa_page = app.login_as("demo-coordinator-kashiwa").await;
    assert_eq!(
        kashiwa_page
            .get(&format!("/consultations/{}", created["id"]))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn bad_input_is_named_and_nothing_is_written(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let area = area_id(&app, "香取海匝").await;
    let (before,): (i64,) = query("SELECT COUNT(*) FROM children")
        .fetch_one(&app.db)
        .await
        .unwrap();
    for (birth, field) in [
        ("2024-02-30", "birth_date"),
        ("2999-01-01", "birth_date"),
        ("", "birth_date"),
    ] {
        let (status, body) = coordinator
            .post(
                "/api/v1/children",
                child_body(area, "不正", "日付", ("", ""), birth),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{birth}");
        assert_eq!(body["error"]["field"], field);
    }
    let mut huge = child_body(area, "大量", "文字", ("", ""), "2020-01-01");
    huge["development_notes"] = "あ".repeat(30_000).into();
    assert_eq!(
        coordinator.post("/api/v1/children", huge).await.1["error"]["field"],
        "development_notes"
    );
    let mut grade = child_body(area, "等級", "ちがい", ("", ""), "2020-01-01");
    grade["certificate_kind"] = json!(["ryoiku"]);
    grade["certificate_grade"] = json!(["3級"]);
    assert_eq!(
        coordinator.post("/api/v1/children", grade).await.1["error"]["field"],
        "certificate_grade"
    );
    let (after,): (i64,) = query("SELECT COUNT(*) FROM children")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(after, before, "no partial write");
    // Odd Unicode is kept; markup is shown escaped.
    let body = child_body(
        area,
        "<script>alert(1)</script>",
        "e\u{301}😀\u{200b}",
        ("", ""),
        "2020-01-01",
    );
    let (status, created) = coordinator.post("/api/v1/children", body).await;
    assert_eq!(status, StatusCode::CREATED);
    let c = app.login_as("demo-coordinator").await;
    let (_, page) = c
        .get_text(&format!("/children/{}", created["child"]["id"]))
        .await;
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "shown escaped"
    );
    assert!(!page.contains("<script>alert(1)"), "never as markup");
    assert!(page.contains("😀"));
    // The form keeps everything typed on an error.
    let res = c
        .post_form(
            "/children",
            &[
                ("area_id", &area.to_string()),
                ("family_name", "入力"),
                ("given_name", "保持"),
                ("birth_date", "2024-02-30"),
                ("guardian_name", "保持 母"),
                ("accommodation_text", "静かな部屋で話す"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("生年月日は 2026-04-01 の形で入力してください。"));
    assert!(html.contains("value=\"保持 母\"") && html.contains("value=\"静かな部屋で話す\""));
}

async fn the_agency_sees_exactly_its_consented_demo_children(b: Backend) {
    let app = TestApp::demo(b).await;
    let nursery = nursery(&app).await;
    // Expected from the data itself: on the team now, with an in-force grant naming the nursery.
    let today = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc());
    let expected: Vec<(i64,)> = query(
        "SELECT DISTINCT c.id FROM children c JOIN care_team_members t ON t.child_id = c.id AND t.agency_id = $1 \
         JOIN consents s ON s.child_id = c.id JOIN consent_agencies ca ON ca.consent_id = s.id AND ca.agency_id = $1 \
         WHERE s.valid_from <= $2 AND (s.valid_to IS NULL OR s.valid_to >= $2) AND (s.revoked_on IS NULL OR s.revoked_on > $2) ORDER BY c.id",
    )
    .bind(nursery)
    .bind(today)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(expected.len() >= 3, "the demo shares some children");
    let (on_team,): (i64,) =
        query("SELECT COUNT(DISTINCT child_id) FROM care_team_members WHERE agency_id = $1")
            .bind(nursery)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(
        on_team > expected.len() as i64,
        "and keeps others (no, expired or revoked consent) from it"
    );
    let agency = Api::new(&app, "demo-agency").await;
    let (_, list) = agency.get("/api/v1/children?limit=500").await;
    let mut seen: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        expected.into_iter().map(|(id,)| id).collect::<Vec<_>>()
    );
    let page: Client = app.login_as("demo-agency").await;
    let (_, html) = page.get_text("/children").await;
    assert!(html.contains("共有されている子ども"));
}

async fn upload(api: &Api, child: i64, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new()
        .text("title", "診断書")
        .part("file", part);
    let res = api
        .http
        .post(format!("{}/api/v1/children/{child}/attachments", api.base))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn attachments_are_checked_by_content_and_served_only_through_the_rule(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "てんぷ").await;
    let pdf = common::small_pdf("診断書");
    let (status, created) = upload(&coordinator, child, "診断書.pdf", pdf.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let attachment = created["id"].as_i64().unwrap();
    // An executable named .pdf is refused by its content.
    let (status, body) = upload(
        &coordinator,
        child,
        "report.pdf",
        b"MZ\x90\x00 not a pdf".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "file");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("PDF、JPEG、PNG"));
    let (_, list) = coordinator
        .get(&format!("/api/v1/children/{child}/attachments"))
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["file_name"], "診断書.pdf");
    let res = coordinator
        .http
        .get(format!(
            "{}/api/v1/children/{child}/attachments/{attachment}",
            app.base
        ))
        .bearer_auth(&coordinator.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), pdf);
    // Another area's coordinator, and an agency whose share does not include documents: not found.
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    assert_eq!(
        kashiwa
            .get(&format!(
                "/api/v1/children/{child}/attachments/{attachment}"
            ))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let nursery = nursery(&app).await;
    put_on_team(&app, child, nursery).await;
    coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            consent_body(nursery, "2026-01-01", "", false),
        )
        .await;
    let agency = Api::new(&app, "demo-agency").await;
    assert_eq!(
        agency
            .get(&format!(
                "/api/v1/children/{child}/attachments/{attachment}"
            ))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, none) = agency
        .get(&format!("/api/v1/children/{child}/attachments"))
        .await;
    assert_eq!(none["total"], 0, "documents were not shared");
    // With documents in the consent, the agency may download it, and the disclosure is recorded.
    let mut with_documents = consent_body(nursery, "2026-01-01", "", false);
    with_documents["parts"] = json!(["documents"]);
    coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            with_documents,
        )
        .await;
    let res = agency
        .http
        .get(format!(
            "{}/api/v1/children/{child}/attachments/{attachment}",
            app.base
        ))
        .bearer_auth(&agency.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (n,): (i64,) =
        query("SELECT COUNT(*) FROM disclosures WHERE child_id = $1 AND part = 'documents'")
            .bind(child)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(n, 1);
    let reads = app.audit_actions("attachment.read").await;
    assert!(reads
        .iter()
        .any(|(u, o, _)| u.as_deref() == Some("demo-agency") && o == "success"));
    assert!(reads
        .iter()
        .any(|(u, o, _)| u.as_deref() == Some("demo-coordinator-kashiwa") && o == "denied"));
    // Uploading needs the right to change the record.
    assert_eq!(
        upload(&agency, child, "x.pdf", pdf).await.0,
        StatusCode::FORBIDDEN
    );
}

async fn name_search_follows_the_index_and_its_updates(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let area = area_id(&app, "香取海匝").await;
    let (_, created) = coordinator
        .post(
            "/api/v1/children",
            child_body(area, "索引", "さくら", ("さくいん", "さくら"), "2019-09-09"),
        )
        .await;
    let id = created["child"]["id"].as_i64().unwrap();
    let found = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"].as_i64() == Some(id))
    };
    // A coordinator's area: LIKE over the area's search keys, whatever the length.
    for q in [
        "%E3%81%95%E3%81%8F%E3%81%84%E3%82%93",
        "%E3%82%B5%E3%82%AF%E3%82%A4%E3%83%B3",
        "%EF%BD%BB%EF%BD%B8%EF%BD%B2%EF%BE%9D",
        "%E7%B4%A2%E5%BC%95",
        "%E7%B4%A2",
    ] {
        let (_, body) = coordinator.get(&format!("/api/v1/children?q={q}")).await;
        assert!(found(&body), "query {q}");
    }
    // A supervisor of many areas searches through the trigram index, and finds the same child.
    for n in 0..5 {
        let (extra,): (i64,) = query(
            "INSERT INTO areas (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id",
        )
        .bind(format!("追加の圏域{n}"))
        .bind(time::OffsetDateTime::now_utc())
        .fetch_one(&app.db)
        .await
        .unwrap();
        query("INSERT INTO user_areas (user_id, area_id) SELECT id, $1 FROM users WHERE login = 'demo-supervisor'")
            .bind(extra)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let supervisor = Api::new(&app, "demo-supervisor").await;
    for q in [
        "%E3%81%95%E3%81%8F%E3%81%84%E3%82%93",
        "%EF%BD%BB%EF%BD%B8%EF%BD%B2%EF%BE%9D",
        "%E7%B4%A2%E5%BC%95",
    ] {
        let (_, body) = supervisor.get(&format!("/api/v1/children?q={q}")).await;
        assert!(found(&body), "supervisor's query {q}");
    }
    // Renamed: the old reading no longer finds the child, the new one does.
    let renamed = child_body(area, "改名", "さくら", ("かいめい", "さくら"), "2019-09-09");
    assert_eq!(
        coordinator
            .send(
                reqwest::Method::PUT,
                &format!("/api/v1/children/{id}"),
                renamed
            )
            .await
            .0,
        StatusCode::OK
    );
    let (_, old) = coordinator
        .get("/api/v1/children?q=%E3%81%95%E3%81%8F%E3%81%84%E3%82%93")
        .await;
    assert!(!found(&old));
    let (_, new) = coordinator
        .get("/api/v1/children?q=%E3%81%8B%E3%81%84%E3%82%81%E3%81%84")
        .await;
    assert!(found(&new));
    // Quotes and operators are searched for, not interpreted.
    let (status, _) = coordinator.get("/api/v1/children?q=%22a%22%20OR%20*").await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_merge_keeps_both_histories_and_is_decided_by_a_person(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let area = area_id(&app, "香取海匝").await;
    let mut ids = Vec::new();
    for kana in [("とうごう", "みく"), ("ﾄｳｺﾞｳ", "ﾐｸ"), ("とうごう", "みく")]
    {
        let (status, body) = coordinator
            .post(
                "/api/v1/children",
                child_body(area, "統合", "未来", kana, "2018-08-08"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let id = body["child"]["id"].as_i64().unwrap();
        let (status, _) = coordinator
            .post("/api/v1/consultations", json!({"child_id": id.to_string(), "channel": "電話", "requester": "保護者", "concern": format!("記録{id}の相談")}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(id);
    }
    let (survivor, merged, different) = (ids[0], ids[1], ids[2]);
    // Nothing merged by itself: all three exist side by side.
    let (_, found) = coordinator
        .get("/api/v1/children?q=%E3%81%A8%E3%81%86%E3%81%94%E3%81%86")
        .await;
    assert_eq!(found["total"], 3);
    let c = app.login_as("demo-coordinator").await;
    let (_, page) = c.get_text(&format!("/children/{survivor}")).await;
    assert!(
        page.contains("同じ生年月日・名前の記録"),
        "the page offers the look-alikes"
    );
    for other in [merged, different] {
        let res = c
            .post_form(
                &format!("/children/{survivor}/duplicates"),
                &[("other_child_id", &other.to_string())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let flags: Vec<(i64, i64)> =
        query("SELECT id, other_child_id FROM duplicate_flags WHERE child_id = $1 ORDER BY id")
            .bind(survivor)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let (merge_flag, distinct_flag) = (flags[0].0, flags[1].0);
    let (_, confirm) = c
        .get_text(&format!(
            "/children/{survivor}/duplicates/{merge_flag}/merge"
        ))
        .await;
    assert!(confirm.contains("記録を統合しますか？"));
    assert_eq!(
        c.post_form(
            &format!("/children/{survivor}/duplicates/{merge_flag}/merge"),
            &[]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.post_form(
            &format!("/children/{survivor}/duplicates/{distinct_flag}/distinct"),
            &[]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    // Both histories are on the survivor.
    let (_, timeline) = coordinator
        .get(&format!(
            "/api/v1/children/{survivor}/timeline?kind=consultation"
        ))
        .await;
    let summaries: Vec<String> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap().to_owned())
        .collect();
    assert!(summaries
        .iter()
        .any(|s| s.contains(&format!("記録{survivor}の相談"))));
    assert!(summaries
        .iter()
        .any(|s| s.contains(&format!("記録{merged}の相談"))));
    let (_, all) = coordinator
        .get(&format!(
            "/api/v1/children/{survivor}/timeline?kind=duplicate"
        ))
        .await;
    assert!(all["items"].as_array().unwrap().iter().any(|e| e["summary"]
        .as_str()
        .unwrap()
        .contains("統合しました")
        && e["user_name"] == "見本 はな子"));
    // The merged record is kept, read-only, pointing at the survivor; lists no longer show it.
    let (_, old) = c.get_text(&format!("/children/{merged}")).await;
    assert!(old.contains(&format!("ID {survivor} の記録</a>に統合されました")));
    let (_, found) = coordinator
        .get("/api/v1/children?q=%E3%81%A8%E3%81%86%E3%81%94%E3%81%86")
        .await;
    assert_eq!(found["total"], 2, "the survivor and the different child");
    let (status, body) = coordinator
        .post(&format!("/api/v1/children/{merged}/reopen"), json!({}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a merged record is not reopened: {body}"
    );
    let (decided,): (String,) = query("SELECT decision FROM duplicate_flags WHERE id = $1")
        .bind(distinct_flag)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(decided, "distinct");
    assert_eq!(app.audit_actions("child.merge").await.len(), 1);
    // Siblings are linked both ways.
    assert_eq!(
        c.post_form(
            &format!("/children/{survivor}/siblings"),
            &[("sibling_id", &different.to_string())]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let (_, other_page) = c.get_text(&format!("/children/{different}")).await;
    assert!(other_page.contains(&format!("href=\"/children/{survivor}\">統合 未来</a>")));
    // Another area's coordinator cannot flag across areas.
    let kashiwa = app.login_as("demo-coordinator-kashiwa").await;
    let res = kashiwa
        .post_form(
            &format!("/children/{different}/duplicates"),
            &[("other_child_id", &survivor.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn consultation_categories_are_master_data_the_admin_edits(b: Backend) {
    let app = TestApp::demo(b).await;
    let admin = app.login_as("demo-admin").await;
    let res = admin
        .post_form(
            "/admin/consultation-categories",
            &[("name", "きょうだい支援")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = admin
        .post_form("/admin/consultation-categories", &[("name", "ことば")])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "names are unique"
    );
    let (speech,): (i64,) = query("SELECT id FROM consultation_categories WHERE name = 'ことば'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // Turned off, it leaves the intake form.
    assert_eq!(
        admin
            .post_form(
                &format!("/admin/consultation-categories/{speech}"),
                &[("name", "ことば")]
            )
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let c = app.login_as("demo-coordinator").await;
    let (_, form) = c.get_text("/consultations/new").await;
    assert!(form.contains("きょうだい支援"));
    assert!(!form.contains("> ことば</label>"));
    assert_eq!(
        c.get("/admin/consultation-categories").await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn consultation_documents_follow_the_link_and_consents_keep_their_form(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (_, consultation) = coordinator
        .post(
            "/api/v1/consultations",
            json!({"channel": "来所", "requester": "保護者", "concern": "紹介状を持ってきた"}),
        )
        .await;
    let cid = consultation["id"].as_i64().unwrap();
    let c = app.login_as("demo-coordinator").await;
    let token = c.csrf("/account/password").await;
    let part = reqwest::multipart::Part::bytes(common::small_pdf("letter")).file_name("紹介状.pdf");
    let res = c
        .http
        .post(c.url(&format!(
            "/consultations/{cid}/attachments?csrf_token={token}"
        )))
        .multipart(
            reqwest::multipart::Form::new()
                .text("title", "紹介状")
                .part("file", part),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get_text(&format!("/consultations/{cid}")).await;
    assert!(page.contains("紹介状"));
    // Another area cannot fetch it.
    let (aid,): (i64,) = query("SELECT id FROM attachments WHERE consultation_id = $1")
        .bind(cid)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let kashiwa = app.login_as("demo-coordinator-kashiwa").await;
    assert_eq!(
        kashiwa
            .get(&format!("/consultations/{cid}/attachments/{aid}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Linked, the letter is on the child's record.
    let child = new_child(&app, &coordinator, "しょうかい").await;
    c.post_form(
        &format!("/consultations/{cid}/link"),
        &[("child_id", &child.to_string())],
    )
    .await;
    let (_, docs) = coordinator
        .get(&format!("/api/v1/children/{child}/attachments"))
        .await;
    assert_eq!(docs["items"][0]["title"], "紹介状");
    // A consent keeps its scanned form — one of the child's own documents only.
    let other_child = new_child(&app, &coordinator, "べつ").await;
    let nursery = nursery(&app).await;
    let mut body = consent_body(nursery, "2026-01-01", "", false);
    body["attachment_id"] = aid.to_string().into();
    let (status, err) = coordinator
        .post(
            &format!("/api/v1/children/{other_child}/consents"),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["field"], "attachment_id");
    assert_eq!(
        coordinator
            .post(&format!("/api/v1/children/{child}/consents"), body)
            .await
            .0,
        StatusCode::CREATED
    );
    let (_, consents) = coordinator
        .get(&format!("/api/v1/children/{child}/consents"))
        .await;
    assert_eq!(consents["items"][0]["attachment_id"].as_i64(), Some(aid));
}
