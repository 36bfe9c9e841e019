//! The child's record: reading it in the parts the user may see, searching, creating and
//! changing it, the care team, siblings and the timeline. Every reader takes the
//! [`ChildAccess`] that only the consent rule mints (`crate::access`); lists filter with its
//! SQL form. Reads leave their audit entry (and, for an agency, the first disclosure of each
//! part) in the request's trail; changes write theirs inside their transaction.

use serde::Serialize;
use time::{Date, OffsetDateTime};
pub use tsunagu_domain::ChildId;
use tsunagu_domain::{
    access::SharePart, kana, Actor, AgencyId, AreaId, ConsentId, MunicipalityId, Role, UserId,
};

use crate::{
    access::{self, ChildAccess},
    audit::{Event, Outcome},
    contains_pattern,
    db::{query, On},
    Error, Page, Paging, Result, Tx, Unit,
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
    /// The responsible coordinator (担当) and the deputy (副担当), with their names.
    pub lead_coordinator_id: Option<i64>,
    pub lead_coordinator_name: Option<String>,
    pub deputy_coordinator_id: Option<i64>,
    pub deputy_coordinator_name: Option<String>,
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
    c.medical_care, c.strengths, c.internal_notes, c.status, c.closed_on, c.closed_reason, c.merged_into_id, \
    c.lead_coordinator_id, (SELECT lu.display_name FROM users lu WHERE lu.id = c.lead_coordinator_id) AS lead_coordinator_name, \
    c.deputy_coordinator_id, (SELECT du.display_name FROM users du WHERE du.id = c.deputy_coordinator_id) AS deputy_coordinator_name";
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
    #[schema(value_type = i64)]
    pub id: ConsentId,
    /// consent or legal
    pub basis: String,
    pub guardian_name: Option<String>,
    /// Comma-separated part codes: profile, accommodations, care_team, consultations, documents, plan.
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
    /// The transfer to another area that ended it (移管): consents are not carried.
    pub ended_by_transfer_id: Option<i64>,
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
        if self.ended_by_transfer_id.is_some() && self.revoked_on.is_some_and(|r| r <= today) {
            "移管により終了"
        } else if self.revoked_on.is_some_and(|r| r <= today) {
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
    access::today()
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
