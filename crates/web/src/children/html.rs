//! The record screens: the children list (and an agency's "my children"), search-as-you-type,
//! create with the duplicate guard, the record page, edit, close/reopen, consents, care team and
//! the timeline.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use time::{Date, OffsetDateTime};
use tsunagu_domain::{
    access::{Purpose, SharePart},
    children::{certificate_label, format_age, sex_label, CERTIFICATE_KINDS, SEXES},
    japanese_date::{self},
    validation::Errors,
    Role,
};
use tsunagu_store::{
    access,
    agencies::{self, AgencyRef},
    areas::{self, Area, Municipality},
    children::{self, ChildId, ChildSummary, ChildView},
    Paging,
};

use super::{fields_of, validate, ChildFields};
use crate::{
    agencies::parse_date,
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, ListParams, Query},
    layout::{filters, qs, Layout, Pager},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/children", get(list).post(create))
        .route("/children/suggest", get(suggest))
        .route("/children/new", get(new_form))
        .route("/children/{id}", get(show).post(update))
        .route("/children/{id}/edit", get(edit_form))
        .route("/children/{id}/close", get(confirm_close).post(close))
        .route("/children/{id}/reopen", post(reopen))
}

pub fn today() -> Date {
    japanese_date::today(OffsetDateTime::now_utc())
}

/// Who may open the children's screens at all: not the committee, not administrators.
fn may_use(auth: &Auth) -> Result<(), AppError> {
    match auth.actor.role {
        Role::Coordinator | Role::Supervisor | Role::AgencyStaff => Ok(()),
        Role::Committee | Role::Admin => Err(AppError::Forbidden),
    }
}

pub struct SummaryLine {
    pub id: i64,
    pub name: String,
    pub kana: String,
    pub birth: String,
    pub age: String,
    pub area: String,
    pub agency: String,
    pub closed: bool,
}

pub fn summary_line(c: &ChildSummary) -> SummaryLine {
    SummaryLine {
        id: c.id,
        name: format!("{} {}", c.family_name, c.given_name),
        kana: format!("{} {}", c.family_kana, c.given_kana)
            .trim()
            .to_owned(),
        birth: japanese_date::format_date_with_era(c.birth_date),
        age: format_age(c.birth_date, today()),
        area: c.area_name.clone(),
        agency: c.current_agency_name.clone().unwrap_or_default(),
        closed: c.status == "closed",
    }
}

#[derive(Template)]
#[template(path = "children/list.html")]
struct ListPage {
    layout: Layout,
    title: &'static str,
    q: String,
    include_closed: bool,
    items: Vec<SummaryLine>,
    pager: Pager,
    can_create: bool,
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    /// The intake form's search box.
    child_q: Option<String>,
    include_closed: Option<String>,
    limit: Option<String>,
    offset: Option<String>,
    notice: Option<String>,
    /// `sibling` or `duplicate`: the choices of another record for the child `except` (never
    /// that child), as radio buttons of the form that records it.
    pick: Option<String>,
    except: Option<i64>,
}

async fn list(
    auth: Auth,
    mut u: Unit,
    Query(lq): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    may_use(&auth)?;
    let paging = ListParams {
        q: None,
        limit: lq.limit.clone(),
        offset: lq.offset.clone(),
    }
    .paging()?;
    let q =
        lq.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(50).collect::<String>());
    let include_closed = lq.include_closed.is_some();
    let page = children::search(&mut u, q.as_deref(), include_closed, paging).await?;
    let q = q.unwrap_or_default();
    let base = format!(
        "/children?q={}&{}",
        qs(&q),
        if include_closed {
            "include_closed=1&"
        } else {
            ""
        }
    );
    let title = if auth.actor.role == Role::AgencyStaff {
        "共有されている子ども"
    } else {
        "子ども"
    };
    let view = ListPage {
        layout: Layout::page(&auth, title, "/children").with_notice(lq.notice.as_deref()),
        title,
        pager: Pager::new(&base, page.total, paging, page.items.len()),
        items: page.items.iter().map(summary_line).collect(),
        q,
        include_closed,
        can_create: auth.actor.role == Role::Coordinator,
    };
    Ok(Html(view.render()?))
}

#[derive(Template)]
#[template(path = "children/suggest.html")]
struct SuggestFragment {
    items: Vec<SummaryLine>,
    q: String,
}

/// Another record to choose by name, for a sibling or a possible duplicate: never by its id.
#[derive(Template)]
#[template(path = "children/record_options.html")]
struct RecordOptions {
    items: Vec<SummaryLine>,
    q: String,
    /// The form field the choice goes in.
    field: &'static str,
}

/// Search-as-you-type: children of the user's areas whose name or reading contains `q`.
async fn suggest(
    auth: Auth,
    mut u: Unit,
    Query(lq): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    may_use(&auth)?;
    let q: String =
        lq.q.as_deref()
            .or(lq.child_q.as_deref())
            .map(str::trim)
            .unwrap_or_default()
            .chars()
            .take(50)
            .collect();
    let items = if q.is_empty() {
        vec![]
    } else {
        children::search(&mut u, Some(&q), false, Paging::new(Some(8), None))
            .await?
            .items
    };
    let field = match lq.pick.as_deref() {
        Some("sibling") => Some("sibling_id"),
        Some("duplicate") => Some("other_child_id"),
        _ => None,
    };
    if let Some(field) = field {
        let items = items
            .iter()
            .filter(|c| Some(c.id) != lq.except)
            .map(summary_line)
            .collect();
        return Ok(Html(RecordOptions { items, q, field }.render()?));
    }
    Ok(Html(
        SuggestFragment {
            items: items.iter().map(summary_line).collect(),
            q,
        }
        .render()?,
    ))
}

/// What the record form offers to choose from.
pub struct Choices {
    pub areas: Vec<Area>,
    pub municipalities: Vec<Municipality>,
    pub agencies: Vec<AgencyRef>,
    pub sexes: &'static [(&'static str, &'static str)],
    pub certificate_kinds: Vec<(&'static str, &'static str)>,
    pub grades: Vec<&'static str>,
}

/// The form's choices; the agencies offered without a search are the area's (and the one
/// chosen), never the whole directory.
async fn choices(u: &mut Unit, auth: &Auth, form: &ChildFields) -> Result<Choices, AppError> {
    let areas = areas::all_areas(&mut **u)
        .await?
        .into_iter()
        .filter(|a| auth.actor.serves_area(a.id))
        .collect();
    Ok(Choices {
        areas,
        // Only the municipalities of the user's areas: another area's is a transfer (移管).
        municipalities: {
            let mine = areas::municipality_ids_of(&mut **u, &auth.actor.area_ids).await?;
            areas::municipalities(
                &mut **u,
                None,
                Paging {
                    limit: 10_000,
                    offset: 0,
                },
            )
            .await?
            .items
            .into_iter()
            .filter(|m| mine.contains(&m.id))
            .collect()
        },
        agencies: {
            let area = form
                .area_id
                .trim()
                .parse()
                .ok()
                .or(auth.actor.area_ids.first().map(|a| a.0))
                .unwrap_or_default();
            let chosen: Vec<i64> = form.current_agency_id.trim().parse().into_iter().collect();
            agencies::near(&mut **u, area, &chosen).await?
        },
        sexes: &SEXES,
        certificate_kinds: CERTIFICATE_KINDS.iter().map(|(c, l, _)| (*c, *l)).collect(),
        grades: CERTIFICATE_KINDS
            .iter()
            .flat_map(|(_, _, g)| g.iter().copied())
            .fold(Vec::new(), |mut acc, g| {
                if !acc.contains(&g) {
                    acc.push(g);
                }
                acc
            }),
    })
}

#[derive(Template)]
#[template(path = "children/form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    form: ChildFields,
    errors: Errors,
    choices: Choices,
    duplicates: Vec<SummaryLine>,
}

impl FormPage {
    fn row<'a>(&self, list: &'a [String], i: &usize) -> &'a str {
        ChildFields::row(list, *i)
    }
}

async fn form_page(
    u: &mut Unit,
    auth: &Auth,
    id: Option<i64>,
    form: ChildFields,
    errors: Errors,
    duplicates: Vec<SummaryLine>,
) -> Result<FormPage, AppError> {
    let title = if id.is_some() {
        "記録の編集"
    } else {
        "子どもの登録"
    };
    let choices = choices(u, auth, &form).await?;
    Ok(FormPage {
        layout: Layout::page(auth, title, "/children"),
        id,
        form,
        errors,
        choices,
        duplicates,
    })
}

async fn new_form(auth: Auth, mut u: Unit) -> Result<Html<String>, AppError> {
    if auth.actor.role != Role::Coordinator {
        return Err(AppError::Forbidden);
    }
    let form = ChildFields {
        area_id: auth
            .actor
            .area_ids
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        sex: "unknown".into(),
        ..ChildFields::default()
    };
    Ok(Html(
        form_page(&mut u, &auth, None, form, Errors::new(), vec![])
            .await?
            .render()?,
    ))
}

async fn create(
    auth: Auth,
    mut u: Unit,
    form: Deferred<Form<ChildFields>>,
) -> Result<Response, AppError> {
    if auth.actor.role != Role::Coordinator {
        children::may_create(&mut u, tsunagu_domain::AreaId(0))?;
    }
    let Form(form) = form.parse()?;
    let (input, mut errors) = validate(&form, today());
    let mut duplicates = vec![];
    if errors.is_empty() && form.not_a_duplicate.is_empty() {
        duplicates = children::possible_duplicates(&mut u, &input, None).await?;
    }
    if errors.is_empty() && duplicates.is_empty() {
        match children::create(&mut u, &input).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/children/{id}?notice=created")).into_response())
            }
            Err(tsunagu_store::Error::Forbidden) => {
                errors.add("area_id", "担当地域の子どもだけを登録できます。")
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let lines = duplicates.iter().map(summary_line).collect();
    let page = form_page(&mut u, &auth, None, form, errors, lines).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "children/show.html")]
struct ShowPage {
    layout: Layout,
    v: ChildView,
    birth: String,
    age: String,
    sex: &'static str,
    agencies: Vec<AgencyRef>,
    today: String,
    disclosures: Vec<tsunagu_store::children::Disclosure>,
    attachments: Vec<tsunagu_store::attachments::Attachment>,
    flags: Vec<tsunagu_store::duplicates::Flag>,
    candidates: Vec<SummaryLine>,
    siblings: Vec<(i64, String)>,
    referrals: Vec<tsunagu_store::referrals::Referral>,
    /// The current plan's goals and roles, for an agency whose consent shares the plan.
    shared_plan: Option<tsunagu_store::plans::SharedPlan>,
    parts: Vec<(&'static str, &'static str)>,
    /// `None` when the user is not in the team's conversation.
    notes: Option<Vec<tsunagu_store::notes::Note>>,
    may_post_note: bool,
    meetings: Vec<tsunagu_store::meetings::Meeting>,
    /// The current support plan's version and review date, for the area's staff.
    plan: Option<(i64, Date)>,
    /// The class or grade today, counting recorded holds: 年長（5歳児クラス）.
    stage: String,
    referral: ReferralForm,
    /// The agencies the consents let a referral go to, with the parts they cover.
    referable: Vec<tsunagu_store::referrals::Referable>,
    requesters: &'static [&'static str],
    /// The latest consultations about the child, and how many there are.
    consultations: Vec<tsunagu_store::consultations::Consultation>,
    consultations_total: i64,
    /// Secondary difficulties (二次障害): all for the area's staff; for an agency, those it follows.
    difficulties: Vec<tsunagu_store::difficulties::Difficulty>,
    /// The transfers of this record (the area's staff).
    transfers: Vec<tsunagu_store::transfers::Transfer>,
}

/// Consultations shown on the child's page; the rest are a link away.
const CONSULTATIONS_SHOWN: i64 = 5;

impl ShowPage {
    fn plan_line(&self) -> String {
        self.plan.map_or_else(String::new, |(version, review_on)| {
            format!(
                "第{version}版・次の見直し日 {}",
                japanese_date::format_date_with_era(review_on)
            )
        })
    }

    fn certificate(&self, kind: &str) -> &'static str {
        certificate_label(kind)
    }
    /// The summary header's figures, from what the page has read anyway.
    fn active_consents(&self) -> usize {
        self.v
            .consents
            .iter()
            .filter(|c| c.state(today()) == "有効")
            .count()
    }
    /// Whether some consent covers `part` for some agency: the others are offered disabled,
    /// with the reason beside them.
    fn part_consented(&self, part: &str) -> bool {
        self.referable
            .iter()
            .any(|r| r.parts.iter().any(|p| p == part))
    }
    fn review_overdue(&self) -> bool {
        self.plan.is_some_and(|(_, review_on)| review_on < today())
    }
    fn next_meeting(&self) -> Option<&tsunagu_store::meetings::Meeting> {
        let now = time::OffsetDateTime::now_utc();
        self.meetings
            .iter()
            .filter(|m| m.ends_at >= now && !m.is_cancelled())
            .min_by_key(|m| m.starts_at)
    }
    fn open_referrals(&self) -> usize {
        self.referrals
            .iter()
            .filter(|r| r.state == tsunagu_domain::referral::State::Open)
            .count()
    }
    fn next_follow_up(&self) -> Option<Date> {
        self.consultations
            .iter()
            .filter_map(|c| c.follow_up_on)
            .filter(|d| *d >= today())
            .min()
    }
    fn consent_state(&self, c: &tsunagu_store::children::Consent) -> &'static str {
        c.state(today())
    }
    /// The transfer waiting for the receiving area, if any.
    fn waiting_transfer(&self) -> Option<&tsunagu_store::transfers::Transfer> {
        self.transfers
            .iter()
            .find(|t| t.status == tsunagu_domain::people::TransferStatus::Proposed)
    }
    /// Consents ended by the transfer that brought the record here: none is in force yet.
    fn consents_ended_by_transfer(&self) -> usize {
        self.v
            .consents
            .iter()
            .filter(|c| c.ended_by_transfer_id.is_some())
            .count()
    }
    fn part_label(&self, code: &str) -> &'static str {
        SharePart::from_code(code).map_or("", SharePart::label)
    }
    fn size(&self, bytes: &i64) -> String {
        if *bytes >= 1024 * 1024 {
            format!("{:.1}MB", *bytes as f64 / 1024.0 / 1024.0)
        } else {
            format!("{}KB", (*bytes + 1023) / 1024)
        }
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    show_page(
        &auth,
        &mut u,
        id,
        q.notice.as_deref(),
        ReferralForm::default(),
    )
    .await
}

/// The referral form as typed and what was wrong with it: empty on a plain visit, filled in
/// with the reasons beside the fields when a referral was refused (the consent rule, a part
/// outside the consent, a missing field), so the work stays where it was done.
#[derive(Default)]
pub(crate) struct ReferralForm {
    pub fields: crate::referrals::ReferralFields,
    pub errors: Errors,
}

impl ReferralForm {
    fn has_part(&self, code: &str) -> bool {
        if self.errors.is_empty() && self.fields.parts.is_empty() {
            // A fresh form starts with the profile, the part every referral shares.
            return code == "profile";
        }
        self.fields.parts.iter().any(|p| p == code)
    }
}

/// The child's page; `referral` is the referral form's state.
pub(crate) async fn show_page(
    auth: &Auth,
    u: &mut Unit,
    id: i64,
    notice: Option<&str>,
    referral: ReferralForm,
) -> Result<Html<String>, AppError> {
    may_use(auth)?;
    let seen = access::record(u, ChildId(id)).await?;
    let v = children::view(u, seen).await?;
    let access = v.access.clone();
    let disclosures = children::disclosures(u, &access).await?;
    let attachments = tsunagu_store::attachments::list(u, &access).await?;
    let (flags, candidates) = if v.may_write && v.child.merged_into_id.is_none() {
        let flags = tsunagu_store::duplicates::open_for(u, &access).await?;
        let me = tsunagu_store::children::ChildInput {
            family_name: v.child.family_name.clone(),
            given_name: v.child.given_name.clone(),
            family_kana: v.child.family_kana.clone(),
            given_kana: v.child.given_kana.clone(),
            birth_date: Some(v.child.birth_date),
            ..Default::default()
        };
        let candidates = children::possible_duplicates(u, &me, Some(ChildId(id)))
            .await?
            .iter()
            .filter(|c| !flags.iter().any(|f| f.other_child_id.0 == c.id))
            .map(summary_line)
            .collect();
        (flags, candidates)
    } else {
        (vec![], vec![])
    };

    let referrals = tsunagu_store::referrals::for_child(u, &access).await?;
    let mut referable = if v.may_write {
        tsunagu_store::referrals::referable(u, &access, v.child.area_id).await?
    } else {
        vec![]
    };
    // A refused referral's agency stays chosen beside its reason, even outside the consents.
    if let Ok(chosen) = referral.fields.agency_id.trim().parse::<i64>() {
        if !referable.iter().any(|r| r.agency_id.0 == chosen) {
            for a in agencies::by_ids(&mut **u, &[chosen]).await? {
                referable.push(tsunagu_store::referrals::Referable {
                    agency_id: a.id,
                    name: format!("{}（同意なし）", a.name),
                    parts: vec![],
                });
            }
        }
    }
    let notes = tsunagu_store::notes::read(u, &access).await?;
    let meetings = tsunagu_store::meetings::for_child(u, &access).await?;
    let holds = tsunagu_store::transitions::holds(u, &access).await?;
    let plan = tsunagu_store::plans::current_for_child(u, &access).await?;
    let shared_plan = if access.sees_everything() {
        None
    } else {
        tsunagu_store::plans::shared(u, &access).await?
    };
    let siblings = children::siblings(u, &access).await?;
    let (consultations, consultations_total) =
        tsunagu_store::consultations::latest_for_child(u, &access, CONSULTATIONS_SHOWN).await?;
    let difficulties = tsunagu_store::difficulties::for_child(u, &access).await?;
    let transfers = if access.sees_everything() {
        tsunagu_store::transfers::of_child(u, &access).await?
    } else {
        vec![]
    };
    let page = ShowPage {
        layout: Layout::page(auth, &v.child.name(), "/children").with_notice(notice),
        birth: japanese_date::format_date_with_era(v.child.birth_date),
        age: format_age(v.child.birth_date, today()),
        sex: if v.child.sex == "unknown" {
            ""
        } else {
            sex_label(&v.child.sex)
        },
        today: today().to_string(),
        disclosures,
        attachments,
        flags,
        candidates,
        referrals,
        shared_plan,
        parts: SharePart::ALL
            .iter()
            .map(|p| (p.code(), p.label()))
            .collect(),
        notes,
        meetings,
        stage: tsunagu_store::transitions::cohort_of(v.child.birth_date, &holds)
            .stage_on(tsunagu_store::children::today_in_japan())
            .label(),
        plan,
        may_post_note: matches!(auth.actor.role, Role::Coordinator | Role::AgencyStaff)
            && !v.child.is_closed(),
        siblings,
        v,
        // The team form offers the agencies the consents name (the natural next members);
        // any other is found by name.
        agencies: referable
            .iter()
            .map(|r| tsunagu_store::agencies::AgencyRef {
                id: r.agency_id,
                name: r.name.clone(),
            })
            .collect(),
        referral,
        referable,
        requesters: &tsunagu_domain::children::REQUESTERS,
        consultations,
        consultations_total,
        difficulties,
        transfers,
    };
    Ok(Html(page.render()?))
}

async fn edit_form(auth: Auth, mut u: Unit, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    access::child(&mut u, ChildId(id), Purpose::Write, "child.update").await?;
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    if !v.may_write {
        return Err(AppError::Forbidden);
    }
    if v.child.is_closed() {
        return Err(AppError::Conflict {
            field: "status".into(),
            message: "終結したケースは編集できません。先に再開してください。".into(),
        });
    }
    Ok(Html(
        form_page(
            &mut u,
            &auth,
            Some(id),
            fields_of(&v),
            Errors::new(),
            vec![],
        )
        .await?
        .render()?,
    ))
}

async fn update(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<ChildFields>>,
) -> Result<Response, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "child.update").await?;
    let Form(form) = form.parse()?;
    let (input, mut errors) = validate(&form, today());
    if errors.is_empty() {
        match children::update(&mut u, &access, &input).await {
            Ok(()) => {
                return Ok(Redirect::to(&format!("/children/{id}?notice=saved")).into_response())
            }
            Err(e @ (tsunagu_store::Error::NotFound | tsunagu_store::Error::Forbidden)) => {
                return Err(e.into())
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let page = form_page(&mut u, &auth, Some(id), form, errors, vec![]).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "children/close.html")]
struct ClosePage {
    layout: Layout,
    v: ChildView,
    today: String,
    errors: Errors,
}

async fn confirm_close(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    if !v.may_write {
        return Err(AppError::Forbidden);
    }
    let page = ClosePage {
        layout: Layout::page(&auth, "終結", "/children"),
        v,
        today: today().to_string(),
        errors: Errors::new(),
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CloseForm {
    closed_on: String,
    reason: String,
}

async fn close(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<CloseForm>>,
) -> Result<Response, AppError> {
    let access = access::child(
        &mut u,
        ChildId(id),
        Purpose::ChangeStatus,
        children::status_action(true),
    )
    .await?;
    let Form(form) = form.parse()?;
    let mut errors = Errors::new();
    let on = parse_date(&mut errors, "closed_on", "終結日", &form.closed_on);
    let reason = errors.required_line("reason", "終結の理由", &form.reason);
    if on.is_none() && errors.get("closed_on").is_none() {
        errors.add("closed_on", "終結日を入力してください。");
    }
    if let (true, Some(on)) = (errors.is_empty(), on) {
        children::set_status(&mut u, &access, Some((on, reason))).await?;
        return Ok(Redirect::to(&format!("/children/{id}?notice=case_closed")).into_response());
    }
    let seen = access::record(&mut u, ChildId(id)).await?;
    let v = children::view(&mut u, seen).await?;
    let page = ClosePage {
        layout: Layout::page(&auth, "終結", "/children"),
        v,
        today: form.closed_on,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

async fn reopen(mut u: Unit, Path(id): Path<i64>) -> Result<Response, AppError> {
    let access = access::child(
        &mut u,
        ChildId(id),
        Purpose::ChangeStatus,
        children::status_action(false),
    )
    .await?;
    children::set_status(&mut u, &access, None).await?;
    Ok(Redirect::to(&format!("/children/{id}?notice=reopened")).into_response())
}
