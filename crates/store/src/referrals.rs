//! Referrals (つなぎ): a coordinator connects a child to an agency within what the guardian
//! consented to; the agency answers in its inbox. Every step is on the child's timeline and in
//! the audit log; what the referral sends is recorded as disclosed.

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};
use tsunagu_domain::{
    access::SharePart,
    referral::{transition, Action, Party, Refused, State},
    Actor, AgencyId, ReferralId, Role,
};

use crate::{
    access::{self, ChildAccess},
    audit::{Event, Outcome},
    children::{self, ChildId},
    db::{query, On},
    Error, Result, Unit,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Referral {
    #[schema(value_type = i64)]
    pub id: ReferralId,
    /// Empty (0) when the agency may no longer see the child.
    #[schema(value_type = i64)]
    pub child_id: ChildId,
    /// The child's name; empty when the agency may no longer see the child (consent ended).
    pub child_name: String,
    pub area_id: i64,
    pub agency_id: i64,
    pub agency_name: String,
    pub reason: String,
    #[schema(value_type = Option<String>, format = Date)]
    pub desired_on: Option<Date>,
    /// Part codes sent with it.
    pub parts: String,
    /// open, accepted, declined, completed, cancelled
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub state: State,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    pub decline_reason: Option<String>,
    pub outcome: Option<String>,
    /// The agency is on the child's care team now (the coordinator may add it in one click if not).
    pub on_team: bool,
    /// The reader may see the child (an agency's consent may have ended).
    #[serde(skip)]
    #[schema(ignore)]
    pub visible: bool,
}

impl Referral {
    pub fn state_label(&self) -> &'static str {
        self.state.label()
    }
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }
    pub fn part_labels(&self) -> String {
        self.parts
            .split(',')
            .filter_map(SharePart::from_code)
            .map(SharePart::label)
            .collect::<Vec<_>>()
            .join("・")
    }
}

const SELECT: &str = "SELECT r.id, r.child_id, c.family_name || ' ' || c.given_name AS child_name, c.area_id, r.agency_id, \
    a.name AS agency_name, r.reason, r.desired_on, r.parts, r.state, u.display_name AS created_by_name, r.created_at, \
    r.answered_at, r.decline_reason, r.outcome, \
    EXISTS (SELECT 1 FROM care_team_members t WHERE t.child_id = r.child_id AND t.agency_id = r.agency_id AND t.to_on IS NULL) AS on_team, \
    1 = 1 AS visible \
    FROM referrals r JOIN children c ON c.id = r.child_id JOIN agencies a ON a.id = r.agency_id LEFT JOIN users u ON u.id = r.created_by";

/// What a coordinator gives for a referral.
#[derive(Clone, Debug)]
pub struct NewReferral {
    pub agency_id: AgencyId,
    pub reason: String,
    pub desired_on: Option<Date>,
    pub parts: Vec<SharePart>,
}

/// Refers the child to `new.agency_id` within what a consent lets go to it; `access` is the
/// coordinator's, minted for a change.
pub async fn create(u: &mut Unit, access: &ChildAccess, new: &NewReferral) -> Result<ReferralId> {
    let child = access.child();
    let mut w = access::write(u, access, "referral.create").await?;
    let Some((basis, consented)) =
        access::consented_to(&mut On::Tx(&mut w.tx), child, new.agency_id).await?
    else {
        return Err(Error::Invalid { field: "agency_id", message: "この機関に情報を共有する同意（または要保護児童対策地域協議会の根拠）がありません。先に同意を記録してください。" });
    };
    if new.parts.is_empty() || new.parts.iter().any(|p| !consented.contains(p)) {
        return Err(Error::Invalid {
            field: "parts",
            message: "共有する内容は、同意された範囲から選んでください。",
        });
    }
    let actor = w.actor()?;
    let parts = new
        .parts
        .iter()
        .map(|p| p.code())
        .collect::<Vec<_>>()
        .join(",");
    let (id,): (i64,) = query(
        "INSERT INTO referrals (child_id, agency_id, reason, desired_on, parts, state, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id",
    )
    .bind(child.0)
    .bind(new.agency_id)
    .bind(&new.reason)
    .bind(new.desired_on)
    .bind(parts)
    .bind(actor.user_id)
    .bind(crate::now())
    .fetch_one(&mut w.tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "関係機関が見つかりません。"))?;
    let (agency_name,): (String,) = query("SELECT name FROM agencies WHERE id = $1")
        .bind(new.agency_id)
        .fetch_one(&mut w.tx)
        .await?;
    let reason: String = new.reason.chars().take(40).collect();
    children::add_event(
        &mut w.tx,
        child,
        "referral",
        &format!("{agency_name}につなぎました：{reason}"),
        Some(id),
        Some(&actor),
    )
    .await?;
    // What a referral sends is disclosed to the agency from this moment.
    access::record_sent(&mut w, child, new.agency_id, &basis, &new.parts).await?;
    crate::notifications::to_agency(
        &mut w.tx,
        new.agency_id,
        &crate::notifications::Notice {
            kind: crate::notifications::Kind::Referral,
            subject: "【つなぐ】受信箱に新しいつなぎ（紹介）が届きました",
            what: "療育支援コーディネーターからのつなぎ（紹介）が、受信箱に届きました。",
            path: "/inbox",
        },
    )
    .await?;
    w.record(
        Event::new("referral.create")
            .object("referral", id)
            .detail(format!("child={child}")),
    )
    .await?;
    w.commit().await?;
    Ok(ReferralId(id))
}

async fn load<'a>(on: impl Into<On<'a>>, id: ReferralId) -> Result<Option<Referral>> {
    let mut on = on.into();
    query(format!("{SELECT} WHERE r.id = $1"))
        .bind(id.0)
        .fetch_optional(on.exec())
        .await
}

fn party(actor: &Actor, r: &Referral) -> Party {
    match actor.role {
        Role::AgencyStaff if actor.agency_id == Some(AgencyId(r.agency_id)) => {
            Party::ReceivingAgency
        }
        Role::Coordinator if actor.serves_area(tsunagu_domain::AreaId(r.area_id)) => {
            Party::Coordinator
        }
        _ => Party::Other,
    }
}

/// Who may move a referral: the coordinators of its child's area and the receiving agency.
/// Asked before a form's input is checked; anyone else is told it does not exist, and a party
/// the step is not theirs gets 403. Answers the referral as it stands.
pub async fn may_act(u: &mut Unit, id: ReferralId, action: Action) -> Result<Referral> {
    let actor = u.actor()?;
    let found = load(&mut *u, id).await?;
    let who = found.as_ref().map_or(Party::Other, |r| party(&actor, r));
    let refuse = |outcome: Outcome, why: &'static str| {
        Event::new("referral.update")
            .object("referral", id)
            .outcome(outcome)
            .detail(why)
    };
    let Some(r) = found
        .filter(|r| who != Party::Other || actor.serves_area(tsunagu_domain::AreaId(r.area_id)))
    else {
        u.audit(refuse(Outcome::Denied, "not visible"));
        return Err(Error::NotFound);
    };
    if let Err(Refused::NotYours) = transition(r.state, action, who) {
        u.audit(refuse(Outcome::Denied, action.code()));
        return Err(Error::Forbidden);
    }
    Ok(r)
}

/// Moves a referral on: accept, decline (with a reason), complete (with the outcome), cancel.
/// The party and the state are checked again inside the change.
pub async fn act(u: &mut Unit, id: ReferralId, action: Action, note: Option<&str>) -> Result<()> {
    let r = may_act(u, id, action).await?;
    let actor = u.actor()?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if action == Action::Decline && note.is_none() {
        return Err(Error::Invalid {
            field: "note",
            message: "お断りの理由を入力してください。",
        });
    }
    if action == Action::Complete && note.is_none() {
        return Err(Error::Invalid {
            field: "note",
            message: "結果（どうなったか）を入力してください。",
        });
    }
    let mut w = u.write().await?;
    let Some(current) = load(&mut w.tx, id).await? else {
        return Err(Error::NotFound);
    };
    let who = party(&actor, &current);
    let next = match transition(current.state, action, who) {
        Ok(next) => next,
        Err(Refused::NotYours) => {
            w.refuse(
                Event::new("referral.update")
                    .object("referral", id)
                    .outcome(Outcome::Denied)
                    .detail(action.code()),
            );
            return Err(Error::Forbidden);
        }
        Err(Refused::WrongState) => {
            return Err(Error::Invalid {
                field: "state",
                message: "この依頼は今の状態ではその操作ができません。",
            });
        }
    };
    let now = crate::now();
    let sql = match action {
        Action::Accept => "UPDATE referrals SET state = $1, answered_by = $2, answered_at = $3 WHERE id = $4 AND state = $5",
        Action::Decline => "UPDATE referrals SET state = $1, answered_by = $2, answered_at = $3, decline_reason = $6 WHERE id = $4 AND state = $5",
        Action::Complete => "UPDATE referrals SET state = $1, completed_at = $3, outcome = $6 WHERE id = $4 AND state = $5 AND $2 IS NOT NULL",
        Action::Cancel => "UPDATE referrals SET state = $1, cancelled_at = $3 WHERE id = $4 AND state = $5 AND $2 IS NOT NULL",
    };
    query(sql)
        .bind(next.code())
        .bind(actor.user_id)
        .bind(now)
        .bind(id.0)
        .bind(current.state.code())
        .bind(note)
        .execute(&mut w.tx)
        .await?;
    let summary = match action {
        Action::Accept => format!("{}がつなぎを受け入れました", r.agency_name),
        Action::Decline => format!(
            "{}がつなぎをお断りしました：{}",
            r.agency_name,
            note.unwrap_or_default()
        ),
        Action::Complete => format!(
            "{}へのつなぎが完了しました：{}",
            r.agency_name,
            note.unwrap_or_default()
        ),
        Action::Cancel => format!("{}へのつなぎを取り消しました", r.agency_name),
    };
    children::add_event(
        &mut w.tx,
        current.child_id,
        "referral",
        &summary,
        Some(id.0),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("referral.update")
            .object("referral", id)
            .detail(action.code()),
    )
    .await?;
    w.commit().await
}

/// The child's referrals (the area's staff; an agency sees its own in its inbox).
pub async fn for_child(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Referral>> {
    if !access.sees_everything() {
        return Ok(vec![]);
    }
    query(format!(
        "{SELECT} WHERE r.child_id = $1 ORDER BY r.created_at DESC, r.id DESC"
    ))
    .bind(access.child().0)
    .fetch_all(u)
    .await
}

/// An agency's inbox: its live referrals, and those answered in the last 30 days. A child whom
/// the agency may no longer see (consent ended) stays listed without a name or reason.
pub async fn inbox(u: &mut Unit) -> Result<Vec<Referral>> {
    let actor = u.actor()?;
    let Some(agency) = actor.agency_id.filter(|_| actor.role == Role::AgencyStaff) else {
        return Ok(vec![]);
    };
    let since = crate::now() - Duration::days(30);
    let visible = access::visible(&actor, access::today());
    let mut items: Vec<Referral> = query(format!(
        "SELECT r.id, r.child_id, c.family_name || ' ' || c.given_name AS child_name, c.area_id, r.agency_id, \
         a.name AS agency_name, r.reason, r.desired_on, r.parts, r.state, u.display_name AS created_by_name, r.created_at, \
         r.answered_at, r.decline_reason, r.outcome, \
         EXISTS (SELECT 1 FROM care_team_members t WHERE t.child_id = r.child_id AND t.agency_id = r.agency_id AND t.to_on IS NULL) AS on_team, \
         {visible} AS visible \
         FROM referrals r JOIN children c ON c.id = r.child_id JOIN agencies a ON a.id = r.agency_id LEFT JOIN users u ON u.id = r.created_by \
         WHERE r.agency_id = $1 AND (r.state IN ('open', 'accepted') OR r.created_at >= $2) ORDER BY r.state = 'open' DESC, r.created_at DESC"
    ))
    .bind(agency)
    .bind(since)
    .fetch_all(&mut *u)
    .await?;
    for r in items.iter_mut().filter(|r| !r.visible) {
        r.child_id = ChildId(0);
        r.child_name = String::new();
        r.reason = String::new();
    }
    u.audit_shown(
        "referral.inbox",
        items.iter().filter(|r| r.visible).map(|r| r.child_id),
    );
    Ok(items)
}

/// Referrals of the coordinator's areas still unanswered after `days` days.
pub async fn overdue(u: &mut Unit, days: i64) -> Result<Vec<Referral>> {
    let actor = u.actor()?;
    if actor.role != Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    // The area's children as a list to look each open referral up in (`+` keeps the planner
    // from walking every child's referrals instead): a prefecture has thousands open.
    let found: Vec<Referral> = query(format!(
        "{SELECT} WHERE +r.child_id IN (SELECT c.id FROM children c WHERE {}) \
         AND r.state = 'open' AND r.created_at < $1 ORDER BY r.created_at",
        access::visible(&actor, access::today())
    ))
    .bind(crate::now() - Duration::days(days))
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("referral.overdue", found.iter().map(|r| r.child_id));
    Ok(found)
}

/// What the referrals worklist is narrowed to; every part optional, all kept in the page's URL.
#[derive(Clone, Debug, Default)]
pub struct Worklist {
    pub state: Option<State>,
    /// Only the referrals the user made.
    pub mine: bool,
    /// Made on or after / before (Japan's days).
    pub from: Option<Date>,
    pub until: Option<Date>,
}

/// The referrals of the user's areas as `w` narrows them, newest first, a page at a time.
pub async fn worklist(
    u: &mut Unit,
    w: &Worklist,
    paging: crate::Paging,
) -> Result<crate::Page<Referral>> {
    let actor = u.actor()?;
    if !actor.role.needs_areas() || actor.area_ids.is_empty() {
        return Ok(crate::Page {
            items: vec![],
            total: 0,
        });
    }
    let filter = format!(
        "WHERE {} AND ($1 IS NULL OR r.state = $1) AND ($2 IS NULL OR r.created_by = $2) \
         AND ($3 IS NULL OR r.created_at >= $3) AND ($4 IS NULL OR r.created_at < $4)",
        access::visible(&actor, access::today())
    );
    let day = |d: Date| {
        time::PrimitiveDateTime::new(d, time::Time::MIDNIGHT)
            .assume_offset(time::macros::offset!(+9))
    };
    let bind = |q: crate::db::Query| {
        q.bind(w.state.map(State::code))
            .bind(w.mine.then_some(actor.user_id))
            .bind(w.from.map(day))
            .bind(w.until.and_then(Date::next_day).map(day))
    };
    let (total,): (i64,) = bind(query(format!(
        "SELECT COUNT(*) FROM referrals r JOIN children c ON c.id = r.child_id {filter}"
    )))
    .fetch_one(&mut *u)
    .await?;
    let items: Vec<Referral> = bind(query(format!(
        "{SELECT} {filter} ORDER BY r.created_at DESC, r.id DESC LIMIT $5 OFFSET $6"
    )))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("referral.list", items.iter().map(|r| r.child_id));
    Ok(crate::Page { items, total })
}

/// The referrals of the coordinator's or supervisor's areas, newest first (the API list).
pub async fn for_areas(u: &mut Unit) -> Result<Vec<Referral>> {
    let actor = u.actor()?;
    if !actor.role.needs_areas() || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    let found: Vec<Referral> = query(format!(
        "{SELECT} WHERE {} ORDER BY r.created_at DESC LIMIT 500",
        access::visible(&actor, access::today())
    ))
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("referral.list", found.iter().map(|r| r.child_id));
    Ok(found)
}

/// An agency the child's consents let the coordinator refer to, and the parts they cover.
#[derive(Clone, Debug)]
pub struct Referable {
    pub agency_id: AgencyId,
    pub name: String,
    /// Part codes (SharePart) any active consent covers for this agency.
    pub parts: Vec<String>,
}

impl Referable {
    /// The parts as the form's data attribute: "profile,plan".
    pub fn parts_list(&self) -> String {
        self.parts.join(",")
    }
}

/// The agencies the child's active consents (or a legal basis) name today, directly or by kind
/// (by kind, only those near the child's area), with the parts covered: what the referral
/// form offers. The area's staff only; others get none.
pub async fn referable(u: &mut Unit, access: &ChildAccess, area: i64) -> Result<Vec<Referable>> {
    if !access.sees_everything() {
        return Ok(vec![]);
    }
    let today = access::today();
    let active =
        "c.child_id = $1 AND c.valid_from <= $2 AND (c.valid_to IS NULL OR c.valid_to >= $2) \
                  AND (c.revoked_on IS NULL OR c.revoked_on > $2)";
    let rows: Vec<(i64, String, String)> = query(format!(
        "SELECT a.id, a.name, c.parts FROM consents c JOIN consent_agencies ca ON ca.consent_id = c.id \
         JOIN agencies a ON a.id = ca.agency_id WHERE {active} AND a.active = $3 \
         UNION ALL SELECT a.id, a.name, c.parts FROM consents c JOIN consent_agency_kinds ck ON ck.consent_id = c.id \
         JOIN agencies a ON a.kind_id = ck.kind_id WHERE {active} AND a.active = $3 AND a.id IN ( \
           SELECT x.id FROM agencies x WHERE x.municipality_id IN (SELECT am.municipality_id FROM area_municipalities am WHERE am.area_id = $4) \
           UNION SELECT sa.agency_id FROM agency_served_areas sa WHERE sa.area_id = $4)"
    ))
    .bind(access.child().0)
    .bind(today)
    .bind(true)
    .bind(area)
    .fetch_all(&mut *u)
    .await?;
    let mut found: Vec<Referable> = Vec::new();
    for (id, name, parts) in rows {
        let entry = match found.iter_mut().find(|r| r.agency_id.0 == id) {
            Some(entry) => entry,
            None => {
                found.push(Referable {
                    agency_id: AgencyId(id),
                    name,
                    parts: vec![],
                });
                found.last_mut().ok_or(Error::NotFound)?
            }
        };
        for part in parts.split(',').filter(|p| !p.is_empty()) {
            if !entry.parts.iter().any(|p| p == part) {
                entry.parts.push(part.to_owned());
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}
