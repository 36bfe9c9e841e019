//! The audit log screen and its CSV export.

use askama::Template;
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use tsunagu_documents::csv::{safe_cell, to_excel_csv};
use tsunagu_domain::validation::Errors;
use tsunagu_store::{
    audit::{self, Entry, Event},
    Paging,
};

use super::{rfc3339, AuditQuery};
use crate::{
    auth::{Auth, Meta},
    extract::{ListParams, Query},
    layout::{filters, Layout, Pager},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(search))
        .route("/admin/audit.csv", get(export))
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct SearchPage {
    layout: Layout,
    q: AuditQuery,
    errors: Errors,
    entries: Vec<Entry>,
    pager: Pager,
    csv_href: String,
}

impl SearchPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or_default()
    }

    fn action<'a>(&self, code: &'a str) -> &'a str {
        super::action_label(code)
    }

    fn object<'a>(&self, code: &'a str) -> &'a str {
        super::object_label(code)
    }
}

fn outcome_label(outcome: &str) -> &'static str {
    match outcome {
        "success" => "成功",
        "denied" => "拒否",
        "failure" => "失敗",
        _ => "不明",
    }
}

async fn search(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let paging = ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let layout = Layout::page(&auth, "操作ログ", "/admin/audit");
    let base = format!("/admin/audit?{}&", q.query_string());
    let csv_href = format!("/admin/audit.csv?{}", q.query_string());
    match q.filter() {
        Ok(filter) => {
            let page = audit::search(&state.db, &filter, paging).await?;
            let pager = Pager::new(&base, page.total, paging, page.items.len());
            let view = SearchPage {
                layout,
                q,
                errors: Errors::new(),
                entries: page.items,
                pager,
                csv_href,
            };
            Ok(Html(view.render()?).into_response())
        }
        Err(errors) => {
            let pager = Pager::new(&base, 0, paging, 0);
            let view = SearchPage {
                layout,
                q,
                errors,
                entries: vec![],
                pager,
                csv_href,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(view.render()?)).into_response())
        }
    }
}

/// Most entries one export holds; a wider search is narrowed by date.
const EXPORT_LIMIT: i64 = 100_000;

async fn export(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let filter = q.filter().map_err(AppError::Validation)?;
    let page = audit::search(
        &state.db,
        &filter,
        Paging {
            limit: EXPORT_LIMIT,
            offset: 0,
        },
    )
    .await?;
    let rows = page.items.iter().map(|e| {
        vec![
            e.id.to_string(),
            rfc3339(e.at),
            e.user_login.clone().unwrap_or_default(),
            super::action_label(&e.action).to_owned(),
            e.object_type
                .as_deref()
                .map(super::object_label)
                .unwrap_or_default()
                .to_owned(),
            e.object_id.clone().unwrap_or_default(),
            outcome_label(&e.outcome).to_owned(),
            e.client_addr.clone().unwrap_or_default(),
            e.request_id.clone().unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
            e.hash.clone(),
        ]
        .into_iter()
        .map(|c| safe_cell(&c))
        .collect::<Vec<_>>()
    });
    let bytes = to_excel_csv(
        &[
            "番号",
            "日時",
            "ユーザー",
            "操作",
            "対象の種類",
            "対象ID",
            "結果",
            "接続元",
            "リクエストID",
            "詳細",
            "ハッシュ",
        ],
        rows,
    )
    .map_err(|e| AppError::Internal(e.to_string()))?;
    // Exporting the log is itself an action worth recording.
    let mut tx = state.db.begin().await?;
    audit::record(
        &mut tx,
        &meta,
        Event::new("audit.export")
            .by(&auth.actor)
            .detail(format!("rows={}", page.items.len())),
    )
    .await?;
    tx.commit().await?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"audit-log.csv\"; filename*=UTF-8''%E6%93%8D%E4%BD%9C%E3%83%AD%E3%82%B0.csv"),
    );
    Ok(response)
}
