//! The administrator's agency kinds (機関種別) and their sectors, editable in place.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tsunagu_domain::{directory::Sector, validation::Errors};
use tsunagu_store::agencies::{self, AgencyKind};

use super::html::*;
use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::{Form, Query},
    layout::Layout,
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

/// The administrator's list of agency kinds, each editable in place.
pub fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/admin/agency-kinds", get(kinds_page).post(create_kind))
        .route("/admin/agency-kinds/{id}", post(update_kind))
}

#[derive(Template)]
#[template(path = "agencies/kinds.html")]
struct KindsPage {
    layout: Layout,
    kinds: Vec<AgencyKind>,
    sectors: Vec<(&'static str, &'static str)>,
    errors: Errors,
}

async fn render_kinds(
    state: &AppState,
    auth: &Auth,
    errors: Errors,
    notice: Option<&str>,
) -> Result<KindsPage, AppError> {
    Ok(KindsPage {
        layout: Layout::page(auth, "機関種別", "/admin/agency-kinds").with_notice(notice),
        kinds: agencies::kinds(&state.db).await?,
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        errors,
    })
}

async fn kinds_page(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    Ok(Html(
        render_kinds(&state, &auth, Errors::new(), q.notice.as_deref())
            .await?
            .render()?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KindForm {
    name: String,
    sector: String,
    active: Option<String>,
}

async fn save_kind(
    state: AppState,
    meta: tsunagu_store::RequestMeta,
    auth: Auth,
    id: Option<i64>,
    form: KindForm,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    let name = errors.required_line("name", "種別名", &form.name);
    if Sector::from_code(&form.sector).is_none() {
        errors.add("sector", "分野を選んでください。");
    }
    if errors.is_empty() {
        match agencies::save_kind(
            &state.db,
            &meta,
            &auth.actor,
            id,
            &name,
            &form.sector,
            form.active.is_some() || id.is_none(),
        )
        .await
        {
            Ok(_) => return Ok(Redirect::to("/admin/agency-kinds?notice=saved").into_response()),
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = render_kinds(&state, &auth, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn create_kind(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<KindForm>,
) -> Result<Response, AppError> {
    save_kind(state, meta, auth, None, form).await
}

async fn update_kind(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<KindForm>,
) -> Result<Response, AppError> {
    save_kind(state, meta, auth, Some(id), form).await
}
