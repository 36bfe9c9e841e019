//! Support meetings (支援会議): scheduled about a child by a coordinator of the area, with the
//! care team's agencies and the family as participants; agenda, minutes, decisions, attendance, and
//! action items with an owner and a due date. An invited agency that the consent rule keeps from
//! the child sees the meeting's logistics only (PRODUCT.md's decision on meetings): date, time,
//! place, purpose and its own invitation; never the agenda, minutes, decisions, the child's name
//! or the family's.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    access::Purpose, meeting::MeetingStatus, ActionItemId, AgencyId, ChildId, MeetingId, Role,
};

use crate::{
    access::{self, ChildAccess},
    audit::{Event, Outcome},
    children,
    db::{id_list, query},
    Error, Result, Unit,
};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Meeting {
    #[schema(value_type = i64)]
    pub id: MeetingId,
    /// The child, for those who may see the child; `null` in a meeting's logistics.
    #[schema(value_type = Option<i64>)]
    pub child_id: Option<ChildId>,
    pub area_id: i64,
    pub purpose: String,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub agenda: Option<String>,
    pub minutes: Option<String>,
    pub decisions: Option<String>,
    /// scheduled, held or cancelled
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub status: MeetingStatus,
    /// The coordinator's time for the meeting, in minutes.
    pub spent_minutes: Option<i64>,
    /// Raised on every change: the SEQUENCE of the meeting's calendar entry.
    pub sequence: i64,
}

impl Meeting {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
    pub fn is_cancelled(&self) -> bool {
        self.status == MeetingStatus::Cancelled
    }
    /// The logistics only: what an invited agency without access to the child is shown.
    fn logistics(mut self) -> Meeting {
        self.child_id = None;
        self.agenda = None;
        self.minutes = None;
        self.decisions = None;
        self.spent_minutes = None;
        self
    }

    /// What an agency that sees the child reads: the coordinator's time is the area's own.
    fn for_agency(mut self) -> Meeting {
        self.spent_minutes = None;
        self
    }
}

/// A meeting row with whether the reader may see its child.
#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    meeting: Meeting,
    sees_child: bool,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Participant {
    pub id: i64,
    pub agency_id: Option<i64>,
    pub name: String,
    pub role: Option<String>,
    pub attended: Option<bool>,
    /// The invited agency's answer from its inbox: attending or absent.
    pub reply: Option<String>,
}

impl Participant {
    pub fn reply_label(&self) -> &'static str {
        match self.reply.as_deref() {
            Some("attending") => "出席と回答",
            Some("absent") => "欠席と回答",
            _ => "",
        }
    }
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ActionItem {
    #[schema(value_type = i64)]
    pub id: ActionItemId,
    #[schema(value_type = i64)]
    pub meeting_id: MeetingId,
    #[schema(value_type = i64)]
    pub child_id: ChildId,
    pub title: String,
    pub owner_agency_id: Option<i64>,
    pub owner_agency_name: Option<String>,
    pub owner_name: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<Date>,
    /// open or done
    pub status: String,
}

/// A meeting as this user may see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub meeting: Meeting,
    /// The child's name, for those who may see the child; `None` shows logistics only.
    pub child_name: Option<String>,
    /// Everyone invited, for those who see the record; the reader's own invitation otherwise.
    pub participants: Vec<Participant>,
    pub action_items: Vec<ActionItem>,
    /// Minutes, decisions and action items are the record's: only for those who see the child.
    #[serde(skip)]
    #[schema(ignore)]
    pub sees_record: bool,
    #[serde(skip)]
    #[schema(ignore)]
    pub may_edit: bool,
}

#[derive(Clone, Debug)]
pub struct NewParticipant {
    pub agency_id: Option<AgencyId>,
    pub name: String,
    pub role: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewMeeting {
    pub purpose: String,
    pub starts_at: OffsetDateTime,
    pub ends_at: OffsetDateTime,
    pub place: Option<String>,
    pub online_url: Option<String>,
    pub agenda: Option<String>,
    pub participants: Vec<NewParticipant>,
}

const ITEM_SELECT: &str = "SELECT i.id, i.meeting_id, i.child_id, i.title, i.owner_agency_id, a.name AS owner_agency_name, \
     i.owner_name, i.due_on, i.status FROM action_items i LEFT JOIN agencies a ON a.id = i.owner_agency_id";

const COLUMNS: &str = "m.id, m.child_id, m.area_id, m.purpose, m.starts_at, m.ends_at, m.place, m.online_url, m.agenda, m.minutes, m.decisions, m.status, m.spent_minutes, m.sequence";

/// Whether `purpose` names the child or a guardian: it goes into calendars and to agencies that
/// see logistics only, so it may not (PRODUCT.md).
fn names_someone(purpose: &str, names: &[String]) -> bool {
    let squeeze = |t: &str| -> String {
        tsunagu_domain::kana::normalize(t)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let purpose = squeeze(purpose);
    names
        .iter()
        .map(|n| squeeze(n))
        .filter(|n| n.chars().count() >= 2)
        .any(|n| purpose.contains(&n))
}

/// Schedules a meeting about the child; `access` is the coordinator's, minted for a change.
pub async fn create(u: &mut Unit, access: &ChildAccess, new: &NewMeeting) -> Result<MeetingId> {
    let child = access.child();
    let mut w = access::write(u, access, "meeting.create").await?;
    let actor = w.actor()?;
    let names: Vec<NameRow> = query(forbidden_names_sql(
        "SELECT CAST(0 AS BIGINT) AS k, CAST($1 AS BIGINT) AS child_id",
    ))
    .bind(child.0)
    .fetch_all(&mut w.tx)
    .await?;
    if names_someone(&new.purpose, &names_of(&names, 0)) {
        return Err(Error::Invalid {
            field: "purpose",
            message: "会議の目的に子どもや保護者の名前を書かないでください。カレンダーや、招かれた機関に表示されます。",
        });
    }
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO meetings (child_id, area_id, purpose, starts_at, ends_at, place, online_url, agenda, status, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'scheduled', $9, $10, $10) RETURNING id",
    )
    .bind(child.0)
    .bind(access.area())
    .bind(&new.purpose)
    .bind(new.starts_at)
    .bind(new.ends_at)
    .bind(new.place.as_deref())
    .bind(new.online_url.as_deref())
    .bind(new.agenda.as_deref())
    .bind(actor.user_id)
    .bind(now)
    .fetch_one(&mut w.tx)
    .await?;
    for p in &new.participants {
        query("INSERT INTO meeting_participants (meeting_id, agency_id, name, role) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(p.agency_id)
            .bind(&p.name)
            .bind(p.role.as_deref())
            .execute(&mut w.tx)
            .await
            .map_err(|e| e.on_foreign_key("participants", "参加する機関が見つかりません。"))?;
    }
    let mut invited: Vec<AgencyId> = new
        .participants
        .iter()
        .filter_map(|p| p.agency_id)
        .collect();
    invited.sort_unstable_by_key(|a| a.0);
    invited.dedup();
    for agency in invited {
        crate::notifications::to_agency(
            &mut w.tx,
            agency,
            &crate::notifications::Notice {
                kind: crate::notifications::Kind::Meeting,
                subject: "【つなぐ】支援会議の案内が届きました",
                what: "支援会議への参加の案内が届きました。日時と場所を受信箱で確かめ、出席か欠席かを答えてください。",
                path: "/inbox",
            },
        )
        .await?;
    }
    let when = tsunagu_domain::japanese_date::format_datetime(new.starts_at);
    children::add_event(
        &mut w.tx,
        child,
        "meeting",
        &format!("支援会議を予定しました（{when}）：{}", new.purpose),
        Some(id),
        Some(&actor),
    )
    .await?;
    w.record(
        Event::new("meeting.create")
            .object("meeting", id)
            .detail(format!("child={child}")),
    )
    .await?;
    w.commit().await?;
    Ok(MeetingId(id))
}

/// The meeting for this user: whoever may see its child sees it all (an agency only its
/// shared parts of the child, never the coordinator's notes); an invited agency that may not
/// sees its logistics and its own invitation; anyone else is told it does not exist.
pub async fn get(u: &mut Unit, id: MeetingId) -> Result<MeetingView> {
    let actor = u.actor()?;
    let found: Option<Meeting> = query(format!("SELECT {COLUMNS} FROM meetings m WHERE m.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *u)
        .await?;
    let Some(meeting) = found else {
        return Err(Error::NotFound);
    };
    let child = meeting.child_id.ok_or(Error::NotFound)?;
    let participants: Vec<Participant> =
        query("SELECT id, agency_id, name, role, attended, reply FROM meeting_participants WHERE meeting_id = $1 ORDER BY id")
            .bind(id.0)
            .fetch_all(&mut *u)
            .await?;
    let invited = actor.role == Role::AgencyStaff
        && participants
            .iter()
            .any(|p| p.agency_id.is_some() && p.agency_id == actor.agency_id.map(|a| a.0));
    let access = access::if_visible(u, child, Purpose::Read).await?;
    let area_staff = access.as_ref().is_some_and(ChildAccess::sees_everything);
    if access.is_none() && !invited {
        u.audit(
            Event::new("meeting.read")
                .object("meeting", id)
                .outcome(Outcome::Denied),
        );
        return Err(Error::NotFound);
    }
    let Some(access) = access else {
        u.audit(
            Event::new("meeting.read")
                .object("meeting", id)
                .detail("logistics"),
        );
        let own = actor.agency_id.map(|a| a.0);
        return Ok(MeetingView {
            meeting: meeting.logistics(),
            child_name: None,
            participants: participants
                .into_iter()
                .filter(|p| p.agency_id.is_some() && p.agency_id == own)
                .collect(),
            action_items: vec![],
            sees_record: false,
            may_edit: false,
        });
    };
    let child_name = children::display_name(u, &access).await?;
    let action_items = query(format!(
        "{ITEM_SELECT} WHERE i.meeting_id = $1 ORDER BY i.due_on, i.id"
    ))
    .bind(id.0)
    .fetch_all(&mut *u)
    .await?;
    u.audit(
        Event::new("meeting.read")
            .object("meeting", id)
            .detail(format!("child={child}")),
    );
    Ok(MeetingView {
        may_edit: area_staff && access.is_coordinator(),
        meeting: if area_staff {
            meeting
        } else {
            meeting.for_agency()
        },
        child_name: Some(child_name),
        participants,
        action_items,
        sees_record: true,
    })
}

/// The access to change meeting `id`: a coordinator of its child's area, minted for a change;
/// asked before a form's input is checked.
pub async fn editable(u: &mut Unit, id: MeetingId, action: &str) -> Result<ChildAccess> {
    let found: Option<(i64,)> = query("SELECT child_id FROM meetings WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *u)
        .await?;
    let Some((child,)) = found else {
        u.audit(
            Event::new(action)
                .object("meeting", id)
                .outcome(Outcome::Denied)
                .detail("not found"),
        );
        return Err(Error::NotFound);
    };
    access::child(u, ChildId(child), Purpose::Write, action).await
}

/// The record of the meeting: agenda, minutes, decisions, status and who attended.
pub struct MeetingRecord {
    pub agenda: Option<String>,
    pub minutes: Option<String>,
    pub decisions: Option<String>,
    pub status: MeetingStatus,
    pub attended: Vec<i64>,
    /// The coordinator's time for the meeting, in minutes (optional).
    pub spent_minutes: Option<i64>,
}

/// Records the meeting; `access` comes from [`editable`].
pub async fn record(
    u: &mut Unit,
    access: &ChildAccess,
    id: MeetingId,
    r: &MeetingRecord,
) -> Result<()> {
    let mut w = access::write(u, access, "meeting.update").await?;
    let actor = w.actor()?;
    let m: Meeting = query(format!(
        "SELECT {COLUMNS} FROM meetings m WHERE m.id = $1 AND m.child_id = $2"
    ))
    .bind(id.0)
    .bind(access.child().0)
    .fetch_optional(&mut w.tx)
    .await?
    .ok_or(Error::NotFound)?;
    let now = crate::now();
    // A meeting is held once it has begun, not before.
    if r.status == MeetingStatus::Held && m.status != MeetingStatus::Held && m.starts_at > now {
        return Err(Error::Invalid {
            field: "status",
            message: "まだ始まっていない会議は「開催済み」にできません。開催日時を過ぎてから記録してください。",
        });
    }
    // The day of cancellation starts the invitation's last 30 days; undone, it is forgotten.
    let cancelled_at = match (m.status, r.status) {
        (MeetingStatus::Cancelled, MeetingStatus::Cancelled) => None,
        (_, MeetingStatus::Cancelled) => Some(now),
        _ => None,
    };
    query(
        "UPDATE meetings SET agenda = $1, minutes = $2, decisions = $3, status = $4, updated_at = $5, \
         cancelled_at = CASE WHEN $4 = 'cancelled' THEN COALESCE($6, cancelled_at) ELSE NULL END, spent_minutes = $8, \
         sequence = sequence + 1 WHERE id = $7",
    )
    .bind(r.agenda.as_deref())
    .bind(r.minutes.as_deref())
    .bind(r.decisions.as_deref())
    .bind(r.status.code())
    .bind(now)
    .bind(cancelled_at)
    .bind(id.0)
    .bind(r.spent_minutes)
    .execute(&mut w.tx)
    .await?;
    let participants: Vec<(i64,)> =
        query("SELECT id FROM meeting_participants WHERE meeting_id = $1")
            .bind(id.0)
            .fetch_all(&mut w.tx)
            .await?;
    for (p,) in participants {
        query("UPDATE meeting_participants SET attended = $1 WHERE id = $2")
            .bind(if r.status == MeetingStatus::Held {
                Some(r.attended.contains(&p))
            } else {
                None
            })
            .bind(p)
            .execute(&mut w.tx)
            .await?;
    }
    if r.status != m.status {
        let summary = match r.status {
            MeetingStatus::Held => format!("支援会議を開催しました：{}", m.purpose),
            MeetingStatus::Cancelled => format!("支援会議を中止しました：{}", m.purpose),
            MeetingStatus::Scheduled => format!("支援会議を予定に戻しました：{}", m.purpose),
        };
        children::add_event(
            &mut w.tx,
            access.child(),
            "meeting",
            &summary,
            Some(id.0),
            Some(&actor),
        )
        .await?;
    }
    w.record(Event::new("meeting.update").object("meeting", id))
        .await?;
    w.commit().await
}

#[derive(Clone, Debug)]
pub struct NewActionItem {
    pub title: String,
    pub owner_agency_id: Option<AgencyId>,
    pub owner_name: Option<String>,
    pub due_on: Option<Date>,
}

/// Adds an action item to meeting `meeting`; `access` comes from [`editable`].
pub async fn add_action_item(
    u: &mut Unit,
    access: &ChildAccess,
    meeting: MeetingId,
    item: &NewActionItem,
) -> Result<ActionItemId> {
    let mut w = access::write(u, access, "action_item.create").await?;
    let found: Option<(i64,)> = query("SELECT id FROM meetings WHERE id = $1 AND child_id = $2")
        .bind(meeting.0)
        .bind(access.child().0)
        .fetch_optional(&mut w.tx)
        .await?;
    if found.is_none() {
        return Err(Error::NotFound);
    }
    let (id,): (i64,) = query(
        "INSERT INTO action_items (meeting_id, child_id, title, owner_agency_id, owner_name, due_on, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id",
    )
    .bind(meeting.0)
    .bind(access.child().0)
    .bind(&item.title)
    .bind(item.owner_agency_id)
    .bind(item.owner_name.as_deref())
    .bind(item.due_on)
    .bind(crate::now())
    .fetch_one(&mut w.tx)
    .await
    .map_err(|e| e.on_foreign_key("owner_agency_id", "担当の機関が見つかりません。"))?;
    w.record(Event::new("action_item.create").object("action_item", id))
        .await?;
    w.commit().await?;
    Ok(ActionItemId(id))
}

/// Marks an action item done (or open again): a coordinator of the child's area, or the owning
/// agency while the consent rule lets it see the child.
pub async fn set_item_done(u: &mut Unit, item: ActionItemId, done: bool) -> Result<()> {
    let actor = u.actor()?;
    let found: Option<(i64, Option<i64>)> =
        query("SELECT child_id, owner_agency_id FROM action_items WHERE id = $1")
            .bind(item.0)
            .fetch_optional(&mut *u)
            .await?;
    let refuse = |u: &mut Unit, why: &'static str| {
        u.audit(
            Event::new("action_item.update")
                .object("action_item", item)
                .outcome(Outcome::Denied)
                .detail(why),
        );
    };
    let Some((child, owner)) = found else {
        refuse(u, "not found");
        return Err(Error::NotFound);
    };
    let Some(access) = access::if_visible(u, ChildId(child), Purpose::Read).await? else {
        refuse(u, "not visible");
        return Err(Error::NotFound);
    };
    let owns =
        actor.role == Role::AgencyStaff && owner.is_some() && owner == actor.agency_id.map(|a| a.0);
    if !(access.is_coordinator() || owns) {
        refuse(u, "not allowed");
        return Err(Error::Forbidden);
    }
    let mut w = u.write().await?;
    query("UPDATE action_items SET status = $1, done_at = $2 WHERE id = $3")
        .bind(if done { "done" } else { "open" })
        .bind(done.then(crate::now))
        .bind(item.0)
        .execute(&mut w.tx)
        .await?;
    w.record(
        Event::new("action_item.update")
            .object("action_item", item)
            .detail(if done { "done" } else { "open" }),
    )
    .await?;
    w.commit().await
}

/// The child's meetings, newest first (the area's staff).
pub async fn for_child(u: &mut Unit, access: &ChildAccess) -> Result<Vec<Meeting>> {
    if !access.sees_everything() {
        return Ok(vec![]);
    }
    query(format!(
        "SELECT {COLUMNS} FROM meetings m WHERE m.child_id = $1 ORDER BY m.starts_at DESC"
    ))
    .bind(access.child().0)
    .fetch_all(u)
    .await
}

/// Meetings between `from` and `until` that are not cancelled: those of the coordinator's or
/// supervisor's areas, or those an agency is invited to. A meeting whose child the reader may
/// not see comes as its logistics only; the children of the others are audited as shown.
pub async fn between(
    u: &mut Unit,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<Meeting>> {
    meetings_between(u, from, until, false).await
}

/// The meetings of a calendar feed: as [`between`], with the cancelled ones (the feed says
/// STATUS:CANCELLED so calendars drop them) and every purpose that names the child or a
/// guardian (written before the check existed) replaced by 「支援会議」.
pub async fn for_calendar(
    u: &mut Unit,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Vec<Meeting>> {
    let mut meetings = meetings_between(u, from, until, true).await?;
    screen_purposes(u, &mut meetings).await?;
    Ok(meetings)
}

/// Replaces each purpose that names the meeting's child or a guardian with nothing (the caller
/// shows 「支援会議」): calendar files leave Tsunagu.
pub async fn screen_purposes(u: &mut Unit, meetings: &mut [Meeting]) -> Result<()> {
    let ids: Vec<i64> = meetings.iter().map(|m| m.id.0).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let names: Vec<NameRow> = query(forbidden_names_sql(&format!(
        "SELECT id AS k, child_id FROM meetings WHERE id IN ({})",
        id_list(ids)
    )))
    .fetch_all(&mut *u)
    .await?;
    for m in meetings.iter_mut() {
        if names_someone(&m.purpose, &names_of(&names, m.id.0)) {
            m.purpose.clear();
        }
    }
    Ok(())
}

/// A name a purpose may not hold, under the key its pair gave: (key, full name, given name,
/// full reading, given reading).
type NameRow = (i64, String, String, String, String);

/// The child's and each guardian's names and readings for each (`k`, `child_id`) pair that
/// `pairs` selects: what [`names_someone`] looks for, at scheduling and in calendar files.
fn forbidden_names_sql(pairs: &str) -> String {
    format!(
        "SELECT p.k, c.family_name || c.given_name, c.given_name, c.family_kana || c.given_kana, c.given_kana \
         FROM ({pairs}) p JOIN children c ON c.id = p.child_id \
         UNION ALL SELECT p.k, g.name, '', g.kana, '' FROM ({pairs}) p JOIN guardians g ON g.child_id = p.child_id"
    )
}

/// The names under `key`.
fn names_of(rows: &[NameRow], key: i64) -> Vec<String> {
    rows.iter()
        .filter(|r| r.0 == key)
        .flat_map(|r| [r.1.clone(), r.2.clone(), r.3.clone(), r.4.clone()])
        .collect()
}

/// This installation's random id, for identifiers that leave it (calendar UIDs).
pub async fn installation_uid(u: &mut Unit) -> Result<String> {
    let (uid,): (String,) = query("SELECT uid FROM installation WHERE id = 1")
        .fetch_one(&mut *u)
        .await?;
    Ok(uid)
}

async fn meetings_between(
    u: &mut Unit,
    from: OffsetDateTime,
    until: OffsetDateTime,
    with_cancelled: bool,
) -> Result<Vec<Meeting>> {
    let actor = u.actor()?;
    let whose = match actor.role {
        Role::Coordinator | Role::Supervisor if !actor.area_ids.is_empty() => format!(
            "m.area_id IN ({})",
            id_list(actor.area_ids.iter().map(|a| a.0))
        ),
        Role::AgencyStaff => match actor.agency_id {
            Some(agency) => format!(
                "m.id IN (SELECT meeting_id FROM meeting_participants WHERE agency_id = {})",
                agency.0
            ),
            None => return Ok(vec![]),
        },
        _ => return Ok(vec![]),
    };
    let rows: Vec<Row> = query(format!(
        "SELECT {COLUMNS}, {} AS sees_child FROM meetings m JOIN children c ON c.id = m.child_id \
         WHERE {whose} AND m.starts_at >= $1 AND m.starts_at < $2 AND ($3 OR m.status <> 'cancelled') ORDER BY m.starts_at",
        access::visible(&actor, access::today())
    ))
    .bind(from)
    .bind(until)
    .bind(with_cancelled)
    .fetch_all(&mut *u)
    .await?;
    let shown: Vec<ChildId> = rows
        .iter()
        .filter(|r| r.sees_child)
        .filter_map(|r| r.meeting.child_id)
        .collect();
    u.audit_shown("meeting.list", shown);
    Ok(rows
        .into_iter()
        .map(|r| {
            if r.sees_child {
                r.meeting
            } else {
                r.meeting.logistics()
            }
        })
        .collect())
}

/// Whether the unit's user may answer meeting `id`'s invitation: staff of an invited agency.
/// Asked before the answer is read; anyone else is refused (and audited) whatever they send.
pub async fn may_reply(u: &mut Unit, id: MeetingId) -> Result<AgencyId> {
    let actor = u.actor()?;
    let agency = match (actor.role, actor.agency_id) {
        (Role::AgencyStaff, Some(agency)) => agency,
        _ => {
            u.audit(
                Event::new("meeting.reply")
                    .object("meeting", id)
                    .outcome(Outcome::Denied),
            );
            return Err(Error::Forbidden);
        }
    };
    let invited: Option<(i64,)> =
        query("SELECT id FROM meeting_participants WHERE meeting_id = $1 AND agency_id = $2")
            .bind(id.0)
            .bind(agency)
            .fetch_optional(&mut *u)
            .await?;
    if invited.is_none() {
        u.audit(
            Event::new("meeting.reply")
                .object("meeting", id)
                .outcome(Outcome::Denied),
        );
        return Err(Error::NotFound);
    }
    Ok(agency)
}

/// The invited agency answers a meeting invitation from its inbox: attending or absent.
pub async fn reply(u: &mut Unit, id: MeetingId, attending: bool) -> Result<()> {
    let agency = may_reply(u, id).await?;
    let answer = if attending { "attending" } else { "absent" };
    let mut w = u.write().await?;
    query(
        "UPDATE meeting_participants SET reply = $1, replied_at = $2 WHERE meeting_id = $3 AND agency_id = $4",
    )
    .bind(answer)
    .bind(crate::now())
    .bind(id.0)
    .bind(agency)
    .execute(&mut w.tx)
    .await?;
    w.record(
        Event::new("meeting.reply")
            .object("meeting", id)
            .detail(answer),
    )
    .await?;
    w.commit().await
}

/// The answers the user's agency gave to its invitations, by meeting.
pub async fn my_replies(u: &mut Unit) -> Result<Vec<(MeetingId, String)>> {
    let actor = u.actor()?;
    let Some(agency) = actor.agency_id else {
        return Ok(vec![]);
    };
    let rows: Vec<(i64, String)> = query(
        "SELECT meeting_id, reply FROM meeting_participants WHERE agency_id = $1 AND reply IS NOT NULL",
    )
    .bind(agency)
    .fetch_all(&mut *u)
    .await?;
    Ok(rows.into_iter().map(|(m, r)| (MeetingId(m), r)).collect())
}

/// A line of the meetings worklist: the meeting and whose it is.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MeetingLine {
    #[sqlx(flatten)]
    pub meeting: Meeting,
    pub child_name: String,
}

/// What the meetings worklist is narrowed to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Period {
    /// From today on, soonest first.
    #[default]
    Coming,
    /// Before now, latest first.
    Past,
}

/// The meetings of the user's areas (coordinators and supervisors), coming or past, of one
/// status or all, a page at a time; the children shown are audited.
pub async fn worklist(
    u: &mut Unit,
    period: Period,
    status: Option<MeetingStatus>,
    paging: crate::Paging,
) -> Result<crate::Page<MeetingLine>> {
    let actor = u.actor()?;
    if !actor.role.needs_areas() || actor.area_ids.is_empty() {
        return Ok(crate::Page {
            items: vec![],
            total: 0,
        });
    }
    let (when, order) = match period {
        Period::Coming => ("m.starts_at >= $1", "m.starts_at, m.id"),
        Period::Past => ("m.starts_at < $1", "m.starts_at DESC, m.id DESC"),
    };
    let filter = format!(
        "WHERE m.area_id IN ({}) AND {} AND {when} AND ($2 IS NULL OR m.status = $2)",
        id_list(actor.area_ids.iter().map(|a| a.0)),
        access::visible(&actor, access::today())
    );
    let today_starts = time::PrimitiveDateTime::new(access::today(), time::Time::MIDNIGHT)
        .assume_offset(time::macros::offset!(+9));
    let from = match period {
        Period::Coming => today_starts,
        Period::Past => crate::now(),
    };
    let (total,): (i64,) = query(format!(
        "SELECT COUNT(*) FROM meetings m JOIN children c ON c.id = m.child_id {filter}"
    ))
    .bind(from)
    .bind(status.map(MeetingStatus::code))
    .fetch_one(&mut *u)
    .await?;
    let items: Vec<MeetingLine> = query(format!(
        "SELECT {COLUMNS}, c.family_name || ' ' || c.given_name AS child_name \
         FROM meetings m JOIN children c ON c.id = m.child_id {filter} ORDER BY {order} LIMIT $3 OFFSET $4"
    ))
    .bind(from)
    .bind(status.map(MeetingStatus::code))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown(
        "meeting.list",
        items.iter().filter_map(|l| l.meeting.child_id),
    );
    Ok(crate::Page { items, total })
}

/// Open action items due on or before `by` (every open one when `None`, those without a due
/// date last): the area's for a coordinator, the agency's own for its staff while it may see
/// their child.
pub async fn due_items(u: &mut Unit, by: Option<Date>) -> Result<Vec<ActionItem>> {
    let actor = u.actor()?;
    // A plain range when a date is given, so the (status, due_on) index serves the home page.
    let by_clause = if by.is_some() {
        "i.due_on <= $1"
    } else {
        "$1 IS NULL"
    };
    let visible = access::visible(&actor, access::today());
    // Dated items first, soonest first; the rest by id. Spelled out: the dialects sort NULLs apart.
    let due = format!("i.status = 'open' AND {by_clause} ORDER BY CASE WHEN i.due_on IS NULL THEN 1 ELSE 0 END, i.due_on, i.id LIMIT 500");
    let items: Vec<ActionItem> = match actor.role {
        Role::Coordinator if !actor.area_ids.is_empty() => {
            query(format!(
                "{ITEM_SELECT} JOIN meetings m ON m.id = i.meeting_id WHERE m.area_id IN ({}) \
                 AND i.child_id IN (SELECT c.id FROM children c WHERE {visible}) AND {due}",
                id_list(actor.area_ids.iter().map(|a| a.0))
            ))
            .bind(by)
            .fetch_all(&mut *u)
            .await?
        }
        Role::AgencyStaff if actor.agency_id.is_some() => {
            query(format!(
                "{ITEM_SELECT} WHERE i.owner_agency_id = $2 AND i.child_id IN (SELECT c.id FROM children c WHERE {visible}) AND {due}"
            ))
            .bind(by)
            .bind(actor.agency_id)
            .fetch_all(&mut *u)
            .await?
        }
        _ => vec![],
    };
    u.audit_shown("action_item.list", items.iter().map(|i| i.child_id));
    Ok(items)
}

/// A line of the action items worklist: the item, its child and its meeting.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ItemLine {
    #[sqlx(flatten)]
    pub item: ActionItem,
    pub child_name: String,
    pub meeting_purpose: String,
    pub meeting_starts_at: OffsetDateTime,
}

/// What the action items worklist is narrowed to; all kept in the page's URL.
#[derive(Clone, Copy, Debug, Default)]
pub struct ItemWorklist {
    /// "open" or "done"; every item when `None`.
    pub done: Option<bool>,
    /// Due on or before this day.
    pub due_by: Option<Date>,
    /// Only the items of the meetings the user arranged.
    pub mine: bool,
}

/// The action items of the user's areas (coordinators, supervisors) or their agency's own
/// (agency staff, while their agency may see the child), open first by due date. The children
/// shown are audited.
pub async fn item_worklist(
    u: &mut Unit,
    w: &ItemWorklist,
    paging: crate::Paging,
) -> Result<crate::Page<ItemLine>> {
    let actor = u.actor()?;
    let whose = match actor.role {
        Role::Coordinator | Role::Supervisor if !actor.area_ids.is_empty() => format!(
            "m.area_id IN ({})",
            id_list(actor.area_ids.iter().map(|a| a.0))
        ),
        // Agency ids come from the user's own record, never input.
        Role::AgencyStaff => match actor.agency_id {
            Some(agency) => format!("i.owner_agency_id = {}", agency.0),
            None => "1 = 0".to_owned(),
        },
        _ => "1 = 0".to_owned(),
    };
    let filter = format!(
        "FROM action_items i JOIN meetings m ON m.id = i.meeting_id JOIN children c ON c.id = i.child_id \
         LEFT JOIN agencies a ON a.id = i.owner_agency_id \
         WHERE {whose} AND {} AND ($1 IS NULL OR i.status = $1) AND ($2 IS NULL OR i.due_on <= $2) \
         AND ($3 IS NULL OR m.created_by = $3)",
        access::visible(&actor, access::today())
    );
    let status = w.done.map(|d| if d { "done" } else { "open" });
    let (total,): (i64,) = query(format!("SELECT COUNT(*) {filter}"))
        .bind(status)
        .bind(w.due_by)
        .bind(w.mine.then_some(actor.user_id))
        .fetch_one(&mut *u)
        .await?;
    // Open before done, dated before undated, soonest first; spelled out as the dialects sort
    // NULLs apart.
    let items: Vec<ItemLine> = query(format!(
        "SELECT i.id, i.meeting_id, i.child_id, i.title, i.owner_agency_id, a.name AS owner_agency_name, \
         i.owner_name, i.due_on, i.status, c.family_name || ' ' || c.given_name AS child_name, \
         m.purpose AS meeting_purpose, m.starts_at AS meeting_starts_at {filter} \
         ORDER BY CASE WHEN i.status = 'open' THEN 0 ELSE 1 END, CASE WHEN i.due_on IS NULL THEN 1 ELSE 0 END, \
         i.due_on, i.id LIMIT $4 OFFSET $5"
    ))
    .bind(status)
    .bind(w.due_by)
    .bind(w.mine.then_some(actor.user_id))
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("action_item.list", items.iter().map(|l| l.item.child_id));
    Ok(crate::Page { items, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_may_not_name_the_child_or_a_guardian() {
        let names = vec![
            "見本はると".to_owned(),
            "はると".to_owned(),
            "みほんはると".to_owned(),
            "見本 保護者".to_owned(),
        ];
        assert!(names_someone("見本 はると さんの就学について", &names));
        assert!(names_someone("ハルトくんの就学", &names));
        assert!(names_someone("見本保護者との面談", &names));
        assert!(!names_someone("就学に向けた情報共有", &names));
        assert!(
            !names_someone("就学", &["".to_owned(), "あ".to_owned()]),
            "a name of one character is not looked for"
        );
    }
}
