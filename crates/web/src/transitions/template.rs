//! The checklist template each new transition starts from: lines per kind with where they fall
//! relative to the move. Coordinators and administrators edit it; planned transitions keep theirs.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;
use tsunagu_domain::{calendar::IfClosed, school_year::TransitionKind, validation::Errors, Role};
use tsunagu_store::transitions::{self, TemplateItem, TemplateLine};

use crate::{
    auth::{Auth, Meta},
    error::into_form_errors,
    extract::{Form, Query},
    layout::Layout,
    routing::Router,
    unit::Pooled,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/transitions/template", get(show).post(save))
        .route("/transitions/template/{id}/delete", post(delete))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct LineFields {
    id: String,
    kind: String,
    title: String,
    owner: String,
    month_offset: String,
    day: String,
    sort_order: String,
    if_closed: String,
}

fn check(f: &LineFields) -> Result<TemplateLine, AppError> {
    let mut e = Errors::new();
    let kind = TransitionKind::from_code(f.kind.trim());
    if kind.is_none() {
        e.add("kind", "移行の種類を選んでください。");
    }
    let title = e.required_line("title", "項目", &f.title);
    let owner = e.optional_line("owner", "担当", &f.owner);
    let month_offset = match f.month_offset.trim().parse::<i32>() {
        Ok(n) if (-24..=24).contains(&n) => Some(n),
        _ => {
            e.add(
                "month_offset",
                "何か月前（-）・後かを -24〜24 の数字で入力してください。",
            );
            None
        }
    };
    let day = match f.day.trim().parse::<u8>() {
        Ok(d) if (1..=31).contains(&d) => Some(d),
        _ => {
            e.add(
                "day",
                "日は 1〜31 の数字で入力してください（月末より大きいときは月末）。",
            );
            None
        }
    };
    let sort_order = f.sort_order.trim().parse::<i64>().unwrap_or(0);
    let if_closed = match f.if_closed.trim() {
        "" => IfClosed::Before,
        code => IfClosed::from_code(code).unwrap_or_else(|| {
            e.add(
                "if_closed",
                "閉庁日に当たるときの動かし方（前・後）を選んでください。",
            );
            IfClosed::Before
        }),
    };
    e.into_result().map_err(AppError::Validation)?;
    match (kind, month_offset, day) {
        (Some(kind), Some(month_offset), Some(day)) => Ok(TemplateLine {
            kind,
            title,
            owner: owner.unwrap_or_default(),
            month_offset,
            day,
            sort_order,
            if_closed,
        }),
        _ => Err(AppError::invalid("kind", "入力内容を確認してください。")),
    }
}

#[derive(Template)]
#[template(path = "transitions/template.html")]
struct Page {
    layout: Layout,
    groups: Vec<(TransitionKind, Vec<TemplateItem>)>,
    may_edit: bool,
    form: LineFields,
    errors: Errors,
}

impl Page {
    fn kinds(&self) -> [TransitionKind; 7] {
        TransitionKind::ALL
    }

    fn if_closed_choices(&self) -> &'static [IfClosed] {
        IfClosed::ALL
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

async fn render(
    state: &AppState,
    auth: &Auth,
    notice: Option<&str>,
    form: LineFields,
    errors: Errors,
) -> Result<Response, AppError> {
    if !matches!(
        auth.actor.role,
        Role::Coordinator | Role::Supervisor | Role::Admin
    ) {
        return Err(AppError::Forbidden);
    }
    let all = transitions::template(&state.db, None).await?;
    let groups = TransitionKind::ALL
        .into_iter()
        .map(|k| {
            (
                k,
                all.iter().filter(|i| i.kind == k.code()).cloned().collect(),
            )
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = Page {
        layout: Layout::page(auth, "移行チェックリストのひな形", "/transitions")
            .with_notice(notice),
        groups,
        may_edit: matches!(auth.actor.role, Role::Coordinator | Role::Admin),
        form,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn show(
    State(state): State<AppState>,
    _pooled: Pooled,
    auth: Auth,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    render(
        &state,
        &auth,
        q.notice.as_deref(),
        LineFields::default(),
        Errors::new(),
    )
    .await
}

async fn save(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Form(form): Form<LineFields>,
) -> Result<Response, AppError> {
    let mut errors = Errors::new();
    match check(&form) {
        Ok(line) => {
            let id = form.id.trim().parse::<i64>().ok();
            match transitions::save_template_item(&state.db, &meta, &auth.actor, id, &line).await {
                Ok(_) => {
                    return Ok(Redirect::to("/transitions/template?notice=saved").into_response())
                }
                Err(e) => into_form_errors(&mut errors, e)?,
            }
        }
        Err(AppError::Validation(found)) => errors = found,
        Err(e) => return Err(e),
    }
    render(&state, &auth, None, form, errors).await
}

async fn delete(
    State(state): State<AppState>,
    _pooled: Pooled,
    Meta(meta): Meta,
    auth: Auth,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    transitions::delete_template_item(&state.db, &meta, &auth.actor, id).await?;
    Ok(Redirect::to("/transitions/template?notice=deleted").into_response())
}
