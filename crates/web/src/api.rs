//! The JSON API's shared parts: the OpenAPI document, Swagger UI, `/api/v1/me`, and the
//! error shape every route answers with.

use askama::Template;
use axum::{response::Html, routing::get, Json};
use serde::Serialize;
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi, ToSchema,
};

use crate::{auth::Auth, routing::Router, AppError, AppState};

#[derive(OpenApi)]
#[openapi(
    info(title = "Tsunagu API", description = "つなぐ — 療育支援コーディネーターの業務システムのAPI。\
        一覧は q（漢字・ひらがな・カタカナ・半角カナのいずれでも一致）、limit（既定50、最大500）、offset を受け付け、\
        {\"items\": [...], \"total\": N} を返します。エラーは {\"error\": {\"code\", \"message\"}} です。\
        操作の権限がない呼び出しは、本文の内容にかかわらず 403（見ることのできない子どもについては 404）になり、\
        入力の誤り（400・422）は権限のある呼び出しにだけ返します。終結したケースへの変更は 409 conflict です。\
        データベースが応答しないときは 503 database_unavailable と Retry-After を返し、何も書き込みません。"),
    paths(
        me,
        crate::users::api::list, crate::users::api::show, crate::users::api::create,
        crate::areas::api::regions, crate::areas::api::municipalities, crate::areas::api::list,
        crate::areas::api::show, crate::areas::api::create, crate::areas::api::update,
        crate::audit::api::search,
        crate::agencies::api::list, crate::agencies::api::show, crate::agencies::api::create,
        crate::agencies::api::update, crate::agencies::api::patch, crate::agencies::api::kinds, crate::councils::html::api_list,
        crate::children::api::search, crate::children::api::show, crate::children::api::create, crate::children::api::update,
        crate::children::api::close, crate::children::api::reopen, crate::children::api::timeline,
        crate::children::api::list_consents, crate::children::api::add_consent,
        crate::children::api::list_consultations, crate::children::api::create_consultation,
        crate::children::attachments::api_list, crate::children::attachments::api_upload,
        crate::referrals::api_list, crate::referrals::api_create, crate::referrals::api_act,
        crate::children::notes::api_list, crate::children::notes::api_post,
        crate::meetings::api_list, crate::meetings::api_show, crate::meetings::api_create,
        crate::meetings::api_record, crate::meetings::api_add_item, crate::meetings::api_items, crate::meetings::api_set_item,
        crate::children::api::list_team, crate::children::api::add_team, crate::children::api::end_team,
        crate::plans::api_history, crate::plans::api_create, crate::plans::api_update, crate::plans::api_review,
        crate::network::api_network,
        crate::transitions::school_calendar::api, crate::transitions::calendar::api, crate::transitions::working_days::api,
        crate::transitions::api_child, crate::transitions::api_create, crate::transitions::api_show,
        crate::transitions::api_status, crate::transitions::api_add_item, crate::transitions::api_set_item, crate::transitions::api_update_item,
        crate::handovers::api_create, crate::handovers::api_inbox, crate::handovers::api_show, crate::handovers::api_update,
        crate::handovers::api_send, crate::handovers::api_acknowledge, crate::handovers::api_feedback,
        crate::support_files::api_show, crate::support_files::api_update,
        crate::evaluation::api, crate::capacity::api_visits, crate::capacity::api_create_visit,
        crate::capacity::api_trainings, crate::capacity::api_create_training,
        crate::challenges::api_list, crate::challenges::api_create, crate::challenges::api_update,
        crate::challenges::api_meetings, crate::challenges::api_create_meeting,
        crate::challenges::api_raise, crate::challenges::api_respond,
        crate::committee::api_list, crate::committee::api_create, crate::committee::api_update,
        crate::users::api::show_staffing, crate::users::api::update_staffing,
        crate::people::caseload::api_caseload, crate::people::caseload::api_assign,
        crate::people::transfers::api_propose, crate::people::transfers::api_list, crate::people::transfers::api_show,
        crate::people::transfers::api_accept, crate::people::transfers::api_decline, crate::people::transfers::api_withdraw,
        crate::people::difficulties::api_list, crate::people::difficulties::api_create, crate::people::difficulties::api_update,
    ),
    components(schemas(ErrorResponse, ErrorDetail, Me)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every error: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code: unauthenticated, forbidden, not_found, bad_request, validation_failed,
    /// conflict (a duplicate, or a change to a closed case), password_change_required,
    /// database_unavailable…
    pub code: String,
    /// Japanese message for a person.
    pub message: String,
    /// The field a validation error is about.
    pub field: Option<String>,
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/docs", get(docs))
        .route("/api/v1/me", get(me))
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage;

async fn docs() -> Result<Html<String>, AppError> {
    Ok(Html(DocsPage.render()?))
}

/// Who the caller is.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub area_ids: Vec<i64>,
    pub agency_id: Option<i64>,
}

/// The calling user.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = ErrorResponse)))]
pub async fn me(auth: Auth) -> Json<Me> {
    let a = auth.actor;
    Json(Me {
        id: a.user_id.0,
        login: a.login,
        display_name: a.display_name,
        role: a.role.code().to_owned(),
        role_label: a.role.label().to_owned(),
        area_ids: a.area_ids.iter().map(|a| a.0).collect(),
        agency_id: a.agency_id.map(|a| a.0),
    })
}
