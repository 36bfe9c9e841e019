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

/// Children the unit's user may see whose name or reading contains `q` (or born on the date it is): those of their areas
/// for coordinators and supervisors, those the consent rule shares with their agency for agency
/// staff (one condition: [`access::visible`]), none for anyone else. The search is audited
/// (without the text searched, which may be a name), naming the children shown.
pub async fn search(
    u: &mut Unit,
    q: Option<&str>,
    include_closed: bool,
    paging: Paging,
) -> Result<Page<ChildSummary>> {
    let actor = u.actor()?;
    let areas = match actor.role {
        Role::Coordinator | Role::Supervisor => actor.area_ids.len(),
        // An agency's children are few: the index of names is never the way in.
        _ => 0,
    };
    let (name_condition, name_value) = name_condition(u.backend(), q, areas);
    let filter = format!(
        "WHERE {} AND c.merged_into_id IS NULL AND {name_condition} AND ($2 IS NULL OR c.status = $2)",
        access::visible(&actor, access::today())
    );
    let status = (!include_closed).then_some("active");
    let (total,): (i64,) = query(format!("SELECT COUNT(*) FROM children c {filter}"))
        .bind(name_value.as_deref())
        .bind(status)
        .fetch_one(&mut *u)
        .await?;
    let items: Vec<ChildSummary> = query(format!(
        "SELECT {SUMMARY_COLUMNS} {CHILD_FROM} {filter} ORDER BY c.family_kana, c.given_kana, c.id LIMIT $3 OFFSET $4"
    ))
    .bind(name_value.as_deref())
    .bind(status)
    .bind(paging.limit)
    .bind(paging.offset)
    .fetch_all(&mut *u)
    .await?;
    u.audit_shown("child.search", items.iter().map(|c| ChildId(c.id)));
    Ok(Page { items, total })
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
    // A birth date typed in the search box (2024-05-01, 2024年5月1日) finds the children born then.
    if let Some(born) = q.and_then(tsunagu_domain::japanese_date::parse_typed) {
        let condition = match backend {
            crate::Backend::Sqlite => "c.birth_date = $1",
            crate::Backend::Postgres => "c.birth_date = CAST($1 AS DATE)",
        };
        return (condition, Some(born.to_string()));
    }
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
