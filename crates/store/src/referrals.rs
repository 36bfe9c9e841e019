//! Referrals (つなぎ): a coordinator connects a child to an agency within what the guardian
//! consented to; the agency answers in its inbox. Every step is on the child's timeline and in
//! the audit log; what the referral sends is recorded as disclosed.

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};
use tsunagu_domain::{
    access::{Purpose, SharePart},
    referral::{transition, Action, Party, Refused, State},
    Actor, AgencyId, Role,
};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    children::{self, ChildId},
    db::query,
    Db, Error, Result,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Referral {
    pub id: i64,
    pub child_id: i64,
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
    pub state: String,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    pub decline_reason: Option<String>,
    pub outcome: Option<String>,
    /// The agency is on the child's care team now (the coordinator may add it in one click if not).
    pub on_team: bool,
}

impl Referral {
    pub fn state_label(&self) -> &'static str {
        State::from_code(&self.state).map_or("", State::label)
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
    EXISTS (SELECT 1 FROM care_team_members t WHERE t.child_id = r.child_id AND t.agency_id = r.agency_id AND t.to_on IS NULL) AS on_team \
    FROM referrals r JOIN children c ON c.id = r.child_id JOIN agencies a ON a.id = r.agency_id LEFT JOIN users u ON u.id = r.created_by";

/// What a coordinator gives for a referral.
#[derive(Clone, Debug)]
pub struct NewReferral {
    pub agency_id: AgencyId,
    pub reason: String,
    pub desired_on: Option<Date>,
    pub parts: Vec<SharePart>,
}

pub async fn create(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    new: &NewReferral,
) -> Result<i64> {
    children::authorize(db, meta, actor, child, Purpose::Write, "referral.create").await?;
    let Some((basis, consented)) = children::consented_to(db, child, new.agency_id).await? else {
        return Err(Error::Invalid { field: "agency_id", message: "この機関に情報を共有する同意（または要保護児童対策地域協議会の根拠）がありません。先に同意を記録してください。" });
    };
    if new.parts.is_empty() || new.parts.iter().any(|p| !consented.contains(p)) {
        return Err(Error::Invalid {
            field: "parts",
            message: "共有する内容は、同意された範囲から選んでください。",
        });
    }
    let mut tx = db.begin().await?;
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
    .fetch_one(&mut tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "関係機関が見つかりません。"))?;
    let (agency_name,): (String,) = query("SELECT name FROM agencies WHERE id = $1")
        .bind(new.agency_id)
        .fetch_one(&mut tx)
        .await?;
    let reason: String = new.reason.chars().take(40).collect();
    children::add_event(
        &mut tx,
        child,
        "referral",
        &format!("{agency_name}につなぎました：{reason}"),
        Some(id),
        Some(actor),
    )
    .await?;
    // What a referral sends is disclosed to the agency from this moment.
    let receiving = Actor {
        agency_id: Some(new.agency_id),
        ..actor.clone()
    };
    children::record_disclosures(
        &mut tx,
        &receiving,
        child,
        new.agency_id,
        &basis,
        &new.parts,
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("referral.create")
            .by(actor)
            .object("referral", id)
            .detail(format!("child={child}")),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn load(db: &Db, id: i64) -> Result<Option<Referral>> {
    query(format!("{SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(db)
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

/// Moves a referral on: accept, decline (with a reason), complete (with the outcome), cancel.
pub async fn act(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: i64,
    action: Action,
    note: Option<&str>,
) -> Result<()> {
    let found = load(db, id).await?;
    let who = found.as_ref().map_or(Party::Other, |r| party(actor, r));
    let refuse = |outcome: Outcome, why: &'static str| {
        Event::new("referral.update")
            .by(actor)
            .object("referral", id)
            .outcome(outcome)
            .detail(why)
    };
    let Some(r) = found
        .filter(|r| who != Party::Other || actor.serves_area(tsunagu_domain::AreaId(r.area_id)))
    else {
        audit::record_alone(db, meta, refuse(Outcome::Denied, "not visible")).await?;
        return Err(Error::NotFound);
    };
    let state = State::from_code(&r.state)
        .ok_or_else(|| Error::Other(format!("unknown referral state {}", r.state)))?;
    let next = match transition(state, action, who) {
        Ok(next) => next,
        Err(Refused::NotYours) => {
            audit::record_alone(db, meta, refuse(Outcome::Denied, action.code())).await?;
            return Err(Error::Forbidden);
        }
        Err(Refused::WrongState) => {
            return Err(Error::Invalid {
                field: "state",
                message: "この依頼は今の状態ではその操作ができません。",
            });
        }
    };
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
    let now = crate::now();
    let mut tx = db.begin().await?;
    let sql = match action {
        Action::Accept => "UPDATE referrals SET state = $1, answered_by = $2, answered_at = $3 WHERE id = $4 AND state = $5",
        Action::Decline => "UPDATE referrals SET state = $1, answered_by = $2, answered_at = $3, decline_reason = $6 WHERE id = $4 AND state = $5",
        Action::Complete => "UPDATE referrals SET state = $1, completed_at = $3, outcome = $6 WHERE id = $4 AND state = $5 AND $2 IS NOT NULL",
        Action::Cancel => "UPDATE referrals SET state = $1, cancelled_at = $3 WHERE id = $4 AND state = $5 AND $2 IS NOT NULL",
    };
    let changed = query(sql)
        .bind(next.code())
        .bind(actor.user_id)
        .bind(now)
        .bind(id)
        .bind(state.code())
        .bind(note)
        .execute(&mut tx)
        .await?;
    if changed == 0 {
        // Someone else moved it meanwhile.
        return Err(Error::Invalid {
            field: "state",
            message: "この依頼は今の状態ではその操作ができません。",
        });
    }
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
        &mut tx,
        ChildId(r.child_id),
        "referral",
        &summary,
        Some(id),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("referral.update")
            .by(actor)
            .object("referral", id)
            .detail(action.code()),
    )
    .await?;
    tx.commit().await
}

/// The child's referrals, for a page whose access was already checked (the area's staff).
pub async fn for_child(db: &Db, child: ChildId) -> Result<Vec<Referral>> {
    query(format!(
        "{SELECT} WHERE r.child_id = $1 ORDER BY r.created_at DESC, r.id DESC"
    ))
    .bind(child.0)
    .fetch_all(db)
    .await
}

/// An agency's inbox: its live referrals, and those answered in the last 30 days. A child whom
/// the agency may no longer see (consent ended) stays listed without a name.
pub async fn inbox(db: &Db, meta: &RequestMeta, actor: &Actor) -> Result<Vec<Referral>> {
    let Some(agency) = actor.agency_id.filter(|_| actor.role == Role::AgencyStaff) else {
        return Ok(vec![]);
    };
    let since = crate::now() - Duration::days(30);
    let mut items: Vec<Referral> = query(format!(
        "{SELECT} WHERE r.agency_id = $1 AND (r.state IN ('open', 'accepted') OR r.created_at >= $2) ORDER BY r.state = 'open' DESC, r.created_at DESC"
    ))
    .bind(agency)
    .bind(since)
    .fetch_all(db)
    .await?;
    let ids: Vec<ChildId> = items.iter().map(|r| ChildId(r.child_id)).collect();
    let consented = children::consented_among(db, agency, &ids).await?;
    for r in items
        .iter_mut()
        .filter(|r| !consented.contains(&r.child_id))
    {
        r.child_name = String::new();
        r.reason = String::new();
    }
    audit::record_alone(
        db,
        meta,
        Event::new("referral.inbox")
            .by(actor)
            .object_type("referral")
            .detail(format!("items={}", items.len())),
    )
    .await?;
    Ok(items)
}

/// Referrals of the coordinator's areas still unanswered after `days` days.
pub async fn overdue(db: &Db, actor: &Actor, days: i64) -> Result<Vec<Referral>> {
    if actor.role != Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    // Area ids come from the user's own record, never input.
    let areas = actor
        .area_ids
        .iter()
        .map(|a| a.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    // The area's children as a list to look each open referral up in (`+` keeps the planner
    // from walking every child's referrals instead): a prefecture has thousands open.
    query(format!(
        "{SELECT} WHERE +r.child_id IN (SELECT x.id FROM children x WHERE x.area_id IN ({areas})) \
         AND r.state = 'open' AND r.created_at < $1 ORDER BY r.created_at"
    ))
    .bind(crate::now() - Duration::days(days))
    .fetch_all(db)
    .await
}

/// The referrals of the coordinator's or supervisor's areas, newest first (the API list).
pub async fn for_areas(db: &Db, actor: &Actor) -> Result<Vec<Referral>> {
    if !actor.role.needs_areas() || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    let areas = actor
        .area_ids
        .iter()
        .map(|a| a.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    query(format!(
        "{SELECT} WHERE c.area_id IN ({areas}) ORDER BY r.created_at DESC LIMIT 500"
    ))
    .fetch_all(db)
    .await
}
