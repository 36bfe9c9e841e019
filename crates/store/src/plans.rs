//! Support plans (支援計画) and plan reviews (モニタリング). A child has versions of one plan; the
//! current version may be corrected in place, and a review records progress on each of its goals
//! and produces the next version, which becomes current. Every version is kept. The plan is the
//! coordinator's record: the area's staff read it, coordinators write it. An agency whose consent
//! shares 「支援計画（役割分担）」 sees the current version's goals and who does what, nothing else.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{access::SharePart, plan::Rating, Actor, ChildId, PlanId, Role};

use crate::{
    access::{self, ChildAccess},
    audit::Event,
    children,
    db::{id_list, query, On},
    Error, Result, Tx, Unit,
};

/// One version of a child's plan.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Plan {
    #[schema(value_type = i64)]
    pub id: PlanId,
    #[schema(value_type = i64)]
    pub child_id: ChildId,
    pub version: i64,
    /// 現在の状況
    pub situation: Option<String>,
    /// 支援の必要なこと
    pub needs: Option<String>,
    /// 本人・家族の希望
    pub wishes: Option<String>,
    /// 長期目標
    pub long_term_goal: Option<String>,
    /// 次の見直し（モニタリング）の日
    #[schema(value_type = String, format = Date)]
    pub review_on: Date,
    pub current: bool,
    pub created_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// 短期目標: who does what by when.
    #[sqlx(skip)]
    pub goals: Vec<Goal>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema, PartialEq, Eq)]
pub struct Goal {
    pub id: i64,
    #[serde(skip)]
    #[schema(ignore)]
    pub plan_id: PlanId,
    pub goal: String,
    pub who: Option<String>,
    pub what: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub by_on: Option<Date>,
}

/// A review of one version, which produced the next.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Review {
    pub id: i64,
    /// The version reviewed.
    #[schema(value_type = i64)]
    pub plan_id: PlanId,
    #[schema(value_type = i64)]
    pub next_plan_id: PlanId,
    #[schema(value_type = String, format = Date)]
    pub reviewed_on: Date,
    /// 総合的な所見
    pub summary: Option<String>,
    pub created_by_name: Option<String>,
    #[sqlx(skip)]
    pub progress: Vec<Progress>,
}

/// How far one goal got.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema, PartialEq, Eq)]
pub struct Progress {
    #[serde(skip)]
    #[schema(ignore)]
    pub review_id: i64,
    pub goal_id: i64,
    /// achieved, partly or not_yet
    pub rating: Option<String>,
    pub progress: Option<String>,
}

/// Every version of a child's plan, newest first, and the reviews between them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanHistory {
    #[schema(value_type = i64)]
    pub child_id: ChildId,
    pub child_name: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    /// A coordinator of the area, and the case not closed.
    pub may_write: bool,
    pub versions: Vec<Plan>,
    pub reviews: Vec<Review>,
}

impl PlanHistory {
    pub fn current(&self) -> Option<&Plan> {
        self.versions.iter().find(|p| p.current)
    }

    pub fn version(&self, n: i64) -> Option<&Plan> {
        self.versions.iter().find(|p| p.version == n)
    }

    /// The review of a version, if it was reviewed.
    pub fn review_of(&self, plan_id: PlanId) -> Option<&Review> {
        self.reviews.iter().find(|r| r.plan_id == plan_id)
    }
}

/// What a coordinator writes for a version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanInput {
    pub situation: Option<String>,
    pub needs: Option<String>,
    pub wishes: Option<String>,
    pub long_term_goal: Option<String>,
    pub review_on: Date,
    pub goals: Vec<GoalInput>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalInput {
    pub goal: String,
    pub who: Option<String>,
    pub what: Option<String>,
    pub by_on: Option<Date>,
}

/// A review of the current version and the next version it produces.
#[derive(Clone, Debug)]
pub struct ReviewInput {
    /// The version the reviewer saw: refused if another review made a newer one meanwhile.
    pub plan_id: PlanId,
    pub reviewed_on: Date,
    pub summary: Option<String>,
    /// Per goal of the reviewed version.
    pub progress: Vec<(i64, Option<Rating>, Option<String>)>,
    pub next: PlanInput,
}

const COLUMNS: &str = "p.id, p.child_id, p.version, p.situation, p.needs, p.wishes, p.long_term_goal, p.review_on, p.current, \
     u.display_name AS created_by_name, p.created_at";

const STALE: Error = Error::Invalid {
    field: "plan",
    message:
        "この支援計画はほかの人が見直したため、最新の版ではありません。画面を開き直してください。",
};

async fn insert_version(
    tx: &mut Tx,
    actor: Option<&Actor>,
    child: ChildId,
    version: i64,
    input: &PlanInput,
) -> Result<PlanId> {
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO support_plans (child_id, version, situation, needs, wishes, long_term_goal, review_on, current, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(child.0)
    .bind(version)
    .bind(input.situation.as_deref())
    .bind(input.needs.as_deref())
    .bind(input.wishes.as_deref())
    .bind(input.long_term_goal.as_deref())
    .bind(input.review_on)
    .bind(true)
    .bind(actor.map(|a| a.user_id))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    // Two coordinators writing the same version at once: the second is told, nothing is half-written.
    .map_err(|e| match e.on_unique("plan") {
        Error::Conflict(_) => STALE,
        other => other,
    })?;
    let id = PlanId(id);
    insert_goals(tx, id, &input.goals).await?;
    Ok(id)
}

async fn insert_goals(tx: &mut Tx, plan: PlanId, goals: &[GoalInput]) -> Result<()> {
    for (i, g) in goals.iter().enumerate() {
        query("INSERT INTO plan_goals (plan_id, position, goal, who, what, by_on) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(plan)
            .bind(i as i64)
            .bind(&g.goal)
            .bind(g.who.as_deref())
            .bind(g.what.as_deref())
            .bind(g.by_on)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A version says who does what: at least one short-term goal.
fn check_goals(input: &PlanInput) -> Result<()> {
    if input.goals.is_empty() {
        return Err(Error::Invalid {
            field: "goal",
            message: "短期目標を1つ以上入力してください。",
        });
    }
    Ok(())
}

/// The id and version of the child's current plan.
async fn current_of<'a>(on: impl Into<On<'a>>, child: ChildId) -> Result<Option<(PlanId, i64)>> {
    let mut on = on.into();
    query("SELECT id, version FROM support_plans WHERE child_id = $1 AND current = $2")
        .bind(child.0)
        .bind(true)
        .fetch_optional(on.exec())
        .await
}

/// The first version of the child's plan; refused when one exists (a review makes the next).
/// `access` is a coordinator's, minted for a change.
pub async fn create(u: &mut Unit, access: &ChildAccess, input: &PlanInput) -> Result<PlanId> {
    check_goals(input)?;
    let child = access.child();
    let mut w = access::write(u, access, "plan.create").await?;
    if current_of(&mut w.tx, child).await?.is_some() {
        return Err(Error::Invalid {
            field: "plan",
            message: "支援計画はすでにあります。見直し（モニタリング）で次の版を作ってください。",
        });
    }
    let actor = w.actor()?;
    let id = insert_first(&mut w.tx, child, input, Some(&actor)).await?;
    w.record(
        Event::new("plan.create")
            .object("support_plan", id)
            .detail(format!("child={child}")),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// Writes the first version inside a transaction (also the demo's loader).
pub async fn insert_first(
    tx: &mut Tx,
    child: ChildId,
    input: &PlanInput,
    actor: Option<&Actor>,
) -> Result<PlanId> {
    let id = insert_version(tx, actor, child, 1, input).await?;
    children::add_event(
        tx,
        child,
        "plan",
        "支援計画（第1版）を作成しました",
        Some(id.0),
        actor,
    )
    .await?;
    Ok(id)
}

/// Corrects the current version in place (a typo, a forgotten goal); earlier versions never
/// change. `access` is a coordinator's, minted for a change.
pub async fn update_current(
    u: &mut Unit,
    access: &ChildAccess,
    plan: PlanId,
    input: &PlanInput,
) -> Result<()> {
    check_goals(input)?;
    let child = access.child();
    let mut w = access::write(u, access, "plan.update").await?;
    match current_of(&mut w.tx, child).await? {
        Some((id, _)) if id == plan => {}
        Some(_) => return Err(STALE),
        None => return Err(Error::NotFound),
    }
    let changed = query(
        "UPDATE support_plans SET situation = $1, needs = $2, wishes = $3, long_term_goal = $4, review_on = $5, updated_at = $6 \
         WHERE id = $7 AND current = $8",
    )
    .bind(input.situation.as_deref())
    .bind(input.needs.as_deref())
    .bind(input.wishes.as_deref())
    .bind(input.long_term_goal.as_deref())
    .bind(input.review_on)
    .bind(crate::now())
    .bind(plan.0)
    .bind(true)
    .execute(&mut w.tx)
    .await?;
    if changed == 0 {
        return Err(STALE);
    }
    // The current version's goals are never referred to by a review (a review ends currency).
    query("DELETE FROM plan_goals WHERE plan_id = $1")
        .bind(plan.0)
        .execute(&mut w.tx)
        .await?;
    insert_goals(&mut w.tx, plan, &input.goals).await?;
    w.record(Event::new("plan.update").object("support_plan", plan))
        .await?;
    w.commit().await
}

/// The action under which the plan is read (and refused): mint its access with it.
pub const READ: &str = "plan.read";

/// Every version of the child's plan with its goals, and the reviews: for the area's staff
/// (`access` from [`access::area_staff`]).
pub async fn history(u: &mut Unit, access: &ChildAccess) -> Result<PlanHistory> {
    access.only_area_staff()?;
    let child = access.child();
    let (child_name, birth_date): (String, Date) =
        query("SELECT family_name || ' ' || given_name, birth_date FROM children WHERE id = $1")
            .bind(child.0)
            .fetch_one(&mut *u)
            .await?;
    let may_write = access.is_coordinator() && !access.is_closed();
    let mut versions: Vec<Plan> = query(format!(
        "SELECT {COLUMNS} FROM support_plans p LEFT JOIN users u ON u.id = p.created_by \
         WHERE p.child_id = $1 ORDER BY p.version DESC"
    ))
    .bind(child.0)
    .fetch_all(&mut *u)
    .await?;
    let mut goals: Vec<Goal> = query(
        "SELECT g.id, g.plan_id, g.goal, g.who, g.what, g.by_on FROM plan_goals g JOIN support_plans p ON p.id = g.plan_id \
         WHERE p.child_id = $1 ORDER BY g.plan_id, g.position",
    )
    .bind(child.0)
    .fetch_all(&mut *u)
    .await?;
    for p in &mut versions {
        let (mine, rest): (Vec<Goal>, Vec<Goal>) =
            goals.into_iter().partition(|g| g.plan_id == p.id);
        p.goals = mine;
        goals = rest;
    }
    let mut reviews: Vec<Review> = query(
        "SELECT r.id, r.plan_id, r.next_plan_id, r.reviewed_on, r.summary, u.display_name AS created_by_name \
         FROM plan_reviews r LEFT JOIN users u ON u.id = r.created_by WHERE r.child_id = $1 ORDER BY r.reviewed_on DESC, r.id DESC",
    )
    .bind(child.0)
    .fetch_all(&mut *u)
    .await?;
    let progress: Vec<Progress> = query(format!(
        "SELECT review_id, goal_id, rating, progress FROM plan_review_progress WHERE review_id IN ({})",
        id_list(reviews.iter().map(|r| r.id))
    ))
    .fetch_all(&mut *u)
    .await?;
    for r in &mut reviews {
        r.progress = progress
            .iter()
            .filter(|x| x.review_id == r.id)
            .cloned()
            .collect();
    }
    u.audit(Event::new("plan.read").object("child", child));
    Ok(PlanHistory {
        child_id: child,
        child_name,
        birth_date,
        may_write,
        versions,
        reviews,
    })
}

/// What an agency whose consent shares the plan part sees: the current version's long-term goal
/// and who does what by when.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SharedPlan {
    pub version: i64,
    /// 長期目標
    pub long_term_goal: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub review_on: Date,
    pub goals: Vec<Goal>,
}

/// The current plan's goals and roles, for anyone whose access shows the plan part (the area's
/// staff too); `None` without the part or without a plan. An agency's read is its disclosure.
pub async fn shared(u: &mut Unit, access: &ChildAccess) -> Result<Option<SharedPlan>> {
    if !access.sees(SharePart::Plan) {
        return Ok(None);
    }
    let found: Option<(PlanId, i64, Option<String>, Date)> = query(
        "SELECT id, version, long_term_goal, review_on FROM support_plans WHERE child_id = $1 AND current = $2",
    )
    .bind(access.child().0)
    .bind(true)
    .fetch_optional(&mut *u)
    .await?;
    let Some((id, version, long_term_goal, review_on)) = found else {
        return Ok(None);
    };
    let goals: Vec<Goal> = query(
        "SELECT id, plan_id, goal, who, what, by_on FROM plan_goals WHERE plan_id = $1 ORDER BY position",
    )
    .bind(id.0)
    .fetch_all(&mut *u)
    .await?;
    access.disclose(u, &[SharePart::Plan])?;
    u.audit(
        Event::new("plan.read")
            .object("child", access.child())
            .detail("shared goals"),
    );
    Ok(Some(SharedPlan {
        version,
        long_term_goal,
        review_on,
        goals,
    }))
}

/// Reviews the current version — progress per goal and a summary — and makes `next` the new
/// current version. The reviewed version is kept as it was. `access` is a coordinator's,
/// minted for a change.
pub async fn review(u: &mut Unit, access: &ChildAccess, input: &ReviewInput) -> Result<PlanId> {
    check_goals(&input.next)?;
    let child = access.child();
    let mut w = access::write(u, access, "plan.review").await?;
    let Some((plan, version)) = current_of(&mut w.tx, child).await? else {
        return Err(Error::Invalid {
            field: "plan",
            message: "見直す支援計画がありません。先に作成してください。",
        });
    };
    if plan != input.plan_id {
        return Err(STALE);
    }
    let goal_ids: Vec<(i64,)> = query("SELECT id FROM plan_goals WHERE plan_id = $1")
        .bind(plan.0)
        .fetch_all(&mut w.tx)
        .await?;
    if input
        .progress
        .iter()
        .any(|(g, _, _)| !goal_ids.contains(&(*g,)))
    {
        return Err(Error::Invalid {
            field: "progress",
            message: "見直す版にない目標が含まれています。",
        });
    }
    let actor = w.actor()?;
    let next_id = review_in(&mut w.tx, child, plan, version, input, Some(&actor)).await?;
    w.record(
        Event::new("plan.review")
            .object("support_plan", plan)
            .detail(format!("next={next_id}")),
    )
    .await?;
    w.commit().await?;
    Ok(next_id)
}

/// Writes a review of version `version` (`plan`) and its next version inside a transaction
/// (also the demo's loader); refused as stale when `plan` is no longer current.
pub async fn review_in(
    tx: &mut Tx,
    child: ChildId,
    plan: PlanId,
    version: i64,
    input: &ReviewInput,
    actor: Option<&Actor>,
) -> Result<PlanId> {
    // Guarded by `current`, so two reviews at once cannot both succeed.
    let ended = query(
        "UPDATE support_plans SET current = $1, updated_at = $2 WHERE id = $3 AND current = $4",
    )
    .bind(false)
    .bind(crate::now())
    .bind(plan.0)
    .bind(true)
    .execute(&mut *tx)
    .await?;
    if ended == 0 {
        return Err(STALE);
    }
    let next_id = insert_version(tx, actor, child, version + 1, &input.next).await?;
    let (review,): (i64,) = query(
        "INSERT INTO plan_reviews (plan_id, child_id, reviewed_on, summary, next_plan_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(plan.0)
    .bind(child.0)
    .bind(input.reviewed_on)
    .bind(input.summary.as_deref())
    .bind(next_id.0)
    .bind(actor.map(|a| a.user_id))
    .bind(crate::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| match e.on_unique("plan") {
        Error::Conflict(_) => STALE,
        other => other,
    })?;
    for (goal, rating, text) in &input.progress {
        if rating.is_none() && text.is_none() {
            continue;
        }
        query("INSERT INTO plan_review_progress (review_id, goal_id, rating, progress) VALUES ($1, $2, $3, $4)")
            .bind(review)
            .bind(*goal)
            .bind(rating.map(Rating::code))
            .bind(text.as_deref())
            .execute(&mut *tx)
            .await?;
    }
    children::add_event(
        tx,
        child,
        "plan",
        &format!(
            "支援計画を見直し（モニタリング）、第{}版を作成しました",
            version + 1
        ),
        Some(next_id.0),
        actor,
    )
    .await?;
    Ok(next_id)
}

/// The current version's number and review date (the area's staff).
pub async fn current_for_child(u: &mut Unit, access: &ChildAccess) -> Result<Option<(i64, Date)>> {
    if !access.sees_everything() {
        return Ok(None);
    }
    query("SELECT version, review_on FROM support_plans WHERE child_id = $1 AND current = $2")
        .bind(access.child().0)
        .bind(true)
        .fetch_optional(u)
        .await
}

/// A current plan whose review falls due.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DueReview {
    pub child_id: ChildId,
    pub child_name: String,
    pub version: i64,
    pub review_on: Date,
}

/// Current plans of the coordinator's active children to be reviewed by `by` (overdue first).
pub async fn reviews_due(u: &mut Unit, by: Date) -> Result<Vec<DueReview>> {
    let actor = u.actor()?;
    if actor.role != Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    let found: Vec<DueReview> = query(format!(
        "SELECT c.id AS child_id, c.family_name || ' ' || c.given_name AS child_name, p.version, p.review_on \
         FROM support_plans p JOIN children c ON c.id = p.child_id \
         WHERE p.current = $1 AND p.review_on <= $2 AND {} AND c.status = 'active' \
         ORDER BY p.review_on, c.id LIMIT 50",
        access::visible(&actor, access::today())
    ))
    .bind(true)
    .bind(by)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("plan.reviews_due", found.iter().map(|r| r.child_id));
    Ok(found)
}

/// A line of the plans worklist: a child's current plan.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PlanLine {
    pub child_id: ChildId,
    pub child_name: String,
    pub version: i64,
    pub review_on: Date,
    pub created_by_name: Option<String>,
    pub created_at: OffsetDateTime,
}

/// When the plans of the worklist are to be reviewed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReviewDue {
    /// Every current plan.
    #[default]
    Any,
    /// The review date has passed.
    Overdue,
    /// Due within 30 days (overdue ones included).
    Soon,
}

impl ReviewDue {
    pub const ALL: [(&'static str, &'static str); 2] = [
        ("overdue", "見直しの日を過ぎた"),
        ("soon", "30日以内に見直し"),
    ];

    pub fn from_code(code: &str) -> ReviewDue {
        match code {
            "overdue" => ReviewDue::Overdue,
            "soon" => ReviewDue::Soon,
            _ => ReviewDue::Any,
        }
    }
}

/// The current plans of the active children of the user's areas, soonest review first; only
/// those the user wrote when `mine`. The children shown are audited.
pub async fn worklist(
    u: &mut Unit,
    due: ReviewDue,
    mine: bool,
    paging: crate::Paging,
) -> Result<crate::Page<PlanLine>> {
    let actor = u.actor()?;
    if !actor.role.needs_areas() || actor.area_ids.is_empty() {
        return Ok(crate::Page {
            items: vec![],
            total: 0,
        });
    }
    let today = access::today();
    let by = match due {
        ReviewDue::Any => None,
        ReviewDue::Overdue => today.previous_day(),
        ReviewDue::Soon => Some(today + time::Duration::days(30)),
    };
    let filter = format!(
        "WHERE p.current = $1 AND c.status = 'active' AND {} AND ($2 IS NULL OR p.review_on <= $2) \
         AND ($3 IS NULL OR p.created_by = $3)",
        access::visible(&actor, today)
    );
    let (total,): (i64,) = query(format!(
        "SELECT COUNT(*) FROM support_plans p JOIN children c ON c.id = p.child_id {filter}"
    ))
    .bind(true)
    .bind(by)
    .bind(mine.then_some(actor.user_id))
    .fetch_one(&mut *u)
    .await?;
    let items: Vec<PlanLine> = query(format!(
        "SELECT c.id AS child_id, c.family_name || ' ' || c.given_name AS child_name, p.version, p.review_on, \
         u.display_name AS created_by_name, p.created_at \
         FROM support_plans p JOIN children c ON c.id = p.child_id LEFT JOIN users u ON u.id = p.created_by \
         {filter} ORDER BY p.review_on, c.id LIMIT $4 OFFSET $5"
    ))
    .bind(true)
    .bind(by)
    .bind(mine.then_some(actor.user_id))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("plan.list", items.iter().map(|l| l.child_id));
    Ok(crate::Page { items, total })
}
