//! Secondary difficulties (二次障害) on the child: the form to record or update one, and the API.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, put},
    Json,
};
use serde::Deserialize;
use tsunagu_domain::{
    access::Purpose,
    people::{DifficultyKind, DifficultyStatus},
    validation::Errors,
};
use tsunagu_store::{
    access,
    children::{self, CareTeamMember, ChildId},
    difficulties::{self, Difficulty, DifficultyInput},
    Page,
};

use crate::{
    agencies::parse_date,
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody},
    layout::Layout,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/difficulties/new", get(new_form))
        .route("/children/{id}/difficulties", axum::routing::post(create))
        .route(
            "/children/{id}/difficulties/{did}",
            get(edit_form).post(update),
        )
        .route(
            "/api/v1/children/{id}/difficulties",
            get(api_list).post(api_create),
        )
        .route("/api/v1/children/{id}/difficulties/{did}", put(api_update))
}

/// A secondary difficulty as typed (form and API).
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct DifficultyFields {
    /// school_refusal, self_harm, depression, anxiety, behaviour, other
    pub kind: String,
    /// What it is (required for other).
    pub detail: String,
    /// YYYY-MM-DD or YYYY-MM: when it began, as far as known.
    pub onset_on: String,
    /// watching (default), supporting, eased, resolved
    pub status: String,
    /// The care-team member following it (its id on the child's care team).
    pub followed_by_member_id: String,
    pub note: String,
    /// Present (any value but "false") when the family agreed to it being in the support file.
    pub in_support_file: Option<String>,
}

fn check(f: &DifficultyFields) -> Result<DifficultyInput, AppError> {
    let mut e = Errors::new();
    let kind = DifficultyKind::from_code(f.kind.trim()).unwrap_or_else(|| {
        e.add("kind", "二次障害の種類を選んでください。");
        DifficultyKind::Other
    });
    let status = match f.status.trim() {
        "" => DifficultyStatus::Watching,
        s => DifficultyStatus::from_code(s).unwrap_or_else(|| {
            e.add("status", "状態を選んでください。");
            DifficultyStatus::Watching
        }),
    };
    let detail = e.optional_line("detail", "内容", &f.detail);
    // A month alone (2026-09) is the first of the month: families often know no more.
    let onset_text = f.onset_on.trim();
    let onset_on = if onset_text.len() == 7 && onset_text.as_bytes().get(4) == Some(&b'-') {
        parse_date(
            &mut e,
            "onset_on",
            "始まった時期",
            &format!("{onset_text}-01"),
        )
    } else {
        parse_date(&mut e, "onset_on", "始まった時期", onset_text)
    };
    let followed_by_member_id = match f.followed_by_member_id.trim() {
        "" => None,
        m => match m.parse() {
            Ok(n) => Some(n),
            Err(_) => {
                e.add(
                    "followed_by_member_id",
                    "経過を見る機関を選び直してください。",
                );
                None
            }
        },
    };
    let note = e.optional_text("note", "経過・メモ", &f.note);
    e.into_result().map_err(AppError::Validation)?;
    Ok(DifficultyInput {
        kind,
        detail,
        onset_on,
        status,
        followed_by_member_id,
        note,
        in_support_file: f
            .in_support_file
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "false"),
    })
}

#[derive(Template)]
#[template(path = "people/difficulty_form.html")]
struct FormPage {
    layout: Layout,
    child_id: i64,
    child_name: String,
    /// The difficulty being changed; `None` for a new one.
    id: Option<i64>,
    team: Vec<CareTeamMember>,
    kinds: &'static [DifficultyKind],
    statuses: &'static [DifficultyStatus],
    form: DifficultyFields,
    errors: Errors,
}

async fn form_page(
    auth: &Auth,
    u: &mut Unit,
    child: i64,
    id: Option<i64>,
    form: Option<DifficultyFields>,
    errors: Errors,
) -> Result<FormPage, AppError> {
    let access = access::child(u, ChildId(child), Purpose::Write, "difficulty.read").await?;
    let view = children::view(u, access.clone()).await?;
    let form = match (form, id) {
        (Some(f), _) => f,
        (None, Some(id)) => {
            let d = difficulties::for_child(u, &access)
                .await?
                .into_iter()
                .find(|d| d.id == id)
                .ok_or(AppError::NotFound)?;
            DifficultyFields {
                kind: d.kind.code().to_owned(),
                detail: d.detail.unwrap_or_default(),
                onset_on: d.onset_on.map(|d| d.to_string()).unwrap_or_default(),
                status: d.status.code().to_owned(),
                followed_by_member_id: d
                    .followed_by_member_id
                    .map(|m| m.to_string())
                    .unwrap_or_default(),
                note: d.note.unwrap_or_default(),
                in_support_file: d.in_support_file.then(|| "on".to_owned()),
            }
        }
        (None, None) => DifficultyFields::default(),
    };
    Ok(FormPage {
        layout: Layout::page(
            auth,
            &format!("二次障害：{}", view.child.name()),
            "/children",
        ),
        child_id: child,
        child_name: view.child.name(),
        id,
        team: view
            .care_team
            .into_iter()
            .filter(|m| m.to_on.is_none())
            .collect(),
        kinds: DifficultyKind::ALL,
        statuses: DifficultyStatus::ALL,
        form,
        errors,
    })
}

async fn new_form(auth: Auth, mut u: Unit, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    Ok(Html(
        form_page(&auth, &mut u, id, None, None, Errors::new())
            .await?
            .render()?,
    ))
}

async fn edit_form(
    auth: Auth,
    mut u: Unit,
    Path((id, did)): Path<(i64, i64)>,
) -> Result<Html<String>, AppError> {
    Ok(Html(
        form_page(&auth, &mut u, id, Some(did), None, Errors::new())
            .await?
            .render()?,
    ))
}

async fn save(
    auth: Auth,
    mut u: Unit,
    child: i64,
    id: Option<i64>,
    form: Deferred<Form<DifficultyFields>>,
) -> Result<Response, AppError> {
    let action = if id.is_some() {
        "difficulty.update"
    } else {
        "difficulty.add"
    };
    let access = access::child(&mut u, ChildId(child), Purpose::Write, action).await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    match check(&form) {
        Ok(input) => {
            let done = match id {
                Some(id) => difficulties::update(&mut u, &access, id, &input).await,
                None => difficulties::add(&mut u, &access, &input).await.map(|_| ()),
            };
            match done {
                Ok(()) => {
                    return Ok(Redirect::to(&format!(
                        "/children/{child}?notice=saved#difficulties"
                    ))
                    .into_response())
                }
                Err(e) => into_form_errors(&mut errors, e)?,
            }
        }
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    let page = form_page(&auth, &mut u, child, id, Some(form), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn create(
    auth: Auth,
    u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<DifficultyFields>>,
) -> Result<Response, AppError> {
    save(auth, u, id, None, form).await
}

async fn update(
    auth: Auth,
    u: Unit,
    Path((id, did)): Path<(i64, i64)>,
    form: Deferred<Form<DifficultyFields>>,
) -> Result<Response, AppError> {
    save(auth, u, id, Some(did), form).await
}

/// The child's secondary difficulties (the area's staff; an agency that sees the profile, those
/// its agency follows).
#[utoipa::path(get, path = "/api/v1/children/{id}/difficulties", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = Page<Difficulty>), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_list(
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Json<Page<Difficulty>>, AppError> {
    let access = access::record(&mut u, ChildId(id)).await?;
    let items = difficulties::for_child(&mut u, &access).await?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}

/// Record a secondary difficulty on the child (coordinators of the area).
#[utoipa::path(post, path = "/api/v1/children/{id}/difficulties", tag = "people", params(("id" = i64, Path)), request_body = DifficultyFields,
    responses((status = 201, body = Difficulty), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<DifficultyFields>>,
) -> Result<(StatusCode, Json<Difficulty>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "difficulty.add").await?;
    let JsonBody(body) = body.parse()?;
    let input = check(&body)?;
    let did = difficulties::add(&mut u, &access, &input).await?;
    let found = difficulties::for_child(&mut u, &access)
        .await?
        .into_iter()
        .find(|d| d.id == did)
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, Json(found)))
}

/// Change a secondary difficulty (its state, who follows it…); a change of state is on the timeline.
#[utoipa::path(put, path = "/api/v1/children/{id}/difficulties/{did}", tag = "people", params(("id" = i64, Path), ("did" = i64, Path)),
    request_body = DifficultyFields,
    responses((status = 200, body = Difficulty), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update(
    mut u: Unit,
    Path((id, did)): Path<(i64, i64)>,
    body: Deferred<JsonBody<DifficultyFields>>,
) -> Result<Json<Difficulty>, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "difficulty.update").await?;
    let JsonBody(body) = body.parse()?;
    let input = check(&body)?;
    difficulties::update(&mut u, &access, did, &input).await?;
    let found = difficulties::for_child(&mut u, &access)
        .await?
        .into_iter()
        .find(|d| d.id == did)
        .ok_or(AppError::NotFound)?;
    Ok(Json(found))
}
