//! The people around a child's record: care-team memberships, possible duplicates and merges, siblings.

use askama::Template;
use axum::{
    extract::Path,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tsunagu_domain::{access::Purpose, validation::Errors, AgencyId};
use tsunagu_store::{
    access,
    children::{self, ChildId, ChildView, NewTeamMember},
};

use super::html::*;
use crate::{
    agencies::parse_date,
    auth::Auth,
    extract::{Deferred, Form},
    layout::Layout,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/team", post(add_member))
        .route("/children/{id}/team/{member}/end", post(end_member))
        .route("/children/{id}/duplicates", post(raise_duplicate))
        .route(
            "/children/{id}/duplicates/{flag}/merge",
            get(confirm_merge).post(merge),
        )
        .route(
            "/children/{id}/duplicates/{flag}/distinct",
            post(mark_distinct),
        )
        .route("/children/{id}/siblings", post(link_sibling))
}

/// A care-team membership as typed (form and API).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct MemberFields {
    pub agency_id: String,
    /// 担任, 保健師, 主治医, 相談支援専門員, 児発管…
    pub role: String,
    /// The named person at the agency.
    pub person: String,
    /// YYYY-MM-DD; today if empty.
    pub from_on: String,
    /// Present (any value) when the family agreed to share with this member.
    pub family_agreed: Option<String>,
}

pub fn check_member(form: &MemberFields) -> Result<NewTeamMember, AppError> {
    let mut e = Errors::new();
    let agency_id = match form.agency_id.trim().parse() {
        Ok(n) => AgencyId(n),
        Err(_) => {
            e.add("agency_id", "関係機関を選んでください。");
            AgencyId(0)
        }
    };
    let role = e
        .optional_line("role", "役割", &form.role)
        .unwrap_or_default();
    let person = e.optional_line("person", "担当者", &form.person);
    let from = parse_date(&mut e, "from_on", "開始日", &form.from_on).unwrap_or_else(today);
    e.into_result().map_err(AppError::Validation)?;
    let family_agreed = form
        .family_agreed
        .as_deref()
        .is_some_and(|v| !v.is_empty() && v != "false");
    Ok(NewTeamMember {
        agency_id,
        role,
        person,
        from,
        family_agreed,
    })
}

async fn add_member(
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<MemberFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "care_team.add").await?;
    let Form(form) = form.parse()?;
    let member = check_member(&form)?;
    children::add_team_member(&mut u, &access, &member).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=saved#care-team")).into_response())
}

async fn end_member(
    mut u: Unit,
    Path((id, member)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "care_team.end").await?;
    children::end_team_member(&mut u, &access, member, today()).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=saved#care-team")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RaiseForm {
    other_child_id: String,
    note: String,
}

async fn raise_duplicate(
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<RaiseForm>>,
) -> Result<Response, AppError> {
    let one = access::child(&mut u, ChildId(id), Purpose::Write, "duplicate.raise").await?;
    let Form(form) = form.parse()?;
    let other = form
        .other_child_id
        .trim()
        .parse()
        .map(ChildId)
        .map_err(|_| {
            AppError::invalid(
                "other_child_id",
                "相手の記録を名前で探して、見つかった子どもを選んでください。",
            )
        })?;
    let mut e = Errors::new();
    let note = e.optional_line("note", "メモ", &form.note);
    e.into_result().map_err(AppError::Validation)?;
    let other = access::child(&mut u, other, Purpose::Write, "duplicate.raise").await?;
    tsunagu_store::duplicates::raise(&mut u, &one, &other, note.as_deref()).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=saved#duplicates")).into_response())
}

#[derive(Template)]
#[template(path = "children/merge.html")]
struct MergePage {
    layout: Layout,
    v: ChildView,
    other: ChildView,
    flag: i64,
}

async fn confirm_merge(
    auth: Auth,
    mut u: Unit,
    Path((id, flag)): Path<(i64, i64)>,
) -> Result<Html<String>, AppError> {
    let (a, b) = tsunagu_store::duplicates::pair(&mut u, flag, "child.merge").await?;
    if a.child().0 != id && b.child().0 != id {
        return Err(AppError::NotFound);
    }
    let other = if a.child().0 == id {
        b.child()
    } else {
        a.child()
    };
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    let seen = access::record(&mut u, other).await?;
    let other = children::view(&mut u, seen).await?;
    let page = MergePage {
        layout: Layout::page(&auth, "記録の統合", "/children"),
        v,
        other,
        flag,
    };
    Ok(Html(page.render()?))
}

async fn merge(mut u: Unit, Path((id, flag)): Path<(i64, i64)>) -> Result<Response, AppError> {
    tsunagu_store::duplicates::merge(&mut u, flag, ChildId(id)).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=merged")).into_response())
}

async fn mark_distinct(
    mut u: Unit,
    Path((id, flag)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (a, b) = tsunagu_store::duplicates::pair(&mut u, flag, "duplicate.decide").await?;
    if a.child().0 != id && b.child().0 != id {
        return Err(AppError::NotFound);
    }
    tsunagu_store::duplicates::mark_distinct(&mut u, flag).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=saved#duplicates")).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SiblingForm {
    sibling_id: String,
}

async fn link_sibling(
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<SiblingForm>>,
) -> Result<Response, AppError> {
    let one = access::child(&mut u, ChildId(id), Purpose::Write, "child.sibling").await?;
    let Form(form) = form.parse()?;
    let other = form.sibling_id.trim().parse().map(ChildId).map_err(|_| {
        AppError::invalid(
            "sibling_id",
            "きょうだいを名前で探して、見つかった子どもを選んでください。",
        )
    })?;
    let other = access::child(&mut u, other, Purpose::Write, "child.sibling").await?;
    children::link_sibling(&mut u, &one, &other).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=saved#siblings")).into_response())
}
