//! Moving a child between areas (移管). A coordinator of the child's area proposes it with the
//! reason and the family's agreement; a coordinator of the receiving area accepts (the record,
//! its history, care team and plans move; the consents that named the old area's agencies end,
//! so nothing is shared in the new area until the family agrees again) or declines with a
//! reason. Both areas keep the transfer itself as the trace of what each did.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    people::TransferStatus, school_year::TransitionKind, AreaId, ChildId, MunicipalityId, Role,
};

use crate::{
    access::{self, ChildAccess},
    audit::{Event, Outcome},
    children::add_event,
    db::{id_list, query},
    Error, Result, Unit,
};

/// A transfer as both areas see it.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    pub child_id: i64,
    pub child_name: String,
    pub child_kana: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    pub from_area_id: i64,
    pub from_area_name: String,
    pub to_area_id: i64,
    pub to_area_name: String,
    pub to_municipality_id: Option<i64>,
    pub to_municipality_name: Option<String>,
    pub reason: String,
    #[schema(value_type = String, format = Date)]
    pub family_agreed_on: Date,
    /// Who in the family agreed and how (書面・口頭).
    pub family_agreement: Option<String>,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String, example = "proposed")]
    pub status: TransferStatus,
    pub proposed_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub proposed_at: OffsetDateTime,
    pub decided_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub decision_note: Option<String>,
}

const COLUMNS: &str = "t.id, t.child_id, c.family_name || ' ' || c.given_name AS child_name, \
    TRIM(c.family_kana || ' ' || c.given_kana) AS child_kana, c.birth_date, t.from_area_id, fa.name AS from_area_name, \
    t.to_area_id, ta.name AS to_area_name, t.to_municipality_id, m.name AS to_municipality_name, t.reason, \
    t.family_agreed_on, t.family_agreement, t.status, pu.display_name AS proposed_by_name, t.proposed_at, \
    du.display_name AS decided_by_name, t.decided_at, t.decision_note";
const FROM: &str = "FROM child_transfers t JOIN children c ON c.id = t.child_id \
    JOIN areas fa ON fa.id = t.from_area_id JOIN areas ta ON ta.id = t.to_area_id \
    LEFT JOIN municipalities m ON m.id = t.to_municipality_id \
    LEFT JOIN users pu ON pu.id = t.proposed_by LEFT JOIN users du ON du.id = t.decided_by";

/// What the proposing coordinator gives.
#[derive(Clone, Debug)]
pub struct Proposal {
    pub to_area: AreaId,
    pub to_municipality: MunicipalityId,
    pub reason: String,
    pub family_agreed_on: Date,
    pub family_agreement: Option<String>,
}

/// Proposes moving the child to another area; `access` is a coordinator's of the child's area,
/// minted for a change. One proposal at a time.
pub async fn propose(u: &mut Unit, access: &ChildAccess, p: &Proposal) -> Result<i64> {
    if access.is_merged() {
        return Err(Error::Invalid {
            field: "to_area_id",
            message: "統合済みの記録は移管できません。",
        });
    }
    if p.to_area == access.area() {
        return Err(Error::Invalid {
            field: "to_area_id",
            message: "今と同じ地域です。移る先の地域を選んでください。",
        });
    }
    if p.reason.trim().is_empty() {
        return Err(Error::Invalid {
            field: "reason",
            message: "移管の理由を入れてください。",
        });
    }
    if p.family_agreed_on > access::today() {
        return Err(Error::Invalid {
            field: "family_agreed_on",
            message: "家族の同意日は今日以前の日付にしてください。",
        });
    }
    let child = access.child();
    let mut w = access::write(u, access, "child.transfer.propose").await?;
    let actor = w.actor()?;
    let area: Option<(String, bool)> = query("SELECT name, active FROM areas WHERE id = $1")
        .bind(p.to_area)
        .fetch_optional(&mut w.tx)
        .await?;
    let Some((area_name, true)) = area else {
        return Err(Error::Invalid {
            field: "to_area_id",
            message: "移る先の地域が見つかりません。",
        });
    };
    let covered: Option<(i64,)> = query(
        "SELECT municipality_id FROM area_municipalities WHERE area_id = $1 AND municipality_id = $2",
    )
    .bind(p.to_area)
    .bind(p.to_municipality)
    .fetch_optional(&mut w.tx)
    .await?;
    if covered.is_none() {
        return Err(Error::Invalid {
            field: "to_municipality_id",
            message: "移る先の市町村は、選んだ地域の市町村から選んでください。",
        });
    }
    let open: Option<(i64,)> =
        query("SELECT id FROM child_transfers WHERE child_id = $1 AND status = 'proposed'")
            .bind(child.0)
            .fetch_optional(&mut w.tx)
            .await?;
    if open.is_some() {
        return Err(Error::Invalid {
            field: "to_area_id",
            message:
                "この子どもには受け入れ待ちの移管があります。取り下げてから提案し直してください。",
        });
    }
    let (id,): (i64,) = query(
        "INSERT INTO child_transfers (child_id, from_area_id, to_area_id, to_municipality_id, reason, family_agreed_on, \
         family_agreement, status, proposed_by, proposed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, $9) RETURNING id",
    )
    .bind(child.0)
    .bind(access.area())
    .bind(p.to_area)
    .bind(p.to_municipality)
    .bind(p.reason.trim())
    .bind(p.family_agreed_on)
    .bind(p.family_agreement.as_deref().map(str::trim).filter(|s| !s.is_empty()))
    .bind(actor.user_id)
    .bind(crate::now())
    .fetch_one(&mut w.tx)
    .await?;
    add_event(
        &mut w.tx,
        child,
        "transfer",
        &format!("{area_name}への移管を提案しました（{}）", p.reason.trim()),
        Some(id),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("child.transfer.propose")
            .object("child", child)
            .detail(format!("transfer={id} to_area={}", p.to_area)),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}

/// The transfers into or out of the user's areas, newest first: proposals waiting first. Area
/// staff only; a list naming children, so one audit entry names them.
pub async fn for_my_areas(u: &mut Unit) -> Result<Vec<Transfer>> {
    let actor = u.actor()?;
    if !matches!(actor.role, Role::Coordinator | Role::Supervisor) || actor.area_ids.is_empty() {
        return Ok(Vec::new());
    }
    let areas = id_list(actor.area_ids.iter().map(|a| a.0));
    let items: Vec<Transfer> = query(format!(
        "SELECT {COLUMNS} {FROM} WHERE t.to_area_id IN ({areas}) OR t.from_area_id IN ({areas}) \
         ORDER BY CASE WHEN t.status = 'proposed' THEN 0 ELSE 1 END, t.proposed_at DESC, t.id DESC LIMIT 200"
    ))
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("transfer.list", items.iter().map(|t| ChildId(t.child_id)));
    Ok(items)
}

/// The proposals waiting for the user's areas to accept (the inbox and the home page).
pub async fn waiting(u: &mut Unit) -> Result<Vec<Transfer>> {
    let actor = u.actor()?;
    if actor.role != Role::Coordinator || actor.area_ids.is_empty() {
        return Ok(Vec::new());
    }
    let areas = id_list(actor.area_ids.iter().map(|a| a.0));
    let items: Vec<Transfer> = query(format!(
        "SELECT {COLUMNS} {FROM} WHERE t.to_area_id IN ({areas}) AND t.status = 'proposed' ORDER BY t.proposed_at, t.id LIMIT 51"
    ))
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("transfer.list", items.iter().map(|t| ChildId(t.child_id)));
    Ok(items)
}

/// One transfer, to the staff of either area; anyone else is told it does not exist.
pub async fn get(u: &mut Unit, id: i64) -> Result<Transfer> {
    let actor = u.actor()?;
    let t: Option<Transfer> = query(format!("SELECT {COLUMNS} {FROM} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(&mut *u)
        .await?;
    let seen = t.filter(|t| {
        matches!(actor.role, Role::Coordinator | Role::Supervisor)
            && (actor.serves_area(AreaId(t.from_area_id))
                || actor.serves_area(AreaId(t.to_area_id)))
    });
    match seen {
        Some(t) => {
            u.audit(
                Event::new("transfer.read")
                    .object("transfer", id)
                    .detail(format!("child={}", t.child_id)),
            );
            Ok(t)
        }
        None => {
            u.audit(
                Event::new("transfer.read")
                    .object("transfer", id)
                    .outcome(Outcome::Denied),
            );
            Err(Error::NotFound)
        }
    }
}

/// The transfers of one child (its page, for the area's staff).
pub async fn of_child(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Transfer>> {
    access.only_area_staff()?;
    query(format!(
        "SELECT {COLUMNS} {FROM} WHERE t.child_id = $1 ORDER BY t.proposed_at DESC, t.id DESC"
    ))
    .bind(access.child().0)
    .fetch_all(&mut *u)
    .await
}

/// How a receiving coordinator answers a proposal.
#[derive(Clone, Debug)]
pub enum Decision {
    Accept,
    Decline { reason: String },
}

/// Accepts or declines a waiting proposal: only a coordinator of the receiving area. Accepting
/// moves the record to the area and municipality, makes the accepting coordinator 担当, moves
/// the meetings still to come, ends every consent in force (recorded as ended by the transfer),
/// and plans a 転居 transition whose handover sheet can be drafted from the record.
pub async fn decide(u: &mut Unit, id: i64, decision: Decision) -> Result<()> {
    let actor = u.actor()?;
    let action = match decision {
        Decision::Accept => "child.transfer.accept",
        Decision::Decline { .. } => "child.transfer.decline",
    };
    let mut w = u.write().await?;
    let row: Option<(i64, i64, i64, Option<i64>, String)> = query(
        "SELECT child_id, from_area_id, to_area_id, to_municipality_id, status FROM child_transfers WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut w.tx)
    .await?;
    let Some((child, from_area, to_area, municipality, status)) = row else {
        return Err(Error::NotFound);
    };
    if let Err((e, why)) = decider(&actor, from_area, to_area) {
        w.refuse(
            Event::new(action)
                .object("transfer", id)
                .outcome(Outcome::Denied)
                .detail(why),
        );
        return Err(e);
    }
    if status != TransferStatus::Proposed.code() {
        return Err(Error::Invalid {
            field: "status",
            message: "この移管はすでに決まっています。",
        });
    }
    let now = crate::now();
    let today = access::today();
    let child = ChildId(child);
    let (to_name,): (String,) = query("SELECT name FROM areas WHERE id = $1")
        .bind(to_area)
        .fetch_one(&mut w.tx)
        .await?;
    match &decision {
        Decision::Decline { reason } => {
            if reason.trim().is_empty() {
                return Err(Error::Invalid {
                    field: "decision_note",
                    message: "受け入れられない理由を入れてください。",
                });
            }
            query("UPDATE child_transfers SET status = 'declined', decided_by = $1, decided_at = $2, decision_note = $3 WHERE id = $4")
                .bind(actor.user_id)
                .bind(now)
                .bind(reason.trim())
                .bind(id)
                .execute(&mut w.tx)
                .await?;
            add_event(
                &mut w.tx,
                child,
                "transfer",
                &format!("{to_name}が移管を受け入れませんでした（{}）", reason.trim()),
                Some(id),
                Some(&actor),
            )
            .await?;
        }
        Decision::Accept => {
            query("UPDATE child_transfers SET status = 'accepted', decided_by = $1, decided_at = $2 WHERE id = $3")
                .bind(actor.user_id)
                .bind(now)
                .bind(id)
                .execute(&mut w.tx)
                .await?;
            query(
                "UPDATE children SET area_id = $1, municipality_id = $2, lead_coordinator_id = $3, \
                 deputy_coordinator_id = NULL, updated_at = $4 WHERE id = $5",
            )
            .bind(to_area)
            .bind(municipality)
            .bind(actor.user_id)
            .bind(now)
            .bind(child.0)
            .execute(&mut w.tx)
            .await?;
            query("UPDATE meetings SET area_id = $1 WHERE child_id = $2 AND status = 'scheduled' AND starts_at >= $3")
                .bind(to_area)
                .bind(child.0)
                .bind(now)
                .execute(&mut w.tx)
                .await?;
            // A consent named agencies the family chose in the old area: it is not carried.
            let ended = query(
                "UPDATE consents SET revoked_on = $1, revoked_by = $2, ended_by_transfer_id = $3 \
                 WHERE child_id = $4 AND revoked_on IS NULL AND (valid_to IS NULL OR valid_to >= $1)",
            )
            .bind(today)
            .bind(actor.user_id)
            .bind(id)
            .bind(child.0)
            .execute(&mut w.tx)
            .await?;
            let mut summary = format!("{to_name}に移管されました（担当 {}）", actor.display_name);
            if ended > 0 {
                summary.push_str(&format!(
                    "。前の地域での同意{ended}件は移管により終了しました（新しい地域で改めて同意を得てください）"
                ));
            }
            add_event(
                &mut w.tx,
                child,
                "transfer",
                &summary,
                Some(id),
                Some(&actor),
            )
            .await?;
            crate::transitions::insert(
                &mut w.tx,
                child,
                &crate::transitions::NewTransition {
                    kind: TransitionKind::Move,
                    move_on: today,
                    from_agency_id: None,
                    to_agency_id: None,
                    to_name: format!("{to_name}（移管）"),
                    note: Some("移管を受け入れたときに作りました。新しい地域の機関への引継ぎシートをここから作れます。".into()),
                },
                Some(&actor),
            )
            .await?;
        }
    }
    w.record(
        Event::new(action)
            .object("child", child)
            .detail(format!("transfer={id}")),
    )
    .await?;
    w.commit().await
}

/// Who may decide a transfer: a coordinator of the receiving area. Anyone outside both areas
/// is told it does not exist; the rest of their staff may not (403).
fn decider(
    actor: &tsunagu_domain::Actor,
    from_area: i64,
    to_area: i64,
) -> std::result::Result<(), (Error, &'static str)> {
    let staff = matches!(actor.role, Role::Coordinator | Role::Supervisor);
    if !staff || !(actor.serves_area(AreaId(to_area)) || actor.serves_area(AreaId(from_area))) {
        return Err((Error::NotFound, "not visible"));
    }
    if actor.role != Role::Coordinator || !actor.serves_area(AreaId(to_area)) {
        return Err((Error::Forbidden, "not the receiving area's coordinator"));
    }
    Ok(())
}

/// Refuses (audited) whoever may not decide transfer `id`, before its form is read.
pub async fn may_decide(u: &mut Unit, id: i64, action: &str) -> Result<()> {
    let actor = u.actor()?;
    let row: Option<(i64, i64)> =
        query("SELECT from_area_id, to_area_id FROM child_transfers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *u)
            .await?;
    let Some((from_area, to_area)) = row else {
        return Err(Error::NotFound);
    };
    decider(&actor, from_area, to_area).map_err(|(e, why)| {
        u.audit(
            Event::new(action)
                .object("transfer", id)
                .outcome(Outcome::Denied)
                .detail(why),
        );
        e
    })
}

/// Withdraws a waiting proposal: a coordinator of the sending area.
pub async fn withdraw(u: &mut Unit, id: i64) -> Result<()> {
    let actor = u.actor()?;
    let mut w = u.write().await?;
    let row: Option<(i64, i64, String)> =
        query("SELECT child_id, from_area_id, status FROM child_transfers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut w.tx)
            .await?;
    let Some((child, from_area, status)) = row else {
        return Err(Error::NotFound);
    };
    if actor.role != Role::Coordinator || !actor.serves_area(AreaId(from_area)) {
        w.refuse(
            Event::new("child.transfer.withdraw")
                .object("transfer", id)
                .outcome(Outcome::Denied),
        );
        return Err(Error::NotFound);
    }
    if status != TransferStatus::Proposed.code() {
        return Err(Error::Invalid {
            field: "status",
            message: "この移管はすでに決まっています。",
        });
    }
    query("UPDATE child_transfers SET status = 'withdrawn', decided_by = $1, decided_at = $2 WHERE id = $3")
        .bind(actor.user_id)
        .bind(crate::now())
        .bind(id)
        .execute(&mut w.tx)
        .await?;
    add_event(
        &mut w.tx,
        ChildId(child),
        "transfer",
        "移管の提案を取り下げました",
        Some(id),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("child.transfer.withdraw")
            .object("child", child)
            .detail(format!("transfer={id}")),
    )
    .await?;
    w.commit().await
}
