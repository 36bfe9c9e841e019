//! Handover sheets (引継ぎシート): drafted from the child's record for a receiving agency, edited
//! by the coordinator (the family reviews it on paper), sent under the consent rule with a
//! disclosure record, acknowledged by the agency, and answered after the move with feedback
//! (how the child settled, what still needs support), which lands on the child's timeline.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    access::{Purpose, SharePart},
    handover::HandoverStatus,
    japanese_date, Actor, AgencyId, ChildId, HandoverId, Role, TransitionId,
};

use crate::{
    access::{self, ChildAccess},
    audit::{self, Event, Outcome, RequestMeta},
    children,
    db::{query, On},
    Error, Result, Unit,
};

/// The sections of the sheet, after 就学支援シート and 個別の教育支援計画: column and heading.
pub const SECTIONS: [(&str, &str); 16] = [
    ("profile", "本人のプロフィール"),
    ("health", "健康・医療（服薬、医療的ケア、アレルギー）"),
    ("movement", "運動・身体の動き"),
    ("eating", "日常生活：食事"),
    ("toileting", "日常生活：排泄"),
    ("dressing", "日常生活：着替え（着脱）"),
    ("relating", "人との関わり"),
    ("group_activity", "集団での活動"),
    ("communication", "コミュニケーション（ことば・伝え方）"),
    ("likes", "好きなこと・得意なこと"),
    ("difficulties", "苦手なこと・困りやすい場面"),
    ("accommodations", "うまくいっている配慮・支援（配慮事項）"),
    ("current_practice", "今の園・学校でうまくいっている取り組み"),
    ("wishes_child", "本人の願い"),
    ("wishes_family", "保護者の願い"),
    ("contacts", "支援チームの連絡先"),
];

/// The text of every section, in [`SECTIONS`] order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Sections(pub Vec<String>);

impl Sections {
    pub fn get(&self, code: &str) -> &str {
        SECTIONS
            .iter()
            .position(|(c, _)| *c == code)
            .and_then(|i| self.0.get(i))
            .map_or("", String::as_str)
    }

    /// The headings of the sections left empty: what the coordinator is warned of before
    /// sending.
    pub fn empty_labels(&self) -> Vec<&'static str> {
        self.labelled()
            .into_iter()
            .filter(|(_, _, text)| text.trim().is_empty())
            .map(|(_, label, _)| label)
            .collect()
    }

    /// Heading and text of each section, for the sheet and its print.
    pub fn labelled(&self) -> Vec<(&'static str, &'static str, &str)> {
        SECTIONS
            .iter()
            .enumerate()
            .map(|(i, (code, label))| (*code, *label, self.0.get(i).map_or("", String::as_str)))
            .collect()
    }
}

pub fn status_label(status: &str) -> &'static str {
    match HandoverStatus::from_code(status) {
        Some(s) => s.label(),
        None if status == "none" => "未作成",
        None => "",
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HandoverSheet {
    #[schema(value_type = i64)]
    pub id: HandoverId,
    #[schema(value_type = i64)]
    pub child_id: ChildId,
    pub child_name: String,
    pub area_id: i64,
    pub area_name: String,
    pub transition_id: Option<i64>,
    pub transition_kind: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub move_on: Option<Date>,
    pub agency_id: i64,
    pub agency_name: String,
    /// draft, sent or acknowledged
    #[schema(value_type = String)]
    pub status: HandoverStatus,
    pub sections: Sections,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The day the guardian went through the sheet before it was sent, and who.
    #[schema(value_type = Option<String>, format = Date)]
    pub guardian_checked_on: Option<Date>,
    pub guardian_checked_by: Option<String>,
    pub sent_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    pub acknowledged_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub acknowledged_at: Option<OffsetDateTime>,
    pub feedback_settled: Option<String>,
    pub feedback_needs: Option<String>,
    pub feedback_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub feedback_at: Option<OffsetDateTime>,
}

impl HandoverSheet {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
    /// Whether the receiving agency acknowledged it before the day of the move (the figure the
    /// evaluation counts).
    pub fn acknowledged_before_move(&self) -> Option<bool> {
        let (ack, move_on) = (self.acknowledged_at?, self.move_on?);
        Some(japanese_date::today(ack) < move_on)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: HandoverId,
    child_id: ChildId,
    child_name: String,
    area_id: i64,
    area_name: String,
    transition_id: Option<i64>,
    transition_kind: Option<String>,
    move_on: Option<Date>,
    agency_id: i64,
    agency_name: String,
    #[sqlx(try_from = "String")]
    status: HandoverStatus,
    profile: Option<String>,
    health: Option<String>,
    movement: Option<String>,
    eating: Option<String>,
    toileting: Option<String>,
    dressing: Option<String>,
    relating: Option<String>,
    group_activity: Option<String>,
    communication: Option<String>,
    likes: Option<String>,
    difficulties: Option<String>,
    accommodations: Option<String>,
    current_practice: Option<String>,
    wishes_child: Option<String>,
    wishes_family: Option<String>,
    contacts: Option<String>,
    created_by_name: Option<String>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    guardian_checked_on: Option<Date>,
    guardian_checked_by: Option<String>,
    sent_by_name: Option<String>,
    sent_at: Option<OffsetDateTime>,
    acknowledged_by_name: Option<String>,
    acknowledged_at: Option<OffsetDateTime>,
    feedback_settled: Option<String>,
    feedback_needs: Option<String>,
    feedback_by_name: Option<String>,
    feedback_at: Option<OffsetDateTime>,
}

impl From<Row> for HandoverSheet {
    fn from(r: Row) -> HandoverSheet {
        let sections = [
            r.profile,
            r.health,
            r.movement,
            r.eating,
            r.toileting,
            r.dressing,
            r.relating,
            r.group_activity,
            r.communication,
            r.likes,
            r.difficulties,
            r.accommodations,
            r.current_practice,
            r.wishes_child,
            r.wishes_family,
            r.contacts,
        ]
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
        HandoverSheet {
            id: r.id,
            child_id: r.child_id,
            child_name: r.child_name,
            area_id: r.area_id,
            area_name: r.area_name,
            transition_id: r.transition_id,
            transition_kind: r.transition_kind,
            move_on: r.move_on,
            agency_id: r.agency_id,
            agency_name: r.agency_name,
            status: r.status,
            sections: Sections(sections),
            created_by_name: r.created_by_name,
            created_at: r.created_at,
            updated_at: r.updated_at,
            guardian_checked_on: r.guardian_checked_on,
            guardian_checked_by: r.guardian_checked_by,
            sent_by_name: r.sent_by_name,
            sent_at: r.sent_at,
            acknowledged_by_name: r.acknowledged_by_name,
            acknowledged_at: r.acknowledged_at,
            feedback_settled: r.feedback_settled,
            feedback_needs: r.feedback_needs,
            feedback_by_name: r.feedback_by_name,
            feedback_at: r.feedback_at,
        }
    }
}

const SELECT: &str = "SELECT h.id, h.child_id, c.family_name || ' ' || c.given_name AS child_name, c.area_id, ar.name AS area_name, \
    h.transition_id, t.kind AS transition_kind, t.move_on, h.agency_id, a.name AS agency_name, h.status, \
    h.profile, h.health, h.movement, h.eating, h.toileting, h.dressing, h.relating, h.group_activity, \
    h.communication, h.likes, h.difficulties, h.accommodations, h.current_practice, h.wishes_child, \
    h.wishes_family, h.contacts, cu.display_name AS created_by_name, h.created_at, h.updated_at, \
    h.guardian_checked_on, h.guardian_checked_by, \
    su.display_name AS sent_by_name, h.sent_at, au.display_name AS acknowledged_by_name, h.acknowledged_at, \
    h.feedback_settled, h.feedback_needs, fu.display_name AS feedback_by_name, h.feedback_at \
    FROM handover_sheets h JOIN children c ON c.id = h.child_id JOIN areas ar ON ar.id = c.area_id JOIN agencies a ON a.id = h.agency_id \
    LEFT JOIN transitions t ON t.id = h.transition_id LEFT JOIN users cu ON cu.id = h.created_by \
    LEFT JOIN users su ON su.id = h.sent_by LEFT JOIN users au ON au.id = h.acknowledged_by \
    LEFT JOIN users fu ON fu.id = h.feedback_by";

async fn load<'a>(on: impl Into<On<'a>>, id: HandoverId) -> Result<Option<HandoverSheet>> {
    let mut on = on.into();
    let row: Option<Row> = query(format!("{SELECT} WHERE h.id = $1"))
        .bind(id.0)
        .fetch_optional(on.exec())
        .await?;
    Ok(row.map(HandoverSheet::from))
}

/// The draft's first text, from the record: what the coordinator starts editing from.
async fn draft_sections(on: On<'_>, access: &ChildAccess, today: Date) -> Result<Sections> {
    let v = children::record_for_documents(on, access).await?;
    let c = &v.child;
    let age = tsunagu_domain::children::format_age(c.birth_date, today);
    let mut profile = vec![
        format!("氏名：{}（{}）", c.name(), c.kana()),
        format!(
            "生年月日：{}（{}）",
            japanese_date::format_date_with_era(c.birth_date),
            age
        ),
    ];
    if let Some(m) = &c.municipality_name {
        profile.push(format!("住所：{m}"));
    }
    if let Some(a) = &c.current_agency_name {
        profile.push(format!("現在の所属：{a}"));
    }
    for g in &v.guardians {
        profile.push(format!(
            "保護者：{}（{}）{}",
            g.name,
            g.relation,
            g.phone
                .as_deref()
                .map(|p| format!(" 電話 {p}"))
                .unwrap_or_default()
        ));
    }
    if let Some(d) = c.development_notes.as_deref().filter(|d| !d.is_empty()) {
        profile.push(format!("発達の様子：{d}"));
    }
    let health: Vec<String> = [
        ("", &c.health_notes),
        ("診断：", &c.diagnoses),
        ("医療的ケア：", &c.medical_care),
    ]
    .iter()
    .filter_map(|(label, v)| {
        v.as_deref()
            .filter(|t| !t.is_empty())
            .map(|t| format!("{label}{t}"))
    })
    .collect();
    let accommodations: Vec<String> = v
        .accommodations
        .iter()
        .map(|a| match &a.found_by {
            Some(by) if !by.is_empty() => format!("・{}（{by}）", a.text),
            _ => format!("・{}", a.text),
        })
        .collect();
    let contacts: Vec<String> = v
        .contacts
        .iter()
        .map(|(agency, role, person, phone)| {
            let mut line = format!("・{agency}（{role}）");
            if let Some(p) = person.as_deref().filter(|p| !p.is_empty()) {
                line.push_str(&format!(" 担当 {p}"));
            }
            if let Some(p) = phone.as_deref().filter(|p| !p.is_empty()) {
                line.push_str(&format!(" 電話 {p}"));
            }
            line
        })
        .collect();
    let mut s = vec![String::new(); SECTIONS.len()];
    let mut set = |code: &str, text: String| {
        if let Some(i) = SECTIONS.iter().position(|(c, _)| *c == code) {
            s[i] = text;
        }
    };
    set("profile", profile.join("\n"));
    set("health", health.join("\n"));
    set("likes", c.strengths.clone().unwrap_or_default());
    set("accommodations", accommodations.join("\n"));
    set("wishes_family", v.plan_wishes.clone().unwrap_or_default());
    set("contacts", contacts.join("\n"));
    Ok(Sections(s))
}

/// Starts a sheet for `agency` from the record; when `transition` is given, the sheet belongs
/// to it. `access` is the coordinator's, minted for a change.
pub async fn create(
    u: &mut Unit,
    access: &ChildAccess,
    agency: AgencyId,
    transition: Option<TransitionId>,
) -> Result<HandoverId> {
    let child = access.child();
    let mut w = access::write(u, access, "handover.create").await?;
    if let Some(t) = transition {
        let owner: Option<(i64,)> = query("SELECT child_id FROM transitions WHERE id = $1")
            .bind(t.0)
            .fetch_optional(&mut w.tx)
            .await?;
        if owner.map(|(c,)| c) != Some(child.0) {
            return Err(Error::Invalid {
                field: "transition_id",
                message: "この子どもの移行ではありません。",
            });
        }
    }
    let actor = w.actor()?;
    let sections = draft_sections(On::Tx(&mut w.tx), access, children::today_in_japan()).await?;
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO handover_sheets (child_id, transition_id, agency_id, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, 'draft', $4, $5, $5) RETURNING id",
    )
    .bind(child.0)
    .bind(transition.map(|t| t.0))
    .bind(agency)
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut w.tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "受け取る機関が見つかりません。"))?;
    write_sections(&mut w.tx, id, &sections).await?;
    let (agency_name,): (String,) = query("SELECT name FROM agencies WHERE id = $1")
        .bind(agency)
        .fetch_one(&mut w.tx)
        .await?;
    log_step(
        &mut w.tx,
        &w.meta,
        &actor,
        child,
        id,
        format!("{agency_name}あての引継ぎシートを作成しました（下書き）"),
        "handover.create",
        Some(format!("child={child}")),
    )
    .await?;
    w.commit().await?;
    Ok(HandoverId(id))
}

async fn write_sections(tx: &mut crate::db::Tx, id: i64, sections: &Sections) -> Result<()> {
    // Column names come from SECTIONS, a constant, never from input.
    let sets = SECTIONS
        .iter()
        .enumerate()
        .map(|(i, (code, _))| format!("{code} = ${}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("UPDATE handover_sheets SET {sets} WHERE id = $1");
    let mut q = query(sql).bind(id);
    for i in 0..SECTIONS.len() {
        let text = sections.0.get(i).map(|t| t.trim()).unwrap_or_default();
        q = q.bind((!text.is_empty()).then(|| text.to_string()));
    }
    q.execute(&mut *tx).await?;
    Ok(())
}

/// A step of the sheet, on the child's timeline and in the audit log, in the step's transaction.
#[allow(clippy::too_many_arguments)]
async fn log_step(
    tx: &mut crate::db::Tx,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    id: i64,
    summary: String,
    action: &str,
    detail: Option<String>,
) -> Result<()> {
    children::add_event(tx, child, "handover", &summary, Some(id), Some(actor)).await?;
    let mut event = Event::new(action).by(actor).object("handover_sheet", id);
    if let Some(d) = detail {
        event = event.detail(d);
    }
    audit::record(tx, meta, event).await
}

/// Who is asking about a sheet.
enum Party {
    AreaStaff,
    ReceivingAgency,
}

/// The sheet, if the actor may read it: the area's staff always; the receiving agency once it
/// was sent and while the consent rule lets it see the child. Anyone else gets NotFound.
async fn find(u: &mut Unit, id: HandoverId, action: &str) -> Result<(HandoverSheet, Party)> {
    let actor = u.actor()?;
    let sheet = load(&mut *u, id).await?;
    let receiving = |s: &HandoverSheet| {
        actor.role == Role::AgencyStaff
            && actor.agency_id == Some(AgencyId(s.agency_id))
            && s.status.is_sent()
    };
    match sheet {
        Some(s) if actor.serves_area(tsunagu_domain::AreaId(s.area_id)) => {
            access::child(u, s.child_id, Purpose::Read, action).await?;
            Ok((s, Party::AreaStaff))
        }
        Some(s) if receiving(&s) => {
            // Consent revoked or ended: the agency no longer sees the child or the sheet.
            access::child(u, s.child_id, Purpose::Read, action).await?;
            Ok((s, Party::ReceivingAgency))
        }
        _ => {
            u.audit(
                Event::new(action)
                    .object("handover_sheet", id)
                    .outcome(Outcome::Denied)
                    .detail("not visible"),
            );
            Err(Error::NotFound)
        }
    }
}

pub async fn get(u: &mut Unit, id: HandoverId) -> Result<HandoverSheet> {
    let (sheet, _) = find(u, id, "handover.read").await?;
    u.audit(
        Event::new("handover.read")
            .object("handover_sheet", id)
            .detail(format!("child={}", sheet.child_id)),
    );
    Ok(sheet)
}

/// The access to change sheet `id`: a coordinator of its child's area, minted for a change;
/// asked before a form's input is checked. Answers the sheet too.
pub async fn editable(
    u: &mut Unit,
    id: HandoverId,
    action: &str,
) -> Result<(HandoverSheet, ChildAccess)> {
    let (sheet, party) = find(u, id, action).await?;
    if !matches!(party, Party::AreaStaff) {
        u.audit(
            Event::new(action)
                .object("handover_sheet", id)
                .outcome(Outcome::Denied)
                .detail("only the area's coordinators"),
        );
        return Err(Error::Forbidden);
    }
    let access = access::child(u, sheet.child_id, Purpose::Write, action).await?;
    Ok((sheet, access))
}

/// The coordinator's edit of a draft. A sent sheet is what the agency received: it stays as
/// sent. `access` comes from [`editable`].
pub async fn update(
    u: &mut Unit,
    access: &ChildAccess,
    id: HandoverId,
    sections: &Sections,
) -> Result<()> {
    let mut w = access::write(u, access, "handover.update").await?;
    let changed = query(
        "UPDATE handover_sheets SET updated_at = $1 WHERE id = $2 AND child_id = $3 AND status = 'draft'",
    )
    .bind(crate::now())
    .bind(id.0)
    .bind(access.child().0)
    .execute(&mut w.tx)
    .await?;
    if changed == 0 {
        return Err(Error::Invalid {
            field: "status",
            message: "送付済みの引継ぎシートは変更できません。",
        });
    }
    write_sections(&mut w.tx, id.0, sections).await?;
    w.record(Event::new("handover.update").object("handover_sheet", id))
        .await?;
    w.commit().await
}

/// Sends the sheet: the receiving agency sees it in its inbox from now on, and what it carries is
/// recorded as disclosed. Refused without a consent (or legal basis) naming the agency for the
/// profile and the accommodations. `access` comes from [`editable`].
/// The guardian's check a sheet is sent with.
#[derive(Clone, Debug)]
pub struct GuardianCheck {
    pub on: Date,
    pub by: Option<String>,
}

pub async fn send(
    u: &mut Unit,
    access: &ChildAccess,
    id: HandoverId,
    check: &GuardianCheck,
) -> Result<()> {
    let child = access.child();
    let mut w = access::write(u, access, "handover.send").await?;
    let actor = w.actor()?;
    let sheet = load(&mut w.tx, id)
        .await?
        .filter(|s| s.child_id == child)
        .ok_or(Error::NotFound)?;
    let agency = AgencyId(sheet.agency_id);
    let consented = access::consented_to(&mut On::Tx(&mut w.tx), child, agency).await?;
    let Some((basis, parts)) = consented.filter(|(_, parts)| {
        parts.contains(&SharePart::Profile) && parts.contains(&SharePart::Accommodations)
    }) else {
        return Err(Error::Invalid {
            field: "agency_id",
            message: "この機関に基本情報と配慮事項を共有する同意（または要保護児童対策地域協議会の根拠）がありません。先に同意を記録してください。",
        });
    };
    if check.on > access::today() {
        return Err(Error::Invalid {
            field: "guardian_checked_on",
            message: "保護者と確認した日が未来になっています。",
        });
    }
    let changed = query("UPDATE handover_sheets SET status = 'sent', sent_by = $1, sent_at = $2, guardian_checked_on = $4, guardian_checked_by = $5 WHERE id = $3 AND status = 'draft'")
        .bind(actor.user_id)
        .bind(crate::now())
        .bind(id.0)
        .bind(check.on)
        .bind(check.by.as_deref())
        .execute(&mut w.tx)
        .await?;
    if changed == 0 {
        return Err(Error::Invalid {
            field: "status",
            message: "この引継ぎシートはすでに送付されています。",
        });
    }
    // Contacts of the care team go only where the consent shares the care team.
    if !parts.contains(&SharePart::CareTeam) {
        query("UPDATE handover_sheets SET contacts = NULL WHERE id = $1")
            .bind(id.0)
            .execute(&mut w.tx)
            .await?;
    }
    let shared: Vec<SharePart> = [
        SharePart::Profile,
        SharePart::Accommodations,
        SharePart::CareTeam,
    ]
    .into_iter()
    .filter(|p| parts.contains(p))
    .collect();
    access::record_sent(&mut w, child, agency, &basis, &shared).await?;
    log_step(
        &mut w.tx,
        &w.meta,
        &actor,
        child,
        id.0,
        format!("{}へ引継ぎシートを送付しました", sheet.agency_name),
        "handover.send",
        Some(format!("child={child} agency={agency}")),
    )
    .await?;
    w.commit().await
}

/// The sheet, if the actor is its receiving agency and may see the child (403 for the area's
/// staff, who may read it but not answer it); asked before a form's input is checked.
pub async fn receiving(u: &mut Unit, id: HandoverId, action: &str) -> Result<HandoverSheet> {
    let (sheet, party) = find(u, id, action).await?;
    if !matches!(party, Party::ReceivingAgency) {
        u.audit(
            Event::new(action)
                .object("handover_sheet", id)
                .outcome(Outcome::Denied)
                .detail("only the receiving agency"),
        );
        return Err(Error::Forbidden);
    }
    Ok(sheet)
}

/// The receiving agency confirms it has the sheet (date and who).
pub async fn acknowledge(u: &mut Unit, id: HandoverId) -> Result<()> {
    let sheet = receiving(u, id, "handover.acknowledge").await?;
    let mut w = u.write().await?;
    let actor = w.actor()?;
    let changed = query("UPDATE handover_sheets SET status = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2 WHERE id = $3 AND status = 'sent'")
        .bind(actor.user_id)
        .bind(crate::now())
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    if changed == 0 {
        return Err(Error::Invalid {
            field: "status",
            message: "この引継ぎシートはすでに受領済みです。",
        });
    }
    log_step(
        &mut w.tx,
        &w.meta,
        &actor,
        sheet.child_id,
        id.0,
        format!("{}が引継ぎシートを受け取りました", sheet.agency_name),
        "handover.acknowledge",
        None,
    )
    .await?;
    w.commit().await
}

/// The receiving agency's word after the move: how the child settled, what still needs support.
pub async fn give_feedback(
    u: &mut Unit,
    id: HandoverId,
    settled: &str,
    needs: Option<&str>,
) -> Result<()> {
    let sheet = receiving(u, id, "handover.feedback").await?;
    if sheet.status != HandoverStatus::Acknowledged {
        return Err(Error::Invalid {
            field: "status",
            message: "先に引継ぎシートの受領を確認してください。",
        });
    }
    let mut w = u.write().await?;
    let actor = w.actor()?;
    query("UPDATE handover_sheets SET feedback_settled = $1, feedback_needs = $2, feedback_by = $3, feedback_at = $4 WHERE id = $5")
        .bind(settled)
        .bind(needs)
        .bind(actor.user_id)
        .bind(crate::now())
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    let short: String = settled.chars().take(60).collect();
    log_step(
        &mut w.tx,
        &w.meta,
        &actor,
        sheet.child_id,
        id.0,
        format!("{}から移行後のフィードバック：{short}", sheet.agency_name),
        "handover.feedback",
        None,
    )
    .await?;
    w.commit().await
}

/// The child's sheets, newest first (the area's staff).
pub async fn for_child(u: &mut Unit, access: &ChildAccess) -> Result<Vec<HandoverSheet>> {
    if !access.sees_everything() {
        return Ok(vec![]);
    }
    let rows: Vec<Row> = query(format!(
        "{SELECT} WHERE h.child_id = $1 ORDER BY h.created_at DESC, h.id DESC"
    ))
    .bind(access.child().0)
    .fetch_all(u)
    .await?;
    Ok(rows.into_iter().map(HandoverSheet::from).collect())
}

/// The agency's sheets still waiting for its acknowledgement or feedback, of children the rule
/// lets it see (a consent ended takes the sheet away); the children are audited as shown.
pub async fn inbox(u: &mut Unit) -> Result<Vec<HandoverSheet>> {
    let actor = u.actor()?;
    let Some(agency) = actor.agency_id.filter(|_| actor.role == Role::AgencyStaff) else {
        return Ok(vec![]);
    };
    let rows: Vec<Row> = query(format!(
        "{SELECT} WHERE h.agency_id = $1 AND h.status IN ('sent', 'acknowledged') AND h.feedback_at IS NULL \
         AND {} ORDER BY h.status = 'sent' DESC, h.sent_at DESC",
        access::visible(&actor, access::today())
    ))
    .bind(agency)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("handover.list", rows.iter().map(|r| r.child_id));
    Ok(rows.into_iter().map(HandoverSheet::from).collect())
}
