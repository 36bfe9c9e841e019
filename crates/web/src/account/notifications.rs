//! Each user's mail notifications: their address and what they want to hear of. The mails
//! themselves never carry a child's name; they say what happened and link here.

use askama::Template;
use axum::{
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use serde::Deserialize;
use tsunagu_domain::validation::Errors;
use tsunagu_store::notifications::{self, Kind};

use crate::{
    auth::Auth,
    error::into_form_errors,
    extract::{Form, Query},
    layout::Layout,
    routing::Router,
    unit::Unit,
    AppError, AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/account/notifications", get(page).post(save))
}

#[derive(Template)]
#[template(path = "account/notifications.html")]
struct SettingsPage {
    layout: Layout,
    email: String,
    chosen: Vec<String>,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Errors,
    /// Whether this server has a mail server to send through (`--smtp-url`).
    mail_enabled: bool,
}

impl SettingsPage {
    fn is_chosen(&self, code: &str) -> bool {
        self.chosen.iter().any(|c| c == code)
    }
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    notice: Option<String>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.code(), k.label())).collect()
}

async fn page(
    state: axum::extract::State<AppState>,
    auth: Auth,
    mut u: Unit,
    Query(q): Query<NoticeQuery>,
) -> Result<Html<String>, AppError> {
    let settings = notifications::settings(&mut u).await?;
    let page = SettingsPage {
        layout: Layout::page(&auth, "メール通知", "").with_notice(q.notice.as_deref()),
        email: settings.email.unwrap_or_default(),
        chosen: settings.kinds,
        kinds: kinds(),
        errors: Errors::new(),
        mail_enabled: state.config.mail_enabled,
    };
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsFields {
    email: String,
    kinds: Vec<String>,
}

async fn save(
    state: axum::extract::State<AppState>,
    auth: Auth,
    mut u: Unit,
    Form(form): Form<SettingsFields>,
) -> Result<Response, AppError> {
    let chosen: Vec<Kind> = form
        .kinds
        .iter()
        .filter_map(|k| Kind::from_code(k))
        .collect();
    let mut errors = Errors::new();
    match notifications::save_settings(&mut u, &form.email, &chosen).await {
        Ok(()) => {
            return Ok(
                Redirect::to("/account/notifications?notice=notifications_saved").into_response(),
            )
        }
        Err(e) => into_form_errors(&mut errors, e)?,
    }
    let page = SettingsPage {
        layout: Layout::page(&auth, "メール通知", ""),
        email: form.email,
        chosen: form.kinds,
        kinds: kinds(),
        errors,
        mail_enabled: state.config.mail_enabled,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}
