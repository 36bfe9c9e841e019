//! The area's network picture through HTTP on both backends: a small area built through the API
//! gives exactly the hand-computed graph; the period counts; the agency page shows its links to
//! the area's staff only; and who may look (with every refusal audited).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{Api, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tsunagu_store::db::query;

both_backends!(
    a_small_area_gives_the_hand_computed_network,
    only_the_areas_staff_see_the_network,
);

const PASSWORD: &str = "tateyama-coordinator-2026";

/// A new area (館山市), its coordinator, and its agencies by role in the fixture.
struct Fixture {
    area: i64,
    coordinator: Api,
    agencies: BTreeMap<&'static str, i64>,
}

async fn kind(app: &TestApp, name: &str) -> i64 {
    let (id,): (i64,) = query("SELECT id FROM agency_kinds WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id
}

async fn fixture(app: &TestApp) -> Fixture {
    let admin = Api::new(app, "demo-admin").await;
    let (tateyama,): (i64,) = query("SELECT id FROM municipalities WHERE code = '12205'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let (status, area) = admin
        .post(
            "/api/v1/areas",
            json!({"name": "館山検証", "municipality_ids": [tateyama]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{area}");
    let area = area["id"].as_i64().unwrap();
    let (status, user) = admin
        .post(
            "/api/v1/users",
            json!({"login": "tateyama-coordinator", "display_name": "館山 コーディネーター", "role": "coordinator",
                   "area_ids": [area], "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    // The first login's password change is another test's concern.
    query("UPDATE users SET must_change_password = $1 WHERE login = 'tateyama-coordinator'")
        .bind(false)
        .execute(&app.db)
        .await
        .unwrap();
    let coordinator = Api::new(app, "tateyama-coordinator").await;
    let mut agencies = BTreeMap::new();
    for (role, name, kind_name) in [
        ("nursery", "検証保育園", "保育所・認定こども園"),
        ("school", "検証小学校", "小学校"),
        ("clinic", "検証クリニック", "医療機関"),
        (
            "health",
            "検証保健センター",
            "保健センター・健康福祉センター（保健所）",
        ),
        ("day", "検証デイサービス", "放課後等デイサービス"),
        (
            "jobs",
            "検証就業支援センター",
            "障害者就業・生活支援センター",
        ),
    ] {
        let (status, body) = coordinator
            .post(
                "/api/v1/agencies",
                json!({"name": name, "kind_id": kind(app, kind_name).await, "municipality_id": tateyama}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        agencies.insert(role, body["id"].as_i64().unwrap());
    }
    Fixture {
        area,
        coordinator,
        agencies,
    }
}

impl Fixture {
    async fn child(&self, given: &str, birth: &str, school: &str) -> i64 {
        let (status, body) = self
            .coordinator
            .post(
                "/api/v1/children",
                json!({"area_id": self.area.to_string(), "family_name": "網", "given_name": given, "birth_date": birth,
                       "current_agency_id": self.agencies[school].to_string(), "not_a_duplicate": "1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["child"]["id"].as_i64().unwrap()
    }

    async fn team(&self, child: i64, agency: &str) {
        let (status, body) = self
            .coordinator
            .post(
                &format!("/api/v1/children/{child}/care-team"),
                json!({"agency_id": self.agencies[agency].to_string(), "role": "担当", "from_on": "2026-04-01"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    async fn refer(&self, child: i64, agency: &str) {
        let id = self.agencies[agency].to_string();
        let (status, body) = self
            .coordinator
            .post(
                &format!("/api/v1/children/{child}/consents"),
                json!({"basis": "consent", "guardian_name": "網 保護者", "parts": ["profile"], "agency_ids": [id], "valid_from": "2026-01-01", "obtained": "written"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = self
            .coordinator
            .post(
                &format!("/api/v1/children/{child}/referrals"),
                json!({"agency_id": id, "reason": "放課後の居場所", "parts": ["profile"]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    fn name(&self, id: i64) -> &'static str {
        self.agencies
            .iter()
            .find(|(_, a)| **a == id)
            .map(|(r, _)| *r)
            .unwrap()
    }

    /// The links as (role, role, shared children, referrals), in the order the API gives.
    fn links(&self, v: &Value) -> Vec<(&'static str, &'static str, i64, i64)> {
        v["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    self.name(l["a"].as_i64().unwrap()),
                    self.name(l["b"].as_i64().unwrap()),
                    l["shared_children"].as_i64().unwrap(),
                    l["referrals"].as_i64().unwrap(),
                )
            })
            .collect()
    }
}

/// The domain test's graph, built through the API:
///   child A (nursery): clinic and health centre on the team
///   child B (nursery): clinic on the team, referred to the day service
///   child C (school): referred to the day service
///   the job centre works with no child.
async fn a_small_area_gives_the_hand_computed_network(b: Backend) {
    let app = TestApp::demo(b).await;
    let f = fixture(&app).await;
    let a = f.child("えー", "2021-06-01", "nursery").await;
    let bb = f.child("びー", "2021-07-01", "nursery").await;
    let c = f.child("しー", "2018-05-01", "school").await;
    f.team(a, "clinic").await;
    f.team(a, "health").await;
    f.team(bb, "clinic").await;
    f.refer(bb, "day").await;
    f.refer(c, "day").await;

    let path = format!("/api/v1/areas/{}/network", f.area);
    let (status, v) = f.coordinator.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Agency ids grow in the order created (nursery, school, clinic, health, day, jobs), so the
    // pairs read as in the domain's fixture: heaviest first, then by ids.
    assert_eq!(
        f.links(&v),
        vec![
            ("nursery", "clinic", 2, 0),
            ("nursery", "day", 1, 1),
            ("school", "day", 1, 1),
            ("clinic", "day", 1, 1),
            ("nursery", "health", 1, 0),
            ("clinic", "health", 1, 0),
        ]
    );
    assert_eq!(v["isolated"], json!([f.agencies["jobs"]]));
    assert_eq!(v["unlinked_sectors"], json!(["教育", "就労"]));
    let node = |role: &str| {
        v["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["agency_id"] == f.agencies[role])
            .unwrap()
            .clone()
    };
    assert_eq!(node("nursery")["children"], 2);
    assert_eq!(node("nursery")["degree"], 3);
    assert_eq!(node("nursery")["school"], true);
    assert_eq!(node("nursery")["sector"], "welfare");
    assert_eq!(node("day")["children"], 2);
    assert_eq!(node("jobs")["degree"], 0);

    // Another period: the care teams (from April 2026) and referrals (today) fall outside it.
    let (status, old) = f
        .coordinator
        .get(&format!("{path}?from=2020-01-01&until=2020-12-31"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        old["links"],
        json!([]),
        "in 2020 only today's schools count: no pairs"
    );
    assert_eq!(old["isolated"].as_array().unwrap().len(), 6);
    let (status, body) = f
        .coordinator
        .get(&format!("{path}?from=2026-12-01&until=2026-01-01"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "until");
    let (status, body) = f.coordinator.get(&format!("{path}?from=きのう")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "from");

    // A new referral makes a new link.
    f.refer(a, "jobs").await;
    let (_, v) = f.coordinator.get(&path).await;
    let links = f.links(&v);
    assert!(links.contains(&("nursery", "jobs", 1, 1)));
    assert!(links.contains(&("clinic", "jobs", 1, 1)));
    assert!(links.contains(&("health", "jobs", 1, 1)));
    assert_eq!(v["isolated"], json!([]));
    assert_eq!(v["unlinked_sectors"], json!(["教育"]));

    // The screens: the picture and its tables, and the links on an agency's page.
    let c = app.client();
    assert_eq!(
        c.login("tateyama-coordinator", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, page) = c.get_text("/network").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg"));
    assert!(
        page.contains(
            "<title>検証保育園 — 検証就業支援センター：共有する子ども1人・つなぎ1件</title>"
        ),
        "the new link is drawn with its tooltip"
    );
    assert!(
        page.contains("園・学校とつながりのない分野") && page.contains("<strong>教育</strong>")
    );
    let (_, agency_page) = c
        .get_text(&format!("/agencies/{}", f.agencies["clinic"]))
        .await;
    assert!(agency_page.contains("ほかの機関とのつながり"));
    assert!(agency_page.contains(&format!(
        "href=\"/agencies/{}\">検証保育園",
        f.agencies["nursery"]
    )));
}

async fn only_the_areas_staff_see_the_network(b: Backend) {
    let app = TestApp::demo(b).await;
    let f = fixture(&app).await;
    let child = f.child("えふ", "2021-06-01", "nursery").await;
    f.team(child, "clinic").await;
    let path = format!("/api/v1/areas/{}/network", f.area);
    assert_eq!(f.coordinator.get(&path).await.0, StatusCode::OK);
    // Staff of other areas cannot tell the area's network from a missing one.
    for login in [
        "demo-coordinator",
        "demo-supervisor",
        "demo-coordinator-kashiwa",
    ] {
        let (status, body) = Api::new(&app, login).await.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{login}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    // Agencies, the committee and administrators get no network at all.
    for login in ["demo-agency", "demo-committee", "demo-admin"] {
        let (status, _) = Api::new(&app, login).await.get(&path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
    }
    let denied = app.audit_actions("network.read").await;
    assert_eq!(
        denied
            .iter()
            .filter(|(_, outcome, _)| outcome == "denied")
            .count(),
        6
    );
    assert!(denied.iter().any(|(login, outcome, _)| login.as_deref()
        == Some("tateyama-coordinator")
        && outcome == "success"));
    // The demo's own areas: the page works for the supervisor and is refused to the agency.
    let s = app.login_as("demo-supervisor").await;
    let (status, page) = s.get_text("/network").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("香取海匝") && page.contains("つながりの一覧"));
    let (status, _) = s.get_text("/network?from=2026-13-01").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let agency = app.login_as("demo-agency").await;
    assert_eq!(agency.get("/network").await.status(), StatusCode::FORBIDDEN);
    // An agency's page lists its links for the area's staff, never for agency staff.
    let (_, page) = agency
        .get_text(&format!("/agencies/{}", f.agencies["clinic"]))
        .await;
    assert!(!page.contains("ほかの機関とのつながり"));
}
