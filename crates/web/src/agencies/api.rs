//! `/api/v1/agencies` and `/api/v1/agency-kinds`: the directory for other programs. The list takes
//! the screen's filters; `Accept: text/csv` answers the screen's CSV.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json,
};
use tsunagu_domain::{
    directory::{directory_access, DirectoryAccess},
    AgencyId,
};
use tsunagu_store::{
    agencies::{self, AgencyDetail, AgencyKind},
    Page,
};

use super::{html::csv_response, to_csv, validate, AgencyFields, FilterParams, Lookups};
use crate::{
    auth::{Auth, Meta},
    extract::{Deferred, Json as JsonBody, MergePatch, Query},
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agencies", get(list).post(create))
        .route("/api/v1/agencies/{id}", get(show).put(update).patch(patch))
        .route("/api/v1/agency-kinds", get(kinds))
}

/// An agency as the API writes it: the shape `GET /api/v1/agencies/{id}` answers, typed, so a
/// body read can be sent back as it is. Read-only members of the answer (`id`, `kind_name`,
/// `sector`, `municipality_name`, `active`, `closed_on`, `home_areas`, `staff`, `councils`,
/// `version`) are ignored; the version travels in `If-Match`.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AgencyBody {
    pub name: String,
    pub kana: String,
    /// See `/api/v1/agency-kinds`.
    pub kind_id: Option<i64>,
    /// See `/api/v1/municipalities`.
    pub municipality_id: Option<i64>,
    pub postal_code: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub hours: Option<String>,
    pub age_from: Option<i64>,
    pub age_to: Option<i64>,
    pub needs_served: Option<String>,
    pub capacity_note: Option<String>,
    /// YYYY-MM-DD
    pub capacity_checked_on: Option<String>,
    pub notes: Option<String>,
    /// Services from the controlled list, or free tags.
    pub services: Vec<String>,
    pub contacts: Vec<ContactBody>,
    /// Further areas served (beyond those of its municipality).
    pub served_areas: Vec<AreaRef>,
}

#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ContactBody {
    pub name: String,
    pub role: Option<String>,
}

/// An area named by id (a `name` beside it, as `GET` answers, is ignored).
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AreaRef {
    pub id: i64,
}

impl AgencyBody {
    /// The same values in the form's shape, for the one set of checks forms and the API share.
    fn fields(&self) -> AgencyFields {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let number = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        let (listed, other): (Vec<String>, Vec<String>) = self
            .services
            .iter()
            .map(|s| tsunagu_domain::directory::current_service(s).to_owned())
            .partition(|s| tsunagu_domain::directory::SERVICES.contains(&s.as_str()));
        AgencyFields {
            name: self.name.clone(),
            kana: self.kana.clone(),
            kind_id: number(self.kind_id),
            municipality_id: number(self.municipality_id),
            postal_code: text(&self.postal_code),
            address: text(&self.address),
            phone: text(&self.phone),
            fax: text(&self.fax),
            email: text(&self.email),
            website: text(&self.website),
            hours: text(&self.hours),
            age_from: number(self.age_from),
            age_to: number(self.age_to),
            needs_served: text(&self.needs_served),
            services: listed,
            other_services: other.join("、"),
            contacts: self
                .contacts
                .iter()
                .map(|c| {
                    super::format_contact(&tsunagu_store::agencies::Contact {
                        name: c.name.clone(),
                        role: c.role.clone().filter(|r| !r.trim().is_empty()),
                    })
                })
                .collect::<Vec<_>>()
                .join("\n"),
            capacity_note: text(&self.capacity_note),
            capacity_checked_on: text(&self.capacity_checked_on),
            notes: text(&self.notes),
            served_area_ids: self.served_areas.iter().map(|a| a.id.to_string()).collect(),
            version: String::new(),
        }
    }
}

/// An agency's answer with its version as the `ETag`.
fn versioned(d: AgencyDetail, status: StatusCode) -> Response {
    let tag = crate::versions::etag(d.agency.version);
    let mut response = (status, Json(d)).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    response
}

fn may_read(auth: &Auth) -> Result<(), AppError> {
    match directory_access(&auth.actor) {
        DirectoryAccess::Read => Ok(()),
        DirectoryAccess::CountsOnly => Err(AppError::Forbidden),
    }
}

/// Agencies matching the filters (no area filter unless `area_id` is given).
#[utoipa::path(get, path = "/api/v1/agencies", tag = "directory", params(FilterParams),
    responses((status = 200, body = Page<tsunagu_store::agencies::Agency>, description = "JSON, or CSV with Accept: text/csv"),
        (status = 403, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    headers: HeaderMap,
    Query(f): Query<FilterParams>,
) -> Result<Response, AppError> {
    may_read(&auth)?;
    let filter = f.filter(None)?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    if wants_csv {
        let all = agencies::list(
            &state.db,
            &filter,
            tsunagu_store::Paging {
                limit: super::MAX_ROWS as i64,
                offset: 0,
            },
        )
        .await?;
        return csv_response(to_csv(&all.items)?);
    }
    Ok(Json(agencies::list(&state.db, &filter, f.paging()?).await?).into_response())
}

/// One agency with its areas, staff and councils.
#[utoipa::path(get, path = "/api/v1/agencies/{id}", tag = "directory", params(("id" = i64, Path)),
    responses((status = 200, body = AgencyDetail), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn show(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    may_read(&auth)?;
    Ok(versioned(
        agencies::get(&state.db, AgencyId(id)).await?,
        StatusCode::OK,
    ))
}

async fn checked(
    state: &AppState,
    fields: &AgencyFields,
    except: Option<i64>,
) -> Result<tsunagu_store::agencies::AgencyInput, AppError> {
    let lookups = Lookups::load(&state.db).await?;
    let (input, mut errors) = validate(fields, &lookups);
    if errors.is_empty() {
        if let Some(dup) =
            agencies::find_duplicate(&state.db, &input.name, input.address.as_deref()).await?
        {
            if Some(dup.id.0) != except {
                errors.add("name", "同じ名称・住所の機関がすでに登録されています。");
            }
        }
    }
    errors.into_result().map_err(AppError::Validation)?;
    Ok(input)
}

/// Register an agency (coordinators and supervisors in their areas, admins anywhere).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "directory", request_body = AgencyBody,
    responses((status = 201, body = AgencyDetail), (status = 403, body = crate::api::ErrorResponse),
        (status = 422, body = crate::api::ErrorResponse)))]
pub async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    body: Deferred<JsonBody<AgencyBody>>,
) -> Result<Response, AppError> {
    agencies::may_change(&state.db, &meta, &auth.actor, None).await?;
    let JsonBody(body) = body.parse()?;
    let input = checked(&state, &body.fields(), None).await?;
    let id = agencies::create(&state.db, &meta, &auth.actor, &input).await?;
    Ok(versioned(
        agencies::get(&state.db, id).await?,
        StatusCode::CREATED,
    ))
}

/// Replace an agency: the body `GET` answered, changed; `If-Match` names the version read
/// (412 with the current version when it moved, 428 without it).
#[utoipa::path(put, path = "/api/v1/agencies/{id}", tag = "directory", params(("id" = i64, Path),
        ("If-Match" = String, Header, description = "the ETag of the version read")), request_body = AgencyBody,
    responses((status = 200, body = AgencyDetail), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 412, body = crate::api::ErrorResponse),
        (status = 422, body = crate::api::ErrorResponse), (status = 428, body = crate::api::ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<AgencyBody>>,
) -> Result<Response, AppError> {
    agencies::may_change(&state.db, &meta, &auth.actor, Some(AgencyId(id))).await?;
    let expected = crate::versions::if_match(&headers)?;
    let JsonBody(body) = body.parse()?;
    save(&state, &meta, &auth, id, &body, expected).await
}

/// Change some of an agency's members (JSON Merge Patch, RFC 7396: `null` clears one); the
/// rest stay as they are. `If-Match` as for `PUT`.
#[utoipa::path(patch, path = "/api/v1/agencies/{id}", tag = "directory", params(("id" = i64, Path),
        ("If-Match" = String, Header, description = "the ETag of the version read")),
    request_body(content = AgencyBody, content_type = "application/merge-patch+json"),
    responses((status = 200, body = AgencyDetail), (status = 403, body = crate::api::ErrorResponse),
        (status = 404, body = crate::api::ErrorResponse), (status = 412, body = crate::api::ErrorResponse),
        (status = 422, body = crate::api::ErrorResponse), (status = 428, body = crate::api::ErrorResponse)))]
pub async fn patch(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Deferred<MergePatch>,
) -> Result<Response, AppError> {
    agencies::may_change(&state.db, &meta, &auth.actor, Some(AgencyId(id))).await?;
    let expected = crate::versions::if_match(&headers)?;
    let patch = body.parse()?;
    let current = agencies::get(&state.db, AgencyId(id)).await?;
    let current = serde_json::to_value(&current).map_err(|e| AppError::Internal(e.to_string()))?;
    let body: AgencyBody = serde_json::from_value(patch.apply_to(current))
        .map_err(|e| AppError::BadRequest(format!("変更の内容を読み取れませんでした（{e}）。")))?;
    save(&state, &meta, &auth, id, &body, expected).await
}

async fn save(
    state: &AppState,
    meta: &tsunagu_store::RequestMeta,
    auth: &Auth,
    id: i64,
    body: &AgencyBody,
    expected: Option<i64>,
) -> Result<Response, AppError> {
    let input = checked(state, &body.fields(), Some(id)).await?;
    agencies::update(&state.db, meta, &auth.actor, AgencyId(id), &input, expected).await?;
    Ok(versioned(
        agencies::get(&state.db, AgencyId(id)).await?,
        StatusCode::OK,
    ))
}

/// The agency kinds and their sectors.
#[utoipa::path(get, path = "/api/v1/agency-kinds", tag = "directory",
    responses((status = 200, body = Page<AgencyKind>)))]
pub async fn kinds(
    State(state): State<AppState>,
    _pooled: Pooled,
    _auth: Auth,
) -> Result<Json<Page<AgencyKind>>, AppError> {
    let items = agencies::kinds(&state.db).await?;
    Ok(Json(Page {
        total: items.len() as i64,
        items,
    }))
}
