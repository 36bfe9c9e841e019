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

mod search;
mod team;
mod timeline;
mod view;
mod write;

pub use search::*;
pub use team::*;
pub use timeline::*;
pub use view::*;
pub use write::*;

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
    /// The family agreed to share with this member.
    pub family_agreed: bool,
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
        facts.agency_kind = agency_kind(db, agency).await?;
        // On the care team today, a referral to the agency still open or accepted, invited to a
        // meeting still to be held, or sent a handover sheet it has not yet answered with feedback.
        let (on_team,): (i64,) = query(
            "SELECT (SELECT COUNT(*) FROM care_team_members WHERE child_id = $1 AND agency_id = $2 \
             AND from_on <= $3 AND (to_on IS NULL OR to_on > $3)) \
             + (SELECT COUNT(*) FROM referrals WHERE child_id = $1 AND agency_id = $2 AND state IN ('open', 'accepted')) \
             + (SELECT COUNT(*) FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id \
                WHERE m.child_id = $1 AND p.agency_id = $2 AND m.status = 'scheduled') \
             + (SELECT COUNT(*) FROM handover_sheets h WHERE h.child_id = $1 AND h.agency_id = $2 \
                AND h.status IN ('sent', 'acknowledged') AND h.feedback_at IS NULL)",
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

/// The agency's kind, which a consent may name instead of the agency.
pub(super) async fn agency_kind(db: &Db, agency: AgencyId) -> Result<Option<i64>> {
    let kind: Option<(Option<i64>,)> = query("SELECT kind_id FROM agencies WHERE id = $1")
        .bind(agency)
        .fetch_optional(db)
        .await?;
    Ok(kind.and_then(|(k,)| k))
}

async fn grants(db: &Db, child: ChildId) -> Result<Vec<Grant>> {
    Ok(grants_of(db, &[child])
        .await?
        .remove(&child.0)
        .unwrap_or_default())
}

/// The grants of several children, in three queries whatever their number.
pub(super) async fn grants_of(
    db: &Db,
    children: &[ChildId],
) -> Result<std::collections::HashMap<i64, Vec<Grant>>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        child_id: i64,
        basis: String,
        parts: String,
        valid_from: Date,
        valid_to: Option<Date>,
        revoked_on: Option<Date>,
    }
    let mut out: std::collections::HashMap<i64, Vec<Grant>> = std::collections::HashMap::new();
    if children.is_empty() {
        return Ok(out);
    }
    // Built from integer ids only, never from input.
    let ids = children
        .iter()
        .map(|c| c.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<Row> = query(format!(
        "SELECT id, child_id, basis, parts, valid_from, valid_to, revoked_on FROM consents WHERE child_id IN ({ids}) ORDER BY id"
    ))
    .fetch_all(db)
    .await?;
    let agencies: Vec<(i64, i64)> = query(format!(
        "SELECT ca.consent_id, ca.agency_id FROM consent_agencies ca JOIN consents c ON c.id = ca.consent_id WHERE c.child_id IN ({ids})"
    ))
    .fetch_all(db)
    .await?;
    let kinds: Vec<(i64, i64)> = query(format!(
        "SELECT ck.consent_id, ck.kind_id FROM consent_agency_kinds ck JOIN consents c ON c.id = ck.consent_id WHERE c.child_id IN ({ids})"
    ))
    .fetch_all(db)
    .await?;
    for r in rows {
        out.entry(r.child_id).or_default().push(Grant {
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
        });
    }
    Ok(out)
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

/// [`authorize`] for what only the area's own staff read (plans, transitions, the support file):
/// an agency that may see the child is still refused, and the refusal is audited.
pub async fn authorize_area_staff(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    action: &str,
) -> Result<Basis> {
    let basis = authorize(db, meta, actor, child, Purpose::Read, action).await?;
    if basis.sees_everything() {
        return Ok(basis);
    }
    audit::record_alone(
        db,
        meta,
        Event::new(action)
            .by(actor)
            .object("child", child)
            .outcome(Outcome::Denied)
            .detail("the area's own record"),
    )
    .await?;
    Err(Error::Forbidden)
}

/// Adds an entry to the child's timeline, now.
pub async fn add_event(
    tx: &mut Tx,
    child: ChildId,
    kind: &str,
    summary: &str,
    ref_id: Option<i64>,
    actor: Option<&Actor>,
) -> Result<()> {
    add_event_at(tx, child, crate::now(), kind, summary, ref_id, actor).await
}

/// Adds an entry at the time it happened (a consultation recorded or linked later).
pub async fn add_event_at(
    tx: &mut Tx,
    child: ChildId,
    at: OffsetDateTime,
    kind: &str,
    summary: &str,
    ref_id: Option<i64>,
    actor: Option<&Actor>,
) -> Result<()> {
    query("INSERT INTO child_events (child_id, at, kind, summary, ref_id, user_id) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(child.0)
        .bind(at)
        .bind(kind)
        .bind(summary)
        .bind(ref_id)
        .bind(actor.map(|a| a.user_id))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Which of `children` a consent (or the legal basis) in force today names `agency` for: the
/// same test as [`consented_to`], for a whole list in a few queries.
pub(crate) async fn consented_among(
    db: &Db,
    agency: AgencyId,
    children: &[ChildId],
) -> Result<std::collections::HashSet<i64>> {
    let agency_kind = agency_kind(db, agency).await?;
    let today = today();
    Ok(grants_of(db, children)
        .await?
        .into_iter()
        .filter(|(_, grants)| {
            grants
                .iter()
                .any(|g| g.in_force(today) && g.names(agency, agency_kind))
        })
        .map(|(child, _)| child)
        .collect())
}

/// What a consent in force today lets go to `agency` for the child: the basis of the first such
/// grant and the union of their parts; `None` when nothing may go.
pub(crate) async fn consented_to(
    db: &Db,
    child: ChildId,
    agency: AgencyId,
) -> Result<Option<(Basis, Vec<SharePart>)>> {
    let agency_kind = agency_kind(db, agency).await?;
    let today = today();
    let grants: Vec<Grant> = grants(db, child)
        .await?
        .into_iter()
        .filter(|g| g.in_force(today) && g.names(agency, agency_kind))
        .collect();
    let Some(first) = grants.first() else {
        return Ok(None);
    };
    let mut parts: Vec<SharePart> = grants
        .iter()
        .flat_map(|g| g.parts.iter().copied())
        .collect();
    parts.sort();
    parts.dedup();
    let basis = match first.kind {
        GrantKind::Consent => Basis::Consent {
            grant_id: first.id,
            parts: parts.clone(),
        },
        GrantKind::Legal => Basis::LegalBasis {
            grant_id: first.id,
            parts: parts.clone(),
        },
    };
    Ok(Some((basis, parts)))
}
