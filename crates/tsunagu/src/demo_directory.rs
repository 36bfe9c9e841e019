//! The demo's directory: a believable, fictional set of agencies of every kind in each demo area,
//! and a few councils. Every name ends in （デモ） so no one mistakes it for a real place.

use tsunagu_domain::{AgencyId, AreaId, MunicipalityId};
use tsunagu_store::{
    agencies::{self, AgencyInput, Contact},
    councils::{self, CouncilInput},
    db::query,
    RequestMeta, Tx,
};

/// (kind, how many per area, name pattern, reading pattern, ages, services). `{s}` is a stem,
/// `{m}` the municipality.
type KindPlan = (
    &'static str,
    usize,
    &'static str,
    &'static str,
    Option<(i64, i64)>,
    &'static [&'static str],
);

const PLAN: [KindPlan; 21] = [
    (
        "市町村障害福祉主管課",
        1,
        "{m}障害福祉課",
        "しょうがいふくしか",
        None,
        &[],
    ),
    (
        "市町村児童主管課・こども家庭センター",
        1,
        "{m}こども家庭センター",
        "こどもかていせんたー",
        Some((0, 18)),
        &["発達相談"],
    ),
    (
        "保健センター・健康福祉センター（保健所）",
        1,
        "{m}保健センター",
        "ほけんせんたー",
        Some((0, 6)),
        &["発達相談", "療育相談"],
    ),
    (
        "保育所・認定こども園",
        4,
        "{s}保育園",
        "ほいくえん",
        Some((0, 5)),
        &[],
    ),
    ("幼稚園", 1, "{s}幼稚園", "ようちえん", Some((3, 5)), &[]),
    (
        "小学校",
        4,
        "{s}小学校",
        "しょうがっこう",
        Some((6, 12)),
        &[],
    ),
    (
        "中学校",
        2,
        "{s}中学校",
        "ちゅうがっこう",
        Some((12, 15)),
        &[],
    ),
    (
        "高等学校",
        1,
        "{s}高等学校",
        "こうとうがっこう",
        Some((15, 18)),
        &[],
    ),
    (
        "特別支援学校",
        1,
        "{s}特別支援学校",
        "とくべつしえんがっこう",
        Some((6, 18)),
        &["巡回相談"],
    ),
    (
        "医療機関",
        2,
        "{s}こどもクリニック",
        "こどもくりにっく",
        Some((0, 18)),
        &["発達相談", "療育相談"],
    ),
    (
        "子育て支援センター",
        1,
        "{s}子育て支援センター",
        "こそだてしえんせんたー",
        Some((0, 6)),
        &["発達相談"],
    ),
    (
        "発達障害者支援センター",
        1,
        "発達障害者支援センター{s}分室",
        "はったつしょうがいしゃしえんせんたー",
        None,
        &["発達相談", "巡回相談"],
    ),
    (
        "中核地域生活支援センター",
        1,
        "中核地域生活支援センター{s}",
        "ちゅうかくちいきせいかつしえんせんたー",
        None,
        &["計画相談支援"],
    ),
    (
        "障害者就業・生活支援センター",
        1,
        "就業・生活支援センター{s}",
        "しゅうぎょうせいかつしえんせんたー",
        Some((15, 64)),
        &["就労支援"],
    ),
    (
        "児童相談所",
        1,
        "{s}児童相談所",
        "じどうそうだんじょ",
        Some((0, 18)),
        &[],
    ),
    (
        "児童発達支援事業所・センター",
        3,
        "児童発達支援事業所{s}",
        "じどうはったつしえんじぎょうしょ",
        Some((0, 6)),
        &["児童発達支援", "保育所等訪問支援"],
    ),
    (
        "放課後等デイサービス",
        3,
        "放課後等デイサービス{s}",
        "ほうかごとうでいさーびす",
        Some((6, 18)),
        &["放課後等デイサービス"],
    ),
    (
        "障害児相談支援事業所",
        2,
        "相談支援事業所{s}",
        "そうだんしえんじぎょうしょ",
        Some((0, 18)),
        &["障害児相談支援", "計画相談支援"],
    ),
    (
        "障害児入所施設",
        1,
        "{s}学園",
        "がくえん",
        Some((6, 18)),
        &["障害児入所支援", "短期入所"],
    ),
    ("その他", 1, "{s}親の会", "おやのかい", None, &["療育相談"]),
    // Last, so the names drawn before it stay as they were.
    (
        "教育委員会",
        1,
        "{m}教育委員会",
        "きょういくいいんかい",
        Some((5, 15)),
        &[],
    ),
];

const STEMS: [&str; 12] = [
    "ひまわり",
    "わかば",
    "あおぞら",
    "こもれび",
    "すずらん",
    "たんぽぽ",
    "にじいろ",
    "つばさ",
    "ほしぞら",
    "うみかぜ",
    "もみじ",
    "かすみ",
];

const STAFF: [&str; 6] = [
    "見本 ゆうこ",
    "例題 まこと",
    "試験 あやか",
    "仮名 たけし",
    "見本 ひろみ",
    "例題 さとる",
];

/// The contact's role as the field would have it at an agency of `kind`: a 児童発達支援管理責任者
/// works at a 児童発達支援 or 放課後等デイサービス provider, never at the town hall.
fn role_at(kind: &str) -> &'static str {
    match kind {
        "市町村障害福祉主管課" => "ケースワーカー",
        "市町村児童主管課・こども家庭センター" => "統括支援員",
        "保健センター・健康福祉センター（保健所）" => "保健師",
        "保育所・認定こども園" => "主任保育士",
        "幼稚園" => "幼稚園教諭",
        "教育委員会" => "就学相談担当指導主事",
        "小学校" | "中学校" | "高等学校" | "特別支援学校" => {
            "特別支援教育コーディネーター"
        }
        "医療機関" => "医師",
        "子育て支援センター" => "保育士",
        "発達障害者支援センター" | "中核地域生活支援センター" => "相談員",
        "障害者就業・生活支援センター" => "就業支援担当者",
        "児童相談所" => "児童福祉司",
        "児童発達支援事業所・センター" | "放課後等デイサービス" | "障害児入所施設" => {
            "児童発達支援管理責任者"
        }
        "障害児相談支援事業所" => "相談支援専門員",
        _ => "代表",
    }
}

/// Creates the area's agencies; answers their ids.
pub async fn load_area(
    tx: &mut Tx,
    meta: &RequestMeta,
    area_index: usize,
    municipality_codes: &[&str],
) -> anyhow::Result<Vec<AgencyId>> {
    let mut places = Vec::new();
    for code in municipality_codes {
        let (id, name): (i64, String) =
            query("SELECT id, name FROM municipalities WHERE code = $1")
                .bind(*code)
                .fetch_one(&mut *tx)
                .await?;
        places.push((MunicipalityId(id), name));
    }
    let kinds = kind_ids(tx).await?;
    let mut ids = Vec::new();
    let mut n = area_index * 7;
    for (kind, count, name_pattern, reading, ages, services) in PLAN {
        let kind_id = kinds
            .iter()
            .find(|(_, name)| name == kind)
            .map(|(id, _)| *id)
            .unwrap_or_default();
        for i in 0..count {
            n += 1;
            let (municipality, town) = &places[(n + i) % places.len()];
            let stem = STEMS[n % STEMS.len()];
            let name = format!(
                "{}（デモ）",
                name_pattern.replace("{s}", stem).replace("{m}", town)
            );
            let kana = if name_pattern.contains("{m}") {
                reading.to_owned()
            } else if name_pattern.starts_with("{s}") {
                format!("{stem}{reading}")
            } else {
                format!("{reading}{stem}")
            };
            let (staff, role) = (STAFF[n % STAFF.len()], role_at(kind));
            let input = AgencyInput {
                name,
                kana,
                kind_id,
                municipality_id: *municipality,
                postal_code: None,
                address: Some(format!(
                    "{town}中央{}丁目{}番（デモ住所）",
                    n % 5 + 1,
                    n % 20 + 1
                )),
                phone: Some(format!("0478-00-{:04}", 1000 + n)),
                fax: None,
                email: None,
                website: None,
                hours: Some("平日 9:00〜17:00".into()),
                age_from: ages.map(|a| a.0),
                age_to: ages.map(|a| a.1),
                needs_served: None,
                capacity_note: (!services.is_empty())
                    .then(|| format!("定員10名。現在の空き{}名", n % 3)),
                capacity_checked_on: None,
                notes: None,
                contacts: vec![Contact {
                    name: staff.into(),
                    role: Some(role.into()),
                }],
                services: services.iter().map(|s| (*s).to_owned()).collect(),
                served_area_ids: vec![],
            };
            ids.push(agencies::create_in(tx, meta, &input).await?);
        }
    }
    Ok(ids)
}

async fn kind_ids(tx: &mut Tx) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(query("SELECT id, name FROM agency_kinds")
        .fetch_all(&mut *tx)
        .await?)
}

/// The nursery the demo's agency account works at.
pub async fn demo_nursery(
    tx: &mut Tx,
    meta: &RequestMeta,
    katori_city: MunicipalityId,
) -> anyhow::Result<AgencyId> {
    let kinds = kind_ids(tx).await?;
    let kind_id = kinds
        .iter()
        .find(|(_, n)| n == "保育所・認定こども園")
        .map(|(id, _)| *id)
        .unwrap_or_default();
    let input = AgencyInput {
        name: "つなぐ保育園（デモ）".into(),
        kana: "つなぐほいくえん".into(),
        kind_id,
        municipality_id: katori_city,
        postal_code: None,
        address: Some("香取市中央1丁目1番（デモ住所）".into()),
        phone: Some("0478-00-0001".into()),
        fax: None,
        email: None,
        website: None,
        hours: Some("平日 7:00〜19:00".into()),
        age_from: Some(0),
        age_to: Some(5),
        needs_served: Some("発達に心配のあるお子さんの受け入れ（加配あり）".into()),
        capacity_note: Some("定員90名。1歳児クラスに空き1名".into()),
        capacity_checked_on: None,
        notes: None,
        contacts: vec![Contact {
            name: "仮名 さくら".into(),
            role: Some("主任保育士".into()),
        }],
        services: vec![],
        served_area_ids: vec![],
    };
    Ok(agencies::create_in(tx, meta, &input).await?)
}

/// The councils the seed names, for each demo area.
pub async fn load_councils(
    tx: &mut Tx,
    meta: &RequestMeta,
    area: AreaId,
    area_name: &str,
    members: &[AgencyId],
) -> anyhow::Result<()> {
    for (kind, name, take) in [
        (
            "independence_support",
            format!("{area_name}地域自立支援協議会 療育支援部会（デモ）"),
            8,
        ),
        (
            "child_protection",
            format!("{area_name}要保護児童対策地域協議会（デモ）"),
            5,
        ),
    ] {
        let input = CouncilInput {
            name,
            kind: kind.into(),
            area_id: area,
            note: None,
            member_ids: members.iter().step_by(3).take(take).copied().collect(),
        };
        councils::create_in(tx, meta, &input).await?;
    }
    Ok(())
}
