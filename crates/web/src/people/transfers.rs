//! Transfers between areas (移管) on the web and the API: the proposal from the child's page,
//! the list of both areas' transfers, and the receiving area's accept or decline.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Json,
};
use serde::Deserialize;
use tsunagu_domain::{
    access::Purpose, people::TransferStatus, validation::Errors, AreaId, MunicipalityId, Role,
};
use tsunagu_store::{
    access,
    areas::{self, AreaDetail},
    children::{self, ChildId},
    transfers::{self, Decision, Proposal, Transfer},
    Page, Paging,
};

use crate::{
    agencies::parse_date,
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/transfer", get(propose_form).post(propose))
        .route("/transfers", get(list))
        .route("/transfers/{id}", get(show))
        .route("/transfers/{id}/accept", post(accept))
        .route("/transfers/{id}/decline", post(decline))
        .route("/transfers/{id}/withdraw", post(withdraw))
        .route("/api/v1/children/{id}/transfers", post(api_propose))
        .route("/api/v1/transfers", get(api_list))
        .route("/api/v1/transfers/{id}", get(api_show))
        .route("/api/v1/transfers/{id}/accept", post(api_accept))
        .route("/api/v1/transfers/{id}/decline", post(api_decline))
        .route("/api/v1/transfers/{id}/withdraw", post(api_withdraw))
}

/// A proposal as typed (form and API).
#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct TransferFields {
    /// The receiving area.
    pub to_area_id: String,
    /// The municipality the family moves to: one of the receiving area's.
    pub to_municipality_id: String,
    /// Why (転居, 進学先の地域…).
    pub reason: String,
    /// YYYY-MM-DD: the day the family agreed to the transfer.
    pub family_agreed_on: String,
    /// Who agreed and how (母・書面, 父・口頭…).
    pub family_agreement: String,
}

fn check(f: &TransferFields) -> Result<Proposal, AppError> {
    let mut e = Errors::new();
    let to_area = f.to_area_id.trim().parse().ok().map(AreaId);
    if to_area.is_none() {
        e.add("to_area_id", "移る先の地域を選んでください。");
    }
    let to_municipality = f.to_municipality_id.trim().parse().ok().map(MunicipalityId);
    if to_municipality.is_none() {
        e.add("to_municipality_id", "移る先の市町村を選んでください。");
    }
    let reason = e.optional_text("reason", "移管の理由", &f.reason);
    if reason.is_none() && e.get("reason").is_none() {
        e.add("reason", "移管の理由を入れてください。");
    }
    let agreed = parse_date(
        &mut e,
        "family_agreed_on",
        "家族の同意日",
        &f.family_agreed_on,
    );
    if agreed.is_none() && e.get("family_agreed_on").is_none() {
        e.add(
            "family_agreed_on",
            "家族が移管に同意した日を入れてください（同意のない移管はできません）。",
        );
    }
    let family_agreement = e.optional_line("family_agreement", "同意の内容", &f.family_agreement);
    e.into_result().map_err(AppError::Validation)?;
    match (to_area, to_municipality, agreed) {
        (Some(to_area), Some(to_municipality), Some(family_agreed_on)) => Ok(Proposal {
            to_area,
            to_municipality,
            reason: reason.unwrap_or_default(),
            family_agreed_on,
            family_agreement,
        }),
        _ => Err(AppError::invalid(
            "to_area_id",
            "入力内容を確認してください。",
        )),
    }
}

#[derive(Template)]
#[template(path = "people/transfer_form.html")]
struct ProposePage {
    layout: Layout,
    child_id: i64,
    child_name: String,
    from_area: String,
    areas: Vec<AreaDetail>,
    form: TransferFields,
    errors: Errors,
}

async fn propose_page(
    auth: &Auth,
    u: &mut Unit,
    id: i64,
    form: Option<TransferFields>,
    errors: Errors,
) -> Result<ProposePage, AppError> {
    let access = access::child(u, ChildId(id), Purpose::Write, "child.transfer.propose").await?;
    let name = children::display_name(u, &access).await?;
    let db = u.pool().await?;
    let all = areas::areas(&db, None, Paging::new(Some(Paging::MAX_LIMIT), None)).await?;
    let from_area = all
        .items
        .iter()
        .find(|a| a.area.id == access.area())
        .map(|a| a.area.name.clone())
        .unwrap_or_default();
    Ok(ProposePage {
        layout: Layout::page(auth, &format!("移管の提案：{name}"), "/children"),
        child_id: id,
        child_name: name,
        from_area,
        areas: all
            .items
            .into_iter()
            .filter(|a| a.area.active && a.area.id != access.area())
            .collect(),
        form: form.unwrap_or_else(|| TransferFields {
            family_agreed_on: crate::children::html::today().to_string(),
            ..TransferFields::default()
        }),
        errors,
    })
}

async fn propose_form(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    Ok(Html(
        propose_page(&auth, &mut u, id, None, Errors::new())
            .await?
            .render()?,
    ))
}

async fn propose(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<TransferFields>>,
) -> Result<Response, AppError> {
    let access = access::child(
        &mut u,
        ChildId(id),
        Purpose::Write,
        "child.transfer.propose",
    )
    .await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    match check(&form) {
        Ok(p) => match transfers::propose(&mut u, &access, &p).await {
            Ok(t) => {
                return Ok(
                    Redirect::to(&format!("/transfers/{t}?notice=transfer_proposed"))
                        .into_response(),
                )
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        },
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    let page = propose_page(&auth, &mut u, id, Some(form), errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "people/transfers.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Transfer>,
    my_areas: Vec<AreaId>,
}

impl ListPage {
    fn incoming(&self, t: &Transfer) -> bool {
        self.my_areas.contains(&AreaId(t.to_area_id))
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn list(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    if !matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(AppError::Forbidden);
    }
    let items = transfers::for_my_areas(&mut u).await?;
    let page = ListPage {
        layout: Layout::page(&auth, "移管", super::menu_place(&auth))
            .with_notice(q.notice.as_deref()),
        items,
        my_areas: auth.actor.area_ids.clone(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "people/transfer.html")]
struct ShowPage {
    layout: Layout,
    t: Transfer,
    /// A coordinator of the receiving area, while it waits.
    may_decide: bool,
    /// A coordinator of the sending area, while it waits.
    may_withdraw: bool,
    /// The user's areas now hold the record.
    holds_record: bool,
    decline_reason: String,
    errors: Errors,
}

async fn show_page(
    auth: &Auth,
    u: &mut Unit,
    id: i64,
    decline_reason: String,
    errors: Errors,
    notice: Option<&str>,
) -> Result<ShowPage, AppError> {
    let t = transfers::get(u, id).await?;
    let waiting = t.status == TransferStatus::Proposed;
    let coordinator = auth.actor.role == Role::Coordinator;
    let holds_record = if t.status == TransferStatus::Accepted {
        auth.actor.serves_area(AreaId(t.to_area_id))
    } else {
        auth.actor.serves_area(AreaId(t.from_area_id))
    };
    Ok(ShowPage {
        layout: Layout::page(
            auth,
            &format!("移管：{}", t.child_name),
            super::menu_place(auth),
        )
        .with_notice(notice),
        may_decide: waiting && coordinator && auth.actor.serves_area(AreaId(t.to_area_id)),
        may_withdraw: waiting && coordinator && auth.actor.serves_area(AreaId(t.from_area_id)),
        holds_record,
        t,
        decline_reason,
        errors,
    })
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let page = show_page(
        &auth,
        &mut u,
        id,
        String::new(),
        Errors::new(),
        q.notice.as_deref(),
    )
    .await?;
    Ok(Html(page.render()?))
}

async fn accept(mut u: Unit, Path(id): Path<i64>) -> Result<Response, AppError> {
    transfers::decide(&mut u, id, Decision::Accept).await?;
    let t = transfers::get(&mut u, id).await?;
    Ok(Redirect::to(&format!(
        "/children/{}?notice=transfer_accepted",
        t.child_id
    ))
    .into_response())
}

#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
#[serde(default)]
pub struct DeclineFields {
    /// Why the receiving area cannot take the child.
    pub reason: String,
}

async fn decline(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<DeclineFields>>,
) -> Result<Response, AppError> {
    transfers::may_decide(&mut u, id, "child.transfer.decline").await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    match transfers::decide(
        &mut u,
        id,
        Decision::Decline {
            reason: form.reason.clone(),
        },
    )
    .await
    {
        Ok(()) => return Ok(Redirect::to("/transfers?notice=transfer_declined").into_response()),
        Err(e) => into_form_errors(&mut errors, e)?,
    }
    let page = show_page(&auth, &mut u, id, form.reason, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn withdraw(mut u: Unit, Path(id): Path<i64>) -> Result<Response, AppError> {
    transfers::withdraw(&mut u, id).await?;
    Ok(Redirect::to(&format!("/transfers/{id}?notice=saved")).into_response())
}

/// Propose moving the child to another area (coordinators of the child's area). The receiving
/// area's coordinators accept or decline it.
#[utoipa::path(post, path = "/api/v1/children/{id}/transfers", tag = "people", params(("id" = i64, Path)), request_body = TransferFields,
    responses((status = 201, body = Transfer), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_propose(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<TransferFields>>,
) -> Result<(StatusCode, Json<Transfer>), AppError> {
    let access = access::child(
        &mut u,
        ChildId(id),
        Purpose::Write,
        "child.transfer.propose",
    )
    .await?;
    let JsonBody(body) = body.parse()?;
    let p = check(&body)?;
    let t = transfers::propose(&mut u, &access, &p).await?;
    Ok((StatusCode::CREATED, Json(transfers::get(&mut u, t).await?)))
}

/// The transfers into or out of the user's areas, waiting ones first.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "people",
    responses((status = 200, body = Page<Transfer>), (status = 401, body = crate::api::ErrorResponse)))]
pub async fn api_list(mut u: Unit) -> Result<Json<Page<Transfer>>, AppError> {
    let items = transfers::for_my_areas(&mut u).await?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}

/// One transfer (the staff of either area).
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = Transfer), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_show(mut u: Unit, Path(id): Path<i64>) -> Result<Json<Transfer>, AppError> {
    Ok(Json(transfers::get(&mut u, id).await?))
}

/// Accept a waiting transfer (coordinators of the receiving area): the record moves, the
/// consents in force end, and the accepting coordinator becomes 担当.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/accept", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = Transfer), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_accept(mut u: Unit, Path(id): Path<i64>) -> Result<Json<Transfer>, AppError> {
    transfers::decide(&mut u, id, Decision::Accept).await?;
    Ok(Json(transfers::get(&mut u, id).await?))
}

/// Decline a waiting transfer with the reason (coordinators of the receiving area).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/decline", tag = "people", params(("id" = i64, Path)), request_body = DeclineFields,
    responses((status = 200, body = Transfer), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_decline(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<DeclineFields>>,
) -> Result<Json<Transfer>, AppError> {
    transfers::may_decide(&mut u, id, "child.transfer.decline").await?;
    let JsonBody(body) = body.parse()?;
    transfers::decide(
        &mut u,
        id,
        Decision::Decline {
            reason: body.reason,
        },
    )
    .await?;
    Ok(Json(transfers::get(&mut u, id).await?))
}

/// Withdraw a waiting transfer (coordinators of the sending area).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/withdraw", tag = "people", params(("id" = i64, Path)),
    responses((status = 200, body = Transfer), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_withdraw(mut u: Unit, Path(id): Path<i64>) -> Result<Json<Transfer>, AppError> {
    transfers::withdraw(&mut u, id).await?;
    Ok(Json(transfers::get(&mut u, id).await?))
}
