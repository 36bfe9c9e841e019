//! The care team's memberships and the siblings link.

use super::*;

/// A new member of a child's care team.
#[derive(Clone, Debug)]
pub struct NewTeamMember {
    pub agency_id: AgencyId,
    pub role: String,
    pub person: Option<String>,
    pub from: Date,
    pub family_agreed: bool,
}

/// Adds an agency to the child's care team.
pub async fn add_team_member(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    member: &NewTeamMember,
) -> Result<i64> {
    authorize(db, meta, actor, id, Purpose::Write, "care_team.add").await?;
    let mut tx = db.begin().await?;
    let member_id = insert_team_member(&mut tx, id, member, Some(actor)).await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("care_team.add")
            .by(actor)
            .object("child", id)
            .detail(format!("agency={}", member.agency_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(member_id)
}

/// Inside `tx`: for `add_team_member` and the demo.
pub async fn insert_team_member(
    tx: &mut Tx,
    id: ChildId,
    member: &NewTeamMember,
    actor: Option<&Actor>,
) -> Result<i64> {
    let (member_id,): (i64,) = query(
        "INSERT INTO care_team_members (child_id, agency_id, role, person, from_on, created_at, family_agreed) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
    .bind(id.0)
    .bind(member.agency_id)
    .bind(&member.role)
    .bind(member.person.as_deref())
    .bind(member.from)
    .bind(crate::now())
    .bind(member.family_agreed)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("agency_id", "関係機関が見つかりません。"))?;
    let (name,): (String,) = query("SELECT name FROM agencies WHERE id = $1")
        .bind(member.agency_id)
        .fetch_one(&mut *tx)
        .await?;
    add_event(
        tx,
        id,
        "care_team",
        &format!("支援チームに{name}が加わりました"),
        Some(member_id),
        actor,
    )
    .await?;
    Ok(member_id)
}

/// Ends a membership on `to`; the history stays.
pub async fn end_team_member(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    member: i64,
    to: Date,
) -> Result<()> {
    authorize(db, meta, actor, id, Purpose::Write, "care_team.end").await?;
    let mut tx = db.begin().await?;
    let n = query(
        "UPDATE care_team_members SET to_on = $1 WHERE id = $2 AND child_id = $3 AND to_on IS NULL",
    )
    .bind(to)
    .bind(member)
    .bind(id.0)
    .execute(&mut tx)
    .await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    add_event(
        &mut tx,
        id,
        "care_team",
        "支援チームのメンバーが終了しました",
        Some(member),
        Some(actor),
    )
    .await?;
    audit::record(
        &mut tx,
        meta,
        Event::new("care_team.end").by(actor).object("child", id),
    )
    .await?;
    tx.commit().await
}

/// The child's siblings recorded in Tsunagu (for the area's staff).
pub async fn siblings(db: &Db, id: ChildId) -> Result<Vec<(i64, String)>> {
    query(
        "SELECT c.id, c.family_name || ' ' || c.given_name FROM child_siblings s JOIN children c ON c.id = s.sibling_id \
         WHERE s.child_id = $1 AND c.merged_into_id IS NULL ORDER BY c.birth_date",
    )
    .bind(id.0)
    .fetch_all(db)
    .await
}

/// Records that two children are siblings (both ways); the user must be able to change both.
pub async fn link_sibling(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    id: ChildId,
    other: ChildId,
) -> Result<()> {
    if id == other {
        return Err(Error::Invalid {
            field: "sibling_id",
            message: "同じ記録をきょうだいにはできません。",
        });
    }
    authorize(db, meta, actor, id, Purpose::Write, "child.sibling").await?;
    authorize(db, meta, actor, other, Purpose::Write, "child.sibling").await?;
    let mut tx = db.begin().await?;
    for (a, b) in [(id, other), (other, id)] {
        query("INSERT INTO child_siblings (child_id, sibling_id) VALUES ($1, $2) ON CONFLICT (child_id, sibling_id) DO NOTHING")
            .bind(a.0)
            .bind(b.0)
            .execute(&mut tx)
            .await?;
        add_event(
            &mut tx,
            a,
            "record",
            &format!("きょうだい（ID {b}）を記録しました"),
            None,
            Some(actor),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        meta,
        Event::new("child.sibling")
            .by(actor)
            .object("child", id)
            .detail(format!("sibling={other}")),
    )
    .await?;
    tx.commit().await
}
