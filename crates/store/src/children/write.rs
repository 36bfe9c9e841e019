//! Creating and changing a child's record, the duplicate guard, closing and reopening.

use super::*;

/// What a coordinator gives for a child.
#[derive(Clone, Debug, Default)]
pub struct ChildInput {
    pub area_id: AreaId,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth_date: Option<Date>,
    pub sex: String,
    pub municipality_id: Option<MunicipalityId>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub current_agency_id: Option<AgencyId>,
    pub development_notes: Option<String>,
    pub health_notes: Option<String>,
    pub diagnoses: Option<String>,
    pub medical_care: Option<String>,
    pub strengths: Option<String>,
    pub internal_notes: Option<String>,
    pub guardians: Vec<Guardian>,
    pub certificates: Vec<Certificate>,
    pub benefit_certificates: Vec<BenefitCertificate>,
    pub accommodations: Vec<Accommodation>,
}

pub fn search_key(input: &ChildInput) -> String {
    format!(
        "{} {}",
        kana::normalize(&format!("{}{}", input.family_name, input.given_name)),
        kana::normalize(&format!("{}{}", input.family_kana, input.given_kana))
    )
}

/// Children of the user's areas that may be the same child: the same birth date and the same
/// name or reading once normalised.
pub async fn possible_duplicates(
    u: &mut Unit,
    input: &ChildInput,
    except: Option<ChildId>,
) -> Result<Vec<ChildSummary>> {
    let actor = u.actor()?;
    let Some(birth) = input.birth_date else {
        return Ok(vec![]);
    };
    let name_key = kana::person_key(&format!("{}{}", input.family_name, input.given_name));
    let kana_key = kana::person_key(&format!("{}{}", input.family_kana, input.given_kana));
    let candidates: Vec<ChildSummary> = query(format!(
        "SELECT {SUMMARY_COLUMNS} {CHILD_FROM} WHERE c.birth_date = $1 AND c.merged_into_id IS NULL ORDER BY c.id"
    ))
    .bind(birth)
    .fetch_all(&mut *u)
    .await?;
    let found: Vec<ChildSummary> = candidates
        .into_iter()
        .filter(|c| actor.serves_area(AreaId(c.area_id)))
        .filter(|c| except.is_none_or(|e| e.0 != c.id))
        .filter(|c| {
            let n = kana::person_key(&format!("{}{}", c.family_name, c.given_name));
            let k = kana::person_key(&format!("{}{}", c.family_kana, c.given_kana));
            n == name_key
                || (!kana_key.is_empty() && (k == kana_key || n == kana_key))
                || (!k.is_empty() && k == name_key)
        })
        .collect();
    u.audit_shown("child.duplicates", found.iter().map(|c| ChildId(c.id)));
    Ok(found)
}

/// Whether the unit's user may register a child in `area` (a coordinator of it); a refusal is
/// audited. Asked before the form's input is checked.
pub fn may_create(u: &mut Unit, area: AreaId) -> Result<()> {
    let actor = u.actor()?;
    if actor.role == Role::Coordinator && actor.serves_area(area) {
        return Ok(());
    }
    u.audit(
        Event::new("child.create")
            .object_type("child")
            .outcome(Outcome::Denied),
    );
    Err(Error::Forbidden)
}

pub async fn create(u: &mut Unit, input: &ChildInput) -> Result<ChildId> {
    may_create(u, input.area_id)?;
    let actor = u.actor()?;
    let mut w = u.write().await?;
    municipality_in_area(&mut w.tx, input.area_id, input.municipality_id).await?;
    let id = insert(&mut w.tx, input, Some(&actor)).await?;
    w.record(Event::new("child.create").object("child", id))
        .await?;
    w.commit().await?;
    Ok(id)
}

/// Inserts a child with its lists and the first timeline entry, inside `tx`: for `create` and the demo.
pub async fn insert(tx: &mut Tx, input: &ChildInput, actor: Option<&Actor>) -> Result<ChildId> {
    let now = crate::now();
    let (id,): (i64,) = query(
        "INSERT INTO children (area_id, family_name, given_name, family_kana, given_kana, search_key, duplicate_key, birth_date, \
         sex, municipality_id, postal_code, address, current_agency_id, development_notes, health_notes, diagnoses, \
         medical_care, strengths, internal_notes, status, created_by, created_at, updated_at, lead_coordinator_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 'active', $20, $21, $21, $22) RETURNING id",
    )
    .bind(input.area_id)
    .bind(&input.family_name)
    .bind(&input.given_name)
    .bind(&input.family_kana)
    .bind(&input.given_kana)
    .bind(search_key(input))
    .bind(kana::person_key(&format!("{}{}", input.family_kana, input.given_kana)))
    .bind(input.birth_date)
    .bind(&input.sex)
    .bind(input.municipality_id)
    .bind(input.postal_code.as_deref())
    .bind(input.address.as_deref())
    .bind(input.current_agency_id)
    .bind(input.development_notes.as_deref())
    .bind(input.health_notes.as_deref())
    .bind(input.diagnoses.as_deref())
    .bind(input.medical_care.as_deref())
    .bind(input.strengths.as_deref())
    .bind(input.internal_notes.as_deref())
    .bind(actor.map(|a| a.user_id))
    .bind(now)
    // Whoever registers the child carries the case until it is handed over.
    .bind(
        actor
            .filter(|a| a.role == Role::Coordinator)
            .map(|a| a.user_id),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| e.on_foreign_key("municipality_id", "市町村または在籍先が見つかりません。"))?;
    let id = ChildId(id);
    replace_lists(tx, id, input).await?;
    add_event(tx, id, "record", "記録を作成しました", None, actor).await?;
    Ok(id)
}

async fn replace_lists(tx: &mut Tx, id: ChildId, input: &ChildInput) -> Result<()> {
    for table in [
        "guardians",
        "certificates",
        "benefit_certificates",
        "accommodations",
    ] {
        // Table names are constants here, never input.
        query(format!("DELETE FROM {table} WHERE child_id = $1"))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    for (i, g) in input.guardians.iter().enumerate() {
        query(
            "INSERT INTO guardians (child_id, name, kana, relation, phone, email, contact_preference, sort_order) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.0)
        .bind(&g.name)
        .bind(&g.kana)
        .bind(&g.relation)
        .bind(g.phone.as_deref())
        .bind(g.email.as_deref())
        .bind(g.contact_preference.as_deref())
        .bind(i as i64)
        .execute(&mut *tx)
        .await?;
    }
    for c in &input.certificates {
        query("INSERT INTO certificates (child_id, kind, grade, issued_on, renewal_on) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(&c.kind)
            .bind(&c.grade)
            .bind(c.issued_on)
            .bind(c.renewal_on)
            .execute(&mut *tx)
            .await?;
    }
    for b in &input.benefit_certificates {
        query("INSERT INTO benefit_certificates (child_id, service, amount, valid_from, valid_to) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(&b.service)
            .bind(b.amount.as_deref())
            .bind(b.valid_from)
            .bind(b.valid_to)
            .execute(&mut *tx)
            .await?;
    }
    let now = crate::now();
    for a in &input.accommodations {
        query("INSERT INTO accommodations (child_id, text, found_by, found_on, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id.0)
            .bind(&a.text)
            .bind(a.found_by.as_deref())
            .bind(a.found_on)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Changes the record; `access` is the coordinator's, minted for the change.
pub async fn update(u: &mut Unit, access: &ChildAccess, input: &ChildInput) -> Result<()> {
    let id = access.child();
    if input.area_id != access.area() {
        return Err(Error::Invalid {
            field: "area_id",
            message: MOVE_BY_TRANSFER,
        });
    }
    let mut w = access::write(u, access, "child.update").await?;
    let actor = w.actor()?;
    municipality_in_area(&mut w.tx, access.area(), input.municipality_id).await?;
    query(
        "UPDATE children SET family_name = $1, given_name = $2, family_kana = $3, given_kana = $4, search_key = $5, \
         duplicate_key = $6, birth_date = $7, sex = $8, municipality_id = $9, postal_code = $10, address = $11, \
         current_agency_id = $12, development_notes = $13, health_notes = $14, diagnoses = $15, medical_care = $16, \
         strengths = $17, internal_notes = $18, updated_at = $19 WHERE id = $20",
    )
    .bind(&input.family_name)
    .bind(&input.given_name)
    .bind(&input.family_kana)
    .bind(&input.given_kana)
    .bind(search_key(input))
    .bind(kana::person_key(&format!("{}{}", input.family_kana, input.given_kana)))
    .bind(input.birth_date)
    .bind(&input.sex)
    .bind(input.municipality_id)
    .bind(input.postal_code.as_deref())
    .bind(input.address.as_deref())
    .bind(input.current_agency_id)
    .bind(input.development_notes.as_deref())
    .bind(input.health_notes.as_deref())
    .bind(input.diagnoses.as_deref())
    .bind(input.medical_care.as_deref())
    .bind(input.strengths.as_deref())
    .bind(input.internal_notes.as_deref())
    .bind(crate::now())
    .bind(id.0)
    .execute(&mut w.tx)
    .await
    .map_err(|e| e.on_foreign_key("municipality_id", "市町村または在籍先が見つかりません。"))?;
    replace_lists(&mut w.tx, id, input).await?;
    add_event(
        &mut w.tx,
        id,
        "record",
        "記録を更新しました",
        None,
        Some(&actor),
    )
    .await?;
    w.record(Event::new("child.update").object("child", id))
        .await?;
    w.commit().await
}

/// What a change of area or of a municipality outside the area is told: only a transfer moves
/// a child between areas.
pub const MOVE_BY_TRANSFER: &str =
    "他の地域の市町村へは、記録の編集では移せません。「移管」で移る先の地域に引き継いでください。";

/// Refuses a municipality the area does not cover: a child's municipality and area never disagree.
pub(crate) async fn municipality_in_area(
    tx: &mut Tx,
    area: AreaId,
    municipality: Option<MunicipalityId>,
) -> Result<()> {
    let Some(m) = municipality else {
        return Ok(());
    };
    let covered: Option<(i64,)> = query(
        "SELECT municipality_id FROM area_municipalities WHERE area_id = $1 AND municipality_id = $2",
    )
    .bind(area)
    .bind(m)
    .fetch_optional(&mut *tx)
    .await?;
    if covered.is_none() {
        return Err(Error::Invalid {
            field: "municipality_id",
            message: MOVE_BY_TRANSFER,
        });
    }
    Ok(())
}

/// Hands the case to `lead` with `deputy` (担当変更): both must be coordinators serving the
/// child's area. On the timeline with the note, and in the audit log.
pub async fn assign(
    u: &mut Unit,
    access: &ChildAccess,
    lead: UserId,
    deputy: Option<UserId>,
    note: &str,
) -> Result<()> {
    if deputy == Some(lead) {
        return Err(Error::Invalid {
            field: "deputy_coordinator_id",
            message: "副担当には担当と別の人を選んでください。",
        });
    }
    let id = access.child();
    let mut w = access::write(u, access, "child.assign").await?;
    let actor = w.actor()?;
    let serving = crate::staffing::colleagues(&mut w.tx, &[access.area()]).await?;
    let name_of = |user: UserId| {
        serving
            .iter()
            .find(|c| c.user_id == user)
            .map(|c| c.display_name.clone())
    };
    let lead_name = name_of(lead).ok_or(Error::Invalid {
        field: "lead_coordinator_id",
        message: "担当はこの地域のコーディネーターから選んでください。",
    })?;
    let deputy_name = match deputy {
        Some(d) => Some(name_of(d).ok_or(Error::Invalid {
            field: "deputy_coordinator_id",
            message: "副担当はこの地域のコーディネーターから選んでください。",
        })?),
        None => None,
    };
    let (before,): (Option<i64>,) = query("SELECT lead_coordinator_id FROM children WHERE id = $1")
        .bind(id.0)
        .fetch_one(&mut w.tx)
        .await?;
    query("UPDATE children SET lead_coordinator_id = $1, deputy_coordinator_id = $2, updated_at = $3 WHERE id = $4")
        .bind(lead)
        .bind(deputy)
        .bind(crate::now())
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    let deputy_text = deputy_name.map_or_else(|| "なし".to_owned(), |d| format!("{d}さん"));
    let mut summary = if before == Some(lead.0) {
        format!("副担当を変更しました（担当：{lead_name}さん・副担当：{deputy_text}）")
    } else {
        format!("担当を{lead_name}さんに変更しました（副担当：{deputy_text}）")
    };
    let note = note.trim();
    if !note.is_empty() {
        summary.push_str(&format!("：{note}"));
    }
    add_event(&mut w.tx, id, "assignment", &summary, None, Some(&actor)).await?;
    w.record(
        Event::new("child.assign")
            .object("child", id)
            .detail(format!("lead={}", lead.0)),
    )
    .await?;
    w.commit().await
}

/// The action a close or reopen is audited as.
pub fn status_action(closing: bool) -> &'static str {
    if closing {
        "child.close"
    } else {
        "child.reopen"
    }
}

/// Closes (終結) or reopens the case; both are on the timeline and in the audit log. `access`
/// is minted for [`Purpose::ChangeStatus`].
pub async fn set_status(
    u: &mut Unit,
    access: &ChildAccess,
    closed: Option<(Date, String)>,
) -> Result<()> {
    let id = access.child();
    let action = status_action(closed.is_some());
    if access.is_merged() {
        return Err(Error::Invalid {
            field: "status",
            message: "統合済みの記録は終結・再開できません。統合先の記録を開いてください。",
        });
    }
    let mut w = access::write(u, access, action).await?;
    let actor = w.actor()?;
    let (status, on, reason, summary) = match &closed {
        Some((on, reason)) => (
            "closed",
            Some(*on),
            Some(reason.as_str()),
            format!("終結しました（{reason}）"),
        ),
        None => ("active", None, None, "再開しました".to_owned()),
    };
    query("UPDATE children SET status = $1, closed_on = $2, closed_reason = $3, updated_at = $4 WHERE id = $5")
        .bind(status)
        .bind(on)
        .bind(reason)
        .bind(crate::now())
        .bind(id.0)
        .execute(&mut w.tx)
        .await?;
    add_event(&mut w.tx, id, "status", &summary, None, Some(&actor)).await?;
    w.record(Event::new(action).object("child", id)).await?;
    w.commit().await
}
