//! The single window's intake: a consultation recorded in under a minute, anonymous or for a
//! child found by search-as-you-type, and linked to a child later.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use time::{OffsetDateTime, PrimitiveDateTime};
use tsunagu_domain::{
    access::Purpose,
    children::{CHANNELS, REQUESTERS},
    japanese_date::JST,
    validation::Errors,
    AgencyId, AreaId, ConsultationId, Role,
};
use tsunagu_store::{
    access,
    agencies::{self, AgencyRef},
    areas::{self, Area},
    children::ChildId,
    consultations::{self, Category, Consultation, ConsultationInput},
};

use crate::{
    agencies::{parse_date, parse_schedule_date},
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, ListParams, Query},
    layout::{filters, Layout, Pager},
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/consultations", get(list).post(create))
        .route("/consultations/new", get(new_form))
        .route("/consultations/{id}", get(show).post(update))
        .route("/consultations/{id}/edit", get(edit_form))
        .route("/consultations/{id}/link", post(link))
}

fn coordinator(auth: &Auth) -> Result<(), AppError> {
    if auth.actor.role == Role::Coordinator {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The intake form as typed.
#[derive(Deserialize, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ConsultationFields {
    pub area_id: String,
    /// A child's id, or empty for an anonymous consultation.
    pub child_id: String,
    /// YYYY-MM-DDTHH:MM, Japan time; empty means now.
    pub at: String,
    pub channel: String,
    pub requester: String,
    pub requester_agency_id: String,
    pub caller: String,
    pub concern: String,
    pub category_ids: Vec<String>,
    pub action_taken: String,
    pub minutes: String,
    pub follow_up_on: String,
    /// The child search box (not stored).
    pub child_q: String,
    /// "1" when the child is not known yet and is registered with this consultation, from the
    /// fields below: the intake is one screen.
    pub new_child: String,
    /// 氏名, family and given name separated by a space.
    pub child_name: String,
    /// ふりがな, likewise.
    pub child_kana: String,
    /// YYYY-MM-DD (or as typed: 2024年5月1日, full-width digits).
    pub birth_date: String,
    pub sex: String,
    pub guardian_name: String,
    pub guardian_kana: String,
    pub guardian_relation: String,
    pub guardian_phone: String,
    /// Set when the coordinator has seen the possible duplicates and means a different child.
    pub not_a_duplicate: String,
    /// Why a recorded consultation is corrected (corrections only; kept with its history).
    pub revision_reason: String,
}

/// Family and given name from one field: split at the first space (half- or full-width).
fn split_name(value: &str) -> Option<(String, String)> {
    let value = value.trim();
    let (family, given) = value.split_once(|c: char| c.is_whitespace())?;
    Some((family.trim().to_owned(), given.trim().to_owned()))
}

/// The child (and guardian) to register with the consultation, checked by the child form's own
/// rules, each problem under the intake's field.
pub fn check_new_child(
    f: &ConsultationFields,
    area_id: AreaId,
    today: time::Date,
) -> (tsunagu_store::children::ChildInput, Errors) {
    let mut e = Errors::new();
    let (family_name, given_name) = match split_name(&f.child_name) {
        Some(names) => names,
        None if f.child_name.trim().is_empty() => {
            e.add("child_name", "子どもの氏名を入力してください。");
            Default::default()
        }
        None => {
            e.add(
                "child_name",
                "姓と名の間に空白を入れてください（例：見本 はると）。",
            );
            Default::default()
        }
    };
    let (family_kana, given_kana) = match split_name(&f.child_kana) {
        Some(kana) => kana,
        None if f.child_kana.trim().is_empty() => Default::default(),
        None => {
            e.add(
                "child_kana",
                "ふりがなも姓と名の間に空白を入れてください（例：みほん はると）。",
            );
            Default::default()
        }
    };
    let fields = crate::children::ChildFields {
        area_id: area_id.to_string(),
        family_name,
        given_name,
        family_kana,
        given_kana,
        birth_date: f.birth_date.clone(),
        sex: f.sex.clone(),
        guardian_name: vec![f.guardian_name.clone()],
        guardian_kana: vec![f.guardian_kana.clone()],
        guardian_relation: vec![f.guardian_relation.clone()],
        guardian_phone: vec![f.guardian_phone.clone()],
        ..Default::default()
    };
    let (input, problems) = crate::children::validate(&fields, today);
    e.absorb(problems, |field| match field {
        "family_name" | "given_name" => "child_name",
        "family_kana" | "given_kana" => "child_kana",
        other => other,
    });
    (input, e)
}

/// Who called, when the field is left empty and the caller is the guardian just registered:
/// the name is not typed twice.
fn caller_from_guardian(f: &ConsultationFields) -> Option<String> {
    let name = f.guardian_name.trim();
    if name.is_empty() || f.requester != "保護者" {
        return None;
    }
    Some(match f.guardian_relation.trim() {
        "" => name.to_owned(),
        relation => format!("{name}（{relation}）"),
    })
}

pub fn check(f: &ConsultationFields, default_area: Option<AreaId>) -> (ConsultationInput, Errors) {
    let mut e = Errors::new();
    let area_id = match f.area_id.trim() {
        "" => default_area.unwrap_or_default(),
        v => v.parse().map(AreaId).unwrap_or_else(|_| {
            e.add("area_id", "地域の指定が正しくありません。");
            AreaId(0)
        }),
    };
    let child_id = match f.child_id.trim() {
        "" => None,
        v => match v.parse() {
            Ok(n) => Some(ChildId(n)),
            Err(_) => {
                e.add("child_id", "子どもの指定が正しくありません。");
                None
            }
        },
    };
    let at = match f.at.trim() {
        "" => OffsetDateTime::now_utc(),
        v => match PrimitiveDateTime::parse(
            v,
            time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        ) {
            Ok(t) => t.assume_offset(JST),
            Err(_) => {
                e.add("at", "日時を正しく入力してください。");
                OffsetDateTime::now_utc()
            }
        },
    };
    if at > OffsetDateTime::now_utc() + time::Duration::hours(1) {
        e.add("at", "日時が未来になっています。");
    } else if let Some(problem) = tsunagu_domain::japanese_date::DateRange::Record.problem(
        at.to_offset(JST).date(),
        tsunagu_store::children::today_in_japan(),
        "相談の日時",
    ) {
        e.add("at", problem);
    }
    if !CHANNELS.contains(&f.channel.as_str()) {
        e.add("channel", "相談の方法を選んでください。");
    }
    if !REQUESTERS.contains(&f.requester.as_str()) {
        e.add("requester", "相談者を選んでください。");
    }
    let requester_agency_id = f.requester_agency_id.trim().parse().ok().map(AgencyId);
    let caller = e.optional_line("caller", "相談者の名前・続柄", &f.caller);
    let concern = e
        .optional_text("concern", "主訴", &f.concern)
        .unwrap_or_default();
    if concern.is_empty() {
        e.add("concern", "主訴（相談の内容）を入力してください。");
    }
    let action_taken = e.optional_text("action_taken", "対応", &f.action_taken);
    let minutes = match f.minutes.trim() {
        "" => None,
        v => match v.parse::<i64>() {
            Ok(n) if (0..=1440).contains(&n) => Some(n),
            _ => {
                e.add("minutes", "所要時間は0〜1440の分で入力してください。");
                None
            }
        },
    };
    let follow_up_on =
        parse_schedule_date(&mut e, "follow_up_on", "次回フォロー日", &f.follow_up_on);
    let category_ids = f
        .category_ids
        .iter()
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let input = ConsultationInput {
        area_id,
        child_id,
        at: tsunagu_store::db::normalize_timestamp(at),
        channel: f.channel.clone(),
        requester: f.requester.clone(),
        requester_agency_id,
        caller,
        concern,
        action_taken,
        minutes,
        follow_up_on,
        category_ids,
    };
    (input, e)
}

#[derive(Template)]
#[template(path = "consultations/form.html")]
struct FormPage {
    layout: Layout,
    form: ConsultationFields,
    errors: Errors,
    areas: Vec<Area>,
    agencies: Vec<AgencyRef>,
    categories: Vec<Category>,
    channels: &'static [&'static str],
    requesters: &'static [&'static str],
    child_name: Option<String>,
    sexes: &'static [(&'static str, &'static str)],
    /// Records that may be the child being registered, to choose instead.
    duplicates: Vec<crate::children::html::SummaryLine>,
    /// A correction of a recorded consultation: its address, or None for the intake.
    editing: Option<ConsultationId>,
}

impl FormPage {
    fn has_category(&self, id: &i64) -> bool {
        self.form
            .category_ids
            .iter()
            .any(|c| c.trim() == id.to_string())
    }
}

async fn form_page(
    u: &mut Unit,
    auth: &Auth,
    form: ConsultationFields,
    errors: Errors,
    child_name: Option<String>,
) -> Result<FormPage, AppError> {
    let chosen: Vec<i64> = form
        .requester_agency_id
        .trim()
        .parse()
        .into_iter()
        .collect();
    let agencies = agencies::by_ids(&mut **u, &chosen).await?;
    Ok(FormPage {
        layout: Layout::page(auth, "相談の受付", "/consultations/new"),
        form,
        errors,
        areas: areas::all_areas(&mut **u)
            .await?
            .into_iter()
            .filter(|a| auth.actor.serves_area(a.id))
            .collect(),
        agencies,
        categories: consultations::categories(&mut **u).await?,
        channels: &CHANNELS,
        requesters: &REQUESTERS,
        child_name,
        sexes: &tsunagu_domain::children::SEXES,
        duplicates: vec![],
        editing: None,
    })
}

#[derive(Deserialize, Default)]
struct NewQuery {
    child_id: Option<String>,
}

async fn new_form(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<NewQuery>,
) -> Result<Html<String>, AppError> {
    coordinator(&auth)?;
    let now = OffsetDateTime::now_utc().to_offset(JST);
    let mut form = ConsultationFields {
        area_id: auth
            .actor
            .area_ids
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        at: format!("{}T{:02}:{:02}", now.date(), now.hour(), now.minute()),
        channel: "電話".into(),
        requester: "保護者".into(),
        ..ConsultationFields::default()
    };
    let mut child_name = None;
    if let Some(child) = q.child_id.as_deref().and_then(|c| c.parse::<i64>().ok()) {
        let seen = access::record(&mut u, ChildId(child)).await?;
        let v = tsunagu_store::children::view(&mut u, seen).await?;
        form.child_id = child.to_string();
        form.area_id = v.child.area_id.to_string();
        child_name = Some(v.child.name());
    }
    Ok(Html(
        form_page(&mut u, &auth, form, Errors::new(), child_name)
            .await?
            .render()?,
    ))
}

/// What came of a consultation sent: recorded (with the child it is about, registered with it
/// or found), or refused with the problems and any records the new child may already have.
pub enum Intake {
    Recorded {
        id: ConsultationId,
        child: Option<ChildId>,
        registered: bool,
    },
    Refused {
        errors: Errors,
        duplicates: Vec<tsunagu_store::children::ChildSummary>,
    },
}

/// Records a consultation as the form (or the API's body) gives it: for a known child, an
/// anonymous one, or a new child registered from the same fields in the same transaction.
pub async fn take(
    u: &mut Unit,
    auth: &Auth,
    form: &mut ConsultationFields,
) -> Result<Intake, AppError> {
    let registering = !form.new_child.is_empty();
    if registering && form.caller.trim().is_empty() {
        form.caller = caller_from_guardian(form).unwrap_or_default();
    }
    let (input, mut errors) = check(form, auth.actor.area_ids.first().copied());
    let mut duplicates = vec![];
    let new_child = if registering {
        if input.child_id.is_some() {
            errors.add(
                "child_id",
                "見つかった子どもを選んだか、新しく登録するか、どちらか一方にしてください。",
            );
        }
        let (child, problems) =
            check_new_child(form, input.area_id, crate::children::html::today());
        errors.absorb(problems, |f| f);
        if errors.is_empty() && form.not_a_duplicate.is_empty() {
            duplicates = tsunagu_store::children::possible_duplicates(u, &child, None).await?;
            if !duplicates.is_empty() {
                errors.add(
                    "child_name",
                    "同じ生年月日で名前の近い子どもがすでに登録されています。同じ子どもなら下から選び、別の子どもなら「別の子どもとして登録する」にチェックしてください。",
                );
            }
        }
        Some(child)
    } else {
        None
    };
    if !errors.is_empty() {
        return Ok(Intake::Refused { errors, duplicates });
    }
    let saved = match &new_child {
        Some(new_child) => consultations::create_with_new_child(u, new_child, &input)
            .await
            .map(|(child, id)| (id, Some(child))),
        None => {
            let child = match input.child_id {
                Some(child) => {
                    Some(access::child(u, child, Purpose::Write, "consultation.create").await?)
                }
                None => None,
            };
            consultations::create(u, &input, child.as_ref())
                .await
                .map(|id| (id, input.child_id))
        }
    };
    match saved {
        Ok((id, child)) => Ok(Intake::Recorded {
            id,
            child,
            registered: new_child.is_some(),
        }),
        Err(e @ tsunagu_store::Error::NotFound) => Err(e.into()),
        Err(tsunagu_store::Error::Forbidden) => {
            errors.add("area_id", "担当地域の相談だけを記録できます。");
            Ok(Intake::Refused { errors, duplicates })
        }
        Err(e) => {
            into_form_errors(&mut errors, e)?;
            Ok(Intake::Refused { errors, duplicates })
        }
    }
}

async fn create(
    auth: Auth,
    mut u: Unit,
    form: Deferred<Form<ConsultationFields>>,
) -> Result<Response, AppError> {
    if coordinator(&auth).is_err() {
        consultations::may_record(&mut u, AreaId(0))?;
    }
    let Form(mut form) = form.parse()?;
    let (errors, duplicates) = match take(&mut u, &auth, &mut form).await? {
        Intake::Recorded {
            id,
            child,
            registered,
        } => {
            let to = match (child, registered) {
                (Some(child), true) => format!("/children/{child}?notice=intake_saved"),
                (Some(child), false) => format!("/children/{child}?notice=consultation_saved"),
                (None, _) => format!("/consultations/{id}?notice=consultation_saved"),
            };
            return Ok(Redirect::to(&to).into_response());
        }
        Intake::Refused { errors, duplicates } => (errors, duplicates),
    };
    let mut page = form_page(&mut u, &auth, form, errors, None).await?;
    page.duplicates = duplicates
        .iter()
        .map(crate::children::html::summary_line)
        .collect();
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "consultations/list.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Consultation>,
    pager: Pager,
    q: ListQuery,
    categories: Vec<Category>,
    errors: Errors,
    /// Only coordinators take calls: the button is not offered to whom it would refuse.
    may_take: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    unlinked: String,
    mine: String,
    from: String,
    until: String,
    category: String,
    /// "1": only those whose follow-up is due (today or before).
    follow_up: String,
    limit: Option<String>,
    offset: Option<String>,
}

impl ListQuery {
    /// The filters as a URL's query, for the pager's links.
    fn to_query(&self) -> String {
        use crate::layout::qs;
        let mut out = String::from("/consultations?");
        for (name, value) in [
            ("unlinked", &self.unlinked),
            ("mine", &self.mine),
            ("from", &self.from),
            ("until", &self.until),
            ("category", &self.category),
            ("follow_up", &self.follow_up),
        ] {
            if !value.trim().is_empty() {
                out.push_str(&format!("{name}={}&", qs(value.trim())));
            }
        }
        out
    }
}

/// The 相談記録 of the user's areas: all, not yet linked, the user's own, a period, a category,
/// follow-ups due; the filters are in the URL.
async fn list(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    if !matches!(auth.actor.role, Role::Coordinator | Role::Supervisor) {
        return Err(AppError::Forbidden);
    }
    let paging = ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let mut errors = Errors::new();
    let filter = consultations::Filter {
        unlinked: !q.unlinked.is_empty(),
        mine: !q.mine.is_empty(),
        from: parse_date(&mut errors, "from", "期間の始め", &q.from),
        until: parse_date(&mut errors, "until", "期間の終わり", &q.until),
        category: q.category.trim().parse().ok(),
        follow_up_by: (!q.follow_up.is_empty()).then(crate::children::html::today),
    };
    let page = consultations::list(&mut u, &filter, paging).await?;
    let view = ListPage {
        layout: Layout::page(&auth, "相談記録", "/consultations"),
        pager: Pager::new(&q.to_query(), page.total, paging, page.items.len()),
        items: page.items,
        categories: consultations::categories(&mut *u).await?,
        errors,
        q,
        may_take: auth.actor.role == Role::Coordinator,
    };
    Ok(Html(view.render()?))
}

#[derive(Template)]
#[template(path = "consultations/show.html")]
struct ShowPage {
    layout: Layout,
    c: Consultation,
    may_link: bool,
    attachments: Vec<tsunagu_store::attachments::Attachment>,
    may_attach: bool,
    may_edit: bool,
    revisions: Vec<consultations::Revision>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<ConsultationId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let c = consultations::get(&mut u, id).await?;
    let attachments = tsunagu_store::attachments::list_for_consultation(&mut u, id).await?;
    let revisions = consultations::revisions(&mut u, id).await?;
    let page = ShowPage {
        layout: Layout::page(&auth, "相談記録", "/consultations").with_notice(q.notice.as_deref()),
        may_link: c.child_id.is_none() && auth.actor.role == Role::Coordinator,
        may_attach: auth.actor.role == Role::Coordinator,
        may_edit: auth.actor.role == Role::Coordinator,
        attachments,
        revisions,
        c,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkForm {
    child_id: String,
}

async fn link(
    mut u: Unit,
    Path(id): Path<ConsultationId>,
    form: Deferred<Form<LinkForm>>,
) -> Result<Response, AppError> {
    consultations::authorize(&mut u, id, Purpose::Write, "consultation.link").await?;
    let Form(form) = form.parse()?;
    let child = form
        .child_id
        .trim()
        .parse()
        .map(ChildId)
        .map_err(|_| AppError::invalid("child_id", "結びつける子どもを選んでください。"))?;
    let access = access::child(&mut u, child, Purpose::Write, "consultation.link").await?;
    consultations::link(&mut u, id, &access).await?;
    Ok(Redirect::to(&format!("/children/{child}?notice=linked")).into_response())
}

/// The consultation as its form shows it, for a correction.
fn fields_of(c: &Consultation, categories: &[Category]) -> ConsultationFields {
    let at = c.at.to_offset(JST);
    ConsultationFields {
        area_id: c.area_id.to_string(),
        child_id: c.child_id.map(|id| id.to_string()).unwrap_or_default(),
        at: format!("{}T{:02}:{:02}", at.date(), at.hour(), at.minute()),
        channel: c.channel.clone(),
        requester: c.requester.clone(),
        caller: c.caller.clone().unwrap_or_default(),
        concern: c.concern.clone(),
        category_ids: categories
            .iter()
            .filter(|k| c.categories.contains(&k.name))
            .map(|k| k.id.to_string())
            .collect(),
        action_taken: c.action_taken.clone().unwrap_or_default(),
        minutes: c.minutes.map(|m| m.to_string()).unwrap_or_default(),
        follow_up_on: c.follow_up_on.map(|d| d.to_string()).unwrap_or_default(),
        ..ConsultationFields::default()
    }
}

async fn edit_page(
    u: &mut Unit,
    auth: &Auth,
    id: ConsultationId,
    c: &Consultation,
    form: ConsultationFields,
    errors: Errors,
) -> Result<FormPage, AppError> {
    let child_name = Some(
        c.child_name
            .clone()
            .unwrap_or_else(|| "匿名（子どもに結びついていない）".to_owned()),
    );
    let mut page = form_page(u, auth, form, errors, child_name).await?;
    page.layout.title = "相談記録の修正".to_owned();
    page.editing = Some(id);
    Ok(page)
}

/// A recorded consultation's correction form (coordinators).
async fn edit_form(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<ConsultationId>,
) -> Result<Html<String>, AppError> {
    coordinator(&auth)?;
    consultations::authorize(&mut u, id, Purpose::Write, "consultation.update").await?;
    let c = consultations::get(&mut u, id).await?;
    let categories = consultations::categories(&mut *u).await?;
    let form = fields_of(&c, &categories);
    Ok(Html(
        edit_page(&mut u, &auth, id, &c, form, Errors::new())
            .await?
            .render()?,
    ))
}

/// Saves a correction: the consultation's earlier text is kept in its history with the reason.
async fn update(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<ConsultationId>,
    form: Deferred<Form<ConsultationFields>>,
) -> Result<Response, AppError> {
    coordinator(&auth)?;
    consultations::authorize(&mut u, id, Purpose::Write, "consultation.update").await?;
    let Form(form) = form.parse()?;
    let (input, mut errors) = check(&form, auth.actor.area_ids.first().copied());
    let reason = errors.optional_line("revision_reason", "修正の理由", &form.revision_reason);
    if errors.is_empty() {
        match consultations::update(&mut u, id, &input, reason.as_deref()).await {
            Ok(()) => {
                return Ok(
                    Redirect::to(&format!("/consultations/{id}?notice=saved")).into_response()
                )
            }
            Err(e @ (tsunagu_store::Error::NotFound | tsunagu_store::Error::Forbidden)) => {
                return Err(e.into())
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let c = consultations::get(&mut u, id).await?;
    let page = edit_page(&mut u, &auth, id, &c, form, errors).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
