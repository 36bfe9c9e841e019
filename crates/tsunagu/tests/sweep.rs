//! The sweep: every route of the router that names a child-linked object, called as every role
//! on children in every state the consent rule knows, each answer compared with what the rule
//! says. The routes come from the router itself: a route added without a place in this sweep
//! fails it. For a child the caller may not see, the answer must be the same as for one that
//! does not exist; for one they see, a page shows no part the rule does not share (and the
//! record shows every part it does); a change by someone who may not make it is refused
//! whatever the body holds. The table of roles × states × parts is the one in
//! docs/children.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{Api, Backend, Client, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::{Duration, OffsetDateTime};
use tsunagu_domain::{
    access::{Purpose, SharePart},
    ChildId,
};
use tsunagu_store::{access, db::query, users, ChildAccess, RequestMeta, Unit};

both_backends!(
    every_route_that_names_a_child_follows_the_rule,
    every_write_operation_refuses_before_it_validates,
);

/// The states a child can be in for the nursery (`demo-agency`), as the rule sees them.
const STATES: [&str; 12] = [
    "nothing",
    "team_no_consent",
    "consent_not_involved",
    "consent_some_parts",
    "consent_all_parts",
    "ended_membership",
    "past_meeting",
    "held_meeting",
    "handover_received",
    "closed",
    "merged",
    "other_area",
];

const LOGINS: [&str; 7] = [
    "demo-coordinator",
    "demo-coordinator-kashiwa",
    "demo-supervisor",
    "demo-agency",
    "demo-school",
    "demo-committee",
    "demo-admin",
];

/// An id nothing has: the twin of every request, for "exactly as one that does not exist".
const NOBODY: i64 = 9_999_999;

/// Routes that list or name children without an id of one: each must name only children the
/// caller may see.
const LISTS: [&str; 23] = [
    "/",
    "/children",
    "/children/suggest",
    "/search",
    "/search/suggest",
    "/referrals",
    "/meetings",
    "/plans",
    "/action-items",
    "/api/v1/children",
    "/inbox",
    "/api/v1/meetings",
    "/api/v1/action-items",
    "/api/v1/referrals",
    "/api/v1/handover-sheets",
    "/api/v1/visits",
    "/consultations",
    "/api/v1/consultations",
    "/transitions",
    "/transitions/print",
    "/api/v1/transition-calendar",
    "/capacity",
    "/agencies/{id}",
];

/// Routes that name no child: each with why.
const NOT_CHILD_LINKED: [(&str, &str); 30] = [
    ("/account/", "the user's own account"),
    (
        "/admin/",
        "administration: no child's record (behind require_admin)",
    ),
    ("/api/v1/admin", "administration"),
    ("/agencies", "the directory of agencies"),
    ("/api/v1/agencies", "the directory of agencies"),
    ("/api/v1/agency-kinds", "master data"),
    (
        "/api/v1/areas",
        "areas; the network picture counts, never names",
    ),
    ("/api/v1/regions", "master data"),
    ("/api/v1/municipalities", "master data"),
    ("/api/v1/users", "administration"),
    ("/api/v1/audit-log", "administration"),
    ("/api/v1/challenges", "the challenges log: no child"),
    ("/challenges", "the challenges log: no child"),
    (
        "/api/v1/committee-conclusions",
        "the committee's conclusions: no child",
    ),
    ("/conclusions", "the committee's conclusions: no child"),
    ("/api/v1/council", "councils: no child"),
    ("/council", "councils: no child"),
    (
        "/api/v1/evaluation",
        "counts only, suppressed for the committee",
    ),
    ("/evaluation", "counts only, suppressed for the committee"),
    ("/network", "counts only"),
    (
        "/api/v1/school-calendar",
        "dates of a birth date typed, no child",
    ),
    ("/api/v1/calendar", "weekdays and holidays, no child"),
    ("/school-calendar", "dates of a birth date typed, no child"),
    (
        "/api/v1/trainings",
        "trainings: agencies and headcounts, no child",
    ),
    (
        "/capacity/",
        "creating visits and trainings (their reads are lists above)",
    ),
    ("/transitions/template", "the checklist template"),
    (
        "/caseload",
        "counts per coordinator, never a child (people.rs checks who may read them)",
    ),
    (
        "/transfers",
        "a transfer names its child to the staff of both areas only, by the family's agreement: \
         people.rs a_child_moves_between_areas_by_a_transfer proves everyone else is told it does not exist",
    ),
    (
        "/api/v1/transfers",
        "as /transfers (people.rs)",
    ),
    (
        "/calendar/{token}",
        "the secret feed: meetings::a_secret_calendar_feed_lists…",
    ),
];

/// Exact paths that name no child.
const NOT_CHILD_EXACT: [&str; 22] = [
    "/login",
    // A kept form, given back only to the user whose page sent it.
    "/resume/{token}",
    // A form's draft: the user's own typing, given back only to them (working_day.rs).
    "/drafts",
    "/drafts/discard",
    "/login/second-factor",
    "/logout",
    "/setup/{token}",
    "/static/{*path}",
    "/healthz",
    "/readyz",
    "/metrics",
    "/api/docs",
    "/api/v1/openapi.json",
    "/api/v1/me",
    "/children/new",
    "/consultations/new",
    "/transitions/calendar.pdf",
    "/api/v1/trainings",
    "/capacity",
    "/api/v1/council-meetings",
    "/api/v1/councils",
    "/api/v1/agencies",
];

/// Routes on which an agency that sees the child may act (the rest are the coordinators').
fn agency_may_write(path: &str) -> bool {
    path.ends_with("/notes")
        || path.starts_with("/referrals/")
        || path.starts_with("/api/v1/referrals/")
        || path.starts_with("/action-items/")
        || path.starts_with("/api/v1/action-items/")
        || path.ends_with("/acknowledge")
        || path.ends_with("/feedback")
}

/// Which object a route's `{id}` names.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Names {
    Child,
    Meeting,
    ActionItem,
    Referral,
    Handover,
    Transition,
    TransitionItem,
    Consultation,
}

fn names(path: &str) -> Option<Names> {
    let p = path.strip_prefix("/api/v1").unwrap_or(path);
    [
        ("/children/{id}", Names::Child),
        ("/meetings/{id}", Names::Meeting),
        ("/action-items/{id}", Names::ActionItem),
        ("/referrals/{id}", Names::Referral),
        ("/handovers/{id}", Names::Handover),
        ("/handover-sheets/{id}", Names::Handover),
        ("/transitions/{id}", Names::Transition),
        ("/transition-items/{id}", Names::TransitionItem),
        ("/consultations/{id}", Names::Consultation),
    ]
    .into_iter()
    .find(|(prefix, _)| p.starts_with(prefix))
    .map(|(_, n)| n)
}

/// The objects of one fixture child.
#[derive(Clone, Debug)]
struct Fixture {
    tag: &'static str,
    child: i64,
    member: i64,
    consent: i64,
    referral: i64,
    meeting: i64,
    item: i64,
    plan: i64,
    consultation: i64,
    attachment: i64,
    transition: i64,
    transition_item: i64,
    sheet: i64,
}

impl Fixture {
    fn markers(&self) -> Vec<(Option<SharePart>, String)> {
        let t = self.tag;
        vec![
            (Some(SharePart::Profile), format!("PROFILE-{t}")),
            (Some(SharePart::Accommodations), format!("ACCOM-{t}")),
            (Some(SharePart::CareTeam), format!("TEAM-{t}")),
            (Some(SharePart::Documents), format!("DOC-{t}")),
            (Some(SharePart::Plan), format!("PLAN-{t}")),
            (Some(SharePart::Consultations), format!("CONSULT-{t}")),
            // The coordinator's own notes: the area's staff only (None).
            (None, format!("INTERNAL-{t}")),
        ]
    }

    /// What else of the child only someone who sees it may read: its name, the meeting's
    /// record, the action item.
    fn record_markers(&self) -> Vec<String> {
        let t = self.tag;
        vec![
            format!("掃引 {t}"),
            format!("AGENDA-{t}"),
            format!("MINUTES-{t}"),
            format!("ITEM-{t}"),
        ]
    }

    /// `path` with its placeholders filled for this child (or for nobody).
    fn fill(&self, path: &str, nobody: bool) -> String {
        let id = |v: i64| if nobody { NOBODY } else { v };
        let main = match names(path) {
            Some(Names::Child) => id(self.child),
            Some(Names::Meeting) => id(self.meeting),
            Some(Names::ActionItem) => id(self.item),
            Some(Names::Referral) => id(self.referral),
            Some(Names::Handover) => id(self.sheet),
            Some(Names::Transition) => id(self.transition),
            Some(Names::TransitionItem) => id(self.transition_item),
            Some(Names::Consultation) => id(self.consultation),
            None => NOBODY,
        };
        let attachment = if names(path) == Some(Names::Consultation) {
            NOBODY
        } else {
            id(self.attachment)
        };
        path.replace("{id}", &main.to_string())
            .replace("{member}", &id(self.member).to_string())
            .replace("{attachment}", &attachment.to_string())
            .replace("{consent}", &id(self.consent).to_string())
            // A secondary difficulty that does not exist: the child's access decides first.
            .replace("{did}", &NOBODY.to_string())
            .replace("{plan}", &id(self.plan).to_string())
            .replace("{flag}", &NOBODY.to_string())
            .replace("{state}", "done")
            .replace("{action}", "accept")
    }
}

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

/// The demo's area 香取海匝 and the agencies the sweep's children are shared with.
struct Places {
    area: i64,
    /// `demo-agency`'s nursery.
    nursery: i64,
    /// `demo-school`'s school.
    school: i64,
    /// A clinic every fixture child has on its care team, with consent.
    clinic: i64,
}

impl Places {
    async fn of(app: &TestApp) -> Places {
        Places {
            area: id_of(app, "SELECT id FROM areas WHERE name = '香取海匝'").await,
            nursery: id_of(
                app,
                "SELECT agency_id FROM users WHERE login = 'demo-agency'",
            )
            .await,
            school: id_of(
                app,
                "SELECT agency_id FROM users WHERE login = 'demo-school'",
            )
            .await,
            clinic: id_of(
                app,
                "SELECT a.id FROM agencies a JOIN agency_kinds k ON k.id = a.kind_id \
                 WHERE k.name = '医療機関' ORDER BY a.id LIMIT 1",
            )
            .await,
        }
    }
}

async fn post_ok(api: &Api, path: &str, body: serde_json::Value) -> serde_json::Value {
    let (status, body) = api.post(path, body).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// Builds one child in `tag`'s state, with something of every part and every linked object.
#[allow(clippy::too_many_arguments)]
async fn build(
    app: &TestApp,
    coordinator: &Api,
    tag: &'static str,
    area: i64,
    nursery: i64,
    clinic: i64,
    school: i64,
) -> Fixture {
    let all_parts: Vec<&str> = SharePart::ALL.iter().map(|p| p.code()).collect();
    let child = post_ok(
        coordinator,
        "/api/v1/children",
        json!({"area_id": area.to_string(), "family_name": "掃引", "given_name": tag, "birth_date": "2021-05-05",
               "development_notes": format!("PROFILE-{tag}"), "internal_notes": format!("INTERNAL-{tag}"),
               "accommodation_text": [format!("ACCOM-{tag}")], "not_a_duplicate": "1"}),
    )
    .await["child"]["id"]
        .as_i64()
        .unwrap();
    let base = format!("/api/v1/children/{child}");
    let member = post_ok(
        coordinator,
        &format!("{base}/care-team"),
        json!({"agency_id": clinic.to_string(), "role": "主治医", "person": format!("TEAM-{tag}"), "from_on": day(-100)}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let consent = post_ok(
        coordinator,
        &format!("{base}/consents"),
        json!({"basis": "consent", "guardian_name": "掃引 保護者", "parts": all_parts,
               "agency_ids": [clinic.to_string()], "valid_from": day(-100), "obtained": "written"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let nursery_consent = |parts: Vec<&str>| {
        json!({"basis": "consent", "guardian_name": "掃引 保護者", "parts": parts,
               "agency_ids": [nursery.to_string()], "valid_from": day(-100), "obtained": "written"})
    };
    let on_team =
        || json!({"agency_id": nursery.to_string(), "role": "担任", "from_on": day(-100)});
    match tag {
        "team_no_consent" => {
            post_ok(coordinator, &format!("{base}/care-team"), on_team()).await;
        }
        "consent_not_involved" | "past_meeting" | "held_meeting" => {
            post_ok(
                coordinator,
                &format!("{base}/consents"),
                nursery_consent(all_parts.clone()),
            )
            .await;
        }
        "consent_some_parts" => {
            post_ok(
                coordinator,
                &format!("{base}/consents"),
                nursery_consent(vec!["profile"]),
            )
            .await;
            post_ok(coordinator, &format!("{base}/care-team"), on_team()).await;
        }
        "consent_all_parts" | "ended_membership" | "closed" | "merged" | "other_area" => {
            post_ok(
                coordinator,
                &format!("{base}/consents"),
                nursery_consent(all_parts.clone()),
            )
            .await;
            let m = post_ok(coordinator, &format!("{base}/care-team"), on_team()).await;
            if tag == "ended_membership" {
                let m = m["id"].as_i64().unwrap();
                let (s, _) = coordinator
                    .post(&format!("{base}/care-team/{m}/end"), json!({}))
                    .await;
                assert_eq!(s, StatusCode::NO_CONTENT);
            }
        }
        "handover_received" => {
            post_ok(
                coordinator,
                &format!("{base}/consents"),
                nursery_consent(vec!["profile", "accommodations"]),
            )
            .await;
        }
        _ => {}
    }
    let referral = post_ok(
        coordinator,
        &format!("{base}/referrals"),
        json!({"agency_id": clinic.to_string(), "reason": "受診の相談", "parts": ["profile"]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (invited, when, status) = match tag {
        "past_meeting" => (nursery, -40, "held"),
        "held_meeting" => (nursery, -5, "held"),
        _ => (clinic, 7, "scheduled"),
    };
    let meeting = post_ok(
        coordinator,
        &format!("{base}/meetings"),
        json!({"purpose": "支援の確認", "confirm_closed_day": "on", "date": day(when), "start": "10:00", "end": "11:00", "place": "会議室",
               "agency_ids": [invited.to_string()], "others": "掃引 保護者（母）"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (s, body) = coordinator
        .put(
            &format!("/api/v1/meetings/{meeting}/record"),
            json!({"agenda": format!("AGENDA-{tag}"), "minutes": format!("MINUTES-{tag}"), "decisions": "", "status": status, "attended": []}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let item = post_ok(
        coordinator,
        &format!("/api/v1/meetings/{meeting}/action-items"),
        json!({"title": format!("ITEM-{tag}"), "owner_agency_id": nursery.to_string(), "due_on": day(3)}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let plan = post_ok(
        coordinator,
        &format!("{base}/plans"),
        json!({"review_on": day(90), "long_term_goal": "", "goal": [format!("PLAN-{tag}")], "who": ["園"], "what": ["見守る"], "by_on": [""]}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let consultation = post_ok(
        coordinator,
        "/api/v1/consultations",
        json!({"area_id": area.to_string(), "child_id": child.to_string(), "channel": "電話", "requester": "保護者",
               "concern": format!("CONSULT-{tag}")}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("title", format!("DOC-{tag}"))
        .part(
            "file",
            reqwest::multipart::Part::bytes(common::small_pdf("sweep"))
                .file_name("doc.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let res = reqwest::Client::new()
        .post(format!("{}{base}/attachments", app.base))
        .bearer_auth(&coordinator.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let attachment = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let transition = post_ok(
        coordinator,
        &format!("{base}/transitions"),
        json!({"kind": "move", "move_on": day(100), "to_name": "転居先"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let (s, body) = coordinator
        .post(
            &format!("/api/v1/transitions/{transition}/items"),
            json!({"title": "連絡する", "owner": "コーディネーター", "due_on": day(30)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let transition_item = body["id"].as_i64().unwrap();
    let receiving = if tag == "handover_received" {
        nursery
    } else {
        school
    };
    let sheet = post_ok(
        coordinator,
        &format!("{base}/handover-sheets"),
        json!({"agency_id": receiving.to_string(), "transition_id": ""}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    if tag == "handover_received" {
        let (s, body) = coordinator
            .post(
                &format!("/api/v1/handover-sheets/{sheet}/send"),
                json!({"guardian_checked_on": "2026-12-01", "empty_confirmed": true}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    }
    if tag == "closed" {
        let (s, body) = coordinator
            .post(&format!("{base}/close"), json!({"reason": "転居"}))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    }
    Fixture {
        tag,
        child,
        member,
        consent,
        referral,
        meeting,
        item,
        plan,
        consultation,
        attachment,
        transition,
        transition_item,
        sheet,
    }
}

/// A logged-in browser session of one user, with its CSRF token.
struct Caller {
    login: &'static str,
    client: Client,
    csrf: String,
    /// What the rule lets this user read of each child (by the store's own minting).
    access: HashMap<i64, Option<ChildAccess>>,
    /// Whether the user may change each child, and close or reopen it.
    writes: HashMap<i64, bool>,
    changes_status: HashMap<i64, bool>,
}

impl Caller {
    async fn call(&self, method: Method, path: &str) -> (StatusCode, String, bool) {
        let url = self.client.url(path);
        let req = self.client.http.request(method.clone(), url);
        let req = if method == Method::GET {
            req
        } else if path.starts_with("/api/") {
            req.header("x-csrf-token", &self.csrf).json(&json!({}))
        } else {
            req.header("x-csrf-token", &self.csrf)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("")
        };
        let res = req.send().await.unwrap();
        let status = res.status();
        let binary = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/pdf"));
        let body = if binary {
            String::new()
        } else {
            res.text().await.unwrap_or_default()
        };
        (status, body, binary)
    }
}

async fn every_route_that_names_a_child_follows_the_rule(b: Backend) {
    let app = TestApp::demo(b).await;
    let Places {
        area,
        nursery,
        school,
        clinic,
    } = Places::of(&app).await;
    let kashiwa = id_of(&app, "SELECT id FROM areas WHERE name = '柏市'").await;
    let coordinator = Api::new(&app, "demo-coordinator").await;
    let kashiwa_coordinator = Api::new(&app, "demo-coordinator-kashiwa").await;

    let mut fixtures = vec![];
    for tag in STATES {
        let (api, a) = if tag == "other_area" {
            (&kashiwa_coordinator, kashiwa)
        } else {
            (&coordinator, area)
        };
        fixtures.push(build(&app, api, tag, a, nursery, clinic, school).await);
    }
    // A visit to the nursery names every open child of the area (for the lists of visits).
    let children: Vec<String> = fixtures
        .iter()
        .filter(|f| f.tag != "other_area" && f.tag != "closed")
        .map(|f| f.child.to_string())
        .collect();
    post_ok(
        &coordinator,
        "/api/v1/visits",
        json!({"area_id": area.to_string(), "agency_id": nursery.to_string(), "visited_on": day(-1),
               "visitors": "コーディネーター", "purpose": "巡回相談", "child_ids": children}),
    )
    .await;
    // Merged away into the record with every part shared (kept, read-only, for its trail).
    let survivor = fixtures
        .iter()
        .find(|f| f.tag == "consent_all_parts")
        .unwrap()
        .child;
    let merged = fixtures.iter().find(|f| f.tag == "merged").unwrap().child;
    query("UPDATE children SET merged_into_id = $1, status = 'closed' WHERE id = $2")
        .bind(survivor)
        .bind(merged)
        .execute(&app.db)
        .await
        .unwrap();

    // Each caller, and what the rule says of each child for them.
    let mut callers = vec![];
    for login in LOGINS {
        let user = users::find_by_login(&app.db, login).await.unwrap().unwrap();
        let actor = users::actor(&app.db, user).await.unwrap();
        let mut u = Unit::acting(&app.db, RequestMeta::default(), actor);
        let mut access_of = HashMap::new();
        let mut writes = HashMap::new();
        let mut changes_status = HashMap::new();
        for f in &fixtures {
            let a = access::if_visible(&mut u, ChildId(f.child), Purpose::Read)
                .await
                .unwrap();
            let w = access::if_visible(&mut u, ChildId(f.child), Purpose::Write)
                .await
                .unwrap()
                .is_some();
            let s = access::if_visible(&mut u, ChildId(f.child), Purpose::ChangeStatus)
                .await
                .unwrap()
                .is_some();
            access_of.insert(f.child, a);
            writes.insert(f.child, w);
            changes_status.insert(f.child, s);
        }
        u.finish().await.unwrap();
        let client = app.login_as(login).await;
        let csrf = client.csrf("/account/password").await;
        callers.push(Caller {
            login,
            client,
            csrf,
            access: access_of,
            writes,
            changes_status,
        });
    }

    // The table of docs/children.md: what each role sees of each state.
    let mut table: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for c in &callers {
        for f in &fixtures {
            let cell = match &c.access[&f.child] {
                None => "—".to_owned(),
                Some(a) if a.sees_everything() => "すべて".to_owned(),
                Some(a) => a
                    .parts()
                    .iter()
                    .map(|p| p.code())
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            table.insert((c.login, f.tag), cell);
        }
    }
    check_documented_table(&table);

    // Every route is in the sweep or said not to name a child.
    let paths = tsunagu_web::route_paths();
    let unplaced: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| {
            names(p).is_none()
                && !LISTS.contains(p)
                && !NOT_CHILD_EXACT.contains(p)
                && !NOT_CHILD_LINKED
                    .iter()
                    .any(|(prefix, _)| p.starts_with(prefix))
        })
        .collect();
    assert!(
        unplaced.is_empty(),
        "routes not in the sweep (add each to the sweep or, if it names no child, to NOT_CHILD_*): {unplaced:?}"
    );
    let linked: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| names(p).is_some())
        .collect();
    assert!(linked.len() > 60, "{} child-linked routes", linked.len());

    let mut checked = 0usize;
    // Reads first, changes after: a change may move the fixture on.
    for method in [Method::GET, Method::POST, Method::PUT] {
        for c in &callers {
            // The twin of each route: the same request about nothing that exists.
            let mut twins: HashMap<&str, StatusCode> = HashMap::new();
            for path in &linked {
                let (status, _, _) = c.call(method.clone(), &fixtures[0].fill(path, true)).await;
                twins.insert(path, status);
            }
            for f in &fixtures {
                let access = &c.access[&f.child];
                for path in &linked {
                    let twin = twins[path];
                    if twin == StatusCode::METHOD_NOT_ALLOWED {
                        continue;
                    }
                    let writes = method != Method::GET;
                    // A change by whoever may make it is left out: the fixture stays as built.
                    let status_change = path.ends_with("/close") || path.ends_with("/reopen");
                    let may = if status_change {
                        c.changes_status[&f.child]
                    } else {
                        c.writes[&f.child]
                    };
                    if writes && (may || (access.is_some() && agency_may_write(path))) {
                        continue;
                    }
                    let url = f.fill(path, false);
                    let (status, body, binary) = c.call(method.clone(), &url).await;
                    checked += 1;
                    let at = format!("{} {method} {url} ({})", c.login, f.tag);
                    assert!(!status.is_server_error(), "{at}: {status}");
                    let invited = path.contains("/meetings/{id}")
                        && method == Method::GET
                        && c.login == "demo-agency"
                        && matches!(f.tag, "past_meeting" | "held_meeting");
                    // An invited agency answers its own invitation (出席／欠席) without seeing the
                    // child: the empty body sent here is asked for an answer, nothing more.
                    let answering = *path == "/meetings/{id}/reply"
                        && method == Method::POST
                        && c.login == "demo-agency"
                        && matches!(f.tag, "past_meeting" | "held_meeting");
                    if answering {
                        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{at}");
                        assert_no_markers(&body, f, None, &at);
                        continue;
                    }
                    match access {
                        None if invited => {
                            // Its own invitation: logistics, nothing of the child.
                            assert_eq!(status, StatusCode::OK, "{at}");
                            assert_no_markers(&body, f, None, &at);
                        }
                        None => {
                            assert_eq!(
                                status, twin,
                                "{at}: a child the caller may not see answers as one that does not exist"
                            );
                            assert_no_markers(&body, f, None, &at);
                        }
                        Some(a) if writes => {
                            // A coordinator of a closed case is told it is closed (409).
                            let closed = a.is_coordinator() && a.is_closed();
                            assert!(
                                status == StatusCode::FORBIDDEN
                                    || status == StatusCode::NOT_FOUND
                                    || (closed && status == StatusCode::CONFLICT),
                                "{at}: {status} — a change by someone who may not make it is refused whatever the body holds"
                            );
                        }
                        Some(a) => {
                            if status == StatusCode::OK && !binary {
                                assert_no_markers(&body, f, Some(a), &at);
                                if *path == "/children/{id}" || *path == "/api/v1/children/{id}" {
                                    assert_shows_shared_parts(&body, f, a, path, &at);
                                }
                            }
                            if *path == "/children/{id}" || *path == "/api/v1/children/{id}" {
                                assert_eq!(status, StatusCode::OK, "{at}");
                            }
                        }
                    }
                }
            }
        }
    }

    // Lists name only children the caller may see, and an agency's list has all it sees.
    for c in &callers {
        for path in LISTS {
            let url = match path {
                "/children/suggest" => "/children/suggest?q=掃引".to_owned(),
                "/children" | "/api/v1/children" => format!("{path}?limit=500&include_closed=1"),
                "/agencies/{id}" => format!("/agencies/{nursery}"),
                p => p.to_owned(),
            };
            let (status, body, binary) = c.call(Method::GET, &url).await;
            checked += 1;
            assert!(!status.is_server_error(), "{} {url}: {status}", c.login);
            if binary {
                continue;
            }
            for f in &fixtures {
                let at = format!("{} GET {url} ({})", c.login, f.tag);
                assert_no_markers(&body, f, c.access[&f.child].as_ref(), &at);
                if c.access[&f.child].is_none() {
                    assert!(
                        !body.contains(&format!("掃引 {}", f.tag)),
                        "{at}: names the child"
                    );
                }
            }
            if path == "/api/v1/children" && c.login == "demo-agency" {
                for f in fixtures.iter().filter(|f| f.tag != "merged") {
                    assert_eq!(
                        body.contains(&format!("\"given_name\":\"{}\"", f.tag)),
                        c.access[&f.child].is_some(),
                        "the agency's list and the rule agree on {}",
                        f.tag
                    );
                }
            }
        }
    }
    assert!(checked > 5_000, "{checked} answers checked");
}

/// No marker of a part the access does not share; nothing of the child at all without access.
fn assert_no_markers(body: &str, f: &Fixture, access: Option<&ChildAccess>, at: &str) {
    for (part, marker) in f.markers() {
        let allowed = match (access, part) {
            (None, _) => false,
            (Some(a), None) => a.sees_everything(),
            (Some(a), Some(p)) => a.sees(p),
        };
        assert!(
            allowed || !body.contains(&marker),
            "{at}: shows {marker} without the rule's leave"
        );
    }
    if access.is_none() {
        for marker in f.record_markers() {
            assert!(!body.contains(&marker), "{at}: shows {marker}");
        }
    }
}

/// The record shows every part the rule shares.
fn assert_shows_shared_parts(body: &str, f: &Fixture, a: &ChildAccess, path: &str, at: &str) {
    let mut shown = vec![
        SharePart::Profile,
        SharePart::Accommodations,
        SharePart::CareTeam,
    ];
    if path == "/children/{id}" {
        shown.push(SharePart::Documents);
        if !a.sees_everything() {
            // The area's staff see the plan's own page; an agency its goals on the record.
            shown.push(SharePart::Plan);
        }
    }
    for (part, marker) in f.markers() {
        if let Some(p) = part.filter(|p| shown.contains(p)) {
            assert!(
                !a.sees(p) || body.contains(&marker),
                "{at}: the rule shares {} but the record does not show {marker}",
                p.code()
            );
        }
    }
}

/// The table in docs/children.md is the rule's, state by state.
fn check_documented_table(table: &BTreeMap<(&str, &str), String>) {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/children.md"),
    )
    .unwrap();
    let start = doc
        .find("<!-- sweep-table -->")
        .expect("docs/children.md has the sweep's table");
    let rows: Vec<Vec<String>> = doc[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect();
    let head = &rows[0];
    let mut expected = String::new();
    let mut documented = String::new();
    for row in rows.iter().skip(2) {
        for (col, login) in head.iter().enumerate().skip(1) {
            let state = row[0].as_str();
            let cell = table
                .get(&(login.as_str(), state))
                .unwrap_or_else(|| panic!("no {login} × {state}"));
            expected.push_str(&format!("{login} {state}: {cell}\n"));
            documented.push_str(&format!("{login} {state}: {}\n", row[col]));
        }
    }
    if documented != expected {
        // The table as the rule has it, to paste into docs/children.md after review.
        let mut md = format!(
            "| state | {} |\n|---|",
            LOGINS.map(|l| format!("`{l}`")).join(" | ")
        );
        md.push_str(&"---|".repeat(LOGINS.len()));
        md.push('\n');
        for state in STATES {
            let cells: Vec<&str> = LOGINS
                .iter()
                .map(|l| table[&(*l, state)].as_str())
                .collect();
            md.push_str(&format!("| {state} | {} |\n", cells.join(" | ")));
        }
        eprintln!("{md}");
    }
    assert_eq!(
        documented, expected,
        "docs/children.md's table differs from the rule"
    );
    assert_eq!(rows.len() - 2, STATES.len(), "every state in the table");
}

/// Who may be told what to fix on a write operation of the API (they may make the change, or
/// whether they may depends on what the body says): everyone else is refused whatever the
/// body holds. Each entry is (login, method, path of the OpenAPI document).
const MAY_BE_TOLD: [(&str, &str, &str); 12] = [
    // The nursery sees the fixture child: its notes, its action items, referrals and handover
    // sheets addressed to it.
    ("demo-agency", "POST", "/api/v1/children/{id}/notes"),
    ("demo-agency", "POST", "/api/v1/action-items/{id}/{state}"),
    ("demo-agency", "POST", "/api/v1/referrals/{id}/{action}"),
    (
        "demo-agency",
        "POST",
        "/api/v1/handover-sheets/{id}/acknowledge",
    ),
    (
        "demo-agency",
        "POST",
        "/api/v1/handover-sheets/{id}/feedback",
    ),
    // A supervisor manages the directory of their area (the nursery's): where a new agency
    // is, is in the body.
    ("demo-supervisor", "POST", "/api/v1/agencies"),
    ("demo-supervisor", "PUT", "/api/v1/agencies/{id}"),
    ("demo-supervisor", "PATCH", "/api/v1/agencies/{id}"),
    // A supervisor raises the area's challenges to the prefecture; the committee answers
    // them and writes its conclusions.
    ("demo-supervisor", "POST", "/api/v1/challenges/{id}/raise"),
    ("demo-committee", "POST", "/api/v1/challenges/{id}/response"),
    ("demo-committee", "POST", "/api/v1/committee-conclusions"),
    (
        "demo-committee",
        "PUT",
        "/api/v1/committee-conclusions/{id}",
    ),
];

/// Every write operation of the OpenAPI document, called by each role that may not make the
/// change with an empty and a malformed body: 401, 403 or 404 — never a validation message.
async fn every_write_operation_refuses_before_it_validates(b: Backend) {
    let app = TestApp::demo(b).await;
    let Places {
        area,
        nursery,
        school,
        clinic,
    } = Places::of(&app).await;
    let (challenge,): (i64,) = query("SELECT id FROM challenges WHERE area_id = $1 ORDER BY id")
        .bind(area)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let coordinator = Api::new(&app, "demo-coordinator").await;
    // A child the nursery sees whole, with one of every linked object.
    let f = build(
        &app,
        &coordinator,
        "consent_all_parts",
        area,
        nursery,
        clinic,
        school,
    )
    .await;

    let (status, doc) = coordinator.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let mut operations = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(
        operations.len() > 30,
        "{} write operations",
        operations.len()
    );

    let anonymous = Api {
        base: app.base.clone(),
        token: "not-a-token".into(),
        http: reqwest::Client::new(),
    };
    let mut callers = vec![("anonymous", anonymous)];
    for login in [
        "demo-supervisor",
        "demo-agency",
        "demo-school",
        "demo-committee",
    ] {
        callers.push((login, Api::new(&app, login).await));
    }
    let mut checked = 0;
    let mut told = vec![];
    for (method, path) in &operations {
        // Ids of the fixture child's objects; the directory's and the log's of its area.
        let url = match path.as_str() {
            "/api/v1/agencies/{id}" => format!("/api/v1/agencies/{nursery}"),
            "/api/v1/challenges/{id}" => format!("/api/v1/challenges/{challenge}"),
            "/api/v1/challenges/{id}/raise" => format!("/api/v1/challenges/{challenge}/raise"),
            "/api/v1/challenges/{id}/response" => {
                format!("/api/v1/challenges/{challenge}/response")
            }
            p => f.fill(p, false),
        };
        for (login, api) in &callers {
            if MAY_BE_TOLD.contains(&(*login, method.as_str(), path.as_str())) {
                continue;
            }
            for body in ["{}", "{\"broken\":"] {
                let res = api
                    .http
                    .request(
                        Method::from_bytes(method.as_bytes()).unwrap(),
                        format!("{}{url}", api.base),
                    )
                    .bearer_auth(&api.token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let text = res.text().await.unwrap_or_default();
                checked += 1;
                if ![
                    StatusCode::UNAUTHORIZED,
                    StatusCode::FORBIDDEN,
                    StatusCode::NOT_FOUND,
                ]
                .contains(&status)
                {
                    told.push(format!(
                        "{login} {method} {url} with {body}: {status} {text}"
                    ));
                }
            }
        }
    }
    assert!(
        told.is_empty(),
        "refused whatever the body holds, but answered:\n{}",
        told.join("\n")
    );
    assert!(checked > 300, "{checked} answers checked");
}
