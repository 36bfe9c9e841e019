//! Support plans on the web: the child's plan page with every version, creating the plan and
//! correcting the current version, the plan review (モニタリング) that makes the next version,
//! two versions side by side, the print view, and the API. The store decides who may do what.

use askama::Template;
use axum::{
    extract::Path,
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post, put},
    Json,
};
use serde::Deserialize;
use time::Date;
use tsunagu_domain::{
    access::Purpose,
    japanese_date,
    plan::{rating_label, Rating},
    validation::Errors,
    PlanId, Role,
};
use tsunagu_store::{
    access,
    children::{self, ChildId},
    plans::{self, GoalInput, Plan, PlanHistory, PlanInput, Review, ReviewInput, SharedPlan},
};

use tsunagu_documents::pdf::{Document, Section};

use crate::{
    agencies::{parse_date, parse_schedule_date},
    auth::Auth,
    error::into_form_errors,
    extract::{Deferred, Form, Json as JsonBody, Query},
    layout::{filters, Layout},
    printing,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/plans", get(worklist))
        .route("/children/{id}/plan", get(show).post(create))
        .route("/children/{id}/plan/new", get(new_form))
        .route("/children/{id}/plan/edit", get(edit_form).post(update))
        .route("/children/{id}/plan/review", get(review_form).post(review))
        .route("/children/{id}/plan/compare", get(compare))
        .route("/children/{id}/plan/pdf", get(pdf))
        .route("/children/{id}/plan/print", get(print))
        .route(
            "/api/v1/children/{id}/plans",
            get(api_history).post(api_create),
        )
        .route("/api/v1/children/{id}/plans/{plan}", put(api_update))
        .route(
            "/api/v1/children/{id}/plans/{plan}/review",
            post(api_review),
        )
}

/// The most short-term goals a version holds.
const MAX_GOALS: usize = 20;

/// A version as typed. Goals come as rows: the n-th `who`, `what` and `by_on` go with the n-th
/// `goal`; rows left empty are skipped.
#[derive(Deserialize, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PlanFields {
    /// 現在の状況
    pub situation: String,
    /// 支援の必要なこと（ニーズ）
    pub needs: String,
    /// 本人・家族の希望
    pub wishes: String,
    /// 長期目標
    pub long_term_goal: String,
    /// 次の見直し日 (YYYY-MM-DD)
    pub review_on: String,
    /// 短期目標, one a row.
    pub goal: Vec<String>,
    /// 誰が
    pub who: Vec<String>,
    /// 何をする
    pub what: Vec<String>,
    /// いつまでに (YYYY-MM-DD)
    pub by_on: Vec<String>,
    /// The form's 「目標の行を増やす」 button: show the form again with one more row.
    #[schema(ignore)]
    #[serde(skip_serializing)]
    pub more_rows: String,
    /// The version a correction form was opened on (the API names it in the path).
    #[schema(ignore)]
    #[serde(skip_serializing)]
    pub plan_id: String,
}

impl PlanFields {
    fn of(p: &Plan) -> PlanFields {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        PlanFields {
            situation: text(&p.situation),
            needs: text(&p.needs),
            wishes: text(&p.wishes),
            long_term_goal: text(&p.long_term_goal),
            review_on: p.review_on.to_string(),
            goal: p.goals.iter().map(|g| g.goal.clone()).collect(),
            who: p.goals.iter().map(|g| text(&g.who)).collect(),
            what: p.goals.iter().map(|g| text(&g.what)).collect(),
            by_on: p
                .goals
                .iter()
                .map(|g| g.by_on.map(|d| d.to_string()).unwrap_or_default())
                .collect(),
            more_rows: String::new(),
            plan_id: p.id.to_string(),
        }
    }

    fn row(list: &[String], i: usize) -> &str {
        list.get(i).map_or("", String::as_str)
    }

    /// The goal rows the form shows: the typed ones, one blank (two on a new plan), and one more
    /// each time the user asked for it.
    fn goal_rows(&self) -> Vec<usize> {
        let typed = [&self.goal, &self.who, &self.what, &self.by_on]
            .iter()
            .map(|l| l.len())
            .max()
            .unwrap_or(0);
        let extra = if self.more_rows.is_empty() { 1 } else { 2 };
        (0..(typed + extra).clamp(3, MAX_GOALS)).collect()
    }
}

/// Checks a version, naming each problem's field.
fn check_plan(f: &PlanFields, e: &mut Errors) -> Option<PlanInput> {
    let situation = e.optional_text("situation", "現在の状況", &f.situation);
    let needs = e.optional_text("needs", "支援の必要なこと", &f.needs);
    let wishes = e.optional_text("wishes", "本人・家族の希望", &f.wishes);
    let long_term_goal = e.optional_text("long_term_goal", "長期目標", &f.long_term_goal);
    let review_on = parse_schedule_date(e, "review_on", "次の見直し日", &f.review_on);
    if review_on.is_none() && e.get("review_on").is_none() {
        e.add(
            "review_on",
            "次の見直し日（モニタリングの日）を入力してください。",
        );
    }
    let mut goals = Vec::new();
    let rows = [&f.goal, &f.who, &f.what, &f.by_on]
        .iter()
        .map(|l| l.len())
        .max()
        .unwrap_or(0);
    for i in 0..rows {
        let cell = |l: &Vec<String>| PlanFields::row(l, i).trim().to_owned();
        let (goal, who, what, by) = (cell(&f.goal), cell(&f.who), cell(&f.what), cell(&f.by_on));
        if goal.is_empty() && who.is_empty() && what.is_empty() && by.is_empty() {
            continue;
        }
        let n = i + 1;
        if goal.is_empty() {
            e.add("goal", format!("{n}行目：目標を入力してください。"));
        }
        let goal = e.optional_text("goal", &format!("{n}行目の目標"), &goal);
        let who = e.optional_line("who", &format!("{n}行目の「誰が」"), &who);
        let what = e.optional_text("what", &format!("{n}行目の「何をする」"), &what);
        let by_on = parse_schedule_date(e, "by_on", &format!("{n}行目の期限"), &by);
        if let Some(goal) = goal {
            goals.push(GoalInput {
                goal,
                who,
                what,
                by_on,
            });
        }
    }
    if goals.is_empty() && e.get("goal").is_none() {
        e.add("goal", "短期目標を1つ以上入力してください。");
    }
    if goals.len() > MAX_GOALS {
        e.add("goal", format!("短期目標は{MAX_GOALS}個までです。"));
    }
    Some(PlanInput {
        situation,
        needs,
        wishes,
        long_term_goal,
        review_on: review_on?,
        goals,
    })
}

fn plan_input(f: &PlanFields) -> Result<PlanInput, AppError> {
    let mut e = Errors::new();
    let input = check_plan(f, &mut e);
    e.into_result().map_err(AppError::Validation)?;
    input.ok_or_else(|| AppError::invalid("review_on", "次の見直し日を入力してください。"))
}

/// A review as typed: the review itself, progress per goal of the reviewed version (the n-th
/// `rating` and `progress` go with the n-th `goal_id`), and the next version's fields.
#[derive(Deserialize, Default, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReviewFields {
    /// The version reviewed (the current one when the form was opened).
    #[schema(ignore)]
    pub plan_id: String,
    /// 見直しの日 (YYYY-MM-DD)
    pub reviewed_on: String,
    /// 総合的な所見
    pub summary: String,
    pub goal_id: Vec<String>,
    /// achieved (達成), partly (一部達成), not_yet (未達成), or empty
    pub rating: Vec<String>,
    pub progress: Vec<String>,
    /// The next version.
    pub next: PlanFields,
}

/// The review form posts the next version's fields beside the review's; this gathers them.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ReviewForm {
    plan_id: String,
    reviewed_on: String,
    summary: String,
    goal_id: Vec<String>,
    rating: Vec<String>,
    progress: Vec<String>,
    situation: String,
    needs: String,
    wishes: String,
    long_term_goal: String,
    review_on: String,
    goal: Vec<String>,
    who: Vec<String>,
    what: Vec<String>,
    by_on: Vec<String>,
    more_rows: String,
}

impl From<ReviewForm> for ReviewFields {
    fn from(f: ReviewForm) -> Self {
        ReviewFields {
            plan_id: f.plan_id,
            reviewed_on: f.reviewed_on,
            summary: f.summary,
            goal_id: f.goal_id,
            rating: f.rating,
            progress: f.progress,
            next: PlanFields {
                situation: f.situation,
                needs: f.needs,
                wishes: f.wishes,
                long_term_goal: f.long_term_goal,
                review_on: f.review_on,
                goal: f.goal,
                who: f.who,
                what: f.what,
                by_on: f.by_on,
                more_rows: f.more_rows,
                plan_id: String::new(),
            },
        }
    }
}

fn review_input(f: &ReviewFields, plan_id: PlanId) -> Result<ReviewInput, AppError> {
    let mut e = Errors::new();
    let reviewed_on = parse_date(&mut e, "reviewed_on", "見直しの日", &f.reviewed_on);
    if reviewed_on.is_none() && e.get("reviewed_on").is_none() {
        e.add("reviewed_on", "見直しの日を入力してください。");
    }
    let summary = e.optional_text("summary", "総合的な所見", &f.summary);
    let mut progress = Vec::new();
    for (i, id) in f.goal_id.iter().enumerate() {
        let Ok(goal) = id.trim().parse::<i64>() else {
            e.add("progress", "見直す目標が正しくありません。");
            continue;
        };
        let code = PlanFields::row(&f.rating, i).trim();
        let rating = Rating::from_code(code);
        if rating.is_none() && !code.is_empty() {
            e.add(
                "progress",
                "評価は「達成」「一部達成」「未達成」から選んでください。",
            );
        }
        let text = e.optional_text(
            "progress",
            &format!("{}つ目の目標の経過", i + 1),
            PlanFields::row(&f.progress, i),
        );
        progress.push((goal, rating, text));
    }
    let next = check_plan(&f.next, &mut e);
    e.into_result().map_err(AppError::Validation)?;
    match (reviewed_on, next) {
        (Some(reviewed_on), Some(next)) => Ok(ReviewInput {
            plan_id,
            reviewed_on,
            summary,
            progress,
            next,
        }),
        _ => Err(AppError::invalid("reviewed_on", "日付を入力してください。")),
    }
}

fn today() -> Date {
    japanese_date::today(time::OffsetDateTime::now_utc())
}

/// What the plan's pages show alike: dates with the 和暦, ratings.
trait PlanPage {
    /// 2026年4月1日（令和8年）, or empty.
    fn date(&self, d: &Option<Date>) -> String {
        d.map(japanese_date::format_date_with_era)
            .unwrap_or_default()
    }
    fn day(&self, d: &Date) -> String {
        japanese_date::format_date_with_era(*d)
    }
    fn rating(&self, r: &Option<String>) -> &'static str {
        rating_label(r.as_deref())
    }
}

#[derive(Template)]
#[template(path = "plans/show.html")]
struct ShowPage {
    layout: Layout,
    h: PlanHistory,
    /// The version shown: the current one unless another was asked for.
    shown: Option<Plan>,
    /// The review of the shown version, if it was reviewed.
    reviewed: Option<Review>,
    today: Date,
}

impl PlanPage for ShowPage {}

impl ShowPage {
    fn other_plans(&self) -> &'static [(&'static str, &'static str)] {
        &tsunagu_domain::plan::OTHER_PLANS
    }

    fn version_of(&self, plan_id: &PlanId) -> i64 {
        self.h
            .versions
            .iter()
            .find(|p| p.id == *plan_id)
            .map_or(0, |p| p.version)
    }
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    version: Option<String>,
    notice: Option<String>,
}

fn pick(h: &PlanHistory, version: Option<&str>) -> Result<Option<Plan>, AppError> {
    match version.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(h.current().cloned()),
        Some(v) => {
            let n: i64 = v.parse().map_err(|_| AppError::NotFound)?;
            h.version(n).cloned().map(Some).ok_or(AppError::NotFound)
        }
    }
}

#[derive(Template)]
#[template(path = "plans/shared.html")]
struct SharedPage {
    layout: Layout,
    child_id: i64,
    child_name: String,
    plan: Option<SharedPlan>,
}

async fn show(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    if auth.actor.role == Role::AgencyStaff {
        // An agency sees the current plan's goals and roles when its consent shares the plan.
        let access = access::child(&mut u, ChildId(id), Purpose::Read, "plan.read").await?;
        if !access.sees(tsunagu_domain::access::SharePart::Plan) {
            access::area_staff(&mut u, ChildId(id), "plan.read").await?;
        }
        let plan = plans::shared(&mut u, &access).await?;
        let child_name = children::display_name(&mut u, &access).await?;
        let page = SharedPage {
            layout: Layout::page(&auth, "支援計画（役割分担）", "/children"),
            child_id: id,
            child_name,
            plan,
        };
        return Ok(Html(page.render()?).into_response());
    }
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    let shown = pick(&h, q.version.as_deref())?;
    let reviewed = shown.as_ref().and_then(|p| h.review_of(p.id).cloned());
    let page = ShowPage {
        layout: Layout::page(&auth, tsunagu_domain::plan::COORDINATOR_PLAN, "/children")
            .with_notice(q.notice.as_deref()),
        h,
        shown,
        reviewed,
        today: today(),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "plans/form.html")]
struct FormPage {
    layout: Layout,
    child_id: i64,
    child_name: String,
    /// The current version's id when correcting it; `None` for the first version.
    plan_id: Option<i64>,
    version: i64,
    form: PlanFields,
    errors: Errors,
}

impl FormPage {
    fn row<'a>(&self, list: &'a [String], i: &usize) -> &'a str {
        PlanFields::row(list, *i)
    }
}

async fn form_page(
    auth: &Auth,
    h: &PlanHistory,
    form: PlanFields,
    errors: Errors,
) -> Result<FormPage, AppError> {
    let current = h.current();
    Ok(FormPage {
        layout: Layout::page(
            auth,
            if current.is_some() {
                "支援計画の修正"
            } else {
                "支援計画の作成"
            },
            "/children",
        ),
        child_id: h.child_id.0,
        child_name: h.child_name.clone(),
        plan_id: current.map(|p| p.id.0),
        version: current.map_or(1, |p| p.version),
        form,
        errors,
    })
}

/// Only a coordinator of the area writes the plan, and not on a closed case.
fn writable(h: &PlanHistory) -> Result<(), AppError> {
    if h.may_write {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

async fn new_form(auth: Auth, mut u: Unit, Path(id): Path<i64>) -> Result<Response, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    writable(&h)?;
    if h.current().is_some() {
        return Ok(Redirect::to(&format!("/children/{id}/plan")).into_response());
    }
    let form = PlanFields {
        review_on: (today() + time::Duration::days(180)).to_string(),
        ..PlanFields::default()
    };
    let page = form_page(&auth, &h, form, Errors::new()).await?;
    Ok(Html(page.render()?).into_response())
}

async fn edit_form(auth: Auth, mut u: Unit, Path(id): Path<i64>) -> Result<Html<String>, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    writable(&h)?;
    let current = h.current().ok_or(AppError::NotFound)?;
    let page = form_page(&auth, &h, PlanFields::of(current), Errors::new()).await?;
    Ok(Html(page.render()?))
}

/// Saves a version from the form: a new plan (`correcting` is `None`), or a correction of the
/// version the form was opened on. A validation problem, a request for more goal rows, or a
/// refusal the store names (the version is no longer current…) shows the form again with
/// everything typed.
async fn save(
    u: &mut Unit,
    auth: &Auth,
    id: i64,
    form: PlanFields,
    correcting: Option<PlanId>,
) -> Result<Response, AppError> {
    let child = ChildId(id);
    let action = if correcting.is_some() {
        "plan.update"
    } else {
        "plan.create"
    };
    let access = access::child(u, child, Purpose::Write, action).await?;
    let mut errors = Errors::new();
    let input = check_plan(&form, &mut errors);
    if !form.more_rows.is_empty() {
        // Only more rows were asked for: nothing is judged yet.
        errors = Errors::new();
    } else if let (true, Some(input)) = (errors.is_empty(), input) {
        let result = match correcting {
            None => plans::create(u, &access, &input).await.map(|_| "created"),
            Some(plan) => plans::update_current(u, &access, plan, &input)
                .await
                .map(|()| "saved"),
        };
        match result {
            Ok(notice) => {
                return Ok(
                    Redirect::to(&format!("/children/{id}/plan?notice={notice}")).into_response(),
                )
            }
            Err(e) => into_form_errors(&mut errors, e)?,
        }
    }
    let staff = access::area_staff(u, child, plans::READ).await?;
    let h = plans::history(u, &staff).await?;
    writable(&h)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = form_page(auth, &h, form, errors).await?;
    Ok((status, Html(page.render()?)).into_response())
}

async fn create(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<PlanFields>>,
) -> Result<Response, AppError> {
    access::child(&mut u, ChildId(id), Purpose::Write, "plan.create").await?;
    let Form(form) = form.parse()?;
    save(&mut u, &auth, id, form, None).await
}

async fn update(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<PlanFields>>,
) -> Result<Response, AppError> {
    access::child(&mut u, ChildId(id), Purpose::Write, "plan.update").await?;
    let Form(form) = form.parse()?;
    let plan = PlanId(form.plan_id.trim().parse().unwrap_or(0));
    save(&mut u, &auth, id, form, Some(plan)).await
}

#[derive(Template)]
#[template(path = "plans/review.html")]
struct ReviewPage {
    layout: Layout,
    h: PlanHistory,
    reviewed: Plan,
    form: ReviewFields,
    errors: Errors,
}

impl PlanPage for ReviewPage {}

impl ReviewPage {
    fn row<'a>(&self, list: &'a [String], i: &usize) -> &'a str {
        PlanFields::row(list, *i)
    }
    fn rating_options(&self) -> [(&'static str, &'static str); 3] {
        Rating::ALL.map(|r| (r.code(), r.label()))
    }
    fn rated(&self, i: &usize, code: &str) -> bool {
        PlanFields::row(&self.form.rating, *i) == code
    }
}

async fn review_page(
    auth: &Auth,
    h: PlanHistory,
    form: Option<ReviewFields>,
    errors: Errors,
) -> Result<ReviewPage, AppError> {
    let reviewed = h.current().cloned().ok_or(AppError::NotFound)?;
    let form = form.unwrap_or_else(|| {
        let mut next = PlanFields::of(&reviewed);
        next.review_on = (today() + time::Duration::days(180)).to_string();
        ReviewFields {
            plan_id: reviewed.id.to_string(),
            reviewed_on: today().to_string(),
            goal_id: reviewed.goals.iter().map(|g| g.id.to_string()).collect(),
            next,
            ..ReviewFields::default()
        }
    });
    Ok(ReviewPage {
        layout: Layout::page(auth, "支援計画の見直し（モニタリング）", "/children"),
        h,
        reviewed,
        form,
        errors,
    })
}

async fn review_form(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
) -> Result<Html<String>, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    writable(&h)?;
    let page = review_page(&auth, h, None, Errors::new()).await?;
    Ok(Html(page.render()?))
}

async fn review(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    form: Deferred<Form<ReviewForm>>,
) -> Result<Response, AppError> {
    let child = ChildId(id);
    let access = access::child(&mut u, child, Purpose::Write, "plan.review").await?;
    let Form(form) = form.parse()?;
    let form: ReviewFields = form.into();
    let mut errors = Errors::new();
    if form.next.more_rows.is_empty() {
        let plan_id = PlanId(form.plan_id.trim().parse().unwrap_or(0));
        let result = match review_input(&form, plan_id) {
            Ok(input) => plans::review(&mut u, &access, &input)
                .await
                .map_err(AppError::from),
            Err(e) => Err(e),
        };
        match result {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/children/{id}/plan?notice=reviewed")).into_response(),
                )
            }
            Err(AppError::Validation(found)) => errors = found,
            Err(e) => return Err(e),
        }
    }
    let staff = access::area_staff(&mut u, child, plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    writable(&h)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = review_page(&auth, h, Some(form), errors).await?;
    Ok((status, Html(page.render()?)).into_response())
}

/// One field of two versions side by side.
struct CompareRow {
    label: &'static str,
    older: String,
    newer: String,
}

impl CompareRow {
    fn changed(&self) -> bool {
        self.older != self.newer
    }
}

#[derive(Template)]
#[template(path = "plans/compare.html")]
struct ComparePage {
    layout: Layout,
    h: PlanHistory,
    older: i64,
    newer: i64,
    rows: Vec<CompareRow>,
}

#[derive(Deserialize, Default)]
struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
}

fn goals_text(p: &Plan) -> String {
    p.goals
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let mut line = format!("{}. {}", i + 1, g.goal);
            let who = g.who.as_deref().unwrap_or("");
            let what = g.what.as_deref().unwrap_or("");
            match (who.is_empty(), what.is_empty()) {
                (false, false) => line.push_str(&format!("（{who}：{what}）")),
                (false, true) => line.push_str(&format!("（{who}）")),
                (true, false) => line.push_str(&format!("（{what}）")),
                (true, true) => {}
            }
            if let Some(d) = g.by_on {
                line.push_str(&format!(" {}まで", tsunagu_domain::calendar::day_label(d)));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn compare_rows(older: &Plan, newer: &Plan) -> Vec<CompareRow> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let row = |label, a: &Option<String>, b: &Option<String>| CompareRow {
        label,
        older: text(a),
        newer: text(b),
    };
    vec![
        row("現在の状況", &older.situation, &newer.situation),
        row("支援の必要なこと", &older.needs, &newer.needs),
        row("本人・家族の希望", &older.wishes, &newer.wishes),
        row("長期目標", &older.long_term_goal, &newer.long_term_goal),
        CompareRow {
            label: "短期目標と役割分担",
            older: goals_text(older),
            newer: goals_text(newer),
        },
        CompareRow {
            label: "次の見直し日",
            older: japanese_date::format_date(older.review_on),
            newer: japanese_date::format_date(newer.review_on),
        },
    ]
}

/// Two versions side by side; by default the one before the current and the current.
async fn compare(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<CompareQuery>,
) -> Result<Html<String>, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    let latest = h.versions.first().map_or(0, |p| p.version);
    let parse = |v: Option<&String>, default: i64| {
        v.and_then(|s| s.trim().parse::<i64>().ok())
            .unwrap_or(default)
    };
    let (a, b) = (parse(q.a.as_ref(), latest - 1), parse(q.b.as_ref(), latest));
    let (older, newer) = (a.min(b), a.max(b));
    let (Some(o), Some(n)) = (h.version(older), h.version(newer)) else {
        return Err(AppError::NotFound);
    };
    let rows = compare_rows(o, n);
    let page = ComparePage {
        layout: Layout::page(&auth, "支援計画の比較", "/children"),
        h,
        older,
        newer,
        rows,
    };
    Ok(Html(page.render()?))
}

/// A version on paper (A4), with how the goals went at the review that led to it and a line
/// for the guardian's agreement.
fn document(h: &PlanHistory, p: &Plan) -> Document {
    let day = |d: Date| japanese_date::format_date_with_era(d);
    let text = |v: &Option<String>| printing::or_dash(v.as_deref().unwrap_or_default());
    let mut sections = vec![
        Section::new("本人・家族の思いと支援の方向").fields([
            (
                "氏名",
                format!("{}（{}生）", h.child_name, day(h.birth_date)),
            ),
            ("作成日", day(japanese_date::today(p.created_at))),
            ("次の見直し日", day(p.review_on)),
            ("現在の状況", text(&p.situation)),
            ("支援の必要なこと", text(&p.needs)),
            ("本人・家族の希望", text(&p.wishes)),
            ("長期目標", text(&p.long_term_goal)),
        ]),
        Section::new("短期目標と役割分担").table(
            &[("目標", 4), ("誰が", 2), ("何をする", 4), ("いつまでに", 2)],
            p.goals
                .iter()
                .map(|g| {
                    vec![
                        g.goal.clone(),
                        g.who.clone().unwrap_or_default(),
                        g.what.clone().unwrap_or_default(),
                        g.by_on
                            .map(tsunagu_domain::calendar::day_label)
                            .unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
    ];
    // The review that led to this version shows how the goals went before it.
    if let Some(r) = h.reviews.iter().find(|r| r.next_plan_id == p.id) {
        let goal = |id: i64| {
            h.versions
                .iter()
                .flat_map(|v| &v.goals)
                .find(|g| g.id == id)
                .map(|g| g.goal.clone())
                .unwrap_or_default()
        };
        let mut review = Section::new(format!("前の版の見直し（{}）", day(r.reviewed_on))).table(
            &[("目標", 4), ("評価", 1), ("経過", 5)],
            r.progress
                .iter()
                .map(|x| {
                    vec![
                        goal(x.goal_id),
                        rating_label(x.rating.as_deref()).to_string(),
                        x.progress.clone().unwrap_or_default(),
                    ]
                })
                .collect(),
        );
        if let Some(summary) = &r.summary {
            review = review.fields([("総合的な所見", summary.clone())]);
        }
        sections.push(review);
    }
    sections.push(
        Section::new("保護者の同意")
            .text("上記の支援計画について説明を受け、内容に同意します。")
            .signature("年　　月　　日　　保護者氏名"),
    );
    Document {
        title: format!(
            "{} 第{}版",
            tsunagu_domain::plan::COORDINATOR_PLAN,
            p.version
        ),
        meta: vec![format!("印刷日：{}", day(today()))],
        sections,
        footer: printing::CONFIDENTIAL.into(),
        landscape: false,
    }
}

/// A version on A4 (the current one unless asked).
async fn print(
    auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Html<String>, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    let p = pick(&h, q.version.as_deref())?.ok_or(AppError::NotFound)?;
    printing::html(
        Layout::page(&auth, "支援計画", "/children"),
        &document(&h, &p),
        &format!("/children/{id}/plan?version={}", p.version),
        "支援計画へ戻る",
        &format!("/children/{id}/plan/pdf?version={}", p.version),
    )
}

async fn pdf(
    _auth: Auth,
    mut u: Unit,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    let h = plans::history(&mut u, &staff).await?;
    let p = pick(&h, q.version.as_deref())?.ok_or(AppError::NotFound)?;
    let name = format!("支援計画_第{}版.pdf", p.version);
    printing::pdf(document(&h, &p), &name).await
}

/// Every version of the child's plan, newest first, with goals and the reviews (the area's staff).
#[utoipa::path(get, path = "/api/v1/children/{id}/plans", tag = "plans", params(("id" = i64, Path)),
    responses((status = 200, body = PlanHistory), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse)))]
pub async fn api_history(mut u: Unit, Path(id): Path<i64>) -> Result<Json<PlanHistory>, AppError> {
    let staff = access::area_staff(&mut u, ChildId(id), plans::READ).await?;
    Ok(Json(plans::history(&mut u, &staff).await?))
}

/// Make the child's first plan (coordinators of the area); later versions come from reviews.
#[utoipa::path(post, path = "/api/v1/children/{id}/plans", tag = "plans", params(("id" = i64, Path)), request_body = PlanFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_create(
    mut u: Unit,
    Path(id): Path<i64>,
    body: Deferred<JsonBody<PlanFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "plan.create").await?;
    let JsonBody(body) = body.parse()?;
    let input = plan_input(&body)?;
    let plan = plans::create(&mut u, &access, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": plan }))))
}

/// Correct the current version in place; earlier versions never change.
#[utoipa::path(put, path = "/api/v1/children/{id}/plans/{plan}", tag = "plans", params(("id" = i64, Path), ("plan" = i64, Path)), request_body = PlanFields,
    responses((status = 204), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_update(
    mut u: Unit,
    Path((id, plan)): Path<(i64, PlanId)>,
    body: Deferred<JsonBody<PlanFields>>,
) -> Result<StatusCode, AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "plan.update").await?;
    let JsonBody(body) = body.parse()?;
    let input = plan_input(&body)?;
    plans::update_current(&mut u, &access, plan, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Review the current version (`plan`): progress per goal, and the next version, which becomes
/// current. Answers the new version's id.
#[utoipa::path(post, path = "/api/v1/children/{id}/plans/{plan}/review", tag = "plans", params(("id" = i64, Path), ("plan" = i64, Path)), request_body = ReviewFields,
    responses((status = 201), (status = 403, body = crate::api::ErrorResponse), (status = 404, body = crate::api::ErrorResponse), (status = 422, body = crate::api::ErrorResponse)))]
pub async fn api_review(
    mut u: Unit,
    Path((id, plan)): Path<(i64, PlanId)>,
    body: Deferred<JsonBody<ReviewFields>>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let access = access::child(&mut u, ChildId(id), Purpose::Write, "plan.review").await?;
    let JsonBody(body) = body.parse()?;
    let input = review_input(&body, plan)?;
    let next = plans::review(&mut u, &access, &input).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": next }))))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WorklistQuery {
    /// overdue, soon, or empty for every current plan
    due: String,
    mine: String,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Template)]
#[template(path = "plans/worklist.html")]
struct WorklistPage {
    layout: Layout,
    items: Vec<plans::PlanLine>,
    pager: crate::layout::Pager,
    q: WorklistQuery,
    dues: [(&'static str, &'static str); 2],
    today: Date,
}

/// The current support plans of the area's children, soonest review first: overdue, due within
/// 30 days, the user's own; the filters are in the URL.
async fn worklist(
    auth: Auth,
    mut u: Unit,
    Query(q): Query<WorklistQuery>,
) -> Result<Html<String>, AppError> {
    if !auth.actor.role.needs_areas() {
        return Err(AppError::Forbidden);
    }
    let paging = crate::extract::ListParams {
        q: None,
        limit: q.limit.clone(),
        offset: q.offset.clone(),
    }
    .paging()?;
    let mine = !q.mine.is_empty();
    let found = plans::worklist(&mut u, plans::ReviewDue::from_code(&q.due), mine, paging).await?;
    let base = format!(
        "/plans?due={}&{}",
        crate::layout::qs(&q.due),
        if mine { "mine=1&" } else { "" }
    );
    let page = WorklistPage {
        layout: Layout::page(&auth, "支援計画（コーディネーター作成）の一覧", "/plans"),
        pager: crate::layout::Pager::new(&base, found.total, paging, found.items.len()),
        items: found.items,
        q,
        dues: plans::ReviewDue::ALL,
        today: today(),
    };
    Ok(Html(page.render()?))
}
