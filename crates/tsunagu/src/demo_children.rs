//! The demo's children: fictional names (見本, 例題, 試験… are not family names anyone has), ages
//! 0–18 in both demo areas, with guardians, certificates, benefit certificates, accommodations,
//! consultations and consents — some in force, one expired, one revoked, one on the legal basis —
//! so the agency account sees exactly the children shared with its nursery.

use time::{Date, Duration, OffsetDateTime};
use tsunagu_domain::{
    access::SharePart,
    calendar::IfClosed,
    japanese_date,
    plan::Rating,
    school_year::{self, Stage, TransitionKind},
    AgencyId, AreaId, MunicipalityId,
};
use tsunagu_store::{
    children::{
        self, Accommodation, BenefitCertificate, Certificate, ChildId, ChildInput, Guardian,
        NewTeamMember,
    },
    consents::{self, ConsentInput},
    consultations::{self, ConsultationInput},
    db::query,
    plans::{self, GoalInput, PlanInput, ReviewInput},
    transitions::{self, NewTransition},
    Tx,
};

const FAMILY: [(&str, &str); 6] = [
    ("見本", "みほん"),
    ("例題", "れいだい"),
    ("試験", "しけん"),
    ("仮名", "かめい"),
    ("架空", "かくう"),
    ("模擬", "もぎ"),
];
const GIVEN: [(&str, &str, &str); 10] = [
    ("陽翔", "はると", "male"),
    ("結衣", "ゆい", "female"),
    ("蓮", "れん", "male"),
    ("芽依", "めい", "female"),
    ("湊", "みなと", "male"),
    ("陽葵", "ひまり", "female"),
    ("樹", "いつき", "male"),
    ("紬", "つむぎ", "female"),
    ("悠真", "ゆうま", "male"),
    ("凛", "りん", "female"),
];
const CONCERNS: [&str; 6] = [
    "ことばが遅いのではないかと保育園から言われて心配です。",
    "集団の中で落ち着かず、先生から相談したほうがよいと言われました。",
    "来年の就学について、どこに相談すればよいか知りたい。",
    "療育手帳の更新の手続きがわかりません。",
    "放課後に通える場所を探しています。",
    "学校で友だちとのトラブルが続き、登校をしぶっています。",
];
const ACCOMMODATIONS: [&str; 6] = [
    "予定の変更は前日に絵カードで伝えると落ち着いて過ごせる",
    "大きな音が苦手。行事の前にイヤーマフを用意すると参加できる",
    "指示は一つずつ、短いことばで伝える",
    "困ったときに使える「休憩カード」があると自分から休める",
    "午後は疲れやすいので、活動の間に静かな時間をとる",
    "手順を写真で示すと身支度が一人でできる",
];

/// Loads the area's children; `nursery` is the demo agency account's nursery (in 香取海匝).
pub async fn load_area(
    tx: &mut Tx,
    area: AreaId,
    municipality_codes: &[&str],
    count: usize,
    offset: usize,
    nursery: Option<AgencyId>,
) -> anyhow::Result<()> {
    let today = japanese_date::today(OffsetDateTime::now_utc());
    let mut places = Vec::new();
    for code in municipality_codes {
        let (id,): (i64,) = query("SELECT id FROM municipalities WHERE code = $1")
            .bind(*code)
            .fetch_one(&mut *tx)
            .await?;
        places.push(MunicipalityId(id));
    }
    let category_ids: Vec<(i64,)> =
        query("SELECT id FROM consultation_categories ORDER BY sort_order")
            .fetch_all(&mut *tx)
            .await?;
    for i in 0..count {
        let n = offset + i;
        let (family, family_kana) = FAMILY[n % FAMILY.len()];
        let (given, given_kana, sex) = GIVEN[(n * 7 + 3) % GIVEN.len()];
        // Ages spread over 0–18, a few days apart so birthdays differ.
        let birth: Date = today - Duration::days(((n * 373 + 45) % (18 * 365)) as i64 + 200);
        let stage = school_year::Cohort::of(birth).stage_on(today);
        let young = matches!(stage, Stage::BeforeClass | Stage::Preschool(_));
        let days_old = (today - birth).whole_days();
        let input = ChildInput {
            area_id: area,
            family_name: family.into(),
            given_name: given.into(),
            family_kana: family_kana.into(),
            given_kana: given_kana.into(),
            birth_date: Some(birth),
            sex: sex.into(),
            municipality_id: Some(places[n % places.len()]),
            postal_code: None,
            address: Some("（デモ住所）".into()),
            current_agency_id: if matches!(stage, Stage::Preschool(_)) {
                nursery
            } else {
                None
            },
            development_notes: Some("ことばの発達がゆっくり。身振りでのやりとりは活発。".into()),
            health_notes: None,
            diagnoses: (n % 3 == 0).then(|| "自閉スペクトラム症（診断済み）".to_owned()),
            medical_care: (n % 11 == 5).then(|| "経管栄養（日中1回）".to_owned()),
            strengths: Some("電車が大好き。パズルが得意。".into()),
            internal_notes: Some(
                "家族は就学について不安が大きい。次回、母の話をゆっくり聞く。（デモ）".into(),
            ),
            guardians: vec![Guardian {
                name: format!("{family} 保護者"),
                kana: format!("{family_kana} ほごしゃ"),
                relation: if n % 2 == 0 { "母" } else { "父" }.into(),
                phone: Some(format!("090-0000-{:04}", 1000 + n)),
                email: None,
                contact_preference: Some("平日の午後に電話".into()),
            }],
            // 療育手帳 is judged from about three; this one was issued 400 days ago.
            certificates: if n % 3 == 0 && days_old >= 3 * 365 + 400 {
                vec![Certificate {
                    kind: "ryoiku".into(),
                    grade: "Ｂの2".into(),
                    issued_on: Some(today - Duration::days(400)),
                    renewal_on: Some(today + Duration::days(300)),
                }]
            } else {
                vec![]
            },
            // Valid from 300 days ago: only for a child who was past one then.
            benefit_certificates: if n % 2 == 0 && days_old >= 365 + 300 {
                vec![BenefitCertificate {
                    service: match stage {
                        Stage::BeforeClass | Stage::Preschool(_) => "児童発達支援",
                        Stage::AfterSchool => "就労継続支援B型",
                        _ => "放課後等デイサービス",
                    }
                    .into(),
                    amount: Some("月10日".into()),
                    valid_from: Some(today - Duration::days(300)),
                    // Some run out soon, so the coordinator's home page has something to show.
                    valid_to: Some(today + Duration::days(if n % 4 == 0 { 40 } else { 200 })),
                }]
            } else {
                vec![]
            },
            accommodations: vec![
                Accommodation {
                    text: ACCOMMODATIONS[n % ACCOMMODATIONS.len()].into(),
                    found_by: Some(
                        match stage {
                            Stage::BeforeClass => "保健師",
                            Stage::Preschool(_) => "保育園の担任",
                            Stage::AfterSchool => "就業・生活支援センターの支援員",
                            _ => "学校の担任",
                        }
                        .into(),
                    ),
                    found_on: Some(today - Duration::days(90)),
                },
                Accommodation {
                    text: ACCOMMODATIONS[(n + 2) % ACCOMMODATIONS.len()].into(),
                    found_by: Some("保護者".into()),
                    found_on: Some(today - Duration::days(30)),
                },
            ],
        };
        let child = children::insert(tx, &input, None).await?;
        for k in 0..(n % 3 + 1) {
            let at = OffsetDateTime::now_utc() - Duration::days((k * 45 + n) as i64);
            let c = ConsultationInput {
                area_id: area,
                child_id: Some(child),
                at: tsunagu_store::db::normalize_timestamp(at),
                channel: ["電話", "来所", "訪問"][k % 3].into(),
                requester: ["保護者", "園", "学校"][k % 3].into(),
                requester_agency_id: None,
                caller: None,
                concern: CONCERNS[(n + k) % CONCERNS.len()].into(),
                action_taken: Some("話を聞き、次回の面談を約束した。".into()),
                minutes: Some(20 + (k as i64) * 10),
                follow_up_on: None,
                category_ids: vec![category_ids[(n + k) % category_ids.len()].0],
            };
            consultations::create_in(tx, &c).await?;
        }
        if let (Some(nursery), true) = (nursery, young || i < 6) {
            share_with_nursery(tx, child, nursery, i, today).await?;
        }
    }
    Ok(())
}

/// The nursery's demo children: on its care team, with consents in every state.
async fn share_with_nursery(
    tx: &mut Tx,
    child: ChildId,
    nursery: AgencyId,
    i: usize,
    today: Date,
) -> anyhow::Result<()> {
    let member = NewTeamMember {
        agency_id: nursery,
        role: "担任".into(),
        person: Some("仮名 さくら".into()),
        from: today - Duration::days(200),
        family_agreed: true,
    };
    children::insert_team_member(tx, child, &member, None).await?;
    let base = ConsentInput {
        legal: false,
        guardian_name: Some("保護者（デモ）".into()),
        parts: vec![
            SharePart::Profile,
            SharePart::Accommodations,
            SharePart::CareTeam,
        ],
        agency_ids: vec![nursery],
        agency_kind_ids: vec![],
        valid_from: today - Duration::days(200),
        valid_to: Some(today + Duration::days(if i % 2 == 0 { 45 } else { 300 })),
        obtained: "written".into(),
        council_id: None,
        attachment_id: None,
        note: None,
    };
    let consent = match i % 6 {
        // No consent: on the team, but the nursery does not see the child.
        4 => None,
        // Expired yesterday.
        3 => Some(ConsentInput {
            valid_to: Some(today - Duration::days(1)),
            ..base
        }),
        // Revoked.
        5 => {
            let id = consents::insert(tx, child, &base, None).await?;
            query("UPDATE consents SET revoked_on = $1 WHERE id = $2")
                .bind(today - Duration::days(10))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            None
        }
        // The 要保護児童対策地域協議会's legal basis.
        2 => Some(ConsentInput {
            legal: true,
            guardian_name: None,
            obtained: "legal".into(),
            valid_to: None,
            ..base
        }),
        _ => Some(base),
    };
    if let Some(c) = consent {
        consents::insert(tx, child, &c, None).await?;
    }
    Ok(())
}

/// Care teams beyond the nursery, so the area's network picture has links to show: the health
/// centre's nurse and a child development support centre for the youngest, a school and an
/// after-school day service for the older, a clinic now and then. Agencies of other kinds (the
/// employment support centre, say) stay unlinked, as they would in a young network.
pub async fn load_teams(tx: &mut Tx, area: AreaId) -> anyhow::Result<()> {
    let today = japanese_date::today(OffsetDateTime::now_utc());
    let agencies: Vec<(i64, String)> = query(
        "SELECT a.id, k.name FROM agencies a JOIN agency_kinds k ON k.id = a.kind_id \
         WHERE a.municipality_id IN (SELECT municipality_id FROM area_municipalities WHERE area_id = $1) ORDER BY a.id",
    )
    .bind(area)
    .fetch_all(&mut *tx)
    .await?;
    let first = |kind: &str| {
        agencies
            .iter()
            .find(|(_, k)| k == kind)
            .map(|(id, _)| AgencyId(*id))
    };
    let health = first("保健センター・健康福祉センター（保健所）");
    let clinic = first("医療機関");
    let day_service = first("放課後等デイサービス");
    let development = first("児童発達支援事業所・センター");
    let kids: Vec<(i64, Date, Option<i64>)> = query(
        "SELECT id, birth_date, current_agency_id FROM children WHERE area_id = $1 ORDER BY id",
    )
    .bind(area)
    .fetch_all(&mut *tx)
    .await?;
    for (i, (id, birth, current)) in kids.into_iter().enumerate() {
        let child = ChildId(id);
        let stage = school_year::Cohort::of(birth).stage_on(today);
        // The school of the child's stage: no junior-high pupil at an elementary school.
        let school = match stage {
            Stage::BeforeClass | Stage::Preschool(_) => None,
            Stage::Elementary(_) => first("小学校"),
            Stage::JuniorHigh(_) => first("中学校"),
            Stage::HighSchool(_) if i % 2 == 0 => first("特別支援学校"),
            Stage::HighSchool(_) => first("高等学校"),
            Stage::AfterSchool => first("障害者就業・生活支援センター"),
        };
        let mut team: Vec<(Option<AgencyId>, &str)> = Vec::new();
        if matches!(stage, Stage::BeforeClass | Stage::Preschool(_)) {
            team.push((health.filter(|_| i % 2 == 0), "保健師"));
            team.push((development.filter(|_| i % 3 == 0), "児童発達支援管理責任者"));
        } else {
            if current.is_none() {
                query("UPDATE children SET current_agency_id = $1 WHERE id = $2")
                    .bind(school)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            if stage == Stage::AfterSchool {
                team.push((school, "就業支援担当者"));
            } else {
                team.push((school, "担任"));
                team.push((day_service.filter(|_| i % 2 == 0), "児童発達支援管理責任者"));
            }
        }
        team.push((clinic.filter(|_| i % 4 == 1), "主治医"));
        for (agency, role) in team {
            let Some(agency) = agency else { continue };
            let member = NewTeamMember {
                agency_id: agency,
                role: role.into(),
                person: None,
                from: today - Duration::days(150),
                family_agreed: true,
            };
            children::insert_team_member(tx, child, &member, None).await?;
        }
    }
    Ok(())
}

/// A support plan for a child of the area near school entry: version 1 reviewed once, version 2 current and
/// due for its next review within the month, so the home page and the versions have something.
pub async fn load_plan(tx: &mut Tx, area: AreaId) -> anyhow::Result<()> {
    let today = japanese_date::today(OffsetDateTime::now_utc());
    // A child in the last years of preschool, for whom school entry is near.
    let Some((id,)): Option<(i64,)> = query(
        "SELECT id FROM children WHERE area_id = $1 AND birth_date > $2 AND birth_date <= $3 ORDER BY id LIMIT 1",
    )
    .bind(area)
    .bind(today - Duration::days(6 * 365))
    .bind(today - Duration::days(4 * 365))
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    let child = ChildId(id);
    let goal = |goal: &str, who: &str, what: &str, days: i64| GoalInput {
        goal: goal.into(),
        who: Some(who.into()),
        what: Some(what.into()),
        by_on: Some(today + Duration::days(days)),
    };
    let first = PlanInput {
        situation: Some(
            "保育園では集団活動の切り替えに時間がかかる。家庭では落ち着いて過ごせている。".into(),
        ),
        needs: Some("予定の見通しを持って、安心して集団に参加できること。".into()),
        wishes: Some(
            "本人：電車の絵本を園でも読みたい。家族：友だちと一緒に遊べるようになってほしい。"
                .into(),
        ),
        long_term_goal: Some("見通しを持って、園の生活を楽しく過ごせる。".into()),
        review_on: crate::demo::open_day(today - Duration::days(10), IfClosed::Before),
        goals: vec![
            goal(
                "朝の会に最後まで参加できる",
                "保育園（担任）",
                "絵カードで1日の予定を示す",
                -20,
            ),
            goal(
                "困ったときに大人に伝えられる",
                "保護者",
                "家庭でも「休憩カード」を使う",
                -20,
            ),
        ],
    };
    let v1 = plans::insert_first(tx, child, &first, None).await?;
    let goals: Vec<(i64,)> =
        query("SELECT id FROM plan_goals WHERE plan_id = $1 ORDER BY position")
            .bind(v1)
            .fetch_all(&mut *tx)
            .await?;
    let review = ReviewInput {
        plan_id: v1,
        reviewed_on: crate::demo::open_day(today - Duration::days(10), IfClosed::Before),
        summary: Some("朝の会は定着した。休憩カードは園では使えているが家庭ではまだ。".into()),
        progress: vec![
            (
                goals[0].0,
                Some(Rating::Achieved),
                Some("絵カードがあると最後まで参加できた。".into()),
            ),
            (
                goals[1].0,
                Some(Rating::Partly),
                Some("園では使えるようになった。".into()),
            ),
        ],
        next: PlanInput {
            review_on: crate::demo::open_day(today + Duration::days(20), IfClosed::After),
            goals: vec![
                goal(
                    "困ったときに大人に伝えられる",
                    "保護者・保育園",
                    "家庭と園で同じ休憩カードを使う",
                    20,
                ),
                goal(
                    "就学について家族が見通しを持てる",
                    "コーディネーター",
                    "就学相談の日程を一緒に確認する",
                    60,
                ),
            ],
            ..first.clone()
        },
    };
    plans::review_in(tx, child, v1, 1, &review, None).await?;
    Ok(())
}

/// A child in the 年長 year who enters the area's elementary school next April: shared with the
/// nursery and, by the family's consent, with the school; the 就学 transition planned with the
/// checklist's past items done. The receiving school's account (`demo-school`) sees the child
/// once the coordinator sends the handover sheet. Answers the school.
pub async fn load_transition(
    tx: &mut Tx,
    area: AreaId,
    municipality_code: &str,
    nursery: AgencyId,
) -> anyhow::Result<Option<AgencyId>> {
    let today = japanese_date::today(OffsetDateTime::now_utc());
    let (municipality,): (i64,) = query("SELECT id FROM municipalities WHERE code = $1")
        .bind(municipality_code)
        .fetch_one(&mut *tx)
        .await?;
    let school: Option<(i64,)> = query(
        "SELECT a.id FROM agencies a JOIN agency_kinds k ON k.id = a.kind_id \
         WHERE k.name = '小学校' AND a.municipality_id IN (SELECT municipality_id FROM area_municipalities WHERE area_id = $1) ORDER BY a.id LIMIT 1",
    )
    .bind(area)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((school,)) = school else {
        return Ok(None);
    };
    let school = AgencyId(school);
    // Born in June six school years ago: 年長 now, first grade next April.
    let fy = school_year::fiscal_year(today);
    let birth = Date::from_calendar_date(fy - 6, time::Month::June, 15)?;
    let input = ChildInput {
        area_id: area,
        family_name: "見本".into(),
        given_name: "はると".into(),
        family_kana: "みほん".into(),
        given_kana: "はると".into(),
        birth_date: Some(birth),
        sex: "male".into(),
        municipality_id: Some(MunicipalityId(municipality)),
        postal_code: None,
        address: Some("（デモ住所）".into()),
        current_agency_id: Some(nursery),
        development_notes: Some("2語文が出てきた。見通しが立つと落ち着いて参加できる。".into()),
        health_notes: Some("食物アレルギー（卵）。".into()),
        diagnoses: Some("自閉スペクトラム症（診断済み）".into()),
        medical_care: None,
        strengths: Some("電車と数字が大好き。ひらがなが読める。".into()),
        internal_notes: Some("母は通常の学級か特別支援学級かで迷っている。（デモ）".into()),
        guardians: vec![Guardian {
            name: "見本 保護者".into(),
            kana: "みほん ほごしゃ".into(),
            relation: "母".into(),
            phone: Some("090-0000-2026".into()),
            email: None,
            contact_preference: Some("平日の午後に電話".into()),
        }],
        certificates: vec![],
        benefit_certificates: vec![],
        accommodations: vec![
            Accommodation {
                text: "一日の流れを絵カードで示すと、切り替えがスムーズになる".into(),
                found_by: Some("保育園の担任".into()),
                found_on: Some(today - Duration::days(120)),
            },
            Accommodation {
                text: "大きな音が苦手。イヤーマフを使うと集会に参加できる".into(),
                found_by: Some("保護者".into()),
                found_on: Some(today - Duration::days(60)),
            },
        ],
    };
    let child = children::insert(tx, &input, None).await?;
    // The school joins the care team after the move; until the handover is sent it does not
    // see the child, although the family's consent already names it.
    let member = NewTeamMember {
        agency_id: nursery,
        role: "担任".into(),
        person: Some("仮名 さくら".into()),
        from: today - Duration::days(400),
        family_agreed: true,
    };
    children::insert_team_member(tx, child, &member, None).await?;
    let consent = ConsentInput {
        legal: false,
        guardian_name: Some("見本 保護者".into()),
        parts: vec![
            SharePart::Profile,
            SharePart::Accommodations,
            SharePart::CareTeam,
        ],
        agency_ids: vec![nursery, school],
        agency_kind_ids: vec![],
        valid_from: today - Duration::days(30),
        valid_to: Some(today + Duration::days(365)),
        obtained: "written".into(),
        council_id: None,
        attachment_id: None,
        note: Some("就学に向けた引継ぎのため".into()),
    };
    consents::insert(tx, child, &consent, None).await?;
    let new = NewTransition {
        kind: TransitionKind::ToElementary,
        move_on: school_year::fiscal_year_start(fy + 1),
        from_agency_id: Some(nursery),
        to_agency_id: Some(school),
        to_name: String::new(),
        note: Some("通常の学級を希望。通級指導教室の利用も検討。".into()),
    };
    let transition = transitions::insert(tx, child, &new, None).await?;
    // What the calendar already passed has been done.
    query("UPDATE transition_items SET done_on = due_on WHERE transition_id = $1 AND due_on < $2")
        .bind(transition)
        .bind(today)
        .execute(&mut *tx)
        .await?;
    Ok(Some(school))
}
