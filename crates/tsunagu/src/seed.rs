//! `tsunagu seed --scale NAME`: clearly fictional data at a chosen size, for the benchmark and
//! for trying Tsunagu with a whole prefecture's volume. Deterministic from `--seed`; written in
//! bulk (many rows a statement) in one transaction a table.
//!
//! | scale | areas | agencies | users | children (active) | consultations | audit entries |
//! |---|---|---|---|---|---|---|
//! | small | 1 | 60 | 20 | 200 (84) | 3,333 | 33,333 |
//! | area | 1 (a region) | 400 | 134 | 4,000 (1,667) | 66,667 | 666,667 |
//! | prefecture | 54 | 6,000 | 2,000 | 60,000 (25,000) | 1,000,000 | 10,000,000 |
//!
//! Besides: guardians, care teams, referrals, meetings, transitions and, for nine children in
//! ten, a written consent naming the agencies of their team and referrals.

use std::time::Instant;

use anyhow::{bail, Context};
use time::{Date, Duration, Month, OffsetDateTime};
use tsunagu_domain::kana;
use tsunagu_store::{
    audit::{self, Entry},
    bulk::{drop_indexes, insert_rows, reset_sequences},
    db::{query, Value},
    users, Db,
};

/// The sizes `--scale` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    Small,
    Area,
    Prefecture,
}

/// How many of each, from the prefecture's numbers scaled by children.
struct Counts {
    areas: usize,
    agencies: usize,
    users: usize,
    children: usize,
    consultations: usize,
    team: usize,
    referrals: usize,
    meetings: usize,
    transitions: usize,
    audit: usize,
}

impl Scale {
    fn counts(self) -> Counts {
        let (areas, agencies, children) = match self {
            Scale::Small => (1, 60, 200),
            Scale::Area => (1, 400, 4_000),
            Scale::Prefecture => (54, 6_000, 60_000),
        };
        let per = |n: usize| n * children / 60_000;
        Counts {
            areas,
            agencies,
            users: per(2_000).max(12),
            children,
            consultations: per(1_000_000),
            team: per(400_000),
            referrals: per(300_000),
            meetings: per(150_000),
            transitions: per(80_000),
            audit: per(10_000_000),
        }
    }
}

/// A small, fast generator (SplitMix64): the same seed gives the same data everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len())]
    }
}

/// Family names no one has (見本 = sample, 架空 = fictional…), with readings.
const FAMILY: [(&str, &str); 24] = [
    ("見本", "みほん"),
    ("架空", "かくう"),
    ("仮名", "かめい"),
    ("例題", "れいだい"),
    ("試験", "しけん"),
    ("模擬", "もぎ"),
    ("想定", "そうてい"),
    ("試作", "しさく"),
    ("標本", "ひょうほん"),
    ("雛形", "ひながた"),
    ("下書", "したがき"),
    ("練習", "れんしゅう"),
    ("仮置", "かりおき"),
    ("空想", "くうそう"),
    ("夢見", "ゆめみ"),
    ("絵空", "えそら"),
    ("試行", "しこう"),
    ("見立", "みたて"),
    ("仮設", "かせつ"),
    ("例示", "れいじ"),
    ("模型", "もけい"),
    ("演習", "えんしゅう"),
    ("試案", "しあん"),
    ("草案", "そうあん"),
];
const GIVEN: [(&str, &str); 24] = [
    ("はると", "はると"),
    ("ゆい", "ゆい"),
    ("蓮", "れん"),
    ("陽葵", "ひまり"),
    ("湊", "みなと"),
    ("凛", "りん"),
    ("蒼", "あおい"),
    ("結菜", "ゆいな"),
    ("樹", "いつき"),
    ("芽依", "めい"),
    ("悠真", "ゆうま"),
    ("紬", "つむぎ"),
    ("大和", "やまと"),
    ("咲良", "さくら"),
    ("颯", "はやて"),
    ("心春", "こはる"),
    ("律", "りつ"),
    ("澪", "みお"),
    ("奏", "かなで"),
    ("杏", "あん"),
    ("朝陽", "あさひ"),
    ("琴音", "ことね"),
    ("海斗", "かいと"),
    ("詩", "うた"),
];
const CHANNELS: [&str; 6] = ["電話", "来所", "訪問", "同行", "メール", "その他"];
const REQUESTERS: [&str; 5] = ["保護者", "園", "学校", "保健センター", "本人"];
const CONCERNS: [&str; 6] = [
    "ことばの遅れが気になる",
    "集団活動に入れない",
    "就学先について相談したい",
    "登校をしぶる",
    "かんしゃくが続く",
    "福祉サービスを使いたい",
];

fn progress(label: &str, done: usize, total: usize, started: Instant) {
    use std::io::Write;
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    eprint!(
        "\r{label:<14} [{}{}] {done:>10}/{total:<10} {:>5.1}s",
        "#".repeat(filled),
        " ".repeat(width - filled),
        started.elapsed().as_secs_f64()
    );
    if done >= total {
        eprintln!();
    }
    let _ = std::io::stderr().flush();
}

/// A day within the last `span` days, more of them in spring (April–June, the start of the
/// school year) and around the winter of the last preschool year.
fn busy_day(rng: &mut Rng, today: Date, span: i64) -> Date {
    loop {
        let d = today - Duration::days(rng.below(span as usize) as i64);
        let weight = match d.month() {
            Month::April | Month::May | Month::June => 10,
            Month::January | Month::February => 8,
            Month::August => 4,
            _ => 6,
        };
        if rng.below(10) < weight {
            return d;
        }
    }
}

fn at(d: Date, minutes: i64) -> OffsetDateTime {
    d.midnight().assume_utc() + Duration::minutes(minutes)
}

/// The tables that get many rows: their indexes are built after the rows are in.
const LOADED: [&str; 13] = [
    "children",
    "guardians",
    "child_events",
    "consultations",
    "consultation_category_links",
    "care_team_members",
    "referrals",
    "consents",
    "consent_agencies",
    "meetings",
    "meeting_participants",
    "transitions",
    "audit_log",
];

/// Writes a dataset into an empty database; refuses one that already has users. Use a
/// connection from [`tsunagu_store::Db::connect_for_bulk_load`] for the larger scales.
pub async fn run(db: &Db, scale: Scale, seed: u64) -> anyhow::Result<()> {
    if users::count(db).await? > 0 {
        bail!("データベースにすでにユーザーがいます。seed は空のデータベースにだけ書き込みます。");
    }
    let c = scale.counts();
    let mut rng = Rng(seed);
    let started = Instant::now();
    let indexes = drop_indexes(db, &LOADED).await?;
    let now = tsunagu_store::db::normalize_timestamp(OffsetDateTime::now_utc());
    let today = tsunagu_domain::japanese_date::today(now);
    let t = |v: &str| Value::from(v);

    // Areas over the prefecture's municipalities: one each, or (one area) a region's.
    let municipalities: Vec<(i64, i64, String)> =
        query("SELECT id, region_id, name FROM municipalities ORDER BY id")
            .fetch_all(db)
            .await?;
    let mut tx = db.begin().await?;
    let mut area_munis: Vec<Vec<i64>> = Vec::new();
    let mut area_rows = Vec::new();
    for a in 0..c.areas {
        let munis: Vec<i64> = if c.areas == 1 {
            let region = municipalities[0].1;
            let of_region: Vec<i64> = municipalities
                .iter()
                .filter(|m| m.1 == region)
                .map(|m| m.0)
                .collect();
            if scale == Scale::Small {
                of_region.into_iter().take(1).collect()
            } else {
                of_region
            }
        } else {
            vec![municipalities[a % municipalities.len()].0]
        };
        let name = if c.areas == 1 {
            "試験地域（合成データ）".to_string()
        } else {
            format!(
                "{}（合成データ）",
                municipalities[a % municipalities.len()].2
            )
        };
        area_rows.push(vec![
            Value::from((a + 1) as i64),
            t(&name),
            t("ごうせいでーた"),
            Value::from(now),
            Value::from(now),
        ]);
        area_munis.push(munis);
    }
    insert_rows(
        &mut tx,
        "areas",
        &["id", "name", "kana", "created_at", "updated_at"],
        area_rows,
    )
    .await?;
    let mut links = Vec::new();
    for (a, munis) in area_munis.iter().enumerate() {
        for m in munis {
            links.push(vec![Value::from((a + 1) as i64), Value::from(*m)]);
        }
    }
    insert_rows(
        &mut tx,
        "area_municipalities",
        &["area_id", "municipality_id"],
        links,
    )
    .await?;

    // Agencies of every kind, spread over the areas' municipalities.
    let kinds: Vec<(i64, String)> = query("SELECT id, name FROM agency_kinds ORDER BY id")
        .fetch_all(&mut tx)
        .await?;
    let mut agency_area = Vec::with_capacity(c.agencies);
    let mut rows = Vec::with_capacity(c.agencies);
    for i in 0..c.agencies {
        let area = i % c.areas;
        let muni = *rng.pick(&area_munis[area]);
        let (kind, kind_name) = rng.pick(&kinds).clone();
        let name = format!(
            "合成{}{}号",
            kind_name.split('・').next().unwrap_or(&kind_name),
            i + 1
        );
        let kana_reading = format!("ごうせい{}", i + 1);
        rows.push(vec![
            Value::from((i + 1) as i64),
            t(&name),
            t(&kana_reading),
            t(&tsunagu_store::agencies::search_key(&name, &kana_reading)),
            Value::from(muni),
            Value::from(kind),
            Value::from(true),
            Value::from(now),
            Value::from(now),
        ]);
        agency_area.push(area);
    }
    insert_rows(
        &mut tx,
        "agencies",
        &[
            "id",
            "name",
            "kana",
            "search_key",
            "municipality_id",
            "kind_id",
            "active",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    progress("areas/agencies", 1, 1, started);

    // Users: a coordinator and a supervisor for every area, a committee member, an admin, the
    // rest agency staff. One password for all (hashing thousands would take minutes).
    let hash = tsunagu_store::password::hash("seed-password-2026").await?;
    let mut rows = Vec::new();
    let mut user_areas = Vec::new();
    let mut logins: Vec<String> = Vec::new();
    let mut id = 0i64;
    let mut user = |login: String, name: &str, role: &str, agency: Option<i64>| {
        id += 1;
        logins.push(login.clone());
        rows.push(vec![
            Value::from(id),
            t(&login),
            t(name),
            t(&format!(
                "{} {}",
                kana::normalize(name),
                login.to_lowercase()
            )),
            t(role),
            Value::from(agency),
            t(&hash),
            Value::from(now),
            Value::from(now),
        ]);
        id
    };
    let mut coordinators = Vec::new();
    for a in 0..c.areas {
        let u = user(
            format!("seed-coordinator-{}", a + 1),
            "合成 コーディネーター",
            "coordinator",
            None,
        );
        user_areas.push(vec![Value::from(u), Value::from((a + 1) as i64)]);
        coordinators.push(u);
        let s = user(
            format!("seed-supervisor-{}", a + 1),
            "合成 市町村担当",
            "supervisor",
            None,
        );
        user_areas.push(vec![Value::from(s), Value::from((a + 1) as i64)]);
    }
    user("seed-committee".into(), "合成 審議委員", "committee", None);
    user("seed-admin".into(), "合成 管理者", "admin", None);
    let staff_count = c.users.saturating_sub(2 * c.areas + 2);
    for s in 0..staff_count {
        let agency = (s % c.agencies + 1) as i64;
        user(
            format!("seed-agency-{}", s + 1),
            "合成 職員",
            "agency_staff",
            Some(agency),
        );
    }
    insert_rows(
        &mut tx,
        "users",
        &[
            "id",
            "login",
            "display_name",
            "search_key",
            "role",
            "agency_id",
            "password_hash",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    insert_rows(&mut tx, "user_areas", &["user_id", "area_id"], user_areas).await?;
    tx.commit().await?;
    progress("users", 1, 1, started);

    // Children, ages 0–18; 25 of 60 active. A guardian each, and the record's first timeline entry.
    let mut tx = db.begin().await?;
    let mut child_area = Vec::with_capacity(c.children);
    let mut child_birth = Vec::with_capacity(c.children);
    let mut rows = Vec::with_capacity(c.children);
    let mut guardians = Vec::with_capacity(c.children);
    let mut events = Vec::with_capacity(c.children);
    for i in 0..c.children {
        let area = i % c.areas;
        let (family, family_kana) = *rng.pick(&FAMILY);
        let (given, given_kana) = *rng.pick(&GIVEN);
        let birth = today - Duration::days(200 + rng.below(18 * 365) as i64);
        let active = i % 12 < 5;
        // As `children::search_key` makes it: the name, a space, the reading.
        let key = format!(
            "{} {}",
            kana::normalize(&format!("{family}{given}")),
            kana::normalize(&format!("{family_kana}{given_kana}"))
        );
        let duplicate = kana::person_key(&format!("{family_kana}{given_kana}"));
        let created = busy_day(&mut rng, today, 3 * 365);
        rows.push(vec![
            Value::from((i + 1) as i64),
            Value::from((area + 1) as i64),
            t(family),
            t(given),
            t(family_kana),
            t(given_kana),
            t(&key),
            t(&duplicate),
            Value::from(birth),
            t(["male", "female"][i % 2]),
            Value::from(*rng.pick(&area_munis[area])),
            t(if active { "active" } else { "closed" }),
            Value::from((!active).then(|| today - Duration::days(rng.below(700) as i64))),
            Value::from(at(created, 60)),
            Value::from(at(created, 60)),
            // The area's coordinator carries every case (担当).
            Value::from(coordinators[area]),
        ]);
        guardians.push(vec![
            Value::from((i + 1) as i64),
            t(&format!("{family} 保護者")),
            t(&format!("{family_kana} ほごしゃ")),
            t(if i % 3 == 0 { "父" } else { "母" }),
        ]);
        events.push(vec![
            Value::from((i + 1) as i64),
            Value::from(at(created, 60)),
            t("record"),
            t("記録を作成しました"),
        ]);
        child_area.push(area);
        child_birth.push(birth);
    }
    insert_rows(
        &mut tx,
        "children",
        &[
            "id",
            "area_id",
            "family_name",
            "given_name",
            "family_kana",
            "given_kana",
            "search_key",
            "duplicate_key",
            "birth_date",
            "sex",
            "municipality_id",
            "status",
            "closed_on",
            "created_at",
            "updated_at",
            "lead_coordinator_id",
        ],
        rows,
    )
    .await?;
    insert_rows(
        &mut tx,
        "guardians",
        &["child_id", "name", "kana", "relation"],
        guardians,
    )
    .await?;
    insert_rows(
        &mut tx,
        "child_events",
        &["child_id", "at", "kind", "summary"],
        events,
    )
    .await?;
    tx.commit().await?;
    progress("children", c.children, c.children, started);

    // Consultations, with a category each, in batches with a progress bar.
    let categories: Vec<(i64,)> = query("SELECT id FROM consultation_categories ORDER BY id")
        .fetch_all(db)
        .await?;
    let batch = 50_000;
    let mut done = 0;
    while done < c.consultations {
        let n = batch.min(c.consultations - done);
        let mut tx = db.begin().await?;
        let mut rows = Vec::with_capacity(n);
        let mut cats = Vec::with_capacity(n);
        for k in 0..n {
            let id = (done + k + 1) as i64;
            let child = rng.below(c.children);
            let day = busy_day(&mut rng, today, 3 * 365);
            let when = at(day, 60 + rng.below(480) as i64);
            let area = Value::from((child_area[child] + 1) as i64);
            // One in eight is to be followed up within two weeks.
            let follow_up =
                (rng.below(8) == 0).then(|| day + Duration::days(1 + rng.below(14) as i64));
            rows.push(vec![
                Value::from(id),
                area.clone(),
                Value::from((k % 10 != 0).then_some((child + 1) as i64)),
                Value::from(when),
                Value::from(*rng.pick(&CHANNELS)),
                Value::from(*rng.pick(&REQUESTERS)),
                Value::from(*rng.pick(&CONCERNS)),
                Value::from(10 + rng.below(50) as i64),
                Value::from(follow_up),
                Value::from(at(day, 600)),
            ]);
            cats.push(vec![
                Value::from(id),
                Value::from(rng.pick(&categories).0),
                area,
                Value::from(when),
            ]);
        }
        insert_rows(
            &mut tx,
            "consultations",
            &[
                "id",
                "area_id",
                "child_id",
                "at",
                "channel",
                "requester",
                "concern",
                "minutes",
                "follow_up_on",
                "created_at",
            ],
            rows,
        )
        .await?;
        insert_rows(
            &mut tx,
            "consultation_category_links",
            &["consultation_id", "category_id", "area_id", "at"],
            cats,
        )
        .await?;
        tx.commit().await?;
        done += n;
        progress("consultations", done, c.consultations, started);
    }

    // Care teams, referrals, meetings and transitions, each child with agencies of its area.
    let agencies_of_area: Vec<Vec<i64>> = (0..c.areas)
        .map(|a| {
            agency_area
                .iter()
                .enumerate()
                .filter(|(_, x)| **x == a)
                .map(|(i, _)| (i + 1) as i64)
                .collect()
        })
        .collect();
    let mut tx = db.begin().await?;
    // The agencies each child's guardians have agreed to share with: its team and referrals.
    let mut child_agencies: Vec<Vec<i64>> = vec![Vec::new(); c.children];
    let mut rows = Vec::with_capacity(c.team);
    for i in 0..c.team {
        let child = i % c.children;
        let from = today - Duration::days(rng.below(900) as i64);
        let agency = *rng.pick(&agencies_of_area[child_area[child]]);
        child_agencies[child].push(agency);
        rows.push(vec![
            Value::from((child + 1) as i64),
            Value::from(agency),
            t(["担任", "主治医", "保健師", "相談支援専門員"][i % 4]),
            Value::from(from),
            Value::from((i % 5 == 0).then(|| from + Duration::days(120))),
            Value::from(true),
            Value::from(now),
        ]);
    }
    insert_rows(
        &mut tx,
        "care_team_members",
        &[
            "child_id",
            "agency_id",
            "role",
            "from_on",
            "to_on",
            "family_agreed",
            "created_at",
        ],
        rows,
    )
    .await?;
    progress("care teams", c.team, c.team, started);
    let mut rows = Vec::with_capacity(c.referrals);
    for i in 0..c.referrals {
        let child = rng.below(c.children);
        let day = busy_day(&mut rng, today, 3 * 365);
        // Agencies answer within weeks: a referral still open is a recent one, but for a few
        // that were never answered.
        let state = if today - day < Duration::days(21) || rng.below(400) == 0 {
            "open"
        } else {
            ["accepted", "accepted", "completed", "declined", "cancelled"][rng.below(5)]
        };
        let answered = (state != "open" && state != "cancelled")
            .then(|| at(day + Duration::days(1 + rng.below(20) as i64), 600));
        let agency = *rng.pick(&agencies_of_area[child_area[child]]);
        child_agencies[child].push(agency);
        rows.push(vec![
            Value::from((i + 1) as i64),
            Value::from((child + 1) as i64),
            Value::from(agency),
            t("専門的な支援のため"),
            t("profile,accommodations"),
            t(state),
            Value::from(coordinators[child_area[child]]),
            Value::from(at(day, 540)),
            Value::from(answered),
        ]);
    }
    insert_rows(
        &mut tx,
        "referrals",
        &[
            "id",
            "child_id",
            "agency_id",
            "reason",
            "parts",
            "state",
            "created_by",
            "created_at",
            "answered_at",
        ],
        rows,
    )
    .await?;
    progress("referrals", c.referrals, c.referrals, started);
    // A written consent for nine children in ten, naming those agencies; the tenth has none,
    // so agencies on its team see nothing of it (the consent rule at the prefecture's volume).
    let mut rows = Vec::with_capacity(c.children);
    let mut named = Vec::with_capacity(c.team + c.referrals);
    let mut consent_id = 0i64;
    for (child, agencies) in child_agencies.iter_mut().enumerate() {
        if child % 10 == 9 || agencies.is_empty() {
            continue;
        }
        consent_id += 1;
        agencies.sort_unstable();
        agencies.dedup();
        let from = today - Duration::days(rng.below(1_000) as i64);
        rows.push(vec![
            Value::from(consent_id),
            Value::from((child + 1) as i64),
            t("合成 保護者"),
            t("consent"),
            t("profile,accommodations,care_team,consultations"),
            Value::from(from),
            Value::from(from + Duration::days(3 * 365)),
            t("written"),
            Value::from(at(from, 600)),
        ]);
        for agency in agencies.iter() {
            named.push(vec![Value::from(consent_id), Value::from(*agency)]);
        }
    }
    let consents = rows.len();
    insert_rows(
        &mut tx,
        "consents",
        &[
            "id",
            "child_id",
            "guardian_name",
            "basis",
            "parts",
            "valid_from",
            "valid_to",
            "obtained",
            "created_at",
        ],
        rows,
    )
    .await?;
    insert_rows(
        &mut tx,
        "consent_agencies",
        &["consent_id", "agency_id"],
        named,
    )
    .await?;
    progress("consents", consents, consents, started);
    let mut rows = Vec::with_capacity(c.meetings);
    let mut participants = Vec::with_capacity(c.meetings * 2);
    for i in 0..c.meetings {
        let child = rng.below(c.children);
        let day = if i % 20 == 0 {
            today + Duration::days(rng.below(30) as i64)
        } else {
            busy_day(&mut rng, today, 3 * 365)
        };
        let starts = at(day, 60);
        let status = if day >= today { "scheduled" } else { "held" };
        rows.push(vec![
            Value::from((i + 1) as i64),
            Value::from((child + 1) as i64),
            Value::from((child_area[child] + 1) as i64),
            t("支援会議"),
            Value::from(starts),
            Value::from(starts + Duration::hours(1)),
            t(status),
            Value::from(now),
            Value::from(now),
        ]);
        for _ in 0..2 {
            let agency = *rng.pick(&agencies_of_area[child_area[child]]);
            participants.push(vec![
                Value::from((i + 1) as i64),
                Value::from(agency),
                t("関係機関"),
            ]);
        }
    }
    insert_rows(
        &mut tx,
        "meetings",
        &[
            "id",
            "child_id",
            "area_id",
            "purpose",
            "starts_at",
            "ends_at",
            "status",
            "created_at",
            "updated_at",
        ],
        rows,
    )
    .await?;
    insert_rows(
        &mut tx,
        "meeting_participants",
        &["meeting_id", "agency_id", "name"],
        participants,
    )
    .await?;
    progress("meetings", c.meetings, c.meetings, started);
    let mut rows = Vec::with_capacity(c.transitions);
    for i in 0..c.transitions {
        let child = rng.below(c.children);
        let cohort = tsunagu_domain::school_year::Cohort::of(child_birth[child]);
        let (kind, on) = cohort
            .upcoming_moves(today - Duration::days(400))
            .into_iter()
            .next()
            .unwrap_or((
                tsunagu_domain::school_year::TransitionKind::ChangeOfSchool,
                today,
            ));
        rows.push(vec![
            Value::from((i + 1) as i64),
            Value::from((child + 1) as i64),
            t(kind.code()),
            Value::from(on),
            t(if on < today { "done" } else { "planned" }),
            Value::from(now),
        ]);
    }
    insert_rows(
        &mut tx,
        "transitions",
        &["id", "child_id", "kind", "move_on", "status", "created_at"],
        rows,
    )
    .await?;
    reset_sequences(
        &mut tx,
        &[
            "areas",
            "agencies",
            "users",
            "children",
            "guardians",
            "child_events",
            "consultations",
            "care_team_members",
            "referrals",
            "consents",
            "meetings",
            "meeting_participants",
            "transitions",
        ],
    )
    .await?;
    tx.commit().await?;
    progress("transitions", c.transitions, c.transitions, started);

    // The audit log: reads and changes over three years, one valid hash chain.
    let mut prev = audit::GENESIS.to_string();
    let chain_key = audit::chain_key(db).clone();
    let actions = [
        "child.read",
        "child.read",
        "child.read",
        "consultation.create",
        "home.read",
        "child.search",
        "referral.inbox",
    ];
    let first = now - Duration::days(3 * 365);
    let step = (3 * 365 * 24 * 3600) as f64 / c.audit.max(1) as f64;
    let batch = 100_000;
    let mut done = 0;
    while done < c.audit {
        let n = batch.min(c.audit - done);
        let mut tx = db.begin().await?;
        let mut rows = Vec::with_capacity(n);
        for k in 0..n {
            let id = (done + k + 1) as i64;
            let user = rng.below(logins.len());
            let entry = audit::sealed(
                Entry {
                    id,
                    at: first + Duration::seconds((id as f64 * step) as i64),
                    user_id: Some((user + 1) as i64),
                    user_login: Some(logins[user].clone()),
                    action: rng.pick(&actions).to_string(),
                    object_type: Some("child".into()),
                    object_id: Some((rng.below(c.children) + 1).to_string()),
                    outcome: "success".into(),
                    client_addr: Some("127.0.0.1".into()),
                    request_id: None,
                    detail: None,
                    prev_hash: prev,
                    hash: String::new(),
                },
                &chain_key,
            );
            prev = entry.hash.clone();
            rows.push(entry);
        }
        audit::insert_sealed(&mut tx, &rows).await?;
        tx.commit().await?;
        done += n;
        progress("audit log", done, c.audit, started);
    }
    let mut tx = db.begin().await?;
    reset_sequences(&mut tx, &["audit_log"])
        .await
        .context("audit sequence")?;
    tx.commit().await?;
    progress("indexes", 0, 1, started);
    indexes.rebuild(db).await.context("indexes")?;
    progress("indexes", 1, 1, started);
    eprintln!(
        "合成データを作成しました（{:?}、{:.1}秒）。ログインIDは seed-coordinator-1 など、パスワードは seed-password-2026 です。",
        scale,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
