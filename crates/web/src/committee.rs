//! The prefecture's committee (療育支援専門部会) on the web: its conclusions and recommendations
//! for a fiscal year, and its fiscal-year report — the figures (small counts hidden as on the
//! evaluation page), how support changed in each area against the year before, the challenges
//! raised to it and its answers, and its conclusions — as an A4 print view and a PDF.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, put},
    Json,
};
use serde::Deserialize;
use tsunagu_documents::pdf::{Document, Section};
use tsunagu_domain::{
    challenge,
    evaluation::{Cell, Table},
    japanese_date, school_year,
    validation::Errors,
    Role,
};
use tsunagu_store::{
    areas,
    audit::{self, Event},
    challenges::{self, Awaiting, Conclusion, ConclusionInput},
    evaluation::{self, Scope},
};

use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    evaluation::Year,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    printing,
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conclusions", get(conclusions_page).post(create))
        .route("/conclusions/{id}", axum::routing::post(update))
        .route("/evaluation/report", get(report_page))
        .route("/evaluation/report.pdf", get(report_pdf))
        .route(
            "/api/v1/committee-conclusions",
            get(api_list).post(api_create),
        )
        .route("/api/v1/committee-conclusions/{id}", put(api_update))
}

fn this_year() -> i32 {
    school_year::fiscal_year(tsunagu_store::children::today_in_japan())
}

/// 年度 from the query: this year when empty; 2000 to this year otherwise.
fn fiscal_year(s: &str) -> Result<i32, AppError> {
    match s.trim() {
        "" => Ok(this_year()),
        s => s
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=this_year()).contains(y))
            .ok_or_else(|| {
                AppError::invalid(
                    "fiscal_year",
                    "年度は 2026 のように、今年度までの数字で指定してください。",
                )
            }),
    }
}

/// A conclusion as typed.
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct ConclusionFields {
    /// 年度, e.g. 2026
    pub fiscal_year: String,
    /// conclusion, recommendation
    pub kind: String,
    pub title: String,
    pub body: String,
}

fn check(f: &ConclusionFields) -> Result<ConclusionInput, AppError> {
    let mut e = Errors::new();
    let fy = fiscal_year(&f.fiscal_year);
    if fy.is_err() {
        e.add("fiscal_year", "年度を選んでください。");
    }
    if challenge::conclusion_kind_label(f.kind.trim()).is_empty() {
        e.add("kind", "結論か提言かを選んでください。");
    }
    let title = e.required_line("title", "見出し", &f.title);
    let body = e.optional_text("body", "本文", &f.body);
    if body.is_none() && e.get("body").is_none() {
        e.add("body", "本文を入力してください。");
    }
    e.into_result().map_err(AppError::Validation)?;
    Ok(ConclusionInput {
        fiscal_year: fy.unwrap_or_else(|_| this_year()),
        kind: f.kind.trim().to_string(),
        title,
        body: body.unwrap_or_default(),
    })
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct YearQuery {
    fiscal_year: String,
    notice: Option<String>,
    /// The conclusion being edited.
    edit: Option<i64>,
}

#[derive(Template)]
#[template(path = "committee/conclusions.html")]
struct ConclusionsPage {
    layout: Layout,
    fiscal_year: i32,
    fy_label: String,
    years: Vec<(i32, String)>,
    items: Vec<Conclusion>,
    may_write: bool,
    /// The form: a new one, or the conclusion being edited.
    editing: Option<i64>,
    form: ConclusionFields,
    errors: Errors,
}

impl ConclusionsPage {
    fn kinds(&self) -> [(&'static str, &'static str); 2] {
        challenge::CONCLUSION_KINDS
    }
}

async fn render(
    state: &AppState,
    auth: &Auth,
    fy: i32,
    notice: Option<&str>,
    editing: Option<i64>,
    typed: Option<(ConclusionFields, Errors)>,
) -> Result<Response, AppError> {
    let items = challenges::conclusions(&state.db, &auth.actor, fy).await?;
    let (form, errors) = typed.unwrap_or_else(|| {
        let form = editing
            .and_then(|id| items.iter().find(|c| c.id == id))
            .map(|c| ConclusionFields {
                fiscal_year: fy.to_string(),
                kind: c.kind.clone(),
                title: c.title.clone(),
                body: c.body.clone(),
            })
            .unwrap_or(ConclusionFields {
                fiscal_year: fy.to_string(),
                kind: "conclusion".into(),
                ..ConclusionFields::default()
            });
        (form, Errors::new())
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ConclusionsPage {
        layout: Layout::page(auth, "部会の結論・提言", "/conclusions").with_notice(notice),
        fiscal_year: fy,
        fy_label: school_year::fiscal_year_label(fy),
        years: (this_year() - 4..=this_year())
            .rev()
            .map(|y| (y, school_year::fiscal_year_label(y)))
            .collect(),
        items,
        may_write: auth.actor.role == Role::Committee,
        editing,
        form,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn conclusions_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let fy = fiscal_year(&q.fiscal_year)?;
    render(&state, &auth, fy, q.notice.as_deref(), q.edit, None).await
}

fn may_write(auth: &Auth) -> Result<(), AppError> {
    if auth.actor.role == Role::Committee {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn save(
    state: &AppState,
    meta: &tsunagu_store::RequestMeta,
    auth: &Auth,
    id: Option<i64>,
    f: ConclusionFields,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    match check(&f) {
        Ok(input) => {
            match challenges::save_conclusion(&state.db, meta, &auth.actor, id, &input).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!(
                        "/conclusions?fiscal_year={}&notice=saved",
                        input.fiscal_year
                    ))
                    .into_response())
                }
                Err(e) => into_form_errors(&mut errors, e)?,
            }
        }
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    let fy = fiscal_year(&f.fiscal_year).unwrap_or_else(|_| this_year());
    render(state, auth, fy, None, id, Some((f, errors))).await
}

async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    f: Deferred<Form<ConclusionFields>>,
) -> Result<Response, AppError> {
    may_write(&auth)?;
    let Form(f) = f.parse()?;
    save(&state, &meta, &auth, None, f).await
}

async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    f: Deferred<Form<ConclusionFields>>,
) -> Result<Response, AppError> {
    may_write(&auth)?;
    let Form(f) = f.parse()?;
    save(&state, &meta, &auth, Some(id), f).await
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
pub struct ApiYear {
    /// 年度 (default: the current one).
    pub fiscal_year: String,
}

#[utoipa::path(get, path = "/api/v1/committee-conclusions", tag = "challenges", params(ApiYear),
    responses((status = 200, body = Vec<Conclusion>), (status = 403, body = crate::api::ErrorResponse)))]
pub async fn api_list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<ApiYear>,
) -> Result<Json<Vec<Conclusion>>, AppError> {
    let fy = fiscal_year(&q.fiscal_year)?;
    Ok(Json(
        challenges::conclusions(&state.db, &auth.actor, fy).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/committee-conclusions", tag = "challenges", request_body = ConclusionFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    body: Deferred<JsonBody<ConclusionFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    may_write(&auth)?;
    let JsonBody(body) = body.parse()?;
    let input = check(&body)?;
    let id = challenges::save_conclusion(&state.db, &meta, &auth.actor, None, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": id }))))
}

#[utoipa::path(put, path = "/api/v1/committee-conclusions/{id}", tag = "challenges", params(("id" = i64, Path)), request_body = ConclusionFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<ConclusionFields>>,
) -> Result<StatusCode, AppError> {
    may_write(&auth)?;
    let JsonBody(body) = body.parse()?;
    let input = check(&body)?;
    challenges::save_conclusion(&state.db, &meta, &auth.actor, Some(id), &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The indicators the report compares year on year, from a table's total: (table, row label or
/// None for the 合計 row, column or None for the last).
const INDICATORS: [(&str, &str, Option<&str>, Option<usize>); 9] = [
    ("相談件数", "consultations_by_channel", None, None),
    ("支援した子ども", "children_by_phase", None, Some(4)),
    ("うち新規登録", "children_by_phase", None, Some(1)),
    ("つなぎ（紹介）", "referrals", None, None),
    ("支援会議", "meetings", Some("開催した支援会議"), None),
    (
        "移行した子ども（延べ）",
        "transitions",
        Some("移行した子ども"),
        None,
    ),
    (
        "うち移行前に引継ぎシートの受領あり",
        "transitions",
        Some("うち移行前に引継ぎシートの受領あり"),
        None,
    ),
    (
        "巡回相談・施設支援（回）",
        "capacity",
        Some("巡回相談・施設支援（回）"),
        None,
    ),
    ("研修会（回）", "capacity", Some("研修会（回）"), None),
];

fn indicator(tables: &[Table], key: &str, row: Option<&str>, col: Option<usize>) -> Cell {
    let Some(t) = tables.iter().find(|t| t.key == key) else {
        return Cell::Count(0);
    };
    let cells = match row {
        Some(label) => t.rows.iter().find(|(l, _)| l == label).map(|(_, c)| c),
        None => t.total_row.as_ref(),
    };
    cells
        .and_then(|c| match col {
            Some(i) => c.get(i),
            None => c.last(),
        })
        .copied()
        .unwrap_or(Cell::Count(0))
}

/// 「+3」「−2」「±0」 when both years are shown; blank when either is hidden.
fn change(now: Cell, before: Cell) -> String {
    match (now.count(), before.count()) {
        (Some(a), Some(b)) if a > b => format!("+{}", a - b),
        (Some(a), Some(b)) if a < b => format!("−{}", b - a),
        (Some(_), Some(_)) => "±0".into(),
        _ => String::new(),
    }
}

/// A table as rows of text for the report (last year beside it when there is one).
fn table_section(t: &Table) -> Section {
    let mut headers: Vec<(&str, u16)> = vec![(t.row_header.as_str(), 4)];
    headers.extend(t.columns.iter().map(|c| (c.as_str(), 1)));
    if t.previous.is_some() {
        headers.push(("前年度", 2));
    }
    let mut rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, (label, cells))| {
            let mut row = vec![label.clone()];
            row.extend(cells.iter().map(|c| c.text()));
            if let Some(p) = &t.previous {
                row.push(p.get(i).map(|c| c.text()).unwrap_or_default());
            }
            row
        })
        .collect();
    if let Some(total) = &t.total_row {
        let mut row = vec!["合計".to_string()];
        row.extend(total.iter().map(|c| c.text()));
        if let Some(p) = &t.previous_total {
            row.push(p.text());
        }
        rows.push(row);
    }
    let mut s = Section::new(t.title.clone()).table(&headers, rows);
    s = s.text(format!("定義：{}", t.definition));
    for n in &t.notes {
        s = s.text(n.clone());
    }
    s
}

/// The committee's report of a fiscal year as one document.
async fn report(
    state: &AppState,
    meta: &tsunagu_store::RequestMeta,
    auth: &Auth,
    fy: i32,
) -> Result<Document, AppError> {
    if !matches!(auth.actor.role, Role::Committee | Role::Admin) {
        return Err(AppError::Forbidden);
    }
    let now = time::OffsetDateTime::now_utc();
    let tree = evaluation::area_tree(&state.db).await?;
    let (this_year_shown, last_year_shown) = futures_util::try_join!(
        Year::counted(state, &tree, fy, true),
        Year::counted(state, &tree, fy - 1, true),
    )?;
    let top = tree.place(Scope::Prefecture).unwrap_or(0);
    let prefecture = this_year_shown.tables_at(state, &tree, top).await?;
    let names = areas::all_areas(&state.db).await?;
    let fy_label = school_year::fiscal_year_label(fy);
    let mut sections = vec![Section::new("1. この報告について").text(format!(
        "療育支援コーディネーター事業の{fy_label}の検証です。各地域のコーディネーターが記録した相談・つなぎ・支援会議・移行・研修などを集計し、前年度と比べて支援がどう変わったかを示します。あわせて、地域から県の療育支援専門部会に提起された課題と部会の回答、部会の結論と提言をまとめます。\n子どもが特定されないよう、1〜4件の数と、そこから逆算できる数を「＊」で伏せています（どの地域・圏域・県全体の表を組み合わせても、伏せた数は求められません）。"
    ))];
    // Each area against the year before.
    let mut comparison = Section::new(format!("2. 地域ごとの変化（{fy_label}と前年度）"));
    for (place, area) in tree.areas.iter().enumerate() {
        let name = names
            .iter()
            .find(|a| a.id == *area)
            .map(|a| a.name.clone())
            .unwrap_or_default();
        let (now_tables, before_tables) = futures_util::try_join!(
            this_year_shown.tables_at(state, &tree, place),
            last_year_shown.tables_at(state, &tree, place),
        )?;
        let rows = INDICATORS
            .iter()
            .map(|(label, key, row, col)| {
                let (a, b) = (
                    indicator(&now_tables, key, *row, *col),
                    indicator(&before_tables, key, *row, *col),
                );
                vec![label.to_string(), a.text(), b.text(), change(a, b)]
            })
            .collect();
        comparison = comparison.text(name).table(
            &[("指標", 6), ("今年度", 2), ("前年度", 2), ("増減", 2)],
            rows,
        );
    }
    sections.push(
        comparison.text("今年度の数はきょうまでの分です。「＊」を含む行の増減は示しません。"),
    );
    sections.push(Section::new(format!("3. 県全体の集計（{fy_label}）")));
    sections.extend(prefecture.iter().map(table_section));
    let raised = challenges::raised(&state.db, Awaiting::All, Some(fy)).await?;
    let rows: Vec<Vec<String>> = raised
        .iter()
        .map(|c| {
            vec![
                c.area_name.clone(),
                c.title.clone(),
                c.category_label().to_string(),
                c.area_summary.clone().unwrap_or_default(),
                c.committee_response
                    .clone()
                    .unwrap_or_else(|| "（回答待ち）".into()),
            ]
        })
        .collect();
    let challenges_section = Section::new("4. 提起された課題と部会の回答");
    sections.push(if rows.is_empty() {
        challenges_section.text("この年度に提起された課題はありません。")
    } else {
        challenges_section.table(
            &[
                ("地域", 2),
                ("課題", 3),
                ("分類", 2),
                ("地域のまとめ", 5),
                ("部会の回答", 5),
            ],
            rows,
        )
    });
    let conclusions = challenges::conclusions(&state.db, &auth.actor, fy).await?;
    let mut last_section = Section::new("5. 部会の結論と提言");
    if conclusions.is_empty() {
        last_section = last_section.text("まだ記録されていません。");
    }
    for c in &conclusions {
        last_section = last_section.text(format!("【{}】{}\n{}", c.kind_label(), c.title, c.body));
    }
    sections.push(last_section);
    audit::record_alone(
        &state.db,
        meta,
        Event::new("evaluation.report")
            .by(&auth.actor)
            .object_type("evaluation")
            .detail(format!("fy={fy} prefecture")),
    )
    .await?;
    Ok(Document {
        title: format!("療育支援コーディネーター事業　検証報告（{fy_label}）"),
        meta: vec![
            "千葉県 療育支援専門部会".into(),
            format!(
                "作成日：{}",
                japanese_date::format_date_with_era(japanese_date::today(now))
            ),
        ],
        sections,
        footer: "「＊」は子どもが特定されないよう伏せた数です。".into(),
        landscape: true,
    })
}

async fn report_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Query(q): Query<YearQuery>,
) -> Result<Html<String>, AppError> {
    let fy = fiscal_year(&q.fiscal_year)?;
    let doc = report(&state, &meta, &auth, fy).await?;
    printing::html(
        Layout::page(&auth, "検証報告", "/evaluation"),
        &doc,
        &format!("/evaluation?fiscal_year={fy}"),
        "検証（年度の集計）へ戻る",
        &format!("/evaluation/report.pdf?fiscal_year={fy}"),
    )
}

async fn report_pdf(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let fy = fiscal_year(&q.fiscal_year)?;
    let doc = report(&state, &meta, &auth, fy).await?;
    printing::pdf(doc, &format!("検証報告_{fy}年度.pdf")).await
}
