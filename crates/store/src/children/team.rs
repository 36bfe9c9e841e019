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
    u: &mut Unit,
    access: &ChildAccess,
    member: &NewTeamMember,
) -> Result<i64> {
    let id = access.child();
    let mut w = access::write(u, access, "care_team.add").await?;
    let actor = w.actor()?;
    let member_id = insert_team_member(&mut w.tx, id, member, Some(&actor)).await?;
    w.record(
        Event::new("care_team.add")
            .object("child", id)
            .detail(format!("agency={}", member.agency_id)),
    )
    .await?;
    w.commit().await?;
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
    u: &mut Unit,
    access: &ChildAccess,
    member: i64,
    to: Date,
) -> Result<()> {
    let id = access.child();
    let mut w = access::write(u, access, "care_team.end").await?;
    let actor = w.actor()?;
    let n = query(
        "UPDATE care_team_members SET to_on = $1 WHERE id = $2 AND child_id = $3 AND to_on IS NULL",
    )
    .bind(to)
    .bind(member)
    .bind(id.0)
    .execute(&mut w.tx)
    .await?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    add_event(
        &mut w.tx,
        id,
        "care_team",
        "支援チームのメンバーが終了しました",
        Some(member),
        Some(&actor),
    )
    .await?;
    w.record(Event::new("care_team.end").object("child", id))
        .await?;
    w.commit().await
}

/// The child's siblings recorded in Tsunagu that the user may see too (a sibling in another
/// area stays unnamed to this area's staff): for the area's staff.
pub async fn siblings(u: &mut Unit, access: &ChildAccess) -> Result<Vec<(i64, String)>> {
    if !access.sees_everything() {
        return Ok(vec![]);
    }
    let actor = u.actor()?;
    let found: Vec<(i64, String)> = query(format!(
        "SELECT c.id, c.family_name || ' ' || c.given_name FROM child_siblings s JOIN children c ON c.id = s.sibling_id \
         WHERE s.child_id = $1 AND c.merged_into_id IS NULL AND {} ORDER BY c.birth_date",
        access::visible(&actor, access::today())
    ))
    .bind(access.child().0)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("child.siblings", found.iter().map(|(id, _)| ChildId(*id)));
    Ok(found)
}

/// Records that two children are siblings (both ways); the user must be able to change both,
/// each `access` minted for the change.
pub async fn link_sibling(u: &mut Unit, one: &ChildAccess, other: &ChildAccess) -> Result<()> {
    let (id, other_id) = (one.child(), other.child());
    if id == other_id {
        return Err(Error::Invalid {
            field: "sibling_id",
            message: "同じ記録をきょうだいにはできません。",
        });
    }
    let mut w = access::write(u, one, "child.sibling").await?;
    access::also(&mut w, other, "child.sibling").await?;
    let actor = w.actor()?;
    for (a, b) in [(id, other_id), (other_id, id)] {
        query("INSERT INTO child_siblings (child_id, sibling_id) VALUES ($1, $2) ON CONFLICT (child_id, sibling_id) DO NOTHING")
            .bind(a.0)
            .bind(b.0)
            .execute(&mut w.tx)
            .await?;
        add_event(
            &mut w.tx,
            a,
            "record",
            &format!("きょうだい（ID {b}）を記録しました"),
            None,
            Some(&actor),
        )
        .await?;
    }
    w.record(
        Event::new("child.sibling")
            .object("child", id)
            .detail(format!("sibling={other_id}")),
    )
    .await?;
    w.commit().await
}
