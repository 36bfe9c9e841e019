//! The administrator's list of consultation categories (相談の分類), editable in place.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use tsunagu_domain::validation::Errors;
use tsunagu_store::consultations;

use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::{Form, Query},
    layout::Layout,
    AppError, AppState,
};

pub fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/admin/consultation-categories", get(page).post(create))
        .route("/admin/consultation-categories/{id}", post(update))
}

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct CategoriesPage {
    layout: Layout,
    categories: Vec<(i64, String, bool)>,
    errors: Errors,
}

async fn render(
    state: &AppState,
    auth: &Auth,
    errors: Errors,
    notice: Option<&str>,
) -> Result<CategoriesPage, AppError> {
    Ok(CategoriesPage {
        layout: Layout::new(state, auth, "相談の分類", "/admin/consultation-categories")
            .await?
            .with_notice(notice),
        categories: consultations::all_categories(&state.db).await?,
        errors,
    })
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    Ok(Html(
        render(&state, &auth, Errors::new(), q.notice.as_deref())
            .await?
            .render()?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CategoryForm {
    name: String,
    active: Option<String>,
}

async fn save(
    state: AppState,
    meta: tsunagu_store::RequestMeta,
    auth: Auth,
    id: Option<i64>,
    form: CategoryForm,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    let name = errors.required_line("name", "分類名", &form.name);
    if errors.is_empty() {
        match consultations::save_category(
            &state.db,
            &meta,
            &auth.actor,
            id,
            &name,
            form.active.is_some() || id.is_none(),
        )
        .await
        {
            Ok(_) => {
                return Ok(
                    Redirect::to("/admin/consultation-categories?notice=saved").into_response()
                )
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = render(&state, &auth, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn create(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<CategoryForm>,
) -> Result<Response, AppError> {
    save(state, meta, auth, None, form).await
}

async fn update(
    State(state): State<AppState>,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<CategoryForm>,
) -> Result<Response, AppError> {
    save(state, meta, auth, Some(id), form).await
}
