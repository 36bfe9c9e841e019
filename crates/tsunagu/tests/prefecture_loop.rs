//! The prefecture's loop through HTTP on both backends: a support meeting's finding becomes a
//! challenge without the child, the area raises it, the committee answers and writes its
//! conclusions, and its fiscal-year report prints; what each role may not do or see; the home
//! cards that follow; and figures that mean what they say (children counted once per move,
//! columns that add up, months to come blank).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{area_id, row, table, Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};
use tsunagu_store::db::query;

both_backends!(
    a_meetings_finding_rises_to_the_committee_and_comes_back,
    a_visits_follow_up_is_due_on_the_home_page,
    moves_are_counted_per_child_and_columns_add_up,
);

async fn a_meetings_finding_rises_to_the_committee_and_comes_back(b: Backend) {
    let app = TestApp::demo(b).await;
    let katori = area_id(&app, "香取海匝").await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    // A support meeting for a child of the area.
    let (family, given) = ("課題", "ゆうと");
    let (status, body) = coordinator
        .post(
            "/api/v1/children",
            json!({"area_id": katori.to_string(), "family_name": family, "given_name": given, "birth_date": "2021-03-03", "not_a_duplicate": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let child = body["child"]["id"].as_i64().unwrap();
    let (status, body) = coordinator
        .post(
            &format!("/api/v1/children/{child}/meetings"),
            json!({"purpose": "放課後の過ごし方", "date": "2026-11-10", "start": "10:00", "end": "11:00", "others": "課題 保護者（母）"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let meeting = body["id"].as_i64().unwrap();
    let (family, given) = (family.to_string(), given.to_string());
    let web = app.login_as("demo-coordinator").await;
    // The meeting's page offers it; the form starts from the meeting, without the child.
    let (status, page) = web.get_text(&format!("/meetings/{meeting}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!("/challenges?from_meeting={meeting}")));
    let (status, form) = web
        .get_text(&format!("/challenges?from_meeting={meeting}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"source\" value=\"support_meeting\""));
    assert!(form.contains("の支援会議から登録します"));
    let other = app.login_as("demo-coordinator-kashiwa").await;
    assert_eq!(
        other
            .get(&format!("/challenges?from_meeting={meeting}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "another area's meeting"
    );

    let body = |title: &str, description: &str| {
        json!({"area_id": katori.to_string(), "title": title, "description": description, "category": "resources",
               "source": "support_meeting", "source_meeting_id": meeting.to_string()})
    };
    // The child's name never rides along, with or without a space.
    for (title, description) in [
        (format!("{given}さんの送迎"), "送迎の手段がない".to_string()),
        (
            "送迎の手段".to_string(),
            format!("{family} {given}さんの家庭は車がない"),
        ),
    ] {
        let (status, answer) = coordinator
            .post("/api/v1/challenges", body(&title, &description))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("子どもの名前"));
    }
    let (n,): (i64,) = query("SELECT COUNT(*) FROM challenges WHERE source = 'support_meeting'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing half-written");
    let (status, answer) = coordinator
        .post(
            "/api/v1/challenges",
            body(
                "放課後等デイサービスへの送迎がない",
                "郊外の家庭は放課後の通所ができない。",
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = answer["id"].as_i64().unwrap();

    // Not the committee's until the area raises it.
    let committee = Api::new(&app, "demo-committee").await;
    let (status, list) = committee.get("/api/v1/challenges").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!list.as_array().unwrap().iter().any(|c| c["id"] == id));
    let committee_web = app.login_as("demo-committee").await;
    assert_eq!(
        committee_web
            .get(&format!("/challenges/{id}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // The supervisor raises it with the area's summary, once; the child's name is refused there
    // too, and the committee cannot raise.
    let supervisor = Api::new(&app, "demo-supervisor").await;
    let raise = |summary: &str| json!({ "area_summary": summary });
    let (status, _) = committee
        .post(&format!("/api/v1/challenges/{id}/raise"), raise("まとめ"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = supervisor
        .post(
            &format!("/api/v1/challenges/{id}/raise"),
            raise(&format!("{given}さんの例のように")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = supervisor
        .post(&format!("/api/v1/challenges/{id}/raise"), raise(""))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let summary = "市町村の移動支援では対象外。県の事業として送迎の補助を求めたい。";
    let (status, answer) = supervisor
        .post(&format!("/api/v1/challenges/{id}/raise"), raise(summary))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (status, _) = supervisor
        .post(&format!("/api/v1/challenges/{id}/raise"), raise(summary))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "raised once");

    // The committee sees it, awaiting its answer, with nothing of the child or the meeting.
    let (_, list) = committee.get("/api/v1/challenges").await;
    let seen = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .expect("raised to the committee")
        .clone();
    assert_eq!(seen["area_summary"], summary);
    assert_eq!(seen["source"], "support_meeting");
    let text = seen.to_string();
    assert!(
        !text.contains("source_meeting_id") && !text.contains(&given) && !text.contains(&family)
    );
    let (_, home) = committee_web.get_text("/").await;
    assert!(
        home.contains("部会での検討を待つ課題")
            && home.contains("放課後等デイサービスへの送迎がない")
    );
    let (status, page) = committee_web.get_text(&format!("/challenges/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(summary) && !page.contains(&given));
    assert!(!page.contains(&format!("/meetings/{meeting}")));
    // The area's working notes stay in the area: the committee's history is the raising alone.
    assert!(page.contains("県の療育支援専門部会へ提起") && !page.contains("新規（"));

    // Only the committee answers.
    let response = json!({"response": "県の来年度事業で送迎補助のモデルを検討する。地域では移動支援の対象拡大を市町村と協議してほしい。"});
    let (status, _) = coordinator
        .post(
            &format!("/api/v1/challenges/{id}/response"),
            response.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = committee
        .post(&format!("/api/v1/challenges/{id}/response"), response)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{answer}");
    let (_, page) = web.get_text(&format!("/challenges/{id}")).await;
    assert!(page.contains("送迎補助のモデルを検討する"));
    assert!(page.contains("県の療育支援専門部会へ提起") && page.contains("療育支援専門部会の回答"));
    let (_, home) = web.get_text("/").await;
    assert!(home.contains("地域の課題（未解決）") && home.contains("部会の回答あり"));
    let (_, home) = app.login_as("demo-supervisor").await.get_text("/").await;
    assert!(home.contains("放課後等デイサービスへの送迎がない"));
    assert!(!home.contains("協議中の課題はありません"));

    // Conclusions and recommendations: the committee writes, others read.
    let fy = tsunagu_domain::school_year::fiscal_year(tsunagu_domain::japanese_date::today(
        OffsetDateTime::now_utc(),
    ));
    let conclusion = json!({"fiscal_year": fy.to_string(), "kind": "recommendation", "title": "送迎の補助", "body": "放課後の通所に送迎補助を設けること。"});
    let (status, _) = coordinator
        .post("/api/v1/committee-conclusions", conclusion.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut wrong = conclusion.clone();
    wrong["kind"] = "opinion".into();
    let (status, answer) = committee.post("/api/v1/committee-conclusions", wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["field"], "kind");
    let (status, answer) = committee
        .post("/api/v1/committee-conclusions", conclusion)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let (_, list) = coordinator
        .get(&format!("/api/v1/committee-conclusions?fiscal_year={fy}"))
        .await;
    assert_eq!(list[0]["title"], "送迎の補助");
    // A form refused keeps what was typed.
    let res = committee_web
        .post_form(
            "/conclusions",
            &[
                ("fiscal_year", &fy.to_string()),
                ("kind", "conclusion"),
                ("title", "モデル事業の評価"),
                ("body", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("モデル事業の評価") && html.contains("本文を入力してください。"));

    // The fiscal year's report: figures, each area against last year, the challenges and the
    // answers, the conclusions; as a PDF too. The committee's and administrators' only.
    let (status, report) = committee_web
        .get_text(&format!("/evaluation/report?fiscal_year={fy}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for part in [
        "検証報告",
        "地域ごとの変化",
        "香取海匝",
        "県全体の集計",
        "相談件数（受付方法別）",
        "放課後等デイサービスへの送迎がない",
        "送迎補助のモデルを検討する",
        "【提言】送迎の補助",
    ] {
        assert!(report.contains(part), "{part}");
    }
    assert!(!report.contains(&given));
    let res = committee_web
        .get(&format!("/evaluation/report.pdf?fiscal_year={fy}"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    assert_eq!(
        web.get("/evaluation/report").await.status(),
        StatusCode::FORBIDDEN
    );
    for action in [
        "challenge.raise",
        "challenge.respond",
        "conclusion.save",
        "evaluation.report",
    ] {
        assert!(!app.audit_actions(action).await.is_empty(), "{action}");
    }
}

async fn a_visits_follow_up_is_due_on_the_home_page(b: Backend) {
    let app = TestApp::demo(b).await;
    let katori = area_id(&app, "香取海匝").await;
    let (agency,): (i64,) = query("SELECT id FROM agencies ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let today = tsunagu_domain::japanese_date::today(OffsetDateTime::now_utc());
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let (status, body) = coordinator
        .post(
            "/api/v1/visits",
            json!({"area_id": katori.to_string(), "agency_id": agency.to_string(), "visited_on": today.to_string(),
                   "visitors": "コーディネーター", "purpose": "午睡時の環境調整", "follow_up_on": (today + Duration::days(3)).to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, home) = app.login_as("demo-coordinator").await.get_text("/").await;
    assert!(
        home.contains("巡回相談のフォロー") && home.contains("午睡時の環境調整"),
        "{home}"
    );
    // Another area's coordinator does not carry it.
    let (_, home) = app
        .login_as("demo-coordinator-kashiwa")
        .await
        .get_text("/")
        .await;
    assert!(!home.contains("午睡時の環境調整"));
}

async fn moves_are_counted_per_child_and_columns_add_up(b: Backend) {
    let app = TestApp::demo(b).await;
    let kashiwa = area_id(&app, "柏市").await;
    let children: Vec<(i64,)> =
        query("SELECT id FROM children WHERE area_id = $1 ORDER BY id LIMIT 3")
            .bind(kashiwa)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let (agency,): (i64,) = query("SELECT id FROM agencies ORDER BY id LIMIT 1")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let d =
        |s: &str| Date::parse(s, &time::format_description::well_known::Iso8601::DEFAULT).unwrap();
    let now = OffsetDateTime::now_utc();
    // In 2025年度 (all months past): the first child moves twice in June (one child), the
    // second in July with its sheet received the day before, the third has a move still
    // planned in September and a cancelled one in July.
    let moves = [
        (children[0].0, "2025-06-02", "done"),
        (children[0].0, "2025-06-20", "done"),
        (children[1].0, "2025-07-01", "done"),
        (children[2].0, "2025-09-01", "planned"),
        (children[2].0, "2025-07-15", "cancelled"),
    ];
    for (child, on, status) in moves {
        let (id,): (i64,) = query(
            "INSERT INTO transitions (child_id, kind, move_on, status, created_at) VALUES ($1, 'school_entry', $2, $3, $4) RETURNING id",
        )
        .bind(child)
        .bind(d(on))
        .bind(status)
        .bind(now)
        .fetch_one(&app.db)
        .await
        .unwrap();
        if on == "2025-07-01" {
            query(
                "INSERT INTO handover_sheets (child_id, transition_id, agency_id, status, created_at, updated_at, acknowledged_at) \
                 VALUES ($1, $2, $3, 'acknowledged', $4, $4, $5)",
            )
            .bind(child)
            .bind(id)
            .bind(agency)
            .bind(now)
            .bind(
                OffsetDateTime::parse(
                    "2025-06-30T03:00:00Z",
                    &time::format_description::well_known::Rfc3339,
                )
                .unwrap(),
            )
            .execute(&app.db)
            .await
            .unwrap();
        }
    }
    let coordinator = Api::new(&app, "demo-coordinator-kashiwa").await;
    let (status, answer) = coordinator
        .get(&format!(
            "/api/v1/evaluation?fiscal_year=2025&area={kashiwa}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let t = table(&answer, "transitions");
    let moved = row(t, "移行した子ども");
    // Columns: 4月 … 3月, then 合計: June is column 2, July 3, September 5.
    assert_eq!(moved[2], 1, "two moves of one child in June count once");
    assert_eq!(moved[3], 1, "the cancelled move is not counted");
    assert_eq!(moved[12], 2);
    assert_eq!(row(t, "うち移行前に引継ぎシートの受領あり")[3], 1);
    assert_eq!(row(t, "うち受領なし")[2], 1);
    assert_eq!(row(t, "移行予定（未完了）")[5], 1);
    assert_eq!(row(t, "移行予定（未完了）")[12], 1);
    assert!(t["notes"].to_string().contains("50%（1/2人）"));
    // The transition calendar counts children too, not moves.
    let (status, calendar) = app
        .login_as("demo-coordinator-kashiwa")
        .await
        .get_text(&format!("/transitions?area={kashiwa}&from=2025-04-01"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut ids: Vec<&str> = calendar
        .split("href=\"/children/")
        .skip(1)
        .filter_map(|s| s.split('/').next())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let said = calendar
        .split("の移行：")
        .nth(1)
        .and_then(|s| s.split('人').next())
        .unwrap();
    assert_eq!(said, ids.len().to_string(), "children, each once");

    // The children's columns: carried over + new = closed + still supported = all; the bars
    // show the year-end column, never a sum of the columns.
    for key in ["children_by_phase", "children_by_need"] {
        let t = table(&answer, key);
        assert_eq!(t["columns"][4], "合計");
        assert_eq!(t["total_column"], false, "{key}: its columns are two sets");
        assert_eq!(t["bar_column"], 3);
        for r in t["rows"].as_array().unwrap() {
            let c = r[1].as_array().unwrap();
            let n = |i: usize| c[i].as_i64().unwrap();
            assert_eq!(n(0) + n(1), n(4), "{key} {}", r[0]);
            assert_eq!(n(2) + n(3), n(4), "{key} {}", r[0]);
        }
    }
    let phase = table(&answer, "children_by_phase");
    let (active,): (i64,) = query(
        "SELECT COUNT(*) FROM children WHERE area_id = $1 AND merged_into_id IS NULL AND created_at < $2 \
         AND (closed_on IS NULL OR closed_on > $3)",
    )
    .bind(kashiwa)
    .bind(
        OffsetDateTime::parse(
            "2026-03-31T15:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap(),
    )
    .bind(d("2026-03-31"))
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(phase["total_row"][3], active, "supported at the year's end");

    // This year: months still to come are blank (null), not zero.
    let (_, now_answer) = coordinator
        .get(&format!("/api/v1/evaluation?area={kashiwa}"))
        .await;
    let today = tsunagu_domain::japanese_date::today(now);
    let reached = (i64::from(u8::from(today.month())) + 8) % 12;
    let channel = table(&now_answer, "consultations_by_channel");
    for (i, cell) in channel["total_row"]
        .as_array()
        .unwrap()
        .iter()
        .take(12)
        .enumerate()
    {
        assert_eq!(
            cell.is_null(),
            i as i64 > reached,
            "month column {i}: {cell}"
        );
    }
}
