//! The administrator's list of consultation categories (相談の分類), editable in place.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tsunagu_domain::validation::Errors;
use tsunagu_store::consultations;

use crate::{
    auth::Auth,
    error::into_form_errors,
    extract::{Form, Query},
    layout::Layout,
    routing::Router,
    unit::Unit,
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
    u: &mut Unit,
    auth: &Auth,
    errors: Errors,
    notice: Option<&str>,
) -> Result<CategoriesPage, AppError> {
    Ok(CategoriesPage {
        layout: Layout::page(auth, "相談の分類", "/admin/consultation-categories")
            .with_notice(notice),
        categories: consultations::all_categories(&mut **u).await?,
        errors,
    })
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn page(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    Ok(Html(
        render(&mut u, &auth, Errors::new(), q.notice.as_deref())
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
    mut u: Unit,
    auth: Auth,
    id: Option<i64>,
    form: CategoryForm,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    let name = errors.required_line("name", "分類名", &form.name);
    if errors.is_empty() {
        let saved = async {
            let mut w = u.write().await?;
            consultations::save_category(
                &mut w.tx,
                &w.meta,
                &auth.actor,
                id,
                &name,
                form.active.is_some() || id.is_none(),
            )
            .await?;
            w.commit().await
        }
        .await;
        match saved {
            Ok(()) => {
                return Ok(
                    Redirect::to("/admin/consultation-categories?notice=saved").into_response()
                )
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = render(&mut u, &auth, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn create(auth: Auth, u: Unit, Form(form): Form<CategoryForm>) -> Result<Response, AppError> {
    save(u, auth, None, form).await
}

async fn update(
    auth: Auth,
    u: Unit,
    Path(id): Path<i64>,
    Form(form): Form<CategoryForm>,
) -> Result<Response, AppError> {
    save(u, auth, Some(id), form).await
}
