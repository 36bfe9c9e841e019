//! Notes shared with a child's care team (支援チームへの連絡), and who has read them (既読).
//! The area's staff and the agencies on the team now (under the consent rule) see them; each
//! reader's first read is recorded, once.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_domain::{access::Purpose, Actor, Role};

use crate::{
    audit::{self, Event, Outcome, RequestMeta},
    children::{self, ChildId},
    db::{id_list, query},
    Db, Error, Result,
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Note {
    pub id: i64,
    pub author_name: String,
    pub author_agency: Option<String>,
    pub body: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Who has read it, and when they first did.
    pub reads: Vec<NoteRead>,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NoteRead {
    #[serde(skip)]
    #[schema(ignore)]
    pub note_id: i64,
    pub reader_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub read_at: OffsetDateTime,
}

/// Whether the actor belongs to the child's team conversation: the area's staff, or staff of an
/// agency on the care team today whom the consent rule lets see the child.
async fn member(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    action: &str,
) -> Result<bool> {
    let basis = children::authorize(db, meta, actor, child, Purpose::Read, action).await?;
    if basis.sees_everything() {
        return Ok(true);
    }
    let Some(agency) = actor.agency_id else {
        return Ok(false);
    };
    let today = children::today_in_japan();
    let (n,): (i64,) = query(
        "SELECT COUNT(*) FROM care_team_members WHERE child_id = $1 AND agency_id = $2 AND from_on <= $3 AND (to_on IS NULL OR to_on > $3)",
    )
    .bind(child.0)
    .bind(agency)
    .bind(today)
    .fetch_one(db)
    .await?;
    Ok(n > 0)
}

/// The child's notes, newest first, recording the actor's first read of each; `None` when the
/// actor is not in the team's conversation.
pub async fn read(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
) -> Result<Option<Vec<Note>>> {
    if !member(db, meta, actor, child, "care_note.read").await? {
        return Ok(None);
    }
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        author_id: i64,
        author_name: String,
        author_agency: Option<String>,
        body: String,
        created_at: OffsetDateTime,
    }
    let rows: Vec<Row> = query(
        "SELECT n.id, n.author_id, u.display_name AS author_name, a.name AS author_agency, n.body, n.created_at \
         FROM care_notes n JOIN users u ON u.id = n.author_id LEFT JOIN agencies a ON a.id = u.agency_id \
         WHERE n.child_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT 100",
    )
    .bind(child.0)
    .fetch_all(db)
    .await?;
    let now = crate::now();
    let mut tx = db.begin().await?;
    for r in rows.iter().filter(|r| r.author_id != actor.user_id.0) {
        query("INSERT INTO care_note_reads (note_id, user_id, read_at) VALUES ($1, $2, $3) ON CONFLICT (note_id, user_id) DO NOTHING")
            .bind(r.id)
            .bind(actor.user_id)
            .bind(now)
            .execute(&mut tx)
            .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("care_note.read")
            .by(actor)
            .object("child", child)
            .detail(format!("notes={}", rows.len())),
    )
    .await?;
    tx.commit().await?;
    let reads: Vec<NoteRead> = query(
        "SELECT r.note_id, u.display_name AS reader_name, r.read_at FROM care_note_reads r JOIN users u ON u.id = r.user_id \
         JOIN care_notes n ON n.id = r.note_id WHERE n.child_id = $1 ORDER BY r.read_at, u.display_name",
    )
    .bind(child.0)
    .fetch_all(db)
    .await?;
    Ok(Some(
        rows.into_iter()
            .map(|r| Note {
                reads: reads
                    .iter()
                    .filter(|x| x.note_id == r.id)
                    .cloned()
                    .collect(),
                id: r.id,
                author_name: r.author_name,
                author_agency: r.author_agency,
                body: r.body,
                created_at: r.created_at,
            })
            .collect(),
    ))
}

/// Notes not yet read by the actor, per child, among `children` (which the caller already found
/// the actor may see): only those of children whose care team the actor's agency is on today,
/// as in [`read`]. For the agency's inbox; one query.
pub async fn unread_by_child(
    db: &Db,
    actor: &Actor,
    children: &[ChildId],
) -> Result<Vec<(i64, i64)>> {
    let Some(agency) = actor.agency_id.filter(|_| actor.role == Role::AgencyStaff) else {
        return Ok(vec![]);
    };
    query(format!(
        "SELECT n.child_id, COUNT(*) FROM care_notes n          WHERE n.child_id IN ({}) AND n.author_id <> $1          AND NOT EXISTS (SELECT 1 FROM care_note_reads r WHERE r.note_id = n.id AND r.user_id = $1)          AND EXISTS (SELECT 1 FROM care_team_members t WHERE t.child_id = n.child_id AND t.agency_id = $2                      AND t.from_on <= $3 AND (t.to_on IS NULL OR t.to_on > $3))          GROUP BY n.child_id ORDER BY n.child_id",
        id_list(children.iter().map(|c| c.0))
    ))
    .bind(actor.user_id)
    .bind(agency)
    .bind(children::today_in_japan())
    .fetch_all(db)
    .await
}

/// Posts a note to the child's team: the area's coordinators and the member agencies' staff.
pub async fn post(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    child: ChildId,
    body: &str,
) -> Result<i64> {
    let allowed = member(db, meta, actor, child, "care_note.post").await?
        && matches!(actor.role, Role::Coordinator | Role::AgencyStaff);
    if !allowed {
        audit::record_alone(
            db,
            meta,
            Event::new("care_note.post")
                .by(actor)
                .object("child", child)
                .outcome(Outcome::Denied),
        )
        .await?;
        return Err(Error::Forbidden);
    }
    let (status,): (String,) = query("SELECT status FROM children WHERE id = $1")
        .bind(child.0)
        .fetch_one(db)
        .await?;
    if status == "closed" {
        return Err(Error::Invalid {
            field: "status",
            message: "終結したケースには書き込めません。",
        });
    }
    let mut tx = db.begin().await?;
    let (id,): (i64,) = query("INSERT INTO care_notes (child_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(child.0)
        .bind(actor.user_id)
        .bind(body)
        .bind(crate::now())
        .fetch_one(&mut tx)
        .await?;
    let first: String = body.chars().take(40).collect();
    children::add_event(
        &mut tx,
        child,
        "note",
        &format!("支援チームへの連絡：{first}"),
        Some(id),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("care_note.post")
            .by(actor)
            .object("care_note", id)
            .detail(format!("child={child}")),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
