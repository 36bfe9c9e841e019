//! The directory's screens: search with filters, print and CSV of the filtered list, an agency's
//! page, create/edit, the staff's own contact form, closing with a confirmation, CSV import with a
//! preview, and the committee's counts.

use askama::Template;
use axum::{
    extract::{DefaultBodyLimit, Multipart, Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tsunagu_domain::{
    directory::{
        self, directory_access, may_edit_contacts, may_manage_agency, DirectoryAccess, Sector,
        SERVICES,
    },
    japanese_date,
    validation::Errors,
    AgencyId, Role,
};
use tsunagu_store::{
    agencies::{self, Agency, AgencyDetail, AgencyKind, ContactChange},
    areas::{self, Area, Municipality},
    Paging,
};

use super::{
    fields_of, format_contact,
    import::{self, Preview},
    parse_contact, parse_date, to_csv, validate, AgencyFields, FilterParams, Lookups, MAX_ROWS,
};
use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::{Deferred, Form, Query},
    layout::{filters, Layout, Pager},
    routing::Router,
    unit::{Pooled, Unit},
    AppError, AppState,
};

/// Uploads and the preview's round trip carry a whole file.
const IMPORT_BODY_LIMIT: usize = 12 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/agencies", get(list).post(create))
        .route("/agencies.csv", get(export))
        .route("/agencies/print", get(print))
        .route("/agencies/new", get(new_form))
        .route("/agencies/options", get(options))
        .route("/agencies/{id}", get(show).post(update))
        .route("/agencies/{id}/edit", get(edit_form))
        .route(
            "/agencies/{id}/contacts",
            get(contacts_form).post(update_contacts),
        )
        .route("/agencies/{id}/close", get(confirm_close).post(close))
        .route("/agencies/{id}/reopen", post(reopen))
        .merge(
            Router::new()
                .route("/agencies/import", get(import_form).post(import_preview))
                .route("/agencies/import/confirm", post(import_confirm))
                .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
}

#[derive(Deserialize)]
struct OptionsQuery {
    q: Option<String>,
    /// The consent form's search box (the same as `q`).
    agency_q: Option<String>,
    area_id: Option<i64>,
    /// "checks": checkboxes to add to a list (the consent form), not a select's options.
    #[serde(rename = "as")]
    shape: Option<String>,
    /// The checkboxes' field name: agency_ids (default) or member_ids (a council's members).
    field: Option<String>,
}

#[derive(Template)]
#[template(path = "agencies/checks_found.html")]
struct ChecksFragment {
    agencies: Vec<agencies::AgencyRef>,
    more: bool,
    q: String,
    field: &'static str,
}

#[derive(Template)]
#[template(path = "agencies/options_found.html")]
struct OptionsFragment {
    agencies: Vec<agencies::AgencyRef>,
    more: bool,
}

/// The `<option>`s of an agency chooser (htmx): agencies whose name or reading matches `q`
/// anywhere in the directory, or, with no `q`, those of the area.
async fn options(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<OptionsQuery>,
) -> Result<Html<String>, AppError> {
    if directory_access(&auth.actor) == DirectoryAccess::CountsOnly {
        return Err(AppError::Forbidden);
    }
    const SHOWN: i64 = 50;
    let text =
        q.q.as_deref()
            .or(q.agency_q.as_deref())
            .map(str::trim)
            .filter(|t| !t.is_empty());
    let (found, more) = match (text, q.area_id) {
        (Some(text), _) => {
            let filter = agencies::Filter {
                q: Some(text.chars().take(50).collect()),
                ..Default::default()
            };
            let page = agencies::list(&state.db, &filter, Paging::new(Some(SHOWN), None)).await?;
            let more = page.total > page.items.len() as i64;
            let refs = page
                .items
                .into_iter()
                .map(|a| agencies::AgencyRef {
                    id: AgencyId(a.id),
                    name: a.name,
                })
                .collect();
            (refs, more)
        }
        (None, Some(area)) => (agencies::near(&state.db, area, &[]).await?, false),
        (None, None) => (vec![], false),
    };
    if q.shape.as_deref() == Some("checks") {
        return Ok(Html(
            ChecksFragment {
                agencies: found,
                more,
                q: text.unwrap_or_default().to_owned(),
                field: match q.field.as_deref() {
                    Some("member_ids") => "member_ids",
                    _ => "agency_ids",
                },
            }
            .render()?,
        ));
    }
    Ok(Html(
        OptionsFragment {
            agencies: found,
            more,
        }
        .render()?,
    ))
}

/// The choices the filters and the form offer.
pub struct Choices {
    pub kinds: Vec<AgencyKind>,
    pub sectors: Vec<(&'static str, &'static str)>,
    pub municipalities: Vec<Municipality>,
    pub areas: Vec<Area>,
    pub services: &'static [&'static str],
}

async fn choices(state: &AppState) -> Result<Choices, AppError> {
    let lookups = Lookups::load(&state.db).await?;
    Ok(Choices {
        kinds: lookups.kinds,
        sectors: Sector::ALL.iter().map(|s| (s.code(), s.label())).collect(),
        municipalities: lookups.municipalities,
        areas: areas::all_areas(&state.db).await?,
        services: &SERVICES,
    })
}

pub fn sector_label(code: &str) -> &'static str {
    Sector::from_code(code).map_or("", Sector::label)
}

fn ages(a: &Agency) -> String {
    match (a.age_from, a.age_to) {
        (None, None) => String::new(),
        (Some(f), None) => format!("{f}歳〜"),
        (None, Some(t)) => format!("〜{t}歳"),
        (Some(f), Some(t)) => format!("{f}〜{t}歳"),
    }
}

#[derive(Template)]
#[template(path = "agencies/list.html")]
struct ListPage {
    layout: Layout,
    f: FilterParams,
    area_value: String,
    items: Vec<Agency>,
    pager: Pager,
    choices: Choices,
    query: String,
    can_create: bool,
}

impl ListPage {
    fn selected(&self, value: &Option<String>, candidate: &str) -> bool {
        value.as_deref().map(str::trim) == Some(candidate)
    }
    fn v<'a>(&self, value: &'a Option<String>) -> &'a str {
        value.as_deref().unwrap_or_default()
    }
    fn ages(&self, a: &Agency) -> String {
        ages(a)
    }
    fn sector(&self, code: &Option<String>) -> &'static str {
        code.as_deref().map_or("", sector_label)
    }
}

/// The area a user's directory opens on: their first area, if any.
fn default_area(auth: &Auth) -> Option<tsunagu_domain::AreaId> {
    auth.actor.area_ids.first().copied()
}

async fn list(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(f): Query<FilterParams>,
) -> Result<Response, AppError> {
    if directory_access(&auth.actor) == DirectoryAccess::CountsOnly {
        return summary(&state, &auth).await;
    }
    let paging = f.paging()?;
    let filter = f.filter(default_area(&auth))?;
    let page = agencies::list(&state.db, &filter, paging).await?;
    let query = f.query_string();
    let area_value = filter
        .area_id
        .map_or_else(|| "all".to_owned(), |a| a.to_string());
    let pager = Pager::new(
        &format!("/agencies?{query}&"),
        page.total,
        paging,
        page.items.len(),
    );
    let can_create = matches!(
        auth.actor.role,
        Role::Admin | Role::Coordinator | Role::Supervisor
    );
    let view = ListPage {
        layout: Layout::page(&auth, "関係機関（社会資源）", "/agencies"),
        f,
        area_value,
        items: page.items,
        pager,
        choices: choices(&state).await?,
        query,
        can_create,
    };
    Ok(Html(view.render()?).into_response())
}

#[derive(Template)]
#[template(path = "agencies/summary.html")]
struct SummaryPage {
    layout: Layout,
    counts: Vec<(String, &'static str, i64)>,
    total: i64,
}

/// The committee's view of the directory: how many agencies of each kind, nothing more.
async fn summary(state: &AppState, auth: &Auth) -> Result<Response, AppError> {
    let counts: Vec<(String, &'static str, i64)> = agencies::counts_by_kind(&state.db)
        .await?
        .into_iter()
        .map(|(kind, sector, n)| (kind, sector_label(&sector), n))
        .collect();
    let total = counts.iter().map(|c| c.2).sum();
    let view = SummaryPage {
        layout: Layout::page(auth, "関係機関の集計", "/agencies"),
        counts,
        total,
    };
    Ok(Html(view.render()?).into_response())
}

/// Every matching agency (at most [`MAX_ROWS`]), for print and export.
async fn all_matching(
    state: &AppState,
    auth: &Auth,
    f: &FilterParams,
) -> Result<Vec<Agency>, AppError> {
    if directory_access(&auth.actor) == DirectoryAccess::CountsOnly {
        return Err(AppError::Forbidden);
    }
    let filter = f.filter(default_area(auth))?;
    Ok(agencies::list(
        &state.db,
        &filter,
        Paging {
            limit: MAX_ROWS as i64,
            offset: 0,
        },
    )
    .await?
    .items)
}

async fn export(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(f): Query<FilterParams>,
) -> Result<Response, AppError> {
    let items = all_matching(&state, &auth, &f).await?;
    csv_response(to_csv(&items)?)
}

pub fn csv_response(bytes: Vec<u8>) -> Result<Response, AppError> {
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static(
            "attachment; filename=\"agencies.csv\"; filename*=UTF-8''%E9%96%A2%E4%BF%82%E6%A9%9F%E9%96%A2.csv",
        ),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "agencies/print.html")]
struct PrintPage {
    layout: Layout,
    heading: String,
    conditions: Vec<String>,
    items: Vec<Agency>,
    printed_on: String,
}

impl PrintPage {
    fn ages(&self, a: &Agency) -> String {
        ages(a)
    }
}

/// An area's resource list on paper, to hand to a family.
async fn print(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(f): Query<FilterParams>,
) -> Result<Html<String>, AppError> {
    let items = all_matching(&state, &auth, &f).await?;
    let filter = f.filter(default_area(&auth))?;
    let c = choices(&state).await?;
    let mut conditions = Vec::new();
    if let Some(a) = filter
        .area_id
        .and_then(|id| c.areas.iter().find(|a| a.id.0 == id))
    {
        conditions.push(format!("地域：{}", a.name));
    }
    if let Some(m) = filter
        .municipality_id
        .and_then(|id| c.municipalities.iter().find(|m| m.id.0 == id))
    {
        conditions.push(format!("市町村：{}", m.name));
    }
    if let Some(k) = filter
        .kind_id
        .and_then(|id| c.kinds.iter().find(|k| k.id == id))
    {
        conditions.push(format!("種別：{}", k.name));
    }
    if let Some(s) = &filter.sector {
        conditions.push(format!("分野：{}", sector_label(s)));
    }
    if let Some(s) = &filter.service {
        conditions.push(format!("サービス：{s}"));
    }
    if let Some(age) = filter.age {
        conditions.push(format!("対象年齢：{age}歳"));
    }
    if let Some(q) = &filter.q {
        conditions.push(format!("名称：{q}"));
    }
    let view = PrintPage {
        layout: Layout::page(&auth, "関係機関一覧（印刷）", "/agencies"),
        heading: "関係機関・社会資源の一覧".into(),
        conditions,
        items,
        printed_on: japanese_date::format_date_with_era(japanese_date::today(
            time::OffsetDateTime::now_utc(),
        )),
    };
    Ok(Html(view.render()?))
}

#[derive(Template)]
#[template(path = "agencies/show.html")]
struct ShowPage {
    layout: Layout,
    d: AgencyDetail,
    can_manage: bool,
    can_edit_contacts: bool,
    ages: String,
    sector: &'static str,
    /// Its links to other agencies through the children of the caller's areas, the last twelve
    /// months; only the area's staff get them.
    links: Vec<tsunagu_store::network::LinkView>,
    shows_links: bool,
    /// Visits to it and trainings it took part in (the caller's areas).
    visits: Vec<tsunagu_store::capacity::Visit>,
    trainings: Vec<tsunagu_store::capacity::Training>,
}

impl ShowPage {
    /// The agency at the other end of a link.
    fn other<'a>(&self, l: &'a tsunagu_store::network::LinkView) -> (i64, &'a str) {
        if l.a == self.d.agency.id {
            (l.b, &l.b_name)
        } else {
            (l.a, &l.a_name)
        }
    }

    fn is_this(&self, agency: &Option<i64>) -> bool {
        *agency == Some(self.d.agency.id)
    }

    fn contact(&self, c: &tsunagu_store::agencies::Contact) -> String {
        format_contact(c)
    }
}

#[derive(Deserialize, Default)]
pub(super) struct NoticeQuery {
    pub(super) notice: Option<String>,
}

async fn show(
    State(_state): State<AppState>,
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    if directory_access(&auth.actor) == DirectoryAccess::CountsOnly {
        return Err(AppError::Forbidden);
    }
    let d = agencies::get(&mut u, AgencyId(id)).await?;
    let areas = d.area_ids();
    let (from, until) = crate::network::last_year(crate::children::html::today());
    let links = tsunagu_store::network::links_of_agency(&mut u, AgencyId(id), from, until).await?;
    let visits = tsunagu_store::capacity::visits(&mut u, Some(AgencyId(id)), 20).await?;
    let trainings = tsunagu_store::capacity::trainings(&mut u, Some(AgencyId(id)), 20).await?;
    let view = ShowPage {
        visits,
        trainings,
        shows_links: matches!(
            auth.actor.role,
            tsunagu_domain::Role::Coordinator | tsunagu_domain::Role::Supervisor
        ),
        links,
        layout: Layout::page(&auth, &d.agency.name, "/agencies").with_notice(q.notice.as_deref()),
        can_manage: may_manage_agency(&auth.actor, &areas),
        can_edit_contacts: may_edit_contacts(&auth.actor, AgencyId(id), &areas),
        ages: ages(&d.agency),
        sector: d.agency.sector.as_deref().map_or("", sector_label),
        d,
    };
    Ok(Html(view.render()?))
}

#[derive(Template)]
#[template(path = "agencies/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    form: AgencyFields,
    errors: Errors,
    choices: Choices,
}

impl FormPage {
    fn has_service(&self, s: &&str) -> bool {
        self.form.services.iter().any(|x| x == s)
    }
    fn serves(&self, id: &tsunagu_domain::AreaId) -> bool {
        self.form
            .served_area_ids
            .iter()
            .any(|x| x.trim() == id.0.to_string())
    }
}

async fn form_page(
    state: &AppState,
    auth: &Auth,
    id: Option<i64>,
    form: AgencyFields,
    errors: Errors,
) -> Result<FormPage, AppError> {
    let title = if id.is_some() {
        "関係機関の編集"
    } else {
        "関係機関の登録"
    };
    Ok(FormPage {
        layout: Layout::page(auth, title, "/agencies"),
        id,
        form,
        errors,
        choices: choices(state).await?,
    })
}

async fn new_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
) -> Result<Html<String>, AppError> {
    if !matches!(
        auth.actor.role,
        Role::Admin | Role::Coordinator | Role::Supervisor
    ) {
        return Err(AppError::Forbidden);
    }
    Ok(Html(
        form_page(&state, &auth, None, AgencyFields::default(), Errors::new())
            .await?
            .render()?,
    ))
}

async fn create(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    form: Deferred<Form<AgencyFields>>,
) -> Result<Response, AppError> {
    agencies::may_change(&state.db, &meta, &auth.actor, None).await?;
    let Form(form) = form.parse()?;
    let lookups = Lookups::load(&state.db).await?;
    let (input, mut errors) = validate(&form, &lookups);
    if errors.is_empty() {
        if let Some(dup) =
            agencies::find_duplicate(&state.db, &input.name, input.address.as_deref()).await?
        {
            errors.add(
                "name",
                format!(
                    "同じ名称・住所の機関「{}」がすでに登録されています。",
                    dup.name
                ),
            );
        }
    }
    if errors.is_empty() {
        match agencies::create(&state.db, &meta, &auth.actor, &input).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/agencies/{id}?notice=created")).into_response())
            }
            Err(tsunagu_store::Error::Forbidden) => {
                errors.add(
                    "municipality_id",
                    "担当地域の外の市町村には登録できません。",
                );
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = form_page(&state, &auth, None, form, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn edit_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let d = agencies::get(&state.db, AgencyId(id)).await?;
    if !may_manage_agency(&auth.actor, &d.area_ids()) {
        return Err(AppError::Forbidden);
    }
    let form = fields_of(
        &d.agency,
        d.served_areas.iter().map(|a| a.id.to_string()).collect(),
    );
    Ok(Html(
        form_page(&state, &auth, Some(id), form, Errors::new())
            .await?
            .render()?,
    ))
}

async fn update(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    form: Deferred<Form<AgencyFields>>,
) -> Result<Response, AppError> {
    agencies::may_change(&state.db, &meta, &auth.actor, Some(AgencyId(id))).await?;
    let Form(mut form) = form.parse()?;
    let lookups = Lookups::load(&state.db).await?;
    let (input, mut errors) = validate(&form, &lookups);
    if errors.is_empty() {
        if let Some(dup) =
            agencies::find_duplicate(&state.db, &input.name, input.address.as_deref()).await?
        {
            if dup.id.0 != id {
                errors.add(
                    "name",
                    format!(
                        "同じ名称・住所の機関「{}」がすでに登録されています。",
                        dup.name
                    ),
                );
            }
        }
    }
    if errors.is_empty() {
        let expected = form.version.trim().parse().ok();
        match agencies::update(
            &state.db,
            &meta,
            &auth.actor,
            AgencyId(id),
            &input,
            expected,
        )
        .await
        {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/agencies/{id}?notice=saved")).into_response())
            }
            Err(tsunagu_store::Error::Stale { current }) => {
                // Keep what was typed; a second save, after a look at the other change, wins.
                errors.add(
                    "name",
                    format!("この機関は、開いた後にほかの人が変更しました（今の版は {current}）。入力はそのまま残しています。機関のページ（別のタブ）で今の内容を確かめてから、もう一度保存してください。"),
                );
                form.version = current.to_string();
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = form_page(&state, &auth, Some(id), form, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// The fields an agency's own staff keep current.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ContactsForm {
    phone: String,
    fax: String,
    email: String,
    hours: String,
    contacts: String,
    capacity_note: String,
    capacity_checked_on: String,
}

#[derive(Template)]
#[template(path = "agencies/contacts.html")]
struct ContactsPage {
    layout: Layout,
    d: AgencyDetail,
    form: ContactsForm,
    errors: Errors,
}

async fn contacts_form(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let d = agencies::get(&state.db, AgencyId(id)).await?;
    if !may_edit_contacts(&auth.actor, AgencyId(id), &d.area_ids()) {
        return Err(AppError::Forbidden);
    }
    let a = &d.agency;
    let form = ContactsForm {
        phone: a.phone.clone().unwrap_or_default(),
        fax: a.fax.clone().unwrap_or_default(),
        email: a.email.clone().unwrap_or_default(),
        hours: a.hours.clone().unwrap_or_default(),
        contacts: a
            .contacts
            .iter()
            .map(format_contact)
            .collect::<Vec<_>>()
            .join("\n"),
        capacity_note: a.capacity_note.clone().unwrap_or_default(),
        capacity_checked_on: a
            .capacity_checked_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
    };
    let page = ContactsPage {
        layout: Layout::page(&auth, "連絡先・空き状況の更新", "/agencies"),
        d,
        form,
        errors: Errors::new(),
    };
    Ok(Html(page.render()?))
}

async fn update_contacts(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<ContactsForm>,
) -> Result<Response, AppError> {
    let mut e = Errors::new();
    let phone = directory::check_phone(&mut e, "phone", "電話番号", &form.phone);
    let fax = directory::check_phone(&mut e, "fax", "FAX番号", &form.fax);
    let email = directory::check_email(&mut e, "email", &form.email);
    let hours = e.optional_line("hours", "受付時間", &form.hours);
    let capacity_note = e.optional_text("capacity_note", "定員・空き状況", &form.capacity_note);
    let capacity_checked_on = parse_date(
        &mut e,
        "capacity_checked_on",
        "確認日",
        &form.capacity_checked_on,
    );
    let contacts = form
        .contacts
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(parse_contact)
        .collect();
    if e.is_empty() {
        let change = ContactChange {
            phone,
            fax,
            email,
            hours,
            contacts,
            capacity_note,
            capacity_checked_on,
        };
        agencies::update_contacts(&state.db, &meta, &auth.actor, AgencyId(id), &change).await?;
        return Ok(Redirect::to(&format!("/agencies/{id}?notice=saved")).into_response());
    }
    let d = agencies::get(&state.db, AgencyId(id)).await?;
    let page = ContactsPage {
        layout: Layout::page(&auth, "連絡先・空き状況の更新", "/agencies"),
        d,
        form,
        errors: e,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "agencies/close.html")]
struct ClosePage {
    layout: Layout,
    d: AgencyDetail,
    today: String,
}

impl ClosePage {
    fn no_error(&self) -> Option<&str> {
        None
    }
}

async fn confirm_close(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let d = agencies::get(&state.db, AgencyId(id)).await?;
    if !may_manage_agency(&auth.actor, &d.area_ids()) {
        return Err(AppError::Forbidden);
    }
    let today = japanese_date::today(time::OffsetDateTime::now_utc()).to_string();
    let page = ClosePage {
        layout: Layout::page(&auth, "関係機関の閉鎖", "/agencies"),
        d,
        today,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CloseForm {
    closed_on: String,
}

async fn close(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
    Form(form): Form<CloseForm>,
) -> Result<Response, AppError> {
    let mut e = Errors::new();
    let date = parse_date(&mut e, "closed_on", "閉鎖日", &form.closed_on)
        .unwrap_or_else(|| japanese_date::today(time::OffsetDateTime::now_utc()));
    e.into_result().map_err(AppError::Validation)?;
    agencies::set_closed(&state.db, &meta, &auth.actor, AgencyId(id), Some(date)).await?;
    Ok(Redirect::to(&format!("/agencies/{id}?notice=closed")).into_response())
}

async fn reopen(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    agencies::set_closed(&state.db, &meta, &auth.actor, AgencyId(id), None).await?;
    Ok(Redirect::to(&format!("/agencies/{id}?notice=reopened")).into_response())
}

#[derive(Template)]
#[template(path = "agencies/import.html")]
struct ImportPage {
    layout: Layout,
    error: Option<String>,
    preview: Option<Preview>,
    /// The file as read, carried to the confirmation unchanged.
    content: String,
    columns: &'static [&'static str],
}

fn may_import(auth: &Auth) -> Result<(), AppError> {
    match auth.actor.role {
        Role::Admin | Role::Coordinator | Role::Supervisor => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

async fn import_page(
    auth: &Auth,
    error: Option<String>,
    preview: Option<Preview>,
    content: String,
) -> Result<ImportPage, AppError> {
    Ok(ImportPage {
        layout: Layout::page(auth, "関係機関の一括登録（CSV）", "/agencies"),
        error,
        preview,
        content,
        columns: &super::CSV_COLUMNS,
    })
}

async fn import_form(auth: Auth) -> Result<Html<String>, AppError> {
    may_import(&auth)?;
    Ok(Html(
        import_page(&auth, None, None, String::new())
            .await?
            .render()?,
    ))
}

/// Reads the uploaded file and shows what would be imported, row by row. Nothing is written.
async fn import_preview(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    may_import(&auth)?;
    let mut bytes = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| {
        AppError::BadRequest(
            "ファイルを受け取れませんでした。大きさ（5MBまで）を確認してください。".into(),
        )
    })? {
        if field.name() == Some("file") {
            bytes = field
                .bytes()
                .await
                .map_err(|_| {
                    AppError::BadRequest(
                        "ファイルを受け取れませんでした。大きさ（5MBまで）を確認してください。"
                            .into(),
                    )
                })?
                .to_vec();
        }
    }
    render_preview(&state, &auth, &bytes).await
}

async fn render_preview(state: &AppState, auth: &Auth, bytes: &[u8]) -> Result<Response, AppError> {
    let page = match import::preview(&state.db, &auth.actor, bytes).await? {
        Err(message) => import_page(auth, Some(message), None, String::new()).await?,
        Ok(preview) => {
            // Carried back as UTF-8 text, so the confirmation reads exactly what was previewed.
            let content = tsunagu_documents::csv::decode_text(bytes).unwrap_or_default();
            import_page(auth, None, Some(preview), content).await?
        }
    };
    let status = match &page.preview {
        Some(p) if p.is_importable() => StatusCode::OK,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    content: String,
}

/// Writes every row of the previewed file in one transaction, or nothing.
async fn import_confirm(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, AppError> {
    may_import(&auth)?;
    let bytes = form.content.into_bytes();
    let preview = match import::preview(&state.db, &auth.actor, &bytes).await? {
        Ok(p) if p.is_importable() => p,
        _ => return render_preview(&state, &auth, &bytes).await,
    };
    let ids = agencies::import(&state.db, &meta, &auth.actor, &preview.inputs).await?;
    Ok(Redirect::to(&format!(
        "/agencies?area_id=all&notice=imported&count={}",
        ids.len()
    ))
    .into_response())
}
