//! The councils of the areas: list, create and edit with member agencies.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Json,
};
use serde::Deserialize;
use tsunagu_domain::{
    directory::{council_kind_label, may_manage_council, COUNCIL_KINDS},
    validation::Errors,
    AgencyId, AreaId, Role,
};
use tsunagu_store::{
    agencies::{self, AgencyRef},
    areas::{self, Area},
    councils::{self, Council, CouncilInput},
};

use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::Form,
    layout::Layout,
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/councils", get(list).post(create))
        .route("/councils/new", get(new_form))
        .route("/councils/{id}", get(edit_form).post(update))
        .route("/api/v1/councils", get(api_list))
}

fn may_read(auth: &Auth) -> Result<(), AppError> {
    match auth.actor.role {
        Role::Admin | Role::Coordinator | Role::Supervisor | Role::AgencyStaff => Ok(()),
        Role::Committee => Err(AppError::Forbidden),
    }
}

#[derive(Template)]
#[template(path = "councils/list.html")]
struct ListPage {
    layout: Layout,
    councils: Vec<Council>,
    can_create: bool,
}

impl ListPage {
    fn kind(&self, code: &str) -> String {
        council_kind_label(code).to_owned()
    }
}

async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<Html<String>, AppError> {
    may_read(&auth)?;
    let page = ListPage {
        layout: Layout::page(&auth, "協議会", "/councils"),
        councils: councils::list(&state.db, None).await?,
        can_create: matches!(auth.actor.role, Role::Admin | Role::Coordinator),
    };
    Ok(Html(page.render()?))
}

/// Councils as JSON.
#[utoipa::path(get, path = "/api/v1/councils", tag = "directory",
    responses((status = 200, body = tsunagu_store::Page<Council>), (status = 403, body = crate::api::ErrorResponse)))]
pub async fn api_list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<Json<tsunagu_store::Page<Council>>, AppError> {
    may_read(&auth)?;
    let items = councils::list(&state.db, None).await?;
    Ok(Json(tsunagu_store::Page {
        total: items.len() as i64,
        items,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CouncilForm {
    name: String,
    kind: String,
    area_id: String,
    note: String,
    member_ids: Vec<String>,
}

#[derive(Template)]
#[template(path = "councils/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    form: CouncilForm,
    errors: Errors,
    kinds: &'static [(&'static str, &'static str)],
    areas: Vec<Area>,
    agencies: Vec<AgencyRef>,
}

impl FormPage {
    fn member(&self, id: &AgencyId) -> bool {
        self.form
            .member_ids
            .iter()
            .any(|m| m.trim() == id.0.to_string())
    }
}

async fn form_page(
    state: &AppState,
    auth: &Auth,
    id: Option<i64>,
    form: CouncilForm,
    errors: Errors,
) -> Result<FormPage, AppError> {
    let areas = areas::all_areas(&state.db)
        .await?
        .into_iter()
        .filter(|a| may_manage_council(&auth.actor, a.id))
        .collect();
    // The members chosen; any other agency is found by name.
    let ids: Vec<i64> = form
        .member_ids
        .iter()
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    let agencies = agencies::by_ids(&state.db, &ids).await?;
    Ok(FormPage {
        layout: Layout::page(
            auth,
            if id.is_some() {
                "協議会の編集"
            } else {
                "協議会の登録"
            },
            "/councils",
        ),
        id,
        form,
        errors,
        kinds: &COUNCIL_KINDS,
        areas,
        agencies,
    })
}

async fn new_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<Html<String>, AppError> {
    if !matches!(auth.actor.role, Role::Admin | Role::Coordinator) {
        return Err(AppError::Forbidden);
    }
    let form = CouncilForm {
        kind: "independence_support".into(),
        ..CouncilForm::default()
    };
    Ok(Html(
        form_page(&state, &auth, None, form, Errors::new())
            .await?
            .render()?,
    ))
}

async fn edit_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    may_read(&auth)?;
    let c = councils::get(&state.db, id).await?;
    let form = CouncilForm {
        name: c.name,
        kind: c.kind,
        area_id: c.area_id.to_string(),
        note: c.note.unwrap_or_default(),
        member_ids: c.members.iter().map(|m| m.id.to_string()).collect(),
    };
    Ok(Html(
        form_page(&state, &auth, Some(id), form, Errors::new())
            .await?
            .render()?,
    ))
}

fn check(form: &CouncilForm) -> (CouncilInput, Errors) {
    let mut e = Errors::new();
    let name = e.required_line("name", "協議会の名称", &form.name);
    if !COUNCIL_KINDS.iter().any(|(c, _)| *c == form.kind) {
        e.add("kind", "種類を選んでください。");
    }
    let area_id = match form.area_id.trim().parse() {
        Ok(n) => AreaId(n),
        Err(_) => {
            e.add("area_id", "地域を選んでください。");
            AreaId(0)
        }
    };
    let note = e.optional_text("note", "備考", &form.note);
    let member_ids = form
        .member_ids
        .iter()
        .filter_map(|m| m.trim().parse().ok())
        .map(AgencyId)
        .collect();
    (
        CouncilInput {
            name,
            kind: form.kind.clone(),
            area_id,
            note,
            member_ids,
        },
        e,
    )
}

async fn save(
    state: AppState,
    meta: tsunagu_store::RequestMeta,
    auth: Auth,
    id: Option<i64>,
    form: CouncilForm,
) -> Result<Response, AppError> {
    let (input, mut errors) = check(&form);
    if errors.is_empty() {
        match councils::save(&state.db, &meta, &auth.actor, id, &input).await {
            Ok(_) => return Ok(Redirect::to("/councils?notice=saved").into_response()),
            Err(tsunagu_store::Error::Forbidden) => return Err(AppError::Forbidden),
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = form_page(&state, &auth, id, form, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<CouncilForm>,
) -> Result<Response, AppError> {
    save(state, meta, auth, None, form).await
}

async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<CouncilForm>,
) -> Result<Response, AppError> {
    councils::get(&state.db, id).await?;
    save(state, meta, auth, Some(id), form).await
}
