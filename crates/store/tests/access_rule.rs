//! The consent rule has two forms: `child_access` in the domain, which every single read asks,
//! and `access::visible`, the SQL condition every list filters with. Generated facts (consents
//! of every kind and state, memberships, referrals, invitations around the 30-day edge at any
//! hour of the Japanese day, handover sheets) are written to a real database of each backend,
//! and both forms must agree on every child for every kind of user — and with the rule applied
//! to the facts as generated, so the loader cannot hide a disagreement either.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use proptest::{
    prelude::*,
    strategy::{Strategy, ValueTree},
    test_runner::TestRunner,
};
use time::{Duration, OffsetDateTime, Time};
use tsunagu_domain::{
    access::{child_access, ChildFacts, Grant, GrantKind, Involvement, Purpose, SharePart},
    handover::HandoverStatus,
    japanese_date::{self, JST},
    meeting::{Invitation, MeetingStatus},
    referral::State,
    Actor, AgencyId, AreaId, ChildId, ConsentId, Role, UserId,
};
use tsunagu_store::{
    access,
    children::{self, ChildInput},
    db::query,
    testing::fresh_database,
    Backend, Db, RequestMeta, Unit,
};

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(tsunagu_store::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(tsunagu_store::Backend::Postgres).await
            }
        }
    )*};
}

both_backends!(the_sql_condition_is_the_rule);

/// How many children each run generates.
const CHILDREN: usize = 160;

/// Three agencies: two of one kind, one of another (a consent may name a kind).
const AGENCIES: usize = 3;

#[derive(Clone, Debug)]
struct GrantCase {
    legal: bool,
    agencies: Vec<usize>,
    kinds: Vec<usize>,
    parts: Vec<SharePart>,
    from: i64,
    to: Option<i64>,
    revoked: Option<i64>,
}

#[derive(Clone, Debug)]
struct MeetingCase {
    agency: usize,
    /// Days from today, and the hour in Japan it starts.
    day: i64,
    hour: u8,
    status: MeetingStatus,
    cancelled_day: i64,
    cancelled_hour: u8,
}

#[derive(Clone, Debug)]
struct ChildCase {
    area: usize,
    closed: bool,
    grants: Vec<GrantCase>,
    memberships: Vec<(usize, i64, Option<i64>)>,
    referrals: Vec<(usize, State)>,
    meetings: Vec<MeetingCase>,
    handovers: Vec<(usize, HandoverStatus, bool)>,
}

fn days() -> impl Strategy<Value = i64> {
    // Dense around the edges that matter: today, and 30 days back.
    prop_oneof![-3i64..=3, -33i64..=-27, -400i64..=400]
}

fn grant() -> impl Strategy<Value = GrantCase> {
    (
        any::<bool>(),
        proptest::collection::vec(0..AGENCIES, 0..3),
        proptest::collection::vec(0usize..2, 0..2),
        proptest::sample::subsequence(SharePart::ALL.to_vec(), 1..=SharePart::ALL.len()),
        days(),
        proptest::option::of(days()),
        proptest::option::of(days()),
    )
        .prop_map(
            |(legal, agencies, kinds, parts, from, to, revoked)| GrantCase {
                legal,
                agencies,
                kinds,
                parts,
                from,
                to,
                revoked,
            },
        )
}

fn meeting() -> impl Strategy<Value = MeetingCase> {
    (
        0..AGENCIES,
        days(),
        prop_oneof![Just(0u8), Just(9), Just(23)],
        prop_oneof![
            Just(MeetingStatus::Scheduled),
            Just(MeetingStatus::Held),
            Just(MeetingStatus::Cancelled)
        ],
        days(),
        prop_oneof![Just(0u8), Just(12), Just(23)],
    )
        .prop_map(
            |(agency, day, hour, status, cancelled_day, cancelled_hour)| MeetingCase {
                agency,
                day,
                hour,
                status,
                cancelled_day,
                cancelled_hour,
            },
        )
}

fn child_case() -> impl Strategy<Value = ChildCase> {
    (
        0usize..2,
        proptest::bool::weighted(0.2),
        proptest::collection::vec(grant(), 0..3),
        proptest::collection::vec((0..AGENCIES, days(), proptest::option::of(days())), 0..3),
        proptest::collection::vec(
            (0..AGENCIES, proptest::sample::select(State::ALL.to_vec())),
            0..2,
        ),
        proptest::collection::vec(meeting(), 0..3),
        proptest::collection::vec(
            (
                0..AGENCIES,
                proptest::sample::select(HandoverStatus::ALL.to_vec()),
                any::<bool>(),
            ),
            0..2,
        ),
    )
        .prop_map(
            |(area, closed, grants, memberships, referrals, meetings, handovers)| ChildCase {
                area,
                closed,
                grants,
                memberships,
                referrals,
                meetings,
                handovers,
            },
        )
}

/// The places the generated facts refer to, as stored.
struct World {
    areas: Vec<AreaId>,
    kinds: Vec<i64>,
    agencies: Vec<(AgencyId, i64)>,
}

async fn world(db: &Db) -> World {
    let now = tsunagu_store::now();
    let mut areas = vec![];
    for name in ["試験地域A", "試験地域B"] {
        let (id,): (i64,) = query(
            "INSERT INTO areas (name, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id",
        )
        .bind(name)
        .bind(now)
        .fetch_one(db)
        .await
        .unwrap();
        areas.push(AreaId(id));
    }
    let mut kinds = vec![];
    for name in ["試験種別一", "試験種別二"] {
        let (id,): (i64,) = query(
            "INSERT INTO agency_kinds (name, sector, sort_order) VALUES ($1, 'other', 99) RETURNING id",
        )
        .bind(name)
        .fetch_one(db)
        .await
        .unwrap();
        kinds.push(id);
    }
    let mut agencies = vec![];
    for (name, kind) in [("試験園", 0), ("試験校", 1), ("試験医院", 0)] {
        let (id,): (i64,) = query(
            "INSERT INTO agencies (name, kind_id, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(name)
        .bind(kinds[kind])
        .bind(now)
        .fetch_one(db)
        .await
        .unwrap();
        agencies.push((AgencyId(id), kinds[kind]));
    }
    World {
        areas,
        kinds,
        agencies,
    }
}

fn at_in_japan(day: time::Date, hour: u8) -> OffsetDateTime {
    tsunagu_store::db::normalize_timestamp(
        day.with_time(Time::from_hms(hour, 30, 0).unwrap())
            .assume_offset(JST),
    )
}

/// Writes one generated child; answers its id and the grants as the rule reads them.
async fn write(db: &Db, w: &World, c: &ChildCase, n: usize) -> (ChildId, Vec<Grant>) {
    let today = access::today();
    let now = tsunagu_store::now();
    let mut tx = db.begin().await.unwrap();
    let input = ChildInput {
        area_id: w.areas[c.area],
        family_name: "生成".into(),
        given_name: format!("{n}"),
        birth_date: Some(today - Duration::days(2000)),
        sex: "unknown".into(),
        ..ChildInput::default()
    };
    let child = children::insert(&mut tx, &input, None).await.unwrap();
    if c.closed {
        query("UPDATE children SET status = 'closed' WHERE id = $1")
            .bind(child.0)
            .execute(&mut tx)
            .await
            .unwrap();
    }
    let mut grants = vec![];
    for g in &c.grants {
        let parts = g
            .parts
            .iter()
            .map(|p| p.code())
            .collect::<Vec<_>>()
            .join(",");
        let (id,): (i64,) = query(
            "INSERT INTO consents (child_id, basis, parts, valid_from, valid_to, obtained, revoked_on, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(child.0)
        .bind(if g.legal { "legal" } else { "consent" })
        .bind(parts)
        .bind(today + Duration::days(g.from))
        .bind(g.to.map(|d| today + Duration::days(d)))
        .bind(if g.legal { "legal" } else { "written" })
        .bind(g.revoked.map(|d| today + Duration::days(d)))
        .bind(now)
        .fetch_one(&mut tx)
        .await
        .unwrap();
        let agencies: BTreeSet<usize> = g.agencies.iter().copied().collect();
        for a in &agencies {
            query("INSERT INTO consent_agencies (consent_id, agency_id) VALUES ($1, $2)")
                .bind(id)
                .bind(w.agencies[*a].0)
                .execute(&mut tx)
                .await
                .unwrap();
        }
        let kinds: BTreeSet<usize> = g.kinds.iter().copied().collect();
        for k in &kinds {
            query("INSERT INTO consent_agency_kinds (consent_id, kind_id) VALUES ($1, $2)")
                .bind(id)
                .bind(w.kinds[*k])
                .execute(&mut tx)
                .await
                .unwrap();
        }
        grants.push(Grant {
            id: ConsentId(id),
            kind: if g.legal {
                GrantKind::Legal
            } else {
                GrantKind::Consent
            },
            agencies: agencies.iter().map(|a| w.agencies[*a].0).collect(),
            agency_kinds: kinds.iter().map(|k| w.kinds[*k]).collect(),
            parts: g.parts.clone(),
            valid_from: today + Duration::days(g.from),
            valid_to: g.to.map(|d| today + Duration::days(d)),
            revoked_on: g.revoked.map(|d| today + Duration::days(d)),
        });
    }
    for (a, from, to) in &c.memberships {
        query("INSERT INTO care_team_members (child_id, agency_id, from_on, to_on, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(child.0)
            .bind(w.agencies[*a].0)
            .bind(today + Duration::days(*from))
            .bind(to.map(|d| today + Duration::days(d)))
            .bind(now)
            .execute(&mut tx)
            .await
            .unwrap();
    }
    for (a, state) in &c.referrals {
        query("INSERT INTO referrals (child_id, agency_id, reason, parts, state, created_at) VALUES ($1, $2, '生成', 'profile', $3, $4)")
            .bind(child.0)
            .bind(w.agencies[*a].0)
            .bind(state.code())
            .bind(now)
            .execute(&mut tx)
            .await
            .unwrap();
    }
    for m in &c.meetings {
        let starts = at_in_japan(today + Duration::days(m.day), m.hour);
        let cancelled = (m.status == MeetingStatus::Cancelled)
            .then(|| at_in_japan(today + Duration::days(m.cancelled_day), m.cancelled_hour));
        let (id,): (i64,) = query(
            "INSERT INTO meetings (child_id, area_id, purpose, starts_at, ends_at, status, created_at, updated_at, cancelled_at) \
             VALUES ($1, $2, '生成', $3, $3, $4, $5, $5, $6) RETURNING id",
        )
        .bind(child.0)
        .bind(w.areas[c.area])
        .bind(starts)
        .bind(m.status.code())
        .bind(now)
        .bind(cancelled)
        .fetch_one(&mut tx)
        .await
        .unwrap();
        query("INSERT INTO meeting_participants (meeting_id, agency_id, name) VALUES ($1, $2, '生成')")
            .bind(id)
            .bind(w.agencies[m.agency].0)
            .execute(&mut tx)
            .await
            .unwrap();
    }
    for (a, status, fed_back) in &c.handovers {
        query("INSERT INTO handover_sheets (child_id, agency_id, status, created_at, updated_at, feedback_at) VALUES ($1, $2, $3, $4, $4, $5)")
            .bind(child.0)
            .bind(w.agencies[*a].0)
            .bind(status.code())
            .bind(now)
            .bind(fed_back.then_some(now))
            .execute(&mut tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    (child, grants)
}

/// The rule's facts for `actor`, from the case as generated (not as the store reads it back).
fn facts_of(c: &ChildCase, grants: &[Grant], w: &World, actor: &Actor) -> ChildFacts {
    let today = access::today();
    let mut facts = ChildFacts {
        area: Some(w.areas[c.area]),
        closed: c.closed,
        ..ChildFacts::default()
    };
    let Some(me) = w
        .agencies
        .iter()
        .position(|(a, _)| Some(*a) == actor.agency_id)
    else {
        return facts;
    };
    facts.grants = grants.to_vec();
    facts.agency_kind = Some(w.agencies[me].1);
    facts.involvement = Involvement {
        memberships: c
            .memberships
            .iter()
            .filter(|(a, ..)| *a == me)
            .map(|(_, from, to)| {
                (
                    today + Duration::days(*from),
                    to.map(|d| today + Duration::days(d)),
                )
            })
            .collect(),
        referrals: c
            .referrals
            .iter()
            .filter(|(a, _)| *a == me)
            .map(|(_, s)| *s)
            .collect(),
        invitations: c
            .meetings
            .iter()
            .filter(|m| m.agency == me)
            .map(|m| Invitation {
                meeting_on: japanese_date::today(at_in_japan(
                    today + Duration::days(m.day),
                    m.hour,
                )),
                cancelled_on: (m.status == MeetingStatus::Cancelled).then(|| {
                    japanese_date::today(at_in_japan(
                        today + Duration::days(m.cancelled_day),
                        m.cancelled_hour,
                    ))
                }),
            })
            .collect(),
        handovers: c
            .handovers
            .iter()
            .filter(|(a, ..)| *a == me)
            .map(|(_, s, f)| (*s, *f))
            .collect(),
    };
    facts
}

fn actor(role: Role, areas: &[AreaId], agency: Option<AgencyId>, n: i64) -> Actor {
    Actor {
        user_id: UserId(n),
        login: format!("u{n}"),
        display_name: format!("u{n}"),
        role,
        area_ids: areas.to_vec(),
        agency_id: agency,
    }
}

async fn the_sql_condition_is_the_rule(b: Backend) {
    let (db, _) = fresh_database(b).await.unwrap();
    let w = world(&db).await;
    let mut runner = TestRunner::deterministic();
    let cases: Vec<ChildCase> = (0..CHILDREN)
        .map(|_| child_case().new_tree(&mut runner).unwrap().current())
        .collect();
    let mut written = vec![];
    for (n, c) in cases.iter().enumerate() {
        written.push(write(&db, &w, c, n).await);
    }
    let mut actors = vec![
        actor(Role::Coordinator, &w.areas[..1], None, 1),
        actor(Role::Coordinator, &w.areas, None, 2),
        actor(Role::Supervisor, &w.areas[1..], None, 3),
        actor(Role::Committee, &[], None, 4),
        actor(Role::Admin, &[], None, 5),
        actor(Role::AgencyStaff, &[], None, 6),
    ];
    for (i, (agency, _)) in w.agencies.iter().enumerate() {
        actors.push(actor(Role::AgencyStaff, &[], Some(*agency), 10 + i as i64));
    }
    let today = access::today();
    let mut agency_sees = 0;
    for a in &actors {
        let by_sql: BTreeSet<i64> = query(format!(
            "SELECT c.id FROM children c WHERE {}",
            access::visible(a, today)
        ))
        .fetch_all::<(i64,)>(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|(id,)| id)
        .collect();
        let mut u = Unit::acting(&db, RequestMeta::default(), a.clone());
        for (c, (child, grants)) in cases.iter().zip(&written) {
            let by_rule =
                child_access(a, &facts_of(c, grants, &w, a), today, Purpose::Read).is_ok();
            let as_loaded = access::if_visible(&mut u, *child, Purpose::Read)
                .await
                .unwrap()
                .is_some();
            assert_eq!(
                by_sql.contains(&child.0),
                by_rule,
                "SQL and the rule disagree for {:?} on {c:?}",
                a.role
            );
            assert_eq!(
                as_loaded, by_rule,
                "the facts as read back disagree for {:?} on {c:?}",
                a.role
            );
            if by_rule && a.role == Role::AgencyStaff {
                agency_sees += 1;
            }
        }
        u.finish().await.unwrap();
    }
    // The generated cases reach both sides of the rule for agencies, not only refusals.
    assert!(agency_sees > 5, "only {agency_sees} visible to agencies");
}
