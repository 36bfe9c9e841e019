//! Reading a child's record in the parts the user may see, with the disclosure records.

use super::*;

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
    /// What the user may see of the child: the page's other readers take it.
    #[serde(skip)]
    #[schema(ignore)]
    pub access: ChildAccess,
}

impl ChildView {
    pub fn shows(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

/// The record as `access` lets the unit's user see it (mint it with [`access::record`]). The
/// read is audited and, for an agency, each part's first disclosure recorded; the view carries
/// the access for the page's other readers.
pub async fn view(u: &mut Unit, access: ChildAccess) -> Result<ChildView> {
    let id = access.child();
    let mut child: Child = query(format!(
        "SELECT {CHILD_COLUMNS} {CHILD_FROM} WHERE c.id = $1"
    ))
    .bind(id.0)
    .fetch_one(&mut *u)
    .await?;
    let parts = access.parts();
    let sees_everything = access.sees_everything();
    let shows = |p: SharePart| access.sees(p);
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
    let guardians = if shows(SharePart::Profile) {
        query("SELECT name, kana, relation, phone, email, contact_preference FROM guardians WHERE child_id = $1 ORDER BY sort_order, id")
            .bind(id.0)
            .fetch_all(&mut *u)
            .await?
    } else {
        vec![]
    };
    let (certificates, benefit_certificates) = if shows(SharePart::Profile) {
        (
            query("SELECT kind, grade, issued_on, renewal_on FROM certificates WHERE child_id = $1 ORDER BY id").bind(id.0).fetch_all(&mut *u).await?,
            query("SELECT service, amount, valid_from, valid_to FROM benefit_certificates WHERE child_id = $1 ORDER BY valid_to, id")
                .bind(id.0)
                .fetch_all(&mut *u)
                .await?,
        )
    } else {
        (vec![], vec![])
    };
    let accommodations = if shows(SharePart::Accommodations) {
        query("SELECT text, found_by, found_on FROM accommodations WHERE child_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(&mut *u)
            .await?
    } else {
        vec![]
    };
    let care_team = if shows(SharePart::CareTeam) {
        query(
            "SELECT t.id, t.agency_id, a.name AS agency_name, t.role, t.person, t.from_on, t.to_on, t.family_agreed \
             FROM care_team_members t JOIN agencies a ON a.id = t.agency_id WHERE t.child_id = $1 ORDER BY t.to_on IS NOT NULL, t.from_on DESC, t.id",
        )
        .bind(id.0)
        .fetch_all(&mut *u)
        .await?
    } else {
        vec![]
    };
    let consents = if sees_everything {
        consents(u, id).await?
    } else {
        vec![]
    };
    u.audit(
        Event::new("child.read")
            .object("child", id)
            .detail(access.basis().code()),
    );
    access.disclose(u, &parts)?;
    Ok(ChildView {
        child,
        guardians,
        certificates,
        benefit_certificates,
        accommodations,
        care_team,
        consents,
        parts: parts.iter().map(|p| p.code().to_owned()).collect(),
        basis: access.basis().code(),
        may_write: access.is_coordinator(),
        sees_everything,
        access,
    })
}

/// A disclosure record, for the child's page and the tests.
#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Disclosure {
    pub agency_name: String,
    pub part: String,
    /// The basis as recorded: `consent:ID`, `legal:ID` (要対協), `coordinator:areaN`…
    pub basis: String,
    pub user_login: Option<String>,
    /// Who was shown it, by name.
    pub user_name: Option<String>,
    pub at: OffsetDateTime,
}

impl Disclosure {
    /// The basis in words, for the screen (the code stays in the record and the API).
    pub fn basis_label(&self) -> &'static str {
        match self
            .basis
            .split_once(':')
            .map_or(self.basis.as_str(), |(kind, _)| kind)
        {
            "consent" => "保護者の同意",
            "legal" => "要保護児童対策地域協議会（法に基づく共有）",
            "coordinator" => "担当地域のコーディネーター",
            "supervisor" => "担当地域の市町村担当者",
            _ => "その他",
        }
    }
}

/// The child's disclosure records (the area's staff: an agency is not shown what others got).
pub async fn disclosures(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Disclosure>> {
    if !access.sees_everything() {
        return Ok(vec![]);
    }
    query(
        "SELECT a.name AS agency_name, d.part, d.basis, u.login AS user_login, u.display_name AS user_name, d.at FROM disclosures d \
         JOIN agencies a ON a.id = d.agency_id LEFT JOIN users u ON u.id = d.user_id WHERE d.child_id = $1 ORDER BY d.at, d.id",
    )
    .bind(access.child().0)
    .fetch_all(u)
    .await
}

async fn consents(u: &mut Unit, child: ChildId) -> Result<Vec<Consent>> {
    let mut rows: Vec<Consent> = query(
        "SELECT c.id, c.basis, c.guardian_name, c.parts, c.valid_from, c.valid_to, c.obtained, c.note, c.revoked_on, c.attachment_id, c.ended_by_transfer_id \
         FROM consents c WHERE c.child_id = $1 ORDER BY c.id DESC",
    )
    .bind(child.0)
    .fetch_all(&mut *u)
    .await?;
    let names: Vec<(i64, String)> = query(
        "SELECT ca.consent_id, a.name FROM consent_agencies ca JOIN agencies a ON a.id = ca.agency_id \
         JOIN consents c ON c.id = ca.consent_id WHERE c.child_id = $1 \
         UNION ALL SELECT ck.consent_id, k.name || '（種別）' FROM consent_agency_kinds ck JOIN agency_kinds k ON k.id = ck.kind_id \
         JOIN consents c ON c.id = ck.consent_id WHERE c.child_id = $1",
    )
    .bind(child.0)
    .fetch_all(&mut *u)
    .await?;
    for c in &mut rows {
        c.agencies = names
            .iter()
            .filter(|(id, _)| *id == c.id.0)
            .map(|(_, n)| n.clone())
            .collect();
    }
    Ok(rows)
}

/// The whole record as documents print it (handover sheet draft, support file): the area's
/// staff only; the caller audits the read as what it makes of it.
#[derive(Clone, Debug)]
pub struct FullRecord {
    pub child: Child,
    pub guardians: Vec<Guardian>,
    pub certificates: Vec<Certificate>,
    pub benefit_certificates: Vec<BenefitCertificate>,
    pub accommodations: Vec<Accommodation>,
    /// The care team today: agency, role, person, the agency's phone.
    pub contacts: Vec<(String, String, Option<String>, Option<String>)>,
    /// Every member ever, with period: agency, role, from, to.
    pub services: Vec<(String, String, time::Date, Option<time::Date>)>,
    /// 本人・家族の意向 of the current support plan.
    pub plan_wishes: Option<String>,
}

pub(crate) async fn record_for_documents<'a>(
    on: impl Into<On<'a>>,
    access: &ChildAccess,
) -> Result<FullRecord> {
    if !access.sees_everything() {
        return Err(Error::Forbidden);
    }
    let mut on = on.into();
    let id = access.child();
    let child: Child = query(format!(
        "SELECT {CHILD_COLUMNS} {CHILD_FROM} WHERE c.id = $1"
    ))
    .bind(id.0)
    .fetch_one(on.exec())
    .await?;
    let guardians = query("SELECT name, kana, relation, phone, email, contact_preference FROM guardians WHERE child_id = $1 ORDER BY sort_order, id")
        .bind(id.0)
        .fetch_all(on.exec())
        .await?;
    let certificates = query("SELECT kind, grade, issued_on, renewal_on FROM certificates WHERE child_id = $1 ORDER BY id")
        .bind(id.0)
        .fetch_all(on.exec())
        .await?;
    let benefit_certificates = query("SELECT service, amount, valid_from, valid_to FROM benefit_certificates WHERE child_id = $1 ORDER BY valid_to, id")
        .bind(id.0)
        .fetch_all(on.exec())
        .await?;
    let accommodations = query(
        "SELECT text, found_by, found_on FROM accommodations WHERE child_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(on.exec())
    .await?;
    let contacts = query(
        "SELECT a.name, t.role, t.person, a.phone FROM care_team_members t JOIN agencies a ON a.id = t.agency_id \
         WHERE t.child_id = $1 AND t.from_on <= $2 AND (t.to_on IS NULL OR t.to_on > $2) ORDER BY t.from_on, t.id",
    )
    .bind(id.0)
    .bind(super::today_in_japan())
    .fetch_all(on.exec())
    .await?;
    let services = query(
        "SELECT a.name, t.role, t.from_on, t.to_on FROM care_team_members t JOIN agencies a ON a.id = t.agency_id \
         WHERE t.child_id = $1 ORDER BY t.from_on, t.id",
    )
    .bind(id.0)
    .fetch_all(on.exec())
    .await?;
    let plan_wishes: Option<(Option<String>,)> =
        query("SELECT wishes FROM support_plans WHERE child_id = $1 AND current = $2")
            .bind(id.0)
            .bind(true)
            .fetch_optional(on.exec())
            .await?;
    Ok(FullRecord {
        child,
        guardians,
        certificates,
        benefit_certificates,
        accommodations,
        contacts,
        services,
        plan_wishes: plan_wishes.and_then(|(w,)| w),
    })
}
