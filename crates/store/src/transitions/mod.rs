//! Transitions (移行): the moves a coordinator plans for a child, each with a checklist placed on
//! the child's dates from an editable template; the years a child was held back, which shift the
//! school-year cohort; and the area's transition calendar. These are the area's own record: only
//! its coordinators and supervisors read them.

use serde::Serialize;
use time::Date;
use tsunagu_domain::{
    access::Purpose,
    school_year::{self, Cohort, HoldKind, TransitionKind},
    Actor, AgencyId, ChildId, TransitionId,
};

mod calendar;
mod template;

pub use calendar::*;
pub use template::*;

use crate::{
    access::{self, ChildAccess},
    audit::{self, Event},
    children,
    db::{self, query, On, Tx},
    Error, Result, Unit,
};

/// A year the child stayed where they were.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Hold {
    pub id: i64,
    pub fiscal_year: i64,
    /// deferment or repetition
    pub kind: String,
    pub note: Option<String>,
}

impl Hold {
    pub fn kind_label(&self) -> &'static str {
        HoldKind::from_code(&self.kind).map_or("", HoldKind::label)
    }
}

/// The child's cohort, with every recorded hold.
pub fn cohort_of(birth: Date, holds: &[Hold]) -> Cohort {
    holds.iter().fold(Cohort::of(birth), |c, h| {
        c.held_in(i32::try_from(h.fiscal_year).unwrap_or(i32::MAX))
    })
}

/// The years the child was held back (for the class shown beside the name).
pub async fn holds(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Hold>> {
    query("SELECT id, fiscal_year, kind, note FROM school_year_holds WHERE child_id = $1 ORDER BY fiscal_year")
        .bind(access.child().0)
        .fetch_all(u)
        .await
}

/// Records a year held back; `access` is a coordinator's, minted for a change.
pub async fn add_hold(
    u: &mut Unit,
    access: &ChildAccess,
    fiscal_year: i32,
    kind: HoldKind,
    note: Option<&str>,
) -> Result<()> {
    let child = access.child();
    let mut w = access::write(u, access, "hold.create").await?;
    let actor = w.actor()?;
    query("INSERT INTO school_year_holds (child_id, fiscal_year, kind, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(child.0)
        .bind(i64::from(fiscal_year))
        .bind(kind.code())
        .bind(note)
        .bind(actor.user_id)
        .bind(crate::now())
        .execute(&mut w.tx)
        .await
        .map_err(|e| match e.on_unique("fiscal_year") {
            Error::Conflict(field) => Error::Invalid {
                field,
                message: "この年度はすでに記録されています。",
            },
            e => e,
        })?;
    children::add_event(
        &mut w.tx,
        child,
        "transition",
        &format!(
            "{}に{}を記録しました",
            school_year::fiscal_year_label(fiscal_year),
            kind.label()
        ),
        None,
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("hold.create")
            .object("child", child)
            .detail(format!("fy={fiscal_year} {}", kind.code())),
    )
    .await?;
    w.commit().await
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transition {
    #[schema(value_type = i64)]
    pub id: TransitionId,
    #[schema(value_type = i64)]
    pub child_id: ChildId,
    pub kind: String,
    #[schema(value_type = String, format = Date)]
    pub move_on: Date,
    pub from_agency_id: Option<i64>,
    pub from_agency_name: Option<String>,
    pub to_agency_id: Option<i64>,
    pub to_agency_name: Option<String>,
    pub to_name: String,
    /// planned, done or cancelled
    pub status: String,
    pub note: Option<String>,
}

impl Transition {
    pub fn kind_label(&self) -> &'static str {
        TransitionKind::from_code(&self.kind).map_or("", TransitionKind::label)
    }
    /// Where the child goes: the directory's agency, or the name typed.
    pub fn destination(&self) -> String {
        self.to_agency_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.to_name.clone())
    }
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "planned" => "予定",
            "done" => "移行済み",
            "cancelled" => "取りやめ",
            _ => "",
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ChecklistItem {
    pub id: i64,
    #[schema(value_type = i64)]
    pub transition_id: TransitionId,
    pub title: String,
    pub owner: String,
    pub owner_agency_id: Option<i64>,
    pub owner_agency_name: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub done_on: Option<Date>,
}

/// A transition with its checklist.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TransitionView {
    #[serde(flatten)]
    pub transition: Transition,
    pub items: Vec<ChecklistItem>,
}

impl TransitionView {
    pub fn done_count(&self) -> usize {
        self.items.iter().filter(|i| i.done_on.is_some()).count()
    }
}

const SELECT: &str = "SELECT t.id, t.child_id, t.kind, t.move_on, t.from_agency_id, fa.name AS from_agency_name, \
    t.to_agency_id, ta.name AS to_agency_name, t.to_name, t.status, t.note \
    FROM transitions t LEFT JOIN agencies fa ON fa.id = t.from_agency_id LEFT JOIN agencies ta ON ta.id = t.to_agency_id";

const SELECT_ITEM: &str = "SELECT i.id, i.transition_id, i.title, i.owner, i.owner_agency_id, a.name AS owner_agency_name, i.due_on, i.done_on \
    FROM transition_items i LEFT JOIN agencies a ON a.id = i.owner_agency_id";

/// What a coordinator gives for a new transition.
#[derive(Clone, Debug)]
pub struct NewTransition {
    pub kind: TransitionKind,
    pub move_on: Date,
    pub from_agency_id: Option<AgencyId>,
    pub to_agency_id: Option<AgencyId>,
    pub to_name: String,
    pub note: Option<String>,
}

/// Plans a transition and places its checklist from the template; `access` is a coordinator's,
/// minted for a change.
pub async fn create(
    u: &mut Unit,
    access: &ChildAccess,
    new: &NewTransition,
) -> Result<TransitionId> {
    let child = access.child();
    let mut w = access::write(u, access, "transition.create").await?;
    let actor = w.actor()?;
    let id = insert(&mut w.tx, child, new, Some(&actor)).await?;
    w.record(
        Event::new("transition.create")
            .object("transition", id)
            .detail(format!("child={child}")),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// The transition, its checklist from the template, and the timeline entry, in the caller's
/// transaction (the demo loads its data this way).
pub async fn insert(
    tx: &mut Tx,
    child: ChildId,
    new: &NewTransition,
    actor: Option<&Actor>,
) -> Result<TransitionId> {
    let closure = crate::areas::closure_of_child(&mut *tx, child).await?;
    let lines: Vec<TemplateItem> = query(format!(
        "SELECT {} FROM transition_template_items WHERE kind = $1 ORDER BY sort_order, id",
        template::TEMPLATE_COLUMNS
    ))
    .bind(new.kind.code())
    .fetch_all(&mut *tx)
    .await?;
    let (id,): (i64,) = query(
        "INSERT INTO transitions (child_id, kind, move_on, from_agency_id, to_agency_id, to_name, status, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'planned', $7, $8, $9) RETURNING id",
    )
    .bind(child.0)
    .bind(new.kind.code())
    .bind(new.move_on)
    .bind(new.from_agency_id)
    .bind(new.to_agency_id)
    .bind(&new.to_name)
    .bind(new.note.clone())
    .bind(actor.map(|a| a.user_id))
    .bind(crate::now())
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("to_agency_id", "関係機関が見つかりません。"))?;
    for (n, line) in lines.iter().enumerate() {
        insert_item(
            tx,
            id,
            &line.title,
            &line.owner,
            None,
            Some(line.due_for(new.move_on, closure.as_ref())),
            n as i64,
        )
        .await?;
    }
    children::add_event(
        tx,
        child,
        "transition",
        &format!(
            "移行を計画しました：{}（{}）",
            new.kind.label(),
            tsunagu_domain::japanese_date::format_date(new.move_on)
        ),
        Some(id),
        actor,
    )
    .await?;
    Ok(TransitionId(id))
}

async fn insert_item(
    tx: &mut Tx,
    transition: i64,
    title: &str,
    owner: &str,
    owner_agency: Option<AgencyId>,
    due_on: Option<Date>,
    sort_order: i64,
) -> Result<i64> {
    let (id,): (i64,) = query("INSERT INTO transition_items (transition_id, title, owner, owner_agency_id, due_on, sort_order) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(transition)
        .bind(title)
        .bind(owner)
        .bind(owner_agency)
        .bind(due_on)
        .bind(sort_order)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.on_foreign_key("owner_agency_id", "関係機関が見つかりません。"))?;
    Ok(id)
}

async fn load<'a>(on: impl Into<On<'a>>, id: TransitionId) -> Result<Option<Transition>> {
    let mut on = on.into();
    query(format!("{SELECT} WHERE t.id = $1"))
        .bind(id.0)
        .fetch_optional(on.exec())
        .await
}

async fn with_items(u: &mut Unit, transitions: Vec<Transition>) -> Result<Vec<TransitionView>> {
    if transitions.is_empty() {
        return Ok(vec![]);
    }
    let items: Vec<ChecklistItem> = query(format!(
        "{SELECT_ITEM} WHERE i.transition_id IN ({}) ORDER BY i.sort_order, i.id",
        db::id_list(transitions.iter().map(|t| t.id.0))
    ))
    .fetch_all(&mut *u)
    .await?;
    Ok(transitions
        .into_iter()
        .map(|t| TransitionView {
            items: items
                .iter()
                .filter(|i| i.transition_id == t.id)
                .cloned()
                .collect(),
            transition: t,
        })
        .collect())
}

/// The action under which transitions are read (and refused): mint their access with it.
pub const READ: &str = "transition.read";

/// The child's transitions with their checklists, soonest move first; the area's staff only
/// (`access` from [`access::area_staff`]).
pub async fn for_child(u: &mut Unit, access: &ChildAccess) -> Result<Vec<TransitionView>> {
    access.only_area_staff()?;
    let child = access.child();
    let list: Vec<Transition> = query(format!(
        "{SELECT} WHERE t.child_id = $1 ORDER BY t.move_on, t.id"
    ))
    .bind(child.0)
    .fetch_all(&mut *u)
    .await?;
    let views = with_items(u, list).await?;
    u.audit(Event::new("transition.read").object("child", child));
    Ok(views)
}

/// One transition, to the area's staff.
pub async fn get(u: &mut Unit, id: TransitionId) -> Result<TransitionView> {
    let (t, _) = find(u, id, Purpose::Read).await?;
    u.audit(Event::new("transition.read").object("transition", id));
    let mut views = with_items(u, vec![t]).await?;
    views.pop().ok_or(Error::NotFound)
}

/// The transition and the access to its child, if the actor may read it (the area's staff) or
/// change it (its coordinators: an access minted for a change). Asked before a form's input is
/// checked.
pub async fn find(
    u: &mut Unit,
    id: TransitionId,
    purpose: Purpose,
) -> Result<(Transition, ChildAccess)> {
    let Some(t) = load(&mut *u, id).await? else {
        u.audit(
            Event::new("transition.read")
                .object("transition", id)
                .outcome(audit::Outcome::Denied)
                .detail("not found"),
        );
        return Err(Error::NotFound);
    };
    let access = match purpose {
        Purpose::Read => access::area_staff(u, t.child_id, "transition.read").await?,
        _ => access::child(u, t.child_id, Purpose::Write, "transition.update").await?,
    };
    Ok((t, access))
}

/// The transition of checklist item `item` and the access to change it (its coordinators).
pub async fn find_item(u: &mut Unit, item: i64) -> Result<(Transition, ChildAccess)> {
    let row: Option<(i64,)> = query("SELECT transition_id FROM transition_items WHERE id = $1")
        .bind(item)
        .fetch_optional(&mut *u)
        .await?;
    let Some((transition,)) = row else {
        u.audit(
            Event::new("transition.update")
                .object("transition_item", item)
                .outcome(audit::Outcome::Denied)
                .detail("not found"),
        );
        return Err(Error::NotFound);
    };
    find(u, TransitionId(transition), Purpose::Write).await
}

/// Marks the move done or cancelled (or planned again); `access` comes from [`find`].
pub async fn set_status(
    u: &mut Unit,
    access: &ChildAccess,
    id: TransitionId,
    status: &str,
) -> Result<()> {
    if !matches!(status, "planned" | "done" | "cancelled") {
        return Err(Error::Invalid {
            field: "status",
            message: "状態は 予定・移行済み・取りやめ から選んでください。",
        });
    }
    let mut w = access::write(u, access, "transition.update").await?;
    let actor = w.actor()?;
    let t = load(&mut w.tx, id)
        .await?
        .filter(|t| t.child_id == access.child())
        .ok_or(Error::NotFound)?;
    query("UPDATE transitions SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    let label = match status {
        "done" => "移行しました",
        "cancelled" => "移行を取りやめました",
        _ => "移行を予定に戻しました",
    };
    children::add_event(
        &mut w.tx,
        t.child_id,
        "transition",
        &format!("{label}：{}", t.kind_label()),
        Some(id.0),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("transition.update")
            .object("transition", id)
            .detail(status),
    )
    .await?;
    w.commit().await
}

/// A checklist line as typed.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub title: String,
    pub owner: String,
    pub owner_agency_id: Option<AgencyId>,
    pub due_on: Option<Date>,
}

/// Adds a line to the checklist; `access` comes from [`find`].
pub async fn add_item(
    u: &mut Unit,
    access: &ChildAccess,
    transition: TransitionId,
    new: &NewItem,
) -> Result<i64> {
    let mut w = access::write(u, access, "transition.update").await?;
    load(&mut w.tx, transition)
        .await?
        .filter(|t| t.child_id == access.child())
        .ok_or(Error::NotFound)?;
    let (next,): (i64,) = query(
        "SELECT COALESCE(MAX(sort_order), 0) + 1 FROM transition_items WHERE transition_id = $1",
    )
    .bind(transition.0)
    .fetch_one(&mut w.tx)
    .await?;
    let id = insert_item(
        &mut w.tx,
        transition.0,
        &new.title,
        &new.owner,
        new.owner_agency_id,
        new.due_on,
        next,
    )
    .await?;
    w.record(
        Event::new("transition.update")
            .object("transition_item", id)
            .detail("added"),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// Changes a checklist item's wording, owner or due date; `access` comes from [`find_item`].
pub async fn update_item(
    u: &mut Unit,
    access: &ChildAccess,
    item: i64,
    changed: &NewItem,
) -> Result<TransitionId> {
    let mut w = access::write(u, access, "transition.update").await?;
    let transition = item_of(&mut w.tx, item, access).await?;
    query("UPDATE transition_items SET title = $1, owner = $2, owner_agency_id = $3, due_on = $4 WHERE id = $5")
        .bind(&changed.title)
        .bind(&changed.owner)
        .bind(changed.owner_agency_id)
        .bind(changed.due_on)
        .bind(item)
        .execute(&mut w.tx)
        .await
        .map_err(|e| e.on_foreign_key("owner_agency_id", "関係機関が見つかりません。"))?;
    w.record(
        Event::new("transition.update")
            .object("transition_item", item)
            .detail("changed"),
    )
    .await?;
    w.commit().await?;
    Ok(transition)
}

/// The transition of `item`, which must be the child's of `access`.
async fn item_of(tx: &mut Tx, item: i64, access: &ChildAccess) -> Result<TransitionId> {
    let row: Option<(TransitionId,)> = query(
        "SELECT i.transition_id FROM transition_items i JOIN transitions t ON t.id = i.transition_id \
         WHERE i.id = $1 AND t.child_id = $2",
    )
    .bind(item)
    .bind(access.child().0)
    .fetch_optional(&mut *tx)
    .await?;
    row.map(|(t,)| t).ok_or(Error::NotFound)
}

/// Ticks a checklist item off (today) or opens it again; `access` comes from [`find_item`].
pub async fn set_item_done(
    u: &mut Unit,
    access: &ChildAccess,
    item: i64,
    done: bool,
) -> Result<TransitionId> {
    let mut w = access::write(u, access, "transition.update").await?;
    let actor = w.actor()?;
    let transition = item_of(&mut w.tx, item, access).await?;
    let (title,): (String,) = query("SELECT title FROM transition_items WHERE id = $1")
        .bind(item)
        .fetch_one(&mut w.tx)
        .await?;
    let today = children::today_in_japan();
    query("UPDATE transition_items SET done_on = $1, done_by = $2 WHERE id = $3")
        .bind(done.then_some(today))
        .bind(done.then_some(actor.user_id))
        .bind(item)
        .execute(&mut w.tx)
        .await?;
    if done {
        children::add_event(
            &mut w.tx,
            access.child(),
            "transition",
            &format!("移行のチェック項目を完了しました：{title}"),
            Some(transition.0),
            Some(&actor),
        )
        .await?;
    }
    w.record(
        Event::new("transition.update")
            .object("transition_item", item)
            .detail(if done { "done" } else { "open" }),
    )
    .await?;
    w.commit().await?;
    Ok(transition)
}
