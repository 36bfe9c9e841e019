//! The administrator's user screens: list, create, edit, disable, reset a password, API tokens.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tsunagu_domain::{validation::Errors, Role, UserId};
use tsunagu_store::{
    agencies::{self, AgencyRef},
    areas::{self, Area},
    tokens::{self, Token},
    users::{self, NewUser, UserChange, UserDetail},
};

use super::{check_assignment, parse_agency, parse_areas, parse_role};
use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::{Form, ListParams, Query},
    layout::{filters, qs, Layout, Pager},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/new", get(new_form))
        .route("/admin/users/{id}", get(show).post(update))
        .route(
            "/admin/users/{id}/status",
            get(confirm_status).post(set_status),
        )
        .route("/admin/users/{id}/password", post(reset_password))
        .route("/admin/users/{id}/staffing", post(save_staffing))
        .route("/admin/users/{id}/tokens", post(create_token))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    layout: Layout,
    q: String,
    users: Vec<UserDetail>,
    pager: Pager,
}

async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(params): Query<ListParams>,
) -> Result<Html<String>, AppError> {
    let paging = params.paging()?;
    let page = users::list(&state.db, params.q(), paging).await?;
    let q = params.q().unwrap_or_default().to_owned();
    let pager = Pager::new(
        &format!("/admin/users?q={}&", qs(&q)),
        page.total,
        paging,
        page.items.len(),
    );
    let view = ListPage {
        layout: Layout::page(&auth, "ユーザー管理", "/admin/users"),
        q,
        users: page.items,
        pager,
    };
    Ok(Html(view.render()?))
}

/// What the user form shows and sends back on an error.
#[derive(Deserialize, Default)]
struct UserForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    area_ids: Vec<String>,
    #[serde(default)]
    agency_id: String,
    #[serde(default)]
    password: String,
}

struct Choices {
    roles: Vec<(&'static str, &'static str)>,
    areas: Vec<Area>,
    agencies: Vec<AgencyRef>,
}

/// The form's choices; the agency offered is the one chosen, any other is found by name.
async fn choices(state: &AppState, agency: &str) -> Result<Choices, AppError> {
    let chosen: Vec<i64> = agency.trim().parse().into_iter().collect();
    Ok(Choices {
        roles: Role::ALL.iter().map(|r| (r.code(), r.label())).collect(),
        areas: areas::all_areas(&state.db).await?,
        agencies: agencies::by_ids(&state.db, &chosen).await?,
    })
}

#[derive(Template)]
#[template(path = "admin/user_new.html")]
struct NewPage {
    layout: Layout,
    form: UserForm,
    errors: Errors,
    choices: Choices,
}

impl NewPage {
    fn area_checked(&self, id: &tsunagu_domain::AreaId) -> bool {
        self.form
            .area_ids
            .iter()
            .any(|a| a.trim() == id.0.to_string())
    }
}

async fn new_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<Html<String>, AppError> {
    let view = NewPage {
        layout: Layout::page(&auth, "ユーザーの登録", "/admin/users"),
        form: UserForm {
            role: "coordinator".into(),
            ..UserForm::default()
        },
        errors: Errors::new(),
        choices: choices(&state, "").await?,
    };
    Ok(Html(view.render()?))
}

async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(mut form): Form<UserForm>,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    let login = errors.login("login", &form.login);
    let display_name = errors.required_line("display_name", "氏名", &form.display_name);
    let role = parse_role(&mut errors, &form.role);
    let area_ids = parse_areas(&mut errors, &form.area_ids);
    let agency_id = parse_agency(&mut errors, &form.agency_id);
    check_assignment(&mut errors, role, &area_ids, agency_id);
    errors.new_password("password", &form.password);
    if errors.is_empty() {
        let new = NewUser {
            login,
            display_name,
            role,
            area_ids,
            agency_id,
            password: form.password.clone(),
            must_change_password: true,
        };
        let mut tx = state.db.begin().await?;
        match users::create(&mut tx, &meta, Some(&auth.actor), new).await {
            Ok(id) => {
                tx.commit().await?;
                return Ok(
                    Redirect::to(&format!("/admin/users/{id}?notice=created")).into_response()
                );
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    form.password.clear();
    let view = NewPage {
        layout: Layout::page(&auth, "ユーザーの登録", "/admin/users"),
        choices: choices(&state, &form.agency_id).await?,
        form,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(view.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "admin/user_show.html")]
struct ShowPage {
    layout: Layout,
    user: UserDetail,
    form: UserForm,
    errors: Errors,
    choices: Choices,
    tokens: Vec<Token>,
    /// A token just created, shown this once.
    new_token: Option<String>,
    /// A coordinator's placement and absence.
    staffing: super::StaffingFields,
    staffing_errors: Errors,
    is_self: bool,
}

impl ShowPage {
    fn area_checked(&self, id: &tsunagu_domain::AreaId) -> bool {
        self.form
            .area_ids
            .iter()
            .any(|a| a.trim() == id.0.to_string())
    }
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    notice: Option<String>,
}

async fn show_page(
    state: &AppState,
    auth: &Auth,
    id: UserId,
    form: Option<UserForm>,
    errors: Errors,
    new_token: Option<String>,
    notice: Option<&str>,
) -> Result<ShowPage, AppError> {
    let user = users::detail(&state.db, id).await?;
    let form = form.unwrap_or_else(|| UserForm {
        login: user.user.login.clone(),
        display_name: user.user.display_name.clone(),
        role: user.user.role.code().to_owned(),
        area_ids: user.areas.iter().map(|a| a.id.to_string()).collect(),
        agency_id: user
            .user
            .agency_id
            .map(|a| a.to_string())
            .unwrap_or_default(),
        password: String::new(),
    });
    let tokens = tokens::list_for_user(&state.db, id).await?;
    let staffing = super::StaffingFields::of(&tsunagu_store::staffing::get(&state.db, id).await?);
    Ok(ShowPage {
        staffing,
        staffing_errors: Errors::new(),
        layout: Layout::page(
            auth,
            &format!("ユーザー：{}", user.user.display_name),
            "/admin/users",
        )
        .with_notice(notice),
        is_self: id == auth.actor.user_id,
        user,
        choices: choices(state, &form.agency_id).await?,
        form,
        errors,
        tokens,
        new_token,
    })
}

async fn show(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let page = show_page(
        &state,
        &auth,
        UserId(id),
        None,
        Errors::new(),
        None,
        q.notice.as_deref(),
    )
    .await?;
    Ok(Html(page.render()?))
}

async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<UserForm>,
) -> Result<Response, AppError> {
    let id = UserId(id);
    let mut errors = Errors::new();
    let display_name = errors.required_line("display_name", "氏名", &form.display_name);
    let role = parse_role(&mut errors, &form.role);
    let area_ids = parse_areas(&mut errors, &form.area_ids);
    let agency_id = parse_agency(&mut errors, &form.agency_id);
    check_assignment(&mut errors, role, &area_ids, agency_id);
    if id == auth.actor.user_id && role != Role::Admin {
        errors.add("role", "自分自身の管理者権限は外せません。");
    }
    if errors.is_empty() {
        let change = UserChange {
            display_name,
            role,
            area_ids,
            agency_id,
        };
        let mut tx = state.db.begin().await?;
        match users::update(&mut tx, &meta, &auth.actor, id, change).await {
            Ok(()) => {
                tx.commit().await?;
                return Ok(Redirect::to(&format!("/admin/users/{id}?notice=saved")).into_response());
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = show_page(&state, &auth, id, Some(form), errors, None, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "admin/user_status.html")]
struct StatusPage {
    layout: Layout,
    user: UserDetail,
}

/// The confirmation before an account is disabled (or enabled again).
async fn confirm_status(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let user = users::detail(&state.db, UserId(id)).await?;
    let page = StatusPage {
        layout: Layout::page(&auth, "アカウントの状態の変更", "/admin/users"),
        user,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize)]
struct StatusForm {
    #[serde(default)]
    disabled: String,
}

async fn set_status(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    let disabled = match form.disabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::BadRequest(
                "変更後の状態を指定してください。".into(),
            ))
        }
    };
    let mut tx = state.db.begin().await?;
    users::set_disabled(&mut tx, &meta, &auth.actor, UserId(id), disabled).await?;
    tx.commit().await?;
    let notice = if disabled { "disabled" } else { "enabled" };
    Ok(Redirect::to(&format!("/admin/users/{id}?notice={notice}")).into_response())
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    new_password: String,
}

async fn reset_password(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    let id = UserId(id);
    let mut errors = Errors::new();
    errors.new_password("new_password", &form.new_password);
    if errors.is_empty() {
        let mut tx = state.db.begin().await?;
        users::reset_password(&mut tx, &meta, &auth.actor, id, &form.new_password).await?;
        tx.commit().await?;
        return Ok(
            Redirect::to(&format!("/admin/users/{id}?notice=password_reset")).into_response(),
        );
    }
    let page = show_page(&state, &auth, id, None, errors, None, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    /// Days the token is valid (30, 90 or 365; 90 when not sent).
    #[serde(default)]
    expires_in: String,
}

async fn create_token(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    let id = UserId(id);
    let mut errors = Errors::new();
    let name = errors.required_line("name", "トークンの用途", &form.name);
    let days = match form.expires_in.trim() {
        "" => tokens::DEFAULT_VALIDITY.whole_days(),
        d => d.parse::<i64>().unwrap_or(0),
    };
    if !(1..=1095).contains(&days) {
        errors.add("expires_in", "有効期間を選んでください。");
    }
    if !errors.is_empty() {
        let page = show_page(&state, &auth, id, None, errors, None, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
    }
    users::get(&state.db, id).await?;
    let mut tx = state.db.begin().await?;
    let (_, token) = tokens::create(
        &mut tx,
        &meta,
        Some(&auth.actor),
        id,
        &name,
        time::Duration::days(days),
    )
    .await?;
    tx.commit().await?;
    // Shown in this response only; reloading the page does not show it again.
    let page = show_page(&state, &auth, id, None, Errors::new(), Some(token), None).await?;
    Ok(Html(page.render()?).into_response())
}

/// Records a coordinator's placement and absence; a refused form comes back as typed.
async fn save_staffing(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<super::StaffingFields>,
) -> Result<Response, AppError> {
    let id = UserId(id);
    let mut errors = Errors::new();
    match form.check() {
        Ok(s) => {
            let mut tx = state.db.begin().await?;
            match tsunagu_store::staffing::set(&mut tx, &meta, Some(&auth.actor), id, &s).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!(
                        "/admin/users/{id}?notice=staffing_saved#staffing"
                    ))
                    .into_response());
                }
                Err(e) => into_form_errors(&mut errors, e)?,
            }
        }
        Err(found) => errors = found,
    }
    let mut page = show_page(&state, &auth, id, None, Errors::new(), None, None).await?;
    page.staffing = form;
    page.staffing_errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
