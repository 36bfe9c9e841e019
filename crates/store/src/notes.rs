//! Notes shared with a child's care team (支援チームへの連絡), and who has read them (既読).
//! The area's staff and the agencies on the team now (under the consent rule) see them; each
//! reader's first read is recorded, once.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_domain::{access::Purpose, ChildId, Role};

use crate::{
    access::{self, ChildAccess},
    audit::{Event, Outcome},
    children,
    db::{id_list, query},
    Error, Result, Unit,
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

/// Whether the reader of `access` belongs to the child's team conversation: the area's staff, or
/// staff of an agency on the care team today (the access already holds the consent rule).
async fn member(u: &mut Unit, access: &ChildAccess) -> Result<bool> {
    if access.sees_everything() {
        return Ok(true);
    }
    let Some(agency) = u.actor()?.agency_id else {
        return Ok(false);
    };
    let today = access::today();
    let (n,): (i64,) = query(
        "SELECT COUNT(*) FROM care_team_members WHERE child_id = $1 AND agency_id = $2 AND from_on <= $3 AND (to_on IS NULL OR to_on > $3)",
    )
    .bind(access.child().0)
    .bind(agency)
    .bind(today)
    .fetch_one(u)
    .await?;
    Ok(n > 0)
}

/// The child's notes, newest first; `None` when the reader is not in the team's conversation.
/// The reader's first read of each is recorded (with the request's trail, after the reads).
pub async fn read(u: &mut Unit, access: &ChildAccess) -> Result<Option<Vec<Note>>> {
    if !member(u, access).await? {
        return Ok(None);
    }
    let actor = u.actor()?;
    let child = access.child();
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
    .fetch_all(&mut *u)
    .await?;
    let mut reads: Vec<NoteRead> = query(
        "SELECT r.note_id, u.display_name AS reader_name, r.read_at FROM care_note_reads r JOIN users u ON u.id = r.user_id \
         JOIN care_notes n ON n.id = r.note_id WHERE n.child_id = $1 ORDER BY r.read_at, u.display_name",
    )
    .bind(child.0)
    .fetch_all(&mut *u)
    .await?;
    let already: std::collections::HashSet<i64> = query(format!(
        "SELECT note_id FROM care_note_reads WHERE user_id = $1 AND note_id IN ({})",
        id_list(rows.iter().map(|r| r.id))
    ))
    .bind(actor.user_id)
    .fetch_all::<(i64,)>(&mut *u)
    .await?
    .into_iter()
    .map(|(n,)| n)
    .collect();
    let now = crate::now();
    for r in rows
        .iter()
        .filter(|r| r.author_id != actor.user_id.0 && !already.contains(&r.id))
    {
        u.note_read(r.id, actor.user_id);
        // Shown at once as the trail will record it.
        reads.push(NoteRead {
            note_id: r.id,
            reader_name: actor.display_name.clone(),
            read_at: now,
        });
    }
    u.audit(
        Event::new("care_note.read")
            .object("child", child)
            .detail(format!("notes={}", rows.len())),
    );
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

/// Notes not yet read by the agency user, per child, among the children the rule lets them see
/// whose care team their agency is on today, as in [`read`]. For the agency's inbox; one query.
pub async fn unread_by_child(u: &mut Unit) -> Result<Vec<(ChildId, i64)>> {
    let actor = u.actor()?;
    let Some(agency) = actor.agency_id.filter(|_| actor.role == Role::AgencyStaff) else {
        return Ok(vec![]);
    };
    let today = access::today();
    let found: Vec<(ChildId, i64)> = query(format!(
        "SELECT n.child_id, COUNT(*) FROM care_notes n JOIN children c ON c.id = n.child_id \
         WHERE {} AND n.author_id <> $1 \
         AND NOT EXISTS (SELECT 1 FROM care_note_reads r WHERE r.note_id = n.id AND r.user_id = $1) \
         AND EXISTS (SELECT 1 FROM care_team_members t WHERE t.child_id = n.child_id AND t.agency_id = $2 \
                     AND t.from_on <= $3 AND (t.to_on IS NULL OR t.to_on > $3)) \
         GROUP BY n.child_id ORDER BY n.child_id",
        access::visible(&actor, today)
    ))
    .bind(actor.user_id)
    .bind(agency)
    .bind(today)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("care_note.unread", found.iter().map(|(c, _)| *c));
    Ok(found)
}

/// The access to post a note to the child's team: the area's coordinators and the member
/// agencies' staff, while the case is open. Asked before the note's text is checked.
pub async fn may_post(u: &mut Unit, child: ChildId) -> Result<ChildAccess> {
    let access = access::child(u, child, Purpose::Read, "care_note.post").await?;
    let role = u.actor()?.role;
    let allowed =
        matches!(role, Role::Coordinator | Role::AgencyStaff) && member(u, &access).await?;
    if !allowed {
        u.audit(
            Event::new("care_note.post")
                .object("child", child)
                .outcome(Outcome::Denied),
        );
        return Err(Error::Forbidden);
    }
    if access.is_closed() {
        return Err(Error::Invalid {
            field: "status",
            message: "終結したケースには書き込めません。",
        });
    }
    Ok(access)
}

/// Posts a note to the child's team; `access` comes from [`may_post`], and the membership is
/// asked again inside the change.
pub async fn post(u: &mut Unit, access: &ChildAccess, body: &str) -> Result<i64> {
    let child = access.child();
    let mut w = u.write().await?;
    let actor = w.actor()?;
    let today = access::today();
    let Some((facts, _)) =
        access::facts(&mut crate::db::On::Tx(&mut w.tx), &actor, child, today).await?
    else {
        return Err(Error::NotFound);
    };
    let still = tsunagu_domain::access::child_access(&actor, &facts, today, Purpose::Read).is_ok();
    if !still || facts.closed {
        w.refuse(
            Event::new("care_note.post")
                .object("child", child)
                .outcome(Outcome::Denied),
        );
        return Err(Error::Forbidden);
    }
    let (id,): (i64,) = query("INSERT INTO care_notes (child_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(child.0)
        .bind(actor.user_id)
        .bind(body)
        .bind(crate::now())
        .fetch_one(&mut w.tx)
        .await?;
    let first: String = body.chars().take(40).collect();
    children::add_event(
        &mut w.tx,
        child,
        "note",
        &format!("支援チームへの連絡：{first}"),
        Some(id),
        Some(&actor),
    )
    .await?;
    // Those who wrote in this conversation before hear of the new message (by mail, if they
    // asked): the mail links to the conversation and names no one.
    let earlier: Vec<(i64,)> =
        query("SELECT DISTINCT author_id FROM care_notes WHERE child_id = $1 AND author_id <> $2")
            .bind(child.0)
            .bind(actor.user_id)
            .fetch_all(&mut w.tx)
            .await?;
    let earlier: Vec<tsunagu_domain::UserId> = earlier
        .into_iter()
        .map(|(u,)| tsunagu_domain::UserId(u))
        .collect();
    crate::notifications::to_users(
        &mut w.tx,
        &earlier,
        &crate::notifications::Notice {
            kind: crate::notifications::Kind::Note,
            subject: "【つなぐ】支援チームの連絡に新しい書き込みがあります",
            what: "あなたが書き込んだ支援チームの連絡に、新しい書き込みがありました。",
            path: &format!("/children/{child}#notes"),
        },
        None,
    )
    .await?;
    w.record(
        Event::new("care_note.post")
            .object("care_note", id)
            .detail(format!("child={child}")),
    )
    .await?;
    w.commit().await?;
    Ok(id)
}
