//! Finding children: by name for the area's staff, and exactly the shared ones for an agency.

use super::*;

/// A line of a list of children.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ChildSummary {
    pub id: i64,
    pub area_id: i64,
    pub area_name: String,
    pub family_name: String,
    pub given_name: String,
    pub family_kana: String,
    pub given_kana: String,
    #[schema(value_type = String, format = Date)]
    pub birth_date: Date,
    pub status: String,
    pub current_agency_name: Option<String>,
}

pub(super) const SUMMARY_COLUMNS: &str =
    "c.id, c.area_id, ar.name AS area_name, c.family_name, c.given_name, c.family_kana, \
    c.given_kana, c.birth_date, c.status, ag.name AS current_agency_name";

/// Children the user may see whose name or reading contains `q`: those of their areas for
/// coordinators and supervisors, those shared with them for agency staff, none for anyone else.
/// The search is audited (without the text searched, which may be a name).
pub async fn search(
    db: &Db,
    meta: &RequestMeta,
    actor: &Actor,
    q: Option<&str>,
    include_closed: bool,
    paging: Paging,
) -> Result<Page<ChildSummary>> {
    let page = match actor.role {
        Role::Coordinator | Role::Supervisor => {
            // Area ids are integers from the user's own record, never input.
            let areas = if actor.area_ids.is_empty() {
                "0".to_owned()
            } else {
                actor
                    .area_ids
                    .iter()
                    .map(|a| a.0.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            let (name_condition, name_value) =
                name_condition(db.backend(), q, actor.area_ids.len());
            let filter = format!(
                "WHERE c.area_id IN ({areas}) AND c.merged_into_id IS NULL AND {name_condition} AND ($2 IS NULL OR c.status = $2)"
            );
            let status = (!include_closed).then_some("active");
            let (total,): (i64,) = query(format!("SELECT COUNT(*) FROM children c {filter}"))
                .bind(name_value.as_deref())
                .bind(status)
                .fetch_one(db)
                .await?;
            let items = query(format!(
                "SELECT {SUMMARY_COLUMNS} {CHILD_FROM} {filter} ORDER BY c.family_kana, c.given_kana, c.id LIMIT $3 OFFSET $4"
            ))
            .bind(name_value.as_deref())
            .bind(status)
            .bind(paging.limit)
            .bind(paging.offset)
            .fetch_all(db)
            .await?;
            Page { items, total }
        }
        Role::AgencyStaff => {
            let all = shared_with_agency(db, actor).await?;
            let key = q.map(kana::normalize).filter(|k| !k.is_empty());
            let matching: Vec<ChildSummary> = all
                .into_iter()
                .filter(|c| {
                    key.as_ref().is_none_or(|k| {
                        kana::normalize(&format!(
                            "{}{} {}{}",
                            c.family_name, c.given_name, c.family_kana, c.given_kana
                        ))
                        .contains(k.as_str())
                    })
                })
                .collect();
            let total = matching.len() as i64;
            let items = matching
                .into_iter()
                .skip(paging.offset as usize)
                .take(paging.limit as usize)
                .collect();
            Page { items, total }
        }
        _ => Page {
            items: vec![],
            total: 0,
        },
    };
    audit::record_alone(
        db,
        meta,
        Event::new("child.search")
            .by(actor)
            .object_type("child")
            .detail(format!("results={}", page.total)),
    )
    .await?;
    Ok(page)
}

/// A search over at most this many areas reads their search keys from the (area, status,
/// search key) index; over more, SQLite's trigram table answers first.
const AREAS_SCANNED: usize = 4;

/// The name condition of a search (on `$1`) and its value. Within a few areas LIKE runs over
/// the areas' entries of a covering index: a common reading's trigram hits span the whole
/// prefecture and cost more to look up than that (docs/performance.md). Three characters or
/// more over many areas use the trigram index: SQLite's FTS5 table, by a quoted phrase;
/// PostgreSQL's GIN index, which serves LIKE itself and which its planner weighs on its own.
fn name_condition(
    backend: crate::Backend,
    q: Option<&str>,
    areas: usize,
) -> (&'static str, Option<String>) {
    let Some(key) = q.map(kana::normalize).filter(|k| !k.is_empty()) else {
        return ("($1 IS NULL OR $1 IS NOT NULL)", None);
    };
    match backend {
        crate::Backend::Sqlite if key.chars().count() >= 3 && areas > AREAS_SCANNED => (
            "c.id IN (SELECT rowid FROM children_name_fts WHERE children_name_fts MATCH $1)",
            Some(format!("\"{}\"", key.replace('"', "\"\""))),
        ),
        _ => (
            "c.search_key LIKE $1 ESCAPE '\\'",
            Some(contains_pattern(&key)),
        ),
    }
}

/// Exactly the children an agency user may see today (their "my children" page).
async fn shared_with_agency(db: &Db, actor: &Actor) -> Result<Vec<ChildSummary>> {
    let Some(agency) = actor.agency_id else {
        return Ok(vec![]);
    };
    // Candidates: children the agency is involved with now (care team, live referral); the rule decides.
    let candidates: Vec<ChildSummary> = query(format!(
        "SELECT {SUMMARY_COLUMNS} {CHILD_FROM} WHERE c.merged_into_id IS NULL AND c.id IN ( \
         SELECT t.child_id FROM care_team_members t WHERE t.agency_id = $1 AND t.from_on <= $2 AND (t.to_on IS NULL OR t.to_on > $2) \
         UNION SELECT r.child_id FROM referrals r WHERE r.agency_id = $1 AND r.state IN ('open', 'accepted') \
         UNION SELECT m.child_id FROM meetings m JOIN meeting_participants p ON p.meeting_id = m.id WHERE p.agency_id = $1 AND m.status = 'scheduled') \
         ORDER BY c.family_kana, c.given_kana, c.id"
    ))
    .bind(agency)
    .bind(today())
    .fetch_all(db)
    .await?;
    // Every candidate is on the team now; the grants decide, by the same rule, in a few queries.
    let ids: Vec<ChildId> = candidates.iter().map(|c| ChildId(c.id)).collect();
    let mut grants = grants_of(db, &ids).await?;
    let agency_kind = agency_kind(db, agency).await?;
    Ok(candidates
        .into_iter()
        .filter(|c| {
            let facts = ChildFacts {
                area: Some(AreaId(c.area_id)),
                closed: c.status == "closed",
                grants: grants.remove(&c.id).unwrap_or_default(),
                agency_kind,
                agency_involved: true,
            };
            child_access(actor, &facts, today(), Purpose::Read).is_ok()
        })
        .collect())
}
