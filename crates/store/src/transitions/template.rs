//! The checklist template a new transition starts from: lines per kind, each placed a number of
//! months from the month of the move. Coordinators and administrators edit it.

use serde::Serialize;
use time::Date;
use tsunagu_domain::{
    calendar::{self, IfClosed, YearEndClosure},
    school_year::{self, TransitionKind},
    Actor, Role,
};

use crate::{
    audit::{self, Event, RequestMeta},
    db::{query, On},
    Db, Error, Result,
};

/// One line of the checklist template.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TemplateItem {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub owner: String,
    /// Months from the month of the move (negative: before it).
    pub month_offset: i64,
    /// Day of that month (the month's last day when it has fewer).
    pub day: i64,
    pub sort_order: i64,
    /// Where the date moves when the area is closed then: `before` or `after`.
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "before")]
    pub if_closed: IfClosed,
}

/// The columns a template line is read with.
pub(crate) const TEMPLATE_COLUMNS: &str =
    "id, kind, title, owner, month_offset, day, sort_order, if_closed";

impl TemplateItem {
    /// Where the item falls for a move on `move_on`: the template's date, moved to the working
    /// day before or after it (as the line says) when the area is closed then.
    pub fn due_for(&self, move_on: Date, closure: Option<&YearEndClosure>) -> Date {
        let on = school_year::month_day_from(
            move_on,
            i32::try_from(self.month_offset).unwrap_or(0),
            u8::try_from(self.day).unwrap_or(1),
        );
        calendar::working_day(on, closure, self.if_closed)
    }

    /// 「2か月前の15日（閉庁日なら前の開庁日）」 in words, for the template page.
    pub fn when_label(&self) -> String {
        let day = match self.month_offset {
            0 => format!("移行する月の{}日", self.day),
            n if n < 0 => format!("{}か月前の{}日", -n, self.day),
            n => format!("{n}か月後の{}日", self.day),
        };
        format!("{day}（閉庁日なら{}）", self.if_closed.label())
    }
}

pub async fn template<'a>(
    on: impl Into<On<'a>>,
    kind: Option<TransitionKind>,
) -> Result<Vec<TemplateItem>> {
    let mut on = on.into();
    match kind {
        Some(k) => query(format!("SELECT {TEMPLATE_COLUMNS} FROM transition_template_items WHERE kind = $1 ORDER BY sort_order, id"))
            .bind(k.code())
            .fetch_all(on.exec())
            .await,
        None => query(format!("SELECT {TEMPLATE_COLUMNS} FROM transition_template_items ORDER BY kind, sort_order, id"))
            .fetch_all(on.exec())
            .await,
    }
}

/// A template line as the form gives it.
#[derive(Clone, Debug)]
pub struct TemplateLine {
    pub kind: TransitionKind,
    pub title: String,
    pub owner: String,
    pub month_offset: i32,
    pub day: u8,
    pub sort_order: i64,
    pub if_closed: IfClosed,
}

fn may_edit_template(actor: &Actor) -> Result<()> {
    if matches!(actor.role, Role::Admin | Role::Coordinator) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Adds a line to the template (`id` None) or changes one. Transitions already planned keep
/// their checklists.
pub async fn save_template_item(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: Option<i64>,
    line: &TemplateLine,
) -> Result<i64> {
    may_edit_template(actor)?;
    let mut tx = db.begin().await?;
    let id = match id {
        Some(id) => {
            let changed = query("UPDATE transition_template_items SET kind = $1, title = $2, owner = $3, month_offset = $4, day = $5, sort_order = $6, if_closed = $8 WHERE id = $7")
                .bind(line.kind.code())
                .bind(&line.title)
                .bind(&line.owner)
                .bind(i64::from(line.month_offset))
                .bind(i64::from(line.day))
                .bind(line.sort_order)
                .bind(id)
                .bind(line.if_closed.code())
                .execute(&mut tx)
                .await?;
            if changed == 0 {
                return Err(Error::NotFound);
            }
            id
        }
        None => {
            let (id,): (i64,) = query("INSERT INTO transition_template_items (kind, title, owner, month_offset, day, sort_order, if_closed) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(line.kind.code())
                .bind(&line.title)
                .bind(&line.owner)
                .bind(i64::from(line.month_offset))
                .bind(i64::from(line.day))
                .bind(line.sort_order)
                .bind(line.if_closed.code())
                .fetch_one(&mut tx)
                .await?;
            id
        }
    };
    audit::record(
        &mut tx,
        meta,
        Event::new("transition_template.update")
            .by(actor)
            .object("transition_template_item", id),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_template_item(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: i64,
) -> Result<()> {
    may_edit_template(actor)?;
    let mut tx = db.begin().await?;
    let changed = query("DELETE FROM transition_template_items WHERE id = $1")
        .bind(id)
        .execute(&mut tx)
        .await?;
    if changed == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("transition_template.delete")
            .by(actor)
            .object("transition_template_item", id),
    )
    .await?;
    tx.commit().await
}
