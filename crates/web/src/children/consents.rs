//! Consents and the legal basis on the child's record: recording and revoking.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tsunagu_domain::{
    access::{Purpose, SharePart},
    validation::Errors,
    AgencyId,
};
use tsunagu_store::{
    access,
    agencies::{self, AgencyKind, AgencyRef},
    children::{self, ChildId, ChildView},
    consents::{self, ConsentInput},
};

use super::html::*;
use crate::{
    agencies::parse_date,
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form},
    layout::Layout,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children/{id}/consents", post(add_consent))
        .route("/children/{id}/consents/new", get(consent_form))
        .route(
            "/children/{id}/consents/{consent}/revoke",
            get(confirm_revoke).post(revoke),
        )
}

/// A consent as typed.
#[derive(Deserialize, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ConsentFields {
    /// consent or legal
    pub basis: String,
    pub guardian_name: String,
    /// Part codes: profile, accommodations, care_team, consultations, documents.
    pub parts: Vec<String>,
    pub agency_ids: Vec<String>,
    pub agency_kind_ids: Vec<String>,
    pub valid_from: String,
    pub valid_to: String,
    /// written or oral
    pub obtained: String,
    pub note: String,
    /// The scanned consent form: one of the child's attachment ids.
    pub attachment_id: String,
}

pub fn check_consent(f: &ConsentFields) -> (ConsentInput, Errors) {
    let mut e = Errors::new();
    let legal = f.basis == "legal";
    let parts: Vec<SharePart> = f
        .parts
        .iter()
        .filter_map(|p| SharePart::from_code(p.trim()))
        .collect();
    if parts.is_empty() {
        e.add("parts", "共有する内容を1つ以上選んでください。");
    }
    let agency_ids: Vec<AgencyId> = f
        .agency_ids
        .iter()
        .filter_map(|a| a.trim().parse().ok())
        .map(AgencyId)
        .collect();
    let agency_kind_ids: Vec<i64> = f
        .agency_kind_ids
        .iter()
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    if agency_ids.is_empty() && agency_kind_ids.is_empty() {
        e.add(
            "agency_ids",
            "共有先の機関（または機関種別）を1つ以上選んでください。",
        );
    }
    let valid_from =
        parse_date(&mut e, "valid_from", "開始日", &f.valid_from).unwrap_or_else(today);
    let valid_to = parse_date(&mut e, "valid_to", "終了日", &f.valid_to);
    if valid_to.is_some_and(|t| t < valid_from) {
        e.add("valid_to", "終了日は開始日より後にしてください。");
    }
    let guardian_name = e.optional_line("guardian_name", "同意した保護者", &f.guardian_name);
    if !legal && guardian_name.is_none() {
        e.add("guardian_name", "同意した保護者の氏名を入力してください。");
    }
    let obtained = if f.obtained == "oral" {
        "oral"
    } else {
        "written"
    }
    .to_owned();
    let note = e.optional_text("note", "備考", &f.note);
    (
        ConsentInput {
            legal,
            guardian_name,
            parts,
            agency_ids,
            agency_kind_ids,
            valid_from,
            valid_to,
            obtained,
            council_id: None,
            note,
            attachment_id: f.attachment_id.trim().parse().ok(),
        },
        e,
    )
}

#[derive(Template)]
#[template(path = "children/consent_form.html")]
struct ConsentPage {
    layout: Layout,
    v: ChildView,
    form: ConsentFields,
    errors: Errors,
    agencies: Vec<AgencyRef>,
    kinds: Vec<AgencyKind>,
    parts: Vec<(&'static str, &'static str)>,
    attachments: Vec<tsunagu_store::attachments::Attachment>,
}

impl ConsentPage {
    fn has(&self, list: &[String], value: &str) -> bool {
        list.iter().any(|v| v == value)
    }
}

async fn consent_page(
    u: &mut Unit,
    auth: &Auth,
    id: i64,
    form: ConsentFields,
    errors: Errors,
) -> Result<ConsentPage, AppError> {
    access::child(u, ChildId(id), Purpose::Write, "consent.create").await?;
    let seen = access::record(u, ChildId(id)).await?;
    let v = children::view(u, seen).await?;
    let attachments = tsunagu_store::attachments::list(u, &v.access).await?;
    // Offered without a search: the agencies already chosen and those of the care team. Any
    // other is found by name; the prefecture's thousands are never listed.
    let mut ids: Vec<i64> = form
        .agency_ids
        .iter()
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    ids.extend(
        v.care_team
            .iter()
            .filter(|t| t.to_on.is_none())
            .map(|t| t.agency_id),
    );
    ids.sort_unstable();
    ids.dedup();
    let agencies = agencies::by_ids(&mut **u, &ids).await?;
    Ok(ConsentPage {
        layout: Layout::page(auth, "同意・情報共有の記録", "/children"),
        v,
        form,
        errors,
        agencies,
        kinds: agencies::kinds(&mut **u).await?,
        parts: SharePart::ALL
            .iter()
            .map(|p| (p.code(), p.label()))
            .collect(),
        attachments,
    })
}

async fn consent_form(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let form = ConsentFields {
        basis: "consent".into(),
        obtained: "written".into(),
        valid_from: today().to_string(),
        parts: vec!["profile".into(), "accommodations".into()],
        ..ConsentFields::default()
    };
    Ok(Html(
        consent_page(&mut u, &auth, id, form, Errors::new())
            .await?
            .render()?,
    ))
}

async fn add_consent(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<ConsentFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "consent.create").await?;
    let Form(form) = form.parse()?;
    let (input, mut errors) = check_consent(&form);
    if errors.is_empty() {
        match consents::create(&mut u, &access, &input).await {
            Ok(_) => {
                return Ok(Redirect::to(&format!("/children/{id}?notice=saved")).into_response())
            }
            Err(e @ (tsunagu_store::Error::NotFound | tsunagu_store::Error::Forbidden)) => {
                return Err(e.into())
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = consent_page(&mut u, &auth, id, form, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "children/revoke.html")]
struct RevokePage {
    layout: Layout,
    v: ChildView,
    consent: tsunagu_store::children::Consent,
}

async fn confirm_revoke(
    auth: Auth,
    mut u: Unit,
    Path((id, consent)): Path<(i64, i64)>,
) -> Result<Html<String>, AppError> {
    access::child(&mut u, ChildId(id), Purpose::Write, "consent.revoke").await?;
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    let consent = v
        .consents
        .iter()
        .find(|c| c.id.0 == consent && c.revoked_on.is_none())
        .cloned()
        .ok_or(AppError::NotFound)?;
    let page = RevokePage {
        layout: Layout::page(&auth, "同意の撤回", "/children"),
        v,
        consent,
    };
    Ok(Html(page.render()?))
}

async fn revoke(mut u: Unit, Path((id, consent)): Path<(i64, i64)>) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "consent.revoke").await?;
    consents::revoke(&mut u, &access, consent, today()).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=revoked_consent")).into_response())
}
