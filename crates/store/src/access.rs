//! The consent rule at the database. [`child`] reads the facts the domain's `child_access` needs
//! and mints a [`ChildAccess`]: the only way to one, so every reader of anything tied to a child
//! (it takes `&ChildAccess`) went through the rule. Lists filter with [`visible`]: the same rule
//! as one SQL condition, which a property test holds equal to `child_access` on both backends.
//! A change runs the rule again inside its own transaction ([`write`]).

use time::{Date, Duration, OffsetDateTime, Time};
use tsunagu_domain::{
    access::{
        child_access, Basis, ChildFacts, Grant, GrantKind, Involvement, Purpose, Refusal, SharePart,
    },
    handover::HandoverStatus,
    japanese_date::{self, JST},
    meeting::{Invitation, MeetingStatus, INVITATION_DAYS},
    referral, Actor, AgencyId, AreaId, ChildId, ConsentId, Role,
};

use crate::{
    audit::Event,
    db::{id_list, query, On},
    unit::{DisclosureRow, Unit, Write},
    Error, Result,
};

/// What one user may see of one child, and on what ground: minted only by the rule.
#[derive(Clone, Debug)]
pub struct ChildAccess {
    child: ChildId,
    area: AreaId,
    closed: bool,
    merged: bool,
    basis: Basis,
    purpose: Purpose,
}

impl ChildAccess {
    /// Refuses (403) an access that is not the area's own staff's: for the readers of what
    /// only they see (plans, transitions, the support file, the timeline).
    pub fn only_area_staff(&self) -> Result<()> {
        if self.sees_everything() {
            Ok(())
        } else {
            Err(Error::Forbidden)
        }
    }

    pub fn child(&self) -> ChildId {
        self.child
    }

    pub fn area(&self) -> AreaId {
        self.area
    }

    pub fn basis(&self) -> &Basis {
        &self.basis
    }

    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The area's own staff: every part, the coordinator's notes included.
    pub fn sees_everything(&self) -> bool {
        self.basis.sees_everything()
    }

    pub fn sees(&self, part: SharePart) -> bool {
        self.sees_everything() || self.basis.parts().contains(&part)
    }

    pub fn parts(&self) -> Vec<SharePart> {
        self.basis.parts()
    }

    /// A coordinator of the child's area (who may change the record unless it is closed).
    pub fn is_coordinator(&self) -> bool {
        matches!(self.basis, Basis::AreaCoordinator(_))
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Merged into another record: kept, read-only, for its trail.
    pub fn is_merged(&self) -> bool {
        self.merged
    }

    /// Records, for an agency's basis, the first disclosure of each of `parts` to its agency,
    /// with the request's trail (the area's staff disclose nothing).
    pub fn disclose(&self, u: &mut Unit, parts: &[SharePart]) -> Result<()> {
        let Some(consent) = self.grant() else {
            return Ok(());
        };
        let actor = u.actor()?;
        let Some(agency) = actor.agency_id else {
            return Ok(());
        };
        for part in parts.iter().filter(|p| self.basis.parts().contains(p)) {
            u.disclose(DisclosureRow {
                child: self.child,
                agency,
                part: part.code(),
                user: actor.user_id,
                basis: self.basis.code(),
                consent: Some(consent),
                at: crate::now(),
            });
        }
        Ok(())
    }

    fn grant(&self) -> Option<ConsentId> {
        match &self.basis {
            Basis::Consent { grant_id, .. } | Basis::LegalBasis { grant_id, .. } => Some(*grant_id),
            _ => None,
        }
    }
}

/// Today in Japan: consents, memberships and invitations run by Japanese dates.
pub fn today() -> Date {
    japanese_date::today(OffsetDateTime::now_utc())
}

/// The access of the unit's user to `id` for `purpose`. A refusal is written to the audit log
/// under `action`: a child the user may not know of is [`Error::NotFound`], exactly like one
/// that does not exist; one they see but may not change is [`Error::Forbidden`].
pub async fn child(
    u: &mut Unit,
    id: ChildId,
    purpose: Purpose,
    action: &str,
) -> Result<ChildAccess> {
    match decide(u, id, purpose).await? {
        Ok(access) => Ok(access),
        Err(refusal) => {
            u.audit(refused(action, id, refusal));
            Err(error_of(refusal))
        }
    }
}

/// [`child`] to read the record itself (its page, its API, the pages built on it).
pub async fn record(u: &mut Unit, id: ChildId) -> Result<ChildAccess> {
    child(u, id, Purpose::Read, "child.read").await
}

/// [`child`] for what only the area's own staff read (plans, transitions, the support file):
/// an agency that may see the child is still refused, and the refusal is audited.
pub async fn area_staff(u: &mut Unit, id: ChildId, action: &str) -> Result<ChildAccess> {
    let access = child(u, id, Purpose::Read, action).await?;
    if access.sees_everything() {
        return Ok(access);
    }
    u.audit(
        Event::new(action)
            .object("child", id)
            .outcome(crate::audit::Outcome::Denied)
            .detail("the area's own record"),
    );
    Err(Error::Forbidden)
}

/// The access, or `None` without an audit entry: for a page that shows less when the user may
/// not see the child (a meeting's logistics), not a refusal.
pub async fn if_visible(
    u: &mut Unit,
    id: ChildId,
    purpose: Purpose,
) -> Result<Option<ChildAccess>> {
    Ok(decide(u, id, purpose).await?.ok())
}

async fn decide(
    u: &mut Unit,
    id: ChildId,
    purpose: Purpose,
) -> Result<std::result::Result<ChildAccess, Refusal>> {
    let actor = u.actor()?;
    let today = today();
    let mut on = On::Unit(u);
    let found = facts(&mut on, &actor, id, today).await?;
    Ok(mint(&actor, id, found, today, purpose))
}

fn mint(
    actor: &Actor,
    id: ChildId,
    found: Option<(ChildFacts, bool)>,
    today: Date,
    purpose: Purpose,
) -> std::result::Result<ChildAccess, Refusal> {
    let Some((facts, merged)) = found else {
        return Err(Refusal::NotVisible);
    };
    let basis = child_access(actor, &facts, today, purpose)?;
    Ok(ChildAccess {
        child: id,
        area: facts.area.unwrap_or_default(),
        closed: facts.closed,
        merged,
        basis,
        purpose,
    })
}

fn refused(action: &str, id: ChildId, refusal: Refusal) -> Event<'_> {
    Event::new(action)
        .object("child", id)
        .outcome(crate::audit::Outcome::Denied)
        .detail(match refusal {
            Refusal::NotVisible => "not visible",
            Refusal::NotAllowed => "not allowed",
            Refusal::Closed => "closed",
        })
}

fn error_of(refusal: Refusal) -> Error {
    match refusal {
        Refusal::NotVisible => Error::NotFound,
        Refusal::NotAllowed => Error::Forbidden,
        Refusal::Closed => Error::Closed,
    }
}

/// Begins the change `access` was minted for, and runs the rule again inside its transaction
/// (a consent revoked since the page was read stops the change). The refusal, if any, is
/// audited under `action`.
pub async fn write<'u>(u: &'u mut Unit, access: &ChildAccess, action: &str) -> Result<Write<'u>> {
    if access.purpose == Purpose::Read {
        return Err(Error::Other(format!(
            "{action}: a change needs an access minted for it"
        )));
    }
    let actor = u.actor()?;
    let today = today();
    let mut w = u.write().await?;
    let found = facts(&mut On::Tx(&mut w.tx), &actor, access.child, today).await?;
    match mint(&actor, access.child, found, today, access.purpose) {
        Ok(_) => Ok(w),
        Err(refusal) => {
            w.refuse(refused(action, access.child, refusal));
            Err(error_of(refusal))
        }
    }
}

/// Inside a change begun for one child, the rule again for another it touches (a sibling, the
/// other record of a duplicate pair).
pub(crate) async fn also(w: &mut Write<'_>, access: &ChildAccess, action: &str) -> Result<()> {
    let actor = w.actor()?;
    let today = today();
    let found = facts(&mut On::Tx(&mut w.tx), &actor, access.child, today).await?;
    match mint(&actor, access.child, found, today, access.purpose) {
        Ok(_) => Ok(()),
        Err(refusal) => {
            w.refuse(refused(action, access.child, refusal));
            Err(error_of(refusal))
        }
    }
}

/// What the rule needs of `child` and of the actor's agency, and whether the record was merged
/// away; `None` if there is no such child.
pub(crate) async fn facts(
    on: &mut On<'_>,
    actor: &Actor,
    child: ChildId,
    today: Date,
) -> Result<Option<(ChildFacts, bool)>> {
    // A merged record stays visible (closed, read-only) so its trail to the survivor is kept.
    let row: Option<(i64, String, Option<i64>, Option<i64>)> = match actor.agency_id {
        Some(agency) if actor.role == Role::AgencyStaff => {
            query(
                "SELECT c.area_id, c.status, c.merged_into_id, (SELECT kind_id FROM agencies WHERE id = $2) \
                 FROM children c WHERE c.id = $1",
            )
            .bind(child.0)
            .bind(agency)
            .fetch_optional(on.exec())
            .await?
        }
        _ => query("SELECT area_id, status, merged_into_id, CAST(NULL AS BIGINT) FROM children WHERE id = $1")
            .bind(child.0)
            .fetch_optional(on.exec())
            .await?,
    };
    let Some((area, status, merged_into, agency_kind)) = row else {
        return Ok(None);
    };
    let mut facts = ChildFacts {
        area: Some(AreaId(area)),
        closed: status == "closed",
        ..ChildFacts::default()
    };
    if let (Role::AgencyStaff, Some(agency)) = (actor.role, actor.agency_id) {
        facts.agency_kind = agency_kind;
        facts.grants = grants_of(on, &[child])
            .await?
            .remove(&child)
            .unwrap_or_default();
        // Without a grant naming the agency the rule refuses whatever the ties are.
        if facts
            .grants
            .iter()
            .any(|g| g.in_force(today) && g.names(agency, agency_kind))
        {
            facts.involvement = involvement(on, child, agency).await?;
        }
    }
    Ok(Some((facts, merged_into.is_some())))
}

/// The agency's ties to the child, as the rule reads them.
pub(crate) async fn involvement(
    on: &mut On<'_>,
    child: ChildId,
    agency: AgencyId,
) -> Result<Involvement> {
    let memberships: Vec<(Date, Option<Date>)> = query(
        "SELECT from_on, to_on FROM care_team_members WHERE child_id = $1 AND agency_id = $2",
    )
    .bind(child.0)
    .bind(agency)
    .fetch_all(on.exec())
    .await?;
    let referrals: Vec<(String,)> =
        query("SELECT state FROM referrals WHERE child_id = $1 AND agency_id = $2")
            .bind(child.0)
            .bind(agency)
            .fetch_all(on.exec())
            .await?;
    let invitations: Vec<(OffsetDateTime, String, Option<OffsetDateTime>)> = query(
        "SELECT m.starts_at, m.status, m.cancelled_at FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id \
         WHERE m.child_id = $1 AND p.agency_id = $2",
    )
    .bind(child.0)
    .bind(agency)
    .fetch_all(on.exec())
    .await?;
    let handovers: Vec<(String, bool)> = query(
        "SELECT status, feedback_at IS NOT NULL FROM handover_sheets WHERE child_id = $1 AND agency_id = $2",
    )
    .bind(child.0)
    .bind(agency)
    .fetch_all(on.exec())
    .await?;
    Ok(Involvement {
        memberships,
        referrals: referrals
            .iter()
            .filter_map(|(s,)| referral::State::from_code(s))
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|(starts_at, status, cancelled_at)| invitation(starts_at, &status, cancelled_at))
            .collect(),
        handovers: handovers
            .iter()
            .filter_map(|(s, fed_back)| HandoverStatus::from_code(s).map(|s| (s, *fed_back)))
            .collect(),
    })
}

/// A meeting row as the rule's invitation: dates in Japan; a cancellation counts only while the
/// meeting stands cancelled.
pub(crate) fn invitation(
    starts_at: OffsetDateTime,
    status: &str,
    cancelled_at: Option<OffsetDateTime>,
) -> Invitation {
    Invitation {
        meeting_on: japanese_date::today(starts_at),
        cancelled_on: if MeetingStatus::from_code(status) == Some(MeetingStatus::Cancelled) {
            cancelled_at.map(japanese_date::today)
        } else {
            None
        },
    }
}

/// The grants of several children, in three queries whatever their number.
pub(crate) async fn grants_of(
    on: &mut On<'_>,
    children: &[ChildId],
) -> Result<std::collections::HashMap<ChildId, Vec<Grant>>> {
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
    let mut out: std::collections::HashMap<ChildId, Vec<Grant>> = std::collections::HashMap::new();
    if children.is_empty() {
        return Ok(out);
    }
    // Built from integer ids only, never from input.
    let ids = id_list(children.iter().map(|c| c.0));
    let rows: Vec<Row> = query(format!(
        "SELECT id, child_id, basis, parts, valid_from, valid_to, revoked_on FROM consents WHERE child_id IN ({ids}) ORDER BY id"
    ))
    .fetch_all(on.exec())
    .await?;
    if rows.is_empty() {
        return Ok(out);
    }
    // 'a' names an agency, 'k' an agency kind (text: an integer literal is INT4 on PostgreSQL).
    let named: Vec<(i64, i64, String)> = query(format!(
        "SELECT ca.consent_id, ca.agency_id, 'a' FROM consent_agencies ca JOIN consents c ON c.id = ca.consent_id WHERE c.child_id IN ({ids}) \
         UNION ALL SELECT ck.consent_id, ck.kind_id, 'k' FROM consent_agency_kinds ck JOIN consents c ON c.id = ck.consent_id WHERE c.child_id IN ({ids})"
    ))
    .fetch_all(on.exec())
    .await?;
    for r in rows {
        out.entry(ChildId(r.child_id)).or_default().push(Grant {
            id: ConsentId(r.id),
            kind: if r.basis == "legal" {
                GrantKind::Legal
            } else {
                GrantKind::Consent
            },
            agencies: named
                .iter()
                .filter(|(c, _, what)| *c == r.id && what == "a")
                .map(|(_, a, _)| AgencyId(*a))
                .collect(),
            agency_kinds: named
                .iter()
                .filter(|(c, _, what)| *c == r.id && what == "k")
                .map(|(_, k, _)| *k)
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

/// The agency's kind, which a consent may name instead of the agency.
pub(crate) async fn agency_kind(on: &mut On<'_>, agency: AgencyId) -> Result<Option<i64>> {
    let kind: Option<(Option<i64>,)> = query("SELECT kind_id FROM agencies WHERE id = $1")
        .bind(agency)
        .fetch_optional(on.exec())
        .await?;
    Ok(kind.and_then(|(k,)| k))
}

/// What a consent in force today lets go to `agency` about the child (a referral, a handover
/// sheet): the basis of the first such grant and the union of their parts; `None` when nothing
/// may go. This is the sending side; what a user sees is [`child`].
pub(crate) async fn consented_to(
    on: &mut On<'_>,
    child: ChildId,
    agency: AgencyId,
) -> Result<Option<(Basis, Vec<SharePart>)>> {
    let agency_kind = agency_kind(on, agency).await?;
    let today = today();
    let grants: Vec<Grant> = grants_of(on, &[child])
        .await?
        .remove(&child)
        .unwrap_or_default()
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

/// Records, inside a change, that `parts` went to `agency` on `basis` (a referral or a handover
/// sheet sends them): the first time each part reaches the agency.
pub(crate) async fn record_sent(
    w: &mut Write<'_>,
    child: ChildId,
    agency: AgencyId,
    basis: &Basis,
    parts: &[SharePart],
) -> Result<()> {
    let user = w.actor()?.user_id;
    let consent = match basis {
        Basis::Consent { grant_id, .. } | Basis::LegalBasis { grant_id, .. } => Some(grant_id.0),
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
        .bind(user)
        .bind(basis.code())
        .bind(consent)
        .bind(crate::now())
        .execute(&mut w.tx)
        .await?;
    }
    Ok(())
}

/// The first moment of the day `days` before `today` in Japan: an invitation to a meeting on
/// or after it still counts today.
fn invitation_cutoff(today: Date) -> OffsetDateTime {
    (today - Duration::days(INVITATION_DAYS))
        .with_time(Time::MIDNIGHT)
        .assume_offset(JST)
        .to_offset(time::UtcOffset::UTC)
}

/// A date or time as SQL text both backends compare with their columns: SQLite stores dates as
/// `YYYY-MM-DD` and times as RFC 3339 in UTC at whole seconds; PostgreSQL casts the literal.
/// Only for values Tsunagu computes itself, never input.
fn literal_date(d: Date) -> String {
    format!("'{d}'")
}

fn literal_time(t: OffsetDateTime) -> String {
    let t = crate::db::normalize_timestamp(t);
    let text = t
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    format!("'{text}'")
}

/// The consent rule as one SQL condition on the children table aliased `c`: true for exactly
/// the children `actor` may see on `today` (a property test holds it equal to
/// `child_access`). Built from the actor's own ids and dates Tsunagu computes, never input.
pub fn visible(actor: &Actor, today: Date) -> String {
    visible_as(actor, today, "c")
}

/// [`visible`] on the children table aliased `c` (an alias of the caller's, never input).
pub fn visible_as(actor: &Actor, today: Date, c: &str) -> String {
    match actor.role {
        Role::Coordinator | Role::Supervisor => {
            format!(
                "{c}.area_id IN ({})",
                id_list(actor.area_ids.iter().map(|a| a.0))
            )
        }
        Role::AgencyStaff => match actor.agency_id {
            Some(agency) => agency_visible(agency, today, c),
            None => "1 = 0".to_owned(),
        },
        Role::Committee | Role::Admin => "1 = 0".to_owned(),
    }
}

fn agency_visible(agency: AgencyId, today: Date, c: &str) -> String {
    let a = agency.0;
    let d = literal_date(today);
    let cutoff = literal_time(invitation_cutoff(today));
    format!(
        "(EXISTS (SELECT 1 FROM consents g WHERE g.child_id = {c}.id AND g.valid_from <= {d} \
           AND (g.valid_to IS NULL OR g.valid_to >= {d}) AND (g.revoked_on IS NULL OR g.revoked_on > {d}) \
           AND (EXISTS (SELECT 1 FROM consent_agencies ga WHERE ga.consent_id = g.id AND ga.agency_id = {a}) \
             OR EXISTS (SELECT 1 FROM consent_agency_kinds gk JOIN agencies ak ON ak.kind_id = gk.kind_id \
                        WHERE gk.consent_id = g.id AND ak.id = {a}))) \
         AND (EXISTS (SELECT 1 FROM care_team_members t WHERE t.child_id = {c}.id AND t.agency_id = {a} \
                      AND t.from_on <= {d} AND (t.to_on IS NULL OR t.to_on > {d})) \
           OR EXISTS (SELECT 1 FROM referrals r WHERE r.child_id = {c}.id AND r.agency_id = {a} AND r.state IN ('open', 'accepted')) \
           OR EXISTS (SELECT 1 FROM meeting_participants p JOIN meetings m ON m.id = p.meeting_id \
                      WHERE m.child_id = {c}.id AND p.agency_id = {a} \
                      AND ((m.status <> 'cancelled' AND m.starts_at >= {cutoff}) \
                        OR (m.status = 'cancelled' AND COALESCE(m.cancelled_at, m.starts_at) >= {cutoff}))) \
           OR EXISTS (SELECT 1 FROM handover_sheets h WHERE h.child_id = {c}.id AND h.agency_id = {a} \
                      AND h.status IN ('sent', 'acknowledged') AND h.feedback_at IS NULL)))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn the_invitation_cutoff_is_midnight_in_japan_30_days_before() {
        assert_eq!(
            invitation_cutoff(date!(2026 - 12 - 06)),
            datetime!(2026-11-05 15:00 UTC),
            "2026-11-06 00:00 JST"
        );
        assert_eq!(
            literal_time(datetime!(2026-11-05 15:00:00.5 UTC)),
            "'2026-11-05T15:00:00Z'"
        );
    }

    #[test]
    fn a_meeting_row_becomes_the_rules_invitation() {
        let at = datetime!(2026-11-30 16:00 UTC); // 12月1日 1:00 in Japan
        let inv = invitation(at, "held", Some(datetime!(2026-11-01 00:00 UTC)));
        assert_eq!(inv.meeting_on, date!(2026 - 12 - 01));
        assert_eq!(inv.cancelled_on, None, "not cancelled now");
        let inv = invitation(at, "cancelled", Some(datetime!(2026-11-01 00:00 UTC)));
        assert_eq!(inv.cancelled_on, Some(date!(2026 - 11 - 01)));
    }
}
