//! The administrator's screens for areas and municipalities.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tsunagu_domain::{validation::Errors, AreaId, MunicipalityId, RegionId};
use tsunagu_store::{
    areas::{self, AreaDetail, Municipality, Region},
    Paging,
};

use super::area_input;
use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::{Form, ListParams, Query},
    layout::{qs, Layout, Pager},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn admin_router() -> Router<AppState> {
    Router::new()
        .route("/admin/areas", get(list).post(create))
        .route("/admin/areas/new", get(new_form))
        .route("/admin/areas/{id}", get(edit_form).post(update))
        .route("/admin/municipalities", get(municipalities))
        .route(
            "/admin/municipalities/{id}",
            get(municipality_form).post(update_municipality),
        )
}

#[derive(Template)]
#[template(path = "admin/areas.html")]
struct ListPage {
    layout: Layout,
    areas: Vec<AreaDetail>,
    pager: Pager,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
    #[serde(flatten)]
    list: ListParams,
}

async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let paging = q.list.paging()?;
    let page = areas::areas(&state.db, q.list.q(), paging).await?;
    let pager = Pager::new("/admin/areas?", page.total, paging, page.items.len());
    let view = ListPage {
        layout: Layout::page(&auth, "地域", "/admin/areas").with_notice(q.notice.as_deref()),
        areas: page.items,
        pager,
    };
    Ok(Html(view.render()?))
}

#[derive(Deserialize, Default)]
struct AreaForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kana: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    municipality_ids: Vec<String>,
    #[serde(default)]
    active: Option<String>,
    #[serde(flatten)]
    operation: super::Operation,
}

/// Municipalities under their region, for the area form's checkboxes.
struct RegionGroup {
    region: Region,
    municipalities: Vec<Municipality>,
}

async fn region_groups(state: &AppState) -> Result<Vec<RegionGroup>, AppError> {
    let regions = areas::regions(&state.db).await?;
    let all = areas::municipalities(
        &state.db,
        None,
        Paging {
            limit: 10_000,
            offset: 0,
        },
    )
    .await?
    .items;
    Ok(regions
        .into_iter()
        .map(|region| RegionGroup {
            municipalities: all
                .iter()
                .filter(|m| m.region_id == region.id)
                .cloned()
                .collect(),
            region,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "admin/area_form.html")]
struct FormPage {
    layout: Layout,
    /// `None` while creating.
    id: Option<AreaId>,
    form: AreaForm,
    errors: Errors,
    groups: Vec<RegionGroup>,
}

impl FormPage {
    fn checked(&self, id: &MunicipalityId) -> bool {
        self.form
            .municipality_ids
            .iter()
            .any(|m| m.trim() == id.0.to_string())
    }
}

async fn new_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<Html<String>, AppError> {
    let page = FormPage {
        layout: Layout::page(&auth, "地域の作成", "/admin/areas"),
        id: None,
        form: AreaForm {
            active: Some("on".into()),
            ..AreaForm::default()
        },
        errors: Errors::new(),
        groups: region_groups(&state).await?,
    };
    Ok(Html(page.render()?))
}

async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<AreaForm>,
) -> Result<Response, AppError> {
    save(state, meta, auth, None, form).await
}

async fn edit_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let area = areas::area(&state.db, AreaId(id)).await?;
    let closure = super::Operation::closure_fields(area.area.closure());
    let page = FormPage {
        layout: Layout::page(&auth, &format!("地域：{}", area.area.name), "/admin/areas"),
        id: Some(area.area.id),
        form: AreaForm {
            name: area.area.name,
            kana: area.area.kana,
            note: area.area.note.unwrap_or_default(),
            municipality_ids: area
                .municipalities
                .iter()
                .map(|m| m.id.to_string())
                .collect(),
            active: area.area.active.then(|| "on".to_owned()),
            operation: super::Operation {
                operator_kind: area.area.operator_kind.code().to_owned(),
                operator_name: area.area.operator_name.unwrap_or_default(),
                eligibility_note: area.area.eligibility_note.unwrap_or_default(),
                caseload_limit: area
                    .area
                    .caseload_limit
                    .map(|l| l.to_string())
                    .unwrap_or_default(),
                closure_from: closure.0,
                closure_to: closure.1,
            },
        },
        errors: Errors::new(),
        groups: region_groups(&state).await?,
    };
    Ok(Html(page.render()?))
}

async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<AreaForm>,
) -> Result<Response, AppError> {
    areas::area(&state.db, AreaId(id)).await?;
    save(state, meta, auth, Some(AreaId(id)), form).await
}

async fn save(
    state: AppState,
    meta: tsunagu_store::RequestMeta,
    auth: Auth,
    id: Option<AreaId>,
    form: AreaForm,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    let input = area_input(
        &mut errors,
        &form.name,
        &form.kana,
        &form.note,
        &form.municipality_ids,
        form.active.is_some(),
        &form.operation,
    );
    if errors.is_empty() {
        let mut tx = state.db.begin().await?;
        let result = match id {
            Some(id) => areas::update_area(&mut tx, &meta, &auth.actor, id, &input)
                .await
                .map(|()| id),
            None => areas::create_area(&mut tx, &meta, Some(&auth.actor), &input).await,
        };
        match result {
            Ok(_) => {
                tx.commit().await?;
                let notice = if id.is_some() { "saved" } else { "created" };
                return Ok(Redirect::to(&format!("/admin/areas?notice={notice}")).into_response());
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let title = if id.is_some() {
        "地域の編集"
    } else {
        "地域の作成"
    };
    let page = FormPage {
        layout: Layout::page(&auth, title, "/admin/areas"),
        id,
        form,
        errors,
        groups: region_groups(&state).await?,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "admin/municipalities.html")]
struct MunicipalitiesPage {
    layout: Layout,
    q: String,
    items: Vec<Municipality>,
    pager: Pager,
}

async fn municipalities(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let paging = Paging::new(
        Some(q.list.paging()?.limit.max(100)),
        q.list.paging()?.offset.into(),
    );
    let page = areas::municipalities(&state.db, q.list.q(), paging).await?;
    let text = q.list.q().unwrap_or_default().to_owned();
    let pager = Pager::new(
        &format!("/admin/municipalities?q={}&", qs(&text)),
        page.total,
        paging,
        page.items.len(),
    );
    let view = MunicipalitiesPage {
        layout: Layout::page(&auth, "市町村", "/admin/municipalities")
            .with_notice(q.notice.as_deref()),
        q: text,
        items: page.items,
        pager,
    };
    Ok(Html(view.render()?))
}

#[derive(Deserialize, Default)]
struct MunicipalityForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kana: String,
    #[serde(default)]
    region_id: String,
    #[serde(default)]
    active: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/municipality_form.html")]
struct MunicipalityPage {
    layout: Layout,
    municipality: Municipality,
    form: MunicipalityForm,
    errors: Errors,
    regions: Vec<Region>,
}

async fn municipality_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let m = areas::municipality(&state.db, MunicipalityId(id)).await?;
    let page = MunicipalityPage {
        layout: Layout::page(
            &auth,
            &format!("市町村：{}", m.name),
            "/admin/municipalities",
        ),
        form: MunicipalityForm {
            name: m.name.clone(),
            kana: m.kana.clone(),
            region_id: m.region_id.to_string(),
            active: m.active.then(|| "on".to_owned()),
        },
        municipality: m,
        errors: Errors::new(),
        regions: areas::regions(&state.db).await?,
    };
    Ok(Html(page.render()?))
}

async fn update_municipality(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<MunicipalityForm>,
) -> Result<Response, AppError> {
    let m = areas::municipality(&state.db, MunicipalityId(id)).await?;
    let mut errors = Errors::new();
    let name = errors.required_line("name", "市町村名", &form.name);
    let kana = errors.required_line("kana", "よみがな", &form.kana);
    let region = match form.region_id.trim().parse() {
        Ok(r) => RegionId(r),
        Err(_) => {
            errors.add("region_id", "圏域を選んでください。");
            m.region_id
        }
    };
    if errors.is_empty() {
        let mut tx = state.db.begin().await?;
        let change = areas::MunicipalityChange {
            region_id: region,
            name,
            kana,
            active: form.active.is_some(),
        };
        match areas::update_municipality(&mut tx, &meta, &auth.actor, m.id, &change).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(Redirect::to("/admin/municipalities?notice=saved").into_response());
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = MunicipalityPage {
        layout: Layout::page(
            &auth,
            &format!("市町村：{}", m.name),
            "/admin/municipalities",
        ),
        municipality: m,
        form,
        errors,
        regions: areas::regions(&state.db).await?,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
