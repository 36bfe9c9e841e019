//! The area's network picture on the web: agencies on a circle grouped and coloured by sector,
//! links as lines as thick as the children and referrals behind them, drawn as SVG on the server
//! (no script, prints as it shows); the same data as tables; and the API.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
    Json,
};
use serde::Deserialize;
use time::{Date, Month};
use tsunagu_domain::{directory::Sector, japanese_date, validation::Errors, AreaId, Role};
use tsunagu_store::{
    areas,
    network::{self, NetworkView},
};

use crate::{
    agencies::parse_date, auth::Auth, extract::Query, layout::Layout, routing::Router, unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/network", get(page))
        .route("/api/v1/areas/{id}/network", get(api_network))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct PeriodQuery {
    pub area: String,
    /// YYYY-MM-DD; the default is a year back from today.
    pub from: String,
    /// YYYY-MM-DD; the default is today.
    pub until: String,
}

fn today() -> Date {
    japanese_date::today(time::OffsetDateTime::now_utc())
}

/// April 1 of the fiscal year (年度) `d` falls in.
fn fiscal_year_start(d: Date) -> Date {
    let year = if d.month() >= Month::April {
        d.year()
    } else {
        d.year() - 1
    };
    Date::from_calendar_date(year, Month::April, 1).unwrap_or(d)
}

/// The twelve months up to `today`.
pub fn last_year(today: Date) -> (Date, Date) {
    let from = today
        .replace_year(today.year() - 1)
        .unwrap_or(today - time::Duration::days(366))
        .next_day()
        .unwrap_or(today);
    (from, today)
}

/// The period asked for, or the year up to today; problems are named by field.
fn period(q: &PeriodQuery, e: &mut Errors) -> (Date, Date) {
    let (default_from, default_until) = last_year(today());
    let from = parse_date(e, "from", "期間の始め", &q.from).unwrap_or(default_from);
    let until = parse_date(e, "until", "期間の終わり", &q.until).unwrap_or(default_until);
    if from > until {
        e.add("until", "期間の終わりは始めより後の日にしてください。");
    }
    (from, until)
}

/// Drawing sizes, in SVG user units.
const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 760.0;
const RADIUS: f64 = 270.0;

pub struct SvgNode {
    pub id: i64,
    pub x: f64,
    pub y: f64,
    pub r: f64,
    pub sector: String,
    pub school: bool,
    pub label: String,
    pub lx: f64,
    pub ly: f64,
    pub anchor: &'static str,
    pub title: String,
}

pub struct SvgLink {
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    pub width: f64,
    pub with_referrals: bool,
    pub title: String,
}

/// Short enough for a label beside a node; the full name is in the tooltip and the tables.
fn short(name: &str) -> String {
    const MAX: usize = 14;
    if name.chars().count() > MAX {
        format!("{}…", name.chars().take(MAX - 1).collect::<String>())
    } else {
        name.to_owned()
    }
}

/// Places the linked agencies on a circle in sector order; isolated ones are listed apart so a
/// large directory does not drown the picture.
pub fn layout(v: &NetworkView) -> (Vec<SvgNode>, Vec<SvgLink>) {
    let placed: Vec<&network::NodeView> = v.nodes.iter().filter(|n| n.degree > 0).collect();
    let count = placed.len().max(1) as f64;
    let (cx, cy) = (WIDTH / 2.0, HEIGHT / 2.0);
    let nodes: Vec<SvgNode> = placed
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let angle = std::f64::consts::TAU * i as f64 / count - std::f64::consts::FRAC_PI_2;
            let (cos, sin) = (angle.cos(), angle.sin());
            let r = (5.0 + 2.5 * (n.children as f64).sqrt()).min(18.0);
            let label_at = RADIUS + r + 8.0;
            SvgNode {
                id: n.agency_id,
                x: round(cx + RADIUS * cos),
                y: round(cy + RADIUS * sin),
                r: round(r),
                sector: n.sector.clone(),
                school: n.school,
                label: short(&n.name),
                lx: round(cx + label_at * cos),
                ly: round(cy + label_at * sin + 4.0),
                anchor: if cos > 0.15 {
                    "start"
                } else if cos < -0.15 {
                    "end"
                } else {
                    "middle"
                },
                title: format!(
                    "{}（{}）：関わった子ども{}人・つながり{}",
                    n.name, n.sector_label, n.children, n.degree
                ),
            }
        })
        .collect();
    let at = |id: i64| nodes.iter().find(|n| n.id == id).map(|n| (n.x, n.y));
    let links = v
        .links
        .iter()
        .filter_map(|l| {
            let ((x1, y1), (x2, y2)) = (at(l.a)?, at(l.b)?);
            Some(SvgLink {
                x1,
                y1,
                x2,
                y2,
                width: round((1.0 + 1.5 * (l.weight as f64).sqrt()).min(10.0)),
                with_referrals: l.referrals > 0,
                title: format!(
                    "{} — {}：共有する子ども{}人・つなぎ{}件",
                    l.a_name, l.b_name, l.shared_children, l.referrals
                ),
            })
        })
        .collect();
    (nodes, links)
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[derive(Template)]
#[template(path = "network.html")]
struct NetworkPage {
    layout: Layout,
    areas: Vec<(i64, String)>,
    area_id: i64,
    q: PeriodQuery,
    errors: Errors,
    v: Option<NetworkView>,
    svg_nodes: Vec<SvgNode>,
    svg_links: Vec<SvgLink>,
    sectors: Vec<(&'static str, &'static str)>,
    /// Links for the period presets: this fiscal year, and the last twelve months.
    this_year: String,
    last_twelve: String,
    from_label: String,
    until_label: String,
}

impl NetworkPage {
    fn isolated(&self) -> Vec<&network::NodeView> {
        self.v.as_ref().map_or(vec![], |v| {
            v.nodes.iter().filter(|n| n.degree == 0).collect()
        })
    }
}

async fn page(
    auth: Auth,
    mut u: Unit,
    Query(mut q): Query<PeriodQuery>,
) -> Result<Response, AppError> {
    if !matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(AppError::Forbidden);
    }
    let mine: Vec<(i64, String)> = areas::all_areas(&mut *u)
        .await?
        .into_iter()
        .filter(|a| auth.actor.serves_area(a.id))
        .map(|a| (a.id.0, a.name))
        .collect();
    let area_id = match q.area.trim().parse::<i64>() {
        Ok(id) => id,
        Err(_) => mine.first().map_or(0, |a| a.0),
    };
    q.area = area_id.to_string();
    let mut errors = Errors::new();
    let (from, until) = period(&q, &mut errors);
    let v = if errors.is_empty() && area_id != 0 {
        Some(network::of_area(&mut u, AreaId(area_id), from, until).await?)
    } else {
        None
    };
    let (svg_nodes, svg_links) = v.as_ref().map(layout).unwrap_or_default();
    let t = today();
    let (twelve_from, _) = last_year(t);
    let page = NetworkPage {
        layout: Layout::page(&auth, "関係機関のネットワーク", "/network"),
        this_year: format!(
            "/network?area={area_id}&from={}&until={t}",
            fiscal_year_start(t)
        ),
        last_twelve: format!("/network?area={area_id}&from={twelve_from}&until={t}"),
        from_label: japanese_date::format_date(from),
        until_label: japanese_date::format_date(until),
        areas: mine,
        area_id,
        q: PeriodQuery {
            from: if q.from.trim().is_empty() {
                from.to_string()
            } else {
                q.from.clone()
            },
            until: if q.until.trim().is_empty() {
                until.to_string()
            } else {
                q.until.clone()
            },
            ..q
        },
        errors,
        v,
        svg_nodes,
        svg_links,
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label())).collect(),
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApiPeriod {
    from: String,
    until: String,
}

/// The area's network in a period (default: the twelve months up to today): agencies with
/// their sectors and counts, links weighted by shared children and referrals, isolated agencies
/// and sectors with no link to a child's nursery or school. For the area's coordinators and
/// supervisors.
#[utoipa::path(get, path = "/api/v1/areas/{id}/network", tag = "network",
    params(("id" = i64, Path), ("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("until" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses((status = 200, body = NetworkView), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_network(
    _auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<ApiPeriod>,
) -> Result<Json<NetworkView>, AppError> {
    let mut e = Errors::new();
    let (from, until) = period(
        &PeriodQuery {
            area: String::new(),
            from: q.from,
            until: q.until,
        },
        &mut e,
    );
    e.into_result().map_err(AppError::Validation)?;
    Ok(Json(
        network::of_area(&mut u, AreaId(id), from, until).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fiscal_year_starts_on_april_first() {
        let d = |y, m, day| Date::from_calendar_date(y, m, day).unwrap();
        assert_eq!(
            fiscal_year_start(d(2026, Month::March, 31)),
            d(2025, Month::April, 1)
        );
        assert_eq!(
            fiscal_year_start(d(2026, Month::April, 1)),
            d(2026, Month::April, 1)
        );
        assert_eq!(
            last_year(d(2026, Month::November, 25)),
            (d(2025, Month::November, 26), d(2026, Month::November, 25))
        );
        // A leap day has no twin a year back.
        assert_eq!(
            last_year(d(2028, Month::February, 29)).0,
            d(2027, Month::March, 1)
        );
    }
}
