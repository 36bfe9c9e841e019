//! `serve --demo`: fictional data for the two areas the seed names (香取海匝 and 柏市) and one
//! account per role. Every name here is made up; later features add their own demo data here.

use tsunagu_domain::{people::OperatorKind, AreaId, MunicipalityId, Role};

use crate::demo_directory;
use tsunagu_store::{
    areas::{self, AreaInput},
    db::query,
    users::{self, NewUser},
    Db, RequestMeta,
};

/// A demo account: printed at start, and what the tests log in with.
pub struct DemoAccount {
    pub login: &'static str,
    pub password: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    pub area: Option<&'static str>,
    pub description: &'static str,
}

const fn account(
    login: &'static str,
    password: &'static str,
    display_name: &'static str,
    role: Role,
    area: Option<&'static str>,
    description: &'static str,
) -> DemoAccount {
    DemoAccount {
        login,
        password,
        display_name,
        role,
        area,
        description,
    }
}

pub const ACCOUNTS: [DemoAccount; 10] = [
    account(
        "demo-admin",
        "demo-admin-pass-2026",
        "見本 管理者",
        Role::Admin,
        None,
        "システム管理者",
    ),
    account(
        "demo-coordinator",
        "demo-coordinator-pass-2026",
        "見本 はな子",
        Role::Coordinator,
        Some(KATORI),
        "コーディネーター（香取海匝）",
    ),
    account(
        "demo-coordinator-kashiwa",
        "demo-kashiwa-pass-2026",
        "試験 つむぎ",
        Role::Coordinator,
        Some(KASHIWA),
        "コーディネーター（柏市）",
    ),
    account(
        "demo-kashiwa-medical",
        "demo-kashiwa-medical-pass-2026",
        "試験 あおい",
        Role::Coordinator,
        Some(KASHIWA),
        "コーディネーター（柏市・兼務・医療型）",
    ),
    account(
        "demo-kashiwa-welfare",
        "demo-kashiwa-welfare-pass-2026",
        "試験 みのる",
        Role::Coordinator,
        Some(KASHIWA),
        "コーディネーター（柏市・兼務・福祉型、いま研修で不在）",
    ),
    account(
        "demo-supervisor",
        "demo-supervisor-pass-2026",
        "例題 次郎",
        Role::Supervisor,
        Some(KATORI),
        "市町村担当者（香取海匝）",
    ),
    account(
        "demo-supervisor-kashiwa",
        "demo-supervisor-kashiwa-pass-2026",
        "例題 みどり",
        Role::Supervisor,
        Some(KASHIWA),
        "市町村担当者（柏市：3人のチームの担当状況を見る）",
    ),
    account(
        "demo-agency",
        "demo-agency-pass-2026",
        "仮名 さくら",
        Role::AgencyStaff,
        None,
        "関係機関職員（香取海匝の保育園）",
    ),
    account(
        "demo-school",
        "demo-school-pass-2026",
        "仮名 まなぶ",
        Role::AgencyStaff,
        None,
        "関係機関職員（香取海匝の小学校：就学の引継ぎを受け取る）",
    ),
    account(
        "demo-committee",
        "demo-committee-pass-2026",
        "見本 審議委員",
        Role::Committee,
        None,
        "療育支援専門部会",
    ),
];

const KATORI: &str = "香取海匝";
const KASHIWA: &str = "柏市";

/// Municipality codes of each demo area: 香取 and 海匝 regions; 柏市 alone.
const KATORI_CODES: [&str; 7] = [
    "12236", "12342", "12347", "12349", "12202", "12215", "12235",
];
const KASHIWA_CODES: [&str; 1] = ["12217"];

/// Loads the demo into an empty database (no users yet); answers the accounts, or `None` if the
/// database already held data and nothing was changed.
pub async fn load_if_empty(db: &Db) -> anyhow::Result<Option<&'static [DemoAccount]>> {
    if users::count(db).await? > 0 {
        return Ok(None);
    }
    let meta = RequestMeta {
        client_addr: Some("demo".into()),
        request_id: None,
    };
    let mut tx = db.begin().await?;
    let mut area_ids = Vec::new();
    // 香取海匝: one coordinator, entrusted; 柏市: a team of three (専任1・兼務2), its own rule.
    for (name, kana, codes, note, operator, eligibility, limit) in [
        (
            KATORI,
            "かとりかいそう",
            &KATORI_CODES[..],
            "デモ：香取・海匝圏域の4市3町を1人のコーディネーターが担当",
            Some("社会福祉法人 見本の里（障害児等療育支援事業受託者）"),
            "全ての障害",
            40,
        ),
        (
            KASHIWA,
            "かしわし",
            &KASHIWA_CODES[..],
            "デモ：柏市のコーディネート支援",
            None,
            "全ての障害（身体障害の成人を除く）",
            30,
        ),
    ] {
        let mut municipality_ids = Vec::new();
        for code in codes {
            let (id,): (i64,) = query("SELECT id FROM municipalities WHERE code = $1")
                .bind(*code)
                .fetch_one(&mut tx)
                .await?;
            municipality_ids.push(MunicipalityId(id));
        }
        let input = AreaInput {
            name: name.into(),
            kana: kana.into(),
            note: Some(note.into()),
            municipality_ids,
            active: true,
            operator_kind: if operator.is_some() {
                OperatorKind::Entrusted
            } else {
                OperatorKind::Municipal
            },
            operator_name: operator.map(str::to_owned),
            eligibility_note: Some(eligibility.into()),
            caseload_limit: Some(limit),
            closure: Some(Default::default()),
        };
        area_ids.push((
            name,
            areas::create_area(&mut tx, &meta, None, &input).await?,
        ));
    }
    let (katori_city,): (i64,) = query("SELECT id FROM municipalities WHERE code = '12236'")
        .fetch_one(&mut tx)
        .await?;
    let nursery = demo_directory::demo_nursery(&mut tx, &meta, MunicipalityId(katori_city)).await?;
    // The elementary school the demo's 年長 child moves to; its staff is `demo-school`.
    let mut school = None;
    for (i, (name, id)) in area_ids.iter().enumerate() {
        let codes: &[&str] = if *name == KATORI {
            &KATORI_CODES
        } else {
            &KASHIWA_CODES
        };
        let mut members = vec![nursery];
        members.extend(demo_directory::load_area(&mut tx, &meta, i, codes).await?);
        demo_directory::load_councils(&mut tx, &meta, *id, name, &members).await?;
        let (count, offset, shared) = if *name == KATORI {
            (14, 0, Some(nursery))
        } else {
            (8, 20, None)
        };
        crate::demo_children::load_area(&mut tx, *id, codes, count, offset, shared).await?;
        crate::demo_children::load_teams(&mut tx, *id).await?;
        crate::demo_children::load_plan(&mut tx, *id).await?;
        if *name == KATORI {
            school = crate::demo_children::load_transition(&mut tx, *id, codes[0], nursery).await?;
            crate::demo_activities::load(&mut tx, *id, nursery).await?;
        }
    }
    let area = |name: &str| -> Vec<AreaId> {
        area_ids
            .iter()
            .filter(|(n, _)| *n == name)
            .map(|(_, id)| *id)
            .collect()
    };
    for a in &ACCOUNTS {
        let new = NewUser {
            login: a.login.into(),
            display_name: a.display_name.into(),
            role: a.role,
            area_ids: a.area.map(area).unwrap_or_default(),
            agency_id: match (a.role, a.login) {
                (Role::AgencyStaff, "demo-school") => school,
                (Role::AgencyStaff, _) => Some(nursery),
                _ => None,
            },
            password: a.password.into(),
            must_change_password: false,
        };
        users::create(&mut tx, &meta, None, new).await?;
    }
    let katori = area(KATORI)[0];
    let kashiwa = area(KASHIWA)[0];
    crate::demo_people::load(&mut tx, &meta, katori, kashiwa).await?;
    tx.commit().await?;
    Ok(Some(&ACCOUNTS))
}

/// The demo password of `login`, for tests and docs.
/// The working day on or before (`IfClosed::Before`) or after `d`: the demo schedules its
/// meetings, reviews and follow-ups on days an office is open, as a coordinator would.
pub fn open_day(d: time::Date, rule: tsunagu_domain::calendar::IfClosed) -> time::Date {
    let closure = tsunagu_domain::calendar::YearEndClosure::default();
    tsunagu_domain::calendar::working_day(d, Some(&closure), rule)
}

pub fn password_of(login: &str) -> Option<&'static str> {
    ACCOUNTS
        .iter()
        .find(|a| a.login == login)
        .map(|a| a.password)
}
