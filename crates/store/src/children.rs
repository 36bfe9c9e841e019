//! The child's record, and the one path every read and change of it goes through: [`authorize`]
//! asks the domain's access rule, writes a refusal to the audit log, and answers 404 for a child
//! the user may not know of; reads and changes write their audit entry (and, for an agency, the
//! first disclosure of each part) in the same transaction.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    access::{child_access, Basis, ChildFacts, Grant, GrantKind, Purpose, Refusal, SharePart},
    japanese_date, kana, Actor, AgencyId, AreaId, MunicipalityId, Role,
};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    contains_pattern,
    db::query,
    Db, Error, Page, Paging, Result, Tx,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ChildId(pub i64);

impl std::fmt::Display for ChildId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Child {
    pub id: i64,
    pub area_id: i64,
    pub area_name: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    pub sex: String,
    pub municipality_id: Option<i64>,
    pub municipality_name: Option<String>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub current_agency_id: Option<i64>,
    pub current_agency_name: Option<String>,
    pub development_notes: Option<String>,
    pub health_notes: Option<String>,
    pub diagnoses: Option<String>,
    pub medical_care: Option<String>,
    pub strengths: Option<String>,
    /// Only for the area's coordinators and supervisors.
    pub internal_notes: Option<String>,
    pub status: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<Date>,
    pub closed_reason: Option<String>,
    pub merged_into_id: Option<i64>,
}

impl Child {
    pub fn name(&self) -> String {
        format!("{} {}", self.family_name, self.given_name)
    }
    pub fn kana(&self) -> String {
        format!("{} {}", self.family_kana, self.given_kana)
            .trim()
            .to_owned()
    }
    pub fn is_closed(&self) -> bool {
        self.status == "closed"
    }
}

const CHILD_COLUMNS: &str = "c.id, c.area_id, ar.name AS area_name, c.family_name, c.given_name, c.family_kana, \
    c.given_kana, c.birth_date, c.sex, c.municipality_id, m.name AS municipality_name, c.postal_code, c.address, \
    c.current_agency_id, ag.name AS current_agency_name, c.development_notes, c.health_notes, c.diagnoses, \
    c.medical_care, c.strengths, c.internal_notes, c.status, c.closed_on, c.closed_reason, c.merged_into_id";
const CHILD_FROM: &str = "FROM children c JOIN areas ar ON ar.id = c.area_id \
    LEFT JOIN municipalities m ON m.id = c.municipality_id LEFT JOIN agencies ag ON ag.id = c.current_agency_id";

#[derive(Clone, Debug, Default, Serialize, sqlx::FromRow, utoipa::ToSchema, PartialEq)]
pub struct Guardian {
    pub name: String,
    pub kana: String,
    pub relation: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_preference: Option<String>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema, PartialEq)]
pub struct Certificate {
    /// physical, ryoiku or mental
    pub kind: String,
    pub grade: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub renewal_on: Option<Date>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema, PartialEq)]
pub struct BenefitCertificate {
    pub service: String,
    pub amount: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_from: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_to: Option<Date>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema, PartialEq)]
pub struct Accommodation {
    pub text: String,
    pub found_by: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub found_on: Option<Date>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CareTeamMember {
    pub id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub role: String,
    pub person: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub from_on: Date,
    #[schema(value_type = Option<String>, format = Date)]
    pub to_on: Option<Date>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Consent {
    pub id: i64,
    /// consent or legal
    pub basis: String,
    pub guardian_name: Option<String>,
    /// Comma-separated part codes: profile, accommodations, care_team, consultations, documents.
    pub parts: String,
    #[schema(value_type = String, format = Date)]
    pub valid_from: Date,
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_to: Option<Date>,
    /// written, oral or legal
    pub obtained: String,
    pub note: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub revoked_on: Option<Date>,
    /// The scanned consent form (an attachment id).
    pub attachment_id: Option<i64>,
    #[sqlx(skip)]
    pub agencies: Vec<String>,
}

impl Consent {
    pub fn part_labels(&self) -> String {
        self.parts
            .split(',')
            .filter_map(SharePart::from_code)
            .map(SharePart::label)
            .collect::<Vec<_>>()
            .join("・")
    }
    pub fn state(&self, today: Date) -> &'static str {
        if self.revoked_on.is_some_and(|r| r <= today) {
            "撤回"
        } else if self.valid_to.is_some_and(|t| t < today) {
            "期限切れ"
        } else if self.valid_from > today {
            "開始前"
        } else {
            "有効"
        }
    }
}

/// A child as the record page shows it to this user: the parts their basis allows, nothing else.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChildView {
    pub child: Child,
    pub guardians: Vec<Guardian>,
    pub certificates: Vec<Certificate>,
    pub benefit_certificates: Vec<BenefitCertificate>,
    pub accommodations: Vec<Accommodation>,
    pub care_team: Vec<CareTeamMember>,
    /// Only for the area's staff.
    pub consents: Vec<Consent>,
    /// What this user sees: part codes.
    pub parts: Vec<String>,
    /// On what ground: e.g. coordinator:area1, consent:12.
    pub basis: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub sees_everything: bool,
    #[serde(skip)]
    #[schema(ignore)]
    pub may_write: bool,
}

impl ChildView {
    pub fn shows(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

/// What a coordinator gives for a child.
#[derive(Clone, Debug, Default)]
pub struct ChildInput {
    pub area_id: AreaId,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: Option<Date>,
    pub sex: String,
    pub municipality_id: Option<MunicipalityId>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub current_agency_id: Option<AgencyId>,
    pub development_notes: Option<String>,
    pub health_notes: Option<String>,
    pub diagnoses: Option<String>,
    pub medical_care: Option<String>,
    pub strengths: Option<String>,
    pub internal_notes: Option<String>,
    pub guardians: Vec<Guardian>,
    pub certificates: Vec<Certificate>,
    pub benefit_certificates: Vec<BenefitCertificate>,
    pub accommodations: Vec<Accommodation>,
}

/// Today in Japan: consents and memberships run by Japanese dates.
pub fn today_in_japan() -> Date {
    japanese_date::today(OffsetDateTime::now_utc())
}

fn today() -> Date {
    today_in_japan()
}

/// What the rule needs of `child` and of the actor's agency; `None` if there is no such child.
async fn facts(db: &Db, actor: &Actor, child: ChildId) -> Result<Option<ChildFacts>> {
    // A merged record stays visible (closed, read-only) so its trail to the survivor is kept.
    let row: Option<(i64, String)> = query("SELECT area_id, status FROM children WHERE id = $1")
        .bind(child.0)
        .fetch_optional(db)
        .await?;
    let Some((area, status)) = row else {
        return Ok(None);
    };
    let mut facts = ChildFacts {
        area: Some(AreaId(area)),
        closed: status == "closed",
        ..ChildFacts::default()
    };
    if let (Role::AgencyStaff, Some(agency)) = (actor.role, actor.agency_id) {
        facts.grants = grants(db, child).await?;
        let kind: Option<(Option<i64>,)> = query("SELECT kind_id FROM agencies WHERE id = $1")
            .bind(agency)
            .fetch_optional(db)
            .await?;
        facts.agency_kind = kind.and_then(|(k,)| k);
        let (on_team,): (i64,) = query(
            "SELECT COUNT(*) FROM care_team_members WHERE child_id = $1 AND agency_id = $2 \
             AND from_on <= $3 AND (to_on IS NULL OR to_on >= $3)",
        )
        .bind(child.0)
        .bind(agency)
        .bind(today())
        .fetch_one(db)
        .await?;
        facts.agency_involved = on_team > 0;
    }
    Ok(Some(facts))
}

async fn grants(db: &Db, child: ChildId) -> Result<Vec<Grant>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        basis: String,
        parts: String,
        valid_from: Date,
        valid_to: Option<Date>,
        revoked_on: Option<Date>,
    }
    let rows: Vec<Row> = query(
        "SELECT id, basis, parts, valid_from, valid_to, revoked_on FROM consents WHERE child_id = $1 ORDER BY id",
    )
    .bind(child.0)
    .fetch_all(db)
    .await?;
    let agencies: Vec<(i64, i64)> = query(
        "SELECT ca.consent_id, ca.agency_id FROM consent_agencies ca JOIN consents c ON c.id = ca.consent_id WHERE c.child_id = $1",
    )
    .bind(child.0)
    .fetch_all(db)
    .await?;
    let kinds: Vec<(i64, i64)> = query(
        "SELECT ck.consent_id, ck.kind_id FROM consent_agency_kinds ck JOIN consents c ON c.id = ck.consent_id WHERE c.child_id = $1",
    )
    .bind(child.0)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Grant {
            id: r.id,
            kind: if r.basis == "legal" {
                GrantKind::Legal
            } else {
                GrantKind::Consent
            },
            agencies: agencies
                .iter()
                .filter(|(c, _)| *c == r.id)
                .map(|(_, a)| AgencyId(*a))
                .collect(),
            agency_kinds: kinds
                .iter()
                .filter(|(c, _)| *c == r.id)
                .map(|(_, k)| *k)
                .collect(),
            parts: r
                .parts
                .split(',')
                .filter_map(SharePart::from_code)
                .collect(),
            valid_from: r.valid_from,
            valid_to: r.valid_to,
            revoked_on: r.revoked_on,
        })
        .collect())
}

/// The one access check for a child: the basis, or the refusal already written to the audit log.
/// A child the user may not know of is [`Error::NotFound`], exactly like one that does not exist.
pub async fn authorize(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    purpose: Purpose,
    action: &str,
) -> Result<Basis> {
    let facts = facts(db, actor, child).await?;
    let result = match &facts {
        Some(f) => child_access(actor, f, today(), purpose),
        None => Err(Refusal::NotVisible),
    };
    match result {
        Ok(basis) => Ok(basis),
        Err(refusal) => {
            let why = match refusal {
                Refusal::NotVisible => "not visible",
                Refusal::NotAllowed => "not allowed",
                Refusal::Closed => "closed",
            };
            audit::record_alone(
                db,
                meta,
                Event::new(action)
                    .by(actor)
                    .object("child", child)
                    .outcome(Outcome::Denied)
                    .detail(why),
            )
            .await?;
            Err(match refusal {
                Refusal::NotVisible => Error::NotFound,
                Refusal::NotAllowed => Error::Forbidden,
                Refusal::Closed => Error::Invalid {
                    field: "status",
                    message: "終結したケースは編集できません。先に再開してください。",
                },
            })
        }
    }
}

/// Adds an entry to the child's timeline.
pub async fn add_event(
    tx: &mut Tx,
    child: ChildId,
    kind: &str,
    summary: &str,
    ref_id: Option<i64>,
    actor: Option<&Actor>,
) -> Result<()> {
    query("INSERT INTO child_events (child_id, at, kind, summary, ref_id, user_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(child.0)
        .bind(crate::now())
        .bind(kind)
        .bind(summary)
        .bind(ref_id)
        .bind(actor.map(|a| a.user_id))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The record as this user may see it; the read is audited and, for an agency, each part's first
/// disclosure recorded.
pub async fn view(db: &Db, meta: &RequestMeta, actor: &Actor, id: ChildId) -> Result<ChildView> {
    let basis = authorize(db, meta, actor, id, Purpose::Read, "child.read").await?;
    let mut child: Child = query(format!(
        "SELECT {CHILD_COLUMNS} {CHILD_FROM} WHERE c.id = $1"
    ))
    .bind(id.0)
    .fetch_one(db)
    .await?;
    let parts = basis.parts();
    let sees_everything = basis.sees_everything();
    let shows = |p: SharePart| parts.contains(&p);
    if !sees_everything {
        child.internal_notes = None;
        if !shows(SharePart::Profile) {
            // Name and birth date identify the child to the agency; the rest of the profile is the part.
            child.address = None;
            child.postal_code = None;
            child.development_notes = None;
            child.health_notes = None;
            child.diagnoses = None;
            child.medical_care = None;
            child.strengths = None;
        }
    }
    let guardians = if sees_everything || shows(SharePart::Profile) {
        query("SELECT name, kana, relation, phone, email, contact_preference FROM guardians WHERE child_id = $1 ORDER BY sort_order, id")
            .bind(id.0)
            .fetch_all(db)
            .await?
    } else {
        vec![]
    };
    let (certificates, benefit_certificates) = if sees_everything || shows(SharePart::Profile) {
        (
            query("SELECT kind, grade, issued_on, renewal_on FROM certificates WHERE child_id = $1 ORDER BY id").bind(id.0).fetch_all(db).await?,
            query("SELECT service, amount, valid_from, valid_to FROM benefit_certificates WHERE child_id = $1 ORDER BY valid_to, id")
                .bind(id.0)
                .fetch_all(db)
                .await?,
        )
    } else {
        (vec![], vec![])
    };
    let accommodations = if shows(SharePart::Accommodations) {
        query("SELECT text, found_by, found_on FROM accommodations WHERE child_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(db)
            .await?
    } else {
        vec![]
    };
    let care_team = if shows(SharePart::CareTeam) {
        query(
            "SELECT t.id, t.agency_id, a.name AS agency_name, t.role, t.person, t.from_on, t.to_on \
             FROM care_team_members t JOIN agencies a ON a.id = t.agency_id WHERE t.child_id = $1 ORDER BY t.to_on IS NOT NULL, t.from_on DESC, t.id",
        )
        .bind(id.0)
        .fetch_all(db)
        .await?
    } else {
        vec![]
    };
    let consents = if sees_everything {
        consents(db, id).await?
    } else {
        vec![]
    };
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("child.read")
            .by(actor)
            .object("child", id)
            .detail(basis.code()),
    )
    .await?;
    if let (false, Some(agency)) = (sees_everything, actor.agency_id) {
        record_disclosures(&mut tx, actor, id, agency, &basis, &parts).await?;
    }
    tx.commit().await?;
    Ok(ChildView {
        child,
        guardians,
        certificates,
        benefit_certificates,
        accommodations,
        care_team,
        consents,
        parts: parts.iter().map(|p| p.code().to_owned()).collect(),
        basis: basis.code(),
        may_write: matches!(basis, Basis::AreaCoordinator(_)),
        sees_everything,
    })
}

/// The first time each part reaches the agency, a disclosure record: what, to whom, when, by whom,
/// on what basis. Later views add nothing (the audit log has every view).
async fn record_disclosures(
    tx: &mut Tx,
    actor: &Actor,
    child: ChildId,
    agency: AgencyId,
    basis: &Basis,
    parts: &[SharePart],
) -> Result<()> {
    let consent_id = match basis {
        Basis::Consent { grant_id, .. } | Basis::LegalBasis { grant_id, .. } => Some(*grant_id),
        _ => None,
    };
    for part in parts {
        query(
            "INSERT INTO disclosures (child_id, agency_id, part, user_id, basis, consent_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (child_id, agency_id, part) DO NOTHING",
        )
        .bind(child.0)
        .bind(agency)
        .bind(part.code())
        .bind(actor.user_id)
        .bind(basis.code())
        .bind(consent_id)
        .bind(crate::now())
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Records the first disclosure of `part` to the actor's agency, inside `tx`.
pub async fn record_disclosure_of(
    tx: &mut Tx,
    actor: &Actor,
    child: ChildId,
    basis: &Basis,
    part: SharePart,
) -> Result<()> {
    match actor.agency_id {
        Some(agency) => record_disclosures(tx, actor, child, agency, basis, &[part]).await,
        None => Ok(()),
    }
}

/// A disclosure record, for the child's page and the tests.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Disclosure {
    pub agency_name: String,
    pub part: String,
    pub basis: String,
    pub user_login: Option<String>,
    pub at: OffsetDateTime,
}

pub async fn disclosures(db: &Db, child: ChildId) -> Result<Vec<Disclosure>> {
    query(
        "SELECT a.name AS agency_name, d.part, d.basis, u.login AS user_login, d.at FROM disclosures d \
         JOIN agencies a ON a.id = d.agency_id LEFT JOIN users u ON u.id = d.user_id WHERE d.child_id = $1 ORDER BY d.at, d.id",
    )
    .bind(child.0)
    .fetch_all(db)
    .await
}

async fn consents(db: &Db, child: ChildId) -> Result<Vec<Consent>> {
    let mut rows: Vec<Consent> = query(
        "SELECT c.id, c.basis, c.guardian_name, c.parts, c.valid_from, c.valid_to, c.obtained, c.note, c.revoked_on, c.attachment_id \
         FROM consents c WHERE c.child_id = $1 ORDER BY c.id DESC",
    )
    .bind(child.0)
    .fetch_all(db)
    .await?;
    let names: Vec<(i64, String)> = query(
        "SELECT ca.consent_id, a.name FROM consent_agencies ca JOIN agencies a ON a.id = ca.agency_id \
         JOIN consents c ON c.id = ca.consent_id WHERE c.child_id = $1 \
         UNION ALL SELECT ck.consent_id, k.name || '（種別）' FROM consent_agency_kinds ck JOIN agency_kinds k ON k.id = ck.kind_id \
         JOIN consents c ON c.id = ck.consent_id WHERE c.child_id = $1",
    )
    .bind(child.0)
    .fetch_all(db)
    .await?;
    for c in &mut rows {
        c.agencies = names
            .iter()
            .filter(|(id, _)| *id == c.id)
            .map(|(_, n)| n.clone())
            .collect();
    }
    Ok(rows)
}

pub fn search_key(input: &ChildInput) -> String {
    format!(
        "{} {}",
        kana::normalize(&format!("{}{}", input.family_name, input.given_name)),
        kana::normalize(&format!("{}{}", input.family_kana, input.given_kana))
    )
}

/// Children of the user's areas that may be the same child: the same birth date and the same
/// name or reading once normalised.
pub async fn possible_duplicates(
    db: &Db,
    actor: &Actor,
    input: &ChildInput,
    except: Option<ChildId>,
) -> Result<Vec<ChildSummary>> {
    let Some(birth) = input.birth_date else {
        return Ok(vec![]);
    };
    let name_key = kana::person_key(&format!("{}{}", input.family_name, input.given_name));
    let kana_key = kana::person_key(&format!("{}{}", input.family_kana, input.given_kana));
    let candidates: Vec<ChildSummary> = query(format!(
        "SELECT {SUMMARY_COLUMNS} {CHILD_FROM} WHERE c.birth_date = $1 AND c.merged_into_id IS NULL ORDER BY c.id"
    ))
    .bind(birth)
    .fetch_all(db)
    .await?;
    Ok(candidates
        .into_iter()
        .filter(|c| actor.serves_area(AreaId(c.area_id)))
        .filter(|c| except.is_none_or(|e| e.0 != c.id))
        .filter(|c| {
            let n = kana::person_key(&format!("{}{}", c.family_name, c.given_name));
            let k = kana::person_key(&format!("{}{}", c.family_kana, c.given_kana));
            n == name_key
                || (!kana_key.is_empty() && (k == kana_key || n == kana_key))
                || (!k.is_empty() && k == name_key)
        })
        .collect())
}

pub async fn create(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    input: &ChildInput,
) -> Result<ChildId> {
    let facts = ChildFacts {
        area: Some(input.area_id),
        ..ChildFacts::default()
    };
    if child_access(actor, &facts, today(), Purpose::Write).is_err() {
        audit::record_alone(
            db,
            meta,
            Event::new("child.create")
                .by(actor)
                .object_type("child")
                .outcome(Outcome::Denied),
        )
        .await?;
        return Err(Error::Forbidden);
    }
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, input, Some(actor)).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("child.create").by(actor).object("child", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts a child with its lists and the first timeline entry, inside `tx`: for `create` and the demo.
pub async fn insert(tx: &mut Tx, input: &ChildInput, actor: Option<&Actor>) -> Result<ChildId> {
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO children (area_id, family_name, given_name, family_kana, given_kana, search_key, duplicate_key, birth_date, \
         sex, municipality_id, postal_code, address, current_agency_id, development_notes, health_notes, diagnoses, \
         medical_care, strengths, internal_notes, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 'active', $20, $21, $21) RETURNING id",
    )
    .bind(input.area_id)
    .bind(&input.family_name)
    .bind(&input.given_name)
    .bind(&input.family_kana)
    .bind(&input.given_kana)
    .bind(search_key(input))
    .bind(kana::person_key(&format!("{}{}", input.family_kana, input.given_kana)))
    .bind(input.birth_date)
    .bind(&input.sex)
    .bind(input.municipality_id)
    .bind(input.postal_code.as_deref())
    .bind(input.address.as_deref())
    .bind(input.current_agency_id)
    .bind(input.development_notes.as_deref())
    .bind(input.health_notes.as_deref())
    .bind(input.diagnoses.as_deref())
    .bind(input.medical_care.as_deref())
    .bind(input.strengths.as_deref())
    .bind(input.internal_notes.as_deref())
    .bind(actor.map(|a| a.user_id))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("municipality_id", "市町村または在籍先が見つかりません。"))?;
    let id = ChildId(id);
    replace_lists(tx, id, input).await?;
    add_event(tx, id, "record", "記録を作成しました", None, actor).await?;
    Ok(id)
}

async fn replace_lists(tx: &mut Tx, id: ChildId, input: &ChildInput) -> Result<()> {
    for table in [
        "guardians",
        "certificates",
        "benefit_certificates",
        "accommodations",
    ] {
        // Table names are constants here, never input.
        query(format!("DELETE FROM {table} WHERE child_id = $1"))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    for (i, g) in input.guardians.iter().enumerate() {
        query(
            "INSERT INTO guardians (child_id, name, kana, relation, phone, email, contact_preference, sort_order) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(&g.name)
        .bind(&g.kana)
        .bind(&g.relation)
        .bind(g.phone.as_deref())
        .bind(g.email.as_deref())
        .bind(g.contact_preference.as_deref())
        .bind(i as i64)
        .execute(&mut *tx)
        .await?;
    }
    for c in &input.certificates {
        query("INSERT INTO certificates (child_id, kind, grade, issued_on, renewal_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(&c.kind)
            .bind(&c.grade)
            .bind(c.issued_on)
            .bind(c.renewal_on)
            .execute(&mut *tx)
            .await?;
    }
    for b in &input.benefit_certificates {
        query("INSERT INTO benefit_certificates (child_id, service, amount, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(&b.service)
            .bind(b.amount.as_deref())
            .bind(b.valid_from)
            .bind(b.valid_to)
            .execute(&mut *tx)
            .await?;
    }
    let now = crate::now();
    for a in &input.accommodations {
        query("INSERT INTO accommodations (child_id, text, found_by, found_on, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(&a.text)
            .bind(a.found_by.as_deref())
            .bind(a.found_on)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

pub async fn update(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    input: &ChildInput,
) -> Result<()> {
    authorize(db, meta, actor, id, Purpose::Write, "child.update").await?;
    let mut tx = db.begin().await?;
    query(
        "UPDATE children SET family_name = $1, given_name = $2, family_kana = $3, given_kana = $4, search_key = $5, \
         duplicate_key = $6, birth_date = $7, sex = $8, municipality_id = $9, postal_code = $10, address = $11, \
         current_agency_id = $12, development_notes = $13, health_notes = $14, diagnoses = $15, medical_care = $16, \
         strengths = $17, internal_notes = $18, updated_at = $19 WHERE id = $20",
    )
    .bind(&input.family_name)
    .bind(&input.given_name)
    .bind(&input.family_kana)
    .bind(&input.given_kana)
    .bind(search_key(input))
    .bind(kana::person_key(&format!("{}{}", input.family_kana, input.given_kana)))
    .bind(input.birth_date)
    .bind(&input.sex)
    .bind(input.municipality_id)
    .bind(input.postal_code.as_deref())
    .bind(input.address.as_deref())
    .bind(input.current_agency_id)
    .bind(input.development_notes.as_deref())
    .bind(input.health_notes.as_deref())
    .bind(input.diagnoses.as_deref())
    .bind(input.medical_care.as_deref())
    .bind(input.strengths.as_deref())
    .bind(input.internal_notes.as_deref())
    .bind(crate::now())
    .bind(id.0)
    .execute(&mut tx)
    .await
    .map_err(|e| e.on_foreign_key("municipality_id", "市町村または在籍先が見つかりません。"))?;
    replace_lists(&mut tx, id, input).await?;
    add_event(
        &mut tx,
        id,
        "record",
        "記録を更新しました",
        None,
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("child.update").by(actor).object("child", id),
    )
    .await?;
    tx.commit().await
}

/// Closes (終結) or reopens the case; both are on the timeline and in the audit log.
pub async fn set_status(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    closed: Option<(Date, String)>,
) -> Result<()> {
    let action = if closed.is_some() {
        "child.close"
    } else {
        "child.reopen"
    };
    authorize(db, meta, actor, id, Purpose::ChangeStatus, action).await?;
    let mut tx = db.begin().await?;
    let (status, on, reason, summary) = match &closed {
        Some((on, reason)) => (
            "closed",
            Some(*on),
            Some(reason.as_str()),
            format!("終結しました（{reason}）"),
        ),
        None => ("active", None, None, "再開しました".to_owned()),
    };
    query("UPDATE children SET status = $1, closed_on = $2, closed_reason = $3, updated_at = $4 WHERE id = $5")
        .bind(status)
        .bind(on)
        .bind(reason)
        .bind(crate::now())
        .bind(id.0)
        .execute(&mut tx)
        .await?;
    add_event(&mut tx, id, "status", &summary, None, Some(actor)).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new(action).by(actor).object("child", id),
    )
    .await?;
    tx.commit().await
}

/// A line of a list of children.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ChildSummary {
    pub id: i64,
    pub area_id: i64,
    pub area_name: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    pub status: String,
    pub current_agency_name: Option<String>,
}

const SUMMARY_COLUMNS: &str =
    "c.id, c.area_id, ar.name AS area_name, c.family_name, c.given_name, c.family_kana, \
    c.given_kana, c.birth_date, c.status, ag.name AS current_agency_name";

/// Children the user may see whose name or reading contains `q`: those of their areas for
/// coordinators and supervisors, those shared with them for agency staff, none for anyone else.
/// The search is audited (without the text searched, which may be a name).
pub async fn search(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    q: Option<&str>,
    include_closed: bool,
    paging: Paging,
) -> Result<Page<ChildSummary>> {
    let page = match actor.role {
        Role::Coordinator | Role::Supervisor => {
            // Area ids are integers from the user's own record, never input.
            let areas = if actor.area_ids.is_empty() {
                "0".to_owned()
            } else {
                actor
                    .area_ids
                    .iter()
                    .map(|a| a.0.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let (name_condition, name_value) = name_condition(db.backend(), q);
            let filter = format!(
                "WHERE c.area_id IN ({areas}) AND c.merged_into_id IS NULL AND {name_condition} AND ($2 IS NULL OR c.status = $2)"
            );
            let status = (!include_closed).then_some("active");
            let (total,): (i64,) = query(format!("SELECT COUNT(*) FROM children c {filter}"))
                .bind(name_value.as_deref())
                .bind(status)
                .fetch_one(db)
                .await?;
            let items = query(format!(
                "SELECT {SUMMARY_COLUMNS} {CHILD_FROM} {filter} ORDER BY c.family_kana, c.given_kana, c.id LIMIT $3 OFFSET $4"
            ))
            .bind(name_value.as_deref())
            .bind(status)
            .bind(paging.limit)
            .bind(paging.offset)
            .fetch_all(db)
            .await?;
            Page { items, total }
        }
        Role::AgencyStaff => {
            let all = shared_with_agency(db, actor).await?;
            let key = q.map(kana::normalize).filter(|k| !k.is_empty());
            let matching: Vec<ChildSummary> = all
                .into_iter()
                .filter(|c| {
                    key.as_ref().is_none_or(|k| {
                        kana::normalize(&format!(
                            "{}{} {}{}",
                            c.family_name, c.given_name, c.family_kana, c.given_kana
                        ))
                        .contains(k.as_str())
                    })
                })
                .collect();
            let total = matching.len() as i64;
            let items = matching
                .into_iter()
                .skip(paging.offset as usize)
                .take(paging.limit as usize)
                .collect();
            Page { items, total }
        }
        _ => Page {
            items: vec![],
            total: 0,
        },
    };
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("child.search")
            .by(actor)
            .object_type("child")
            .detail(format!("results={}", page.total)),
    )
    .await?;
    tx.commit().await?;
    Ok(page)
}

/// The name condition of a search (on `$1`) and its value. Three characters or more use the
/// trigram index: SQLite's FTS5 table, by a quoted phrase; PostgreSQL's GIN index, which serves
/// LIKE itself. Shorter queries, which no trigram can match, use LIKE on both.
fn name_condition(backend: crate::Backend, q: Option<&str>) -> (&'static str, Option<String>) {
    let Some(key) = q.map(kana::normalize).filter(|k| !k.is_empty()) else {
        return ("($1 IS NULL OR $1 IS NOT NULL)", None);
    };
    match backend {
        crate::Backend::Sqlite if key.chars().count() >= 3 => (
            "c.id IN (SELECT rowid FROM children_name_fts WHERE children_name_fts MATCH $1)",
            Some(format!("\"{}\"", key.replace('"', "\"\""))),
        ),
        _ => (
            "c.search_key LIKE $1 ESCAPE '\\'",
            Some(contains_pattern(&key)),
        ),
    }
}

/// Exactly the children an agency user may see today (their "my children" page).
async fn shared_with_agency(db: &Db, actor: &Actor) -> Result<Vec<ChildSummary>> {
    let Some(agency) = actor.agency_id else {
        return Ok(vec![]);
    };
    // Candidates: children whose care team holds the agency now; the rule decides each one.
    let candidates: Vec<ChildSummary> = query(format!(
        "SELECT DISTINCT {SUMMARY_COLUMNS} {CHILD_FROM} JOIN care_team_members t ON t.child_id = c.id \
         WHERE t.agency_id = $1 AND t.from_on <= $2 AND (t.to_on IS NULL OR t.to_on >= $2) AND c.merged_into_id IS NULL \
         ORDER BY c.family_kana, c.given_kana, c.id"
    ))
    .bind(agency)
    .bind(today())
    .fetch_all(db)
    .await?;
    let mut visible = Vec::new();
    for c in candidates {
        if let Some(f) = facts(db, actor, ChildId(c.id)).await? {
            if child_access(actor, &f, today(), Purpose::Read).is_ok() {
                visible.push(c);
            }
        }
    }
    Ok(visible)
}

/// A new member of a child's care team.
#[derive(Clone, Debug)]
pub struct NewTeamMember {
    pub agency_id: AgencyId,
    pub role: String,
    pub person: Option<String>,
    pub from: Date,
}

/// Adds an agency to the child's care team.
pub async fn add_team_member(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    member: &NewTeamMember,
) -> Result<i64> {
    authorize(db, meta, actor, id, Purpose::Write, "care_team.add").await?;
    let mut tx = db.begin().await?;
    let member_id = insert_team_member(&mut tx, id, member, Some(actor)).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("care_team.add")
            .by(actor)
            .object("child", id)
            .detail(format!("agency={}", member.agency_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(member_id)
}

/// Inside `tx`: for `add_team_member` and the demo.
pub async fn insert_team_member(
    tx: &mut Tx,
    id: ChildId,
    member: &NewTeamMember,
    actor: Option<&Actor>,
) -> Result<i64> {
    let (member_id,): (i64,) = query(
        "INSERT INTO care_team_members (child_id, agency_id, role, person, from_on, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(id.0)
    .bind(member.agency_id)
    .bind(&member.role)
    .bind(member.person.as_deref())
    .bind(member.from)
    .bind(crate::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "関係機関が見つかりません。"))?;
    let (name,): (String,) = query("SELECT name FROM agencies WHERE id = $1")
        .bind(member.agency_id)
        .fetch_one(&mut *tx)
        .await?;
    add_event(
        tx,
        id,
        "care_team",
        &format!("支援チームに{name}が加わりました"),
        Some(member_id),
        actor,
    )
    .await?;
    Ok(member_id)
}

/// Ends a membership on `to`; the history stays.
pub async fn end_team_member(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    member: i64,
    to: Date,
) -> Result<()> {
    authorize(db, meta, actor, id, Purpose::Write, "care_team.end").await?;
    let mut tx = db.begin().await?;
    let n = query(
        "UPDATE care_team_members SET to_on = $1 WHERE id = $2 AND child_id = $3 AND to_on IS NULL",
    )
    .bind(to)
    .bind(member)
    .bind(id.0)
    .execute(&mut tx)
    .await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    add_event(
        &mut tx,
        id,
        "care_team",
        "支援チームのメンバーが終了しました",
        Some(member),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("care_team.end").by(actor).object("child", id),
    )
    .await?;
    tx.commit().await
}

/// One line of a child's timeline.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// record, status, consultation, consent, care_team (later: referral, meeting, transition…)
    pub kind: String,
    pub summary: String,
    pub ref_id: Option<i64>,
    pub user_name: Option<String>,
}

/// Everything that happened for the child, newest first, filtered by kind and period; for the
/// area's staff (the record's history is not part of what an agency is shown).
/// What a timeline is narrowed to.
#[derive(Clone, Debug, Default)]
pub struct TimelineFilter {
    pub kind: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

pub async fn timeline(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    filter: &TimelineFilter,
    paging: Paging,
) -> Result<Page<TimelineEntry>> {
    let (kind, from, until) = (filter.kind.as_deref(), filter.from, filter.until);
    let basis = authorize(db, meta, actor, id, Purpose::Read, "child.timeline").await?;
    if !basis.sees_everything() {
        audit::record_alone(
            db,
            meta,
            Event::new("child.timeline")
                .by(actor)
                .object("child", id)
                .outcome(Outcome::Denied),
        )
        .await?;
        return Err(Error::Forbidden);
    }
    const WHERE: &str = "WHERE e.child_id = $1 AND ($2 IS NULL OR e.kind = $2) AND ($3 IS NULL OR e.at >= $3) AND ($4 IS NULL OR e.at < $4)";
    let bind = |q: crate::db::Query| q.bind(id.0).bind(kind).bind(from).bind(until);
    let (total,): (i64,) = bind(query(format!(
        "SELECT COUNT(*) FROM child_events e {WHERE}"
    )))
    .fetch_one(db)
    .await?;
    let items = bind(query(format!(
        "SELECT e.id, e.at, e.kind, e.summary, e.ref_id, u.display_name AS user_name FROM child_events e \
         LEFT JOIN users u ON u.id = e.user_id {WHERE} ORDER BY e.at DESC, e.id DESC LIMIT $5 OFFSET $6"
    )))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(db)
    .await?;
    let mut tx = db.begin().await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("child.timeline").by(actor).object("child", id),
    )
    .await?;
    tx.commit().await?;
    Ok(Page { items, total })
}

/// The child's name, for a page the user was already authorised to open (the timeline).
pub async fn display_name(db: &Db, id: ChildId) -> Result<String> {
    let (name,): (String,) =
        query("SELECT family_name || ' ' || given_name FROM children WHERE id = $1")
            .bind(id.0)
            .fetch_one(db)
            .await?;
    Ok(name)
}

/// The child's siblings recorded in Tsunagu (for the area's staff).
pub async fn siblings(db: &Db, id: ChildId) -> Result<Vec<(i64, String)>> {
    query(
        "SELECT c.id, c.family_name || ' ' || c.given_name FROM child_siblings s JOIN children c ON c.id = s.sibling_id \
         WHERE s.child_id = $1 AND c.merged_into_id IS NULL ORDER BY c.birth_date",
    )
    .bind(id.0)
    .fetch_all(db)
    .await
}

/// Records that two children are siblings (both ways); the user must be able to change both.
pub async fn link_sibling(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    other: ChildId,
) -> Result<()> {
    if id == other {
        return Err(Error::Invalid {
            field: "sibling_id",
            message: "同じ記録をきょうだいにはできません。",
        });
    }
    authorize(db, meta, actor, id, Purpose::Write, "child.sibling").await?;
    authorize(db, meta, actor, other, Purpose::Write, "child.sibling").await?;
    let mut tx = db.begin().await?;
    for (a, b) in [(id, other), (other, id)] {
        query("INSERT INTO child_siblings (child_id, sibling_id) VALUES ($1, $2) ON CONFLICT (child_id, sibling_id) DO NOTHING")
            .bind(a.0)
            .bind(b.0)
            .execute(&mut tx)
            .await?;
        add_event(
            &mut tx,
            a,
            "record",
            &format!("きょうだい（ID {b}）を記録しました"),
            None,
            Some(actor),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("child.sibling")
            .by(actor)
            .object("child", id)
            .detail(format!("sibling={other}")),
    )
    .await?;
    tx.commit().await
}
