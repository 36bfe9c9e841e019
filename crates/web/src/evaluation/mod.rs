//! The evaluation (検証) on the web: a fiscal year's tables for an area, a region or the whole
//! prefecture, each with its chart and last year beside it; exports as xlsx and CSV; the same as
//! JSON. The committee sees every scope with small counts hidden; coordinators and supervisors
//! see exact figures for their own areas only; agency staff see none.

mod chart;

use askama::Template;
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue},
    response::{Html, IntoResponse, Response},
    routing::get,
    Json,
};
use serde::{Deserialize, Serialize};
use tsunagu_documents::xlsx::{Sheet, XCell};
use tsunagu_domain::{
    evaluation::{may_show_derived, Cell, Suppressed, Table},
    school_year, AreaId, RegionId, Role,
};
use tsunagu_store::{
    areas,
    audit::{self, Event},
    evaluation::{self, Scope},
};

use crate::{
    auth::{Auth, Meta},
    extract::Query,
    layout::Layout,
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/evaluation", get(page))
        .route("/evaluation/export.xlsx", get(export_xlsx))
        .route("/evaluation/export.csv", get(export_csv))
        .route("/api/v1/evaluation", get(api))
}

#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[serde(default)]
pub struct EvaluationQuery {
    /// 年度 (default: the current one).
    pub fiscal_year: String,
    /// An area id; or
    pub area: String,
    /// a region id; neither: the whole prefecture (committee only).
    pub region: String,
}

/// What the user asked for and may see.
struct Resolved {
    fiscal_year: i32,
    scope: Scope,
    scope_name: String,
    /// The areas' tree the figures are counted over: the whole prefecture for the committee
    /// (hidden cells are chosen across every scope at once), one area for its own staff.
    tree: evaluation::AreaTree,
    place: usize,
    /// Small counts hidden (the committee, administrators).
    suppressed: bool,
}

async fn resolve(state: &AppState, auth: &Auth, q: &EvaluationQuery) -> Result<Resolved, AppError> {
    let actor = &auth.actor;
    let suppressed = match actor.role {
        Role::Committee | Role::Admin => true,
        Role::Coordinator | Role::Supervisor => false,
        Role::AgencyStaff => return Err(AppError::Forbidden),
    };
    let this_year = school_year::fiscal_year(tsunagu_store::children::today_in_japan());
    let fiscal_year = match q.fiscal_year.trim() {
        "" => this_year,
        s => s
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=this_year).contains(y))
            .ok_or_else(|| {
                AppError::invalid(
                    "fiscal_year",
                    "年度は 2026 のように、今年度までの数字で指定してください。",
                )
            })?,
    };
    let all_areas = areas::all_areas(&state.db).await?;
    let area = q.area.trim().parse::<i64>().ok();
    let region = q.region.trim().parse::<i64>().ok();
    let scope = match (area, region) {
        (Some(a), _) => Scope::Area(AreaId(a)),
        (None, Some(r)) => Scope::Region(RegionId(r)),
        (None, None) if suppressed => Scope::Prefecture,
        // The area staff's default: their first area.
        (None, None) => Scope::Area(*actor.area_ids.first().ok_or(AppError::Forbidden)?),
    };
    // Exact figures stop at the user's own areas.
    let tree = if suppressed {
        evaluation::area_tree(&state.db).await?
    } else {
        match scope {
            Scope::Area(a) if actor.serves_area(a) => evaluation::AreaTree::single(a),
            _ => return Err(AppError::Forbidden),
        }
    };
    let place = tree.place(scope).ok_or(AppError::NotFound)?;
    let scope_name = match scope {
        Scope::Prefecture => "千葉県全体".to_string(),
        Scope::Area(a) => all_areas
            .iter()
            .find(|x| x.id == a)
            .map(|x| x.name.clone())
            .ok_or(AppError::NotFound)?,
        Scope::Region(r) => areas::regions(&state.db)
            .await?
            .into_iter()
            .find(|x| x.id == r)
            .map(|x| format!("{}（圏域）", x.name))
            .ok_or(AppError::NotFound)?,
    };
    Ok(Resolved {
        fiscal_year,
        scope,
        scope_name,
        tree,
        place,
        suppressed,
    })
}

/// The tables of what was asked, and when their counts were made.
async fn tables(
    state: &AppState,
    r: &Resolved,
) -> Result<(Vec<Table>, time::OffsetDateTime), AppError> {
    let year = Year::counted(state, &r.tree, r.fiscal_year, r.suppressed).await?;
    Ok((
        year.tables_at(state, &r.tree, r.place).await?,
        year.counted_at,
    ))
}

/// A fiscal year's families as a reader may see them: hidden cells chosen once for the whole
/// tree, then laid out for any place of it.
pub(crate) struct Year {
    figures: evaluation::Figures,
    hidden: Option<Vec<Suppressed>>,
    /// When it was counted (shown under the committee's figures, which are kept a while).
    pub(crate) counted_at: time::OffsetDateTime,
    /// The amounts of each place asked, for a year kept in the cache.
    amounts: std::sync::Mutex<std::collections::HashMap<usize, Vec<Table>>>,
    /// A newer count is on its way.
    refreshing: std::sync::atomic::AtomicBool,
}

/// The committee's figures of recent fiscal years over the whole prefecture, with their hidden
/// cells: the committee moves between scopes and years, and every scope is a view of the same
/// counts, which take more than a second on a prefecture. A year counted more than
/// [`KEPT_FOR`] ago (and less than [`SHOWN_UP_TO`]) is still shown while a new count is made
/// beside it; this year and the last are counted at start (`count_ahead`).
#[derive(Default)]
pub struct FiguresCache {
    years: std::sync::Mutex<std::collections::HashMap<i32, std::sync::Arc<Year>>>,
}

const KEPT_FOR: time::Duration = time::Duration::minutes(5);

/// A kept year older than this is counted again before it is shown (younger, it is shown while
/// it is counted again beside it).
const SHOWN_UP_TO: time::Duration = time::Duration::hours(1);

/// Counts the committee's figures of this fiscal year and the last at start, so that the
/// committee's first look (and the report, which reads both) does not wait for the count.
pub async fn count_ahead(state: AppState) {
    let this_year = school_year::fiscal_year(tsunagu_store::children::today_in_japan());
    let tree = match evaluation::area_tree(&state.db).await {
        Ok(tree) => tree,
        Err(e) => return tracing::warn!(error = %e, "could not count the evaluation ahead"),
    };
    for fy in [this_year, this_year - 1] {
        // With the prefecture's amounts, the page the committee opens first.
        let counted = match Year::count(&state, &tree, fy, true).await {
            Ok(year) => year
                .tables_at(&state, &tree, tree.tree.top())
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = counted {
            tracing::warn!(error = %e, "could not count the evaluation ahead");
        }
    }
}

impl Year {
    /// The year counted now, or (for the committee's whole prefecture) taken from the cache.
    pub(crate) async fn counted(
        state: &AppState,
        tree: &evaluation::AreaTree,
        fiscal_year: i32,
        suppressed: bool,
    ) -> Result<std::sync::Arc<Year>, AppError> {
        let now = time::OffsetDateTime::now_utc();
        if suppressed {
            let kept = state
                .figures
                .years
                .lock()
                .ok()
                .and_then(|y| y.get(&fiscal_year).cloned());
            if let Some(year) = kept.filter(|y| now - y.counted_at < SHOWN_UP_TO) {
                let stale = now - year.counted_at >= KEPT_FOR;
                if stale
                    && !year
                        .refreshing
                        .swap(true, std::sync::atomic::Ordering::SeqCst)
                {
                    let (state, tree) = (state.clone(), tree.clone());
                    tokio::spawn(async move {
                        if let Err(e) = Year::count(&state, &tree, fiscal_year, true).await {
                            tracing::warn!(error = %e, "recounting the evaluation failed");
                        }
                    });
                }
                return Ok(year);
            }
        }
        Year::count(state, tree, fiscal_year, suppressed).await
    }

    /// Counts the year (and keeps the committee's in the cache).
    async fn count(
        state: &AppState,
        tree: &evaluation::AreaTree,
        fiscal_year: i32,
        suppressed: bool,
    ) -> Result<std::sync::Arc<Year>, AppError> {
        let now = time::OffsetDateTime::now_utc();
        let figures = evaluation::figures(&state.db, tree, fiscal_year, now).await?;
        let hidden = suppressed.then(|| figures.all().iter().map(|f| f.suppress()).collect());
        let year = std::sync::Arc::new(Year {
            figures,
            hidden,
            counted_at: now,
            amounts: Default::default(),
            refreshing: Default::default(),
        });
        if suppressed {
            if let Ok(mut years) = state.figures.years.lock() {
                years.retain(|y, kept| *y == fiscal_year || now - kept.counted_at < KEPT_FOR * 12);
                years.insert(fiscal_year, year.clone());
            }
        }
        Ok(year)
    }

    /// Every table at a place of the tree, amounts counted for its areas, with the notes under
    /// each.
    pub(crate) async fn tables_at(
        &self,
        state: &AppState,
        tree: &evaluation::AreaTree,
        place: usize,
    ) -> Result<Vec<Table>, AppError> {
        let kept = self
            .amounts
            .lock()
            .ok()
            .and_then(|a| a.get(&place).cloned());
        let amounts = match kept {
            Some(a) => a,
            None => {
                let areas = tree.areas_at(place);
                let a = evaluation::amounts(
                    &state.db,
                    &areas,
                    self.figures.fiscal_year,
                    self.counted_at,
                )
                .await?;
                // Only the committee's years are kept; theirs are counted with the families.
                if self.hidden.is_some() {
                    if let Ok(mut kept) = self.amounts.lock() {
                        kept.insert(place, a.clone());
                    }
                }
                a
            }
        };
        Ok(self.tables_with(tree, place, amounts))
    }

    /// Every table at a place, with the amounts counted for its areas.
    pub(crate) fn tables_with(
        &self,
        tree: &evaluation::AreaTree,
        place: usize,
        amounts: Vec<Table>,
    ) -> Vec<Table> {
        let areas = tree.areas_at(place);
        let families: Vec<Vec<Table>> = self
            .figures
            .all()
            .iter()
            .enumerate()
            .map(|(i, f)| f.tables(place, self.hidden.as_ref().map(|h| &h[i])))
            .collect();
        let suppressed = self.hidden.is_some();
        let mut tables = evaluation::in_order(&families, amounts);
        let leaves: Vec<usize> = (0..tree.tree.areas)
            .filter(|a| areas.contains(&tree.areas[*a].0))
            .collect();
        let waits: Vec<(i64, i64)> = self
            .figures
            .families
            .waits
            .iter()
            .filter(|(a, _, _)| leaves.contains(a))
            .map(|(_, d, n)| (*d, *n))
            .collect();
        for t in &mut tables {
            match t.key {
                "referrals" => t.notes.extend(median_note(&waits, suppressed)),
                "transitions" => t.notes.extend(share_note(t)),
                _ => {}
            }
            if suppressed && t.counts {
                t.notes.push(evaluation_note().into());
            }
        }
        tables
    }
}

fn evaluation_note() -> &'static str {
    tsunagu_domain::evaluation::HIDDEN_NOTE
}

/// 「受け入れまでの日数（中央値）」 from (days, how many) pairs; for the committee without the
/// number of referrals, and not at all when it rests on 1 to 4.
fn median_note(waits: &[(i64, i64)], suppressed: bool) -> Option<String> {
    let mut waits = waits.to_vec();
    waits.sort_unstable();
    let n: i64 = waits.iter().map(|(_, c)| c).sum();
    if suppressed && !may_show_derived(n) {
        return Some("受け入れまでの日数（中央値）：件数が少ないため表示しません".into());
    }
    // The k-th smallest wait (0-based).
    let nth = |k: i64| {
        let mut seen = 0;
        for (d, c) in &waits {
            seen += c;
            if seen > k {
                return *d;
            }
        }
        0
    };
    Some(match n {
        0 => "受け入れまでの日数（中央値）：該当なし".into(),
        n => {
            let median = if n % 2 == 1 {
                nth(n / 2) as f64
            } else {
                (nth(n / 2 - 1) + nth(n / 2)) as f64 / 2.0
            };
            if suppressed {
                format!("受け入れまでの日数（中央値）：{median}日")
            } else {
                format!("受け入れまでの日数（中央値）：{median}日（{n}件）")
            }
        }
    })
}

/// The share of children whose sheet was received before the move, from the table's own
/// totals: only when both are shown (a share of hidden counts would give them away).
fn share_note(t: &Table) -> Option<String> {
    let total = |label: &str| {
        t.rows
            .iter()
            .find(|(l, _)| l == label)
            .and_then(|(_, cells)| cells.last())
            .and_then(|c| c.count())
    };
    let moved = total("移行した子ども")?;
    let acked = total("うち移行前に引継ぎシートの受領あり")?;
    (moved > 0).then(|| {
        format!(
            "移行前に引継ぎシートが受領された割合：{}%（{acked}/{moved}人）",
            acked * 100 / moved
        )
    })
}

async fn audit_read(
    state: &AppState,
    meta: &tsunagu_store::RequestMeta,
    auth: &Auth,
    r: &Resolved,
    action: &'static str,
) -> Result<(), AppError> {
    audit::record_alone(
        &state.db,
        meta,
        Event::new(action)
            .by(&auth.actor)
            .object_type("evaluation")
            .detail(format!("fy={} {}", r.fiscal_year, r.scope)),
    )
    .await?;
    Ok(())
}

/// A table as the page shows it: header, rows with last year, total, chart.
struct Shown {
    table: Table,
    svg: String,
}

#[derive(Template)]
#[template(path = "evaluation/page.html")]
struct Page {
    layout: Layout,
    fiscal_year: i32,
    fy_label: String,
    scope_name: String,
    suppressed: bool,
    years: Vec<(i32, String)>,
    area_options: Vec<(i64, String)>,
    region_options: Vec<(i64, String)>,
    query: EvaluationQuery,
    export_query: String,
    tables: Vec<Shown>,
    /// 「12時05分時点の集計」 for the committee (its figures are kept a few minutes).
    counted_at: String,
}

impl Page {
    fn cell(&self, c: &Cell) -> String {
        c.text()
    }
}

async fn page(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Query(q): Query<EvaluationQuery>,
) -> Result<Html<String>, AppError> {
    let r = resolve(&state, &auth, &q).await?;
    let (tables, counted_at) = tables(&state, &r).await?;
    let shown = tables
        .into_iter()
        .map(|table| Shown {
            svg: chart::svg(&table),
            table,
        })
        .collect();
    audit_read(&state, &meta, &auth, &r, "evaluation.read").await?;
    let this_year = school_year::fiscal_year(tsunagu_store::children::today_in_japan());
    let all_areas = areas::all_areas(&state.db).await?;
    let (area_options, region_options) = if r.suppressed {
        (
            all_areas.iter().map(|a| (a.id.0, a.name.clone())).collect(),
            areas::regions(&state.db)
                .await?
                .into_iter()
                .filter(|x| r.tree.regions.contains(&x.id))
                .map(|x| (x.id.0, x.name))
                .collect(),
        )
    } else {
        (
            all_areas
                .iter()
                .filter(|a| auth.actor.serves_area(a.id))
                .map(|a| (a.id.0, a.name.clone()))
                .collect(),
            vec![],
        )
    };
    let export_query = serde_urlencoded::to_string([
        ("fiscal_year", r.fiscal_year.to_string()),
        ("area", q.area.clone()),
        ("region", q.region.clone()),
    ])
    .unwrap_or_default();
    let page = Page {
        layout: Layout::page(&auth, "検証（年度の集計）", "/evaluation"),
        fiscal_year: r.fiscal_year,
        fy_label: school_year::fiscal_year_label(r.fiscal_year),
        scope_name: r.scope_name.clone(),
        suppressed: r.suppressed,
        years: (this_year - 4..=this_year)
            .rev()
            .map(|y| (y, school_year::fiscal_year_label(y)))
            .collect(),
        area_options,
        region_options,
        query: q,
        export_query,
        tables: shown,
        counted_at: {
            let t = counted_at.to_offset(tsunagu_domain::japanese_date::JST);
            format!("{}時{:02}分", t.hour(), t.minute())
        },
    };
    Ok(Html(page.render()?))
}

/// The header row and the rows of a table as an export writes them: last year and 合計 included.
fn grid(t: &Table) -> (Vec<String>, Vec<Vec<XCell>>) {
    let mut headers = vec![t.row_header.clone()];
    headers.extend(t.columns.iter().cloned());
    if t.previous.is_some() {
        headers.push("前年度".into());
    }
    let cell = |c: &Cell| match c {
        Cell::Count(n) => XCell::Number(*n as f64),
        Cell::Hidden | Cell::NotYet => XCell::Text(c.text()),
    };
    let mut rows: Vec<Vec<XCell>> = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, (label, cells))| {
            let mut row = vec![XCell::Text(label.clone())];
            row.extend(cells.iter().map(cell));
            if let Some(p) = &t.previous {
                row.push(cell(&p[i]));
            }
            row
        })
        .collect();
    if let Some(total) = &t.total_row {
        let mut row = vec![XCell::Text("合計".into())];
        row.extend(total.iter().map(cell));
        if let Some(p) = &t.previous_total {
            row.push(cell(p));
        }
        rows.push(row);
    }
    (headers, rows)
}

/// The lines under a table in an export: its definition, then its notes (「＊」's among them).
fn under(t: &Table) -> Vec<String> {
    std::iter::once(format!("定義：{}", t.definition))
        .chain(t.notes.iter().cloned())
        .collect()
}

fn xlsx(r: &Resolved, tables: &[Table]) -> Result<Vec<u8>, AppError> {
    let sheets: Vec<Sheet> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let (headers, rows) = grid(t);
            Sheet {
                name: format!(
                    "{}_{}",
                    i + 1,
                    t.title.split('（').next().unwrap_or(&t.title)
                ),
                title: format!(
                    "{}　{}　{}",
                    t.title,
                    r.scope_name,
                    school_year::fiscal_year_label(r.fiscal_year),
                ),
                headers,
                rows,
                notes: under(t),
            }
        })
        .collect();
    tsunagu_documents::xlsx::workbook(&sheets).map_err(|e| AppError::Internal(e.to_string()))
}

fn csv(r: &Resolved, tables: &[Table]) -> Result<Vec<u8>, AppError> {
    let mut lines: Vec<Vec<String>> = Vec::new();
    for t in tables {
        lines.push(vec![format!(
            "{}　{}　{}",
            t.title,
            r.scope_name,
            school_year::fiscal_year_label(r.fiscal_year)
        )]);
        let (headers, rows) = grid(t);
        lines.push(headers);
        for row in rows {
            lines.push(
                row.into_iter()
                    .map(|c| match c {
                        XCell::Number(n) => (n as i64).to_string(),
                        XCell::Text(s) => tsunagu_documents::csv::safe_cell(&s),
                    })
                    .collect(),
            );
        }
        for n in under(t) {
            lines.push(vec![n]);
        }
        lines.push(vec![]);
    }
    tsunagu_documents::csv::to_excel_csv(&[], lines).map_err(|e| AppError::Internal(e.to_string()))
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn export(
    state: &AppState,
    meta: &tsunagu_store::RequestMeta,
    auth: &Auth,
    q: &EvaluationQuery,
    as_xlsx: bool,
) -> Result<Response, AppError> {
    let r = resolve(state, auth, q).await?;
    let (t, _) = tables(state, &r).await?;
    audit_read(state, meta, auth, &r, "evaluation.export").await?;
    let name = format!("tsunagu-evaluation-{}", r.fiscal_year);
    Ok(if as_xlsx {
        download(xlsx(&r, &t)?, XLSX, &format!("{name}.xlsx"))
    } else {
        download(
            csv(&r, &t)?,
            "text/csv; charset=utf-8",
            &format!("{name}.csv"),
        )
    })
}

async fn export_xlsx(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Query(q): Query<EvaluationQuery>,
) -> Result<Response, AppError> {
    export(&state, &meta, &auth, &q, true).await
}

async fn export_csv(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Query(q): Query<EvaluationQuery>,
) -> Result<Response, AppError> {
    export(&state, &meta, &auth, &q, false).await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EvaluationAnswer {
    pub fiscal_year: i32,
    pub scope: String,
    /// Counts from 1 to 4, and the cells that protect them, are 「＊」 (the committee's view);
    /// months not yet reached are null.
    pub suppressed: bool,
    #[schema(value_type = Vec<Object>)]
    pub tables: Vec<Table>,
}

/// The fiscal year's tables as JSON; `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`
/// or `text/csv` answers the screen's export.
#[utoipa::path(get, path = "/api/v1/evaluation", tag = "evaluation", params(EvaluationQuery),
    responses((status = 200, body = EvaluationAnswer), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    headers: HeaderMap,
    Query(q): Query<EvaluationQuery>,
) -> Result<Response, AppError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if accept.contains(XLSX) {
        return export(&state, &meta, &auth, &q, true).await;
    }
    if accept.contains("text/csv") {
        return export(&state, &meta, &auth, &q, false).await;
    }
    let r = resolve(&state, &auth, &q).await?;
    let (t, _) = tables(&state, &r).await?;
    audit_read(&state, &meta, &auth, &r, "evaluation.read").await?;
    Ok(Json(EvaluationAnswer {
        fiscal_year: r.fiscal_year,
        scope: r.scope_name,
        suppressed: r.suppressed,
        tables: t,
    })
    .into_response())
}
