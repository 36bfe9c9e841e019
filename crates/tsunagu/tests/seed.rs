//! `tsunagu seed` on both backends: the small dataset has its numbers, the same seed gives the
//! same data, the audit chain verifies, the sequences continue after it, and the pages work on it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use tsunagu_store::{audit, db::query};

both_backends!(the_small_dataset_is_whole_and_usable);

async fn count(app: &TestApp, table: &str) -> i64 {
    let (n,): (i64,) = query(format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(&app.db)
        .await
        .unwrap();
    n
}

async fn the_small_dataset_is_whole_and_usable(b: Backend) {
    let app = TestApp::seeded(b, 7).await;
    assert_eq!(count(&app, "children").await, 200);
    assert_eq!(count(&app, "agencies").await, 60);
    assert_eq!(count(&app, "consultations").await, 3_333);
    assert_eq!(count(&app, "audit_log").await, 33_333);
    assert!(matches!(
        audit::verify(&app.db).await.unwrap(),
        audit::Verification::Intact { .. }
    ));
    // Deterministic: the same seed, the same children.
    let again = TestApp::seeded(b, 7).await;
    let names = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let rows: Vec<(String, String)> =
                query("SELECT family_name, given_name FROM children ORDER BY id LIMIT 20")
                    .fetch_all(&db)
                    .await
                    .unwrap();
            rows
        }
    };
    assert_eq!(names(&app).await, names(&again).await);
    // Seeding twice into one database is refused.
    assert!(tsunagu::seed::run(&app.db, tsunagu::seed::Scale::Small, 7)
        .await
        .is_err());
    // A seeded coordinator works: pages load, a new record takes the next id, search finds by kana.
    let web = app.client();
    let res = web.login("seed-coordinator-1", "seed-password-2026").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for path in [
        "/",
        "/children/1",
        "/children/1/transitions",
        "/transitions",
        "/evaluation",
    ] {
        let (status, _) = web.get_text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }
    let api = common::Api::new(&app, "seed-coordinator-1").await;
    let (status, found) = api.get("/api/v1/children?q=みほん").await;
    assert_eq!(status, StatusCode::OK);
    assert!(found["total"].as_i64().unwrap() > 0, "{found}");
    let (status, body) = api
        .post(
            "/api/v1/children",
            serde_json::json!({"area_id": "1", "family_name": "追加", "given_name": "たろう", "birth_date": "2021-05-05", "not_a_duplicate": "1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["child"]["id"], 201);

    // The consent rule holds on seeded data: agency 1's staff see a child on its team whose
    // consent names it, and not one on its team without any consent.
    let on_team = "SELECT DISTINCT t.child_id FROM care_team_members t \
         WHERE t.agency_id = 1 AND t.to_on IS NULL";
    let (shared,): (i64,) = query(format!(
        "{on_team} AND EXISTS (SELECT 1 FROM consents c JOIN consent_agencies ca ON ca.consent_id = c.id \
         WHERE c.child_id = t.child_id AND ca.agency_id = 1) ORDER BY t.child_id LIMIT 1"
    ))
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (unshared,): (i64,) = query(format!(
        "{on_team} AND NOT EXISTS (SELECT 1 FROM consents c WHERE c.child_id = t.child_id) \
         ORDER BY t.child_id LIMIT 1"
    ))
    .fetch_one(&app.db)
    .await
    .unwrap();
    let staff = common::Api::new(&app, "seed-agency-1").await;
    let (status, body) = staff.get(&format!("/api/v1/children/{shared}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = staff.get(&format!("/api/v1/children/{unshared}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
