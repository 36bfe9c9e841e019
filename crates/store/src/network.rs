//! The facts behind the area's network picture: which agencies stand in or serve the area, and
//! who worked with which of the area's children in a period (care team, the child's nursery or
//! school, referrals). Counts only leave this module — never a child. For the area's staff.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use time::{Date, OffsetDateTime, Time};
use tsunagu_domain::{
    directory::Sector,
    japanese_date::JST,
    network::{self, Involvement},
    AgencyId, AreaId, Role,
};

use crate::{
    audit::{Event, Outcome},
    db::{id_list, query},
    Error, Result, Unit,
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NodeView {
    pub agency_id: i64,
    pub name: String,
    pub kind: Option<String>,
    /// health, medical, welfare, education, administration, employment or other
    pub sector: String,
    pub sector_label: String,
    /// Children it worked with in the period.
    pub children: usize,
    pub degree: usize,
    /// Some child's nursery or school now.
    pub school: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LinkView {
    pub a: i64,
    pub b: i64,
    pub a_name: String,
    pub b_name: String,
    pub shared_children: usize,
    pub referrals: usize,
    pub weight: usize,
}

/// The picture of one area in one period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkView {
    pub area_id: i64,
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub until: Date,
    pub nodes: Vec<NodeView>,
    pub links: Vec<LinkView>,
    /// Agencies with no link in the period.
    pub isolated: Vec<i64>,
    /// Sectors (labels) with agencies but no link to any child's nursery or school.
    pub unlinked_sectors: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct AgencyRow {
    id: i64,
    name: String,
    kind: Option<String>,
    sector: Option<String>,
}

/// Midnight in Japan at the start of `d`, as a stored timestamp.
fn start_of(d: Date) -> OffsetDateTime {
    crate::db::normalize_timestamp(OffsetDateTime::new_in_offset(d, Time::MIDNIGHT, JST))
}

/// Who worked with which child of `areas` between `from` and `until` (both days included): care
/// team memberships overlapping the period, the child's nursery or school now, and referrals sent
/// in the period that were not declined or cancelled. `only` narrows to the children one agency
/// worked with.
async fn involvements(
    u: &mut Unit,
    areas: &str,
    only: Option<AgencyId>,
    from: Date,
    until: Date,
) -> Result<(Vec<Involvement>, Vec<Involvement>, Vec<AgencyId>)> {
    let after = start_of(until.next_day().unwrap_or(until));
    let team_sql = format!(
        "SELECT t.child_id, t.agency_id FROM care_team_members t JOIN children c ON c.id = t.child_id \
         WHERE c.area_id IN ({areas}) AND t.from_on <= $1 AND (t.to_on IS NULL OR t.to_on > $2)"
    );
    let school_sql = format!(
        "SELECT c.id, c.current_agency_id FROM children c \
         WHERE c.area_id IN ({areas}) AND c.status = 'active' AND c.current_agency_id IS NOT NULL"
    );
    let referral_sql = format!(
        "SELECT r.child_id, r.agency_id FROM referrals r JOIN children c ON c.id = r.child_id \
         WHERE c.area_id IN ({areas}) AND r.created_at >= $1 AND r.created_at < $2 \
         AND r.state IN ('open', 'accepted', 'completed')"
    );
    let mut team: Vec<(i64, i64)> = query(team_sql)
        .bind(until)
        .bind(from)
        .fetch_all(&mut *u)
        .await?;
    let schools: Vec<(i64, i64)> = query(school_sql).fetch_all(&mut *u).await?;
    let mut referrals: Vec<(i64, i64)> = query(referral_sql)
        .bind(start_of(from))
        .bind(after)
        .fetch_all(&mut *u)
        .await?;
    let school_ids: Vec<AgencyId> = schools.iter().map(|(_, a)| AgencyId(*a)).collect();
    team.extend(schools);
    if let Some(agency) = only {
        let mine: std::collections::BTreeSet<i64> = team
            .iter()
            .chain(&referrals)
            .filter(|(_, a)| *a == agency.0)
            .map(|(c, _)| *c)
            .collect();
        team.retain(|(c, _)| mine.contains(c));
        referrals.retain(|(c, _)| mine.contains(c));
    }
    let to = |rows: Vec<(i64, i64)>| -> Vec<Involvement> {
        let mut v: Vec<Involvement> = rows
            .into_iter()
            .map(|(child, a)| Involvement {
                child,
                agency: AgencyId(a),
            })
            .collect();
        v.sort();
        v
    };
    let mut team = to(team);
    team.dedup();
    Ok((team, to(referrals), school_ids))
}

/// The agencies standing in or serving the area, and any others named in `extra`.
async fn agencies(u: &mut Unit, area: AreaId, extra: &[i64]) -> Result<Vec<AgencyRow>> {
    query(format!(
        "SELECT a.id, a.name, k.name AS kind, k.sector FROM agencies a LEFT JOIN agency_kinds k ON k.id = a.kind_id \
         WHERE (a.active = $1 AND (a.municipality_id IN (SELECT am.municipality_id FROM area_municipalities am WHERE am.area_id = $2) \
            OR EXISTS (SELECT 1 FROM agency_served_areas sa WHERE sa.agency_id = a.id AND sa.area_id = $2))) \
         OR a.id IN ({}) ORDER BY a.id",
        id_list(extra.iter().copied())
    ))
    .bind(true)
    .bind(area)
    .fetch_all(u)
    .await
}

fn sector_of(row: &AgencyRow) -> Sector {
    row.sector
        .as_deref()
        .and_then(Sector::from_code)
        .unwrap_or(Sector::Other)
}

fn name_of(rows: &HashMap<i64, &AgencyRow>, id: AgencyId) -> String {
    rows.get(&id.0)
        .map_or_else(|| format!("機関 {id}"), |r| r.name.clone())
}

fn link_views(rows: &HashMap<i64, &AgencyRow>, links: &[network::Link]) -> Vec<LinkView> {
    links
        .iter()
        .map(|l| LinkView {
            a: l.a.0,
            b: l.b.0,
            a_name: name_of(rows, l.a),
            b_name: name_of(rows, l.b),
            shared_children: l.shared_children,
            referrals: l.referrals,
            weight: l.weight(),
        })
        .collect()
}

fn view(
    area: AreaId,
    from: Date,
    until: Date,
    rows: &[AgencyRow],
    n: network::Network,
) -> NetworkView {
    let by_id: HashMap<i64, &AgencyRow> = rows.iter().map(|r| (r.id, r)).collect();
    let name = |id: AgencyId| name_of(&by_id, id);
    NetworkView {
        area_id: area.0,
        from,
        until,
        nodes: n
            .nodes
            .iter()
            .map(|x| NodeView {
                agency_id: x.agency.0,
                name: name(x.agency),
                kind: by_id.get(&x.agency.0).and_then(|r| r.kind.clone()),
                sector: x.sector.code().to_owned(),
                sector_label: x.sector.label().to_owned(),
                children: x.children,
                degree: x.degree,
                school: x.school,
            })
            .collect(),
        links: link_views(&by_id, &n.links),
        isolated: n.isolated.iter().map(|a| a.0).collect(),
        unlinked_sectors: n
            .unlinked_sectors
            .iter()
            .map(|s| s.label().to_owned())
            .collect(),
    }
}

/// The area's network picture between `from` and `until`: for its coordinators and supervisors.
pub async fn of_area(u: &mut Unit, area: AreaId, from: Date, until: Date) -> Result<NetworkView> {
    let actor = u.actor()?;
    let staff = matches!(actor.role, Role::Coordinator | Role::Supervisor);
    if !staff || !actor.serves_area(area) {
        u.audit(
            Event::new("network.read")
                .object("area", area.0)
                .outcome(Outcome::Denied),
        );
        return Err(if staff {
            Error::NotFound
        } else {
            Error::Forbidden
        });
    }
    let (team, referrals, schools) = involvements(u, &id_list([area.0]), None, from, until).await?;
    let involved: Vec<i64> = team.iter().chain(&referrals).map(|i| i.agency.0).collect();
    let rows = agencies(u, area, &involved).await?;
    let sectors: Vec<(AgencyId, Sector)> = rows
        .iter()
        .map(|r| (AgencyId(r.id), sector_of(r)))
        .collect();
    let n = network::build(&sectors, &team, &referrals, &schools);
    u.audit(
        Event::new("network.read")
            .object("area", area.0)
            .detail(format!("{from}..{until}")),
    );
    Ok(view(area, from, until, &rows, n))
}

/// The links of one agency through the children of the caller's areas, heaviest first; empty for
/// anyone but the area's staff (the links count children).
pub async fn links_of_agency(
    u: &mut Unit,
    agency: AgencyId,
    from: Date,
    until: Date,
) -> Result<Vec<LinkView>> {
    let actor = u.actor()?;
    if !matches!(actor.role, Role::Coordinator | Role::Supervisor) || actor.area_ids.is_empty() {
        return Ok(vec![]);
    }
    let areas = id_list(actor.area_ids.iter().map(|a| a.0));
    let (team, referrals, schools) = involvements(u, &areas, Some(agency), from, until).await?;
    let ids: Vec<i64> = team.iter().chain(&referrals).map(|i| i.agency.0).collect();
    let rows: Vec<AgencyRow> = query(format!(
        "SELECT a.id, a.name, k.name AS kind, k.sector FROM agencies a LEFT JOIN agency_kinds k ON k.id = a.kind_id WHERE a.id IN ({})",
        id_list(ids)
    ))
    .fetch_all(&mut *u)
    .await?;
    let sectors: BTreeMap<AgencyId, Sector> = rows
        .iter()
        .map(|r| (AgencyId(r.id), sector_of(r)))
        .collect();
    let sectors: Vec<(AgencyId, Sector)> = sectors.into_iter().collect();
    let n = network::build(&sectors, &team, &referrals, &schools);
    let by_id: HashMap<i64, &AgencyRow> = rows.iter().map(|r| (r.id, r)).collect();
    let mine: Vec<network::Link> = n
        .links
        .into_iter()
        .filter(|l| l.a == agency || l.b == agency)
        .collect();
    Ok(link_views(&by_id, &mine))
}
