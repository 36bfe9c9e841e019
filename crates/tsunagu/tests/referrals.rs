//! Referrals (つなぎ) through HTTP on both backends: the life cycle as coordinator and agency,
//! every refused transition, the consent it needs, the inbox, the overdue card, and the access
//! a live referral gives under the consent rule.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use tsunagu_store::db::query;

both_backends!(
    the_life_cycle_and_every_refused_transition,
    a_referral_needs_consent_and_sends_only_consented_parts,
    the_inbox_the_overdue_card_and_the_one_click_team,
    a_team_note_is_read_once_per_member_and_only_by_the_team,
    care_team_memberships_keep_their_history,
    home_pages_show_follow_ups_and_shared_children,
);

/// A new child of 香取海匝 with a consent naming the demo nursery for profile and accommodations;
/// the nursery is not on its care team.
async fn child_with_consent(app: &TestApp, coordinator: &Api, name: &str) -> (i64, i64) {
    let (area,): (i64,) = query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (nursery,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            json!({"area_id": area.to_string(), "family_name": "紹介", "given_name": name, "birth_date": "2022-02-02", "not_a_duplicate": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let child = body["child"]["id"].as_i64().unwrap();
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            json!({"basis": "consent", "guardian_name": "紹介 保護者", "parts": ["profile", "accommodations"], "agency_ids": [nursery.to_string()], "valid_from": "2026-01-01", "obtained": "written"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    (child, nursery)
}

async fn refer(coordinator: &Api, child: i64, nursery: i64) -> i64 {
    let (status, body) = coordinator
        .post(&format!("/api/v1/children/{child}/referrals"), json!({"agency_id": nursery.to_string(), "reason": "集団生活での様子を見てほしい", "parts": ["profile"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

async fn state_of(app: &TestApp, id: i64) -> String {
    let (state,): (String,) = query("SELECT state FROM referrals WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    state
}

async fn the_life_cycle_and_every_refused_transition(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let agency = Api::new(&app, "demo-agency").await;
    let supervisor = Api::new(&app, "demo-supervisor").await;
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (child, nursery) = child_with_consent(&app, &coordinator, "いちれん").await;
    // Before the referral the nursery is not involved: it cannot see the child.
    assert_eq!(
        agency.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::NOT_FOUND
    );
    let id = refer(&coordinator, child, nursery).await;
    // A live referral is involvement: now the consent lets the nursery see the child.
    assert_eq!(
        agency.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::OK
    );
    let note = json!({"note": ""});
    // Only the receiving agency accepts or declines; only a coordinator cancels.
    assert_eq!(
        coordinator
            .post(&format!("/api/v1/referrals/{id}/accept"), note.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        supervisor
            .post(&format!("/api/v1/referrals/{id}/accept"), note.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        agency
            .post(&format!("/api/v1/referrals/{id}/cancel"), note.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        kashiwa
            .post(&format!("/api/v1/referrals/{id}/cancel"), note.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Not completed before it is accepted; a decline needs its reason.
    let (status, body) = agency
        .post(
            &format!("/api/v1/referrals/{id}/complete"),
            json!({"note": "済"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "state");
    let (status, body) = agency
        .post(&format!("/api/v1/referrals/{id}/decline"), note.clone())
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("note"))
    );
    assert_eq!(
        state_of(&app, id).await,
        "open",
        "nothing changed by the refusals"
    );
    assert_eq!(
        agency
            .post(&format!("/api/v1/referrals/{id}/accept"), note.clone())
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        agency
            .post(&format!("/api/v1/referrals/{id}/accept"), note.clone())
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not twice"
    );
    assert_eq!(
        agency
            .post(
                &format!("/api/v1/referrals/{id}/complete"),
                json!({"note": "週2回の利用が始まった"})
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(state_of(&app, id).await, "completed");
    assert_eq!(
        coordinator
            .post(&format!("/api/v1/referrals/{id}/cancel"), note.clone())
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a completed referral is not cancelled"
    );
    // A declined one cannot be completed.
    let second = refer(&coordinator, child, nursery).await;
    assert_eq!(
        agency
            .post(
                &format!("/api/v1/referrals/{second}/decline"),
                json!({"note": "定員に空きがない"})
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        agency
            .post(
                &format!("/api/v1/referrals/{second}/complete"),
                json!({"note": "x"})
            )
            .await
            .0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The coordinator cancels an open one.
    let third = refer(&coordinator, child, nursery).await;
    assert_eq!(
        coordinator
            .post(&format!("/api/v1/referrals/{third}/cancel"), note.clone())
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    // Each step is on the child's timeline and in the audit log, refusals too.
    let (_, timeline) = coordinator
        .get(&format!(
            "/api/v1/children/{child}/timeline?kind=referral&limit=50"
        ))
        .await;
    let steps: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        steps.iter().any(|s| s.contains("受け入れました")),
        "{steps:?}"
    );
    assert!(steps
        .iter()
        .any(|s| s.contains("完了しました：週2回の利用が始まった")));
    assert!(steps
        .iter()
        .any(|s| s.contains("お断りしました：定員に空きがない")));
    assert!(steps.iter().any(|s| s.contains("取り消しました")));
    let denied = app.audit_actions("referral.update").await;
    assert!(denied.iter().filter(|(_, o, _)| o == "denied").count() >= 4);
}

async fn a_referral_needs_consent_and_sends_only_consented_parts(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (child, nursery) = child_with_consent(&app, &coordinator, "どうい").await;
    // Documents were not consented.
    let (status, body) = coordinator
        .post(&format!("/api/v1/children/{child}/referrals"), json!({"agency_id": nursery.to_string(), "reason": "相談", "parts": ["profile", "documents"]}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("parts"))
    );
    // An agency the guardian did not name.
    let (other,): (i64,) = query("SELECT id FROM agencies WHERE id <> $1 ORDER BY id LIMIT 1")
        .bind(nursery)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/referrals"),
            json!({"agency_id": other.to_string(), "reason": "相談", "parts": ["profile"]}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("agency_id"))
    );
    let (n,): (i64,) = query("SELECT COUNT(*) FROM referrals")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing written");
    // Within the consent: the referral is the first disclosure to the nursery.
    refer(&coordinator, child, nursery).await;
    let parts: Vec<(String,)> =
        query("SELECT part FROM disclosures WHERE child_id = $1 AND agency_id = $2")
            .bind(child)
            .bind(nursery)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(parts, vec![("profile".to_owned(),)]);
    // Agency staff and supervisors do not refer.
    for login in ["demo-agency", "demo-supervisor"] {
        let api = Api::new(&app, login).await;
        let (status, _) = api
            .post(
                &format!("/api/v1/children/{child}/referrals"),
                json!({"agency_id": nursery.to_string(), "reason": "x", "parts": ["profile"]}),
            )
            .await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{login}: {status}"
        );
    }
}

async fn the_inbox_the_overdue_card_and_the_one_click_team(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (child, nursery) = child_with_consent(&app, &coordinator, "うけばこ").await;
    let id = refer(&coordinator, child, nursery).await;
    let agency = app.login_as("demo-agency").await;
    let (_, home) = agency.get_text("/").await;
    assert!(home.contains("つなぎの依頼：紹介 うけばこさん"));
    let (status, inbox) = agency.get_text("/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains("集団生活での様子を見てほしい") && inbox.contains("受け入れる"));
    let res = agency
        .post_form(&format!("/referrals/{id}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Fifteen days unanswered: on the coordinator's home page (the default is 14 days).
    let other = refer(&coordinator, child, nursery).await;
    query("UPDATE referrals SET created_at = $1 WHERE id = $2")
        .bind(tsunagu_store::now() - time::Duration::days(15))
        .bind(other)
        .execute(&app.db)
        .await
        .unwrap();
    let c = app.login_as("demo-coordinator").await;
    let (_, home) = c.get_text("/").await;
    assert!(
        home.contains("紹介 うけばこさん → つなぐ保育園（デモ）"),
        "overdue referral on the home page"
    );
    // The accepted referral adds the nursery to the care team in one click.
    let (_, page) = c.get_text(&format!("/children/{child}")).await;
    let one_click = "<input type=\"hidden\" name=\"role\" value=\"つなぎ先\">";
    assert!(
        page.contains(one_click),
        "the accepted referral offers the one-click add"
    );
    let today = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc()).to_string();
    let res = c
        .post_form(
            &format!("/children/{child}/team"),
            &[
                ("agency_id", &nursery.to_string()),
                ("role", "つなぎ先"),
                ("from_on", &today),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = c.get_text(&format!("/children/{child}")).await;
    assert!(
        page.contains("<td>つなぎ先</td>"),
        "the nursery is on the team"
    );
    assert!(!page.contains(one_click), "and the one-click add is gone");
    // Other roles have no inbox.
    assert_eq!(c.get("/inbox").await.status(), StatusCode::FORBIDDEN);
}

async fn a_team_note_is_read_once_per_member_and_only_by_the_team(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let agency = Api::new(&app, "demo-agency").await;
    let supervisor = Api::new(&app, "demo-supervisor").await;
    let (child, nursery) = child_with_consent(&app, &coordinator, "れんらく").await;
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/notes"),
            json!({"body": "来週から登園時間が変わります"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let note = body["id"].as_i64().unwrap();
    // Consented but only referred, not on the team: no team notes.
    refer(&coordinator, child, nursery).await;
    assert_eq!(
        agency
            .get(&format!("/api/v1/children/{child}/notes"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        agency
            .post(
                &format!("/api/v1/children/{child}/notes"),
                json!({"body": "x"})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // On the team: the nursery reads (twice), and its read is recorded once.
    let c = app.login_as("demo-coordinator").await;
    c.post_form(
        &format!("/children/{child}/team"),
        &[
            ("agency_id", &nursery.to_string()),
            ("role", "担任"),
            ("from_on", "2026-01-01"),
        ],
    )
    .await;
    for _ in 0..2 {
        let (status, list) = agency.get(&format!("/api/v1/children/{child}/notes")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["items"][0]["body"], "来週から登園時間が変わります");
    }
    let reads: Vec<(i64,)> = query("SELECT user_id FROM care_note_reads WHERE note_id = $1")
        .bind(note)
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        reads.len(),
        1,
        "once per member; the author's own views are not reads"
    );
    // The coordinator sees 既読 with the name; the nursery answers; a supervisor reads but does not post.
    let (_, page) = c.get_text(&format!("/children/{child}")).await;
    assert!(page.contains("既読：仮名 さくら"));
    assert_eq!(
        agency
            .post(
                &format!("/api/v1/children/{child}/notes"),
                json!({"body": "承知しました"})
            )
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        supervisor
            .get(&format!("/api/v1/children/{child}/notes"))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        supervisor
            .post(
                &format!("/api/v1/children/{child}/notes"),
                json!({"body": "x"})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/notes"),
            json!({"body": "  "}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("body"))
    );
    // Another area cannot even tell the child exists.
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    assert_eq!(
        kashiwa
            .get(&format!("/api/v1/children/{child}/notes"))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

async fn care_team_memberships_keep_their_history(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (child, nursery) = child_with_consent(&app, &coordinator, "ちーむ").await;
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/care-team"),
            json!({"agency_id": nursery.to_string(), "role": "担任", "person": "仮名 さくら", "from_on": "2026-04-01", "family_agreed": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let member = body["id"].as_i64().unwrap();
    let (_, team) = coordinator
        .get(&format!("/api/v1/children/{child}/care-team"))
        .await;
    assert_eq!(team["items"][0]["person"], "仮名 さくら");
    assert_eq!(team["items"][0]["family_agreed"], true);
    // The member agency sees the team only if its consent includes it (here: profile and accommodations).
    let agency = Api::new(&app, "demo-agency").await;
    assert_eq!(
        agency.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        agency
            .get(&format!("/api/v1/children/{child}/care-team"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        agency
            .post(
                &format!("/api/v1/children/{child}/care-team/{member}/end"),
                json!({})
            )
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // Ended, it stays in the history — and the nursery's access ends with it.
    assert_eq!(
        coordinator
            .post(
                &format!("/api/v1/children/{child}/care-team/{member}/end"),
                json!({})
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, team) = coordinator
        .get(&format!("/api/v1/children/{child}/care-team"))
        .await;
    assert_eq!(team["total"], 1);
    assert!(team["items"][0]["to_on"].is_string());
    assert_eq!(
        agency.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/care-team"),
            json!({"agency_id": "x"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("agency_id"))
    );
}

async fn home_pages_show_follow_ups_and_shared_children(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let today = tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc());
    let soon = today + time::Duration::days(3);
    let later = today + time::Duration::days(30);
    for (concern, on) in [("三日後に電話する約束", soon), ("来月の確認", later)] {
        let (status, _) = coordinator
            .post("/api/v1/consultations", json!({"channel": "電話", "requester": "保護者", "concern": concern, "follow_up_on": on.to_string()}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let c = app.login_as("demo-coordinator").await;
    let (_, home) = c.get_text("/").await;
    assert!(home.contains("フォロー予定（相談・巡回）"));
    assert!(
        home.contains("匿名の相談（三日後に電話する約束）"),
        "due within a week"
    );
    assert!(!home.contains("来月の確認"), "not yet");
    // A card shows ten lines and says how many more there are.
    for i in 0..12 {
        let (status, _) = coordinator
            .post("/api/v1/consultations", json!({"channel": "電話", "requester": "保護者", "concern": format!("折り返し{i:02}"), "follow_up_on": soon.to_string()}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, home) = c.get_text("/").await;
    let card = &home[home.find("フォロー予定（相談・巡回）").unwrap()..];
    let card = &card[..card.find("</section>").unwrap()];
    assert_eq!(card.matches("<li>").count(), 11, "{card}");
    assert!(card.contains("ほか3件"), "13 due, 10 shown: {card}");
    // The Kashiwa coordinator does not see 香取海匝's follow-ups.
    let k = app.login_as("demo-coordinator-kashiwa").await;
    assert!(!k.get_text("/").await.1.contains("三日後に電話する約束"));
    // The nursery's home lists the children shared with it.
    let agency = app.login_as("demo-agency").await;
    let (_, home) = agency.get_text("/").await;
    let shared = Api::new(&app, "demo-agency")
        .await
        .get("/api/v1/children?limit=1")
        .await
        .1;
    let first = shared["items"][0].clone();
    assert!(home.contains(&format!(
        "{} {}",
        first["family_name"].as_str().unwrap(),
        first["given_name"].as_str().unwrap()
    )));
}
