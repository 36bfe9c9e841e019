//! Support plans through HTTP on both backends: versions made by reviews and kept as they were,
//! correcting the current version, comparing and printing, the home page's reviews due, who may
//! read and write a plan (and every refusal), and forms that keep what was typed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tsunagu_store::db::query;

both_backends!(
    a_review_makes_the_next_version_and_keeps_the_last,
    who_may_read_and_write_a_plan,
    bad_plans_are_named_and_nothing_is_written,
    the_form_keeps_what_was_typed_and_grows_rows,
    reviews_due_within_thirty_days_reach_the_home_page,
);

fn today() -> time::Date {
    tsunagu_domain::japanese_date::today(time::OffsetDateTime::now_utc())
}

fn days(n: i64) -> String {
    (today() + time::Duration::days(n)).to_string()
}

async fn new_child(app: &TestApp, coordinator: &Api, given: &str) -> i64 {
    let (area,): (i64,) = query("SELECT id FROM areas WHERE name = '香取海匝'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            json!({"area_id": area.to_string(), "family_name": "計画", "given_name": given, "birth_date": "2021-05-05", "not_a_duplicate": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["child"]["id"].as_i64().unwrap()
}

fn first_plan(review_on: &str) -> Value {
    json!({
        "situation": "園では集団活動の切り替えに時間がかかる。",
        "needs": "見通しを持って過ごせること。",
        "wishes": "友だちと遊べるようになってほしい（母）。",
        "long_term_goal": "園の生活を安心して過ごせる。",
        "review_on": review_on,
        "goal": ["朝の会に参加できる", "困ったときに伝えられる"],
        "who": ["保育園", "保護者"],
        "what": ["絵カードで予定を示す", "休憩カードを使う"],
        "by_on": ["2027-03-31", ""],
    })
}

async fn create_plan(coordinator: &Api, child: i64, review_on: &str) -> i64 {
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/plans"),
            first_plan(review_on),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

async fn a_review_makes_the_next_version_and_keeps_the_last(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "はじめ").await;
    let v1 = create_plan(&coordinator, child, &days(90)).await;

    // A correction changes the current version in place.
    let mut corrected = first_plan(&days(100));
    corrected["long_term_goal"] = "園の生活を楽しく過ごせる。".into();
    let (status, body) = coordinator
        .put(&format!("/api/v1/children/{child}/plans/{v1}"), corrected)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (status, h) = coordinator
        .get(&format!("/api/v1/children/{child}/plans"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let versions = h["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["long_term_goal"], "園の生活を楽しく過ごせる。");
    assert_eq!(versions[0]["review_on"], days(100));
    let goals = versions[0]["goals"].as_array().unwrap();
    assert_eq!(goals.len(), 2);
    assert_eq!(goals[0]["who"], "保育園");
    assert_eq!(goals[0]["by_on"], "2027-03-31");
    assert_eq!(goals[1]["by_on"], Value::Null);
    let (g1, g2) = (
        goals[0]["id"].as_i64().unwrap(),
        goals[1]["id"].as_i64().unwrap(),
    );

    // The review: progress per goal, and version 2.
    let review = json!({
        "reviewed_on": days(0),
        "summary": "朝の会は定着した。",
        "goal_id": [g1.to_string(), g2.to_string()],
        "rating": ["achieved", "partly"],
        "progress": ["最後まで参加できた。", ""],
        "next": {
            "situation": "朝の会は定着。",
            "long_term_goal": "園の生活を楽しく過ごせる。",
            "review_on": days(180),
            "goal": ["困ったときに伝えられる", "就学の見通しを持てる"],
            "who": ["保護者・園", "コーディネーター"],
            "what": ["同じ休憩カードを使う", "就学相談の日程を確認する"],
        }
    });
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/plans/{v1}/review"),
            review.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let v2 = body["id"].as_i64().unwrap();

    let (_, h) = coordinator
        .get(&format!("/api/v1/children/{child}/plans"))
        .await;
    let versions = h["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "both versions are kept");
    assert_eq!(
        (
            versions[0]["version"].as_i64(),
            versions[0]["current"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert_eq!(
        (
            versions[1]["version"].as_i64(),
            versions[1]["current"].as_bool()
        ),
        (Some(1), Some(false))
    );
    // Version 1 is as it was, goals and all.
    assert_eq!(versions[1]["needs"], "見通しを持って過ごせること。");
    assert_eq!(versions[1]["goals"].as_array().unwrap().len(), 2);
    assert_eq!(versions[0]["needs"], Value::Null);
    let reviews = h["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0]["plan_id"], v1);
    assert_eq!(reviews[0]["next_plan_id"], v2);
    let progress = reviews[0]["progress"].as_array().unwrap();
    assert_eq!(progress.len(), 2);
    assert!(progress.iter().any(|p| p["goal_id"] == g1
        && p["rating"] == "achieved"
        && p["progress"] == "最後まで参加できた。"));
    assert!(progress
        .iter()
        .any(|p| p["goal_id"] == g2 && p["rating"] == "partly" && p["progress"] == Value::Null));

    // Version 1 can no longer be corrected or reviewed again.
    let (status, body) = coordinator
        .put(
            &format!("/api/v1/children/{child}/plans/{v1}"),
            first_plan(&days(10)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "plan");
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/plans/{v1}/review"),
            review,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (n,): (i64,) = query("SELECT COUNT(*) FROM support_plans WHERE child_id = $1")
        .bind(child)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 2, "the refused review wrote nothing");

    // The screens: the plan, a past version with its review, the comparison and the print view.
    let c = app.login_as("demo-coordinator").await;
    let (status, page) = c.get_text(&format!("/children/{child}/plan")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("支援計画（コーディネーター作成） 第2版") && page.contains("現在の計画"));
    assert!(page.contains("就学相談の日程を確認する"));
    let (_, old) = c
        .get_text(&format!("/children/{child}/plan?version=1"))
        .await;
    assert!(old.contains("過去の版") && old.contains("達成") && old.contains("一部達成"));
    assert!(old.contains("朝の会は定着した。"));
    let (status, cmp) = c
        .get_text(&format!("/children/{child}/plan/compare?a=1&b=2"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(cmp.contains("第1版と第2版の比較"));
    assert_eq!(
        cmp.matches("<tr class=\"changed\">").count(),
        5,
        "situation, needs, wishes, goals and review date changed; the long-term goal did not"
    );
    let (_, print) = c.get_text(&format!("/children/{child}/plan/print")).await;
    assert!(
        print.contains("支援計画（コーディネーター作成） 第2版") && print.contains("保護者氏名")
    );
    assert!(print.contains("前の版の見直し") && print.contains("朝の会に参加できる"));
    assert_eq!(
        c.get(&format!("/children/{child}/plan?version=9"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // On the timeline, and in the audit log.
    let (_, timeline) = c.get_text(&format!("/children/{child}/timeline")).await;
    assert!(timeline.contains("支援計画（第1版）を作成しました"));
    assert!(timeline.contains("第2版を作成しました"));
    for action in ["plan.create", "plan.update", "plan.review", "plan.read"] {
        assert!(
            app.audit_actions(action)
                .await
                .iter()
                .any(
                    |(login, outcome, _)| login.as_deref() == Some("demo-coordinator")
                        && outcome == "success"
                ),
            "{action} audited"
        );
    }
}

async fn who_may_read_and_write_a_plan(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "みまもり").await;
    let plan = create_plan(&coordinator, child, &days(60)).await;
    let path = format!("/api/v1/children/{child}/plans");

    // The area's supervisor reads but does not write.
    let supervisor = Api::new(&app, "demo-supervisor").await;
    assert_eq!(supervisor.get(&path).await.0, StatusCode::OK);
    assert_eq!(
        supervisor.post(&path, first_plan(&days(1))).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        supervisor
            .put(&format!("{path}/{plan}"), first_plan(&days(1)))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let s = app.login_as("demo-supervisor").await;
    let (status, page) = s.get_text(&format!("/children/{child}/plan")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("見直し（モニタリング）</a>"),
        "no review button"
    );
    assert_eq!(
        s.get(&format!("/children/{child}/plan/review"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // A nursery the guardian consented to, on the care team, sees the child but not the plan.
    let (nursery,): (i64,) = query("SELECT agency_id FROM users WHERE login = 'demo-agency'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/consents"),
            json!({"basis": "consent", "guardian_name": "計画 保護者", "parts": ["profile", "accommodations", "care_team"], "agency_ids": [nursery.to_string()], "valid_from": "2026-01-01", "obtained": "written"}),
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
    let agency = Api::new(&app, "demo-agency").await;
    assert_eq!(
        agency.get(&format!("/api/v1/children/{child}")).await.0,
        StatusCode::OK
    );
    let (status, body) = agency.get(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let a = app.login_as("demo-agency").await;
    assert_eq!(
        a.get(&format!("/children/{child}/plan")).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, record) = a.get_text(&format!("/children/{child}")).await;
    assert!(!record.contains("支援計画"), "no plan panel for the agency");
    assert!(app
        .audit_actions("plan.read")
        .await
        .iter()
        .any(|(login, outcome, _)| login.as_deref() == Some("demo-agency") && outcome == "denied"));

    // Another area's coordinator cannot tell the child exists.
    let kashiwa = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (status, body) = kashiwa.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(
        kashiwa.post(&path, first_plan(&days(1))).await.0,
        StatusCode::NOT_FOUND
    );
    // The committee and the administrator see no child at all.
    for login in ["demo-committee", "demo-admin"] {
        let api = Api::new(&app, login).await;
        assert!(matches!(
            api.get(&path).await.0,
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
        ));
    }

    // A closed case keeps its plan readable and refuses changes.
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/children/{child}/close"),
            json!({"closed_on": days(0), "reason": "転居"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(coordinator.get(&path).await.0, StatusCode::OK);
    let (status, body) = coordinator
        .put(&format!("{path}/{plan}"), first_plan(&days(5)))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
}

async fn bad_plans_are_named_and_nothing_is_written(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "まちがい").await;
    let path = format!("/api/v1/children/{child}/plans");
    let count = || async {
        let (n,): (i64,) = query("SELECT COUNT(*) FROM support_plans WHERE child_id = $1")
            .bind(child)
            .fetch_one(&app.db)
            .await
            .unwrap();
        n
    };
    for (body, field) in [
        (json!({"goal": ["目標"]}), "review_on"),
        (json!({"review_on": "来年", "goal": ["目標"]}), "review_on"),
        (json!({"review_on": days(30)}), "goal"),
        (
            json!({"review_on": days(30), "goal": [""], "who": ["保護者"]}),
            "goal",
        ),
        (
            json!({"review_on": days(30), "goal": ["目標"], "by_on": ["3月末"]}),
            "by_on",
        ),
        (
            json!({"review_on": days(30), "goal": ["目標"], "needs": "あ".repeat(20_001)}),
            "needs",
        ),
        (
            json!({"review_on": days(30), "goal": ["目標"], "who": ["保育園\u{7}"]}),
            "who",
        ),
    ] {
        let (status, answer) = coordinator.post(&path, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert_eq!(answer["error"]["code"], "validation_failed");
        assert_eq!(answer["error"]["field"], field);
    }
    assert_eq!(count().await, 0);
    let (status, _) = coordinator
        .post(&path, json!({"review_on": days(30)}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = coordinator
        .post(&path, json!({"review_on": "x", "goal": "one string"}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a wrong type is a clear 400"
    );

    let plan = create_plan(&coordinator, child, &days(30)).await;
    // A second first version is refused.
    let (status, body) = coordinator.post(&path, first_plan(&days(30))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "plan");
    // A review naming a goal of another plan, or with an unknown rating, writes nothing.
    let other = new_child(&app, &coordinator, "べつ").await;
    create_plan(&coordinator, other, &days(30)).await;
    let (foreign,): (i64,) = query(
        "SELECT g.id FROM plan_goals g JOIN support_plans p ON p.id = g.plan_id WHERE p.child_id = $1 LIMIT 1",
    )
    .bind(other)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let review = |goal: i64, rating: &str| {
        json!({"reviewed_on": days(0), "goal_id": [goal.to_string()], "rating": [rating],
               "next": {"review_on": days(90), "goal": ["次の目標"]}})
    };
    let (status, body) = coordinator
        .post(
            &format!("{path}/{plan}/review"),
            review(foreign, "achieved"),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "progress");
    let (own,): (i64,) = query("SELECT id FROM plan_goals WHERE plan_id = $1 LIMIT 1")
        .bind(plan)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, body) = coordinator
        .post(&format!("{path}/{plan}/review"), review(own, "excellent"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "progress");
    let (status, body) = coordinator
        .post(
            &format!("{path}/{plan}/review"),
            json!({"reviewed_on": days(0), "next": {"review_on": days(90)}}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the next version needs a goal"
    );
    assert_eq!(body["error"]["field"], "goal");
    assert_eq!(count().await, 1, "still only version 1");
    let (reviews,): (i64,) = query("SELECT COUNT(*) FROM plan_reviews WHERE child_id = $1")
        .bind(child)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(reviews, 0);
}

async fn the_form_keeps_what_was_typed_and_grows_rows(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let child = new_child(&app, &coordinator, "ふぉーむ").await;
    let c = app.login_as("demo-coordinator").await;
    let (status, form) = c.get_text(&format!("/children/{child}/plan/new")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        form.matches("name=\"goal\"").count(),
        3,
        "three goal rows to start"
    );

    // More rows: the same form with what was typed and one more row; nothing saved.
    let path = format!("/children/{child}/plan");
    let res = c
        .post_form(
            &path,
            &[
                ("needs", "ことばで気持ちを伝えること"),
                ("goal", "あいさつができる"),
                ("goal", "順番を待てる"),
                ("goal", "着替えができる"),
                ("more_rows", "1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(html.matches("name=\"goal\"").count(), 5);
    assert!(html.contains("ことばで気持ちを伝えること") && html.contains("着替えができる"));

    // A validation problem shows the message beside the field and keeps every typed value.
    let res = c
        .post_form(
            &path,
            &[
                ("needs", "ことばで気持ちを伝えること"),
                ("goal", "あいさつができる"),
                ("who", "保育園"),
                ("by_on", "来月"),
                ("review_on", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("次の見直し日（モニタリングの日）を入力してください。"));
    assert!(html.contains("1行目の期限は 2026-04-01 の形で入力してください。"));
    assert!(html.contains("ことばで気持ちを伝えること") && html.contains("value=\"来月\""));
    let (n,): (i64,) = query("SELECT COUNT(*) FROM support_plans WHERE child_id = $1")
        .bind(child)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 0);

    // Saved, it redirects to the plan.
    let review_on = days(120);
    let res = c
        .post_form(
            &path,
            &[
                ("goal", "あいさつができる"),
                ("who", "保育園"),
                ("review_on", &review_on),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        common::location(&res),
        format!("/children/{child}/plan?notice=created")
    );

    // The review form starts from the current version; a problem keeps the typed review.
    let (_, review) = c.get_text(&format!("/children/{child}/plan/review")).await;
    assert!(review.contains("第1版の目標の経過") && review.contains("あいさつができる"));
    let (plan,): (i64,) = query("SELECT id FROM support_plans WHERE child_id = $1")
        .bind(child)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (goal,): (i64,) = query("SELECT id FROM plan_goals WHERE plan_id = $1")
        .bind(plan)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (plan_s, goal_s) = (plan.to_string(), goal.to_string());
    let res = c
        .post_form(
            &format!("{path}/review"),
            &[
                ("plan_id", &plan_s),
                ("reviewed_on", ""),
                ("goal_id", &goal_s),
                ("rating", "partly"),
                ("progress", "先生には言えるようになった"),
                ("goal", "あいさつができる"),
                ("review_on", &review_on),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("見直しの日を入力してください。"));
    assert!(html.contains("先生には言えるようになった"));
    assert!(html.contains("value=\"partly\" selected"));
    let today_s = days(0);
    let res = c
        .post_form(
            &format!("{path}/review"),
            &[
                ("plan_id", &plan_s),
                ("reviewed_on", &today_s),
                ("goal_id", &goal_s),
                ("rating", "partly"),
                ("progress", "先生には言えるようになった"),
                ("goal", "友だちにあいさつができる"),
                ("review_on", &review_on),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, h) = coordinator
        .get(&format!("/api/v1/children/{child}/plans"))
        .await;
    assert_eq!(
        h["versions"][0]["goals"][0]["goal"],
        "友だちにあいさつができる"
    );
    assert_eq!(h["reviews"][0]["progress"][0]["rating"], "partly");
    // A correction opened on version 1 and sent after the review is refused, its text kept.
    let res = c
        .post_form(
            &format!("{path}/edit"),
            &[
                ("plan_id", &plan_s),
                ("goal", "古い画面からの修正"),
                ("review_on", &review_on),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("最新の版ではありません") && html.contains("古い画面からの修正"));
    let (_, h) = coordinator
        .get(&format!("/api/v1/children/{child}/plans"))
        .await;
    assert_eq!(
        h["versions"][0]["goals"][0]["goal"],
        "友だちにあいさつができる"
    );
}

async fn reviews_due_within_thirty_days_reach_the_home_page(b: Backend) {
    let app = TestApp::demo(b).await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let soon = new_child(&app, &coordinator, "もうすぐ").await;
    let later = new_child(&app, &coordinator, "まだまだ").await;
    let late = new_child(&app, &coordinator, "すぎた").await;
    create_plan(&coordinator, soon, &days(29)).await;
    create_plan(&coordinator, later, &days(31)).await;
    create_plan(&coordinator, late, &days(-3)).await;
    let c = app.login_as("demo-coordinator").await;
    let (_, home) = c.get_text("/").await;
    assert!(home.contains("支援計画の見直し"));
    assert!(home.contains("計画 もうすぐさんの支援計画"));
    assert!(home.contains(&format!("/children/{soon}/plan")));
    assert!(
        !home.contains("計画 まだまださん"),
        "31 days ahead is not yet due"
    );
    assert!(home.contains("【期限切れ】") && home.contains("計画 すぎたさんの支援計画"));
    // Whose names the page showed is in the audit log.
    let (detail,): (Option<String>,) = query(
        "SELECT detail FROM audit_log WHERE action = 'home.read' AND user_login = 'demo-coordinator' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let detail = detail.unwrap();
    for child in [soon, late] {
        assert!(
            detail
                .trim_start_matches("children=")
                .split(',')
                .any(|id| id == child.to_string()),
            "{detail}"
        );
    }
    // The other area's coordinator does not see them.
    let kashiwa = app.login_as("demo-coordinator-kashiwa").await;
    assert!(!kashiwa.get_text("/").await.1.contains("計画 もうすぐ"));
    // The child's page links the plan with its review date.
    let (_, record) = c.get_text(&format!("/children/{soon}")).await;
    assert!(
        record.contains(&format!("href=\"/children/{soon}/plan\""))
            && record.contains("第1版・次の見直し日")
    );
}
